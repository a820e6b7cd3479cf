/*-------------------------------------------------------------------------
 *
 * types.c
 *		  The SDK type system: type names, parsing of API values (jansson)
 *		  into typed binary values (CqValue), and formatting them back as
 *		  PostgreSQL input text.
 *
 * Invariants:
 *	- cq_value_parse runs on worker threads for every value of every row:
 *	  no malloc per value (variable-size data comes from the caller's arena),
 *	  no locale-dependent call (numbers are parsed by hand or with strtod_l
 *	  under a C locale created once), no timegm/mktime (calendar arithmetic
 *	  is done here, proleptic Gregorian, days-from-civil).
 *	- Every API value is hostile: every parser is bounded by the value's
 *	  length (json_string_length, never strlen), never reads past it, and
 *	  never uses value text as a format string.
 *	- On failure a parser returns false, sets out->isnull and fills err
 *	  (CQ_ERR_VALUE, "invalid input for type X[: reason]", api_message = the
 *	  offending text, sanitized and truncated).  No partial state escapes:
 *	  a failed array drops the json references its elements took.
 *	- A JSON null (or a missing value, v == NULL) is SQL NULL for every type,
 *	  json included.
 *
 * Documented leniencies and decisions (see also cq_sdk.h):
 *	- string: JSON numbers and booleans become their JSON text; objects and
 *	  arrays their compact JSON text; "\u0000" (NUL) is stripped.
 *	- bool: true/false, and strings true/false/t/f/yes/no/y/n/on/off/1/0 (any
 *	  case, PostgreSQL's boolin words), numbers 0 and 1.
 *	- int/uint: integral JSON reals are accepted; strings must be an optional
 *	  sign (uint: '+' only) and digits, nothing else (no spaces, no exponent).
 *	- float: strings at most 1000 bytes (bounds strtod's work).
 *	- bytes: base64, or "\x" and hex digit pairs (PostgreSQL's form;
 *	  whitespace between pairs).
 *	- numeric: JSON numbers reach this parser as strings of their own text
 *	  (job.c quotes them for numeric columns), so no digit is lost; strings
 *	  must match [-+]?digits[.digits]([eE][-+]?digits)? or
 *	  be NaN (any case); at most 1000 bytes and |exponent| <= 100000.  The
 *	  canonical text drops a leading '+' and writes 'e' lower case.
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
 *	- inet: IPv4 dotted quad, each octet decimal 0..255 (leading zeros are
 *	  decimal, as PostgreSQL reads them); IPv6 in any inet_pton form; an
 *	  optional /bits.  Zone ids ("%eth0") are refused.
 *	- cidr: as inet, bits default to 32/128; IPv4 may be abbreviated when
 *	  bits are given ("10/8"); host bits set is an error (strict).
 *	- arrays: a JSON scalar for an array type is a one-element array; null
 *	  elements are allowed; one bad element fails the whole value and the
 *	  message names its index.
 *
 * Copyright (c) 2026, cq_fdw developers
 *
 *-------------------------------------------------------------------------
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE				/* strtod_l, uselocale, newlocale */
#endif
#include <errno.h>
#include <locale.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>

#include "cq_sdk.h"
#include "cq_sdk_int.h"

#define USECS_PER_SEC	INT64_C(1000000)
#define USECS_PER_DAY	INT64_C(86400000000)
/* 0001-01-01 and 10000-01-01 as days since 1970-01-01 */
#define MIN_DAYS		(-719162)
#define END_DAYS		2932897
#define MIN_USECS		((int64_t) MIN_DAYS * USECS_PER_DAY)
#define END_USECS		((int64_t) END_DAYS * USECS_PER_DAY)

#define NUMERIC_MAX_LEN	1000
#define FLOAT_MAX_LEN	1000
#define NUMERIC_MAX_EXP	100000

static const char *const type_names[CQ_T__COUNT] = {
	"bool", "int", "uint", "float", "numeric", "string", "bytes", "uuid",
	"timestamp", "date", "interval", "json", "inet", "cidr", "macaddr"
};

/* ------------------------------------------------------------------------
 * C locale (for strtod_l, snprintf of doubles)
 * ------------------------------------------------------------------------ */
static pthread_once_t c_locale_once = PTHREAD_ONCE_INIT;
static locale_t c_locale = (locale_t) 0;

static void
c_locale_init(void)
{
	c_locale = newlocale(LC_ALL_MASK, "C", (locale_t) 0);
}

static locale_t
cqp_types_get_c_locale(void)
{
	pthread_once(&c_locale_once, c_locale_init);
	return c_locale;
}

/* ------------------------------------------------------------------------
 * Type names
 * ------------------------------------------------------------------------ */

/* "int", "inet", ...; "unknown" when out of range.  Static string. */
const char *
cq_type_name(CqType t)
{
	if ((int) t < 0 || t >= CQ_T__COUNT)
		return "unknown";
	return type_names[t];
}

/*
 * cq_type_parse
 *		"inet" or "inet[]" -> CqColType.  Exact lower-case names only.
 *		Returns false (out untouched) for an unknown name or NULL.
 */
bool
cq_type_parse(const char *name, CqColType *out)
{
	size_t		len;
	bool		arr = false;
	int			t;

	if (name == NULL || out == NULL)
		return false;
	len = strlen(name);
	if (len > 2 && name[len - 2] == '[' && name[len - 1] == ']')
	{
		arr = true;
		len -= 2;
	}
	for (t = 0; t < CQ_T__COUNT; t++)
		if (strlen(type_names[t]) == len && memcmp(type_names[t], name, len) == 0)
		{
			out->base = (CqType) t;
			out->is_array = arr;
			return true;
		}
	return false;
}

/* ------------------------------------------------------------------------
 * Small helpers
 * ------------------------------------------------------------------------ */
static inline int
cqp_types_lc(int c)
{
	return (c >= 'A' && c <= 'Z') ? c + 32 : c;
}

static inline bool
cqp_types_isdig(int c)
{
	return c >= '0' && c <= '9';
}

