/*-------------------------------------------------------------------------
 *
 * cred.c
 *		  Credential providers: the bearer token a request carries, fetched
 *		  from the identity a user holds and cached until shortly before it
 *		  expires.
 *
 * Providers (CqpCredKind):
 *	- static: a pasted token, returned as is; it cannot be refreshed.
 *	- GCP service account: the key file's JSON gives client_email,
 *	  private_key (PEM), private_key_id and token_uri.  An RS256 JWT
 *	  (header kid = private_key_id; claims iss = client_email, scope,
 *	  aud = token_uri, iat = now, exp = iat + 3600) is exchanged at
 *	  token_uri (grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer,
 *	  assertion=JWT) for {access_token, expires_in}.  Google's "Using OAuth
 *	  2.0 for Server to Server Applications".
 *	- Azure client credentials: POST {authority_url}/{tenant_id}/oauth2/
 *	  v2.0/token with client_id, client_secret, scope (default the ARM
 *	  scope) and grant_type=client_credentials -> {access_token,
 *	  expires_in}.  Microsoft identity platform, "OAuth 2.0 client
 *	  credentials flow".
 *	- GitHub App: an RS256 app JWT (iss = app_id, iat = now - 60 against
 *	  clock drift, exp = now + 540: GitHub refuses more than 10 minutes)
 *	  sent as "Authorization: Bearer" to POST {api_url}/app/installations/
 *	  {installation_id}/access_tokens -> 201 {token, expires_at (RFC 3339)}.
 *	- AWS keys: an access key (+ session token) used as is; a role: STS
 *	  AssumeRole signed with that key (see "AWS" below), its temporary key
 *	  cached like a token until Expiration minus the margin.  The "token"
 *	  of both is the key packed as "id\nsecret\nsession token";
 *	  cqp_cred_get_aws unpacks it for the SigV4 signer (http.c).  Limit:
 *	  the AssumeRole reply is parsed by libxml2 (xml.c), whose internal
 *	  buffers are freed, not wiped.
 *
 * Caching (cqp_cred_get): a token is reused until expiry minus the margin
 * (default 60 s, at most half the token's lifetime, counted from the start
 * of the request that fetched it, so a slow answer only makes it shorter).
 * When it is stale, the first caller fetches on its own thread with the
 * lock released; callers arriving meanwhile wait on a condition variable
 * and share that fetch's token or error, so N threads make one request.
 * A token with no expires_in is kept until a 401 invalidates it.
 *
 * How it will be wired (not yet: http.c/job.c are being restructured):
 *	- The job gets a CqpCred (built by the FDW from the user mapping,
 *	  kept per user mapping across scans so the token outlives a scan).
 *	- Per request, before the transfer starts: cqp_cred_get -> the
 *	  request's own "Authorization: Bearer" header (a per-request slist,
 *	  not the job-wide one), the token remembered with the request.
 *	- A 401: cqp_cred_invalidate(c, token the request carried) and one
 *	  retry with a fresh cqp_cred_get; a second 401 is the error (SQLSTATE
 *	  28000, HINT from cqp_cred_options_hint).  Passing the request's token
 *	  makes N requests that fail together cause one refetch.
 *	- cqp_cred_stats().auth_requests feeds EXPLAIN ANALYZE "Auth
 *	  Requests".  A fetch blocks its caller: on the job's I/O thread it
 *	  stalls other transfers for one token request (about once an hour);
 *	  moving the fetch into the multi handle is a later step.
 *
 * Invariants:
 *	- Token requests are requests like the others: cq_net_url_allowed on
 *	  the URL (also checked in cqp_cred_new, so a refused token endpoint is
 *	  an error before any scan), cq_net_addr_allowed on every resolved
 *	  address (CURLOPT_OPENSOCKETFUNCTION), no proxy whatever the
 *	  environment says, http/https only, redirects not followed, connect
 *	  and total timeouts, retries with backoff on connection errors, 429
 *	  and 5xx, a response size cap.
 *	- Secrets: client_secret, static token, private keys (as EVP_PKEY),
 *	  assertions, request bodies, response bodies and cached tokens live in
 *	  malloc'd buffers that are wiped (OPENSSL_cleanse) before they are
 *	  freed; jansson values that held them are wiped string by string.
 *	  No CqError field is ever built from a secret; the API's own message
 *	  is dropped if it repeats one (scrub_error).  jansson's parse error
 *	  text (which quotes the input) is never used for the key JSON.
 *	- A returned token contains only visible ASCII (it goes into a header:
 *	  no CR/LF injection by a hostile token endpoint).
 *	- Thread-safety: config fields are read-only after cqp_cred_new; the
 *	  cache and stats are under `mu`; no lock is held during a request.
 *
 * Copyright (c) 2026, cq_fdw developers
 *
 *-------------------------------------------------------------------------
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE				/* memmem, timegm */
#endif
#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "cq_sdk_int.h"
#include "cred.h"
#include "jwt.h"
#include "sigv4.h"
#include "xml.h"
#include "kubeconfig.h"

#define CRED_MAX_RESPONSE	(1024 * 1024)	/* token responses are ~2 KiB */
#define CRED_MAX_TOKEN		(64 * 1024)
#define CRED_MAX_INPUT		(64 * 1024)	/* key JSON, secrets, ids */
#define CRED_MAX_URL		2048
#define CRED_RETRY_CAP_MS	5000
#define GCP_JWT_LIFETIME	3600
#define GITHUB_JWT_BACKDATE 60
#define GITHUB_JWT_AHEAD	540		/* exp - iat = 600 s, GitHub's maximum */
#define CRED_MAX_LIFETIME_S (7 * 86400)	/* a longer expires_in is taken as this */

struct CqpCred
{
	CqpCredKind kind;

	/* read-only after cqp_cred_new */
	char	   *static_token;
	CqpRsaKey  *key;
	char	   *kid;			/* GCP private_key_id */
	char	   *iss;			/* GCP client_email, GitHub app_id */
	bool		iss_numeric;	/* GitHub: a numeric app id goes as a number */
	char	   *token_url;
	char	   *scope;
	char	   *client_id;
	char	   *client_secret;
	char	   *allowed_hosts;
	char	   *denied_addrs;
	CqNetPolicy policy;			/* points at the two copies above */
	long		connect_timeout_ms;
	long		request_timeout_ms;
	int			max_retries;
	long		retry_base_ms;
	bool		insecure;
	char	   *ca_file;
	char	   *user_agent;
	long		margin_ms;
	/* AWS kinds (token_url is the STS endpoint) */
	char	   *aws_akid;
	char	   *aws_secret;
	char	   *aws_token;
	char	   *role_arn;
	char	   *external_id;
	char	   *session_name;
	char	   *sts_region;
	int			duration_s;
	char		account[16];	/* under mu: GetCallerIdentity's answer */

	/* shared ownership (cqp_cred_ref / cqp_cred_free) */
	atomic_int	refs;

	/*
	 * GitHub App without installation_id: a dispatcher.  api_url is where
	 * installations are looked up; `children` (under mu) holds one
	 * provider per owner, each with the installation found for it and
	 * borrowing this provider's key (key_borrowed).  Lookups are
	 * serialized by lookup_mu.
	 */
	char	   *api_url;
	bool		dispatch;
	bool		key_borrowed;
	struct CredChild *children;
	pthread_mutex_t lookup_mu;

	/* cache, under mu */
	pthread_mutex_t mu;
	pthread_cond_t cv;
	char	   *token;
	int64_t		valid_until_ms; /* monotonic */
	bool		fetching;
	uint64_t	fetch_seq;		/* fetches completed */
	bool		last_failed;
	CqError		last_err;
	CqpCredStats stats;
};

/* A GitHub App dispatcher's provider for one owner. */
typedef struct CredChild
{
	struct CredChild *next;
	char	   *owner;			/* org or user login, as in the URL */
	CqpCred    *cred;			/* CQP_CRED_GITHUB_APP with installation */
	char		installation[32];	/* its installation id (digits) */
} CredChild;

/* A fetched token: malloc'd, with its lifetime from t_ref (monotonic). */
typedef struct Fetched
{
	char	   *token;
	int64_t		t_ref_ms;
	int64_t		lifetime_ms;	/* INT64_MAX: unknown, until a 401 */
} Fetched;

/* ------------------------------------------------------------------------
 * Small helpers
 * ------------------------------------------------------------------------ */

static int64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t
wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

static char *
dup_or_null(const char *s, bool *oom)
{
	char	   *d;

	if (s == NULL)
		return NULL;
	d = strdup(s);
	if (d == NULL)
		*oom = true;
	return d;
}

/* Wipe every string of a JSON value (token responses, the key file). */
static void
json_wipe(json_t *v)
{
	const char *k;
	json_t	   *e;
	size_t		i;

	if (json_is_string(v))
		OPENSSL_cleanse((char *) json_string_value(v), json_string_length(v));
	else if (json_is_object(v))
	{
		json_object_foreach(v, k, e)
			json_wipe(e);
	}
	else if (json_is_array(v))
	{
		json_array_foreach(v, i, e)
			json_wipe(e);
	}
}

static void
json_wipe_decref(json_t *v)
{
	if (v)
		json_wipe(v);
	json_decref(v);
}

/* Visible ASCII only (a token goes into a header). */
static bool
header_safe(const char *s)
{
	for (; *s; s++)
		if ((unsigned char) *s < 0x21 || (unsigned char) *s > 0x7e)
			return false;
	return true;
}

/*
 * Make sure no field of err contains a secret (or its first 8 bytes, which
 * survive truncation): the API's message is the only text not ours, and a
 * server may echo what it was sent.  Any other hit clears the field.
 */
static void
scrub_error(CqError *err, const char *const *secrets, int n)
{
	char	   *fields[] = {err->message, err->api_message, err->url, err->column,
	err->path, err->unit, err->setting};
	size_t		sizes[] = {sizeof(err->message), sizeof(err->api_message), sizeof(err->url),
		sizeof(err->column), sizeof(err->path), sizeof(err->unit), sizeof(err->setting)};

	for (int i = 0; i < n; i++)
	{
		const char *s = secrets[i];
		size_t		probe;

		if (s == NULL || *s == '\0')
			continue;
		probe = strlen(s) < 8 ? strlen(s) : 8;
		for (size_t f = 0; f < sizeof(fields) / sizeof(fields[0]); f++)
			if (memmem(fields[f], strnlen(fields[f], sizes[f]), s, probe) != NULL)
			{
				OPENSSL_cleanse(fields[f], sizes[f]);
				if (fields[f] == err->api_message)
					snprintf(err->api_message, sizeof(err->api_message),
							 "(the endpoint's message repeated a secret and is not shown)");
				else if (fields[f] == err->message)
					snprintf(err->message, sizeof(err->message), "token request failed");
			}
	}
}

/* ------------------------------------------------------------------------
 * One token request (POST), with retries
 * ------------------------------------------------------------------------ */

typedef struct Xfer
{
	const CqNetPolicy *policy;
	CqpStrBuf		   *resp;
	bool		refused;
	CqError		policy_err;
} Xfer;

