/*
 * test_job_io.c -- suite `job_io`: src/sdk/job_io.c's growth rule of the
 * memory budget, called directly (cqp_job_io_grow, the write callback's
 * question "may this body take n more bytes?") on an offline job whose
 * in-flight list the test fills with requests by hand.  The I/O thread
 * itself, against the mock, is exercised by test_sched.c (budget, cancel),
 * test_budget.c and test_http.c.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "cq_sdk_int.h"
#include "job_int.h"
#include "cqtest.h"
#include "jobtest.h"
#include "test_util.h"

void		suite_job_io(void);

static void
test_grow(void)
{
	CqTableDef *t = h3_table("{\"name\":\"t\",\"endpoint\":\"/x\",\"columns\":[{\"name\":\"id\",\"type\":\"int\"}]}");
	int			cols[1] = {0};
	CqJobParams p;
	CqError		err;
	CqJob	   *job;
	CqpReq	   *a = calloc(1, sizeof(CqpReq)),
			   *b = calloc(1, sizeof(CqpReq));

	if (!t || !a || !b)
		goto out;
	memset(&p, 0, sizeof(p));
	cqt_offline_params(&p, t, cols, 1, "http://offline.invalid");
	p.settings.memory_budget = 10000;
	job = cqp_job_start_offline(&p, &err);
	CQ_CHECKF(job != NULL, "%s", err.message);
	if (!job)
		goto out;
	/* offline: no I/O thread, so the in-flight list is the test's */
	CQ_CHECK(job->inflight_h == NULL && atomic_load(&job->acct->held) == 0);
	a->reserve = 4000;
	job->inflight_h = a;

	/* within its reservation: yes */
	CQ_CHECK(cqp_job_io_grow(job, a, 3000) && !a->lead);
	a->charged = 3000;
	cqp_acct_add(job->acct, 3000);
	/* past it, while the budget holds (3000 held + 6000 more <= 10000): yes */
	CQ_CHECK(cqp_job_io_grow(job, a, 6000) && !a->lead);
	/* past the budget, but nothing else can free memory: yes, as the lead */
	CQ_CHECK(cqp_job_io_grow(job, a, 8000) && a->lead && job->lead == a);

	/* a second transfer: its growth counts A's unreceived reservation
	 * (4000 - 3000) and what is held (3000) */
	a->next = b;
	CQ_CHECK(cqp_job_io_grow(job, b, 6000) && !b->lead);	/* 4000 + 6000 */
	CQ_CHECK(!cqp_job_io_grow(job, b, 6001) && b->want == 6001);	/* paused */
	CQ_CHECK(!b->lead && job->lead == a);	/* one lead at a time */

	job->inflight_h = NULL;
	job->lead = NULL;
	cqp_acct_sub(job->acct, 3000);
	cq_job_free(job);
out:
	free(a);
	free(b);
	cq_table_def_free(t);
}

void
suite_job_io(void)
{
	test_grow();
}
