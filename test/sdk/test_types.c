/*
 * test_types.c -- unit tests of the SDK type system (types.c), and of the
 * helpers it rests on: CqError (error.c) and CqArena (arena.c).
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
#include "cqtest.h"

void		suite_types(void);

static CqArena *arena;

/* arrays decay through a call, so CQ_CHECK_STR's NULL test stays meaningful */
static const char *
S(const char *p)
{
	return p;
}

static json_t *
load(const char *json)
{
	json_error_t jerr;

	return json_loads(json, JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);
}

/* parse json text as type; format into buf; returns parse result */
static bool
parse_fmt(const char *type, const char *json, char *buf, size_t buflen,
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
	v = load(json);
	if (v == NULL)
	{
		snprintf(buf, buflen, "<bad json %s>", json);
		return false;
	}
	memset(err, 0, sizeof(*err));
	ok = cq_value_parse(v, t, arena, out, err);
	if (ok)
		cq_value_format(out, buf, buflen);
	json_decref(v);
	return ok;
}

/* release json references held by a parsed value */
static void
drop(CqValue *v)
{
	if (v->isnull)
		return;
	if (v->is_array)
	{
		for (uint32_t i = 0; i < v->len; i++)
			drop(&v->u.arr[i]);
	}
	else if (v->type == CQ_T_JSON)
		json_decref(v->u.json);
}

#define OK(type, json, expect) \
	do { \
		char		buf_[1024]; \
		CqValue		v_; \
		CqError		e_; \
		bool		ok_ = parse_fmt(type, json, buf_, sizeof(buf_), &v_, &e_); \
		CQ_CHECKF(ok_ && !v_.isnull && strcmp(buf_, expect) == 0, \
				  "%s %s: ok=%d got \"%s\" expected \"%s\" (%s)", type, json, ok_, \
				  buf_, expect, e_.message); \
		if (ok_) drop(&v_); \
	} while (0)

#define BAD(type, json) \
	do { \
		char		buf_[1024]; \
		CqValue		v_; \
		CqError		e_; \
		bool		ok_ = parse_fmt(type, json, buf_, sizeof(buf_), &v_, &e_); \
		CQ_CHECKF(!ok_ && v_.isnull && e_.kind == CQ_ERR_VALUE && \
				  strncmp(e_.message, "invalid input for type ", 23) == 0, \
				  "%s %s: expected failure, got ok=%d \"%s\" kind=%d", type, json, ok_, buf_, e_.kind); \
		if (ok_) drop(&v_); \
	} while (0)

#define ISNULL(type, json) \
	do { \
		char		buf_[64]; \
		CqValue		v_; \
		CqError		e_; \
		bool		ok_ = parse_fmt(type, json, buf_, sizeof(buf_), &v_, &e_); \
		CQ_CHECKF(ok_ && v_.isnull, "%s %s: expected null", type, json); \
	} while (0)

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
		CQ_CHECK(cq_value_parse(NULL, t, arena, &v, &e) && v.isnull);
		ISNULL(cq_type_name((CqType) i), "null");
		t.is_array = true;
		CQ_CHECK(cq_value_parse(NULL, t, arena, &v, &e) && v.isnull);
	}
	ISNULL("json", "null");
	ISNULL("int[]", "null");
}

static void
test_bool(void)
{
	OK("bool", "true", "true");
	OK("bool", "false", "false");
	OK("bool", "\"true\"", "true");
	OK("bool", "\"FALSE\"", "false");
	OK("bool", "\"True\"", "true");
	OK("bool", "\"t\"", "true");
	OK("bool", "\"F\"", "false");
	OK("bool", "\"1\"", "true");
	OK("bool", "\"0\"", "false");
	OK("bool", "1", "true");
	OK("bool", "0", "false");
	OK("bool", "\"yes\"", "true");
	OK("bool", "\"off\"", "false");
	BAD("bool", "2");
	BAD("bool", "-1");
	BAD("bool", "0.5");
	BAD("bool", "\"maybe\"");
	BAD("bool", "\"\"");
	BAD("bool", "\"truee\"");
	BAD("bool", "\" true\"");
	BAD("bool", "[]");
	BAD("bool", "{}");
}

