/*-------------------------------------------------------------------------
 *
 * planner.c
 *		  Planning of cq_fdw scans: qual classification (key-column
 *		  pushdown), row estimates, base and parameterized paths, LIMIT
 *		  pushdown, batched joins, and the ForeignScan plan node.
 *
 * Invariants (what the executor and EXPLAIN rely on):
 *	- A qual is pushed only when it is `keycol op expr` (or `keycol =
 *	  ANY(expr)`) with a built-in operator the source declares for that key
 *	  column (CqKeyDef.ops), and `expr` references no column of this
 *	  relation and no volatile function.  The value is evaluated at
 *	  execution time from fdw_exprs (so Params, outer-relation Vars of a
 *	  parameterized path and stable functions all work).
 *	- At most one `=`/`= ANY` qual per key column and one qual per
 *	  (column, operator) is pushed; the others stay local.
 *	- A pushed qual stays in the plan's local qual list (rechecked) unless
 *	  the key is `guaranteed`.  LIMIT is pushed only when no local qual
 *	  remains, so the first N rows of the scan are the first N rows of the
 *	  query.
 *	- A scan that lacks a required key column fails here, in planning,
 *	  before any request, unless some parameterized path supplies it (then
 *	  only such paths are offered).
 *	- Quals on spec-formatted keys (`@>`, `col->>'k' = v`, filter texts)
 *	  are pushed like any key qual and always rechecked (such keys are
 *	  never guaranteed).
 *	- A batched join (cqGetForeignJoinPaths) feeds only guaranteed inner
 *	  keys, so the units of distinct outer key tuples return disjoint rows;
 *	  every join clause is rechecked on each pair.
 *	- Nothing here reads credentials; fdw_private holds node lists only.
 *
 * Copyright (c) 2026, cq_fdw developers
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/transam.h"
#include "miscadmin.h"
#include "catalog/pg_operator.h"
#include "catalog/pg_type.h"
#include "lib/stringinfo.h"
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "optimizer/clauses.h"
#include "optimizer/cost.h"
#include "optimizer/optimizer.h"
#include "optimizer/pathnode.h"
#include "optimizer/paths.h"
#include "optimizer/planmain.h"
#include "optimizer/restrictinfo.h"
#include "utils/array.h"
#include "utils/hsearch.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"

#include "cq_fdw.h"

/*
 * Cost model (arbitrary units on the scale of seq_page_cost = 1).  An API
 * request costs about as much as reading a hundred pages; a row costs the
 * JSON parse (done on worker threads) plus forming the tuple.
 */
#define CQ_REQUEST_COST		100.0
#define CQ_ROW_COST			(cpu_tuple_cost * 2)
/*
 * A detail call (spec "hydrate"): one request per listed row, run
 * concurrently like the fan-out units (hence the share of a request they
 * are costed at beyond the first).
 */
#define CQ_DETAIL_COST		(CQ_REQUEST_COST / 8)
/* fan-out assumed for `= ANY($1)` whose array is unknown at plan time */
#define CQ_UNKNOWN_FANOUT	10.0

/* One pushable qual, found by classify_clause() */
typedef struct CqPushedQual
{
	RestrictInfo *rinfo;
	AttrNumber	attnum;
	const CqKeyDef *key;
	int			op;				/* CQ_OP_* */
	bool		is_any;
	Expr	   *value;			/* evaluated at execution */
	Expr	   *subkey;			/* `col->>'k' = value`: Const 'k', else NULL */
} CqPushedQual;

/* baserel->fdw_private during planning (not copied into the plan) */
typedef struct CqFdwRelInfo
{
	CqFdwTable *table;
	List	   *pushed;			/* CqPushedQual * of baserestrictinfo */
	List	   *local_conds;	/* RestrictInfo * evaluated locally */
	double		rows_per_unit;
	double		units;
	double		local_sel;		/* selectivity of what the API leaves to us */
	int64		limit;			/* set by cqGetForeignUpperPaths, -1 none */
} CqFdwRelInfo;

/* generate_implied_equalities_for_column() callback argument */
typedef struct EcMatchArg
{
	AttrNumber	attnum;
	Index		relid;
	Expr	   *current;
} EcMatchArg;

/* Past scans: relid -> rows per unit (backend-local, never shared) */
typedef struct SeenRowsEntry
{
	Oid			relid;			/* hash key */
	double		rows_per_unit;
} SeenRowsEntry;

static HTAB *seen_rows = NULL;

/*
 * cqfdw_remember_rows
 *		Record how many rows a complete scan of `relid` returned per fan-out
 *		unit, so later plans estimate from experience.  Main thread only;
 *		memory lives in TopMemoryContext for the life of the backend (one
 *		small entry per foreign table scanned).
 */
