-- Snapshots: cq_fdw.create_snapshot / refresh_snapshot / refresh_all, the
-- sync log, REFRESH ... CONCURRENTLY, a refresh that fails halfway (the
-- previous rows stay, the failure is logged), plain REFRESH of any
-- materialized view over a cq_fdw table, per-backend scan counters and the
-- sync log's row-level security.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS cq_fdw;
\! curl -s 'http://127.0.0.1:18080/_mock/reset' > /dev/null
-- the log is shared by every test of the database: start from an empty one
TRUNCATE cq_fdw.sync_log;

CREATE SERVER snap_srv FOREIGN DATA WRAPPER cq_fdw
    OPTIONS (source 'rest', base_url 'http://127.0.0.1:18080');
-- 500 items, 10 pages of 50
CREATE FOREIGN TABLE snap_items (id bigint, name text, price numeric)
    SERVER snap_srv
    OPTIONS (endpoint '/gen/link/snap?n=500&per_page=50',
             pagination 'link_header', primary_key 'id');
-- same shape, another route (faulted separately below)
CREATE FOREIGN TABLE snap_other (id bigint, name text)
    SERVER snap_srv
    OPTIONS (endpoint '/gen/link/snapb?n=120&per_page=40&shape=small',
             pagination 'link_header', primary_key 'id');
CREATE SCHEMA snapshots;

-- per-backend counters: one scan of 10 pages
SELECT cq_fdw.scan_stats_reset();
SELECT count(*) FROM snap_items;
SELECT scans, failed_scans, requests, pages, rows, bytes > 0 AS bytes,
       retries, peak_bytes > 0 AS peak
  FROM cq_fdw.scan_stats();
SELECT cq_fdw.scan_stats_reset();
SELECT scans, requests, rows FROM cq_fdw.scan_stats();

-- key columns: rest option primary_key; unknown for other relations
SELECT cq_fdw.snapshot_key_columns('snap_items');
SELECT cq_fdw.snapshot_key_columns('pg_class');

-- create: a materialized view with its sync time and a unique index
SELECT cq_fdw.create_snapshot('snap_items', 'snapshots.items');
SELECT count(*), count(DISTINCT id), min(id), max(id),
       count(DISTINCT _cq_synced_at) AS sync_times
  FROM snapshots.items;
SELECT indexdef FROM pg_indexes
 WHERE schemaname = 'snapshots' AND tablename = 'items';
-- default name (<table>_snapshot, same schema), a WHERE clause
SELECT cq_fdw.create_snapshot('snap_items', where_clause => 'id % 10 = 0');
SELECT count(*), min(id), max(id) FROM snap_items_snapshot;
SELECT cq_fdw.create_snapshot('snap_other', 'snapshots.broken');
SELECT name, foreign_table, where_clause, key_columns
  FROM cq_fdw.snapshots ORDER BY name::text;
SELECT snapshot, status, rows, requests, retries, bytes > 0 AS bytes,
       finished >= started AS timed, error
  FROM cq_fdw.sync_log ORDER BY id;
-- bad names
SELECT cq_fdw.create_snapshot('snap_items', 'a.b.c');
SELECT cq_fdw.create_snapshot('snap_items', 'snapshots.items');

-- refresh: CONCURRENTLY by default (the heap is updated in place, so its
-- file node stays), plain when asked (a new heap)
CREATE TEMP TABLE snap_before AS
SELECT pg_relation_filenode('snapshots.items') AS filenode,
       (SELECT max(_cq_synced_at) FROM snapshots.items) AS synced;
CALL cq_fdw.refresh_snapshot('snapshots.items');
SELECT pg_relation_filenode('snapshots.items') = b.filenode AS same_heap,
       (SELECT max(_cq_synced_at) FROM snapshots.items) > b.synced AS newer,
       (SELECT count(*) FROM snapshots.items) AS rows
  FROM snap_before b;
UPDATE snap_before
   SET filenode = pg_relation_filenode('snapshots.items'),
       synced = (SELECT max(_cq_synced_at) FROM snapshots.items);
CALL cq_fdw.refresh_snapshot('snapshots.items', concurrently => false);
SELECT pg_relation_filenode('snapshots.items') = b.filenode AS same_heap,
       (SELECT max(_cq_synced_at) FROM snapshots.items) > b.synced AS newer,
       (SELECT count(*) FROM snapshots.items) AS rows
  FROM snap_before b;
-- plain SQL works too
REFRESH MATERIALIZED VIEW CONCURRENTLY snapshots.items;
SELECT snapshot, status, rows, requests, error
  FROM cq_fdw.sync_log ORDER BY id OFFSET 3;

-- a refresh that fails halfway: pages 1-3 answer, then HTTP 500 forever
UPDATE snap_before
   SET synced = (SELECT max(_cq_synced_at) FROM snapshots.items);
