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
#  5. (also: a refused token, a mid-scan renewal, an AWS role.)
#  6. a GitHub App without installation_id, the owner fixed by the query
#     (org = 'x'): NB backends make ONE installation lookup and ONE
#     installation token request, NB more none, another owner its own
#     lookup and token.
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
	pq -c "DROP SERVER IF EXISTS st_srv CASCADE" -c "DROP SERVER IF EXISTS st_aws CASCADE" \
		-c "DROP SERVER IF EXISTS st_gh CASCADE" \
		-c "DROP ROLE IF EXISTS st_other" >/dev/null 2>&1
	curl -sf "$MOCK_URL/_mock/expect_token" >/dev/null 2>&1
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
CREATE FOREIGN TABLE st_slow (id bigint, name text) SERVER st_srv
    OPTIONS (endpoint '/gen/link/$TAG-slow?n=100&per_page=5&shape=small&latency_ms=300',
             pagination 'link_header', concurrency '1');
DROP ROLE IF EXISTS st_other;
CREATE ROLE st_other;
GRANT USAGE ON FOREIGN SERVER st_srv TO st_other;
GRANT SELECT ON st_items TO st_other;
SQL

tokens() {
	curl -sf "$MOCK_URL/_mock/stats?route=/_oauth/azure/" |
		python3 -c 'import json,sys; print(json.load(sys.stdin)["prefix_count"])'
}

sts_calls() {
	curl -sf "$MOCK_URL/_mock/stats?route=/aws/us-east-1/sts/" |
		python3 -c 'import json,sys; print(json.load(sys.stdin)["prefix_count"])'
}

# burstx N TAG SQL-PREFIX TABLE ROWS COUNTER: N backends run "<prefix>
# SELECT count(*) FROM <table>" at once (errors in verbose form, with the
# SQLSTATE); prints "<scans that returned ROWS> <COUNTER's increase>"
burstx() {
	local nb=$1 tag=$2 pre=$3 tab=$4 rows=$5 counter=$6 pids="" t0 ok=0
	t0=$($counter)
	for i in $(seq "$nb"); do
		psql -X -q -A -t -v VERBOSITY=verbose -c "$pre SELECT count(*) FROM $tab" \
			>"$OUT/$tag.$i" 2>"$OUT/$tag.$i.err" &
		pids="$pids $!"
	done
	for p in $pids; do wait "$p"; done
	for i in $(seq "$nb"); do
		[ "$(tail -1 "$OUT/$tag.$i")" = "$rows" ] && ok=$((ok + 1))
	done
	echo "$ok $(($($counter) - t0))"
}

# burst TAG SQL-PREFIX: NB backends scan st_items (30 rows) at once;
# prints "<scans that returned 30> <token requests>"
burst() { burstx "$NB" "$1" "$2" st_items 30 tokens; }

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
# the refusal is shared for a moment (a negative entry): the backends that
# waited for the failed request report its error instead of each asking
# again (before: 2 requests per backend)
[ "$n" -le 2 ] || fail "$NB backends with a wrong secret made $n token requests (expected at most 2)"
e=$(grep -l "^ERROR:  28000: could not get an access token" "$OUT"/wrong.*.err | wc -l)
[ "$e" = "$NB" ] || fail "$e of $NB scans with a wrong secret reported SQLSTATE 28000"
h=$(grep -h "^HINT:" "$OUT"/wrong.*.err | sort | uniq -c)
[ "$(grep -l "^HINT:" "$OUT"/wrong.*.err | wc -l)" = "$NB" ] &&
	[ "$(grep -h "^HINT:" "$OUT"/wrong.*.err | sort -u | wc -l)" = 1 ] ||
	fail "the $NB scans with a wrong secret did not all get the same HINT: $h"
pq -c "ALTER USER MAPPING FOR PUBLIC SERVER st_srv OPTIONS (SET client_secret '$SECRET')" >/dev/null
read -r ok n <<<"$(burst back "")"
echo "shared tokens: secret set back, $NB backends, $ok/$NB complete, $n token request(s)"
[ "$ok" = "$NB" ] || fail "$((NB - ok)) of $NB scans failed after the secret was set back"
[ "$n" = 1 ] || fail "after a mapping change $NB backends made $n token requests (expected 1)"

# ---- a token the API refuses (401) leaves the shared slot at once: the
# mock stops accepting the tokens it issued (a rotation at the vendor)
curl -sf "$MOCK_URL/_mock/expect_token?issued=1&enforce=1" >/dev/null &&
	curl -sf "$MOCK_URL/_mock/oauth_forget" >/dev/null || fail "mock expect_token setup failed"