static size_t
xfer_write(char *ptr, size_t size, size_t nmemb, void *ud)
{
	Xfer	   *x = ud;
	size_t		n = size * nmemb;

	cqp_sb_putn(x->resp, ptr, n);
	return (x->resp->oom || x->resp->too_big) ? 0 : n;
}

static curl_socket_t
xfer_opensocket(void *ud, curlsocktype purpose, struct curl_sockaddr *addr)
{
	Xfer	   *x = ud;

	(void) purpose;
	if (!cq_net_addr_allowed(x->policy, &addr->addr, &x->policy_err))
	{
		if (x->policy_err.kind == CQ_ERR_NONE)
			cq_error_set(&x->policy_err, CQ_ERR_POLICY,
						 "connection to this address is not allowed");
		x->refused = true;
		return CURL_SOCKET_BAD;
	}
	return socket(addr->family, addr->socktype | SOCK_CLOEXEC, addr->protocol);
}

static void
slist_wipe_free(struct curl_slist *l)
{
	for (struct curl_slist *s = l; s; s = s->next)
		OPENSSL_cleanse(s->data, strlen(s->data));
	curl_slist_free_all(l);
}

static void
count_request(CqpCred *c)
{
	pthread_mutex_lock(&c->mu);
	c->stats.auth_requests++;
	pthread_mutex_unlock(&c->mu);
}

/*
 * token_request
 *		POST `body` (NULL: GET) to `url` (token_post: c->token_url) with `headers` (NULL-terminated
 *		"Name: value" lines, may hold a credential).  Retries connection
 *		errors, timeouts, 429 and 5xx up to c->max_retries times.  true with
 *		*status and *resp (caller wipes) when a response arrived (any
 *		status); false and err otherwise.  *t_start_ms is the monotonic
 *		start of the attempt that answered.
 */
static bool
token_request(CqpCred *c, const char *url, const char *const *headers, const char *body,
			  long *status, CqpStrBuf *resp, int64_t *t_start_ms, CqError *err)
{
	for (int attempt = 0;; attempt++)
	{
		CURL	   *e;
		struct curl_slist *hl = NULL;
		Xfer		x = {0};
		CURLcode	rc;
		bool		retry = false;
		bool		oom = false;

		cqp_sb_wipe(resp);
		resp->max = CRED_MAX_RESPONSE;
		if (!cq_net_url_allowed(&c->policy, url, err))
		{
			if (err->kind == CQ_ERR_NONE)
				cq_error_set(err, CQ_ERR_POLICY, "token endpoint not allowed by the outbound policy");
			cq_redact_url(url, err->url, sizeof(err->url));
			return false;
		}
		e = curl_easy_init();
		for (int i = 0; headers && headers[i]; i++)
		{
			struct curl_slist *nl = curl_slist_append(hl, headers[i]);

			if (nl == NULL)
			{
				oom = true;
				break;
			}
			hl = nl;
		}
		if (e == NULL || oom)
		{
			if (e)
				curl_easy_cleanup(e);
			slist_wipe_free(hl);
			cq_error_set(err, CQ_ERR_NOMEM, "out of memory starting a token request");
			return false;
		}
		x.policy = &c->policy;
		x.resp = resp;
		curl_easy_setopt(e, CURLOPT_URL, url);
		/* never a proxy: the address check below must see the target */
		cqp_net_curl_defaults(e, c->user_agent);
		if (body)
		{
			curl_easy_setopt(e, CURLOPT_POST, 1L);
			curl_easy_setopt(e, CURLOPT_POSTFIELDS, body);	/* not copied by curl */
			curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, (long) strlen(body));
		}
		curl_easy_setopt(e, CURLOPT_HTTPHEADER, hl);
		curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, xfer_write);
		curl_easy_setopt(e, CURLOPT_WRITEDATA, &x);
		curl_easy_setopt(e, CURLOPT_OPENSOCKETFUNCTION, xfer_opensocket);
		curl_easy_setopt(e, CURLOPT_OPENSOCKETDATA, &x);
		curl_easy_setopt(e, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t) CRED_MAX_RESPONSE);
		curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, c->connect_timeout_ms);
		curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, c->request_timeout_ms);
		if (c->insecure)
		{
			curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 0L);
			curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 0L);
		}
		if (c->ca_file)
			curl_easy_setopt(e, CURLOPT_CAINFO, c->ca_file);

		count_request(c);
		*t_start_ms = mono_ms();
		rc = curl_easy_perform(e);
		*status = 0;
		if (rc == CURLE_OK)
			curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, status);
		curl_easy_cleanup(e);
		slist_wipe_free(hl);

		if (rc == CURLE_OK)
		{
			if ((*status == 429 || *status >= 500) && attempt < c->max_retries)
				retry = true;
			else
				return true;
		}
		else if (x.refused)
		{
			*err = x.policy_err;
			cq_redact_url(url, err->url, sizeof(err->url));
			return false;
		}
		else if (resp->too_big || rc == CURLE_FILESIZE_EXCEEDED)
		{
			cq_error_set(err, CQ_ERR_LIMIT, "token response larger than %d bytes", CRED_MAX_RESPONSE);
			cq_redact_url(url, err->url, sizeof(err->url));
			return false;
		}
		else if (resp->oom)
		{
			cq_error_set(err, CQ_ERR_NOMEM, "out of memory reading a token response");
			return false;
		}
		else
		{
			CqErrorKind kind;

			switch (rc)
			{
				case CURLE_OPERATION_TIMEDOUT:
					kind = CQ_ERR_TIMEOUT;
					break;
				case CURLE_COULDNT_RESOLVE_HOST:
				case CURLE_COULDNT_CONNECT:
				case CURLE_SSL_CONNECT_ERROR:
				case CURLE_PEER_FAILED_VERIFICATION:
				case CURLE_SSL_CACERT_BADFILE:
					kind = CQ_ERR_CONNECT;
					break;
				default:
					kind = CQ_ERR_TRANSFER;
					break;
			}
			cq_error_set(err, kind, "token request failed: %s", curl_easy_strerror(rc));
			cq_redact_url(url, err->url, sizeof(err->url));
			if (attempt >= c->max_retries)
				return false;
			retry = true;
		}
		if (retry)
		{
			long		ms = c->retry_base_ms;

			for (int i = 0; i < attempt && ms < CRED_RETRY_CAP_MS; i++)
				ms *= 2;
			sleep_ms(ms < CRED_RETRY_CAP_MS ? ms : CRED_RETRY_CAP_MS);
		}
	}
}

static bool
token_post(CqpCred *c, const char *const *headers, const char *body,
		   long *status, CqpStrBuf *resp, int64_t *t_start_ms, CqError *err)
{
	return token_request(c, c->token_url, headers, body, status, resp, t_start_ms, err);
}

/* ------------------------------------------------------------------------
 * Responses
 * ------------------------------------------------------------------------ */

/* Who refused, and what the user should check, per provider. */
static const char *
refusal_text(CqpCredKind kind)
{
	switch (kind)
	{
		case CQP_CRED_GCP_SA:
			return "the GCP token endpoint refused the service account key";
		case CQP_CRED_AZURE_CLIENT:
			return "the Azure token endpoint refused the client credentials";
		case CQP_CRED_GITHUB_APP:
			return "GitHub refused the app's JWT or installation";
		default:
			return "the token endpoint refused the request";
	}
}

static const char *
check_text(CqpCredKind kind)
{
	switch (kind)
	{
		case CQP_CRED_GCP_SA:
			return "check service_account_key: the key may be deleted or disabled, or not belong to client_email";
		case CQP_CRED_AZURE_CLIENT:
			return "check tenant_id, client_id and client_secret: a client secret expires and can be revoked";
		case CQP_CRED_GITHUB_APP:
			return "check app_id, private_key and installation_id: the key may be revoked or the app uninstalled";
		default:
			return "check token";
	}
}

/*
 * A non-2xx token response -> err, with the API's message (OAuth2 "error"
 * and "error_description", or GitHub's "message") sanitized.
 */
static void
response_error(CqpCred *c, long status, const CqpStrBuf *resp, CqError *err)
{
	json_t	   *j = resp->p ? json_loadb(resp->p, resp->n, 0, NULL) : NULL;
	char		api[512] = "";

	if (status == 429)
		cq_error_set(err, CQ_ERR_RATE_LIMIT, "the token endpoint is rate limiting (HTTP 429) after retries");
	else if (status >= 500)
		cq_error_set(err, CQ_ERR_HTTP, "the token endpoint failed (HTTP %ld) after retries", status);
	else if (status >= 400)
		cq_error_set(err, CQ_ERR_HTTP, "%s (HTTP %ld): %s", refusal_text(c->kind), status,
					 check_text(c->kind));
	else
		cq_error_set(err, CQ_ERR_HTTP, "the token endpoint answered HTTP %ld instead of a token", status);
	err->http_status = (int) status;
	if (json_is_object(j))
	{
		const char *e = json_string_value(json_object_get(j, "error"));
		const char *d = json_string_value(json_object_get(j, "error_description"));
		const char *m = json_string_value(json_object_get(j, "message"));

		if (e && d)
			snprintf(api, sizeof(api), "%s: %s", e, d);
		else if (e || d || m)
			snprintf(api, sizeof(api), "%s", e ? e : d ? d : m);
	}
	json_wipe_decref(j);
	cqp_sanitize_copy(err->api_message, sizeof(err->api_message), api, strlen(api));
	OPENSSL_cleanse(api, sizeof(api));
	cq_redact_url(c->token_url, err->url, sizeof(err->url));
}

/* A token value from a response: checked and copied (malloc'd). */
static char *
take_token(json_t *v, const char *field, CqError *err)
{
	const char *s = json_string_value(v);
	char	   *t;

	if (s == NULL || *s == '\0')
	{
		cq_error_set(err, CQ_ERR_JSON, "the token response has no \"%s\"", field);
		return NULL;
	}
	if (json_string_length(v) > CRED_MAX_TOKEN || !header_safe(s))
	{
		cq_error_set(err, CQ_ERR_JSON,
					 "the token response's \"%s\" is not a usable token (too long, or characters not allowed in a header)",
					 field);
		return NULL;
	}
	t = strdup(s);
	if (t == NULL)
		cq_error_set(err, CQ_ERR_NOMEM, "out of memory reading a token");
	return t;
}

/* expires_in seconds (hostile: any double) -> ms in [0, CRED_MAX_LIFETIME_S] */
static int64_t
lifetime_ms(double s)
{
	if (!(s > 0))				/* also NaN */
		return 0;
	if (s > CRED_MAX_LIFETIME_S)
		s = CRED_MAX_LIFETIME_S;
	return (int64_t) (s * 1000);
}

