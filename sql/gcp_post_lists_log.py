#!/usr/bin/python3
"""Helper of sql/gcp_post_lists.sql: the requests the mock served under
/gpost/ since the last call, by method and operation (aggregated list,
listManagedInstances, listInstances), with their status; then resets the
mock's log."""
import json
import re
import sys
import urllib.request

base = sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:18080"
with urllib.request.urlopen(base + "/_mock/requests?route=/gpost/") as r:
    reqs = json.load(r)["requests"]
counts = {}
for q in reqs:
    p = q["path"].split("?")[0]
    op = p.rsplit("/", 1)[-1] if re.search(r"/list[A-Z]\w*$", p) else \
        "aggregated " + p.rsplit("/", 1)[-1] if "/aggregated/" in p else p
    k = "%s %s %d" % (q["method"], op, q["status"])
    counts[k] = counts.get(k, 0) + 1
print("; ".join("%s x%d" % kv for kv in sorted(counts.items())) or "no requests")
urllib.request.urlopen(base + "/_mock/reset").read()
