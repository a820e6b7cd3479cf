/*
 * test_aws.c -- suite `aws`: tables of AWS APIs (src/sdk/aws.c and what the
 * job does with a table's "aws" object): hosts per region, the request each
 * protocol puts on the wire, key_value_object, XML replies to rows, and
 * whole scans against the mock's LocalStack-style /aws-api route, which
 * verifies the SigV4 signature of every request (needs MOCK_URL).
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

void		suite_aws(void);

static CqTableDef *
table(const char *json)
{
	CqError		err;
	CqTableDef *t = cq_spec_parse_table(json, strlen(json), &err);

	CQ_CHECKF(t != NULL, "fixture: %s", err.message);
	return t;
}

/* Wire form of `url` for table t: fills req (free with cqp_http_reset). */
static bool
wire(const CqTableDef *t, const char *url, CqpReq *req)
{
	CqError		err;

	memset(req, 0, sizeof(*req));
	req->url = strdup(url);
	memset(&err, 0, sizeof(err));
	return cqp_aws_wire(t, req, &err);
}

static void
wire_free(CqpReq *req)
{
	cqp_http_reset(req);
	free(req->url);
}

static void
test_base_url(void)
{
	CqTableDef *r = table("{\"name\":\"t\",\"endpoint\":\"/\",\"aws\":{\"service\":\"ec2\",\"protocol\":\"ec2\","
						  "\"action\":\"DescribeVpcs\",\"api_version\":\"2016-11-15\"},\"columns\":[{\"name\":\"a\",\"type\":\"string\"}]}");
	CqTableDef *g = table("{\"name\":\"t\",\"endpoint\":\"/\",\"aws\":{\"service\":\"iam\",\"protocol\":\"query\","
						  "\"action\":\"ListUsers\",\"api_version\":\"2010-05-08\",\"global_region\":\"us-east-1\"},"
						  "\"columns\":[{\"name\":\"a\",\"type\":\"string\"}]}");
	char	   *u;

	if (!r || !g)
		return;
	u = cqp_aws_base_url(r->aws, NULL, "eu-west-3");
	CQ_CHECK_STR(u, "https://ec2.eu-west-3.amazonaws.com");
	free(u);
	u = cqp_aws_base_url(g->aws, NULL, "us-east-1");
	CQ_CHECK_STR(u, "https://iam.amazonaws.com");
	free(u);
	/* the server's base_url takes every service (LocalStack style) */
	u = cqp_aws_base_url(r->aws, "http://127.0.0.1:4566/aws-api", "eu-west-3");
	CQ_CHECK_STR(u, "http://127.0.0.1:4566/aws-api");
	free(u);
	cq_table_def_free(r);
	cq_table_def_free(g);
}

