/*
 * test_budget.c -- the memory budget under fan-out with big pages, and
 * cancel during a big gzip body.
 *
 *	- 20 keys x one 8 MiB page each (/hostile/bigpage/{k}), default
 *	  concurrency (64), budgets 1, 16 and 64 MiB: every row arrives, and the
 *	  job's own accounting of bytes held (peak_bytes: body buffers as they
 *	  are received + batches not yet freed) stays within
 *	  budget + one page + that page's batches (README.md, "What the memory
 *	  budget bounds").  Before transfers were paused at the budget, they
 *	  started at once: 82 MiB held under 16 MiB, 103 MiB under 64 MiB.
 *	- one 8 MiB page under a 1 MiB budget is still read (one page at a time
 *	  may exceed the budget).
 *	- batches of jsonb values (the rich rows' `meta` objects, jansson
 *	  trees kept alive by the batch, outside its arena) are charged what
 *	  they hold: the sum of b->bytes covers the heap growth of holding every
 *	  batch (mallinfo2), so the budget bounds real memory.  Before the trees
 *	  were charged, b->bytes covered about a third of it.
 *	- the fan-out's per-unit state is small: 20,000 accounts cost under
 *	  2,000 bytes of heap each at start (1,559 measured when every unit was
 *	  built at start with its first request queued; 3,413 when each
 *	  request held a 1.8 kB error record for a policy refusal).
 *	- memory flat in the number of accounts (issue 19): a whole job over
 *	  1,000 and over 10,000 accounts (2 rows each, one page), the peak
 *	  heap (mallinfo2, sampled at every batch) grows by under 256 bytes
 *	  per account -- what the job's copy of the key list takes.  Units are
 *	  made lazily by a cursor, a bounded number alive, and freed when they
 *	  finish; before, every unit (1.6 kB) lived from start to end.
 *	- a transfer held back by the budget starts as soon as memory is
 *	  freed: 100 pages of 100 rich rows (Link header, so up to 64 in
 *	  flight) under budgets of one or two pages, every row arrives and
 *	  the I/O thread never found room only when its 100 ms wait ran out
 *	  (budget_stalls 0).  Before a parsed page and the consumer woke it
 *	  when it was held back (they did only for a paused transfer), 17-18
 *	  such stalls a run, the pipeline idle meanwhile (issue 16).
 *	- CQ_JOB_TRACE=<dir>: a job writes its timeline there, one event a
 *	  line: a start, a done and a parse for each of its pages, a batch
 *	  queued and taken for each batch, the threads' CPU times.
 *	- cancel while a 1 GiB gzip body is being inflated: the job stops
 *	  reading it (bytes libcurl delivered, counted by the job's
 *	  accounting, stay far below the body), and ends canceled.
 */
#include <dirent.h>
#include <errno.h>
#include <malloc.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "cq_sdk_int.h"
#include "cqtest.h"
#include "jobtest.h"

void		suite_budget(void);

#define MiB ((size_t) 1024 * 1024)
#define NKEYS 20
#define PAGE_MB 8

#define BIG_TABLE \
"{\"name\":\"t\",\"endpoint\":\"/hostile/bigpage/{k}?mb=%d\",\"rows\":\"/items\"," \
"\"pagination\":\"none\"," \
"\"keys\":[{\"column\":\"k\",\"param\":\"k\",\"in\":\"path\",\"ops\":[\"=\"],\"required\":true}]," \
"\"columns\":[{\"name\":\"k\",\"type\":\"string\"},{\"name\":\"id\",\"type\":\"int\"}," \
"{\"name\":\"key\",\"type\":\"string\"}]}"

/* rows of one page for any key: the mock's count of "id" members */
static long
rows_per_page(int mb)
{
	char		q[128];
	char	   *body;
	long		n = 0;

	snprintf(q, sizeof(q), "/hostile/bigpage/k1?mb=%d", mb);
	body = cqt_mock_get(q);
	for (const char *p = body; p && (p = strstr(p, "\"id\":")) != NULL; p += 5)
		n++;
	free(body);
	return n;
}

static size_t batch_sum;

