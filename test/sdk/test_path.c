/*
 * test_path.c -- unit tests of CqPath (path.c): RFC 6901 JSON pointers,
 * "*" wildcards over arrays and objects in document order, compile errors,
 * missing paths, and column extraction (cqp_path_parse).
 */
#include <stdlib.h>
#include <string.h>

#include "cq_sdk.h"
#include "cq_sdk_int.h"
#include "cqtest.h"

void		suite_path(void);

static const char *doc_text =
"{"
"  \"a\": {\"b\": {\"c\": 42}},"
"  \"arr\": [10, 20, 30],"
"  \"a/b\": 1, \"m~n\": 2, \"\": 3, \"~1\": 4, \"0\": \"zero\","
"  \"items\": {"
"    \"zones/z1\": {\"instances\": [{\"name\": \"i1\"}, {\"name\": \"i2\"}]},"
"    \"zones/z2\": {\"warning\": \"none\"},"
"    \"zones/z3\": {\"instances\": [{\"name\": \"i3\"}, {\"noname\": true}, {\"name\": null}]}"
"  },"
"  \"nets\": [{\"ips\": [\"10.0.0.1\", \"10.0.0.2\"]}, {\"ips\": []}, {\"ips\": [\"::1\"]}],"
"  \"n\": null,"
"  \"obj\": {\"z\": 1, \"y\": 2, \"x\": 3}"
"}";

static json_t *doc;

static json_t *
get(const char *ptr)
{
	CqError		e;
	CqPath	   *p = cq_path_compile(ptr, &e);
	json_t	   *r;

	if (p == NULL)
		return NULL;
	r = cq_path_get(p, doc);
	cq_path_free(p);
	return r;
}

static bool
compile_fails(const char *ptr)
{
	CqError		e;
	CqPath	   *p;

	memset(&e, 0, sizeof(e));
	p = cq_path_compile(ptr, &e);
	if (p != NULL)
	{
		cq_path_free(p);
		return false;
	}
	return e.kind == CQ_ERR_CONFIG && e.message[0] != '\0';
}

typedef struct Collect
{
	char		out[512];
	int			stop_after;
	int			n;
} Collect;

static bool
collect(json_t *m, void *arg)
{
	Collect    *c = arg;
	char	   *t = json_dumps(m, JSON_COMPACT | JSON_ENCODE_ANY);
	size_t		l = strlen(c->out);

	snprintf(c->out + l, sizeof(c->out) - l, "%s%s", l ? "," : "", t ? t : "?");
	free(t);
	c->n++;
	return c->stop_after == 0 || c->n < c->stop_after;
}

/* all matches of ptr as "m1,m2,..." (compact JSON) and their count */
static size_t
each(const char *ptr, char *out, size_t outlen, int stop_after)
{
	CqError		e;
	CqPath	   *p = cq_path_compile(ptr, &e);
	Collect		c;
	size_t		n;

	memset(&c, 0, sizeof(c));
	c.stop_after = stop_after;
	if (p == NULL)
	{
		snprintf(out, outlen, "<compile error>");
		return 0;
	}
	n = cq_path_each(p, doc, collect, &c);
	snprintf(out, outlen, "%s", c.out);
	cq_path_free(p);
	return n;
}

#define EACH(ptr, nexp, sexp) \
	do { \
		char		b_[512]; \
		size_t		n_ = each(ptr, b_, sizeof(b_), 0); \
		CQ_CHECKF(n_ == (nexp) && strcmp(b_, sexp) == 0, "%s: %zu \"%s\", expected %d \"%s\"", \
				  ptr, n_, b_, (int) (nexp), sexp); \
	} while (0)

