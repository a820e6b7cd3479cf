/*
 * test_types_num.c -- suite `types_num`: src/sdk/types_num.c, the number
 * family (bool, int, uint, float, numeric) through cq_value_parse, and the
 * integer/double helpers the other families share, called directly.
 */
#include <math.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cq_sdk.h"
#include "cq_sdk_int.h"
#include "types_int.h"
#include "cqtest.h"
#include "typestest.h"


void		suite_types_num(void);

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
	CQ_CHECK(!cqt_parse_fmt("int", "\"9223372036854775808\"", buf, sizeof(buf), &v, &e) &&
			 strstr(e.message, "out of range") != NULL);
	CQ_CHECK_STR(e.api_message, "9223372036854775808");
	/* a JSON number beyond a double's range arrives quoted (job_json.c) */
	CQ_CHECK(!cqt_parse_fmt("int", "\"1e400\"", buf, sizeof(buf), &v, &e) &&
			 strstr(e.message, "out of range") != NULL);
	CQ_CHECK(!cqt_parse_fmt("float", "\"-1E+400\"", buf, sizeof(buf), &v, &e) &&
			 strstr(e.message, "out of range") != NULL);
	/* binary */
	CQ_CHECK(cqt_parse_fmt("int", "\"-77\"", buf, sizeof(buf), &v, &e) && v.u.i == -77 &&
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
	CQ_CHECK(cqt_parse_fmt("uint", "\"18446744073709551615\"", buf, sizeof(buf), &v, &e) &&
			 v.u.u == UINT64_MAX);
	CQ_CHECK(!cqt_parse_fmt("uint", "\"18446744073709551616\"", buf, sizeof(buf), &v, &e) &&
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
	CQ_CHECK(cqt_parse_fmt("float", "\"NaN\"", buf, sizeof(buf), &v, &e) && isnan(v.u.f));
	CQ_CHECK(cqt_parse_fmt("float", "0.1", buf, sizeof(buf), &v, &e) && v.u.f == 0.1);
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
	CQ_CHECK(cqt_parse_fmt("numeric", big, buf, sizeof(buf), &v, &e) && v.len == 1000);
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
	CQ_CHECK(cqt_parse_fmt("numeric", "\"+2.50\"", buf, sizeof(buf), &v, &e) && v.len == 4 &&
			 memcmp(v.u.s, "2.50", 4) == 0);
}

/* The shared helpers, directly. */
static void
test_num_helpers(void)
{
	int64_t		i;
	double		d;
	char		buf[32];
	json_t	   *v;
	CqValue		out;
	CqError		e;

	/* strict [-+]?digits, int64 range, nothing else */
	CQ_CHECK(cqp_types_parse_i64("123", 3, &i) && i == 123);
	CQ_CHECK(cqp_types_parse_i64("+7", 2, &i) && i == 7);
	CQ_CHECK(cqp_types_parse_i64("-9223372036854775808", 20, &i) && i == INT64_MIN);
	CQ_CHECK(cqp_types_parse_i64("9223372036854775807", 19, &i) && i == INT64_MAX);
	i = 42;
	CQ_CHECK(!cqp_types_parse_i64("9223372036854775808", 19, &i) && i == 42);
	CQ_CHECK(!cqp_types_parse_i64("-9223372036854775809", 20, &i));
	CQ_CHECK(!cqp_types_parse_i64("", 0, &i) && !cqp_types_parse_i64("-", 1, &i));
	CQ_CHECK(!cqp_types_parse_i64("1 ", 2, &i) && !cqp_types_parse_i64("0x10", 4, &i) &&
			 !cqp_types_parse_i64("1e3", 3, &i));
	/* the length bounds the text: "12" of "123" */
	CQ_CHECK(cqp_types_parse_i64("123", 2, &i) && i == 12);

	/* doubles: decimal syntax, NaN/Infinity words, range */
	CQ_CHECK(cqp_types_parse_double("0.1", 3, &d) && d == 0.1);
	CQ_CHECK(cqp_types_parse_double("-2.5e3", 6, &d) && d == -2500.0);
	CQ_CHECK(cqp_types_parse_double("NaN", 3, &d) && isnan(d));
	CQ_CHECK(cqp_types_parse_double("-Infinity", 9, &d) && isinf(d) && d < 0);
	CQ_CHECK(cqp_types_parse_double("inf", 3, &d) && isinf(d) && d > 0);
	CQ_CHECK(!cqp_types_parse_double("1e400", 5, &d));	/* overflow */
	CQ_CHECK(!cqp_types_parse_double("1e-400", 6, &d));	/* underflow to 0 */
	CQ_CHECK(!cqp_types_parse_double("1,5", 3, &d) && !cqp_types_parse_double("", 0, &d) &&
			 !cqp_types_parse_double("0x1p3", 5, &d) && !cqp_types_parse_double("nanx", 4, &d));
	CQ_CHECK(cqp_types_parse_double("2.50", 3, &d) && d == 2.5);	/* length bounds */

	/* formatting returns the length written */
	CQ_CHECK(cqp_types_fmt_i64(INT64_MIN, buf) == 20 && strcmp(buf, "-9223372036854775808") == 0);
	CQ_CHECK(cqp_types_fmt_i64(0, buf) == 1 && strcmp(buf, "0") == 0);
	CQ_CHECK(cqp_types_fmt_u64(UINT64_MAX, buf) == 20 && strcmp(buf, "18446744073709551615") == 0);
	/* shortest text that reads back to the same double */
	CQ_CHECK(cqp_types_fmt_double(0.1, buf) == 3 && strcmp(buf, "0.1") == 0);
	CQ_CHECK(cqp_types_fmt_double(1e20, buf) > 0 && strcmp(buf, "1e+20") == 0);
	CQ_CHECK(cqp_types_fmt_double(1.0 / 3.0, buf) > 0 && strtod(buf, NULL) == 1.0 / 3.0);
	CQ_CHECK(cqp_types_fmt_double(NAN, buf) == 3 && strcmp(buf, "NaN") == 0);
	CQ_CHECK(cqp_types_fmt_double(-INFINITY, buf) == 9 && strcmp(buf, "-Infinity") == 0);

	/* case-insensitive comparison with a lower-case literal, length-bounded */
	CQ_CHECK(cqp_types_eq_ci("NaN", 3, "nan") && cqp_types_eq_ci("TRUEx", 4, "true"));
	CQ_CHECK(!cqp_types_eq_ci("na", 2, "nan") && !cqp_types_eq_ci("nans", 4, "nan"));

	/* a family parser, directly: a non-null JSON value in, binary out (the
	 * caller initializes the value, as cq_value_parse does) */
	memset(&out, 0, sizeof(out));
	v = json_string("Yes");
	CQ_CHECK(cqp_types_p_bool(v, &out, &e) && !out.isnull && out.u.b);
	json_decref(v);
	v = json_integer(2);
	memset(&e, 0, sizeof(e));
	CQ_CHECK(!cqp_types_p_bool(v, &out, &e) && out.isnull && e.kind == CQ_ERR_VALUE);
	CQ_CHECK_STR(e.api_message, "2");
	json_decref(v);
}

/*
 * Numeric images (types_numimg.c): every byte after the varlena header as
 * PostgreSQL 15 stores numeric_in's result for the same text, read from a
 * heap page with pageinspect (heap_page_items t_data) -- short and long
 * forms at their weight and scale limits, zero with a scale, negative
 * zero, leading and trailing zeros, exponents, NaN and the infinities.
 */
static const struct
{
	const char *text;
	const char *body;			/* hex, little-endian */
}			numimg_cases[] = {
	{"NaN", "00c0"},
	{"0", "0080"},
	{"-0.000", "8081"},
	{"00012.3400", "00820c00480d"},
	{"-123.456", "80a17b00d011"},
	{"1e-3", "ff810a00"},
	{"12345678.9", "8180d2042e162823"},
	{"1e255", "3f80e803"},
	{"1e256", "000040000100"},
	{"1e-256", "0001c0ff0100"},
	{"1e-257", "0101bfffe803"},
	{"0.000000000000000000000000000000000000000000000000000000000000001", "f09f0a00"},	/* 62 zeros: scale 63 */
	{"0.0000000000000000000000000000000000000000000000000000000000000001", "4000f0ff0100"},	/* 63 zeros: scale 64 */
	{"-1.50e+3", "00a0dc05"},
	{"Infinity", "00d0"},
	{"-Infinity", "00f0"},
	{"9999", "00800f27"},
	{"10000", "01800100"},
	{"-0.5e-3", "7fa20500"},
	{"1e+300", "00004b000100"},
	{"-7e1000", "0040fa000700"},
	{"1.5e-1000", "e90306ff01008813"},
};

static void
hexbytes(const char *hex, unsigned char *out, size_t *n)
{
	*n = strlen(hex) / 2;
	for (size_t i = 0; i < *n; i++)
	{
		unsigned int b;

		sscanf(hex + 2 * i, "%2x", &b);
		out[i] = (unsigned char) b;
	}
}

static void
test_numeric_images(void)
{
	unsigned char img[4096],
				want[4096];
	char		big[1100];
	size_t		n,
				wn;
	uint32_t	h;
	uint16_t	one = 1;
	CqValue		v;
	CqError		e;
	char		buf[64];

	if (*(unsigned char *) &one != 1)
		return;					/* the expected bytes are little-endian */
	for (size_t c = 0; c < sizeof(numimg_cases) / sizeof(numimg_cases[0]); c++)
	{
		const char *t = numimg_cases[c].text;

		hexbytes(numimg_cases[c].body, want, &wn);
		CQ_CHECK(cqp_numeric_image_max(strlen(t)) >= 4 + wn);
		n = cqp_numeric_image(t, strlen(t), img);
		memcpy(&h, img, 4);
		CQ_CHECKF(n == 4 + wn && h == cq_varlena_header((uint32_t) n) &&
				  memcmp(img + 4, want, wn) == 0,
				  "%s: %zu bytes, want %zu", t, n, 4 + wn);
	}
	/* 1000 digits: long form, weight 249, 250 digits 9999 */
	memset(big, '9', 1000);
	n = cqp_numeric_image(big, 1000, img);
	CQ_CHECKF(n == 8 + 500 && img[4] == 0 && img[5] == 0 && img[6] == 249 && img[7] == 0,
			  "%zu bytes", n);
	for (size_t i = 8; i + 1 < n; i += 2)
		if (img[i] != 0x0f || img[i + 1] != 0x27)
		{
			CQ_CHECKF(false, "digit at %zu", i);
			break;
		}
	/* numeric_in refuses these (or they are not the SDK's text): no image */
	CQ_CHECK(cqp_numeric_image("1e1001", 6, img) == 0);
	CQ_CHECK(cqp_numeric_image("1e-1001", 7, img) == 0);
	CQ_CHECK(cqp_numeric_image("abc", 3, img) == 0);
	CQ_CHECK(cqp_numeric_image("1e", 2, img) == 0);
	CQ_CHECK(cqp_numeric_image("", 0, img) == 0);
	/* parsed values carry their image after the text, aligned */
	CQ_CHECK(cqt_parse_fmt("numeric", "\"-0.5E-3\"", buf, sizeof(buf), &v, &e) &&
			 (v.flags & CQ_VAL_NUMIMG) && ((uintptr_t) cq_numeric_image(&v) & 3) == 0 &&
			 memcmp((const unsigned char *) cq_numeric_image(&v) + 4, "\x7f\xa2\x05\x00", 4) == 0);
	CQ_CHECK(cqt_parse_fmt("numeric", "\"nan\"", buf, sizeof(buf), &v, &e) &&
			 (v.flags & CQ_VAL_NUMIMG) && v.len == 3 &&
			 memcmp((const unsigned char *) cq_numeric_image(&v) + 4, "\x00\xc0", 2) == 0);
	CQ_CHECK(cqt_parse_fmt("numeric", "12", buf, sizeof(buf), &v, &e) &&
			 (v.flags & CQ_VAL_NUMIMG));
	/* beyond numeric_in's exponent bound: a value error in the SDK */
	BAD("numeric", "\"1e1001\"");
	OK("numeric", "\"1e1000\"", "1e1000");
}

void
suite_types_num(void)
{
	cqt_types_begin();
	test_bool();
	test_int();
	test_uint();
	test_float();
	test_numeric();
	test_numeric_images();
	test_num_helpers();
	cqt_types_end();
}
