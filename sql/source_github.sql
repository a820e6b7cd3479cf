-- Source github against the project's own fixtures (test/fixtures/github,
-- built by sources/gen/make_fixtures.py; the mock serves them under
-- /replay/github/<scenario>/<api path>): IMPORT (LIMIT TO and all), \d+
-- comments, each of the six required tables with typed values, key pushdown,
-- a missing key, nulls, an empty repository, the Link-header paging GitHub
-- uses, issues by org (parent -> child walk) and the API's 4xx bodies.
SET client_min_messages = warning;
SET timezone = 'UTC';
SET datestyle = 'ISO, YMD';
CREATE EXTENSION IF NOT EXISTS cq_fdw;

CREATE SERVER src_github FOREIGN DATA WRAPPER cq_fdw
    OPTIONS (source 'github', base_url 'http://127.0.0.1:18080/replay/github/demo');
CREATE USER MAPPING FOR CURRENT_USER SERVER src_github OPTIONS (token 'test-token');
CREATE SCHEMA src_github;
IMPORT FOREIGN SCHEMA github
    LIMIT TO (github_repositories, github_issues, github_pull_requests,
              github_releases, github_labels, github_org_members)
    FROM SERVER src_github INTO src_github;
SELECT foreign_table_name FROM information_schema.foreign_tables
 WHERE foreign_table_schema = 'src_github' ORDER BY 1;

-- without LIMIT TO: every table of the source, each with comments
CREATE SCHEMA src_github_all;
IMPORT FOREIGN SCHEMA github FROM SERVER src_github INTO src_github_all;
SELECT count(*) AS imported,
       count(*) = (SELECT count(*) FROM cq_fdw.tables WHERE source = 'github') AS all_tables
  FROM information_schema.foreign_tables WHERE foreign_table_schema = 'src_github_all';
SELECT count(*) FILTER (WHERE obj_description(c.oid, 'pg_class') IS NULL) AS tables_without_comment,
       (SELECT count(*) FROM pg_attribute a JOIN pg_class c2 ON c2.oid = a.attrelid
         WHERE c2.relnamespace = 'src_github_all'::regnamespace AND a.attnum > 0
           AND col_description(a.attrelid, a.attnum) IS NULL) AS columns_without_comment
  FROM pg_class c WHERE c.relnamespace = 'src_github_all'::regnamespace;
DROP SCHEMA src_github_all CASCADE;

\d+ src_github.github_releases

-- repositories: two pages, the second one at the URL the Link header gives
-- (/organizations/9000/repos?...&page=2, another path than page 1)
\! curl -s 'http://127.0.0.1:18080/_mock/reset' > /dev/null
SELECT org, id, name, full_name, owner_login, private, archived, language,
       topics, stargazers_count, license_spdx_id, description, created_at, pushed_at
  FROM src_github.github_repositories WHERE org = 'demo-org' ORDER BY id;
\! curl -s 'http://127.0.0.1:18080/_mock/stats?route=/replay/github/demo/orgs/demo-org/repos' | /usr/bin/python3 -c "import json,sys; print('page 1 requests:', json.load(sys.stdin)['prefix_count'])"
\! curl -s 'http://127.0.0.1:18080/_mock/stats?route=/replay/github/demo/organizations/9000/repos' | /usr/bin/python3 -c "import json,sys; print('page 2 requests:', json.load(sys.stdin)['prefix_count'])"
-- nulls and jsonb: infra has no description, language license or topics
SELECT name, description IS NULL AS no_description, license IS NULL AS no_license,
       license ->> 'spdx_id' AS license_json_spdx, permissions -> 'push' AS push,
       owner ->> 'login' AS owner_json_login
  FROM src_github.github_repositories WHERE org = 'demo-org' ORDER BY id;

-- issues of one repository (GitHub lists pull requests as issues too)
SELECT owner, repo, org, id, number, title, state, state_reason, user_login,
       label_names, assignee_logins, milestone_title, comments,
       pull_request_url IS NOT NULL AS is_pr, created_at, closed_at
  FROM src_github.github_issues WHERE owner = 'demo-org' AND repo = 'api'
 ORDER BY number;
-- key pushdown: owner and repo go into the request path
EXPLAIN (COSTS OFF)
SELECT number FROM src_github.github_issues
 WHERE owner = 'demo-org' AND repo = 'api' AND state = 'open';
SELECT number, title FROM src_github.github_issues
 WHERE owner = 'demo-org' AND repo = 'api' AND state = 'open' ORDER BY number;
-- an empty repository: an empty page, no row
SELECT count(*) FROM src_github.github_issues WHERE owner = 'demo-org' AND repo = 'infra';
-- = ANY fans out, one request per repository
EXPLAIN (COSTS OFF)
SELECT repo, count(*) FROM src_github.github_issues
 WHERE owner = 'demo-org' AND repo = ANY ('{api,web,infra}') GROUP BY repo;
