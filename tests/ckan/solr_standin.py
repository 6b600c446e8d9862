#!/usr/bin/env python3
"""A Solr stand-in for a test CKAN 2.12: the calls CKAN's search layer makes, nothing more.

Apache Solr cannot be installed from the package registries this project may reach, and CKAN
indexes every dataset in Solr synchronously on create and update and answers package_search
from it. This server keeps the documents in memory (and in a JSON file, so that a restart keeps
them), and answers:

- GET  <core>/schema?wt=schema.xml and <core>/admin/file/?file=schema.xml: CKAN's own shipped
  schema.xml (CKAN checks its name attribute, ckan-2.12, at start-up);
- POST <core>/update[/]: a JSON list of documents (pysolr's add), a JSON object with "add",
  "delete" or "commit", or XML <delete><id>..</id></delete>, <delete><query>..</query></delete>,
  <commit/>;
- GET or form POST <core>/select[/]: q, fq (repeated), fl, rows, start, sort, facet.field; the
  query language is the part of Lucene's that CKAN and a publishing client send: field:value,
  field:"phrase", field:(a OR b), ranges [a TO b], wildcards, +/-/NOT, AND/OR and parentheses;
- GET <core>/admin/ping.

Standard library only, so it runs from any Python 3.8+. Binds 127.0.0.1 only.
"""

import argparse
import fnmatch
import json
import os
import re
import sys
import threading
import time
import xml.etree.ElementTree as ET
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit


class QueryError(ValueError):
    """A query this stand-in cannot parse: answered 400 as Solr would."""


# ---------------------------------------------------------------------------------------------
# Query parsing: a small recursive-descent parser producing predicates over a document.

