/*
 * test_cred.c -- RS256 JWTs (src/sdk/jwt.c) and credential providers
 * (src/sdk/cred.c) against the mock's token endpoints.
 *
 * suite "cred":
 *	- base64url vectors (RFC 4648); JWTs signed with a key pair generated
 *	  here (EVP_PKEY keygen, PKCS#8 and PKCS#1 PEM) and verified with the
 *	  public half (EVP_DigestVerify), header and claims decoded and
 *	  compared; a tampered JWT fails verification.
 *	- Bad keys (garbage, truncated, public key, EC, 1024-bit, encrypted)
 *	  are errors naming the option, never a crash, and leave OpenSSL's
 *	  error queue empty.
 *	- Providers against /_oauth/gcp/token, /_oauth/azure/<tenant>/oauth2/
 *	  v2.0/token and /app/installations/<id>/access_tokens, which verify the
 *	  JWT's signature against the public key registered with /_mock/oauth,
 *	  aud, exp, the grant type and the client secret: the token is cached,
 *	  renewed after its 2-second lifetime, refetched after invalidate (once
 *	  for N failed requests), fetched once by 8 threads at once; wrong key,
 *	  revoked secret, wrong tenant / installation are clear errors that
 *	  contain no secret (the whole CqError is searched); policy refusals.
 *
 * Needs the mock (MOCK_URL) with python3-cryptography.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "cq_sdk.h"
#include "cred.h"
#include "jwt.h"
#include "cqtest.h"
#include "jobtest.h"
#include "test_util.h"

void		suite_cred(void);

/* ---------------------------------------------------------------- helpers */

static EVP_PKEY *
keygen(const char *type, size_t bits)
{
	if (strcmp(type, "RSA") == 0)
		return EVP_PKEY_Q_keygen(NULL, NULL, "RSA", bits);
	return EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
}

/* PEM of a key: which = 8 (PKCS#8), 1 (PKCS#1), 'p' (public), 'e' (encrypted) */
static char *
pem_of(EVP_PKEY *k, int which)
{
	BIO		   *b = BIO_new(BIO_s_mem());
	char	   *data,
			   *out;
	long		n;
	int			ok;

	if (which == 8)
		ok = PEM_write_bio_PrivateKey(b, k, NULL, NULL, 0, NULL, NULL);
	else if (which == 1)
		ok = PEM_write_bio_PrivateKey_traditional(b, k, NULL, NULL, 0, NULL, NULL);
	else if (which == 'p')
		ok = PEM_write_bio_PUBKEY(b, k);
	else
		ok = PEM_write_bio_PKCS8PrivateKey(b, k, EVP_aes_256_cbc(), "pass", 4, NULL, NULL);
	n = BIO_get_mem_data(b, &data);
	out = ok ? strndup(data, n) : NULL;
	BIO_free(b);
	return out;
}

static char *
esc(const char *s)
{
	char	   *e = curl_easy_escape(NULL, s, 0);
	char	   *d = strdup(e);

	curl_free(e);
	return d;
}

/* The mock's last decoded JWT/form for a kind ({"header","claims","form"}). */
static json_t *
mock_last(const char *kind)
{
	char		q[128];
	char	   *body;
	json_t	   *doc,
			   *last;

	snprintf(q, sizeof(q), "/_mock/oauth_last?kind=%s", kind);
	body = cqt_mock_get(q);
	doc = json_loads(body, 0, NULL);
	free(body);
	last = json_incref(json_object_get(doc, "last"));
	json_decref(doc);
	return last;
}

/* Register a kind with the mock; `rest` is "&name=value..." (escaped). */
static bool
mock_oauth(const char *kind, const char *pubkey_pem, const char *rest)
{
	char	   *pk = pubkey_pem ? esc(pubkey_pem) : strdup("");
	size_t		n = strlen(pk) + strlen(rest) + 128;
	char	   *q = malloc(n);
	char	   *body;
	bool		ok;

	snprintf(q, n, "/_mock/oauth?kind=%s%s%s%s", kind, pubkey_pem ? "&pubkey=" : "", pk, rest);
	body = cqt_mock_get(q);
	ok = strstr(body, "\"ok\":true") != NULL;
	if (!ok)
		fprintf(stderr, "mock_oauth %s: %s\n", kind, body);
	free(body);
	free(pk);
	free(q);
	return ok;
}

/* HTTP status of GET /_oauth/whoami with the token (200: the mock issued it
 * and it has not expired). */
static long
whoami(const char *token)
{
	CURL	   *h = curl_easy_init();
	struct curl_slist *hl;
	char		url[512],
				hdr[1024];
	long		code = 0;
	FILE	   *devnull = fopen("/dev/null", "w");

	snprintf(url, sizeof(url), "%s/_oauth/whoami", cqt_mock_url());
	snprintf(hdr, sizeof(hdr), "Authorization: Bearer %s", token);
	hl = curl_slist_append(NULL, hdr);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hl);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, devnull);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, 30L);
	if (curl_easy_perform(h) == CURLE_OK)
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
	curl_easy_cleanup(h);
	curl_slist_free_all(hl);
	fclose(devnull);
	return code;
}

/* true if `secret` (or its first 8 bytes) occurs anywhere in the struct */
static bool
err_has(const CqError *err, const char *secret)
{
	const char *raw = (const char *) err;
	size_t		n = strlen(secret) < 8 ? strlen(secret) : 8;

	return memmem(raw, sizeof(*err), secret, n) != NULL;
}

