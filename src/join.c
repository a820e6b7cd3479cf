/*-------------------------------------------------------------------------
 *
 * join.c
 *		  Execution of a batched join of two cq_fdw tables (planned by
 *		  cqGetForeignJoinPaths in planner.c): one ForeignScan with
 *		  scanrelid 0 whose outer plan is the outer table's own scan and
 *		  whose inner plan (righttree) is the inner table's scan with its
 *		  join keys "fed": it reads every outer row, then runs ONE inner job
 *		  over the distinct outer key tuples -- one unit per tuple, fetched
 *		  concurrently by the SDK -- instead of one inner scan per outer row
 *		  (a parameterized nested loop) or a full inner listing.
 *
 * Invariants:
 *	- the scan tuple (fdw_scan_tlist) is the outer plan's target list
 *	  followed by the inner plan's; every join clause stays in the plan's
 *	  qual and is evaluated by ExecScan on each candidate pair, so the
 *	  key match done here is only a pre-filter: it pairs rows whose key
 *	  values have the same text (join keys have one type on both sides,
 *	  for which equal values print alike: planner.c join_key_type_ok);
 *	- an outer row with a NULL key joins nothing and is never sent;
 *	- outer rows live in join->rowctx, reset on rescan; the inner slot is
 *	  consumed before the next inner row is fetched; Iterate runs in the
 *	  per-tuple context (ForeignNext), so nothing that must outlive a row
 *	  is allocated there;
 *	- only the backend main thread runs here (the SDK's threads stay in
 *	  the inner scan's job).
 *
 * Copyright (c) 2026, cq_fdw developers
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "executor/executor.h"
#include "miscadmin.h"
#include "nodes/nodeFuncs.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"

#include "cq_fdw.h"

/* One outer row and the text of its key tuple */
typedef struct JoinOuterRow
{
	char	   *key;			/* length-prefixed key texts */
	MinimalTuple tuple;
} JoinOuterRow;

/*
 * join_key_text
 *		The key tuple of a row as one string: each value's text (as sent
 *		to the API, scan.c cqfdw_value_text) prefixed by its length, so
 *		that distinct tuples never give the same string.  NULL when a key
 *		value is NULL.  palloc'd in CurrentMemoryContext.
 */
static char *
join_key_text(TupleTableSlot *slot, int nkeys, const int *pos,
			  const Oid *types, char **texts)
{
	StringInfoData b;

	initStringInfo(&b);
	for (int k = 0; k < nkeys; k++)
	{
		bool		isnull;
		Datum		d = slot_getattr(slot, pos[k], &isnull);
		char	   *t;

		if (isnull)
			return NULL;
		t = cqfdw_value_text(d, types[k]);
		if (texts)
			texts[k] = t;
		appendStringInfo(&b, "%zu:%s", strlen(t), t);
	}
	return b.data;
}

static int
outer_row_cmp(const void *a, const void *b)
{
	return strcmp(((const JoinOuterRow *) a)->key,
				  ((const JoinOuterRow *) b)->key);
}

/*
 * cqfdw_join_begin
 *		Set up a batched join: initialize the inner plan (the outer one is
 *		initialized by ExecInitForeignScan) and the join state.
 */
