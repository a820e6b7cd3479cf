/*-------------------------------------------------------------------------
 *
 * job_rows.c
 *		  Rows and values: collecting the rows of a full tree, one value per
 *		  output column (path, transform, cq_value_parse), batches and the
 *		  output queue.
 *
 * Invariants:
 *	- a batch holds at most batch_rows rows of ncols values; variable-size
 *	  data lives in the batch's arena, json values hold their own reference
 *	  (or are jsonb images in the arena, CQ_VAL_JSONB, when the consumer
 *	  asked for them: written from the page's document in place);
 *	  its bytes are charged to the job's CqpAcct until cq_batch_free;
 *	- a value that does not convert is SQL NULL plus a column warning
 *	  (counted under job->wmu), or the job's error in strict mode; OOM is
 *	  always an error;
 *	- a key column's value comes from the unit (what the WHERE clause gave),
 *	  never from the response;
 *	- cqp_job_push_batch takes job->mu, never emits past the LIMIT (the
 *	  tail of a batch is dropped and the job finishes), counts the rows, and
 *	  signals the eventfd; once the job stopped it frees the batch instead.
 *
 * Copyright (c) 2026, cq_fdw developers
 *
 *-------------------------------------------------------------------------
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "cq_sdk_int.h"
#include "job_int.h"

/* ------------------------------------------------------------------------
 * Rows: collecting, extracting, queueing batches
 * ------------------------------------------------------------------------ */

static bool parse_value(CqJob *job, int c, bool from_unit, json_t *v,
						json_t *tmp, bool shared, CqArena *arena,
						CqValue *out, CqError *err);

/* Does the consumer take jsonb images of output column c (CQ_VAL_JSONB)? */
static inline bool
want_jsonb(const CqJob *job, int c, const CqColumnDef *col)
{
	return job->params.out_jsonb && job->params.out_jsonb[c] &&
		col->type.base == CQ_T_JSON && !col->type.is_array;
}

/* Does any output column of the job read numeric values? */
bool
cqp_job_reads_numeric(const CqJob *job)
{
	for (int c = 0; c < job->params.nout; c++)
		if (job->table->columns[job->params.out_cols[c]].type.base == CQ_T_NUMERIC)
			return true;
	return false;
}

static bool
rowvec_push(RowVec *rv, json_t *row, json_t *const *up, int nup)
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
		if (rv->want_up)
		{
			json_t	  **nu = realloc(rv->up, nc * CQ_PATH_MAX_UP * sizeof(json_t *));

			if (!nu)
			{
				rv->oom = true;
				return false;
			}
			rv->up = nu;
		}
		rv->cap = nc;
	}
	if (rv->want_up)
		for (int i = 0; i < CQ_PATH_MAX_UP; i++)
			rv->up[rv->n * CQ_PATH_MAX_UP + i] = i < nup ? up[i] : NULL;
	rv->v[rv->n++] = row;
	return true;
}

/*
 * cq_path_each_up callback: like cqp_job_collect_rows, and records for
 * each row what the rows pointer's wildcards matched (for "^" paths).
 */
bool
cqp_job_collect_rows_up(json_t *m, json_t *const *up, int nup, void *arg)
{
	RowVec	   *rv = arg;

	if (json_is_array(m))
	{
		size_t		i;
		json_t	   *e;

		json_array_foreach(m, i, e)
			if (!rowvec_push(rv, e, up, nup))
			return false;
		return true;
	}
	return rowvec_push(rv, m, up, nup);
}

