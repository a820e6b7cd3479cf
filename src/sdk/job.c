/*-------------------------------------------------------------------------
 *
 * job.c
 *		  The scheduler: one scan of one table as a set of units (fan-out
 *		  over key values, server-option lists and parent rows), run by one
 *		  libcurl multi I/O thread and a pool of parse workers, delivering
 *		  typed row batches through a queue signalled by an eventfd.
 *
 * Threads (all created with every signal blocked):
 *	- the consumer (a PostgreSQL backend's main thread) calls only the
 *	  cq_job_* functions below; none of them blocks for long (cq_job_free
 *	  joins threads that notice the stop flag within one poll timeout,
 *	  100 ms, or one page parse);
 *	- the I/O thread owns the curl multi handle, every easy handle, the
 *	  retry timer list and the in-flight list; it alone starts transfers;
 *	- parse workers take completed bodies, parse and extract rows, decide
 *	  the next page and push batches.
 *
 * Locking: job->mu protects the ready/parse/output queues, unit state,
 * failure/finish flags, failed-unit records and the stats; it is never held
 * across I/O, parsing or a curl call other than curl_multi_wakeup.
 * job->wmu protects column warnings.  Memory held is accounted with atomics
 * in a refcounted CqpAcct that batches keep alive after cq_job_free.
 *
 * Memory budget.  `held` (job->acct) is what the job holds: the buffers of
 * response bodies as they are received (in flight, waiting or being
 * parsed: a body's bytes also stand for its parsed document until the page
 * is done) plus batches not yet freed by the consumer.  Bytes committed are
 *		held + R + parsing * B
 * where R is what transfers in flight reserved and have not yet received
 * (each reserves P, the largest footprint -- body + batches -- of one page
 * seen so far, 1 MB before the first page) and B the largest batches of
 * one page seen so far (1 MB before the first) for each page waiting for or
 * under parsing.  The I/O thread
 *	- starts a transfer only when committed + P <= memory_budget and no
 *	  transfer is paused, or when nothing is in flight, being parsed or
 *	  queued for the consumer (so a job always progresses);
 *	- lets a body buffer grow past its reservation only when committed
 *	  stays <= memory_budget; otherwise the transfer is paused
 *	  (CURL_WRITEFUNC_PAUSE: libcurl stops reading its socket) and resumed
 *	  when memory is freed -- HTTP/1.x only: an HTTP/2 transfer runs to its
 *	  end (see can_pause in http.c);
 *	- when every transfer in flight is paused and nothing is being parsed
 *	  or queued (nothing else can free memory), lets one transfer, the
 *	  lead, grow past the budget up to max_response_bytes.
 * Hence, over HTTP/1.x, peak_bytes <= memory_budget + one body (the
 * lead's, at most max_response_bytes) + the batches of the pages being
 * parsed beyond B (over HTTP/2: + the bodies in flight beyond P),
 * plus whatever the consumer keeps unfreed.  A canceled job aborts its
 * transfers in the write callback (a large or gzip body stops at once).
 *
 * Order: a unit's pages are sequential (each next page comes from the
 * previous one) unless the remaining pages are known in advance (Link
 * rel="last", or a total row count) and no LIMIT is set; units run
 * concurrently under settings.concurrency.  A parent listing's next page is
 * requested only after every child unit spawned by its current page has
 * finished (depth-first, bounded breadth).
 *
 * Copyright (c) 2026, cq_fdw developers
 *
 *-------------------------------------------------------------------------
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE				/* strtod_l, newlocale */
#endif
#include <errno.h>
#include <inttypes.h>
#include <locale.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <curl/curl.h>

#include "cq_sdk_int.h"

#define DEFAULT_PAGE_EXPECT (1024 * 1024)
#define MAX_UNITS 1000000

typedef struct FastPlan FastPlan;

typedef struct BatchImpl
{
	CqBatch		b;				/* first: a CqBatch * is a BatchImpl * */
	CqpAcct    *acct;			/* reference held until cq_batch_free */
} BatchImpl;

typedef struct CqpUnit
{
	struct CqpUnit *all_next;	/* every unit of the job (for freeing) */
	struct CqpUnit *parent;		/* parent-listing unit that spawned it */
	struct CqpUnit *range_next; /* link in job->ranges */
	int			na;				/* assignments param -> value */
	char	  **an;
	char	  **av;
	int		   *acol;			/* table column index, or -1 */
	bool	   *aquery;			/* sent as a query parameter */
	int		   *colval;			/* per output column: assignment or -1 */
	char		label[128];
	bool		is_parent;		/* lists the parent endpoint */
	char	   *origin_url;		/* first URL: credentials go to its origin */
	CqpPager	pager;
	const CqPath *rows;
	/* under job->mu */
	int			outstanding;	/* requests queued, in flight or parsing */
	int			children;		/* unfinished child units */
	CqpReq	   *deferred;		/* parent: next page, after the children */
	char	   *range_url;
	const char *range_param;
	int64_t		range_cur,
				range_to,
				range_step;
	bool		in_ranges;
	uint64_t   *seen;			/* hashes of URLs requested (loop detection) */
	int			nseen,
				seencap;
	bool		failed,
				finished;
} CqpUnit;

struct CqJob
{
	CqJobParams params;			/* deep copy: strings and arrays are owned
								 * (see params_copy); only source, table and
								 * plugin are borrowed */
	void	  **owned;			/* malloc'd blocks of the copy */
	int			nowned,
				capowned;
	const CqTableDef *table;
	CqpHttp		http;
	CqpAcct    *acct;
	CURLM	   *multi;
	int			efd;
	pthread_t	io;
	bool		io_started;
	pthread_t  *workers;
	int			nworkers_started;

	pthread_mutex_t mu;
	pthread_cond_t cv;
	atomic_bool stop;
	CqpReq	   *ready_h,
			   *ready_t;
	CqpReq	   *parse_h,
			   *parse_t;
	CqBatch    *out_h,
			   *out_t;
	atomic_int	parsing;		/* in parse queue or being parsed */
	atomic_int	out_count;
	CqpUnit    *units;
	CqpUnit    *ranges_h;
	int			units_active;
	bool		finished;
	bool		failed;
	CqError		err;
	int64_t		rows_queued;
	atomic_size_t page_expect;
	atomic_size_t batch_expect; /* B: largest batches of one page */
	atomic_int	npaused;		/* transfers paused at the budget */
	CqError    *ferrs;
	int			nferrs,
				ferrcap;
	CqJobStats	st;

	pthread_mutex_t wmu;
	CqColumnWarning *warn;

	FastPlan   *fast;			/* fast extraction plan, NULL = full parse */

	/* paths compiled here */
	CqPath	   *parent_rows;
	CqPath	   *parent_next;
	CqPath	  **map_paths;
	CqPath	   *total;
	const char *base_url;

	/* I/O thread only */
	int64_t		pages_started;	/* first sends (not retries, redirects) */
	CqpReq	   *timers;			/* sorted by due_ms */
	CqpReq	   *inflight_h;
	int			inflight;
	int64_t		pause_until;
	CqpReq	   *lead;			/* in flight, may grow past the budget */
};

static void cqp_job_wake_locked(CqJob *job);

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
static bool
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
static void
cqp_job_scopy(char *dst, size_t n, const char *src)
{
	size_t		l = src ? strlen(src) : 0;

	if (l >= n)
		l = n - 1;
	memcpy(dst, src ? src : "", l);
	dst[l] = '\0';
}

static void
cqp_job_signal_fd(CqJob *job)
{
	uint64_t	one = 1;
	ssize_t		r = write(job->efd, &one, sizeof(one));

	(void) r;					/* EAGAIN: counter saturated, still readable */
}

static void
cqp_job_req_free(CqpReq *req)
{
	if (!req)
		return;
	cqp_http_reset(req);
	free(req->url);
	free(req);
}

/* New request of unit u; takes ownership of url.  job->mu held. */
static CqpReq *
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
	r->url = url;
	r->page_index = index;
	r->seq = seq;
	u->outstanding++;
	return r;
}

static void
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
	if (job->multi)
		curl_multi_wakeup(job->multi);
}

static void
cqp_job_wake_locked(CqJob *job)
{
	pthread_cond_broadcast(&job->cv);
	if (job->multi)
		curl_multi_wakeup(job->multi);
	cqp_job_signal_fd(job);
}

static void
cqp_job_finish_locked(CqJob *job)
{
	if (!job->finished && !job->failed)
		job->finished = true;
	atomic_store(&job->stop, true);
	cqp_job_wake_locked(job);
}

static void
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

static void
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
 * range left.  Propagates to the parent unit, and finishes the job when no
 * unit is active.  job->mu held.
 */
static void
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
		u = u->parent;
		if (u)
			u->children--;
	}
	if (job->units_active <= 0)
		cqp_job_finish_locked(job);
}

/* Drop a request whose work is over.  job->mu held. */
static void
cqp_job_req_done_locked(CqJob *job, CqpReq *req)
{
	CqpUnit    *u = req->unit;

	cqp_job_req_free(req);
	u->outstanding--;
	cqp_job_unit_check_locked(job, u);
	/* its body was released: a paused transfer may resume */
	if (job->multi && atomic_load(&job->npaused) > 0)
		curl_multi_wakeup(job->multi);
}

/* A unit failed: skip it (skip_failed_units) or fail the job.  mu held. */
static void
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

static void
cqp_job_fail_req(CqJob *job, CqpReq *req, CqError *err)
{
	pthread_mutex_lock(&job->mu);
	cqp_job_unit_fail_locked(job, req->unit, err);
	cqp_job_req_done_locked(job, req);
	pthread_mutex_unlock(&job->mu);
}

/* ------------------------------------------------------------------------
 * Units
 * ------------------------------------------------------------------------ */

/* Are all {params} of tmpl among the unit's assignments? */
static bool
tmpl_satisfied(const char *tmpl, int na, char **an)
{
	const char *p = tmpl;

	if (!tmpl)
		return false;
	while ((p = strchr(p, '{')) != NULL)
	{
		const char *e = strchr(p, '}');
		size_t		nl;
		bool		ok = false;

		if (!e)
			break;
		nl = (size_t) (e - p - 1);
		for (int i = 0; i < na; i++)
			if (strlen(an[i]) == nl && memcmp(an[i], p + 1, nl) == 0)
				ok = true;
		if (!ok)
			return false;
		p = e + 1;
	}
	return true;
}

static bool
has_placeholder(const char *tmpl)
{
	return tmpl && strchr(tmpl, '{') && strchr(tmpl, '}');
}

static void
cqp_job_unit_free(CqpUnit *u)
{
	for (int i = 0; i < u->na; i++)
	{
		free(u->an[i]);
		free(u->av[i]);
	}
	free(u->an);
	free(u->av);
	free(u->acol);
	free(u->aquery);
	free(u->colval);
	free(u->origin_url);
	free(u->range_url);
	free(u->seen);
	cqp_job_req_free(u->deferred);
	free(u);
}

/*
 * Build a unit from its assignments and its first request.  Chooses the
 * endpoint (get_endpoint when all its params are given, else endpoint, else
 * the parent listing), fills the template, adds query keys, page size and
 * first page index.  Returns the unit with *first set, or NULL with err.
 * Does not link it into the job (the caller does, under mu).
 */
