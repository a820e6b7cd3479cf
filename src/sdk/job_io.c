/*-------------------------------------------------------------------------
 *
 * job_io.c
 *		  The I/O thread: one libcurl multi handle running every transfer
 *		  of a job, the retry timers, and the memory budget (see job.c's
 *		  banner for the formula).
 *
 * Invariants:
 *	- only the I/O thread touches the multi handle, the easy handles, the
 *	  in-flight list, the retry timers, pause state and the budget's lead;
 *	  other threads reach it through the ready queue (under job->mu) and
 *	  curl_multi_wakeup, which a push sends only when the I/O thread has a
 *	  free slot and waits (job->io_idle, set before its last look at the
 *	  queue, so no push is missed);
 *	- a transfer starts only when budget_ok allows it (committed + P <=
 *	  memory_budget, no transfer paused) or when nothing else is in flight,
 *	  parsed or queued, so a job always progresses; a body grows past its
 *	  reservation only within the budget, else the transfer pauses (HTTP/1.x)
 *	  until memory is freed, except for one lead when nothing else can free
 *	  memory;
 *	- every completed transfer is dispatched once by on_done: a 2xx body to
 *	  the parse queue, a redirect back to the front of the ready queue, a
 *	  retry to the timers, a failure to its unit; on stop every transfer and
 *	  waiting retry is dropped before io_main returns.
 *
 * Copyright (c) 2026, cq_fdw developers
 *
 *-------------------------------------------------------------------------
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <curl/curl.h>

#include "cq_sdk_int.h"
#include "job_int.h"

/* ------------------------------------------------------------------------
 * I/O thread
 * ------------------------------------------------------------------------ */

/*
 * Bytes committed (see job.c's banner): held, what transfers in flight
 * other than `except` reserved and have not received yet, and the batches
 * expected from pages waiting for or under parsing.  I/O thread.
 */
static size_t
committed(CqJob *job, const CqpReq *except)
{
	size_t		c = atomic_load(&job->acct->held);
	size_t		b = atomic_load(&job->batch_expect);

	for (CqpReq *q = job->inflight_h; q; q = q->next)
		if (q != except && q->reserve > q->charged)
			c += q->reserve - q->charged;
	return c + (size_t) atomic_load(&job->parsing) * (b ? b : DEFAULT_PAGE_EXPECT);
}

/* Nothing but `req` can free memory: every other transfer in flight is
 * paused, no page is waiting for or under parsing, none queued. */
static bool
only_way_forward(CqJob *job, const CqpReq *req)
{
	for (CqpReq *q = job->inflight_h; q; q = q->next)
		if (q != req && !q->paused)
			return false;
	return atomic_load(&job->parsing) == 0 && atomic_load(&job->out_count) == 0;
}

/*
 * http->grow: may `req` allocate n more body bytes?  Within its reservation
 * or the budget, yes; past them only as the lead (one at a time, when
 * nothing else can free memory).  False pauses it.  I/O thread (the write
 * callback).
 */
/* May req's body buffer be charged `want` bytes in all?  I/O thread. */
static bool
may_grow(CqJob *job, const CqpReq *req, size_t want)
{
	if (req->lead || want <= req->reserve)
		return true;
	/* held counts req->charged already */
	if (committed(job, req) - req->charged + want <= job->params.settings.memory_budget)
		return true;
	return !job->lead && only_way_forward(job, req);
}

bool
cqp_job_io_grow(void *ud, CqpReq *req, size_t n)
{
	CqJob	   *job = ud;
	size_t		want = req->charged + n;

	if (!may_grow(job, req, want))
	{
		req->want = want;
		CQP_TRACE(job, 'i', "pause", req->page_index);
		return false;
	}
	if (!req->lead && want > req->reserve &&
		committed(job, req) - req->charged + want > job->params.settings.memory_budget)
	{
		req->lead = true;		/* nothing else can free memory */
		job->lead = req;
	}
	return true;
}

/*
 * Resume the transfers paused at the budget that may now take what they
 * asked for (memory was freed, or one becomes the lead): libcurl hands the
 * refused bytes to the write callback again, within curl_easy_pause.
 * Publishes the number still paused.  I/O thread.
 */
