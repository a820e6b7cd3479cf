/*-------------------------------------------------------------------------
 *
 * shmem.c
 *		  The area shared by the backends (shared.h): sized by PGC_POSTMASTER
 *		  GUCs, requested in shmem_request_hook, set up in
 *		  shmem_startup_hook, locked with the LWLocks of tranche "cq_fdw".
 *
 * Invariants:
 *	- The hooks are installed only while shared_preload_libraries is
 *	  being processed; a cq_fdw loaded later by a backend falls back to a
 *	  small backend-local area (cqfdw_shared() allocates it on first use
 *	  in TopMemoryContext) with no-op locks: the features work as before,
 *	  per backend, and cqfdw_shared_notice() says once per backend what
 *	  preloading would add.
 *	- The area is never resized: its size is fixed by the GUCs read at
 *	  postmaster start (CQ_PROGRESS_PER_BACKEND progress slots per backend, cq_fdw.rate_limit_buckets
 *	  buckets, cq_fdw.cache_entries cache index entries).
 *	- A lock is held only around copies of a few fields: nothing that can
 *	  throw, wait or allocate runs under it (an ERROR would release it,
 *	  but a half-written slot would stay).
 *
 * Copyright (c) 2026, cq_fdw developers
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <limits.h>

#include "miscadmin.h"
#include "storage/ipc.h"
#include "storage/shmem.h"
#include "utils/guc.h"
#include "utils/memutils.h"

#include "shared.h"

#define CQ_TRANCHE		"cq_fdw"
#define CQ_NLOCKS		3		/* progress, rate limits, cache */
#define LOCAL_PROGRESS	CQ_PROGRESS_PER_BACKEND
#define LOCAL_BUCKETS	16
#define LOCAL_CACHE		64

int			cqfdw_rate_limit_buckets = 256;
int			cqfdw_cache_entries = 1024;
int			cqfdw_cache_size_kb = 256 * 1024;

static CqShared *shared = NULL;
static bool preloaded = false;
static bool noticed = false;

static shmem_request_hook_type prev_shmem_request_hook = NULL;
static shmem_startup_hook_type prev_shmem_startup_hook = NULL;

/* Bytes of an area with these counts (header + the three arrays). */
static Size
area_size(int nprogress, int nbuckets, int ncache)
{
	Size		sz = MAXALIGN(sizeof(CqShared));

	sz = add_size(sz, MAXALIGN(mul_size(nprogress, sizeof(CqProgressSlot))));
	sz = add_size(sz, MAXALIGN(mul_size(nbuckets, sizeof(CqRateBucket))));
	sz = add_size(sz, MAXALIGN(mul_size(ncache, sizeof(CqCacheEntry))));
	return sz;
}

/* Lay out and zero an area of area_size(...) bytes at p. */
static void
area_init(CqShared *s, int nprogress, int nbuckets, int ncache)
{
	char	   *p = (char *) s;

	memset(s, 0, area_size(nprogress, nbuckets, ncache));
	p += MAXALIGN(sizeof(CqShared));
	s->nprogress = nprogress;
	s->progress = (CqProgressSlot *) p;
	p += MAXALIGN(mul_size(nprogress, sizeof(CqProgressSlot)));
	s->nbuckets = nbuckets;
	s->buckets = (CqRateBucket *) p;
	p += MAXALIGN(mul_size(nbuckets, sizeof(CqRateBucket)));
	s->ncache = ncache;
	s->cache = (CqCacheEntry *) p;
	for (int i = 0; i < nbuckets; i++)
	{
		pg_atomic_init_u32(&s->buckets[i].users, 0);
		cq_rate_gate_init(&s->buckets[i].gate);
	}
	s->cache_next_file = 1;
}

static void
cq_shmem_request(void)
{
	if (prev_shmem_request_hook)
		prev_shmem_request_hook();
	RequestAddinShmemSpace(area_size(MaxBackends * CQ_PROGRESS_PER_BACKEND,
									 cqfdw_rate_limit_buckets,
									 cqfdw_cache_entries));
	RequestNamedLWLockTranche(CQ_TRANCHE, CQ_NLOCKS);
}