/* OAuth2 {access_token, expires_in} (GCP, Azure) */
static bool
parse_oauth_response(CqpCred *c, const CqpStrBuf *resp, Fetched *out, CqError *err)
{
	json_t	   *j = resp->p ? json_loadb(resp->p, resp->n, 0, NULL) : NULL;
	json_t	   *ei;

	if (!json_is_object(j))
	{
		json_wipe_decref(j);
		cq_error_set(err, CQ_ERR_JSON, "the token response is not a JSON object");
		cq_redact_url(c->token_url, err->url, sizeof(err->url));
		return false;
	}
	out->token = take_token(json_object_get(j, "access_token"), "access_token", err);
	ei = json_object_get(j, "expires_in");
	out->lifetime_ms = INT64_MAX;
	if (json_is_number(ei))
		out->lifetime_ms = lifetime_ms(json_number_value(ei));
	else if (json_is_string(ei))	/* Azure AD v1 sends a string */
	{
		char	   *end;
		double		v = strtod(json_string_value(ei), &end);

		if (*end == '\0' && end != json_string_value(ei))
			out->lifetime_ms = lifetime_ms(v);
	}
	json_wipe_decref(j);
	if (out->token == NULL)
	{
		cq_redact_url(c->token_url, err->url, sizeof(err->url));
		return false;
	}
	return true;
}

/* RFC 3339 "2016-07-11T22:14:10Z", fraction and offset optional -> ms */
static bool
parse_rfc3339(const char *s, int64_t *out_ms)
{
	struct tm	tm = {0};
	int			n = 0;
	int64_t		frac_ms = 0;
	long		off = 0;
	time_t		t;

	if (sscanf(s, "%4d-%2d-%2d%*1[Tt ]%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon,
			   &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &n) != 6 || n == 0)
		return false;
	s += n;
	if (*s == '.')
	{
		int			digits = 0;

		for (s++; isdigit((unsigned char) *s); s++, digits++)
			if (digits < 3)
				frac_ms = frac_ms * 10 + (*s - '0');
		for (; digits < 3; digits++)
			frac_ms *= 10;
	}
	if (*s == 'Z' || *s == 'z')
		s++;
	else if (*s == '+' || *s == '-')
	{
		int			hh,
					mm;

		if (sscanf(s + 1, "%2d:%2d", &hh, &mm) != 2)
			return false;
		off = (hh * 60L + mm) * 60L * (*s == '+' ? 1 : -1);
		s += 6;
	}
	else
		return false;
	if (*s != '\0' || tm.tm_mon < 1 || tm.tm_mon > 12 || tm.tm_mday < 1 || tm.tm_mday > 31)
		return false;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	t = timegm(&tm);
	if (t == (time_t) -1)
		return false;
	*out_ms = ((int64_t) t - off) * 1000 + frac_ms;
	return true;
}

/* ------------------------------------------------------------------------
 * Fetching, per provider
 * ------------------------------------------------------------------------ */

/* POST a form, expect an OAuth2 token response. */
static bool
fetch_oauth_form(CqpCred *c, CqpStrBuf *form, Fetched *out, CqError *err)
{
	static const char *const hdrs[] = {"Accept: application/json",
		"Content-Type: application/x-www-form-urlencoded", NULL};
	CqpStrBuf	resp = {0};
	long		status = 0;
	bool		ok;

	if (form->oom || form->too_big)
	{
		cq_error_set(err, CQ_ERR_NOMEM, "out of memory building a token request");
		return false;
	}
	ok = token_post(c, hdrs, form->p, &status, &resp, &out->t_ref_ms, err);
	if (ok && (status < 200 || status > 299))
	{
		response_error(c, status, &resp, err);
		ok = false;
	}
	else if (ok)
		ok = parse_oauth_response(c, &resp, out, err);
	cqp_sb_wipe(&resp);
	return ok;
}

static bool
fetch_gcp(CqpCred *c, Fetched *out, CqError *err)
{
	int64_t		now = wall_ms() / 1000;
	json_t	   *claims = json_pack("{s:s, s:s, s:s, s:I, s:I}", "iss", c->iss,
								   "scope", c->scope, "aud", c->token_url,
								   "iat", (json_int_t) now,
								   "exp", (json_int_t) (now + GCP_JWT_LIFETIME));
	char	   *jwt;
	CqpStrBuf	form = {.max = CRED_MAX_RESPONSE};
	bool		ok;

	if (claims == NULL)
	{
		cq_error_set(err, CQ_ERR_NOMEM, "out of memory building the JWT claims");
		return false;
	}
	jwt = cqp_jwt_sign_rs256(c->key, c->kid, claims, err);
	json_decref(claims);
	if (jwt == NULL)
		return false;
	cqp_sb_form_add(&form, "grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer");
	cqp_sb_form_add(&form, "assertion", jwt);
	ok = fetch_oauth_form(c, &form, out, err);
	{
		const char *secrets[] = {jwt};

		scrub_error(err, secrets, 1);
	}
	cqp_secret_free(jwt);
	cqp_sb_wipe(&form);
	return ok;
}

static bool
fetch_azure(CqpCred *c, Fetched *out, CqError *err)
{
	CqpStrBuf	form = {.max = CRED_MAX_RESPONSE};
	bool		ok;

	cqp_sb_form_add(&form, "client_id", c->client_id);
	cqp_sb_form_add(&form, "client_secret", c->client_secret);
	cqp_sb_form_add(&form, "scope", c->scope);
	cqp_sb_form_add(&form, "grant_type", "client_credentials");
	ok = fetch_oauth_form(c, &form, out, err);
	{
		const char *secrets[] = {c->client_secret};

		scrub_error(err, secrets, 1);
	}
	cqp_sb_wipe(&form);
	return ok;
}

/* The GitHub App's JWT (iss = app id, 10 minutes): malloc'd, a secret. */
static char *
github_app_jwt(CqpCred *c, CqError *err)
{
	int64_t		now = wall_ms() / 1000;
	json_t	   *claims;
	char	   *jwt;

	if (c->iss_numeric)
		claims = json_pack("{s:I, s:I, s:I}", "iat", (json_int_t) (now - GITHUB_JWT_BACKDATE),
						   "exp", (json_int_t) (now + GITHUB_JWT_AHEAD),
						   "iss", (json_int_t) strtoll(c->iss, NULL, 10));
	else
		claims = json_pack("{s:I, s:I, s:s}", "iat", (json_int_t) (now - GITHUB_JWT_BACKDATE),
						   "exp", (json_int_t) (now + GITHUB_JWT_AHEAD), "iss", c->iss);
	if (claims == NULL)
	{
		cq_error_set(err, CQ_ERR_NOMEM, "out of memory building the JWT claims");
		return NULL;
	}
	jwt = cqp_jwt_sign_rs256(c->key, NULL, claims, err);
	json_decref(claims);
	return jwt;
}

static bool
fetch_github(CqpCred *c, Fetched *out, CqError *err)
{
	char	   *jwt;
	CqpStrBuf	auth = {.max = CRED_MAX_RESPONSE};
	CqpStrBuf	resp = {0};
	long		status = 0;
	bool		ok = false;

	jwt = github_app_jwt(c, err);
	if (jwt == NULL)
		return false;
	cqp_sb_puts(&auth, "Authorization: Bearer ");
	cqp_sb_puts(&auth, jwt);
	if (auth.oom)
		cq_error_set(err, CQ_ERR_NOMEM, "out of memory building a token request");
	else
	{
		const char *hdrs[] = {"Accept: application/vnd.github+json",
			"X-GitHub-Api-Version: 2022-11-28", auth.p, NULL};

		ok = token_post(c, hdrs, "", &status, &resp, &out->t_ref_ms, err);
	}
	if (ok && (status < 200 || status > 299))
	{
		response_error(c, status, &resp, err);
		ok = false;
	}
	else if (ok)
	{
		json_t	   *j = json_loadb(resp.p ? resp.p : "", resp.n, 0, NULL);
		int64_t		exp_ms;

		ok = false;
		if (!json_is_object(j))
			cq_error_set(err, CQ_ERR_JSON, "the installation token response is not a JSON object");
		else if (!json_is_string(json_object_get(j, "expires_at"))
				 || !parse_rfc3339(json_string_value(json_object_get(j, "expires_at")), &exp_ms))
			cq_error_set(err, CQ_ERR_JSON, "the installation token response has no valid \"expires_at\"");
		else if ((out->token = take_token(json_object_get(j, "token"), "token", err)) != NULL)
		{
			/* expires_at is wall time: convert at the moment of the answer */
			out->t_ref_ms = mono_ms();
			out->lifetime_ms = lifetime_ms((exp_ms - wall_ms()) / 1000.0);
			ok = true;
		}
		json_wipe_decref(j);
		if (!ok)
			cq_redact_url(c->token_url, err->url, sizeof(err->url));
	}
	{
		const char *secrets[] = {jwt};

		scrub_error(err, secrets, 1);
	}
	cqp_sb_wipe(&resp);
	cqp_sb_wipe(&auth);
	cqp_secret_free(jwt);
	return ok;
}

/* ------------------------------------------------------------------------
 * AWS: static keys, and roles assumed with STS AssumeRole
 *
 * The cached "token" of an AWS provider is the key packed as
 * "access_key_id\nsecret_access_key\nsession_token" (each part visible
 * ASCII, so '\n' separates them unambiguously); cqp_cred_get_aws unpacks
 * a copy.  AssumeRole is a Query-protocol call: a form POST (Action,
 * Version=2011-06-15, RoleArn, RoleSessionName, ExternalId,
 * DurationSeconds) to the STS endpoint, signed with SigV4 (sigv4.c; scope
 * <sts_region>/sts) by the base key; the XML reply (xml.c) gives
 * AssumeRoleResult/Credentials/{AccessKeyId, SecretAccessKey,
 * SessionToken, Expiration}.  The temporary key is reused until Expiration
 * minus the margin, like a token.  AWS's "Requesting temporary security
 * credentials" and the STS API reference.
 * ------------------------------------------------------------------------ */

#define STS_VERSION "2011-06-15"

static bool check_input(const char *v, const char *name, CqError *err);

static char *
pack_keys(const char *akid, const char *secret, const char *token)
{
	size_t		n = strlen(akid) + strlen(secret) + (token ? strlen(token) : 0) + 3;
	char	   *p = malloc(n);

	if (p)
		snprintf(p, n, "%s\n%s\n%s", akid, secret, token ? token : "");
	return p;
}

/* A key part from the user or from STS: visible ASCII, bounded. */
static bool
key_part_ok(const char *s)
{
	return s && *s && strlen(s) <= CRED_MAX_TOKEN && header_safe(s);
}

/* "https://host:port/path?query" -> malloc'd authority, path, query */
static bool
split_sts_url(const char *url, char **auth, char **path, char **query)
{
	const char *a = strstr(url, "://");
	size_t		al,
				pl;

	*auth = *path = *query = NULL;
	if (a == NULL)
		return false;
	a += 3;
	al = strcspn(a, "/?#");
	if (al == 0)
		return false;
	pl = strcspn(a + al, "?#");
	*auth = strndup(a, al);
	*path = pl ? strndup(a + al, pl) : strdup("/");
	if (a[al + pl] == '?')
		*query = strndup(a + al + pl + 1, strcspn(a + al + pl + 1, "#"));
	return *auth && *path && (a[al + pl] != '?' || *query);
}

