-- Source gcp against the project's own fixtures (test/fixtures/gcp, served
-- by the mock under /replay/gcp/<scenario>/<api path>): IMPORT, \d+ comments,
-- the five required tables with typed values (uint64 ids as numeric,
-- timestamps with -08:00/-07:00/+01:00 offsets, inet[], cidr, cidr[]), the
-- aggregated lists (one row per resource across zones/regions, a scope with
-- only a warning), nextPageToken paging, the project key and the server
-- option projects, the zone key (a "get" of one zone, an empty zone) and the
-- API's error bodies.
SET client_min_messages = warning;
SET timezone = 'UTC';
SET datestyle = 'ISO, YMD';
CREATE EXTENSION IF NOT EXISTS cq_fdw;

CREATE SERVER src_gcp FOREIGN DATA WRAPPER cq_fdw
    OPTIONS (source 'gcp', base_url 'http://127.0.0.1:18080/replay/gcp/demo');
CREATE USER MAPPING FOR CURRENT_USER SERVER src_gcp OPTIONS (token 'test-token');
CREATE SCHEMA src_gcp;
IMPORT FOREIGN SCHEMA gcp
    LIMIT TO (gcp_compute_instances, gcp_compute_networks, gcp_compute_subnetworks,
              gcp_compute_firewalls, gcp_compute_disks)
    FROM SERVER src_gcp INTO src_gcp;
SELECT foreign_table_name FROM information_schema.foreign_tables
 WHERE foreign_table_schema = 'src_gcp' ORDER BY 1;

-- without LIMIT TO: every table of the source, each with comments
CREATE SCHEMA src_gcp_all;
IMPORT FOREIGN SCHEMA gcp FROM SERVER src_gcp INTO src_gcp_all;
SELECT count(*) AS imported,
       count(*) = (SELECT count(*) FROM cq_fdw.tables WHERE source = 'gcp') AS all_tables
  FROM information_schema.foreign_tables WHERE foreign_table_schema = 'src_gcp_all';
SELECT count(*) FILTER (WHERE obj_description(c.oid, 'pg_class') IS NULL) AS tables_without_comment,
       (SELECT count(*) FROM pg_attribute a JOIN pg_class c2 ON c2.oid = a.attrelid
         WHERE c2.relnamespace = 'src_gcp_all'::regnamespace AND a.attnum > 0
           AND col_description(a.attrelid, a.attnum) IS NULL) AS columns_without_comment
  FROM pg_class c WHERE c.relnamespace = 'src_gcp_all'::regnamespace;
-- a regional table lists the project's regions first (parent listing): with
-- no project, the error shows both ways (the region, or every region)
SELECT count(*) FROM src_gcp_all.gcp_compute_region_disks;
DROP SCHEMA src_gcp_all CASCADE;

\d+ src_gcp.gcp_compute_firewalls

-- instances: the aggregated list over two pages (nextPageToken), rows from
-- every zone; uint64 ids beyond bigint as numeric; offsets converted to UTC
\! curl -s 'http://127.0.0.1:18080/_mock/reset' > /dev/null
SELECT project, id, name, regexp_replace(zone, '.*/', '') AS zone, status,
       regexp_replace(machine_type, '.*/', '') AS machine_type, creation_timestamp,
       network_ips, nat_ips, tags, labels
  FROM src_gcp.gcp_compute_instances WHERE project = 'demo-project' ORDER BY id;
\! curl -s 'http://127.0.0.1:18080/_mock/requests' | /usr/bin/python3 -c "import json,sys; d=json.load(sys.stdin)['requests']; print('\n'.join(sorted(r['path'].split('?')[0] + (' (pageToken)' if 'pageToken=' in r['path'] else '') for r in d)))"
SELECT min(pg_typeof(id)::text) AS id_type, max(id) > 9223372036854775807 AS beyond_bigint,
       sum(id) AS id_sum FROM src_gcp.gcp_compute_instances WHERE project = 'demo-project';
-- each timestamp is the instant the API wrote with its offset (-08:00,
-- -07:00, +01:00, fractions of a second kept)
SELECT i.name, i.creation_timestamp = v.api::timestamptz AS same_instant,
       i.last_start_timestamp, i.last_stop_timestamp
  FROM src_gcp.gcp_compute_instances i
  JOIN (VALUES ('web-1', '2024-03-04T09:15:27.142-08:00'),
               ('web-2', '2024-03-04T09:15:27.142-08:00'),
               ('db-1', '2024-03-04T09:15:27.142-08:00'),
               ('batch-1', '2023-11-20T02:03:04.5+01:00'),
               ('legacy-1', '2019-08-01T11:00:00.000-07:00')) v (name, api) USING (name)
 WHERE i.project = 'demo-project' ORDER BY name;
-- a filter on inet columns
SELECT name FROM src_gcp.gcp_compute_instances
 WHERE project = 'demo-project' AND network_ips[1] << '10.10.0.0/20' ORDER BY name;
SELECT name, nat_ips FROM src_gcp.gcp_compute_instances
 WHERE project = 'demo-project' AND cardinality(nat_ips) = 0 ORDER BY name;

