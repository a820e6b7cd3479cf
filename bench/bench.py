#!/usr/bin/python3
"""bench.py -- cq_fdw benchmark harness (issue 7).  Normally started by
bench/run, which provides the namespace, the cluster and the mock API.

  bench.py --pghost DIR --pgport N --mock URL --workdir DIR --out DIR
           [--smoke] [--runs 3] [--scenarios S1,S2,S3,S4] [--no-baseline]
           [--baseline-runs-slow 1] [--memory-rows 1000000] [--cancel-runs 5]
           [--no-memory] [--no-cancel] [--profile] [--readme FILE]

Method (what is timed, what is not):
  - Every SQL method runs in its own fresh psql session (one backend per
    run).  Untimed set-up (CHECKPOINT and sync(2) of what the previous
    method wrote, TRUNCATE) comes first; the statement is timed by
    psql's \\timing (client-side wall time of that one statement: no
    connection set-up, no psql start-up).  Then, still in the same session,
    the backend's /proc/<pid>/status (VmHWM = peak RSS of the backend since
    it started) is read and the row count is checked.  A thread also samples
    RssAnon every 20 ms while the statement runs (peak private memory).
  - The ELT baseline is an external process (elt_baseline.py): its wall time
    from spawn to exit, python start-up and the COPY's psql included.
  - "ideal" is computed, not measured: max(requests x latency / concurrency,
    longest page chain x latency) -- pages of one collection are sequential
    (each page names the next).  Undefined (-) without added latency.
  - Runs are interleaved (run 1 of every method, then run 2, ...) so slow
    drift of the machine spreads over all methods.  Median, min and max of
    the runs are reported; nothing is subtracted.
  - The local files (CSV, JSON array) are produced once per scenario by
    fetching every page from the mock (that also warms the mock's page
    cache, so every method is served warm pages).

Exit status: 0 if every method of every run produced the expected number of
rows (and, with --smoke, nothing else is asserted), 1 otherwise.
"""
import argparse
import collections
import concurrent.futures
import datetime
import hashlib
import json
import math
import os
import platform
import re
import signal
import statistics
import subprocess
import sys
import threading
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import richrows  # noqa: E402

# name, description, style, accounts (0 = none), items per collection,
# per_page, latency_ms
FULL = [
    ("S1", "100,000 rich items, 100/page, Link header, no latency", "link", 0, 100000, 100, 0),
    ("S2", "20,000 items, 50 ms/request, Link header", "link", 0, 20000, 100, 50),
    ("S3", "200 accounts x 500 items, 50 ms/request, next-token, fan-out", "next_token", 200, 500, 100, 50),
    ("S4", "10,000 accounts x 10 items, 20 ms/request", "next_token", 10000, 10, 100, 20),
    ("S5", "100,000 EC2 instances: aws source's aws_ec2_instances (DescribeInstances XML, SigV4) against the "
     "mock's /aws-api, 10 regions x 10,000, 1,000 per page (next token), no latency", "aws", 10, 10000, 1000, 0),
    ("S6", "2,000 GitHub-shaped repositories (github source's github_repositories against the mock's /hyd/): "
     "the list in 20 pages of 100 without latency, and a detail call (GET /repos/{owner}/{repo}) per row at "
     "50 ms, made only when a detail column is read", "hydrate", 0, 2000, 100, 50),
]
SMOKE = [
    ("S1", "2,000 rich items, 100/page, Link header", "link", 0, 2000, 100, 0),
    ("S2", "500 items, 5 ms/request, Link header", "link", 0, 500, 100, 5),
    ("S3", "5 accounts x 120 items, 50/page, 5 ms/request, next-token, fan-out", "next_token", 5, 120, 50, 5),
    ("S4", "50 accounts x 10 items, 2 ms/request", "next_token", 50, 10, 100, 2),
    ("S5", "2,000 EC2 instances (DescribeInstances XML), 2 regions x 1,000, 100 per page", "aws", 2, 1000, 100, 0),
    ("S6", "100 GitHub-shaped repositories, a detail call per row at 5 ms when a detail column is read",
     "hydrate", 0, 100, 100, 5),
]

M_COPY = "COPY from local CSV (floor)"
M_JSONB = "jsonb_to_recordset, local JSON (floor)"
M_COUNT = "cq_fdw SELECT count(*)"
M_ALLCOLS = "cq_fdw SELECT count(t) (all columns)"
M_REFRESH = "cq_fdw REFRESH MATERIALIZED VIEW"
M_DETAIL = "cq_fdw SELECT count(detail column)"
M_ELT = "baseline: sequential fetch, then COPY"
M_IDEAL = "ideal (computed)"
CQ_METHODS = (M_COUNT, M_ALLCOLS, M_DETAIL, M_REFRESH)
METHOD_ORDER = (M_COPY, M_JSONB, M_COUNT, M_ALLCOLS, M_DETAIL, M_REFRESH, M_ELT, M_IDEAL)


# Main-thread kernel samples by call chain (perf_summary): PostgreSQL's own
# heap and WAL writes (COPY pays them too), the session's start and exit
# (fork, InitPostgres, loading libraries, proc_exit), and the rest (ours).
PG_WRITE_FRAMES = ("heap_insert", "heap_multi_insert", "XLogInsert", "XLogInsertRecord", "XLogFlush",
                   "XLogWrite", "XLogFileInit", "XLogBackgroundFlush", "RelationGetBufferForTuple",
                   "smgrextend", "smgrwrite", "smgrnblocks", "mdextend", "mdwrite", "FlushBuffer",
                   "smgrdounlinkall", "smgrDoPendingDeletes", "make_new_heap", "finish_heap_swap",
                   "DropRelFileNodesAllBuffers", "RecordTransactionCommit")
SESSION_FRAMES = ("InitPostgres", "InitPostmasterChild", "BaseInit", "_Fork", "__libc_fork", "ret_from_fork",
                  "ret_from_fork_asm", "schedule_tail", "_dl_map_object", "dl_open_worker_begin",
                  "_dl_add_to_slotinfo", "_dl_catch_exception", "load_external_function", "_PG_init",
                  "proc_exit", "shmem_exit", "__run_exit_handlers", "_dl_call_fini", "BeginReportingGUCOptions")
# a fresh session's first statements: catalog lookups and parsing
# (PostgreSQL's, paid by any first statement, COPY's too)
CATALOG_FRAMES = ("systable_getnext", "SearchCatCache", "SearchCatCache1", "SearchCatCacheList",
                  "RelationIdGetRelation", "RelationBuildDesc", "RelnameGetRelid", "raw_parser",
                  "pg_parse_query", "pg_analyze_and_rewrite_fixedparams", "InitializeSessionUserId",
                  "RelationCacheInitializePhase3")


def main_kernel_cause(syms):
    """(group, cause) of a main-thread sample whose leaf is in the kernel;
    syms: the call chain's symbols, leaf first.  group is "pg_writes",
    "session" (its start and exit, its first catalog lookups and parsing)
    or "ours"; cause names the kernel entry and, for ours, the handshake
    it belongs to.  A chain perf could not unwind (libc or libcurl without
    frame pointers) counts as ours."""
    ss = set(syms)
    if ss.intersection(PG_WRITE_FRAMES):
        return "pg_writes", "heap/WAL writes"
    if ss.intersection(SESSION_FRAMES) or ("PostmasterMain" in ss and "PostgresMain" not in ss):
        return "session", "session start/exit"
    if ss.intersection(CATALOG_FRAMES):
        return "session", "catalog lookups and parsing"
    if "asm_exc_page_fault" in ss:
        return "ours", "page faults"
    if "epoll_wait" in ss or "__x64_sys_epoll_wait" in ss:
        return "ours", "sleep (epoll_wait)"
    if ss.intersection(("epoll_create1", "epoll_ctl", "__x64_sys_epoll_create1", "__x64_sys_epoll_ctl")):
        return "ours", "wait set build (epoll_create1/epoll_ctl)"
    if ss.intersection(("__x64_sys_futex", "__GI___lll_lock_wait", "__GI___lll_lock_wake")):
        return "ours", "mutex (futex)"
    if ss.intersection(("__x64_sys_sendto", "__send")):
        return "ours", "I/O thread wake-up (send)"
    if ss.intersection(("ksys_read", "__x64_sys_read", "read")) and "cqIterateForeignScan" in ss:
        return "ours", "eventfd read"
    if ss.intersection(("__x64_sys_close", "__close")):
        return "ours", "close"
    if ss.intersection(("__x64_sys_munmap", "__x64_sys_brk", "__do_sys_brk", "__x64_sys_madvise",
                        "ksys_mmap_pgoff")):
        return "ours", "mmap/munmap/brk/madvise"
    if "entry_SYSCALL_64_after_hwframe" in ss:
        return "ours", "other system calls"
    return "ours", "interrupts and other"