static CqpUnit *
cqp_job_make_unit(CqJob *job, CqpUnit *parent, int na, const char *const *an,
		  const char *const *av, const int *acol, const bool *aquery,
		  CqpReq **first, CqError *err)
{
	const CqTableDef *t = job->table;
	const CqJobParams *p = &job->params;
	CqpUnit    *u = calloc(1, sizeof(CqpUnit));
	const char *tmpl;
	bool		is_get = false;
	char	   *path = NULL,
			   *url = NULL;
	int64_t		index = -1;
	size_t		lo = 0;

	*first = NULL;
	if (!u)
		goto oom;
	u->parent = parent;
	u->na = na;
	u->an = calloc((size_t) na + 1, sizeof(char *));
	u->av = calloc((size_t) na + 1, sizeof(char *));
	u->acol = calloc((size_t) na + 1, sizeof(int));
	u->aquery = calloc((size_t) na + 1, sizeof(bool));
	u->colval = calloc((size_t) p->nout + 1, sizeof(int));
	if (!u->an || !u->av || !u->acol || !u->aquery || !u->colval)
		goto oom;
	for (int i = 0; i < na; i++)
	{
		u->an[i] = strdup(an[i]);
		u->av[i] = strdup(av[i]);
		if (!u->an[i] || !u->av[i])
			goto oom;
		u->acol[i] = acol[i];
		u->aquery[i] = aquery[i];
		if (acol[i] >= 0 && lo < sizeof(u->label) - 1)
			lo += (size_t) snprintf(u->label + lo, sizeof(u->label) - lo, "%s%s=%s",
									lo ? "," : "", t->columns[acol[i]].name, av[i]);
	}
	if (lo >= sizeof(u->label))
		u->label[sizeof(u->label) - 1] = '\0';
	for (int c = 0; c < p->nout; c++)
	{
		u->colval[c] = -1;
		for (int i = 0; i < na; i++)
			if (acol[i] == p->out_cols[c])
				u->colval[c] = i;
	}

	/* which endpoint */
	if (t->get_endpoint && has_placeholder(t->get_endpoint) &&
		tmpl_satisfied(t->get_endpoint, na, u->an))
	{
		tmpl = t->get_endpoint;
		is_get = true;
	}
	else if (tmpl_satisfied(t->endpoint, na, u->an))
		tmpl = t->endpoint;
	else if (t->parent && !parent)
	{
		tmpl = t->parent->endpoint;
		u->is_parent = true;
	}
	else
		tmpl = t->endpoint;		/* fails below, naming the param */

	path = cqp_expand_template(tmpl, na, (const char *const *) u->an,
							   (const char *const *) u->av, err);
	if (!path)
		goto fail;
	if (strncasecmp(path, "http://", 7) == 0 || strncasecmp(path, "https://", 8) == 0)
	{
		url = path;
		path = NULL;
	}
	else
	{
		size_t		bl;

		if (!job->base_url)
		{
			cq_error_set(err, CQ_ERR_CONFIG, "no base_url: set the server option base_url");
			goto fail;
		}
		bl = strlen(job->base_url);
		url = malloc(bl + strlen(path) + 2);
		if (!url)
			goto oom;
		memcpy(url, job->base_url, bl);
		/* exactly one '/' between them, however many either side has */
		if (path[0] == '/')
			while (bl && url[bl - 1] == '/' && !(bl >= 2 && url[bl - 2] == ':'))
				bl--;
		else if (path[0] && path[0] != '?' && (!bl || url[bl - 1] != '/'))
			url[bl++] = '/';
		strcpy(url + bl, path);
		free(path);
		path = NULL;
	}

	/* query keys (the child's own endpoint only) */
	if (!u->is_parent)
	{
		for (int i = 0; i < na; i++)
		{
			char	   *nu;

			if (!u->aquery[i])
				continue;
			nu = cqp_url_set_param(url, u->an[i], u->av[i]);
			if (!nu)
				goto oom;
			free(url);
			url = nu;
		}
	}

	/* pager */
	memset(&u->pager, 0, sizeof(u->pager));
	if (u->is_parent)
	{
		const CqParentDef *pd = t->parent;

		u->pager.style = pd->pagination;
		u->pager.next = job->parent_next;
		u->pager.next_param = pd->next_param;
		u->pager.page_size = pd->page_size;
		u->pager.concurrent = false;	/* depth-first: one parent page at a time */
		u->rows = job->parent_rows;
		if (pd->page_size_param && pd->page_size > 0)
		{
			char		num[32];
			char	   *nu;

			snprintf(num, sizeof(num), "%d", pd->page_size);
			nu = cqp_url_set_param(url, pd->page_size_param, num);
			if (!nu)
				goto oom;
			free(url);
			url = nu;
		}
	}
	else
	{
		int64_t		ps = t->page_size;

		u->pager.style = t->pagination;
		if (is_get && (t->pagination == CQ_PAGE_PAGE_NUMBER ||
					   t->pagination == CQ_PAGE_OFFSET))
			u->pager.style = CQ_PAGE_NONE;	/* a get must not page forever */
		u->pager.next = t->cnext;
		u->pager.next_param = t->next_param;
		u->pager.total = job->total;
		u->pager.concurrent = (p->limit < 0);
		u->rows = (is_get && t->cget_rows) ? t->cget_rows : t->crows;
		if (p->limit >= 0 && t->supports_limit && t->page_size_param &&
			(ps <= 0 || p->limit < ps))
			ps = p->limit > 0 ? p->limit : 1;
		u->pager.page_size = (int) ps;
		if (t->page_size_param && ps > 0)
		{
			char		num[32];
			char	   *nu;

			snprintf(num, sizeof(num), "%" PRId64, ps);
			nu = cqp_url_set_param(url, t->page_size_param, num);
			if (!nu)
				goto oom;
			free(url);
			url = nu;
		}
		if (!t->page_size_param)
			u->pager.page_size = 0;
	}
	if ((u->pager.style == CQ_PAGE_PAGE_NUMBER || u->pager.style == CQ_PAGE_OFFSET) &&
		u->pager.next_param)
	{
		char	   *nu;

		index = (u->pager.style == CQ_PAGE_PAGE_NUMBER) ? 1 : 0;
		nu = cqp_url_set_param(url, u->pager.next_param, index ? "1" : "0");
		if (!nu)
			goto oom;
		free(url);
		url = nu;
	}
	if (strlen(url) > CQP_MAX_URL_LEN)
	{
		/* say which value made it long: not a policy matter */
		int			longest = -1;

		for (int i = 0; i < na; i++)
			if (longest < 0 || strlen(av[i]) > strlen(av[longest]))
				longest = i;
		if (longest >= 0 && acol[longest] >= 0)
			cq_error_set(err, CQ_ERR_LIMIT,
						 "request URL of %zu bytes is longer than the limit of %d bytes; the value for column %s is %zu bytes",
						 strlen(url), CQP_MAX_URL_LEN, t->columns[acol[longest]].name,
						 strlen(av[longest]));
		else
			cq_error_set(err, CQ_ERR_LIMIT,
						 "request URL of %zu bytes is longer than the limit of %d bytes",
						 strlen(url), CQP_MAX_URL_LEN);
		snprintf(err->setting, sizeof(err->setting), "url_length");
		goto fail;
	}
	if (!cq_net_url_allowed(&p->policy, url, err))
	{
		if (err->kind == CQ_ERR_NONE)
			cq_error_set(err, CQ_ERR_POLICY, "URL not allowed by the outbound policy");
		cq_redact_url(url, err->url, sizeof(err->url));
		goto fail;
	}
	u->origin_url = strdup(url);
	if (!u->origin_url)
		goto oom;
	cqp_job_seen_add(u, url);
	{
		CqpReq	   *r = calloc(1, sizeof(CqpReq));

		if (!r)
			goto oom;
		r->unit = u;
		r->http = &job->http;
		r->url = url;
		r->page_index = index;
		r->seq = true;
		u->outstanding = 1;
		*first = r;
	}
	return u;

oom:
	cq_error_set(err, CQ_ERR_NOMEM, "out of memory building a request");
fail:
	if (u && u->label[0] && !err->unit[0])
		cqp_job_scopy(err->unit, sizeof(err->unit), u->label);
	free(path);
	free(url);
	if (u)
		cqp_job_unit_free(u);
	return NULL;
}

/* Link a new unit and queue its first request.  job->mu held. */
static void
cqp_job_add_unit_locked(CqJob *job, CqpUnit *u, CqpReq *first)
{
	u->all_next = job->units;
	job->units = u;
	job->units_active++;
	job->st.units++;
	if (u->parent)
		u->parent->children++;
	cqp_job_push_ready_locked(job, first, false);
}

/* One fan-out dimension: param takes each of values. */
typedef struct Dim
{
	const char *param;
	int			col;
	bool		query;
	int			n;
	const char **values;
} Dim;

/* Split a comma-separated list (trimmed, empty items dropped); malloc'd. */
static int
split_list(const char *s, char **buf, const char ***items)
{
	int			n = 0;
	char	   *p;
	char	   *save = NULL;

	*buf = strdup(s ? s : "");
	*items = calloc(strlen(*buf) / 2 + 2, sizeof(char *));
	if (!*buf || !*items)
		return -1;
	for (p = strtok_r(*buf, ",", &save); p; p = strtok_r(NULL, ",", &save))
	{
		char	   *e;

		while (*p == ' ' || *p == '\t')
			p++;
		e = p + strlen(p);
		while (e > p && (e[-1] == ' ' || e[-1] == '\t'))
			*--e = '\0';
		if (*p)
			(*items)[n++] = p;
	}
	return n;
}

static int
cqp_job_find_col(const CqTableDef *t, const char *name)
{
	for (int i = 0; i < t->ncolumns; i++)
		if (strcmp(t->columns[i].name, name) == 0)
			return i;
	return -1;
}

static int
op_bit(int op)
{
	for (int b = 0; b < 6; b++)
		if (op == (1 << b))
			return b;
	return -1;
}

/*
 * Build the initial units: the cartesian product of the multi-valued
 * dimensions (key lists, server-option lists), single-valued keys added to
 * every unit.
 */
static bool
cqp_job_build_units(CqJob *job, CqError *err)
{
	const CqTableDef *t = job->table;
	const CqJobParams *p = &job->params;
	Dim		   *dims = calloc((size_t) p->nkeys + (size_t) t->nkeys + 1, sizeof(Dim));
	char	  **bufs = calloc((size_t) t->nkeys + 1, sizeof(char *));
	const char ***lists = calloc((size_t) t->nkeys + 1, sizeof(char **));
	int			nd = 0;
	bool		ok = false;
	size_t		total = 1;
	int		   *idx = NULL;
	const char **an = NULL,
			  **av = NULL;
	int		   *acol = NULL;
	bool	   *aq = NULL;

	if (!dims || !bufs || !lists)
		goto oom;
	for (int k = 0; k < p->nkeys; k++)
	{
		const CqKeyValues *kv = &p->keys[k];
		const CqKeyDef *kd = NULL;

		for (int i = 0; i < t->nkeys; i++)
			if (strcmp(t->keys[i].column, kv->column) == 0)
				kd = &t->keys[i];
		if (!kd)
		{
			cq_error_set(err, CQ_ERR_CONFIG, "column \"%s\" is not a key column of table \"%s\"",
						 kv->column, t->name);
			goto done;
		}
		if (kv->op == CQ_OP_EQ || kv->op == 0)
		{
			dims[nd].param = kd->param ? kd->param : kd->column;
			dims[nd].col = cqp_job_find_col(t, kd->column);
			dims[nd].query = (kd->in == CQ_IN_QUERY);
			dims[nd].n = kv->nvalues;
			dims[nd].values = (const char **) kv->values;
		}
		else
		{
			int			b = op_bit(kv->op);

			if (b < 0 || !kd->op_param[b] || kv->nvalues < 1)
			{
				cq_error_set(err, CQ_ERR_CONFIG, "key column \"%s\" does not accept this operator",
							 kv->column);
				goto done;
			}
			dims[nd].param = kd->op_param[b];
			dims[nd].col = -1;
			dims[nd].query = true;
			dims[nd].n = 1;
			dims[nd].values = (const char **) kv->values;
		}
		nd++;
	}
	/* server-option fan-out for keys without a qual */
	for (int i = 0; i < t->nkeys; i++)
	{
		const CqKeyDef *kd = &t->keys[i];
		bool		given = false;

		if (!kd->server_option)
			continue;
		for (int k = 0; k < p->nkeys; k++)
			if (strcmp(p->keys[k].column, kd->column) == 0)
				given = true;
		if (given)
			continue;
		for (int s = 0; s < p->nserver_opts; s++)
		{
			if (strcmp(p->server_opt_names[s], kd->server_option) != 0)
				continue;
			dims[nd].n = split_list(p->server_opt_values[s], &bufs[i], &lists[i]);
			if (dims[nd].n < 0)
				goto oom;
			dims[nd].param = kd->param ? kd->param : kd->column;
			dims[nd].col = cqp_job_find_col(t, kd->column);
			dims[nd].query = (kd->in == CQ_IN_QUERY);
			dims[nd].values = lists[i];
			nd++;
			break;
		}
	}
	for (int d = 0; d < nd; d++)
	{
		if (dims[d].n == 0)
			total = 0;
		else if (total > MAX_UNITS / (size_t) dims[d].n)
		{
			cq_error_set(err, CQ_ERR_LIMIT, "more than %d fan-out units", MAX_UNITS);
			goto done;
		}
		else
			total *= (size_t) dims[d].n;
	}
	idx = calloc((size_t) nd + 1, sizeof(int));
	an = calloc((size_t) nd + 1, sizeof(char *));
	av = calloc((size_t) nd + 1, sizeof(char *));
	acol = calloc((size_t) nd + 1, sizeof(int));
	aq = calloc((size_t) nd + 1, sizeof(bool));
	if (!idx || !an || !av || !acol || !aq)
		goto oom;
	for (size_t n = 0; n < total; n++)
	{
		CqpUnit    *u;
		CqpReq	   *first;

		for (int d = 0; d < nd; d++)
		{
			an[d] = dims[d].param;
			av[d] = dims[d].values[idx[d]];
			acol[d] = dims[d].col;
			aq[d] = dims[d].query;
		}
		u = cqp_job_make_unit(job, NULL, nd, an, av, acol, aq, &first, err);
		if (!u)
			goto done;
		cqp_job_add_unit_locked(job, u, first);
		for (int d = nd - 1; d >= 0; d--)
		{
			if (++idx[d] < dims[d].n)
				break;
			idx[d] = 0;
		}
	}
	ok = true;
	goto done;

oom:
	cq_error_set(err, CQ_ERR_NOMEM, "out of memory building units");
done:
	for (int i = 0; i < t->nkeys; i++)
	{
		if (bufs)
			free(bufs[i]);
		if (lists)
			free(lists[i]);
	}
	free(bufs);
	free(lists);
	free(dims);
	free(idx);
	free(an);
	free(av);
	free(acol);
	free(aq);
	return ok;
}

/* ------------------------------------------------------------------------
 * Parse workers
 * ------------------------------------------------------------------------ */

/* Does the integer token [p, p+len) (optional '-', digits) overflow int64? */
static bool
int_overflows(const char *p, size_t len)
{
	bool		neg = (len > 0 && *p == '-');
	const char *lim = neg ? "9223372036854775808" : "9223372036854775807";

	if (neg)
	{
		p++;
		len--;
	}
	while (len > 1 && *p == '0')
	{
		p++;
		len--;
	}
	return len > 19 || (len == 19 && memcmp(p, lim, 19) > 0);
}

static double json_real_strtod(const char *p, size_t len);

/*
 * End of the number token starting at s[i] (a '-' or a digit outside a
 * string); *is_real if it has a fraction or an exponent, *unholdable if
 * jansson cannot hold it: an integer beyond int64, or a real beyond the
 * range of a double (jansson refuses the whole text for either one).
 */
static size_t
number_token(const char *s, size_t n, size_t i, bool *is_real, bool *unholdable)
{
	size_t		st = i,
				nint = 0;
	bool		lead = true;
	long		ex = 0,
				zfrac = 0;

	*is_real = *unholdable = false;
	if (i < n && s[i] == '-')
		i++;
	for (; i < n && s[i] >= '0' && s[i] <= '9'; i++)
		if (!(lead && s[i] == '0'))
		{
			lead = false;
			nint++;
		}
	if (i < n && s[i] == '.')
	{
		*is_real = true;
		for (i++; i < n && s[i] >= '0' && s[i] <= '9'; i++)
			if (lead && s[i] == '0')
				zfrac++;
			else
				lead = false;
	}
	if (i < n && (s[i] == 'e' || s[i] == 'E'))
	{
		bool		eneg = false;

		*is_real = true;
		i++;
		if (i < n && (s[i] == '+' || s[i] == '-'))
			eneg = s[i++] == '-';
		for (; i < n && s[i] >= '0' && s[i] <= '9'; i++)
			if (ex < 100000000)
				ex = ex * 10 + (s[i] - '0');
		if (eneg)
			ex = -ex;
	}
	if (!*is_real)
		*unholdable = i - st >= 19 && int_overflows(s + st, i - st);
	else if (!lead && (nint > 0 ? (long) nint : -zfrac) + ex >= 308)
		/* about 1e308 or more: let strtod decide (rare) */
		*unholdable = isinf(json_real_strtod(s + st, i - st));
	return i;
}

/*
 * Cheap pre-scan of a JSON text: nesting depth (strings skipped), string
 * lengths, numbers jansson cannot hold (*nbig counts them so the caller can
 * quote them: one such number must not fail the whole page) and reals
 * (*nreal: a numeric column needs their text, see cqp_job_quote_numbers).
 */
