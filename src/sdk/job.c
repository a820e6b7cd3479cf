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
 *	  the next page and push batches; each frees the batches it built that
 *	  the consumer released (cq_job_release_batch), in its own malloc arena.
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
 * Files.  The scheduler is split by concern; job_int.h holds the structs
 * they share (CqJob, CqpUnit, BatchImpl, the fast-path types) and their
 * cqp_job_ functions:
 *	job.c		lifecycle and public API: settings, the deep copy of the
 *				params, starting and joining threads, cq_job_next/cancel/
 *				free, stats, warnings, cq_batch_free, the offline test hooks
 *	job_queue.c	request and unit state under job->mu (ready queue, unit
 *				completion, failure, cancel wake-ups)
 *	job_units.c	units: fan-out over key values and server-option lists,
 *				the endpoint and first request of each unit
 *	job_io.c	the I/O thread: transfers, retry timers, the memory budget
 *	job_page.c	parse workers: one completed page, its children, its next
 *				page
 *	job_json.c	JSON text: the strict scanner, the limits pre-scan, number
 *				tokens jansson cannot hold, loading
 *	job_fast.c	the fast extraction path: plan, rows of a page without a tree
 *	job_rows.c	rows of the full tree, value conversion, batches and the
 *				output queue
 *	job_trace.c	the opt-in timeline of a job (CQ_JOB_TRACE=<dir>): transfers,
 *				parses, batches, waits, per-thread CPU
 *
 * This file's invariants: the cq_job_* functions run on the consumer
 * thread only and never block for long; a job owns a deep copy of its
 * params (only the source, table and plugin are borrowed), so the caller's
 * strings may go as soon as cq_job_start returns; job_destroy runs only
 * after every thread is joined, frees every queue, unit and compiled path,
 * and wipes the copied credentials; batches outlive the job (the CqpAcct
 * they reference is refcounted), so cq_batch_free may follow cq_job_free.
 *
 * Copyright (c) 2026, cq_fdw developers
 *
 *-------------------------------------------------------------------------
 */
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <curl/curl.h>

