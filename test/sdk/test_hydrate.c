/*
 * test_hydrate.c -- suite `hydrate`: detail calls on demand (spec
 * "hydrate", column "from"; src/sdk/job_hydrate.c and the loader's checks
 * in spec_table.c).  Against the mock's /hyd/ routes (a GitHub-like
 * repository list whose rows each have /repos/{owner}/{repo} details and a
 * branch protection): no detail request unless a detail column is
 * produced, exactly one per row when it is, requests overlapping up to the
 * job's concurrency (counted by the mock, never timed), a failed detail
 * call skipping its row (skip_failed_units) or failing the job, and
 * null_status statuses read as NULL.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cq_sdk.h"
#include "cqtest.h"
#include "jobtest.h"

void		suite_hydrate(void);

/* The repository table over /hyd/<cfg>/...; detail columns last. */
#define REPO_TABLE \
"{\"name\":\"repos\",\"endpoint\":\"/hyd/%s/orgs/{org}/repos\",\"pagination\":\"link_header\"," \
"\"keys\":[{\"column\":\"org\",\"required\":true}]," \
"\"hydrate\":[{\"name\":\"details\",\"endpoint\":\"/hyd/%s/repos/{owner}/{name}\"%s}," \
"{\"name\":\"protection\",\"endpoint\":\"/hyd/%s/repos/{owner}/{name}/branches/{default_branch}/protection\"," \
"\"null_status\":[404]}]," \
"\"columns\":[{\"name\":\"id\",\"type\":\"int\"},{\"name\":\"org\",\"type\":\"string\"}," \
"{\"name\":\"owner\",\"type\":\"string\",\"path\":\"/owner/login\"}," \
"{\"name\":\"name\",\"type\":\"string\"},{\"name\":\"default_branch\",\"type\":\"string\"}," \
"{\"name\":\"subscribers_count\",\"type\":\"int\",\"from\":\"details\"}," \
"{\"name\":\"secret_scanning\",\"type\":\"string\",\"from\":\"details\"," \
"\"path\":\"/security_and_analysis/secret_scanning/status\"}," \
"{\"name\":\"required_reviews\",\"type\":\"int\",\"from\":\"protection\"," \
"\"path\":\"/required_pull_request_reviews/required_approving_review_count\"}]}"

#define COL_ID 0
#define COL_SUBS 5
#define COL_SCAN 6
#define COL_REVIEWS 7

static CqTableDef *
repo_table(const char *cfg, const char *details_extra)
{
	char		buf[4096];

	snprintf(buf, sizeof(buf), REPO_TABLE, cfg, cfg, details_extra, cfg);
	return h3_table(buf);
}

typedef struct Sums
{
	long		nonnull[8];
	long		sum[8];
} Sums;

static void
sum_batch(H3Job *j, CqBatch *b)
{
	Sums	   *s = j->ud;

	for (int r = 0; r < b->nrows; r++)
		for (int c = 0; c < b->ncols && c < 8; c++)
		{
			CqValue    *v = &b->values[r * b->ncols + c];

			if (v->isnull)
				continue;
			s->nonnull[c]++;
			if (v->type == CQ_T_INT)
				s->sum[c] += (long) v->u.i;
		}
}

/* Run with output columns `cols` (indexes in the table) over org "acme". */
static CqJobState
run(H3Job *j, CqTableDef *t, const int *cols, int ncols, int conc, bool skip,
	Sums *s)
{
	static const char *org[] = {"acme"};
	static CqKeyValues kv;

	h3_params(j, t);
	for (int i = 0; i < ncols; i++)
		j->cols[i] = cols[i];
	j->p.nout = ncols;
	kv.column = "org";
	kv.op = CQ_OP_EQ;
	kv.nvalues = 1;
	kv.values = org;
	j->p.nkeys = 1;
	j->p.keys = &kv;
	j->p.settings.concurrency = conc;
	j->p.settings.skip_failed_units = skip;
	j->p.settings.max_retries = 0;
	memset(s, 0, sizeof(*s));
	j->ud = s;
	j->on_batch = sum_batch;
	return h3_run(j);
}

