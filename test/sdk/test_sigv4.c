/*
 * test_sigv4.c -- AWS SigV4 signer (src/sdk/sigv4.c).
 *
 * suite "sigv4":
 *	- Every case folder of AWS's signing test suite (aws-c-auth's
 *	  tests/aws-signing-test-suite/v4, in ../shared/aws-sigv4-test-suite),
 *	  read in place: request.txt is parsed, signed with the case's
 *	  credentials, time, region, service and flags, both into the
 *	  Authorization header and into the query string, and compared with the
 *	  expected canonical request, string to sign, signature, Authorization
 *	  header, the headers added to the request and the presigned query.
 *	  Directory: $CQ_SIGV4_SUITE, else next to $CQ_SHARED_FIXTURES, else
 *	  ../shared/aws-sigv4-test-suite; absent -> skipped (printed).
 *	- S3's three published examples (GetObject, ListObjects, presigned
 *	  GetObject), which use S3's rules (no normalization, single encoding,
 *	  x-amz-content-sha256, UNSIGNED-PAYLOAD).
 *	- Refusals (missing Host, header injection, malformed credentials),
 *	  no secret in any output, and concurrent signing from 4 threads.
 *
 * libcurl's CURLOPT_AWS_SIGV4 (curl 7.88.1 here) was measured against the
 * same suite (30 of 38 cases): see sigv4.c's banner.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <jansson.h>

#include "cq_sdk.h"
#include "sigv4.h"
#include "cqtest.h"

#define MAX_HDRS 32

typedef struct TReq
{
	char	   *method;
	char	   *path;
	char	   *query;
	char	   *names[MAX_HDRS];
	char	   *values[MAX_HDRS];
	CqpSigv4Header h[MAX_HDRS];
	size_t		nh;
	char	   *body;
	size_t		body_len;
} TReq;

static char *
slurp(const char *dir, const char *name, size_t *lenp)
{
	char		path[8400];
	FILE	   *f;
	char	   *buf = NULL;
	size_t		n = 0,
				cap = 0,
				r;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "rb");
	if (!f)
		return NULL;
	do
	{
		if (n + 4096 + 1 > cap)
		{
			cap = cap ? cap * 2 : 8192;
			buf = realloc(buf, cap);
		}
		r = fread(buf + n, 1, cap - n - 1, f);
		n += r;
	} while (r > 0);
	fclose(f);
	buf[n] = '\0';
	if (lenp)
		*lenp = n;
	return buf;
}

static void
treq_free(TReq *r)
{
	size_t		i;

	free(r->method);
	free(r->path);
	free(r->query);
	free(r->body);
	for (i = 0; i < r->nh; i++)
	{
		free(r->names[i]);
		free(r->values[i]);
	}
	memset(r, 0, sizeof(*r));
}

/*
 * Parse the suite's raw request: "METHOD target HTTP/1.1" (target may hold
 * spaces), header lines (continuations start with SP/HT and are kept with
 * their line break: the signer must unfold them), blank line, body.
 */
static bool
parse_request(const char *text, size_t len, TReq *r)
{
	const char *p = text,
			   *end = text + len;
	const char *eol = memchr(p, '\n', end - p);
	const char *sp1,
			   *sp2,
			   *q;

	memset(r, 0, sizeof(*r));
	if (!eol)
		eol = end;
	sp1 = memchr(p, ' ', eol - p);
	for (sp2 = eol - 1; sp2 > p && *sp2 != ' '; sp2--)
		;
	if (!sp1 || sp2 <= sp1)
		return false;
	r->method = strndup(p, sp1 - p);
	q = memchr(sp1 + 1, '?', sp2 - sp1 - 1);
	r->path = strndup(sp1 + 1, (q ? q : sp2) - sp1 - 1);
	r->query = q ? strndup(q + 1, sp2 - q - 1) : strdup("");
	p = eol < end ? eol + 1 : end;
	while (p < end)
	{
		const char *colon;
		size_t		ll;

		eol = memchr(p, '\n', end - p);
		if (!eol)
			eol = end;
		ll = eol - p;
		if (ll > 0 && p[ll - 1] == '\r')
			ll--;
		if (ll == 0)
		{
			p = eol < end ? eol + 1 : end;
			break;
		}
		if ((*p == ' ' || *p == '\t') && r->nh > 0)
		{
			char	   *v = r->values[r->nh - 1];
			size_t		vl = strlen(v);

			v = realloc(v, vl + 1 + ll + 1);
			v[vl] = '\n';
			memcpy(v + vl + 1, p, ll);
			v[vl + 1 + ll] = '\0';
			r->values[r->nh - 1] = v;
		}
		else
		{
			colon = memchr(p, ':', ll);
			if (!colon || r->nh >= MAX_HDRS)
				return false;
			r->names[r->nh] = strndup(p, colon - p);
			r->values[r->nh] = strndup(colon + 1, p + ll - colon - 1);
			r->nh++;
		}
		p = eol < end ? eol + 1 : end;
	}
	r->body_len = end - p;
	r->body = malloc(r->body_len + 1);
	memcpy(r->body, p, r->body_len);
	r->body[r->body_len] = '\0';
	for (size_t i = 0; i < r->nh; i++)
	{
		r->h[i].name = r->names[i];
		r->h[i].value = r->values[i];
	}
	return true;
}