static inline int
cqp_types_hexv(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* case-insensitive equality of s[0..len) with a lower-case literal */
static bool
cqp_types_eq_ci(const char *s, size_t len, const char *lit)
{
	size_t		i;

	for (i = 0; i < len; i++)
		if (lit[i] == '\0' || cqp_types_lc((unsigned char) s[i]) != lit[i])
			return false;
	return lit[len] == '\0';
}

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

static void
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

/* strict [-+]?digits -> int64, no overflow */
static bool
cqp_types_parse_i64(const char *s, size_t len, int64_t *out)
{
	size_t		i = 0;
	bool		neg = false;
	uint64_t	v = 0,
				lim;

	if (len == 0)
		return false;
	if (s[0] == '-' || s[0] == '+')
	{
		neg = s[0] == '-';
		i = 1;
	}
	if (i == len)
		return false;
	lim = neg ? (uint64_t) INT64_MAX + 1 : (uint64_t) INT64_MAX;
	for (; i < len; i++)
	{
		unsigned	dgt = (unsigned char) s[i] - '0';

		if (dgt > 9)
			return false;
		if (v > (lim - dgt) / 10)
			return false;
		v = v * 10 + dgt;
	}
	*out = neg ? (int64_t) (0 - v) : (int64_t) v;
	return true;
}

/* strict [+]?digits -> uint64 */
static bool
parse_u64(const char *s, size_t len, uint64_t *out)
{
	size_t		i = 0;
	uint64_t	v = 0;

	if (len > 0 && s[0] == '+')
		i = 1;
	if (i == len)
		return false;
	for (; i < len; i++)
	{
		unsigned	dgt = (unsigned char) s[i] - '0';

		if (dgt > 9)
			return false;
		if (v > (UINT64_MAX - dgt) / 10)
			return false;
		v = v * 10 + dgt;
	}
	*out = v;
	return true;
}

/*
 * Validate a decimal [-+]?(digits[.digits*]|.digits)([eE][-+]?digits)?
 * Returns true if the syntax is valid.  *strict is set when it also matches
 * the numeric form [-+]?digits[.digits]([eE][-+]?digits)?.
 */
static bool
decimal_syntax(const char *s, size_t len, bool *strict, long *exp_out)
{
	size_t		i = 0,
				nint = 0,
				nfrac = 0;
	bool		dot = false;
	long		ex = 0;

	*strict = false;
	if (i < len && (s[i] == '-' || s[i] == '+'))
		i++;
	while (i < len && cqp_types_isdig((unsigned char) s[i]))
		i++, nint++;
	if (i < len && s[i] == '.')
	{
		dot = true;
		i++;
		while (i < len && cqp_types_isdig((unsigned char) s[i]))
			i++, nfrac++;
	}
	if (nint == 0 && nfrac == 0)
		return false;
	*strict = nint > 0 && (!dot || nfrac > 0);
	if (i < len && (s[i] == 'e' || s[i] == 'E'))
	{
		bool		eneg = false;
		size_t		nexp = 0;

		i++;
		if (i < len && (s[i] == '-' || s[i] == '+'))
			eneg = s[i++] == '-';
		while (i < len && cqp_types_isdig((unsigned char) s[i]))
		{
			if (ex < 100000000)
				ex = ex * 10 + (s[i] - '0');
			i++, nexp++;
		}
		if (nexp == 0)
			return false;
		if (eneg)
			ex = -ex;
	}
	if (exp_out)
		*exp_out = ex;
	return i == len;
}

/*
 * Parse a float text (decimal syntax or NaN/Infinity words) locale-free.
 * Out of range (overflow, or underflow to zero) fails.
 */
static bool
cqp_types_parse_double(const char *s, size_t len, double *out)
{
	char		buf[128];
	const char *p = s;
	bool		strict;
	char	   *end;
	double		d;
	size_t		i;

	/* bound the work strtod may do on hostile digit strings */
	if (len == 0 || len > FLOAT_MAX_LEN)
		return false;
	if (!decimal_syntax(s, len, &strict, NULL))
	{
		size_t		o = 0;
		bool		neg = false;

		if (s[0] == '-' || s[0] == '+')
		{
			neg = s[0] == '-';
			o = 1;
		}
		if (cqp_types_eq_ci(s, len, "nan"))
			*out = NAN;
		else if (cqp_types_eq_ci(s + o, len - o, "infinity") || cqp_types_eq_ci(s + o, len - o, "inf"))
			*out = neg ? -INFINITY : INFINITY;
		else
			return false;
		return true;
	}
	/* strtod needs NUL termination: copy unless already terminated */
	if (len < sizeof(buf))
	{
		memcpy(buf, s, len);
		buf[len] = '\0';
		p = buf;
	}
	else
	{
		/* long input: value text of a jansson string is NUL-terminated at
		 * len; we only get here through callers that guarantee that */
		for (i = 0; i < len; i++)
			if (s[i] == '\0')
				return false;
		if (s[len] != '\0')
			return false;
	}
	errno = 0;
	/* newlocale("C") cannot really fail; fall back rather than crash */
	d = cqp_types_get_c_locale() ? strtod_l(p, &end, cqp_types_get_c_locale()) : strtod(p, &end);
	if (end != p + len)
		return false;
	if (errno == ERANGE && (isinf(d) || d == 0.0))
		return false;
	*out = d;
	return true;
}

/* int64 -> decimal text; buf >= 21 bytes; returns length */
static size_t
cqp_types_fmt_i64(int64_t v, char *buf)
{
	char		tmp[24];
	size_t		n = 0,
				o = 0;
	uint64_t	u = v < 0 ? (uint64_t) 0 - (uint64_t) v : (uint64_t) v;

	do
	{
		tmp[n++] = (char) ('0' + u % 10);
		u /= 10;
	} while (u);
	if (v < 0)
		buf[o++] = '-';
	while (n)
		buf[o++] = tmp[--n];
	buf[o] = '\0';
	return o;
}

static size_t
cqp_types_fmt_u64(uint64_t u, char *buf)
{
	char		tmp[24];
	size_t		n = 0,
				o = 0;

	do
	{
		tmp[n++] = (char) ('0' + u % 10);
		u /= 10;
	} while (u);
	while (n)
		buf[o++] = tmp[--n];
	buf[o] = '\0';
	return o;
}

/*
 * Shortest round-trip text of a double ("0.1", "1e+20"), C locale; NaN and
 * infinities as PostgreSQL spells them.  buf >= 32 bytes.
 */
static size_t
cqp_types_fmt_double(double d, char *buf)
{
	locale_t	loc = cqp_types_get_c_locale(),
				old;
	int			prec;
	int			n = 0;

	if (isnan(d))
		return (size_t) snprintf(buf, 32, "NaN");
	if (isinf(d))
		return (size_t) snprintf(buf, 32, d < 0 ? "-Infinity" : "Infinity");
	if (loc == (locale_t) 0)
		return (size_t) snprintf(buf, 32, "%.17g", d);
	old = uselocale(loc);
	for (prec = 15; prec <= 17; prec++)
	{
		n = snprintf(buf, 32, "%.*g", prec, d);
		if (prec == 17 || strtod_l(buf, NULL, loc) == d)
			break;
	}
	uselocale(old);
	return n > 0 ? (size_t) n : 0;
}

/* ------------------------------------------------------------------------
 * Errors
 * ------------------------------------------------------------------------ */

/* Set out null and err to a value error; returns false. */
static bool
cqp_types_value_fail(CqValue *out, CqError *err, CqType t, json_t *v, const char *reason)
{
	out->isnull = 1;
	if (err == NULL)
		return false;
	if (reason)
		cq_error_set(err, CQ_ERR_VALUE, "invalid input for type %s: %s",
					 cq_type_name(t), reason);
	else
		cq_error_set(err, CQ_ERR_VALUE, "invalid input for type %s",
					 cq_type_name(t));
	if (v == NULL)
		return false;
	if (json_is_string(v))
	{
		size_t		len = json_string_length(v);

		cqp_sanitize_copy(err->api_message, 101 < sizeof(err->api_message) ? 101 : sizeof(err->api_message),
						  json_string_value(v), len > 100 ? 100 : len);
	}
	else
	{
		char		buf[128];
		size_t		n = json_dumpb(v, buf, sizeof(buf),
								   JSON_COMPACT | JSON_ENCODE_ANY);

		if (n > 0 && n <= sizeof(buf))
			cqp_sanitize_copy(err->api_message, sizeof(err->api_message), buf, n);
		else
			snprintf(err->api_message, sizeof(err->api_message), "(%s)",
					 json_is_object(v) ? "object" : json_is_array(v) ? "array" : "value");
	}
	return false;
}

static bool
cqp_types_nomem(CqValue *out, CqError *err)
{
	out->isnull = 1;
	cq_error_set(err, CQ_ERR_NOMEM, "out of memory");
	return false;
}

/* ------------------------------------------------------------------------
 * Scalar parsers.  Each gets a non-null JSON value; returns true/false.
 * ------------------------------------------------------------------------ */

static bool
cqp_types_p_bool(json_t *v, CqValue *out, CqError *err)
{
	switch (json_typeof(v))
	{
		case JSON_TRUE:
			out->u.b = true;
			return true;
		case JSON_FALSE:
			out->u.b = false;
			return true;
		case JSON_INTEGER:
			if (json_integer_value(v) == 0 || json_integer_value(v) == 1)
			{
				out->u.b = json_integer_value(v) == 1;
				return true;
			}
			break;
		case JSON_REAL:
			if (json_real_value(v) == 0.0 || json_real_value(v) == 1.0)
			{
				out->u.b = json_real_value(v) == 1.0;
				return true;
			}
			break;
		case JSON_STRING:
			{
				const char *s = json_string_value(v);
				size_t		len = json_string_length(v);

				if (cqp_types_eq_ci(s, len, "true") || cqp_types_eq_ci(s, len, "t") ||
					cqp_types_eq_ci(s, len, "yes") || cqp_types_eq_ci(s, len, "y") ||
					cqp_types_eq_ci(s, len, "on") || cqp_types_eq_ci(s, len, "1"))
				{
					out->u.b = true;
					return true;
				}
				if (cqp_types_eq_ci(s, len, "false") || cqp_types_eq_ci(s, len, "f") ||
					cqp_types_eq_ci(s, len, "no") || cqp_types_eq_ci(s, len, "n") ||
					cqp_types_eq_ci(s, len, "off") || cqp_types_eq_ci(s, len, "0"))
				{
					out->u.b = false;
					return true;
				}
				break;
			}
		default:
			break;
	}
	return cqp_types_value_fail(out, err, CQ_T_BOOL, v, NULL);
}

static bool
cqp_types_p_int(json_t *v, CqValue *out, CqError *err)
{
	if (json_is_integer(v))
	{
		out->u.i = json_integer_value(v);
		return true;
	}
	if (json_is_real(v))
	{
		double		d = json_real_value(v);

		if (d != floor(d))
			return cqp_types_value_fail(out, err, CQ_T_INT, v, "not an integer");
		if (!(d >= -9223372036854775808.0 && d < 9223372036854775808.0))
			return cqp_types_value_fail(out, err, CQ_T_INT, v, "out of range");
		out->u.i = (int64_t) d;
		return true;
	}
	if (json_is_string(v))
	{
		const char *s = json_string_value(v);
		size_t		len = json_string_length(v);
		bool		strict;

		if (cqp_types_parse_i64(s, len, &out->u.i))
			return true;
		if (len > 0 && decimal_syntax(s, len, &strict, NULL))
		{
			/* all digits but too long: out of range */
			size_t		i = (s[0] == '-' || s[0] == '+');

			double		d;

			while (i < len && cqp_types_isdig((unsigned char) s[i]))
				i++;
			if (i == len)
				return cqp_types_value_fail(out, err, CQ_T_INT, v, "out of range");
			/* a number beyond a double's range (a JSON one arrives quoted) */
			if (len <= FLOAT_MAX_LEN && !cqp_types_parse_double(s, len, &d))
				return cqp_types_value_fail(out, err, CQ_T_INT, v, "out of range");
		}
	}
	return cqp_types_value_fail(out, err, CQ_T_INT, v, NULL);
}

static bool
cqp_types_p_uint(json_t *v, CqValue *out, CqError *err)
{
	if (json_is_integer(v))
	{
		if (json_integer_value(v) < 0)
			return cqp_types_value_fail(out, err, CQ_T_UINT, v, "out of range");
		out->u.u = (uint64_t) json_integer_value(v);
		return true;
	}
	if (json_is_real(v))
	{
		double		d = json_real_value(v);

		if (d != floor(d))
			return cqp_types_value_fail(out, err, CQ_T_UINT, v, "not an integer");
		if (!(d >= 0.0 && d < 18446744073709551616.0))
			return cqp_types_value_fail(out, err, CQ_T_UINT, v, "out of range");
		out->u.u = (uint64_t) d;
		return true;
	}
	if (json_is_string(v))
	{
		const char *s = json_string_value(v);
		size_t		len = json_string_length(v);
		size_t		i;

		if (parse_u64(s, len, &out->u.u))
			return true;
		i = (len > 0 && (s[0] == '-' || s[0] == '+'));
		if (i < len)
		{
			size_t		j = i;

			while (j < len && cqp_types_isdig((unsigned char) s[j]))
				j++;
			if (j == len)
				return cqp_types_value_fail(out, err, CQ_T_UINT, v, "out of range");
		}
	}
	return cqp_types_value_fail(out, err, CQ_T_UINT, v, NULL);
}

static bool
cqp_types_p_float(json_t *v, CqValue *out, CqError *err)
{
	if (json_is_real(v))
	{
		out->u.f = json_real_value(v);
		return true;
	}
	if (json_is_integer(v))
	{
		out->u.f = (double) json_integer_value(v);
		return true;
	}
	if (json_is_string(v))
	{
		const char *s = json_string_value(v);
		size_t		len = json_string_length(v);
		bool		strict;

		if (cqp_types_parse_double(s, len, &out->u.f))
			return true;
		/* a number beyond a double's range (a JSON one arrives quoted) */
		if (len > 0 && len <= FLOAT_MAX_LEN && decimal_syntax(s, len, &strict, NULL))
			return cqp_types_value_fail(out, err, CQ_T_FLOAT, v, "out of range");
	}
	return cqp_types_value_fail(out, err, CQ_T_FLOAT, v, NULL);
}

static bool
cqp_types_p_numeric(json_t *v, CqArena *arena, CqValue *out, CqError *err)
{
	char		buf[40];
	size_t		n;
	char	   *d;

	if (json_is_integer(v))
		n = cqp_types_fmt_i64(json_integer_value(v), buf);
	else if (json_is_real(v))
		n = cqp_types_fmt_double(json_real_value(v), buf);
	else if (json_is_string(v))
	{
		const char *s = json_string_value(v);
		size_t		len = json_string_length(v);
		bool		strict;
		long		ex = 0;
		size_t		i;

		if (cqp_types_eq_ci(s, len, "nan"))
		{
			out->u.s = "NaN";
			out->len = 3;
			return true;
		}
		if (len > NUMERIC_MAX_LEN)
			return cqp_types_value_fail(out, err, CQ_T_NUMERIC, v, "too long");
		if (!decimal_syntax(s, len, &strict, &ex) || !strict)
			return cqp_types_value_fail(out, err, CQ_T_NUMERIC, v, NULL);
		if (ex > NUMERIC_MAX_EXP || ex < -NUMERIC_MAX_EXP)
			return cqp_types_value_fail(out, err, CQ_T_NUMERIC, v, "exponent out of range");
		if (s[0] == '+')
		{
			s++;
			len--;
		}
		d = cqp_arena_strndup(arena, s, len);
		if (d == NULL)
			return cqp_types_nomem(out, err);
		for (i = 0; i < len; i++)
			if (d[i] == 'E')
				d[i] = 'e';
		out->u.s = d;
		out->len = (uint32_t) len;
		return true;
	}
	else
		return cqp_types_value_fail(out, err, CQ_T_NUMERIC, v, NULL);

	d = cqp_arena_strndup(arena, buf, n);
	if (d == NULL)
		return cqp_types_nomem(out, err);
	out->u.s = d;
	out->len = (uint32_t) n;
	return true;
}

static bool
cqp_types_p_string(json_t *v, CqArena *arena, CqValue *out, CqError *err)
{
	char		buf[40];
	const char *s;
	size_t		len;
	char	   *d;

	switch (json_typeof(v))
	{
		case JSON_STRING:
			s = json_string_value(v);
			len = json_string_length(v);
			if (len > UINT32_MAX)
				return cqp_types_value_fail(out, err, CQ_T_STRING, v, "too long");
			if (memchr(s, '\0', len) == NULL)
			{
				d = cqp_arena_strndup(arena, s, len);
				if (d == NULL)
					return cqp_types_nomem(out, err);
			}
			else
			{
				/* strip NULs (text cannot hold them) */
				size_t		i,
							o = 0;

				d = cq_arena_alloc(arena, len + 1);
				if (d == NULL)
					return cqp_types_nomem(out, err);
				for (i = 0; i < len; i++)
					if (s[i] != '\0')
						d[o++] = s[i];
				d[o] = '\0';
				len = o;
			}
			out->u.s = d;
			out->len = (uint32_t) len;
			return true;
		case JSON_INTEGER:
			len = cqp_types_fmt_i64(json_integer_value(v), buf);
			s = buf;
			break;
		case JSON_REAL:
			len = cqp_types_fmt_double(json_real_value(v), buf);
			s = buf;
			break;
		case JSON_TRUE:
			s = "true";
			len = 4;
			break;
		case JSON_FALSE:
			s = "false";
			len = 5;
			break;
		default:
			{
				/* object/array: compact JSON text (NUL can't occur: escaped) */
				char	   *txt = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);

				if (txt == NULL)
					return cqp_types_nomem(out, err);
				len = strlen(txt);
				d = len <= UINT32_MAX ? cqp_arena_strndup(arena, txt, len) : NULL;
				free(txt);
				if (d == NULL)
					return cqp_types_nomem(out, err);
				out->u.s = d;
				out->len = (uint32_t) len;
				return true;
			}
	}
	d = cqp_arena_strndup(arena, s, len);
	if (d == NULL)
		return cqp_types_nomem(out, err);
	out->u.s = d;
	out->len = (uint32_t) len;
	return true;
}