static void
test_wire(void)
{
	CqpReq		req;
	CqTableDef *t;

	/* ec2: everything in a form body with Action and Version, POST to "/" */
	t = table("{\"name\":\"t\",\"endpoint\":\"/\",\"aws\":{\"service\":\"ec2\",\"protocol\":\"ec2\","
			  "\"action\":\"DescribeInstances\",\"api_version\":\"2016-11-15\",\"body\":{\"Filter.1.Name\":\"instance-state-name\",\"DryRun\":false}},"
			  "\"pagination\":{\"type\":\"next_token\",\"next\":\"/nextToken\",\"next_param\":\"NextToken\",\"page_size_param\":\"MaxResults\"},"
			  "\"columns\":[{\"name\":\"a\",\"type\":\"string\"}]}");
	if (t)
	{
		CQ_CHECK(wire(t, "https://ec2.us-west-2.amazonaws.com/?MaxResults=5&NextToken=ab%2Bc%3D", &req));
		CQ_CHECK_STR(req.aws_url, "https://ec2.us-west-2.amazonaws.com/");
		CQ_CHECK_STR(req.method, "POST");
		CQ_CHECK_STR(req.content_type, "application/x-www-form-urlencoded; charset=utf-8");
		CQ_CHECK_STR(req.post_body, "Action=DescribeInstances&Version=2016-11-15&MaxResults=5&NextToken=ab%2Bc%3D"
					 "&Filter.1.Name=instance-state-name&DryRun=false");
		CQ_CHECK(req.post_len == strlen(req.post_body));
		CQ_CHECK(req.aws_target == NULL);
		/* rebuilt for a retry: nothing accumulates */
		CQ_CHECK(cqp_aws_wire(t, &req, &(CqError) {0}));
		CQ_CHECK(strstr(req.post_body, "DryRun=false&") == NULL);
		wire_free(&req);
		/* a first page: no query at all */
		CQ_CHECK(wire(t, "http://127.0.0.1:1/aws-api/", &req));
		CQ_CHECK_STR(req.aws_url, "http://127.0.0.1:1/aws-api/");
		CQ_CHECK_STR(req.post_body, "Action=DescribeInstances&Version=2016-11-15&Filter.1.Name=instance-state-name&DryRun=false");
		wire_free(&req);
		cq_table_def_free(t);
	}

	/* json: a JSON body, the page size a number, X-Amz-Target */
	t = table("{\"name\":\"t\",\"endpoint\":\"/\",\"aws\":{\"service\":\"dynamodb\",\"protocol\":\"json\","
			  "\"action\":\"ListTables\",\"target_prefix\":\"DynamoDB_20120810\",\"body\":{\"Opt\":{\"a\":[1]}}},"
			  "\"pagination\":{\"type\":\"next_token\",\"next\":\"/LastEvaluatedTableName\",\"next_param\":\"ExclusiveStartTableName\","
			  "\"page_size_param\":\"Limit\"},\"columns\":[{\"name\":\"a\",\"type\":\"string\"}]}");
	if (t)
	{
		CQ_CHECK(wire(t, "https://dynamodb.eu-west-1.amazonaws.com/?Limit=5&ExclusiveStartTableName=t%20%2B1", &req));
		CQ_CHECK_STR(req.aws_url, "https://dynamodb.eu-west-1.amazonaws.com/");
		CQ_CHECK_STR(req.method, "POST");
		CQ_CHECK_STR(req.content_type, "application/x-amz-json-1.0");
		CQ_CHECK_STR(req.post_body, "{\"ExclusiveStartTableName\":\"t +1\",\"Limit\":5,\"Opt\":{\"a\":[1]}}");
		CQ_CHECK_STR(req.aws_target, "X-Amz-Target: DynamoDB_20120810.ListTables");
		wire_free(&req);
		CQ_CHECK(wire(t, "https://dynamodb.eu-west-1.amazonaws.com/", &req));
		CQ_CHECK_STR(req.post_body, "{\"Opt\":{\"a\":[1]}}");
		wire_free(&req);
		cq_table_def_free(t);
	}

	/* rest-json: the URL as it is, GET, no body */
	t = table("{\"name\":\"t\",\"endpoint\":\"/2015-03-31/functions/\",\"aws\":{\"service\":\"lambda\",\"protocol\":\"rest-json\"},"
			  "\"columns\":[{\"name\":\"a\",\"type\":\"string\"}]}");
	if (t)
	{
		CQ_CHECK(wire(t, "https://lambda.eu-west-1.amazonaws.com/2015-03-31/functions/?MaxItems=50&Marker=x", &req));
		CQ_CHECK(req.aws_url == NULL && req.post_body == NULL && req.aws_target == NULL);
		CQ_CHECK_STR(req.method, "GET");
		wire_free(&req);
		cq_table_def_free(t);
	}
}

static void
test_key_value_object(void)
{
	json_error_t je;
	json_t	   *in = json_loads("[{\"Key\":\"Name\",\"Value\":\"web\"},{\"key\":\"env\",\"value\":\"prod\"},"
								"{\"Key\":\"empty\"},{\"Value\":\"nokey\"},7,{\"Key\":\"Name\",\"Value\":\"web2\"}]", 0, &je);
	json_t	   *out = cqp_aws_key_value_object(in);
	char	   *s = out ? json_dumps(out, JSON_COMPACT | JSON_SORT_KEYS) : NULL;

	CQ_CHECK_STR(s, "{\"Name\":\"web2\",\"empty\":null,\"env\":\"prod\"}");
	free(s);
	json_decref(out);
	json_decref(in);
	/* not a list: as it is */
	in = json_loads("{\"a\":1}", 0, &je);
	out = cqp_aws_key_value_object(in);
	CQ_CHECK(out == in);
	json_decref(out);
	json_decref(in);
}

