/*
 * test_spec.c -- suite `spec`: src/sdk/spec.c, the entry points (parsing
 * and validating whole documents, one table, spec files), the source
 * object, freeing, and the plugin checks that need no dlopen
 * (test/plugin/run.sh covers loading real shared objects).  The other spec
 * files have their own suites: spec_field, spec_table, spec_lookup.
 *
 * Every validation error is checked with its exact message: the message is
 * what a spec author reads, so a change to it is a user-visible change.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cq_sdk.h"
#include "cq_sdk_int.h"
#include "cqtest.h"
#include "spectest.h"

void		suite_spec(void);

/* A GitHub-like spec exercising every feature. */
const char *const cqt_full_spec =
"{\n"
"  \"name\": \"github\", \"version\": \"1.2.3\", \"description\": \"GitHub\\nREST\",\n"
"  \"base_url\": \"https://api.github.com\", \"auth\": \"bearer\",\n"
"  \"headers\": [\"Accept: application/vnd.github+json\"],\n"
"  \"ratelimit\": {\"remaining\": \"x-ratelimit-remaining\", \"reset\": \"x-ratelimit-reset\"},\n"
"  \"server_options\": [\"projects\"],\n"
"  \"_generated_by\": \"an annotation, ignored\",\n"
"  \"tables\": [\n"
"    {\"name\": \"github_issues\", \"description\": \"Issues.\",\n"
"     \"endpoint\": \"/repos/{owner}/{repo}/issues?state=all\",\n"
"     \"get_endpoint\": \"/repos/{owner}/{repo}/issues/{number}\",\n"
"     \"pagination\": {\"type\": \"link_header\", \"page_size_param\": \"per_page\", \"page_size\": 100},\n"
"     \"keys\": [\n"
"       {\"column\": \"owner\", \"required\": true, \"guaranteed\": true, \"from_parent\": true},\n"
"       {\"column\": \"repo\", \"from_parent\": true},\n"
"       {\"column\": \"org\"},\n"
"       {\"column\": \"number\"},\n"
"       {\"column\": \"state\", \"ops\": [\"=\"]},\n"
"       {\"column\": \"updated_at\", \"ops\": [\"=\", \">=\", \"like\"],\n"
"        \"op_params\": {\">=\": \"since\", \"like\": \"q\"}}\n"
"     ],\n"
"     \"parent\": {\"endpoint\": \"/orgs/{org}/repos\", \"rows\": \"\",\n"
"        \"pagination\": {\"type\": \"link_header\", \"page_size_param\": \"per_page\", \"page_size\": 100},\n"
"        \"map\": {\"owner\": \"/owner/login\", \"repo\": \"/name\"}},\n"
"     \"primary_key\": [\"id\"], \"row_estimate\": 250, \"supports_limit\": true,\n"
"     \"columns\": [\n"
"       {\"name\": \"id\", \"type\": \"int\", \"description\": \"Issue id.\"},\n"
"       {\"name\": \"owner\", \"type\": \"string\"},\n"
"       {\"name\": \"repo\", \"type\": \"string\"},\n"
"       {\"name\": \"org\", \"type\": \"string\"},\n"
"       {\"name\": \"number\", \"type\": \"int\"},\n"
"       {\"name\": \"state\", \"type\": \"string\"},\n"
"       {\"name\": \"updated_at\", \"type\": \"timestamp\"},\n"
"       {\"name\": \"labels\", \"type\": \"string[]\", \"path\": \"/labels/*/name\"},\n"
"       {\"name\": \"raw_labels\", \"type\": \"json\", \"path\": \"/labels/*\"}\n"
"     ]},\n"
"    {\"name\": \"gcp_instances\",\n"
"     \"endpoint\": \"/projects/{project}/aggregated/instances\", \"rows\": \"/items/*/instances\",\n"
"     \"get_endpoint\": \"/projects/{project}/zones/{zone}/instances\", \"get_rows\": \"/items\",\n"
"     \"pagination\": {\"type\": \"next_token\", \"next\": \"/nextPageToken\", \"next_param\": \"pageToken\",\n"
"                    \"page_size_param\": \"maxResults\", \"total\": \"/total\"},\n"
"     \"keys\": [{\"column\": \"project\", \"required\": true, \"server_option\": \"projects\"},\n"
"              {\"column\": \"zone\"},\n"
"              {\"column\": \"filter\", \"required\": true}],\n"
"     \"columns\": [{\"name\": \"project\", \"type\": \"string\"}, {\"name\": \"zone\", \"type\": \"string\"},\n"
"                 {\"name\": \"filter\", \"type\": \"string\"},\n"
"                 {\"name\": \"ip\", \"type\": \"inet[]\", \"path\": \"/networkInterfaces/*/networkIP\"}]}\n"
"  ]\n"
"}\n";

