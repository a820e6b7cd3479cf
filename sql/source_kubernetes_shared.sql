-- Source kubernetes against real recordings (a kind cluster's kube-system
-- PodList and DeploymentList in ../shared/fixtures/kubernetes, read in place
-- by the mock): pod_ip inet, pod_ips inet[], uid uuid, creation_timestamp
-- timestamptz, a filter on an inet column.
SET client_min_messages = warning;
SET timezone = 'UTC';
SET datestyle = 'ISO, YMD';
CREATE EXTENSION IF NOT EXISTS cq_fdw;

CREATE SERVER src_k8ss_pods FOREIGN DATA WRAPPER cq_fdw
    OPTIONS (source 'kubernetes', base_url 'http://127.0.0.1:18080/replay/kubernetes/pod-list');
CREATE USER MAPPING FOR CURRENT_USER SERVER src_k8ss_pods OPTIONS (token 'test-token');
CREATE SCHEMA src_k8ss;
IMPORT FOREIGN SCHEMA kubernetes LIMIT TO (k8s_pods) FROM SERVER src_k8ss_pods INTO src_k8ss;

SELECT name, namespace, uid, pg_typeof(uid) AS uid_type, phase, pod_ip, pod_ips, host_ip,
       creation_timestamp, node_name, qos_class
  FROM src_k8ss.k8s_pods WHERE namespace = 'kube-system' ORDER BY name;
-- pods on the pod network vs. on the host network
SELECT count(*) FILTER (WHERE pod_ip << '10.244.0.0/16') AS pod_network,
       count(*) FILTER (WHERE pod_ip = host_ip) AS host_network,
       count(*) FILTER (WHERE host_network) AS host_network_spec,
       count(*) AS pods
  FROM src_k8ss.k8s_pods WHERE namespace = 'kube-system';
SELECT name, labels ->> 'k8s-app' AS app, owner_references -> 0 ->> 'kind' AS owner_kind,
       restart_count, container_images
  FROM src_k8ss.k8s_pods WHERE namespace = 'kube-system' AND pod_ip << '10.244.0.0/16'
 ORDER BY name;

CREATE SERVER src_k8ss_dep FOREIGN DATA WRAPPER cq_fdw
    OPTIONS (source 'kubernetes', base_url 'http://127.0.0.1:18080/replay/kubernetes/deployment-list');
CREATE USER MAPPING FOR CURRENT_USER SERVER src_k8ss_dep OPTIONS (token 'test-token');
IMPORT FOREIGN SCHEMA kubernetes LIMIT TO (k8s_deployments) FROM SERVER src_k8ss_dep INTO src_k8ss;
SELECT name, namespace, uid, replicas, ready_replicas, available_replicas, updated_replicas,
       strategy_type, container_images, selector, creation_timestamp
  FROM src_k8ss.k8s_deployments WHERE namespace = 'kube-system' ORDER BY name;

DROP SCHEMA src_k8ss CASCADE;
DROP SERVER src_k8ss_pods CASCADE;
DROP SERVER src_k8ss_dep CASCADE;
