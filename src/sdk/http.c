/*-------------------------------------------------------------------------
 *
 * http.c
 *		  The HTTP layer of a job: libcurl easy handles, response capture,
 *		  classification of a finished transfer (ok / redirect / retry /
 *		  fail) with backoff, and the memory accounting object.
 *
 * Invariants:
 *	- Only http and https are ever spoken (CURLOPT_PROTOCOLS_STR, and
 *	  redirects are followed by the scheduler, never by libcurl, so every
 *	  hop is checked against the outbound policy and max_redirects).
 *	- Every connection's resolved address passes cq_net_addr_allowed()
 *	  (CURLOPT_OPENSOCKETFUNCTION), so DNS names and redirects cannot reach
 *	  a denied address.  Proxies are disabled (CURLOPT_PROXY "", NOPROXY
 *	  "*"), whatever the environment says, so that address is the target's.
 *	- Responses are hostile: the body is capped by max_response_bytes
 *	  (counted after decompression, so a gzip bomb is caught), headers by
 *	  max_header_bytes; API text is copied sanitized and never used as a
 *	  format string.
 *	- Credentials go into request headers/curl options only; no CqError
 *	  field is ever filled from a request header, and URLs in errors are
 *	  redacted with cq_redact_url().
 *	- SigV4 (auth "sigv4") is our own signer (sigv4.c), never libcurl's
 *	  CURLOPT_AWS_SIGV4 (which fails 8 of AWS's 38 signing cases, see
 *	  sigv4.c): cqp_http_prepare signs every transfer to the job's origin
 *	  -- each page, each retry, each same-origin redirect hop -- at the
 *	  moment it is prepared, over exactly what is sent: the method, the
 *	  URL's path and query as written (CURLOPT_PATH_AS_IS: libcurl does not
 *	  squash dot segments), a Host header we set ourselves from the URL,
 *	  the source headers, the body's Content-Type and its SHA-256.  A
 *	  transfer to another origin is neither signed nor given the token.
 *	- Easy handles and the response state of a CqpReq are touched only by
 *	  the job's I/O thread; the CqpHttp configuration is read-only after
 *	  cqp_http_init, except `seed` which only the I/O thread uses.
 *
 * Copyright (c) 2026, cq_fdw developers
 *
 *-------------------------------------------------------------------------
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "cq_sdk_int.h"
#include "cred.h"
#include "jwt.h"
#include "kubeconfig.h"
#include "sigv4.h"
#include "xml.h"

/* ------------------------------------------------------------------------
 * Accounting
 * ------------------------------------------------------------------------ */

/* cqp_acct_new: one reference, owned by the caller; NULL on OOM. */
CqpAcct *
cqp_acct_new(void)
{
	CqpAcct    *a = calloc(1, sizeof(CqpAcct));

	if (!a)
		return NULL;
	atomic_init(&a->refs, 1);
	atomic_init(&a->held, 0);
	atomic_init(&a->peak, 0);
	return a;
}

/* cqp_acct_add: charge n bytes and raise the peak; any thread. */
void
cqp_acct_add(CqpAcct *a, size_t n)
{
	cqp_atomic_size_max(&a->peak, atomic_fetch_add(&a->held, n) + n);
}

/* cqp_acct_sub: release n bytes previously charged; any thread. */
void
cqp_acct_sub(CqpAcct *a, size_t n)
{
	atomic_fetch_sub(&a->held, n);
}

/* cqp_acct_unref: drop a reference; the last one frees. */
void
cqp_acct_unref(CqpAcct *a)
{
	if (a && atomic_fetch_sub(&a->refs, 1) == 1)
		free(a);
}

/* Monotonic clock in milliseconds. */
int64_t
cqp_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ------------------------------------------------------------------------
 * Job-wide configuration
 * ------------------------------------------------------------------------ */

/* A credential must not be able to inject headers. */
static bool
header_safe(const char *s)
{
	for (; s && *s; s++)
		if (*s == '\r' || *s == '\n')
			return false;
	return true;
}

/*
 * sigv4_setup
 *		Read the signing scope of a CQ_AUTH_SIGV4 source ("aws:amz:region:
 *		service": the region and the signing name are what sigv4.c needs)
 *		and check that the credentials are there.
 */
static bool
sigv4_setup(CqpHttp *h, const CqSourceDef *src, const CqCredentials *c,
			CqError *err)
{
	const char *parts[4] = {NULL, NULL, NULL, NULL};
	size_t		lens[4] = {0, 0, 0, 0};
	const char *p = src->sigv4;
	int			n = 0;

	while (p && n < 4)
	{
		const char *colon = strchr(p, ':');

		parts[n] = p;
		lens[n] = colon ? (size_t) (colon - p) : strlen(p);
		n++;
		p = colon ? colon + 1 : NULL;
	}
	if (n < 4 || p != NULL || lens[2] == 0 || lens[3] == 0 ||
		lens[2] >= sizeof(h->sigv4_region) || lens[3] >= sizeof(h->sigv4_service))
	{
		cq_error_set(err, CQ_ERR_CONFIG,
					 "sigv4 must name the region and the service (\"aws:amz:us-east-1:ec2\")");
		return false;
	}
	memcpy(h->sigv4_region, parts[2], lens[2]);
	h->sigv4_region[lens[2]] = '\0';
	memcpy(h->sigv4_service, parts[3], lens[3]);
	h->sigv4_service[lens[3]] = '\0';
	if (!c->user || !c->user[0] || !c->secret || !c->secret[0])
	{
		cq_error_set(err, CQ_ERR_CONFIG,
					 "SigV4 signing needs the user mapping options access_key_id and secret_access_key");
		return false;
	}
	h->sigv4 = true;
	/* S3 signs the path as sent, once encoded, and the payload header */
	h->sigv4_flags = strcmp(h->sigv4_service, "s3") == 0 ? CQP_SIGV4_S3 : 0;
	return true;
}

/* Free a per-transfer header list, wiping what it held (signatures, token). */
static void
slist_wipe_free(struct curl_slist *l)
{
	for (struct curl_slist *t = l; t; t = t->next)
		if (t->data)
		{
			volatile char *v = t->data;

			while (*v)
				*v++ = '\0';
		}
	curl_slist_free_all(l);
}

/* Append a copy of every line of `from` to *to.  false on OOM. */
static bool
slist_copy(struct curl_slist **to, const struct curl_slist *from)
{
	for (; from; from = from->next)
	{
		struct curl_slist *t = curl_slist_append(*to, from->data);

		if (!t)
			return false;
		*to = t;
	}
	return true;
}

/*
 * The authority, path and query of an http(s) URL, as libcurl sends them
 * (CURLOPT_PATH_AS_IS): path "/" when empty, no fragment, no userinfo in
 * the authority.  false if it is not an absolute http(s) URL.
 */
static bool
split_url(const char *url, const char **auth, size_t *alen,
		  const char **path, size_t *plen, const char **query, size_t *qlen)
{
	const char *s = strstr(url, "://");
	const char *a,
			   *e,
			   *at;

	if (!s)
		return false;
	a = s + 3;
	e = a + strcspn(a, "/?#");
	at = memchr(a, '@', (size_t) (e - a));
	if (at)
		a = at + 1;
	if (e == a)
		return false;
	*auth = a;
	*alen = (size_t) (e - a);
	*path = e;
	*plen = strcspn(e, "?#");
	*query = NULL;
	*qlen = 0;
	if (e[*plen] == '?')
	{
		*query = e + *plen + 1;
		*qlen = strcspn(*query, "#");
	}
	return true;
}

