/*-------------------------------------------------------------------------
 *
 * job_hydrate.c
 *		  Detail calls on demand ("hydrate"): when an output column of the
 *		  job comes from a table's detail call (spec "hydrate", column
 *		  "from"), each listed row gets one GET per needed detail call
 *		  before it is emitted, run concurrently by the same I/O thread,
 *		  budget, rate gate and retries as the listing.
 *
 * How a page flows:
 *	- a worker parses a list page as usual; instead of emitting its rows it
 *	  builds a HydPage (the page's documents and rows, kept alive and
 *	  charged to the budget) and queues one request per row and needed
 *	  detail call (at the front of the ready queue: details before more
 *	  listing, so held pages stay few), each counted in the unit's
 *	  outstanding requests, so the unit cannot finish before its details;
 *	- a finished detail request comes back to a worker through the parse
 *	  queue (a failure too: cqp_job_fail_req routes it there), which stores
 *	  the detail document in the page; the worker that completes the last
 *	  one emits the page's rows, then frees the page;
 *	- a failed detail call: a status in the entry's null_status reads as
 *	  no document (the row's detail columns are NULL); otherwise, with
 *	  skip_failed_units, the row is dropped and the error kept as a failed
 *	  "unit" (one WARNING each in the FDW), else the job fails.
 *
 * Invariants: page->pending is changed under job->mu only; the rows of a
 * page are emitted by exactly one worker, before its last detail request
 * is dropped (so the unit, and the job, finish after the rows are queued);
 * every page still alive when the job is destroyed is on job->hyd_pages
 * and freed there.  No PostgreSQL call: this runs on SDK threads.
 *
 * Copyright (c) 2026, cq_fdw developers
 *
 *-------------------------------------------------------------------------
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cq_sdk_int.h"
#include "job_int.h"
#include "xml.h"

struct CqpHydPage
{
	struct CqpHydPage *next;	/* job->hyd_pages, under job->mu */
	struct CqpHydPage *prev;
	CqpUnit    *u;
	json_t	   *doc;			/* references to the page's documents */
	json_t	   *ndoc;
	size_t		n;				/* rows */
	json_t	  **rows;
	json_t	  **nrows;			/* NULL or n */
	json_t	  **ups;			/* NULL or n * CQ_PATH_MAX_UP */
	json_t	  **nups;
	json_t	  **det;			/* n * table->nhydrate detail documents */
	bool	   *skip;			/* per row: a detail call failed (skipped) */
	int			pending;		/* detail requests not done (job->mu) */
	size_t		charged;		/* bytes charged to job->acct */
};

/*
 * cqp_job_hydrate_init
 *		Which detail calls the job's output columns need (job->hyd_need,
 *		job->hyd_any).  Called by cq_job_start before the fast plan: a job
 *		with detail calls reads full trees.
 */
bool
cqp_job_hydrate_init(CqJob *job, CqError *err)
{
	const CqTableDef *t = job->table;

	job->hyd_any = false;
	if (t->nhydrate <= 0)
		return true;
	job->hyd_need = calloc((size_t) t->nhydrate, sizeof(bool));
	if (!job->hyd_need)
	{
		cq_error_set(err, CQ_ERR_NOMEM, "out of memory");
		return false;
	}
	for (int c = 0; c < job->params.nout; c++)
	{
		int			h = t->columns[job->params.out_cols[c]].hydrate;

		if (h > 0 && h <= t->nhydrate)
		{
			job->hyd_need[h - 1] = true;
			job->hyd_any = true;
		}
	}
	return true;
}

static void
page_free(CqJob *job, struct CqpHydPage *pg)
{
	size_t		nd = (size_t) job->table->nhydrate;

	if (!pg)
		return;
	if (pg->det)
		for (size_t i = 0; i < pg->n * nd; i++)
			json_decref(pg->det[i]);
	json_decref(pg->doc);
	json_decref(pg->ndoc);
	free(pg->rows);
	free(pg->nrows);
	free(pg->ups);
	free(pg->nups);
	free(pg->det);
	free(pg->skip);
	if (pg->charged)
		cqp_acct_sub(job->acct, pg->charged);
	free(pg);
}

/* Unlink a page from job->hyd_pages.  job->mu held. */
static void
page_unlink_locked(CqJob *job, struct CqpHydPage *pg)
{
	if (pg->prev)
		pg->prev->next = pg->next;
	else
		job->hyd_pages = pg->next;
	if (pg->next)
		pg->next->prev = pg->prev;
	pg->next = pg->prev = NULL;
}

