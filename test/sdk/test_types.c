/*
 * test_types.c -- suite `types`: src/sdk/types.c (type names, nulls, json,
 * arrays, value errors, the dispatch on real API shapes), and the helpers
 * the type system rests on: CqError (error.c) and CqArena (arena.c).  Each
 * type family has its own suite: types_num, types_text, types_time,
 * types_net, types_format (test_types_<family>.c); the helpers they share
 * are defined here (typestest.h).
 *
 * Each case parses a JSON text with cq_value_parse and checks either the
 * PostgreSQL input text cq_value_format produces (round trip), the binary
 * form, or that the value is refused with a CQ_ERR_VALUE error.  Real API
 * shapes come from ../shared/fixtures when present (skipped otherwise).
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cq_sdk.h"
#include "cq_sdk_int.h"
#include "types_int.h"
#include "cqtest.h"
#include "typestest.h"

void		suite_types(void);

CqArena    *cqt_arena;

void
cqt_types_begin(void)
{
	cqt_arena = cq_arena_new(0);
}

void
cqt_types_end(void)
{
	cq_arena_free(cqt_arena);
	cqt_arena = NULL;
}

json_t *
cqt_load(const char *json)
{
	json_error_t jerr;

	return json_loads(json, JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);
}

/* parse json text as type; format into buf; returns parse result */
bool
cqt_parse_fmt(const char *type, const char *json, char *buf, size_t buflen,
			  CqValue *out, CqError *err)
{
	CqColType	t;
	json_t	   *v;
	bool		ok;

	buf[0] = '\0';
	if (!cq_type_parse(type, &t))
	{
		snprintf(buf, buflen, "<bad type %s>", type);
		return false;
	}
	v = cqt_load(json);
	if (v == NULL)
	{
		snprintf(buf, buflen, "<bad json %s>", json);
		return false;
	}
	memset(err, 0, sizeof(*err));
	ok = cq_value_parse(v, t, cqt_arena, out, err);
	if (ok)
		cq_value_format(out, buf, buflen);
	json_decref(v);
	return ok;
}

/* release json references held by a parsed value */
void
cqt_drop(CqValue *v)
{
	if (v->isnull)
		return;
	if (v->is_array)
	{
		for (uint32_t i = 0; i < v->len; i++)
			cqt_drop(&v->u.arr[i]);
	}
	else if (v->type == CQ_T_JSON)
		json_decref(v->u.json);
}

static void
test_names(void)
{
	CqColType	t;

	CQ_CHECK(cq_type_parse("int", &t) && t.base == CQ_T_INT && !t.is_array);
	CQ_CHECK(cq_type_parse("inet[]", &t) && t.base == CQ_T_INET && t.is_array);
	CQ_CHECK(cq_type_parse("macaddr", &t) && t.base == CQ_T_MACADDR);
	CQ_CHECK(!cq_type_parse("inett", &t));
	CQ_CHECK(!cq_type_parse("int[][]", &t));
	CQ_CHECK(!cq_type_parse("[]", &t));
	CQ_CHECK(!cq_type_parse("", &t));
	CQ_CHECK(!cq_type_parse("INT", &t));
	CQ_CHECK(!cq_type_parse(NULL, &t));
	for (int i = 0; i < CQ_T__COUNT; i++)
	{
		char		n[32];

		CQ_CHECK(cq_type_parse(cq_type_name((CqType) i), &t) && t.base == (CqType) i);
		snprintf(n, sizeof(n), "%s[]", cq_type_name((CqType) i));
		CQ_CHECK(cq_type_parse(n, &t) && t.base == (CqType) i && t.is_array);
	}
	CQ_CHECK_STR(cq_type_name(CQ_T_TIMESTAMP), "timestamp");
	CQ_CHECK_STR(cq_type_name(CQ_T__COUNT), "unknown");
}

