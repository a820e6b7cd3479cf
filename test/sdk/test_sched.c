/*
 * test_sched.c -- the scheduler: fan-out over many accounts with latency,
 * '=' lists, server-option lists, cancel in the middle of a stalled page,
 * the memory budget bound, depth-first parent -> child order,
 * skip_failed_units, strict and non-strict value errors.  With H3_BENCH=1
 * it also prints throughput numbers (not asserted).
 */
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <time.h>

#include "cq_sdk_int.h"
#include "cqtest.h"

void		suite_sched(void);

#include "jobtest.h"

#define ACCT_TABLE \
"{\"name\":\"t\",\"endpoint\":\"/accounts/{account}/items?%s\",\"rows\":\"/items\"," \
"\"pagination\":{\"type\":\"next_token\",\"next\":\"/nextPageToken\",\"next_param\":\"pageToken\"}," \
"\"keys\":[{\"column\":\"account\",\"param\":\"account\",\"in\":\"path\",\"ops\":[\"=\"],\"required\":true," \
"\"server_option\":\"accounts\"}]," \
"\"columns\":[{\"name\":\"id\",\"type\":\"int\"},{\"name\":\"account\",\"type\":\"int\"}," \
"{\"name\":\"name\",\"type\":\"string\"}]}"

static CqTableDef *
acct_table(const char *query)
{
	char		buf[2048];

	snprintf(buf, sizeof(buf), ACCT_TABLE, query);
	return h3_table(buf);
}

/* values "1".."n" */
static const char **
numbers(int n, char **store)
{
	const char **v = calloc((size_t) n, sizeof(char *));

	*store = malloc((size_t) n * 12);
	for (int i = 0; i < n; i++)
	{
		snprintf(*store + i * 12, 12, "%d", i + 1);
		v[i] = *store + i * 12;
	}
	return v;
}

static long acct_sum;

static void
sum_accounts(H3Job *j, CqBatch *b)
{
	(void) j;
	for (int r = 0; r < b->nrows; r++)
		if (!b->values[r * b->ncols + 1].isnull)
			acct_sum += b->values[r * b->ncols + 1].u.i;
}

static void
test_fanout(int naccts, int n, int per, int latency, bool print)
{
	H3Job		j;
	char		q[256];
	char	   *store;
	const char **vals = numbers(naccts, &store);
	CqKeyValues kv = {"account", CQ_OP_EQ, naccts, vals};
	long		conc = 0;
	long		reqs;

	h3_mock("/_mock/reset");
	snprintf(q, sizeof(q), "n=%d&per_page=%d&latency_ms=%d&shape=small", n, per, latency);
	h3_params(&j, acct_table(q));
	j.p.nkeys = 1;
	j.p.keys = &kv;
	j.on_batch = sum_accounts;
	acct_sum = 0;
	CQ_CHECKF(h3_run(&j) == CQ_JOB_DONE, "%s", j.err.message);
	CQ_CHECKF(j.rows == (long) naccts * n, "rows %ld", j.rows);
	/* every row carries its unit's account: sum over accounts of a * n */
	CQ_CHECK(acct_sum == (long) n * naccts * (naccts + 1) / 2);
	CQ_CHECK(j.st.units == (uint64_t) naccts);
	reqs = h3_mock_count("/accounts/", &conc);
	CQ_CHECK(reqs == (long) j.st.requests);
	CQ_CHECKF(latency == 0 || conc > 1, "max concurrent %ld", conc);
	if (print)
	{
		double		ideal = (double) reqs * latency / 64.0;

		printf("  fan-out %d accounts x %d items (%d/page, %d ms latency): %ld requests, "
			   "%.0f ms (ideal %.0f ms at 64 in flight), max concurrent %ld\n",
			   naccts, n, per, latency, reqs, j.elapsed_ms, ideal, conc);
	}
	h3_done(&j);
	free(vals);
	free(store);
}

static void
test_server_option_fanout(void)
{
	H3Job		j;
	const char *names[] = {"accounts"};
	const char *values[] = {"1, 2,3,,4 ,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20"};

	h3_mock("/_mock/reset");
	h3_params(&j, acct_table("n=7&per_page=3&shape=small"));
	j.p.nserver_opts = 1;
	j.p.server_opt_names = names;
	j.p.server_opt_values = values;
	CQ_CHECK(h3_run(&j) == CQ_JOB_DONE);
	CQ_CHECK(j.rows == 20 * 7);
	CQ_CHECK(j.st.units == 20);
	h3_done(&j);
}

static void
test_cancel_stall(void)
{
	H3Job		j;
	char	   *store;
	const char **vals = numbers(10, &store);
	CqKeyValues kv = {"account", CQ_OP_EQ, 10, vals};

	h3_mock("/_mock/reset");
	h3_mock("/_mock/fault?route=/accounts/&mode=stall&count=-1&after=5&delay_ms=30000");
	h3_params(&j, acct_table("n=100&per_page=10&shape=small"));
	j.p.nkeys = 1;
	j.p.keys = &kv;
	j.cancel_after_ms = 500;
	CQ_CHECK(h3_run(&j) == CQ_JOB_FAILED);
	CQ_CHECK(j.canceled);
	printf("  cancel with stalled transfers: cq_job_free took %.1f ms\n", j.free_ms);
	h3_done(&j);
	h3_mock("/_mock/faults?clear=1");
	free(vals);
	free(store);
}

