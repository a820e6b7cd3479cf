/*-------------------------------------------------------------------------
 *
 * sigv4.c
 *		  AWS Signature Version 4: canonical request, string to sign,
 *		  signing key, Authorization header or presigned query string.
 *
 * The algorithm is AWS's ("Create a signed AWS API request", IAM user
 * guide); test/sdk/test_sigv4.c checks every intermediate text against the
 * signing test suite AWS publishes with aws-c-auth (38 cases, header and
 * query signing, read in place from ../shared/aws-sigv4-test-suite).
 *
 * Used by http.c: every transfer of a source with auth "sigv4" (a spec's, or a
 * rest server's auth 'sigv4') is signed here by cqp_http_prepare, at the
 * time it is sent (pages, retries, same-origin redirect hops); the mock's
 * /aws/ routes recompute each signature independently (test_sigv4wire.c,
 * sql/aws_sigv4.sql).
 *
 * Why not libcurl's CURLOPT_AWS_SIGV4 (which http.c used before):
 * measured with curl 7.88.1 (Debian 12) against the same suite -- curl CLI
 * --aws-sigv4 to a listener capturing the Authorization header, X-Amz-Date
 * and X-Amz-Security-Token given as headers, paths pre-encoded -- it
 * passes 30 of the 38 cases.  It fails: get-vanilla-query-order-encoded
 * and -key-case (the query is signed in the order given, not sorted: an
 * EC2/Query GET whose parameters are not pre-sorted gets a 403),
 * get-header-key-duplicate and get-header-value-order (a repeated header
 * is listed once per occurrence in SignedHeaders instead of once, its
 * values comma-joined),
 * get-slash-normalized and get-slashes-normalized ("//" not collapsed), and
 * both post-x-www-form-urlencoded cases (no x-amz-content-sha256, which S3
 * requires).  It also never double-encodes the path (non-S3 services), has
 * no session-token option, and hides the canonical request and string to
 * sign, so a mismatch shows only as a 403 from AWS.  The issue says to use
 * curl where it passes and our own HMAC where it does not; since it fails
 * cases the aws source meets (unsorted queries, S3's payload header), and
 * only our own signer's intermediate texts can be checked, every SigV4
 * request signs with this file, never with CURLOPT_AWS_SIGV4.  (The mock
 * agrees: curl 7.88's signature of "?shape=small&n=3" gets its 403, of
 * "?n=3&shape=small" its 200.)
 *
 * Invariants:
 *	- Crypto is libcrypto's (EVP_Digest SHA-256, HMAC with EVP_sha256); no
 *	  hand-written hash.  The derived keys and the "AWS4"+secret buffer are
 *	  wiped with OPENSSL_cleanse before return.
 *	- No static mutable state: every call works on its own buffers, so any
 *	  thread may sign concurrently.
 *	- The secret never appears in any output; the session token appears
 *	  only as the X-Amz-Security-Token header/parameter (and the canonical
 *	  request when it is signed).
 *	- Inputs are bounded (SIGV4_MAX_*): more is CQ_ERR_LIMIT, never a huge
 *	  allocation.  Header values may contain only HT and obs-fold line
 *	  breaks (CR/LF followed by SP/HT) as control characters, so a header
 *	  line the caller sends can never be split by one it signed.
 *
 * Normalization (what the suite checks):
 *	- Path: unless CQP_SIGV4_NO_NORMALIZE, empty and "." segments are
 *	  dropped and ".." removes the previous one (a trailing '/' stays);
 *	  then, unless CQP_SIGV4_NO_DOUBLE_ENCODE, the wire path is URI-encoded
 *	  again ('/' kept) -- "double encoding", which every service but S3
 *	  uses.  With NO_DOUBLE_ENCODE (S3) the path is decoded and re-encoded
 *	  once, so "%7e" and "~" sign alike.
 *	- Query: split on '&', each name and value percent-decoded then
 *	  re-encoded (unreserved kept, the rest %XX upper case; '+' is a
 *	  literal plus, as botocore never sends it for a space), a missing '='
 *	  is an empty value, sorted by encoded name then value (bytewise).
 *	- Headers: names lower-cased; values trimmed, every run of white space
 *	  (line breaks of folded lines included) becomes one space; repeated
 *	  names are joined with ',' in the order given; sorted by name.
 *
 * Copyright (c) 2026, cq_fdw developers
 *
 *-------------------------------------------------------------------------
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "cq_sdk.h"
#include "cq_sdk_int.h"
#include "sigv4.h"

#define SIGV4_MAX_HEADERS	128
#define SIGV4_MAX_PARAMS	1024
#define SIGV4_MAX_TEXT		(1024 * 1024)	/* any one text we build */
#define SIGV4_MAX_CRED		4096	/* key id, secret, token */
#define SIGV4_ALGORITHM		"AWS4-HMAC-SHA256"

