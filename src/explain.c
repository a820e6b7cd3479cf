/*-------------------------------------------------------------------------
 *
 * explain.c
 *		  EXPLAIN output of a cq_fdw scan.
 *
 * Invariants:
 *	- Never prints a credential: the request template goes through
 *	  cq_redact_url(), and the user mapping is never read here.
 *	- Stable for regression tests: with TIMING OFF, the figures that vary
 *	  from run to run (API Wait, Rate Limit Wait, Peak Memory) are left out,
 *	  just like PostgreSQL leaves out its own timings; the counters (API
 *	  Requests, Pages, Rows Fetched, Bytes, Retries) are deterministic for a
 *	  deterministic API.
 *	- Output order: Source, Table, Pushed Quals, Request, Fan-out, Pushed
 *	  Limit, Parent Listing / Describe (AWS), Detail Calls, [VERBOSE] Request
 *	  Template, [ANALYZE] counters (Detail Requests when the scan makes
 *	  detail calls, Parent / Describe Requests for an AWS parent listing or
 *	  list-then-get).
 *
 * Copyright (c) 2026, cq_fdw developers
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "commands/explain.h"
#include "lib/stringinfo.h"
#include "nodes/nodeFuncs.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/ruleutils.h"

#include "cq_fdw.h"

/*
 * op_symbol
 *		SQL spelling of a CQ_OP_* operator.
 */
static const char *
op_symbol(int op)
{
	switch (op)
	{
		case CQ_OP_EQ:
			return "=";
		case CQ_OP_LT:
			return "<";
		case CQ_OP_LE:
			return "<=";
		case CQ_OP_GT:
			return ">";
		case CQ_OP_GE:
			return ">=";
		case CQ_OP_LIKE:
			return "LIKE";
		case CQ_OP_CONTAINS:
			return "@>";
	}
	return "?";
}

/*
 * value_sql
 *		The value side of a pushed qual: a literal for a constant ('x',
 *		'{a,b}'), else the expression as ruleutils prints it ($1 for a
 *		parameter).
 */
static char *
value_sql(Expr *e, ForeignScanState *node, ExplainState *es)
{
	Node	   *n = (Node *) e;

	while (IsA(n, RelabelType))
		n = (Node *) ((RelabelType *) n)->arg;
	if (IsA(n, Const))
	{
		Const	   *c = (Const *) n;
		Oid			outfunc;
		bool		isvarlena;

		if (c->constisnull)
			return "NULL";
		getTypeOutputInfo(c->consttype, &outfunc, &isvarlena);
		return quote_literal_cstr(OidOutputFunctionCall(outfunc,
														c->constvalue));
	}
	return deparse_expression(n,
							  set_deparse_context_plan(es->deparse_cxt,
													   node->ss.ps.plan, NIL),
							  false, false);
}

/*
 * const_strings
 *		The text of a constant qual value: one ('x') or each element of an
 *		array ('{a,b}'; NULL elements are skipped).  False for anything
 *		else (a parameter: known at execution only).
 */
static bool
const_strings(Expr *e, const char ***out, int *n)
{
	Node	   *nd = (Node *) e;
	Const	   *c;
	Oid			outfunc;
	bool		isvarlena;

	while (nd && IsA(nd, RelabelType))
		nd = (Node *) ((RelabelType *) nd)->arg;
	if (nd == NULL || !IsA(nd, Const))
		return false;
	c = (Const *) nd;
	*n = 0;
	*out = NULL;
	if (c->constisnull)
		return true;
	if (type_is_array(c->consttype))
	{
		ArrayType  *arr = DatumGetArrayTypeP(c->constvalue);
		Oid			elt = ARR_ELEMTYPE(arr);
		int16		typlen;
		bool		typbyval;
		char		typalign;
		Datum	   *vals;
		bool	   *nulls;
		int			nv;

		get_typlenbyvalalign(elt, &typlen, &typbyval, &typalign);
		deconstruct_array(arr, elt, typlen, typbyval, typalign, &vals, &nulls, &nv);
		getTypeOutputInfo(elt, &outfunc, &isvarlena);
		*out = palloc0(sizeof(char *) * (nv + 1));
		for (int i = 0; i < nv; i++)
			if (!nulls[i])
				(*out)[(*n)++] = OidOutputFunctionCall(outfunc, vals[i]);
		return true;
	}
	getTypeOutputInfo(c->consttype, &outfunc, &isvarlena);
	*out = palloc0(sizeof(char *) * 2);
	(*out)[(*n)++] = OidOutputFunctionCall(outfunc, c->constvalue);
	return true;
}

