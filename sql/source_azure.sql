-- Source azure against the project's own fixtures (test/fixtures/azure,
-- served by the mock under /replay/azure/<scenario>/<api path>): IMPORT, \d+
-- comments, the five required tables with typed values (uuid in every RFC
-- 9562 text form, macaddr from Azure's 00-0D-3A-... form, inet, inet[],
-- cidr[], timestamptz with 7-digit fractions and offsets), the
-- subscription_id key and the server option subscriptions, the resource
-- group key, an empty resource group, nextLink paging and the API's error
-- bodies.
SET client_min_messages = warning;
SET timezone = 'UTC';
SET datestyle = 'ISO, YMD';
CREATE EXTENSION IF NOT EXISTS cq_fdw;

CREATE SERVER src_azure FOREIGN DATA WRAPPER cq_fdw
    OPTIONS (source 'azure', base_url 'http://127.0.0.1:18080/replay/azure/demo');
CREATE USER MAPPING FOR CURRENT_USER SERVER src_azure OPTIONS (token 'test-token');
CREATE SCHEMA src_azure;
IMPORT FOREIGN SCHEMA azure
    LIMIT TO (azure_virtual_machines, azure_network_interfaces, azure_public_ip_addresses,
              azure_virtual_networks, azure_resource_groups)
    FROM SERVER src_azure INTO src_azure;
SELECT foreign_table_name FROM information_schema.foreign_tables
 WHERE foreign_table_schema = 'src_azure' ORDER BY 1;

-- without LIMIT TO: every table of the source, each with comments
CREATE SCHEMA src_azure_all;
IMPORT FOREIGN SCHEMA azure FROM SERVER src_azure INTO src_azure_all;
SELECT count(*) AS imported,
       count(*) = (SELECT count(*) FROM cq_fdw.tables WHERE source = 'azure') AS all_tables
  FROM information_schema.foreign_tables WHERE foreign_table_schema = 'src_azure_all';
SELECT count(*) FILTER (WHERE obj_description(c.oid, 'pg_class') IS NULL) AS tables_without_comment,
       (SELECT count(*) FROM pg_attribute a JOIN pg_class c2 ON c2.oid = a.attrelid
         WHERE c2.relnamespace = 'src_azure_all'::regnamespace AND a.attnum > 0
           AND col_description(a.attrelid, a.attnum) IS NULL) AS columns_without_comment
  FROM pg_class c WHERE c.relnamespace = 'src_azure_all'::regnamespace;
DROP SCHEMA src_azure_all CASCADE;

\d+ src_azure.azure_network_interfaces

-- virtual machines: two pages, the second one at the body's nextLink
-- (with its $skiptoken); vmId in four text forms, all the same uuid type
\! curl -s 'http://127.0.0.1:18080/_mock/reset' > /dev/null
SELECT subscription_id, resource_group, name, location, vm_id, vm_size, os_type,
       computer_name, image_offer, image_sku, provisioning_state, time_created, zones,
       tags
  FROM src_azure.azure_virtual_machines
 WHERE subscription_id = '11111111-2222-3333-4444-555555555555' ORDER BY name;
-- (resource_group is read from each resource's ARM id: transform
-- segment_after:resourceGroups)
\! curl -s 'http://127.0.0.1:18080/_mock/requests' | /usr/bin/python3 -c "import json,sys; d=json.load(sys.stdin)['requests']; print('\n'.join(sorted(r['path'].split('?')[0] + (' (skiptoken)' if 'skiptoken' in r['path'] else '') for r in d)))"
-- 7 fraction digits are rounded to microseconds, as PostgreSQL does:
-- 23:59:59.9999999+01:00 is 23:00:00 UTC
SELECT name, time_created, time_created = '2023-12-24 22:59:59.9999999+00' AS same_instant
  FROM src_azure.azure_virtual_machines
 WHERE subscription_id = '11111111-2222-3333-4444-555555555555' AND name = 'vm-db-1';
-- the subscription key is required (or the server option subscriptions)
SELECT count(*) FROM src_azure.azure_virtual_machines;
-- the resource group narrows the request
EXPLAIN (COSTS OFF)
SELECT name FROM src_azure.azure_virtual_machines
 WHERE subscription_id = '11111111-2222-3333-4444-555555555555' AND resource_group = 'demo-rg';
SELECT resource_group, count(*) FROM src_azure.azure_virtual_machines
 WHERE subscription_id = '11111111-2222-3333-4444-555555555555'
   AND resource_group = ANY ('{demo-rg,empty-rg}') GROUP BY resource_group;
-- an empty resource group: value []
SELECT count(*) FROM src_azure.azure_virtual_machines
 WHERE subscription_id = '11111111-2222-3333-4444-555555555555' AND resource_group = 'empty-rg';

-- the server option subscriptions fans out when no qual names one
CREATE SERVER src_azure_s FOREIGN DATA WRAPPER cq_fdw
    OPTIONS (source 'azure', base_url 'http://127.0.0.1:18080/replay/azure/demo',
             subscriptions '11111111-2222-3333-4444-555555555555');
