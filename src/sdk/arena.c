/*-------------------------------------------------------------------------
 *
 * arena.c
 *		  CqArena: a chunked bump allocator freed all at once.
 *
 * Invariants:
 *	- Every pointer returned is 16-byte aligned and valid until
 *	  cq_arena_free; there is no per-allocation free.
 *	- Small requests are carved from the current chunk; a request larger
 *	  than a quarter of the chunk size gets a chunk of its own, kept on a
 *	  separate list, so it neither wastes nor retires the current chunk.
 *	- cq_arena_bytes is the memory obtained from malloc (chunks and their
 *	  headers) plus what values of the arena hold outside it (cqp_arena_charge:
 *	  a jsonb value is a jansson tree with a reference owned by the batch),
 *	  which is what a memory budget must be charged.
 *	- An arena is not synchronized: one thread uses it at a time (a batch is
 *	  built by one worker, then handed over whole).
 *
 * Copyright (c) 2026, cq_fdw developers
 *
 *-------------------------------------------------------------------------
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cq_sdk.h"
#include "cq_sdk_int.h"

#define ARENA_ALIGN		16
#define ARENA_DEFAULT	(64 * 1024)
#define ARENA_MIN		1024
#define ARENA_MAX		((size_t) 64 * 1024 * 1024)

typedef struct ArenaChunk
{
	struct ArenaChunk *next;
	size_t		size;			/* usable bytes after the header */
	/* pad the header to ARENA_ALIGN so data is aligned */
	_Alignas(ARENA_ALIGN) unsigned char data[];
} ArenaChunk;

struct CqArena
{
	ArenaChunk *chunks;			/* current chunk first, then retired ones */
	ArenaChunk *large;			/* dedicated chunks of large requests */
	unsigned char *ptr;			/* next free byte in chunks */
	unsigned char *end;
	size_t		chunk_size;
	size_t		total;			/* bytes obtained from malloc */
};

/*
 * cq_arena_new
 *		Create an arena whose chunks hold chunk_size bytes (0 = 64 kB; clamped
 *		to [1 kB, 64 MB]).  The first chunk is allocated on first use.
 *		Returns NULL on OOM; the caller frees with cq_arena_free.
 */
CqArena *
cq_arena_new(size_t chunk_size)
{
	CqArena    *a = calloc(1, sizeof(CqArena));

	if (a == NULL)
		return NULL;
	if (chunk_size == 0)
		chunk_size = ARENA_DEFAULT;
	if (chunk_size < ARENA_MIN)
		chunk_size = ARENA_MIN;
	if (chunk_size > ARENA_MAX)
		chunk_size = ARENA_MAX;
	a->chunk_size = (chunk_size + ARENA_ALIGN - 1) & ~(size_t) (ARENA_ALIGN - 1);
	a->total = sizeof(CqArena);
	return a;
}

static ArenaChunk *
chunk_new(CqArena *a, size_t size)
{
	ArenaChunk *c;

	if (size > SIZE_MAX - sizeof(ArenaChunk))
		return NULL;
	c = aligned_alloc(ARENA_ALIGN,
					  (sizeof(ArenaChunk) + size + ARENA_ALIGN - 1) & ~(size_t) (ARENA_ALIGN - 1));
	if (c == NULL)
		return NULL;
	c->size = size;
	a->total += sizeof(ArenaChunk) + size;
	return c;
}

/*
 * cq_arena_alloc
 *		Return size bytes (16-byte aligned, uninitialized) from the arena, or
 *		NULL on OOM or an absurd size.  size 0 returns a valid unique pointer.
 */