static void
test_nulls(void)
{
	CqValue		v;
	CqError		e;
	CqColType	t = {CQ_T_INT, false};

	for (int i = 0; i < CQ_T__COUNT; i++)
	{
		t.base = (CqType) i;
		t.is_array = false;
		CQ_CHECK(cq_value_parse(NULL, t, cqt_arena, &v, &e) && v.isnull);
		ISNULL(cq_type_name((CqType) i), "null");
		t.is_array = true;
		CQ_CHECK(cq_value_parse(NULL, t, cqt_arena, &v, &e) && v.isnull);
	}
	ISNULL("json", "null");
	ISNULL("int[]", "null");
}

static void
test_json(void)
{
	CqValue		v;
	CqError		e;
	CqColType	t = {CQ_T_JSON, false};
	json_t	   *doc = cqt_load("{\"a\":[1,2,{\"b\":null}],\"c\":\"x\"}");

	OK("json", "{\"a\":[1,2],\"b\":\"x\"}", "{\"a\":[1,2],\"b\":\"x\"}");
	OK("json", "\"str\"", "\"str\"");
	OK("json", "12", "12");
	OK("json", "[]", "[]");
	OK("json", "false", "false");
	/* the value holds a reference of its own */
	CQ_CHECK(doc->refcount == 1);
	CQ_CHECK(cq_value_parse(doc, t, cqt_arena, &v, &e) && v.u.json == doc && doc->refcount == 2);
	json_decref(v.u.json);
	CQ_CHECK(doc->refcount == 1);
	json_decref(doc);
}

static void
test_arrays(void)
{
	CqValue		v;
	CqError		e;
	char		buf[256];
	json_t	   *doc;
	CqColType	t = {CQ_T_JSON, true};

	OK("int[]", "[1,null,3]", "{1,NULL,3}");
	OK("int[]", "[]", "{}");
	OK("int[]", "7", "{7}");
	OK("inet[]", "\"1.2.3.4\"", "{1.2.3.4}");
	OK("inet[]", "[\"10.0.0.1\",\"2604:A880:0800:0010:0000:0000:02DD:4001\"]",
	   "{10.0.0.1,2604:a880:800:10::2dd:4001}");
	OK("string[]", "[\"a b\",\"\",null,\"NULL\",\"q\\\"x\",\"back\\\\slash\",\"{}\",\"plain\"]",
	   "{\"a b\",\"\",NULL,\"NULL\",\"q\\\"x\",\"back\\\\slash\",\"{}\",plain}");
	OK("timestamp[]", "[\"2023-06-20T10:15:30Z\",null]", "{\"2023-06-20 10:15:30+00\",NULL}");
	OK("bytes[]", "[\"aGk=\"]", "{\"\\\\x6869\"}");
	OK("json[]", "[{\"a\":1},null,2]", "{\"{\\\"a\\\":1}\",NULL,2}");
	OK("bool[]", "[true,\"f\"]", "{true,false}");
	OK("uuid[]", "[\"A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11\"]", "{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11}");
	OK("macaddr[]", "[\"0800.2b01.0203\",null]", "{08:00:2b:01:02:03,NULL}");
	OK("interval[]", "[\"P1D\",60]", "{\"1 day\",00:01:00}");
	BAD("int[]", "[1,\"x\",3]");
	BAD("inet[]", "[\"1.2.3.4\",\"nope\"]");
	BAD("int[]", "[[1]]");
	BAD("int[]", "\"x\"");
	CQ_CHECK(!cqt_parse_fmt("int[]", "[1,2,\"x\"]", buf, sizeof(buf), &v, &e) &&
			 v.isnull && strstr(e.message, "array element 2") &&
			 strcmp(e.api_message, "x") == 0);
	CQ_CHECK(cqt_parse_fmt("int[]", "[1,null,3]", buf, sizeof(buf), &v, &e) &&
			 v.is_array && v.len == 3 && v.u.arr[0].u.i == 1 && v.u.arr[1].isnull &&
			 v.u.arr[2].u.i == 3 && v.type == CQ_T_INT);
	CQ_CHECK(cqt_parse_fmt("int[]", "[]", buf, sizeof(buf), &v, &e) && !v.isnull && v.len == 0);
	/* json[] elements each hold a reference */
	doc = cqt_load("[{\"a\":1},{\"b\":2}]");
	CQ_CHECK(cq_value_parse(doc, t, cqt_arena, &v, &e) && v.len == 2 &&
			 json_array_get(doc, 0)->refcount == 2);
	cqt_drop(&v);
	CQ_CHECK(json_array_get(doc, 0)->refcount == 1);
	json_decref(doc);
}

