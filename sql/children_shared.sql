-- Child tables: one row per element of a nested array of objects, with the
-- parent's key columns and id read through "^" column paths (sources/SPEC.md).
-- Real recordings (../shared/fixtures, read in place by the mock) for pods,
-- droplets and GCP instances; the project's own sidecars recording for
-- container statuses joined by container name, never by position.  A child
-- scan sends the same requests as a scan of its parent (one pass over the
-- parent collection, same pagination and key quals).
SET client_min_messages = warning;
SET timezone = 'UTC';
SET datestyle = 'ISO, YMD';
CREATE EXTENSION IF NOT EXISTS cq_fdw;

-- ---------------------------------------------------------------- kubernetes
CREATE SERVER ch_k8s FOREIGN DATA WRAPPER cq_fdw
    OPTIONS (source 'kubernetes', base_url 'http://127.0.0.1:18080/replay/kubernetes/pod-list');
CREATE USER MAPPING FOR CURRENT_USER SERVER ch_k8s OPTIONS (token 'test-token');
CREATE SCHEMA ch_k8s;
IMPORT FOREIGN SCHEMA kubernetes LIMIT TO (k8s_pods, k8s_pod_containers, k8s_pod_volumes)
    FROM SERVER ch_k8s INTO ch_k8s;
\d+ ch_k8s.k8s_pod_containers

-- every container image running, with its pod's IP (a kind cluster's kube-system)
\! curl -s 'http://127.0.0.1:18080/_mock/reset' > /dev/null
SELECT namespace, pod_name, pod_uid, name, image, ready, started, restart_count,
       pod_ip, pg_typeof(pod_ip) AS pod_ip_type, node_name, pod_phase, running_since
  FROM ch_k8s.k8s_pod_containers WHERE namespace = 'kube-system' ORDER BY pod_name, name;
-- one request, the same as for the pods themselves
\! curl -s 'http://127.0.0.1:18080/_mock/requests?route=/replay/kubernetes/' | /usr/bin/python3 -c "import json,sys; d=json.load(sys.stdin)['requests']; print(len(d), 'request(s):', ', '.join(r['path'].split('?')[0].split('/pod-list', 1)[1] for r in d))"
-- the same containers as the pods' own container_names, element for element
SELECT (SELECT count(*) FROM ch_k8s.k8s_pod_containers WHERE namespace = 'kube-system') AS containers,
       (SELECT sum(cardinality(container_names)) FROM ch_k8s.k8s_pods WHERE namespace = 'kube-system') AS in_pods;
SELECT count(*) AS joined, count(*) FILTER (WHERE c.image <> ALL (p.container_images)) AS image_not_in_pod
  FROM ch_k8s.k8s_pods p JOIN ch_k8s.k8s_pod_containers c ON c.pod_uid = p.uid
 WHERE p.namespace = 'kube-system' AND c.namespace = 'kube-system';
-- volumes: typed per kind
SELECT pod_name, name, config_map_name, host_path, claim_name, secret_name IS NULL AS no_secret
  FROM ch_k8s.k8s_pod_volumes
 WHERE namespace = 'kube-system' AND (config_map_name IS NOT NULL OR pod_name LIKE 'etcd%')
 ORDER BY pod_name, name;
SELECT count(*) AS volumes, count(DISTINCT pod_uid) AS pods
  FROM ch_k8s.k8s_pod_volumes WHERE namespace = 'kube-system';

-- statuses listed in another order than spec.containers: joined by name;
-- a pod without statuses (pending) has null status columns; an invalid
-- restartCount or podIP is NULL with a WARNING, the row stays
CREATE SERVER ch_k8s_side FOREIGN DATA WRAPPER cq_fdw
    OPTIONS (source 'kubernetes', base_url 'http://127.0.0.1:18080/replay/kubernetes/sidecars');
CREATE USER MAPPING FOR CURRENT_USER SERVER ch_k8s_side OPTIONS (token 'test-token');
CREATE SCHEMA ch_k8s_side;
IMPORT FOREIGN SCHEMA kubernetes LIMIT TO (k8s_pod_containers, k8s_pod_volumes)
    FROM SERVER ch_k8s_side INTO ch_k8s_side;
