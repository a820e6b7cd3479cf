-- GitHub App (issue 13 point 4): the user mapping holds app_id and the
-- app's private key (PEM); the scan signs the app JWT (RS256, 10 minutes),
-- exchanges it for an installation access token at
-- POST /app/installations/{id}/access_tokens (the mock verifies the
-- signature and the claims) and sends that token.  Without installation_id
-- the installation is looked up per owner the request names
-- (GET /orgs/{org}/installation, /repos/{owner}/{repo}/installation) with
-- the app JWT; each owner's API routes take only its installation's token.
-- The key pair is made for this run by sql/github_app_key.py (nothing
-- real); the PEM's leading explanatory line becomes the security canary at
-- run time (test/checks/zz_canary.sh fails if it shows up anywhere).
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS cq_fdw;
LOAD 'cq_fdw';
\! curl -s 'http://127.0.0.1:18080/_mock/reset' > /dev/null
\set ghkey `python3 $CQ_TEST_DIR/regress/sql/github_app_key.py http://127.0.0.1:18080 31337 4242 acme:4242,widgets:5151`
SELECT set_config('cq_test.ghkey', (:'ghkey')::json #>> '{}', false) IS NOT NULL AS key_made;
\! curl -s 'http://127.0.0.1:18080/_mock/expect_token?issued=1&enforce=1'; echo

CREATE SERVER gha_srv FOREIGN DATA WRAPPER cq_fdw
    OPTIONS (source 'rest', base_url 'http://127.0.0.1:18080');
CREATE FOREIGN TABLE gha_acme (id bigint, name text) SERVER gha_srv
    OPTIONS (endpoint '/orgs/acme/items?n=25&per_page=10', pagination 'link_header');
CREATE FOREIGN TABLE gha_widgets (id bigint, name text) SERVER gha_srv
    OPTIONS (endpoint '/repos/Widgets/gears/items?n=12&per_page=5', pagination 'link_header');
CREATE FOREIGN TABLE gha_nobody (id bigint, name text) SERVER gha_srv
    OPTIONS (endpoint '/orgs/nobody/items?n=5', pagination 'link_header');
CREATE FOREIGN TABLE gha_plain (id bigint, name text) SERVER gha_srv
    OPTIONS (endpoint '/gen/link/gha?n=5&shape=small', pagination 'link_header');

-- validation at CREATE/ALTER USER MAPPING, without echoing any value
CREATE USER MAPPING FOR CURRENT_USER SERVER gha_srv
    OPTIONS (app_id '31337', private_key '-----BEGIN RSA PRIVATE KEY-----
not-shown-base64
-----END RSA PRIVATE KEY-----');
CREATE USER MAPPING FOR CURRENT_USER SERVER gha_srv
    OPTIONS (app_id '31337', private_key 'not a key, not-shown-4');
CREATE USER MAPPING FOR CURRENT_USER SERVER gha_srv
    OPTIONS (app_id '31337', installation_id '42abc', private_key 'x');
CREATE USER MAPPING FOR CURRENT_USER SERVER gha_srv
    OPTIONS (installation_id '4242');
CREATE USER MAPPING FOR CURRENT_USER SERVER gha_srv
    OPTIONS (token 'ghp_x', app_id '31337', private_key 'x');

-- the real key, installation given; mappings made with the log at warning
-- (see security.sql), everything after at debug5
SET log_min_messages = warning;
DO $$
BEGIN
    EXECUTE format('CREATE USER MAPPING FOR CURRENT_USER SERVER gha_srv OPTIONS (app_id %L, installation_id %L, private_key %L)',
                   '31337', '4242',
                   replace(current_setting('cq_test.ghkey'), '@CANARY@', 'cq-canary-' || '7f3e9a1d'));
END
$$;
SET log_min_messages = debug5;

-- a multi-page scan: one installation token, every page accepted
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) SELECT * FROM gha_acme;
\! curl -s 'http://127.0.0.1:18080/_mock/requests?route=/orgs/acme/items' | python3 -c "import json,sys; r=json.load(sys.stdin)['requests']; print('pages:', len(r), 'all with an issued token:', all(e.get('auth_ok') for e in r))"
\! curl -s 'http://127.0.0.1:18080/_mock/oauth_last?kind=github' | python3 -c "import json,sys; l=json.load(sys.stdin)['last']; c=l['claims']; print('alg', l['header']['alg'], 'iss', c['iss'], 'lifetime', c['exp'] - c['iat'])"
-- the installation token outlives the scan: no new one for the next scans
SELECT count(*), count(DISTINCT id) FROM gha_acme;
SELECT count(*) FROM gha_plain;
\! curl -s 'http://127.0.0.1:18080/_mock/stats?route=/app/installations/' | python3 -c "import json,sys; print('token requests:', json.load(sys.stdin)['prefix_count'])"
-- installation 4242 is acme's: widgets' repository is not visible to it
SELECT count(*) FROM gha_widgets;

-- EXPLAIN VERBOSE shows no key
EXPLAIN (VERBOSE, COSTS OFF) SELECT * FROM gha_acme;

-- without installation_id: looked up per owner with the app JWT, once each
ALTER USER MAPPING FOR CURRENT_USER SERVER gha_srv OPTIONS (DROP installation_id);
\! curl -s 'http://127.0.0.1:18080/_mock/reset?keep_oauth=1' > /dev/null
SELECT count(*), count(DISTINCT id) FROM gha_acme;
SELECT count(*), count(DISTINCT id) FROM gha_widgets;
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) SELECT * FROM gha_widgets;
SELECT count(*) FROM gha_acme a JOIN gha_widgets w USING (id);
\! curl -s 'http://127.0.0.1:18080/_mock/requests' | python3 -c "import json,collections,sys; r=json.load(sys.stdin)['requests']; c=collections.Counter(e['route'] for e in r if 'install' in e['route']); [print(k, v) for k, v in sorted(c.items())]"
-- an owner the app is not installed on; a path that names no owner
SELECT count(*) FROM gha_nobody;
SELECT count(*) FROM gha_plain;

