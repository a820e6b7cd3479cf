-- Scans of `rest` tables against the mock API: every pagination style
-- (counts and sums prove no page is lost or read twice), fan-out over
-- accounts with = ANY, projection, rescans.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS cq_fdw;

CREATE SERVER scan_srv FOREIGN DATA WRAPPER cq_fdw
    OPTIONS (source 'rest', base_url 'http://127.0.0.1:18080');
CREATE USER MAPPING FOR CURRENT_USER SERVER scan_srv
    OPTIONS (token 'canary-XYZ-secret');

CREATE FOREIGN TABLE scan_link (id bigint, name text) SERVER scan_srv
    OPTIONS (endpoint '/gen/link/scan_link?n=250&per_page=20&shape=small',
             pagination 'link_header');
CREATE FOREIGN TABLE scan_next_url (id bigint, name text) SERVER scan_srv
    OPTIONS (endpoint '/gen/next_url/scan_next_url?n=250&per_page=20&shape=small',
             rows '/items', pagination 'next_url', next '/next');
CREATE FOREIGN TABLE scan_next_token (id bigint, name text) SERVER scan_srv
    OPTIONS (endpoint '/gen/next_token/scan_next_token?n=250&per_page=20&shape=small',
             rows '/items', pagination 'next_token', next '/nextPageToken',
             next_param 'pageToken');
CREATE FOREIGN TABLE scan_page (id bigint, name text) SERVER scan_srv
    OPTIONS (endpoint '/gen/page/scan_page?n=250&shape=small',
             rows '/items', pagination 'page_number', next_param 'page',
             page_size_param 'per_page', page_size '20');
CREATE FOREIGN TABLE scan_offset (id bigint, name text) SERVER scan_srv
    OPTIONS (endpoint '/gen/offset/scan_offset?n=250&shape=small',
             rows '/items', pagination 'offset', next_param 'offset',
             page_size_param 'limit', page_size '20');
CREATE FOREIGN TABLE scan_none (id bigint, name text) SERVER scan_srv
    OPTIONS (endpoint '/gen/page/scan_none?n=7&shape=small', rows '/items');

\! curl -s 'http://127.0.0.1:18080/_mock/reset' > /dev/null
-- 250 items: ids 1..250, sum 31375, each exactly once
SELECT 'link' AS style, count(*), count(DISTINCT id), sum(id), min(id), max(id) FROM scan_link
UNION ALL
SELECT 'next_url', count(*), count(DISTINCT id), sum(id), min(id), max(id) FROM scan_next_url
UNION ALL
SELECT 'next_token', count(*), count(DISTINCT id), sum(id), min(id), max(id) FROM scan_next_token
UNION ALL
SELECT 'page_number', count(*), count(DISTINCT id), sum(id), min(id), max(id) FROM scan_page
UNION ALL
SELECT 'offset', count(*), count(DISTINCT id), sum(id), min(id), max(id) FROM scan_offset
UNION ALL
SELECT 'none', count(*), count(DISTINCT id), sum(id), min(id), max(id) FROM scan_none;
-- 13 pages of 20 (the page-number and offset styles end on an empty page)
\! curl -s 'http://127.0.0.1:18080/_mock/stats?route=/gen/link/scan_link' | /usr/bin/python3 -c "import json,sys; print('requests:', json.load(sys.stdin)['prefix_count'])"
\! curl -s 'http://127.0.0.1:18080/_mock/stats?route=/gen/next_url/scan_next_url' | /usr/bin/python3 -c "import json,sys; print('requests:', json.load(sys.stdin)['prefix_count'])"
\! curl -s 'http://127.0.0.1:18080/_mock/stats?route=/gen/next_token/scan_next_token' | /usr/bin/python3 -c "import json,sys; print('requests:', json.load(sys.stdin)['prefix_count'])"
\! curl -s 'http://127.0.0.1:18080/_mock/stats?route=/gen/page/scan_page' | /usr/bin/python3 -c "import json,sys; print('requests:', json.load(sys.stdin)['prefix_count'])"
\! curl -s 'http://127.0.0.1:18080/_mock/stats?route=/gen/offset/scan_offset' | /usr/bin/python3 -c "import json,sys; print('requests:', json.load(sys.stdin)['prefix_count'])"
\! curl -s 'http://127.0.0.1:18080/_mock/stats?route=/gen/page/scan_none' | /usr/bin/python3 -c "import json,sys; print('requests:', json.load(sys.stdin)['prefix_count'])"

-- rows come in the API's order; text survives as UTF-8
SELECT id, name FROM scan_link WHERE id <= 10;
-- projection: only the needed column, other columns NULL
SELECT count(name), count(*) FROM scan_next_token;
-- a whole-row reference needs every column
SELECT t FROM scan_none t ORDER BY id LIMIT 2;

-- fan-out: one request per account, concurrently
CREATE FOREIGN TABLE scan_acct (account int, id bigint, name text) SERVER scan_srv
    OPTIONS (endpoint '/accounts/{account}/scan_items?n=30&per_page=10&shape=small',
             rows '/items', pagination 'next_token', next '/nextPageToken',
             next_param 'pageToken');
\! curl -s 'http://127.0.0.1:18080/_mock/reset' > /dev/null
SELECT account, count(*), sum(id), min(name), max(name)
  FROM scan_acct WHERE account = ANY ('{1,2,3}') GROUP BY account ORDER BY account;
-- 3 accounts x 3 pages
\! curl -s 'http://127.0.0.1:18080/_mock/stats?route=/accounts/' | /usr/bin/python3 -c "import json,sys; print('requests:', json.load(sys.stdin)['prefix_count'])"
SELECT account, count(*) FROM scan_acct WHERE account = 7 GROUP BY account;
-- the value a request used fills the key column; the local recheck keeps
-- only matching rows
SELECT count(*) FROM scan_acct WHERE account = ANY ('{1,1,2}') AND id <= 5;
-- NULL key values and empty arrays match nothing and send nothing
\! curl -s 'http://127.0.0.1:18080/_mock/reset' > /dev/null
SELECT count(*) FROM scan_acct WHERE account = NULL::int;
SELECT count(*) FROM scan_acct WHERE account = ANY ('{}'::int[]);
SELECT count(*) FROM scan_acct WHERE account = ANY (ARRAY[NULL]::int[]);
\! curl -s 'http://127.0.0.1:18080/_mock/stats?route=/accounts/' | /usr/bin/python3 -c "import json,sys; print('requests:', json.load(sys.stdin)['prefix_count'])"

-- parameters (prepared statements) are evaluated at execution
PREPARE scan_q(int) AS SELECT count(*), sum(id) FROM scan_acct WHERE account = $1;
EXECUTE scan_q(4);
EXECUTE scan_q(5);
PREPARE scan_q2(int[]) AS SELECT count(*) FROM scan_acct WHERE account = ANY ($1);
EXECUTE scan_q2('{1,2,3,4}');
DEALLOCATE scan_q;
DEALLOCATE scan_q2;

-- a cursor closed early stops the scan cleanly
BEGIN;
DECLARE c CURSOR FOR SELECT id FROM scan_link;
FETCH 3 FROM c;
CLOSE c;
COMMIT;
-- the same session keeps working
SELECT count(*) FROM scan_link;