static void
test_budget(void)
{
	H3Job		j;
	size_t		budget = 256 * 1024;
	size_t		max_body,
				bound;

	h3_mock("/_mock/reset");
	h3_params(&j, h3_table("{\"name\":\"t\",\"endpoint\":\"/gen/link/big?n=3000&per_page=50&latency_ms=5\","
						   "\"rows\":\"\",\"pagination\":\"link_header\","
						   "\"columns\":[{\"name\":\"id\",\"type\":\"int\"},{\"name\":\"name\",\"type\":\"string\"},"
						   "{\"name\":\"meta\",\"type\":\"json\"},{\"name\":\"description\",\"type\":\"string\"},"
						   "{\"name\":\"tags\",\"type\":\"string[]\"}]}"));
	j.p.settings.memory_budget = budget;
	CQ_CHECK(h3_run(&j) == CQ_JOB_DONE);
	CQ_CHECK(j.rows == 3000 && j.distinct == 3000);
	/* largest page footprint: a body (pages differ by a few %) + its batch */
	max_body = (size_t) (j.st.bytes / (j.st.pages ? j.st.pages : 1) * 1.10);
	bound = budget + max_body + j.max_batch_bytes;
	CQ_CHECKF(j.st.peak_bytes <= bound, "peak %zu > bound %zu", j.st.peak_bytes, bound);
	CQ_CHECK(j.st.budget_bytes == budget);
	printf("  budget %zu: peak %zu (bound %zu = budget + page %zu + batch %zu)\n",
		   budget, j.st.peak_bytes, bound, max_body, j.max_batch_bytes);
	h3_done(&j);
}

/* DFS: parents 1..8 in parent pages of 2; each has 25 items (3 pages). */
static int	dfs_bad;
static int	dfs_maxpage;

static void
dfs_order(H3Job *j, CqBatch *b)
{
	(void) j;
	for (int r = 0; r < b->nrows; r++)
	{
		CqValue    *v = &b->values[r * b->ncols + 1];
		int			page = (int) ((v->u.i - 1) / 2);

		if (page < dfs_maxpage)
			dfs_bad++;
		if (page > dfs_maxpage)
			dfs_maxpage = page;
	}
}

static void
test_parent_dfs(void)
{
	H3Job		j;

	h3_mock("/_mock/reset");
	h3_params(&j, h3_table(
						   "{\"name\":\"t\",\"endpoint\":\"/accounts/{account}/items?n=25&per_page=10&latency_ms=10&shape=small\","
						   "\"rows\":\"/items\",\"pagination\":{\"type\":\"next_token\",\"next\":\"/nextPageToken\",\"next_param\":\"pageToken\"},"
						   "\"keys\":[{\"column\":\"account\",\"param\":\"account\",\"in\":\"path\",\"ops\":[\"=\"],\"from_parent\":true}],"
						   "\"parent\":{\"endpoint\":\"/gen/page/parents?n=8&shape=small\",\"rows\":\"/items\","
						   "\"pagination\":{\"type\":\"page_number\",\"next_param\":\"page\",\"page_size_param\":\"per_page\",\"page_size\":2},"
						   "\"map\":{\"account\":\"/id\"}},"
						   "\"columns\":[{\"name\":\"id\",\"type\":\"int\"},{\"name\":\"account\",\"type\":\"int\"}]}"));
	if (!j.t)
	{
		CQ_CHECK(j.t != NULL);
		return;
	}
	dfs_bad = 0;
	dfs_maxpage = 0;
	j.on_batch = dfs_order;
	CQ_CHECKF(h3_run(&j) == CQ_JOB_DONE, "%s", j.err.message);
	CQ_CHECKF(j.rows == 8 * 25, "rows %ld", j.rows);
	CQ_CHECK(j.st.units == 1 + 8);
	CQ_CHECKF(dfs_bad == 0, "%d rows of an earlier parent page after a later one", dfs_bad);
	CQ_CHECK(dfs_maxpage == 3);
	h3_done(&j);
}

