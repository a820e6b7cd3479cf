/*-------------------------------------------------------------------------
 *
 * job_units.c
 *		  Units: the fan-out of one scan over key values, server-option
 *		  lists and parent rows, and each unit's endpoint and first request.
 *
 * Invariants:
 *	- a unit is the cartesian product's one combination of values: every
 *	  {param} of the endpoint it chose is filled (get_endpoint when all its
 *	  params are given, else endpoint, else the parent listing), every
 *	  value is percent-encoded into the URL, query keys become parameters;
 *	- the fan-out units are made by a cursor over the product: the first
 *	  job->top_cap before any thread starts (cqp_job_build_units, which
 *	  also builds and drops every other one once, so a unit that cannot
 *	  be built fails the scan before any request), the next ones when a
 *	  unit finishes (cqp_job_units_refill_locked, under job->mu); child
 *	  units are made by a worker; all are linked into the job only under
 *	  job->mu (cqp_job_add_unit_locked) and freed when they finish
 *	  (cqp_job_unit_drop_locked) or by job_destroy, so the scan's memory
 *	  is per live unit, not per account;
 *	- at most MAX_UNITS units are built from a scan's key lists; a larger
 *	  product is a CQ_ERR_LIMIT before any request;
 *	- nothing here sends anything or takes a lock other than job->mu.
 *
 * Copyright (c) 2026, cq_fdw developers
 *
 *-------------------------------------------------------------------------
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cq_sdk_int.h"
#include "job_int.h"
#include "kubeconfig.h"

/* ------------------------------------------------------------------------
 * Units
 * ------------------------------------------------------------------------ */

/* Are all {params} of tmpl among the unit's assignments? */
static bool
tmpl_satisfied(const char *tmpl, int na, char **an)
{
	const char *p = tmpl;

	if (!tmpl)
		return false;
	while ((p = strchr(p, '{')) != NULL)
	{
		const char *e = strchr(p, '}');
		size_t		nl;
		bool		ok = false;

		if (!e)
			break;
		nl = (size_t) (e - p - 1);
		for (int i = 0; i < na; i++)
			if (strlen(an[i]) == nl && memcmp(an[i], p + 1, nl) == 0)
				ok = true;
		if (!ok)
			return false;
		p = e + 1;
	}
	return true;
}

/*
 * cqp_job_join_url
 *		base_url + path with exactly one '/' between them (however many
 *		either side has; a path starting with '?' is appended as is); an
 *		absolute path is the URL itself.  Takes `path` (freed, or returned);
 *		NULL when base_url is NULL for a relative path, or out of memory.
 */
char *
cqp_job_join_url(const char *base_url, char *path)
{
	char	   *url;
	size_t		bl;

	if (strncasecmp(path, "http://", 7) == 0 || strncasecmp(path, "https://", 8) == 0)
		return path;
	if (!base_url)
	{
		free(path);
		return NULL;
	}
	bl = strlen(base_url);
	url = malloc(bl + strlen(path) + 2);
	if (url)
	{
		memcpy(url, base_url, bl);
		if (path[0] == '/')
			while (bl && url[bl - 1] == '/' && !(bl >= 2 && url[bl - 2] == ':'))
				bl--;
		else if (path[0] && path[0] != '?' && (!bl || url[bl - 1] != '/'))
			url[bl++] = '/';
		strcpy(url + bl, path);
	}
	free(path);
	return url;
}

/*
 * A required in=query key that the parent listing fills (AWS: UserName of
 * ListUserPolicies) and the unit lacks: its own endpoint, "/" for every
 * AWS operation, cannot run without it, the parent listing can.
 */
static bool
lacks_parent_query_key(const CqTableDef *t, int na, char **an)
{
	for (int k = 0; k < t->nkeys; k++)
	{
		const CqKeyDef *kd = &t->keys[k];
		bool		have = false;

		if (!kd->from_parent || !kd->required || kd->in != CQ_IN_QUERY)
			continue;
		for (int i = 0; i < na && !have; i++)
			have = strcmp(an[i], kd->param ? kd->param : kd->column) == 0;
		if (!have)
			return true;
	}
	return false;
}

static bool
has_placeholder(const char *tmpl)
{
	return tmpl && strchr(tmpl, '{') && strchr(tmpl, '}');
}

void
cqp_job_unit_free(CqpUnit *u)
{
	for (int i = 0; i < u->na; i++)
	{
		free(u->an[i]);
		free(u->av[i]);
	}
	free(u->an);
	free(u->av);
	free(u->acol);
	free(u->aquery);
	free(u->colval);
	free(u->origin_url);
	free(u->aws_region);
	free(u->range_url);
	free(u->seen);
	cqp_job_req_free(u->deferred);
	free(u);
}

/*
 * Build a unit from its assignments and its first request.  Chooses the
 * endpoint (get_endpoint when all its params are given, else endpoint, else
 * the parent listing), fills the template, adds query keys, page size and
 * first page index.  Returns the unit with *first set, or NULL with err.
 * Does not link it into the job (the caller does, under mu).
 */