read -r ok n <<<"$(burstx 1 refused1 "" st_items 30 tokens)"
echo "shared tokens: shared token refused (401), 1 backend: $ok/1 complete, $n token request(s)"
[ "$ok" = 1 ] || fail "the scan whose shared token was refused failed: $(cat "$OUT"/refused1.1.err)"
[ "$n" = 1 ] || fail "the scan whose shared token was refused made $n token requests (expected 1)"
read -r ok n <<<"$(burst refused "")"
echo "shared tokens: after the refusal, $NB backends, $ok/$NB complete, $n token request(s)"
[ "$ok" = "$NB" ] || fail "$((NB - ok)) of $NB scans failed after a refused token was renewed"
[ "$n" = 0 ] || fail "after one backend renewed a refused token, $NB backends made $n token requests (expected 0: the refused token left the slot, the renewed one took its place)"

# ---- a token renewed in the middle of a scan is shared at once, not at
# that backend's next scan: a slow scan runs, its token is refused on the
# way, it renews it; while it still runs, NB backends need no request
t0=$(tokens)
psql -X -q -A -t -c "SELECT count(*) FROM st_slow" >"$OUT/slow" 2>"$OUT/slow.err" &
slow=$!
pages() {
	pq -c "SELECT coalesce(max(pages), -1) FROM cq_fdw.scan_progress WHERE table_name = 'public.st_slow'"
}
for _ in $(seq 300); do [ "$(pages)" -ge 1 ] && break; sleep 0.1; done
curl -sf "$MOCK_URL/_mock/oauth_forget" >/dev/null
p0=$(pages)
# renewed (one token request), and two more pages read after it
for _ in $(seq 300); do
	[ "$(tokens)" -gt "$t0" ] && [ "$(pages)" -ge $((p0 + 2)) ] && break
	sleep 0.1
done
running=$(pages)
read -r ok n <<<"$(burst midscan "")"
echo "shared tokens: token renewed mid-scan (scan at page $running), $NB backends, $ok/$NB complete, $n token request(s)"
[ "$running" -ge 0 ] || fail "the slow scan ended before the burst: the test proves nothing (make it slower)"
[ "$ok" = "$NB" ] || fail "$((NB - ok)) of $NB scans failed after a mid-scan renewal"
[ "$n" = 0 ] || fail "$NB backends made $n token requests while a running scan held a renewed token (expected 0: published at once)"
wait "$slow"
[ "$(tail -1 "$OUT/slow")" = 100 ] || fail "the slow scan whose token was renewed failed: $(cat "$OUT/slow.err")"
curl -sf "$MOCK_URL/_mock/expect_token" >/dev/null

# ---- AWS AssumeRole: the role's temporary key is shared the same way
curl -sf "$MOCK_URL/_mock/aws?external_id=&role_lifetime_s=3600" >/dev/null ||
	fail "mock aws setup failed"
pq >/dev/null <<SQL || fail "AWS setup failed"
SET client_min_messages = warning;
DROP SERVER IF EXISTS st_aws CASCADE;
CREATE SERVER st_aws FOREIGN DATA WRAPPER cq_fdw
    OPTIONS (source 'rest', base_url '$MOCK_URL/aws/us-east-1/execute-api',
             auth 'sigv4', aws_region 'us-east-1', aws_service 'execute-api',
             sts_url '$MOCK_URL/aws/us-east-1/sts/query');
CREATE USER MAPPING FOR PUBLIC SERVER st_aws
    OPTIONS (access_key_id 'AKIDEXAMPLE',
             secret_access_key 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
             role_arn 'arn:aws:iam::210987654321:role/reader');
CREATE FOREIGN TABLE st_aws_items (id bigint, name text) SERVER st_aws
    OPTIONS (endpoint '/gen/next_token/$TAG-aws?shape=small&n=25&per_page=10&latency_ms=20',
             pagination 'next_token', next '/nextPageToken', next_param 'pageToken',
             rows '/items');
SQL
read -r ok n <<<"$(burstx "$NB" aws "" st_aws_items 25 sts_calls)"
echo "shared tokens: AWS role, $NB backends at once, $ok/$NB complete, $n AssumeRole request(s)"
[ "$ok" = "$NB" ] || fail "$((NB - ok)) of $NB AWS scans failed: $(cat "$OUT"/aws.*.err | sort | uniq -c | head -3)"
[ "$n" = 1 ] || fail "$NB backends assuming one role made $n AssumeRole requests (expected 1)"
read -r ok n <<<"$(burstx "$NB" aws2 "" st_aws_items 25 sts_calls)"
echo "shared tokens: AWS role, $NB more backends, $ok/$NB complete, $n AssumeRole request(s)"
[ "$ok" = "$NB" ] || fail "$((NB - ok)) of $NB later AWS scans failed"
[ "$n" = 0 ] || fail "$NB later backends made $n AssumeRole requests while the shared key was valid (expected 0)"
if grep -rq "ASIAMOCK\|wJalrXUtnFEMI" "$OUT" 2>/dev/null; then
	fail "an AWS key shows up in a scan's output or error"
