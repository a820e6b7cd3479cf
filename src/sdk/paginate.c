/*-------------------------------------------------------------------------
 *
 * paginate.c
 *		  Pagination strategies and the URL helpers they need.
 *
 * Given one completed page (its request URL, Link header, parsed body and
 * the number of rows it held), cqp_paginate() decides what to request next:
 * nothing, one next URL, or a range of pages known in advance (Link
 * rel="last", or a total row count with page_number/offset paging) that the
 * scheduler may request concurrently.
 *
 * Invariants:
 *	- A next URL given by the API (Link header, next_url body field) is
 *	  followed as given: relative references are resolved against the
 *	  request URL, absolute ones are used unchanged (the outbound policy is
 *	  checked by the scheduler before anything is sent).
 *	- Tokens and page numbers are URL-encoded and replace every previous
 *	  value of their query parameter.
 *	- Everything here is pure: no I/O, no global state, any thread.  API
 *	  text is never used as a format string.  Every returned string is
 *	  malloc'd and owned by the caller (free()).
 *
 * Copyright (c) 2026, cq_fdw developers
 *
 *-------------------------------------------------------------------------
 */
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "cq_sdk_int.h"

/* RFC 3986 unreserved characters (ASCII, whatever the locale). */
bool
cqp_url_unreserved(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		(c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' || c == '~';
}

int
cqp_pct_byte(const char *s, size_t len, size_t i)
{
	int			h,
				l;

	if (s[i] != '%' || i + 2 >= len ||
		(h = cqp_hexval((unsigned char) s[i + 1])) < 0 ||
		(l = cqp_hexval((unsigned char) s[i + 2])) < 0)
		return -1;
	return h * 16 + l;
}

/*
 * cqp_url_encode
 *		Percent-encode `len` bytes of `s` (path segment and query component
 *		safe: only unreserved characters stay).  malloc'd; NULL on OOM.
 */
char *
cqp_url_encode(const char *s, size_t len)
{
	static const char hex[] = "0123456789ABCDEF";
	char	   *out = malloc(len * 3 + 1);
	size_t		o = 0;

	if (!out)
		return NULL;
	for (size_t i = 0; i < len; i++)
	{
		unsigned char c = (unsigned char) s[i];

		if (cqp_url_unreserved(c))
			out[o++] = (char) c;
		else
		{
			out[o++] = '%';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 15];
		}
	}
	out[o] = '\0';
	return out;
}

/* Bounds of the query part of url: [*qs, *qe) (empty if none). */
static void
query_bounds(const char *url, const char **qs, const char **qe)
{
	const char *hash = strchr(url, '#');
	const char *end = hash ? hash : url + strlen(url);
	const char *q = memchr(url, '?', (size_t) (end - url));

	if (q)
	{
		*qs = q + 1;
		*qe = end;
	}
	else
	{
		*qs = end;
		*qe = end;
	}
}

/*
 * cqp_url_set_param
 *		Copy of `url` where query parameter `name` has the single value
 *		`value` (URL-encoded here): the first occurrence is replaced in
 *		place, later ones are dropped; appended if absent.  A fragment is
 *		dropped.  malloc'd; NULL on OOM.
 */