/* Verify a compact RS256 JWS with the public half; decode its parts. */
static bool
jwt_verify(const char *jwt, EVP_PKEY *pub, json_t **hdr, json_t **claims)
{
	const char *d1 = strchr(jwt, '.');
	const char *d2 = d1 ? strchr(d1 + 1, '.') : NULL;
	unsigned char *h = NULL,
			   *c = NULL,
			   *sig = NULL;
	size_t		hl,
				cl,
				sl;
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	bool		ok = false;

	*hdr = *claims = NULL;
	if (d2 == NULL || strchr(d2 + 1, '.') != NULL)
		goto done;
	h = cqp_base64url_decode(jwt, d1 - jwt, &hl);
	c = cqp_base64url_decode(d1 + 1, d2 - d1 - 1, &cl);
	sig = cqp_base64url_decode(d2 + 1, strlen(d2 + 1), &sl);
	if (!h || !c || !sig)
		goto done;
	if (EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, pub) != 1
		|| EVP_DigestVerify(md, sig, sl, (const unsigned char *) jwt, d2 - jwt) != 1)
		goto done;
	*hdr = json_loadb((const char *) h, hl, 0, NULL);
	*claims = json_loadb((const char *) c, cl, 0, NULL);
	ok = *hdr && *claims;
done:
	ERR_clear_error();
	EVP_MD_CTX_free(md);
	free(h);
	free(c);
	free(sig);
	return ok;
}

/* Shared test keys (generated once per run). */
static EVP_PKEY *key_a,
		   *key_b;
static char *pem_a8,
		   *pem_a1,
		   *pub_a,
		   *pem_b8;

/* ---------------------------------------------------------------- base64url / JWT */

static void
test_base64url(void)
{
	static const struct
	{
		const char *in;
		size_t		len;
		const char *out;
	}			v[] =
	{
		{"", 0, ""}, {"f", 1, "Zg"}, {"fo", 2, "Zm8"}, {"foo", 3, "Zm9v"},
		{"foob", 4, "Zm9vYg"}, {"fooba", 5, "Zm9vYmE"}, {"foobar", 6, "Zm9vYmFy"},
		{"\xfb\xff", 2, "-_8"}, {"\xff\xfe\xfd\xfc", 4, "__79_A"},
	};

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
	{
		char	   *e = cqp_base64url_encode(v[i].in, v[i].len);
		unsigned char *d;
		size_t		dl = 99;

		CQ_CHECK_STR(e, v[i].out);
		d = cqp_base64url_decode(v[i].out, strlen(v[i].out), &dl);
		CQ_CHECKF(d && dl == v[i].len && memcmp(d, v[i].in, dl) == 0, "decode %s", v[i].out);
		free(e);
		free(d);
	}
	{
		size_t		dl;
		unsigned char *d = cqp_base64url_decode("Zm9vYg==", 8, &dl);

		CQ_CHECK(d && dl == 4 && memcmp(d, "foob", 4) == 0);	/* padding accepted */
		free(d);
		CQ_CHECK(cqp_base64url_decode("Zm9v+g", 6, &dl) == NULL);	/* not base64url */
		CQ_CHECK(cqp_base64url_decode("Zm9vY", 5, &dl) == NULL);	/* bad length */
		CQ_CHECK(cqp_base64url_decode("Zm 9v", 5, &dl) == NULL);
	}
}

static void
test_jwt_sign_verify(void)
{
	CqError		err;
	const char *pems[] = {pem_a8, pem_a1};

	for (int i = 0; i < 2; i++)
	{
		CqpRsaKey  *k;
		json_t	   *claims = json_pack("{s:s, s:I, s:s}", "iss", "sa@p.iam.gserviceaccount.com",
									   "iat", (json_int_t) 1700000000, "note", "h\xc3\xa9");
		json_t	   *hdr,
				   *got;
		char	   *jwt;

		memset(&err, 0, sizeof(err));
		k = cqp_rsa_key_load(pems[i], strlen(pems[i]), "private_key", &err);
		CQ_CHECKF(k != NULL, "%s PEM: %s", i ? "PKCS#1" : "PKCS#8", err.message);
		if (!k)
		{
			json_decref(claims);
			continue;
		}
		CQ_CHECK(cqp_rsa_key_bits(k) == 2048);
		jwt = cqp_jwt_sign_rs256(k, i == 0 ? "kid-1" : NULL, claims, &err);
		CQ_CHECKF(jwt != NULL, "%s", err.message);
		if (jwt)
		{
			CQ_CHECK(jwt_verify(jwt, key_a, &hdr, &got));
			CQ_CHECK_STR(json_string_value(json_object_get(hdr, "alg")), "RS256");
			CQ_CHECK_STR(json_string_value(json_object_get(hdr, "typ")), "JWT");
			if (i == 0)
				CQ_CHECK_STR(json_string_value(json_object_get(hdr, "kid")), "kid-1");
			else
				CQ_CHECK(json_object_get(hdr, "kid") == NULL);
			CQ_CHECK(json_equal(got, claims));
			json_decref(hdr);
			json_decref(got);
			/* the other key pair does not verify it */
			CQ_CHECK(!jwt_verify(jwt, key_b, &hdr, &got));
			/* a changed claim does not verify */
			{
				char	   *t = strdup(jwt);
				char	   *p = strchr(t, '.') + 3;

				*p = (*p == 'A') ? 'B' : 'A';
				CQ_CHECK(!jwt_verify(t, key_a, &hdr, &got));
				free(t);
			}
			cqp_secret_free(jwt);
		}
		json_decref(claims);
		cqp_rsa_key_free(k);
	}
	CQ_CHECK(ERR_peek_error() == 0);
}

