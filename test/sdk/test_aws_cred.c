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
#include <poll.h>
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
#include "jobtest.h"
#include "test_util.h"

void		suite_aws_cred(void);

#define BASE_AKID	"AKIDEXAMPLE"
#define BASE_SECRET "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
#define ROLE		"arn:aws:iam::210987654321:role/reader"

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
	h3_mock("/_mock/reset");
	h3_mock("/_mock/aws?role_lifetime_s=2&external_id=ext-4711");
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
	CQ_CHECK(h3_mock_count("/aws/us-east-1/sts/", NULL) == 1);
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
	CQ_CHECK(h3_mock_count("/aws/us-east-1/sts/", NULL) == 1);
	cqp_aws_keys_free(&k2);

	/* past the 2-second lifetime: the old key is expired, a new one comes */
	cqt_sleep_ms(2200);
	CQ_CHECK(signed_get(&k1, code) == 403 && strcmp(code, "ExpiredToken") == 0);
	CQ_CHECK(cqp_cred_get_aws(c, &k2, &err));
	CQ_CHECK(k2.access_key_id && strcmp(k1.access_key_id, k2.access_key_id) != 0);
	CQ_CHECK(h3_mock_count("/aws/us-east-1/sts/", NULL) == 2);
	CQ_CHECKF(k2.access_key_id && signed_get(&k2, code) == 200, "%s", code);
	cqp_cred_stats(c, &st);
	CQ_CHECK(st.auth_requests == 2 && st.tokens_fetched == 2 && st.cache_hits == 1);

	/* invalidate (ExpiredToken from an API) refetches; a late one does not */
	CQ_CHECK(cqp_cred_invalidate(c, k2.packed));
	CQ_CHECK(cqp_cred_get_aws(c, &k3, &err));
	CQ_CHECK(k3.access_key_id && k2.access_key_id && strcmp(k3.access_key_id, k2.access_key_id) != 0);
	CQ_CHECK(cqp_cred_invalidate(c, k2.packed));
	CQ_CHECK(h3_mock_count("/aws/us-east-1/sts/", NULL) == 3);
	cqp_cred_stats(c, &st);
	CQ_CHECK(st.invalidations == 1 && st.auth_requests == 3);

	/* the role's account, from its ARN: no request */
	{
		char		acct[16];

		CQ_CHECK(cqp_cred_aws_account(c, acct, &err) && strcmp(acct, "210987654321") == 0);
		CQ_CHECK(h3_mock_count("/aws/us-east-1/sts/", NULL) == 3);
	}
	cqp_aws_keys_free(&k1);
	cqp_aws_keys_free(&k2);
	cqp_aws_keys_free(&k3);
	cqp_cred_free(c);
	h3_mock("/_mock/aws?role_lifetime_s=3600&external_id=");
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
	h3_mock("/_mock/reset");
	h3_mock("/_mock/aws?external_id=ext-4711");
	check_refused("aws_cred/wrong_external_id", BASE_AKID, BASE_SECRET, ROLE, "ext-0000", 403,
				  "AccessDenied");
	check_refused("aws_cred/no_external_id", BASE_AKID, BASE_SECRET, ROLE, NULL, 403,
				  "AccessDenied");
	h3_mock("/_mock/aws?external_id=");
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
	h3_mock("/_mock/reset");
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
	CQ_CHECK(h3_mock_count("/aws/us-east-1/sts/", NULL) == 1);
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
	h3_mock("/_mock/reset");
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
	CQ_CHECK(h3_mock_count("/aws/us-east-1/sts/", NULL) == 1);
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
	CQ_CHECK(h3_mock_count("/aws/us-east-1/sts/", NULL) == 1);
}


/* ------------------------------------------------------------------------
 * Whole scans (cq_job_*): a SigV4 table with an account key, the role per
 * account, against the mock's /aws/us-east-1/execute-api
 * ------------------------------------------------------------------------ */

typedef struct Scan
{
	long		rows;
	long		per_acct[3];
	CqError		err;
	CqJobStats	st;
} Scan;

static const char *const accts[3] = {"111111111111", "222222222222", "333333333333"};

/* Count a batch's rows, and per account (column 0). */
static void
acct_rows(CqBatch *b, void *ud)
{
	Scan	   *out = ud;

	for (int r = 0; r < b->nrows; r++)
	{
		char		v[64];

		cq_value_format(&b->values[r * b->ncols], v, sizeof(v));
		for (int a = 0; a < 3; a++)
			if (strcmp(v, accts[a]) == 0)
				out->per_acct[a]++;
		out->rows++;
	}
}

