/*
 * test_spec_field.c -- suite `spec_field`: src/sdk/spec_field.c, the spec
 * validator's primitives, called directly: error reporting with locations,
 * quoting of hostile spec text, the unknown-key check with its suggestion,
 * the typed field readers, templates, JSON pointers, enumerations and
 * duplicate names.  The messages are what a spec author reads.
 */
#include <stdlib.h>
#include <string.h>

#include "cq_sdk.h"
#include "cq_sdk_int.h"
#include "spec_int.h"
#include "cqtest.h"
#include "spectest.h"

void		suite_spec_field(void);

static CqError err;
static CqpSpecCtx ctx;

/* Fresh context and the object `json` (caller decrefs). */
static json_t *
obj(const char *json)
{
	json_error_t jerr;
	/* JSON_ALLOW_NUL: the readers' own NUL check is reachable directly */
	json_t	   *o = json_loads(json, JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);

	CQ_CHECKF(o != NULL, "fixture %s: %s", json, jerr.text);
	memset(&err, 0, sizeof(err));
	ctx.err = &err;
	ctx.src = NULL;
	return o;
}

static void
test_quote(void)
{
	char		buf[64];
	char		small[10];
	char		in[200];
	char		want[64];
	int			i;

	CHECK_S(cqp_spec_quote(buf, sizeof(buf), "plain text"), "plain text");
	CHECK_S(cqp_spec_quote(buf, sizeof(buf), NULL), "");
	/* control characters, quotes and backslashes cannot break the message */
	CHECK_S(cqp_spec_quote(buf, sizeof(buf), "a\"b\\c\nd\x7f" "e"), "a?b?c?d?e");
	/* 48 bytes, then "..." */
	memset(in, 'a', 100);
	in[100] = '\0';
	memset(want, 'a', 48);
	strcpy(want + 48, "...");
	CHECK_S(cqp_spec_quote(buf, sizeof(buf), in), want);
	/* a small buffer: buflen - 4 bytes, then "..." */
	CHECK_S(cqp_spec_quote(small, sizeof(small), in), "aaaaaa...");
	/* never cut a UTF-8 sequence: "a" + 30 x "é" keeps "a" + 23 x "é" */
	strcpy(in, "a");
	for (i = 0; i < 30; i++)
		strcat(in, "\xc3\xa9");
	strcpy(want, "a");
	for (i = 0; i < 23; i++)
		strcat(want, "\xc3\xa9");
	strcat(want, "...");
	CHECK_S(cqp_spec_quote(buf, sizeof(buf), in), want);
}

static void
test_fail_and_locations(void)
{
	char		loc[SPEC_LOCLEN];
	char		key[100];

	json_decref(obj("{}"));
	CQ_CHECK(!cqp_spec_fail(&ctx, "tables[0]", "name", "bad %d", 7));
	CQ_CHECK(err.kind == CQ_ERR_CONFIG);
	CHECK_S(err.message, "tables[0].name: bad 7");
	CHECK_S(err.path, "tables[0].name");
	CQ_CHECK(!cqp_spec_fail(&ctx, "", "tables", "required"));
	CHECK_S(err.message, "tables: required");
	CHECK_S(err.path, "tables");
	CQ_CHECK(!cqp_spec_fail(&ctx, "headers[2]", NULL, "no"));
	CHECK_S(err.message, "headers[2]: no");
	/* the document itself */
	CQ_CHECK(!cqp_spec_fail(&ctx, "", NULL, "must be an object"));
	CHECK_S(err.message, "spec: must be an object");
	CHECK_S(err.path, "");
	CQ_CHECK(!cqp_spec_fail_limit(&ctx, "", "tables", "more than %d", 3));
	CQ_CHECK(err.kind == CQ_ERR_LIMIT);
	CHECK_S(err.message, "tables: more than 3");
	CQ_CHECK(!cqp_spec_oom(&ctx));
	CQ_CHECK(err.kind == CQ_ERR_NOMEM);

	cqp_spec_loc_index(loc, "", "tables", 3);
	CHECK_S(loc, "tables[3]");
	cqp_spec_loc_index(loc, "tables[3]", "columns", 12);
	CHECK_S(loc, "tables[3].columns[12]");
	cqp_spec_loc_key(loc, "", "ratelimit");
	CHECK_S(loc, "ratelimit");
	/* a key from the spec is quoted */
	cqp_spec_loc_key(loc, "parent.map", "a\"b");
	CHECK_S(loc, "parent.map.a?b");
	memset(key, 'k', 99);
	key[99] = '\0';
	cqp_spec_loc_key(loc, "x", key);
	CQ_CHECK(strlen(loc) == 2 + 48 + 3 && strcmp(loc + 50, "...") == 0);

	/* strfmt truncates and reports the full length like snprintf */
	CQ_CHECK(cqp_spec_strfmt(loc, 4, "%s", "abcdef") == 6);
	CHECK_S(loc, "abc");
}

