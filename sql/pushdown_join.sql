-- Batched joins: a join of two cq_fdw tables on key columns of the inner
-- one runs as ONE scan that reads the outer table, then looks the inner
-- rows up for all outer key tuples in one job (one unit per tuple, fetched
-- concurrently), instead of a nested loop that rescans the inner table once
-- per outer row.  cq_fdw.batch_joins (on by default) turns it off; both
-- plans return the same rows.
SET client_min_messages = warning;
SET timezone = 'UTC';
CREATE EXTENSION IF NOT EXISTS cq_fdw;

CREATE SERVER pj_gh FOREIGN DATA WRAPPER cq_fdw
    OPTIONS (source 'github', base_url 'http://127.0.0.1:18080/replay/github/demo');
-- on by default: the planner picks the batched join by cost (the setting
-- exists once the library is loaded, which CREATE SERVER's validator does)
SHOW cq_fdw.batch_joins;
CREATE USER MAPPING FOR CURRENT_USER SERVER pj_gh OPTIONS (token 'test-token');
CREATE SCHEMA pj;
IMPORT FOREIGN SCHEMA github LIMIT TO (github_repositories, github_issues)
    FROM SERVER pj_gh INTO pj;

-- repositories -> issues on owner and name: the pushed join
EXPLAIN (COSTS OFF)
SELECT r.name, i.number, i.state
  FROM pj.github_repositories r
  JOIN pj.github_issues i ON i.owner = r.owner_login AND i.repo = r.name
 WHERE r.org = 'demo-org';
\! curl -s 'http://127.0.0.1:18080/_mock/reset' > /dev/null
SELECT r.name, i.number, i.state
  FROM pj.github_repositories r
  JOIN pj.github_issues i ON i.owner = r.owner_login AND i.repo = r.name
 WHERE r.org = 'demo-org' ORDER BY 1, 2;
-- one listing of the repositories (two pages), then one issues listing per
-- repository, all in the inner scan's one job
\! curl -s http://127.0.0.1:18080/_mock/requests | /usr/bin/python3 -c "import json,sys,urllib.parse; print('\n'.join(sorted(urllib.parse.unquote(r['path']).split('/demo',1)[1] for r in json.load(sys.stdin)['requests'])))"
-- the inner scan runs once (loops=1) for all repositories
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF)
SELECT r.name, i.number
  FROM pj.github_repositories r
  JOIN pj.github_issues i ON i.owner = r.owner_login AND i.repo = r.name
 WHERE r.org = 'demo-org' ORDER BY 1, 2;

-- the same join without batching: a nested loop, one inner rescan
-- (and request) per repository, loops=3
SET cq_fdw.batch_joins = off;
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF)
SELECT r.name, i.number
  FROM pj.github_repositories r
  JOIN pj.github_issues i ON i.owner = r.owner_login AND i.repo = r.name
 WHERE r.org = 'demo-org' ORDER BY 1, 2;
CREATE TEMP TABLE unbatched AS
SELECT r.name, r.owner_login, i.number, i.title, i.state, i.updated_at
  FROM pj.github_repositories r
  JOIN pj.github_issues i ON i.owner = r.owner_login AND i.repo = r.name
 WHERE r.org = 'demo-org';
SET cq_fdw.batch_joins = on;
CREATE TEMP TABLE batched AS
SELECT r.name, r.owner_login, i.number, i.title, i.state, i.updated_at
  FROM pj.github_repositories r
  JOIN pj.github_issues i ON i.owner = r.owner_login AND i.repo = r.name
 WHERE r.org = 'demo-org';
SELECT (SELECT count(*) FROM batched) AS batched_rows,
       (SELECT count(*) FROM unbatched) AS unbatched_rows,
       NOT EXISTS (SELECT * FROM batched EXCEPT ALL SELECT * FROM unbatched)
   AND NOT EXISTS (SELECT * FROM unbatched EXCEPT ALL SELECT * FROM batched) AS same_rows;

-- other join clauses and inner quals still apply; a filter on the outer
-- side narrows the lookups (one repository: one issues request)
\! curl -s 'http://127.0.0.1:18080/_mock/reset' > /dev/null
SELECT r.name, i.number
  FROM pj.github_repositories r
  JOIN pj.github_issues i ON i.owner = r.owner_login AND i.repo = r.name
                         AND i.number > r.id % 1 + 40
 WHERE r.org = 'demo-org' AND r.name = 'api' AND i.state = 'closed' ORDER BY 1, 2;
\! curl -s http://127.0.0.1:18080/_mock/requests | /usr/bin/python3 -c "import json,sys,urllib.parse; print('\n'.join(sorted(urllib.parse.unquote(r['path']).split('/demo',1)[1] for r in json.load(sys.stdin)['requests'])))"

-- no outer row: no inner request at all
\! curl -s 'http://127.0.0.1:18080/_mock/reset' > /dev/null
SELECT count(*)
  FROM pj.github_repositories r
  JOIN pj.github_issues i ON i.owner = r.owner_login AND i.repo = r.name
 WHERE r.org = 'demo-org' AND r.name = 'no-such-repo';
\! curl -s http://127.0.0.1:18080/_mock/requests | /usr/bin/python3 -c "import json,sys,urllib.parse; print('\n'.join(sorted(urllib.parse.unquote(r['path']).split('/demo',1)[1] for r in json.load(sys.stdin)['requests'])))"

-- a join under a rescanning node (a correlated subquery run per row):
-- the batched join itself is rescanned, with the same result each time
SELECT g, (SELECT count(*)
             FROM pj.github_repositories r
             JOIN pj.github_issues i ON i.owner = r.owner_login AND i.repo = r.name
            WHERE r.org = 'demo-org' AND g > 0) AS issues
  FROM generate_series(1, 2) g;

DROP SCHEMA pj CASCADE;
DROP SERVER pj_gh CASCADE;
