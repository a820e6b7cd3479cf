/*
 * test_xml.c -- AWS XML replies to JSON (src/sdk/xml.c).
 *
 * suite "xml": an EC2 DescribeInstances reply in the service's real shape
 * (test/fixtures/aws/ec2_describe_instances.xml: two reservations, three
 * instances, tag/group/product-code/interface lists, empty lists, entities,
 * CDATA, UTF-8, nextToken), with and without the model's list names, rows
 * reached with a wildcard row path as a table would; a Query-protocol
 * reply (IAM ListUsers, <member> lists); flattened repeated elements; the
 * EC2 error reply; and refusals: truncated/malformed XML, DTDs (entity
 * expansion, external entities), depth and size limits.  Plus 4 threads
 * converting at once.  The SAX2 reader's own cases: the projection (rows'
 * unread members skipped: the kept values, the envelope and the elements
 * above the rows are those of the full conversion; every truncation still
 * an error), namespace prefixes, empty lists, nesting at and over the
 * limit (inside a skipped member too), huge text and max_string.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include "cq_sdk.h"
#include "xml.h"
#include "cqtest.h"

static char *
read_fixture(const char *name, size_t *lenp)
{
	char		path[4096];
	const char *slash = strrchr(__FILE__, '/');
	FILE	   *f;
	char	   *buf;
	long		n;

	/* test/sdk/test_xml.c -> test/fixtures/aws/<name> */
	snprintf(path, sizeof(path), "%.*s/../fixtures/aws/%s",
			 slash ? (int) (slash - __FILE__) : 1, slash ? __FILE__ : ".", name);
	f = fopen(path, "rb");
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc(n + 1);
	if (fread(buf, 1, n, f) != (size_t) n)
		n = 0;
	buf[n] = '\0';
	fclose(f);
	*lenp = (size_t) n;
	return buf;
}

static const char *
str_at(json_t *root, const char *pointer)
{
	CqError		err;
	CqPath	   *p = cq_path_compile(pointer, &err);
	json_t	   *v = p ? cq_path_get(p, root) : NULL;

	cq_path_free(p);
	return json_is_string(v) ? json_string_value(v) : NULL;
}

static json_t *
at(json_t *root, const char *pointer)
{
	CqError		err;
	CqPath	   *p = cq_path_compile(pointer, &err);
	json_t	   *v = p ? cq_path_get(p, root) : NULL;

	cq_path_free(p);
	return v;
}

static bool
collect_id(json_t *m, void *arg)
{
	json_t	   *ids = arg;

	json_array_append(ids, json_object_get(m, "instanceId"));
	return true;
}

/* the list shapes of DescribeInstances, as the generator would pass them */
static const char *const ec2_lists[] = {
	"reservationSet", "instancesSet", "groupSet", "tagSet", "productCodes",
	"blockDeviceMapping", "networkInterfaceSet", "privateIpAddressesSet",
	"ipv6AddressesSet", NULL
};

