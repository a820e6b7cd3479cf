-- Kubernetes custom resources (issue 15 point 3): IMPORT FOREIGN SCHEMA
-- kubernetes ... OPTIONS (custom_resources 'true') reads the cluster's
-- CustomResourceDefinitions (a recorded list with two CRDs, served by the
-- mock under /crd/: test/fixtures/kubernetes/k8s-crd-cluster.json) and makes
-- a table k8s_<group>_<plural> of each, typed from the stored version's
-- openAPIV3Schema, namespaced or cluster-scoped as declared; the tables
-- scan the CRDs' own list endpoints, following the continue token.
SET client_min_messages = warning;
SET timezone = 'UTC';
SET datestyle = 'ISO, YMD';
CREATE EXTENSION IF NOT EXISTS cq_fdw;

CREATE SERVER crd_k8s FOREIGN DATA WRAPPER cq_fdw
    OPTIONS (source 'kubernetes', base_url 'http://127.0.0.1:18080/crd');
CREATE USER MAPPING FOR CURRENT_USER SERVER crd_k8s OPTIONS (token 'test-token');
CREATE SCHEMA crd;

-- without the option: the source's own tables only
IMPORT FOREIGN SCHEMA kubernetes LIMIT TO (k8s_namespaces, k8s_stable_example_com_crontabs)
    FROM SERVER crd_k8s INTO crd;
SELECT foreign_table_name FROM information_schema.foreign_tables
 WHERE foreign_table_schema = 'crd' ORDER BY 1;
DROP FOREIGN TABLE crd.k8s_namespaces;

-- with it: one table per CRD, and the read left no table behind
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
