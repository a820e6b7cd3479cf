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
		int			ch = cqp_pct_byte(name, n, i);

		if (ch >= 0)
		{
			dec[o++] = (char) lower(ch);
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

/* ------------------------------------------------------------------------
 * Credentials echoed by an API
 * ------------------------------------------------------------------------ */

/* Secrets shorter than this are not searched for (see cqp_error_redact). */
#define MIN_SECRET_LEN	4
#define MAX_SECRETS		8

static void
wipe_buf(char *p, size_t n)
{
	volatile char *v = p;

	while (n--)
		*v++ = 0;
}

/* Standard base64 of src into out (size >= 4 * ceil(n / 3) + 1). */
static void
base64_encode(const unsigned char *src, size_t n, char *out)
{
	static const char tbl[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t		i;
	char	   *o = out;

	for (i = 0; i + 2 < n; i += 3)
	{
		*o++ = tbl[src[i] >> 2];
		*o++ = tbl[((src[i] & 3) << 4) | (src[i + 1] >> 4)];
		*o++ = tbl[((src[i + 1] & 15) << 2) | (src[i + 2] >> 6)];
		*o++ = tbl[src[i + 2] & 63];
	}
	if (i < n)
	{
		*o++ = tbl[src[i] >> 2];
		if (i + 1 < n)
		{
			*o++ = tbl[((src[i] & 3) << 4) | (src[i + 1] >> 4)];
			*o++ = tbl[(src[i + 1] & 15) << 2];
		}
		else
			*o++ = tbl[(src[i] & 3) << 4];
		*o++ = '=';
		if (i + 1 >= n)
			*o++ = '=';
	}
	*o = '\0';
}

/*
 * Replace in s (NUL-terminated, in a buffer of `size` bytes) every
 * occurrence of each secret by "REDACTED".  When s fills its buffer (it was
 * truncated), a tail of s that is the beginning of a secret is redacted
 * too: truncation must not leave a readable prefix of a token.
 */
static void
redact_str(char *s, size_t size, const char *const *sec, const size_t *len,
		   int n)
{
	char		out[1024];
	size_t		o = 0;
	size_t		slen = strlen(s);
	bool		full = (slen + 1 >= size);
	bool		changed = false;
	size_t		i = 0;

	if (slen == 0 || size > sizeof(out))
		return;					/* every CqError field fits out */
	while (i < slen)
	{
		int			k;
		size_t		m = 0;

		for (k = 0; k < n; k++)
		{
			if (slen - i >= len[k] && memcmp(s + i, sec[k], len[k]) == 0)
			{
				m = len[k];
				break;
			}
			/* a truncated secret at the very end of a full buffer */
			if (full && slen - i < len[k] &&
				memcmp(s + i, sec[k], slen - i) == 0)
			{
				m = slen - i;
				break;
			}
		}
		if (m > 0)
		{
			if (o + 8 < size)
			{
				memcpy(out + o, "REDACTED", 8);
				o += 8;
			}
			else
				break;			/* no room: cut here, never a partial secret */
			i += m;
			changed = true;
		}
		else
		{
			if (o + 1 >= size)
				break;
			out[o++] = s[i++];
		}
	}
	if (!changed)
		return;
	/* do not cut a UTF-8 sequence in half */
	while (o > 0 && i < slen && ((unsigned char) out[o - 1] & 0xC0) == 0x80)
		o--;
	if (o > 0 && i < slen && (unsigned char) out[o - 1] >= 0xC0)
		o--;
	memcpy(s, out, o);
	/* the old text past the new end held the secret: clear all of it */
	memset(s + o, 0, size - o);
	wipe_buf(out, sizeof(out));
}

/*
 * cqp_error_redact
 *		Remove the credentials of a job from every text field of an error
 *		(or of a column warning's text, via cqp_text_redact).
 *
 * APIs echo what they were sent: a 401 body saying "bad token <token>",
 * "Authorization: Basic <base64>" in a debug echo, a value holding the
 * token.  Such text reaches err->api_message, err->message, err->url and
 * from there errdetail, the server log and cq_fdw.sync_log.  Every error
 * and warning a job hands out passes through here (job_queue.c, job_rows.c: when a job or a
 * unit fails, when a column warning is recorded), so this is the one place
 * that knows both the text and the credentials.  Searched for, each exact:
 * the token (bearer, header or basic password), the SigV4 secret, the user
 * name / access key id, the SigV4 session token, and the base64
 * "user:password" of basic auth.
 * Values shorter than 4 bytes are not searched for (they would turn every
 * message into REDACTED and are guessable anyway).  Any thread.
 */
void
cqp_error_redact(CqError *err, const CqCredentials *cred)
{
	if (err == NULL)
		return;
	cqp_text_redact(err->message, sizeof(err->message), cred);
	cqp_text_redact(err->api_message, sizeof(err->api_message), cred);
	cqp_text_redact(err->url, sizeof(err->url), cred);
	cqp_text_redact(err->unit, sizeof(err->unit), cred);
	cqp_text_redact(err->path, sizeof(err->path), cred);
	cqp_text_redact(err->column, sizeof(err->column), cred);
	cqp_text_redact(err->api_code, sizeof(err->api_code), cred);
	cqp_text_redact(err->request_id, sizeof(err->request_id), cred);
}

/* cqp_text_redact: cqp_error_redact for one NUL-terminated buffer. */
void
cqp_text_redact(char *s, size_t size, const CqCredentials *cred)
{
	const char *sec[MAX_SECRETS];
	size_t		len[MAX_SECRETS];
	char		basic[1024];
	char		b64[1400];
	int			n = 0;
	const char *pw;

	if (s == NULL || size == 0 || s[0] == '\0' || cred == NULL)
		return;
	pw = cred->token ? cred->token : cred->secret;
	if (cred->user && pw &&
		strlen(cred->user) + strlen(pw) + 2 <= sizeof(basic))
	{
		int			bl = snprintf(basic, sizeof(basic), "%s:%s", cred->user, pw);

		base64_encode((const unsigned char *) basic, (size_t) bl, b64);
		sec[n++] = b64;
		wipe_buf(basic, sizeof(basic));
	}
	if (cred->token)
		sec[n++] = cred->token;
	if (cred->secret)
		sec[n++] = cred->secret;
	if (cred->user)
		sec[n++] = cred->user;
	if (cred->session_token)
		sec[n++] = cred->session_token;
	for (int k = 0; k < n; k++)
		len[k] = strlen(sec[k]);
	/* longest first: a token containing the user name is redacted whole */
	for (int a = 1; a < n; a++)
		for (int b = a; b > 0 && len[b] > len[b - 1]; b--)
		{
			const char *ts = sec[b];
			size_t		tl = len[b];

			sec[b] = sec[b - 1];
			len[b] = len[b - 1];
			sec[b - 1] = ts;
			len[b - 1] = tl;
		}
	while (n > 0 && len[n - 1] < MIN_SECRET_LEN)
		n--;
	if (n > 0)
		redact_str(s, size, sec, len, n);
	wipe_buf(b64, sizeof(b64));
}
