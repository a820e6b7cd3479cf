/*-------------------------------------------------------------------------
 *
 * job_json.c
 *		  JSON text without a tree: the strict scanner of the fast path, the
 *		  limits pre-scan and number handling of the full-tree path, and
 *		  jansson values of validated tokens.
 *
 * Invariants:
 *	- every function is bounded by the text's length (no NUL terminator is
 *	  assumed), never recurses deeper than max_json_depth (at most
 *	  FAST_MAX_DEPTH for the scanner), and never uses API text as a format;
 *	- the scanner is strict RFC 8259 (UTF-8, escapes and numbers
 *	  validated, max_string_bytes enforced); what it does not handle it
 *	  reports, and the caller falls back to jansson, whose verdict stands;
 *	- a number jansson cannot hold (an integer beyond int64, a real beyond
 *	  a double) never makes a whole page fail: cqp_job_load_json quotes it
 *	  (its text becomes a string) and loads again; with `exact` every real
 *	  keeps its text (numeric columns);
 *	- reals are parsed under a C locale created once (strtod_l), never the
 *	  backend's LC_NUMERIC; no global state otherwise, so any worker may
 *	  call anything here concurrently.
 *
 * Copyright (c) 2026, cq_fdw developers
 *
 *-------------------------------------------------------------------------
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE				/* strtod_l, newlocale */
#endif
#include <errno.h>
#include <locale.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cq_sdk_int.h"
#include "job_int.h"

/* ------------------------------------------------------------------------
 * Full-tree parse: number tokens, the limits pre-scan, loading
 * ------------------------------------------------------------------------ */

/* Does the integer token [p, p+len) (optional '-', digits) overflow int64? */
static bool
int_overflows(const char *p, size_t len)
{
	bool		neg = (len > 0 && *p == '-');
	const char *lim = neg ? "9223372036854775808" : "9223372036854775807";

	if (neg)
	{
		p++;
		len--;
	}
	while (len > 1 && *p == '0')
	{
		p++;
		len--;
	}
	return len > 19 || (len == 19 && memcmp(p, lim, 19) > 0);
}

static double json_real_strtod(const char *p, size_t len);

/*
 * End of the number token starting at s[i] (a '-' or a digit outside a
 * string); *is_real if it has a fraction or an exponent, *unholdable if
 * jansson cannot hold it: an integer beyond int64, or a real beyond the
 * range of a double (jansson refuses the whole text for either one).
 */
static size_t
number_token(const char *s, size_t n, size_t i, bool *is_real, bool *unholdable)
{
	size_t		st = i,
				nint = 0;
	bool		lead = true;
	long		ex = 0,
				zfrac = 0;

	*is_real = *unholdable = false;
	if (i < n && s[i] == '-')
		i++;
	for (; i < n && s[i] >= '0' && s[i] <= '9'; i++)
		if (!(lead && s[i] == '0'))
		{
			lead = false;
			nint++;
		}
	if (i < n && s[i] == '.')
	{
		*is_real = true;
		for (i++; i < n && s[i] >= '0' && s[i] <= '9'; i++)
			if (lead && s[i] == '0')
				zfrac++;
			else
				lead = false;
	}
	if (i < n && (s[i] == 'e' || s[i] == 'E'))
	{
		bool		eneg = false;

		*is_real = true;
		i++;
		if (i < n && (s[i] == '+' || s[i] == '-'))
			eneg = s[i++] == '-';
		for (; i < n && s[i] >= '0' && s[i] <= '9'; i++)
			if (ex < 100000000)
				ex = ex * 10 + (s[i] - '0');
		if (eneg)
			ex = -ex;
	}
	if (!*is_real)
		*unholdable = i - st >= 19 && int_overflows(s + st, i - st);
	else if (!lead && (nint > 0 ? (long) nint : -zfrac) + ex >= 308)
		/* about 1e308 or more: let strtod decide (rare) */
		*unholdable = isinf(json_real_strtod(s + st, i - st));
	return i;
}

