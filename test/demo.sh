#!/usr/bin/env bash
#
# test/demo.sh -- the main job on an embedded default (`make demo`).
#
# On a fresh Debian 12 machine, as root: installs the packages it needs,
# builds and installs cq_fdw, starts a local PostgreSQL cluster (as the
# unprivileged user postgres) and the local mock API serving the project's
# own fixtures (realistic shapes of each vendor's API), creates one server
# per source, imports every schema, runs showcase queries, and prints how to
# open psql.  With GITHUB_TOKEN set, the github server reads the real
# GitHub API instead (DEMO_GITHUB_OWNER/DEMO_GITHUB_REPO pick the repository,
# default postgres/postgres).
#
#   make demo            set up and run the showcase
#   make demo-stop       stop the demo cluster and mock
#
# State lives in /var/tmp/cq_demo (cluster, logs); rerunning reuses it.

set -eu
TOP=$(cd "$(dirname "$0")/.." && pwd)
cd "$TOP"
DEMO=${DEMO_DIR:-/var/tmp/cq_demo}
PORT=${DEMO_PGPORT:-5499}
MOCK_PORT=${DEMO_MOCK_PORT:-18181}
MOCK=http://127.0.0.1:$MOCK_PORT

if [ "${1:-}" = stop ]; then
	[ -f "$DEMO/mock.pid" ] && kill "$(cat "$DEMO/mock.pid")" 2>/dev/null || true
	[ -d "$DEMO/data" ] && runuser -u postgres -- /usr/lib/postgresql/15/bin/pg_ctl -D "$DEMO/data" -m fast stop || true
	exit 0
fi

if [ "$(id -u)" != 0 ]; then
	echo "make demo: run as root (it installs Debian packages and runs PostgreSQL as user postgres)" >&2
	exit 2
fi

echo "== installing packages (Debian)"
export DEBIAN_FRONTEND=noninteractive
PKGS="make gcc curl ca-certificates python3 postgresql-15 postgresql-server-dev-15 postgresql-contrib
      libcurl4-openssl-dev libjansson-dev"
missing=$(for p in $PKGS; do dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed' || echo "$p"; done)
if [ -n "$missing" ]; then
	apt-get update -q && apt-get install -y -q --no-install-recommends $missing
fi
PGBIN=$(pg_config --bindir)

echo "== building and installing cq_fdw"
make -s -j2 && make -s install >/dev/null

echo "== starting the local API (mock, own fixtures) on $MOCK"
mkdir -p "$DEMO" && chown postgres "$DEMO"
if ! curl -sf "$MOCK/_mock/health" >/dev/null 2>&1; then
	runuser -u postgres -- /usr/bin/python3 "$TOP/test/mock/mock_api.py" --bind 127.0.0.1 \
		--port "$MOCK_PORT" --own-fixtures "$TOP/test/fixtures" --log "$DEMO/mock.log" \
		>"$DEMO/mock.out" 2>&1 &
	echo $! > "$DEMO/mock.pid"
	for _ in $(seq 100); do curl -sf "$MOCK/_mock/health" >/dev/null 2>&1 && break; sleep 0.1; done
fi

echo "== starting PostgreSQL ($DEMO/data, port $PORT, socket $DEMO)"
if [ ! -d "$DEMO/data" ]; then
	runuser -u postgres -- "$PGBIN/initdb" -D "$DEMO/data" -A trust -U postgres -E UTF8 --locale=C >/dev/null
	cat >> "$DEMO/data/postgresql.conf" <<EOF
listen_addresses = ''
unix_socket_directories = '$DEMO'
port = $PORT
EOF
fi
runuser -u postgres -- "$PGBIN/pg_ctl" -D "$DEMO/data" -l "$DEMO/postgres.log" -w status >/dev/null 2>&1 ||
	runuser -u postgres -- "$PGBIN/pg_ctl" -D "$DEMO/data" -l "$DEMO/postgres.log" -w start >/dev/null

PSQL="runuser -u postgres -- $PGBIN/psql -X -h $DEMO -p $PORT -v ON_ERROR_STOP=1"
$PSQL -q -d postgres -c "SELECT 1 FROM pg_database WHERE datname = 'cq_demo'" | grep -q 1 ||
	$PSQL -q -d postgres -c "CREATE DATABASE cq_demo"

GH_URL="$MOCK/replay/github/demo"
GH_TOKEN=demo-token
if [ -n "${GITHUB_TOKEN:-}" ]; then
	GH_URL=https://api.github.com
	GH_TOKEN=$GITHUB_TOKEN
	export DEMO_GITHUB_OWNER=${DEMO_GITHUB_OWNER:-postgres} DEMO_GITHUB_REPO=${DEMO_GITHUB_REPO:-postgres}
	echo "== GITHUB_TOKEN is set: the github server reads the real API"
fi

echo "== creating servers, importing schemas"
# The token goes through the environment (psql's \getenv), never a command line.
export CQ_DEMO_GH_TOKEN=$GH_TOKEN
$PSQL -q -d cq_demo -v gh_url="$GH_URL" -v mock="$MOCK" -f "$TOP/test/demo.sql"

cat <<EOF

== done.  Open psql on the demo database:

   sudo -u postgres psql -h $DEMO -p $PORT cq_demo

   then try:  SELECT * FROM cq_fdw.tables;   \\d+ k8s.k8s_pods   EXPLAIN (ANALYZE, VERBOSE) ...
   stop it:   make demo-stop
EOF
