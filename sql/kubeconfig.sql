-- Kubernetes kubeconfig (issue 13 point 3): the user mapping holds a
-- kubeconfig (the file's YAML, parsed with libyaml) and optionally a
-- context; its server replaces the base URL, its certificate-authority-data
-- verifies the server and its client-certificate-data/client-key-data
-- authenticate the scan (TLS client auth from memory, no file).  The API is
-- the mock over HTTPS requiring a client certificate from a CA made for this
-- run by sql/kube_tls.py (nothing real, no key in the repository).  The
-- kubeconfig's first line becomes the security canary at run time
-- (test/checks/zz_canary.sh fails if it shows up anywhere).
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS cq_fdw;
LOAD 'cq_fdw';
\set kc `python3 $CQ_TEST_DIR/regress/sql/kube_tls.py start $CQ_TEST_DIR/kube 18443`
SELECT set_config('cq_test.kc_good', (:'kc')::json->>'good', false) IS NOT NULL AS made,
       set_config('cq_test.kc_rogue', (:'kc')::json->>'rogue', false) IS NOT NULL AS rogue_made,
       set_config('cq_test.kc_noca', (:'kc')::json->>'noca', false) IS NOT NULL AS noca_made,
       set_config('cq_test.kc_multi', (:'kc')::json->>'multi', false) IS NOT NULL AS multi_made,
       set_config('cq_test.kc_k8s', (:'kc')::json->>'k8s', false) IS NOT NULL AS k8s_made;
\unset kc

-- kube_mapping(server, case[, context]): the user mapping of the server
-- gets the kubeconfig of that case (kube_tls.py's output, its first line
-- the security canary), created if there is none.  The statement holds the
-- kubeconfig: it runs with log_min_messages = warning, and its error (whose
-- CONTEXT would quote the statement) is shown as a WARNING without it.
CREATE PROCEDURE pg_temp.kube_mapping(srv text, which text, ctx text DEFAULT NULL)
LANGUAGE plpgsql SET log_min_messages = warning AS $$
DECLARE
    kc text := replace(current_setting('cq_test.kc_' || which), '@CANARY@', 'cq-canary-' || '7f3e9a1d');
    d text;
BEGIN
    IF EXISTS (SELECT 1 FROM pg_user_mappings WHERE srvname = srv AND usename = current_user) THEN
        EXECUTE format('ALTER USER MAPPING FOR CURRENT_USER SERVER %I OPTIONS (SET kubeconfig %L)', srv, kc);
    ELSE
        EXECUTE format('CREATE USER MAPPING FOR CURRENT_USER SERVER %I OPTIONS (kubeconfig %L%s)', srv, kc,
                       CASE WHEN ctx IS NULL THEN '' ELSE format(', context %L', ctx) END);
    END IF;
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS d = PG_EXCEPTION_DETAIL;
    RAISE WARNING '% (%): %', SQLERRM, SQLSTATE, d;
END
$$;

CREATE SERVER kube_srv FOREIGN DATA WRAPPER cq_fdw
    OPTIONS (source 'rest', base_url 'http://127.0.0.1:18080');
CREATE FOREIGN TABLE kube_items (id bigint, name text) SERVER kube_srv
    OPTIONS (endpoint '/gen/link/kube?n=25&per_page=10&shape=small',
             pagination 'link_header');

-- validation at CREATE/ALTER USER MAPPING: clear errors, no value quoted
CREATE USER MAPPING FOR CURRENT_USER SERVER kube_srv
    OPTIONS (kubeconfig 'clusters: [ {name: x, not-shown-5: ');
CREATE USER MAPPING FOR CURRENT_USER SERVER kube_srv
    OPTIONS (kubeconfig '- not-shown-6');
CREATE USER MAPPING FOR CURRENT_USER SERVER kube_srv
    OPTIONS (context 'test');
CREATE USER MAPPING FOR CURRENT_USER SERVER kube_srv
    OPTIONS (kubeconfig 'current-context: c
clusters: [{name: k, cluster: {server: "https://127.0.0.1:18443", certificate-authority-data: "bm90LXNob3duLTc="}}]
contexts: [{name: c, context: {cluster: k}}]');
SET log_min_messages = debug5;
-- the context "cloud" gets its credentials from an exec plugin
CALL pg_temp.kube_mapping('kube_srv', 'good', 'cloud');
CALL pg_temp.kube_mapping('kube_srv', 'good', 'staging');
-- the real kubeconfig (current-context)
CALL pg_temp.kube_mapping('kube_srv', 'good');

-- a multi-page scan over TLS with the client certificate
SELECT count(*), count(DISTINCT id) FROM kube_items;
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) SELECT * FROM kube_items;
EXPLAIN (VERBOSE, COSTS OFF) SELECT * FROM kube_items;

-- a client certificate the cluster's CA did not issue: the server refuses
-- the handshake
SET cq_fdw.max_retries = 0;
CALL pg_temp.kube_mapping('kube_srv', 'rogue');
-- (how the refusal reaches the client -- a TLS alert or a reset connection,
-- during or after the handshake -- depends on timing: print the outcome)
DO $$
BEGIN
    PERFORM count(*) FROM kube_items;
    RAISE WARNING 'rogue client certificate: accepted';
EXCEPTION WHEN OTHERS THEN
    RAISE WARNING 'rogue client certificate: refused';
END
$$;
-- no certificate-authority-data: the server's certificate is not trusted
CALL pg_temp.kube_mapping('kube_srv', 'noca');
SELECT count(*) FROM kube_items;
RESET cq_fdw.max_retries;

-- several contexts (issue 13): a context key column fans out over their
-- clusters, each with its own server, CA, client certificate/key or token.
-- "tls" is the TLS mock (client certificate), "plain" the plain mock with
-- a bearer token, "cloud" an exec plugin (refused when reached).
CALL pg_temp.kube_mapping('kube_srv', 'multi');
CREATE FOREIGN TABLE kube_ctx (context text OPTIONS (key 'context'), id bigint, name text)
    SERVER kube_srv
    OPTIONS (endpoint '/gen/link/kube?n=25&per_page=10&shape=small',
             pagination 'link_header');
\! curl -s 'http://127.0.0.1:18080/_mock/reset' > /dev/null
SELECT context, count(*), count(DISTINCT id), min(id), max(id)
    FROM kube_ctx WHERE context IN ('tls', 'plain') GROUP BY context ORDER BY context;
-- the plain cluster saw only the plain context's pages, each with that
-- context's token (the TLS cluster is another mock process)
\! curl -s 'http://127.0.0.1:18080/_mock/requests?route=/gen/link/kube' | python3 -c "import json,sys,hashlib; r=json.load(sys.stdin)['requests']; t='Bearer:'+hashlib.sha256(b'cq-ctx-plain-token-1b7e').hexdigest()[:8]; print('plain cluster pages:', len(r), '- all with the plain context token:', all(e['auth'] == t for e in r))"
SELECT count(*) FROM kube_ctx WHERE context = 'plain';
SELECT count(*) FROM kube_ctx WHERE context = 'tls';
-- a context the kubeconfig does not have: no cluster, no rows
SELECT count(*) FROM kube_ctx WHERE context = 'nope';
-- no condition: every context, and "cloud" needs an exec plugin
SELECT count(*) FROM kube_ctx;
-- the requests of both clusters, in one scan
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF)
    SELECT * FROM kube_ctx WHERE context IN ('tls', 'plain');
