#!/usr/bin/env python3
"""JSON lines for `ckanapi load datasets --upload-resources`, equivalent to what
benches/publish_gen.py makes ogpipe publish: N open-canada datasets with three CSV
resources each, whose files ckanapi downloads from FILES_URL and uploads.

usage: publish_ckanapi.py N FILES_URL > datasets.jsonl
"""
import json
import sys
import uuid

n, files = int(sys.argv[1]), sys.argv[2].rstrip("/")
ns = uuid.UUID("6f1c2b0e-6a43-5d0b-9d1e-3f6a8a1d2c44")
for i in range(1, n + 1):
    did = str(uuid.uuid5(ns, f"BENCH-{i:04d}"))
    resources = [
        {
            "id": str(uuid.uuid5(ns, f"BENCH-{i:04d}/table{r}")),
            "name_translated": {"en": f"Table {r} of dataset {i} (CSV)", "fr": f"Tableau {r} du jeu {i} (CSV)"},
            "resource_type": "dataset",
            "language": ["en", "fr"],
            "character_set": "UTF-8",
            "format": "CSV",
            "url": f"{files}/d{i:04d}_r{r}.csv",
            "url_type": "upload",
        }
        for r in range(1, 4)
    ]
    print(json.dumps({
        "type": "dataset", "id": did, "name": did, "owner_org": "csis-scrs",
        "collection": "primary",
        "title_translated": {"en": f"Benchmark dataset {i}", "fr": f"Jeu de données de référence {i}"},
        "notes_translated": {"en": f"Requests and median days by program, dataset {i}.",
                             "fr": f"Demandes et délai médian par programme, jeu {i}."},
        "keywords": {"en": ["benchmark"], "fr": ["référence"]},
        "subject": ["government_and_politics"], "frequency": "P1Y",
        "date_published": "2026-04-01", "jurisdiction": "federal",
        "license_id": "ca-ogl-lgo", "restrictions": "unrestricted",
        "maintainer_email": "media@example.gc.ca",
        "imso_approval": "true", "ready_to_publish": "true", "private": False,
        "resources": resources,
    }, ensure_ascii=False))