static bool
cqp_job_json_prescan(const char *s, size_t n, int maxdepth, size_t maxstr,
			 size_t *nbig, size_t *nreal, CqError *err)
{
	int			depth = 0;

	*nbig = *nreal = 0;
	for (size_t i = 0; i < n; i++)
	{
		char		c = s[i];

		if (c == '"')
		{
			size_t		start = ++i;

			while (i < n && s[i] != '"')
			{
				if (s[i] == '\\')
					i++;
				i++;
			}
			if (i - start > maxstr)
			{
				cq_error_set(err, CQ_ERR_LIMIT, "JSON string longer than max_string_bytes (%zu bytes)",
							 maxstr);
				snprintf(err->setting, sizeof(err->setting), "max_string_bytes");
				return false;
			}
		}
		else if (c == '[' || c == '{')
		{
			if (++depth > maxdepth)
			{
				cq_error_set(err, CQ_ERR_LIMIT, "JSON nested deeper than %d levels (max_json_depth)",
							 maxdepth);
				snprintf(err->setting, sizeof(err->setting), "max_json_depth");
				return false;
			}
		}
		else if (c == ']' || c == '}')
			depth--;
		else if (c == '-' || (c >= '0' && c <= '9'))
		{
			bool		is_real,
						big;

			i = number_token(s, n, i, &is_real, &big) - 1;
			*nbig += big;
			*nreal += is_real;
		}
	}
	return true;
}

/* Count what cqp_job_json_prescan counts, without its limits (for a member). */
static void
count_numbers(const char *s, size_t n, size_t *nbig, size_t *nreal)
{
	CqError		unused;

	cqp_job_json_prescan(s, n, INT32_MAX, SIZE_MAX, nbig, nreal, &unused);
}

/*
 * Copy of a JSON text where the numbers jansson cannot hold are quoted (so
 * a uint64 id or a numeric column reads them as numeric strings, and an
 * int or float column reports a value error instead of the whole page
 * failing), and with all_reals every real too (numeric columns read these
 * documents: their values keep every digit of the API's text).  nq bounds
 * the numbers quoted.  malloc'd; NULL on OOM.
 */
static char *
cqp_job_quote_numbers(const char *s, size_t n, size_t nq, bool all_reals, size_t *outlen)
{
	char	   *out = malloc(n + 2 * nq + 1);
	size_t		o = 0;

	if (!out)
		return NULL;
	for (size_t i = 0; i < n; i++)
	{
		char		c = s[i];

		if (c == '"')
		{
			size_t		st = i++;

			while (i < n && s[i] != '"')
			{
				if (s[i] == '\\')
					i++;
				i++;
			}
			if (i >= n)
				i = n - 1;
			memcpy(out + o, s + st, i - st + 1);
			o += i - st + 1;
		}
		else if (c == '-' || (c >= '0' && c <= '9'))
		{
			size_t		st = i;
			bool		is_real,
						big,
						q;

			i = number_token(s, n, i, &is_real, &big);
			q = (big || (all_reals && is_real)) && nq > 0;
			if (q)
			{
				nq--;
				out[o++] = '"';
			}
			memcpy(out + o, s + st, i - st);
			o += i - st;
			if (q)
				out[o++] = '"';
			i--;
		}
		else
			out[o++] = c;
	}
	out[o] = '\0';
	*outlen = o;
	return out;
}

/*
 * json_loadb that never refuses a text for one number: on failure, the
 * numbers jansson cannot hold are quoted and the text loaded again.  With
 * exact, every real is quoted (a document for numeric columns).  NULL on
 * invalid JSON or OOM.
 */
static json_t *
cqp_job_load_json(const char *s, size_t n, size_t flags, bool exact, json_error_t *jerr)
{
	json_error_t scratch;
	json_t	   *doc = NULL;
	size_t		nbig = 0,
				nreal = 0,
				ql;
	char	   *qb;

	if (!jerr)
		jerr = &scratch;
	if (!exact && (doc = json_loadb(s, n, flags, jerr)) != NULL)
		return doc;
	count_numbers(s, n, &nbig, &nreal);
	if (nbig == 0 && (!exact || nreal == 0))
		return exact ? json_loadb(s, n, flags, jerr) : NULL;
	qb = cqp_job_quote_numbers(s, n, nbig + (exact ? nreal : 0), exact, &ql);
	if (!qb)
		return NULL;
	doc = json_loadb(qb, ql, flags, jerr);
	free(qb);
	return doc;
}

/* Does any output column of the job read numeric values? */
static bool
cqp_job_reads_numeric(const CqJob *job)
{
	for (int c = 0; c < job->params.nout; c++)
		if (job->table->columns[job->params.out_cols[c]].type.base == CQ_T_NUMERIC)
			return true;
	return false;
}

typedef struct RowVec
{
	json_t	  **v;
	size_t		n,
				cap,
				max;
	bool		over;
	bool		oom;
} RowVec;

static bool
rowvec_push(RowVec *rv, json_t *row)
{
	if (json_is_null(row))
		return true;
	if (rv->n >= rv->max)
	{
		rv->over = true;
		return false;
	}
	if (rv->n == rv->cap)
	{
		size_t		nc = rv->cap ? rv->cap * 2 : 64;
		json_t	  **nv = realloc(rv->v, nc * sizeof(json_t *));

		if (!nv)
		{
			rv->oom = true;
			return false;
		}
		rv->v = nv;
		rv->cap = nc;
	}
	rv->v[rv->n++] = row;
	return true;
}

static bool
cqp_job_collect_rows(json_t *m, void *arg)
{
	RowVec	   *rv = arg;

	if (json_is_array(m))
	{
		size_t		i;
		json_t	   *e;

		json_array_foreach(m, i, e)
			if (!rowvec_push(rv, e))
			return false;
		return true;
	}
	return rowvec_push(rv, m);
}

static void
add_warning(CqJob *job, int c, const CqColumnDef *col, const CqError *verr)
{
	CqColumnWarning *w = &job->warn[c];

	pthread_mutex_lock(&job->wmu);
	if (w->count++ == 0)
	{
		cqp_job_scopy(w->example, sizeof(w->example), verr->api_message);
		cqp_job_scopy(w->path, sizeof(w->path), col->path);
		cqp_job_scopy(w->message, sizeof(w->message), verr->message);
		cqp_text_redact(w->example, sizeof(w->example), &job->params.cred);
		cqp_text_redact(w->message, sizeof(w->message), &job->params.cred);
	}
	pthread_mutex_unlock(&job->wmu);
}

static bool cqp_job_parse_value(CqJob *job, int c, bool from_unit, json_t *v, json_t *tmp,
						CqArena *arena, CqValue *out, CqError *err);

/*
 * Extract output column c of row into out.  false = strict value error.
 * nrow: the same row with every real as its text (cqp_job_quote_numbers), or NULL;
 * numeric columns read it.
 */
static bool
cqp_job_extract_value(CqJob *job, CqpUnit *u, json_t *row, json_t *nrow, int c,
			  CqArena *arena, CqValue *out, CqError *err)
{
	const CqColumnDef *col = &job->table->columns[job->params.out_cols[c]];
	json_t	   *tmp = NULL;
	json_t	   *v;

	if (nrow && col->type.base == CQ_T_NUMERIC)
		row = nrow;
	if (u->colval[c] >= 0)
		v = tmp = json_string(u->av[u->colval[c]]);
	else if (col->cpath && cq_path_has_wildcard(col->cpath))
	{
		v = tmp = json_array();
		if (tmp)
			cqp_path_gather(col->cpath, row, tmp);
	}
	else if (col->cpath)
		v = cq_path_get(col->cpath, row);
	else
		v = json_is_object(row) ? json_object_get(row, col->name) : NULL;

	/*
	 * A json value outlives this page's document in the batch: give the
	 * batch its own copy, so no jansson value is shared between this
	 * worker (which frees the document) and the consumer (which frees the
	 * batch).  jansson's refcounts are not a safe handover between threads.
	 */
	if (col->type.base == CQ_T_JSON && v)
	{
		json_t	   *cp = json_deep_copy(v);

		json_decref(tmp);
		v = tmp = cp;
	}
	return cqp_job_parse_value(job, c, u->colval[c] >= 0, v, tmp, arena, out, err);
}

/* Release a batch's json references for rows [from, nrows). */
static void
cqp_job_decref_values(CqValue *vals, size_t n)
{
	for (size_t i = 0; i < n; i++)
	{
		CqValue    *v = &vals[i];

		if (v->isnull)
			continue;
		if (v->is_array)
		{
			if (v->type == CQ_T_JSON && v->u.arr)
				for (uint32_t k = 0; k < v->len; k++)
					if (!v->u.arr[k].isnull)
						json_decref(v->u.arr[k].u.json);
		}
		else if (v->type == CQ_T_JSON)
			json_decref(v->u.json);
	}
}

/*
 * Queue a batch for the consumer, truncated to the LIMIT.  Returns false
 * (and frees the batch) if the job has stopped.  Takes job->mu.
 */
static bool
cqp_job_push_batch(CqJob *job, BatchImpl *bi)
{
	CqBatch    *b = &bi->b;
	bool		ok = true;

	pthread_mutex_lock(&job->mu);
	if (atomic_load(&job->stop))
		ok = false;
	else
	{
		if (job->params.limit >= 0)
		{
			int64_t		remain = job->params.limit - job->rows_queued;

			if (remain < b->nrows)
			{
				cqp_job_decref_values(b->values + (size_t) (remain < 0 ? 0 : remain) * b->ncols,
							  (size_t) (b->nrows - remain) * b->ncols);
				b->nrows = remain < 0 ? 0 : (int) remain;
			}
		}
		job->rows_queued += b->nrows;
		job->st.rows += (uint64_t) b->nrows;
		b->next = NULL;
		if (job->out_t)
			job->out_t->next = b;
		else
			job->out_h = b;
		job->out_t = b;
		atomic_fetch_add(&job->out_count, 1);
		cqp_job_signal_fd(job);
		if (job->params.limit >= 0 && job->rows_queued >= job->params.limit)
			cqp_job_finish_locked(job);
	}
	pthread_mutex_unlock(&job->mu);
	if (!ok)
		cq_batch_free(b);
	return ok;
}

/*
 * Build and queue batches of rows; adds their bytes to *bytes.  nrows:
 * the same rows for numeric columns (see cqp_job_extract_value), or NULL.
 */
static bool
cqp_job_emit_rows(CqJob *job, CqpUnit *u, json_t **rows, json_t **nrows, size_t n,
		  size_t *bytes, CqError *err)
{
	const CqJobParams *p = &job->params;
	int			ncols = p->nout;
	size_t		per = (size_t) p->settings.batch_rows;

	for (size_t start = 0; start < n; start += per)
	{
		size_t		cnt = n - start < per ? n - start : per;
		BatchImpl  *bi;
		CqArena    *arena;
		CqValue    *vals;
		int			r = 0;

		if (atomic_load(&job->stop))
			return true;
		arena = cq_arena_new(64 * 1024);
		bi = calloc(1, sizeof(BatchImpl));
		vals = arena ? cq_arena_alloc(arena, cnt * (size_t) (ncols ? ncols : 1) * sizeof(CqValue)) : NULL;
		if (!arena || !bi || !vals)
		{
			if (arena)
				cq_arena_free(arena);
			free(bi);
			cq_error_set(err, CQ_ERR_NOMEM, "out of memory building a batch");
			return false;
		}
		memset(vals, 0, cnt * (size_t) (ncols ? ncols : 1) * sizeof(CqValue));
		for (size_t i = start; i < start + cnt; i++)
		{
			json_t	   *row = rows[i];
			json_t	   *nrow = nrows ? nrows[i] : NULL;
			json_t	   *own = NULL,
					   *nown = NULL;
			bool		bad = false;

			if (p->plugin && p->plugin->transform_row)
			{
				own = p->plugin->transform_row(job->table, row);
				if (!own)
					continue;
				row = own;
				nrow = nown = nrow ? p->plugin->transform_row(job->table, nrow) : NULL;
			}
			for (int c = 0; c < ncols && !bad; c++)
				if (!cqp_job_extract_value(job, u, row, nrow, c, arena,
								   &vals[(size_t) r * ncols + c], err))
					bad = true;
			json_decref(own);
			json_decref(nown);
			if (bad)
			{
				cqp_job_decref_values(vals, (size_t) (r + 1) * ncols);
				cq_arena_free(arena);
				free(bi);
				return false;
			}
			r++;
		}
		bi->b.nrows = r;
		bi->b.ncols = ncols;
		bi->b.values = vals;
		bi->b.arena = arena;
		bi->b.bytes = cq_arena_bytes(arena);
		bi->acct = job->acct;
		atomic_fetch_add(&job->acct->refs, 1);
		cqp_acct_add(job->acct, bi->b.bytes);
		*bytes += bi->b.bytes;
		if (!cqp_job_push_batch(job, bi))
			return true;
	}
	return true;
}

/* ------------------------------------------------------------------------
 * Fast page extraction (the hot path)
 *
 * jansson's json_loadb builds a tree of the whole page (a malloc per value,
 * a hash table per object) and is most of the cost of a scan, while a table
 * usually reads a dozen fields of each row.  For an ordinary list page this
 * path instead:
 *	1. validates the whole body with a strict JSON scanner that also
 *	   enforces max_json_depth / max_string_bytes and finds the rows value
 *	   (the table's rows pointer, no wildcard) and counts its rows;
 *	2. for each row object, finds the members named by the first segment of
 *	   the output columns' paths and builds jansson values for those only
 *	   (scalars directly, objects/arrays with json_loadb of the member);
 *	   the rest of the column path (the tail, wildcards included) is
 *	   resolved with the usual CqPath functions on that value, so the values
 *	   handed to cq_value_parse are the same as with the full tree;
 *	3. builds the pagination envelope (the body with the rows value replaced
 *	   by []) only when the pager reads the body (next URL/token, total).
 * Numeric columns get their own values of the members they read, with
 * numbers as strings of their text (cqp_job_fast_make_exact), and a real beyond a
 * double's range is the string of its text for every column (the full path
 * quotes it likewise: see cqp_job_quote_numbers).
 * Anything unusual (invalid JSON, limits hit, integers beyond int64, a rows
 * path through an array, \u0000 ...) falls back to the
 * full-tree path before any row is emitted, so errors and edge cases behave
 * exactly as before.  A row that is not an object, or whose member cannot
 * be built directly, is parsed on its own with json_loadb.
 *
 * Values built here are fresh and owned by the batch alone (no deep copy of
 * json columns is needed: nothing is shared with the worker after the batch
 * is pushed).
 * ------------------------------------------------------------------------ */

#define FAST_MAX_DEPTH 1000		/* recursion bound of the scanner */
#define FAST_MAX_SEGS 32

typedef struct FastSpan
{
	const char *p;				/* first byte of the value, NULL = none */
	const char *e;				/* one past its last byte */
} FastSpan;

typedef struct FastRows
{
	bool		ok;				/* usable: no wildcard */
	int			nseg;
	char	   *seg[FAST_MAX_SEGS];	/* unescaped keys */
	size_t		seglen[FAST_MAX_SEGS];
	const char *pointer;		/* the pointer text ("" if none) */
} FastRows;

struct FastPlan
{
	bool		ok;				/* columns allow the fast path */
	int			ncols;
	int			nkeys;
	char	  **keys;			/* distinct first segments, unescaped */
	size_t	   *keylen;
	int		   *colkey;			/* per output column: key index */
	CqPath	  **tail;			/* per output column: rest of path or NULL */
	bool	   *tailwild;
	FastRows	rows;			/* table->rows */
	FastRows	get_rows;		/* table->get_rows */
};