bool
cqp_job_collect_rows(json_t *m, void *arg)
{
	RowVec	   *rv = arg;

	if (json_is_array(m))
	{
		size_t		i;
		json_t	   *e;

		json_array_foreach(m, i, e)
			if (!rowvec_push(rv, e, NULL, 0))
			return false;
		return true;
	}
	return rowvec_push(rv, m, NULL, 0);
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

/*
 * Extract output column c of row into out.  false = strict value error.
 * nrow: the same row with every real as its text (cqp_job_quote_numbers), or NULL;
 * numeric columns read it.  up, nup: what the rows pointer's wildcards
 * matched for row and nrow (CQ_PATH_MAX_UP each, NULL-padded), or NULL.
 */
bool
cqp_job_extract_value(CqJob *job, CqpUnit *u, json_t *row, json_t *nrow,
					  json_t *const *up, json_t *const *nup, int c,
					  CqArena *arena, CqValue *out, CqError *err)
{
	return cqp_job_extract_value_det(job, u, row, nrow, up, nup, NULL, c,
									 arena, out, err);
}

/*
 * The same, with the row's detail documents (job_hydrate.c): det holds
 * table->nhydrate documents (NULL: none), and a column "from" a detail
 * call reads its document instead of the row.
 */
bool
cqp_job_extract_value_det(CqJob *job, CqpUnit *u, json_t *row, json_t *nrow,
						  json_t *const *up, json_t *const *nup,
						  json_t *const *det, int c, CqArena *arena,
						  CqValue *out, CqError *err)
{
	const CqColumnDef *col = &job->table->columns[job->params.out_cols[c]];
	json_t	   *tmp = NULL;
	json_t	   *v;
	json_t	   *vars[4] = {NULL, NULL, NULL, NULL};
	CqPathEnv	env = {NULL, 0, vars, 0};

	if (col->hydrate > 0)
	{
		/* the detail document is the row; no "^", no lookups (loader) */
		row = det ? det[col->hydrate - 1] : NULL;
		nrow = NULL;
		up = nup = NULL;
		if (row == NULL)
			return cqp_job_parse_value(job, c, false, NULL, NULL, arena, out, err);
	}

	if (nrow && col->type.base == CQ_T_NUMERIC)
	{
		row = nrow;
		up = nup;
	}
	if (up)
	{
		env.up = up;
		while (env.nup < CQ_PATH_MAX_UP && up[env.nup])
			env.nup++;
	}
	/* "$column" lookups: the raw values of those columns in this row */
	for (int k = 0; k < col->nvar_cols && k < 4; k++)
	{
		const CqColumnDef *vc = &job->table->columns[col->var_cols[k]];

		vars[k] = vc->cpath ? cqp_path_get_env(vc->cpath, row, &env) : NULL;
		env.nvars = k + 1;
	}
	if (u->colval[c] >= 0)
		v = tmp = json_string(u->av[u->colval[c]]);
	else if (col->cpath && cq_path_has_wildcard(col->cpath))
	{
		v = tmp = json_array();
		if (tmp)
			cqp_path_gather_env(col->cpath, row, tmp, &env);
	}
	else if (col->cpath)
		v = cqp_path_get_env(col->cpath, row, &env);
	else
		v = json_is_object(row) ? json_object_get(row, col->name) : NULL;

	/*
	 * A json column whose consumer takes jsonb images: the worker writes
	 * the image from the document in place (no copy, no take-over); only
	 * a value without an image is copied (parse_value).
	 */
	if (col->type.base == CQ_T_JSON && v && want_jsonb(job, c, col))
		return parse_value(job, c, u->colval[c] >= 0, v, tmp, true, arena, out, err);

	/*
	 * A json value outlives this page's document in the batch: give the
	 * batch its own copy, so no jansson value is shared between this
	 * worker (which frees the document) and the consumer (which frees the
	 * batch).  jansson's refcounts are not a safe handover between threads.
	 */
	if (col->type.base == CQ_T_JSON && v && !tmp && u->json_move && u->json_move[c] &&
		row && json_object_get(row, u->json_move[c]) == v)
	{
		/*
		 * A page's own XML document (job_page.c): the one column reading
		 * this member takes it over (no copy); the row no longer holds it,
		 * so the batch's is its only reference.
		 */
		json_incref(v);
		json_object_del(row, u->json_move[c]);
		tmp = v;
	}
	else if (col->type.base == CQ_T_JSON && v && !cqp_jarena_active())
	{
		/* (in a page arena, cq_value_parse copies it out: jarena.c) */
		json_t	   *cp = json_deep_copy(v);

		json_decref(tmp);
		v = tmp = cp;
	}
	return cqp_job_parse_value(job, c, u->colval[c] >= 0, v, tmp, arena, out, err);
}

/* Release a batch's json references for rows [from, nrows). */
void
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
		else if (v->type == CQ_T_JSON && !(v->flags & CQ_VAL_JSONB))
			json_decref(v->u.json);
	}
}

