/*-------------------------------------------------------------------------
 *
 * job_page.c
 *		  Parse workers: one completed page of a unit -- parse (fast path or
 *		  full tree), rows or child units, the next page.
 *
 * Invariants:
 *	- a worker takes a page from the parse queue under job->mu and
 *	  processes it without the lock; it takes the lock again only to queue
 *	  the next request, link child units and drop the request;
 *	- a page's rows are emitted (batches pushed) before its next page is
 *	  queued; a page emits rows either through the fast path or the full
 *	  tree, never both (the fast path emits nothing when it gives up);
 *	- a page consumes its request exactly once (cqp_job_req_done_locked on
 *	  every path: done, failed, or the job stopped), and its body's bytes
 *	  stay charged until the page is done (they stand for the document);
 *	- a parent page's next page waits until every child unit spawned from
 *	  it has finished (depth-first); a URL a unit has already requested is
 *	  not requested again (loops_stopped).
 *
 * Copyright (c) 2026, cq_fdw developers
 *
 *-------------------------------------------------------------------------
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "cq_sdk_int.h"
#include "job_int.h"
#include "xml.h"

/* ------------------------------------------------------------------------
 * Parse workers
 * ------------------------------------------------------------------------ */

/*
 * Text of a scalar row value for a URL placeholder (a parent row's value for
 * a child unit's parameter, a row's value for a detail call): false for
 * null, objects and arrays.  buf holds numbers' text.
 */
bool
cqp_job_value_text(json_t *v, char *buf, size_t len, const char **out)
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

/*
 * The assignments of a child unit: the parent unit's, then `extra` more
 * (filled by the caller).  One allocation per spawn, reused for each child
 * (cqp_job_make_unit copies what it keeps).
 */
typedef struct ChildAssign
{
	int			na;
	const char **an;
	const char **av;
	int		   *acol;
	bool	   *aq;
} ChildAssign;

static bool
child_assign_init(ChildAssign *ca, const CqpUnit *u, int extra)
{
	ca->na = u->na + extra;
	ca->an = calloc((size_t) ca->na + 1, sizeof(char *));
	ca->av = calloc((size_t) ca->na + 1, sizeof(char *));
	ca->acol = calloc((size_t) ca->na + 1, sizeof(int));
	ca->aq = calloc((size_t) ca->na + 1, sizeof(bool));
	if (!ca->an || !ca->av || !ca->acol || !ca->aq)
		return false;
	for (int i = 0; i < u->na; i++)
	{
		ca->an[i] = u->an[i];
		ca->av[i] = u->av[i];
		ca->acol[i] = u->acol[i];
		ca->aq[i] = u->aquery[i];
	}
	return true;
}

static void
child_assign_free(ChildAssign *ca)
{
	free(ca->an);
	free(ca->av);
	free(ca->acol);
	free(ca->aq);
}

/*
 * Start one child unit of u with the assignments ca: added to the job, or,
 * when it cannot be made, recorded as a failed unit (the partial-failure
 * policy decides).  Returns 1 when started, else 0.
 */
static int
start_child_unit(CqJob *job, CqpUnit *u, const ChildAssign *ca)
{
	CqpUnit    *child;
	CqpReq	   *first;
	CqError		cerr;
	int			started = 0;

	memset(&cerr, 0, sizeof(cerr));
	child = cqp_job_make_unit(job, u, ca->na, ca->an, ca->av, ca->acol, ca->aq, &first, &cerr);
	pthread_mutex_lock(&job->mu);
	if (child)
	{
		cqp_job_add_unit_locked(job, child, first);
		started = 1;
	}
	else
		cqp_job_unit_fail_locked(job, NULL, &cerr);
	pthread_mutex_unlock(&job->mu);
	return started;
}

/* Parent page: one child unit per parent row (rows lacking a map value are
 * skipped).  Returns the number of children started, -1 on error. */
