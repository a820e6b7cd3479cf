-- AWS child tables (sources/aws/overrides.json "children"): one row per
-- element of a list inside each row of the parent table, the parent's
-- fields through "^" column paths, against the mock's /aws-api replies in
-- the shape AWS documents (SigV4 verified).  aws_ec2_instance_network_interfaces
-- sends DescribeInstances like aws_ec2_instances (rows
-- /reservationSet/*/instancesSet/*/networkInterfaceSet: "^" is the instance,
-- "^^" its reservation); aws_ec2_security_group_ingress_ranges and
-- ..._egress_ranges send DescribeSecurityGroups (ipPermissions x ipRanges:
-- "^" is the permission, "^^" the group), ranges typed cidr; likewise the
-- _ipv6_ranges, _prefix_lists and _group_pairs tables (ipv6Ranges,
-- prefixListIds, groups).
SET client_min_messages = warning;
SET timezone = 'UTC';
CREATE EXTENSION IF NOT EXISTS cq_fdw;
CREATE SERVER aws_chd FOREIGN DATA WRAPPER cq_fdw
    OPTIONS (source 'aws', base_url 'http://127.0.0.1:18080/aws-api', regions 'us-east-1',
             sts_url 'http://127.0.0.1:18080/aws-api');
CREATE USER MAPPING FOR CURRENT_USER SERVER aws_chd
    OPTIONS (access_key_id 'AKIDEXAMPLE', secret_access_key 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY');
CREATE SCHEMA aws_chd;
IMPORT FOREIGN SCHEMA aws LIMIT TO (aws_ec2_instances, aws_ec2_instance_network_interfaces,
    aws_ec2_security_groups, aws_ec2_security_group_ingress_ranges, aws_ec2_security_group_egress_ranges,
    aws_ec2_security_group_ingress_ipv6_ranges, aws_ec2_security_group_egress_ipv6_ranges,
    aws_ec2_security_group_ingress_prefix_lists, aws_ec2_security_group_egress_prefix_lists,
    aws_ec2_security_group_ingress_group_pairs, aws_ec2_security_group_egress_group_pairs)
    FROM SERVER aws_chd INTO aws_chd;
SELECT attname, format_type(atttypid, atttypmod) AS type FROM pg_attribute
 WHERE attrelid = 'aws_chd.aws_ec2_instance_network_interfaces'::regclass AND attname IN
       ('instance_id', 'reservation_id', 'network_interface_id', 'mac_address', 'private_ip_address',
        'association_public_ip', 'attachment_attach_time', 'attachment_device_index', 'source_dest_check')
 ORDER BY attnum;

-- every interface of every instance (one DescribeInstances page); the MAC
-- recorded invalid on i-ue10003's eth1 is NULL with one WARNING
SET client_min_messages = warning;
SELECT instance_id, reservation_id, instance_state_name, network_interface_id, attachment_device_index AS dev,
       mac_address, private_ip_address, association_public_ip, attachment_attach_time, source_dest_check,
       description
  FROM aws_chd.aws_ec2_instance_network_interfaces ORDER BY instance_id, dev;
\! curl -s 'http://127.0.0.1:18080/_mock/reset' > /dev/null
-- element for element: as many interfaces as the instances' network_interfaces hold
SELECT (SELECT count(*) FROM aws_chd.aws_ec2_instance_network_interfaces) AS interfaces,
       (SELECT sum(jsonb_array_length(network_interfaces)) FROM aws_chd.aws_ec2_instances) AS in_instances;
-- the same request as the parent table (one DescribeInstances; STS gives the account)
\! curl -s 'http://127.0.0.1:18080/_mock/reset' > /dev/null
SELECT count(*) FROM aws_chd.aws_ec2_instance_network_interfaces WHERE association_public_ip IS NOT NULL;
\! curl -s 'http://127.0.0.1:18080/_mock/requests?route=/aws-api' | /usr/bin/python3 -c "import json,sys; d=json.load(sys.stdin)['requests']; print(len(d), 'requests:', ', '.join(sorted(r['sigv4']['region'] + ' ' + r['sigv4']['operation'] for r in d)))"
-- instances with a public address, joined back to the parent table
SELECT DISTINCT i.instance_id, i.instance_type
  FROM aws_chd.aws_ec2_instances i
  JOIN aws_chd.aws_ec2_instance_network_interfaces n USING (instance_id)
 WHERE n.association_public_ip << '203.0.113.0/24'::inet AND i.ami_launch_index = 1
 ORDER BY 1;

-- security group rules by IPv4 range; 10.2.0.0/64 is NULL with a WARNING
SELECT attname, format_type(atttypid, atttypmod) AS type FROM pg_attribute
 WHERE attrelid = 'aws_chd.aws_ec2_security_group_ingress_ranges'::regclass AND attnum > 0 ORDER BY attnum;
SELECT group_id, group_name, vpc_id, ip_protocol, from_port, to_port, cidr_ip, description
  FROM aws_chd.aws_ec2_security_group_ingress_ranges ORDER BY group_id, from_port NULLS FIRST, cidr_ip;
SELECT group_id, ip_protocol, from_port, to_port, cidr_ip
  FROM aws_chd.aws_ec2_security_group_egress_ranges ORDER BY group_id;
-- open to the internet: a question the typed cidr answers
SELECT group_name, ip_protocol, from_port, to_port
  FROM aws_chd.aws_ec2_security_group_ingress_ranges
 WHERE cidr_ip = '0.0.0.0/0' ORDER BY 1;
SELECT group_name, cidr_ip, masklen(cidr_ip) AS bits
  FROM aws_chd.aws_ec2_security_group_ingress_ranges
 WHERE cidr_ip << '10.0.0.0/7' ORDER BY 2;

-- the other lists of a permission: IPv6 ranges (cidr; 2001:db8::/129 is
-- NULL with a WARNING), prefix lists, user/group pairs (group_id is the
-- pair's group, security_group_id the rule's); empty lists give no rows
SELECT attname, format_type(atttypid, atttypmod) AS type FROM pg_attribute
 WHERE attrelid = 'aws_chd.aws_ec2_security_group_ingress_ipv6_ranges'::regclass AND attnum > 0 ORDER BY attnum;
SELECT group_id, group_name, ip_protocol, from_port, to_port, cidr_ipv6, description
  FROM aws_chd.aws_ec2_security_group_ingress_ipv6_ranges ORDER BY group_id, cidr_ipv6;
SELECT group_id, ip_protocol, cidr_ipv6, masklen(cidr_ipv6) AS bits
  FROM aws_chd.aws_ec2_security_group_egress_ipv6_ranges ORDER BY group_id;
SELECT group_id, group_name, ip_protocol, from_port, to_port, prefix_list_id, description
  FROM aws_chd.aws_ec2_security_group_ingress_prefix_lists ORDER BY group_id, prefix_list_id;
SELECT count(*) AS egress_prefix_lists FROM aws_chd.aws_ec2_security_group_egress_prefix_lists;
SELECT security_group_id, security_group_name, ip_protocol, from_port, to_port, group_id, user_id
  FROM aws_chd.aws_ec2_security_group_ingress_group_pairs ORDER BY security_group_id, group_id;
SELECT count(*) AS egress_group_pairs FROM aws_chd.aws_ec2_security_group_egress_group_pairs;
-- which groups admit which: the pairs joined back to the groups
SELECT g.group_name AS source, p.security_group_name AS target, p.from_port
  FROM aws_chd.aws_ec2_security_group_ingress_group_pairs p
  JOIN aws_chd.aws_ec2_security_groups g ON g.group_id = p.group_id ORDER BY 1, 2;
DROP SCHEMA aws_chd CASCADE;
DROP SERVER aws_chd CASCADE;