static CqSourceDef *
parse(const char *s, CqError *err)
{
	return cq_spec_parse(s, strlen(s), err);
}

static void
test_minimal(void)
{
	CqError		err;
	const char *s = "{\"name\":\"s\",\"tables\":[{\"name\":\"t\",\"endpoint\":\"/x\","
		"\"columns\":[{\"name\":\"id\",\"type\":\"int\"}]}]}";
	CqSourceDef *d = parse(s, &err);
	const CqTableDef *t;

	CQ_CHECKF(d != NULL, "%s", err.message);
	if (!d)
		return;
	CHECK_S(d->name, "s");
	CHECK_S(d->kind, "spec");
	CQ_CHECK(d->auth == CQ_AUTH_NONE);
	CQ_CHECK(d->base_url == NULL && d->version == NULL);
	CQ_CHECK(d->ntables == 1);
	t = &d->tables[0];
	CHECK_S(t->rows, "");
	CQ_CHECK(t->crows != NULL);
	CHECK_S(t->get_rows, "");
	CQ_CHECK(t->cget_rows != NULL);
	CQ_CHECK(t->cnext == NULL && t->next == NULL);
	CQ_CHECK(t->pagination == CQ_PAGE_NONE);
	CQ_CHECK(t->row_estimate == 1000.0);
	CQ_CHECK(t->nkeys == 0 && t->parent == NULL && t->npk == 0);
	CQ_CHECK(t->ncolumns == 1);
	CHECK_S(t->columns[0].path, "/id");
	CQ_CHECK(t->columns[0].cpath != NULL);
	CQ_CHECK(t->columns[0].type.base == CQ_T_INT && !t->columns[0].type.is_array);
	CQ_CHECK(cq_table_missing_keys(t, 0, NULL, NULL, 0) == 0);
	cq_source_def_free(d);
}

static void
test_full(void)
{
	CqError		err;
	CqSourceDef *d = parse(cqt_full_spec, &err);
	const CqTableDef *t;
	const CqKeyDef *k;

	CQ_CHECKF(d != NULL, "%s", err.message);
	if (!d)
		return;
	CHECK_S(d->version, "1.2.3");
	CHECK_S(d->description, "GitHub\nREST");
	CQ_CHECK(d->auth == CQ_AUTH_BEARER);
	CQ_CHECK(d->nheaders == 1);
	CHECK_S(d->headers[0], "Accept: application/vnd.github+json");
	CHECK_S(d->ratelimit_remaining_header, "x-ratelimit-remaining");
	CHECK_S(d->ratelimit_reset_header, "x-ratelimit-reset");
	CQ_CHECK(d->nserver_options == 1);
	CQ_CHECK(d->ntables == 2);

	t = cq_source_find_table(d, "github_issues");
	CQ_CHECK(t == &d->tables[0]);
	CQ_CHECK(cq_source_find_table(d, "nope") == NULL);
	if (!t)
		goto out;
	CQ_CHECK(t->pagination == CQ_PAGE_LINK_HEADER);
	CHECK_S(t->page_size_param, "per_page");
	CQ_CHECK(t->page_size == 100);
	CQ_CHECK(t->row_estimate == 250.0);
	CQ_CHECK(t->supports_limit);
	CQ_CHECK(t->npk == 1);
	CHECK_S(t->pk[0], "id");
	CQ_CHECK(cq_table_find_column(t, "labels") == 7);
	CQ_CHECK(cq_table_find_column(t, "nope") == -1);
	CQ_CHECK(cq_path_has_wildcard(t->columns[7].cpath));
	CQ_CHECK(t->columns[7].type.is_array && t->columns[7].type.base == CQ_T_STRING);
	CHECK_S(t->columns[0].description, "Issue id.");

	k = cq_table_find_key(t, "owner");
	CQ_CHECK(k != NULL && k->in == CQ_IN_PATH && k->required && k->guaranteed &&
			 k->from_parent && k->ops == CQ_OP_EQ);
	CQ_CHECK(k && strcmp(k->param, "owner") == 0);
	k = cq_table_find_key(t, "state");
	CQ_CHECK(k != NULL && k->in == CQ_IN_QUERY && !k->required);
	k = cq_table_find_key(t, "number");
	CQ_CHECK(k != NULL && k->in == CQ_IN_PATH);	/* placeholder of get_endpoint */
	k = cq_table_find_key(t, "org");
	CQ_CHECK(k != NULL && k->in == CQ_IN_PATH);	/* placeholder of parent */
	k = cq_table_find_key(t, "updated_at");
	CQ_CHECK(k != NULL && k->ops == (CQ_OP_EQ | CQ_OP_GE | CQ_OP_LIKE));
	CQ_CHECK(k && k->op_param[4] && strcmp(k->op_param[4], "since") == 0);
	CQ_CHECK(k && k->op_param[5] && strcmp(k->op_param[5], "q") == 0);
	CQ_CHECK(k && k->op_param[0] == NULL && k->op_param[1] == NULL);
	CQ_CHECK(cq_table_find_key(t, "id") == NULL);

	CQ_CHECK(t->parent != NULL);
	if (t->parent)
	{
		CHECK_S(t->parent->endpoint, "/orgs/{org}/repos");
		CQ_CHECK(t->parent->pagination == CQ_PAGE_LINK_HEADER);
		CHECK_S(t->parent->page_size_param, "per_page");
		CQ_CHECK(t->parent->page_size == 100);
		CQ_CHECK(t->parent->nmap == 2);
		CHECK_S(t->parent->map_param[0], "owner");
		CHECK_S(t->parent->map_path[0], "/owner/login");
		CHECK_S(t->parent->map_param[1], "repo");
	}

	t = &d->tables[1];
	CQ_CHECK(t->pagination == CQ_PAGE_NEXT_TOKEN);
	CHECK_S(t->next, "/nextPageToken");
	CQ_CHECK(t->cnext != NULL);
	CHECK_S(t->next_param, "pageToken");
	CHECK_S(t->total, "/total");
	CHECK_S(t->get_rows, "/items");
	CQ_CHECK(cq_path_has_wildcard(t->crows) && !cq_path_has_wildcard(t->cget_rows));
	k = cq_table_find_key(t, "project");
	CQ_CHECK(k && k->server_option && strcmp(k->server_option, "projects") == 0);
	CQ_CHECK(t->columns[3].type.base == CQ_T_INET && t->columns[3].type.is_array);
out:
	cq_source_def_free(d);
}

