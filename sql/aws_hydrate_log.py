#!/usr/bin/python3
"""Helper of sql/aws_hydrate.sql: the S3 requests the mock's /aws-api served
since the last call, by operation (ListBuckets, or the bucket detail call
named by its query string) and status, with the region each was signed
for; then resets the mock's log."""
import json
import re
import sys
import urllib.request

base = sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:18080"
with urllib.request.urlopen(base + "/_mock/requests?route=/aws-api") as r:
    reqs = json.load(r)["requests"]
counts = {}
for q in reqs:
    path, _, qs = q["path"].partition("?")
    path = path[len("/aws-api"):] or "/"
    op = "ListBuckets" if path == "/" else "%s ?%s" % ("bucket" if re.fullmatch(r"/bucket-\d+/?", path) else path,
                                                       qs.split("&")[0].split("=")[0])
    k = "%s %d" % (op, q["status"])
    counts[k] = counts.get(k, 0) + 1
print("; ".join("%s x%d" % kv for kv in sorted(counts.items())) or "no requests")
urllib.request.urlopen(base + "/_mock/reset").read()