SET cq_fdw.max_retries = 1;
SET cq_fdw.retry_base = 10;
\! curl -s 'http://127.0.0.1:18080/_mock/fault?route=/gen/link/snap&mode=500&count=-1&after=3' > /dev/null
SELECT cq_fdw.scan_stats_reset();
CALL cq_fdw.refresh_snapshot('snapshots.items');
-- every previous row is still there, unchanged
SELECT count(*), count(DISTINCT id), max(_cq_synced_at) = b.synced AS unchanged
  FROM snapshots.items, snap_before b GROUP BY b.synced;
SELECT snapshot, status, finished IS NOT NULL AS finished,
       error LIKE 'API request failed with HTTP status 500%' AS http_500,
       error
  FROM cq_fdw.sync_log ORDER BY id DESC LIMIT 1;
-- same with plain REFRESH (non-concurrent): atomic too
REFRESH MATERIALIZED VIEW snapshots.items;
SELECT count(*) FROM snapshots.items;
\! curl -s 'http://127.0.0.1:18080/_mock/reset' > /dev/null

-- refresh_all: every snapshot of the schema, in name order, each logged;
-- "broken" fails (its route answers 500), "items" still refreshes
\! curl -s 'http://127.0.0.1:18080/_mock/fault?route=/gen/link/snapb&mode=503&count=-1' > /dev/null
CREATE TEMP TABLE snap_mark AS SELECT max(id) AS id FROM cq_fdw.sync_log;
CALL cq_fdw.refresh_all('snapshots');
SELECT l.snapshot, l.status, l.rows, l.error LIKE '%HTTP status 503%' AS http_503
  FROM cq_fdw.sync_log l, snap_mark m WHERE l.id > m.id ORDER BY l.id;
SELECT count(*) FROM snapshots.broken;
\! curl -s 'http://127.0.0.1:18080/_mock/reset' > /dev/null
CALL cq_fdw.refresh_all('snapshots', false);
SELECT l.snapshot, l.status, l.rows, l.requests
  FROM cq_fdw.sync_log l, snap_mark m WHERE l.id > m.id + 2 ORDER BY l.id;
CALL cq_fdw.refresh_all('no_such_schema');
CALL cq_fdw.refresh_all('public');      -- snap_items_snapshot
SELECT snapshot, status FROM cq_fdw.sync_log ORDER BY id DESC LIMIT 1;
-- not a materialized view
CALL cq_fdw.refresh_snapshot('snap_items');
RESET cq_fdw.max_retries;
RESET cq_fdw.retry_base;

-- any materialized view over a cq_fdw table, created by hand
CREATE MATERIALIZED VIEW snap_plain AS
    SELECT id, name FROM snap_other WHERE id <= 50 WITH NO DATA;
REFRESH MATERIALIZED VIEW snap_plain;
SELECT count(*) FROM snap_plain;
CREATE UNIQUE INDEX ON snap_plain (id);
REFRESH MATERIALIZED VIEW CONCURRENTLY snap_plain;
CALL cq_fdw.refresh_snapshot('snap_plain');
SELECT snapshot, status, rows FROM cq_fdw.sync_log ORDER BY id DESC LIMIT 1;

-- row-level security: another role sees none of these rows and cannot
-- refresh or log for a snapshot it does not own
CREATE ROLE regress_cq_snap_other;
SET ROLE regress_cq_snap_other;
SELECT count(*) FROM cq_fdw.sync_log;
SELECT count(*) FROM cq_fdw.snapshots;
CALL cq_fdw.refresh_snapshot('snap_plain');
INSERT INTO cq_fdw.sync_log (snapshot, snapshot_owner)
SELECT 'forged', oid FROM pg_roles WHERE rolname = current_user;
SELECT snapshot, status FROM cq_fdw.sync_log;
INSERT INTO cq_fdw.sync_log (snapshot, snapshot_owner)
SELECT 'forged', relowner FROM pg_class WHERE relname = 'snap_plain';
-- nor for another role's snapshot under its own name (RLS WITH CHECK)
INSERT INTO cq_fdw.sync_log (snapshot, snapshot_owner)
SELECT 'snap_plain', oid FROM pg_roles WHERE rolname = current_user;
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
SELECT count(*) AS forged FROM cq_fdw.sync_log l JOIN pg_roles r ON r.oid = l.snapshot_owner
 WHERE r.rolname = 'regress_cq_snap_other';
DELETE FROM cq_fdw.sync_log WHERE snapshot = 'forged';
DROP ROLE regress_cq_snap_other;

-- dropping a snapshot removes its entry
DROP MATERIALIZED VIEW snapshots.broken;
SELECT name FROM cq_fdw.snapshots ORDER BY name::text;
CREATE TEMP TABLE snap_mark2 AS SELECT max(id) AS id FROM cq_fdw.sync_log;
CALL cq_fdw.refresh_all('snapshots');
SELECT l.snapshot, l.status
  FROM cq_fdw.sync_log l, snap_mark2 m WHERE l.id > m.id ORDER BY l.id;

DROP SCHEMA snapshots CASCADE;
DROP MATERIALIZED VIEW snap_items_snapshot, snap_plain;
SELECT count(*) FROM cq_fdw.snapshots;
DROP SERVER snap_srv CASCADE;
DELETE FROM cq_fdw.sync_log;