/* Is "Name:value" (name case-insensitive) a line of the signed request? */
static bool
has_line(const char *signed_req, const char *name, const char *value)
{
	const char *p = signed_req;
	size_t		nl = strlen(name),
				vl = strlen(value);

	while (p && *p)
	{
		const char *eol = strchr(p, '\n');
		size_t		ll = eol ? (size_t) (eol - p) : strlen(p);

		if (ll == nl + 1 + vl && strncasecmp(p, name, nl) == 0 && p[nl] == ':' &&
			memcmp(p + nl + 1, value, vl) == 0)
			return true;
		p = eol ? eol + 1 : NULL;
	}
	return false;
}

/* Header lines (excluding the request line) of a raw request. */
static int
count_header_lines(const char *text)
{
	int			n = 0;
	const char *p = strchr(text, '\n');

	while (p && p[1] && p[1] != '\n' && !(p[1] == '\r' && p[2] == '\n'))
	{
		if (p[1] != ' ' && p[1] != '\t')
			n++;
		p = strchr(p + 1, '\n');
	}
	return n;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *) a, *(char *const *) b);
}

/* Percent-decode in place (the suite's signed requests keep raw UTF-8). */
static void
pct_decode(char *s)
{
	char	   *o = s;

	for (; *s; s++)
	{
		unsigned int c;

		if (*s == '%' && sscanf(s + 1, "%2x", &c) == 1 && s[1] && s[2])
		{
			*o++ = (char) c;
			s += 2;
		}
		else
			*o++ = *s;
	}
	*o = '\0';
}

/* Sorted '&'-split of a query, each part percent-decoded; returns count,
 * fills parts (strdup'd). */
static int
split_query(const char *q, char **parts, int max)
{
	int			n = 0;

	while (q && *q && n < max)
	{
		const char *amp = strchr(q, '&');
		size_t		l = amp ? (size_t) (amp - q) : strlen(q);

		parts[n] = strndup(q, l);
		pct_decode(parts[n++]);
		q = amp ? amp + 1 : NULL;
	}
	qsort(parts, n, sizeof(char *), cmp_str);
	return n;
}

/* Query of the request line of a presigned request text. */
static char *
signed_query(const char *text)
{
	const char *eol = strchr(text, '\n');
	const char *q = memchr(text, '?', eol ? (size_t) (eol - text) : strlen(text));
	const char *sp = eol;

	if (!q || !eol)
		return NULL;
	while (sp > q && *sp != ' ')
		sp--;
	return strndup(q + 1, sp - q - 1);
}

static bool
same_query(const char *got, const char *want)
{
	char	   *a[64],
			   *b[64];
	int			na = split_query(got, a, 64),
				nb = split_query(want, b, 64),
				i;
	bool		same = (na == nb);

	for (i = 0; same && i < na; i++)
		same = strcmp(a[i], b[i]) == 0;
	for (i = 0; i < na; i++)
		free(a[i]);
	for (i = 0; i < nb; i++)
		free(b[i]);
	return same;
}