static void
test_ec2_describe_instances(void)
{
	size_t		len;
	char	   *xml = read_fixture("ec2_describe_instances.xml", &len);
	CqError		err;
	json_t	   *j,
			   *ids;
	CqPath	   *rows;
	CqpXmlOptions o = {0};
	char	   *dump;

	CQ_CHECK(xml != NULL);
	if (!xml)
		return;
	j = cqp_xml_to_json(xml, len, NULL, &err);
	CQ_CHECKF(j != NULL, "%s", err.message);
	if (j)
	{
		CQ_CHECK_STR(str_at(j, "/requestId"), "8f7724cf-496f-496e-8fe3-example");
		CQ_CHECK_STR(str_at(j, "/nextToken"), "eyJ2IjoiMiIsImMiOiJleGFtcGxlIn0=");
		CQ_CHECK(json_array_size(at(j, "/reservationSet")) == 2);
		CQ_CHECK(json_array_size(at(j, "/reservationSet/0/instancesSet")) == 2);
		CQ_CHECK_STR(str_at(j, "/reservationSet/0/instancesSet/0/instanceState/code"), "16");
		CQ_CHECK_STR(str_at(j, "/reservationSet/0/instancesSet/0/instanceState/name"), "running");
		CQ_CHECK_STR(str_at(j, "/reservationSet/0/instancesSet/0/tagSet/0/value"), "Server_1");
		/* entities decoded, UTF-8 kept */
		CQ_CHECK_STR(str_at(j, "/reservationSet/0/instancesSet/0/tagSet/1/value"),
					 "R&D <core> \xe2\x80\x94 caf\xc3\xa9");
		CQ_CHECK_STR(str_at(j, "/reservationSet/0/instancesSet/0/networkInterfaceSet/0/ipv6AddressesSet/0/ipv6Address"),
					 "2001:db6::101");
		CQ_CHECK_STR(str_at(j, "/reservationSet/0/instancesSet/0/blockDeviceMapping/0/ebs/volumeId"),
					 "vol-1234567890abcdef0");
		CQ_CHECK_STR(str_at(j, "/reservationSet/0/instancesSet/1/reason"),
					 "User initiated (2018-05-09 10:00:00 GMT)");
		CQ_CHECK_STR(str_at(j, "/reservationSet/0/instancesSet/1/productCodes/0/type"), "marketplace");
		CQ_CHECK_STR(str_at(j, "/reservationSet/1/requesterId"), "940372691376");
		/* empty elements: "" without the model's list names */
		CQ_CHECK_STR(str_at(j, "/reservationSet/0/instancesSet/0/productCodes"), "");
		CQ_CHECK_STR(str_at(j, "/reservationSet/0/instancesSet/0/reason"), "");
		/* no namespace or whitespace leaks into keys or values */
		dump = json_dumps(j, JSON_COMPACT);
		CQ_CHECK(dump && strstr(dump, "xmlns") == NULL && strstr(dump, "\n") == NULL &&
				 strstr(dump, "ec2.amazonaws.com/doc") == NULL);
		free(dump);

		/* the table's row path reaches all three instances, in order */
		rows = cq_path_compile("/reservationSet/*/instancesSet/*", &err);
		ids = json_array();
		CQ_CHECK(rows && cq_path_each(rows, j, collect_id, ids) == 3);
		CQ_CHECK_STR(json_string_value(json_array_get(ids, 0)), "i-1234567890abcdef0");
		CQ_CHECK_STR(json_string_value(json_array_get(ids, 1)), "i-0598c7d356eba48d7");
		CQ_CHECK_STR(json_string_value(json_array_get(ids, 2)), "i-0fedcba9876543210");
		json_decref(ids);
		cq_path_free(rows);
		json_decref(j);
	}

	/* with the model's list names, empty lists are [] */
	o.list_names = ec2_lists;
	j = cqp_xml_to_json(xml, len, &o, &err);
	CQ_CHECK(j != NULL);
	if (j)
	{
		json_t	   *pc = at(j, "/reservationSet/0/instancesSet/0/productCodes");
		json_t	   *gs = at(j, "/reservationSet/0/groupSet");

		CQ_CHECK(json_is_array(pc) && json_array_size(pc) == 0);
		CQ_CHECK(json_is_array(gs) && json_array_size(gs) == 0);
		CQ_CHECK(json_array_size(at(j, "/reservationSet/0/instancesSet/1/tagSet")) == 0 &&
				 json_is_array(at(j, "/reservationSet/0/instancesSet/1/tagSet")));
		CQ_CHECK_STR(str_at(j, "/reservationSet/0/instancesSet/0/reason"), "");
		CQ_CHECK_STR(str_at(j, "/reservationSet/0/instancesSet/0/groupSet/0/groupId"), "sg-e4076980");
		json_decref(j);
	}

	/* limits */
	o.max_bytes = 100;
	CQ_CHECK(cqp_xml_to_json(xml, len, &o, &err) == NULL && err.kind == CQ_ERR_LIMIT &&
			 strcmp(err.setting, "max_response_bytes") == 0);
	o.max_bytes = 0;
	o.max_depth = 9;
	CQ_CHECK(cqp_xml_to_json(xml, len, &o, &err) == NULL && err.kind == CQ_ERR_LIMIT &&
			 strcmp(err.setting, "max_json_depth") == 0);
	o.max_depth = 10;			/* deepest: .../privateIpAddressesSet/item/privateIpAddress */
	j = cqp_xml_to_json(xml, len, &o, &err);
	CQ_CHECKF(j != NULL, "%s", err.message);
	json_decref(j);

	/* truncated reply: every cut is an error, never a partial tree */
	{
		size_t		cut;
		int			bad = 0;

		for (cut = 1; cut < len - 2; cut += 97)
		{
			j = cqp_xml_to_json(xml, cut, NULL, &err);
			if (j != NULL || err.kind != CQ_ERR_JSON)
				bad++;
			json_decref(j);
		}
		CQ_CHECKF(bad == 0, "%d truncated replies accepted", bad);
	}
	free(xml);
}

