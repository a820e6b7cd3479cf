/*-------------------------------------------------------------------------
 *
 * aws.c
 *		  Tables of AWS APIs (spec key "aws"): where a unit's requests go,
 *		  what goes on the wire per protocol, and the AWS value transforms.
 *
 * A page of an AWS table is still identified by one URL, as for every
 * other table: keys, the page size and the next token are query
 * parameters of req->url, so pagination, loop detection and retries work
 * unchanged.  Only when a request is prepared (cqp_http_prepare, I/O
 * thread) does cqp_aws_wire turn that URL into what the protocol sends:
 *	ec2/query		POST <url without query>, form body
 *					Action=<action>&Version=<api_version>&<query>&<aws.body>
 *	json			POST <url without query>, JSON body of the parameters
 *					(the page size as a number) and aws.body,
 *					X-Amz-Target: <target_prefix>.<action>
 *	rest-json/xml	<method> <url> as it is
 * The operation is the table's, or (req->aws_op) its parent listing's
 * (parent.aws: action, method; no aws.body) or its list-then-get call
 * (aws.describe: json sends the repeated URL parameter describe.param as
 * one JSON array, job_aws.c builds the URL; rest-json GETs the URL).
 * The request is then signed over exactly that (http.c), with the table's
 * aws.service and the unit's region.
 *
 * Invariants:
 *	- what cqp_aws_wire allocates is owned by the request (aws_url,
 *	  aws_body, aws_target) and freed by cqp_http_reset; it is rebuilt
 *	  from req->url for every attempt (retries, redirects);
 *	- no function here keeps state; all are reentrant, any thread.
 *
 * Copyright (c) 2026, cq_fdw developers
 *
 *-------------------------------------------------------------------------
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cq_sdk_int.h"

/*
 * cqp_aws_base_url
 *		The API root of an AWS table's unit in `region`: the server's
 *		base_url when set (LocalStack style: every service behind one URL,
 *		the signature scope keeps the real service and region), else
 *		https://<endpoint_prefix>.<region>.amazonaws.com, or
 *		https://<endpoint_prefix>.amazonaws.com for a global service.
 *		malloc'd; NULL on OOM.
 */
char *
cqp_aws_base_url(const CqAwsDef *a, const char *server_base_url,
				 const char *region)
{
	return cqp_aws_host_url(a->endpoint_prefix, a->global_region != NULL,
							server_base_url, region);
}

/* The same for an endpoint prefix (ec2 for DescribeRegions). */
char *
cqp_aws_host_url(const char *endpoint_prefix, bool global,
				 const char *server_base_url, const char *region)
{
	size_t		n;
	char	   *out;

	if (server_base_url && server_base_url[0])
		return strdup(server_base_url);
	n = strlen(endpoint_prefix) + (region ? strlen(region) : 0) + 40;
	out = malloc(n);
	if (!out)
		return NULL;
	if (global || !region || !region[0])
		snprintf(out, n, "https://%s.amazonaws.com", endpoint_prefix);
	else
		snprintf(out, n, "https://%s.%s.amazonaws.com", endpoint_prefix, region);
	return out;
}

/* Percent-decode s[0..n) ('+' is a space, as in a form); malloc'd. */
static char *
pct_decode(const char *s, size_t n)
{
	char	   *out = malloc(n + 1);
	size_t		o = 0;

	if (!out)
		return NULL;
	for (size_t i = 0; i < n; i++)
	{
		int			ch = cqp_pct_byte(s, n, i);

		if (ch >= 0)
		{
			out[o++] = (char) ch;
			i += 2;
		}
		else if (s[i] == '+')
			out[o++] = ' ';
		else
			out[o++] = s[i];
	}
	out[o] = '\0';
	return out;
}

