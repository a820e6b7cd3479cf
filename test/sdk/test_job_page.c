/*
 * test_job_page.c -- suite `job_page`: src/sdk/job_page.c, one completed
 * page on a parse worker, through offline jobs (bodies fed with
 * cqp_job_feed, no HTTP): rows cut into batches, the max_array_elems and
 * max_json_depth limits, invalid JSON, an empty body, the body's bytes
 * released once the page is done.  Parent -> child order against the mock
 * is in test_sched.c, next pages in test_pagination.c.
 */
#include <poll.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "cq_sdk_int.h"
#include "job_int.h"
#include "cqtest.h"
#include "jobtest.h"
#include "test_util.h"

void		suite_job_page(void);

typedef struct PageRun
{
	CqJobState	st;
	CqError		err;
	int			rows;
	int			batches;
	int			max_batch_rows;
	size_t		held_after;
} PageRun;

/* Feed `body` (full path when `full`) to an offline job; run it to the end. */
static void
run_page(const char *body, size_t max_elems, int max_depth, bool full, PageRun *r)
{
	CqTableDef *t = h3_table(EQ_TABLE("/items", "{\"name\":\"id\",\"type\":\"int\"}"));
	int			cols[1] = {0};
	CqJobParams p;
	CqJob	   *job;

	memset(r, 0, sizeof(*r));
	r->st = CQ_JOB_FAILED;
	if (!t)
		return;
	memset(&p, 0, sizeof(p));
	cqt_offline_params(&p, t, cols, 1, "http://offline.invalid");
	p.settings.batch_rows = 2;
	if (max_elems)
		p.settings.max_array_elems = max_elems;
	if (max_depth)
		p.settings.max_json_depth = max_depth;
	job = cqp_job_start_offline(&p, &r->err);
	if (!job)
	{
		cq_table_def_free(t);
		return;
	}
	if (full)
	{
		/* no fast plan: the full jansson path */
		cqp_job_fast_plan_free(job->fast);
		job->fast = NULL;
	}
	cqp_job_feed(job, body, strlen(body));
	cqp_job_feed_end(job);
	for (;;)
	{
		CqBatch    *b;

		r->st = cq_job_next(job, &b);
		if (r->st == CQ_JOB_BATCH)
		{
			r->rows += b->nrows;
			r->batches++;
			if (b->nrows > r->max_batch_rows)
				r->max_batch_rows = b->nrows;
			cq_batch_free(b);
			continue;
		}
		if (r->st == CQ_JOB_PENDING)
		{
			struct pollfd pfd = {cq_job_fd(job), POLLIN, 0};

			poll(&pfd, 1, 100);
			continue;
		}
		break;
	}
	if (r->st == CQ_JOB_FAILED)
		r->err = *cq_job_error(job);
	r->held_after = atomic_load(&job->acct->held);
	cq_job_free(job);
	cq_table_def_free(t);
}

static void
test_pages(void)
{
	PageRun		r;

	for (int full = 0; full < 2; full++)
	{
		/* 5 rows (a null element is no row) in batches of at most 2 */
		run_page("{\"items\":[{\"id\":1},{\"id\":2},null,{\"id\":3},{\"id\":4},{\"id\":5}]}", 0, 0, full, &r);
		CQ_CHECKF(r.st == CQ_JOB_DONE && r.rows == 5 && r.batches == 3 && r.max_batch_rows == 2,
				  "full %d: st %d rows %d batches %d", full, r.st, r.rows, r.batches);
		/* the page's body and batches are all released */
		CQ_CHECKF(r.held_after == 0, "full %d: %zu bytes held", full, r.held_after);

		/* more rows than max_array_elems: the job fails naming the setting */
		run_page("{\"items\":[{\"id\":1},{\"id\":2},{\"id\":3},{\"id\":4}]}", 3, 0, full, &r);
		CQ_CHECK(r.st == CQ_JOB_FAILED && r.err.kind == CQ_ERR_LIMIT);
		CQ_CHECK_STR(r.err.setting, "max_array_elems");
		CQ_CHECK_STR(r.err.message, "more than max_array_elems (3) rows in one page");

		/* nested deeper than max_json_depth */
		run_page("{\"items\":[{\"id\":1,\"x\":[[[[1]]]]}]}", 0, 4, full, &r);
		CQ_CHECK(r.st == CQ_JOB_FAILED && r.err.kind == CQ_ERR_LIMIT);
		CQ_CHECK_STR(r.err.setting, "max_json_depth");

		/* invalid JSON: the parser's message, sanitized */
		run_page("{\"items\":[{\"id\":1}", 0, 0, full, &r);
		CQ_CHECK(r.st == CQ_JOB_FAILED && r.err.kind == CQ_ERR_JSON);
		CQ_CHECKF(strncmp(r.err.message, "invalid JSON in response: ", 26) == 0, "%s", r.err.message);

		/* no rows value: no rows, no error */
		run_page("{\"other\":1}", 0, 0, full, &r);
		CQ_CHECK(r.st == CQ_JOB_DONE && r.rows == 0);
	}
}

void
suite_job_page(void)
{
	test_pages();
}