/*
 * Queue a batch for the consumer, truncated to the LIMIT.  Returns false
 * (and frees the batch) if the job has stopped.  Takes job->mu.
 */
bool
cqp_job_push_batch(CqJob *job, BatchImpl *bi)
{
	CqBatch    *b = &bi->b;
	bool		ok = true;

	bi->owner = cqp_job_worker_id;	/* frees it (cq_job_release_batch) */
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
		CQP_TRACE(job, 'w', "batch", b->nrows);
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
bool
cqp_job_emit_rows(CqJob *job, CqpUnit *u, json_t **rows, json_t **nrows,
				  json_t **ups, json_t **nups, size_t n, size_t *bytes, CqError *err)
{
	return cqp_job_emit_rows_det(job, u, rows, nrows, ups, nups, NULL, n,
								 bytes, err);
}

/* The same, with table->nhydrate detail documents per row (or NULL). */
bool
cqp_job_emit_rows_det(CqJob *job, CqpUnit *u, json_t **rows, json_t **nrows,
					  json_t **ups, json_t **nups, json_t **dets, size_t n,
					  size_t *bytes, CqError *err)
{
	size_t		nd = (size_t) job->table->nhydrate;
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
			json_t	   *const *up = ups ? ups + i * CQ_PATH_MAX_UP : NULL;
			json_t	   *const *nup = (nrows && nups) ? nups + i * CQ_PATH_MAX_UP : NULL;
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
				if (!cqp_job_extract_value_det(job, u, row, nrow, up, nup,
											   dets ? dets + i * nd : NULL, c, arena,
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
 * Values: transforms and conversion
 * ------------------------------------------------------------------------ */

/* Is pointer `a` equal to `prefix` or below it (segment-wise)? */
bool
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
bool
cqp_job_parse_value(CqJob *job, int c, bool from_unit, json_t *v, json_t *tmp,
			CqArena *arena, CqValue *out, CqError *err)
{
	return parse_value(job, c, from_unit, v, tmp, false, arena, out, err);
}

/*
 * The same; shared: v may belong to the page's document (read in place by
 * a column with jsonb images, cqp_job_extract_value_det), so a value
 * without an image is copied before the batch keeps it.
 */
static bool
parse_value(CqJob *job, int c, bool from_unit, json_t *v, json_t *tmp,
			bool shared, CqArena *arena, CqValue *out, CqError *err)
{
	const CqColumnDef *col = &job->table->columns[job->params.out_cols[c]];
	CqError		verr;
	json_t	   *xf = NULL;

	/* AWS tags: [{"Key":k,"Value":v}...] -> {"k": v} */
	if (col->transform_kind == CQ_XFORM_KEY_VALUE_OBJECT && !from_unit && v != NULL && !json_is_null(v))
	{
		xf = cqp_aws_key_value_object(v);
		json_decref(tmp);
		if (xf == NULL)
		{
			cq_error_set(err, CQ_ERR_NOMEM, "out of memory");
			return false;
		}
		tmp = v = xf;
	}
	/* a column transform (spec "transform") works on a substring */
	else if (col->transform_kind != CQ_XFORM_NONE && !from_unit && v != NULL && !json_is_null(v))
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

	/* jsonb images (types_jsonbimg.c): the tree stays on this worker */
	if (col->type.base == CQ_T_JSON && v != NULL && !json_is_null(v) &&
		want_jsonb(job, c, col))
	{
		memset(out, 0, sizeof(*out));
		out->type = CQ_T_JSON;
		if (cqp_jsonb_image(v, arena, out))
		{
			json_decref(tmp);
			return true;
		}
		if (shared)
		{
			json_t	   *cp = json_deep_copy(v);

			json_decref(tmp);
			v = tmp = cp;
		}
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
