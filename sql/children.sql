-- Child tables against the project's own fixtures (test/fixtures/<source>/demo.json):
-- GCP network interfaces through the aggregated list (rows /items/*/instances/*/networkInterfaces:
-- "^" is the instance, not the zone's scoped list), GitHub issue labels by org
-- (the parent listing of repositories, then the issues of each: the same
-- requests as github_issues), Azure IP configurations of network interfaces.
SET client_min_messages = warning;
SET timezone = 'UTC';
SET datestyle = 'ISO, YMD';
CREATE EXTENSION IF NOT EXISTS cq_fdw;

-- gcp: every zone of the project (aggregated list), and one zone
CREATE SERVER chd_gcp FOREIGN DATA WRAPPER cq_fdw
    OPTIONS (source 'gcp', base_url 'http://127.0.0.1:18080/replay/gcp/demo');
CREATE USER MAPPING FOR CURRENT_USER SERVER chd_gcp OPTIONS (token 'test-token');
CREATE SCHEMA chd_gcp;
IMPORT FOREIGN SCHEMA gcp LIMIT TO (gcp_compute_instances, gcp_compute_instance_network_interfaces)
    FROM SERVER chd_gcp INTO chd_gcp;
SELECT zone, instance_name, name, network, subnetwork, network_ip, nat_ips, access_config_types
  FROM chd_gcp.gcp_compute_instance_network_interfaces
 WHERE project = 'demo-project' ORDER BY instance_name, name;
-- element for element the instances' own network_ips
SELECT (SELECT count(*) FROM chd_gcp.gcp_compute_instance_network_interfaces
         WHERE project = 'demo-project') AS interfaces,
       (SELECT sum(cardinality(network_ips)) FROM chd_gcp.gcp_compute_instances
         WHERE project = 'demo-project') AS in_instances;
SELECT zone, count(*) FROM chd_gcp.gcp_compute_instance_network_interfaces
 WHERE project = 'demo-project' AND zone = 'us-central1-a' GROUP BY zone;
-- instances with an interface on the internet
SELECT DISTINCT i.name, i.zone
  FROM chd_gcp.gcp_compute_instances i
  JOIN chd_gcp.gcp_compute_instance_network_interfaces n ON n.instance_id = i.id
 WHERE i.project = 'demo-project' AND n.project = 'demo-project' AND cardinality(n.nat_ips) > 0
 ORDER BY 1;

-- github: labels of every issue of an organization
CREATE SERVER chd_gh FOREIGN DATA WRAPPER cq_fdw
    OPTIONS (source 'github', base_url 'http://127.0.0.1:18080/replay/github/demo');
CREATE USER MAPPING FOR CURRENT_USER SERVER chd_gh OPTIONS (token 'test-token');
CREATE SCHEMA chd_gh;
IMPORT FOREIGN SCHEMA github LIMIT TO (github_issues, github_issue_labels)
    FROM SERVER chd_gh INTO chd_gh;
\! curl -s 'http://127.0.0.1:18080/_mock/reset' > /dev/null
SELECT name, count(*) AS issues, string_agg(repo || '#' || issue_number, ', ' ORDER BY repo, issue_number) AS where_used
  FROM chd_gh.github_issue_labels WHERE org = 'demo-org' GROUP BY name ORDER BY name;
\! curl -s 'http://127.0.0.1:18080/_mock/requests?route=/replay/github/' | /usr/bin/python3 -c "import json,sys; d=json.load(sys.stdin)['requests']; print(len(d), 'requests:', ', '.join(sorted(r['path'].split('?')[0].split('/demo', 1)[1] for r in d)))"
\! curl -s 'http://127.0.0.1:18080/_mock/reset' > /dev/null
SELECT count(*) AS issues FROM chd_gh.github_issues WHERE org = 'demo-org';
\! curl -s 'http://127.0.0.1:18080/_mock/requests?route=/replay/github/' | /usr/bin/python3 -c "import json,sys; d=json.load(sys.stdin)['requests']; print(len(d), 'requests:', ', '.join(sorted(r['path'].split('?')[0].split('/demo', 1)[1] for r in d)))"
-- the same labels as the issues' own label_names
SELECT (SELECT count(*) FROM chd_gh.github_issue_labels WHERE owner = 'demo-org' AND repo = 'api') AS labels,
       (SELECT sum(cardinality(label_names)) FROM chd_gh.github_issues WHERE owner = 'demo-org' AND repo = 'api') AS in_issues;

-- azure: IP configurations of the subscription's network interfaces
CREATE SERVER chd_az FOREIGN DATA WRAPPER cq_fdw
    OPTIONS (source 'azure', base_url 'http://127.0.0.1:18080/replay/azure/demo');
CREATE USER MAPPING FOR CURRENT_USER SERVER chd_az OPTIONS (token 'test-token');
CREATE SCHEMA chd_az;
IMPORT FOREIGN SCHEMA azure LIMIT TO (azure_network_interface_ip_configurations)
    FROM SERVER chd_az INTO chd_az;
SELECT resource_group, network_interface_name, name, private_ip_address, pg_typeof(private_ip_address) AS ip_type,
       private_ip_allocation_method, "primary", mac_address,
       regexp_replace(public_ip_address_id, '.*/', '') AS public_ip, regexp_replace(subnet_id, '.*/', '') AS subnet
  FROM chd_az.azure_network_interface_ip_configurations
 WHERE subscription_id = '11111111-2222-3333-4444-555555555555' ORDER BY network_interface_name, name;

DROP SCHEMA chd_gcp, chd_gh, chd_az CASCADE;
DROP SERVER chd_gcp, chd_gh, chd_az CASCADE;

-- pushdown beyond "=": updated_at >= / > is sent as GitHub's since (an
-- inclusive bound, so > is rechecked locally), on issues and their labels
CREATE SERVER chd_gh2 FOREIGN DATA WRAPPER cq_fdw
    OPTIONS (source 'github', base_url 'http://127.0.0.1:18080/replay/github/demo');
CREATE USER MAPPING FOR CURRENT_USER SERVER chd_gh2 OPTIONS (token 'test-token');
CREATE SCHEMA chd_gh2;
IMPORT FOREIGN SCHEMA github LIMIT TO (github_issues, github_issue_labels)
    FROM SERVER chd_gh2 INTO chd_gh2;
EXPLAIN (COSTS OFF)
SELECT number FROM chd_gh2.github_issues
 WHERE owner = 'demo-org' AND repo = 'api' AND updated_at > '2024-03-01T00:00:00Z';
\! curl -s 'http://127.0.0.1:18080/_mock/reset' > /dev/null
SELECT number, updated_at FROM chd_gh2.github_issues
 WHERE owner = 'demo-org' AND repo = 'api' AND updated_at >= '2024-03-01T00:00:00Z' ORDER BY number;
SELECT issue_number, name FROM chd_gh2.github_issue_labels
 WHERE owner = 'demo-org' AND repo = 'api' AND updated_at > '2024-03-01T00:00:00Z' ORDER BY 1, 2;
\! curl -s 'http://127.0.0.1:18080/_mock/requests?route=/replay/github/' | /usr/bin/python3 -c "import json,sys; d=json.load(sys.stdin)['requests']; print('\n'.join(r['path'].split('/demo', 1)[1] for r in d))"
DROP SCHEMA chd_gh2 CASCADE;
DROP SERVER chd_gh2 CASCADE;
