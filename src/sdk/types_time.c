/*-------------------------------------------------------------------------
 *
 * types_time.c
 *		  Value parsers of the time family: timestamp, date, interval, with
 *		  the calendar arithmetic they need.
 *
 * The invariants of every parser are in types.c's banner (no malloc or
 * locale-dependent call per value, bounded by the value's length, a failure
 * is SQL NULL plus a CQ_ERR_VALUE naming the type, JSON null is SQL NULL).
 *	- no timegm/mktime/strptime: dates are days since 1970-01-01 in the
 *	  proleptic Gregorian calendar (days_from_civil), timestamps
 *	  microseconds since the epoch in UTC, within years 1..9999
 *	  (MIN_USECS..END_USECS); every addition and multiplication of
 *	  intervals is overflow-checked.
 *
 * Documented leniencies and decisions (see also cq_sdk.h):
 *	- timestamp: RFC 3339 / ISO 8601 with 'T', 't' or ' '; seconds optional;
 *	  fraction 1..9 digits rounded half-up to microseconds; offset Z/z,
 *	  +hh:mm, +hhmm or +hh (hh <= 15), no offset = UTC.  Second 60 (leap
 *	  second) is accepted as PostgreSQL does: it rolls into the next minute.
 *	  24:00:00 is the end of the day.  A date alone is midnight UTC.
 *	  Numbers (and numeric strings) are epoch seconds when |x| < 1e11, else
 *	  epoch milliseconds.  Years 1..9999 (after applying the offset).
 *	- date: "YYYY-MM-DD" or a full timestamp (its date in UTC); no numbers.
 *	- interval: seconds (number or numeric string), ISO 8601 durations
 *	  ([-]P[nY][nM][nW][nD][T[nH][nM][nS]], fractions on W/D/H/M/S, each
 *	  component may carry its own sign) and [-]H:MM[:SS[.f]].  Y = 12 months,
 *	  W = 7 days, fractional days spill into microseconds.
 *
 * Copyright (c) 2026, cq_fdw developers
 *
 *-------------------------------------------------------------------------
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE				/* strtod_l, uselocale, newlocale */
#endif
#include <math.h>
#include <string.h>

#include "cq_sdk.h"
#include "cq_sdk_int.h"
#include "types_int.h"

/* ------------------------------------------------------------------------
 * Calendar
 * ------------------------------------------------------------------------ */

/* days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant) */
static int64_t
days_from_civil(int64_t y, int m, int d)
{
	int64_t		era,
				yoe,
				doy,
				doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

void
cqp_types_civil_from_days(int64_t z, int *y, int *m, int *d)
{
	int64_t		era,
				doe,
				yoe,
				doy,
				mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int) (doy - (153 * mp + 2) / 5 + 1);
	*m = (int) (mp < 10 ? mp + 3 : mp - 9);
	*y = (int) (yoe + era * 400 + (*m <= 2));
}