static void
test_compile(void)
{
	CqError		e;
	CqPath	   *p;

	CQ_CHECK(compile_fails("~2"));
	CQ_CHECK(compile_fails("/a~2"));
	CQ_CHECK(compile_fails("/a~"));
	CQ_CHECK(compile_fails("/~x/b"));
	CQ_CHECK(compile_fails("a/b"));
	CQ_CHECK(compile_fails("*"));
	CQ_CHECK(compile_fails(NULL));
	{
		char	   *big = malloc(5000);

		memset(big, 'a', 4999);
		big[0] = '/';
		big[4999] = '\0';
		CQ_CHECK(compile_fails(big));
		free(big);
	}
	memset(&e, 0, sizeof(e));
	CQ_CHECK(cq_path_compile("/a~2", &e) == NULL && strstr(e.message, "escape") &&
			 strcmp(e.path, "/a~2") == 0);
	p = cq_path_compile("/a", NULL);
	cq_path_free(p);
	CQ_CHECK(cq_path_compile("bad", NULL) == NULL);

	p = cq_path_compile("", &e);
	CQ_CHECK(p != NULL && !cq_path_has_wildcard(p));
	cq_path_free(p);
	p = cq_path_compile("/x/*/y", &e);
	CQ_CHECK(p != NULL && cq_path_has_wildcard(p));
	cq_path_free(p);
	p = cq_path_compile("/x/a*/y", &e);
	CQ_CHECK(p != NULL && !cq_path_has_wildcard(p));
	cq_path_free(p);
	CQ_CHECK(!cq_path_has_wildcard(NULL));
	cq_path_free(NULL);
}

static void
test_get(void)
{
	CQ_CHECK(get("") == doc);
	CQ_CHECK(json_integer_value(get("/a/b/c")) == 42);
	CQ_CHECK(json_is_object(get("/a/b")));
	CQ_CHECK(json_integer_value(get("/arr/0")) == 10);
	CQ_CHECK(json_integer_value(get("/arr/2")) == 30);
	CQ_CHECK(get("/arr/3") == NULL);
	CQ_CHECK(get("/arr/-") == NULL);
	CQ_CHECK(get("/arr/01") == NULL);	/* leading zero is not an index */
	CQ_CHECK(get("/arr/-1") == NULL);
	CQ_CHECK(get("/arr/x") == NULL);
	CQ_CHECK(get("/arr/99999999999999999999") == NULL);
	/* RFC 6901 escapes and odd keys */
	CQ_CHECK(json_integer_value(get("/a~1b")) == 1);
	CQ_CHECK(json_integer_value(get("/m~0n")) == 2);
	CQ_CHECK(json_integer_value(get("/")) == 3);
	CQ_CHECK(json_integer_value(get("/~01")) == 4);	/* "~01" is "~1", not "/" */
	CQ_CHECK_STR(json_string_value(get("/0")), "zero");	/* numeric key on object */
	/* missing */
	CQ_CHECK(get("/nope") == NULL);
	CQ_CHECK(get("/a/b/c/d") == NULL);
	CQ_CHECK(get("/a/nope/c") == NULL);
	CQ_CHECK(get("/arr/0/x") == NULL);
	/* null is present */
	CQ_CHECK(json_is_null(get("/n")));
	CQ_CHECK(get("/n/x") == NULL);
	/* wildcard in get: first match */
	CQ_CHECK_STR(json_string_value(get("/items/*/instances/*/name")), "i1");
	CQ_CHECK(get("/a/*/zz") == NULL);
	CQ_CHECK(cq_path_get(NULL, doc) == NULL);
}

static void
test_each(void)
{
	char		b[512];
	CqError		e;
	CqPath	   *p;

	EACH("/arr/*", 3, "10,20,30");
	EACH("/obj/*", 3, "1,2,3");	/* document order, not key order */
	EACH("/items/*/instances/*/name", 4, "\"i1\",\"i2\",\"i3\",null");
	EACH("/items/*/instances", 2, "[{\"name\":\"i1\"},{\"name\":\"i2\"}],"
		 "[{\"name\":\"i3\"},{\"noname\":true},{\"name\":null}]");
	EACH("/items/*/warning", 1, "\"none\"");
	EACH("/nets/*/ips/*", 3, "\"10.0.0.1\",\"10.0.0.2\",\"::1\"");
	EACH("/nets/*/ips", 3, "[\"10.0.0.1\",\"10.0.0.2\"],[],[\"::1\"]");
	EACH("/a/b/c", 1, "42");
	EACH("/nope/*", 0, "");
	EACH("/arr/*/x", 0, "");
	EACH("/a/b/c/*", 0, "");	/* wildcard over a scalar: nothing */
	EACH("/n/*", 0, "");
	EACH("/*/b", 1, "{\"c\":42}");
	/* early stop */
	CQ_CHECK(each("/arr/*", b, sizeof(b), 2) == 2 && strcmp(b, "10,20") == 0);
	CQ_CHECK(each("/items/*/instances/*", b, sizeof(b), 1) == 1);
	/* counting with fn NULL */
	p = cq_path_compile("/items/*/instances/*", &e);
	CQ_CHECK(cq_path_each(p, doc, NULL, NULL) == 5);
	CQ_CHECK(cq_path_each(p, NULL, NULL, NULL) == 0);
	cq_path_free(p);
	p = cq_path_compile("", &e);
	CQ_CHECK(cq_path_each(p, doc, NULL, NULL) == 1);
	cq_path_free(p);
}

