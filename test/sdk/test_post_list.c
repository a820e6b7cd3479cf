/*
 * test_post_list.c -- suite `post_list`: list requests sent as POST (spec
 * "method": "POST" and "body", spec_table.c; sent by job_io.c), as GCP
 * Compute's instanceGroupManagers.listManagedInstances and
 * instanceGroups.listInstances are.  Against the mock's /gpost/ routes,
 * which answer those lists to POST only (GET: 405), page them with
 * pageToken in the query string and refuse a pageToken in the body: the
 * method and body of every page, pagination across pages, the body's filter
 * member taking effect, a 503 on a POST retried like a GET, and the parent
 * listing (a GET of the aggregated list) filling {zone} from the group's
 * zone URL through the key column's last_segment transform.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cq_sdk.h"
#include "cqtest.h"
#include "jobtest.h"

void		suite_post_list(void);


/* instanceGroupManagers.listManagedInstances over /gpost/<cfg>/... */
#define MI_TABLE \
"{\"name\":\"mi\",\"endpoint\":\"/gpost/%s/compute/v1/projects/{project}/zones/{zone}/" \
"instanceGroupManagers/{instanceGroupManager}/listManagedInstances\",\"rows\":\"/managedInstances\"," \
"\"method\":\"POST\"," \
"\"pagination\":{\"type\":\"next_token\",\"next\":\"/nextPageToken\",\"next_param\":\"pageToken\"," \
"\"page_size_param\":\"maxResults\",\"page_size\":500}," \
"\"keys\":[{\"column\":\"project\",\"required\":true}," \
"{\"column\":\"zone\",\"required\":true,\"from_parent\":true}," \
"{\"column\":\"igm\",\"param\":\"instanceGroupManager\",\"required\":true,\"from_parent\":true}]," \
"\"parent\":{\"endpoint\":\"/gpost/%s/compute/v1/projects/{project}/aggregated/instanceGroupManagers\"," \
"\"rows\":\"/items/*/instanceGroupManagers\",\"map\":{\"zone\":\"/zone\",\"instanceGroupManager\":\"/name\"}}," \
"\"columns\":[{\"name\":\"id\",\"type\":\"int\"},{\"name\":\"project\",\"type\":\"string\"}," \
"{\"name\":\"zone\",\"type\":\"string\",\"transform\":\"last_segment\"}," \
"{\"name\":\"igm\",\"type\":\"string\"},{\"name\":\"name\",\"type\":\"string\"}]}"

/* instanceGroups.listInstances, with an optional body */
#define LI_TABLE \
"{\"name\":\"li\",\"endpoint\":\"/gpost/%s/compute/v1/projects/{project}/zones/{zone}/" \
"instanceGroups/{instanceGroup}/listInstances\",\"rows\":\"/items\",\"method\":\"POST\"%s," \
"\"pagination\":{\"type\":\"next_token\",\"next\":\"/nextPageToken\",\"next_param\":\"pageToken\"}," \
"\"keys\":[{\"column\":\"project\"},{\"column\":\"zone\"},{\"column\":\"ig\",\"param\":\"instanceGroup\"}]," \
"\"columns\":[{\"name\":\"instance\",\"type\":\"string\"},{\"name\":\"status\",\"type\":\"string\"}," \
"{\"name\":\"project\",\"type\":\"string\"},{\"name\":\"zone\",\"type\":\"string\"}," \
"{\"name\":\"ig\",\"type\":\"string\"}]}"

/* requests the mock logged under `prefix`: total and by method */
static long
mock_requests(const char *prefix, long *posts, long *gets)
{
	char		q[512];
	char	   *body;
	json_t	   *doc;
	json_t	   *arr;
	long		n = -1;
	size_t		i;
	json_t	   *e;

	*posts = *gets = 0;
	snprintf(q, sizeof(q), "/_mock/requests?route=%s", prefix);
	body = cqt_mock_get(q);
	doc = body ? json_loads(body, 0, NULL) : NULL;
	arr = json_object_get(doc, "requests");
	if (json_is_array(arr))
	{
		n = (long) json_array_size(arr);
		json_array_foreach(arr, i, e)
		{
			const char *m = json_string_value(json_object_get(e, "method"));

			if (m && strcmp(m, "POST") == 0)
				(*posts)++;
			else if (m && strcmp(m, "GET") == 0)
				(*gets)++;
		}
	}
	json_decref(doc);
	free(body);
	return n;
}

/* the text of every row's column 1 (zone / status), "a,b,..." */
typedef struct Texts
{
	char		s[512];
} Texts;