static void
resume_transfers(CqJob *job)
{
	int			npaused = 0;

	for (CqpReq *q = job->inflight_h; q && !atomic_load(&job->stop); q = q->next)
	{
		if (!q->paused)
			continue;
		if (may_grow(job, q, q->want))
		{
			q->paused = false;
			CQP_TRACE(job, 'i', "resume", q->page_index);
			curl_easy_pause(q->easy, CURLPAUSE_CONT);
		}
		npaused += q->paused;
	}
	atomic_store(&job->npaused, npaused);
}

static bool
budget_ok(CqJob *job)
{
	size_t		exp = atomic_load(&job->page_expect);

	if (exp == 0)
		exp = DEFAULT_PAGE_EXPECT;
	if (atomic_load(&job->npaused) == 0 &&
		committed(job, NULL) + exp <= job->params.settings.memory_budget)
		return true;
	/* progress: nothing in flight, parsing or waiting for the consumer */
	return job->inflight == 0 && atomic_load(&job->parsing) == 0 &&
		atomic_load(&job->out_count) == 0;
}

/* Next request to start: ready queue first, then known page ranges. mu held. */
static CqpReq *
take_req_locked(CqJob *job)
{
	CqpReq	   *r = job->ready_h;
	CqpUnit    *u;
	char		num[32];
	char	   *url;

	if (r)
	{
		job->ready_h = r->next;
		if (!job->ready_h)
			job->ready_t = NULL;
		r->next = NULL;
		return r;
	}
	while ((u = job->ranges_h) != NULL)
	{
		if (u->failed || u->range_cur > u->range_to)
		{
			cqp_job_range_remove_locked(job, u);
			cqp_job_unit_check_locked(job, u);
			continue;
		}
		snprintf(num, sizeof(num), "%" PRId64, u->range_cur);
		url = cqp_url_set_param(u->range_url, u->range_param, num);
		r = url ? cqp_job_new_req_locked(job, u, url, u->range_cur, false) : NULL;
		u->range_cur += u->range_step;
		if (u->range_cur > u->range_to)
		{
			cqp_job_range_remove_locked(job, u);
			/* move on fairly: nothing else to do for this unit's range */
		}
		if (r)
			return r;
	}
	return NULL;
}

/*
 * May one more request start under the job's rate gate (settings.rate_gate,
 * shared with other jobs and processes)?  Asks only when a request is
 * waiting, so an idle job takes no token.  On "wait", pauses the job's
 * starts until then and counts the wait.  I/O thread.
 */
static bool
gate_allows(CqJob *job)
{
	bool		waiting;
	int64_t		w;

	pthread_mutex_lock(&job->mu);
	waiting = job->ready_h != NULL || job->ranges_h != NULL;
	pthread_mutex_unlock(&job->mu);
	if (!waiting)
		return false;
	w = cq_rate_gate_take(job->params.settings.rate_gate, cq_monotonic_us());
	if (w <= 0)
		return true;
	job->pause_until = cqp_now_ms() + (w + 999) / 1000;
	pthread_mutex_lock(&job->mu);
	job->st.ratelimit_waits++;
	job->st.ratelimit_wait_ms += (double) w / 1000.0;
	pthread_mutex_unlock(&job->mu);
	return false;
}

/*
 * What a finished transfer tells the job's rate gate: a rate-limit refusal
 * blocks and slows every holder of the gate, a success reports the quota
 * headers.  I/O thread.
 */
static void
gate_feedback(CqJob *job, const CqpReq *req, CqpOutcome oc, long wait,
			  const CqError *err)
{
	CqRateGate *g = job->params.settings.rate_gate;
	int64_t		now = cq_monotonic_us();

	if (g == NULL)
		return;
	if ((oc == CQP_RETRY || oc == CQP_FAIL) && err->kind == CQ_ERR_RATE_LIMIT)
		cq_rate_gate_throttled(g, now, (int64_t) wait * 1000);
	else if (oc == CQP_OK)
		cq_rate_gate_success(g, now, req->rl_left,
							 req->rl_reset_in_ms >= 0 ? req->rl_reset_in_ms * 1000 : -1);
}