static void
sum_batch_bytes(H3Job *j, CqBatch *b)
{
	(void) j;
	batch_sum += b->bytes;
}

static void
fanout_budget(size_t budget, int nkeys, long per_page)
{
	H3Job		j;
	char		buf[1024];
	char	   *store = malloc((size_t) nkeys * 8);
	const char **vals = calloc((size_t) nkeys, sizeof(char *));
	CqKeyValues kv = {"k", CQ_OP_EQ, nkeys, vals};
	size_t		page = PAGE_MB * MiB + 1;	/* a body buffer: Content-Length + 1 */
	size_t		bound;

	for (int i = 0; i < nkeys; i++)
	{
		snprintf(store + i * 8, 8, "k%d", i + 1);
		vals[i] = store + i * 8;
	}
	h3_mock("/_mock/reset");
	snprintf(buf, sizeof(buf), BIG_TABLE, PAGE_MB);
	h3_params(&j, h3_table(buf));
	j.p.nkeys = 1;
	j.p.keys = &kv;
	j.p.settings.memory_budget = budget;
	j.on_batch = sum_batch_bytes;
	batch_sum = 0;
	CQ_CHECKF(h3_run(&j) == CQ_JOB_DONE, "%s", j.err.message);
	CQ_CHECKF(j.rows == (long) nkeys * per_page, "rows %ld, want %ld", j.rows, (long) nkeys * per_page);
	CQ_CHECK(j.st.pages == (uint64_t) nkeys);
	/* one body may go past the budget, and the batches of one page */
	bound = budget + page + batch_sum / (size_t) nkeys;
	CQ_CHECKF(j.st.peak_bytes <= bound, "budget %zu: peak %zu > bound %zu",
			  budget, j.st.peak_bytes, bound);
	printf("  %d x %d MiB pages, budget %zu MiB: peak held %.1f MiB (bound %.1f MiB = budget + "
		   "page + its batches %.1f MiB)\n",
		   nkeys, PAGE_MB, budget / MiB, (double) j.st.peak_bytes / MiB, (double) bound / MiB,
		   (double) batch_sum / nkeys / MiB);
	h3_done(&j);
	free(vals);
	free(store);
}

/* Cancel once `at` bytes of a 1 GiB gzip body were inflated. */
static void
cancel_gzip(void)
{
	H3Job		j;
	CqError		err;
	CqJob	   *job;
	CqpAcct    *acct;
	size_t		at = 16 * MiB;
	size_t		total = 1024 * MiB;
	size_t		seen = 0,
				after;
	CqJobState	st = CQ_JOB_PENDING;
	CqBatch    *b = NULL;

	h3_mock("/_mock/reset");
	h3_params(&j, h3_table("{\"name\":\"t\",\"endpoint\":\"/hostile/bomb?mb=1024\",\"rows\":\"/items\","
						   "\"pagination\":\"none\",\"columns\":[{\"name\":\"id\",\"type\":\"int\"}]}"));
	j.p.settings.max_response_bytes = total + 64 * MiB;
	memset(&err, 0, sizeof(err));
	job = cq_job_start(&j.p, &err);
	CQ_CHECKF(job != NULL, "%s", err.message);
	if (!job)
		return;
	acct = cqp_job_acct(job);
	/* wait (no time limit but the job's own end) for the first bytes */
	while ((seen = atomic_load(&acct->received)) < at)
	{
		struct pollfd pfd = {cq_job_fd(job), POLLIN, 0};

		st = cq_job_next(job, &b);
		if (st != CQ_JOB_PENDING)
			break;
		poll(&pfd, 1, 5);
	}
	CQ_CHECKF(st == CQ_JOB_PENDING, "the job ended (state %d) before %zu bytes", (int) st, at);
	cq_job_cancel(job);
	st = cq_job_next(job, &b);
	CQ_CHECK(st == CQ_JOB_FAILED && cq_job_error(job)->kind == CQ_ERR_CANCELED);
	cq_job_free(job);			/* joins the I/O thread */
	after = atomic_load(&acct->received);
	cqp_acct_unref(acct);
	/* the rest of the body (~1 GiB) was not inflated after the cancel */
	CQ_CHECKF(after < total / 4, "%zu of %zu bytes inflated, cancel at %zu", after, total, seen);
	printf("  cancel during a 1 GiB gzip body: %.1f MiB inflated when canceled, %.1f MiB in all\n",
		   (double) seen / MiB, (double) after / MiB);
	h3_done(&j);
}