static void
test_bad_keys(void)
{
	EVP_PKEY   *ec = keygen("EC", 0);
	EVP_PKEY   *small = keygen("RSA", 1024);
	char	   *ec_pem = pem_of(ec, 8);
	char	   *small_pem = pem_of(small, 8);
	char	   *enc_pem = pem_of(key_a, 'e');
	char	   *trunc = strdup(pem_a8);
	char	   *damaged = strdup(pem_a8);
	const struct
	{
		const char *pem;
		const char *expect;
	}			cases[] =
	{
		{"", "is empty"},
		{"not a key at all", "not a PEM private key"},
		{trunc, "not a valid PEM private key"},
		{damaged, "not a valid PEM private key"},
		{pub_a, "public key"},
		{ec_pem, "RS256 needs an RSA key"},
		{small_pem, "1024-bit"},
		{enc_pem, "encrypted"},
	};

	trunc[strlen(trunc) / 2] = '\0';
	damaged[100] = '*';
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
	{
		CqError		err;
		CqpRsaKey  *k;

		memset(&err, 0, sizeof(err));
		k = cqp_rsa_key_load(cases[i].pem, strlen(cases[i].pem), "private_key", &err);
		CQ_CHECKF(k == NULL, "case %zu loaded", i);
		cqp_rsa_key_free(k);
		CQ_CHECK(err.kind == CQ_ERR_CONFIG);
		CQ_CHECKF(strstr(err.message, "private_key") && strstr(err.message, cases[i].expect),
				  "case %zu: %s", i, err.message);
		CQ_CHECK(strstr(err.message, "MII") == NULL);	/* no key bytes */
		CQ_CHECK(ERR_peek_error() == 0);
	}
	EVP_PKEY_free(ec);
	EVP_PKEY_free(small);
	free(ec_pem);
	free(small_pem);
	free(enc_pem);
	free(trunc);
	free(damaged);
}

/* ---------------------------------------------------------------- GCP */

static char *
gcp_key_json(const char *pem, const char *token_uri)
{
	json_t	   *j = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s}",
							  "type", "service_account", "project_id", "proj",
							  "private_key_id", "kid123", "private_key", pem,
							  "client_email", "reader@proj.iam.gserviceaccount.com",
							  "client_id", "1234567890", "token_uri", token_uri);
	char	   *s = json_dumps(j, 0);

	json_decref(j);
	return s;
}

static bool
gcp_register(const char *extra)
{
	char		rest[512];

	snprintf(rest, sizeof(rest), "&email=reader%%40proj.iam.gserviceaccount.com&kid=kid123%s", extra);
	return mock_oauth("gcp", pub_a, rest);
}

static CqpCred *
gcp_cred(const char *pem, long margin_ms, CqError *err)
{
	char		uri[512];
	char	   *key;
	CqpCredConfig cfg = {0};
	CqpCred    *c;

	snprintf(uri, sizeof(uri), "%s/_oauth/gcp/token", cqt_mock_url());
	key = gcp_key_json(pem, uri);
	cfg.kind = CQP_CRED_GCP_SA;
	cfg.service_account_key = key;
	cfg.margin_ms = margin_ms;
	cfg.retry_base_ms = 10;
	memset(err, 0, sizeof(*err));
	c = cqp_cred_new(&cfg, err);
	free(key);
	return c;
}

static void
test_gcp_refresh(void)
{
	CqError		err;
	CqpCred    *c;
	CqpCredStats st;
	char	   *t1,
			   *t2,
			   *t3,
			   *t4;
	json_t	   *last;

	h3_mock("/_mock/reset");
	CQ_CHECK(gcp_register("&lifetime=2"));
	c = gcp_cred(pem_a8, 500, &err);
	CQ_CHECKF(c != NULL, "%s", err.message);
	if (!c)
		return;
	t1 = cqp_cred_get(c, &err);
	CQ_CHECKF(t1 && strncmp(t1, "mock_gcp_", 9) == 0, "%s", t1 ? t1 : err.message);
	if (!t1)
	{
		cqp_cred_free(c);
		return;
	}
	CQ_CHECK(whoami(t1) == 200);
	/* what the endpoint saw */
	last = mock_last("gcp");
	{
		json_t	   *h = json_object_get(last, "header"),
				   *cl = json_object_get(last, "claims");
		char		audbuf[512];
		const char *aud = audbuf;

		snprintf(audbuf, sizeof(audbuf), "%s/_oauth/gcp/token", cqt_mock_url());
		CQ_CHECK_STR(json_string_value(json_object_get(h, "kid")), "kid123");
		CQ_CHECK_STR(json_string_value(json_object_get(cl, "aud")), aud);
		CQ_CHECK_STR(json_string_value(json_object_get(cl, "iss")), "reader@proj.iam.gserviceaccount.com");
		CQ_CHECK_STR(json_string_value(json_object_get(cl, "scope")), CQP_CRED_GCP_SCOPE);
		CQ_CHECK(json_integer_value(json_object_get(cl, "exp"))
				 - json_integer_value(json_object_get(cl, "iat")) == 3600);
	}
	json_decref(last);

	/* cached: no second request */
	t2 = cqp_cred_get(c, &err);
	CQ_CHECK(t2 && strcmp(t1, t2) == 0);
	CQ_CHECK(h3_mock_count("/_oauth/gcp/", NULL) == 1);
	cqp_secret_free(t2);

	/* past the 2-second lifetime: a new token, a second auth request */
	cqt_sleep_ms(2200);
	CQ_CHECK(whoami(t1) == 401);	/* the old one really expired */
	t2 = cqp_cred_get(c, &err);
	CQ_CHECKF(t2 && strcmp(t1, t2) != 0, "%s", t2 ? "same token" : err.message);
	CQ_CHECK(h3_mock_count("/_oauth/gcp/", NULL) == 2);
	CQ_CHECK(t2 && whoami(t2) == 200);
	cqp_cred_stats(c, &st);
	CQ_CHECK(st.auth_requests == 2 && st.tokens_fetched == 2 && st.cache_hits == 1);

	/* invalidate (a 401) forces a refetch ... */
	CQ_CHECK(cqp_cred_invalidate(c, t2));
	t3 = cqp_cred_get(c, &err);
	CQ_CHECK(t3 && t2 && strcmp(t3, t2) != 0);
	CQ_CHECK(h3_mock_count("/_oauth/gcp/", NULL) == 3);
	/* ... but a late 401 for the already replaced token does not */
	CQ_CHECK(cqp_cred_invalidate(c, t2));
	t4 = cqp_cred_get(c, &err);
	CQ_CHECK(t4 && t3 && strcmp(t4, t3) == 0);
	CQ_CHECK(h3_mock_count("/_oauth/gcp/", NULL) == 3);
	cqp_cred_stats(c, &st);
	CQ_CHECK(st.invalidations == 1 && st.auth_requests == 3);

	cqp_secret_free(t1);
	cqp_secret_free(t2);
	cqp_secret_free(t3);
	cqp_secret_free(t4);
	cqp_cred_free(c);
}

