/*
 * test_http.c -- the HTTP engine against the mock API: retries and backoff,
 * Retry-After, connection errors, truncation, bad JSON, API messages, size
 * caps, redirects and the outbound policy, secrecy of credentials, cancel.
 *
 * Also holds the job helpers (h3_*) shared by test_pagination.c and
 * test_sched.c: build a table from spec JSON, run a job to completion the
 * way the FDW does (wait on the eventfd, non-blocking next), read the
 * mock's counters.
 */
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cq_sdk.h"
#include "cqtest.h"
#include "jobtest.h"

void		suite_http(void);

/* ---------------------------------------------------------------- helpers */

double
h3_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

CqTableDef *
h3_table(const char *json)
{
	CqError		err;
	CqTableDef *t;

	memset(&err, 0, sizeof(err));
	t = cq_spec_parse_table(json, strlen(json), &err);
	if (!t)
		fprintf(stderr, "h3_table: %s\n", err.message);
	return t;
}

void
h3_params(H3Job *j, CqTableDef *t)
{
	memset(j, 0, sizeof(*j));
	j->t = t;
	for (int i = 0; t && i < t->ncolumns && i < 64; i++)
		j->cols[i] = i;
	j->p.table = t;
	j->p.base_url = cqt_mock_url();
	j->p.nout = t ? (t->ncolumns < 64 ? t->ncolumns : 64) : 0;
	j->p.out_cols = j->cols;
	j->p.limit = -1;
	cq_job_settings_default(&j->p.settings);
	j->p.settings.retry_base_ms = 20;
	j->p.settings.retry_max_ms = 5000;
	j->id_col = t ? cq_table_find_column(t, "id") : -1;
}

/* Run to the end.  Counts rows and distinct ids (ids < H3_MAXID). */
CqJobState
h3_run(H3Job *j)
{
	CqError		err;
	CqJob	   *job;
	CqJobState	st = CQ_JOB_PENDING;
	double		t0 = h3_now();
	int			idpos = -1;

	memset(&err, 0, sizeof(err));
	j->rows = j->distinct = j->batches = 0;
	j->max_batch_bytes = 0;
	free(j->seen);
	j->seen = calloc(H3_MAXID, 1);
	for (int c = 0; c < j->p.nout; c++)
		if (j->p.out_cols[c] == j->id_col)
			idpos = c;
	job = cq_job_start(&j->p, &err);
	if (!job)
	{
		j->err = err;
		j->elapsed_ms = h3_now() - t0;
		return CQ_JOB_FAILED;
	}
	for (;;)
	{
		CqBatch    *b;

		st = cq_job_next(job, &b);
		if (st == CQ_JOB_BATCH)
		{
			j->batches++;
			if (b->bytes > j->max_batch_bytes)
				j->max_batch_bytes = b->bytes;
			for (int r = 0; r < b->nrows; r++)
			{
				j->rows++;
				if (idpos >= 0)
				{
					CqValue    *v = &b->values[r * b->ncols + idpos];

					if (!v->isnull && v->u.i > 0 && v->u.i < H3_MAXID && !j->seen[v->u.i])
					{
						j->seen[v->u.i] = 1;
						j->distinct++;
					}
				}
			}
			if (j->on_batch)
				j->on_batch(j, b);
			if (j->release)
				cq_job_release_batch(job, b);
			else
				cq_batch_free(b);
			if (j->cancel_after_rows > 0 && j->rows >= j->cancel_after_rows)
			{
				double		c0 = h3_now();

				cq_job_free(job);
				j->free_ms = h3_now() - c0;
				j->canceled = true;
				j->elapsed_ms = h3_now() - t0;
				return CQ_JOB_FAILED;
			}
			continue;
		}
		if (st == CQ_JOB_PENDING)
		{
			struct pollfd pfd = {cq_job_fd(job), POLLIN, 0};

			poll(&pfd, 1, 1000);
			if (j->cancel_after_ms > 0 && h3_now() - t0 > j->cancel_after_ms)
			{
				double		c0 = h3_now();

				cq_job_free(job);
				j->free_ms = h3_now() - c0;
				j->canceled = true;
				j->elapsed_ms = h3_now() - t0;
				return CQ_JOB_FAILED;
			}
			continue;
		}
		break;
	}
	j->elapsed_ms = h3_now() - t0;
	if (st == CQ_JOB_FAILED)
		j->err = *cq_job_error(job);
	cq_job_get_stats(job, &j->st);
	{
		int			n;
		const CqColumnWarning *w = cq_job_column_warnings(job, &n);

		j->nwarn = 0;
		for (int c = 0; c < n && c < 64; c++)
		{
			j->warn[c] = w[c];
			if (w[c].count)
				j->nwarn++;
		}
	}
	{
		const CqError *fe;

		j->nfailed = cq_job_failed_units(job, &fe);
		if (j->nfailed > 0)
			j->first_failed = fe[0];
	}
	cq_job_free(job);
	return st;
}

void
h3_done(H3Job *j)
{
	free(j->seen);
	j->seen = NULL;
	cq_table_def_free(j->t);
	j->t = NULL;
}

/* Mock control: count and max concurrency of requests under a prefix. */
long
h3_mock_count(const char *prefix, long *max_conc)
{
	char		q[512];
	char	   *body;
	json_t	   *doc;
	long		n = -1;

	snprintf(q, sizeof(q), "/_mock/stats?route=%s", prefix);
	body = cqt_mock_get(q);
	doc = json_loads(body, 0, NULL);
	if (doc)
	{
		n = (long) json_integer_value(json_object_get(doc, "prefix_count"));
		if (max_conc)
			*max_conc = (long) json_integer_value(json_object_get(doc, "prefix_max_concurrent"));
	}
	json_decref(doc);
	free(body);
	return n;
}

void
h3_mock(const char *path)
{
	free(cqt_mock_get(path));
}