typedef struct FastScan
{
	int			depth;
	int			maxdepth;
	size_t		maxstr;
	const FastRows *want;		/* rows path being looked for */
	FastSpan	found;			/* the rows value */
	size_t		count;			/* non-null elements if it is an array */
	bool		arr_on_path;	/* an array on the rows path: give up */
	/* rows of the target array, recorded while validating (if plan set) */
	const FastPlan *plan;
	FastSpan   *rs;				/* per row 1 + nkeys spans: [0] the row,
								 * [1 + k] its member keys[k] */
	size_t		nrs,
				caprs;
	bool		oom;
} FastScan;

static const char *cqp_job_fast_value(FastScan *sc, const char *p, const char *end,
							  int level);
static const char *cqp_job_fast_row_object(FastScan *sc, const char *p,
								   const char *end, FastSpan *ks);

static inline const char *
cqp_job_fast_ws(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t'))
		p++;
	return p;
}

static inline int
hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static bool
hex4(const unsigned char *s, const unsigned char *e, unsigned *out)
{
	unsigned	v = 0;

	if (e - s < 4)
		return false;
	for (int i = 0; i < 4; i++)
	{
		int			h = hexval(s[i]);

		if (h < 0)
			return false;
		v = (v << 4) | (unsigned) h;
	}
	*out = v;
	return true;
}

/* Length of the valid UTF-8 sequence at s (non-ASCII lead), 0 if invalid
 * (jansson's rules: no overlong form, no surrogate, at most U+10FFFF). */
static int
utf8_seq(const unsigned char *s, const unsigned char *e)
{
	unsigned	c = s[0],
				v;
	int			n;

	if (c >= 0xC2 && c <= 0xDF)
	{
		n = 2;
		v = c & 0x1F;
	}
	else if (c >= 0xE0 && c <= 0xEF)
	{
		n = 3;
		v = c & 0x0F;
	}
	else if (c >= 0xF0 && c <= 0xF4)
	{
		n = 4;
		v = c & 0x07;
	}
	else
		return 0;
	if (e - s < n)
		return 0;
	for (int i = 1; i < n; i++)
	{
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		v = (v << 6) | (s[i] & 0x3F);
	}
	if ((n == 3 && v < 0x800) || (n == 4 && v < 0x10000) ||
		(v >= 0xD800 && v <= 0xDFFF) || v > 0x10FFFF)
		return 0;
	return n;
}

/*
 * Scan a string starting at its opening quote.  Returns the byte after the
 * closing quote, or NULL if it is invalid for jansson (raw control char,
 * bad escape or UTF-8, \u0000, unpaired surrogate) or longer than maxstr.
 * *esc tells whether it holds escapes.
 */
static const char *
fast_string(const char *p, const char *end, size_t maxstr, bool *esc)
{
	const unsigned char *s = (const unsigned char *) p + 1;
	const unsigned char *e = (const unsigned char *) end;
	const unsigned char *start = s;

	*esc = false;
	while (s < e)
	{
		unsigned char c;

		/* 8 plain ASCII bytes at a time (no quote, backslash, control) */
		while (e - s >= 8)
		{
			uint64_t	x,
						m;

			memcpy(&x, s, 8);
#define ONES UINT64_C(0x0101010101010101)
#define HIGHS UINT64_C(0x8080808080808080)
			m = (((x ^ (ONES * '"')) - ONES) & ~(x ^ (ONES * '"'))) |
				(((x ^ (ONES * '\\')) - ONES) & ~(x ^ (ONES * '\\'))) |
				((x - ONES * 0x20) & ~x) | x;
#undef ONES
			if (m & HIGHS)
				break;
#undef HIGHS
			s += 8;
		}
		if (s >= e)
			break;
		c = *s;
		if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\')
		{
			s++;
			continue;
		}
		if (c == '"')
		{
			if ((size_t) (s - start) > maxstr)
				return NULL;
			return (const char *) s + 1;
		}
		if (c < 0x20)
			return NULL;
		if (c == '\\')
		{
			*esc = true;
			if (s + 1 >= e)
				return NULL;
			c = s[1];
			if (c == 'u')
			{
				unsigned	v,
							w;

				if (!hex4(s + 2, e, &v) || v == 0)
					return NULL;
				if (v >= 0xDC00 && v <= 0xDFFF)
					return NULL;
				if (v >= 0xD800 && v <= 0xDBFF)
				{
					if (e - s < 12 || s[6] != '\\' || s[7] != 'u' ||
						!hex4(s + 8, e, &w) || w < 0xDC00 || w > 0xDFFF)
						return NULL;
					s += 12;
				}
				else
					s += 6;
				continue;
			}
			if (c != '"' && c != '\\' && c != '/' && c != 'b' && c != 'f' &&
				c != 'n' && c != 'r' && c != 't')
				return NULL;
			s += 2;
			continue;
		}
		{
			int			n = utf8_seq(s, e);

			if (n == 0)
				return NULL;
			s += n;
		}
	}
	return NULL;
}

/* Scan a number; *is_int if it has no fraction/exponent.  NULL if bad. */
static const char *
fast_number(const char *p, const char *end, bool *is_int)
{
	const char *s = p;

	*is_int = true;
	if (s < end && *s == '-')
		s++;
	if (s >= end)
		return NULL;
	if (*s == '0')
		s++;
	else if (*s >= '1' && *s <= '9')
		while (s < end && *s >= '0' && *s <= '9')
			s++;
	else
		return NULL;
	if (s < end && *s == '.')
	{
		s++;
		if (s >= end || *s < '0' || *s > '9')
			return NULL;
		while (s < end && *s >= '0' && *s <= '9')
			s++;
		*is_int = false;
	}
	if (s < end && (*s == 'e' || *s == 'E'))
	{
		s++;
		if (s < end && (*s == '+' || *s == '-'))
			s++;
		if (s >= end || *s < '0' || *s > '9')
			return NULL;
		while (s < end && *s >= '0' && *s <= '9')
			s++;
		*is_int = false;
	}
	return s;
}

/* Decode the (validated) string at p (opening quote) into dst; returns the
 * decoded length.  dst must hold the raw length. */
static size_t
fast_unescape(const char *p, const char *end, char *dst)
{
	const unsigned char *s = (const unsigned char *) p + 1;
	const unsigned char *e = (const unsigned char *) end;
	size_t		o = 0;

	while (s < e && *s != '"')
	{
		unsigned	v,
					w;

		if (*s != '\\')
		{
			dst[o++] = (char) *s++;
			continue;
		}
		switch (s[1])
		{
			case 'b':
				dst[o++] = '\b';
				break;
			case 'f':
				dst[o++] = '\f';
				break;
			case 'n':
				dst[o++] = '\n';
				break;
			case 'r':
				dst[o++] = '\r';
				break;
			case 't':
				dst[o++] = '\t';
				break;
			case 'u':
				hex4(s + 2, e, &v);
				if (v >= 0xD800 && v <= 0xDBFF)
				{
					hex4(s + 8, e, &w);
					v = 0x10000 + ((v - 0xD800) << 10) + (w - 0xDC00);
					s += 6;
				}
				if (v < 0x80)
					dst[o++] = (char) v;
				else if (v < 0x800)
				{
					dst[o++] = (char) (0xC0 | (v >> 6));
					dst[o++] = (char) (0x80 | (v & 0x3F));
				}
				else if (v < 0x10000)
				{
					dst[o++] = (char) (0xE0 | (v >> 12));
					dst[o++] = (char) (0x80 | ((v >> 6) & 0x3F));
					dst[o++] = (char) (0x80 | (v & 0x3F));
				}
				else
				{
					dst[o++] = (char) (0xF0 | (v >> 18));
					dst[o++] = (char) (0x80 | ((v >> 12) & 0x3F));
					dst[o++] = (char) (0x80 | ((v >> 6) & 0x3F));
					dst[o++] = (char) (0x80 | (v & 0x3F));
				}
				s += 6;
				continue;
			default:			/* " \ / */
				dst[o++] = (char) s[1];
				break;
		}
		s += 2;
	}
	return o;
}

/* Does the JSON string at [p, q) (quotes included) equal key/keylen? */
static bool
fast_key_eq(const char *p, const char *q, bool esc, const char *key,
			size_t keylen)
{
	char		buf[1100];
	size_t		n;

	if (!esc)
		return (size_t) (q - p - 2) == keylen && memcmp(p + 1, key, keylen) == 0;
	if ((size_t) (q - p) > sizeof(buf))
		return false;			/* decodes to > 1024 bytes: longer than any
								 * pointer segment */
	n = fast_unescape(p, q, buf);
	return n == keylen && memcmp(buf, key, keylen) == 0;
}

/*
 * Validate one value at p (after whitespace).  `level` >= 0 while this value
 * is on the wanted rows path (level = segments matched so far).  Returns the
 * byte after the value, NULL to fall back to the full parser.
 */
static const char *
cqp_job_fast_value(FastScan *sc, const char *p, const char *end, int level)
{
	const FastRows *w = sc->want;
	bool		target = (w && level == w->nseg);

	if (p >= end)
		return NULL;
	switch (*p)
	{
		case '"':
			{
				bool		esc;

				return fast_string(p, end, sc->maxstr, &esc);
			}
		case '{':
			if (++sc->depth > sc->maxdepth)
				return NULL;
			p = cqp_job_fast_ws(p + 1, end);
			if (p < end && *p == '}')
			{
				sc->depth--;
				return p + 1;
			}
			for (;;)
			{
				const char *k = p,
						   *ke;
				bool		esc;
				int			cl = -1;

				if (p >= end || *p != '"' || !(ke = fast_string(p, end, sc->maxstr, &esc)))
					return NULL;
				p = cqp_job_fast_ws(ke, end);
				if (p >= end || *p != ':')
					return NULL;
				p = cqp_job_fast_ws(p + 1, end);
				if (w && level >= 0 && level < w->nseg &&
					fast_key_eq(k, ke, esc, w->seg[level], w->seglen[level]))
				{
					/* jansson keeps the last duplicate: forget earlier ones */
					cl = level + 1;
					sc->found.p = NULL;
				}
				{
					const char *vs = p;

					if (!(p = cqp_job_fast_value(sc, p, end, cl)))
						return NULL;
					if (w && cl == w->nseg)
					{
						sc->found.p = vs;
						sc->found.e = p;
					}
				}
				p = cqp_job_fast_ws(p, end);
				if (p < end && *p == ',')
				{
					p = cqp_job_fast_ws(p + 1, end);
					continue;
				}
				if (p < end && *p == '}')
				{
					sc->depth--;
					return p + 1;
				}
				return NULL;
			}
		case '[':
			if (++sc->depth > sc->maxdepth)
				return NULL;
			if (w && level >= 0 && level < w->nseg)
				sc->arr_on_path = true;
			if (target)
				sc->count = 0;
			p = cqp_job_fast_ws(p + 1, end);
			if (p < end && *p == ']')
			{
				sc->depth--;
				return p + 1;
			}
			for (;;)
			{
				if (target && p < end && *p != 'n')
				{
					sc->count++;
					if (sc->plan)
					{
						FastSpan   *slot;
						size_t		w1 = 1 + (size_t) sc->plan->nkeys;

						if (sc->nrs == sc->caprs)
						{
							size_t		nc = sc->caprs ? sc->caprs * 2 : 128;
							FastSpan   *nr = realloc(sc->rs, nc * w1 * sizeof(FastSpan));

							if (!nr)
							{
								sc->oom = true;
								return NULL;
							}
							sc->rs = nr;
							sc->caprs = nc;
						}
						slot = &sc->rs[sc->nrs * w1];
						slot[0].p = p;
						if (*p == '{')
							p = cqp_job_fast_row_object(sc, p, end, slot + 1);
						else
							p = cqp_job_fast_value(sc, p, end, -1);
						if (!p)
							return NULL;
						slot[0].e = p;
						sc->nrs++;
						goto next_elem;
					}
				}
				if (!(p = cqp_job_fast_value(sc, p, end, -1)))
					return NULL;
		next_elem:
				p = cqp_job_fast_ws(p, end);
				if (p < end && *p == ',')
				{
					p = cqp_job_fast_ws(p + 1, end);
					continue;
				}
				if (p < end && *p == ']')
				{
					sc->depth--;
					return p + 1;
				}
				return NULL;
			}
		case 't':
			return (end - p >= 4 && memcmp(p, "true", 4) == 0) ? p + 4 : NULL;
		case 'f':
			return (end - p >= 5 && memcmp(p, "false", 5) == 0) ? p + 5 : NULL;
		case 'n':
			return (end - p >= 4 && memcmp(p, "null", 4) == 0) ? p + 4 : NULL;
		default:
			{
				bool		is_int;
				const char *q = fast_number(p, end, &is_int);

				/* integers beyond int64: the full path quotes them */
				if (q && is_int && q - p >= 19 && int_overflows(p, (size_t) (q - p)))
					return NULL;
				return q;
			}
	}
}

/*
 * Validate a row object at p (its '{'), recording in ks[k] the value of its
 * member named sc->plan->keys[k] (the last one if repeated, as jansson
 * keeps; p = NULL if absent).  Returns the byte after the object or NULL.
 */
static const char *
cqp_job_fast_row_object(FastScan *sc, const char *p, const char *end, FastSpan *ks)
{
	const FastPlan *fp = sc->plan;

	for (int k = 0; k < fp->nkeys; k++)
		ks[k].p = NULL;
	if (++sc->depth > sc->maxdepth)
		return NULL;
	p = cqp_job_fast_ws(p + 1, end);
	if (p < end && *p == '}')
	{
		sc->depth--;
		return p + 1;
	}
	for (;;)
	{
		const char *k = p,
				   *ke,
				   *vs;
		bool		esc;
		size_t		klen;

		if (p >= end || *p != '"' || !(ke = fast_string(p, end, sc->maxstr, &esc)))
			return NULL;
		p = cqp_job_fast_ws(ke, end);
		if (p >= end || *p != ':')
			return NULL;
		vs = p = cqp_job_fast_ws(p + 1, end);
		if (!(p = cqp_job_fast_value(sc, p, end, -1)))
			return NULL;
		klen = (size_t) (ke - k - 2);
		for (int i = 0; i < fp->nkeys; i++)
		{
			if ((esc || (klen == fp->keylen[i] && k[1] == fp->keys[i][0])) &&
				fast_key_eq(k, ke, esc, fp->keys[i], fp->keylen[i]))
			{
				ks[i].p = vs;
				ks[i].e = p;
				break;
			}
		}
		p = cqp_job_fast_ws(p, end);
		if (p < end && *p == ',')
		{
			p = cqp_job_fast_ws(p + 1, end);
			continue;
		}
		if (p < end && *p == '}')
		{
			sc->depth--;
			return p + 1;
		}
		return NULL;
	}
}