/* The default margin (60 s) is capped at half the lifetime. */
static void
test_gcp_margin_cap(void)
{
	CqError		err;
	CqpCred    *c;
	char	   *t1,
			   *t2,
			   *t3;

	h3_mock("/_mock/reset");
	CQ_CHECK(gcp_register("&lifetime=4"));
	c = gcp_cred(pem_a1, 0, &err);	/* PKCS#1 key in the JSON this time */
	CQ_CHECKF(c != NULL, "%s", err.message);
	if (!c)
		return;
	t1 = cqp_cred_get(c, &err);
	t2 = cqp_cred_get(c, &err);
	CQ_CHECK(t1 && t2 && strcmp(t1, t2) == 0);	/* 4 s token still reused */
	CQ_CHECK(h3_mock_count("/_oauth/gcp/", NULL) == 1);
	cqt_sleep_ms(2300);				/* past lifetime - margin (2 s), before expiry */
	t3 = cqp_cred_get(c, &err);
	CQ_CHECK(t3 && t1 && strcmp(t1, t3) != 0);
	CQ_CHECK(h3_mock_count("/_oauth/gcp/", NULL) == 2);
	CQ_CHECK(t1 && whoami(t1) == 200);	/* refreshed before it expired */
	cqp_secret_free(t1);
	cqp_secret_free(t2);
	cqp_secret_free(t3);
	cqp_cred_free(c);
}

/*
 * A token request ignores proxy variables inherited from the environment,
 * as API requests do (test_http): a proxy would hide the target from the
 * connect-time address check.  The proxy is a closed port: a token
 * request through it would fail.
 */
static void
test_token_env_proxy_ignored(void)
{
	static const char *vars[] = {"http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY",
	"all_proxy", "ALL_PROXY"};
	CqError		err;
	CqpCred    *c;
	char	   *t = NULL;

	h3_mock("/_mock/reset");
	CQ_CHECK(gcp_register(""));
	c = gcp_cred(pem_a8, 0, &err);
	CQ_CHECKF(c != NULL, "%s", err.message);
	for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++)
		setenv(vars[i], "http://127.0.0.1:1/", 1);
	unsetenv("no_proxy");
	unsetenv("NO_PROXY");
	if (c)
		t = cqp_cred_get(c, &err);
	for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++)
		unsetenv(vars[i]);
	CQ_CHECKF(t && strncmp(t, "mock_gcp_", 9) == 0, "%s", t ? t : err.message);
	/* (the helper's own curl honours the variables: ask after unsetting) */
	CQ_CHECK(h3_mock_count("/_oauth/gcp/", NULL) == 1);
	cqp_secret_free(t);
	cqp_cred_free(c);
}

static void
test_gcp_wrong_key(void)
{
	CqError		err;
	CqpCred    *c;
	char	   *t;

	h3_mock("/_mock/reset");
	CQ_CHECK(gcp_register(""));
	c = gcp_cred(pem_b8, 0, &err);	/* signed with B, the mock knows A */
	CQ_CHECKF(c != NULL, "%s", err.message);
	if (!c)
		return;
	t = cqp_cred_get(c, &err);
	CQ_CHECK(t == NULL);
	CQ_CHECK(err.kind == CQ_ERR_HTTP && err.http_status == 400);
	CQ_CHECKF(strstr(err.message, "service_account_key") != NULL, "%s", err.message);
	CQ_CHECKF(strstr(err.api_message, "Invalid JWT Signature") != NULL, "%s", err.api_message);
	CQ_CHECK(!err_has(&err, "eyJ"));	/* no JWT (assertion) */
	CQ_CHECK(!err_has(&err, "MII"));	/* no key */
	CQ_CHECK(h3_mock_count("/_oauth/gcp/", NULL) == 1);	/* a 400 is not retried */
	cqp_secret_free(t);
	cqp_cred_free(c);

	/* the key deleted on the GCP side */
	c = gcp_cred(pem_a8, 0, &err);
	h3_mock("/_mock/oauth?kind=gcp&revoke=1");
	t = c ? cqp_cred_get(c, &err) : NULL;
	CQ_CHECK(c && t == NULL && err.http_status == 400);
	CQ_CHECK(strstr(err.message, "deleted or disabled") != NULL);
	cqp_secret_free(t);
	cqp_cred_free(c);
}

