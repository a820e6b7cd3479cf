/*-------------------------------------------------------------------------
 *
 * types_jsonbimg.c
 *		  PostgreSQL jsonb images of JSON values, built on the parse workers
 *		  straight from the page's jansson value, so the backend's main
 *		  thread uses them as the Datum of a jsonb column (no pushJsonbValue,
 *		  no jansson tree handed over and freed on the main thread).
 *
 * The SDK includes no PostgreSQL header: the layout below is PostgreSQL
 * 15's on-disk jsonb, transcribed from src/include/utils/jsonb.h and
 * src/backend/utils/adt/jsonb_util.c (convertToJsonb, convertJsonbValue,
 * convertJsonbArray, convertJsonbObject, convertJsonbScalar,
 * uniqueifyJsonbObject, lengthCompareJsonbPair), and tested byte for byte:
 * test/sdk test_types jsonb_image (literal images read back from
 * PostgreSQL's pages) and pg_regress jsonb_image (every document of the
 * mock's /jsonb-docs against col::text::jsonb, sizes, lookups, stored).
 *
 *	image		4-byte varlena header (cq_varlena_header), then the root
 *				container
 *	container	INTALIGNed (relative to the image start; the padding counts
 *				in the container's own length), uint32 header: count |
 *				JB_FOBJECT or JB_FARRAY (| JB_FSCALAR for a top-level
 *				scalar, stored as a one-element "raw scalar" array), then
 *				one uint32 JEntry per element (arrays) or per key and
 *				value (objects: all keys, then all values, keys sorted by
 *				length, then bytes; of equal keys the last one wins), then
 *				the children's data in the same order
 *	JEntry		type (string 0, numeric 1, false 2, true 3, null 4,
 *				container 5) << 28 | the child's length; every
 *				JB_OFFSET_STRIDE'th entry (index % 32 == 0, values of an
 *				object counted after its keys) instead holds the end
 *				offset of its child's data within the container's data,
 *				with JENTRY_HAS_OFF
 *	string		its bytes, NUL characters stripped (jsonb_string in
 *				convert.c; keys end at their first NUL as there)
 *	numeric		INTALIGNed, the numeric image (types_numimg.c) of the
 *				integer's decimal text (int64_to_numeric gives the same
 *				bytes) or of a real's "%.*g" text with DBL_DIG digits
 *				(float8_numeric); the padding counts in the length
 * All in the machine's byte order (the backend's, same process).
 *
 * Invariants: an image is built only when its bytes are exactly what
 * JsonbValueToJsonb gives for the jansson tree in a UTF8 database (the
 * caller asks only then); anything else -- nesting deeper than
 * JSONB_IMG_MAX_DEPTH, a length beyond a JEntry's or a varlena's, a number
 * without a numeric image, OOM -- gets no image and the caller keeps
 * today's path (the tree, converted by the backend).  The image goes in
 * the batch arena (so the budget counts it); no other allocation outlives
 * the call.  Reentrant: it only reads the tree.
 *
 * Copyright (c) 2026, cq_fdw developers
 *
 *-------------------------------------------------------------------------
 */
#include <float.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cq_sdk.h"
#include "cq_sdk_int.h"
#include "types_int.h"

#define JENTRY_OFFLENMASK	0x0FFFFFFFu
#define JENTRY_TYPEMASK		0x70000000u
#define JENTRY_HAS_OFF		0x80000000u
#define JENTRY_ISSTRING		0x00000000u
#define JENTRY_ISNUMERIC	0x10000000u
#define JENTRY_ISBOOL_FALSE 0x20000000u
#define JENTRY_ISBOOL_TRUE	0x30000000u
#define JENTRY_ISNULL		0x40000000u
#define JENTRY_ISCONTAINER	0x50000000u
#define JB_OFFSET_STRIDE	32
#define JB_CMASK			0x0FFFFFFFu
#define JB_FSCALAR			0x10000000u
#define JB_FOBJECT			0x20000000u
#define JB_FARRAY			0x40000000u

/*
 * Deeper documents keep the tree (the backend's push_json, under
 * check_stack_depth): the worker's recursion stays far from its stack's end.
 */
#define JSONB_IMG_MAX_DEPTH 1024
/* Longest number text: "%.15g" of a double, or an int64 */
#define NUM_TEXT_MAX		32
/* Keys sorted on the stack up to this many per object */
#define STACK_KEYS			32

typedef struct JbWriter
{
	unsigned char *buf;			/* image start (4-byte aligned) */
	size_t		pos;
	size_t		cap;
} JbWriter;

typedef struct JbKey
{
	const char *key;
	uint32_t	len;
	uint32_t	order;			/* iteration order (last wins) */
	json_t	   *val;
} JbKey;

