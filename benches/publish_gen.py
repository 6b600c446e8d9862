#!/usr/bin/env python3
"""Writes a benchmark workdir for benches/publish.sh: N approved datasets, each with
three small CSV resources (CSV output only), and a pipeline.toml pointing at URL.

usage: publish_gen.py DIR N URL
"""
import os
import sys

out, n, url = sys.argv[1], int(sys.argv[2]), sys.argv[3]
os.makedirs(f"{out}/datasets", exist_ok=True)
os.makedirs(f"{out}/data", exist_ok=True)

with open(f"{out}/pipeline.toml", "w") as f:
    f.write(f"""[portal]
url = "{url}"
organization = "csis-scrs"
profile = "open-canada"
token_env = "OGPIPE_PORTAL_TOKEN"
timeout_secs = 60
connect_timeout_secs = 10
concurrency = 4
retry_max_attempts = 5
retry_max_backoff_secs = 30

[paths]
datasets = "datasets"
data = "data"
output = "out"
journal = "out/journal.sqlite"

[defaults]
license_id = "ca-ogl-lgo"
jurisdiction = "federal"
languages = ["en", "fr"]
restrictions = "unrestricted"
collection = "primary"
maintainer_email = "media@example.gc.ca"

[screen]
enabled = true
allowlist = ["media@example.gc.ca"]
formula_policy = "prefix"
""")

for i in range(1, n + 1):
    ref = f"BENCH-{i:04d}"
    res = []
    for r in range(1, 4):
        src = f"d{i:04d}_r{r}.csv"
        with open(f"{out}/data/{src}", "w") as f:
            f.write("fiscal_year,program,requests,median_days\n")
            for y in range(2015, 2035):
                f.write(f"{y}-{y + 1 - 2000:02d},Program {r},{(i * 37 + y * r) % 5000},{(y + i) % 40}\n")
        res.append(f"""
[[resources]]
key = "table{r}"
source = "{src}"
title = {{ en = "Table {r} of dataset {i}", fr = "Tableau {r} du jeu {i}" }}
outputs = ["csv"]
""")
    with open(f"{out}/datasets/{i:04d}.toml", "w") as f:
        f.write(f"""[inventory]
reference = "{ref}"
category = "Benchmark"
business_owner = "Director General, Benchmarks"

[decision]
status = "release"

[[approvals]]
role = "business_owner"
name = "A. Roy"
date = 2026-01-15

[[approvals]]
role = "imso"
name = "J. Singh"
date = 2026-01-29

[release]
priority = {i}
date = 2026-04-01

[metadata]
title = {{ en = "Benchmark dataset {i}", fr = "Jeu de données de référence {i}" }}
description = {{ en = "Requests and median days by program, dataset {i}.", fr = "Demandes et délai médian par programme, jeu {i}." }}
keywords = {{ en = ["benchmark"], fr = ["référence"] }}
subject = ["government_and_politics"]
frequency = "P1Y"
""" + "".join(res))
