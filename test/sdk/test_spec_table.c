/*
 * test_spec_table.c -- suite `spec_table`: src/sdk/spec_table.c, one table
 * object (columns and their transforms, pagination, parent, keys, primary
 * key) and the cross-checks between them, through cqp_spec_table_parse
 * directly (location prefix, the source's server_options, what a failed
 * parse leaves for the caller to free) and through cq_spec_parse_table.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cq_sdk.h"
#include "cq_sdk_int.h"
#include "spec_int.h"
#include "cqtest.h"
#include "spectest.h"

void		suite_spec_table(void);

/*
 * Parse `json` as a table at location `loc` of source `src` (NULL: a lone
 * table).  Returns the table (free with cq_table_def_free, also after a
 * failure: it then holds what was parsed) and sets *ok.
 */
static CqTableDef *
table_at(const char *json, const char *loc, const CqSourceDef *src,
		 CqError *err, bool *ok)
{
	json_error_t jerr;
	json_t	   *root = json_loads(json, 0, &jerr);
	CqTableDef *t = calloc(1, sizeof(CqTableDef));
	CqpSpecCtx	c;

	memset(err, 0, sizeof(*err));
	c.err = err;
	c.src = src;
	CQ_CHECKF(root != NULL, "fixture: %s", jerr.text);
	*ok = root && cqp_spec_table_parse(&c, loc, root, t);
	json_decref(root);
	return t;
}

static void
test_table_direct(void)
{
	CqError		err;
	bool		ok;
	CqTableDef *t;
	CqSourceDef src;
	char	   *opts[] = {"projects"};
	const char *keyed = "{\"name\":\"t\",\"endpoint\":\"/p/{project}/i\","
		"\"keys\":[{\"column\":\"project\",\"server_option\":\"projects\"},"
		"{\"column\":\"zone\",\"server_option\":\"zones\"}],"
		"\"columns\":[{\"name\":\"project\",\"type\":\"string\"},{\"name\":\"zone\",\"type\":\"string\"}]}";

	/* a lone table: server_option is not checked against a source */
	t = table_at(keyed, "", NULL, &err, &ok);
	CQ_CHECKF(ok, "%s", err.message);
	CQ_CHECK(t->nkeys == 2 && t->keys[0].in == CQ_IN_PATH && t->keys[1].in == CQ_IN_QUERY);
	CHECK_S(t->keys[1].server_option, "zones");
	cq_table_def_free(t);

	/* inside a source: it must be one of the source's server_options, and
	 * the message carries the caller's location */
	memset(&src, 0, sizeof(src));
	src.server_options = opts;
	src.nserver_options = 1;
	t = table_at(keyed, "tables[7]", &src, &err, &ok);
	CQ_CHECK(!ok && err.kind == CQ_ERR_CONFIG);
	CHECK_S(err.message, "tables[7].keys[1].server_option: \"zones\" is not declared in the source's server_options");
	CHECK_S(err.path, "tables[7].keys[1].server_option");
	/* what was parsed stays for the caller to free (no leak under valgrind) */
	CQ_CHECK(t->ncolumns == 2 && t->nkeys == 2);
	CHECK_S(t->columns[1].name, "zone");
	CHECK_S(t->keys[0].server_option, "projects");
	cq_table_def_free(t);

	/* defaults a consumer relies on */
	t = table_at("{\"name\":\"t\",\"endpoint\":\"/x\",\"pagination\":\"link_header\","
				 "\"columns\":[{\"name\":\"a_b\",\"type\":\"uuid[]\"}]}", "", NULL, &err, &ok);
	CQ_CHECKF(ok, "%s", err.message);
	CQ_CHECK(t->pagination == CQ_PAGE_LINK_HEADER && t->next == NULL && t->cnext == NULL);
	CHECK_S(t->rows, "");
	CHECK_S(t->get_rows, "");
	CQ_CHECK(t->crows != NULL && t->cget_rows != NULL);
	CHECK_S(t->columns[0].path, "/a_b");
	CQ_CHECK(t->columns[0].type.base == CQ_T_UUID && t->columns[0].type.is_array);
	CQ_CHECK(t->row_estimate == SPEC_DEFAULT_ROW_ESTIMATE && !t->supports_limit);
	cq_table_def_free(t);
}

/* origin: generated | curated | hand-written (default), shown by cq_fdw.tables */
static void
test_origin(void)
{
	CqError		err;
	bool		ok;
	CqTableDef *t;
	const char *const vals[] = {"generated", "curated", "hand-written"};
	char		js[256];

	t = table_at("{\"name\":\"t\",\"endpoint\":\"/x\",\"columns\":[{\"name\":\"a\",\"type\":\"int\"}]}",
				 "", NULL, &err, &ok);
	CQ_CHECKF(ok, "%s", err.message);
	CHECK_S(t->origin, "hand-written");
	cq_table_def_free(t);
	for (int i = 0; i < 3; i++)
	{
		snprintf(js, sizeof(js), "{\"name\":\"t\",\"endpoint\":\"/x\",\"origin\":\"%s\","
				 "\"columns\":[{\"name\":\"a\",\"type\":\"int\"}]}", vals[i]);
		t = table_at(js, "", NULL, &err, &ok);
		CQ_CHECKF(ok, "%s", err.message);
		CHECK_S(t->origin, vals[i]);
		cq_table_def_free(t);
	}
	t = table_at("{\"name\":\"t\",\"endpoint\":\"/x\",\"origin\":\"generatd\","
				 "\"columns\":[{\"name\":\"a\",\"type\":\"int\"}]}", "tables[2]", NULL, &err, &ok);
	CQ_CHECK(!ok && err.kind == CQ_ERR_CONFIG);
	CHECK_S(err.message, "tables[2].origin: \"generatd\" is not generated, curated or hand-written");
	cq_table_def_free(t);
	t = table_at("{\"name\":\"t\",\"endpoint\":\"/x\",\"origin\":7,"
				 "\"columns\":[{\"name\":\"a\",\"type\":\"int\"}]}", "", NULL, &err, &ok);
	CQ_CHECK(!ok && err.kind == CQ_ERR_CONFIG);
	cq_table_def_free(t);
}

