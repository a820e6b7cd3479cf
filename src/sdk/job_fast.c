/*-------------------------------------------------------------------------
 *
 * job_fast.c
 *		  The fast extraction path: per job, a plan of which row members the
 *		  output columns read; per page, rows located by the strict scanner
 *		  (job_json.c) and only those members built as jansson values.
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
 * numbers as strings of their text (cqp_job_fast_make_exact), and a real
 * beyond a double's range is the string of its text for every column (the
 * full path quotes it likewise: see cqp_job_quote_numbers).
 *
 * Invariants:
 *	- anything unusual (invalid JSON, limits hit, integers beyond int64, a
 *	  rows path through an array, \u0000 ...) falls back to the full-tree
 *	  path before any row is emitted, so errors and edge cases behave
 *	  exactly as on the full tree; a row that is not an object, or whose
 *	  member cannot be built directly, is parsed on its own with json_loadb;
 *	- values built here are fresh and owned by the batch alone (no deep copy
 *	  of json columns is needed: nothing is shared with the worker after the
 *	  batch is pushed);
 *	- the plan is built once per job before any worker starts and is
 *	  read-only afterwards; a job without a plan (OOM, a plugin's
 *	  transform_row, or the CQ_NO_FAST_EXTRACT build flag) uses the full
 *	  tree for every page.
 *
 * Copyright (c) 2026, cq_fdw developers
 *
 *-------------------------------------------------------------------------
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cq_sdk_int.h"
#include "job_int.h"

/* ------------------------------------------------------------------------
 * The fast plan (per job)
 * ------------------------------------------------------------------------ */

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

void
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

/* Build the fast plan of a job, or NULL (OOM: the job uses the full path). */
FastPlan *
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
			if (cqp_path_has_lookup(col->cpath))
				fp->ok = false; /* a lookup reads other columns' values */
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
		cqp_json_release(kv[k]);
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
		if (!cqp_job_extract_value(job, u, row, nrow, NULL, NULL, c, arena, &vals[c], err))
		{
			cqp_json_release(row);	/* the caller releases vals */
			cqp_json_release(nrow);
			return false;
		}
	cqp_json_release(row);
	cqp_json_release(nrow);
	return true;
}

/*
 * Try the fast path on one page body.  Returns 1 if the page was handled
 * (rows emitted, *doc = envelope for the pager or NULL, *nrows), 0 if the
 * caller must use the full parser (nothing was emitted), -1 on an error
 * (err filled).
 */
int
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
	bool		need_doc = (u->pager.next != NULL || u->pager.total != NULL ||
							u->pager.remaining != NULL);
	FastSpan   *spans = NULL;
	size_t		n = 0;
	size_t		w1;
	int			ncols = job->params.nout;
	size_t		per = (size_t) s->batch_rows;
	json_t	  **kv = NULL;

	*doc = NULL;
	*nrows = 0;
	if (!fp || !fp->ok || u->is_parent || u->lists_ids || len == 0)
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
					 (u->pager.total && cqp_job_pointer_within(t->total, rows->pointer)) ||
					 (u->pager.remaining && cqp_job_pointer_within(t->remaining, rows->pointer))))
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
