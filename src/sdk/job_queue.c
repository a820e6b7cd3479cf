/*-------------------------------------------------------------------------
 *
 * job_queue.c
 *		  The scheduler's request and unit state machine, under job->mu:
 *		  creating, queueing and dropping requests, unit completion
 *		  (propagated to parent units), unit and job failure, wake-ups.
 *
 * Invariants:
 *	- every *_locked function runs with job->mu held and neither blocks nor
 *	  calls out (no I/O, no parsing; curl_multi_wakeup and a write to the
 *	  eventfd are the only calls that leave the process's memory);
 *	- u->outstanding counts the unit's requests that are queued, in flight,
 *	  waiting for a retry or being parsed (a deferred parent page is not
 *	  counted until released); a unit finishes exactly once, when nothing
 *	  is outstanding, no child runs and no page range is left, and then
 *	  decrements its parent's children; the job finishes when no unit is
 *	  active;
 *	- a failure is recorded once: the first error wins (job->err, redacted
 *	  of the credentials), or with skip_failed_units the unit alone is
 *	  marked failed and its error kept in job->ferrs (never for OOM,
 *	  internal errors or cancel);
 *	- every state change a waiter could miss wakes all three waiters: the
 *	  workers (job->cv), the I/O thread (curl_multi_wakeup) and the
 *	  consumer (the eventfd).
 *
 * Copyright (c) 2026, cq_fdw developers
 *
 *-------------------------------------------------------------------------
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>

#include "cq_sdk_int.h"
#include "job_int.h"

/* ------------------------------------------------------------------------
 * Small helpers
 * ------------------------------------------------------------------------ */

static uint64_t
hash_str(const char *s)
{
	uint64_t	h = 1469598103934665603ULL;

	for (; *s; s++)
		h = (h ^ (unsigned char) *s) * 1099511628211ULL;
	return h;
}

/* Record url in the unit's seen set; false if it was already there. */
bool
cqp_job_seen_add(CqpUnit *u, const char *url)
{
	uint64_t	h = hash_str(url);

	for (int i = 0; i < u->nseen; i++)
		if (u->seen[i] == h)
			return false;
	if (u->nseen == u->seencap)
	{
		int			nc = u->seencap ? u->seencap * 2 : 8;
		uint64_t   *ns = realloc(u->seen, (size_t) nc * sizeof(uint64_t));

		if (!ns)
			return true;		/* can't remember: assume new */
		u->seen = ns;
		u->seencap = nc;
	}
	u->seen[u->nseen++] = h;
	return true;
}

/* Copy a NUL-terminated string into a fixed buffer, truncating. */
void
cqp_job_scopy(char *dst, size_t n, const char *src)
{
	size_t		l = src ? strlen(src) : 0;

	if (l >= n)
		l = n - 1;
	memcpy(dst, src ? src : "", l);
	dst[l] = '\0';
}

void
cqp_job_signal_fd(CqJob *job)
{
	uint64_t	one = 1;
	ssize_t		r = write(job->efd, &one, sizeof(one));

	(void) r;					/* EAGAIN: counter saturated, still readable */
}

void
cqp_job_req_free(CqpReq *req)
{
	if (!req)
		return;
	cqp_http_reset(req);
	free(req->url);
	free(req->hyd_err);
	free(req);
}

/* New request of unit u; takes ownership of url.  job->mu held. */
CqpReq *
cqp_job_new_req_locked(CqJob *job, CqpUnit *u, char *url, int64_t index, bool seq)
{
	CqpReq	   *r = calloc(1, sizeof(CqpReq));

	if (!r)
	{
		free(url);
		return NULL;
	}
	r->unit = u;
	r->http = &job->http;
	r->cred = u->cred;
	r->kube = u->kube;
	r->url = url;
	r->page_index = index;
	r->seq = seq;
	u->outstanding++;
	return r;
}

void
cqp_job_push_ready_locked(CqJob *job, CqpReq *r, bool front)
{
	r->next = NULL;
	if (front)
	{
		r->next = job->ready_h;
		job->ready_h = r;
		if (!job->ready_t)
			job->ready_t = r;
	}
	else
	{
		if (job->ready_t)
			job->ready_t->next = r;
		else
			job->ready_h = r;
		job->ready_t = r;
	}
	CQP_TRACE(job, 'q', "uready", CQP_TRACE_UNIT(r->unit));
	/*
	 * only if the I/O thread would start it now: with every slot busy, or
	 * before its last look at the queue, it finds the request by itself
	 * (a wake-up per request cost a write, a wake-up and an extra poll)
	 */
	if (job->multi && atomic_exchange(&job->io_idle, false))
		cqp_job_io_wake_locked(job);
}

/* Wake the I/O thread from its poll, counted.  job->mu held. */
void
cqp_job_io_wake_locked(CqJob *job)
{
	job->st.io_wakeups++;
	curl_multi_wakeup(job->multi);
}