static void
test_keys_and_parent(void)
{
	CqError		err;
	bool		ok;
	CqTableDef *t;

	/* operators: aliases, op_params stored at the operator's bit */
	t = table_at("{\"name\":\"t\",\"endpoint\":\"/x\",\"keys\":[{\"column\":\"d\","
				 "\"ops\":[\"=\",\"<\",\"LIKE\"],\"op_params\":{\"<\":\"before\",\"~~\":\"q\"}}],"
				 "\"columns\":[{\"name\":\"d\",\"type\":\"date\"}]}", "", NULL, &err, &ok);
	CQ_CHECKF(ok, "%s", err.message);
	if (ok)
	{
		CQ_CHECK(t->keys[0].ops == (CQ_OP_EQ | CQ_OP_LT | CQ_OP_LIKE));
		CHECK_S(t->keys[0].op_param[__builtin_ctz(CQ_OP_LT)], "before");
		CHECK_S(t->keys[0].op_param[__builtin_ctz(CQ_OP_LIKE)], "q");
		CQ_CHECK(t->keys[0].op_param[__builtin_ctz(CQ_OP_EQ)] == NULL);
		CHECK_S(t->keys[0].param, "d");
		CQ_CHECK(t->keys[0].in == CQ_IN_QUERY);
	}
	cq_table_def_free(t);

	/* op_params for an operator not in ops, and for "=" */
	t = table_at("{\"name\":\"t\",\"endpoint\":\"/x\",\"keys\":[{\"column\":\"d\","
				 "\"op_params\":{\">\":\"after\"}}],\"columns\":[{\"name\":\"d\",\"type\":\"date\"}]}",
				 "", NULL, &err, &ok);
	CQ_CHECK(!ok);
	CHECK_S(err.message, "keys[0].op_params.>: operator is not listed in ops");
	cq_table_def_free(t);
	t = table_at("{\"name\":\"t\",\"endpoint\":\"/x\",\"keys\":[{\"column\":\"d\","
				 "\"op_params\":{\"=\":\"eq\"}}],\"columns\":[{\"name\":\"d\",\"type\":\"date\"}]}",
				 "", NULL, &err, &ok);
	CQ_CHECK(!ok);
	CHECK_S(err.message, "keys[0].op_params.=: \"=\" is sent as the key's param; use \"param\"");
	cq_table_def_free(t);

	/* a parent's pagination has no "total" (the child counts its own rows) */
	t = table_at("{\"name\":\"t\",\"endpoint\":\"/x/{id}\",\"keys\":[{\"column\":\"id\"}],"
				 "\"parent\":{\"endpoint\":\"/p\",\"pagination\":{\"type\":\"offset\",\"next_param\":\"o\",\"total\":\"/n\"},"
				 "\"map\":{\"id\":\"/id\"}},\"columns\":[{\"name\":\"id\",\"type\":\"int\"}]}",
				 "", NULL, &err, &ok);
	CQ_CHECK(!ok);
	CHECK_S(err.message, "parent.pagination.total: unknown key (known keys: type, next, next_param, "
		   "page_size_param, page_size, more)");
	cq_table_def_free(t);

	/* from_parent: the key's param must be filled by parent.map */
	t = table_at("{\"name\":\"t\",\"endpoint\":\"/x/{id}\",\"keys\":[{\"column\":\"id\"},"
				 "{\"column\":\"org\",\"from_parent\":true}],"
				 "\"parent\":{\"endpoint\":\"/p\",\"map\":{\"id\":\"/id\"}},"
				 "\"columns\":[{\"name\":\"id\",\"type\":\"int\"},{\"name\":\"org\",\"type\":\"string\"}]}",
				 "", NULL, &err, &ok);
	CQ_CHECK(!ok);
	CHECK_S(err.message, "keys[1].from_parent: parent.map does not fill {org}");
	cq_table_def_free(t);

	/* two path keys with one param */
	t = table_at("{\"name\":\"t\",\"endpoint\":\"/x/{id}\",\"keys\":[{\"column\":\"a\",\"param\":\"id\"},"
				 "{\"column\":\"b\",\"param\":\"id\"}],"
				 "\"columns\":[{\"name\":\"a\",\"type\":\"int\"},{\"name\":\"b\",\"type\":\"int\"}]}",
				 "", NULL, &err, &ok);
	CQ_CHECK(!ok);
	CHECK_S(err.message, "keys[1].param: {id} is already the param of keys[0]");
	cq_table_def_free(t);
}

/* Column transforms: spec validation and what they extract. */
static void
test_transforms(void)
{
	CqError		err;
	CqTableDef *t;
	const char *o;
	size_t		n;
	const char *good =
		"{\"name\":\"t\",\"endpoint\":\"/x\",\"columns\":["
		"{\"name\":\"zone\",\"type\":\"string\",\"transform\":\"last_segment\"},"
		"{\"name\":\"rg\",\"type\":\"string\",\"path\":\"/id\",\"transform\":\"segment_after:resourceGroups\"},"
		"{\"name\":\"nets\",\"type\":\"string[]\",\"path\":\"/n/*/u\",\"transform\":\"last_segment\"},"
		"{\"name\":\"plain\",\"type\":\"string\"}]}";

	t = cq_spec_parse_table(good, strlen(good), &err);
	CQ_CHECKF(t != NULL, "%s", err.message);
	if (t == NULL)
		return;
	CQ_CHECK(t->columns[0].transform_kind == CQ_XFORM_LAST_SEGMENT);
	CQ_CHECK(t->columns[1].transform_kind == CQ_XFORM_SEGMENT_AFTER);
	CQ_CHECK_STR(t->columns[1].transform_arg, "resourceGroups");
	CQ_CHECK(t->columns[3].transform_kind == CQ_XFORM_NONE);

#define XF(col, in, expect) do { \
		bool ok_ = cq_column_transform(&t->columns[col], in, strlen(in), &o, &n); \
		char buf_[200]; \
		snprintf(buf_, sizeof(buf_), "%.*s", (int) n, o); \
		CQ_CHECKF(ok_ && strcmp(buf_, expect) == 0, "%s -> \"%s\" (ok=%d), expected \"%s\"", in, buf_, ok_, expect); \
	} while (0)
