/*-------------------------------------------------------------------------
 *
 * job_int.h
 *		  Private declarations shared by the scheduler's files (job.c and
 *		  job_*.c; see job.c's banner for which file does what).
 *
 * Not installed; only the job files include it.  The structs here are the
 * scheduler's shared state: which thread may touch which field, and under
 * which lock, is stated in job.c's banner and at each field (job->mu for
 * queues, unit state and stats; job->wmu for column warnings; fields
 * marked "I/O thread only" are never read elsewhere).  Functions named
 * *_locked require job->mu held.
 *
 * Copyright (c) 2026, cq_fdw developers
 *
 *-------------------------------------------------------------------------
 */
#ifndef JOB_INT_H
#define JOB_INT_H

#include <pthread.h>

#include <curl/curl.h>

#include "cq_sdk_int.h"

#define DEFAULT_PAGE_EXPECT (1024 * 1024)
#define MAX_UNITS 1000000

typedef struct FastPlan FastPlan;
typedef struct CqpTrace CqpTrace;

typedef struct BatchImpl
{
	CqBatch		b;				/* first: a CqBatch * is a BatchImpl * */
	CqpAcct    *acct;			/* reference held until cq_batch_free */
	int			owner;			/* parse worker that queued it (cqp_job_worker_id),
								 * -1: another thread */
} BatchImpl;

typedef struct CqpUnit
{
	struct CqpUnit *all_next;	/* every live unit of the job (for freeing) */
	struct CqpUnit *all_prev;
	bool		top;			/* made by the fan-out cursor (counted in
								 * job->top_alive) */
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
	struct CqpCred *cred;		/* SigV4 key of the unit's AWS account
								 * (owned by job->acreds), NULL: the job's */
	const struct CqpKube *kube; /* kubeconfig context of the unit (owned by
								 * job->kubes), NULL: the job's settings */
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
	/* progress: what the API told of this unit's size (0: nothing yet) */
	int64_t		rows_read;		/* rows of its pages parsed so far */
	int64_t		told_rows;		/* its part of job->st.total_rows */
	int64_t		told_pages;		/* its part of job->st.total_pages */
	char	   *aws_region;		/* AWS table: the unit's region (host and
								 * SigV4 scope), or NULL: the source's */
	bool		is_regions;		/* AWS: lists the enabled regions (EC2
								 * DescribeRegions), one child unit each */
	bool		lists_ids;		/* AWS list-then-get: its rows are identifiers,
								 * described by child units (job_aws.c) */
	bool		is_describe;	/* AWS list-then-get: describes identifiers */
	/*
	 * While a worker emits the rows of one of its XML pages (job_page.c):
	 * per output column, the row member a json column may take over
	 * instead of copying (xml_projection), or NULL; see
	 * cqp_job_extract_value_det.  NULL outside that.
	 */
	const char *const *json_move;
	uint64_t	trace_id;		/* its number in the job (st.units when added) */
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
	CqpUnit    *units;			/* live units: freed when they finish */
	CqpUnit    *ranges_h;
	int			units_active;
	struct CqpUnitCursor *ucur; /* fan-out units not yet made (job_units.c),
								 * NULL: none left to make */
	int			top_alive;		/* cursor units made and not finished */
	int			top_cap;		/* at most this many alive */
	bool		finished;
	bool		failed;
	CqError		err;
	int64_t		rows_queued;
	atomic_size_t page_expect;
	atomic_size_t batch_expect; /* B: largest batches of one page */
	atomic_int	npaused;		/* transfers paused at the budget */
	/*
	 * per parse worker (index cqp_job_worker_id): batches the consumer
	 * released (cq_job_release_batch), for that worker to free (mu)
	 */
	CqBatch   **spent;
	int		   *nspent;
	atomic_int	worker_seq;		/* next worker index */
	atomic_int	worker_nice;	/* applied niceness (stats), -1 = none */
	atomic_uint_fast64_t spent_freed;	/* released batches workers freed */
	atomic_uint_fast64_t arena_pages;	/* pages parsed in a page arena */
	atomic_size_t arena_peak;	/* the most one such page used (bytes) */
	atomic_bool budget_blocked; /* the I/O thread holds back a transfer for
								 * the budget: whoever frees memory wakes it */
	size_t		cons_released;	/* bytes the consumer released since it
								 * last woke the I/O thread (mu) */
	/*
	 * the I/O thread has a free transfer slot and will not look at the
	 * ready queue again before its next poll: whoever queues a request
	 * wakes it (and clears the flag, so one wake-up per poll).  Set before
	 * its last look at the queue (under mu), so no push is missed.
	 */
	atomic_bool io_idle;
	CqError    *ferrs;
	int			nferrs,
				ferrcap;
	CqJobStats	st;

	pthread_mutex_t wmu;
	CqColumnWarning *warn;

	FastPlan   *fast;			/* fast extraction plan, NULL = full parse */
	CqpTrace   *trace;			/* CQ_JOB_TRACE timeline (job_trace.c), or
								 * NULL */

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
	struct CqpCred *cred;		/* bearer-token provider (NULL: none),
								 * a reference (shared across jobs with
								 * cred.cache_key) */
	int64_t		cred_base_requests; /* its auth requests before this job */
	struct CqpKube *kube;		/* parsed kubeconfig (NULL: none) */

	/* AWS accounts (a key "in": "account"; built before the threads start,
	 * read-only after) */
	int			account_key;	/* index in table->keys, or -1 */
	bool		role_per_account;	/* role_arn holds {account_id} */
	struct CqpAcctCred *acreds; /* one provider per account */
	int			nacreds,
				capacreds;

	/* detail calls (job_hydrate.c; set before the threads start) */
	bool	   *hyd_need;		/* per table->hydrate: an output column
								 * reads it */
	bool		hyd_any;
	struct CqpHydPage *hyd_pages;	/* pages waiting for details (mu) */
	int64_t		hyd_admitted;	/* rows given detail calls, under a LIMIT
								 * (mu) */
	/* kubeconfig contexts (a key "in": "context"; built before the threads
	 * start, read-only after) */
	int			context_key;	/* index in table->keys, or -1 */
	char	  **ctx_names;		/* the kubeconfig's contexts, file order */
	int			nctx;
	struct CqpKube **kubes;		/* per ctx_names[i]: parsed when a unit
								 * first needs it, or NULL */
};

