-- AWS AssumeRole (issue 12 point 4, issue 13 point 5): a SigV4 server whose
-- user mapping has role_arn signs with the role's temporary key, which the
-- scan gets from STS AssumeRole (signed with the mapping's base key) and
-- renews shortly before it expires.  The mock's STS
-- (/aws/us-east-1/sts/query, test/mock/README.md) verifies the base key's
-- signature and the ExternalId, and issues keys that its SigV4 check then
-- accepts with their session token until they expire.  role_arn may hold
-- {account_id}: a column with key 'account' fans out over accounts, one
-- role (one AssumeRole) per account.  The base secret and the external id
-- are canary values ('cq-canary-' || '7f3e9a1d' ...), which
-- test/checks/zz_canary.sh proves reach no output.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS cq_fdw;
\set VERBOSITY default
SET cq_fdw.max_retries = 0;
\! curl -s 'http://127.0.0.1:18080/_mock/reset' > /dev/null

CREATE SERVER ar_api FOREIGN DATA WRAPPER cq_fdw
    OPTIONS (source 'rest', base_url 'http://127.0.0.1:18080/aws/us-east-1/execute-api',
             auth 'sigv4', aws_region 'us-east-1', aws_service 'execute-api',
             sts_url 'http://127.0.0.1:18080/aws/us-east-1/sts/query');
CREATE FOREIGN TABLE ar_items (id bigint, name text) SERVER ar_api
    OPTIONS (endpoint '/gen/next_token/ar_items?shape=small&n=25&per_page=10',
             pagination 'next_token', next '/nextPageToken', next_param 'pageToken',
             rows '/items');
CREATE FOREIGN TABLE ar_slow (id bigint, name text) SERVER ar_api
    OPTIONS (endpoint '/gen/next_token/ar_slow?shape=small&n=50&per_page=10&latency_ms=900',
             pagination 'next_token', next '/nextPageToken', next_param 'pageToken',
             rows '/items');

-- ============================================================ options
-- role_arn and external_id are credentials: user mappings only
ALTER SERVER ar_api OPTIONS (ADD role_arn 'arn:aws:iam::210987654321:role/reader');
CREATE FOREIGN TABLE ar_bad (id bigint) SERVER ar_api
    OPTIONS (endpoint '/x', external_id 'abc');
-- a column key is a boolean or 'account'
CREATE FOREIGN TABLE ar_badkey (id bigint OPTIONS (key 'acount')) SERVER ar_api
    OPTIONS (endpoint '/x');
-- a malformed role_arn is refused before any request
SET log_min_messages = warning;
DO $$
BEGIN
    EXECUTE format('CREATE USER MAPPING FOR CURRENT_USER SERVER ar_api OPTIONS (access_key_id %L, secret_access_key %L, role_arn %L, external_id %L)',
                   'AKIACQCANARY', 'cq-canary-' || '7f3e9a1d' || '/aws-secret',
                   'reader', 'cq-canary-' || '7f3e9a1d' || '-external-id');
END
$$;
RESET log_min_messages;
SELECT count(*) FROM ar_items;
\echo :LAST_ERROR_SQLSTATE
\! curl -s 'http://127.0.0.1:18080/_mock/stats?route=/aws/us-east-1/sts/' | python3 -c "import json,sys; print('sts requests:', json.load(sys.stdin)['prefix_count'])"

-- ============================================================ AssumeRole
-- the role requires the (canary) external id
\! curl -s 'http://127.0.0.1:18080/_mock/aws?external_id=@canary&role_lifetime_s=3600' > /dev/null
ALTER USER MAPPING FOR CURRENT_USER SERVER ar_api
    OPTIONS (SET role_arn 'arn:aws:iam::210987654321:role/reader');
-- 3 pages, one AssumeRole: every page signed with the temporary key
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) SELECT * FROM ar_items;
SELECT count(*), count(DISTINCT id), sum(id) FROM ar_items;
\! curl -s 'http://127.0.0.1:18080/_mock/requests?route=/aws/' | python3 -c "import json,sys; r=json.load(sys.stdin)['requests']; [print(e['route'].split('/')[3], e['status'], e['sigv4']['ok'], e['sigv4']['access_key'][:8], e['sigv4']['token_sent'], e['sigv4'].get('account'), e['sigv4']['scope'][9:]) for e in r]"
-- EXPLAIN VERBOSE names no key, role or external id
DO $$
DECLARE
	l text;
BEGIN
	FOR l IN EXECUTE 'EXPLAIN (ANALYZE, VERBOSE, FORMAT JSON) SELECT * FROM ar_items' LOOP
		IF l ~ 'canary' OR l ~ 'AKIACQ' OR l ~ 'ASIAMOCK' OR l ~ 'role/reader' THEN
			RAISE EXCEPTION 'credential in EXPLAIN output';
		END IF;
	END LOOP;
