#!/usr/bin/python3
"""Helper of sql/aws_hydrate.sql: the requests the mock's /aws-api served
since the last call, by operation (the mock's name for it: ListBuckets,
GetCallerIdentity; a bucket detail call by its query string) and status,
each with the region its signature was for and whether it held; then
resets the mock's log."""
import json
import re
import sys
import urllib.request

base = sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:18080"
with urllib.request.urlopen(base + "/_mock/requests?route=/aws-api") as r:
    reqs = json.load(r)["requests"]
counts = {}
for q in reqs:
    sv = q.get("sigv4") or {}
    path, _, qs = q["path"].partition("?")
    path = path[len("/aws-api"):] or "/"
    if re.fullmatch(r"/bucket-\d+/?", path):
        op = "bucket ?" + qs.split("&")[0].split("=")[0]
    elif q["method"] == "GET" and path == "/":
        op = "ListBuckets"
    else:
        op = sv.get("operation") or path
    k = "%s %d %s%s" % (op, q["status"], sv.get("region"), "" if sv.get("ok") else " UNSIGNED")
    counts[k] = counts.get(k, 0) + 1
print("; ".join("%s x%d" % kv for kv in sorted(counts.items())) or "no requests")
urllib.request.urlopen(base + "/_mock/reset").read()
