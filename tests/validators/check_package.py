"""Checks one ogpipe package with the ecosystem's own validators; prints a JSON verdict.

Usage: check_package.py PACKAGE_DIR

Each check is independent, so one failure does not hide another:
- frictionless: `frictionless validate datapackage.json` (the CLI, as a user runs it);
- package_open: `frictionless.Package(...)` opens it and reads every resource's rows with
  its own schema (a tabular resource through `read_rows`, any other through `read_data`);
- profile_v1: the official v1 JSON Schemas (shipped in PyPI's `datapackage`): the package
  against data-package.json, each resource against the profile it declares
  (tabular-data-resource.json or data-resource.json);
- profile_v2: the official v2 JSON Schemas (shipped in PyPI's `dplib-py`): the package
  against datapackage.json, each resource against dataresource.json;
- csvw: every `*-metadata.json` beside a CSV, validated as `csvwvalidate` does (strict).
The verdict is `{"check": {"valid": bool, "errors": [text, ...]}, ...}`.
"""

import importlib.util
import json
import os
import subprocess
import sys
import warnings

import jsonschema


def site_file(package, *parts):
    # Found, not imported: only the profile files are wanted, not the package's code
    # (installed without its dependencies).
    spec = importlib.util.find_spec(package)
    return os.path.join(spec.submodule_search_locations[0], *parts)


def check_frictionless_cli(pkg):
    exe = os.path.join(os.path.dirname(sys.executable), "frictionless")
    out = subprocess.run(
        [exe, "validate", "--json", "datapackage.json"],
        cwd=pkg,
        capture_output=True,
        text=True,
        timeout=300,
    )
    errors = []
    try:
        report = json.loads(out.stdout)
        errors += [e.get("message", str(e)) for e in report.get("errors", [])]
        for task in report.get("tasks", []):
            errors += [
                f"{task.get('name')}: {e.get('message', e)}" for e in task.get("errors", [])
            ]
    except ValueError:
        errors.append(f"no JSON report: {out.stdout[-400:]} {out.stderr[-400:]}")
    if out.returncode != 0 and not errors:
        errors.append(f"exit {out.returncode}: {out.stderr[-400:]}")
    return errors


def check_package_open(pkg):
    import frictionless

    errors = []
    try:
        package = frictionless.Package(os.path.join(pkg, "datapackage.json"))
        for resource in package.resources:
            with resource:
                if resource.tabular:
                    rows = resource.read_rows()
                    for row in rows:
                        if not row.valid:
                            errors += [f"{resource.name}: {e.message}" for e in row.errors]
                else:
                    resource.read_data()
    except Exception as e:  # any refusal to open or read is the finding
        errors.append(f"{type(e).__name__}: {e}")
    return errors


def schema_errors(schema, instance, where):
    cls = jsonschema.validators.validator_for(schema)
    return [
        f"{where}: {'/'.join(map(str, e.absolute_path))}: {e.message}"
        for e in cls(schema).iter_errors(instance)
    ]


def load(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def check_profile_v1(descriptor):
    root = site_file("datapackage", "profiles")
    errors = schema_errors(load(os.path.join(root, "data-package.json")), descriptor, "package")
    for r in descriptor.get("resources", []):
        profile = r.get("profile", "data-resource")
        if profile not in ("data-resource", "tabular-data-resource"):
            errors.append(f"{r.get('name')}: unknown profile {profile}")
            continue
        errors += schema_errors(load(os.path.join(root, f"{profile}.json")), r, r.get("name"))
    return errors


def check_profile_v2(descriptor):
    root = site_file("dplib", "profiles", "2.0")
    errors = schema_errors(load(os.path.join(root, "datapackage.json")), descriptor, "package")
    resource_schema = load(os.path.join(root, "dataresource.json"))
    for r in descriptor.get("resources", []):
        errors += schema_errors(resource_schema, r, r.get("name"))
    return errors


def check_csvw(pkg):
    from csvw import CSVW

    errors = []
    names = sorted(n for n in os.listdir(pkg) if n.endswith("-metadata.json"))
    if not names:
        errors.append("no CSVW metadata file")
    for name in names:
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                csvw = CSVW(os.path.join(pkg, name), validate=True, strict=True)
                valid = csvw.is_valid
            if not valid:
                found = [str(w.message) for w in csvw.warnings] or [
                    str(w.message) for w in caught
                ]
                errors += [f"{name}: {m}" for m in found] or [f"{name}: invalid"]
        except Exception as e:
            errors.append(f"{name}: {type(e).__name__}: {e}")
    return errors


def main():
    pkg = sys.argv[1]
    descriptor = load(os.path.join(pkg, "datapackage.json"))
    checks = {
        "frictionless": lambda: check_frictionless_cli(pkg),
        "package_open": lambda: check_package_open(pkg),
        "profile_v1": lambda: check_profile_v1(descriptor),
        "profile_v2": lambda: check_profile_v2(descriptor),
        "csvw": lambda: check_csvw(pkg),
    }
    verdict = {}
    for name, check in checks.items():
        try:
            errors = check()
        except Exception as e:
            errors = [f"the check itself failed: {type(e).__name__}: {e}"]
        verdict[name] = {"valid": not errors, "errors": errors}
    json.dump(verdict, sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    main()
