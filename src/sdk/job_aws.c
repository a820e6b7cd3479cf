/*-------------------------------------------------------------------------
 *
 * job_aws.c
 *		  AWS list-then-get (spec aws.describe): a page of identifiers
 *		  becomes describe units, each one call of the describe operation.
 *
 * ECS ListClusters/ListServices/ListTasks and EKS ListClusters/ListNodegroups
 * return identifiers (ARNs, names); the table's rows are what the matching
 * Describe* call returns for them.  A page of the listing (a unit with
 * lists_ids) hands its identifiers here on a worker; they are cut into
 * batches of aws.describe.batch (ECS: up to 100 per DescribeClusters, 10 per
 * DescribeServices; EKS: one per DescribeCluster) and each batch becomes a
 * child unit of the listing unit:
 *	json		POST "/" with the listing unit's query keys (ECS "cluster")
 *				and the identifiers as repeated parameters d->param, which
 *				cqp_aws_wire sends as one JSON array member;
 *	rest-json	describe.endpoint with {param} = the identifier (and the
 *				listing's path keys, EKS {name}).
 * A describe unit is a unit like any other: it is queued, sent on the I/O
 * thread, signed (the listing's region and credentials), retried and
 * charged to the memory budget as every request; its rows are emitted with
 * the listing unit's key values (region, account_id, cluster).
 *
 * Invariants:
 *	- runs on a worker without job->mu, takes it only to link each unit;
 *	- the listing's next page waits until its describe units are done
 *	  (job_page.c defers it, as for a parent page): at most one page of
 *	  identifiers per listing unit is being described, whatever the number
 *	  of identifiers;
 *	- a batch stops early when its URL would pass CQP_MAX_URL_LEN (long
 *	  ARNs), so no describe request is refused for its length.
 *
 * Copyright (c) 2026, cq_fdw developers
 *
 *-------------------------------------------------------------------------
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cq_sdk_int.h"
#include "job_int.h"

/* Append "&name=value" (or "?...") to *url; false on OOM. */
static bool
url_append(char **url, const char *name, const char *value)
{
	char	   *en = cqp_url_encode(name, strlen(name));
	char	   *ev = cqp_url_encode(value, strlen(value));
	size_t		n;
	char	   *nu;

	if (!en || !ev)
	{
		free(en);
		free(ev);
		return false;
	}
	n = strlen(*url) + strlen(en) + strlen(ev) + 3;
	nu = malloc(n);
	if (nu)
		snprintf(nu, n, "%s%c%s=%s", *url, strchr(*url, '?') ? '&' : '?', en, ev);
	free(en);
	free(ev);
	if (!nu)
		return false;
	free(*url);
	*url = nu;
	return true;
}

/* Length of "&name=value" once encoded. */
static size_t
param_len(const char *name, const char *value)
{
	char	   *ev = cqp_url_encode(value, strlen(value));
	size_t		n = ev ? strlen(ev) : 3 * strlen(value);

	free(ev);
	return n + strlen(name) + 2;
}

/*
 * One describe unit for ids[0..n) (child of the listing unit u), linked
 * and queued.  false + err when it cannot be built (err->kind NOMEM, or the
 * outbound policy).
 */