#define XF_NULL(col, in) \
	CQ_CHECKF(!cq_column_transform(&t->columns[col], in, strlen(in), &o, &n), "%s should be NULL", in)

	XF(0, "https://www.googleapis.com/compute/v1/projects/p/zones/us-central1-a", "us-central1-a");
	XF(0, "zones/us-central1-a", "us-central1-a");
	XF(0, "us-central1-a", "us-central1-a");
	XF(0, "https://x/zones/europe-west1-b/", "europe-west1-b");
	XF(0, "https://x/machineTypes/e2-small?alt=json", "e2-small");
	XF(0, "", "");
	XF(0, "/", "");
	XF(1, "/subscriptions/1111/resourceGroups/demo-rg/providers/Microsoft.Network/networkInterfaces/nic", "demo-rg");
	XF(1, "/subscriptions/1111/RESOURCEGROUPS/Demo-RG/providers/x", "Demo-RG");
	XF(1, "/subscriptions/1111/resourceGroups/last", "last");
	XF_NULL(1, "/subscriptions/1111/resourceGroups");
	XF_NULL(1, "/subscriptions/1111/resourceGroups/");
	XF_NULL(1, "/subscriptions/1111/resourceGroupsX/rg");
	XF_NULL(1, "no slashes at all");
	XF_NULL(1, "");
	XF(3, "a/b/c", "a/b/c");
#undef XF
#undef XF_NULL
	cq_table_def_free(t);

	{
		const char *bad1 = "{\"name\":\"t\",\"endpoint\":\"/x\",\"columns\":[{\"name\":\"z\",\"type\":\"string\",\"transform\":\"basename\"}]}";
		const char *bad2 = "{\"name\":\"t\",\"endpoint\":\"/x\",\"columns\":[{\"name\":\"z\",\"type\":\"json\",\"transform\":\"last_segment\"}]}";
		const char *bad3 = "{\"name\":\"t\",\"endpoint\":\"/x\",\"columns\":[{\"name\":\"z\",\"type\":\"string\",\"transform\":\"segment_after:\"}]}";

		t = cq_spec_parse_table(bad1, strlen(bad1), &err);
		CQ_CHECK(t == NULL && strstr(err.message, "columns[0].transform: unknown transform \"basename\"") != NULL);
		cq_table_def_free(t);
		t = cq_spec_parse_table(bad2, strlen(bad2), &err);
		CQ_CHECK(t == NULL && strstr(err.message, "transform") != NULL);
		cq_table_def_free(t);
		t = cq_spec_parse_table(bad3, strlen(bad3), &err);
		CQ_CHECK(t == NULL && strstr(err.message, "unknown transform") != NULL);
		cq_table_def_free(t);
	}
}

/*
 * "cursor": parsed into cursor_*, the column's key made to accept the
 * cursor's operator (an existing key keeps its own operators; a column
 * without a key gets a query key), and every way to get it wrong.
 */