#define CASE_STR(name, what, got, want) \
	CQ_CHECKF((got) != NULL && (want) != NULL && strcmp((got), (want)) == 0, \
			  "case %s, %s:\n--- got\n%s\n--- expected\n%s", name, what, \
			  (got) ? (got) : "(null)", (want) ? (want) : "(missing file)")

static void
run_case(const char *root, const char *name)
{
	char		dir[8192];
	char	   *ctxt,
			   *reqtext;
	size_t		reqlen;
	json_t	   *ctx;
	json_error_t jerr;
	TReq		r;
	CqpSigv4Params p = {0};
	CqpSigv4Request rq = {0};
	CqpSigv4Result res;
	CqError		err;
	struct tm	tm = {0};
	const char *ts;
	int			mode;

	snprintf(dir, sizeof(dir), "%s/%s", root, name);
	ctxt = slurp(dir, "context.json", NULL);
	reqtext = slurp(dir, "request.txt", &reqlen);
	CQ_CHECKF(ctxt && reqtext, "case %s: context.json or request.txt unreadable", name);
	if (!ctxt || !reqtext)
	{
		free(ctxt);
		free(reqtext);
		return;
	}
	ctx = json_loads(ctxt, 0, &jerr);
	CQ_CHECKF(ctx != NULL, "case %s: context.json: %s", name, jerr.text);
	CQ_CHECKF(parse_request(reqtext, reqlen, &r), "case %s: request.txt unparsable", name);
	if (!ctx)
		goto out;

	p.access_key_id = json_string_value(json_object_get(json_object_get(ctx, "credentials"), "access_key_id"));
	p.secret_access_key = json_string_value(json_object_get(json_object_get(ctx, "credentials"), "secret_access_key"));
	p.session_token = json_string_value(json_object_get(json_object_get(ctx, "credentials"), "token"));
	p.region = json_string_value(json_object_get(ctx, "region"));
	p.service = json_string_value(json_object_get(ctx, "service"));
	ts = json_string_value(json_object_get(ctx, "timestamp"));
	CQ_CHECKF(ts && strptime(ts, "%Y-%m-%dT%H:%M:%SZ", &tm), "case %s: bad timestamp", name);
	p.when = timegm(&tm);
	p.expires = (long) json_integer_value(json_object_get(ctx, "expiration_in_seconds"));
	if (json_is_false(json_object_get(ctx, "normalize")))
		p.flags |= CQP_SIGV4_NO_NORMALIZE;
	if (json_is_true(json_object_get(ctx, "sign_body")))
		p.flags |= CQP_SIGV4_SIGN_BODY;
	if (json_is_true(json_object_get(ctx, "omit_session_token")))
		p.flags |= CQP_SIGV4_OMIT_TOKEN;

	rq.method = r.method;
	rq.path = r.path;
	rq.query = r.query;
	rq.headers = r.h;
	rq.nheaders = r.nh;
	rq.body = r.body;
	rq.body_len = r.body_len;

	for (mode = 0; mode < 2; mode++)
	{
		const char *pre = mode == 0 ? "header" : "query";
		char		fn[64];
		char	   *creq,
				   *sts,
				   *sig,
				   *sreq;
		bool		ok;

		snprintf(fn, sizeof(fn), "%s-canonical-request.txt", pre);
		creq = slurp(dir, fn, NULL);
		snprintf(fn, sizeof(fn), "%s-string-to-sign.txt", pre);
		sts = slurp(dir, fn, NULL);
		snprintf(fn, sizeof(fn), "%s-signature.txt", pre);
		sig = slurp(dir, fn, NULL);
		snprintf(fn, sizeof(fn), "%s-signed-request.txt", pre);
		sreq = slurp(dir, fn, NULL);

		ok = mode == 0 ? cqp_sigv4_sign(&rq, &p, &res, &err)
			: cqp_sigv4_presign(&rq, &p, &res, &err);
		CQ_CHECKF(ok, "case %s, %s signing failed: %s", name, pre, err.message);
		if (ok)
		{
			CASE_STR(name, mode == 0 ? "header canonical request" : "query canonical request",
					 res.canonical_request, creq);
			CASE_STR(name, mode == 0 ? "header string to sign" : "query string to sign",
					 res.string_to_sign, sts);
			CASE_STR(name, mode == 0 ? "header signature" : "query signature",
					 res.signature, sig);
			if (mode == 0 && sreq)
			{
				int			i;

				CQ_CHECKF(has_line(sreq, "Authorization", res.authorization),
						  "case %s: Authorization \"%s\" not in header-signed-request.txt",
						  name, res.authorization);
				/* every header we add is in the expected request, and no other */
				for (i = 0; i < res.nheaders; i++)
				{
					char	   *line = strdup(res.headers[i]);
					char	   *colon = strchr(line, ':');

					*colon = '\0';
					CQ_CHECKF(has_line(sreq, line, colon + 2),
							  "case %s: added header \"%s\" not in header-signed-request.txt",
							  name, res.headers[i]);
					free(line);
				}
				CQ_CHECKF(count_header_lines(sreq) - count_header_lines(reqtext) == res.nheaders,
						  "case %s: %d headers added, expected request has %d more",
						  name, res.nheaders, count_header_lines(sreq) - count_header_lines(reqtext));
			}
			if (mode == 1 && sreq)
			{
				char	   *want = signed_query(sreq);

				CQ_CHECKF(want && same_query(res.query, want),
						  "case %s: presigned query\n--- got\n%s\n--- expected (any order)\n%s",
						  name, res.query, want ? want : "(none)");
				free(want);
			}
			cqp_sigv4_result_free(&res);
		}
		free(creq);
		free(sts);
		free(sig);
		free(sreq);
	}
out:
	json_decref(ctx);
	treq_free(&r);
	free(ctxt);
	free(reqtext);
}

