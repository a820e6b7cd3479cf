/*-------------------------------------------------------------------------
 *
 * cred.h
 *		  Credential providers: where a request's bearer token comes from
 *		  (private SDK API, cqp_ tier; see cred.c).
 *
 * Not installed; plugins must not include it.  No PostgreSQL header.
 * Private for now: the FDW will reach it through the job parameters once
 * http.c/job.c are wired (see cred.c's banner); plugins never need it.
 *
 * Copyright (c) 2026, cq_fdw developers
 *
 *-------------------------------------------------------------------------
 */
#ifndef CQ_CRED_H
#define CQ_CRED_H

#include <stdbool.h>
#include <stdint.h>

#include "cq_sdk.h"

typedef struct CqpCred CqpCred;

typedef enum CqpCredKind
{
	CQP_CRED_STATIC = 0,		/* a pasted token (today's `token` option) */
	CQP_CRED_GCP_SA,			/* GCP service-account key JSON */
	CQP_CRED_AZURE_CLIENT,		/* Azure app registration, client secret */
	CQP_CRED_GITHUB_APP,		/* GitHub App id + private key */
	CQP_CRED_AWS_KEYS,			/* AWS access key (+ session token), as is */
	CQP_CRED_AWS_ROLE			/* AWS role assumed with STS AssumeRole */
} CqpCredKind;

/* Defaults */
#define CQP_CRED_GCP_SCOPE		"https://www.googleapis.com/auth/cloud-platform"
#define CQP_CRED_GCP_TOKEN_URI	"https://oauth2.googleapis.com/token"
#define CQP_CRED_AZURE_AUTHORITY "https://login.microsoftonline.com"
#define CQP_CRED_AZURE_SCOPE	"https://management.azure.com/.default"
#define CQP_CRED_GITHUB_API		"https://api.github.com"
#define CQP_CRED_MARGIN_MS		60000	/* refresh this long before expiry */
#define CQP_CRED_STS_URL		"https://sts.amazonaws.com"
#define CQP_CRED_STS_REGION		"us-east-1"

/*
 * What a provider is made from.  Every string is borrowed for the call
 * (the provider copies what it keeps; secrets it keeps are wiped when it is
 * freed).  Fields a kind does not use must be NULL/0.
 */
typedef struct CqpCredConfig
{
	CqpCredKind kind;

	/* CQP_CRED_STATIC */
	const char *token;

	/* CQP_CRED_GCP_SA: the key file's JSON (client_email, private_key,
	 * private_key_id, token_uri; token_uri defaults to Google's) */
	const char *service_account_key;

	/* GCP and Azure: the scope asked for (NULL: the CQP_CRED_*_SCOPE) */
	const char *scope;

	/* CQP_CRED_AZURE_CLIENT */
	const char *tenant_id;		/* GUID or domain name */
	const char *client_id;
	const char *client_secret;
	const char *authority_url;	/* NULL: CQP_CRED_AZURE_AUTHORITY */

	/* CQP_CRED_GITHUB_APP */
	const char *app_id;			/* numeric id or client id ("Iv1.xxx") */
	const char *private_key;	/* PEM, PKCS#8 or PKCS#1 */
	const char *installation_id;	/* digits; NULL: looked up per owner
									 * from each request's URL (see
									 * cqp_cred_get_for) */
	const char *api_url;		/* NULL: CQP_CRED_GITHUB_API */

	/* CQP_CRED_AWS_KEYS and CQP_CRED_AWS_ROLE: the (base) access key */
	const char *access_key_id;
	const char *secret_access_key;
	const char *session_token;	/* NULL: long-term key */
	/* CQP_CRED_AWS_ROLE: STS AssumeRole with the base key */
	const char *role_arn;		/* arn:aws:iam::<account>:role/<name> */
	const char *external_id;	/* NULL: none */
	const char *role_session_name;	/* NULL: "cq_fdw-<pid>-<time>" */
	int			duration_s;		/* DurationSeconds; 0: STS's default (1 h) */
	/* both AWS kinds: STS (AssumeRole, GetCallerIdentity) */
	const char *sts_url;		/* NULL: CQP_CRED_STS_URL */
	const char *sts_region;		/* signing region; NULL: CQP_CRED_STS_REGION */

	/* Token requests: host policy (strings copied), limits */
	CqNetPolicy policy;
	long		connect_timeout_ms; /* 0: 10000 */
	long		request_timeout_ms; /* 0: 30000 */
	int			max_retries;	/* connection errors, 429, 5xx; <0: 0, 0: 2 */
	long		retry_base_ms;	/* 0: 200 (doubles, capped at 5000) */
	bool		insecure;		/* skip TLS verification */
	const char *ca_file;
	const char *user_agent;

	/* Refresh a token this long before it expires (0: CQP_CRED_MARGIN_MS;
	 * at most half the token's lifetime, so a short-lived token is still
	 * reused).  <0: no margin. */
	long		margin_ms;
} CqpCredConfig;