#define ESTATE_TABLE \
"{\"name\":\"t\",\"endpoint\":\"/accounts/{account}/mb?n=300&per_page=100&shape=estate\"," \
"\"rows\":\"/items\"," \
"\"pagination\":{\"type\":\"next_token\",\"next\":\"/nextPageToken\",\"next_param\":\"pageToken\"}," \
"\"keys\":[{\"column\":\"account\",\"param\":\"account\",\"in\":\"path\",\"ops\":[\"=\"],\"required\":true}]," \
"\"columns\":[{\"name\":\"account\",\"type\":\"int\"},{\"name\":\"id\",\"type\":\"int\"}," \
"{\"name\":\"meta\",\"type\":\"json\"},{\"name\":\"tags\",\"type\":\"json\"}]}"

/*
 * Run the estate table over `naccts` accounts keeping every batch; return
 * the sum of their b->bytes and set *rows, *heap (the heap bytes in use
 * while they are held, less those before the job, after cq_job_free).
 */
static size_t
hold_json_batches(int naccts, long *rows, size_t *heap)
{
	H3Job		j;
	CqError		err;
	CqJob	   *job;
	char		store[64][8];
	const char *vals[64];
	CqKeyValues kv = {"account", CQ_OP_EQ, naccts, vals};
	CqBatch    *held = NULL;
	CqBatch    *b;
	CqJobState	st;
	size_t		sum = 0,
				before;

	for (int i = 0; i < naccts; i++)
	{
		snprintf(store[i], sizeof(store[i]), "%d", i + 1);
		vals[i] = store[i];
	}
	h3_params(&j, h3_table(ESTATE_TABLE));
	j.p.nkeys = 1;
	j.p.keys = &kv;
	*rows = 0;
	before = mallinfo2().uordblks;
	memset(&err, 0, sizeof(err));
	job = cq_job_start(&j.p, &err);
	CQ_CHECKF(job != NULL, "%s", err.message);
	if (!job)
		return 0;
	for (;;)
	{
		struct pollfd pfd = {cq_job_fd(job), POLLIN, 0};

		st = cq_job_next(job, &b);
		if (st == CQ_JOB_BATCH)
		{
			sum += b->bytes;
			*rows += b->nrows;
			b->next = held;		/* kept: a slow consumer's queue */
			held = b;
			continue;
		}
		if (st != CQ_JOB_PENDING)
			break;
		poll(&pfd, 1, 50);
	}
	CQ_CHECKF(st == CQ_JOB_DONE, "job state %d: %s", (int) st, cq_job_error(job)->message);
	cq_job_free(job);
	*heap = mallinfo2().uordblks - before;
	while ((b = held) != NULL)
	{
		held = b->next;
		b->next = NULL;
		cq_batch_free(b);
	}
	h3_done(&j);
	return sum;
}

/*
 * Accounts 1..n as the key values of an `account`-keyed table on
 * /accounts/{account}/<route> (rows /items, no paging, columns account and
 * id): *j is set up (h3_params) with the keys in *kv, whose values live in
 * *store / *vals until accounts_free.
 */
typedef struct Accounts
{
	char	   *store;
	const char **vals;
	CqKeyValues kv;
} Accounts;