/*
 * sigv4_headers
 *		Sign the transfer of `req` and build its header list: the source
 *		headers, Host, Content-Type (with a body), then what the signer
 *		returns (X-Amz-Date, X-Amz-Security-Token, x-amz-content-sha256,
 *		Authorization).  Every header with a value that we send is signed;
 *		libcurl's own (User-Agent, Accept, Accept-Encoding, Content-Length)
 *		are not, as AWS allows.  I/O thread.
 */
static bool
sigv4_headers(CqpHttp *h, CqpReq *req, const char *method,
			  struct curl_slist **list, CqError *err)
{
	const CqSourceDef *src = h->source;
	CqpSigv4Header hd[132];
	CqpSigv4Request sr;
	CqpSigv4Params sp;
	CqpSigv4Result res;
	CqpAwsKeys	keys;
	const char *auth,
			   *path,
			   *query;
	size_t		alen,
				plen,
				qlen;
	char	   *host = NULL,
			   *p = NULL,
			   *q = NULL,
			   *names = NULL;
	char	   *hostline = NULL;
	size_t		nh = 0;
	bool		ok = false;

	memset(&res, 0, sizeof(res));
	memset(&keys, 0, sizeof(keys));
	if (!split_url(req->aws_url ? req->aws_url : req->url, &auth, &alen, &path, &plen, &query, &qlen))
	{
		cq_error_set(err, CQ_ERR_CONFIG, "cannot sign a request to a URL without a host");
		return false;
	}
	if (src->nheaders > 128)
	{
		cq_error_set(err, CQ_ERR_LIMIT, "too many source headers to sign (%d, at most 128)",
					 src->nheaders);
		return false;
	}
	host = strndup(auth, alen);
	p = plen ? strndup(path, plen) : strdup("/");
	q = query ? strndup(query, qlen) : NULL;
	/* "Name: value" lines split into the names (NUL-terminated) */
	names = malloc(src->nheaders > 0 ? (size_t) src->nheaders * 256 : 1);
	if (!host || !p || (query && !q) || !names)
		goto oom;
	hd[nh].name = "Host";
	hd[nh++].value = host;
	if (req->content_type)
	{
		hd[nh].name = "Content-Type";
		hd[nh++].value = req->content_type;
	}
	if (req->aws_target)
	{
		hd[nh].name = "X-Amz-Target";
		hd[nh++].value = req->aws_target + strlen("X-Amz-Target: ");
	}
	for (int i = 0; i < src->nheaders; i++)
	{
		const char *line = src->headers[i];
		const char *colon = strchr(line, ':');
		const char *v;
		size_t		nl;

		if (!colon || colon == line || (size_t) (colon - line) >= 256)
			continue;			/* not a header libcurl sends as such */
		nl = (size_t) (colon - line);
		v = colon + 1;
		while (*v == ' ' || *v == '\t')
			v++;
		if (*v == '\0')
			continue;			/* "Name:" removes a header in libcurl */
		memcpy(names + (size_t) i * 256, line, nl);
		names[(size_t) i * 256 + nl] = '\0';
		hd[nh].name = names + (size_t) i * 256;
		hd[nh++].value = v;
	}

	memset(&sr, 0, sizeof(sr));
	sr.method = method;
	sr.path = p;
	sr.query = q;
	sr.headers = hd;
	sr.nheaders = nh;
	sr.body = req->post_body;
	sr.body_len = req->post_body ? req->post_len : 0;
	memset(&sp, 0, sizeof(sp));
	memset(&keys, 0, sizeof(keys));
	if (req->cred || h->provider)
	{
		/*
		 * The provider's current key: an assumed role's temporary key
		 * (renewed shortly before it expires), remembered with the request
		 * so that an ExpiredToken answer drops exactly that one.
		 */
		if (!cqp_cred_get_aws(req->cred ? req->cred : h->provider, &keys, err))
			goto done;
		sp.access_key_id = keys.access_key_id;
		sp.secret_access_key = keys.secret_access_key;
		sp.session_token = keys.session_token;
		cqp_secret_free(req->auth_token);
		req->auth_token = keys.packed;
		keys.packed = NULL;
	}
	else
	{
		sp.access_key_id = h->cred->user;
		sp.secret_access_key = h->cred->secret;
		sp.session_token = (h->cred->session_token && h->cred->session_token[0]) ?
			h->cred->session_token : NULL;
	}
	sp.region = req->sigv4_region ? req->sigv4_region : h->sigv4_region;
	sp.service = h->sigv4_service;
	sp.when = h->sigv4_fixed_time ? h->sigv4_fixed_time : time(NULL);
	sp.flags = h->sigv4_flags;
	if (h->table && h->table->aws)
	{
		/* the table's signing name; S3's rules for s3 */
		sp.service = req->aws_regions ? "ec2" : h->table->aws->service;
		sp.flags = strcmp(sp.service, "s3") == 0 ? CQP_SIGV4_S3 : 0;
	}
	if (!cqp_sigv4_sign(&sr, &sp, &res, err))
		goto done;

	hostline = malloc(alen + 7);
	if (!hostline)
		goto oom;
	snprintf(hostline, alen + 7, "Host: %s", host);
	if (!slist_copy(list, h->hdrs_auth))
		goto oom;
	{
		struct curl_slist *t = curl_slist_append(*list, hostline);

		if (!t)
			goto oom;
		*list = t;
	}
	for (int i = 0; i < res.nheaders; i++)
	{
		struct curl_slist *t = curl_slist_append(*list, res.headers[i]);

		if (!t)
			goto oom;
		*list = t;
	}
	ok = true;
	goto done;

oom:
	cq_error_set(err, CQ_ERR_NOMEM, "out of memory signing a request");
done:
	cqp_sigv4_result_free(&res);
	cqp_aws_keys_free(&keys);
	free(host);
	free(p);
	free(q);
	free(names);
	free(hostline);
	return ok;
}

/*
 * cqp_http_init
 *		Build the header lists (source headers, and a second list that adds
 *		the credentials) for a job.  On error fills err (never with a
 *		credential) and returns false; cqp_http_cleanup is safe either way.
 */
bool
cqp_http_init(CqpHttp *h, const CqJobParams *params, CqpAcct *acct,
			  CqError *err)
{
	const CqSourceDef *src = params->source;
	struct curl_slist *base = NULL,
			   *withauth = NULL,
			   *t;

	memset(h, 0, sizeof(*h));
	h->settings = &params->settings;
	h->policy = &params->policy;
	h->source = src;
	h->cred = &params->cred;
	h->acct = acct;
	h->table = params->table;
	h->seed = (unsigned int) (cqp_now_ms() ^ (uintptr_t) h);

	if (!header_safe(params->cred.token) || !header_safe(params->cred.user) ||
		!header_safe(params->cred.secret) ||
		!header_safe(params->cred.session_token))
	{
		cq_error_set(err, CQ_ERR_CONFIG, "credential contains a line break");
		return false;
	}
	if (src && src->auth == CQ_AUTH_SIGV4 && !sigv4_setup(h, src, &params->cred, err))
		return false;
	for (int i = 0; src && i < src->nheaders; i++)
	{
		if (!header_safe(src->headers[i]))
		{
			cq_error_set(err, CQ_ERR_CONFIG, "source header %d contains a line break", i);
			goto fail;
		}
		t = curl_slist_append(base, src->headers[i]);
		if (!t)
			goto oom;
		base = t;
		t = curl_slist_append(withauth, src->headers[i]);
		if (!t)
			goto oom;
		withauth = t;
	}
	if (src && params->cred.token &&
		(src->auth == CQ_AUTH_BEARER || src->auth == CQ_AUTH_HEADER))
	{
		const char *name = (src->auth == CQ_AUTH_BEARER) ? "Authorization" :
			src->auth_header;
		const char *pfx = (src->auth == CQ_AUTH_BEARER) ? "Bearer " : "";
		size_t		len;
		char	   *line;

		if (!name || !*name || !header_safe(name) || strchr(name, ':'))
		{
			cq_error_set(err, CQ_ERR_CONFIG, "auth_header is missing or invalid");
			goto fail;
		}
		len = strlen(name) + strlen(pfx) + strlen(params->cred.token) + 3;
		line = malloc(len);
		if (!line)
			goto oom;
		snprintf(line, len, "%s: %s%s", name, pfx, params->cred.token);
		t = curl_slist_append(withauth, line);
		/* wipe our copy; curl keeps its own */
		memset(line, 0, len);
		free(line);
		if (!t)
			goto oom;
		withauth = t;
	}
	h->hdrs_auth = withauth;
	h->hdrs_noauth = base;
	return true;

oom:
	cq_error_set(err, CQ_ERR_NOMEM, "out of memory building request headers");
fail:
	curl_slist_free_all(base);
	curl_slist_free_all(withauth);
	return false;
}

