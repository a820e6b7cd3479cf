-- test/demo.sql -- the showcase `make demo` runs (psql variables: gh_url, mock;
-- the GitHub token arrives through the environment, never a command line).
\set ECHO queries
\pset footer off
\getenv gh_token CQ_DEMO_GH_TOKEN
\getenv gh_owner DEMO_GITHUB_OWNER
\getenv gh_repo DEMO_GITHUB_REPO
\set k8s_url :mock '/replay/kubernetes/demo'
\set gcp_url :mock '/replay/gcp/demo'
\set azure_url :mock '/replay/azure/demo'
\set do_url :mock '/replay/digitalocean/demo'

DROP EXTENSION IF EXISTS cq_fdw CASCADE;
CREATE EXTENSION cq_fdw;
SELECT name, version, kind, description FROM cq_fdw.sources ORDER BY name;
SELECT source, count(*) AS tables FROM cq_fdw.tables GROUP BY source ORDER BY source;

-- The demo talks to the local API (mock) on loopback; a superuser may point a
-- server anywhere, others only at cq_fdw.allowed_hosts.
CREATE SERVER github FOREIGN DATA WRAPPER cq_fdw OPTIONS (source 'github', base_url :'gh_url');
CREATE SERVER kubernetes FOREIGN DATA WRAPPER cq_fdw
  OPTIONS (source 'kubernetes', base_url :'k8s_url');
CREATE SERVER gcp FOREIGN DATA WRAPPER cq_fdw
  OPTIONS (source 'gcp', base_url :'gcp_url', projects 'demo-project');
CREATE SERVER azure FOREIGN DATA WRAPPER cq_fdw
  OPTIONS (source 'azure', base_url :'azure_url',
           subscriptions '11111111-2222-3333-4444-555555555555');
CREATE SERVER digitalocean FOREIGN DATA WRAPPER cq_fdw
  OPTIONS (source 'digitalocean', base_url :'do_url');

CREATE USER MAPPING FOR CURRENT_USER SERVER github OPTIONS (token :'gh_token');
CREATE USER MAPPING FOR CURRENT_USER SERVER kubernetes OPTIONS (token 'demo-token');
CREATE USER MAPPING FOR CURRENT_USER SERVER gcp OPTIONS (token 'demo-token');
CREATE USER MAPPING FOR CURRENT_USER SERVER azure OPTIONS (token 'demo-token');
CREATE USER MAPPING FOR CURRENT_USER SERVER digitalocean OPTIONS (token 'demo-token');

DROP SCHEMA IF EXISTS github, k8s, gcp, azure, digitalocean, snapshots CASCADE;
CREATE SCHEMA github; CREATE SCHEMA k8s; CREATE SCHEMA gcp; CREATE SCHEMA azure;
CREATE SCHEMA digitalocean; CREATE SCHEMA snapshots;
IMPORT FOREIGN SCHEMA github FROM SERVER github INTO github;
-- (against a live cluster, leave the option out: its CustomResourceDefinitions
-- become tables too; the recorded demo cluster has none)
IMPORT FOREIGN SCHEMA kubernetes FROM SERVER kubernetes INTO k8s OPTIONS (custom_resources 'false');
IMPORT FOREIGN SCHEMA gcp FROM SERVER gcp INTO gcp;
IMPORT FOREIGN SCHEMA azure FROM SERVER azure INTO azure;
IMPORT FOREIGN SCHEMA digitalocean FROM SERVER digitalocean INTO digitalocean;
SELECT foreign_table_schema AS schema, count(*) AS foreign_tables
  FROM information_schema.foreign_tables GROUP BY 1 ORDER BY 1;

-- Kubernetes: pods on the pod network, typed (inet, uuid, timestamptz).
SELECT namespace, name, phase, pod_ip, node_name, creation_timestamp
  FROM k8s.k8s_pods WHERE pod_ip << inet '10.244.0.0/16' ORDER BY namespace, name;

-- A key column pushed to the API: one namespace only (see EXPLAIN).
EXPLAIN (COSTS OFF) SELECT name FROM k8s.k8s_pods WHERE namespace = 'shop';
SELECT name, pod_ip FROM k8s.k8s_pods WHERE namespace = 'shop' ORDER BY name;

-- GCP: which subnetwork each instance's internal IP sits in (a join across
-- tables on inet containment), across all zones of the aggregated list.
SELECT i.name AS instance, i.zone, ip AS internal_ip, s.name AS subnetwork, s.ip_cidr_range
  FROM gcp.gcp_compute_instances i
  CROSS JOIN LATERAL unnest(i.network_ips) AS ip
  JOIN gcp.gcp_compute_subnetworks s ON ip << s.ip_cidr_range
 ORDER BY 1;

-- Azure: NICs with their MAC address (macaddr) and private IPs (inet[]).
SELECT name, mac_address, private_ip_addresses, resource_group
  FROM azure.azure_network_interfaces ORDER BY name;

-- DigitalOcean: droplets with an IPv6 address, in canonical form.
SELECT name, region_slug, ipv6_addresses FROM digitalocean.digitalocean_droplets
 WHERE cardinality(ipv6_addresses) > 0 ORDER BY name;

\if :{?gh_owner}
-- GitHub (real API): the latest issues of one repository, LIMIT pushed down.
SELECT number, title, state, created_at FROM github.github_issues
 WHERE owner = :'gh_owner' AND repo = :'gh_repo' LIMIT 10;
\else
-- GitHub: issues of every repository of an organisation (parent -> child walk).
SELECT repo, number, title, state, created_at
  FROM github.github_issues WHERE org = 'demo-org' ORDER BY repo, number LIMIT 10;
\endif

-- A snapshot: a materialized view with a unique index, refreshed concurrently,
-- each refresh logged in cq_fdw.sync_log.
SELECT cq_fdw.create_snapshot('k8s.k8s_pods', 'snapshots.pods');
CALL cq_fdw.refresh_snapshot('snapshots.pods');
SELECT snapshot, status, rows, requests, finished - started AS took
  FROM cq_fdw.sync_log ORDER BY id DESC LIMIT 3;

-- What a scan did: requests, pages, bytes, retries, waits.
EXPLAIN (ANALYZE, VERBOSE, COSTS OFF, TIMING OFF)
SELECT name, pod_ip FROM k8s.k8s_pods WHERE namespace = 'shop';