CREATE USER MAPPING FOR CURRENT_USER SERVER src_azure_s OPTIONS (token 'test-token');
CREATE FOREIGN TABLE src_azure.s_groups (subscription_id text, name text, location text)
    SERVER src_azure_s OPTIONS ("table" 'azure_resource_groups');
SELECT subscription_id, name, location FROM src_azure.s_groups ORDER BY name;

-- network interfaces: macaddr from 00-0D-3A-2B-4C-01, inet[] private IPs
SELECT name, mac_address, private_ip_addresses, "primary", enable_accelerated_networking,
       regexp_replace(virtual_machine_id, '.*/', '') AS vm,
       regexp_replace(subnet_ids[1], '.*/', '') AS subnet,
       regexp_replace(public_ip_address_ids[1], '.*/', '') AS public_ip,
       resource_guid
  FROM src_azure.azure_network_interfaces
 WHERE subscription_id = '11111111-2222-3333-4444-555555555555' ORDER BY name;
-- a filter on macaddr and inet
SELECT name FROM src_azure.azure_network_interfaces
 WHERE subscription_id = '11111111-2222-3333-4444-555555555555'
   AND trunc(mac_address) = '00:0d:3a:00:00:00' AND private_ip_addresses[1] << '10.1.2.0/24'
 ORDER BY name;

-- public IP addresses: IPv4 and IPv6, an unassigned dynamic address (null)
SELECT name, ip_address, family(ip_address) AS family, public_ip_address_version,
       public_ip_allocation_method, sku_name, fqdn,
       regexp_replace(ip_configuration_id, '^.*/networkInterfaces/([^/]*)/.*$', '\1') AS nic,
       zones
  FROM src_azure.azure_public_ip_addresses
 WHERE subscription_id = '11111111-2222-3333-4444-555555555555' ORDER BY name;

-- virtual networks: cidr[] address spaces (IPv4 and IPv6), subnets, DNS servers
SELECT resource_group, name, address_prefixes, subnet_names, subnet_prefixes, dns_servers,
       enable_ddos_protection
  FROM src_azure.azure_virtual_networks
 WHERE subscription_id = '11111111-2222-3333-4444-555555555555' ORDER BY name;

-- resource groups: managedBy and tags absent -> null
SELECT name, location, provisioning_state, regexp_replace(managed_by, '.*/', '') AS managed_by,
       tags
  FROM src_azure.azure_resource_groups
 WHERE subscription_id = '11111111-2222-3333-4444-555555555555' ORDER BY name;

-- a join across tables: each VM with its NICs' addresses and public IPs
SELECT vm.name AS vm, nic.name AS nic, nic.private_ip_addresses, pip.ip_address AS public_ip
  FROM src_azure.azure_virtual_machines vm
  JOIN src_azure.azure_network_interfaces nic
    ON nic.subscription_id = vm.subscription_id AND lower(nic.virtual_machine_id) = lower(vm.id)
  LEFT JOIN src_azure.azure_public_ip_addresses pip
    ON pip.subscription_id = vm.subscription_id AND lower(pip.id) = lower(nic.public_ip_address_ids[1])
 WHERE vm.subscription_id = '11111111-2222-3333-4444-555555555555'
 ORDER BY vm.name, nic.name;
-- which NIC sits in which subnet of which VNet, by address
SELECT nic.name, vn.name AS vnet, s.prefix
  FROM src_azure.azure_network_interfaces nic
  JOIN src_azure.azure_virtual_networks vn ON vn.subscription_id = nic.subscription_id
  CROSS JOIN LATERAL unnest(vn.subnet_prefixes) AS s (prefix)
 WHERE nic.subscription_id = '11111111-2222-3333-4444-555555555555'
   AND nic.private_ip_addresses[1] << s.prefix
 ORDER BY nic.name;

-- the API's error bodies: error.message as DETAIL
CREATE SERVER src_azure_err FOREIGN DATA WRAPPER cq_fdw
    OPTIONS (source 'azure', base_url 'http://127.0.0.1:18080/replay/azure/api-errors');
CREATE USER MAPPING FOR CURRENT_USER SERVER src_azure_err OPTIONS (token 'test-token');
CREATE FOREIGN TABLE src_azure.err_vms (subscription_id text, name text)
    SERVER src_azure_err OPTIONS ("table" 'azure_virtual_machines');
CREATE FOREIGN TABLE src_azure.err_groups (subscription_id text, name text)
    SERVER src_azure_err OPTIONS ("table" 'azure_resource_groups');
SELECT count(*) FROM src_azure.err_vms WHERE subscription_id = '11111111-2222-3333-4444-555555555555';
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) FROM src_azure.err_groups WHERE subscription_id = '00000000-0000-0000-0000-000000000000';
\echo :LAST_ERROR_SQLSTATE

DROP SCHEMA src_azure CASCADE;
DROP SERVER src_azure CASCADE;
DROP SERVER src_azure_s CASCADE;
DROP SERVER src_azure_err CASCADE;