/* Each case: spec text, then the exact error message. */
typedef struct ErrCase
{
	const char *json;
	const char *message;
	CqErrorKind kind;
} ErrCase;

#define SRC(tables) "{\"name\":\"s\",\"tables\":[" tables "]}"
#define COLS "\"columns\":[{\"name\":\"id\",\"type\":\"int\"}]"
#define T1 "{\"name\":\"t\",\"endpoint\":\"/x\"," COLS "}"

static const ErrCase err_cases[] = {
	{SRC(T1 "," T1 "," T1 ",{\"name\":\"u\",\"endpoint\":\"/x\",\"columns\":[{\"name\":\"a\",\"type\":\"int\"},"
		 "{\"name\":\"b\",\"type\":\"int\"},{\"name\":\"c\",\"type\":\"inett\"}]}"),
		"tables[3].columns[2].type: unknown type \"inett\" (known types: bool, int, uint, float, numeric, "
		"string, bytes, uuid, timestamp, date, interval, json, inet, cidr, macaddr, each optionally with [])",
	CQ_ERR_CONFIG},
	{SRC(T1 "," T1), "tables[1].name: duplicate table \"t\" (also tables[0])", CQ_ERR_CONFIG},
	{SRC("{\"name\":\"u\",\"endpoint\":\"/x\",\"columns\":[{\"name\":\"a\",\"type\":\"int\"},"
		 "{\"name\":\"b\",\"type\":\"int\"},{\"name\":\"c\",\"type\":\"inett\"}]}"),
		"tables[0].columns[2].type: unknown type \"inett\" (known types: bool, int, uint, float, numeric, "
		"string, bytes, uuid, timestamp, date, interval, json, inet, cidr, macaddr, each optionally with [])",
	CQ_ERR_CONFIG},
	{SRC("{\"name\":\"t\",\"endpoint\":\"/repos/{owner}/{repo}\",\"keys\":[{\"column\":\"owner\"}],"
		 "\"columns\":[{\"name\":\"owner\",\"type\":\"string\"}]}"),
		"tables[0].endpoint: placeholder {repo} is not a key parameter", CQ_ERR_CONFIG},
	{SRC(T1 ",{\"name\":\"u\",\"endpoint\":\"/x\",\"pagnation\":{\"type\":\"none\"}," COLS "}"),
		"tables[1].pagnation: unknown key (did you mean \"pagination\"?)", CQ_ERR_CONFIG},
	{"{\"name\":\"s\",\"tabels\":[]}", "tabels: unknown key (did you mean \"tables\"?)", CQ_ERR_CONFIG},
	{SRC("{\"name\":\"t\",\"endpoint\":\"/x\",\"columns\":[{\"name\":\"id\",\"type\":\"int\",\"pth\":\"/a\"}]}"),
		"tables[0].columns[0].pth: unknown key (did you mean \"path\"?)", CQ_ERR_CONFIG},
	{SRC("{\"name\":\"t\",\"endpoint\":\"/x\",\"zzzzzzzzzz\":1," COLS "}"),
		"tables[0].zzzzzzzzzz: unknown key (known keys: name, description, endpoint, get_endpoint, get_rows, "
		"rows, pagination, keys, parent, primary_key, row_estimate, supports_limit, columns, origin, cursor, aws, hydrate, method, body)", CQ_ERR_CONFIG},
	{SRC("{\"name\":\"t\",\"endpoint\":\"/x\",\"columns\":[{\"name\":\"id\",\"type\":\"int\"},"
		 "{\"name\":\"id\",\"type\":\"string\"}]}"),
		"tables[0].columns[1].name: duplicate column \"id\" (also columns[0])", CQ_ERR_CONFIG},
	{SRC("{\"name\":\"t\",\"endpoint\":\"/x\",\"columns\":[{\"name\":\"labels\",\"type\":\"string\","
		 "\"path\":\"/labels/*/name\"}]}"),
		"tables[0].columns[0].path: \"/labels/*/name\" has a \"*\" segment (many values) but type string "
		"is a scalar: use string[] or json", CQ_ERR_CONFIG},
	{"{\"tables\":[" T1 "]}", "name: required", CQ_ERR_CONFIG},
	{"{\"name\":\"s\"}", "tables: required", CQ_ERR_CONFIG},
	{"{\"name\":\"s\",\"tables\":[]}", "tables: a source needs at least one table", CQ_ERR_CONFIG},
	{"[1,2]", "spec: must be an object", CQ_ERR_CONFIG},
	{"{\"name\":\"Bad Name\",\"tables\":[" T1 "]}",
		"name: \"Bad Name\" is not a lower_snake_case identifier of at most 63 bytes", CQ_ERR_CONFIG},
	{SRC("{\"name\":\"t\"," COLS "}"), "tables[0].endpoint: required", CQ_ERR_CONFIG},
	{SRC("{\"name\":\"t\",\"endpoint\":\"/x\"}"), "tables[0].columns: required", CQ_ERR_CONFIG},
	{SRC("{\"name\":\"t\",\"endpoint\":\"/x\",\"columns\":[]}"),
		"tables[0].columns: a table needs at least one column", CQ_ERR_CONFIG},
	{SRC("{\"name\":\"t\",\"endpoint\":\"/x\",\"columns\":[{\"name\":\"id\"}]}"),
		"tables[0].columns[0].type: required", CQ_ERR_CONFIG},
	{SRC("{\"name\":\"t\",\"endpoint\":\"x\"," COLS "}"),
		"tables[0].endpoint: must start with \"/\" (relative to base_url) or be an http(s) URL", CQ_ERR_CONFIG},
	{SRC("{\"name\":\"t\",\"endpoint\":\"/x/{a\"," COLS "}"),
		"tables[0].endpoint: malformed placeholder: use {name} with letters, digits, _ . - [ ] $", CQ_ERR_CONFIG},
	{SRC("{\"name\":\"t\",\"endpoint\":\"/x\",\"primary_key\":[\"nope\"]," COLS "}"),
		"tables[0].primary_key[0]: \"nope\" is not a column of the table", CQ_ERR_CONFIG},
	{SRC("{\"name\":\"t\",\"endpoint\":\"/x\",\"pagination\":{\"type\":\"next_token\",\"next_param\":\"p\"}," COLS "}"),
		"tables[0].pagination.next: required for next_token pagination (a JSON pointer to the next token in the body)",
	CQ_ERR_CONFIG},
	{SRC("{\"name\":\"t\",\"endpoint\":\"/x\",\"pagination\":{\"type\":\"next_token\",\"next\":\"/n\"}," COLS "}"),
		"tables[0].pagination.next_param: required for next_token pagination (the query parameter to send)",
	CQ_ERR_CONFIG},
	{SRC("{\"name\":\"t\",\"endpoint\":\"/x\",\"pagination\":{\"type\":\"link_header\",\"next\":\"/n\"}," COLS "}"),
		"tables[0].pagination.next: only next_url and next_token pagination use it", CQ_ERR_CONFIG},
	{SRC("{\"name\":\"t\",\"endpoint\":\"/x\",\"pagination\":{\"type\":\"cursor\"}," COLS "}"),
		"tables[0].pagination.type: unknown pagination type \"cursor\" (known: none, link_header, next_url, "
		"next_token, page_number, offset)", CQ_ERR_CONFIG},
	{SRC("{\"name\":\"t\",\"endpoint\":\"/x\",\"pagination\":\"offset\"," COLS "}"),
		"tables[0].pagination.next_param: required for offset pagination (use the object form)", CQ_ERR_CONFIG},
	{SRC("{\"name\":\"t\",\"endpoint\":\"/x\",\"pagination\":{\"type\":\"next_url\",\"next\":\"/a/*\"}," COLS "}"),
		"tables[0].pagination.next: must not contain a \"*\" segment", CQ_ERR_CONFIG},
	{SRC("{\"name\":\"t\",\"endpoint\":\"/x\",\"rows\":\"items\"," COLS "}"),
		"tables[0].rows: invalid JSON pointer: must be empty or start with \"/\"", CQ_ERR_CONFIG},
	{SRC("{\"name\":\"t\",\"endpoint\":\"/x\",\"keys\":[{\"column\":\"nope\"}]," COLS "}"),
		"tables[0].keys[0].column: \"nope\" is not a column of the table (a key column must also be declared in columns)",
	CQ_ERR_CONFIG},
	{SRC("{\"name\":\"t\",\"endpoint\":\"/x\",\"keys\":[{\"column\":\"id\",\"ops\":[\"=\",\">\"]}]," COLS "}"),
		"tables[0].keys[0].op_params: operator \">\" needs op_params[\">\"] (the query parameter that carries it)",
	CQ_ERR_CONFIG},
	{SRC("{\"name\":\"t\",\"endpoint\":\"/x\",\"keys\":[{\"column\":\"id\",\"ops\":[\"!=\"]}]," COLS "}"),
		"tables[0].keys[0].ops[0]: unknown operator \"!=\" (known: =, <, <=, >, >=, ~~ or like, @>)", CQ_ERR_CONFIG},
	{SRC("{\"name\":\"t\",\"endpoint\":\"/x\",\"keys\":[{\"column\":\"id\",\"from_parent\":true}]," COLS "}"),
		"tables[0].keys[0].from_parent: the table has no parent", CQ_ERR_CONFIG},
	{SRC("{\"name\":\"t\",\"endpoint\":\"/x\",\"keys\":[{\"column\":\"id\",\"server_option\":\"projects\"}]," COLS "}"),
		"tables[0].keys[0].server_option: \"projects\" is not declared in the source's server_options", CQ_ERR_CONFIG},
	{SRC("{\"name\":\"t\",\"endpoint\":\"/x\",\"keys\":[{\"column\":\"id\"},{\"column\":\"id\"}]," COLS "}"),
		"tables[0].keys[1].column: duplicate key column \"id\" (also keys[0])", CQ_ERR_CONFIG},
	{SRC("{\"name\":\"t\",\"endpoint\":\"/x\",\"keys\":[{\"column\":\"id\",\"in\":\"path\"}]," COLS "}"),
		"tables[0].keys[0].in: \"path\" but no endpoint has a {id} placeholder", CQ_ERR_CONFIG},
	{SRC("{\"name\":\"t\",\"endpoint\":\"/x/{id}\",\"keys\":[{\"column\":\"id\",\"in\":\"query\"}]," COLS "}"),
		"tables[0].endpoint: placeholder {id} belongs to a key with \"in\": \"query\"", CQ_ERR_CONFIG},
	{SRC("{\"name\":\"t\",\"endpoint\":\"/x/{id}\",\"keys\":[{\"column\":\"id\"}],"
		 "\"parent\":{\"endpoint\":\"/p/{org}\",\"map\":{\"id\":\"/id\"}}," COLS "}"),
		"tables[0].parent.endpoint: placeholder {org} is not a key parameter", CQ_ERR_CONFIG},
	{SRC("{\"name\":\"t\",\"endpoint\":\"/x/{id}\",\"keys\":[{\"column\":\"id\"}],"
		 "\"parent\":{\"endpoint\":\"/p\",\"map\":{\"idd\":\"/id\"}}," COLS "}"),
		"tables[0].parent.map.idd: fills {idd}, which is neither an endpoint placeholder nor a key parameter",
	CQ_ERR_CONFIG},
	{SRC("{\"name\":\"t\",\"endpoint\":\"/x/{id}\",\"keys\":[{\"column\":\"id\"}],"
		 "\"parent\":{\"endpoint\":\"/p\"}," COLS "}"),
		"tables[0].parent.map: required (which child parameter each parent row fills)", CQ_ERR_CONFIG},
	{SRC("{\"name\":\"t\",\"endpoint\":\"/x\",\"supports_limit\":true," COLS "}"),
		"tables[0].supports_limit: needs pagination.page_size_param (the parameter that carries LIMIT)",
	CQ_ERR_CONFIG},
	{SRC("{\"name\":\"t\",\"endpoint\":\"/x\",\"row_estimate\":0," COLS "}"),
		"tables[0].row_estimate: must be a number > 0", CQ_ERR_CONFIG},
	{"{\"name\":\"s\",\"auth\":\"header\",\"tables\":[" T1 "]}",
		"auth_header: required when auth is \"header\"", CQ_ERR_CONFIG},
	{"{\"name\":\"s\",\"auth\":\"sigv4\",\"sigv4\":\"aws:amz\",\"tables\":[" T1 "]}",
		"sigv4: must look like \"aws:amz:<region>:<service>\" (four non-empty parts)", CQ_ERR_CONFIG},
	{"{\"name\":\"s\",\"auth\":\"sigv4\",\"sigv4\":\"aws:amz::ec2\",\"tables\":[" T1 "]}",
		"sigv4: must look like \"aws:amz:<region>:<service>\" (four non-empty parts)", CQ_ERR_CONFIG},
	{"{\"name\":\"s\",\"auth\":\"oauth\",\"tables\":[" T1 "]}",
		"auth: unknown auth method \"oauth\" (known: none, bearer, basic, header, sigv4)", CQ_ERR_CONFIG},
	{"{\"name\":\"s\",\"headers\":[\"X-A: b\\r\\nX-Evil: 1\"],\"tables\":[" T1 "]}",
		"headers[0]: must be \"Name: value\" with a valid header name and no control characters", CQ_ERR_CONFIG},
	{"{\"name\":\"s\",\"headers\":[\"authorization: Bearer x\"],\"tables\":[" T1 "]}",
		"headers[0]: credentials do not belong in a spec (use auth and the user mapping)", CQ_ERR_CONFIG},
	{"{\"name\":\"s\",\"base_url\":\"file:///etc/passwd\",\"tables\":[" T1 "]}",
		"base_url: must be an http:// or https:// URL without placeholders", CQ_ERR_CONFIG},
	{"{\"name\":\"s\",\"server_options\":[\"a\",\"a\"],\"tables\":[" T1 "]}",
		"server_options[1]: duplicate \"a\"", CQ_ERR_CONFIG},
	{SRC("{\"name\":\"t\",\"endpoint\":\"/x\",\"columns\":[{\"name\":\"id\",\"type\":7}]}"),
		"tables[0].columns[0].type: must be a string", CQ_ERR_CONFIG},
	{SRC("{\"name\":\"t\",\"endpoint\":\"/x\",\"columns\":[{\"name\":\"id\",\"type\":\"int\","
		 "\"description\":\"a\\u0001b\"}]}"),
		"tables[0].columns[0].description: must not contain control characters", CQ_ERR_CONFIG},
	{"{\"name\":\"s\",\"name\":\"t\",\"tables\":[]}", NULL, CQ_ERR_JSON},
	{"{\"name\":\"s\",\n\"tables\": [}", "spec: invalid JSON at line 2, column 12: unexpected token near '}'",
	CQ_ERR_JSON},
	{"", NULL, CQ_ERR_JSON},
};