TOKEN_RE = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<lparen>\()
  | (?P<rparen>\))
  | (?P<quoted>"(?:[^"\\]|\\.)*")
  | (?P<range>[\[{](?:[^\]}\\]|\\.)*[\]}])
  | (?P<term>(?:[^\s()"\\\[{]|\\.)+)
    """,
    re.VERBOSE,
)


def tokenize(text):
    tokens = []
    pos = 0
    while pos < len(text):
        m = TOKEN_RE.match(text, pos)
        if not m:
            raise QueryError("cannot parse query at %r" % text[pos:])
        pos = m.end()
        kind = m.lastgroup
        if kind != "ws":
            tokens.append((kind, m.group(kind)))
    return tokens


def unescape(s):
    return re.sub(r"\\(.)", r"\1", s)


def as_strings(value):
    """A document field's values as strings (Solr fields may be multi-valued)."""
    if value is None:
        return []
    if isinstance(value, list):
        out = []
        for v in value:
            out.extend(as_strings(v))
        return out
    if isinstance(value, bool):
        return ["true" if value else "false"]
    return [str(value)]


def all_text(doc):
    """What Solr's catch-all `text` field would hold, lowercased: every string of the doc."""
    cached = doc.get("\0text")
    if cached is None:
        parts = []
        for k, v in doc.items():
            if k.startswith("\0") or k in ("data_dict", "validated_data_dict"):
                continue
            parts.extend(as_strings(v))
        cached = " ".join(parts).lower()
        doc["\0text"] = cached
    return cached


class Parser:
    """Lucene-style query over documents. `default_op` is AND (CKAN sends q.op=AND)."""

    def __init__(self, text, default_field="text", default_op="AND"):
        self.tokens = tokenize(text)
        self.i = 0
        self.default_field = default_field
        self.default_op = default_op.upper()

    def peek(self):
        return self.tokens[self.i] if self.i < len(self.tokens) else (None, None)

    def take(self):
        tok = self.peek()
        self.i += 1
        return tok

    def parse(self):
        pred = self.expr(self.default_field)
        if self.i != len(self.tokens):
            raise QueryError("unexpected %r in query" % (self.peek()[1],))
        return pred

    def expr(self, field):
        """A sequence of clauses joined by AND / OR / the default operator.

        Lucene semantics simplified: `+x` required, `-x`/`NOT x` prohibited, bare clauses joined
        by the default operator, explicit OR makes an alternative group.
        """
        groups = [[]]  # OR of ANDs
        pending_or = False
        while True:
            kind, val = self.peek()
            if kind is None or kind == "rparen":
                break
            if kind == "term" and val in ("AND", "&&"):
                self.take()
                continue
            if kind == "term" and val in ("OR", "||"):
                self.take()
                pending_or = True
                continue
            clause = self.clause(field)
            if pending_or or (self.default_op == "OR" and groups[-1]):
                groups.append([clause])
            else:
                groups[-1].append(clause)
            pending_or = False
        groups = [g for g in groups if g]
        if not groups:
            return lambda doc: True

        def match(doc):
            return any(all(c(doc) for c in g) for g in groups)

        return match

    def clause(self, field):
        kind, val = self.take()
        negate = False
        if kind == "term" and val == "NOT":
            negate = True
            kind, val = self.take()
        elif kind == "term" and val[0] in "+-" and len(val) > 1:
            negate = val[0] == "-"
            val = val[1:]
        elif kind == "term" and val in ("+", "-"):
            negate = val == "-"
            kind, val = self.take()
        if kind is None:
            raise QueryError("query ends after an operator")
        pred = self.atom(kind, val, field)
        if negate:
            return lambda doc: not pred(doc)
        return pred

    def atom(self, kind, val, field):
        if kind == "lparen":
            inner = self.expr(field)
            if self.take()[0] != "rparen":
                raise QueryError("unbalanced parentheses in query")
            return inner
        if kind == "quoted":
            return value_pred(field, unescape(val[1:-1]), phrase=True)
        if kind == "range":
            return range_pred(field, val)
        if kind == "term":
            # field:value, field:"..", field:(..), field:[a TO b]; a colon escaped as \: is data.
            m = re.match(r"^((?:[^:\\]|\\.)+):(.*)$", val, re.S)
            if m and m.group(1) != "*":
                fname, rest = unescape(m.group(1)), m.group(2)
                if rest:
                    return value_pred(fname, unescape(rest), phrase=False)
                nkind, nval = self.take()
                if nkind is None:
                    raise QueryError("field %s has no value" % fname)
                return self.atom(nkind, nval, fname)
            if val == "*:*":
                return lambda doc: True
            return value_pred(field, unescape(val), phrase=False)
        raise QueryError("unexpected %r in query" % val)


def value_pred(field, value, phrase):
    if field == "text":
        needle = value.lower()
        if not phrase and ("*" in needle or "?" in needle):
            return lambda doc: any(
                fnmatch.fnmatchcase(w, needle) for w in all_text(doc).split())
        return lambda doc: needle in all_text(doc)
    if value == "*" and not phrase:
        return lambda doc: bool(as_strings(doc.get(field)))
    if not phrase and ("*" in value or "?" in value):
        return lambda doc: any(fnmatch.fnmatchcase(v, value) for v in as_strings(doc.get(field)))
    return lambda doc: value in as_strings(doc.get(field))


def range_pred(field, text):
    m = re.match(r"^([\[{])\s*(.*?)\s+TO\s+(.*?)\s*([\]}])$", text, re.S)
    if not m:
        raise QueryError("cannot parse range %r" % text)
    lo_inc, lo, hi, hi_inc = m.group(1) == "[", unescape(m.group(2)), unescape(m.group(3)), m.group(4) == "]"
    lo = None if lo == "*" else normalise_bound(lo)
    hi = None if hi == "*" else normalise_bound(hi)

    def ok(v):
        v = normalise_bound(v)
        if lo is not None and (v < lo or (v == lo and not lo_inc)):
            return False
        if hi is not None and (v > hi or (v == hi and not hi_inc)):
            return False
        return True

    return lambda doc: any(ok(v) for v in as_strings(doc.get(field)))


def normalise_bound(v):
    """Dates compare as strings once Solr's trailing Z and NOW are dealt with."""
    v = v.strip('"')
    if v.startswith("NOW"):
        return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime())
    return v.rstrip("Z")


def parse_query(text, default_op="AND"):
    text = (text or "").strip()
    if not text or text in ("*:*", "*"):
        return lambda doc: True
    return Parser(text, default_op=default_op).parse()


# ---------------------------------------------------------------------------------------------
# The index.


class Index:
    def __init__(self, unique_key, data_file):
        self.unique_key = unique_key
        self.data_file = data_file
        self.lock = threading.Lock()
        self.docs = {}
        if data_file and os.path.exists(data_file):
            with open(data_file, encoding="utf-8") as f:
                self.docs = json.load(f)

    def save(self):
        if not self.data_file:
            return
        tmp = self.data_file + ".tmp"
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump({k: strip_cache(v) for k, v in self.docs.items()}, f)
        os.replace(tmp, self.data_file)

    def add(self, docs):
        with self.lock:
            for d in docs:
                key = d.get(self.unique_key) or d.get("id")
                if key is None:
                    raise QueryError("document without %s" % self.unique_key)
                self.docs[str(key)] = dict(d)
            self.save()

    def delete(self, ids=(), queries=()):
        with self.lock:
            for i in ids:
                self.docs.pop(str(i), None)
            for q in queries:
                pred = parse_query(q)
                for k in [k for k, d in self.docs.items() if pred(d)]:
                    del self.docs[k]
            self.save()

    def select(self, params):
        q = first(params, "q") or "*:*"
        op = first(params, "q.op") or "AND"
        preds = [parse_query(q, op)] + [parse_query(fq, op) for fq in params.get("fq", [])]
        with self.lock:
            hits = [d for d in self.docs.values() if all(p(d) for p in preds)]
        hits = sort_docs(hits, first(params, "sort"))
        start = int(first(params, "start") or 0)
        rows = int(first(params, "rows") or 10)
        fl = fields_list(first(params, "fl"))
        page = hits[start:start + rows] if rows >= 0 else hits[start:]
        docs = [project(d, fl) for d in page]
        out = {
            "responseHeader": {"status": 0, "QTime": 0, "params": {k: v[-1] for k, v in params.items()}},
            "response": {"numFound": len(hits), "start": start, "docs": docs},
        }
        if (first(params, "facet") or "false").lower() == "true":
            out["facet_counts"] = facets(hits, params)
        return out


def strip_cache(doc):
    return {k: v for k, v in doc.items() if not k.startswith("\0")}


def first(params, key):
    v = params.get(key)
    return v[-1] if v else None


def fields_list(fl):
    if not fl:
        return None
    names = [f for f in re.split(r"[\s,]+", fl) if f]
    if "*" in names:
        return None
    return names


def project(doc, fl):
    d = strip_cache(doc)
    if fl is None:
        return d
    out = {k: d[k] for k in fl if k in d}
    if "score" in fl:
        out["score"] = 1.0
    return out


def sort_docs(docs, sort):
    if not sort:
        return docs
    keys = []
    for part in sort.split(","):
        bits = part.strip().split()
        if not bits:
            continue
        field = bits[0]
        desc = len(bits) > 1 and bits[1].lower() == "desc"
        if field == "score":
            continue
        keys.append((field, desc))
    # Stable sorts applied from the last key to the first give a lexicographic order.
    for field, desc in reversed(keys):
        docs = sorted(docs, key=lambda d: (as_strings(d.get(field)) or [""])[0].lower(), reverse=desc)
    return docs


def facets(hits, params):
    limit = int(first(params, "facet.limit") or 50)
    mincount = int(first(params, "facet.mincount") or 1)
    fields = {}
    for field in params.get("facet.field", []):
        counts = {}
        for d in hits:
            for v in set(as_strings(d.get(field))):
                counts[v] = counts.get(v, 0) + 1
        ordered = sorted((kv for kv in counts.items() if kv[1] >= mincount), key=lambda kv: (-kv[1], kv[0]))
        if limit >= 0:
            ordered = ordered[:limit]
        flat = []
        for k, c in ordered:
            flat.extend([k, c])
        fields[field] = flat
    return {"facet_queries": {}, "facet_fields": fields, "facet_dates": {}, "facet_ranges": {},
            "facet_intervals": {}, "facet_heatmaps": {}}


# ---------------------------------------------------------------------------------------------
# HTTP.


def parse_update(body, content_type):
    """(docs to add, ids to delete, queries to delete) from an update request body."""
    text = body.decode("utf-8") if body else ""
    stripped = text.strip()
    adds, ids, queries = [], [], []
    if not stripped:
        return adds, ids, queries
    if "json" in content_type or stripped[0] in "[{":
        data = json.loads(stripped)
        if isinstance(data, list):
            adds.extend(data)
        elif isinstance(data, dict):
            add = data.get("add")
            if isinstance(add, dict):
                adds.append(add.get("doc", add))
            elif isinstance(add, list):
                adds.extend(a.get("doc", a) for a in add)
            delete = data.get("delete")
            for d in delete if isinstance(delete, list) else ([delete] if delete else []):
                if isinstance(d, dict) and "query" in d:
                    queries.append(d["query"])
                elif isinstance(d, dict) and "id" in d:
                    ids.append(d["id"])
                else:
                    ids.append(d)
        return adds, ids, queries
    root = ET.fromstring(stripped)
    elements = [root] if root.tag != "update" else list(root)
    for el in elements:
        if el.tag == "delete":
            for child in el:
                if child.tag == "id":
                    ids.append(child.text or "")
                elif child.tag == "query":
                    queries.append(child.text or "")
        elif el.tag == "add":
            for doc in el.findall("doc"):
                d = {}
                for f in doc.findall("field"):
                    name = f.get("name")
                    if name in d:
                        d[name] = as_strings(d[name]) + [f.text or ""]
                    else:
                        d[name] = f.text or ""
                adds.append(d)
        # <commit/> and <optimize/>: every change is visible at once here.
    return adds, ids, queries


def make_handler(index, schema_xml, log):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "ogpipe-solr-standin/1"

        def log_message(self, fmt, *args):
            log.write("%s %s\n" % (time.strftime("%Y-%m-%dT%H:%M:%S"), fmt % args))
            log.flush()

        def reply(self, status, body, ctype="application/json; charset=utf-8"):
            if not isinstance(body, bytes):
                body = json.dumps(body).encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def error(self, status, msg):
            self.reply(status, {"responseHeader": {"status": status, "QTime": 0},
                                "error": {"msg": msg, "code": status}})

        def read_body(self):
            n = int(self.headers.get("Content-Length") or 0)
            return self.rfile.read(n) if n else b""

        def handle_any(self, method):
            url = urlsplit(self.path)
            params = {}
            for k, v in parse_qsl(url.query, keep_blank_values=True):
                params.setdefault(k, []).append(v)
            body = self.read_body() if method == "POST" else b""
            ctype = self.headers.get("Content-Type", "")
            path = url.path.rstrip("/")
            try:
                if path.endswith("/admin/ping"):
                    return self.reply(200, {"responseHeader": {"status": 0, "QTime": 0}, "status": "OK"})
                if path.endswith("/schema") or path.endswith("/admin/file"):
                    return self.reply(200, schema_xml, "application/xml; charset=utf-8")
                if path.endswith("/select"):
                    if method == "POST" and "x-www-form-urlencoded" in ctype:
                        for k, v in parse_qsl(body.decode("utf-8"), keep_blank_values=True):
                            params.setdefault(k, []).append(v)
                    return self.reply(200, index.select(params))
                if path.endswith("/update") or path.endswith("/update/json"):
                    adds, ids, queries = parse_update(body, ctype)
                    if ids or queries:
                        index.delete(ids, queries)
                    if adds:
                        index.add(adds)
                    return self.reply(200, {"responseHeader": {"status": 0, "QTime": 0}})
                return self.error(404, "no such handler: %s" % url.path)
            except (QueryError, ValueError, ET.ParseError) as e:
                return self.error(400, str(e))

        def do_GET(self):
            self.handle_any("GET")

        def do_POST(self):
            self.handle_any("POST")

    return Handler


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--port", type=int, default=0, help="0 picks a free port (default)")
    ap.add_argument("--schema", required=True, help="CKAN's schema.xml (ckan/config/solr/schema.xml)")
    ap.add_argument("--data", help="JSON file that keeps the documents across restarts")
    ap.add_argument("--port-file", help="written with the bound port once listening")
    ap.add_argument("--log", help="request log (default: stderr)")
    args = ap.parse_args()

    with open(args.schema, "rb") as f:
        schema_xml = f.read()
    root = ET.fromstring(schema_xml)
    unique = root.findtext("uniqueKey") or "id"
    index = Index(unique, args.data)
    log = open(args.log, "a", encoding="utf-8") if args.log else sys.stderr
    server = ThreadingHTTPServer(("127.0.0.1", args.port), make_handler(index, schema_xml, log))
    server.daemon_threads = True
    port = server.server_address[1]
    if args.port_file:
        tmp = args.port_file + ".tmp"
        with open(tmp, "w") as f:
            f.write("%d\n" % port)
        os.replace(tmp, args.port_file)
    print("solr stand-in on http://127.0.0.1:%d/solr/ckan (%s, %d documents)"
          % (port, root.get("name"), len(index.docs)), file=sys.stderr, flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
