/*-------------------------------------------------------------------------
 *
 * scan.c
 *		  Executor side of a cq_fdw scan: start the SDK job, wait for row
 *		  batches on the latch, build tuples, report value warnings.
 *
 * Invariants:
 *	- EXPLAIN without ANALYZE (EXEC_FLAG_EXPLAIN_ONLY) sends nothing.
 *	- Otherwise the job starts in BeginForeignScan when its values do not
 *	  depend on executor parameters (PARAM_EXEC: nestloop / initplan values
 *	  are only known at the first Iterate / after ReScan), so every member
 *	  of an Append -- UNION ALL over many servers or credentials -- is
 *	  fetching concurrently by the time the first row is asked for.  We do
 *	  not implement async Append (ForeignAsync*): starting at Begin already
 *	  overlaps the requests, and the SDK's queue holds the rows.
 *	- Every SDK resource (job, threads, batch) is owned by the "job" memory
 *	  context: its reset callback calls cq_batch_free and cq_job_free (which
 *	  cancels and joins every thread), so an ERROR, a cancel or the end of
 *	  the query never leaves a thread running or memory leaking.  The
 *	  strings handed to cq_job_start() live in that same context, so they
 *	  outlive the job (the callback runs before the context's memory goes).
 *	- Only the needed attributes (planner's projection) are converted; the
 *	  other columns are NULL.  Datums of a batch live in the batch context,
 *	  reset when the next batch is taken (a virtual tuple stays valid until
 *	  the next Iterate).
 *	- The main thread waits only on the job's eventfd and its latch, then
 *	  CHECK_FOR_INTERRUPTS(): cancel and statement_timeout are served at
 *	  once.  The wait set (an epoll set) is built once per job, at its
 *	  first wait, and freed with the job: WaitLatchOrSocket built and
 *	  closed one per wait, four system calls more per batch on the main
 *	  thread (epoll_create1, two epoll_ctl, close; issue 16's profile).
 *
 * Copyright (c) 2026, cq_fdw developers
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "datatype/timestamp.h"
#include "executor/executor.h"
#include "miscadmin.h"
#include "nodes/nodeFuncs.h"
#include "pgstat.h"
#include "storage/latch.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/datetime.h"
#include "utils/json.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/timestamp.h"
#include "utils/wait_event.h"

#include "cq_fdw.h"
#include "shared.h"

/* Skipped-unit warnings kept per scan (the rest are counted) */
#define MAX_SKIP_WARNINGS	20

/* Memory of the batch context kept across batches (see cqBeginForeignScan) */
#define BATCH_KEEP_BYTES	(2 * 1024 * 1024)

/* A pushed qual at execution time */
typedef struct CqExecQual
{
	const char *srccol;			/* source column name */
	int			op;
	bool		is_any;
	ExprState  *expr;
	Oid			type;			/* type of the expression (array for ANY) */
	char	   *subkey;			/* `col->>'k' = v`: k (sent as {"k": v}) */
	int			fed;			/* batched join key index, else -1 */
} CqExecQual;

/* Accumulated value warnings of one output column (across rescans) */
typedef struct CqWarnAcc
{
	uint64		count;
	char		example[128];
	char		path[128];
	char		message[128];
} CqWarnAcc;

typedef struct CqFdwScanState
{
	MemoryContext scanctx;		/* this state, the table, conv states */
	MemoryContext jobctx;		/* the running job and its parameters */
	MemoryContext batchctx;		/* Datums of the current batch */
	CqFdwTable *table;
	bool		explain_only;

	/* from the plan */
	int			nquals;
	CqExecQual *quals;
	int			nout;
	int		   *out_cols;		/* source column index per output */
	bool	   *out_jsonb;		/* per output: take jsonb images */
	AttrNumber *out_attnums;	/* attribute per output */
	CqFdwConvState **conv;		/* per output */
	int64		limit;
	bool		lazy_start;		/* values depend on PARAM_EXEC */
	/* batched join (join.c): the key tuples, fed before the first row */
	int			nfed;			/* quals with fed >= 0 */
	int			nfed_values;
	const char ***fed_values;	/* [key][tuple] */

	/* execution */
	CqJob	   *job;
	CqBatch    *batch;
	int			row;
	WaitEventSet *wset;			/* latch + job eventfd, in jobctx, or NULL */
	bool		started;		/* job started (or found to be empty) */
	bool		stats_reported; /* cqfdw_stats_add() done (End or abort) */
	bool		done;
	int			cur_out;		/* column being converted (error context) */
	bool		guard;			/* not strict, and a column may fail */
	Datum	   *gvals;			/* the batch's values of those columns */
	bool	   *gnulls;			/* (cqfdw_convert_guarded), or NULL */

	/* accumulated over the jobs of this scan (rescans) */
	int			njobs;
	uint64		waits;			/* main thread sleeps on the job */
	uint64		wset_builds;	/* wait sets built for them */
	CqJobStats	stats;
	CqWarnAcc  *warn;			/* per output */
	int			nskipped;
	char	   *skipped[MAX_SKIP_WARNINGS];

	/* shared state (shared.h) */
	int			progress;		/* cqfdw_progress_begin handle, 0 = none */
	CqRateBucket *rate;			/* the jobs' rate gate, released at the end */
	CqCacheReader *cache_rd;	/* this job's rows come from the cache */
	CqCacheWriter *cache_wr;	/* this job's rows go to the cache */
	CqJobParams tok_params;		/* the job's credentials (cqfdw_token_sync) */
	CqfdwTokenSeen tok_seen;	/* the shared token the job started with */
} CqFdwScanState;