static void
test_spec_errors(void)
{
	static const struct
	{
		const char *json;
		const char *msg;
	}			cases[] = {
		{"{\"name\":\"t\",\"endpoint\":\"/x\",\"hydrate\":[{\"name\":\"d\",\"endpoint\":\"/x/{id}\"}],"
			"\"columns\":[{\"name\":\"id\",\"type\":\"int\"},{\"name\":\"a\",\"type\":\"int\",\"from\":\"dd\"}]}",
		"columns[1].from: \"dd\" is not a detail call of the table (declare it in the table's \"hydrate\")"},
		{"{\"name\":\"t\",\"endpoint\":\"/x\",\"hydrate\":[{\"name\":\"d\",\"endpoint\":\"/x/{nope}\"}],"
			"\"columns\":[{\"name\":\"id\",\"type\":\"int\"},{\"name\":\"a\",\"type\":\"int\",\"from\":\"d\"}]}",
		"hydrate[0].endpoint: placeholder {nope} is not a column of the table (a detail call is filled from the row's columns)"},
		{"{\"name\":\"t\",\"endpoint\":\"/x\",\"hydrate\":[{\"name\":\"d\",\"endpoint\":\"/x/{a}\"}],"
			"\"columns\":[{\"name\":\"id\",\"type\":\"int\"},{\"name\":\"a\",\"type\":\"int\",\"from\":\"d\"}]}",
		"hydrate[0].endpoint: placeholder {a} is a column from the detail call \"d\", not from the row"},
		{"{\"name\":\"t\",\"endpoint\":\"/x\",\"hydrate\":[{\"name\":\"d\",\"endpoint\":\"/x/{id}\"}],"
			"\"columns\":[{\"name\":\"id\",\"type\":\"int\"}]}",
		"hydrate[0].name: no column reads detail call \"d\" (give columns \"from\": \"d\")"},
		{"{\"name\":\"t\",\"endpoint\":\"/x\",\"hydrate\":[{\"name\":\"d\",\"endpoint\":\"/x\"}],"
			"\"columns\":[{\"name\":\"id\",\"type\":\"int\"},{\"name\":\"a\",\"type\":\"int\",\"from\":\"d\"}]}",
		"hydrate[0].endpoint: has no {column} placeholder: every row would get the same detail"},
		{"{\"name\":\"t\",\"endpoint\":\"/x\",\"hydrate\":[{\"name\":\"d\",\"endpoint\":\"/x/{id}\",\"null_status\":[200]}],"
			"\"columns\":[{\"name\":\"id\",\"type\":\"int\"},{\"name\":\"a\",\"type\":\"int\",\"from\":\"d\"}]}",
		"hydrate[0].null_status: element 0 is not an HTTP error status (400..599)"},
		{"{\"name\":\"t\",\"endpoint\":\"/x\",\"hydrate\":[{\"name\":\"d\",\"endpoint\":\"/x/{id}\",\"row\":\"\"}],"
			"\"columns\":[{\"name\":\"id\",\"type\":\"int\"},{\"name\":\"a\",\"type\":\"int\",\"from\":\"d\"}]}",
		"hydrate[0].row: unknown key (did you mean \"rows\"?)"},
		{"{\"name\":\"t\",\"endpoint\":\"/x/{a}\",\"keys\":[{\"column\":\"a\"}],\"hydrate\":[{\"name\":\"d\",\"endpoint\":\"/x/{id}\"}],"
			"\"columns\":[{\"name\":\"id\",\"type\":\"int\"},{\"name\":\"a\",\"type\":\"int\",\"from\":\"d\"}]}",
		"columns[1].from: key column \"a\" must come from the row, not from a detail call"},
		{"{\"name\":\"t\",\"endpoint\":\"/x\",\"hydrate\":[{\"name\":\"d\",\"endpoint\":\"/x/{id}\"},{\"name\":\"d\",\"endpoint\":\"/y/{id}\"}],"
			"\"columns\":[{\"name\":\"id\",\"type\":\"int\"},{\"name\":\"a\",\"type\":\"int\",\"from\":\"d\"}]}",
		"hydrate[1].name: duplicate detail call \"d\" (also hydrate[0])"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
	{
		CqError		err;
		CqTableDef *t;

		memset(&err, 0, sizeof(err));
		t = cq_spec_parse_table(cases[i].json, strlen(cases[i].json), &err);
		CQ_CHECKF(t == NULL && err.kind == CQ_ERR_CONFIG, "case %zu parsed", i);
		CQ_CHECK_STR(err.message, cases[i].msg);
		cq_table_def_free(t);
	}
	{
		/* a valid one: the loader resolves "from" and the placeholders */
		CqTableDef *t = repo_table("x", "");

		CQ_CHECK(t != NULL);
		if (t)
		{
			CQ_CHECK(t->nhydrate == 2);
			CQ_CHECK(t->columns[COL_SUBS].hydrate == 1);
			CQ_CHECK(t->columns[COL_REVIEWS].hydrate == 2);
			CQ_CHECK(t->columns[COL_ID].hydrate == 0);
			CQ_CHECK(t->hydrate[1].nparams == 3 && t->hydrate[1].param_cols[2] == 4);
			CQ_CHECK(t->hydrate[1].nnull_status == 1 && t->hydrate[1].null_status[0] == 404);
		}
		cq_table_def_free(t);
	}
}

/* No detail column produced: no detail request at all. */
static void
test_not_selected(void)
{
	H3Job		j;
	Sums		s;
	int			cols[] = {COL_ID, 3};
	const char *cfg = "t=ns,n=30";
	CqTableDef *t = repo_table(cfg, "");
	long		nd,
				np;

	CQ_CHECK(run(&j, t, cols, 2, 8, false, &s) == CQ_JOB_DONE);
	CQ_CHECK(j.rows == 30);
	nd = h3_mock_count("/hyd/t=ns,n=30/repos/", NULL);
	np = h3_mock_count("/hyd/t=ns,n=30/orgs/", NULL);
	CQ_CHECKF(nd == 0, "%ld detail requests without a detail column", nd);
	CQ_CHECK(np == 1);
	CQ_CHECK(j.st.detail_requests == 0);
	h3_done(&j);
}

/*
 * A detail column produced: one request per row and needed detail call,
 * overlapping up to the concurrency (40 rows x 50 ms at 8: 5 rounds).
 */
static void
test_one_per_row_concurrent(void)
{
	H3Job		j;
	Sums		s;
	int			cols[] = {COL_ID, COL_SUBS, COL_SCAN};
	CqTableDef *t = repo_table("t=cc,n=40,per=15,delay=50", "");
	long		mc = 0,
				nd,
				nprot;

	CQ_CHECK(run(&j, t, cols, 3, 8, false, &s) == CQ_JOB_DONE);
	CQ_CHECKF(j.rows == 40, "rows %ld", j.rows);
	CQ_CHECK(j.distinct == 40);
	nd = h3_mock_count("/hyd/t=cc,n=40,per=15,delay=50/repos/", &mc);
	nprot = h3_mock_count("/hyd/t=cc,n=40,per=15,delay=50/repos/acme/repo-1/branches", NULL);
	CQ_CHECKF(nd == 40, "%ld detail requests for 40 rows", nd);
	CQ_CHECK(nprot == 0);		/* protection not produced: not called */
	CQ_CHECK(j.st.detail_requests == 40);
	CQ_CHECK(j.st.pages == 3);	/* detail responses are no pages */
	/* 8 in flight at once, never more (the job's concurrency) */
	CQ_CHECKF(mc >= 6 && mc <= 8, "max concurrent detail requests %ld", mc);
	/* values from the details: subscribers_count = 10 * i, i = 1..40 */
	CQ_CHECKF(s.nonnull[1] == 40 && s.sum[1] == 10 * (40 * 41 / 2),
			  "subscribers %ld sum %ld", s.nonnull[1], s.sum[1]);
	CQ_CHECK(s.nonnull[2] == 40);
	h3_done(&j);

	/* concurrency 2: at most 2 overlap */
	t = repo_table("t=c2,n=10,delay=50", "");
	CQ_CHECK(run(&j, t, cols, 3, 2, false, &s) == CQ_JOB_DONE);
	nd = h3_mock_count("/hyd/t=c2,n=10,delay=50/repos/", &mc);
	CQ_CHECK(j.rows == 10 && nd == 10);
	CQ_CHECKF(mc == 2, "max concurrent detail requests %ld at concurrency 2", mc);
	h3_done(&j);
}

/* null_status: an unprotected branch (404) is NULL, not an error. */
static void
test_null_status(void)
{
	H3Job		j;
	Sums		s;
	int			cols[] = {COL_ID, COL_REVIEWS};
	CqTableDef *t = repo_table("t=ps,n=12", "");
	long		nd;

	CQ_CHECK(run(&j, t, cols, 2, 8, false, &s) == CQ_JOB_DONE);
	CQ_CHECK(j.rows == 12);
	nd = h3_mock_count("/hyd/t=ps,n=12/repos/", NULL);
	CQ_CHECKF(nd == 12, "%ld protection requests", nd);
	CQ_CHECKF(s.nonnull[1] == 6 && s.sum[1] == 12, "protected %ld", s.nonnull[1]);
	CQ_CHECK(j.nfailed == 0 && j.st.units_failed == 0);
	h3_done(&j);
}

/* A failed detail call: the row is skipped (skip_failed) or the job fails. */
static void
test_failures(void)
{
	H3Job		j;
	Sums		s;
	int			cols[] = {COL_ID, COL_SUBS};
	CqTableDef *t = repo_table("t=f1,n=10,fail=repo-3+repo-7", "");

	CQ_CHECK(run(&j, t, cols, 2, 4, true, &s) == CQ_JOB_DONE);
	CQ_CHECKF(j.rows == 8, "rows %ld", j.rows);
	CQ_CHECK(j.nfailed == 2 && j.st.units_failed == 2 && j.st.details_failed == 2);
	CQ_CHECK(j.first_failed.http_status == 500);
	CQ_CHECKF(strstr(j.first_failed.unit, "details of ") == j.first_failed.unit &&
			  (strstr(j.first_failed.unit, "name=repo-3") || strstr(j.first_failed.unit, "name=repo-7")),
			  "unit \"%s\"", j.first_failed.unit);
	CQ_CHECK(strstr(j.first_failed.url, "/repos/acme/repo-") != NULL);
	h3_done(&j);

	/* a 404 not in null_status is a failure like any other */
	t = repo_table("t=f2,n=6,gone=repo-2", "");
	CQ_CHECK(run(&j, t, cols, 2, 4, true, &s) == CQ_JOB_DONE);
	CQ_CHECK(j.rows == 5 && j.nfailed == 1 && j.first_failed.http_status == 404);
	h3_done(&j);

	/* ... unless the detail call says 404 means "none" */
	t = repo_table("t=f3,n=6,gone=repo-2", ",\"null_status\":[404,410]");
	CQ_CHECK(run(&j, t, cols, 2, 4, true, &s) == CQ_JOB_DONE);
	CQ_CHECK(j.rows == 6 && j.nfailed == 0 && s.nonnull[1] == 5);
	h3_done(&j);

	/* without skip_failed_units: the job fails, naming the row */
	t = repo_table("t=f4,n=10,fail=repo-4", "");
	CQ_CHECK(run(&j, t, cols, 2, 4, false, &s) == CQ_JOB_FAILED);
	CQ_CHECK(j.err.kind == CQ_ERR_HTTP && j.err.http_status == 500);
	CQ_CHECKF(strstr(j.err.unit, "name=repo-4") != NULL, "unit \"%s\"", j.err.unit);
	h3_done(&j);
}

/*
 * Bench S6 at the SDK level (HYD_BENCH=1, prints, asserts nothing timed):
 * 2,000 listed rows, each with a 50 ms detail call, at concurrency 64;
 * the ideal is the list alone plus ceil(2000 / 64) rounds of 50 ms.
 */
static void
bench_s6(void)
{
	H3Job		j;
	Sums		s;
	int			list_cols[] = {COL_ID, 3};
	int			det_cols[] = {COL_ID, COL_SUBS};
	const char *cfg = getenv("HYD_BENCH_CFG") ? getenv("HYD_BENCH_CFG") : "t=s6,n=2000,delay=50";
	int			conc = getenv("HYD_BENCH_CONC") ? atoi(getenv("HYD_BENCH_CONC")) : 64;
	CqTableDef *t = repo_table(cfg, "");
	double		tl,
				td,
				ideal;
	long		mc = 0;

	CQ_CHECK(run(&j, t, list_cols, 2, conc, false, &s) == CQ_JOB_DONE);
	tl = j.elapsed_ms;
	h3_done(&j);
	t = repo_table(cfg, "");
	h3_mock("/_mock/reset");
	CQ_CHECK(run(&j, t, det_cols, 2, conc, false, &s) == CQ_JOB_DONE);
	td = j.elapsed_ms;
	{
		char		pre[256];

		snprintf(pre, sizeof(pre), "/hyd/%s/repos/", cfg);
		h3_mock_count(pre, &mc);
	}
	ideal = tl + ((double) ((j.rows + conc - 1) / conc)) * 50.0;
	printf("S6 hydrate: %ld rows, list only %.0f ms; with a 50 ms detail call per row at concurrency %d: "
		   "%.0f ms (ideal %.0f ms, ratio %.2f), %llu detail requests, at most %ld in flight\n",
		   j.rows, tl, conc, td, ideal, td / ideal, (unsigned long long) j.st.detail_requests, mc);
	h3_done(&j);
}

void
suite_hydrate(void)
{
	test_spec_errors();
	if (!h3_mock_up())
		return;
	/* the request counts below are per run */
	h3_mock("/_mock/reset");
	test_not_selected();
	test_one_per_row_concurrent();
	test_null_status();
	test_failures();
	if (getenv("HYD_BENCH"))
		bench_s6();
}