typedef struct CqpAcctCred
{
	char		account[16];
	struct CqpCred *cred;
} CqpAcctCred;

/* Rows of one page collected from the full tree (job_rows.c). */
typedef struct RowVec
{
	json_t	  **v;
	json_t	  **up;				/* with want_up: CQ_PATH_MAX_UP per row, what
								 * the rows pointer's wildcards matched
								 * (innermost first, NULL-padded) */
	size_t		n,
				cap,
				max;
	bool		want_up;
	bool		over;
	bool		oom;
} RowVec;

/* ------------------------------------------------------------------------
 * The fast extraction path (job_json.c scans, job_fast.c extracts; see
 * job_fast.c for how it works)
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

static inline const char *
cqp_job_fast_ws(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t'))
		p++;
	return p;
}

/* in job_queue.c: request and unit state; *_locked: job->mu held */
extern bool cqp_job_seen_add(CqpUnit *u, const char *url);
extern void cqp_job_scopy(char *dst, size_t n, const char *src);
extern void cqp_job_signal_fd(CqJob *job);
extern void cqp_job_req_free(CqpReq *req);
extern CqpReq *cqp_job_new_req_locked(CqJob *job, CqpUnit *u, char *url,
									  int64_t index, bool seq);
extern void cqp_job_push_ready_locked(CqJob *job, CqpReq *r, bool front);
extern void cqp_job_wake_locked(CqJob *job);
extern void cqp_job_io_wake_locked(CqJob *job);
extern void cqp_job_finish_locked(CqJob *job);
extern void cqp_job_fail_job_locked(CqJob *job, const CqError *err);
extern void cqp_job_range_remove_locked(CqJob *job, CqpUnit *u);
extern void cqp_job_unit_check_locked(CqJob *job, CqpUnit *u);
extern void cqp_job_req_done_locked(CqJob *job, CqpReq *req);
extern void cqp_job_unit_fail_locked(CqJob *job, CqpUnit *u, CqError *err);
extern void cqp_job_fail_req(CqJob *job, CqpReq *req, CqError *err);

/* in job_units.c: units and fan-out */
extern void cqp_job_unit_free(CqpUnit *u);
extern CqpUnit *cqp_job_make_unit(CqJob *job, CqpUnit *parent, int na,
								  const char *const *an, const char *const *av,
								  const int *acol, const bool *aquery,
								  CqpReq **first, CqError *err);
extern void cqp_job_add_unit_locked(CqJob *job, CqpUnit *u, CqpReq *first);
extern int	cqp_job_find_col(const CqTableDef *t, const char *name);
extern bool cqp_job_build_units(CqJob *job, CqError *err);
extern void cqp_job_units_refill_locked(CqJob *job);
extern void cqp_job_unit_drop_locked(CqJob *job, CqpUnit *u);
extern void cqp_job_cursor_free(CqJob *job);

/* in job.c: AWS accounts */
extern struct CqpCred *cqp_job_account_cred(CqJob *job, const char *account,
											CqError *err);
extern bool cqp_job_own_account(CqJob *job, char out[16], CqError *err);
/* in job.c: kubeconfig contexts (a key "in": "context") */
extern const struct CqpKube *cqp_job_context_kube(CqJob *job, const char *name,
												  CqError *err);

/* in job_json.c: JSON text without a tree */
extern bool cqp_job_json_prescan(const char *s, size_t n, int maxdepth,
								 size_t maxstr, size_t *nbig, size_t *nreal,
								 CqError *err);