static void job_ctx_callback(void *arg);
static void scan_ctx_callback(void *arg);
static void finish_job(CqFdwScanState *st);

/*
 * add_stats
 *		Sum counters of a job into the scan's totals (peak: max).
 */
static void
add_stats(CqJobStats *acc, const CqJobStats *s)
{
	acc->requests += s->requests;
	acc->pages += s->pages;
	acc->rows += s->rows;
	acc->bytes += s->bytes;
	acc->retries += s->retries;
	acc->units += s->units;
	acc->units_failed += s->units_failed;
	acc->loops_stopped += s->loops_stopped;
	acc->rows_missing += s->rows_missing;
	acc->empty_bodies += s->empty_bodies;
	acc->auth_requests += s->auth_requests;
	acc->detail_requests += s->detail_requests;
	acc->parent_requests += s->parent_requests;
	acc->describe_requests += s->describe_requests;
	acc->details_failed += s->details_failed;
	acc->api_wait_ms += s->api_wait_ms;
	acc->ratelimit_wait_ms += s->ratelimit_wait_ms;
	acc->ratelimit_waits += s->ratelimit_waits;
	acc->consumer_wakeups += s->consumer_wakeups;
	acc->peak_bytes = Max(acc->peak_bytes, s->peak_bytes);
	acc->budget_bytes = Max(acc->budget_bytes, s->budget_bytes);
}

/*
 * harvest_job
 *		Before a job is freed: add its stats, value warnings and skipped
 *		units to the scan's totals.  Only copies (no palloc in the callback
 *		path except the skipped strings, made in the scan context).
 */
static void
harvest_job(CqFdwScanState *st)
{
	CqJobStats	s;
	const CqColumnWarning *w;
	const CqError *errs = NULL;
	int			nw = 0;
	int			nerr;

	if (st->job == NULL)
		return;
	cq_job_get_stats(st->job, &s);
	add_stats(&st->stats, &s);

	w = cq_job_column_warnings(st->job, &nw);
	for (int i = 0; w != NULL && i < nw && i < st->nout; i++)
	{
		if (w[i].count == 0)
			continue;
		if (st->warn[i].count == 0)
		{
			strlcpy(st->warn[i].example, w[i].example, sizeof(st->warn[i].example));
			strlcpy(st->warn[i].path, w[i].path, sizeof(st->warn[i].path));
			strlcpy(st->warn[i].message, w[i].message, sizeof(st->warn[i].message));
		}
		st->warn[i].count += w[i].count;
	}

	nerr = cq_job_failed_units(st->job, &errs);
	for (int i = 0; errs != NULL && i < nerr; i++)
	{
		const CqError *e = &errs[i];
		char		why[400];

		if (st->nskipped < MAX_SKIP_WARNINGS)
		{
			if (e->http_status > 0)
				snprintf(why, sizeof(why), "HTTP %d %s", e->http_status,
						 e->api_message[0] ? e->api_message : e->message);
			else
				snprintf(why, sizeof(why), "%s", e->message);
			st->skipped[st->nskipped] =
				MemoryContextStrdup(st->scanctx,
									psprintf("%s: %s",
											 e->unit[0] ? e->unit : "unit",
											 why));
		}
		st->nskipped++;
	}
}

/*
 * job_ctx_callback
 *		Reset/delete callback of the job context: free the SDK objects.
 *		Runs on ERROR cleanup too, so it must not throw: cq_* functions do
 *		not.
 */
static void
job_ctx_callback(void *arg)
{
	CqFdwScanState *st = (CqFdwScanState *) arg;

	/* counters, warnings and skipped units of the job: on an ERROR too */
	harvest_job(st);
	if (st->wset)
	{
		/* its epoll fd; the set's memory goes with the context */
		FreeWaitEventSet(st->wset);
		st->wset = NULL;
	}
	if (st->batch)
	{
		cq_batch_free(st->batch);
		st->batch = NULL;
	}
	if (st->job)
	{
		cq_job_free(st->job);
		st->job = NULL;
	}
}

/*
 * finish_job
 *		Harvest and free the current job (if any) and forget the batch.
 */
static void
finish_job(CqFdwScanState *st)
{
	if (st->jobctx)
	{
		/* the callback harvests the job's counters, frees job + batch */
		MemoryContextDelete(st->jobctx);
		st->jobctx = NULL;
	}
	st->job = NULL;
	st->batch = NULL;
	st->cache_rd = NULL;		/* in the job context: gone with it */
	st->cache_wr = NULL;
	st->row = 0;
	st->gvals = NULL;			/* the batch's: gone with it */
	st->gnulls = NULL;
}

/*
 * cqfdw_value_text
 *		A key value as the text the API gets.  Booleans as true/false and
 *		date/time values in ISO 8601 (UTC, "Z") whatever DateStyle says;
 *		everything else through the type's output function.  palloc'd in
 *		CurrentMemoryContext.
 */
