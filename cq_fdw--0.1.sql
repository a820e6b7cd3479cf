/* cq_fdw--0.1.sql */

-- complain if script is sourced in psql, rather than via CREATE EXTENSION
\echo Use "CREATE EXTENSION cq_fdw" to load this file. \quit

-- The extension's objects live in schema cq_fdw (created by CREATE EXTENSION
-- through the control file's schema).  The FDW itself is global.

CREATE FUNCTION cq_fdw_handler()
RETURNS fdw_handler
AS 'MODULE_PATHNAME'
LANGUAGE C STRICT;

CREATE FUNCTION cq_fdw_validator(text[], oid)
RETURNS void
AS 'MODULE_PATHNAME'
LANGUAGE C STRICT;

CREATE FOREIGN DATA WRAPPER cq_fdw
  HANDLER cq_fdw_handler
  VALIDATOR cq_fdw_validator;

-- Installed sources and their tables, read from the specs and plugins
-- installed under $sharedir/extension/cq_fdw/sources and $pkglibdir/cq_fdw.
CREATE FUNCTION source_list(
    OUT name text, OUT version text, OUT description text, OUT kind text)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'cq_fdw_source_list'
LANGUAGE C STRICT STABLE;

CREATE FUNCTION table_list(
    OUT source text, OUT name text, OUT description text,
    OUT key_columns text[], OUT required_keys text[], OUT primary_key text[],
    OUT row_estimate float8, OUT origin text, OUT cursor_column text, OUT cursor_op text)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'cq_fdw_table_list'
LANGUAGE C STRICT STABLE;

CREATE VIEW sources AS SELECT * FROM source_list();
CREATE VIEW tables AS SELECT * FROM table_list();
-- The catalog views show no credential or server option: anyone may read
-- them (the functions read only the installed specs).
GRANT USAGE ON SCHEMA @extschema@ TO PUBLIC;
GRANT SELECT ON sources, tables TO PUBLIC;

-- ==== snapshots and sync log (src/stats.c, sql/snapshot*.sql) ====
--
-- A snapshot is a materialized view of a foreign table (or any relation
-- over cq_fdw tables) plus the time of its last sync, with a unique index on
-- the source's primary key so REFRESH ... CONCURRENTLY works.  A sync is a
-- REFRESH: PostgreSQL's REFRESH is atomic, so a failed sync leaves the last
-- good snapshot untouched.  cq_fdw.refresh_snapshot() commits a 'running'
-- row in cq_fdw.sync_log before the refresh and fills it in (ok / failed,
-- counters, error message) afterwards, so a failure is logged even though
-- the refresh itself rolled back.  Plain REFRESH MATERIALIZED VIEW on any
-- materialized view keeps working; the procedures only add the log.
--
-- Decisions:
--  - Everything runs as the caller (SECURITY INVOKER): the foreign tables
--    are read with the caller's user mapping and the materialized views are
--    owned by the caller.  The procedures cannot be SECURITY DEFINER or
--    carry a SET clause anyway: both forbid COMMIT inside a procedure.  So
--    every name in their bodies is schema-qualified.
--  - cq_fdw.snapshots and cq_fdw.sync_log are readable and writable by
--    PUBLIC through row-level security: a role sees (and may write) only
--    the rows of snapshots owned by a role it has the privileges of.  Error
--    messages never hold a credential (the SDK redacts URLs), but they may
--    name API hosts, accounts or repositories, which other tenants of the
--    database have no business reading.  Superusers see everything.
--  - Counters (rows, requests, bytes, retries) come from the backend's scan
--    counters (cq_fdw.scan_stats(), src/stats.c), reset before each sync:
--    they count every cq_fdw scan of that sync (a snapshot over a UNION ALL
--    view sums its members).  `rows` is rows received from the API.
--  - Both tables are dumped by pg_dump (extension configuration tables);
--    regclass columns survive pg_upgrade (relation OIDs are preserved).

CREATE FUNCTION scan_stats(
    OUT scans bigint, OUT failed_scans bigint, OUT requests bigint,
    OUT pages bigint, OUT rows bigint, OUT bytes bigint, OUT retries bigint,
    OUT units bigint, OUT units_failed bigint, OUT api_wait_ms float8,
    OUT ratelimit_wait_ms float8, OUT peak_bytes bigint)
RETURNS record
AS 'MODULE_PATHNAME', 'cq_fdw_scan_stats'
LANGUAGE C VOLATILE PARALLEL RESTRICTED;

COMMENT ON FUNCTION scan_stats() IS
  'cq_fdw scans of this backend since the last cq_fdw.scan_stats_reset(): requests, pages, rows, bytes, retries, peak memory';

CREATE FUNCTION scan_stats_reset()
RETURNS void
AS 'MODULE_PATHNAME', 'cq_fdw_scan_stats_reset'
LANGUAGE C VOLATILE PARALLEL RESTRICTED;

