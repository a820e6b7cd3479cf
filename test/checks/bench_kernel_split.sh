#!/usr/bin/env bash
#
# test/checks/bench_kernel_split.sh -- bench.py's split of the backend main
# thread's kernel samples by call chain (issue 16): PostgreSQL's own heap
# and WAL writes (COPY pays them too), the session's start and exit, and
# the rest (ours: waits, wake-ups, page faults of our code).  The targets
# table keeps met/missed on the raw share of cq_fdw's statements, prints
# the split beside it and COPY's main thread of the same run, and never
# judges COPY.  No cluster, no perf: call chains and profile figures are
# given.

set -u
TOP=$(cd "$(dirname "$0")/../.." && pwd)
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

/usr/bin/python3 - "$TOP/bench" "$TMP" <<'PY'
import sys, types
sys.path.insert(0, sys.argv[1])
import bench

fail = []
def check(chain, want):
    got = bench.main_kernel_cause(chain)
    if got[0] != want[0] or (want[1] and got[1] != want[1]):
        fail.append("%s -> %s, want %s" % (" < ".join(chain), got, want))

# leaf first, as perf script prints a call chain
check(["pvm_irq_enable", "exc_page_fault", "asm_exc_page_fault", "XLogInsertRecord", "XLogInsert",
       "heap_insert", "standard_ExecutorRun", "ExecRefreshMatView", "PostgresMain"], ("pg_writes", None))
check(["copy_folio_from_iter_atomic", "__x64_sys_pwrite64", "entry_SYSCALL_64_after_hwframe", "__libc_pwrite",
       "mdextend", "smgrextend", "ReadBufferExtended", "RelationGetBufferForTuple", "heap_multi_insert",
       "CopyFrom", "PostgresMain"], ("pg_writes", None))
check(["pvm_irq_enable", "do_syscall_64", "entry_SYSCALL_64_after_hwframe", "_Fork"], ("session", None))
check(["next_uptodate_folio", "asm_exc_page_fault", "hash_search_with_hash_value", "InitPostgres",
       "PostgresMain", "PostmasterMain"], ("session", None))
check(["pvm_irq_enable", "__x64_sys_epoll_wait", "entry_SYSCALL_64_after_hwframe", "epoll_wait",
       "WaitEventSetWait", "cqIterateForeignScan", "ExecScan", "PostgresMain"], ("ours", "sleep (epoll_wait)"))
check(["pvm_irq_enable", "__x64_sys_epoll_create1", "entry_SYSCALL_64_after_hwframe", "epoll_create1",
       "WaitLatchOrSocket", "cqIterateForeignScan", "PostgresMain"],
      ("ours", "wait set build (epoll_create1/epoll_ctl)"))
check(["pvm_irq_enable", "__x64_sys_sendto", "entry_SYSCALL_64_after_hwframe", "__send"],
      ("ours", "I/O thread wake-up (send)"))
check(["pvm_irq_enable", "__x64_sys_futex", "entry_SYSCALL_64_after_hwframe", "__GI___lll_lock_wait",
       "cqIterateForeignScan", "PostgresMain"], ("ours", "mutex (futex)"))
check(["clear_page", "asm_exc_page_fault", "_bt_checkpage", "btgettuple", "index_getnext_slot",
       "systable_getnext", "SearchCatCache1", "PostgresMain"], ("session", "catalog lookups and parsing"))
check(["clear_page", "asm_exc_page_fault", "palloc", "scalar_datum", "cqfdw_convert", "cqIterateForeignScan",
       "PostgresMain"], ("ours", "page faults"))

# the targets row: raw figures judge cq_fdw's statements only
def prof(raw, pgw, ses, ours, causes):
    return {"secs": 1.0, "idle_pct": 0, "backend_pct": 50, "main_pct": 30, "workers_pct": 60, "io_pct": 10,
            "main_kernel_pct": raw, "main_kernel_pg_writes_pct": pgw, "main_kernel_session_pct": ses,
            "main_kernel_ours_pct": ours, "main_kernel_causes": causes}
a = types.SimpleNamespace(workdir=sys.argv[2] + "/w", out=sys.argv[2] + "/o", pghost="x", pgport=1,
                          pguser="u", dbname="d")
b = bench.Bench(a)
b.memory_budget = None
b.prof = {"count_t": prof(8.0, 0.0, 1.0, 7.0, [("sleep (epoll_wait)", 5.0)]),
          "refresh": prof(9.5, 8.0, 0.5, 1.0, [("mutex (futex)", 0.6)]),
          "copy": prof(21.9, 20.0, 0.4, 1.5, [("page faults", 1.5)])}
row = [r for r in b.targets() if r[0].startswith("backend main thread kernel time")][0]
if row[2] != "met":
    fail.append("COPY's 21.9%% judged with cq_fdw's (%s)" % row[2])
for want in ("count_t 8.0%", "refresh 9.5% (PostgreSQL's heap/WAL writes 8.0%", "session start/exit/catalog 0.5%", "the rest (ours) 1.0%",
             "COPY (same run): copy 21.9% (PostgreSQL's heap/WAL writes 20.0%", "sleep (epoll_wait) 5.0%"):
    if want not in row[1]:
        fail.append("targets row lacks %r: %s" % (want, row[1]))
b.prof["refresh"] = prof(45.0, 39.0, 0.4, 5.6, [])
row = [r for r in b.targets() if r[0].startswith("backend main thread kernel time")][0]
if row[2] != "missed":
    fail.append("raw 45%% judged %s, want missed (met/missed stays on the raw share)" % row[2])
for f in fail:
    print("FAIL bench_kernel_split: " + f)
if not fail:
    print("PASS bench_kernel_split")
sys.exit(1 if fail else 0)
PY