static int
spawn_children(CqJob *job, CqpUnit *u, json_t **rows, size_t n, CqError *err)
{
	const CqParentDef *pd = job->table->parent;
	ChildAssign ca;
	char	  (*bufs)[256] = calloc((size_t) pd->nmap + 1, 256);
	int			started = 0;

	if (!child_assign_init(&ca, u, pd->nmap) || !bufs)
	{
		cq_error_set(err, CQ_ERR_NOMEM, "out of memory");
		started = -1;
		goto done;
	}
	for (int m = 0; m < pd->nmap; m++)
	{
		const char *param = pd->map_param[m];
		int			k = u->na + m;

		ca.an[k] = param;
		ca.acol[k] = -1;
		ca.aq[k] = false;
		for (int i = 0; i < job->table->nkeys; i++)
		{
			const CqKeyDef *kd = &job->table->keys[i];

			if (strcmp(kd->param ? kd->param : kd->column, param) == 0)
			{
				ca.acol[k] = cqp_job_find_col(job->table, kd->column);
				ca.aq[k] = (kd->in == CQ_IN_QUERY);
			}
		}
	}
	for (size_t r = 0; r < n && !atomic_load(&job->stop); r++)
	{
		bool		ok = true;

		for (int m = 0; m < pd->nmap && ok; m++)
		{
			json_t	   *v = job->map_paths[m] ? cq_path_get(job->map_paths[m], rows[r]) : NULL;
			int			kc = ca.acol[u->na + m];
			const CqColumnDef *xc = kc >= 0 ? &job->table->columns[kc] : NULL;

			if (xc && xc->transform_kind != CQ_XFORM_NONE && json_is_string(v))
			{
				/*
				 * The key column's transform applies to the value it is
				 * filled with, as the column shows it: a GCP instance group
				 * manager's zone URL gives the zone name for {zone}.
				 */
				const char *o;
				size_t		ol;

				ok = cq_column_transform(xc, json_string_value(v), json_string_length(v), &o, &ol) &&
					ol > 0 && ol < 256 && memchr(o, '\0', ol) == NULL;
				if (ok)
				{
					memcpy(bufs[m], o, ol);
					bufs[m][ol] = '\0';
					ca.av[u->na + m] = bufs[m];
				}
			}
			else
				ok = cqp_job_value_text(v, bufs[m], 256, &ca.av[u->na + m]);
		}
		if (ok)
			started += start_child_unit(job, u, &ca);
	}
done:
	child_assign_free(&ca);
	free(bufs);
	return started;
}

/*
 * AWS regions page (EC2 DescribeRegions, /regionInfo/ * /regionName): one
 * child unit per region, with the unit's other assignments.  Returns the
 * number of children started, -1 on error.
 */
static int
spawn_regions(CqJob *job, CqpUnit *u, json_t *doc, CqError *err)
{
	const CqTableDef *t = job->table;
	const CqKeyDef *rk = NULL;
	json_t	   *list = json_object_get(doc, "regionInfo");
	ChildAssign ca;
	int			started = 0;
	size_t		i;
	json_t	   *e;

	for (int k = 0; k < t->nkeys; k++)
		if (t->keys[k].in == CQ_IN_REGION)
			rk = &t->keys[k];
	if (!child_assign_init(&ca, u, 1) || !rk)
	{
		cq_error_set(err, CQ_ERR_NOMEM, "out of memory");
		started = -1;
		goto done;
	}
	if (!json_is_array(list))
	{
		cq_error_set(err, CQ_ERR_JSON, "EC2 DescribeRegions replied without regionInfo");
		started = -1;
		goto done;
	}
	ca.an[u->na] = rk->param;
	ca.acol[u->na] = cqp_job_find_col(t, rk->column);
	ca.aq[u->na] = false;
	json_array_foreach(list, i, e)
	{
		json_t	   *rn = json_object_get(e, "regionName");

		if (atomic_load(&job->stop))
			break;
		if (!json_is_string(rn) || json_string_length(rn) == 0 || json_string_length(rn) > 63)
			continue;
		ca.av[u->na] = json_string_value(rn);
		started += start_child_unit(job, u, &ca);
	}
done:
	child_assign_free(&ca);
	return started;
}

/*
 * Does pointer ptr (text) lead into the rows (rows segments, "*" any)?
 * Then a projection could drop what the pager reads.
 */
static bool
pointer_in_rows(const char *ptr, char *const *segs, int nseg)
{
	const char *q = ptr;

	if (!ptr)
		return false;
	for (int i = 0; i < nseg; i++)
	{
		size_t		l;

		if (*q != '/')
			return false;		/* ends above the rows */
		q++;
		l = strcspn(q, "/");
		if (strcmp(segs[i], "*") != 0 && (strlen(segs[i]) != l || strncmp(q, segs[i], l) != 0))
			return false;
		q += l;
	}
	return true;
}