static void
test_int(void)
{
	CqValue		v;
	CqError		e;
	char		buf[64];

	OK("int", "42", "42");
	OK("int", "-42", "-42");
	OK("int", "0", "0");
	OK("int", "\"123\"", "123");
	OK("int", "\"+5\"", "5");
	OK("int", "\"-0\"", "0");
	OK("int", "9223372036854775807", "9223372036854775807");
	OK("int", "-9223372036854775808", "-9223372036854775808");
	OK("int", "\"9223372036854775807\"", "9223372036854775807");
	OK("int", "\"-9223372036854775808\"", "-9223372036854775808");
	OK("int", "1.0", "1");
	OK("int", "-3e2", "-300");
	BAD("int", "\"9223372036854775808\"");
	BAD("int", "\"-9223372036854775809\"");
	BAD("int", "\"99999999999999999999999\"");
	BAD("int", "1e19");
	BAD("int", "9.3e18");
	BAD("int", "1.5");
	BAD("int", "\"1.0\"");
	BAD("int", "\" 1\"");
	BAD("int", "\"1 \"");
	BAD("int", "\"1e3\"");
	BAD("int", "\"\"");
	BAD("int", "\"-\"");
	BAD("int", "\"--5\"");
	BAD("int", "\"0x10\"");
	BAD("int", "true");
	BAD("int", "[1]");
	BAD("int", "{\"a\":1}");
	/* out-of-range reason is given */
	CQ_CHECK(!parse_fmt("int", "\"9223372036854775808\"", buf, sizeof(buf), &v, &e) &&
			 strstr(e.message, "out of range") != NULL);
	CQ_CHECK_STR(e.api_message, "9223372036854775808");
	/* a JSON number beyond a double's range arrives quoted (job_json.c) */
	CQ_CHECK(!parse_fmt("int", "\"1e400\"", buf, sizeof(buf), &v, &e) &&
			 strstr(e.message, "out of range") != NULL);
	CQ_CHECK(!parse_fmt("float", "\"-1E+400\"", buf, sizeof(buf), &v, &e) &&
			 strstr(e.message, "out of range") != NULL);
	/* binary */
	CQ_CHECK(parse_fmt("int", "\"-77\"", buf, sizeof(buf), &v, &e) && v.u.i == -77 &&
			 v.type == CQ_T_INT && !v.is_array);
}

static void
test_uint(void)
{
	CqValue		v;
	CqError		e;
	char		buf[64];

	OK("uint", "0", "0");
	OK("uint", "12345", "12345");
	OK("uint", "\"18446744073709551615\"", "18446744073709551615");
	OK("uint", "\"4006034190819017667\"", "4006034190819017667");
	OK("uint", "9223372036854775807", "9223372036854775807");
	OK("uint", "2.0", "2");
	BAD("uint", "\"18446744073709551616\"");
	BAD("uint", "\"184467440737095516150\"");
	BAD("uint", "-1");
	BAD("uint", "\"-1\"");
	BAD("uint", "\"-0\"");
	BAD("uint", "1.5");
	BAD("uint", "-1.0");
	BAD("uint", "2e19");
	BAD("uint", "\"\"");
	BAD("uint", "\"12a\"");
	BAD("uint", "false");
	CQ_CHECK(parse_fmt("uint", "\"18446744073709551615\"", buf, sizeof(buf), &v, &e) &&
			 v.u.u == UINT64_MAX);
	CQ_CHECK(!parse_fmt("uint", "\"18446744073709551616\"", buf, sizeof(buf), &v, &e) &&
			 strstr(e.message, "out of range"));
}

static void
test_float(void)
{
	CqValue		v;
	CqError		e;
	char		buf[64];

	OK("float", "1.5", "1.5");
	OK("float", "0.1", "0.1");
	OK("float", "3", "3");
	OK("float", "-2.5e-3", "-0.0025");
	OK("float", "\"1.5\"", "1.5");
	OK("float", "\"-1e10\"", "-10000000000");
	OK("float", "\"1e308\"", "1e+308");
	OK("float", "\"NaN\"", "NaN");
	OK("float", "\"nan\"", "NaN");
	OK("float", "\"Infinity\"", "Infinity");
	OK("float", "\"-Infinity\"", "-Infinity");
	OK("float", "\"inf\"", "Infinity");
	OK("float", "\".5\"", "0.5");
	OK("float", "1.7976931348623157e308", "1.7976931348623157e+308");
	OK("float", "\"0.30000000000000004\"", "0.30000000000000004");
	BAD("float", "\"1e309\"");
	BAD("float", "\"1e-400\"");
	BAD("float", "\"abc\"");
	BAD("float", "\"1,5\"");
	BAD("float", "\"1.5x\"");
	BAD("float", "\"\"");
	BAD("float", "\" 1\"");
	BAD("float", "\"0x1p3\"");
	BAD("float", "\"Infinityy\"");
	BAD("float", "true");
	CQ_CHECK(parse_fmt("float", "\"NaN\"", buf, sizeof(buf), &v, &e) && isnan(v.u.f));
	CQ_CHECK(parse_fmt("float", "0.1", buf, sizeof(buf), &v, &e) && v.u.f == 0.1);
}

