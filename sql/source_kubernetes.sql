-- Source kubernetes against the project's own fixtures (test/fixtures/kubernetes,
-- served by the mock under /replay/kubernetes/<scenario>/<api path>): IMPORT,
-- \d+ comments, the five required tables with typed values (inet, inet[],
-- cidr, uuid, timestamptz with offsets), a filter on an inet column, the
-- optional namespace key, an empty namespace, the continue-token paging of
-- list calls, nulls of a pending pod and the API's Status error bodies.
SET client_min_messages = warning;
SET timezone = 'UTC';
SET datestyle = 'ISO, YMD';
CREATE EXTENSION IF NOT EXISTS cq_fdw;

CREATE SERVER src_k8s FOREIGN DATA WRAPPER cq_fdw
    OPTIONS (source 'kubernetes', base_url 'http://127.0.0.1:18080/replay/kubernetes/demo');
CREATE USER MAPPING FOR CURRENT_USER SERVER src_k8s OPTIONS (token 'test-token');
CREATE SCHEMA src_k8s;
IMPORT FOREIGN SCHEMA kubernetes
    LIMIT TO (k8s_namespaces, k8s_pods, k8s_nodes, k8s_services, k8s_deployments)
    FROM SERVER src_k8s INTO src_k8s;
SELECT foreign_table_name FROM information_schema.foreign_tables
 WHERE foreign_table_schema = 'src_k8s' ORDER BY 1;

-- without LIMIT TO: every table of the source, each with comments (the
-- recorded cluster has no CustomResourceDefinitions: sql/k8s_crd.sql)
CREATE SCHEMA src_k8s_all;
IMPORT FOREIGN SCHEMA kubernetes FROM SERVER src_k8s INTO src_k8s_all OPTIONS (custom_resources 'false');
SELECT count(*) AS imported,
       count(*) = (SELECT count(*) FROM cq_fdw.tables WHERE source = 'kubernetes') AS all_tables
  FROM information_schema.foreign_tables WHERE foreign_table_schema = 'src_k8s_all';
SELECT count(*) FILTER (WHERE obj_description(c.oid, 'pg_class') IS NULL) AS tables_without_comment,
       (SELECT count(*) FROM pg_attribute a JOIN pg_class c2 ON c2.oid = a.attrelid
         WHERE c2.relnamespace = 'src_k8s_all'::regnamespace AND a.attnum > 0
           AND col_description(a.attrelid, a.attnum) IS NULL) AS columns_without_comment
  FROM pg_class c WHERE c.relnamespace = 'src_k8s_all'::regnamespace;
DROP SCHEMA src_k8s_all CASCADE;

\d+ src_k8s.k8s_namespaces

-- namespaces: uuid, a Terminating one
SELECT name, uid, phase, creation_timestamp, labels ->> 'kubernetes.io/metadata.name' AS label_name
  FROM src_k8s.k8s_namespaces ORDER BY name;

-- pods of the whole cluster: two pages, the second one asked for with the
-- first page's metadata.continue token
\! curl -s 'http://127.0.0.1:18080/_mock/reset' > /dev/null
SELECT namespace, name, uid, phase, node_name, pod_ip, pod_ips, host_ip,
       restart_count, creation_timestamp
  FROM src_k8s.k8s_pods ORDER BY namespace, name;
\! curl -s 'http://127.0.0.1:18080/_mock/requests' | /usr/bin/python3 -c "import json,sys; d=json.load(sys.stdin)['requests']; print('\n'.join(sorted(r['path'].split('?')[0] + (' (continue)' if 'continue=' in r['path'] else '') for r in d)))"
-- a filter on an inet column, and inet arrays
SELECT name, pod_ip FROM src_k8s.k8s_pods WHERE pod_ip << '10.244.0.0/16' AND pod_ip << '10.244.1.0/24';
SELECT name, family(pod_ip) AS family, masklen(pod_ip) AS masklen,
       (SELECT array_agg(family(ip) ORDER BY family(ip)) FROM unnest(pod_ips) ip) AS families
  FROM src_k8s.k8s_pods WHERE namespace = 'shop' AND name LIKE 'web-%' ORDER BY name;
SELECT count(*) AS pods_with_ipv6
  FROM src_k8s.k8s_pods WHERE EXISTS (SELECT 1 FROM unnest(pod_ips) ip WHERE family(ip) = 6);
