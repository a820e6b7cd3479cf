/*-------------------------------------------------------------------------
 *
 * cq_sdk_int.h
 *		  Private declarations shared across SDK source files (cqp_ tier).
 *
 * Not installed; plugins must not include it.  Like cq_sdk.h it includes no
 * PostgreSQL header.  Declarations are grouped by the file that defines
 * them, one section per file, each headed by a comment naming the file.
 * Each engineer appends and edits only their own section.
 *
 * Copyright (c) 2026, cq_fdw developers
 *
 *-------------------------------------------------------------------------
 */
#ifndef CQ_SDK_INT_H
#define CQ_SDK_INT_H

#include "cq_sdk.h"

/* ------------------------------------------------------------------------
 * in error.c, arena.c, types*.c, path.c (types/path section)
 * ------------------------------------------------------------------------ */

/*
 * Copy `src` (length `len`, need not be NUL-terminated) into `dst` of size
 * `dstlen`, NUL-terminated, replacing control characters and bytes >= 0x7f
 * that do not start valid UTF-8 by '?', truncating at a UTF-8 character
 * boundary.  Safe on hostile text (API messages, values).  Any thread.
 */
extern void cqp_sanitize_copy(char *dst, size_t dstlen, const char *src,
							  size_t len);

/*
 * Replace every credential of `cred` (token, secret, user, base64 of basic
 * "user:password"; values of 4 bytes or more) in the text fields of err /
 * in the buffer s by "REDACTED".  The one place response text is cleaned
 * of secrets before it leaves a job (job_queue.c).  Any thread.
 */
extern void cqp_error_redact(CqError *err, const CqCredentials *cred);
extern void cqp_text_redact(char *s, size_t size, const CqCredentials *cred);

/* Duplicate `len` bytes of `s` into the arena, NUL-terminated; NULL on OOM. */
extern char *cqp_arena_strndup(CqArena *a, const char *s, size_t len);

/*
 * in arena.c: charge an arena for memory its values hold outside it (see
 * cq_arena_bytes), and the heap bytes of a jansson tree.
 */
extern void cqp_arena_charge(CqArena *a, size_t n);
extern size_t cqp_json_footprint(const json_t *v);

/*
 * in types_jsonbimg.c: PostgreSQL 15's jsonb image of v in the arena
 * (CQ_VAL_JSONB); false (out untouched) when there is none.
 */
extern bool cqp_jsonb_image(json_t *v, CqArena *arena, CqValue *out);

/*
 * in jarena.c: the parse workers' page arena for jansson (see the file's
 * comment).  cqp_json_free releases what json_dumps returned.
 */
extern void cqp_jarena_install(void);
extern bool cqp_jarena_begin(void);
extern size_t cqp_jarena_end(void);
extern bool cqp_jarena_active(void);
extern bool cqp_jarena_owns(const void *v);
extern json_t *cqp_jarena_detach(json_t *v);
extern size_t cqp_jarena_peak(void);
extern void cqp_jarena_thread_done(void);
extern void cqp_json_free(void *p);
extern void cqp_json_release(json_t *v);
extern bool cqp_jarena_scribble;	/* tests: overwrite a page's arena */
extern void (*cqp_jarena_chunk_freed) (const void *lo, size_t n);	/* tests */

/*
 * in path.c: extract one column from a row by path and parse it as `type`
 * (wildcard matches become array elements; see the function comment).
 */
extern void cqp_path_gather(const CqPath *p, json_t *root, json_t *arr);

/*
 * Column paths (path.c): a '^' prefix reads an enclosing element of the
 * row, a segment key[member=$column] looks an element up by the value of
 * another column.  CqPathEnv carries both for one row.
 */
#define CQ_PATH_MAX_UP 4		/* '^' levels */
#define CQ_PATH_MAX_VARS 4		/* distinct "$column" per path */
typedef struct CqPathEnv
{
	json_t	   *const *up;		/* up[0]: what the last "*" of rows matched */
	int			nup;
	json_t	   *const *vars;	/* values of the path's "$column"s, by index */
	int			nvars;
} CqPathEnv;
extern CqPath *cqp_path_compile_column(const char *pointer, CqError *err);
extern int	cqp_path_up(const CqPath *p);
extern bool cqp_path_has_lookup(const CqPath *p);
extern int	cqp_path_nvars(const CqPath *p);
extern const char *cqp_path_var(const CqPath *p, int i);
extern json_t *cqp_path_get_env(const CqPath *p, json_t *row, const CqPathEnv *env);
extern void cqp_path_gather_env(const CqPath *p, json_t *row, json_t *arr,
								const CqPathEnv *env);