/*
 * cqfdw_kube_contexts
 *		The kubeconfig contexts a scan of t (a table with a context key)
 *		visits, by the SDK's rule (job_units.c): the user mapping's context
 *		option keeps one, else every context of its kubeconfig; `value`, the
 *		value of a pushed `context =` / `= ANY` qual (NULL: none), keeps the
 *		ones it names.  Without a kubeconfig: no context, so one unit
 *		without a qual and none with one.  Returns how many, or -1 when that
 *		is not known at plan time (a parameter; a kubeconfig that cannot be
 *		used: the scan reports it).  *servers (if not NULL): "NAME=SERVER,
 *		..." of them for EXPLAIN (URLs only, not redacted yet), palloc'd,
 *		or NULL.
 */
int
cqfdw_kube_contexts(const CqFdwTable *t, Expr *value, char **servers)
{
	const char **pick = NULL;
	int			npick = 0;
	int			count = 0;
	char	   *list;
	CqError		err;

	if (servers)
		*servers = NULL;
	if (value && !const_strings(value, &pick, &npick))
		return -1;
	if (t->cred.kubeconfig == NULL)
		return value ? 0 : 1;
	list = cq_kubeconfig_servers(t->cred.kubeconfig, t->cred.kube_context, true,
								 value ? pick : NULL, npick, &count, &err);
	if (list == NULL)
		return -1;
	if (servers)
		*servers = pstrdup(list);
	free(list);
	return count;
}

/*
 * explain_detail_calls
 *		"Detail Calls": the detail calls (spec "hydrate") the scan makes, one
 *		per row each, because a column it fetches (projected or filtered
 *		locally) comes from them: "details (/repos/{owner}/{name})".  Shows
 *		nothing when none is needed.  Returns how many.
 */
static int
explain_detail_calls(const CqFdwTable *t, ForeignScan *plan, ExplainState *es)
{
	List	   *attrs = (List *) list_nth(plan->fdw_private, CqScanPrivAttrs);
	const CqTableDef *td = t->table;
	bool	   *need;
	int			n = 0;
	ListCell   *lc;
	StringInfoData b;

	if (td->nhydrate <= 0)
		return 0;
	need = palloc0(sizeof(bool) * td->nhydrate);
	foreach(lc, attrs)
	{
		const CqFdwColumn *c = &t->columns[lfirst_int(lc) - 1];
		int			h = c->src_col >= 0 ? td->columns[c->src_col].hydrate : 0;

		if (h > 0 && h <= td->nhydrate)
			need[h - 1] = true;
	}
	initStringInfo(&b);
	for (int i = 0; i < td->nhydrate; i++)
	{
		if (!need[i])
			continue;
		appendStringInfo(&b, "%s%s (%s)", n ? ", " : "", td->hydrate[i].name,
						 td->hydrate[i].endpoint);
		n++;
	}
	if (n > 0)
		ExplainPropertyText("Detail Calls", b.data, es);
	return n;
}

/*
 * explain_aws_calls
 *		The calls of an AWS table besides its listing: "Parent Listing" (the
 *		parent operation, e.g. ListUsers, listed when a key it fills is not
 *		given by a pushed `=` qual or a join) and "Describe" (list-then-get:
 *		"DescribeClusters (batches of 100)").  Sets *parent / *describe to
 *		what was shown, for the ANALYZE counters.
 */