/* Upper bound of the image bytes of j at depth, or false if none. */
static bool
bound(json_t *j, int depth, size_t *n)
{
	const char *key;
	json_t	   *val;
	size_t		i;

	if (depth > JSONB_IMG_MAX_DEPTH)
		return false;
	switch (json_typeof(j))
	{
		case JSON_OBJECT:
			*n += 3 + 4 + 8 * json_object_size(j);
			json_object_foreach(j, key, val)
			{
				*n += strlen(key);
				if (!bound(val, depth + 1, n))
					return false;
			}
			break;
		case JSON_ARRAY:
			*n += 3 + 4 + 4 * json_array_size(j);
			json_array_foreach(j, i, val)
			{
				if (!bound(val, depth + 1, n))
					return false;
			}
			break;
		case JSON_STRING:
			*n += json_string_length(j);
			break;
		case JSON_INTEGER:
		case JSON_REAL:
			*n += 3 + cqp_numeric_image_max(NUM_TEXT_MAX);
			break;
		default:
			break;
	}
	return *n <= CQ_VARLENA_MAX;
}

/* padBufferToInt: zero bytes up to a multiple of 4; returns how many */
static size_t
pad(JbWriter *w)
{
	size_t		p = (4 - (w->pos & 3)) & 3;

	memset(w->buf + w->pos, 0, p);
	w->pos += p;
	return p;
}

static void
put32(JbWriter *w, size_t at, uint32_t v)
{
	memcpy(w->buf + at, &v, 4);
}

/* a string's bytes without NUL characters; their count */
static size_t
put_string(JbWriter *w, const char *s, size_t len)
{
	size_t		n = 0;

	if (memchr(s, '\0', len) == NULL)
	{
		memcpy(w->buf + w->pos, s, len);
		n = len;
	}
	else
		for (size_t i = 0; i < len; i++)
			if (s[i] != '\0')
				w->buf[w->pos + n++] = (unsigned char) s[i];
	w->pos += n;
	return n;
}

/* lengthCompareJsonbPair: length, bytes, then the later pair first */
static int
key_cmp(const void *a, const void *b)
{
	const JbKey *ka = a,
			   *kb = b;

	if (ka->len != kb->len)
		return ka->len > kb->len ? 1 : -1;
	if (ka->len > 0)
	{
		int			c = memcmp(ka->key, kb->key, ka->len);

		if (c != 0)
			return c;
	}
	return ka->order > kb->order ? -1 : 1;
}

static bool value(JbWriter *w, json_t *j, int depth, uint32_t *je);

/* convertJsonbArray (raw: a top-level scalar as its one element) */
static bool
array(JbWriter *w, json_t *a, bool raw, int depth, uint32_t *je)
{
	size_t		base = w->pos,
				n = raw ? 1 : json_array_size(a),
				jpos;
	uint32_t	total = 0;

	pad(w);
	if (n > JB_CMASK)
		return false;
	put32(w, w->pos, (uint32_t) n | JB_FARRAY | (raw ? JB_FSCALAR : 0));
	w->pos += 4;
	jpos = w->pos;
	w->pos += 4 * n;
	for (size_t i = 0; i < n; i++)
	{
		uint32_t	meta;

		if (!value(w, raw ? a : json_array_get(a, i), depth + 1, &meta))
			return false;
		total += meta & JENTRY_OFFLENMASK;
		if (total > JENTRY_OFFLENMASK)
			return false;
		if (i % JB_OFFSET_STRIDE == 0)
			meta = (meta & JENTRY_TYPEMASK) | total | JENTRY_HAS_OFF;
		put32(w, jpos + 4 * i, meta);
	}
	if (w->pos - base > JENTRY_OFFLENMASK)
		return false;
	*je = JENTRY_ISCONTAINER | (uint32_t) (w->pos - base);
	return true;
}

/* convertJsonbObject, its pairs as uniqueifyJsonbObject leaves them */
static bool
object(JbWriter *w, json_t *o, int depth, uint32_t *je)
{
	JbKey		stack[STACK_KEYS],
			   *keys = stack;
	size_t		base = w->pos,
				n = json_object_size(o),
				np = 0,
				jpos;
	uint32_t	total = 0;
	const char *key;
	json_t	   *val;
	bool		ok = false;

	if (n > JB_CMASK)
		return false;
	if (n > STACK_KEYS && (keys = malloc(n * sizeof(JbKey))) == NULL)
		return false;
	json_object_foreach(o, key, val)
	{
		size_t		kl = strlen(key);

		if (np == n || kl > JENTRY_OFFLENMASK)
			goto out;
		keys[np].key = key;
		keys[np].len = (uint32_t) kl;
		keys[np].order = (uint32_t) np;
		keys[np].val = val;
		np++;
	}
	if (np > 1)
	{
		size_t		u = 0;

		qsort(keys, np, sizeof(JbKey), key_cmp);
		/* equal keys: the first of each run (the last one set) stays */
		for (size_t i = 1; i < np; i++)
			if (keys[i].len != keys[u].len ||
				memcmp(keys[i].key, keys[u].key, keys[i].len) != 0)
				keys[++u] = keys[i];
		np = u + 1;
	}

