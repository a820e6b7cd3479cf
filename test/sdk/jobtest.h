/*
 * jobtest.h -- helpers for the SDK job tests, shared by test_http.c,
 * test_pagination.c, test_sched.c and test_job_*.c (defined in test_http.c,
 * except h3_render_page): build a table from JSON, run a job against the
 * mock API, collect rows, ids, stats; render an offline page.
 */
#ifndef JOBTEST_H
#define JOBTEST_H

#include <stdbool.h>

#include "cq_sdk.h"

#define H3_MAXID 2000000
typedef struct H3Job H3Job;
struct H3Job
{
	CqJobParams p;
	CqTableDef *t;
	int			cols[64];
	int			id_col;
	/* knobs */
	long		cancel_after_rows;
	double		cancel_after_ms;
	void		(*on_batch) (H3Job *j, CqBatch *b);
	void	   *ud;
	bool		release;		/* cq_job_release_batch, not cq_batch_free */
	/* results */
	long		rows;
	long		distinct;
	long		batches;
	size_t		max_batch_bytes;
	unsigned char *seen;
	double		elapsed_ms;
	double		free_ms;
	bool		canceled;
	CqError		err;
	CqJobStats	st;
	CqColumnWarning warn[64];
	int			nwarn;
	int			nfailed;
	CqError		first_failed;
};
extern double h3_now(void);
extern CqTableDef *h3_table(const char *json);
extern void h3_params(H3Job *j, CqTableDef *t);
extern CqJobState h3_run(H3Job *j);
extern void h3_done(H3Job *j);
extern long h3_mock_count(const char *prefix, long *max_conc);
extern void h3_mock(const char *path);
extern bool h3_mock_up(void);

/*
 * Offline pages (defined in test_job_fast.c): feed `body` to an offline job
 * over table `tjson` and render every value with cq_value_format into a
 * malloc'd text ("a|b|c\n" per row, "<null>" for NULL).  With `full`, a
 * plugin transform_row (identity) forces the full jansson path.  Returns
 * the final state; *err gets the job error.
 */
extern CqJobState h3_render_page(const char *tjson, const char *body,
								 bool full, char **out, CqError *err);
/* a table "t" over rows pointer `rows` with columns `cols` (JSON text) */
#define EQ_TABLE(rows, cols) \
	"{\"name\":\"t\",\"endpoint\":\"/x\",\"rows\":\"" rows "\",\"pagination\":\"none\"," \
	"\"columns\":[" cols "]}"

#endif