fi


# ---- a GitHub App without installation_id: the installation is looked up
# per owner the requests name; with the owner fixed by the query (org =
# 'x') the backends share the owner's installation token as the others
ORG="st-org-$$"
ORG2="st-two-$$"
PEM=$(python3 "$(dirname "$0")/../../sql/github_app_key.py" "$MOCK_URL" 31337 4242 \
	"$ORG:4242,$ORG2:5151" | python3 -c 'import json,sys; print(json.load(sys.stdin).split("\n", 1)[1])')
[ -n "$PEM" ] || fail "GitHub App key setup failed"
curl -sf "$MOCK_URL/_mock/expect_token?issued=1&enforce=1" >/dev/null || fail "mock expect_token setup failed"
pq -v pem="$PEM" >/dev/null <<SQL || fail "GitHub App setup failed"
SET client_min_messages = warning;
DROP SERVER IF EXISTS st_gh CASCADE;
CREATE SERVER st_gh FOREIGN DATA WRAPPER cq_fdw OPTIONS (source 'rest', base_url '$MOCK_URL');
CREATE USER MAPPING FOR PUBLIC SERVER st_gh OPTIONS (app_id '31337', private_key :'pem');
CREATE FOREIGN TABLE st_gh_items (org text, id bigint, name text) SERVER st_gh
    OPTIONS (endpoint '/orgs/{org}/items?n=30&per_page=10&latency_ms=20',
             pagination 'link_header');
SQL
gh_lookups() {
	curl -sf "$MOCK_URL/_mock/stats?route=/orgs/$1/installation" |
		python3 -c 'import json,sys; print(json.load(sys.stdin)["prefix_count"])'
}
gh_tokens() {
	curl -sf "$MOCK_URL/_mock/stats?route=/app/installations/$1/" |
		python3 -c 'import json,sys; print(json.load(sys.stdin)["prefix_count"])'
}
gh_calls() { echo $(($(gh_lookups "$ORG") + $(gh_tokens 4242))); }
gh_calls2() { echo $(($(gh_lookups "$ORG2") + $(gh_tokens 5151))); }
l0=$(gh_lookups "$ORG")
read -r ok n <<<"$(burstx "$NB" gh "" "st_gh_items WHERE org = '$ORG'" 30 gh_calls)"
l=$(($(gh_lookups "$ORG") - l0))
echo "shared tokens: GitHub App per owner, $NB backends at once, $ok/$NB complete, $l installation lookup(s) + $((n - l)) token request(s)"
[ "$ok" = "$NB" ] || fail "$((NB - ok)) of $NB GitHub App scans failed: $(cat "$OUT"/gh.*.err | sort | uniq -c | head -3)"
[ "$l" = 1 ] || fail "$NB backends scanning one owner made $l installation lookups (expected 1)"
[ "$((n - l))" = 1 ] || fail "$NB backends scanning one owner made $((n - l)) installation token requests (expected 1)"
read -r ok n <<<"$(burstx "$NB" gh2 "" "st_gh_items WHERE org IN ('$ORG')" 30 gh_calls)"
echo "shared tokens: GitHub App per owner, $NB more backends (IN list), $ok/$NB complete, $n lookup + token request(s)"
[ "$ok" = "$NB" ] || fail "$((NB - ok)) of $NB later GitHub App scans failed"
[ "$n" = 0 ] || fail "$NB later backends made $n installation lookups or token requests while the owner's shared token was valid (expected 0)"
read -r ok n <<<"$(burstx "$NB" gh3 "" "st_gh_items WHERE org = '$ORG2'" 30 gh_calls2)"
echo "shared tokens: GitHub App, another owner, $NB backends, $ok/$NB complete, $n lookup + token request(s)"
[ "$ok" = "$NB" ] || fail "$((NB - ok)) of $NB scans of another owner failed: $(cat "$OUT"/gh3.*.err | sort | uniq -c | head -3)"
[ "$n" = 2 ] || fail "$NB backends scanning another owner made $n lookups + token requests (expected 2: its own installation and token, not the first owner's)"
curl -sf "$MOCK_URL/_mock/expect_token" >/dev/null
if grep -rq "BEGIN RSA\|mock_github_" "$OUT" 2>/dev/null; then
	fail "a GitHub App key or token shows up in a scan's output or error"
fi

# the secret never reached an error
if grep -rqF "$SECRET" "$OUT" 2>/dev/null; then
	fail "the client secret shows up in a scan's output or error"
fi

[ "$FAILED" = 0 ] && echo "PASS shared_tokens"
exit "$FAILED"
