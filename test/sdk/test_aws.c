/*
 * test_aws.c -- suite `aws`: tables of AWS APIs (src/sdk/aws.c and what the
 * job does with a table's "aws" object): hosts per region, the request each
 * protocol puts on the wire, key_value_object, XML replies to rows, and
 * whole scans against the mock's LocalStack-style /aws-api route, which
 * verifies the SigV4 signature of every request (needs MOCK_URL).
 */
#include <stdlib.h>
#include <string.h>

#include "cq_sdk.h"
#include "cq_sdk_int.h"
#include "cqtest.h"
#include "jobtest.h"

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

void
suite_aws(void)
{
	test_base_url();
	test_wire();
	test_key_value_object();
	test_xml_rows();
}
