-- Kubernetes custom resources (issue 15 point 3): IMPORT FOREIGN SCHEMA
-- kubernetes reads the cluster's CustomResourceDefinitions (a recorded list
-- with two CRDs, served by the mock under /crd/:
-- test/fixtures/kubernetes/k8s-crd-cluster.json) and makes a table
-- k8s_<group>_<plural> of each, typed from the stored version's
-- openAPIV3Schema, namespaced or cluster-scoped as declared; the tables
-- scan the CRDs' own list endpoints, following the continue token.
-- By default a cluster that cannot be read is one WARNING (the source's own
-- tables are imported); custom_resources 'true' makes it an ERROR,
-- custom_resources 'false' skips the read.
SET client_min_messages = warning;
SET timezone = 'UTC';
SET datestyle = 'ISO, YMD';
CREATE EXTENSION IF NOT EXISTS cq_fdw;

CREATE SERVER crd_k8s FOREIGN DATA WRAPPER cq_fdw
    OPTIONS (source 'kubernetes', base_url 'http://127.0.0.1:18080/crd');
CREATE USER MAPPING FOR CURRENT_USER SERVER crd_k8s OPTIONS (token 'test-token');
CREATE SCHEMA crd;

-- without the option: the custom resources too; LIMIT TO and EXCEPT apply
-- to their tables like to the source's own
IMPORT FOREIGN SCHEMA kubernetes LIMIT TO (k8s_namespaces, k8s_stable_example_com_crontabs)
    FROM SERVER crd_k8s INTO crd;
SELECT foreign_table_name FROM information_schema.foreign_tables
 WHERE foreign_table_schema = 'crd' ORDER BY 1;
DROP FOREIGN TABLE crd.k8s_namespaces, crd.k8s_stable_example_com_crontabs;
CREATE SCHEMA crd_ex;
IMPORT FOREIGN SCHEMA kubernetes EXCEPT (k8s_stable_example_com_crontabs, k8s_pods)
    FROM SERVER crd_k8s INTO crd_ex;
SELECT count(*) = (SELECT count(*) FROM cq_fdw.tables WHERE source = 'kubernetes') AS own_tables_but_one_and_one_crd,
       count(*) FILTER (WHERE relname = 'k8s_cert_manager_io_clusterissuers') AS clusterissuers,
       count(*) FILTER (WHERE relname IN ('k8s_stable_example_com_crontabs', 'k8s_pods')) AS excepted
  FROM pg_class WHERE relnamespace = 'crd_ex'::regnamespace AND relkind = 'f';
DROP SCHEMA crd_ex CASCADE;

-- custom_resources 'false', or a LIMIT TO naming only the source's own
-- tables: the source's tables, and no request for the definitions
\! curl -s 'http://127.0.0.1:18080/_mock/reset' > /dev/null
IMPORT FOREIGN SCHEMA kubernetes LIMIT TO (k8s_namespaces, k8s_stable_example_com_crontabs)
    FROM SERVER crd_k8s INTO crd OPTIONS (custom_resources 'false');
IMPORT FOREIGN SCHEMA kubernetes LIMIT TO (k8s_nodes) FROM SERVER crd_k8s INTO crd;
SELECT foreign_table_name FROM information_schema.foreign_tables
 WHERE foreign_table_schema = 'crd' ORDER BY 1;
\! curl -s 'http://127.0.0.1:18080/_mock/stats?route=/crd/' | python3 -c "import json,sys; print('requests to the cluster:', json.load(sys.stdin)['prefix_count'])"
DROP FOREIGN TABLE crd.k8s_namespaces, crd.k8s_nodes;

-- custom_resources 'true': one table per CRD, and the read left no table behind
IMPORT FOREIGN SCHEMA kubernetes LIMIT TO (k8s_stable_example_com_crontabs, k8s_cert_manager_io_clusterissuers)
    FROM SERVER crd_k8s INTO crd OPTIONS (custom_resources 'true');
SELECT foreign_table_name FROM information_schema.foreign_tables
 WHERE foreign_table_schema = 'crd' ORDER BY 1;

-- typed from the schema: the namespaced CronTab has a namespace key column,
-- its spec and status members are columns of their types
\d crd.k8s_stable_example_com_crontabs
\d crd.k8s_cert_manager_io_clusterissuers
SELECT obj_description('crd.k8s_stable_example_com_crontabs'::regclass, 'pg_class');
SELECT attname, col_description(attrelid, attnum) FROM pg_attribute
 WHERE attrelid = 'crd.k8s_stable_example_com_crontabs'::regclass AND attname IN ('cron_spec', 'namespace', 'active')
 ORDER BY attnum;

-- the rows: three CronTabs over two pages, an invalid integer and time
-- (NULL + WARNING), the array and json members
SET client_min_messages = warning;
SELECT name, namespace, cron_spec, image, replicas, suspend, tags, resources,
       last_schedule_time, active
  FROM crd.k8s_stable_example_com_crontabs ORDER BY name;
-- one namespace: the namespaced list endpoint
SELECT name FROM crd.k8s_stable_example_com_crontabs WHERE namespace = 'finance';
EXPLAIN (COSTS OFF) SELECT name FROM crd.k8s_stable_example_com_crontabs WHERE namespace = 'ops';
-- the cluster-scoped one
SELECT name, uid, acme, status -> 'conditions' -> 0 ->> 'type' AS ready
  FROM crd.k8s_cert_manager_io_clusterissuers;

