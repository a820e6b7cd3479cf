/*-------------------------------------------------------------------------
 *
 * tokens.c
 *		  Access tokens shared by the backends of one role and user mapping
 *		  (shared_preload_libraries = 'cq_fdw'), so that sixteen backends
 *		  scanning with one GCP service account, Azure app registration or
 *		  GitHub App installation make one token request, not sixteen.
 *
 * Invariants:
 *	- Only with preload: a fixed array of slots in the main shared memory
 *	  segment, guarded by the one LWLock of the tranche "cq_fdw_tokens".
 *	  Without preload nothing here runs and each backend keeps its own
 *	  tokens across scans (cred.c's provider cache) as before.
 *	- A slot is keyed by (user mapping oid, role, SHA-256 of the mapping's
 *	  credential options and the API root): another role, even under the
 *	  same PUBLIC mapping, never reads it; a changed mapping has another
 *	  digest, and the slot of the old one is wiped when the new one is
 *	  looked up.
 *	- The token lives only in shared memory (never on disk: shared memory
 *	  is not written out; never in a view or message) and in the backend's
 *	  provider.  A slot is wiped (explicit_bzero) when it expires, when it
 *	  is evicted for another key, and when its mapping changes.
 *	- Only the main thread, before a job starts: it seeds the job's kept
 *	  provider (cq_cred_token_seed) with the shared token, or, when there
 *	  is none, fetches one itself (cq_cred_token_get) while the other
 *	  backends wanting the same key wait for it (single flight across
 *	  backends; a fetcher silent for FETCH_TIMEOUT_MS is replaced).  SDK
 *	  threads never touch the slots.  A token renewed mid-scan by a job
 *	  reaches the slot at that backend's next scan start.
 *
 * Copyright (c) 2026, cq_fdw developers
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "common/cryptohash.h"
#include "miscadmin.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "storage/lwlock.h"
#include "storage/shmem.h"
#include "utils/syscache.h"
#include "utils/timestamp.h"
#include "utils/wait_event.h"

#include "cq_fdw.h"
#include "shared.h"

#define TOKEN_SLOTS			64
#define TOKEN_MAX			4096	/* longer tokens are not shared */
#define FETCH_TIMEOUT_MS	60000
#define TOKEN_TRANCHE		"cq_fdw_tokens"

typedef struct TokenSlot
{
	bool		used;
	Oid			umid;
	Oid			roleid;
	uint8		digest[32];
	int			fetcher;		/* pid fetching now, or 0 */
	TimestampTz fetch_started;
	TimestampTz expires;		/* usable until (refresh margin included) */
	TimestampTz last_used;
	int			len;
	char		token[TOKEN_MAX];
} TokenSlot;

typedef struct TokenArea
{
	LWLock	   *lock;
	uint64		fetches;		/* token requests made through here */
	TokenSlot	slots[TOKEN_SLOTS];
} TokenArea;

static TokenArea *area = NULL;
static shmem_request_hook_type prev_request = NULL;
static shmem_startup_hook_type prev_startup = NULL;

static void
tokens_request(void)
{
	if (prev_request)
		prev_request();
	RequestAddinShmemSpace(MAXALIGN(sizeof(TokenArea)));
	RequestNamedLWLockTranche(TOKEN_TRANCHE, 1);
}

static void
tokens_startup(void)
{
	bool		found;

	if (prev_startup)
		prev_startup();
	LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
	area = ShmemInitStruct("cq_fdw shared tokens", sizeof(TokenArea), &found);
	if (!found)
	{
		memset(area, 0, sizeof(TokenArea));
		area->lock = &(GetNamedLWLockTranche(TOKEN_TRANCHE))->lock;
	}
	LWLockRelease(AddinShmemInitLock);
}

/*
 * cqfdw_tokens_shmem_init
 *		From _PG_init while preloading (shmem.c): reserve the slots.
 */
void
cqfdw_tokens_shmem_init(void)
{
	if (!process_shared_preload_libraries_in_progress)
		return;
	prev_request = shmem_request_hook;
	shmem_request_hook = tokens_request;
	prev_startup = shmem_startup_hook;
	shmem_startup_hook = tokens_startup;
}

static void
slot_wipe(TokenSlot *s)
{
	explicit_bzero(s, sizeof(TokenSlot));
}

