/*
 * test_aws_cred.c -- AWS credential providers (src/sdk/cred.c):
 * static keys and roles assumed with STS AssumeRole, against the mock's STS
 * (/aws/us-east-1/sts/query), which verifies the SigV4 signature of the
 * base key, checks ExternalId when told to, and issues temporary keys that
 * its SigV4 check then accepts (with their session token) until they
 * expire.
 *
 * suite "aws_cred":
 *	- AssumeRole: the temporary key signs requests the mock accepts; it is
 *	  cached, renewed after its 2-second lifetime (the old one is refused
 *	  as ExpiredToken), refetched after invalidate; 8 threads make one
 *	  AssumeRole.
 *	- Refusals (wrong ExternalId, unknown role, wrong base secret, unknown
 *	  key) are CQ_ERR_HTTP with the AWS code and request id, setting
 *	  "role_arn", and no secret anywhere in the CqError.
 *	- GetCallerIdentity for a key; a role's account from its ARN without a
 *	  request; {account_id} substitution; configuration errors.
 *
 * Needs the mock (MOCK_URL).
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <jansson.h>

#include "cq_sdk.h"
#include "cred.h"
#include "sigv4.h"
#include "cqtest.h"

void		suite_aws_cred(void);

#define BASE_AKID	"AKIDEXAMPLE"
#define BASE_SECRET "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
#define ROLE		"arn:aws:iam::210987654321:role/reader"

static void
mock(const char *path)
{
	free(cqt_mock_get(path));
}

static long
mock_count(const char *prefix)
{
	char		q[512];
	char	   *body;
	json_t	   *doc;
	long		n = -1;

	snprintf(q, sizeof(q), "/_mock/stats?route=%s", prefix);
	body = cqt_mock_get(q);
	doc = json_loads(body, 0, NULL);
	if (doc)
		n = (long) json_integer_value(json_object_get(doc, "prefix_count"));
	json_decref(doc);
	free(body);
	return n;
}

static void
sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	nanosleep(&ts, NULL);
}

static bool
err_has(const CqError *err, const char *secret)
{
	size_t		n = strlen(secret) < 8 ? strlen(secret) : 8;

	return memmem(err, sizeof(*err), secret, n) != NULL;
}

static char sts_url[512];

static CqpCred *
role_cred(const char *akid, const char *secret, const char *role, const char *ext,
		  CqError *err)
{
	CqpCredConfig cc;

	memset(&cc, 0, sizeof(cc));
	memset(err, 0, sizeof(*err));
	cc.kind = CQP_CRED_AWS_ROLE;
	cc.access_key_id = akid;
	cc.secret_access_key = secret;
	cc.role_arn = role;
	cc.external_id = ext;
	cc.sts_url = sts_url;
	cc.max_retries = -1;
	return cqp_cred_new(&cc, err);
}

/*
 * GET a mock page signed with `k` (region us-east-1, service execute-api):
 * the HTTP status (200: the mock accepted the key; 403: refused), and the
 * AWS error code into code[64].
 */
static long
signed_get(const CqpAwsKeys *k, char code[64])
{
	char		url[600],
				host[256],
				hostline[300];
	const char *path = "/aws/us-east-1/execute-api/gen/link/items";
	const char *query = "n=2&shape=small";
	CqpSigv4Header hd[1];
	CqpSigv4Request sr;
	CqpSigv4Params sp;
	CqpSigv4Result res;
	CqError		err;
	CURL	   *h;
	struct curl_slist *hl = NULL;
	char	   *body = NULL;
	size_t		blen = 0;
	FILE	   *mem;
	long		status = 0;

	code[0] = '\0';
	snprintf(host, sizeof(host), "%s", strstr(cqt_mock_url(), "://") + 3);
	snprintf(url, sizeof(url), "%s%s?%s", cqt_mock_url(), path, query);
	hd[0].name = "Host";
	hd[0].value = host;
	memset(&sr, 0, sizeof(sr));
	sr.method = "GET";
	sr.path = path;
	sr.query = query;
	sr.headers = hd;
	sr.nheaders = 1;
	memset(&sp, 0, sizeof(sp));
	sp.access_key_id = k->access_key_id;
	sp.secret_access_key = k->secret_access_key;
	sp.session_token = k->session_token;
	sp.region = "us-east-1";
	sp.service = "execute-api";
	sp.when = time(NULL);
	if (!cqp_sigv4_sign(&sr, &sp, &res, &err))
		return -1;
	snprintf(hostline, sizeof(hostline), "Host: %s", host);
	hl = curl_slist_append(hl, hostline);
	for (int i = 0; i < res.nheaders; i++)
		hl = curl_slist_append(hl, res.headers[i]);
	mem = open_memstream(&body, &blen);
	h = curl_easy_init();
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hl);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, mem);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, 30L);
	if (curl_easy_perform(h) == CURLE_OK)
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_cleanup(h);
	curl_slist_free_all(hl);
	fclose(mem);
	if (body)
	{
		/* JSON protocol error: {"__type": code, ...} */
		json_t	   *j = json_loads(body, 0, NULL);
		const char *c = json_string_value(json_object_get(j, "__type"));

		if (c)
			snprintf(code, 64, "%s", c);
		json_decref(j);
	}
	free(body);
	cqp_sigv4_result_free(&res);
	return status;
}