END
$$;

-- keys that live 2 s, a scan of 5 pages of 0.9 s each: the key is renewed
-- on the way (AssumeRole again), the scan completes, every page is accepted
\! curl -s 'http://127.0.0.1:18080/_mock/reset' > /dev/null
\! curl -s 'http://127.0.0.1:18080/_mock/aws?external_id=@canary&role_lifetime_s=2' > /dev/null
-- a temporary key outlives its scan (kept for the mapping, shared by the
-- role's backends); the mock's reset forgot the one issued above, and a
-- changed mapping starts over
ALTER USER MAPPING FOR CURRENT_USER SERVER ar_api
    OPTIONS (SET role_arn 'arn:aws:iam::210987654321:role/reader');
SET cq_fdw.concurrency = 1;
CREATE TEMP TABLE ar_plan (line json);
DO $$
DECLARE
	j json;
BEGIN
	EXECUTE 'EXPLAIN (ANALYZE, FORMAT JSON, COSTS OFF, TIMING OFF) SELECT * FROM ar_slow' INTO j;
	INSERT INTO ar_plan VALUES (j);
END
$$;
SELECT (line->0->'Plan'->>'Actual Rows')::int AS rows,
       (line->0->'Plan'->>'Auth Requests')::int >= 2 AS key_renewed,
       (line->0->'Plan'->>'Pages')::int AS pages
  FROM ar_plan;
RESET cq_fdw.concurrency;
\! curl -s 'http://127.0.0.1:18080/_mock/stats?route=/aws/us-east-1/sts/' | python3 -c "import json,sys; print('assume role calls >= 2:', json.load(sys.stdin)['prefix_count'] >= 2)"
\! curl -s 'http://127.0.0.1:18080/_mock/requests?route=/aws/us-east-1/execute-api/' | python3 -c "import json,sys; r=json.load(sys.stdin)['requests']; print('pages:', len(r), 'all accepted:', all(e['status'] == 200 and e['sigv4']['ok'] for e in r), 'temporary keys used > 1:', len(set(e['sigv4']['access_key'] for e in r)) > 1)"
-- the EXPLAIN ANALYZE count is the mock's count of STS requests
\set sts_count `curl -s 'http://127.0.0.1:18080/_mock/stats?route=/aws/us-east-1/sts/' | python3 -c "import json,sys; print(json.load(sys.stdin)['prefix_count'])"`
SELECT (line->0->'Plan'->>'Auth Requests')::int = :sts_count AS same_count FROM ar_plan;

-- a key that expires under a request: AWS says ExpiredToken, the key is
-- renewed and the page sent once more
\! curl -s 'http://127.0.0.1:18080/_mock/reset' > /dev/null
\! curl -s 'http://127.0.0.1:18080/_mock/aws?external_id=@canary&role_lifetime_s=3600&skew_s=0' > /dev/null
\! curl -s 'http://127.0.0.1:18080/_mock/fault?route=/aws/us-east-1/execute-api/gen/next_token/ar_items&mode=aws_expired&after=1&count=1' > /dev/null
SELECT count(*), sum(id) FROM ar_items;

-- ============================================================ refusals
-- a wrong external id: STS says AccessDenied -> 28000, the code and the
-- request id in DETAIL, never the external id or a key
\! curl -s 'http://127.0.0.1:18080/_mock/reset' > /dev/null
\! curl -s 'http://127.0.0.1:18080/_mock/aws?external_id=@canary' > /dev/null
SET log_min_messages = warning;
DO $$
BEGIN
    EXECUTE format('ALTER USER MAPPING FOR CURRENT_USER SERVER ar_api OPTIONS (SET external_id %L)',
                   'cq-canary-' || '7f3e9a1d' || '-not-it');
END
$$;
RESET log_min_messages;
SELECT count(*) FROM ar_items;
\echo :LAST_ERROR_SQLSTATE
-- no external id at all
ALTER USER MAPPING FOR CURRENT_USER SERVER ar_api OPTIONS (DROP external_id);
SELECT count(*) FROM ar_items;
\echo :LAST_ERROR_SQLSTATE
-- a base key STS does not know: InvalidClientTokenId
\! curl -s 'http://127.0.0.1:18080/_mock/aws?external_id=' > /dev/null
ALTER USER MAPPING FOR CURRENT_USER SERVER ar_api OPTIONS (SET access_key_id 'AKIAUNKNOWN0000');
\! curl -s 'http://127.0.0.1:18080/_mock/reset' > /dev/null
SELECT count(*) FROM ar_items;
\echo :LAST_ERROR_SQLSTATE
ALTER USER MAPPING FOR CURRENT_USER SERVER ar_api OPTIONS (SET access_key_id 'AKIACQCANARY');
SELECT count(*) FROM ar_items;

-- ============================================================ accounts
-- role_arn with {account_id}: account_id = ANY(...) assumes one role per
-- account and signs each account's pages with its own key
CREATE FOREIGN TABLE ar_acct (account_id text OPTIONS (key 'account'), id bigint, name text)
    SERVER ar_api
    OPTIONS (endpoint '/gen/next_token/ar_acct?shape=small&n=15&per_page=10',
             pagination 'next_token', next '/nextPageToken', next_param 'pageToken',
             rows '/items');
ALTER USER MAPPING FOR CURRENT_USER SERVER ar_api
    OPTIONS (SET role_arn 'arn:aws:iam::{account_id}:role/cq-reader');
\! curl -s 'http://127.0.0.1:18080/_mock/reset' > /dev/null
SELECT account_id, count(*), sum(id) FROM ar_acct
 WHERE account_id = ANY('{111111111111,222222222222,333333333333}') GROUP BY 1 ORDER BY 1;
\! curl -s 'http://127.0.0.1:18080/_mock/requests?route=/aws/' | python3 -c "import json,sys,collections; r=json.load(sys.stdin)['requests']; c=collections.Counter((e['route'].split('/')[3], e['sigv4'].get('account'), e['status']) for e in r); [print(*k, n) for k, n in sorted(c.items())]"
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF)
SELECT * FROM ar_acct WHERE account_id = ANY('{111111111111,222222222222,333333333333}');
-- one account
SELECT account_id, count(*) FROM ar_acct WHERE account_id = '222222222222' GROUP BY 1;
-- no qual: the server option accounts
ALTER SERVER ar_api OPTIONS (ADD accounts '444444444444, 555555555555');
SELECT account_id, count(*) FROM ar_acct GROUP BY 1 ORDER BY 1;
-- no qual, no accounts: which accounts is not known
ALTER SERVER ar_api OPTIONS (DROP accounts);
SELECT count(*) FROM ar_acct;
-- not an account id
SELECT count(*) FROM ar_acct WHERE account_id = 'x:role/admin';
-- two accounts, rows filtered locally
SELECT count(*) FROM ar_acct WHERE account_id = ANY('{111111111111,222222222222}')
   AND name IS NOT NULL;
