/*-------------------------------------------------------------------------
 *
 * types_numimg.c
 *		  PostgreSQL numeric varlena images of numeric values, built on the
 *		  parse workers so the backend's main thread uses them as the Datum
 *		  (no numeric_in per value, no subtransaction per batch).
 *
 * The SDK includes no PostgreSQL header: the layout below is PostgreSQL
 * 15's, transcribed from src/backend/utils/adt/numeric.c (struct
 * NumericData, set_var_from_str, strip_var, make_result_opt_error), and
 * tested byte for byte -- test/sdk test_types_num (literal images) and
 * pg_regress types (every image of the mock's edge cases against
 * numeric_in's: numeric_send, pg_column_size and text, in the scan and
 * once stored).
 *
 *	varlena header	4 bytes (cq_varlena_header)
 *	short form		uint16 n_header: 0x8000 | sign 0x2000 | dscale << 7
 *					(6 bits) | weight sign 0x0040 | weight & 0x3F;
 *					used when dscale <= 63 and -64 <= weight <= 63
 *	long form		uint16 n_sign_dscale: sign (0x0000 or 0x4000) | dscale
 *					(14 bits); int16 n_weight
 *	special			uint16 only: NaN 0xC000, Infinity 0xD000,
 *					-Infinity 0xF000
 *	digits			int16 base-10000 digits, most significant first,
 *					without leading or trailing zero digits; zero has none
 *					(weight 0, sign positive, its dscale kept)
 * All in the machine's byte order (the backend's, same process).
 *
 * Invariants: an image is built only for text numeric_in accepts and
 * parses to exactly these bytes (the SDK's canonical numeric text,
 * types_num.c: [-]digits[.digits][e[-+]digits], NaN, Infinity,
 * -Infinity); anything else (an exponent beyond PostgreSQL's +-1000, a
 * weight or scale the format cannot hold) gets no image and goes through
 * numeric_in as before.  No malloc: the image goes in the batch arena,
 * right after the value's text.
 *
 * Copyright (c) 2026, cq_fdw developers
 *
 *-------------------------------------------------------------------------
 */
#include <stdint.h>
#include <string.h>

#include "cq_sdk.h"
#include "cq_sdk_int.h"
#include "types_int.h"

#define NBASE_DIGITS	4		/* DEC_DIGITS: decimal digits per int16 */
#define NUM_POS			0x0000
#define NUM_NEG			0x4000
#define NUM_SHORT		0x8000
#define NUM_NAN			0xC000
#define NUM_PINF		0xD000
#define NUM_NINF		0xF000
#define NUM_SHORT_SIGN	0x2000
#define NUM_SHORT_DSCALE_SHIFT 7
#define NUM_SHORT_DSCALE_MAX 63
#define NUM_SHORT_WEIGHT_SIGN 0x0040
#define NUM_SHORT_WEIGHT_MASK 0x003F
#define NUM_SHORT_WEIGHT_MAX 63
#define NUM_SHORT_WEIGHT_MIN (-64)
#define NUM_DSCALE_MASK	0x3FFF
#define NUM_MAX_EXPONENT 1000	/* NUMERIC_MAX_PRECISION: numeric_in's bound */
#define NUM_MAX_TEXT	1024	/* longest text imaged (the SDK keeps 1000) */

static size_t
put_u16(unsigned char *o, uint16_t v)
{
	memcpy(o, &v, 2);
	return 2;
}

static size_t
special(unsigned char *out, uint16_t h)
{
	uint32_t	vh = cq_varlena_header(6);

	memcpy(out, &vh, 4);
	return 4 + put_u16(out + 4, h);
}

/*
 * cqp_numeric_image_max
 *		Bytes an image of a numeric text of len bytes may take.
 */
size_t
cqp_numeric_image_max(size_t len)
{
	return 8 + 2 * ((len + 2 * NBASE_DIGITS) / NBASE_DIGITS + 1);
}

/*
 * cqp_numeric_image
 *		PostgreSQL's numeric image of the canonical numeric text s[0..len)
 *		into out (cqp_numeric_image_max(len) bytes).  Returns its size, or
 *		0 when there is none (see the banner).
 */
