/*
 * test_types_time.c -- suite `types_time`: src/sdk/types_time.c, the time
 * family (timestamp, date, interval) through cq_value_parse, the calendar
 * (cqp_types_civil_from_days) and the parsers called directly.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cq_sdk.h"
#include "cq_sdk_int.h"
#include "types_int.h"
#include "cqtest.h"
#include "typestest.h"


void		suite_types_time(void);

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
	CQ_CHECK(cqt_parse_fmt("timestamp", "\"1970-01-01T00:00:01.5Z\"", buf, sizeof(buf), &v, &e) &&
			 v.u.i == 1500000);
	CQ_CHECK(cqt_parse_fmt("timestamp", "\"0001-01-01T00:00:00Z\"", buf, sizeof(buf), &v, &e) &&
			 v.u.i == INT64_C(-62135596800000000));
	CQ_CHECK(!cqt_parse_fmt("timestamp", "\"2023-02-29\"", buf, sizeof(buf), &v, &e) &&
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
	CQ_CHECK(cqt_parse_fmt("date", "\"1970-01-02\"", buf, sizeof(buf), &v, &e) && v.u.date == 1);
	CQ_CHECK(cqt_parse_fmt("date", "\"1969-12-31\"", buf, sizeof(buf), &v, &e) && v.u.date == -1);
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
	CQ_CHECK(cqt_parse_fmt("interval", "\"P1Y2M3DT4H5M6.5S\"", buf, sizeof(buf), &v, &e) &&
			 v.u.iv.months == 14 && v.u.iv.days == 3 &&
			 v.u.iv.usecs == INT64_C(14706500000));
	CQ_CHECK(cqt_parse_fmt("interval", "\"-P1M2DT3S\"", buf, sizeof(buf), &v, &e) &&
			 v.u.iv.months == -1 && v.u.iv.days == -2 && v.u.iv.usecs == -3000000);
}

/* The calendar and the family's parsers, directly. */
static void
test_time_direct(void)
{
	int			y,
				m,
				d;
	json_t	   *v;
	CqValue		out;
	CqError		e;

	cqp_types_civil_from_days(0, &y, &m, &d);
	CQ_CHECK(y == 1970 && m == 1 && d == 1);
	cqp_types_civil_from_days(-1, &y, &m, &d);
	CQ_CHECK(y == 1969 && m == 12 && d == 31);
	cqp_types_civil_from_days(11016, &y, &m, &d);	/* a leap day */
	CQ_CHECK(y == 2000 && m == 2 && d == 29);
	cqp_types_civil_from_days(MIN_DAYS, &y, &m, &d);
	CQ_CHECK(y == 1 && m == 1 && d == 1);
	cqp_types_civil_from_days(END_DAYS - 1, &y, &m, &d);
	CQ_CHECK(y == 9999 && m == 12 && d == 31);
	CQ_CHECK(MIN_USECS == (int64_t) MIN_DAYS * USECS_PER_DAY && USECS_PER_DAY == 86400 * USECS_PER_SEC);

	/* timestamps: microseconds since the epoch, UTC */
	v = json_string("1970-01-02T00:00:01.5+01:00");
	CQ_CHECK(cqp_types_p_timestamp(v, &out, &e) &&
			 out.u.i == (86400 - 3600 + 1) * USECS_PER_SEC + 500000);
	json_decref(v);
	v = json_integer(1700000000123);	/* epoch milliseconds */
	CQ_CHECK(cqp_types_p_timestamp(v, &out, &e) && out.u.i == INT64_C(1700000000123000));
	json_decref(v);
	v = json_string("10000-01-01");
	memset(&e, 0, sizeof(e));
	CQ_CHECK(!cqp_types_p_timestamp(v, &out, &e) && out.isnull && e.kind == CQ_ERR_VALUE);
	json_decref(v);
	/* dates: days since the epoch; numbers are refused */
	v = json_string("2000-02-29");
	CQ_CHECK(cqp_types_p_date(v, &out, &e) && out.u.date == 11016);
	json_decref(v);
	v = json_integer(5);
	CQ_CHECK(!cqp_types_p_date(v, &out, &e) && out.isnull);
	json_decref(v);
	/* intervals: months, days, microseconds kept apart */
	v = json_string("P1Y2M3DT4H");
	CQ_CHECK(cqp_types_p_interval(v, &out, &e) && out.u.iv.months == 14 && out.u.iv.days == 3 &&
			 out.u.iv.usecs == 4 * 3600 * USECS_PER_SEC);
	json_decref(v);
	v = json_real(1.25);
	CQ_CHECK(cqp_types_p_interval(v, &out, &e) && out.u.iv.months == 0 && out.u.iv.days == 0 &&
			 out.u.iv.usecs == 1250000);
	json_decref(v);
}

void
suite_types_time(void)
{
	cqt_types_begin();
	test_timestamp();
	test_date();
	test_interval();
	test_time_direct();
	cqt_types_end();
}
