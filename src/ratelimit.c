/*-------------------------------------------------------------------------
 *
 * ratelimit.c
 *		  Rate-limit buckets: one CqRateGate per (server, credential
 *		  identity) in the shared area, handed to every job of a scan so all
 *		  backends using one token share its pace and what the API said.
 *
 * Invariants:
 *	- The bucket table is searched and changed under rate_lock by main
 *	  threads only; the gate inside a bucket is used by SDK threads with
 *	  atomics only (src/sdk/rategate.c), never under a PostgreSQL lock.
 *	- A bucket in use by a scan (users > 0) is never evicted or reused,
 *	  so the gate pointer a running job holds stays this bucket's.  When
 *	  every bucket is in use, the scan runs without a gate (as before this
 *	  feature) rather than failing.
 *	- The credential identity is a 64-bit hash of the user mapping's
 *	  credential fields; it only selects the bucket, is never shown, and
 *	  two mappings with the same token share a bucket (the API counts by
 *	  token, not by role).
 *	- The pace is the options requests_per_second and burst of the scan
 *	  that last started on the bucket (table options over server options);
 *	  without them only what the API says (Retry-After, exhausted quota,
 *	  429s) paces the requests.
 *
 * Copyright (c) 2026, cq_fdw developers
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "common/hashfn.h"
#include "fmgr.h"
#include "funcapi.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"
#include "utils/tuplestore.h"

#include "shared.h"

PG_FUNCTION_INFO_V1(cq_fdw_rate_limits);

/* Hash of one credential field into h (NULL and "" differ from any text). */
static uint64
mix(uint64 h, const char *v)
{
	if (v == NULL)
		return hash_combine64(h, UINT64CONST(0x9e3779b97f4a7c15));
	return hash_combine64(h, hash_bytes_extended((const unsigned char *) v,
												 (int) strlen(v), 0x63715f66));
}

static uint64
cred_identity(const CqCredentials *c)
{
	uint64		h = 0;

	h = mix(h, c->token);
	h = mix(h, c->user);
	h = mix(h, c->secret);
	h = mix(h, c->session_token ? "" : NULL);	/* temporary keys rotate */
	h = mix(h, c->service_account_key);
	return h;
}

/*
 * cqfdw_rate_acquire
 *		The bucket of t's server and credentials, configured from t's
 *		options, with one more user; NULL when none is free.  Release with
 *		cqfdw_rate_release after the scan's last job is freed.  Main thread;
 *		does not throw under the lock.
 */
CqRateBucket *
cqfdw_rate_acquire(const CqFdwTable *t)
{
	CqShared   *s = cqfdw_shared();
	uint64		ident = cred_identity(&t->cred);
	CqRateBucket *b = NULL;
	CqRateBucket *victim = NULL;

	if (t->requests_per_second > 0)
		cqfdw_shared_notice();
	cqfdw_shared_lock(s->rate_lock, LW_EXCLUSIVE);
	for (int i = 0; i < s->nbuckets; i++)
	{
		CqRateBucket *c = &s->buckets[i];

		if (c->used && c->serverid == t->serverid && c->ident == ident)
		{
			b = c;
			break;
		}
		if (pg_atomic_read_u32(&c->users) == 0 &&
			(victim == NULL || !c->used ||
			 (victim->used && c->last_used < victim->last_used)))
			victim = c;
	}
	if (b == NULL && victim != NULL)
	{
		b = victim;
		b->used = true;
		b->serverid = t->serverid;
		b->ident = ident;
		b->rps = -1;
		cq_rate_gate_init(&b->gate);
	}
	if (b != NULL)
	{
		pg_atomic_fetch_add_u32(&b->users, 1);
		b->last_used = GetCurrentTimestamp();
		if (b->rps != t->requests_per_second || b->burst != t->burst)
		{
			b->rps = t->requests_per_second;
			b->burst = t->burst;
			cq_rate_gate_configure(&b->gate, b->rps, b->burst);
		}
	}
	cqfdw_shared_unlock(s->rate_lock);
	return b;
}

/* One user less (the scan's jobs are all freed).  Does not throw. */
void
cqfdw_rate_release(CqRateBucket *b)
{
	if (b != NULL)
		pg_atomic_fetch_sub_u32(&b->users, 1);
}

/*
 * cq_fdw_rate_limits
 *		SQL: cq_fdw.rate_limits() -> SETOF record: per bucket in use, the
 *		server, the configured and current pace, 429s seen, waits, how long
 *		it is still blocked, scans using it.
 */
Datum
cq_fdw_rate_limits(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	CqShared   *s = cqfdw_shared();
	int64		now = cq_monotonic_us();

	CqRateBucket *copy;
	int			n = 0;

	InitMaterializedSRF(fcinfo, 0);
	/* copy under the lock, build rows after it */
	copy = palloc(sizeof(CqRateBucket) * s->nbuckets);
	cqfdw_shared_lock(s->rate_lock, LW_SHARED);
	for (int i = 0; i < s->nbuckets; i++)
		if (s->buckets[i].used)
			memcpy(&copy[n++], &s->buckets[i], sizeof(CqRateBucket));
	cqfdw_shared_unlock(s->rate_lock);
	for (int i = 0; i < n; i++)
	{
		CqRateBucket *b = &copy[i];
		CqRateGateStats gs;
		Datum		values[8];
		bool		nulls[8];

		cq_rate_gate_stats(&b->gate, now, &gs);
		memset(nulls, 0, sizeof(nulls));
		values[0] = ObjectIdGetDatum(b->serverid);
		values[1] = Float8GetDatum(b->rps > 0 ? b->rps : 0);
		nulls[1] = !(b->rps > 0);
		values[2] = Int32GetDatum(b->burst);
		values[3] = Float8GetDatum(gs.rps);
		nulls[3] = !(gs.rps > 0);
		values[4] = Int64GetDatum((int64) gs.throttled);
		values[5] = Int64GetDatum((int64) gs.waits);
		values[6] = Int64GetDatum(gs.blocked_ms);
		values[7] = Int32GetDatum((int32) pg_atomic_read_u32(&b->users));
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}
