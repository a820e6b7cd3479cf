#!/bin/sh
# Self-test of the mock API server: starts it on free ports, exercises every
# route family, pagination style and fault mode, stops it, prints
# "N passed, N failed" and exits non-zero on failure.  ~30 s.
# Env: MOCK_FIXTURES=/path/to/shared/fixtures (default ../shared/fixtures next to the repo;
# replay tests of the shared recordings are skipped with a reason if absent).
here=$(cd "$(dirname "$0")" && pwd)
exec /usr/bin/python3 "$here/selftest.py" "$@"