-- EXPLAIN VERBOSE names the clusters' servers, not the server's base_url,
-- and nothing else of the kubeconfig: only the contexts the scan visits
-- (Fan-out counts them; one is not shown)
EXPLAIN (VERBOSE, COSTS OFF) SELECT * FROM kube_ctx WHERE context = 'tls';
EXPLAIN (VERBOSE, COSTS OFF) SELECT * FROM kube_ctx;
EXPLAIN (VERBOSE, COSTS OFF) SELECT * FROM kube_ctx WHERE context IN ('plain', 'nope');
EXPLAIN (VERBOSE, COSTS OFF) SELECT * FROM kube_ctx WHERE context = 'nope';
-- a parameter: known at execution only, the contexts it may pick are shown
PREPARE kube_ctx_q(text) AS SELECT count(*) FROM kube_ctx WHERE context = $1;
SET plan_cache_mode = force_generic_plan;
EXPLAIN (VERBOSE, COSTS OFF) EXECUTE kube_ctx_q('plain');
EXECUTE kube_ctx_q('plain');
RESET plan_cache_mode;
DEALLOCATE kube_ctx_q;
-- the user mapping option context keeps one context
ALTER USER MAPPING FOR CURRENT_USER SERVER kube_srv OPTIONS (ADD context 'plain');
SELECT context, count(*) FROM kube_ctx GROUP BY context;
SELECT count(*) FROM kube_ctx WHERE context = 'tls';
EXPLAIN (VERBOSE, COSTS OFF) SELECT * FROM kube_ctx;
-- a table without a context key reads the mapping's context only
EXPLAIN (VERBOSE, COSTS OFF) SELECT * FROM kube_items;
SELECT count(*) FROM kube_items;
ALTER USER MAPPING FOR CURRENT_USER SERVER kube_srv OPTIONS (DROP context);

-- the Kubernetes source's own tables have a context key column: a
-- kubeconfig of two contexts reads both clusters (each mock serves the
-- recorded demo cluster), each row saying which context it came from
CREATE SERVER kube_k8s FOREIGN DATA WRAPPER cq_fdw
    OPTIONS (source 'kubernetes', base_url 'http://127.0.0.1:18080/not-used');
CALL pg_temp.kube_mapping('kube_k8s', 'k8s');
CREATE SCHEMA kube_k8s;
IMPORT FOREIGN SCHEMA kubernetes LIMIT TO (k8s_pods, k8s_pod_containers)
    FROM SERVER kube_k8s INTO kube_k8s;
SELECT attname, format_type(atttypid, atttypmod) FROM pg_attribute
 WHERE attrelid = 'kube_k8s.k8s_pods'::regclass AND attnum = 1;