static void
test_skip_failed(void)
{
	H3Job		j;
	char	   *store;
	const char **vals = numbers(10, &store);
	CqKeyValues kv = {"account", CQ_OP_EQ, 10, vals};

	h3_mock("/_mock/reset");
	h3_params(&j, acct_table("n=12&per_page=5&shape=small&fail_accounts=3,7"));
	j.p.nkeys = 1;
	j.p.keys = &kv;
	j.p.settings.max_retries = 1;
	j.p.settings.skip_failed_units = true;
	CQ_CHECK(h3_run(&j) == CQ_JOB_DONE);
	CQ_CHECK(j.rows == 8 * 12);
	CQ_CHECK(j.nfailed == 2 && j.st.units_failed == 2);
	CQ_CHECKF(strncmp(j.first_failed.unit, "account=", 8) == 0, "%s", j.first_failed.unit);
	CQ_CHECK(j.first_failed.kind == CQ_ERR_HTTP && j.first_failed.http_status == 500);
	h3_done(&j);

	/* default: the first failure fails the job, naming the unit */
	h3_params(&j, acct_table("n=12&per_page=5&shape=small&fail_accounts=3,7"));
	j.p.nkeys = 1;
	j.p.keys = &kv;
	j.p.settings.max_retries = 0;
	CQ_CHECK(h3_run(&j) == CQ_JOB_FAILED);
	CQ_CHECK(j.err.kind == CQ_ERR_HTTP);
	CQ_CHECKF(strcmp(j.err.unit, "account=3") == 0 || strcmp(j.err.unit, "account=7") == 0,
			  "unit %s", j.err.unit);
	h3_done(&j);
	free(vals);
	free(store);
}

#define INVALID_TABLE \
"{\"name\":\"t\",\"endpoint\":\"/gen/invalid/x?n=20&style=link\",\"rows\":\"\",\"pagination\":\"link_header\"," \
"\"columns\":[{\"name\":\"id\",\"type\":\"int\"},{\"name\":\"ipv4\",\"type\":\"inet\"}]}"

static void
test_values(void)
{
	H3Job		j;

	h3_mock("/_mock/reset");
	h3_params(&j, h3_table(INVALID_TABLE));
	CQ_CHECKF(h3_run(&j) == CQ_JOB_DONE, "%s: %s", j.err.message, j.err.api_message);
	CQ_CHECK(j.rows == 20);
	CQ_CHECKF(j.warn[1].count == 2, "count %lu", (unsigned long) j.warn[1].count);
	CQ_CHECKF(strstr(j.warn[1].example, "999.1.1.1") != NULL, "example %s", j.warn[1].example);
	CQ_CHECK_STR(j.warn[1].path, "/ipv4");
	CQ_CHECK(j.warn[0].count == 0);
	h3_done(&j);

	h3_params(&j, h3_table(INVALID_TABLE));
	j.p.settings.strict = true;
	CQ_CHECK(h3_run(&j) == CQ_JOB_FAILED);
	CQ_CHECK(j.err.kind == CQ_ERR_VALUE);
	CQ_CHECK_STR(j.err.column, "ipv4");
	CQ_CHECK_STR(j.err.path, "/ipv4");
	CQ_CHECK(strstr(j.err.api_message, "999.1.1.1") != NULL);
	h3_done(&j);
}

static void
bench_rich(int workers)
{
	H3Job		j;

	h3_params(&j, h3_table("{\"name\":\"t\",\"endpoint\":\"/gen/link/rich?n=100000&per_page=100\","
						   "\"rows\":\"\",\"pagination\":\"link_header\","
						   "\"columns\":[{\"name\":\"id\",\"type\":\"int\"},{\"name\":\"uuid\",\"type\":\"uuid\"},"
						   "{\"name\":\"name\",\"type\":\"string\"},{\"name\":\"created_at\",\"type\":\"timestamp\"},"
						   "{\"name\":\"price\",\"type\":\"numeric\"},{\"name\":\"score\",\"type\":\"float\"},"
						   "{\"name\":\"ipv4\",\"type\":\"inet\"},{\"name\":\"mac\",\"type\":\"macaddr\"},"
						   "{\"name\":\"tags\",\"type\":\"string[]\"},{\"name\":\"meta\",\"type\":\"json\"},"
						   "{\"name\":\"active\",\"type\":\"bool\"},{\"name\":\"big_id\",\"type\":\"uint\"}]}"));
	j.p.settings.workers = workers;
	CQ_CHECK(h3_run(&j) == CQ_JOB_DONE);
	CQ_CHECK(j.rows == 100000);
	printf("  100,000 rich items, 100/page, Link: %d worker(s): %.0f ms, %.0f rows/s, peak %zu bytes\n",
		   workers, j.elapsed_ms, j.rows / (j.elapsed_ms / 1000.0), j.st.peak_bytes);
	h3_done(&j);
}

#define RICH_COLUMNS \
"\"columns\":[{\"name\":\"id\",\"type\":\"int\"},{\"name\":\"uuid\",\"type\":\"uuid\"}," \
"{\"name\":\"name\",\"type\":\"string\"},{\"name\":\"created_at\",\"type\":\"timestamp\"}," \
"{\"name\":\"price\",\"type\":\"numeric\"},{\"name\":\"score\",\"type\":\"float\"}," \
"{\"name\":\"ipv4\",\"type\":\"inet\"},{\"name\":\"mac\",\"type\":\"macaddr\"}," \
"{\"name\":\"tags\",\"type\":\"string[]\"},{\"name\":\"meta\",\"type\":\"json\"}," \
"{\"name\":\"active\",\"type\":\"bool\"},{\"name\":\"big_id\",\"type\":\"uint\"}]"

