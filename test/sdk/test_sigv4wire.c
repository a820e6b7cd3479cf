/*
 * test_sigv4wire.c -- SigV4 on the wire: jobs and transfers of a source with
 * auth "sigv4" against the mock's verifying routes /aws/<region>/<service>/
 * (test/mock/mock_api.py recomputes every signature with Python's hmac and
 * answers 403 SignatureDoesNotMatch / InvalidClientTokenId as AWS does).
 *
 * What a user would notice: the right credentials read every row (each
 * page, each retry, each same-origin redirect hop signed at its own time,
 * unsorted and encoded query parameters, a form-encoded POST body, a
 * session token); a wrong secret, a missing token or a stale clock fail
 * with the AWS error code and request id and never show the secret; a
 * redirect to another origin carries no signature.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#include "cq_sdk.h"
#include "cq_sdk_int.h"
#include "cqtest.h"
#include "jobtest.h"
#include "sigv4.h"

void		suite_sigv4wire(void);

#define EXAMPLE_SECRET "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
/* the mock's temporary key pair (built like the mock builds it) */
#define CANARY "cq-canary-" "7f3e9a1d"

static CqSourceDef *
sigv4_source(const char *scope, const char *endpoint, const char *pagination)
{
	char		js[4096];
	CqError		err;
	CqSourceDef *src;

	snprintf(js, sizeof(js),
			 "{\"name\":\"aws_t\",\"auth\":\"sigv4\",\"sigv4\":\"%s\",\"base_url\":\"http://x\","
			 "\"headers\":[\"Accept: application/json\",\"X-Amz-Target: Mock_20260101.ListItems\"],"
			 "\"tables\":[{\"name\":\"t\",\"endpoint\":\"%s\",\"rows\":\"/items\"%s%s,"
			 "\"columns\":[{\"name\":\"id\",\"type\":\"int\"}]}]}",
			 scope, endpoint, pagination ? ",\"pagination\":" : "", pagination ? pagination : "");
	memset(&err, 0, sizeof(err));
	src = cq_spec_parse(js, strlen(js), &err);
	CQ_CHECKF(src != NULL, "%s", err.message);
	return src;
}

static CqJobState
run_signed(CqSourceDef *src, const CqCredentials *cred, H3Job *j)
{
	h3_params(j, NULL);
	j->p.table = &src->tables[0];
	j->p.source = src;
	j->p.nout = 1;
	j->p.out_cols = j->cols;
	j->cols[0] = 0;
	j->id_col = 0;
	j->p.cred = *cred;
	return h3_run(j);
}

/* The mock's log of route: number of requests, how many verified. */
static json_t *
mock_requests(const char *route)
{
	char		q[512];
	char	   *b;
	json_t	   *doc;

	snprintf(q, sizeof(q), "/_mock/requests?route=%s", route);
	b = cqt_mock_get(q);
	doc = json_loads(b, 0, NULL);
	free(b);
	return doc;
}

static int
count_verified(json_t *doc, int *total)
{
	size_t		i;
	json_t	   *r;
	int			ok = 0;

	*total = 0;
	json_array_foreach(json_object_get(doc, "requests"), i, r)
	{
		json_t	   *s = json_object_get(r, "sigv4");

		(*total)++;
		if (json_is_true(json_object_get(s, "ok")) &&
			json_integer_value(json_object_get(r, "status")) == 200)
			ok++;
	}
	return ok;
}

static const char *
req_sig(json_t *doc, size_t i, const char *field)
{
	json_t	   *r = json_array_get(json_object_get(doc, "requests"), i);
	json_t	   *v = json_object_get(json_object_get(r, "sigv4"), field);

	return json_is_string(v) ? json_string_value(v) : "";
}

static bool
err_has(const CqError *e, const char *needle)
{
	return strstr(e->message, needle) || strstr(e->api_message, needle) ||
		strstr(e->url, needle) || strstr(e->api_code, needle) ||
		strstr(e->request_id, needle) || strstr(e->unit, needle);
}