CqpUnit *
cqp_job_make_unit(CqJob *job, CqpUnit *parent, int na, const char *const *an,
		  const char *const *av, const int *acol, const bool *aquery,
		  CqpReq **first, CqError *err)
{
	const CqTableDef *t = job->table;
	const CqJobParams *p = &job->params;
	CqpUnit    *u = calloc(1, sizeof(CqpUnit));
	const char *tmpl;
	bool		is_get = false;
	char	   *path = NULL,
			   *url = NULL;
	int64_t		index = -1;
	size_t		lo = 0;
	const char *base_url = job->base_url;
	char	   *aws_base = NULL;

	*first = NULL;
	if (!u)
		goto oom;
	u->parent = parent;
	u->na = na;
	u->an = calloc((size_t) na + 1, sizeof(char *));
	u->av = calloc((size_t) na + 1, sizeof(char *));
	u->acol = calloc((size_t) na + 1, sizeof(int));
	u->aquery = calloc((size_t) na + 1, sizeof(bool));
	u->colval = calloc((size_t) p->nout + 1, sizeof(int));
	if (!u->an || !u->av || !u->acol || !u->aquery || !u->colval)
		goto oom;
	for (int i = 0; i < na; i++)
	{
		u->an[i] = strdup(an[i]);
		u->av[i] = strdup(av[i]);
		if (!u->an[i] || !u->av[i])
			goto oom;
		u->acol[i] = acol[i];
		u->aquery[i] = aquery[i];
		if (acol[i] >= 0 && lo < sizeof(u->label) - 1)
			lo += (size_t) snprintf(u->label + lo, sizeof(u->label) - lo, "%s%s=%s",
									lo ? "," : "", t->columns[acol[i]].name, av[i]);
	}
	if (lo >= sizeof(u->label))
		u->label[sizeof(u->label) - 1] = '\0';
	/* the unit's AWS account picks its credentials; children inherit them */
	if (parent)
		u->cred = parent->cred;
	else if (job->account_key >= 0)
	{
		const CqKeyDef *ak = &t->keys[job->account_key];

		for (int i = 0; i < na; i++)
			if (strcmp(an[i], ak->param ? ak->param : ak->column) == 0 &&
				!(u->cred = cqp_job_account_cred(job, av[i], err)))
				goto fail;
	}
	/* the unit's kubeconfig context picks its cluster; children inherit */
	if (parent)
		u->kube = parent->kube;
	else if (job->context_key >= 0 && job->ctx_names)
	{
		const CqKeyDef *ck = &t->keys[job->context_key];

		for (int i = 0; i < na; i++)
			if (strcmp(an[i], ck->param ? ck->param : ck->column) == 0 &&
				!(u->kube = cqp_job_context_kube(job, av[i], err)))
				goto fail;
	}
	if (u->kube)
		base_url = u->kube->server;
	for (int c = 0; c < p->nout; c++)
	{
		u->colval[c] = -1;
		for (int i = 0; i < na; i++)
			if (acol[i] == p->out_cols[c])
				u->colval[c] = i;
	}

	/* which endpoint */
	if (t->get_endpoint && has_placeholder(t->get_endpoint) &&
		tmpl_satisfied(t->get_endpoint, na, u->an))
	{
		tmpl = t->get_endpoint;
		is_get = true;
	}
	else if (tmpl_satisfied(t->endpoint, na, u->an) &&
			 !(t->parent && !(parent && parent->is_parent) &&
			   lacks_parent_query_key(t, na, u->an)))
		tmpl = t->endpoint;
	else if (t->parent && !(parent && parent->is_parent))
	{
		/* (a region unit of DescribeRegions lists the parent too) */
		tmpl = t->parent->endpoint;
		u->is_parent = true;
	}
	else
		tmpl = t->endpoint;		/* fails below, naming the param */

	path = cqp_expand_template(tmpl, na, (const char *const *) u->an,
							   (const char *const *) u->av, err);
	if (!path)
		goto fail;
	if (t->aws)
	{
		/* the unit's region: its region key, else the global region, else
		 * the source's default scope */
		const char *region = t->aws->global_region ? t->aws->global_region :
			job->http.sigv4_region[0] ? job->http.sigv4_region : NULL;
		bool		regional = false,
					given = false;

		for (int k = 0; k < t->nkeys; k++)
			if (t->keys[k].in == CQ_IN_REGION)
			{
				regional = true;
				for (int i = 0; i < na; i++)
					if (strcmp(u->an[i], t->keys[k].param) == 0)
					{
						region = u->av[i];
						given = true;
					}
			}
		/*
		 * A regional table with no region from a qual or the regions
		 * option: first list the enabled regions (EC2 DescribeRegions in
		 * the default region), then one child unit per region.
		 */
		u->is_regions = regional && !given && !t->aws->global_region && !parent;
		if (u->is_regions)
			u->is_parent = false;	/* its region units list the parent */
		if (u->is_regions && !u->label[0])
			snprintf(u->label, sizeof(u->label), "DescribeRegions");
		if (region && !(u->aws_region = strdup(region)))
			goto oom;
		free(aws_base);
		aws_base = u->is_regions ? cqp_aws_host_url("ec2", false, job->base_url, region) :
			cqp_aws_base_url(t->aws, job->base_url, region);
		if (!aws_base)
			goto oom;
		base_url = aws_base;
		if (u->is_regions)
		{
			free(path);
			if (!(path = strdup("/")))
				goto oom;
		}
	}
	if (!base_url &&
		strncasecmp(path, "http://", 7) != 0 && strncasecmp(path, "https://", 8) != 0)
	{
		cq_error_set(err, CQ_ERR_CONFIG, "no base_url: set the server option base_url");
		goto fail;
	}
	url = cqp_job_join_url(base_url, path);
	path = NULL;
	if (!url)
		goto oom;

	/* query keys (the child's own endpoint only) */
	if (!u->is_parent)
	{
		for (int i = 0; i < na; i++)
		{
			char	   *nu;

			if (!u->aquery[i])
				continue;
			nu = cqp_url_set_param(url, u->an[i], u->av[i]);
			if (!nu)
				goto oom;
			free(url);
			url = nu;
		}
	}

	/* pager */
	memset(&u->pager, 0, sizeof(u->pager));
	if (u->is_regions)
		u->rows = NULL;			/* one page; its regions spawn the units */
	else if (u->is_parent)
	{
		const CqParentDef *pd = t->parent;

		u->pager.style = pd->pagination;
		u->pager.next = job->parent_next;
		u->pager.next_param = pd->next_param;
		u->pager.page_size = pd->page_size;
		u->pager.more = pd->cmore;
		u->pager.concurrent = false;	/* depth-first: one parent page at a time */
		u->rows = job->parent_rows;
		if (pd->page_size_param && pd->page_size > 0)
		{
			char		num[32];
			char	   *nu;

			snprintf(num, sizeof(num), "%d", pd->page_size);
			nu = cqp_url_set_param(url, pd->page_size_param, num);
			if (!nu)
				goto oom;
			free(url);
			url = nu;
		}
	}
	else
	{
		int64_t		ps = t->page_size;

		u->pager.style = t->pagination;
		if (is_get && (t->pagination == CQ_PAGE_PAGE_NUMBER ||
					   t->pagination == CQ_PAGE_OFFSET))
			u->pager.style = CQ_PAGE_NONE;	/* a get must not page forever */
		u->pager.next = t->cnext;
		u->pager.next_param = t->next_param;
		u->pager.total = job->total;
		u->pager.more = t->cmore;
		u->pager.remaining = t->cremaining;
		u->pager.concurrent = (p->limit < 0);
		u->rows = (is_get && t->cget_rows) ? t->cget_rows : t->crows;
		if (p->limit >= 0 && t->supports_limit && t->page_size_param &&
			(ps <= 0 || p->limit < ps))
			ps = p->limit > 0 ? p->limit : 1;
		u->pager.page_size = (int) ps;
		if (t->page_size_param && ps > 0)
		{
			char		num[32];
			char	   *nu;

			snprintf(num, sizeof(num), "%" PRId64, ps);
			nu = cqp_url_set_param(url, t->page_size_param, num);
			if (!nu)
				goto oom;
			free(url);
			url = nu;
		}
		if (!t->page_size_param)
			u->pager.page_size = 0;
		/* AWS list-then-get: this unit's rows are identifiers to describe */
		u->lists_ids = (t->aws && t->aws->describe && !u->is_regions);
	}
	if ((u->pager.style == CQ_PAGE_PAGE_NUMBER || u->pager.style == CQ_PAGE_OFFSET) &&
		u->pager.next_param)
	{
		char	   *nu;

		index = (u->pager.style == CQ_PAGE_PAGE_NUMBER) ? 1 : 0;
		nu = cqp_url_set_param(url, u->pager.next_param, index ? "1" : "0");
		if (!nu)
			goto oom;
		free(url);
		url = nu;
	}
	if (strlen(url) > CQP_MAX_URL_LEN)
	{
		/* say which value made it long: not a policy matter */
		int			longest = -1;

		for (int i = 0; i < na; i++)
			if (longest < 0 || strlen(av[i]) > strlen(av[longest]))
				longest = i;
		if (longest >= 0 && acol[longest] >= 0)
			cq_error_set(err, CQ_ERR_LIMIT,
						 "request URL of %zu bytes is longer than the limit of %d bytes; the value for column %s is %zu bytes",
						 strlen(url), CQP_MAX_URL_LEN, t->columns[acol[longest]].name,
						 strlen(av[longest]));
		else
			cq_error_set(err, CQ_ERR_LIMIT,
						 "request URL of %zu bytes is longer than the limit of %d bytes",
						 strlen(url), CQP_MAX_URL_LEN);
		snprintf(err->setting, sizeof(err->setting), "url_length");
		goto fail;
	}
	if (!cq_net_url_allowed(&p->policy, url, err))
	{
		if (err->kind == CQ_ERR_NONE)
			cq_error_set(err, CQ_ERR_POLICY, "URL not allowed by the outbound policy");
		cq_redact_url(url, err->url, sizeof(err->url));
		goto fail;
	}
	u->origin_url = strdup(url);
	if (!u->origin_url)
		goto oom;
	cqp_job_seen_add(u, url);
	{
		CqpReq	   *r = calloc(1, sizeof(CqpReq));

		if (!r)
			goto oom;
		r->unit = u;
		r->http = &job->http;
		r->cred = u->cred;
		r->kube = u->kube;
		r->url = url;
		r->page_index = index;
		r->seq = true;
		u->outstanding = 1;
		*first = r;
	}
	free(aws_base);
	return u;

oom:
	cq_error_set(err, CQ_ERR_NOMEM, "out of memory building a request");
fail:
	if (u && u->label[0] && !err->unit[0])
		cqp_job_scopy(err->unit, sizeof(err->unit), u->label);
	free(path);
	free(url);
	free(aws_base);
	if (u)
		cqp_job_unit_free(u);
	return NULL;
}

