-- Security, end to end (issue 8, README.md (Security) "What the tests prove"):
--  1. the privilege model: superuser / owner of a server / role with only
--     USAGE, base_url and file options, superuser-only settings;
--  2. the outbound network policy against the "denied stand-in" mock
--     (127.0.0.2:18080, listed in cq_fdw.denied_addresses): directly, after
--     a redirect from an allowed host, through a host name resolving to it;
--     link-local refused before any connection;
--  3. secrets: a canary token in user mappings never shows up in EXPLAIN,
--     errors, CONTEXT, WARNINGs, cq_fdw.* views, sync_log or the server log
--     at debug5 (test/checks/zz_canary.sh greps every output of the run),
--     while the mock proves by its hash that it was sent.
-- The canary is only ever built at run time ('cq-canary-' || '7f3e9a1d'):
-- its literal never appears in this file, so any hit of the grep is a leak.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS cq_fdw;
-- Load the library first, as session_preload_libraries would: before it is
-- loaded, cq_fdw.* are placeholders that anyone may SET (the value of a
-- superuser-only one set by a non-superuser is discarded with a WARNING at
-- load, but it has replaced the session's earlier value): README.md (Security)
LOAD 'cq_fdw';
\set VERBOSITY default
SET cq_fdw.max_retries = 0;
SET cq_fdw.denied_addresses = '127.0.0.2';
\! curl -s 'http://127.0.0.1:18080/_mock/reset' > /dev/null
\! curl -s 'http://127.0.0.2:18080/_mock/reset' > /dev/null

-- three roles: the owner of a server (USAGE on the wrapper), a role with
-- USAGE on that server only, and a role with nothing
CREATE ROLE regress_sec_owner;
CREATE ROLE regress_sec_user;
CREATE ROLE regress_sec_other;
GRANT USAGE ON FOREIGN DATA WRAPPER cq_fdw TO regress_sec_owner;
GRANT CREATE ON SCHEMA public TO regress_sec_owner, regress_sec_user;

-- ================================================================ 1. privileges
-- the settings that widen the policy or read files are superuser-only
SET ROLE regress_sec_owner;
SET cq_fdw.allowed_hosts = '*';
SET cq_fdw.denied_addresses = '';
SET cq_fdw.allow_link_local = on;
SET cq_fdw.sources_path = '/tmp';
SHOW cq_fdw.denied_addresses;
RESET ROLE;

-- a non-superuser cannot point a server at a host the superuser did not allow
SET ROLE regress_sec_owner;
CREATE SERVER sec_bad FOREIGN DATA WRAPPER cq_fdw
    OPTIONS (source 'rest', base_url 'http://127.0.0.2:18080');
\echo :LAST_ERROR_SQLSTATE
CREATE SERVER sec_bad FOREIGN DATA WRAPPER cq_fdw
    OPTIONS (source 'rest', base_url 'http://standin.mock.test:18080');
\echo :LAST_ERROR_SQLSTATE
CREATE SERVER sec_bad FOREIGN DATA WRAPPER cq_fdw
    OPTIONS (source 'rest', base_url 'http://169.254.169.254/latest/meta-data');
\echo :LAST_ERROR_SQLSTATE
CREATE SERVER sec_bad FOREIGN DATA WRAPPER cq_fdw
    OPTIONS (source 'github', base_url 'http://0xA9FEA9FE/');
\echo :LAST_ERROR_SQLSTATE
-- nor use a local file option
CREATE SERVER sec_bad FOREIGN DATA WRAPPER cq_fdw
    OPTIONS (source 'rest', ca_file '/etc/ssl/certs/ca-certificates.crt');
\echo :LAST_ERROR_SQLSTATE
-- the default host of an installed source is always fine
CREATE SERVER sec_gh_default FOREIGN DATA WRAPPER cq_fdw OPTIONS (source 'github');
DROP SERVER sec_gh_default;
RESET ROLE;

-- the superuser allows the mock's host (and only it) for non-superusers
SET cq_fdw.allowed_hosts = '127.0.0.1';
SET ROLE regress_sec_owner;
CREATE SERVER sec_own FOREIGN DATA WRAPPER cq_fdw
    OPTIONS (source 'rest', base_url 'http://127.0.0.1:18080');
-- an owner can change the options of its own server, within the policy
ALTER SERVER sec_own OPTIONS (ADD concurrency '4');
ALTER SERVER sec_own OPTIONS (SET base_url 'http://127.0.0.2:18080');
\echo :LAST_ERROR_SQLSTATE
ALTER SERVER sec_own OPTIONS (ADD ca_file '/etc/passwd');
\echo :LAST_ERROR_SQLSTATE
-- an absolute endpoint is for superusers only (the querier's token would go
-- there), whatever the host
CREATE FOREIGN TABLE sec_own_abs (id bigint) SERVER sec_own
    OPTIONS (endpoint 'http://127.0.0.2:18080/gen/link/sec_abs');
\echo :LAST_ERROR_SQLSTATE
CREATE FOREIGN TABLE sec_own_items (id bigint, name text) SERVER sec_own
    OPTIONS (endpoint '/gen/link/sec_own?n=5&shape=small', pagination 'link_header');
SELECT count(*), sum(id) FROM sec_own_items;
-- it can grant USAGE on its server
GRANT USAGE ON FOREIGN SERVER sec_own TO regress_sec_user;
RESET ROLE;

-- the policy is applied again at scan time to servers owned by a
-- non-superuser: withdrawing the host from cq_fdw.allowed_hosts stops them
SET cq_fdw.allowed_hosts = 'api.example.com';
SET ROLE regress_sec_owner;
SELECT count(*) FROM sec_own_items;
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
SET cq_fdw.allowed_hosts = '127.0.0.1';

-- ... and giving a superuser's server to a non-superuser does not carry the
-- superuser's freedom along (api.mock.test resolves to 127.0.0.1, but only
-- the IP literal is allowed)
CREATE SERVER sec_su_named FOREIGN DATA WRAPPER cq_fdw
    OPTIONS (source 'rest', base_url 'http://api.mock.test:18080');