/*
 * GET with query parameters in no particular order, percent-encoded, with
 * upper-case names and '~', over 3 pages (next_token): every page signed
 * and verified; the source headers (X-Amz-Target) are signed too.
 */
static void
test_get_pages(void)
{
	H3Job		j;
	CqCredentials cred = {NULL, "AKIDEXAMPLE", EXAMPLE_SECRET};
	CqSourceDef *src;
	json_t	   *doc;
	int			total,
				ok;

	h3_mock("/_mock/reset");
	src = sigv4_source("aws:amz:us-east-1:execute-api",
					   "/aws/us-east-1/execute-api/gen/next_token/items?shape=small&n=25&per_page=10"
					   "&Zeta=a%20b%2Fc&alpha=~x&Beta=%C3%A9",
					   "{\"type\":\"next_token\",\"next\":\"/nextPageToken\",\"next_param\":\"pageToken\"}");
	if (!src)
		return;
	CQ_CHECKF(run_signed(src, &cred, &j) == CQ_JOB_DONE, "%s (%s)", j.err.message, j.err.api_message);
	CQ_CHECK(j.rows == 25 && j.distinct == 25);
	doc = mock_requests("/aws/us-east-1/execute-api/gen/next_token/items");
	ok = count_verified(doc, &total);
	CQ_CHECKF(total == 3 && ok == 3, "%d of %d pages verified", ok, total);
	CQ_CHECKF(strcmp(req_sig(doc, 0, "signed_headers"), "content-type") != 0 &&
			  strstr(req_sig(doc, 0, "signed_headers"), "x-amz-target") != NULL &&
			  strstr(req_sig(doc, 0, "signed_headers"), "host") != NULL,
			  "signed: %s", req_sig(doc, 0, "signed_headers"));
	CQ_CHECK_STR(req_sig(doc, 0, "scope") + 9, "us-east-1/execute-api");
	if (ok == 3)
		printf("  3 pages, each signed and verified by the mock (signed headers %s; first %s)\n",
		   req_sig(doc, 0, "signed_headers"),
		   json_string_value(json_object_get(json_array_get(json_object_get(doc, "requests"), 0), "path")));
	json_decref(doc);
	h3_done(&j);
	cq_source_def_free(src);
}

/*
 * A wrong secret: 403 SignatureDoesNotMatch with the request id, no retry,
 * and neither secret in the error.  The mock's scope check: a signature for
 * another region fails too (the test is not real if a wrong one passes).
 */
static void
test_wrong_secret(void)
{
	H3Job		j;
	CqCredentials cred = {NULL, "AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYWRONGKEY"};
	CqSourceDef *src;

	h3_mock("/_mock/reset");
	src = sigv4_source("aws:amz:us-east-1:execute-api",
					   "/aws/us-east-1/execute-api/gen/page/items?n=5&shape=small", NULL);
	if (!src)
		return;
	CQ_CHECK(run_signed(src, &cred, &j) == CQ_JOB_FAILED);
	CQ_CHECKF(j.err.kind == CQ_ERR_HTTP && j.err.http_status == 403, "kind %d status %d",
			  j.err.kind, j.err.http_status);
	CQ_CHECK_STR(j.err.api_code, "SignatureDoesNotMatch");
	CQ_CHECK_STR(j.err.request_id, "mock-request-000001");
	CQ_CHECKF(strstr(j.err.api_message, "signature we calculated") != NULL, "%s", j.err.api_message);
	CQ_CHECK(!err_has(&j.err, "WRONGKEY") && !err_has(&j.err, EXAMPLE_SECRET));
	CQ_CHECK(j.st.requests == 1);
	h3_done(&j);
	cq_source_def_free(src);

	/* right secret, wrong region in the scope */
	cred.secret = EXAMPLE_SECRET;
	h3_mock("/_mock/reset");
	src = sigv4_source("aws:amz:eu-west-1:execute-api",
					   "/aws/us-east-1/execute-api/gen/page/items?n=5&shape=small", NULL);
	if (!src)
		return;
	CQ_CHECK(run_signed(src, &cred, &j) == CQ_JOB_FAILED);
	CQ_CHECKF(j.err.http_status == 403 && strcmp(j.err.api_code, "SignatureDoesNotMatch") == 0 &&
			  strstr(j.err.api_message, "region") != NULL,
			  "%d %s %s", j.err.http_status, j.err.api_code, j.err.api_message);
	h3_done(&j);
	cq_source_def_free(src);

	/* an unknown access key id */
	cred.user = "AKIDUNKNOWN0000";
	h3_mock("/_mock/reset");
	src = sigv4_source("aws:amz:us-east-1:execute-api",
					   "/aws/us-east-1/execute-api/gen/page/items?n=5&shape=small", NULL);
	if (!src)
		return;
	CQ_CHECK(run_signed(src, &cred, &j) == CQ_JOB_FAILED);
	CQ_CHECK_STR(j.err.api_code, "InvalidClientTokenId");
	h3_done(&j);
	cq_source_def_free(src);
}