/* Every text of an XML reply as JSON, or NULL (never a parse error text). */
static json_t *
sts_xml(const CqpStrBuf *resp)
{
	static const char *const lists[] = {NULL};
	CqpXmlOptions xo = {.list_names = lists};
	CqError		xe;
	json_t	   *j;

	if (resp->p == NULL || resp->n == 0)
		return NULL;
	memset(&xe, 0, sizeof(xe));
	j = cqp_xml_to_json(resp->p, resp->n, &xo, &xe);
	OPENSSL_cleanse(&xe, sizeof(xe));
	return j;
}

static const char *
jget_str(json_t *o, const char *a, const char *b, const char *c_)
{
	json_t	   *v = json_object_get(o, a);

	if (b)
		v = json_object_get(v, b);
	if (c_)
		v = json_object_get(v, c_);
	return json_string_value(v);
}

/*
 * sts_call
 *		POST the form `body` to STS, signed with (akid, secret, token).
 *		true with *status and the parsed XML reply (*doc, caller wipes) when
 *		a response arrived; false and err otherwise.
 */
static bool
sts_call(CqpCred *c, const char *body, const char *akid, const char *secret,
		 const char *token, long *status, json_t **doc, int64_t *t_ref_ms,
		 CqError *err)
{
	char	   *auth = NULL,
			   *path = NULL,
			   *query = NULL;
	char	   *hostline = NULL;
	const char *ctype = "application/x-www-form-urlencoded; charset=utf-8";
	CqpSigv4Header hd[2];
	CqpSigv4Request sr;
	CqpSigv4Params sp;
	CqpSigv4Result res;
	CqpStrBuf	resp = {0};
	bool		ok = false;

	*doc = NULL;
	memset(&res, 0, sizeof(res));
	if (!split_sts_url(c->token_url, &auth, &path, &query))
	{
		cq_error_set(err, CQ_ERR_CONFIG, "the STS endpoint URL has no host");
		goto done;
	}
	hd[0].name = "Host";
	hd[0].value = auth;
	hd[1].name = "Content-Type";
	hd[1].value = ctype;
	memset(&sr, 0, sizeof(sr));
	sr.method = "POST";
	sr.path = path;
	sr.query = query;
	sr.headers = hd;
	sr.nheaders = 2;
	sr.body = body;
	sr.body_len = strlen(body);
	memset(&sp, 0, sizeof(sp));
	sp.access_key_id = akid;
	sp.secret_access_key = secret;
	sp.session_token = token && *token ? token : NULL;
	sp.region = c->sts_region;
	sp.service = "sts";
	sp.when = time(NULL);
	if (!cqp_sigv4_sign(&sr, &sp, &res, err))
		goto done;
	hostline = malloc(strlen(auth) + 8);
	if (hostline == NULL)
	{
		cq_error_set(err, CQ_ERR_NOMEM, "out of memory signing an STS request");
		goto done;
	}
	snprintf(hostline, strlen(auth) + 8, "Host: %s", auth);
	{
		const char *hdrs[10];
		int			n = 0;

		hdrs[n++] = hostline;
		hdrs[n++] = "Content-Type: application/x-www-form-urlencoded; charset=utf-8";
		for (int i = 0; i < res.nheaders && n < 9; i++)
			hdrs[n++] = res.headers[i];
		hdrs[n] = NULL;
		ok = token_post(c, hdrs, body, status, &resp, t_ref_ms, err);
	}
	if (ok)
		*doc = sts_xml(&resp);
done:
	cqp_sigv4_result_free(&res);
	cqp_sb_wipe(&resp);
	free(auth);
	free(path);
	free(query);
	free(hostline);
	return ok;
}

/* An STS error reply -> err: code, message and request id; never a secret. */
static void
sts_refused(CqpCred *c, const char *action, long status, json_t *doc, CqError *err)
{
	const char *code = jget_str(doc, "Error", "Code", NULL);
	const char *msg = jget_str(doc, "Error", "Message", NULL);
	const char *rid = jget_str(doc, "RequestId", NULL, NULL);

	if (status == 429 || status >= 500)
		cq_error_set(err, CQ_ERR_HTTP, "STS %s failed (HTTP %ld) after retries", action, status);
	else
		cq_error_set(err, CQ_ERR_HTTP, "STS %s refused the request (HTTP %ld)", action, status);
	err->http_status = (int) status;
	if (code)
		cqp_sanitize_copy(err->api_code, sizeof(err->api_code), code, strlen(code));
	if (msg)
		cqp_sanitize_copy(err->api_message, sizeof(err->api_message), msg, strlen(msg));
	if (rid)
		cqp_sanitize_copy(err->request_id, sizeof(err->request_id), rid, strlen(rid));
	snprintf(err->setting, sizeof(err->setting), "%s",
			 c->kind == CQP_CRED_AWS_ROLE ? "role_arn" : "access_key_id");
	cq_redact_url(c->token_url, err->url, sizeof(err->url));
}

static void
scrub_aws(CqpCred *c, CqError *err)
{
	const char *secrets[] = {c->aws_secret, c->aws_token};

	scrub_error(err, secrets, 2);
}

static bool
fetch_aws_role(CqpCred *c, Fetched *out, CqError *err)
{
	CqpStrBuf	form = {.max = CRED_MAX_RESPONSE};
	long		status = 0;
	json_t	   *doc = NULL;
	bool		ok;

	cqp_sb_form_add(&form, "Action", "AssumeRole");
	cqp_sb_form_add(&form, "Version", STS_VERSION);
	cqp_sb_form_add(&form, "RoleArn", c->role_arn);
	cqp_sb_form_add(&form, "RoleSessionName", c->session_name);
	if (c->external_id)
		cqp_sb_form_add(&form, "ExternalId", c->external_id);
	if (c->duration_s > 0)
	{
		char		d[16];

		snprintf(d, sizeof(d), "%d", c->duration_s);
		cqp_sb_form_add(&form, "DurationSeconds", d);
	}
	if (form.oom || form.too_big)
	{
		cqp_sb_wipe(&form);
		cq_error_set(err, CQ_ERR_NOMEM, "out of memory building an AssumeRole request");
		return false;
	}
	ok = sts_call(c, form.p, c->aws_akid, c->aws_secret, c->aws_token, &status, &doc,
				  &out->t_ref_ms, err);
	if (ok && (status < 200 || status > 299))
	{
		sts_refused(c, "AssumeRole", status, doc, err);
		ok = false;
	}
	else if (ok)
	{
		const char *akid = jget_str(doc, "AssumeRoleResult", "Credentials", "AccessKeyId");
		const char *sec = jget_str(doc, "AssumeRoleResult", "Credentials", "SecretAccessKey");
		const char *tok = jget_str(doc, "AssumeRoleResult", "Credentials", "SessionToken");
		const char *exp = jget_str(doc, "AssumeRoleResult", "Credentials", "Expiration");
		int64_t		exp_ms;

		ok = false;
		if (!key_part_ok(akid) || !key_part_ok(sec) || !key_part_ok(tok))
			cq_error_set(err, CQ_ERR_JSON,
						 "the AssumeRole response has no usable AccessKeyId, SecretAccessKey and SessionToken");
		else if (exp == NULL || !parse_rfc3339(exp, &exp_ms))
			cq_error_set(err, CQ_ERR_JSON, "the AssumeRole response has no valid Expiration");
		else if ((out->token = pack_keys(akid, sec, tok)) == NULL)
			cq_error_set(err, CQ_ERR_NOMEM, "out of memory reading temporary credentials");
		else
		{
			/* Expiration is wall time: convert at the moment of the answer */
			out->t_ref_ms = mono_ms();
			out->lifetime_ms = lifetime_ms((exp_ms - wall_ms()) / 1000.0);
			ok = true;
		}
		if (!ok)
			cq_redact_url(c->token_url, err->url, sizeof(err->url));
	}
	json_wipe_decref(doc);
	cqp_sb_wipe(&form);
	if (!ok)					/* on success err was never written */
		scrub_aws(c, err);
	return ok;
}

/* cqp_cred_get_aws: see cred.h */
bool
cqp_cred_get_aws(CqpCred *c, CqpAwsKeys *out, CqError *err)
{
	char	   *p,
			   *nl1,
			   *nl2;

	memset(out, 0, sizeof(*out));
	if (c->kind != CQP_CRED_AWS_KEYS && c->kind != CQP_CRED_AWS_ROLE)
	{
		cq_error_set(err, CQ_ERR_INTERNAL, "not an AWS credential");
		return false;
	}
	p = cqp_cred_get(c, err);
	if (p == NULL)
		return false;
	nl1 = strchr(p, '\n');
	nl2 = nl1 ? strchr(nl1 + 1, '\n') : NULL;
	if (nl2 == NULL)
	{
		cqp_secret_free(p);
		cq_error_set(err, CQ_ERR_INTERNAL, "malformed cached AWS credentials");
		return false;
	}
	out->access_key_id = strndup(p, (size_t) (nl1 - p));
	out->secret_access_key = strndup(nl1 + 1, (size_t) (nl2 - nl1 - 1));
	out->session_token = nl2[1] ? strdup(nl2 + 1) : NULL;
	out->packed = p;
	if (!out->access_key_id || !out->secret_access_key || (nl2[1] && !out->session_token))
	{
		cqp_aws_keys_free(out);
		cq_error_set(err, CQ_ERR_NOMEM, "out of memory copying AWS credentials");
		return false;
	}
	return true;
}

/* cqp_aws_keys_free: see cred.h */
void
cqp_aws_keys_free(CqpAwsKeys *k)
{
	if (k == NULL)
		return;
	cqp_secret_free(k->access_key_id);
	cqp_secret_free(k->secret_access_key);
	cqp_secret_free(k->session_token);
	cqp_secret_free(k->packed);
	memset(k, 0, sizeof(*k));
}

/* The account field of an ARN (arn:partition:service:region:account:...) */
static bool
arn_account(const char *arn, char out[16])
{
	const char *p = arn;
	size_t		n;

	for (int i = 0; i < 4; i++)
	{
		p = strchr(p, ':');
		if (p == NULL)
			return false;
		p++;
	}
	n = strcspn(p, ":");
	if (n != 12 || strspn(p, "0123456789") < 12)
		return false;
	memcpy(out, p, 12);
	out[12] = '\0';
	return true;
}