static double
cpu_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/*
 * Engine throughput without HTTP: NPAGES distinct rich pages (100 items,
 * ~87 KB each) fetched once from the mock, fed `reps` times each to an
 * offline job (cqp_job_feed) with `workers` parse threads, at most
 * 2 * workers pages pending, batches consumed and freed as they arrive (as
 * the FDW does).  Returns rows/s (wall); prints wall and CPU figures.
 */
#define BENCH_NPAGES 20
static double
bench_offline(int workers, int reps, bool print)
{
	static char *bodies[BENCH_NPAGES];
	static size_t lens[BENCH_NPAGES];
	CqTableDef *t = h3_table("{\"name\":\"t\",\"endpoint\":\"/offline\",\"rows\":\"\","
							 "\"pagination\":\"none\"," RICH_COLUMNS "}");
	int			cols[64];
	CqJobParams p;
	CqError		err;
	CqJob	   *job;
	long		rows = 0,
				sum = 0,
				expect_sum = 0;
	int			fed = 0,
				total;
	double		t0,
				c0,
				wall,
				cpu;
	CqJobState	st;

	if (!t)
		return 0;
	for (int i = 0; i < BENCH_NPAGES; i++)
	{
		if (!bodies[i])
		{
			char		q[256];

			snprintf(q, sizeof(q), "/gen/link/benchpages?n=%d&per_page=100&page=%d",
					 BENCH_NPAGES * 100, i + 1);
			bodies[i] = cqt_mock_get(q);
			lens[i] = strlen(bodies[i]);
		}
		/* ids of page i: 100 i + 1 .. 100 i + 100 */
		expect_sum += (long) (100 * i) * 100 + 5050;
	}
	expect_sum *= reps;
	total = BENCH_NPAGES * reps;
	memset(&p, 0, sizeof(p));
	for (int i = 0; i < t->ncolumns; i++)
		cols[i] = i;
	p.table = t;
	p.base_url = "http://offline.invalid";
	p.nout = t->ncolumns;
	p.out_cols = cols;
	p.limit = -1;
	cq_job_settings_default(&p.settings);
	p.settings.workers = workers;
	memset(&err, 0, sizeof(err));
	t0 = h3_now();
	c0 = cpu_ms();
	job = cqp_job_start_offline(&p, &err);
	CQ_CHECKF(job != NULL, "%s", err.message);
	if (!job)
	{
		cq_table_def_free(t);
		return 0;
	}
	for (;;)
	{
		CqBatch    *b;

		while (fed < total)
		{
			int			n = cqp_job_feed(job, bodies[fed % BENCH_NPAGES],
										 lens[fed % BENCH_NPAGES]);

			fed++;
			if (fed == total)
				cqp_job_feed_end(job);
			if (n < 0 || n >= 2 * workers)
				break;
		}
		st = cq_job_next(job, &b);
		if (st == CQ_JOB_BATCH)
		{
			for (int r = 0; r < b->nrows; r++)
				sum += b->values[r * b->ncols].u.i;
			rows += b->nrows;
			cq_batch_free(b);
			continue;
		}
		if (st == CQ_JOB_PENDING)
		{
			struct pollfd pfd = {cq_job_fd(job), POLLIN, 0};

			poll(&pfd, 1, fed < total ? 1 : 100);
			continue;
		}
		break;
	}
	wall = h3_now() - t0;
	cpu = cpu_ms() - c0;
	CQ_CHECKF(st == CQ_JOB_DONE, "%s", cq_job_error(job)->message);
	CQ_CHECKF(rows == (long) total * 100, "rows %ld", rows);
	CQ_CHECKF(sum == expect_sum, "id sum %ld, expected %ld", sum, expect_sum);
	if (print)
		printf("  offline engine, %ld rich rows (12 columns, %zu-byte pages), %d worker(s): "
			   "%.0f ms wall, %.0f rows/s; %.0f ms CPU, %.0f rows per CPU-second\n",
			   rows, lens[0], workers, wall, rows / (wall / 1000.0), cpu,
			   rows / (cpu / 1000.0));
	cq_job_free(job);
	cq_table_def_free(t);
	return rows / (wall / 1000.0);
}

/* Overwrite a heap string with garbage, then free it. */
static void
scribble_free(char *s)
{
	if (s)
	{
		memset(s, 'X', strlen(s));
		free(s);
	}
}

/*
 * cq_job_start deep-copies its params: every string and array the caller
 * passed is scribbled over and freed right after the start, while the job
 * still has 15 pages at 20 ms to fetch (the I/O thread reads the policy,
 * base URL and user agent for each; units were built from the key values).
 * Valgrind (make valgrind TESTS=sched) reports any read of the freed copies.
 */