static void
test_query_protocol(void)
{
	const char *xml =
		"<ListUsersResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\">"
		"<ListUsersResult><IsTruncated>true</IsTruncated><Marker>AAF9</Marker><Users>"
		"<member><UserName>alice</UserName><Path>/</Path><Tags><member><Key>k</Key>"
		"<Value>v</Value></member></Tags></member>"
		"<member><UserName>bob</UserName><Path>/ops/</Path></member>"
		"</Users></ListUsersResult>"
		"<ResponseMetadata><RequestId>7a62c49f-347e-4fc4-9331-6e8eEXAMPLE</RequestId>"
		"</ResponseMetadata></ListUsersResponse>";
	CqError		err;
	json_t	   *j = cqp_xml_to_json(xml, strlen(xml), NULL, &err);

	CQ_CHECKF(j != NULL, "%s", err.message);
	if (!j)
		return;
	CQ_CHECK(json_array_size(at(j, "/ListUsersResult/Users")) == 2);
	CQ_CHECK_STR(str_at(j, "/ListUsersResult/Users/1/UserName"), "bob");
	CQ_CHECK_STR(str_at(j, "/ListUsersResult/Users/0/Tags/0/Value"), "v");
	CQ_CHECK_STR(str_at(j, "/ListUsersResult/Marker"), "AAF9");
	CQ_CHECK_STR(str_at(j, "/ResponseMetadata/RequestId"), "7a62c49f-347e-4fc4-9331-6e8eEXAMPLE");
	json_decref(j);
}

static void
test_shapes(void)
{
	CqError		err;
	const char *flat = "<R><Entry><a>1</a></Entry><x>y</x><Entry><a>2</a></Entry>"
		"<Entry><a>3</a></Entry><One><a>9</a></One></R>";
	const char *ec2err = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Response><Errors><Error>"
		"<Code>AuthFailure</Code><Message>AWS was not able to validate the provided access "
		"credentials</Message></Error></Errors><RequestID>b1f1d0a1-example</RequestID></Response>";
	const char *const flat_list[] = {"Flat", NULL};
	const char *flat2 = "<R><Flat><Name>a</Name><Name>b</Name></Flat></R>";
	CqpXmlOptions o = {0};
	json_t	   *j;
	char	   *s;

	j = cqp_xml_to_json(flat, strlen(flat), NULL, &err);
	s = j ? json_dumps(j, JSON_COMPACT) : strdup("(null)");
	CQ_CHECK_STR(s, "{\"Entry\":[{\"a\":\"1\"},{\"a\":\"2\"},{\"a\":\"3\"}],\"x\":\"y\",\"One\":{\"a\":\"9\"}}");
	free(s);
	json_decref(j);

	j = cqp_xml_to_json(ec2err, strlen(ec2err), NULL, &err);
	CQ_CHECK(j != NULL);
	if (j)
	{
		CQ_CHECK_STR(str_at(j, "/Errors/Error/Code"), "AuthFailure");
		CQ_CHECK_STR(str_at(j, "/RequestID"), "b1f1d0a1-example");
	}
	json_decref(j);

	/* list_names: children that are not <item>/<member> are still members */
	o.list_names = flat_list;
	j = cqp_xml_to_json(flat2, strlen(flat2), &o, &err);
	s = j ? json_dumps(j, JSON_COMPACT) : strdup("(null)");
	CQ_CHECK_STR(s, "{\"Flat\":[\"a\",\"b\"]}");
	free(s);
	json_decref(j);
}

