-- Resolution of rest tables and servers when a query is planned: errors
-- raised before any request is sent (no mock needed).
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS cq_fdw;

CREATE SERVER ro FOREIGN DATA WRAPPER cq_fdw
    OPTIONS (source 'rest', base_url 'http://127.0.0.1:18080');
-- endpoint is required
CREATE FOREIGN TABLE ro_noendpoint (id bigint) SERVER ro OPTIONS (pagination 'link_header');
SELECT * FROM ro_noendpoint;
-- every {placeholder} must be a column
CREATE FOREIGN TABLE ro_badparam (id bigint) SERVER ro OPTIONS (endpoint '/accounts/{account}/items');
SELECT * FROM ro_badparam;
-- next_token pagination needs `next`
CREATE FOREIGN TABLE ro_nonext (id bigint) SERVER ro OPTIONS (endpoint '/gen/next_token/items', pagination 'next_token');
SELECT * FROM ro_nonext;
-- columns of rest tables are lower_snake names
CREATE FOREIGN TABLE ro_case ("Id" bigint) SERVER ro OPTIONS (endpoint '/gen/link/items');
SELECT * FROM ro_case;
-- a relative endpoint needs a base_url
CREATE SERVER ro_nobase FOREIGN DATA WRAPPER cq_fdw OPTIONS (source 'rest');
CREATE FOREIGN TABLE ro_rel (id bigint) SERVER ro_nobase OPTIONS (endpoint '/gen/link/items');
SELECT * FROM ro_rel;
-- a server without source
CREATE SERVER ro_nosource FOREIGN DATA WRAPPER cq_fdw;
CREATE FOREIGN TABLE ro_ns (id bigint) SERVER ro_nosource;
SELECT * FROM ro_ns;
-- source tables: unknown table name, another source's server option,
-- missing user mapping for a source that needs credentials
CREATE SERVER ro_gh FOREIGN DATA WRAPPER cq_fdw
    OPTIONS (source 'github', base_url 'http://127.0.0.1:18080');
CREATE FOREIGN TABLE ro_gh_labels (id bigint, owner text, repo text) SERVER ro_gh
    OPTIONS ("table" 'github_labls');
SELECT * FROM ro_gh_labels WHERE owner = 'o' AND repo = 'r';
ALTER FOREIGN TABLE ro_gh_labels OPTIONS (SET "table" 'github_labels');
SELECT * FROM ro_gh_labels WHERE owner = 'o' AND repo = 'r';
ALTER SERVER ro_gh OPTIONS (ADD projects 'p1,p2');
CREATE USER MAPPING FOR CURRENT_USER SERVER ro_gh OPTIONS (token 'canary-XYZ-secret');
SELECT * FROM ro_gh_labels WHERE owner = 'o' AND repo = 'r';

DROP SERVER ro CASCADE;
DROP SERVER ro_nobase CASCADE;
DROP SERVER ro_nosource CASCADE;
DROP SERVER ro_gh CASCADE;