static void
test_errors(void)
{
	size_t		i;

	for (i = 0; i < sizeof(err_cases) / sizeof(err_cases[0]); i++)
	{
		CqError		err;
		CqSourceDef *d = parse(err_cases[i].json, &err);

		CQ_CHECKF(d == NULL, "case %zu parsed", i);
		cq_source_def_free(d);
		CQ_CHECKF(err.kind == err_cases[i].kind, "case %zu: kind %s: %s", i,
				  cq_error_kind_name(err.kind), err.message);
		if (err_cases[i].message)
			CHECK_S(err.message, err_cases[i].message);
	}
}

static void
test_limits(void)
{
	/* 4097 tables: CQ_ERR_LIMIT before any table is parsed */
	size_t		cap = 4097 * 4 + 64;
	char	   *s = malloc(cap);
	size_t		o;
	int			i;
	CqError		err;
	CqSourceDef *d;
	char	   *big;

	o = (size_t) snprintf(s, cap, "{\"name\":\"s\",\"tables\":[");
	for (i = 0; i < 4097; i++)
		o += (size_t) snprintf(s + o, cap - o, "%s{}", i ? "," : "");
	snprintf(s + o, cap - o, "]}");
	d = parse(s, &err);
	CQ_CHECK(d == NULL && err.kind == CQ_ERR_LIMIT);
	CHECK_S(err.message, "tables: more than 4096 elements");
	free(s);

	/* a document over SPEC_MAX_BYTES is refused before JSON parsing */
	big = malloc(SPEC_MAX_BYTES + 2);
	memset(big, ' ', SPEC_MAX_BYTES + 1);
	big[SPEC_MAX_BYTES + 1] = '\0';
	d = cq_spec_parse(big, SPEC_MAX_BYTES + 1, &err);
	CQ_CHECK(d == NULL && err.kind == CQ_ERR_LIMIT);
	free(big);

	/* a very long name is quoted, truncated, and the message stays bounded */
	{
		char		spec[600];
		char		longname[300];

		memset(longname, 'a', 200);
		longname[200] = '\0';
		snprintf(spec, sizeof(spec), "{\"name\":\"%s\",\"tables\":[]}", longname);
		d = parse(spec, &err);
		CQ_CHECKF(d == NULL && strstr(err.message, "aaa...\" is not") != NULL, "%s", err.message);
	}
	/* NUL bytes in the text are a JSON error, not a truncated parse */
	d = cq_spec_parse("{\"name\":\"s\"}\0garbage", 20, &err);
	CQ_CHECK(d == NULL && err.kind == CQ_ERR_JSON);
	d = cq_spec_parse(NULL, 0, &err);
	CQ_CHECK(d == NULL && err.kind == CQ_ERR_CONFIG);
}