/* Pages left when the job is destroyed (threads joined). */
void
cqp_job_hydrate_free_all(CqJob *job)
{
	struct CqpHydPage *pg;

	while ((pg = job->hyd_pages) != NULL)
	{
		page_unlink_locked(job, pg);
		page_free(job, pg);
	}
	free(job->hyd_need);
	job->hyd_need = NULL;
}

/*
 * The URL of detail call h for row `row` of unit u: placeholders from the
 * row's columns, else the unit's value of that (key) column.  NULL with
 * *missing set when a value is missing (no call: the columns are NULL),
 * NULL with err set on an error.  `label` gets "<name> of col=v,...".
 */
static char *
detail_url(CqJob *job, CqpUnit *u, const CqHydrateDef *h, json_t *row,
		   char *label, size_t labellen, bool *missing, CqError *err)
{
	const CqTableDef *t = job->table;
	const char *vals[SPEC_MAX_PLACEHOLDERS];
	char		bufs[SPEC_MAX_PLACEHOLDERS][256];
	size_t		lo;
	char	   *path;

	*missing = false;
	lo = (size_t) snprintf(label, labellen, "%s of ", h->name);
	for (int p = 0; p < h->nparams && p < SPEC_MAX_PLACEHOLDERS; p++)
	{
		const CqColumnDef *pc = &t->columns[h->param_cols[p]];
		json_t	   *v = (pc->cpath && json_is_object(row)) ? cq_path_get(pc->cpath, row) : NULL;

		vals[p] = NULL;
		if (v && json_is_string(v) && pc->transform_kind != CQ_XFORM_NONE)
		{
			/* the column's value, as the column shows it (a zone URL's
			 * last segment) */
			const char *o;
			size_t		ol;

			if (cq_column_transform(pc, json_string_value(v), json_string_length(v), &o, &ol) &&
				ol > 0 && ol < sizeof(bufs[p]) && memchr(o, '\0', ol) == NULL)
			{
				memcpy(bufs[p], o, ol);
				bufs[p][ol] = '\0';
				vals[p] = bufs[p];
			}
		}
		else if (v)
			cqp_job_value_text(v, bufs[p], sizeof(bufs[p]), &vals[p]);
		if (!vals[p])
		{
			vals[p] = NULL;
			for (int i = 0; i < u->na; i++)
				if (u->acol[i] == h->param_cols[p])
					vals[p] = u->av[i];
		}
		if (!vals[p] || !vals[p][0])
		{
			*missing = true;
			return NULL;
		}
		if (lo < labellen)
			lo += (size_t) snprintf(label + lo, labellen - lo, "%s%s=%s",
									p ? "," : "", pc->name, vals[p]);
	}
	path = cqp_expand_template(h->endpoint, h->nparams,
							   (const char *const *) h->param_names, vals, err);
	if (!path)
		return NULL;
	if (t->aws)
	{
		/* the listing unit's host (S3: s3.amazonaws.com for ListBuckets;
		 * a bucket elsewhere answers with its region, http.c s3_moved) */
		char	   *base = cqp_aws_base_url(t->aws, job->base_url, u->aws_region);

		path = base ? cqp_job_join_url(base, path) : (free(path), NULL);
		free(base);
	}
	else
		path = cqp_job_join_url(job->base_url, path);
	if (!path && err->kind == CQ_ERR_NONE)
		cq_error_set(err, job->base_url ? CQ_ERR_NOMEM : CQ_ERR_CONFIG,
					 job->base_url ? "out of memory" : "no base_url: set the server option base_url");
	return path;
}

/* Emit the rows of a complete page that were not skipped; frees it. */
static bool
page_emit(CqJob *job, struct CqpHydPage *pg, size_t *bytes, CqError *err)
{
	size_t		nd = (size_t) job->table->nhydrate;
	size_t		k = 0;
	bool		ok = true;

	/* compact the rows kept (arrays are the page's own) */
	for (size_t i = 0; i < pg->n; i++)
	{
		if (pg->skip[i])
			continue;
		if (k != i)
		{
			pg->rows[k] = pg->rows[i];
			if (pg->nrows)
				pg->nrows[k] = pg->nrows[i];
			if (pg->ups)
				memcpy(pg->ups + k * CQ_PATH_MAX_UP, pg->ups + i * CQ_PATH_MAX_UP,
					   CQ_PATH_MAX_UP * sizeof(json_t *));
			if (pg->nups)
				memcpy(pg->nups + k * CQ_PATH_MAX_UP, pg->nups + i * CQ_PATH_MAX_UP,
					   CQ_PATH_MAX_UP * sizeof(json_t *));
			for (size_t d = 0; d < nd; d++)
			{
				pg->det[k * nd + d] = pg->det[i * nd + d];
				pg->det[i * nd + d] = NULL;
			}
		}
		k++;
	}
	if (k > 0)
		ok = cqp_job_emit_rows_det(job, pg->u, pg->rows, pg->nrows, pg->ups,
								   pg->nups, pg->det, k, bytes, err);
	return ok;
}