static void
test_assume_role_refresh(void)
{
	CqError		err;
	CqpCred    *c;
	CqpCredStats st;
	CqpAwsKeys	k1,
				k2,
				k3;
	char		code[64];

	cqt_current = "aws_cred/assume_role_refresh";
	mock("/_mock/reset");
	mock("/_mock/aws?role_lifetime_s=2&external_id=ext-4711");
	c = role_cred(BASE_AKID, BASE_SECRET, ROLE, "ext-4711", &err);
	CQ_CHECKF(c != NULL, "%s", err.message);
	if (!c)
		return;
	CQ_CHECK(cqp_cred_kind(c) == CQP_CRED_AWS_ROLE);
	CQ_CHECKF(cqp_cred_get_aws(c, &k1, &err), "%s / %s / %s", err.message, err.api_code,
			  err.api_message);
	if (!k1.access_key_id)
	{
		cqp_cred_free(c);
		return;
	}
	CQ_CHECK(strncmp(k1.access_key_id, "ASIAMOCK", 8) == 0);
	CQ_CHECK(k1.session_token != NULL && strlen(k1.session_token) > 20);
	CQ_CHECK(strcmp(k1.secret_access_key, BASE_SECRET) != 0);
	CQ_CHECK(mock_count("/aws/us-east-1/sts/") == 1);
	/* the temporary key signs requests the mock accepts */
	CQ_CHECKF(signed_get(&k1, code) == 200, "%s", code);
	/* ... not without its session token */
	{
		CqpAwsKeys	nt = k1;

		nt.session_token = NULL;
		CQ_CHECK(signed_get(&nt, code) == 403 && strcmp(code, "InvalidClientTokenId") == 0);
	}

	/* cached */
	CQ_CHECK(cqp_cred_get_aws(c, &k2, &err));
	CQ_CHECK(k2.access_key_id && strcmp(k1.access_key_id, k2.access_key_id) == 0);
	CQ_CHECK(mock_count("/aws/us-east-1/sts/") == 1);
	cqp_aws_keys_free(&k2);

	/* past the 2-second lifetime: the old key is expired, a new one comes */
	sleep_ms(2200);
	CQ_CHECK(signed_get(&k1, code) == 403 && strcmp(code, "ExpiredToken") == 0);
	CQ_CHECK(cqp_cred_get_aws(c, &k2, &err));
	CQ_CHECK(k2.access_key_id && strcmp(k1.access_key_id, k2.access_key_id) != 0);
	CQ_CHECK(mock_count("/aws/us-east-1/sts/") == 2);
	CQ_CHECKF(k2.access_key_id && signed_get(&k2, code) == 200, "%s", code);
	cqp_cred_stats(c, &st);
	CQ_CHECK(st.auth_requests == 2 && st.tokens_fetched == 2 && st.cache_hits == 1);

	/* invalidate (ExpiredToken from an API) refetches; a late one does not */
	CQ_CHECK(cqp_cred_invalidate(c, k2.packed));
	CQ_CHECK(cqp_cred_get_aws(c, &k3, &err));
	CQ_CHECK(k3.access_key_id && k2.access_key_id && strcmp(k3.access_key_id, k2.access_key_id) != 0);
	CQ_CHECK(cqp_cred_invalidate(c, k2.packed));
	CQ_CHECK(mock_count("/aws/us-east-1/sts/") == 3);
	cqp_cred_stats(c, &st);
	CQ_CHECK(st.invalidations == 1 && st.auth_requests == 3);

	/* the role's account, from its ARN: no request */
	{
		char		acct[16];

		CQ_CHECK(cqp_cred_aws_account(c, acct, &err) && strcmp(acct, "210987654321") == 0);
		CQ_CHECK(mock_count("/aws/us-east-1/sts/") == 3);
	}
	cqp_aws_keys_free(&k1);
	cqp_aws_keys_free(&k2);
	cqp_aws_keys_free(&k3);
	cqp_cred_free(c);
	mock("/_mock/aws?role_lifetime_s=3600&external_id=");
}

