-- Hostile API responses (issue 8, point 4; README.md (Security) "What the tests
-- prove"): every limit has a mock route built to break it.  Each gives a
-- clear ERROR naming the limit and the setting that raises it, nothing
-- hangs (small timeouts), and the backend survives: the temporary table
-- created first is still there at the end (a crashed backend loses it) and
-- a normal scan works after each failure.  API text never reaches a format
-- string: an API message full of %n comes back verbatim.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS cq_fdw;
\set VERBOSITY default
SET cq_fdw.max_retries = 0;
CREATE TEMP TABLE hostile_alive AS SELECT 'same backend' AS alive;
\! curl -s 'http://127.0.0.1:18080/_mock/reset' > /dev/null

CREATE SERVER hostile FOREIGN DATA WRAPPER cq_fdw
    OPTIONS (source 'rest', base_url 'http://127.0.0.1:18080');
CREATE FOREIGN TABLE hostile_ok (id bigint) SERVER hostile
    OPTIONS (endpoint '/gen/link/hostile_ok?n=10&shape=small');

-- response size: a body that never ends, and a gzip bomb
SET cq_fdw.max_response_size = '256kB';
CREATE FOREIGN TABLE hostile_stream (id bigint) SERVER hostile
    OPTIONS (endpoint '/hostile/stream', rows '/items');
SELECT count(*) FROM hostile_stream;
\echo :LAST_ERROR_SQLSTATE
CREATE FOREIGN TABLE hostile_bomb (id bigint) SERVER hostile
    OPTIONS (endpoint '/hostile/bomb?mb=64', rows '/items');
SELECT count(*) FROM hostile_bomb;
\echo :LAST_ERROR_SQLSTATE
RESET cq_fdw.max_response_size;
-- the default limit (128MB) stops a 1 GiB bomb too
CREATE FOREIGN TABLE hostile_bomb_1g (id bigint) SERVER hostile
    OPTIONS (endpoint '/hostile/bomb', rows '/items');
SELECT count(*) FROM hostile_bomb_1g;
\echo :LAST_ERROR_SQLSTATE
SELECT count(*), sum(id) FROM hostile_ok;

-- JSON nesting depth: 100000 nested arrays against the default 256
CREATE FOREIGN TABLE hostile_deep (id bigint) SERVER hostile
    OPTIONS (endpoint '/hostile/deep?depth=100000', rows '/items');
SELECT count(*) FROM hostile_deep;
\echo :LAST_ERROR_SQLSTATE
-- within the limit: each row is an array, so id is NULL
CREATE FOREIGN TABLE hostile_deep_ok (id bigint) SERVER hostile
    OPTIONS (endpoint '/hostile/deep?depth=200', rows '/items');
SELECT count(*), count(id) FROM hostile_deep_ok;

-- string length: a 2 MiB string against a 1MB limit, then allowed
CREATE FOREIGN TABLE hostile_long (id bigint, s text) SERVER hostile
    OPTIONS (endpoint '/hostile/longstring?mb=2');
SET cq_fdw.max_string_size = '1MB';
SELECT id, length(s) FROM hostile_long;
\echo :LAST_ERROR_SQLSTATE
RESET cq_fdw.max_string_size;
SELECT id, length(s) FROM hostile_long;

-- array length: 20000 rows in one page against a limit of 10000
CREATE FOREIGN TABLE hostile_array (id bigint) SERVER hostile
    OPTIONS (endpoint '/hostile/bigarray?n=20000');
SET cq_fdw.max_array_length = 10000;
SELECT count(*) FROM hostile_array;
\echo :LAST_ERROR_SQLSTATE
RESET cq_fdw.max_array_length;
SELECT count(*), sum(id) FROM hostile_array;

-- header size: an 80 KiB header against the default 64kB, then allowed;
-- a 256 KiB header (beyond what libcurl itself buffers) is the same limit
CREATE FOREIGN TABLE hostile_header (id bigint) SERVER hostile
    OPTIONS (endpoint '/hostile/bigheader?kb=80');
SELECT count(*) FROM hostile_header;
\echo :LAST_ERROR_SQLSTATE
SET cq_fdw.max_header_size = '128kB';
SELECT count(*) FROM hostile_header;
RESET cq_fdw.max_header_size;
CREATE FOREIGN TABLE hostile_header_huge (id bigint) SERVER hostile
    OPTIONS (endpoint '/hostile/bigheader?kb=256');
\set VERBOSITY terse
SELECT count(*) FROM hostile_header_huge;
\set VERBOSITY default
\echo :LAST_ERROR_SQLSTATE
SELECT count(*), sum(id) FROM hostile_ok;

-- no hang: a Content-Length that is never fulfilled, and slowloris in the
-- headers and in the body, each stopped by request_timeout
SET cq_fdw.request_timeout = '500ms';
CREATE FOREIGN TABLE hostile_short (id bigint) SERVER hostile
    OPTIONS (endpoint '/hostile/short?hold_s=30');
SELECT count(*) FROM hostile_short;
\echo :LAST_ERROR_SQLSTATE
CREATE FOREIGN TABLE hostile_slowloris (id bigint) SERVER hostile
    OPTIONS (endpoint '/hostile/slowloris?interval_ms=100');
SELECT count(*) FROM hostile_slowloris;
\echo :LAST_ERROR_SQLSTATE
CREATE FOREIGN TABLE hostile_slowbody (id bigint) SERVER hostile
    OPTIONS (endpoint '/hostile/slowloris?interval_ms=100&phase=body');
SELECT count(*) FROM hostile_slowbody;
\echo :LAST_ERROR_SQLSTATE
RESET cq_fdw.request_timeout;
SELECT count(*), sum(id) FROM hostile_ok;

-- \u0000: jansson never accepts NUL in an object key, so /hostile/nul (one
-- key has one) is invalid JSON; a raw NUL byte is invalid JSON anyway
CREATE FOREIGN TABLE hostile_nul (id bigint, name text) SERVER hostile
    OPTIONS (endpoint '/hostile/nul');
\set VERBOSITY terse
SELECT * FROM hostile_nul;
\echo :LAST_ERROR_SQLSTATE
CREATE FOREIGN TABLE hostile_nul_raw (id bigint, name text) SERVER hostile
    OPTIONS (endpoint '/hostile/nul?raw=1');
SELECT * FROM hostile_nul_raw;
\echo :LAST_ERROR_SQLSTATE
\set VERBOSITY default
-- NUL in string values only (test/fixtures/security/nul.json): stripped, as
-- documented for the string type (text cannot hold NUL)
CREATE FOREIGN TABLE hostile_nul_values (id bigint, name text) SERVER hostile
    OPTIONS (endpoint '/replay/security/nul/items');
SELECT id, name, length(name) FROM hostile_nul_values ORDER BY id;

-- API text is never a format string (test/fixtures/security/fmt.json):
-- messages and invalid values with %s%n%x come back verbatim (control
-- characters replaced)
CREATE FOREIGN TABLE hostile_fmt_400 (id bigint) SERVER hostile
    OPTIONS (endpoint '/replay/security/fmt/items/error');
SELECT * FROM hostile_fmt_400;
CREATE FOREIGN TABLE hostile_fmt_503 (id bigint) SERVER hostile
    OPTIONS (endpoint '/replay/security/fmt/items/server');
SELECT * FROM hostile_fmt_503;
CREATE FOREIGN TABLE hostile_fmt_values (id bigint, n bigint, ip inet) SERVER hostile
    OPTIONS (endpoint '/replay/security/fmt/items/values');
SELECT * FROM hostile_fmt_values ORDER BY id;
SET cq_fdw.strict = on;
SELECT * FROM hostile_fmt_values ORDER BY id;
RESET cq_fdw.strict;

-- after all of that: the same backend, scanning normally
SELECT * FROM hostile_alive;
SELECT count(*), sum(id) FROM hostile_ok;

DROP SERVER hostile CASCADE;
