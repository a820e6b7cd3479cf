/*
 * fuzz_jsonb.c -- libFuzzer target for the workers' jsonb images
 * (src/sdk/types_jsonbimg.c).
 *
 * The input is parsed as JSON (any value, NULs allowed); its image is built
 * and then read back by an independent walker that follows PostgreSQL 15's
 * reading rules (getJsonbOffset: every JENTRY_HAS_OFF entry is an end
 * offset, the others lengths; children INTALIGNed from the image start) and
 * checks it against the tree: container kinds and counts, every string's
 * bytes (NULs stripped), keys strictly ascending by (length, bytes) each
 * naming a member of the tree whose value matches, numerics as 4-byte-header
 * varlenas filling their entry, and no byte outside the image.  Any mismatch
 * aborts.  Build: make -C src/sdk fuzz-build (clang + libFuzzer).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cq_sdk.h"
#include "cq_sdk_int.h"

#define OFFLEN		0x0FFFFFFFu
#define TYPEMASK	0x70000000u
#define HAS_OFF		0x80000000u
#define T_STRING	0x00000000u
#define T_NUMERIC	0x10000000u
#define T_FALSE		0x20000000u
#define T_TRUE		0x30000000u
#define T_NULL		0x40000000u
#define T_CONT		0x50000000u
#define F_SCALAR	0x10000000u
#define F_OBJECT	0x20000000u
#define F_ARRAY		0x40000000u

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const unsigned char *img;
static size_t imglen;

static uint32_t
u32(size_t at)
{
	uint32_t	v;

	if (at + 4 > imglen)
		abort();
	memcpy(&v, img + at, 4);
	return v;
}

static size_t
intalign(size_t p)
{
	return (p + 3) & ~(size_t) 3;
}

static void check_container(size_t at, size_t len, json_t *t, bool raw);

/* child [s, e) of type ty against tree value t */
static void
check_child(uint32_t ty, size_t s, size_t e, json_t *t)
{
	if (e < s || e > imglen)
		abort();
	switch (json_typeof(t))
	{
		case JSON_STRING:
			{
				const char *str = json_string_value(t);
				size_t		n = json_string_length(t),
							k = s;

				if (ty != T_STRING)
					abort();
				for (size_t i = 0; i < n; i++)
					if (str[i] != '\0' && (k >= e || img[k++] != (unsigned char) str[i]))
						abort();
				if (k != e)
					abort();
				break;
			}
		case JSON_INTEGER:
		case JSON_REAL:
			{
				size_t		a = intalign(s);

				if (ty != T_NUMERIC || a + 6 > e || (u32(a) & 3) != 0 ||
					a + (u32(a) >> 2) != e)
					abort();
				break;
			}
		case JSON_TRUE:
			if (ty != T_TRUE || e != s)
				abort();
			break;
		case JSON_FALSE:
			if (ty != T_FALSE || e != s)
				abort();
			break;
		case JSON_NULL:
			if (ty != T_NULL || e != s)
				abort();
			break;
		default:
			if (ty != T_CONT)
				abort();
			check_container(intalign(s), e - intalign(s), t, false);
			break;
	}
}

/* the container at image offset at (INTALIGNed), len bytes, against t */
static void
check_container(size_t at, size_t len, json_t *t, bool raw)
{
	uint32_t	h = u32(at);
	uint32_t	n = h & OFFLEN;
	bool		obj = (h & F_OBJECT) != 0;
	size_t		ne = obj ? 2 * (size_t) n : n,
				base = at + 4 + 4 * ne,
				end = 0,
				kprev_s = 0,
				kprev_l = 0;
	size_t	   *ks = NULL,
			   *ke = NULL;

	if (at & 3 || at + len > imglen || base > at + len)
		abort();
	if (raw ? (h != (1u | F_ARRAY | F_SCALAR)) :
		obj ? (h != (n | F_OBJECT) || !json_is_object(t) || n != json_object_size(t)) :
		(h != (n | F_ARRAY) || !json_is_array(t) || n != json_array_size(t)))
		abort();
	if (obj)
	{
		ks = calloc(n + 1, sizeof(size_t));
		ke = calloc(n + 1, sizeof(size_t));
		if (!ks || !ke)
			abort();
	}
	for (size_t i = 0; i < ne; i++)
	{
		uint32_t	je = u32(at + 4 + 4 * i);
		size_t		s = end;

		end = (je & HAS_OFF) ? (je & OFFLEN) : end + (je & OFFLEN);
		/* PostgreSQL writes offsets exactly at every 32nd entry */
		if (((je & HAS_OFF) != 0) != (i % 32 == 0))
			abort();
		if (obj && i < n)
		{
			/* a key: ascending by (length, bytes), names a member */
			size_t		l = end - s;

			if ((je & TYPEMASK) != T_STRING || end < s)
				abort();
			if (i > 0 && (l < kprev_l ||
						  (l == kprev_l && memcmp(img + base + kprev_s, img + base + s, l) >= 0)))
				abort();
			ks[i] = s;
			ke[i] = end;
			kprev_s = s;
			kprev_l = l;
		}
		else if (obj)
		{
			size_t		l = ke[i - n] - ks[i - n];
			char	   *k = malloc(l + 1);
			json_t	   *v;

			if (!k)
				abort();
			memcpy(k, img + base + ks[i - n], l);
			k[l] = '\0';
			if (memchr(k, '\0', l) || (v = json_object_get(t, k)) == NULL)
				abort();
			free(k);
			check_child(je & TYPEMASK, base + s, base + end, v);
		}
		else
			check_child(je & TYPEMASK, base + s, base + end,
						raw ? t : json_array_get(t, i));
	}
	if (base + end != at + len)
		abort();
	free(ks);
	free(ke);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_error_t jerr;
	json_t	   *root;
	CqArena    *arena;
	CqValue		v;

	root = json_loadb((const char *) data, size,
					  JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);
	if (root == NULL)
		return 0;
	arena = cq_arena_new(4096);
	memset(&v, 0, sizeof(v));
	v.type = CQ_T_JSON;
	if (cqp_jsonb_image(root, arena, &v))
	{
		uint32_t	vh;

		img = (const unsigned char *) v.u.s;
		imglen = v.len;
		memcpy(&vh, img, 4);
		if (!(v.flags & CQ_VAL_JSONB) || ((uintptr_t) img & 3) || vh != cq_varlena_header(v.len))
			abort();
		check_container(4, imglen - 4, root, !json_is_object(root) && !json_is_array(root));
	}
	cq_arena_free(arena);
	json_decref(root);
	return 0;
}