static void
test_numeric(void)
{
	char		big[1100];
	CqValue		v;
	CqError		e;
	char		buf[64];

	OK("numeric", "\"123.4500\"", "123.4500");
	OK("numeric", "\"+1.5\"", "1.5");
	OK("numeric", "\"-0.5e-3\"", "-0.5e-3");
	OK("numeric", "\"1E5\"", "1e5");
	OK("numeric", "\"007\"", "007");
	OK("numeric", "\"NaN\"", "NaN");
	OK("numeric", "\"nan\"", "NaN");
	OK("numeric", "12", "12");
	OK("numeric", "-9223372036854775808", "-9223372036854775808");
	OK("numeric", "0.1", "0.1");
	OK("numeric", "19.99", "19.99");
	OK("numeric", "1e300", "1e+300");
	OK("numeric", "\"99999999999999999999999999999999.000001\"",
	   "99999999999999999999999999999999.000001");
	BAD("numeric", "\".5\"");
	BAD("numeric", "\"5.\"");
	BAD("numeric", "\"1.2.3\"");
	BAD("numeric", "\"abc\"");
	BAD("numeric", "\"\"");
	BAD("numeric", "\"1e\"");
	BAD("numeric", "\"1e100001\"");
	BAD("numeric", "\"Infinity\"");
	BAD("numeric", "\"$5\"");
	BAD("numeric", "\"5 \"");
	BAD("numeric", "true");
	BAD("numeric", "{}");
	memset(big, '1', sizeof(big));
	big[0] = '"';
	big[1003] = '"';
	big[1004] = '\0';
	BAD("numeric", big);
	big[1001] = '"';
	big[1002] = '\0';
	CQ_CHECK(parse_fmt("numeric", big, buf, sizeof(buf), &v, &e) && v.len == 1000);
	/* float strings: 1000 bytes accepted, 1001 refused (bounded strtod) */
	memset(big, '0', sizeof(big));
	memcpy(big, "\"1.", 3);
	big[1001] = '"';
	big[1002] = '\0';
	OK("float", big, "1");
	big[1002] = '0';
	big[1003] = '\0';
	big[1002] = '"';
	big[1001] = '0';
	BAD("float", big);
	CQ_CHECK(parse_fmt("numeric", "\"+2.50\"", buf, sizeof(buf), &v, &e) && v.len == 4 &&
			 memcmp(v.u.s, "2.50", 4) == 0);
}

static void
test_string(void)
{
	CqValue		v;
	CqError		e;
	char		buf[64];

	OK("string", "\"hello\"", "hello");
	OK("string", "\"h\\u00e9llo \\u2603 \\ud83d\\ude00\"", "h\xc3\xa9llo \xe2\x98\x83 \xf0\x9f\x98\x80");
	OK("string", "\"\"", "");
	OK("string", "\"a\\u0000b\\u0000\"", "ab");
	OK("string", "42", "42");
	OK("string", "-7", "-7");
	OK("string", "1.5", "1.5");
	OK("string", "true", "true");
	OK("string", "false", "false");
	OK("string", "{\"a\":1,\"b\":[1,\"x\"]}", "{\"a\":1,\"b\":[1,\"x\"]}");
	OK("string", "[1, \"x\", null]", "[1,\"x\",null]");
	CQ_CHECK(parse_fmt("string", "\"a\\u0000b\"", buf, sizeof(buf), &v, &e) && v.len == 2 &&
			 memcmp(v.u.s, "ab", 2) == 0);
	CQ_CHECK(parse_fmt("string", "\"\\u0000\"", buf, sizeof(buf), &v, &e) && v.len == 0 &&
			 !v.isnull);
	CQ_CHECK(parse_fmt("string", "\"tab\\there\"", buf, sizeof(buf), &v, &e) && v.len == 8);
}

static void
test_bytes(void)
{
	OK("bytes", "\"aGVsbG8=\"", "\\x68656c6c6f");
	OK("bytes", "\"aGVsbG8\"", "\\x68656c6c6f");
	OK("bytes", "\"aGk=\"", "\\x6869");
	OK("bytes", "\"aGk\"", "\\x6869");
	OK("bytes", "\"aGVs\"", "\\x68656c");
	OK("bytes", "\"\"", "\\x");
	OK("bytes", "\"+/8=\"", "\\xfbff");
	OK("bytes", "\"-_8=\"", "\\xfbff");
	OK("bytes", "\"-_8\"", "\\xfbff");
	OK("bytes", "\"aGVs\\nbG8=\\n\"", "\\x68656c6c6f");
	OK("bytes", "\"AAAA\"", "\\x000000");
	BAD("bytes", "\"a\"");
	BAD("bytes", "\"aGVsb\"");
	BAD("bytes", "\"aGVsbG8==\"");
	BAD("bytes", "\"aGk===\"");
	BAD("bytes", "\"aG=k\"");
	BAD("bytes", "\"aGVsbG8=x\"");
	BAD("bytes", "\"!!!!\"");
	BAD("bytes", "\"aGV*\"");
	BAD("bytes", "12");
	BAD("bytes", "[\"aGk=\"]");
	/* PostgreSQL's hex form (a backslash is not base64) */
	OK("bytes", "\"\\\\x68656c6c6f\"", "\\x68656c6c6f");
	OK("bytes", "\"\\\\x68656C6C6F\"", "\\x68656c6c6f");
	OK("bytes", "\"\\\\x00 ff\\n10\"", "\\x00ff10");
	OK("bytes", "\"\\\\x\"", "\\x");
	BAD("bytes", "\"\\\\x6\"");
	BAD("bytes", "\"\\\\x0g\"");
	BAD("bytes", "\"\\\\x0 0\"");
}