static void
test_parse_table(void)
{
	CqError		err;
	const char *s = "{\"name\":\"rest_items\",\"endpoint\":\"/gen/page/{kind}\",\"rows\":\"/items\","
		"\"pagination\":{\"type\":\"page_number\",\"next_param\":\"page\"},"
		"\"keys\":[{\"column\":\"kind\",\"required\":true},{\"column\":\"q\",\"server_option\":\"anything\"}],"
		"\"columns\":[{\"name\":\"kind\",\"type\":\"string\"},{\"name\":\"q\",\"type\":\"string\"},"
		"{\"name\":\"tags\",\"type\":\"string[]\",\"path\":\"/tags/*\"}]}";
	CqTableDef *t = cq_spec_parse_table(s, strlen(s), &err);
	const char *missing[4];

	CQ_CHECKF(t != NULL, "%s", err.message);
	if (t)
	{
		CQ_CHECK(t->pagination == CQ_PAGE_PAGE_NUMBER);
		CQ_CHECK(t->keys[0].in == CQ_IN_PATH && t->keys[1].in == CQ_IN_QUERY);
		CQ_CHECK(cq_table_missing_keys(t, 0, NULL, missing, 4) == 1);
		CHECK_S(missing[0], "kind");
		cq_table_def_free(t);
	}
	s = "{\"name\":\"r\",\"endpoint\":\"/x\",\"columns\":[{\"name\":\"a\",\"type\":\"ipv4\"}]}";
	t = cq_spec_parse_table(s, strlen(s), &err);
	CQ_CHECK(t == NULL);
	CQ_CHECK(strncmp(err.message, "columns[0].type: unknown type \"ipv4\"", 36) == 0);
	CHECK_S(err.path, "columns[0].type");
	cq_table_def_free(NULL);
	cq_source_def_free(NULL);
}

