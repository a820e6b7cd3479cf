/*-------------------------------------------------------------------------
 *
 * strbuf.c
 *		  A growable text buffer for request bodies, signatures and token
 *		  exchanges (aws.c, cred.c, sigv4.c): bounded by its `max`, out of memory
 *		  and "too big" recorded in the buffer instead of returned at each
 *		  append, and wiped when it moves -- growing copies into a new block
 *		  and OPENSSL_cleanse()s the old one (not realloc, which could
 *		  leave a copy of a secret in freed memory), cqp_sb_wipe() at the end.
 *		  And the percent-encoding they share (into a buffer, form
 *		  fields; the character classes are paginate.c's).
 *
 * Copyright (c) 2026, cq_fdw developers
 *
 *-------------------------------------------------------------------------
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "cq_sdk_int.h"

void
cqp_sb_putn(CqpStrBuf *b, const char *s, size_t n)
{
	if (b->oom || b->too_big)
		return;
	if (n > b->max || b->n > b->max - n)
	{
		b->too_big = true;
		return;
	}
	if (b->n + n + 1 > b->cap)
	{
		size_t		cap = b->cap ? b->cap : 256;
		char	   *np;

		while (cap < b->n + n + 1)
			cap *= 2;
		np = malloc(cap);		/* not realloc: the old copy is wiped */
		if (np == NULL)
		{
			b->oom = true;
			return;
		}
		if (b->p)
		{
			memcpy(np, b->p, b->n);
			OPENSSL_cleanse(b->p, b->cap);
			free(b->p);
		}
		b->p = np;
		b->cap = cap;
	}
	memcpy(b->p + b->n, s, n);
	b->n += n;
	b->p[b->n] = '\0';
}

void
cqp_sb_puts(CqpStrBuf *b, const char *s)
{
	cqp_sb_putn(b, s, strlen(s));
}

void
cqp_sb_putc(CqpStrBuf *b, char c)
{
	cqp_sb_putn(b, &c, 1);
}

void
cqp_sb_wipe(CqpStrBuf *b)
{
	if (b->p)
	{
		OPENSSL_cleanse(b->p, b->cap);
		free(b->p);
	}
	b->p = NULL;
	b->n = b->cap = 0;
	b->oom = b->too_big = false;
}

void
cqp_sb_put_encoded(CqpStrBuf *b, const char *s, size_t len, bool keep_slash)
{
	static const char hex[] = "0123456789ABCDEF";

	for (size_t i = 0; i < len; i++)
	{
		unsigned char c = (unsigned char) s[i];

		if (cqp_url_unreserved(c) || (keep_slash && c == '/'))
			cqp_sb_putc(b, (char) c);
		else
		{
			char		e[3] = {'%', hex[c >> 4], hex[c & 15]};

			cqp_sb_putn(b, e, 3);
		}
	}
}

void
cqp_sb_form_add(CqpStrBuf *b, const char *name, const char *value)
{
	if (b->n > 0)
		cqp_sb_putc(b, '&');
	cqp_sb_put_encoded(b, name, strlen(name), false);
	cqp_sb_putc(b, '=');
	cqp_sb_put_encoded(b, value, strlen(value), false);
}