/*
 * Does the LIMIT bound the rows given detail calls?  Only when every row
 * admitted is then returned: not with skip_failed (a row whose detail call
 * fails is left out, a later row takes its place) nor with a plugin's
 * transform_row (which may drop rows).
 */
static bool
hyd_limit_applies(const CqJob *job)
{
	return job->hyd_any && job->params.limit >= 0 &&
		!job->params.settings.skip_failed_units &&
		!(job->params.plugin && job->params.plugin->transform_row);
}

/*
 * cqp_job_hydrate_limit_reached_locked
 *		The LIMIT's rows are all admitted to detail calls: no further list
 *		page can add a returned row (job_page.c stops paging).  job->mu
 *		held.
 */
bool
cqp_job_hydrate_limit_reached_locked(const CqJob *job)
{
	return hyd_limit_applies(job) && job->hyd_admitted >= job->params.limit;
}

/*
 * cqp_job_hydrate_page
 *		A list page's rows need detail calls: keep them (taking references
 *		to doc/ndoc and the row arrays of rv/nrv, which are cleared) and
 *		queue the requests.  Rows without any request to make are emitted
 *		at once with the page.  Returns false with err on an error.
 */
bool
cqp_job_hydrate_page(CqJob *job, CqpUnit *u, json_t *doc, json_t *ndoc,
					 RowVec *rv, RowVec *nrv, size_t bodylen, size_t *bytes,
					 CqError *err)
{
	const CqTableDef *t = job->table;
	size_t		nd = (size_t) t->nhydrate;
	struct CqpHydPage *pg;
	CqpReq	  **reqs = NULL;
	size_t		nreq = 0;
	bool		use_n = nrv->n == rv->n && nrv->v;

	size_t		nrows = rv->n;

	if (rv->n == 0)
		return true;

	/*
	 * LIMIT: only rows that will be returned get detail calls.  Without
	 * skip_failed every row admitted here is queued (a failed detail call
	 * fails the scan; a null status keeps the row), so once the limit's
	 * count of rows is admitted, the pages' other rows are dropped unread.
	 * With skip_failed a row whose call fails is left out and a later row
	 * takes its place: every row is hydrated then.
	 */
	if (hyd_limit_applies(job))
	{
		int64_t		room;

		pthread_mutex_lock(&job->mu);
		room = job->params.limit - job->hyd_admitted;
		if (room > 0 && (int64_t) nrows > room)
			nrows = (size_t) room;
		if (room > 0)
			job->hyd_admitted += (int64_t) nrows;
		pthread_mutex_unlock(&job->mu);
		if (room <= 0)
			return true;
	}
	pg = calloc(1, sizeof(*pg));
	if (!pg)
		goto oom;
	pg->u = u;
	pg->n = nrows;
	pg->doc = json_incref(doc);
	pg->ndoc = use_n ? json_incref(ndoc) : NULL;
	pg->rows = rv->v;
	rv->v = NULL;
	pg->ups = rv->up;
	rv->up = NULL;
	if (use_n)
	{
		pg->nrows = nrv->v;
		nrv->v = NULL;
		pg->nups = nrv->up;
		nrv->up = NULL;
	}
	pg->det = calloc(pg->n * nd, sizeof(json_t *));
	pg->skip = calloc(pg->n, sizeof(bool));
	reqs = calloc(pg->n * nd, sizeof(CqpReq *));
	if (!pg->det || !pg->skip || !reqs)
		goto oom;
	/* the page's document stays alive until its rows are emitted */
	pg->charged = bodylen;
	cqp_acct_add(job->acct, bodylen);

	pthread_mutex_lock(&job->mu);
	pg->next = job->hyd_pages;
	if (pg->next)
		pg->next->prev = pg;
	job->hyd_pages = pg;
	pthread_mutex_unlock(&job->mu);

	for (size_t r = 0; r < pg->n; r++)
		for (size_t d = 0; d < nd; d++)
		{
			char		label[128];
			bool		missing;
			char	   *url;
			CqpReq	   *req;

			if (!job->hyd_need[d])
				continue;
			memset(err, 0, sizeof(*err));
			url = detail_url(job, u, &t->hydrate[d], pg->rows[r], label,
							 sizeof(label), &missing, err);
			if (!url && missing)
				continue;		/* no value to ask with: NULL columns */
			if (!url)
				goto fail;
			pthread_mutex_lock(&job->mu);
			req = cqp_job_new_req_locked(job, u, url, -1, false);
			pthread_mutex_unlock(&job->mu);
			if (!req)
				goto oom;
			req->hyd_page = pg;
			req->hyd_row = (int) r;
			req->hyd_idx = (int) d;
			cqp_job_scopy(req->hyd_label, sizeof(req->hyd_label), label);
			reqs[nreq++] = req;
		}

	pthread_mutex_lock(&job->mu);
	pg->pending = (int) nreq;
	if (nreq > 0 && !atomic_load(&job->stop) && !u->failed)
	{
		/* at the front, in row order */
		for (size_t i = nreq; i-- > 0;)
			cqp_job_push_ready_locked(job, reqs[i], true);
		pthread_mutex_unlock(&job->mu);
		free(reqs);
		return true;
	}
	page_unlink_locked(job, pg);
	for (size_t i = 0; i < nreq; i++)
	{
		cqp_job_req_free(reqs[i]);
		u->outstanding--;
	}
	pthread_mutex_unlock(&job->mu);
	free(reqs);
	{
		bool		ok = nreq > 0 || page_emit(job, pg, bytes, err);

		page_free(job, pg);
		return ok;
	}

oom:
	cq_error_set(err, CQ_ERR_NOMEM, "out of memory");
fail:
	if (pg)
	{
		pthread_mutex_lock(&job->mu);
		if (pg->prev || job->hyd_pages == pg)
			page_unlink_locked(job, pg);
		for (size_t i = 0; i < nreq; i++)
		{
			cqp_job_req_free(reqs[i]);
			u->outstanding--;
		}
		pthread_mutex_unlock(&job->mu);
		page_free(job, pg);
	}
	free(reqs);
	return false;
}

