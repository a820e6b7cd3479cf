#!/usr/bin/env bash
#
# test/checks/shared_tokens.sh -- access tokens shared by the backends of
# one role and user mapping through shared memory (issue 17 point 5;
# src/tokens.c), seen from many sessions at once (pg_regress has one):
#
#  1. NB backends start the same scan at once with an Azure app
#     registration (the mock's token endpoint checks the secret): every
#     scan returns all its rows and the mock saw ONE token request.
#  2. NB more backends later: no token request (the shared token is valid).
#  3. another role under the same PUBLIC mapping: its own token (one more
#     request), never the first role's.
#  4. a mapping change (a wrong client_secret): the scans fail with the
#     token endpoint's refusal -- the old mapping's shared token is not
#     used -- and after the secret is set back NB backends again make one
#     token request.
# Skips (and says so) when cq_fdw is not in shared_preload_libraries:
# without preload each backend keeps its own token (cred.c) as before.
# Exit status 0 = pass.

set -u
MOCK_URL=${MOCK_URL:-http://127.0.0.1:18080}
NB=${NB:-16}
OUT=$(mktemp -d "${CQ_TEST_DIR:-/tmp}/shared_tokens.XXXXXX")
FAILED=0
TAG="st_$$"

pq() { psql -X -q -A -t -v ON_ERROR_STOP=1 "$@"; }
fail() { echo "FAIL shared_tokens: $*"; FAILED=1; }
cleanup() {
	pq -c "DROP SERVER IF EXISTS st_srv CASCADE" -c "DROP ROLE IF EXISTS st_other" >/dev/null 2>&1
	rm -rf "$OUT"
}
trap cleanup EXIT

if ! pq -c "SHOW shared_preload_libraries" | tr ',' '\n' | sed 's/ //g' | grep -qx cq_fdw; then
	echo "SKIP shared_tokens: cq_fdw is not in shared_preload_libraries"
	exit 0
fi

# a secret made for this run; the mock gets its SHA-256 only
SECRET="st-secret-$$-$RANDOM$RANDOM"
SHA=$(printf %s "$SECRET" | sha256sum | cut -d' ' -f1)
curl -sf "$MOCK_URL/_mock/oauth?kind=azure&tenant=st-tenant&client_id=st-app&client_secret_sha256=$SHA" \
	>/dev/null || { echo "FAIL shared_tokens: mock oauth setup failed"; exit 1; }

pq >/dev/null <<SQL || { echo "FAIL shared_tokens: setup failed"; exit 1; }
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS cq_fdw;
DROP SERVER IF EXISTS st_srv CASCADE;
CREATE SERVER st_srv FOREIGN DATA WRAPPER cq_fdw
    OPTIONS (source 'rest', base_url '$MOCK_URL', authority_url '$MOCK_URL/_oauth/azure');
CREATE USER MAPPING FOR PUBLIC SERVER st_srv
    OPTIONS (tenant_id 'st-tenant', client_id 'st-app', client_secret '$SECRET');
CREATE FOREIGN TABLE st_items (id bigint, name text) SERVER st_srv
    OPTIONS (endpoint '/gen/link/$TAG?n=30&per_page=10&shape=small&latency_ms=20',
             pagination 'link_header');
DROP ROLE IF EXISTS st_other;
CREATE ROLE st_other;
GRANT USAGE ON FOREIGN SERVER st_srv TO st_other;
GRANT SELECT ON st_items TO st_other;
SQL

tokens() {
	curl -sf "$MOCK_URL/_mock/stats?route=/_oauth/azure/" |
		python3 -c 'import json,sys; print(json.load(sys.stdin)["prefix_count"])'
}

# burst TAG SQL-PREFIX: NB backends run "<prefix> SELECT count(*) FROM
# st_items" at once; prints "<scans that returned 30> <token requests>"
burst() {
	local tag=$1 pre=$2 pids="" t0 ok=0
	t0=$(tokens)
	for i in $(seq "$NB"); do
		psql -X -q -A -t -c "$pre SELECT count(*) FROM st_items" >"$OUT/$tag.$i" 2>"$OUT/$tag.$i.err" &
		pids="$pids $!"
	done
	for p in $pids; do wait "$p"; done
	for i in $(seq "$NB"); do
		[ "$(tail -1 "$OUT/$tag.$i")" = 30 ] && ok=$((ok + 1))
	done
	echo "$ok $(($(tokens) - t0))"
}

read -r ok n <<<"$(burst first "")"
echo "shared tokens: $NB backends at once, $ok/$NB scans complete, $n token request(s)"
[ "$ok" = "$NB" ] || fail "$((NB - ok)) of $NB scans failed: $(cat "$OUT"/first.*.err | sort | uniq -c | head -3)"
[ "$n" = 1 ] || fail "$NB backends of one role and mapping made $n token requests (expected 1)"

read -r ok n <<<"$(burst again "")"
echo "shared tokens: $NB more backends, $ok/$NB complete, $n token request(s)"
[ "$ok" = "$NB" ] || fail "$((NB - ok)) of $NB later scans failed"
[ "$n" = 0 ] || fail "$NB later backends made $n token requests while the shared token was valid (expected 0)"

read -r ok n <<<"$(burst other "SET ROLE st_other;")"
echo "shared tokens: another role, $NB backends, $ok/$NB complete, $n token request(s)"
[ "$ok" = "$NB" ] || fail "$((NB - ok)) of $NB scans of the other role failed"
[ "$n" = 1 ] || fail "another role's $NB backends made $n token requests (expected 1: its own token, not the first role's)"

# the mapping changes: the old mapping's token must not be used
pq -c "ALTER USER MAPPING FOR PUBLIC SERVER st_srv OPTIONS (SET client_secret 'st-wrong-secret')" >/dev/null
read -r ok n <<<"$(burst wrong "")"
echo "shared tokens: wrong secret, $ok/$NB scans returned rows, $n token request(s)"
[ "$ok" = 0 ] || fail "$ok scans returned rows with a wrong client_secret (a token of the old mapping was used)"
grep -q "could not get an access token" "$OUT"/wrong.1.err ||
	fail "a scan with a wrong secret did not report the refusal: $(cat "$OUT"/wrong.1.err)"
pq -c "ALTER USER MAPPING FOR PUBLIC SERVER st_srv OPTIONS (SET client_secret '$SECRET')" >/dev/null
read -r ok n <<<"$(burst back "")"
echo "shared tokens: secret set back, $NB backends, $ok/$NB complete, $n token request(s)"
[ "$ok" = "$NB" ] || fail "$((NB - ok)) of $NB scans failed after the secret was set back"
[ "$n" = 1 ] || fail "after a mapping change $NB backends made $n token requests (expected 1)"

# the secret never reached an error
if grep -rqF "$SECRET" "$OUT" 2>/dev/null; then
	fail "the client secret shows up in a scan's output or error"
fi

[ "$FAILED" = 0 ] && echo "PASS shared_tokens"
exit "$FAILED"