/* Link a new unit and queue its first request.  job->mu held. */
void
cqp_job_add_unit_locked(CqJob *job, CqpUnit *u, CqpReq *first)
{
	u->all_prev = NULL;
	u->all_next = job->units;
	if (job->units)
		job->units->all_prev = u;
	job->units = u;
	job->units_active++;
	if (u->top)
		job->top_alive++;
	job->st.units++;
	u->trace_id = job->st.units;
	if (u->parent)
		u->parent->children++;
	cqp_job_push_ready_locked(job, first, false);
}

/*
 * A unit finished: unlink and free it (its progress counts are already in
 * job->st).  Nothing refers to it any more: its requests are done, its
 * children finished before it, and batches copied its values.  mu held.
 */
void
cqp_job_unit_drop_locked(CqJob *job, CqpUnit *u)
{
	if (u->all_prev)
		u->all_prev->all_next = u->all_next;
	else if (job->units == u)
		job->units = u->all_next;
	if (u->all_next)
		u->all_next->all_prev = u->all_prev;
	if (u->top)
		job->top_alive--;
	cqp_job_unit_free(u);
}

/* One fan-out dimension: param takes each of values. */
typedef struct Dim
{
	const char *param;
	int			col;
	bool		query;
	int			n;
	const char **values;
	const char *sep;			/* key's separator: joins same-param dims */
	bool		droppable;		/* a spec-formatted qual: rechecked, so it
								 * may be left out (never a guaranteed key) */
	int			follow;			/* 0, or 1 + the leading zipped dim (p->nzip):
								 * this dim takes the leader's index */
} Dim;

/* Split a comma-separated list (trimmed, empty items dropped); malloc'd. */
static int
split_list(const char *s, char **buf, const char ***items)
{
	int			n = 0;
	char	   *p;
	char	   *save = NULL;

	*buf = strdup(s ? s : "");
	*items = calloc(strlen(*buf) / 2 + 2, sizeof(char *));
	if (!*buf || !*items)
		return -1;
	for (p = strtok_r(*buf, ",", &save); p; p = strtok_r(NULL, ",", &save))
	{
		char	   *e;

		while (*p == ' ' || *p == '\t')
			p++;
		e = p + strlen(p);
		while (e > p && (e[-1] == ' ' || e[-1] == '\t'))
			*--e = '\0';
		if (*p)
			(*items)[n++] = p;
	}
	return n;
}