CREATE FOREIGN TABLE sec_su_named_items (id bigint) SERVER sec_su_named
    OPTIONS (endpoint '/gen/link/sec_named?n=3&shape=small');
SELECT count(*) FROM sec_su_named_items;
ALTER SERVER sec_su_named OWNER TO regress_sec_owner;
ALTER FOREIGN TABLE sec_su_named_items OWNER TO regress_sec_owner;
SET ROLE regress_sec_owner;
SELECT count(*) FROM sec_su_named_items;
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;

-- a role with USAGE on a server (not its owner) ...
SET ROLE regress_sec_user;
-- ... cannot create servers (no USAGE on the wrapper)
CREATE SERVER sec_user_srv FOREIGN DATA WRAPPER cq_fdw
    OPTIONS (source 'rest', base_url 'http://127.0.0.1:18080');
\echo :LAST_ERROR_SQLSTATE
-- ... cannot change the server's options
ALTER SERVER sec_own OPTIONS (SET base_url 'http://127.0.0.1:18081');
\echo :LAST_ERROR_SQLSTATE
-- ... can create foreign tables on it, with a relative endpoint only
CREATE FOREIGN TABLE sec_user_abs (id bigint) SERVER sec_own
    OPTIONS (endpoint 'http://standin.mock.test:18080/gen/link/sec_user_abs');
\echo :LAST_ERROR_SQLSTATE
CREATE FOREIGN TABLE sec_user_items (id bigint) SERVER sec_own
    OPTIONS (endpoint '/gen/link/sec_user?n=4&shape=small');
SELECT count(*), sum(id) FROM sec_user_items;
-- ... and cannot read the owner's table without a grant
SELECT count(*) FROM sec_own_items;
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;

-- a role without USAGE on the server cannot even create a table on it
SET ROLE regress_sec_other;
CREATE FOREIGN TABLE sec_other_items (id bigint) SERVER sec_own
    OPTIONS (endpoint '/gen/link/sec_other');
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;

-- ============================================================= 2. network policy
-- A superuser's server (no host restriction) still never reaches the
-- denied stand-in 127.0.0.2, whoever scans it.
CREATE SERVER sec_su FOREIGN DATA WRAPPER cq_fdw
    OPTIONS (source 'rest', base_url 'http://127.0.0.1:18080');
GRANT USAGE ON FOREIGN SERVER sec_su TO regress_sec_user;
CREATE SERVER sec_standin FOREIGN DATA WRAPPER cq_fdw
    OPTIONS (source 'rest', base_url 'http://127.0.0.2:18080');
CREATE FOREIGN TABLE sec_direct (id bigint) SERVER sec_standin
    OPTIONS (endpoint '/gen/link/sec_direct?n=3&shape=small');