static void
test_uuid(void)
{
	CqValue		v;
	CqError		e;
	char		buf[64];

	OK("uuid", "\"a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11\"", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11");
	OK("uuid", "\"A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11\"", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11");
	OK("uuid", "\"{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11}\"", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11");
	OK("uuid", "\"a0eebc999c0b4ef8bb6d6bb9bd380a11\"", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11");
	OK("uuid", "\"{a0eebc999c0b4ef8bb6d6bb9bd380a11}\"", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11");
	OK("uuid", "\"urn:uuid:a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11\"", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11");
	OK("uuid", "\"URN:UUID:A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11\"", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11");
	OK("uuid", "\"00000000-0000-0000-0000-000000000000\"", "00000000-0000-0000-0000-000000000000");
	OK("uuid", "\"ffffffff-ffff-ffff-ffff-ffffffffffff\"", "ffffffff-ffff-ffff-ffff-ffffffffffff");
	BAD("uuid", "\"a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a1\"");
	BAD("uuid", "\"a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a111\"");
	BAD("uuid", "\"g0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11\"");
	BAD("uuid", "\"a0eebc9-99c0b-4ef8-bb6d-6bb9bd380a11\"");
	BAD("uuid", "\"a0eebc99--9c0b-4ef8-bb6d-6bb9bd380a11\"");
	BAD("uuid", "\"-a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11\"");
	BAD("uuid", "\"a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11-\"");
	BAD("uuid", "\"{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11\"");
	BAD("uuid", "\"a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11}\"");
	BAD("uuid", "\"\"");
	BAD("uuid", "\"{}\"");
	BAD("uuid", "\"urn:uuid:\"");
	BAD("uuid", "12");
	CQ_CHECK(parse_fmt("uuid", "\"a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11\"", buf, sizeof(buf), &v, &e) &&
			 v.u.uuid[0] == 0xa0 && v.u.uuid[6] == 0x4e && v.u.uuid[15] == 0x11);
}

static void
test_timestamp(void)
{
	CqValue		v;
	CqError		e;
	char		buf[64];

	OK("timestamp", "\"2023-06-20T10:15:30Z\"", "2023-06-20 10:15:30+00");
	OK("timestamp", "\"2023-06-20t10:15:30z\"", "2023-06-20 10:15:30+00");
	OK("timestamp", "\"2023-06-20 10:15:30Z\"", "2023-06-20 10:15:30+00");
	OK("timestamp", "\"2023-06-20T10:15:30\"", "2023-06-20 10:15:30+00");
	OK("timestamp", "\"2023-06-20T10:15Z\"", "2023-06-20 10:15:00+00");
	OK("timestamp", "\"2023-06-20T10:15:30.123-08:00\"", "2023-06-20 18:15:30.123+00");
	OK("timestamp", "\"2013-12-13T10:45:23.351-08:00\"", "2013-12-13 18:45:23.351+00");
	OK("timestamp", "\"2023-06-20T10:15:30+05:30\"", "2023-06-20 04:45:30+00");
	OK("timestamp", "\"2023-06-20T10:15:30+0530\"", "2023-06-20 04:45:30+00");
	OK("timestamp", "\"2023-06-20T10:15:30+05\"", "2023-06-20 05:15:30+00");
	OK("timestamp", "\"2023-06-20T10:15:30-00:00\"", "2023-06-20 10:15:30+00");
	OK("timestamp", "\"2023-06-20 10:15:30 +0000\"", "2023-06-20 10:15:30+00");
	/* offsets crossing days, months, years */
	OK("timestamp", "\"2023-12-31T23:30:00-01:00\"", "2024-01-01 00:30:00+00");
	OK("timestamp", "\"2024-03-01T01:00:00+02:00\"", "2024-02-29 23:00:00+00");
	OK("timestamp", "\"2023-03-01T01:00:00+02:00\"", "2023-02-28 23:00:00+00");
	/* fractions: 1..9 digits, round half up to microseconds */
	OK("timestamp", "\"2023-06-20T10:15:30.1Z\"", "2023-06-20 10:15:30.1+00");
	OK("timestamp", "\"2023-06-20T10:15:30.000001Z\"", "2023-06-20 10:15:30.000001+00");
	OK("timestamp", "\"2023-06-20T10:15:30.1234565Z\"", "2023-06-20 10:15:30.123457+00");
	OK("timestamp", "\"2023-06-20T10:15:30.1234564Z\"", "2023-06-20 10:15:30.123456+00");
	OK("timestamp", "\"2023-06-20T10:15:30.123456789Z\"", "2023-06-20 10:15:30.123457+00");
	OK("timestamp", "\"2023-06-20T10:15:30.9999995Z\"", "2023-06-20 10:15:31+00");
	OK("timestamp", "\"2023-06-20T10:15:30.000000Z\"", "2023-06-20 10:15:30+00");
	OK("timestamp", "\"2023-12-31T23:59:59.9999999Z\"", "2024-01-01 00:00:00+00");
	BAD("timestamp", "\"2023-06-20T10:15:30.1234567891Z\"");
	BAD("timestamp", "\"2023-06-20T10:15:30.Z\"");
	/* date only = midnight UTC */
	OK("timestamp", "\"2023-06-20\"", "2023-06-20 00:00:00+00");
	/* leap years, Feb 29 */
	OK("timestamp", "\"2024-02-29T12:00:00Z\"", "2024-02-29 12:00:00+00");
	OK("timestamp", "\"2000-02-29T00:00:00Z\"", "2000-02-29 00:00:00+00");
	BAD("timestamp", "\"2023-02-29T00:00:00Z\"");
	BAD("timestamp", "\"1900-02-29T00:00:00Z\"");
	BAD("timestamp", "\"2023-04-31T00:00:00Z\"");
	BAD("timestamp", "\"2023-13-01T00:00:00Z\"");
	BAD("timestamp", "\"2023-00-01T00:00:00Z\"");
	BAD("timestamp", "\"2023-01-00T00:00:00Z\"");
	/* leap second rolls over like PostgreSQL; 24:00 is the end of day */
	OK("timestamp", "\"2016-12-31T23:59:60Z\"", "2017-01-01 00:00:00+00");
	BAD("timestamp", "\"2016-12-31T23:59:60.5Z\"");
	BAD("timestamp", "\"2016-12-31T23:59:61Z\"");
	OK("timestamp", "\"2023-06-20T24:00:00Z\"", "2023-06-21 00:00:00+00");
	BAD("timestamp", "\"2023-06-20T24:00:01Z\"");
	BAD("timestamp", "\"2023-06-20T25:00:00Z\"");
	BAD("timestamp", "\"2023-06-20T10:60:00Z\"");
	/* range: years 1..9999 */
	OK("timestamp", "\"0001-01-01T00:00:00Z\"", "0001-01-01 00:00:00+00");
	OK("timestamp", "\"9999-12-31T23:59:59.999999Z\"", "9999-12-31 23:59:59.999999+00");
	BAD("timestamp", "\"0000-12-31T00:00:00Z\"");
	BAD("timestamp", "\"0001-01-01T00:00:00+01:00\"");
	BAD("timestamp", "\"9999-12-31T23:59:59-01:00\"");
	BAD("timestamp", "\"10000-01-01T00:00:00Z\"");
	/* bad syntax */
	BAD("timestamp", "\"2023-06-20T10:15:30+16:00\"");
	BAD("timestamp", "\"2023-06-20T10:15:30+05:60\"");
	BAD("timestamp", "\"2023-06-20T10:15:30+5\"");
	BAD("timestamp", "\"2023-06-20T10:15:30Zjunk\"");
	BAD("timestamp", "\"2023-06-20X10:15:30Z\"");
	BAD("timestamp", "\"2023-6-20T10:15:30Z\"");
	BAD("timestamp", "\"2023-06-20T1:15:30Z\"");
	BAD("timestamp", "\"2023-06-20T\"");
	BAD("timestamp", "\"yesterday\"");
	BAD("timestamp", "\"\"");
	BAD("timestamp", "true");
	BAD("timestamp", "{}");
	/* epoch numbers: seconds below 1e11, milliseconds from 1e11 */
	OK("timestamp", "1687256130", "2023-06-20 10:15:30+00");
	OK("timestamp", "1687256130123", "2023-06-20 10:15:30.123+00");
	OK("timestamp", "1687256130.5", "2023-06-20 10:15:30.5+00");
	OK("timestamp", "\"1687256130\"", "2023-06-20 10:15:30+00");
	OK("timestamp", "\"1687256130123\"", "2023-06-20 10:15:30.123+00");
	OK("timestamp", "\"1687256130.25\"", "2023-06-20 10:15:30.25+00");
	OK("timestamp", "0", "1970-01-01 00:00:00+00");
	OK("timestamp", "-1", "1969-12-31 23:59:59+00");
	OK("timestamp", "99999999999", "5138-11-16 09:46:39+00");
	OK("timestamp", "100000000000", "1973-03-03 09:46:40+00");
	OK("timestamp", "-62135596800", "0001-01-01 00:00:00+00");
	BAD("timestamp", "-62135596801");
	BAD("timestamp", "1e300");
	BAD("timestamp", "9223372036854775807");
	BAD("timestamp", "\"1687256130x\"");
	CQ_CHECK(parse_fmt("timestamp", "\"1970-01-01T00:00:01.5Z\"", buf, sizeof(buf), &v, &e) &&
			 v.u.i == 1500000);
	CQ_CHECK(parse_fmt("timestamp", "\"0001-01-01T00:00:00Z\"", buf, sizeof(buf), &v, &e) &&
			 v.u.i == INT64_C(-62135596800000000));
	CQ_CHECK(!parse_fmt("timestamp", "\"2023-02-29\"", buf, sizeof(buf), &v, &e) &&
			 strstr(e.message, "out of range") && strcmp(e.api_message, "2023-02-29") == 0);
}

static void
test_date(void)
{
	CqValue		v;
	CqError		e;
	char		buf[64];

	OK("date", "\"2023-06-20\"", "2023-06-20");
	OK("date", "\"2024-02-29\"", "2024-02-29");
	OK("date", "\"1970-01-01\"", "1970-01-01");
	OK("date", "\"0001-01-01\"", "0001-01-01");
	OK("date", "\"9999-12-31\"", "9999-12-31");
	OK("date", "\"2023-06-20T23:30:00-02:00\"", "2023-06-21");
	OK("date", "\"1969-12-31T12:00:00Z\"", "1969-12-31");
	OK("date", "\"1970-01-01T00:00:00.000001+00:00\"", "1970-01-01");
	BAD("date", "\"2023-02-29\"");
	BAD("date", "\"2100-02-29\"");
	BAD("date", "\"2023-06-31\"");
	BAD("date", "\"2023-13-01\"");
	BAD("date", "\"2023/06/20\"");
	BAD("date", "\"20230620\"");
	BAD("date", "20230620");
	BAD("date", "\"0000-01-01\"");
	CQ_CHECK(parse_fmt("date", "\"1970-01-02\"", buf, sizeof(buf), &v, &e) && v.u.date == 1);
	CQ_CHECK(parse_fmt("date", "\"1969-12-31\"", buf, sizeof(buf), &v, &e) && v.u.date == -1);
}

static void
test_interval(void)
{
	CqValue		v;
	CqError		e;
	char		buf[64];

	OK("interval", "90", "00:01:30");
	OK("interval", "1.5", "00:00:01.5");
	OK("interval", "-5", "-00:00:05");
	OK("interval", "0", "00:00:00");
	OK("interval", "86400", "24:00:00");
	OK("interval", "\"3600\"", "01:00:00");
	OK("interval", "\"0.25\"", "00:00:00.25");
	OK("interval", "\"P1Y2M3DT4H5M6.5S\"", "1 year 2 mons 3 days 04:05:06.5");
	OK("interval", "\"PT1H30M\"", "01:30:00");
	OK("interval", "\"P2W\"", "14 days");
	OK("interval", "\"P1D\"", "1 day");
	OK("interval", "\"P3M\"", "3 mons");
	OK("interval", "\"P1M\"", "1 mon");
	OK("interval", "\"P2Y\"", "2 years");
	OK("interval", "\"-PT5S\"", "-00:00:05");
	OK("interval", "\"-P1Y\"", "-1 years");
	OK("interval", "\"-P1D\"", "-1 days");
	OK("interval", "\"P1.5D\"", "1 day 12:00:00");
	OK("interval", "\"PT0.000001S\"", "00:00:00.000001");
	OK("interval", "\"P0D\"", "00:00:00");
	OK("interval", "\"PT36H\"", "36:00:00");
	OK("interval", "\"P1DT-1H\"", "1 day -01:00:00");
	OK("interval", "\"pt1m\"", "00:01:00");
	OK("interval", "\"01:02:03\"", "01:02:03");
	OK("interval", "\"-01:02:03\"", "-01:02:03");
	OK("interval", "\"100:00:00\"", "100:00:00");
	OK("interval", "\"1:30\"", "01:30:00");
	OK("interval", "\"00:00:01.123456\"", "00:00:01.123456");
	BAD("interval", "\"P\"");
	BAD("interval", "\"PT\"");
	BAD("interval", "\"P1H\"");
	BAD("interval", "\"PT1D\"");
	BAD("interval", "\"P1M1Y\"");
	BAD("interval", "\"PT1S1M\"");
	BAD("interval", "\"P1D1D\"");
	BAD("interval", "\"P1.5Y\"");
	BAD("interval", "\"P1.5M\"");
	BAD("interval", "\"P1\"");
	BAD("interval", "\"1 day\"");
	BAD("interval", "\"abc\"");
	BAD("interval", "\"\"");
	BAD("interval", "\"01:60:00\"");
	BAD("interval", "\"01:02:60\"");
	BAD("interval", "\"P99999999999Y\"");
	BAD("interval", "\"P3000000000D\"");
	BAD("interval", "9223372036854775807");
	BAD("interval", "1e300");
	BAD("interval", "true");
	CQ_CHECK(parse_fmt("interval", "\"P1Y2M3DT4H5M6.5S\"", buf, sizeof(buf), &v, &e) &&
			 v.u.iv.months == 14 && v.u.iv.days == 3 &&
			 v.u.iv.usecs == INT64_C(14706500000));
	CQ_CHECK(parse_fmt("interval", "\"-P1M2DT3S\"", buf, sizeof(buf), &v, &e) &&
			 v.u.iv.months == -1 && v.u.iv.days == -2 && v.u.iv.usecs == -3000000);
}

static void
test_json(void)
{
	CqValue		v;
	CqError		e;
	CqColType	t = {CQ_T_JSON, false};
	json_t	   *doc = load("{\"a\":[1,2,{\"b\":null}],\"c\":\"x\"}");

	OK("json", "{\"a\":[1,2],\"b\":\"x\"}", "{\"a\":[1,2],\"b\":\"x\"}");
	OK("json", "\"str\"", "\"str\"");
	OK("json", "12", "12");
	OK("json", "[]", "[]");
	OK("json", "false", "false");
	/* the value holds a reference of its own */
	CQ_CHECK(doc->refcount == 1);
	CQ_CHECK(cq_value_parse(doc, t, arena, &v, &e) && v.u.json == doc && doc->refcount == 2);
	json_decref(v.u.json);
	CQ_CHECK(doc->refcount == 1);
	json_decref(doc);
}

static void
test_inet(void)
{
	CqValue		v;
	CqError		e;
	char		buf[64];

	OK("inet", "\"192.168.0.1\"", "192.168.0.1");
	OK("inet", "\"0.0.0.0\"", "0.0.0.0");
	OK("inet", "\"255.255.255.255\"", "255.255.255.255");
	OK("inet", "\"10.1.2.3/8\"", "10.1.2.3/8");
	OK("inet", "\"10.1.2.3/32\"", "10.1.2.3");
	OK("inet", "\"10.0.0.0/0\"", "10.0.0.0/0");
	OK("inet", "\"010.001.1.1\"", "10.1.1.1");
	OK("inet", "\"2604:A880:0800:0010:0000:0000:02DD:4001\"", "2604:a880:800:10::2dd:4001");
	OK("inet", "\"2604:a880:4:1d0::142:9000\"", "2604:a880:4:1d0::142:9000");
	OK("inet", "\"::\"", "::");
	OK("inet", "\"::1\"", "::1");
	OK("inet", "\"::ffff:1.2.3.4\"", "::ffff:1.2.3.4");
	OK("inet", "\"FE80::1\"", "fe80::1");
	OK("inet", "\"2001:db8::/32\"", "2001:db8::/32");
	OK("inet", "\"2001:db8::1/64\"", "2001:db8::1/64");
	OK("inet", "\"2001:db8::1/128\"", "2001:db8::1");
	OK("inet", "\"1:2:3:4:5:6:7:8\"", "1:2:3:4:5:6:7:8");
	BAD("inet", "\"256.1.1.1\"");
	BAD("inet", "\"1.2.3\"");
	BAD("inet", "\"1.2.3.4.5\"");
	BAD("inet", "\"1.2.3.4/33\"");
	BAD("inet", "\"1.2.3.4/\"");
	BAD("inet", "\"1.2.3.4/-1\"");
	BAD("inet", "\"1.2.3.4/8x\"");
	BAD("inet", "\"1.2.3.0004\"");
	BAD("inet", "\" 1.2.3.4\"");
	BAD("inet", "\"1.2.3.4 \"");
	BAD("inet", "\"1..3.4\"");
	BAD("inet", "\"fe80::1%eth0\"");
	BAD("inet", "\"2001:db8::1/129\"");
	BAD("inet", "\"2001:db8:::1\"");
	BAD("inet", "\"1:2:3:4:5:6:7:8:9\"");
	BAD("inet", "\"12345::1\"");
	BAD("inet", "\"g::1\"");
	BAD("inet", "\"\"");
	BAD("inet", "\"localhost\"");
	BAD("inet", "3232235521");
	CQ_CHECK(parse_fmt("inet", "\"10.1.2.3/8\"", buf, sizeof(buf), &v, &e) &&
			 v.u.inet.family == 4 && v.u.inet.bits == 8 && v.u.inet.addr[0] == 10 &&
			 v.u.inet.addr[3] == 3);
	CQ_CHECK(parse_fmt("inet", "\"::1\"", buf, sizeof(buf), &v, &e) &&
			 v.u.inet.family == 6 && v.u.inet.bits == 128 && v.u.inet.addr[15] == 1);

	OK("cidr", "\"10.0.0.0/8\"", "10.0.0.0/8");
	OK("cidr", "\"10/8\"", "10.0.0.0/8");
	OK("cidr", "\"192.168/16\"", "192.168.0.0/16");
	OK("cidr", "\"1.2.3.4\"", "1.2.3.4/32");
	OK("cidr", "\"0.0.0.0/0\"", "0.0.0.0/0");
	OK("cidr", "\"2001:db8::/32\"", "2001:db8::/32");
	OK("cidr", "\"::1\"", "::1/128");
	BAD("cidr", "\"10.1.0.0/8\"");
	BAD("cidr", "\"10.0.0.0/0\"");
	BAD("cidr", "\"2001:db8::1/32\"");
	BAD("cidr", "\"10.0.0.1/31\"");
	BAD("cidr", "\"10.1\"");
	BAD("cidr", "\"10.0.0.0/33\"");
	CQ_CHECK(!parse_fmt("cidr", "\"10.1.0.0/8\"", buf, sizeof(buf), &v, &e) &&
			 strstr(e.message, "bits set to right of mask"));
}

static void
test_macaddr(void)
{
	OK("macaddr", "\"08:00:2b:01:02:03\"", "08:00:2b:01:02:03");
	OK("macaddr", "\"08-00-2b-01-02-03\"", "08:00:2b:01:02:03");
	OK("macaddr", "\"08002b:010203\"", "08:00:2b:01:02:03");
	OK("macaddr", "\"08002b-010203\"", "08:00:2b:01:02:03");
	OK("macaddr", "\"0800.2b01.0203\"", "08:00:2b:01:02:03");
	OK("macaddr", "\"0800-2b01-0203\"", "08:00:2b:01:02:03");
	OK("macaddr", "\"08002b010203\"", "08:00:2b:01:02:03");
	OK("macaddr", "\"08:00:2B:01:02:03\"", "08:00:2b:01:02:03");
	OK("macaddr", "\"FF:FF:FF:FF:FF:FF\"", "ff:ff:ff:ff:ff:ff");
	BAD("macaddr", "\"08:00:2b:01:02\"");
	BAD("macaddr", "\"08:00:2b:01:02:03:04\"");
	BAD("macaddr", "\"08:00-2b:01:02:03\"");
	BAD("macaddr", "\"0800.2b01-0203\"");
	BAD("macaddr", "\"08002b01020g\"");
	BAD("macaddr", "\"08002b0102030\"");
	BAD("macaddr", "\"08:002b:01:0203\"");
	BAD("macaddr", "\"08.00.2b.01.02.03\"");
	BAD("macaddr", "\"\"");
	BAD("macaddr", "8");
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
	CQ_CHECK(!parse_fmt("int[]", "[1,2,\"x\"]", buf, sizeof(buf), &v, &e) &&
			 v.isnull && strstr(e.message, "array element 2") &&
			 strcmp(e.api_message, "x") == 0);
	CQ_CHECK(parse_fmt("int[]", "[1,null,3]", buf, sizeof(buf), &v, &e) &&
			 v.is_array && v.len == 3 && v.u.arr[0].u.i == 1 && v.u.arr[1].isnull &&
			 v.u.arr[2].u.i == 3 && v.type == CQ_T_INT);
	CQ_CHECK(parse_fmt("int[]", "[]", buf, sizeof(buf), &v, &e) && !v.isnull && v.len == 0);
	/* json[] elements each hold a reference */
	doc = load("[{\"a\":1},{\"b\":2}]");
	CQ_CHECK(cq_value_parse(doc, t, arena, &v, &e) && v.len == 2 &&
			 json_array_get(doc, 0)->refcount == 2);
	drop(&v);
	CQ_CHECK(json_array_get(doc, 0)->refcount == 1);
	json_decref(doc);
}

static void
test_errors_and_format(void)
{
	CqValue		v;
	CqError		e;
	char		buf[256];
	char		big[400];
	char		small[8];
	size_t		n;

	/* api_message: first 100 bytes, control characters replaced */
	memset(big, 'x', sizeof(big));
	big[0] = '"';
	big[1] = '\\';
	big[2] = 'n';
	big[300] = '"';
	big[301] = '\0';
	CQ_CHECK(!parse_fmt("int", big, buf, sizeof(buf), &v, &e));
	CQ_CHECK(strlen(e.api_message) == 100 && e.api_message[0] == '?' &&
			 strchr(e.api_message, '\n') == NULL);
	CQ_CHECK_STR(e.message, "invalid input for type int");
	CQ_CHECK(!parse_fmt("inet", "{\"a\":1}", buf, sizeof(buf), &v, &e) &&
			 strcmp(e.api_message, "{\"a\":1}") == 0);
	CQ_CHECK(!parse_fmt("uuid", "\"%s%n%s\"", buf, sizeof(buf), &v, &e) &&
			 strcmp(e.api_message, "%s%n%s") == 0);

	/* cq_value_format truncates and returns the needed length */
	CQ_CHECK(parse_fmt("string", "\"abcdefghijkl\"", buf, sizeof(buf), &v, &e));
	n = cq_value_format(&v, small, sizeof(small));
	CQ_CHECK(n == 12 && strcmp(small, "abcdefg") == 0);
	n = cq_value_format(&v, NULL, 0);
	CQ_CHECK(n == 12);
	CQ_CHECK(parse_fmt("int[]", "[1,2,3,4,5]", buf, sizeof(buf), &v, &e));
	n = cq_value_format(&v, small, 4);
	CQ_CHECK(n == 11 && strcmp(small, "{1,") == 0);
	v.isnull = 1;
	CQ_CHECK(cq_value_format(&v, small, sizeof(small)) == 0 && small[0] == '\0');
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
	if (p == NULL || !cqp_path_parse(p, row, t, arena, out, err))
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
	arena = cq_arena_new(0);
	test_names();
	test_nulls();
	test_bool();
	test_int();
	test_uint();
	test_float();
	test_numeric();
	test_string();
	test_bytes();
	test_uuid();
	test_timestamp();
	test_date();
	test_interval();
	test_json();
	test_inet();
	test_macaddr();
	test_arrays();
	test_errors_and_format();
	test_error_helpers();
	test_arena();
	test_fixtures();
	cq_arena_free(arena);
	arena = NULL;
}