static void
explain_aws_calls(const CqFdwTable *t, List *quals, ExplainState *es,
				  bool *parent, bool *describe)
{
	const CqTableDef *td = t->table;

	*parent = *describe = false;
	if (td->aws == NULL)
		return;
	if (td->parent)
	{
		bool		listed = false;

		for (int i = 0; i < td->nkeys && !listed; i++)
		{
			const CqKeyDef *k = &td->keys[i];
			bool		given = false;
			ListCell   *lc;

			if (!k->from_parent || !(k->required || k->in == CQ_IN_PATH))
				continue;
			foreach(lc, quals)
			{
				List	   *f = (List *) lfirst(lc);
				const CqFdwColumn *c = &t->columns[list_nth_int(f, CqQualAttnum) - 1];

				if (list_nth_int(f, CqQualOp) == CQ_OP_EQ && c->src_col >= 0 &&
					strcmp(td->columns[c->src_col].name, k->column) == 0)
					given = true;
			}
			listed = !given;
		}
		if (listed)
		{
			ExplainPropertyText("Parent Listing",
								td->parent->aws && td->parent->aws->action ?
								td->parent->aws->action : td->parent->endpoint, es);
			*parent = true;
		}
	}
	if (td->aws->describe)
	{
		const CqAwsDescribeDef *d = td->aws->describe;

		ExplainPropertyText("Describe",
							d->batch > 1 ?
							psprintf("%s (batches of %d)", d->action, d->batch) :
							psprintf("%s (one call per identifier)", d->action), es);
		*describe = true;
	}
}

/*
 * explain_join
 *		A batched join (join.c): which inner keys the outer rows feed, and,
 *		with ANALYZE, how many outer rows were read and how many distinct
 *		key tuples the inner scan looked up in its one job (its own API
 *		Requests line counts the requests), summed over the join's loops
 *		like the scans' counters.
 */
static void
explain_join(ForeignScanState *node, ExplainState *es)
{
	ForeignScan *plan = (ForeignScan *) node->ss.ps.plan;
	ForeignScan *inner = (ForeignScan *) innerPlan(plan);
	Plan	   *outer = outerPlan(plan);
	CqFdwJoinState *js = (CqFdwJoinState *) node->fdw_state;
	StringInfoData b;
	ListCell   *lc;

	initStringInfo(&b);
	foreach(lc, (List *) lsecond(plan->fdw_private))
	{
		List	   *k = lfirst(lc);
		TargetEntry *ote = list_nth(outer->targetlist, linitial_int(k) - 1);
		TargetEntry *ite = list_nth(inner->scan.plan.targetlist, lsecond_int(k) - 1);

		if (b.len > 0)
			appendStringInfoString(&b, ", ");
		/* the children's Vars: deparse them in their own plans */
		appendStringInfo(&b, "%s = %s",
						 deparse_expression((Node *) ite->expr,
											set_deparse_context_plan(es->deparse_cxt,
																	 (Plan *) inner, NIL),
											true, false),
						 deparse_expression((Node *) ote->expr,
											set_deparse_context_plan(es->deparse_cxt,
																	 outer, NIL),
											true, false));
	}
	ExplainPropertyText("Batched Join", "inner rows looked up by the outer rows' keys, one concurrent job", es);
	ExplainPropertyText("Join Keys", b.data, es);
	if (es->analyze && js != NULL && !js->explain_only)
	{
		ExplainPropertyInteger("Outer Rows", NULL, (int64) js->outer_read, es);
		ExplainPropertyInteger("Inner Lookups", NULL, (int64) js->lookups_total, es);
	}
}

/*
 * query_parameters
 *		"Query Parameters": how the pushed quals of spec-formatted keys
 *		("formats", "@>") reach the API, e.g. `fieldSelector:
 *		status.phase={value}, labelSelector: {key}={value} joined by ","`.
 *		Shown only when some pushed qual has a format, so plans of plain
 *		`=` keys look as before.  Each qual's text is built at execution; a
 *		value that cannot be sent (SPEC.md) is not, and the recheck
 *		(Filter) decides alone.
 */
