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
       set_config('cq_test.kc_multi', (:'kc')::json->>'multi', false) IS NOT NULL AS multi_made;
\unset kc

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
SET log_min_messages = warning;
-- (errors of an EXECUTE carry its statement, the kubeconfig, in CONTEXT:
-- caught here and shown without it)
DO $$
DECLARE
    d text;
BEGIN
    -- the context "cloud" gets its credentials from an exec plugin
    EXECUTE format('CREATE USER MAPPING FOR CURRENT_USER SERVER kube_srv OPTIONS (kubeconfig %L, context %L)',
                   replace(current_setting('cq_test.kc_good'), '@CANARY@', 'cq-canary-' || '7f3e9a1d'), 'cloud');
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS d = PG_EXCEPTION_DETAIL;
    RAISE WARNING '% (%): %', SQLERRM, SQLSTATE, d;
END
$$;
DO $$
DECLARE
    d text;
BEGIN
    EXECUTE format('CREATE USER MAPPING FOR CURRENT_USER SERVER kube_srv OPTIONS (kubeconfig %L, context %L)',
                   replace(current_setting('cq_test.kc_good'), '@CANARY@', 'cq-canary-' || '7f3e9a1d'), 'staging');
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS d = PG_EXCEPTION_DETAIL;
    RAISE WARNING '% (%): %', SQLERRM, SQLSTATE, d;
END
$$;
-- the real kubeconfig (current-context)
DO $$
BEGIN
    EXECUTE format('CREATE USER MAPPING FOR CURRENT_USER SERVER kube_srv OPTIONS (kubeconfig %L)',
                   replace(current_setting('cq_test.kc_good'), '@CANARY@', 'cq-canary-' || '7f3e9a1d'));
END
$$;
SET log_min_messages = debug5;

-- a multi-page scan over TLS with the client certificate
SELECT count(*), count(DISTINCT id) FROM kube_items;
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) SELECT * FROM kube_items;
EXPLAIN (VERBOSE, COSTS OFF) SELECT * FROM kube_items;

-- a client certificate the cluster's CA did not issue: the server refuses
-- the handshake
SET cq_fdw.max_retries = 0;
SET log_min_messages = warning;
DO $$
BEGIN
    EXECUTE format('ALTER USER MAPPING FOR CURRENT_USER SERVER kube_srv OPTIONS (SET kubeconfig %L)',
                   replace(current_setting('cq_test.kc_rogue'), '@CANARY@', 'cq-canary-' || '7f3e9a1d'));
END
$$;
SET log_min_messages = debug5;
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
SET log_min_messages = warning;
DO $$
BEGIN
    EXECUTE format('ALTER USER MAPPING FOR CURRENT_USER SERVER kube_srv OPTIONS (SET kubeconfig %L)',
                   replace(current_setting('cq_test.kc_noca'), '@CANARY@', 'cq-canary-' || '7f3e9a1d'));
END
$$;
SET log_min_messages = debug5;
SELECT count(*) FROM kube_items;
RESET cq_fdw.max_retries;

-- several contexts (issue 13): a context key column fans out over their
-- clusters, each with its own server, CA, client certificate/key or token.
-- "tls" is the TLS mock (client certificate), "plain" the plain mock with
-- a bearer token, "cloud" an exec plugin (refused when reached).
SET log_min_messages = warning;
DO $$
BEGIN
    EXECUTE format('ALTER USER MAPPING FOR CURRENT_USER SERVER kube_srv OPTIONS (SET kubeconfig %L)',
                   replace(current_setting('cq_test.kc_multi'), '@CANARY@', 'cq-canary-' || '7f3e9a1d'));
END
$$;
SET log_min_messages = debug5;
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
-- and nothing else of the kubeconfig
EXPLAIN (VERBOSE, COSTS OFF) SELECT * FROM kube_ctx WHERE context = 'tls';
-- the user mapping option context keeps one context
ALTER USER MAPPING FOR CURRENT_USER SERVER kube_srv OPTIONS (ADD context 'plain');
SELECT context, count(*) FROM kube_ctx GROUP BY context;
SELECT count(*) FROM kube_ctx WHERE context = 'tls';
EXPLAIN (VERBOSE, COSTS OFF) SELECT * FROM kube_ctx;
-- a table without a context key reads the mapping's context only
EXPLAIN (VERBOSE, COSTS OFF) SELECT * FROM kube_items;
SELECT count(*) FROM kube_items;
ALTER USER MAPPING FOR CURRENT_USER SERVER kube_srv OPTIONS (DROP context);
RESET log_min_messages;
SELECT set_config('cq_test.kc_good', '', false) = '' AS forgotten,
       set_config('cq_test.kc_rogue', '', false) = '' AS rogue_forgotten,
       set_config('cq_test.kc_noca', '', false) = '' AS noca_forgotten,
       set_config('cq_test.kc_multi', '', false) = '' AS multi_forgotten;

\! python3 $CQ_TEST_DIR/regress/sql/kube_tls.py stop $CQ_TEST_DIR/kube
DROP SERVER kube_srv CASCADE;
