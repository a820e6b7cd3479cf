#!/usr/bin/env bash
#
# test/checks/security_standin.sh -- nothing ever reached the "denied
# stand-in" mock.
#
# test/run starts a second mock on 127.0.0.2:18080 that logs every request it
# receives to $CQ_TEST_DIR/mock-standin.log; 127.0.0.2 plays the part of the
# cloud metadata service / an internal host.  sql/security.sql (and anything
# else in the run) points scans at it directly, through a redirect from an
# allowed host and through host names that resolve to it
# (standin.mock.test, metadata.mock.test), with
# cq_fdw.denied_addresses = '127.0.0.2'.  Every one of those must have been
# refused before a connection was made, so the log must be empty.
#
# Also asserts the stand-in is alive and logging (a dead stand-in would make
# an empty log prove nothing): one control request is not logged, so we ask
# its stats instead.  Prints PASS/FAIL; exit status 0 = pass.

set -u
LOG=${CQ_TEST_DIR:?CQ_TEST_DIR is not set}/mock-standin.log
STANDIN_URL=${STANDIN_URL:-http://127.0.0.2:18080}

if ! curl -sf "$STANDIN_URL/_mock/health" >/dev/null; then
	echo "FAIL security_standin: the stand-in mock at $STANDIN_URL does not answer"
	exit 1
fi
if [ ! -e "$LOG" ]; then
	echo "FAIL security_standin: $LOG does not exist (was the stand-in started with --log?)"
	exit 1
fi
if [ -s "$LOG" ]; then
	echo "FAIL security_standin: requests reached the denied stand-in ($LOG):"
	head -50 "$LOG"
	exit 1
fi
# The stats survive a /_mock/reset only until the next reset; report them
# for the record (sql/security.sql resets them at its start).
total=$(curl -sf "$STANDIN_URL/_mock/stats" | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["total"])')
if [ "${total:-x}" != 0 ]; then
	echo "FAIL security_standin: the stand-in counts $total requests"
	exit 1
fi
echo "PASS security_standin: no request reached $STANDIN_URL"
exit 0