/* cqp_http_cleanup: free what cqp_http_init built. */
void
cqp_http_cleanup(CqpHttp *h)
{
	curl_slist_free_all(h->hdrs_auth);
	curl_slist_free_all(h->hdrs_noauth);
	h->hdrs_auth = h->hdrs_noauth = NULL;
}

/* ------------------------------------------------------------------------
 * Callbacks (I/O thread)
 * ------------------------------------------------------------------------ */

/*
 * Only HTTP/1.x transfers are paused at the budget.  A paused HTTP/2
 * stream is still read by libcurl 7.x/8.x up to its window (32 MB) into
 * its own buffer, and pausing and resuming streams has stalled transfers
 * in several releases: an HTTP/2 transfer in flight runs to its end
 * (accounted as it grows; no new transfer starts meanwhile).
 */
static bool
can_pause(CqpReq *req)
{
	long		ver = 0;

	return curl_easy_getinfo(req->easy, CURLINFO_HTTP_VERSION, &ver) == CURLE_OK &&
		(ver == CURL_HTTP_VERSION_1_0 || ver == CURL_HTTP_VERSION_1_1);
}

/*
 * Body bytes arrive here (decompressed).  The allocation (body.cap) is what
 * is charged to the job's accounting, and it grows only with the job's
 * consent (http->grow): at the memory budget an HTTP/1.x transfer is
 * paused, and libcurl keeps the refused bytes and stops reading the socket
 * until the job resumes it.  A canceled job aborts the transfer here, so a large or
 * highly compressed body stops being read (and inflated) at once.
 */
static size_t
write_cb(char *ptr, size_t size, size_t nmemb, void *ud)
{
	CqpReq	   *req = ud;
	CqpHttp    *h = req->http;
	size_t		n = size * nmemb;
	size_t		max = h->settings->max_response_bytes;

	if (h->stop && atomic_load(h->stop))
		return 0;				/* canceled: aborts with CURLE_WRITE_ERROR */
	if (req->body.len + n > max)
	{
		req->too_big = true;
		return 0;				/* aborts with CURLE_WRITE_ERROR */
	}
	if (req->body.len + n + 1 > req->body.cap)
	{
		size_t		nc = req->body.cap ? req->body.cap * 2 : 16384;
		curl_off_t	cl = -1;
		char	   *nd;

		/* first bytes: size the buffer by Content-Length when it is known */
		if (req->body.cap == 0 &&
			curl_easy_getinfo(req->easy, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &cl) == CURLE_OK &&
			cl > 0 && (uint64_t) cl < (uint64_t) max)
			nc = (size_t) cl + 1;
		while (nc < req->body.len + n + 1)
			nc *= 2;
		if (nc > max + 1)
			nc = max + 1;
		if (nc > req->charged && h->grow && !h->grow(h->grow_ud, req, nc - req->charged) &&
			can_pause(req))
		{
			req->paused = true;
			return CURL_WRITEFUNC_PAUSE;	/* same bytes again on resume */
		}
		nd = realloc(req->body.data, nc);
		if (!nd)
		{
			req->too_big = true;
			return 0;
		}
		req->body.data = nd;
		req->body.cap = nc;
		if (nc > req->charged)
		{
			cqp_acct_add(h->acct, nc - req->charged);
			req->charged = nc;
		}
	}
	memcpy(req->body.data + req->body.len, ptr, n);
	req->body.len += n;
	req->body.data[req->body.len] = '\0';
	atomic_fetch_add(&h->acct->received, n);
	return n;
}

/* Copy a header value (trimmed) into a fixed buffer. */
static void
copy_value(char *dst, size_t dstlen, const char *v, size_t len)
{
	while (len && isspace((unsigned char) v[len - 1]))
		len--;
	if (len >= dstlen)
		len = dstlen - 1;
	memcpy(dst, v, len);
	dst[len] = '\0';
}

static bool
header_is(const char *line, size_t nlen, const char *name)
{
	return name && strlen(name) == nlen && strncasecmp(line, name, nlen) == 0;
}

static size_t
header_cb(char *buf, size_t size, size_t nitems, void *ud)
{
	CqpReq	   *req = ud;
	size_t		n = size * nitems;
	const CqSourceDef *src = req->http->source;
	const char *colon;
	const char *v;
	size_t		nlen,
				vlen;

	req->header_bytes += n;
	if (req->header_bytes > req->http->settings->max_header_bytes)
	{
		req->hdr_too_big = true;
		return 0;
	}
	if (n >= 5 && strncmp(buf, "HTTP/", 5) == 0)
	{
		/* a new response (e.g. after 100-continue): forget earlier headers */
		free(req->link);
		free(req->location);
		req->link = req->location = NULL;
		req->retry_after[0] = req->rl_remaining[0] = req->rl_reset[0] = '\0';
		req->amz_error_type[0] = req->amz_request_id[0] = '\0';
		req->amz_bucket_region[0] = '\0';
		return n;
	}
	colon = memchr(buf, ':', n);
	if (!colon)
		return n;
	nlen = (size_t) (colon - buf);
	v = colon + 1;
	while (v < buf + n && (*v == ' ' || *v == '\t'))
		v++;
	vlen = (size_t) (buf + n - v);
	while (vlen && isspace((unsigned char) v[vlen - 1]))
		vlen--;

	if (header_is(buf, nlen, "link"))
	{
		size_t		old = req->link ? strlen(req->link) : 0;
		char	   *nl = realloc(req->link, old + vlen + 3);

		if (!nl)
			return 0;
		if (old)
		{
			memcpy(nl + old, ", ", 2);
			old += 2;
		}
		memcpy(nl + old, v, vlen);
		nl[old + vlen] = '\0';
		req->link = nl;
	}
	else if (header_is(buf, nlen, "location"))
	{
		free(req->location);
		req->location = strndup(v, vlen);
	}
	else if (header_is(buf, nlen, "retry-after"))
		copy_value(req->retry_after, sizeof(req->retry_after), v, vlen);
	else if (header_is(buf, nlen, "x-amzn-errortype"))
		copy_value(req->amz_error_type, sizeof(req->amz_error_type), v, vlen);
	else if (header_is(buf, nlen, "x-amzn-requestid") ||
			 header_is(buf, nlen, "x-amz-request-id"))
		copy_value(req->amz_request_id, sizeof(req->amz_request_id), v, vlen);
	else if (header_is(buf, nlen, "x-amz-bucket-region"))
		copy_value(req->amz_bucket_region, sizeof(req->amz_bucket_region), v, vlen);
	else if (src && header_is(buf, nlen, src->ratelimit_remaining_header))
		copy_value(req->rl_remaining, sizeof(req->rl_remaining), v, vlen);
	else if (src && header_is(buf, nlen, src->ratelimit_reset_header))
		copy_value(req->rl_reset, sizeof(req->rl_reset), v, vlen);
	return n;
}