/* cqp_cred_aws_account: see cred.h */
bool
cqp_cred_aws_account(CqpCred *c, char out[16], CqError *err)
{
	CqpAwsKeys	k;
	long		status = 0;
	json_t	   *doc = NULL;
	int64_t		t0;
	bool		ok;

	if (c->kind != CQP_CRED_AWS_KEYS && c->kind != CQP_CRED_AWS_ROLE)
	{
		cq_error_set(err, CQ_ERR_INTERNAL, "not an AWS credential");
		return false;
	}
	pthread_mutex_lock(&c->mu);
	if (c->account[0])
	{
		memcpy(out, c->account, 16);
		pthread_mutex_unlock(&c->mu);
		return true;
	}
	pthread_mutex_unlock(&c->mu);
	if (c->kind == CQP_CRED_AWS_ROLE && arn_account(c->role_arn, out))
		ok = true;
	else
	{
		if (!cqp_cred_get_aws(c, &k, err))
			return false;
		ok = sts_call(c, "Action=GetCallerIdentity&Version=" STS_VERSION, k.access_key_id,
					  k.secret_access_key, k.session_token, &status, &doc, &t0, err);
		cqp_aws_keys_free(&k);
		if (ok && (status < 200 || status > 299))
		{
			sts_refused(c, "GetCallerIdentity", status, doc, err);
			ok = false;
		}
		else if (ok)
		{
			const char *a = jget_str(doc, "GetCallerIdentityResult", "Account", NULL);

			ok = a && strlen(a) == 12 && strspn(a, "0123456789") == 12;
			if (ok)
				memcpy(out, a, 13);
			else
				cq_error_set(err, CQ_ERR_JSON, "the GetCallerIdentity response has no 12-digit Account");
		}
		json_wipe_decref(doc);
		if (!ok)
			scrub_aws(c, err);
	}
	if (ok)
	{
		pthread_mutex_lock(&c->mu);
		memcpy(c->account, out, 16);
		pthread_mutex_unlock(&c->mu);
	}
	return ok;
}

/* cqp_aws_role_for_account: see cred.h */
char *
cqp_aws_role_for_account(const char *role_arn, const char *account)
{
	static const char ph[] = "{account_id}";
	CqpStrBuf	b = {.max = CRED_MAX_INPUT * 4};
	const char *p = role_arn,
			   *q;

	while ((q = strstr(p, ph)) != NULL)
	{
		cqp_sb_putn(&b, p, (size_t) (q - p));
		cqp_sb_puts(&b, account);
		p = q + sizeof(ph) - 1;
	}
	cqp_sb_puts(&b, p);
	if (b.oom || b.too_big || b.p == NULL)
	{
		cqp_sb_wipe(&b);
		return b.p == NULL && !b.oom && !b.too_big ? strdup("") : NULL;
	}
	return b.p;
}

static bool
setup_aws(CqpCred *c, const CqpCredConfig *cfg, bool *oom, CqError *err)
{
	if (!check_input(cfg->access_key_id, "access_key_id", err)
		|| !check_input(cfg->secret_access_key, "secret_access_key", err))
		return false;
	if (!header_safe(cfg->access_key_id) || !header_safe(cfg->secret_access_key)
		|| (cfg->session_token && *cfg->session_token && !header_safe(cfg->session_token)))
	{
		cq_error_set(err, CQ_ERR_CONFIG,
					 "access_key_id, secret_access_key or session_token contains spaces or control characters");
		return false;
	}
	c->aws_akid = dup_or_null(cfg->access_key_id, oom);
	c->aws_secret = dup_or_null(cfg->secret_access_key, oom);
	if (cfg->session_token && *cfg->session_token)
		c->aws_token = dup_or_null(cfg->session_token, oom);
	c->sts_region = dup_or_null(cfg->sts_region ? cfg->sts_region : CQP_CRED_STS_REGION, oom);
	c->token_url = dup_or_null(cfg->sts_url ? cfg->sts_url : CQP_CRED_STS_URL, oom);
	if (cfg->kind == CQP_CRED_AWS_KEYS)
	{
		c->static_token = pack_keys(cfg->access_key_id, cfg->secret_access_key,
									c->aws_token);
		if (c->static_token == NULL)
			*oom = true;
		return true;
	}
	/* a role */
	if (!check_input(cfg->role_arn, "role_arn", err))
		return false;
	if (strncmp(cfg->role_arn, "arn:", 4) != 0 || strlen(cfg->role_arn) > 2048
		|| !header_safe(cfg->role_arn) || strstr(cfg->role_arn, "{account_id}"))
	{
		cq_error_set(err, CQ_ERR_CONFIG,
					 "role_arn must be a role's ARN (arn:aws:iam::123456789012:role/name)");
		snprintf(err->setting, sizeof(err->setting), "role_arn");
		return false;
	}
	if (cfg->external_id && (strlen(cfg->external_id) < 2 || strlen(cfg->external_id) > 1224))
	{
		cq_error_set(err, CQ_ERR_CONFIG, "external_id must have 2 to 1224 characters");
		snprintf(err->setting, sizeof(err->setting), "external_id");
		return false;
	}
	if (cfg->duration_s != 0 && (cfg->duration_s < 900 || cfg->duration_s > 43200))
	{
		cq_error_set(err, CQ_ERR_CONFIG, "the role session duration must be 900 to 43200 seconds");
		return false;
	}
	c->role_arn = dup_or_null(cfg->role_arn, oom);
	c->external_id = dup_or_null(cfg->external_id, oom);
	c->duration_s = cfg->duration_s;
	if (cfg->role_session_name)
		c->session_name = dup_or_null(cfg->role_session_name, oom);
	else
	{
		char		n[64];

		snprintf(n, sizeof(n), "cq_fdw-%ld-%lld", (long) getpid(), (long long) (wall_ms() / 1000));
		c->session_name = dup_or_null(n, oom);
	}
	return true;
}

static bool
fetch_token(CqpCred *c, Fetched *out, CqError *err)
{
	memset(out, 0, sizeof(*out));
	switch (c->kind)
	{
		case CQP_CRED_GCP_SA:
			return fetch_gcp(c, out, err);
		case CQP_CRED_AZURE_CLIENT:
			return fetch_azure(c, out, err);
		case CQP_CRED_GITHUB_APP:
			return fetch_github(c, out, err);
		case CQP_CRED_AWS_ROLE:
			return fetch_aws_role(c, out, err);
		default:
			cq_error_set(err, CQ_ERR_INTERNAL, "this credential cannot be fetched");
			return false;
	}
}

/* ------------------------------------------------------------------------
 * Construction
 * ------------------------------------------------------------------------ */

static bool
check_input(const char *v, const char *name, CqError *err)
{
	if (v == NULL || *v == '\0')
	{
		cq_error_set(err, CQ_ERR_CONFIG, "%s is required", name);
		return false;
	}
	if (strlen(v) > CRED_MAX_INPUT)
	{
		cq_error_set(err, CQ_ERR_CONFIG, "%s is longer than %d bytes", name, CRED_MAX_INPUT);
		return false;
	}
	return true;
}

/* Only these characters (an id that goes into a URL path). */
static bool
check_id(const char *v, const char *name, const char *allowed_punct, bool digits_only,
		 CqError *err)
{
	if (!check_input(v, name, err))
		return false;
	if (strlen(v) > 128)
	{
		cq_error_set(err, CQ_ERR_CONFIG, "%s is longer than 128 characters", name);
		return false;
	}
	for (const char *p = v; *p; p++)
		if (!(isdigit((unsigned char) *p)
			  || (!digits_only && (isalpha((unsigned char) *p) || strchr(allowed_punct, *p)))))
		{
			cq_error_set(err, CQ_ERR_CONFIG, digits_only ? "%s must be a number"
						 : "%s contains a character not allowed in it", name);
			return false;
		}
	return true;
}

/* base URL without trailing slashes, then suffix: malloc'd */
static char *
join_url(const char *base, const char *a, const char *b, const char *c_)
{
	size_t		blen = strlen(base);
	size_t		n;
	char	   *u;

	while (blen > 0 && base[blen - 1] == '/')
		blen--;
	n = blen + strlen(a) + strlen(b) + strlen(c_) + 1;
	u = malloc(n);
	if (u)
		snprintf(u, n, "%.*s%s%s%s", (int) blen, base, a, b, c_);
	return u;
}

static bool
setup_gcp(CqpCred *c, const CqpCredConfig *cfg, bool *oom, CqError *err)
{
	json_error_t jerr;
	json_t	   *j;
	const char *type,
			   *email,
			   *pem,
			   *kid,
			   *uri;
	bool		ok = false;

	if (!check_input(cfg->service_account_key, "service_account_key", err))
		return false;
	j = json_loads(cfg->service_account_key, 0, &jerr);
	if (!json_is_object(j))
	{
		/* not jerr.text: it quotes the input, which holds the key */
		if (j == NULL)
			cq_error_set(err, CQ_ERR_CONFIG,
						 "service_account_key is not valid JSON (line %d, column %d); give the content of the key file",
						 jerr.line, jerr.column);
		else
			cq_error_set(err, CQ_ERR_CONFIG, "service_account_key is not a JSON object");
		json_wipe_decref(j);
		return false;
	}
	type = json_string_value(json_object_get(j, "type"));
	email = json_string_value(json_object_get(j, "client_email"));
	pem = json_string_value(json_object_get(j, "private_key"));
	kid = json_string_value(json_object_get(j, "private_key_id"));
	uri = json_string_value(json_object_get(j, "token_uri"));
	if (type && strcmp(type, "service_account") != 0)
		cq_error_set(err, CQ_ERR_CONFIG,
					 "service_account_key is not a service account key (its \"type\" is not \"service_account\")");
	else if (email == NULL || *email == '\0')
		cq_error_set(err, CQ_ERR_CONFIG, "service_account_key has no \"client_email\"");
	else if (pem == NULL || *pem == '\0')
		cq_error_set(err, CQ_ERR_CONFIG, "service_account_key has no \"private_key\"");
	else if ((c->key = cqp_rsa_key_load(pem, strlen(pem), "the private_key of service_account_key", err)) != NULL)
	{
		c->iss = dup_or_null(email, oom);
		c->kid = dup_or_null(kid, oom);
		c->token_url = dup_or_null(uri && *uri ? uri : CQP_CRED_GCP_TOKEN_URI, oom);
		c->scope = dup_or_null(cfg->scope ? cfg->scope : CQP_CRED_GCP_SCOPE, oom);
		ok = true;
	}
	json_wipe_decref(j);
	return ok;
}

static bool
setup_azure(CqpCred *c, const CqpCredConfig *cfg, bool *oom, CqError *err)
{
	if (!check_id(cfg->tenant_id, "tenant_id", ".-", false, err)
		|| !check_input(cfg->client_id, "client_id", err)
		|| !check_input(cfg->client_secret, "client_secret", err))
		return false;
	c->client_id = dup_or_null(cfg->client_id, oom);
	c->client_secret = dup_or_null(cfg->client_secret, oom);
	c->scope = dup_or_null(cfg->scope ? cfg->scope : CQP_CRED_AZURE_SCOPE, oom);
	c->token_url = join_url(cfg->authority_url ? cfg->authority_url : CQP_CRED_AZURE_AUTHORITY,
							"/", cfg->tenant_id, "/oauth2/v2.0/token");
	if (c->token_url == NULL)
		*oom = true;
	return true;
}