/*
 * cqp_job_hydrate_fail
 *		A detail request failed (after retries, or before it was sent):
 *		hand it to a worker through the parse queue, with its error, so the
 *		page's policy runs in one place.  Consumes the error's copy.
 */
void
cqp_job_hydrate_fail(CqJob *job, CqpReq *req, const CqError *err)
{
	CqError    *e = malloc(sizeof(CqError));

	if (e)
		*e = *err;
	pthread_mutex_lock(&job->mu);
	free(req->hyd_err);
	req->hyd_err = e;
	req->hyd_failed = true;
	free(req->body.data);
	req->body.data = NULL;
	req->body.len = 0;
	atomic_fetch_add(&job->parsing, 1);
	req->next = NULL;
	if (job->parse_t)
		job->parse_t->next = req;
	else
		job->parse_h = req;
	job->parse_t = req;
	pthread_cond_signal(&job->cv);
	pthread_mutex_unlock(&job->mu);
}

/* Is the error's status one the entry reads as "no document"? */
static bool
null_status(const CqHydrateDef *h, const CqError *e)
{
	for (int i = 0; e && i < h->nnull_status; i++)
		if (e->http_status == h->null_status[i])
			return true;
	return false;
}

/* Parse a detail body into its document (rows pointer applied). */
static json_t *
detail_doc(CqJob *job, const CqHydrateDef *h, CqpReq *req, CqError *err)
{
	const CqJobSettings *s = &job->params.settings;
	json_error_t jerr;
	size_t		nbig = 0,
				nreal = 0;
	json_t	   *doc,
			   *v;

	if (req->body.len == 0)
		return NULL;
	if (job->table->aws && job->table->aws->protocol == CQ_AWS_REST_XML)
	{
		/*
		 * an XML reply (S3): to JSON, root element dropped; a repeated
		 * element (S3's flattened lists, GetBucketEncryption's Rule) is
		 * an array, a single one an object
		 */
		CqpXmlOptions xo;

		memset(&xo, 0, sizeof(xo));
		xo.max_bytes = s->max_response_bytes;
		doc = cqp_xml_to_json(req->body.data, req->body.len, &xo, err);
		if (!doc)
			return NULL;
		v = json_incref(h->crows ? cq_path_get(h->crows, doc) : doc);
		json_decref(doc);
		return v;
	}
	if (!cqp_job_json_prescan(req->body.data, req->body.len, s->max_json_depth,
							  s->max_string_bytes, &nbig, &nreal, err))
		return NULL;
	if (nbig > 0)
	{
		size_t		ql = 0;
		char	   *qb = cqp_job_quote_numbers(req->body.data, req->body.len, nbig, false, &ql);

		if (!qb)
		{
			cq_error_set(err, CQ_ERR_NOMEM, "out of memory");
			return NULL;
		}
		doc = json_loadb(qb, ql, JSON_ALLOW_NUL, &jerr);
		free(qb);
	}
	else
		doc = json_loadb(req->body.data, req->body.len, JSON_ALLOW_NUL, &jerr);
	if (!doc)
	{
		char		txt[160];

		cqp_sanitize_copy(txt, sizeof(txt), jerr.text, strlen(jerr.text));
		cq_error_set(err, CQ_ERR_JSON, "invalid JSON in response: %s at line %d column %d",
					 txt, jerr.line, jerr.column);
		return NULL;
	}
	v = h->crows ? cq_path_get(h->crows, doc) : doc;
	v = json_incref(v);
	json_decref(doc);
	return v;
}