/*
 * Cheap pre-scan of a JSON text: nesting depth (strings skipped), string
 * lengths, numbers jansson cannot hold (*nbig counts them so the caller can
 * quote them: one such number must not fail the whole page) and reals
 * (*nreal: a numeric column needs their text, see cqp_job_quote_numbers).
 */
bool
cqp_job_json_prescan(const char *s, size_t n, int maxdepth, size_t maxstr,
			 size_t *nbig, size_t *nreal, CqError *err)
{
	int			depth = 0;

	*nbig = *nreal = 0;
	for (size_t i = 0; i < n; i++)
	{
		char		c = s[i];

		if (c == '"')
		{
			size_t		start = ++i;

			while (i < n && s[i] != '"')
			{
				if (s[i] == '\\')
					i++;
				i++;
			}
			if (i - start > maxstr)
			{
				cq_error_set(err, CQ_ERR_LIMIT, "JSON string longer than max_string_bytes (%zu bytes)",
							 maxstr);
				snprintf(err->setting, sizeof(err->setting), "max_string_bytes");
				return false;
			}
		}
		else if (c == '[' || c == '{')
		{
			if (++depth > maxdepth)
			{
				cq_error_set(err, CQ_ERR_LIMIT, "JSON nested deeper than %d levels (max_json_depth)",
							 maxdepth);
				snprintf(err->setting, sizeof(err->setting), "max_json_depth");
				return false;
			}
		}
		else if (c == ']' || c == '}')
			depth--;
		else if (c == '-' || (c >= '0' && c <= '9'))
		{
			bool		is_real,
						big;

			i = number_token(s, n, i, &is_real, &big) - 1;
			*nbig += big;
			*nreal += is_real;
		}
	}
	return true;
}

/* Count what cqp_job_json_prescan counts, without its limits (for a member). */
static void
count_numbers(const char *s, size_t n, size_t *nbig, size_t *nreal)
{
	CqError		unused;

	cqp_job_json_prescan(s, n, INT32_MAX, SIZE_MAX, nbig, nreal, &unused);
}

/*
 * Copy of a JSON text where the numbers jansson cannot hold are quoted (so
 * a uint64 id or a numeric column reads them as numeric strings, and an
 * int or float column reports a value error instead of the whole page
 * failing), and with all_reals every real too (numeric columns read these
 * documents: their values keep every digit of the API's text).  nq bounds
 * the numbers quoted.  malloc'd; NULL on OOM.
 */
char *
cqp_job_quote_numbers(const char *s, size_t n, size_t nq, bool all_reals, size_t *outlen)
{
	char	   *out = malloc(n + 2 * nq + 1);
	size_t		o = 0;

	if (!out)
		return NULL;
	for (size_t i = 0; i < n; i++)
	{
		char		c = s[i];

		if (c == '"')
		{
			size_t		st = i++;

			while (i < n && s[i] != '"')
			{
				if (s[i] == '\\')
					i++;
				i++;
			}
			if (i >= n)
				i = n - 1;
			memcpy(out + o, s + st, i - st + 1);
			o += i - st + 1;
		}
		else if (c == '-' || (c >= '0' && c <= '9'))
		{
			size_t		st = i;
			bool		is_real,
						big,
						q;

			i = number_token(s, n, i, &is_real, &big);
			q = (big || (all_reals && is_real)) && nq > 0;
			if (q)
			{
				nq--;
				out[o++] = '"';
			}
			memcpy(out + o, s + st, i - st);
			o += i - st;
			if (q)
				out[o++] = '"';
			i--;
		}
		else
			out[o++] = c;
	}
	out[o] = '\0';
	*outlen = o;
	return out;
}

/*
 * json_loadb that never refuses a text for one number: on failure, the
 * numbers jansson cannot hold are quoted and the text loaded again.  With
 * exact, every real is quoted (a document for numeric columns).  NULL on
 * invalid JSON or OOM.
 */