CREATE FOREIGN TABLE sec_redirect (id bigint) SERVER sec_su
    OPTIONS (endpoint '/redirect?to=http://127.0.0.2:18080/gen/link/x');
CREATE FOREIGN TABLE sec_redirect_name (id bigint) SERVER sec_su
    OPTIONS (endpoint '/redirect?to=http://metadata.mock.test:18080/latest/meta-data');
CREATE FOREIGN TABLE sec_redirect_file (id bigint) SERVER sec_su
    OPTIONS (endpoint '/redirect?to=file:///etc/passwd');
CREATE SERVER sec_named FOREIGN DATA WRAPPER cq_fdw
    OPTIONS (source 'rest', base_url 'http://standin.mock.test:18080');
CREATE FOREIGN TABLE sec_by_name (id bigint) SERVER sec_named
    OPTIONS (endpoint '/gen/link/sec_by_name?n=3&shape=small');
CREATE SERVER sec_linklocal FOREIGN DATA WRAPPER cq_fdw
    OPTIONS (source 'rest', base_url 'http://169.254.169.254');
CREATE FOREIGN TABLE sec_metadata (id bigint) SERVER sec_linklocal
    OPTIONS (endpoint '/latest/meta-data/iam/security-credentials/');
-- (an absolute endpoint: on a rest server without base_url)
CREATE SERVER sec_nobase FOREIGN DATA WRAPPER cq_fdw OPTIONS (source 'rest');
CREATE FOREIGN TABLE sec_metadata_hex (id bigint) SERVER sec_nobase
    OPTIONS (endpoint 'http://0xA9.0xFE.0xA9.0xFE/computeMetadata/v1/');
GRANT SELECT ON sec_direct, sec_redirect, sec_redirect_name, sec_redirect_file,
    sec_by_name, sec_metadata, sec_metadata_hex TO regress_sec_user;
GRANT USAGE ON FOREIGN SERVER sec_standin, sec_named, sec_linklocal, sec_nobase
    TO regress_sec_user;

SET ROLE regress_sec_user;
-- directly
SELECT * FROM sec_direct;
\echo :LAST_ERROR_SQLSTATE
-- through a redirect from an allowed host
SELECT * FROM sec_redirect;
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM sec_redirect_name;
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM sec_redirect_file;
\echo :LAST_ERROR_SQLSTATE
-- through a host name that resolves to it
SELECT * FROM sec_by_name;
\echo :LAST_ERROR_SQLSTATE
-- link-local / metadata: refused by the policy before any connection (the
-- test namespace has no route there: a connect attempt would fail with
-- "could not connect to the API" instead)
SELECT * FROM sec_metadata;
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM sec_metadata_hex;
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
-- the same for a superuser: the deny list and link-local apply to everyone
SELECT * FROM sec_direct;
SELECT * FROM sec_metadata;
-- the mock saw the redirects, the stand-in saw nothing
-- (test/checks/security_standin.sh asserts its log is empty)
\! curl -s 'http://127.0.0.1:18080/_mock/stats?route=/redirect' | /usr/bin/python3 -c "import json,sys; print('redirects served:', json.load(sys.stdin)['prefix_count'])"
\! curl -s 'http://127.0.0.2:18080/_mock/stats' | /usr/bin/python3 -c "import json,sys; print('stand-in requests:', json.load(sys.stdin)['total'])"

-- ====================================================================== 3. secrets
-- The user mappings are created first, with the server log at warning: at
-- debug levels PostgreSQL itself logs the text of a statement as the CONTEXT
-- of its own debug messages (catalog cache rehashing...), canary included.
-- Everything cq_fdw does afterwards runs with the server log at debug5.
SET log_min_messages = warning;
CREATE SERVER sec_own_public FOREIGN DATA WRAPPER cq_fdw
    OPTIONS (source 'rest', base_url 'http://127.0.0.1:18080');
ALTER SERVER sec_own_public OWNER TO regress_sec_owner;
GRANT USAGE ON FOREIGN SERVER sec_own_public TO regress_sec_user;
DO $$
BEGIN
    EXECUTE format('CREATE USER MAPPING FOR regress_sec_user SERVER sec_su OPTIONS (token %L)',
                   'cq-canary-' || '7f3e9a1d');
    EXECUTE format('CREATE USER MAPPING FOR CURRENT_USER SERVER sec_su OPTIONS (token %L)',
                   'cq-canary-' || '7f3e9a1d');
    EXECUTE format('CREATE USER MAPPING FOR regress_sec_user SERVER sec_own OPTIONS (token %L)',
                   'cq-canary-' || '7f3e9a1d');
    EXECUTE format('CREATE USER MAPPING FOR PUBLIC SERVER sec_own_public OPTIONS (token %L)',
                   'cq-canary-' || '7f3e9a1d');