/*
 * cqp_job_hydrate_done
 *		A worker took a detail request from the parse queue (a response, or
 *		a failure from cqp_job_hydrate_fail): store its document, apply
 *		the failure policy, and emit the page when it was the last.
 *		Consumes req.
 */
void
cqp_job_hydrate_done(CqJob *job, CqpReq *req)
{
	struct CqpHydPage *pg = req->hyd_page;
	CqpUnit    *u = req->unit;
	const CqHydrateDef *h = &job->table->hydrate[req->hyd_idx];
	size_t		nd = (size_t) job->table->nhydrate;
	CqError		err;
	json_t	   *d = NULL;
	bool		failed = false;
	bool		last;
	bool		emit;
	size_t		bytes = 0;
	size_t		bodylen = req->body.len;

	memset(&err, 0, sizeof(err));
	if (!u->failed && !atomic_load(&job->stop))
	{
		if (req->hyd_failed)
		{
			if (req->hyd_err)
				err = *req->hyd_err;
			else
				cq_error_set(&err, CQ_ERR_NOMEM, "out of memory");
			failed = !null_status(h, &err);
		}
		else if (bodylen > 0 && !(d = detail_doc(job, h, req, &err)) && err.kind != CQ_ERR_NONE)
			failed = true;
	}
	free(req->body.data);
	req->body.data = NULL;
	req->body.cap = 0;

	pthread_mutex_lock(&job->mu);
	if (failed)
	{
		cqp_job_scopy(err.unit, sizeof(err.unit), req->hyd_label);
		if (!err.url[0])
			cq_redact_url(req->url, err.url, sizeof(err.url));
		if (job->params.settings.skip_failed_units &&
			err.kind != CQ_ERR_NOMEM && err.kind != CQ_ERR_INTERNAL &&
			err.kind != CQ_ERR_CANCELED)
		{
			if (!pg->skip[req->hyd_row])
			{
				pg->skip[req->hyd_row] = true;
				job->st.units_failed++;
				job->st.details_failed++;
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
					job->ferrs[job->nferrs] = err;
					cqp_error_redact(&job->ferrs[job->nferrs++], &job->params.cred);
				}
			}
		}
		else
			cqp_job_fail_job_locked(job, &err);
	}
	else if (d)
	{
		pg->det[(size_t) req->hyd_row * nd + (size_t) req->hyd_idx] = d;
		d = NULL;
		/* the detail document stays alive with its page */
		pg->charged += bodylen;
		cqp_acct_add(job->acct, bodylen);
	}
	last = (--pg->pending == 0);
	emit = last && !u->failed && !atomic_load(&job->stop);
	if (last)
		page_unlink_locked(job, pg);
	pthread_mutex_unlock(&job->mu);
	json_decref(d);

	/* rows before the request is dropped: the unit is still running */
	if (last)
	{
		memset(&err, 0, sizeof(err));
		if (emit && !page_emit(job, pg, &bytes, &err))
		{
			cq_redact_url(req->url, err.url, sizeof(err.url));
			pthread_mutex_lock(&job->mu);
			cqp_job_unit_fail_locked(job, u, &err);
			pthread_mutex_unlock(&job->mu);
		}
		page_free(job, pg);
	}
	pthread_mutex_lock(&job->mu);
	atomic_fetch_sub(&job->parsing, 1);
	cqp_job_req_done_locked(job, req);
	pthread_mutex_unlock(&job->mu);
}
