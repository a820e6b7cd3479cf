-- Batched joins (on by default) in every executor situation: as the top
-- plan node under EXPLAIN ANALYZE, under a Limit, in a subquery, rescanned
-- with a parameter on its outer side, in a cursor closed half-read,
-- cancelled by statement_timeout while its lookups wait, and failing in
-- its inner lookups.  After each, the backend runs no SDK thread and shows
-- no scan in cq_fdw.scan_progress: the job was ended, not leaked.
SET client_min_messages = warning;
SET timezone = 'UTC';
CREATE EXTENSION IF NOT EXISTS cq_fdw;
CREATE SERVER pjx_gh FOREIGN DATA WRAPPER cq_fdw
    OPTIONS (source 'github', base_url 'http://127.0.0.1:18080/replay/github/demo');
CREATE USER MAPPING FOR CURRENT_USER SERVER pjx_gh OPTIONS (token 'test-token');
CREATE SCHEMA pjx;
IMPORT FOREIGN SCHEMA github LIMIT TO (github_repositories, github_issues)
    FROM SERVER pjx_gh INTO pjx;
-- threads of this backend (1: no SDK thread) and its scans in progress
CREATE VIEW pjx.leftover AS
SELECT substring(pg_read_file('/proc/self/status') FROM 'Threads:\s+(\d+)')::int AS threads,
       (SELECT count(*) FROM cq_fdw.scan_progress WHERE pid = pg_backend_pid()) AS scans;
SELECT * FROM pjx.leftover;
-- EXPLAIN ANALYZE without the counters that depend on timing
CREATE FUNCTION pg_temp.analyze_lines(q text) RETURNS SETOF text AS $$
DECLARE l text;
BEGIN
  FOR l IN EXECUTE 'EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) ' || q LOOP
    IF l !~ '^\s*(API Requests|Pages|Rows Fetched|Bytes|Retries):' THEN
      RETURN NEXT l;
    END IF;
  END LOOP;
END $$ LANGUAGE plpgsql;

-- the batched join as the top plan node (it once crashed here)
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF)
SELECT r.name, i.number
  FROM pjx.github_repositories r
  JOIN pjx.github_issues i ON i.owner = r.owner_login AND i.repo = r.name
 WHERE r.org = 'demo-org';
SELECT * FROM pjx.leftover;

-- under a Limit: the join stops after two rows, and its inner job is
-- ended (the requests, pages and bytes it got to are left out: they depend
-- on which lookup answered first)
\! curl -s 'http://127.0.0.1:18080/_mock/reset' > /dev/null
SELECT l FROM pg_temp.analyze_lines($q$
SELECT r.name, i.number
  FROM pjx.github_repositories r
  JOIN pjx.github_issues i ON i.owner = r.owner_login AND i.repo = r.name
 WHERE r.org = 'demo-org' LIMIT 2$q$) l;
SELECT count(*) FROM (
SELECT r.name, i.number
  FROM pjx.github_repositories r
  JOIN pjx.github_issues i ON i.owner = r.owner_login AND i.repo = r.name
 WHERE r.org = 'demo-org' LIMIT 2) s;
SELECT * FROM pjx.leftover;

-- inside a subquery (aggregated above it)
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF)
SELECT s.name, count(*) FROM (
  SELECT r.name, i.number
    FROM pjx.github_repositories r
    JOIN pjx.github_issues i ON i.owner = r.owner_login AND i.repo = r.name
   WHERE r.org = 'demo-org' OFFSET 0) s
GROUP BY s.name ORDER BY s.name;
SELECT * FROM pjx.leftover;

-- a parameter on the outer side: the join is rescanned per value, each
-- time with that repository's lookup only (one issues request each)
\! curl -s 'http://127.0.0.1:18080/_mock/reset' > /dev/null
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF)
SELECT n, (SELECT count(*)
             FROM pjx.github_repositories r
             JOIN pjx.github_issues i ON i.owner = r.owner_login AND i.repo = r.name
            WHERE r.org = 'demo-org' AND r.name = n) AS issues
  FROM unnest(ARRAY['api', 'web', 'no-such-repo']) n;
\! curl -s http://127.0.0.1:18080/_mock/requests | /usr/bin/python3 -c "import json,sys,urllib.parse; print('\n'.join(sorted(urllib.parse.unquote(r['path']).split('/demo',1)[1] for r in json.load(sys.stdin)['requests'])))"
SELECT n, (SELECT count(*)
             FROM pjx.github_repositories r
             JOIN pjx.github_issues i ON i.owner = r.owner_login AND i.repo = r.name
            WHERE r.org = 'demo-org' AND r.name = n) AS issues
  FROM unnest(ARRAY['api', 'web', 'no-such-repo']) n ORDER BY n;
SELECT * FROM pjx.leftover;

-- a cursor read in part, then closed inside its transaction
BEGIN;
DECLARE c CURSOR FOR
SELECT i.number > 0 AS fetched
  FROM pjx.github_repositories r
  JOIN pjx.github_issues i ON i.owner = r.owner_login AND i.repo = r.name
 WHERE r.org = 'demo-org';
FETCH 2 FROM c;
-- open: one scan_progress row each for the outer listing and the inner lookups
SELECT scans FROM pjx.leftover;
CLOSE c;
SELECT * FROM pjx.leftover;
COMMIT;

-- cancelled (statement_timeout) while an inner lookup waits on the API
\! curl -s 'http://127.0.0.1:18080/_mock/fault?route=/replay/github/demo/repos/demo-org/web/issues&mode=slow&delay_ms=30000' > /dev/null
SET statement_timeout = '500ms';
SELECT r.name, i.number
  FROM pjx.github_repositories r
  JOIN pjx.github_issues i ON i.owner = r.owner_login AND i.repo = r.name
 WHERE r.org = 'demo-org';
\echo :LAST_ERROR_SQLSTATE
RESET statement_timeout;
\! curl -s 'http://127.0.0.1:18080/_mock/faults?clear=1' > /dev/null
SELECT * FROM pjx.leftover;

-- an inner lookup answered 404: the join fails with the API's error,
-- naming the lookup; the session goes on
\! curl -s 'http://127.0.0.1:18080/_mock/fault?route=/replay/github/demo/repos/demo-org/web/issues&mode=404&count=-1' > /dev/null
\set VERBOSITY terse
SELECT r.name, i.number
  FROM pjx.github_repositories r
  JOIN pjx.github_issues i ON i.owner = r.owner_login AND i.repo = r.name
 WHERE r.org = 'demo-org';
\echo :LAST_ERROR_SQLSTATE
\set VERBOSITY default
\! curl -s 'http://127.0.0.1:18080/_mock/faults?clear=1' > /dev/null
SELECT * FROM pjx.leftover;
-- and the same join afterwards returns every row
SELECT count(*)
  FROM pjx.github_repositories r
  JOIN pjx.github_issues i ON i.owner = r.owner_login AND i.repo = r.name
 WHERE r.org = 'demo-org';
SELECT * FROM pjx.leftover;

DROP SCHEMA pjx CASCADE;
DROP SERVER pjx_gh CASCADE;