static void
test_check_object(void)
{
	static const char *const known[] = {"endpoint", "rows", "pagination", NULL};
	json_t	   *o;

	o = obj("[]");
	CQ_CHECK(!cqp_spec_check_object(&ctx, "tables[0]", o, known));
	CHECK_S(err.message, "tables[0]: must be an object");
	json_decref(o);

	o = obj("{\"endpoint\":1,\"_note\":\"annotations are ignored\",\"rows\":2}");
	CQ_CHECK(cqp_spec_check_object(&ctx, "t", o, known));
	json_decref(o);

	o = obj("{\"endpiont\":1}");
	CQ_CHECK(!cqp_spec_check_object(&ctx, "t", o, known));
	CHECK_S(err.message, "t.endpiont: unknown key (did you mean \"endpoint\"?)");
	CHECK_S(err.path, "t.endpiont");
	json_decref(o);

	o = obj("{\"zzz\":1}");
	CQ_CHECK(!cqp_spec_check_object(&ctx, "t", o, known));
	CHECK_S(err.message, "t.zzz: unknown key (known keys: endpoint, rows, pagination)");
	json_decref(o);
}

static void
test_char_classes(void)
{
	CQ_CHECK(cqp_spec_is_param("page[size]") && cqp_spec_is_param("$top") &&
			 cqp_spec_is_param("a.b-c_D9"));
	CQ_CHECK(!cqp_spec_is_param("") && !cqp_spec_is_param("a b") &&
			 !cqp_spec_is_param("a=b") && !cqp_spec_is_param("a&b"));
	CQ_CHECK(!cqp_spec_is_param("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"));	/* 64 */
	CQ_CHECK(cqp_spec_is_param_char('$') && !cqp_spec_is_param_char('{') &&
			 !cqp_spec_is_param_char('/'));
	CQ_CHECK(cqp_spec_is_header_name("X-Api-Key", 9));
	CQ_CHECK(cqp_spec_is_header_name("X-Api-Key: v", 9));	/* length bounds it */
	CQ_CHECK(!cqp_spec_is_header_name("X Api", 5) && !cqp_spec_is_header_name("", 0) &&
			 !cqp_spec_is_header_name("X:", 2));
	CQ_CHECK(cqp_spec_header_value_ok(" a\tb"));
	CQ_CHECK(!cqp_spec_header_value_ok("a\r\nX-Evil: 1") && !cqp_spec_header_value_ok("a\x7f"));
}