extern long cqp_path_wild_count(const CqPath *p, json_t *root);
extern size_t cqp_path_each_up(const CqPath *p, json_t *root,
							   bool (*fn) (json_t *match, json_t *const *up, int nup, void *arg),
							   void *arg);
extern bool cqp_path_parse(const CqPath *p, json_t *row, CqColType type,
						   CqArena *arena, CqValue *out, CqError *err);


/* ------------------------------------------------------------------------
 * in http.c, paginate.c, job*.c (HTTP engine, pagination, scheduler)
 * ------------------------------------------------------------------------ */

#include <stdatomic.h>
#include <time.h>

/* Raise *a to at least v (never lowers it); any thread. */
static inline void
cqp_atomic_size_max(atomic_size_t *a, size_t v)
{
	size_t		cur = atomic_load(a);

	while (v > cur && !atomic_compare_exchange_weak(a, &cur, v))
		;
}

/*
 * Memory accounting shared by a job and the batches it hands out.  It is
 * refcounted: the job holds one reference and every undelivered or
 * delivered-but-unfreed batch holds one, so cq_batch_free() may run after
 * cq_job_free().  `held` and `peak` are updated with atomics from any
 * thread.
 */
typedef struct CqpAcct
{
	atomic_int	refs;
	atomic_size_t held;
	atomic_size_t peak;
	atomic_size_t received;		/* body bytes libcurl delivered (all
								 * transfers, finished or not) */
} CqpAcct;

extern CqpAcct *cqp_acct_new(void);
extern void cqp_acct_add(CqpAcct *a, size_t n);
extern void cqp_acct_sub(CqpAcct *a, size_t n);
extern void cqp_acct_unref(CqpAcct *a);

/* Growable byte buffer (malloc). */
typedef struct CqpBuf
{
	char	   *data;
	size_t		len;
	size_t		cap;
} CqpBuf;

struct CqpReq;

/* Per-job HTTP configuration (built once by cqp_http_init, read-only
 * afterwards, used by the job's I/O thread). */
typedef struct CqpHttp
{
	const CqJobSettings *settings;
	const CqNetPolicy *policy;
	const CqSourceDef *source;
	const CqCredentials *cred;
	void	   *hdrs_auth;		/* struct curl_slist *: source headers +
								 * credentials */
	void	   *hdrs_noauth;	/* source headers only (other origins) */
	unsigned int seed;			/* backoff jitter (I/O thread only) */
	CqpAcct    *acct;
	/*
	 * Set by the job (NULL: no cancel, no budget).  The write callback
	 * aborts the transfer once *stop is set, and asks grow(grow_ud, req, n)
	 * before it allocates n more body bytes; false pauses the transfer
	 * (req->paused, CURL_WRITEFUNC_PAUSE) until the job resumes it.
	 */
	const atomic_bool *stop;
	bool		(*grow) (void *ud, struct CqpReq *req, size_t n);
	void	   *grow_ud;
	/*
	 * CQ_AUTH_SIGV4: every request to the job's origin is signed by
	 * cqp_http_prepare (sigv4.c) with the scope below, at the time of the
	 * send (each retry, redirect hop and page gets its own X-Amz-Date).
	 */
	bool		sigv4;
	char		sigv4_region[64];
	char		sigv4_service[64];
	unsigned	sigv4_flags;	/* CQP_SIGV4_* (S3 for service "s3") */
	time_t		sigv4_fixed_time;	/* tests: sign at this time (0: now) */
	/*
	 * Set by the job (NULL: none): requests to the job's origin carry
	 * "Authorization: Bearer" with a token from this provider (cred.c),
	 * fetched by cqp_http_prepare on the I/O thread.
	 */
	struct CqpCred *provider;
	const CqTableDef *table;	/* the job's table (its "aws" object) */
	/*
	 * Set by the job from a kubeconfig (NULL: none; owned by the job): PEM
	 * CA, client certificate and key for requests to the job's origin,
	 * given to libcurl as blobs (no file).
	 */
	const unsigned char *tls_ca;
	size_t		tls_ca_len;
	const unsigned char *tls_cert;
	size_t		tls_cert_len;
	const unsigned char *tls_key;
	size_t		tls_key_len;
} CqpHttp;

struct CqpUnit;