CREATE TABLE snapshots (
    name          regclass PRIMARY KEY,     -- the materialized view
    foreign_table regclass NOT NULL,        -- what it reads
    where_clause  text,                     -- NULL = every row
    key_columns   text[],                   -- its unique index, NULL = none
    created       timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE snapshots IS 'Snapshots made by cq_fdw.create_snapshot()';

CREATE TABLE sync_log (
    id             bigserial PRIMARY KEY,
    snapshot       text NOT NULL,           -- name of the materialized view
    started        timestamptz NOT NULL DEFAULT clock_timestamp(),
    finished       timestamptz,
    rows           bigint,                  -- rows received from the API
    requests       bigint,
    bytes          bigint,
    retries        bigint,
    status         text NOT NULL DEFAULT 'running'
                   CHECK (status IN ('running', 'ok', 'failed')),
    error          text,
    snapshot_owner oid NOT NULL,            -- row visibility (RLS)
    -- table syncs (cq_fdw.sync): 'refresh' for snapshot refreshes
    mode           text NOT NULL DEFAULT 'refresh'
                   CHECK (mode IN ('refresh', 'delete-stale', 'append', 'incremental')),
    source         text,                    -- the relation a table sync read
    rows_inserted  bigint,                  -- table syncs: rows changed in the target
    rows_updated   bigint,
    rows_deleted   bigint
);
CREATE INDEX sync_log_snapshot_idx ON sync_log (snapshot, started);
COMMENT ON TABLE sync_log IS 'One row per snapshot sync (cq_fdw.create_snapshot, refresh_snapshot, refresh_all) and per table sync (cq_fdw.sync, sync_schema)';

ALTER TABLE snapshots ENABLE ROW LEVEL SECURITY;
CREATE POLICY snapshots_owner ON snapshots
  USING (EXISTS (SELECT 1 FROM pg_catalog.pg_class c
                  WHERE c.oid = snapshots.name
                    AND pg_catalog.pg_has_role(c.relowner, 'USAGE')));
-- The check of the INSERT policies of sync_log and sync_state (one
-- definition keeps them in step): relation `rel` exists, is owned by
-- `owner`, and the current role has the privileges of that owner.  A
-- SQL-standard body is parsed here, once: no search_path of the caller
-- changes what it calls.
CREATE FUNCTION owned_relation(rel oid, owner oid)
RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE
RETURN EXISTS (SELECT 1 FROM pg_catalog.pg_class c
                WHERE c.oid = rel
                  AND c.relowner = owner
                  AND pg_catalog.pg_has_role(c.relowner, 'USAGE'));
COMMENT ON FUNCTION owned_relation(oid, oid) IS
  'whether relation rel exists, is owned by owner and the current role has its privileges (row-level security of sync_log and sync_state)';

ALTER TABLE sync_log ENABLE ROW LEVEL SECURITY;
CREATE POLICY sync_log_owner ON sync_log
  USING (pg_catalog.pg_has_role(snapshot_owner, 'USAGE'));
-- A new row must name a relation that exists and is owned by its
-- snapshot_owner (a role the inserter has the privileges of): nobody logs
-- a forged sync for another role's snapshot, nor for a name that is no
-- snapshot at all (superusers would see such rows among the real ones).
-- RESTRICTIVE and FOR INSERT only: the owner's UPDATE of its running row
-- is not affected.
CREATE POLICY sync_log_insert ON sync_log AS RESTRICTIVE FOR INSERT
  WITH CHECK (@extschema@.owned_relation(pg_catalog.to_regclass(sync_log.snapshot),
                                         sync_log.snapshot_owner));

GRANT SELECT, INSERT, DELETE ON snapshots TO PUBLIC;
GRANT SELECT, INSERT, DELETE ON sync_log TO PUBLIC;
GRANT UPDATE (finished, rows, requests, bytes, retries, status, error,
               rows_inserted, rows_updated, rows_deleted)
  ON sync_log TO PUBLIC;
GRANT USAGE ON SEQUENCE sync_log_id_seq TO PUBLIC;

SELECT pg_catalog.pg_extension_config_dump('snapshots', '');
SELECT pg_catalog.pg_extension_config_dump('sync_log', '');
SELECT pg_catalog.pg_extension_config_dump('sync_log_id_seq', '');

-- Primary key columns of a cq_fdw foreign table: the rest table option
-- primary_key, else cq_fdw.tables.primary_key of the server's source and
-- the table option `table`.  NULL when unknown or not a cq_fdw table.
CREATE FUNCTION snapshot_key_columns(foreign_table regclass)
RETURNS text[]
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_fdw     name;
    v_source  text;
    v_table   text;
    v_pk      text;
    v_result  text[];
BEGIN
    SELECT w.fdwname,
           (SELECT option_value FROM pg_options_to_table(s.srvoptions)
             WHERE option_name = 'source'),
           (SELECT option_value FROM pg_options_to_table(ft.ftoptions)
             WHERE option_name = 'table'),
           (SELECT option_value FROM pg_options_to_table(ft.ftoptions)
             WHERE option_name = 'primary_key')
      INTO v_fdw, v_source, v_table, v_pk
      FROM pg_foreign_table ft
      JOIN pg_foreign_server s ON s.oid = ft.ftserver
      JOIN pg_foreign_data_wrapper w ON w.oid = s.srvfdw
     WHERE ft.ftrelid = foreign_table;
    IF NOT FOUND OR v_fdw <> 'cq_fdw' THEN
        RETURN NULL;
    END IF;
    IF v_pk IS NOT NULL THEN
        -- a list of identifiers: "Quoted" kept as is, others folded
        SELECT array_agg(CASE WHEN p ~ '^".*"$'
                              THEN replace(substr(p, 2, length(p) - 2), '""', '"')
                              ELSE lower(p) END ORDER BY ord)
          INTO v_result
          FROM (SELECT btrim(x) AS p, ord
                  FROM unnest(string_to_array(v_pk, ',')) WITH ORDINALITY AS u(x, ord)) q
         WHERE p <> '';
        RETURN v_result;
    END IF;
    IF v_source = 'rest' THEN
        RETURN NULL;
    END IF;
    SELECT t.primary_key INTO v_result
      FROM cq_fdw.tables t
     WHERE t.source = v_source
       AND t.name = coalesce(v_table,
                             (SELECT relname FROM pg_class WHERE oid = foreign_table));
    IF cardinality(v_result) = 0 THEN
        RETURN NULL;
    END IF;
    RETURN v_result;
END
$$;

-- create_snapshot(foreign_table, snapshot_name, where_clause, key_columns)
--   CREATE MATERIALIZED VIEW snapshot_name AS
--     SELECT t.*, now() AS _cq_synced_at FROM foreign_table t [WHERE ...]
--   WITH DATA, plus a unique index on the primary key (key_columns, else
--   the source's primary key) so REFRESH ... CONCURRENTLY works.  The
--   default name is <foreign table>_snapshot in the foreign table's schema;
--   an unqualified name goes where CREATE puts it (search_path).
--   where_clause is SQL text run with the caller's rights (it is the
--   caller's own query, not an injection boundary).  Returns the view.
--   Logs the initial sync in cq_fdw.sync_log (committed with the view).
CREATE FUNCTION create_snapshot(foreign_table regclass,
                                snapshot_name text DEFAULT NULL,
                                where_clause text DEFAULT NULL,
                                key_columns text[] DEFAULT NULL)
RETURNS regclass
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
    v_parts   text[];
    v_target  text;
    v_mv      regclass;
    v_keys    text[];
    v_started timestamptz := pg_catalog.clock_timestamp();
    v_st      record;
BEGIN
    IF snapshot_name IS NULL THEN
        SELECT pg_catalog.format('%I.%I', n.nspname, c.relname || '_snapshot')
          INTO v_target
          FROM pg_catalog.pg_class c
          JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
         WHERE c.oid = foreign_table;
    ELSE
        v_parts := pg_catalog.parse_ident(snapshot_name);
        IF pg_catalog.cardinality(v_parts) = 1 THEN
            v_target := pg_catalog.quote_ident(v_parts[1]);
        ELSIF pg_catalog.cardinality(v_parts) = 2 THEN
            v_target := pg_catalog.format('%I.%I', v_parts[1], v_parts[2]);
        ELSE
            RAISE EXCEPTION 'invalid snapshot name "%"', snapshot_name
                USING ERRCODE = 'invalid_name',
                      HINT = 'Use name or schema.name.';
        END IF;
    END IF;

    PERFORM cq_fdw.scan_stats_reset();
    EXECUTE pg_catalog.format(
        'CREATE MATERIALIZED VIEW %s AS SELECT t.*, pg_catalog.now() AS _cq_synced_at FROM %s t%s WITH DATA',
        v_target, foreign_table,
        CASE WHEN where_clause IS NULL THEN ''
             ELSE ' WHERE (' || where_clause || ')' END);
    v_mv := v_target::regclass;

    v_keys := coalesce(key_columns, cq_fdw.snapshot_key_columns(foreign_table));
    IF pg_catalog.cardinality(v_keys) > 0 THEN
        IF (SELECT pg_catalog.count(*) FROM pg_catalog.pg_attribute a
             WHERE a.attrelid = v_mv AND a.attnum > 0 AND NOT a.attisdropped
               AND a.attname = ANY (v_keys)) <> pg_catalog.cardinality(v_keys) THEN
            RAISE WARNING 'snapshot % has no unique index: primary key (%) is not among its columns',
                v_mv, pg_catalog.array_to_string(v_keys, ', ')
                USING HINT = 'REFRESH ... CONCURRENTLY needs a unique index; pass key_columns.';
            v_keys := NULL;
        ELSE
            BEGIN
                EXECUTE pg_catalog.format('CREATE UNIQUE INDEX ON %s (%s)', v_mv,
                    (SELECT pg_catalog.string_agg(pg_catalog.quote_ident(k), ', ')
                       FROM pg_catalog.unnest(v_keys) AS k));
            EXCEPTION WHEN unique_violation THEN
                RAISE WARNING 'snapshot % has no unique index: its rows repeat the key (%)',
                    v_mv, pg_catalog.array_to_string(v_keys, ', ')
                    USING HINT = 'REFRESH ... CONCURRENTLY needs a unique index; pass key_columns.';
                v_keys := NULL;
            END;
        END IF;
    ELSE
        v_keys := NULL;
    END IF;

    DELETE FROM cq_fdw.snapshots s WHERE s.name = v_mv;
    INSERT INTO cq_fdw.snapshots (name, foreign_table, where_clause, key_columns)
    VALUES (v_mv, foreign_table, where_clause, v_keys);

    SELECT * INTO v_st FROM cq_fdw.scan_stats();
    INSERT INTO cq_fdw.sync_log (snapshot, started, finished, rows, requests,
                                 bytes, retries, status, snapshot_owner)
    SELECT v_mv::text, v_started, pg_catalog.clock_timestamp(), v_st.rows,
           v_st.requests, v_st.bytes, v_st.retries, 'ok', c.relowner
      FROM pg_catalog.pg_class c WHERE c.oid = v_mv;
    RETURN v_mv;
END
$$;

-- refresh_snapshot(snapshot, concurrently)
--   One sync of a materialized view: commits a 'running' row in
--   cq_fdw.sync_log, refreshes (CONCURRENTLY when asked and possible: the
--   view is populated and has a usable unique index), then commits the
--   row as 'ok' or 'failed' with the counters and the error message.  A
--   failed refresh does not raise (the previous contents stay); a cancel
--   is logged and re-raised.  CALL it outside a transaction block (it
--   commits), e.g. from pg_cron.
CREATE PROCEDURE refresh_snapshot(snapshot regclass,
                                  concurrently boolean DEFAULT true)
LANGUAGE plpgsql
AS $$
DECLARE
    v_owner   oid;
    v_pop     boolean;
    v_log     bigint;
    v_conc    boolean;
    v_ok      boolean := false;
    v_cancel  boolean := false;
    v_err     text;
    v_detail  text;
    v_st      record;
BEGIN
    SELECT c.relowner, c.relispopulated INTO v_owner, v_pop
      FROM pg_catalog.pg_class c
     WHERE c.oid = snapshot AND c.relkind = 'm';
    IF NOT FOUND THEN
        RAISE EXCEPTION '"%" is not a materialized view', snapshot
            USING ERRCODE = 'wrong_object_type';
    END IF;
    IF NOT pg_catalog.pg_has_role(v_owner, 'USAGE') THEN
        RAISE EXCEPTION 'must be owner of materialized view %', snapshot
            USING ERRCODE = 'insufficient_privilege';
    END IF;

    INSERT INTO cq_fdw.sync_log (snapshot, snapshot_owner)
    VALUES (snapshot::text, v_owner)
    RETURNING id INTO v_log;
    COMMIT;

    -- $2 is `concurrently`, a keyword that cannot be referenced by name
    v_conc := $2 AND v_pop AND EXISTS (
        SELECT 1 FROM pg_catalog.pg_index i
         WHERE i.indrelid = snapshot AND i.indisunique AND i.indisvalid
           AND i.indpred IS NULL AND i.indexprs IS NULL);
    IF $2 AND NOT v_conc THEN
        RAISE NOTICE 'refreshing % without CONCURRENTLY: %', snapshot,
            CASE WHEN NOT v_pop THEN 'it is not populated'
                 ELSE 'it has no unique index on plain columns' END;
    END IF;

    PERFORM cq_fdw.scan_stats_reset();
    BEGIN
        IF v_conc THEN
            EXECUTE pg_catalog.format('REFRESH MATERIALIZED VIEW CONCURRENTLY %s', snapshot);
        ELSE
            EXECUTE pg_catalog.format('REFRESH MATERIALIZED VIEW %s', snapshot);
        END IF;
        v_ok := true;
    EXCEPTION
        WHEN query_canceled THEN
            v_cancel := true;
            v_err := 'canceled';
        WHEN OTHERS THEN
            GET STACKED DIAGNOSTICS v_err = MESSAGE_TEXT,
                                    v_detail = PG_EXCEPTION_DETAIL;
            IF v_detail <> '' THEN
                v_err := v_err || ': ' || v_detail;
            END IF;
    END;

    SELECT * INTO v_st FROM cq_fdw.scan_stats();
    UPDATE cq_fdw.sync_log l
       SET finished = pg_catalog.clock_timestamp(),
           rows = v_st.rows, requests = v_st.requests, bytes = v_st.bytes,
           retries = v_st.retries,
           status = CASE WHEN v_ok THEN 'ok' ELSE 'failed' END,
           error = pg_catalog.left(v_err, 2000)
     WHERE l.id = v_log;
    COMMIT;

    IF v_cancel THEN
        RAISE EXCEPTION 'canceling refresh of %', snapshot
            USING ERRCODE = 'query_canceled';
    END IF;
    IF NOT v_ok THEN
        RAISE WARNING 'refresh of % failed: %', snapshot, v_err
            USING HINT = 'The previous contents are unchanged; see cq_fdw.sync_log.';
    END IF;
END
$$;

-- refresh_all(schema_name, concurrently)
--   refresh_snapshot() for every snapshot (cq_fdw.snapshots) whose view is
--   in the schema, in name order, each in its own transactions and logged
--   separately; a failure does not stop the others.
CREATE PROCEDURE refresh_all(schema_name text,
                             concurrently boolean DEFAULT true)
LANGUAGE plpgsql
AS $$
DECLARE
    v_list  regclass[];
    v_mv    regclass;
    v_ns    oid := schema_name::regnamespace;
    v_fail  integer := 0;
    v_last  bigint;
BEGIN
    SELECT pg_catalog.array_agg(s.name ORDER BY c.relname) INTO v_list
      FROM cq_fdw.snapshots s
      JOIN pg_catalog.pg_class c ON c.oid = s.name
     WHERE c.relnamespace = v_ns AND c.relkind = 'm';
    IF v_list IS NULL THEN
        RETURN;
    END IF;
    FOREACH v_mv IN ARRAY v_list LOOP
        CALL cq_fdw.refresh_snapshot(v_mv, $2);	-- $2: concurrently
        SELECT l.id INTO v_last FROM cq_fdw.sync_log l
         WHERE l.snapshot = v_mv::text AND l.status = 'failed'
           AND l.id = (SELECT pg_catalog.max(l2.id) FROM cq_fdw.sync_log l2
                        WHERE l2.snapshot = v_mv::text);
        IF FOUND THEN
            v_fail := v_fail + 1;
        END IF;
    END LOOP;
    IF v_fail > 0 THEN
        RAISE WARNING '% of % snapshots in schema % failed to refresh',
            v_fail, pg_catalog.cardinality(v_list), schema_name
            USING HINT = 'See cq_fdw.sync_log.';
    END IF;
END
$$;

-- A dropped snapshot leaves cq_fdw.snapshots at once, and a dropped sync
-- target or source its cq_fdw.sync_state rows (DROP MATERIALIZED VIEW,
-- DROP TABLE, DROP SCHEMA/SERVER ... CASCADE, DROP OWNED).  SECURITY DEFINER
-- because the catalog row is already gone when sql_drop fires, so the
-- dropper could no longer pass the row-level security policy; it deletes
-- only the rows of relations that were just dropped.
CREATE FUNCTION snapshots_forget_dropped()
RETURNS event_trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    DELETE FROM cq_fdw.snapshots s
     USING pg_event_trigger_dropped_objects() d
     WHERE d.classid = 'pg_class'::regclass AND d.objsubid = 0
       AND s.name::oid = d.objid;
    -- the state of table syncs (cq_fdw.sync) whose target or source went
    DELETE FROM cq_fdw.sync_state s
     USING pg_event_trigger_dropped_objects() d
     WHERE d.classid = 'pg_class'::regclass AND d.objsubid = 0
       AND (s.target::oid = d.objid OR s.source::oid = d.objid);
END
$$;
REVOKE ALL ON FUNCTION snapshots_forget_dropped() FROM PUBLIC;
CREATE EVENT TRIGGER cq_fdw_snapshots_forget_dropped ON sql_drop
    EXECUTE FUNCTION snapshots_forget_dropped();

-- ==== table syncs (sql/sync.sql, test/checks/pg_cron.sh) ====
--
-- cq_fdw.sync(target, source, mode) writes what a relation (a cq_fdw
-- foreign table, or a view over some) returns into a regular table with a
-- primary key, matching rows by that key:
--   delete-stale  upsert every row read (a row is updated only when one of
--                 its synced columns changed), then delete the target rows
--                 whose key was not read;
--   append        insert the rows whose key is new; existing rows are left
--                 as they are (ON CONFLICT DO NOTHING: re-running an append
--                 sync is harmless, never an error);
--   incremental   read only rows with cursor_column > the stored cursor
--                 (cq_fdw.sync_state), upsert them, never delete.
-- The synced columns are the target's columns (not generated) that the
-- source also has, by name, cast to the target's types; other target
-- columns keep their defaults.  "Changed" compares the synced columns' text
-- forms, so columns of any type (json included) take part.
--
-- Decisions:
--  - The data changes are one subtransaction (BEGIN ... EXCEPTION): a sync
--    that fails half way (the API fails after page 1, two different rows
--    share a key, a value does not convert or violates a constraint)
--    changes nothing in the target and keeps the stored cursor.  The rows
--    are read first into a temporary table (the API is read once; the same
--    row read twice counts once), then applied.  The target is locked
--    SHARE ROW EXCLUSIVE from before the read: readers go on, a second
--    sync of the same target waits, so two syncs never interleave.
--  - Log: like refresh_snapshot, a 'running' row in cq_fdw.sync_log is
--    committed before the data is read, and the outcome committed after,
--    so a failure is logged even though its changes rolled back.  When the
--    CALL cannot commit (inside BEGIN ... COMMIT, from a function, or in a
--    block with an EXCEPTION clause; cq_fdw.sync_can_commit() asks the
--    CallContext) the sync runs the same way without committing: the
--    target still changes all or nothing, and the log rows (a failure's
--    included) are kept or rolled back with the caller's transaction.
--  - A sync that fails does not raise: a WARNING, the log row says
--    'failed' with the error (as refresh_snapshot; a loop over many tables
--    goes on).  Invalid arguments (no primary key, unknown mode, missing
--    cursor column) and cancel raise an ERROR.
--  - cq_fdw.sync_state keeps, per (target, source), the last mode, cursor
--    column and value, last success and last error; row-level security as
--    sync_log (by the target's owner; a new row must name a table its
--    target_owner owns).  Only the target's owner (or a member) may sync.
--  - The cursor value is stored as the text of to_jsonb(max(cursor)), so
--    timestamps are ISO 8601 whatever the DateStyle, and read back with a
--    cast to the source column's type.  Whether `cursor > value` reaches
--    the API (a key column the source can filter by `>`) or is filtered in
--    PostgreSQL is read from the plan (EXPLAIN's "Pushed Quals") and said
--    in a NOTICE.
--  - The cursor column: cursor_column when given, else the one remembered
--    in sync_state, else the cursor the source's spec declares
--    (cq_fdw.sync_source_cursor, cq_fdw.tables.cursor_column).  With the
--    spec's cursor the comparison is the spec's operator, the one the API
--    applies: `>=` for GitHub's since, so the rows at the stored cursor
--    are read again (a row updated in the same second as the last read is
--    not missed) and left alone by the upsert (unchanged); any other
--    column is compared with `>`.  delete-stale and append syncs record
--    the max of the given, remembered or spec cursor column (they read
--    everything), so an incremental sync can follow them.
--  - Progress: the summary NOTICE at the end and the 'running' row of
--    sync_log (committed first); a scan progress view, where the server
--    has one, shows the sync's scan while it runs.

CREATE PROCEDURE sync_can_commit(INOUT can_commit boolean DEFAULT NULL)
AS 'MODULE_PATHNAME', 'cq_fdw_sync_can_commit'
LANGUAGE C;
COMMENT ON PROCEDURE sync_can_commit(boolean) IS
  'whether the calling procedure may COMMIT (used by cq_fdw.sync)';

CREATE TABLE sync_state (
    target        regclass NOT NULL,        -- the table written
    source        regclass NOT NULL,        -- the relation read
    mode          text NOT NULL,            -- of the last sync
    cursor_column name,                     -- incremental: column of the source
    cursor_value  text,                     -- its max after the last success
    last_sync     timestamptz,              -- start of the last attempt
    last_success  timestamptz,              -- end of the last successful sync
    last_error    text,                     -- of the last failed sync
    last_error_at timestamptz,
    target_owner  oid NOT NULL,             -- row visibility (RLS)
    PRIMARY KEY (target, source)
);
COMMENT ON TABLE sync_state IS 'State of table syncs (cq_fdw.sync): cursor, last success, last error';

ALTER TABLE sync_state ENABLE ROW LEVEL SECURITY;
CREATE POLICY sync_state_owner ON sync_state
  USING (pg_catalog.pg_has_role(target_owner, 'USAGE'));
-- as sync_log_insert: nobody writes a state (a cursor) for another role's
-- table, nor for a relation that is not its target_owner's
CREATE POLICY sync_state_insert ON sync_state AS RESTRICTIVE FOR INSERT
  WITH CHECK (@extschema@.owned_relation(sync_state.target, sync_state.target_owner));
GRANT SELECT, INSERT, DELETE ON sync_state TO PUBLIC;
GRANT UPDATE (mode, cursor_column, cursor_value, last_sync, last_success,
              last_error, last_error_at)
  ON sync_state TO PUBLIC;
SELECT pg_catalog.pg_extension_config_dump('sync_state', '');

-- sync_source_cursor(source)
--   The cursor the source's spec declares (cq_fdw.tables.cursor_column and
--   cursor_op of a cq_fdw foreign table's source and table) when `source`
--   has that column: the foreign table itself, or a view (of views) over
--   that one relation alone, e.g. the view that gives github_issues its
--   owner and repo.  NULLs otherwise: not over one cq_fdw foreign table, a
--   rest table, a table without cursor.
CREATE FUNCTION sync_source_cursor(source regclass,
                                   OUT cursor_column name, OUT cursor_op text)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_rel    oid := $1;
    v_deps   oid[];
    v_fdw    name;
    v_source text;
    v_table  text;
BEGIN
    -- a view reading exactly one relation: look through it
    FOR i IN 1 .. 16 LOOP
        EXIT WHEN (SELECT c.relkind FROM pg_class c WHERE c.oid = v_rel) IS DISTINCT FROM 'v';
        SELECT array_agg(DISTINCT d.refobjid) INTO v_deps
          FROM pg_rewrite r
          JOIN pg_depend d ON d.classid = 'pg_rewrite'::regclass AND d.objid = r.oid
                          AND d.refclassid = 'pg_class'::regclass AND d.refobjid <> r.ev_class
         WHERE r.ev_class = v_rel AND r.rulename = '_RETURN';
        IF cardinality(v_deps) IS DISTINCT FROM 1 THEN
            RETURN;
        END IF;
        v_rel := v_deps[1];
    END LOOP;
    SELECT w.fdwname,
           (SELECT option_value FROM pg_options_to_table(s.srvoptions)
             WHERE option_name = 'source'),
           coalesce((SELECT option_value FROM pg_options_to_table(ft.ftoptions)
                      WHERE option_name = 'table'),
                    (SELECT relname FROM pg_class WHERE oid = ft.ftrelid))
      INTO v_fdw, v_source, v_table
      FROM pg_foreign_table ft
      JOIN pg_foreign_server s ON s.oid = ft.ftserver
      JOIN pg_foreign_data_wrapper w ON w.oid = s.srvfdw
     WHERE ft.ftrelid = v_rel;
    IF NOT FOUND OR v_fdw <> 'cq_fdw' OR v_source = 'rest' THEN
        RETURN;
    END IF;
    -- the column by its name, in the foreign table and in `source`
    SELECT a.attname, t.cursor_op INTO cursor_column, cursor_op
      FROM cq_fdw.tables t
      JOIN pg_attribute a ON a.attrelid = $1 AND a.attnum > 0
                         AND NOT a.attisdropped AND a.attname = t.cursor_column
      JOIN pg_attribute f ON f.attrelid = v_rel AND f.attnum > 0
                         AND NOT f.attisdropped AND f.attname = t.cursor_column
     WHERE t.source = v_source AND t.name = v_table;
END
$$;

-- sync_check(target, source, mode, cursor_column)
--   Validates a sync and returns what it needs: the synced columns (the
--   target's, in its order), the target's primary key, their types in the
--   target, the target's owner and the cursor column's type in the source.
--   Raises the ERROR a bad call deserves.
CREATE FUNCTION sync_check(target regclass, source regclass, mode text,
                           cursor_column name DEFAULT NULL,
                           OUT columns text[], OUT column_types text[],
                           OUT key_columns text[], OUT target_owner oid,
                           OUT cursor_type text)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_variable
DECLARE
    v_kind  "char";
    v_skind "char";
    v_miss  text;
BEGIN
    IF mode IS NULL OR mode NOT IN ('delete-stale', 'append', 'incremental') THEN
        RAISE EXCEPTION 'invalid sync mode "%"', mode
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Use delete-stale, append or incremental.';
    END IF;
    SELECT c.relkind, c.relowner INTO v_kind, target_owner
      FROM pg_class c WHERE c.oid = target;
    IF v_kind IS NULL OR v_kind NOT IN ('r', 'p') THEN
        RAISE EXCEPTION '"%" is not a table', target
            USING ERRCODE = 'wrong_object_type',
                  HINT = 'cq_fdw.sync writes into a regular table with a primary key; a materialized view is refreshed with cq_fdw.refresh_snapshot.';
    END IF;
    IF NOT pg_has_role(target_owner, 'USAGE') THEN
        RAISE EXCEPTION 'must be owner of table %', target
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    SELECT c.relkind INTO v_skind FROM pg_class c WHERE c.oid = source;
    IF v_skind IS NULL OR v_skind NOT IN ('r', 'p', 'v', 'm', 'f') THEN
        RAISE EXCEPTION 'sync source "%" is not a table, view or foreign table', source
            USING ERRCODE = 'wrong_object_type';
    END IF;
    IF source = target THEN
        RAISE EXCEPTION 'cannot sync table % from itself', target
            USING ERRCODE = 'invalid_parameter_value';
    END IF;

    SELECT array_agg(a.attname::text ORDER BY k.ord) INTO key_columns
      FROM pg_index i
      CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord)
      JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
     WHERE i.indrelid = target AND i.indisprimary;
    IF key_columns IS NULL THEN
        RAISE EXCEPTION 'table % has no primary key', target
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  HINT = format('cq_fdw.sync matches rows by the target''s primary key: ALTER TABLE %s ADD PRIMARY KEY (...).', target);
    END IF;

    SELECT array_agg(a.attname::text ORDER BY a.attnum),
           array_agg(format_type(a.atttypid, a.atttypmod) ORDER BY a.attnum)
      INTO columns, column_types
      FROM pg_attribute a
     WHERE a.attrelid = target AND a.attnum > 0 AND NOT a.attisdropped
       AND a.attgenerated = ''
       AND EXISTS (SELECT 1 FROM pg_attribute s
                    WHERE s.attrelid = source AND s.attnum > 0
                      AND NOT s.attisdropped AND s.attname = a.attname);
    SELECT string_agg(quote_ident(k), ', ') INTO v_miss
      FROM unnest(key_columns) AS k
     WHERE k <> ALL (coalesce(columns, '{}'));
    IF v_miss IS NOT NULL THEN
        RAISE EXCEPTION 'sync source % has no column % of the primary key of %',
            source, v_miss, target
            USING ERRCODE = 'undefined_column',
                  HINT = 'The synced columns are the target''s columns that the source has, by name.';
    END IF;

    IF cursor_column IS NOT NULL THEN
        SELECT format_type(s.atttypid, s.atttypmod) INTO cursor_type
          FROM pg_attribute s
         WHERE s.attrelid = source AND s.attnum > 0 AND NOT s.attisdropped
           AND s.attname = cursor_column;
        IF cursor_type IS NULL THEN
            RAISE EXCEPTION 'sync source % has no cursor column "%"', source, cursor_column
                USING ERRCODE = 'undefined_column';
        END IF;
    END IF;
END
$$;

-- sync(target, source, mode, cursor_column)
--   One sync of a table (see above).  CALL it outside a transaction block
--   to have its log committed even when it fails (e.g. from pg_cron).
CREATE PROCEDURE sync(target regclass, source regclass,
                      mode text DEFAULT 'delete-stale',
                      cursor_column name DEFAULT NULL)
LANGUAGE plpgsql
AS $$
#variable_conflict use_column
DECLARE
    v_target  regclass := $1;
    v_source  regclass := $2;
    v_mode    text := $3;
    v_curcol  name := $4;
    v_commit  boolean;
    v_chk     record;
    v_stcol   name;
    v_spec    record;
    v_op      text := '>';
    v_stored  text;
    v_newcur  text;
    v_started timestamptz := pg_catalog.clock_timestamp();
    v_log     bigint;
    v_select  text;
    v_where   text := '';
    v_cols    text;
    v_keys    text;
    v_set     text;
    v_cmp_t   text;
    v_cmp_e   text;
    v_plan    jsonb;
    v_dup     text;
    v_ins     bigint := 0;
    v_upd     bigint := 0;
    v_del     bigint := 0;
    v_read    bigint := 0;
    v_failed  bigint := 0;
    v_ok      boolean := false;
    v_cancel  boolean := false;
    v_err     text;
    v_detail  text;
    v_st      record;
BEGIN
    CALL cq_fdw.sync_can_commit(v_commit);

    SELECT s.cursor_column, s.cursor_value INTO v_stcol, v_stored
      FROM cq_fdw.sync_state s
     WHERE s.target = v_target AND s.source = v_source;
    -- the cursor column: given, else remembered, else the spec's
    SELECT * INTO v_spec FROM cq_fdw.sync_source_cursor(v_source);
    IF v_mode = 'incremental' AND v_curcol IS NULL THEN
        v_curcol := coalesce(v_stcol, v_spec.cursor_column);
        IF v_curcol IS NULL THEN
            RAISE EXCEPTION 'incremental sync of % from % needs a cursor column', v_target, v_source
                USING ERRCODE = 'invalid_parameter_value',
                      HINT = 'The source declares no cursor (cq_fdw.tables.cursor_column lists the tables that do).  Pass cursor_column => a column of the source that grows with every new or changed row (e.g. updated_at); it is remembered in cq_fdw.sync_state.';
        END IF;
    END IF;
    -- delete-stale and append record the max of the remembered or spec
    -- cursor column (they read every row): a later incremental sync
    -- starts from there
    IF v_mode <> 'incremental' AND v_curcol IS NULL THEN
        v_curcol := coalesce(v_stcol, v_spec.cursor_column);
        IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_attribute a
                        WHERE a.attrelid = v_source AND a.attname = v_curcol
                          AND a.attnum > 0 AND NOT a.attisdropped) THEN
            v_curcol := NULL;
        END IF;
    END IF;
    -- the spec's cursor compares as the API does: ">=" (GitHub's since)
    -- reads the rows at the stored cursor again, so a row that arrived in
    -- the same second after the last sync is not missed; the upsert
    -- rewrites none of those read before (unchanged)
    IF v_curcol = v_spec.cursor_column THEN
        v_op := v_spec.cursor_op;
    END IF;
    SELECT * INTO v_chk FROM cq_fdw.sync_check(v_target, v_source, v_mode, v_curcol);
    IF v_stcol IS DISTINCT FROM v_curcol THEN
        IF v_mode = 'incremental' AND v_stcol IS NOT NULL THEN
            RAISE NOTICE 'cursor column of % changed from % to %: reading every row',
                v_target, pg_catalog.quote_ident(v_stcol), pg_catalog.quote_ident(v_curcol);
        END IF;
        v_stored := NULL;
    END IF;

    -- SELECT list: the synced columns cast to the target's types, plus
    -- the cursor column when it is not synced
    SELECT pg_catalog.string_agg(pg_catalog.format('s.%I::%s AS %I', c, t, c), ', ' ORDER BY o),
           pg_catalog.string_agg(pg_catalog.quote_ident(c), ', ' ORDER BY o)
      INTO v_select, v_cols
      FROM ROWS FROM (pg_catalog.unnest(v_chk.columns), pg_catalog.unnest(v_chk.column_types))
           WITH ORDINALITY AS u(c, t, o);
    IF v_curcol IS NOT NULL AND v_curcol::text <> ALL (v_chk.columns) THEN
        v_select := v_select || pg_catalog.format(', s.%I', v_curcol);
    END IF;
    SELECT pg_catalog.string_agg(pg_catalog.quote_ident(k), ', ')
      INTO v_keys FROM pg_catalog.unnest(v_chk.key_columns) AS k;
    SELECT pg_catalog.string_agg(pg_catalog.format('%I = EXCLUDED.%I', c, c), ', ' ORDER BY o),
           pg_catalog.string_agg(pg_catalog.format('t.%I', c), ', ' ORDER BY o),
           pg_catalog.string_agg(pg_catalog.format('EXCLUDED.%I', c), ', ' ORDER BY o)
      INTO v_set, v_cmp_t, v_cmp_e
      FROM pg_catalog.unnest(v_chk.columns) WITH ORDINALITY AS u(c, o)
     WHERE c <> ALL (v_chk.key_columns);

    IF v_mode = 'incremental' THEN
        IF v_stored IS NULL THEN
            RAISE NOTICE 'incremental sync of % from %: no stored cursor, reading every row',
                v_target, v_source;
        ELSE
            v_where := pg_catalog.format(' WHERE s.%I %s %L::%s', v_curcol, v_op, v_stored, v_chk.cursor_type);
            EXECUTE 'EXPLAIN (FORMAT JSON) SELECT ' || v_select || ' FROM ' || v_source::text || ' s' || v_where
               INTO v_plan;
            RAISE NOTICE 'incremental sync of % from %: reading rows with % % %, %',
                v_target, v_source, pg_catalog.quote_ident(v_curcol), v_op, pg_catalog.quote_literal(v_stored),
                CASE WHEN EXISTS (
                         SELECT 1 FROM pg_catalog.jsonb_path_query(v_plan, 'strict $.**."Pushed Quals"') AS q,
                                pg_catalog.unnest(pg_catalog.string_to_array(q #>> '{}', ', ')) AS one
                          WHERE pg_catalog.starts_with(one, pg_catalog.quote_ident(v_curcol) || ' ' || v_op || ' '))
                     THEN 'sent to the API'
                     ELSE pg_catalog.format('filtered in PostgreSQL (the source does not take this column as a "%s" parameter)', v_op) END;
        END IF;
    END IF;

    INSERT INTO cq_fdw.sync_log (snapshot, mode, source, snapshot_owner, started)
    VALUES (v_target::text, v_mode, v_source::text, v_chk.target_owner, v_started)
    RETURNING id INTO v_log;
    IF v_commit THEN
        COMMIT;
    END IF;

    PERFORM cq_fdw.scan_stats_reset();
    BEGIN
        EXECUTE pg_catalog.format('LOCK TABLE %s IN SHARE ROW EXCLUSIVE MODE', v_target);
        EXECUTE 'CREATE TEMP TABLE cq_sync_rows ON COMMIT DROP AS SELECT ' || v_select
             || ' FROM ' || v_source::text || ' s' || v_where;
        EXECUTE 'SELECT pg_catalog.count(*) FROM pg_temp.cq_sync_rows' INTO v_read;
        -- a key read twice (pages that shifted while they were read): the
        -- same row twice counts once, two different rows are an error
        EXECUTE pg_catalog.format(
            'SELECT ROW(%s)::text FROM pg_temp.cq_sync_rows GROUP BY %s'
            ' HAVING pg_catalog.count(DISTINCT ROW(%s)::text) > 1 LIMIT 1',
            v_keys, v_keys, v_cols) INTO v_dup;
        IF v_dup IS NOT NULL THEN
            RAISE EXCEPTION 'the rows read from % repeat the primary key of % with different values: (%) = %',
                v_source, v_target, v_keys, v_dup
                USING ERRCODE = 'cardinality_violation';
        END IF;
        EXECUTE pg_catalog.format(
            'DELETE FROM pg_temp.cq_sync_rows a USING pg_temp.cq_sync_rows b'
            ' WHERE (%s) = (%s) AND a.ctid > b.ctid',
            (SELECT pg_catalog.string_agg(pg_catalog.format('a.%I', k), ', ')
               FROM pg_catalog.unnest(v_chk.key_columns) AS k),
            (SELECT pg_catalog.string_agg(pg_catalog.format('b.%I', k), ', ')
               FROM pg_catalog.unnest(v_chk.key_columns) AS k));

        IF v_mode = 'append' OR v_set IS NULL THEN
            EXECUTE pg_catalog.format(
                'WITH u AS (INSERT INTO %s (%s) SELECT %s FROM pg_temp.cq_sync_rows'
                ' ON CONFLICT (%s) DO NOTHING RETURNING 1) SELECT pg_catalog.count(*) FROM u',
                v_target, v_cols, v_cols, v_keys) INTO v_ins;
        ELSE
            EXECUTE pg_catalog.format(
                'WITH u AS (INSERT INTO %s AS t (%s) SELECT %s FROM pg_temp.cq_sync_rows'
                ' ON CONFLICT (%s) DO UPDATE SET %s'
                ' WHERE ROW(%s)::text IS DISTINCT FROM ROW(%s)::text'
                ' RETURNING t.xmax = 0 AS inserted)'
                ' SELECT pg_catalog.count(*) FILTER (WHERE inserted),'
                '        pg_catalog.count(*) FILTER (WHERE NOT inserted) FROM u',
                v_target, v_cols, v_cols, v_keys, v_set, v_cmp_t, v_cmp_e)
               INTO v_ins, v_upd;
        END IF;

        -- a fan-out unit skipped under on_error 'skip_failed' (an account,
        -- a region) returned no rows: its rows in the target are not stale,
        -- they are unknown.  Delete nothing rather than lose them.
        SELECT s.units_failed INTO v_failed FROM cq_fdw.scan_stats() s;
        IF v_mode = 'delete-stale' AND v_failed > 0 THEN
            RAISE WARNING 'sync of % from %: % fan-out unit(s) failed and were skipped; no stale rows deleted',
                v_target, v_source, v_failed
                USING HINT = 'Rows of the failed units would have looked stale.  The next sync without failures deletes the stale rows.';
        ELSIF v_mode = 'delete-stale' THEN
            EXECUTE pg_catalog.format(
                'DELETE FROM %s t WHERE NOT EXISTS (SELECT FROM pg_temp.cq_sync_rows s'
                ' WHERE (%s) = (%s))',
                v_target,
                (SELECT pg_catalog.string_agg(pg_catalog.format('s.%I', k), ', ')
                   FROM pg_catalog.unnest(v_chk.key_columns) AS k),
                (SELECT pg_catalog.string_agg(pg_catalog.format('t.%I', k), ', ')
                   FROM pg_catalog.unnest(v_chk.key_columns) AS k));
            GET DIAGNOSTICS v_del = ROW_COUNT;
        END IF;

        IF v_curcol IS NOT NULL THEN
            EXECUTE pg_catalog.format(
                'SELECT pg_catalog.to_jsonb(pg_catalog.max(%I)) #>> ''{}'' FROM pg_temp.cq_sync_rows',
                v_curcol) INTO v_newcur;
            v_newcur := coalesce(v_newcur, v_stored);
        END IF;
        DROP TABLE pg_temp.cq_sync_rows;
        v_ok := true;
    EXCEPTION
        WHEN query_canceled THEN
            v_cancel := true;
            v_err := 'canceled';
        WHEN OTHERS THEN
            GET STACKED DIAGNOSTICS v_err = MESSAGE_TEXT,
                                    v_detail = PG_EXCEPTION_DETAIL;
            IF v_detail <> '' THEN
                v_err := v_err || ': ' || v_detail;
            END IF;
    END;
    IF NOT v_ok THEN
        v_ins := 0; v_upd := 0; v_del := 0;
    END IF;

    SELECT * INTO v_st FROM cq_fdw.scan_stats();
    UPDATE cq_fdw.sync_log l
       SET finished = pg_catalog.clock_timestamp(),
           rows = v_st.rows, requests = v_st.requests, bytes = v_st.bytes,
           retries = v_st.retries,
           status = CASE WHEN v_ok THEN 'ok' ELSE 'failed' END,
           error = pg_catalog.left(v_err, 2000),
           rows_inserted = v_ins, rows_updated = v_upd, rows_deleted = v_del
     WHERE l.id = v_log;
    INSERT INTO cq_fdw.sync_state AS s
           (target, source, mode, cursor_column, cursor_value, last_sync,
            last_success, last_error, last_error_at, target_owner)
    VALUES (v_target, v_source, v_mode,
            CASE WHEN v_ok THEN v_curcol END, CASE WHEN v_ok THEN v_newcur END,
            v_started,
            CASE WHEN v_ok THEN pg_catalog.clock_timestamp() END,
            CASE WHEN NOT v_ok THEN pg_catalog.left(v_err, 2000) END,
            CASE WHEN NOT v_ok THEN pg_catalog.clock_timestamp() END,
            v_chk.target_owner)
    ON CONFLICT ON CONSTRAINT sync_state_pkey DO UPDATE
       SET mode = EXCLUDED.mode,
           last_sync = EXCLUDED.last_sync,
           cursor_column = CASE WHEN v_ok THEN EXCLUDED.cursor_column ELSE s.cursor_column END,
           cursor_value = CASE WHEN v_ok THEN EXCLUDED.cursor_value ELSE s.cursor_value END,
           last_success = coalesce(EXCLUDED.last_success, s.last_success),
           last_error = CASE WHEN v_ok THEN s.last_error ELSE EXCLUDED.last_error END,
           last_error_at = CASE WHEN v_ok THEN s.last_error_at ELSE EXCLUDED.last_error_at END;
    IF v_commit THEN
        COMMIT;
    END IF;

    IF v_cancel THEN
        RAISE EXCEPTION 'canceling sync of %', v_target
            USING ERRCODE = 'query_canceled';
    END IF;
    IF NOT v_ok THEN
        RAISE WARNING 'sync of % from % failed: %', v_target, v_source, v_err
            USING HINT = 'The target and the stored cursor are unchanged; see cq_fdw.sync_log.';
        RETURN;
    END IF;
    RAISE NOTICE 'synced % from % (%): % inserted, % updated, % deleted; % rows read in % API requests',
        v_target, v_source, v_mode, v_ins, v_upd, v_del, v_read, v_st.requests
        USING DETAIL = pg_catalog.format('%s bytes in %s s%s.', v_st.bytes,
            pg_catalog.round(extract(epoch FROM pg_catalog.clock_timestamp() - v_started)::numeric, 3),
            CASE WHEN v_curcol IS NULL THEN ''
                 ELSE pg_catalog.format('; cursor %I = %s', v_curcol, coalesce(v_newcur, 'NULL')) END);
END
$$;

-- sync_schema(target_schema, source_schema, mode, part, parts)
--   cq_fdw.sync() of every table of target_schema (name order) from the
--   relation of the same name in source_schema; tables without one are
--   not synced.  Each sync commits on its own and is logged; one failing
--   (or refused: no primary key, incremental without a cursor column)
--   does not stop the others, and a WARNING counts the failures.
--   Incremental syncs use the cursor column remembered in
--   cq_fdw.sync_state (name it once with cq_fdw.sync), else the source
--   spec's cursor.  part/parts split
--   the tables (the i-th in name order goes to part i % parts) so that
--   `parts` jobs run at most `parts` syncs at once.
CREATE PROCEDURE sync_schema(target_schema text, source_schema text,
                             mode text DEFAULT 'delete-stale',
                             part integer DEFAULT 0, parts integer DEFAULT 1)
LANGUAGE plpgsql
AS $$
#variable_conflict use_column
DECLARE
    v_mode   text := $3;
    v_part   integer := $4;
    v_parts  integer := $5;
    v_pairs  regclass[];
    v_srcs   regclass[];
    v_i      integer;
    v_fail   integer := 0;
    v_err    text;
    v_curcol name;
    v_last   text;
BEGIN
    IF v_parts IS NULL OR v_parts < 1 OR v_part IS NULL OR v_part < 0 OR v_part >= v_parts THEN
        RAISE EXCEPTION 'invalid part % of %', v_part, v_parts
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'parts is at least 1 and part is between 0 and parts - 1.';
    END IF;
    SELECT pg_catalog.array_agg(x.t ORDER BY x.n), pg_catalog.array_agg(x.s ORDER BY x.n)
      INTO v_pairs, v_srcs
      FROM (SELECT t.oid::regclass AS t, s.oid::regclass AS s, t.relname AS n,
                   pg_catalog.row_number() OVER (ORDER BY t.relname) - 1 AS i
              FROM pg_catalog.pg_class t
              JOIN pg_catalog.pg_class s
                ON s.relname = t.relname
               AND s.relnamespace = $2::regnamespace
               AND s.relkind IN ('r', 'p', 'v', 'm', 'f')
             WHERE t.relnamespace = $1::regnamespace
               AND t.relkind IN ('r', 'p')
               AND t.oid <> s.oid) x
     WHERE x.i % v_parts = v_part;
    IF v_pairs IS NULL THEN
        RETURN;
    END IF;
    FOR v_i IN 1 .. pg_catalog.cardinality(v_pairs) LOOP
        v_curcol := NULL;
        BEGIN
            IF v_mode = 'incremental' THEN
                SELECT st.cursor_column INTO v_curcol FROM cq_fdw.sync_state st
                 WHERE st.target = v_pairs[v_i] AND st.source = v_srcs[v_i];
                IF v_curcol IS NULL THEN
                    SELECT c.cursor_column INTO v_curcol
                      FROM cq_fdw.sync_source_cursor(v_srcs[v_i]) c;
                END IF;
                IF v_curcol IS NULL THEN
                    RAISE EXCEPTION 'incremental sync of % from % needs a cursor column',
                        v_pairs[v_i], v_srcs[v_i]
                        USING ERRCODE = 'invalid_parameter_value';
                END IF;
            END IF;
            PERFORM cq_fdw.sync_check(v_pairs[v_i], v_srcs[v_i], v_mode, v_curcol);
        EXCEPTION WHEN OTHERS THEN
            GET STACKED DIAGNOSTICS v_err = MESSAGE_TEXT;
            v_fail := v_fail + 1;
            RAISE WARNING 'not syncing % from %: %', v_pairs[v_i], v_srcs[v_i], v_err;
            -- logged when the caller may log for the target (its owner)
            BEGIN
                INSERT INTO cq_fdw.sync_log (snapshot, mode, source, snapshot_owner,
                                             finished, status, error)
                SELECT v_pairs[v_i]::text,
                       CASE WHEN v_mode IN ('delete-stale', 'append', 'incremental')
                            THEN v_mode ELSE 'refresh' END,
                       v_srcs[v_i]::text, c.relowner, pg_catalog.clock_timestamp(),
                       'failed', pg_catalog.left(v_err, 2000)
                  FROM pg_catalog.pg_class c WHERE c.oid = v_pairs[v_i];
            EXCEPTION WHEN insufficient_privilege THEN
                NULL;
            END;
            CONTINUE;
        END;
        CALL cq_fdw.sync(v_pairs[v_i], v_srcs[v_i], v_mode, v_curcol);
        SELECT l.status INTO v_last FROM cq_fdw.sync_log l
         WHERE l.id = (SELECT pg_catalog.max(l2.id) FROM cq_fdw.sync_log l2
                        WHERE l2.snapshot = v_pairs[v_i]::text);
        IF v_last IS DISTINCT FROM 'ok' THEN
            v_fail := v_fail + 1;
        END IF;
    END LOOP;
    IF v_fail > 0 THEN
        RAISE WARNING '% of % tables in schema % failed to sync',
            v_fail, pg_catalog.cardinality(v_pairs), $1
            USING HINT = 'See cq_fdw.sync_log.';
    END IF;
END
$$;

-- Shared state (src/shmem.c, progress.c, ratelimit.c, cache.c; README:
-- Shared state).  With shared_preload_libraries = 'cq_fdw' these show every
-- backend; without it, the caller's backend only.

CREATE FUNCTION scan_progress_info(
    OUT pid int, OUT datid oid, OUT usename name, OUT relid oid,
    OUT table_name text, OUT started timestamptz, OUT scans int,
    OUT requests bigint, OUT in_flight bigint, OUT pages bigint,
    OUT rows bigint, OUT bytes bigint, OUT retries bigint,
    OUT ratelimit_waits bigint, OUT ratelimit_wait_ms float8,
    OUT total_rows bigint, OUT total_pages bigint, OUT percent float8,
    OUT plan_node_id int)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'cq_fdw_scan_progress'
LANGUAGE C VOLATILE PARALLEL RESTRICTED;

CREATE VIEW scan_progress AS SELECT * FROM scan_progress_info();
COMMENT ON VIEW scan_progress IS
  'cq_fdw scans running now, one row per scan: a query''s several scans are told apart by plan_node_id (another role''s scan shows only pid, user and start)';
GRANT SELECT ON scan_progress TO PUBLIC;

CREATE FUNCTION rate_limits_info(
    OUT serverid oid, OUT requests_per_second float8, OUT burst int,
    OUT current_rps float8, OUT throttled bigint, OUT waits bigint,
    OUT blocked_ms bigint, OUT scans int)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'cq_fdw_rate_limits'
LANGUAGE C VOLATILE PARALLEL RESTRICTED;

CREATE VIEW rate_limits AS
SELECT s.srvname AS server, r.requests_per_second, r.burst, r.current_rps,
       r.throttled, r.waits, r.blocked_ms, r.scans
  FROM rate_limits_info() r
  JOIN pg_catalog.pg_foreign_server s ON s.oid = r.serverid;
COMMENT ON VIEW rate_limits IS
  'cq_fdw rate-limit buckets (one per server and credential in use): pace, 429s seen, waits';
GRANT SELECT ON rate_limits TO PUBLIC;

CREATE FUNCTION cache_info(
    OUT entries bigint, OUT bytes bigint, OUT hits bigint, OUT misses bigint,
    OUT max_bytes bigint, OUT shared boolean)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'cq_fdw_cache_info'
LANGUAGE C VOLATILE PARALLEL RESTRICTED;

CREATE VIEW cache AS SELECT * FROM cache_info();
COMMENT ON VIEW cache IS
  'cq_fdw cache of scan results (option cache_ttl): live entries, bytes on disk, hits and misses since server start';
GRANT SELECT ON cache TO PUBLIC;

CREATE FUNCTION cache_clear(server name DEFAULT NULL)
RETURNS bigint
AS 'MODULE_PATHNAME', 'cq_fdw_cache_clear'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION cache_clear(name) IS
  'drop the cached results of one server (needs USAGE on it), or of every server (superuser); returns how many';