bool
h3_mock_up(void)
{
	char	   *b = cqt_mock_get("/_mock/health");
	bool		ok = strstr(b, "true") != NULL;

	free(b);
	if (!ok)
		cqt_skip(cqt_current, "mock API not running (start test/mock/mock_api.py, set MOCK_URL)");
	return ok;
}

/* ------------------------------------------------------------------ tests */

static const char *SMALL_TABLE =
"{\"name\":\"t\",\"endpoint\":\"%s\",\"rows\":\"%s\","
"\"pagination\":\"none\","
"\"columns\":[{\"name\":\"id\",\"type\":\"int\"},{\"name\":\"name\",\"type\":\"string\"}]}";

static CqTableDef *
small_table(const char *endpoint, const char *rows)
{
	char		buf[2048];

	snprintf(buf, sizeof(buf), SMALL_TABLE, endpoint, rows);
	return h3_table(buf);
}

static void
test_get_ok(void)
{
	H3Job		j;

	h3_mock("/_mock/reset");
	h3_params(&j, small_table("/gen/page/ok?n=10&per_page=10&shape=small", "/items"));
	CQ_CHECK(h3_run(&j) == CQ_JOB_DONE);
	CQ_CHECKF(j.rows == 10, "rows %ld", j.rows);
	CQ_CHECK(j.distinct == 10);
	CQ_CHECK(j.st.requests == 1 && j.st.pages == 1 && j.st.rows == 10);
	CQ_CHECK(j.st.bytes > 0 && j.st.units == 1);
	h3_done(&j);
}

static void
test_429(const char *mode)
{
	H3Job		j;
	char		q[256];

	h3_mock("/_mock/reset");
	/*
	 * An HTTP date has 1 s resolution: with 1 s the date the client reads
	 * may already be past on a slow run (valgrind), so the date form asks
	 * for 2 s and still has at least one second left to wait.
	 */
	snprintf(q, sizeof(q), "/_mock/fault?route=/gen/page/ra&mode=%s&count=1&retry_after=%d",
			 mode, strcmp(mode, "429") == 0 ? 1 : 2);
	h3_mock(q);
	h3_params(&j, small_table("/gen/page/ra?n=3&shape=small", "/items"));
	CQ_CHECK(h3_run(&j) == CQ_JOB_DONE);
	CQ_CHECK(j.rows == 3);
	CQ_CHECKF(j.st.retries == 1, "%s retries %lu", mode, (unsigned long) j.st.retries);
	CQ_CHECK(j.st.requests == 2);
	/* Retry-After: 1 s (an HTTP date has 1 s resolution: allow its rounding) */
	CQ_CHECKF(j.elapsed_ms >= (strcmp(mode, "429") == 0 ? 1000 : 0) &&
			  j.st.ratelimit_wait_ms >= (strcmp(mode, "429") == 0 ? 1000 : 1),
			  "%s elapsed %.0f ms, wait %.0f ms", mode, j.elapsed_ms, j.st.ratelimit_wait_ms);
	printf("  %s: Retry-After honoured, elapsed %.0f ms\n", mode, j.elapsed_ms);
	h3_done(&j);
}

static void
test_503_twice(void)
{
	H3Job		j;

	h3_mock("/_mock/reset");
	h3_mock("/_mock/fault?route=/gen/page/s503&mode=503&count=2");
	h3_params(&j, small_table("/gen/page/s503?n=4&shape=small", "/items"));
	CQ_CHECK(h3_run(&j) == CQ_JOB_DONE);
	CQ_CHECK(j.rows == 4 && j.st.retries == 2);
	CQ_CHECK(h3_mock_count("/gen/page/s503", NULL) == 3);
	h3_done(&j);
}

static void
test_500_forever(void)
{
	H3Job		j;

	h3_mock("/_mock/reset");
	h3_mock("/_mock/fault?route=/gen/page/s500&mode=500&count=-1");
	h3_params(&j, small_table("/gen/page/s500?n=4&shape=small", "/items"));
	j.p.settings.max_retries = 3;
	CQ_CHECK(h3_run(&j) == CQ_JOB_FAILED);
	CQ_CHECK(j.err.kind == CQ_ERR_HTTP);
	CQ_CHECK(j.err.http_status == 500);
	CQ_CHECK_STR(j.err.api_message, "Server Error");
	CQ_CHECK(strstr(j.err.url, "/gen/page/s500") != NULL);
	CQ_CHECKF(h3_mock_count("/gen/page/s500", NULL) == 4, "requests %ld",
			  h3_mock_count("/gen/page/s500", NULL));
	h3_done(&j);
}

static void
test_reset_and_truncate(void)
{
	H3Job		j;

	h3_mock("/_mock/reset");
	h3_mock("/_mock/fault?route=/gen/page/rst&mode=reset&count=1");
	h3_params(&j, small_table("/gen/page/rst?n=4&shape=small", "/items"));
	CQ_CHECK(h3_run(&j) == CQ_JOB_DONE);
	CQ_CHECK(j.rows == 4 && j.st.retries == 1);
	h3_done(&j);

	/* truncated once: retried; truncated forever: TRANSFER, named */
	h3_mock("/_mock/reset");
	h3_mock("/_mock/fault?route=/gen/page/tr1&mode=truncate&count=1");
	h3_params(&j, small_table("/gen/page/tr1?n=40&shape=small", "/items"));
	CQ_CHECK(h3_run(&j) == CQ_JOB_DONE);
	CQ_CHECK(j.rows == 40 && j.st.retries == 1);
	h3_done(&j);

	h3_mock("/_mock/fault?route=/gen/page/trx&mode=truncate&count=-1");
	h3_params(&j, small_table("/gen/page/trx?n=40&shape=small", "/items"));
	j.p.settings.max_retries = 2;
	CQ_CHECK(h3_run(&j) == CQ_JOB_FAILED);
	CQ_CHECK(j.err.kind == CQ_ERR_TRANSFER);
	CQ_CHECK(strstr(j.err.message, "connection closed before the response was complete") != NULL);
	CQ_CHECK(h3_mock_count("/gen/page/trx", NULL) == 3);
	h3_done(&j);
}

