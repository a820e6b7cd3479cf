#!/bin/sh
# Start the cq_fdw mock API in the background and wait until it answers.
# Usage: start.sh [--bind ADDR] [--port PORT] [--log FILE] [--pidfile FILE] [other mock_api.py args]
# Env:   MOCK_BIND (127.0.0.1), MOCK_PORT (18080), MOCK_LOG, MOCK_PIDFILE
#        (default: /tmp/cq_mock_<bind>_<port>.pid), MOCK_STDERR (default: <pidfile>.err)
# Prints the base URL on success; exit 1 if it did not come up within 10 s.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
bind=${MOCK_BIND:-127.0.0.1}
port=${MOCK_PORT:-18080}
log=${MOCK_LOG:-}
pidfile=${MOCK_PIDFILE:-}
extra=""
while [ $# -gt 0 ]; do
    case "$1" in
        --bind) bind=$2; shift 2 ;;
        --port) port=$2; shift 2 ;;
        --log) log=$2; shift 2 ;;
        --pidfile) pidfile=$2; shift 2 ;;
        *) extra="$extra $1"; shift ;;
    esac
done
[ -n "$pidfile" ] || pidfile=/tmp/cq_mock_${bind}_${port}.pid
errf=${MOCK_STDERR:-$pidfile.err}
if [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
    echo "mock: already running (pid $(cat "$pidfile")) per $pidfile" >&2
    exit 1
fi
set -- --bind "$bind" --port "$port" --pidfile "$pidfile"
[ -n "$log" ] && set -- "$@" --log "$log"
# shellcheck disable=SC2086
nohup /usr/bin/python3 "$here/mock_api.py" "$@" $extra >"$errf" 2>&1 </dev/null &
pid=$!
i=0
while [ $i -lt 100 ]; do
    if /usr/bin/python3 - "$bind" "$port" <<'PY' 2>/dev/null
import sys, urllib.request
b, p = sys.argv[1], sys.argv[2]
h = "[%s]" % b if ":" in b else b
urllib.request.urlopen("http://%s:%s/_mock/health" % (h, p), timeout=1).read()
PY
    then
        echo "$pid" >"$pidfile"
        echo "http://$bind:$port"
        exit 0
    fi
    if ! kill -0 "$pid" 2>/dev/null; then
        echo "mock: failed to start:" >&2; cat "$errf" >&2; exit 1
    fi
    sleep 0.1; i=$((i + 1))
done
echo "mock: no answer on $bind:$port after 10 s" >&2
kill "$pid" 2>/dev/null || true
exit 1