static void
test_gcp_config_errors(void)
{
	static const char *secret_bytes = "SECRETKEYBYTES";
	CqpCredConfig cfg = {0};
	CqError		err;
	CqpCred    *c;
	char		uri[512];
	char	   *json;

	cfg.kind = CQP_CRED_GCP_SA;
	cfg.service_account_key = "{\"type\":\"service_account\",\"private_key\":\"SECRETKEYBYTES";
	memset(&err, 0, sizeof(err));
	c = cqp_cred_new(&cfg, &err);
	CQ_CHECK(c == NULL && err.kind == CQ_ERR_CONFIG);
	CQ_CHECKF(strstr(err.message, "not valid JSON") != NULL, "%s", err.message);
	CQ_CHECK(!err_has(&err, secret_bytes));

	cfg.service_account_key = "{\"type\":\"authorized_user\",\"client_id\":\"x\",\"refresh_token\":\"SECRETKEYBYTES\"}";
	c = cqp_cred_new(&cfg, &err);
	CQ_CHECK(c == NULL && strstr(err.message, "not a service account key") != NULL);
	CQ_CHECK(!err_has(&err, secret_bytes));

	cfg.service_account_key = "{\"type\":\"service_account\",\"private_key\":\"x\"}";
	c = cqp_cred_new(&cfg, &err);
	CQ_CHECK(c == NULL && strstr(err.message, "client_email") != NULL);

	snprintf(uri, sizeof(uri), "%s/_oauth/gcp/token", cqt_mock_url());
	json = gcp_key_json("-----BEGIN PRIVATE KEY-----\nSECRETKEYBYTES\n-----END PRIVATE KEY-----\n", uri);
	cfg.service_account_key = json;
	c = cqp_cred_new(&cfg, &err);
	CQ_CHECK(c == NULL && err.kind == CQ_ERR_CONFIG);
	CQ_CHECKF(strstr(err.message, "private_key of service_account_key") != NULL, "%s", err.message);
	CQ_CHECK(!err_has(&err, secret_bytes));
	free(json);

	/* a token_uri the host policy refuses: refused before any request */
	json = gcp_key_json(pem_a8, uri);
	cfg.service_account_key = json;
	cfg.policy.allowed_hosts = "oauth2.googleapis.com";
	c = cqp_cred_new(&cfg, &err);
	CQ_CHECK(c == NULL && err.kind == CQ_ERR_POLICY);
	CQ_CHECK(!err_has(&err, "MII"));
	free(json);
}

/* ---------------------------------------------------------------- Azure */

#define AZ_SECRET "Az+Secret/Value=42~x"

static CqpCred *
azure_cred(const char *tenant, const char *secret, CqError *err)
{
	char		auth[512];
	CqpCredConfig cfg = {0};

	snprintf(auth, sizeof(auth), "%s/_oauth/azure/", cqt_mock_url());	/* trailing / ok */
	cfg.kind = CQP_CRED_AZURE_CLIENT;
	cfg.tenant_id = tenant;
	cfg.client_id = "11111111-2222-3333-4444-555555555555";
	cfg.client_secret = secret;
	cfg.authority_url = auth;
	cfg.retry_base_ms = 10;
	memset(err, 0, sizeof(*err));
	return cqp_cred_new(&cfg, err);
}

static bool
azure_register(const char *extra)
{
	char		rest[512];
	char	   *s = esc(AZ_SECRET);

	snprintf(rest, sizeof(rest), "&tenant=contoso.onmicrosoft.com"
			 "&client_id=11111111-2222-3333-4444-555555555555&client_secret=%s%s", s, extra);
	free(s);
	return mock_oauth("azure", NULL, rest);
}

static void
test_azure(void)
{
	CqError		err;
	CqpCred    *c;
	CqpCredStats st;
	char	   *t1,
			   *t2;

	h3_mock("/_mock/reset");
	CQ_CHECK(azure_register(""));
	c = azure_cred("contoso.onmicrosoft.com", AZ_SECRET, &err);
	CQ_CHECKF(c != NULL, "%s", err.message);
	if (!c)
		return;
	/* a 503 first: retried */
	h3_mock("/_mock/fault?route=/_oauth/azure/&mode=503&count=1");
	t1 = cqp_cred_get(c, &err);
	CQ_CHECKF(t1 && strncmp(t1, "mock_azure_", 11) == 0, "%s", t1 ? t1 : err.message);
	CQ_CHECK(h3_mock_count("/_oauth/azure/", NULL) == 2);
	cqp_cred_stats(c, &st);
	CQ_CHECK(st.auth_requests == 2 && st.tokens_fetched == 1);
	CQ_CHECK(t1 && whoami(t1) == 200);
	{
		json_t	   *last = mock_last("azure");
		char	   *f = json_dumps(json_object_get(last, "form"), JSON_COMPACT);

		CQ_CHECK_STR(f, "[\"client_id\",\"client_secret\",\"grant_type\",\"scope\"]");
		free(f);
		json_decref(last);
	}

	/* the secret is revoked: a 401 invalidates, the refetch fails clearly */
	h3_mock("/_mock/oauth?kind=azure&revoke=1");
	CQ_CHECK(cqp_cred_invalidate(c, t1));
	t2 = cqp_cred_get(c, &err);
	CQ_CHECK(t2 == NULL);
	CQ_CHECK(err.kind == CQ_ERR_HTTP && err.http_status == 401);
	CQ_CHECKF(strstr(err.message, "client_secret") && strstr(err.message, "revoked"), "%s", err.message);
	CQ_CHECKF(strstr(err.api_message, "AADSTS7000215") != NULL, "%s", err.api_message);
	CQ_CHECK(!err_has(&err, AZ_SECRET));
	CQ_CHECK(!err_has(&err, "Az%2BSecret"));
	CQ_CHECK(h3_mock_count("/_oauth/azure/", NULL) == 3);
	cqp_secret_free(t1);
	cqp_cred_free(c);

	/* a server that repeats the secret in its message: not shown */
	h3_mock("/_mock/reset");
	CQ_CHECK(azure_register("&echo_secret=1"));
	c = azure_cred("contoso.onmicrosoft.com", "Wrong+Secret.Value", &err);
	t2 = c ? cqp_cred_get(c, &err) : NULL;
	CQ_CHECK(c && t2 == NULL && err.http_status == 401);
	CQ_CHECK(!err_has(&err, "Wrong+Secret.Value"));
	CQ_CHECKF(strstr(err.api_message, "not shown") != NULL, "%s", err.api_message);
	cqp_cred_free(c);

	/* wrong tenant: names what to check */
	c = azure_cred("fabrikam.onmicrosoft.com", AZ_SECRET, &err);
	t2 = c ? cqp_cred_get(c, &err) : NULL;
	CQ_CHECK(c && t2 == NULL && err.http_status == 400);
	CQ_CHECK(strstr(err.message, "tenant_id") != NULL);
	CQ_CHECK(strstr(err.api_message, "AADSTS90002") != NULL);
	CQ_CHECK(!err_has(&err, AZ_SECRET));
	cqp_cred_free(c);

	/* a broken 200 is an error, never a token (CR LF would inject a header) */
	{
		static const char *answers[] = {"crlf", "missing", "notjson"};

		for (int i = 0; i < 3; i++)
		{
			char		extra[64];

			h3_mock("/_mock/reset");
			snprintf(extra, sizeof(extra), "&answer=%s", answers[i]);
			CQ_CHECK(azure_register(extra));
			c = azure_cred("contoso.onmicrosoft.com", AZ_SECRET, &err);
			t2 = c ? cqp_cred_get(c, &err) : NULL;
			CQ_CHECKF(c && t2 == NULL && err.kind == CQ_ERR_JSON, "%s: %s", answers[i], err.message);
			cqp_secret_free(t2);
			cqp_cred_free(c);
		}
	}

	/* a tenant that would change the URL path is refused up front */
	c = azure_cred("../common", AZ_SECRET, &err);
	CQ_CHECK(c == NULL && err.kind == CQ_ERR_CONFIG && strstr(err.message, "tenant_id"));
	c = azure_cred("contoso.onmicrosoft.com", "", &err);
	CQ_CHECK(c == NULL && err.kind == CQ_ERR_CONFIG && strstr(err.message, "client_secret"));
}

