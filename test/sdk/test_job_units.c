/*
 * test_job_units.c -- suite `job_units`: src/sdk/job_units.c, called
 * directly on an offline job: which endpoint a unit chooses, how its
 * values are encoded into the first request's URL (path and query), the
 * unit's label and its key columns.  Fan-out over lists of values and
 * server-option lists, run against the mock, is in test_sched.c.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cq_sdk_int.h"
#include "job_int.h"
#include "cqtest.h"
#include "jobtest.h"

void		suite_job_units(void);

static CqJob *
offline_job(CqTableDef *t, int *cols)
{
	CqJobParams p;
	CqError		err;
	CqJob	   *job;
	static const char *orgs[] = {"acme"};
	static CqKeyValues kv;

	/* the job itself needs {org}; the units below are made by hand */
	kv.column = "org";
	kv.op = CQ_OP_EQ;
	kv.nvalues = 1;
	kv.values = orgs;
	memset(&p, 0, sizeof(p));
	p.nkeys = 1;
	p.keys = &kv;
	for (int i = 0; i < t->ncolumns; i++)
		cols[i] = i;
	p.table = t;
	p.base_url = "http://api.example.test/v1/";
	p.nout = t->ncolumns;
	p.out_cols = cols;
	p.limit = -1;
	cq_job_settings_default(&p.settings);
	p.settings.workers = 1;
	job = cqp_job_start_offline(&p, &err);
	CQ_CHECKF(job != NULL, "%s", err.message);
	return job;
}

static void
test_make_unit(void)
{
	CqTableDef *t = h3_table("{\"name\":\"t\",\"endpoint\":\"/orgs/{org}/items\","
							 "\"get_endpoint\":\"/orgs/{org}/items/{id}\","
							 "\"keys\":[{\"column\":\"org\"},{\"column\":\"id\"},{\"column\":\"q\"}],"
							 "\"columns\":[{\"name\":\"org\",\"type\":\"string\"},{\"name\":\"id\",\"type\":\"int\"},"
							 "{\"name\":\"q\",\"type\":\"string\"},{\"name\":\"v\",\"type\":\"string\"}]}");
	int			cols[8];
	CqJob	   *job;
	CqpUnit    *u;
	CqpReq	   *first;
	CqError		err;

	if (!t)
		return;
	job = offline_job(t, cols);
	if (!job)
	{
		cq_table_def_free(t);
		return;
	}
	CQ_CHECK(cqp_job_find_col(t, "q") == 2 && cqp_job_find_col(t, "nope") == -1);

	/* org and a query key: the list endpoint, values percent-encoded */
	{
		const char *an[] = {"org", "q"};
		const char *av[] = {"a b/c", "x&y"};
		int			acol[] = {0, 2};
		bool		aq[] = {false, true};

		memset(&err, 0, sizeof(err));
		u = cqp_job_make_unit(job, NULL, 2, an, av, acol, aq, &first, &err);
		CQ_CHECKF(u != NULL && first != NULL, "%s", err.message);
		if (u && first)
		{
			CQ_CHECK_STR(first->url, "http://api.example.test/v1/orgs/a%20b%2Fc/items?q=x%26y");
			CQ_CHECK_STR(u->label, "org=a b/c,q=x&y");
			CQ_CHECK_STR(u->origin_url, first->url);
			/* output columns filled from the unit, not the response */
			CQ_CHECK(u->colval[0] == 0 && u->colval[1] == -1 && u->colval[2] == 1 && u->colval[3] == -1);
			CQ_CHECK(!u->is_parent && first->unit == u);
		}
		cqp_job_req_free(first);
		cqp_job_unit_free(u);
	}
	/* every {param} of get_endpoint given: the single-item endpoint */
	{
		const char *an[] = {"org", "id"};
		const char *av[] = {"o", "7"};
		int			acol[] = {0, 1};
		bool		aq[] = {false, false};

		u = cqp_job_make_unit(job, NULL, 2, an, av, acol, aq, &first, &err);
		CQ_CHECK(u != NULL && first != NULL);
		if (u && first)
			CQ_CHECK_STR(first->url, "http://api.example.test/v1/orgs/o/items/7");
		cqp_job_req_free(first);
		cqp_job_unit_free(u);
	}
	/* a {param} nobody gives: an error naming it, no unit */
	{
		const char *an[] = {"id"};
		const char *av[] = {"7"};
		int			acol[] = {1};
		bool		aq[] = {false};

		memset(&err, 0, sizeof(err));
		u = cqp_job_make_unit(job, NULL, 1, an, av, acol, aq, &first, &err);
		CQ_CHECK(u == NULL && first == NULL && err.kind != CQ_ERR_NONE);
		CQ_CHECKF(strstr(err.message, "org") != NULL, "%s", err.message);
	}
	cq_job_free(job);
	cq_table_def_free(t);
}

/*
 * A spec cursor's qual reaches the first request as its param, the value
 * put into the cursor's format (GCP: filter=creationTimestamp >= "..."),
 * or as is without a format (GitHub: since=...); a value that would end
 * the format's quotes is refused before any request.
 */