static void
test_badjson(void)
{
	H3Job		j;

	h3_mock("/_mock/reset");
	h3_mock("/_mock/fault?route=/gen/page/bj&mode=badjson&count=1");
	h3_params(&j, small_table("/gen/page/bj?n=10&shape=small", "/items"));
	CQ_CHECK(h3_run(&j) == CQ_JOB_FAILED);
	CQ_CHECK(j.err.kind == CQ_ERR_JSON);
	CQ_CHECKF(strstr(j.err.message, "invalid JSON in response") && strstr(j.err.message, "line"),
			  "%s", j.err.message);
	h3_done(&j);
}

static void
test_404_message(void)
{
	H3Job		j;

	h3_mock("/_mock/reset");
	h3_params(&j, small_table("/nope/at/all", ""));
	CQ_CHECK(h3_run(&j) == CQ_JOB_FAILED);
	CQ_CHECK(j.err.kind == CQ_ERR_HTTP && j.err.http_status == 404);
	CQ_CHECKF(strstr(j.err.api_message, "Not Found") != NULL, "%s", j.err.api_message);
	CQ_CHECK(h3_mock_count("/nope", NULL) == 1);	/* 404 is not retried */
	h3_done(&j);
}

static void
test_size_caps(void)
{
	H3Job		j;

	h3_mock("/_mock/reset");
	h3_params(&j, small_table("/hostile/longstring?mb=4", ""));
	j.p.settings.max_response_bytes = 1024 * 1024;
	CQ_CHECK(h3_run(&j) == CQ_JOB_FAILED);
	CQ_CHECK(j.err.kind == CQ_ERR_LIMIT);
	CQ_CHECK_STR(j.err.setting, "max_response_bytes");
	h3_done(&j);

	/* a gzip bomb: small on the wire, the cap counts decompressed bytes */
	h3_params(&j, small_table("/hostile/bomb?mb=64", "/items"));
	j.p.settings.max_response_bytes = 8 * 1024 * 1024;
	CQ_CHECK(h3_run(&j) == CQ_JOB_FAILED);
	CQ_CHECK(j.err.kind == CQ_ERR_LIMIT);
	CQ_CHECK_STR(j.err.setting, "max_response_bytes");
	h3_done(&j);

	/* a long string under the body cap: max_string_bytes */
	h3_params(&j, small_table("/hostile/longstring?mb=2", ""));
	j.p.settings.max_string_bytes = 1024 * 1024;
	CQ_CHECK(h3_run(&j) == CQ_JOB_FAILED);
	CQ_CHECK(j.err.kind == CQ_ERR_LIMIT);
	CQ_CHECK_STR(j.err.setting, "max_string_bytes");
	h3_done(&j);

	/* deep nesting: refused before jansson recurses */
	h3_params(&j, small_table("/hostile/deep?depth=100000", "/items"));
	CQ_CHECK(h3_run(&j) == CQ_JOB_FAILED);
	CQ_CHECK(j.err.kind == CQ_ERR_LIMIT);
	CQ_CHECK_STR(j.err.setting, "max_json_depth");
	h3_done(&j);

	/* big header */
	h3_params(&j, small_table("/hostile/bigheader?kb=80", ""));
	j.p.settings.max_header_bytes = 16 * 1024;
	CQ_CHECK(h3_run(&j) == CQ_JOB_FAILED);
	CQ_CHECK(j.err.kind == CQ_ERR_LIMIT);
	CQ_CHECK_STR(j.err.setting, "max_header_bytes");
	h3_done(&j);
}

static void
test_redirects(void)
{
	H3Job		j;

	h3_mock("/_mock/reset");
	/* followed (relative Location resolved against the request) */
	h3_params(&j, small_table("/redirect?to=/gen/page/rd%3Fn%3D5%26shape%3Dsmall", "/items"));
	CQ_CHECK(h3_run(&j) == CQ_JOB_DONE);
	CQ_CHECK(j.rows == 5);
	h3_done(&j);

	/* to file:// refused */
	h3_params(&j, small_table("/redirect?to=file:///etc/passwd", ""));
	CQ_CHECK(h3_run(&j) == CQ_JOB_FAILED);
	CQ_CHECK(j.err.kind == CQ_ERR_POLICY);
	h3_done(&j);

	/* to a metadata address refused by the policy */
	h3_params(&j, small_table("/redirect?to=http://169.254.169.254/latest/meta-data/", ""));
	CQ_CHECK(h3_run(&j) == CQ_JOB_FAILED);
	CQ_CHECK(j.err.kind == CQ_ERR_POLICY);
	h3_done(&j);

	/* a redirect loop is bounded by max_redirects */
	h3_mock("/_mock/reset");
	h3_params(&j, small_table("/redirect?to=/redirect%3Fto%3D/redirect%253Fto%253D/redirect", ""));
	j.p.settings.max_redirects = 2;
	CQ_CHECK(h3_run(&j) == CQ_JOB_FAILED);
	CQ_CHECK(j.err.kind == CQ_ERR_LIMIT);
	CQ_CHECK_STR(j.err.setting, "max_redirects");
	CQ_CHECK(h3_mock_count("/redirect", NULL) == 3);
	h3_done(&j);
}