/* An EC2 DescribeInstances page as AWS sends it (two reservations). */
static const char ec2_page[] =
	"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	"<DescribeInstancesResponse xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15/\">"
	"<requestId>r-1</requestId>"
	"<reservationSet>"
	"<item><reservationId>r-aaa</reservationId><ownerId>111122223333</ownerId>"
	"<instancesSet>"
	"<item><instanceId>i-1</instanceId><launchTime>2024-01-02T03:04:05.000Z</launchTime>"
	"<amiLaunchIndex>0</amiLaunchIndex><ebsOptimized>true</ebsOptimized><privateIpAddress>10.0.0.5</privateIpAddress>"
	"<tagSet><item><key>Name</key><value>web</value></item><item><key>env</key><value>prod</value></item></tagSet>"
	"<productCodes/></item>"
	"<item><instanceId>i-2</instanceId><launchTime>2024-01-03T00:00:00.000Z</launchTime>"
	"<amiLaunchIndex>1</amiLaunchIndex><ebsOptimized>false</ebsOptimized><privateIpAddress>10.0.0.6</privateIpAddress>"
	"<tagSet/><productCodes/></item>"
	"</instancesSet></item>"
	"<item><reservationId>r-bbb</reservationId><ownerId>111122223333</ownerId>"
	"<instancesSet><item><instanceId>i-3</instanceId><amiLaunchIndex>x</amiLaunchIndex>"
	"<productCodes><item><productCode>p</productCode></item></productCodes></item></instancesSet></item>"
	"</reservationSet>"
	"<nextToken>tok2</nextToken>"
	"</DescribeInstancesResponse>";

#define EC2_TABLE \
	"{\"name\":\"aws_ec2_instances\",\"endpoint\":\"/\",\"rows\":\"/reservationSet/*/instancesSet\"," \
	"\"aws\":{\"service\":\"ec2\",\"protocol\":\"ec2\",\"action\":\"DescribeInstances\",\"api_version\":\"2016-11-15\"," \
	"\"xml_lists\":[\"reservationSet\",\"instancesSet\",\"tagSet\",\"productCodes\"]}," \
	"\"columns\":[{\"name\":\"instance_id\",\"type\":\"string\",\"path\":\"/instanceId\"}," \
	"{\"name\":\"reservation_id\",\"type\":\"string\",\"path\":\"^/reservationId\"}," \
	"{\"name\":\"owner_id\",\"type\":\"string\",\"path\":\"^/ownerId\"}," \
	"{\"name\":\"launch_time\",\"type\":\"timestamp\",\"path\":\"/launchTime\"}," \
	"{\"name\":\"ami_launch_index\",\"type\":\"int\",\"path\":\"/amiLaunchIndex\"}," \
	"{\"name\":\"ebs_optimized\",\"type\":\"bool\",\"path\":\"/ebsOptimized\"}," \
	"{\"name\":\"private_ip_address\",\"type\":\"inet\",\"path\":\"/privateIpAddress\"}," \
	"{\"name\":\"tags\",\"type\":\"json\",\"path\":\"/tagSet\",\"transform\":\"key_value_object\"}," \
	"{\"name\":\"product_codes\",\"type\":\"json\",\"path\":\"/productCodes\"}]}"

/*
 * XML replies become rows: EC2's reservations flattened into one row per
 * instance with the reservation's fields ("^/"), XML strings read as
 * timestamp/int/bool/inet, tags as an object, empty lists as [], a bad
 * value NULL.
 */
