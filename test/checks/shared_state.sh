#!/usr/bin/env bash
#
# test/checks/shared_state.sh -- what shared_preload_libraries = 'cq_fdw'
# shares between backends (README.md, Shared state), seen from several
# sessions at once (pg_regress has only one):
#
#  1. progress: a slow scan (the mock sleeps 150 ms per page, one page in
#     flight) runs in one session; another session polls
#     cq_fdw.scan_progress and sees that backend's row, its table, its
#     rows advance and total_pages 20 (from the Link rel="last"), while a
#     role without its privileges sees only pid and start; once the scan
#     ends (and after a cancelled scan) the row is gone.  A table sync
#     (CALL cq_fdw.sync) of the same table shows its scan the same way.
#     total_rows is 200 and percent advances for a listing whose pages say
#     its size: DigitalOcean's meta.total, Kubernetes' remainingItemCount.
#  2. shared rate limiter: 16 backends scan at once with one token against
#     /ratelimited/ (the mock allows RPS requests per second per token and
#     answers 429 beyond); server option requests_per_second is below RPS.
#     Every scan completes with all its rows and the mock answered at most
#     MAX_429 times 429; cq_fdw.rate_limits shows the server's pace.
#  3. the same without preload (the cluster restarted without cq_fdw in
#     shared_preload_libraries, then restored): each backend paces alone,
#     so together they exceed the API's rate: more 429s than with preload
#     (the numbers are printed); the view shows no other backend's scan,
#     and the NOTICE says what preload adds.
# Skips 1-2 (and says so) when the cluster was started without preload.
# Exit status 0 = pass.

set -u
MOCK_URL=${MOCK_URL:-http://127.0.0.1:18080}
NB=${NB:-16}			# backends
RPS=${RPS:-20}			# the mock's limit per token
PACE=${PACE:-15}		# requests_per_second
NROWS=${NROWS:-100}		# rows per scan, 10 per page
MAX_429=${MAX_429:-5}
OUT=$(mktemp -d "${CQ_TEST_DIR:-/tmp}/shared_state.XXXXXX")
FAILED=0
BG=""

pq() { psql -X -q -A -t -v ON_ERROR_STOP=1 "$@"; }
fail() { echo "FAIL shared_state: $*"; FAILED=1; }
cleanup() {
	[ -n "$BG" ] && kill "$BG" 2>/dev/null
	pq -c "DROP SERVER IF EXISTS ss_srv CASCADE" -c "DROP ROLE IF EXISTS ss_other" >/dev/null 2>&1
	rm -rf "$OUT"
}
trap cleanup EXIT

setup() {
	pq >/dev/null <<SQL || { echo "FAIL shared_state: setup failed"; exit 1; }
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS cq_fdw;
DROP SERVER IF EXISTS ss_srv CASCADE;
CREATE SERVER ss_srv FOREIGN DATA WRAPPER cq_fdw
    OPTIONS (source 'rest', base_url '$MOCK_URL', requests_per_second '$PACE',
             max_retries '10');
CREATE USER MAPPING FOR PUBLIC SERVER ss_srv OPTIONS (token 'ss-token-1');
DROP ROLE IF EXISTS ss_other;
CREATE ROLE ss_other;
CREATE FOREIGN TABLE ss_slow (id bigint, name text) SERVER ss_srv
    OPTIONS (endpoint '/gen/link/ss_slow?n=200&per_page=10&shape=small&latency_ms=150',
             pagination 'link_header', concurrency '1');
SQL
}

preloaded() {
	pq -c "SHOW shared_preload_libraries" | tr ',' '\n' | sed 's/ //g' | grep -qx cq_fdw
}

# ---------------------------------------------------------------- progress
progress_check() {
	psql -X -q -A -t -v ON_ERROR_STOP=1 -c "SELECT pg_backend_pid()" \
		-c "SELECT count(*) FROM ss_slow" >"$OUT/slow.out" 2>&1 &
	BG=$!
	local samples=0 seen_pid="" rows_seen="" advanced=0 total_pages="" last_line="" other=""
	while kill -0 "$BG" 2>/dev/null; do
		# another role sees who and since when, not what
		[ -z "$other" ] && other=$(pq -c "SET ROLE ss_other; SELECT pid IS NOT NULL, table_name IS NULL,
		                                         rows IS NULL, started IS NOT NULL
		                                    FROM cq_fdw.scan_progress WHERE usename <> current_user" 2>&1 |
			grep -v '^$' | head -1)
		line=$(pq -c "SELECT pid, table_name, rows, pages, requests, scans, total_pages,
		                      percent::int
		               FROM cq_fdw.scan_progress WHERE table_name = 'public.ss_slow'" 2>&1)
		if [ -n "$line" ]; then
			samples=$((samples + 1))
			last_line=$line
			seen_pid=${line%%|*}
			r=$(echo "$line" | cut -d'|' -f3)
			tp=$(echo "$line" | cut -d'|' -f7)
			[ -n "$tp" ] && total_pages=$tp
			case " $rows_seen " in *" $r "*) ;; *) rows_seen="$rows_seen $r";; esac
		fi
		sleep 0.2
	done
	wait "$BG"; BG=""
	local scan_pid
	scan_pid=$(head -1 "$OUT/slow.out")
	local nrows
	nrows=$(sed -n 2p "$OUT/slow.out")
	echo "progress: $samples samples of backend $seen_pid, rows seen:$rows_seen (scan returned $nrows rows); last: $last_line"
	[ "$other" = "t|t|t|t" ] || fail "another role saw '$other' of the scan (expected pid and start only)"
	[ "$total_pages" = 20 ] || fail "total_pages was '$total_pages', the API's rel=\"last\" says 20"
	[ "$nrows" = 200 ] || fail "the slow scan returned '$nrows' rows, not 200: $(cat "$OUT/slow.out")"
	[ "$seen_pid" = "$scan_pid" ] || fail "cq_fdw.scan_progress showed pid '$seen_pid', the scan ran in $scan_pid"
	# rows advance: at least three different non-zero values
	advanced=$(for r in $rows_seen; do [ "$r" -gt 0 ] && echo "$r"; done | wc -l)
	[ "$advanced" -ge 3 ] || fail "rows did not advance in cq_fdw.scan_progress (seen:$rows_seen)"
	left=$(pq -c "SELECT count(*) FROM cq_fdw.scan_progress WHERE pid = $scan_pid")
	[ "$left" = 0 ] || fail "the finished scan's row is still in cq_fdw.scan_progress"

	# a cancelled scan leaves no row behind
	psql -X -q -A -t -c "SELECT pg_backend_pid()" -c "SELECT count(*) FROM ss_slow" \
		>"$OUT/cancel.out" 2>&1 &
	BG=$!
	local pid=""
	for _ in $(seq 100); do
		pid=$(pq -c "SELECT pid FROM cq_fdw.scan_progress WHERE table_name = 'public.ss_slow' AND rows > 0")
		[ -n "$pid" ] && break
		sleep 0.1
	done
	[ -n "$pid" ] || fail "the second slow scan never showed in cq_fdw.scan_progress"
	[ -n "$pid" ] && pq -c "SELECT pg_cancel_backend($pid)" >/dev/null
	wait "$BG"; BG=""
	grep -q "canceling statement" "$OUT/cancel.out" || fail "the scan was not cancelled: $(cat "$OUT/cancel.out")"
	left=$(pq -c "SELECT count(*) FROM cq_fdw.scan_progress WHERE table_name = 'public.ss_slow'")
	[ "$left" = 0 ] || fail "a cancelled scan left its row in cq_fdw.scan_progress"
}