void
cqfdw_join_begin(ForeignScanState *node, int eflags)
{
	ForeignScan *fsplan = (ForeignScan *) node->ss.ps.plan;
	EState	   *estate = node->ss.ps.state;
	CqFdwJoinState *js;
	List	   *keys = (List *) lsecond(fsplan->fdw_private);
	Plan	   *innerplan = innerPlan(fsplan);
	Plan	   *outerplan = outerPlan(fsplan);
	ListCell   *lc;
	int			i = 0;

	js = palloc0(sizeof(CqFdwJoinState));
	js->is_join = true;
	js->explain_only = (eflags & EXEC_FLAG_EXPLAIN_ONLY) != 0;
	js->rowctx = AllocSetContextCreate(estate->es_query_cxt, "cq_fdw join rows",
									   ALLOCSET_DEFAULT_SIZES);
	js->nkeys = list_length(keys);
	js->outer_pos = palloc0(sizeof(int) * Max(js->nkeys, 1));
	js->inner_pos = palloc0(sizeof(int) * Max(js->nkeys, 1));
	js->types = palloc0(sizeof(Oid) * Max(js->nkeys, 1));
	foreach(lc, keys)
	{
		List	   *f = (List *) lfirst(lc);
		TargetEntry *ote;

		js->outer_pos[i] = list_nth_int(f, 0);
		js->inner_pos[i] = list_nth_int(f, 1);
		ote = list_nth(outerplan->targetlist, js->outer_pos[i] - 1);
		js->types[i] = exprType((Node *) ote->expr);
		i++;
	}
	node->fdw_state = js;
	innerPlanState(node) = ExecInitNode(innerplan, estate, eflags);
	/*
	 * Here, not in Iterate: ForeignNext calls Iterate in the per-tuple
	 * context, which ExecScan resets before every row.
	 */
	js->outer_slot = MakeSingleTupleTableSlot(ExecGetResultType(outerPlanState(node)),
											  &TTSOpsMinimalTuple);
}

/*
 * read_outer
 *		Read every outer row, sort them by key text, and feed the distinct
 *		key tuples to the inner scan (one unit each).
 */
static void
read_outer(ForeignScanState *node, CqFdwJoinState *js)
{
	PlanState  *outer = outerPlanState(node);
	MemoryContext old = MemoryContextSwitchTo(js->rowctx);
	int			cap = 64;
	const char ***fed;
	char	  **distinct;
	int			ndistinct = 0;

	js->rows = palloc(sizeof(JoinOuterRow) * cap);
	js->nrows = 0;
	for (;;)
	{
		TupleTableSlot *slot;
		char	   *key;

		CHECK_FOR_INTERRUPTS();
		MemoryContextSwitchTo(old);
		slot = ExecProcNode(outer);
		MemoryContextSwitchTo(js->rowctx);
		if (TupIsNull(slot))
			break;
		js->outer_read++;
		key = join_key_text(slot, js->nkeys, js->outer_pos, js->types, NULL);
		if (key == NULL)
			continue;			/* a NULL key joins nothing */
		if (js->nrows == cap)
		{
			cap *= 2;
			js->rows = repalloc(js->rows, sizeof(JoinOuterRow) * cap);
		}
		((JoinOuterRow *) js->rows)[js->nrows].key = key;
		((JoinOuterRow *) js->rows)[js->nrows].tuple = ExecCopySlotMinimalTuple(slot);
		js->nrows++;
	}
	if (js->nrows > 1)
		qsort(js->rows, js->nrows, sizeof(JoinOuterRow), outer_row_cmp);

	/* the distinct key tuples, decoded back into per-key value lists */
	distinct = palloc(sizeof(char *) * Max(js->nrows, 1));
	for (int r = 0; r < js->nrows; r++)
	{
		char	   *k = ((JoinOuterRow *) js->rows)[r].key;

		if (ndistinct == 0 || strcmp(distinct[ndistinct - 1], k) != 0)
			distinct[ndistinct++] = k;
	}
	fed = palloc(sizeof(char **) * Max(js->nkeys, 1));
	for (int k = 0; k < js->nkeys; k++)
		fed[k] = palloc(sizeof(char *) * Max(ndistinct, 1));
	for (int d = 0; d < ndistinct; d++)
	{
		const char *p = distinct[d];

		for (int k = 0; k < js->nkeys; k++)
		{
			char	   *end;
			size_t		len = strtoul(p, &end, 10);

			fed[k][d] = pnstrdup(end + 1, len);
			p = end + 1 + len;
		}
	}
	js->lookups = ndistinct;
	js->lookups_total += ndistinct;
	MemoryContextSwitchTo(old);
	cqfdw_scan_feed((ForeignScanState *) innerPlanState(node), js->nkeys,
					ndistinct, fed);
}

/*
 * cqfdw_join_iterate
 *		Next joined candidate (outer values then inner values) in the scan
 *		slot; ExecScan applies the join clauses.  Empty slot at the end.
 */