static const signed char b64tab[256] = {
	['A'] = 1,['B'] = 2,['C'] = 3,['D'] = 4,['E'] = 5,['F'] = 6,['G'] = 7,
	['H'] = 8,['I'] = 9,['J'] = 10,['K'] = 11,['L'] = 12,['M'] = 13,['N'] = 14,
	['O'] = 15,['P'] = 16,['Q'] = 17,['R'] = 18,['S'] = 19,['T'] = 20,['U'] = 21,
	['V'] = 22,['W'] = 23,['X'] = 24,['Y'] = 25,['Z'] = 26,
	['a'] = 27,['b'] = 28,['c'] = 29,['d'] = 30,['e'] = 31,['f'] = 32,['g'] = 33,
	['h'] = 34,['i'] = 35,['j'] = 36,['k'] = 37,['l'] = 38,['m'] = 39,['n'] = 40,
	['o'] = 41,['p'] = 42,['q'] = 43,['r'] = 44,['s'] = 45,['t'] = 46,['u'] = 47,
	['v'] = 48,['w'] = 49,['x'] = 50,['y'] = 51,['z'] = 52,
	['0'] = 53,['1'] = 54,['2'] = 55,['3'] = 56,['4'] = 57,['5'] = 58,['6'] = 59,
	['7'] = 60,['8'] = 61,['9'] = 62,
	['+'] = 63,['-'] = 63,['/'] = 64,['_'] = 64,
};								/* value + 1; 0 = not base64 */