json_t *
cqp_job_load_json(const char *s, size_t n, size_t flags, bool exact, json_error_t *jerr)
{
	json_error_t scratch;
	json_t	   *doc = NULL;
	size_t		nbig = 0,
				nreal = 0,
				ql;
	char	   *qb;

	if (!jerr)
		jerr = &scratch;
	if (!exact && (doc = json_loadb(s, n, flags, jerr)) != NULL)
		return doc;
	count_numbers(s, n, &nbig, &nreal);
	if (nbig == 0 && (!exact || nreal == 0))
		return exact ? json_loadb(s, n, flags, jerr) : NULL;
	qb = cqp_job_quote_numbers(s, n, nbig + (exact ? nreal : 0), exact, &ql);
	if (!qb)
		return NULL;
	doc = json_loadb(qb, ql, flags, jerr);
	free(qb);
	return doc;
}

/* ------------------------------------------------------------------------
 * The strict scanner (fast path): validates a body, finds the rows
 * ------------------------------------------------------------------------ */

static bool
hex4(const unsigned char *s, const unsigned char *e, unsigned *out)
{
	unsigned	v = 0;

	if (e - s < 4)
		return false;
	for (int i = 0; i < 4; i++)
	{
		int			h = cqp_hexval(s[i]);

		if (h < 0)
			return false;
		v = (v << 4) | (unsigned) h;
	}
	*out = v;
	return true;
}

/* Length of the valid UTF-8 sequence at s (non-ASCII lead), 0 if invalid
 * (jansson's rules: no overlong form, no surrogate, at most U+10FFFF). */
static int
utf8_seq(const unsigned char *s, const unsigned char *e)
{
	unsigned	c = s[0],
				v;
	int			n;

	if (c >= 0xC2 && c <= 0xDF)
	{
		n = 2;
		v = c & 0x1F;
	}
	else if (c >= 0xE0 && c <= 0xEF)
	{
		n = 3;
		v = c & 0x0F;
	}
	else if (c >= 0xF0 && c <= 0xF4)
	{
		n = 4;
		v = c & 0x07;
	}
	else
		return 0;
	if (e - s < n)
		return 0;
	for (int i = 1; i < n; i++)
	{
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		v = (v << 6) | (s[i] & 0x3F);
	}
	if ((n == 3 && v < 0x800) || (n == 4 && v < 0x10000) ||
		(v >= 0xD800 && v <= 0xDFFF) || v > 0x10FFFF)
		return 0;
	return n;
}

/*
 * Scan a string starting at its opening quote.  Returns the byte after the
 * closing quote, or NULL if it is invalid for jansson (raw control char,
 * bad escape or UTF-8, \u0000, unpaired surrogate) or longer than maxstr.
 * *esc tells whether it holds escapes.
 */