static curl_socket_t
opensocket_cb(void *ud, curlsocktype purpose, struct curl_sockaddr *addr)
{
	CqpReq	   *req = ud;

	CqError		err;

	(void) purpose;
	memset(&err, 0, sizeof(err));
	if (!cq_net_addr_allowed(req->http->policy, &addr->addr, &err))
	{
		if (err.kind == CQ_ERR_NONE)
			cq_error_set(&err, CQ_ERR_POLICY,
						 "connection to this address is not allowed");
		/* kept for cqp_http_finish; without memory it says POLICY alone */
		if (req->policy_err == NULL)
			req->policy_err = malloc(sizeof(CqError));
		if (req->policy_err)
			*req->policy_err = err;
		req->refused = true;
		return CURL_SOCKET_BAD;
	}
	return socket(addr->family, addr->socktype | SOCK_CLOEXEC, addr->protocol);
}

/* ------------------------------------------------------------------------
 * Requests
 * ------------------------------------------------------------------------ */

/*
 * cqp_http_reset
 *		Forget the transfer state of a request (easy handle, body, headers),
 *		releasing the body's bytes from the accounting.  I/O thread, or any
 *		thread once the request left the multi handle.
 */
void
cqp_http_reset(CqpReq *req)
{
	if (req->easy)
		curl_easy_cleanup(req->easy);
	req->easy = NULL;
	slist_wipe_free(req->hdrs);
	req->hdrs = NULL;
	req->amz_error_type[0] = req->amz_request_id[0] = '\0';
	req->amz_bucket_region[0] = '\0';
	if (req->charged && req->http)
		cqp_acct_sub(req->http->acct, req->charged);
	req->charged = 0;
	free(req->body.data);
	memset(&req->body, 0, sizeof(req->body));
	free(req->link);
	free(req->location);
	req->link = req->location = NULL;
	req->header_bytes = 0;
	req->retry_after[0] = req->rl_remaining[0] = req->rl_reset[0] = '\0';
	req->refused = req->too_big = req->hdr_too_big = false;
	req->paused = req->lead = false;
	req->reserve = req->want = 0;
	free(req->policy_err);
	req->policy_err = NULL;
	req->rl_pause_until_ms = 0;
	cqp_secret_free(req->auth_token);
	req->auth_token = NULL;
	free(req->aws_url);
	free(req->aws_body);
	free(req->aws_target);
	req->aws_url = req->aws_body = req->aws_target = NULL;
}

/*
 * cqp_http_prepare
 *		Create the easy handle of `req` for req->url.  `with_auth` says
 *		whether credentials go with it (only to the job's origin).  Checks
 *		the URL against the outbound policy.  I/O thread.
 */