static void
test_secret_never_in_error(void)
{
	static const char *tok = "ghp_SuperSecretToken123";
	const char *src_json = "{\"name\":\"s\",\"auth\":\"bearer\",\"base_url\":\"http://x\","
		"\"tables\":[{\"name\":\"t\",\"endpoint\":\"/gen/page/sec?n=3&token=ghp_SuperSecretToken123\","
		"\"rows\":\"/items\",\"columns\":[{\"name\":\"id\",\"type\":\"int\"}]}]}";
	CqError		err;
	CqSourceDef *src;
	H3Job		j;

	memset(&err, 0, sizeof(err));
	src = cq_spec_parse(src_json, strlen(src_json), &err);
	CQ_CHECKF(src != NULL, "%s", err.message);
	if (!src)
		return;
	h3_mock("/_mock/reset");
	h3_mock("/_mock/fault?route=/gen/page/sec&mode=401&count=-1");
	h3_params(&j, NULL);
	j.t = NULL;
	j.p.table = &src->tables[0];
	j.p.source = src;
	j.p.nout = 1;
	j.p.out_cols = j.cols;
	j.cols[0] = 0;
	j.id_col = 0;
	j.p.cred.token = tok;
	CQ_CHECK(h3_run(&j) == CQ_JOB_FAILED);
	CQ_CHECK(j.err.kind == CQ_ERR_HTTP && j.err.http_status == 401);
	{
		/* grep the whole struct, every field, for the token */
		const char *raw = (const char *) &j.err;
		bool		found = false;

		for (size_t i = 0; i + strlen(tok) <= sizeof(j.err); i++)
			if (memcmp(raw + i, "SuperSecret", 11) == 0)
				found = true;
		CQ_CHECK(!found);
	}
	/* the mock saw the bearer token (scheme recorded) */
	{
		char	   *b = cqt_mock_get("/_mock/requests?route=/gen/page/sec");

		CQ_CHECK(strstr(b, "Bearer:") != NULL || strstr(b, "bearer:") != NULL);
		free(b);
	}
	h3_done(&j);
	cq_source_def_free(src);
}

/* true if any byte range of the struct holds `needle` */
static bool
mem_has(const void *mem, size_t n, const char *needle)
{
	size_t		nl = strlen(needle);

	for (size_t i = 0; i + nl <= n; i++)
		if (memcmp((const char *) mem + i, needle, nl) == 0)
			return true;
	return false;
}

/* run a one-table source (auth `auth`) against `endpoint` with credentials */
static CqJobState
echo_job(H3Job *j, CqSourceDef **srcp, const char *auth, const char *endpoint,
		 const char *coltype, const char *user, const char *token)
{
	char		json[1024];
	CqError		err;

	snprintf(json, sizeof(json),
			 "{\"name\":\"s\",\"auth\":\"%s\",\"base_url\":\"http://x\","
			 "\"tables\":[{\"name\":\"t\",\"endpoint\":\"%s\",\"columns\":["
			 "{\"name\":\"id\",\"type\":\"int\"},{\"name\":\"ip\",\"type\":\"%s\"}]}]}",
			 auth, endpoint, coltype);
	memset(&err, 0, sizeof(err));
	*srcp = cq_spec_parse(json, strlen(json), &err);
	CQ_CHECKF(*srcp != NULL, "%s", err.message);
	h3_params(j, NULL);
	if (!*srcp)
		return CQ_JOB_FAILED;
	j->p.table = &(*srcp)->tables[0];
	j->p.source = *srcp;
	j->p.nout = 2;
	j->p.out_cols = j->cols;
	j->cols[0] = 0;
	j->cols[1] = 1;
	j->id_col = 0;
	j->p.cred.user = user;
	j->p.cred.token = token;
	return h3_run(j);
}

/*
 * An API that echoes the credentials it received (issue 20, point 5): a
 * 401 body "you sent Authorization: Bearer <token>", a Basic header and
 * its decoded user:password, a row value holding the token.  None of it
 * may come out of the job (error, skipped-unit error, column warning):
 * the text is kept, each credential becomes REDACTED, also when the
 * message is cut in the middle of a token.
 */
static void
test_echoed_credentials(void)
{
	static const char *tok = "tok-Echo-9f8e7d6c5b4a";
	CqSourceDef *src = NULL;
	H3Job		j;
	char		longtok[701];

	/* bearer, in a 401 body */
	h3_mock("/_mock/reset");
	CQ_CHECK(echo_job(&j, &src, "bearer", "/echo/auth401", "string", NULL, tok) == CQ_JOB_FAILED);
	CQ_CHECK(j.err.kind == CQ_ERR_HTTP && j.err.http_status == 401);
	CQ_CHECK_STR(j.err.api_message, "Bad credentials: you sent Authorization: Bearer REDACTED");
	CQ_CHECK(!mem_has(&j.err, sizeof(j.err), "Echo-9f8e"));
	h3_done(&j);
	cq_source_def_free(src);

	/* basic: the header's base64 and the decoded user:password */
	h3_mock("/_mock/reset");
	CQ_CHECK(echo_job(&j, &src, "basic", "/echo/auth401", "string", "alice-echo",
					  "pw-Echo-1234abcd") == CQ_JOB_FAILED);
	CQ_CHECK_STR(j.err.api_message,
				 "Bad credentials: you sent Authorization: Basic REDACTED; decoded REDACTED:REDACTED");
	CQ_CHECK(!mem_has(&j.err, sizeof(j.err), "pw-Echo"));
	CQ_CHECK(!mem_has(&j.err, sizeof(j.err), "alice-echo"));
	CQ_CHECK(!mem_has(&j.err, sizeof(j.err), "YWxpY2UtZWNobzpwdy1FY2hv"));	/* base64 */
	h3_done(&j);
	cq_source_def_free(src);

	/* a token longer than api_message: the cut-off rest is no clue either */
	for (int i = 0; i < 700; i++)
		longtok[i] = "abcdefghijklmnopqrstuvwxyz0123456789"[(i * 7 + i / 36) % 36];
	longtok[700] = '\0';
	h3_mock("/_mock/reset");
	CQ_CHECK(echo_job(&j, &src, "bearer", "/echo/auth401", "string", NULL, longtok) == CQ_JOB_FAILED);
	CQ_CHECKF(strstr(j.err.api_message, "Bearer REDACTED") != NULL, "%s", j.err.api_message);
	{
		char		piece[9];
		bool		leak = false;

		/* no 8 consecutive characters of the token anywhere */
		for (int i = 0; i + 8 <= 700 && !leak; i++)
		{
			memcpy(piece, longtok + i, 8);
			piece[8] = '\0';
			leak = mem_has(&j.err, sizeof(j.err), piece);
		}
		CQ_CHECK(!leak);
	}
	h3_done(&j);
	cq_source_def_free(src);

	/* the token as a row value: the invalid-value warning's example */
	h3_mock("/_mock/reset");
	CQ_CHECK(echo_job(&j, &src, "bearer", "/echo/rows", "inet", NULL, tok) == CQ_JOB_DONE);
	CQ_CHECK(j.rows == 1);
	CQ_CHECKF(j.nwarn == 1 && j.warn[1].count == 1, "nwarn %d", j.nwarn);
	CQ_CHECKF(strstr(j.warn[1].example, "REDACTED") != NULL, "%s", j.warn[1].example);
	CQ_CHECK(!mem_has(j.warn, sizeof(j.warn), "Echo-9f8e"));
	h3_done(&j);
	cq_source_def_free(src);

	/* a body that is not the API's (HTML, a banner) is not echoed at all */
	h3_mock("/_mock/reset");
	CQ_CHECK(echo_job(&j, &src, "bearer", "/echo/text500", "string", NULL, tok) == CQ_JOB_FAILED);
	CQ_CHECK(j.err.kind == CQ_ERR_HTTP && j.err.http_status == 500);
	CQ_CHECK_STR(j.err.api_message, "");
	CQ_CHECK(!mem_has(&j.err, sizeof(j.err), "admin console"));
	CQ_CHECK(!mem_has(&j.err, sizeof(j.err), "OpenSSH"));
	h3_done(&j);
	cq_source_def_free(src);
}