/*
 * The projection of an XML page (CqpXmlOptions.rows_segs/row_keys): the
 * rows pointer's segments and the first member name of every output
 * column's path, so xml.c builds only what the columns read.  false (no
 * projection, the whole reply is converted) for anything else than an
 * ordinary page of rows read by plain "/a/b" or "^/..." paths: parent,
 * identifier and region listings, detail calls (their templates read the
 * row), plugin row transforms, "$column" lookups, "*" or escaped
 * segments, a pager pointer inside the rows.  Caller frees *segs and
 * *keys with free_strv-like loops (xml_projection_free).
 */
static bool
xml_projection(CqJob *job, CqpUnit *u, char ***segs, int *nseg, char ***keys,
			   char ***move)
{
	const CqTableDef *t = job->table;
	const CqJobParams *p = &job->params;
	const char *r = t->rows;
	char	  **sg = NULL;
	char	  **ks = NULL;
	int			ns = 0,
				nk = 0;

	*segs = *keys = *move = NULL;
	*nseg = 0;
	if (u->is_parent || u->lists_ids || u->is_regions || job->hyd_any ||
		(p->plugin && p->plugin->transform_row) || u->rows != t->crows ||
		!r || r[0] != '/' || strchr(r, '~'))
		return false;
	sg = calloc(strlen(r) + 1, sizeof(char *));
	ks = calloc((size_t) p->nout + 1, sizeof(char *));
	if (!sg || !ks)
		goto no;
	for (const char *q = r; *q == '/';)
	{
		size_t		l = strcspn(q + 1, "/");

		if (l == 0 || !(sg[ns++] = strndup(q + 1, l)))
			goto no;
		q += 1 + l;
	}
	if (pointer_in_rows(t->next, sg, ns) || pointer_in_rows(t->total, sg, ns) ||
		pointer_in_rows(t->more, sg, ns) || pointer_in_rows(t->remaining, sg, ns))
		goto no;
	for (int c = 0; c < p->nout; c++)
	{
		const CqColumnDef *col = &t->columns[p->out_cols[c]];
		const char *cp = col->path;
		size_t		l;

		if (u->colval[c] >= 0)
			continue;			/* the unit's value (region, account_id) */
		if (col->nvar_cols > 0 || col->hydrate > 0)
			goto no;
		if (!col->cpath)
		{
			if (!(ks[nk++] = strdup(col->name)))
				goto no;
			continue;
		}
		if (cqp_path_has_lookup(col->cpath) || !cp)
			goto no;
		if (cp[0] == '^')
			continue;			/* the element above the rows: kept whole */
		if (cp[0] != '/' )
			goto no;
		l = strcspn(cp + 1, "/");
		if (l == 0 || memchr(cp + 1, '~', l) || (l == 1 && cp[1] == '*'))
			goto no;
		if (!(ks[nk++] = strndup(cp + 1, l)))
			goto no;
	}
	*segs = sg;
	*nseg = ns;
	*keys = ks;

	/*
	 * json columns that read a whole member ("/key") no other column
	 * reads: they take it over from the page's document instead of copying
	 * it (u->json_move, cqp_job_extract_value_det)
	 */
	*move = calloc((size_t) p->nout + 1, sizeof(char *));
	for (int c = 0; *move && c < p->nout; c++)
	{
		const CqColumnDef *col = &t->columns[p->out_cols[c]];
		const char *cp = col->path;
		int			uses = 0;

		if (u->colval[c] >= 0 || col->type.base != CQ_T_JSON || !col->cpath || !cp ||
			cp[0] != '/' || strchr(cp + 1, '/') || col->type.is_array)
			continue;
		for (int k = 0; k < nk; k++)
			if (strcmp(ks[k], cp + 1) == 0)
				uses++;
		if (uses == 1 && !((*move)[c] = strdup(cp + 1)))
		{
			for (int i = 0; i < c; i++)
				free((*move)[i]);
			free(*move);
			*move = NULL;		/* OOM: copies, as without */
		}
	}
	return true;
no:
	for (int i = 0; sg && i < ns; i++)
		free(sg[i]);
	for (int i = 0; ks && i < nk; i++)
		free(ks[i]);
	free(sg);
	free(ks);
	return false;
}

