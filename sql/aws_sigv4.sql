-- SigV4 end to end (issue 12, point 3): a rest server with auth 'sigv4'
-- signs every request (each page) with the user mapping's AWS key, and the
-- mock (/aws/<region>/<service>/..., test/mock/README.md) recomputes each
-- signature and refuses a wrong one as AWS does (403 SignatureDoesNotMatch,
-- InvalidClientTokenId): right key -> rows, wrong key -> ERROR 28000 with
-- the AWS code and request id.  Temporary credentials: session_token.
-- The secrets are canary values built at run time ('cq-canary-' ||
-- '7f3e9a1d'), so test/checks/zz_canary.sh proves they reach no output.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS cq_fdw;
\set VERBOSITY default
SET cq_fdw.max_retries = 0;
\! curl -s 'http://127.0.0.1:18080/_mock/reset' > /dev/null

-- ============================================================ options
-- auth is bearer or sigv4; sigv4 needs the scope's region and service
CREATE SERVER aws_bad FOREIGN DATA WRAPPER cq_fdw
    OPTIONS (source 'rest', base_url 'http://127.0.0.1:18080', auth 'sigv5');
CREATE SERVER aws_api FOREIGN DATA WRAPPER cq_fdw
    OPTIONS (source 'rest', base_url 'http://127.0.0.1:18080/aws/us-east-1/execute-api',
             auth 'sigv4', aws_region 'us-east-1');
CREATE FOREIGN TABLE aws_items (id bigint, name text) SERVER aws_api
    OPTIONS (endpoint '/gen/next_token/items?shape=small&n=25&per_page=10&Zeta=a%20b&alpha=~x',
             pagination 'next_token', next '/nextPageToken', next_param 'pageToken',
             rows '/items');
SELECT count(*) FROM aws_items;
ALTER SERVER aws_api OPTIONS (ADD aws_service 'Execute:API');
SELECT count(*) FROM aws_items;
ALTER SERVER aws_api OPTIONS (SET aws_service 'execute-api');
-- the credentials belong in a user mapping, never on the server
ALTER SERVER aws_api OPTIONS (ADD session_token 'x');
-- the AWS options belong to rest servers
CREATE SERVER aws_gh FOREIGN DATA WRAPPER cq_fdw
    OPTIONS (source 'github', auth 'sigv4', aws_region 'us-east-1', aws_service 'ec2');
CREATE FOREIGN TABLE aws_gh_repos (id bigint, org text) SERVER aws_gh
    OPTIONS ("table" 'github_repositories');
SELECT count(*) FROM aws_gh_repos WHERE org = 'x';
-- and aws_region means nothing without auth 'sigv4'
CREATE SERVER aws_noauth FOREIGN DATA WRAPPER cq_fdw
    OPTIONS (source 'rest', base_url 'http://127.0.0.1:18080', aws_region 'us-east-1');
CREATE FOREIGN TABLE aws_noauth_items (id bigint) SERVER aws_noauth
    OPTIONS (endpoint '/gen/link/items?n=3&shape=small');
SELECT count(*) FROM aws_noauth_items;
-- without a key in the user mapping nothing is sent
SELECT count(*) FROM aws_items;
\echo :LAST_ERROR_SQLSTATE

