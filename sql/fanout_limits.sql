-- = ANY fan-out at scale: duplicate values are removed in O(n log n) (one
-- request per distinct value), the conversion of a huge array can be
-- cancelled, and cq_fdw.max_fanout caps the number of distinct values with
-- a clear error instead of a request storm.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS cq_fdw;

CREATE SERVER fo_srv FOREIGN DATA WRAPPER cq_fdw
    OPTIONS (source 'rest', base_url 'http://127.0.0.1:18080');
CREATE USER MAPPING FOR CURRENT_USER SERVER fo_srv;
CREATE FOREIGN TABLE fo_acct (account int, id bigint) SERVER fo_srv
    OPTIONS (endpoint '/accounts/{account}/fo_items?n=2&per_page=100&shape=small',
             rows '/items', pagination 'next_token', next '/nextPageToken',
             next_param 'pageToken');

-- duplicates (and NULLs) cost nothing: 3 distinct accounts, 3 requests
\! curl -s 'http://127.0.0.1:18080/_mock/reset' > /dev/null
SELECT count(*), count(DISTINCT account)
  FROM fo_acct WHERE account = ANY ('{3,1,3,2,1,NULL,2,3}');
\! curl -s 'http://127.0.0.1:18080/_mock/stats?route=/accounts/' | /usr/bin/python3 -c "import json,sys; print('requests:', json.load(sys.stdin)['prefix_count'])"

-- 200,000 distinct values (with 200,000 duplicates): above the default
-- cq_fdw.max_fanout (100000), an ERROR before any request.  (The old
-- quadratic duplicate check took minutes here.)
\! curl -s 'http://127.0.0.1:18080/_mock/reset' > /dev/null
SET statement_timeout = '120s';
SELECT count(*) FROM fo_acct
 WHERE account = ANY (ARRAY(SELECT g % 200000 FROM generate_series(1, 400000) g));
\! curl -s 'http://127.0.0.1:18080/_mock/stats?route=/accounts/' | /usr/bin/python3 -c "import json,sys; print('requests:', json.load(sys.stdin)['prefix_count'])"

-- the cap applies to the combination
SET cq_fdw.max_fanout = 2;
SELECT count(*) FROM fo_acct WHERE account = ANY ('{1,2,3}');
SELECT count(*) FROM fo_acct WHERE account = ANY ('{1,2,2,1}');
RESET cq_fdw.max_fanout;

-- a million distinct values: converting and de-duplicating them is
-- interruptible (statement_timeout fires in the middle)
CREATE TEMP TABLE fo_arr AS SELECT array_agg(g) AS a FROM generate_series(1, 1000000) g;
SET cq_fdw.max_fanout = 2000000;
SET statement_timeout = '300ms';
SELECT count(*) FROM fo_acct WHERE account = ANY ((SELECT a FROM fo_arr)::int[]);
RESET statement_timeout;
RESET cq_fdw.max_fanout;

DROP TABLE fo_arr;
DROP SERVER fo_srv CASCADE;