/* Text of a constant body member for a form. */
static const char *
scalar_text(json_t *v, char *buf, size_t n)
{
	if (json_is_string(v))
		return json_string_value(v);
	if (json_is_integer(v))
		snprintf(buf, n, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
	else if (json_is_real(v))
		snprintf(buf, n, "%.17g", json_real_value(v));
	else if (json_is_boolean(v))
		snprintf(buf, n, "%s", json_is_true(v) ? "true" : "false");
	else
		buf[0] = '\0';
	return buf;
}

/* Is s an optionally signed decimal integer that fits a json_int_t? */
static bool
is_integer_text(const char *s, json_int_t *out)
{
	char	   *end;
	long long	v;

	if (!s[0] || s[0] == '+' || strlen(s) > 18)
		return false;
	v = strtoll(s, &end, 10);
	if (*end != '\0')
		return false;
	*out = (json_int_t) v;
	return true;
}

/*
 * cqp_aws_wire
 *		What `req` sends for an AWS table `t` (see the banner): sets
 *		req->aws_url (URL to send and sign), req->method, req->post_body/
 *		post_len/content_type and req->aws_target.  Replaces what a
 *		previous attempt set.  false + err on OOM.
 */
bool
cqp_aws_wire(const CqTableDef *t, CqpReq *req, CqError *err)
{
	const CqAwsDef *a = t->aws;
	const CqAwsOpDef *pa = t->parent ? t->parent->aws : NULL;
	const CqAwsDescribeDef *d = a->describe;
	/* which operation: the table's, its parent listing's, its describe */
	int			op = (req->aws_op == CQP_AWS_OP_PARENT && pa) ? CQP_AWS_OP_PARENT :
		(req->aws_op == CQP_AWS_OP_DESCRIBE && d) ? CQP_AWS_OP_DESCRIBE : CQP_AWS_OP_TABLE;
	const char *action = op == CQP_AWS_OP_PARENT ? pa->action :
		op == CQP_AWS_OP_DESCRIBE ? d->action : a->action;
	const char *method = op == CQP_AWS_OP_PARENT ? pa->method :
		(op == CQP_AWS_OP_DESCRIBE && d->method) ? d->method : a->method;
	const char *page_size_param = op == CQP_AWS_OP_PARENT ? t->parent->page_size_param :
		op == CQP_AWS_OP_DESCRIBE ? NULL : t->page_size_param;
	json_t	   *body = op == CQP_AWS_OP_TABLE ? a->body :
		op == CQP_AWS_OP_DESCRIBE ? d->body : NULL;
	const char *url = req->url;
	const char *q = strchr(url, '?');
	size_t		base_len = q ? (size_t) (q - url) : strlen(url);
	const char *qs = q ? q + 1 : "";
	size_t		qlen = strcspn(qs, "#");
	CqpStrBuf	b = {.max = SIZE_MAX};	/* a form body: as long as its URL */
	char	   *txt = NULL;		/* the body sent (form or JSON), malloc'd */
	size_t		len = 0;

	free(req->aws_url);
	free(req->aws_body);
	free(req->aws_target);
	req->aws_url = req->aws_body = req->aws_target = NULL;
	req->post_body = NULL;
	req->post_len = 0;
	req->content_type = NULL;
	req->method = method;

	if (req->aws_regions)
	{
		/* the regions a regional table is scanned in: EC2 DescribeRegions
		 * (enabled regions only, AWS's default) */
		req->method = "POST";
		req->aws_url = strndup(url, base_len);
		req->aws_body = strdup("Action=DescribeRegions&Version=2016-11-15");
		if (!req->aws_url || !req->aws_body)
			goto oom;
		req->post_body = req->aws_body;
		req->post_len = strlen(req->aws_body);
		req->content_type = "application/x-www-form-urlencoded; charset=utf-8";
		return true;
	}
	if (a->protocol == CQ_AWS_REST_JSON || a->protocol == CQ_AWS_REST_XML)
	{
		if (strcmp(method, "GET") != 0)
		{
			/* a POST listing: its parameters stay in the query string */
			req->aws_body = strdup(a->protocol == CQ_AWS_REST_JSON ? "{}" : "");
			if (!req->aws_body)
				goto oom;
			req->post_body = req->aws_body;
			req->post_len = strlen(req->aws_body);
			req->content_type = a->protocol == CQ_AWS_REST_JSON ? "application/json" : "application/xml";
		}
		return true;
	}

	req->aws_url = strndup(url, base_len);
	if (!req->aws_url)
		goto oom;
	if (a->protocol == CQ_AWS_EC2 || a->protocol == CQ_AWS_QUERY)
	{
		const char *k;
		json_t	   *v;

		cqp_sb_form_add(&b, "Action", action);
		cqp_sb_form_add(&b, "Version", a->api_version);
		if (qlen > 0)
		{
			cqp_sb_putc(&b, '&');
			cqp_sb_putn(&b, qs, qlen);
		}
		json_object_foreach(body, k, v)
		{
			char		num[64];

			cqp_sb_form_add(&b, k, scalar_text(v, num, sizeof(num)));
		}
		if (b.oom || b.too_big)
			goto oom;
		txt = b.p;
		len = b.n;
		b.p = NULL;
		req->content_type = "application/x-www-form-urlencoded; charset=utf-8";
	}
	else
	{
		/* json: the parameters as members, the page size as a number */
		json_t	   *obj = body ? json_deep_copy(body) : cq_json_object_new();
		const char *p = qs;
		const char *end = qs + qlen;

		if (!obj)
			goto oom;
		while (p < end)
		{
			const char *amp = memchr(p, '&', (size_t) (end - p));
			const char *e = amp ? amp : end;
			const char *eq = memchr(p, '=', (size_t) (e - p));
			char	   *name = pct_decode(p, (size_t) ((eq ? eq : e) - p));
			char	   *val = eq ? pct_decode(eq + 1, (size_t) (e - eq - 1)) : strdup("");
			json_int_t	iv;
			json_t	   *jv;

			if (!name || !val)
			{
				free(name);
				free(val);
				json_decref(obj);
				goto oom;
			}
			if (name[0] && op == CQP_AWS_OP_DESCRIBE && strcmp(name, d->param) == 0)
			{
				/* list-then-get: the identifiers, one parameter each in
				 * the URL, are the array member d->param */
				json_t	   *arr = json_object_get(obj, name);

				if (!json_is_array(arr) &&
					(!(arr = json_array()) || json_object_set_new(obj, name, arr) != 0))
					arr = NULL;
				if (!arr || json_array_append_new(arr, json_string(val)) != 0)
				{
					free(name);
					free(val);
					json_decref(obj);
					goto oom;
				}
			}
			else if (name[0])
			{
				if (page_size_param && strcmp(name, page_size_param) == 0 &&
					is_integer_text(val, &iv))
					jv = json_integer(iv);
				else
					jv = json_string(val);
				if (!jv || json_object_set_new(obj, name, jv) != 0)
				{
					free(name);
					free(val);
					json_decref(obj);
					goto oom;
				}
			}
			free(name);
			free(val);
			p = amp ? amp + 1 : end;
		}
		txt = json_dumps(obj, JSON_COMPACT | JSON_SORT_KEYS);
		json_decref(obj);
		if (!txt)
			goto oom;
		len = strlen(txt);
		req->content_type = strcmp(a->json_version, "1.1") == 0 ?
			"application/x-amz-json-1.1" : "application/x-amz-json-1.0";
		{
			size_t		n = strlen(a->target_prefix) + strlen(action) + 32;

			req->aws_target = malloc(n);
			if (!req->aws_target)
				goto oom;
			snprintf(req->aws_target, n, "X-Amz-Target: %s.%s", a->target_prefix, action);
		}
	}
	req->aws_body = txt ? txt : strdup("");
	if (!req->aws_body)
		goto oom;
	req->post_body = req->aws_body;
	req->post_len = txt ? len : 0;
	return true;

oom:
	cqp_sb_wipe(&b);
	free(txt);
	cq_error_set(err, CQ_ERR_NOMEM, "out of memory building an AWS request");
	return false;
}

/*
 * cqp_aws_key_value_object
 *		[{"Key": k, "Value": v}, ...] (or lower-case key/value) -> {"k": v}.
 *		An element without a string key is skipped; a later duplicate key
 *		wins; a missing value is null.  A value that is not such a list is
 *		returned as it is (an object stays an object).  New reference, or
 *		NULL on OOM.
 */
json_t *
cqp_aws_key_value_object(json_t *v)
{
	json_t	   *out;
	size_t		i;
	json_t	   *e;

	if (!json_is_array(v))
		return json_incref(v);
	out = cq_json_object_new();
	if (!out)
		return NULL;
	json_array_foreach(v, i, e)
	{
		json_t	   *k,
				   *val;

		if (!json_is_object(e))
			continue;
		k = json_object_get(e, "Key");
		if (!k)
			k = json_object_get(e, "key");
		if (!json_is_string(k))
			continue;
		val = json_object_get(e, "Value");
		if (!val)
			val = json_object_get(e, "value");
		if (json_object_set(out, json_string_value(k), val ? val : json_null()) != 0)
		{
			json_decref(out);
			return NULL;
		}
	}
	return out;
}