static void
test_file(void)
{
	char		path[] = "/tmp/cq_spec_testXXXXXX";
	int			fd = mkstemp(path);
	CqError		err;
	CqSourceDef *d;
	const char *bad = "{\"name\":\"s\",\"tables\":[{\"name\":\"t\"}]}";

	CQ_CHECK(fd >= 0);
	if (fd < 0)
		return;
	CQ_CHECK(write(fd, cqt_full_spec, strlen(cqt_full_spec)) == (ssize_t) strlen(cqt_full_spec));
	close(fd);
	d = cq_spec_load_file(path, &err);
	CQ_CHECKF(d != NULL, "%s", err.message);
	CQ_CHECK(d && d->ntables == 2);
	cq_source_def_free(d);

	fd = open(path, O_WRONLY | O_TRUNC);
	CQ_CHECK(write(fd, bad, strlen(bad)) == (ssize_t) strlen(bad));
	close(fd);
	d = cq_spec_load_file(path, &err);
	CQ_CHECK(d == NULL);
	{
		char		expect[256];

		snprintf(expect, sizeof(expect), "%s: tables[0].endpoint: required", strrchr(path, '/') + 1);
		CHECK_S(err.message, expect);
	}
	unlink(path);

	d = cq_spec_load_file(path, &err);
	CQ_CHECK(d == NULL && err.kind == CQ_ERR_CONFIG && strstr(err.message, "could not open spec file") != NULL);
	d = cq_spec_load_file("/tmp", &err);
	CQ_CHECK(d == NULL && strstr(err.message, "is not a regular file") != NULL);
}