static void
test_extract(void)
{
	CqArena    *arena = cq_arena_new(0);
	CqError		e;
	CqValue		v;
	CqColType	t;
	CqPath	   *p;
	char		buf[256];

	p = cq_path_compile("/nets/*/ips/*", &e);
	cq_type_parse("inet[]", &t);
	CQ_CHECK(cqp_path_parse(p, doc, t, arena, &v, &e) && v.len == 3);
	cq_value_format(&v, buf, sizeof(buf));
	CQ_CHECK(strcmp(buf, "{10.0.0.1,10.0.0.2,::1}") == 0);
	cq_path_free(p);

	/* one level of array matches is flattened */
	p = cq_path_compile("/nets/*/ips", &e);
	CQ_CHECK(cqp_path_parse(p, doc, t, arena, &v, &e) && v.len == 3);
	cq_path_free(p);

	/* no match: empty array, not null */
	p = cq_path_compile("/nope/*/x", &e);
	CQ_CHECK(cqp_path_parse(p, doc, t, arena, &v, &e) && !v.isnull && v.len == 0);
	cq_path_free(p);

	/* a bad element fails the value and names the index */
	p = cq_path_compile("/arr/*", &e);
	CQ_CHECK(!cqp_path_parse(p, doc, t, arena, &v, &e) && v.isnull &&
			 e.kind == CQ_ERR_VALUE && strstr(e.message, "array element 0"));
	cq_type_parse("int[]", &t);
	CQ_CHECK(cqp_path_parse(p, doc, t, arena, &v, &e) && v.len == 3 &&
			 v.u.arr[2].u.i == 30);
	/* json over a wildcard: the matches as one array */
	cq_type_parse("json", &t);
	CQ_CHECK(cqp_path_parse(p, doc, t, arena, &v, &e) && json_is_array(v.u.json) &&
			 json_array_size(v.u.json) == 3);
	if (!v.isnull)
		json_decref(v.u.json);
	/* scalar type over a wildcard: the first match */
	cq_type_parse("int", &t);
	CQ_CHECK(cqp_path_parse(p, doc, t, arena, &v, &e) && v.u.i == 10);
	cq_path_free(p);

	/* nulls among matches stay null elements */
	p = cq_path_compile("/items/*/instances/*/name", &e);
	cq_type_parse("string[]", &t);
	CQ_CHECK(cqp_path_parse(p, doc, t, arena, &v, &e) && v.len == 4 && v.u.arr[3].isnull);
	cq_value_format(&v, buf, sizeof(buf));
	CQ_CHECK(strcmp(buf, "{i1,i2,i3,NULL}") == 0);
	cq_path_free(p);

	/* no wildcard: plain get; missing -> null */
	p = cq_path_compile("/a/b/c", &e);
	cq_type_parse("int", &t);
	CQ_CHECK(cqp_path_parse(p, doc, t, arena, &v, &e) && v.u.i == 42);
	cq_path_free(p);
	p = cq_path_compile("/a/x", &e);
	CQ_CHECK(cqp_path_parse(p, doc, t, arena, &v, &e) && v.isnull);
	cq_path_free(p);
	/* json[] over wildcard keeps array matches whole, with references */
	p = cq_path_compile("/nets/*/ips", &e);
	cq_type_parse("json[]", &t);
	CQ_CHECK(cqp_path_parse(p, doc, t, arena, &v, &e) && v.len == 3 &&
			 json_is_array(v.u.arr[0].u.json));
	for (uint32_t i = 0; i < v.len; i++)
		json_decref(v.u.arr[i].u.json);
	cq_path_free(p);
	cq_arena_free(arena);
}

/* cqp_path_gather of ptr over doc as compact JSON */
static const char *
gather(const char *ptr)
{
	static char out[512];
	CqError		e;
	CqPath	   *p = cq_path_compile(ptr, &e);
	json_t	   *arr = json_array();
	char	   *t;

	cqp_path_gather(p, doc, arr);
	t = json_dumps(arr, JSON_COMPACT);
	snprintf(out, sizeof(out), "%s", t);
	free(t);
	json_decref(arr);
	cq_path_free(p);
	return out;
}