int
cqp_job_find_col(const CqTableDef *t, const char *name)
{
	for (int i = 0; i < t->ncolumns; i++)
		if (strcmp(t->columns[i].name, name) == 0)
			return i;
	return -1;
}

/*
 * utc_shift
 *		"YYYY-MM-DDTHH:MM:SS[.frac]Z" as the same instant at offset off_min
 *		("...-08:00"), malloc'd; NULL when v has not that form (it is then
 *		sent as is) or on OOM.
 */
static char *
utc_shift(const char *v, int off_min)
{
	struct tm	tm;
	time_t		when;
	const char *frac;
	size_t		nfrac;
	char	   *out;
	int			n = 0;

	memset(&tm, 0, sizeof(tm));
	if (sscanf(v, "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
			   &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &n) != 6 || n != 19)
		return NULL;
	frac = v + 19;
	nfrac = strspn(frac, ".0123456789");
	if (strcmp(frac + nfrac, "Z") != 0 || (nfrac > 0 && frac[0] != '.'))
		return NULL;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	when = timegm(&tm) + (time_t) off_min * 60;
	if (gmtime_r(&when, &tm) == NULL || (out = malloc(48 + nfrac)) == NULL)
		return NULL;
	snprintf(out, 48 + nfrac, "%04d-%02d-%02dT%02d:%02d:%02d%.*s%c%02d:%02d",
			 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
			 tm.tm_sec, (int) nfrac, frac, off_min < 0 ? '-' : '+',
			 abs(off_min) / 60, abs(off_min) % 60);
	return out;
}

static int
op_bit(int op)
{
	for (int b = 0; b < CQ_NOPS; b++)
		if (op == (1 << b))
			return b;
	return -1;
}

/*
 * A value that may go into a spec format (a Kubernetes selector, a GCP
 * filter literal): letters, digits and ._:/@+- only, so it can neither end
 * a quoted literal nor add a term (",", "=", "!", space, quotes).
 */
static bool
value_sendable(const char *v)
{
	for (; *v; v++)
		if (!((*v >= 'a' && *v <= 'z') || (*v >= 'A' && *v <= 'Z') ||
			  (*v >= '0' && *v <= '9') || strchr("._:/@+-", *v)))
			return false;
	return true;
}

/* f with {key} and {value} replaced (each at most once); malloc'd */
static char *
fill_format(const char *f, const char *key, const char *value)
{
	size_t		len = strlen(f) + strlen(key) + strlen(value) + 1;
	char	   *out = malloc(len);
	char	   *o = out;

	if (!out)
		return NULL;
	while (*f)
	{
		if (strncmp(f, "{value}", 7) == 0)
		{
			o += sprintf(o, "%s", value);
			f += 7;
		}
		else if (strncmp(f, "{key}", 5) == 0)
		{
			o += sprintf(o, "%s", key);
			f += 5;
		}
		else
			*o++ = *f++;
	}
	*o = '\0';
	return out;
}

/* s + sep + t, malloc'd (s freed); NULL on OOM */
static char *
join_text(char *s, const char *sep, const char *t)
{
	char	   *out;

	if (s == NULL)
		return strdup(t);
	out = malloc(strlen(s) + strlen(sep) + strlen(t) + 1);
	if (out)
		sprintf(out, "%s%s%s", s, sep, t);
	free(s);
	return out;
}

/*
 * formatted_values
 *		The texts a spec-formatted key sends for its qual (sources/SPEC.md,
 *		key "formats", "separator", "values"): "=" its one value through
 *		formats["="] (an `= ANY` list is not sent: see below); "@>" one text, the members of a JSON
 *		object ({key} and {value}) or the elements of an array ({value}),
 *		joined with the key's separator (without one, the first member:
 *		a superset, which the recheck narrows).  Sets *out (malloc'd array
 *		of malloc'd strings, freed by the caller) and *nout; *nout = 0
 *		means "send nothing for this qual": a value outside the key's
 *		"values", one that is not sendable, or a "@>" member that is not a
 *		string.  The key is never guaranteed, so PostgreSQL's recheck
 *		gives the right rows either way.  false only on OOM.
 */
static bool
formatted_values(const CqKeyDef *kd, const CqKeyValues *kv, char ***out,
				 int *nout)
{
	const char *f = kd->op_format[op_bit(kv->op)];
	char	  **vals = calloc((size_t) kv->nvalues + 1, sizeof(char *));
	int			n = 0;
	bool		ok = true;

	*out = vals;
	*nout = 0;
	if (!vals)
		return false;
	if (kv->op == CQ_OP_EQ)
	{
		/*
		 * One value only: `= ANY` would fan out into one request per value,
		 * and a filter that is not exact would then return a row to
		 * several requests (duplicates the recheck cannot remove).
		 */
		if (kv->nvalues != 1)
			return true;
		for (int i = 0; i < kv->nvalues; i++)
		{
			const char *v = kv->values[i];
			bool		accepted = (kd->naccept == 0);

			for (int a = 0; a < kd->naccept; a++)
				if (strcmp(kd->accept[a], v) == 0)
					accepted = true;
			if (!accepted || (f && !value_sendable(v)))
				return true;
			if ((vals[n++] = f ? fill_format(f, "", v) : strdup(v)) == NULL)
				return false;
		}
		*nout = n;
		return true;
	}

	/* "@>": a JSON object or array, or the elements of a SQL array */
	{
		json_t	   *j = NULL;
		char	   *text = NULL;
		int			members = 0;

		if (kv->nvalues == 1 && (kv->values[0][0] == '{' || kv->values[0][0] == '['))
			j = json_loads(kv->values[0], JSON_DECODE_ANY, NULL);
		if (j && json_is_object(j))
		{
			const char *mk;
			json_t	   *mv;

			json_object_foreach(j, mk, mv)
			{
				char	   *one;

				if (!json_is_string(mv) || !value_sendable(mk) ||
					!value_sendable(json_string_value(mv)))
				{
					members = 0;
					break;
				}
				if (members > 0 && kd->separator == NULL)
					continue;
				if ((one = fill_format(f, mk, json_string_value(mv))) == NULL ||
					(text = join_text(text, kd->separator ? kd->separator : "", one)) == NULL)
				{
					free(one);
					ok = false;
					break;
				}
				free(one);
				members++;
			}
		}
		else if (j && json_is_array(j))
		{
			size_t		i;
			json_t	   *mv;

			json_array_foreach(j, i, mv)
			{
				char	   *one;

				if (!json_is_string(mv) || !value_sendable(json_string_value(mv)))
				{
					members = 0;
					break;
				}
				if (members > 0 && kd->separator == NULL)
					continue;
				if ((one = fill_format(f, "", json_string_value(mv))) == NULL ||
					(text = join_text(text, kd->separator ? kd->separator : "", one)) == NULL)
				{
					free(one);
					ok = false;
					break;
				}
				free(one);
				members++;
			}
		}
		else if (j == NULL)
		{
			for (int i = 0; i < kv->nvalues; i++)
			{
				char	   *one;

				if (!value_sendable(kv->values[i]))
				{
					members = 0;
					break;
				}
				if (members > 0 && kd->separator == NULL)
					continue;
				if ((one = fill_format(f, "", kv->values[i])) == NULL ||
					(text = join_text(text, kd->separator ? kd->separator : "", one)) == NULL)
				{
					free(one);
					ok = false;
					break;
				}
				free(one);
				members++;
			}
		}
		if (j)
			json_decref(j);
		if (ok && members > 0)
		{
			vals[0] = text;
			*nout = 1;
		}
		else
			free(text);
		return ok;
	}
}