# total_rows and percent from what the API tells of the listing's size:
# DigitalOcean's meta.total (next_url) and Kubernetes' remainingItemCount
# (next_token), read from another session while a slow scan runs
total_check() {
	local tbl=$1 samples=0 totals="" pcts="" line
	psql -X -q -A -t -v ON_ERROR_STOP=1 -c "SELECT count(*) FROM $tbl" >"$OUT/$tbl.out" 2>&1 &
	BG=$!
	while kill -0 "$BG" 2>/dev/null; do
		line=$(pq -c "SELECT total_rows, floor(percent)::int FROM cq_fdw.scan_progress
		               WHERE table_name = 'public.$tbl' AND rows > 0" 2>&1)
		if [ -n "$line" ]; then
			samples=$((samples + 1))
			t=${line%%|*}
			p=${line#*|}
			case " $totals " in *" $t "*) ;; *) totals="$totals $t";; esac
			case " $pcts " in *" $p "*) ;; *) pcts="$pcts $p";; esac
		fi
		sleep 0.2
	done
	wait "$BG"; BG=""
	echo "progress of $tbl: $samples samples, total_rows seen:$totals, percent seen:$pcts (scan returned $(cat "$OUT/$tbl.out") rows)"
	[ "$(cat "$OUT/$tbl.out")" = 200 ] || fail "$tbl returned '$(cat "$OUT/$tbl.out")', not 200"
	[ "$(echo $totals)" = 200 ] || fail "$tbl: total_rows was '$totals' in cq_fdw.scan_progress, the API said 200"
	local n=0
	for p in $pcts; do [ "$p" -gt 0 ] && [ "$p" -lt 100 ] && n=$((n + 1)); done
	[ "$n" -ge 3 ] || fail "$tbl: percent did not advance between 0 and 100 (seen:$pcts)"
}