void *
cq_arena_alloc(CqArena *a, size_t size)
{
	unsigned char *p;
	ArenaChunk *c;

	if (a == NULL || size > SIZE_MAX / 2)
		return NULL;
	size = (size + ARENA_ALIGN - 1) & ~(size_t) (ARENA_ALIGN - 1);
	if (size == 0)
		size = ARENA_ALIGN;

	if ((size_t) (a->end - a->ptr) >= size)
	{
		p = a->ptr;
		a->ptr += size;
		return p;
	}

	if (size > a->chunk_size / 4)
	{
		c = chunk_new(a, size);
		if (c == NULL)
			return NULL;
		c->next = a->large;
		a->large = c;
		return c->data;
	}

	c = chunk_new(a, a->chunk_size);
	if (c == NULL)
		return NULL;
	c->next = a->chunks;
	a->chunks = c;
	a->ptr = c->data + size;
	a->end = c->data + c->size;
	return c->data;
}

/* Bytes obtained from malloc so far (what to charge a budget). */
size_t
cq_arena_bytes(const CqArena *a)
{
	return a ? a->total : 0;
}

/* Free the arena and everything allocated from it.  NULL is a no-op. */
void
cq_arena_free(CqArena *a)
{
	ArenaChunk *c,
			   *n;

	if (a == NULL)
		return;
	for (c = a->chunks; c; c = n)
	{
		n = c->next;
		free(c);
	}
	for (c = a->large; c; c = n)
	{
		n = c->next;
		free(c);
	}
	free(a);
}

/*
 * cqp_arena_strndup
 *		Copy len bytes of s into the arena and NUL-terminate; NULL on OOM.
 */
char *
cqp_arena_strndup(CqArena *a, const char *s, size_t len)
{
	char	   *d;

	if (len == SIZE_MAX)
		return NULL;
	d = cq_arena_alloc(a, len + 1);
	if (d == NULL)
		return NULL;
	if (len)
		memcpy(d, s, len);
	d[len] = '\0';
	return d;
}

/*
 * cqp_arena_charge
 *		Add n bytes held on behalf of the arena's values outside its chunks
 *		(a json value's tree) to what cq_arena_bytes reports, so a batch is
 *		charged to the memory budget for all it keeps alive.  NULL is a no-op.
 */
void
cqp_arena_charge(CqArena *a, size_t n)
{
	if (a != NULL)
		a->total += n;
}

/*
 * Heap bytes glibc's malloc takes for a request of n bytes: the size field
 * (8 bytes) added, rounded up to 16, at least 32.
 */
static size_t
mchunk(size_t n)
{
	size_t		c = (n + 8 + 15) & ~(size_t) 15;

	return c < 32 ? 32 : c;
}

/*
 * cqp_json_footprint
 *		Heap bytes a jansson (2.14) value holds: its struct, an object's
 *		hash table (buckets of 16 bytes, 8 then doubling while size >=
 *		buckets) and one pair per member (56 bytes + key), an array's table
 *		(8, then doubling), a string's text; true/false/null are static.
 *		Each block as glibc's malloc sizes it.  Within a few percent of the
 *		heap growth measured for the trees a page's jsonb columns produce
 *		(test_sdk budget, json_footprint).  A value referenced from several
 *		places is counted at each (an over-estimate, never an under-).
 */
size_t
cqp_json_footprint(const json_t *v)
{
	size_t		n = 0;

	if (v == NULL)
		return 0;
	switch (json_typeof(v))
	{
		case JSON_OBJECT:
			{
				const char *k;
				json_t	   *m;
				size_t		buckets = 8;
				size_t		size = json_object_size(v);

				while (size >= buckets)
					buckets *= 2;
				n = mchunk(72) + mchunk(buckets * 16);
				json_object_foreach((json_t *) v, k, m)
					n += mchunk(56 + strlen(k) + 1) + cqp_json_footprint(m);
				return n;
			}
		case JSON_ARRAY:
			{
				size_t		size = json_array_size(v);
				size_t		cap = 8;

				while (cap < size)
					cap *= 2;
				n = mchunk(40) + mchunk(cap * sizeof(json_t *));
				for (size_t i = 0; i < size; i++)
					n += cqp_json_footprint(json_array_get(v, i));
				return n;
			}
		case JSON_STRING:
			return mchunk(32) + mchunk(json_string_length(v) + 1);
		case JSON_INTEGER:
		case JSON_REAL:
			return mchunk(24);
		default:
			return 0;			/* true, false, null: static singletons */
	}
}
