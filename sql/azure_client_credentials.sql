-- Azure client credentials (issue 13 point 2): the user mapping holds an
-- app registration (tenant_id, client_id, client_secret); the scan asks
-- {authority_url}/{tenant}/oauth2/v2.0/token (the mock, which checks
-- tenant, client id, scope, grant type and secret) for an ARM token and
-- sends it; the mock's API routes take only tokens it issued.
-- The client secret contains the security canary, built at run time: the
-- mock is given its SHA-256 only, and test/checks/zz_canary.sh fails if the
-- canary shows up anywhere (results, server log at debug5, mock logs).
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS cq_fdw;
LOAD 'cq_fdw';
\! curl -s 'http://127.0.0.1:18080/_mock/reset' > /dev/null
SELECT encode(sha256(convert_to('cq-canary-' || '7f3e9a1d' || '-azure-secret', 'UTF8')), 'hex') AS secret_sha
\gset
\setenv AZ_SECRET_SHA :secret_sha
\! curl -s "http://127.0.0.1:18080/_mock/oauth?kind=azure&tenant=cq-test-tenant&client_id=0f1e2d3c-cq-test-app&client_secret_sha256=$AZ_SECRET_SHA&echo_secret=1"; echo
\! curl -s 'http://127.0.0.1:18080/_mock/expect_token?issued=1&enforce=1'; echo

CREATE SERVER az_srv FOREIGN DATA WRAPPER cq_fdw
    OPTIONS (source 'rest', base_url 'http://127.0.0.1:18080',
             authority_url 'http://127.0.0.1:18080/_oauth/azure');
CREATE FOREIGN TABLE az_items (id bigint, name text) SERVER az_srv
    OPTIONS (endpoint '/gen/link/az?n=30&per_page=10&shape=small',
             pagination 'link_header');
CREATE FOREIGN TABLE az_slow (id bigint, name text) SERVER az_srv
    OPTIONS (endpoint '/gen/link/az_slow?n=50&per_page=10&shape=small&latency_ms=900',
             pagination 'link_header');

-- validation at CREATE/ALTER USER MAPPING, without echoing any value
CREATE USER MAPPING FOR CURRENT_USER SERVER az_srv
    OPTIONS (tenant_id 'cq-test-tenant', client_id '0f1e2d3c-cq-test-app');
CREATE USER MAPPING FOR CURRENT_USER SERVER az_srv
    OPTIONS (tenant_id 'cq test/../tenant', client_id 'x', client_secret 'not-shown-1');
CREATE USER MAPPING FOR CURRENT_USER SERVER az_srv
    OPTIONS (token 'abc', tenant_id 't', client_id 'x', client_secret 'not-shown-2');
CREATE USER MAPPING FOR CURRENT_USER SERVER az_srv
    OPTIONS (tenant_id 't', client_id 'x', client_secret 'not-shown-3', app_id '1');
-- authority_url is a URL, and a host others may not point at
CREATE SERVER az_bad FOREIGN DATA WRAPPER cq_fdw
    OPTIONS (source 'rest', base_url 'http://127.0.0.1:18080', authority_url 'login');

-- the real registration; user mappings made with the log at warning (see
-- security.sql), everything after at debug5
SET log_min_messages = warning;
DO $$
BEGIN
    EXECUTE format('CREATE USER MAPPING FOR CURRENT_USER SERVER az_srv OPTIONS (tenant_id %L, client_id %L, client_secret %L)',
                   'cq-test-tenant', '0f1e2d3c-cq-test-app',
                   'cq-canary-' || '7f3e9a1d' || '-azure-secret');
END
$$;
SET log_min_messages = debug5;

-- a multi-page scan: one token request, every page accepted
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) SELECT * FROM az_items;
\! curl -s 'http://127.0.0.1:18080/_mock/requests?route=/gen/link/az' | python3 -c "import json,sys; r=json.load(sys.stdin)['requests']; print('pages:', len(r), 'all with an issued token:', all(e.get('auth_ok') for e in r))"
\! curl -s 'http://127.0.0.1:18080/_mock/oauth_last?kind=azure' | python3 -c "import json,sys; print(json.load(sys.stdin)['last'])"
-- the token outlives the scan: the next scans of this mapping ask for none
SELECT count(*), count(DISTINCT id) FROM az_items;
SELECT count(*) FROM az_items a JOIN az_items b USING (id);
\! curl -s 'http://127.0.0.1:18080/_mock/stats?route=/_oauth/azure/' | python3 -c "import json,sys; print('token requests:', json.load(sys.stdin)['prefix_count'])"
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) SELECT * FROM az_items;

-- EXPLAIN VERBOSE shows no secret
EXPLAIN (VERBOSE, COSTS OFF) SELECT * FROM az_items;
SELECT srvname, array_to_string(umoptions, ',') LIKE '%client_secret=cq-%' AS owner_sees_own_secret
  FROM pg_user_mappings WHERE srvname = 'az_srv';