char *
cqfdw_value_text(Datum d, Oid typid)
{
	Oid			outfunc;
	bool		isvarlena;

	switch (typid)
	{
		case BOOLOID:
			return pstrdup(DatumGetBool(d) ? "true" : "false");
		case TIMESTAMPTZOID:
		case TIMESTAMPOID:
			{
				Timestamp	ts = DatumGetTimestamp(d);
				struct pg_tm tm;
				fsec_t		fsec;
				char		frac[16] = "";

				if (TIMESTAMP_NOT_FINITE(ts) ||
					timestamp2tm(ts, NULL, &tm, &fsec, NULL, NULL) != 0)
					break;
				if (fsec != 0)
					snprintf(frac, sizeof(frac), ".%06d", (int) fsec);
				return psprintf("%04d-%02d-%02dT%02d:%02d:%02d%s%s",
								tm.tm_year, tm.tm_mon, tm.tm_mday,
								tm.tm_hour, tm.tm_min, tm.tm_sec, frac,
								typid == TIMESTAMPTZOID ? "Z" : "");
			}
		case DATEOID:
			{
				DateADT		dt = DatumGetDateADT(d);
				int			y,
							m,
							day;

				if (DATE_NOT_FINITE(dt))
					break;
				j2date(dt + POSTGRES_EPOCH_JDATE, &y, &m, &day);
				return psprintf("%04d-%02d-%02d", y, m, day);
			}
		default:
			break;
	}
	getTypeOutputInfo(typid, &outfunc, &isvarlena);
	return OidOutputFunctionCall(outfunc, d);
}

/*
 * DedupEntry, dedupe_cmp, dedupe_values
 *		Remove duplicate key values in O(n log n), keeping the first
 *		occurrence of each in the order the user gave them (the request
 *		order of a fan-out follows the array).  Returns the new count;
 *		vals is compacted in place.  palloc's in the current context; may
 *		throw (cancel).
 */
typedef struct DedupEntry
{
	const char *s;
	int			idx;
} DedupEntry;

static int
dedupe_cmp(const void *a, const void *b)
{
	const DedupEntry *x = a;
	const DedupEntry *y = b;
	int			c = strcmp(x->s, y->s);

	if (c != 0)
		return c;
	return (x->idx > y->idx) - (x->idx < y->idx);
}

static int
dedupe_values(const char **vals, int n)
{
	DedupEntry *e;
	bool	   *drop;
	int			out = 0;

	if (n < 2)
		return n;
	e = palloc(sizeof(DedupEntry) * n);
	drop = palloc0(sizeof(bool) * n);
	for (int i = 0; i < n; i++)
	{
		e[i].s = vals[i];
		e[i].idx = i;
	}
	qsort(e, n, sizeof(DedupEntry), dedupe_cmp);
	CHECK_FOR_INTERRUPTS();
	for (int i = 1; i < n; i++)
	{
		if ((i & 4095) == 0)
			CHECK_FOR_INTERRUPTS();
		if (strcmp(e[i - 1].s, e[i].s) == 0)
			drop[e[i].idx] = true;
	}
	for (int i = 0; i < n; i++)
		if (!drop[i])
			vals[out++] = vals[i];
	pfree(e);
	pfree(drop);
	return out;
}

/*
 * check_fanout
 *		ERROR when the distinct key values of the pushed quals, multiplied
 *		across key columns, exceed cq_fdw.max_fanout: each combination is
 *		at least one API request, so a huge array is a request storm (and
 *		memory) nobody meant.  *product accumulates across quals.
 */
static void
check_fanout(const char *relname, const CqExecQual *q, int n, double *product)
{
	*product *= n;
	if (*product > cqfdw_max_fanout)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("scan of foreign table \"%s\" would fan out over too many key values",
						relname),
				 errdetail("The key values given for column \"%s\" make %.0f combinations, more than cq_fdw.max_fanout (%d); each one is at least one API request.",
						   q->srccol, *product, cqfdw_max_fanout),
				 errhint("Use fewer values in the = ANY array, or raise cq_fdw.max_fanout.")));
}

/*
 * start_job
 *		Evaluate the pushed quals' values, build CqJobParams and start the
 *		job.  A NULL key value (or an empty = ANY array) matches no row: the
 *		scan is then done without any request.  ERRORs on an SDK config
 *		error (nothing was sent).
 */