typedef struct CqpCredStats
{
	int64_t		auth_requests;	/* HTTP requests to a token endpoint,
								 * retries included */
	int64_t		tokens_fetched; /* successful fetches */
	int64_t		fetch_failures; /* fetches that ended in an error */
	int64_t		cache_hits;		/* gets answered from the cache */
	int64_t		invalidations;	/* invalidates that dropped the token */
} CqpCredStats;

/*
 * Make a provider.  Checks the configuration (parses the key JSON and the
 * PEM key, checks ids and URLs against the policy) without any request:
 * NULL and err (CQ_ERR_CONFIG naming the option, CQ_ERR_POLICY,
 * CQ_ERR_NOMEM) on failure.  Free with cqp_cred_free.  Any thread.
 */
extern CqpCred *cqp_cred_new(const CqpCredConfig *cfg, CqError *err);
extern void cqp_cred_free(CqpCred *c);
extern CqpCredKind cqp_cred_kind(const CqpCred *c);
/* Option names to check when the endpoint refuses (for a HINT). */
extern const char *cqp_cred_options_hint(const CqpCred *c);

/*
 * The token to send now, as a malloc'd copy the caller wipes and frees
 * with cqp_secret_free (jwt.h).  A cached token is returned while it is
 * valid (until expiry minus the margin); otherwise one caller fetches a new
 * one, on its own thread, while the others wait for that fetch and share
 * its result (token or error): N concurrent callers make one fetch.  NULL
 * and err on failure (the error never contains a secret).  Thread-safe;
 * blocks for up to the retries' timeouts.
 */
extern char *cqp_cred_get(CqpCred *c, CqError *err);

/*
 * A request sent with `token` was refused (401): drop it so that the next
 * get fetches a new one.  Pass the token the request carried: if the cache
 * already holds a different one (another thread refreshed it), nothing is
 * dropped, so N requests failing together cause one refetch.  NULL drops
 * whatever is cached.  Returns true if a retry may get a different token
 * (false for a static token: retrying is pointless).  Thread-safe.
 */
extern bool cqp_cred_invalidate(CqpCred *c, const char *token);

/* Counters so far (EXPLAIN ANALYZE's "Auth Requests").  Thread-safe. */
extern void cqp_cred_stats(CqpCred *c, CqpCredStats *out);

/*
 * AWS kinds: the key to sign with now (for a role, temporary credentials
 * from AssumeRole, cached and renewed like a token; single flight).  Each
 * string malloc'd; free with cqp_aws_keys_free (wipes).  `packed` is the
 * cache entry the keys came from: pass it to cqp_cred_invalidate when AWS
 * answers ExpiredToken.  false and err (never holding a secret) on failure:
 * an STS refusal is CQ_ERR_HTTP with http_status, api_code ("AccessDenied",
 * "InvalidClientTokenId", "ExpiredToken", ...), request_id, and setting
 * "role_arn".  Thread-safe.
 */
typedef struct CqpAwsKeys
{
	char	   *access_key_id;
	char	   *secret_access_key;
	char	   *session_token;	/* NULL: none */
	char	   *packed;
} CqpAwsKeys;

extern bool cqp_cred_get_aws(CqpCred *c, CqpAwsKeys *out, CqError *err);
extern void cqp_aws_keys_free(CqpAwsKeys *k);

