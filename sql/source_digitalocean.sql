-- Source digitalocean against the project's own fixtures
-- (test/fixtures/digitalocean, served by the mock under
-- /replay/digitalocean/<scenario>/<api path>): IMPORT, \d+ comments, the five
-- required tables with typed values (inet[] split by family, DigitalOcean's
-- upper-case zero-padded IPv6, uuid, cidr, cidr[]), links.pages.next paging,
-- the tag_name and region keys, an empty tag, nulls and the API's
-- {id, message} error bodies.
SET client_min_messages = warning;
SET timezone = 'UTC';
SET datestyle = 'ISO, YMD';
CREATE EXTENSION IF NOT EXISTS cq_fdw;

CREATE SERVER src_do FOREIGN DATA WRAPPER cq_fdw
    OPTIONS (source 'digitalocean', base_url 'http://127.0.0.1:18080/replay/digitalocean/demo');
CREATE USER MAPPING FOR CURRENT_USER SERVER src_do OPTIONS (token 'test-token');
CREATE SCHEMA src_do;
IMPORT FOREIGN SCHEMA digitalocean
    LIMIT TO (digitalocean_droplets, digitalocean_volumes, digitalocean_vpcs,
              digitalocean_firewalls, digitalocean_domains)
    FROM SERVER src_do INTO src_do;
SELECT foreign_table_name FROM information_schema.foreign_tables
 WHERE foreign_table_schema = 'src_do' ORDER BY 1;

-- without LIMIT TO: every table of the source, each with comments
CREATE SCHEMA src_do_all;
IMPORT FOREIGN SCHEMA digitalocean FROM SERVER src_do INTO src_do_all;
SELECT count(*) AS imported,
       count(*) = (SELECT count(*) FROM cq_fdw.tables WHERE source = 'digitalocean') AS all_tables
  FROM information_schema.foreign_tables WHERE foreign_table_schema = 'src_do_all';
SELECT count(*) FILTER (WHERE obj_description(c.oid, 'pg_class') IS NULL) AS tables_without_comment,
       (SELECT count(*) FROM pg_attribute a JOIN pg_class c2 ON c2.oid = a.attrelid
         WHERE c2.relnamespace = 'src_do_all'::regnamespace AND a.attnum > 0
           AND col_description(a.attrelid, a.attnum) IS NULL) AS columns_without_comment
  FROM pg_class c WHERE c.relnamespace = 'src_do_all'::regnamespace;
DROP SCHEMA src_do_all CASCADE;

\d+ src_do.digitalocean_vpcs

-- droplets: two pages, the second one at links.pages.next as given
\! curl -s 'http://127.0.0.1:18080/_mock/reset' > /dev/null
SELECT id, name, status, memory, vcpus, disk, region_slug, size_slug, image_slug,
       image_distribution, vpc_uuid, tags, created_at
  FROM src_do.digitalocean_droplets ORDER BY id;
\! curl -s 'http://127.0.0.1:18080/_mock/requests' | /usr/bin/python3 -c "import json,re,sys; d=json.load(sys.stdin)['requests']; print('\n'.join(sorted(r['path'].split('?')[0] + (' (page 2)' if re.search('[?&]page=2(&|$)', r['path']) else '') for r in d)))"
-- addresses: the upper-case zero-padded IPv6 2A03:B0C0:0002:00D0:...:0E2F:7001
-- is read as inet and printed in canonical form
SELECT name, ip_addresses, ipv4_addresses, ipv6_addresses
  FROM src_do.digitalocean_droplets ORDER BY id;
SELECT name FROM src_do.digitalocean_droplets
 WHERE '2a03:b0c0:2:d0::e2f:7001'::inet = ANY (ipv6_addresses);
-- a filter on inet: droplets with a private address in the ams3 VPC range
SELECT d.name FROM src_do.digitalocean_droplets d
 WHERE EXISTS (SELECT 1 FROM unnest(d.ipv4_addresses) a WHERE a << '10.110.0.0/20')
 ORDER BY d.name;
-- nulls: a snapshot-based droplet has no image slug; no IPv6, empty arrays
SELECT name, image_slug IS NULL AS no_slug, image ->> 'type' AS image_type,
       ipv6_addresses, tags, volume_ids, kernel
  FROM src_do.digitalocean_droplets WHERE status = 'off';

-- tag_name is sent as a query parameter, filtered exactly by the API
EXPLAIN (COSTS OFF) SELECT name FROM src_do.digitalocean_droplets WHERE tag_name = 'web';
SELECT tag_name, name, tags FROM src_do.digitalocean_droplets WHERE tag_name = 'web' ORDER BY id;
-- an empty tag: droplets []
SELECT count(*) FROM src_do.digitalocean_droplets WHERE tag_name = 'nothing';

-- volumes: uuid ids, attached droplets, a null description
SELECT id, name, region, size_gigabytes, droplet_ids, filesystem_type, tags,
       description, created_at
  FROM src_do.digitalocean_volumes ORDER BY name;
EXPLAIN (COSTS OFF) SELECT name FROM src_do.digitalocean_volumes WHERE region = 'nyc3';
SELECT region, name FROM src_do.digitalocean_volumes WHERE region = 'nyc3' ORDER BY name;

-- VPCs: cidr, uuid
SELECT id, name, region, ip_range, "default", description, urn, created_at
  FROM src_do.digitalocean_vpcs ORDER BY created_at;

-- firewalls: cidr[] of the inbound sources (IPv4 and IPv6), jsonb rules
SELECT id, name, status, droplet_ids, tags, inbound_source_addresses,
       jsonb_array_length(inbound_rules) AS inbound, jsonb_array_length(outbound_rules) AS outbound,
       pending_changes -> 0 ->> 'status' AS pending
  FROM src_do.digitalocean_firewalls ORDER BY name;
SELECT name FROM src_do.digitalocean_firewalls
 WHERE '::/0'::cidr = ANY (inbound_source_addresses) ORDER BY name;

-- domains: a null zone file
SELECT name, ttl, ip_address, zone_file IS NULL AS no_zone_file,
       split_part(zone_file, E'\n', 1) AS first_line
  FROM src_do.digitalocean_domains ORDER BY name;

-- a join across tables: droplets with their VPC's range and their volumes
SELECT d.name, v.name AS vpc, v.ip_range, sum(vol.size_gigabytes) AS volume_gb
  FROM src_do.digitalocean_droplets d
  JOIN src_do.digitalocean_vpcs v ON v.id = d.vpc_uuid
  LEFT JOIN src_do.digitalocean_volumes vol ON d.id = ANY (vol.droplet_ids)
 GROUP BY d.name, v.name, v.ip_range ORDER BY d.name;

-- the API's error bodies: message as DETAIL
CREATE SERVER src_do_err FOREIGN DATA WRAPPER cq_fdw
    OPTIONS (source 'digitalocean', base_url 'http://127.0.0.1:18080/replay/digitalocean/api-errors');
CREATE USER MAPPING FOR CURRENT_USER SERVER src_do_err OPTIONS (token 'test-token');
CREATE FOREIGN TABLE src_do.err_droplets (id bigint, name text)
    SERVER src_do_err OPTIONS ("table" 'digitalocean_droplets');
CREATE FOREIGN TABLE src_do.err_vpcs (id uuid, name text)
    SERVER src_do_err OPTIONS ("table" 'digitalocean_vpcs');
SELECT count(*) FROM src_do.err_droplets;
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) FROM src_do.err_vpcs;
\echo :LAST_ERROR_SQLSTATE

DROP SCHEMA src_do CASCADE;
DROP SERVER src_do CASCADE;
DROP SERVER src_do_err CASCADE;
