#!/usr/bin/env bash
#
# test/checks/bench_smoke.root.sh -- a reduced run of the benchmark
# (bench/bench.py --smoke) so the bench cannot rot.
#
# Runs as root inside test/run's namespace (root: the harness reads the
# backend's /proc/<pid>/status and writes the floors' files) against
# test/run's cluster and mock (PGHOST, PGPORT, MOCK_URL, CQ_TEST_DIR,
# CQ_TOP).  Small sizes, one run per method, no profile, no cancel test.
# Asserts only that every method of every scenario produced the expected
# number of rows and that the results table was printed -- no timing.
# Skipped with QUICK=1.  Works in its own database, dropped at the end.

set -u
if [ -n "${QUICK:-}" ]; then
	echo "SKIP bench_smoke: QUICK=1"
	exit 0
fi
TOP=${CQ_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
DIR=${CQ_TEST_DIR:-/tmp}/bench-smoke
DB=cq_bench_smoke
mkdir -p "$DIR/files" "$DIR/out"
chmod 755 "$DIR" "$DIR/files"

/usr/bin/python3 "$TOP/bench/bench.py" --smoke --recreate-db --dbname "$DB" \
	--pghost "$PGHOST" --pgport "$PGPORT" --pguser postgres \
	--mock "${MOCK_URL:-http://127.0.0.1:18080}" --route-prefix smoke \
	--workdir "$DIR/files" --out "$DIR/out" >"$DIR/out/stdout" 2>"$DIR/out/stderr"
rc=$?
cat "$DIR/out/stdout"
# S8 alone (--s8-sweep implies S8 and nothing else) at 20 accounts: its
# result line is logged once, "S8: <rows> rows in ...", not "S8: S8: ..."
/usr/bin/python3 "$TOP/bench/bench.py" --smoke --s8-sweep 20 --dbname "$DB" \
	--pghost "$PGHOST" --pgport "$PGPORT" --pguser postgres \
	--mock "${MOCK_URL:-http://127.0.0.1:18080}" --route-prefix smoke \
	--workdir "$DIR/files" --out "$DIR/out8" >"$DIR/out/s8.stdout" 2>"$DIR/out/s8.stderr"
rc8=$?
# S9 (1 node vs 3 nodes, issue 19) at 30 accounts x 10 items: starts four
# clusters of its own (as PGUSER_OS), syncs on one node and on three slice
# nodes, reads the slices through this cluster's postgres_fdw; a lost or
# differing row fails it.  Its line comes last: "S9: 30 accounts, 300 rows: ..."
/usr/bin/python3 "$TOP/bench/bench.py" --smoke --scenarios S9 --dbname "$DB" \
	--pghost "$PGHOST" --pgport "$PGPORT" --pguser postgres --pg-os-user "${PGUSER_OS:-postgres}" \
	--mock "${MOCK_URL:-http://127.0.0.1:18080}" --route-prefix smoke \
	--workdir "$DIR/files" --out "$DIR/out9" >"$DIR/out/s9.stdout" 2>"$DIR/out/s9.stderr"
rc9=$?
psql -X -q -h "$PGHOST" -p "$PGPORT" -U postgres -d postgres -c "DROP DATABASE IF EXISTS $DB" >/dev/null 2>&1

fail=0
[ $rc = 0 ] || { echo "FAIL bench_smoke: bench.py exit $rc"; tail -20 "$DIR/out/stderr"; fail=1; }
for s in S1 S2 S3 S4; do
	for m in "COPY from local CSV" "jsonb_to_recordset" "cq_fdw SELECT count(*)" \
		"cq_fdw SELECT count(t)" "cq_fdw REFRESH MATERIALIZED VIEW" "baseline: sequential fetch"; do
		if ! grep -F "| $s | $m" "$DIR/out/stdout" | grep -qv FAILED; then
			echo "FAIL bench_smoke: no result for $s / $m"
			fail=1
		fi
	done
done
grep -q "^BENCH OK" "$DIR/out/stdout" || fail=1
[ $rc8 = 0 ] || { echo "FAIL bench_smoke: bench.py --s8-sweep 20 exit $rc8"; tail -20 "$DIR/out/s8.stderr"; fail=1; }
grep -qE '^\[bench [0-9:]+\] S8: 20000 rows in ' "$DIR/out/s8.stderr" ||
	{ echo "FAIL bench_smoke: no S8 result line"; tail -5 "$DIR/out/s8.stderr"; fail=1; }
if grep -q 'S8: S8:' "$DIR/out/s8.stderr"; then
	echo "FAIL bench_smoke: doubled S8 prefix"; fail=1
fi
if grep -qE '=== (S1|S2|S3|S4|memory)' "$DIR/out/s8.stderr"; then
	echo "FAIL bench_smoke: --s8-sweep ran other scenarios"; fail=1
fi
[ $rc9 = 0 ] || { echo "FAIL bench_smoke: bench.py --scenarios S9 exit $rc9"; tail -20 "$DIR/out/s9.stderr"; fail=1; }
tail -1 "$DIR/out/s9.stdout" | grep -qE '^S9: 30 accounts, 300 rows: 1 node [0-9.]+ s, 3 nodes [0-9.]+ s \(ratio [0-9.]+\), coordinator read [0-9.]+ s, 0 rows lost$' ||
	{ echo "FAIL bench_smoke: no S9 result line"; tail -5 "$DIR/out/s9.stdout"; fail=1; }
grep -qF '| coordinator read (postgres_fdw, async append' "$DIR/out/s9.stdout" ||
	{ echo "FAIL bench_smoke: no S9 table"; fail=1; }
[ $fail = 0 ] && echo "PASS bench_smoke"
exit $fail