/* Start what the slots, budget and gates allow; returns how many started. */
static int
start_transfers(CqJob *job)
{
	int			conc = job->params.settings.concurrency;
	int			started = 0;

	while (job->inflight < conc && !atomic_load(&job->stop))
	{
		CqpReq	   *req;
		CqError		err;
		bool		with_auth;

		if (job->pause_until && cqp_now_ms() < job->pause_until)
			break;
		if (!budget_ok(job))
		{
			/*
			 * Held back: say so, then look again, so that memory freed in
			 * between is not missed -- whoever frees memory from now on
			 * sees the flag and wakes this thread (cqp_job_req_done_locked,
			 * cq_job_next).
			 */
			atomic_store(&job->budget_blocked, true);
			if (!budget_ok(job))
			{
				CQP_TRACE(job, 'i', "budget_block", job->inflight);
				break;
			}
		}
		atomic_store(&job->budget_blocked, false);
		if (job->params.settings.rate_gate && !gate_allows(job))
			break;
		pthread_mutex_lock(&job->mu);
		req = take_req_locked(job);
		if (req && (req->unit->failed || atomic_load(&job->stop)))
		{
			cqp_job_req_done_locked(job, req);
			pthread_mutex_unlock(&job->mu);
			continue;
		}
		if (req && req->attempt == 0 && req->redirects == 0 && !req->hyd_page)
		{
			/* a new page: the per-job page cap (max_pages) */
			int64_t		cap = job->params.settings.max_pages;

			if (cap > 0 && job->pages_started >= cap)
			{
				cq_error_set(&err, CQ_ERR_LIMIT,
							 "the scan needs more pages than its limit of %lld",
							 (long long) cap);
				snprintf(err.setting, sizeof(err.setting), "max_pages");
				cq_redact_url(req->url, err.url, sizeof(err.url));
				cqp_job_fail_job_locked(job, &err);
				cqp_job_req_done_locked(job, req);
				pthread_mutex_unlock(&job->mu);
				break;
			}
			job->pages_started++;
		}
		if (req)
			job->st.requests++;
		if (req && req->hyd_page)
			job->st.detail_requests++;
		else if (req && req->unit->is_parent)
			job->st.parent_requests++;
		else if (req && req->unit->is_describe)
			job->st.describe_requests++;
		pthread_mutex_unlock(&job->mu);
		if (!req)
			break;
		memset(&err, 0, sizeof(err));
		if (req->s3_region[0] && !req->hyd_page &&
			(!req->unit->aws_region || strcmp(req->unit->aws_region, req->s3_region) != 0))
		{
			/* S3: the bucket is in another region (http.c s3_moved): its
			 * unit signs for it, and its host is the bucket's from now on */
			char	   *r = strdup(req->s3_region);
			char	   *o = strdup(req->url);

			if (r && o)
			{
				CqpUnit    *u = req->unit;
				const CqTableDef *t = job->table;

				free(u->aws_region);
				u->aws_region = r;
				free(u->origin_url);
				u->origin_url = o;
				/* the rows' region column is the bucket's region too */
				for (int k = 0; k < t->nkeys; k++)
					for (int i = 0; t->keys[k].in == CQ_IN_REGION && i < u->na; i++)
						if (strcmp(u->an[i], t->keys[k].param) == 0)
						{
							char	   *v = strdup(r);

							if (v)
							{
								free(u->av[i]);
								u->av[i] = v;
							}
						}
			}
			else
			{
				free(r);
				free(o);
			}
		}
		req->sigv4_region = req->unit->aws_region;
		with_auth = cqp_url_same_origin(req->url, req->unit->origin_url);
		if (req->hyd_page && req->s3_region[0] && job->table->aws)
		{
			/*
			 * S3 detail call for a bucket of another region (http.c
			 * s3_moved): this request alone is signed for the bucket's
			 * region, and sent with credentials only to that region's S3
			 * host (or the server's base_url); the listing unit stays.
			 */
			char	   *b = cqp_aws_base_url(job->table->aws, job->base_url, req->s3_region);

			req->sigv4_region = req->s3_region;
			with_auth = with_auth || (b && cqp_url_same_origin(req->url, b));
			free(b);
		}
		req->aws_regions = req->unit->is_regions;
		req->aws_op = req->unit->is_parent ? CQP_AWS_OP_PARENT :
			req->unit->is_describe ? CQP_AWS_OP_DESCRIBE : CQP_AWS_OP_TABLE;
		if (job->table->method && !job->table->aws && !req->unit->is_parent && !req->hyd_page)
		{
			/*
			 * A list read by POST (spec "method", GCP listManagedInstances):
			 * it changes nothing, so like a GET it is retried on 429/5xx and
			 * transport errors (the retry path never looks at the method),
			 * and its next page is the same POST with the token in the
			 * query string.  The parent listing and detail calls are GETs.
			 */
			req->method = job->table->method;
			req->post_body = job->table->body ? job->table->body : "";
			req->post_len = job->table->body ? strlen(job->table->body) : 0;
			req->content_type = "application/json";
		}
		if (!cqp_http_prepare(&job->http, req, with_auth, &err))
		{
			cqp_job_fail_req(job, req, &err);
			continue;
		}
		if (curl_multi_add_handle(job->multi, req->easy) != CURLM_OK)
		{
			cq_error_set(&err, CQ_ERR_INTERNAL, "cannot add a transfer");
			cqp_job_fail_req(job, req, &err);
			continue;
		}
		{
			size_t		exp = atomic_load(&job->page_expect);

			req->reserve = exp ? exp : DEFAULT_PAGE_EXPECT;
		}
		CQP_TRACE(job, 'i', "start", req->page_index);
		CQP_TRACE(job, 'i', "ustart", CQP_TRACE_UNIT(req->unit));
		req->next = job->inflight_h;
		job->inflight_h = req;
		job->inflight++;
		started++;
		pthread_mutex_lock(&job->mu);
		job->st.in_flight = (uint64_t) job->inflight;
		pthread_mutex_unlock(&job->mu);
	}
	return started;
}

