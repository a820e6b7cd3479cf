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
#include "test_util.h"

void		suite_job_units(void);

static CqJob *
offline_job(CqTableDef *t, int *cols)
{
	CqJobParams p;
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
	return cqt_offline_job(&p, t, cols, "http://api.example.test/v1/");
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
	cqt_offline_params(&p, t, cols, t->ncolumns, "http://api.example.test/v1/");
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

/*
 * Spec "formats", "separator" and "values" (operator parameters): the
 * first request's query for Kubernetes selectors (fieldSelector joined by
 * ",", labelSelector from a JSON object), GitHub state (only the accepted
 * values), DigitalOcean tags @> (the first element), and a value that
 * cannot be sent safely is not sent at all (PostgreSQL rechecks).
 */
static char *
formats_url(const char *spec, int nkv, CqKeyValues *kv)
{
	CqTableDef *t = h3_table(spec);
	CqJobParams p;
	CqError		err;
	CqJob	   *job;
	int			cols[16];
	char	   *url = NULL;

	CQ_CHECK(t != NULL);
	if (!t)
		return NULL;
	memset(&p, 0, sizeof(p));
	p.nkeys = nkv;
	p.keys = kv;
	for (int i = 0; i < t->ncolumns; i++)
		cols[i] = i;
	cqt_offline_params(&p, t, cols, t->ncolumns, "http://api.example.test");
	memset(&err, 0, sizeof(err));
	job = cqp_job_start_offline(&p, &err);
	CQ_CHECKF(job != NULL, "%s", err.message);
	if (job)
	{
		CQ_CHECK(job->units != NULL);
		if (job->units)
			url = strdup(job->units->origin_url);
		cq_job_free(job);
	}
	cq_table_def_free(t);
	return url;
}

static void
test_key_formats(void)
{
	const char *pods = "{\"name\":\"pods\",\"endpoint\":\"/api/v1/pods\",\"keys\":["
		"{\"column\":\"node_name\",\"param\":\"fieldSelector\",\"in\":\"query\",\"formats\":{\"=\":\"spec.nodeName={value}\"},\"separator\":\",\"},"
		"{\"column\":\"phase\",\"param\":\"fieldSelector\",\"in\":\"query\",\"formats\":{\"=\":\"status.phase={value}\"},\"separator\":\",\"},"
		"{\"column\":\"labels\",\"in\":\"query\",\"ops\":[\"@>\"],\"op_params\":{\"@>\":\"labelSelector\"},\"formats\":{\"@>\":\"{key}={value}\"},\"separator\":\",\"}],"
		"\"columns\":[{\"name\":\"node_name\",\"type\":\"string\"},{\"name\":\"phase\",\"type\":\"string\"},{\"name\":\"labels\",\"type\":\"json\"}]}";
	const char *issues = "{\"name\":\"issues\",\"endpoint\":\"/issues?state=all\",\"keys\":["
		"{\"column\":\"state\",\"in\":\"query\",\"values\":[\"open\",\"closed\"]}],"
		"\"columns\":[{\"name\":\"state\",\"type\":\"string\"}]}";
	const char *droplets = "{\"name\":\"droplets\",\"endpoint\":\"/v2/droplets\",\"keys\":["
		"{\"column\":\"tag_name\",\"in\":\"query\",\"guaranteed\":true},"
		"{\"column\":\"tags\",\"in\":\"query\",\"ops\":[\"@>\"],\"op_params\":{\"@>\":\"tag_name\"},\"formats\":{\"@>\":\"{value}\"}}],"
		"\"columns\":[{\"name\":\"tag_name\",\"type\":\"string\"},{\"name\":\"tags\",\"type\":\"string[]\"}]}";
	const char *node[] = {"kind-worker"};
	const char *phase[] = {"Running"};
	const char *labels[] = {"{\"app\": \"web\", \"tier\": \"front\"}"};
	const char *badlabels[] = {"{\"app\": \"web,x\"}"};
	const char *nested[] = {"{\"app\": {\"a\": 1}}"};
	const char *evil[] = {"Running,spec.nodeName=other"};
	const char *closed[] = {"closed"};
	const char *merged[] = {"merged"};
	const char *tags[] = {"prod", "db"};
	const char *tag[] = {"edge"};
	char	   *url;

	{
		CqKeyValues kv[3] = {{"node_name", CQ_OP_EQ, 1, node}, {"phase", CQ_OP_EQ, 1, phase},
		{"labels", CQ_OP_CONTAINS, 1, labels}};

		url = formats_url(pods, 3, kv);
		CQ_CHECK_STR(url, "http://api.example.test/api/v1/pods?fieldSelector=spec.nodeName%3Dkind-worker%2Cstatus.phase%3DRunning&labelSelector=app%3Dweb%2Ctier%3Dfront");
		free(url);
	}
	{
		/* not sendable: a "," in a value, a non-string member */
		CqKeyValues kv[3] = {{"phase", CQ_OP_EQ, 1, evil}, {"labels", CQ_OP_CONTAINS, 1, badlabels},
		{"node_name", CQ_OP_EQ, 1, node}};

		url = formats_url(pods, 3, kv);
		CQ_CHECK_STR(url, "http://api.example.test/api/v1/pods?fieldSelector=spec.nodeName%3Dkind-worker");
		free(url);
		kv[0].values = phase;
		kv[1].values = nested;
		url = formats_url(pods, 2, kv);
		CQ_CHECK_STR(url, "http://api.example.test/api/v1/pods?fieldSelector=status.phase%3DRunning");
		free(url);
	}
	{
		CqKeyValues kv[1] = {{"state", CQ_OP_EQ, 1, closed}};

		url = formats_url(issues, 1, kv);
		CQ_CHECK_STR(url, "http://api.example.test/issues?state=closed");
		free(url);
		kv[0].values = merged;
		url = formats_url(issues, 1, kv);
		CQ_CHECK_STR(url, "http://api.example.test/issues?state=all");
		free(url);
	}
	{
		/* tags @> '{prod,db}': the API takes one tag, the first is sent;
		 * a guaranteed tag_name = wins over it */
		CqKeyValues kv[2] = {{"tags", CQ_OP_CONTAINS, 2, tags}, {"tag_name", CQ_OP_EQ, 1, tag}};

		url = formats_url(droplets, 1, kv);
		CQ_CHECK_STR(url, "http://api.example.test/v2/droplets?tag_name=prod");
		free(url);
		url = formats_url(droplets, 2, kv);
		CQ_CHECK_STR(url, "http://api.example.test/v2/droplets?tag_name=edge");
		free(url);
	}
	/* the validator: formats only on a rechecked query key */
	{
		CqError		err;
		const char *g = "{\"name\":\"t\",\"endpoint\":\"/x\",\"keys\":["
			"{\"column\":\"a\",\"in\":\"query\",\"guaranteed\":true,\"formats\":{\"=\":\"a={value}\"}}],"
			"\"columns\":[{\"name\":\"a\",\"type\":\"string\"}]}";
		const char *nf = "{\"name\":\"t\",\"endpoint\":\"/x\",\"keys\":["
			"{\"column\":\"a\",\"in\":\"query\",\"ops\":[\"@>\"],\"op_params\":{\"@>\":\"q\"}}],"
			"\"columns\":[{\"name\":\"a\",\"type\":\"json\"}]}";
		CqTableDef *t = cq_spec_parse_table(g, strlen(g), &err);

		CQ_CHECK(t == NULL);
		CQ_CHECKF(t == NULL && strstr(err.message, "neither required, guaranteed nor from_parent") != NULL,
				  "%s", err.message);
		if (t)
			cq_table_def_free(t);
		t = cq_spec_parse_table(nf, strlen(nf), &err);
		CQ_CHECKF(t == NULL && strstr(err.message, "needs formats") != NULL, "%s", t ? "parsed" : err.message);
		if (t)
			cq_table_def_free(t);
	}
}

/*
 * Zipped keys (CqJobParams.nzip, a batched join's key tuples): owner and
 * repo lists of 3 give 3 units (the i-th values together), not 9.
 */
static void
test_zip_keys(void)
{
	CqTableDef *t = h3_table("{\"name\":\"issues\",\"endpoint\":\"/repos/{owner}/{repo}/issues\","
							 "\"keys\":[{\"column\":\"owner\",\"required\":true},{\"column\":\"repo\",\"required\":true}],"
							 "\"columns\":[{\"name\":\"owner\",\"type\":\"string\"},{\"name\":\"repo\",\"type\":\"string\"}]}");
	const char *owners[] = {"a", "a", "b"};
	const char *repos[] = {"x", "y", "x"};
	CqKeyValues kv[2] = {{"owner", CQ_OP_EQ, 3, owners}, {"repo", CQ_OP_EQ, 3, repos}};
	CqJobParams p;
	CqError		err;
	CqJob	   *job;
	int			cols[4] = {0, 1};

	CQ_CHECK(t != NULL);
	if (!t)
		return;
	for (int zip = 0; zip <= 2; zip += 2)
	{
		int			n = 0;
		bool		ay = false,
					bx = false,
					by = false;

		memset(&p, 0, sizeof(p));
		p.nkeys = 2;
		p.keys = kv;
		p.nzip = zip;
		cqt_offline_params(&p, t, cols, 2, "http://api.example.test");
		job = cqp_job_start_offline(&p, &err);
		CQ_CHECKF(job != NULL, "%s", err.message);
		if (!job)
			continue;
		for (CqpUnit *u = job->units; u; u = u->all_next)
		{
			n++;
			ay |= strcmp(u->origin_url, "http://api.example.test/repos/a/y/issues") == 0;
			bx |= strcmp(u->origin_url, "http://api.example.test/repos/b/x/issues") == 0;
			by |= strcmp(u->origin_url, "http://api.example.test/repos/b/y/issues") == 0;
		}
		CQ_CHECKF(n == (zip ? 3 : 9), "nzip %d: %d units", zip, n);
		CQ_CHECK(ay && bx);
		CQ_CHECK(zip ? !by : by);
		cq_job_free(job);
	}
	/* lists of different lengths cannot be zipped */
	kv[1].nvalues = 2;
	p.nzip = 2;
	job = cqp_job_start_offline(&p, &err);
	CQ_CHECK(job == NULL && strstr(err.message, "differ in length") != NULL);
	if (job)
		cq_job_free(job);
	cq_table_def_free(t);
}

void
suite_job_units(void)
{
	test_make_unit();
	test_cursor_format();
	test_key_formats();
	test_zip_keys();
}