/*
 * Temporary credentials: the session token goes out as X-Amz-Security-Token
 * and is signed; without it (or with another one) the mock refuses the key
 * with InvalidClientTokenId; the token never shows in an error.
 */
static void
test_session_token(void)
{
	H3Job		j;
	CqCredentials cred = {NULL, "ASIACQCANARY", CANARY "/aws-temp-secret",
	CANARY "-session-token"};
	CqSourceDef *src;
	json_t	   *doc;
	int			total,
				ok;

	h3_mock("/_mock/reset");
	src = sigv4_source("aws:amz:eu-central-1:lambda",
					   "/aws/eu-central-1/lambda/gen/page/items?n=7&shape=small", NULL);
	if (!src)
		return;
	CQ_CHECKF(run_signed(src, &cred, &j) == CQ_JOB_DONE, "%s (%s)", j.err.message, j.err.api_message);
	CQ_CHECK(j.rows == 7);
	doc = mock_requests("/aws/eu-central-1/lambda/");
	ok = count_verified(doc, &total);
	CQ_CHECKF(total == 1 && ok == 1, "%d of %d verified", ok, total);
	CQ_CHECKF(strstr(req_sig(doc, 0, "signed_headers"), "x-amz-security-token") != NULL,
			  "signed: %s", req_sig(doc, 0, "signed_headers"));
	json_decref(doc);
	h3_done(&j);

	/* no token: refused */
	cred.session_token = NULL;
	h3_mock("/_mock/reset");
	CQ_CHECK(run_signed(src, &cred, &j) == CQ_JOB_FAILED);
	CQ_CHECK(j.err.http_status == 403);
	CQ_CHECK_STR(j.err.api_code, "InvalidClientTokenId");
	CQ_CHECK(!err_has(&j.err, CANARY));
	h3_done(&j);

	/* another token: refused, and it is not echoed */
	cred.session_token = CANARY "-another-token";
	h3_mock("/_mock/reset");
	CQ_CHECK(run_signed(src, &cred, &j) == CQ_JOB_FAILED);
	CQ_CHECK_STR(j.err.api_code, "InvalidClientTokenId");
	CQ_CHECK(!err_has(&j.err, CANARY));
	h3_done(&j);
	cq_source_def_free(src);
}

/*
 * A 503 is retried, and the retry is signed again at its own time: the
 * mock asks to wait 1 s (Retry-After), so the retry's X-Amz-Date is a
 * later second than the first attempt's; both verify.  A signature made
 * once and reused would carry the same date.
 */