progress_total_check() {
	pq >/dev/null <<SQL
SET client_min_messages = warning;
CREATE FOREIGN TABLE ss_do_total (id bigint, name text) SERVER ss_srv
    OPTIONS (endpoint '/gen/next_url/ss_do?n=200&per_page=10&shape=small&latency_ms=150&meta_total=1',
             rows '/items', pagination 'next_url', next '/next', total '/meta/total');
CREATE FOREIGN TABLE ss_k8s_remaining (id bigint, name text) SERVER ss_srv
    OPTIONS (endpoint '/gen/next_token/ss_k8s?n=200&per_page=10&shape=small&latency_ms=150&remaining=1',
             rows '/items', pagination 'next_token', next '/nextPageToken',
             next_param 'pageToken', remaining '/metadata/remainingItemCount');
SQL
	total_check ss_do_total
	total_check ss_k8s_remaining
}

# a table sync (CALL cq_fdw.sync) shows its scan in the view while it reads
sync_progress_check() {
	pq -c "DROP TABLE IF EXISTS ss_target" -c "CREATE TABLE ss_target (id bigint PRIMARY KEY, name text)" >/dev/null
	psql -X -q -A -t -v ON_ERROR_STOP=1 -c "SELECT pg_backend_pid()" \
		-c "CALL cq_fdw.sync('ss_target', 'ss_slow')" >"$OUT/sync.out" 2>&1 &
	BG=$!
	local rows_seen="" pid=""
	while kill -0 "$BG" 2>/dev/null; do
		line=$(pq -c "SELECT pid, rows FROM cq_fdw.scan_progress WHERE table_name = 'public.ss_slow'" 2>&1)
		if [ -n "$line" ]; then
			pid=${line%%|*}
			r=${line##*|}
			case " $rows_seen " in *" $r "*) ;; *) rows_seen="$rows_seen $r";; esac
		fi
		sleep 0.2
	done
	wait "$BG"; BG=""
	local n
	n=$(pq -c "SELECT count(*) FROM ss_target")
	echo "sync progress: backend $pid, rows seen:$rows_seen; target has $n rows"
	[ "$pid" = "$(head -1 "$OUT/sync.out")" ] || fail "the sync's scan was not in cq_fdw.scan_progress (saw pid '$pid'): $(cat "$OUT/sync.out")"
	[ "$(for r in $rows_seen; do [ "$r" -gt 0 ] && echo "$r"; done | wc -l)" -ge 3 ] ||
		fail "the sync's rows did not advance in cq_fdw.scan_progress (seen:$rows_seen)"
	[ "$n" = 200 ] || fail "the sync wrote '$n' rows, not 200"
	pq -c "DROP TABLE ss_target" >/dev/null
}