/* ------------------------------------------------------------------------
 * URI encoding into a CqpStrBuf (strbuf.c)
 * ------------------------------------------------------------------------ */

/* Append `len` bytes of `s` percent-decoded (a '%' not followed by two hex
 * digits stays literal). */
static void
sb_decode(CqpStrBuf *b, const char *s, size_t len)
{
	size_t		i;

	for (i = 0; i < len; i++)
	{
		int			ch = cqp_pct_byte(s, len, i);

		if (ch >= 0)
		{
			cqp_sb_putc(b, (char) ch);
			i += 2;
		}
		else
			cqp_sb_putc(b, s[i]);
	}
}

/* Decode then re-encode; returns a malloc'd string or NULL (b's flags). */
static char *
reencode(const char *s, size_t len, bool keep_slash, bool *oom, bool *too_big)
{
	CqpStrBuf	d = {.max = SIGV4_MAX_TEXT};
	CqpStrBuf	e = {.max = SIGV4_MAX_TEXT};

	sb_decode(&d, s, len);
	cqp_sb_putn(&d, "", 0);
	if (!d.oom && !d.too_big)
	{
		cqp_sb_put_encoded(&e, d.p ? d.p : "", d.n, keep_slash);
		cqp_sb_putn(&e, "", 0);
	}
	free(d.p);
	*oom |= d.oom || e.oom;
	*too_big |= d.too_big || e.too_big;
	if (d.oom || d.too_big || e.oom || e.too_big)
	{
		free(e.p);
		return NULL;
	}
	if (e.p == NULL)
		return strdup("");
	return e.p;
}

char *
cqp_sigv4_uri_encode(const char *s, size_t len, bool keep_slash)
{
	CqpStrBuf	b = {.max = SIGV4_MAX_TEXT};

	cqp_sb_put_encoded(&b, s, len, keep_slash);
	cqp_sb_putn(&b, "", 0);
	if (b.oom || b.too_big)
	{
		free(b.p);
		return NULL;
	}
	return b.p ? b.p : strdup("");
}

/* ------------------------------------------------------------------------
 * libcrypto
 * ------------------------------------------------------------------------ */

static void
to_hex(const unsigned char *d, size_t n, char *out)
{
	static const char hex[] = "0123456789abcdef";
	size_t		i;

	for (i = 0; i < n; i++)
	{
		out[2 * i] = hex[d[i] >> 4];
		out[2 * i + 1] = hex[d[i] & 15];
	}
	out[2 * n] = '\0';
}