static const char *
fast_string(const char *p, const char *end, size_t maxstr, bool *esc)
{
	const unsigned char *s = (const unsigned char *) p + 1;
	const unsigned char *e = (const unsigned char *) end;
	const unsigned char *start = s;

	*esc = false;
	while (s < e)
	{
		unsigned char c;

		/* 8 plain ASCII bytes at a time (no quote, backslash, control) */
		while (e - s >= 8)
		{
			uint64_t	x,
						m;

			memcpy(&x, s, 8);
#define ONES UINT64_C(0x0101010101010101)
#define HIGHS UINT64_C(0x8080808080808080)
			m = (((x ^ (ONES * '"')) - ONES) & ~(x ^ (ONES * '"'))) |
				(((x ^ (ONES * '\\')) - ONES) & ~(x ^ (ONES * '\\'))) |
				((x - ONES * 0x20) & ~x) | x;
#undef ONES
			if (m & HIGHS)
				break;
#undef HIGHS
			s += 8;
		}
		if (s >= e)
			break;
		c = *s;
		if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\')
		{
			s++;
			continue;
		}
		if (c == '"')
		{
			if ((size_t) (s - start) > maxstr)
				return NULL;
			return (const char *) s + 1;
		}
		if (c < 0x20)
			return NULL;
		if (c == '\\')
		{
			*esc = true;
			if (s + 1 >= e)
				return NULL;
			c = s[1];
			if (c == 'u')
			{
				unsigned	v,
							w;

				if (!hex4(s + 2, e, &v) || v == 0)
					return NULL;
				if (v >= 0xDC00 && v <= 0xDFFF)
					return NULL;
				if (v >= 0xD800 && v <= 0xDBFF)
				{
					if (e - s < 12 || s[6] != '\\' || s[7] != 'u' ||
						!hex4(s + 8, e, &w) || w < 0xDC00 || w > 0xDFFF)
						return NULL;
					s += 12;
				}
				else
					s += 6;
				continue;
			}
			if (c != '"' && c != '\\' && c != '/' && c != 'b' && c != 'f' &&
				c != 'n' && c != 'r' && c != 't')
				return NULL;
			s += 2;
			continue;
		}
		{
			int			n = utf8_seq(s, e);

			if (n == 0)
				return NULL;
			s += n;
		}
	}
	return NULL;
}

/* Scan a number; *is_int if it has no fraction/exponent.  NULL if bad. */
static const char *
fast_number(const char *p, const char *end, bool *is_int)
{
	const char *s = p;

	*is_int = true;
	if (s < end && *s == '-')
		s++;
	if (s >= end)
		return NULL;
	if (*s == '0')
		s++;
	else if (*s >= '1' && *s <= '9')
		while (s < end && *s >= '0' && *s <= '9')
			s++;
	else
		return NULL;
	if (s < end && *s == '.')
	{
		s++;
		if (s >= end || *s < '0' || *s > '9')
			return NULL;
		while (s < end && *s >= '0' && *s <= '9')
			s++;
		*is_int = false;
	}
	if (s < end && (*s == 'e' || *s == 'E'))
	{
		s++;
		if (s < end && (*s == '+' || *s == '-'))
			s++;
		if (s >= end || *s < '0' || *s > '9')
			return NULL;
		while (s < end && *s >= '0' && *s <= '9')
			s++;
		*is_int = false;
	}
	return s;
}

/* Decode the (validated) string at p (opening quote) into dst; returns the
 * decoded length.  dst must hold the raw length. */
static size_t
fast_unescape(const char *p, const char *end, char *dst)
{
	const unsigned char *s = (const unsigned char *) p + 1;
	const unsigned char *e = (const unsigned char *) end;
	size_t		o = 0;

	while (s < e && *s != '"')
	{
		unsigned	v,
					w;

		if (*s != '\\')
		{
			dst[o++] = (char) *s++;
			continue;
		}
		switch (s[1])
		{
			case 'b':
				dst[o++] = '\b';
				break;
			case 'f':
				dst[o++] = '\f';
				break;
			case 'n':
				dst[o++] = '\n';
				break;
			case 'r':
				dst[o++] = '\r';
				break;
			case 't':
				dst[o++] = '\t';
				break;
			case 'u':
				hex4(s + 2, e, &v);
				if (v >= 0xD800 && v <= 0xDBFF)
				{
					hex4(s + 8, e, &w);
					v = 0x10000 + ((v - 0xD800) << 10) + (w - 0xDC00);
					s += 6;
				}
				if (v < 0x80)
					dst[o++] = (char) v;
				else if (v < 0x800)
				{
					dst[o++] = (char) (0xC0 | (v >> 6));
					dst[o++] = (char) (0x80 | (v & 0x3F));
				}
				else if (v < 0x10000)
				{
					dst[o++] = (char) (0xE0 | (v >> 12));
					dst[o++] = (char) (0x80 | ((v >> 6) & 0x3F));
					dst[o++] = (char) (0x80 | (v & 0x3F));
				}
				else
				{
					dst[o++] = (char) (0xF0 | (v >> 18));
					dst[o++] = (char) (0x80 | ((v >> 12) & 0x3F));
					dst[o++] = (char) (0x80 | ((v >> 6) & 0x3F));
					dst[o++] = (char) (0x80 | (v & 0x3F));
				}
				s += 6;
				continue;
			default:			/* " \ / */
				dst[o++] = (char) s[1];
				break;
		}
		s += 2;
	}
	return o;
}