static void
test_value_errors(void)
{
	CqValue		v;
	CqError		e;
	char		buf[256];
	char		big[400];

	/* api_message: first 100 bytes, control characters replaced */
	memset(big, 'x', sizeof(big));
	big[0] = '"';
	big[1] = '\\';
	big[2] = 'n';
	big[300] = '"';
	big[301] = '\0';
	CQ_CHECK(!cqt_parse_fmt("int", big, buf, sizeof(buf), &v, &e));
	CQ_CHECK(strlen(e.api_message) == 100 && e.api_message[0] == '?' &&
			 strchr(e.api_message, '\n') == NULL);
	CQ_CHECK_STR(e.message, "invalid input for type int");
	CQ_CHECK(!cqt_parse_fmt("inet", "{\"a\":1}", buf, sizeof(buf), &v, &e) &&
			 strcmp(e.api_message, "{\"a\":1}") == 0);
	CQ_CHECK(!cqt_parse_fmt("uuid", "\"%s%n%s\"", buf, sizeof(buf), &v, &e) &&
			 strcmp(e.api_message, "%s%n%s") == 0);
}

/* The value-error helpers and the C locale, directly. */
static void
test_value_fail_direct(void)
{
	CqValue		v;
	CqError		e;
	json_t	   *j;
	locale_t	loc;

	memset(&v, 0, sizeof(v));
	memset(&e, 0, sizeof(e));
	j = json_string("abc\ndef");
	CQ_CHECK(!cqp_types_value_fail(&v, &e, CQ_T_DATE, j, "no numbers") && v.isnull);
	CQ_CHECK(e.kind == CQ_ERR_VALUE);
	CQ_CHECK_STR(e.message, "invalid input for type date: no numbers");
	CQ_CHECK_STR(e.api_message, "abc?def");	/* sanitized */
	json_decref(j);
	j = json_pack("{s:[i,i]}", "k", 1, 2);
	CQ_CHECK(!cqp_types_value_fail(&v, &e, CQ_T_INET, j, NULL));
	CQ_CHECK_STR(e.message, "invalid input for type inet");
	CQ_CHECK_STR(e.api_message, "{\"k\":[1,2]}");	/* compact JSON text */
	json_decref(j);
	/* a value too large to show is named by its kind */
	j = json_array();
	for (int i = 0; i < 100; i++)
		json_array_append_new(j, json_integer(1000 + i));
	CQ_CHECK(!cqp_types_value_fail(&v, &e, CQ_T_INT, j, NULL));
	CQ_CHECK_STR(e.api_message, "(array)");
	json_decref(j);
	/* no value, or no error struct: still null and false */
	memset(&e, 0, sizeof(e));
	v.isnull = 0;
	CQ_CHECK(!cqp_types_value_fail(&v, &e, CQ_T_UUID, NULL, NULL) && v.isnull && e.api_message[0] == '\0');
	v.isnull = 0;
	CQ_CHECK(!cqp_types_value_fail(&v, NULL, CQ_T_UUID, NULL, NULL) && v.isnull);
	v.isnull = 0;
	CQ_CHECK(!cqp_types_nomem(&v, &e) && v.isnull && e.kind == CQ_ERR_NOMEM);
	/* one C locale, created once */
	loc = cqp_types_get_c_locale();
	CQ_CHECK(loc != (locale_t) 0 && loc == cqp_types_get_c_locale());
}

