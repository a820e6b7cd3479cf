/*-------------------------------------------------------------------------
 *
 * types_text.c
 *		  Value parsers of the text family: string, bytes, uuid.
 *
 * The invariants of every parser are in types.c's banner (no malloc or
 * locale-dependent call per value, bounded by the value's length, a failure
 * is SQL NULL plus a CQ_ERR_VALUE naming the type, JSON null is SQL NULL).
 *	- variable-size results (string, bytes) are copied into the caller's
 *	  arena, never malloc'd; uuid is 16 bytes in the value itself.
 *	- string and bytes are written as PostgreSQL's text/bytea image: 4 bytes
 *	  reserved before the data get the varlena header once the length is
 *	  known, and the value is flagged CQ_VAL_VARLENA (cq_sdk.h), so the
 *	  backend's main thread uses the bytes where they are instead of
 *	  copying each value (issue 16).  Still NUL-terminated after len.
 *
 * Documented leniencies and decisions (see also cq_sdk.h):
 *	- string: JSON numbers and booleans become their JSON text; objects and
 *	  arrays their compact JSON text; "\u0000" (NUL) is stripped.
 *	- bytes: base64, or "\x" and hex digit pairs (PostgreSQL's form;
 *	  whitespace between pairs).
 *	- uuid: 32 hex digits (any case), hyphens only where the 8-4-4-4-12
 *	  groups end, optionally in braces or after "urn:uuid:".
 *
 * Copyright (c) 2026, cq_fdw developers
 *
 *-------------------------------------------------------------------------
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE				/* strtod_l, uselocale, newlocale */
#endif
#include <stdlib.h>
#include <string.h>

#include "cq_sdk.h"
#include "cq_sdk_int.h"
#include "types_int.h"

/* ------------------------------------------------------------------------
 * Scalar parsers of the text family
 * ------------------------------------------------------------------------ */

/*
 * image_alloc
 *		Room for up to `cap` bytes of a string/bytes value plus a NUL, with 4
 *		bytes before it for the varlena header (image_seal writes it).  The
 *		arena returns 16-byte aligned memory, so the header is aligned too.
 *		NULL on OOM.
 */
static unsigned char *
image_alloc(CqArena *arena, size_t cap)
{
	unsigned char *p;

	if (cap > SIZE_MAX - 8)
		return NULL;
	p = cq_arena_alloc(arena, cap + 5);
	return p ? p + 4 : NULL;
}

/*
 * image_seal
 *		The value is the `len` bytes at d (from image_alloc): NUL-terminate,
 *		write the header, and set out's u.s, len and CQ_VAL_VARLENA.
 */
static void
image_seal(unsigned char *d, size_t len, CqValue *out)
{
	d[len] = '\0';
	out->u.s = (const char *) d;
	out->len = (uint32_t) len;
	if (len <= CQ_VARLENA_MAX - 4)
	{
		uint32_t	h = cq_varlena_header((uint32_t) len + 4);

		memcpy(d - 4, &h, 4);
		out->flags |= CQ_VAL_VARLENA;
	}
}

/* image_alloc + copy of len bytes + image_seal */
static bool
image_dup(CqArena *arena, const char *s, size_t len, CqValue *out)
{
	unsigned char *d = image_alloc(arena, len);

	if (d == NULL)
		return false;
	if (len)
		memcpy(d, s, len);
	image_seal(d, len, out);
	return true;
}

