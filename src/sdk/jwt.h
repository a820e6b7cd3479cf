/*-------------------------------------------------------------------------
 *
 * jwt.h
 *		  RS256 JSON Web Tokens and base64url (private SDK API, cqp_ tier;
 *		  see jwt.c).
 *
 * Not installed; plugins must not include it.  No PostgreSQL header.
 *
 * Copyright (c) 2026, cq_fdw developers
 *
 *-------------------------------------------------------------------------
 */
#ifndef CQ_JWT_H
#define CQ_JWT_H

#include <stddef.h>

#include <jansson.h>

#include "cq_sdk.h"

/* An RSA private key, parsed once (OpenSSL EVP_PKEY inside). */
typedef struct CqpRsaKey CqpRsaKey;

/* Smallest modulus accepted (RFC 7518 3.3: 2048 bits or larger). */
#define CQP_RSA_MIN_BITS 2048

/*
 * Parse a PEM private key held in memory: "BEGIN PRIVATE KEY" (PKCS#8) or
 * "BEGIN RSA PRIVATE KEY" (PKCS#1), with or without surrounding text; never
 * a file.  `what` names the option in messages ("private_key").  NULL and
 * err (CQ_ERR_CONFIG: not PEM, encrypted, not RSA, too short; CQ_ERR_NOMEM)
 * on failure; the message never quotes the input.  Leaves OpenSSL's error
 * queue empty.  The caller frees with cqp_rsa_key_free.  Any thread.
 */
extern CqpRsaKey *cqp_rsa_key_load(const char *pem, size_t len,
								   const char *what, CqError *err);
extern void cqp_rsa_key_free(CqpRsaKey *k);
/* Modulus size in bits. */
extern int	cqp_rsa_key_bits(const CqpRsaKey *k);

/*
 * Sign a compact JWS: base64url(header) "." base64url(claims) "."
 * base64url(RS256 signature).  The header is {"alg":"RS256","typ":"JWT"}
 * plus "kid" when kid is not NULL.  `claims` is borrowed (any JSON object).
 * Returns a malloc'd string (wipe with cqp_secret_free: it is a bearer
 * credential), or NULL and err.  Any thread (the key is only read).
 */
extern char *cqp_jwt_sign_rs256(const CqpRsaKey *k, const char *kid,
								json_t *claims, CqError *err);

/* base64url without padding of `len` bytes; malloc'd, NULL on OOM. */
extern char *cqp_base64url_encode(const void *data, size_t len);

/*
 * Decode base64url (padding optional, no white space) into a malloc'd
 * buffer (NUL-terminated for convenience), length in *outlen.  NULL on a
 * character outside the alphabet, a bad length, or OOM.
 */
extern unsigned char *cqp_base64url_decode(const char *s, size_t len,
										   size_t *outlen);

/* Wipe a NUL-terminated string (OPENSSL_cleanse) and free it.  NULL ok. */
extern void cqp_secret_free(char *s);

#endif							/* CQ_JWT_H */