static const char *
suite_root(char *buf, size_t len)
{
	const char *env = getenv("CQ_SIGV4_SUITE");
	const char *fx = getenv("CQ_SHARED_FIXTURES");
	char		probe[4200];
	FILE	   *f;

	if (env && *env)
		snprintf(buf, len, "%s", env);
	else if (fx && *fx)
		snprintf(buf, len, "%s/../aws-sigv4-test-suite", fx);
	else
		snprintf(buf, len, "../shared/aws-sigv4-test-suite");
	snprintf(probe, sizeof(probe), "%s/get-vanilla/context.json", buf);
	f = fopen(probe, "r");
	if (!f)
		return NULL;
	fclose(f);
	return buf;
}

static int
cmp_dirent_name(const void *a, const void *b)
{
	return strcmp(*(char *const *) a, *(char *const *) b);
}

static void
test_aws_suite(void)
{
	char		rootbuf[4096];
	const char *root = suite_root(rootbuf, sizeof(rootbuf));
	DIR		   *d;
	struct dirent *de;
	char	   *names[256];
	int			n = 0,
				i,
				failed_before = cqt_failed;

	if (root == NULL)
	{
		cqt_skip("sigv4 AWS test suite", "../shared/aws-sigv4-test-suite absent (set CQ_SIGV4_SUITE)");
		return;
	}
	d = opendir(root);
	CQ_CHECK(d != NULL);
	if (!d)
		return;
	while ((de = readdir(d)) != NULL && n < 256)
	{
		char		probe[4400];
		FILE	   *f;

		if (de->d_name[0] == '.')
			continue;
		snprintf(probe, sizeof(probe), "%s/%s/context.json", root, de->d_name);
		f = fopen(probe, "r");
		if (!f)
			continue;
		fclose(f);
		names[n++] = strdup(de->d_name);
	}
	closedir(d);
	qsort(names, n, sizeof(char *), cmp_dirent_name);
	for (i = 0; i < n; i++)
	{
		int			before = cqt_failed;

		run_case(root, names[i]);
		if (cqt_failed != before)
			fprintf(stderr, "FAIL sigv4 case %s\n", names[i]);
		free(names[i]);
	}
	/* the suite has 38 cases; fewer means a broken copy, not a pass */
	CQ_CHECKF(n >= 38, "only %d cases found in %s", n, root);
	printf("sigv4: %d AWS suite cases (header and query signing), %d failed checks\n",
		   n, cqt_failed - failed_before);
}

/* ---------------------------------------------------------------------- */

#define S3_AK "AKIAIOSFODNN7EXAMPLE"
#define S3_SK "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
#define EMPTY_SHA "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