static void
texts_batch(H3Job *j, CqBatch *b)
{
	Texts	   *t = j->ud;

	for (int r = 0; r < b->nrows; r++)
	{
		CqValue    *v = &b->values[r * b->ncols + 1];
		size_t		l = strlen(t->s);

		if (!v->isnull && v->type == CQ_T_STRING)
			snprintf(t->s + l, sizeof(t->s) - l, "%s%.*s", l ? "," : "", (int) v->len, v->u.s);
	}
}

static CqJobState
run(H3Job *j, CqTableDef *t, const int *cols, int ncols, CqKeyValues *kv, int nkv, Texts *tx)
{
	h3_params(j, t);
	for (int i = 0; i < ncols; i++)
		j->cols[i] = cols[i];
	j->p.nout = ncols;
	j->p.nkeys = nkv;
	j->p.keys = kv;
	j->p.settings.retry_base_ms = 10;
	memset(tx, 0, sizeof(*tx));
	j->ud = tx;
	j->on_batch = texts_batch;
	return h3_run(j);
}

static void
kv_set(CqKeyValues *kv, const char *col, const char **val)
{
	memset(kv, 0, sizeof(*kv));
	kv->column = col;
	kv->op = CQ_OP_EQ;
	kv->nvalues = 1;
	kv->values = val;
}

static void
test_spec(void)
{
	static const struct
	{
		const char *json;
		const char *msg;
	}			cases[] = {
		{"{\"name\":\"t\",\"endpoint\":\"/x\",\"method\":\"DELETE\",\"columns\":[{\"name\":\"id\",\"type\":\"int\"}]}",
		"method: \"DELETE\" is not GET or POST (a listing does not change anything)"},
		{"{\"name\":\"t\",\"endpoint\":\"/x\",\"body\":{\"a\":1},\"columns\":[{\"name\":\"id\",\"type\":\"int\"}]}",
		"body: only a table with \"method\": \"POST\" sends a body"},
		{"{\"name\":\"t\",\"endpoint\":\"/x\",\"method\":\"POST\",\"body\":[1],\"columns\":[{\"name\":\"id\",\"type\":\"int\"}]}",
		"body: must be a JSON object (the members POSTed with every list request)"},
		{"{\"name\":\"t\",\"endpoint\":\"/x\",\"methd\":\"POST\",\"columns\":[{\"name\":\"id\",\"type\":\"int\"}]}",
		"methd: unknown key (did you mean \"method\"?)"},
	};
	CqError		err;
	CqTableDef *t;
	const char *ok = "{\"name\":\"t\",\"endpoint\":\"/x\",\"method\":\"POST\",\"body\":{\"b\":\"ALL\",\"a\":[1]},"
		"\"columns\":[{\"name\":\"id\",\"type\":\"int\"}]}";

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
	{
		memset(&err, 0, sizeof(err));
		t = cq_spec_parse_table(cases[i].json, strlen(cases[i].json), &err);
		CQ_CHECKF(t == NULL && err.kind == CQ_ERR_CONFIG, "case %zu parsed", i);
		CQ_CHECK_STR(err.message, cases[i].msg);
		cq_table_def_free(t);
	}
	memset(&err, 0, sizeof(err));
	t = cq_spec_parse_table(ok, strlen(ok), &err);
	CQ_CHECKF(t != NULL, "%s", err.message);
	if (t)
	{
		CQ_CHECK_STR(t->method, "POST");
		CQ_CHECK_STR(t->body, "{\"a\":[1],\"b\":\"ALL\"}");
	}
	cq_table_def_free(t);
	/* GET is the default, kept as NULL */
	ok = "{\"name\":\"t\",\"endpoint\":\"/x\",\"method\":\"GET\",\"columns\":[{\"name\":\"id\",\"type\":\"int\"}]}";
	t = cq_spec_parse_table(ok, strlen(ok), &err);
	CQ_CHECK(t != NULL && t->method == NULL && t->body == NULL);
	cq_table_def_free(t);
}

/* One group: every page a POST, pageToken in the query string. */
static void
test_pages(void)
{
	static const char *proj[] = {"p1"};
	static const char *zone[] = {"us-central1-a"};
	static const char *igm[] = {"igm-a"};
	CqKeyValues kv[3];
	H3Job		j;
	Texts		tx;
	int			cols[] = {0, 4, 2};
	char		tj[4096];
	CqTableDef *t;
	long		n,
				posts,
				gets;

	snprintf(tj, sizeof(tj), MI_TABLE, "t=pg,n=5,per=2", "t=pg,n=5,per=2");
	t = h3_table(tj);
	kv_set(&kv[0], "project", proj);
	kv_set(&kv[1], "zone", zone);
	kv_set(&kv[2], "igm", igm);
	CQ_CHECK(run(&j, t, cols, 3, kv, 3, &tx) == CQ_JOB_DONE);
	CQ_CHECKF(j.rows == 5 && j.distinct == 5, "rows %ld distinct %ld", j.rows, j.distinct);
	CQ_CHECK_STR(tx.s, "igm-a-1,igm-a-2,igm-a-3,igm-a-4,igm-a-5");
	n = mock_requests("/gpost/t=pg,n=5,per=2/", &posts, &gets);
	CQ_CHECKF(n == 3 && posts == 3 && gets == 0, "%ld requests, %ld POST, %ld GET", n, posts, gets);
	CQ_CHECK(j.st.pages == 3);
	h3_done(&j);
}