/*
 * base_url with trailing slashes: one '/' between it and the endpoint
 * (issue 20, point 8a: "http://h/api//" + "/items" made "/api///items").
 * The mock's log shows the path as received.
 */
static void
test_base_url_slashes(void)
{
	static const char *const bases[] = {"/gen/", "/gen//", "/gen"};
	char		base[256];

	for (size_t i = 0; i < sizeof(bases) / sizeof(bases[0]); i++)
	{
		H3Job		j;
		char	   *b;

		h3_mock("/_mock/reset");
		h3_params(&j, small_table("/page/slash?n=2&shape=small", "/items"));
		snprintf(base, sizeof(base), "%s%s", cqt_mock_url(), bases[i]);
		j.p.base_url = base;
		CQ_CHECKF(h3_run(&j) == CQ_JOB_DONE, "%s: %s %s", bases[i], j.err.message, j.err.url);
		CQ_CHECK(j.rows == 2);
		b = cqt_mock_get("/_mock/requests");
		CQ_CHECKF(b && strstr(b, "\"path\":\"/gen/page/slash?n=2&shape=small\"") != NULL,
				  "base %s: %s", bases[i], b ? b : "(null)");
		free(b);
		h3_done(&j);
	}
}

static void
test_cancel_mid_transfer(void)
{
	H3Job		j;

	h3_mock("/_mock/reset");
	h3_mock("/_mock/fault?route=/gen/page/stall&mode=stall&count=-1&delay_ms=20000");
	h3_params(&j, small_table("/gen/page/stall?n=500&shape=small", "/items"));
	j.cancel_after_ms = 300;
	CQ_CHECK(h3_run(&j) == CQ_JOB_FAILED);
	CQ_CHECK(j.canceled);
	printf("  cancel mid-transfer: cq_job_free took %.1f ms\n", j.free_ms);
	h3_done(&j);
	h3_mock("/_mock/faults?clear=1");
}

/*
 * Proxy variables inherited from the environment are ignored: otherwise the
 * connect-time address check sees the proxy, not the target (SSRF bypass).
 * The proxy here is a closed port, so a job that used it would fail.
 */
static void
test_env_proxy_ignored(void)
{
	static const char *vars[] = {"http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY",
	"all_proxy", "ALL_PROXY"};
	H3Job		j;

	for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++)
		setenv(vars[i], "http://127.0.0.1:1/", 1);
	unsetenv("no_proxy");
	unsetenv("NO_PROXY");
	h3_mock("/_mock/reset");
	h3_params(&j, small_table("/gen/page/proxy?n=3&shape=small", "/items"));
	j.p.settings.max_retries = 0;
	CQ_CHECKF(h3_run(&j) == CQ_JOB_DONE, "%s", j.err.message);
	CQ_CHECK(j.rows == 3);
	h3_done(&j);
	for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++)
		unsetenv(vars[i]);
	/* (the helper's own curl honours the variables: ask after unsetting) */
	CQ_CHECK(h3_mock_count("/gen/page/proxy", NULL) == 1);
}

/* Run a one-column job of table 0 of a source spec (with credentials). */
static CqJobState
run_source(const char *src_json, const CqCredentials *cred, H3Job *j,
		   CqSourceDef **srcp)
{
	CqError		err;
	CqSourceDef *src;

	memset(&err, 0, sizeof(err));
	src = cq_spec_parse(src_json, strlen(src_json), &err);
	*srcp = src;
	CQ_CHECKF(src != NULL, "%s", err.message);
	h3_params(j, NULL);
	if (!src)
		return CQ_JOB_FAILED;
	j->p.table = &src->tables[0];
	j->p.source = src;
	j->p.nout = 1;
	j->p.out_cols = j->cols;
	j->cols[0] = 0;
	j->id_col = 0;
	if (cred)
		j->p.cred = *cred;
	return h3_run(j);
}

#define RL_SOURCE(endpoint) \
	"{\"name\":\"s\",\"auth\":\"bearer\",\"base_url\":\"http://x\"," \
	"\"ratelimit\":{\"remaining\":\"X-RateLimit-Remaining\",\"reset\":\"X-RateLimit-Reset\"}," \
	"\"tables\":[{\"name\":\"t\",\"endpoint\":\"" endpoint "\",\"rows\":\"/items\"," \
	"\"columns\":[{\"name\":\"id\",\"type\":\"int\"}]}]}"