bool
cqp_types_p_string(json_t *v, CqArena *arena, CqValue *out, CqError *err)
{
	char		buf[40];
	const char *s;
	size_t		len;
	char	   *d;

	switch (json_typeof(v))
	{
		case JSON_STRING:
			s = json_string_value(v);
			len = json_string_length(v);
			if (len > UINT32_MAX)
				return cqp_types_value_fail(out, err, CQ_T_STRING, v, "too long");
			if (memchr(s, '\0', len) == NULL)
			{
				if (!image_dup(arena, s, len, out))
					return cqp_types_nomem(out, err);
			}
			else
			{
				/* strip NULs (text cannot hold them) */
				size_t		i,
							o = 0;

				d = (char *) image_alloc(arena, len);
				if (d == NULL)
					return cqp_types_nomem(out, err);
				for (i = 0; i < len; i++)
					if (s[i] != '\0')
						d[o++] = s[i];
				image_seal((unsigned char *) d, o, out);
			}
			return true;
		case JSON_INTEGER:
			len = cqp_types_fmt_i64(json_integer_value(v), buf);
			s = buf;
			break;
		case JSON_REAL:
			len = cqp_types_fmt_double(json_real_value(v), buf);
			s = buf;
			break;
		case JSON_TRUE:
			s = "true";
			len = 4;
			break;
		case JSON_FALSE:
			s = "false";
			len = 5;
			break;
		default:
			{
				/* object/array: compact JSON text (NUL can't occur: escaped) */
				char	   *txt = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);

				if (txt == NULL)
					return cqp_types_nomem(out, err);
				bool		ok;

				len = strlen(txt);
				ok = len <= UINT32_MAX && image_dup(arena, txt, len, out);
				cqp_json_free(txt);
				if (!ok)
					return cqp_types_nomem(out, err);
				return true;
			}
	}
	if (!image_dup(arena, s, len, out))
		return cqp_types_nomem(out, err);
	return true;
}

static const signed char b64tab[256] = {
	['A'] = 1,['B'] = 2,['C'] = 3,['D'] = 4,['E'] = 5,['F'] = 6,['G'] = 7,
	['H'] = 8,['I'] = 9,['J'] = 10,['K'] = 11,['L'] = 12,['M'] = 13,['N'] = 14,
	['O'] = 15,['P'] = 16,['Q'] = 17,['R'] = 18,['S'] = 19,['T'] = 20,['U'] = 21,
	['V'] = 22,['W'] = 23,['X'] = 24,['Y'] = 25,['Z'] = 26,
	['a'] = 27,['b'] = 28,['c'] = 29,['d'] = 30,['e'] = 31,['f'] = 32,['g'] = 33,
	['h'] = 34,['i'] = 35,['j'] = 36,['k'] = 37,['l'] = 38,['m'] = 39,['n'] = 40,
	['o'] = 41,['p'] = 42,['q'] = 43,['r'] = 44,['s'] = 45,['t'] = 46,['u'] = 47,
	['v'] = 48,['w'] = 49,['x'] = 50,['y'] = 51,['z'] = 52,
	['0'] = 53,['1'] = 54,['2'] = 55,['3'] = 56,['4'] = 57,['5'] = 58,['6'] = 59,
	['7'] = 60,['8'] = 61,['9'] = 62,
	['+'] = 63,['-'] = 63,['/'] = 64,['_'] = 64,
};								/* value + 1; 0 = not base64 */

/*
 * PostgreSQL's bytea hex form after its "\\x": pairs of hex digits (any
 * case), whitespace allowed between pairs, as byteain reads it.
 */
static bool
p_bytes_hex(json_t *v, const unsigned char *s, size_t len, CqArena *arena,
			CqValue *out, CqError *err)
{
	unsigned char *d = image_alloc(arena, len / 2 + 1);
	size_t		i = 0,
				o = 0;

	if (d == NULL)
		return cqp_types_nomem(out, err);
	while (i < len)
	{
		int			h,
					l;

		if (s[i] == ' ' || s[i] == '\n' || s[i] == '\r' || s[i] == '\t')
		{
			i++;
			continue;
		}
		if (i + 1 >= len)
			return cqp_types_value_fail(out, err, CQ_T_BYTES, v, "odd number of hex digits");
		h = cqp_hexval(s[i]);
		l = cqp_hexval(s[i + 1]);
		if (h < 0 || l < 0)
			return cqp_types_value_fail(out, err, CQ_T_BYTES, v, "invalid hexadecimal digit");
		d[o++] = (unsigned char) (h << 4 | l);
		i += 2;
	}
	if (o > UINT32_MAX)
		return cqp_types_value_fail(out, err, CQ_T_BYTES, v, "too long");
	image_seal(d, o, out);
	return true;
}

/*
 * base64 (standard or URL-safe alphabet), padding optional but correct when
 * present, whitespace ignored (MIME line breaks, as GitHub's contents API).
 */