/* The groups of a project through the parent listing (one GET). */
static void
test_parent(void)
{
	static const char *proj[] = {"p1"};
	CqKeyValues kv[1];
	H3Job		j;
	Texts		tx;
	int			cols[] = {0, 2, 3};
	char		tj[4096];
	CqTableDef *t;
	long		n,
				posts,
				gets;

	snprintf(tj, sizeof(tj), MI_TABLE, "t=par,n=3,per=2", "t=par,n=3,per=2");
	t = h3_table(tj);
	kv_set(&kv[0], "project", proj);
	CQ_CHECK(run(&j, t, cols, 3, kv, 1, &tx) == CQ_JOB_DONE);
	/* igm-a and igm-b (zonal), 3 instances each; rigm-c is regional: no
	 * zone, so no {zone} and no child */
	CQ_CHECKF(j.rows == 6 && j.distinct == 6, "rows %ld distinct %ld", j.rows, j.distinct);
	CQ_CHECKF(strstr(tx.s, "us-central1-a") && strstr(tx.s, "europe-west1-b") && !strstr(tx.s, "http"),
			  "zones \"%s\"", tx.s);
	n = mock_requests("/gpost/t=par,n=3,per=2/", &posts, &gets);
	CQ_CHECKF(n == 5 && gets == 1 && posts == 4, "%ld requests, %ld POST, %ld GET", n, posts, gets);
	CQ_CHECK(j.nfailed == 0);
	h3_done(&j);
}

/* The body is sent (its filter member takes effect); a 503 is retried. */
static void
test_body_retry(void)
{
	static const char *proj[] = {"p1"};
	static const char *zone[] = {"us-central1-a"};
	static const char *ig[] = {"igm-a"};
	CqKeyValues kv[3];
	H3Job		j;
	Texts		tx;
	int			cols[] = {0, 1};
	char		tj[4096];
	CqTableDef *t;
	long		n,
				posts,
				gets;

	kv_set(&kv[0], "project", proj);
	kv_set(&kv[1], "zone", zone);
	kv_set(&kv[2], "ig", ig);
	snprintf(tj, sizeof(tj), LI_TABLE, "t=b1,n=6,per=4", ",\"body\":{\"instanceState\":\"RUNNING\"}");
	t = h3_table(tj);
	CQ_CHECK(run(&j, t, cols, 2, kv, 3, &tx) == CQ_JOB_DONE);
	CQ_CHECKF(j.rows == 3, "rows %ld with instanceState RUNNING", j.rows);
	CQ_CHECK_STR(tx.s, "RUNNING,RUNNING,RUNNING");
	h3_done(&j);

	snprintf(tj, sizeof(tj), LI_TABLE, "t=b2,n=6,per=4", "");
	t = h3_table(tj);
	CQ_CHECK(run(&j, t, cols, 2, kv, 3, &tx) == CQ_JOB_DONE);
	CQ_CHECKF(j.rows == 6, "rows %ld without a body", j.rows);
	h3_done(&j);

	/* a 503 on the second page's POST: retried, the same POST */
	h3_mock("/_mock/fault?route=/gpost/t=b3,n=6,per=4/&mode=503&count=1&after=1");
	snprintf(tj, sizeof(tj), LI_TABLE, "t=b3,n=6,per=4", ",\"body\":{\"instanceState\":\"ALL\"}");
	t = h3_table(tj);
	CQ_CHECK(run(&j, t, cols, 2, kv, 3, &tx) == CQ_JOB_DONE);
	CQ_CHECKF(j.rows == 6, "rows %ld after a retried POST", j.rows);
	CQ_CHECK(j.st.retries == 1);
	n = mock_requests("/gpost/t=b3,n=6,per=4/", &posts, &gets);
	CQ_CHECKF(n == 3 && posts == 3, "%ld requests, %ld POST", n, posts);
	h3_done(&j);
}

void
suite_post_list(void)
{
	test_spec();
	if (!h3_mock_up())
		return;
	h3_mock("/_mock/reset");
	test_pages();
	test_parent();
	test_body_retry();
}