# several cq_fdw scans in one query (UNION ALL of two tables): one row per
# scan, each with its table and plan node, both of the query's backend
multi_progress_check() {
	pq -c "DROP FOREIGN TABLE IF EXISTS ss_slow2" -c "CREATE FOREIGN TABLE ss_slow2 (id bigint, name text) SERVER ss_srv
	    OPTIONS (endpoint '/gen/link/ss_slow2?n=60&per_page=10&shape=small&latency_ms=150',
	             pagination 'link_header', concurrency '1')" >/dev/null
	psql -X -q -A -t -v ON_ERROR_STOP=1 -c "SELECT pg_backend_pid()" \
		-c "SELECT count(*) FROM (SELECT id FROM ss_slow UNION ALL SELECT id FROM ss_slow2) u" \
		>"$OUT/multi.out" 2>&1 &
	BG=$!
	local best="" line
	while kill -0 "$BG" 2>/dev/null; do
		line=$(pq -c "SELECT count(*), count(DISTINCT plan_node_id), string_agg(table_name, ',' ORDER BY table_name),
		                      min(pid) = max(pid), min(scans)
		               FROM cq_fdw.scan_progress WHERE table_name IN ('public.ss_slow', 'public.ss_slow2')" 2>&1)
		[ "${line%%|*}" = 2 ] && best=$line
		[ -n "$best" ] && break
		sleep 0.2
	done
	wait "$BG"; BG=""
	echo "multi-scan progress: rows|plan nodes|tables|one pid|scans = '$best'"
	[ "$best" = "2|2|public.ss_slow,public.ss_slow2|t|2" ] ||
		fail "a query with two cq_fdw scans did not show one row per scan in cq_fdw.scan_progress (saw '$best')"
	[ "$(tail -1 "$OUT/multi.out")" = 260 ] || fail "the UNION ALL returned '$(tail -1 "$OUT/multi.out")', not 260 rows"
	[ "$(pq -c "SELECT count(*) FROM cq_fdw.scan_progress WHERE table_name LIKE 'public.ss_slow%'")" = 0 ] ||
		fail "the finished query left rows in cq_fdw.scan_progress"
}

# ------------------------------------------------------------ rate limiter
# ratelimit_run TAG: NB backends scan /ratelimited/link/TAG at once; prints
# "<429s> <requests> <scans ok> <seconds>"
ratelimit_run() {
	local tag=$1 pids="" t0=$SECONDS
	pq >/dev/null <<SQL
SET client_min_messages = warning;
DROP FOREIGN TABLE IF EXISTS ss_rl;
CREATE FOREIGN TABLE ss_rl (id bigint, name text) SERVER ss_srv
    OPTIONS (endpoint '/ratelimited/link/$tag?n=$NROWS&per_page=10&shape=small&rps=$RPS',
             pagination 'link_header');
SQL
	for i in $(seq "$NB"); do
		psql -X -q -A -t -c "SELECT count(*) FROM ss_rl" >"$OUT/rl_$tag.$i" 2>"$OUT/rl_$tag.$i.err" &
		pids="$pids $!"
	done
	for p in $pids; do wait "$p"; done
	local ok=0
	for i in $(seq "$NB"); do
		[ "$(cat "$OUT/rl_$tag.$i")" = "$NROWS" ] && ok=$((ok + 1))
	done
	curl -sf "$MOCK_URL/_mock/requests?route=/ratelimited/link/$tag&limit=100000" |
		python3 -c 'import json,sys; r=json.load(sys.stdin)["requests"]; print(sum(1 for x in r if x["status"]==429), len(r), end=" ")'
	echo "$ok $((SECONDS - t0))"
}

setup
if preloaded; then
	progress_check
	progress_total_check
	sync_progress_check
	multi_progress_check
	read -r n429 nreq ok secs <<<"$(ratelimit_run "rl_pre_$$")"
	echo "rate limit, preloaded: $NB backends, $ok/$NB scans complete, $nreq requests, $n429 answered 429, $secs s"
	[ "$ok" = "$NB" ] || fail "$((NB - ok)) of $NB scans did not complete under the shared rate limiter: $(cat "$OUT"/rl_rl_pre_$$.*.err | head -5)"
	[ "$n429" -le "$MAX_429" ] || fail "$n429 requests were answered 429 with the shared rate limiter (at most $MAX_429 expected)"
	pre429=$n429
	rl=$(pq -c "SELECT requests_per_second, burst, scans FROM cq_fdw.rate_limits WHERE server = 'ss_srv'")
	[ "$rl" = "$PACE|1|0" ] || fail "cq_fdw.rate_limits shows '$rl' for ss_srv (expected $PACE|1|0)"
else
	echo "SKIP progress and shared rate limit: cq_fdw is not in shared_preload_libraries"
	pre429=""
fi

# ------------------------------------------------------ without preload
if [ -n "${CQ_TEST_DIR:-}" ] && [ -f "$CQ_TEST_DIR/data/postmaster.pid" ]; then
	others=$(pq -c "SHOW shared_preload_libraries" | tr ',' '\n' | sed 's/ //g' | grep -vx cq_fdw | paste -sd, -)
	pg_ctl -D "$CQ_TEST_DIR/data" -m fast -w stop >/dev/null &&
		pg_ctl -D "$CQ_TEST_DIR/data" -l "$CQ_TEST_DIR/postgres.log" -w start \
			-o "-c shared_preload_libraries='$others'" >/dev/null || fail "restart without preload failed"
	read -r n429 nreq ok secs <<<"$(ratelimit_run "rl_nopre_$$")"
	echo "rate limit, not preloaded: $NB backends, $ok/$NB scans complete, $nreq requests, $n429 answered 429, $secs s"
	if [ -n "$pre429" ] && [ "$n429" -le "$pre429" ]; then
		fail "without preload the backends got $n429 429s, with it $pre429: the limiter is not shared"
	fi
	# the view shows no other backend; the NOTICE says what preload adds
	psql -X -q -A -t -c "SELECT count(*) FROM ss_slow" >/dev/null 2>&1 &
	BG=$!
	sleep 1
	v=$(psql -X -A -t -c "SELECT count(*) FROM cq_fdw.scan_progress" 2>&1)
	wait "$BG"; BG=""
	echo "$v" | grep -q "not in shared_preload_libraries" || fail "no NOTICE about shared_preload_libraries: $v"
	[ "$(echo "$v" | tail -1)" = 0 ] || fail "without preload the view showed another backend's scan: $v"
	pg_ctl -D "$CQ_TEST_DIR/data" -m fast -w stop >/dev/null &&
		pg_ctl -D "$CQ_TEST_DIR/data" -l "$CQ_TEST_DIR/postgres.log" -w start >/dev/null ||
		fail "restart with the configured preload failed"
else
	echo "SKIP the run without preload: no cluster directory (CQ_TEST_DIR)"
fi

[ $FAILED = 0 ] && echo "PASS shared_state"
exit $FAILED