#include "cq_sdk_int.h"
#include "job_int.h"
#include "cred.h"
#include "kubeconfig.h"

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
	/*
	 * glibc's malloc, process-wide (before any thread: with preloading this
	 * is the postmaster, and every backend inherits it).  By default the
	 * heap is trimmed as soon as 128 kB are free at its top (the threshold
	 * grows only when an mmapped block is freed), so a scan whose batches
	 * are allocated by the workers and freed by the consumer, and whose
	 * tuples are palloc'd and reset per row, gives pages back to the kernel
	 * and faults them in again all the time: a 300-account S8 sync spent
	 * about half its wall time so (20 s -> 8-11 s with these two settings,
	 * same peak RSS).  Keep up to 32 MB free at the top of each heap (what
	 * glibc's own dynamic threshold may reach, 2 x 32 MB, anyway) and grow
	 * it 8 MB at a time (untouched pages cost no memory).
	 */
	mallopt(M_TRIM_THRESHOLD, 32 * 1024 * 1024);
	mallopt(M_TOP_PAD, 8 * 1024 * 1024);
	/*
	 * Setting the trim threshold also freezes glibc's mmap threshold at
	 * 128 kB, so every block above it -- a batch's value array (1,000 rows
	 * x 100 columns of an EC2 page: ~3 MB), a response body's buffer, a big
	 * arena chunk -- was a fresh mmap, zero-filled page by page on first
	 * touch and unmapped on free: an S5 count(t) spent ~20% of the backend's
	 * samples in those page faults (memset in cqp_job_emit_rows, memmove
	 * into new buffers), and the page arena's saving (jarena.c) did not
	 * show until they were gone (CPU 5.8-6.6 s -> 3.1-4.4 s, same run).
	 * Blocks up to 32 MB (glibc's own maximum) now come from the heaps and
	 * are reused; what is freed stays within the trim threshold above.
	 */
	mallopt(M_MMAP_THRESHOLD, 32 * 1024 * 1024);
	/* jansson's allocation functions: the parse workers' page arena */
	cqp_jarena_install();
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
	s->worker_nice = 5;
	s->page_arena = true;
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
	if (s->worker_nice < 0)
		s->worker_nice = 0;
	if (s->worker_nice > 19)
		s->worker_nice = 19;
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
 *		to (base_url, credentials, policy, out_cols, out_jsonb, key columns
 *		and values, server options, ca_file, user_agent) is owned by the job, so the
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
	p->cred.session_token = own_str(job, src->cred.session_token, &ok);
	p->cred.service_account_key = own_str(job, src->cred.service_account_key, &ok);
	p->cred.role_arn = own_str(job, src->cred.role_arn, &ok);
	p->cred.external_id = own_str(job, src->cred.external_id, &ok);
	p->cred.sts_url = own_str(job, src->cred.sts_url, &ok);
	p->cred.tenant_id = own_str(job, src->cred.tenant_id, &ok);
	p->cred.client_id = own_str(job, src->cred.client_id, &ok);
	p->cred.client_secret = own_str(job, src->cred.client_secret, &ok);
	p->cred.authority_url = own_str(job, src->cred.authority_url, &ok);
	p->cred.app_id = own_str(job, src->cred.app_id, &ok);
	p->cred.private_key = own_str(job, src->cred.private_key, &ok);
	p->cred.installation_id = own_str(job, src->cred.installation_id, &ok);
	p->cred.cache_key = own_str(job, src->cred.cache_key, &ok);
	p->cred.kubeconfig = own_str(job, src->cred.kubeconfig, &ok);
	p->cred.kube_context = own_str(job, src->cred.kube_context, &ok);
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
	if (src->nout > 0 && src->out_jsonb)
	{
		bool	   *oj = own(job, malloc((size_t) src->nout * sizeof(bool)));

		if (oj)
			memcpy(oj, src->out_jsonb, (size_t) src->nout * sizeof(bool));
		else
			ok = false;
		p->out_jsonb = oj;
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
	cqp_job_hydrate_free_all(job);
	while ((u = job->units) != NULL)
	{
		job->units = u->all_next;
		cqp_job_unit_free(u);
	}
	cqp_job_cursor_free(job);
	if (job->multi)
		curl_multi_cleanup(job->multi);
	cqp_http_cleanup(&job->http);
	cqp_cred_free(job->cred);
	for (int i = 0; i < job->nacreds; i++)
		cqp_cred_free(job->acreds[i].cred);
	free(job->acreds);
	cq_path_free(job->parent_rows);
	cq_path_free(job->parent_next);
	if (job->map_paths)
		for (int i = 0; i < job->table->parent->nmap; i++)
			cq_path_free(job->map_paths[i]);
	free(job->map_paths);
	cq_path_free(job->total);
	cqp_job_fast_plan_free(job->fast);
	for (int i = 0; job->spent && i < job->params.settings.workers; i++)
		while (job->spent[i])
		{
			CqBatch    *b = job->spent[i];

			job->spent[i] = b->next;
			cq_batch_free(b);
		}
	free(job->spent);
	free(job->nspent);
	cqp_trace_rusage(job->trace, 'm');
	cqp_trace_finish(job->trace);
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
	wipe(job->params.cred.session_token);
	wipe(job->params.cred.service_account_key);
	wipe(job->params.cred.external_id);
	wipe(job->params.cred.client_secret);
	wipe(job->params.cred.private_key);
	wipe(job->params.cred.kubeconfig);
	if (job->kube)
	{
		cqp_kube_free(job->kube);
		free(job->kube);
	}
	for (int i = 0; job->kubes && i < job->nctx; i++)
		if (job->kubes[i])
		{
			cqp_kube_free(job->kubes[i]);
			free(job->kubes[i]);
		}
	free(job->kubes);
	cqp_kube_names_free(job->ctx_names, job->nctx);
	for (int i = 0; i < job->nowned; i++)
		free(job->owned[i]);
	free(job->owned);
	free(job);
}

/* ------------------------------------------------------------------------
 * AWS credentials: the job's SigV4 key, per account
 *
 * Without role_arn the job signs with the user mapping's key (a provider
 * of kind AWS_KEYS only when the table has an account key: its account
 * comes from GetCallerIdentity).  With role_arn the key is a role's
 * temporary key from AssumeRole (cred.c), renewed before it expires; when
 * role_arn holds {account_id}, each account of the scan gets its own
 * provider (its own role), made while the units are built and shared by
 * the units of that account.
 * ------------------------------------------------------------------------ */

static void
aws_cred_config(const CqJobParams *params, CqpCredConfig *cc, const char *role_arn)
{
	const CqJobSettings *s = &params->settings;
	const CqCredentials *cr = &params->cred;

	memset(cc, 0, sizeof(*cc));
	cc->kind = role_arn ? CQP_CRED_AWS_ROLE : CQP_CRED_AWS_KEYS;
	cc->access_key_id = cr->user;
	cc->secret_access_key = cr->secret;
	cc->session_token = cr->session_token;
	cc->role_arn = role_arn;
	cc->external_id = cr->external_id;
	cc->sts_url = cr->sts_url;
	cc->policy = params->policy;
	cc->connect_timeout_ms = s->connect_timeout_ms;
	cc->request_timeout_ms = s->request_timeout_ms;
	cc->max_retries = s->max_retries > 0 ? s->max_retries : -1;
	cc->retry_base_ms = s->retry_base_ms;
	cc->insecure = s->insecure;
	cc->ca_file = s->ca_file;
	cc->user_agent = s->user_agent;
}

