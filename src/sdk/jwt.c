/*-------------------------------------------------------------------------
 *
 * jwt.c
 *		  RS256 JSON Web Tokens (RFC 7515 compact serialization, RFC 7518
 *		  "RS256" = RSASSA-PKCS1-v1_5 with SHA-256) and base64url (RFC 4648
 *		  section 5), for the credential providers in cred.c: the GCP
 *		  service-account assertion and the GitHub App JWT.
 *
 * Invariants:
 *	- Crypto is libcrypto's: PEM_read_bio_PrivateKey on a memory BIO (the
 *	  key never touches a file), EVP_DigestSign with SHA-256.  base64url is
 *	  encoding, not crypto, so it is the small coder below.
 *	- Keys are RSA only (not RSA-PSS, EC, Ed25519: RS256 is PKCS#1 v1.5),
 *	  and at least CQP_RSA_MIN_BITS.  Encrypted PEM is refused (there is no
 *	  passphrase option; a prompt would block the backend).
 *	- Errors are values; messages name the option (`what`) and what is
 *	  wrong with it, never a byte of the key.  OpenSSL's per-thread error
 *	  queue is cleared on every failure, so a later TLS handshake by libcurl
 *	  on the same thread does not mistake our error for its own.
 *	- Key material: the PEM text is read in place (the caller owns and
 *	  wipes it); the parsed key lives in the EVP_PKEY, whose RSA numbers
 *	  OpenSSL clears when it is freed.  A signed JWT is a bearer credential:
 *	  callers free it with cqp_secret_free, which wipes it.
 *	- No static mutable state; a key may sign from several threads.
 *
 * Copyright (c) 2026, cq_fdw developers
 *
 *-------------------------------------------------------------------------
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE				/* memmem */
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "cq_sdk.h"
#include "jwt.h"

#define JWT_MAX_PEM		(64 * 1024)	/* a 16384-bit key is ~12 KiB */
#define JWT_MAX_CLAIMS	(64 * 1024)

struct CqpRsaKey
{
	EVP_PKEY   *pkey;
};

/* ------------------------------------------------------------------------
 * base64url
 * ------------------------------------------------------------------------ */

static const char b64u[] =
"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* cqp_base64url_encode: see jwt.h */
char *
cqp_base64url_encode(const void *data, size_t len)
{
	const unsigned char *in = data;
	char	   *out,
			   *o;
	size_t		i;

	if (len > (SIZE_MAX / 4) - 4)
		return NULL;
	out = malloc(len / 3 * 4 + 5);
	if (out == NULL)
		return NULL;
	o = out;
	for (i = 0; i + 3 <= len; i += 3)
	{
		unsigned	v = (unsigned) in[i] << 16 | (unsigned) in[i + 1] << 8 | in[i + 2];

		*o++ = b64u[(v >> 18) & 63];
		*o++ = b64u[(v >> 12) & 63];
		*o++ = b64u[(v >> 6) & 63];
		*o++ = b64u[v & 63];
	}
	if (len - i == 1)
	{
		unsigned	v = (unsigned) in[i] << 16;

		*o++ = b64u[(v >> 18) & 63];
		*o++ = b64u[(v >> 12) & 63];
	}
	else if (len - i == 2)
	{
		unsigned	v = (unsigned) in[i] << 16 | (unsigned) in[i + 1] << 8;

		*o++ = b64u[(v >> 18) & 63];
		*o++ = b64u[(v >> 12) & 63];
		*o++ = b64u[(v >> 6) & 63];
	}
	*o = '\0';
	return out;
}

static int
b64u_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '-')
		return 62;
	if (c == '_')
		return 63;
	return -1;
}

/* cqp_base64url_decode: see jwt.h */
unsigned char *
cqp_base64url_decode(const char *s, size_t len, size_t *outlen)
{
	unsigned char *out;
	size_t		n = 0,
				i;
	unsigned	acc = 0;
	int			bits = 0;

	while (len > 0 && s[len - 1] == '=')
		len--;
	if (len % 4 == 1)
		return NULL;
	out = malloc(len / 4 * 3 + 3);
	if (out == NULL)
		return NULL;
	for (i = 0; i < len; i++)
	{
		int			v = b64u_value((unsigned char) s[i]);

		if (v < 0)
		{
			free(out);
			return NULL;
		}
		acc = (acc << 6) | (unsigned) v;
		bits += 6;
		if (bits >= 8)
		{
			bits -= 8;
			out[n++] = (unsigned char) ((acc >> bits) & 0xff);
		}
	}
	out[n] = '\0';
	*outlen = n;
	return out;
}