/*
 * SHA-256 of what the token is for: the credential options, the API root,
 * and the version of the user mapping's row (its xmin): any ALTER USER
 * MAPPING makes a new row version, so a mapping changed and changed back
 * does not find the token of before (as cq_cred_cache_clear drops the
 * backend's own).
 */
static bool
cred_digest(const CqJobParams *p, Oid umid, uint8 out[32])
{
	HeapTuple	tp = SearchSysCache1(USERMAPPINGOID, ObjectIdGetDatum(umid));
	TransactionId xmin = InvalidTransactionId;

	const CqCredentials *c = &p->cred;
	const char *parts[] = {
		p->source && p->source->name ? p->source->name : "",
		p->base_url ? p->base_url : "",
		c->service_account_key, c->tenant_id, c->client_id, c->client_secret,
		c->authority_url, c->app_id, c->private_key, c->installation_id,
	};
	pg_cryptohash_ctx *ctx;
	bool		ok;

	if (!HeapTupleIsValid(tp))
		return false;
	xmin = HeapTupleHeaderGetRawXmin(tp->t_data);
	ReleaseSysCache(tp);
	ctx = pg_cryptohash_create(PG_SHA256);
	ok = ctx != NULL && pg_cryptohash_init(ctx) == 0 &&
		pg_cryptohash_update(ctx, (const uint8 *) &xmin, sizeof(xmin)) == 0;

	for (int i = 0; ok && i < (int) lengthof(parts); i++)
	{
		const char *v = parts[i] ? parts[i] : "";
		uint32		n = (uint32) strlen(v) + (parts[i] ? 1 : 0);

		/* length-prefixed: no two option sets hash alike */
		ok = pg_cryptohash_update(ctx, (const uint8 *) &n, sizeof(n)) == 0 &&
			pg_cryptohash_update(ctx, (const uint8 *) v, strlen(v)) == 0;
	}
	ok = ok && pg_cryptohash_final(ctx, out, 32) == 0;
	pg_cryptohash_free(ctx);
	return ok;
}

/* credentials whose provider fetches one bearer token (cred.c) */
static bool
shareable(const CqCredentials *c)
{
	return c->kubeconfig == NULL &&
		(c->service_account_key != NULL ||
		 c->tenant_id != NULL || c->client_id != NULL || c->client_secret != NULL ||
		 (c->app_id != NULL && c->installation_id != NULL));
}

/*
 * Find the slot of (umid, role) -- wiping it when its digest is not d (the
 * mapping changed) -- and wipe expired slots on the way.  Lock held.
 */
static TokenSlot *
find_slot(Oid umid, Oid roleid, const uint8 d[32], TimestampTz now)
{
	TokenSlot  *found = NULL;

	for (int i = 0; i < TOKEN_SLOTS; i++)
	{
		TokenSlot  *s = &area->slots[i];

		if (!s->used)
			continue;
		if (s->len > 0 && s->expires <= now && s->fetcher == 0)
		{
			slot_wipe(s);
			continue;
		}
		if (s->umid == umid && s->roleid == roleid)
		{
			if (memcmp(s->digest, d, 32) != 0)
			{
				slot_wipe(s);
				continue;
			}
			found = s;
		}
	}
	return found;
}

/* A free slot, else the least recently used one without a fetcher. */
static TokenSlot *
claim_slot(void)
{
	TokenSlot  *best = NULL;

	for (int i = 0; i < TOKEN_SLOTS; i++)
	{
		TokenSlot  *s = &area->slots[i];

		if (!s->used)
			return s;
		if (s->fetcher == 0 && (best == NULL || s->last_used < best->last_used))
			best = s;
	}
	if (best)
		slot_wipe(best);
	return best;
}

static void
slot_store(TokenSlot *s, const char *token, int64 valid_ms, TimestampTz now)
{
	size_t		n = strlen(token);

	explicit_bzero(s->token, sizeof(s->token));
	s->len = 0;
	if (n == 0 || n >= TOKEN_MAX || valid_ms <= 0)
		return;
	memcpy(s->token, token, n);
	s->len = (int) n;
	s->expires = TimestampTzPlusMilliseconds(now, Min(valid_ms, (int64) 365 * 86400 * 1000));
}

static void
free_secret(char *t)
{
	if (t)
	{
		explicit_bzero(t, strlen(t));
		free(t);
	}
}

