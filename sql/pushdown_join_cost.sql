-- The planner picks the batched join by cost (cq_fdw.batch_joins is on by
-- default): for a small outer side it looks the inner rows up per outer
-- key (one request each, concurrently); for a large outer side it reads
-- the inner table once and joins locally (hash join on two full scans).
-- Against the mock's /jn/ API: teams, and their members listed with or
-- without an exact ?team= filter (tables defined by table_def).
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS cq_fdw;
CREATE SERVER pjc FOREIGN DATA WRAPPER cq_fdw
    OPTIONS (source 'github', base_url 'http://127.0.0.1:18080/jn/n=40,m=3');
CREATE USER MAPPING FOR CURRENT_USER SERVER pjc OPTIONS (token 'test-token');
-- the outer table: a plain listing, 1000 teams expected
CREATE FOREIGN TABLE pjc_teams (name text, size int) SERVER pjc
    OPTIONS (table_def '{"name": "pjc_teams", "endpoint": "/teams",
      "columns": [{"name": "name", "type": "string"}, {"name": "size", "type": "int"}],
      "row_estimate": 1000}');
-- the inner table: 5000 members expected; team is an optional, exact
-- query key (the API filters by it, so the join may feed it)
CREATE FOREIGN TABLE pjc_members (team text, login text) SERVER pjc
    OPTIONS (table_def '{"name": "pjc_members", "endpoint": "/members",
      "columns": [{"name": "team", "type": "string"}, {"name": "login", "type": "string"}],
      "keys": [{"column": "team", "in": "query", "ops": ["="], "guaranteed": true}],
      "row_estimate": 5000}');

-- a small outer side (two teams): batched, one members request per team
EXPLAIN (COSTS OFF)
SELECT t.name, m.login FROM pjc_teams t JOIN pjc_members m ON m.team = t.name
 WHERE t.name IN ('team-2', 'team-7');
\! curl -s 'http://127.0.0.1:18080/_mock/reset' > /dev/null
SELECT t.name, m.login FROM pjc_teams t JOIN pjc_members m ON m.team = t.name
 WHERE t.name IN ('team-2', 'team-7') ORDER BY 1, 2;
\! curl -s 'http://127.0.0.1:18080/_mock/requests?route=/jn/' | /usr/bin/python3 -c "import json,sys; r=json.load(sys.stdin)['requests']; print(len(r), 'requests:', ', '.join(sorted(x['path'].split('/', 3)[3] for x in r)))"

-- a large outer side (every team): two full listings, joined locally
EXPLAIN (COSTS OFF)
SELECT t.name, m.login FROM pjc_teams t JOIN pjc_members m ON m.team = t.name;
\! curl -s 'http://127.0.0.1:18080/_mock/reset' > /dev/null
SELECT count(*), count(DISTINCT t.name)
  FROM pjc_teams t JOIN pjc_members m ON m.team = t.name;
\! curl -s 'http://127.0.0.1:18080/_mock/requests?route=/jn/' | /usr/bin/python3 -c "import json,sys; r=json.load(sys.stdin)['requests']; print(len(r), 'requests:', ', '.join(sorted(x['path'].split('/', 3)[3] for x in r)))"

-- the batched plan for the large side would cost one lookup per team:
-- forced (hash and merge joins off), it makes 40 member requests
SET enable_hashjoin = off;
SET enable_mergejoin = off;
SET enable_nestloop = off;
EXPLAIN (COSTS OFF)
SELECT t.name, m.login FROM pjc_teams t JOIN pjc_members m ON m.team = t.name;
\! curl -s 'http://127.0.0.1:18080/_mock/reset' > /dev/null
SELECT count(*), count(DISTINCT t.name)
  FROM pjc_teams t JOIN pjc_members m ON m.team = t.name;
\! curl -s 'http://127.0.0.1:18080/_mock/requests?route=/jn/' | /usr/bin/python3 -c "import json,sys; r=json.load(sys.stdin)['requests']; print(len(r), 'requests')"
RESET enable_hashjoin;
RESET enable_mergejoin;
RESET enable_nestloop;

-- cq_fdw.batch_joins off: the small side joins without the batched plan
SET cq_fdw.batch_joins = off;
EXPLAIN (COSTS OFF)
SELECT t.name, m.login FROM pjc_teams t JOIN pjc_members m ON m.team = t.name
 WHERE t.name IN ('team-2', 'team-7');
RESET cq_fdw.batch_joins;

DROP SERVER pjc CASCADE;
