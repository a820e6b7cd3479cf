-- Source digitalocean against real recordings (libcloud fixtures in
-- ../shared/fixtures/digitalocean, read in place by the mock): the
-- upper-case zero-padded IPv6 2604:A880:0800:0010:0000:0000:02DD:4001 read as
-- inet (printed in canonical form), links.pages.next paging, an empty list.
SET client_min_messages = warning;
SET timezone = 'UTC';
SET datestyle = 'ISO, YMD';
CREATE EXTENSION IF NOT EXISTS cq_fdw;

CREATE SERVER src_dos FOREIGN DATA WRAPPER cq_fdw
    OPTIONS (source 'digitalocean', base_url 'http://127.0.0.1:18080/replay/digitalocean/droplets');
CREATE USER MAPPING FOR CURRENT_USER SERVER src_dos OPTIONS (token 'test-token');
CREATE SCHEMA src_dos;
IMPORT FOREIGN SCHEMA digitalocean LIMIT TO (digitalocean_droplets) FROM SERVER src_dos INTO src_dos;

-- two pages; as recorded upstream both hold droplet 3164444 (one row each)
\! curl -s 'http://127.0.0.1:18080/_mock/reset' > /dev/null
SELECT id, name, status, memory, vcpus, region_slug, size_slug, image_slug,
       ip_addresses, ipv4_addresses, ipv6_addresses, created_at
  FROM src_dos.digitalocean_droplets ORDER BY created_at;
\! curl -s 'http://127.0.0.1:18080/_mock/stats?route=/replay/digitalocean/droplets/' | /usr/bin/python3 -c "import json,sys; print('requests:', json.load(sys.stdin)['prefix_count'])"
SELECT name, ipv6_addresses[1] AS ipv6, family(ipv6_addresses[1]) AS family,
       ipv6_addresses[1] = '2604:a880:800:10::2dd:4001'::inet AS canonical,
       ipv6_addresses[1] << '2604:a880::/32'::inet AS in_do_range
  FROM src_dos.digitalocean_droplets WHERE cardinality(ipv6_addresses) > 0 ORDER BY created_at;

-- one page only, and an empty list
CREATE SERVER src_dos_1 FOREIGN DATA WRAPPER cq_fdw
    OPTIONS (source 'digitalocean', base_url 'http://127.0.0.1:18080/replay/digitalocean/droplets-single');
CREATE USER MAPPING FOR CURRENT_USER SERVER src_dos_1 OPTIONS (token 'test-token');
CREATE FOREIGN TABLE src_dos.single (id bigint, name text, ipv6_addresses inet[])
    SERVER src_dos_1 OPTIONS ("table" 'digitalocean_droplets');
SELECT id, name, ipv6_addresses FROM src_dos.single;
CREATE SERVER src_dos_0 FOREIGN DATA WRAPPER cq_fdw
    OPTIONS (source 'digitalocean', base_url 'http://127.0.0.1:18080/replay/digitalocean/droplets-empty');
CREATE USER MAPPING FOR CURRENT_USER SERVER src_dos_0 OPTIONS (token 'test-token');
CREATE FOREIGN TABLE src_dos.empty (id bigint, name text)
    SERVER src_dos_0 OPTIONS ("table" 'digitalocean_droplets');
SELECT count(*) FROM src_dos.empty;

DROP SCHEMA src_dos CASCADE;
DROP SERVER src_dos CASCADE;
DROP SERVER src_dos_1 CASCADE;
DROP SERVER src_dos_0 CASCADE;
