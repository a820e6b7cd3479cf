/*
 * test_job_json.c -- suite `job_json`: src/sdk/job_json.c, JSON text
 * without a tree.  Direct tests of the limits pre-scan, number quoting and
 * loading, the strict scanner (what it accepts, where it finds the rows,
 * what it hands back to jansson) and the jansson values of validated
 * tokens; then numbers beyond a double's precision or range through whole
 * offline pages, on the fast path and on the full tree.
 */
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cq_sdk_int.h"
#include "job_int.h"
#include "cqtest.h"
#include "jobtest.h"

void		suite_job_json(void);

static void
test_prescan(void)
{
	CqError		err;
	size_t		nbig,
				nreal;
	const char *doc = "{\"a\":[1,2.5,-3e2,123456789012345678901234567890],\"s\":\"[[[[\"}";

	memset(&err, 0, sizeof(err));
	/* brackets inside strings do not count; numbers are classified */
	CQ_CHECK(cqp_job_json_prescan(doc, strlen(doc), 2, 100, &nbig, &nreal, &err));
	CQ_CHECK(nbig == 1 && nreal == 2);
	CQ_CHECK(!cqp_job_json_prescan(doc, strlen(doc), 1, 100, &nbig, &nreal, &err));
	CQ_CHECK(err.kind == CQ_ERR_LIMIT);
	CQ_CHECK_STR(err.setting, "max_json_depth");
	CQ_CHECK_STR(err.message, "JSON nested deeper than 1 levels (max_json_depth)");
	memset(&err, 0, sizeof(err));
	CQ_CHECK(!cqp_job_json_prescan(doc, strlen(doc), 10, 3, &nbig, &nreal, &err));
	CQ_CHECK_STR(err.setting, "max_string_bytes");
	/* the length bounds the scan: the long string is never reached */
	CQ_CHECK(cqp_job_json_prescan(doc, 10, 10, 3, &nbig, &nreal, &err));
}

static void
test_quote_and_load(void)
{
	const char *big = "{\"a\":123456789012345678901234567890,\"b\":0.5,\"c\":\"9e999\"}";
	json_t	   *d;
	json_error_t jerr;
	size_t		ql;
	char	   *q;

	/* jansson alone refuses the whole text for one number */
	CQ_CHECK(json_loadb(big, strlen(big), 0, &jerr) == NULL);
	/* quoted: the number's text becomes a string, nothing else changes */
	q = cqp_job_quote_numbers(big, strlen(big), 1, false, &ql);
	CQ_CHECK(q != NULL && ql == strlen(big) + 2);
	CQ_CHECK(q && strncmp(q, "{\"a\":\"123456789012345678901234567890\",\"b\":0.5,", 46) == 0);
	free(q);
	d = cqp_job_load_json(big, strlen(big), 0, false, NULL);
	CQ_CHECK(d && json_is_string(json_object_get(d, "a")) && json_is_real(json_object_get(d, "b")));
	json_decref(d);
	/* exact: every real keeps its text too (numeric columns) */
	d = cqp_job_load_json(big, strlen(big), 0, true, NULL);
	CQ_CHECK(d && json_is_string(json_object_get(d, "b")));
	CQ_CHECK(d && strcmp(json_string_value(json_object_get(d, "b")), "0.5") == 0);
	CQ_CHECK(d && strcmp(json_string_value(json_object_get(d, "c")), "9e999") == 0);
	json_decref(d);
	/* a real beyond a double's range is quoted as well */
	d = cqp_job_load_json("[1e400,2]", 9, 0, false, NULL);
	CQ_CHECK(d && json_is_string(json_array_get(d, 0)) && json_is_integer(json_array_get(d, 1)));
	json_decref(d);
	/* invalid JSON stays invalid */
	CQ_CHECK(cqp_job_load_json("[1,", 3, 0, false, &jerr) == NULL);
	CQ_CHECK(cqp_job_load_json("[1,", 3, 0, true, NULL) == NULL);
}

/* Scan `s` looking for rows at pointer segments `segs` (NULL = none). */
static const char *
scan(const char *s, FastScan *sc, FastRows *want, int nseg, const char *const *segs)
{
	memset(sc, 0, sizeof(*sc));
	memset(want, 0, sizeof(*want));
	sc->maxdepth = 64;
	sc->maxstr = 1000;
	if (segs)
	{
		want->ok = true;
		want->nseg = nseg;
		for (int i = 0; i < nseg; i++)
		{
			want->seg[i] = (char *) segs[i];
			want->seglen[i] = strlen(segs[i]);
		}
		sc->want = want;
	}
	return cqp_job_fast_value(sc, cqp_job_fast_ws(s, s + strlen(s)), s + strlen(s), segs ? 0 : -1);
}