char *
cqp_url_set_param(const char *url, const char *name, const char *value)
{
	const char *qs,
			   *qe;
	size_t		nlen = strlen(name);
	char	   *enc = cqp_url_encode(value, strlen(value));
	char	   *out;
	size_t		o = 0;
	bool		done = false;

	if (!enc)
		return NULL;
	query_bounds(url, &qs, &qe);
	out = malloc(strlen(url) + nlen + strlen(enc) + 4);
	if (!out)
	{
		free(enc);
		return NULL;
	}
	/* everything before the query (without '?') */
	{
		size_t		pre = (size_t) (qs - url);

		if (qs > url && qs[-1] == '?')
			pre--;
		memcpy(out, url, pre);
		o = pre;
	}
	out[o++] = '?';
	{
		const char *p = qs;
		bool		first = true;

		while (p < qe)
		{
			const char *amp = memchr(p, '&', (size_t) (qe - p));
			const char *pe = amp ? amp : qe;
			const char *eq = memchr(p, '=', (size_t) (pe - p));
			const char *ne = eq ? eq : pe;
			bool		match = ((size_t) (ne - p) == nlen &&
								 memcmp(p, name, nlen) == 0);

			if (pe > p && !(match && done))
			{
				if (!first)
					out[o++] = '&';
				first = false;
				if (match)
				{
					memcpy(out + o, name, nlen);
					o += nlen;
					out[o++] = '=';
					memcpy(out + o, enc, strlen(enc));
					o += strlen(enc);
					done = true;
				}
				else
				{
					memcpy(out + o, p, (size_t) (pe - p));
					o += (size_t) (pe - p);
				}
			}
			p = amp ? amp + 1 : qe;
		}
		if (!done)
		{
			if (!first)
				out[o++] = '&';
			memcpy(out + o, name, nlen);
			o += nlen;
			out[o++] = '=';
			memcpy(out + o, enc, strlen(enc));
			o += strlen(enc);
		}
	}
	out[o] = '\0';
	free(enc);
	return out;
}

/*
 * cqp_url_get_param
 *		Raw (still encoded) value of the first query parameter `name`, or
 *		NULL if absent.  malloc'd.
 */
char *
cqp_url_get_param(const char *url, const char *name)
{
	const char *qs,
			   *qe;
	size_t		nlen = strlen(name);
	const char *p;

	query_bounds(url, &qs, &qe);
	p = qs;
	while (p < qe)
	{
		const char *amp = memchr(p, '&', (size_t) (qe - p));
		const char *pe = amp ? amp : qe;
		const char *eq = memchr(p, '=', (size_t) (pe - p));
		const char *ne = eq ? eq : pe;

		if ((size_t) (ne - p) == nlen && memcmp(p, name, nlen) == 0)
		{
			const char *vs = eq ? eq + 1 : pe;

			return strndup(vs, (size_t) (pe - vs));
		}
		p = amp ? amp + 1 : qe;
	}
	return NULL;
}

/*
 * cqp_url_resolve
 *		Resolve reference `ref` (absolute or relative) against `base`
 *		(RFC 3986, through libcurl's URL API, which is thread-safe).  An
 *		absolute `ref` comes back unchanged apart from normalization of
 *		scheme and host case.  malloc'd; NULL if either is not a URL.
 */
char *
cqp_url_resolve(const char *base, const char *ref)
{
	CURLU	   *u = curl_url();
	char	   *s = NULL;
	char	   *out = NULL;

	if (!u)
		return NULL;
	if (curl_url_set(u, CURLUPART_URL, base, CURLU_NON_SUPPORT_SCHEME) == CURLUE_OK &&
		curl_url_set(u, CURLUPART_URL, ref,
					 CURLU_NON_SUPPORT_SCHEME) == CURLUE_OK &&
		curl_url_get(u, CURLUPART_URL, &s, 0) == CURLUE_OK)
	{
		out = strdup(s);
	}
	curl_free(s);
	curl_url_cleanup(u);
	return out;
}

/* scheme://host:port of url into out (lower case), false if not a URL. */
static bool
origin_of(const char *url, char *out, size_t outlen)
{
	CURLU	   *u = curl_url();
	char	   *scheme = NULL,
			   *host = NULL,
			   *port = NULL;
	bool		ok = false;

	if (!u)
		return false;
	if (curl_url_set(u, CURLUPART_URL, url, CURLU_NON_SUPPORT_SCHEME) == CURLUE_OK &&
		curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
		curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK &&
		curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) == CURLUE_OK)
	{
		snprintf(out, outlen, "%s://%s:%s", scheme, host, port);
		for (char *p = out; *p; p++)
			*p = (char) tolower((unsigned char) *p);
		ok = true;
	}
	curl_free(scheme);
	curl_free(host);
	curl_free(port);
	curl_url_cleanup(u);
	return ok;
}

/*
 * cqp_url_same_origin
 *		true if both URLs have the same scheme, host and port.  Credentials
 *		are only sent to the origin of the job's first request.
 */