/* 8 threads ask at once while the (slow) fetch runs: one request. */
typedef struct GetArg
{
	CqpCred    *c;
	pthread_barrier_t *bar;
	char	   *token;
	CqError		err;
} GetArg;

static void *
get_thread(void *p)
{
	GetArg	   *a = p;

	pthread_barrier_wait(a->bar);
	a->token = cqp_cred_get(a->c, &a->err);
	return NULL;
}

static void
test_concurrent_single_fetch(void)
{
	CqError		err;
	CqpCred    *c;
	pthread_t	th[8];
	GetArg		args[8];
	pthread_barrier_t bar;
	CqpCredStats st;
	int			same = 0;

	h3_mock("/_mock/reset");
	CQ_CHECK(azure_register(""));
	h3_mock("/_mock/fault?route=/_oauth/azure/&mode=slow&delay_ms=400&count=1");
	c = azure_cred("contoso.onmicrosoft.com", AZ_SECRET, &err);
	CQ_CHECKF(c != NULL, "%s", err.message);
	if (!c)
		return;
	pthread_barrier_init(&bar, NULL, 8);
	for (int i = 0; i < 8; i++)
	{
		memset(&args[i], 0, sizeof(args[i]));
		args[i].c = c;
		args[i].bar = &bar;
		pthread_create(&th[i], NULL, get_thread, &args[i]);
	}
	for (int i = 0; i < 8; i++)
		pthread_join(th[i], NULL);
	pthread_barrier_destroy(&bar);
	for (int i = 0; i < 8; i++)
		if (args[i].token && args[0].token && strcmp(args[i].token, args[0].token) == 0)
			same++;
	CQ_CHECKF(same == 8, "%d of 8 threads got the token", same);
	CQ_CHECK(h3_mock_count("/_oauth/azure/", NULL) == 1);
	cqp_cred_stats(c, &st);
	CQ_CHECK(st.auth_requests == 1 && st.tokens_fetched == 1 && st.cache_hits == 7);
	for (int i = 0; i < 8; i++)
		cqp_secret_free(args[i].token);
	cqp_cred_free(c);
}

/* ---------------------------------------------------------------- GitHub App */

static CqpCred *
github_cred(const char *pem, const char *inst, CqError *err)
{
	CqpCredConfig cfg = {0};

	cfg.kind = CQP_CRED_GITHUB_APP;
	cfg.app_id = "123456";
	cfg.private_key = pem;
	cfg.installation_id = inst;
	cfg.api_url = cqt_mock_url();
	cfg.retry_base_ms = 10;
	memset(err, 0, sizeof(*err));
	return cqp_cred_new(&cfg, err);
}

static void
test_github_app(void)
{
	CqError		err;
	CqpCred    *c;
	char	   *t1,
			   *t2;
	time_t		now = time(NULL);

	h3_mock("/_mock/reset");
	CQ_CHECK(mock_oauth("github", pub_a, "&app_id=123456&installation_id=42"));
	c = github_cred(pem_a1, "42", &err);
	CQ_CHECKF(c != NULL, "%s", err.message);
	if (!c)
		return;
	t1 = cqp_cred_get(c, &err);
	CQ_CHECKF(t1 && strncmp(t1, "mock_github_", 12) == 0, "%s", t1 ? t1 : err.message);
	CQ_CHECK(t1 && whoami(t1) == 200);
	{
		json_t	   *last = mock_last("github");
		json_t	   *cl = json_object_get(last, "claims");
		json_int_t	iat = json_integer_value(json_object_get(cl, "iat"));
		json_int_t	exp = json_integer_value(json_object_get(cl, "exp"));

		CQ_CHECK(json_is_integer(json_object_get(cl, "iss"))
				 && json_integer_value(json_object_get(cl, "iss")) == 123456);
		CQ_CHECK(exp - iat <= 600 && iat <= now && exp > now);
		json_decref(last);
	}
	t2 = cqp_cred_get(c, &err);
	CQ_CHECK(t1 && t2 && strcmp(t1, t2) == 0);
	CQ_CHECK(h3_mock_count("/app/installations/", NULL) == 1);
	CQ_CHECK(cqp_cred_invalidate(c, t1));
	cqp_secret_free(t2);
	t2 = cqp_cred_get(c, &err);
	CQ_CHECK(t1 && t2 && strcmp(t1, t2) != 0);
	CQ_CHECK(h3_mock_count("/app/installations/", NULL) == 2);
	cqp_secret_free(t1);
	cqp_secret_free(t2);
	cqp_cred_free(c);

	/* the wrong key (revoked, or another app's) */
	c = github_cred(pem_b8, "42", &err);
	t1 = c ? cqp_cred_get(c, &err) : NULL;
	CQ_CHECK(c && t1 == NULL && err.kind == CQ_ERR_HTTP && err.http_status == 401);
	CQ_CHECKF(strstr(err.message, "private_key") != NULL, "%s", err.message);
	CQ_CHECK(strstr(err.api_message, "could not be decoded") != NULL);
	CQ_CHECK(!err_has(&err, "eyJ"));
	cqp_cred_free(c);

	/* an installation the app does not have */
	c = github_cred(pem_a8, "43", &err);
	t1 = c ? cqp_cred_get(c, &err) : NULL;
	CQ_CHECK(c && t1 == NULL && err.http_status == 404);
	CQ_CHECK(strstr(err.message, "installation_id") != NULL);
	cqp_cred_free(c);

	c = github_cred(pem_a8, "4/../3", &err);
	CQ_CHECK(c == NULL && err.kind == CQ_ERR_CONFIG && strstr(err.message, "installation_id"));
	c = github_cred("-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----\n", "42", &err);
	CQ_CHECK(c == NULL && err.kind == CQ_ERR_CONFIG && strstr(err.message, "private_key"));
}