static void
test_scanner(void)
{
	static const char *const items[] = {"data", "items"};
	const char *ok = " {\"data\":{\"n\":1,\"items\":[{\"id\":1},null,{\"id\":\"\\u00e9\"}]},\"t\":true} ";
	FastScan	sc;
	FastRows	w;
	const char *e;

	/* valid JSON: the end of the value, the rows found and counted */
	e = scan(ok, &sc, &w, 2, items);
	CQ_CHECK(e != NULL && cqp_job_fast_ws(e, ok + strlen(ok)) == ok + strlen(ok));
	CQ_CHECK(sc.found.p != NULL && *sc.found.p == '[' && sc.found.e[-1] == ']');
	CQ_CHECK(sc.count == 2);	/* null elements are not rows */
	CQ_CHECK(sc.depth == 0 && !sc.arr_on_path);
	/* strict: each of these falls back to jansson (NULL) */
	CQ_CHECK(scan("[01]", &sc, &w, 0, NULL) == NULL);
	CQ_CHECK(scan("[1,]", &sc, &w, 0, NULL) == NULL);
	CQ_CHECK(scan("{\"a\" 1}", &sc, &w, 0, NULL) == NULL);
	CQ_CHECK(scan("\"\\udc00\"", &sc, &w, 0, NULL) == NULL);	/* lone surrogate */
	CQ_CHECK(scan("\"\xc0\xaf\"", &sc, &w, 0, NULL) == NULL);	/* overlong UTF-8 */
	CQ_CHECK(scan("\"a\tb\"", &sc, &w, 0, NULL) == NULL);		/* raw control */
	CQ_CHECK(scan("[1e400]", &sc, &w, 0, NULL) != NULL);	/* syntax only */
	/* depth bound */
	{
		char		deep[200];

		memset(deep, '[', 70);
		memset(deep + 70, ']', 70);
		deep[140] = '\0';
		CQ_CHECK(scan(deep, &sc, &w, 0, NULL) == NULL);
		deep[60] = '\0';
		memset(deep, '[', 30);
		memset(deep + 30, ']', 30);
		CQ_CHECK(scan(deep, &sc, &w, 0, NULL) != NULL);
	}
	/* the rows path through an array: give up */
	{
		static const char *const through[] = {"data", "0"};

		scan("{\"data\":[[1]]}", &sc, &w, 2, through);
		CQ_CHECK(sc.arr_on_path || sc.found.p == NULL);
	}
}

static void
test_make(void)
{
	const char *s;
	json_t	   *v;

#define MAKE(txt) (s = (txt), cqp_job_fast_make(s, s + strlen(s)))
	v = MAKE("\"a\\nb\\u00e9\"");
	CQ_CHECK(v && json_is_string(v) && strcmp(json_string_value(v), "a\nb\xc3\xa9") == 0);
	json_decref(v);
	v = MAKE("-42");
	CQ_CHECK(v && json_is_integer(v) && json_integer_value(v) == -42);
	json_decref(v);
	v = MAKE("2.5e1");
	CQ_CHECK(v && json_is_real(v) && json_real_value(v) == 25.0);
	json_decref(v);
	v = MAKE("1e400");		/* beyond a double: its text, as the full path */
	CQ_CHECK(v && json_is_string(v) && strcmp(json_string_value(v), "1e400") == 0);
	json_decref(v);
	v = MAKE("{\"k\":[true,null]}");
	CQ_CHECK(v && json_is_object(v) && json_is_array(json_object_get(v, "k")));
	json_decref(v);
	/* exact: numbers keep their text, inside containers too */
	s = "0.10";
	v = cqp_job_fast_make_exact(s, s + 4);
	CQ_CHECK(v && json_is_string(v) && strcmp(json_string_value(v), "0.10") == 0);
	json_decref(v);
	s = "[1.50,2]";
	v = cqp_job_fast_make_exact(s, s + strlen(s));
	CQ_CHECK(v && json_is_array(v) && json_is_string(json_array_get(v, 0)) &&
			 strcmp(json_string_value(json_array_get(v, 0)), "1.50") == 0);
	json_decref(v);
#undef MAKE
}