static void
test_refusals(void)
{
	static const char *const bad[] = {
		"",
		"not xml at all",
		"<a><b>1</a></b>",
		"<a>1</a><b>2</b>",
		"<a>1</a>trailing",
		"<a>&undefined;</a>",
		/* entity expansion ("billion laughs") and external entities */
		"<?xml version=\"1.0\"?><!DOCTYPE l [<!ENTITY a \"aaaaaaaaaa\">"
		"<!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\"><!ENTITY c \"&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;\">"
		"]><l>&c;</l>",
		"<!DOCTYPE r [<!ENTITY x SYSTEM \"file:///etc/passwd\">]><r>&x;</r>",
		"<!DOCTYPE r SYSTEM \"http://169.254.169.254/latest/meta-data/\"><r/>",
	};
	size_t		i;
	CqError		err;
	char	   *deep;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
	{
		json_t	   *j = cqp_xml_to_json(bad[i], strlen(bad[i]), NULL, &err);

		CQ_CHECKF(j == NULL && err.kind == CQ_ERR_JSON, "accepted: %s", bad[i]);
		CQ_CHECKF(strchr(err.message, '\n') == NULL && strstr(err.message, "passwd") == NULL,
				  "message: %s", err.message);
		json_decref(j);
	}

	/* 10000 nested elements: a limit error, not a deep recursion */
	deep = malloc(10000 * 7 + 1);
	deep[0] = '\0';
	for (i = 0; i < 10000; i++)
		strcat(deep + i * 3, "<a>");
	for (i = 0; i < 10000; i++)
		memcpy(deep + 30000 + i * 4, "</a>", 4);
	deep[70000] = '\0';
	{
		json_t	   *j = cqp_xml_to_json(deep, 70000, NULL, &err);

		CQ_CHECK(j == NULL && err.kind == CQ_ERR_LIMIT);
		json_decref(j);
	}
	free(deep);
}

static const char *const ec2_rows[] = {"reservationSet", "*", "instancesSet"};

/* The rows of a converted DescribeInstances reply, in order. */
static json_t *
ec2_row_list(json_t *j)
{
	json_t	   *out = json_array();
	json_t	   *rs = json_object_get(j, "reservationSet");
	size_t		i,
				k;
	json_t	   *r,
			   *in;

	json_array_foreach(rs, i, r)
		json_array_foreach(json_object_get(r, "instancesSet"), k, in)
		json_array_append(out, in);
	return out;
}

static void
test_projection(void)
{
	size_t		len;
	char	   *xml = read_fixture("ec2_describe_instances.xml", &len);
	const char *const keys[] = {"instanceId", "tagSet", "instanceState", "networkInterfaceSet", NULL};
	const char *const nokeys[] = {NULL};
	CqpXmlOptions o = {0};
	CqError		err;
	json_t	   *full,
			   *proj,
			   *fr,
			   *pr;
	size_t		i;

	CQ_CHECK(xml != NULL);
	if (!xml)
		return;
	o.list_names = ec2_lists;
	full = cqp_xml_to_json(xml, len, &o, &err);
	o.rows_segs = ec2_rows;
	o.nrows_segs = 3;
	o.row_keys = keys;
	proj = cqp_xml_to_json(xml, len, &o, &err);
	CQ_CHECKF(full != NULL && proj != NULL, "%s", err.message);
	if (!full || !proj)
		goto out;
	/* the envelope and the reservations' own fields are unchanged */
	CQ_CHECK_STR(str_at(proj, "/nextToken"), str_at(full, "/nextToken"));
	CQ_CHECK_STR(str_at(proj, "/requestId"), str_at(full, "/requestId"));
	CQ_CHECK(json_equal(at(proj, "/reservationSet/0/groupSet"), at(full, "/reservationSet/0/groupSet")));
	CQ_CHECK_STR(str_at(proj, "/reservationSet/1/requesterId"), "940372691376");
	CQ_CHECK_STR(str_at(proj, "/reservationSet/0/ownerId"), str_at(full, "/reservationSet/0/ownerId"));
	/* the same rows; the kept members equal, the others absent */
	fr = ec2_row_list(full);
	pr = ec2_row_list(proj);
	CQ_CHECK(json_array_size(fr) == 3 && json_array_size(pr) == 3);
	for (i = 0; i < json_array_size(fr) && i < json_array_size(pr); i++)
	{
		json_t	   *a = json_array_get(fr, i),
				   *b = json_array_get(pr, i);
		const char *k;
		json_t	   *v;
		int			kept = 0;

		json_object_foreach(a, k, v)
		{
			bool		want = false;

			for (int m = 0; keys[m]; m++)
				want |= strcmp(keys[m], k) == 0;
			if (want)
			{
				CQ_CHECKF(json_equal(v, json_object_get(b, k)), "row %zu member %s", i, k);
				kept++;
			}
			else
				CQ_CHECKF(json_object_get(b, k) == NULL, "row %zu member %s not skipped", i, k);
		}
		CQ_CHECK((int) json_object_size(b) == kept);
	}
	CQ_CHECK_STR(str_at(proj, "/reservationSet/0/instancesSet/0/tagSet/0/value"), "Server_1");
	json_decref(fr);
	json_decref(pr);
	json_decref(proj);

	/* no member read (count(*)): every row an empty object, still there */
	o.row_keys = nokeys;
	proj = cqp_xml_to_json(xml, len, &o, &err);
	CQ_CHECKF(proj != NULL, "%s", err.message);
	pr = proj ? ec2_row_list(proj) : NULL;
	CQ_CHECK(pr && json_array_size(pr) == 3);
	for (i = 0; pr && i < json_array_size(pr); i++)
		CQ_CHECK(json_is_object(json_array_get(pr, i)) && json_object_size(json_array_get(pr, i)) == 0);
	CQ_CHECK(proj && json_equal(at(proj, "/reservationSet/0/groupSet"), at(full, "/reservationSet/0/groupSet")));
	json_decref(pr);
	json_decref(proj);

	/* truncated inside a skipped member: still an error, never rows */
	{
		int			bad = 0;

		for (size_t cut = 1; cut < len - 2; cut += 41)
		{
			json_t	   *j = cqp_xml_to_json(xml, cut, &o, &err);

			if (j != NULL || err.kind != CQ_ERR_JSON)
				bad++;
			json_decref(j);
		}
		CQ_CHECKF(bad == 0, "%d truncated replies accepted with a projection", bad);
	}
	/* malformed inside a skipped member */
	{
		const char *mal = "<R><reservationSet><item><instancesSet><item><instanceId>i-1</instanceId>"
			"<skipped><a>1</b></skipped></item></instancesSet></item></reservationSet></R>";
		json_t	   *j = cqp_xml_to_json(mal, strlen(mal), &o, &err);

		CQ_CHECK(j == NULL && err.kind == CQ_ERR_JSON && strstr(err.message, "malformed XML reply"));
		json_decref(j);
	}
	/* a rows list that is empty, or absent */
	{
		const char *empty = "<R><reservationSet><item><reservationId>r-1</reservationId><instancesSet/>"
			"</item></reservationSet><nextToken>n</nextToken></R>";
		json_t	   *j;

		o.row_keys = keys;
		j = cqp_xml_to_json(empty, strlen(empty), &o, &err);
		CQ_CHECKF(j != NULL, "%s", err.message);
		CQ_CHECK(j && json_is_array(at(j, "/reservationSet/0/instancesSet")) &&
				 json_array_size(at(j, "/reservationSet/0/instancesSet")) == 0);
		CQ_CHECK_STR(j ? str_at(j, "/reservationSet/0/reservationId") : "(null)", "r-1");
		json_decref(j);
		empty = "<R><reservationSet/><nextToken>n</nextToken></R>";
		j = cqp_xml_to_json(empty, strlen(empty), &o, &err);
		CQ_CHECK(j && json_is_array(at(j, "/reservationSet")) && json_array_size(at(j, "/reservationSet")) == 0);
		json_decref(j);
	}
out:
	json_decref(full);
	free(xml);
}

