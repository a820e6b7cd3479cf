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
 *	  threads never touch the slots.
 *	- While a job runs, the main thread (each batch, each second, and at
 *	  the end: cqfdw_token_sync) compares the kept provider with the slot:
 *	  a token the job renewed (expiry or a 401) is published at once, and
 *	  a token the API refused (the provider dropped it) is wiped -- both
 *	  only while the slot still holds the generation this backend saw, so
 *	  a newer token another backend published is never overwritten.
 *	- A failed fetch leaves a negative entry for NEG_TTL_MS: the backends
 *	  that waited for it, and those arriving meanwhile, report the same
 *	  error (it is a CqError: never a secret) instead of asking again.  It
 *	  is keyed like a token, by the mapping's xmin among others, so an
 *	  ALTER USER MAPPING makes the next scan try at once.
 *	- The value is a bearer token or, for a SigV4 server's one AWS role,
 *	  its temporary key (access key id, secret, session token) packed by
 *	  the SDK: the same rules hold for both.
 *	- A GitHub App without installation_id has one token per owner: its
 *	  slots are keyed by the owner too, and only a scan that fixes the
 *	  owner before the job (cq_cred_scan_owner: a key qual of one value)
 *	  uses them; the slot also holds the owner's installation id (not a
 *	  secret) so that a seeded provider renews the token itself.  Other
 *	  scans of such an app look their owners up inside the job, per
 *	  backend, as before.
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
#include "common/hashfn.h"
#include "utils/syscache.h"
#include "utils/timestamp.h"
#include "utils/wait_event.h"

#include "cq_fdw.h"
#include "shared.h"

#define TOKEN_SLOTS			64
#define TOKEN_MAX			4096	/* longer tokens are not shared */
#define FETCH_TIMEOUT_MS	60000
#define NEG_TTL_MS			5000	/* a failed fetch answers for this long */
#define TOKEN_TRANCHE		"cq_fdw_tokens"

typedef struct TokenSlot
{
	bool		used;
	Oid			umid;
	Oid			roleid;
	uint8		digest[32];
	char		owner[128];		/* GitHub App without installation_id: the
								 * owner the token is for; "" otherwise */
	char		installation[32];	/* ... and its installation id */
	int			fetcher;		/* pid fetching now, or 0 */
	TimestampTz fetch_started;
	TimestampTz expires;		/* usable until (refresh margin included) */
	TimestampTz last_used;
	uint64		gen;			/* changes with every token stored */
	bool		failed;			/* negative entry: err until neg_until */
	TimestampTz neg_until;
	CqError		err;			/* the fetch's error (holds no secret) */
	int			len;
	char		token[TOKEN_MAX];
} TokenSlot;