/*
 * PostgreSQL's bytea hex form after its "\\x": pairs of hex digits (any
 * case), whitespace allowed between pairs, as byteain reads it.
 */
static bool
p_bytes_hex(json_t *v, const unsigned char *s, size_t len, CqArena *arena,
			CqValue *out, CqError *err)
{
	unsigned char *d = cq_arena_alloc(arena, len / 2 + 1);
	size_t		i = 0,
				o = 0;

	if (d == NULL)
		return cqp_types_nomem(out, err);
	while (i < len)
	{
		int			h,
					l;

		if (s[i] == ' ' || s[i] == '\n' || s[i] == '\r' || s[i] == '\t')
		{
			i++;
			continue;
		}
		if (i + 1 >= len)
			return cqp_types_value_fail(out, err, CQ_T_BYTES, v, "odd number of hex digits");
		h = cqp_types_hexv(s[i]);
		l = cqp_types_hexv(s[i + 1]);
		if (h < 0 || l < 0)
			return cqp_types_value_fail(out, err, CQ_T_BYTES, v, "invalid hexadecimal digit");
		d[o++] = (unsigned char) (h << 4 | l);
		i += 2;
	}
	if (o > UINT32_MAX)
		return cqp_types_value_fail(out, err, CQ_T_BYTES, v, "too long");
	out->u.s = (const char *) d;
	out->len = (uint32_t) o;
	return true;
}

