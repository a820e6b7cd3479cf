/*
 * test_aws_describe.c -- suite `aws_describe`: the generated aws source's
 * list-then-get tables (aws.describe: ECS List* -> Describe* in batches,
 * EKS ListClusters -> DescribeCluster one by one) and parent operations
 * (parent.aws: IAM ListUsers -> ListUserPolicies per user, ECS
 * ListClusters -> ListServices per cluster), scanned against the mock's
 * /aws-api (SigV4 verified): rows, typed described columns, and how many
 * requests of each operation the scan sent.  Needs MOCK_URL.
 */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cq_sdk.h"
#include "cq_sdk_int.h"
#include "cqtest.h"
#include "jobtest.h"
#include "test_util.h"

void		suite_aws_describe(void);

/* The spec, when the mock is up (else `what` is skipped: NULL). */
static CqSourceDef *
aws_spec(const char *what)
{
	return cqt_mock_spec(what, "sources/aws/aws.json");
}

typedef struct Scan
{
	long		rows;
	char	   *text;			/* "a|b\n" per row */
	size_t		len,
				cap;
	CqError		err;
	CqJobStats	st;
	bool		typed;			/* every non-null value had the column's type */
} Scan;

/* What scan_rows needs: the Scan it fills, the table and output columns. */
typedef struct ScanRows
{
	Scan	   *out;
	const CqTableDef *t;
	const int  *oc;
} ScanRows;

/* Each row of a batch as "a|b\n" text; a value not of its column's type clears typed. */
static void
scan_rows(CqBatch *b, void *ud)
{
	ScanRows   *sr = ud;
	Scan	   *out = sr->out;
	const CqTableDef *t = sr->t;
	const int  *oc = sr->oc;

	for (int i = 0; i < b->nrows * b->ncols; i++)
	{
		CqValue    *cv = &b->values[i];
		const CqColumnDef *col = &t->columns[oc[i % b->ncols]];

		if (!cv->isnull &&
			(cv->type != col->type.base || (bool) cv->is_array != col->type.is_array))
			out->typed = false;
	}
	out->rows += cqt_batch_text(b, &out->text, &out->len, &out->cap);
}

/*
 * Scan `table` in region us-east-1 (server option regions) for the
 * comma-separated columns; `key`/`val`: an optional equality qual.
 */
static CqJobState
scan(CqSourceDef *src, const char *table, const char *cols, const char *key,
	 const char *val, int concurrency, Scan *out)
{
	CqtAwsJob	f;
	ScanRows	sr = {out, NULL, NULL};
	const char *qv[1] = {val};
	CqKeyValues kv;
	CqJobState	st;

	memset(out, 0, sizeof(*out));
	out->typed = true;
	if (!cqt_aws_job(&f, src, table, cols, "us-east-1"))
		return CQ_JOB_FAILED;
	f.p.cred.sts_url = f.base;	/* GetCallerIdentity: the account_id column */
	if (key)
	{
		kv.column = key;
		kv.op = CQ_OP_EQ;
		kv.nvalues = 1;
		kv.values = qv;
		f.p.nkeys = 1;
		f.p.keys = &kv;
	}
	f.p.settings.retry_max_ms = 200;
	f.p.settings.max_retries = 3;
	f.p.settings.concurrency = concurrency;
	f.p.settings.workers = 2;
	sr.t = f.t;
	sr.oc = f.oc;
	st = cqt_job_run(&f.p, scan_rows, &sr, NULL, &out->err, &out->st);
	if (!out->text)
		out->text = strdup("");
	return st;
}

/* Requests the mock served for `operation` (all signed and answered 200),
 * -1 when one was not. */
static int
op_count(const char *operation)
{
	char	   *body = cqt_mock_get("/_mock/requests?route=/aws-api&limit=0");
	json_t	   *doc;
	json_t	   *reqs;
	size_t		i;
	json_t	   *r;
	int			n = 0;

	free(body);
	body = cqt_mock_get("/_mock/requests?route=/aws-api&limit=100000");
	doc = json_loads(body, 0, NULL);
	reqs = json_object_get(doc, "requests");
	json_array_foreach(reqs, i, r)
	{
		json_t	   *sv = json_object_get(r, "sigv4");
		const char *o = json_string_value(json_object_get(sv, "operation"));

		if (!o || strcmp(o, operation) != 0)
			continue;
		if (!json_is_true(json_object_get(sv, "ok")) ||
			json_integer_value(json_object_get(r, "status")) != 200)
			n = -1000000;
		n++;
	}
	json_decref(doc);
	free(body);
	return n < 0 ? -1 : n;
}