/*
 * The fan-out cursor: the dimensions of the cartesian product and the
 * index of the next unit to make.  Units are made from it lazily (at most
 * job->top_cap alive, see unit_cap), so the memory of a scan does not grow
 * with its number of accounts, regions or key values; what it keeps is
 * what the lists themselves take.
 */
typedef struct CqpUnitCursor
{
	Dim		   *dims;
	int			nd;
	int			nbufs;			/* t->nkeys */
	char	  **bufs;			/* split server-option lists */
	const char ***lists;
	int			nquals;			/* p->nkeys */
	char	  **fmt;
	char	 ***fvals;
	int		   *nfvals;
	const char **ctx_list;
	char		own[16];		/* the credentials' AWS account */
	const char *own_list[1];
	size_t		total;			/* units of the product */
	size_t		next;			/* index of the next unit to make */
	/* one unit's assignments (scratch) */
	int		   *idx;
	const char **an,
			  **av;
	int		   *acol;
	bool	   *aq;
	char	  **joined;
	const char **asep;
	bool	   *adrop;
} UnitCursor;

static void
cursor_free(UnitCursor *c)
{
	if (!c)
		return;
	for (int i = 0; i < c->nbufs; i++)
	{
		if (c->bufs)
			free(c->bufs[i]);
		if (c->lists)
			free(c->lists[i]);
	}
	for (int k = 0; c->fmt && k < c->nquals; k++)
		free(c->fmt[k]);
	free(c->fmt);
	for (int k = 0; c->fvals && k < c->nquals; k++)
	{
		for (int v = 0; c->fvals[k] && v < c->nfvals[k]; v++)
			free(c->fvals[k][v]);
		free(c->fvals[k]);
	}
	free(c->fvals);
	free(c->nfvals);
	if (c->joined)
		for (int e = 0; e < c->nd; e++)
			free(c->joined[e]);
	free(c->joined);
	free(c->asep);
	free(c->adrop);
	free(c->bufs);
	free(c->lists);
	free(c->dims);
	free(c->ctx_list);
	free(c->idx);
	free(c->an);
	free(c->av);
	free(c->acol);
	free(c->aq);
	free(c);
}

void
cqp_job_cursor_free(CqJob *job)
{
	cursor_free(job->ucur);
	job->ucur = NULL;
}

/*
 * How many cursor units may be alive at once: four times the transfers in
 * flight, at most one per 64 kB of the memory budget, at least 8.  A unit
 * pages sequentially and its next page is known only once a worker parsed
 * its page: besides one unit per transfer slot, as many may wait for a
 * worker and more must wait in the ready queue, or the slots idle while
 * pages are parsed; and each account's chain of pages starts early (200
 * accounts x 5 pages with 128 alive: the last 72 accounts started their
 * 5-page chains only when the first ones ended, a tail of up to five
 * latencies).  A unit waiting holds one queued request, no body.  Child
 * units (parent rows, AWS regions and describes) are bounded by their
 * parent's page, not by this.
 */
static int
unit_cap(const CqJob *job)
{
	const CqJobSettings *s = &job->params.settings;
	size_t		cap = 4 * (size_t) (s->concurrency > 0 ? s->concurrency : 1);
	size_t		by_budget = s->memory_budget / (64 * 1024);

	if (by_budget > 0 && cap > by_budget)
		cap = by_budget;
	if (cap < 8)
		cap = 8;
	return cap > MAX_UNITS ? MAX_UNITS : (int) cap;
}

/* Point the cursor at unit n of the product (idx in mixed radix). */
static void
cursor_seek(UnitCursor *c, size_t n)
{
	c->next = n;
	for (int d = c->nd - 1; d >= 0; d--)
	{
		if (c->dims[d].follow > 0 || c->dims[d].n <= 0)
			continue;
		c->idx[d] = (int) (n % (size_t) c->dims[d].n);
		n /= (size_t) c->dims[d].n;
	}
	for (int d = 0; d < c->nd; d++)
		if (c->dims[d].follow > 0)
			c->idx[d] = c->idx[c->dims[d].follow - 1];
}

/*
 * Make the cursor's next unit (not linked) and move on.  NULL with err on
 * OOM or when the unit cannot be built (cqp_job_make_unit).
 */
