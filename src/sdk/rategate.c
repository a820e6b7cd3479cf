/*-------------------------------------------------------------------------
 *
 * rategate.c
 *		  Rate gates (cq_sdk.h): request pacing shared by every job, thread
 *		  and process that holds the same gate.
 *
 * Invariants:
 *	- The gate is plain memory: eight 64-bit words read and written only
 *	  with lock-free C11 atomics (checked at compile time), no pointer, no
 *	  mutex, times in CLOCK_MONOTONIC microseconds (one clock for every
 *	  process of the machine).  So it may sit in shared memory mapped at
 *	  any address and be used by SDK threads of many processes at once.
 *	- take() is GCRA: `tat` is when the next request would be due at the
 *	  configured pace; a request conforms when tat - (burst - 1) * interval
 *	  is not in the future, and taking it moves tat one interval on (one
 *	  compare-and-swap; a lost race retries with the new value).
 *	- What the API says wins over the configuration: a 429 (or an
 *	  exhausted quota) blocks the gate until its Retry-After / reset for
 *	  every holder and, when a pace is known, doubles the interval (at most
 *	  once a second, so 429s in flight together count once); with few
 *	  requests left before a quota resets (X-RateLimit-Remaining/Reset) the
 *	  rest is spread until the reset; successes decay the
 *	  learned interval back by a quarter per second.  The configured pace
 *	  is a ceiling on the rate: the learned interval only slows it.
 *
 * Copyright (c) 2026, cq_fdw developers
 *
 *-------------------------------------------------------------------------
 */
#include <stdatomic.h>
#include <string.h>
#include <time.h>

#include "cq_sdk.h"

_Static_assert(ATOMIC_LLONG_LOCK_FREE == 2, "64-bit atomics must be lock-free");

typedef struct Gate
{
	_Atomic int64_t cfg_interval;	/* us between requests, 0 = no pace */
	_Atomic int64_t cfg_burst;
	_Atomic int64_t learned;	/* us, 0 = nothing learned */
	_Atomic int64_t tat;		/* theoretical arrival time */
	_Atomic int64_t blocked_until;
	_Atomic int64_t adjusted_at;	/* last change of `learned` */
	_Atomic int64_t throttled;
	_Atomic int64_t waits;
} Gate;

_Static_assert(sizeof(Gate) <= sizeof(CqRateGate), "CqRateGate too small");

#define LEARN_MAX_US	10000000	/* slowest learned pace: one per 10 s */
#define SECOND_US		1000000

static Gate *
G(CqRateGate *g)
{
	return (Gate *) g;
}

int64_t
cq_monotonic_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t) ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

void
cq_rate_gate_init(CqRateGate *g)
{
	Gate	   *x = G(g);

	atomic_init(&x->cfg_interval, 0);
	atomic_init(&x->cfg_burst, 1);
	atomic_init(&x->learned, 0);
	atomic_init(&x->tat, 0);
	atomic_init(&x->blocked_until, 0);
	atomic_init(&x->adjusted_at, 0);
	atomic_init(&x->throttled, 0);
	atomic_init(&x->waits, 0);
}

void
cq_rate_gate_configure(CqRateGate *g, double rps, int burst)
{
	Gate	   *x = G(g);
	int64_t		iv = 0;

	if (rps > 0)
	{
		double		d = 1e6 / rps;

		iv = d < 1 ? 1 : (d > 3600e6 ? (int64_t) 3600e6 : (int64_t) d);
	}
	atomic_store(&x->cfg_interval, iv);
	atomic_store(&x->cfg_burst, burst < 1 ? 1 : burst);
}

/* Raise *a to at least v (never lowers it). */
static void
store_max(_Atomic int64_t *a, int64_t v)
{
	int64_t		cur = atomic_load(a);

	while (cur < v && !atomic_compare_exchange_weak(a, &cur, v))
		;
}

static int64_t
interval_now(Gate *x)
{
	int64_t		c = atomic_load(&x->cfg_interval);
	int64_t		l = atomic_load(&x->learned);

	return c > l ? c : l;
}

int64_t
cq_rate_gate_take(CqRateGate *g, int64_t now)
{
	Gate	   *x = G(g);

	for (;;)
	{
		int64_t		bu = atomic_load(&x->blocked_until);
		int64_t		iv;
		int64_t		burst;
		int64_t		tat;
		int64_t		base;
		int64_t		allow;

		if (bu > now)
		{
			atomic_fetch_add(&x->waits, 1);
			return bu - now;
		}
		iv = interval_now(x);
		if (iv <= 0)
			return 0;
		burst = atomic_load(&x->cfg_burst);
		if (burst < 1)
			burst = 1;
		tat = atomic_load(&x->tat);
		base = tat > now ? tat : now;
		allow = base - (burst - 1) * iv;
		if (allow > now)
		{
			atomic_fetch_add(&x->waits, 1);
			return allow - now;
		}
		if (atomic_compare_exchange_weak(&x->tat, &tat, base + iv))
			return 0;
	}
}

void
cq_rate_gate_throttled(CqRateGate *g, int64_t now, int64_t wait_us)
{
	Gate	   *x = G(g);
	int64_t		at = atomic_load(&x->adjusted_at);

	atomic_fetch_add(&x->throttled, 1);
	if (wait_us > 0)
		store_max(&x->blocked_until, now + wait_us);
	/* slow down once per second at most: 429s in flight together count once */
	if (now - at >= SECOND_US &&
		atomic_compare_exchange_strong(&x->adjusted_at, &at, now))
	{
		int64_t		iv = interval_now(x);

		/* no pace known: the block alone says it (Retry-After) */
		if (iv > 0)
			store_max(&x->learned, iv * 2 > LEARN_MAX_US ? LEARN_MAX_US : iv * 2);
	}
}

void
cq_rate_gate_success(CqRateGate *g, int64_t now, int64_t remaining,
					 int64_t reset_us)
{
	Gate	   *x = G(g);
	int64_t		at = atomic_load(&x->adjusted_at);

	if (remaining == 0 && reset_us > 0)
	{
		/* the quota is spent: nobody sends before it resets */
		store_max(&x->blocked_until, now + reset_us);
		return;
	}
	if (remaining > 0 && reset_us > 0 && remaining < 100)
	{
		/* little left: spread it over the time until the reset */
		int64_t		nv = reset_us / remaining;

		if (nv > LEARN_MAX_US)
			nv = LEARN_MAX_US;
		if (nv > atomic_load(&x->learned))
		{
			store_max(&x->learned, nv);
			atomic_store(&x->adjusted_at, now);
		}
		return;
	}
	/* going well: decay what 429s taught, a quarter per second */
	if (atomic_load(&x->learned) > 0 && now - at >= SECOND_US &&
		atomic_compare_exchange_strong(&x->adjusted_at, &at, now))
	{
		int64_t		l = atomic_load(&x->learned);
		int64_t		nv = l - l / 4;

		if (nv < 1000)
			nv = 0;
		atomic_compare_exchange_strong(&x->learned, &l, nv);
	}
}

void
cq_rate_gate_stats(CqRateGate *g, int64_t now, CqRateGateStats *out)
{
	Gate	   *x = G(g);
	int64_t		iv = interval_now(x);
	int64_t		bu = atomic_load(&x->blocked_until);

	memset(out, 0, sizeof(*out));
	out->rps = iv > 0 ? 1e6 / (double) iv : 0;
	out->throttled = (uint64_t) atomic_load(&x->throttled);
	out->waits = (uint64_t) atomic_load(&x->waits);
	out->blocked_ms = bu > now ? (bu - now + 999) / 1000 : 0;
}
