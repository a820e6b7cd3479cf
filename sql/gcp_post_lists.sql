-- GCP Compute lists that are POSTs (spec "method": "POST", issue 15):
-- instanceGroupManagers.listManagedInstances and instanceGroups.listInstances,
-- against the mock's /gpost/ API, which answers them to POST only (GET:
-- 405), pages them with pageToken in the query string (2 per page here) and
-- lists the groups in an aggregated list: igm-a (us-central1-a), igm-b
-- (europe-west1-b), the regional rigm-c (us-central1).  What reached the
-- API, with its method, is read from the mock's request log.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS cq_fdw;
SET client_min_messages = notice;
\set VERBOSITY terse
\! curl -s 'http://127.0.0.1:18080/_mock/reset' > /dev/null

CREATE SERVER gpost FOREIGN DATA WRAPPER cq_fdw
    OPTIONS (source 'gcp', base_url 'http://127.0.0.1:18080/gpost/n=5,per=2', projects 'p1');
CREATE USER MAPPING FOR CURRENT_USER SERVER gpost OPTIONS (token 'test-token');
CREATE SCHEMA gpost;
IMPORT FOREIGN SCHEMA gcp LIMIT TO (gcp_compute_instance_group_managers_managed_instances,
    gcp_compute_region_instance_group_managers_managed_instances,
    gcp_compute_instance_groups_instances)
    FROM SERVER gpost INTO gpost;

-- one group: 5 instances over 3 pages, each page a POST
SELECT zone, instance_group_manager, regexp_replace(instance, '.*/', '') AS vm, id,
       instance_status, current_action, version ->> 'instanceTemplate' AS template
  FROM gpost.gcp_compute_instance_group_managers_managed_instances
 WHERE zone = 'us-central1-a' AND instance_group_manager = 'igm-a'
 ORDER BY instance;
\! /usr/bin/python3 "$CQ_TEST_DIR/regress/sql/gcp_post_lists_log.py"

-- every zonal group of the project: the aggregated list (one GET), then
-- each zonal group's POSTs; the zone column shows the zone's name
SELECT zone, instance_group_manager, count(*), min(regexp_replace(instance, '.*/', '')),
       max(regexp_replace(instance, '.*/', ''))
  FROM gpost.gcp_compute_instance_group_managers_managed_instances
 GROUP BY 1, 2 ORDER BY 1, 2;
\! /usr/bin/python3 "$CQ_TEST_DIR/regress/sql/gcp_post_lists_log.py"

-- the regional groups of the same aggregated list
SELECT region, instance_group_manager, count(*)
  FROM gpost.gcp_compute_region_instance_group_managers_managed_instances
 GROUP BY 1, 2 ORDER BY 1, 2;
\! /usr/bin/python3 "$CQ_TEST_DIR/regress/sql/gcp_post_lists_log.py"

-- instanceGroups.listInstances POSTs {"instanceState": "ALL"} (the mock
-- would return RUNNING ones only for "RUNNING"): stopped instances too
SELECT instance_group, status, count(*)
  FROM gpost.gcp_compute_instance_groups_instances
 WHERE zone = 'europe-west1-b' AND instance_group = 'igm-b'
 GROUP BY 1, 2 ORDER BY 1, 2;
\! /usr/bin/python3 "$CQ_TEST_DIR/regress/sql/gcp_post_lists_log.py"

-- LIMIT travels as maxResults on the POST's query string
SELECT count(*) FROM (SELECT instance FROM gpost.gcp_compute_instance_group_managers_managed_instances
 WHERE zone = 'us-central1-a' AND instance_group_manager = 'igm-a' LIMIT 1) s;
\! /usr/bin/python3 "$CQ_TEST_DIR/regress/sql/gcp_post_lists_log.py"

DROP SCHEMA gpost CASCADE;
DROP SERVER gpost CASCADE;