bool
cqp_url_same_origin(const char *a, const char *b)
{
	char		oa[600],
				ob[600];

	return origin_of(a, oa, sizeof(oa)) && origin_of(b, ob, sizeof(ob)) &&
		strcmp(oa, ob) == 0;
}

/*
 * cqp_expand_template
 *		Fill "{name}" placeholders of an endpoint template with the
 *		URL-encoded (path segment) values.  A placeholder without a value is
 *		a CQ_ERR_CONFIG error (returns NULL).  malloc'd.
 */
char *
cqp_expand_template(const char *tmpl, int n, const char *const *names,
					const char *const *values, CqError *err)
{
	CqpBuf		b = {0};
	const char *p = tmpl;

	b.cap = strlen(tmpl) + 64;
	b.data = malloc(b.cap);
	if (!b.data)
		goto oom;
	while (*p)
	{
		const char *piece;
		size_t		plen;
		char	   *enc = NULL;

		if (*p == '{' && strchr(p, '}'))
		{
			const char *e = strchr(p, '}');
			size_t		nl = (size_t) (e - p - 1);
			int			i;

			for (i = 0; i < n; i++)
				if (strlen(names[i]) == nl && memcmp(names[i], p + 1, nl) == 0)
					break;
			if (i == n)
			{
				cq_error_set(err, CQ_ERR_CONFIG,
							 "endpoint template needs a value for {%.*s}",
							 (int) (nl > 60 ? 60 : nl), p + 1);
				free(b.data);
				return NULL;
			}
			enc = cqp_url_encode(values[i], strlen(values[i]));
			if (!enc)
				goto oom;
			piece = enc;
			plen = strlen(enc);
			p = e + 1;
		}
		else
		{
			piece = p;
			plen = 1;
			p++;
		}
		if (b.len + plen + 1 > b.cap)
		{
			size_t		nc = (b.len + plen + 1) * 2;
			char	   *nd = realloc(b.data, nc);

			if (!nd)
			{
				free(enc);
				goto oom;
			}
			b.data = nd;
			b.cap = nc;
		}
		memcpy(b.data + b.len, piece, plen);
		b.len += plen;
		free(enc);
	}
	b.data[b.len] = '\0';
	return b.data;

oom:
	free(b.data);
	cq_error_set(err, CQ_ERR_NOMEM, "out of memory expanding an endpoint");
	return NULL;
}

/* Does the space-separated rel list [s, e) contain `rel` (ASCII case-insensitive)? */
static bool
rel_list_has(const char *s, const char *e, const char *rel)
{
	size_t		rl = strlen(rel);

	while (s < e)
	{
		const char *w;

		while (s < e && isspace((unsigned char) *s))
			s++;
		w = s;
		while (s < e && !isspace((unsigned char) *s))
			s++;
		if ((size_t) (s - w) == rl && strncasecmp(w, rel, rl) == 0)
			return true;
	}
	return false;
}

/*
 * cqp_link_find
 *		Find the target of the first link whose rel list contains `rel` in
 *		an RFC 8288 Link header value (several links separated by commas,
 *		commas allowed inside <...>, rel quoted or not, several rels per
 *		link, parameters in any order).  *out is malloc'd (as given, not
 *		resolved).  Returns false if there is none; hostile input is
 *		handled (no recursion, bounded by the string length).
 */
