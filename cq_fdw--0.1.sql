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
    OUT row_estimate float8)
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
    snapshot_owner oid NOT NULL             -- row visibility (RLS)
);
CREATE INDEX sync_log_snapshot_idx ON sync_log (snapshot, started);
COMMENT ON TABLE sync_log IS 'One row per snapshot sync (cq_fdw.create_snapshot, refresh_snapshot, refresh_all)';

ALTER TABLE snapshots ENABLE ROW LEVEL SECURITY;
CREATE POLICY snapshots_owner ON snapshots
  USING (EXISTS (SELECT 1 FROM pg_catalog.pg_class c
                  WHERE c.oid = snapshots.name
                    AND pg_catalog.pg_has_role(c.relowner, 'USAGE')));
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
  WITH CHECK (EXISTS (SELECT 1 FROM pg_catalog.pg_class c
                       WHERE c.oid = pg_catalog.to_regclass(sync_log.snapshot)
                         AND c.relowner = sync_log.snapshot_owner
                         AND pg_catalog.pg_has_role(c.relowner, 'USAGE')));

GRANT SELECT, INSERT, DELETE ON snapshots TO PUBLIC;
GRANT SELECT, INSERT, DELETE ON sync_log TO PUBLIC;
GRANT UPDATE (finished, rows, requests, bytes, retries, status, error)
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

-- A dropped snapshot leaves cq_fdw.snapshots at once (DROP MATERIALIZED
-- VIEW, DROP SCHEMA/SERVER ... CASCADE, DROP OWNED).  SECURITY DEFINER
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
END
$$;
REVOKE ALL ON FUNCTION snapshots_forget_dropped() FROM PUBLIC;
CREATE EVENT TRIGGER cq_fdw_snapshots_forget_dropped ON sql_drop
    EXECUTE FUNCTION snapshots_forget_dropped();