/*
 * cqfdw_token_share
 *		Before a job of `p` starts (main thread): make its kept provider hold
 *		the token the backends of this role and mapping share -- seeded from
 *		the slot, or fetched here (single flight) and stored in the slot.
 *		*auth_requests: token requests made here (EXPLAIN ANALYZE counts
 *		them for the scan).  Nothing without preload, for credentials
 *		without a token provider, or when the fetch fails (the job then
 *		fetches and reports the error itself).  Throws only on
 *		cancellation while waiting for another backend's fetch.
 */
void
cqfdw_token_share(const CqJobParams *p, int64 *auth_requests)
{
	const char *key = p->cred.cache_key;
	Oid			umid;
	Oid			roleid = GetUserId();
	uint8		d[32];
	TokenSlot  *s;

	*auth_requests = 0;
	if (area == NULL || key == NULL || strncmp(key, "um:", 3) != 0 ||
		!shareable(&p->cred))
		return;
	umid = (Oid) strtoul(key + 3, NULL, 10);
	if (!cred_digest(p, umid, d))
		return;

	for (;;)
	{
		TimestampTz now = GetCurrentTimestamp();
		CqError		err;
		int64		valid_ms = 0;
		int64		n = 0;
		char	   *mine;
		char		copy[TOKEN_MAX];

		/* what this backend's provider already holds (a renewal) */
		mine = cq_cred_token_get(p, false, &valid_ms, &n, &err);

		LWLockAcquire(area->lock, LW_EXCLUSIVE);
		s = find_slot(umid, roleid, d, now);
		if (s && s->len > 0)
		{
			int64		left = (s->expires - now) / 1000;

			if (mine && valid_ms > left + 1000)
			{
				/* ours is newer: share it */
				slot_store(s, mine, valid_ms, now);
				s->last_used = now;
				LWLockRelease(area->lock);
				free_secret(mine);
				return;
			}
			memcpy(copy, s->token, s->len);
			copy[s->len] = '\0';
			s->last_used = now;
			LWLockRelease(area->lock);
			free_secret(mine);
			cq_cred_token_seed(p, copy, left);
			explicit_bzero(copy, sizeof(copy));
			return;
		}
		if (mine)
		{
			/* no shared token, ours is good: share it */
			if (s == NULL && (s = claim_slot()) != NULL)
			{
				s->used = true;
				s->umid = umid;
				s->roleid = roleid;
				memcpy(s->digest, d, 32);
			}
			if (s && s->fetcher == 0)
			{
				slot_store(s, mine, valid_ms, now);
				s->last_used = now;
			}
			LWLockRelease(area->lock);
			free_secret(mine);
			return;
		}
		if (s && s->fetcher != 0 && s->fetcher != MyProcPid &&
			!TimestampDifferenceExceeds(s->fetch_started, now, FETCH_TIMEOUT_MS))
		{
			/* another backend is fetching it: wait for its answer */
			LWLockRelease(area->lock);
			(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
							 10, PG_WAIT_EXTENSION);
			ResetLatch(MyLatch);
			CHECK_FOR_INTERRUPTS();
			continue;
		}
		/* fetch it ourselves; the others wait */
		if (s == NULL && (s = claim_slot()) == NULL)
		{
			LWLockRelease(area->lock);
			return;				/* every slot busy fetching: per backend */
		}
		s->used = true;
		s->umid = umid;
		s->roleid = roleid;
		memcpy(s->digest, d, 32);
		s->fetcher = MyProcPid;
		s->fetch_started = now;
		s->last_used = now;
		LWLockRelease(area->lock);

		mine = cq_cred_token_get(p, true, &valid_ms, &n, &err);
		*auth_requests += n;

		LWLockAcquire(area->lock, LW_EXCLUSIVE);
		now = GetCurrentTimestamp();
		if (s->used && s->fetcher == MyProcPid && s->umid == umid && s->roleid == roleid &&
			memcmp(s->digest, d, 32) == 0)
		{
			s->fetcher = 0;
			if (mine)
			{
				slot_store(s, mine, valid_ms, now);
				area->fetches++;
			}
			if (s->len == 0)
				slot_wipe(s);	/* failed: the next backend tries itself */
		}
		LWLockRelease(area->lock);
		free_secret(mine);
		return;
	}
}
