-- statement_timeout (like a cancel) interrupts a scan waiting on a slow API
-- at once, reports 57014, and leaves the session usable.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS cq_fdw;
CREATE SERVER qc_srv FOREIGN DATA WRAPPER cq_fdw
    OPTIONS (source 'rest', base_url 'http://127.0.0.1:18080');
CREATE USER MAPPING FOR CURRENT_USER SERVER qc_srv
    OPTIONS (token 'canary-XYZ-secret');
CREATE FOREIGN TABLE qc_t (id bigint, name text) SERVER qc_srv
    OPTIONS (endpoint '/gen/link/qc_t?n=10&shape=small', pagination 'link_header');

\! curl -s 'http://127.0.0.1:18080/_mock/reset' > /dev/null
\! curl -s 'http://127.0.0.1:18080/_mock/fault?route=/gen/link/qc_t&mode=slow&delay_ms=30000' > /dev/null
SET statement_timeout = '500ms';
SELECT count(*) FROM qc_t;
\echo :LAST_ERROR_SQLSTATE
RESET statement_timeout;
\! curl -s 'http://127.0.0.1:18080/_mock/faults?clear=1' > /dev/null
SELECT count(*), sum(id) FROM qc_t;

-- a stalled body, inside a transaction block and a cursor
\! curl -s 'http://127.0.0.1:18080/_mock/fault?route=/gen/link/qc_t&mode=stall&delay_ms=30000' > /dev/null
BEGIN;
SET LOCAL statement_timeout = '300ms';
DECLARE c CURSOR FOR SELECT id FROM qc_t;
FETCH 1 FROM c;
ROLLBACK;
\! curl -s 'http://127.0.0.1:18080/_mock/faults?clear=1' > /dev/null
SELECT count(*) FROM qc_t;