typedef struct TokenArea
{
	LWLock	   *lock;
	uint64		fetches;		/* token requests made through here */
	uint64		next_gen;
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
		c->user, c->secret, c->session_token, c->role_arn, c->external_id,
		c->sts_url,
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
shareable(const CqCredentials *c, bool owner)
{
	if (c->kubeconfig != NULL)
		return false;
	/* a SigV4 server's one role (a role per account is kept per job) */
	if (c->role_arn && c->role_arn[0])
		return strstr(c->role_arn, "{account_id}") == NULL &&
			c->user && c->user[0] && c->secret && c->secret[0];
	return c->service_account_key != NULL ||
		c->tenant_id != NULL || c->client_id != NULL || c->client_secret != NULL ||
		(c->app_id != NULL && (c->installation_id != NULL || owner));
}

/*
 * Find the slot of (umid, role) -- wiping it when its digest is not d (the
 * mapping changed) -- and wipe expired slots on the way.  Lock held.
 */
static TokenSlot *
find_slot(Oid umid, Oid roleid, const char *owner, const uint8 d[32], TimestampTz now)
{
	TokenSlot  *found = NULL;

	for (int i = 0; i < TOKEN_SLOTS; i++)
	{
		TokenSlot  *s = &area->slots[i];

		if (!s->used)
			continue;
		if (s->fetcher == 0 && ((s->len > 0 && s->expires <= now) ||
								(s->failed && s->neg_until <= now)))
		{
			slot_wipe(s);
			continue;
		}
		if (s->umid == umid && s->roleid == roleid && strcmp(s->owner, owner) == 0)
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
	s->failed = false;
	s->gen = ++area->next_gen;
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
 * The slot's key for p, or false when p's tokens are not shared.  A GitHub
 * App without installation_id: only when the scan fixes the owner its
 * requests name (seen->owner, seen->path), one slot per owner.
 */
static bool
token_key(const CqJobParams *p, Oid *umid, uint8 d[32], CqfdwTokenSeen *seen)
{
	const char *key = p->cred.cache_key;

	seen->owner[0] = seen->path[0] = '\0';
	if (area == NULL || key == NULL || strncmp(key, "um:", 3) != 0)
		return false;
	if (p->cred.app_id != NULL && p->cred.installation_id == NULL &&
		p->cred.token == NULL &&
		!cq_cred_scan_owner(p, seen->owner, sizeof(seen->owner),
							seen->path, sizeof(seen->path)))
		seen->owner[0] = seen->path[0] = '\0';
	if (!shareable(&p->cred, seen->owner[0] != '\0'))
		return false;
	*umid = (Oid) strtoul(key + 3, NULL, 10);
	return cred_digest(p, *umid, d);
}

/*
 * A failed token request the others should see, not repeat: the endpoint
 * refused or could not be reached.  A configuration error, a policy refusal,
 * a cancel or no memory is left to the job, which reports it itself.
 */
static bool
shared_failure(const CqError *e)
{
	switch (e->kind)
	{
		case CQ_ERR_HTTP:
		case CQ_ERR_RATE_LIMIT:
		case CQ_ERR_CONNECT:
		case CQ_ERR_TIMEOUT:
		case CQ_ERR_TRANSFER:
		case CQ_ERR_JSON:
			return true;
		default:
			return false;
	}
}

/* remember what this backend holds of slot s (lock held) */
static void
seen_set(CqfdwTokenSeen *seen, const TokenSlot *s)
{
	seen->gen = s ? s->gen : 0;
	if (s && s->len > 0)
		seen->token_hash = hash_bytes_extended((const unsigned char *) s->token,
											   s->len, 0);
}

/* the token p's kept provider holds (for seen's owner, if any) */
static char *
tok_get(const CqJobParams *p, const CqfdwTokenSeen *seen, bool fetch,
		int64 *valid_ms, int64 *n, char *inst, size_t ilen, CqError *err)
{
	int64_t		v = 0,
				r = 0;
	char	   *t;

	if (inst && ilen)
		inst[0] = '\0';
	if (seen->owner[0])
		t = cq_cred_owner_token_get(p, seen->path, fetch, &v, &r, inst, ilen, err);
	else
		t = cq_cred_token_get(p, fetch, &v, &r, err);
	*valid_ms = v;
	*n = r;
	return t;
}

/* give p's kept provider (seen's owner's, if any) a shared token */
static void
tok_seed(const CqJobParams *p, const CqfdwTokenSeen *seen, const char *inst,
		 const char *token, int64 valid_ms)
{
	if (seen->owner[0])
		cq_cred_owner_token_seed(p, seen->path, inst, token, valid_ms);
	else
		cq_cred_token_seed(p, token, valid_ms);
}

/* a new slot's key (lock held) */
static void
slot_claim_key(TokenSlot *s, Oid umid, Oid roleid, const uint8 d[32],
			   const CqfdwTokenSeen *seen)
{
	s->used = true;
	s->umid = umid;
	s->roleid = roleid;
	memcpy(s->digest, d, 32);
	snprintf(s->owner, sizeof(s->owner), "%s", seen->owner);
}

static uint64
token_hash(const char *t)
{
	return hash_bytes_extended((const unsigned char *) t, (int) strlen(t), 0);
}

/*
 * cqfdw_token_share
 *		Before a job of `p` starts (main thread): make its kept provider hold
 *		the token the backends of this role and mapping share -- seeded from
 *		the slot, or fetched here (single flight) and stored in the slot.
 *		*auth_requests: token requests made here (EXPLAIN ANALYZE counts
 *		them for the scan).  `seen` records which slot and generation this
 *		backend holds, for cqfdw_token_sync.  Returns false with *err when
 *		the token request failed here or, shortly before, in another
 *		backend (the negative entry): the caller reports err.  Nothing
 *		(true, seen inactive) without preload or for credentials without a
 *		token provider.  Throws only on cancellation while waiting for
 *		another backend's fetch.
 */
bool
cqfdw_token_share(const CqJobParams *p, CqfdwTokenSeen *seen,
				  int64 *auth_requests, CqError *err)
{
	Oid			umid;
	Oid			roleid = GetUserId();
	uint8		d[32];
	TokenSlot  *s;

	*auth_requests = 0;
	memset(seen, 0, sizeof(*seen));
	memset(err, 0, sizeof(*err));
	if (!token_key(p, &umid, d, seen))
		return true;
	seen->active = true;
	seen->umid = umid;
	seen->roleid = roleid;
	memcpy(seen->digest, d, 32);
	seen->invalidations = cq_cred_token_invalidations(p);

	for (;;)
	{
		TimestampTz now = GetCurrentTimestamp();
		CqError		ferr;
		int64		valid_ms = 0;
		int64		n = 0;
		char	   *mine;
		char		copy[TOKEN_MAX];
		char		inst[32];

		/* what this backend's provider already holds (a renewal) */
		mine = tok_get(p, seen, false, &valid_ms, &n, inst, sizeof(inst), &ferr);

		LWLockAcquire(area->lock, LW_EXCLUSIVE);
		s = find_slot(umid, roleid, seen->owner, d, now);
		if (s && s->len > 0)
		{
			int64		left = (s->expires - now) / 1000;

			if (mine && valid_ms > left + 1000)
			{
				/* ours is newer: share it */
				slot_store(s, mine, valid_ms, now);
				snprintf(s->installation, sizeof(s->installation), "%s", inst);
				s->last_used = now;
				seen_set(seen, s);
				LWLockRelease(area->lock);
				free_secret(mine);
				return true;
			}
			memcpy(copy, s->token, s->len);
			copy[s->len] = '\0';
			memcpy(inst, s->installation, sizeof(inst));
			s->last_used = now;
			seen_set(seen, s);
			LWLockRelease(area->lock);
			free_secret(mine);
			tok_seed(p, seen, inst, copy, left);
			explicit_bzero(copy, sizeof(copy));
			return true;
		}
		if (mine)
		{
			/* no shared token, ours is good: share it */
			if (s == NULL && (s = claim_slot()) != NULL)
				slot_claim_key(s, umid, roleid, d, seen);
			if (s && s->fetcher == 0)
			{
				slot_store(s, mine, valid_ms, now);
				snprintf(s->installation, sizeof(s->installation), "%s", inst);
				s->last_used = now;
				seen_set(seen, s);
			}
			LWLockRelease(area->lock);
			free_secret(mine);
			return true;
		}
		if (s && s->failed && s->fetcher == 0)
		{
			/* the token request failed a moment ago: the same error */
			*err = s->err;
			s->last_used = now;
			LWLockRelease(area->lock);
			return false;
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
			seen->active = false;
			return true;		/* every slot busy fetching: per backend */
		}
		slot_claim_key(s, umid, roleid, d, seen);
		s->fetcher = MyProcPid;
		s->fetch_started = now;
		s->last_used = now;
		LWLockRelease(area->lock);

		memset(&ferr, 0, sizeof(ferr));
		mine = tok_get(p, seen, true, &valid_ms, &n, inst, sizeof(inst), &ferr);
		*auth_requests += n;

		LWLockAcquire(area->lock, LW_EXCLUSIVE);
		now = GetCurrentTimestamp();
		if (s->used && s->fetcher == MyProcPid && s->umid == umid && s->roleid == roleid &&
			strcmp(s->owner, seen->owner) == 0 && memcmp(s->digest, d, 32) == 0)
		{
			s->fetcher = 0;
			if (mine)
			{
				slot_store(s, mine, valid_ms, now);
				snprintf(s->installation, sizeof(s->installation), "%s", inst);
				area->fetches++;
				seen_set(seen, s);
			}
			else if (shared_failure(&ferr))
			{
				/* a negative entry: the others get this error, not a retry */
				explicit_bzero(s->token, sizeof(s->token));
				s->len = 0;
				s->failed = true;
				s->err = ferr;
				s->neg_until = TimestampTzPlusMilliseconds(now, NEG_TTL_MS);
			}
			if (s->len == 0 && !s->failed)
				slot_wipe(s);	/* nothing to share: the next one tries */
		}
		LWLockRelease(area->lock);
		free_secret(mine);
		if (mine == NULL && shared_failure(&ferr))
		{
			*err = ferr;
			return false;
		}
		return true;
	}
}

/*
 * cqfdw_token_sync
 *		While and after a job of `p` runs (main thread, between batches):
 *		publish what its kept provider learnt since cqfdw_token_share.  A
 *		token it renewed (near expiry, or after the API refused the shared
 *		one) replaces the slot's at once; a token the API refused, with no
 *		new one yet, is wiped from the slot so that the next backend
 *		fetches a fresh one.  Either only if the slot still holds the
 *		generation `seen` recorded: a token another backend published
 *		meanwhile stays.  Never throws; nothing without preload.
 */
void
cqfdw_token_sync(const CqJobParams *p, CqfdwTokenSeen *seen)
{
	TimestampTz now;
	TokenSlot  *s;
	CqError		err;
	int64		valid_ms = 0;
	int64		n = 0;
	int64		inval;
	char	   *mine;
	char		inst[32];

	if (area == NULL || !seen->active)
		return;
	inval = cq_cred_token_invalidations(p);
	mine = tok_get(p, seen, false, &valid_ms, &n, inst, sizeof(inst), &err);
	now = GetCurrentTimestamp();
	LWLockAcquire(area->lock, LW_EXCLUSIVE);
	s = find_slot(seen->umid, seen->roleid, seen->owner, seen->digest, now);
	if (s && s->len > 0 && s->gen == seen->gen && s->fetcher == 0)
	{
		if (mine && (strlen(mine) != (size_t) s->len ||
					 memcmp(mine, s->token, s->len) != 0))
		{
			/* renewed here: the others get it now, not at expiry */
			slot_store(s, mine, valid_ms, now);
			snprintf(s->installation, sizeof(s->installation), "%s", inst);
			seen_set(seen, s);
		}
		else if (mine == NULL && inval > seen->invalidations)
		{
			/* refused (401 / ExpiredToken) and not renewed yet */
			slot_wipe(s);
			seen_set(seen, NULL);
		}
	}
	else if (mine && token_hash(mine) != seen->token_hash &&
			 (s == NULL || (s->len == 0 && !s->failed && s->fetcher == 0)))
	{
		/*
		 * The slot was wiped (another backend saw the token refused) or
		 * evicted meanwhile, and ours is another, newer one: share it.
		 * Never the token we were given: it may be the refused one.
		 */
		if (s == NULL && (s = claim_slot()) != NULL)
			slot_claim_key(s, seen->umid, seen->roleid, seen->digest, seen);
		if (s)
		{
			slot_store(s, mine, valid_ms, now);
			snprintf(s->installation, sizeof(s->installation), "%s", inst);
			s->last_used = now;
			seen_set(seen, s);
		}
	}
	LWLockRelease(area->lock);
	seen->invalidations = inval;
	free_secret(mine);
}