static void
test_params_freed(void)
{
	CqTableDef *t = acct_table("n=9&per_page=3&latency_ms=20&shape=small");
	CqJobParams p;
	CqError		err;
	CqJob	   *job;
	CqJobState	st;
	long		rows = 0;
	char	   *vals_store[5];
	const char **vals = calloc(5, sizeof(char *));
	CqKeyValues *kv = calloc(1, sizeof(CqKeyValues));
	int		   *cols = calloc(3, sizeof(int));
	char	   *base = strdup(cqt_mock_url());
	char	   *allowed = strdup("127.0.0.1, localhost");
	char	   *denied = strdup("169.254.0.0/16, 10.0.0.0/8");
	char	   *ua = strdup("h12-test/1.0");
	char	   *kcol = strdup("account");
	const char **onames = calloc(1, sizeof(char *));
	const char **ovals = calloc(1, sizeof(char *));

	if (!t)
		return;
	h3_mock("/_mock/reset");
	for (int i = 0; i < 5; i++)
	{
		vals_store[i] = malloc(8);
		snprintf(vals_store[i], 8, "%d", i + 1);
		vals[i] = vals_store[i];
	}
	onames[0] = strdup("accounts");
	ovals[0] = strdup("7,8,9");
	kv->column = kcol;
	kv->op = CQ_OP_EQ;
	kv->nvalues = 5;
	kv->values = vals;
	for (int i = 0; i < 3; i++)
		cols[i] = i;
	memset(&p, 0, sizeof(p));
	p.table = t;
	p.base_url = base;
	p.policy.allowed_hosts = allowed;
	p.policy.denied_addrs = denied;
	p.nout = 3;
	p.out_cols = cols;
	p.nkeys = 1;
	p.keys = kv;
	p.nserver_opts = 1;
	p.server_opt_names = onames;
	p.server_opt_values = ovals;
	p.limit = -1;
	cq_job_settings_default(&p.settings);
	p.settings.user_agent = ua;
	p.settings.concurrency = 2;
	memset(&err, 0, sizeof(err));
	job = cq_job_start(&p, &err);
	CQ_CHECKF(job != NULL, "%s", err.message);

	/* the caller's memory goes away at once */
	scribble_free(base);
	scribble_free(allowed);
	scribble_free(denied);
	scribble_free(ua);
	scribble_free(kcol);
	for (int i = 0; i < 5; i++)
		scribble_free(vals_store[i]);
	scribble_free((char *) onames[0]);
	scribble_free((char *) ovals[0]);
	memset(vals, 0, 5 * sizeof(char *));
	memset(cols, 0xff, 3 * sizeof(int));
	free(vals);
	free(kv);
	free(cols);
	free(onames);
	free(ovals);
	memset(&p, 0xff, sizeof(p));
	if (!job)
	{
		cq_table_def_free(t);
		return;
	}
	for (;;)
	{
		CqBatch    *b;

		st = cq_job_next(job, &b);
		if (st == CQ_JOB_BATCH)
		{
			for (int r = 0; r < b->nrows; r++)
				CQ_CHECK(b->values[r * b->ncols + 1].u.i >= 1 && b->values[r * b->ncols + 1].u.i <= 5);
			rows += b->nrows;
			cq_batch_free(b);
			continue;
		}
		if (st == CQ_JOB_PENDING)
		{
			struct pollfd pfd = {cq_job_fd(job), POLLIN, 0};

			poll(&pfd, 1, 1000);
			continue;
		}
		break;
	}
	CQ_CHECKF(st == CQ_JOB_DONE, "%s", cq_job_error(job)->message);
	CQ_CHECKF(rows == 5 * 9, "rows %ld", rows);
	cq_job_free(job);
	cq_table_def_free(t);
	{
		/* the user agent came from the freed copy */
		char	   *b = cqt_mock_get("/_mock/requests?route=/accounts/&limit=1");

		CQ_CHECK(strstr(b, "/accounts/") != NULL);
		free(b);
	}
}

/* ---- fast extraction == full parse ---- */

static json_t *
identity_row(const CqTableDef *t, json_t *row)
{
	(void) t;
	return json_incref(row);
}

static const CqPluginDescriptor identity_plugin = {
	CQ_SDK_ABI_VERSION, "identity", "1", "", "{}", identity_row
};

/*
 * Feed `body` to an offline job over table `tjson` and render every value
 * with cq_value_format into a malloc'd text ("a|b|c\n" per row).  With
 * `full`, a plugin transform_row (identity) forces the full jansson path.
 * Returns the final state; *err gets the job error.
 */