static void
check_refused(const char *what, const char *akid, const char *secret, const char *role,
			  const char *ext, int status, const char *code)
{
	CqError		err;
	CqpCred    *c = role_cred(akid, secret, role, ext, &err);
	CqpAwsKeys	k;
	bool		ok;

	cqt_current = what;
	CQ_CHECKF(c != NULL, "%s", err.message);
	if (!c)
		return;
	ok = cqp_cred_get_aws(c, &k, &err);
	CQ_CHECK(!ok);
	CQ_CHECKF(err.kind == CQ_ERR_HTTP && err.http_status == status, "%d %d %s", err.kind,
			  err.http_status, err.message);
	CQ_CHECK_STR(err.api_code, code);
	CQ_CHECKF(strncmp(err.request_id, "mock-", 5) == 0, "request id \"%s\"", err.request_id);
	CQ_CHECK_STR(err.setting, "role_arn");
	CQ_CHECKF(strstr(err.message, "AssumeRole") != NULL, "%s", err.message);
	CQ_CHECK(!err_has(&err, secret));
	CQ_CHECK(!err_has(&err, "wJalrXUtnFEMI"));
	/* the failure is shared, not retried in a loop: one more get, one more request */
	{
		CqpCredStats st;

		cqp_cred_stats(c, &st);
		CQ_CHECK(st.fetch_failures == 1 && st.auth_requests == 1);
	}
	if (ok)
		cqp_aws_keys_free(&k);
	cqp_cred_free(c);
}

static void
test_refusals(void)
{
	mock("/_mock/reset");
	mock("/_mock/aws?external_id=ext-4711");
	check_refused("aws_cred/wrong_external_id", BASE_AKID, BASE_SECRET, ROLE, "ext-0000", 403,
				  "AccessDenied");
	check_refused("aws_cred/no_external_id", BASE_AKID, BASE_SECRET, ROLE, NULL, 403,
				  "AccessDenied");
	mock("/_mock/aws?external_id=");
	check_refused("aws_cred/denied_role", BASE_AKID, BASE_SECRET,
				  "arn:aws:iam::210987654321:role/denied-reader", NULL, 403, "AccessDenied");
	check_refused("aws_cred/wrong_secret", BASE_AKID, "cq-not-the-secret-value", ROLE, NULL, 403,
				  "SignatureDoesNotMatch");
	check_refused("aws_cred/unknown_key", "AKIAUNKNOWN0000", BASE_SECRET, ROLE, NULL, 403,
				  "InvalidClientTokenId");
}

typedef struct
{
	CqpCred    *c;
	char		akid[64];
} Th;

static void *
th_get(void *arg)
{
	Th		   *t = arg;
	CqpAwsKeys	k;
	CqError		err;

	memset(&err, 0, sizeof(err));
	if (cqp_cred_get_aws(t->c, &k, &err))
	{
		snprintf(t->akid, sizeof(t->akid), "%s", k.access_key_id);
		cqp_aws_keys_free(&k);
	}
	return NULL;
}