size_t
cqp_numeric_image(const char *s, size_t len, void *outp)
{
	unsigned char *out = outp;
	unsigned char dd[NBASE_DIGITS + NUM_MAX_TEXT + NBASE_DIGITS];
	size_t		i = 0,
				nd = NBASE_DIGITS;
	uint16_t	sign = NUM_POS;
	int			dweight = -1,
				dscale = 0,
				weight,
				offset,
				ndigits,
				n,
				first;
	int16_t		digits[NUM_MAX_TEXT / NBASE_DIGITS + 3];
	bool		have_dp = false;
	size_t		total;
	uint32_t	vh;
	unsigned char *o;

	if (len == 3 && cqp_types_eq_ci(s, len, "nan"))
		return special(out, NUM_NAN);
	if (len == 8 && cqp_types_eq_ci(s, len, "infinity"))
		return special(out, NUM_PINF);
	if (len == 9 && s[0] == '-' && cqp_types_eq_ci(s + 1, 8, "infinity"))
		return special(out, NUM_NINF);
	if (len == 0 || len > NUM_MAX_TEXT)
		return 0;

	/* set_var_from_str: decimal digits, their weight and scale */
	if (s[i] == '-' || s[i] == '+')
		sign = (s[i++] == '-') ? NUM_NEG : NUM_POS;
	if (i >= len || !(s[i] >= '0' && s[i] <= '9'))
		return 0;
	memset(dd, 0, sizeof(dd));
	for (; i < len; i++)
	{
		if (s[i] >= '0' && s[i] <= '9')
		{
			dd[nd++] = (unsigned char) (s[i] - '0');
			if (have_dp)
				dscale++;
			else
				dweight++;
		}
		else if (s[i] == '.' && !have_dp)
			have_dp = true;
		else
			break;
	}
	if (i < len)
	{
		long		ex = 0;
		bool		eneg = false;
		size_t		ne = 0;

		if (s[i] != 'e' && s[i] != 'E')
			return 0;
		i++;
		if (i < len && (s[i] == '-' || s[i] == '+'))
			eneg = s[i++] == '-';
		for (; i < len && s[i] >= '0' && s[i] <= '9'; i++, ne++)
			if ((ex = ex * 10 + (s[i] - '0')) > NUM_MAX_EXPONENT)
				return 0;		/* numeric_in: "value overflows numeric format" */
		if (ne == 0 || i != len)
			return 0;
		if (eneg)
			ex = -ex;
		dweight += (int) ex;
		dscale -= (int) ex;
		if (dscale < 0)
			dscale = 0;
	}

	/* to base 10000: the first digit aligned on a group of 4 */
	if (dweight >= 0)
		weight = (dweight + 1 + NBASE_DIGITS - 1) / NBASE_DIGITS - 1;
	else
		weight = -((-dweight - 1) / NBASE_DIGITS + 1);
	offset = (weight + 1) * NBASE_DIGITS - (dweight + 1);
	ndigits = ((int) (nd - NBASE_DIGITS) + offset + NBASE_DIGITS - 1) / NBASE_DIGITS;
	for (int k = 0, at = NBASE_DIGITS - offset; k < ndigits; k++, at += NBASE_DIGITS)
		digits[k] = (int16_t) (((dd[at] * 10 + dd[at + 1]) * 10 + dd[at + 2]) * 10 + dd[at + 3]);

	/* strip_var / make_result: no leading or trailing zero digits */
	first = 0;
	n = ndigits;
	while (n > 0 && digits[first] == 0)
	{
		first++;
		weight--;
		n--;
	}
	while (n > 0 && digits[first + n - 1] == 0)
		n--;
	if (n == 0)
	{
		weight = 0;
		sign = NUM_POS;
	}
	if (dscale > NUM_DSCALE_MASK || weight > INT16_MAX || weight < INT16_MIN)
		return 0;				/* make_result: overflows the format */

	o = out + 4;
	if (dscale <= NUM_SHORT_DSCALE_MAX && weight <= NUM_SHORT_WEIGHT_MAX &&
		weight >= NUM_SHORT_WEIGHT_MIN)
	{
		total = 6 + 2 * (size_t) n;
		o += put_u16(o, (uint16_t) ((sign == NUM_NEG ? (NUM_SHORT | NUM_SHORT_SIGN) : NUM_SHORT) |
									(dscale << NUM_SHORT_DSCALE_SHIFT) |
									(weight < 0 ? NUM_SHORT_WEIGHT_SIGN : 0) |
									(weight & NUM_SHORT_WEIGHT_MASK)));
	}
	else
	{
		int16_t		w = (int16_t) weight;

		total = 8 + 2 * (size_t) n;
		o += put_u16(o, (uint16_t) (sign | (dscale & NUM_DSCALE_MASK)));
		memcpy(o, &w, 2);
		o += 2;
	}
	if (n > 0)
		memcpy(o, digits + first, 2 * (size_t) n);
	vh = cq_varlena_header((uint32_t) total);
	memcpy(out, &vh, 4);
	return total;
}

/*
 * cqp_types_numeric_store
 *		Store the canonical numeric text s[0..len) in the arena (NUL-
 *		terminated, 'E' written 'e') with its image right after it
 *		(cq_numeric_image, cq_sdk.h) when it has one; sets out's u.s, len
 *		and CQ_VAL_NUMIMG.  false on OOM.
 */
bool
cqp_types_numeric_store(CqArena *arena, const char *s, size_t len, CqValue *out)
{
	char	   *d = cq_arena_alloc(arena, len + 1 + 3 + cqp_numeric_image_max(len));
	size_t		n;

	if (d == NULL)
		return false;
	for (size_t i = 0; i < len; i++)
		d[i] = s[i] == 'E' ? 'e' : s[i];
	d[len] = '\0';
	out->u.s = d;
	out->len = (uint32_t) len;
	n = cqp_numeric_image(d, len, (void *) cq_numeric_image(out));
	if (n > 0)
		out->flags |= CQ_VAL_NUMIMG;
	return true;
}
