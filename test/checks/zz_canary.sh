#!/usr/bin/env bash
#
# test/checks/zz_canary.sh -- the canary token never leaked (runs last of
# the checks: test/run runs test/checks/*.sh in name order).
#
# sql/security.sql and test/checks/security_activity.sh put the canary token
# into user mappings (building it at run time, so the literal is in no
# statement) and then exercise every path where it could leak: EXPLAIN
# (VERBOSE, ANALYZE, every format), errors (401/403/404/500, invalid JSON,
# truncated body, timeouts, policy refusals), WARNINGs, CONTEXT lines, the
# cq_fdw.* views, sync_log, pg_stat_activity, and the server log at debug5.
# Here we grep every file test/run produced under $CQ_TEST_DIR -- pg_regress
# results and diffs, postgres.log, the mock logs, check captures, sanitizer
# reports -- for it, and fail listing every hit.
#
# Only the cluster's data directory is excluded: the catalog
# (pg_user_mapping) and the WAL hold the token by design.  It is used as a
# sanity check instead: if the canary is not there, sql/security.sql did not
# run and the grep proves nothing (reported, not a failure, for REGRESS=
# subsets).  Prints PASS/FAIL; exit status 0 = pass.

set -u
DIR=${CQ_TEST_DIR:?CQ_TEST_DIR is not set}
CANARY="cq-canary-""7f3e9a1d"

hits=$(grep -r -n -F -a --exclude-dir=data -- "$CANARY" "$DIR" 2>/dev/null | cut -c1-300)
unreadable=$(find "$DIR" -path "$DIR/data" -prune -o -type f ! -readable -print 2>/dev/null)

if grep -r -q -F -a -- "$CANARY" "$DIR/data" 2>/dev/null; then
	planted="the canary was planted (found in the catalog/WAL)"
else
	planted="NOTE: the canary is not in the cluster (sql/security.sql did not run?): this check proves little"
fi

if [ -n "$unreadable" ]; then
	echo "security canary: files this check cannot read (not searched):"
	echo "$unreadable" | sed 's/^/  /'
fi
if [ -n "$hits" ]; then
	n=$(echo "$hits" | wc -l)
	echo "FAIL zz_canary: the canary token leaked, $n hit(s) (file:line:text):"
	echo "$hits" | sed 's/^/  /'
	exit 1
fi
nfiles=$(find "$DIR" -path "$DIR/data" -prune -o -type f -readable -print | wc -l)
echo "PASS zz_canary: no trace of the canary in $nfiles files under $DIR; $planted"
exit 0