/*
 * GitHub's primary rate limit: 403 with X-RateLimit-Remaining: 0 and
 * X-RateLimit-Reset (epoch s).  A reset within retry_max_ms is waited for,
 * then the request succeeds; a reset beyond it fails at once with
 * CQ_ERR_RATE_LIMIT naming retry_max_ms.
 */
static void
test_github_ratelimit(void)
{
	H3Job		j;
	CqSourceDef *src;
	CqCredentials cred = {"tok", NULL, NULL};

	h3_mock("/_mock/reset");
	h3_mock("/_mock/fault?route=/gen/page/rl1&mode=ratelimit&count=1&retry_after=1");
	CQ_CHECKF(run_source(RL_SOURCE("/gen/page/rl1?n=5&shape=small"), &cred, &j, &src) == CQ_JOB_DONE,
			  "%s", j.err.message);
	CQ_CHECK(j.rows == 5);
	CQ_CHECK(j.st.retries == 1 && j.st.requests == 2);
	/* the reset is now + 1 s rounded up to a whole second */
	CQ_CHECKF(j.elapsed_ms >= 900 && j.elapsed_ms < 4000 && j.st.ratelimit_wait_ms >= 900,
			  "elapsed %.0f ms, wait %.0f ms", j.elapsed_ms, j.st.ratelimit_wait_ms);
	printf("  GitHub rate limit (reset in 1 s): waited, elapsed %.0f ms\n", j.elapsed_ms);
	h3_done(&j);
	cq_source_def_free(src);

	h3_mock("/_mock/reset");
	h3_mock("/_mock/fault?route=/gen/page/rl2&mode=ratelimit&count=-1&retry_after=120");
	CQ_CHECK(run_source(RL_SOURCE("/gen/page/rl2?n=5&shape=small"), &cred, &j, &src) == CQ_JOB_FAILED);
	CQ_CHECKF(j.err.kind == CQ_ERR_RATE_LIMIT && j.err.http_status == 403, "kind %d status %d",
			  j.err.kind, j.err.http_status);
	CQ_CHECK_STR(j.err.setting, "retry_max_ms");
	CQ_CHECKF(strstr(j.err.api_message, "rate limit") != NULL, "%s", j.err.api_message);
	CQ_CHECKF(j.elapsed_ms < 2000, "gave up after %.0f ms", j.elapsed_ms);
	CQ_CHECK(h3_mock_count("/gen/page/rl2", NULL) == 1);
	h3_done(&j);
	cq_source_def_free(src);
	h3_mock("/_mock/faults?clear=1");
}

/* auth_ok of every logged request under route (all must match). */
static int
auth_ok_count(const char *route, int *total)
{
	char		q[256];
	char	   *b;
	json_t	   *doc;
	int			ok = 0;

	*total = 0;
	snprintf(q, sizeof(q), "/_mock/requests?route=%s", route);
	b = cqt_mock_get(q);
	doc = json_loads(b, 0, NULL);
	free(b);
	if (doc)
	{
		size_t		i;
		json_t	   *r;

		json_array_foreach(json_object_get(doc, "requests"), i, r)
		{
			(*total)++;
			if (json_is_true(json_object_get(r, "auth_ok")))
				ok++;
		}
	}
	json_decref(doc);
	return ok;
}

/*
 * Basic auth and a custom header carry the credential (the mock enforces
 * its sha256, so a wrong or missing one is a 401); a redirect to another
 * origin drops it.
 */
