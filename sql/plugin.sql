-- A compiled plugin (sources/example, built out of tree with PGXS against the
-- installed cq_sdk.h by test/plugin/run.sh) is a source like any other.
CREATE EXTENSION IF NOT EXISTS cq_fdw;
SET client_min_messages = warning;
SELECT name, kind, version FROM cq_fdw.sources WHERE name = 'example';
SELECT name, key_columns, primary_key FROM cq_fdw.tables WHERE source = 'example' ORDER BY name;
CREATE SERVER ex FOREIGN DATA WRAPPER cq_fdw
  OPTIONS (source 'example', base_url 'http://127.0.0.1:18080');
CREATE SCHEMA example;
IMPORT FOREIGN SCHEMA example FROM SERVER ex INTO example;
-- name_upper and team_number come from the plugin's transform_row hook
SELECT id, name, name_upper, team_number FROM example.example_items ORDER BY id LIMIT 5;
SELECT count(*), count(DISTINCT id) FROM example.example_items;
SELECT account_id, count(*) FROM example.example_account_items
 WHERE account_id IN ('1', '2') GROUP BY 1 ORDER BY 1;
-- a required key is missing
SELECT * FROM example.example_account_items;
DROP SCHEMA example CASCADE;
DROP SERVER ex CASCADE;
