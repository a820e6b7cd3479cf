-- Option validation on every catalog level, credentials only on user
-- mappings, and the privilege rules for base_url / endpoint / ca_file.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS cq_fdw;
\set VERBOSITY default

-- the wrapper takes no options
ALTER FOREIGN DATA WRAPPER cq_fdw OPTIONS (ADD source 'rest');

-- server: unknown option with a close match, then with none
CREATE SERVER s_opt FOREIGN DATA WRAPPER cq_fdw OPTIONS (sorce 'rest');
CREATE SERVER s_opt FOREIGN DATA WRAPPER cq_fdw OPTIONS (source 'rest', base_ulr 'http://127.0.0.1:18080');
-- source must be installed
CREATE SERVER s_opt FOREIGN DATA WRAPPER cq_fdw OPTIONS (source 'githbu');
CREATE SERVER s_opt FOREIGN DATA WRAPPER cq_fdw OPTIONS (source 'no_such_source_xyz');
-- base_url must be an http(s) URL
CREATE SERVER s_opt FOREIGN DATA WRAPPER cq_fdw OPTIONS (source 'rest', base_url 'ftp://127.0.0.1/');
CREATE SERVER s_opt FOREIGN DATA WRAPPER cq_fdw OPTIONS (source 'rest', base_url 'http://');
-- credentials belong on the user mapping
CREATE SERVER s_opt FOREIGN DATA WRAPPER cq_fdw OPTIONS (source 'rest', token 'canary-XYZ-secret');
CREATE SERVER s_opt FOREIGN DATA WRAPPER cq_fdw OPTIONS (source 'rest', password 'canary-XYZ-secret');
-- bad values
CREATE SERVER s_opt FOREIGN DATA WRAPPER cq_fdw OPTIONS (source 'rest', concurrency '0');
CREATE SERVER s_opt FOREIGN DATA WRAPPER cq_fdw OPTIONS (source 'rest', concurrency 'many');
CREATE SERVER s_opt FOREIGN DATA WRAPPER cq_fdw OPTIONS (source 'rest', max_retries '-1');
CREATE SERVER s_opt FOREIGN DATA WRAPPER cq_fdw OPTIONS (source 'rest', memory_budget '12 parsecs');
CREATE SERVER s_opt FOREIGN DATA WRAPPER cq_fdw OPTIONS (source 'rest', strict 'maybe');
CREATE SERVER s_opt FOREIGN DATA WRAPPER cq_fdw OPTIONS (source 'rest', ca_file 'relative/ca.pem');
-- a valid server, with units on sizes and durations
CREATE SERVER s_opt FOREIGN DATA WRAPPER cq_fdw OPTIONS (
    source 'rest', base_url 'http://127.0.0.1:18080', concurrency '8',
    memory_budget '16MB', request_timeout '30s', max_retries '0',
    strict 'true', skip_failed 'off', insecure 'false',
    ca_file '/etc/ssl/certs/ca-certificates.crt');
ALTER SERVER s_opt OPTIONS (SET concurrency '-3');
ALTER SERVER s_opt OPTIONS (ADD secret_access_key 'canary-XYZ-secret');

-- user mapping: credentials are fine here, other names are not
CREATE USER MAPPING FOR CURRENT_USER SERVER s_opt OPTIONS (tokn 'canary-XYZ-secret');
CREATE USER MAPPING FOR CURRENT_USER SERVER s_opt OPTIONS (token '');
CREATE USER MAPPING FOR CURRENT_USER SERVER s_opt OPTIONS (base_url 'http://127.0.0.1:18080');
CREATE USER MAPPING FOR CURRENT_USER SERVER s_opt
    OPTIONS (token 'canary-XYZ-secret', user 'u', password 'canary-XYZ-secret',
             access_key_id 'AKIA', secret_access_key 'canary-XYZ-secret');

-- foreign table options
CREATE FOREIGN TABLE t_opt (id bigint) SERVER s_opt OPTIONS (endpoitn '/gen/link/items');
CREATE FOREIGN TABLE t_opt (id bigint) SERVER s_opt OPTIONS (endpoint '/gen/link/items', token 'canary-XYZ-secret');
CREATE FOREIGN TABLE t_opt (id bigint) SERVER s_opt OPTIONS (endpoint 'gen/link/items');
CREATE FOREIGN TABLE t_opt (id bigint) SERVER s_opt OPTIONS (endpoint '/gen/link/items', pagination 'cursor');
CREATE FOREIGN TABLE t_opt (id bigint) SERVER s_opt OPTIONS (endpoint '/gen/link/items', page_size '0');
CREATE FOREIGN TABLE t_opt (id bigint) SERVER s_opt OPTIONS (endpoint '/gen/link/items', row_estimate '-5');
CREATE FOREIGN TABLE t_opt (id bigint) SERVER s_opt OPTIONS (endpoint '/gen/link/items', skip_failed 'perhaps');
CREATE FOREIGN TABLE t_opt (id bigint) SERVER s_opt OPTIONS (endpoint '/gen/link/items', primary_key '');
CREATE FOREIGN TABLE t_opt (id bigint) SERVER s_opt OPTIONS (endpoint '/gen/link/items', base_url 'http://127.0.0.1:18080');
CREATE FOREIGN TABLE t_opt (
    id bigint OPTIONS (path '/id'),
    owner text OPTIONS (key 'true'),
    tags text[] OPTIONS (path '/tags/*/name')
) SERVER s_opt OPTIONS (
    endpoint '/gen/next_token/items?per_page=10', rows '/items',
    pagination 'next_token', next '/next_token', next_param 'token',
    page_size_param 'per_page', page_size '10', primary_key 'id',
    row_estimate '250', strict 'false', skip_failed 'true', concurrency '4',
    "table" 'items');