static void
test_retry_resigned(void)
{
	H3Job		j;
	CqCredentials cred = {NULL, "AKIDEXAMPLE", EXAMPLE_SECRET};
	CqSourceDef *src;
	json_t	   *doc;
	int			total,
				ok;

	h3_mock("/_mock/reset");
	h3_mock("/_mock/fault?route=/aws/us-west-2/ec2/gen/page/retry&mode=503&count=1&retry_after=1");
	src = sigv4_source("aws:amz:us-west-2:ec2",
					   "/aws/us-west-2/ec2/gen/page/retry?n=4&shape=small", NULL);
	if (!src)
		return;
	CQ_CHECKF(run_signed(src, &cred, &j) == CQ_JOB_DONE, "%s (%s)", j.err.message, j.err.api_message);
	CQ_CHECK(j.rows == 4 && j.st.retries == 1);
	doc = mock_requests("/aws/us-west-2/ec2/gen/page/retry");
	ok = count_verified(doc, &total);
	/* the first attempt verified too (then the fault answered 503) */
	CQ_CHECKF(total == 2 && ok == 1, "%d of %d", ok, total);
	CQ_CHECKF(req_sig(doc, 0, "amz_date")[0] && req_sig(doc, 1, "amz_date")[0] &&
			  strcmp(req_sig(doc, 0, "amz_date"), req_sig(doc, 1, "amz_date")) < 0,
			  "first %s, retry %s", req_sig(doc, 0, "amz_date"), req_sig(doc, 1, "amz_date"));
	{
		json_t	   *r0 = json_array_get(json_object_get(doc, "requests"), 0);

		CQ_CHECK(json_is_true(json_object_get(json_object_get(r0, "sigv4"), "ok")) &&
				 json_integer_value(json_object_get(r0, "status")) == 503);
	}
	if (ok == 1 && total == 2)
		printf("  retry re-signed: X-Amz-Date %s then %s\n", req_sig(doc, 0, "amz_date"),
		   req_sig(doc, 1, "amz_date"));
	json_decref(doc);
	h3_done(&j);
	cq_source_def_free(src);
	h3_mock("/_mock/faults?clear=1");
}

/*
 * The mock's clock 1 hour ahead: our X-Amz-Date is stale for it, as AWS
 * says of a request older than 15 minutes ("Signature expired").  The same
 * job passes with the clocks in step (test_get_pages): the signer uses the
 * real time.
 */
static void
test_stale_clock(void)
{
	H3Job		j;
	CqCredentials cred = {NULL, "AKIDEXAMPLE", EXAMPLE_SECRET};
	CqSourceDef *src;

	h3_mock("/_mock/reset");
	h3_mock("/_mock/aws?skew_s=3600");
	src = sigv4_source("aws:amz:us-east-1:sts", "/aws/us-east-1/sts/gen/page/items?n=2&shape=small", NULL);
	if (!src)
		return;
	CQ_CHECK(run_signed(src, &cred, &j) == CQ_JOB_FAILED);
	CQ_CHECK_STR(j.err.api_code, "SignatureDoesNotMatch");
	CQ_CHECKF(strstr(j.err.api_message, "Signature expired") != NULL, "%s", j.err.api_message);
	h3_done(&j);
	cq_source_def_free(src);
	h3_mock("/_mock/aws?skew_s=0");
}

/*
 * Redirects: to the same origin the next hop is signed again (its own
 * path); to another origin (localhost vs 127.0.0.1) it carries no
 * Authorization, no X-Amz-Security-Token.
 */
