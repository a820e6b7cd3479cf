-- Source github against real recordings (octokit fixtures in
-- ../shared/fixtures/github, read in place by the mock, never copied):
-- paginate-issues gives its 13 issues over 5 pages by following each
-- Link rel="next" as given (page 1 is /repos/.../issues, pages 2-5 are
-- /repositories/1000/issues?...&page=N); labels.
-- (The errors recording is a POST answered 422; scans only GET, so its
-- errors[] body is covered by the SDK http suite, not here.)
SET client_min_messages = warning;
SET timezone = 'UTC';
SET datestyle = 'ISO, YMD';
CREATE EXTENSION IF NOT EXISTS cq_fdw;

CREATE SERVER src_ghs_pi FOREIGN DATA WRAPPER cq_fdw
    OPTIONS (source 'github', base_url 'http://127.0.0.1:18080/replay/github/paginate-issues');
CREATE USER MAPPING FOR CURRENT_USER SERVER src_ghs_pi OPTIONS (token 'test-token');
CREATE SCHEMA src_ghs;
IMPORT FOREIGN SCHEMA github LIMIT TO (github_issues) FROM SERVER src_ghs_pi INTO src_ghs;

\! curl -s 'http://127.0.0.1:18080/_mock/reset' > /dev/null
SELECT count(*) AS issues, count(DISTINCT id) AS distinct_ids,
       min(number), max(number), sum(number)
  FROM src_ghs.github_issues
 WHERE owner = 'octokit-fixture-org' AND repo = 'paginate-issues';
-- one request for page 1, one for each of pages 2..5
\! curl -s 'http://127.0.0.1:18080/_mock/stats?route=/replay/github/paginate-issues/' | /usr/bin/python3 -c "import json,sys; print('requests:', json.load(sys.stdin)['prefix_count'])"
\! curl -s 'http://127.0.0.1:18080/_mock/requests' | /usr/bin/python3 -c "import json,re,sys; d=json.load(sys.stdin)['requests']; print('\n'.join(sorted(re.sub(r'per_page=[0-9]+&?', '', r['path']).rstrip('?&') for r in d)))"
SELECT number, title, state, user_login, created_at, pull_request_url IS NOT NULL AS is_pr
  FROM src_ghs.github_issues
 WHERE owner = 'octokit-fixture-org' AND repo = 'paginate-issues'
 ORDER BY number;
-- LIMIT stops the paging early
\! curl -s 'http://127.0.0.1:18080/_mock/reset' > /dev/null
SELECT count(*) FROM (SELECT number FROM src_ghs.github_issues
 WHERE owner = 'octokit-fixture-org' AND repo = 'paginate-issues' LIMIT 2) s;
\! curl -s 'http://127.0.0.1:18080/_mock/stats?route=/replay/github/paginate-issues/' | /usr/bin/python3 -c "import json,sys; print('requests:', json.load(sys.stdin)['prefix_count'])"

-- labels
CREATE SERVER src_ghs_lb FOREIGN DATA WRAPPER cq_fdw
    OPTIONS (source 'github', base_url 'http://127.0.0.1:18080/replay/github/labels');
CREATE USER MAPPING FOR CURRENT_USER SERVER src_ghs_lb OPTIONS (token 'test-token');
CREATE FOREIGN TABLE src_ghs.labels (owner text, repo text, id bigint, name text,
                                     color text, "default" boolean, description text)
    SERVER src_ghs_lb OPTIONS ("table" 'github_labels');
SELECT owner, repo, id, name, color, "default", description
  FROM src_ghs.labels WHERE owner = 'octokit-fixture-org' AND repo = 'labels' ORDER BY id;

DROP SCHEMA src_ghs CASCADE;
DROP SERVER src_ghs_pi CASCADE;
DROP SERVER src_ghs_lb CASCADE;