/* One HTTP request of a unit (one page), with its response. */
typedef struct CqpReq
{
	struct CqpReq *next;		/* queue link */
	struct CqpUnit *unit;
	CqpHttp    *http;
	char	   *url;			/* malloc'd, current URL (after redirects) */
	int64_t		page_index;		/* page number / offset asked for, or -1 */
	bool		seq;			/* this page decides the next one */
	int			attempt;		/* retries done */
	int			redirects;
	int64_t		due_ms;			/* retry timer (monotonic ms) */
	/* transfer state (I/O thread only) */
	void	   *easy;			/* CURL * */
	CqpBuf		body;			/* body.cap bytes charged to http->acct */
	size_t		charged;		/* bytes of this body charged to acct */
	size_t		reserve;		/* budget reserved when the transfer started */
	size_t		want;			/* paused: the charge it asked for */
	bool		paused;			/* write callback paused it (budget) */
	bool		lead;			/* may grow past the budget (progress) */
	size_t		header_bytes;
	char	   *link;			/* Link header(s) joined by ", " */
	char	   *location;
	char		retry_after[64];
	char		rl_remaining[32];
	char		rl_reset[32];
	bool		refused;		/* opensocket: policy refused the address */
	bool		too_big;		/* body exceeded max_response_bytes */
	bool		hdr_too_big;	/* headers exceeded max_header_bytes */
	CqError    *policy_err;		/* why the policy refused the address
								 * (malloc'd only then: a CqError is
								 * 1.8 kB and every unit of a fan-out
								 * has a request queued) */
	int64_t		t_start_ms;
	int64_t		rl_pause_until_ms;	/* set by cqp_http_finish on a 2xx */
	int64_t		rl_left;		/* 2xx: X-RateLimit-Remaining, -1 = none */
	int64_t		rl_reset_in_ms;	/* 2xx: quota resets in this many ms, -1 */
	/*
	 * A request with a body (AWS Query/EC2/JSON protocols): NULL method
	 * means GET, or POST when post_body is set.  Borrowed: the owner of the
	 * request keeps them alive until it is freed.
	 */
	const char *method;
	const char *post_body;
	size_t		post_len;
	const char *content_type;	/* sent (and signed) with the body */
	void	   *hdrs;			/* struct curl_slist *: this transfer's own
								 * header list (signed headers), or NULL */
	char		amz_error_type[64];	/* x-amzn-ErrorType header */
	char		amz_request_id[128];	/* x-amzn-RequestId / x-amz-request-id */
	char	   *auth_token;		/* provider token this transfer carries
								 * (wiped and freed by cqp_http_reset); for
								 * SigV4 the packed AWS key it was signed
								 * with (cred.h, CqpAwsKeys.packed) */
	struct CqpCred *cred;		/* SigV4: this unit's provider (an account's
								 * role), NULL: http->provider */
	const struct CqpKube *kube;	/* kubeconfig context of the unit (a table
								 * with a context key): its CA, client
								 * certificate, key, token and
								 * insecure-skip-tls-verify instead of the
								 * http's; NULL: the http's (borrowed from
								 * the job) */
	bool		auth_retried;	/* a 401 already refetched the token */
	/*
	 * AWS tables (aws.c): the SigV4 scope region of this request (the
	 * unit's region, borrowed from the unit; NULL: the source's), and what
	 * cqp_aws_wire built from url for the protocol (owned, freed by
	 * cqp_http_reset): the URL sent, the body, the X-Amz-Target line.
	 */
	const char *sigv4_region;
	bool		aws_regions;	/* EC2 DescribeRegions instead of the table's
								 * operation (a regional table without regions) */
	int			aws_op;			/* CQP_AWS_OP_*: the table's operation, its
								 * parent listing's (parent.aws) or its
								 * list-then-get call (aws.describe) */
	char	   *aws_url;
	char	   *aws_body;
	char	   *aws_target;
	/*
	 * S3: the x-amz-bucket-region header of this response, and the region
	 * the request is sent again for when the bucket lives elsewhere (set by
	 * cqp_http_finish with CQP_REDIRECT, applied to the unit by job_io.c;
	 * not cleared by cqp_http_reset).
	 */
	char		amz_bucket_region[32];
	char		s3_region[32];
	/* a detail call (job_hydrate.c): its page, row and hydrate entry;
	 * NULL page: a page of the unit's listing */
	struct CqpHydPage *hyd_page;
	int			hyd_row;
	int			hyd_idx;
	bool		hyd_failed;		/* failed: hyd_err says why */
	struct CqError *hyd_err;
	char		hyd_label[128];
} CqpReq;