static bool
setup_github(CqpCred *c, const CqpCredConfig *cfg, bool *oom, CqError *err)
{
	bool		digits = true;

	if (!check_id(cfg->app_id, "app_id", "._-", false, err)
		|| (cfg->installation_id &&
			!check_id(cfg->installation_id, "installation_id", "", true, err))
		|| !check_input(cfg->private_key, "private_key", err))
		return false;
	c->key = cqp_rsa_key_load(cfg->private_key, strlen(cfg->private_key), "private_key", err);
	if (c->key == NULL)
		return false;
	for (const char *p = cfg->app_id; *p; p++)
		if (!isdigit((unsigned char) *p))
			digits = false;
	c->iss_numeric = digits && strlen(cfg->app_id) <= 18;
	c->iss = dup_or_null(cfg->app_id, oom);
	c->api_url = join_url(cfg->api_url ? cfg->api_url : CQP_CRED_GITHUB_API, "", "", "");
	if (cfg->installation_id == NULL)
	{
		/* a dispatcher: checked against the policy as its lookup URL */
		c->dispatch = true;
		c->token_url = join_url(c->api_url ? c->api_url : "", "/app/installations", "", "");
	}
	else
		c->token_url = join_url(cfg->api_url ? cfg->api_url : CQP_CRED_GITHUB_API,
								"/app/installations/", cfg->installation_id, "/access_tokens");
	if (c->token_url == NULL)
		*oom = true;
	return true;
}

/* cqp_cred_new: see cred.h */
CqpCred *
cqp_cred_new(const CqpCredConfig *cfg, CqError *err)
{
	CqpCred    *c;
	bool		oom = false;
	bool		ok;

	if (cfg == NULL)
	{
		cq_error_set(err, CQ_ERR_INTERNAL, "no credential configuration");
		return NULL;
	}
	c = calloc(1, sizeof(*c));
	if (c == NULL)
	{
		cq_error_set(err, CQ_ERR_NOMEM, "out of memory creating a credential");
		return NULL;
	}
	pthread_mutex_init(&c->mu, NULL);
	pthread_mutex_init(&c->lookup_mu, NULL);
	pthread_cond_init(&c->cv, NULL);
	atomic_init(&c->refs, 1);
	c->kind = cfg->kind;
	c->connect_timeout_ms = cfg->connect_timeout_ms > 0 ? cfg->connect_timeout_ms : 10000;
	c->request_timeout_ms = cfg->request_timeout_ms > 0 ? cfg->request_timeout_ms : 30000;
	c->max_retries = cfg->max_retries < 0 ? 0 : cfg->max_retries == 0 ? 2 : cfg->max_retries;
	c->retry_base_ms = cfg->retry_base_ms > 0 ? cfg->retry_base_ms : 200;
	c->margin_ms = cfg->margin_ms < 0 ? 0 : cfg->margin_ms == 0 ? CQP_CRED_MARGIN_MS : cfg->margin_ms;
	c->insecure = cfg->insecure;
	c->ca_file = dup_or_null(cfg->ca_file, &oom);
	c->user_agent = dup_or_null(cfg->user_agent, &oom);
	c->allowed_hosts = dup_or_null(cfg->policy.allowed_hosts, &oom);
	c->denied_addrs = dup_or_null(cfg->policy.denied_addrs, &oom);
	c->policy.allowed_hosts = c->allowed_hosts;
	c->policy.denied_addrs = c->denied_addrs;
	c->policy.allow_link_local = cfg->policy.allow_link_local;

	switch (cfg->kind)
	{
		case CQP_CRED_STATIC:
			ok = check_input(cfg->token, "token", err);
			if (ok && !header_safe(cfg->token))
			{
				cq_error_set(err, CQ_ERR_CONFIG, "token contains spaces or control characters");
				ok = false;
			}
			if (ok)
				c->static_token = dup_or_null(cfg->token, &oom);
			break;
		case CQP_CRED_GCP_SA:
			ok = setup_gcp(c, cfg, &oom, err);
			break;
		case CQP_CRED_AZURE_CLIENT:
			ok = setup_azure(c, cfg, &oom, err);
			break;
		case CQP_CRED_GITHUB_APP:
			ok = setup_github(c, cfg, &oom, err);
			break;
		case CQP_CRED_AWS_KEYS:
		case CQP_CRED_AWS_ROLE:
			ok = setup_aws(c, cfg, &oom, err);
			break;
		default:
			cq_error_set(err, CQ_ERR_INTERNAL, "unknown credential kind %d", (int) cfg->kind);
			ok = false;
			break;
	}
	if (ok && oom)
	{
		cq_error_set(err, CQ_ERR_NOMEM, "out of memory creating a credential");
		ok = false;
	}
	if (ok && c->token_url)
	{
		if (strlen(c->token_url) > CRED_MAX_URL)
		{
			cq_error_set(err, CQ_ERR_CONFIG, "the token endpoint URL is longer than %d bytes", CRED_MAX_URL);
			ok = false;
		}
		else if (!cqp_net_policy_validate(&c->policy, err))
			ok = false;
		else if (!cq_net_url_allowed(&c->policy, c->token_url, err))
		{
			if (err->kind == CQ_ERR_NONE)
				cq_error_set(err, CQ_ERR_POLICY, "token endpoint not allowed by the outbound policy");
			cq_redact_url(c->token_url, err->url, sizeof(err->url));
			ok = false;
		}
	}
	if (!ok)
	{
		const char *secrets[] = {cfg->token, cfg->client_secret, cfg->secret_access_key,
		cfg->session_token};

		scrub_error(err, secrets, 4);
		cqp_cred_free(c);
		return NULL;
	}
	return c;
}

/* cqp_cred_free: see cred.h */
void
cqp_cred_free(CqpCred *c)
{
	if (c == NULL || atomic_fetch_sub(&c->refs, 1) > 1)
		return;
	while (c->children)
	{
		CredChild  *ch = c->children;

		c->children = ch->next;
		cqp_cred_free(ch->cred);
		free(ch->owner);
		free(ch);
	}
	cqp_secret_free(c->static_token);
	cqp_secret_free(c->client_secret);
	cqp_secret_free(c->token);
	cqp_secret_free(c->aws_akid);
	cqp_secret_free(c->aws_secret);
	cqp_secret_free(c->aws_token);
	cqp_secret_free(c->external_id);
	free(c->role_arn);
	free(c->session_name);
	free(c->sts_region);
	if (!c->key_borrowed)
		cqp_rsa_key_free(c->key);
	free(c->api_url);
	free(c->kid);
	free(c->iss);
	free(c->token_url);
	free(c->scope);
	free(c->client_id);
	free(c->allowed_hosts);
	free(c->denied_addrs);
	free(c->ca_file);
	free(c->user_agent);
	pthread_cond_destroy(&c->cv);
	pthread_mutex_destroy(&c->lookup_mu);
	pthread_mutex_destroy(&c->mu);
	OPENSSL_cleanse(&c->last_err, sizeof(c->last_err));
	free(c);
}

/* cqp_cred_kind: see cred.h */
CqpCredKind
cqp_cred_kind(const CqpCred *c)
{
	return c->kind;
}

/* cqp_cred_options_hint: see cred.h */
const char *
cqp_cred_options_hint(const CqpCred *c)
{
	switch (c->kind)
	{
		case CQP_CRED_GCP_SA:
			return "service_account_key";
		case CQP_CRED_AZURE_CLIENT:
			return "tenant_id, client_id, client_secret and authority_url";
		case CQP_CRED_GITHUB_APP:
			return "app_id, private_key and installation_id";
		case CQP_CRED_AWS_KEYS:
			return "access_key_id, secret_access_key and session_token";
		case CQP_CRED_AWS_ROLE:
			return "role_arn, external_id, access_key_id and secret_access_key";
		default:
			return "token";
	}
}

/* ------------------------------------------------------------------------
 * Get / invalidate / stats
 * ------------------------------------------------------------------------ */

static char *
dup_token(const char *t, CqError *err)
{
	char	   *d = strdup(t);

	if (d == NULL)
		cq_error_set(err, CQ_ERR_NOMEM, "out of memory copying a token");
	return d;
}

/* cqp_cred_get: see cred.h */
char *
cqp_cred_get(CqpCred *c, CqError *err)
{
	Fetched		f;
	CqError		ferr;
	bool		ok;
	char	   *res = NULL;

	if (c->kind == CQP_CRED_STATIC || c->kind == CQP_CRED_AWS_KEYS)
	{
		pthread_mutex_lock(&c->mu);
		c->stats.cache_hits++;
		pthread_mutex_unlock(&c->mu);
		return dup_token(c->static_token, err);
	}
	if (c->dispatch)
	{
		cq_error_set(err, CQ_ERR_CONFIG,
					 "installation_id is required: the request names no owner to look the GitHub App's installation up for");
		return NULL;
	}

	pthread_mutex_lock(&c->mu);
	for (;;)
	{
		uint64_t	seq;

		if (c->token && mono_ms() < c->valid_until_ms)
		{
			c->stats.cache_hits++;
			res = dup_token(c->token, err);
			pthread_mutex_unlock(&c->mu);
			return res;
		}
		if (!c->fetching)
			break;
		/* someone is fetching: wait for that fetch and share its result */
		seq = c->fetch_seq;
		while (c->fetching && c->fetch_seq == seq)
			pthread_cond_wait(&c->cv, &c->mu);
		if (c->fetch_seq != seq)
		{
			if (c->last_failed)
			{
				if (err)
					*err = c->last_err;
				pthread_mutex_unlock(&c->mu);
				return NULL;
			}
			if (c->token)
			{
				/* fresh from the fetch we waited for, even if short-lived */
				c->stats.cache_hits++;
				res = dup_token(c->token, err);
				pthread_mutex_unlock(&c->mu);
				return res;
			}
		}
	}
	c->fetching = true;
	pthread_mutex_unlock(&c->mu);

	memset(&ferr, 0, sizeof(ferr));
	ok = fetch_token(c, &f, &ferr);

	pthread_mutex_lock(&c->mu);
	c->fetching = false;
	c->fetch_seq++;
	if (ok)
	{
		int64_t		margin = c->margin_ms;

		if (f.lifetime_ms != INT64_MAX && margin > f.lifetime_ms / 2)
			margin = f.lifetime_ms / 2;
		cqp_secret_free(c->token);
		c->token = f.token;
		c->valid_until_ms = f.lifetime_ms == INT64_MAX ? INT64_MAX
			: f.t_ref_ms + f.lifetime_ms - margin;
		c->last_failed = false;
		c->stats.tokens_fetched++;
		res = dup_token(c->token, err);
	}
	else
	{
		/* the old token is stale (or was refused): drop it */
		cqp_secret_free(c->token);
		c->token = NULL;
		c->last_failed = true;
		c->last_err = ferr;
		c->stats.fetch_failures++;
		if (err)
			*err = ferr;
	}
	pthread_cond_broadcast(&c->cv);
	pthread_mutex_unlock(&c->mu);
	return res;
}

static bool
shareable(const CqpCred *c)
{
	return !c->dispatch && (c->kind == CQP_CRED_GCP_SA ||
							c->kind == CQP_CRED_AZURE_CLIENT ||
							c->kind == CQP_CRED_GITHUB_APP ||
							c->kind == CQP_CRED_AWS_ROLE);
}

