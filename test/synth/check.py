#!/usr/bin/python3
"""check.py -- scan every table of every installed spec source against the
mock's synthesized replies (test/synth/synth.py) and compare.

    MOCK_URL=http://127.0.0.1:18080 PGHOST=... python3 test/synth/check.py [source.table ...]

One psql session: per source a server (base_url re-pointed per table at
MOCK_URL/synth/<source>/<table>), a user mapping, IMPORT FOREIGN SCHEMA;
then per table SELECT to_jsonb(t) with the qual values of synth's plan.
Per table it asserts:
  - no ERROR; the rows (as jsonb) equal the expected ones, column by column
    (typed values, arrays, transforms, key columns from the request);
  - one WARNING "invalid value(s) in column X" for the column synth made
    invalid, and no other WARNING;
  - the mock's request log: the number of page requests (2 pages: the
    engine followed the table's pagination; page_number adds the empty
    last page), each to the expected endpoint path with its fixed query.
A table synth cannot plan (child tables included, however many lists deep
their rows are), or an installed spec source whose file synth does not
find, FAILS: no table is exempt.  Prints one line per failure and a summary
"N tables: P passed, F failed"; exit status 0 = all passed.
"""

import decimal
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import synth  # noqa: E402

MOCK_URL = os.environ.get("MOCK_URL", "http://127.0.0.1:18080").rstrip("/")
# pg_regress tests that also scan child tables against real recorded replies
# (../shared/fixtures and test/fixtures): listed in the summary, beside the
# synthesized-reply scan every child table gets like any other table
CHILD_TESTS = [os.path.join(HERE, "..", "..", "sql", n) for n in ("children_shared.sql", "children.sql", "aws_children.sql")]
VERBOSE = bool(os.environ.get("SYNTH_VERBOSE"))


def read(fn):
    with open(fn, encoding="utf-8") as f:
        return f.read()