static void
test_error_helpers(void)
{
	CqError		e;
	char		out[512];
	char		tiny[20];

	cq_error_set(&e, CQ_ERR_HTTP, "bad %s\nline %d", "thing", 3);
	CQ_CHECK(e.kind == CQ_ERR_HTTP && strcmp(e.message, "bad thing line 3") == 0 &&
			 e.url[0] == '\0' && e.http_status == 0);
	cq_error_set(NULL, CQ_ERR_HTTP, "x");	/* no crash */
	CQ_CHECK_STR(cq_error_kind_name(CQ_ERR_RATE_LIMIT), "rate_limit");
	CQ_CHECK_STR(cq_error_kind_name(CQ_ERR_VALUE), "value");
	CQ_CHECK_STR(cq_error_kind_name((CqErrorKind) 999), "unknown");

	cq_redact_url("https://user:pa55@api.example.com/v1/x?a=1&token=SECRET&b=2", out, sizeof(out));
	CQ_CHECK_STR(S(out), "https://REDACTED@api.example.com/v1/x?a=1&token=REDACTED&b=2");
	cq_redact_url("https://h/p?api_key=K1&Access_Token=K2&page=3&X-Amz-Signature=K3&sig=K4#frag",
				  out, sizeof(out));
	CQ_CHECK_STR(S(out), "https://h/p?api_key=REDACTED&Access_Token=REDACTED&page=3&X-Amz-Signature=REDACTED&sig=REDACTED#frag");
	cq_redact_url("https://h/p?client_secret=S&password=P&per_page=100&auth=A", out, sizeof(out));
	CQ_CHECK_STR(S(out), "https://h/p?client_secret=REDACTED&password=REDACTED&per_page=100&auth=REDACTED");
	cq_redact_url("https://h/p?access%5Ftoken=S", out, sizeof(out));
	CQ_CHECK_STR(S(out), "https://h/p?access%5Ftoken=REDACTED");
	/* %XY in either case (cqp_pct_byte); a '%' without two hex digits is literal */
	cq_redact_url("https://h/p?%6Bey=S&p%41sswd=T&to%4=U&%4", out, sizeof(out));
	CQ_CHECK_STR(S(out), "https://h/p?%6Bey=REDACTED&p%41sswd=REDACTED&to%4=U&%4");
	cq_redact_url("http://127.0.0.1:8080/a?page=2", out, sizeof(out));
	CQ_CHECK_STR(S(out), "http://127.0.0.1:8080/a?page=2");
	cq_redact_url("https://tok@h/p", out, sizeof(out));
	CQ_CHECK_STR(S(out), "https://REDACTED@h/p");
	cq_redact_url("/relative/path?key=v", out, sizeof(out));
	CQ_CHECK_STR(S(out), "/relative/path?key=REDACTED");
	cq_redact_url("https://h/p?a=1\n2", out, sizeof(out));
	CQ_CHECK_STR(S(out), "https://h/p?a=1?2");
	/* truncation never shows a secret */
	cq_redact_url("https://h/p?token=SECRETSECRETSECRET", tiny, sizeof(tiny));
	CQ_CHECK(strlen(tiny) == 19 && strstr(tiny, "SEC") == NULL);
	cq_redact_url("https://user:SECRETSECRET@host/", tiny, sizeof(tiny));
	CQ_CHECK(strstr(tiny, "SEC") == NULL);
	cq_redact_url(NULL, out, sizeof(out));
	CQ_CHECK(out[0] == '\0');

	cqp_sanitize_copy(tiny, sizeof(tiny), "a\x01\xff\xc3\xa9z", 6);
	CQ_CHECK_STR(S(tiny), "a??\xc3\xa9z");
	cqp_sanitize_copy(tiny, 3, "a\xc3\xa9", 3);	/* no split character */
	CQ_CHECK_STR(S(tiny), "a");
}