static CqJobState
acct_scan(const char *endpoint, const char *role, const char *ext, int nq, Scan *out)
{
	static char tjson[1024];
	CqSourceDef src;
	CqTableDef *t;
	CqJobParams p;
	int			oc[2];
	char		base[512];
	CqKeyValues kv;
	CqJobState	st;

	memset(out, 0, sizeof(*out));
	snprintf(tjson, sizeof(tjson),
			 "{\"name\":\"acct\",\"endpoint\":\"%s\",\"rows\":\"/items\","
			 "\"pagination\":{\"type\":\"next_token\",\"next\":\"/nextPageToken\",\"next_param\":\"pageToken\"},"
			 "\"keys\":[{\"column\":\"account_id\",\"in\":\"account\"}],"
			 "\"columns\":[{\"name\":\"account_id\",\"type\":\"string\"},{\"name\":\"id\",\"type\":\"int\"}]}",
			 endpoint);
	t = cq_spec_parse_table(tjson, strlen(tjson), &out->err);
	CQ_CHECKF(t != NULL, "%s", out->err.message);
	if (!t)
		return CQ_JOB_FAILED;
	memset(&src, 0, sizeof(src));
	src.name = "t";
	src.auth = CQ_AUTH_SIGV4;
	src.sigv4 = "aws:amz:us-east-1:execute-api";
	snprintf(base, sizeof(base), "%s/aws/us-east-1/execute-api", cqt_mock_url());
	memset(&p, 0, sizeof(p));
	p.source = &src;
	p.table = t;
	p.base_url = base;
	p.cred.user = BASE_AKID;
	p.cred.secret = BASE_SECRET;
	p.cred.role_arn = role;
	p.cred.external_id = ext;
	p.cred.sts_url = sts_url;
	oc[0] = 0;
	oc[1] = 1;
	p.nout = 2;
	p.out_cols = oc;
	p.limit = -1;
	if (nq > 0)
	{
		kv.column = "account_id";
		kv.op = CQ_OP_EQ;
		kv.nvalues = nq;
		kv.values = accts;
		p.nkeys = 1;
		p.keys = &kv;
	}
	cq_job_settings_default(&p.settings);
	p.settings.max_retries = 0;
	st = cqt_job_run(&p, acct_rows, out, NULL, &out->err, &out->st);
	cq_table_def_free(t);
	return st;
}

/* Signed API requests the mock served: how many, by which account, all ok */
static void
api_log(const char *route, int *n, int per_acct[3], int *keys, bool *all_ok)
{
	char		q[256];
	char	   *body;
	json_t	   *doc;
	json_t	   *r;
	size_t		i;
	char		seen[64][32];

	snprintf(q, sizeof(q), "/_mock/requests?route=%s", route);
	body = cqt_mock_get(q);
	doc = json_loads(body, 0, NULL);
	*n = *keys = 0;
	*all_ok = true;
	memset(per_acct, 0, 3 * sizeof(int));
	json_array_foreach(json_object_get(doc, "requests"), i, r)
	{
		json_t	   *sv = json_object_get(r, "sigv4");
		const char *a = json_string_value(json_object_get(sv, "account"));
		const char *k = json_string_value(json_object_get(sv, "access_key"));
		bool		dup = false;

		(*n)++;
		if (!json_is_true(json_object_get(sv, "ok")) || json_integer_value(json_object_get(r, "status")) != 200)
			*all_ok = false;
		for (int x = 0; x < 3; x++)
			if (a && strcmp(a, accts[x]) == 0)
				per_acct[x]++;
		for (int x = 0; x < *keys; x++)
			if (k && strcmp(seen[x], k) == 0)
				dup = true;
		if (k && !dup && *keys < 64)
			snprintf(seen[(*keys)++], 32, "%s", k);
	}
	json_decref(doc);
	free(body);
}