static void
test_sax_cases(void)
{
	CqError		err;
	CqpXmlOptions o = {0};
	json_t	   *j;
	char	   *s;

	/* namespace prefixes and default namespaces: local names */
	{
		const char *ns = "<p:R xmlns:p=\"urn:a\" xmlns=\"urn:b\"><p:x>1</p:x><y xmlns:q=\"urn:c\">"
			"<q:z>2</q:z></y><t>a&amp;b&#x41;<![CDATA[<c>]]></t></p:R>";

		j = cqp_xml_to_json(ns, strlen(ns), NULL, &err);
		s = j ? json_dumps(j, JSON_COMPACT) : strdup("(null)");
		CQ_CHECK_STR(s, "{\"x\":\"1\",\"y\":{\"z\":\"2\"},\"t\":\"a&bA<c>\"}");
		free(s);
		json_decref(j);
	}
	/* deep nesting: max_depth elements are fine, one more is the limit,
	 * also inside a member the projection skips */
	{
		const char *const segs[] = {"rows"};
		const char *const lst[] = {"rows", NULL};
		const char *const keys[] = {"id", NULL};
		char		buf[2048];
		size_t		n = 0;

		n += (size_t) snprintf(buf + n, sizeof(buf) - n, "<R><rows><item><id>1</id><deep>");
		for (int i = 0; i < 20; i++)
			n += (size_t) snprintf(buf + n, sizeof(buf) - n, "<a>");
		for (int i = 0; i < 20; i++)
			n += (size_t) snprintf(buf + n, sizeof(buf) - n, "</a>");
		n += (size_t) snprintf(buf + n, sizeof(buf) - n, "</deep></item></rows></R>");
		/* R rows item deep + 20 a = 24 levels */
		o.max_depth = 24;
		j = cqp_xml_to_json(buf, n, &o, &err);
		CQ_CHECKF(j != NULL, "%s", err.message);
		json_decref(j);
		o.max_depth = 23;
		j = cqp_xml_to_json(buf, n, &o, &err);
		CQ_CHECK(j == NULL && err.kind == CQ_ERR_LIMIT && strcmp(err.setting, "max_json_depth") == 0);
		o.list_names = lst;
		o.rows_segs = segs;
		o.nrows_segs = 1;
		o.row_keys = keys;
		j = cqp_xml_to_json(buf, n, &o, &err);
		CQ_CHECK(j == NULL && err.kind == CQ_ERR_LIMIT && strcmp(err.setting, "max_json_depth") == 0);
		o.max_depth = 24;
		j = cqp_xml_to_json(buf, n, &o, &err);
		CQ_CHECKF(j != NULL, "%s", err.message);
		s = j ? json_dumps(j, JSON_COMPACT) : strdup("(null)");
		CQ_CHECK_STR(s, "{\"rows\":[{\"id\":\"1\"}]}");
		free(s);
		json_decref(j);
		memset(&o, 0, sizeof(o));
	}
	/* huge text: 12 MB in one element (over libxml2's 10 MB text-node
	 * limit of its tree builder, which SAX does not use) */
	{
		size_t		tl = 12u * 1024 * 1024;
		char	   *big = malloc(tl + 32);
		size_t		n;

		memcpy(big, "<R><v>", 6);
		memset(big + 6, 'x', tl);
		memcpy(big + 6 + tl, "</v></R>", 8);
		n = tl + 14;
		j = cqp_xml_to_json(big, n, NULL, &err);
		CQ_CHECKF(j != NULL, "%s", err.message);
		CQ_CHECK(j && json_string_length(json_object_get(j, "v")) == tl);
		json_decref(j);
		o.max_string = tl - 1;
		j = cqp_xml_to_json(big, n, &o, &err);
		CQ_CHECK(j == NULL && err.kind == CQ_ERR_LIMIT && strcmp(err.setting, "max_string_bytes") == 0);
		o.max_string = tl;
		j = cqp_xml_to_json(big, n, &o, &err);
		CQ_CHECKF(j != NULL, "%s", err.message);
		json_decref(j);
		free(big);
		memset(&o, 0, sizeof(o));
	}
	/* an element with text before and after a child is an object */
	{
		const char *mixed = "<R><a>x<b>1</b>y</a></R>";

		j = cqp_xml_to_json(mixed, strlen(mixed), NULL, &err);
		s = j ? json_dumps(j, JSON_COMPACT) : strdup("(null)");
		CQ_CHECK_STR(s, "{\"a\":{\"b\":\"1\"}}");
		free(s);
		json_decref(j);
	}
}