static void
start_job(ForeignScanState *node, CqFdwScanState *st)
{
	ExprContext *econtext = node->ss.ps.ps_ExprContext;
	CqFdwTable *t = st->table;
	MemoryContext old;
	CqJobParams p;
	CqKeyValues *keys;
	CqError		err;
	MemoryContextCallback *cb;
	double		fanout = 1;

	st->started = true;
	st->done = false;
	st->row = 0;
	st->jobctx = AllocSetContextCreate(st->scanctx, "cq_fdw job",
									   ALLOCSET_SMALL_SIZES);
	old = MemoryContextSwitchTo(st->jobctx);

	keys = palloc0(sizeof(CqKeyValues) * Max(st->nquals, 1));
	/*
	 * A batched join's key tuples first, as is (distinct tuples, aligned
	 * across keys): the SDK zips them into one unit per tuple.
	 */
	for (int i = 0; i < st->nquals; i++)
	{
		CqExecQual *q = &st->quals[i];

		if (q->fed < 0)
			continue;
		if (st->nfed_values == 0 || st->fed_values == NULL)
		{
			st->done = true;	/* no outer key: nothing to look up */
			break;
		}
		keys[q->fed].column = q->srccol;
		keys[q->fed].op = CQ_OP_EQ;
		keys[q->fed].nvalues = st->nfed_values;
		keys[q->fed].values = st->fed_values[q->fed];
		if (q->fed == 0)
			check_fanout(RelationGetRelationName(node->ss.ss_currentRelation),
						 q, st->nfed_values, &fanout);
	}
	for (int i = 0, slot = st->nfed; i < st->nquals && !st->done; i++)
	{
		CqExecQual *q = &st->quals[i];
		bool		isnull;
		Datum		d;
		const char **vals;
		int			n = 0;

		if (q->fed >= 0)
			continue;
		d = ExecEvalExprSwitchContext(q->expr, econtext, &isnull);
		if (isnull)
		{
			st->done = true;	/* col = NULL / = ANY(NULL): no row */
			break;
		}
		if (q->subkey != NULL)
		{
			/* `labels->>'app' = 'x'` is sent as labels @> {"app": "x"} */
			StringInfoData b;

			initStringInfo(&b);
			appendStringInfoChar(&b, '{');
			escape_json(&b, q->subkey);
			appendStringInfoChar(&b, ':');
			escape_json(&b, TextDatumGetCString(d));
			appendStringInfoChar(&b, '}');
			vals = palloc(sizeof(char *));
			vals[n++] = b.data;
		}
		else if (!q->is_any && !(q->op == CQ_OP_CONTAINS && type_is_array(q->type)))
		{
			vals = palloc(sizeof(char *));
			vals[n++] = cqfdw_value_text(d, q->type);
		}
		else
		{
			ArrayType  *arr = DatumGetArrayTypeP(d);
			Oid			elemtype = ARR_ELEMTYPE(arr);
			int16		elmlen;
			bool		elmbyval;
			char		elmalign;
			Datum	   *elems;
			bool	   *nulls;
			int			nelems;

			get_typlenbyvalalign(elemtype, &elmlen, &elmbyval, &elmalign);
			deconstruct_array(arr, elemtype, elmlen, elmbyval, elmalign,
							  &elems, &nulls, &nelems);
			vals = palloc(sizeof(char *) * Max(nelems, 1));
			for (int j = 0; j < nelems; j++)
			{
				/* a million-element array must stay cancellable */
				if ((j & 1023) == 0)
					CHECK_FOR_INTERRUPTS();
				if (nulls[j])
					continue;
				vals[n++] = cqfdw_value_text(elems[j], elemtype);
			}
			/* = ANY('{a,a}') is one request, not two */
			n = dedupe_values(vals, n);
			/* tags @> '{}' holds for every row: nothing is sent */
			if (n == 0 && q->op != CQ_OP_CONTAINS)
			{
				st->done = true;
				break;
			}
		}
		/* "@>" elements are one request's filter, not a fan-out */
		if (q->op != CQ_OP_CONTAINS)
			check_fanout(RelationGetRelationName(node->ss.ss_currentRelation),
						 q, n, &fanout);
		keys[slot].column = q->srccol;
		keys[slot].op = q->op;
		keys[slot].nvalues = n;
		keys[slot].values = vals;
		slot++;
	}
	ResetExprContext(econtext);

	if (st->done)
	{
		MemoryContextSwitchTo(old);
		return;
	}

	/* option cache_ttl: the same request answered within the TTL (cache.c) */
	if (cqfdw_cache_enabled(t))
	{
		uint8		key[32];

		cqfdw_cache_key(t, node->ss.ss_currentRelation, st->out_attnums,
						st->nout, keys, st->nquals, st->limit, key);
		st->cache_rd = cqfdw_cache_open(key, st->jobctx);
		if (st->cache_rd != NULL)
		{
			MemoryContextSwitchTo(old);
			return;				/* no job, no request */
		}
		st->cache_wr = cqfdw_cache_begin(key, t, st->jobctx);
	}

	memset(&p, 0, sizeof(p));
	p.source = t->source;
	p.table = t->table;
	p.plugin = t->plugin;
	p.base_url = t->base_url;
	p.cred = t->cred;
	p.policy = t->policy;
	p.nout = st->nout;
	p.out_cols = st->out_cols;
	p.out_jsonb = st->out_jsonb;
	p.nkeys = st->nquals;
	p.keys = keys;
	p.nzip = st->nfed > 1 ? st->nfed : 0;
	p.nserver_opts = t->nserver_opts;
	p.server_opt_names = (const char *const *) t->server_opt_names;
	p.server_opt_values = (const char *const *) t->server_opt_values;
	p.limit = st->limit;
	p.settings = t->settings;
	if (t->skip_failed)
		p.settings.skip_failed_units = true;

	/* the callback must be in place before the job exists */
	cb = palloc0(sizeof(MemoryContextCallback));
	cb->func = job_ctx_callback;
	cb->arg = st;
	MemoryContextRegisterResetCallback(st->jobctx, cb);

	/* the bucket outlives every job of the scan (scan_ctx_callback) */
	if (st->rate == NULL)
		st->rate = cqfdw_rate_acquire(t);
	p.settings.rate_gate = st->rate ? &st->rate->gate : NULL;

	/* a token shared by this role's backends (preload), or fetched once */
	{
		int64		n = 0;

		/* only the credential fields are read (they outlive the job) */
		memset(&st->tok_params, 0, sizeof(st->tok_params));
		st->tok_params.source = p.source;
		st->tok_params.base_url = p.base_url;
		st->tok_params.cred = p.cred;
		st->tok_params.policy = p.policy;
		st->tok_params.settings = p.settings;
		memset(&err, 0, sizeof(err));
		if (!cqfdw_token_share(&p, &st->tok_seen, &n, &err))
		{
			/* refused here or a moment ago in another backend */
			MemoryContextSwitchTo(old);
			st->stats.auth_requests += (uint64) n;
			cqfdw_report_job_error(&err, t);
		}
		st->stats.auth_requests += (uint64) n;
	}

	memset(&err, 0, sizeof(err));
	st->job = cq_job_start(&p, &err);
	MemoryContextSwitchTo(old);
	st->njobs++;
	if (st->job == NULL)
		cqfdw_report_job_error(&err, t);
	if (st->progress == 0)
		st->progress = cqfdw_progress_begin(t->relid, node->ss.ps.plan->plan_node_id);
}