static void
aws_config_error(CqError *err)
{
	if (err->kind == CQ_ERR_CONFIG && !err->setting[0])
		snprintf(err->setting, sizeof(err->setting), "role_arn");
}

static bool
aws_setup(CqJob *job, CqError *err)
{
	const CqTableDef *t = job->table;
	const char *role = job->params.cred.role_arn;
	CqpCredConfig cc;

	job->account_key = -1;
	for (int i = 0; i < t->nkeys; i++)
		if (t->keys[i].in == CQ_IN_ACCOUNT)
			job->account_key = i;
	if (!job->http.sigv4)
	{
		if (role && *role)
		{
			cq_error_set(err, CQ_ERR_CONFIG, "role_arn is only used by servers that sign with SigV4");
			snprintf(err->setting, sizeof(err->setting), "role_arn");
			return false;
		}
		return true;
	}
	if (role && !*role)
		role = NULL;
	job->role_per_account = role && strstr(role, "{account_id}") != NULL;
	if (job->role_per_account && job->account_key < 0)
	{
		cq_error_set(err, CQ_ERR_CONFIG,
					 "role_arn holds {account_id} but table \"%s\" has no account key column",
					 t->name ? t->name : "?");
		snprintf(err->setting, sizeof(err->setting), "role_arn");
		return false;
	}
	if (job->role_per_account || (!role && job->account_key < 0))
		return true;			/* per account, or the plain key as today */
	aws_cred_config(&job->params, &cc, role);
	/*
	 * One role: its temporary key is kept across jobs under the mapping's
	 * key (like a bearer token, and shared between processes through
	 * cq_cred_token_get/seed).  A plain key needs no keeping.
	 */
	job->cred = role && job->params.cred.cache_key
		? cqp_cred_acquire(job->params.cred.cache_key, &cc, err)
		: cqp_cred_new(&cc, err);
	if (!job->cred)
	{
		aws_config_error(err);
		return false;
	}
	{
		CqpCredStats cs;

		cqp_cred_stats(job->cred, &cs);
		job->cred_base_requests = cs.auth_requests;
	}
	job->http.provider = job->cred;
	return true;
}

/* cqp_job_account_cred: the provider signing for `account` (job.c banner) */
struct CqpCred *
cqp_job_account_cred(CqJob *job, const char *account, CqError *err)
{
	CqpCredConfig cc;
	char	   *role;
	CqpCred    *c;

	if (strlen(account) != 12 || strspn(account, "0123456789") != 12)
	{
		cq_error_set(err, CQ_ERR_CONFIG, "\"%.40s\" is not an AWS account id (12 digits)", account);
		snprintf(err->setting, sizeof(err->setting), "accounts");
		return NULL;
	}
	if (!job->role_per_account)
		return job->cred;
	for (int i = 0; i < job->nacreds; i++)
		if (strcmp(job->acreds[i].account, account) == 0)
			return job->acreds[i].cred;
	if (job->nacreds == job->capacreds)
	{
		int			cap = job->capacreds ? job->capacreds * 2 : 8;
		CqpAcctCred *n = realloc(job->acreds, (size_t) cap * sizeof(CqpAcctCred));

		if (!n)
		{
			cq_error_set(err, CQ_ERR_NOMEM, "out of memory");
			return NULL;
		}
		job->acreds = n;
		job->capacreds = cap;
	}
	role = cqp_aws_role_for_account(job->params.cred.role_arn, account);
	if (!role)
	{
		cq_error_set(err, CQ_ERR_NOMEM, "out of memory");
		return NULL;
	}
	aws_cred_config(&job->params, &cc, role);
	c = cqp_cred_new(&cc, err);
	free(role);
	if (!c)
	{
		aws_config_error(err);
		return NULL;
	}
	snprintf(job->acreds[job->nacreds].account, 16, "%s", account);
	job->acreds[job->nacreds++].cred = c;
	return c;
}