-- a 401 mid-scan: the token is dropped, one refetch, the page retried
\! curl -s 'http://127.0.0.1:18080/_mock/fault?route=/orgs/acme/items&mode=401&after=1&count=1' > /dev/null
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) SELECT * FROM gha_acme;
-- a 401 on every try: one refetch, then the error names the options
\! curl -s 'http://127.0.0.1:18080/_mock/fault?route=/orgs/acme/items&mode=401&count=-1' > /dev/null
SELECT count(*) FROM gha_acme;
\! curl -s 'http://127.0.0.1:18080/_mock/faults?clear=1' > /dev/null

-- a revoked key: a clear error (28000)
\! curl -s 'http://127.0.0.1:18080/_mock/oauth?kind=github&revoke=1' > /dev/null
ALTER USER MAPPING FOR CURRENT_USER SERVER gha_srv OPTIONS (ADD installation_id '4242');
SELECT count(*) FROM gha_acme;
\echo :LAST_ERROR_SQLSTATE

-- a personal access token in `token` keeps working
\! curl -s 'http://127.0.0.1:18080/_mock/expect_token?sha256=d0eca4ead4d36ed3465ea5131108f0c57f3348ee4d21b74d5fb6417d4bcdd3a7&enforce=1' > /dev/null
DROP USER MAPPING FOR CURRENT_USER SERVER gha_srv;
CREATE USER MAPPING FOR CURRENT_USER SERVER gha_srv OPTIONS (token 'ghp_cqtestpersonalaccesstoken');
SELECT count(*) FROM gha_plain;
RESET log_min_messages;

\! curl -s 'http://127.0.0.1:18080/_mock/reset' > /dev/null
DROP SERVER gha_srv CASCADE;