/*
 * base64 (standard or URL-safe alphabet), padding optional but correct when
 * present, whitespace ignored (MIME line breaks, as GitHub's contents API).
 */
static bool
cqp_types_p_bytes(json_t *v, CqArena *arena, CqValue *out, CqError *err)
{
	const unsigned char *s;
	size_t		len,
				i,
				o = 0,
				nchars = 0,
				npad = 0;
	unsigned char *d;
	uint32_t	acc = 0;
	int			nacc = 0;

	if (!json_is_string(v))
		return cqp_types_value_fail(out, err, CQ_T_BYTES, v, NULL);
	s = (const unsigned char *) json_string_value(v);
	len = json_string_length(v);
	/* a backslash is not base64: \x... is PostgreSQL's hex form */
	if (len >= 2 && s[0] == '\\' && (s[1] == 'x' || s[1] == 'X'))
		return p_bytes_hex(v, s + 2, len - 2, arena, out, err);
	d = cq_arena_alloc(arena, len / 4 * 3 + 4);
	if (d == NULL)
		return cqp_types_nomem(out, err);
	for (i = 0; i < len; i++)
	{
		unsigned char c = s[i];
		int			x;

		if (c == ' ' || c == '\n' || c == '\r' || c == '\t')
			continue;
		if (c == '=')
		{
			npad++;
			continue;
		}
		if (npad > 0)
			return cqp_types_value_fail(out, err, CQ_T_BYTES, v, "data after padding");
		x = b64tab[c] - 1;
		if (x < 0)
			return cqp_types_value_fail(out, err, CQ_T_BYTES, v, "invalid base64 character");
		nchars++;
		acc = (acc << 6) | (uint32_t) x;
		if (++nacc == 4)
		{
			d[o++] = (unsigned char) (acc >> 16);
			d[o++] = (unsigned char) (acc >> 8);
			d[o++] = (unsigned char) acc;
			acc = 0;
			nacc = 0;
		}
	}
	if (nacc == 1)
		return cqp_types_value_fail(out, err, CQ_T_BYTES, v, "truncated base64");
	if (npad > 0 && (npad > 2 || (nchars + npad) % 4 != 0))
		return cqp_types_value_fail(out, err, CQ_T_BYTES, v, "bad base64 padding");
	if (nacc == 2)
		d[o++] = (unsigned char) (acc >> 4);
	else if (nacc == 3)
	{
		d[o++] = (unsigned char) (acc >> 10);
		d[o++] = (unsigned char) (acc >> 2);
	}
	if (o > UINT32_MAX)
		return cqp_types_value_fail(out, err, CQ_T_BYTES, v, "too long");
	out->u.s = (const char *) d;
	out->len = (uint32_t) o;
	return true;
}

static bool
cqp_types_p_uuid(json_t *v, CqValue *out, CqError *err)
{
	const char *s;
	size_t		len,
				i,
				n = 0;

	if (!json_is_string(v))
		return cqp_types_value_fail(out, err, CQ_T_UUID, v, NULL);
	s = json_string_value(v);
	len = json_string_length(v);
	if (len >= 9 && cqp_types_eq_ci(s, 9, "urn:uuid:"))
	{
		s += 9;
		len -= 9;
	}
	else if (len >= 2 && s[0] == '{' && s[len - 1] == '}')
	{
		s++;
		len -= 2;
	}
	if (len != 32 && len > 36)
		return cqp_types_value_fail(out, err, CQ_T_UUID, v, NULL);
	for (i = 0; i < len; i++)
	{
		int			h,
					l;

		if (s[i] == '-')
		{
			/* hyphens only where the 8-4-4-4-12 groups end */
			if (n != 8 && n != 12 && n != 16 && n != 20)
				return cqp_types_value_fail(out, err, CQ_T_UUID, v, NULL);
			if (i > 0 && s[i - 1] == '-')
				return cqp_types_value_fail(out, err, CQ_T_UUID, v, NULL);
			continue;
		}
		if (n >= 32 || i + 1 >= len)
			return cqp_types_value_fail(out, err, CQ_T_UUID, v, NULL);
		h = cqp_types_hexv((unsigned char) s[i]);
		l = cqp_types_hexv((unsigned char) s[i + 1]);
		if (h < 0 || l < 0)
			return cqp_types_value_fail(out, err, CQ_T_UUID, v, NULL);
		out->u.uuid[n / 2] = (uint8_t) (h << 4 | l);
		n += 2;
		i++;
	}
	if (n != 32)
		return cqp_types_value_fail(out, err, CQ_T_UUID, v, NULL);
	return true;
}

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