/*
 * cqp_job_context_kube
 *		The parsed kubeconfig context `name` (one of job->ctx_names), for a
 *		unit of a table with a context key: its server, CA, client
 *		certificate and key, token.  Parsed once per job, when the first
 *		unit of the context is built (before the threads start).  NULL and
 *		err if the context is unusable (exec plugin, files, bad PEM, ...):
 *		the error names the context, never a value.
 */
const struct CqpKube *
cqp_job_context_kube(CqJob *job, const char *name, CqError *err)
{
	for (int i = 0; i < job->nctx; i++)
	{
		if (strcmp(job->ctx_names[i], name) != 0)
			continue;
		if (job->kubes[i] == NULL)
		{
			CqpKube    *k = calloc(1, sizeof(CqpKube));

			if (k == NULL)
			{
				cq_error_set(err, CQ_ERR_NOMEM, "out of memory");
				return NULL;
			}
			if (!cqp_kube_parse(job->params.cred.kubeconfig, name, k, err))
			{
				/* the unit's label (context=NAME) says which context */
				free(k);
				if (!err->setting[0])
					snprintf(err->setting, sizeof(err->setting), "kubeconfig");
				return NULL;
			}
			job->kubes[i] = k;
		}
		return job->kubes[i];
	}
	cq_error_set(err, CQ_ERR_CONFIG, "kubeconfig has no context \"%.100s\"", name);
	snprintf(err->setting, sizeof(err->setting), "context");
	return NULL;
}

/*
 * cqp_job_own_account: the account the job's credentials belong to (the
 * role's, or GetCallerIdentity's for a key).  Not for a per-account role.
 */