static void
test_auth_methods(void)
{
	H3Job		j;
	CqSourceDef *src;
	int			total,
				ok;
	char		srcj[2048];

	/* basic: sha256 of base64("alice:s3cret") */
	{
		CqCredentials cred = {"s3cret", "alice", NULL};

		h3_mock("/_mock/reset");
		h3_mock("/_mock/expect_token?sha256=d5f4f2cfc3a0d89e4c4455ebd79d3fd1eea2a12ac9ced4f2bc53aca9f89ada0b&enforce=1");
		CQ_CHECKF(run_source("{\"name\":\"s\",\"auth\":\"basic\",\"base_url\":\"http://x\","
							 "\"tables\":[{\"name\":\"t\",\"endpoint\":\"/gen/page/basic?n=30&per_page=10&shape=small\","
							 "\"rows\":\"/items\",\"pagination\":{\"type\":\"page_number\",\"next_param\":\"page\"},"
							 "\"columns\":[{\"name\":\"id\",\"type\":\"int\"}]}]}",
							 &cred, &j, &src) == CQ_JOB_DONE, "%s", j.err.message);
		CQ_CHECK(j.rows == 30);
		ok = auth_ok_count("/gen/page/basic", &total);
		CQ_CHECKF(total == 4 && ok == 4, "basic: %d of %d requests authenticated", ok, total);
		h3_done(&j);
		cq_source_def_free(src);

		/* a wrong password is refused by the mock: the job fails with 401 */
		cred.token = "wrong";
		h3_mock("/_mock/reset");
		h3_mock("/_mock/expect_token?sha256=d5f4f2cfc3a0d89e4c4455ebd79d3fd1eea2a12ac9ced4f2bc53aca9f89ada0b&enforce=1");
		CQ_CHECK(run_source("{\"name\":\"s\",\"auth\":\"basic\",\"base_url\":\"http://x\","
							"\"tables\":[{\"name\":\"t\",\"endpoint\":\"/gen/page/basic?n=3&shape=small\","
							"\"rows\":\"/items\",\"columns\":[{\"name\":\"id\",\"type\":\"int\"}]}]}",
							&cred, &j, &src) == CQ_JOB_FAILED);
		CQ_CHECK(j.err.http_status == 401);
		h3_done(&j);
		cq_source_def_free(src);
	}

	/* custom header X-Api-Key: sha256("k3y-abc") */
	{
		CqCredentials cred = {"k3y-abc", NULL, NULL};

		h3_mock("/_mock/reset");
		h3_mock("/_mock/expect_token?sha256=33d819eb4e8e8b2f24284ba4fdaad1707a2f81317fa2d73b45a51281f2bb0f11&enforce=1");
		CQ_CHECKF(run_source("{\"name\":\"s\",\"auth\":\"header\",\"auth_header\":\"X-Api-Key\",\"base_url\":\"http://x\","
							 "\"tables\":[{\"name\":\"t\",\"endpoint\":\"/gen/page/hdr?n=5&shape=small\","
							 "\"rows\":\"/items\",\"columns\":[{\"name\":\"id\",\"type\":\"int\"}]}]}",
							 &cred, &j, &src) == CQ_JOB_DONE, "%s", j.err.message);
		CQ_CHECK(j.rows == 5);
		ok = auth_ok_count("/gen/page/hdr", &total);
		CQ_CHECKF(total == 1 && ok == 1, "header: %d of %d requests authenticated", ok, total);
		{
			char	   *b = cqt_mock_get("/_mock/requests?route=/gen/page/hdr");

			CQ_CHECKF(strstr(b, "\"x-api-key:") != NULL, "%s", b);
			free(b);
		}
		h3_done(&j);
		cq_source_def_free(src);
	}

	/* a redirect to another origin (localhost vs 127.0.0.1) drops it */
	{
		CqCredentials cred = {"tok-xo", NULL, NULL};
		const char *port = strrchr(cqt_mock_url(), ':');
		char	   *b;
		json_t	   *doc;

		h3_mock("/_mock/reset");
		h3_mock("/_mock/expect_token?sha256=8493df4f3b207559134aa8aae6e7037d53ee03b0b14377e535b5ee48c98e63f5");
		snprintf(srcj, sizeof(srcj),
				 "{\"name\":\"s\",\"auth\":\"bearer\",\"base_url\":\"http://x\","
				 "\"tables\":[{\"name\":\"t\",\"endpoint\":\"/redirect?to=http://localhost%s/gen/page/xo%%3Fn%%3D4%%26shape%%3Dsmall\","
				 "\"rows\":\"/items\",\"columns\":[{\"name\":\"id\",\"type\":\"int\"}]}]}",
				 port ? port : ":18080");
		CQ_CHECKF(run_source(srcj, &cred, &j, &src) == CQ_JOB_DONE, "%s", j.err.message);
		CQ_CHECK(j.rows == 4);
		ok = auth_ok_count("/redirect", &total);
		CQ_CHECKF(total == 1 && ok == 1, "redirect: %d of %d authenticated", ok, total);
		b = cqt_mock_get("/_mock/requests?route=/gen/page/xo");
		doc = json_loads(b, 0, NULL);
		{
			json_t	   *r = json_array_get(json_object_get(doc, "requests"), 0);

			CQ_CHECKF(r && json_is_string(json_object_get(r, "auth")) &&
					  strcmp(json_string_value(json_object_get(r, "auth")), "none") == 0,
					  "other origin got a credential: %s", b);
		}
		json_decref(doc);
		free(b);
		h3_done(&j);
		cq_source_def_free(src);
	}
	h3_mock("/_mock/expect_token");
}

/*
 * Failures name what happened (issue 20, point 7): a truncated body and a
 * reset are transient transfer errors, retried and counted, not "could not
 * connect"; a Retry-After beyond retry_max_ms says how long the API asked
 * for; a redirect loop says where it went; jansson's own depth limit is a
 * depth limit; a long key value is a URL length error, not a policy
 * refusal.
 */