typedef enum CqpOutcome
{
	CQP_OK = 0,					/* 2xx: body ready to parse */
	CQP_REDIRECT,				/* req->url now holds the new target */
	CQP_RETRY,					/* wait *wait_ms then send again */
	CQP_FAIL					/* err filled (no unit label) */
} CqpOutcome;

/*
 * Longest request URL sent (bytes).  Checked before the outbound policy so
 * a long key value is reported as such; netpolicy.c refuses longer URLs
 * too (its MAX_URL_LEN, the same value).
 */
#define CQP_MAX_URL_LEN 16384

/* in http.c */
extern bool cqp_http_init(CqpHttp *h, const CqJobParams *params,
						  CqpAcct *acct, CqError *err);
extern void cqp_http_cleanup(CqpHttp *h);
extern bool cqp_http_prepare(CqpHttp *h, CqpReq *req, bool with_auth,
							 CqError *err);
extern void cqp_http_reset(CqpReq *req);
extern CqpOutcome cqp_http_finish(CqpHttp *h, CqpReq *req, int curlcode,
								  int64_t now_ms, long *wait_ms,
								  CqError *err);
extern void cqp_http_api_message(const char *body, size_t len, char *out,
								 size_t outlen);
extern int64_t cqp_now_ms(void);

/* in aws.c */
extern char *cqp_aws_base_url(const CqAwsDef *a, const char *server_base_url,
							  const char *region);
extern char *cqp_aws_host_url(const char *endpoint_prefix, bool global,
							  const char *server_base_url, const char *region);
#define CQP_AWS_OP_TABLE 0
#define CQP_AWS_OP_PARENT 1
#define CQP_AWS_OP_DESCRIBE 2
extern bool cqp_aws_wire(const CqTableDef *t, CqpReq *req, CqError *err);
extern json_t *cqp_aws_key_value_object(json_t *v);

/* in paginate.c */
typedef struct CqpPager
{
	CqPagination style;
	const CqPath *next;			/* next URL / token pointer */
	const char *next_param;		/* token / page / offset parameter */
	int			page_size;		/* rows per page we asked for (0 = unknown) */
	const CqPath *total;		/* total row count pointer, or NULL */
	bool		concurrent;		/* may request known remaining pages at once */
	const CqPath *more;			/* "more results" flag: false stops, or NULL */
	const CqPath *remaining;	/* rows remaining after the page, or NULL */
} CqpPager;

typedef enum CqpNextKind
{
	CQP_NEXT_STOP = 0,
	CQP_NEXT_URL,				/* one next request: url, index */
	CQP_NEXT_RANGE				/* url with param = from, from+step, ... to */
} CqpNextKind;

typedef struct CqpNext
{
	CqpNextKind kind;
	char	   *url;			/* malloc'd (URL, or range template) */
	int64_t		index;			/* page index of url (or -1) */
	const char *param;			/* RANGE: the parameter to vary */
	int64_t		from;
	int64_t		to;				/* inclusive */
	int64_t		step;
	/* what the page says of the listing's size (progress), -1: nothing */
	int64_t		total_rows;		/* pager total: rows of the whole listing */
	int64_t		remaining;		/* pager remaining: rows after this page */
	int64_t		last_page;		/* Link rel="last": its page number */
} CqpNext;

extern bool cqp_link_find(const char *link, const char *rel, char **out);
extern char *cqp_url_encode(const char *s, size_t len);
extern char *cqp_url_set_param(const char *url, const char *name,
							   const char *value);
extern char *cqp_url_get_param(const char *url, const char *name);
extern char *cqp_url_resolve(const char *base, const char *ref);
extern bool cqp_url_same_origin(const char *a, const char *b);
extern char *cqp_expand_template(const char *tmpl, int n,
								 const char *const *names,
								 const char *const *values, CqError *err);
extern void cqp_paginate(const CqpPager *pg, const char *req_url,
						 int64_t page_index, const char *link, json_t *doc,
						 size_t nrows, CqpNext *out);

/* in job.c: test/benchmark hooks (feed bodies without HTTP) */
extern CqJob *cqp_job_start_offline(const CqJobParams *params, CqError *err);
extern CqpAcct *cqp_job_acct(CqJob *job);
extern int	cqp_job_feed(CqJob *job, const char *body, size_t len);
extern void cqp_job_feed_end(CqJob *job);