bool
cqp_http_prepare(CqpHttp *h, CqpReq *req, bool with_auth, CqError *err)
{
	const CqJobSettings *s = h->settings;
	CURL	   *e;
	const char *method;
	struct curl_slist *hdrs = NULL;
	const unsigned char *tls_ca = h->tls_ca;
	const unsigned char *tls_cert = h->tls_cert;
	const unsigned char *tls_key = h->tls_key;
	size_t		tls_ca_len = h->tls_ca_len;
	size_t		tls_cert_len = h->tls_cert_len;
	size_t		tls_key_len = h->tls_key_len;
	/* a context's token, unless the mapping pasted one (it wins) */
	bool		kube_token = with_auth && req->kube && req->kube->token &&
		!(h->cred && h->cred->token) && !h->provider && !h->sigv4;

	cqp_http_reset(req);
	req->http = h;
	if (strlen(req->url) > CQP_MAX_URL_LEN)
	{
		/* e.g. a next-page URL from the API: a length, not a policy matter */
		cq_error_set(err, CQ_ERR_LIMIT, "request URL of %zu bytes is longer than the limit of %d bytes",
					 strlen(req->url), CQP_MAX_URL_LEN);
		snprintf(err->setting, sizeof(err->setting), "url_length");
		cq_redact_url(req->url, err->url, sizeof(err->url));
		return false;
	}
	if (!cq_net_url_allowed(h->policy, req->url, err))
	{
		if (err->kind == CQ_ERR_NONE)
			cq_error_set(err, CQ_ERR_POLICY, "URL not allowed by the outbound policy");
		cq_redact_url(req->url, err->url, sizeof(err->url));
		return false;
	}
	if (h->table && h->table->aws && !cqp_aws_wire(h->table, req, err))
		return false;
	e = curl_easy_init();
	if (!e)
	{
		cq_error_set(err, CQ_ERR_NOMEM, "cannot create a transfer");
		return false;
	}
	req->easy = e;
	curl_easy_setopt(e, CURLOPT_URL, req->aws_url ? req->aws_url : req->url);
	curl_easy_setopt(e, CURLOPT_PRIVATE, req);
	/* never a proxy: the address check in opensocket_cb sees the target */
	cqp_net_curl_defaults(e, s->user_agent);
	curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");
	curl_easy_setopt(e, CURLOPT_HTTP_VERSION, (long) CURL_HTTP_VERSION_2TLS);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, write_cb);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, req);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, header_cb);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, req);
	curl_easy_setopt(e, CURLOPT_OPENSOCKETFUNCTION, opensocket_cb);
	curl_easy_setopt(e, CURLOPT_OPENSOCKETDATA, req);
	curl_easy_setopt(e, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t) s->max_response_bytes);
	if (s->connect_timeout_ms > 0)
		curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, s->connect_timeout_ms);
	if (s->request_timeout_ms > 0)
		curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, s->request_timeout_ms);
	if (s->low_speed_time_s > 0)
	{
		curl_easy_setopt(e, CURLOPT_LOW_SPEED_LIMIT, 1L);
		curl_easy_setopt(e, CURLOPT_LOW_SPEED_TIME, s->low_speed_time_s);
	}
	if (s->insecure || (with_auth && req->kube && req->kube->insecure))
	{
		curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 0L);
	}
	if (s->ca_file)
		curl_easy_setopt(e, CURLOPT_CAINFO, s->ca_file);
	/*
	 * The kubeconfig's TLS material, as blobs that libcurl only points to
	 * (CURL_BLOB_NOCOPY): a CURL_BLOB_COPY makes a copy of the client key
	 * that libcurl frees unwiped with the easy handle.  The buffers are the
	 * job's parsed kubeconfig (CqpKube), which outlives every transfer (the
	 * job frees it after the requests and the multi handle) and wipes the
	 * key when it is freed.
	 */
	if (req->kube)
	{
		/* a unit of one context of several: that context's material */
		tls_ca = req->kube->ca;
		tls_ca_len = req->kube->ca_len;
		tls_cert = req->kube->cert;
		tls_cert_len = req->kube->cert_len;
		tls_key = req->kube->key;
		tls_key_len = req->kube->key_len;
	}
	if (with_auth && tls_ca)
	{
		/* the kubeconfig's cluster CA: trusted for its server only */
		struct curl_blob b = {(void *) tls_ca, tls_ca_len, CURL_BLOB_NOCOPY};

		curl_easy_setopt(e, CURLOPT_CAINFO_BLOB, &b);
	}
	if (with_auth && tls_cert && tls_key)
	{
		/* client certificate authentication, key from memory */
		struct curl_blob c = {(void *) tls_cert, tls_cert_len, CURL_BLOB_NOCOPY};
		struct curl_blob k = {(void *) tls_key, tls_key_len, CURL_BLOB_NOCOPY};

		curl_easy_setopt(e, CURLOPT_SSLCERT_BLOB, &c);
		curl_easy_setopt(e, CURLOPT_SSLCERTTYPE, "PEM");
		curl_easy_setopt(e, CURLOPT_SSLKEY_BLOB, &k);
		curl_easy_setopt(e, CURLOPT_SSLKEYTYPE, "PEM");
	}
	method = req->method ? req->method : (req->post_body ? "POST" : "GET");
	if (req->post_body)
	{
		curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t) req->post_len);
		curl_easy_setopt(e, CURLOPT_POSTFIELDS, req->post_body);
	}
	if (strcmp(method, "GET") != 0 && strcmp(method, "POST") != 0)
		curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, method);
	if (with_auth && h->sigv4)
	{
		/* signed over exactly the path we send */
		curl_easy_setopt(e, CURLOPT_PATH_AS_IS, 1L);
		if (!sigv4_headers(h, req, method, &hdrs, err))
		{
			slist_wipe_free(hdrs);
			/* an STS refusal names the STS request, not this one */
			if (!err->url[0])
				cq_redact_url(req->url, err->url, sizeof(err->url));
			return false;
		}
	}
	else if ((req->post_body || (with_auth && (h->provider || kube_token))) &&
			 !slist_copy(&hdrs, (struct curl_slist *) (with_auth ? h->hdrs_auth : h->hdrs_noauth)))
		goto oom;
	if (kube_token)
	{
		/* the context's bearer token, this transfer's own header (wiped
		 * with it) */
		struct curl_slist *t;
		size_t		len = strlen(req->kube->token) + 32;
		char	   *line = malloc(len);

		if (!line)
			goto oom;
		snprintf(line, len, "Authorization: Bearer %s", req->kube->token);
		t = curl_slist_append(hdrs, line);
		cqp_secret_free(line);
		if (!t)
			goto oom;
		hdrs = t;
	}
	if (with_auth && h->provider && !h->sigv4)
	{
		/*
		 * The provider's token, this transfer's own header.  A cached token
		 * is cheap; a fetch (about once an hour) blocks this I/O thread for
		 * one token request.
		 */
		struct curl_slist *t;
		size_t		len;
		char	   *line;

		req->auth_token = cqp_cred_get_for(h->provider, req->url, err);
		if (!req->auth_token)
		{
			/*
			 * The token endpoint refused the credentials: the FDW reports
			 * it as such (28000), naming the options to check.
			 */
			if (err->kind == CQ_ERR_HTTP && err->http_status >= 400 &&
				err->http_status < 500 && err->http_status != 429)
				snprintf(err->setting, sizeof(err->setting), "token:%s",
						 cqp_cred_options_hint(h->provider));
			slist_wipe_free(hdrs);
			return false;
		}
		len = strlen(req->auth_token) + 32;
		line = malloc(len);
		if (!line)
			goto oom;
		snprintf(line, len, "Authorization: Bearer %s", req->auth_token);
		t = curl_slist_append(hdrs, line);
		cqp_secret_free(line);
		if (!t)
			goto oom;
		hdrs = t;
	}
	if (hdrs || req->post_body)
	{
		struct curl_slist *t;

		/* the body's type (signed above), and no 100-continue round trip */
		if (req->content_type)
		{
			size_t		len = strlen(req->content_type) + 16;
			char	   *line = malloc(len);

			if (!line)
				goto oom;
			snprintf(line, len, "Content-Type: %s", req->content_type);
			t = curl_slist_append(hdrs, line);
			free(line);
			if (!t)
				goto oom;
			hdrs = t;
		}
		if (req->aws_target)
		{
			t = curl_slist_append(hdrs, req->aws_target);
			if (!t)
				goto oom;
			hdrs = t;
		}
		t = curl_slist_append(hdrs, "Expect:");
		if (!t)
			goto oom;
		hdrs = t;
		req->hdrs = hdrs;
		curl_easy_setopt(e, CURLOPT_HTTPHEADER, hdrs);
	}
	else
		curl_easy_setopt(e, CURLOPT_HTTPHEADER,
						 (struct curl_slist *) (with_auth ? h->hdrs_auth : h->hdrs_noauth));
	if (with_auth && h->source && h->source->auth == CQ_AUTH_BASIC)
	{
		const CqCredentials *c = h->cred;

		if (c->user)
			curl_easy_setopt(e, CURLOPT_USERNAME, c->user);
		if (c->token || c->secret)
			curl_easy_setopt(e, CURLOPT_PASSWORD, c->token ? c->token : c->secret);
		curl_easy_setopt(e, CURLOPT_HTTPAUTH, (long) CURLAUTH_BASIC);
	}
	req->t_start_ms = cqp_now_ms();
	return true;

oom:
	slist_wipe_free(hdrs);
	cq_error_set(err, CQ_ERR_NOMEM, "out of memory building request headers");
	return false;
}

/* ------------------------------------------------------------------------
 * Classification of a finished transfer
 * ------------------------------------------------------------------------ */

/*
 * cqp_http_api_message
 *		The API's own error message from a body: "message", "error.message",
 *		"error" (string), "error_description" of a JSON object; sanitized
 *		into out.  Anything else (HTML, plain text, a banner: whatever
 *		answered on that port) is not echoed: out stays empty and the error
 *		says only the status, so an error DETAIL cannot be used to read a
 *		non-API service's body.  Bodies above 1 MB are not parsed.
 */
void
cqp_http_api_message(const char *body, size_t len, char *out, size_t outlen)
{
	json_t	   *doc = NULL;
	const char *msg = NULL;

	out[0] = '\0';
	if (!body || len == 0)
		return;
	if (len <= 1024 * 1024)
		doc = json_loadb(body, len, 0, NULL);
	if (json_is_object(doc))
	{
		json_t	   *m = json_object_get(doc, "message");
		json_t	   *e = json_object_get(doc, "error");

		if (json_is_string(m))
			msg = json_string_value(m);
		else if (json_is_object(e) && json_is_string(json_object_get(e, "message")))
			msg = json_string_value(json_object_get(e, "message"));
		else if (json_is_string(e))
			msg = json_string_value(e);
		else if (json_is_string(json_object_get(doc, "error_description")))
			msg = json_string_value(json_object_get(doc, "error_description"));
	}
	if (msg)
		cqp_sanitize_copy(out, outlen, msg, strlen(msg));
	json_decref(doc);
}

/* A string member of a JSON object, or NULL. */
static const char *
jstr(json_t *o, const char *name)
{
	json_t	   *v = json_is_object(o) ? json_object_get(o, name) : NULL;

	return json_is_string(v) ? json_string_value(v) : NULL;
}

/* Copy an error code: after a '#' (JSON __type), before a ':' (header). */
static void
copy_code(char *dst, size_t dstlen, const char *code)
{
	const char *hash = strrchr(code, '#');
	size_t		len;

	if (hash)
		code = hash + 1;
	len = strcspn(code, ":");
	cqp_sanitize_copy(dst, dstlen, code, len);
}

