/*-------------------------------------------------------------------------
 *
 * sync.c
 *		  cq_fdw.sync_can_commit(): whether the calling procedure may COMMIT,
 *		  for the table sync procedures of cq_fdw--0.1.sql (cq_fdw.sync).
 *
 * A PL/pgSQL procedure cannot ask this itself: COMMIT in an atomic context
 * (CALL inside BEGIN ... COMMIT, from a function, or inside a block with an
 * EXCEPTION clause) raises an error that cannot be caught where it happens.
 * A procedure written in C learns it from its CallContext: PL/pgSQL passes
 * its own atomicity down to a nested CALL, and a CALL under a
 * subtransaction (an EXCEPTION block) may not commit either.
 *
 * Copyright (c) 2026, cq_fdw developers
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/xact.h"
#include "fmgr.h"
#include "funcapi.h"
#include "nodes/parsenodes.h"

#include "cq_fdw.h"

PG_FUNCTION_INFO_V1(cq_fdw_sync_can_commit);

/*
 * PROCEDURE cq_fdw.sync_can_commit(INOUT can_commit boolean DEFAULT NULL)
 *		Sets can_commit: true when the caller may COMMIT (a non-atomic CALL
 *		outside any subtransaction).
 */
Datum
cq_fdw_sync_can_commit(PG_FUNCTION_ARGS)
{
	TupleDesc	tupdesc;
	Datum		value;
	bool		isnull = false;
	bool		can_commit;

	can_commit = fcinfo->context != NULL &&
		IsA(fcinfo->context, CallContext) &&
		!castNode(CallContext, fcinfo->context)->atomic &&
		!IsSubTransaction();

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("cq_fdw.sync_can_commit must be called with CALL")));
	tupdesc = BlessTupleDesc(tupdesc);
	value = BoolGetDatum(can_commit);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, &value, &isnull)));
}