typedef struct XThr
{
	const char *xml;
	size_t		len;
	json_t	   *ref;
	bool		ok;
} XThr;

static void *
xml_loop(void *arg)
{
	XThr	   *t = arg;
	int			i;

	t->ok = true;
	for (i = 0; i < 200; i++)
	{
		CqError		err;
		json_t	   *j = cqp_xml_to_json(t->xml, t->len, NULL, &err);

		if (!j || !json_equal(j, t->ref))
			t->ok = false;
		json_decref(j);
	}
	return NULL;
}

static void
test_threads(void)
{
	size_t		len;
	char	   *xml = read_fixture("ec2_describe_instances.xml", &len);
	CqError		err;
	json_t	   *ref = xml ? cqp_xml_to_json(xml, len, NULL, &err) : NULL;
	pthread_t	t[4];
	XThr		a[4];
	int			i;

	CQ_CHECK(ref != NULL);
	if (!ref)
	{
		free(xml);
		return;
	}
	for (i = 0; i < 4; i++)
	{
		a[i].xml = xml;
		a[i].len = len;
		a[i].ref = ref;
		pthread_create(&t[i], NULL, xml_loop, &a[i]);
	}
	for (i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	for (i = 0; i < 4; i++)
		CQ_CHECK(a[i].ok);
	json_decref(ref);
	free(xml);
}

void
suite_xml(void)
{
	test_ec2_describe_instances();
	test_query_protocol();
	test_shapes();
	test_refusals();
	test_threads();
	test_projection();
	test_sax_cases();
}