/* A region name as S3 sends it: lower-case letters, digits, '-'. */
static bool
is_region_name(const char *s)
{
	if (!s[0] || strlen(s) > 30)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '-'))
			return false;
	return true;
}

/*
 * s3_moved
 *		S3 answers a request for a bucket of another region than the one it
 *		was signed for with 301 PermanentRedirect (or 400
 *		AuthorizationHeaderMalformed, 307 while a new bucket propagates) and
 *		the bucket's region in x-amz-bucket-region.  Then, once per
 *		request: req->s3_region = that region (job_io.c moves the unit: the
 *		signing scope and, without a server base_url, the host
 *		s3.<region>.amazonaws.com, for this page and the next ones) and
 *		true.
 */
static bool
s3_moved(CqpHttp *h, CqpReq *req, long status)
{
	const char *cur = req->sigv4_region ? req->sigv4_region : h->sigv4_region;
	const char *pfx[] = {"https://s3.amazonaws.com/", NULL};
	char	   *nu = NULL;

	if (!(status == 301 || status == 307 || status == 400) || !h->table || !h->table->aws ||
		strcmp(h->table->aws->service, "s3") != 0 || !is_region_name(req->amz_bucket_region) ||
		req->s3_region[0] || strcmp(cur, req->amz_bucket_region) == 0)
		return false;
	/* the global endpoint: the bucket's regional one (a server base_url stays) */
	if (strncmp(req->url, pfx[0], strlen(pfx[0])) == 0 ||
		(strncmp(req->url, "https://s3.", 11) == 0 && strstr(req->url, ".amazonaws.com/") &&
		 strchr(req->url + 11, '/') > strstr(req->url, ".amazonaws.com/")))
	{
		const char *rest = strstr(req->url, ".amazonaws.com/") + strlen(".amazonaws.com");
		size_t		n = strlen(rest) + strlen(req->amz_bucket_region) + 32;

		nu = malloc(n);
		if (!nu)
			return false;
		snprintf(nu, n, "https://s3.%s.amazonaws.com%s", req->amz_bucket_region, rest);
		free(req->url);
		req->url = nu;
	}
	snprintf(req->s3_region, sizeof(req->s3_region), "%s", req->amz_bucket_region);
	return true;
}

/*
 * aws_error
 *		The error code, message and request id of an AWS-shaped error reply
 *		into err->api_code, err->api_message (when still empty) and
 *		err->request_id: the x-amzn-ErrorType / x-amzn-RequestId /
 *		x-amz-request-id headers; a JSON body's "__type" or "code" and
 *		"message"/"Message"; an XML body (read by libxml2, xml.c) of the
 *		Query protocol (<ErrorResponse><Error><Code>), EC2's
 *		(<Response><Errors><Error><Code>) or S3's (<Error><Code>), with
 *		<RequestId>/<RequestID>.  Bodies over 64 kB are not read.
 */
static void
aws_error(CqpReq *req, CqError *err)
{
	const char *b = req->body.data;
	size_t		len = req->body.len;
	json_t	   *doc = NULL;
	json_t	   *eo = NULL;
	const char *code = NULL,
			   *msg = NULL,
			   *rid = NULL;

	if (req->amz_error_type[0])
		copy_code(err->api_code, sizeof(err->api_code), req->amz_error_type);
	if (req->amz_request_id[0])
		cqp_sanitize_copy(err->request_id, sizeof(err->request_id),
						  req->amz_request_id, strlen(req->amz_request_id));
	while (b && len && isspace((unsigned char) *b))
		b++, len--;
	if (!b || len == 0 || len > 65536)
		return;
	if (*b == '{')
	{
		doc = json_loadb(b, len, 0, NULL);
		eo = doc;
		code = jstr(eo, "__type");
		if (!code)
			code = jstr(eo, "code");
		if (!code)
			code = jstr(eo, "Code");
		msg = jstr(eo, "Message");
	}
	else if (*b == '<')
	{
		CqError		xe;

		memset(&xe, 0, sizeof(xe));
		doc = cqp_xml_to_json(b, len, NULL, &xe);
		rid = jstr(doc, "RequestId");
		if (!rid)
			rid = jstr(doc, "RequestID");
		eo = json_object_get(doc, "Error");		/* Query */
		if (!json_is_object(eo))
		{
			json_t	   *es = json_object_get(doc, "Errors");	/* EC2 */

			eo = json_object_get(es, "Error");
			if (json_is_array(eo))
				eo = json_array_get(eo, 0);
			else if (json_is_array(es))
				eo = json_array_get(es, 0);
		}
		if (!json_is_object(eo))
			eo = doc;			/* S3: <Error> is the root */
		code = jstr(eo, "Code");
		msg = jstr(eo, "Message");
		if (!rid)
			rid = jstr(eo, "RequestId");
	}
	if (code && !err->api_code[0])
		copy_code(err->api_code, sizeof(err->api_code), code);
	if (msg && !err->api_message[0])
		cqp_sanitize_copy(err->api_message, sizeof(err->api_message), msg, strlen(msg));
	if (rid && !err->request_id[0])
		cqp_sanitize_copy(err->request_id, sizeof(err->request_id), rid, strlen(rid));
	json_decref(doc);
}

/* An AWS error code that means "slow down" (any service): retried. */
static bool
aws_throttling(const char *code)
{
	static const char *const codes[] = {
		"Throttling", "ThrottlingException", "ThrottledException",
		"RequestLimitExceeded", "TooManyRequestsException",
		"RequestThrottled", "RequestThrottledException", "SlowDown",
		"ProvisionedThroughputExceededException", "BandwidthLimitExceeded",
		"PriorRequestNotComplete", "EC2ThrottledException",
		NULL
	};

	for (int i = 0; code && code[0] && codes[i]; i++)
		if (strcmp(code, codes[i]) == 0)
			return true;
	return false;
}

/* Retry-After (delta-seconds or HTTP-date) in ms from now, or -1. */
static long
retry_after_ms(const char *v)
{
	char	   *end;
	long		secs;
	time_t		t;

	if (!v || !*v)
		return -1;
	if (isdigit((unsigned char) v[0]))
	{
		errno = 0;
		secs = strtol(v, &end, 10);
		if (errno == 0 && *end == '\0' && secs >= 0 && secs < 86400 * 365)
			return secs * 1000;
		return -1;
	}
	t = curl_getdate(v, NULL);
	if (t == (time_t) -1)
		return -1;
	{
		struct timespec now;
		long		ms;

		clock_gettime(CLOCK_REALTIME, &now);
		ms = (long) (t - now.tv_sec) * 1000 - now.tv_nsec / 1000000;
		return ms < 0 ? 0 : ms;
	}
}

/* Rate-limit reset header (epoch seconds) in ms from now, or -1. */
static long
reset_ms(const char *v)
{
	char	   *end;
	long long	epoch;
	struct timespec now;

	if (!v || !*v)
		return -1;
	errno = 0;
	epoch = strtoll(v, &end, 10);
	if (errno || *end || epoch < 0)
		return -1;
	clock_gettime(CLOCK_REALTIME, &now);
	if (epoch < 1000000000LL)	/* a delta, as some APIs send */
		return (long) (epoch * 1000);
	if (epoch - now.tv_sec > 86400 * 365)
		return -1;
	{
		long		ms = (long) ((epoch - now.tv_sec) * 1000 - now.tv_nsec / 1000000);

		return ms < 0 ? 0 : ms;
	}
}

