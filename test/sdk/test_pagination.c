/*
 * test_pagination.c -- every pagination style against the mock's generated
 * collections (counts and id uniqueness), empty collections, LIMIT stopping
 * the paging, concurrent pages when Link rel="last" is known, loop
 * detection, and the GitHub paginate-issues recording (Link as given).
 */
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cq_sdk.h"
#include "cqtest.h"

void		suite_pagination(void);

#include "jobtest.h"

#define COLS "\"columns\":[{\"name\":\"id\",\"type\":\"int\"},{\"name\":\"name\",\"type\":\"string\"}]"

static CqTableDef *
style_table(const char *style, const char *query)
{
	char		buf[2048];
	const char *pag = "";
	const char *rows = "/items";

	if (strcmp(style, "link") == 0)
	{
		pag = "\"link_header\"";
		rows = "";
	}
	else if (strcmp(style, "next_url") == 0)
		pag = "{\"type\":\"next_url\",\"next\":\"/next\"}";
	else if (strcmp(style, "next_token") == 0)
		pag = "{\"type\":\"next_token\",\"next\":\"/nextPageToken\",\"next_param\":\"pageToken\"}";
	else if (strcmp(style, "page") == 0)
		pag = "{\"type\":\"page_number\",\"next_param\":\"page\"}";
	else if (strcmp(style, "page_total") == 0)
	{
		pag = "{\"type\":\"page_number\",\"next_param\":\"page\",\"page_size_param\":\"per_page\",\"page_size\":37,\"total\":\"/total\"}";
		style = "page";
	}
	else if (strcmp(style, "offset") == 0)
		pag = "{\"type\":\"offset\",\"next_param\":\"offset\",\"page_size_param\":\"limit\",\"page_size\":37}";
	snprintf(buf, sizeof(buf),
			 "{\"name\":\"t\",\"endpoint\":\"/gen/%s/items?%s\",\"rows\":\"%s\",\"pagination\":%s," COLS "}",
			 style, query, rows, pag);
	return h3_table(buf);
}

static void
test_styles(void)
{
	static const char *styles[] = {"link", "next_url", "next_token", "page", "page_total", "offset"};

	for (size_t i = 0; i < sizeof(styles) / sizeof(styles[0]); i++)
	{
		H3Job		j;
		long		conc = 0;

		h3_mock("/_mock/reset");
		h3_params(&j, style_table(styles[i], "n=1000&per_page=37&shape=small"));
		if (!j.t)
		{
			CQ_CHECKF(false, "table for %s", styles[i]);
			continue;
		}
		CQ_CHECKF(h3_run(&j) == CQ_JOB_DONE, "%s: %s", styles[i], j.err.message);
		CQ_CHECKF(j.rows == 1000 && j.distinct == 1000, "%s: rows %ld distinct %ld",
				  styles[i], j.rows, j.distinct);
		/* 28 pages (27 full + 1 short); page_number needs one more (empty) */
		CQ_CHECKF(j.st.pages >= 28 && j.st.pages <= 29, "%s: pages %lu", styles[i],
				  (unsigned long) j.st.pages);
		CQ_CHECK(h3_mock_count("/gen/", &conc) == (long) j.st.requests);
		printf("  %-10s 1000 rows, %lu requests, max concurrent %ld\n", styles[i],
			   (unsigned long) j.st.requests, conc);
		h3_done(&j);

		/* empty collection: one request, no rows */
		h3_mock("/_mock/reset");
		h3_params(&j, style_table(styles[i], "n=0&shape=small"));
		CQ_CHECKF(h3_run(&j) == CQ_JOB_DONE && j.rows == 0 && j.st.requests == 1,
				  "%s empty: rows %ld requests %lu", styles[i], j.rows, (unsigned long) j.st.requests);
		h3_done(&j);
	}
}

/*
 * Rows reaching into each element (a child table: rows "/items/<*>/networks"):
 * page_number and offset paging go on while pages hold elements, even
 * when these have no child rows (small items have no networks).
 */