SELECT repo, count(*), min(created_at), max(closed_at) FROM src_github.github_issues
 WHERE owner = 'demo-org' AND repo = ANY ('{api,web,infra}') GROUP BY repo ORDER BY repo;
-- a missing key column: ERROR with the columns and a HINT
SELECT count(*) FROM src_github.github_issues;
SELECT count(*) FROM src_github.github_issues WHERE owner = 'demo-org';
-- by org alone: the org's repositories (both pages) are listed first, then
-- the issues of each one
\! curl -s 'http://127.0.0.1:18080/_mock/reset' > /dev/null
EXPLAIN (COSTS OFF)
SELECT org, owner, repo, number FROM src_github.github_issues WHERE org = 'demo-org';
SELECT org, owner, repo, number, title FROM src_github.github_issues
 WHERE org = 'demo-org' ORDER BY repo, number;
\! curl -s 'http://127.0.0.1:18080/_mock/requests' | /usr/bin/python3 -c "import json,sys; d=json.load(sys.stdin); d=d.get('requests', d); print('\n'.join(sorted(r['path'].split('?')[0] for r in d)))"

-- pull requests: draft, merged and reviewers
SELECT number, title, state, draft, user_login, head_ref, base_ref, label_names,
       requested_reviewer_logins, merged_at, closed_at,
       length(merge_commit_sha) AS sha_len
  FROM src_github.github_pull_requests WHERE owner = 'demo-org' AND repo = 'api'
 ORDER BY number;
SELECT repo, count(*) FROM src_github.github_pull_requests
 WHERE owner = 'demo-org' AND repo = ANY ('{web,infra}') GROUP BY repo ORDER BY repo;
SELECT count(*) FROM src_github.github_pull_requests WHERE repo = 'api';

-- releases: a draft has no publication time; asset arrays
SELECT id, tag_name, name, draft, prerelease, author_login, asset_names,
       asset_download_counts, created_at, published_at
  FROM src_github.github_releases WHERE owner = 'demo-org' AND repo = 'api'
 ORDER BY id;
SELECT sum(d) AS downloads FROM src_github.github_releases r, unnest(r.asset_download_counts) d
 WHERE owner = 'demo-org' AND repo = 'api';
SELECT count(*) FROM src_github.github_releases WHERE owner = 'demo-org' AND repo = 'infra';

-- labels: a null description, the default flag
SELECT repo, id, name, color, "default", description
  FROM src_github.github_labels WHERE owner = 'demo-org' AND repo = ANY ('{api,web}')
 ORDER BY repo, id;

-- members of the organization
SELECT org, id, login, type, site_admin, html_url
  FROM src_github.github_org_members WHERE org = 'demo-org' ORDER BY id;
SELECT count(*) FROM src_github.github_org_members;

-- a join across tables: open issues per label, with the label's color
SELECT l.name, l.color, count(i.number) AS open_issues
  FROM src_github.github_labels l
  LEFT JOIN src_github.github_issues i
         ON i.owner = l.owner AND i.repo = l.repo AND l.name = ANY (i.label_names)
        AND i.state = 'open'
 WHERE l.owner = 'demo-org' AND l.repo = 'api'
 GROUP BY l.name, l.color ORDER BY l.name;

-- the API's 4xx error bodies: message as DETAIL
CREATE SERVER src_github_err FOREIGN DATA WRAPPER cq_fdw
    OPTIONS (source 'github', base_url 'http://127.0.0.1:18080/replay/github/api-errors');
CREATE USER MAPPING FOR CURRENT_USER SERVER src_github_err OPTIONS (token 'test-token');
CREATE FOREIGN TABLE src_github.err_repositories (org text, id bigint, name text)
    SERVER src_github_err OPTIONS ("table" 'github_repositories');
CREATE FOREIGN TABLE src_github.err_issues (owner text, repo text, id bigint)
    SERVER src_github_err OPTIONS ("table" 'github_issues');
CREATE FOREIGN TABLE src_github.err_members (org text, login text)
    SERVER src_github_err OPTIONS ("table" 'github_org_members');
SELECT count(*) FROM src_github.err_repositories WHERE org = 'no-such-org';
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) FROM src_github.err_issues WHERE owner = 'demo-org' AND repo = 'private';
\echo :LAST_ERROR_SQLSTATE
-- GitHub's primary rate limit is a 403 with x-ratelimit-remaining: 0 (the
-- spec's ratelimit header): a rate-limit error (53400), not a permission one
SELECT count(*) FROM src_github.err_members WHERE org = 'demo-org';
\echo :LAST_ERROR_SQLSTATE
-- the session keeps working
SELECT count(*) FROM src_github.github_org_members WHERE org = 'demo-org';

DROP SCHEMA src_github CASCADE;
DROP SERVER src_github CASCADE;
DROP SERVER src_github_err CASCADE;