/* cqp_cred_get_valid: see cred.h */
char *
cqp_cred_get_valid(CqpCred *c, bool fetch, int64_t *valid_ms, CqError *err)
{
	char	   *t = NULL;

	*valid_ms = 0;
	if (!shareable(c))
		return NULL;
	if (fetch)
		t = cqp_cred_get(c, err);
	else
	{
		pthread_mutex_lock(&c->mu);
		if (c->token && mono_ms() < c->valid_until_ms)
			t = dup_token(c->token, err);
		pthread_mutex_unlock(&c->mu);
	}
	if (t == NULL)
		return NULL;
	pthread_mutex_lock(&c->mu);
	if (c->token && strcmp(c->token, t) == 0)
		*valid_ms = c->valid_until_ms == INT64_MAX ? INT64_MAX / 2
			: c->valid_until_ms - mono_ms();
	pthread_mutex_unlock(&c->mu);
	if (*valid_ms < 0)
		*valid_ms = 0;
	return t;
}

/* cqp_cred_seed: see cred.h */
void
cqp_cred_seed(CqpCred *c, const char *token, int64_t valid_ms)
{
	int64_t		until;
	char	   *copy;

	if (!shareable(c) || token == NULL || valid_ms <= 0)
		return;
	until = mono_ms() + valid_ms;
	pthread_mutex_lock(&c->mu);
	if (!c->fetching && (c->token == NULL || c->valid_until_ms < until) &&
		(copy = strdup(token)) != NULL)
	{
		cqp_secret_free(c->token);
		c->token = copy;
		c->valid_until_ms = until;
		c->last_failed = false;
	}
	pthread_mutex_unlock(&c->mu);
}

/* cqp_cred_invalidate: see cred.h */
bool
cqp_cred_invalidate(CqpCred *c, const char *token)
{
	if (c->kind == CQP_CRED_STATIC || c->kind == CQP_CRED_AWS_KEYS)
		return false;
	pthread_mutex_lock(&c->mu);
	for (CredChild *ch = c->children; ch; ch = ch->next)
		cqp_cred_invalidate(ch->cred, token);
	if (c->token && (token == NULL || strcmp(c->token, token) == 0))
	{
		cqp_secret_free(c->token);
		c->token = NULL;
		c->stats.invalidations++;
	}
	pthread_mutex_unlock(&c->mu);
	return true;
}

/* cqp_cred_stats: see cred.h */
void
cqp_cred_stats(CqpCred *c, CqpCredStats *out)
{
	pthread_mutex_lock(&c->mu);
	*out = c->stats;
	for (CredChild *ch = c->children; ch; ch = ch->next)
	{
		CqpCredStats cs;

		cqp_cred_stats(ch->cred, &cs);
		out->auth_requests += cs.auth_requests;
		out->tokens_fetched += cs.tokens_fetched;
		out->fetch_failures += cs.fetch_failures;
		out->cache_hits += cs.cache_hits;
		out->invalidations += cs.invalidations;
	}
	pthread_mutex_unlock(&c->mu);
}


/* cqp_cred_ref: see cred.h */
CqpCred *
cqp_cred_ref(CqpCred *c)
{
	if (c)
		atomic_fetch_add(&c->refs, 1);
	return c;
}

/* ------------------------------------------------------------------------
 * GitHub App installations looked up per owner
 * ------------------------------------------------------------------------ */

/*
 * The owner a request URL names under api_url, and the path that looks its
 * installation up: /orgs/{org}/installation, /repos/{owner}/{repo}/
 * installation, /users/{user}/installation.  false if the URL names none.
 */
static bool
github_owner(const CqpCred *c, const char *url, char *owner, size_t olen,
			 char *lookup, size_t llen)
{
	size_t		blen = c->api_url ? strlen(c->api_url) : 0;
	const char *p;
	const char *seg[3];
	size_t		seglen[3];
	int			n = 0;

	if (url == NULL || c->api_url == NULL || strncmp(url, c->api_url, blen) != 0 ||
		url[blen] != '/')
		return false;
	p = url + blen;
	while (n < 3 && *p == '/')
	{
		const char *s = ++p;

		while (*p && *p != '/' && *p != '?' && *p != '#')
			p++;
		seg[n] = s;
		seglen[n] = (size_t) (p - s);
		if (seglen[n] == 0 || seglen[n] > 100)
			return false;
		for (size_t i = 0; i < seglen[n]; i++)
			if (!isalnum((unsigned char) s[i]) && !strchr("._-", s[i]))
				return false;
		n++;
		if (*p != '/')
			break;
	}
	if (n >= 2 && (seglen[0] == 4 && strncmp(seg[0], "orgs", 4) == 0))
		snprintf(lookup, llen, "/orgs/%.*s/installation", (int) seglen[1], seg[1]);
	else if (n >= 2 && seglen[0] == 5 && strncmp(seg[0], "users", 5) == 0)
		snprintf(lookup, llen, "/users/%.*s/installation", (int) seglen[1], seg[1]);
	else if (n >= 3 && seglen[0] == 5 && strncmp(seg[0], "repos", 5) == 0)
		snprintf(lookup, llen, "/repos/%.*s/%.*s/installation", (int) seglen[1], seg[1],
				 (int) seglen[2], seg[2]);
	else
		return false;
	/* logins are case-insensitive: one installation per account */
	snprintf(owner, olen, "%.*s", (int) seglen[1], seg[1]);
	for (char *o = owner; *o; o++)
		*o = (char) tolower((unsigned char) *o);
	return true;
}

/* A provider for one installation, sharing the dispatcher's key. */
static CqpCred *
github_child(CqpCred *d, const char *installation_id)
{
	CqpCred    *c = calloc(1, sizeof(*c));
	bool		oom = false;

	if (c == NULL)
		return NULL;
	pthread_mutex_init(&c->mu, NULL);
	pthread_mutex_init(&c->lookup_mu, NULL);
	pthread_cond_init(&c->cv, NULL);
	atomic_init(&c->refs, 1);
	c->kind = CQP_CRED_GITHUB_APP;
	c->key = d->key;
	c->key_borrowed = true;
	c->iss = dup_or_null(d->iss, &oom);
	c->iss_numeric = d->iss_numeric;
	c->api_url = dup_or_null(d->api_url, &oom);
	c->token_url = join_url(d->api_url, "/app/installations/", installation_id, "/access_tokens");
	c->allowed_hosts = dup_or_null(d->allowed_hosts, &oom);
	c->denied_addrs = dup_or_null(d->denied_addrs, &oom);
	c->policy = d->policy;
	c->policy.allowed_hosts = c->allowed_hosts;
	c->policy.denied_addrs = c->denied_addrs;
	c->connect_timeout_ms = d->connect_timeout_ms;
	c->request_timeout_ms = d->request_timeout_ms;
	c->max_retries = d->max_retries;
	c->retry_base_ms = d->retry_base_ms;
	c->insecure = d->insecure;
	c->ca_file = dup_or_null(d->ca_file, &oom);
	c->user_agent = dup_or_null(d->user_agent, &oom);
	c->margin_ms = d->margin_ms;
	if (oom || c->token_url == NULL)
	{
		cqp_cred_free(c);
		return NULL;
	}
	return c;
}

/*
 * GET {api_url}{lookup} with the app JWT -> the installation id (digits)
 * in `id`.  false and err: a 404 says the app is not installed there.
 */
