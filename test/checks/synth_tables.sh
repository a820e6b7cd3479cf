#!/usr/bin/env bash
#
# test/checks/synth_tables.sh -- every table of every installed spec source
# reads a synthesized reply: rows, each typed value, the invalid-value
# WARNING and the page requests (test/synth/check.py; the replies come from
# test/synth/synth.py, served by the mock under /synth/<source>/<table>/).
# Runs as the unprivileged PostgreSQL user inside test/run's namespace
# (PGHOST/PGPORT/MOCK_URL set).  A table that cannot be synthesized fails.
# Prints one FAIL line per failing table and a summary; exit status 0 = pass.

set -u
TOP=${CQ_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
if /usr/bin/python3 "$TOP/test/synth/check.py"; then
	echo "PASS synth_tables"
	exit 0
fi
echo "FAIL synth_tables"
exit 1
