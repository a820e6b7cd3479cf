-- The AWS engine (issue 12): tables of AWS APIs described by a spec's "aws"
-- object, one or more per protocol (ec2, query, json, rest-json, rest-xml),
-- from the hand-written source sql/aws_engine_spec.json (the generated
-- sources/aws does not have to exist).  The mock's /aws-api route takes
-- every service LocalStack style: the server's base_url points there, the
-- SigV4 scope keeps the real service and region, and the mock verifies
-- every signature against them.  Region fan-out from the server option
-- regions, pruned by region = / = ANY; global services scanned once;
-- throttling retried; a region that refuses skipped with skip_failed; a
-- wrong secret is 28000.  The secret is the canary ('cq-canary-' ||
-- '7f3e9a1d'), so test/checks/zz_canary.sh proves it reaches no output.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS cq_fdw;
\set VERBOSITY default
SET cq_fdw.max_retries = 3;
SET cq_fdw.retry_base = '10ms';
\! curl -s 'http://127.0.0.1:18080/_mock/reset' > /dev/null
\! rm -rf /tmp/cq_fdw_aws_engine && mkdir -p /tmp/cq_fdw_aws_engine && cp "$CQ_TEST_DIR/regress/sql/aws_engine_spec.json" /tmp/cq_fdw_aws_engine/
SET cq_fdw.sources_path = '/tmp/cq_fdw_aws_engine';
SELECT name FROM cq_fdw.sources WHERE name = 'aws_engine_test';

CREATE SERVER aws_e FOREIGN DATA WRAPPER cq_fdw
    OPTIONS (source 'aws_engine_test', base_url 'http://127.0.0.1:18080/aws-api',
             regions 'us-east-1, eu-west-1');
SET log_min_messages = warning;
DO $$
BEGIN
    EXECUTE format('CREATE USER MAPPING FOR CURRENT_USER SERVER aws_e OPTIONS (access_key_id %L, secret_access_key %L)',
                   'AKIACQCANARY', 'cq-canary-' || '7f3e9a1d' || '/aws-secret');
END
$$;
RESET log_min_messages;
CREATE SCHEMA awse;
IMPORT FOREIGN SCHEMA aws_engine_test FROM SERVER aws_e INTO awse;
SELECT foreign_table_name FROM information_schema.foreign_tables
 WHERE foreign_table_schema = 'awse' ORDER BY 1;

-- the mock's log: per region, service and operation, how many requests,
-- their status, and whether each signature verified

-- ============================================================ ec2
-- form-encoded POST (Action, Version, MaxResults/NextToken in the body),
-- XML reply; one row per instance with its reservation's fields (^/),
-- XML strings as timestamp/int/bool/inet, tagSet as a jsonb object
SELECT region, instance_id, reservation_id, owner_id, state, launch_time,
       ami_launch_index, ebs_optimized, private_ip_address, tags
  FROM awse.ec2_instances ORDER BY region, instance_id;