bool
cqp_link_find(const char *link, const char *rel, char **out)
{
	const char *p = link;

	*out = NULL;
	if (!link)
		return false;
	for (;;)
	{
		const char *us,
				   *ue;
		bool		found = false;

		while (*p && (isspace((unsigned char) *p) || *p == ','))
			p++;
		if (*p != '<')
		{
			/* garbage: skip to the next comma that starts a link */
			const char *c = strchr(p, ',');

			if (!c)
				return false;
			p = c + 1;
			continue;
		}
		us = p + 1;
		ue = strchr(us, '>');
		if (!ue)
			return false;
		p = ue + 1;
		/* parameters: ; name [= value] */
		for (;;)
		{
			const char *ns,
					   *ne,
					   *vs = NULL,
					   *ve = NULL;

			while (*p && isspace((unsigned char) *p))
				p++;
			if (*p != ';')
				break;
			p++;
			while (*p && isspace((unsigned char) *p))
				p++;
			ns = p;
			while (*p && *p != '=' && *p != ';' && *p != ',' && !isspace((unsigned char) *p))
				p++;
			ne = p;
			while (*p && isspace((unsigned char) *p))
				p++;
			if (*p == '=')
			{
				p++;
				while (*p && isspace((unsigned char) *p))
					p++;
				if (*p == '"')
				{
					p++;
					vs = p;
					while (*p && *p != '"')
					{
						if (*p == '\\' && p[1])
							p++;
						p++;
					}
					ve = p;
					if (*p == '"')
						p++;
				}
				else
				{
					vs = p;
					while (*p && *p != ';' && *p != ',' && !isspace((unsigned char) *p))
						p++;
					ve = p;
				}
			}
			if (vs && ne - ns == 3 && strncasecmp(ns, "rel", 3) == 0 &&
				rel_list_has(vs, ve, rel))
				found = true;
		}
		if (found)
		{
			*out = strndup(us, (size_t) (ue - us));
			return *out != NULL;
		}
		/* skip to the end of this link-value */
		while (*p && *p != ',')
			p++;
		if (!*p)
			return false;
	}
}

/* Parse a non-negative decimal integer (whole string); -1 if not one. */
static int64_t
parse_index(const char *s)
{
	int64_t		v = 0;

	if (!s || !*s)
		return -1;
	for (; *s; s++)
	{
		if (!isdigit((unsigned char) *s) || v > (INT64_MAX - 9) / 10)
			return -1;
		v = v * 10 + (*s - '0');
	}
	return v;
}

/* Total row count at pg->total, or -1. */
static int64_t
total_of(const CqpPager *pg, json_t *doc)
{
	json_t	   *v;

	if (!pg->total || !doc)
		return -1;
	v = cq_path_get(pg->total, doc);
	if (json_is_integer(v))
		return json_integer_value(v) >= 0 ? json_integer_value(v) : -1;
	if (json_is_string(v))
		return parse_index(json_string_value(v));
	return -1;
}

static void
set_url(CqpNext *out, char *url, int64_t index)
{
	if (!url)
	{
		out->kind = CQP_NEXT_STOP;
		return;
	}
	out->kind = CQP_NEXT_URL;
	out->url = url;
	out->index = index;
}

/*
 * cqp_paginate
 *		Decide the request after a page.  `page_index` is the page number
 *		(page_number), offset (offset) or -1; `link` the Link header or
 *		NULL; `doc` the parsed body (may be NULL for an empty body); `nrows`
 *		the rows the page held.  Stops when there is no next link/token, on
 *		an empty page (page_number, offset), on a short page (offset, when
 *		the page size is known).  Token and next-URL styles follow a next
 *		even after an empty page (filtered listings legitimately return
 *		empty pages with a token); the scheduler's loop detection stops a
 *		repeated URL.  out->url is malloc'd (caller frees).
 */
