#!/usr/bin/env python3
"""Checks by hand that a CKAN started by serve.sh answers what ogpipe relies on.

    python3 tests/ckan/smoke.py /tmp/ogpipe-ckan/core.env
    python3 tests/ckan/smoke.py /tmp/ogpipe-ckan/scheming.env

core: package_create (private), resource_create with a multipart upload, package_show,
download byte-identical, package_search with fq=organization (with and without
include_private), package_patch, dataset_purge. scheming/registry: a bilingual dataset
accepted and read back as objects; one without its French title refused with 409 and
`Required language "fr" missing`; one without the field at all, `title_translated-en/-fr`;
a bad subject choice; registry: private forced, date_published normalised.
Prints one line per check and exits 1 on the first failure. Standard library only.
"""

import json
import sys
import time
import urllib.error
import urllib.request
import uuid


def load_env(path):
    env = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            if "=" in line:
                k, v = line.rstrip("\n").split("=", 1)
                env[k] = v
    return env


class Ckan:
    def __init__(self, env):
        self.url = env["OGPIPE_TEST_CKAN_URL"]
        self.token = env["OGPIPE_TEST_CKAN_TOKEN"]
        self.org = env["OGPIPE_TEST_CKAN_ORG"]

    def call(self, action, body=None, token=True, files=None):
        headers = {}
        if token:
            headers["Authorization"] = self.token
        if files:
            boundary = "ogpipe" + uuid.uuid4().hex
            data = b""
            for k, v in (body or {}).items():
                if isinstance(v, (dict, list)):
                    v = json.dumps(v)
                data += ("--%s\r\nContent-Disposition: form-data; name=\"%s\"\r\n\r\n%s\r\n"
                         % (boundary, k, v)).encode()
            for k, (fname, content) in files.items():
                data += ("--%s\r\nContent-Disposition: form-data; name=\"%s\"; filename=\"%s\"\r\n"
                         "Content-Type: application/octet-stream\r\n\r\n" % (boundary, k, fname)).encode()
                data += content + b"\r\n"
            data += ("--%s--\r\n" % boundary).encode()
            headers["Content-Type"] = "multipart/form-data; boundary=" + boundary
        else:
            data = json.dumps(body or {}).encode()
            headers["Content-Type"] = "application/json"
        req = urllib.request.Request(self.url + "/api/3/action/" + action, data=data, headers=headers)
        t = time.monotonic()
        try:
            with urllib.request.urlopen(req, timeout=60) as r:
                status, payload = r.status, r.read()
        except urllib.error.HTTPError as e:
            status, payload = e.code, e.read()
        ms = (time.monotonic() - t) * 1000
        try:
            return status, json.loads(payload), ms
        except ValueError:
            return status, payload.decode("utf-8", "replace"), ms

    def ok(self, action, body=None, **kw):
        status, d, ms = self.call(action, body, **kw)
        check(status == 200 and isinstance(d, dict) and d.get("success"),
              "%s answered %s: %s" % (action, status, d))
        return d["result"], ms


def check(cond, msg):
    if not cond:
        print("FAIL " + msg)
        sys.exit(1)


def core(c):
    name = "smoke-" + uuid.uuid4().hex[:8]
    pkg, ms = c.ok("package_create", {"name": name, "title": "Smoke test", "owner_org": c.org,
                                      "private": True, "notes": "n", "license_id": "ca-ogl-lgo",
                                      "unknown_key": "dropped"})
    check(pkg["private"] is True and "unknown_key" not in pkg, "private dataset, unknown key dropped")
    print("ok   package_create (private; unknown_key dropped) %.0f ms" % ms)
    content = b"a,b\n1,2\n" + bytes(range(256))
    res, ms = c.ok("resource_create", {"package_id": pkg["id"], "name": "data", "format": "CSV",
                                       "hash": "sha256:x", "ogpipe_key": "r.csv"},
                   files={"upload": ("Data File.csv", content)})
    check(res["url_type"] == "upload" and res["size"] == len(content), "upload size %s" % res.get("size"))
    check(res["url"].endswith("/download/data-file.csv"), "upload url %s" % res["url"])
    check(res.get("ogpipe_key") == "r.csv" and res["hash"] == "sha256:x", "resource extras kept")
    print("ok   resource_create with upload: size %d, url %s, %.0f ms" % (res["size"], res["url"], ms))
    shown, ms = c.ok("package_show", {"id": name})
    check(len(shown["resources"]) == 1 and shown["resources"][0]["id"] == res["id"], "package_show resources")
    print("ok   package_show %.0f ms" % ms)
    req = urllib.request.Request(res["url"], headers={"Authorization": c.token})
    with urllib.request.urlopen(req, timeout=60) as r:
        check(r.read() == content, "downloaded bytes differ")
    print("ok   download byte-identical (private, with the token)")
    fq = "organization:" + c.org
    found, ms = c.ok("package_search", {"fq": fq, "include_private": True, "rows": 100})
    check(any(p["name"] == name for p in found["results"]), "private dataset missing from include_private search")
    print("ok   package_search fq=%s include_private: %d found, %.0f ms" % (fq, found["count"], ms))
    found, _ = c.ok("package_search", {"fq": fq, "rows": 100})
    check(not any(p["name"] == name for p in found["results"]), "private dataset in a public search")
    print("ok   package_search without include_private leaves it out")
    patched, _ = c.ok("package_patch", {"id": pkg["id"], "private": False})
    check(patched["private"] is False and len(patched["resources"]) == 1, "package_patch private=false")
    found, _ = c.ok("package_search", {"fq": "name:" + name})
    check(found["count"] == 1, "public dataset found by fq=name")
    print("ok   package_patch public, then found by fq=name:%s" % name)
    status, d, _ = c.call("package_create", {"name": name + "-x", "owner_org": c.org}, token=False)
    check(status == 403, "anonymous create answered %s" % status)
    print("ok   create without a token: 403 %s" % d["error"]["__type"])
    c.ok("dataset_purge", {"id": pkg["id"]})
    status, _, _ = c.call("package_show", {"id": pkg["id"]})
    check(status == 404, "purged dataset answered %s" % status)
    found, _ = c.ok("package_search", {"fq": fq, "include_private": True})
    check(not any(p["name"] == name for p in found["results"]), "purged dataset still indexed")
    print("ok   dataset_purge: gone from the database and the index")