/* ------------------------------------------------------------------------
 * in netpolicy.c (outbound network policy)
 * ------------------------------------------------------------------------ */

/*
 * Check the syntax of policy->allowed_hosts and policy->denied_addrs (e.g.
 * once in cq_job_start), so that a typo is a CQ_ERR_CONFIG naming the
 * setting before any request.  true if valid (or p is NULL).  Any thread.
 */
extern bool cqp_net_policy_validate(const CqNetPolicy *p, CqError *err);

/*
 * The options every libcurl transfer starts with (`easy` is a CURL *): no
 * signals, no redirects, http/https only, never a proxy, the user agent
 * (NULL: "cq_fdw/0.1").  Any thread.
 */
extern void cqp_net_curl_defaults(void *easy, const char *user_agent);

/* ------------------------------------------------------------------------
 * in spec*.c, plugin.c (spec/plugin section)
 * ------------------------------------------------------------------------ */

/* Limits a spec must respect (CQ_ERR_LIMIT beyond them; see
 * sources/SPEC.md). */
#define SPEC_MAX_BYTES		(16 * 1024 * 1024)	/* document length */
#define SPEC_MAX_TABLES		4096
#define SPEC_MAX_COLUMNS	1600	/* PostgreSQL's MaxHeapAttributeNumber */
#define SPEC_MAX_KEYS		64		/* keys, primary key columns */
#define SPEC_MAX_OPTIONS	64		/* server_options, user_options */
#define SPEC_MAX_HEADERS	64
#define SPEC_MAX_MAP		16		/* parent.map entries */
#define SPEC_MAX_PLACEHOLDERS 32	/* {params} per endpoint template */
#define SPEC_MAX_IDENT		63		/* names, params (NAMEDATALEN - 1) */
#define SPEC_MAX_TEMPLATE	2048	/* endpoint, base_url */
#define SPEC_MAX_POINTER	1024	/* JSON pointers */
#define SPEC_MAX_TEXT		65536	/* descriptions */
#define SPEC_MAX_PAGE_SIZE	100000
#define SPEC_DEFAULT_ROW_ESTIMATE 1000.0

/*
 * Check a plugin descriptor (ABI version, name, spec present) and parse its
 * spec into a source definition with kind "plugin".  `path` names the
 * plugin in messages.  This is cq_plugin_load minus dlopen, so tests can
 * exercise it with a static descriptor.  NULL + err (CQ_ERR_PLUGIN, or the
 * spec's error) on failure.  Any thread.
 */
extern CqSourceDef *cqp_plugin_source(const CqPluginDescriptor *desc,
									  const char *path, CqError *err);

/*
 * strbuf.c: a growable text buffer bounded by `max` (set it when declaring:
 * `CqpStrBuf b = {.max = LIMIT};`); errors are recorded in oom/too_big; it
 * wipes its old block when it grows and in cqp_sb_wipe().  `p` is malloc'd
 * (a caller may take it, or free it when it holds no secret).
 */
typedef struct CqpStrBuf
{
	char	   *p;
	size_t		n;
	size_t		cap;
	size_t		max;
	bool		oom;
	bool		too_big;
} CqpStrBuf;

extern void cqp_sb_putn(CqpStrBuf *b, const char *s, size_t n);
extern void cqp_sb_puts(CqpStrBuf *b, const char *s);
extern void cqp_sb_putc(CqpStrBuf *b, char c);
extern void cqp_sb_wipe(CqpStrBuf *b);

/* Percent-encoding into a CqpStrBuf (strbuf.c): s[0..len) with every byte
 * but cqp_url_unreserved as %XX ('/' kept if keep_slash); form fields
 * "name=value" (both encoded), with '&' before all but the first. */
extern void cqp_sb_put_encoded(CqpStrBuf *b, const char *s, size_t len, bool keep_slash);
extern void cqp_sb_form_add(CqpStrBuf *b, const char *name, const char *value);
/* paginate.c (no OpenSSL: the spec validator links it): RFC 3986
 * unreserved (A-Z a-z 0-9 - _ . ~, whatever the locale); the byte a "%XY"
 * at s[i] of s[0..len) stands for, -1 when there is none. */
extern bool cqp_url_unreserved(unsigned char c);

/* The value of a hexadecimal digit, -1 for any other byte (any locale). */
static inline int
cqp_hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

extern int	cqp_pct_byte(const char *s, size_t len, size_t i);

#endif							/* CQ_SDK_INT_H */
