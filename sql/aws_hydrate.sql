-- Detail calls on an AWS table (issue 14 point 2): aws_s3_buckets' encryption,
-- versioning, policy status and public access block columns come from one
-- signed S3 GET per bucket (GetBucketEncryption ?encryption, ...), made only
-- when the query reads them.  Against the mock's /aws-api (5 buckets; bucket-3
-- lives in eu-west-1: asked in us-east-1 it answers 301 with
-- x-amz-bucket-region, and that one call is signed again for eu-west-1).
-- "Not configured" is a 404 (ServerSideEncryptionConfigurationNotFoundError,
-- NoSuchBucketPolicy, NoSuchPublicAccessBlockConfiguration): NULL, no error.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS cq_fdw;
SET client_min_messages = notice;
\set VERBOSITY terse
\! curl -s 'http://127.0.0.1:18080/_mock/reset' > /dev/null

CREATE SERVER aws_hyd FOREIGN DATA WRAPPER cq_fdw
    OPTIONS (source 'aws', base_url 'http://127.0.0.1:18080/aws-api', regions 'us-east-1');
CREATE USER MAPPING FOR CURRENT_USER SERVER aws_hyd
    OPTIONS (access_key_id 'AKIDEXAMPLE', secret_access_key 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY');
CREATE SCHEMA aws_hyd;
IMPORT FOREIGN SCHEMA aws LIMIT TO (aws_s3_buckets) FROM SERVER aws_hyd INTO aws_hyd;

-- the detail columns and their types
SELECT attname, format_type(atttypid, atttypmod) FROM pg_attribute
 WHERE attrelid = 'aws_hyd.aws_s3_buckets'::regclass AND attnum > 0
   AND attname IN ('sse_algorithm', 'sse_kms_key_id', 'sse_bucket_key_enabled', 'sse_rule',
                   'versioning_status', 'mfa_delete', 'policy_is_public', 'block_public_acls')
 ORDER BY attnum;

-- list columns only: ListBuckets, no detail call
SELECT name, creation_date FROM aws_hyd.aws_s3_buckets ORDER BY name;
\! /usr/bin/python3 "$CQ_TEST_DIR/regress/sql/aws_hydrate_log.py"

-- versioning over 5 buckets: 5 GetBucketVersioning calls (bucket-3's once
-- more, after its region's 301); never-versioned buckets are NULL
SELECT name, versioning_status, mfa_delete FROM aws_hyd.aws_s3_buckets ORDER BY name;
\! /usr/bin/python3 "$CQ_TEST_DIR/regress/sql/aws_hydrate_log.py"

-- encryption: bucket-1 and bucket-4 have none (404): NULL, not an error
SELECT name, sse_algorithm, sse_kms_key_id, sse_bucket_key_enabled,
       sse_rule ->> 'BucketKeyEnabled' AS rule_bucket_key
  FROM aws_hyd.aws_s3_buckets ORDER BY name;
\! /usr/bin/python3 "$CQ_TEST_DIR/regress/sql/aws_hydrate_log.py"

-- the analyst's question: buckets without default encryption or versioning,
-- or open to the public
SELECT name, sse_algorithm IS NULL AS unencrypted, versioning_status IS DISTINCT FROM 'Enabled' AS unversioned,
       policy_is_public, block_public_acls
  FROM aws_hyd.aws_s3_buckets
 WHERE sse_algorithm IS NULL OR versioning_status IS DISTINCT FROM 'Enabled'
    OR policy_is_public OR block_public_acls IS NOT TRUE
 ORDER BY name;
\! /usr/bin/python3 "$CQ_TEST_DIR/regress/sql/aws_hydrate_log.py"

-- EXPLAIN names the detail calls a query needs, and none otherwise
EXPLAIN (COSTS OFF) SELECT name FROM aws_hyd.aws_s3_buckets;
EXPLAIN (COSTS OFF) SELECT name FROM aws_hyd.aws_s3_buckets WHERE versioning_status = 'Enabled';
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF)
SELECT name, sse_algorithm FROM aws_hyd.aws_s3_buckets;
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF)
SELECT name FROM aws_hyd.aws_s3_buckets;
\! curl -s 'http://127.0.0.1:18080/_mock/reset' > /dev/null

DROP SCHEMA aws_hyd CASCADE;
DROP SERVER aws_hyd CASCADE;