END
$$;
CREATE SERVER sec_gh FOREIGN DATA WRAPPER cq_fdw
    OPTIONS (source 'github', base_url 'http://127.0.0.1:18080/replay/github/demo');
DO $$
BEGIN
    EXECUTE format('CREATE USER MAPPING FOR CURRENT_USER SERVER sec_gh OPTIONS (token %L)',
                   'cq-canary-' || '7f3e9a1d');
END
$$;
CREATE SCHEMA sec_gh;
IMPORT FOREIGN SCHEMA github LIMIT TO (github_repositories)
    FROM SERVER sec_gh INTO sec_gh;
CREATE FOREIGN TABLE sec_items (id bigint, name text) SERVER sec_su
    OPTIONS (endpoint '/gen/link/sec_items?n=25&per_page=10&shape=small',
             pagination 'link_header');
CREATE FOREIGN TABLE sec_invalid (id bigint, ipv4 inet, mac macaddr) SERVER sec_su
    OPTIONS (endpoint '/gen/invalid/sec_invalid?n=20');
GRANT SELECT ON sec_items TO regress_sec_user;
CREATE SERVER sec_gh_redir FOREIGN DATA WRAPPER cq_fdw
    OPTIONS (source 'github', base_url 'http://127.0.0.1:18080/replay/security/redir');
DO $$
BEGIN
    EXECUTE format('CREATE USER MAPPING FOR CURRENT_USER SERVER sec_gh_redir OPTIONS (token %L)',
                   'cq-canary-' || '7f3e9a1d');
END
$$;
SET log_min_messages = debug5;

-- other roles cannot read the token: umoptions is NULL for them, and the
-- catalog itself is superuser-only
SET ROLE regress_sec_other;
SELECT srvname, usename, umoptions IS NULL AS hidden
  FROM pg_user_mappings WHERE srvname LIKE 'sec\_%' ORDER BY 1, 2;
SELECT count(*) FROM pg_user_mapping;
\echo :LAST_ERROR_SQLSTATE
-- the role the mapping is for sees its own options (and only those)
SET ROLE regress_sec_user;
SELECT srvname, usename, umoptions IS NULL AS hidden
  FROM pg_user_mappings WHERE srvname LIKE 'sec\_%' ORDER BY 1, 2;
-- the owner of a server sees the options of a PUBLIC mapping on it, but
-- not those of another role's mapping (PostgreSQL's rule: README.md (Security))
SET ROLE regress_sec_owner;
SELECT srvname, usename, umoptions IS NULL AS hidden
  FROM pg_user_mappings WHERE srvname LIKE 'sec\_%' ORDER BY 1, 2;
RESET ROLE;

-- the token was sent: the mock records only "<scheme>:<sha256 prefix>" of
-- it, and with expect_token it refuses any other credential
\! curl -s 'http://127.0.0.1:18080/_mock/reset' > /dev/null
\! curl -s 'http://127.0.0.1:18080/_mock/expect_token?sha256=e744d228fad3d80ffdfcc243f7d8cac44e436366707838304c756142bac02afa&enforce=1' > /dev/null
SELECT count(*) FROM sec_gh.github_repositories WHERE org = 'demo-org';
SELECT count(*), sum(id) FROM sec_items;
SET ROLE regress_sec_user;
SELECT count(*), sum(id) FROM sec_items;
SELECT count(*), sum(id) FROM sec_user_items;
RESET ROLE;
\! curl -s 'http://127.0.0.1:18080/_mock/expect_token' > /dev/null
\! curl -s 'http://127.0.0.1:18080/_mock/requests' | /usr/bin/python3 -c "import json,sys; r=json.load(sys.stdin)['requests']; print(sorted(set((x['route'].split('/')[1], x['auth'], x.get('auth_ok')) for x in r)))"
-- and never recorded in clear
\! curl -s 'http://127.0.0.1:18080/_mock/requests' | grep -c 'cq-canary-7f3e''9a1d'

