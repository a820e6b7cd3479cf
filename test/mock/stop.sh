#!/bin/sh
# Stop a mock started by start.sh.  Usage: stop.sh [--bind ADDR] [--port PORT] [--pidfile FILE]
# (same defaults and env as start.sh).  Waits up to 5 s, then SIGKILL.
set -eu
bind=${MOCK_BIND:-127.0.0.1}
port=${MOCK_PORT:-18080}
pidfile=${MOCK_PIDFILE:-}
while [ $# -gt 0 ]; do
    case "$1" in
        --bind) bind=$2; shift 2 ;;
        --port) port=$2; shift 2 ;;
        --pidfile) pidfile=$2; shift 2 ;;
        *) echo "stop.sh: unknown argument $1" >&2; exit 2 ;;
    esac
done
[ -n "$pidfile" ] || pidfile=/tmp/cq_mock_${bind}_${port}.pid
[ -f "$pidfile" ] || { echo "mock: no pidfile $pidfile" >&2; exit 0; }
pid=$(cat "$pidfile")
if kill "$pid" 2>/dev/null; then
    i=0
    while kill -0 "$pid" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
    kill -0 "$pid" 2>/dev/null && kill -9 "$pid" 2>/dev/null || true
fi
rm -f "$pidfile"
