/*-------------------------------------------------------------------------
 *
 * sigv4.h
 *		  AWS Signature Version 4 (private SDK API, cqp_ tier; see sigv4.c).
 *
 * Not installed; plugins must not include it.  No PostgreSQL header.
 *
 * Copyright (c) 2026, cq_fdw developers
 *
 *-------------------------------------------------------------------------
 */
#ifndef CQ_SIGV4_H
#define CQ_SIGV4_H

#include <stddef.h>
#include <time.h>

#include "cq_sdk.h"

/* One header of the request to sign (name in any case, raw value). */
typedef struct CqpSigv4Header
{
	const char *name;
	const char *value;			/* may hold obs-fold line breaks */
} CqpSigv4Header;

/* Flags of CqpSigv4Params.flags */
#define CQP_SIGV4_NO_NORMALIZE		0x01	/* keep ".", ".." and "//" (S3) */
#define CQP_SIGV4_NO_DOUBLE_ENCODE	0x02	/* path used as sent (S3) */
#define CQP_SIGV4_SIGN_BODY			0x04	/* add x-amz-content-sha256 (S3) */
#define CQP_SIGV4_OMIT_TOKEN		0x08	/* session token sent, not signed */
#define CQP_SIGV4_S3 (CQP_SIGV4_NO_NORMALIZE | CQP_SIGV4_NO_DOUBLE_ENCODE | CQP_SIGV4_SIGN_BODY)

/*
 * What to sign.  All strings are borrowed for the duration of the call.
 * `path` and `query` are exactly as they go on the wire (percent-encoded
 * the way the URL has them; query without the '?', NULL or "" for none).
 * `headers` are the headers to sign and must include Host; the signer adds
 * X-Amz-Date, X-Amz-Security-Token and x-amz-content-sha256 itself, and
 * refuses them (and Authorization) in `headers`.
 */
typedef struct CqpSigv4Request
{
	const char *method;
	const char *path;
	const char *query;
	const CqpSigv4Header *headers;
	size_t		nheaders;
	const void *body;			/* NULL/0: empty payload */
	size_t		body_len;
	const char *payload_hash;	/* NULL: hex SHA-256 of body; or e.g.
								 * "UNSIGNED-PAYLOAD" */
} CqpSigv4Request;

typedef struct CqpSigv4Params
{
	const char *access_key_id;
	const char *secret_access_key;
	const char *session_token;	/* NULL: none */
	const char *region;			/* "us-east-1" */
	const char *service;		/* "ec2", "s3", ... (signing name) */
	time_t		when;			/* signing time (UTC seconds) */
	unsigned	flags;			/* CQP_SIGV4_* */
	long		expires;		/* presign only: 1 .. 604800 seconds */
} CqpSigv4Params;

/*
 * The result; every string is malloc'd and owned by the result (free with
 * cqp_sigv4_result_free, which also wipes the signature).
 *
 * Header signing: `headers` holds the lines to add to the request, in
 * order, "Name: value" (X-Amz-Date, X-Amz-Security-Token, x-amz-content-
 * sha256 as applicable, Authorization last); `authorization` is the value
 * of the Authorization header alone.
 * Presigning: `query` is the complete query string to send (without '?'),
 * original parameters included, X-Amz-Signature last; `headers` is empty.
 * `canonical_request` and `string_to_sign` are the intermediate texts (for
 * tests and debugging; they contain no secret, but the session token).
 */
typedef struct CqpSigv4Result
{
	char	   *canonical_request;
	char	   *string_to_sign;
	char		signature[65];	/* lower-case hex */
	char	   *authorization;
	char	   *query;
	char	   *headers[4];
	int			nheaders;
} CqpSigv4Result;

/*
 * Sign into the Authorization header, or presign into the query string.
 * Return false and set err (CQ_ERR_CONFIG: bad input; CQ_ERR_LIMIT: too
 * large; CQ_ERR_NOMEM; CQ_ERR_INTERNAL: libcrypto failed) with *out left
 * empty.  On success the caller frees *out.  Any thread; no shared state.
 */
extern bool cqp_sigv4_sign(const CqpSigv4Request *req, const CqpSigv4Params *p,
						   CqpSigv4Result *out, CqError *err);
extern bool cqp_sigv4_presign(const CqpSigv4Request *req, const CqpSigv4Params *p,
							  CqpSigv4Result *out, CqError *err);
extern void cqp_sigv4_result_free(CqpSigv4Result *r);

/* Hex SHA-256 of `len` bytes into out[65].  false only if libcrypto fails. */
extern bool cqp_sha256_hex(const void *data, size_t len, char out[65]);

/*
 * AWS URI encoding (RFC 3986 unreserved characters kept, every other byte
 * %XX upper-case; '/' kept when keep_slash) of `len` bytes, appended to a
 * malloc'd NUL-terminated string.  NULL on OOM.
 */
extern char *cqp_sigv4_uri_encode(const char *s, size_t len, bool keep_slash);

#endif							/* CQ_SIGV4_H */
