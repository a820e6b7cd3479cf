/*-------------------------------------------------------------------------
 *
 * error.c
 *		  CqError helpers: filling an error, kind names, URL redaction and
 *		  sanitizing hostile text.
 *
 * Invariants:
 *	- Every string field of a CqError filled here is NUL-terminated, fits its
 *	  array, and holds no control character (no newline can reach errmsg).
 *	- cq_redact_url never copies a credential: userinfo and the values of
 *	  secret-looking query parameters are replaced by "REDACTED" before any
 *	  byte of them could reach the output, so truncating the output can never
 *	  expose part of a secret.
 *	- API text is only ever copied as data, never used as a format string.
 *	- No static mutable state: all functions are thread-safe.
 *
 * Copyright (c) 2026, cq_fdw developers
 *
 *-------------------------------------------------------------------------
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cq_sdk.h"
#include "cq_sdk_int.h"

/*
 * cq_error_set
 *		Reset *err and fill kind and message (printf-style).
 *
 * All other fields are cleared: callers set http_status, url, column, ...
 * after this call.  Control characters in the formatted message become
 * spaces.  err may be NULL (no-op).  Any thread.
 */
void
cq_error_set(CqError *err, CqErrorKind kind, const char *fmt,...)
{
	va_list		ap;
	char	   *p;

	if (err == NULL)
		return;
	memset(err, 0, sizeof(*err));
	err->kind = kind;
	if (fmt == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(err->message, sizeof(err->message), fmt, ap);
	va_end(ap);
	for (p = err->message; *p; p++)
		if ((unsigned char) *p < 0x20 || *p == 0x7f)
			*p = ' ';
}

/*
 * cq_error_kind_name
 *		Stable lower-case name of an error kind ("http", "rate_limit", ...).
 *		Returns a static string; "unknown" for an out-of-range value.
 */
const char *
cq_error_kind_name(CqErrorKind kind)
{
	switch (kind)
	{
		case CQ_ERR_NONE:
			return "none";
		case CQ_ERR_CONFIG:
			return "config";
		case CQ_ERR_CONNECT:
			return "connect";
		case CQ_ERR_TIMEOUT:
			return "timeout";
		case CQ_ERR_HTTP:
			return "http";
		case CQ_ERR_RATE_LIMIT:
			return "rate_limit";
		case CQ_ERR_JSON:
			return "json";
		case CQ_ERR_LIMIT:
			return "limit";
		case CQ_ERR_VALUE:
			return "value";
		case CQ_ERR_POLICY:
			return "policy";
		case CQ_ERR_CANCELED:
			return "canceled";
		case CQ_ERR_NOMEM:
			return "nomem";
		case CQ_ERR_PLUGIN:
			return "plugin";
		case CQ_ERR_INTERNAL:
			return "internal";
		case CQ_ERR_TRANSFER:
			return "transfer";
	}
	return "unknown";
}

/* length of a valid UTF-8 sequence starting at s (max n bytes), or 0 */
static size_t
utf8_seq_len(const unsigned char *s, size_t n)
{
	unsigned char c = s[0];
	size_t		len,
				i;
	unsigned int cp;

	if (c < 0x80)
		return 1;
	else if ((c & 0xe0) == 0xc0)
	{
		len = 2;
		cp = c & 0x1f;
	}
	else if ((c & 0xf0) == 0xe0)
	{
		len = 3;
		cp = c & 0x0f;
	}
	else if ((c & 0xf8) == 0xf0)
	{
		len = 4;
		cp = c & 0x07;
	}
	else
		return 0;
	if (len > n)
		return 0;
	for (i = 1; i < len; i++)
	{
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	/* overlong, surrogate, out of range */
	if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) ||
		(len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
		(cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

/*
 * cqp_sanitize_copy
 *		Copy hostile text into a fixed buffer: control characters (including
 *		NUL and DEL) and invalid UTF-8 bytes become '?', truncation happens on
 *		a character boundary, the result is always NUL-terminated.
 *
 * dst may be NULL or dstlen 0 (no-op).  src may be NULL (empty).  Any thread.
 */
void
cqp_sanitize_copy(char *dst, size_t dstlen, const char *src, size_t len)
{
	const unsigned char *s = (const unsigned char *) src;
	size_t		i = 0,
				o = 0;

	if (dst == NULL || dstlen == 0)
		return;
	while (src != NULL && i < len)
	{
		size_t		n = utf8_seq_len(s + i, len - i);

		if (n <= 1)
		{
			if (o + 1 >= dstlen)
				break;
			dst[o++] = (n == 0 || s[i] < 0x20 || s[i] == 0x7f) ? '?' : (char) s[i];
			i++;
		}
		else
		{
			if (o + n >= dstlen)
				break;
			memcpy(dst + o, s + i, n);
			o += n;
			i += n;
		}
	}
	dst[o] = '\0';
}

/* ASCII case-insensitive comparisons (locale-independent) */
static int
lower(int c)
{
	return (c >= 'A' && c <= 'Z') ? c + ('a' - 'A') : c;
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = lower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

static bool
contains_ci(const char *hay, size_t n, const char *needle)
{
	size_t		m = strlen(needle),
				i,
				j;

	for (i = 0; i + m <= n; i++)
	{
		for (j = 0; j < m; j++)
			if (lower((unsigned char) hay[i + j]) != needle[j])
				break;
		if (j == m)
			return true;
	}
	return false;
}

/*
 * Does a query parameter name (raw, maybe percent-encoded) look like it
 * carries a secret?  Over-matching is harmless (the value is merely hidden),
 * so this matches substrings.
 */
static bool
secret_param(const char *name, size_t n)
{
	static const char *const subs[] = {
		"token", "key", "secret", "password", "passwd", "pwd", "signature",
		"auth", "credential", "session", "x-amz-", "x_amz_", NULL
	};
	char		dec[128];
	size_t		i,
				o = 0;
	int			k;

	/* percent-decode (and lower-case) the name for matching */
	for (i = 0; i < n && o < sizeof(dec); i++)
	{
		if (name[i] == '%' && i + 2 < n && hexval((unsigned char) name[i + 1]) >= 0 &&
			hexval((unsigned char) name[i + 2]) >= 0)
		{
			dec[o++] = (char) lower(hexval((unsigned char) name[i + 1]) * 16 +
									hexval((unsigned char) name[i + 2]));
			i += 2;
		}
		else
			dec[o++] = (char) lower((unsigned char) name[i]);
	}
	if (i < n)
		return true;			/* absurdly long name: hide its value */
	for (k = 0; subs[k]; k++)
		if (contains_ci(dec, o, subs[k]))
			return true;
	/* short exact names */
	if ((o == 3 && memcmp(dec, "sig", 3) == 0) ||
		(o == 4 && memcmp(dec, "code", 4) == 0))
		return true;
	return false;
}

typedef struct RBuf
{
	char	   *out;
	size_t		cap;
	size_t		n;
} RBuf;

static void
rput(RBuf *b, const char *s, size_t n)
{
	size_t		room;

	if (b->n + 1 >= b->cap)
		return;
	room = b->cap - 1 - b->n;
	if (n > room)
		n = room;
	memcpy(b->out + b->n, s, n);
	b->n += n;
	b->out[b->n] = '\0';
}

/*
 * cq_redact_url
 *		Copy url into out (size outlen, always NUL-terminated when outlen > 0)
 *		with the userinfo ("user:pass@") and the values of secret-looking query
 *		parameters (see secret_param) replaced by REDACTED.  Control
 *		characters are replaced by '?'.  Any thread; url may be NULL.
 */
void
cq_redact_url(const char *url, char *out, size_t outlen)
{
	RBuf		b = {out, outlen, 0};
	const char *p,
			   *auth,
			   *q,
			   *end;
	size_t		i;

	if (out == NULL || outlen == 0)
		return;
	out[0] = '\0';
	if (url == NULL)
		return;
	end = url + strlen(url);

	/* scheme "://" or a network-path reference "//" */
	p = strstr(url, "://");
	if (p != NULL && memchr(url, '/', p - url) == NULL &&
		memchr(url, '?', p - url) == NULL)
		auth = p + 3;
	else if (url[0] == '/' && url[1] == '/')
		auth = url + 2;
	else
		auth = url;
	rput(&b, url, auth - url);

	if (auth != url)
	{
		const char *aend = auth + strcspn(auth, "/?#");
		const char *at = NULL;

		for (q = auth; q < aend; q++)
			if (*q == '@')
				at = q;
		if (at != NULL)
		{
			rput(&b, "REDACTED@", 9);
			auth = at + 1;
		}
		rput(&b, auth, aend - auth);
		p = aend;
	}
	else
		p = url;

	/* path: copy up to '?' or '#' */
	q = p + strcspn(p, "?#");
	rput(&b, p, q - p);
	p = q;

	if (*p == '?')
	{
		rput(&b, "?", 1);
		p++;
		while (p < end && *p != '#')
		{
			size_t		plen = strcspn(p, "&;#");
			const char *eq = memchr(p, '=', plen);
			size_t		nlen = eq ? (size_t) (eq - p) : plen;

			if (eq != NULL && secret_param(p, nlen))
			{
				rput(&b, p, nlen + 1);
				rput(&b, "REDACTED", 8);
			}
			else
				rput(&b, p, plen);
			p += plen;
			if (*p == '&' || *p == ';')
			{
				rput(&b, p, 1);
				p++;
			}
		}
	}
	/* fragment (rarely sent, copied as is) */
	rput(&b, p, end - p);

	for (i = 0; i < b.n; i++)
		if ((unsigned char) out[i] < 0x20 || out[i] == 0x7f)
			out[i] = '?';
}
