-- Source gcp against real recordings (google-cloud-python / libcloud
-- fixtures in ../shared/fixtures/gcp, read in place by the mock): the zone
-- instances list with uint64 ids sent as strings (numeric) and -08:00
-- timestamps (converted to UTC), and the regions list paged by
-- nextPageToken whose last page has no items key.
SET client_min_messages = warning;
SET timezone = 'UTC';
SET datestyle = 'ISO, YMD';
CREATE EXTENSION IF NOT EXISTS cq_fdw;

CREATE SERVER src_gcps FOREIGN DATA WRAPPER cq_fdw
    OPTIONS (source 'gcp', base_url 'http://127.0.0.1:18080/replay/gcp/recorded');
CREATE USER MAPPING FOR CURRENT_USER SERVER src_gcps OPTIONS (token 'test-token');
CREATE SCHEMA src_gcps;
IMPORT FOREIGN SCHEMA gcp LIMIT TO (gcp_compute_instances, gcp_compute_regions)
    FROM SERVER src_gcps INTO src_gcps;

-- one zone: the zone's own list (get endpoint)
SELECT project, id, pg_typeof(id) AS id_type, name, zone, status,
       regexp_replace(machine_type, '.*/', '') AS machine_type,
       creation_timestamp, network_ips, nat_ips, tags
  FROM src_gcps.gcp_compute_instances
 WHERE project = 'project_name' AND zone = 'us-central1-a';
-- 2013-12-13T10:45:23.351-08:00 is 18:45:23.351 UTC
SELECT creation_timestamp = '2013-12-13T10:45:23.351-08:00'::timestamptz AS same_instant,
       creation_timestamp AT TIME ZONE 'UTC' AS utc,
       id = 4006034190819017667 AS id_exact
  FROM src_gcps.gcp_compute_instances
 WHERE project = 'project_name' AND zone = 'us-central1-a';

-- regions: page 1 gives 2 regions and a nextPageToken, page 2 has no items
\! curl -s 'http://127.0.0.1:18080/_mock/reset' > /dev/null
SELECT project, name, status FROM src_gcps.gcp_compute_regions
 WHERE project = 'project_name' ORDER BY name;
\! curl -s 'http://127.0.0.1:18080/_mock/requests' | /usr/bin/python3 -c "import json,sys; d=json.load(sys.stdin)['requests']; print('\n'.join(r['path'].split('?')[0] + (' (pageToken)' if 'pageToken=' in r['path'] else '') for r in d))"

DROP SCHEMA src_gcps CASCADE;
DROP SERVER src_gcps CASCADE;