static void
test_xml_rows(void)
{
	char	   *out = NULL;
	CqError		err;
	CqJobState	st = h3_render_page(EC2_TABLE, ec2_page, false, &out, &err);

	CQ_CHECKF(st == CQ_JOB_DONE, "state %d: %s", (int) st, err.message);
	CQ_CHECK_STR(out,
				 "i-1|r-aaa|111122223333|2024-01-02 03:04:05+00|0|true|10.0.0.5|{\"Name\":\"web\",\"env\":\"prod\"}|[]\n"
				 "i-2|r-aaa|111122223333|2024-01-03 00:00:00+00|1|false|10.0.0.6|{}|[]\n"
				 "i-3|r-bbb|111122223333|<null>|<null>|<null>|<null>|<null>|[{\"productCode\":\"p\"}]\n");
	free(out);

	/* not XML: a clear error, not rows */
	st = h3_render_page(EC2_TABLE, "{\"reservationSet\":[]}", false, &out, &err);
	CQ_CHECK(st == CQ_JOB_FAILED);
	CQ_CHECKF(strstr(err.message, "XML") != NULL, "%s", err.message);
	free(out);

	/* query protocol: rows under the result wrapper, IsTruncated read */
	st = h3_render_page("{\"name\":\"u\",\"endpoint\":\"/\",\"rows\":\"/ListUsersResult/Users\","
						"\"aws\":{\"service\":\"iam\",\"protocol\":\"query\",\"action\":\"ListUsers\",\"api_version\":\"2010-05-08\","
						"\"global_region\":\"us-east-1\",\"xml_lists\":[\"Users\"]},"
						"\"columns\":[{\"name\":\"user_name\",\"type\":\"string\",\"path\":\"/UserName\"},"
						"{\"name\":\"create_date\",\"type\":\"timestamp\",\"path\":\"/CreateDate\"}]}",
						"<ListUsersResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\"><ListUsersResult>"
						"<IsTruncated>false</IsTruncated><Users><member><UserName>alice</UserName>"
						"<CreateDate>2020-05-01T10:00:00Z</CreateDate></member><member><UserName>bob</UserName></member></Users>"
						"</ListUsersResult><ResponseMetadata><RequestId>x</RequestId></ResponseMetadata></ListUsersResponse>",
						false, &out, &err);
	CQ_CHECKF(st == CQ_JOB_DONE, "%s", err.message);
	CQ_CHECK_STR(out, "alice|2020-05-01 10:00:00+00\nbob|<null>\n");
	free(out);
}

/*
 * The XML page's projection and json columns that take their member over
 * (job_page.c): a member read by two json columns (tags twice, one with
 * the key/value transform), by a json and a string column (instanceState),
 * or by one json column alone (productCodes, moved out of the document):
 * every column has its value, as when the whole reply is converted.
 */
static void
test_xml_json_members(void)
{
	char	   *out = NULL;
	CqError		err;
	CqJobState	st = h3_render_page(
		"{\"name\":\"aws_ec2_instances\",\"endpoint\":\"/\",\"rows\":\"/reservationSet/*/instancesSet\","
		"\"aws\":{\"service\":\"ec2\",\"protocol\":\"ec2\",\"action\":\"DescribeInstances\",\"api_version\":\"2016-11-15\","
		"\"xml_lists\":[\"reservationSet\",\"instancesSet\",\"tagSet\",\"productCodes\"]},"
		"\"columns\":[{\"name\":\"instance_id\",\"type\":\"string\",\"path\":\"/instanceId\"},"
		"{\"name\":\"tags\",\"type\":\"json\",\"path\":\"/tagSet\",\"transform\":\"key_value_object\"},"
		"{\"name\":\"tag_list\",\"type\":\"json\",\"path\":\"/tagSet\"},"
		"{\"name\":\"product_codes\",\"type\":\"json\",\"path\":\"/productCodes\"},"
		"{\"name\":\"reservation\",\"type\":\"string\",\"path\":\"^/reservationId\"},"
		"{\"name\":\"launch\",\"type\":\"json\",\"path\":\"/launchTime\"}]}",
		ec2_page, false, &out, &err);

	CQ_CHECKF(st == CQ_JOB_DONE, "state %d: %s", (int) st, err.message);
	CQ_CHECK_STR(out,
				 "i-1|{\"Name\":\"web\",\"env\":\"prod\"}|[{\"key\":\"Name\",\"value\":\"web\"},{\"key\":\"env\",\"value\":\"prod\"}]"
				 "|[]|r-aaa|\"2024-01-02T03:04:05.000Z\"\n"
				 "i-2|{}|[]|[]|r-aaa|\"2024-01-03T00:00:00.000Z\"\n"
				 "i-3|<null>|<null>|[{\"productCode\":\"p\"}]|r-bbb|<null>\n");
	free(out);
}