/* cqp_secret_free: see jwt.h */
void
cqp_secret_free(char *s)
{
	if (s == NULL)
		return;
	OPENSSL_cleanse(s, strlen(s));
	free(s);
}

/* ------------------------------------------------------------------------
 * Keys
 * ------------------------------------------------------------------------ */

/* Passphrase callback: there is none (an encrypted key fails to load). */
static int
no_passphrase(char *buf, int size, int rwflag, void *u)
{
	(void) buf;
	(void) size;
	(void) rwflag;
	(void) u;
	return -1;
}

static bool
has(const char *pem, size_t len, const char *marker)
{
	return memmem(pem, len, marker, strlen(marker)) != NULL;
}

/* cqp_rsa_key_load: see jwt.h */
CqpRsaKey *
cqp_rsa_key_load(const char *pem, size_t len, const char *what, CqError *err)
{
	BIO		   *bio;
	EVP_PKEY   *pk;
	CqpRsaKey  *k;
	int			bits;

	if (what == NULL)
		what = "private key";
	if (pem == NULL || len == 0)
	{
		cq_error_set(err, CQ_ERR_CONFIG, "%s is empty", what);
		return NULL;
	}
	if (len > JWT_MAX_PEM)
	{
		cq_error_set(err, CQ_ERR_CONFIG, "%s is %zu bytes, longer than the limit of %d bytes for a PEM key",
					 what, len, JWT_MAX_PEM);
		return NULL;
	}
	if (!has(pem, len, "-----BEGIN "))
	{
		cq_error_set(err, CQ_ERR_CONFIG,
					 "%s is not a PEM private key (expected a \"-----BEGIN PRIVATE KEY-----\" or \"-----BEGIN RSA PRIVATE KEY-----\" block)",
					 what);
		return NULL;
	}
	if (has(pem, len, "ENCRYPTED"))
	{
		cq_error_set(err, CQ_ERR_CONFIG,
					 "%s is encrypted with a passphrase, which is not supported; give the unencrypted key",
					 what);
		return NULL;
	}
	bio = BIO_new_mem_buf(pem, (int) len);
	if (bio == NULL)
	{
		ERR_clear_error();
		cq_error_set(err, CQ_ERR_NOMEM, "out of memory reading %s", what);
		return NULL;
	}
	pk = PEM_read_bio_PrivateKey(bio, NULL, no_passphrase, NULL);
	BIO_free(bio);
	ERR_clear_error();
	if (pk == NULL)
	{
		if (has(pem, len, "PUBLIC KEY-----") || has(pem, len, "CERTIFICATE-----"))
			cq_error_set(err, CQ_ERR_CONFIG,
						 "%s holds a public key or certificate, not the private key", what);
		else
			cq_error_set(err, CQ_ERR_CONFIG,
						 "%s is not a valid PEM private key (damaged or truncated base64, or an unknown format)",
						 what);
		return NULL;
	}
	if (EVP_PKEY_get_base_id(pk) != EVP_PKEY_RSA)
	{
		const char *tn = EVP_PKEY_get0_type_name(pk);

		cq_error_set(err, CQ_ERR_CONFIG,
					 "%s is an %s key; RS256 needs an RSA key", what, tn ? tn : "unknown");
		EVP_PKEY_free(pk);
		ERR_clear_error();
		return NULL;
	}
	bits = EVP_PKEY_get_bits(pk);
	if (bits < CQP_RSA_MIN_BITS)
	{
		cq_error_set(err, CQ_ERR_CONFIG,
					 "%s is a %d-bit RSA key; RS256 needs at least %d bits", what, bits,
					 CQP_RSA_MIN_BITS);
		EVP_PKEY_free(pk);
		return NULL;
	}
	k = calloc(1, sizeof(*k));
	if (k == NULL)
	{
		EVP_PKEY_free(pk);
		cq_error_set(err, CQ_ERR_NOMEM, "out of memory reading %s", what);
		return NULL;
	}
	k->pkey = pk;
	return k;
}

