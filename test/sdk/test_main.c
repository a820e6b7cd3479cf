/*
 * test_main.c -- runner for the SDK unit tests.
 *
 *	test_sdk [suite ...]	run the named suites (default: all)
 *
 * Prints "N passed, N failed" last; exit status 1 if anything failed.
 */
#include <stdlib.h>
#include <string.h>
#include <curl/curl.h>

#include "cq_sdk.h"
#include "cqtest.h"

int			cqt_passed = 0;
int			cqt_failed = 0;
const char *cqt_current = "";

/* Suites, one per file (test_<name>.c). */
extern void suite_types(void);
extern void suite_types_num(void);
extern void suite_types_jsonb(void);
extern void suite_types_text(void);
extern void suite_types_time(void);
extern void suite_types_net(void);
extern void suite_types_format(void);
extern void suite_path(void);
extern void suite_spec(void);
extern void suite_spec_field(void);
extern void suite_spec_table(void);
extern void suite_spec_lookup(void);
extern void suite_netpolicy(void);
extern void suite_http(void);
extern void suite_pagination(void);
extern void suite_sched(void);
extern void suite_job_json(void);
extern void suite_job_fast(void);
extern void suite_job_units(void);
extern void suite_job_rows(void);
extern void suite_job_queue(void);
extern void suite_job_io(void);
extern void suite_job_page(void);
extern void suite_sigv4(void);
extern void suite_sigv4wire(void);
extern void suite_xml(void);
extern void suite_budget(void);
extern void suite_cred(void);
extern void suite_rategate(void);
extern void suite_aws_cred(void);
extern void suite_aws(void);
extern void suite_aws_describe(void);
extern void suite_kubeconfig(void);
extern void suite_hydrate(void);
extern void suite_post_list(void);
extern void suite_aws_hydrate(void);
extern void suite_jarena(void);

static const struct
{
	const char *name;
	void		(*fn) (void);
}			suites[] =
{
	{"types", suite_types},
	{"types_num", suite_types_num},
	{"types_jsonb", suite_types_jsonb},
	{"types_text", suite_types_text},
	{"types_time", suite_types_time},
	{"types_net", suite_types_net},
	{"types_format", suite_types_format},
	{"path", suite_path},
	{"spec", suite_spec},
	{"spec_field", suite_spec_field},
	{"spec_table", suite_spec_table},
	{"spec_lookup", suite_spec_lookup},
	{"netpolicy", suite_netpolicy},
	{"http", suite_http},
	{"pagination", suite_pagination},
	{"sched", suite_sched},
	{"job_json", suite_job_json},
	{"job_fast", suite_job_fast},
	{"jarena", suite_jarena},
	{"job_units", suite_job_units},
	{"job_rows", suite_job_rows},
	{"job_queue", suite_job_queue},
	{"job_io", suite_job_io},
	{"job_page", suite_job_page},
	{"sigv4", suite_sigv4},
	{"sigv4wire", suite_sigv4wire},
	{"xml", suite_xml},
	{"budget", suite_budget},
	{"cred", suite_cred},
	{"rategate", suite_rategate},
	{"aws_cred", suite_aws_cred},
	{"aws", suite_aws},
	{"aws_describe", suite_aws_describe},
	{"kubeconfig", suite_kubeconfig},
	{"hydrate", suite_hydrate},
	{"post_list", suite_post_list},
	{"aws_hydrate", suite_aws_hydrate},
};

const char *
cqt_mock_url(void)
{
	const char *u = getenv("MOCK_URL");

	return u ? u : "http://127.0.0.1:18080";
}

struct buf
{
	char	   *p;
	size_t		n;
};

static size_t
collect(char *ptr, size_t size, size_t nmemb, void *ud)
{
	struct buf *b = ud;
	size_t		add = size * nmemb;
	char	   *np = realloc(b->p, b->n + add + 1);

	if (!np)
		return 0;
	b->p = np;
	memcpy(b->p + b->n, ptr, add);
	b->n += add;
	b->p[b->n] = '\0';
	return add;
}

char *
cqt_mock_get(const char *path_and_query)
{
	CURL	   *h = curl_easy_init();
	struct buf b = {NULL, 0};
	char		url[2048];
	long		code = 0;

	snprintf(url, sizeof(url), "%s%s", cqt_mock_url(), path_and_query);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &b);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, 30L);
	if (curl_easy_perform(h) != CURLE_OK)
	{
		free(b.p);
		b.p = NULL;
	}
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
	curl_easy_cleanup(h);
	if (b.p == NULL)
		b.p = strdup("");
	return b.p;
}

const char *
cqt_shared_fixtures(void)
{
	static char path[4096];
	const char *env = getenv("CQ_SHARED_FIXTURES");
	FILE	   *f;

	snprintf(path, sizeof(path), "%s", env ? env : "../shared/fixtures");
	{
		char		probe[4200];

		snprintf(probe, sizeof(probe), "%s/README.md", path);
		f = fopen(probe, "r");
	}
	if (!f)
		return NULL;
	fclose(f);
	return path;
}

void
cqt_skip(const char *what, const char *why)
{
	printf("SKIP %s: %s\n", what, why);
}

int
main(int argc, char **argv)
{
	size_t		i;
	int			ran = 0;

	cq_sdk_init();
	for (i = 0; i < sizeof(suites) / sizeof(suites[0]); i++)
	{
		int			want = (argc <= 1);
		int			j;

		for (j = 1; j < argc; j++)
			if (strcmp(argv[j], suites[i].name) == 0)
				want = 1;
		if (!want)
			continue;
		cqt_current = suites[i].name;
		printf("== %s\n", suites[i].name);
		fflush(stdout);
		suites[i].fn();
		ran++;
	}
	if (ran == 0)
	{
		fprintf(stderr, "no such suite\n");
		return 2;
	}
	curl_global_cleanup();
	printf("%d passed, %d failed\n", cqt_passed, cqt_failed);
	return cqt_failed ? 1 : 0;
}