def perf_summary(data, pid):
    """Text summary of a system-wide `perf record -g` file: samples per
    process name, then per thread of backend PID (tid == pid is the main
    thread) the leaf DSOs and symbols, and the callers of the main thread's
    libjansson samples.  Parses `perf script` (no perf report sort keys,
    whose filters vary between perf versions).  Returns (text, stats):
    stats = idle_pct (swapper samples / all), backend_pct, main_pct /
    workers_pct / io_pct (shares of the backend's samples; the curl I/O
    thread is the one with most samples under libcurl), main_kernel_pct
    (main thread samples whose leaf is in the kernel)."""
    p = subprocess.run(["perf", "script", "-i", data, "-F", "comm,pid,tid,ip,sym,dso"],
                       stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    comm = collections.Counter()
    thr = collections.Counter()
    dso = collections.defaultdict(collections.Counter)
    sym = collections.defaultdict(collections.Counter)
    jcall = collections.Counter()
    curl = collections.Counter()
    kcause = collections.Counter()     # main thread, leaf in the kernel: (group, cause)
    total = 0

    def frame(line):            # "ip sym+off (dso)" -> (sym, dso)
        parts = line.split(None, 1)
        rest = parts[1] if len(parts) > 1 else ""
        d = rest[rest.rfind("(") + 1:-1] if rest.endswith(")") else "?"
        sy = rest[:rest.rfind("(")].strip() if "(" in rest else rest
        sy = re.sub(r"\+0x[0-9a-f]+$", "", sy)
        return sy, os.path.basename(d)

    def flush(hdr, frames):
        nonlocal total
        if not hdr:
            return
        total += 1
        comm[hdr[0]] += 1
        if hdr[1] != pid or not frames:
            return
        tid = hdr[2]
        thr[tid] += 1
        sy, d = frame(frames[0])
        if any("libcurl" in frame(x)[1] for x in frames):
            curl[tid] += 1
        dso[tid][d] += 1
        sym[tid]["%s (%s)" % (sy, d)] += 1
        if tid == pid and ("kernel" in d or d.startswith("[k")):
            kcause[main_kernel_cause([frame(x)[0] for x in frames])] += 1
        if tid == pid and "jansson" in d:
            callers = [frame(x)[0] for x in frames if "jansson" not in frame(x)[1]][:3]
            jcall[" <- ".join(callers) or "?"] += 1
    hdr, frames = None, []
    for line in p.stdout.decode("utf-8", "replace").splitlines():
        if not line.strip():
            continue
        if not line[0].isspace():
            flush(hdr, frames)
            m = re.match(r"\s*(.*?)\s+(\d+)/(\d+)\s*$", line)
            hdr = (m.group(1), int(m.group(2)), int(m.group(3))) if m else None
            frames = []
        else:
            frames.append(line.strip())
    flush(hdr, frames)
    out = ["", "## samples by process name (all CPUs, %d samples)" % total]
    out += ["%6.1f%%  %s" % (100.0 * v / max(total, 1), k) for k, v in comm.most_common(8)]
    bt = sum(thr.values())
    out += ["", "## backend %s by thread (%d samples = %.1f%% of all)" % (pid, bt, 100.0 * bt / max(total, 1))]
    for tid, v in thr.most_common():
        out.append("%6.1f%%  tid %d%s" % (100.0 * v / max(bt, 1), tid, " (main thread)" if tid == pid else ""))
    for tid, v in thr.most_common(4):
        out += ["", "## tid %d%s: leaf DSO" % (tid, " (main)" if tid == pid else "")]
        out += ["%6.1f%%  %s" % (100.0 * c / v, k) for k, c in dso[tid].most_common(8)]
        out += ["", "## tid %d%s: leaf symbols" % (tid, " (main)" if tid == pid else "")]
        out += ["%6.1f%%  %s" % (100.0 * c / v, k) for k, c in sym[tid].most_common(15)]
    if jcall:
        n = sum(jcall.values())
        out += ["", "## main thread: callers of its libjansson samples (%d)" % n]
        out += ["%6.1f%%  %s" % (100.0 * c / n, k) for k, c in jcall.most_common(8)]
    bt = max(bt, 1)
    io = [t for t in thr if t != pid and curl[t] > 0.3 * thr[t]]
    io_tid = max(io, key=lambda t: curl[t]) if io else None
    mainn = thr.get(pid, 0)
    kern = sum(c for k, c in dso[pid].items() if "kernel" in k or k.startswith("[k"))
    stats = {"samples": total, "idle_pct": 100.0 * comm.get("swapper", 0) / max(total, 1),
             "backend_pct": 100.0 * sum(thr.values()) / max(total, 1),
             "main_pct": 100.0 * mainn / bt,
             "io_pct": 100.0 * thr.get(io_tid, 0) / bt if io_tid else 0.0,
             "main_kernel_pct": 100.0 * kern / max(mainn, 1)}
    stats["workers_pct"] = max(0.0, 100.0 - stats["main_pct"] - stats["io_pct"])
    for g in ("pg_writes", "session", "ours"):
        stats["main_kernel_%s_pct" % g] = 100.0 * sum(c for (gg, _), c in kcause.items() if gg == g) / max(mainn, 1)
    stats["main_kernel_causes"] = [(gc[1], 100.0 * c / max(mainn, 1)) for gc, c in kcause.most_common()
                                   if gc[0] == "ours"]
    if kcause:
        out += ["", "## main thread: kernel samples by call chain (%% of the main thread's %d samples)" % mainn]
        out += ["%6.1f%%  %s: %s" % (100.0 * c / max(mainn, 1), g, k) for (g, k), c in kcause.most_common()]
    out += ["", "## summary: CPUs idle %.1f%%, backend %.1f%% of all samples; of the backend: main thread %.1f%% "
            "(kernel %.1f%% of its samples: PostgreSQL's heap/WAL writes %.1f%%, session start/exit/catalog %.1f%%, "
            "the rest (ours) %.1f%%), parse workers %.1f%%, curl I/O thread %s %.1f%%" % (
                stats["idle_pct"], stats["backend_pct"], stats["main_pct"], stats["main_kernel_pct"],
                stats["main_kernel_pg_writes_pct"], stats["main_kernel_session_pct"], stats["main_kernel_ours_pct"],
                stats["workers_pct"], io_tid, stats["io_pct"])]
    return "\n".join(out) + "\n", stats


CLK_TCK = os.sysconf("SC_CLK_TCK")


def cpu_times():
    """(idle, total) ticks of all CPUs from /proc/stat (idle + iowait is
    idle), or None."""
    try:
        with open("/proc/stat") as f:
            v = [int(x) for x in f.readline().split()[1:]]
    except (OSError, ValueError):
        return None
    return v[3] + (v[4] if len(v) > 4 else 0), sum(v[:8])


def proc_cpu_ticks(pid):
    """utime + stime of a process (all its threads), in clock ticks, or None."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            st = f.read()
    except OSError:
        return None
    fields = st[st.rfind(")") + 2:].split()     # after "pid (comm) "
    return int(fields[11]) + int(fields[12])     # fields 14 and 15 of stat(5)


def log(msg):
    sys.stderr.write("[bench %s] %s\n" % (time.strftime("%H:%M:%S"), msg))
    sys.stderr.flush()


class Bench:
    def __init__(self, a):
        self.a = a
        self.psql = ["psql", "-h", a.pghost, "-p", str(a.pgport), "-U", a.pguser, "-d", a.dbname]
        self.results = {}           # (scenario, method) -> dict
        self.failures = []
        self.load0 = self.loadavg()
        self.date = datetime.datetime.now().strftime("%Y-%m-%d %H:%M")
        g = subprocess.run(["git", "-C", HERE, "describe", "--always", "--dirty"],
                           stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        self.commit = g.stdout.decode().strip() or None
        self.notes = []
        self.sample_interval = 0.02
        self.s8_runs = []
        os.makedirs(a.workdir, exist_ok=True)
        os.chmod(a.workdir, 0o755)
        os.makedirs(a.out, exist_ok=True)

    # ------------------------------------------------------------ psql
    def sql(self, script, db=None, check=True):
        """Run a script (untimed helper); returns stdout text."""
        argv = list(self.psql)
        if db:
            argv[-1] = db
        for _ in range(60):             # a crashed backend: wait out the recovery
            p = subprocess.run(argv + ["-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1"],
                               input=script.encode(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
            out = p.stdout.decode("utf-8", "replace")
            if p.returncode != 2 or "recovery mode" not in out and "starting up" not in out:
                break
            time.sleep(0.5)
        if check and p.returncode != 0:
            raise RuntimeError("psql failed:\n%s\n--- script:\n%s" % (out, script[:2000]))
        return out

    def timed(self, stmt, setup="", verify="", timeout=3600, on_pid=None, pidfile=None):
        """Run one timed statement in a fresh session.
        Returns dict(ms, out (statement output lines), verify (lines), hwm_kb,
        anon_peak_kb, warnings, error, cpu_s (backend), idle_pct (all CPUs,
        /proc/stat, while the backend was sampled))."""
        pidfile = pidfile or os.path.join(self.a.workdir, "backend.pid")
        try:
            os.unlink(pidfile)
        except FileNotFoundError:
            pass
        script = "\n".join([
            "\\set ON_ERROR_STOP 1",
            "SELECT pg_backend_pid() AS bpid \\gset",
            "\\setenv CQ_BPID :bpid",             # \\! does not interpolate variables
            "\\! echo $CQ_BPID > %s" % pidfile,
            setup,
            "\\echo @@T",
            "\\timing on",
            stmt + ";",
            "\\timing off",
            "\\echo @@S",
            "SELECT l FROM regexp_split_to_table(pg_read_file('/proc/self/status'), E'\\n') l"
            " WHERE l ~ '^(VmHWM|VmRSS|RssAnon):';",
            "\\echo @@V",
            verify + (";" if verify else ""),
            "",
        ])
        proc = subprocess.Popen(self.psql + ["-X", "-q", "-A", "-t"], stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        peak = [0]
        peaks = {"VmHWM": 0, "VmRSS": 0}    # sampled maxima (S8 reports them)
        cpu = {}                            # backend utime+stime ticks, first and last sample
        sysc = {}                           # /proc/stat (idle, total), first and last sample
        done = threading.Event()

        def sampler():
            pid = None
            while not done.is_set() and pid is None:
                try:
                    with open(pidfile) as f:
                        pid = int(f.read().strip())
                except (OSError, ValueError):
                    time.sleep(0.005)
            if pid is None:
                return
            if on_pid:
                on_pid(pid)
            while not done.is_set():
                try:
                    with open("/proc/%d/status" % pid) as f:
                        for line in f:
                            if line.startswith("RssAnon:"):
                                peak[0] = max(peak[0], int(line.split()[1]))
                            elif line.startswith(("VmHWM:", "VmRSS:")):
                                k = line.split(":", 1)[0]
                                peaks[k] = max(peaks[k], int(line.split()[1]))
                    t = proc_cpu_ticks(pid)
                    if t is not None:
                        cpu.setdefault("first", t)
                        cpu["last"] = t
                    c = cpu_times()
                    if c is not None:
                        sysc.setdefault("first", c)
                        sysc["last"] = c
                except OSError:
                    return
                done.wait(self.sample_interval)
        th = threading.Thread(target=sampler, daemon=True)
        th.start()
        try:
            out, _ = proc.communicate(script.encode(), timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, _ = proc.communicate()
        done.set()
        th.join()
        text = out.decode("utf-8", "replace")
        r = {"ms": None, "out": [], "verify": [], "hwm_kb": None, "anon_peak_kb": peak[0] or None,
             "hwm_sampled_kb": peaks["VmHWM"] or None, "rss_peak_kb": peaks["VmRSS"] or None,
             "cpu_s": ((cpu["last"] - cpu["first"]) / CLK_TCK) if cpu else None,
             "idle_pct": (100.0 * (sysc["last"][0] - sysc["first"][0]) / (sysc["last"][1] - sysc["first"][1]))
             if sysc and sysc["last"][1] > sysc["first"][1] else None,
             "warnings": [], "error": None, "rc": proc.returncode, "text": text}
        sect = None
        for line in text.splitlines():
            if line in ("@@T", "@@S", "@@V"):
                sect = line
                continue
            m = re.match(r"Time: ([0-9.]+) ms", line)
            if m and sect == "@@T":
                r["ms"] = float(m.group(1))
            elif "WARNING:" in line:
                r["warnings"].append(line)
            elif "ERROR:" in line:
                r["error"] = line
            elif sect == "@@T":
                r["out"].append(line)
            elif sect == "@@S":
                m = re.match(r"VmHWM:\s+(\d+)", line)
                if m:
                    r["hwm_kb"] = int(m.group(1))
            elif sect == "@@V":
                r["verify"].append(line)
        if proc.returncode != 0 and not r["error"]:
            r["error"] = "psql exit %s: %s" % (proc.returncode, text[-500:])
        return r

    # ------------------------------------------------------------ set-up
    def setup_db(self):
        db = self.a.dbname
        exists = self.sql("SELECT 1 FROM pg_database WHERE datname = '%s'" % db, db="postgres").strip()
        if exists and self.a.recreate_db:
            self.sql("DROP DATABASE %s" % db, db="postgres")
            exists = ""
        if not exists:
            self.sql("CREATE DATABASE %s" % db, db="postgres")
        self.sql("""
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS cq_fdw;
DROP SERVER IF EXISTS bench CASCADE;
CREATE SERVER bench FOREIGN DATA WRAPPER cq_fdw OPTIONS (source 'rest', base_url '%s');
""" % self.a.mock)
        out = self.sql("LOAD 'cq_fdw';\nSHOW cq_fdw.concurrency;\nSHOW cq_fdw.memory_budget;\n"
                       "SHOW cq_fdw.workers;\nSHOW cq_fdw.batch_rows;\nSELECT version();\n"
                       "SHOW shared_buffers;\nSHOW max_parallel_workers_per_gather;\nSHOW jit;").splitlines()
        self.concurrency = int(out[0])
        self.memory_budget = out[1]
        self.settings = {"cq_fdw.concurrency": out[0], "cq_fdw.memory_budget": out[1],
                         "cq_fdw.workers": out[2], "cq_fdw.batch_rows": out[3],
                         "shared_buffers": out[5], "jit": out[7]}
        self.pgversion = out[4]

    def first_scan(self):
        """Cost of the first cq_fdw scan in a fresh backend (library load,
        source registry, thread start) vs the next one: a 1-page table of 5
        small items, 3 fresh sessions."""
        self.sql("""SET client_min_messages = warning;
DROP FOREIGN TABLE IF EXISTS ft_one;
CREATE FOREIGN TABLE ft_one (id bigint) SERVER bench
    OPTIONS (endpoint '/gen/link/%s_one?n=5&shape=small', pagination 'link_header');""" % self.a.route_prefix)
        firsts, seconds = [], []
        for _ in range(3):
            out = self.sql("\\timing on\nSELECT count(*) FROM ft_one;\nSELECT count(*) FROM ft_one;")
            t = [float(x) for x in re.findall(r"Time: ([0-9.]+) ms", out)]
            if len(t) == 2:
                firsts.append(t[0])
                seconds.append(t[1])
        if firsts:
            self.notes.append("First cq_fdw scan in a fresh backend (1 page, 5 items): median %.1f ms "
                              "(%s); the next scan in the same backend: median %.1f ms. Every timed cq_fdw "
                              "run above is the first scan of a fresh backend, so it includes this." % (
                                  statistics.median(firsts), ", ".join("%.0f" % x for x in firsts),
                                  statistics.median(seconds)))
            log(self.notes[-1])

    @staticmethod
    def endpoint(sc, route_prefix):
        name, _, style, accounts, n, per_page, lat = sc
        q = "n=%d&per_page=%d&latency_ms=%d&shape=rich" % (n, per_page, lat)
        if accounts:
            return "/accounts/{account}/%s_%s?%s" % (route_prefix, name.lower(), q)
        return "/gen/link/%s_%s?%s" % (route_prefix, name.lower(), q)

    def where(self, sc):
        # A constant array, not ARRAY(SELECT generate_series(...)): as the
        # top node of a REFRESH plan, the ForeignScan carries that initplan
        # itself and cq_fdw (scan.c, extParam check) starts the job before
        # the initplan is set up -- reported; see README.
        if not sc[3]:
            return ""
        return "WHERE account = ANY ('{%s}'::integer[])" % ",".join(str(k) for k in range(1, sc[3] + 1))

    def create_tables(self, sc):
        s = sc[0].lower()
        fan = sc[3] > 0
        opts = "endpoint '%s'" % self.endpoint(sc, self.a.route_prefix)
        if fan:
            opts += ", rows '/items', pagination 'next_token', next '/nextPageToken', next_param 'pageToken'"
        else:
            opts += ", pagination 'link_header'"
        self.sql("""
SET client_min_messages = warning;
DROP FOREIGN TABLE IF EXISTS ft_{s} CASCADE;
DROP TABLE IF EXISTS copy_{s}, jt_{s}, elt_{s};
CREATE FOREIGN TABLE ft_{s} (
    {fcols}
) SERVER bench OPTIONS ({opts});
CREATE MATERIALIZED VIEW mv_{s} AS SELECT * FROM ft_{s} {where} WITH NO DATA;
CREATE TABLE copy_{s} (
    {cols}
);
CREATE TABLE jt_{s} (LIKE copy_{s});
CREATE TABLE elt_{s} (LIKE copy_{s});
""".format(s=s, fcols=richrows.column_ddl(fan, True), cols=richrows.column_ddl(fan, False),
           opts=opts, where=self.where(sc)))

    # ------------------------------------------------------------ floors' files
    def produce_files(self, sc):
        """Fetch every page (parallel, warms the mock), write <s>.csv and
        <s>.json (one JSON array of all items) into the work directory."""
        name, _, style, accounts, n, per_page, lat = sc
        base = self.a.mock + self.endpoint(sc, self.a.route_prefix)
        t0 = time.monotonic()
        pages = max(1, math.ceil(n / per_page))
        if accounts:
            units = [base.replace("{account}", str(k)) for k in range(1, accounts + 1)]
            with concurrent.futures.ThreadPoolExecutor(32) as ex:
                parts = list(ex.map(lambda u: richrows.fetch_sequential(u, "next_token")[0], units))
        else:
            urls = [base + "&page=%d" % k for k in range(1, pages + 1)]

            def get(u):
                with urllib.request.urlopen(u, timeout=300) as r:
                    return json.loads(r.read())
            with concurrent.futures.ThreadPoolExecutor(16) as ex:
                parts = list(ex.map(get, urls))
        items = [it for p in parts for it in p]
        bad = sum(richrows.sanitize(it) for it in items)
        if bad:
            self.notes.append("%s: %d inet/cidr values of the mock's items are invalid for PostgreSQL "
                              "(e.g. IPv6 \"2001:db8::10000\" for ids >= 65536): the floors load them as NULL, "
                              "as cq_fdw does (with a WARNING)" % (name, bad))
            log(self.notes[-1])
        s = name.lower()
        csvp = os.path.join(self.a.workdir, s + ".csv")
        jsonp = os.path.join(self.a.workdir, s + ".json")
        with open(csvp, "w", encoding="utf-8") as f:
            f.write(richrows.csv_text(items, accounts > 0))
        with open(jsonp, "w", encoding="utf-8") as f:
            json.dump(items, f, ensure_ascii=False, separators=(",", ":"))
        for p in (csvp, jsonp):
            os.chmod(p, 0o644)
        log("%s: %d rows fetched for the local files in %.1f s (CSV %.1f MB, JSON %.1f MB)" % (
            name, len(items), time.monotonic() - t0, os.path.getsize(csvp) / 1e6, os.path.getsize(jsonp) / 1e6))
        return len(items), csvp, jsonp

    def jsonb_sql(self, sc, jsonp):
        s = sc[0].lower()
        fan = sc[3] > 0
        return """INSERT INTO jt_{s} SELECT {acct}x.id, x.uuid, x.name, x.created_at,
    to_timestamp(x.updated_ms / 1000.0), x.price, x.score, x.ipv4, x.ipv6, x.cidr, x.mac, x.tags,
    (x.nic->>'mac')::macaddr,
    ARRAY(SELECT (e->>'ip')::inet FROM jsonb_array_elements(x.networks) e),
    ARRAY(SELECT (e->>'prefix')::cidr FROM jsonb_array_elements(x.networks) e),
    x.meta, x.nullable, x.active, x.big_id, x.duration, decode(x.blob, 'base64'), x.description
  FROM jsonb_to_recordset(pg_read_file('{path}')::jsonb) AS x({acctdef}id bigint, uuid uuid,
    name text, created_at timestamptz, updated_ms bigint, price numeric, score double precision,
    ipv4 inet, ipv6 inet, cidr cidr, mac macaddr, tags text[], nic jsonb, networks jsonb,
    meta jsonb, nullable text, active boolean, big_id numeric, duration interval, blob text,
    description text)""".format(s=s, path=jsonp, acct="x.account, " if fan else "",
                                acctdef="account integer, " if fan else "")

    # ------------------------------------------------------------ scenarios
    def record(self, sc, method, r, rows_expected, rows_got, secs):
        key = (sc[0], method)
        e = self.results.setdefault(key, {"times": [], "hwm_kb": [], "anon_kb": [], "warnings": [],
                                          "errors": [], "rows": rows_expected, "idle_pct": [], "cpu_s": []})
        ok = r.get("error") is None and rows_got == rows_expected
        if ok:
            e["times"].append(secs)
        else:
            msg = "%s %s: expected %s rows, got %s; %s" % (sc[0], method, rows_expected, rows_got,
                                                            r.get("error") or "")
            e["errors"].append(msg)
            self.failures.append(msg)
            log("FAIL " + msg)
        if r.get("hwm_kb"):
            e["hwm_kb"].append(r["hwm_kb"])
        if ok and r.get("idle_pct") is not None:
            e.setdefault("idle_pct", []).append(r["idle_pct"])
        if ok and r.get("cpu_s") is not None:
            e.setdefault("cpu_s", []).append(r["cpu_s"])
        if r.get("anon_peak_kb"):
            e["anon_kb"].append(r["anon_peak_kb"])
        for w in r.get("warnings", [])[:5]:
            if w not in e["warnings"]:
                e["warnings"].append(w)
        log("%s %-42s %s rows %8.3f s  hwm %s MB%s" % (
            sc[0], method, rows_got, secs if secs is not None else float("nan"),
            "%.0f" % (r["hwm_kb"] / 1024) if r.get("hwm_kb") else "-",
            ("  (%d warnings)" % len(r["warnings"])) if r.get("warnings") else ""))

    @staticmethod
    def count_of(lines):
        for line in lines:
            if line.strip().isdigit():
                return int(line.strip())
        return None

    def run_sql_method(self, sc, method, stmt, setup, verify, nrows):
        self.sql("SELECT 1", check=False)     # waits out a crash recovery, if any
        # Untimed, before every method alike: write out what the previous
        # method left dirty (its heap, the MV's old heap, WAL) and let the
        # kernel write it back, so that no method pays for another's writes
        # (COPY's own spread was 25% on an idle machine without this).
        self.sql("CHECKPOINT", check=False)
        os.sync()
        r = self.timed(stmt, setup=setup, verify=verify)
        got = self.count_of(r["verify"] if verify else r["out"])
        self.record(sc, method, r, nrows, got, (r["ms"] or 0) / 1000.0 if r["ms"] is not None else None)

    def run_baseline(self, sc, nrows):
        name, _, style, accounts, *_ = sc
        s = name.lower()
        try:
            self.sql("TRUNCATE elt_%s" % s)
        except RuntimeError as ex:
            self.record(sc, M_ELT, {"error": str(ex)[:300]}, nrows, None, None)
            return
        argv = [sys.executable, os.path.join(HERE, "elt_baseline.py"),
                "--url", self.a.mock + self.endpoint(sc, self.a.route_prefix),
                "--accounts", str(accounts), "--style", style, "--table", "elt_" + s, "--"] + self.psql
        t0 = time.monotonic()
        p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        secs = time.monotonic() - t0
        out = p.stdout.decode("utf-8", "replace")
        got = self.count_of(self.sql("SELECT count(*) FROM elt_%s" % s, check=False).splitlines())
        r = {"error": None if p.returncode == 0 else out[-500:]}
        self.record(sc, M_ELT, r, nrows, got, secs)

    def scenario(self, sc):
        name, desc, style, accounts, n, per_page, lat = sc
        s = name.lower()
        log("=== %s: %s" % (name, desc))
        self.create_tables(sc)
        nrows, csvp, jsonp = self.produce_files(sc)
        expect = (accounts or 1) * n
        if nrows != expect:
            self.failures.append("%s: the mock served %d rows, expected %d" % (name, nrows, expect))
        where = self.where(sc)
        methods = [
            (M_COPY, "COPY copy_%s FROM '%s' (FORMAT csv)" % (s, csvp), "TRUNCATE copy_%s;" % s,
             "SELECT count(*) FROM copy_%s" % s),
            (M_JSONB, self.jsonb_sql(sc, jsonp), "TRUNCATE jt_%s;" % s, "SELECT count(*) FROM jt_%s" % s),
            (M_COUNT, "SELECT count(*) FROM ft_%s %s" % (s, where), "", ""),
            (M_ALLCOLS, "SELECT count(t) FROM ft_%s t %s" % (s, where), "", ""),
            (M_REFRESH, "REFRESH MATERIALIZED VIEW mv_%s" % s, "", "SELECT count(*) FROM mv_%s" % s),
        ]
        if self.a.no_jsonb:
            methods = [x for x in methods if x[0] != M_JSONB]
        pages_per_unit = max(1, math.ceil(n / per_page))
        requests = (accounts or 1) * pages_per_unit
        slow = requests * lat / 1000.0 > 30
        base_runs = 0 if self.a.no_baseline else (self.a.baseline_runs_slow if slow else self.a.runs)
        for run in range(self.a.runs):
            log("%s run %d/%d" % (name, run + 1, self.a.runs))
            for m, stmt, setup, verify in methods:
                self.run_sql_method(sc, m, stmt, setup, verify, expect)
            if run < base_runs:
                self.run_baseline(sc, expect)
        self.set_ideal(sc)
        if self.a.compare:
            self.compare(sc)
        for p in (csvp, jsonp):
            if self.a.profile and name == "S1" and p == csvp:
                self.profile_csv = csvp     # profile() runs COPY from it, then removes it
                continue
            if not self.a.keep_files:
                os.unlink(p)

    def set_ideal(self, sc):
        """The computed ideal: requests x latency / concurrency, but never
        less than the longest chain of pages that must be fetched one after
        the other.  Link-header collections have a chain of 2: the SDK reads
        rel="last" from the first page and fetches the others concurrently;
        next-token pages of one account are a chain (each names the next)."""
        name, desc, style, accounts, n, per_page, lat = sc
        pages_per_unit = max(1, math.ceil(n / per_page))
        requests = (accounts or 1) * pages_per_unit
        if style == "hydrate":
            # S6: the list has no latency; each of the n rows' detail
            # calls takes lat, all of them concurrently (64 in flight)
            requests = n
            pages_per_unit = 1
        if style == "link":
            chain = min(2, pages_per_unit)      # the first page, then all others at once
        else:
            chain = pages_per_unit
        flat = requests * lat / 1000.0 / self.concurrency
        ideal = max(flat, chain * lat / 1000.0) if lat else None
        self.results[(name, M_IDEAL)] = {
            "times": [ideal] if ideal is not None else [], "rows": (accounts or 1) * n,
            "hwm_kb": [], "anon_kb": [], "warnings": [], "errors": [], "computed": True,
            "formula": "%d requests x %d ms / %d in flight = %.3f s, chain of %d sequential pages = %.3f s" % (
                requests, lat, self.concurrency, flat, chain, chain * lat / 1000.0)}
        self.results[(name, "_meta")] = {"desc": desc, "requests": requests, "rows": (accounts or 1) * n}

    def compare(self, sc):
        """Rows the refresh loaded that differ from the COPY floor's (same
        data, two conversion paths): an information line, not a failure."""
        s = sc[0].lower()
        out = self.sql("SELECT (SELECT count(*) FROM (SELECT * FROM mv_%s EXCEPT ALL SELECT * FROM copy_%s) a), "
                       "(SELECT count(*) FROM (SELECT * FROM copy_%s EXCEPT ALL SELECT * FROM mv_%s) b)" % (s, s, s, s),
                       check=False).strip()
        self.notes.append("%s: rows of the REFRESHed MV not in the COPY table | rows of COPY not in the MV: %s" % (
            sc[0], out.replace("|", " | ")))
        log(self.notes[-1])

    # ------------------------------------------------------------ floor from a first REFRESH
    def floor_csv_from_mv(self, name, mv, count_sql, expect):
        """Untimed: a first REFRESH of mv (it also warms the mock's pages),
        its rows into <workdir>/<name>.csv for the COPY floor; the rows
        count_sql finds must be expect (else a failure).  Returns the path."""
        t0 = time.monotonic()
        self.sql("REFRESH MATERIALIZED VIEW %s" % mv)
        csvp = os.path.join(self.a.workdir, "%s.csv" % name.lower())
        self.sql("\\copy (SELECT * FROM %s) TO '%s' (FORMAT csv)" % (mv, csvp))
        os.chmod(csvp, 0o644)
        got = self.count_of(self.sql(count_sql).splitlines())
        log("%s: %s rows into the local CSV in %.1f s (%.1f MB)" % (
            name, got, time.monotonic() - t0, os.path.getsize(csvp) / 1e6))
        if got != expect:
            self.failures.append("%s: the first REFRESH read %s rows (%s), expected %d" % (
                name, got, count_sql, expect))
        return csvp

    # ------------------------------------------------------------ S5 EC2 XML
    def s5(self, sc):
        try:
            self._s5(sc)
        finally:
            # back to the mock's default (5 per region), which the tests use
            with urllib.request.urlopen(self.a.mock + "/_mock/aws_api_n?n=5", timeout=30) as r:
                r.read()

    def _s5(self, sc):
        """S5: the aws source's aws_ec2_instances (DescribeInstances, EC2
        query protocol: form POST, SigV4, XML replies converted on the
        workers) against the mock's /aws-api, R regions x N instances
        (the mock's /_mock/aws_api_n), MaxResults = per_page.  The floor
        is COPY of the same rows from a local CSV, written (untimed) from
        a first REFRESH; so no MV/COPY comparison (it would be circular)."""
        name, desc, style, nreg, n, per_page, lat = sc
        log("=== %s: %s" % (name, desc))
        with urllib.request.urlopen(self.a.mock + "/_mock/aws_api_n?n=%d" % n, timeout=30) as r:
            r.read()
        regions = ["r%02d-bench-%d" % (k, k) for k in range(1, nreg + 1)]
        self.sql("""
SET client_min_messages = warning;
DROP SCHEMA IF EXISTS s5 CASCADE;
DROP SERVER IF EXISTS bench_aws CASCADE;
DROP TABLE IF EXISTS copy_s5;
CREATE SERVER bench_aws FOREIGN DATA WRAPPER cq_fdw OPTIONS (source 'aws', base_url '{m}/aws-api',
    sts_url '{m}/aws-api', regions '{regions}');
CREATE USER MAPPING FOR CURRENT_USER SERVER bench_aws
    OPTIONS (access_key_id 'AKIDEXAMPLE', secret_access_key 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY');
CREATE SCHEMA s5;
IMPORT FOREIGN SCHEMA aws LIMIT TO (aws_ec2_instances) FROM SERVER bench_aws INTO s5;
ALTER FOREIGN TABLE s5.aws_ec2_instances OPTIONS (ADD page_size '{per}');
CREATE MATERIALIZED VIEW mv_s5 AS SELECT * FROM s5.aws_ec2_instances WITH NO DATA;
CREATE TABLE copy_s5 (LIKE s5.aws_ec2_instances);
""".format(m=self.a.mock, regions=", ".join(regions), per=per_page))
        expect = nreg * n
        csvp = self.floor_csv_from_mv(name, "mv_s5", "SELECT count(*) FROM mv_s5", expect)
        ft = "s5.aws_ec2_instances"
        methods = [
            (M_COPY, "COPY copy_s5 FROM '%s' (FORMAT csv)" % csvp, "TRUNCATE copy_s5;",
             "SELECT count(*) FROM copy_s5"),
            (M_COUNT, "SELECT count(*) FROM %s" % ft, "", ""),
            (M_ALLCOLS, "SELECT count(t) FROM %s t" % ft, "", ""),
            (M_REFRESH, "REFRESH MATERIALIZED VIEW mv_s5", "", "SELECT count(*) FROM mv_s5"),
        ]
        for run in range(self.a.runs):
            log("%s run %d/%d" % (name, run + 1, self.a.runs))
            for m, stmt, setup, verify in methods:
                self.run_sql_method(sc, m, stmt, setup, verify, expect)
        self.set_ideal(sc)
        if self.a.profile:
            self.profile(sc)        # while the mock still serves the big pages
        if not self.a.keep_files:
            os.unlink(csvp)

    # ------------------------------------------------------------ S6 detail calls
    def s6(self, sc):
        """S6: detail calls ("hydrate").  The github source's
        github_repositories against the mock's /hyd/ API: the list
        (/orgs/{org}/repos, Link rel="next" pages of 100, no latency) has
        the list columns; subscribers_count comes only from a detail call
        GET /repos/{owner}/{repo}, which the mock answers after `lat` ms.
        count(*) needs no detail column, so it must send the list requests
        only; count(subscribers_count) and the REFRESH of a view that has
        it send one detail call per row (the ideal: n x lat / 64 in
        flight).  The floor is COPY of the view's rows from a local CSV
        written (untimed) from a first REFRESH.  The requests each method
        sent are read from the mock's counter."""
        name, desc, style, accounts, n, per_page, lat = sc
        log("=== %s: %s" % (name, desc))
        base = "%s/hyd/n=%d,per=%d,delay=%d" % (self.a.mock, n, per_page, lat)
        self.sql("""
SET client_min_messages = warning;
DROP SCHEMA IF EXISTS s6 CASCADE;
DROP SERVER IF EXISTS bench_gh CASCADE;
DROP TABLE IF EXISTS copy_s6;
CREATE SERVER bench_gh FOREIGN DATA WRAPPER cq_fdw OPTIONS (source 'github', base_url '{base}');
CREATE USER MAPPING FOR CURRENT_USER SERVER bench_gh OPTIONS (token 'bench-token');
CREATE SCHEMA s6;
IMPORT FOREIGN SCHEMA github LIMIT TO (github_repositories) FROM SERVER bench_gh INTO s6;
CREATE MATERIALIZED VIEW mv_s6 AS SELECT id, name, full_name, subscribers_count
    FROM s6.github_repositories WHERE org = 'acme' WITH NO DATA;
CREATE TABLE copy_s6 AS SELECT * FROM mv_s6 WITH NO DATA;
""".format(base=base))
        csvp = self.floor_csv_from_mv(
            name, "mv_s6", "SELECT count(*) FROM mv_s6 WHERE subscribers_count IS NOT NULL", n)
        ft = "s6.github_repositories"
        methods = [
            (M_COPY, "COPY copy_s6 FROM '%s' (FORMAT csv)" % csvp, "TRUNCATE copy_s6;",
             "SELECT count(*) FROM copy_s6"),
            (M_COUNT, "SELECT count(*) FROM %s WHERE org = 'acme'" % ft, "", ""),
            (M_DETAIL, "SELECT count(subscribers_count) FROM %s WHERE org = 'acme'" % ft, "", ""),
            (M_REFRESH, "REFRESH MATERIALIZED VIEW mv_s6", "",
             "SELECT count(subscribers_count) FROM mv_s6"),
        ]
        sent = {}
        for run in range(self.a.runs):
            log("%s run %d/%d" % (name, run + 1, self.a.runs))
            for m, stmt, setup, verify in methods:
                before = self.mock_requests()
                self.run_sql_method(sc, m, stmt, setup, verify, n)
                after = self.mock_requests()
                if before is not None and after is not None:
                    sent.setdefault(m, set()).add(after - before)
        self.set_ideal(sc)
        pages = max(1, math.ceil(n / per_page))
        self.notes.append("%s: requests each method sent (the mock's counter): %s; expected %d list pages "
                          "for count(*), %d list pages + %d detail calls with the detail column" % (
                              name, "; ".join("%s %s" % (m, "/".join(str(x) for x in sorted(v)))
                                              for m, v in sent.items()), pages, pages, n))
        log(self.notes[-1])
        if sent.get(M_COUNT) and max(sent[M_COUNT]) > pages:
            self.failures.append("%s: count(*) sent %s requests, expected the %d list pages only" % (
                name, max(sent[M_COUNT]), pages))
        if not self.a.keep_files:
            os.unlink(csvp)

    # ------------------------------------------------------------ S7 concurrency
    S7_BACKENDS = 16

    def s7(self):
        """S7: 16 backends, each scanning its own foreign table (own
        endpoint; the mock serves them the same cached item pages) at
        once, against 16 sessions each COPYing the same rows from a local
        CSV at once (the floor).  Wall time from the first session started
        to the last one finished (connection start-up included, ~10 ms);
        total rows/s; per-backend peak RSS (VmHWM, and sampled RssAnon)."""
        nb = self.S7_BACKENDS
        n = 500 if self.a.smoke else 10000
        per = 100
        log("=== S7: %d backends at once, each its own table of %d rich items (%d per page, no latency)" % (
            nb, n, per))
        ddl = ["SET client_min_messages = warning;"]
        for k in range(nb):
            ddl.append("""DROP FOREIGN TABLE IF EXISTS ft_s7_{k} CASCADE;
DROP TABLE IF EXISTS copy_s7_{k};
CREATE FOREIGN TABLE ft_s7_{k} ({fcols}) SERVER bench
    OPTIONS (endpoint '/gen/link/{p}_s7_{k}?n={n}&per_page={per}&shape=rich', pagination 'link_header');
CREATE MATERIALIZED VIEW mv_s7_{k} AS SELECT * FROM ft_s7_{k} WITH NO DATA;
CREATE TABLE copy_s7_{k} ({cols});""".format(k=k, fcols=richrows.column_ddl(False, True),
                                        cols=richrows.column_ddl(False, False), p=self.a.route_prefix,
                                        n=n, per=per))
        self.sql("\n".join(ddl))
        # one CSV (every table serves the same items); warm every endpoint
        sc = ("S7", "", "link", 0, n, per, 0)
        _, csvp, jsonp = self.produce_files(sc)
        os.unlink(jsonp)

        def warm(k):
            for page in range(1, math.ceil(n / per) + 1):
                url = "%s/gen/link/%s_s7_%d?n=%d&per_page=%d&shape=rich&page=%d" % (
                    self.a.mock, self.a.route_prefix, k, n, per, page)
                with urllib.request.urlopen(url, timeout=300) as r:
                    r.read()
        with concurrent.futures.ThreadPoolExecutor(4) as ex:
            list(ex.map(warm, range(nb)))
        methods = [
            ("%d x COPY from local CSV at once (floor)" % nb,
             lambda k: ("COPY copy_s7_%d FROM '%s' (FORMAT csv)" % (k, csvp), "TRUNCATE copy_s7_%d;" % k,
                        "SELECT count(*) FROM copy_s7_%d" % k)),
            ("%d x cq_fdw SELECT count(t) at once" % nb,
             lambda k: ("SELECT count(t) FROM ft_s7_%d t" % k, "", "")),
            ("%d x cq_fdw REFRESH MATERIALIZED VIEW at once" % nb,
             lambda k: ("REFRESH MATERIALIZED VIEW mv_s7_%d" % k, "", "SELECT count(*) FROM mv_s7_%d" % k)),
        ]
        res = {"backends": nb, "rows_each": n, "methods": {}}
        for run in range(self.a.runs):
            for label, mk in methods:
                self.sql("SELECT 1", check=False)
                e = res["methods"].setdefault(label, {"walls": [], "hwm_kb": [], "anon_kb": [], "errors": []})

                def one(k):
                    stmt, setup, verify = mk(k)
                    r = self.timed(stmt, setup=setup, verify=verify,
                                   pidfile=os.path.join(self.a.workdir, "backend-s7-%d.pid" % k))
                    return r, self.count_of(r["verify"] if verify else r["out"])
                t0 = time.monotonic()
                with concurrent.futures.ThreadPoolExecutor(nb) as ex:
                    outs = list(ex.map(one, range(nb)))
                wall = time.monotonic() - t0
                bad = [(k, r["error"], got) for k, (r, got) in enumerate(outs) if r["error"] or got != n]
                if bad:
                    msg = "S7 %s: %d of %d sessions failed, e.g. table %d: %s (rows %s)" % (
                        label, len(bad), nb, bad[0][0], bad[0][1], bad[0][2])
                    e["errors"].append(msg)
                    self.failures.append(msg)
                    log("FAIL " + msg)
                else:
                    e["walls"].append(wall)
                e["hwm_kb"] += [r["hwm_kb"] for r, _ in outs if r.get("hwm_kb")]
                e["anon_kb"] += [r["anon_peak_kb"] for r, _ in outs if r.get("anon_peak_kb")]
                log("S7 run %d %-45s %.3f s wall, %d rows, max backend VmHWM %s MB" % (
                    run + 1, label, wall, nb * n,
                    "%.0f" % (max(e["hwm_kb"]) / 1024.0) if e["hwm_kb"] else "-"))
        walls = [statistics.median(res["methods"][lb]["walls"]) if res["methods"][lb]["walls"] else None
                 for lb, _ in methods]
        res["copy_secs"], res["cq_secs"] = walls[0], walls[1]
        res["order"] = [lb for lb, _ in methods]
        self.s7_res = res
        if not self.a.keep_files:
            os.unlink(csvp)
        self.sql("SET client_min_messages = warning;\n" + "\n".join(
            "DROP FOREIGN TABLE ft_s7_%d CASCADE; DROP TABLE copy_s7_%d;" % (k, k) for k in range(nb)), check=False)

    def s7_report(self):
        r = self.s7_res
        nb, n = r["backends"], r["rows_each"]
        copy = r["methods"].get(r["order"][0], {}).get("walls") or []
        copy_sp = self.spread_pct(copy)
        copy_med = statistics.median(copy) if copy else None
        out = ["S7: %d backends at once, each scanning its own table of %d rich items (%d rows in all, "
               "100 per page, no latency); wall from the first session started to the last finished; "
               "COPY's row = the floor (16 sessions COPYing the same rows from a local CSV at once):" % (
                   nb, n, nb * n), "",
               "| method | runs | median wall s | min-max s | spread | total rows/s | per-backend peak RSS MB "
               "(VmHWM, max / median) | per-backend peak RssAnon MB (max) | /COPY |",
               "|---|---|---|---|---|---|---|---|---|"]
        for lb in r["order"]:
            e = r["methods"].get(lb) or {}
            t = e.get("walls") or []
            if not t:
                out.append("| %s | 0 | FAILED | | | | | | |" % lb)
                continue
            med = statistics.median(t)
            sp = self.spread_pct(t)
            if lb == r["order"][0]:
                ratio = "-"
            elif copy_med and (copy_sp is None or copy_sp <= self.COPY_SPREAD_MAX):
                ratio = "%.2f" % (med / copy_med)
            else:
                ratio = "n/a (COPY spread %.0f%%)" % copy_sp if copy_sp else "-"
            h = e.get("hwm_kb") or []
            an = e.get("anon_kb") or []
            out.append("| %s | %d | %.3f | %.3f-%.3f | %s | %.0f | %s | %s | %s |" % (
                lb, len(t), med, min(t), max(t), "%.0f%%" % sp if sp is not None else "-",
                nb * n / med, "%.0f / %.0f" % (max(h) / 1024.0, statistics.median(h) / 1024.0) if h else "-",
                "%.0f" % (max(an) / 1024.0) if an else "-", ratio))
        return out

    # ------------------------------------------------------------ S8 estate
    # S8 (issue 19): an estate of A accounts x 1,000 rich resources, 100 per
    # page, 50 ms per request, next-token paging per account, synced into a
    # snapshot (cq_fdw.create_snapshot) in one fresh backend.
    S8_ITEMS = 1000
    S8_PER_PAGE = 100
    S8_LATENCY_MS = 50
    # Disk a synced row takes (materialized view heap + the WAL written for
    # it); the free-disk check asks for rows x this + 2 GB.  Measured: 1,375
    # bytes per row at 20-300 accounts; every run reports its own figure.
    S8_DISK_PER_ROW = 2000
    # The checksum of a row: md5 of these columns' text, joined by '|'; the
    # first 60 bits as a bigint, summed over all rows.
    S8_ROW_SQL = ("concat_ws('|', account, id, uuid, name, price, big_id, active, "
                  "coalesce(nullable, '~'), ipv4, mac, description)")

    @classmethod
    def s8_expected(cls, accounts, items=None, per_page=None):
        """(rows, checksum) of what the mock serves for accounts 1..A, from
        the mock's own generator (test/mock/mock_api.py, shape=estate), not
        from the synced data (items and per_page: S8's unless given)."""
        items = items or cls.S8_ITEMS
        per_page = per_page or cls.S8_PER_PAGE
        sys.path.insert(0, os.path.join(HERE, "..", "test", "mock"))
        import mock_api                         # noqa: E402 (stdlib only; no server started)
        mark = str(mock_api.ESTATE_MARK)
        templates = []                          # per item: the row text split at the account
        for start in range(0, items, per_page):
            count = min(per_page, items - start)
            for it in json.loads(mock_api.estate_template(0, start, count)):
                mac = re.sub("[^0-9a-f]", "", it["mac"].lower())
                text = "|".join([
                    str(it["account"]), str(it["id"]), it["uuid"].strip("{}").lower(), it["name"],
                    it["price"], it["big_id"], "t" if it["active"] else "f",
                    "~" if it["nullable"] is None else it["nullable"], it["ipv4"],
                    ":".join(mac[k:k + 2] for k in range(0, 12, 2)), it["description"]])
                parts = text.split(mark)
                if len(parts) != 3:
                    raise RuntimeError("S8: the account marker is not where expected in %r" % text)
                templates.append([p.encode() for p in parts])
        total = 0
        md5 = hashlib.md5
        for acct in range(1, accounts + 1):
            ab = str(acct).encode()
            for p0, p1, p2 in templates:
                total += int(md5(p0 + ab + p1 + ab + p2).hexdigest()[:15], 16)
        return accounts * len(templates), total

    def mock_pid(self):
        try:
            with open(self.a.mock_pidfile) as f:
                return int(f.read().strip())
        except (OSError, ValueError, TypeError):
            return None

    def mock_requests(self):
        try:
            with urllib.request.urlopen(self.a.mock + "/_mock/stats", timeout=10) as r:
                return json.loads(r.read()).get("total")
        except Exception:
            return None

    def s8(self, accounts):
        """One S8 run: returns (and keeps in self.s8) a dict of the figures."""
        name = "S8(%d)" % accounts
        pages = math.ceil(self.S8_ITEMS / self.S8_PER_PAGE)
        requests_expected = accounts * pages
        lat = self.S8_LATENCY_MS
        log("=== S8: %d accounts x %d rich resources, %d per page, %d ms per request, next-token" % (
            accounts, self.S8_ITEMS, self.S8_PER_PAGE, lat))
        res = {"accounts": accounts, "ok": False}
        self.s8_runs.append(res)
        t = time.monotonic()
        rows_expected, sum_expected = self.s8_expected(accounts)
        log("S8: expected %d rows, checksum %d (from the mock's generator, %.1f s)" % (
            rows_expected, sum_expected, time.monotonic() - t))
        res["rows_expected"] = rows_expected
        # free disk, before anything is written
        self.sql("SET client_min_messages = warning;\n"
                 "DELETE FROM cq_fdw.snapshots WHERE name::text = 's8_snap';\n"
                 "DROP MATERIALIZED VIEW IF EXISTS s8_snap;\nCHECKPOINT;")
        datadir = self.sql("SHOW data_directory").strip()
        st = os.statvfs(datadir)
        free = st.f_bavail * st.f_frsize
        need = rows_expected * self.S8_DISK_PER_ROW + (2 << 30)
        res["disk_free_gb"] = free / 1e9
        res["disk_need_gb"] = need / 1e9
        log("S8: free disk %.1f GB at %s, need about %.1f GB (%d rows x %d bytes + 2 GB)" % (
            free / 1e9, datadir, need / 1e9, rows_expected, self.S8_DISK_PER_ROW))
        if free < need:
            raise RuntimeError("S8 with %d accounts needs about %.1f GB of free disk, %s has %.1f GB" % (
                accounts, need / 1e9, datadir, free / 1e9))
        endpoint = "/accounts/{account}/%s_s8?n=%d&per_page=%d&latency_ms=%d&shape=estate" % (
            self.a.route_prefix, self.S8_ITEMS, self.S8_PER_PAGE, lat)
        self.sql("""
SET client_min_messages = warning;
DROP FOREIGN TABLE IF EXISTS ft_s8 CASCADE;
CREATE FOREIGN TABLE ft_s8 (
    {cols}
) SERVER bench OPTIONS (endpoint '{ep}', rows '/items', pagination 'next_token',
    next '/nextPageToken', next_param 'pageToken', max_pages '{mp}');
""".format(cols=richrows.column_ddl(True, True), ep=endpoint, mp=2 * requests_expected))
        where = "account = ANY (''{%s}''::integer[])" % ",".join(str(k) for k in range(1, accounts + 1))
        stmt = "SELECT cq_fdw.create_snapshot('ft_s8', 's8_snap', where_clause => '%s')" % where
        lsn0 = self.sql("SELECT pg_current_wal_lsn()").strip()
        mpid = self.mock_pid()
        mock_t0 = proc_cpu_ticks(mpid) if mpid else None
        mreq0 = self.mock_requests()
        stop = threading.Event()

        def progress():
            t0 = time.monotonic()
            while not stop.wait(15):
                n = self.mock_requests()
                log("S8: %.0f s, the mock has served %s of %d requests" % (
                    time.monotonic() - t0, (n - mreq0) if (n is not None and mreq0 is not None) else "?",
                    requests_expected))
        th = threading.Thread(target=progress, daemon=True)
        th.start()
        # The backend's memory by kind and its threads' CPU, sampled by S8
        # itself: VmHWM counts the shared_buffers and wal_buffers pages the
        # backend touched (RssShmem: the server's, once, not this backend's),
        # so the memory target is judged on RssAnon + RssFile (private).
        mem = {"private": 0, "anon": 0, "shmem": 0, "threads": {}}
        sdone = threading.Event()

        def s8_sampler(pid):
            main_tid = pid
            while not sdone.is_set():
                try:
                    kv = {}
                    with open("/proc/%d/status" % pid) as f:
                        for line in f:
                            k, _, v = line.partition(":")
                            if k in ("RssAnon", "RssFile", "RssShmem"):
                                kv[k] = int(v.split()[0])
                    mem["private"] = max(mem["private"], kv.get("RssAnon", 0) + kv.get("RssFile", 0))
                    mem["anon"] = max(mem["anon"], kv.get("RssAnon", 0))
                    mem["shmem"] = max(mem["shmem"], kv.get("RssShmem", 0))
                    for tid in os.listdir("/proc/%d/task" % pid):
                        try:
                            with open("/proc/%d/task/%s/stat" % (pid, tid)) as f:
                                st = f.read()
                            fl = st[st.rfind(")") + 2:].split()
                            t = int(fl[11]) + int(fl[12])
                        except OSError:
                            continue
                        key = "main" if int(tid) == main_tid else tid
                        mem["threads"][key] = t
                except OSError:
                    return
                sdone.wait(0.1)

        def on_pid(pid):
            threading.Thread(target=s8_sampler, args=(pid,), daemon=True).start()
        load0 = os.getloadavg()
        self.sample_interval = 0.1              # a long run: 10 samples a second
        try:
            r = self.timed(stmt, timeout=6 * 3600, on_pid=on_pid)
        finally:
            self.sample_interval = 0.02
            sdone.set()
            stop.set()
            th.join()
        load1 = os.getloadavg()
        thr = mem["threads"]
        res.update({"private_peak_kb": mem["private"], "shmem_peak_kb": mem["shmem"],
                    "anon_sampled_peak_kb": mem["anon"],
                    "main_cpu_s": thr.get("main", 0) / CLK_TCK,
                    "threads_cpu_s": sum(v for k, v in thr.items() if k != "main") / CLK_TCK,
                    "load": (load0[0], load1[0])})
        mock_t1 = proc_cpu_ticks(mpid) if mpid else None
        mreq1 = self.mock_requests()
        secs = (r["ms"] or 0) / 1000.0
        res.update({"secs": secs, "error": r["error"], "warnings": r["warnings"][:3],
                    "hwm_kb": max(x for x in (r["hwm_kb"], r["hwm_sampled_kb"], 0) if x is not None),
                    "rss_peak_kb": r["rss_peak_kb"], "anon_peak_kb": r["anon_peak_kb"],
                    "backend_cpu_s": r["cpu_s"],
                    "mock_cpu_s": ((mock_t1 - mock_t0) / CLK_TCK) if (mock_t0 is not None and mock_t1 is not None) else None,
                    "mock_requests": (mreq1 - mreq0) if (mreq0 is not None and mreq1 is not None) else None,
                    "requests_expected": requests_expected})
        flat = requests_expected * lat / 1000.0 / self.concurrency
        res["ideal"] = max(flat, pages * lat / 1000.0)
        res["ideal_formula"] = "max(%d requests x %d ms / %d in flight = %.1f s, chain of %d pages x %d ms = %.1f s)" % (
            requests_expected, lat, self.concurrency, flat, pages, lat, pages * lat / 1000.0)
        if r["error"]:
            self.failures.append("S8 %d accounts: %s" % (accounts, r["error"]))
            log("FAIL S8: %s" % r["error"])
            return res
        out = self.sql("SELECT rows, requests, bytes, retries FROM cq_fdw.sync_log "
                       "WHERE snapshot = 's8_snap' ORDER BY id DESC LIMIT 1").strip().split("|")
        res["log_rows"], res["requests"], res["bytes"], res["retries"] = [int(x) if x else None for x in out]
        out = self.sql("SELECT count(*), sum(('x' || left(md5(%s), 15))::bit(60)::bigint) FROM s8_snap"
                       % self.S8_ROW_SQL).strip().split("|")
        res["rows"], res["checksum"] = int(out[0]), int(out[1] or 0)
        out = self.sql("SELECT pg_total_relation_size('s8_snap'), pg_wal_lsn_diff(pg_current_wal_lsn(), '%s')"
                       % lsn0).strip().split("|")
        res["heap_bytes"], res["wal_bytes"] = int(out[0]), int(float(out[1]))
        budget = self.memory_budget_kb()
        res["rss_limit_kb"] = budget + 64 * 1024 if budget else None
        checks = [
            ("rows", res["rows"] == rows_expected, "%d rows in the snapshot, %d served" % (res["rows"], rows_expected)),
            ("checksum", res["checksum"] == sum_expected, "checksum %d, expected %d" % (res["checksum"], sum_expected)),
            ("requests", res["requests"] == requests_expected,
             "%s requests counted by cq_fdw, %d expected" % (res["requests"], requests_expected)),
            ("peak RSS", res["rss_limit_kb"] is None or res["private_peak_kb"] <= res["rss_limit_kb"],
             "peak RSS %.0f MB (RssAnon + RssFile; VmHWM %.0f MB with %.0f MB of shared memory), "
             "limit memory_budget + 64 MB = %s MB" % (
                 res["private_peak_kb"] / 1024.0, res["hwm_kb"] / 1024.0, res["shmem_peak_kb"] / 1024.0,
                 "%.0f" % (res["rss_limit_kb"] / 1024.0) if res["rss_limit_kb"] else "?")),
        ]
        res["checks"] = [(k, ok, msg) for k, ok, msg in checks]
        res["ok"] = all(ok for _, ok, _ in checks)
        for k, ok, msg in checks:
            if not ok:
                self.failures.append("S8 %d accounts: %s" % (accounts, msg))
        log(self.s8_line(res))     # s8_line starts with "S8: " itself
        self.sql("SET client_min_messages = warning;\n"
                 "DELETE FROM cq_fdw.snapshots WHERE name::text = 's8_snap';\n"
                 "DROP MATERIALIZED VIEW IF EXISTS s8_snap;\nCHECKPOINT;")
        return res

    def memory_budget_kb(self):
        m = re.match(r"^(\d+)\s*(kB|MB|GB|TB)?$", str(self.memory_budget or "").strip())
        if not m:
            return None
        return int(m.group(1)) * {"kB": 1, None: 1, "MB": 1024, "GB": 1024 ** 2, "TB": 1024 ** 3}[m.group(2)]

    @staticmethod
    def s8_line(e):
        return "S8: %d rows in %.1f s, %s requests, peak RSS %.0f MB, ideal %.1f s" % (
            e.get("rows") or 0, e.get("secs") or 0, e.get("requests") if e.get("requests") is not None else "?",
            (e.get("private_peak_kb") or e.get("hwm_kb") or 0) / 1024.0, e.get("ideal") or 0)

    def s8_report(self):
        """The S8 part of the report: the figures of each run, one table
        (the flat-memory table when several account counts ran)."""
        out = []
        if not self.s8_runs:
            return out
        hdr = ["accounts", "rows", "requests", "seconds", "s per 1M rows", "ideal s",
               "peak RSS MB (RssAnon + RssFile)", "VmHWM MB (+ shared memory touched)", "peak RssShmem MB",
               "backend CPU s (main thread / workers + I/O)", "mock CPU s (share of wall)",
               "load avg (start, end)", "disk MB per 1M rows (MV + WAL)",
               "0 rows lost (count, checksum)", "peak RSS <= budget + 64 MB"]
        out += ["| " + " | ".join(hdr) + " |", "|" + "|".join("---" for _ in hdr) + "|"]
        for e in self.s8_runs:
            if "secs" not in e:
                out.append("| %d | FAILED before the sync |" % e["accounts"] + " |" * (len(hdr) - 2))
                continue
            rows = e.get("rows")
            secs = e["secs"]
            out.append("| " + " | ".join([
                "%d" % e["accounts"], "%s" % rows, "%s" % e.get("requests"), "%.1f" % secs,
                "%.1f" % (secs / rows * 1e6) if rows else "-", "%.1f" % e["ideal"],
                "%.0f" % ((e.get("private_peak_kb") or 0) / 1024.0), "%.0f" % (e["hwm_kb"] / 1024.0),
                "%.0f" % ((e.get("shmem_peak_kb") or 0) / 1024.0),
                "%.1f (%.1f / %.1f)" % (e["backend_cpu_s"] or 0, e.get("main_cpu_s") or 0, e.get("threads_cpu_s") or 0)
                if e.get("backend_cpu_s") is not None else "-",
                "%.1f (%.0f%%)" % (e["mock_cpu_s"], 100.0 * e["mock_cpu_s"] / secs)
                if e.get("mock_cpu_s") is not None and secs else "-",
                "%.1f, %.1f" % e["load"] if e.get("load") else "-",
                "%.0f" % ((e["heap_bytes"] + e["wal_bytes"]) / rows) if rows and "heap_bytes" in e else "-",
                "ok" if all(ok for k, ok, _ in e.get("checks", []) if k in ("rows", "checksum"))
                and e.get("checks") else "FAILED",
                "ok" if all(ok for k, ok, _ in e.get("checks", []) if k == "peak RSS")
                and e.get("checks") else "EXCEEDED"]) + " |")
        out.append("")
        for e in self.s8_runs:
            if "secs" not in e:
                continue
            out.append("- S8 %d accounts: ideal = %s; peak RSS limit memory_budget + 64 MB = %s MB; "
                       "the mock served %s requests (cq_fdw counted %s, retries %s); free disk before %.1f GB "
                       "(asked for %.1f GB)%s." % (
                           e["accounts"], e["ideal_formula"],
                           "%.0f" % (e["rss_limit_kb"] / 1024.0) if e.get("rss_limit_kb") else "?",
                           e.get("mock_requests"), e.get("requests"), e.get("retries"),
                           e["disk_free_gb"], e["disk_need_gb"],
                           "; " + "; ".join(m for _, ok, m in e.get("checks", []) if not ok) if not e.get("ok") else ""))
        return out

    # ------------------------------------------------------------ S9 past one node
    # S9 (issue 19 point 3): the S8 estate shape (A accounts x R rich items,
    # next-token paging, 50 ms per request) synced (a) by one node alone and
    # (b) by three nodes at once, each syncing its slice of the accounts
    # (WHERE account = ANY on the account key) into its own table with
    # cq_fdw.sync; then the bench cluster, as coordinator, reads the three
    # through a postgres_fdw partitioned table (async append).  The layout of
    # README "Scaling out" step 3 and test/t/003_estate_slices.pl.  The four
    # nodes are fresh clusters with the same settings, started here (as the
    # unprivileged user when run as root) and stopped at the end.
    S9_NODES = 3
    S9_PORT0 = 5441
    S9_CONF = """
listen_addresses = ''
unix_socket_directories = '{sock}'
port = {port}
shared_buffers = 256MB
fsync = off
synchronous_commit = off
full_page_writes = off
max_wal_size = 4GB
checkpoint_timeout = 1h
wal_buffers = 16MB
work_mem = 64MB
maintenance_work_mem = 256MB
jit = off
max_parallel_workers_per_gather = 0
autovacuum = off
log_line_prefix = '%m [%p] '
"""

    def s9_as_user(self, argv):
        if os.geteuid() == 0 and self.a.pg_os_user:
            return ["runuser", "-u", self.a.pg_os_user, "--"] + argv
        return argv

    def s9_start_nodes(self, base):
        """Start the single node and the slice nodes; returns
        [(name, sockdir, port, datadir)]."""
        bindir = subprocess.run(["pg_config", "--bindir"], stdout=subprocess.PIPE,
                                check=True).stdout.decode().strip()
        os.makedirs(base, exist_ok=True)
        if os.geteuid() == 0 and self.a.pg_os_user:
            subprocess.run(["chown", self.a.pg_os_user, base], check=True)
        nodes = []
        names = ["single"] + ["slice%d" % w for w in range(1, self.S9_NODES + 1)]
        for k, name in enumerate(names):
            d = os.path.join(base, name)
            data = os.path.join(d, "data")
            port = self.S9_PORT0 + k
            subprocess.run(self.s9_as_user(["mkdir", "-p", d]), check=True)
            p = subprocess.run(self.s9_as_user([os.path.join(bindir, "initdb"), "-D", data, "-A", "trust",
                                                "-U", "postgres", "-E", "UTF8", "--locale=C"]),
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
            if p.returncode != 0:
                raise RuntimeError("S9: initdb of node %s failed: %s" % (name, p.stdout.decode()[-500:]))
            conf = self.S9_CONF.format(sock=d, port=port)
            subprocess.run(self.s9_as_user(["sh", "-c", "cat >> '%s/postgresql.conf'" % data]),
                           input=conf.encode(), check=True)
            p = subprocess.run(self.s9_as_user([os.path.join(bindir, "pg_ctl"), "-D", data, "-l",
                                                os.path.join(d, "postgres.log"), "-w", "start"]),
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
            nodes.append((name, d, port, data))
            if p.returncode != 0:
                raise RuntimeError("S9: node %s did not start: %s" % (name, p.stdout.decode()[-500:]))
        return nodes

    def s9_stop_nodes(self, nodes):
        bindir = subprocess.run(["pg_config", "--bindir"], stdout=subprocess.PIPE).stdout.decode().strip()
        for _, _, _, data in nodes:
            subprocess.run(self.s9_as_user([os.path.join(bindir, "pg_ctl"), "-D", data, "-m", "immediate",
                                            "stop"]), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    @staticmethod
    def s9_psql(node):
        return ["psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-h", node[1], "-p", str(node[2]),
                "-U", "postgres", "-d", "postgres"]

    def s9_sql(self, node, script):
        p = subprocess.run(self.s9_psql(node), input=script.encode(), stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT)
        out = p.stdout.decode("utf-8", "replace")
        if p.returncode != 0:
            raise RuntimeError("S9: psql on node %s failed:\n%s\n--- script:\n%s" % (node[0], out, script[:1500]))
        return out

    def s9_slices(self, accounts):
        """[(lo, hi)] of the slice nodes: consecutive ranges of accounts."""
        n = self.S9_NODES
        return [(w * accounts // n + 1, (w + 1) * accounts // n) for w in range(n)]

    def s9(self, accounts):
        items, per_page, lat = self.a.s9_items, self.a.s9_per_page, self.S8_LATENCY_MS
        pages = math.ceil(items / per_page)
        log("=== S9: %d accounts x %d rich resources, %d per page, %d ms per request: 1 node vs %d nodes "
            "(cq_fdw.sync), coordinator read through postgres_fdw" % (
                accounts, items, per_page, lat, self.S9_NODES))
        res = {"accounts": accounts, "items": items, "per_page": per_page, "latency_ms": lat,
               "nodes": self.S9_NODES, "runs": [], "ok": False, "cores": os.cpu_count() or 0}
        self.s9_res = res
        if accounts < self.S9_NODES:
            raise RuntimeError("S9 needs at least %d accounts" % self.S9_NODES)
        t = time.monotonic()
        rows_expected, sum_expected = self.s8_expected(accounts, items, per_page)
        log("S9: expected %d rows, checksum %d (from the mock's generator, %.1f s)" % (
            rows_expected, sum_expected, time.monotonic() - t))
        res["rows_expected"] = rows_expected
        base = os.path.join(self.a.workdir, "s9")
        nodes = []
        try:
            nodes = self.s9_start_nodes(base)
            self._s9(res, accounts, nodes, rows_expected, sum_expected, pages)
        finally:
            self.s9_stop_nodes(nodes)
            if not self.a.keep_files:
                subprocess.run(["rm", "-rf", base])
        return res

    def _s9(self, res, accounts, nodes, rows_expected, sum_expected, pages):
        items, per_page, lat = res["items"], res["per_page"], res["latency_ms"]
        single, slices = nodes[0], nodes[1:]
        ranges = self.s9_slices(accounts)
        cols_typed = richrows.column_ddl(True, False)
        endpoint = "/accounts/{account}/%s_s9?n=%d&per_page=%d&latency_ms=%d&shape=estate" % (
            self.a.route_prefix, items, per_page, lat)
        # each node: the API as a foreign table, its accounts as a view (the
        # fan-out list), the synced copy as a table with a primary key
        for node, (lo, hi) in [(single, (1, accounts))] + list(zip(slices, ranges)):
            self.s9_sql(node, """
SET client_min_messages = warning;
CREATE EXTENSION cq_fdw;
CREATE SERVER api FOREIGN DATA WRAPPER cq_fdw OPTIONS (source 'rest', base_url '{mock}');
CREATE FOREIGN TABLE items_api (
    {cols}
) SERVER api OPTIONS (endpoint '{ep}', rows '/items', pagination 'next_token',
    next '/nextPageToken', next_param 'pageToken', primary_key 'account, id', max_pages '{mp}');
CREATE VIEW items_src AS
    SELECT * FROM items_api WHERE account = ANY ('{{{lst}}}'::integer[]);
CREATE TABLE items (
    {typed},
    PRIMARY KEY (account, id)
);
""".format(mock=self.a.mock, cols=richrows.column_ddl(True, True), ep=endpoint, mp=2 * (hi - lo + 1) * pages,
           lst=",".join(str(k) for k in range(lo, hi + 1)), typed=cols_typed))
        # the coordinator: this benchmark's own cluster
        sql = ["SET client_min_messages = warning;",
               "CREATE EXTENSION IF NOT EXISTS postgres_fdw;",
               "DROP TABLE IF EXISTS s9_items;"]
        for w in range(1, self.S9_NODES + 1):
            sql.append("DROP SERVER IF EXISTS s9_slice%d CASCADE;" % w)
        sql.append("CREATE TABLE s9_items (%s) PARTITION BY RANGE (account);" % cols_typed)
        for w, (node, (lo, hi)) in enumerate(zip(slices, ranges), 1):
            sql.append("""
CREATE SERVER s9_slice{w} FOREIGN DATA WRAPPER postgres_fdw
    OPTIONS (host '{host}', port '{port}', dbname 'postgres', async_capable 'true');
CREATE USER MAPPING FOR CURRENT_USER SERVER s9_slice{w} OPTIONS (user 'postgres');
CREATE FOREIGN TABLE s9_items_{w} PARTITION OF s9_items FOR VALUES FROM ({lo}) TO ({hi1})
    SERVER s9_slice{w} OPTIONS (table_name 'items');""".format(w=w, host=node[1], port=node[2], lo=lo, hi1=hi + 1))
        self.sql("\n".join(sql))
        digest = ("SELECT count(*), count(DISTINCT account), "
                  "sum(('x' || left(md5(%s), 15))::bit(60)::bigint) FROM {t}" % self.S8_ROW_SQL)
        plan = self.sql("EXPLAIN (COSTS OFF) " + digest.format(t="s9_items"))
        res["async"] = plan.count("Async Foreign Scan")
        if res["async"] != self.S9_NODES:
            self.failures.append("S9: the coordinator's plan has %d Async Foreign Scan(s), %d expected:\n%s" % (
                res["async"], self.S9_NODES, plan))
        # the sync, then the CPU time of the backend that ran it (all its
        # threads: utime + stime of /proc/self/stat, read by the backend itself)
        call = ("CALL cq_fdw.sync('items', 'items_src');\n"
                "SELECT 'cpu:' || pg_read_file('/proc/self/stat');\n").encode()
        mpid = self.mock_pid()

        def sync_all(group):
            """Run the sync on every node of group at once; wall seconds,
            each node's own seconds, the backends' CPU seconds (summed), errors."""
            t0 = time.monotonic()
            procs = [(node, subprocess.Popen(self.s9_psql(node), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                             stderr=subprocess.STDOUT)) for node in group]
            for _, p in procs:
                p.stdin.write(call)
                p.stdin.close()
            own, errs, cpu = [], [], 0.0
            for node, p in procs:
                out = p.stdout.read()
                p.wait()
                own.append(time.monotonic() - t0)
                text = out.decode("utf-8", "replace")
                if p.returncode != 0 or "WARNING" in text or "ERROR" in text:
                    errs.append("node %s: %s" % (node[0], text.strip()[-400:]))
                m = re.search(r"^cpu:.*?\) (.*)$", text, re.M)
                if m:
                    f = m.group(1).split()
                    cpu += (int(f[11]) + int(f[12])) / CLK_TCK
            wall = time.monotonic() - t0
            for node in group:
                st = self.s9_sql(node, "SELECT status, rows, requests FROM cq_fdw.sync_log "
                                       "ORDER BY id DESC LIMIT 1").strip()
                if not st.startswith("ok|"):
                    errs.append("node %s: sync_log says %s" % (node[0], st))
            return wall, own, errs, cpu

        def phase(label, fn):
            """Run fn, with the load average and the CPUs' idle share around it."""
            c0, l0 = cpu_times(), os.getloadavg()[0]
            m0 = proc_cpu_ticks(mpid) if mpid else None
            out = fn()
            c1, l1 = cpu_times(), os.getloadavg()[0]
            m1 = proc_cpu_ticks(mpid) if mpid else None
            idle = (100.0 * (c1[0] - c0[0]) / (c1[1] - c0[1])) if c0 and c1 and c1[1] > c0[1] else None
            return out, {"load": (l0, l1), "idle_pct": idle,
                         "mock_cpu_s": (m1 - m0) / CLK_TCK if m0 is not None and m1 is not None else None}

        for run in range(1, self.a.runs + 1):
            for node in nodes:
                self.s9_sql(node, "TRUNCATE items; CHECKPOINT;")
            os.sync()
            r = {"run": run}
            # alternate which goes first, so slow drift of the machine spreads over both
            order = ["single", "slices"] if run % 2 else ["slices", "single"]
            for what in order:
                if what == "single":
                    (wall, _, errs, cpu), info = phase("single", lambda: sync_all([single]))
                    r["single_s"], r["single_info"], r["single_cpu_s"] = wall, info, cpu
                else:
                    (wall, own, errs, cpu), info = phase("slices", lambda: sync_all(slices))
                    r["slices_s"], r["slices_own_s"], r["slices_info"], r["slices_cpu_s"] = wall, own, info, cpu
                for e in errs:
                    self.failures.append("S9 run %d (%s): %s" % (run, what, e))
                    log("FAIL S9: " + e)
            log("S9 run %d: 1 node %.1f s, %d nodes %.1f s (each: %s), load %.1f" % (
                run, r["single_s"], self.S9_NODES, r["slices_s"], ", ".join("%.1f" % x for x in r["slices_own_s"]),
                os.getloadavg()[0]))
            # the single node's copy and the coordinator's view of the slices
            got = self.s9_sql(single, digest.format(t="items")).strip().split("|")
            r["single_rows"], r["single_accounts"], r["single_sum"] = int(got[0]), int(got[1]), int(got[2] or 0)
            c0, l0 = cpu_times(), os.getloadavg()[0]
            tr = self.timed(digest.format(t="s9_items"))
            c1, l1 = cpu_times(), os.getloadavg()[0]
            if tr["error"] or not tr["out"]:
                self.failures.append("S9 run %d: coordinator read failed: %s" % (run, tr["error"]))
                res["runs"].append(r)
                continue
            got = tr["out"][-1].split("|")
            r["coord_rows"], r["coord_accounts"], r["coord_sum"] = int(got[0]), int(got[1]), int(got[2] or 0)
            r["coord_s"] = (tr["ms"] or 0) / 1000.0
            r["coord_info"] = {"load": (l0, l1), "idle_pct": (100.0 * (c1[0] - c0[0]) / (c1[1] - c0[1]))
                               if c0 and c1 and c1[1] > c0[1] else None}
            for w, (node, (lo, hi)) in enumerate(zip(slices, ranges), 1):
                got = self.s9_sql(node, "SELECT count(*), coalesce(min(account), 0), coalesce(max(account), 0) "
                                        "FROM items").strip()
                want = "%d|%d|%d" % ((hi - lo + 1) * items, lo, hi)
                if got != want:
                    self.failures.append("S9 run %d: slice %d holds %s (rows|min|max account), %s expected" % (
                        run, w, got, want))
            checks = [
                ("single node", r["single_rows"] == rows_expected and r["single_sum"] == sum_expected,
                 "the single node has %d rows, checksum %d; the mock served %d rows, checksum %d" % (
                     r["single_rows"], r["single_sum"], rows_expected, sum_expected)),
                ("coordinator", (r["coord_rows"], r["coord_accounts"], r["coord_sum"]) ==
                 (r["single_rows"], r["single_accounts"], r["single_sum"]),
                 "the coordinator reads %d rows of %d accounts, checksum %d; the single node has %d rows of "
                 "%d accounts, checksum %d" % (r["coord_rows"], r["coord_accounts"], r["coord_sum"],
                                               r["single_rows"], r["single_accounts"], r["single_sum"])),
            ]
            for k, ok, msg in checks:
                if not ok:
                    self.failures.append("S9 run %d: %s" % (run, msg))
                    log("FAIL S9: " + msg)
            r["ok"] = all(ok for _, ok, _ in checks)
            r["lost"] = rows_expected - r["coord_rows"]
            res["runs"].append(r)
        done = [r for r in res["runs"] if "coord_s" in r]
        res["ok"] = bool(done) and len(done) == self.a.runs and all(r["ok"] for r in done) and \
            res["async"] == self.S9_NODES
        for k in ("single_s", "slices_s", "coord_s"):
            v = [r[k] for r in res["runs"] if k in r]
            res[k] = statistics.median(v) if v else None
        res["lost"] = max((abs(r.get("lost", 0)) for r in done), default=None)
        res["rows"] = done[-1]["coord_rows"] if done else None
        log(self.s9_line(res))

    @staticmethod
    def s9_line(e):
        if not e.get("single_s") or not e.get("slices_s"):
            return "S9: %d accounts: FAILED before a complete run" % e["accounts"]
        lost = e.get("lost")
        return "S9: %d accounts, %s rows: 1 node %.1f s, %d nodes %.1f s (ratio %.2f), coordinator read %s s, %s" % (
            e["accounts"], e.get("rows"), e["single_s"], e["nodes"], e["slices_s"], e["single_s"] / e["slices_s"],
            "%.1f" % e["coord_s"] if e.get("coord_s") is not None else "?",
            ("0 rows lost" if e.get("ok") else "FAILED (%s rows lost or rows differ)" % lost))

    def s9_report(self):
        e = getattr(self, "s9_res", None)
        if not e or not e.get("runs"):
            return []
        n = e["nodes"]
        out = ["S9, past one node: %d accounts x %d rich resources (the S8 estate endpoints, %d per page, %d ms "
               "per request) synced with `cq_fdw.sync` (a) by one node and (b) by %d nodes at once, each syncing "
               "its slice of the accounts (`WHERE account = ANY`) into its own table; then this cluster, as "
               "coordinator, reads the %d tables as one postgres_fdw partitioned table (async append: %d Async "
               "Foreign Scans in its plan).  Every node is a separate PostgreSQL cluster on this machine with "
               "the same settings (shared_buffers 256MB, fsync off, cq_fdw defaults)." % (
                   e["accounts"], e["items"], e["per_page"], e["latency_ms"], n, n, e.get("async", 0)), ""]
        hdr = ["method", "runs", "median s", "min-max s", "spread", "rows/s",
               "backend CPU s (median; sum over the nodes' sync backends)", "CPUs idle (median)",
               "load avg (start, end; median)", "mock CPU s (median)"]
        out += ["| " + " | ".join(hdr) + " |", "|" + "|".join("---" for _ in hdr) + "|"]
        rows = e.get("rows") or e.get("rows_expected")
        for label, k in (("1 node sync (all %d accounts)" % e["accounts"], "single"),
                         ("%d node sync (%d slices at once)" % (n, n), "slices"),
                         ("coordinator read (postgres_fdw, async append: count + checksum of every row)", "coord")):
            t = [r[k + "_s"] for r in e["runs"] if k + "_s" in r]
            if not t:
                out.append("| %s | 0 | FAILED |" % label + " |" * (len(hdr) - 3))
                continue
            infos = [r[k + "_info"] for r in e["runs"] if k + "_info" in r]
            idle = [i["idle_pct"] for i in infos if i.get("idle_pct") is not None]
            mock = [i["mock_cpu_s"] for i in infos if i.get("mock_cpu_s") is not None]
            bcpu = [r[k + "_cpu_s"] for r in e["runs"] if r.get(k + "_cpu_s")]
            med = statistics.median(t)
            sp = self.spread_pct(t)
            out.append("| " + " | ".join([
                label, str(len(t)), "%.2f" % med, "%.2f-%.2f" % (min(t), max(t)),
                "%.0f%%" % sp if sp is not None else "-", "%.0f" % (rows / med) if med else "-",
                "%.1f" % statistics.median(bcpu) if bcpu else "-",
                "%.0f%%" % statistics.median(idle) if idle else "-",
                "%.1f, %.1f" % (statistics.median(i["load"][0] for i in infos),
                                statistics.median(i["load"][1] for i in infos)) if infos else "-",
                "%.1f" % statistics.median(mock) if mock else "-"]) + " |")
        out.append("")
        if e.get("single_s") and e.get("slices_s"):
            out.append("- Ratio 1 node / %d nodes (medians): **%.2f**.  Caveat: the %d slice nodes, the single "
                       "node, the coordinator and the mock all share this machine's %d cores, and the %d nodes "
                       "run at the same time, so they split those cores instead of getting one machine each: "
                       "the ratio is not the speed-up of %d separate machines (each node's work is 1/%d of the "
                       "estate).  It can exceed 1 here because one node's sync leaves part of the cores idle "
                       "(its main thread converts and writes every row; the apply is one statement) while "
                       "%d nodes keep them busy, and, on a shared machine, because %d busy backends get a "
                       "bigger share of the cores against other work than one; compare the backends' CPU "
                       "seconds." % (n, e["single_s"] / e["slices_s"], n, e["cores"], n, n, n, n, n))
        slow = [r.get("slices_own_s") for r in e["runs"] if r.get("slices_own_s")]
        if slow:
            out.append("- Each slice node's own wall time, per run: %s s." % "; ".join(
                ", ".join("%.1f" % x for x in s) for s in slow))
        out.append("- Rows: the mock served %d rows; the single node's copy and the coordinator's read agree on "
                   "count, accounts and checksum (the S8 row checksum, checked against the mock's generator) in "
                   "%d of %d runs%s." % (
                       e["rows_expected"], sum(1 for r in e["runs"] if r.get("ok")), len(e["runs"]),
                       "" if e.get("ok") else ": FAILED"))
        return out

    # ------------------------------------------------------------ memory
    def memory(self):
        n = self.a.memory_rows
        log("=== memory: peak backend RSS scanning %d rows" % n)
        self.sql("""
SET client_min_messages = warning;
DROP FOREIGN TABLE IF EXISTS ft_mem CASCADE;
CREATE FOREIGN TABLE ft_mem (
    {cols}
) SERVER bench OPTIONS (endpoint '/gen/link/{p}_mem?n={n}&per_page=100&shape=rich', pagination 'link_header');
""".format(cols=richrows.column_ddl(False, True), p=self.a.route_prefix, n=n))
        r = self.timed("SELECT count(t) FROM ft_mem t")
        got = self.count_of(r["out"])
        ok = r["error"] is None and got == n
        if not ok:
            self.failures.append("memory scan: expected %d rows, got %s; %s" % (n, got, r["error"]))
        self.mem = {"rows": n, "ok": ok, "secs": (r["ms"] or 0) / 1000.0, "hwm_kb": r["hwm_kb"],
                    "anon_peak_kb": r["anon_peak_kb"], "budget": self.memory_budget}
        log("memory: %s rows in %.1f s, VmHWM %s kB, peak RssAnon %s kB (budget %s)" % (
            got, self.mem["secs"], r["hwm_kb"], r["anon_peak_kb"], self.memory_budget))

    # ------------------------------------------------------------ cancel
    def cancel(self, sc):
        """Start the S3 scan, SIGINT the backend (what pg_cancel_backend
        does) after 1 s, time until the psql running it has returned."""
        s = sc[0].lower()
        log("=== cancel of a running %s scan after %.1f s, %d runs" % (sc[0], self.a.cancel_after, self.a.cancel_runs))
        lat = []
        for i in range(self.a.cancel_runs):
            pidbox = {}
            ev = threading.Event()

            def on_pid(pid):
                pidbox["pid"] = pid
                ev.set()
            t_box = {}

            def killer():
                if not ev.wait(30):
                    return
                time.sleep(self.a.cancel_after)
                t_box["t0"] = time.monotonic()
                os.kill(pidbox["pid"], signal.SIGINT)
            th = threading.Thread(target=killer, daemon=True)
            th.start()
            r = self.timed("SELECT count(t) FROM ft_%s t %s" % (s, self.where(sc)), on_pid=on_pid)
            t1 = time.monotonic()
            th.join()
            if "t0" not in t_box:
                self.failures.append("cancel run %d: no backend pid" % i)
                continue
            ms = (t1 - t_box["t0"]) * 1000.0
            if r["error"] and "canceling statement due to user request" in r["error"]:
                lat.append(ms)
                log("cancel run %d: returned %.1f ms after SIGINT" % (i + 1, ms))
            else:
                log("cancel run %d: not canceled (%s)" % (i + 1, r["error"] or "finished first"))
                self.notes.append("cancel run %d: the scan was not canceled (%s)" % (i + 1, r["error"] or "it finished first"))
            time.sleep(0.3)
        self.cancel_ms = lat

    # ------------------------------------------------------------ profile
    def profile(self, sc):
        """perf record (cpu-clock sampling, system-wide) during one S1
        count(t) and one REFRESH; reports split by thread and by symbol."""
        s = sc[0].lower()
        if subprocess.run(["perf", "--version"], stdout=subprocess.DEVNULL,
                          stderr=subprocess.DEVNULL).returncode != 0:
            self.notes.append("profile: perf not available")
            return
        ft, where, pre = "ft_%s" % s, self.where(sc), ""
        if sc[0] == "S5":
            # the aws source's table (bench S5); labels of their own, so
            # the S1 targets keep S1's profile
            ft, where, pre = "s5.aws_ec2_instances", "", "s5_"
        stmts = [(pre + "count_t", "SELECT count(t) FROM %s t %s" % (ft, where), ""),
                 (pre + "count", "SELECT count(*) FROM %s %s" % (ft, where), ""),
                 (pre + "refresh", "REFRESH MATERIALIZED VIEW mv_%s" % s, "")]
        csvp = getattr(self, "profile_csv", None) if sc[0] == "S1" else None
        if csvp and os.path.exists(csvp):
            # the floor's main thread in the same run: its kernel share
            # (heap and WAL writes) beside REFRESH's
            stmts.append(("copy", "COPY copy_%s FROM '%s' (FORMAT csv)" % (s, csvp), "TRUNCATE copy_%s;" % s))
        for label, stmt, setup in stmts:
            data = os.path.join(self.a.out, "perf-%s-%s.data" % (s, label))
            perf = subprocess.Popen(["perf", "record", "-q", "-a", "-e", "cpu-clock", "-F", "1999", "-g",
                                     "-o", data], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            time.sleep(1.0)
            box = {}
            r = self.timed(stmt, setup=setup, on_pid=lambda pid: box.setdefault("pid", pid))
            perf.send_signal(signal.SIGINT)
            perf.wait()
            pid = box.get("pid")
            rep = os.path.join(self.a.out, "profile-%s-%s.txt" % (s, label))
            text, stats = perf_summary(data, pid)
            stats["secs"] = (r["ms"] or 0) / 1000.0
            if not hasattr(self, "prof") or self.prof is None:
                self.prof = {}
            self.prof[label] = stats
            with open(rep, "w") as f:
                f.write("# %s: %.3f s, backend pid %s\n" % (stmt, stats["secs"], pid))
                f.write(text)
            log("profile %s: %s" % (label, text.strip().splitlines()[-1]))
        if csvp and not self.a.keep_files and os.path.exists(csvp):
            os.unlink(csvp)

    @staticmethod
    def installed_so():
        """sha256 of the installed cq_fdw.so (the install dir is shared: a
        concurrent `make install`, e.g. test/run's ASan stage, replaces it
        under a running benchmark)."""
        try:
            libdir = subprocess.run(["pg_config", "--pkglibdir"], stdout=subprocess.PIPE).stdout.decode().strip()
            with open(os.path.join(libdir, "cq_fdw.so"), "rb") as f:
                return hashlib.sha256(f.read()).hexdigest()
        except OSError:
            return None

    # ------------------------------------------------------------ report
    STATE = ("notes", "failures", "mem", "cancel_ms", "s8_runs", "settings", "pgversion", "concurrency",
             "memory_budget", "load0", "load_end", "commit", "date", "prof", "s7_res", "s9_res")

    def save(self, path):
        self.load_end = self.loadavg()
        st = {k: getattr(self, k, None) for k in self.STATE}
        st["args"] = vars(self.a)
        with open(path, "w") as f:
            json.dump({"results": {"%s|%s" % k: v for k, v in self.results.items()}, "state": st},
                      f, indent=1, default=str)

    def load(self, path):
        with open(path) as f:
            d = json.load(f)
        self.results = {tuple(k.split("|", 1)): v for k, v in d["results"].items()}
        for k in self.STATE:
            setattr(self, k, d["state"].get(k))
        for k in ("runs", "baseline_runs_slow", "cancel_after"):
            setattr(self.a, k, d["state"]["args"].get(k))

    COPY_SPREAD_MAX = 20.0      # %: above it, no cq/COPY ratio is printed

    @staticmethod
    def spread_pct(t):
        """(max - min) / median of a method's runs, in %; None for < 2 runs."""
        if len(t) < 2:
            return None
        med = statistics.median(t)
        return 100.0 * (max(t) - min(t)) / med if med > 0 else None

    def copy_ref(self, name):
        """(median COPY s, its spread %, why no ratio or None) of a scenario."""
        copy = self.results.get((name, M_COPY), {}).get("times") or []
        if not copy:
            return None, None, "no COPY run"
        sp = self.spread_pct(copy)
        if sp is not None and sp > self.COPY_SPREAD_MAX:
            return statistics.median(copy), sp, "COPY spread %.0f%% > %.0f%%" % (sp, self.COPY_SPREAD_MAX)
        return statistics.median(copy), sp, None

    def table(self, scenarios):
        hdr = ["scenario", "method", "runs", "median s", "min-max s", "spread", "rows/s", "peak RSS MB",
               "cq/COPY", "cq/ideal"]
        rows = []
        for sc in scenarios:
            name = sc[0]
            if (name, "_meta") not in self.results:
                continue
            ideal = self.results.get((name, M_IDEAL), {}).get("times") or []
            copy_med, copy_sp, no_ratio = self.copy_ref(name)
            ideal_v = ideal[0] if ideal else None
            for m in METHOD_ORDER:
                e = self.results.get((name, m))
                if not e:
                    continue
                t = e["times"]
                if e.get("computed"):
                    rows.append([name, m, "-", "%.3f" % t[0] if t else "-", "-", "-",
                                 "%.0f" % (e["rows"] / t[0]) if t else "-", "-", "-", "-"])
                    continue
                if not t:
                    rows.append([name, m, "0", "FAILED", "-", "-", "-", "-", "-", "-"])
                    continue
                med = statistics.median(t)
                hwm = max(e["hwm_kb"]) / 1024.0 if e["hwm_kb"] else None
                cq = m in CQ_METHODS
                sp = self.spread_pct(t)
                if cq and copy_med and not no_ratio:
                    vs_copy = "%.2f" % (med / copy_med)
                elif cq and copy_med:
                    vs_copy = "n/a (%s)" % no_ratio
                else:
                    vs_copy = "-"
                rows.append([name, m, str(len(t)), "%.3f" % med, "%.3f-%.3f" % (min(t), max(t)),
                             "%.0f%%" % sp if sp is not None else "-",
                             "%.0f" % (e["rows"] / med) if med > 0 else "-",
                             "%.0f" % hwm if hwm else "-", vs_copy,
                             # S6's count(*) makes no detail call: the ideal is not its
                             "%.2f" % (med / ideal_v) if (cq and ideal_v and not (
                                 sc[2] == "hydrate" and m == M_COUNT)) else "-"])
        lines = ["| " + " | ".join(hdr) + " |", "|" + "|".join("---" for _ in hdr) + "|"]
        lines += ["| " + " | ".join(r) + " |" for r in rows]
        return "\n".join(lines)

    # ------------------------------------------------------------ targets (issue 16)
    def med(self, name, method):
        t = (self.results.get((name, method)) or {}).get("times") or []
        return statistics.median(t) if t else None

    def spread_txt(self, name, method):
        t = (self.results.get((name, method)) or {}).get("times") or []
        sp = self.spread_pct(t)
        return "%.0f%%" % sp if sp is not None else "-"

    def prof_txt(self, label):
        """One line of the profile of an S1 statement (bench --profile)."""
        p = (getattr(self, "prof", None) or {}).get(label)
        if not p:
            return "no profile (run with --profile)"
        ours = (", of which ours %.0f%%" % p["main_kernel_ours_pct"]) if "main_kernel_ours_pct" in p else ""
        return ("perf %s (%.2f s): CPUs idle %.0f%%; backend %.0f%% of all samples: main thread %.0f%% "
                "(kernel %.0f%% of it%s), parse workers %.0f%%, curl I/O %.0f%%" % (
                    label, p["secs"], p["idle_pct"], p["backend_pct"], p["main_pct"], p["main_kernel_pct"], ours,
                    p["workers_pct"], p["io_pct"]))

    def targets(self):
        """The targets of issue 16 on this run: rows of (target, measured,
        met/missed/not measured, profile summary)."""
        rows = []

        def vs_copy(name, method, limit, label, prof):
            m = self.med(name, method)
            copy_med, copy_sp, no_ratio = self.copy_ref(name)
            if m is None or copy_med is None:
                return rows.append((label, "not measured", "not measured", prof))
            meas = "%.3f s (spread %s) / COPY %.3f s (spread %s)" % (
                m, self.spread_txt(name, method), copy_med, self.spread_txt(name, M_COPY))
            if no_ratio:
                return rows.append((label, meas + "; no ratio: " + no_ratio, "not measured", prof))
            r = m / copy_med
            rows.append((label, meas + " = **%.2fx**" % r, "met" if r <= limit else "missed", prof))

        def vs_ideal(name, methods, limit, label):
            ideal = (self.results.get((name, M_IDEAL)) or {}).get("times") or []
            meds = [(mm, self.med(name, mm)) for mm in methods]
            meds = [(mm, v) for mm, v in meds if v is not None]
            if not ideal or not meds:
                return rows.append((label, "not measured", "not measured", ""))
            worst = max(v for _, v in meds)
            meas = "; ".join("%s %.3f s (spread %s) = %.2fx" % (
                mm.replace("cq_fdw ", ""), v, self.spread_txt(name, mm), v / ideal[0]) for mm, v in meds)
            rows.append((label, meas + " of ideal %.3f s" % ideal[0],
                         "met" if worst / ideal[0] <= limit else "missed", ""))

        vs_copy("S1", M_REFRESH, 1.0, "S1 REFRESH <= 1.0x COPY", self.prof_txt("refresh"))
        vs_copy("S1", M_ALLCOLS, 0.7, "S1 count(t) <= 0.7x COPY", self.prof_txt("count_t"))
        vs_ideal("S3", [M_COUNT], 1.1, "S3 count(*) <= 1.1x ideal")
        vs_ideal("S3", [M_REFRESH], 1.5, "S3 REFRESH <= 1.5x ideal")
        vs_ideal("S4", list(CQ_METHODS), 1.15, "S4 (every cq_fdw method) <= 1.15x ideal")
        m = getattr(self, "mem", None)
        budget = self.memory_budget_kb()
        if m and m.get("hwm_kb") and budget:
            lim = budget + 64 * 1024
            rows.append(("%d rows: peak RSS <= memory_budget + 64 MB = %.0f MB" % (m["rows"], lim / 1024.0),
                         "VmHWM %.0f MB, peak RssAnon %.0f MB" % (m["hwm_kb"] / 1024.0,
                                                                  (m["anon_peak_kb"] or 0) / 1024.0),
                         "met" if m["hwm_kb"] <= lim else "missed", ""))
        else:
            rows.append(("1,000,000 rows: peak RSS <= memory_budget + 64 MB", "not measured", "not measured", ""))
        e = self.results.get(("S1", M_REFRESH)) or {}
        idle = e.get("idle_pct") or []
        p = (getattr(self, "prof", None) or {}).get("refresh")
        if idle:
            cpu = e.get("cpu_s") or []
            t = e.get("times") or []
            busy = ("; backend CPU %.0f%% of %d cores" % (
                100.0 * statistics.median(cpu) / statistics.median(t) / (os.cpu_count() or 1), os.cpu_count() or 1)
                if cpu and t else "")
            try:
                load1 = float(str(self.load0).split()[0])
            except (ValueError, IndexError):
                load1 = None
            quiet = load1 is not None and load1 < 1.0
            rows.append(("CPU idle during S1 REFRESH < 10%",
                         "median %.1f%% (/proc/stat, all CPUs, runs: %s)%s" % (
                             statistics.median(idle), ", ".join("%.0f" % x for x in idle), busy),
                         ("met" if statistics.median(idle) < 10 else "missed") if quiet else
                         "not measured (machine busy: load average %s at start, other processes fill the "
                         "idle time)" % self.load0, self.prof_txt("refresh")))
        else:
            rows.append(("CPU idle during S1 REFRESH < 10%", "not measured", "not measured", self.prof_txt("refresh")))
        if p:
            # met/missed on the raw share of cq_fdw's statements, as the
            # issue states it; beside it the split by call chain, and
            # COPY's main thread in the same run (the heap/WAL writes it
            # pays too)
            ours = [(lb, q) for lb, q in sorted(self.prof.items()) if lb != "copy"]
            worst = max(((lb, q["main_kernel_pct"]) for lb, q in ours), key=lambda x: x[1])

            def split(lb, q):
                if "main_kernel_ours_pct" not in q:
                    return "%s %.1f%%" % (lb, q["main_kernel_pct"])
                causes = ", ".join("%s %.1f%%" % tuple(c) for c in (q.get("main_kernel_causes") or [])[:3])
                return "%s %.1f%% (PostgreSQL's heap/WAL writes %.1f%%, session start/exit/catalog %.1f%%, the rest" \
                       "%s %.1f%%%s)" % (lb, q["main_kernel_pct"], q["main_kernel_pg_writes_pct"],
                                        q["main_kernel_session_pct"], "" if lb == "copy" else " (ours)",
                                        q["main_kernel_ours_pct"], ": " + causes if causes else "")
            meas = "; ".join(split(lb, q) for lb, q in ours)
            if "copy" in self.prof:
                meas += "; beside it, COPY (same run): " + split("copy", self.prof["copy"])
            rows.append(("backend main thread kernel time < 10% of its samples", meas,
                         "met" if worst[1] < 10 else "missed",
                         "perf, leaf frame in [kernel.kallsyms], % of the main thread's samples; split by call chain "
                         "(bench.py main_kernel_cause)"))
        else:
            rows.append(("backend main thread kernel time < 10% of its samples", "not measured", "not measured",
                         "no profile (run with --profile)"))
        return rows

    def targets_table(self):
        out = ["| target | measured | met? | profile |", "|---|---|---|---|"]
        for t, meas, ok, prof in self.targets():
            out.append("| %s | %s | %s | %s |" % (t, meas, ok, prof))
        return out

    def png(self, scenarios, path):
        """Bars per scenario: each method's median relative to COPY (the
        floor) and, where latency makes one, to the ideal; min-max as error
        bars.  Needs matplotlib (Debian python3-matplotlib); returns a
        message either way."""
        try:
            import matplotlib
            matplotlib.use("Agg")
            import matplotlib.pyplot as plt
        except ImportError:
            return ("results.png not written: matplotlib is not installed "
                    "(apt-get install python3-matplotlib)")
        panels = []
        for sc in scenarios:
            name = sc[0]
            if (name, "_meta") not in self.results:
                continue
            ideal = (self.results.get((name, M_IDEAL)) or {}).get("times") or []
            copy_med, _, no_ratio = self.copy_ref(name)
            for ref_name, ref in (("COPY", None if no_ratio else copy_med), ("ideal", ideal[0] if ideal else None)):
                if not ref:
                    continue
                bars = []
                for m in METHOD_ORDER:
                    t = (self.results.get((name, m)) or {}).get("times") or []
                    if not t or m == M_IDEAL or (self.results.get((name, m)) or {}).get("computed"):
                        continue
                    if ref_name == "ideal" and m not in CQ_METHODS:
                        continue
                    med = statistics.median(t)
                    bars.append((m, med / ref, (med - min(t)) / ref, (max(t) - med) / ref))
                if bars:
                    panels.append(("%s: median / %s (%.2f s)" % (name, ref_name, ref), bars))
        if getattr(self, "s7_res", None) and self.s7_res.get("cq_secs") and self.s7_res.get("copy_secs"):
            panels.append(("S7: 16 backends at once, wall / COPY (%.2f s)" % self.s7_res["copy_secs"],
                           [("cq_fdw 16 x count(t)", self.s7_res["cq_secs"] / self.s7_res["copy_secs"], 0, 0)]))
        if not panels:
            return "results.png not written: no scenario measured"
        fig, axes = plt.subplots(len(panels), 1, figsize=(9, 1.1 + 0.45 * sum(len(b) for _, b in panels)
                                                          + 0.6 * len(panels)), squeeze=False)
        for ax, (title, bars) in zip(axes[:, 0], panels):
            labels = [b[0].replace("cq_fdw ", "") for b in bars]
            vals = [b[1] for b in bars]
            colors = ["#4c72b0" if b[0] in CQ_METHODS or b[0].startswith("cq_fdw") else "#999999" for b in bars]
            ax.barh(range(len(bars)), vals, xerr=[[b[2] for b in bars], [b[3] for b in bars]], color=colors)
            ax.set_yticks(range(len(bars)))
            ax.set_yticklabels(labels, fontsize=8)
            ax.invert_yaxis()
            ax.axvline(1.0, color="black", linewidth=0.8)
            ax.set_title(title, fontsize=9, loc="left")
            for i, v in enumerate(vals):
                ax.text(v, i, " %.2fx" % v, va="center", fontsize=7)
        fig.suptitle("cq_fdw bench %s, tree %s, load %s -> %s" % (
            self.date, self.commit, self.load0, getattr(self, "load_end", None) or self.loadavg()), fontsize=9)
        fig.tight_layout()
        fig.savefig(path, dpi=90)
        plt.close(fig)
        return "results.png written: %s" % path

    def machine(self):
        model = "?"
        try:
            with open("/proc/cpuinfo") as f:
                for line in f:
                    if line.startswith("model name"):
                        model = line.split(":", 1)[1].strip()
                        break
        except OSError:
            pass
        return "%d cores (nproc), %s, %s, %s; load average at start %s, at end %s" % (
            os.cpu_count() or 0, model, platform.platform(), self.pgversion.split(" on ")[0],
            self.load0, getattr(self, "load_end", None) or self.loadavg())

    @staticmethod
    def loadavg():
        try:
            with open("/proc/loadavg") as f:
                return " ".join(f.read().split()[:3])
        except OSError:
            return "?"

    def report(self, scenarios):
        out = []
        out.append("Run %s on %s." % (self.date or "?", self.machine()))
        if getattr(self, "commit", None):
            out.append("")
            out.append("Tree: %s." % self.commit)
        out.append("")
        out.append("Settings: " + ", ".join("%s=%s" % kv for kv in self.settings.items()) +
                   "; runs per method: %d (ELT baseline: %d when the sequential fetch would exceed 30 s)." % (
                       self.a.runs, self.a.baseline_runs_slow))
        out.append("")
        if any((sc[0], "_meta") in self.results for sc in scenarios):
            out.append(self.table(scenarios))
            out.append("")
            out.append("Targets (issue 16) on this run (load average at start %s, at end %s; ratios of medians, "
                       "no ratio when COPY's own spread exceeds %.0f%%):" % (
                           self.load0, getattr(self, "load_end", None) or self.loadavg(), self.COPY_SPREAD_MAX))
            out.append("")
            out += self.targets_table()
            out.append("")
        if getattr(self, "s7_res", None):
            out += self.s7_report()
            out.append("")
        for sc in scenarios:
            e = self.results.get((sc[0], M_IDEAL))
            meta = self.results.get((sc[0], "_meta"))
            if meta:
                out.append("- %s: %s; %d requests; ideal: %s" % (
                    sc[0], meta["desc"], meta["requests"], e["formula"] if e else "-"))
        if getattr(self, "mem", None):
            m = self.mem
            out.append("- Peak backend RSS scanning %d rows (`SELECT count(t)`, all columns converted): "
                       "VmHWM %.0f MB, peak RssAnon %.0f MB, %.1f s; memory_budget %s (target <= budget + 64 MB)." % (
                           m["rows"], (m["hwm_kb"] or 0) / 1024.0, (m["anon_peak_kb"] or 0) / 1024.0,
                           m["secs"], m["budget"]))
        if getattr(self, "s8_runs", None):
            out.append("")
            out.append("S8, an estate synced into a snapshot (`cq_fdw.create_snapshot`): A accounts x %d rich "
                       "resources, %d per page, %d ms per request, next-token paging per account." % (
                           self.S8_ITEMS, self.S8_PER_PAGE, self.S8_LATENCY_MS))
            out.append("")
            out += self.s8_report()
            out.append("")
        if getattr(self, "s9_res", None):
            out += self.s9_report()
            out.append("")
        if getattr(self, "cancel_ms", None):
            c = self.cancel_ms
            out.append("- Cancel of a running S3 scan (SIGINT to the backend %.1f s after start, time until "
                       "psql returned): median %.1f ms, max %.1f ms over %d runs (%s)." % (
                           self.a.cancel_after, statistics.median(c), max(c), len(c),
                           ", ".join("%.1f" % x for x in c)))
        for key, e in sorted(self.results.items()):
            for w in e.get("warnings", [])[:2]:
                out.append("- %s %s: %s" % (key[0], key[1], w.strip()))
        for n in self.notes:
            out.append("- " + n)
        for f in self.failures:
            out.append("- FAILURE: " + f)
        return "\n".join(out) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pghost", default="")
    ap.add_argument("--pgport", default="5432")
    ap.add_argument("--pguser", default="postgres")
    ap.add_argument("--dbname", default="cqbench")
    ap.add_argument("--recreate-db", action="store_true")
    ap.add_argument("--mock", default="http://127.0.0.1:18080")
    ap.add_argument("--workdir", default="/tmp/cq_bench_files", help="local CSV/JSON files (must be readable by the server)")
    ap.add_argument("--out", default=os.path.join(HERE, "out"))
    ap.add_argument("--smoke", action="store_true", help="small sizes, 1 run, no profile/cancel")
    ap.add_argument("--runs", type=int, default=None)
    ap.add_argument("--scenarios", default=None,
                    help="S1-S7, S8 (the estate sync) and S9 (the estate past one node: 1 node vs "
                         "3 nodes); S8 and S9 are not in the default list; "
                         "default S1,S2,S3,S4,S5,S6,S7, or S8 alone with --s8-sweep")
    ap.add_argument("--s8-accounts", type=int, default=None,
                    help="S8: accounts x 1,000 resources (default 10000; 20 with --smoke)")
    ap.add_argument("--s8-sweep", default=None,
                    help="S8 at several account counts, one after the other, e.g. 1000,3000,10000 "
                         "(the flat-memory table); implies S8")
    ap.add_argument("--s8-items", type=int, default=None,
                    help="S8: resources per account (default 1000); few items make a run take seconds, "
                         "to measure what grows with accounts")
    ap.add_argument("--s8-per-page", type=int, default=None,
                    help="S8: resources per page (default 100)")
    ap.add_argument("--s9-accounts", type=int, default=None,
                    help="S9: accounts, split over 3 nodes (default 3000; 30 with --smoke)")
    ap.add_argument("--s9-items", type=int, default=None,
                    help="S9: resources per account (default 100; 10 with --smoke)")
    ap.add_argument("--s9-per-page", type=int, default=None,
                    help="S9: resources per page (default 50: two pages per account)")
    ap.add_argument("--pg-os-user", default=None,
                    help="S9: the OS user its PostgreSQL nodes run as when bench.py runs as root "
                         "(default postgres, else cqtest)")
    ap.add_argument("--mock-pidfile", help="pid file of the mock (S8 reports its CPU time)")
    ap.add_argument("--no-baseline", action="store_true")
    ap.add_argument("--no-jsonb", action="store_true", help="skip the jsonb_to_recordset floor (slow, 1.7 GB)")
    ap.add_argument("--baseline-runs-slow", type=int, default=1)
    ap.add_argument("--memory-rows", type=int, default=None)
    ap.add_argument("--no-memory", action="store_true")
    ap.add_argument("--cancel-runs", type=int, default=5)
    ap.add_argument("--cancel-after", type=float, default=1.0)
    ap.add_argument("--no-cancel", action="store_true")
    ap.add_argument("--profile", action="store_true", default=None,
                    help="perf profiles of the S1 (and S5) statements (the default without --smoke)")
    ap.add_argument("--no-profile", dest="profile", action="store_false")
    ap.add_argument("--no-compare", dest="compare", action="store_false")
    ap.add_argument("--keep-files", action="store_true")
    ap.add_argument("--route-prefix", default="bench")
    ap.add_argument("--render", help="print the report of a saved results.json instead of running")
    ap.add_argument("--png", help="with --render: also draw the bars into this PNG file")
    ap.add_argument("--readme", help="replace the results section of this README with the table")
    ap.add_argument("--list-steps", action="store_true",
                    help="print the steps the arguments select, one a line, and exit (nothing runs)")
    a = ap.parse_args()
    if a.scenarios is None:
        # --s8-sweep alone runs S8 only (it implies S8, nothing else)
        a.scenarios = "S8" if a.s8_sweep else "S1,S2,S3,S4,S5,S6,S7"
    if a.runs is None:
        a.runs = 1 if a.smoke else 3
    if a.memory_rows is None:
        a.memory_rows = 5000 if a.smoke else 1000000
    if a.smoke:
        a.no_cancel = True
        a.profile = False
    if a.profile is None:
        a.profile = subprocess.run(["sh", "-c", "command -v perf"], stdout=subprocess.DEVNULL).returncode == 0
    defs = SMOKE if a.smoke else FULL
    wanted = [x.strip().upper() for x in a.scenarios.split(",") if x.strip()]
    scenarios = [sc for sc in defs if sc[0] in wanted]
    if a.s8_sweep:
        s8_accounts = [int(x) for x in a.s8_sweep.split(",") if x.strip()]
    elif "S8" in wanted:
        s8_accounts = [a.s8_accounts or (20 if a.smoke else 10000)]
    else:
        s8_accounts = []
    if (s8_accounts or "S7" in wanted or "S5" in wanted or "S9" in wanted) and not scenarios:
        a.no_memory = True          # S5/S7/S8/S9 alone: no 1M-row memory scan
    s9_accounts = (a.s9_accounts or (30 if a.smoke else 3000)) if "S9" in wanted else None
    if a.s9_items is None:
        a.s9_items = 10 if a.smoke else 100
    if a.s9_per_page is None:
        a.s9_per_page = 5 if a.smoke else 50
    if a.pg_os_user is None and os.geteuid() == 0:
        import pwd
        try:
            pwd.getpwnam("postgres")
            a.pg_os_user = "postgres"
        except KeyError:
            a.pg_os_user = "cqtest"

    if a.s8_items:
        Bench.S8_ITEMS = a.s8_items
    if a.s8_per_page:
        Bench.S8_PER_PAGE = a.s8_per_page
    b = Bench(a)
    if a.render:
        # re-render a saved run (ideals recomputed from the scenario list)
        b.load(a.render)
        for sc in scenarios:
            if (sc[0], "_meta") in b.results:
                b.set_ideal(sc)
        print(b.report(scenarios))
        if a.png:
            log(b.png(scenarios, a.png))
        return 0
    steps = []
    for sc in scenarios:
        if sc[0] == "S5":
            steps.append(("scenario S5", lambda sc=sc: b.s5(sc)))
            continue
        if sc[0] == "S6":
            steps.append(("scenario S6", lambda sc=sc: b.s6(sc)))
            continue
        steps.append(("scenario " + sc[0], lambda sc=sc: b.scenario(sc)))
        if sc[0] == "S1" and a.profile:
            steps.append(("profile", lambda sc=sc: b.profile(sc)))
        if sc[0] == "S3" and not a.no_cancel:
            steps.append(("cancel", lambda sc=sc: b.cancel(sc)))
    if "S7" in wanted:
        steps.append(("S7", b.s7))
    if not a.no_memory:
        steps.append(("memory", b.memory))
    for n in s8_accounts:
        steps.append(("S8 %d accounts" % n, lambda n=n: b.s8(n)))
    if s9_accounts:
        steps.append(("S9 %d accounts" % s9_accounts, lambda: b.s9(s9_accounts)))
    if a.list_steps:
        for label, _ in steps:
            print(label)
        return 0
    b.setup_db()
    b.first_scan()
    t0 = time.monotonic()
    so = b.installed_so()
    for label, fn in steps:
        try:
            fn()
        except Exception as ex:        # keep going: report what was measured
            b.failures.append("%s: %s" % (label, str(ex)[:300]))
            log("FAIL %s: %s" % (label, ex))
        if so and b.installed_so() != so:
            b.notes.append("the installed cq_fdw.so changed during the run (after %s): another build "
                           "installed over it; numbers after that point are not comparable" % label)
            log(b.notes[-1])
            so = b.installed_so()
    text = b.report(scenarios)
    log("total %.0f s" % (time.monotonic() - t0))
    with open(os.path.join(a.out, "results.md"), "w") as f:
        f.write("# cq_fdw benchmark results%s\n\n" % (" (smoke)" if a.smoke else ""))
        f.write(text)
    b.save(os.path.join(a.out, "results.json"))
    log(b.png(scenarios, os.path.join(a.out, "results.png")))
    print(text)
    if a.readme:
        with open(a.readme) as f:
            readme = f.read()
        begin, end = "<!-- results:begin -->", "<!-- results:end -->"
        if begin in readme and end in readme:
            head, rest = readme.split(begin, 1)
            _, tail = rest.split(end, 1)
            with open(a.readme, "w") as f:
                f.write(head + begin + "\n" + text + end + tail)
            log("results copied into %s" % a.readme)
            png = os.path.join(a.out, "results.png")
            if os.path.exists(png):
                # the README embeds results.png beside it (bench/out is not in git)
                import shutil
                shutil.copyfile(png, os.path.join(os.path.dirname(os.path.abspath(a.readme)), "results.png"))
    if b.failures:
        print("BENCH FAILED: %d failure(s)" % len(b.failures))
        for e in b.s8_runs:
            if "secs" in e:
                print(b.s8_line(e))
        if getattr(b, "s9_res", None):
            print(b.s9_line(b.s9_res))
        return 1
    print("BENCH OK: every method produced the expected rows")
    for e in b.s8_runs:                  # the S8 line(s) last (issue 19)
        if "secs" in e:
            print(b.s8_line(e))
    if getattr(b, "s9_res", None):       # then S9's
        print(b.s9_line(b.s9_res))
    return 0


if __name__ == "__main__":
    sys.exit(main())
