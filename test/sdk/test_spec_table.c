/*
 * test_spec_table.c -- suite `spec_table`: src/sdk/spec_table.c, one table
 * object (columns and their transforms, pagination, parent, keys, primary
 * key) and the cross-checks between them, through cqp_spec_table_parse
 * directly (location prefix, the source's server_options, what a failed
 * parse leaves for the caller to free) and through cq_spec_parse_table.
 */
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
	test_keys_and_parent();
	test_transforms();
}