\! curl -s 'http://127.0.0.1:18080/_mock/reset' > /dev/null
SELECT context, count(*), count(DISTINCT uid), min(name) FROM kube_k8s.k8s_pods
 GROUP BY context ORDER BY context;
-- one context: only its cluster is asked (the plain mock's log: the two
-- pages of the listing of the scan above, none more)
SELECT context, count(*) FROM kube_k8s.k8s_pods WHERE context = 'tls' GROUP BY context;
\! curl -s 'http://127.0.0.1:18080/_mock/requests?route=/replay/kubernetes/demo/api/v1/pods' | python3 -c "import json,sys; r=json.load(sys.stdin)['requests']; print('plain cluster pod pages:', len(r))"
SELECT context, count(*) FROM kube_k8s.k8s_pods WHERE context = 'plain' GROUP BY context;
\! curl -s 'http://127.0.0.1:18080/_mock/requests?route=/replay/kubernetes/demo/api/v1/pods' | python3 -c "import json,sys; r=json.load(sys.stdin)['requests']; print('plain cluster pod pages:', len(r))"
-- a child table: the context of its parent's listing
SELECT context, count(*) FROM kube_k8s.k8s_pod_containers GROUP BY context ORDER BY context;
EXPLAIN (VERBOSE, COSTS OFF) SELECT name FROM kube_k8s.k8s_pods;
EXPLAIN (VERBOSE, COSTS OFF) SELECT name FROM kube_k8s.k8s_pods WHERE context = 'plain';
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) SELECT name FROM kube_k8s.k8s_pods;
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF)
    SELECT name FROM kube_k8s.k8s_pods WHERE context = 'plain';
-- the mapping's context keeps one: the column still names it
ALTER USER MAPPING FOR CURRENT_USER SERVER kube_k8s OPTIONS (ADD context 'plain');
SELECT context, count(*) FROM kube_k8s.k8s_pods GROUP BY context;
-- a pasted token, no kubeconfig: no context, the column is null (and
-- WHERE context = ... matches nothing, without a request)
DROP USER MAPPING FOR CURRENT_USER SERVER kube_k8s;
ALTER SERVER kube_k8s OPTIONS (SET base_url 'http://127.0.0.1:18080/replay/kubernetes/demo');
CREATE USER MAPPING FOR CURRENT_USER SERVER kube_k8s OPTIONS (token 'test-token');
SELECT context IS NULL AS no_context, count(*) FROM kube_k8s.k8s_pods GROUP BY 1;
\! curl -s 'http://127.0.0.1:18080/_mock/reset' > /dev/null
SELECT count(*) FROM kube_k8s.k8s_pods WHERE context = 'plain';
\! curl -s 'http://127.0.0.1:18080/_mock/requests?route=/replay/kubernetes/demo/api/v1/pods' | python3 -c "import json,sys; r=json.load(sys.stdin)['requests']; print('pod pages asked:', len(r))"
DROP SCHEMA kube_k8s CASCADE;
DROP SERVER kube_k8s CASCADE;
-- IMPORT ... custom_resources with two contexts: both clusters list the
-- same CustomResourceDefinitions (each mock's /crd/), one table per name,
-- whose scans read both clusters
SELECT set_config('cq_test.kc_crd', replace(current_setting('cq_test.kc_k8s'),
                  '/replay/kubernetes/demo', '/crd'), false) <> '' AS crd_made;
CREATE SERVER kube_crd FOREIGN DATA WRAPPER cq_fdw
    OPTIONS (source 'kubernetes', base_url 'http://127.0.0.1:18080/not-used');
CALL pg_temp.kube_mapping('kube_crd', 'crd');
CREATE SCHEMA kube_crd;
IMPORT FOREIGN SCHEMA kubernetes LIMIT TO (k8s_cert_manager_io_clusterissuers)
    FROM SERVER kube_crd INTO kube_crd OPTIONS (custom_resources 'true');
SELECT foreign_table_name FROM information_schema.foreign_tables
 WHERE foreign_table_schema = 'kube_crd' ORDER BY 1;
SELECT context, name FROM kube_crd.k8s_cert_manager_io_clusterissuers ORDER BY context;
DROP SCHEMA kube_crd CASCADE;
DROP SERVER kube_crd CASCADE;
SELECT set_config('cq_test.kc_crd', '', false) = '' AS crd_forgotten;
RESET log_min_messages;
SELECT set_config('cq_test.kc_good', '', false) = '' AS forgotten,
       set_config('cq_test.kc_rogue', '', false) = '' AS rogue_forgotten,
       set_config('cq_test.kc_noca', '', false) = '' AS noca_forgotten,
       set_config('cq_test.kc_multi', '', false) = '' AS multi_forgotten,
       set_config('cq_test.kc_k8s', '', false) = '' AS k8s_forgotten;

\! python3 $CQ_TEST_DIR/regress/sql/kube_tls.py stop $CQ_TEST_DIR/kube
DROP SERVER kube_srv CASCADE;
