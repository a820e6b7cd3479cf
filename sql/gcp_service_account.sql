-- GCP service account (issue 13 point 1): the user mapping holds the JSON
-- key file; the scan signs a JWT with its private key, exchanges it at the
-- key's token_uri (the mock, which verifies the signature) and sends the
-- access token; the mock's API routes take only tokens it issued.
-- The key pair is made for this run by sql/gcp_sa_key.py (nothing real);
-- its private_key_id becomes the security canary at run time
-- (test/checks/zz_canary.sh fails if it shows up anywhere).
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS cq_fdw;
\! curl -s 'http://127.0.0.1:18080/_mock/reset' > /dev/null
\set sakey `python3 $CQ_TEST_DIR/regress/sql/gcp_sa_key.py http://127.0.0.1:18080`
SELECT set_config('cq_test.sakey', :'sakey', false) IS NOT NULL AS key_made;
\! curl -s 'http://127.0.0.1:18080/_mock/expect_token?issued=1&enforce=1'; echo

CREATE SERVER gsa_srv FOREIGN DATA WRAPPER cq_fdw
    OPTIONS (source 'rest', base_url 'http://127.0.0.1:18080');
CREATE FOREIGN TABLE gsa_items (id bigint, name text) SERVER gsa_srv
    OPTIONS (endpoint '/gen/link/gsa?n=30&per_page=10&shape=small',
             pagination 'link_header');
CREATE FOREIGN TABLE gsa_slow (id bigint, name text) SERVER gsa_srv
    OPTIONS (endpoint '/gen/link/gsa_slow?n=50&per_page=10&shape=small&latency_ms=900',
             pagination 'link_header');

-- validation at CREATE/ALTER USER MAPPING, without echoing the value
CREATE USER MAPPING FOR CURRENT_USER SERVER gsa_srv
    OPTIONS (service_account_key '{"type": "authorized_user", "private_key": "x", "client_email": "y"}');
CREATE USER MAPPING FOR CURRENT_USER SERVER gsa_srv
    OPTIONS (service_account_key 'not json, secret-ish text');
CREATE USER MAPPING FOR CURRENT_USER SERVER gsa_srv
    OPTIONS (token 'abc', service_account_key '{"type": "service_account", "private_key": "x", "client_email": "y"}');

-- the real key; user mappings made with the log at warning (see security.sql)
SET log_min_messages = warning;
DO $$
BEGIN
    EXECUTE format('CREATE USER MAPPING FOR CURRENT_USER SERVER gsa_srv OPTIONS (service_account_key %L)',
                   replace(current_setting('cq_test.sakey'), '@KID@', 'cq-canary-' || '7f3e9a1d'));
END
$$;
RESET log_min_messages;
SELECT set_config('cq_test.sakey', '', false) = '' AS key_forgotten;

-- a multi-page scan: one token request, every page accepted
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) SELECT * FROM gsa_items;
SELECT count(*), count(DISTINCT id) FROM gsa_items;
\! curl -s 'http://127.0.0.1:18080/_mock/requests?route=/gen/link/gsa' | python3 -c "import json,sys; r=json.load(sys.stdin)['requests']; print('pages:', len(r), 'all with an issued token:', all(e.get('auth_ok') for e in r))"

-- EXPLAIN VERBOSE shows no key
EXPLAIN (VERBOSE, COSTS OFF) SELECT * FROM gsa_items;

-- a 401 mid-scan: the token is dropped, one refetch, the page retried
-- (1 token request so far: the token is kept across scans)
\! curl -s 'http://127.0.0.1:18080/_mock/fault?route=/gen/link/gsa&mode=401&after=1&count=1' > /dev/null
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) SELECT * FROM gsa_items;
\! curl -s 'http://127.0.0.1:18080/_mock/stats?route=/_oauth/gcp/token' | python3 -c "import json,sys; print('token requests:', json.load(sys.stdin)['prefix_count'])"
-- a 401 on every try: one refetch, then the error names the option
\! curl -s 'http://127.0.0.1:18080/_mock/fault?route=/gen/link/gsa&mode=401&count=-1' > /dev/null
SELECT count(*) FROM gsa_items;
\! curl -s 'http://127.0.0.1:18080/_mock/stats?route=/_oauth/gcp/token' | python3 -c "import json,sys; print('token requests:', json.load(sys.stdin)['prefix_count'])"
\! curl -s 'http://127.0.0.1:18080/_mock/faults?clear=1' > /dev/null

-- tokens that live 2 s, a scan of 5 pages of 0.9 s each: renewed on the way
\! curl -s 'http://127.0.0.1:18080/_mock/reset' > /dev/null
\! curl -s 'http://127.0.0.1:18080/_mock/expect_token?issued=1&enforce=1' > /dev/null
\! curl -s 'http://127.0.0.1:18080/_mock/oauth?kind=gcp&revoke=0' > /dev/null
\set sakey `python3 $CQ_TEST_DIR/regress/sql/gcp_sa_key.py http://127.0.0.1:18080 2`
SELECT set_config('cq_test.sakey', :'sakey', false) IS NOT NULL AS key_made;
SET log_min_messages = warning;
DO $$
BEGIN
    EXECUTE format('ALTER USER MAPPING FOR CURRENT_USER SERVER gsa_srv OPTIONS (SET service_account_key %L)',
                   replace(current_setting('cq_test.sakey'), '@KID@', 'cq-canary-' || '7f3e9a1d'));
END
$$;
RESET log_min_messages;
SELECT set_config('cq_test.sakey', '', false) = '' AS key_forgotten;
SET cq_fdw.concurrency = 1;
SELECT count(*), count(DISTINCT id) FROM gsa_slow;
RESET cq_fdw.concurrency;
\! curl -s 'http://127.0.0.1:18080/_mock/stats?route=/_oauth/gcp/token' | python3 -c "import json,sys; print('token requests >= 2:', json.load(sys.stdin)['prefix_count'] >= 2)"
\! curl -s 'http://127.0.0.1:18080/_mock/requests?route=/gen/link/gsa_slow' | python3 -c "import json,sys; r=json.load(sys.stdin)['requests']; print('pages:', len(r), 'all with a live issued token:', all(e.get('auth_ok') for e in r))"

-- an API that echoes the token it was sent: the fetched token is redacted
CREATE FOREIGN TABLE gsa_echo (id bigint) SERVER gsa_srv
    OPTIONS (endpoint '/echo/auth401', pagination 'none');
SELECT count(*) FROM gsa_echo;

-- a revoked key: a clear error (28000), no key text; the token kept across
-- scans is still valid, a 401 drops it and the refetch is refused
\! curl -s 'http://127.0.0.1:18080/_mock/oauth?kind=gcp&revoke=1' > /dev/null
\! curl -s 'http://127.0.0.1:18080/_mock/fault?route=/gen/link/gsa&mode=401&count=1' > /dev/null
SELECT count(*) FROM gsa_items;
\echo :LAST_ERROR_SQLSTATE

\! curl -s 'http://127.0.0.1:18080/_mock/reset' > /dev/null
DROP SERVER gsa_srv CASCADE;