extern char *cqp_job_quote_numbers(const char *s, size_t n, size_t nq,
								   bool all_reals, size_t *outlen);
extern json_t *cqp_job_load_json(const char *s, size_t n, size_t flags,
								 bool exact, json_error_t *jerr);
extern bool cqp_job_value_text(json_t *v, char *buf, size_t len, const char **out);
extern char *cqp_job_join_url(const char *base_url, char *path);
extern const char *cqp_job_fast_value(FastScan *sc, const char *p,
									  const char *end, int level);
extern const char *cqp_job_fast_row_object(FastScan *sc, const char *p,
										   const char *end, FastSpan *ks);
extern json_t *cqp_job_fast_make(const char *p, const char *e);
extern json_t *cqp_job_fast_make_exact(const char *p, const char *e);

/* in job_rows.c: rows, values, batches */
extern bool cqp_job_reads_numeric(const CqJob *job);
extern bool cqp_job_collect_rows(json_t *m, void *arg);
extern bool cqp_job_collect_rows_up(json_t *m, json_t *const *up, int nup, void *arg);
extern bool cqp_job_extract_value(CqJob *job, CqpUnit *u, json_t *row,
								  json_t *nrow, json_t *const *up,
								  json_t *const *nup, int c, CqArena *arena,
								  CqValue *out, CqError *err);
extern void cqp_job_decref_values(CqValue *vals, size_t n);
extern bool cqp_job_push_batch(CqJob *job, BatchImpl *bi);
extern bool cqp_job_emit_rows(CqJob *job, CqpUnit *u, json_t **rows,
							  json_t **nrows, json_t **ups, json_t **nups,
							  size_t n, size_t *bytes, CqError *err);
extern bool cqp_job_pointer_within(const char *a, const char *prefix);
extern bool cqp_job_parse_value(CqJob *job, int c, bool from_unit, json_t *v,
								json_t *tmp, CqArena *arena, CqValue *out,
								CqError *err);

extern bool cqp_job_extract_value_det(CqJob *job, CqpUnit *u, json_t *row,
									  json_t *nrow, json_t *const *up,
									  json_t *const *nup, json_t *const *det,
									  int c, CqArena *arena, CqValue *out,
									  CqError *err);
extern bool cqp_job_emit_rows_det(CqJob *job, CqpUnit *u, json_t **rows,
								  json_t **nrows, json_t **ups, json_t **nups,
								  json_t **dets, size_t n, size_t *bytes,
								  CqError *err);

/* in job_hydrate.c: detail calls on demand */
extern bool cqp_job_hydrate_init(CqJob *job, CqError *err);
extern void cqp_job_hydrate_free_all(CqJob *job);
extern bool cqp_job_hydrate_limit_reached_locked(const CqJob *job);
extern bool cqp_job_hydrate_page(CqJob *job, CqpUnit *u, json_t *doc,
								 json_t *ndoc, RowVec *rv, RowVec *nrv,
								 size_t bodylen, size_t *bytes, CqError *err);
extern void cqp_job_hydrate_fail(CqJob *job, CqpReq *req, const CqError *err);
extern void cqp_job_hydrate_done(CqJob *job, CqpReq *req);

/* in job_fast.c: the fast extraction path */
extern void cqp_job_fast_plan_free(FastPlan *fp);
extern FastPlan *cqp_job_fast_plan_new(CqJob *job);
extern int	cqp_job_fast_page(CqJob *job, CqpUnit *u, const char *text,
							  size_t len, json_t **doc, size_t *nrows,
							  size_t *bytes, CqError *err);

/* in job_aws.c: AWS list-then-get */
extern int	cqp_job_aws_spawn_describe(CqJob *job, CqpUnit *u, json_t **ids,
									   size_t n, CqError *err);

/* in job_page.c: parse workers */
extern void *cqp_job_worker_main(void *arg);

/* in job_io.c: the I/O thread and the memory budget */
extern bool cqp_job_io_grow(void *ud, CqpReq *req, size_t n);
extern void *cqp_job_io_main(void *arg);

/* batches released to a worker that wake it to free them (job.c) */
#define RELEASE_WAKE 8

/* in job_page.c: this thread's parse worker index, -1 elsewhere */
extern __thread int cqp_job_worker_id;

/* job_trace.c: the CQ_JOB_TRACE timeline */
extern CqpTrace *cqp_trace_new(void);
extern void cqp_trace_ev(CqpTrace *t, char thread, const char *what, int64_t arg);
extern void cqp_trace_finish(CqpTrace *t);
extern void cqp_trace_rusage(CqpTrace *t, char thread);
#define CQP_TRACE(job, th, what, arg) \
	do { if ((job)->trace) cqp_trace_ev((job)->trace, (th), (what), (int64_t) (arg)); } while (0)
/* a unit's number in a trace (its pages: ustart, udone, uready events) */
#define CQP_TRACE_UNIT(u) ((int64_t) (u)->trace_id)

#endif							/* JOB_INT_H */