/* ---- plugins without dlopen ---- */

static const char *plugin_spec = "{\"name\":\"demo\",\"tables\":[{\"name\":\"demo_items\","
"\"endpoint\":\"/gen/link/items\",\"columns\":[{\"name\":\"id\",\"type\":\"int\"}]}]}";

static void
test_plugin_check(void)
{
	CqPluginDescriptor desc = {CQ_SDK_ABI_VERSION, "demo", "9.9.9", "A demo.", NULL, NULL};
	CqError		err;
	CqSourceDef *d;
	const CqPluginDescriptor *dp = (const CqPluginDescriptor *) 1;

	desc.spec_json = plugin_spec;
	d = cqp_plugin_source(&desc, "/x/demo.so", &err);
	CQ_CHECKF(d != NULL, "%s", err.message);
	if (d)
	{
		CHECK_S(d->kind, "plugin");
		CHECK_S(d->version, "9.9.9");
		CHECK_S(d->description, "A demo.");
		cq_source_def_free(d);
	}

	desc.abi_version = 999;
	d = cqp_plugin_source(&desc, "/x/demo.so", &err);
	CQ_CHECK(d == NULL && err.kind == CQ_ERR_PLUGIN);
	{
		char		want[160];

		snprintf(want, sizeof(want), "plugin /x/demo.so was built for SDK ABI 999, this cq_fdw provides ABI %d "
				 "(rebuild it against the installed cq_sdk.h)", CQ_SDK_ABI_VERSION);
		CHECK_S(err.message, want);
	}
	desc.abi_version = CQ_SDK_ABI_VERSION;

	desc.name = "other";
	d = cqp_plugin_source(&desc, "/x/demo.so", &err);
	CQ_CHECK(d == NULL);
	CHECK_S(err.message, "plugin /x/demo.so: descriptor name \"other\" differs from its spec's name \"demo\"");
	desc.name = "demo";

	desc.spec_json = "{\"name\":\"demo\",\"tables\":[{\"name\":\"t\",\"endpoint\":\"/x\",\"colums\":[]}]}";
	d = cqp_plugin_source(&desc, "/x/demo.so", &err);
	CQ_CHECK(d == NULL && err.kind == CQ_ERR_PLUGIN);
	CHECK_S(err.message, "plugin /x/demo.so: invalid spec: tables[0].colums: unknown key (did you mean \"columns\"?)");

	desc.spec_json = NULL;
	d = cqp_plugin_source(&desc, "/x/demo.so", &err);
	CQ_CHECK(d == NULL);
	CHECK_S(err.message, "plugin /x/demo.so has no spec_json");
	d = cqp_plugin_source(NULL, "/x/demo.so", &err);
	CQ_CHECK(d == NULL && err.kind == CQ_ERR_PLUGIN);

	/* the loader refuses bare names (no library search path) and missing files */
	d = cq_plugin_load("cq_example.so", &dp, &err);
	CQ_CHECK(d == NULL && dp == NULL && err.kind == CQ_ERR_PLUGIN);
	CHECK_S(err.message, "plugin path \"cq_example.so\" must contain a directory");
	d = cq_plugin_load("/nonexistent/cq_example.so", &dp, &err);
	CQ_CHECK(d == NULL && err.kind == CQ_ERR_PLUGIN &&
			 strncmp(err.message, "could not load plugin /nonexistent/cq_example.so: ", 50) == 0);
}