static CqpUnit *
cursor_make(CqJob *job, UnitCursor *c, CqpReq **first, CqError *err)
{
	Dim		   *dims = c->dims;
	int			nd = c->nd;
	int		   *idx = c->idx;
	const char **an = c->an,
			  **av = c->av;
	int		   *acol = c->acol;
	bool	   *aq = c->aq;
	char	  **joined = c->joined;
	const char **asep = c->asep;
	bool	   *adrop = c->adrop;
	CqpUnit    *u;
	int			na = 0;

	for (int d = 0; d < nd; d++)
	{
		int			same = -1;

		/* quals sending one parameter with a separator: one text */
		if (dims[d].sep && dims[d].query)
			for (int e = 0; e < na; e++)
				if (aq[e] && asep[e] && strcmp(an[e], dims[d].param) == 0)
					same = e;
		/*
		 * Without a separator one parameter carries one value: a
		 * formatted qual yields to any other (DigitalOcean tag_name =
		 * 'a', guaranteed, wins over tags @> '{b}', rechecked).
		 */
		if (same < 0 && dims[d].query)
			for (int e = 0; e < na; e++)
				if (aq[e] && strcmp(an[e], dims[d].param) == 0)
				{
					if (dims[d].droppable)
						same = -2;
					else if (adrop[e])
					{
						av[e] = dims[d].values[idx[d]];
						acol[e] = dims[d].col;
						adrop[e] = false;
						same = -2;
					}
				}
		if (same == -2)
			continue;
		if (same >= 0)
		{
			char	   *prev = joined[same] ? joined[same] : strdup(av[same]);

			if (prev == NULL ||
				(joined[same] = join_text(prev, asep[same], dims[d].values[idx[d]])) == NULL)
			{
				for (int e = 0; e < nd; e++)
				{
					free(joined[e]);
					joined[e] = NULL;
				}
				cq_error_set(err, CQ_ERR_NOMEM, "out of memory building units");
				return NULL;
			}
			av[same] = joined[same];
			continue;
		}
		an[na] = dims[d].param;
		av[na] = dims[d].values[idx[d]];
		acol[na] = dims[d].col;
		aq[na] = dims[d].query;
		asep[na] = dims[d].sep;
		adrop[na] = dims[d].droppable;
		na++;
	}
	u = cqp_job_make_unit(job, NULL, na, an, av, acol, aq, first, err);
	for (int e = 0; e < na; e++)
	{
		free(joined[e]);
		joined[e] = NULL;
	}
	if (!u)
		return NULL;
	u->top = true;
	for (int d = nd - 1; d >= 0; d--)
	{
		if (dims[d].follow > 0)
			continue;
		if (++idx[d] < dims[d].n)
			break;
		idx[d] = 0;
	}
	for (int d = 0; d < nd; d++)
		if (dims[d].follow > 0)
			idx[d] = idx[dims[d].follow - 1];
	c->next++;
	return u;
}

/*
 * cqp_job_units_refill_locked
 *		Make the cursor's next units while fewer than job->top_cap are
 *		alive (a unit finished, cqp_job_unit_check_locked).  Every one of
 *		them was built once at the start (cqp_job_build_units), so only
 *		OOM fails here, and it fails the job.  job->mu held.
 */
void
cqp_job_units_refill_locked(CqJob *job)
{
	UnitCursor *c = job->ucur;

	while (c && c->next < c->total && job->top_alive < job->top_cap &&
		   !job->failed && !atomic_load(&job->stop))
	{
		CqError		err;
		CqpReq	   *first;
		CqpUnit    *u;

		memset(&err, 0, sizeof(err));
		u = cursor_make(job, c, &first, &err);
		if (!u)
		{
			cqp_job_fail_job_locked(job, &err);
			return;
		}
		cqp_job_add_unit_locked(job, u, first);
	}
}

/*
 * Build the initial units: the cartesian product of the multi-valued
 * dimensions (key lists, server-option lists), single-valued keys added to
 * every unit.  The first job->top_cap units are linked now; the others are
 * built once here too (so a unit that cannot be built -- a URL over the
 * limit, a policy refusal, an account's credentials -- fails the scan
 * before any request, and the account providers are all made before the
 * threads start) and dropped, to be made again by the cursor
 * (cqp_job_units_refill_locked) as running units finish.
 */