static bool
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

static bool
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

static bool
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

/*
 * IPv4: 1..4 dotted decimal octets (0..255, leading zeros read as decimal).
 * Returns the number of octets parsed, 0 on bad syntax.
 */
static int
parse_ipv4(const char *s, size_t len, uint8_t *addr)
{
	size_t		i = 0;
	int			n = 0;

	memset(addr, 0, 4);
	while (n < 4)
	{
		int			val = 0,
					nd = 0;

		while (i < len && cqp_types_isdig((unsigned char) s[i]))
		{
			if (nd >= 3)
				return 0;
			val = val * 10 + (s[i++] - '0');
			nd++;
		}
		if (nd == 0 || val > 255)
			return 0;
		addr[n++] = (uint8_t) val;
		if (i == len)
			return n;
		if (s[i] != '.')
			return 0;
		i++;
	}
	return 0;
}

static bool
cqp_types_p_inet(json_t *v, CqType t, CqValue *out, CqError *err)
{
	const char *s,
			   *slash;
	size_t		len,
				alen;
	int			bits = -1,
				maxbits;
	CqInet	   *in = &out->u.inet;

	if (!json_is_string(v))
		return cqp_types_value_fail(out, err, t, v, NULL);
	s = json_string_value(v);
	len = json_string_length(v);
	if (len == 0 || len > 64 || memchr(s, '%', len) || memchr(s, '\0', len))
		return cqp_types_value_fail(out, err, t, v, NULL);
	slash = memchr(s, '/', len);
	alen = slash ? (size_t) (slash - s) : len;
	if (slash)
	{
		size_t		k = alen + 1;
		int			nd = 0;

		bits = 0;
		while (k < len && cqp_types_isdig((unsigned char) s[k]))
		{
			if (nd >= 3)
				return cqp_types_value_fail(out, err, t, v, NULL);
			bits = bits * 10 + (s[k++] - '0');
			nd++;
		}
		if (nd == 0 || k != len)
			return cqp_types_value_fail(out, err, t, v, NULL);
	}
	memset(in, 0, sizeof(*in));
	if (memchr(s, ':', alen))
	{
		char		buf[65];

		memcpy(buf, s, alen);
		buf[alen] = '\0';
		if (inet_pton(AF_INET6, buf, in->addr) != 1)
			return cqp_types_value_fail(out, err, t, v, NULL);
		in->family = 6;
		maxbits = 128;
	}
	else
	{
		int			n = parse_ipv4(s, alen, in->addr);

		/* abbreviated IPv4 only for cidr with explicit bits ("10/8") */
		if (n == 0 || (n < 4 && (t != CQ_T_CIDR || bits < 0)))
			return cqp_types_value_fail(out, err, t, v, NULL);
		in->family = 4;
		maxbits = 32;
	}
	if (bits > maxbits)
		return cqp_types_value_fail(out, err, t, v, "prefix length out of range");
	in->bits = (uint8_t) (bits < 0 ? maxbits : bits);
	if (t == CQ_T_CIDR)
	{
		int			b;

		for (b = in->bits; b < maxbits; b++)
			if (in->addr[b / 8] & (0x80 >> (b % 8)))
				return cqp_types_value_fail(out, err, t, v,
								  "value has bits set to right of mask");
	}
	return true;
}

static bool
cqp_types_p_macaddr(json_t *v, CqValue *out, CqError *err)
{
	const char *s;
	size_t		len,
				i;
	int			n = 0;
	char		sep = 0;

	if (!json_is_string(v))
		return cqp_types_value_fail(out, err, CQ_T_MACADDR, v, NULL);
	s = json_string_value(v);
	len = json_string_length(v);
	/* the separator layout must be one of the known forms */
	if (len == 17)
	{
		sep = s[2];
		if (sep != ':' && sep != '-')
			return cqp_types_value_fail(out, err, CQ_T_MACADDR, v, NULL);
		for (i = 2; i < 17; i += 3)
			if (s[i] != sep)
				return cqp_types_value_fail(out, err, CQ_T_MACADDR, v, NULL);
	}
	else if (len == 13)
	{
		sep = s[6];
		if (sep != ':' && sep != '-')
			return cqp_types_value_fail(out, err, CQ_T_MACADDR, v, NULL);
	}
	else if (len == 14)
	{
		sep = s[4];
		if ((sep != '.' && sep != '-') || s[9] != sep)
			return cqp_types_value_fail(out, err, CQ_T_MACADDR, v, NULL);
	}
	else if (len != 12)
		return cqp_types_value_fail(out, err, CQ_T_MACADDR, v, NULL);

	for (i = 0; i < len; i++)
	{
		int			h,
					l;

		if (s[i] == sep && sep != 0)
			continue;
		if (i + 1 >= len || n >= 6)
			return cqp_types_value_fail(out, err, CQ_T_MACADDR, v, NULL);
		h = cqp_types_hexv((unsigned char) s[i]);
		l = cqp_types_hexv((unsigned char) s[i + 1]);
		if (h < 0 || l < 0)
			return cqp_types_value_fail(out, err, CQ_T_MACADDR, v, NULL);
		out->u.mac[n++] = (uint8_t) (h << 4 | l);
		i++;
	}
	if (n != 6)
		return cqp_types_value_fail(out, err, CQ_T_MACADDR, v, NULL);
	return true;
}