bool
cqp_sha256_hex(const void *data, size_t len, char out[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	out[0] = '\0';
	if (!EVP_Digest(data ? data : "", len, md, &mdlen, EVP_sha256(), NULL) ||
		mdlen != 32)
		return false;
	to_hex(md, 32, out);
	return true;
}

/* out = HMAC-SHA256(key, msg); false if libcrypto fails. */
static bool
hmac256(const unsigned char *key, size_t keylen, const char *msg, size_t msglen,
		unsigned char out[32])
{
	unsigned int outlen = 0;

	if (HMAC(EVP_sha256(), key, (int) keylen, (const unsigned char *) msg,
			 msglen, out, &outlen) == NULL || outlen != 32)
		return false;
	return true;
}

/*
 * Signing key = HMAC chain "AWS4"+secret -> date -> region -> service ->
 * "aws4_request"; signature = hex HMAC(key, sts).  Intermediates wiped.
 */
static bool
compute_signature(const char *secret, const char *date8, const char *region,
				  const char *service, const char *sts, char out[65])
{
	size_t		slen = strlen(secret);
	unsigned char *k0 = malloc(slen + 4);
	unsigned char k[32];
	unsigned char sig[32];
	bool		ok;

	if (k0 == NULL)
		return false;
	memcpy(k0, "AWS4", 4);
	memcpy(k0 + 4, secret, slen);
	ok = hmac256(k0, slen + 4, date8, strlen(date8), k) &&
		hmac256(k, 32, region, strlen(region), k) &&
		hmac256(k, 32, service, strlen(service), k) &&
		hmac256(k, 32, "aws4_request", 12, k) &&
		hmac256(k, 32, sts, strlen(sts), sig);
	OPENSSL_cleanse(k0, slen + 4);
	free(k0);
	OPENSSL_cleanse(k, sizeof(k));
	if (ok)
		to_hex(sig, 32, out);
	OPENSSL_cleanse(sig, sizeof(sig));
	return ok;
}

/* ------------------------------------------------------------------------
 * Canonical parts
 * ------------------------------------------------------------------------ */

typedef struct Hdr
{
	char	   *name;			/* lower case */
	char	   *value;			/* trimmed, white space collapsed */
	size_t		order;
} Hdr;

typedef struct Param
{
	char	   *name;			/* encoded */
	char	   *value;			/* encoded */
} Param;

static int
hdr_cmp(const void *a, const void *b)
{
	const Hdr  *x = a;
	const Hdr  *y = b;
	int			c = strcmp(x->name, y->name);

	if (c)
		return c;
	return x->order < y->order ? -1 : x->order > y->order;
}

static int
param_cmp(const void *a, const void *b)
{
	const Param *x = a;
	const Param *y = b;
	int			c = strcmp(x->name, y->name);

	return c ? c : strcmp(x->value, y->value);
}

static bool
is_tchar(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		(c >= '0' && c <= '9') || (c && strchr("!#$%&'*+-.^_`|~", c));
}

/* Printable ASCII without space: credentials, region, service. */
static bool
is_printable_word(const char *s, size_t max, const char *also_refused)
{
	size_t		n = 0;

	if (s == NULL || *s == '\0')
		return false;
	for (; *s; s++, n++)
	{
		if ((unsigned char) *s <= 0x20 || (unsigned char) *s >= 0x7f ||
			strchr(also_refused, *s) || n >= max)
			return false;
	}
	return true;
}

/* Region or service: 1..64 letters, digits, '-', '.', '_'. */
static bool
is_name(const char *s)
{
	size_t		n = 0;

	if (s == NULL || *s == '\0')
		return false;
	for (; *s; s++, n++)
		if (n >= 64 || !(cqp_url_unreserved((unsigned char) *s) && *s != '~'))
			return false;
	return true;
}

/*
 * Trimmed, white-space-collapsed copy of a header value; NULL with *bad set
 * when it holds a control character other than HT or an obs-fold break.
 */
static char *
header_value(const char *v, bool *bad)
{
	size_t		len = strlen(v);
	char	   *out = malloc(len + 1);
	size_t		i,
				n = 0;
	bool		space = false;

	if (out == NULL)
		return NULL;
	for (i = 0; i < len; i++)
	{
		unsigned char c = (unsigned char) v[i];

		if (c == '\r' || c == '\n')
		{
			/* only obs-fold: CRLF or LF followed by SP/HT */
			size_t		j = i + (c == '\r' && v[i + 1] == '\n' ? 1 : 0);

			if (v[j + 1] != ' ' && v[j + 1] != '\t')
			{
				*bad = true;
				free(out);
				return NULL;
			}
			space = true;
			i = j;
			continue;
		}
		if (c == ' ' || c == '\t')
		{
			space = true;
			continue;
		}
		if (c < 0x20 || c == 0x7f)
		{
			*bad = true;
			free(out);
			return NULL;
		}
		if (space && n > 0)
			out[n++] = ' ';
		space = false;
		out[n++] = (char) c;
	}
	out[n] = '\0';
	return out;
}

/* Canonical URI of the wire path (see banner). */
static char *
canonical_uri(const char *path, unsigned flags, bool *oom, bool *too_big)
{
	CqpStrBuf	norm = {.max = SIGV4_MAX_TEXT};
	const char *p = path;
	char	   *res;

	if (p == NULL || *p == '\0')
		p = "/";
	if (!(flags & CQP_SIGV4_NO_NORMALIZE))
	{
		/* segment stack as offsets into norm */
		size_t		len = strlen(p);
		size_t	   *stack = malloc(sizeof(size_t) * (len + 1));
		size_t		depth = 0;
		size_t		i = 0;

		if (stack == NULL)
		{
			*oom = true;
			return NULL;
		}
		cqp_sb_putc(&norm, '/');
		while (i < len)
		{
			size_t		s,
						e;

			while (i < len && p[i] == '/')
				i++;
			s = i;
			while (i < len && p[i] != '/')
				i++;
			e = i;
			if (e == s || (e - s == 1 && p[s] == '.'))
				continue;
			if (e - s == 2 && p[s] == '.' && p[s + 1] == '.')
			{
				if (depth > 0)
					norm.n = stack[--depth];
				if (norm.p)
					norm.p[norm.n] = '\0';
				continue;
			}
			stack[depth++] = norm.n;
			if (norm.n > 1)
				cqp_sb_putc(&norm, '/');
			cqp_sb_putn(&norm, p + s, e - s);
		}
		free(stack);
		if (norm.n > 1 && p[len - 1] == '/')
			cqp_sb_putc(&norm, '/');
		if (norm.oom || norm.too_big)
		{
			*oom |= norm.oom;
			*too_big |= norm.too_big;
			free(norm.p);
			return NULL;
		}
		p = norm.p;
	}
	if (flags & CQP_SIGV4_NO_DOUBLE_ENCODE)
		res = reencode(p, strlen(p), true, oom, too_big);
	else
	{
		res = cqp_sigv4_uri_encode(p, strlen(p), true);
		if (res == NULL)
			*oom = true;
	}
	free(norm.p);
	return res;
}

/* Split a wire query into decoded-then-encoded params appended to *ps. */
static bool
parse_query(const char *q, Param *ps, size_t *np, size_t max, CqError *err)
{
	bool		oom = false,
				too_big = false;

	while (q && *q)
	{
		const char *amp = strchr(q, '&');
		size_t		len = amp ? (size_t) (amp - q) : strlen(q);
		const char *eq = memchr(q, '=', len);

		if (len > 0)
		{
			if (*np >= max)
			{
				cq_error_set(err, CQ_ERR_LIMIT, "too many query parameters to sign (more than %d)",
							 SIGV4_MAX_PARAMS);
				return false;
			}
			ps[*np].name = reencode(q, eq ? (size_t) (eq - q) : len, false, &oom, &too_big);
			ps[*np].value = eq ? reencode(eq + 1, len - (size_t) (eq + 1 - q), false, &oom, &too_big)
				: strdup("");
			(*np)++;
			if (ps[*np - 1].name == NULL || ps[*np - 1].value == NULL)
			{
				if (too_big)
					cq_error_set(err, CQ_ERR_LIMIT, "query string too long to sign");
				else
					cq_error_set(err, CQ_ERR_NOMEM, "out of memory while signing a request");
				return false;
			}
		}
		q = amp ? amp + 1 : NULL;
	}
	return true;
}

static bool
add_param(Param *ps, size_t *np, size_t max, const char *name, const char *value,
		  CqError *err)
{
	if (*np >= max)
	{
		cq_error_set(err, CQ_ERR_LIMIT, "too many query parameters to sign (more than %d)",
					 SIGV4_MAX_PARAMS);
		return false;
	}
	ps[*np].name = cqp_sigv4_uri_encode(name, strlen(name), false);
	ps[*np].value = cqp_sigv4_uri_encode(value, strlen(value), false);
	(*np)++;
	if (ps[*np - 1].name == NULL || ps[*np - 1].value == NULL)
	{
		cq_error_set(err, CQ_ERR_NOMEM, "out of memory while signing a request");
		return false;
	}
	return true;
}

static bool
add_hdr(Hdr *hs, size_t *nh, const char *name, const char *value, CqError *err)
{
	size_t		i;
	bool		bad = false;

	hs[*nh].name = strdup(name);
	hs[*nh].value = header_value(value, &bad);
	hs[*nh].order = *nh;
	(*nh)++;
	if (bad)
	{
		cq_error_set(err, CQ_ERR_CONFIG, "header \"%.64s\" to sign contains a control character",
					 name);
		return false;
	}
	if (hs[*nh - 1].name == NULL || hs[*nh - 1].value == NULL)
	{
		cq_error_set(err, CQ_ERR_NOMEM, "out of memory while signing a request");
		return false;
	}
	for (i = 0; hs[*nh - 1].name[i]; i++)
		if (hs[*nh - 1].name[i] >= 'A' && hs[*nh - 1].name[i] <= 'Z')
			hs[*nh - 1].name[i] += 'a' - 'A';
	return true;
}

/* ------------------------------------------------------------------------
 * The signer
 * ------------------------------------------------------------------------ */

static bool
check_params(const CqpSigv4Request *req, const CqpSigv4Params *p, bool presign,
			 CqError *err)
{
	size_t		i;

	if (req == NULL || p == NULL || req->method == NULL || req->method[0] == '\0')
	{
		cq_error_set(err, CQ_ERR_CONFIG, "no request to sign");
		return false;
	}
	for (i = 0; req->method[i]; i++)
		if (!is_tchar((unsigned char) req->method[i]) || i >= 32)
		{
			cq_error_set(err, CQ_ERR_CONFIG, "invalid HTTP method to sign");
			return false;
		}
	if (!is_printable_word(p->access_key_id, 128, ",/;=") ||
		p->secret_access_key == NULL || p->secret_access_key[0] == '\0' ||
		strlen(p->secret_access_key) > SIGV4_MAX_CRED)
	{
		cq_error_set(err, CQ_ERR_CONFIG, "AWS credentials are missing or malformed");
		return false;
	}
	if (p->session_token && !is_printable_word(p->session_token, SIGV4_MAX_CRED, ""))
	{
		cq_error_set(err, CQ_ERR_CONFIG, "AWS session token is malformed");
		return false;
	}
	if (!is_name(p->region) || !is_name(p->service))
	{
		cq_error_set(err, CQ_ERR_CONFIG, "AWS region and service must be non-empty names of letters, digits, '-', '.' and '_'");
		return false;
	}
	if (p->when < 0 || p->when > (time_t) 253402300799LL)	/* 9999-12-31 */
	{
		cq_error_set(err, CQ_ERR_CONFIG, "signing time out of range");
		return false;
	}
	if (presign && (p->expires < 1 || p->expires > 604800))
	{
		cq_error_set(err, CQ_ERR_CONFIG, "presigned URL expiry must be between 1 and 604800 seconds");
		return false;
	}
	if (req->nheaders > SIGV4_MAX_HEADERS - 3)
	{
		cq_error_set(err, CQ_ERR_LIMIT, "too many headers to sign (more than %d)",
					 SIGV4_MAX_HEADERS - 3);
		return false;
	}
	if (req->payload_hash && !is_printable_word(req->payload_hash, 128, ""))
	{
		cq_error_set(err, CQ_ERR_CONFIG, "invalid payload hash");
		return false;
	}
	return true;
}

static bool
sigv4_core(const CqpSigv4Request *req, const CqpSigv4Params *p, bool presign,
		   CqpSigv4Result *out, CqError *err)
{
	Hdr			hs[SIGV4_MAX_HEADERS];
	size_t		nh = 0;
	Param	   *ps = NULL;
	size_t		np = 0;
	size_t		i;
	bool		ok = false;
	bool		have_host = false;
	bool		oom = false,
				too_big = false;
	bool		sign_token = p && p->session_token && !(p->flags & CQP_SIGV4_OMIT_TOKEN);
	char		amz_date[17];
	char		date8[9];
	char		payload[129];
	char		creq_hash[65];
	char	   *uri = NULL;
	char	   *scope = NULL;
	CqpStrBuf	signed_hdrs = {.max = SIGV4_MAX_TEXT};
	CqpStrBuf	cq = {.max = SIGV4_MAX_TEXT};		/* canonical query */
	CqpStrBuf	creq = {.max = SIGV4_MAX_TEXT};
	CqpStrBuf	sts = {.max = SIGV4_MAX_TEXT};
	CqpStrBuf	b = {.max = SIGV4_MAX_TEXT};
	struct tm	tm;

	memset(out, 0, sizeof(*out));
	if (!check_params(req, p, presign, err))
		return false;

	gmtime_r(&p->when, &tm);
	strftime(amz_date, sizeof(amz_date), "%Y%m%dT%H%M%SZ", &tm);
	memcpy(date8, amz_date, 8);
	date8[8] = '\0';

	if (req->payload_hash)
		snprintf(payload, sizeof(payload), "%s", req->payload_hash);
	else if (!cqp_sha256_hex(req->body, req->body_len, payload))
	{
		cq_error_set(err, CQ_ERR_INTERNAL, "SHA-256 failed in libcrypto");
		return false;
	}

	{
		CqpStrBuf	s = {.max = SIGV4_MAX_TEXT};

		cqp_sb_puts(&s, date8);
		cqp_sb_putc(&s, '/');
		cqp_sb_puts(&s, p->region);
		cqp_sb_putc(&s, '/');
		cqp_sb_puts(&s, p->service);
		cqp_sb_puts(&s, "/aws4_request");
		scope = s.p;
		if (s.oom)
			goto nomem;
	}

	/* headers: the caller's, then the ones the signer owns */
	for (i = 0; i < req->nheaders; i++)
	{
		const char *n = req->headers[i].name;
		size_t		j;

		if (n == NULL || *n == '\0' || req->headers[i].value == NULL ||
			strlen(n) > 256)
		{
			cq_error_set(err, CQ_ERR_CONFIG, "invalid header to sign");
			goto done;
		}
		for (j = 0; n[j]; j++)
			if (!is_tchar((unsigned char) n[j]))
			{
				cq_error_set(err, CQ_ERR_CONFIG, "invalid header name to sign");
				goto done;
			}
		if (strcasecmp(n, "x-amz-date") == 0 || strcasecmp(n, "authorization") == 0 ||
			strcasecmp(n, "x-amz-security-token") == 0 ||
			strcasecmp(n, "x-amz-content-sha256") == 0)
		{
			cq_error_set(err, CQ_ERR_CONFIG, "header \"%s\" is set by the SigV4 signer",
						 n);
			goto done;
		}
		if (strcasecmp(n, "host") == 0)
			have_host = true;
		if (!add_hdr(hs, &nh, n, req->headers[i].value, err))
			goto done;
	}
	if (!have_host)
	{
		cq_error_set(err, CQ_ERR_CONFIG, "the Host header must be signed");
		goto done;
	}
	if (!presign)
	{
		if (!add_hdr(hs, &nh, "x-amz-date", amz_date, err))
			goto done;
		if (sign_token && !add_hdr(hs, &nh, "x-amz-security-token", p->session_token, err))
			goto done;
		if ((p->flags & CQP_SIGV4_SIGN_BODY) &&
			!add_hdr(hs, &nh, "x-amz-content-sha256", payload, err))
			goto done;
	}
	qsort(hs, nh, sizeof(Hdr), hdr_cmp);
	for (i = 0; i < nh; i++)
	{
		if (i > 0 && strcmp(hs[i].name, hs[i - 1].name) == 0)
			continue;
		if (signed_hdrs.n)
			cqp_sb_putc(&signed_hdrs, ';');
		cqp_sb_puts(&signed_hdrs, hs[i].name);
	}

	/* query */
	ps = calloc(SIGV4_MAX_PARAMS, sizeof(Param));
	if (ps == NULL)
		goto nomem;
	if (!parse_query(req->query, ps, &np, SIGV4_MAX_PARAMS - 6, err))
		goto done;
	if (presign)
	{
		char		expires[24];

		for (i = 0; i < np; i++)
			if (strncasecmp(ps[i].name, "X-Amz-", 6) == 0)
			{
				cq_error_set(err, CQ_ERR_CONFIG, "query parameter \"%.64s\" is set by the SigV4 signer",
							 ps[i].name);
				goto done;
			}
		snprintf(expires, sizeof(expires), "%ld", p->expires);
		cqp_sb_puts(&b, p->access_key_id);
		cqp_sb_putc(&b, '/');
		cqp_sb_puts(&b, scope);
		if (b.oom || signed_hdrs.oom || signed_hdrs.too_big)
			goto nomem;
		if (!add_param(ps, &np, SIGV4_MAX_PARAMS, "X-Amz-Algorithm", SIGV4_ALGORITHM, err) ||
			!add_param(ps, &np, SIGV4_MAX_PARAMS, "X-Amz-Credential", b.p, err) ||
			!add_param(ps, &np, SIGV4_MAX_PARAMS, "X-Amz-Date", amz_date, err) ||
			!add_param(ps, &np, SIGV4_MAX_PARAMS, "X-Amz-Expires", expires, err) ||
			!add_param(ps, &np, SIGV4_MAX_PARAMS, "X-Amz-SignedHeaders", signed_hdrs.p, err) ||
			(sign_token &&
			 !add_param(ps, &np, SIGV4_MAX_PARAMS, "X-Amz-Security-Token", p->session_token, err)))
			goto done;
		free(b.p);
		b = (CqpStrBuf) {.max = SIGV4_MAX_TEXT};
	}
	qsort(ps, np, sizeof(Param), param_cmp);
	cqp_sb_putn(&cq, "", 0);
	for (i = 0; i < np; i++)
	{
		if (i > 0)
			cqp_sb_putc(&cq, '&');
		cqp_sb_puts(&cq, ps[i].name);
		cqp_sb_putc(&cq, '=');
		cqp_sb_puts(&cq, ps[i].value);
	}

	uri = canonical_uri(req->path, p->flags, &oom, &too_big);
	if (uri == NULL)
	{
		if (too_big)
			goto toobig;
		goto nomem;
	}

	/* canonical request */
	cqp_sb_puts(&creq, req->method);
	cqp_sb_putc(&creq, '\n');
	cqp_sb_puts(&creq, uri);
	cqp_sb_putc(&creq, '\n');
	cqp_sb_puts(&creq, cq.p ? cq.p : "");
	cqp_sb_putc(&creq, '\n');
	for (i = 0; i < nh; i++)
	{
		if (i > 0 && strcmp(hs[i].name, hs[i - 1].name) == 0)
		{
			cqp_sb_putc(&creq, ',');
			cqp_sb_puts(&creq, hs[i].value);
			continue;
		}
		if (i > 0)
			cqp_sb_putc(&creq, '\n');
		cqp_sb_puts(&creq, hs[i].name);
		cqp_sb_putc(&creq, ':');
		cqp_sb_puts(&creq, hs[i].value);
	}
	cqp_sb_puts(&creq, "\n\n");
	cqp_sb_puts(&creq, signed_hdrs.p ? signed_hdrs.p : "");
	cqp_sb_putc(&creq, '\n');
	cqp_sb_puts(&creq, payload);
	if (creq.too_big || cq.too_big || signed_hdrs.too_big)
		goto toobig;
	if (creq.oom || cq.oom || signed_hdrs.oom)
		goto nomem;

	/* string to sign */
	if (!cqp_sha256_hex(creq.p, creq.n, creq_hash))
	{
		cq_error_set(err, CQ_ERR_INTERNAL, "SHA-256 failed in libcrypto");
		goto done;
	}
	cqp_sb_puts(&sts, SIGV4_ALGORITHM "\n");
	cqp_sb_puts(&sts, amz_date);
	cqp_sb_putc(&sts, '\n');
	cqp_sb_puts(&sts, scope);
	cqp_sb_putc(&sts, '\n');
	cqp_sb_puts(&sts, creq_hash);
	if (sts.oom)
		goto nomem;

	if (!compute_signature(p->secret_access_key, date8, p->region, p->service,
						   sts.p, out->signature))
	{
		cq_error_set(err, CQ_ERR_INTERNAL, "HMAC-SHA256 failed in libcrypto");
		goto done;
	}

	if (presign)
	{
		cqp_sb_puts(&b, cq.p);
		if (p->session_token && !sign_token)
		{
			cqp_sb_puts(&b, "&X-Amz-Security-Token=");
			cqp_sb_put_encoded(&b, p->session_token, strlen(p->session_token), false);
		}
		cqp_sb_puts(&b, "&X-Amz-Signature=");
		cqp_sb_puts(&b, out->signature);
		if (b.too_big)
			goto toobig;
		if (b.oom)
			goto nomem;
		out->query = b.p;
		memset(&b, 0, sizeof(b));
	}
	else
	{
		CqpStrBuf	a = {.max = SIGV4_MAX_TEXT};

		cqp_sb_puts(&a, SIGV4_ALGORITHM " Credential=");
		cqp_sb_puts(&a, p->access_key_id);
		cqp_sb_putc(&a, '/');
		cqp_sb_puts(&a, scope);
		cqp_sb_puts(&a, ", SignedHeaders=");
		cqp_sb_puts(&a, signed_hdrs.p);
		cqp_sb_puts(&a, ", Signature=");
		cqp_sb_puts(&a, out->signature);
		out->authorization = a.p;
		if (a.oom || a.too_big)
			goto nomem;

#define ADD_LINE(n, v) do { \
			CqpStrBuf	l = {.max = SIGV4_MAX_TEXT}; \
			cqp_sb_puts(&l, n ": "); \
			cqp_sb_puts(&l, v); \
			out->headers[out->nheaders++] = l.p; \
			if (l.oom || l.too_big) \
				goto nomem; \
		} while (0)
		ADD_LINE("X-Amz-Date", amz_date);
		if (p->session_token)
			ADD_LINE("X-Amz-Security-Token", p->session_token);
		if (p->flags & CQP_SIGV4_SIGN_BODY)
			ADD_LINE("x-amz-content-sha256", payload);
		ADD_LINE("Authorization", out->authorization);
#undef ADD_LINE
	}

	out->canonical_request = creq.p;
	out->string_to_sign = sts.p;
	creq.p = sts.p = NULL;
	ok = true;
	goto done;

toobig:
	cq_error_set(err, CQ_ERR_LIMIT, "request too large to sign (over %d bytes)",
				 SIGV4_MAX_TEXT);
	goto done;
nomem:
	cq_error_set(err, CQ_ERR_NOMEM, "out of memory while signing a request");
done:
	for (i = 0; i < nh; i++)
	{
		free(hs[i].name);
		free(hs[i].value);
	}
	if (ps)
		for (i = 0; i < np; i++)
		{
			free(ps[i].name);
			free(ps[i].value);
		}
	free(ps);
	free(uri);
	free(scope);
	free(signed_hdrs.p);
	free(cq.p);
	free(creq.p);
	free(sts.p);
	free(b.p);
	if (!ok)
		cqp_sigv4_result_free(out);
	return ok;
}