bool
cqp_job_build_units(CqJob *job, CqError *err)
{
	const CqTableDef *t = job->table;
	const CqJobParams *p = &job->params;
	Dim		   *dims = calloc((size_t) p->nkeys + (size_t) t->nkeys + 1, sizeof(Dim));
	char	  **bufs = calloc((size_t) t->nkeys + 1, sizeof(char *));
	const char ***lists = calloc((size_t) t->nkeys + 1, sizeof(char **));
	/* per qual: the value put in its op_format (spec cursors) */
	char	  **fmt = calloc((size_t) p->nkeys + 1, sizeof(char *));
	/* per qual: the texts of a spec-formatted key (formatted_values) */
	char	 ***fvals = calloc((size_t) p->nkeys + 1, sizeof(char **));
	int		   *nfvals = calloc((size_t) p->nkeys + 1, sizeof(int));
	char	  **joined = NULL;
	const char **asep = NULL;
	bool	   *adrop = NULL;
	int			nd = 0;
	bool		ok = false;
	size_t		total = 1;
	int		   *idx = NULL;
	const char **an = NULL,
			  **av = NULL;
	int		   *acol = NULL;
	bool	   *aq = NULL;
	int			acct_dim = -1;
	int			ctx_dim = -1;
	const char **ctx_list = NULL;
	UnitCursor *c = calloc(1, sizeof(UnitCursor));
	char	   *own;
	const char **own_list;

	if (!c || !dims || !bufs || !lists || !fmt || !fvals || !nfvals)
		goto oom;
	own = c->own;
	own_list = c->own_list;
	own_list[0] = own;
	for (int k = 0; k < p->nkeys; k++)
	{
		const CqKeyValues *kv = &p->keys[k];
		const CqKeyDef *kd = NULL;

		for (int i = 0; i < t->nkeys; i++)
			if (strcmp(t->keys[i].column, kv->column) == 0)
				kd = &t->keys[i];
		if (!kd)
		{
			cq_error_set(err, CQ_ERR_CONFIG, "column \"%s\" is not a key column of table \"%s\"",
						 kv->column, t->name);
			goto done;
		}
		if (kd->in == CQ_IN_REGION && t->aws && t->aws->global_region)
		{
			/* a global service: its one region, if the qual allows it */
			bool		match = false;

			for (int v = 0; v < kv->nvalues; v++)
				if (strcmp(kv->values[v], t->aws->global_region) == 0)
					match = true;
			dims[nd].param = kd->param;
			dims[nd].col = cqp_job_find_col(t, kd->column);
			dims[nd].query = false;
			dims[nd].n = match ? 1 : 0;
			dims[nd].values = (const char **) &t->aws->global_region;
		}
		else if ((kv->op == CQ_OP_EQ && (kd->formatted || kd->naccept > 0)) ||
				 kv->op == CQ_OP_CONTAINS)
		{
			int			b = op_bit(kv->op);

			if (kv->op == CQ_OP_CONTAINS && (!kd->op_param[b] || !kd->op_format[b]))
			{
				cq_error_set(err, CQ_ERR_CONFIG, "key column \"%s\" does not accept this operator",
							 kv->column);
				goto done;
			}
			if (!formatted_values(kd, kv, &fvals[k], &nfvals[k]))
				goto oom;
			if (nfvals[k] == 0)
				continue;		/* not sent: PostgreSQL rechecks */
			dims[nd].param = kv->op == CQ_OP_EQ ? (kd->param ? kd->param : kd->column) :
				kd->op_param[b];
			/*
			 * Rows keep their own value of the column: the API's filter
			 * may not be exact (the recheck must see the real value)
			 */
			dims[nd].col = -1;
			dims[nd].query = true;
			dims[nd].n = nfvals[k];
			dims[nd].values = (const char **) fvals[k];
			dims[nd].sep = kd->separator;
			dims[nd].droppable = true;
		}
		else if (kv->op == CQ_OP_EQ || kv->op == 0)
		{
			dims[nd].param = kd->param ? kd->param : kd->column;
			dims[nd].col = cqp_job_find_col(t, kd->column);
			dims[nd].query = (kd->in == CQ_IN_QUERY);
			dims[nd].n = kv->nvalues;
			dims[nd].values = (const char **) kv->values;
			if (kd->in == CQ_IN_ACCOUNT)
				acct_dim = nd;
			if (kd->in == CQ_IN_CONTEXT)
				ctx_dim = nd;
		}
		else
		{
			int			b = op_bit(kv->op);

			if (b < 0 || !kd->op_param[b] || kv->nvalues < 1)
			{
				cq_error_set(err, CQ_ERR_CONFIG, "key column \"%s\" does not accept this operator",
							 kv->column);
				goto done;
			}
			dims[nd].param = kd->op_param[b];
			dims[nd].col = -1;
			dims[nd].query = true;
			dims[nd].n = 1;
			dims[nd].values = (const char **) kv->values;
			dims[nd].sep = kd->separator;
			/* a spec cursor's time sent at the API's own offset */
			if (t->cursor_utc_offset && kv->op == t->cursor_op &&
				strcmp(kd->column, t->cursor_column) == 0)
				fmt[k] = utc_shift(kv->values[0], t->cursor_offset_min);
			if (kd->op_format[b])
			{
				/* `creationTimestamp >= "{value}"`: the value must not
				 * end the quotes or escape (timestamps never do) */
				char	   *shifted = fmt[k];
				const char *v = shifted ? shifted : kv->values[0];
				const char *at = strstr(kd->op_format[b], "{value}");
				size_t		pre = (size_t) (at - kd->op_format[b]);

				for (const char *q = v; *q; q++)
					if (*q == '"' || *q == '\\' || *q == '\'' || (unsigned char) *q < 0x20)
					{
						cq_error_set(err, CQ_ERR_CONFIG, "the value of key column \"%s\" cannot be sent in its filter (it holds a quote, backslash or control character)",
									 kv->column);
						goto done;
					}
				fmt[k] = malloc(strlen(kd->op_format[b]) + strlen(v) + 1);
				if (fmt[k] == NULL)
				{
					free(shifted);
					goto oom;
				}
				memcpy(fmt[k], kd->op_format[b], pre);
				strcpy(fmt[k] + pre, v);
				strcat(fmt[k], at + strlen("{value}"));
				free(shifted);
			}
			if (fmt[k])
				dims[nd].values = (const char **) &fmt[k];
		}
		dims[nd].follow = (k < p->nzip) ? -1 : 0;	/* resolved below */
		nd++;
	}
	/* zipped dims: the first one leads, the others follow its index */
	{
		int			lead = -1;

		for (int d = 0; d < nd; d++)
		{
			if (dims[d].follow != -1)
				continue;
			if (lead < 0)
			{
				lead = d;
				dims[d].follow = 0;
			}
			else if (dims[d].n != dims[lead].n)
			{
				cq_error_set(err, CQ_ERR_CONFIG, "zipped key lists differ in length (%d and %d)",
							 dims[lead].n, dims[d].n);
				goto done;
			}
			else
				dims[d].follow = lead + 1;
		}
	}
	/* server-option fan-out for keys without a qual */
	for (int i = 0; i < t->nkeys; i++)
	{
		const CqKeyDef *kd = &t->keys[i];
		bool		given = false;

		for (int k = 0; k < p->nkeys; k++)
			if (strcmp(p->keys[k].column, kd->column) == 0)
				given = true;
		if (given)
			continue;
		if (kd->in == CQ_IN_REGION && t->aws && t->aws->global_region)
		{
			/* a global service: one unit, the column holds its region */
			dims[nd].param = kd->param;
			dims[nd].col = cqp_job_find_col(t, kd->column);
			dims[nd].query = false;
			dims[nd].n = 1;
			dims[nd].values = (const char **) &t->aws->global_region;
			nd++;
			continue;
		}
		if (!kd->server_option)
			continue;
		for (int s = 0; s < p->nserver_opts; s++)
		{
			if (strcmp(p->server_opt_names[s], kd->server_option) != 0)
				continue;
			dims[nd].n = split_list(p->server_opt_values[s], &bufs[i], &lists[i]);
			if (dims[nd].n < 0)
				goto oom;
			dims[nd].param = kd->param ? kd->param : kd->column;
			dims[nd].col = cqp_job_find_col(t, kd->column);
			dims[nd].query = (kd->in == CQ_IN_QUERY);
			dims[nd].values = lists[i];
			if (kd->in == CQ_IN_ACCOUNT)
				acct_dim = nd;
			nd++;
			break;
		}
	}

	/*
	 * AWS accounts.  A role per account ({account_id} in role_arn): the
	 * accounts asked for.  Otherwise the credentials have one account (the
	 * role's, or the key's from GetCallerIdentity): no qual scans it, a
	 * qual or the server option keeps it only if they name it.
	 */
	if (job->account_key >= 0 && !(acct_dim >= 0 && job->role_per_account))
	{
		const CqKeyDef *ak = &t->keys[job->account_key];
		int			keep = 1;

		if (!cqp_job_own_account(job, own, err))
			goto done;
		if (acct_dim >= 0)
		{
			keep = 0;
			for (int v = 0; v < dims[acct_dim].n; v++)
				if (strcmp(dims[acct_dim].values[v], own) == 0)
					keep = 1;
		}
		else
		{
			acct_dim = nd++;
			dims[acct_dim].param = ak->param ? ak->param : ak->column;
			dims[acct_dim].col = cqp_job_find_col(t, ak->column);
			dims[acct_dim].query = false;
		}
		dims[acct_dim].n = keep;
		dims[acct_dim].values = own_list;
	}

	/*
	 * kubeconfig contexts.  The contexts asked for (qual), else every
	 * context of the kubeconfig; the mapping's context option keeps only
	 * itself.  A name the kubeconfig does not have matches no cluster: no
	 * unit (no rows), as a qual on any other column.  Without a kubeconfig
	 * the column has no value to match.
	 */
	if (job->context_key >= 0)
	{
		const CqKeyDef *ck = &t->keys[job->context_key];
		const char *only = p->cred.kube_context && *p->cred.kube_context ?
			p->cred.kube_context : NULL;
		int			m = 0;

		ctx_list = calloc((size_t) job->nctx + 1, sizeof(char *));
		if (!ctx_list)
			goto oom;
		for (int i = 0; i < job->nctx; i++)
		{
			const char *nm = job->ctx_names[i];
			bool		want = ctx_dim < 0;

			for (int v = 0; ctx_dim >= 0 && v < dims[ctx_dim].n; v++)
				if (strcmp(dims[ctx_dim].values[v], nm) == 0)
					want = true;
			if (want && (!only || strcmp(only, nm) == 0))
				ctx_list[m++] = nm;
		}
		if (ctx_dim < 0 && (p->cred.kubeconfig || m > 0))
		{
			ctx_dim = nd++;
			dims[ctx_dim].param = ck->param ? ck->param : ck->column;
			dims[ctx_dim].col = cqp_job_find_col(t, ck->column);
			dims[ctx_dim].query = false;
		}
		if (ctx_dim >= 0)
		{
			dims[ctx_dim].n = m;
			dims[ctx_dim].values = ctx_list;
		}
	}
	for (int d = 0; d < nd; d++)
	{
		if (dims[d].follow > 0)
			continue;			/* follows its leader: no extra units */
		if (dims[d].n == 0)
			total = 0;
		else if (total > MAX_UNITS / (size_t) dims[d].n)
		{
			cq_error_set(err, CQ_ERR_LIMIT, "more than %d fan-out units", MAX_UNITS);
			goto done;
		}
		else
			total *= (size_t) dims[d].n;
	}
	idx = calloc((size_t) nd + 1, sizeof(int));
	an = calloc((size_t) nd + 1, sizeof(char *));
	av = calloc((size_t) nd + 1, sizeof(char *));
	acol = calloc((size_t) nd + 1, sizeof(int));
	aq = calloc((size_t) nd + 1, sizeof(bool));
	joined = calloc((size_t) nd + 1, sizeof(char *));
	asep = calloc((size_t) nd + 1, sizeof(char *));
	adrop = calloc((size_t) nd + 1, sizeof(bool));
	if (!idx || !an || !av || !acol || !aq || !joined || !asep || !adrop)
		goto oom;
	/* the cursor owns the lists and the scratch from here on */
	c->dims = dims;
	c->nd = nd;
	c->nbufs = t->nkeys;
	c->bufs = bufs;
	c->lists = lists;
	c->nquals = p->nkeys;
	c->fmt = fmt;
	c->fvals = fvals;
	c->nfvals = nfvals;
	c->ctx_list = ctx_list;
	c->idx = idx;
	c->an = an;
	c->av = av;
	c->acol = acol;
	c->aq = aq;
	c->joined = joined;
	c->asep = asep;
	c->adrop = adrop;
	c->total = total;
	dims = NULL;
	bufs = NULL;
	lists = NULL;
	fmt = NULL;
	fvals = NULL;
	nfvals = NULL;
	ctx_list = NULL;
	idx = NULL;
	an = av = NULL;
	acol = NULL;
	aq = NULL;
	joined = NULL;
	asep = NULL;
	adrop = NULL;
	job->top_cap = unit_cap(job);
	for (size_t n = 0; n < total; n++)
	{
		CqpUnit    *u;
		CqpReq	   *first;

		if (!(u = cursor_make(job, c, &first, err)))
			goto done;
		if (n < (size_t) job->top_cap)
			cqp_job_add_unit_locked(job, u, first);
		else
		{
			/* checked: made again when its turn comes */
			cqp_job_req_free(first);
			cqp_job_unit_free(u);
		}
	}
	if (total > (size_t) job->top_cap)
	{
		cursor_seek(c, (size_t) job->top_cap);
		job->ucur = c;
		c = NULL;
	}
	ok = true;
	goto done;

oom:
	cq_error_set(err, CQ_ERR_NOMEM, "out of memory building units");
done:
	for (int i = 0; i < t->nkeys; i++)
	{
		if (bufs)
			free(bufs[i]);
		if (lists)
			free(lists[i]);
	}
	for (int k = 0; fmt && k < p->nkeys; k++)
		free(fmt[k]);
	free(fmt);
	for (int k = 0; fvals && k < p->nkeys; k++)
	{
		for (int v = 0; fvals[k] && v < nfvals[k]; v++)
			free(fvals[k][v]);
		free(fvals[k]);
	}
	free(fvals);
	free(nfvals);
	if (joined)
		for (int e = 0; e < nd; e++)
			free(joined[e]);
	free(joined);
	free(asep);
	free(adrop);
	free(bufs);
	free(lists);
	free(dims);
	free(ctx_list);
	free(idx);
	free(an);
	free(av);
	free(acol);
	free(aq);
	cursor_free(c);
	return ok;
}