static void
test_errors_named(void)
{
	H3Job		j;
	char		buf[2048];
	char	   *big;

	/* truncated forever: named, retried max_retries times, counted */
	h3_mock("/_mock/reset");
	h3_mock("/_mock/fault?route=/gen/page/tn&mode=truncate&count=-1");
	h3_params(&j, small_table("/gen/page/tn?n=40&shape=small", "/items"));
	j.p.settings.max_retries = 2;
	CQ_CHECK(h3_run(&j) == CQ_JOB_FAILED);
	CQ_CHECKF(j.err.kind == CQ_ERR_TRANSFER, "kind %s", cq_error_kind_name(j.err.kind));
	CQ_CHECKF(strstr(j.err.message, "connection closed before the response was complete (received ") &&
			  strstr(j.err.message, "still failing after 2 retries"), "%s", j.err.message);
	CQ_CHECKF(j.st.retries == 2 && j.st.requests == 3, "retries %lu requests %lu",
			  (unsigned long) j.st.retries, (unsigned long) j.st.requests);
	h3_done(&j);

	/* reset forever: "connection reset", retried */
	h3_mock("/_mock/fault?route=/gen/page/rn&mode=reset&count=-1");
	h3_params(&j, small_table("/gen/page/rn?n=4&shape=small", "/items"));
	j.p.settings.max_retries = 1;
	CQ_CHECK(h3_run(&j) == CQ_JOB_FAILED);
	CQ_CHECKF(j.err.kind == CQ_ERR_TRANSFER, "kind %s", cq_error_kind_name(j.err.kind));
	CQ_CHECKF(strstr(j.err.message, "connection reset") != NULL, "%s", j.err.message);
	CQ_CHECK(j.st.retries == 1);
	h3_done(&j);
	h3_mock("/_mock/faults?clear=1");

	/* Retry-After: 120 with retry_max_ms 5000: fails at once, saying so */
	h3_mock("/_mock/fault?route=/gen/page/ra120&mode=429&count=-1&retry_after=120");
	h3_params(&j, small_table("/gen/page/ra120?n=3&shape=small", "/items"));
	CQ_CHECK(h3_run(&j) == CQ_JOB_FAILED);
	CQ_CHECK(j.err.kind == CQ_ERR_RATE_LIMIT && j.err.http_status == 429);
	CQ_CHECKF(strstr(j.err.message, "asked to wait 120 s") &&
			  strstr(j.err.message, "retry_max_ms (5000 ms)"), "%s", j.err.message);
	CQ_CHECK_STR(j.err.setting, "retry_max_ms");
	CQ_CHECK(h3_mock_count("/gen/page/ra120", NULL) == 1);
	h3_done(&j);
	h3_mock("/_mock/faults?clear=1");

	/* a redirect loop names where it was going */
	h3_params(&j, small_table("/redirect?to=/redirect%3Fto%3D/redirect%253Fto%253D/redirect", ""));
	j.p.settings.max_redirects = 2;
	CQ_CHECK(h3_run(&j) == CQ_JOB_FAILED);
	CQ_CHECKF(strstr(j.err.message, "more than 2 redirects in a row, the last one to http") != NULL,
			  "%s", j.err.message);
	h3_done(&j);

	/* a header line over libcurl's own limit is not max_header_bytes */
	h3_params(&j, small_table("/hostile/bigheader?kb=240", ""));
	j.p.settings.max_header_bytes = 1024 * 1024;
	CQ_CHECK(h3_run(&j) == CQ_JOB_FAILED);
	CQ_CHECKF(j.err.kind == CQ_ERR_LIMIT && strstr(j.err.message, "header line longer than 100 kB"),
			  "%s", j.err.message);
	CQ_CHECK_STR(j.err.setting, "header_line");
	h3_done(&j);

	/* deeper than jansson parses, under max_json_depth: a depth error */
	h3_params(&j, small_table("/hostile/deep?depth=3000", "/items"));
	j.p.settings.max_json_depth = 10000;
	CQ_CHECK(h3_run(&j) == CQ_JOB_FAILED);
	CQ_CHECKF(j.err.kind == CQ_ERR_LIMIT && strstr(j.err.message, "JSON nested deeper than 2048 levels"),
			  "%s: %s", cq_error_kind_name(j.err.kind), j.err.message);
	h3_done(&j);
	/* and the configured limit says its number of levels */
	h3_params(&j, small_table("/hostile/deep?depth=300", "/items"));
	j.p.settings.max_json_depth = 100;
	CQ_CHECK(h3_run(&j) == CQ_JOB_FAILED);
	CQ_CHECKF(strstr(j.err.message, "JSON nested deeper than 100 levels") != NULL, "%s", j.err.message);
	h3_done(&j);

	/* a 20 kB key value: a URL length error naming the column */
	big = malloc(20001);
	memset(big, 'a', 20000);
	big[20000] = '\0';
	snprintf(buf, sizeof(buf),
			 "{\"name\":\"t\",\"endpoint\":\"/users/{owner}/repos\",\"rows\":\"\","
			 "\"keys\":[{\"column\":\"owner\",\"param\":\"owner\",\"in\":\"path\",\"ops\":[\"=\"],\"required\":true}],"
			 "\"columns\":[{\"name\":\"owner\",\"type\":\"string\"},{\"name\":\"id\",\"type\":\"int\"}]}");
	h3_params(&j, h3_table(buf));
	{
		const char *vals[1] = {big};
		CqKeyValues kv = {"owner", CQ_OP_EQ, 1, vals};

		j.p.nkeys = 1;
		j.p.keys = &kv;
		CQ_CHECK(h3_run(&j) == CQ_JOB_FAILED);
	}
	CQ_CHECKF(j.err.kind == CQ_ERR_LIMIT, "kind %s: %s", cq_error_kind_name(j.err.kind), j.err.message);
	CQ_CHECK_STR(j.err.setting, "url_length");
	CQ_CHECKF(strstr(j.err.message, "the value for column owner is 20000 bytes") != NULL, "%s",
			  j.err.message);
	h3_done(&j);
	free(big);
}

/*
 * A 200 without a body and a rows pointer that matches nothing read as no
 * rows; the stats count them so the host can warn.  A 204 is empty on
 * purpose.
 */
static void
test_empty_and_missing_rows(void)
{
	H3Job		j;

	h3_mock("/_mock/reset");
	h3_params(&j, small_table("/hostile/empty", "/items"));
	CQ_CHECK(h3_run(&j) == CQ_JOB_DONE && j.rows == 0);
	CQ_CHECKF(j.st.empty_bodies == 1, "empty %lu", (unsigned long) j.st.empty_bodies);
	h3_done(&j);

	h3_params(&j, small_table("/hostile/empty?status=204", "/items"));
	CQ_CHECK(h3_run(&j) == CQ_JOB_DONE && j.rows == 0);
	CQ_CHECK(j.st.empty_bodies == 0);
	h3_done(&j);

	/* rows pointer /itemz: nothing (fast path and full tree alike) */
	h3_params(&j, small_table("/gen/page/miss?n=5&shape=small", "/itemz"));
	CQ_CHECK(h3_run(&j) == CQ_JOB_DONE && j.rows == 0);
	CQ_CHECKF(j.st.rows_missing == 1, "missing %lu", (unsigned long) j.st.rows_missing);
	h3_done(&j);
	h3_params(&j, small_table("/gen/page/miss?n=5&shape=small", "/items/*/nope"));
	CQ_CHECK(h3_run(&j) == CQ_JOB_DONE && j.rows == 0);
	CQ_CHECK(j.st.rows_missing == 1);
	h3_done(&j);

	/* present but empty is not missing */
	h3_params(&j, small_table("/gen/page/miss?n=0&shape=small", "/items"));
	CQ_CHECK(h3_run(&j) == CQ_JOB_DONE && j.rows == 0);
	CQ_CHECK(j.st.rows_missing == 0 && j.st.empty_bodies == 0);
	h3_done(&j);
}

void
suite_http(void)
{
	if (!h3_mock_up())
		return;
	test_get_ok();
	test_429("429");
	test_429("429date");
	test_503_twice();
	test_500_forever();
	test_reset_and_truncate();
	test_badjson();
	test_404_message();
	test_size_caps();
	test_redirects();
	test_secret_never_in_error();
	test_echoed_credentials();
	test_base_url_slashes();
	test_cancel_mid_transfer();
	test_env_proxy_ignored();
	test_github_ratelimit();
	test_auth_methods();
	test_errors_named();
	test_empty_and_missing_rows();
	h3_mock("/_mock/faults?clear=1");
}