/*
 * cqp_sigv4_sign
 *		Sign `req` for the Authorization header (see sigv4.h).  *out is
 *		always initialised; the caller frees it with cqp_sigv4_result_free.
 */
bool
cqp_sigv4_sign(const CqpSigv4Request *req, const CqpSigv4Params *p,
			   CqpSigv4Result *out, CqError *err)
{
	return sigv4_core(req, p, false, out, err);
}

/*
 * cqp_sigv4_presign
 *		Sign `req` into its query string (presigned URL, p->expires seconds).
 *		The body is hashed unless req->payload_hash says otherwise (S3
 *		presigned URLs use "UNSIGNED-PAYLOAD").
 */
bool
cqp_sigv4_presign(const CqpSigv4Request *req, const CqpSigv4Params *p,
				  CqpSigv4Result *out, CqError *err)
{
	return sigv4_core(req, p, true, out, err);
}

void
cqp_sigv4_result_free(CqpSigv4Result *r)
{
	int			i;

	if (r == NULL)
		return;
	free(r->canonical_request);
	free(r->string_to_sign);
	free(r->authorization);
	free(r->query);
	for (i = 0; i < r->nheaders; i++)
		free(r->headers[i]);
	OPENSSL_cleanse(r->signature, sizeof(r->signature));
	memset(r, 0, sizeof(*r));
}