-- the token goes to the origin of the first request only: after a redirect
-- to another origin (api.mock.test, test/fixtures/security/redir.json) it is
-- not sent, neither there nor to that origin's next pages
CREATE FOREIGN TABLE sec_gh_redir_repos (org text, id bigint) SERVER sec_gh_redir
    OPTIONS ("table" 'github_repositories');
\! curl -s 'http://127.0.0.1:18080/_mock/reset' > /dev/null
SELECT count(*) FROM sec_gh_redir_repos WHERE org = 'demo-org';
\! curl -s 'http://127.0.0.1:18080/_mock/requests' | /usr/bin/python3 -c "import json,sys; [print(*x) for x in sorted((r['path'], r['status'], r['auth']) for r in json.load(sys.stdin)['requests'])]"

-- EXPLAIN, every option
EXPLAIN (VERBOSE, COSTS OFF)
SELECT id, name FROM sec_gh.github_repositories WHERE org = 'demo-org';
EXPLAIN (ANALYZE, VERBOSE, COSTS OFF, TIMING OFF, SUMMARY OFF)
SELECT id FROM sec_items;
EXPLAIN (ANALYZE, VERBOSE, BUFFERS, SETTINGS, COSTS OFF, TIMING OFF, SUMMARY OFF, FORMAT JSON)
SELECT id FROM sec_items LIMIT 3;