/* Does the JSON string at [p, q) (quotes included) equal key/keylen? */
static bool
fast_key_eq(const char *p, const char *q, bool esc, const char *key,
			size_t keylen)
{
	char		buf[1100];
	size_t		n;

	if (!esc)
		return (size_t) (q - p - 2) == keylen && memcmp(p + 1, key, keylen) == 0;
	if ((size_t) (q - p) > sizeof(buf))
		return false;			/* decodes to > 1024 bytes: longer than any
								 * pointer segment */
	n = fast_unescape(p, q, buf);
	return n == keylen && memcmp(buf, key, keylen) == 0;
}

/*
 * After a member or element: skip white space, then a ',' (more follow:
 * returns the next one's start, *closed = false) or the container's `close`
 * (returns just past it, *closed = true, one level up); NULL when neither.
 */
static inline const char *
member_end(FastScan *sc, const char *p, const char *end, char close, bool *closed)
{
	p = cqp_job_fast_ws(p, end);
	*closed = false;
	if (p < end && *p == ',')
		return cqp_job_fast_ws(p + 1, end);
	if (p < end && *p == close)
	{
		sc->depth--;
		*closed = true;
		return p + 1;
	}
	return NULL;
}

/*
 * Validate one value at p (after whitespace).  `level` >= 0 while this value
 * is on the wanted rows path (level = segments matched so far).  Returns the
 * byte after the value, NULL to fall back to the full parser.
 */