TupleTableSlot *
cqfdw_join_iterate(ForeignScanState *node)
{
	CqFdwJoinState *js = (CqFdwJoinState *) node->fdw_state;
	TupleTableSlot *slot = node->ss.ss_ScanTupleSlot;
	PlanState  *inner = innerPlanState(node);
	int			nouter = list_length(outerPlan(node->ss.ps.plan)->targetlist);

	ExecClearTuple(slot);
	if (!js->started)
	{
		js->started = true;
		read_outer(node, js);
		js->match = js->match_end = 0;
	}
	if (js->lookups == 0)
		return slot;			/* no key tuple: nothing to look up */

	for (;;)
	{
		CHECK_FOR_INTERRUPTS();
		if (js->match < js->match_end)
		{
			JoinOuterRow *o = &((JoinOuterRow *) js->rows)[js->match++];
			TupleTableSlot *os = js->outer_slot;
			int			natts = slot->tts_tupleDescriptor->natts;

			ExecStoreMinimalTuple(o->tuple, os, false);
			slot_getallattrs(os);
			slot_getallattrs(js->inner_slot);
			for (int a = 0; a < natts; a++)
			{
				if (a < nouter)
				{
					slot->tts_values[a] = os->tts_values[a];
					slot->tts_isnull[a] = os->tts_isnull[a];
				}
				else
				{
					slot->tts_values[a] = js->inner_slot->tts_values[a - nouter];
					slot->tts_isnull[a] = js->inner_slot->tts_isnull[a - nouter];
				}
			}
			/* the scan slot holds heap tuples (ExecInitForeignScan) */
			{
				MemoryContext old = MemoryContextSwitchTo(node->ss.ps.ps_ExprContext->ecxt_per_tuple_memory);
				HeapTuple	tup = heap_form_tuple(slot->tts_tupleDescriptor,
												  slot->tts_values, slot->tts_isnull);

				MemoryContextSwitchTo(old);
				ExecStoreHeapTuple(tup, slot, false);
			}
			return slot;
		}

		/* the next inner row and its outer rows with the same key text */
		js->inner_slot = ExecProcNode(inner);
		if (TupIsNull(js->inner_slot))
			return slot;
		js->inner_rows++;
		{
			MemoryContext old = MemoryContextSwitchTo(node->ss.ps.ps_ExprContext->ecxt_per_tuple_memory);
			char	   *key = join_key_text(js->inner_slot, js->nkeys, js->inner_pos,
											js->types, NULL);
			int			lo = 0,
						hi = js->nrows;

			MemoryContextSwitchTo(old);
			js->match = js->match_end = 0;
			if (key == NULL)
				continue;
			/* lower bound */
			while (lo < hi)
			{
				int			mid = (lo + hi) / 2;

				if (strcmp(((JoinOuterRow *) js->rows)[mid].key, key) < 0)
					lo = mid + 1;
				else
					hi = mid;
			}
			js->match = lo;
			js->match_end = lo;
			while (js->match_end < js->nrows &&
				   strcmp(((JoinOuterRow *) js->rows)[js->match_end].key, key) == 0)
				js->match_end++;
		}
	}
}

/*
 * cqfdw_join_rescan
 *		Start over: the outer plan is rescanned by ExecReScanForeignScan,
 *		the inner one here.
 */
void
cqfdw_join_rescan(ForeignScanState *node)
{
	CqFdwJoinState *js = (CqFdwJoinState *) node->fdw_state;

	if (js->outer_slot)
		ExecClearTuple(js->outer_slot);
	js->inner_slot = NULL;
	MemoryContextReset(js->rowctx);
	js->rows = NULL;
	js->nrows = 0;
	js->started = false;
	ExecReScan(innerPlanState(node));
}

/*
 * cqfdw_join_end
 *		End the inner plan (ExecEndForeignScan ends the outer one).
 */
void
cqfdw_join_end(ForeignScanState *node)
{
	CqFdwJoinState *js = (CqFdwJoinState *) node->fdw_state;

	if (js == NULL)
		return;
	if (js->outer_slot)
		ExecDropSingleTupleTableSlot(js->outer_slot);
	ExecEndNode(innerPlanState(node));
	MemoryContextDelete(js->rowctx);
	node->fdw_state = NULL;
}