-- a role the account refuses: 28000, the error names the account
ALTER USER MAPPING FOR CURRENT_USER SERVER ar_api
    OPTIONS (SET role_arn 'arn:aws:iam::{account_id}:role/denied-reader');
SELECT count(*) FROM ar_acct WHERE account_id = '111111111111';
\echo :LAST_ERROR_SQLSTATE
-- {account_id} needs an account key column
ALTER USER MAPPING FOR CURRENT_USER SERVER ar_api
    OPTIONS (SET role_arn 'arn:aws:iam::{account_id}:role/cq-reader');
SELECT count(*) FROM ar_items;

-- without role_arn the account is the key's own (STS GetCallerIdentity,
-- once per scan): no qual scans it, another account has no rows
ALTER USER MAPPING FOR CURRENT_USER SERVER ar_api OPTIONS (DROP role_arn);
\! curl -s 'http://127.0.0.1:18080/_mock/reset' > /dev/null
SELECT account_id, count(*) FROM ar_acct GROUP BY 1;
SELECT count(*) FROM ar_acct WHERE account_id = '999999999999';
SELECT account_id, count(*) FROM ar_acct WHERE account_id = ANY('{999999999999,111122223333}') GROUP BY 1;
\! curl -s 'http://127.0.0.1:18080/_mock/requests?route=/aws/us-east-1/sts/' | python3 -c "import json,sys; r=json.load(sys.stdin)['requests']; print('GetCallerIdentity calls:', len(r), 'signed by the base key:', all(e['sigv4']['access_key'] == 'AKIACQCANARY' and e['sigv4']['ok'] for e in r))"

-- only the mapping's own role sees role_arn and external_id
CREATE ROLE regress_ar_other;
SET ROLE regress_ar_other;
SELECT srvname, umoptions IS NULL AS hidden FROM pg_user_mappings WHERE srvname = 'ar_api';
RESET ROLE;
-- the mock never recorded a secret
\! curl -s 'http://127.0.0.1:18080/_mock/requests' | grep -c 'cq-canary-7f3e''9a1d'

\! curl -s 'http://127.0.0.1:18080/_mock/aws?external_id=&role_lifetime_s=3600' > /dev/null
\! curl -s 'http://127.0.0.1:18080/_mock/reset' > /dev/null
DROP ROLE regress_ar_other;
DROP SERVER ar_api CASCADE;