-- the project key is required (or the server option projects)
SELECT count(*) FROM src_gcp.gcp_compute_instances;
EXPLAIN (COSTS OFF)
SELECT name FROM src_gcp.gcp_compute_instances WHERE project = 'demo-project';
-- one zone: the zone is sent in the path (the zone's own list), and the
-- API filters exactly, so no local recheck
EXPLAIN (COSTS OFF)
SELECT name FROM src_gcp.gcp_compute_instances
 WHERE project = 'demo-project' AND zone = 'us-central1-a';
SELECT name, regexp_replace(zone, '.*/', '') AS zone FROM src_gcp.gcp_compute_instances
 WHERE project = 'demo-project' AND zone = 'us-central1-a' ORDER BY name;
-- The API returns zone as a URL; the spec's transform last_segment reads
-- the short name, so a scan of one zone (the request's value) and a scan of
-- every zone (the URL's last segment) agree, and so does a local filter.
SELECT DISTINCT zone FROM src_gcp.gcp_compute_instances
 WHERE project = 'demo-project' AND zone = 'us-central1-a';
SELECT zone, count(*) FROM src_gcp.gcp_compute_instances
 WHERE project = 'demo-project' GROUP BY zone ORDER BY zone;
SELECT name, machine_type, networks, subnetworks FROM src_gcp.gcp_compute_instances
 WHERE project = 'demo-project' AND zone LIKE 'us-central1-%' ORDER BY name;
-- an empty zone: the list has no items key at all
SELECT count(*) FROM src_gcp.gcp_compute_instances
 WHERE project = 'demo-project' AND zone = 'asia-east1-a';

-- the server option projects fans out when no qual names a project
CREATE SERVER src_gcp_p FOREIGN DATA WRAPPER cq_fdw
    OPTIONS (source 'gcp', base_url 'http://127.0.0.1:18080/replay/gcp/demo',
             projects 'demo-project');
CREATE USER MAPPING FOR CURRENT_USER SERVER src_gcp_p OPTIONS (token 'test-token');
CREATE FOREIGN TABLE src_gcp.p_networks (project text, id numeric, name text)
    SERVER src_gcp_p OPTIONS ("table" 'gcp_compute_networks');
SELECT project, id, name FROM src_gcp.p_networks ORDER BY id;

-- networks
SELECT project, id, name, auto_create_subnetworks, routing_mode, mtu,
       cardinality(subnetworks) AS subnets, ipv4_range, gateway_ipv4,
       creation_timestamp, description
  FROM src_gcp.gcp_compute_networks WHERE project = 'demo-project' ORDER BY name;

-- subnetworks: aggregated by region; cidr and inet; secondary ranges cidr[]
SELECT name, regexp_replace(region, '.*/', '') AS region,
       regexp_replace(network, '.*/', '') AS network, ip_cidr_range, gateway_address,
       secondary_ranges, private_ip_google_access
  FROM src_gcp.gcp_compute_subnetworks WHERE project = 'demo-project' ORDER BY name;
-- each instance in its subnetwork's range
SELECT i.name, s.name AS subnetwork
  FROM src_gcp.gcp_compute_instances i
  JOIN src_gcp.gcp_compute_subnetworks s
    ON s.project = i.project AND i.network_ips[1] << s.ip_cidr_range
 WHERE i.project = 'demo-project' ORDER BY i.name;

-- firewalls: cidr[] source ranges, jsonb rules, a rule with no range
SELECT name, regexp_replace(network, '.*/', '') AS network, direction, priority, disabled,
       source_ranges, source_tags, target_tags, allowed
  FROM src_gcp.gcp_compute_firewalls WHERE project = 'demo-project' ORDER BY priority, name;
-- which rules let the whole internet in
SELECT name FROM src_gcp.gcp_compute_firewalls
 WHERE project = 'demo-project' AND '0.0.0.0/0'::cidr = ANY (source_ranges) AND NOT disabled
 ORDER BY name;

-- disks: aggregated by zone; int64 sizes sent as strings; unattached disk
SELECT name, id, regexp_replace(zone, '.*/', '') AS zone, size_gb,
       regexp_replace(type, '.*/', '') AS type, status,
       source_image IS NULL AS no_image, cardinality(users) AS users, last_attach_timestamp
  FROM src_gcp.gcp_compute_disks WHERE project = 'demo-project' ORDER BY name;
SELECT sum(size_gb) AS total_gb, count(*) FILTER (WHERE users IS NULL) AS unattached
  FROM src_gcp.gcp_compute_disks WHERE project = 'demo-project';

-- the API's error bodies: error.message as DETAIL
CREATE SERVER src_gcp_err FOREIGN DATA WRAPPER cq_fdw
    OPTIONS (source 'gcp', base_url 'http://127.0.0.1:18080/replay/gcp/api-errors');
CREATE USER MAPPING FOR CURRENT_USER SERVER src_gcp_err OPTIONS (token 'test-token');
CREATE FOREIGN TABLE src_gcp.err_instances (project text, name text)
    SERVER src_gcp_err OPTIONS ("table" 'gcp_compute_instances');
CREATE FOREIGN TABLE src_gcp.err_networks (project text, name text)
    SERVER src_gcp_err OPTIONS ("table" 'gcp_compute_networks');
SELECT count(*) FROM src_gcp.err_instances WHERE project = 'demo-project';
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) FROM src_gcp.err_networks WHERE project = 'no-such-project';
\echo :LAST_ERROR_SQLSTATE

DROP SCHEMA src_gcp CASCADE;
DROP SERVER src_gcp CASCADE;
DROP SERVER src_gcp_p CASCADE;
DROP SERVER src_gcp_err CASCADE;