/* ---------------------------------------------------------------- static, policy */

static void
test_static_and_policy(void)
{
	CqpCredConfig cfg = {0};
	CqError		err;
	CqpCred    *c;
	CqpCredStats st;
	char	   *t;

	cfg.kind = CQP_CRED_STATIC;
	cfg.token = "ghp_PastedToken123";
	memset(&err, 0, sizeof(err));
	c = cqp_cred_new(&cfg, &err);
	CQ_CHECK(c != NULL);
	t = c ? cqp_cred_get(c, &err) : NULL;
	CQ_CHECK_STR(t, "ghp_PastedToken123");
	CQ_CHECK(c && !cqp_cred_invalidate(c, t));	/* cannot refresh: no retry */
	cqp_secret_free(t);
	if (c)
	{
		cqp_cred_stats(c, &st);
		CQ_CHECK(st.auth_requests == 0);
	}
	cqp_cred_free(c);
	cfg.token = "ghp_Pasted\r\nX-Evil: 1";
	c = cqp_cred_new(&cfg, &err);
	CQ_CHECK(c == NULL && err.kind == CQ_ERR_CONFIG && !err_has(&err, "ghp_Pasted"));

	/*
	 * A denied address: refused before any request when the URL holds it;
	 * at connect time when a host name resolves to it.
	 */
	h3_mock("/_mock/reset");
	CQ_CHECK(azure_register(""));
	{
		char		auth[512];
		const char *port = strrchr(cqt_mock_url(), ':');
		CqpCredConfig az = {0};

		snprintf(auth, sizeof(auth), "%s/_oauth/azure", cqt_mock_url());
		az.kind = CQP_CRED_AZURE_CLIENT;
		az.tenant_id = "contoso.onmicrosoft.com";
		az.client_id = "11111111-2222-3333-4444-555555555555";
		az.client_secret = AZ_SECRET;
		az.authority_url = auth;
		az.policy.denied_addrs = "127.0.0.0/8,::1";
		c = cqp_cred_new(&az, &err);
		CQ_CHECK(c == NULL && err.kind == CQ_ERR_POLICY);
		CQ_CHECK(!err_has(&err, AZ_SECRET));

		snprintf(auth, sizeof(auth), "http://localhost%s/_oauth/azure", port ? port : ":18080");
		c = cqp_cred_new(&az, &err);
		CQ_CHECKF(c != NULL, "%s", err.message);
		t = c ? cqp_cred_get(c, &err) : NULL;
		CQ_CHECKF(c && t == NULL && err.kind == CQ_ERR_POLICY, "%s", err.message);
		CQ_CHECK(h3_mock_count("/_oauth/azure/", NULL) == 0);
		CQ_CHECK(!err_has(&err, AZ_SECRET));
		cqp_secret_free(t);
		cqp_cred_free(c);

		az.policy.denied_addrs = NULL;
		snprintf(auth, sizeof(auth), "file:///etc");
		c = cqp_cred_new(&az, &err);
		CQ_CHECK(c == NULL && err.kind == CQ_ERR_POLICY);
	}
}

/*
 * A GitHub App without installation_id: the installation is looked up per
 * owner the request URL names (once per owner, case-insensitive), each
 * owner gets its own installation's token; an owner without the app and a
 * URL naming no owner are clear errors.
 */