/* Parse pointer text into unescaped segments; false if unusable. */
static bool
fast_rows_init(FastRows *r, const char *pointer)
{
	const char *p = pointer ? pointer : "";

	memset(r, 0, sizeof(*r));
	r->pointer = p;
	if (*p && *p != '/')
		return false;
	while (*p)
	{
		const char *s = ++p;
		char	   *o;

		if (r->nseg == FAST_MAX_SEGS)
			return false;
		while (*p && *p != '/')
			p++;
		o = r->seg[r->nseg] = malloc((size_t) (p - s) + 1);
		if (!o)
			return false;
		for (const char *q = s; q < p; q++)
		{
			if (*q == '~')
			{
				if (q[1] != '0' && q[1] != '1')
					return false;
				*o++ = q[1] == '0' ? '~' : '/';
				q++;
			}
			else
				*o++ = *q;
		}
		*o = '\0';
		r->seglen[r->nseg] = (size_t) (o - r->seg[r->nseg]);
		if (r->seglen[r->nseg] == 1 && r->seg[r->nseg][0] == '*')
		{
			r->nseg++;
			return false;
		}
		r->nseg++;
	}
	r->ok = true;
	return true;
}

static void
cqp_job_fast_plan_free(FastPlan *fp)
{
	if (!fp)
		return;
	for (int i = 0; i < fp->nkeys; i++)
		free(fp->keys[i]);
	free(fp->keys);
	free(fp->keylen);
	free(fp->colkey);
	if (fp->tail)
		for (int c = 0; fp->colkey && c < fp->ncols; c++)
			cq_path_free(fp->tail[c]);
	free(fp->tail);
	free(fp->tailwild);
	for (int i = 0; i < FAST_MAX_SEGS; i++)
	{
		free(fp->rows.seg[i]);
		free(fp->get_rows.seg[i]);
	}
	free(fp);
}

/* C locale for strtod_l (jansson parses reals with strtod under the C
 * locale the backend keeps for LC_NUMERIC). */
static pthread_once_t fast_locale_once = PTHREAD_ONCE_INIT;
static locale_t fast_c_locale = (locale_t) 0;

static void
fast_locale_init(void)
{
	fast_c_locale = newlocale(LC_ALL_MASK, "C", (locale_t) 0);
}

/* strtod of a real token under the C locale (HUGE_VAL on overflow) */
static double
json_real_strtod(const char *p, size_t len)
{
	char		buf[64];
	char	   *t = len < sizeof(buf) ? buf : malloc(len + 1);
	double		d;

	pthread_once(&fast_locale_once, fast_locale_init);
	if (!t)
		return 0.0;
	memcpy(t, p, len);
	t[len] = '\0';
	d = fast_c_locale ? strtod_l(t, NULL, fast_c_locale) : strtod(t, NULL);
	if (t != buf)
		free(t);
	return d;
}

/*
 * A jansson value for the validated JSON value [p, e).  New reference, or
 * NULL if it must be left to jansson (OOM, ...).  A real beyond the range
 * of a double becomes the string of its text, as the full path quotes it.
 */
static json_t *
cqp_job_fast_make(const char *p, const char *e)
{
	switch (*p)
	{
		case '"':
			{
				size_t		n = (size_t) (e - p - 2);
				char	   *buf;
				json_t	   *v;

				if (!memchr(p + 1, '\\', n))
					return json_stringn_nocheck(p + 1, n);
				buf = malloc(n + 1);
				if (!buf)
					return NULL;
				n = fast_unescape(p, e, buf);
				v = json_stringn_nocheck(buf, n);
				free(buf);
				return v;
			}
		case 't':
			return json_true();
		case 'f':
			return json_false();
		case 'n':
			return json_null();
		case '{':
		case '[':
			return cqp_job_load_json(p, (size_t) (e - p), JSON_ALLOW_NUL, false, NULL);
		default:
			{
				bool		is_int = true;
				char		buf[64];
				double		d;
				char	   *end;

				for (const char *q = p; q < e; q++)
					if (*q == '.' || *q == 'e' || *q == 'E')
						is_int = false;
				if (is_int)
				{
					/* validated, and within int64 (cqp_job_fast_value checked) */
					const char *q = p;
					bool		neg = (*q == '-');
					uint64_t	u = 0;

					if (neg)
						q++;
					for (; q < e; q++)
						u = u * 10 + (uint64_t) (*q - '0');
					if (neg)
						return json_integer(u == (uint64_t) 1 << 63 ? INT64_MIN :
											-(json_int_t) u);
					return json_integer((json_int_t) u);
				}
				pthread_once(&fast_locale_once, fast_locale_init);
				if ((size_t) (e - p) >= sizeof(buf) || fast_c_locale == (locale_t) 0)
					return NULL;
				memcpy(buf, p, (size_t) (e - p));
				buf[e - p] = '\0';
				errno = 0;
				d = strtod_l(buf, &end, fast_c_locale);
				if (errno == ERANGE && isinf(d))
					return json_stringn_nocheck(p, (size_t) (e - p));
				return json_real(d);
			}
	}
}

/*
 * cqp_job_fast_make for a numeric column: numbers keep their text (a string the
 * numeric type reads without loss), so do the numbers inside an object or
 * an array.
 */
static json_t *
cqp_job_fast_make_exact(const char *p, const char *e)
{
	if (*p == '-' || (*p >= '0' && *p <= '9'))
		return json_stringn_nocheck(p, (size_t) (e - p));
	if (*p == '{' || *p == '[')
		return cqp_job_load_json(p, (size_t) (e - p), JSON_ALLOW_NUL, true, NULL);
	return cqp_job_fast_make(p, e);
}

/* Build the fast plan of a job, or NULL (OOM: the job uses the full path). */
static FastPlan *
cqp_job_fast_plan_new(CqJob *job)
{
	const CqTableDef *t = job->table;
	const CqJobParams *p = &job->params;
	int			n = p->nout;
	FastPlan   *fp = calloc(1, sizeof(FastPlan));

	if (!fp)
		return NULL;
	fp->ncols = n;
	fp->keys = calloc((size_t) n + 1, sizeof(char *));
	fp->keylen = calloc((size_t) n + 1, sizeof(size_t));
	fp->colkey = calloc((size_t) n + 1, sizeof(int));
	fp->tail = calloc((size_t) n + 1, sizeof(CqPath *));
	fp->tailwild = calloc((size_t) n + 1, sizeof(bool));
	if (!fp->keys || !fp->keylen || !fp->colkey || !fp->tail || !fp->tailwild)
	{
		cqp_job_fast_plan_free(fp);
		return NULL;
	}
	fast_rows_init(&fp->rows, t->rows);
	fast_rows_init(&fp->get_rows, t->get_rows);
	fp->ok = !(p->plugin && p->plugin->transform_row);
	for (int c = 0; c < n && fp->ok; c++)
	{
		const CqColumnDef *col = &t->columns[p->out_cols[c]];
		const char *tail = "";
		char	   *key;
		size_t		klen = 0;
		int			k;

		if (!col->cpath)
		{
			key = strdup(col->name);
			klen = key ? strlen(key) : 0;
		}
		else
		{
			const char *s,
					   *e;

			if (!col->path || col->path[0] != '/')
			{
				fp->ok = false; /* "" = the whole row */
				break;
			}
			s = col->path + 1;
			e = strchr(s, '/');
			if (!e)
				e = s + strlen(s);
			tail = e;
			key = malloc((size_t) (e - s) + 1);
			for (const char *q = s; key && q < e; q++)
			{
				if (*q == '~' && q + 1 < e && (q[1] == '0' || q[1] == '1'))
				{
					key[klen++] = q[1] == '0' ? '~' : '/';
					q++;
				}
				else
					key[klen++] = *q;
			}
			if (key)
				key[klen] = '\0';
			if (key && klen == 1 && key[0] == '*')
				fp->ok = false; /* a wildcard over the row's members */
		}
		if (!key)
		{
			fp->ok = false;
			break;
		}
		for (k = 0; k < fp->nkeys; k++)
			if (fp->keylen[k] == klen && memcmp(fp->keys[k], key, klen) == 0)
				break;
		if (k == fp->nkeys)
		{
			fp->keys[k] = key;
			fp->keylen[k] = klen;
			fp->nkeys++;
		}
		else
			free(key);
		fp->colkey[c] = k;
		if (*tail)
		{
			CqError		err;

			fp->tail[c] = cq_path_compile(tail, &err);
			if (!fp->tail[c])
				fp->ok = false;
			else
				fp->tailwild[c] = cq_path_has_wildcard(fp->tail[c]);
		}
	}
	return fp;
}

/* Is pointer `a` equal to `prefix` or below it (segment-wise)? */
static bool
cqp_job_pointer_within(const char *a, const char *prefix)
{
	size_t		n = strlen(prefix);

	if (!a)
		return false;
	return strncmp(a, prefix, n) == 0 && (a[n] == '\0' || a[n] == '/');
}

/*
 * apply_transform
 *		A column's transform (cq_column_transform) on a string value, or on
 *		each string element of an array.  Returns a new reference to the
 *		value to parse, or NULL for SQL NULL (a string the transform finds
 *		nothing in).  Other JSON values are returned as they are.
 */
static json_t *
apply_transform(const CqColumnDef *col, json_t *v)
{
	const char *o;
	size_t		n;

	if (json_is_string(v))
	{
		if (!cq_column_transform(col, json_string_value(v), json_string_length(v), &o, &n))
			return NULL;
		return json_stringn_nocheck(o, n);
	}
	if (json_is_array(v))
	{
		json_t	   *arr = json_array();
		size_t		i;
		json_t	   *e;

		if (arr == NULL)
			return NULL;
		json_array_foreach(v, i, e)
		{
			json_t	   *t = json_is_string(e) ? apply_transform(col, e) : json_incref(e);

			json_array_append_new(arr, t ? t : json_null());
		}
		return arr;
	}
	return json_incref(v);
}

/*
 * Convert and account one value (shared by both paths).  Takes tmp.
 * from_unit: v is the value the request used for a key column (no
 * transform: it is already what the user wrote in the WHERE clause).
 */
static bool
cqp_job_parse_value(CqJob *job, int c, bool from_unit, json_t *v, json_t *tmp,
			CqArena *arena, CqValue *out, CqError *err)
{
	const CqColumnDef *col = &job->table->columns[job->params.out_cols[c]];
	CqError		verr;
	json_t	   *xf = NULL;

	/* a column transform (spec "transform") works on a substring */
	if (col->transform_kind != CQ_XFORM_NONE && !from_unit && v != NULL && !json_is_null(v))
	{
		xf = apply_transform(col, v);
		if (xf == NULL)
		{
			out->isnull = 1;
			json_decref(tmp);
			return true;
		}
		json_decref(tmp);
		tmp = xf;
		v = xf;
	}

	/* cq_error_set clears the whole struct on failure: no memset per value */
	verr.kind = CQ_ERR_NONE;
	verr.message[0] = verr.api_message[0] = '\0';
	if (!cq_value_parse(v, col->type, arena, out, &verr))
	{
		out->isnull = 1;
		json_decref(tmp);
		if (verr.kind == CQ_ERR_NOMEM)
		{
			*err = verr;
			return false;
		}
		if (job->params.settings.strict)
		{
			*err = verr;
			err->kind = CQ_ERR_VALUE;
			cqp_job_scopy(err->column, sizeof(err->column), col->name);
			cqp_job_scopy(err->path, sizeof(err->path), col->path);
			return false;
		}
		add_warning(job, c, col, &verr);
		return true;
	}
	json_decref(tmp);
	return true;
}

/*
 * One row through the fast path, its members already located in ks (by
 * cqp_job_fast_row_object).  Returns 1 on success, 0 on a strict value error or OOM
 * (err filled), -1 if the row must go through jansson (nothing of it is
 * left in vals).  kv is scratch space of nkeys entries.
 */
static int
fast_row(CqJob *job, const FastPlan *fp, CqpUnit *u, const FastSpan *ks,
		 json_t **kv, CqArena *arena, CqValue *vals, CqError *err)
{
	int			ncols = fp->ncols;
	int			rc = 1;
	int			c = 0;
	json_t	  **kvn = kv + fp->nkeys;	/* the members for numeric columns */

	for (int k = 0; k < 2 * fp->nkeys; k++)
		kv[k] = NULL;
	for (c = 0; c < ncols; c++)
	{
		json_t	   *tmp = NULL,
				   *v;

		if (u->colval[c] >= 0)
			v = tmp = json_string(u->av[u->colval[c]]);
		else
		{
			int			k = fp->colkey[c];
			json_t	   *base = NULL;

			if (ks[k].p && job->table->columns[job->params.out_cols[c]].type.base == CQ_T_NUMERIC)
			{
				if (!kvn[k] && !(kvn[k] = cqp_job_fast_make_exact(ks[k].p, ks[k].e)))
				{
					rc = -1;
					break;
				}
				base = kvn[k];
			}
			else if (ks[k].p)
			{
				if (!kv[k] && !(kv[k] = cqp_job_fast_make(ks[k].p, ks[k].e)))
				{
					rc = -1;
					break;
				}
				base = kv[k];
			}
			if (fp->tail[c] && fp->tailwild[c])
			{
				v = tmp = json_array();
				if (tmp && base)
					cqp_path_gather(fp->tail[c], base, tmp);
			}
			else if (fp->tail[c])
				v = base ? cq_path_get(fp->tail[c], base) : NULL;
			else
				v = base;
		}
		if (!cqp_job_parse_value(job, c, u->colval[c] >= 0, v, tmp, arena, &vals[c], err))
		{
			rc = 0;
			c++;
			break;
		}
	}
	if (rc == -1)
	{
		cqp_job_decref_values(vals, (size_t) c);
		memset(vals, 0, (size_t) ncols * sizeof(CqValue));
	}
	for (int k = 0; k < 2 * fp->nkeys; k++)
		json_decref(kv[k]);
	return rc;
}

/* A row through jansson (fast path fallback).  false = error in err. */
static bool
slow_row(CqJob *job, CqpUnit *u, const char *p, const char *e,
		 CqArena *arena, CqValue *vals, CqError *err)
{
	json_error_t jerr;
	json_t	   *row = cqp_job_load_json(p, (size_t) (e - p), JSON_DECODE_ANY | JSON_ALLOW_NUL,
								false, &jerr);
	json_t	   *nrow = NULL;
	int			c;

	if (!row)
	{
		char		txt[160];

		cqp_sanitize_copy(txt, sizeof(txt), jerr.text, strlen(jerr.text));
		cq_error_set(err, CQ_ERR_JSON, "invalid JSON in response: %s", txt);
		return false;
	}
	if (cqp_job_reads_numeric(job) &&
		!(nrow = cqp_job_load_json(p, (size_t) (e - p), JSON_DECODE_ANY | JSON_ALLOW_NUL, true, NULL)))
	{
		json_decref(row);
		cq_error_set(err, CQ_ERR_NOMEM, "out of memory");
		return false;
	}
	for (c = 0; c < job->params.nout; c++)
		if (!cqp_job_extract_value(job, u, row, nrow, c, arena, &vals[c], err))
		{
			json_decref(row);	/* the caller releases vals */
			json_decref(nrow);
			return false;
		}
	json_decref(row);
	json_decref(nrow);
	return true;
}