void
cqp_job_wake_locked(CqJob *job)
{
	pthread_cond_broadcast(&job->cv);
	if (job->multi)
		cqp_job_io_wake_locked(job);
	cqp_job_signal_fd(job);
}

void
cqp_job_finish_locked(CqJob *job)
{
	if (!job->finished && !job->failed)
		job->finished = true;
	atomic_store(&job->stop, true);
	cqp_job_wake_locked(job);
}

void
cqp_job_fail_job_locked(CqJob *job, const CqError *err)
{
	if (!job->failed && !job->finished)
	{
		job->failed = true;
		job->err = *err;
		/* response text may echo a credential: cqp_error_redact */
		cqp_error_redact(&job->err, &job->params.cred);
	}
	atomic_store(&job->stop, true);
	cqp_job_wake_locked(job);
}

void
cqp_job_range_remove_locked(CqJob *job, CqpUnit *u)
{
	CqpUnit   **pp = &job->ranges_h;

	while (*pp && *pp != u)
		pp = &(*pp)->range_next;
	if (*pp)
		*pp = u->range_next;
	u->range_next = NULL;
	u->in_ranges = false;
	free(u->range_url);
	u->range_url = NULL;
}

/*
 * A unit may have finished: no request outstanding, no child running, no
 * range left.  A finished unit is freed (the caller must not touch it
 * after this call); propagates to the parent unit, lets the fan-out cursor
 * make the next units, and finishes the job when no unit is active.
 * job->mu held.
 */
void
cqp_job_unit_check_locked(CqJob *job, CqpUnit *u)
{
	while (u && !u->finished && u->outstanding == 0 && u->children == 0 &&
		   !u->in_ranges)
	{
		if (u->deferred)
		{
			CqpReq	   *r = u->deferred;

			u->deferred = NULL;
			if (!u->failed && !atomic_load(&job->stop))
			{
				u->outstanding++;
				cqp_job_push_ready_locked(job, r, false);
				return;
			}
			cqp_job_req_free(r);
		}
		u->finished = true;
		job->units_active--;
		{
			CqpUnit    *parent = u->parent;

			cqp_job_unit_drop_locked(job, u);	/* freed: memory per live unit */
			u = parent;
		}
		if (u)
			u->children--;
	}
	/* a fan-out unit finished: the cursor makes the next ones */
	if (job->ucur)
		cqp_job_units_refill_locked(job);
	if (job->units_active <= 0)
		cqp_job_finish_locked(job);
}

/* Drop a request whose work is over.  job->mu held. */
void
cqp_job_req_done_locked(CqJob *job, CqpReq *req)
{
	CqpUnit    *u = req->unit;

	cqp_job_req_free(req);
	u->outstanding--;
	cqp_job_unit_check_locked(job, u);
	/*
	 * its body was released: a paused transfer may resume, a transfer held
	 * back for the budget may start (else the I/O thread would sleep until
	 * its poll timeout: budget_stalls)
	 */
	if (job->multi && (atomic_load(&job->npaused) > 0 || atomic_load(&job->budget_blocked)))
		cqp_job_io_wake_locked(job);
}

/* A unit failed: skip it (skip_failed_units) or fail the job.  mu held. */
void
cqp_job_unit_fail_locked(CqJob *job, CqpUnit *u, CqError *err)
{
	if (u && u->label[0] && !err->unit[0])
		cqp_job_scopy(err->unit, sizeof(err->unit), u->label);
	if (u && job->params.settings.skip_failed_units &&
		err->kind != CQ_ERR_NOMEM && err->kind != CQ_ERR_INTERNAL &&
		err->kind != CQ_ERR_CANCELED)
	{
		if (!u->failed)
		{
			u->failed = true;
			job->st.units_failed++;
			if (job->nferrs == job->ferrcap)
			{
				int			nc = job->ferrcap ? job->ferrcap * 2 : 8;
				CqError    *ne = realloc(job->ferrs, (size_t) nc * sizeof(CqError));

				if (ne)
				{
					job->ferrs = ne;
					job->ferrcap = nc;
				}
			}
			if (job->nferrs < job->ferrcap)
			{
				job->ferrs[job->nferrs] = *err;
				cqp_error_redact(&job->ferrs[job->nferrs++], &job->params.cred);
			}
		}
		if (u->in_ranges)
			cqp_job_range_remove_locked(job, u);
		if (u->deferred)
		{
			cqp_job_req_free(u->deferred);
			u->deferred = NULL;
		}
		return;
	}
	cqp_job_fail_job_locked(job, err);
}

void
cqp_job_fail_req(CqJob *job, CqpReq *req, CqError *err)
{
	/* a detail call: its row's policy, on a worker (job_hydrate.c) */
	if (req->hyd_page)
	{
		cqp_job_hydrate_fail(job, req, err);
		return;
	}
	pthread_mutex_lock(&job->mu);
	cqp_job_unit_fail_locked(job, req->unit, err);
	cqp_job_req_done_locked(job, req);
	pthread_mutex_unlock(&job->mu);
}