/* Full jitter: uniform in [0, min(max, base * 2^attempt)]. */
static long
backoff_ms(CqpHttp *h, int attempt)
{
	const CqJobSettings *s = h->settings;
	long		cap = s->retry_base_ms > 0 ? s->retry_base_ms : 1;

	for (int i = 0; i < attempt && cap < s->retry_max_ms; i++)
		cap *= 2;
	if (cap > s->retry_max_ms)
		cap = s->retry_max_ms;
	if (cap <= 0)
		return 0;
	return (long) (rand_r(&h->seed) % (unsigned long) (cap + 1));
}

static void
fill_url(CqError *err, const CqpReq *req)
{
	cq_redact_url(req->url, err->url, sizeof(err->url));
}

/*
 * cqp_http_finish
 *		Classify a finished transfer.  On CQP_REDIRECT req->url is replaced
 *		(the caller resends); on CQP_RETRY *wait_ms says how long to wait
 *		(the caller increments req->attempt); on CQP_FAIL err is filled
 *		(kind, status, message, api_message, redacted url).  On CQP_OK the
 *		body stays in req->body, and req->rl_pause_until_ms is set if the
 *		rate-limit headers say the quota is exhausted.  I/O thread.
 */
CqpOutcome
cqp_http_finish(CqpHttp *h, CqpReq *req, int curlcode, int64_t now_ms,
				long *wait_ms, CqError *err)
{
	const CqJobSettings *s = h->settings;
	CURLcode	rc = (CURLcode) curlcode;
	long		status = 0;
	bool		retryable = false;
	bool		ratelimited = false;
	long		ra = -1;

	*wait_ms = 0;
	memset(err, 0, sizeof(*err));
	if (req->easy)
		curl_easy_getinfo(req->easy, CURLINFO_RESPONSE_CODE, &status);

	if (req->refused)
	{
		if (req->policy_err)
			*err = *req->policy_err;
		if (err->kind == CQ_ERR_NONE)
			err->kind = CQ_ERR_POLICY;
		fill_url(err, req);
		return CQP_FAIL;
	}
	if (rc != CURLE_OK)
	{
		if (req->too_big || rc == CURLE_FILESIZE_EXCEEDED)
		{
			cq_error_set(err, CQ_ERR_LIMIT, "response larger than max_response_bytes (%zu bytes)",
						 s->max_response_bytes);
			snprintf(err->setting, sizeof(err->setting), "max_response_bytes");
			fill_url(err, req);
			return CQP_FAIL;
		}
		/*
		 * libcurl refuses a single header line over 100 kB with "out of
		 * memory" before our header callback sees it: while no body byte
		 * has arrived, that is the header limit, not a memory shortage.
		 */
		if (req->hdr_too_big)
		{
			cq_error_set(err, CQ_ERR_LIMIT, "response headers larger than max_header_bytes (%zu bytes)",
						 s->max_header_bytes);
			snprintf(err->setting, sizeof(err->setting), "max_header_bytes");
			fill_url(err, req);
			return CQP_FAIL;
		}
		if (rc == CURLE_OUT_OF_MEMORY && req->header_bytes > 0 && req->body.len == 0)
		{
			/* libcurl's own limit: raising max_header_bytes cannot help */
			cq_error_set(err, CQ_ERR_LIMIT, "a response header line longer than %d kB, the most libcurl reads",
						 CURL_MAX_HTTP_HEADER / 1024);
			snprintf(err->setting, sizeof(err->setting), "header_line");
			fill_url(err, req);
			return CQP_FAIL;
		}
		switch (rc)
		{
			case CURLE_OPERATION_TIMEDOUT:
				{
					bool		total = s->request_timeout_ms > 0 &&
						now_ms - req->t_start_ms >= s->request_timeout_ms - 50;
					curl_off_t	conn_us = 1;

					if (req->easy)
						curl_easy_getinfo(req->easy, CURLINFO_CONNECT_TIME_T, &conn_us);
					if (total)
						cq_error_set(err, CQ_ERR_TIMEOUT, "request took longer than request_timeout_ms (%ld ms)",
									 s->request_timeout_ms);
					else if (conn_us == 0)
						cq_error_set(err, CQ_ERR_TIMEOUT, "no connection within connect_timeout_ms (%ld ms)",
									 s->connect_timeout_ms);
					else
						cq_error_set(err, CQ_ERR_TIMEOUT, "no data received for %ld s",
									 s->low_speed_time_s);
					snprintf(err->setting, sizeof(err->setting), "%s",
							 total ? "request_timeout_ms" :
							 conn_us == 0 ? "connect_timeout_ms" : "low_speed_time_s");
					retryable = !total;
					break;
				}
			case CURLE_PARTIAL_FILE:
				{
					curl_off_t	got = -1,
								want = -1;

					if (req->easy)
					{
						curl_easy_getinfo(req->easy, CURLINFO_SIZE_DOWNLOAD_T, &got);
						curl_easy_getinfo(req->easy, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &want);
					}
					if (got >= 0 && want > got)
						cq_error_set(err, CQ_ERR_TRANSFER,
									 "connection closed before the response was complete (received %lld of %lld bytes)",
									 (long long) got, (long long) want);
					else
						cq_error_set(err, CQ_ERR_TRANSFER,
									 "connection closed before the response was complete");
					retryable = true;
					break;
				}
			case CURLE_RECV_ERROR:
			case CURLE_SEND_ERROR:
				{
					long		oserr = 0;

					if (req->easy)
						curl_easy_getinfo(req->easy, CURLINFO_OS_ERRNO, &oserr);
					if (oserr == ECONNRESET || oserr == EPIPE)
						cq_error_set(err, CQ_ERR_TRANSFER, "connection reset by the API server %s",
									 rc == CURLE_SEND_ERROR ? "while sending the request" :
									 status > 0 ? "during the response" : "before it responded");
					else
						cq_error_set(err, CQ_ERR_TRANSFER, "connection lost: %s",
									 curl_easy_strerror(rc));
					retryable = true;
					break;
				}
			case CURLE_GOT_NOTHING:
				cq_error_set(err, CQ_ERR_TRANSFER,
							 "connection closed by the API server without a response");
				retryable = true;
				break;
			case CURLE_HTTP2:
			case CURLE_HTTP2_STREAM:
				cq_error_set(err, CQ_ERR_TRANSFER, "connection lost: %s", curl_easy_strerror(rc));
				retryable = true;
				break;
			case CURLE_COULDNT_CONNECT:
				cq_error_set(err, CQ_ERR_CONNECT, "%s", curl_easy_strerror(rc));
				retryable = true;
				break;
			default:
				cq_error_set(err, CQ_ERR_CONNECT, "%s", curl_easy_strerror(rc));
				break;
		}
		fill_url(err, req);
		if (!retryable || req->attempt >= s->max_retries)
		{
			/* say that the failure was not a one-off */
			if (retryable && req->attempt > 0)
			{
				size_t		ml = strlen(err->message);

				snprintf(err->message + ml, sizeof(err->message) - ml,
						 "; still failing after %d %s", req->attempt,
						 req->attempt == 1 ? "retry" : "retries");
			}
			return CQP_FAIL;
		}
		*wait_ms = backoff_ms(h, req->attempt);
		return CQP_RETRY;
	}

	/* a complete HTTP response */
	if (status >= 200 && status < 300)
	{
		/* for a shared rate gate (job_io.c) */
		req->rl_left = req->rl_remaining[0] && isdigit((unsigned char) req->rl_remaining[0]) ?
			strtol(req->rl_remaining, NULL, 10) : -1;
		req->rl_reset_in_ms = reset_ms(req->rl_reset);
		if (req->rl_remaining[0] && strtol(req->rl_remaining, NULL, 10) == 0 &&
			req->rl_remaining[0] == '0')
		{
			long		r = reset_ms(req->rl_reset);

			if (r > 0)
			{
				if (r > s->retry_max_ms)
					r = s->retry_max_ms;
				req->rl_pause_until_ms = now_ms + r;
			}
		}
		return CQP_OK;
	}
	if (s3_moved(h, req, status))
	{
		/* another region's bucket: sent again, signed for its region */
		req->redirects++;
		return CQP_REDIRECT;
	}
	if ((status == 301 || status == 302 || status == 303 || status == 307 ||
		 status == 308) && req->location)
	{
		char	   *nu;

		if (req->redirects >= s->max_redirects)
		{
			char		to[256];
			char	   *nu0 = cqp_url_resolve(req->url, req->location);

			cq_redact_url(nu0 ? nu0 : req->location, to, sizeof(to));
			free(nu0);
			cq_error_set(err, CQ_ERR_LIMIT, "more than %d redirects in a row, the last one to %s",
						 s->max_redirects, to);
			snprintf(err->setting, sizeof(err->setting), "max_redirects");
			err->http_status = (int) status;
			fill_url(err, req);
			return CQP_FAIL;
		}
		nu = cqp_url_resolve(req->url, req->location);
		if (!nu || !(strncasecmp(nu, "http://", 7) == 0 || strncasecmp(nu, "https://", 8) == 0))
		{
			cq_error_set(err, CQ_ERR_POLICY, "redirect to a non-http(s) URL refused");
			err->http_status = (int) status;
			fill_url(err, req);
			free(nu);
			return CQP_FAIL;
		}
		if (!cq_net_url_allowed(h->policy, nu, err))
		{
			if (err->kind == CQ_ERR_NONE)
				err->kind = CQ_ERR_POLICY;
			err->http_status = (int) status;
			cq_redact_url(nu, err->url, sizeof(err->url));
			free(nu);
			return CQP_FAIL;
		}
		free(req->url);
		req->url = nu;
		req->redirects++;
		return CQP_REDIRECT;
	}

	/*
	 * A provider's token refused: drop it (only if it is still the cached
	 * one, so N requests failing together cause one refetch) and send once
	 * more with a fresh token; a second 401 is the error.
	 */
	if (status == 401 && h->provider && req->auth_token && !h->sigv4)
	{
		if (!req->auth_retried)
		{
			cqp_cred_invalidate(h->provider, req->auth_token);
			req->auth_retried = true;
			cq_error_set(err, CQ_ERR_HTTP, "HTTP status 401 from the API");
			err->http_status = 401;
			return CQP_RETRY;
		}
	}

	/*
	 * SigV4 with an assumed role: AWS says the temporary key expired (the
	 * clock of the answer may differ from ours, or it was revoked) or does
	 * not know it (InvalidClientTokenId: a key kept across scans or shared
	 * by another backend that AWS no longer accepts): drop it (only if
	 * still cached) and send once more with a fresh AssumeRole.  A plain
	 * key cannot be renewed (cqp_cred_invalidate says so): no retry.
	 */
	if ((status == 400 || status == 403) && h->sigv4 && req->auth_token &&
		!req->auth_retried && (req->cred || h->provider))
	{
		CqError		tmp;

		memset(&tmp, 0, sizeof(tmp));
		aws_error(req, &tmp);
		if ((strncmp(tmp.api_code, "ExpiredToken", 12) == 0 ||
			 strcmp(tmp.api_code, "InvalidClientTokenId") == 0 ||
			 strcmp(tmp.api_code, "UnrecognizedClientException") == 0) &&
			cqp_cred_invalidate(req->cred ? req->cred : h->provider, req->auth_token))
		{
			req->auth_retried = true;
			cq_error_set(err, CQ_ERR_HTTP, "HTTP status %ld from the API (%s)", status,
						 tmp.api_code);
			err->http_status = (int) status;
			return CQP_RETRY;
		}
	}

	/* an error status */
	if (req->rl_remaining[0] == '0' && strtol(req->rl_remaining, NULL, 10) == 0 &&
		(status == 403 || status == 429))
	{
		ratelimited = true;
		ra = reset_ms(req->rl_reset);
	}
	if (status == 429 || status == 500 || status == 502 || status == 503 ||
		status == 504 || ratelimited)
		retryable = true;
	if (status == 429)
		ratelimited = true;
	{
		long		r = retry_after_ms(req->retry_after);

		if (r > ra)
			ra = r;
	}
	cq_error_set(err, ratelimited ? CQ_ERR_RATE_LIMIT : CQ_ERR_HTTP,
				 ratelimited ? "API rate limit exceeded (HTTP %ld)" : "HTTP status %ld from the API",
				 status);
	err->http_status = (int) status;
	cqp_http_api_message(req->body.data, req->body.len, err->api_message,
						 sizeof(err->api_message));
	aws_error(req, err);
	fill_url(err, req);
	if (!ratelimited &&
		((status == 403 && retry_after_ms(req->retry_after) >= 0) ||
		 aws_throttling(err->api_code)))
	{
		/*
		 * Rate limits that are not a 429: GitHub's secondary limits (403
		 * with Retry-After) and AWS throttling codes.  Retried like a 429,
		 * and a shared rate gate hears of them (job_io.c).
		 */
		ratelimited = retryable = true;
		err->kind = CQ_ERR_RATE_LIMIT;
		if (err->api_code[0])
			snprintf(err->message, sizeof(err->message),
					 "API rate limit exceeded (HTTP %ld %s)", status, err->api_code);
		else
			snprintf(err->message, sizeof(err->message),
					 "API rate limit exceeded (HTTP %ld)", status);
	}
	if (req->auth_token)
	{
		/*
		 * A token from a provider is not in the job's credentials, which
		 * cqp_error_redact is given later: an API that echoes the token it
		 * was sent (a 401 body) must not put it in DETAIL or the log.
		 */
		CqCredentials fetched;
		char	   *nl1 = NULL,
				   *nl2 = NULL;

		memset(&fetched, 0, sizeof(fetched));
		if (h->sigv4 && (nl1 = strchr(req->auth_token, '\n')) != NULL &&
			(nl2 = strchr(nl1 + 1, '\n')) != NULL)
		{
			/* an AWS key "akid\nsecret\ntoken": its parts, split in place */
			*nl1 = *nl2 = '\0';
			fetched.user = req->auth_token;
			fetched.secret = nl1 + 1;
			fetched.session_token = nl2 + 1;
		}
		else
			fetched.token = req->auth_token;
		cqp_error_redact(err, &fetched);
		if (nl2)
			*nl1 = *nl2 = '\n';
	}
	if (status == 401 && h->provider && req->auth_token && !h->sigv4)
		snprintf(err->setting, sizeof(err->setting), "auth:%s",
				 cqp_cred_options_hint(h->provider));
	if (!retryable || req->attempt >= s->max_retries)
		return CQP_FAIL;
	if (ra > s->retry_max_ms)
	{
		/* waiting that long would look like a hang: fail now, say why */
		snprintf(err->message, sizeof(err->message),
				 "the API asked to wait %ld s before retrying (HTTP %ld), more than retry_max_ms (%ld ms)",
				 (ra + 999) / 1000, status, s->retry_max_ms);
		snprintf(err->setting, sizeof(err->setting), "retry_max_ms");
		return CQP_FAIL;
	}
	*wait_ms = backoff_ms(h, req->attempt);
	if (ra > *wait_ms)
		*wait_ms = ra;
	return CQP_RETRY;
}