static void
query_parameters(const CqFdwTable *t, List *quals, ExplainState *es)
{
	StringInfoData b;
	ListCell   *lc;
	bool		any = false;

	initStringInfo(&b);
	foreach(lc, quals)
	{
		List	   *f = (List *) lfirst(lc);
		AttrNumber	attnum = list_nth_int(f, CqQualAttnum);
		int			op = list_nth_int(f, CqQualOp);
		const CqFdwColumn *c = &t->columns[attnum - 1];
		const CqKeyDef *k;
		int			bit = 0;
		const char *param;

		if (c->src_col < 0)
			continue;
		k = cq_table_find_key(t->table, t->table->columns[c->src_col].name);
		if (k == NULL || k->in != CQ_IN_QUERY)
			continue;
		while (bit < CQ_NOPS && op != (1 << bit))
			bit++;
		if (bit == CQ_NOPS)
			continue;
		param = op == CQ_OP_EQ ? k->param : k->op_param[bit];
		if (k->formatted || op == CQ_OP_CONTAINS)
			any = true;
		if (b.len > 0)
			appendStringInfoString(&b, ", ");
		appendStringInfo(&b, "%s=%s", param,
						 k->op_format[bit] ? k->op_format[bit] : "{value}");
		if (k->separator)
			appendStringInfo(&b, " (joined by \"%s\")", k->separator);
	}
	if (any)
		ExplainPropertyText("Query Parameters", b.data, es);
}

/*
 * context_qual_value
 *		The value of the scan's pushed `=` / `= ANY` qual on its kubeconfig
 *		context key column, or NULL.
 */
static Expr *
context_qual_value(ForeignScanState *node, List *quals)
{
	ForeignScan *plan = (ForeignScan *) node->ss.ps.plan;
	const CqFdwTable *t = cqfdw_scan_table(node);
	ListCell   *lc;

	foreach(lc, quals)
	{
		List	   *f = (List *) lfirst(lc);
		const CqFdwColumn *c = &t->columns[list_nth_int(f, CqQualAttnum) - 1];
		const CqKeyDef *k;

		if (c->src_col < 0 || list_nth_int(f, CqQualOp) != CQ_OP_EQ)
			continue;
		if (list_length(f) > CqQualFedIdx && list_nth_int(f, CqQualFedIdx) >= 0)
			continue;
		k = cq_table_find_key(t->table, t->table->columns[c->src_col].name);
		if (k && k->in == CQ_IN_CONTEXT)
			return list_nth(plan->fdw_exprs, list_nth_int(f, CqQualExprIdx));
	}
	return NULL;
}

/*
 * cqExplainForeignScan
 *		Add the cq_fdw properties of a scan node.  Reads the plan and the
 *		scan state (which in EXPLAIN-only mode holds no job).
 */
