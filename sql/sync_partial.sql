-- A delete-stale sync whose scan skipped a failed fan-out unit
-- (skip_failed): the failed account returned no rows, so its rows in the
-- target are unknown, not stale.  The sync upserts what it read, deletes
-- nothing, and says why; the next sync without failures deletes the
-- stale rows.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS cq_fdw;
SET client_min_messages = notice;
\set VERBOSITY terse
\! curl -s 'http://127.0.0.1:18080/_mock/reset' > /dev/null

CREATE SERVER part_srv FOREIGN DATA WRAPPER cq_fdw
    OPTIONS (source 'rest', base_url 'http://127.0.0.1:18080');
CREATE FOREIGN TABLE part_api (account int, id bigint, name text)
    SERVER part_srv
    OPTIONS (endpoint '/accounts/{account}/part_items?n=4&per_page=2&shape=small',
             rows '/items', pagination 'next_token', next '/nextPageToken',
             next_param 'pageToken', skip_failed 'true',
             primary_key 'account, id');
CREATE VIEW part_src AS SELECT * FROM part_api WHERE account = ANY ('{1,2,3}');
CREATE TABLE part_items (account int, id bigint, name text, PRIMARY KEY (account, id));

-- 1. every account answers: 3 x 4 rows
CALL cq_fdw.sync('part_items', 'part_src');
SELECT account, count(*) FROM part_items GROUP BY 1 ORDER BY 1;

-- 2. each account now has 3 items, and account 2 fails: accounts 1 and 3
--    are upserted, nothing is deleted (account 2's rows and the stale 4th
--    items of 1 and 3 stay), a WARNING says why
ALTER FOREIGN TABLE part_api OPTIONS (SET endpoint
    '/accounts/{account}/part_items?n=3&per_page=2&shape=small&fail_accounts=2');
CALL cq_fdw.sync('part_items', 'part_src');
SELECT account, count(*) FROM part_items GROUP BY 1 ORDER BY 1;
SELECT status, rows_deleted FROM cq_fdw.sync_log
 WHERE snapshot = 'part_items' ORDER BY id DESC LIMIT 1;

-- 3. no failure: the stale 4th items go
ALTER FOREIGN TABLE part_api OPTIONS (SET endpoint
    '/accounts/{account}/part_items?n=3&per_page=2&shape=small');
CALL cq_fdw.sync('part_items', 'part_src');
SELECT account, count(*) FROM part_items GROUP BY 1 ORDER BY 1;

DROP VIEW part_src;
DROP TABLE part_items;
DROP SERVER part_srv CASCADE;