/*
 * AWS kinds: the 12-digit account of the credentials: for a role, read from
 * role_arn; otherwise STS GetCallerIdentity signed with the key (counted as
 * an auth request).  Cached in the provider.  Thread-safe.
 */
extern bool cqp_cred_aws_account(CqpCred *c, char out[16], CqError *err);

/*
 * role_arn with every "{account_id}" replaced by `account`: malloc'd, NULL
 * on OOM.  A plain copy when there is no placeholder.
 */
extern char *cqp_aws_role_for_account(const char *role_arn, const char *account);

/*
 * cqp_cred_get for a request to `url`.  Same as cqp_cred_get except for a
 * GitHub App without installation_id: the installation is looked up (with
 * the app JWT) for the owner the URL names -- /orgs/{org}/...,
 * /repos/{owner}/{repo}/..., /users/{user}/... under the API URL -- once
 * per owner, and that installation's token is returned.  Thread-safe.
 */
extern char *cqp_cred_get_for(CqpCred *c, const char *url, CqError *err);

/*
 * A GitHub App without installation_id, for a request path known before
 * the job (the FDW shares per-owner tokens between processes):
 * cqp_cred_path_owner: the owner (lower case) `path` (relative to the API
 * URL, e.g. "/orgs/acme/items") names; false if c is no such provider or
 * the path names none.  cqp_cred_owner_provider: that owner's provider
 * (borrowed, lives as long as c), made when there is none -- for
 * `installation` when given, else (lookup) looked up now with the app JWT
 * (a request, on the calling thread); its installation id in inst_out.
 * NULL with err kind NONE when there is none and none may be made, NULL
 * and err when the lookup fails.  Thread-safe.
 */
extern bool cqp_cred_path_owner(const CqpCred *c, const char *path, char *owner, size_t olen);
extern CqpCred *cqp_cred_owner_provider(CqpCred *c, const char *path, bool lookup,
										const char *installation, char *inst_out,
										size_t ilen, CqError *err);

/*
 * Shared ownership: a provider starts with one reference; cqp_cred_ref
 * adds one, cqp_cred_free drops one and frees the provider with the last.
 */
extern CqpCred *cqp_cred_ref(CqpCred *c);

/*
 * A provider kept across jobs (one backend: across scans), so a token
 * outlives the scan that fetched it.  `key` names the owner of the
 * credentials (the FDW: the user mapping's oid); the provider is reused
 * while the configuration is the same (a SHA-256 digest of every field is
 * compared: a changed option makes a new provider and drops the old one).
 * Returns a new reference (cqp_cred_free it) or NULL and err as
 * cqp_cred_new.  cq_cred_cache_clear (cq_sdk.h) drops every entry.
 * Thread-safe.
 */
extern CqpCred *cqp_cred_acquire(const char *key, const CqpCredConfig *cfg, CqError *err);

/*
 * A bearer-token provider (GCP, Azure, GitHub App with installation_id)
 * or an AWS role (its packed temporary key): cqp_cred_get, and in
 * *valid_ms how long the token stays usable (to the refresh margin).
 * Others: NULL with err->kind CQ_ERR_NONE.
 */
extern char *cqp_cred_get_valid(CqpCred *c, bool fetch, int64_t *valid_ms, CqError *err);
/* Keep `token` (fetched elsewhere) for valid_ms, unless the provider
 * holds one usable longer or is fetching.  Thread-safe. */
extern void cqp_cred_seed(CqpCred *c, const char *token, int64_t valid_ms);

/*
 * The provider configuration the job credentials ask for: false if they
 * hold none (a pasted token, or nothing).  `api_url`: the API the job reads
 * (a GitHub App's installations).  *opt: the option an error names;
 * *vendor: the origin of the vendor's own token endpoint.  Strings are
 * borrowed from `cr`.  Only the credential fields of `cc` are set.
 */
extern bool cqp_cred_config_from(const CqCredentials *cr, const char *api_url,
								 CqpCredConfig *cc, const char **opt,
								 const char **vendor);

#endif							/* CQ_CRED_H */