static int
days_in_month(int y, int m)
{
	static const int dim[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

	if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return 29;
	return dim[m - 1];
}

/* ------------------------------------------------------------------------
 * Timestamps and dates
 * ------------------------------------------------------------------------ */

/* exactly n digits at s -> value, or -1 */
static inline int
digits_n(const char *s, int n)
{
	int			v = 0,
				i;

	for (i = 0; i < n; i++)
	{
		if (!cqp_types_isdig((unsigned char) s[i]))
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

/*
 * RFC 3339 / ISO 8601 text -> usecs since the epoch (UTC).  *reason is set
 * to a short reason on failure (or NULL for plain bad syntax).
 */
static bool
parse_timestamp_text(const char *s, size_t len, int64_t *out, const char **reason)
{
	int			y,
				mo,
				d,
				h = 0,
				mi = 0,
				sec = 0;
	int64_t		frac = 0,
				days,
				t;
	int			offs = 0;
	size_t		i;

	*reason = NULL;
	if (len < 10 || s[4] != '-' || s[7] != '-')
		return false;
	y = digits_n(s, 4);
	mo = digits_n(s + 5, 2);
	d = digits_n(s + 8, 2);
	if (y < 0 || mo < 0 || d < 0)
		return false;
	if (y < 1 || mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo))
	{
		*reason = "date out of range";
		return false;
	}
	i = 10;
	if (i < len)
	{
		if (s[i] != 'T' && s[i] != 't' && s[i] != ' ')
			return false;
		i++;
		if (i + 5 > len || s[i + 2] != ':')
			return false;
		h = digits_n(s + i, 2);
		mi = digits_n(s + i + 3, 2);
		if (h < 0 || mi < 0)
			return false;
		i += 5;
		if (i < len && s[i] == ':')
		{
			if (i + 3 > len)
				return false;
			sec = digits_n(s + i + 1, 2);
			if (sec < 0)
				return false;
			i += 3;
			if (i < len && (s[i] == '.' || s[i] == ','))
			{
				int			nd = 0;
				int64_t		f = 0;

				i++;
				while (i < len && cqp_types_isdig((unsigned char) s[i]))
				{
					if (nd >= 9)
						return false;
					f = f * 10 + (s[i] - '0');
					nd++;
					i++;
				}
				if (nd == 0)
					return false;
				/* scale to nanoseconds then round half-up to usecs */
				while (nd < 9)
				{
					f *= 10;
					nd++;
				}
				frac = (f + 500) / 1000;
			}
		}
		if (h > 24 || mi > 59 || sec > 60 ||
			(h == 24 && (mi != 0 || sec != 0 || frac != 0)) ||
			(sec == 60 && frac != 0))
		{
			*reason = "time out of range";
			return false;
		}
		/* offset */
		if (i < len && s[i] == ' ' && i + 1 < len && (s[i + 1] == '+' || s[i + 1] == '-'))
			i++;
		if (i < len)
		{
			if ((s[i] == 'Z' || s[i] == 'z') && i + 1 == len)
				i++;
			else if (s[i] == '+' || s[i] == '-')
			{
				int			sign = s[i] == '-' ? -1 : 1;
				int			oh,
							om = 0;
				size_t		rest = len - i - 1;

				if (rest == 2)
					oh = digits_n(s + i + 1, 2);
				else if (rest == 4)
				{
					oh = digits_n(s + i + 1, 2);
					om = digits_n(s + i + 3, 2);
				}
				else if (rest == 5 && s[i + 3] == ':')
				{
					oh = digits_n(s + i + 1, 2);
					om = digits_n(s + i + 4, 2);
				}
				else
					return false;
				if (oh < 0 || om < 0)
					return false;
				if (oh > 15 || om > 59)
				{
					*reason = "time zone offset out of range";
					return false;
				}
				offs = sign * (oh * 3600 + om * 60);
				i = len;
			}
			else
				return false;
		}
	}
	if (i != len)
		return false;
	days = days_from_civil(y, mo, d);
	t = ((days * 24 + h) * 60 + mi) * 60 + sec - offs;
	t = t * USECS_PER_SEC + frac;
	if (t < MIN_USECS || t >= END_USECS)
	{
		*reason = "timestamp out of range";
		return false;
	}
	*out = t;
	return true;
}

/* epoch seconds (|x| < 1e11) or milliseconds -> usecs; range-checked */
static bool
epoch_to_usecs(double x, int64_t ix, bool is_int, int64_t *out)
{
	if (is_int)
	{
		int64_t		mul = (ix > -100000000000LL && ix < 100000000000LL) ?
			USECS_PER_SEC : 1000;

		/* bound first so the multiplication cannot overflow */
		if (ix < MIN_USECS / mul || ix > END_USECS / mul)
			return false;
		*out = ix * mul;
	}
	else
	{
		double		us;

		if (!isfinite(x))
			return false;
		us = (fabs(x) < 1e11) ? x * 1e6 : x * 1e3;
		if (!(us >= (double) MIN_USECS && us < (double) END_USECS))
			return false;
		*out = llround(us);
	}
	return *out >= MIN_USECS && *out < END_USECS;
}

bool
cqp_types_p_timestamp(json_t *v, CqValue *out, CqError *err)
{
	const char *reason = NULL;

	if (json_is_string(v))
	{
		const char *s = json_string_value(v);
		size_t		len = json_string_length(v);

		if (len >= 10 && s[4] == '-')
		{
			if (parse_timestamp_text(s, len, &out->u.i, &reason))
				return true;
		}
		else if (len > 0 && len < 40)
		{
			int64_t		ix;
			double		d;

			if (cqp_types_parse_i64(s, len, &ix))
			{
				if (epoch_to_usecs(0, ix, true, &out->u.i))
					return true;
				reason = "timestamp out of range";
			}
			else if (cqp_types_parse_double(s, len, &d))
			{
				if (epoch_to_usecs(d, 0, false, &out->u.i))
					return true;
				reason = "timestamp out of range";
			}
		}
	}
	else if (json_is_integer(v))
	{
		if (epoch_to_usecs(0, json_integer_value(v), true, &out->u.i))
			return true;
		reason = "timestamp out of range";
	}
	else if (json_is_real(v))
	{
		if (epoch_to_usecs(json_real_value(v), 0, false, &out->u.i))
			return true;
		reason = "timestamp out of range";
	}
	return cqp_types_value_fail(out, err, CQ_T_TIMESTAMP, v, reason);
}

bool
cqp_types_p_date(json_t *v, CqValue *out, CqError *err)
{
	const char *reason = NULL;
	int64_t		t;

	if (json_is_string(v) &&
		parse_timestamp_text(json_string_value(v), json_string_length(v), &t, &reason))
	{
		/* floor division: dates before 1970 */
		int64_t		days = t / USECS_PER_DAY;

		if (t % USECS_PER_DAY < 0)
			days--;
		out->u.date = (int32_t) days;
		return true;
	}
	return cqp_types_value_fail(out, err, CQ_T_DATE, v, reason);
}

/* ------------------------------------------------------------------------
 * Intervals
 * ------------------------------------------------------------------------ */

/* Seconds (double) -> usecs, range-checked */
static bool
secs_to_usecs(double x, int64_t *out)
{
	double		us;

	if (!isfinite(x))
		return false;
	us = x * 1e6;
	if (!(us > -9.2e18 && us < 9.2e18))
		return false;
	*out = llround(us);
	return true;
}

/* checked helpers */
static inline bool
add64(int64_t a, int64_t b, int64_t *r)
{
	return !__builtin_add_overflow(a, b, r);
}

static inline bool
mul64(int64_t a, int64_t b, int64_t *r)
{
	return !__builtin_mul_overflow(a, b, r);
}

/*
 * ISO 8601 duration.  s starts after an optional overall sign; returns false
 * on bad syntax or overflow.
 */
static bool
parse_iso_duration(const char *s, size_t len, CqInterval *iv)
{
	size_t		i = 1;			/* s[0] == 'P' */
	bool		in_time = false,
				any = false;
	int64_t		months = 0,
				days = 0,
				usecs = 0;
	/* order of designators: Y M W D | H M S */
	int			last = -1;

	while (i < len)
	{
		bool		neg = false;
		int64_t		ip = 0;
		int64_t		fr = 0;		/* fraction in nanos (9 digits) */
		int			nd = 0,
					nf = 0,
					rank;
		char		des;

		if (s[i] == 'T' || s[i] == 't')
		{
			if (in_time)
				return false;
			in_time = true;
			i++;
			if (i == len)
				return false;
			continue;
		}
		if (s[i] == '-' || s[i] == '+')
			neg = s[i++] == '-';
		while (i < len && cqp_types_isdig((unsigned char) s[i]))
		{
			if (nd >= 15)
				return false;
			ip = ip * 10 + (s[i++] - '0');
			nd++;
		}
		if (i < len && (s[i] == '.' || s[i] == ','))
		{
			i++;
			while (i < len && cqp_types_isdig((unsigned char) s[i]))
			{
				if (nf < 9)
				{
					fr = fr * 10 + (s[i] - '0');
					nf++;
				}
				i++;
			}
			if (nf == 0)
				return false;
			while (nf < 9)
			{
				fr *= 10;
				nf++;
			}
		}
		if (nd == 0 || i >= len)
			return false;
		des = (char) cqp_types_lc((unsigned char) s[i++]);
		if (neg)
		{
			ip = -ip;
			fr = -fr;
		}
		if (!in_time)
		{
			switch (des)
			{
				case 'y':
					rank = 0;
					if (fr || !mul64(ip, 12, &ip) || !add64(months, ip, &months))
						return false;
					break;
				case 'm':
					rank = 1;
					if (fr || !add64(months, ip, &months))
						return false;
					break;
				case 'w':
					rank = 2;
					if (!mul64(ip, 7, &ip) || !add64(days, ip, &days) ||
						!add64(usecs, fr * 7 * 86400 / 1000, &usecs))
						return false;
					break;
				case 'd':
					rank = 3;
					if (!add64(days, ip, &days) ||
						!add64(usecs, fr * 86400 / 1000, &usecs))
						return false;
					break;
				default:
					return false;
			}
		}
		else
		{
			int64_t		unit;

			switch (des)
			{
				case 'h':
					rank = 4;
					unit = 3600;
					break;
				case 'm':
					rank = 5;
					unit = 60;
					break;
				case 's':
					rank = 6;
					unit = 1;
					break;
				default:
					return false;
			}
			if (!mul64(ip, unit * USECS_PER_SEC, &ip) || !add64(usecs, ip, &usecs) ||
				!add64(usecs, (fr * unit + (fr >= 0 ? 500 : -500)) / 1000, &usecs))
				return false;
		}
		if (rank <= last)
			return false;
		last = rank;
		any = true;
	}
	if (!any || months > INT32_MAX || months < INT32_MIN ||
		days > INT32_MAX || days < INT32_MIN)
		return false;
	iv->months = (int32_t) months;
	iv->days = (int32_t) days;
	iv->usecs = usecs;
	return true;
}

/* [H]H:MM[:SS[.f]] after an optional sign */
static bool
parse_hms(const char *s, size_t len, int64_t *usecs)
{
	size_t		i = 0;
	int64_t		h = 0;
	int			nd = 0,
				m,
				sec = 0;
	int64_t		frac = 0,
				t;

	while (i < len && cqp_types_isdig((unsigned char) s[i]))
	{
		if (nd >= 10)
			return false;
		h = h * 10 + (s[i++] - '0');
		nd++;
	}
	if (nd == 0 || i + 3 > len || s[i] != ':')
		return false;
	m = digits_n(s + i + 1, 2);
	if (m < 0 || m > 59)
		return false;
	i += 3;
	if (i < len)
	{
		if (s[i] != ':' || i + 3 > len)
			return false;
		sec = digits_n(s + i + 1, 2);
		if (sec < 0 || sec > 59)
			return false;
		i += 3;
		if (i < len)
		{
			int			nf = 0;
			int64_t		f = 0;

			if (s[i] != '.')
				return false;
			i++;
			while (i < len && cqp_types_isdig((unsigned char) s[i]))
			{
				if (nf < 9)
				{
					f = f * 10 + (s[i] - '0');
					nf++;
				}
				i++;
			}
			if (nf == 0 || i != len)
				return false;
			while (nf < 9)
			{
				f *= 10;
				nf++;
			}
			frac = (f + 500) / 1000;
		}
	}
	t = ((h * 60 + m) * 60 + sec) * USECS_PER_SEC + frac;
	*usecs = t;
	return true;
}

bool
cqp_types_p_interval(json_t *v, CqValue *out, CqError *err)
{
	CqInterval *iv = &out->u.iv;

	iv->months = 0;
	iv->days = 0;
	iv->usecs = 0;
	if (json_is_integer(v))
	{
		if (mul64(json_integer_value(v), USECS_PER_SEC, &iv->usecs))
			return true;
		return cqp_types_value_fail(out, err, CQ_T_INTERVAL, v, "out of range");
	}
	if (json_is_real(v))
	{
		if (secs_to_usecs(json_real_value(v), &iv->usecs))
			return true;
		return cqp_types_value_fail(out, err, CQ_T_INTERVAL, v, "out of range");
	}
	if (json_is_string(v))
	{
		const char *s = json_string_value(v);
		size_t		len = json_string_length(v);
		size_t		o = 0;
		bool		neg = false;
		int64_t		ix;
		double		d;

		if (len > 0 && (s[0] == '-' || s[0] == '+'))
		{
			neg = s[0] == '-';
			o = 1;
		}
		if (o < len && (s[o] == 'P' || s[o] == 'p'))
		{
			if (parse_iso_duration(s + o, len - o, iv))
			{
				if (neg)
				{
					if (iv->months == INT32_MIN || iv->days == INT32_MIN ||
						iv->usecs == INT64_MIN)
						return cqp_types_value_fail(out, err, CQ_T_INTERVAL, v, "out of range");
					iv->months = -iv->months;
					iv->days = -iv->days;
					iv->usecs = -iv->usecs;
				}
				return true;
			}
		}
		else if (memchr(s, ':', len) != NULL)
		{
			if (parse_hms(s + o, len - o, &iv->usecs))
			{
				if (neg)
					iv->usecs = -iv->usecs;
				return true;
			}
		}
		else if (cqp_types_parse_i64(s, len, &ix))
		{
			if (mul64(ix, USECS_PER_SEC, &iv->usecs))
				return true;
			return cqp_types_value_fail(out, err, CQ_T_INTERVAL, v, "out of range");
		}
		else if (len < 64 && cqp_types_parse_double(s, len, &d))
		{
			if (secs_to_usecs(d, &iv->usecs))
				return true;
			return cqp_types_value_fail(out, err, CQ_T_INTERVAL, v, "out of range");
		}
	}
	return cqp_types_value_fail(out, err, CQ_T_INTERVAL, v, NULL);
}