static CqJob *
cursor_job(CqTableDef *t, int *cols, const char *value, CqError *err)
{
	CqJobParams p;
	static const char *orgs[] = {"acme"};
	const char *vals[] = {value};
	CqKeyValues kv[2] = {{"org", CQ_OP_EQ, 1, orgs}, {"created", CQ_OP_GE, 1, vals}};
	CqJob	   *job;

	memset(&p, 0, sizeof(p));
	p.nkeys = 2;
	p.keys = kv;
	for (int i = 0; i < t->ncolumns; i++)
		cols[i] = i;
	p.table = t;
	p.base_url = "http://api.example.test/v1/";
	p.nout = t->ncolumns;
	p.out_cols = cols;
	p.limit = -1;
	cq_job_settings_default(&p.settings);
	p.settings.workers = 1;
	memset(err, 0, sizeof(*err));
	job = cqp_job_start_offline(&p, err);
	return job;
}

static void
test_cursor_format(void)
{
	const char *fmt_tbl = "{\"name\":\"t\",\"endpoint\":\"/orgs/{org}/ops\","
		"\"keys\":[{\"column\":\"org\"}],"
		"\"cursor\":{\"column\":\"created\",\"op\":\">=\",\"param\":\"filter\","
		"\"format\":\"creationTimestamp >= \\\"{value}\\\"\"},"
		"\"columns\":[{\"name\":\"org\",\"type\":\"string\"},{\"name\":\"created\",\"type\":\"timestamp\"}]}";
	const char *plain_tbl = "{\"name\":\"t\",\"endpoint\":\"/orgs/{org}/ops\","
		"\"keys\":[{\"column\":\"org\"}],"
		"\"cursor\":{\"column\":\"created\",\"op\":\">=\",\"param\":\"since\"},"
		"\"columns\":[{\"name\":\"org\",\"type\":\"string\"},{\"name\":\"created\",\"type\":\"timestamp\"}]}";
	CqTableDef *t;
	CqJob	   *job;
	CqError		err;
	int			cols[8];

	t = h3_table(fmt_tbl);
	CQ_CHECK(t != NULL);
	if (t)
	{
		job = cursor_job(t, cols, "2024-01-02T03:04:05Z", &err);
		CQ_CHECKF(job != NULL, "%s", err.message);
		if (job)
		{
			CQ_CHECK(job->units != NULL);
			if (job->units)
				CQ_CHECK_STR(job->units->origin_url,
							 "http://api.example.test/v1/orgs/acme/ops?filter=creationTimestamp%20%3E%3D%20%222024-01-02T03%3A04%3A05Z%22");
			cq_job_free(job);
		}
		job = cursor_job(t, cols, "x\" OR name = \"y", &err);
		CQ_CHECK(job == NULL && err.kind == CQ_ERR_CONFIG);
		CQ_CHECKF(strstr(err.message, "cannot be sent in its filter") != NULL, "%s", err.message);
		if (job)
			cq_job_free(job);
		cq_table_def_free(t);
	}
	/* utc_offset: the same instant at the API's offset (fraction kept); a
	 * value not in UTC form goes as is */
	t = h3_table("{\"name\":\"t\",\"endpoint\":\"/orgs/{org}/ops\",\"keys\":[{\"column\":\"org\"}],"
				 "\"cursor\":{\"column\":\"created\",\"op\":\">=\",\"param\":\"filter\","
				 "\"format\":\"t >= \\\"{value}\\\"\",\"utc_offset\":\"-08:00\"},"
				 "\"columns\":[{\"name\":\"org\",\"type\":\"string\"},{\"name\":\"created\",\"type\":\"timestamp\"}]}");
	CQ_CHECK(t != NULL);
	if (t)
	{
		static const struct
		{
			const char *in;
			const char *out;
		}			cases[] = {
			{"2024-01-02T03:04:05Z", "t%20%3E%3D%20%222024-01-01T19%3A04%3A05-08%3A00%22"},
			{"2024-03-01T07:59:59.123456Z", "t%20%3E%3D%20%222024-02-29T23%3A59%3A59.123456-08%3A00%22"},
			{"2024-01-02T03:04:05+01:00", "t%20%3E%3D%20%222024-01-02T03%3A04%3A05%2B01%3A00%22"},
		};

		for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		{
			char		wbuf[256];
			const char *want = wbuf;

			snprintf(wbuf, sizeof(wbuf), "http://api.example.test/v1/orgs/acme/ops?filter=%s", cases[i].out);
			job = cursor_job(t, cols, cases[i].in, &err);
			CQ_CHECKF(job != NULL, "%s", err.message);
			if (job)
			{
				if (job->units)
					CQ_CHECK_STR(job->units->origin_url, want);
				cq_job_free(job);
			}
		}
		cq_table_def_free(t);
	}
	t = h3_table(plain_tbl);
	CQ_CHECK(t != NULL);
	if (t)
	{
		job = cursor_job(t, cols, "2024-01-02T03:04:05Z", &err);
		CQ_CHECKF(job != NULL, "%s", err.message);
		if (job)
		{
			if (job->units)
				CQ_CHECK_STR(job->units->origin_url,
							 "http://api.example.test/v1/orgs/acme/ops?since=2024-01-02T03%3A04%3A05Z");
			cq_job_free(job);
		}
		cq_table_def_free(t);
	}
}

void
suite_job_units(void)
{
	test_make_unit();
	test_cursor_format();
}