#define NUM_COLS \
	"{\"name\":\"id\",\"type\":\"int\"},{\"name\":\"dec\",\"type\":\"numeric\"}," \
	"{\"name\":\"tiny\",\"type\":\"numeric\"},{\"name\":\"huge\",\"type\":\"float\"}," \
	"{\"name\":\"i\",\"type\":\"int\"},{\"name\":\"nd\",\"type\":\"numeric\",\"path\":\"/nested/dec\"}," \
	"{\"name\":\"nh\",\"type\":\"float\",\"path\":\"/nested/huge\"}," \
	"{\"name\":\"nds\",\"type\":\"numeric[]\",\"path\":\"/nested/*\"}," \
	"{\"name\":\"blob\",\"type\":\"bytes\"}," \
	"{\"name\":\"ips\",\"type\":\"inet[]\",\"path\":\"/networks/*/ip\"}," \
	"{\"name\":\"ipj\",\"type\":\"json\",\"path\":\"/networks/*/ip\"}"
#define NUM_ROWS \
	"{\"id\":1,\"dec\":123456789012345678901234567890.12345678901234567890,\"tiny\":1e-400," \
	"\"huge\":1e400,\"i\":7,\"nested\":{\"dec\":0.1000000000000000000000000001,\"huge\":-1E+400}," \
	"\"blob\":\"\\\\x48656c6c6f\",\"networks\":[{\"ip\":\"10.0.0.1\"},{\"name\":\"no ip\"},{\"ip\":\"10.0.0.3\"}]}," \
	"{\"id\":2,\"dec\":19.90,\"tiny\":0,\"huge\":2.5,\"i\":1e400,\"nested\":{\"dec\":1,\"huge\":3}," \
	"\"blob\":\"SGVsbG8=\",\"networks\":[]}," \
	"{\"id\":3,\"dec\":-1e-51,\"tiny\":1E-400,\"i\":-1e400,\"nested\":null," \
	"\"blob\":\"\\\\x 00 ff\",\"networks\":[null,{\"ip\":null},{}]}," \
	"{\"id\":4,\"dec\":1e400,\"tiny\":12345678901234567890.5,\"huge\":-1e400,\"i\":3," \
	"\"nested\":{\"dec\":2.000000000000000000001},\"blob\":\"\\\\xzz\",\"networks\":{}}"

static void
test_numbers(void)
{
	const char *want =
		"1|123456789012345678901234567890.12345678901234567890|1e-400|<null>|7|"
		"0.1000000000000000000000000001|<null>|{0.1000000000000000000000000001,-1e+400}|"
		"\\x48656c6c6f|{10.0.0.1,NULL,10.0.0.3}|[\"10.0.0.1\",null,\"10.0.0.3\"]\n"
		"2|19.90|0|2.5|<null>|1|3|{1,3}|\\x48656c6c6f|{}|[]\n"
		"3|-1e-51|1e-400|<null>|<null>|<null>|<null>|{}|\\x00ff|{NULL,NULL,NULL}|[null,null,null]\n"
		"4|1e400|12345678901234567890.5|<null>|3|2.000000000000000000001|<null>|"
		"{2.000000000000000000001}|<null>|{}|[]\n";
	const char *bodies[2] = {
		"{\"items\":[" NUM_ROWS "]}",
		"{\"items\":[" NUM_ROWS "],\"big\":123456789012345678901234567890}"
	};

	/* digits beyond a double's precision, nothing out of range */
	for (int full = 0; full < 2; full++)
	{
		char	   *txt;
		CqError		err;
		CqJobState	st = h3_render_page(EQ_TABLE("", "{\"name\":\"d\",\"type\":\"numeric\"},"
												  "{\"name\":\"p\",\"type\":\"numeric\",\"path\":\"/o/p\"}"),
									 "[{\"d\":3.14159265358979323846264338327950288,\"o\":{\"p\":1e-400}},"
									 "{\"d\":19.90,\"o\":{\"p\":0.1}}]", full, &txt, &err);

		CQ_CHECKF(st == CQ_JOB_DONE, "full %d: %s", full, err.message);
		CQ_CHECK_STR(txt, "3.14159265358979323846264338327950288|1e-400\n19.90|0.1\n");
		free(txt);
	}
	for (int slow = 0; slow < 2; slow++)
		for (int full = 0; full < 2; full++)
		{
			char	   *txt;
			CqError		err;
			CqJobState	st = h3_render_page(EQ_TABLE("/items", NUM_COLS), bodies[slow],
										 full, &txt, &err);

			CQ_CHECKF(st == CQ_JOB_DONE, "slow %d full %d: %s", slow, full, err.message);
			CQ_CHECKF(strcmp(txt, want) == 0, "slow %d full %d:\n got: %s\nwant: %s",
					  slow, full, txt, want);
			free(txt);
		}
}

void
suite_job_json(void)
{
	test_prescan();
	test_quote_and_load();
	test_scanner();
	test_make();
	test_numbers();
}