/* ---- robustness: prefixes and mutations of a valid spec ---- */

static void
test_mutations(void)
{
	size_t		len = strlen(cqt_full_spec);
	char	   *buf = malloc(len + 1);
	size_t		i;
	uint32_t	seed = 12345;
	int			parsed = 0;
	CqError		err;

	for (i = 0; i < len; i += 7)
	{
		CqSourceDef *d = cq_spec_parse(cqt_full_spec, i, &err);

		CQ_CHECKF(d == NULL && err.kind == CQ_ERR_JSON, "prefix %zu", i);
		cq_source_def_free(d);
	}
	for (i = 0; i < 3000; i++)
	{
		int			j,
					nflip;
		CqSourceDef *d;

		memcpy(buf, cqt_full_spec, len + 1);
		seed = seed * 1103515245u + 12345u;
		nflip = 1 + (seed >> 16) % 3;
		for (j = 0; j < nflip; j++)
		{
			static const char alphabet[] = "{}[]\":,*/ ab0-_~{}";

			seed = seed * 1103515245u + 12345u;
			buf[(seed >> 8) % len] = alphabet[(seed >> 20) % (sizeof(alphabet) - 1)];
		}
		d = cq_spec_parse(buf, len, &err);
		if (d)
			parsed++;
		else
			CQ_CHECKF(err.message[0] != '\0' && strchr(err.message, '\n') == NULL, "mutation %zu", i);
		cq_source_def_free(d);
	}
	CQ_CHECK(parsed > 0);		/* some mutations land in descriptions */
	free(buf);
}

void
suite_spec(void)
{
	test_minimal();
	test_full();
	test_errors();
	test_limits();
	test_parse_table();
	test_file();
	test_plugin_check();
	test_mutations();
}