static CqJobState
render_page(const char *tjson, const char *body, bool full, char **out,
			CqError *err)
{
	CqTableDef *t = h3_table(tjson);
	int			cols[64];
	CqJobParams p;
	CqJob	   *job;
	CqJobState	st;
	size_t		cap = 4096,
				len = 0;
	char	   *txt = malloc(cap);

	txt[0] = '\0';
	*out = txt;
	memset(err, 0, sizeof(*err));
	if (!t)
		return CQ_JOB_FAILED;
	memset(&p, 0, sizeof(p));
	for (int i = 0; i < t->ncolumns; i++)
		cols[i] = i;
	p.table = t;
	p.base_url = "http://offline.invalid";
	p.nout = t->ncolumns;
	p.out_cols = cols;
	p.limit = -1;
	p.plugin = full ? &identity_plugin : NULL;
	cq_job_settings_default(&p.settings);
	p.settings.workers = 1;
	p.settings.batch_rows = 3;	/* several batches per page */
	job = cqp_job_start_offline(&p, err);
	if (!job)
	{
		cq_table_def_free(t);
		return CQ_JOB_FAILED;
	}
	cqp_job_feed(job, body, strlen(body));
	cqp_job_feed_end(job);
	for (;;)
	{
		CqBatch    *b;

		st = cq_job_next(job, &b);
		if (st == CQ_JOB_BATCH)
		{
			for (int r = 0; r < b->nrows; r++)
				for (int c = 0; c < b->ncols; c++)
				{
					char		v[2048];
					CqValue    *cv = &b->values[r * b->ncols + c];

					if (cv->isnull)
						snprintf(v, sizeof(v), "<null>");
					else
						cq_value_format(cv, v, sizeof(v));
					while (len + strlen(v) + 3 > cap)
						txt = realloc(txt, cap *= 2);
					len += (size_t) sprintf(txt + len, "%s%c", v, c + 1 < b->ncols ? '|' : '\n');
				}
			cq_batch_free(b);
			continue;
		}
		if (st == CQ_JOB_PENDING)
		{
			struct pollfd pfd = {cq_job_fd(job), POLLIN, 0};

			poll(&pfd, 1, 100);
			continue;
		}
		break;
	}
	*out = txt;
	if (st == CQ_JOB_FAILED)
		*err = *cq_job_error(job);
	cq_job_free(job);
	cq_table_def_free(t);
	return st;
}

static void
check_same(const char *what, const char *tjson, const char *body, bool ok)
{
	char	   *a,
			   *b;
	CqError		ea,
				eb;
	CqJobState	sa = render_page(tjson, body, false, &a, &ea);
	CqJobState	sb = render_page(tjson, body, true, &b, &eb);

	CQ_CHECKF(sa == sb && sa == (ok ? CQ_JOB_DONE : CQ_JOB_FAILED),
			  "%s: fast %d (%s) full %d (%s)", what, sa, ea.message, sb, eb.message);
	CQ_CHECKF(strcmp(a, b) == 0, "%s:\n fast: %s\n full: %s", what, a, b);
	if (!ok)
		CQ_CHECKF(ea.kind == eb.kind && strcmp(ea.setting, eb.setting) == 0,
				  "%s: kinds %d/%d", what, ea.kind, eb.kind);
	free(a);
	free(b);
}

#define EQ_TABLE(rows, cols) \
	"{\"name\":\"t\",\"endpoint\":\"/x\",\"rows\":\"" rows "\",\"pagination\":\"none\"," \
	"\"columns\":[" cols "]}"