static void
accounts_job(H3Job *j, Accounts *a, int n, const char *route)
{
	char		table[1024];

	a->store = malloc((size_t) n * 8);
	a->vals = calloc((size_t) n, sizeof(char *));
	for (int i = 0; a->store && a->vals && i < n; i++)
	{
		snprintf(a->store + (size_t) i * 8, 8, "%d", i + 1);
		a->vals[i] = a->store + (size_t) i * 8;
	}
	a->kv = (CqKeyValues) {"account", CQ_OP_EQ, n, a->vals};
	snprintf(table, sizeof(table),
			 "{\"name\":\"t\",\"endpoint\":\"/accounts/{account}/%s\","
			 "\"rows\":\"/items\",\"pagination\":\"none\","
			 "\"keys\":[{\"column\":\"account\",\"param\":\"account\",\"in\":\"path\","
			 "\"ops\":[\"=\"],\"required\":true}],"
			 "\"columns\":[{\"name\":\"account\",\"type\":\"int\"},{\"name\":\"id\",\"type\":\"int\"}]}",
			 route);
	h3_params(j, h3_table(table));
	j->p.nkeys = 1;
	j->p.keys = &a->kv;
}

static void
accounts_free(Accounts *a)
{
	free(a->vals);
	free(a->store);
}

/* Heap bytes per fan-out unit of a job just started (nothing answered:
 * the mock waits 60 s before each reply). */
static void
unit_footprint(void)
{
	enum
	{
		NU = 20000
	};
	H3Job		j;
	CqError		err;
	CqJob	   *job;
	Accounts	a;
	size_t		before,
				per;

	accounts_job(&j, &a, NU, "mbu?n=10&latency_ms=60000");
	j.p.settings.concurrency = 1;	/* one transfer: the heap is the units' */
	before = mallinfo2().uordblks;
	memset(&err, 0, sizeof(err));
	job = cq_job_start(&j.p, &err);
	CQ_CHECKF(job != NULL, "%s", err.message);
	if (!job)
		goto out;
	per = (mallinfo2().uordblks - before) / NU;
	printf("  fan-out state: %d units, %zu heap bytes each\n", NU, per);
	if (mallinfo2().uordblks > 0)	/* 0 under a replaced malloc */
		CQ_CHECKF(per < 2000, "%zu bytes per unit", per);
	cq_job_free(job);
out:
	h3_done(&j);
	accounts_free(&a);
}

static size_t estate_peak;		/* highest heap in use seen at a batch */

static void
estate_sample(H3Job *j, CqBatch *b)
{
	size_t		h = mallinfo2().uordblks;

	(void) j;
	(void) b;
	if (h > estate_peak)
		estate_peak = h;
}

/* Peak heap growth of a whole job over accounts 1..n; *rows its rows. */
static size_t
estate_growth(int n, long *rows)
{
	H3Job		j;
	Accounts	a;
	size_t		before;

	h3_mock("/_mock/reset");
	accounts_job(&j, &a, n, "estate?n=2&per_page=10&shape=small");
	j.on_batch = estate_sample;
	/* batches waiting for the consumer are bounded by the budget: a small
	 * one keeps them the same at both sizes (the bound under test is per
	 * account, not the budget's) */
	j.p.settings.memory_budget = 2 * MiB;
	before = mallinfo2().uordblks;
	estate_peak = before;
	CQ_CHECKF(h3_run(&j) == CQ_JOB_DONE, "%s", j.err.message);
	*rows = j.rows;
	CQ_CHECKF(j.st.units == (uint64_t) n, "%llu units, want %d",
			  (unsigned long long) j.st.units, n);
	h3_done(&j);
	accounts_free(&a);
	return estate_peak - before;
}

static void
estate_memory_flat(void)
{
	long		rows1,
				rows10;
	size_t		g1,
				g10,
				per;

	(void) estate_growth(100, &rows1);	/* warm-up: first-use allocations */
	g1 = estate_growth(1000, &rows1);
	g10 = estate_growth(10000, &rows10);
	CQ_CHECKF(rows1 == 2 * 1000 && rows10 == 2 * 10000, "rows %ld and %ld", rows1, rows10);
	per = g10 > g1 ? (g10 - g1) / 9000 : 0;
	printf("  estate: peak heap +%.2f MiB at 1,000 accounts, +%.2f MiB at 10,000: %zu bytes per account\n",
		   (double) g1 / MiB, (double) g10 / MiB, per);
	if (mallinfo2().uordblks > 0)	/* 0 under a replaced malloc */
		CQ_CHECKF(per < 256, "the peak heap grows by %zu bytes per account", per);
}