bool
cqp_job_own_account(CqJob *job, char out[16], CqError *err)
{
	if (job->role_per_account || !job->cred)
	{
		cq_error_set(err, CQ_ERR_CONFIG,
					 "role_arn holds {account_id}: give account_id = ... in the query or the server option accounts");
		snprintf(err->setting, sizeof(err->setting), "accounts");
		return false;
	}
	return cqp_cred_aws_account(job->cred, out, err);
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

/*
 * job_kubeconfig
 *		A kubeconfig in the credentials: parsed (the context asked for, or
 *		its current-context); its server becomes the job's base URL, its
 *		token the bearer token (a pasted `token` wins), its
 *		insecure-skip-tls-verify the insecure setting.  The CA, client
 *		certificate and key stay in job->kube (memory only) for http.c.
 */
static bool
job_kubeconfig(CqJob *job, CqError *err)
{
	CqCredentials *cr = &job->params.cred;
	const CqTableDef *t = job->params.table;
	bool		ok = true;

	job->context_key = -1;
	for (int i = 0; i < t->nkeys; i++)
		if (t->keys[i].in == CQ_IN_CONTEXT)
			job->context_key = i;
	if (cr->kubeconfig == NULL)
		return true;
	if (job->context_key >= 0)
	{
		/*
		 * A context key column: each unit talks to its own context's
		 * cluster (cqp_job_context_kube, parsed when a unit first needs
		 * it); here only the names.  The mapping's context option keeps
		 * one of them (job_units.c).
		 */
		if (!cqp_kube_contexts(cr->kubeconfig, &job->ctx_names, &job->nctx, err))
		{
			if (!err->setting[0])
				snprintf(err->setting, sizeof(err->setting), "kubeconfig");
			return false;
		}
		job->kubes = calloc((size_t) job->nctx + 1, sizeof(CqpKube *));
		if (job->kubes == NULL)
		{
			cq_error_set(err, CQ_ERR_NOMEM, "out of memory");
			return false;
		}
		return true;
	}
	job->kube = calloc(1, sizeof(CqpKube));
	if (job->kube == NULL)
	{
		cq_error_set(err, CQ_ERR_NOMEM, "out of memory");
		return false;
	}
	if (!cqp_kube_parse(cr->kubeconfig, cr->kube_context, job->kube, err))
	{
		if (!err->setting[0])
			snprintf(err->setting, sizeof(err->setting), "kubeconfig");
		return false;
	}
	job->params.base_url = own_str(job, job->kube->server, &ok);
	if (job->kube->token && cr->token == NULL)
		cr->token = own_str(job, job->kube->token, &ok);
	if (job->kube->insecure)
		job->params.settings.insecure = true;
	if (!ok)
		cq_error_set(err, CQ_ERR_NOMEM, "out of memory");
	return ok;
}

/*
 * job_provider
 *		The bearer-token provider the credentials ask for (cred.c): a GCP
 *		service account key, an Azure app registration, a GitHub App.  None
 *		for a pasted token.  With cred.cache_key the provider is shared with
 *		the other jobs of the same key (a token outlives the scan).  When
 *		the host policy restricts hosts, the vendor's own token endpoint is
 *		allowed besides them; a token endpoint elsewhere (authority_url,
 *		a key's token_uri) must pass the policy.
 */
/*
 * provider_config
 *		The provider configuration of params' credentials (see job_provider):
 *		false if they need none.  *hosts: a malloc'd allowed_hosts the
 *		config points to (free it after use), or NULL.
 */
static bool
provider_config(const CqJobParams *params, CqpCredConfig *cc, char **hosts,
				const char **opt, CqError *err)
{
	const CqCredentials *cr = &params->cred;
	const CqJobSettings *s = &params->settings;
	const char *vendor;

	*hosts = NULL;
	if (!cqp_cred_config_from(cr, params->base_url ? params->base_url :
							  (params->source ? params->source->base_url : NULL),
							  cc, opt, &vendor))
		return false;
	cc->policy = params->policy;
	if (cc->policy.allowed_hosts && cc->policy.allowed_hosts[0])
	{
		size_t		n = strlen(cc->policy.allowed_hosts) + strlen(vendor) + 2;

		*hosts = malloc(n);
		if (*hosts == NULL)
		{
			cq_error_set(err, CQ_ERR_NOMEM, "out of memory");
			return false;
		}
		snprintf(*hosts, n, "%s,%s", cc->policy.allowed_hosts, vendor);
		cc->policy.allowed_hosts = *hosts;
	}
	cc->connect_timeout_ms = s->connect_timeout_ms;
	cc->request_timeout_ms = s->request_timeout_ms;
	cc->max_retries = s->max_retries > 0 ? s->max_retries : -1;
	cc->retry_base_ms = s->retry_base_ms;
	cc->insecure = s->insecure;
	cc->ca_file = s->ca_file;
	cc->user_agent = s->user_agent;
	return true;
}

static bool
job_provider(CqJob *job, CqError *err)
{
	const CqCredentials *cr = &job->params.cred;
	CqpCredConfig cc;
	const char *opt = NULL;
	char	   *hosts = NULL;

	if (!provider_config(&job->params, &cc, &hosts, &opt, err))
		return err->kind == CQ_ERR_NONE;
	job->cred = cr->cache_key ? cqp_cred_acquire(cr->cache_key, &cc, err)
		: cqp_cred_new(&cc, err);
	free(hosts);
	if (job->cred == NULL)
	{
		if (err->kind == CQ_ERR_CONFIG && !err->setting[0])
			snprintf(err->setting, sizeof(err->setting), "%s", opt);
		return false;
	}
	/* EXPLAIN ANALYZE counts this scan's token requests only */
	{
		CqpCredStats cs;

		cqp_cred_stats(job->cred, &cs);
		job->cred_base_requests = cs.auth_requests;
	}
	job->http.provider = job->cred;
	return true;
}

/* the kept provider of params (a reference), or NULL */
static CqpCred *
kept_provider(const CqJobParams *params, CqError *err)
{
	CqpCredConfig cc;
	CqJobParams p = *params;	/* shallow: the settings sanitized as a
								 * job's, so the configuration digest is
								 * the job's and the kept provider the same */
	const char *opt = NULL;
	char	   *hosts = NULL;
	CqpCred    *c;

	memset(err, 0, sizeof(*err));
	sanitize_settings(&p.settings);
	if (params->cred.cache_key == NULL || params->cred.kubeconfig != NULL)
		return NULL;
	if (params->cred.role_arn && params->cred.role_arn[0])
	{
		/* a SigV4 server's one role (aws_setup); not a role per account */
		if (strstr(params->cred.role_arn, "{account_id}") != NULL ||
			!params->source || params->source->auth != CQ_AUTH_SIGV4 ||
			!params->cred.user || !params->cred.user[0] ||
			!params->cred.secret || !params->cred.secret[0])
			return NULL;
		aws_cred_config(&p, &cc, params->cred.role_arn);
		return cqp_cred_acquire(params->cred.cache_key, &cc, err);
	}
	if (!provider_config(&p, &cc, &hosts, &opt, err))
		return NULL;
	c = cqp_cred_acquire(params->cred.cache_key, &cc, err);
	free(hosts);
	return c;
}

/* cq_cred_token_get: see cq_sdk.h */
char *
cq_cred_token_get(const CqJobParams *params, bool fetch, int64_t *valid_ms,
				  int64_t *requests, CqError *err)
{
	CqpCred    *c = kept_provider(params, err);
	CqpCredStats before,
				after;
	char	   *t;

	*valid_ms = 0;
	*requests = 0;
	if (c == NULL)
		return NULL;
	cqp_cred_stats(c, &before);
	t = cqp_cred_get_valid(c, fetch, valid_ms, err);
	cqp_cred_stats(c, &after);
	*requests = after.auth_requests - before.auth_requests;
	/* a refusal names the options to check, as a job's request would */
	if (t == NULL && err->kind == CQ_ERR_HTTP && err->http_status >= 400 &&
		err->http_status < 500 && err->http_status != 429 && !err->setting[0] &&
		cqp_cred_kind(c) != CQP_CRED_AWS_ROLE)
		snprintf(err->setting, sizeof(err->setting), "token:%s",
				 cqp_cred_options_hint(c));
	cqp_cred_free(c);
	return t;
}

/* cq_cred_token_invalidations: see cq_sdk.h */
int64_t
cq_cred_token_invalidations(const CqJobParams *params)
{
	CqError		err;
	CqpCred    *c = kept_provider(params, &err);
	CqpCredStats cs;

	if (c == NULL)
		return 0;
	cqp_cred_stats(c, &cs);
	cqp_cred_free(c);
	return cs.invalidations;
}

/* cq_cred_token_seed: see cq_sdk.h */
void
cq_cred_token_seed(const CqJobParams *params, const char *token, int64_t valid_ms)
{
	CqError		err;
	CqpCred    *c = kept_provider(params, &err);

	if (c == NULL)
		return;
	cqp_cred_seed(c, token, valid_ms);
	cqp_cred_free(c);
}

/*
 * The one value the scan gives key column `col` (a qual col = 'x', an IN
 * list of one value, or a server option of one value), or NULL.
 */
static const char *
scan_key_value(const CqJobParams *params, const CqKeyDef *kd)
{
	for (int k = 0; k < params->nkeys; k++)
	{
		const CqKeyValues *kv = &params->keys[k];

		if (strcmp(kv->column, kd->column) != 0)
			continue;
		if (kv->op != CQ_OP_EQ || kv->nvalues < 1 || kv->values[0] == NULL)
			return NULL;
		for (int i = 1; i < kv->nvalues; i++)
			if (kv->values[i] == NULL || strcmp(kv->values[i], kv->values[0]) != 0)
				return NULL;
		return kv->values[0];
	}
	if (kd->server_option)
		for (int s = 0; s < params->nserver_opts; s++)
			if (strcmp(params->server_opt_names[s], kd->server_option) == 0)
				return strchr(params->server_opt_values[s], ',') ? NULL
					: params->server_opt_values[s];
	return NULL;
}

/*
 * The path of `tmpl` up to its first placeholder the scan gives no single
 * value for (cut at that segment), without the query; false if too long.
 */
static bool
scan_path(const CqJobParams *params, const char *tmpl, char *out, size_t olen)
{
	const CqTableDef *t = params->table;
	size_t		n = 0;
	size_t		seg = 0;		/* where the current segment starts */

	for (const char *p = tmpl; *p && *p != '?' && *p != '#'; p++)
	{
		const char *v = NULL;

		if (*p == '/')
			seg = n;
		if (*p == '{')
		{
			const char *e = strchr(p, '}');

			for (int k = 0; e && k < t->nkeys; k++)
			{
				const CqKeyDef *kd = &t->keys[k];
				const char *name = kd->param ? kd->param : kd->column;

				if (kd->in == CQ_IN_PATH && strlen(name) == (size_t) (e - p - 1) &&
					strncmp(name, p + 1, e - p - 1) == 0)
					v = scan_key_value(params, kd);
			}
			/* only plain logins: anything else the job would encode */
			if (v == NULL || !v[0] || strspn(v, "abcdefghijklmnopqrstuvwxyz"
											 "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") != strlen(v))
			{
				n = seg;
				break;
			}
			if (n + strlen(v) >= olen)
				return false;
			memcpy(out + n, v, strlen(v));
			n += strlen(v);
			p = e;
			continue;
		}
		if (n + 1 >= olen)
			return false;
		out[n++] = *p;
	}
	out[n] = '\0';
	return true;
}

/* cq_cred_scan_owner: see cq_sdk.h */
bool
cq_cred_scan_owner(const CqJobParams *params, char *owner, size_t olen,
				   char *path, size_t plen)
{
	const CqTableDef *t = params->table;
	const CqCredentials *cr = &params->cred;
	const char *tmpls[2];
	CqError		err;
	CqpCred    *c;
	bool		ok = false;

	if (t == NULL || cr->app_id == NULL || cr->installation_id != NULL ||
		cr->token != NULL || cr->kubeconfig != NULL)
		return false;
	tmpls[0] = t->endpoint;
	tmpls[1] = t->get_endpoint;
	c = kept_provider(params, &err);
	if (c == NULL)
		return false;
	for (int i = 0; i < 2 && !ok; i++)
		ok = tmpls[i] && tmpls[i][0] == '/' &&
			scan_path(params, tmpls[i], path, plen) &&
			cqp_cred_path_owner(c, path, owner, olen);
	cqp_cred_free(c);
	return ok;
}

/* cq_cred_owner_token_get: see cq_sdk.h */
char *
cq_cred_owner_token_get(const CqJobParams *params, const char *path, bool fetch,
						int64_t *valid_ms, int64_t *requests,
						char *installation, size_t ilen, CqError *err)
{
	CqpCred    *c = kept_provider(params, err);
	CqpCred    *child;
	CqpCredStats before,
				after;
	char	   *t = NULL;

	*valid_ms = 0;
	*requests = 0;
	if (installation && ilen)
		installation[0] = '\0';
	if (c == NULL)
		return NULL;
	cqp_cred_stats(c, &before);
	child = cqp_cred_owner_provider(c, path, fetch, NULL, installation, ilen, err);
	if (child)
		t = cqp_cred_get_valid(child, fetch, valid_ms, err);
	cqp_cred_stats(c, &after);
	*requests = after.auth_requests - before.auth_requests;
	/* a refusal is reported as a job's request reports it (http.c) */
	if (t == NULL && err->kind == CQ_ERR_HTTP && err->http_status >= 400 &&
		err->http_status < 500 && err->http_status != 429)
		snprintf(err->setting, sizeof(err->setting), "token:%s",
				 cqp_cred_options_hint(c));
	cqp_cred_free(c);
	return t;
}

/* cq_cred_owner_token_seed: see cq_sdk.h */
void
cq_cred_owner_token_seed(const CqJobParams *params, const char *path,
						 const char *installation, const char *token, int64_t valid_ms)
{
	CqError		err;
	CqpCred    *c = kept_provider(params, &err);
	CqpCred    *child;

	if (c == NULL)
		return;
	child = cqp_cred_owner_provider(c, path, false, installation, NULL, 0, &err);
	if (child)
		cqp_cred_seed(child, token, valid_ms);
	cqp_cred_free(c);
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
	job->trace = cqp_trace_new();
	cqp_trace_rusage(job->trace, 's');
	pthread_mutex_init(&job->mu, NULL);
	pthread_mutex_init(&job->wmu, NULL);
	pthread_cond_init(&job->cv, NULL);
	atomic_init(&job->stop, false);
	atomic_init(&job->parsing, 0);
	atomic_init(&job->out_count, 0);
	atomic_init(&job->page_expect, 0);
	atomic_init(&job->batch_expect, 0);
	atomic_init(&job->npaused, 0);
	atomic_init(&job->budget_blocked, false);
	atomic_init(&job->worker_seq, 0);
	atomic_init(&job->spent_freed, 0);
	atomic_init(&job->arena_pages, 0);
	atomic_init(&job->arena_peak, 0);
	atomic_init(&job->worker_nice, -1);
	if (!params_copy(job, params, err))
	{
		job_destroy(job);
		return NULL;
	}
	sanitize_settings(&job->params.settings);
	if (!job_kubeconfig(job, err))
	{
		job_destroy(job);
		return NULL;
	}
	job->table = t;
	job->base_url = job->params.base_url ? job->params.base_url :
		(params->source ? params->source->base_url : NULL);
	job->acct = cqp_acct_new();
	job->warn = calloc((size_t) params->nout + 1, sizeof(CqColumnWarning));
	job->workers = calloc((size_t) job->params.settings.workers, sizeof(pthread_t));
	job->spent = calloc((size_t) job->params.settings.workers + 1, sizeof(CqBatch *));
	job->nspent = calloc((size_t) job->params.settings.workers + 1, sizeof(int));
	if (!job->acct || !job->warn || !job->workers || !job->spent || !job->nspent)
	{
		cq_error_set(err, CQ_ERR_NOMEM, "out of memory");
		goto fail;
	}
	job->st.budget_bytes = job->params.settings.memory_budget;
	job->st.total_rows = job->st.total_pages = -1;
	if (!cqp_job_hydrate_init(job, err))
		goto fail;
#ifdef CQ_NO_FAST_EXTRACT		/* build flag: measure the full-parse path */
	(void) cqp_job_fast_plan_new;
#else
	/* detail calls need each row's tree (job_hydrate.c) */
	if (!job->hyd_any)
		job->fast = cqp_job_fast_plan_new(job);
#endif
	if (!cqp_http_init(&job->http, &job->params, job->acct, err))
		goto fail;
	job->http.stop = &job->stop;
	job->http.grow = cqp_job_io_grow;
	job->http.grow_ud = job;
	if (!job_provider(job, err))
		goto fail;
	if (job->kube)
	{
		/* TLS material of the kubeconfig, for requests to its server */
		job->http.tls_ca = job->kube->ca;
		job->http.tls_ca_len = job->kube->ca_len;
		job->http.tls_cert = job->kube->cert;
		job->http.tls_cert_len = job->kube->cert_len;
		job->http.tls_key = job->kube->key;
		job->http.tls_key_len = job->kube->key_len;
	}
	if (!aws_setup(job, err))
		goto fail;

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

/*
 * The consumer took a batch or found none: wake the I/O thread, when it
 * waits for memory (a paused transfer, one held back for the budget), for
 * what the consumer released (cq_job_release_batch)?  While a page waits
 * for or is under parsing, no: its worker wakes the I/O thread when done
 * (cqp_job_req_done_locked, under mu, so after this), and the I/O thread
 * then sees every byte released until then -- unless the consumer already
 * released an eighth of the budget, which should not wait for a long
 * parse.  Waking on every batch cost the main thread a send() per batch
 * (issue 16: 5-7% of its samples in an S1 count(t)).  job->mu held.
 */
static void
consumer_wake_locked(CqJob *job)
{
	size_t		enough = job->params.settings.memory_budget / 8;

	if (atomic_load(&job->npaused) == 0 && !atomic_load(&job->budget_blocked))
		return;
	if (atomic_load(&job->parsing) > 0 && job->cons_released < enough)
		return;
	job->cons_released = 0;
	job->st.consumer_wakeups++;
	cqp_job_io_wake_locked(job);
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
		CQP_TRACE(job, 'm', "take", b->nrows);
		/* the I/O thread may be waiting for the consumer (budget) */
		consumer_wake_locked(job);
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
		CQP_TRACE(job, 'm', "pending", atomic_load(&job->parsing));
		/*
		 * the consumer freed its batches: a paused transfer may resume, a
		 * transfer held back for the budget may start
		 */
		consumer_wake_locked(job);
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
	if (j->cred)
	{
		CqpCredStats cs;

		cqp_cred_stats(j->cred, &cs);
		out->auth_requests = (uint64_t) (cs.auth_requests - j->cred_base_requests);
	}
	for (int i = 0; i < j->nacreds; i++)
	{
		CqpCredStats cs;

		cqp_cred_stats(j->acreds[i].cred, &cs);
		out->auth_requests += (uint64_t) cs.auth_requests;
	}
	out->peak_bytes = atomic_load(&j->acct->peak);
	out->batches_freed_by_workers = (uint64_t) atomic_load(&j->spent_freed);
	out->pages_in_arena = (uint64_t) atomic_load(&j->arena_pages);
	out->page_arena_peak = (uint64_t) atomic_load(&j->arena_peak);
	out->worker_nice = atomic_load(&j->worker_nice);
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
 * cq_job_release_batch
 *		The consumer is done with a batch: its bytes leave the accounting
 *		now (memory the budget may give to the next page), and the worker
 *		that built it frees it when it takes its next page, or when
 *		RELEASE_WAKE of them are waiting.  Freeing on the consumer took the
 *		lock of the worker's malloc arena, against the worker allocating
 *		the next page's rows: in an S1 REFRESH the backend's main thread
 *		slept on it 88-484 times (perf sched, issue 16).  Consumer thread.
 */
void
cq_job_release_batch(CqJob *job, CqBatch *b)
{
	BatchImpl  *bi = (BatchImpl *) b;
	int			w;

	if (!b)
		return;
	w = bi->owner;
	if (!job || bi->acct != job->acct || w < 0 || w >= job->nworkers_started)
	{
		cq_batch_free(b);
		return;
	}
	/* accounted as freed now: the worker frees what no one uses */
	cqp_acct_sub(bi->acct, b->bytes);
	pthread_mutex_lock(&job->mu);
	job->cons_released += b->bytes;
	b->bytes = 0;
	b->next = job->spent[w];
	job->spent[w] = b;
	if (++job->nspent[w] >= RELEASE_WAKE)
		pthread_cond_broadcast(&job->cv);
	pthread_mutex_unlock(&job->mu);
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
