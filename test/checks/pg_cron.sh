#!/usr/bin/env bash
#
# test/checks/pg_cron.sh -- pg_cron runs a cq_fdw snapshot sync on a schedule
# (the recipe of README.md (Snapshots), "Scheduling with pg_cron").
#
# Runs as the unprivileged PostgreSQL user inside test/run's namespace, with
# PGHOST/PGPORT pointing at a cluster started with
#   shared_preload_libraries = 'pg_cron'
#   cron.database_name = '<db>'   cron.host = '<socket dir>'
# It works in cron.database_name (where pg_cron must live), creates a rest
# table over the mock API and a snapshot of it, schedules
#   CALL cq_fdw.refresh_all('cron_snapshots')
# every minute with cron.schedule(), and waits (at most 75 s, polling every
# 2 s; pg_cron 1.4 schedules by the minute) for an 'ok' row in
# cq_fdw.sync_log written by the cron run.  Then it unschedules the job and
# drops what it created.  Prints PASS/FAIL (or SKIP when pg_cron is not
# loaded); exit status 0 = pass.

set -u
CHECK=pg_cron
. "$(dirname "$0")/pg_cron.common"

cleanup() {
	q >/dev/null 2>&1 <<'SQL'
SET client_min_messages = warning;
SELECT cron.unschedule(jobid) FROM cron.job WHERE jobname = 'cq-sync-check';
DROP SCHEMA IF EXISTS cron_snapshots CASCADE;
DROP SERVER IF EXISTS cron_srv CASCADE;

DELETE FROM cq_fdw.sync_log WHERE snapshot = 'cron_snapshots.items';
SQL
}
fail() {
	echo "FAIL pg_cron: $*"
	q -c "SELECT 'cron run: ' || status || ' ' || coalesce(return_message, '') FROM cron.job_run_details d JOIN cron.job j USING (jobid) WHERE j.jobname = 'cq-sync-check' ORDER BY runid" 2>/dev/null
	cleanup
	exit 1
}

# one collection of 100 items, two pages
MARK=$(q <<SQL
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pg_cron;
CREATE EXTENSION IF NOT EXISTS cq_fdw;
DROP SCHEMA IF EXISTS cron_snapshots CASCADE;
DROP SERVER IF EXISTS cron_srv CASCADE;
CREATE SERVER cron_srv FOREIGN DATA WRAPPER cq_fdw
    OPTIONS (source 'rest', base_url '$MOCK_URL');
CREATE SCHEMA cron_snapshots;
CREATE FOREIGN TABLE cron_snapshots.items_remote (id bigint, name text)
    SERVER cron_srv
    OPTIONS (endpoint '/gen/link/cron_check?n=100&per_page=50&shape=small',
             pagination 'link_header', primary_key 'id');
SELECT cq_fdw.create_snapshot('cron_snapshots.items_remote', 'cron_snapshots.items') IS NULL;
SELECT coalesce(max(id), 0) FROM cq_fdw.sync_log;
SQL
) || fail "setup failed"
MARK=$(echo "$MARK" | tail -1)

q -c "SELECT cron.schedule('cq-sync-check', '* * * * *', \$\$CALL cq_fdw.refresh_all('cron_snapshots')\$\$)" >/dev/null ||
	fail "cron.schedule failed"

t0=$SECONDS
while :; do
	row=$(q -c "SELECT status || ' rows=' || coalesce(rows, -1) || ' requests=' || coalesce(requests, -1) || ' ' || coalesce(error, '') FROM cq_fdw.sync_log WHERE id > $MARK AND snapshot = 'cron_snapshots.items' AND status <> 'running' ORDER BY id LIMIT 1")
	case $row in
	ok\ *)
		case $row in
		"ok rows=100 requests=2 ") ;;
		*) fail "unexpected sync_log row: $row" ;;
		esac
		echo "PASS pg_cron: the scheduled CALL cq_fdw.refresh_all() logged '$row' after $((SECONDS - t0)) s"
		cleanup
		exit 0 ;;
	failed\ *)
		fail "the scheduled refresh failed: $row" ;;
	esac
	if [ $((SECONDS - t0)) -ge "$WAIT_S" ]; then
		fail "no scheduled refresh in cq_fdw.sync_log after $WAIT_S s"
	fi
	sleep 2
done
