-- Table syncs: cq_fdw.sync() into regular tables (delete-stale, append,
-- incremental), cq_fdw.sync_log and cq_fdw.sync_state, a sync that fails
-- half way (target and cursor untouched, the failure logged), syncs inside
-- a transaction block, row-level security, cq_fdw.sync_schema().
--
-- The source is a rest table over the mock's "versioned" collection: n
-- items (ids 1..n); raising `seed` changes every 5th item (name, version,
-- updated_at one day later per version); raising or lowering `n` adds or
-- removes items.  The endpoint is changed between syncs.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS cq_fdw;
SET client_min_messages = notice;
\set VERBOSITY terse
\! curl -s 'http://127.0.0.1:18080/_mock/reset' > /dev/null
-- the log is shared by every test of the database: start from an empty one
DELETE FROM cq_fdw.sync_log;
DELETE FROM cq_fdw.sync_state;

CREATE SERVER sync_srv FOREIGN DATA WRAPPER cq_fdw
    OPTIONS (source 'rest', base_url 'http://127.0.0.1:18080');
CREATE FOREIGN TABLE sync_items (id bigint, name text, version int,
                                 updated_at timestamptz, extra text)
    SERVER sync_srv
    OPTIONS (endpoint '/gen/link/sync?n=100&per_page=30&shape=versioned&seed=0',
             pagination 'link_header', primary_key 'id');
-- id, name, version, updated_at come from the source (extra is not
-- synced: the target has no such column); note keeps its default
CREATE TABLE items (id int PRIMARY KEY, name text NOT NULL, version int,
                    updated_at timestamptz, note text DEFAULT 'local');

-- delete-stale: the first sync inserts every row (4 pages of 30)
CALL cq_fdw.sync('items', 'sync_items');
SELECT count(*), min(id), max(id), count(*) FILTER (WHERE note = 'local') AS local
  FROM items;
-- nothing changed at the API: nothing is written
CREATE TEMP TABLE items_xmin AS SELECT id, xmin::text AS x FROM items;
CALL cq_fdw.sync('items', 'sync_items');
SELECT count(*) AS rewritten FROM items i JOIN items_xmin x USING (id)
 WHERE i.xmin::text <> x.x;
-- seed 1: ids 5, 10, .. 90 change; n=90: ids 91..100 are gone
ALTER FOREIGN TABLE sync_items
    OPTIONS (SET endpoint '/gen/link/sync?n=90&per_page=30&shape=versioned&seed=1');
CALL cq_fdw.sync('items', 'sync_items');
SELECT count(*), max(id), count(*) FILTER (WHERE version = 1) AS v1,
       count(*) FILTER (WHERE name LIKE '%-v1') AS renamed
  FROM items;
SELECT * FROM items WHERE id IN (4, 5) ORDER BY id;
-- a local change is put back; n=110: 20 new rows
UPDATE items SET name = 'edited', note = 'mine' WHERE id = 7;
ALTER FOREIGN TABLE sync_items
    OPTIONS (SET endpoint '/gen/link/sync?n=110&per_page=30&shape=versioned&seed=1');
CALL cq_fdw.sync('items', 'sync_items', 'delete-stale');
SELECT id, name, note FROM items WHERE id = 7;
SELECT count(*), max(id) FROM items;
SELECT snapshot, mode, source, status, rows, requests, bytes > 0 AS bytes,
       rows_inserted, rows_updated, rows_deleted, finished >= started AS timed, error
  FROM cq_fdw.sync_log ORDER BY id;

-- append: only new keys are inserted, existing rows stay as they are
CREATE TABLE events (id bigint PRIMARY KEY, name text);
CALL cq_fdw.sync('events', 'sync_items', 'append');
ALTER FOREIGN TABLE sync_items
    OPTIONS (SET endpoint '/gen/link/sync?n=120&per_page=30&shape=versioned&seed=2');
CALL cq_fdw.sync('events', 'sync_items', 'append');
SELECT count(*), max(id), count(*) FILTER (WHERE name LIKE '%-v1') AS still_v1,
       count(*) FILTER (WHERE name LIKE '%-v2') AS v2
  FROM events;

-- incremental: refused without a cursor column
CREATE TABLE recent (id bigint PRIMARY KEY, name text, updated_at timestamptz);
\set VERBOSITY default
CALL cq_fdw.sync('recent', 'sync_items', 'incremental');
\set VERBOSITY terse
ALTER FOREIGN TABLE sync_items
    OPTIONS (SET endpoint '/gen/link/sync?n=100&per_page=30&shape=versioned&seed=0');