/* Batches of jsonb values are charged the trees they keep alive. */
static void
json_batches_charged(void)
{
	long		rows;
	size_t		heap,
				sum;

	(void) hold_json_batches(1, &rows, &heap);	/* warm-up: first-use allocations */
	sum = hold_json_batches(20, &rows, &heap);
	CQ_CHECKF(rows == 20 * 300, "%ld rows, want %d", rows, 20 * 300);
	printf("  jsonb batches: %ld rows held, charged %.2f MiB, heap in use %.2f MiB (%.0f%%)\n",
		   rows, (double) sum / MiB, (double) heap / MiB, heap ? 100.0 * sum / heap : 0.0);
	/* mallinfo2 reads 0 under a replaced malloc (ASan, TSan, valgrind) */
	if (heap > 1 * MiB)
	{
		CQ_CHECKF(sum >= heap - heap / 20, "charged %zu bytes for %zu bytes of heap", sum, heap);
		CQ_CHECKF(sum <= heap + heap / 2, "charged %zu bytes for %zu bytes of heap", sum, heap);
	}
}

/* A budget of a few pages: a held-back transfer starts when memory is freed. */
static void
budget_wakeup(size_t budget)
{
	H3Job		j;

	h3_mock("/_mock/reset");
	h3_params(&j, h3_table("{\"name\":\"t\",\"endpoint\":"
						   "\"/gen/link/budget_wakeup?n=10000&per_page=100&shape=rich\","
						   "\"rows\":\"\",\"pagination\":\"link_header\","
						   "\"columns\":[{\"name\":\"id\",\"type\":\"int\"},"
						   "{\"name\":\"name\",\"type\":\"string\"}]}"));
	j.p.settings.memory_budget = budget;
	j.release = true;
	j.p.settings.workers = 2;
	CQ_CHECKF(h3_run(&j) == CQ_JOB_DONE, "%s", j.err.message);
	CQ_CHECKF(j.rows == 10000, "rows %ld, want 10000", j.rows);
	/*
	 * released batches are freed by the workers that built them (at most
	 * RELEASE_WAKE a worker are left to cq_job_free), not by the consumer
	 */
	CQ_CHECKF(j.st.batches_freed_by_workers > 0 &&
			  j.st.batches_freed_by_workers + (uint64_t) j.p.settings.workers * 8 >= (uint64_t) j.batches,
			  "%llu of %ld batches freed by the workers",
			  (unsigned long long) j.st.batches_freed_by_workers, j.batches);
	CQ_CHECK(j.st.pages == 100);
	CQ_CHECKF(j.st.budget_stalls == 0,
			  "budget %zu kB: %llu times the I/O thread found room only at its poll timeout",
			  budget / 1024, (unsigned long long) j.st.budget_stalls);
	printf("  100 pages, budget %zu kB: peak held %.1f MiB, %llu late starts, %llu of %ld batches "
		   "freed by their worker\n", budget / 1024, (double) j.st.peak_bytes / MiB,
		   (unsigned long long) j.st.budget_stalls,
		   (unsigned long long) j.st.batches_freed_by_workers, j.batches);
	h3_done(&j);
}

/*
 * settings.worker_nice: the parse workers run that much nicer than the
 * thread that started the job (read back from the kernel), or at the same
 * priority with 0; the starting thread's own priority is left alone.
 */
static void
worker_priority(int nice)
{
	H3Job		j;
	int			base;
	int			want;

	errno = 0;
	base = getpriority(PRIO_PROCESS, 0);
	want = (nice > 0 && base + nice > 19) ? 19 - base : nice;
	h3_mock("/_mock/reset");
	h3_params(&j, h3_table("{\"name\":\"t\",\"endpoint\":"
						   "\"/gen/link/worker_nice?n=300&per_page=100&shape=rich\","
						   "\"rows\":\"\",\"pagination\":\"link_header\","
						   "\"columns\":[{\"name\":\"id\",\"type\":\"int\"}]}"));
	CQ_CHECKF(j.p.settings.worker_nice == 5, "default worker_nice %d, want 5",
			  j.p.settings.worker_nice);
	j.p.settings.worker_nice = nice;
	j.p.settings.workers = 2;
	CQ_CHECKF(h3_run(&j) == CQ_JOB_DONE, "%s", j.err.message);
	CQ_CHECKF(j.rows == 300, "rows %ld, want 300", j.rows);
	CQ_CHECKF(j.st.worker_nice == want, "worker_nice %d: the workers ran %d nicer, want %d",
			  nice, (int) j.st.worker_nice, want);
	errno = 0;
	CQ_CHECKF(getpriority(PRIO_PROCESS, 0) == base && errno == 0,
			  "the starting thread's priority changed (%d -> %d)", base,
			  getpriority(PRIO_PROCESS, 0));
	h3_done(&j);
}

