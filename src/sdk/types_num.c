/*-------------------------------------------------------------------------
 *
 * types_num.c
 *		  Value parsers of the number family (bool, int, uint, float,
 *		  numeric), and the locale-free integer/double parsing and
 *		  formatting the other families share.
 *
 * The invariants of every parser are in types.c's banner (no malloc or
 * locale-dependent call per value, bounded by the value's length, a failure
 * is SQL NULL plus a CQ_ERR_VALUE naming the type, JSON null is SQL NULL).
 *
 * Documented leniencies and decisions (see also cq_sdk.h):
 *	- bool: true/false, and strings true/false/t/f/yes/no/y/n/on/off/1/0 (any
 *	  case, PostgreSQL's boolin words), numbers 0 and 1.
 *	- int/uint: integral JSON reals are accepted; strings must be an optional
 *	  sign (uint: '+' only) and digits, nothing else (no spaces, no exponent).
 *	- float: strings at most 1000 bytes (bounds strtod's work).
 *	- numeric: JSON numbers reach this parser as strings of their own text
 *	  (job_json.c quotes them for numeric columns), so no digit is lost; strings
 *	  must match [-+]?digits[.digits]([eE][-+]?digits)? or
 *	  be NaN (any case); at most 1000 bytes and |exponent| <= 1000 (what
 *	  numeric_in accepts).  The canonical text drops a leading '+' and
 *	  writes 'e' lower case; PostgreSQL's numeric image follows it in the
 *	  arena (types_numimg.c, CQ_VAL_NUMIMG).
 *	- integers are parsed strictly ([-+]?digits, overflow is an error) and
 *	  doubles under the C locale (strtod_l), printed shortest round-trip.
 *
 * Copyright (c) 2026, cq_fdw developers
 *
 *-------------------------------------------------------------------------
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE				/* strtod_l, uselocale, newlocale */
#endif
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cq_sdk.h"
#include "cq_sdk_int.h"
#include "types_int.h"

/* ------------------------------------------------------------------------
 * Integers and doubles: strict parsing, locale-free formatting
 * ------------------------------------------------------------------------ */

#define NUMERIC_MAX_LEN	1000
#define FLOAT_MAX_LEN	1000
#define NUMERIC_MAX_EXP	1000		/* numeric_in's NUMERIC_MAX_PRECISION */

/* case-insensitive equality of s[0..len) with a lower-case literal */
bool
cqp_types_eq_ci(const char *s, size_t len, const char *lit)
{
	size_t		i;

	for (i = 0; i < len; i++)
		if (lit[i] == '\0' || cqp_types_lc((unsigned char) s[i]) != lit[i])
			return false;
	return lit[len] == '\0';
}

/* strict [-+]?digits -> int64, no overflow */
bool
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
bool
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
size_t
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

size_t
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
size_t
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
 * Scalar parsers.  Each gets a non-null JSON value; returns true/false.
 * ------------------------------------------------------------------------ */

bool
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

bool
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

bool
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

bool
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

bool
cqp_types_p_numeric(json_t *v, CqArena *arena, CqValue *out, CqError *err)
{
	char		buf[40];
	size_t		n;

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

		if (cqp_types_eq_ci(s, len, "nan"))
			return cqp_types_numeric_store(arena, "NaN", 3, out) ||
				cqp_types_nomem(out, err);
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
		return cqp_types_numeric_store(arena, s, len, out) ||
			cqp_types_nomem(out, err);
	}
	else
		return cqp_types_value_fail(out, err, CQ_T_NUMERIC, v, NULL);

	return cqp_types_numeric_store(arena, buf, n, out) ||
		cqp_types_nomem(out, err);
}
