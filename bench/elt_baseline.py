#!/usr/bin/python3
"""elt_baseline.py -- what a typical ELT script does today: fetch every page
one at a time with urllib (following Link / nextPageToken as the API gives
them, accounts one after another), turn the items into typed CSV, then load
them with one COPY ... FROM STDIN through psql.

  elt_baseline.py --url URL [--accounts N] --style link|next_token
                  --table TABLE -- PSQL_ARGV...

URL may contain {account}, replaced by 1..N.  Prints "rows=R requests=Q
fetch_s=F load_s=L" on stdout; exit status 0 on success.  The caller times
the whole process (python start-up included, a few tens of ms).
"""
import argparse
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import richrows  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", required=True)
    ap.add_argument("--accounts", type=int, default=0)
    ap.add_argument("--style", choices=("link", "next_token"), required=True)
    ap.add_argument("--table", required=True)
    ap.add_argument("psql", nargs=argparse.REMAINDER)
    a = ap.parse_args()
    psql = [x for x in a.psql if x != "--"]

    t0 = time.monotonic()
    fanout = a.accounts > 0
    items = []
    nreq = 0
    for acct in (range(1, a.accounts + 1) if fanout else [None]):
        url = a.url.replace("{account}", str(acct)) if fanout else a.url
        got, n = richrows.fetch_sequential(url, a.style)
        items.extend(got)
        nreq += n
    data = richrows.csv_text(items, fanout)
    t1 = time.monotonic()
    p = subprocess.run(psql + ["-X", "-q", "-v", "ON_ERROR_STOP=1", "-c",
                               "COPY %s FROM STDIN (FORMAT csv)" % a.table],
                       input=data.encode("utf-8"), stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT)
    t2 = time.monotonic()
    if p.returncode != 0:
        sys.stderr.write(p.stdout.decode("utf-8", "replace"))
        return 1
    print("rows=%d requests=%d fetch_s=%.3f load_s=%.3f" % (len(items), nreq, t1 - t0, t2 - t1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