-- the pending pod: no node, no IP, no start time, empty arrays
SELECT name, phase, node_name IS NULL AS no_node, pod_ip IS NULL AS no_ip,
       host_ip IS NULL AS no_host_ip, start_time IS NULL AS not_started,
       pod_ips, restart_count, conditions -> 0 ->> 'reason' AS reason
  FROM src_k8s.k8s_pods WHERE namespace = 'shop' AND phase = 'Pending';
-- jsonb columns: labels and owner references
SELECT name, labels ->> 'app' AS app, owner_references -> 0 ->> 'kind' AS owner_kind,
       container_images[1] AS image, container_names
  FROM src_k8s.k8s_pods WHERE namespace = 'shop' ORDER BY name;

-- the optional namespace key goes into the path (no local recheck needed)
EXPLAIN (COSTS OFF) SELECT name FROM src_k8s.k8s_pods WHERE namespace = 'kube-system';
SELECT namespace, name, pod_ip FROM src_k8s.k8s_pods WHERE namespace = 'kube-system' ORDER BY name;
-- an empty namespace: an empty items array
SELECT count(*) FROM src_k8s.k8s_pods WHERE namespace = 'empty';
-- = ANY fans out
SELECT namespace, count(*) FROM src_k8s.k8s_pods
 WHERE namespace = ANY ('{kube-system,shop,empty}') GROUP BY namespace ORDER BY namespace;

-- nodes: cidr, cidr[], a cordoned node
SELECT name, uid, pod_cidr, pod_cidrs, addresses, unschedulable, kubelet_version,
       architecture, capacity ->> 'cpu' AS cpus, taints -> 0 ->> 'effect' AS taint
  FROM src_k8s.k8s_nodes ORDER BY name;
-- which node runs which pod: pod IP inside the node's pod range
SELECT n.name AS node, count(p.name) AS pods
  FROM src_k8s.k8s_nodes n LEFT JOIN src_k8s.k8s_pods p ON p.pod_ip << n.pod_cidr
 GROUP BY n.name ORDER BY n.name;

-- services: a headless one (clusterIP "None"), a load balancer's inet[]
SELECT namespace, name, uid, type, cluster_ip, cluster_ips, load_balancer_ips,
       external_ips, ports -> 0 ->> 'port' AS port, selector
  FROM src_k8s.k8s_services ORDER BY namespace, name;
SELECT name, cluster_ip::inet << '10.96.0.0/12' AS in_service_range
  FROM src_k8s.k8s_services WHERE namespace = 'shop' AND cluster_ip <> 'None' ORDER BY name;

-- deployments: a deployment scaled to zero has no readyReplicas (null)
SELECT namespace, name, uid, replicas, ready_replicas, available_replicas,
       updated_replicas, strategy_type, container_images, generation,
       observed_generation, conditions -> 0 ->> 'status' AS available, creation_timestamp
  FROM src_k8s.k8s_deployments ORDER BY namespace, name;
SELECT name, replicas FROM src_k8s.k8s_deployments WHERE namespace = 'shop' ORDER BY name;
-- pods of each deployment through its selector
SELECT d.name, count(p.name) AS pods
  FROM src_k8s.k8s_deployments d
  JOIN src_k8s.k8s_pods p ON p.namespace = d.namespace AND p.labels @> (d.selector -> 'matchLabels')
 GROUP BY d.name ORDER BY d.name;

-- the API's Status bodies: message as DETAIL
CREATE SERVER src_k8s_err FOREIGN DATA WRAPPER cq_fdw
    OPTIONS (source 'kubernetes', base_url 'http://127.0.0.1:18080/replay/kubernetes/api-errors');
CREATE USER MAPPING FOR CURRENT_USER SERVER src_k8s_err OPTIONS (token 'test-token');
CREATE FOREIGN TABLE src_k8s.err_pods (name text, namespace text)
    SERVER src_k8s_err OPTIONS ("table" 'k8s_pods');
CREATE FOREIGN TABLE src_k8s.err_nodes (name text)
    SERVER src_k8s_err OPTIONS ("table" 'k8s_nodes');
SELECT count(*) FROM src_k8s.err_pods;
\echo :LAST_ERROR_SQLSTATE
-- 410 Gone on the second page: an expired continue token
SELECT count(*) FROM src_k8s.err_nodes;
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) FROM src_k8s.k8s_nodes;

DROP SCHEMA src_k8s CASCADE;
DROP SERVER src_k8s CASCADE;
DROP SERVER src_k8s_err CASCADE;
