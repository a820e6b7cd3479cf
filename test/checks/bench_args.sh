#!/usr/bin/env bash
#
# test/checks/bench_args.sh -- which steps bench/bench.py's arguments
# select (--list-steps: prints them and runs nothing; no cluster, no mock).
#
#	--s8-sweep A,B alone runs S8 at A and B accounts and nothing else (it
#	ran S1-S7, the 1M-row memory scan and the profile first, an hour
#	before the sweep started); the default list is unchanged.

set -u
TOP=$(cd "$(dirname "$0")/../.." && pwd)
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
fail=0

steps() {
	/usr/bin/python3 "$TOP/bench/bench.py" --out "$TMP/out" --workdir "$TMP/files" --list-steps "$@" 2>"$TMP/err" | tr '\n' ';'
}

check() {	# check WANT ARGS...
	local want=$1 got
	shift
	got=$(steps "$@")
	if [ "$got" != "$want" ]; then
		echo "FAIL bench_args: bench.py $* selects '$got', want '$want'"
		cat "$TMP/err"
		fail=1
	fi
}

check "S8 1000 accounts;S8 10000 accounts;" --s8-sweep 1000,10000
check "S8 1000 accounts;S8 10000 accounts;" --scenarios S8 --s8-sweep 1000,10000
check "S8 20 accounts;" --smoke --scenarios S8
# --s8-items/--s8-per-page: the S8 shape with few items (what grows with accounts, in seconds)
check "S8 1000 accounts;S8 10000 accounts;" --s8-sweep 1000,10000 --s8-items 10 --s8-per-page 10
check "scenario S1;memory;S8 3000 accounts;" --smoke --scenarios S1 --s8-sweep 3000
check "scenario S1;scenario S2;scenario S3;scenario S4;scenario S5;scenario S6;S7;memory;" --smoke
check "scenario S6;" --smoke --scenarios S6 --no-memory
# S9 (1 node vs 3 nodes) runs only when asked for, alone, at 3,000 accounts
# (30 with --smoke) unless --s9-accounts says otherwise
check "S9 3000 accounts;" --scenarios S9
check "S9 30 accounts;" --smoke --scenarios S9
check "S9 300 accounts;" --scenarios S9 --s9-accounts 300 --s9-items 10
[ $fail = 0 ] && echo "PASS bench_args"
exit $fail