/*
 * publish_progress
 *		The scan's counters so far (finished jobs + the running one) into
 *		its cq_fdw.scan_progress slot.  Does not throw.
 */
static void
publish_progress(CqFdwScanState *st)
{
	CqJobStats	s = st->stats;

	/* a token the job renewed or saw refused: tell the other backends */
	if (st->job)
		cqfdw_token_sync(&st->tok_params, &st->tok_seen);
	if (st->progress == 0)
		return;
	if (st->job)
	{
		CqJobStats	js;

		cq_job_get_stats(st->job, &js);
		add_stats(&s, &js);
		s.in_flight = js.in_flight;
		s.total_rows = js.total_rows;
		s.total_pages = js.total_pages;
	}
	else
		s.total_rows = s.total_pages = -1;
	cqfdw_progress_update(st->progress, &s);
}

/*
 * cqfdw_scan_feed
 *		A batched join (join.c) gives its inner scan the distinct key
 *		tuples of the outer rows: values[k][t] is key k of tuple t.  The
 *		job starts at the next Iterate; the arrays must live until the
 *		scan is rescanned or ends.
 */
void
cqfdw_scan_feed(ForeignScanState *node, int nkeys, int nvalues,
				const char ***values)
{
	CqFdwScanState *st = (CqFdwScanState *) node->fdw_state;

	Assert(nkeys == st->nfed);
	(void) nkeys;
	st->nfed_values = nvalues;
	st->fed_values = values;
}

/*
 * cqBeginForeignScan
 *		Set up the scan state; start the job unless EXPLAIN-only or its
 *		values wait for executor parameters.
 */
void
cqBeginForeignScan(ForeignScanState *node, int eflags)
{
	ForeignScan *fsplan = (ForeignScan *) node->ss.ps.plan;
	EState	   *estate = node->ss.ps.state;
	CqFdwScanState *st;
	MemoryContext scanctx;
	MemoryContext old;
	RangeTblEntry *rte;
	Oid			userid;
	List	   *quals;
	List	   *attrs;
	int			i;
	ListCell   *lc;

	if (fsplan->scan.scanrelid == 0)
	{
		cqfdw_join_begin(node, eflags);
		return;
	}
	scanctx = AllocSetContextCreate(estate->es_query_cxt, "cq_fdw scan",
									ALLOCSET_DEFAULT_SIZES);
	old = MemoryContextSwitchTo(scanctx);
	st = palloc0(sizeof(CqFdwScanState));
	st->scanctx = scanctx;
	st->explain_only = (eflags & EXEC_FLAG_EXPLAIN_ONLY) != 0;
	node->fdw_state = st;
	{
		MemoryContextCallback *scb = palloc0(sizeof(MemoryContextCallback));

		scb->func = scan_ctx_callback;
		scb->arg = st;
		MemoryContextRegisterResetCallback(scanctx, scb);
	}

	rte = exec_rt_fetch(fsplan->scan.scanrelid, estate);
	userid = OidIsValid(rte->checkAsUser) ? rte->checkAsUser : GetUserId();
	st->table = cqfdw_get_table(RelationGetRelid(node->ss.ss_currentRelation),
								userid);

	quals = (List *) list_nth(fsplan->fdw_private, CqScanPrivQuals);
	attrs = (List *) list_nth(fsplan->fdw_private, CqScanPrivAttrs);
	st->limit = intVal(list_nth(fsplan->fdw_private, CqScanPrivLimit));

	st->nquals = list_length(quals);
	st->quals = palloc0(sizeof(CqExecQual) * Max(st->nquals, 1));
	i = 0;
	foreach(lc, quals)
	{
		List	   *f = (List *) lfirst(lc);
		AttrNumber	attnum = list_nth_int(f, CqQualAttnum);
		Expr	   *e = list_nth(fsplan->fdw_exprs, list_nth_int(f, CqQualExprIdx));
		const CqFdwColumn *c = &st->table->columns[attnum - 1];

		st->quals[i].srccol = st->table->table->columns[c->src_col].name;
		st->quals[i].op = list_nth_int(f, CqQualOp);
		st->quals[i].is_any = list_nth_int(f, CqQualIsAny) != 0;
		st->quals[i].type = exprType((Node *) e);
		if (list_length(f) > CqQualSubkeyIdx &&
			list_nth_int(f, CqQualSubkeyIdx) >= 0)
		{
			Const	   *k = list_nth(fsplan->fdw_exprs,
									 list_nth_int(f, CqQualSubkeyIdx));

			st->quals[i].subkey = TextDatumGetCString(k->constvalue);
		}
		st->quals[i].fed = list_length(f) > CqQualFedIdx ?
			list_nth_int(f, CqQualFedIdx) : -1;
		if (st->quals[i].fed >= 0)
			st->nfed++;
		st->quals[i].expr = (st->explain_only || st->quals[i].fed >= 0) ? NULL :
			ExecInitExpr(e, (PlanState *) node);
		i++;
	}

	st->nout = list_length(attrs);
	st->out_cols = palloc0(sizeof(int) * Max(st->nout, 1));
	st->out_jsonb = palloc0(sizeof(bool) * Max(st->nout, 1));
	st->out_attnums = palloc0(sizeof(AttrNumber) * Max(st->nout, 1));
	st->conv = palloc0(sizeof(CqFdwConvState *) * Max(st->nout, 1));
	st->warn = palloc0(sizeof(CqWarnAcc) * Max(st->nout, 1));
	i = 0;
	foreach(lc, attrs)
	{
		AttrNumber	attnum = lfirst_int(lc);
		const CqFdwColumn *c = &st->table->columns[attnum - 1];

		st->out_cols[i] = c->src_col;
		st->out_attnums[i] = attnum;
		st->conv[i] = cqfdw_conv_create(c, &st->table->table->columns[c->src_col]);
		st->conv[i]->strict = st->table->settings.strict;
		if (!st->conv[i]->strict && st->conv[i]->may_fail)
			st->guard = true;
		st->out_jsonb[i] = cqfdw_conv_jsonb_image(st->conv[i]);
		i++;
	}

	/*
	 * The Datums of one batch (batch_rows rows) live here and are freed at
	 * once when the next batch comes.  The first block is kept across those
	 * resets: with the default sizes every batch malloc'd fresh blocks that
	 * glibc trimmed again at the reset, and the page faults of re-touching
	 * them were the main thread's largest kernel cost (profile of S1,
	 * issue 16).  A batch that outgrows it takes more blocks as before.
	 */
	st->batchctx = AllocSetContextCreate(scanctx, "cq_fdw batch",
										 BATCH_KEEP_BYTES, 64 * 1024,
										 ALLOCSET_DEFAULT_MAXSIZE);
	/*
	 * Nestloop and initplan values are only known at Iterate.  allParam, not
	 * extParam: it also holds the initplans attached to this very node,
	 * which ExecInitNode sets up only after BeginForeignScan returns
	 * (evaluating such a Param here read an unset value and crashed).
	 */
	st->lazy_start = !bms_is_empty(fsplan->scan.plan.allParam) || st->nfed > 0;
	MemoryContextSwitchTo(old);

	if (!st->explain_only && !st->lazy_start)
		start_job(node, st);
}

