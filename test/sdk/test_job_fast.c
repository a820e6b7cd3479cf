/*
 * test_job_fast.c -- suite `job_fast`: src/sdk/job_fast.c, the fast
 * extraction path.  The plan is checked directly (which row members the
 * columns read, when the path is off); every page shape is rendered
 * through the fast path and through the full jansson tree (a plugin
 * transform_row forces it), and the two must agree value for value, error
 * for error.  Also defines h3_render_page (jobtest.h).
 */
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cq_sdk_int.h"
#include "job_int.h"
#include "cqtest.h"
#include "jobtest.h"
#include "test_util.h"

void		suite_job_fast(void);

/* ---- fast extraction == full parse ---- */


/* The growing text h3_render_page collects. */
typedef struct PageText
{
	char	   *txt;
	size_t		len,
				cap;
} PageText;

static void
page_text(CqBatch *b, void *ud)
{
	PageText   *pt = ud;

	cqt_batch_text(b, &pt->txt, &pt->len, &pt->cap);
}

/*
 * Feed `body` to an offline job over table `tjson` and render every value
 * with cq_value_format into a malloc'd text ("a|b|c\n" per row).  With
 * `full`, a plugin transform_row (identity) forces the full jansson path.
 * Returns the final state; *err gets the job error.
 */
CqJobState
h3_render_page(const char *tjson, const char *body, bool full, char **out,
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
	p.plugin = full ? &cqt_identity_plugin : NULL;
	cqt_offline_params(&p, t, cols, t->ncolumns, "http://offline.invalid");
	p.settings.batch_rows = 3;	/* several batches per page */
	job = cqp_job_start_offline(&p, err);
	if (!job)
	{
		cq_table_def_free(t);
		return CQ_JOB_FAILED;
	}
	cqp_job_feed(job, body, strlen(body));
	cqp_job_feed_end(job);
	{
		PageText	pt = {txt, len, cap};

		st = cqt_job_drain(job, page_text, &pt);
		*out = pt.txt;
	}
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
	CqJobState	sa = h3_render_page(tjson, body, false, &a, &ea);
	CqJobState	sb = h3_render_page(tjson, body, true, &b, &eb);

	CQ_CHECKF(sa == sb && sa == (ok ? CQ_JOB_DONE : CQ_JOB_FAILED),
			  "%s: fast %d (%s) full %d (%s)", what, sa, ea.message, sb, eb.message);
	CQ_CHECKF(strcmp(a, b) == 0, "%s:\n fast: %s\n full: %s", what, a, b);
	if (!ok)
		CQ_CHECKF(ea.kind == eb.kind && strcmp(ea.setting, eb.setting) == 0,
				  "%s: kinds %d/%d", what, ea.kind, eb.kind);
	free(a);
	free(b);
}

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
/* An offline job over `tjson` (not started: nothing fed), for its plan. */
static CqJob *
plan_job(const char *tjson, CqTableDef **t, bool plugin)
{
	static int	cols[64];
	CqJobParams p;

	*t = h3_table(tjson);
	if (!*t)
		return NULL;
	memset(&p, 0, sizeof(p));
	p.plugin = plugin ? &cqt_identity_plugin : NULL;
	return cqt_offline_job(&p, *t, cols, "http://offline.invalid");
}

/* The plan, directly: distinct first segments, tails, when it is off. */
static void
test_plan(void)
{
	CqTableDef *t;
	CqJob	   *job = plan_job(EQ_TABLE("/data/items",
										"{\"name\":\"a\",\"type\":\"int\"},"
										"{\"name\":\"b\",\"type\":\"string\",\"path\":\"/o/x\"},"
										"{\"name\":\"c\",\"type\":\"string[]\",\"path\":\"/o/l/*\"},"
										"{\"name\":\"d\",\"type\":\"string\",\"path\":\"/a~1b\"}"),
							   &t, false);
	FastPlan   *fp;

	if (!job)
		return;
	fp = job->fast;
	CQ_CHECK(fp != NULL && fp->ok && fp->ncols == 4);
	if (fp && fp->ok)
	{
		/* members read: "a", "o" (twice), "a/b" (unescaped) */
		CQ_CHECK(fp->nkeys == 3);
		CQ_CHECK(fp->colkey[0] == 0 && fp->colkey[1] == 1 && fp->colkey[2] == 1 && fp->colkey[3] == 2);
		CQ_CHECK(fp->keylen[1] == 1 && memcmp(fp->keys[1], "o", 1) == 0);
		CQ_CHECK(fp->keylen[2] == 3 && memcmp(fp->keys[2], "a/b", 3) == 0);
		CQ_CHECK(fp->tail[0] == NULL && fp->tail[1] != NULL && !fp->tailwild[1] && fp->tailwild[2]);
		/* the rows pointer, as segments */
		CQ_CHECK(fp->rows.ok && fp->rows.nseg == 2 && strcmp(fp->rows.seg[1], "items") == 0);
	}
	cq_job_free(job);
	cq_table_def_free(t);

	/* a column reading the whole row, a wildcard rows path, a plugin:
	 * no fast path for the columns / rows */
	job = plan_job(EQ_TABLE("", "{\"name\":\"r\",\"type\":\"json\",\"path\":\"\"}"), &t, false);
	CQ_CHECK(job && job->fast && !job->fast->ok);
	cq_job_free(job);
	cq_table_def_free(t);
	job = plan_job(EQ_TABLE("/a/*/b", "{\"name\":\"id\",\"type\":\"int\"}"), &t, false);
	CQ_CHECK(job && job->fast && job->fast->ok && !job->fast->rows.ok);
	cq_job_free(job);
	cq_table_def_free(t);
	job = plan_job(EQ_TABLE("", "{\"name\":\"id\",\"type\":\"int\"}"), &t, true);
	CQ_CHECK(job && job->fast && !job->fast->ok);
	cq_job_free(job);
	cq_table_def_free(t);
}

void
suite_job_fast(void)
{
	if (!h3_mock_up())
		return;
	test_plan();
	test_fast_equivalence();
}