static bool
has_line(const char *text, const char *line)
{
	size_t		l = strlen(line);

	for (const char *p = text; (p = strstr(p, line)) != NULL; p++)
		if ((p == text || p[-1] == '\n') && p[l] == '\n')
			return true;
	return false;
}

static void
test_describe(void)
{
	CqSourceDef *src;
	Scan		s;
	CqJobState	st;
	const CqTableDef *t;

	src = aws_spec("aws describe");
	if (!src)
		return;
	t = cq_source_find_table(src, "aws_ecs_clusters");
	CQ_CHECK(t && t->aws && t->aws->describe && t->aws->describe->batch == 100);

	/* 250 ECS clusters: 3 ListClusters pages of 100, 3 DescribeClusters
	 * of <= 100 identifiers; the rows are the described clusters, typed */
	h3_mock("/_mock/reset");
	h3_mock("/_mock/aws?ecs_clusters=250&ecs_services=4");
	st = scan(src, "aws_ecs_clusters",
			  "region,account_id,cluster_name,cluster_arn,status,active_services_count,running_tasks_count,capacity_providers,tags",
			  NULL, NULL, 4, &s);
	CQ_CHECKF(st == CQ_JOB_DONE, "%s: %s %s", s.err.message, s.err.api_code, s.err.api_message);
	CQ_CHECKF(s.rows == 250, "%ld rows", s.rows);
	CQ_CHECK(s.typed);
	CQ_CHECKF(has_line(s.text, "us-east-1|123456789012|c249|arn:aws:ecs:us-east-1:111122223333:cluster/c249|ACTIVE|4|4|{FARGATE}|{\"env\":\"prod\"}"),
			  "%.400s", s.text);
	CQ_CHECK(has_line(s.text, "us-east-1|123456789012|c0|arn:aws:ecs:us-east-1:111122223333:cluster/c0|ACTIVE|4|0|{}|{\"env\":\"dev\"}"));
	CQ_CHECKF(op_count("ListClusters") == 3, "%d", op_count("ListClusters"));
	CQ_CHECKF(op_count("DescribeClusters") == 3, "%d", op_count("DescribeClusters"));
	CQ_CHECKF(s.st.requests == 6, "%lld", (long long) s.st.requests);
	free(s.text);

	/* ECS services: the parent ListClusters (2 clusters), ListServices per
	 * cluster, DescribeServices 10 at a time (25 per cluster: 3 calls) */
	h3_mock("/_mock/reset");
	h3_mock("/_mock/aws?ecs_clusters=2&ecs_services=25");
	st = scan(src, "aws_ecs_services", "cluster,service_name,desired_count,created_at,launch_type",
			  NULL, NULL, 4, &s);
	CQ_CHECKF(st == CQ_JOB_DONE, "%s: %s %s", s.err.message, s.err.api_code, s.err.api_message);
	CQ_CHECKF(s.rows == 50, "%ld rows", s.rows);
	CQ_CHECK(s.typed);
	CQ_CHECKF(has_line(s.text, "arn:aws:ecs:us-east-1:111122223333:cluster/c1|s24|0|2023-11-15 22:13:20+00|FARGATE"),
			  "%.600s", s.text);
	CQ_CHECK(op_count("ListClusters") == 1);
	CQ_CHECK(op_count("ListServices") == 2);
	CQ_CHECKF(op_count("DescribeServices") == 6, "%d", op_count("DescribeServices"));
	free(s.text);
	/* a cluster given: no parent listing */
	h3_mock("/_mock/reset");
	h3_mock("/_mock/aws?ecs_clusters=2&ecs_services=25");
	st = scan(src, "aws_ecs_services", "cluster,service_name", "cluster", "c0", 4, &s);
	CQ_CHECKF(st == CQ_JOB_DONE, "%s: %s %s", s.err.message, s.err.api_code, s.err.api_message);
	CQ_CHECK(s.rows == 25 && has_line(s.text, "c0|s7"));
	CQ_CHECK(op_count("ListClusters") == 0 && op_count("ListServices") == 1 &&
			 op_count("DescribeServices") == 3);
	free(s.text);

	/* a describe call retried like any request (throttled once) */
	h3_mock("/_mock/reset");
	h3_mock("/_mock/aws?ecs_clusters=3");
	h3_mock("/_mock/aws_fail?service=ecs&code=ThrottlingException&status=400&count=1");
	st = scan(src, "aws_ecs_clusters", "cluster_name", NULL, NULL, 1, &s);
	CQ_CHECK(st == CQ_JOB_DONE && s.rows == 3 && s.st.retries == 1);
	free(s.text);

	/* EKS (rest-json): ListClusters, then one DescribeCluster per name */
	h3_mock("/_mock/reset");
	h3_mock("/_mock/aws?eks_clusters=3");
	st = scan(src, "aws_eks_clusters", "name,arn,version,created_at,resources_vpc_config_vpc_id,tags",
			  NULL, NULL, 4, &s);
	CQ_CHECKF(st == CQ_JOB_DONE, "%s: %s %s", s.err.message, s.err.api_code, s.err.api_message);
	CQ_CHECK(s.rows == 3 && s.typed);
	CQ_CHECKF(has_line(s.text, "k2|arn:aws:eks:us-east-1:111122223333:cluster/k2|1.30|2023-07-24 04:26:40+00|vpc-2|{\"team\":\"t2\"}"),
			  "%s", s.text);
	CQ_CHECK(op_count("GET /clusters") == 1);
	CQ_CHECK(op_count("GET /clusters/k0") == 1 && op_count("GET /clusters/k1") == 1 &&
			 op_count("GET /clusters/k2") == 1);
	free(s.text);

	cq_source_def_free(src);
	h3_mock("/_mock/reset");
}

