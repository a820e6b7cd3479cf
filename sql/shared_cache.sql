-- The opt-in cache (option cache_ttl; README: Shared state): a cached scan
-- makes no request; a different qual, projection, role or expired entry
-- asks the API again; a failed or partial scan is never cached;
-- cq_fdw.use_cache = off bypasses it; cache_clear() drops entries.
-- Without shared_preload_libraries the same holds per backend.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS cq_fdw;
SELECT cq_fdw.cache_clear() >= 0 AS cleared;
SELECT hits AS h0, misses AS m0 FROM cq_fdw.cache \gset

CREATE SERVER ca_srv FOREIGN DATA WRAPPER cq_fdw
    OPTIONS (source 'rest', base_url 'http://127.0.0.1:18080', cache_ttl '1h');
CREATE USER MAPPING FOR CURRENT_USER SERVER ca_srv OPTIONS (token 'ca-token');
CREATE FOREIGN TABLE ca_acct (account int, id bigint, name text) SERVER ca_srv
    OPTIONS (endpoint '/accounts/{account}/ca_items?n=5&per_page=2&shape=small',
             rows '/items', pagination 'next_token', next '/nextPageToken',
             next_param 'pageToken');
\set requests '\\! curl -s ''http://127.0.0.1:18080/_mock/stats?route=/accounts/'' | /usr/bin/python3 -c "import json,sys; print(''requests:'', json.load(sys.stdin)[''prefix_count''])"; curl -s ''http://127.0.0.1:18080/_mock/reset'' > /dev/null'
\! curl -s 'http://127.0.0.1:18080/_mock/reset' > /dev/null

-- first scan: three pages from the API, then stored
SELECT account, id, name FROM ca_acct WHERE account = 1 ORDER BY id;
:requests
-- the same scan again: the same rows, no request
SELECT account, id, name FROM ca_acct WHERE account = 1 ORDER BY id;
:requests
SELECT entries, hits - :h0 AS hits, misses - :m0 AS misses, bytes > 0 AS has_bytes
  FROM cq_fdw.cache;
-- the result lives in a file of the data directory, no temporary left
SELECT count(*) FILTER (WHERE f NOT LIKE 'tmp.%') > 0 AS files,
       count(*) FILTER (WHERE f LIKE 'tmp.%') AS temporary
  FROM pg_ls_dir('cq_fdw_cache') f;

-- another qual value is another request
SELECT account, count(*) FROM ca_acct WHERE account = 3 GROUP BY account;
:requests
-- another projection too
SELECT count(*) FROM ca_acct WHERE account = 1;
:requests
SELECT count(*) FROM ca_acct WHERE account = 1;
:requests

-- cq_fdw.use_cache = off asks the API (a REFRESH that must be fresh)
SET cq_fdw.use_cache = off;
SELECT count(*) FROM ca_acct WHERE account = 1;
:requests
RESET cq_fdw.use_cache;

-- two roles whose mappings hold the same token never share rows
CREATE ROLE regress_ca_a;
CREATE ROLE regress_ca_b;
GRANT USAGE ON FOREIGN SERVER ca_srv TO regress_ca_a, regress_ca_b;
GRANT SELECT ON ca_acct TO regress_ca_a, regress_ca_b;
CREATE USER MAPPING FOR regress_ca_a SERVER ca_srv OPTIONS (token 'ca-token');
CREATE USER MAPPING FOR regress_ca_b SERVER ca_srv OPTIONS (token 'ca-token');
SET ROLE regress_ca_a;
SELECT count(*) FROM ca_acct WHERE account = 1;
RESET ROLE;
:requests
SET ROLE regress_ca_b;
SELECT count(*) FROM ca_acct WHERE account = 1;
RESET ROLE;
:requests
SET ROLE regress_ca_a;
SELECT count(*) FROM ca_acct WHERE account = 1;
RESET ROLE;
:requests
-- a rotated token is another entry
ALTER USER MAPPING FOR regress_ca_a SERVER ca_srv OPTIONS (SET token 'ca-token-2');
SET ROLE regress_ca_a;
SELECT count(*) FROM ca_acct WHERE account = 1;
-- clearing the whole cache is for superusers
SELECT cq_fdw.cache_clear();
RESET ROLE;
:requests

-- a failed scan is never cached: the second run asks again and fails again
CREATE FOREIGN TABLE ca_fail (account int, id bigint) SERVER ca_srv
    OPTIONS (endpoint '/accounts/{account}/ca_fail?n=3&shape=small&fail_accounts=2',
             rows '/items');
SELECT entries AS e0 FROM cq_fdw.cache \gset
SET cq_fdw.max_retries = 0;
\set VERBOSITY terse
SELECT count(*) FROM ca_fail WHERE account = ANY ('{1,2}');
SELECT count(*) FROM ca_fail WHERE account = ANY ('{1,2}');
\set VERBOSITY default
:requests
-- nor a partial one (skip_failed)
ALTER FOREIGN TABLE ca_fail OPTIONS (ADD skip_failed 'true');
SELECT count(*) FROM ca_fail WHERE account = ANY ('{1,2}');
SELECT count(*) FROM ca_fail WHERE account = ANY ('{1,2}');
:requests
SELECT entries - :e0 AS new_entries FROM cq_fdw.cache;
RESET cq_fdw.max_retries;
SELECT count(*) FILTER (WHERE f LIKE 'tmp.%') AS temporary
  FROM pg_ls_dir('cq_fdw_cache') f;

-- expiry: a one-second TTL is gone after a second
CREATE FOREIGN TABLE ca_short (account int, id bigint) SERVER ca_srv
    OPTIONS (endpoint '/accounts/{account}/ca_short?n=3&shape=small',
             rows '/items', cache_ttl '1s');
SELECT count(*) FROM ca_short WHERE account = 1;
SELECT count(*) FROM ca_short WHERE account = 1;
:requests
SELECT pg_sleep(1.2);
SELECT count(*) FROM ca_short WHERE account = 1;
:requests

-- changing the table's options is another request
ALTER FOREIGN TABLE ca_acct OPTIONS (SET endpoint '/accounts/{account}/ca_items?n=4&per_page=2&shape=small');
SELECT count(*) FROM ca_acct WHERE account = 1;
:requests

-- cache_clear(server): the next scan asks the API
SELECT cq_fdw.cache_clear('ca_srv') > 0 AS dropped;
SELECT count(*) FROM ca_acct WHERE account = 1;
:requests

-- option values
ALTER SERVER ca_srv OPTIONS (SET cache_ttl '-1');
ALTER SERVER ca_srv OPTIONS (SET cache_ttl '5min');
ALTER SERVER ca_srv OPTIONS (ADD requests_per_second '0');
ALTER SERVER ca_srv OPTIONS (ADD requests_per_second '2.5', ADD burst '4');

DROP SERVER ca_srv CASCADE;
DROP ROLE regress_ca_a;
DROP ROLE regress_ca_b;