static void
test_readers(void)
{
	json_t	   *o = obj("{\"s\":\"abc\",\"n\":5,\"b\":true,\"ctl\":\"a\\u0001b\",\"nl\":\"a\\nb\","
						"\"nul\":\"a\\u0000b\",\"id\":\"Bad\",\"arr\":[1,2,3],\"null\":null,"
						"\"names\":[\"a\",\"b\",\"a\"],\"params\":[\"page[size]\"]}");
	char	   *s = NULL;
	char	  **names = NULL;
	int			n = 0,
				i = 42;
	bool		b = false;
	json_t	   *arr;

	/* strings: absent/null keep *out, required fails, limits and classes */
	CQ_CHECK(cqp_spec_get_string(&ctx, "t", o, "missing", false, 10, &s) && s == NULL);
	CQ_CHECK(cqp_spec_get_string(&ctx, "t", o, "null", false, 10, &s) && s == NULL);
	CQ_CHECK(!cqp_spec_get_string(&ctx, "t", o, "missing", true, 10, &s));
	CHECK_S(err.message, "t.missing: required");
	CQ_CHECK(cqp_spec_get_string(&ctx, "t", o, "s", true, 10, &s));
	CHECK_S(s, "abc");
	CQ_CHECK(!cqp_spec_get_string(&ctx, "t", o, "n", false, 10, &s));
	CHECK_S(err.message, "t.n: must be a string");
	CHECK_S(s, "abc");			/* unchanged on a type error */
	CQ_CHECK(!cqp_spec_get_string(&ctx, "t", o, "s", false, 2, &s));
	CQ_CHECK(err.kind == CQ_ERR_LIMIT);
	CHECK_S(err.message, "t.s: longer than 2 bytes");
	CQ_CHECK(!cqp_spec_get_string(&ctx, "t", o, "ctl", false, 10, &s));
	CHECK_S(err.message, "t.ctl: must not contain control characters");
	CQ_CHECK(!cqp_spec_get_string(&ctx, "t", o, "nul", false, 10, &s));
	CHECK_S(err.message, "t.nul: must not contain NUL characters");
	CQ_CHECK(!cqp_spec_get_string(&ctx, "t", o, "nl", false, 10, &s));
	/* free text takes line breaks; the old value is replaced (and freed) */
	CQ_CHECK(cqp_spec_get_text(&ctx, "t", o, "nl", &s));
	CHECK_S(s, "a\nb");
	CQ_CHECK(!cqp_spec_get_ident(&ctx, "", o, "id", false, &s));
	CHECK_S(err.message, "id: \"Bad\" is not a lower_snake_case identifier of at most 63 bytes");
	CQ_CHECK(cqp_spec_get_ident(&ctx, "", o, "s", true, &s));
	CHECK_S(s, "abc");
	free(s);

	/* bool and int */
	CQ_CHECK(cqp_spec_get_bool(&ctx, "t", o, "b", &b) && b);
	CQ_CHECK(!cqp_spec_get_bool(&ctx, "t", o, "n", &b));
	CHECK_S(err.message, "t.n: must be true or false");
	CQ_CHECK(cqp_spec_get_int(&ctx, "t", o, "missing", 1, 9, &i) && i == 42);
	CQ_CHECK(cqp_spec_get_int(&ctx, "t", o, "n", 1, 9, &i) && i == 5);
	CQ_CHECK(!cqp_spec_get_int(&ctx, "t", o, "n", 6, 9, &i) && i == 5);
	CHECK_S(err.message, "t.n: must be an integer between 6 and 9");
	CQ_CHECK(!cqp_spec_get_int(&ctx, "t", o, "s", 1, 9, &i));

	/* arrays: borrowed, NULL when absent, bounded */
	CQ_CHECK(cqp_spec_get_array(&ctx, "t", o, "arr", true, 3, &arr) && arr == json_object_get(o, "arr"));
	CQ_CHECK(cqp_spec_get_array(&ctx, "t", o, "missing", false, 3, &arr) && arr == NULL);
	CQ_CHECK(!cqp_spec_get_array(&ctx, "t", o, "arr", true, 2, &arr));
	CQ_CHECK(err.kind == CQ_ERR_LIMIT);
	CHECK_S(err.message, "t.arr: more than 2 elements");
	CQ_CHECK(!cqp_spec_get_array(&ctx, "t", o, "s", false, 3, &arr));
	CHECK_S(err.message, "t.s: must be an array");

	/* name lists: *n is set first, so a half-built list is freed whole */
	CQ_CHECK(!cqp_spec_get_name_list(&ctx, "", o, "names", true, 8, &n, &names));
	CHECK_S(err.message, "names[2]: duplicate \"a\"");
	CQ_CHECK(n == 3 && names != NULL);
	CHECK_S(names[1], "b");
	CQ_CHECK(names[2] == NULL);
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	names = NULL;
	n = 0;
	CQ_CHECK(!cqp_spec_get_name_list(&ctx, "", o, "params", true, 8, &n, &names));
	CHECK_S(err.message, "params[0]: \"page[size]\" is not a valid name");
	free(names[0]);
	free(names);
	names = NULL;
	n = 0;
	CQ_CHECK(cqp_spec_get_name_list(&ctx, "", o, "params", false, 8, &n, &names) && n == 1);
	CHECK_S(names[0], "page[size]");
	free(names[0]);
	free(names);
	json_decref(o);
}

