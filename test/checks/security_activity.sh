#!/usr/bin/env bash
#
# test/checks/security_activity.sh -- the user mapping's token does not show
# in pg_stat_activity, the backend's process title or thread names, or the
# client and server logs at debug5, while a scan is in flight.
#
# Runs as the unprivileged PostgreSQL user inside test/run's namespace
# (PGHOST/PGPORT/MOCK_URL/CQ_TEST_DIR set).  It creates a rest server whose
# user mapping holds the canary token (built at run time, as
# sql/security.sql does, so the literal never appears in a statement), starts
# a slow scan (the mock sleeps 3 s before answering) in a background session
# with client_min_messages and log_min_messages at debug5, and while it runs
# captures, from another session and from /proc:
#	- every column of its pg_stat_activity row,
#	- /proc/<pid>/cmdline (the process title) and every thread's comm,
# into $CQ_TEST_DIR/security_activity/ (test/checks/zz_canary.sh greps that
# directory with everything else).  Fails if the canary is in any capture,
# if the scan was never seen active, or if the scan did not succeed.
# Prints PASS/FAIL; exit status 0 = pass.

set -u
OUT=${CQ_TEST_DIR:?CQ_TEST_DIR is not set}/security_activity
MOCK_URL=${MOCK_URL:-http://127.0.0.1:18080}
CANARY="cq-canary-""7f3e9a1d"
mkdir -p "$OUT"

pq() { psql -X -q -A -t -v ON_ERROR_STOP=1 "$@"; }
fail() { echo "FAIL security_activity: $*"; cleanup; exit 1; }
cleanup() {
	[ -n "${BG:-}" ] && kill "$BG" 2>/dev/null
	pq -c "DROP SERVER IF EXISTS sec_act_srv CASCADE" >/dev/null 2>&1
}

pq >/dev/null <<'SQL' || fail "setup failed"
SET client_min_messages = warning;
-- PostgreSQL's own DEBUG1 messages (catalog cache rehashing) may log the
-- CREATE USER MAPPING text as CONTEXT: not cq_fdw's doing, keep it out
SET log_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS cq_fdw;
DROP SERVER IF EXISTS sec_act_srv CASCADE;
CREATE SERVER sec_act_srv FOREIGN DATA WRAPPER cq_fdw
    OPTIONS (source 'rest', base_url 'http://127.0.0.1:18080');
DO $$
BEGIN
    EXECUTE format('CREATE USER MAPPING FOR CURRENT_USER SERVER sec_act_srv OPTIONS (token %L)',
                   'cq-canary-' || '7f3e9a1d');
END
$$;
CREATE FOREIGN TABLE sec_act_t (id bigint) SERVER sec_act_srv
    OPTIONS (endpoint '/gen/link/sec_act?n=3&shape=small&latency_ms=3000');
SQL

# the slow scan, its client output (debug5 messages included) captured
psql -X -v ON_ERROR_STOP=1 >"$OUT/scan.out" 2>&1 <<'SQL' &
SET application_name = 'sec_act_scan';
SET log_min_messages = debug5;
SET client_min_messages = debug5;
SELECT count(*) AS sec_act_rows FROM sec_act_t;
SQL
BG=$!

seen=0
for _ in $(seq 50); do
	pid=$(pq -c "SELECT pid FROM pg_stat_activity WHERE application_name = 'sec_act_scan' AND state = 'active' AND query LIKE '%sec_act_t%'")
	if [ -n "$pid" ]; then
		seen=1
		pq -c "SELECT row_to_json(a) FROM pg_stat_activity a WHERE pid = $pid" >"$OUT/pg_stat_activity.json"
		pq -c "SELECT row_to_json(a) FROM pg_stat_activity a" >"$OUT/pg_stat_activity_all.json"
		tr '\0' ' ' <"/proc/$pid/cmdline" >"$OUT/cmdline.txt" 2>/dev/null
		cat /proc/"$pid"/task/*/comm >"$OUT/threads.txt" 2>/dev/null
		break
	fi
	sleep 0.1
done
wait "$BG"
rc=$?
BG=

[ $seen = 1 ] || fail "the scan was never seen active in pg_stat_activity"
[ $rc = 0 ] || { cat "$OUT/scan.out"; fail "the scan failed"; }
grep -q '^ *3$' "$OUT/scan.out" || { cat "$OUT/scan.out"; fail "the scan did not return 3 rows"; }
# the canary was sent (the mock records "Bearer:<first 8 hex of its sha256>")
want="Bearer:$(printf %s "$CANARY" | sha256sum | cut -c1-8)"
got=$(curl -s "$MOCK_URL/_mock/requests?route=/gen/link/sec_act" |
	/usr/bin/python3 -c 'import json,sys; print(" ".join(sorted(set(r["auth"] for r in json.load(sys.stdin)["requests"]))))')
echo "mock saw auth: $got" >"$OUT/mock_auth.txt"
hits=$(grep -l -F -a -r "$CANARY" "$OUT")
[ -z "$hits" ] || fail "the token is visible in: $hits"
echo "captured: $(wc -c <"$OUT/pg_stat_activity.json") bytes of pg_stat_activity, threads: $(tr '\n' ' ' <"$OUT/threads.txt")"
cleanup
case " $got " in
*" $want "*) ;;
*) echo "FAIL security_activity: the mock did not receive the token (auth seen: '$got', want '$want')"; exit 1 ;;
esac
echo "PASS security_activity: the token was sent and is in none of pg_stat_activity, the process title, thread names, debug5 client output"
exit 0