static void
explain_scan(ForeignScanState *node, struct ExplainState *es)
{
	ForeignScan *plan = (ForeignScan *) node->ss.ps.plan;
	const CqFdwTable *t = cqfdw_scan_table(node);
	List	   *quals = (List *) list_nth(plan->fdw_private, CqScanPrivQuals);
	int			limit = intVal(list_nth(plan->fdw_private, CqScanPrivLimit));
	const char *request = strVal(list_nth(plan->fdw_private,
										  CqScanPrivRequest));
	int			units = intVal(list_nth(plan->fdw_private, CqScanPrivUnits));
	int			ndetail;
	bool		aws_parent,
				aws_describe;
	ListCell   *lc;

	if (t == NULL)
		return;

	ExplainPropertyText("Source", t->source_name, es);
	ExplainPropertyText("Table", t->table->name ? t->table->name :
						t->table_name, es);

	if (quals != NIL)
	{
		StringInfoData b;

		initStringInfo(&b);
		foreach(lc, quals)
		{
			List	   *f = (List *) lfirst(lc);
			AttrNumber	attnum = list_nth_int(f, CqQualAttnum);
			Expr	   *e = list_nth(plan->fdw_exprs,
									 list_nth_int(f, CqQualExprIdx));

			int			skidx = list_length(f) > CqQualSubkeyIdx ?
				list_nth_int(f, CqQualSubkeyIdx) : -1;

			if (b.len > 0)
				appendStringInfoString(&b, ", ");
			if (list_length(f) > CqQualFedIdx && list_nth_int(f, CqQualFedIdx) >= 0)
			{
				/* fed by a batched join: the outer rows' key values */
				appendStringInfo(&b, "%s = ANY (outer keys)",
								 quote_identifier(t->columns[attnum - 1].attname));
				continue;
			}
			if (skidx >= 0)
			{
				/* `labels ->> 'app' = 'x'`, sent as labels @> {"app": "x"} */
				appendStringInfo(&b, "%s ->> %s = %s",
								 quote_identifier(t->columns[attnum - 1].attname),
								 value_sql(list_nth(plan->fdw_exprs, skidx), node, es),
								 value_sql(e, node, es));
				continue;
			}
			appendStringInfo(&b, "%s %s %s%s%s",
							 quote_identifier(t->columns[attnum - 1].attname),
							 op_symbol(list_nth_int(f, CqQualOp)),
							 list_nth_int(f, CqQualIsAny) ? "ANY (" : "",
							 value_sql(e, node, es),
							 list_nth_int(f, CqQualIsAny) ? ")" : "");
		}
		ExplainPropertyText("Pushed Quals", b.data, es);
		query_parameters(t, quals, es);
	}

	ExplainPropertyText("Request", request, es);
	if (units != 1)
	{
		if (units == -2)
			ExplainPropertyText("Fan-out", "one unit per outer key", es);
		else if (units < 0)
			ExplainPropertyText("Fan-out", "per parameter value", es);
		else
			ExplainPropertyInteger("Fan-out", NULL, units, es);
	}
	if (limit >= 0)
		ExplainPropertyInteger("Pushed Limit", NULL, limit, es);
	explain_aws_calls(t, quals, es, &aws_parent, &aws_describe);
	ndetail = explain_detail_calls(t, plan, es);

	if (es->verbose)
	{
		const char *endpoint = t->table->endpoint ? t->table->endpoint : "";
		char	   *url;
		char		redacted[1024];

		if (strcmp(request, "get") == 0 && t->table->get_endpoint)
			endpoint = t->table->get_endpoint;
		if (strncmp(endpoint, "http://", 7) == 0 ||
			strncmp(endpoint, "https://", 8) == 0)
			url = pstrdup(endpoint);
		else
		{
			/* joined as the SDK does (job_units.c): one '/' between the two */
			const char *b = t->base_url ? t->base_url : "";
			int			bl;

			/*
			 * A kubeconfig: requests go to its cluster's server, not to
			 * base_url.  One context (the mapping's, or current-context):
			 * its server.  A context key column: every context's server,
			 * listed in "Clusters", the template naming none.  URLs only
			 * (no CA, certificate, key or token).  An unusable kubeconfig
			 * shows base_url; the scan reports the error.
			 */
			if (t->cred.kubeconfig)
			{
				bool		fan = false;
				CqError		kerr;
				char	   *servers = NULL;
				char	   *one;

				for (int i = 0; i < t->table->nkeys; i++)
					if (t->table->keys[i].in == CQ_IN_CONTEXT)
						fan = true;
				if (fan)
				{
					/* the contexts the scan visits (the quals' picks) */
					if (cqfdw_kube_contexts(t, context_qual_value(node, quals), &servers) < 0)
						(void) cqfdw_kube_contexts(t, NULL, &servers);
				}
				else if ((one = cq_kubeconfig_servers(t->cred.kubeconfig, t->cred.kube_context,
													  false, NULL, 0, NULL, &kerr)) != NULL)
				{
					servers = pstrdup(one);
					free(one);
				}
				if (servers)
				{
					char		red[1024];

					cq_redact_url(servers, red, sizeof(red));
					if (fan)
					{
						ExplainPropertyText("Clusters", red[0] ? red : "none", es);
						b = "{context server}";
					}
					else if (strchr(red, '='))
						b = pstrdup(strchr(red, '=') + 1);
				}
			}
			bl = strlen(b);

			if (endpoint[0] == '/')
				while (bl > 0 && b[bl - 1] == '/' && !(bl >= 2 && b[bl - 2] == ':'))
					bl--;
			url = psprintf("%.*s%s%s", bl, b,
						   (endpoint[0] && endpoint[0] != '/' && endpoint[0] != '?' &&
							(bl == 0 || b[bl - 1] != '/')) ? "/" : "",
						   endpoint);
		}
		cq_redact_url(url, redacted, sizeof(redacted));
		ExplainPropertyText("Request Template", redacted, es);
		/* the signing scope (never a key): "aws:amz:<region>:<service>" */
		if (t->source && t->source->auth == CQ_AUTH_SIGV4 && t->source->sigv4)
			ExplainPropertyText("Signing", psprintf("SigV4 %s", t->source->sigv4), es);
	}

	if (es->analyze)
	{
		CqJobStats	s;
		int			njobs;

		if (cqfdw_scan_info(node, &s, &njobs))
		{
			ExplainPropertyInteger("API Requests", NULL, (int64) s.requests, es);
			ExplainPropertyInteger("Pages", NULL, (int64) s.pages, es);
			ExplainPropertyInteger("Rows Fetched", NULL, (int64) s.rows, es);
			ExplainPropertyInteger("Bytes", NULL, (int64) s.bytes, es);
			ExplainPropertyInteger("Retries", NULL, (int64) s.retries, es);
			if (ndetail > 0 || s.detail_requests > 0)
				ExplainPropertyInteger("Detail Requests", NULL,
									   (int64) s.detail_requests, es);
			if (aws_parent || (t->table->aws && s.parent_requests > 0))
				ExplainPropertyInteger("Parent Requests", NULL,
									   (int64) s.parent_requests, es);
			if (aws_describe || s.describe_requests > 0)
				ExplainPropertyInteger("Describe Requests", NULL,
									   (int64) s.describe_requests, es);
			if (s.auth_requests > 0)
				ExplainPropertyInteger("Auth Requests", NULL,
									   (int64) s.auth_requests, es);
			if (s.units_failed > 0)
				ExplainPropertyInteger("Skipped Units", NULL,
									   (int64) s.units_failed, es);
			if (njobs > 1)
				ExplainPropertyInteger("Jobs", NULL, njobs, es);
			if (es->timing)
			{
				ExplainPropertyFloat("API Wait", "ms", s.api_wait_ms, 1, es);
				ExplainPropertyFloat("Rate Limit Wait", "ms",
									 s.ratelimit_wait_ms, 1, es);
				ExplainPropertyInteger("Peak Memory", "kB",
									   (int64) ((s.peak_bytes + 1023) / 1024), es);
				{
					/* the main thread's handshakes with the job's threads */
					uint64		waits,
								wsets,
								wakeups;

					cqfdw_scan_waits(node, &waits, &wsets, &wakeups);
					ExplainPropertyInteger("Main Thread Waits", NULL, (int64) waits, es);
					ExplainPropertyInteger("Wait Sets Built", NULL, (int64) wsets, es);
					ExplainPropertyInteger("I/O Wake-ups by Main Thread", NULL,
										   (int64) wakeups, es);
				}
			}
		}
	}
}

/*
 * cqExplainForeignScan
 *		EXPLAIN of a table scan, or of a batched join (scanrelid 0).
 */
void
cqExplainForeignScan(ForeignScanState *node, struct ExplainState *es)
{
	if (((ForeignScan *) node->ss.ps.plan)->scan.scanrelid == 0)
		explain_join(node, es);
	else
		explain_scan(node, es);
}