static void
test_cursor(void)
{
	CqError		err;
	bool		ok;
	CqTableDef *t;
	int			ge = __builtin_ctz(CQ_OP_GE);
	int			gt = __builtin_ctz(CQ_OP_GT);
	char		json[1024];

#define CUR_TABLE(keys, cursor) \
	snprintf(json, sizeof(json), "{\"name\":\"t\",\"endpoint\":\"/r/{owner}/issues\"," \
			 "\"keys\":[{\"column\":\"owner\"}%s],\"cursor\":%s," \
			 "\"columns\":[{\"name\":\"owner\",\"type\":\"string\"},{\"name\":\"updated_at\",\"type\":\"timestamp\"}," \
			 "{\"name\":\"labels\",\"type\":\"string[]\"},{\"name\":\"doc\",\"type\":\"json\"}]}", keys, cursor)

	/* no key for the column: a query key with only the cursor's operator */
	CUR_TABLE("", "{\"column\":\"updated_at\",\"op\":\">=\",\"param\":\"since\"}");
	t = table_at(json, "", NULL, &err, &ok);
	CQ_CHECKF(ok, "%s", err.message);
	if (ok)
	{
		CHECK_S(t->cursor_column, "updated_at");
		CQ_CHECK(t->cursor_op == CQ_OP_GE && t->cursor_format == NULL);
		CHECK_S(t->cursor_param, "since");
		CQ_CHECK(t->nkeys == 2);
		CHECK_S(t->keys[1].column, "updated_at");
		CQ_CHECK(t->keys[1].ops == CQ_OP_GE && t->keys[1].in == CQ_IN_QUERY);
		CQ_CHECK(!t->keys[1].guaranteed && !t->keys[1].required);
		CHECK_S(t->keys[1].op_param[ge], "since");
		CQ_CHECK(t->keys[1].op_format[ge] == NULL);
		CQ_CHECK(cq_table_find_key(t, "updated_at") == &t->keys[1]);
	}
	cq_table_def_free(t);

	/* a key that exists keeps its operators and gains the cursor's */
	CUR_TABLE(",{\"column\":\"updated_at\",\"ops\":[\"=\",\"<\"],\"op_params\":{\"<\":\"before\"}}",
			  "{\"column\":\"updated_at\",\"op\":\">\",\"param\":\"filter\","
			  "\"format\":\"t > \\\"{value}\\\"\"}");
	t = table_at(json, "", NULL, &err, &ok);
	CQ_CHECKF(ok, "%s", err.message);
	if (ok)
	{
		CQ_CHECK(t->nkeys == 2 && t->keys[1].ops == (CQ_OP_EQ | CQ_OP_LT | CQ_OP_GT));
		CHECK_S(t->keys[1].op_param[gt], "filter");
		CHECK_S(t->keys[1].op_format[gt], "t > \"{value}\"");
		CHECK_S(t->keys[1].op_param[__builtin_ctz(CQ_OP_LT)], "before");
		CHECK_S(t->cursor_format, "t > \"{value}\"");
	}
	cq_table_def_free(t);

	/* a key that already sends the operator as the same param: fine */
	CUR_TABLE(",{\"column\":\"updated_at\",\"ops\":[\">=\"],\"op_params\":{\">=\":\"since\"}}",
			  "{\"column\":\"updated_at\",\"op\":\">=\",\"param\":\"since\"}");
	t = table_at(json, "", NULL, &err, &ok);
	CQ_CHECKF(ok && t->nkeys == 2 && t->keys[1].ops == CQ_OP_GE, "%s", err.message);
	cq_table_def_free(t);

#define CUR_BAD(keys, cursor, msg) \
	do { \
		CUR_TABLE(keys, cursor); \
		t = table_at(json, "tables[2]", NULL, &err, &ok); \
		CQ_CHECK(!ok && err.kind == CQ_ERR_CONFIG); \
		CHECK_S(err.message, msg); \
		cq_table_def_free(t); \
	} while (0)

	CUR_BAD("", "\"updated_at\"",
			"tables[2].cursor: must be an object {\"column\": ..., \"op\": \">\" or \">=\", \"param\": ...}");
	CUR_BAD("", "{\"column\":\"updated_at\",\"op\":\">\",\"parm\":\"since\"}",
			"tables[2].cursor.parm: unknown key (did you mean \"param\"?)");
	CUR_BAD("", "{\"op\":\">\",\"param\":\"since\"}", "tables[2].cursor.column: required");
	CUR_BAD("", "{\"column\":\"created_at\",\"op\":\">\",\"param\":\"since\"}",
			"tables[2].cursor.column: \"created_at\" is not a column of the table");
	CUR_BAD("", "{\"column\":\"labels\",\"op\":\">\",\"param\":\"since\"}",
			"tables[2].cursor.column: \"labels\" is not an ordered scalar column (a cursor is a timestamp, date, number or string)");
	CUR_BAD("", "{\"column\":\"doc\",\"op\":\">\",\"param\":\"since\"}",
			"tables[2].cursor.column: \"doc\" is not an ordered scalar column (a cursor is a timestamp, date, number or string)");
	CUR_BAD("", "{\"column\":\"updated_at\",\"param\":\"since\"}",
			"tables[2].cursor.op: required (\">\" or \">=\": how the API compares the column with param)");
	CUR_BAD("", "{\"column\":\"updated_at\",\"op\":\"<\",\"param\":\"since\"}",
			"tables[2].cursor.op: must be \">\" or \">=\" (how the API compares the column with param)");
	CUR_BAD("", "{\"column\":\"updated_at\",\"op\":\">\"}", "tables[2].cursor.param: required");
	CUR_BAD("", "{\"column\":\"updated_at\",\"op\":\">\",\"param\":\"a b\"}",
			"tables[2].cursor.param: \"a b\" is not a valid parameter name");
	CUR_BAD("", "{\"column\":\"updated_at\",\"op\":\">\",\"param\":\"filter\",\"format\":\"t > {val}\"}",
			"tables[2].cursor.format: must hold \"{value}\" exactly once (where the cursor value goes)");
	CUR_BAD("", "{\"column\":\"updated_at\",\"op\":\">\",\"param\":\"filter\",\"format\":\"{value}{value}\"}",
			"tables[2].cursor.format: must hold \"{value}\" exactly once (where the cursor value goes)");
	CUR_BAD(",{\"column\":\"updated_at\",\"ops\":[\">=\"],\"op_params\":{\">=\":\"after\"}}",
			"{\"column\":\"updated_at\",\"op\":\">=\",\"param\":\"since\"}",
			"tables[2].cursor.param: the key of \"updated_at\" sends \">=\" as \"after\", not \"since\"");
	CUR_BAD("", "{\"column\":\"updated_at\",\"op\":\">\",\"param\":\"since\",\"utc_offset\":\"8:00\"}",
			"tables[2].cursor.utc_offset: must be an offset such as \"-08:00\" (+hh:mm or -hh:mm, at most 14 hours)");
	CUR_BAD("", "{\"column\":\"updated_at\",\"op\":\">\",\"param\":\"since\",\"utc_offset\":\"+15:00\"}",
			"tables[2].cursor.utc_offset: must be an offset such as \"-08:00\" (+hh:mm or -hh:mm, at most 14 hours)");
	CUR_BAD("", "{\"column\":\"owner\",\"op\":\">\",\"param\":\"since\",\"utc_offset\":\"+05:30\"}",
			"tables[2].cursor.utc_offset: only for a timestamp column");
#undef CUR_BAD

	CUR_TABLE("", "{\"column\":\"updated_at\",\"op\":\">\",\"param\":\"since\",\"utc_offset\":\"-08:00\"}");
	t = table_at(json, "", NULL, &err, &ok);
	CQ_CHECKF(ok && t->cursor_offset_min == -480, "%s", err.message);
	CHECK_S(t->cursor_utc_offset, "-08:00");
	cq_table_def_free(t);
	CUR_TABLE("", "{\"column\":\"updated_at\",\"op\":\">\",\"param\":\"since\",\"utc_offset\":\"+05:30\"}");
	t = table_at(json, "", NULL, &err, &ok);
	CQ_CHECKF(ok && t->cursor_offset_min == 330, "%s", err.message);
	cq_table_def_free(t);
#undef CUR_TABLE

	/* through the public entry point: a table without cursor has none */
	{
		const char *plain = "{\"name\":\"t\",\"endpoint\":\"/x\",\"columns\":[{\"name\":\"a\",\"type\":\"int\"}]}";

		t = cq_spec_parse_table(plain, strlen(plain), &err);
		CQ_CHECK(t != NULL && t->cursor_column == NULL && t->cursor_op == 0 && t->nkeys == 0);
		cq_table_def_free(t);
	}
}

/* Parse a lone table; return the error message ("" = it parsed). */
static const char *
aws_table_err(const char *json, CqError *err)
{
	CqTableDef *t = cq_spec_parse_table(json, strlen(json), err);

	if (t)
	{
		cq_table_def_free(t);
		return "";
	}
	return err->message;
}