static void
timer_insert(CqJob *job, CqpReq *req)
{
	CqpReq	  **pp = &job->timers;

	while (*pp && (*pp)->due_ms <= req->due_ms)
		pp = &(*pp)->next;
	req->next = *pp;
	*pp = req;
}

static void
on_done(CqJob *job, CURL *easy, CURLcode rc)
{
	CqpReq	   *req = NULL;
	CqpReq	  **pp;
	int64_t		now = cqp_now_ms();
	long		wait = 0;
	CqError		err;
	CqpOutcome	oc;
	long		status = 0;

	curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **) &req);
	curl_multi_remove_handle(job->multi, easy);
	for (pp = &job->inflight_h; *pp; pp = &(*pp)->next)
		if (*pp == req)
		{
			*pp = req->next;
			break;
		}
	req->next = NULL;
	job->inflight--;
	CQP_TRACE(job, 'i', "done", req->page_index);
	CQP_TRACE(job, 'i', "udone", CQP_TRACE_UNIT(req->unit));
	if (job->lead == req)
		job->lead = NULL;
	req->paused = req->lead = false;
	oc = cqp_http_finish(&job->http, req, (int) rc, now, &wait, &err);
	if (oc == CQP_OK && req->body.len == 0 && req->easy)
		curl_easy_getinfo(req->easy, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_cleanup(req->easy);
	req->easy = NULL;

	pthread_mutex_lock(&job->mu);
	job->st.api_wait_ms += (double) (now - req->t_start_ms);
	job->st.bytes += req->body.len;
	job->st.in_flight = (uint64_t) job->inflight;
	pthread_mutex_unlock(&job->mu);
	gate_feedback(job, req, oc, wait, &err);

	switch (oc)
	{
		case CQP_OK:
			if (req->rl_pause_until_ms > job->pause_until)
			{
				pthread_mutex_lock(&job->mu);
				job->st.ratelimit_wait_ms += (double) (req->rl_pause_until_ms - now);
				pthread_mutex_unlock(&job->mu);
				job->pause_until = req->rl_pause_until_ms;
			}
			pthread_mutex_lock(&job->mu);
			if (!req->hyd_page)
				job->st.pages++;
			/* read as no rows; 204 No Content says so on purpose */
			if (req->body.len == 0 && status != 204)
				job->st.empty_bodies++;
			atomic_fetch_add(&job->parsing, 1);
			req->next = NULL;
			if (job->parse_t)
				job->parse_t->next = req;
			else
				job->parse_h = req;
			job->parse_t = req;
			pthread_cond_signal(&job->cv);
			pthread_mutex_unlock(&job->mu);
			break;
		case CQP_REDIRECT:
			{
				cqp_http_reset(req);
				pthread_mutex_lock(&job->mu);
				cqp_job_push_ready_locked(job, req, true);
				pthread_mutex_unlock(&job->mu);
				break;
			}
		case CQP_RETRY:
			cqp_http_reset(req);
			req->attempt++;
			req->due_ms = now + wait;
			pthread_mutex_lock(&job->mu);
			job->st.retries++;
			job->st.ratelimit_wait_ms += (double) wait;
			pthread_mutex_unlock(&job->mu);
			timer_insert(job, req);
			break;
		case CQP_FAIL:
			cqp_http_reset(req);
			cqp_job_fail_req(job, req, &err);
			break;
	}
}