void
cqp_paginate(const CqpPager *pg, const char *req_url, int64_t page_index,
			 const char *link, json_t *doc, size_t nrows, CqpNext *out)
{
	memset(out, 0, sizeof(*out));
	out->index = -1;
	out->kind = CQP_NEXT_STOP;
	/* the listing's size, when the page tells it (progress) */
	out->total_rows = total_of(pg, doc);
	out->remaining = -1;
	out->last_page = -1;
	if (pg->remaining && doc)
	{
		json_t	   *r = cq_path_get(pg->remaining, doc);

		if (json_is_integer(r) && json_integer_value(r) >= 0)
			out->remaining = json_integer_value(r);
	}

	if (pg->more && doc)
	{
		/* AWS IsTruncated: false says this is the last page */
		json_t	   *m = cq_path_get(pg->more, doc);

		if (json_is_false(m) ||
			(json_is_string(m) && strcasecmp(json_string_value(m), "false") == 0))
			return;
	}

	switch (pg->style)
	{
		case CQ_PAGE_NONE:
			return;

		case CQ_PAGE_LINK_HEADER:
			{
				char	   *next = NULL,
						   *last = NULL,
						   *nu,
						   *lu = NULL;
				const char *param = pg->next_param ? pg->next_param : "page";

				if (!cqp_link_find(link, "next", &next))
					return;
				nu = cqp_url_resolve(req_url, next);
				free(next);
				if (!nu)
					return;
				if (cqp_link_find(link, "last", &last))
					lu = cqp_url_resolve(req_url, last);
				free(last);
				if (lu)
				{
					char	   *nv = cqp_url_get_param(nu, param);
					char	   *lv = cqp_url_get_param(lu, param);
					int64_t		n = parse_index(nv),
								l = parse_index(lv);

					/* rel="last" names the number of pages (progress) */
					if (l >= 1)
						out->last_page = l;
					if (pg->concurrent && n >= 1 && l > n)
					{
						/* only if next and last differ in the page alone */
						char	   *probe = cqp_url_set_param(nu, param, lv);

						if (probe && strcmp(probe, lu) == 0)
						{
							out->kind = CQP_NEXT_RANGE;
							out->url = nu;
							out->param = param;
							out->from = n;
							out->to = l;
							out->step = 1;
							nu = NULL;
						}
						free(probe);
					}
					free(nv);
					free(lv);
					free(lu);
				}
				if (nu)
					set_url(out, nu, -1);
				return;
			}

		case CQ_PAGE_NEXT_URL:
			{
				json_t	   *v = (pg->next && doc) ? cq_path_get(pg->next, doc) : NULL;

				if (!json_is_string(v) || json_string_length(v) == 0)
					return;
				set_url(out, cqp_url_resolve(req_url, json_string_value(v)), -1);
				return;
			}

		case CQ_PAGE_NEXT_TOKEN:
			{
				json_t	   *v = (pg->next && doc) ? cq_path_get(pg->next, doc) : NULL;
				char		num[32];
				const char *tok = NULL;

				if (json_is_string(v) && json_string_length(v) > 0)
					tok = json_string_value(v);
				else if (json_is_integer(v))
				{
					snprintf(num, sizeof(num), "%" PRId64, (int64_t) json_integer_value(v));
					tok = num;
				}
				if (!tok || !pg->next_param)
					return;
				set_url(out, cqp_url_set_param(req_url, pg->next_param, tok), -1);
				return;
			}

		case CQ_PAGE_PAGE_NUMBER:
			{
				int64_t		cur = page_index >= 1 ? page_index : 1;
				int64_t		total;
				char		num[32];

				if (nrows == 0 || !pg->next_param)
					return;
				total = total_of(pg, doc);
				if (pg->concurrent && cur == 1 && total >= 0 && pg->page_size > 0)
				{
					int64_t		last = (total + pg->page_size - 1) / pg->page_size;

					if (last < 2)
						return;
					out->kind = CQP_NEXT_RANGE;
					out->url = strdup(req_url);
					out->param = pg->next_param;
					out->from = 2;
					out->to = last;
					out->step = 1;
					if (!out->url)
						out->kind = CQP_NEXT_STOP;
					return;
				}
				snprintf(num, sizeof(num), "%" PRId64, cur + 1);
				set_url(out, cqp_url_set_param(req_url, pg->next_param, num), cur + 1);
				return;
			}

		case CQ_PAGE_OFFSET:
			{
				int64_t		cur = page_index >= 0 ? page_index : 0;
				int64_t		step = pg->page_size > 0 ? pg->page_size : (int64_t) nrows;
				int64_t		total;
				char		num[32];

				if (nrows == 0 || !pg->next_param)
					return;
				if (pg->page_size > 0 && nrows < (size_t) pg->page_size)
					return;
				total = total_of(pg, doc);
				if (pg->concurrent && cur == 0 && total >= 0 && pg->page_size > 0)
				{
					if (total <= step)
						return;
					out->kind = CQP_NEXT_RANGE;
					out->url = strdup(req_url);
					out->param = pg->next_param;
					out->from = step;
					out->to = ((total - 1) / step) * step;
					out->step = step;
					if (!out->url)
						out->kind = CQP_NEXT_STOP;
					return;
				}
				snprintf(num, sizeof(num), "%" PRId64, cur + step);
				set_url(out, cqp_url_set_param(req_url, pg->next_param, num), cur + step);
				return;
			}
	}
}