static void
test_redirects(void)
{
	H3Job		j;
	CqCredentials cred = {NULL, "ASIACQCANARY", CANARY "/aws-temp-secret",
	CANARY "-session-token"};
	CqSourceDef *src;
	json_t	   *doc;
	int			total,
				ok;
	char		ep[1024];
	const char *port = strrchr(cqt_mock_url(), ':');

	h3_mock("/_mock/reset");
	src = sigv4_source("aws:amz:us-east-1:s3",
					   "/aws/us-east-1/s3/redirect?to=/aws/us-east-1/s3/gen/page/moved%3Fn%3D3%26shape%3Dsmall",
					   NULL);
	if (!src)
		return;
	CQ_CHECKF(run_signed(src, &cred, &j) == CQ_JOB_DONE, "%s (%s)", j.err.message, j.err.api_message);
	CQ_CHECK(j.rows == 3);
	doc = mock_requests("/aws/us-east-1/s3/");
	ok = 0;
	total = 0;
	{
		size_t		i;
		json_t	   *r;

		json_array_foreach(json_object_get(doc, "requests"), i, r)
		{
			total++;
			if (json_is_true(json_object_get(json_object_get(r, "sigv4"), "ok")))
				ok++;
		}
	}
	CQ_CHECKF(total == 2 && ok == 2, "same-origin redirect: %d of %d verified", ok, total);
	/* S3 signs the payload hash header */
	CQ_CHECKF(strstr(req_sig(doc, 1, "signed_headers"), "x-amz-content-sha256") != NULL,
			  "%s", req_sig(doc, 1, "signed_headers"));
	json_decref(doc);
	h3_done(&j);
	cq_source_def_free(src);

	h3_mock("/_mock/reset");
	snprintf(ep, sizeof(ep),
			 "/aws/us-east-1/s3/redirect?to=http://localhost%s/gen/page/xo%%3Fn%%3D2%%26shape%%3Dsmall",
			 port ? port : ":18080");
	src = sigv4_source("aws:amz:us-east-1:s3", ep, NULL);
	if (!src)
		return;
	CQ_CHECKF(run_signed(src, &cred, &j) == CQ_JOB_DONE, "%s (%s)", j.err.message, j.err.api_message);
	CQ_CHECK(j.rows == 2);
	doc = mock_requests("/gen/page/xo");
	{
		json_t	   *r = json_array_get(json_object_get(doc, "requests"), 0);

		CQ_CHECKF(r && strcmp(json_string_value(json_object_get(r, "auth")), "none") == 0,
				  "the other origin got a credential");
	}
	json_decref(doc);
	h3_done(&j);
	cq_source_def_free(src);
}

/* One transfer through http.c alone (the way the scheduler drives it). */
static CqpOutcome
one_transfer(CqpHttp *h, CqpReq *req, CqError *err)
{
	long		wait_ms;
	CURLcode	rc;

	if (!cqp_http_prepare(h, req, true, err))
		return CQP_FAIL;
	rc = curl_easy_perform(req->easy);
	return cqp_http_finish(h, req, (int) rc, cqp_now_ms(), &wait_ms, err);
}

/*
 * The EC2/Query protocol shape: a form-encoded POST (Action=DescribeRegions
 * &Version=2016-11-15), its Content-Type and its SHA-256 signed; the XML
 * reply arrives.  With a wrong secret the EC2 XML error gives the code and
 * the RequestID.  A fixed signing time two days old is refused as expired
 * (the test hook sigv4_fixed_time reaches the signature).
 */