/*
 * Try the fast path on one page body.  Returns 1 if the page was handled
 * (rows emitted, *doc = envelope for the pager or NULL, *nrows), 0 if the
 * caller must use the full parser (nothing was emitted), -1 on an error
 * (err filled).
 */
static int
cqp_job_fast_page(CqJob *job, CqpUnit *u, const char *text, size_t len,
		  json_t **doc, size_t *nrows, size_t *bytes, CqError *err)
{
	const CqJobSettings *s = &job->params.settings;
	const FastPlan *fp = job->fast;
	const CqTableDef *t = job->table;
	const FastRows *rows;
	FastScan	sc;
	const char *end = text + len;
	const char *q;
	bool		need_doc = (u->pager.next != NULL || u->pager.total != NULL);
	FastSpan   *spans = NULL;
	size_t		n = 0;
	size_t		w1;
	int			ncols = job->params.nout;
	size_t		per = (size_t) s->batch_rows;
	json_t	  **kv = NULL;

	*doc = NULL;
	*nrows = 0;
	if (!fp || !fp->ok || u->is_parent || len == 0)
		return 0;
	if (u->rows && u->rows == t->cget_rows)
		rows = &fp->get_rows;
	else if (u->rows == t->crows)
		rows = &fp->rows;
	else
		return 0;
	if (!rows->ok)
		return 0;
	if (need_doc && (rows->nseg == 0 ||
					 (u->pager.next && cqp_job_pointer_within(t->next, rows->pointer)) ||
					 (u->pager.total && cqp_job_pointer_within(t->total, rows->pointer))))
		return 0;

	/* 1. validate everything, find the rows and their members */
	memset(&sc, 0, sizeof(sc));
	sc.maxdepth = s->max_json_depth < FAST_MAX_DEPTH ? s->max_json_depth : FAST_MAX_DEPTH;
	sc.maxstr = s->max_string_bytes;
	sc.want = rows;
	sc.plan = fp;
	w1 = 1 + (size_t) fp->nkeys;
	q = cqp_job_fast_ws(text, end);
	if (q >= end || (*q != '{' && *q != '['))
		return 0;
	{
		const char *root = q;

		q = cqp_job_fast_value(&sc, q, end, 0);
		if (sc.oom)
		{
			free(sc.rs);
			goto oom;
		}
		if (!q || cqp_job_fast_ws(q, end) != end || sc.arr_on_path ||
			(rows->nseg > 0 && !sc.found.p))
		{
			/* (no rows value: the full-tree path counts it as missing) */
			free(sc.rs);
			return 0;
		}
		if (rows->nseg == 0)
		{
			sc.found.p = root;	/* the body itself */
			sc.found.e = q;
		}
	}
	if (sc.found.p && *sc.found.p == '[')
	{
		/* rows recorded while validating (the last duplicate's, if any) */
		if (sc.count > s->max_array_elems)
		{
			free(sc.rs);
			cq_error_set(err, CQ_ERR_LIMIT, "more than max_array_elems (%zu) rows in one page",
						 s->max_array_elems);
			snprintf(err->setting, sizeof(err->setting), "max_array_elems");
			return -1;
		}
		n = sc.count;
		if (sc.nrs < n)			/* cannot happen */
			n = sc.nrs;
		/* an earlier duplicate's rows come first: skip them (no rows: no
		 * array was allocated, and NULL + 0 is undefined behaviour) */
		spans = sc.rs ? sc.rs + (sc.nrs - n) * w1 : NULL;
	}
	else
	{
		free(sc.rs);
		sc.rs = NULL;
		if (sc.found.p && *sc.found.p != 'n')
		{
			FastScan	one;

			spans = sc.rs = calloc(w1, sizeof(FastSpan));
			if (!spans)
				goto oom;
			spans[0] = sc.found;
			n = 1;
			if (*sc.found.p == '{')
			{
				memset(&one, 0, sizeof(one));
				one.maxdepth = FAST_MAX_DEPTH;
				one.maxstr = SIZE_MAX;
				one.plan = fp;
				cqp_job_fast_row_object(&one, sc.found.p, sc.found.e, spans + 1);
			}
		}
	}

	/* 2. the envelope for the pager */
	if (need_doc)
	{
		if (sc.found.p)
		{
			size_t		pre = (size_t) (sc.found.p - text);
			size_t		post = (size_t) (end - sc.found.e);
			char	   *env = malloc(pre + post + 3);

			if (!env)
				goto oom;
			memcpy(env, text, pre);
			memcpy(env + pre, "[]", 2);
			memcpy(env + pre + 2, sc.found.e, post);
			*doc = cqp_job_load_json(env, pre + post + 2, JSON_ALLOW_NUL, false, NULL);
			free(env);
		}
		else
			*doc = cqp_job_load_json(text, len, JSON_ALLOW_NUL, false, NULL);
		if (!*doc)
			goto oom;			/* validated: only OOM fails */
	}

	/* 3. rows, in batches */
	kv = calloc(2 * (size_t) fp->nkeys + 1, sizeof(json_t *));
	if (!kv)
		goto oom;
	for (size_t start = 0; start < n; start += per)
	{
		size_t		cnt = n - start < per ? n - start : per;
		size_t		vsz = cnt * (size_t) (ncols ? ncols : 1) * sizeof(CqValue);
		BatchImpl  *bi;
		CqArena    *arena;
		CqValue    *vals;
		size_t		r;

		if (atomic_load(&job->stop))
			break;
		arena = cq_arena_new(64 * 1024);
		bi = calloc(1, sizeof(BatchImpl));
		vals = arena ? cq_arena_alloc(arena, vsz) : NULL;
		if (!arena || !bi || !vals)
		{
			if (arena)
				cq_arena_free(arena);
			free(bi);
			goto oom;
		}
		memset(vals, 0, vsz);
		for (r = 0; r < cnt; r++)
		{
			CqValue    *rv = &vals[r * (size_t) ncols];
			const FastSpan *sp = &spans[(start + r) * w1];
			int			rc = (*sp->p == '{') ?
				fast_row(job, fp, u, sp + 1, kv, arena, rv, err) : -1;

			if (rc < 0 && slow_row(job, u, sp->p, sp->e, arena, rv, err))
				rc = 1;
			if (rc <= 0)
			{
				cqp_job_decref_values(vals, (r + 1) * (size_t) ncols);
				cq_arena_free(arena);
				free(bi);
				goto fail;
			}
		}
		bi->b.nrows = (int) cnt;
		bi->b.ncols = ncols;
		bi->b.values = vals;
		bi->b.arena = arena;
		bi->b.bytes = cq_arena_bytes(arena);
		bi->acct = job->acct;
		atomic_fetch_add(&job->acct->refs, 1);
		cqp_acct_add(job->acct, bi->b.bytes);
		*bytes += bi->b.bytes;
		if (!cqp_job_push_batch(job, bi))
			break;
	}
	*nrows = n;
	free(sc.rs);
	free(kv);
	return 1;

oom:
	cq_error_set(err, CQ_ERR_NOMEM, "out of memory extracting rows");
fail:
	free(sc.rs);
	free(kv);
	json_decref(*doc);
	*doc = NULL;
	return -1;
}