-- errors: 401, 403, 404, 500, invalid JSON, truncated body, timeout
\! curl -s 'http://127.0.0.1:18080/_mock/fault?route=/replay/github/demo/orgs&mode=401' > /dev/null
SELECT count(*) FROM sec_gh.github_repositories WHERE org = 'demo-org';
\! curl -s 'http://127.0.0.1:18080/_mock/fault?route=/replay/github/demo/orgs&mode=403' > /dev/null
SELECT count(*) FROM sec_gh.github_repositories WHERE org = 'demo-org';
\! curl -s 'http://127.0.0.1:18080/_mock/fault?route=/replay/github/demo/orgs&mode=404' > /dev/null
SELECT count(*) FROM sec_gh.github_repositories WHERE org = 'demo-org';
\! curl -s 'http://127.0.0.1:18080/_mock/fault?route=/replay/github/demo/orgs&mode=500' > /dev/null
SELECT count(*) FROM sec_gh.github_repositories WHERE org = 'demo-org';
\! curl -s 'http://127.0.0.1:18080/_mock/fault?route=/replay/github/demo/orgs&mode=badjson' > /dev/null
SELECT count(*) FROM sec_gh.github_repositories WHERE org = 'demo-org';
\! curl -s 'http://127.0.0.1:18080/_mock/fault?route=/replay/github/demo/orgs&mode=truncate' > /dev/null
SELECT count(*) FROM sec_gh.github_repositories WHERE org = 'demo-org';
\! curl -s 'http://127.0.0.1:18080/_mock/fault?route=/replay/github/demo/orgs&mode=slow&delay_ms=3000' > /dev/null
SET cq_fdw.request_timeout = '300ms';
SELECT count(*) FROM sec_gh.github_repositories WHERE org = 'demo-org';
RESET cq_fdw.request_timeout;
-- an API that echoes the credentials it received (test/mock/README.md,
-- /echo/*): the token is REDACTED in DETAIL and in the WARNING's example
-- value, here and in the server log (test/checks/zz_canary.sh)
CREATE FOREIGN TABLE sec_echo401 (id bigint) SERVER sec_su
    OPTIONS (endpoint '/echo/auth401');
CREATE FOREIGN TABLE sec_echo_rows (id bigint, ip inet) SERVER sec_su
    OPTIONS (endpoint '/echo/rows');
GRANT SELECT ON sec_echo401 TO regress_sec_user;
SELECT * FROM sec_echo401;
SET client_min_messages = notice;
SELECT id, ip FROM sec_echo_rows;
SET client_min_messages = warning;
SET ROLE regress_sec_user;
SELECT * FROM sec_echo401;
RESET ROLE;
-- a missing key column and a policy refusal, with the canary in the user
-- mapping
SELECT count(*) FROM sec_gh.github_repositories;
ALTER SERVER sec_su OPTIONS (SET base_url 'http://127.0.0.2:18080');
SELECT count(*) FROM sec_items;
ALTER SERVER sec_su OPTIONS (SET base_url 'http://127.0.0.1:18080');
-- WARNINGs about invalid values, then the same as errors
SET client_min_messages = notice;
SELECT count(*), count(ipv4), count(mac) FROM sec_invalid;
SET client_min_messages = warning;
SET cq_fdw.strict = on;
SELECT count(ipv4) FROM sec_invalid;
RESET cq_fdw.strict;

-- the catalog views and snapshot bookkeeping
SELECT count(*) FROM cq_fdw.sources;
SELECT count(*) > 0 AS has_tables FROM cq_fdw.tables;
SELECT requests > 0 AS counted FROM cq_fdw.scan_stats();
SELECT cq_fdw.create_snapshot('sec_gh.github_repositories', 'sec_gh.repos_snap',
                              where_clause => 'org = ''demo-org''');
\! curl -s 'http://127.0.0.1:18080/_mock/fault?route=/replay/github/demo/orgs&mode=401' > /dev/null
CALL cq_fdw.refresh_snapshot('sec_gh.repos_snap');
SELECT snapshot, status, error FROM cq_fdw.sync_log
 WHERE snapshot LIKE 'sec_gh.%' ORDER BY id;
SELECT count(*) FROM sec_gh.repos_snap;
RESET log_min_messages;

-- ================================================= 4. origins and endpoints
-- (issue 20; README.md (Privileges)).  cq_fdw.allowed_hosts back to its
-- default: nothing but the default origins of the sources.
RESET cq_fdw.allowed_hosts;
\! curl -s 'http://127.0.0.1:18080/_mock/reset' > /dev/null
-- A source's default API root allows its origin -- scheme, host and port --
-- not its host on any port or scheme.
SET ROLE regress_sec_owner;
CREATE SERVER sec_bad FOREIGN DATA WRAPPER cq_fdw
    OPTIONS (source 'github', base_url 'http://api.github.com:8080');
\echo :LAST_ERROR_SQLSTATE
CREATE SERVER sec_bad FOREIGN DATA WRAPPER cq_fdw
    OPTIONS (source 'github', base_url 'http://api.github.com');
\echo :LAST_ERROR_SQLSTATE
-- the example plugin's default is the mock (http://127.0.0.1:18080): any
-- other port of 127.0.0.1 would make cq_fdw a port scanner
CREATE SERVER sec_bad FOREIGN DATA WRAPPER cq_fdw
    OPTIONS (source 'example', base_url 'http://127.0.0.1:5432/');
\echo :LAST_ERROR_SQLSTATE
CREATE SERVER sec_gh_root FOREIGN DATA WRAPPER cq_fdw
    OPTIONS (source 'github', base_url 'https://API.github.com:443/');
CREATE SERVER sec_ex FOREIGN DATA WRAPPER cq_fdw
    OPTIONS (source 'example', base_url 'http://127.0.0.1:18080/');
CREATE FOREIGN TABLE sec_ex_items (id bigint, name text) SERVER sec_ex
    OPTIONS ("table" 'example_items');
SELECT count(*) FROM sec_ex_items;
RESET ROLE;
-- ... and at scan time: a superuser's server on another port, given away
CREATE SERVER sec_ex_port FOREIGN DATA WRAPPER cq_fdw
    OPTIONS (source 'example', base_url 'http://127.0.0.1:1');
CREATE FOREIGN TABLE sec_ex_port_items (id bigint) SERVER sec_ex_port
    OPTIONS ("table" 'example_items');
ALTER SERVER sec_ex_port OWNER TO regress_sec_owner;
ALTER FOREIGN TABLE sec_ex_port_items OWNER TO regress_sec_owner;
SET ROLE regress_sec_owner;
SELECT count(*) FROM sec_ex_port_items;
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;

-- An error shows the API's message, never the body of something that is
-- not the API (here an HTML page with a banner).
CREATE FOREIGN TABLE sec_text500 (id bigint) SERVER sec_su
    OPTIONS (endpoint '/echo/text500');
SELECT * FROM sec_text500;

-- A table's absolute endpoint would receive the token of whoever queries
-- it.  regress_sec_user (USAGE on the superuser's server sec_su) cannot
-- give one to its table, neither at CREATE nor by ALTER ...
SET ROLE regress_sec_user;
CREATE FOREIGN TABLE sec_steal (id bigint) SERVER sec_su
    OPTIONS (endpoint 'http://api.mock.test:18080/echo/auth401');
\echo :LAST_ERROR_SQLSTATE
CREATE FOREIGN TABLE sec_steal (id bigint) SERVER sec_su
    OPTIONS (endpoint '/gen/link/sec_steal?n=2&shape=small');
ALTER FOREIGN TABLE sec_steal OPTIONS (SET endpoint 'http://api.mock.test:18080/echo/auth401');
\echo :LAST_ERROR_SQLSTATE
GRANT SELECT ON sec_steal TO PUBLIC;
RESET ROLE;
-- ... nor own one made by a superuser (before this rule, or given away):
-- the superuser querying it (a token in its mapping on sec_su) is refused
-- before any request
CREATE FOREIGN TABLE sec_steal_old (id bigint) SERVER sec_su
    OPTIONS (endpoint 'http://127.0.0.1:18080/echo/auth401');
ALTER FOREIGN TABLE sec_steal_old OWNER TO regress_sec_user;
SELECT * FROM sec_steal_old;
\echo :LAST_ERROR_SQLSTATE
-- a superuser's absolute endpoint: only on the origin of the server's base_url
CREATE FOREIGN TABLE sec_other_origin (id bigint) SERVER sec_su
    OPTIONS (endpoint 'http://api.mock.test:18080/echo/auth401');
SELECT * FROM sec_other_origin;
\echo :LAST_ERROR_SQLSTATE
CREATE FOREIGN TABLE sec_same_origin (id bigint) SERVER sec_su
    OPTIONS (endpoint 'http://127.0.0.1:18080/gen/link/sec_same?n=2&shape=small');
SELECT count(*) FROM sec_same_origin;
-- the relative one of regress_sec_user works for the superuser
SELECT count(*) FROM sec_steal;
\! curl -s 'http://127.0.0.1:18080/_mock/stats?route=/echo/auth401' | /usr/bin/python3 -c "import json,sys; print('echo requests:', json.load(sys.stdin)['prefix_count'])"

-- A USAGE-only role's table with a relative endpoint on a superuser's
-- server (whose host is in no allow-list): accepted at CREATE and at scan
-- alike; a redirect elsewhere still answers to cq_fdw.allowed_hosts.
CREATE SERVER sec_su_name FOREIGN DATA WRAPPER cq_fdw
    OPTIONS (source 'rest', base_url 'http://api.mock.test:18080/');
GRANT USAGE ON FOREIGN SERVER sec_su_name TO regress_sec_user;
SET ROLE regress_sec_user;
CREATE FOREIGN TABLE sec_user_on_su (id bigint) SERVER sec_su_name
    OPTIONS (endpoint '/gen/link/sec_user_on_su?n=3&shape=small');
SELECT count(*), sum(id) FROM sec_user_on_su;
CREATE FOREIGN TABLE sec_user_redir (id bigint) SERVER sec_su_name
    OPTIONS (endpoint '/redirect?to=http://127.0.0.1:18080/gen/link/x');
SELECT count(*) FROM sec_user_redir;
\echo :LAST_ERROR_SQLSTATE
-- base_url ends with '/': one '/' before the endpoint (EXPLAIN, mock log)
EXPLAIN (VERBOSE, COSTS OFF) SELECT id FROM sec_user_on_su;
RESET ROLE;
\! curl -s 'http://127.0.0.1:18080/_mock/requests' | /usr/bin/python3 -c "import json,sys; [print(p) for p in sorted(set(r['path'] for r in json.load(sys.stdin)['requests'] if 'sec_user_on_su' in r['path']))]"

-- clean up
DROP SCHEMA sec_gh CASCADE;
DROP SERVER sec_ex_port, sec_su_name, sec_nobase CASCADE;
SET ROLE regress_sec_owner;
DROP SERVER sec_gh_root, sec_ex CASCADE;
RESET ROLE;
DROP SERVER sec_su, sec_standin, sec_named, sec_linklocal, sec_gh, sec_gh_redir CASCADE;
DROP SERVER sec_own, sec_own_public, sec_su_named CASCADE;
REVOKE CREATE ON SCHEMA public FROM regress_sec_owner, regress_sec_user;
REVOKE USAGE ON FOREIGN DATA WRAPPER cq_fdw FROM regress_sec_owner;
DROP ROLE regress_sec_owner;
DROP ROLE regress_sec_user;
DROP ROLE regress_sec_other;
\! curl -s 'http://127.0.0.1:18080/_mock/reset' > /dev/null