/* Error context while converting: names the column and its JSON path */
static void
conv_error_callback(void *arg)
{
	CqFdwScanState *st = (CqFdwScanState *) arg;

	if (st->cur_out >= 0 && st->cur_out < st->nout)
		errcontext("column %s, JSON path %s",
				   st->conv[st->cur_out]->attname,
				   st->conv[st->cur_out]->path[0] ?
				   st->conv[st->cur_out]->path : "/");
}

/*
 * wait_for_job
 *		Sleep until the job's eventfd or our latch fires; serve interrupts
 *		(a cancel longjmps out, the job context callback cleans up).
 */
static void
wait_for_job(CqFdwScanState *st)
{
	WaitEvent	ev;
	int			n;

	if (st->wset == NULL)
	{
		/* once per job: the job's eventfd lives as long as the job */
		st->wset = CreateWaitEventSet(st->jobctx, 3);
		AddWaitEventToSet(st->wset, WL_LATCH_SET, PGINVALID_SOCKET, MyLatch, NULL);
		AddWaitEventToSet(st->wset, WL_EXIT_ON_PM_DEATH, PGINVALID_SOCKET, NULL, NULL);
		AddWaitEventToSet(st->wset, WL_SOCKET_READABLE, cq_job_fd(st->job), NULL, NULL);
		st->wset_builds++;
	}
	st->waits++;
	/* with a progress slot, wake each second to refresh it */
	n = WaitEventSetWait(st->wset, st->progress ? 1000L : -1L, &ev, 1,
						 PG_WAIT_EXTENSION);
	if (n > 0 && (ev.events & WL_LATCH_SET))
		ResetLatch(MyLatch);
	CHECK_FOR_INTERRUPTS();
}

/*
 * cqIterateForeignScan
 *		Next row, or an empty slot at the end.  ERRORs on a job failure.
 */