\! /usr/bin/python3 "$CQ_TEST_DIR/regress/sql/aws_engine_log.py"
-- region = prunes the fan-out; = ANY too (ap-southeast-2 is not in the
-- regions option: a qual is the user's choice)
SELECT region, count(*), sum(size), bool_or(encrypted)
  FROM awse.ec2_volumes WHERE region = 'eu-west-1' GROUP BY region;
\! /usr/bin/python3 "$CQ_TEST_DIR/regress/sql/aws_engine_log.py"
SELECT region, count(*) FROM awse.ec2_vpcs
 WHERE region = ANY('{us-east-1,ap-southeast-2}') GROUP BY region ORDER BY region;
\! /usr/bin/python3 "$CQ_TEST_DIR/regress/sql/aws_engine_log.py"
SELECT vpc_id, cidr_block, is_default, tags->>'Name' AS name
  FROM awse.ec2_vpcs WHERE region = 'us-east-1' ORDER BY vpc_id;
\! /usr/bin/python3 "$CQ_TEST_DIR/regress/sql/aws_engine_log.py"

-- ============================================================ query (global)
-- IAM is global: one region (us-east-1) whatever the regions option says,
-- the region column holds it; IsTruncated=false ends the listing
SELECT region, user_name, user_id, arn, create_date FROM awse.iam_users ORDER BY user_name;
\! /usr/bin/python3 "$CQ_TEST_DIR/regress/sql/aws_engine_log.py"
SELECT count(*) FROM awse.iam_users WHERE region = 'eu-west-1';
\! /usr/bin/python3 "$CQ_TEST_DIR/regress/sql/aws_engine_log.py"

-- ============================================================ json
-- POST with X-Amz-Target, a JSON body; Limit must be a JSON number (the
-- mock refuses a string), the next token goes in the body
SELECT region, name FROM awse.dynamodb_tables WHERE region = 'us-west-2' ORDER BY name;
\! /usr/bin/python3 "$CQ_TEST_DIR/regress/sql/aws_engine_log.py"

-- ============================================================ rest-json
SELECT region, function_name, function_arn, memory_size, last_modified
  FROM awse.lambda_functions WHERE region = 'eu-west-1' ORDER BY function_name;
\! /usr/bin/python3 "$CQ_TEST_DIR/regress/sql/aws_engine_log.py"

-- ============================================================ rest-xml
-- S3 ListBuckets: global, GET, XML reply, S3's signing rules
SELECT region, name, creation_date FROM awse.s3_buckets ORDER BY name;
\! /usr/bin/python3 "$CQ_TEST_DIR/regress/sql/aws_engine_log.py"

-- ============================================================ regions
-- without the regions option and without a region qual: the enabled
-- regions from EC2 DescribeRegions (signed for ec2 in the source's default
-- region), then each of them; every row's region filled
ALTER SERVER aws_e OPTIONS (DROP regions);
SELECT region, count(*) FROM awse.ec2_vpcs GROUP BY region ORDER BY region;
-- a qual still works, and so do global services
SELECT count(*) FROM awse.ec2_vpcs WHERE region = 'us-west-1';
SELECT count(*) FROM awse.iam_users;
\! /usr/bin/python3 "$CQ_TEST_DIR/regress/sql/aws_engine_log.py"
-- DescribeRegions refused: an ERROR, not a guess
\! curl -s 'http://127.0.0.1:18080/_mock/aws_fail?service=ec2&region=us-east-1&code=UnauthorizedOperation&status=403&count=1' > /dev/null
SELECT count(*) FROM awse.lambda_functions;
ALTER SERVER aws_e OPTIONS (ADD regions 'us-east-1,eu-west-1');
\! /usr/bin/python3 "$CQ_TEST_DIR/regress/sql/aws_engine_log.py"

-- ============================================================ throttling
-- EC2's HTTP 503 RequestLimitExceeded twice, IAM's 400 Throttling, DynamoDB's
-- 400 ThrottlingException: retried (jittered backoff), then the rows
\! curl -s 'http://127.0.0.1:18080/_mock/aws_fail?region=eu-west-1&service=ec2&code=RequestLimitExceeded&status=503&count=2' > /dev/null
\! curl -s 'http://127.0.0.1:18080/_mock/aws_fail?service=iam&code=Throttling&status=400&count=1' > /dev/null
\! curl -s 'http://127.0.0.1:18080/_mock/aws_fail?service=dynamodb&code=ThrottlingException&status=400&count=1' > /dev/null
SELECT cq_fdw.scan_stats_reset();
SELECT count(*) FROM awse.ec2_volumes;
SELECT count(*) FROM awse.iam_users;
SELECT count(*) FROM awse.dynamodb_tables WHERE region = 'us-east-1';
SELECT requests, retries FROM cq_fdw.scan_stats();
\! /usr/bin/python3 "$CQ_TEST_DIR/regress/sql/aws_engine_log.py"
-- throttled past max_retries: the rate-limit ERROR names the AWS code
\! curl -s 'http://127.0.0.1:18080/_mock/aws_fail?service=lambda&code=TooManyRequestsException&status=429' > /dev/null
SET cq_fdw.max_retries = 1;
SELECT count(*) FROM awse.lambda_functions WHERE region = 'us-east-1';
\echo :LAST_ERROR_SQLSTATE
RESET cq_fdw.max_retries;
\! curl -s 'http://127.0.0.1:18080/_mock/reset' > /dev/null

-- ============================================================ refusals
-- UnauthorizedOperation in one region: an ERROR by default, a WARNING
-- naming the region with skip_failed (the other region's rows come back)
\! curl -s 'http://127.0.0.1:18080/_mock/aws_fail?region=eu-west-1&code=UnauthorizedOperation&status=403' > /dev/null
SELECT count(*) FROM awse.ec2_instances;
\echo :LAST_ERROR_SQLSTATE
ALTER FOREIGN TABLE awse.ec2_instances OPTIONS (ADD skip_failed 'true');
SELECT region, count(*) FROM awse.ec2_instances GROUP BY region;
\! curl -s 'http://127.0.0.1:18080/_mock/reset' > /dev/null
-- an opt-in region that is not enabled answers AuthFailure: skipped too
\! curl -s 'http://127.0.0.1:18080/_mock/aws_fail?region=eu-west-1&code=AuthFailure&status=401&message=AWS+was+not+able+to+validate+the+provided+access+credentials' > /dev/null
SELECT region, count(*) FROM awse.ec2_instances GROUP BY region;
\! curl -s 'http://127.0.0.1:18080/_mock/reset' > /dev/null

-- a wrong secret: every request refused (SignatureDoesNotMatch), 28000,
-- not retried, never the secret; with skip_failed too, since every region
-- refused the credentials
SET log_min_messages = warning;
DO $$
BEGIN
    EXECUTE format('ALTER USER MAPPING FOR CURRENT_USER SERVER aws_e OPTIONS (SET secret_access_key %L)',
                   'cq-canary-' || '7f3e9a1d' || '/wrong');
END
$$;
RESET log_min_messages;
SELECT cq_fdw.scan_stats_reset();
SELECT count(*) FROM awse.ec2_vpcs WHERE region = 'us-east-1';
\echo :LAST_ERROR_SQLSTATE
-- (terse: which region's refusal is reported first is a race)
\set VERBOSITY terse
SELECT count(*) FROM awse.ec2_instances;
\set VERBOSITY default
\echo :LAST_ERROR_SQLSTATE
SELECT requests, retries FROM cq_fdw.scan_stats();
\! /usr/bin/python3 "$CQ_TEST_DIR/regress/sql/aws_engine_log.py"

DROP SCHEMA awse CASCADE;
DROP SERVER aws_e CASCADE;
RESET cq_fdw.sources_path;
\! rm -rf /tmp/cq_fdw_aws_engine
\! curl -s 'http://127.0.0.1:18080/_mock/reset' > /dev/null