static void
test_job_accounts(void)
{
	Scan		s;
	CqJobState	st;
	int			n,
				pa[3],
				keys;
	bool		ok;

	cqt_current = "aws_cred/job_accounts";
	h3_mock("/_mock/reset");
	/* three accounts, one role (one AssumeRole) each, 15 rows (2 pages) each */
	st = acct_scan("/gen/next_token/acct?shape=small&n=15&per_page=10",
				   "arn:aws:iam::{account_id}:role/cq-reader", NULL, 3, &s);
	CQ_CHECKF(st == CQ_JOB_DONE, "%s / %s", s.err.message, s.err.api_code);
	CQ_CHECK(s.rows == 45);
	CQ_CHECK(s.per_acct[0] == 15 && s.per_acct[1] == 15 && s.per_acct[2] == 15);
	CQ_CHECK(s.st.auth_requests == 3);
	CQ_CHECK(h3_mock_count("/aws/us-east-1/sts/", NULL) == 3);
	api_log("/aws/us-east-1/execute-api/", &n, pa, &keys, &ok);
	/* every page signed by its own account's temporary key */
	CQ_CHECKF(n == 6 && ok && pa[0] == 2 && pa[1] == 2 && pa[2] == 2 && keys == 3,
			  "n %d ok %d per account %d %d %d keys %d", n, ok, pa[0], pa[1], pa[2], keys);

	/* {account_id} without accounts: an error before any request */
	h3_mock("/_mock/reset");
	st = acct_scan("/gen/next_token/acct?shape=small&n=15&per_page=10",
				   "arn:aws:iam::{account_id}:role/cq-reader", NULL, 0, &s);
	CQ_CHECK(st == CQ_JOB_FAILED && s.err.kind == CQ_ERR_CONFIG);
	CQ_CHECKF(strstr(s.err.message, "accounts") != NULL, "%s", s.err.message);
	CQ_CHECK(h3_mock_count("/aws/", NULL) == 0);

	/* a role refused in one account fails the scan with the STS code */
	h3_mock("/_mock/reset");
	st = acct_scan("/gen/next_token/acct?shape=small&n=15&per_page=10",
				   "arn:aws:iam::{account_id}:role/denied-reader", NULL, 1, &s);
	CQ_CHECK(st == CQ_JOB_FAILED && s.err.kind == CQ_ERR_HTTP);
	CQ_CHECK_STR(s.err.api_code, "AccessDenied");
	CQ_CHECK_STR(s.err.setting, "role_arn");
	CQ_CHECK(!err_has(&s.err, BASE_SECRET));

	/* no role: the key's own account (GetCallerIdentity), once */
	h3_mock("/_mock/reset");
	st = acct_scan("/gen/next_token/acct?shape=small&n=5&per_page=10", NULL, NULL, 0, &s);
	CQ_CHECKF(st == CQ_JOB_DONE && s.rows == 5, "%s", s.err.message);
	CQ_CHECK(s.st.auth_requests == 1 && h3_mock_count("/aws/us-east-1/sts/", NULL) == 1);
	/* ... and a qual naming other accounts reads nothing */
	h3_mock("/_mock/reset");
	st = acct_scan("/gen/next_token/acct?shape=small&n=5&per_page=10", NULL, NULL, 3, &s);
	CQ_CHECK(st == CQ_JOB_DONE && s.rows == 0);
	CQ_CHECK(h3_mock_count("/aws/us-east-1/execute-api/", NULL) == 0);
}

/* Keys that live 2 s during a 5-page scan of 0.9 s pages: renewed. */
static void
test_job_renewal(void)
{
	Scan		s;
	CqJobState	st;
	int			n,
				pa[3],
				keys;
	bool		ok;

	cqt_current = "aws_cred/job_renewal";
	h3_mock("/_mock/reset");
	h3_mock("/_mock/aws?role_lifetime_s=2");
	st = acct_scan("/gen/next_token/slow?shape=small&n=50&per_page=10&latency_ms=900",
				   "arn:aws:iam::{account_id}:role/cq-reader", NULL, 1, &s);
	CQ_CHECKF(st == CQ_JOB_DONE, "%s / %s", s.err.message, s.err.api_code);
	CQ_CHECK(s.rows == 50);
	CQ_CHECKF(s.st.auth_requests >= 2, "%lld", (long long) s.st.auth_requests);
	CQ_CHECK(h3_mock_count("/aws/us-east-1/sts/", NULL) == (long) s.st.auth_requests);
	api_log("/aws/us-east-1/execute-api/", &n, pa, &keys, &ok);
	CQ_CHECKF(n == 5 && ok && keys >= 2, "%d %d %d", n, ok, keys);
	h3_mock("/_mock/aws?role_lifetime_s=3600");
}

void
suite_aws_cred(void)
{
	snprintf(sts_url, sizeof(sts_url), "%s/aws/us-east-1/sts/query", cqt_mock_url());
	test_keys_and_account();
	test_assume_role_refresh();
	test_refusals();
	test_single_flight();
	test_job_accounts();
	test_job_renewal();
}