-- ============================================================ signed scans
-- the mappings are created with the server log at warning (as in
-- security.sql: PostgreSQL's own debug CONTEXT would show the statement)
SET log_min_messages = warning;
DO $$
BEGIN
    EXECUTE format('CREATE USER MAPPING FOR CURRENT_USER SERVER aws_api OPTIONS (access_key_id %L, secret_access_key %L)',
                   'AKIACQCANARY', 'cq-canary-' || '7f3e9a1d' || '/aws-secret');
END
$$;
RESET log_min_messages;
-- 25 rows in 3 pages, every page signed: the query parameters are not in
-- AWS's canonical order and some are percent-encoded
SELECT count(*), sum(id), min(name), max(name) FROM aws_items;
\! curl -s 'http://127.0.0.1:18080/_mock/requests?route=/aws/' | /usr/bin/python3 -c "import json,sys; [print(r['status'], r['sigv4']['ok'], r['sigv4']['scope'][9:], r['sigv4']['signed_headers'], r['sigv4']['token_sent']) for r in json.load(sys.stdin)['requests']]"
-- EXPLAIN VERBOSE names the signing scope, never a key
EXPLAIN (VERBOSE, COSTS OFF) SELECT id FROM aws_items;
DO $$
DECLARE
	l text;
BEGIN
	FOR l IN EXECUTE 'EXPLAIN (ANALYZE, VERBOSE, FORMAT JSON) SELECT * FROM aws_items' LOOP
		IF l ~ 'canary' OR l ~ 'AKIACQ' THEN
			RAISE EXCEPTION 'credential in EXPLAIN output';
		END IF;
	END LOOP;
END
$$;

-- a wrong secret: the mock recomputes the signature and refuses it
SET log_min_messages = warning;
DO $$
BEGIN
    EXECUTE format('ALTER USER MAPPING FOR CURRENT_USER SERVER aws_api OPTIONS (SET secret_access_key %L)',
                   'cq-canary-' || '7f3e9a1d' || '/not-the-secret');
END
$$;
RESET log_min_messages;
\! curl -s 'http://127.0.0.1:18080/_mock/reset' > /dev/null
SELECT count(*) FROM aws_items;
\echo :LAST_ERROR_SQLSTATE
-- a signature for another region than the endpoint's
SET log_min_messages = warning;
DO $$
BEGIN
    EXECUTE format('ALTER USER MAPPING FOR CURRENT_USER SERVER aws_api OPTIONS (SET secret_access_key %L)',
                   'cq-canary-' || '7f3e9a1d' || '/aws-secret');
END
$$;
RESET log_min_messages;
ALTER SERVER aws_api OPTIONS (SET aws_region 'eu-west-1');
SELECT count(*) FROM aws_items;
ALTER SERVER aws_api OPTIONS (SET aws_region 'us-east-1');
SELECT count(*) FROM aws_items;

-- ============================================================ temporary credentials
-- an ASIA key needs its session token, sent as X-Amz-Security-Token and signed
CREATE SERVER aws_lambda FOREIGN DATA WRAPPER cq_fdw
    OPTIONS (source 'rest', base_url 'http://127.0.0.1:18080/aws/eu-central-1/lambda',
             auth 'sigv4', aws_region 'eu-central-1', aws_service 'lambda');
CREATE FOREIGN TABLE aws_functions (id bigint, name text) SERVER aws_lambda
    OPTIONS (endpoint '/gen/page/functions?n=12&per_page=5&shape=small',
             pagination 'page_number', next_param 'page', rows '/items');
SET log_min_messages = warning;
DO $$
BEGIN
    EXECUTE format('CREATE USER MAPPING FOR CURRENT_USER SERVER aws_lambda OPTIONS (access_key_id %L, secret_access_key %L, session_token %L)',
                   'ASIACQCANARY', 'cq-canary-' || '7f3e9a1d' || '/aws-temp-secret',
                   'cq-canary-' || '7f3e9a1d' || '-session-token');
END
$$;
RESET log_min_messages;
\! curl -s 'http://127.0.0.1:18080/_mock/reset' > /dev/null
SELECT count(*), sum(id) FROM aws_functions;
\! curl -s 'http://127.0.0.1:18080/_mock/requests?route=/aws/' | /usr/bin/python3 -c "import json,sys; [print(r['status'], r['sigv4']['ok'], r['sigv4']['signed_headers'], r['sigv4']['token_sent']) for r in json.load(sys.stdin)['requests']]"
-- without the token the key is refused
ALTER USER MAPPING FOR CURRENT_USER SERVER aws_lambda OPTIONS (DROP session_token);
\! curl -s 'http://127.0.0.1:18080/_mock/reset' > /dev/null
SELECT count(*) FROM aws_functions;
\echo :LAST_ERROR_SQLSTATE
-- only the mapping's own role sees its options
CREATE ROLE regress_aws_other;
SET ROLE regress_aws_other;
SELECT srvname, umoptions IS NULL AS hidden FROM pg_user_mappings
 WHERE srvname LIKE 'aws\_%' ORDER BY 1;
RESET ROLE;
-- the mock never recorded a secret
\! curl -s 'http://127.0.0.1:18080/_mock/requests' | grep -c 'cq-canary-7f3e''9a1d'

DROP ROLE regress_aws_other;
DROP SERVER aws_api, aws_lambda, aws_noauth CASCADE;
DROP SERVER IF EXISTS aws_gh, aws_bad CASCADE;
