-- EXPLAIN of cq_fdw scans: source, table, pushed quals, request kind,
-- fan-out, limit; VERBOSE adds the request template (no secret);
-- ANALYZE adds the deterministic counters (TIMING OFF hides the waits).
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS cq_fdw;

CREATE SERVER ex_srv FOREIGN DATA WRAPPER cq_fdw
    OPTIONS (source 'rest', base_url 'http://127.0.0.1:18080');
CREATE USER MAPPING FOR CURRENT_USER SERVER ex_srv
    OPTIONS (token 'canary-XYZ-secret');
CREATE FOREIGN TABLE ex_acct (account int, id bigint, name text) SERVER ex_srv
    OPTIONS (endpoint '/accounts/{account}/ex_items?n=25&per_page=10&shape=small&api_key=endpoint-secret-42',
             rows '/items', pagination 'next_token', next '/nextPageToken',
             next_param 'pageToken');
CREATE FOREIGN TABLE ex_link (id bigint, name text) SERVER ex_srv
    OPTIONS (endpoint '/gen/link/ex_link?n=30&per_page=10&shape=small',
             pagination 'link_header');

EXPLAIN (COSTS OFF) SELECT * FROM ex_link;
EXPLAIN (COSTS OFF) SELECT name FROM ex_acct WHERE account = 3 AND id > 2;
EXPLAIN (COSTS OFF) SELECT name FROM ex_acct WHERE account = ANY ('{1,2}');
EXPLAIN (COSTS OFF) SELECT id FROM ex_link LIMIT 4;
PREPARE ex_q(int) AS SELECT name FROM ex_acct WHERE account = $1;
SET plan_cache_mode = force_generic_plan;
EXPLAIN (COSTS OFF) EXECUTE ex_q(1);
RESET plan_cache_mode;
DEALLOCATE ex_q;

-- VERBOSE: the request template, secrets in the endpoint redacted
EXPLAIN (COSTS OFF, VERBOSE) SELECT name FROM ex_acct WHERE account = 3;

-- EXPLAIN without ANALYZE sends nothing
\! curl -s 'http://127.0.0.1:18080/_mock/reset' > /dev/null
EXPLAIN (COSTS OFF) SELECT * FROM ex_acct WHERE account = ANY ('{1,2,3}');
\! curl -s 'http://127.0.0.1:18080/_mock/stats' | /usr/bin/python3 -c "import json,sys; print('requests:', json.load(sys.stdin)['total'])"

-- ANALYZE: 2 accounts x 3 pages, 25 rows each
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF)
SELECT * FROM ex_acct WHERE account = ANY ('{1,2}');
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) SELECT id FROM ex_link LIMIT 4;
-- with timing, the waits and memory appear (values vary: only their names)
DO $$
DECLARE
	l text;
	n int := 0;
BEGIN
	FOR l IN EXECUTE 'EXPLAIN (ANALYZE, FORMAT TEXT) SELECT * FROM ex_link' LOOP
		IF l ~ '(API Wait|Rate Limit Wait|Peak Memory): ' THEN
			n := n + 1;
		END IF;
		IF l ~ 'canary' THEN
			RAISE EXCEPTION 'token in EXPLAIN output';
		END IF;
	END LOOP;
	RAISE WARNING 'timing lines: %', n;
END
$$;
-- the main thread's handshakes with the job's threads (issue 16): it
-- sleeps on one wait set per job, built at its first wait -- not one per
-- wait (WaitLatchOrSocket: an epoll set, two epoll_ctl and a close per
-- batch).  Three pages of one account arrive 30 ms apart, one after the
-- other: it waits for each.  Timing on: the counts are in the JSON plan.
CREATE FOREIGN TABLE ex_slow (account int, id bigint, name text) SERVER ex_srv
    OPTIONS (endpoint '/accounts/{account}/ex_items?n=25&per_page=10&shape=small&latency_ms=30',
             rows '/items', pagination 'next_token', next '/nextPageToken',
             next_param 'pageToken');
DO $$
DECLARE
	j json;
BEGIN
	EXECUTE 'EXPLAIN (ANALYZE, FORMAT JSON) SELECT * FROM ex_slow WHERE account = 1' INTO j;
	j := j->0->'Plan';
	RAISE WARNING 'pages %, main thread waited more than once: %, wait sets built: %, wake-up count shown: %',
		j->>'Pages', (j->>'Main Thread Waits')::int > 1, j->>'Wait Sets Built',
		(j->>'I/O Wake-ups by Main Thread') IS NOT NULL;
END
$$;
-- structured formats carry the same properties
EXPLAIN (COSTS OFF, FORMAT JSON) SELECT name FROM ex_acct WHERE account = 3;
