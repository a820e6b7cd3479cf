-- Key-column pushdown: required keys fail in planning with a hint, = ANY
-- fans out concurrently, LIMIT stops paging, and a join on a key column
-- feeds the outer values to the API through a parameterized path.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS cq_fdw;

CREATE SERVER pd_srv FOREIGN DATA WRAPPER cq_fdw
    OPTIONS (source 'rest', base_url 'http://127.0.0.1:18080');
CREATE USER MAPPING FOR CURRENT_USER SERVER pd_srv
    OPTIONS (token 'canary-XYZ-secret');
CREATE FOREIGN TABLE pd_acct (account int, id bigint, name text) SERVER pd_srv
    OPTIONS (endpoint '/accounts/{account}/pd_items?n=5&per_page=100&shape=small',
             rows '/items', pagination 'next_token', next '/nextPageToken',
             next_param 'pageToken');

-- a required key column without a value: an ERROR in planning, before any
-- request
\! curl -s 'http://127.0.0.1:18080/_mock/reset' > /dev/null
SELECT * FROM pd_acct;
SELECT count(*) FROM pd_acct WHERE account > 3;
SELECT count(*) FROM pd_acct WHERE account = 1 OR account = 2;
\set VERBOSITY sqlstate
SELECT * FROM pd_acct WHERE id = 1;
EXPLAIN (COSTS OFF) SELECT * FROM pd_acct;
\set VERBOSITY default
\! curl -s 'http://127.0.0.1:18080/_mock/stats?route=/accounts/' | /usr/bin/python3 -c "import json,sys; print('requests:', json.load(sys.stdin)['prefix_count'])"

-- = ANY over 20 accounts against a 200 ms route: requests overlap
CREATE FOREIGN TABLE pd_slow (account int, id bigint) SERVER pd_srv
    OPTIONS (endpoint '/accounts/{account}/pd_slow?n=3&latency_ms=200&shape=small',
             rows '/items', pagination 'next_token', next '/nextPageToken',
             next_param 'pageToken');
\! curl -s 'http://127.0.0.1:18080/_mock/reset' > /dev/null
SELECT count(*), count(DISTINCT account), sum(id)
  FROM pd_slow WHERE account = ANY (ARRAY(SELECT generate_series(1, 20)));
\! curl -s 'http://127.0.0.1:18080/_mock/stats?route=/accounts/' | /usr/bin/python3 -c "import json,sys; d=json.load(sys.stdin); print('requests:', d['prefix_count'], 'concurrent:', d['prefix_max_concurrent'] > 1)"

-- LIMIT 5 over a 50-page collection: at most 2 requests
CREATE FOREIGN TABLE pd_big (id bigint, name text) SERVER pd_srv
    OPTIONS (endpoint '/gen/link/pd_big?n=500&per_page=10&shape=small',
             pagination 'link_header');
EXPLAIN (COSTS OFF) SELECT id FROM pd_big LIMIT 5;
\! curl -s 'http://127.0.0.1:18080/_mock/reset' > /dev/null
SELECT id FROM pd_big LIMIT 5;
\! curl -s 'http://127.0.0.1:18080/_mock/stats?route=/gen/link/pd_big' | /usr/bin/python3 -c "import json,sys; print('at most 2 requests:', json.load(sys.stdin)['prefix_count'] <= 2)"
SELECT id FROM pd_big LIMIT 3 OFFSET 12;
-- not pushed: a local filter, an ORDER BY or an aggregate sits in between
EXPLAIN (COSTS OFF) SELECT id FROM pd_big WHERE name <> 'x' LIMIT 5;
EXPLAIN (COSTS OFF) SELECT id FROM pd_big ORDER BY id LIMIT 5;
EXPLAIN (COSTS OFF) SELECT count(*) FROM (SELECT DISTINCT name FROM pd_big) s LIMIT 1;

-- a join on the key column: a nested loop feeds each outer value to the
-- API, one request per distinct outer value
CREATE TABLE pd_outer (a int);
INSERT INTO pd_outer VALUES (1), (2), (2), (3), (3), (3);
ANALYZE pd_outer;
EXPLAIN (COSTS OFF)
SELECT o.a, count(*) FROM pd_outer o JOIN pd_acct t ON t.account = o.a GROUP BY o.a ORDER BY o.a;
\! curl -s 'http://127.0.0.1:18080/_mock/reset' > /dev/null
SELECT o.a, count(*), sum(t.id) FROM pd_outer o JOIN pd_acct t ON t.account = o.a
 GROUP BY o.a ORDER BY o.a;
\! curl -s 'http://127.0.0.1:18080/_mock/stats?route=/accounts/' | /usr/bin/python3 -c "import json,sys; print('requests:', json.load(sys.stdin)['prefix_count'])"
-- LATERAL with the key given by the outer row
SELECT o.a, x.n FROM (VALUES (4), (5)) o(a),
       LATERAL (SELECT count(*) AS n FROM pd_acct t WHERE t.account = o.a) x ORDER BY 1;