static void
test_templates(void)
{
	const char *st[4];
	int			ln[4];
	json_t	   *o;
	char	   *s = NULL;
	char		many[200];
	int			i;

	CQ_CHECK(cqp_spec_template_params("/repos/{owner}/{repo}/x?{q}", st, ln, 4) == 3);
	CQ_CHECK(ln[0] == 5 && strncmp(st[0], "owner", 5) == 0);
	CQ_CHECK(ln[2] == 1 && st[2][0] == 'q');
	/* duplicates are kept; beyond `max` counted, not recorded */
	CQ_CHECK(cqp_spec_template_params("/{a}/{a}/{b}/{c}/{d}/{e}", st, ln, 4) == 6);
	CQ_CHECK(cqp_spec_template_params(NULL, st, ln, 4) == 0);
	CQ_CHECK(cqp_spec_template_params("/plain", st, ln, 4) == 0);
	CQ_CHECK(cqp_spec_template_params("/{a", st, ln, 4) == -1);
	CQ_CHECK(cqp_spec_template_params("/a}", st, ln, 4) == -1);
	CQ_CHECK(cqp_spec_template_params("/{}", st, ln, 4) == -1);
	CQ_CHECK(cqp_spec_template_params("/{a/b}", st, ln, 4) == -1);
	CQ_CHECK(cqp_spec_template_has("/o/{owner}/r", "owner"));
	CQ_CHECK(!cqp_spec_template_has("/o/{owner}/r", "own"));
	CQ_CHECK(!cqp_spec_template_has(NULL, "owner"));

	strcpy(many, "/");
	for (i = 0; i < SPEC_MAX_PLACEHOLDERS + 1; i++)
		strcat(many, "{p}");
	{
		char		doc[400];

		snprintf(doc, sizeof(doc), "{\"ok\":\"https://h/{a}\",\"rel\":\"x/{a}\",\"sp\":\"/a b\","
				 "\"many\":\"%s\",\"bad\":\"/{a\"}", many);
		o = obj(doc);
	}
	CQ_CHECK(cqp_spec_get_template(&ctx, "t", o, "ok", true, &s));
	CHECK_S(s, "https://h/{a}");
	CQ_CHECK(!cqp_spec_get_template(&ctx, "t", o, "rel", true, &s));
	CHECK_S(err.message, "t.rel: must start with \"/\" (relative to base_url) or be an http(s) URL");
	CQ_CHECK(!cqp_spec_get_template(&ctx, "t", o, "sp", true, &s));
	CHECK_S(err.message, "t.sp: must not contain spaces or \"#\" (percent-encode them)");
	CQ_CHECK(!cqp_spec_get_template(&ctx, "t", o, "many", true, &s));
	CQ_CHECK(err.kind == CQ_ERR_LIMIT);
	CHECK_S(err.message, "t.many: more than 32 placeholders");
	CQ_CHECK(!cqp_spec_get_template(&ctx, "t", o, "bad", true, &s));
	CHECK_S(err.message, "t.bad: malformed placeholder: use {name} with letters, digits, _ . - [ ] $");
	free(s);
	json_decref(o);
}