SELECT pod_name, name, image, ready, restart_count, image_id, container_id, waiting_reason,
       running_since, state ->> 'running' IS NOT NULL AS running, pod_ip
  FROM ch_k8s_side.k8s_pod_containers ORDER BY pod_name, name;
-- a key qual of the parent: the namespace's own listing
\! curl -s 'http://127.0.0.1:18080/_mock/reset' > /dev/null
SELECT pod_name, name, ready FROM ch_k8s_side.k8s_pod_containers
 WHERE namespace = 'shop' AND NOT ready;
\! curl -s 'http://127.0.0.1:18080/_mock/requests?route=/replay/kubernetes/' | /usr/bin/python3 -c "import json,sys; d=json.load(sys.stdin)['requests']; print(len(d), 'request(s):', ', '.join(r['path'].split('?')[0].split('/sidecars', 1)[1] for r in d))"
SELECT pod_name, name, claim_name, config_map_name FROM ch_k8s_side.k8s_pod_volumes ORDER BY 1, 2;
-- LIMIT stops at the child rows asked for
SELECT count(*) FROM (SELECT * FROM ch_k8s_side.k8s_pod_containers LIMIT 2) s;

-- ------------------------------------------------------------- digitalocean
CREATE SERVER ch_do FOREIGN DATA WRAPPER cq_fdw
    OPTIONS (source 'digitalocean', base_url 'http://127.0.0.1:18080/replay/digitalocean/droplets');
CREATE USER MAPPING FOR CURRENT_USER SERVER ch_do OPTIONS (token 'test-token');
CREATE SCHEMA ch_do;
IMPORT FOREIGN SCHEMA digitalocean LIMIT TO (digitalocean_droplet_networks)
    FROM SERVER ch_do INTO ch_do;
-- two pages (links.pages.next), v4 and v6 of each droplet; the private
-- network's gateway "<nil>" is NULL with a warning; upper-case zero-padded
-- IPv6 in canonical form
\! curl -s 'http://127.0.0.1:18080/_mock/reset' > /dev/null
SELECT droplet_id, droplet_name, region_slug, ip_address, family(ip_address) AS family,
       netmask, gateway, pg_typeof(gateway) AS gateway_type, type
  FROM ch_do.digitalocean_droplet_networks ORDER BY droplet_name, family(ip_address), ip_address;
\! curl -s 'http://127.0.0.1:18080/_mock/stats?route=/replay/digitalocean/droplets/' | /usr/bin/python3 -c "import json,sys; print('requests:', json.load(sys.stdin)['prefix_count'])"
-- droplets whose public gateway is in a given network
SELECT droplet_name, ip_address FROM ch_do.digitalocean_droplet_networks
 WHERE type = 'public' AND gateway << '128.199.0.0/16';

-- ---------------------------------------------------------------------- gcp
CREATE SERVER ch_gcp FOREIGN DATA WRAPPER cq_fdw
    OPTIONS (source 'gcp', base_url 'http://127.0.0.1:18080/replay/gcp/recorded');
CREATE USER MAPPING FOR CURRENT_USER SERVER ch_gcp OPTIONS (token 'test-token');
CREATE SCHEMA ch_gcp;
IMPORT FOREIGN SCHEMA gcp LIMIT TO (gcp_compute_instance_network_interfaces)
    FROM SERVER ch_gcp INTO ch_gcp;
-- one zone (the zone's list: get_rows /items/*/networkInterfaces)
SELECT project, zone, instance_id, instance_name, instance_status, name, network, network_ip,
       nat_ips, access_config_names, access_config_types, pg_typeof(nat_ips) AS nat_ips_type,
       ipv6_address, external_ipv6_addresses
  FROM ch_gcp.gcp_compute_instance_network_interfaces
 WHERE project = 'project_name' AND zone = 'us-central1-a';
SELECT instance_name, name FROM ch_gcp.gcp_compute_instance_network_interfaces
 WHERE project = 'project_name' AND zone = 'us-central1-a' AND '23.236.58.15' = ANY (nat_ips);

DROP SCHEMA ch_k8s, ch_k8s_side, ch_do, ch_gcp CASCADE;
DROP SERVER ch_k8s, ch_k8s_side, ch_do, ch_gcp CASCADE;