/* a wildcard path's value: missing leaf members are null elements */
static void
test_gather(void)
{
	CQ_CHECK_STR(gather("/items/*/instances/*/name"), "[\"i1\",\"i2\",\"i3\",null,null]");
	CQ_CHECK_STR(gather("/nets/*/ips"), "[[\"10.0.0.1\",\"10.0.0.2\"],[],[\"::1\"]]");
	CQ_CHECK_STR(gather("/nets/*/ips/*"), "[\"10.0.0.1\",\"10.0.0.2\",\"::1\"]");
	CQ_CHECK_STR(gather("/arr/*/x"), "[null,null,null]");
	CQ_CHECK_STR(gather("/items/*/instances/0/name"), "[\"i1\",null,\"i3\"]");
	CQ_CHECK_STR(gather("/nets/1/ips/*"), "[]");
	CQ_CHECK_STR(gather("/obj/*"), "[1,2,3]");
	/* nothing to range over (missing, null, a scalar): no element */
	CQ_CHECK_STR(gather("/nope/*/x"), "[]");
	CQ_CHECK_STR(gather("/n/*"), "[]");
	CQ_CHECK_STR(gather("/a/b/c/*"), "[]");
}

/* rows of a pod list with their pods: "^" paths and lookups (path.c) */
typedef struct UpRows
{
	json_t	   *row[8];
	json_t	   *up[8][CQ_PATH_MAX_UP];
	int			nup[8];
	int			n;
} UpRows;

static bool
up_collect(json_t *m, json_t *const *up, int nup, void *arg)
{
	UpRows	   *r = arg;
	size_t		i;
	json_t	   *e;

	json_array_foreach(m, i, e)
	{
		if (r->n == 8)
			return false;
		r->row[r->n] = e;
		r->nup[r->n] = nup;
		for (int k = 0; k < nup; k++)
			r->up[r->n][k] = up[k];
		r->n++;
	}
	return true;
}

static char *
env_get(const char *ptr, UpRows *r, int i, json_t *var)
{
	CqError		e;
	CqPath	   *p = cqp_path_compile_column(ptr, &e);
	CqPathEnv	env = {r->up[i], r->nup[i], &var, var ? 1 : 0};
	json_t	   *v;
	char	   *s;

	if (p == NULL)
		return strdup("<compile error>");
	if (cq_path_has_wildcard(p))
	{
		v = json_array();
		cqp_path_gather_env(p, r->row[i], v, &env);
	}
	else
		v = json_incref(cqp_path_get_env(p, r->row[i], &env));
	cq_path_free(p);
	s = v ? json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT) : strdup("<missing>");
	json_decref(v);
	return s;
}

#define CQ_CHECK_OWN(expr, want) \
	do { char *_s = (expr); CQ_CHECKF(_s && strcmp(_s, (want)) == 0, "got %s, want %s", _s ? _s : "NULL", (want)); free(_s); } while (0)