static void
test_arena(void)
{
	CqArena    *a = cq_arena_new(1024);
	void	   *p[200];
	size_t		before;
	int			i;
	bool		aligned = true,
				distinct = true;

	CQ_CHECK(a != NULL);
	for (i = 0; i < 200; i++)
	{
		p[i] = cq_arena_alloc(a, (size_t) (i % 37) + 1);
		memset(p[i], i, (size_t) (i % 37) + 1);
		if (((uintptr_t) p[i]) % 16 != 0)
			aligned = false;
	}
	for (i = 0; i < 200; i++)
		if (((unsigned char *) p[i])[0] != (unsigned char) i)
			distinct = false;
	CQ_CHECK(aligned);
	CQ_CHECK(distinct);
	before = cq_arena_bytes(a);
	CQ_CHECK(before >= 200 * 16);
	/* a large allocation gets its own chunk and does not retire the current */
	{
		char	   *big = cq_arena_alloc(a, 100000);
		char	   *s1 = cq_arena_alloc(a, 16);

		CQ_CHECK(big != NULL && ((uintptr_t) big) % 16 == 0);
		memset(big, 1, 100000);
		CQ_CHECK(cq_arena_bytes(a) >= before + 100000);
		CQ_CHECK(cq_arena_bytes(a) < before + 100000 + 1024);
		CQ_CHECK(s1 != NULL);
	}
	CQ_CHECK(cq_arena_alloc(a, 0) != NULL);
	CQ_CHECK(cq_arena_alloc(a, SIZE_MAX) == NULL);
	CQ_CHECK(cq_arena_alloc(NULL, 8) == NULL);
	CQ_CHECK_STR(cqp_arena_strndup(a, "hello world", 5), "hello");
	cq_arena_free(a);
	cq_arena_free(NULL);
	a = cq_arena_new(0);
	CQ_CHECK(a != NULL && cq_arena_alloc(a, 10) != NULL);
	cq_arena_free(a);
}

static char *
read_file(const char *path, size_t *len)
{
	FILE	   *f = fopen(path, "rb");
	char	   *buf;
	long		n;

	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc((size_t) n + 1);
	if (buf && fread(buf, 1, (size_t) n, f) != (size_t) n)
	{
		free(buf);
		buf = NULL;
	}
	fclose(f);
	if (buf)
	{
		buf[n] = '\0';
		*len = (size_t) n;
	}
	return buf;
}

static json_t *
load_fixture(const char *rel)
{
	const char *dir = cqt_shared_fixtures();
	char		path[4300];
	json_error_t jerr;

	if (dir == NULL)
		return NULL;
	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	return json_load_file(path, 0, &jerr);
}

static void
parse_path(json_t *row, const char *ptr, const char *type, CqValue *out, CqError *err)
{
	CqPath	   *p = cq_path_compile(ptr, err);
	CqColType	t;

	cq_type_parse(type, &t);
	memset(out, 0, sizeof(*out));
	out->isnull = 1;
	if (p == NULL || !cqp_path_parse(p, row, t, cqt_arena, out, err))
		out->isnull = 2;
	cq_path_free(p);
}

