-- Key values that come from executor parameters: initplans attached to the
-- foreign scan itself, subqueries, cursors, and nested loops.
CREATE EXTENSION IF NOT EXISTS cq_fdw;
SET client_min_messages = warning;
CREATE SERVER sp_srv FOREIGN DATA WRAPPER cq_fdw
  OPTIONS (source 'rest', base_url 'http://127.0.0.1:18080');
CREATE FOREIGN TABLE sp_items (account int, id int, name text)
  SERVER sp_srv OPTIONS (endpoint '/accounts/{account}/items?n=5&per_page=5&shape=small',
                         rows '/items', pagination 'next_token', next '/nextPageToken',
                         next_param 'pageToken');
\! curl -s 'http://127.0.0.1:18080/_mock/reset' > /dev/null
-- an initplan (ARRAY(SELECT ...)) evaluated by the foreign scan node: the job
-- must wait for it (it used to read the parameter before it was set)
SELECT account, count(*) FROM sp_items
 WHERE account = ANY(ARRAY(SELECT generate_series(1, 3))) GROUP BY 1 ORDER BY 1;
SELECT count(*) FROM sp_items WHERE account = (SELECT 7);
BEGIN;
DECLARE c CURSOR FOR SELECT account, id FROM sp_items
 WHERE account = ANY(ARRAY(SELECT generate_series(4, 5))) ORDER BY 1, 2;
FETCH 3 FROM c;
FETCH ALL FROM c;
COMMIT;
-- a correlated lookup: one request per distinct outer value
\! curl -s 'http://127.0.0.1:18080/_mock/reset' > /dev/null
SELECT o.a, (SELECT count(*) FROM sp_items i WHERE i.account = o.a) AS n
  FROM (VALUES (11), (12), (11)) AS o(a) ORDER BY 1;
\! curl -s 'http://127.0.0.1:18080/_mock/stats' | /usr/bin/python3 -c 'import json,sys; print("requests:", json.load(sys.stdin)["total"])'
-- the user mapping's token is sent as a bearer token (mock records a hash)
CREATE USER MAPPING FOR CURRENT_USER SERVER sp_srv OPTIONS (token 'rest-token');
\! curl -s 'http://127.0.0.1:18080/_mock/reset' > /dev/null
SELECT count(*) FROM sp_items WHERE account = 1;
\! curl -s 'http://127.0.0.1:18080/_mock/requests' | /usr/bin/python3 -c 'import json,sys,hashlib; r=json.load(sys.stdin)["requests"]; print("bearer sent:", all(x["auth"].lower() == "bearer:" + hashlib.sha256(b"rest-token").hexdigest()[:8] for x in r) and len(r) > 0)'
-- scan counters survive a failed scan (cq_fdw.scan_stats)
SELECT cq_fdw.scan_stats_reset();
\! curl -s 'http://127.0.0.1:18080/_mock/fault?route=/accounts/2/items&mode=404&count=1' > /dev/null
SELECT count(*) FROM sp_items WHERE account = 2;
SELECT scans, requests > 0 AS counted FROM cq_fdw.scan_stats();
DROP SERVER sp_srv CASCADE;