	pad(w);
	put32(w, w->pos, (uint32_t) np | JB_FOBJECT);
	w->pos += 4;
	jpos = w->pos;
	w->pos += 8 * np;
	for (size_t i = 0; i < np; i++)
	{
		uint32_t	meta;

		memcpy(w->buf + w->pos, keys[i].key, keys[i].len);
		w->pos += keys[i].len;
		total += keys[i].len;
		if (total > JENTRY_OFFLENMASK)
			goto out;
		meta = JENTRY_ISSTRING | keys[i].len;
		if (i % JB_OFFSET_STRIDE == 0)
			meta = total | JENTRY_HAS_OFF;
		put32(w, jpos + 4 * i, meta);
	}
	for (size_t i = 0; i < np; i++)
	{
		uint32_t	meta;

		if (!value(w, keys[i].val, depth + 1, &meta))
			goto out;
		total += meta & JENTRY_OFFLENMASK;
		if (total > JENTRY_OFFLENMASK)
			goto out;
		if ((i + np) % JB_OFFSET_STRIDE == 0)
			meta = (meta & JENTRY_TYPEMASK) | total | JENTRY_HAS_OFF;
		put32(w, jpos + 4 * (np + i), meta);
	}
	if (w->pos - base > JENTRY_OFFLENMASK)
		goto out;
	*je = JENTRY_ISCONTAINER | (uint32_t) (w->pos - base);
	ok = true;
out:
	if (keys != stack)
		free(keys);
	return ok;
}

/* convertJsonbScalar of a number: its numeric image, INTALIGNed */
static bool
number(JbWriter *w, json_t *j, uint32_t *je)
{
	char		txt[NUM_TEXT_MAX + 16];
	int			tl;
	size_t		p,
				nl;

	if (json_is_integer(j))
		tl = snprintf(txt, sizeof(txt), "%" PRId64, (int64_t) json_integer_value(j));
	else
		tl = snprintf(txt, sizeof(txt), "%.*g", DBL_DIG, json_real_value(j));
	if (tl <= 0 || tl > NUM_TEXT_MAX)
		return false;
	p = pad(w);
	nl = cqp_numeric_image(txt, (size_t) tl, w->buf + w->pos);
	if (nl == 0)
		return false;
	w->pos += nl;
	*je = JENTRY_ISNUMERIC | (uint32_t) (p + nl);
	return true;
}

/* convertJsonbValue */
static bool
value(JbWriter *w, json_t *j, int depth, uint32_t *je)
{
	switch (json_typeof(j))
	{
		case JSON_OBJECT:
			return object(w, j, depth, je);
		case JSON_ARRAY:
			return array(w, j, false, depth, je);
		case JSON_STRING:
			*je = JENTRY_ISSTRING |
				(uint32_t) put_string(w, json_string_value(j), json_string_length(j));
			return json_string_length(j) <= JENTRY_OFFLENMASK;
		case JSON_INTEGER:
		case JSON_REAL:
			return number(w, j, je);
		case JSON_TRUE:
			*je = JENTRY_ISBOOL_TRUE;
			return true;
		case JSON_FALSE:
			*je = JENTRY_ISBOOL_FALSE;
			return true;
		default:
			*je = JENTRY_ISNULL;
			return true;
	}
}

/*
 * cqp_jsonb_image
 *		PostgreSQL 15's jsonb image of the JSON value v (not NULL) into the
 *		arena: on success out (already initialized as a non-null json value)
 *		gets u.s = the image (its varlena header first, 4-byte aligned),
 *		len = its size and CQ_VAL_JSONB, and true is returned.  false when
 *		there is no image (see the banner; out untouched): the caller keeps
 *		the tree.  Nothing of v is kept.
 */
bool
cqp_jsonb_image(json_t *v, CqArena *arena, CqValue *out)
{
	JbWriter	w;
	size_t		n = 4;
	uint32_t	je,
				vh;
	bool		ok;

	if (v == NULL)
		return false;
	if (!json_is_object(v) && !json_is_array(v))
		n += 3 + 4 + 4;			/* the raw-scalar array around it */
	if (!bound(v, 1, &n))
		return false;
	w.cap = n;
	w.buf = cq_arena_alloc(arena, n);
	if (w.buf == NULL)
		return false;
	w.pos = 4;
	if (json_is_object(v))
		ok = object(&w, v, 1, &je);
	else
		ok = array(&w, v, !json_is_array(v), 1, &je);
	if (!ok || w.pos > w.cap || w.pos > CQ_VARLENA_MAX)
		return false;			/* the arena's bytes are freed with it */
	vh = cq_varlena_header((uint32_t) w.pos);
	memcpy(w.buf, &vh, 4);
	out->u.s = (const char *) w.buf;
	out->len = (uint32_t) w.pos;
	out->flags |= CQ_VAL_JSONB;
	return true;
}
