/*
 * test_types_format.c -- suite `types_format`: src/sdk/types_format.c,
 * cq_value_format: snprintf semantics (truncation, needed length), and the
 * PostgreSQL input text of values built directly (not parsed), so the text
 * of each binary form is checked on its own.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cq_sdk.h"
#include "cq_sdk_int.h"
#include "types_int.h"
#include "cqtest.h"
#include "typestest.h"


void		suite_types_format(void);

static void
test_format_truncation(void)
{
	CqValue		v;
	CqError		e;
	char		buf[256];
	char		small[8];
	size_t		n;

	/* cq_value_format truncates and returns the needed length */
	CQ_CHECK(cqt_parse_fmt("string", "\"abcdefghijkl\"", buf, sizeof(buf), &v, &e));
	n = cq_value_format(&v, small, sizeof(small));
	CQ_CHECK(n == 12 && strcmp(small, "abcdefg") == 0);
	n = cq_value_format(&v, NULL, 0);
	CQ_CHECK(n == 12);
	CQ_CHECK(cqt_parse_fmt("int[]", "[1,2,3,4,5]", buf, sizeof(buf), &v, &e));
	n = cq_value_format(&v, small, 4);
	CQ_CHECK(n == 11 && strcmp(small, "{1,") == 0);
	v.isnull = 1;
	CQ_CHECK(cq_value_format(&v, small, sizeof(small)) == 0 && small[0] == '\0');
}

static const char *
fmt(const CqValue *v, char *buf, size_t len)
{
	cq_value_format(v, buf, len);
	return buf;
}

/* Values built by hand: the text of each binary form. */
static void
test_format_forms(void)
{
	char		buf[256];
	CqValue		v,
				el[5];

	memset(&v, 0, sizeof(v));
	v.type = CQ_T_BOOL;
	v.u.b = true;
	CQ_CHECK_STR(fmt(&v, buf, sizeof(buf)), "true");
	v.type = CQ_T_TIMESTAMP;
	v.u.i = INT64_C(1700000000123456);
	CQ_CHECK_STR(fmt(&v, buf, sizeof(buf)), "2023-11-14 22:13:20.123456+00");
	v.u.i = -1;				/* before the epoch: no negative fields */
	CQ_CHECK_STR(fmt(&v, buf, sizeof(buf)), "1969-12-31 23:59:59.999999+00");
	v.type = CQ_T_DATE;
	v.u.date = 11016;
	CQ_CHECK_STR(fmt(&v, buf, sizeof(buf)), "2000-02-29");
	v.type = CQ_T_INTERVAL;
	v.u.iv.months = 14;
	v.u.iv.days = 1;
	v.u.iv.usecs = -(INT64_C(3600) * 1000000 + 500000);
	CQ_CHECK_STR(fmt(&v, buf, sizeof(buf)), "1 year 2 mons 1 day -01:00:00.5");
	memset(&v.u, 0, sizeof(v.u));
	CQ_CHECK_STR(fmt(&v, buf, sizeof(buf)), "00:00:00");
	v.type = CQ_T_INET;
	v.u.inet.family = 4;
	v.u.inet.bits = 32;
	memcpy(v.u.inet.addr, "\x0a\x00\x00\x01", 4);
	CQ_CHECK_STR(fmt(&v, buf, sizeof(buf)), "10.0.0.1");
	v.u.inet.bits = 8;
	CQ_CHECK_STR(fmt(&v, buf, sizeof(buf)), "10.0.0.1/8");
	v.type = CQ_T_MACADDR;
	memcpy(v.u.mac, "\x08\x00\x2b\x01\x02\x03", 6);
	CQ_CHECK_STR(fmt(&v, buf, sizeof(buf)), "08:00:2b:01:02:03");

	/* arrays: PostgreSQL array literals, elements quoted when needed */
	memset(el, 0, sizeof(el));
	for (int i = 0; i < 5; i++)
		el[i].type = CQ_T_STRING;
	el[0].u.s = "a b";
	el[0].len = 3;
	el[1].isnull = 1;
	el[2].u.s = "NULL";
	el[2].len = 4;
	el[3].u.s = "x\"y\\z";
	el[3].len = 5;
	el[4].u.s = "";
	el[4].len = 0;
	memset(&v, 0, sizeof(v));
	v.type = CQ_T_STRING;
	v.is_array = 1;
	v.len = 5;
	v.u.arr = el;
	CQ_CHECK_STR(fmt(&v, buf, sizeof(buf)), "{\"a b\",NULL,\"NULL\",\"x\\\"y\\\\z\",\"\"}");
	v.len = 0;
	CQ_CHECK_STR(fmt(&v, buf, sizeof(buf)), "{}");
}

void
suite_types_format(void)
{
	cqt_types_begin();
	test_format_truncation();
	test_format_forms();
	cqt_types_end();
}
