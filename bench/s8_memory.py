#!/usr/bin/env python3
"""Where the memory of an S8 sync is: run beside `bench/bench.py --s8-sweep`
against the same cluster (inside the bench namespace, e.g. with KEEP=1
bench/run ...).  It finds the backend running cq_fdw.create_snapshot,
samples its RssAnon every 0.1 s and, every PERIOD seconds, has it log its
memory contexts (pg_log_backend_memory_contexts: PostgreSQL's side).  At
the end it prints the RssAnon peak and, with --log, the grand total of the
last context dump and the contexts that differ most from a previous run's
(--compare PID).

  bench/s8_memory.py --host /tmp/cq_bench.X/sock --period 5 --log /tmp/cq_bench.X/postgres.log

--gdb-malloc-stats also calls malloc_stats() in the backend through gdb at
each dump (glibc's per-arena system/in-use bytes, written to the server
log).  It stops the process for the call and once hung the backend for
good (an arena lock taken while the process was stopped): measurement
only, on a throwaway cluster.
"""
import argparse
import collections
import os
import re
import subprocess
import sys
import time


def sql(a, q):
    return subprocess.run(["psql", "-h", a.host, "-p", a.port, "-U", a.user, "-d", a.dbname, "-XAtc", q],
                          capture_output=True, text=True).stdout.strip()


def contexts(log, pid):
    """{context: total bytes} of the last memory context dump of pid."""
    dumps, cur = [], None
    with open(log, errors="replace") as f:
        for line in f:
            if "[%s] LOG:  logging memory contexts" % pid in line:
                cur = collections.Counter()
                dumps.append(cur)
                continue
            if cur is None:
                continue
            m = re.search(r"\[%s\] LOG:  level: (\d+); ([^:]+): (\d+) total" % pid, line)
            if m:
                cur["%s %s" % (m.group(1), m.group(2))] += int(m.group(3))
            m = re.search(r"\[%s\] LOG:  Grand total: (\d+)" % pid, line)
            if m:
                cur["Grand total"] = int(m.group(1))
    return dumps[-1] if dumps else collections.Counter()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--host", required=True)
    ap.add_argument("--port", default="5432")
    ap.add_argument("--user", default="postgres")
    ap.add_argument("--dbname", default="cqbench")
    ap.add_argument("--period", type=float, default=5.0)
    ap.add_argument("--wait", type=float, default=120.0, help="seconds to wait for the sync to start")
    ap.add_argument("--log", help="the server log (to read the context dumps back)")
    ap.add_argument("--compare", help="pid of an earlier run in the same log: print the differences")
    ap.add_argument("--gdb-malloc-stats", action="store_true")
    a = ap.parse_args()
    t0, pid = time.time(), None
    while time.time() - t0 < a.wait and not pid:
        out = sql(a, "SELECT pid FROM pg_stat_activity WHERE query LIKE '%create_snapshot%' "
                     "AND pid <> pg_backend_pid() LIMIT 1")
        pid = int(out) if out else None
        time.sleep(0.05)
    if not pid:
        sys.exit("no backend running create_snapshot")
    print("pid %d" % pid, flush=True)
    peak, last = 0, time.time()
    while True:
        kv = {}
        try:
            with open("/proc/%d/status" % pid) as f:
                for line in f:
                    k, _, v = line.partition(":")
                    if k in ("RssAnon", "RssFile"):
                        kv[k] = int(v.split()[0])
        except OSError:
            break
        if "RssAnon" not in kv:
            break
        peak = max(peak, kv["RssAnon"])
        if time.time() - last >= a.period:
            last = time.time()
            sql(a, "SELECT pg_log_backend_memory_contexts(%d)" % pid)
            if a.gdb_malloc_stats:
                time.sleep(0.3)
                subprocess.run(["gdb", "-p", str(pid), "-batch", "-ex", "call (void)malloc_stats()"],
                               capture_output=True, timeout=60)
            print("t=%.1f s RssAnon %d kB (peak %d kB)" % (time.time() - t0, kv["RssAnon"], peak), flush=True)
        time.sleep(0.1)
    print("peak RssAnon %d kB" % peak)
    if a.log:
        cur = contexts(a.log, pid)
        print("memory contexts at the last dump: %d bytes" % cur["Grand total"])
        if a.compare:
            old = contexts(a.log, a.compare)
            for k in sorted(set(old) | set(cur), key=lambda k: -abs(cur[k] - old[k]))[:15]:
                if cur[k] != old[k]:
                    print("%+10d  %10d -> %10d  %s" % (cur[k] - old[k], old[k], cur[k], k))
    return 0


if __name__ == "__main__":
    sys.exit(main())