static void
test_single_flight(void)
{
	CqError		err;
	CqpCred    *c;
	pthread_t	th[8];
	Th			a[8];

	cqt_current = "aws_cred/single_flight";
	mock("/_mock/reset");
	c = role_cred(BASE_AKID, BASE_SECRET, ROLE, NULL, &err);
	CQ_CHECKF(c != NULL, "%s", err.message);
	if (!c)
		return;
	for (int i = 0; i < 8; i++)
	{
		memset(&a[i], 0, sizeof(a[i]));
		a[i].c = c;
		pthread_create(&th[i], NULL, th_get, &a[i]);
	}
	for (int i = 0; i < 8; i++)
		pthread_join(th[i], NULL);
	for (int i = 0; i < 8; i++)
		CQ_CHECK(a[i].akid[0] && strcmp(a[i].akid, a[0].akid) == 0);
	CQ_CHECK(mock_count("/aws/us-east-1/sts/") == 1);
	cqp_cred_free(c);
}

static void
test_keys_and_account(void)
{
	CqError		err;
	CqpCredConfig cc;
	CqpCred    *c;
	CqpAwsKeys	k;
	char		acct[16] = "";
	char	   *r;

	cqt_current = "aws_cred/keys_account";
	mock("/_mock/reset");
	memset(&cc, 0, sizeof(cc));
	cc.kind = CQP_CRED_AWS_KEYS;
	cc.access_key_id = BASE_AKID;
	cc.secret_access_key = BASE_SECRET;
	cc.sts_url = sts_url;
	c = cqp_cred_new(&cc, &err);
	CQ_CHECKF(c != NULL, "%s", err.message);
	if (!c)
		return;
	CQ_CHECK(cqp_cred_get_aws(c, &k, &err));
	CQ_CHECK_STR(k.access_key_id, BASE_AKID);
	CQ_CHECK_STR(k.secret_access_key, BASE_SECRET);
	CQ_CHECK(k.session_token == NULL);
	CQ_CHECK(!cqp_cred_invalidate(c, k.packed));	/* nothing to refresh */
	cqp_aws_keys_free(&k);
	/* GetCallerIdentity, once */
	CQ_CHECKF(cqp_cred_aws_account(c, acct, &err), "%s %s", err.message, err.api_code);
	CQ_CHECKF(strcmp(acct, "123456789012") == 0, "%s", acct);
	CQ_CHECK(cqp_cred_aws_account(c, acct, &err));
	CQ_CHECK(mock_count("/aws/us-east-1/sts/") == 1);
	cqp_cred_free(c);

	/* {account_id} */
	r = cqp_aws_role_for_account("arn:aws:iam::{account_id}:role/reader", "111111111111");
	CQ_CHECK_STR(r, "arn:aws:iam::111111111111:role/reader");
	free(r);
	r = cqp_aws_role_for_account(ROLE, "111111111111");
	CQ_CHECK_STR(r, ROLE);
	free(r);

	/* configuration errors, before any request */
	c = role_cred(BASE_AKID, BASE_SECRET, "reader", NULL, &err);
	CQ_CHECK(c == NULL && err.kind == CQ_ERR_CONFIG && strcmp(err.setting, "role_arn") == 0);
	c = role_cred(BASE_AKID, BASE_SECRET, "arn:aws:iam::{account_id}:role/reader", NULL, &err);
	CQ_CHECK(c == NULL && err.kind == CQ_ERR_CONFIG);
	c = role_cred(BASE_AKID, BASE_SECRET, ROLE, "x", &err);
	CQ_CHECK(c == NULL && err.kind == CQ_ERR_CONFIG && strcmp(err.setting, "external_id") == 0);
	c = role_cred(BASE_AKID, "", ROLE, NULL, &err);
	CQ_CHECK(c == NULL && err.kind == CQ_ERR_CONFIG);
	c = role_cred(BASE_AKID, "bad\nsecret", ROLE, NULL, &err);
	CQ_CHECK(c == NULL && err.kind == CQ_ERR_CONFIG && !err_has(&err, "bad\nsecret"));
	CQ_CHECK(mock_count("/aws/us-east-1/sts/") == 1);
}

void
suite_aws_cred(void)
{
	snprintf(sts_url, sizeof(sts_url), "%s/aws/us-east-1/sts/query", cqt_mock_url());
	test_keys_and_account();
	test_assume_role_refresh();
	test_refusals();
	test_single_flight();
}