static bool
describe_unit(CqJob *job, CqpUnit *u, const char *const *ids, int n, CqError *err)
{
	const CqTableDef *t = job->table;
	const CqAwsDescribeDef *d = t->aws->describe;
	CqpUnit    *du = calloc(1, sizeof(CqpUnit));
	char	   *url = NULL;
	char	   *path = NULL;
	char	   *base = NULL;
	CqpReq	   *r;

	if (!du)
		goto oom;
	du->parent = u;
	du->is_describe = true;
	du->na = u->na;
	du->an = calloc((size_t) u->na + 1, sizeof(char *));
	du->av = calloc((size_t) u->na + 1, sizeof(char *));
	du->acol = calloc((size_t) u->na + 1, sizeof(int));
	du->aquery = calloc((size_t) u->na + 1, sizeof(bool));
	du->colval = calloc((size_t) job->params.nout + 1, sizeof(int));
	if (!du->an || !du->av || !du->acol || !du->aquery || !du->colval)
		goto oom;
	for (int i = 0; i < u->na; i++)
	{
		if (!(du->an[i] = strdup(u->an[i])) || !(du->av[i] = strdup(u->av[i])))
			goto oom;
		du->acol[i] = u->acol[i];
		du->aquery[i] = u->aquery[i];
	}
	memcpy(du->colval, u->colval, sizeof(int) * (size_t) job->params.nout);
	memcpy(du->label, u->label, sizeof(du->label));
	du->cred = u->cred;
	if (u->aws_region && !(du->aws_region = strdup(u->aws_region)))
		goto oom;
	du->pager.style = CQ_PAGE_NONE;
	du->rows = d->crows;

	base = cqp_aws_base_url(t->aws, job->base_url, u->aws_region);
	if (!base)
		goto oom;
	if (d->endpoint)
	{
		/* rest-json: one identifier in the path, with the listing's keys */
		const char **an = calloc((size_t) u->na + 2, sizeof(char *));
		const char **av = calloc((size_t) u->na + 2, sizeof(char *));

		if (!an || !av)
		{
			free(an);
			free(av);
			goto oom;
		}
		for (int i = 0; i < u->na; i++)
		{
			an[i] = u->an[i];
			av[i] = u->av[i];
		}
		an[u->na] = d->param;
		av[u->na] = ids[0];
		path = cqp_expand_template(d->endpoint, u->na + 1, an, av, err);
		free(an);
		free(av);
		if (!path)
			goto fail;
	}
	else if (!(path = strdup("/")))
		goto oom;
	{
		size_t		bl = strlen(base);

		while (bl > 0 && base[bl - 1] == '/')
			bl--;
		url = malloc(bl + strlen(path) + 1);
		if (!url)
			goto oom;
		memcpy(url, base, bl);
		strcpy(url + bl, path);
	}
	if (!d->endpoint)
	{
		/* json: the listing's query keys (ECS cluster), the identifiers */
		for (int i = 0; i < u->na; i++)
			if (u->aquery[i] && !url_append(&url, u->an[i], u->av[i]))
				goto oom;
		for (int i = 0; i < n; i++)
			if (!url_append(&url, d->param, ids[i]))
				goto oom;
	}
	if (strlen(url) > CQP_MAX_URL_LEN)
	{
		cq_error_set(err, CQ_ERR_LIMIT, "a describe request URL of %zu bytes is longer than the limit of %d bytes",
					 strlen(url), CQP_MAX_URL_LEN);
		snprintf(err->setting, sizeof(err->setting), "url_length");
		goto fail;
	}
	if (!cq_net_url_allowed(&job->params.policy, url, err))
	{
		if (err->kind == CQ_ERR_NONE)
			cq_error_set(err, CQ_ERR_POLICY, "URL not allowed by the outbound policy");
		cq_redact_url(url, err->url, sizeof(err->url));
		goto fail;
	}
	/* the origin alone (credentials go to it): not the identifiers, which
	 * would stay in memory until the job ends */
	if (!(du->origin_url = strdup(base)))
		goto oom;
	cqp_job_seen_add(du, url);
	r = calloc(1, sizeof(CqpReq));
	if (!r)
		goto oom;
	r->unit = du;
	r->http = &job->http;
	r->cred = du->cred;
	r->url = url;
	r->page_index = -1;
	r->seq = true;
	du->outstanding = 1;
	free(path);
	free(base);
	pthread_mutex_lock(&job->mu);
	cqp_job_add_unit_locked(job, du, r);
	pthread_mutex_unlock(&job->mu);
	return true;

oom:
	cq_error_set(err, CQ_ERR_NOMEM, "out of memory building a describe request");
fail:
	free(url);
	free(path);
	free(base);
	if (du)
		cqp_job_unit_free(du);
	return false;
}

/*
 * cqp_job_aws_spawn_describe
 *		The identifiers of one page of listing unit u (strings; others are
 *		skipped) as describe units, aws.describe.batch per unit.  Returns
 *		the number of units started, -1 on error (err).  A unit that cannot
 *		be built for the policy fails as any unit (skip_failed_units).
 */
int
cqp_job_aws_spawn_describe(CqJob *job, CqpUnit *u, json_t **ids, size_t n, CqError *err)
{
	const CqAwsDescribeDef *d = job->table->aws->describe;
	const char **batch = calloc((size_t) d->batch + 1, sizeof(char *));
	int			started = 0;
	size_t		i = 0;
	/* room left for identifiers in a json describe URL */
	size_t		ol = (u->origin_url ? strlen(u->origin_url) : 0) + 512;
	size_t		room = ol < CQP_MAX_URL_LEN ? CQP_MAX_URL_LEN - ol : 0;

	if (!batch)
	{
		cq_error_set(err, CQ_ERR_NOMEM, "out of memory");
		return -1;
	}
	while (i < n && !atomic_load(&job->stop))
	{
		int			nb = 0;
		size_t		used = 0;
		CqError		cerr;

		for (; i < n && nb < d->batch; i++)
		{
			const char *id = json_string_value(ids[i]);
			size_t		l;

			if (!id || !id[0])
				continue;
			l = d->endpoint ? 0 : param_len(d->param, id);
			if (nb > 0 && used + l > room)
				break;
			batch[nb++] = id;
			used += l;
		}
		if (nb == 0)
			continue;
		memset(&cerr, 0, sizeof(cerr));
		if (describe_unit(job, u, batch, nb, &cerr))
			started++;
		else if (cerr.kind == CQ_ERR_NOMEM)
		{
			*err = cerr;
			free(batch);
			return -1;
		}
		else
		{
			pthread_mutex_lock(&job->mu);
			cqp_job_unit_fail_locked(job, u, &cerr);
			pthread_mutex_unlock(&job->mu);
		}
	}
	free(batch);
	return started;
}