static void
test_post_form(void)
{
	static const char body[] = "Action=DescribeRegions&Version=2016-11-15";
	CqJobParams params;
	CqSourceDef *src;
	CqpAcct    *acct = cqp_acct_new();
	CqpHttp		h;
	CqpReq		req;
	CqError		err;
	char		url[512];
	char		sha[65];
	json_t	   *doc;

	h3_mock("/_mock/reset");
	src = sigv4_source("aws:amz:us-east-1:ec2", "/x", NULL);
	if (!src || !acct)
		return;
	memset(&params, 0, sizeof(params));
	params.source = src;
	params.cred.user = "AKIDEXAMPLE";
	params.cred.secret = EXAMPLE_SECRET;
	cq_job_settings_default(&params.settings);
	memset(&err, 0, sizeof(err));
	CQ_CHECKF(cqp_http_init(&h, &params, acct, &err), "%s", err.message);
	snprintf(url, sizeof(url), "%s/aws/us-east-1/ec2/query", cqt_mock_url());

	memset(&req, 0, sizeof(req));
	req.url = url;
	req.post_body = body;
	req.post_len = strlen(body);
	req.content_type = "application/x-www-form-urlencoded; charset=utf-8";
	CQ_CHECKF(one_transfer(&h, &req, &err) == CQP_OK, "%d %s %s", err.http_status, err.api_code,
			  err.api_message);
	CQ_CHECKF(req.body.data && strstr(req.body.data, "<regionName>eu-west-1</regionName>") != NULL,
			  "%s", req.body.data ? req.body.data : "(none)");
	doc = mock_requests("/aws/us-east-1/ec2/query");
	cqp_sha256_hex(body, strlen(body), sha);
	CQ_CHECKF(strcmp(req_sig(doc, 0, "payload_sha256"), sha) == 0, "mock hashed %s, we %s",
			  req_sig(doc, 0, "payload_sha256"), sha);
	CQ_CHECKF(strstr(req_sig(doc, 0, "signed_headers"), "content-type") != NULL,
			  "%s", req_sig(doc, 0, "signed_headers"));
	CQ_CHECK(strcmp(json_string_value(json_object_get(json_array_get(json_object_get(doc, "requests"), 0),
													  "method")), "POST") == 0);
	json_decref(doc);
	cqp_http_reset(&req);
	cqp_http_cleanup(&h);

	/* wrong secret: EC2's XML error */
	params.cred.secret = "not-the-secret-key";
	CQ_CHECK(cqp_http_init(&h, &params, acct, &err));
	memset(&req, 0, sizeof(req));
	req.url = url;
	req.post_body = body;
	req.post_len = strlen(body);
	req.content_type = "application/x-www-form-urlencoded; charset=utf-8";
	CQ_CHECK(one_transfer(&h, &req, &err) == CQP_FAIL);
	CQ_CHECK(err.http_status == 403);
	CQ_CHECK_STR(err.api_code, "SignatureDoesNotMatch");
	CQ_CHECKF(strncmp(err.request_id, "mock-request-", 13) == 0, "%s", err.request_id);
	CQ_CHECKF(strstr(err.api_message, "signature we calculated") != NULL, "%s", err.api_message);
	cqp_http_reset(&req);
	cqp_http_cleanup(&h);

	/* the right secret, signed two days ago */
	params.cred.secret = EXAMPLE_SECRET;
	CQ_CHECK(cqp_http_init(&h, &params, acct, &err));
	h.sigv4_fixed_time = time(NULL) - 2 * 86400;
	memset(&req, 0, sizeof(req));
	req.url = url;
	req.post_body = body;
	req.post_len = strlen(body);
	req.content_type = "application/x-www-form-urlencoded; charset=utf-8";
	CQ_CHECK(one_transfer(&h, &req, &err) == CQP_FAIL);
	CQ_CHECKF(strstr(err.api_message, "Signature expired") != NULL, "%s", err.api_message);
	cqp_http_reset(&req);
	cqp_http_cleanup(&h);

	/* no credentials: a configuration error before anything is sent */
	params.cred.secret = NULL;
	CQ_CHECK(!cqp_http_init(&h, &params, acct, &err) && err.kind == CQ_ERR_CONFIG);
	CQ_CHECKF(strstr(err.message, "secret_access_key") != NULL, "%s", err.message);
	cqp_http_cleanup(&h);
	cqp_acct_unref(acct);
	cq_source_def_free(src);
}

void
suite_sigv4wire(void)
{
	if (!h3_mock_up())
		return;
	test_get_pages();
	test_wrong_secret();
	test_session_token();
	test_retry_resigned();
	test_stale_clock();
	test_redirects();
	test_post_form();
}