static void
test_github_lookup(void)
{
	CqError		err;
	CqpCred    *c;
	CqpCredStats st;
	char		u[512];
	char	   *ta,
			   *ta2,
			   *tw,
			   *tn;

	h3_mock("/_mock/reset");
	CQ_CHECK(mock_oauth("github", pub_a, "&app_id=123456&installation_id=42&installs=acme:42,widgets:77"));
	c = github_cred(pem_a1, NULL, &err);
	CQ_CHECKF(c != NULL, "%s", err.message);
	if (!c)
		return;
	snprintf(u, sizeof(u), "%s/orgs/acme/items?page=2", cqt_mock_url());
	ta = cqp_cred_get_for(c, u, &err);
	CQ_CHECKF(ta && strncmp(ta, "mock_github_", 12) == 0, "%s", ta ? ta : err.message);
	CQ_CHECK(h3_mock_count("/orgs/acme/installation", NULL) == 1);
	CQ_CHECK(h3_mock_count("/app/installations/42/", NULL) == 1);
	snprintf(u, sizeof(u), "%s/repos/ACME/gears/issues", cqt_mock_url());
	ta2 = cqp_cred_get_for(c, u, &err);
	CQ_CHECK(ta && ta2 && strcmp(ta, ta2) == 0);
	CQ_CHECK(h3_mock_count("/repos/", NULL) == 0);
	snprintf(u, sizeof(u), "%s/repos/widgets/gears/items", cqt_mock_url());
	tw = cqp_cred_get_for(c, u, &err);
	CQ_CHECKF(tw && ta && strcmp(tw, ta) != 0, "%s", tw ? tw : err.message);
	CQ_CHECK(h3_mock_count("/repos/widgets/gears/installation", NULL) == 1);
	CQ_CHECK(h3_mock_count("/app/installations/77/", NULL) == 1);
	/* invalidating one owner's token refetches that owner's only */
	CQ_CHECK(cqp_cred_invalidate(c, tw));
	cqp_secret_free(tw);
	tw = cqp_cred_get_for(c, u, &err);
	CQ_CHECK(h3_mock_count("/app/installations/77/", NULL) == 2 && h3_mock_count("/app/installations/42/", NULL) == 1);
	snprintf(u, sizeof(u), "%s/orgs/nobody/items", cqt_mock_url());
	tn = cqp_cred_get_for(c, u, &err);
	CQ_CHECK(tn == NULL && err.kind == CQ_ERR_HTTP && err.http_status == 404);
	CQ_CHECKF(strstr(err.message, "not installed on nobody") != NULL, "%s", err.message);
	CQ_CHECK(!err_has(&err, "eyJ"));
	snprintf(u, sizeof(u), "%s/installation/repositories", cqt_mock_url());
	tn = cqp_cred_get_for(c, u, &err);
	CQ_CHECK(tn == NULL && err.kind == CQ_ERR_CONFIG && strstr(err.message, "installation_id is required"));
	/* 3 lookups + 3 token requests */
	cqp_cred_stats(c, &st);
	CQ_CHECKF(st.auth_requests == 6, "%lld", (long long) st.auth_requests);
	cqp_secret_free(ta);
	cqp_secret_free(ta2);
	cqp_secret_free(tw);
	cqp_cred_free(c);
}

/*
 * Providers kept across jobs: the same key and options give the same
 * provider (its token is reused), changed options a new one, and a cleared
 * cache never frees a provider still referenced.
 */
static void
test_cred_cache(void)
{
	CqError		err;
	CqpCredConfig cfg = {0};
	CqpCred    *a,
			   *b,
			   *c2;
	char		auth[512];
	char	   *t1,
			   *t2;

	h3_mock("/_mock/reset");
	CQ_CHECK(azure_register(""));
	snprintf(auth, sizeof(auth), "%s/_oauth/azure", cqt_mock_url());
	cfg.kind = CQP_CRED_AZURE_CLIENT;
	cfg.tenant_id = "contoso.onmicrosoft.com";
	cfg.client_id = "11111111-2222-3333-4444-555555555555";
	cfg.client_secret = AZ_SECRET;
	cfg.authority_url = auth;
	memset(&err, 0, sizeof(err));
	a = cqp_cred_acquire("um:1", &cfg, &err);
	t1 = a ? cqp_cred_get(a, &err) : NULL;
	CQ_CHECKF(t1 != NULL, "%s", err.message);
	cqp_cred_free(a);			/* the "scan" ends; the cache keeps it */
	b = cqp_cred_acquire("um:1", &cfg, &err);
	CQ_CHECK(b != NULL && b == a);
	t2 = b ? cqp_cred_get(b, &err) : NULL;
	CQ_CHECK(t1 && t2 && strcmp(t1, t2) == 0);
	CQ_CHECK(h3_mock_count("/_oauth/azure/", NULL) == 1);
	cqp_secret_free(t2);
	/* another mapping: its own provider */
	c2 = cqp_cred_acquire("um:2", &cfg, &err);
	CQ_CHECK(c2 != NULL && c2 != b);
	cqp_cred_free(c2);
	/* the options changed (a new secret): a new provider, a new fetch */
	cfg.client_secret = "another-secret";
	c2 = cqp_cred_acquire("um:1", &cfg, &err);
	CQ_CHECK(c2 != NULL && c2 != b);
	cqp_cred_free(c2);
	/* cleared while b is in use: b stays valid until its holder frees it */
	cq_cred_cache_clear();
	t2 = cqp_cred_get(b, &err);
	CQ_CHECK(t1 && t2 && strcmp(t1, t2) == 0);
	cqp_secret_free(t2);
	cqp_cred_free(b);
	cfg.client_secret = AZ_SECRET;
	a = cqp_cred_acquire("um:1", &cfg, &err);
	t2 = a ? cqp_cred_get(a, &err) : NULL;
	CQ_CHECK(t1 && t2 && strcmp(t1, t2) != 0);
	CQ_CHECK(h3_mock_count("/_oauth/azure/", NULL) == 2);
	cqp_secret_free(t1);
	cqp_secret_free(t2);
	cqp_cred_free(a);
	cq_cred_cache_clear();
}

void
suite_cred(void)
{
	key_a = keygen("RSA", 2048);
	key_b = keygen("RSA", 2048);
	if (!key_a || !key_b)
	{
		CQ_CHECK(!"RSA key generation failed");
		return;
	}
	pem_a8 = pem_of(key_a, 8);
	pem_a1 = pem_of(key_a, 1);
	pub_a = pem_of(key_a, 'p');
	pem_b8 = pem_of(key_b, 8);
	CQ_CHECK(pem_a8 && strstr(pem_a8, "BEGIN PRIVATE KEY"));
	CQ_CHECK(pem_a1 && strstr(pem_a1, "BEGIN RSA PRIVATE KEY"));

	test_base64url();
	test_jwt_sign_verify();
	test_bad_keys();
	test_gcp_config_errors();
	test_static_and_policy();
	test_gcp_refresh();
	test_gcp_margin_cap();
	test_gcp_wrong_key();
	test_token_env_proxy_ignored();
	test_azure();
	test_concurrent_single_fetch();
	test_github_app();
	test_github_lookup();
	test_cred_cache();

	EVP_PKEY_free(key_a);
	EVP_PKEY_free(key_b);
	free(pem_a8);
	free(pem_a1);
	free(pub_a);
	free(pem_b8);
}