static void
cq_shmem_startup(void)
{
	bool		found;
	CqShared   *s;

	if (prev_shmem_startup_hook)
		prev_shmem_startup_hook();

	LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
	s = ShmemInitStruct("cq_fdw shared state",
						area_size(MaxBackends * CQ_PROGRESS_PER_BACKEND,
								  cqfdw_rate_limit_buckets, cqfdw_cache_entries),
						&found);
	if (!found)
	{
		LWLockPadded *locks = GetNamedLWLockTranche(CQ_TRANCHE);

		area_init(s, MaxBackends * CQ_PROGRESS_PER_BACKEND, cqfdw_rate_limit_buckets,
				  cqfdw_cache_entries);
		s->in_shmem = true;
		s->progress_lock = &locks[0].lock;
		s->rate_lock = &locks[1].lock;
		s->cache_lock = &locks[2].lock;
		/* the index is new: files left from before are unreachable */
		cqfdw_cache_startup();
	}
	LWLockRelease(AddinShmemInitLock);
	shared = s;
}

/*
 * cqfdw_shmem_init
 *		From _PG_init: the sizing GUCs, and the hooks when preloading.
 */
void
cqfdw_shmem_init(void)
{
	DefineCustomBoolVariable("cq_fdw.use_cache",
							 "Read and store cached scan results of tables with the option cache_ttl (off: every scan asks the API).",
							 NULL, &cqfdw_use_cache, true, PGC_USERSET, 0,
							 NULL, NULL, NULL);

	/*
	 * PGC_POSTMASTER variables can only be defined while preloading (a
	 * later load is FATAL); a backend-local area uses the defaults.
	 */
	if (!process_shared_preload_libraries_in_progress)
		return;
	DefineCustomIntVariable("cq_fdw.rate_limit_buckets",
							"Rate-limit buckets in shared memory (one per server and credential in use).",
							NULL, &cqfdw_rate_limit_buckets, 256, 1, 1000000,
							PGC_POSTMASTER, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("cq_fdw.cache_entries",
							"Most scan results the cache holds.",
							NULL, &cqfdw_cache_entries, 1024, 1, 1000000,
							PGC_POSTMASTER, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("cq_fdw.cache_size",
							"Most bytes the cache holds on disk (least recently used results are evicted).",
							NULL, &cqfdw_cache_size_kb, 256 * 1024, 64, INT_MAX / 2,
							PGC_POSTMASTER, GUC_UNIT_KB, NULL, NULL, NULL);
	preloaded = true;
	prev_shmem_request_hook = shmem_request_hook;
	shmem_request_hook = cq_shmem_request;
	prev_shmem_startup_hook = shmem_startup_hook;
	shmem_startup_hook = cq_shmem_startup;
	cqfdw_tokens_shmem_init();
}

/*
 * cqfdw_shared
 *		The shared area, or (not preloaded) this backend's own one,
 *		allocated on first use in TopMemoryContext.  Main thread.
 */
CqShared *
cqfdw_shared(void)
{
	if (shared == NULL)
	{
		Size		sz = area_size(LOCAL_PROGRESS, LOCAL_BUCKETS, LOCAL_CACHE);

		shared = MemoryContextAllocZero(TopMemoryContext, sz);
		area_init(shared, LOCAL_PROGRESS, LOCAL_BUCKETS, LOCAL_CACHE);
		shared->in_shmem = false;
	}
	return shared;
}

/* LWLockAcquire, or nothing for the backend-local area. */
void
cqfdw_shared_lock(LWLock *lock, LWLockMode mode)
{
	if (lock != NULL)
		LWLockAcquire(lock, mode);
}

void
cqfdw_shared_unlock(LWLock *lock)
{
	if (lock != NULL)
		LWLockRelease(lock);
}

/*
 * cqfdw_shared_notice
 *		When a feature that preloading shares is used without it: one
 *		NOTICE per backend saying what preload adds.
 */
void
cqfdw_shared_notice(void)
{
	if (preloaded || noticed)
		return;
	noticed = true;
	ereport(NOTICE,
			(errmsg("cq_fdw is not in shared_preload_libraries: rate limits, the cache and scan progress are per backend"),
			 errdetail("Each backend paces its own requests, keeps its own cached results, and shows only its own scans in cq_fdw.scan_progress."),
			 errhint("Add cq_fdw to shared_preload_libraries and restart the server to share them between backends.")));
}
