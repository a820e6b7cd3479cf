-- Detail calls (hydrate) in the plan: a query that needs a detail column
-- costs one detail request more per row (so the planner prefers plans
-- that fetch fewer details), and under a pushed LIMIT only the rows that
-- will be returned get their detail calls.  Against the mock's /hyd/ API
-- (sql/hydrate.sql); requests counted from the mock's log.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS cq_fdw;
\! curl -s 'http://127.0.0.1:18080/_mock/reset' > /dev/null
CREATE SERVER hc_gh FOREIGN DATA WRAPPER cq_fdw
    OPTIONS (source 'github', base_url 'http://127.0.0.1:18080/hyd/n=6');
CREATE USER MAPPING FOR CURRENT_USER SERVER hc_gh OPTIONS (token 'test-token');
CREATE SCHEMA hc;
IMPORT FOREIGN SCHEMA github LIMIT TO (github_repositories) FROM SERVER hc_gh INTO hc;

-- total cost and rows of a query's plan
CREATE FUNCTION pg_temp.plan_of(q text, OUT cost numeric, OUT rows numeric) AS $$
DECLARE j json;
BEGIN
  EXECUTE 'EXPLAIN (FORMAT JSON) ' || q INTO j;
  cost := (j->0->'Plan'->>'Total Cost')::numeric;
  rows := (j->0->'Plan'->>'Plan Rows')::numeric;
END $$ LANGUAGE plpgsql;

-- the same scan without and with detail columns: one detail call
-- (details) costs rows x 12.5 (a request, 100, shared by the 8 the
-- planner assumes in flight), two (details and protection) twice that
WITH p AS (
  SELECT (pg_temp.plan_of($q$SELECT name FROM hc.github_repositories WHERE org = 'acme'$q$)).*
), d1 AS (
  SELECT (pg_temp.plan_of($q$SELECT name, subscribers_count FROM hc.github_repositories WHERE org = 'acme'$q$)).*
), d2 AS (
  SELECT (pg_temp.plan_of($q$SELECT name, subscribers_count, default_branch_protection
                              FROM hc.github_repositories WHERE org = 'acme'$q$)).*
)
SELECT p.rows, d1.cost - p.cost AS one_call_more, p.rows * 12.5 AS rows_x_12_5,
       d2.cost - p.cost AS two_calls_more
  FROM p, d1, d2;
-- a detail column only in WHERE costs the same
SELECT (pg_temp.plan_of($q$SELECT name FROM hc.github_repositories
                            WHERE org = 'acme' AND subscribers_count > 10$q$)).cost >
       (pg_temp.plan_of($q$SELECT name FROM hc.github_repositories
                            WHERE org = 'acme' AND pushed_at > now()$q$)).cost AS where_costs_more;

-- LIMIT 2 pushed to a scan of 6 repositories (one list page): two detail
-- requests, for the two rows returned (no more: the rows past the limit
-- are never hydrated)
SELECT * FROM (SELECT name, subscribers_count FROM hc.github_repositories
                WHERE org = 'acme' LIMIT 2) s ORDER BY name;
\! /usr/bin/python3 "$CQ_TEST_DIR/regress/sql/hydrate_log.py"
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF)
SELECT name, subscribers_count FROM hc.github_repositories WHERE org = 'acme' LIMIT 2;
\! curl -s 'http://127.0.0.1:18080/_mock/reset' > /dev/null
-- two detail calls per row: 2 x 2 requests
SELECT * FROM (SELECT name, subscribers_count, default_branch_required_reviews
                FROM hc.github_repositories WHERE org = 'acme' LIMIT 2) s ORDER BY name;
\! /usr/bin/python3 "$CQ_TEST_DIR/regress/sql/hydrate_log.py"
-- LIMIT 3 over list pages of 2 rows: three detail requests, and no list
-- page after the one that completes the limit's rows (two pages)
ALTER SERVER hc_gh OPTIONS (SET base_url 'http://127.0.0.1:18080/hyd/n=6,per=2');
SELECT * FROM (SELECT name, subscribers_count FROM hc.github_repositories
                WHERE org = 'acme' LIMIT 3) s ORDER BY name;
\! /usr/bin/python3 "$CQ_TEST_DIR/regress/sql/hydrate_log.py"
ALTER SERVER hc_gh OPTIONS (SET base_url 'http://127.0.0.1:18080/hyd/n=6');
-- without LIMIT: one per row, as before
SELECT count(subscribers_count) FROM hc.github_repositories WHERE org = 'acme';
\! /usr/bin/python3 "$CQ_TEST_DIR/regress/sql/hydrate_log.py"
-- a detail call answered with a null status (protection 404 for odd
-- repos) keeps its row: still exactly two
SELECT * FROM (SELECT name, default_branch_protection IS NULL AS unprotected
                FROM hc.github_repositories WHERE org = 'acme' LIMIT 2) s ORDER BY name;
\! /usr/bin/python3 "$CQ_TEST_DIR/regress/sql/hydrate_log.py"
-- with skip_failed a failing row is left out and a later one takes its
-- place, so every listed row is hydrated (and the LIMIT still holds)
ALTER SERVER hc_gh OPTIONS (SET base_url 'http://127.0.0.1:18080/hyd/n=6,fail=repo-1');
ALTER FOREIGN TABLE hc.github_repositories OPTIONS (ADD skip_failed 'true');
SET cq_fdw.max_retries = 0;
SELECT * FROM (SELECT name, subscribers_count FROM hc.github_repositories
                WHERE org = 'acme' LIMIT 2) s ORDER BY name;
RESET cq_fdw.max_retries;
\! /usr/bin/python3 "$CQ_TEST_DIR/regress/sql/hydrate_log.py"

DROP SCHEMA hc CASCADE;
DROP SERVER hc_gh CASCADE;