void
cqfdw_remember_rows(Oid relid, double rows, double units)
{
	SeenRowsEntry *e;
	bool		found;

	if (units <= 0)
		return;
	if (seen_rows == NULL)
	{
		HASHCTL		ctl;

		ctl.keysize = sizeof(Oid);
		ctl.entrysize = sizeof(SeenRowsEntry);
		ctl.hcxt = TopMemoryContext;
		seen_rows = hash_create("cq_fdw rows seen", 64, &ctl,
								HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	}
	e = hash_search(seen_rows, &relid, HASH_ENTER, &found);
	e->rows_per_unit = Max(rows / units, 1.0);
}

static bool
seen_rows_per_unit(Oid relid, double *out)
{
	SeenRowsEntry *e;

	if (seen_rows == NULL)
		return false;
	e = hash_search(seen_rows, &relid, HASH_FIND, NULL);
	if (e == NULL)
		return false;
	*out = e->rows_per_unit;
	return true;
}

/*
 * source_column_name
 *		Source column name of a foreign-table attribute, NULL if none.
 */
static const char *
source_column_name(const CqFdwTable *t, AttrNumber attnum)
{
	const CqFdwColumn *c;

	if (attnum < 1 || attnum > t->ncolumns)
		return NULL;
	c = &t->columns[attnum - 1];
	if (c->dropped || c->src_col < 0 || c->src_col >= t->table->ncolumns)
		return NULL;
	return t->table->columns[c->src_col].name;
}

/*
 * attname_for_source
 *		The foreign table's name for a source column (falls back to the
 *		source name when the table does not map it).
 */
static const char *
attname_for_source(const CqFdwTable *t, const char *srcname)
{
	for (int i = 0; i < t->ncolumns; i++)
	{
		const char *s = source_column_name(t, i + 1);

		if (s && strcmp(s, srcname) == 0)
			return t->columns[i].attname;
	}
	return srcname;
}

/*
 * op_from_name
 *		CQ_OP_* for a built-in operator name, 0 if not pushable.
 */
static int
op_from_name(const char *name)
{
	if (strcmp(name, "=") == 0)
		return CQ_OP_EQ;
	if (strcmp(name, "<") == 0)
		return CQ_OP_LT;
	if (strcmp(name, "<=") == 0)
		return CQ_OP_LE;
	if (strcmp(name, ">") == 0)
		return CQ_OP_GT;
	if (strcmp(name, ">=") == 0)
		return CQ_OP_GE;
	if (strcmp(name, "~~") == 0)
		return CQ_OP_LIKE;
	if (strcmp(name, "@>") == 0)
		return CQ_OP_CONTAINS;
	return 0;
}

static Node *
strip_relabel(Node *n)
{
	while (n && IsA(n, RelabelType))
		n = (Node *) ((RelabelType *) n)->arg;
	return n;
}

/*
 * key_var
 *		If `n` is a plain Var of `baserel` naming a key column that accepts
 *		`op`, return its attnum and key; else 0.
 */
static AttrNumber
key_var(Node *n, RelOptInfo *baserel, const CqFdwTable *t, int op,
		const CqKeyDef **key)
{
	Var		   *v;
	const char *src;
	const CqKeyDef *k;

	n = strip_relabel(n);
	if (n == NULL || !IsA(n, Var))
		return 0;
	v = (Var *) n;
	if (v->varno != baserel->relid || v->varlevelsup != 0 || v->varattno <= 0)
		return 0;
	src = source_column_name(t, v->varattno);
	if (src == NULL)
		return 0;
	k = cq_table_find_key(t->table, src);
	if (k == NULL || (k->ops & op) == 0)
		return 0;
	*key = k;
	return v->varattno;
}

/*
 * value_expr_ok
 *		The other side of a pushed qual: no column of this relation, nothing
 *		volatile, no sub-select (it is evaluated once per scan start).
 */
static bool
value_expr_ok(PlannerInfo *root, RelOptInfo *baserel, Node *n)
{
	if (bms_is_member(baserel->relid, pull_varnos(root, n)))
		return false;
	if (contain_volatile_functions(n) || contain_subplans(n))
		return false;
	if (contain_agg_clause(n) || contain_window_function(n))
		return false;
	return true;
}

/*
 * classify_member_eq
 *		`col ->> 'k' = value` (either side) on a jsonb/json key column that
 *		accepts "@>": pushed as `col @> {"k": value}` (a Kubernetes label
 *		selector k=value).  The same rows for string members; the key is
 *		never guaranteed, so PostgreSQL rechecks.  NULL if not that shape.
 */
static CqPushedQual *
classify_member_eq(PlannerInfo *root, RelOptInfo *baserel, const CqFdwTable *t,
				   RestrictInfo *rinfo, Node *left, Node *right)
{
	for (int side = 0; side < 2; side++)
	{
		Node	   *m = strip_relabel(side == 0 ? left : right);
		Node	   *v = side == 0 ? right : left;
		OpExpr	   *fx;
		char	   *name;
		const CqKeyDef *key = NULL;
		AttrNumber	attnum;
		Node	   *k;
		CqPushedQual *q;

		if (m == NULL || !IsA(m, OpExpr))
			continue;
		fx = (OpExpr *) m;
		if (list_length(fx->args) != 2 || fx->opno >= FirstGenbkiObjectId ||
			fx->opresulttype != TEXTOID)
			continue;
		name = get_opname(fx->opno);
		if (name == NULL || strcmp(name, "->>") != 0)
			continue;
		k = strip_relabel(lsecond(fx->args));
		if (!IsA(k, Const) || ((Const *) k)->constisnull ||
			((Const *) k)->consttype != TEXTOID)
			continue;
		attnum = key_var(linitial(fx->args), baserel, t, CQ_OP_CONTAINS, &key);
		if (attnum == 0 || exprType(v) != TEXTOID ||
			!value_expr_ok(root, baserel, v))
			continue;
		q = palloc0(sizeof(CqPushedQual));
		q->rinfo = rinfo;
		q->attnum = attnum;
		q->key = key;
		q->op = CQ_OP_CONTAINS;
		q->value = (Expr *) v;
		q->subkey = (Expr *) k;
		return q;
	}
	return NULL;
}

/*
 * classify_clause
 *		Return a CqPushedQual (palloc'd) if `rinfo` can be pushed to the API,
 *		else NULL.  Only the shapes listed in the file banner qualify.
 */
static CqPushedQual *
classify_clause(PlannerInfo *root, RelOptInfo *baserel, const CqFdwTable *t,
				RestrictInfo *rinfo)
{
	Expr	   *clause = rinfo->clause;
	CqPushedQual *q;

	if (rinfo->pseudoconstant)
		return NULL;

	if (IsA(clause, OpExpr))
	{
		OpExpr	   *op = (OpExpr *) clause;
		Oid			opno = op->opno;
		Node	   *left;
		Node	   *right;
		const CqKeyDef *key = NULL;
		AttrNumber	attnum;
		char	   *opname;
		int			cqop;

		if (list_length(op->args) != 2)
			return NULL;
		left = linitial(op->args);
		right = lsecond(op->args);

		/*
		 * Normalize to `our var op value`.  Both sides may be Vars (a join
		 * clause): the one of this relation goes left.
		 */
		if (!(IsA(strip_relabel(left), Var) &&
			  ((Var *) strip_relabel(left))->varno == baserel->relid) &&
			IsA(strip_relabel(right), Var) &&
			((Var *) strip_relabel(right))->varno == baserel->relid)
		{
			Node	   *tmp = left;

			left = right;
			right = tmp;
			opno = get_commutator(opno);
			if (!OidIsValid(opno))
				return NULL;
		}
		/* built-in operators only: a user's "=" may mean anything */
		if (opno >= FirstGenbkiObjectId)
			return NULL;
		opname = get_opname(opno);
		if (opname == NULL)
			return NULL;
		cqop = op_from_name(opname);
		if (cqop == 0)
			return NULL;
		if (cqop == CQ_OP_EQ)
		{
			q = classify_member_eq(root, baserel, t, rinfo, left, right);
			if (q != NULL)
				return q;
		}
		attnum = key_var(left, baserel, t, cqop, &key);
		if (attnum == 0 || !value_expr_ok(root, baserel, right))
			return NULL;
		q = palloc0(sizeof(CqPushedQual));
		q->rinfo = rinfo;
		q->attnum = attnum;
		q->key = key;
		q->op = cqop;
		q->is_any = false;
		q->value = (Expr *) right;
		return q;
	}

	if (IsA(clause, ScalarArrayOpExpr))
	{
		ScalarArrayOpExpr *sa = (ScalarArrayOpExpr *) clause;
		const CqKeyDef *key = NULL;
		AttrNumber	attnum;
		char	   *opname;

		if (!sa->useOr || list_length(sa->args) != 2 ||
			sa->opno >= FirstGenbkiObjectId)
			return NULL;
		opname = get_opname(sa->opno);
		if (opname == NULL || op_from_name(opname) != CQ_OP_EQ)
			return NULL;
		attnum = key_var(linitial(sa->args), baserel, t, CQ_OP_EQ, &key);
		if (attnum == 0 || !value_expr_ok(root, baserel, lsecond(sa->args)))
			return NULL;
		q = palloc0(sizeof(CqPushedQual));
		q->rinfo = rinfo;
		q->attnum = attnum;
		q->key = key;
		q->op = CQ_OP_EQ;
		q->is_any = true;
		q->value = (Expr *) lsecond(sa->args);
		return q;
	}
	return NULL;
}

/*
 * already_pushed
 *		Whether `pushed` has a qual for the same column and operator (any
 *		two `=`/`= ANY` quals on a column count as the same operator).
 */
static bool
already_pushed(List *pushed, CqPushedQual *q)
{
	ListCell   *lc;

	foreach(lc, pushed)
	{
		CqPushedQual *p = lfirst(lc);

		/* "@>" quals on a key with a separator are sent together */
		if (p->attnum == q->attnum && p->op == q->op &&
			!(q->op == CQ_OP_CONTAINS && q->key->separator != NULL))
			return true;
	}
	return false;
}

/*
 * classify_list
 *		Split RestrictInfos into pushed quals (appended to *pushed) and local
 *		ones (appended to *local).  A pushed qual whose key is not
 *		guaranteed is also appended to *recheck.
 */
static void
classify_list(PlannerInfo *root, RelOptInfo *baserel, const CqFdwTable *t,
			  List *rinfos, List **pushed, List **local, List **recheck)
{
	ListCell   *lc;

	foreach(lc, rinfos)
	{
		RestrictInfo *ri = lfirst_node(RestrictInfo, lc);
		CqPushedQual *q = classify_clause(root, baserel, t, ri);

		if (q != NULL && !already_pushed(*pushed, q))
		{
			*pushed = lappend(*pushed, q);
			if (!q->key->guaranteed && recheck)
				*recheck = lappend(*recheck, ri);
		}
		else if (local)
			*local = lappend(*local, ri);
	}
}

/*
 * array_count
 *		Number of values an `= ANY(expr)` fans out into, when known.
 */
static double
array_count(Expr *e)
{
	Node	   *n = strip_relabel((Node *) e);

	if (IsA(n, Const))
	{
		Const	   *c = (Const *) n;
		ArrayType  *arr;

		if (c->constisnull)
			return 0;
		arr = DatumGetArrayTypeP(c->constvalue);
		return ArrayGetNItems(ARR_NDIM(arr), ARR_DIMS(arr));
	}
	if (IsA(n, ArrayExpr))
		return list_length(((ArrayExpr *) n)->elements);
	return CQ_UNKNOWN_FANOUT;
}

/*
 * server_option_count
 *		Number of comma-separated values of a fan-out server option, 0 when
 *		the server does not set it.
 */
static int
server_option_count(const CqFdwTable *t, const char *name)
{
	for (int i = 0; i < t->nserver_opts; i++)
	{
		if (strcmp(t->server_opt_names[i], name) == 0)
		{
			const char *v = t->server_opt_values[i];
			int			n = (*v != '\0') ? 1 : 0;

			for (; *v; v++)
				if (*v == ',')
					n++;
			return n;
		}
	}
	return 0;
}

/*
 * given_columns
 *		Source column names that will have values: `=`/`= ANY` pushed quals,
 *		then fan-out dimensions a server option provides.  Also multiplies
 *		*units by each dimension's fan-out.  Returns a palloc'd array.
 */
static const char **
given_columns(const CqFdwTable *t, List *pushed, int *ngiven, double *units)
{
	const CqTableDef *td = t->table;
	const char **given = palloc0(sizeof(char *) * (list_length(pushed) +
												   td->nkeys + 1));
	int			n = 0;
	ListCell   *lc;

	*units = 1;
	foreach(lc, pushed)
	{
		CqPushedQual *q = lfirst(lc);

		if (q->op != CQ_OP_EQ)
			continue;
		given[n++] = q->key->column;
		/* a global AWS service: its one region, whatever the qual lists */
		if (q->is_any && q->key->in != CQ_IN_CONTEXT &&
			!(q->key->in == CQ_IN_REGION && td->aws && td->aws->global_region))
			*units *= array_count(q->value);
	}
	/* kubeconfig contexts: as many units as contexts the scan visits */
	for (int i = 0; i < td->nkeys; i++)
	{
		CqPushedQual *cq = NULL;
		int			cnt;

		if (td->keys[i].in != CQ_IN_CONTEXT)
			continue;
		foreach(lc, pushed)
		{
			CqPushedQual *q = lfirst(lc);

			if (q->op == CQ_OP_EQ && cq == NULL &&
				strcmp(q->key->column, td->keys[i].column) == 0)
				cq = q;
		}
		cnt = cqfdw_kube_contexts(t, cq ? cq->value : NULL, NULL);
		if (cnt >= 0)
			*units *= cnt;
		else if (cq && cq->is_any)
			*units *= array_count(cq->value);
	}
	for (int i = 0; i < td->nkeys; i++)
	{
		const CqKeyDef *k = &td->keys[i];
		bool		have = false;
		int			cnt;

		if (k->server_option == NULL)
			continue;
		for (int j = 0; j < n; j++)
			if (strcmp(given[j], k->column) == 0)
				have = true;
		if (have)
			continue;
		cnt = server_option_count(t, k->server_option);
		/* a global AWS service (IAM, S3 ListBuckets): one request, not one per region */
		if (cnt > 0 && k->in == CQ_IN_REGION && td->aws && td->aws->global_region)
			cnt = 1;
		if (cnt > 0)
		{
			given[n++] = k->column;
			*units *= cnt;
		}
	}
	*ngiven = n;
	return given;
}

/*
 * get_endpoint_given
 *		Whether every {param} of the table's get_endpoint is given: the scan
 *		is then a "get" (about one row per unit) rather than a listing.
 */
static bool
get_endpoint_given(const CqTableDef *td, const char **given, int ngiven)
{
	const char *p;

	if (td->get_endpoint == NULL)
		return false;
	for (p = td->get_endpoint; (p = strchr(p, '{')) != NULL;)
	{
		const char *end = strchr(p, '}');
		bool		ok = false;

		if (end == NULL)
			return false;
		for (int i = 0; i < td->nkeys && !ok; i++)
		{
			const CqKeyDef *k = &td->keys[i];
			const char *param = k->param ? k->param : k->column;

			if (strlen(param) == (size_t) (end - p - 1) &&
				strncmp(param, p + 1, end - p - 1) == 0)
			{
				for (int j = 0; j < ngiven; j++)
					if (strcmp(given[j], k->column) == 0)
						ok = true;
			}
		}
		if (!ok)
			return false;
		p = end + 1;
	}
	return true;
}

/*
 * estimate
 *		Rows for a scan with the given pushed quals: rows per unit (past
 *		scans, else 1 for a get, else the source's row_estimate) x units x
 *		selectivity of what stays local (non-key quals and range keys).
 */
static double
estimate(PlannerInfo *root, RelOptInfo *baserel, CqFdwRelInfo *fp,
		 List *pushed, List *local, double *units_out)
{
	const CqFdwTable *t = fp->table;
	int			ngiven;
	double		units;
	const char **given = given_columns(t, pushed, &ngiven, &units);
	double		per_unit;
	List	   *selconds = NIL;
	ListCell   *lc;
	double		sel;

	if (get_endpoint_given(t->table, given, ngiven))
		per_unit = 1;
	else if (!seen_rows_per_unit(t->relid, &per_unit))
		per_unit = t->table->row_estimate > 0 ? t->table->row_estimate : 100;

	/* range keys narrow the listing: count them like local quals */
	foreach(lc, pushed)
	{
		CqPushedQual *q = lfirst(lc);

		if (q->op != CQ_OP_EQ)
			selconds = lappend(selconds, q->rinfo);
	}
	selconds = list_concat(selconds, local);
	sel = clauselist_selectivity(root, selconds, baserel->relid, JOIN_INNER,
								 NULL);
	*units_out = units;
	return clamp_row_est(per_unit * units * sel);
}

/*
 * cqGetForeignRelSize
 *		Resolve the table, classify the restriction quals and estimate the
 *		number of rows.  May ERROR on catalog/option problems (source.c).
 */
void
cqGetForeignRelSize(PlannerInfo *root, RelOptInfo *baserel,
					Oid foreigntableid)
{
	CqFdwRelInfo *fp = palloc0(sizeof(CqFdwRelInfo));
	Oid			userid = OidIsValid(baserel->userid) ? baserel->userid :
		GetUserId();

	fp->table = cqfdw_get_table(foreigntableid, userid);
	fp->limit = -1;
	baserel->fdw_private = fp;

	classify_list(root, baserel, fp->table, baserel->baserestrictinfo,
				  &fp->pushed, &fp->local_conds, NULL);
	/* what stays local: the non-pushed quals plus non-guaranteed pushed */
	{
		ListCell   *lc;
		List	   *local = list_copy(fp->local_conds);

		foreach(lc, fp->pushed)
		{
			CqPushedQual *q = lfirst(lc);

			if (!q->key->guaranteed)
				local = lappend(local, q->rinfo);
		}
		baserel->rows = estimate(root, baserel, fp, fp->pushed,
								 fp->local_conds, &fp->units);
		fp->local_conds = local;
	}
	baserel->tuples = baserel->rows;
}

/*
 * detail_calls
 *		How many detail calls (spec "hydrate") a scan of baserel makes per
 *		row: those of the columns the query projects or filters on (all of
 *		them for a whole-row Var), as the executor asks (scan.c, SDK
 *		job_hydrate.c).
 */
static int
detail_calls(RelOptInfo *baserel, const CqFdwTable *t)
{
	const CqTableDef *td = t->table;
	Bitmapset  *attrs = NULL;
	bool		wholerow;
	bool	   *need;
	int			n = 0;
	ListCell   *lc;

	if (td->nhydrate <= 0)
		return 0;
	pull_varattnos((Node *) baserel->reltarget->exprs, baserel->relid, &attrs);
	foreach(lc, baserel->baserestrictinfo)
		pull_varattnos((Node *) lfirst_node(RestrictInfo, lc)->clause,
					   baserel->relid, &attrs);
	wholerow = bms_is_member(0 - FirstLowInvalidHeapAttributeNumber, attrs);
	need = palloc0(sizeof(bool) * td->nhydrate);
	for (int i = 0; i < t->ncolumns; i++)
	{
		const CqFdwColumn *c = &t->columns[i];
		int			h;

		if (c->dropped || c->src_col < 0 || c->src_col >= td->ncolumns)
			continue;
		h = td->columns[c->src_col].hydrate;
		if (h <= 0 || h > td->nhydrate || need[h - 1])
			continue;
		if (wholerow ||
			bms_is_member(c->attnum - FirstLowInvalidHeapAttributeNumber, attrs))
		{
			need[h - 1] = true;
			n++;
		}
	}
	pfree(need);
	return n;
}

/*
 * path_costs
 *		Startup and total cost of a scan of `rows` rows in `units` requests
 *		(or more with pagination; the SDK overlaps them), plus `details`
 *		detail requests per row.
 */
static void
path_costs(RelOptInfo *baserel, double rows, double units, int details,
		   Cost *startup, Cost *total)
{
	*startup = CQ_REQUEST_COST + baserel->baserestrictcost.startup;
	*total = *startup + CQ_REQUEST_COST * Max(units - 1, 0) / 8 +
		rows * (CQ_ROW_COST + baserel->baserestrictcost.per_tuple) +
		rows * details * CQ_DETAIL_COST;
}

/* ec_matches_callback_type for key columns */
static bool
ec_member_matches_key(PlannerInfo *root, RelOptInfo *rel,
					  EquivalenceClass *ec, EquivalenceMember *em, void *arg)
{
	EcMatchArg *a = (EcMatchArg *) arg;
	Expr	   *e = (Expr *) strip_relabel((Node *) em->em_expr);

	if (a->current != NULL)
		return equal(e, a->current);
	if (IsA(e, Var) && ((Var *) e)->varno == a->relid &&
		((Var *) e)->varattno == a->attnum && ((Var *) e)->varlevelsup == 0)
	{
		a->current = e;
		return true;
	}
	return false;
}

/*
 * join_candidates
 *		Join clauses `keycol = outer expression` usable for a parameterized
 *		path: from joininfo and from equivalence classes (a JOIN ... ON
 *		key = outer.col usually ends up in an EC).
 */
static List *
join_candidates(PlannerInfo *root, RelOptInfo *baserel, CqFdwRelInfo *fp)
{
	List	   *result = NIL;
	ListCell   *lc;
	const CqTableDef *td = fp->table->table;

	foreach(lc, baserel->joininfo)
	{
		RestrictInfo *ri = lfirst_node(RestrictInfo, lc);
		CqPushedQual *q;

		if (!join_clause_is_movable_to(ri, baserel))
			continue;
		q = classify_clause(root, baserel, fp->table, ri);
		if (q && q->op == CQ_OP_EQ)
			result = lappend(result, ri);
	}

	if (!baserel->has_eclass_joins)
		return result;
	for (int i = 0; i < fp->table->ncolumns; i++)
	{
		const char *src = source_column_name(fp->table, i + 1);
		const CqKeyDef *k = src ? cq_table_find_key(td, src) : NULL;
		EcMatchArg	arg;

		if (k == NULL || (k->ops & CQ_OP_EQ) == 0)
			continue;
		arg.attnum = i + 1;
		arg.relid = baserel->relid;
		arg.current = NULL;
		result = list_concat(result,
							 generate_implied_equalities_for_column(root, baserel,
																	ec_member_matches_key,
																	&arg,
																	baserel->lateral_referencers));
	}
	return result;
}

/*
 * english_list
 *		"a", "a and b", "a, b and c" (identifiers as given).
 */
static char *
english_list(const char **names, int n, bool quoted)
{
	StringInfoData b;

	initStringInfo(&b);
	for (int i = 0; i < n; i++)
	{
		if (i > 0)
			appendStringInfoString(&b, (i == n - 1) ? " and " : ", ");
		if (quoted)
			appendStringInfo(&b, "\"%s\"", names[i]);
		else
			appendStringInfoString(&b, names[i]);
	}
	return b.data;
}

/*
 * next_placeholder
 *		Finds the next "{param}" of a URL template at or after *pos: sets
 *		*name and *len (the name, not terminated) and advances *pos past it.
 *		Returns false when there is none.
 */
static bool
next_placeholder(const char *tpl, const char **pos, const char **name, int *len)
{
	const char *open = strchr(*pos, '{');
	const char *close;

	if (open == NULL || (close = strchr(open + 1, '}')) == NULL)
		return false;
	*name = open + 1;
	*len = (int) (close - open - 1);
	*pos = close + 1;
	return true;
}

/* The path key whose param is name[0..len), or NULL. */
static const CqKeyDef *
path_key_by_param(const CqTableDef *td, const char *name, int len)
{
	for (int i = 0; i < td->nkeys; i++)
	{
		const CqKeyDef *k = &td->keys[i];

		if (k->in == CQ_IN_PATH && strncmp(k->param, name, len) == 0 &&
			k->param[len] == '\0')
			return k;
	}
	return NULL;
}

/* Whether the parent's map fills the child's param name[0..len). */
static bool
parent_fills(const CqParentDef *pd, const char *name, int len)
{
	for (int i = 0; i < pd->nmap; i++)
		if (strncmp(pd->map_param[i], name, len) == 0 &&
			pd->map_param[i][len] == '\0')
			return true;
	return false;
}

/* Appends col to names[*n] unless it is given or already there. */
static void
add_column_once(const char **names, int *n, const char *col,
				const char **given, int ngiven)
{
	for (int i = 0; i < ngiven; i++)
		if (strcmp(given[i], col) == 0)
			return;
	for (int i = 0; i < *n; i++)
		if (strcmp(names[i], col) == 0)
			return;
	names[(*n)++] = col;
}

/*
 * parent_alternative
 *		The other way to run a scan the given key columns cannot run: through
 *		the table's parent listing (github_issues: org instead of owner and
 *		repo).  Fills alt with the source key columns to add (the path keys
 *		of the parent endpoint's {params}, any endpoint {param} the parent
 *		does not fill, required query keys) and filled with the key columns
 *		the parent supplies; returns the number of alt columns, 0 when there
 *		is no such alternative.  Both arrays must hold nkeys entries; names
 *		are borrowed from the table definition.
 */
static int
parent_alternative(const CqTableDef *td, const char **given, int ngiven,
				   const char **alt, const char **filled, int *nfilled)
{
	const CqParentDef *pd = td->parent;
	const char *pos;
	const char *name;
	int			len;
	int			nalt = 0;
	const char **all;

	*nfilled = 0;
	if (pd == NULL)
		return 0;
	for (pos = pd->endpoint; next_placeholder(pd->endpoint, &pos, &name, &len);)
	{
		const CqKeyDef *k = path_key_by_param(td, name, len);

		if (k == NULL)
			return 0;
		add_column_once(alt, &nalt, k->column, given, ngiven);
	}
	for (pos = td->endpoint; next_placeholder(td->endpoint, &pos, &name, &len);)
	{
		const CqKeyDef *k = path_key_by_param(td, name, len);

		if (k == NULL && !parent_fills(pd, name, len))
			return 0;
		if (k == NULL)
			continue;
		if (parent_fills(pd, name, len))
			add_column_once(filled, nfilled, k->column, given, ngiven);
		else
			add_column_once(alt, &nalt, k->column, given, ngiven);
	}
	for (int i = 0; i < td->nkeys; i++)
		if (td->keys[i].required && td->keys[i].in == CQ_IN_QUERY &&
			!td->keys[i].from_parent)
			add_column_once(alt, &nalt, td->keys[i].column, given, ngiven);
	if (nalt == 0 || *nfilled == 0)
		return 0;

	/* only an alternative the SDK agrees can run */
	all = palloc(sizeof(char *) * (ngiven + nalt));
	memcpy(all, given, sizeof(char *) * ngiven);
	memcpy(all + ngiven, alt, sizeof(char *) * nalt);
	if (cq_table_missing_keys(td, ngiven + nalt, all, NULL, 0) != 0)
		return 0;
	return nalt;
}

/* "a = '...' AND b = '...'" for the foreign table's names of source columns */
static char *
key_conditions(const CqFdwTable *t, const char **cols, int n)
{
	StringInfoData b;

	initStringInfo(&b);
	for (int i = 0; i < n; i++)
		appendStringInfo(&b, "%s%s = '...'", i ? " AND " : "",
						 attname_for_source(t, cols[i]));
	return b.data;
}

/*
 * report_missing_keys
 *		ERROR for a scan no path can run: required key columns have no value.
 *		given: the source key columns that have values.  When the table has a
 *		parent listing, DETAIL and HINT show both ways to run it (the missing
 *		keys, or the keys of the parent endpoint).
 *
 * SQLSTATE HV00L (fdw_unable_to_create_execution): the statement is valid
 * SQL but the FDW cannot build a request for it; README.md (Errors and warnings).
 */
static void
report_missing_keys(const CqFdwTable *t, const char **missing, int nmissing,
					const char **given, int ngiven)
{
	const CqTableDef *td = t->table;
	const char **names = palloc(sizeof(char *) * nmissing);
	const char **alt = palloc(sizeof(char *) * (td->nkeys + 1));
	const char **filled = palloc(sizeof(char *) * (td->nkeys + 1));
	int			nalt;
	int			nfilled;
	StringInfoData detail;
	StringInfoData hint;

	for (int i = 0; i < nmissing; i++)
		names[i] = attname_for_source(t, missing[i]);
	nalt = parent_alternative(td, given, ngiven, alt, filled, &nfilled);

	initStringInfo(&detail);
	appendStringInfo(&detail, "Table %s of source %s is listed per %s",
					 td->name ? td->name : t->table_name, t->source_name,
					 english_list(names, nmissing, false));
	initStringInfo(&hint);
	appendStringInfo(&hint, "Add a condition such as WHERE %s",
					 key_conditions(t, missing, nmissing));
	if (nalt > 0)
	{
		for (int i = 0; i < nalt; i++)
			alt[i] = attname_for_source(t, alt[i]);
		for (int i = 0; i < nfilled; i++)
			filled[i] = attname_for_source(t, filled[i]);
		appendStringInfo(&detail, ", or per %s through the parent listing %s",
						 english_list(alt, nalt, false), td->parent->endpoint);
		appendStringInfo(&hint, ", or WHERE %s to take %s from every row of that listing",
						 key_conditions(t, alt, nalt),
						 english_list(filled, nfilled, false));
	}

	ereport(ERROR,
			(errcode(ERRCODE_FDW_UNABLE_TO_CREATE_EXECUTION),
			 nmissing == 1 ?
			 errmsg("table \"%s\" requires a value for key column \"%s\"",
					get_rel_name(t->relid), names[0]) :
			 errmsg("table \"%s\" requires values for key columns %s",
					get_rel_name(t->relid), english_list(names, nmissing, true)),
			 errdetail("%s.", detail.data),
			 errhint("%s.", hint.data)));
}

/*
 * cqGetForeignPaths
 *		The unparameterized path when the restriction quals give every
 *		required key, plus parameterized paths for join clauses on key
 *		columns.  ERRORs (before any request) when no path can run.
 */
void
cqGetForeignPaths(PlannerInfo *root, RelOptInfo *baserel, Oid foreigntableid)
{
	CqFdwRelInfo *fp = baserel->fdw_private;
	const CqFdwTable *t = fp->table;
	const char *missing[16];
	int			nmissing;
	int			ngiven;
	double		units;
	const char **given = given_columns(t, fp->pushed, &ngiven, &units);
	bool		any_path = false;
	List	   *done_outer = NIL;
	ListCell   *lc;
	Cost		startup;
	Cost		total;
	int			details = detail_calls(baserel, t);

	nmissing = cq_table_missing_keys(t->table, ngiven, given, missing,
									 lengthof(missing));
	if (nmissing == 0)
	{
		path_costs(baserel, baserel->rows, fp->units, details, &startup, &total);
		add_path(baserel, (Path *)
				 create_foreignscan_path(root, baserel, NULL, baserel->rows,
										 startup, total, NIL,
										 baserel->lateral_relids, NULL, NIL));
		any_path = true;
	}

	/* parameterized paths: one per distinct set of outer relations */
	foreach(lc, join_candidates(root, baserel, fp))
	{
		RestrictInfo *ri = lfirst_node(RestrictInfo, lc);
		Relids		outer;
		ParamPathInfo *ppi;
		List	   *pushed = NIL;
		List	   *local = NIL;
		List	   *all;
		double		rows;
		double		punits;
		const char **pgiven;
		int			npgiven;
		int			pmissing;
		const char *pmiss[16];
		ListCell   *lc2;
		bool		seen = false;

		outer = bms_union(bms_difference(ri->clause_relids, baserel->relids),
						  baserel->lateral_relids);
		if (bms_is_empty(outer))
			continue;
		foreach(lc2, done_outer)
			if (bms_equal((Relids) lfirst(lc2), outer))
				seen = true;
		if (seen)
			continue;
		done_outer = lappend(done_outer, outer);

		ppi = get_baserel_parampathinfo(root, baserel, outer);
		all = list_concat(list_copy(baserel->baserestrictinfo),
						  ppi->ppi_clauses);
		classify_list(root, baserel, t, all, &pushed, &local, NULL);
		pgiven = given_columns(t, pushed, &npgiven, &punits);
		pmissing = cq_table_missing_keys(t->table, npgiven, pgiven, pmiss,
										 lengthof(pmiss));
		if (pmissing != 0)
			continue;
		/* only worth it when it pins a key the base scan does not */
		if (nmissing == 0 && npgiven <= ngiven)
			continue;
		rows = estimate(root, baserel, fp, pushed, local, &punits);
		path_costs(baserel, rows, punits, details, &startup, &total);
		add_path(baserel, (Path *)
				 create_foreignscan_path(root, baserel, NULL, rows,
										 startup, total, NIL, outer,
										 NULL, NIL));
		any_path = true;
	}

	if (!any_path)
		report_missing_keys(t, missing, Min(nmissing, (int) lengthof(missing)),
							given, ngiven);
}

/*
 * needed_attrs
 *		IntList of the attnums the executor must produce: those used by the
 *		target list and the local quals (all columns for a whole-row Var).
 */
static List *
needed_attrs(RelOptInfo *baserel, const CqFdwTable *t, List *local_exprs)
{
	Bitmapset  *attrs = NULL;
	List	   *result = NIL;
	bool		wholerow;

	pull_varattnos((Node *) baserel->reltarget->exprs, baserel->relid, &attrs);
	pull_varattnos((Node *) local_exprs, baserel->relid, &attrs);
	wholerow = bms_is_member(0 - FirstLowInvalidHeapAttributeNumber, attrs);
	for (int i = 0; i < t->ncolumns; i++)
	{
		AttrNumber	attnum = i + 1;

		if (source_column_name(t, attnum) == NULL)
			continue;
		if (wholerow ||
			bms_is_member(attnum - FirstLowInvalidHeapAttributeNumber, attrs))
			result = lappend_int(result, attnum);
	}
	return result;
}

static ForeignScan *join_plan(PlannerInfo *root, RelOptInfo *joinrel,
							   ForeignPath *best_path, List *tlist,
							   Plan *outer_plan);

/*
 * cqGetForeignPlan
 *		Build the ForeignScan: pushed quals (values in fdw_exprs), local
 *		quals, needed attributes, limit.  fdw_private layout:
 *		CqFdwScanPrivate (cq_fdw.h).
 */
ForeignScan *
cqGetForeignPlan(PlannerInfo *root, RelOptInfo *baserel, Oid foreigntableid,
				 ForeignPath *best_path, List *tlist, List *scan_clauses,
				 Plan *outer_plan)
{
	CqFdwRelInfo *fp;
	const CqFdwTable *t;
	List	   *pushed = NIL;
	List	   *local = NIL;
	List	   *local_exprs;
	List	   *fdw_exprs = NIL;
	List	   *quals = NIL;
	List	   *fdw_private;
	ListCell   *lc;
	int64		limit = -1;
	const char **given;
	int			ngiven;
	double		units;
	bool		any_unknown = false;

	if (IS_JOIN_REL(baserel))
		return join_plan(root, baserel, best_path, tlist, outer_plan);
	fp = baserel->fdw_private;
	t = fp->table;
	classify_list(root, baserel, t, scan_clauses, &pushed, &local, NULL);

	foreach(lc, pushed)
	{
		CqPushedQual *q = lfirst(lc);
		List	   *fields = NIL;

		fields = lappend_int(fields, q->attnum);
		fields = lappend_int(fields, q->op);
		fields = lappend_int(fields, q->is_any ? 1 : 0);
		fields = lappend_int(fields, list_length(fdw_exprs));
		fields = lappend_int(fields, q->subkey ? list_length(fdw_exprs) + 1 : -1);
		quals = lappend(quals, fields);
		fdw_exprs = lappend(fdw_exprs, q->value);
		if (q->subkey)
			fdw_exprs = lappend(fdw_exprs, q->subkey);
		if (!q->key->guaranteed)
			local = lappend(local, q->rinfo);
		if (q->is_any && array_count(q->value) == CQ_UNKNOWN_FANOUT &&
			!IsA(strip_relabel((Node *) q->value), Const))
			any_unknown = true;
	}
	local_exprs = extract_actual_clauses(local, false);

	/* LIMIT only when nothing is filtered locally and not parameterized */
	if (fp->limit >= 0 && local_exprs == NIL &&
		best_path->path.param_info == NULL)
		limit = fp->limit;

	given = given_columns(t, pushed, &ngiven, &units);
	fdw_private = list_make5(quals,
							 needed_attrs(baserel, t, local_exprs),
							 makeInteger((int) Min(limit, (int64) PG_INT32_MAX)),
							 makeString(pstrdup(get_endpoint_given(t->table, given,
																   ngiven) ?
												"get" : "list")),
							 makeInteger(any_unknown ? -1 :
										 (int) Min(units, (double) PG_INT32_MAX)));

	return make_foreignscan(tlist, local_exprs, baserel->relid, fdw_exprs,
							fdw_private, NIL, NIL, outer_plan);
}

/*
 * cqGetForeignUpperPaths
 *		LIMIT pushdown.
 *
 * Instead of an upper path (which would need scan_relid 0 and a
 * fdw_scan_tlist), we record the row bound on the base relation's planning
 * state; cqGetForeignPlan runs later (create_plan) and puts it into the
 * plan.  This is sound only when the final relation's input is our base
 * relation itself -- no join, grouping, window, DISTINCT or ORDER BY
 * between the scan and the Limit node -- no set-returning function in the
 * target list, and no qual remains local, so the scan's first N rows are
 * the query's first N rows.  The Limit node above still enforces the limit;
 * the pushed value only stops paging early.
 */
void
cqGetForeignUpperPaths(PlannerInfo *root, UpperRelationKind stage,
					   RelOptInfo *input_rel, RelOptInfo *output_rel,
					   void *extra)
{
	Query	   *parse = root->parse;
	CqFdwRelInfo *fp;
	FinalPathExtraData *fextra = (FinalPathExtraData *) extra;
	int64		count;
	int64		offset = 0;

	if (stage != UPPERREL_FINAL || fextra == NULL || !fextra->limit_needed)
		return;
	if (input_rel->reloptkind != RELOPT_BASEREL ||
		input_rel->fdw_private == NULL || input_rel->rtekind != RTE_RELATION)
		return;
	fp = input_rel->fdw_private;
	if (parse->commandType != CMD_SELECT || parse->rowMarks != NIL ||
		parse->hasTargetSRFs || parse->hasAggs || parse->hasWindowFuncs ||
		parse->groupClause != NIL || parse->groupingSets != NIL ||
		parse->havingQual != NULL || parse->distinctClause != NIL ||
		parse->sortClause != NIL || parse->setOperations != NULL ||
		parse->limitOption != LIMIT_OPTION_COUNT)
		return;
	if (fp->local_conds != NIL)
		return;
	if (parse->limitCount == NULL || !IsA(parse->limitCount, Const) ||
		((Const *) parse->limitCount)->constisnull)
		return;
	count = DatumGetInt64(((Const *) parse->limitCount)->constvalue);
	if (parse->limitOffset != NULL)
	{
		if (!IsA(parse->limitOffset, Const) ||
			((Const *) parse->limitOffset)->constisnull)
			return;
		offset = DatumGetInt64(((Const *) parse->limitOffset)->constvalue);
	}
	if (count < 0 || offset < 0 || pg_add_s64_overflow(count, offset, &count))
		return;
	fp->limit = count;
}

/* ------------------------------------------------------------------------
 * Batched joins (executed by join.c)
 *
 * A join of two cq_fdw tables of one server whose clauses bind `=` key
 * columns of the inner table to columns of the outer one (repositories ->
 * issues on owner and name, pods -> containers on namespace and pod name)
 * can run as one ForeignScan: the outer table's own scan, then ONE inner
 * job over the distinct outer key tuples, one unit each, fetched
 * concurrently -- rather than a nested loop that rescans the inner table
 * once per outer row (each rescan waits for its request) or a hash join
 * over the full inner listing.  add_path weighs it against those.
 * ------------------------------------------------------------------------ */

/*
 * join_key_type_ok
 *		Types whose equal values have one text (the executor pairs rows by
 *		the key's text before the join clause rechecks them exactly).
 */
static bool
join_key_type_ok(Oid t)
{
	switch (t)
	{
		case TEXTOID:
		case VARCHAROID:
		case INT2OID:
		case INT4OID:
		case INT8OID:
		case UUIDOID:
		case BOOLOID:
		case DATEOID:
			return true;
	}
	return false;
}

/* Only plain Vars of the relation (the join's scan tuple is built of them) */
static bool
reltarget_plain(RelOptInfo *rel)
{
	ListCell   *lc;

	foreach(lc, rel->reltarget->exprs)
	{
		Node	   *n = lfirst(lc);

		if (!IsA(n, Var) || ((Var *) n)->varattno <= 0 ||
			((Var *) n)->varno != rel->relid)
			return false;
	}
	return true;
}

/* 1-based position of Var `v` in `exprs`, 0 if absent */
static int
var_position(List *exprs, Var *v)
{
	int			i = 0;
	ListCell   *lc;

	foreach(lc, exprs)
	{
		Var		   *x = lfirst(lc);

		i++;
		if (x->varno == v->varno && x->varattno == v->varattno)
			return i;
	}
	return 0;
}

/*
 * batched_join_path
 *		The batched path with `outerrel` read first and `innerrel` looked up
 *		by key, or NULL when the clauses do not make the inner table
 *		runnable from outer values.
 */
static ForeignPath *
batched_join_path(PlannerInfo *root, RelOptInfo *joinrel, RelOptInfo *outerrel,
				  RelOptInfo *innerrel, JoinPathExtraData *extra)
{
	CqFdwRelInfo *ifp = innerrel->fdw_private;
	CqFdwRelInfo *ofp = outerrel->fdw_private;
	Path	   *outer_path = outerrel->cheapest_total_path;
	List	   *keys = NIL;
	List	   *fed = NIL;		/* CqPushedQual * of the join keys */
	ListCell   *lc;
	const char **given;
	int			ngiven;
	double		units;
	double		nouter;
	double		per_unit;
	double		inner_rows;
	Cost		startup;
	Cost		total;
	ForeignPath *path;

	if (ifp == NULL || ofp == NULL || outer_path == NULL ||
		outer_path->param_info != NULL ||
		!reltarget_plain(outerrel) || !reltarget_plain(innerrel))
		return NULL;
	/* a pseudoconstant clause needs a gating node this scan would lose */
	foreach(lc, extra->restrictlist)
		if (lfirst_node(RestrictInfo, lc)->pseudoconstant)
			return NULL;
	foreach(lc, extra->restrictlist)
	{
		RestrictInfo *ri = lfirst_node(RestrictInfo, lc);
		CqPushedQual *q = classify_clause(root, innerrel, ifp->table, ri);
		Var		   *ov;
		Var		   *iv = NULL;
		int			opos;
		int			ipos;

		/*
		 * Only keys the API filters exactly: the units of distinct key
		 * tuples then return disjoint rows (a superset filter would return
		 * a row to several units, and the join would pair it twice).
		 */
		if (q == NULL || q->op != CQ_OP_EQ || q->is_any || q->subkey ||
			!q->key->guaranteed)
			continue;
		ov = (Var *) strip_relabel((Node *) q->value);
		if (!IsA(ov, Var) || ov->varno != outerrel->relid || ov->varattno <= 0)
			continue;
		/* a key the inner's own quals already give, or given twice */
		if (already_pushed(ifp->pushed, q) || already_pushed(fed, q))
			continue;
		{
			ListCell   *lc2;

			foreach(lc2, innerrel->reltarget->exprs)
			{
				Var		   *x = lfirst(lc2);

				if (x->varattno == q->attnum)
					iv = x;
			}
		}
		if (iv == NULL || exprType((Node *) ov) != exprType((Node *) iv) ||
			!join_key_type_ok(exprType((Node *) ov)))
			continue;
		opos = var_position(outerrel->reltarget->exprs, ov);
		ipos = var_position(innerrel->reltarget->exprs, iv);
		if (opos == 0 || ipos == 0)
			continue;
		fed = lappend(fed, q);
		keys = lappend(keys, list_make3_int(opos, ipos,
											((OpExpr *) ri->clause)->opno));
	}
	if (fed == NIL)
		return NULL;
	given = given_columns(ifp->table, list_concat(list_copy(ifp->pushed), fed),
						  &ngiven, &units);
	if (cq_table_missing_keys(ifp->table->table, ngiven, given, NULL, 0) != 0)
		return NULL;

	/* cost: the outer scan, then one job of nouter concurrent lookups */
	nouter = Max(outer_path->rows, 1);
	if (get_endpoint_given(ifp->table->table, given, ngiven))
		per_unit = 1;
	else
	{
		int			nown;
		double		own_units;
		const char **own = given_columns(ifp->table, ifp->pushed, &nown,
										 &own_units);

		if (!seen_rows_per_unit(ifp->table->relid, &per_unit))
			per_unit = ifp->table->table->row_estimate > 0 ?
				ifp->table->table->row_estimate : 100;

		/*
		 * Keys the inner table can also be listed without (Kubernetes'
		 * namespace) only narrow its full listing: a lookup returns the
		 * listing's rows that match one key tuple, not a whole unit's.
		 * Keys it is listed per (a repository's issues) give a unit each.
		 */
		if (cq_table_missing_keys(ifp->table->table, nown, own, NULL, 0) == 0)
		{
			List	   *rl = NIL;

			foreach(lc, fed)
				rl = lappend(rl, ((CqPushedQual *) lfirst(lc))->rinfo);
			per_unit = clamp_row_est(per_unit * Max(own_units, 1) *
									 clauselist_selectivity(root, rl, 0, JOIN_INNER,
															extra->sjinfo));
		}
	}
	inner_rows = clamp_row_est(per_unit * nouter);
	startup = outer_path->total_cost + CQ_REQUEST_COST;
	total = startup + CQ_REQUEST_COST * (nouter - 1) / 8 +
		inner_rows * CQ_ROW_COST + joinrel->rows * cpu_tuple_cost +
		inner_rows * cpu_operator_cost * list_length(extra->restrictlist) +
		inner_rows * detail_calls(innerrel, ifp->table) * CQ_DETAIL_COST;
	path = create_foreign_join_path(root, joinrel, NULL, joinrel->rows,
									startup, total, NIL,
									joinrel->lateral_relids, outer_path,
									list_make3(makeInteger(innerrel->relid),
											   keys,
											   extract_actual_clauses(extra->restrictlist,
																	  false)));
	path->path.parallel_safe = false;
	return path;
}

/*
 * cqGetForeignJoinPaths
 *		Offer the batched join for an inner join of two cq_fdw base tables
 *		of one server (PostgreSQL calls this only then), either way round.
 *		Not for DML or row locks (no EvalPlanQual recheck of a pushed
 *		join).
 */
void
cqGetForeignJoinPaths(PlannerInfo *root, RelOptInfo *joinrel,
					  RelOptInfo *outerrel, RelOptInfo *innerrel,
					  JoinType jointype, JoinPathExtraData *extra)
{
	ForeignPath *path;

	if (jointype != JOIN_INNER || root->parse->commandType != CMD_SELECT ||
		root->rowMarks != NIL || !cqfdw_batch_joins ||
		outerrel->reloptkind != RELOPT_BASEREL ||
		innerrel->reloptkind != RELOPT_BASEREL)
		return;
	path = batched_join_path(root, joinrel, outerrel, innerrel, extra);
	if (path != NULL)
		add_path(joinrel, (Path *) path);
}

/*
 * join_plan
 *		The ForeignScan of a batched join: scanrelid 0, the outer table's
 *		plan as lefttree, the inner table's (its join keys fed by the join,
 *		not by a qual value) as righttree, every join clause as the plan's
 *		qual.  fdw_private: see CqFdwJoinState (cq_fdw.h).
 */
static ForeignScan *
join_plan(PlannerInfo *root, RelOptInfo *joinrel, ForeignPath *best_path,
		  List *tlist, Plan *outer_plan)
{
	Index		inner_relid = intVal(linitial(best_path->fdw_private));
	List	   *keys = lsecond(best_path->fdw_private);
	List	   *join_clauses = lthird(best_path->fdw_private);
	RelOptInfo *innerrel = find_base_rel(root, inner_relid);
	RelOptInfo *outerrel;
	List	   *inner_clauses = list_copy(innerrel->baserestrictinfo);
	List	   *inner_tlist = NIL;
	List	   *scan_tlist = NIL;
	List	   *fed_exprs = NIL;
	List	   *exec_keys = NIL;
	ForeignScan *inner;
	ForeignPath dummy;
	ForeignScan *plan;
	ListCell   *lc;
	int			resno = 0;

	outerrel = find_base_rel(root, bms_singleton_member(bms_difference(joinrel->relids,
																	   innerrel->relids)));
	/* inner key = ANY(<fed by the join>): a placeholder Const the
	 * executor never evaluates (CqQualFedIdx) */
	foreach(lc, keys)
	{
		List	   *k = lfirst(lc);
		Var		   *iv = list_nth(innerrel->reltarget->exprs, list_nth_int(k, 1) - 1);
		Oid			arrtype = get_array_type(iv->vartype);
		Oid			eqop = (Oid) list_nth_int(k, 2);	/* the clause's = */
		ScalarArrayOpExpr *sa = makeNode(ScalarArrayOpExpr);
		Const	   *c;

		if (!OidIsValid(arrtype) || !OidIsValid(eqop))
			elog(ERROR, "no array type or = operator for join key type %u", iv->vartype);
		c = makeNullConst(arrtype, -1, iv->varcollid);
		sa->opno = eqop;
		sa->opfuncid = get_opcode(eqop);
		sa->useOr = true;
		sa->inputcollid = iv->varcollid;
		sa->args = list_make2(copyObject(iv), c);
		sa->location = -1;
		inner_clauses = lappend(inner_clauses,
								make_simple_restrictinfo(root, (Expr *) sa));
		fed_exprs = lappend(fed_exprs, c);
		exec_keys = lappend(exec_keys, list_make2_int(list_nth_int(k, 0),
													  list_nth_int(k, 1)));
	}
	foreach(lc, innerrel->reltarget->exprs)
		inner_tlist = lappend(inner_tlist,
							  makeTargetEntry(copyObject(lfirst(lc)),
											  list_length(inner_tlist) + 1,
											  NULL, false));
	memset(&dummy, 0, sizeof(dummy));
	dummy.path.type = T_ForeignPath;
	dummy.path.pathtype = T_ForeignScan;
	dummy.path.parent = innerrel;
	inner = cqGetForeignPlan(root, innerrel, InvalidOid, &dummy, inner_tlist,
							 inner_clauses, NULL);

	/* mark the fed quals, and drop their placeholders from the recheck */
	foreach(lc, (List *) list_nth(inner->fdw_private, CqScanPrivQuals))
	{
		List	   *f = lfirst(lc);
		Expr	   *e = list_nth(inner->fdw_exprs, list_nth_int(f, CqQualExprIdx));
		int			idx = -1;
		ListCell   *lc2;

		foreach(lc2, fed_exprs)
			if (lfirst(lc2) == e)
				idx = foreach_current_index(lc2);

		if (list_length(f) == CqQualSubkeyIdx + 1)
			lfirst(lc) = lappend_int(f, idx);
	}
	{
		List	   *q = NIL;

		foreach(lc, inner->scan.plan.qual)
		{
			Node	   *n = lfirst(lc);

			if (!(IsA(n, ScalarArrayOpExpr) &&
				  list_member_ptr(fed_exprs, lsecond(((ScalarArrayOpExpr *) n)->args))))
				q = lappend(q, n);
		}
		inner->scan.plan.qual = q;
	}
	inner->scan.plan.startup_cost = best_path->path.startup_cost;
	inner->scan.plan.total_cost = best_path->path.total_cost;
	inner->scan.plan.plan_rows = best_path->path.rows;
	inner->scan.plan.plan_width = innerrel->reltarget->width;
	inner->scan.plan.parallel_safe = false;
	/* EXPLAIN: the inner fans out over the outer keys */
	list_nth_cell(inner->fdw_private, CqScanPrivUnits)->ptr_value = makeInteger(-2);
	inner->fs_server = innerrel->serverid;	/* as create_foreignscan_plan */
	inner->fs_relids = bms_copy(innerrel->relids);

	/* the scan tuple: the outer plan's columns, then the inner plan's */
	foreach(lc, outerrel->reltarget->exprs)
		scan_tlist = lappend(scan_tlist, makeTargetEntry(copyObject(lfirst(lc)),
														 ++resno, NULL, false));
	foreach(lc, innerrel->reltarget->exprs)
		scan_tlist = lappend(scan_tlist, makeTargetEntry(copyObject(lfirst(lc)),
														 ++resno, NULL, false));

	plan = make_foreignscan(tlist, join_clauses, 0, NIL,
							list_make2(makeString(pstrdup("join")), exec_keys),
							scan_tlist, NIL, outer_plan);
	innerPlan(plan) = (Plan *) inner;
	return plan;
}