static void
test_pointers(void)
{
	json_t	   *o = obj("{\"p\":\"/a/b\",\"w\":\"/a/*/b\",\"bad\":\"a\"}");
	char	   *s = NULL;
	CqPath	   *cp = NULL;

	/* absent: the default, compiled */
	CQ_CHECK(cqp_spec_get_pointer(&ctx, "c", o, "missing", "/name", false, &s, &cp));
	CHECK_S(s, "/name");
	CQ_CHECK(cp != NULL && !cq_path_has_wildcard(cp));
	cq_path_free(cp);
	cp = NULL;
	free(s);
	s = NULL;
	/* absent, no default: nothing */
	CQ_CHECK(cqp_spec_get_pointer(&ctx, "c", o, "missing", NULL, false, &s, &cp) && s == NULL && cp == NULL);
	/* compiled form not wanted: checked, then freed */
	CQ_CHECK(cqp_spec_get_pointer(&ctx, "c", o, "p", NULL, false, &s, NULL));
	CHECK_S(s, "/a/b");
	CQ_CHECK(cqp_spec_get_pointer(&ctx, "c", o, "w", NULL, true, &s, &cp));
	CQ_CHECK(cp != NULL && cq_path_has_wildcard(cp));
	cq_path_free(cp);
	cp = NULL;
	CQ_CHECK(!cqp_spec_get_pointer(&ctx, "c", o, "w", NULL, false, &s, &cp) && cp == NULL);
	CHECK_S(err.message, "c.w: must not contain a \"*\" segment");
	CQ_CHECK(!cqp_spec_get_pointer(&ctx, "c", o, "bad", NULL, true, &s, &cp) && cp == NULL);
	CHECK_S(err.message, "c.bad: invalid JSON pointer: must be empty or start with \"/\"");
	free(s);
	json_decref(o);
}

static void
test_enums_and_duplicates(void)
{
	static const CqpSpecEnum colours[] = {{"red", 1}, {"green", 2}, {"blue", 0}, {NULL, 0}};
	json_t	   *o = obj("{\"c\":\"green\",\"z\":\"blue\",\"bad\":\"pink\",\"n\":3}");
	int			v = -7;
	struct
	{
		char	   *name;
		int			other;
	}			rows[5] = {{"b", 0}, {"a", 0}, {"c", 0}, {"a", 0}, {"b", 0}};

	CQ_CHECK(cqp_spec_enum_lookup(colours, "red") == 1);
	CQ_CHECK(cqp_spec_enum_lookup(colours, "blue") == 0);
	CQ_CHECK(cqp_spec_enum_lookup(colours, "Red") == -1);
	CQ_CHECK(cqp_spec_get_enum(&ctx, "t", o, "missing", colours, "colour", false, &v) && v == -7);
	CQ_CHECK(!cqp_spec_get_enum(&ctx, "t", o, "missing", colours, "colour", true, &v));
	CHECK_S(err.message, "t.missing: required");
	CQ_CHECK(cqp_spec_get_enum(&ctx, "t", o, "c", colours, "colour", true, &v) && v == 2);
	CQ_CHECK(cqp_spec_get_enum(&ctx, "t", o, "z", colours, "colour", true, &v) && v == 0);
	CQ_CHECK(!cqp_spec_get_enum(&ctx, "t", o, "bad", colours, "colour", true, &v));
	CHECK_S(err.message, "t.bad: unknown colour \"pink\" (known: red, green, blue)");
	CQ_CHECK(!cqp_spec_get_enum(&ctx, "t", o, "n", colours, "colour", true, &v));
	CHECK_S(err.message, "t.n: must be a string");
	json_decref(o);

	/* duplicates: the smallest later index, with its earlier twin */
	{
		int			first = -1;

		CQ_CHECK(cqp_spec_find_duplicate(rows, sizeof(rows[0]), 5, &first) == 3 && first == 1);
		CQ_CHECK(cqp_spec_find_duplicate(rows, sizeof(rows[0]), 3, &first) == -1);
		CQ_CHECK(cqp_spec_find_duplicate(rows, sizeof(rows[0]), 1, &first) == -1);
		rows[3].name = "d";
		CQ_CHECK(cqp_spec_find_duplicate(rows, sizeof(rows[0]), 5, &first) == 4 && first == 0);
	}
}

void
suite_spec_field(void)
{
	test_quote();
	test_fail_and_locations();
	test_check_object();
	test_char_classes();
	test_readers();
	test_templates();
	test_pointers();
	test_enums_and_duplicates();
}
