/*-------------------------------------------------------------------------
 *
 * jarena.c
 *		  A page arena for jansson on the parse workers: the values, hash
 *		  tables and keys of one page's document come from a bump allocator
 *		  that is rewound when the page is done, instead of one malloc and
 *		  one free per node.
 *
 * A page of 1,000 EC2 instances is ~100,000 jansson allocations, all freed
 * again when the page's document is released; the profile of an S5 scan
 * had the two parse workers spending ~45% of their samples in glibc
 * (malloc_consolidate, unlink_chunk, _int_free, malloc) and the freed
 * memory fragmenting their malloc arenas, which keep it up to the trim
 * threshold.  jansson lets a program choose its allocation functions
 * (json_set_alloc_funcs), process-wide; cq_sdk_init installs the two below:
 *	- on a thread inside cqp_jarena_begin .. cqp_jarena_end (a parse
 *	  worker processing one page), a request of up to JA_SMALL bytes is
 *	  carved from the thread's chunks (JA_CHUNK bytes each, kept across
 *	  pages up to JA_RETAIN), a larger one gets a chunk of its own
 *	  (released with the page), and freeing any of them does nothing;
 *	- everywhere else -- other threads, this thread between pages, or any
 *	  pointer not in this thread's chunks -- they are malloc and free, so
 *	  values allocated before the functions were installed, or outside a
 *	  page, are released as before.
 * Since every block of the page is reclaimed at its end, the page's
 * document need not be walked to be freed (cqp_json_release).
 *
 * Invariants:
 *	- No jansson value allocated in a page arena outlives cqp_jarena_end.
 *	  A value that a batch keeps (a json column without jsonb images)
 *	  is copied with the arena suspended (cqp_jarena_detach, from
 *	  cq_value_parse); pages whose values outlive the page (a parent
 *	  listing's rows become child units, list-then-get identifiers,
 *	  hydrate rows that wait for their detail calls, DescribeRegions) and
 *	  jobs with a plugin's transform_row (which may keep what it is given)
 *	  do not use the arena (job_page.c decides).
 *	- A string from json_dumps is allocated by these functions: release it
 *	  with cqp_json_free, never free().
 *	- The arena is per thread (thread-local), used by that thread only; it
 *	  is released by cqp_jarena_thread_done (worker exit).
 *	- Under AddressSanitizer, memory given back by a rewind is poisoned,
 *	  so a value used after its page has ended is reported.
 *
 * Copyright (c) 2026, cq_fdw developers
 *
 *-------------------------------------------------------------------------
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cq_sdk_int.h"

/* gcc defines __SANITIZE_ADDRESS__; clang (the SDK's asan target) says it
 * with __has_feature only */
#if defined(__SANITIZE_ADDRESS__)
#define JA_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define JA_ASAN 1
#endif
#endif

#ifdef JA_ASAN
#include <sanitizer/asan_interface.h>
#define JA_POISON(p, n)		ASAN_POISON_MEMORY_REGION((p), (n))
#define JA_UNPOISON(p, n)	ASAN_UNPOISON_MEMORY_REGION((p), (n))
#else
#define JA_POISON(p, n)		((void) (p), (void) (n))
#define JA_UNPOISON(p, n)	((void) (p), (void) (n))
#endif

#define JA_ALIGN	16
#define JA_CHUNK	((size_t) 1024 * 1024)	/* bytes per chunk */
#define JA_SMALL	((size_t) 16 * 1024)	/* larger requests: malloc */
#define JA_RETAIN	8					/* chunks kept across pages */

typedef struct JaChunk
{
	struct JaChunk *next;
	unsigned char *lo;			/* usable bytes [lo, hi) */
	unsigned char *hi;
} JaChunk;

typedef struct JArena
{
	JaChunk    *chunks;			/* in use: current (last filled) first */
	JaChunk    *spare;			/* kept for the next pages */
	unsigned char *ptr;			/* next free byte of chunks */
	unsigned char *end;
	int			nchunks;		/* in use */
	int			nspare;
	int			depth;			/* begin nesting; 0 = off */
	int			suspended;		/* detach nesting: plain malloc */
	size_t		used;			/* bytes handed out this page */
	size_t		peak;			/* the most used by one page */
} JArena;

