-- Scale: one scan over 2,000 accounts runs them concurrently under
-- cq_fdw.concurrency; WHERE account = x prunes to that account (the mock's
-- request count proves it); a UNION ALL over one server per credential
-- fetches its members at the same time (overlapping requests in the mock's
-- log); a parent -> child table under a small memory budget returns every
-- row without holding more than the budget plus one response.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS cq_fdw;
\! curl -s 'http://127.0.0.1:18080/_mock/reset' > /dev/null

CREATE SERVER scale_srv FOREIGN DATA WRAPPER cq_fdw
    OPTIONS (source 'rest', base_url 'http://127.0.0.1:18080');
-- 5 items per account, one page each, 20 ms per request
CREATE FOREIGN TABLE scale_items (account int, id bigint, name text)
    SERVER scale_srv
    OPTIONS (endpoint '/accounts/{account}/scale?n=5&per_page=5&shape=small&latency_ms=20',
             rows '/items', pagination 'next_token', next '/nextPageToken',
             next_param 'pageToken', primary_key 'account, id');

-- 2,000 accounts in one scan, at most 16 requests in flight
SET cq_fdw.concurrency = 16;
SELECT count(*), count(DISTINCT account), count(DISTINCT (account, id)),
       min(account), max(account)
  FROM scale_items
 WHERE account = ANY (ARRAY(SELECT generate_series(1, 2000)));
\! curl -s 'http://127.0.0.1:18080/_mock/stats?route=/accounts/' | /usr/bin/python3 -c 'import json,sys; d=json.load(sys.stdin); m=d["prefix_max_concurrent"]; print("requests:", d["prefix_count"], "| accounts:", len(d["routes"]), "| concurrent > 1:", m > 1, "| concurrent <= 16:", m <= 16)'
RESET cq_fdw.concurrency;

-- pruning: one account, 3 pages of 10 -> exactly 3 requests, all for it
CREATE FOREIGN TABLE scale_pages (account text, id bigint, name text)
    SERVER scale_srv
    OPTIONS (endpoint '/accounts/{account}/prune?n=30&per_page=10&shape=small',
             rows '/items', pagination 'next_token', next '/nextPageToken',
             next_param 'pageToken');
\! curl -s 'http://127.0.0.1:18080/_mock/reset' > /dev/null
SELECT count(*), min(id), max(id), min(account), max(account)
  FROM scale_pages WHERE account = 'acct-1234';
\! curl -s 'http://127.0.0.1:18080/_mock/stats?route=/accounts/' | /usr/bin/python3 -c 'import json,sys; d=json.load(sys.stdin); print("requests:", d["prefix_count"], "| routes:", [r["route"] for r in d["routes"]])'

-- one server per credential, combined with UNION ALL: the four members'
-- requests (300 ms each) overlap
CREATE SERVER scale_cred1 FOREIGN DATA WRAPPER cq_fdw
    OPTIONS (source 'rest', base_url 'http://127.0.0.1:18080');
CREATE SERVER scale_cred2 FOREIGN DATA WRAPPER cq_fdw
    OPTIONS (source 'rest', base_url 'http://127.0.0.1:18080');
CREATE SERVER scale_cred3 FOREIGN DATA WRAPPER cq_fdw
    OPTIONS (source 'rest', base_url 'http://127.0.0.1:18080');
CREATE SERVER scale_cred4 FOREIGN DATA WRAPPER cq_fdw
    OPTIONS (source 'rest', base_url 'http://127.0.0.1:18080');
CREATE USER MAPPING FOR CURRENT_USER SERVER scale_cred1 OPTIONS (token 'scale-token-1');
CREATE USER MAPPING FOR CURRENT_USER SERVER scale_cred2 OPTIONS (token 'scale-token-2');
CREATE USER MAPPING FOR CURRENT_USER SERVER scale_cred3 OPTIONS (token 'scale-token-3');
CREATE USER MAPPING FOR CURRENT_USER SERVER scale_cred4 OPTIONS (token 'scale-token-4');
CREATE FOREIGN TABLE scale_u1 (id bigint, name text) SERVER scale_cred1
    OPTIONS (endpoint '/gen/link/scale_union_1?n=10&per_page=10&shape=small&latency_ms=300');
CREATE FOREIGN TABLE scale_u2 (id bigint, name text) SERVER scale_cred2
    OPTIONS (endpoint '/gen/link/scale_union_2?n=20&per_page=10&shape=small&latency_ms=300',
             pagination 'link_header');
CREATE FOREIGN TABLE scale_u3 (id bigint, name text) SERVER scale_cred3
    OPTIONS (endpoint '/gen/link/scale_union_3?n=10&per_page=10&shape=small&latency_ms=300');