-- the first sync reads every row and remembers max(updated_at)
CALL cq_fdw.sync('recent', 'sync_items', 'incremental', cursor_column => 'updated_at');
SELECT target, source, mode, cursor_column, cursor_value::timestamptz AS cursor,
       last_success IS NOT NULL AS succeeded, last_error
  FROM cq_fdw.sync_state WHERE target = 'recent'::regclass;
-- n=120: the next sync asks only for updated_at > cursor (filtered in
-- PostgreSQL: a rest table has no ">" parameter); 20 new rows
ALTER FOREIGN TABLE sync_items
    OPTIONS (SET endpoint '/gen/link/sync?n=120&per_page=30&shape=versioned&seed=0');
CALL cq_fdw.sync('recent', 'sync_items', 'incremental');
-- seed 1: every 5th row changed (a day later); the cursor column is
-- remembered; nothing is deleted
ALTER FOREIGN TABLE sync_items
    OPTIONS (SET endpoint '/gen/link/sync?n=110&per_page=30&shape=versioned&seed=1');
CALL cq_fdw.sync('recent', 'sync_items', 'incremental');
SELECT count(*), max(id), count(*) FILTER (WHERE name LIKE '%-v1') AS v1 FROM recent;
SELECT cursor_column, cursor_value::timestamptz AS cursor
  FROM cq_fdw.sync_state WHERE target = 'recent'::regclass;
-- no new rows: nothing read is newer, the cursor stays
CALL cq_fdw.sync('recent', 'sync_items', 'incremental');
SELECT cursor_value::timestamptz AS cursor
  FROM cq_fdw.sync_state WHERE target = 'recent'::regclass;

-- a sync that fails half way: page 1 answers, then HTTP 500 forever.  The
-- target rows and the cursor stay; the failure is in sync_log and
-- sync_state.
SET cq_fdw.max_retries = 1;
SET cq_fdw.retry_base = 10;
CREATE TEMP TABLE items_before AS SELECT * FROM items;
CREATE TEMP TABLE recent_before AS SELECT * FROM recent;
CREATE TEMP TABLE state_before AS SELECT * FROM cq_fdw.sync_state;
ALTER FOREIGN TABLE sync_items
    OPTIONS (SET endpoint '/gen/link/sync?n=60&per_page=30&shape=versioned&seed=3');
\! curl -s 'http://127.0.0.1:18080/_mock/fault?route=/gen/link/sync&mode=500&count=-1&after=1' > /dev/null
CALL cq_fdw.sync('items', 'sync_items');
\! curl -s 'http://127.0.0.1:18080/_mock/reset' > /dev/null
\! curl -s 'http://127.0.0.1:18080/_mock/fault?route=/gen/link/sync&mode=500&count=-1&after=1' > /dev/null
CALL cq_fdw.sync('recent', 'sync_items', 'incremental');
SELECT (SELECT count(*) FROM (TABLE items EXCEPT TABLE items_before) d) AS items_changed,
       (SELECT count(*) FROM (TABLE items_before EXCEPT TABLE items) d) AS items_lost,
       (SELECT count(*) FROM (TABLE recent EXCEPT TABLE recent_before) d) AS recent_changed,
       (SELECT count(*) FROM (TABLE recent_before EXCEPT TABLE recent) d) AS recent_lost;
SELECT s.target, s.cursor_column, s.cursor_value = b.cursor_value AS cursor_kept,
       s.last_success = b.last_success AS last_success_kept,
       s.last_error, s.last_error_at > s.last_success AS failing
  FROM cq_fdw.sync_state s JOIN state_before b USING (target, source)
 ORDER BY s.target::text;
SELECT snapshot, mode, status, requests, rows_inserted, rows_updated, rows_deleted, error
  FROM cq_fdw.sync_log ORDER BY id DESC LIMIT 2;
\! curl -s 'http://127.0.0.1:18080/_mock/reset' > /dev/null
-- a sync that fails half way through writing: version 3 violates a CHECK
-- of the target (rows 5, 10, ...), after other rows were already written
ALTER TABLE items ADD CONSTRAINT items_version CHECK (version < 3);
CALL cq_fdw.sync('items', 'sync_items');
SELECT (SELECT count(*) FROM (TABLE items EXCEPT TABLE items_before) d) AS items_changed,
       (SELECT count(*) FROM (TABLE items_before EXCEPT TABLE items) d) AS items_lost;