/* cqp_rsa_key_free: see jwt.h */
void
cqp_rsa_key_free(CqpRsaKey *k)
{
	if (k == NULL)
		return;
	EVP_PKEY_free(k->pkey);		/* clears the RSA numbers */
	free(k);
}

/* cqp_rsa_key_bits: see jwt.h */
int
cqp_rsa_key_bits(const CqpRsaKey *k)
{
	return k ? EVP_PKEY_get_bits(k->pkey) : 0;
}

/* ------------------------------------------------------------------------
 * Signing
 * ------------------------------------------------------------------------ */

/* base64url of a JSON value's compact text; NULL on OOM/too large. */
static char *
b64u_json(json_t *v, bool *too_big)
{
	char	   *txt = json_dumps(v, JSON_COMPACT);
	char	   *out;
	size_t		n;

	if (txt == NULL)
		return NULL;
	n = strlen(txt);
	if (n > JWT_MAX_CLAIMS)
	{
		*too_big = true;
		free(txt);
		return NULL;
	}
	out = cqp_base64url_encode(txt, n);
	free(txt);
	return out;
}

/* cqp_jwt_sign_rs256: see jwt.h */
char *
cqp_jwt_sign_rs256(const CqpRsaKey *k, const char *kid, json_t *claims,
				   CqError *err)
{
	json_t	   *hdr = NULL;
	char	   *h64 = NULL,
			   *c64 = NULL,
			   *s64 = NULL,
			   *input = NULL,
			   *jwt = NULL;
	unsigned char *sig = NULL;
	size_t		siglen = 0,
				inlen;
	EVP_MD_CTX *md = NULL;
	bool		too_big = false;

	if (k == NULL || !json_is_object(claims))
	{
		cq_error_set(err, CQ_ERR_INTERNAL, "JWT signing needs a key and a claims object");
		return NULL;
	}
	hdr = json_pack("{s:s, s:s}", "alg", "RS256", "typ", "JWT");
	if (hdr && kid && json_object_set_new(hdr, "kid", json_string(kid)) != 0)
	{
		json_decref(hdr);
		cq_error_set(err, CQ_ERR_CONFIG, "the key id is not valid UTF-8");
		return NULL;
	}
	h64 = hdr ? b64u_json(hdr, &too_big) : NULL;
	c64 = b64u_json(claims, &too_big);
	json_decref(hdr);
	if (h64 == NULL || c64 == NULL)
	{
		if (too_big)
			cq_error_set(err, CQ_ERR_LIMIT, "JWT claims longer than %d bytes", JWT_MAX_CLAIMS);
		else
			cq_error_set(err, CQ_ERR_NOMEM, "out of memory building a JWT");
		goto done;
	}
	inlen = strlen(h64) + 1 + strlen(c64);
	input = malloc(inlen + 1);
	if (input == NULL)
	{
		cq_error_set(err, CQ_ERR_NOMEM, "out of memory building a JWT");
		goto done;
	}
	snprintf(input, inlen + 1, "%s.%s", h64, c64);

	md = EVP_MD_CTX_new();
	if (md == NULL
		|| EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, k->pkey) != 1
		|| EVP_DigestSign(md, NULL, &siglen, (const unsigned char *) input, inlen) != 1
		|| (sig = malloc(siglen)) == NULL
		|| EVP_DigestSign(md, sig, &siglen, (const unsigned char *) input, inlen) != 1)
	{
		ERR_clear_error();
		cq_error_set(err, CQ_ERR_INTERNAL, "RS256 signing failed in libcrypto");
		goto done;
	}
	s64 = cqp_base64url_encode(sig, siglen);
	if (s64 == NULL || (jwt = malloc(inlen + 1 + strlen(s64) + 1)) == NULL)
	{
		cq_error_set(err, CQ_ERR_NOMEM, "out of memory building a JWT");
		goto done;
	}
	snprintf(jwt, inlen + 1 + strlen(s64) + 1, "%s.%s", input, s64);

done:
	EVP_MD_CTX_free(md);
	free(h64);
	free(c64);
	free(input);
	free(sig);
	free(s64);
	return jwt;
}