static void
test_child_rows(void)
{
	static const char *const cases[][3] = {
		{"page", "{\"type\":\"page_number\",\"next_param\":\"page\"}", "small"},
		{"offset", "{\"type\":\"offset\",\"next_param\":\"offset\",\"page_size_param\":\"limit\",\"page_size\":37}", "small"},
		{"page", "{\"type\":\"page_number\",\"next_param\":\"page\"}", "rich"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
	{
		H3Job		j;
		char		buf[1024];

		h3_mock("/_mock/reset");
		snprintf(buf, sizeof(buf),
				 "{\"name\":\"t\",\"endpoint\":\"/gen/%s/items?n=200&per_page=37&shape=%s\","
				 "\"rows\":\"/items/*/networks\",\"pagination\":%s,\"columns\":["
				 "{\"name\":\"item_id\",\"type\":\"int\",\"path\":\"^/id\"},"
				 "{\"name\":\"ip\",\"type\":\"inet\"}]}",
				 cases[i][0], cases[i][2], cases[i][1]);
		h3_params(&j, h3_table(buf));
		if (!j.t)
		{
			CQ_CHECKF(false, "table %zu", i);
			continue;
		}
		CQ_CHECKF(h3_run(&j) == CQ_JOB_DONE, "%zu: %s", i, j.err.message);
		/* 6 pages (5 full + 1 short), page_number one more (empty) */
		CQ_CHECKF(j.st.pages >= 6 && j.st.pages <= 7, "%zu: pages %lu", i,
				  (unsigned long) j.st.pages);
		if (strcmp(cases[i][2], "small") == 0)
			CQ_CHECKF(j.rows == 0, "%zu: rows %ld", i, j.rows);
		else
			CQ_CHECKF(j.rows == 399, "%zu: rows %ld", i, j.rows);	/* 1, 2, 3 networks per item */
		h3_done(&j);
	}
}

static void
test_limit(void)
{
	H3Job		j;
	char		buf[1024];

	/* 50 pages of 10; LIMIT 5 without page-size pushdown */
	h3_mock("/_mock/reset");
	h3_params(&j, style_table("link", "n=500&per_page=10&shape=small"));
	j.p.limit = 5;
	CQ_CHECK(h3_run(&j) == CQ_JOB_DONE);
	CQ_CHECK(j.rows == 5);
	CQ_CHECKF(h3_mock_count("/gen/link", NULL) <= 2, "requests %ld", h3_mock_count("/gen/link", NULL));
	h3_done(&j);

	/* with supports_limit: per_page=5, one request */
	h3_mock("/_mock/reset");
	snprintf(buf, sizeof(buf),
			 "{\"name\":\"t\",\"endpoint\":\"/gen/next_token/items?n=500&shape=small\",\"rows\":\"/items\","
			 "\"supports_limit\":true,\"pagination\":{\"type\":\"next_token\",\"next\":\"/nextPageToken\","
			 "\"next_param\":\"pageToken\",\"page_size_param\":\"per_page\",\"page_size\":100}," COLS "}");
	h3_params(&j, h3_table(buf));
	j.p.limit = 5;
	CQ_CHECK(h3_run(&j) == CQ_JOB_DONE);
	CQ_CHECK(j.rows == 5);
	CQ_CHECK(h3_mock_count("/gen/next_token", NULL) == 1);
	h3_done(&j);

	/* LIMIT 0 */
	h3_mock("/_mock/reset");
	h3_params(&j, style_table("link", "n=500&per_page=10&shape=small"));
	j.p.limit = 0;
	CQ_CHECK(h3_run(&j) == CQ_JOB_DONE && j.rows == 0);
	h3_done(&j);
}

static void
test_link_last_concurrent(void)
{
	H3Job		j;
	long		conc = 0;

	h3_mock("/_mock/reset");
	h3_params(&j, style_table("link", "n=400&per_page=20&latency_ms=50&shape=small"));
	CQ_CHECK(h3_run(&j) == CQ_JOB_DONE);
	CQ_CHECK(j.rows == 400 && j.distinct == 400);
	CQ_CHECK(h3_mock_count("/gen/link", &conc) == 20);
	CQ_CHECKF(conc > 1, "max concurrent %ld", conc);
	printf("  link rel=last: 20 pages at 50 ms in %.0f ms, max concurrent %ld\n", j.elapsed_ms, conc);
	h3_done(&j);
}

/*
 * What the API tells of a listing's size reaches the job's stats (and so
 * cq_fdw.scan_progress): DigitalOcean's meta.total (a spec "total" on
 * next_url paging), Kubernetes' remainingItemCount (a spec "remaining":
 * rows read + remaining), GitHub's Link rel="last" also when the pages are
 * not fetched concurrently (under a LIMIT).  Nothing told: -1.
 */
static void
test_told_totals(void)
{
	H3Job		j;

	h3_mock("/_mock/reset");
	h3_params(&j, h3_table("{\"name\":\"t\",\"endpoint\":\"/gen/next_url/do?n=1000&per_page=37&shape=small&meta_total=1\","
						   "\"rows\":\"/items\",\"pagination\":{\"type\":\"next_url\",\"next\":\"/next\",\"total\":\"/meta/total\"}," COLS "}"));
	CQ_CHECK(h3_run(&j) == CQ_JOB_DONE && j.rows == 1000);
	CQ_CHECKF(j.st.total_rows == 1000, "meta.total: total_rows %lld", (long long) j.st.total_rows);
	h3_done(&j);

	h3_mock("/_mock/reset");
	h3_params(&j, h3_table("{\"name\":\"t\",\"endpoint\":\"/gen/next_token/k8s?n=1000&per_page=37&shape=small&remaining=1\","
						   "\"rows\":\"/items\",\"pagination\":{\"type\":\"next_token\",\"next\":\"/nextPageToken\","
						   "\"next_param\":\"pageToken\",\"remaining\":\"/metadata/remainingItemCount\"}," COLS "}"));
	CQ_CHECK(h3_run(&j) == CQ_JOB_DONE && j.rows == 1000);
	CQ_CHECKF(j.st.total_rows == 1000, "remainingItemCount: total_rows %lld", (long long) j.st.total_rows);
	h3_done(&j);

	/* no total in the spec: nothing told */
	h3_mock("/_mock/reset");
	h3_params(&j, style_table("next_token", "n=100&per_page=37&shape=small&remaining=1"));
	CQ_CHECK(h3_run(&j) == CQ_JOB_DONE && j.rows == 100);
	CQ_CHECKF(j.st.total_rows == -1, "no total: total_rows %lld", (long long) j.st.total_rows);
	h3_done(&j);

	/* rel="last" without concurrent pages (a LIMIT pages one by one) */
	h3_mock("/_mock/reset");
	h3_params(&j, style_table("link", "n=1000&per_page=37&shape=small"));
	j.p.limit = 100;
	CQ_CHECK(h3_run(&j) == CQ_JOB_DONE);
	CQ_CHECKF(j.st.total_pages == 28, "rel=last under a LIMIT: total_pages %lld", (long long) j.st.total_pages);
	h3_done(&j);
}

static void
test_loop_detection(void)
{
	H3Job		j;

	/*
	 * page_number-style route that ignores pageToken, read as next_token
	 * with a constant token: page 2 asks for the same URL again -> stop.
	 */
	h3_mock("/_mock/reset");
	h3_params(&j, h3_table("{\"name\":\"t\",\"endpoint\":\"/gen/page/loop?n=10&shape=small\","
						   "\"rows\":\"/items\",\"pagination\":{\"type\":\"next_token\","
						   "\"next\":\"/total\",\"next_param\":\"pageToken\"}," COLS "}"));
	CQ_CHECK(h3_run(&j) == CQ_JOB_DONE);
	CQ_CHECKF(j.st.requests == 2 && j.rows == 20, "requests %lu rows %ld",
			  (unsigned long) j.st.requests, j.rows);
	CQ_CHECK(j.st.loops_stopped == 1);
	h3_done(&j);
}

/*
 * max_pages caps the pages of one job (all units): reaching it is an
 * error naming the setting, never a silent truncation; a job that needs
 * exactly max_pages pages finishes.
 */
static void
test_page_cap(void)
{
	H3Job		j;

	h3_mock("/_mock/reset");
	h3_params(&j, style_table("next_url", "n=100&per_page=10&shape=small"));
	j.p.settings.max_pages = 4;
	CQ_CHECK(h3_run(&j) == CQ_JOB_FAILED);
	CQ_CHECKF(j.err.kind == CQ_ERR_LIMIT, "kind %s", cq_error_kind_name(j.err.kind));
	CQ_CHECK_STR(j.err.setting, "max_pages");
	CQ_CHECKF(strstr(j.err.message, "more pages than its limit of 4") != NULL, "%s", j.err.message);
	CQ_CHECK(h3_mock_count("/gen/next_url", NULL) == 4);
	h3_done(&j);

	/* concurrent pages (Link rel="last") obey it too */
	h3_mock("/_mock/reset");
	h3_params(&j, style_table("link", "n=100&per_page=10&shape=small"));
	j.p.settings.max_pages = 5;
	CQ_CHECK(h3_run(&j) == CQ_JOB_FAILED);
	CQ_CHECK_STR(j.err.setting, "max_pages");
	/* (pages in flight are aborted by the failure: count what was sent) */
	CQ_CHECKF(j.st.requests == 5, "requests %lu", (unsigned long) j.st.requests);
	h3_done(&j);

	/* exactly max_pages pages: done */
	h3_mock("/_mock/reset");
	h3_params(&j, style_table("next_url", "n=100&per_page=10&shape=small"));
	j.p.settings.max_pages = 10;
	CQ_CHECKF(h3_run(&j) == CQ_JOB_DONE, "%s", j.err.message);
	CQ_CHECK(j.rows == 100);
	h3_done(&j);

	/* a LIMIT that stops paging first: done */
	h3_mock("/_mock/reset");
	h3_params(&j, style_table("next_url", "n=100&per_page=10&shape=small"));
	j.p.settings.max_pages = 2;
	j.p.limit = 15;
	CQ_CHECKF(h3_run(&j) == CQ_JOB_DONE, "%s", j.err.message);
	CQ_CHECK(j.rows == 15);
	h3_done(&j);
}

static void
test_github_replay(void)
{
	H3Job		j;

	if (!cqt_shared_fixtures())
	{
		cqt_skip("pagination/github", "shared fixtures absent");
		return;
	}
	h3_mock("/_mock/reset");
	h3_params(&j, h3_table("{\"name\":\"t\",\"endpoint\":\"/replay/github/paginate-issues/repos/octokit-fixture-org/paginate-issues/issues?per_page=3\","
						   "\"rows\":\"\",\"pagination\":\"link_header\","
						   "\"columns\":[{\"name\":\"id\",\"type\":\"int\"},{\"name\":\"number\",\"type\":\"int\"},"
						   "{\"name\":\"title\",\"type\":\"string\"}]}"));
	j.id_col = 1;				/* count distinct issue numbers */
	CQ_CHECKF(h3_run(&j) == CQ_JOB_DONE, "%s %s", j.err.message, j.err.api_message);
	CQ_CHECKF(j.rows == 13 && j.distinct == 13, "rows %ld distinct %ld", j.rows, j.distinct);
	CQ_CHECKF(j.st.requests == 5, "requests %lu", (unsigned long) j.st.requests);
	/* pages 2.. were requested on /repositories/1000/issues as the Link said */
	CQ_CHECK(h3_mock_count("/replay/github/paginate-issues/repositories/1000/issues", NULL) == 4);
	h3_done(&j);
}

void
suite_pagination(void)
{
	if (!h3_mock_up())
		return;
	test_styles();
	test_child_rows();
	test_limit();
	test_link_last_concurrent();
	test_told_totals();
	test_loop_detection();
	test_page_cap();
	test_github_replay();
}