/* one non-null scalar */
static bool
parse_scalar(json_t *v, CqType t, CqArena *arena, CqValue *out, CqError *err)
{
	switch (t)
	{
		case CQ_T_BOOL:
			return cqp_types_p_bool(v, out, err);
		case CQ_T_INT:
			return cqp_types_p_int(v, out, err);
		case CQ_T_UINT:
			return cqp_types_p_uint(v, out, err);
		case CQ_T_FLOAT:
			return cqp_types_p_float(v, out, err);
		case CQ_T_NUMERIC:
			return cqp_types_p_numeric(v, arena, out, err);
		case CQ_T_STRING:
			return cqp_types_p_string(v, arena, out, err);
		case CQ_T_BYTES:
			return cqp_types_p_bytes(v, arena, out, err);
		case CQ_T_UUID:
			return cqp_types_p_uuid(v, out, err);
		case CQ_T_TIMESTAMP:
			return cqp_types_p_timestamp(v, out, err);
		case CQ_T_DATE:
			return cqp_types_p_date(v, out, err);
		case CQ_T_INTERVAL:
			return cqp_types_p_interval(v, out, err);
		case CQ_T_JSON:
			out->u.json = json_incref(v);
			return true;
		case CQ_T_INET:
		case CQ_T_CIDR:
			return cqp_types_p_inet(v, t, out, err);
		case CQ_T_MACADDR:
			return cqp_types_p_macaddr(v, out, err);
		default:
			break;
	}
	out->isnull = 1;
	cq_error_set(err, CQ_ERR_INTERNAL, "unknown type %d", (int) t);
	return false;
}

static inline void
value_init(CqValue *out, CqType t, bool arr)
{
	out->isnull = 0;
	out->type = (uint8_t) t;
	out->is_array = arr;
	out->pad_ = 0;
	out->len = 0;
	memset(&out->u, 0, sizeof(out->u));
}

/*
 * cq_value_parse
 *		Parse one JSON value as `type` into `out` (see cq_sdk.h and the file
 *		banner for accepted forms).  v == NULL or JSON null -> null value.
 *		Variable-size data and array element vectors come from `arena`; json
 *		values are increfed (the batch owns the reference).  Returns false
 *		with out->isnull set and err filled on a bad value (or OOM).  Any
 *		thread; no global state but the C locale created once.
 */
bool
cq_value_parse(json_t *v, CqColType type, CqArena *arena, CqValue *out,
			   CqError *err)
{
	size_t		n,
				i;
	CqValue    *elems;

	value_init(out, type.base, type.is_array);
	if (v == NULL || json_is_null(v))
	{
		out->isnull = 1;
		return true;
	}
	if ((int) type.base < 0 || type.base >= CQ_T__COUNT)
	{
		out->isnull = 1;
		cq_error_set(err, CQ_ERR_INTERNAL, "unknown type %d", (int) type.base);
		return false;
	}
	if (!type.is_array)
		return parse_scalar(v, type.base, arena, out, err);

	/* arrays: a scalar is a one-element array */
	n = json_is_array(v) ? json_array_size(v) : 1;
	if (n == 0)
		return true;
	if (n > UINT32_MAX / 2)
	{
		out->isnull = 1;
		cq_error_set(err, CQ_ERR_LIMIT, "too many array elements (%zu)", n);
		return false;
	}
	elems = cq_arena_alloc(arena, n * sizeof(CqValue));
	if (elems == NULL)
		return cqp_types_nomem(out, err);
	for (i = 0; i < n; i++)
	{
		json_t	   *e = json_is_array(v) ? json_array_get(v, i) : v;
		CqValue    *ev = &elems[i];

		value_init(ev, type.base, false);
		if (e == NULL || json_is_null(e))
		{
			ev->isnull = 1;
			continue;
		}
		if (!parse_scalar(e, type.base, arena, ev, err))
		{
			size_t		k;

			for (k = 0; k < i; k++)
				if (!elems[k].isnull && type.base == CQ_T_JSON)
					json_decref(elems[k].u.json);
			if (err)
			{
				size_t		l = strlen(err->message);

				snprintf(err->message + l, sizeof(err->message) - l,
						 " (array element %zu)", i);
			}
			out->isnull = 1;
			return false;
		}
	}
	out->len = (uint32_t) n;
	out->u.arr = elems;
	return true;
}

/* ------------------------------------------------------------------------
 * Formatting
 * ------------------------------------------------------------------------ */
typedef struct W
{
	char	   *o;
	size_t		cap;
	size_t		n;				/* bytes needed so far */
} W;

static void
wput(W *w, const char *s, size_t len)
{
	if (w->n < w->cap)
	{
		size_t		room = w->cap - w->n;

		memcpy(w->o + w->n, s, len < room ? len : room);
	}
	w->n += len;
}

static void
wstr(W *w, const char *s)
{
	wput(w, s, strlen(s));
}

static void
wfmt_time(W *w, int64_t usecs, bool force_sign)
{
	char		buf[64];
	uint64_t	u = usecs < 0 ? (uint64_t) 0 - (uint64_t) usecs : (uint64_t) usecs;
	uint64_t	secs = u / 1000000,
				frac = u % 1000000;
	int			n;

	n = snprintf(buf, sizeof(buf), "%s%02llu:%02llu:%02llu",
				 usecs < 0 ? "-" : (force_sign ? "+" : ""),
				 (unsigned long long) (secs / 3600),
				 (unsigned long long) (secs / 60 % 60),
				 (unsigned long long) (secs % 60));
	wput(w, buf, (size_t) n);
	if (frac)
	{
		int			k = 6;

		n = snprintf(buf, sizeof(buf), ".%06llu", (unsigned long long) frac);
		while (k > 0 && buf[k] == '0')
			k--;
		wput(w, buf, (size_t) k + 1);
	}
}

