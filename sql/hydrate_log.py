#!/usr/bin/python3
"""Helper of sql/hydrate.sql: the requests the mock served under /hyd/ since
the last call, counted by kind -- list pages, repository details, branch
protections -- with the most detail calls in flight at once; then resets
the mock's log."""
import json
import sys
import urllib.request

base = sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:18080"
with urllib.request.urlopen(base + "/_mock/requests?route=/hyd/") as r:
    reqs = json.load(r)["requests"]


def kind(path):
    p = path.split("?")[0]
    if "/orgs/" in p:
        return "list"
    return "protection" if p.endswith("/protection") else "details"


counts = {k: 0 for k in ("list", "details", "protection")}
for q in reqs:
    counts[kind(q["path"])] += 1
print(" ".join("%s=%d" % kv for kv in counts.items()))
urllib.request.urlopen(base + "/_mock/reset").read()
