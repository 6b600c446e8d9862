"""Runs frictionless on every case of the corpus; prints one JSON object per case.

Usage: frictionless_errors.py CORPUS_DIR

Each case is a folder with `schema.json` and `data.csv`. The output maps a case's name
to its errors as `[row, column, kind]`: the 1-based row (header = 1; 1 for header errors),
the 1-based column (null for row-level errors) and frictionless's error type
(`type-error`, `constraint-error`, `unique-error`, `primary-key`, `missing-cell`,
`extra-cell`, `blank-row`, `incorrect-label`, ...).
"""

import json
import os
import sys

import frictionless


def errors_of(case):
    # frictionless refuses absolute paths as unsafe: read from inside the case.
    os.chdir(case)
    schema = frictionless.Schema.from_descriptor("schema.json")
    resource = frictionless.Resource(path="data.csv", schema=schema, format="csv")
    report = frictionless.validate(resource, limit_errors=10000)
    found = []
    for task in report.tasks:
        for e in task.errors:
            d = e.to_descriptor()
            if d["type"] in ("resource-error", "scheme-error", "format-error"):
                raise SystemExit(f"{case}: frictionless could not validate: {d['message']}")
            row = d.get("rowNumber", 1 if "fieldNumber" in d or "label" in d else None)
            found.append([row, d.get("fieldNumber"), d["type"]])
    return found


def main():
    root = os.path.abspath(sys.argv[1])
    out = {}
    for name in sorted(os.listdir(root)):
        case = os.path.join(root, name)
        if os.path.isdir(case):
            out[name] = errors_of(case)
    json.dump(out, sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    main()
