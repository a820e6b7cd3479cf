/*-------------------------------------------------------------------------
 *
 * types_format.c
 *		  cq_value_format: a CqValue back as PostgreSQL input text (the
 *		  FDW's slow path, for declared types that are not the value's
 *		  natural type, and tests).
 *
 * Invariants:
 *	- snprintf semantics: at most outlen bytes are written, always
 *	  NUL-terminated when outlen > 0, and the return value is the length
 *	  the whole text needs, so a caller can size a buffer and call again;
 *	- the text is what PostgreSQL's input function of the natural type
 *	  reads back to the same value (timestamps in UTC with "+00", intervals
 *	  as "N years N mons N days HH:MM:SS[.f]", doubles shortest round-trip
 *	  under the C locale); arrays are array literals with elements quoted
 *	  and escaped when needed and NULL for null elements;
 *	- value text is only ever copied, never used as a format; any thread.
 *
 * Copyright (c) 2026, cq_fdw developers
 *
 *-------------------------------------------------------------------------
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE				/* strtod_l, uselocale, newlocale */
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>

#include "cq_sdk.h"
#include "cq_sdk_int.h"
#include "types_int.h"

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
				char	   *txt;

				/*
				 * A jsonb image has no tree to format: only a jsonb column
				 * asks for one (CqJobParams.out_jsonb), whose conversion
				 * never formats its values.
				 */
				if (v->flags & CQ_VAL_JSONB)
					break;
				txt = json_dumps(v->u.json, JSON_COMPACT | JSON_ENCODE_ANY);

				if (txt)
				{
					wstr(w, txt);
					cqp_json_free(txt);
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
