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
		   "page_size_param, page_size)");
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

void
suite_spec_table(void)
{
	test_table_direct();
	test_origin();
	test_cursor();
	test_keys_and_parent();
	test_transforms();
}