static void
test_parent_operation(void)
{
	CqSourceDef *src;
	Scan		s;
	CqJobState	st;

	src = aws_spec("aws parent operation");
	if (!src)
		return;

	/* IAM (query, global): ListUsers (5 users), ListUserPolicies per user */
	h3_mock("/_mock/reset");
	st = scan(src, "aws_iam_user_policies", "region,user_name,policy_name", NULL, NULL, 4, &s);
	CQ_CHECKF(st == CQ_JOB_DONE, "%s: %s %s", s.err.message, s.err.api_code, s.err.api_message);
	CQ_CHECKF(s.rows == 4, "%ld rows: %s", s.rows, s.text);
	CQ_CHECK(has_line(s.text, "us-east-1|user2|policy-2-1") && has_line(s.text, "us-east-1|user4|policy-4-0") &&
			 has_line(s.text, "us-east-1|user1|policy-1-0"));
	CQ_CHECK(op_count("ListUsers") == 1);
	CQ_CHECKF(op_count("ListUserPolicies") == 5, "%d", op_count("ListUserPolicies"));
	free(s.text);
	/* the key given: one ListUserPolicies, no ListUsers */
	h3_mock("/_mock/reset");
	st = scan(src, "aws_iam_user_policies", "user_name,policy_name", "user_name", "user2", 4, &s);
	CQ_CHECK(st == CQ_JOB_DONE && s.rows == 2);
	CQ_CHECK(op_count("ListUsers") == 0 && op_count("ListUserPolicies") == 1);
	free(s.text);

	cq_source_def_free(src);
	h3_mock("/_mock/reset");
}

/* S3 per-bucket tables: each bucket in its own region */
static void
test_s3_region(void)
{
	CqSourceDef *src;
	Scan		s;
	CqJobState	st;
	char	   *body;

	src = aws_spec("aws s3 region");
	if (!src)
		return;

	/* ListBuckets, then ListObjectsV2 per bucket; bucket-3 is in
	 * eu-west-1: the us-east-1 request gets 301 + x-amz-bucket-region, the
	 * request is signed again for eu-west-1 and answers */
	h3_mock("/_mock/reset");
	st = scan(src, "aws_s3_objects", "bucket,key,size,last_modified", NULL, NULL, 4, &s);
	CQ_CHECKF(st == CQ_JOB_DONE, "%s: %s %s", s.err.message, s.err.api_code, s.err.api_message);
	CQ_CHECKF(s.rows == 10 && s.typed, "%ld rows: %s", s.rows, s.text);
	CQ_CHECKF(has_line(s.text, "bucket-3|bucket-3/obj-1.txt|200|2024-03-02 00:00:00+00"), "%s", s.text);
	CQ_CHECK(op_count("GET /") == 1);
	CQ_CHECK(op_count("GET /bucket-0") == 1 && op_count("GET /bucket-4") == 1);
	body = cqt_mock_get("/_mock/requests?route=/aws-api/bucket-3");
	CQ_CHECKF(body && strstr(body, "\"region\":\"us-east-1\"") && strstr(body, "\"status\":301") &&
			  strstr(body, "\"region\":\"eu-west-1\""), "%s", body);
	free(body);
	free(s.text);
	/* the bucket given: no ListBuckets, the same move */
	h3_mock("/_mock/reset");
	st = scan(src, "aws_s3_objects", "bucket,key", "bucket", "bucket-3", 4, &s);
	CQ_CHECK(st == CQ_JOB_DONE && s.rows == 2 && op_count("GET /") == 0);
	free(s.text);

	cq_source_def_free(src);
	h3_mock("/_mock/reset");
}

void
suite_aws_describe(void)
{
	test_describe();
	test_parent_operation();
	test_s3_region();
}