const char *
cqp_job_fast_value(FastScan *sc, const char *p, const char *end, int level)
{
	const FastRows *w = sc->want;
	bool		target = (w && level == w->nseg);
	bool		closed;

	if (p >= end)
		return NULL;
	switch (*p)
	{
		case '"':
			{
				bool		esc;

				return fast_string(p, end, sc->maxstr, &esc);
			}
		case '{':
			if (++sc->depth > sc->maxdepth)
				return NULL;
			p = cqp_job_fast_ws(p + 1, end);
			if (p < end && *p == '}')
			{
				sc->depth--;
				return p + 1;
			}
			for (;;)
			{
				const char *k = p,
						   *ke;
				bool		esc;
				int			cl = -1;

				if (p >= end || *p != '"' || !(ke = fast_string(p, end, sc->maxstr, &esc)))
					return NULL;
				p = cqp_job_fast_ws(ke, end);
				if (p >= end || *p != ':')
					return NULL;
				p = cqp_job_fast_ws(p + 1, end);
				if (w && level >= 0 && level < w->nseg &&
					fast_key_eq(k, ke, esc, w->seg[level], w->seglen[level]))
				{
					/* jansson keeps the last duplicate: forget earlier ones */
					cl = level + 1;
					sc->found.p = NULL;
				}
				{
					const char *vs = p;

					if (!(p = cqp_job_fast_value(sc, p, end, cl)))
						return NULL;
					if (w && cl == w->nseg)
					{
						sc->found.p = vs;
						sc->found.e = p;
					}
				}
				p = member_end(sc, p, end, '}', &closed);
				if (p && !closed)
					continue;
				return p;
			}
		case '[':
			if (++sc->depth > sc->maxdepth)
				return NULL;
			if (w && level >= 0 && level < w->nseg)
				sc->arr_on_path = true;
			if (target)
				sc->count = 0;
			p = cqp_job_fast_ws(p + 1, end);
			if (p < end && *p == ']')
			{
				sc->depth--;
				return p + 1;
			}
			for (;;)
			{
				if (target && p < end && *p != 'n')
				{
					sc->count++;
					if (sc->plan)
					{
						FastSpan   *slot;
						size_t		w1 = 1 + (size_t) sc->plan->nkeys;

						if (sc->nrs == sc->caprs)
						{
							size_t		nc = sc->caprs ? sc->caprs * 2 : 128;
							FastSpan   *nr = realloc(sc->rs, nc * w1 * sizeof(FastSpan));

							if (!nr)
							{
								sc->oom = true;
								return NULL;
							}
							sc->rs = nr;
							sc->caprs = nc;
						}
						slot = &sc->rs[sc->nrs * w1];
						slot[0].p = p;
						if (*p == '{')
							p = cqp_job_fast_row_object(sc, p, end, slot + 1);
						else
							p = cqp_job_fast_value(sc, p, end, -1);
						if (!p)
							return NULL;
						slot[0].e = p;
						sc->nrs++;
						goto next_elem;
					}
				}
				if (!(p = cqp_job_fast_value(sc, p, end, -1)))
					return NULL;
		next_elem:
				p = member_end(sc, p, end, ']', &closed);
				if (p && !closed)
					continue;
				return p;
			}
		case 't':
			return (end - p >= 4 && memcmp(p, "true", 4) == 0) ? p + 4 : NULL;
		case 'f':
			return (end - p >= 5 && memcmp(p, "false", 5) == 0) ? p + 5 : NULL;
		case 'n':
			return (end - p >= 4 && memcmp(p, "null", 4) == 0) ? p + 4 : NULL;
		default:
			{
				bool		is_int;
				const char *q = fast_number(p, end, &is_int);

				/* integers beyond int64: the full path quotes them */
				if (q && is_int && q - p >= 19 && int_overflows(p, (size_t) (q - p)))
					return NULL;
				return q;
			}
	}
}

/*
 * Validate a row object at p (its '{'), recording in ks[k] the value of its
 * member named sc->plan->keys[k] (the last one if repeated, as jansson
 * keeps; p = NULL if absent).  Returns the byte after the object or NULL.
 */
const char *
cqp_job_fast_row_object(FastScan *sc, const char *p, const char *end, FastSpan *ks)
{
	const FastPlan *fp = sc->plan;

	for (int k = 0; k < fp->nkeys; k++)
		ks[k].p = NULL;
	if (++sc->depth > sc->maxdepth)
		return NULL;
	p = cqp_job_fast_ws(p + 1, end);
	if (p < end && *p == '}')
	{
		sc->depth--;
		return p + 1;
	}
	for (;;)
	{
		const char *k = p,
				   *ke,
				   *vs;
		bool		esc;
		size_t		klen;

		if (p >= end || *p != '"' || !(ke = fast_string(p, end, sc->maxstr, &esc)))
			return NULL;
		p = cqp_job_fast_ws(ke, end);
		if (p >= end || *p != ':')
			return NULL;
		vs = p = cqp_job_fast_ws(p + 1, end);
		if (!(p = cqp_job_fast_value(sc, p, end, -1)))
			return NULL;
		klen = (size_t) (ke - k - 2);
		for (int i = 0; i < fp->nkeys; i++)
		{
			if ((esc || (klen == fp->keylen[i] && k[1] == fp->keys[i][0])) &&
				fast_key_eq(k, ke, esc, fp->keys[i], fp->keylen[i]))
			{
				ks[i].p = vs;
				ks[i].e = p;
				break;
			}
		}
		p = cqp_job_fast_ws(p, end);
		if (p < end && *p == ',')
		{
			p = cqp_job_fast_ws(p + 1, end);
			continue;
		}
		if (p < end && *p == '}')
		{
			sc->depth--;
			return p + 1;
		}
		return NULL;
	}
}

