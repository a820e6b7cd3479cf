-- API failures become clear ERRORs with a SQLSTATE (README.md (Errors and warnings)), the
-- API's message as DETAIL and the redacted request as CONTEXT; the session
-- keeps working afterwards.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS cq_fdw;
SET cq_fdw.max_retries = 1;
SET cq_fdw.retry_base = '10ms';
SET cq_fdw.retry_max = '20ms';

CREATE SERVER err_srv FOREIGN DATA WRAPPER cq_fdw
    OPTIONS (source 'rest', base_url 'http://127.0.0.1:18080');
CREATE USER MAPPING FOR CURRENT_USER SERVER err_srv
    OPTIONS (token 'canary-XYZ-secret');
CREATE FOREIGN TABLE err_t (id bigint, name text) SERVER err_srv
    OPTIONS (endpoint '/gen/link/err_t?n=30&per_page=10&shape=small&access_token=endpoint-secret-42',
             pagination 'link_header');

\! curl -s 'http://127.0.0.1:18080/_mock/reset' > /dev/null
-- 404
\! curl -s 'http://127.0.0.1:18080/_mock/fault?route=/gen/link/err_t&mode=404' > /dev/null
SELECT count(*) FROM err_t;
\echo :LAST_ERROR_SQLSTATE
-- 401 and 403
\! curl -s 'http://127.0.0.1:18080/_mock/fault?route=/gen/link/err_t&mode=401' > /dev/null
SELECT count(*) FROM err_t;
\echo :LAST_ERROR_SQLSTATE
\! curl -s 'http://127.0.0.1:18080/_mock/fault?route=/gen/link/err_t&mode=403&after=1' > /dev/null
SELECT count(*) FROM err_t;
\echo :LAST_ERROR_SQLSTATE
-- 500 still failing after the retries
\! curl -s 'http://127.0.0.1:18080/_mock/fault?route=/gen/link/err_t&mode=500&count=-1' > /dev/null
SELECT count(*) FROM err_t;
\echo :LAST_ERROR_SQLSTATE
\! curl -s 'http://127.0.0.1:18080/_mock/faults?clear=1' > /dev/null
-- one 503 is retried and the scan succeeds
\! curl -s 'http://127.0.0.1:18080/_mock/fault?route=/gen/link/err_t&mode=503&after=1' > /dev/null
SELECT count(*), sum(id) FROM err_t;
-- 429 after retries
\! curl -s 'http://127.0.0.1:18080/_mock/fault?route=/gen/link/err_t&mode=429&retry_after=0&count=-1' > /dev/null
SELECT count(*) FROM err_t;
\echo :LAST_ERROR_SQLSTATE
\! curl -s 'http://127.0.0.1:18080/_mock/faults?clear=1' > /dev/null
-- invalid JSON
\! curl -s 'http://127.0.0.1:18080/_mock/fault?route=/gen/link/err_t&mode=badjson&count=-1' > /dev/null
SELECT count(*) FROM err_t;
\echo :LAST_ERROR_SQLSTATE
\! curl -s 'http://127.0.0.1:18080/_mock/faults?clear=1' > /dev/null
-- truncated body
\! curl -s 'http://127.0.0.1:18080/_mock/fault?route=/gen/link/err_t&mode=truncate&count=-1' > /dev/null
SELECT count(*) FROM err_t;
\echo :LAST_ERROR_SQLSTATE
\! curl -s 'http://127.0.0.1:18080/_mock/faults?clear=1' > /dev/null
-- nothing listens there
CREATE SERVER err_down FOREIGN DATA WRAPPER cq_fdw
    OPTIONS (source 'rest', base_url 'http://127.0.0.1:1');
CREATE FOREIGN TABLE err_down_t (id bigint) SERVER err_down OPTIONS (endpoint '/x');
SELECT count(*) FROM err_down_t;
\echo :LAST_ERROR_SQLSTATE

-- after all that, the same session scans normally
SELECT count(*), sum(id) FROM err_t;

-- skip_failed: a failing account is skipped with a WARNING
CREATE FOREIGN TABLE err_acct (account int, id bigint) SERVER err_srv
    OPTIONS (endpoint '/accounts/{account}/err_items?n=4&shape=small&fail_accounts=2',
             rows '/items', pagination 'next_token', next '/nextPageToken',
             next_param 'pageToken');
SELECT account, count(*) FROM err_acct WHERE account = ANY ('{1,2,3}') GROUP BY 1 ORDER BY 1;
\echo :LAST_ERROR_SQLSTATE
ALTER FOREIGN TABLE err_acct OPTIONS (ADD skip_failed 'true');
SELECT account, count(*) FROM err_acct WHERE account = ANY ('{1,2,3}') GROUP BY 1 ORDER BY 1;