/* Format one non-null scalar */
static void
format_scalar(W *w, const CqValue *v)
{
	char		buf[128];
	size_t		n;

	switch ((CqType) v->type)
	{
		case CQ_T_BOOL:
			wstr(w, v->u.b ? "true" : "false");
			break;
		case CQ_T_INT:
			n = cqp_types_fmt_i64(v->u.i, buf);
			wput(w, buf, n);
			break;
		case CQ_T_UINT:
			n = cqp_types_fmt_u64(v->u.u, buf);
			wput(w, buf, n);
			break;
		case CQ_T_FLOAT:
			n = cqp_types_fmt_double(v->u.f, buf);
			wput(w, buf, n);
			break;
		case CQ_T_NUMERIC:
		case CQ_T_STRING:
			if (v->u.s)
				wput(w, v->u.s, v->len);
			break;
		case CQ_T_BYTES:
			{
				static const char hx[] = "0123456789abcdef";
				uint32_t	i;

				wput(w, "\\x", 2);
				for (i = 0; i < v->len; i++)
				{
					char		two[2];

					two[0] = hx[(unsigned char) v->u.s[i] >> 4];
					two[1] = hx[(unsigned char) v->u.s[i] & 15];
					wput(w, two, 2);
				}
				break;
			}
		case CQ_T_UUID:
			{
				const uint8_t *u = v->u.uuid;

				n = (size_t) snprintf(buf, sizeof(buf),
									  "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
									  u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7],
									  u[8], u[9], u[10], u[11], u[12], u[13], u[14], u[15]);
				wput(w, buf, n);
				break;
			}
		case CQ_T_TIMESTAMP:
			{
				int64_t		t = v->u.i;
				int64_t		days = t / USECS_PER_DAY,
							rem = t % USECS_PER_DAY;
				int			y,
							m,
							d;

				if (rem < 0)
				{
					rem += USECS_PER_DAY;
					days--;
				}
				cqp_types_civil_from_days(days, &y, &m, &d);
				n = (size_t) snprintf(buf, sizeof(buf), "%04d-%02d-%02d ", y, m, d);
				wput(w, buf, n);
				wfmt_time(w, rem, false);
				wput(w, "+00", 3);
				break;
			}
		case CQ_T_DATE:
			{
				int			y,
							m,
							d;

				cqp_types_civil_from_days(v->u.date, &y, &m, &d);
				n = (size_t) snprintf(buf, sizeof(buf), "%04d-%02d-%02d", y, m, d);
				wput(w, buf, n);
				break;
			}
		case CQ_T_INTERVAL:
			{
				const CqInterval *iv = &v->u.iv;
				int32_t		yrs = iv->months / 12,
							mons = iv->months % 12;
				bool		any = false;

				if (yrs)
				{
					n = (size_t) snprintf(buf, sizeof(buf), "%d year%s", yrs,
										  yrs == 1 ? "" : "s");
					wput(w, buf, n);
					any = true;
				}
				if (mons)
				{
					n = (size_t) snprintf(buf, sizeof(buf), "%s%d mon%s", any ? " " : "",
										  mons, mons == 1 ? "" : "s");
					wput(w, buf, n);
					any = true;
				}
				if (iv->days)
				{
					n = (size_t) snprintf(buf, sizeof(buf), "%s%d day%s", any ? " " : "",
										  iv->days,
										  iv->days == 1 ? "" : "s");
					wput(w, buf, n);
					any = true;
				}
				if (iv->usecs || !any)
				{
					if (any)
						wput(w, " ", 1);
					wfmt_time(w, iv->usecs, false);
				}
				break;
			}
		case CQ_T_JSON:
			{
				char	   *txt = json_dumps(v->u.json, JSON_COMPACT | JSON_ENCODE_ANY);

				if (txt)
				{
					wstr(w, txt);
					free(txt);
				}
				break;
			}
		case CQ_T_INET:
		case CQ_T_CIDR:
			{
				const CqInet *in = &v->u.inet;
				int			maxbits = in->family == 6 ? 128 : 32;

				if (inet_ntop(in->family == 6 ? AF_INET6 : AF_INET, in->addr,
							  buf, sizeof(buf)) == NULL)
					break;
				wstr(w, buf);
				if (v->type == CQ_T_CIDR || in->bits != maxbits)
				{
					n = (size_t) snprintf(buf, sizeof(buf), "/%d", in->bits);
					wput(w, buf, n);
				}
				break;
			}
		case CQ_T_MACADDR:
			{
				const uint8_t *m = v->u.mac;

				n = (size_t) snprintf(buf, sizeof(buf), "%02x:%02x:%02x:%02x:%02x:%02x",
									  m[0], m[1], m[2], m[3], m[4], m[5]);
				wput(w, buf, n);
				break;
			}
		default:
			break;
	}
}

/* does an array element need double quotes in a PostgreSQL array literal? */
static bool
needs_quotes(const char *s, size_t len)
{
	size_t		i;

	if (len == 0 || cqp_types_eq_ci(s, len, "null"))
		return true;
	for (i = 0; i < len; i++)
	{
		char		c = s[i];

		if (c == '"' || c == '\\' || c == '{' || c == '}' || c == ',' ||
			c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f')
			return true;
	}
	return false;
}

/*
 * cq_value_format
 *		Write v as PostgreSQL input text into out (at most outlen bytes,
 *		always NUL-terminated when outlen > 0); returns the length the full
 *		text needs (excluding the NUL), like snprintf.  A null value writes ""
 *		and returns 0 (check isnull first).  Arrays are written as PostgreSQL
 *		array literals ({a,"b c",NULL}).  Uses malloc for json and array
 *		elements (slow path); any thread.
 */
size_t
cq_value_format(const CqValue *v, char *out, size_t outlen)
{
	W			w = {out, outlen ? outlen - 1 : 0, 0};

	if (v != NULL && !v->isnull)
	{
		if (!v->is_array)
			format_scalar(&w, v);
		else
		{
			uint32_t	i;

			wput(&w, "{", 1);
			for (i = 0; i < v->len; i++)
			{
				const CqValue *e = &v->u.arr[i];

				if (i)
					wput(&w, ",", 1);
				if (e->isnull)
				{
					wput(&w, "NULL", 4);
					continue;
				}
				{
					W			probe = {NULL, 0, 0};
					char	   *tmp;
					size_t		k;

					format_scalar(&probe, e);
					tmp = malloc(probe.n + 1);
					if (tmp == NULL)
						continue;
					{
						W			fill = {tmp, probe.n, 0};

						format_scalar(&fill, e);
					}
					if (!needs_quotes(tmp, probe.n))
						wput(&w, tmp, probe.n);
					else
					{
						wput(&w, "\"", 1);
						for (k = 0; k < probe.n; k++)
						{
							if (tmp[k] == '"' || tmp[k] == '\\')
								wput(&w, "\\", 1);
							wput(&w, tmp + k, 1);
						}
						wput(&w, "\"", 1);
					}
					free(tmp);
				}
			}
			wput(&w, "}", 1);
		}
	}
	if (outlen > 0)
		out[w.n < w.cap ? w.n : w.cap] = '\0';
	return w.n;
}