TupleTableSlot *
cqIterateForeignScan(ForeignScanState *node)
{
	CqFdwScanState *st = (CqFdwScanState *) node->fdw_state;
	TupleTableSlot *slot = node->ss.ss_ScanTupleSlot;

	if (((ForeignScan *) node->ss.ps.plan)->scan.scanrelid == 0)
		return cqfdw_join_iterate(node);
	ExecClearTuple(slot);
	if (!st->started)
		start_job(node, st);
	if (st->cache_rd != NULL)
	{
		if (!st->done && cqfdw_cache_next(st->cache_rd, slot))
			return slot;
		st->done = true;
		return slot;
	}

	for (;;)
	{
		CqBatch    *b = st->batch;

		if (b != NULL && st->row < b->nrows)
		{
			int			natts = slot->tts_tupleDescriptor->natts;
			const CqValue *vals = &b->values[(size_t) st->row * b->ncols];
			ErrorContextCallback errcb;
			MemoryContext old;

			memset(slot->tts_isnull, true, sizeof(bool) * natts);
			errcb.callback = conv_error_callback;
			errcb.arg = st;
			errcb.previous = error_context_stack;
			error_context_stack = &errcb;
			old = MemoryContextSwitchTo(st->batchctx);
			if (st->guard && st->row == 0 && st->gvals == NULL)
			{
				/* columns whose conversion may fail: the whole batch at once */
				size_t		n = (size_t) b->nrows * Max(st->nout, 1);

				st->gvals = palloc(n * sizeof(Datum));
				st->gnulls = palloc(n * sizeof(bool));
				st->cur_out = -1;
				if (!cqfdw_convert_guarded(st->conv, st->nout, b->values, b->ncols,
										   b->nrows, st->gvals, st->gnulls))
				{
					pfree(st->gvals);
					pfree(st->gnulls);
					st->gvals = NULL;
					st->gnulls = NULL;
				}
			}
			for (int i = 0; i < st->nout && i < b->ncols; i++)
			{
				int			a = st->out_attnums[i] - 1;

				st->cur_out = i;
				if (st->gvals && st->conv[i]->may_fail)
				{
					size_t		k = (size_t) st->row * st->nout + i;

					slot->tts_values[a] = st->gvals[k];
					slot->tts_isnull[a] = st->gnulls[k];
				}
				else
					slot->tts_values[a] = cqfdw_convert(st->conv[i], &vals[i],
														&slot->tts_isnull[a]);
			}
			MemoryContextSwitchTo(old);
			error_context_stack = errcb.previous;
			st->row++;
			ExecStoreVirtualTuple(slot);
			if (st->cache_wr)
				cqfdw_cache_put(st->cache_wr, slot);
			return slot;
		}

		/* current batch exhausted: its Datums are no longer referenced */
		if (b != NULL)
		{
			st->batch = NULL;
			/* freed by the worker that built it, in its malloc arena */
			cq_job_release_batch(st->job, b);
			MemoryContextReset(st->batchctx);
			st->gvals = NULL;
			st->gnulls = NULL;
		}
		if (st->done || st->job == NULL)
			return slot;

		CHECK_FOR_INTERRUPTS();
		switch (cq_job_next(st->job, &st->batch))
		{
			case CQ_JOB_BATCH:
				st->row = 0;
				publish_progress(st);
				break;
			case CQ_JOB_PENDING:
				st->batch = NULL;
				publish_progress(st);
				wait_for_job(st);
				break;
			case CQ_JOB_DONE:
				{
					CqJobStats	s;

					st->batch = NULL;
					st->done = true;
					cqfdw_token_sync(&st->tok_params, &st->tok_seen);
					cq_job_get_stats(st->job, &s);
					if (s.units > 0 && s.units_failed == s.units)
					{
						/*
						 * skip_failed skips a region that refuses the
						 * credentials (an opt-in region not enabled), but
						 * when every unit refused them, they are wrong:
						 * that is the credential ERROR, not warnings.
						 */
						const CqError *errs = NULL;
						int			nerr = cq_job_failed_units(st->job, &errs);

						if (nerr > 0 && errs && cqfdw_aws_credential_error(&errs[0]))
						{
							CqError		err = errs[0];

							cqfdw_report_job_error(&err, st->table);
						}
					}
					/* every row read, no unit skipped: cacheable */
					if (st->cache_wr && s.units_failed == 0)
						cqfdw_cache_commit(st->cache_wr);
					st->cache_wr = NULL;
					if (st->limit < 0 && s.units > 0)
						cqfdw_remember_rows(st->table->relid, (double) s.rows,
											(double) s.units);
					return slot;
				}
			case CQ_JOB_FAILED:
				{
					CqError		err;

					st->batch = NULL;
					cqfdw_token_sync(&st->tok_params, &st->tok_seen);
					err = *cq_job_error(st->job);
					cqfdw_report_job_error(&err, st->table);
				}
		}
	}
}

/*
 * cqReScanForeignScan
 *		Restart: the next Iterate starts a new job with the (possibly
 *		changed) parameter values.
 */
void
cqReScanForeignScan(ForeignScanState *node)
{
	CqFdwScanState *st = (CqFdwScanState *) node->fdw_state;

	if (((ForeignScan *) node->ss.ps.plan)->scan.scanrelid == 0)
	{
		cqfdw_join_rescan(node);
		return;
	}
	if (st->explain_only)
		return;
	finish_job(st);
	MemoryContextReset(st->batchctx);
	st->started = false;
	st->done = false;
}

/*
 * scan_ctx_callback
 *		Delete callback of the scan context.  When the scan ends by an ERROR
 *		or a cancel, End never runs: the job context (a child, deleted first)
 *		has harvested the job's counters into st->stats, and they are added
 *		to the backend's totals as a failed scan, so a failed sync still logs
 *		the requests and retries it spent.  Must not throw.
 */
static void
scan_ctx_callback(void *arg)
{
	CqFdwScanState *st = (CqFdwScanState *) arg;

	/* the jobs are freed (the job context is a child, deleted first) */
	cqfdw_progress_end(st->progress);
	st->progress = 0;
	cqfdw_rate_release(st->rate);
	st->rate = NULL;
	if (!st->explain_only && !st->stats_reported)
	{
		st->stats_reported = true;
		cqfdw_stats_add(&st->stats, true);
	}
}

/*
 * report_scan_warnings
 *		Responses the scan read as "no rows" without an error, and paging
 *		stopped by a loop: each is a WARNING once per scan, so no data is
 *		lost silently.
 *
 * A missing rows pointer is reported for rest tables only: the user wrote
 * that pointer, while a source spec's (e.g. GCP's "/items") is legitimately
 * absent when a listing is empty.
 */
