#!/usr/bin/python3
"""schema.py -- the API description's response schema of each spec table.

    python3 test/synth/schema.py [source ...]    list the column paths the
                                                 description does not have

For a table of github, digitalocean, kubernetes or gcp, finds the list
operation of its endpoint in the vendor's description (the file gen.py
reads, under $CQ_API_DESCRIPTIONS), follows the table's rows pointer into the
response schema (a `*` over an object is its additionalProperties, as in
GCP's aggregated lists) and gives the item schema.  item_schema() feeds
synth.py (values of the schema's formats and enums, every property of the
item present in the reply); path_missing() names the column paths the item
schema has no property for: a generated column whose path is not in the
API's own schema is a spec bug.  Key columns the request fills (owner,
project, namespace...) are not expected in the schema.
"""

import json
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.normpath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(TOP, "sources", "gen"))
import gen  # noqa: E402

STYLE = {"github": "openapi", "digitalocean": "openapi", "kubernetes": "swagger", "gcp": "discovery"}
_DOCS = {}


def schemas(source):
    if source not in STYLE:
        return None
    if source not in _DOCS:
        fn = os.path.join(gen.DESC_DIR, gen.DESC_FILES[source])
        if not os.path.exists(fn):
            _DOCS[source] = None
        else:
            with open(fn) as f:
                _DOCS[source] = gen.Schemas(json.load(f), STYLE[source])
    return _DOCS[source]


def discovery_methods(res):
    for r in (res.get("resources") or {}).values():
        for m in (r.get("methods") or {}).values():
            yield m
        yield from discovery_methods(r)


def response_schema(source, S, endpoint, method="GET"):
    """The response schema of the operation at endpoint; method: the
    table's (GCP's POST lists such as listManagedInstances)."""
    path = endpoint.split("?", 1)[0]
    if STYLE[source] == "discovery":
        rel = re.sub(r"^/compute/v1/", "", path)
        for m in discovery_methods(S.doc):
            if m.get("httpMethod") == method and (m.get("path") == rel or m.get("flatPath") == rel):
                return m.get("response")
        return None
    item = S.doc.get("paths", {}).get(path)
    if not item or "get" not in item:
        return None
    op = item["get"]
    if STYLE[source] == "swagger":
        return (op.get("responses", {}).get("200") or {}).get("schema")
    return gen.openapi_json_schema(op)


def step(S, s, seg):
    """The schema of member seg ("*" = any element/member) of schema s."""
    r = S.resolve(s)
    if seg == "*":
        if r.get("type") == "array":
            return r.get("items", {})
        ap = r.get("additionalProperties")
        if isinstance(ap, dict):
            return ap
        props = S.props(r)
        if props:
            return {"anyOf": list(props.values())}
        return None
    if r.get("type") == "array" and re.fullmatch(r"\d+", seg):
        return r.get("items", {})
    props = S.props(r)
    if seg in props:
        return props[seg]
    ap = r.get("additionalProperties")
    if isinstance(ap, dict) and not props:
        return ap
    return None


def item_schema(source, t, use_get=False):
    """(S, item schema) of table t, or (S, None) when the description has
    no operation or the rows pointer leads nowhere; (None, None) without a
    description for the source."""
    S = schemas(source)
    if S is None:
        return None, None
    ep = t["get_endpoint"] if use_get else t["endpoint"]
    rows = t.get("get_rows", t.get("rows", "")) if use_get else t.get("rows", "")
    s = response_schema(source, S, ep, t.get("method") or "GET")
    if s is None:
        return S, None
    for seg in ([x.replace("~1", "/").replace("~0", "~") for x in rows[1:].split("/")] if rows else []):
        s = step(S, s, seg)
        if s is None:
            return S, None
    r = S.resolve(s)
    if r.get("type") == "array":
        s = r.get("items", {})
    return S, s


def step_lookup(S, s, seg):
    """step(), where a segment "key[member=value]" is an element of the
    array at key (of the current array when key is empty)."""
    m = re.match(r"^(.*)\[[^=\]]+=[^\]]*\]$", seg)
    if not m:
        return step(S, s, seg)
    if m.group(1):
        s = step(S, s, m.group(1))
        if s is None:
            return None
    return step(S, s, "*")


def segs_missing(S, base, sg):
    s = base
    for seg in sg:
        s = step_lookup(S, s, seg)
        if s is None:
            return True
    return False


def star_levels(source, t, use_get=False):
    """For each "*" of the table's rows pointer: the schema of what it
    matches (what a column path with as many "^" as the "*" left of it
    reads), and (what it ranges over: "list", "map" or the member names of
    an object; whether what it matches is an array of rows)."""
    S = schemas(source)
    if S is None:
        return [], []
    ep = t["get_endpoint"] if use_get else t["endpoint"]
    rows = t.get("get_rows", t.get("rows", "")) if use_get else t.get("rows", "")
    s = response_schema(source, S, ep, t.get("method") or "GET")
    levels, kinds = [], []
    for seg in ([x.replace("~1", "/").replace("~0", "~") for x in rows[1:].split("/")] if rows else []):
        if s is None:
            break
        if seg == "*":
            r = S.resolve(s)
            if r.get("type") == "array":
                kind = "list"
            elif isinstance(r.get("additionalProperties"), dict):
                kind = "map"
            else:
                kind = sorted(S.props(r)) or "map"
            s = step(S, s, seg)
            if s is None:
                break
            levels.append(s)
            kinds.append((kind, S.resolve(s).get("type") == "array"))
        else:
            s = step(S, s, seg)
    return levels, kinds


def path_missing(S, item, path):
    s = item
    for seg in [x.replace("~1", "/").replace("~0", "~") for x in path[1:].split("/")] if path else []:
        s = step(S, s, seg)
        if s is None:
            return True
    return False


def problems(spec):
    """{table: [(column, path), ...]} column paths not in the item schema;
    {table: None} when the table's schema was not found."""
    out = {}
    source = spec["name"]
    for t in spec["tables"]:
        S, item = item_schema(source, t)
        if S is None:
            continue
        if item is None:
            out[t["name"]] = None
            continue
        keys = {k["column"] for k in t.get("keys", [])}
        bad = [(c["name"], c.get("path", "/" + c["name"])) for c in t["columns"]
               if c["name"] not in keys and path_missing(S, item, c.get("path", "/" + c["name"]))]
        if bad:
            out[t["name"]] = bad
    return out


if __name__ == "__main__":
    import synth
    want = sys.argv[1:]
    n = 0
    for fn in synth.spec_files():
        spec = json.load(open(fn))
        if want and spec["name"] not in want:
            continue
        for tn, bad in sorted(problems(spec).items()):
            n += 1
            print("%s.%s: %s" % (spec["name"], tn, "no response schema found" if bad is None else
                                 ", ".join("%s (%s)" % b for b in bad)))
    print("%d tables with problems" % n)