static void
test_up_lookup(void)
{
	json_error_t jerr;
	json_t	   *pods = json_loads(
		"{\"items\": ["
		" {\"metadata\": {\"name\": \"p1\", \"uid\": \"u1\"},"
		"  \"spec\": {\"containers\": [{\"name\": \"app\", \"image\": \"a:1\"}, {\"name\": \"side\", \"image\": \"s:2\"}]},"
		"  \"status\": {\"containerStatuses\": [{\"name\": \"side\", \"ready\": false, \"n\": 7},"
		"                                       {\"name\": \"app\", \"ready\": true, \"n\": 3}]}},"
		" {\"metadata\": {\"name\": \"p2\"}, \"spec\": {\"containers\": [{\"name\": \"only\"}]}}"
		"], \"nets\": {\"v4\": [{\"ip\": \"10.0.0.1\", \"type\": \"private\"}], \"v6\": [{\"ip\": \"::1\", \"type\": \"public\"}]}}",
		0, &jerr);
	CqError		e;
	CqPath	   *rows;
	UpRows		r;
	json_t	   *name;

	memset(&r, 0, sizeof(r));
	rows = cq_path_compile("/items/*/spec/containers", &e);
	CQ_CHECK(pods && rows && cqp_path_each_up(rows, pods, up_collect, &r) == 2 && r.n == 3);
	cq_path_free(rows);
	CQ_CHECK(r.nup[0] == 1 && r.nup[2] == 1 && r.up[0][0] == json_array_get(json_object_get(pods, "items"), 0));
	/* "^": the pod the container belongs to */
	CQ_CHECK_OWN(env_get("^/metadata/name", &r, 1, NULL), "\"p1\"");
	CQ_CHECK_OWN(env_get("^/metadata/name", &r, 2, NULL), "\"p2\"");
	CQ_CHECK_OWN(env_get("^/metadata/uid", &r, 2, NULL), "<missing>");
	CQ_CHECK_OWN(env_get("^^/metadata/name", &r, 0, NULL), "<missing>");
	CQ_CHECK_OWN(env_get("/image", &r, 1, NULL), "\"s:2\"");
	/* the status of the same container, by name whatever the order */
	name = json_object_get(r.row[0], "name");
	CQ_CHECK_OWN(env_get("^/status/containerStatuses[name=$name]/ready", &r, 0, name), "true");
	CQ_CHECK_OWN(env_get("^/status/containerStatuses[name=$name]/n", &r, 0, name), "3");
	name = json_object_get(r.row[1], "name");
	CQ_CHECK_OWN(env_get("^/status/containerStatuses[name=$name]/ready", &r, 1, name), "false");
	/* no status list / no such element / no value: missing */
	name = json_object_get(r.row[2], "name");
	CQ_CHECK_OWN(env_get("^/status/containerStatuses[name=$name]/ready", &r, 2, name), "<missing>");
	CQ_CHECK_OWN(env_get("^/status/containerStatuses[name=$name]/ready", &r, 0, NULL), "<missing>");
	/* a literal value; a number compared by its text */
	CQ_CHECK_OWN(env_get("^/status/containerStatuses[name=side]/n", &r, 0, NULL), "7");
	CQ_CHECK_OWN(env_get("^/status/containerStatuses[n=3]/name", &r, 0, NULL), "\"app\"");
	CQ_CHECK_OWN(env_get("^/status/containerStatuses[ready=true]/name", &r, 1, NULL), "\"app\"");
	CQ_CHECK_OWN(env_get("^/spec/containers[name=nope]", &r, 0, NULL), "<missing>");
	/* a lookup after a wildcard, and "[...]" on the current value */
	CQ_CHECK_OWN(env_get("^/spec/containers[name=side]/image", &r, 0, NULL), "\"s:2\"");

	/* two levels: rows over an object of arrays (DigitalOcean networks) */
	memset(&r, 0, sizeof(r));
	rows = cq_path_compile("/nets/*", &e);
	CQ_CHECK(rows && cqp_path_each_up(rows, pods, up_collect, &r) == 2 && r.n == 2);
	cq_path_free(rows);
	CQ_CHECK_OWN(env_get("^", &r, 1, NULL), "[{\"ip\":\"::1\",\"type\":\"public\"}]");
	CQ_CHECK_OWN(env_get("/ip", &r, 1, NULL), "\"::1\"");

	/* compile: '^' and lookups only in column paths */
	CQ_CHECK(compile_fails("^/a"));
	rows = cq_path_compile("/a[b=c]", &e);
	CQ_CHECK(rows != NULL);	/* a plain key there */
	cq_path_free(rows);
	CQ_CHECK_OWN(env_get("^^^^^/a", &r, 0, NULL), "<compile error>");
	CQ_CHECK_OWN(env_get("/a[=x]", &r, 0, NULL), "<compile error>");
	{
		CqPath	   *p = cqp_path_compile_column("^^/x[a=$col]/y[b=$col]/z[c=$other]", &e);

		CQ_CHECK(p && cqp_path_up(p) == 2 && cqp_path_has_lookup(p) && cqp_path_nvars(p) == 2 &&
				 strcmp(cqp_path_var(p, 0), "col") == 0 && strcmp(cqp_path_var(p, 1), "other") == 0);
		cq_path_free(p);
	}
	json_decref(pods);
}

void
suite_path(void)
{
	json_error_t jerr;

	doc = json_loads(doc_text, 0, &jerr);
	CQ_CHECKF(doc != NULL, "fixture: %s", jerr.text);
	if (doc == NULL)
		return;
	test_compile();
	test_get();
	test_each();
	test_extract();
	test_gather();
	test_up_lookup();
	json_decref(doc);
}
