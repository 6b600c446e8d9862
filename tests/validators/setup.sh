#!/usr/bin/env bash
# Installs the ecosystem's own validators from PyPI into a virtual environment of ogpipe's
# own, for tests/integration/validators.rs:
# - frictionless (`frictionless validate`, `frictionless.Package`),
# - csvw (CSVW validation, as `csvwvalidate` does it),
# - bagit (`bagit.py --validate`),
# - jsonschema, with the official Data Package profiles: v1 from `datapackage` (the
#   specs' own data-package, data-resource and tabular-data-resource schemas), v2 from
#   `dplib-py` (datapackage.org's 2.0 schemas). Both are installed without their
#   dependencies: only their JSON profile files are read, never their code.
# Idempotent: a venv that already has every pin is left as it is.
# The venv lives at ${OGPIPE_PYENV:-/tmp/ogpipe-pyenv}.
set -euo pipefail

venv="${OGPIPE_PYENV:-/tmp/ogpipe-pyenv}"
python="${PYTHON:-python3}"

# Pinned so that CI on a clean machine checks against the same validators as a developer.
tools=(
    # The json extra reads NDJSON outputs.
    "frictionless[json]==5.21.0"
    "csvw==4.1.1"
    "bagit==1.9.0"
    "jsonschema==4.26.0"
)
profiles=(
    "datapackage==1.15.4"
    "dplib-py==1.1.0"
)

if ! command -v "$python" >/dev/null 2>&1; then
    echo "setup.sh: $python is required to install the validators (apt-get install python3 python3-venv)" >&2
    exit 1
fi

if [ ! -x "$venv/bin/python" ]; then
    "$python" -m venv "$venv"
fi

# Skip pip when every pin is already installed (pip's own check is slow and may reach PyPI).
if "$venv/bin/python" - "${tools[@]}" "${profiles[@]}" <<'PY' 2>/dev/null; then
import sys
from importlib.metadata import version
import jsonlines, ijson  # frictionless[json]
for pin in sys.argv[1:]:
    name, want = pin.split("==")
    if version(name.split("[")[0]) != want:
        sys.exit(1)
PY
    exit 0
fi

pip=("$venv/bin/python" -m pip install --quiet --disable-pip-version-check)
"${pip[@]}" "${tools[@]}"
"${pip[@]}" --no-deps "${profiles[@]}"