-- a 401 mid-scan: the token is dropped, one refetch, the page retried
\! curl -s 'http://127.0.0.1:18080/_mock/fault?route=/gen/link/az&mode=401&after=1&count=1' > /dev/null
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) SELECT * FROM az_items;
-- a 401 on every try: one refetch, then the error names the options
\! curl -s 'http://127.0.0.1:18080/_mock/fault?route=/gen/link/az&mode=401&count=-1' > /dev/null
SELECT count(*) FROM az_items;
\! curl -s 'http://127.0.0.1:18080/_mock/faults?clear=1' > /dev/null

-- a changed mapping drops the kept token: a wrong secret is refused by the
-- token endpoint (which repeats the secret it got: scrubbed), 28000
SET log_min_messages = warning;
DO $$
BEGIN
    EXECUTE format('ALTER USER MAPPING FOR CURRENT_USER SERVER az_srv OPTIONS (SET client_secret %L)',
                   'cq-canary-' || '7f3e9a1d' || '-wrong');
END
$$;
SET log_min_messages = debug5;
SELECT count(*) FROM az_items;
\echo :LAST_ERROR_SQLSTATE
-- a client id unknown to the tenant, a tenant that does not exist
ALTER USER MAPPING FOR CURRENT_USER SERVER az_srv OPTIONS (SET client_id 'no-such-app');
SELECT count(*) FROM az_items;
ALTER USER MAPPING FOR CURRENT_USER SERVER az_srv OPTIONS (SET client_id '0f1e2d3c-cq-test-app', SET tenant_id 'other-tenant');
SELECT count(*) FROM az_items;
ALTER USER MAPPING FOR CURRENT_USER SERVER az_srv OPTIONS (SET tenant_id 'cq-test-tenant');

-- tokens that live 2 s, a scan of 5 pages of 0.9 s each: renewed on the way
\! curl -s 'http://127.0.0.1:18080/_mock/reset' > /dev/null
\! curl -s 'http://127.0.0.1:18080/_mock/expect_token?issued=1&enforce=1' > /dev/null
\! curl -s "http://127.0.0.1:18080/_mock/oauth?kind=azure&tenant=cq-test-tenant&client_id=0f1e2d3c-cq-test-app&client_secret_sha256=$AZ_SECRET_SHA&lifetime=2" > /dev/null
SET log_min_messages = warning;
DO $$
BEGIN
    EXECUTE format('ALTER USER MAPPING FOR CURRENT_USER SERVER az_srv OPTIONS (SET client_secret %L)',
                   'cq-canary-' || '7f3e9a1d' || '-azure-secret');
END
$$;
SET log_min_messages = debug5;
SET cq_fdw.concurrency = 1;
SELECT count(*), count(DISTINCT id) FROM az_slow;
RESET cq_fdw.concurrency;
\! curl -s 'http://127.0.0.1:18080/_mock/stats?route=/_oauth/azure/' | python3 -c "import json,sys; print('token requests >= 2:', json.load(sys.stdin)['prefix_count'] >= 2)"
\! curl -s 'http://127.0.0.1:18080/_mock/requests?route=/gen/link/az_slow' | python3 -c "import json,sys; r=json.load(sys.stdin)['requests']; print('pages:', len(r), 'all with a live issued token:', all(e.get('auth_ok') for e in r))"

-- the host policy applies to the token endpoint: an authority on a denied
-- address is refused before any request (the stand-in's log stays empty:
-- test/checks/security_standin.sh), and a role that is not superuser may
-- not point authority_url at a host outside cq_fdw.allowed_hosts
SET cq_fdw.denied_addresses = '127.0.0.2';
ALTER SERVER az_srv OPTIONS (SET authority_url 'http://127.0.0.2:18080/_oauth/azure');
SELECT count(*) FROM az_items;
RESET cq_fdw.denied_addresses;
CREATE ROLE regress_az_user;
GRANT USAGE ON FOREIGN DATA WRAPPER cq_fdw TO regress_az_user;
SET ROLE regress_az_user;
CREATE SERVER az_user_srv FOREIGN DATA WRAPPER cq_fdw
    OPTIONS (source 'azure', authority_url 'http://127.0.0.2:18080/_oauth/azure');
CREATE SERVER az_user_srv FOREIGN DATA WRAPPER cq_fdw
    OPTIONS (source 'azure', authority_url 'https://login.microsoftonline.com');
RESET ROLE;
DROP SERVER az_user_srv;
REVOKE USAGE ON FOREIGN DATA WRAPPER cq_fdw FROM regress_az_user;
DROP ROLE regress_az_user;

-- a revoked secret: a clear error
ALTER SERVER az_srv OPTIONS (SET authority_url 'http://127.0.0.1:18080/_oauth/azure');
\! curl -s 'http://127.0.0.1:18080/_mock/oauth?kind=azure&revoke=1' > /dev/null
SELECT count(*) FROM az_items;
RESET log_min_messages;

\! curl -s 'http://127.0.0.1:18080/_mock/reset' > /dev/null
DROP SERVER az_srv CASCADE;
