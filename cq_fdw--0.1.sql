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