/*
 * The AWS additions: the table-level "aws" object, pagination "more",
 * keys "in": "region"/"account", column paths "^/..." and the
 * key_value_object transform -- what they parse to, and each validation
 * error a generated or hand-written spec can make.
 */
static void
test_aws(void)
{
	CqError		err;
	CqTableDef *t;
	bool		ok;
	const char *ec2 =
		"{\"name\":\"i\",\"endpoint\":\"/\",\"rows\":\"/reservationSet/*/instancesSet\","
		"\"aws\":{\"service\":\"ec2\",\"protocol\":\"ec2\",\"api_version\":\"2016-11-15\","
		"\"action\":\"DescribeInstances\",\"xml_lists\":[\"reservationSet\",\"instancesSet\",\"item\"],"
		"\"body\":{\"Filter.1.Name\":\"x\"}},"
		"\"pagination\":{\"type\":\"next_token\",\"next\":\"/nextToken\",\"next_param\":\"NextToken\","
		"\"page_size_param\":\"MaxResults\",\"page_size\":1000,\"more\":\"/isTruncated\"},"
		"\"keys\":[{\"column\":\"region\",\"in\":\"region\"},{\"column\":\"account_id\",\"in\":\"account\"}],"
		"\"columns\":[{\"name\":\"region\",\"type\":\"string\"},{\"name\":\"account_id\",\"type\":\"string\"},"
		"{\"name\":\"reservation_id\",\"type\":\"string\",\"path\":\"^/reservationId\"},"
		"{\"name\":\"tags\",\"type\":\"json\",\"path\":\"/tagSet\",\"transform\":\"key_value_object\"}]}";
	char		buf[2048];

	t = table_at(ec2, "", NULL, &err, &ok);
	CQ_CHECKF(ok, "%s", err.message);
	CQ_CHECK(t->aws != NULL);
	if (t->aws)
	{
		CHECK_S(t->aws->service, "ec2");
		CHECK_S(t->aws->endpoint_prefix, "ec2");	/* defaults to service */
		CQ_CHECK(t->aws->protocol == CQ_AWS_EC2);
		CHECK_S(t->aws->method, "POST");
		CQ_CHECK(t->aws->nxml_lists == 3);
		CHECK_S(t->aws->xml_lists[1], "instancesSet");
		CQ_CHECK(json_is_object(t->aws->body));
		CQ_CHECK(t->aws->global_region == NULL);
	}
	CHECK_S(t->more, "/isTruncated");
	CQ_CHECK(t->cmore != NULL);
	CQ_CHECK(t->nkeys == 2 && t->keys[0].in == CQ_IN_REGION && t->keys[1].in == CQ_IN_ACCOUNT);
	CHECK_S(t->columns[2].path, "^/reservationId");
	CQ_CHECK(t->columns[2].cpath && cq_path_get(t->columns[2].cpath, NULL) == NULL);
	CQ_CHECK(t->columns[3].transform_kind == CQ_XFORM_KEY_VALUE_OBJECT);
	cq_table_def_free(t);

	/* json: defaults (json_version 1.0, POST) */
	{
		const char *dj = "{\"name\":\"d\",\"endpoint\":\"/\",\"rows\":\"/TableNames\","
							"\"aws\":{\"service\":\"dynamodb\",\"protocol\":\"json\",\"action\":\"ListTables\","
							"\"target_prefix\":\"DynamoDB_20120810\",\"global_region\":\"us-east-1\"},"
							"\"columns\":[{\"name\":\"name\",\"type\":\"string\",\"path\":\"\"}]}";

		t = cq_spec_parse_table(dj, strlen(dj), &err);
	}
	CQ_CHECKF(t != NULL, "%s", err.message);
	if (t)
	{
		CHECK_S(t->aws->json_version, "1.0");
		CHECK_S(t->aws->method, "POST");
		CHECK_S(t->aws->global_region, "us-east-1");
		cq_table_def_free(t);
	}

#define AWS_T(aws, extra) \
	(snprintf(buf, sizeof(buf), "{\"name\":\"t\",\"endpoint\":\"/\",\"rows\":\"/a/*/b\",\"aws\":%s%s," \
			  "\"columns\":[{\"name\":\"region\",\"type\":\"string\"}]}", aws, extra), buf)
#define AWS_ERR(aws, extra, want) \
	do { \
		const char *m_ = aws_table_err(AWS_T(aws, extra), &err); \
		CQ_CHECKF(strcmp(m_, want) == 0, "got \"%s\" want \"%s\"", m_, want); \
	} while (0)

	AWS_ERR("{\"service\":\"ec2\",\"protocol\":\"ec2\",\"action\":\"A\",\"api_version\":\"1\"}", "", "");
	AWS_ERR("{\"service\":\"ec2\",\"protocol\":\"soap\"}", "",
			"aws.protocol: unknown AWS protocol \"soap\" (known: ec2, query, json, rest-json, rest-xml)");
	AWS_ERR("{\"protocol\":\"rest-json\"}", "", "aws.service: required");
	AWS_ERR("{\"service\":\"EC2\",\"protocol\":\"rest-json\"}", "",
			"aws.service: \"EC2\" is not an AWS signing name (lower-case letters, digits, '-', '.')");
	AWS_ERR("{\"service\":\"s3\",\"endpoint_prefix\":\"evil.com/x\",\"protocol\":\"rest-xml\"}", "",
			"aws.endpoint_prefix: \"evil.com/x\" is not a host name part (lower-case letters, digits, '-', '.')");
	AWS_ERR("{\"service\":\"ec2\",\"protocol\":\"ec2\",\"api_version\":\"1\"}", "",
			"aws.action: required for the ec2 protocol (the operation, e.g. \"DescribeInstances\")");
	AWS_ERR("{\"service\":\"iam\",\"protocol\":\"query\",\"action\":\"ListUsers\"}", "",
			"aws.api_version: required for the query protocol (sent as Version=)");
	AWS_ERR("{\"service\":\"dynamodb\",\"protocol\":\"json\",\"action\":\"ListTables\"}", "",
			"aws.target_prefix: required for the json protocol (X-Amz-Target is <target_prefix>.<action>)");
	AWS_ERR("{\"service\":\"d\",\"protocol\":\"json\",\"action\":\"L\",\"target_prefix\":\"P\",\"json_version\":\"2.0\"}", "",
			"aws.json_version: must be \"1.0\" or \"1.1\"");
	AWS_ERR("{\"service\":\"lambda\",\"protocol\":\"rest-json\",\"target_prefix\":\"P\"}", "",
			"aws.target_prefix: only the json protocol uses it");
	AWS_ERR("{\"service\":\"ec2\",\"protocol\":\"ec2\",\"action\":\"A\",\"api_version\":\"1\",\"method\":\"GET\"}", "",
			"aws.method: the ec2 protocol always POSTs; only rest-json and rest-xml take a method");
	AWS_ERR("{\"service\":\"lambda\",\"protocol\":\"rest-json\",\"method\":\"DELETE\"}", "",
			"aws.method: \"DELETE\" is not GET or POST (a listing does not change anything)");
	AWS_ERR("{\"service\":\"lambda\",\"protocol\":\"rest-json\",\"xml_lists\":[\"item\"]}", "",
			"aws.xml_lists: the rest-json protocol replies in JSON");
	AWS_ERR("{\"service\":\"s3\",\"protocol\":\"rest-xml\",\"xml_lists\":[\"Bucket\",\"Bucket\"]}", "",
			"aws.xml_lists[1]: duplicate \"Bucket\"");
	AWS_ERR("{\"service\":\"s3\",\"protocol\":\"rest-xml\",\"body\":{\"a\":1}}", "",
			"aws.body: only the ec2, query and json protocols send a body");
	AWS_ERR("{\"service\":\"ec2\",\"protocol\":\"ec2\",\"action\":\"A\",\"api_version\":\"1\",\"body\":{\"F\":[1]}}", "",
			"aws.body.F: a form field is a string, number or boolean");
	AWS_ERR("{\"service\":\"s3\",\"protocol\":\"rest-xml\",\"global_region\":\"us east\"}", "",
			"aws.global_region: \"us east\" is not a region name");
	AWS_ERR("{\"service\":\"s3\",\"protocol\":\"rest-xml\",\"sevice\":\"x\"}", "",
			"aws.sevice: unknown key (did you mean \"service\"?)");
	/* pagination.more */
	AWS_ERR("{\"service\":\"s3\",\"protocol\":\"rest-xml\"}", ",\"pagination\":{\"type\":\"page_number\",\"next_param\":\"p\",\"more\":\"/m\"}",
			"pagination.more: only next_url and next_token pagination use it");
	AWS_ERR("{\"service\":\"s3\",\"protocol\":\"rest-xml\"}", ",\"pagination\":{\"type\":\"next_token\",\"next\":\"/n\",\"next_param\":\"p\",\"more\":\"/a/*\"}",
			"pagination.more: must not contain a \"*\" segment");
	/* aws.describe (list-then-get) */
	AWS_ERR("{\"service\":\"ecs\",\"protocol\":\"json\",\"action\":\"L\",\"target_prefix\":\"P\","
			"\"describe\":{\"action\":\"D\",\"param\":\"ids\",\"batch\":100,\"rows\":\"/x\"}}", "", "");
	AWS_ERR("{\"service\":\"ecs\",\"protocol\":\"json\",\"action\":\"L\",\"target_prefix\":\"P\","
			"\"describe\":{\"action\":\"D\",\"param\":\"ids\",\"batch\":1001,\"rows\":\"/x\"}}", "",
			"aws.describe.batch: must be an integer between 1 and 1000");
	AWS_ERR("{\"service\":\"ecs\",\"protocol\":\"json\",\"action\":\"L\",\"target_prefix\":\"P\","
			"\"describe\":{\"action\":\"D\",\"param\":\"ids\"}}", "",
			"aws.describe.rows: required (a JSON pointer to the described objects in the reply)");
	AWS_ERR("{\"service\":\"ecs\",\"protocol\":\"json\",\"action\":\"L\",\"target_prefix\":\"P\","
			"\"describe\":{\"action\":\"D\",\"param\":\"ids\",\"rows\":\"/x\",\"endpoint\":\"/d\"}}", "",
			"aws.describe.endpoint: the json protocol POSTs to \"/\": only rest-json takes an endpoint");
	AWS_ERR("{\"service\":\"eks\",\"protocol\":\"rest-json\","
			"\"describe\":{\"action\":\"D\",\"param\":\"name\",\"rows\":\"/c\",\"endpoint\":\"/clusters\"}}", "",
			"aws.describe.endpoint: must hold {name} (where each identifier goes)");
	AWS_ERR("{\"service\":\"eks\",\"protocol\":\"rest-json\","
			"\"describe\":{\"action\":\"D\",\"param\":\"name\",\"rows\":\"/c\",\"batch\":2,\"endpoint\":\"/c/{name}\"}}", "",
			"aws.describe.batch: a rest-json describe takes one identifier per call: batch must be 1");
	AWS_ERR("{\"service\":\"eks\",\"protocol\":\"rest-json\","
			"\"describe\":{\"action\":\"D\",\"param\":\"name\",\"rows\":\"/c\",\"endpoint\":\"/c/{other}/{name}\"}}", "",
			"aws.describe.endpoint: placeholder {other} is neither describe.param nor the param of an \"in\": \"path\" key");
	AWS_ERR("{\"service\":\"iam\",\"protocol\":\"query\",\"action\":\"L\",\"api_version\":\"1\","
			"\"describe\":{\"action\":\"D\",\"param\":\"n\",\"rows\":\"/c\"}}", "",
			"aws.describe: list-then-get is implemented for the json and rest-json protocols (ECS, EKS), not query");
	AWS_ERR("{\"service\":\"ecs\",\"protocol\":\"json\",\"action\":\"L\",\"target_prefix\":\"P\","
			"\"describe\":{\"action\":\"D\",\"param\":\"ids\",\"rows\":\"/x\",\"body\":{\"ids\":[]}}}", "",
			"aws.describe.body: must be an object of constant members, without \"ids\" (the identifiers)");
	AWS_ERR("{\"service\":\"eks\",\"protocol\":\"rest-json\","
			"\"describe\":{\"action\":\"D\",\"param\":\"name\",\"rows\":\"/c\",\"endpoint\":\"/c/{name}\",\"body\":{}}}", "",
			"aws.describe.body: only the json protocol sends a body");
	/* parent.aws: the parent listing is another operation */
	AWS_ERR("{\"service\":\"iam\",\"protocol\":\"query\",\"action\":\"L\",\"api_version\":\"1\"}",
			",\"keys\":[{\"column\":\"region\",\"param\":\"U\",\"required\":true,\"from_parent\":true}],"
			"\"parent\":{\"endpoint\":\"/\",\"rows\":\"/R/Users\",\"map\":{\"U\":\"/UserName\"},"
			"\"pagination\":{\"type\":\"next_token\",\"next\":\"/R/Marker\",\"next_param\":\"Marker\",\"more\":\"/R/IsTruncated\"},"
			"\"aws\":{\"action\":\"ListUsers\",\"xml_lists\":[\"Users\"]}}", "");
	AWS_ERR("{\"service\":\"iam\",\"protocol\":\"query\",\"action\":\"L\",\"api_version\":\"1\"}",
			",\"keys\":[{\"column\":\"region\",\"param\":\"U\",\"from_parent\":true}],"
			"\"parent\":{\"endpoint\":\"/\",\"map\":{\"U\":\"/UserName\"},\"aws\":{\"action\":\"ListUsers\",\"method\":\"GET\"}}",
			"parent.aws.method: the query protocol always POSTs; only rest-json and rest-xml take a method");
	AWS_ERR("{\"service\":\"iam\",\"protocol\":\"query\",\"action\":\"L\",\"api_version\":\"1\"}",
			",\"keys\":[{\"column\":\"region\",\"param\":\"U\",\"from_parent\":true}],"
			"\"parent\":{\"endpoint\":\"/\",\"map\":{\"U\":\"/UserName\"},\"aws\":{}}",
			"parent.aws.action: required");
	AWS_ERR("{\"service\":\"iam\",\"protocol\":\"query\",\"action\":\"L\",\"api_version\":\"1\"}",
			",\"keys\":[{\"column\":\"region\",\"param\":\"U\",\"from_parent\":true}],"
			"\"parent\":{\"endpoint\":\"/\",\"map\":{\"U\":\"/UserName\"},\"aws\":{\"action\":\"List Users\"}}",
			"parent.aws.action: \"List Users\" is not an operation name");
	AWS_ERR("{\"service\":\"lambda\",\"protocol\":\"rest-json\"}",
			",\"keys\":[{\"column\":\"region\",\"param\":\"U\",\"from_parent\":true}],"
			"\"parent\":{\"endpoint\":\"/\",\"map\":{\"U\":\"/UserName\"},\"aws\":{\"action\":\"L\",\"method\":\"PUT\"}}",
			"parent.aws.method: \"PUT\" is not GET or POST");
	/* the action and method checks that aws, parent.aws and aws.describe share */
	AWS_ERR("{\"service\":\"ec2\",\"protocol\":\"ec2\",\"action\":\"A;B\",\"api_version\":\"1\"}", "",
			"aws.action: \"A;B\" is not an operation name");
	AWS_ERR("{\"service\":\"ecs\",\"protocol\":\"json\",\"action\":\"L\",\"target_prefix\":\"P\","
			"\"describe\":{\"action\":\"D/x\",\"param\":\"ids\",\"rows\":\"/x\"}}", "",
			"aws.describe.action: \"D/x\" is not an operation name");
	AWS_ERR("{\"service\":\"ecs\",\"protocol\":\"json\",\"action\":\"L\",\"target_prefix\":\"P\","
			"\"describe\":{\"action\":\"D\",\"param\":\"ids\",\"rows\":\"/x\",\"method\":\"GET\"}}", "",
			"aws.describe.method: the json protocol always POSTs; only rest-json takes a method");
	AWS_ERR("{\"service\":\"eks\",\"protocol\":\"rest-json\","
			"\"describe\":{\"action\":\"D\",\"param\":\"name\",\"rows\":\"/c\",\"endpoint\":\"/c/{name}\",\"method\":\"DELETE\"}}", "",
			"aws.describe.method: \"DELETE\" is not GET or POST");
	CQ_CHECK_STR(aws_table_err("{\"name\":\"t\",\"endpoint\":\"/x/{id}\",\"keys\":[{\"column\":\"id\",\"from_parent\":true}],"
							   "\"parent\":{\"endpoint\":\"/p\",\"map\":{\"id\":\"/id\"},\"aws\":{\"action\":\"P\"}},"
							   "\"columns\":[{\"name\":\"id\",\"type\":\"int\"}]}", &err),
				 "parent.aws: only a table with \"aws\" has a parent of another AWS operation");
	/* region / account keys */
	AWS_ERR("{\"service\":\"s3\",\"protocol\":\"rest-xml\"}", ",\"keys\":[{\"column\":\"region\",\"in\":\"region\",\"ops\":[\"=\",\"<\"],\"op_params\":{\"<\":\"x\"}}]",
			"keys[0].ops: a key with \"in\": \"region\" takes only \"=\" (one request per value)");
	AWS_ERR("{\"service\":\"s3\",\"protocol\":\"rest-xml\"}", ",\"keys\":[{\"column\":\"region\",\"in\":\"region\"},{\"column\":\"region\",\"param\":\"r2\",\"in\":\"region\"}]",
			"keys[1].column: duplicate key column \"region\" (also keys[0])");
	AWS_ERR("{\"service\":\"s3\",\"protocol\":\"rest-xml\"}", ",\"keys\":[{\"column\":\"region\",\"in\":\"regions\"}]",
			"keys[0].in: unknown location \"regions\" (known: path, query, region, account, context)");
	CQ_CHECK_STR(aws_table_err("{\"name\":\"t\",\"endpoint\":\"/\",\"keys\":[{\"column\":\"region\",\"in\":\"region\"}],"
							   "\"columns\":[{\"name\":\"region\",\"type\":\"string\"}]}", &err),
				 "keys[0].in: \"region\" is for tables of an AWS API (the table has no \"aws\" object)");
	CQ_CHECK_STR(aws_table_err("{\"name\":\"t\",\"endpoint\":\"/\",\"keys\":[{\"column\":\"a\",\"in\":\"account\"}],"
							   "\"columns\":[{\"name\":\"a\",\"type\":\"string\"}]}", &err),
				 "");	/* an account key: any SigV4 table (a rest table's key 'account') */
	/* ^ paths and key_value_object */
	CQ_CHECK_STR(aws_table_err("{\"name\":\"t\",\"endpoint\":\"/\",\"rows\":\"/items\","
							   "\"columns\":[{\"name\":\"r\",\"type\":\"string\",\"path\":\"^/reservationId\"}]}", &err),
				 "columns[0].path: \"^/reservationId\" reads 1 level up from the row, but rows has fewer \"*\" segments (\"^\" is what the last \"*\" of rows matched)");
	CQ_CHECK_STR(aws_table_err("{\"name\":\"t\",\"endpoint\":\"/\",\"rows\":\"/a/*/b\","
							   "\"columns\":[{\"name\":\"r\",\"type\":\"string\",\"path\":\"^x\"}]}", &err),
				 "columns[0].path: invalid JSON pointer: must be empty or start with \"/\"");
	CQ_CHECK_STR(aws_table_err("{\"name\":\"t\",\"endpoint\":\"/\","
							   "\"columns\":[{\"name\":\"tags\",\"type\":\"string\",\"transform\":\"key_value_object\"}]}", &err),
				 "columns[0].transform: key_value_object builds an object: the column's type must be json");
	/* a source whose auth is not sigv4 cannot hold an aws table */
	{
		const char *src = "{\"name\":\"s\",\"base_url\":\"http://x\",\"tables\":[{\"name\":\"t\",\"endpoint\":\"/\","
			"\"aws\":{\"service\":\"s3\",\"protocol\":\"rest-xml\"},\"columns\":[{\"name\":\"a\",\"type\":\"string\"}]}]}";
		CqSourceDef *d = cq_spec_parse(src, strlen(src), &err);

		CQ_CHECK(d == NULL);
		CHECK_S(err.message, "tables[0].aws: a table of an AWS API needs a source with \"auth\": \"sigv4\"");
		cq_source_def_free(d);
	}
#undef AWS_T
#undef AWS_ERR
}