/* ------------------------------------------------------------------------
 * jansson values of validated tokens
 * ------------------------------------------------------------------------ */

/* C locale for strtod_l (jansson parses reals with strtod under the C
 * locale the backend keeps for LC_NUMERIC). */
static pthread_once_t fast_locale_once = PTHREAD_ONCE_INIT;
static locale_t fast_c_locale = (locale_t) 0;

static void
fast_locale_init(void)
{
	fast_c_locale = newlocale(LC_ALL_MASK, "C", (locale_t) 0);
}

/* strtod of a real token under the C locale (HUGE_VAL on overflow) */
static double
json_real_strtod(const char *p, size_t len)
{
	char		buf[64];
	char	   *t = len < sizeof(buf) ? buf : malloc(len + 1);
	double		d;

	pthread_once(&fast_locale_once, fast_locale_init);
	if (!t)
		return 0.0;
	memcpy(t, p, len);
	t[len] = '\0';
	d = fast_c_locale ? strtod_l(t, NULL, fast_c_locale) : strtod(t, NULL);
	if (t != buf)
		free(t);
	return d;
}

/*
 * A jansson value for the validated JSON value [p, e).  New reference, or
 * NULL if it must be left to jansson (OOM, ...).  A real beyond the range
 * of a double becomes the string of its text, as the full path quotes it.
 */
json_t *
cqp_job_fast_make(const char *p, const char *e)
{
	switch (*p)
	{
		case '"':
			{
				size_t		n = (size_t) (e - p - 2);
				char	   *buf;
				json_t	   *v;

				if (!memchr(p + 1, '\\', n))
					return json_stringn_nocheck(p + 1, n);
				buf = malloc(n + 1);
				if (!buf)
					return NULL;
				n = fast_unescape(p, e, buf);
				v = json_stringn_nocheck(buf, n);
				free(buf);
				return v;
			}
		case 't':
			return json_true();
		case 'f':
			return json_false();
		case 'n':
			return json_null();
		case '{':
		case '[':
			return cqp_job_load_json(p, (size_t) (e - p), JSON_ALLOW_NUL, false, NULL);
		default:
			{
				bool		is_int = true;
				char		buf[64];
				double		d;
				char	   *end;

				for (const char *q = p; q < e; q++)
					if (*q == '.' || *q == 'e' || *q == 'E')
						is_int = false;
				if (is_int)
				{
					/* validated, and within int64 (cqp_job_fast_value checked) */
					const char *q = p;
					bool		neg = (*q == '-');
					uint64_t	u = 0;

					if (neg)
						q++;
					for (; q < e; q++)
						u = u * 10 + (uint64_t) (*q - '0');
					if (neg)
						return json_integer(u == (uint64_t) 1 << 63 ? INT64_MIN :
											-(json_int_t) u);
					return json_integer((json_int_t) u);
				}
				pthread_once(&fast_locale_once, fast_locale_init);
				if ((size_t) (e - p) >= sizeof(buf) || fast_c_locale == (locale_t) 0)
					return NULL;
				memcpy(buf, p, (size_t) (e - p));
				buf[e - p] = '\0';
				errno = 0;
				d = strtod_l(buf, &end, fast_c_locale);
				if (errno == ERANGE && isinf(d))
					return json_stringn_nocheck(p, (size_t) (e - p));
				return json_real(d);
			}
	}
}

/*
 * cqp_job_fast_make for a numeric column: numbers keep their text (a string the
 * numeric type reads without loss), so do the numbers inside an object or
 * an array.
 */
json_t *
cqp_job_fast_make_exact(const char *p, const char *e)
{
	if (*p == '-' || (*p >= '0' && *p <= '9'))
		return json_stringn_nocheck(p, (size_t) (e - p));
	if (*p == '{' || *p == '[')
		return cqp_job_load_json(p, (size_t) (e - p), JSON_ALLOW_NUL, true, NULL);
	return cqp_job_fast_make(p, e);
}