def psql(sql, check=True):
    with tempfile.NamedTemporaryFile("w", suffix=".sql", delete=False) as f:
        f.write(sql)
        fn = f.name
    try:
        p = subprocess.run(["psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=0", "-f", fn],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    finally:
        os.unlink(fn)
    if check and p.returncode != 0:
        raise SystemExit("FAIL synth: psql failed (%d):\n%s" % (p.returncode, p.stdout[-4000:]))
    return p.stdout


def lit(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    return "'" + str(v).replace("'", "''") + "'"


def ident(s):
    return '"' + s.replace('"', '""') + '"'


def norm(v):
    """Numbers as Decimal, so 1.5 (double) == 1.5 (jsonb numeric)."""
    return json.loads(json.dumps(v), parse_float=decimal.Decimal)


def rowkey(r):
    return json.dumps(r, sort_keys=True, default=str)


def main():
    only = set(sys.argv[1:])
    t0 = time.time()
    # the installed spec sources and their tables
    out = psql("SET client_min_messages = warning;\nCREATE EXTENSION IF NOT EXISTS cq_fdw;\n"
               "SELECT s.name || ' ' || t.name FROM cq_fdw.sources s JOIN cq_fdw.tables t ON t.source = s.name "
               "WHERE s.kind = 'spec' ORDER BY 1;\n")
    installed = [l.split() for l in out.splitlines() if re.fullmatch(r"[a-z0-9_]+ [a-z0-9_]+", l)]
    if not installed:
        raise SystemExit("FAIL synth: no installed spec source tables:\n" + out[-2000:])
    failures = {}
    # every spec of the tree is installed and loads (a spec the catalog
    # skipped, with a WARNING, would otherwise drop its tables silently)
    have = {s for s, _ in installed}
    for fn in synth.spec_files():
        src = os.path.basename(fn)[:-5]
        if src not in have:
            failures[(src, "*")] = "source %s (%s) is not installed or does not load: %s" % (
                src, fn, " ".join(l for l in out.splitlines() if "WARNING" in l or "DETAIL" in l)[:400])
    if only:
        installed = [x for x in installed if "%s.%s" % tuple(x) in only or x[0] in only]
        failures = {k: v for k, v in failures.items() if k[0] in only}
        if not installed and not failures:
            failures[("?", "?")] = "no installed table matches %s" % " ".join(sorted(only))
    plans = {}
    specs = {}
    recorded = {}
    for src, tbl in installed:
        try:
            if src not in specs:
                specs[src] = synth.load_spec(src)
            plans[(src, tbl)] = synth.table_plan(specs[src], synth.find_table(specs[src], tbl))
            if any(c.get("path", "").startswith("^") for c in synth.find_table(specs[src], tbl)["columns"]):
                # a child table: synthesized like the others; the recorded-reply
                # tests that also scan it are listed (an extra, not an exemption)
                hits = [t for t in CHILD_TESTS if re.search(r"\b%s\b" % re.escape(tbl), read(t))]
                recorded[(src, tbl)] = hits
        except (OSError, synth.SynthError, KeyError, ValueError) as e:
            failures[(src, tbl)] = "cannot synthesize a reply: %s" % e
    # one psql session
    lines = ["SET client_min_messages = warning;", "SET TimeZone = 'UTC';",
             "SET extra_float_digits = 0;"]
    for src in sorted(specs):
        sv = "synth_" + src
        if specs[src].get("auth") == "sigv4":
            # one region (AWS_REGION), the mock's AWS test key pair, STS at the
            # mock's /aws-api (GetCallerIdentity gives the account column)
            sopts, uopts = ", regions %s, sts_url %s" % (lit(synth.AWS_REGION), lit(MOCK_URL + "/aws-api")), \
                "access_key_id 'AKIDEXAMPLE', secret_access_key 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY'"
        else:
            sopts, uopts = "", "token 'synth-token'"
        lines += [
            "DROP SCHEMA IF EXISTS %s CASCADE;" % sv,
            "DROP SERVER IF EXISTS %s CASCADE;" % sv,
            "CREATE SERVER %s FOREIGN DATA WRAPPER cq_fdw OPTIONS (source %s, base_url %s%s);" % (
                sv, lit(src), lit(MOCK_URL + "/synth/" + src + "/none"), sopts),
            "CREATE USER MAPPING FOR CURRENT_USER SERVER %s OPTIONS (%s);" % (sv, uopts),
            "CREATE SCHEMA %s;" % sv,
            # the source's own tables (custom resources: sql/k8s_crd.sql)
            "IMPORT FOREIGN SCHEMA %s FROM SERVER %s INTO %s%s;" % (
                src, sv, sv, " OPTIONS (custom_resources 'false')" if src == "kubernetes" else ""),
        ]
    t_start = time.time() - 1
    for (src, tbl), p in sorted(plans.items()):
        sv = "synth_" + src
        where = " AND ".join("%s = %s" % (ident(c), lit(v)) for c, v in sorted(p["quals"].items()))
        lines += [
            "ALTER SERVER %s OPTIONS (SET base_url %s);" % (sv, lit("%s/synth/%s/%s" % (MOCK_URL, src, tbl))),
            "\\echo @@TABLE %s %s" % (src, tbl),
            ("SELECT to_jsonb(t)::text FROM %s.%s t%s;" % (sv, ident(tbl), " WHERE " + where if where else ""))
            if not p.get("select") else
            # a table with detail calls: its row columns only (synth.py)
            "SELECT to_jsonb(t)::text FROM (SELECT %s FROM %s.%s%s) t;" % (
                ", ".join(ident(c) for c in p["select"]), sv, ident(tbl), " WHERE " + where if where else ""),
        ]
    lines.append("\\echo @@END")
    for src in sorted(specs):
        lines += ["DROP SCHEMA IF EXISTS synth_%s CASCADE;" % src, "DROP SERVER IF EXISTS synth_%s CASCADE;" % src]
    out = psql("\n".join(lines) + "\n", check=False)

    # split the output per table
    per = {}
    cur = None
    pre = []
    for line in out.splitlines():
        m = re.match(r"@@TABLE (\S+) (\S+)$", line)
        if m:
            cur = (m.group(1), m.group(2))
            per[cur] = []
            continue
        if line == "@@END":
            cur = None
            continue
        if cur is None:
            if "ERROR" in line:
                pre.append(line)
            continue
        per[cur].append(line)
    if pre:
        print("FAIL synth: set-up errors:\n  " + "\n  ".join(pre[:20]))

    # the mock's request log since the scans started
    with urllib.request.urlopen(MOCK_URL + "/_mock/requests?route=/synth/&limit=200000") as r:
        reqs = json.load(r)["requests"]
    byt = {}
    for e in reqs:
        if e["start"] < t_start:
            continue
        parts = e["route"].split("/", 4)
        if len(parts) >= 4:
            byt.setdefault((parts[2], parts[3]), []).append(e)

    for key, p in sorted(plans.items()):
        src, tbl = key
        lines_ = per.get(key)
        if lines_ is None:
            failures[key] = "not scanned (psql output has no marker)"
            continue
        errs = []
        rows = []
        warnings = []
        for line in lines_:
            if line.startswith("{"):
                try:
                    rows.append(json.loads(line, parse_float=decimal.Decimal))
                except ValueError:
                    errs.append("unparsable row: " + line[:200])
            elif re.search(r"\b(ERROR|FATAL):", line):
                errs.append(line.split(": ", 1)[-1] if line.startswith("psql:") else line)
            elif re.search(r"\bWARNING:", line):
                warnings.append(re.sub(r"^psql:[^:]*:\d+: ", "", line))
            elif re.match(r"(DETAIL|HINT|CONTEXT):", line.strip()) and (errs or warnings):
                (errs if errs and not warnings else warnings)[-1] += " | " + line.strip()
        probs = []
        if errs:
            probs.append("ERROR: " + errs[0][:400])
        exp = [norm(r) for r in p["expected"]]
        if not errs:
            if len(rows) != len(exp):
                probs.append("%d rows, expected %d" % (len(rows), len(exp)))
            a = sorted(rows, key=rowkey)
            b = sorted(exp, key=rowkey)
            if a != b:
                # per column, pairing rows by their id-ish best match
                diffs = []
                for er in b:
                    best = max(a, key=lambda ar: sum(ar.get(k) == v for k, v in er.items())) if a else {}
                    for k, v in er.items():
                        if k not in best:
                            diffs.append("column %s missing" % k)
                        elif best[k] != v:
                            diffs.append("column %s = %s, expected %s" % (
                                k, json.dumps(best[k], default=str)[:120], json.dumps(v, default=str)[:120]))
                    extra = [k for k in best if k not in er]
                    if extra:
                        diffs.append("unexpected columns %s" % extra)
                seen = []
                for d in diffs:
                    if d not in seen:
                        seen.append(d)
                probs.append("values differ: " + "; ".join(seen[:6]) + (" (+%d more)" % (len(seen) - 6)
                                                                         if len(seen) > 6 else ""))
            got_w = set()
            for w in warnings:
                m = re.search(r'invalid values? in column "([^"]+)"', w)
                if m and m.group(1) in p["warn_cols"]:
                    got_w.add(m.group(1))
                else:
                    probs.append("unexpected " + w[:300])
            for c in p["warn_cols"]:
                if c not in got_w:
                    probs.append('no WARNING for the invalid value in column "%s"' % c)
        rq = byt.get(key, [])
        if len(rq) != p["requests"]:
            probs.append("%d requests to the mock, expected %d (%s pagination): %s" % (
                len(rq), p["requests"], p["pagination"], [e["path"] for e in rq][:4]))
        want_path, _, want_q = p["req_path"].partition("?")
        want_route = "/synth/%s/%s%s" % (src, tbl, want_path)
        fixed = urllib.parse.parse_qsl(want_q, keep_blank_values=True)
        describe_routes = {"/synth/%s/%s%s" % (src, tbl, x) for x in ((p.get("describe") or {}).get("paths") or [])}
        for e in rq:
            if e["route"] in describe_routes and e["status"] == 200:
                continue        # list-then-get: a describe call
            if e["route"] != want_route:
                probs.append("request to %s, expected %s" % (e["route"], want_route))
                break
            got = urllib.parse.parse_qsl(e["path"].partition("?")[2], keep_blank_values=True)
            if any(x not in got for x in fixed):
                probs.append("request %s lacks the endpoint's query %s" % (e["path"], want_q))
                break
            if p.get("method") and e.get("method") != p["method"]:
                probs.append("request %s sent as %s, expected %s" % (e["path"], e.get("method"), p["method"]))
                break
            if e["status"] != 200:
                probs.append("request %s answered %d" % (e["path"], e["status"]))
                break
        if probs:
            failures[key] = "; ".join(probs)
        elif VERBOSE:
            print("ok   %s.%s (%d rows, %d requests, %s)" % (src, tbl, len(rows), len(rq), p["pagination"]))

    print("synth: API descriptions: %s" % (synth.DESCRIPTIONS or
          "absent (replies built from the specs' column paths and types only)"))
    total = len(installed) + sum(1 for k in failures if k not in plans and k not in set(map(tuple, installed)))
    for (src, tbl), why in sorted(failures.items()):
        print("FAIL %s.%s: %s" % (src, tbl, why))
    nrec = sum(1 for v in recorded.values() if v)
    if VERBOSE:
        for (src, tbl), tests in sorted(recorded.items()):
            print("child %s.%s: also scanned against recorded replies by %s" % (
                src, tbl, ", ".join(os.path.basename(t) for t in tests) or "no test"))
    nsrc = len({s for s, _ in installed})
    print("synth: %d tables of %d spec sources, %d synthesized: %d passed, "
          "%d failed; %d child tables among them (%d also scanned against recorded replies) (%.1f s)" % (
              total, nsrc, len(plans), total - len(failures),
              len(failures), len(recorded), nrec, time.time() - t0))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
