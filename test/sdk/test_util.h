/*
 * test_util.h -- small helpers several SDK test files used to carry their own
 * copies of (sleeping, draining a job, collecting rows as text, an offline
 * job for plan/unit tests).  Defined in test_util.c.  Mock control routes:
 * h3_mock / h3_mock_count in jobtest.h.
 */
#ifndef TEST_UTIL_H
#define TEST_UTIL_H

#include <stdbool.h>
#include <stddef.h>

#include "cq_sdk.h"

extern void cqt_sleep_ms(long ms);

/*
 * Run `job` to the end: each batch goes to on_batch (may be NULL) and is then
 * freed; waits on the job's fd while it is pending.  Returns the final state.
 */
extern CqJobState cqt_job_drain(CqJob *job, void (*on_batch) (CqBatch *b, void *ud), void *ud);

/*
 * Append each row of `b` as "a|b\n" (NULL as <null>) to a growing malloc'd
 * text buffer; returns the number of rows.
 */
extern int	cqt_batch_text(CqBatch *b, char **text, size_t *len, size_t *cap);

/*
 * Fill in *p (zeroed by the caller, keys may be set) for an offline job over
 * `t` with output columns cols[0..nout-1], no limit, default settings and one
 * worker; the caller may change settings before cqp_job_start_offline.
 */
extern void cqt_offline_params(CqJobParams *p, CqTableDef *t, int *cols, int nout,
							   const char *base_url);

/*
 * Start an offline job (nothing fed) over all `t` columns with one worker;
 * the caller has zeroed *p and set its keys.  CQ_CHECKs that it started.
 */
extern CqJob *cqt_offline_job(CqJobParams *p, CqTableDef *t, int *cols, const char *base_url);

/* Load a spec file by its path in the repository (e.g. "sources/aws/aws.json"). */
extern CqSourceDef *cqt_repo_spec(const char *relpath);

/*
 * Tests against the mock: with the mock up, cqt_repo_spec(relpath); else
 * skip `what` ("no mock (MOCK_URL)") and NULL.
 */
extern CqSourceDef *cqt_mock_spec(const char *what, const char *relpath);

/*
 * Start the job of *p, drain it into on_batch(ud) (may be NULL), call
 * at_end(job, ud) (may be NULL) before freeing it.  *err: why it did not
 * start or failed; *stats: the job's stats.  Returns the final state
 * (CQ_JOB_FAILED when it did not start).
 */
extern CqJobState cqt_job_run(CqJobParams *p, void (*on_batch) (CqBatch *b, void *ud), void *ud,
							  void (*at_end) (CqJob *job, void *ud), CqError *err, CqJobStats *stats);

/*
 * A scan of an AWS table against the mock's /aws-api route (SigV4
 * verified): the job's parameters and what they point to.
 */
typedef struct CqtAwsJob
{
	CqJobParams p;
	const CqTableDef *t;
	int			oc[32];			/* output columns */
	char		base[512];		/* <mock>/aws-api */
	const char *opt_names[1];	/* server option regions */
	const char *opt_values[1];
} CqtAwsJob;

/*
 * Fill *f for `table` of src with the comma-separated output columns
 * `cols` (each must exist; CQ_CHECKed), base_url the mock's /aws-api, the
 * example access key and secret, no limit, server option regions when
 * `regions` is not NULL, default settings with retry_base_ms 10.  The
 * caller sets keys, cred and settings further, then cqt_job_run(&f->p...).
 * Returns false (CQ_CHECKed) when src has no such table.
 */
extern bool cqt_aws_job(CqtAwsJob *f, CqSourceDef *src, const char *table, const char *cols,
						const char *regions);

/*
 * A plugin whose transform_row returns the row as it is: a job with it
 * takes the full-tree path (no fast extraction) on the same rows.
 */
extern const CqPluginDescriptor cqt_identity_plugin;

#endif