/* Text of a parent row value for a child template parameter. */
static bool
value_text(json_t *v, char *buf, size_t len, const char **out)
{
	if (json_is_string(v))
		*out = json_string_value(v);
	else if (json_is_integer(v))
	{
		snprintf(buf, len, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		*out = buf;
	}
	else if (json_is_real(v))
	{
		snprintf(buf, len, "%.17g", json_real_value(v));
		*out = buf;
	}
	else if (json_is_boolean(v))
		*out = json_is_true(v) ? "true" : "false";
	else
		return false;
	return true;
}

/* Parent page: one child unit per parent row (rows lacking a map value are
 * skipped).  Returns the number of children started, -1 on error. */
static int
spawn_children(CqJob *job, CqpUnit *u, json_t **rows, size_t n, CqError *err)
{
	const CqParentDef *pd = job->table->parent;
	int			na = u->na + pd->nmap;
	const char **an = calloc((size_t) na + 1, sizeof(char *));
	const char **av = calloc((size_t) na + 1, sizeof(char *));
	int		   *acol = calloc((size_t) na + 1, sizeof(int));
	bool	   *aq = calloc((size_t) na + 1, sizeof(bool));
	char	  (*bufs)[48] = calloc((size_t) pd->nmap + 1, 48);
	int			started = 0;

	if (!an || !av || !acol || !aq || !bufs)
	{
		cq_error_set(err, CQ_ERR_NOMEM, "out of memory");
		started = -1;
		goto done;
	}
	for (int i = 0; i < u->na; i++)
	{
		an[i] = u->an[i];
		av[i] = u->av[i];
		acol[i] = u->acol[i];
		aq[i] = u->aquery[i];
	}
	for (int m = 0; m < pd->nmap; m++)
	{
		const char *param = pd->map_param[m];
		int			k = u->na + m;

		an[k] = param;
		acol[k] = -1;
		aq[k] = false;
		for (int i = 0; i < job->table->nkeys; i++)
		{
			const CqKeyDef *kd = &job->table->keys[i];

			if (strcmp(kd->param ? kd->param : kd->column, param) == 0)
			{
				acol[k] = cqp_job_find_col(job->table, kd->column);
				aq[k] = (kd->in == CQ_IN_QUERY);
			}
		}
	}
	for (size_t r = 0; r < n && !atomic_load(&job->stop); r++)
	{
		bool		ok = true;
		CqpUnit    *child;
		CqpReq	   *first;
		CqError		cerr;

		for (int m = 0; m < pd->nmap && ok; m++)
		{
			json_t	   *v = job->map_paths[m] ? cq_path_get(job->map_paths[m], rows[r]) : NULL;

			ok = value_text(v, bufs[m], 48, &av[u->na + m]);
		}
		if (!ok)
			continue;
		memset(&cerr, 0, sizeof(cerr));
		child = cqp_job_make_unit(job, u, na, an, av, acol, aq, &first, &cerr);
		pthread_mutex_lock(&job->mu);
		if (child)
		{
			cqp_job_add_unit_locked(job, child, first);
			started++;
		}
		else
			cqp_job_unit_fail_locked(job, NULL, &cerr);
		pthread_mutex_unlock(&job->mu);
	}
done:
	free(an);
	free(av);
	free(acol);
	free(aq);
	free(bufs);
	return started;
}

/*
 * Process one completed page on a worker: parse, rows or children, next
 * page.  Consumes req.
 */
static void
process_page(CqJob *job, CqpReq *req)
{
	const CqJobSettings *s = &job->params.settings;
	CqpUnit    *u = req->unit;
	CqError		err;
	json_t	   *doc = NULL;
	json_t	   *ndoc = NULL;		/* reals as text, for numeric columns */
	RowVec		rv = {0};
	RowVec		nrv = {0};
	size_t		bodylen = req->body.len;
	size_t		batch_bytes = 0;
	CqpNext		nx;
	int			nchildren = 0;
	bool		fast = false;
	size_t		fast_nrows = 0;
	bool		rows_found = true;

	memset(&err, 0, sizeof(err));
	memset(&nx, 0, sizeof(nx));
	if (u->failed || atomic_load(&job->stop))
		goto release;
	if (bodylen > 0)
	{
		int			frc = cqp_job_fast_page(job, u, req->body.data, bodylen, &doc,
									&fast_nrows, &batch_bytes, &err);

		if (frc < 0)
			goto fail;
		fast = (frc > 0);
	}
	if (bodylen > 0 && !fast)
	{
		json_error_t jerr;
		size_t		nbig = 0,
					nreal = 0;

		if (!cqp_job_json_prescan(req->body.data, bodylen, s->max_json_depth, s->max_string_bytes,
						  &nbig, &nreal, &err))
			goto fail;
		if (nreal > 0 && !u->is_parent && cqp_job_reads_numeric(job) &&
			!(ndoc = cqp_job_load_json(req->body.data, bodylen, JSON_ALLOW_NUL, true, NULL)))
		{
			cq_error_set(&err, CQ_ERR_NOMEM, "out of memory");
			goto fail;
		}
		if (nbig > 0)
		{
			size_t		ql = 0;
			char	   *qb = cqp_job_quote_numbers(req->body.data, bodylen, nbig, false, &ql);

			if (!qb)
			{
				cq_error_set(&err, CQ_ERR_NOMEM, "out of memory");
				goto fail;
			}
			doc = json_loadb(qb, ql, JSON_ALLOW_NUL, &jerr);
			free(qb);
		}
		else
			doc = json_loadb(req->body.data, bodylen, JSON_ALLOW_NUL, &jerr);
		if (!doc && json_error_code(&jerr) == json_error_stack_overflow)
		{
			/* max_json_depth is above what jansson can parse */
			cq_error_set(&err, CQ_ERR_LIMIT,
						 "JSON nested deeper than %d levels, the most the JSON parser accepts",
						 JSON_PARSER_MAX_DEPTH);
			goto fail;
		}
		if (!doc)
		{
			char		txt[160];

			cqp_sanitize_copy(txt, sizeof(txt), jerr.text, strlen(jerr.text));
			cq_error_set(&err, CQ_ERR_JSON, "invalid JSON in response: %s at line %d column %d",
						 txt, jerr.line, jerr.column);
			goto fail;
		}
	}
	/* the body's bytes stay charged: they stand for the parsed document */
	free(req->body.data);
	req->body.data = NULL;
	req->body.cap = 0;

	rv.max = nrv.max = s->max_array_elems;
	if (doc && !fast)
	{
		if (u->rows)
			rows_found = cq_path_each(u->rows, doc, cqp_job_collect_rows, &rv) > 0;
		else
			cqp_job_collect_rows(doc, &rv);
	}
	if (ndoc && doc && !fast)
	{
		/* the same rows, in the same order: quoting changes no structure */
		if (u->rows)
			cq_path_each(u->rows, ndoc, cqp_job_collect_rows, &nrv);
		else
			cqp_job_collect_rows(ndoc, &nrv);
		if (nrv.oom)
			rv.oom = true;
	}
	if (rv.over)
	{
		cq_error_set(&err, CQ_ERR_LIMIT, "more than max_array_elems (%zu) rows in one page",
					 s->max_array_elems);
		snprintf(err.setting, sizeof(err.setting), "max_array_elems");
		goto fail;
	}
	if (rv.oom)
	{
		cq_error_set(&err, CQ_ERR_NOMEM, "out of memory collecting rows");
		goto fail;
	}
	if (fast)
		;						/* rows already emitted */
	else if (u->is_parent)
	{
		nchildren = spawn_children(job, u, rv.v, rv.n, &err);
		if (nchildren < 0)
			goto fail;
	}
	else if (!cqp_job_emit_rows(job, u, rv.v, nrv.n == rv.n ? nrv.v : NULL, rv.n,
						&batch_bytes, &err))
		goto fail;

	if (req->seq)
		cqp_paginate(&u->pager, req->url, req->page_index, req->link, doc,
					 fast ? fast_nrows : rv.n, &nx);
	json_decref(doc);
	doc = NULL;
	free(rv.v);
	rv.v = NULL;
	json_decref(ndoc);
	ndoc = NULL;
	free(nrv.v);
	nrv.v = NULL;

	{
		size_t		fp = (req->charged > bodylen ? req->charged : bodylen) + batch_bytes;
		size_t		cur = atomic_load(&job->page_expect);

		while (fp > cur && !atomic_compare_exchange_weak(&job->page_expect, &cur, fp))
			;
		cur = atomic_load(&job->batch_expect);
		while (batch_bytes > cur &&
			   !atomic_compare_exchange_weak(&job->batch_expect, &cur, batch_bytes))
			;
	}

	pthread_mutex_lock(&job->mu);
	if (!rows_found)
		job->st.rows_missing++;
	if (!u->failed && !atomic_load(&job->stop))
	{
		if (nx.kind == CQP_NEXT_URL)
		{
			if (!cqp_job_seen_add(u, nx.url))
			{
				/* the API sent us back to a page we already read: stop */
				job->st.loops_stopped++;
				free(nx.url);
			}
			else
			{
				CqpReq	   *r = cqp_job_new_req_locked(job, u, nx.url, nx.index, true);

				if (r && u->is_parent && u->children > 0)
				{
					u->outstanding--;	/* counted again when released */
					u->deferred = r;
				}
				else if (r)
					cqp_job_push_ready_locked(job, r, false);
			}
			nx.url = NULL;
		}
		else if (nx.kind == CQP_NEXT_RANGE)
		{
			u->range_url = nx.url;
			u->range_param = nx.param;
			u->range_cur = nx.from;
			u->range_to = nx.to;
			u->range_step = nx.step > 0 ? nx.step : 1;
			u->in_ranges = true;
			u->range_next = NULL;
			{
				CqpUnit   **pp = &job->ranges_h;

				while (*pp)
					pp = &(*pp)->range_next;
				*pp = u;
			}
			nx.url = NULL;
			curl_multi_wakeup(job->multi);
		}
	}
	free(nx.url);
	atomic_fetch_sub(&job->parsing, 1);
	cqp_job_req_done_locked(job, req);
	pthread_mutex_unlock(&job->mu);
	return;

fail:
	json_decref(doc);
	free(rv.v);
	json_decref(ndoc);
	free(nrv.v);
	cq_redact_url(req->url, err.url, sizeof(err.url));
	pthread_mutex_lock(&job->mu);
	cqp_job_unit_fail_locked(job, u, &err);
	atomic_fetch_sub(&job->parsing, 1);
	cqp_job_req_done_locked(job, req);
	pthread_mutex_unlock(&job->mu);
	return;

release:
	pthread_mutex_lock(&job->mu);
	atomic_fetch_sub(&job->parsing, 1);
	cqp_job_req_done_locked(job, req);
	pthread_mutex_unlock(&job->mu);
}

static void *
cqp_job_worker_main(void *arg)
{
	CqJob	   *job = arg;

	pthread_mutex_lock(&job->mu);
	for (;;)
	{
		CqpReq	   *req;

		while (!atomic_load(&job->stop) && !job->parse_h)
			pthread_cond_wait(&job->cv, &job->mu);
		if (atomic_load(&job->stop))
			break;
		req = job->parse_h;
		job->parse_h = req->next;
		if (!job->parse_h)
			job->parse_t = NULL;
		pthread_mutex_unlock(&job->mu);
		process_page(job, req);
		pthread_mutex_lock(&job->mu);
	}
	pthread_mutex_unlock(&job->mu);
	return NULL;
}

/* ------------------------------------------------------------------------
 * I/O thread
 * ------------------------------------------------------------------------ */

/*
 * Bytes committed (see the head comment): held, what transfers in flight
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

static bool
cqp_job_io_grow(void *ud, CqpReq *req, size_t n)
{
	CqJob	   *job = ud;
	size_t		want = req->charged + n;

	if (!may_grow(job, req, want))
	{
		req->want = want;
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

static void
start_transfers(CqJob *job)
{
	int			conc = job->params.settings.concurrency;

	while (job->inflight < conc && !atomic_load(&job->stop))
	{
		CqpReq	   *req;
		CqError		err;

		if (job->pause_until && cqp_now_ms() < job->pause_until)
			break;
		if (!budget_ok(job))
			break;
		pthread_mutex_lock(&job->mu);
		req = take_req_locked(job);
		if (req && (req->unit->failed || atomic_load(&job->stop)))
		{
			cqp_job_req_done_locked(job, req);
			pthread_mutex_unlock(&job->mu);
			continue;
		}
		if (req && req->attempt == 0 && req->redirects == 0)
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
		pthread_mutex_unlock(&job->mu);
		if (!req)
			break;
		memset(&err, 0, sizeof(err));
		if (!cqp_http_prepare(&job->http, req,
							  cqp_url_same_origin(req->url, req->unit->origin_url), &err))
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
		req->next = job->inflight_h;
		job->inflight_h = req;
		job->inflight++;
	}
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
	pthread_mutex_unlock(&job->mu);

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

static void *
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
		start_transfers(job);
		curl_multi_perform(job->multi, &running);

		now = cqp_now_ms();
		if (job->timers)
		{
			long		d = (long) (job->timers->due_ms - now);

			if (d < tmo)
				tmo = d < 0 ? 0 : d;
		}
		if (job->pause_until > now && job->pause_until - now < tmo)
			tmo = (long) (job->pause_until - now);
		curl_multi_poll(job->multi, NULL, 0, (int) tmo, NULL);
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
	return NULL;
}

/* ------------------------------------------------------------------------
 * Public API
 * ------------------------------------------------------------------------ */

/*
 * cq_sdk_init
 *		Process-wide library init; call once before any thread exists (in
 *		_PG_init).  Idempotent.
 */
void
cq_sdk_init(void)
{
	static bool done = false;

	if (done)
		return;
	done = true;
	curl_global_init(CURL_GLOBAL_DEFAULT);
	json_object_seed(0);
}

/*
 * cq_job_settings_default
 *		Fill s with the defaults (documented per field in cq_sdk.h).
 */
void
cq_job_settings_default(CqJobSettings *s)
{
	long		cores = sysconf(_SC_NPROCESSORS_ONLN);

	memset(s, 0, sizeof(*s));
	s->concurrency = 64;
	s->workers = (int) (cores < 1 ? 1 : cores > 8 ? 8 : cores);	/* every core: parsing is the cost */
	s->memory_budget = (size_t) 64 * 1024 * 1024;
	s->batch_rows = 1000;
	s->connect_timeout_ms = 10000;
	s->request_timeout_ms = 300000;
	s->low_speed_time_s = 30;
	s->max_retries = 5;
	s->retry_base_ms = 500;
	s->retry_max_ms = 30000;
	s->max_response_bytes = (size_t) 128 * 1024 * 1024;
	s->max_json_depth = 512;
	s->max_string_bytes = (size_t) 32 * 1024 * 1024;
	s->max_array_elems = 1000000;
	s->max_header_bytes = 64 * 1024;
	s->max_redirects = 5;
	s->user_agent = NULL;		/* "cq_fdw/0.1" */
}

/* Replace nonsensical settings by defaults/bounds. */
static void
sanitize_settings(CqJobSettings *s)
{
	CqJobSettings d;

	cq_job_settings_default(&d);
	if (s->concurrency < 1)
		s->concurrency = d.concurrency;
	if (s->concurrency > 1024)
		s->concurrency = 1024;
	if (s->workers < 1)
		s->workers = d.workers;
	if (s->workers > 64)
		s->workers = 64;
	if (s->memory_budget == 0)
		s->memory_budget = d.memory_budget;
	if (s->batch_rows < 1)
		s->batch_rows = d.batch_rows;
	if (s->max_retries < 0)
		s->max_retries = 0;
	if (s->retry_base_ms < 0)
		s->retry_base_ms = 0;
	if (s->retry_max_ms < 0)
		s->retry_max_ms = 0;
	if (s->max_response_bytes == 0)
		s->max_response_bytes = d.max_response_bytes;
	if (s->max_json_depth < 1)
		s->max_json_depth = d.max_json_depth;
	if (s->max_string_bytes == 0)
		s->max_string_bytes = d.max_string_bytes;
	if (s->max_array_elems == 0)
		s->max_array_elems = d.max_array_elems;
	if (s->max_header_bytes == 0)
		s->max_header_bytes = d.max_header_bytes;
	if (s->max_redirects < 0)
		s->max_redirects = 0;
}

static bool
start_thread(pthread_t *th, void *(*fn) (void *), void *arg)
{
	sigset_t	all,
				old;
	int			rc;

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(th, NULL, fn, arg);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return rc == 0;
}

/* Keep a malloc'd block for job_destroy; frees it and returns NULL on OOM. */
static void *
own(CqJob *job, void *blk)
{
	if (!blk)
		return NULL;
	if (job->nowned == job->capowned)
	{
		int			nc = job->capowned ? job->capowned * 2 : 16;
		void	  **no = realloc(job->owned, (size_t) nc * sizeof(void *));

		if (!no)
		{
			free(blk);
			return NULL;
		}
		job->owned = no;
		job->capowned = nc;
	}
	job->owned[job->nowned++] = blk;
	return blk;
}

/* Owned copy of s (NULL stays NULL); *ok = false on OOM. */
static const char *
own_str(CqJob *job, const char *s, bool *ok)
{
	char	   *c;

	if (!s)
		return NULL;
	c = own(job, strdup(s));
	if (!c)
		*ok = false;
	return c;
}

/* Owned copy of an array of n strings. */
static const char *const *
own_strv(CqJob *job, const char *const *v, int n, bool *ok)
{
	const char **c;

	if (!v || n <= 0)
		return NULL;
	c = own(job, calloc((size_t) n, sizeof(char *)));
	if (!c)
	{
		*ok = false;
		return NULL;
	}
	for (int i = 0; i < n; i++)
		c[i] = own_str(job, v[i], ok);
	return c;
}

/*
 * params_copy
 *		job->params = a deep copy of *src: every string and array it points
 *		to (base_url, credentials, policy, out_cols, key columns and values,
 *		server options, ca_file, user_agent) is owned by the job, so the
 *		caller may free or change them while the job runs (the FDW's GUC
 *		strings can change between FETCHes of a cursor).  source, table and
 *		plugin stay borrowed.  false + err on OOM or a malformed list.
 */
static bool
params_copy(CqJob *job, const CqJobParams *src, CqError *err)
{
	CqJobParams *p = &job->params;
	bool		ok = true;

	*p = *src;
	if (src->nkeys < 0 || (src->nkeys > 0 && !src->keys) ||
		src->nserver_opts < 0 ||
		(src->nserver_opts > 0 && (!src->server_opt_names || !src->server_opt_values)))
	{
		cq_error_set(err, CQ_ERR_CONFIG, "invalid key or server option list");
		return false;
	}
	for (int k = 0; k < src->nkeys; k++)
	{
		if (!src->keys[k].column || src->keys[k].nvalues < 0 ||
			(src->keys[k].nvalues > 0 && !src->keys[k].values))
		{
			cq_error_set(err, CQ_ERR_CONFIG, "invalid values for key %d", k);
			return false;
		}
		for (int i = 0; i < src->keys[k].nvalues; i++)
			if (!src->keys[k].values[i])
			{
				cq_error_set(err, CQ_ERR_CONFIG, "null value for key column \"%s\"",
							 src->keys[k].column);
				return false;
			}
	}
	for (int s = 0; s < src->nserver_opts; s++)
		if (!src->server_opt_names[s])
		{
			cq_error_set(err, CQ_ERR_CONFIG, "null server option name");
			return false;
		}
	p->base_url = own_str(job, src->base_url, &ok);
	p->cred.token = own_str(job, src->cred.token, &ok);
	p->cred.user = own_str(job, src->cred.user, &ok);
	p->cred.secret = own_str(job, src->cred.secret, &ok);
	p->policy.allowed_hosts = own_str(job, src->policy.allowed_hosts, &ok);
	p->policy.denied_addrs = own_str(job, src->policy.denied_addrs, &ok);
	p->settings.ca_file = own_str(job, src->settings.ca_file, &ok);
	p->settings.user_agent = own_str(job, src->settings.user_agent, &ok);
	if (src->nout > 0 && src->out_cols)
	{
		int		   *oc = own(job, malloc((size_t) src->nout * sizeof(int)));

		if (oc)
			memcpy(oc, src->out_cols, (size_t) src->nout * sizeof(int));
		else
			ok = false;
		p->out_cols = oc;
	}
	if (src->nkeys > 0)
	{
		CqKeyValues *kv = own(job, calloc((size_t) src->nkeys, sizeof(CqKeyValues)));

		if (kv)
			for (int k = 0; k < src->nkeys; k++)
			{
				kv[k] = src->keys[k];
				kv[k].column = own_str(job, src->keys[k].column, &ok);
				kv[k].values = own_strv(job, src->keys[k].values, src->keys[k].nvalues, &ok);
			}
		else
			ok = false;
		p->keys = kv;
	}
	if (src->nserver_opts > 0)
	{
		p->server_opt_names = own_strv(job, src->server_opt_names, src->nserver_opts, &ok);
		p->server_opt_values = own_strv(job, src->server_opt_values, src->nserver_opts, &ok);
	}
	if (!ok)
		cq_error_set(err, CQ_ERR_NOMEM, "out of memory copying the job parameters");
	return ok;
}

static void
wipe(const char *s)
{
	if (s)
	{
		volatile char *v = (volatile char *) s;

		while (*v)
			*v++ = '\0';
	}
}

static void
job_destroy(CqJob *job)
{
	CqpUnit    *u;
	CqBatch    *b;

	while (job->ready_h)
	{
		CqpReq	   *r = job->ready_h;

		job->ready_h = r->next;
		cqp_job_req_free(r);
	}
	while (job->parse_h)
	{
		CqpReq	   *r = job->parse_h;

		job->parse_h = r->next;
		cqp_job_req_free(r);
	}
	while ((b = job->out_h) != NULL)
	{
		job->out_h = b->next;
		cq_batch_free(b);
	}
	while ((u = job->units) != NULL)
	{
		job->units = u->all_next;
		cqp_job_unit_free(u);
	}
	if (job->multi)
		curl_multi_cleanup(job->multi);
	cqp_http_cleanup(&job->http);
	cq_path_free(job->parent_rows);
	cq_path_free(job->parent_next);
	if (job->map_paths)
		for (int i = 0; i < job->table->parent->nmap; i++)
			cq_path_free(job->map_paths[i]);
	free(job->map_paths);
	cq_path_free(job->total);
	cqp_job_fast_plan_free(job->fast);
	if (job->efd >= 0)
		close(job->efd);
	free(job->workers);
	free(job->warn);
	free(job->ferrs);
	pthread_mutex_destroy(&job->mu);
	pthread_mutex_destroy(&job->wmu);
	pthread_cond_destroy(&job->cv);
	cqp_acct_unref(job->acct);
	/* our copies of the credentials do not linger in freed memory */
	wipe(job->params.cred.token);
	wipe(job->params.cred.user);
	wipe(job->params.cred.secret);
	for (int i = 0; i < job->nowned; i++)
		free(job->owned[i]);
	free(job->owned);
	free(job);
}

/*
 * cq_job_start
 *		Validate params, build the units and start the I/O thread and the
 *		parse workers (signals blocked).  The job deep-copies `params`
 *		(params_copy): only the source, table and plugin definitions must
 *		stay valid until cq_job_free.  Returns NULL with err filled on a
 *		configuration error.  Consumer thread.
 */
static CqJob *job_start(const CqJobParams *params, bool offline, CqError *err);

CqJob *
cq_job_start(const CqJobParams *params, CqError *err)
{
	return job_start(params, false, err);
}

/*
 * cqp_job_start_offline
 *		Test and benchmark hook: a job exactly like cq_job_start's (units,
 *		parse workers, batches, accounting) but without the I/O thread, so
 *		nothing is ever sent.  Bodies come from cqp_job_feed.  Consumer
 *		thread.
 */
CqJob *
cqp_job_start_offline(const CqJobParams *params, CqError *err)
{
	return job_start(params, true, err);
}

/*
 * cqp_job_acct
 *		The job's memory accounting, with a reference for the caller (drop it
 *		with cqp_acct_unref): its counters stay readable after cq_job_free
 *		(tests, diagnostics).
 */
CqpAcct *
cqp_job_acct(CqJob *job)
{
	atomic_fetch_add(&job->acct->refs, 1);
	return job->acct;
}

/*
 * cqp_job_feed
 *		Queue a copy of `body` as a completed, non-sequential page of the
 *		job's first unit (it does not decide a next page).  Returns the
 *		number of pages waiting for or being parsed after the push, or -1 on
 *		OOM or if the job has no unit.  Only for cqp_job_start_offline jobs;
 *		consumer thread.
 */
int
cqp_job_feed(CqJob *job, const char *body, size_t len)
{
	CqpReq	   *r = calloc(1, sizeof(CqpReq));
	int			n;

	if (!r)
		return -1;
	r->body.data = malloc(len + 1);
	pthread_mutex_lock(&job->mu);
	r->url = job->units ? strdup(job->units->origin_url) : NULL;
	if (!r->body.data || !r->url || !job->units)
	{
		pthread_mutex_unlock(&job->mu);
		free(r->body.data);
		free(r->url);
		free(r);
		return -1;
	}
	memcpy(r->body.data, body, len);
	r->body.data[len] = '\0';
	r->body.len = r->body.cap = r->charged = len;
	r->http = &job->http;
	r->unit = job->units;
	r->page_index = -1;
	r->seq = false;
	cqp_acct_add(job->acct, len);
	r->unit->outstanding++;
	n = atomic_fetch_add(&job->parsing, 1) + 1;
	if (job->parse_t)
		job->parse_t->next = r;
	else
		job->parse_h = r;
	job->parse_t = r;
	pthread_cond_signal(&job->cv);
	pthread_mutex_unlock(&job->mu);
	return n;
}

/*
 * cqp_job_feed_end
 *		No more bodies: drop the units' first requests (never sent), so the
 *		job finishes once every fed page is parsed.  Consumer thread.
 */
void
cqp_job_feed_end(CqJob *job)
{
	pthread_mutex_lock(&job->mu);
	while (job->ready_h)
	{
		CqpReq	   *r = job->ready_h;

		job->ready_h = r->next;
		if (!job->ready_h)
			job->ready_t = NULL;
		cqp_job_req_done_locked(job, r);
	}
	pthread_mutex_unlock(&job->mu);
}

static CqJob *
job_start(const CqJobParams *params, bool offline, CqError *err)
{
	CqJob	   *job;
	const CqTableDef *t = params ? params->table : NULL;

	memset(err, 0, sizeof(*err));
	if (!t)
	{
		cq_error_set(err, CQ_ERR_CONFIG, "no table given");
		return NULL;
	}
	if (params->nout < 0 || (params->nout > 0 && !params->out_cols))
	{
		cq_error_set(err, CQ_ERR_CONFIG, "invalid output column list");
		return NULL;
	}
	for (int i = 0; i < params->nout; i++)
		if (params->out_cols[i] < 0 || params->out_cols[i] >= t->ncolumns)
		{
			cq_error_set(err, CQ_ERR_CONFIG, "output column %d out of range", i);
			return NULL;
		}
	if (!t->endpoint)
	{
		cq_error_set(err, CQ_ERR_CONFIG, "table \"%s\" has no endpoint", t->name ? t->name : "?");
		return NULL;
	}

	job = calloc(1, sizeof(CqJob));
	if (!job)
	{
		cq_error_set(err, CQ_ERR_NOMEM, "out of memory");
		return NULL;
	}
	job->efd = -1;
	pthread_mutex_init(&job->mu, NULL);
	pthread_mutex_init(&job->wmu, NULL);
	pthread_cond_init(&job->cv, NULL);
	atomic_init(&job->stop, false);
	atomic_init(&job->parsing, 0);
	atomic_init(&job->out_count, 0);
	atomic_init(&job->page_expect, 0);
	atomic_init(&job->batch_expect, 0);
	atomic_init(&job->npaused, 0);
	if (!params_copy(job, params, err))
	{
		job_destroy(job);
		return NULL;
	}
	sanitize_settings(&job->params.settings);
	job->table = t;
	job->base_url = job->params.base_url ? job->params.base_url :
		(params->source ? params->source->base_url : NULL);
	job->acct = cqp_acct_new();
	job->warn = calloc((size_t) params->nout + 1, sizeof(CqColumnWarning));
	job->workers = calloc((size_t) job->params.settings.workers, sizeof(pthread_t));
	if (!job->acct || !job->warn || !job->workers)
	{
		cq_error_set(err, CQ_ERR_NOMEM, "out of memory");
		goto fail;
	}
	job->st.budget_bytes = job->params.settings.memory_budget;
#ifdef CQ_NO_FAST_EXTRACT		/* build flag: measure the full-parse path */
	(void) cqp_job_fast_plan_new;
#else
	job->fast = cqp_job_fast_plan_new(job);
#endif
	if (!cqp_http_init(&job->http, &job->params, job->acct, err))
		goto fail;
	job->http.stop = &job->stop;
	job->http.grow = cqp_job_io_grow;
	job->http.grow_ud = job;

	/* paths the loader does not compile */
	if (t->total && *t->total && !(job->total = cq_path_compile(t->total, err)))
		goto fail;
	if (t->parent)
	{
		const CqParentDef *pd = t->parent;

		if (!(job->parent_rows = cq_path_compile(pd->rows ? pd->rows : "", err)))
			goto fail;
		if (pd->next && *pd->next && !(job->parent_next = cq_path_compile(pd->next, err)))
			goto fail;
		job->map_paths = calloc((size_t) pd->nmap + 1, sizeof(CqPath *));
		if (!job->map_paths)
		{
			cq_error_set(err, CQ_ERR_NOMEM, "out of memory");
			goto fail;
		}
		for (int i = 0; i < pd->nmap; i++)
			if (!(job->map_paths[i] = cq_path_compile(pd->map_path[i], err)))
				goto fail;
	}

	job->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	job->multi = curl_multi_init();
	if (job->efd < 0 || !job->multi)
	{
		cq_error_set(err, CQ_ERR_INTERNAL, "cannot create the job's event fd or multi handle");
		goto fail;
	}
	curl_multi_setopt(job->multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, (long) job->params.settings.concurrency);
	curl_multi_setopt(job->multi, CURLMOPT_MAX_HOST_CONNECTIONS, (long) job->params.settings.concurrency);
	curl_multi_setopt(job->multi, CURLMOPT_MAXCONNECTS, (long) job->params.settings.concurrency);
	curl_multi_setopt(job->multi, CURLMOPT_PIPELINING, (long) CURLPIPE_MULTIPLEX);

	/* no thread exists yet: no lock contention, but keep the contract */
	pthread_mutex_lock(&job->mu);
	if (!cqp_job_build_units(job, err))
	{
		pthread_mutex_unlock(&job->mu);
		goto fail;
	}
	if (job->units_active == 0)
		cqp_job_finish_locked(job);
	pthread_mutex_unlock(&job->mu);

	if (!atomic_load(&job->stop))
	{
		if (!offline && !start_thread(&job->io, cqp_job_io_main, job))
		{
			cq_error_set(err, CQ_ERR_INTERNAL, "cannot start the I/O thread");
			goto fail;
		}
		job->io_started = !offline;
		for (int i = 0; i < job->params.settings.workers; i++)
		{
			if (!start_thread(&job->workers[i], cqp_job_worker_main, job))
			{
				cq_error_set(err, CQ_ERR_INTERNAL, "cannot start a parse worker");
				cq_job_free(job);
				return NULL;
			}
			job->nworkers_started++;
		}
	}
	return job;

fail:
	if (job->io_started)
	{
		cq_job_free(job);
		return NULL;
	}
	job_destroy(job);
	return NULL;
}

/* cq_job_fd: the eventfd to wait on.  Valid until cq_job_free. */
int
cq_job_fd(const CqJob *job)
{
	return job->efd;
}

/* Pop a batch or report the state.  job->mu held. */
static bool
next_locked(CqJob *job, CqBatch **out, CqJobState *st)
{
	if (job->failed)
	{
		*st = CQ_JOB_FAILED;
		return true;
	}
	if (job->out_h)
	{
		CqBatch    *b = job->out_h;

		job->out_h = b->next;
		if (!job->out_h)
			job->out_t = NULL;
		b->next = NULL;
		atomic_fetch_sub(&job->out_count, 1);
		*out = b;
		*st = CQ_JOB_BATCH;
		/* the I/O thread may be waiting for the consumer (budget) */
		curl_multi_wakeup(job->multi);
		return true;
	}
	if (job->finished)
	{
		*st = CQ_JOB_DONE;
		return true;
	}
	return false;
}

/*
 * cq_job_next
 *		Non-blocking: a batch (caller frees it with cq_batch_free), PENDING,
 *		DONE or FAILED.  FAILED is returned as soon as the job failed, even
 *		if batches are still queued.  Consumer thread.
 */
CqJobState
cq_job_next(CqJob *job, CqBatch **out)
{
	CqJobState	st = CQ_JOB_PENDING;
	uint64_t	cnt;
	ssize_t		r;

	*out = NULL;
	pthread_mutex_lock(&job->mu);
	if (next_locked(job, out, &st))
	{
		pthread_mutex_unlock(&job->mu);
		return st;
	}
	pthread_mutex_unlock(&job->mu);
	/* drain the fd, then look again: a push in between is not lost */
	r = read(job->efd, &cnt, sizeof(cnt));
	(void) r;
	pthread_mutex_lock(&job->mu);
	if (!next_locked(job, out, &st))
	{
		st = CQ_JOB_PENDING;
		/* the consumer freed its batches: a paused transfer may resume */
		if (atomic_load(&job->npaused) > 0)
			curl_multi_wakeup(job->multi);
	}
	pthread_mutex_unlock(&job->mu);
	return st;
}

/*
 * cq_job_cancel
 *		Ask every thread to stop; cq_job_next then returns FAILED with
 *		CQ_ERR_CANCELED unless the job had already ended.  Consumer thread.
 */
void
cq_job_cancel(CqJob *job)
{
	if (!job)
		return;
	pthread_mutex_lock(&job->mu);
	if (!job->finished && !job->failed)
	{
		CqError		e;

		memset(&e, 0, sizeof(e));
		cq_error_set(&e, CQ_ERR_CANCELED, "canceled");
		cqp_job_fail_job_locked(job, &e);
	}
	atomic_store(&job->stop, true);
	cqp_job_wake_locked(job);
	pthread_mutex_unlock(&job->mu);
}

/*
 * cq_job_free
 *		Cancel, join every thread, free everything (queued batches too).
 *		Batches already handed out stay valid until cq_batch_free.
 */
void
cq_job_free(CqJob *job)
{
	if (!job)
		return;
	cq_job_cancel(job);
	if (job->io_started)
		pthread_join(job->io, NULL);
	for (int i = 0; i < job->nworkers_started; i++)
		pthread_join(job->workers[i], NULL);
	job_destroy(job);
}

/* cq_job_error: the error after FAILED (valid until cq_job_free). */
const CqError *
cq_job_error(const CqJob *job)
{
	return &job->err;
}

/* cq_job_get_stats: a consistent copy of the counters; any thread. */
void
cq_job_get_stats(const CqJob *job, CqJobStats *out)
{
	CqJob	   *j = (CqJob *) job;

	pthread_mutex_lock(&j->mu);
	*out = j->st;
	pthread_mutex_unlock(&j->mu);
	out->peak_bytes = atomic_load(&j->acct->peak);
	out->budget_bytes = j->params.settings.memory_budget;
}

/* cq_job_column_warnings: per output column; read after the job ended. */
const CqColumnWarning *
cq_job_column_warnings(const CqJob *job, int *ncols)
{
	*ncols = job->params.nout;
	return job->warn;
}

/* cq_job_failed_units: skipped units (label in err.unit) and their errors. */
int
cq_job_failed_units(const CqJob *job, const CqError **errs)
{
	*errs = job->ferrs;
	return job->nferrs;
}

/*
 * cq_batch_free
 *		Free a batch: json references, its arena, and its bytes in the job's
 *		accounting (which outlives the job while batches exist).  Any thread.
 */
void
cq_batch_free(CqBatch *b)
{
	BatchImpl  *bi = (BatchImpl *) b;

	if (!b)
		return;
	cqp_job_decref_values(b->values, (size_t) b->nrows * (size_t) b->ncols);
	if (b->arena)
		cq_arena_free(b->arena);
	if (bi->acct)
	{
		cqp_acct_sub(bi->acct, b->bytes);
		cqp_acct_unref(bi->acct);
	}
	free(bi);
}