bool
cqp_types_p_bytes(json_t *v, CqArena *arena, CqValue *out, CqError *err)
{
	const unsigned char *s;
	size_t		len,
				i,
				o = 0,
				nchars = 0,
				npad = 0;
	unsigned char *d;
	uint32_t	acc = 0;
	int			nacc = 0;

	if (!json_is_string(v))
		return cqp_types_value_fail(out, err, CQ_T_BYTES, v, NULL);
	s = (const unsigned char *) json_string_value(v);
	len = json_string_length(v);
	/* a backslash is not base64: \x... is PostgreSQL's hex form */
	if (len >= 2 && s[0] == '\\' && (s[1] == 'x' || s[1] == 'X'))
		return p_bytes_hex(v, s + 2, len - 2, arena, out, err);
	d = image_alloc(arena, len / 4 * 3 + 4);
	if (d == NULL)
		return cqp_types_nomem(out, err);
	for (i = 0; i < len; i++)
	{
		unsigned char c = s[i];
		int			x;

		if (c == ' ' || c == '\n' || c == '\r' || c == '\t')
			continue;
		if (c == '=')
		{
			npad++;
			continue;
		}
		if (npad > 0)
			return cqp_types_value_fail(out, err, CQ_T_BYTES, v, "data after padding");
		x = b64tab[c] - 1;
		if (x < 0)
			return cqp_types_value_fail(out, err, CQ_T_BYTES, v, "invalid base64 character");
		nchars++;
		acc = (acc << 6) | (uint32_t) x;
		if (++nacc == 4)
		{
			d[o++] = (unsigned char) (acc >> 16);
			d[o++] = (unsigned char) (acc >> 8);
			d[o++] = (unsigned char) acc;
			acc = 0;
			nacc = 0;
		}
	}
	if (nacc == 1)
		return cqp_types_value_fail(out, err, CQ_T_BYTES, v, "truncated base64");
	if (npad > 0 && (npad > 2 || (nchars + npad) % 4 != 0))
		return cqp_types_value_fail(out, err, CQ_T_BYTES, v, "bad base64 padding");
	if (nacc == 2)
		d[o++] = (unsigned char) (acc >> 4);
	else if (nacc == 3)
	{
		d[o++] = (unsigned char) (acc >> 10);
		d[o++] = (unsigned char) (acc >> 2);
	}
	if (o > UINT32_MAX)
		return cqp_types_value_fail(out, err, CQ_T_BYTES, v, "too long");
	image_seal(d, o, out);
	return true;
}

bool
cqp_types_p_uuid(json_t *v, CqValue *out, CqError *err)
{
	const char *s;
	size_t		len,
				i,
				n = 0;

	if (!json_is_string(v))
		return cqp_types_value_fail(out, err, CQ_T_UUID, v, NULL);
	s = json_string_value(v);
	len = json_string_length(v);
	if (len >= 9 && cqp_types_eq_ci(s, 9, "urn:uuid:"))
	{
		s += 9;
		len -= 9;
	}
	else if (len >= 2 && s[0] == '{' && s[len - 1] == '}')
	{
		s++;
		len -= 2;
	}
	if (len != 32 && len > 36)
		return cqp_types_value_fail(out, err, CQ_T_UUID, v, NULL);
	for (i = 0; i < len; i++)
	{
		int			h,
					l;

		if (s[i] == '-')
		{
			/* hyphens only where the 8-4-4-4-12 groups end */
			if (n != 8 && n != 12 && n != 16 && n != 20)
				return cqp_types_value_fail(out, err, CQ_T_UUID, v, NULL);
			if (i > 0 && s[i - 1] == '-')
				return cqp_types_value_fail(out, err, CQ_T_UUID, v, NULL);
			continue;
		}
		if (n >= 32 || i + 1 >= len)
			return cqp_types_value_fail(out, err, CQ_T_UUID, v, NULL);
		h = cqp_hexval((unsigned char) s[i]);
		l = cqp_hexval((unsigned char) s[i + 1]);
		if (h < 0 || l < 0)
			return cqp_types_value_fail(out, err, CQ_T_UUID, v, NULL);
		out->u.uuid[n / 2] = (uint8_t) (h << 4 | l);
		n += 2;
		i++;
	}
	if (n != 32)
		return cqp_types_value_fail(out, err, CQ_T_UUID, v, NULL);
	return true;
}