static void
test_fixtures(void)
{
	json_t	   *gcp,
			   *dop,
			   *k8s;
	CqValue		v;
	CqError		e;
	char		buf[512];

	if (cqt_shared_fixtures() == NULL)
	{
		cqt_skip("types/fixtures", "../shared/fixtures absent");
		return;
	}
	(void) read_file;
	gcp = load_fixture("gcp/zones_us-central1-a_instances.json");
	CQ_CHECK(gcp != NULL);
	if (gcp)
	{
		json_t	   *item = json_array_get(json_object_get(gcp, "items"), 0);

		parse_path(item, "/id", "uint", &v, &e);
		CQ_CHECK(v.isnull == 0 && v.u.u == UINT64_C(4006034190819017667));
		parse_path(item, "/creationTimestamp", "timestamp", &v, &e);
		cq_value_format(&v, buf, sizeof(buf));
		CQ_CHECK_STR(S(buf), "2013-12-13 18:45:23.351+00");
		parse_path(item, "/networkInterfaces/*/networkIP", "inet[]", &v, &e);
		cq_value_format(&v, buf, sizeof(buf));
		CQ_CHECK_STR(S(buf), "{10.240.72.75}");
		parse_path(item, "/networkInterfaces/*/accessConfigs/*/natIP", "inet[]", &v, &e);
		cq_value_format(&v, buf, sizeof(buf));
		CQ_CHECK_STR(S(buf), "{23.236.58.15}");
		parse_path(item, "/metadata/fingerprint", "bytes", &v, &e);
		CQ_CHECK(v.isnull == 0 && v.len == 8);
		parse_path(item, "/canIpForward", "bool", &v, &e);
		CQ_CHECK(v.isnull == 0 && v.u.b == false);
		json_decref(gcp);
	}
	dop = load_fixture("digitalocean/list_nodes_page_1.json");
	CQ_CHECK(dop != NULL);
	if (dop)
	{
		json_t	   *d = json_array_get(json_object_get(dop, "droplets"), 0);

		parse_path(d, "/networks/v6/*/ip_address", "inet[]", &v, &e);
		cq_value_format(&v, buf, sizeof(buf));
		CQ_CHECK_STR(S(buf), "{2604:a880:800:10::2dd:4001}");
		parse_path(d, "/networks/v4/*/ip_address", "inet[]", &v, &e);
		CQ_CHECK(v.isnull == 0 && v.len >= 1);
		parse_path(d, "/networks/v4/*/gateway", "inet[]", &v, &e);
		CQ_CHECK(v.isnull == 0 || v.isnull == 2);	/* "<nil>" gateways exist */
		parse_path(d, "/created_at", "timestamp", &v, &e);
		CQ_CHECK(v.isnull == 0);
		json_decref(dop);
	}
	k8s = load_fixture("kubernetes/pod-list.json");
	CQ_CHECK(k8s != NULL);
	if (k8s)
	{
		const char *body = json_string_value(json_object_get(json_array_get(k8s, 0), "response_body"));
		json_error_t jerr;
		json_t	   *pods = body ? json_loads(body, 0, &jerr) : NULL;
		size_t		i;
		int			nok = 0,
					n = 0;

		CQ_CHECK(pods != NULL);
		for (i = 0; i < json_array_size(json_object_get(pods, "items")); i++)
		{
			json_t	   *pod = json_array_get(json_object_get(pods, "items"), i);

			n++;
			parse_path(pod, "/metadata/uid", "uuid", &v, &e);
			if (v.isnull == 0)
				nok++;
			parse_path(pod, "/metadata/creationTimestamp", "timestamp", &v, &e);
			if (v.isnull == 0)
				nok++;
			parse_path(pod, "/status/podIPs/*/ip", "inet[]", &v, &e);
			if (v.isnull == 0 && v.len >= 1)
				nok++;
			parse_path(pod, "/metadata/labels", "json", &v, &e);
			if (v.isnull == 0)
				json_decref(v.u.json);
			parse_path(pod, "/status/conditions/*/lastProbeTime", "timestamp[]", &v, &e);
			if (v.isnull == 0 && v.len >= 1 && v.u.arr[0].isnull)
				nok++;
		}
		CQ_CHECKF(n > 0 && nok == 4 * n, "k8s pods %d ok %d", n, nok);
		json_decref(pods);
		json_decref(k8s);
	}
}

void
suite_types(void)
{
	cqt_types_begin();
	test_names();
	test_nulls();
	test_json();
	test_arrays();
	test_value_errors();
	test_value_fail_direct();
	test_error_helpers();
	test_arena();
	test_fixtures();
	cqt_types_end();
}