static bool
github_lookup(CqpCred *d, const char *owner, const char *lookup, char *id, size_t idlen,
			  CqError *err)
{
	char	   *jwt = github_app_jwt(d, err);
	char	   *url;
	CqpStrBuf	auth = {.max = CRED_MAX_RESPONSE};
	CqpStrBuf	resp = {0};
	long		status = 0;
	int64_t		t0;
	bool		ok = false;

	if (jwt == NULL)
		return false;
	url = join_url(d->api_url, lookup, "", "");
	cqp_sb_puts(&auth, "Authorization: Bearer ");
	cqp_sb_puts(&auth, jwt);
	if (url == NULL || auth.oom)
		cq_error_set(err, CQ_ERR_NOMEM, "out of memory building an installation lookup");
	else
	{
		const char *hdrs[] = {"Accept: application/vnd.github+json",
			"X-GitHub-Api-Version: 2022-11-28", auth.p, NULL};

		/* counted in d->stats.auth_requests */
		ok = token_request(d, url, hdrs, NULL, &status, &resp, &t0, err);
	}
	if (ok && status == 404)
	{
		cq_error_set(err, CQ_ERR_HTTP,
					 "the GitHub App is not installed on %s (HTTP 404): install it there or give installation_id",
					 owner);
		err->http_status = 404;
		cq_redact_url(url, err->url, sizeof(err->url));
		ok = false;
	}
	else if (ok && (status < 200 || status > 299))
	{
		response_error(d, status, &resp, err);
		cq_redact_url(url, err->url, sizeof(err->url));
		ok = false;
	}
	else if (ok)
	{
		json_t	   *j = json_loadb(resp.p ? resp.p : "", resp.n, 0, NULL);
		json_t	   *v = json_is_object(j) ? json_object_get(j, "id") : NULL;

		ok = false;
		if (json_is_integer(v) && json_integer_value(v) > 0)
		{
			snprintf(id, idlen, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
			ok = true;
		}
		else
		{
			cq_error_set(err, CQ_ERR_JSON, "the installation lookup answer has no numeric \"id\"");
			cq_redact_url(url, err->url, sizeof(err->url));
		}
		json_decref(j);
	}
	{
		const char *secrets[] = {jwt};

		scrub_error(err, secrets, 1);
	}
	cqp_sb_wipe(&resp);
	cqp_sb_wipe(&auth);
	cqp_secret_free(jwt);
	free(url);
	return ok;
}

/*
 * The child of dispatcher c for `owner` (borrowed: children live as long
 * as the dispatcher), made when there is none: with `installation` when
 * given (a token shared by another process), else (lookup non-NULL) with
 * the installation looked up.  NULL and err on failure; NULL with err kind
 * NONE when there is none and neither is given.  inst_out: its id.
 */
static CqpCred *
github_child_for(CqpCred *c, const char *owner, const char *lookup,
				 const char *installation, char *inst_out, size_t ilen, CqError *err)
{
	char		id[32];
	CqpCred    *child = NULL;
	CredChild  *ch;

	pthread_mutex_lock(&c->lookup_mu);
	pthread_mutex_lock(&c->mu);
	for (ch = c->children; ch; ch = ch->next)
		if (strcmp(ch->owner, owner) == 0)
			break;
	if (ch)
	{
		child = ch->cred;
		if (inst_out)
			snprintf(inst_out, ilen, "%s", ch->installation);
	}
	pthread_mutex_unlock(&c->mu);
	if (child)
	{
		pthread_mutex_unlock(&c->lookup_mu);
		return child;
	}
	if (installation && installation[0] &&
		strlen(installation) < sizeof(id) &&
		strspn(installation, "0123456789") == strlen(installation))
		snprintf(id, sizeof(id), "%s", installation);
	else if (lookup == NULL)
	{
		pthread_mutex_unlock(&c->lookup_mu);
		return NULL;
	}
	else if (!github_lookup(c, owner, lookup, id, sizeof(id), err))
	{
		pthread_mutex_unlock(&c->lookup_mu);
		return NULL;
	}
	ch = calloc(1, sizeof(*ch));
	child = github_child(c, id);
	if (ch == NULL || child == NULL || (ch->owner = strdup(owner)) == NULL)
	{
		free(ch);
		cqp_cred_free(child);
		pthread_mutex_unlock(&c->lookup_mu);
		cq_error_set(err, CQ_ERR_NOMEM, "out of memory keeping an installation");
		return NULL;
	}
	ch->cred = child;
	snprintf(ch->installation, sizeof(ch->installation), "%s", id);
	if (inst_out)
		snprintf(inst_out, ilen, "%s", id);
	pthread_mutex_lock(&c->mu);
	ch->next = c->children;
	c->children = ch;
	pthread_mutex_unlock(&c->mu);
	pthread_mutex_unlock(&c->lookup_mu);
	return child;
}

/* cqp_cred_get_for: see cred.h */
char *
cqp_cred_get_for(CqpCred *c, const char *url, CqError *err)
{
	char		owner[128];
	char		lookup[256];
	CqpCred    *child;

	if (!c->dispatch)
		return cqp_cred_get(c, err);
	if (!github_owner(c, url, owner, sizeof(owner), lookup, sizeof(lookup)))
		return cqp_cred_get(c, err);	/* the error: installation_id needed */
	child = github_child_for(c, owner, lookup, NULL, NULL, 0, err);
	if (child == NULL)
		return NULL;
	return cqp_cred_get(child, err);
}

/* the URL of `path` under a dispatcher's API URL (malloc'd) or NULL */
static char *
owner_url(const CqpCred *c, const char *path)
{
	if (!c->dispatch || c->api_url == NULL || path == NULL || path[0] != '/')
		return NULL;
	return join_url(c->api_url, path, "", "");
}

/* cqp_cred_path_owner: see cred.h */
bool
cqp_cred_path_owner(const CqpCred *c, const char *path, char *owner, size_t olen)
{
	char	   *url = owner_url(c, path);
	char		lookup[256];
	bool		ok;

	if (url == NULL)
		return false;
	ok = github_owner(c, url, owner, olen, lookup, sizeof(lookup));
	free(url);
	return ok;
}

/* cqp_cred_owner_provider: see cred.h */
CqpCred *
cqp_cred_owner_provider(CqpCred *c, const char *path, bool lookup,
						const char *installation, char *inst_out, size_t ilen,
						CqError *err)
{
	char	   *url = owner_url(c, path);
	char		owner[128];
	char		lk[256];
	CqpCred    *child = NULL;

	if (inst_out && ilen)
		inst_out[0] = '\0';
	if (url && github_owner(c, url, owner, sizeof(owner), lk, sizeof(lk)))
		child = github_child_for(c, owner, lookup ? lk : NULL, installation,
								 inst_out, ilen, err);
	free(url);
	return child;
}

/* ------------------------------------------------------------------------
 * Providers kept across jobs
 * ------------------------------------------------------------------------ */

#define CRED_CACHE_SLOTS 32

typedef struct CacheSlot
{
	char		key[64];
	unsigned char digest[32];
	CqpCred    *cred;
	uint64_t	used;
} CacheSlot;

static pthread_mutex_t cache_mu = PTHREAD_MUTEX_INITIALIZER;
static CacheSlot cache[CRED_CACHE_SLOTS];
static uint64_t cache_clock;

static void
digest_str(EVP_MD_CTX *md, const char *s)
{
	uint64_t	n = s ? strlen(s) + 1 : 0;	/* NULL and "" differ */

	EVP_DigestUpdate(md, &n, sizeof(n));
	if (s)
		EVP_DigestUpdate(md, s, n);
}

static bool
config_digest(const CqpCredConfig *cfg, unsigned char out[32])
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned int len = 0;
	long		nums[6];
	bool		ok;

	if (md == NULL || EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1)
	{
		EVP_MD_CTX_free(md);
		return false;
	}
	nums[0] = cfg->kind;
	nums[1] = cfg->connect_timeout_ms;
	nums[2] = cfg->request_timeout_ms;
	nums[3] = cfg->max_retries;
	nums[4] = cfg->retry_base_ms;
	nums[5] = cfg->margin_ms;
	EVP_DigestUpdate(md, nums, sizeof(nums));
	EVP_DigestUpdate(md, &cfg->insecure, sizeof(cfg->insecure));
	EVP_DigestUpdate(md, &cfg->policy.allow_link_local, sizeof(cfg->policy.allow_link_local));
	digest_str(md, cfg->token);
	digest_str(md, cfg->service_account_key);
	digest_str(md, cfg->scope);
	digest_str(md, cfg->tenant_id);
	digest_str(md, cfg->client_id);
	digest_str(md, cfg->client_secret);
	digest_str(md, cfg->authority_url);
	digest_str(md, cfg->app_id);
	digest_str(md, cfg->private_key);
	digest_str(md, cfg->installation_id);
	digest_str(md, cfg->api_url);
	/* AWS kinds: the base key, the role and STS */
	digest_str(md, cfg->access_key_id);
	digest_str(md, cfg->secret_access_key);
	digest_str(md, cfg->session_token);
	digest_str(md, cfg->role_arn);
	digest_str(md, cfg->external_id);
	digest_str(md, cfg->role_session_name);
	digest_str(md, cfg->sts_url);
	digest_str(md, cfg->sts_region);
	EVP_DigestUpdate(md, &cfg->duration_s, sizeof(cfg->duration_s));
	digest_str(md, cfg->policy.allowed_hosts);
	digest_str(md, cfg->policy.denied_addrs);
	digest_str(md, cfg->ca_file);
	digest_str(md, cfg->user_agent);
	ok = EVP_DigestFinal_ex(md, out, &len) == 1 && len == 32;
	EVP_MD_CTX_free(md);
	return ok;
}

/* cqp_cred_acquire: see cred.h */
CqpCred *
cqp_cred_acquire(const char *key, const CqpCredConfig *cfg, CqError *err)
{
	unsigned char d[32];
	CacheSlot  *slot = NULL;
	CqpCred    *c;
	CqpCred    *old = NULL;

	if (key == NULL || strlen(key) >= sizeof(cache[0].key) || !config_digest(cfg, d))
		return cqp_cred_new(cfg, err);
	pthread_mutex_lock(&cache_mu);
	for (int i = 0; i < CRED_CACHE_SLOTS; i++)
		if (cache[i].cred && strcmp(cache[i].key, key) == 0)
		{
			if (memcmp(cache[i].digest, d, sizeof(d)) == 0)
			{
				cache[i].used = ++cache_clock;
				c = cqp_cred_ref(cache[i].cred);
				pthread_mutex_unlock(&cache_mu);
				OPENSSL_cleanse(d, sizeof(d));
				return c;
			}
			slot = &cache[i];	/* the options changed: replace */
		}
	pthread_mutex_unlock(&cache_mu);

	/* made without the lock (it parses keys; no request is made) */
	c = cqp_cred_new(cfg, err);
	if (c == NULL)
		return NULL;
	pthread_mutex_lock(&cache_mu);
	if (slot == NULL || slot->cred == NULL || strcmp(slot->key, key) != 0)
	{
		slot = NULL;
		for (int i = 0; i < CRED_CACHE_SLOTS; i++)
		{
			if (cache[i].cred && strcmp(cache[i].key, key) == 0)
			{
				slot = &cache[i];
				break;
			}
			if (slot == NULL || (slot->cred && (cache[i].cred == NULL ||
												cache[i].used < slot->used)))
				slot = &cache[i];
		}
	}
	old = slot->cred;
	snprintf(slot->key, sizeof(slot->key), "%s", key);
	memcpy(slot->digest, d, sizeof(d));
	slot->cred = cqp_cred_ref(c);
	slot->used = ++cache_clock;
	pthread_mutex_unlock(&cache_mu);
	cqp_cred_free(old);
	OPENSSL_cleanse(d, sizeof(d));
	return c;
}

/* cq_cred_cache_clear: see cq_sdk.h */
void
cq_cred_cache_clear(void)
{
	CqpCred    *drop[CRED_CACHE_SLOTS];

	pthread_mutex_lock(&cache_mu);
	for (int i = 0; i < CRED_CACHE_SLOTS; i++)
	{
		drop[i] = cache[i].cred;
		memset(&cache[i], 0, sizeof(cache[i]));
	}
	pthread_mutex_unlock(&cache_mu);
	/* a job still running keeps its own reference */
	for (int i = 0; i < CRED_CACHE_SLOTS; i++)
		cqp_cred_free(drop[i]);
}

/* cqp_cred_config_from: see cred.h */
bool
cqp_cred_config_from(const CqCredentials *cr, const char *api_url, CqpCredConfig *cc,
					 const char **opt, const char **vendor)
{
	memset(cc, 0, sizeof(*cc));
	if (cr->service_account_key)
	{
		cc->kind = CQP_CRED_GCP_SA;
		cc->service_account_key = cr->service_account_key;
		*opt = "service_account_key";
		*vendor = "https://oauth2.googleapis.com";
	}
	else if (cr->tenant_id || cr->client_id || cr->client_secret)
	{
		cc->kind = CQP_CRED_AZURE_CLIENT;
		cc->tenant_id = cr->tenant_id;
		cc->client_id = cr->client_id;
		cc->client_secret = cr->client_secret;
		cc->authority_url = cr->authority_url;
		*opt = "client_secret";
		*vendor = CQP_CRED_AZURE_AUTHORITY;
	}
	else if (cr->app_id || cr->private_key || cr->installation_id)
	{
		cc->kind = CQP_CRED_GITHUB_APP;
		cc->app_id = cr->app_id;
		cc->private_key = cr->private_key;
		cc->installation_id = cr->installation_id;
		cc->api_url = api_url;
		*opt = "private_key";
		*vendor = CQP_CRED_GITHUB_API;
	}
	else
		return false;
	return true;
}

/* cq_cred_check: see cq_sdk.h */
bool
cq_cred_check(const CqCredentials *cred, CqError *err)
{
	CqpCredConfig cc;
	const char *opt;
	const char *vendor;
	CqpCred    *c;

	if (cred->kubeconfig)
	{
		CqpKube		k;

		if (!cqp_kube_parse(cred->kubeconfig, cred->kube_context, &k, err))
		{
			snprintf(err->setting, sizeof(err->setting), "%s",
					 strstr(err->message, "no context") ? "context" : "kubeconfig");
			return false;
		}
		cqp_kube_free(&k);
	}
	if (!cqp_cred_config_from(cred, NULL, &cc, &opt, &vendor))
		return true;
	c = cqp_cred_new(&cc, err);
	if (c == NULL)
	{
		/* the option the message names ("client_secret is required") */
		const char *names[] = {"service_account_key", "tenant_id", "client_id",
			"client_secret", "authority_url", "app_id", "private_key",
			"installation_id", NULL};

		if (!err->setting[0])
		{
			snprintf(err->setting, sizeof(err->setting), "%s", opt);
			for (int i = 0; names[i]; i++)
				if (strstr(err->message, names[i]))
				{
					snprintf(err->setting, sizeof(err->setting), "%s", names[i]);
					break;
				}
		}
		return false;
	}
	cqp_cred_free(c);
	return true;
}