void *
cqp_job_io_main(void *arg)
{
	CqJob	   *job = arg;

	while (!atomic_load(&job->stop))
	{
		int			running = 0;
		int			q;
		CURLMsg    *m;
		int64_t		now = cqp_now_ms();
		long		tmo = 100;
		bool		blocked;

		/* due retries go first */
		if (job->timers && job->timers->due_ms <= now)
		{
			pthread_mutex_lock(&job->mu);
			while (job->timers && job->timers->due_ms <= now)
			{
				CqpReq	   *r = job->timers;

				job->timers = r->next;
				cqp_job_push_ready_locked(job, r, true);
			}
			pthread_mutex_unlock(&job->mu);
		}
		start_transfers(job);
		curl_multi_perform(job->multi, &running);
		while ((m = curl_multi_info_read(job->multi, &q)) != NULL)
			if (m->msg == CURLMSG_DONE)
				on_done(job, m->easy_handle, m->data.result);
		if (atomic_load(&job->stop))
			break;
		resume_transfers(job);

		/*
		 * From here to the poll, a request queued by another thread wakes
		 * this thread, if a slot is free: the flag is set before this last
		 * look at the queue (take_req_locked, under mu), so a push after
		 * it sees the flag, and the wake-up is kept until the poll.  With
		 * every slot busy, only a transfer's end (on its socket) lets one
		 * more start, and then the loop looks at the queue again.
		 */
		atomic_store(&job->io_idle,
					 job->inflight < job->params.settings.concurrency);
		if (start_transfers(job) == 0)
			goto wait;			/* a perform polls every transfer's socket */
		if (job->inflight >= job->params.settings.concurrency)
			atomic_store(&job->io_idle, false);
		curl_multi_perform(job->multi, &running);
		{
			/*
			 * transfers this perform completed: dispatch them and look
			 * again at once (their slots are free), not after a poll
			 */
			bool		done = false;

			while ((m = curl_multi_info_read(job->multi, &q)) != NULL)
				if (m->msg == CURLMSG_DONE)
				{
					on_done(job, m->easy_handle, m->data.result);
					done = true;
				}
			if (done)
			{
				atomic_store(&job->io_idle, false);
				continue;
			}
		}

wait:
		now = cqp_now_ms();
		if (job->timers)
		{
			long		d = (long) (job->timers->due_ms - now);

			if (d < tmo)
				tmo = d < 0 ? 0 : d;
		}
		if (job->pause_until > now && job->pause_until - now < tmo)
			tmo = (long) (job->pause_until - now);
		CQP_TRACE(job, 'i', "poll", tmo);
		blocked = atomic_load(&job->budget_blocked);
		curl_multi_poll(job->multi, NULL, 0, (int) tmo, NULL);
		atomic_store(&job->io_idle, false);	/* the loop looks first */
		CQP_TRACE(job, 'i', "polled", job->inflight);
		if (blocked && tmo > 0 && cqp_now_ms() - now >= tmo && budget_ok(job))
		{
			/* no one woke us when memory was freed: a late start */
			pthread_mutex_lock(&job->mu);
			if (job->ready_h != NULL || job->ranges_h != NULL)
				job->st.budget_stalls++;
			pthread_mutex_unlock(&job->mu);
		}
	}

	/* stopping: drop every transfer and waiting retry */
	while (job->inflight_h)
	{
		CqpReq	   *r = job->inflight_h;

		job->inflight_h = r->next;
		curl_multi_remove_handle(job->multi, r->easy);
		cqp_job_req_free(r);
	}
	job->inflight = 0;
	job->lead = NULL;
	atomic_store(&job->npaused, 0);
	while (job->timers)
	{
		CqpReq	   *r = job->timers;

		job->timers = r->next;
		cqp_job_req_free(r);
	}
	cqp_trace_rusage(job->trace, 'i');
	return NULL;
}