static void
test_fast_equivalence(void)
{
	char	   *rich = cqt_mock_get("/gen/link/eq?n=40&per_page=40");
	char	   *wrapped;
	const char *richcols =
	"{\"name\":\"id\",\"type\":\"int\"},{\"name\":\"uuid\",\"type\":\"uuid\"},"
	"{\"name\":\"name\",\"type\":\"string\"},{\"name\":\"created_at\",\"type\":\"timestamp\"},"
	"{\"name\":\"updated_ms\",\"type\":\"timestamp\"},{\"name\":\"price\",\"type\":\"numeric\"},"
	"{\"name\":\"score\",\"type\":\"float\"},{\"name\":\"ipv6\",\"type\":\"inet\"},"
	"{\"name\":\"cidr\",\"type\":\"cidr\"},{\"name\":\"mac\",\"type\":\"macaddr\"},"
	"{\"name\":\"tags\",\"type\":\"string[]\"},{\"name\":\"meta\",\"type\":\"json\"},"
	"{\"name\":\"region\",\"type\":\"string\",\"path\":\"/meta/region\"},"
	"{\"name\":\"lvl\",\"type\":\"int\",\"path\":\"/meta/nested/level2/value\"},"
	"{\"name\":\"app\",\"type\":\"string\",\"path\":\"/meta/labels/app.kubernetes.io~1name\"},"
	"{\"name\":\"ips\",\"type\":\"inet[]\",\"path\":\"/networks/*/ip\"},"
	"{\"name\":\"nets\",\"type\":\"json\",\"path\":\"/networks\"},"
	"{\"name\":\"nic_mac\",\"type\":\"macaddr\",\"path\":\"/nic/mac\"},"
	"{\"name\":\"nullable\",\"type\":\"string\"},{\"name\":\"active\",\"type\":\"bool\"},"
	"{\"name\":\"big_id\",\"type\":\"uint\"},{\"name\":\"duration\",\"type\":\"interval\"},"
	"{\"name\":\"blob\",\"type\":\"bytes\"},{\"name\":\"description\",\"type\":\"string\"},"
	"{\"name\":\"missing\",\"type\":\"string\"},{\"name\":\"whole\",\"type\":\"json\",\"path\":\"/nic\"}";
	char		tj[4096];

	snprintf(tj, sizeof(tj), EQ_TABLE("", "%s"), richcols);
	check_same("rich page", tj, rich, true);
	wrapped = malloc(strlen(rich) + 64);
	sprintf(wrapped, "{\"total\":40,\"items\":%s,\"next\":null}", rich);
	snprintf(tj, sizeof(tj), EQ_TABLE("/items", "%s"), richcols);
	check_same("rich page under /items", tj, wrapped, true);
	free(wrapped);
	free(rich);

#define C2 "{\"name\":\"id\",\"type\":\"int\"},{\"name\":\"name\",\"type\":\"string\"}," \
	"{\"name\":\"v\",\"type\":\"json\"},{\"name\":\"f\",\"type\":\"float\"}"
	/* escapes in keys and values, surrogate pairs, duplicates, odd rows */
	check_same("escapes", EQ_TABLE("/items", C2),
			   "{\"items\":[{\"id\":1,\"na\\u006de\":\"a\\\"b\\\\c\\/d\\b\\f\\n\\r\\t\\u00e9\\ud83d\\ude00\"},"
			   "{\"id\":2,\"name\":\"x\",\"name\":\"last wins\",\"v\":{\"a\":[1,2.5,-0,1e3,true,null]}},"
			   "null,\"a string row\",42,[1,2],{},"
			   "{\"id\":-9223372036854775808,\"f\":-0.0,\"v\":\"\\u4e2d\"},"
			   "{\"id\":3,\"f\":1.5e-320,\"v\":[]}, {\"id\":4 , \"f\" : 12 }]}", true);
	check_same("duplicate rows key", EQ_TABLE("/items", C2),
			   "{\"items\":[{\"id\":1}],\"items\":[{\"id\":2},{\"id\":3}]}", true);
	check_same("duplicate rows key, last not an array", EQ_TABLE("/items", C2),
			   "{\"items\":[{\"id\":1}],\"items\":{\"id\":7}}", true);
	check_same("rows missing", EQ_TABLE("/data/items", C2), "{\"data\":{\"x\":[{\"id\":1}]}}", true);
	check_same("rows nested", EQ_TABLE("/data/items", C2),
			   "{\"data\":{\"items\":[{\"id\":1,\"name\":\"n\"}]}}", true);
	check_same("rows through an array", EQ_TABLE("/data/0", C2),
			   "{\"data\":[{\"id\":1,\"name\":\"n\"}]}", true);
	check_same("big integers", EQ_TABLE("", C2),
			   "[{\"id\":18446744073709551616,\"v\":99999999999999999999999}]", true);
	/* one number beyond a double's range fails neither the page nor the row */
	check_same("real overflow", EQ_TABLE("", C2), "[{\"id\":1,\"f\":1e400}]", true);
	/* \u0000 in a string value is accepted (the type system strips it);
	 * in a member name jansson refuses it: invalid JSON */
	check_same("NUL escape", EQ_TABLE("", C2), "[{\"id\":1,\"name\":\"a\\u0000b\"}]", true);
	check_same("NUL escape in a key", EQ_TABLE("", C2), "[{\"id\":1,\"na\\u0000me\":\"ab\"}]", false);
	check_same("lone surrogate", EQ_TABLE("", C2), "[{\"id\":1,\"name\":\"\\udc00\"}]", false);
	check_same("bad UTF-8", EQ_TABLE("", C2), "[{\"id\":1,\"name\":\"\xc3\x28\"}]", false);
	check_same("overlong UTF-8", EQ_TABLE("", C2), "[{\"id\":1,\"name\":\"\xc0\xaf\"}]", false);
	check_same("raw control char", EQ_TABLE("", C2), "[{\"id\":1,\"name\":\"a\tb\"}]", false);
	check_same("truncated", EQ_TABLE("", C2), "[{\"id\":1,\"name\":\"ab\"}", false);
	check_same("trailing garbage", EQ_TABLE("", C2), "[{\"id\":1}] x", false);
	check_same("leading zero", EQ_TABLE("", C2), "[{\"id\":01}]", false);
	check_same("bare scalar body", EQ_TABLE("", C2), "42", false);
	check_same("empty", EQ_TABLE("/items", C2), "{\"items\":[]}", true);
	check_same("value errors", EQ_TABLE("", "{\"name\":\"id\",\"type\":\"int\"},{\"name\":\"ip\",\"type\":\"inet\"}"),
			   "[{\"id\":\"x\",\"ip\":\"999.1.1.1\"},{\"id\":2,\"ip\":\"10.0.0.1\"}]", true);
}

/*
 * Numbers a double cannot hold, bytea in both forms and wildcard paths over
 * arrays with missing members: the same values through the fast path and
 * the full parser (a page with an integer beyond int64 takes the latter).
 */