/* ------------------------------------------------------------------------
 * Whole scans against the mock's /aws-api (LocalStack style)
 * ------------------------------------------------------------------------ */

/* The spec, when the mock is up (else `what` is skipped: NULL). */
static CqSourceDef *
engine_spec(const char *what)
{
	return cqt_mock_spec(what, "sql/aws_engine_spec.json");
}

typedef struct AwsScan
{
	long		rows;
	char	   *text;			/* "a|b\n" per row, in order */
	size_t		len,
				cap;
	CqError		err;
	int			nfailed;
	CqError		failed[8];
	CqJobStats	st;
} AwsScan;

/* Each row of a batch as "a|b\n" text into the AwsScan. */
static void
aws_rows(CqBatch *b, void *ud)
{
	AwsScan    *out = ud;

	out->rows += cqt_batch_text(b, &out->text, &out->len, &out->cap);
}

/* The units the job skipped (skip_failed_units), at its end. */
static void
aws_failed_units(CqJob *job, void *ud)
{
	AwsScan    *out = ud;
	const CqError *fe = NULL;

	out->nfailed = cq_job_failed_units(job, &fe);
	for (int i = 0; i < out->nfailed && i < 8; i++)
		out->failed[i] = fe[i];
}

/*
 * Scan `table` of the engine spec with server option regions (NULL: none)
 * and an optional region qual (comma list), columns `cols` (names,
 * comma-separated).  Returns the final state.
 */
static CqJobState
aws_scan(CqSourceDef *src, const char *table, const char *regions,
		 const char *qual, const char *cols, const char *secret, bool skip,
		 AwsScan *out)
{
	CqtAwsJob	f;
	const char *qv[16];
	int			nq = 0;
	char		qbuf[256];
	char	   *save = NULL;
	CqKeyValues kv;
	CqJobState	st;

	memset(out, 0, sizeof(*out));
	if (!cqt_aws_job(&f, src, table, cols, regions))
		return CQ_JOB_FAILED;
	if (secret)
		f.p.cred.secret = secret;
	if (qual)
	{
		snprintf(qbuf, sizeof(qbuf), "%s", qual);
		for (char *c = strtok_r(qbuf, ",", &save); c && nq < 16; c = strtok_r(NULL, ",", &save))
			qv[nq++] = c;
		kv.column = "region";
		kv.op = CQ_OP_EQ;
		kv.nvalues = nq;
		kv.values = qv;
		f.p.nkeys = 1;
		f.p.keys = &kv;
	}
	f.p.settings.retry_max_ms = 200;
	f.p.settings.max_retries = 3;
	f.p.settings.concurrency = 1;		/* rows in a stable order */
	f.p.settings.workers = 1;
	f.p.settings.skip_failed_units = skip;
	st = cqt_job_run(&f.p, aws_rows, out, aws_failed_units, &out->err, &out->st);
	if (!out->text)
		out->text = strdup("");
	return st;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *) a, *(const char *const *) b);
}

/*
 * Requests the mock served under /aws-api: "region service operation
 * status signed" lines, sorted (regions are scanned concurrently).
 */
static char *
aws_log(void)
{
	char	   *body = cqt_mock_get("/_mock/requests?route=/aws-api");
	json_t	   *doc = json_loads(body, 0, NULL);
	json_t	   *reqs = json_object_get(doc, "requests");
	size_t		i;
	json_t	   *r;
	size_t		cap = 4096,
				len = 0;
	char	   *out = calloc(1, cap);

	json_array_foreach(reqs, i, r)
	{
		json_t	   *sv = json_object_get(r, "sigv4");
		char		line[256];
		int			n = snprintf(line, sizeof(line), "%s %s %s %d %s\n",
								 json_string_value(json_object_get(sv, "region")),
								 json_string_value(json_object_get(sv, "service")),
								 json_string_value(json_object_get(sv, "operation")),
								 (int) json_integer_value(json_object_get(r, "status")),
								 json_is_true(json_object_get(sv, "ok")) ? "signed" : "UNSIGNED");

		while (len + (size_t) n + 1 > cap)
			out = realloc(out, cap *= 2);
		memcpy(out + len, line, (size_t) n + 1);
		len += (size_t) n;
	}
	json_decref(doc);
	free(body);
	{
		char	   *lines[256];
		int			n = 0;
		char	   *sorted = calloc(1, len + 1);
		char	   *save = NULL;

		for (char *l = strtok_r(out, "\n", &save); l && n < 256; l = strtok_r(NULL, "\n", &save))
			lines[n++] = l;
		qsort(lines, (size_t) n, sizeof(char *), cmp_str);
		for (int i = 0; i < n; i++)
		{
			strcat(sorted, lines[i]);
			strcat(sorted, "\n");
		}
		free(out);
		out = sorted;
	}
	return out;
}

