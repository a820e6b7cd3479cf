#!/usr/bin/python3
"""Helper of sql/aws_engine.sql: the requests the mock served under /aws-api
since the last call, counted per (region, service, operation, HTTP status,
signature verified), sorted; then resets the mock's log."""
import collections
import json
import sys
import urllib.request

base = sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:18080"
with urllib.request.urlopen(base + "/_mock/requests?route=/aws-api") as r:
    reqs = json.load(r)["requests"]
c = collections.Counter((q["sigv4"].get("region") or "-", q["sigv4"].get("service") or "-",
                         q["sigv4"].get("operation") or "-", q["status"],
                         "signed" if q["sigv4"].get("ok") else "UNSIGNED") for q in reqs)
for k, n in sorted(c.items()):
    print(*k, "x%d" % n)
if not c:
    print("(no request)")
urllib.request.urlopen(base + "/_mock/reset").read()
