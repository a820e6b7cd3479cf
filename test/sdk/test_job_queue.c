/*
 * test_job_queue.c -- suite `job_queue`: src/sdk/job_queue.c, called
 * directly on an offline job: a unit's request count and completion under
 * job->mu (the job finishes when its last unit does), loop detection of
 * the URLs a unit requested, and the string helper.  skip_failed_units
 * through whole jobs is in test_sched.c (test_skip_failed).
 */
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cq_sdk_int.h"
#include "job_int.h"
#include "cqtest.h"
#include "jobtest.h"
#include "test_util.h"

void		suite_job_queue(void);

static void
test_seen_and_scopy(void)
{
	CqpUnit		u;
	char		buf[6];
	char		url[64];
	bool		all_new = true;

	memset(&u, 0, sizeof(u));
	CQ_CHECK(cqp_job_seen_add(&u, "http://h/p?page=1"));
	CQ_CHECK(cqp_job_seen_add(&u, "http://h/p?page=2"));
	CQ_CHECK(!cqp_job_seen_add(&u, "http://h/p?page=1"));	/* a loop */
	for (int i = 3; i < 100; i++)
	{
		snprintf(url, sizeof(url), "http://h/p?page=%d", i);
		all_new &= cqp_job_seen_add(&u, url);
	}
	CQ_CHECK(all_new && u.nseen == 99 && !cqp_job_seen_add(&u, "http://h/p?page=50"));
	free(u.seen);

	cqp_job_scopy(buf, sizeof(buf), "abcdefgh");
	CQ_CHECK(strcmp(buf, "abcde") == 0);
	cqp_job_scopy(buf, sizeof(buf), NULL);
	CQ_CHECK(buf[0] == '\0');
	cqp_job_req_free(NULL);	/* NULL-safe */
}

/* An offline job of one unit: drop its request, the job finishes. */
static void
test_unit_completion(void)
{
	CqTableDef *t = h3_table("{\"name\":\"t\",\"endpoint\":\"/x\",\"columns\":[{\"name\":\"id\",\"type\":\"int\"}]}");
	int			cols[1] = {0};
	CqJobParams p;
	CqError		err;
	CqJob	   *job;
	CqpUnit    *u;
	CqpReq	   *r;
	CqBatch    *b;

	if (!t)
		return;
	memset(&p, 0, sizeof(p));
	cqt_offline_params(&p, t, cols, 1, "http://offline.invalid");
	job = cqp_job_start_offline(&p, &err);
	CQ_CHECKF(job != NULL, "%s", err.message);
	if (!job)
	{
		cq_table_def_free(t);
		return;
	}
	pthread_mutex_lock(&job->mu);
	u = job->units;
	CQ_CHECK(u != NULL && u->all_next == NULL && !u->finished);
	/* offline: the first request waits in the ready queue, nobody sends it */
	r = job->ready_h;
	CQ_CHECK(r != NULL && r->unit == u && u->outstanding == 1);
	if (r && u)
	{
		job->ready_h = r->next;
		if (!job->ready_h)
			job->ready_t = NULL;
		/* one more request of the unit, then both done */
		{
			CqpReq	   *r2 = cqp_job_new_req_locked(job, u, strdup("http://offline.invalid/x?p=2"), 2, true);

			CQ_CHECK(r2 != NULL && u->outstanding == 2 && r2->page_index == 2);
			cqp_job_req_done_locked(job, r2);
		}
		CQ_CHECK(u->outstanding == 1 && !u->finished && !job->finished);
		cqp_job_req_done_locked(job, r);
		/* a finished unit is freed at once (its memory is per live unit) */
		CQ_CHECK(job->units == NULL && job->finished);
	}
	pthread_mutex_unlock(&job->mu);
	CQ_CHECK(cq_job_next(job, &b) == CQ_JOB_DONE);
	cq_job_free(job);
	cq_table_def_free(t);
}

void
suite_job_queue(void)
{
	test_seen_and_scopy();
	test_unit_completion();
}