-- the cluster cannot be read: IMPORT makes the source's own tables and says
-- once why the custom resources are not there (no credential in it)
CREATE SCHEMA crd_fail;
-- connection refused (retried at most once, whatever cq_fdw.max_retries)
CREATE SERVER crd_down FOREIGN DATA WRAPPER cq_fdw
    OPTIONS (source 'kubernetes', base_url 'http://127.0.0.1:9');
CREATE USER MAPPING FOR CURRENT_USER SERVER crd_down OPTIONS (token 'crd-secret-token');
SET cq_fdw.max_retries = 2;
IMPORT FOREIGN SCHEMA kubernetes LIMIT TO (k8s_namespaces, k8s_stable_example_com_crontabs)
    FROM SERVER crd_down INTO crd_fail;
-- custom_resources 'true': an ERROR with the user's settings, nothing imported
IMPORT FOREIGN SCHEMA kubernetes LIMIT TO (k8s_nodes, k8s_stable_example_com_crontabs)
    FROM SERVER crd_down INTO crd_fail OPTIONS (custom_resources 'true');
RESET cq_fdw.max_retries;
-- no user mapping
CREATE SERVER crd_nomap FOREIGN DATA WRAPPER cq_fdw
    OPTIONS (source 'kubernetes', base_url 'http://127.0.0.1:18080/crd');
IMPORT FOREIGN SCHEMA kubernetes LIMIT TO (k8s_nodes, k8s_stable_example_com_crontabs)
    FROM SERVER crd_nomap INTO crd_fail;
-- the cluster refuses the token (401, and 403)
\! curl -s 'http://127.0.0.1:18080/_mock/fault?route=/crd/apis/apiextensions.k8s.io/&mode=401&count=-1' > /dev/null
IMPORT FOREIGN SCHEMA kubernetes LIMIT TO (k8s_services, k8s_stable_example_com_crontabs)
    FROM SERVER crd_k8s INTO crd_fail;
\! curl -s 'http://127.0.0.1:18080/_mock/faults?clear=1' > /dev/null
\! curl -s 'http://127.0.0.1:18080/_mock/fault?route=/crd/apis/apiextensions.k8s.io/&mode=403&count=-1' > /dev/null
IMPORT FOREIGN SCHEMA kubernetes LIMIT TO (k8s_secrets, k8s_stable_example_com_crontabs)
    FROM SERVER crd_k8s INTO crd_fail;
IMPORT FOREIGN SCHEMA kubernetes LIMIT TO (k8s_stable_example_com_crontabs)
    FROM SERVER crd_k8s INTO crd_fail OPTIONS (custom_resources 'true');
\! curl -s 'http://127.0.0.1:18080/_mock/faults?clear=1' > /dev/null
-- a black hole (accepts, never answers): bounded by the request timeout
-- (here the server's; by default at most 15 s, never retried), no hang
\! curl -s 'http://127.0.0.1:18080/_mock/reset' > /dev/null
\! curl -s 'http://127.0.0.1:18080/_mock/fault?route=/crd/apis/apiextensions.k8s.io/&mode=slow&delay_ms=600000&count=-1' > /dev/null
ALTER SERVER crd_k8s OPTIONS (ADD request_timeout '300ms');
IMPORT FOREIGN SCHEMA kubernetes LIMIT TO (k8s_pods, k8s_stable_example_com_crontabs)
    FROM SERVER crd_k8s INTO crd_fail;
\! curl -s 'http://127.0.0.1:18080/_mock/stats?route=/crd/' | python3 -c "import json,sys; print('requests to the cluster:', json.load(sys.stdin)['prefix_count'])"
-- a cancel (here statement_timeout) during the read stays an ERROR
ALTER SERVER crd_k8s OPTIONS (DROP request_timeout);
SET statement_timeout = '1s';
IMPORT FOREIGN SCHEMA kubernetes LIMIT TO (k8s_jobs, k8s_stable_example_com_crontabs)
    FROM SERVER crd_k8s INTO crd_fail;
RESET statement_timeout;
\! curl -s 'http://127.0.0.1:18080/_mock/faults?clear=1' > /dev/null
SELECT foreign_table_name FROM information_schema.foreign_tables
 WHERE foreign_table_schema = 'crd_fail' ORDER BY 1;
DROP SCHEMA crd_fail CASCADE;
DROP SERVER crd_down CASCADE;
DROP SERVER crd_nomap CASCADE;

-- the option only for a source with custom resources
CREATE SERVER crd_gh FOREIGN DATA WRAPPER cq_fdw OPTIONS (source 'github', base_url 'http://127.0.0.1:18080/crd');
CREATE SCHEMA crd_gh;
IMPORT FOREIGN SCHEMA github FROM SERVER crd_gh INTO crd_gh OPTIONS (custom_resources 'true');
IMPORT FOREIGN SCHEMA kubernetes FROM SERVER crd_k8s INTO crd OPTIONS (nope 'true');

-- a definition stored in table_def is checked: relative endpoints only
CREATE FOREIGN TABLE crd.bad (name text) SERVER crd_k8s
    OPTIONS (table_def '{"name": "bad", "endpoint": "https://elsewhere.example.com/x", "columns": [{"name": "name", "type": "string"}]}');
SELECT * FROM crd.bad;
CREATE FOREIGN TABLE crd.bad2 (name text) SERVER crd_k8s
    OPTIONS (table_def '{"name": "bad2", "endpoint": "/x", "colums": []}');
SELECT * FROM crd.bad2;

DROP SCHEMA crd CASCADE;
DROP SCHEMA crd_gh CASCADE;
DROP SERVER crd_k8s CASCADE;
DROP SERVER crd_gh CASCADE;