#define NUM_COLS \
	"{\"name\":\"id\",\"type\":\"int\"},{\"name\":\"dec\",\"type\":\"numeric\"}," \
	"{\"name\":\"tiny\",\"type\":\"numeric\"},{\"name\":\"huge\",\"type\":\"float\"}," \
	"{\"name\":\"i\",\"type\":\"int\"},{\"name\":\"nd\",\"type\":\"numeric\",\"path\":\"/nested/dec\"}," \
	"{\"name\":\"nh\",\"type\":\"float\",\"path\":\"/nested/huge\"}," \
	"{\"name\":\"nds\",\"type\":\"numeric[]\",\"path\":\"/nested/*\"}," \
	"{\"name\":\"blob\",\"type\":\"bytes\"}," \
	"{\"name\":\"ips\",\"type\":\"inet[]\",\"path\":\"/networks/*/ip\"}," \
	"{\"name\":\"ipj\",\"type\":\"json\",\"path\":\"/networks/*/ip\"}"
#define NUM_ROWS \
	"{\"id\":1,\"dec\":123456789012345678901234567890.12345678901234567890,\"tiny\":1e-400," \
	"\"huge\":1e400,\"i\":7,\"nested\":{\"dec\":0.1000000000000000000000000001,\"huge\":-1E+400}," \
	"\"blob\":\"\\\\x48656c6c6f\",\"networks\":[{\"ip\":\"10.0.0.1\"},{\"name\":\"no ip\"},{\"ip\":\"10.0.0.3\"}]}," \
	"{\"id\":2,\"dec\":19.90,\"tiny\":0,\"huge\":2.5,\"i\":1e400,\"nested\":{\"dec\":1,\"huge\":3}," \
	"\"blob\":\"SGVsbG8=\",\"networks\":[]}," \
	"{\"id\":3,\"dec\":-1e-51,\"tiny\":1E-400,\"i\":-1e400,\"nested\":null," \
	"\"blob\":\"\\\\x 00 ff\",\"networks\":[null,{\"ip\":null},{}]}," \
	"{\"id\":4,\"dec\":1e400,\"tiny\":12345678901234567890.5,\"huge\":-1e400,\"i\":3," \
	"\"nested\":{\"dec\":2.000000000000000000001},\"blob\":\"\\\\xzz\",\"networks\":{}}"

static void
test_numbers(void)
{
	const char *want =
		"1|123456789012345678901234567890.12345678901234567890|1e-400|<null>|7|"
		"0.1000000000000000000000000001|<null>|{0.1000000000000000000000000001,-1e+400}|"
		"\\x48656c6c6f|{10.0.0.1,NULL,10.0.0.3}|[\"10.0.0.1\",null,\"10.0.0.3\"]\n"
		"2|19.90|0|2.5|<null>|1|3|{1,3}|\\x48656c6c6f|{}|[]\n"
		"3|-1e-51|1e-400|<null>|<null>|<null>|<null>|{}|\\x00ff|{NULL,NULL,NULL}|[null,null,null]\n"
		"4|1e400|12345678901234567890.5|<null>|3|2.000000000000000000001|<null>|"
		"{2.000000000000000000001}|<null>|{}|[]\n";
	const char *bodies[2] = {
		"{\"items\":[" NUM_ROWS "]}",
		"{\"items\":[" NUM_ROWS "],\"big\":123456789012345678901234567890}"
	};

	/* digits beyond a double's precision, nothing out of range */
	for (int full = 0; full < 2; full++)
	{
		char	   *txt;
		CqError		err;
		CqJobState	st = render_page(EQ_TABLE("", "{\"name\":\"d\",\"type\":\"numeric\"},"
												  "{\"name\":\"p\",\"type\":\"numeric\",\"path\":\"/o/p\"}"),
									 "[{\"d\":3.14159265358979323846264338327950288,\"o\":{\"p\":1e-400}},"
									 "{\"d\":19.90,\"o\":{\"p\":0.1}}]", full, &txt, &err);

		CQ_CHECKF(st == CQ_JOB_DONE, "full %d: %s", full, err.message);
		CQ_CHECK_STR(txt, "3.14159265358979323846264338327950288|1e-400\n19.90|0.1\n");
		free(txt);
	}
	for (int slow = 0; slow < 2; slow++)
		for (int full = 0; full < 2; full++)
		{
			char	   *txt;
			CqError		err;
			CqJobState	st = render_page(EQ_TABLE("/items", NUM_COLS), bodies[slow],
										 full, &txt, &err);

			CQ_CHECKF(st == CQ_JOB_DONE, "slow %d full %d: %s", slow, full, err.message);
			CQ_CHECKF(strcmp(txt, want) == 0, "slow %d full %d:\n got: %s\nwant: %s",
					  slow, full, txt, want);
			free(txt);
		}
}

void
suite_sched(void)
{
	if (!h3_mock_up())
		return;
	test_fanout(200, 20, 10, 20, true);
	test_fanout(20, 5, 5, 0, false);
	test_server_option_fanout();
	test_cancel_stall();
	test_budget();
	test_parent_dfs();
	test_skip_failed();
	test_values();
	test_params_freed();
	test_fast_equivalence();
	test_numbers();
	bench_offline(2, 2, false);	/* the offline path, checked (small) */
	if (getenv("H3_BENCH"))
	{
		bench_offline(1, 50, true);
		bench_offline(2, 50, true);
		test_fanout(200, 500, 50, 50, true);
		bench_rich(1);
		bench_rich(2);
	}
}