def bilingual(c, registry):
    did = str(uuid.uuid4())
    body = {
        "type": "dataset", "id": did, "name": did, "owner_org": c.org, "collection": "primary",
        "title_translated": {"en": "Security screening volumes", "fr": "Volume des filtrages de sécurité"},
        "notes_translated": {"en": "Requests by program.", "fr": "Demandes par programme."},
        "keywords": {"en": ["security screening"], "fr": ["filtrage de sécurité"]},
        "subject": ["government_and_politics"], "frequency": "P1Y", "date_published": "2026-06-30",
        "jurisdiction": "federal", "license_id": "ca-ogl-lgo", "restrictions": "unrestricted",
        "imso_approval": "true", "ready_to_publish": "false", "private": False,
        "maintainer_email": "media@example.gc.ca",
        "resources": [{"name_translated": {"en": "Volumes (CSV)", "fr": "Volume (CSV)"},
                       "resource_type": "dataset", "format": "CSV", "language": ["en", "fr"],
                       "character_set": "UTF-8", "url": "http://example.invalid/v.csv",
                       "ogpipe_key": "v.csv"}],
    }
    pkg, ms = c.ok("package_create", body)
    check(pkg["title_translated"] == body["title_translated"], "title_translated read back %r" % pkg.get("title_translated"))
    check(pkg["keywords"] == body["keywords"], "keywords read back %r" % pkg.get("keywords"))
    check(pkg["subject"] == ["government_and_politics"], "subject read back")
    check(pkg["title"] == "Security screening volumes", "core title filled from en: %r" % pkg.get("title"))
    r = pkg["resources"][0]
    check(r["name_translated"] == body["resources"][0]["name_translated"] and r["language"] == ["en", "fr"],
          "resource read back %r" % r)
    print("ok   bilingual dataset accepted and read back as objects (%.0f ms); resource ogpipe_key=%r"
          % (ms, r.get("ogpipe_key")))
    if registry:
        check(pkg["private"] is True, "registry mode: private forced")
        check(pkg["date_published"] == "2026-06-30 00:00:00", "registry date %r" % pkg["date_published"])
        print("ok   registry mode: private forced, date_published %r" % pkg["date_published"])
    else:
        check(pkg["private"] is False and pkg["date_published"] == "2026-06-30", "private/date as sent")

    def refused(change, field, expect):
        b = json.loads(json.dumps(body))
        b["id"] = b["name"] = str(uuid.uuid4())
        change(b)
        status, d, _ = c.call("package_create", b)
        check(status == 409, "%s: answered %s %s" % (field, status, d))
        check(d["error"].get(field) == expect, "%s: %r" % (field, d["error"]))
        print("ok   409 %s: %s" % (field, d["error"][field]))

    refused(lambda b: b["title_translated"].pop("fr"), "title_translated", ['Required language "fr" missing'])
    refused(lambda b: b.pop("title_translated"), "title_translated-fr", ["Missing value"])
    refused(lambda b: b.update(subject=["x"]), "subject", ['unexpected choice "x"'])
    refused(lambda b: b.update(subject=[]), "subject", ["Select at least one"])
    status, d, _ = c.call("package_patch", {"id": did, "notes_translated": {"fr": "seulement"}})
    check(status == 409 and d["error"].get("notes_translated") == ['Required language "en" missing'],
          "patch of one language: %s %s" % (status, d))
    print("ok   409 package_patch notes_translated {fr} alone: replaced whole, not merged")
    c.ok("dataset_purge", {"id": did})


def main():
    env = load_env(sys.argv[1])
    c = Ckan(env)
    mode = env["OGPIPE_TEST_CKAN_MODE"]
    status, _ms = c.ok("status_show")
    print("ok   status_show: CKAN %s, extensions %s" % (status["ckan_version"], status["extensions"]))
    if mode == "core":
        core(c)
    else:
        bilingual(c, mode == "registry")
    print("all checks passed (%s)" % mode)


if __name__ == "__main__":
    main()