/* Column paths of child tables: '^' needs "*" in rows; "$column" lookups. */
static void
test_child_paths(void)
{
	CqError		err;
	CqTableDef *t;
	const char *good =
		"{\"name\":\"c\",\"endpoint\":\"/pods\",\"rows\":\"/items/*/spec/containers\","
		"\"columns\":[{\"name\":\"pod\",\"type\":\"string\",\"path\":\"^/metadata/name\"},"
		"{\"name\":\"name\",\"type\":\"string\"},"
		"{\"name\":\"ready\",\"type\":\"bool\",\"path\":\"^/status/cs[name=$name]/ready\"}]}";
	const char *bad[][2] = {
		{"{\"name\":\"c\",\"endpoint\":\"/p\",\"rows\":\"/items\",\"columns\":["
		 "{\"name\":\"pod\",\"type\":\"string\",\"path\":\"^/metadata/name\"}]}",
		 "columns[0].path: \"^/metadata/name\" reads 1 level up from the row, but rows has fewer \"*\" segments"},
		{"{\"name\":\"c\",\"endpoint\":\"/p\",\"rows\":\"/items/*/c\",\"get_endpoint\":\"/p/{n}\","
		 "\"get_rows\":\"/c\",\"keys\":[{\"column\":\"n\"}],\"columns\":[{\"name\":\"n\",\"type\":\"string\"},"
		 "{\"name\":\"pod\",\"type\":\"string\",\"path\":\"^/metadata/name\"}]}",
		 "but get_rows has fewer"},
		{"{\"name\":\"c\",\"endpoint\":\"/p\",\"columns\":["
		 "{\"name\":\"r\",\"type\":\"bool\",\"path\":\"/cs[name=$nope]/ready\"}]}",
		 "columns[0].path: lookup \"$nope\" is not a column of the table"},
		{"{\"name\":\"c\",\"endpoint\":\"/p\",\"columns\":["
		 "{\"name\":\"r\",\"type\":\"bool\",\"path\":\"/cs[name=$r]/ready\"}]}",
		 "refers to a column whose path has a lookup"},
		{"{\"name\":\"c\",\"endpoint\":\"/p\",\"columns\":["
		 "{\"name\":\"n\",\"type\":\"string[]\",\"path\":\"/a/*\"},"
		 "{\"name\":\"r\",\"type\":\"bool\",\"path\":\"/cs[name=$n]/ready\"}]}",
		 "a lookup or a \"*\""},
		{"{\"name\":\"c\",\"endpoint\":\"/p\",\"rows\":\"^/items\",\"columns\":["
		 "{\"name\":\"n\",\"type\":\"string\"}]}",
		 "rows: invalid JSON pointer"},
	};

	t = cq_spec_parse_table(good, strlen(good), &err);
	CQ_CHECKF(t != NULL, "%s", err.message);
	if (t)
		CQ_CHECK(t->columns[2].nvar_cols == 1 && t->columns[2].var_cols[0] == 1 &&
				 t->columns[0].nvar_cols == 0);
	cq_table_def_free(t);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
	{
		t = cq_spec_parse_table(bad[i][0], strlen(bad[i][0]), &err);
		CQ_CHECKF(t == NULL && strstr(err.message, bad[i][1]) != NULL, "case %zu: %s", i, err.message);
		cq_table_def_free(t);
	}
}

void
suite_spec_table(void)
{
	test_child_paths();
	test_table_direct();
	test_origin();
	test_cursor();
	test_keys_and_parent();
	test_transforms();
	test_aws();
}