CREATE FOREIGN TABLE scale_u4 (id bigint, name text) SERVER scale_cred4
    OPTIONS (endpoint '/gen/link/scale_union_4?n=10&per_page=10&shape=small&latency_ms=300');
CREATE VIEW scale_all_creds AS
    SELECT 1 AS cred, id FROM scale_u1 UNION ALL
    SELECT 2, id FROM scale_u2 UNION ALL
    SELECT 3, id FROM scale_u3 UNION ALL
    SELECT 4, id FROM scale_u4;
\! curl -s 'http://127.0.0.1:18080/_mock/reset' > /dev/null
SELECT cred, count(*), sum(id) FROM scale_all_creds GROUP BY cred ORDER BY cred;
-- overlap: some request of one member was in flight while another
-- member's was
\! curl -s 'http://127.0.0.1:18080/_mock/requests?route=/gen/link/scale_union_' | /usr/bin/python3 -c 'import json,sys; r=json.load(sys.stdin)["requests"]; ov=any(a["route"]!=b["route"] and a["start"]<b["end"] and b["start"]<a["end"] for a in r for b in r); print("requests:", len(r), "| members overlap:", ov)'

-- parent -> child (depth-first) under a 1 MB memory budget: 30 parents
-- (4 pages of 10: /gen/page/...), each with 300 rich items of ~900 bytes
-- (3 pages of 100): about 8 MB of JSON in all.  The source is a spec
-- written to a private directory and loaded through cq_fdw.sources_path.
COPY (SELECT '{"name": "scale_dfs", "version": "0.1.0", "description": "parent -> child test source", "base_url": "http://127.0.0.1:18080", "auth": "none", "tables": [{"name": "children", "description": "items of every parent", "endpoint": "/accounts/{account}/dfs?n=300&per_page=100", "rows": "/items", "pagination": {"type": "next_token", "next": "/nextPageToken", "next_param": "pageToken"}, "keys": [{"column": "account", "param": "account", "in": "path", "ops": ["="], "from_parent": true}], "parent": {"endpoint": "/gen/page/scale_parents?n=30&shape=small", "rows": "/items", "pagination": {"type": "page_number", "next_param": "page", "page_size_param": "per_page", "page_size": 10}, "map": {"account": "/id"}}, "primary_key": ["account", "id"], "columns": [{"name": "account", "type": "int"}, {"name": "id", "type": "int"}, {"name": "name", "type": "string"}, {"name": "description", "type": "string"}, {"name": "price", "type": "numeric"}]}]}')
    TO PROGRAM 'mkdir -p /tmp/cq_fdw_scale_sources && cat > /tmp/cq_fdw_scale_sources/scale_dfs.json';
SET cq_fdw.sources_path = '/tmp/cq_fdw_scale_sources';
SELECT source, name, primary_key FROM cq_fdw.tables WHERE source = 'scale_dfs';
CREATE SERVER scale_dfs_srv FOREIGN DATA WRAPPER cq_fdw OPTIONS (source 'scale_dfs');
CREATE FOREIGN TABLE scale_children (account bigint, id bigint, name text,
                                     description text, price numeric)
    SERVER scale_dfs_srv OPTIONS (table 'children');
SET cq_fdw.memory_budget = '1MB';
\! curl -s 'http://127.0.0.1:18080/_mock/reset' > /dev/null
SELECT cq_fdw.scan_stats_reset();
SELECT count(*), count(DISTINCT account), count(DISTINCT (account, id)),
       sum(length(description)) > 0 AS described
  FROM scale_children;
SELECT requests, pages, rows, bytes > 4 * 1024 * 1024 AS over_4mb_read,
       peak_bytes > 0 AS peak_known,
       peak_bytes <= 1024 * 1024 + 200 * 1024 AS peak_within_budget_plus_one_response
  FROM cq_fdw.scan_stats();
\! curl -s 'http://127.0.0.1:18080/_mock/stats' | /usr/bin/python3 -c 'import json,sys; d=json.load(sys.stdin); print("parent requests:", sum(r["count"] for r in d["routes"] if r["route"].startswith("/gen/")), "| child requests:", sum(r["count"] for r in d["routes"] if r["route"].startswith("/accounts/")))'
RESET cq_fdw.memory_budget;

DROP VIEW scale_all_creds;
DROP SERVER scale_srv, scale_cred1, scale_cred2, scale_cred3, scale_cred4,
    scale_dfs_srv CASCADE;
RESET cq_fdw.sources_path;
\! rm -rf /tmp/cq_fdw_scale_sources
\! curl -s 'http://127.0.0.1:18080/_mock/reset' > /dev/null
