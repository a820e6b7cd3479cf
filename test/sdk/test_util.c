/*
 * test_util.c -- helpers shared by several SDK test files (see test_util.h).
 */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cq_sdk_int.h"
#include "job_int.h"
#include "cqtest.h"
#include "jobtest.h"
#include "test_util.h"

void
cqt_sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	nanosleep(&ts, NULL);
}

CqJobState
cqt_job_drain(CqJob *job, void (*on_batch) (CqBatch *b, void *ud), void *ud)
{
	CqJobState	st;

	for (;;)
	{
		CqBatch    *b;
		struct pollfd pfd;

		st = cq_job_next(job, &b);
		if (st == CQ_JOB_BATCH)
		{
			if (on_batch)
				on_batch(b, ud);
			cq_batch_free(b);
			continue;
		}
		if (st != CQ_JOB_PENDING)
			break;
		pfd.fd = cq_job_fd(job);
		pfd.events = POLLIN;
		poll(&pfd, 1, 1000);
	}
	return st;
}

int
cqt_batch_text(CqBatch *b, char **text, size_t *len, size_t *cap)
{
	for (int r = 0; r < b->nrows; r++)
	{
		for (int c = 0; c < b->ncols; c++)
		{
			char		v[2048];
			CqValue    *cv = &b->values[r * b->ncols + c];
			char		sep = c + 1 < b->ncols ? '|' : '\n';

			if (cv->isnull)
				snprintf(v, sizeof(v), "<null>");
			else
				cq_value_format(cv, v, sizeof(v));
			while (*len + strlen(v) + 3 > *cap)
			{
				*cap = *cap ? *cap * 2 : 4096;
				*text = realloc(*text, *cap);
			}
			*len += (size_t) sprintf(*text + *len, "%s%c", v, sep);
		}
	}
	return b->nrows;
}

CqSourceDef *
cqt_repo_spec(const char *relpath)
{
	char		path[4096];
	const char *f = __FILE__;
	const char *sl = strstr(f, "test/sdk/test_util.c");
	CqError		err;
	CqSourceDef *d;

	snprintf(path, sizeof(path), "%.*s%s", (int) (sl ? sl - f : 0), f, relpath);
	d = cq_spec_load_file(path, &err);
	CQ_CHECKF(d != NULL, "%s", err.message);
	return d;
}

void
cqt_offline_params(CqJobParams *p, CqTableDef *t, int *cols, int nout, const char *base_url)
{
	p->table = t;
	p->base_url = base_url;
	p->nout = nout;
	p->out_cols = cols;
	p->limit = -1;
	cq_job_settings_default(&p->settings);
	p->settings.workers = 1;
}

CqSourceDef *
cqt_mock_spec(const char *what, const char *relpath)
{
	if (!h3_mock_up())
	{
		cqt_skip(what, "no mock (MOCK_URL)");
		return NULL;
	}
	return cqt_repo_spec(relpath);
}

CqJob *
cqt_offline_job(CqJobParams *p, CqTableDef *t, int *cols, const char *base_url)
{
	CqError		err;
	CqJob	   *job;

	for (int i = 0; i < t->ncolumns; i++)
		cols[i] = i;
	cqt_offline_params(p, t, cols, t->ncolumns, base_url);
	job = cqp_job_start_offline(p, &err);
	CQ_CHECKF(job != NULL, "%s", err.message);
	return job;
}

CqJobState
cqt_job_run(CqJobParams *p, void (*on_batch) (CqBatch *b, void *ud), void *ud,
			void (*at_end) (CqJob *job, void *ud), CqError *err, CqJobStats *stats)
{
	CqJob	   *job = cq_job_start(p, err);
	CqJobState	st;

	if (!job)
		return CQ_JOB_FAILED;
	st = cqt_job_drain(job, on_batch, ud);
	if (st == CQ_JOB_FAILED)
		*err = *cq_job_error(job);
	if (at_end)
		at_end(job, ud);
	cq_job_get_stats(job, stats);
	cq_job_free(job);
	return st;
}

bool
cqt_aws_job(CqtAwsJob *f, CqSourceDef *src, const char *table, const char *cols,
			const char *regions)
{
	char		cbuf[512];
	char	   *save = NULL;
	int			n = 0;

	memset(f, 0, sizeof(*f));
	f->t = cq_source_find_table(src, table);
	CQ_CHECKF(f->t != NULL, "no table %s", table);
	if (!f->t)
		return false;
	snprintf(cbuf, sizeof(cbuf), "%s", cols);
	for (char *c = strtok_r(cbuf, ",", &save); c && n < 32; c = strtok_r(NULL, ",", &save))
	{
		f->oc[n] = cq_table_find_column(f->t, c);
		CQ_CHECKF(f->oc[n] >= 0, "%s has no column %s", table, c);
		n++;
	}
	snprintf(f->base, sizeof(f->base), "%s/aws-api", cqt_mock_url());
	f->p.source = src;
	f->p.table = f->t;
	f->p.base_url = f->base;
	f->p.cred.user = "AKIDEXAMPLE";
	f->p.cred.secret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
	f->p.nout = n;
	f->p.out_cols = f->oc;
	f->p.limit = -1;
	if (regions)
	{
		f->opt_names[0] = "regions";
		f->opt_values[0] = regions;
		f->p.nserver_opts = 1;
		f->p.server_opt_names = f->opt_names;
		f->p.server_opt_values = f->opt_values;
	}
	cq_job_settings_default(&f->p.settings);
	f->p.settings.retry_base_ms = 10;
	return true;
}

static json_t *
identity_row(const CqTableDef *t, json_t *row)
{
	(void) t;
	return json_incref(row);
}

const CqPluginDescriptor cqt_identity_plugin = {
	CQ_SDK_ABI_VERSION, "identity", "1", "", "{}", identity_row
};