/* CQ_JOB_TRACE: the timeline has one start/done/parse per page. */
static void
job_trace(void)
{
	char		dir[] = "/tmp/cq_trace_test.XXXXXX";
	char		path[1200];
	char		line[256];
	long		start = 0,
				done = 0,
				parse = 0,
				batch = 0,
				take = 0,
				cpu = 0;
	H3Job		j;
	FILE	   *f = NULL;
	DIR		   *d;
	struct dirent *e;

	CQ_CHECK(mkdtemp(dir) != NULL);
	setenv("CQ_JOB_TRACE", dir, 1);
	h3_params(&j, h3_table("{\"name\":\"t\",\"endpoint\":"
						   "\"/gen/link/job_trace?n=1000&per_page=100&shape=small\","
						   "\"rows\":\"\",\"pagination\":\"link_header\","
						   "\"columns\":[{\"name\":\"id\",\"type\":\"int\"}]}"));
	j.p.settings.workers = 2;
	CQ_CHECKF(h3_run(&j) == CQ_JOB_DONE, "%s", j.err.message);
	unsetenv("CQ_JOB_TRACE");
	d = opendir(dir);
	while (d && (e = readdir(d)) != NULL)
		if (strncmp(e->d_name, "cq-trace-", 9) == 0)
		{
			snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
			f = fopen(path, "r");
			break;
		}
	CQ_CHECKF(f != NULL, "no trace file in %s", dir);
	while (f && fgets(line, sizeof(line), f))
	{
		char		th,
					what[64];
		long long	t,
					arg;

		if (sscanf(line, "%lld %c %63s %lld", &t, &th, what, &arg) != 4)
			continue;
		start += strcmp(what, "start") == 0;
		done += strcmp(what, "done") == 0;
		parse += strcmp(what, "parse") == 0;
		batch += strcmp(what, "batch") == 0;
		take += strcmp(what, "take") == 0;
		cpu += strcmp(what, "utime_us") == 0;
	}
	CQ_CHECKF(start == 10 && done == 10 && parse == 10, "start %ld done %ld parse %ld, want 10",
			  start, done, parse);
	CQ_CHECKF(batch == j.batches && take == j.batches, "batch %ld take %ld, want %ld",
			  batch, take, j.batches);
	/* main at start and end, the I/O thread, each worker */
	CQ_CHECKF(cpu == 3 + j.p.settings.workers, "%ld CPU records", cpu);
	if (f)
	{
		fclose(f);
		unlink(path);
	}
	if (d)
		closedir(d);
	rmdir(dir);
	h3_done(&j);
}

void
suite_budget(void)
{
	long		per_page;

	if (!h3_mock_up())
		return;
	per_page = rows_per_page(PAGE_MB);
	CQ_CHECKF(per_page > 1000, "the mock's big page has %ld rows", per_page);
	fanout_budget(1 * MiB, NKEYS, per_page);
	fanout_budget(16 * MiB, NKEYS, per_page);
	fanout_budget(64 * MiB, NKEYS, per_page);
	/* a page bigger than the whole budget is read, alone */
	fanout_budget(1 * MiB, 1, per_page);
	json_batches_charged();
	unit_footprint();
	estate_memory_flat();
	budget_wakeup(64 * 1024);
	budget_wakeup(192 * 1024);
	job_trace();
	worker_priority(5);
	worker_priority(0);
	cancel_gzip();
}
