/*-------------------------------------------------------------------------
 *
 * shared.h
 *		  State shared by the backends (shmem.c, progress.c, ratelimit.c,
 *		  cache.c): scan progress slots, rate-limit buckets, the cache index.
 *
 * Invariants:
 *	- With shared_preload_libraries = 'cq_fdw' the area is one fixed-size
 *	  block of the main shared memory segment, sized by the
 *	  PGC_POSTMASTER GUCs cq_fdw.rate_limit_buckets and
 *	  cq_fdw.cache_entries (progress: one slot per backend), and guarded by
 *	  the LWLocks of the named tranche "cq_fdw".  Without preload the same
 *	  structures live in the backend's TopMemoryContext (small, per
 *	  backend) and the locks are no-ops: everything works as before, per
 *	  backend.
 *	- Only the backend's main thread touches these structures, except the
 *	  CqRateGate inside a bucket: SDK threads read and write it with C11
 *	  atomics only (src/sdk/rategate.c), never a PostgreSQL function or
 *	  lock.
 *	- No secret is stored: a credential is reduced to a 64-bit hash that
 *	  only chooses a bucket and is never shown.
 *
 * Copyright (c) 2026, cq_fdw developers
 *
 *-------------------------------------------------------------------------
 */
#ifndef CQ_SHARED_H
#define CQ_SHARED_H

#include "postgres.h"

#include "datatype/timestamp.h"
#include "port/atomics.h"
#include "storage/lwlock.h"
#include "executor/tuptable.h"
#include "utils/relcache.h"

#include "cq_fdw.h"

/* Progress slots per backend: scans of one query shown at once */
#define CQ_PROGRESS_PER_BACKEND 8

/* One scan in progress (progress.c); pid 0 = free */
typedef struct CqProgressSlot
{
	int			pid;
	Oid			datid;
	Oid			userid;
	Oid			relid;
	char		relname[2 * NAMEDATALEN + 2];	/* "schema.table" */
	TimestampTz started;
	int			seq;			/* the scan's handle (this backend's) */
	int			plan_node_id;	/* its plan node: tells a query's scans apart */
	uint64		requests;
	uint64		in_flight;
	uint64		pages;
	uint64		rows;
	uint64		bytes;
	uint64		retries;
	uint64		ratelimit_waits;
	double		ratelimit_wait_ms;
	int64		total_rows;		/* -1: the API told no total */
	int64		total_pages;	/* -1: unknown */
} CqProgressSlot;

/* A token bucket of one (server, credential identity) (ratelimit.c) */
typedef struct CqRateBucket
{
	bool		used;
	Oid			serverid;
	uint64		ident;			/* hash of the credential identity */
	pg_atomic_uint32 users;		/* scans using it now: not evicted */
	TimestampTz last_used;
	double		rps;			/* configured (0 = none) */
	int			burst;
	CqRateGate	gate;			/* C11 atomics: SDK threads use it */
} CqRateBucket;

/* One cached scan result (cache.c): the file $PGDATA/cq_fdw_cache/<file> */
typedef struct CqCacheEntry
{
	bool		used;
	bool		ready;			/* file complete (a writer may be filling it) */
	uint8		key[32];		/* SHA-256 of the scan's request + identity */
	Oid			serverid;
	uint64		file;			/* file number */
	uint64		bytes;
	TimestampTz expires;
	TimestampTz last_used;
	uint64		hits;
} CqCacheEntry;

typedef struct CqShared
{
	bool		in_shmem;		/* false: backend-local fallback */
	LWLock	   *progress_lock;
	LWLock	   *rate_lock;
	LWLock	   *cache_lock;
	int			nprogress;
	int			nbuckets;
	int			ncache;
	CqProgressSlot *progress;
	CqRateBucket *buckets;
	CqCacheEntry *cache;
	uint64		cache_bytes;	/* sum of ready entries' bytes */
	uint64		cache_next_file;
	uint64		cache_hits;
	uint64		cache_misses;
} CqShared;

/* in shmem.c */
extern int	cqfdw_rate_limit_buckets;
extern int	cqfdw_cache_entries;
extern int	cqfdw_cache_size_kb;
extern void cqfdw_shmem_init(void);
extern CqShared *cqfdw_shared(void);
extern void cqfdw_shared_lock(LWLock *lock, LWLockMode mode);
extern void cqfdw_shared_unlock(LWLock *lock);
extern void cqfdw_shared_notice(void);

/* in tokens.c: access tokens shared by a role's backends (preload only) */
typedef struct CqfdwTokenSeen
{
	bool		active;			/* p's token is shared through a slot */
	Oid			umid;
	Oid			roleid;
	uint8		digest[32];
	uint64		gen;			/* the slot generation this backend holds */
	uint64		token_hash;		/* hash of that token (never the token) */
	int64		invalidations;	/* the provider's refused tokens so far */
	char		owner[128];		/* GitHub App per owner: the owner, or "" */
	char		path[256];		/* ... and the request path naming it */
} CqfdwTokenSeen;
extern void cqfdw_tokens_shmem_init(void);
extern bool cqfdw_token_share(const CqJobParams *p, CqfdwTokenSeen *seen,
							  int64 *auth_requests, CqError *err);
extern void cqfdw_token_sync(const CqJobParams *p, CqfdwTokenSeen *seen);

/* in progress.c */
extern int	cqfdw_progress_begin(Oid relid, int plan_node_id);
extern void cqfdw_progress_update(int handle, const CqJobStats *s);
extern void cqfdw_progress_end(int handle);

/* in cache.c */
typedef struct CqCacheReader CqCacheReader;
typedef struct CqCacheWriter CqCacheWriter;
extern bool cqfdw_use_cache;
extern void cqfdw_cache_startup(void);
extern bool cqfdw_cache_enabled(const CqFdwTable *t);
extern void cqfdw_cache_key(const CqFdwTable *t, Relation rel,
							const AttrNumber *attnums, int nout,
							const CqKeyValues *keys, int nkeys, int64 limit,
							uint8 *key);
extern CqCacheReader *cqfdw_cache_open(const uint8 *key, MemoryContext cxt);
extern bool cqfdw_cache_next(CqCacheReader *r, TupleTableSlot *slot);
extern CqCacheWriter *cqfdw_cache_begin(const uint8 *key, const CqFdwTable *t,
										MemoryContext cxt);
extern void cqfdw_cache_put(CqCacheWriter *w, TupleTableSlot *slot);
extern void cqfdw_cache_commit(CqCacheWriter *w);

/* in ratelimit.c */
extern CqRateBucket *cqfdw_rate_acquire(const CqFdwTable *t);
extern void cqfdw_rate_release(CqRateBucket *b);

#endif							/* CQ_SHARED_H */
