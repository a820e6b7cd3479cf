#!/usr/bin/env bash
#
# test/checks/pg_cron_sync.sh -- pg_cron runs the nightly table sync of a
# whole schema (the recipe of README.md (Syncs), "Scheduling"):
#   CALL cq_fdw.sync_schema('cron_dst', 'cron_src')
# Of the schema's tables, `a` syncs, `b` fails half way (its route answers
# page 1, then HTTP 500), `c` has no primary key (refused), and the failures
# do not stop `d` (synced after them, name order).  Each outcome must be in
# cq_fdw.sync_log, written by the cron run: a ok (100 inserted), b failed
# (HTTP 500, its rows from the setup sync unchanged), c failed (no primary
# key), d ok.
#
# Runs as the unprivileged PostgreSQL user inside test/run's namespace (see
# test/checks/pg_cron.sh for the cluster settings).  Waits at most 75 s,
# polling every 2 s (pg_cron 1.4 schedules by the minute).  Prints
# PASS/FAIL (or SKIP when pg_cron is not loaded); exit status 0 = pass.

set -u
CHECK=pg_cron_sync
. "$(dirname "$0")/pg_cron.common"

cleanup() {
	curl -s "$MOCK_URL/_mock/faults?clear=1" >/dev/null
	q >/dev/null 2>&1 <<'SQL'
SET client_min_messages = warning;
SELECT cron.unschedule(jobid) FROM cron.job WHERE jobname = 'cq-sync-schema-check';
DROP SCHEMA IF EXISTS cron_dst CASCADE;
DROP SCHEMA IF EXISTS cron_src CASCADE;
DROP SERVER IF EXISTS cron_sync_srv CASCADE;
DELETE FROM cq_fdw.sync_log WHERE snapshot LIKE 'cron_dst.%';
SQL
}
fail() {
	echo "FAIL pg_cron_sync: $*"
	q -c "SELECT 'cron run: ' || status || ' ' || coalesce(return_message, '') FROM cron.job_run_details d JOIN cron.job j USING (jobid) WHERE j.jobname = 'cq-sync-schema-check' ORDER BY runid" 2>/dev/null
	q -c "SELECT snapshot, status, rows_inserted, error FROM cq_fdw.sync_log WHERE snapshot LIKE 'cron_dst.%' ORDER BY id" 2>/dev/null
	cleanup
	exit 1
}

# b: 60 rows from a first (setup) sync; the cron run then reads 90 and fails
MARK=$(q <<SQL
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pg_cron;
CREATE EXTENSION IF NOT EXISTS cq_fdw;
DROP SCHEMA IF EXISTS cron_dst CASCADE;
DROP SCHEMA IF EXISTS cron_src CASCADE;
DROP SERVER IF EXISTS cron_sync_srv CASCADE;
CREATE SERVER cron_sync_srv FOREIGN DATA WRAPPER cq_fdw
    OPTIONS (source 'rest', base_url '$MOCK_URL', max_retries '1');
CREATE SCHEMA cron_src;
CREATE SCHEMA cron_dst;
CREATE FOREIGN TABLE cron_src.a (id bigint, name text) SERVER cron_sync_srv
    OPTIONS (endpoint '/gen/link/cron_sync_a?n=100&per_page=50&shape=versioned', pagination 'link_header');
CREATE FOREIGN TABLE cron_src.b (id bigint, name text) SERVER cron_sync_srv
    OPTIONS (endpoint '/gen/link/cron_sync_b?n=60&per_page=30&shape=versioned', pagination 'link_header');
CREATE FOREIGN TABLE cron_src.c (id bigint, name text) SERVER cron_sync_srv
    OPTIONS (endpoint '/gen/link/cron_sync_c?n=10&shape=versioned', pagination 'link_header');
CREATE FOREIGN TABLE cron_src.d (id bigint, name text) SERVER cron_sync_srv
    OPTIONS (endpoint '/gen/link/cron_sync_d?n=10&shape=versioned', pagination 'link_header');
CREATE TABLE cron_dst.a (id bigint PRIMARY KEY, name text);
CREATE TABLE cron_dst.b (id bigint PRIMARY KEY, name text);
CREATE TABLE cron_dst.c (id bigint, name text);
CREATE TABLE cron_dst.d (id bigint PRIMARY KEY, name text);
CALL cq_fdw.sync('cron_dst.b', 'cron_src.b');
ALTER FOREIGN TABLE cron_src.b
    OPTIONS (SET endpoint '/gen/link/cron_sync_b?n=90&per_page=30&shape=versioned&seed=1');
SELECT coalesce(max(id), 0) FROM cq_fdw.sync_log;
SQL
) || fail "setup failed"
MARK=$(echo "$MARK" | tail -1)
curl -sf "$MOCK_URL/_mock/fault?route=/gen/link/cron_sync_b&mode=500&count=-1&after=1" >/dev/null ||
	fail "cannot set the mock fault"

q -c "SELECT cron.schedule('cq-sync-schema-check', '* * * * *', \$\$CALL cq_fdw.sync_schema('cron_dst', 'cron_src')\$\$)" >/dev/null ||
	fail "cron.schedule failed"

want="cron_dst.a ok 100 |cron_dst.b failed 0 API request failed with HTTP status 500: Server Error.|cron_dst.c failed  table cron_dst.c has no primary key|cron_dst.d ok 10 "
t0=$SECONDS
while :; do
	rows=$(q -c "SELECT string_agg(snapshot || ' ' || status || ' ' || coalesce(rows_inserted::text, '') || ' ' || coalesce(error, ''), '|' ORDER BY id) FROM (SELECT * FROM cq_fdw.sync_log WHERE id > $MARK AND snapshot LIKE 'cron_dst.%' AND status <> 'running' ORDER BY id LIMIT 4) l")
	if [ "$(echo "$rows" | tr '|' '\n' | grep -c .)" -ge 4 ]; then
		[ "$rows" = "$want" ] || fail "unexpected sync_log rows: $rows (want: $want)"
		b=$(q -c "SELECT count(*) || ' ' || count(*) FILTER (WHERE name LIKE '%-v1') FROM cron_dst.b")
		[ "$b" = "60 0" ] || fail "the failed sync changed cron_dst.b: rows, changed = $b (want 60 0)"
		echo "PASS pg_cron_sync: the scheduled CALL cq_fdw.sync_schema() logged a ok, b failed half way (unchanged), c refused, d ok after $((SECONDS - t0)) s"
		cleanup
		exit 0
	fi
	if [ $((SECONDS - t0)) -ge "$WAIT_S" ]; then
		fail "no complete scheduled sync in cq_fdw.sync_log after $WAIT_S s: ${rows:-nothing}"
	fi
	sleep 2
done