static __thread JArena *tl_ja;
static bool ja_installed;

/*
 * Tests: overwrite what a page used when it ends, so that a value which
 * escaped its page reads as garbage at once (not only under ASan).
 */
bool		cqp_jarena_scribble = false;

/* Tests: told of every chunk handed back to malloc, just before free(). */
void		(*cqp_jarena_chunk_freed) (const void *lo, size_t n) = NULL;

/* Hand a chunk back to malloc (its bytes unpoisoned by the caller). */
static void
ja_chunk_free(JaChunk *c)
{
	if (cqp_jarena_chunk_freed)
		cqp_jarena_chunk_freed(c->lo, (size_t) (c->hi - c->lo));
	free(c);
}

/* Is p one of this arena's blocks (in a chunk in use)? */
static inline bool
ja_owns(const JArena *a, const void *p)
{
	const unsigned char *q = p;

	for (const JaChunk *c = a->chunks; c; c = c->next)
		if (q >= c->lo && q < c->hi)
			return true;
	return false;
}

static JaChunk *
ja_chunk_get(JArena *a)
{
	JaChunk    *c = a->spare;

	if (c)
	{
		a->spare = c->next;
		a->nspare--;
	}
	else
	{
		size_t		hdr = (sizeof(JaChunk) + JA_ALIGN - 1) & ~(size_t) (JA_ALIGN - 1);

		c = malloc(hdr + JA_CHUNK);
		if (!c)
			return NULL;
		c->lo = (unsigned char *) c + hdr;
		c->hi = c->lo + JA_CHUNK;
		JA_POISON(c->lo, JA_CHUNK);
	}
	c->next = a->chunks;
	a->chunks = c;
	a->nchunks++;
	a->ptr = c->lo;
	a->end = c->hi;
	return c;
}

/*
 * A block above JA_SMALL (a long string, a big array's storage): a chunk of
 * its own, on the list behind the current chunk (so it is found by
 * ja_owns and released with the page), never kept for later pages.
 */
static void *
ja_big(JArena *a, size_t n)
{
	size_t		hdr = (sizeof(JaChunk) + JA_ALIGN - 1) & ~(size_t) (JA_ALIGN - 1);
	JaChunk    *c = malloc(hdr + n);

	if (!c)
		return NULL;
	c->lo = (unsigned char *) c + hdr;
	c->hi = c->lo + n;
	if (a->chunks)
	{
		c->next = a->chunks->next;
		a->chunks->next = c;
	}
	else
	{
		c->next = NULL;
		a->chunks = c;
		a->ptr = a->end = NULL;	/* not a chunk to carve from */
	}
	a->nchunks++;
	a->used += n;
	return c->lo;
}

static void *
ja_malloc(size_t n)
{
	JArena	   *a = tl_ja;

	if (a && a->depth > 0 && !a->suspended && n > 0)
	{
		size_t		sz = (n + JA_ALIGN - 1) & ~(size_t) (JA_ALIGN - 1);
		unsigned char *p;

		if (n > JA_SMALL)
			return ja_big(a, n);
		if ((size_t) (a->end - a->ptr) < sz && !ja_chunk_get(a))
			return NULL;
		p = a->ptr;
		a->ptr += sz;
		a->used += sz;
		JA_UNPOISON(p, n);
		return p;
	}
	return malloc(n);
}

static void
ja_free(void *p)
{
	JArena	   *a = tl_ja;

	if (p == NULL)
		return;
	if (a && a->chunks && ja_owns(a, p))
		return;					/* rewound with the page */
	free(p);
}

/*
 * cqp_jarena_install
 *		Make jansson allocate through ja_malloc/ja_free.  Called once by
 *		cq_sdk_init, before any thread exists (jansson reads the pointers
 *		without synchronization).  Values allocated before it are plain
 *		malloc blocks, which ja_free frees as such.
 */
void
cqp_jarena_install(void)
{
	if (ja_installed)
		return;
	json_set_alloc_funcs(ja_malloc, ja_free);
	ja_installed = true;
}

/*
 * cqp_jarena_begin
 *		Allocate this thread's jansson values from its page arena until the
 *		matching cqp_jarena_end.  Returns false (and changes nothing) when
 *		the arena cannot be used: not installed, or out of memory.
 */