static int
count_lines(const char *s, const char *needle)
{
	int			n = 0;

	for (const char *p = s; (p = strstr(p, needle)) != NULL; p++)
		n++;
	return n;
}

static void
test_scans(void)
{
	CqSourceDef *src;
	AwsScan		s;
	CqJobState	st;
	char	   *log;

	src = engine_spec("aws scans");
	if (!src)
		return;

	/* ec2: 2 regions x 5 instances, 2 pages each, reservation fields kept */
	h3_mock("/_mock/reset");
	st = aws_scan(src, "ec2_instances", "us-east-1, eu-west-1", NULL,
				  "region,instance_id,reservation_id,owner_id,state,ami_launch_index,ebs_optimized,private_ip_address,tags",
				  NULL, false, &s);
	CQ_CHECKF(st == CQ_JOB_DONE, "%s: %s %s", s.err.message, s.err.api_code, s.err.api_message);
	CQ_CHECK(s.rows == 10);
	CQ_CHECKF(strstr(s.text, "us-east-1|i-ue10000|r-ue10000|111122223333|running|0|false|10.0.0.1|{\"Name\":\"web-0\",\"env\":\"dev\"}\n") != NULL, "%s", s.text);
	CQ_CHECKF(strstr(s.text, "eu-west-1|i-ew10003|r-ew10003|111122223333|running|1|true|10.0.0.4|{\"Name\":\"web-3\",\"env\":\"prod\"}\n") != NULL, "%s", s.text);
	CQ_CHECK(strstr(s.text, "|i-ue10002|r-ue10002|111122223333|running|0|false|10.0.0.3|<null>\n") != NULL);
	free(s.text);
	log = aws_log();
	CQ_CHECK_STR(log,
				 "eu-west-1 ec2 DescribeInstances 200 signed\neu-west-1 ec2 DescribeInstances 200 signed\n"
				 "us-east-1 ec2 DescribeInstances 200 signed\nus-east-1 ec2 DescribeInstances 200 signed\n");
	free(log);

	/* region = ANY prunes the regions option; every request signed */
	h3_mock("/_mock/reset");
	st = aws_scan(src, "ec2_volumes", "us-east-1,eu-west-1,ap-southeast-2", "ap-southeast-2",
				  "region,volume_id,size,encrypted", NULL, false, &s);
	CQ_CHECKF(st == CQ_JOB_DONE, "%s: %s %s", s.err.message, s.err.api_code, s.err.api_message);
	CQ_CHECK(s.rows == 5);
	CQ_CHECK(strstr(s.text, "ap-southeast-2|vol-as20001|16|true\n") != NULL);
	free(s.text);
	log = aws_log();
	CQ_CHECK(count_lines(log, "ap-southeast-2 ec2 DescribeVolumes 200 signed") == 2 && count_lines(log, "\n") == 2);
	free(log);

	/* no regions option, no qual: the enabled regions from EC2
	 * DescribeRegions (signed for ec2 in the default region), then each */
	h3_mock("/_mock/reset");
	st = aws_scan(src, "dynamodb_tables", NULL, NULL, "region,name", NULL, false, &s);
	CQ_CHECKF(st == CQ_JOB_DONE, "%s", s.err.message);
	CQ_CHECK(s.rows == 35);
	CQ_CHECK(strstr(s.text, "ap-southeast-2|table-ap-southeast-2-4\n") != NULL);
	free(s.text);
	log = aws_log();
	CQ_CHECKF(count_lines(log, "us-east-1 ec2 DescribeRegions 200 signed\n") == 1 &&
			  count_lines(log, "dynamodb ListTables 200 signed\n") == 14 &&
			  count_lines(log, "eu-central-1 dynamodb ListTables 200 signed\n") == 2 &&
			  count_lines(log, "\n") == 15, "%s", log);
	free(log);
	/* DescribeRegions refused: the scan fails (nothing to guess) */
	h3_mock("/_mock/reset");
	h3_mock("/_mock/aws_fail?service=ec2&code=UnauthorizedOperation&status=403");
	st = aws_scan(src, "dynamodb_tables", NULL, NULL, "region,name", NULL, false, &s);
	CQ_CHECK(st == CQ_JOB_FAILED);
	CQ_CHECK_STR(s.err.api_code, "UnauthorizedOperation");
	free(s.text);

	/* query (global): one region whatever the option says, IsTruncated */
	h3_mock("/_mock/reset");
	st = aws_scan(src, "iam_users", "eu-west-1,us-west-2", NULL, "region,user_name,create_date", NULL, false, &s);
	CQ_CHECKF(st == CQ_JOB_DONE, "%s: %s %s", s.err.message, s.err.api_code, s.err.api_message);
	CQ_CHECK_STR(s.text, "us-east-1|user0|2022-01-15 12:00:00+00\nus-east-1|user1|2022-02-15 12:00:00+00\n"
				 "us-east-1|user2|2022-03-15 12:00:00+00\nus-east-1|user3|2022-04-15 12:00:00+00\n"
				 "us-east-1|user4|2022-05-15 12:00:00+00\n");
	free(s.text);
	log = aws_log();
	CQ_CHECK_STR(log, "us-east-1 iam ListUsers 200 signed\nus-east-1 iam ListUsers 200 signed\n");
	free(log);
	/* a global table asked for another region: no rows, no request */
	h3_mock("/_mock/reset");
	st = aws_scan(src, "iam_users", NULL, "eu-west-1", "region,user_name", NULL, false, &s);
	CQ_CHECK(st == CQ_JOB_DONE && s.rows == 0);
	free(s.text);
	log = aws_log();
	CQ_CHECK_STR(log, "");
	free(log);

	/* json: Limit as a number (the mock refuses a string), token in the body */
	h3_mock("/_mock/reset");
	st = aws_scan(src, "dynamodb_tables", "us-west-2", NULL, "region,name", NULL, false, &s);
	CQ_CHECKF(st == CQ_JOB_DONE, "%s: %s %s", s.err.message, s.err.api_code, s.err.api_message);
	CQ_CHECK_STR(s.text, "us-west-2|table-us-west-2-0\nus-west-2|table-us-west-2-1\nus-west-2|table-us-west-2-2\n"
				 "us-west-2|table-us-west-2-3\nus-west-2|table-us-west-2-4\n");
	free(s.text);
	log = aws_log();
	CQ_CHECK_STR(log, "us-west-2 dynamodb ListTables 200 signed\nus-west-2 dynamodb ListTables 200 signed\n");
	free(log);

	/* rest-json */
	h3_mock("/_mock/reset");
	st = aws_scan(src, "lambda_functions", "eu-central-1", NULL, "region,function_name,memory_size,last_modified", NULL, false, &s);
	CQ_CHECKF(st == CQ_JOB_DONE, "%s: %s %s", s.err.message, s.err.api_code, s.err.api_message);
	CQ_CHECK(s.rows == 5);
	CQ_CHECKF(strstr(s.text, "eu-central-1|fn-1|256|2024-02-02 10:00:00+00\n") != NULL, "%s", s.text);
	free(s.text);

	/* rest-xml (S3, global, S3 signing rules) */
	h3_mock("/_mock/reset");
	st = aws_scan(src, "s3_buckets", "eu-west-1", NULL, "region,name,creation_date", NULL, false, &s);
	CQ_CHECKF(st == CQ_JOB_DONE, "%s: %s %s", s.err.message, s.err.api_code, s.err.api_message);
	CQ_CHECK(s.rows == 5);
	CQ_CHECK(strstr(s.text, "us-east-1|bucket-4|2021-05-01 00:00:00+00\n") != NULL);
	free(s.text);
	log = aws_log();
	CQ_CHECK_STR(log, "us-east-1 s3 GET / 200 signed\nus-east-1 s3 GET / 200 signed\n");
	free(log);

	/* throttling: EC2's 503 RequestLimitExceeded twice, then rows */
	h3_mock("/_mock/reset");
	h3_mock("/_mock/aws_fail?region=us-east-1&code=RequestLimitExceeded&status=503&count=2");
	st = aws_scan(src, "ec2_vpcs", "us-east-1", NULL, "vpc_id,cidr_block,is_default,tags", NULL, false, &s);
	CQ_CHECKF(st == CQ_JOB_DONE, "%s: %s %s", s.err.message, s.err.api_code, s.err.api_message);
	CQ_CHECK(s.rows == 5 && s.st.retries == 2);
	CQ_CHECKF(strstr(s.text, "vpc-ue10000|10.0.0.0/16|true|{\"Name\":\"vpc-0\"}\n") != NULL, "%s", s.text);
	free(s.text);
	/* Throttling (query, HTTP 400) and ThrottlingException (json, 400) too */
	h3_mock("/_mock/reset");
	h3_mock("/_mock/aws_fail?service=iam&code=Throttling&status=400&count=1");
	st = aws_scan(src, "iam_users", NULL, NULL, "user_name", NULL, false, &s);
	CQ_CHECK(st == CQ_JOB_DONE && s.rows == 5 && s.st.retries == 1);
	free(s.text);
	h3_mock("/_mock/reset");
	h3_mock("/_mock/aws_fail?service=dynamodb&code=ThrottlingException&status=400&count=1");
	st = aws_scan(src, "dynamodb_tables", "us-east-1", NULL, "name", NULL, false, &s);
	CQ_CHECK(st == CQ_JOB_DONE && s.rows == 5 && s.st.retries == 1);
	free(s.text);
	/* a 400 that is not throttling is not retried */
	h3_mock("/_mock/reset");
	h3_mock("/_mock/aws_fail?service=dynamodb&code=ValidationException&status=400&count=1");
	st = aws_scan(src, "dynamodb_tables", "us-east-1", NULL, "name", NULL, false, &s);
	CQ_CHECK(st == CQ_JOB_FAILED && s.st.retries == 0);
	CQ_CHECK_STR(s.err.api_code, "ValidationException");
	free(s.text);

	/* AccessDenied in one region: skipped with skip_failed, naming it */
	h3_mock("/_mock/reset");
	h3_mock("/_mock/aws_fail?region=eu-west-1&code=UnauthorizedOperation&status=403");
	st = aws_scan(src, "ec2_instances", "us-east-1,eu-west-1", NULL, "region,instance_id", NULL, true, &s);
	CQ_CHECKF(st == CQ_JOB_DONE, "%s: %s %s", s.err.message, s.err.api_code, s.err.api_message);
	CQ_CHECK(s.rows == 5 && s.nfailed == 1);
	CQ_CHECK_STR(s.failed[0].unit, "region=eu-west-1");
	CQ_CHECK_STR(s.failed[0].api_code, "UnauthorizedOperation");
	free(s.text);
	/* without skip_failed it fails the scan */
	st = aws_scan(src, "ec2_instances", "us-east-1,eu-west-1", NULL, "region,instance_id", NULL, false, &s);
	CQ_CHECK(st == CQ_JOB_FAILED);
	CQ_CHECK_STR(s.err.api_code, "UnauthorizedOperation");
	free(s.text);

	/* a wrong secret: SignatureDoesNotMatch, not retried */
	h3_mock("/_mock/reset");
	st = aws_scan(src, "ec2_instances", "us-east-1", NULL, "instance_id", "wrong/secret", false, &s);
	CQ_CHECK(st == CQ_JOB_FAILED && s.err.http_status == 403 && s.st.retries == 0);
	CQ_CHECK_STR(s.err.api_code, "SignatureDoesNotMatch");
	CQ_CHECK(strstr(s.err.message, "wrong/secret") == NULL && strstr(s.err.api_message, "wrong/secret") == NULL);
	free(s.text);

	cq_source_def_free(src);
	h3_mock("/_mock/reset");
}

void
suite_aws(void)
{
	test_base_url();
	test_wire();
	test_key_value_object();
	test_xml_rows();
	test_xml_json_members();
	test_scans();
}