static CqpSigv4Params
s3_params(void)
{
	CqpSigv4Params p = {0};

	p.access_key_id = S3_AK;
	p.secret_access_key = S3_SK;
	p.region = "us-east-1";
	p.service = "s3";
	p.when = 1369353600;		/* 2013-05-24T00:00:00Z */
	p.flags = CQP_SIGV4_S3;
	return p;
}

/* The examples of S3's "Signature Calculations" documentation. */
static void
test_s3_examples(void)
{
	CqpSigv4Header h1[] = {{"Host", "examplebucket.s3.amazonaws.com"}, {"Range", "bytes=0-9"}};
	CqpSigv4Header h2[] = {{"Host", "examplebucket.s3.amazonaws.com"}};
	CqpSigv4Request rq = {"GET", "/test.txt", NULL, h1, 2};
	CqpSigv4Params p = s3_params();
	CqpSigv4Result res;
	CqError		err;

	CQ_CHECK(cqp_sigv4_sign(&rq, &p, &res, &err));
	CQ_CHECK_STR(res.canonical_request,
				 "GET\n/test.txt\n\nhost:examplebucket.s3.amazonaws.com\nrange:bytes=0-9\n"
				 "x-amz-content-sha256:" EMPTY_SHA "\nx-amz-date:20130524T000000Z\n\n"
				 "host;range;x-amz-content-sha256;x-amz-date\n" EMPTY_SHA);
	CQ_CHECK_STR(res.authorization,
				 "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
				 "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, "
				 "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
	CQ_CHECK(res.nheaders == 3);
	CQ_CHECK_STR(res.headers[1], "x-amz-content-sha256: " EMPTY_SHA);
	cqp_sigv4_result_free(&res);

	/* ListObjects: query sorted and signed */
	rq.path = "/";
	rq.query = "max-keys=2&prefix=J";
	rq.headers = h2;
	rq.nheaders = 1;
	CQ_CHECK(cqp_sigv4_sign(&rq, &p, &res, &err));
	CQ_CHECK_STR(res.signature, "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7");
	cqp_sigv4_result_free(&res);

	/* presigned GetObject, one day */
	rq.path = "/test.txt";
	rq.query = NULL;
	rq.payload_hash = "UNSIGNED-PAYLOAD";
	p.expires = 86400;
	CQ_CHECK(cqp_sigv4_presign(&rq, &p, &res, &err));
	CQ_CHECK_STR(res.signature, "aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404");
	CQ_CHECK(res.query && strstr(res.query, "X-Amz-Expires=86400&") != NULL);
	CQ_CHECK(res.nheaders == 0);
	cqp_sigv4_result_free(&res);
}

/* Path and query encoding rules the suite does not cover. */
static void
test_encoding(void)
{
	CqpSigv4Header h[] = {{"host", "example.amazonaws.com"}};
	CqpSigv4Request rq = {"GET", "/a%20b//c/../d", "b=x+y&a=%7e&a=", h, 1};
	CqpSigv4Params p = s3_params();
	CqpSigv4Result res;
	CqError		err;
	char	   *e;

	p.service = "ec2";
	p.flags = 0;
	/* non-S3: normalized, then the wire path encoded again */
	CQ_CHECK(cqp_sigv4_sign(&rq, &p, &res, &err));
	CQ_CHECK(res.canonical_request &&
			 strncmp(res.canonical_request, "GET\n/a%2520b/d\na=&a=~&b=x%2By\n", 30) == 0);
	cqp_sigv4_result_free(&res);
	/* S3: path kept as sent, encoded once */
	p.flags = CQP_SIGV4_S3;
	CQ_CHECK(cqp_sigv4_sign(&rq, &p, &res, &err));
	CQ_CHECK(res.canonical_request &&
			 strncmp(res.canonical_request, "GET\n/a%20b//c/../d\n", 19) == 0);
	cqp_sigv4_result_free(&res);

	e = cqp_sigv4_uri_encode("a/b c~\xc3\xa9", 8, false);
	CQ_CHECK_STR(e, "a%2Fb%20c~%C3%A9");
	free(e);
}

static void
test_refusals(void)
{
	CqpSigv4Header ok_h[] = {{"Host", "ec2.us-east-1.amazonaws.com"}};
	CqpSigv4Header nohost[] = {{"Content-Type", "text/plain"}};
	CqpSigv4Header inject[] = {{"Host", "ec2.us-east-1.amazonaws.com"},
	{"X-Foo", "a\r\nX-Evil: 1"}};
	CqpSigv4Header own_date[] = {{"Host", "h"}, {"X-Amz-Date", "20150830T123600Z"}};
	CqpSigv4Request rq = {"GET", "/", NULL, nohost, 1};
	CqpSigv4Params p = s3_params();
	CqpSigv4Result res;
	CqError		err;

	p.service = "ec2";
	p.flags = 0;
	CQ_CHECK(!cqp_sigv4_sign(&rq, &p, &res, &err) && err.kind == CQ_ERR_CONFIG);
	CQ_CHECK(res.authorization == NULL && res.nheaders == 0);
	rq.headers = inject;
	rq.nheaders = 2;
	CQ_CHECK(!cqp_sigv4_sign(&rq, &p, &res, &err) && err.kind == CQ_ERR_CONFIG);
	rq.headers = own_date;
	CQ_CHECK(!cqp_sigv4_sign(&rq, &p, &res, &err) && err.kind == CQ_ERR_CONFIG);
	rq.headers = ok_h;
	rq.nheaders = 1;
	p.session_token = "SECRETTOK\nX-Evil: 1";
	CQ_CHECK(!cqp_sigv4_sign(&rq, &p, &res, &err) && err.kind == CQ_ERR_CONFIG);
	CQ_CHECK(strstr(err.message, "SECRETTOK") == NULL);
	p.session_token = NULL;
	p.region = "us-east-1/../x";
	CQ_CHECK(!cqp_sigv4_sign(&rq, &p, &res, &err) && err.kind == CQ_ERR_CONFIG);
	p.region = "us-east-1";
	p.secret_access_key = "";
	CQ_CHECK(!cqp_sigv4_sign(&rq, &p, &res, &err) && err.kind == CQ_ERR_CONFIG);
	p.secret_access_key = S3_SK;
	CQ_CHECK(!cqp_sigv4_presign(&rq, &p, &res, &err) && err.kind == CQ_ERR_CONFIG);	/* expires 0 */

	/* the secret appears nowhere */
	p.session_token = "SESSIONTOKEN";
	CQ_CHECK(cqp_sigv4_sign(&rq, &p, &res, &err));
	CQ_CHECK(strstr(res.canonical_request, S3_SK) == NULL &&
			 strstr(res.string_to_sign, S3_SK) == NULL &&
			 strstr(res.authorization, S3_SK) == NULL &&
			 strstr(res.authorization, "K7MDENG") == NULL);
	CQ_CHECK(res.nheaders == 3);
	CQ_CHECK_STR(res.headers[1], "X-Amz-Security-Token: SESSIONTOKEN");
	cqp_sigv4_result_free(&res);
}

typedef struct ThrArg
{
	char		sig[65];
	bool		all_same;
} ThrArg;

static void *
sign_loop(void *arg)
{
	ThrArg	   *a = arg;
	CqpSigv4Header h[] = {{"Host", "examplebucket.s3.amazonaws.com"}, {"Range", "bytes=0-9"}};
	CqpSigv4Request rq = {"GET", "/test.txt", NULL, h, 2};
	CqpSigv4Params p = s3_params();
	int			i;

	a->all_same = true;
	for (i = 0; i < 500; i++)
	{
		CqpSigv4Result res;
		CqError		err;

		if (!cqp_sigv4_sign(&rq, &p, &res, &err))
		{
			a->all_same = false;
			break;
		}
		if (i == 0)
			memcpy(a->sig, res.signature, 65);
		else if (strcmp(a->sig, res.signature) != 0)
			a->all_same = false;
		cqp_sigv4_result_free(&res);
	}
	return NULL;
}

static void
test_threads(void)
{
	pthread_t	t[4];
	ThrArg		a[4];
	int			i;

	for (i = 0; i < 4; i++)
		pthread_create(&t[i], NULL, sign_loop, &a[i]);
	for (i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	for (i = 0; i < 4; i++)
		CQ_CHECK(a[i].all_same &&
				 strcmp(a[i].sig, "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41") == 0);
}

void
suite_sigv4(void)
{
	test_aws_suite();
	test_s3_examples();
	test_encoding();
	test_refusals();
	test_threads();
}