bool
cqp_jarena_begin(void)
{
	JArena	   *a = tl_ja;

	if (!ja_installed)
		return false;
	if (!a)
	{
		a = calloc(1, sizeof(JArena));
		if (!a)
			return false;
		tl_ja = a;
	}
	if (a->depth++ == 0)
	{
		a->used = 0;
		a->ptr = a->end = NULL;
	}
	return true;
}

/*
 * cqp_jarena_end
 *		End the page begun by cqp_jarena_begin: every block carved since is
 *		reclaimed at once (no value allocated in it may be used after this),
 *		and up to JA_RETAIN chunks are kept for the next page.  Returns the
 *		bytes the page used.
 */
size_t
cqp_jarena_end(void)
{
	JArena	   *a = tl_ja;
	JaChunk    *c;
	size_t		used;

	if (!a || a->depth == 0 || --a->depth > 0)
		return 0;
	used = a->used;
	if (used > a->peak)
		a->peak = used;
	while ((c = a->chunks) != NULL)
	{
		size_t		n = (size_t) (c->hi - c->lo);

		a->chunks = c->next;
		/*
		 * Addressable again as a whole (its unused tail and padding are
		 * still poisoned): to be overwritten, poisoned as a spare, or
		 * handed back to malloc -- which, when it is libc's under the
		 * extension's ASan build, would give a block with stale poison to
		 * the next caller.
		 */
		JA_UNPOISON(c->lo, n);
		if (cqp_jarena_scribble)
			memset(c->lo, 0xA5, n);
		if (n == JA_CHUNK && a->nspare < JA_RETAIN)
		{
			JA_POISON(c->lo, JA_CHUNK);
			c->next = a->spare;
			a->spare = c;
			a->nspare++;
		}
		else
			ja_chunk_free(c);	/* a big block's own chunk, or a spare too many */
	}
	a->nchunks = 0;
	a->ptr = a->end = NULL;
	a->used = 0;
	return used;
}

/* Is the calling thread inside a page arena (and not suspended)? */
bool
cqp_jarena_active(void)
{
	JArena	   *a = tl_ja;

	return a && a->depth > 0 && !a->suspended;
}

/* Is v (a jansson value) allocated in the calling thread's page arena? */
bool
cqp_jarena_owns(const void *v)
{
	JArena	   *a = tl_ja;

	return v && a && a->depth > 0 && a->chunks && ja_owns(a, v);
}

/*
 * cqp_jarena_detach
 *		A reference to v that may outlive the page: v itself if it is not
 *		in the page arena (a new reference), else a deep copy allocated with
 *		malloc.  NULL on OOM.
 */
json_t *
cqp_jarena_detach(json_t *v)
{
	JArena	   *a = tl_ja;
	json_t	   *cp;

	if (!cqp_jarena_owns(v))
		return json_incref(v);
	a->suspended++;
	cp = json_deep_copy(v);
	a->suspended--;
	return cp;
}

/*
 * Release a reference to a jansson value: nothing to do for a value of the
 * page arena (the whole page is reclaimed at its end, and no value outside
 * the arena refers into it), else json_decref.
 */
void
cqp_json_release(json_t *v)
{
	if (v == NULL || cqp_jarena_owns(v))
		return;
	json_decref(v);
}

/* Free a string allocated by jansson (json_dumps). */
void
cqp_json_free(void *p)
{
	ja_free(p);
}

/* The most one page of this thread used in its arena (bytes). */
size_t
cqp_jarena_peak(void)
{
	return tl_ja ? tl_ja->peak : 0;
}

/*
 * cqp_jarena_thread_done
 *		Release the calling thread's arena (a worker about to exit).  Must
 *		not be inside a page.
 */
void
cqp_jarena_thread_done(void)
{
	JArena	   *a = tl_ja;
	JaChunk    *c;

	if (!a)
		return;
	while (a->depth > 0)
		(void) cqp_jarena_end();
	while ((c = a->spare) != NULL)
	{
		a->spare = c->next;
		JA_UNPOISON(c->lo, (size_t) (c->hi - c->lo));
		ja_chunk_free(c);
	}
	free(a);
	tl_ja = NULL;
}