static void
xml_projection_free(char **segs, int nseg, char **keys)
{
	for (int i = 0; segs && i < nseg; i++)
		free(segs[i]);
	for (int i = 0; keys && keys[i]; i++)
		free(keys[i]);
	free(segs);
	free(keys);
}

static void
json_move_free(char **move, int n)
{
	for (int i = 0; move && i < n; i++)
		free(move[i]);
	free(move);
}

/*
 * Process one completed page on a worker: parse, rows or children, next
 * page.  Consumes req.
 */
static void
process_page_body(CqJob *job, CqpReq *req)
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
	bool		paged = false;	/* nx holds the pager's answer */
	size_t		paged_rows = 0;
	char	  **jmove = NULL;	/* json members the rows take over */

	if (req->hyd_page)
	{
		/* a detail call's response (or failure) */
		cqp_job_hydrate_done(job, req);
		return;
	}
	memset(&err, 0, sizeof(err));
	memset(&nx, 0, sizeof(nx));
	if (u->failed || atomic_load(&job->stop))
		goto release;
	if (bodylen > 0 && job->table->aws &&
		(u->is_regions ||
		 job->table->aws->protocol == CQ_AWS_EC2 || job->table->aws->protocol == CQ_AWS_QUERY ||
		 job->table->aws->protocol == CQ_AWS_REST_XML))
	{
		/* an XML reply: to JSON (root element dropped), then as JSON */
		const CqAwsDef *a = job->table->aws;
		const CqAwsOpDef *pa = u->is_parent && job->table->parent ? job->table->parent->aws : NULL;
		int			nl = pa ? pa->nxml_lists : a->nxml_lists;
		char	  **ln = pa ? pa->xml_lists : a->xml_lists;
		const char **names = calloc((size_t) nl + 2, sizeof(char *));
		CqpXmlOptions xo;

		if (!names)
		{
			cq_error_set(&err, CQ_ERR_NOMEM, "out of memory");
			goto fail;
		}
		if (u->is_regions)
			names[0] = "regionInfo";
		else
			for (int i = 0; i < nl; i++)
				names[i] = ln[i];
		char	  **psegs = NULL;
		char	  **pkeys = NULL;
		int			npsegs = 0;

		memset(&xo, 0, sizeof(xo));
		xo.list_names = names;
		xo.max_bytes = s->max_response_bytes;
		xo.max_string = s->max_string_bytes;
		/* only what the columns read becomes JSON (xml.c) */
		if (xml_projection(job, u, &psegs, &npsegs, &pkeys, &jmove))
		{
			xo.rows_segs = (const char *const *) psegs;
			xo.nrows_segs = npsegs;
			xo.row_keys = (const char *const *) pkeys;
		}
		doc = cqp_xml_to_json(req->body.data, bodylen, &xo, &err);
		free(names);
		xml_projection_free(psegs, npsegs, pkeys);
		if (!doc)
			goto fail;
	}
	else if (bodylen > 0)
	{
		int			frc = cqp_job_fast_page(job, u, req->body.data, bodylen, &doc,
									&fast_nrows, &batch_bytes, &err);

		if (frc < 0)
			goto fail;
		fast = (frc > 0);
	}
	if (bodylen > 0 && !fast && !doc)
	{
		json_error_t jerr;
		size_t		nbig = 0,
					nreal = 0;

		if (!cqp_job_json_prescan(req->body.data, bodylen, s->max_json_depth, s->max_string_bytes,
						  &nbig, &nreal, &err))
			goto fail;
		if (nreal > 0 && !u->is_parent && !u->lists_ids && cqp_job_reads_numeric(job) &&
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
	/* rows under a "*": keep what it matched, for "^" column paths */
	rv.want_up = nrv.want_up = !u->is_parent && !u->lists_ids && cq_path_has_wildcard(u->rows);
	if (doc && !fast)
	{
		if (rv.want_up)
			rows_found = cqp_path_each_up(u->rows, doc, cqp_job_collect_rows_up, &rv) > 0;
		else if (u->rows)
			rows_found = cq_path_each(u->rows, doc, cqp_job_collect_rows, &rv) > 0;
		else
			cqp_job_collect_rows(doc, &rv);
	}
	if (ndoc && doc && !fast)
	{
		/* the same rows, in the same order: quoting changes no structure */
		if (nrv.want_up)
			cqp_path_each_up(u->rows, ndoc, cqp_job_collect_rows_up, &nrv);
		else if (u->rows)
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
	else if (u->is_regions)
	{
		nchildren = spawn_regions(job, u, doc, &err);
		if (nchildren < 0)
			goto fail;
	}
	else if (u->is_parent)
	{
		nchildren = spawn_children(job, u, rv.v, rv.n, &err);
		if (nchildren < 0)
			goto fail;
	}
	else if (u->lists_ids)
	{
		/* AWS list-then-get: the page's identifiers, described in batches */
		nchildren = cqp_job_aws_spawn_describe(job, u, rv.v, rv.n, &err);
		if (nchildren < 0)
			goto fail;
	}
	else if (job->hyd_any)
	{
		/* rows wait for their detail calls (job_hydrate.c) */
		if (!cqp_job_hydrate_page(job, u, doc, ndoc, &rv, &nrv, bodylen,
								  &batch_bytes, &err))
			goto fail;
	}
	else
	{
		bool		ok;

		u->json_move = (const char *const *) jmove;
		ok = cqp_job_emit_rows(job, u, rv.v, nrv.n == rv.n ? nrv.v : NULL,
							   rv.up, nrv.n == rv.n ? nrv.up : NULL, rv.n,
							   &batch_bytes, &err);
		u->json_move = NULL;
		if (!ok)
			goto fail;
	}
	json_move_free(jmove, job->params.nout);
	jmove = NULL;

	if (req->seq)
	{
		size_t		page_rows = fast ? fast_nrows : rv.n;

		/*
		 * Rows under a "*" (a child table, whose rows pointer goes on
		 * after a "*" into each element): the page's size is its number of
		 * parent elements, so a page of parents without children is not
		 * the empty last page of page_number or offset pagination.
		 */
		if (rv.want_up && doc)
		{
			long		np = cqp_path_wild_count(u->rows, doc);

			if (np >= 0)
				page_rows = (size_t) np;
		}
		cqp_paginate(&u->pager, req->url, req->page_index, req->link, doc,
					 page_rows, &nx);
		paged = true;
		paged_rows = page_rows;
	}
	cqp_json_release(doc);
	doc = NULL;
	free(rv.v);
	rv.v = NULL;
	free(rv.up);
	rv.up = NULL;
	cqp_json_release(ndoc);
	ndoc = NULL;
	free(nrv.v);
	nrv.v = NULL;
	free(nrv.up);
	nrv.up = NULL;

	cqp_atomic_size_max(&job->page_expect,
						(req->charged > bodylen ? req->charged : bodylen) + batch_bytes);
	cqp_atomic_size_max(&job->batch_expect, batch_bytes);

	pthread_mutex_lock(&job->mu);
	if (!rows_found)
		job->st.rows_missing++;
	if (paged)
	{
		/*
		 * What the API told of the unit's size, for progress
		 * (cq_fdw.scan_progress): a total row count (DigitalOcean
		 * meta.total), the rows remaining after this page (Kubernetes
		 * remainingItemCount: rows read so far + this page + remaining),
		 * the last page's number (Link rel="last", GitHub).  The job's
		 * totals are the sums over its units of what each last said.
		 */
		int64_t		told = nx.total_rows;

		u->rows_read += (int64_t) paged_rows;
		if (told < 0 && nx.remaining >= 0)
			told = u->rows_read + nx.remaining;
		if (told >= 0)
		{
			if (job->st.total_rows < 0)
				job->st.total_rows = 0;
			job->st.total_rows += told - u->told_rows;
			u->told_rows = told;
		}
		if (nx.last_page >= 1 && nx.kind != CQP_NEXT_RANGE)
		{
			if (job->st.total_pages < 0)
				job->st.total_pages = 0;
			job->st.total_pages += nx.last_page - u->told_pages;
			u->told_pages = nx.last_page;
		}
	}
	/* a LIMIT's rows all waiting for their details: no next page */
	if (!u->failed && !atomic_load(&job->stop) &&
		!cqp_job_hydrate_limit_reached_locked(job))
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

				if (r && (u->is_parent || u->lists_ids) && u->children > 0)
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
			/* the API told how many pages (rel="last", a total): progress */
			if (job->st.total_pages < 0)
				job->st.total_pages = 0;
			job->st.total_pages += 1 + (nx.to - nx.from) / u->range_step + 1 - u->told_pages;
			u->told_pages = 1 + (nx.to - nx.from) / u->range_step + 1;
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
	json_move_free(jmove, job->params.nout);
	cqp_json_release(doc);
	free(rv.v);
	free(rv.up);
	cqp_json_release(ndoc);
	free(nrv.v);
	free(nrv.up);
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

/*
 * Can this page's jansson values come from the worker's page arena
 * (jarena.c)?  Not when any of them outlives the page: a parent listing's
 * rows and DescribeRegions' regions become units, list-then-get pages
 * hand their identifiers to describe units, hydrate pages keep their rows
 * until the detail calls are back, and a plugin's transform_row may keep
 * what it is given.
 */
static bool
page_arena_ok(const CqJob *job, const CqpReq *req)
{
	const CqpUnit *u = req->unit;

	return job->params.settings.page_arena && !req->hyd_page && !job->hyd_any &&
		!u->is_parent && !u->lists_ids && !u->is_regions &&
		!(job->params.plugin && job->params.plugin->transform_row);
}

static void
process_page(CqJob *job, CqpReq *req)
{
	if (page_arena_ok(job, req) && cqp_jarena_begin())
	{
		/* counted first: the page's end may end the job (stats) */
		atomic_fetch_add(&job->arena_pages, 1);
		process_page_body(job, req);
		cqp_atomic_size_max(&job->arena_peak, cqp_jarena_end());
	}
	else
		process_page_body(job, req);
}

__thread int cqp_job_worker_id = -1;

/* Free batches the consumer released (cq_job_release_batch). */
static void
free_spent(CqJob *job, CqBatch *b)
{
	uint64_t	n = 0;

	while (b)
	{
		CqBatch    *next = b->next;

		cq_batch_free(b);
		b = next;
		n++;
	}
	if (n)
		atomic_fetch_add(&job->spent_freed, n);
}

/*
 * Lower this worker thread's priority by settings.worker_nice (Linux keeps
 * a nice value per thread; setpriority on the thread id sets only this
 * one).  Only ever nicer: an unprivileged process can always do that.  The
 * niceness read back goes to the job's stats.
 */
static void
worker_set_nice(CqJob *job)
{
	int			want = job->params.settings.worker_nice;
	int			before;
	int			after;
	id_t		tid;

	if (want <= 0)
	{
		atomic_store(&job->worker_nice, 0);
		return;
	}
#ifdef SYS_gettid
	tid = (id_t) syscall(SYS_gettid);
	errno = 0;
	before = getpriority(PRIO_PROCESS, tid);
	if (errno != 0)
		return;
	(void) setpriority(PRIO_PROCESS, tid, before + want > 19 ? 19 : before + want);
	errno = 0;
	after = getpriority(PRIO_PROCESS, tid);
	if (errno == 0)
		atomic_store(&job->worker_nice, after - before);
#else
	(void) tid;
	(void) before;
	(void) after;
#endif
}

void *
cqp_job_worker_main(void *arg)
{
	CqJob	   *job = arg;
	int			me = atomic_fetch_add(&job->worker_seq, 1);

	cqp_job_worker_id = me;
	worker_set_nice(job);
	pthread_mutex_lock(&job->mu);
	for (;;)
	{
		CqpReq	   *req;
		CqBatch    *spent;

		while (!atomic_load(&job->stop) && !job->parse_h &&
			   job->nspent[me] < RELEASE_WAKE)
			pthread_cond_wait(&job->cv, &job->mu);
		if (atomic_load(&job->stop))
			break;
		/* the batches this thread built that the consumer is done with */
		spent = job->spent[me];
		job->spent[me] = NULL;
		job->nspent[me] = 0;
		req = job->parse_h;
		if (!req)
		{
			pthread_mutex_unlock(&job->mu);
			free_spent(job, spent);
			pthread_mutex_lock(&job->mu);
			continue;
		}
		job->parse_h = req->next;
		if (!job->parse_h)
			job->parse_t = NULL;
		pthread_mutex_unlock(&job->mu);
		free_spent(job, spent);
		CQP_TRACE(job, 'w', "parse", req->page_index);
		process_page(job, req);
		CQP_TRACE(job, 'w', "parsed", 0);
		pthread_mutex_lock(&job->mu);
	}
	pthread_mutex_unlock(&job->mu);
	cqp_jarena_thread_done();
	cqp_trace_rusage(job->trace, 'w');
	return NULL;
}