static void
report_scan_warnings(CqFdwScanState *st)
{
	const CqJobStats *s = &st->stats;
	bool		is_rest = strcmp(st->table->source_name, "rest") == 0;

	if (s->empty_bodies > 0)
		ereport(WARNING,
				(errcode(ERRCODE_WARNING),
				 errmsg_plural("%llu API response had an empty body and was read as no rows",
							   "%llu API responses had an empty body and were read as no rows",
							   (unsigned long) s->empty_bodies,
							   (unsigned long long) s->empty_bodies),
				 errdetail("The API answered with a success status and nothing in the body."),
				 errhint("Check that the endpoint lists rows; some APIs send an empty body instead of an error.")));
	if (s->rows_missing > 0 && is_rest)
	{
		const char *rows = st->table->table->rows;

		ereport(WARNING,
				(errcode(ERRCODE_WARNING),
				 errmsg_plural("rows pointer \"%s\" matched nothing in %llu API response",
							   "rows pointer \"%s\" matched nothing in %llu API responses",
							   (unsigned long) s->rows_missing,
							   rows ? rows : "", (unsigned long long) s->rows_missing),
				 errdetail("Those responses were read as no rows."),
				 errhint("Check the table option rows against a response of the API; some APIs omit the array when it is empty.")));
	}
	if (s->loops_stopped > 0)
		ereport(WARNING,
				(errcode(ERRCODE_WARNING),
				 errmsg("pagination stopped: the API sent a next page that was already read"),
				 errdetail_plural("Paging stopped in %llu request sequence; the rows read may be incomplete or contain duplicates.",
								  "Paging stopped in %llu request sequences; the rows read may be incomplete or contain duplicates.",
								  (unsigned long) s->loops_stopped,
								  (unsigned long long) s->loops_stopped),
				 is_rest ?
				 errhint("Check the table options pagination, next and next_param.") :
				 errhint("The API repeated a page; report this to the source's maintainer if it persists.")));
}

/*
 * cqEndForeignScan
 *		Free the job and report what the scan read as NULL or skipped.
 */
void
cqEndForeignScan(ForeignScanState *node)
{
	CqFdwScanState *st = (CqFdwScanState *) node->fdw_state;

	if (((ForeignScan *) node->ss.ps.plan)->scan.scanrelid == 0)
	{
		cqfdw_join_end(node);
		return;
	}
	if (st == NULL || st->explain_only)
		return;
	finish_job(st);
	st->stats_reported = true;
	cqfdw_stats_add(&st->stats, false); /* stats.c: cq_fdw.scan_stats() */

	for (int i = 0; i < st->nout; i++)
	{
		CqWarnAcc  *w = &st->warn[i];
		CqFdwConvState *cs = st->conv[i];
		uint64		count = w->count + cs->nbad;
		const char *example = w->count ? w->example : cs->example;
		const char *path = w->count ? w->path : cs->path;
		const char *why = w->count ? w->message : cs->why;

		if (count == 0)
			continue;
		ereport(WARNING,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg_plural("%llu invalid value in column \"%s\" was read as NULL",
							   "%llu invalid values in column \"%s\" were read as NULL",
							   (unsigned long) count,
							   (unsigned long long) count, cs->attname),
				 errdetail("First invalid value at %s: \"%s\" (%s).",
						   path[0] ? path : "/", example, why),
				 errhint("Set cq_fdw.strict or the table option strict to make this an error.")));
	}
	for (int i = 0; i < st->nskipped && i < MAX_SKIP_WARNINGS; i++)
		ereport(WARNING,
				(errcode(ERRCODE_FDW_ERROR),
				 errmsg("skipped %s", st->skipped[i])));
	if (st->nskipped > MAX_SKIP_WARNINGS)
		ereport(WARNING,
				(errcode(ERRCODE_FDW_ERROR),
				 errmsg("skipped %d more units", st->nskipped - MAX_SKIP_WARNINGS)));
	report_scan_warnings(st);

	MemoryContextDelete(st->scanctx);
	node->fdw_state = NULL;
}

/*
 * cqfdw_scan_info
 *		For EXPLAIN ANALYZE: the scan's counters so far (finished jobs plus
 *		the running one).  Returns false when the scan ran nothing.
 */
bool
cqfdw_scan_info(ForeignScanState *node, CqJobStats *out, int *njobs)
{
	CqFdwScanState *st = (CqFdwScanState *) node->fdw_state;

	memset(out, 0, sizeof(*out));
	*njobs = 0;
	if (((ForeignScan *) node->ss.ps.plan)->scan.scanrelid == 0)
		return false;
	if (st == NULL || st->explain_only)
		return false;
	*out = st->stats;
	if (st->job)
	{
		CqJobStats	s;

		cq_job_get_stats(st->job, &s);
		add_stats(out, &s);
	}
	*njobs = st->njobs;
	return true;
}

/*
 * cqfdw_scan_waits
 *		For EXPLAIN ANALYZE: how often the main thread slept on the jobs,
 *		how many wait sets it built for that (one per job that waited),
 *		and how often it woke the I/O thread for memory it released.
 */
void
cqfdw_scan_waits(ForeignScanState *node, uint64 *waits, uint64 *wsets,
				 uint64 *wakeups)
{
	CqFdwScanState *st = (CqFdwScanState *) node->fdw_state;
	CqJobStats	s;
	int			njobs;

	*waits = *wsets = *wakeups = 0;
	if (!cqfdw_scan_info(node, &s, &njobs))
		return;
	*waits = st->waits;
	*wsets = st->wset_builds;
	*wakeups = s.consumer_wakeups;
}

/*
 * cqfdw_scan_table
 *		The resolved table of a scan (EXPLAIN); NULL if none.
 */
const CqFdwTable *
cqfdw_scan_table(ForeignScanState *node)
{
	CqFdwScanState *st = (CqFdwScanState *) node->fdw_state;

	if (((ForeignScan *) node->ss.ps.plan)->scan.scanrelid == 0)
		return NULL;
	return st ? st->table : NULL;
}
