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
\! curl -s 'http://127.0.0.1:18080/_mock/fault?route=/gen/link/err_t&mode=403&query=page%3D2' > /dev/null
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

-- Errors that say what happened (issue 20, point 7)
\! curl -s 'http://127.0.0.1:18080/_mock/faults?clear=1' > /dev/null
-- a reset connection, every time: named, retried, then 08006
\! curl -s 'http://127.0.0.1:18080/_mock/fault?route=/gen/link/err_t&mode=reset&count=-1' > /dev/null
SELECT count(*) FROM err_t;
\echo :LAST_ERROR_SQLSTATE
\! curl -s 'http://127.0.0.1:18080/_mock/faults?clear=1' > /dev/null
-- Retry-After beyond cq_fdw.retry_max: says how long and which setting
\! curl -s 'http://127.0.0.1:18080/_mock/fault?route=/gen/link/err_t&mode=429&retry_after=120&count=-1' > /dev/null
SELECT count(*) FROM err_t;
\echo :LAST_ERROR_SQLSTATE
\! curl -s 'http://127.0.0.1:18080/_mock/faults?clear=1' > /dev/null
\! curl -s 'http://127.0.0.1:18080/_mock/fault?route=/gen/link/err_t&mode=503&retry_after=120&count=-1' > /dev/null
SELECT count(*) FROM err_t;
\echo :LAST_ERROR_SQLSTATE
\! curl -s 'http://127.0.0.1:18080/_mock/faults?clear=1' > /dev/null
-- a redirect loop, an oversized header: a HINT each
CREATE FOREIGN TABLE err_loop (id bigint) SERVER err_srv OPTIONS (endpoint '/hostile/loop');
SELECT count(*) FROM err_loop;
\echo :LAST_ERROR_SQLSTATE
CREATE FOREIGN TABLE err_hdr (id bigint) SERVER err_srv OPTIONS (endpoint '/hostile/bigheader?kb=80');
SELECT count(*) FROM err_hdr;
SET cq_fdw.max_header_size = '1MB';
ALTER FOREIGN TABLE err_hdr OPTIONS (SET endpoint '/hostile/bigheader?kb=240');
SELECT count(*) FROM err_hdr;
\echo :LAST_ERROR_SQLSTATE
RESET cq_fdw.max_header_size;
-- nesting: the setting's limit, and the JSON parser's own (2048 levels)
CREATE FOREIGN TABLE err_deep (id bigint) SERVER err_srv
    OPTIONS (endpoint '/hostile/deep?depth=300', rows '/items');
SELECT count(*) FROM err_deep;
SET cq_fdw.max_json_depth = 5000;
ALTER FOREIGN TABLE err_deep OPTIONS (SET endpoint '/hostile/deep?depth=3000');
SELECT count(*) FROM err_deep;
\echo :LAST_ERROR_SQLSTATE
RESET cq_fdw.max_json_depth;
-- a 20 kB key value: a URL length error, not a network policy refusal
CREATE FOREIGN TABLE err_owner (owner text, id bigint) SERVER err_srv
    OPTIONS (endpoint '/users/{owner}/repos');
SELECT count(*) FROM err_owner WHERE owner = repeat('a', 20000);
\echo :LAST_ERROR_SQLSTATE
-- no rows where rows should be: WARNINGs, not a silent 0
CREATE FOREIGN TABLE err_norows (id bigint) SERVER err_srv
    OPTIONS (endpoint '/gen/page/err_norows?n=5&shape=small', rows '/itemz');
SELECT count(*) FROM err_norows;
CREATE FOREIGN TABLE err_empty (id bigint) SERVER err_srv
    OPTIONS (endpoint '/hostile/empty', rows '/items');
SELECT count(*) FROM err_empty;
-- a 204 is empty on purpose: no warning
ALTER FOREIGN TABLE err_empty OPTIONS (SET endpoint '/hostile/empty?status=204');
SELECT count(*) FROM err_empty;
-- a pagination loop (a token the API ignores) is stopped with a WARNING
CREATE FOREIGN TABLE err_pageloop (id bigint) SERVER err_srv
    OPTIONS (endpoint '/gen/page/err_pageloop?n=10&shape=small', rows '/items',
             pagination 'next_token', next '/total', next_param 'pageToken');
SELECT count(*), count(DISTINCT id) FROM err_pageloop;
-- max_pages: an ERROR naming the setting, never a silent truncation
ALTER FOREIGN TABLE err_t OPTIONS (ADD max_pages '2');
SELECT count(*) FROM err_t;
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) FROM (SELECT id FROM err_t LIMIT 15) s;
ALTER FOREIGN TABLE err_t OPTIONS (SET max_pages '3');
SELECT count(*) FROM err_t;
ALTER FOREIGN TABLE err_t OPTIONS (DROP max_pages);
SET cq_fdw.max_pages = 1;
SELECT count(*) FROM err_t;
RESET cq_fdw.max_pages;
ALTER FOREIGN TABLE err_t OPTIONS (ADD max_pages '-1');