-- column options
ALTER FOREIGN TABLE t_opt ALTER COLUMN id OPTIONS (pth '/id');
ALTER FOREIGN TABLE t_opt ALTER COLUMN id OPTIONS (nothing_like_it 'x');
ALTER FOREIGN TABLE t_opt ALTER COLUMN id OPTIONS (token 'canary-XYZ-secret');
ALTER FOREIGN TABLE t_opt ALTER COLUMN owner OPTIONS (SET key 'sometimes');
ALTER FOREIGN TABLE t_opt ALTER COLUMN id OPTIONS (SET path 'id');

-- the options as stored (no credential is visible outside the user mapping)
SELECT srvname, srvoptions FROM pg_foreign_server WHERE srvname = 's_opt';
SELECT ftoptions FROM pg_foreign_table WHERE ftrelid = 't_opt'::regclass;
SELECT attname, attfdwoptions FROM pg_attribute
 WHERE attrelid = 't_opt'::regclass AND attnum > 0 ORDER BY attnum;

-- cq_fdw.* names are reserved
SET cq_fdw.no_such_setting = 1;
SET cq_fdw.concurrency = 0;
SET cq_fdw.memory_budget = '32MB';
SHOW cq_fdw.memory_budget;
RESET cq_fdw.memory_budget;

-- privileges: a non-superuser may not point cq_fdw at arbitrary hosts
CREATE ROLE regress_cq_user;
GRANT USAGE ON FOREIGN DATA WRAPPER cq_fdw TO regress_cq_user;
GRANT CREATE ON SCHEMA public TO regress_cq_user;
SET ROLE regress_cq_user;
SHOW cq_fdw.allowed_hosts;
CREATE SERVER s_user FOREIGN DATA WRAPPER cq_fdw OPTIONS (source 'rest', base_url 'http://127.0.0.1:18080');
CREATE SERVER s_user FOREIGN DATA WRAPPER cq_fdw OPTIONS (source 'rest', base_url 'http://169.254.169.254/latest/meta-data');
CREATE SERVER s_user FOREIGN DATA WRAPPER cq_fdw OPTIONS (source 'rest', ca_file '/etc/passwd');
SET cq_fdw.allowed_hosts = '127.0.0.1';
-- without base_url: fine (its tables need an absolute endpoint then, which
-- only a superuser may give: README.md (Privileges))
CREATE SERVER s_user FOREIGN DATA WRAPPER cq_fdw OPTIONS (source 'rest');
CREATE FOREIGN TABLE t_user (id bigint) SERVER s_user
    OPTIONS (endpoint 'http://169.254.169.254/latest/meta-data');
RESET ROLE;

-- a superuser allows the mock's host
SET cq_fdw.allowed_hosts = '127.0.0.1, *.example.com, 10.0.0.0/8';
SET ROLE regress_cq_user;
ALTER SERVER s_user OPTIONS (ADD base_url 'http://127.0.0.1:18080');
ALTER SERVER s_user OPTIONS (SET base_url 'https://api.example.com/v1');
ALTER SERVER s_user OPTIONS (SET base_url 'http://10.1.2.3:8080/');
ALTER SERVER s_user OPTIONS (SET base_url 'http://11.1.2.3:8080/');
ALTER SERVER s_user OPTIONS (SET base_url 'http://169.254.169.254/');
-- an absolute endpoint, even to an allowed host: superusers only
CREATE FOREIGN TABLE t_user (id bigint) SERVER s_user
    OPTIONS (endpoint 'http://127.0.0.1:18080/gen/link/items');
CREATE FOREIGN TABLE t_user (id bigint) SERVER s_user
    OPTIONS (endpoint '/gen/link/items');
CREATE FOREIGN TABLE t_user2 (id bigint) SERVER s_user
    OPTIONS (endpoint 'http://example.org/items');
RESET ROLE;
RESET cq_fdw.allowed_hosts;

-- clean up
DROP FOREIGN TABLE t_user;
DROP SERVER s_user;
REVOKE CREATE ON SCHEMA public FROM regress_cq_user;
REVOKE USAGE ON FOREIGN DATA WRAPPER cq_fdw FROM regress_cq_user;
DROP ROLE regress_cq_user;
DROP SERVER s_opt CASCADE;
