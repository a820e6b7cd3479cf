-- Detail calls on demand ("hydrate", sources/SPEC.md): columns of
-- github_repositories that only GET /repos/{owner}/{repo} or the default
-- branch's protection return are fetched per row, and only when the query
-- projects or filters on them.  Against the mock's /hyd/ API (repo-N: N
-- even = protected default branch, odd = 404 "Branch not protected");
-- what reached the API is read from the mock's request log.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS cq_fdw;
SET client_min_messages = notice;
\set VERBOSITY terse
\! curl -s 'http://127.0.0.1:18080/_mock/reset' > /dev/null

CREATE SERVER hyd_gh FOREIGN DATA WRAPPER cq_fdw
    OPTIONS (source 'github', base_url 'http://127.0.0.1:18080/hyd/n=6');
CREATE USER MAPPING FOR CURRENT_USER SERVER hyd_gh OPTIONS (token 'test-token');
CREATE SCHEMA hyd;
IMPORT FOREIGN SCHEMA github LIMIT TO (github_repositories) FROM SERVER hyd_gh INTO hyd;

-- list columns only: one list request, no detail call
SELECT name, default_branch FROM hyd.github_repositories WHERE org = 'acme' ORDER BY id;
\! /usr/bin/python3 "$CQ_TEST_DIR/regress/sql/hydrate_log.py"
-- a detail column: exactly one details call per row (protection not called)
SELECT name, subscribers_count, secret_scanning_status
  FROM hyd.github_repositories WHERE org = 'acme' ORDER BY id;
\! /usr/bin/python3 "$CQ_TEST_DIR/regress/sql/hydrate_log.py"
-- a detail column in WHERE only: still one call per row (filtered locally)
SELECT name FROM hyd.github_repositories
 WHERE org = 'acme' AND subscribers_count > 30 ORDER BY id;
\! /usr/bin/python3 "$CQ_TEST_DIR/regress/sql/hydrate_log.py"
-- both detail calls
SELECT name, subscribers_count, default_branch_required_reviews
  FROM hyd.github_repositories WHERE org = 'acme' ORDER BY id;
\! /usr/bin/python3 "$CQ_TEST_DIR/regress/sql/hydrate_log.py"

-- the analyst's question: repositories whose default branch lacks
-- protection (GitHub answers 404 for an unprotected branch: NULL)
SELECT full_name, default_branch
  FROM hyd.github_repositories
 WHERE org = 'acme' AND NOT archived AND default_branch_protection IS NULL
 ORDER BY full_name;
\! /usr/bin/python3 "$CQ_TEST_DIR/regress/sql/hydrate_log.py"

-- EXPLAIN names the detail calls the query needs, and none otherwise
EXPLAIN (COSTS OFF) SELECT name FROM hyd.github_repositories WHERE org = 'acme';
EXPLAIN (COSTS OFF) SELECT name FROM hyd.github_repositories
 WHERE org = 'acme' AND default_branch_enforce_admins;
EXPLAIN (COSTS OFF) SELECT name, subscribers_count, default_branch_protection
  FROM hyd.github_repositories WHERE org = 'acme';
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF)
SELECT name, subscribers_count FROM hyd.github_repositories WHERE org = 'acme';
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF)
SELECT name FROM hyd.github_repositories WHERE org = 'acme';
\! curl -s 'http://127.0.0.1:18080/_mock/reset' > /dev/null

-- a failing detail call (HTTP 500 for repo-2, retried once like any
-- request): the scan fails, naming the row
SET cq_fdw.max_retries = 1;
SET cq_fdw.retry_base = 10;
ALTER SERVER hyd_gh OPTIONS (SET base_url 'http://127.0.0.1:18080/hyd/n=6,fail=repo-2');
\set VERBOSITY default
SELECT name, subscribers_count FROM hyd.github_repositories WHERE org = 'acme' ORDER BY id;
\set VERBOSITY terse
-- ... with skip_failed: that row is skipped with a WARNING, the others come
ALTER FOREIGN TABLE hyd.github_repositories OPTIONS (ADD skip_failed 'true');
SELECT name, subscribers_count FROM hyd.github_repositories WHERE org = 'acme' ORDER BY id;
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF)
SELECT name, subscribers_count FROM hyd.github_repositories WHERE org = 'acme';
-- a detail call that is not requested cannot fail the scan
SELECT count(*) FROM hyd.github_repositories WHERE org = 'acme';
RESET cq_fdw.max_retries;
RESET cq_fdw.retry_base;
\! curl -s 'http://127.0.0.1:18080/_mock/reset' > /dev/null

-- GCP: an instance's IAM policy (instances.getIamPolicy), per instance;
-- {zone} is the row's zone column as it shows (the URL's last segment);
-- the request log is sorted (detail calls end in any order)
CREATE SERVER hyd_gcp FOREIGN DATA WRAPPER cq_fdw
    OPTIONS (source 'gcp', base_url 'http://127.0.0.1:18080/hyd/n=3');
CREATE USER MAPPING FOR CURRENT_USER SERVER hyd_gcp OPTIONS (token 'test-token');
IMPORT FOREIGN SCHEMA gcp LIMIT TO (gcp_compute_instances) FROM SERVER hyd_gcp INTO hyd;
SELECT name, zone, b->>'role' AS role, b->'members' AS members
  FROM hyd.gcp_compute_instances, jsonb_array_elements(iam_bindings) b
 WHERE project = 'demo' AND zone = 'us-central1-a' ORDER BY name;
\! curl -s 'http://127.0.0.1:18080/_mock/requests?route=/hyd/' | /usr/bin/python3 -c "import json,sys; print('\n'.join(sorted(r['path'] for r in json.load(sys.stdin)['requests'])))"
\! curl -s 'http://127.0.0.1:18080/_mock/reset' > /dev/null
SELECT count(*) FROM hyd.gcp_compute_instances WHERE project = 'demo' AND zone = 'us-central1-a';
\! curl -s 'http://127.0.0.1:18080/_mock/requests?route=/hyd/' | /usr/bin/python3 -c "import json,sys; print('\n'.join(sorted(r['path'] for r in json.load(sys.stdin)['requests'])))"

DROP SCHEMA hyd CASCADE;
DROP SERVER hyd_gh CASCADE;
DROP SERVER hyd_gcp CASCADE;