ALTER TABLE items DROP CONSTRAINT items_version;
-- the API is back: the sync that failed now goes through
CALL cq_fdw.sync('recent', 'sync_items', 'incremental');
RESET cq_fdw.max_retries;
RESET cq_fdw.retry_base;

-- inside a transaction block the sync cannot commit: it runs in the
-- caller's transaction, all or nothing, log included
CALL cq_fdw.sync_can_commit();
-- (nor in a multi-statement query, which is one transaction: what pg_cron
-- sends when a job's command has several statements)
\! psql -X -q -A -t -d contrib_regression -c 'SELECT 1; CALL cq_fdw.sync_can_commit()'
BEGIN;
CALL cq_fdw.sync_can_commit();
CREATE TEMP TABLE log_mark AS SELECT max(id) AS id FROM cq_fdw.sync_log;
CALL cq_fdw.sync('items', 'sync_items');
SELECT count(*) FROM items;
SELECT l.snapshot, l.status, l.rows_deleted
  FROM cq_fdw.sync_log l, log_mark m WHERE l.id > m.id;
ROLLBACK;
SELECT count(*) FROM items;
SELECT count(*) AS logged FROM cq_fdw.sync_log l
 WHERE l.id > (SELECT max(id) FROM cq_fdw.sync_log WHERE status = 'failed');
-- a failure inside a transaction block: target untouched, the failure row
-- commits with the caller's transaction
SET cq_fdw.max_retries = 1;
SET cq_fdw.retry_base = 10;
\! curl -s 'http://127.0.0.1:18080/_mock/fault?route=/gen/link/sync&mode=500&count=-1&after=1' > /dev/null
BEGIN;
CALL cq_fdw.sync('items', 'sync_items');
SELECT count(*) FROM items;
COMMIT;
SELECT snapshot, status, error FROM cq_fdw.sync_log ORDER BY id DESC LIMIT 1;
\! curl -s 'http://127.0.0.1:18080/_mock/reset' > /dev/null
RESET cq_fdw.max_retries;
RESET cq_fdw.retry_base;

-- bad calls
\set VERBOSITY default
\set SHOW_CONTEXT never
CREATE TABLE nokey (id bigint, name text);
CALL cq_fdw.sync('nokey', 'sync_items');
CALL cq_fdw.sync('items', 'sync_items', 'mirror');
CALL cq_fdw.sync('sync_items', 'items');
CALL cq_fdw.sync('items', 'items');
CREATE TABLE otherkey (uid bigint PRIMARY KEY, name text);
CALL cq_fdw.sync('otherkey', 'sync_items');
CALL cq_fdw.sync('recent', 'sync_items', 'incremental', cursor_column => 'no_such');
-- two different rows with one key: the sync fails, nothing changes
CREATE TABLE byname (name text PRIMARY KEY, id bigint);
CREATE VIEW sync_names AS SELECT 'same'::text AS name, id FROM sync_items WHERE id <= 3;
CALL cq_fdw.sync('byname', 'sync_names');
SELECT count(*) FROM byname;
\set VERBOSITY terse
\set SHOW_CONTEXT errors
-- the same row read twice (pages that shifted under the reader) counts once
CREATE VIEW sync_twice AS
    SELECT id, name FROM sync_items UNION ALL SELECT id, name FROM sync_items WHERE id <= 10;
CREATE TABLE twice (id bigint PRIMARY KEY, name text);
CALL cq_fdw.sync('twice', 'sync_twice');
SELECT count(*), count(DISTINCT id) FROM twice;

-- row-level security: another role sees no log or state row of ours,
-- cannot sync our table, nor forge a log or state row for it
CREATE ROLE regress_cq_sync_other;
SET ROLE regress_cq_sync_other;
SELECT count(*) FROM cq_fdw.sync_log;
SELECT count(*) FROM cq_fdw.sync_state;
CALL cq_fdw.sync('items', 'sync_items');
INSERT INTO cq_fdw.sync_log (snapshot, mode, source, snapshot_owner)
SELECT 'items', 'delete-stale', 'sync_items', relowner FROM pg_class WHERE relname = 'items';
INSERT INTO cq_fdw.sync_log (snapshot, mode, source, snapshot_owner)
SELECT 'items', 'delete-stale', 'sync_items', oid FROM pg_roles WHERE rolname = current_user;
INSERT INTO cq_fdw.sync_state (target, source, mode, cursor_value, target_owner)
SELECT 'items', 'sync_items', 'incremental', 'forged', relowner FROM pg_class WHERE relname = 'items';
INSERT INTO cq_fdw.sync_state (target, source, mode, cursor_value, target_owner)
SELECT 'items', 'sync_items', 'incremental', 'forged', oid FROM pg_roles WHERE rolname = current_user;
UPDATE cq_fdw.sync_state SET cursor_value = 'forged';
DELETE FROM cq_fdw.sync_state;
RESET ROLE;
SELECT count(*) AS forged FROM cq_fdw.sync_state WHERE cursor_value = 'forged';
SELECT count(*) AS states FROM cq_fdw.sync_state;
DROP ROLE regress_cq_sync_other;

-- sync_schema: every table of a schema from the same-named source; one
-- refused (no primary key) and one failing do not stop the others
CREATE SCHEMA sync_dst;
CREATE SCHEMA sync_src;
CREATE FOREIGN TABLE sync_src.a (id bigint, name text) SERVER sync_srv
    OPTIONS (endpoint '/gen/link/sync_a?n=40&per_page=30&shape=versioned', pagination 'link_header');
CREATE FOREIGN TABLE sync_src.b (id bigint, name text) SERVER sync_srv
    OPTIONS (endpoint '/gen/link/sync_b?n=40&per_page=30&shape=versioned', pagination 'link_header');
CREATE FOREIGN TABLE sync_src.c (id bigint, name text) SERVER sync_srv
    OPTIONS (endpoint '/gen/link/sync_c?n=40&per_page=30&shape=versioned', pagination 'link_header');
CREATE FOREIGN TABLE sync_src.d (id bigint, name text) SERVER sync_srv
    OPTIONS (endpoint '/gen/link/sync_d?n=40&per_page=30&shape=versioned', pagination 'link_header');
CREATE TABLE sync_dst.a (id bigint PRIMARY KEY, name text);
CREATE TABLE sync_dst.b (id bigint, name text);          -- no primary key
CREATE TABLE sync_dst.c (id bigint PRIMARY KEY, name text);
CREATE TABLE sync_dst.d (id bigint PRIMARY KEY, name text);
CREATE TABLE sync_dst.lookup (k text PRIMARY KEY);       -- no source: not synced
SET cq_fdw.max_retries = 1;
SET cq_fdw.retry_base = 10;
\! curl -s 'http://127.0.0.1:18080/_mock/fault?route=/gen/link/sync_c&mode=503&count=-1' > /dev/null
CREATE TEMP TABLE sync_mark AS SELECT max(id) AS id FROM cq_fdw.sync_log;
CALL cq_fdw.sync_schema('sync_dst', 'sync_src');
SELECT l.snapshot, l.source, l.status, l.rows_inserted, l.error
  FROM cq_fdw.sync_log l, sync_mark m WHERE l.id > m.id ORDER BY l.id;
SELECT (SELECT count(*) FROM sync_dst.a) AS a, (SELECT count(*) FROM sync_dst.b) AS b,
       (SELECT count(*) FROM sync_dst.c) AS c, (SELECT count(*) FROM sync_dst.d) AS d;
\! curl -s 'http://127.0.0.1:18080/_mock/reset' > /dev/null
-- two parts: the first takes a and c (0th and 2nd in name order)
UPDATE sync_mark SET id = (SELECT max(id) FROM cq_fdw.sync_log);
CALL cq_fdw.sync_schema('sync_dst', 'sync_src', part => 0, parts => 2);
SELECT l.snapshot, l.status, l.rows_inserted, l.rows_updated
  FROM cq_fdw.sync_log l, sync_mark m WHERE l.id > m.id ORDER BY l.id;
CALL cq_fdw.sync_schema('sync_dst', 'sync_src', part => 2, parts => 2);
RESET cq_fdw.max_retries;
RESET cq_fdw.retry_base;

-- dropping a target forgets its state
SELECT count(*) FROM cq_fdw.sync_state;
DROP SCHEMA sync_dst CASCADE;
SELECT count(*) FROM cq_fdw.sync_state;

DROP SCHEMA sync_src CASCADE;
DROP VIEW sync_names, sync_twice;
DROP TABLE items, events, recent, nokey, otherkey, byname, twice;
SELECT count(*) FROM cq_fdw.sync_state;
DROP SERVER sync_srv CASCADE;
DELETE FROM cq_fdw.sync_log;
