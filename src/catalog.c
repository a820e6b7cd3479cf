/*-------------------------------------------------------------------------
 *
 * catalog.c
 *		  SQL-callable set-returning functions behind the views
 *		  cq_fdw.sources and cq_fdw.tables.
 *
 * Invariants:
 *	- Both functions read the backend's source registry (source.c) only:
 *	  no catalog access, no network, nothing per user.  They never show a
 *	  credential or a server option, so they are granted to PUBLIC.
 *	- Materialize mode (InitMaterializedSRF): all rows are built in one
 *	  call in the per-query memory context.
 *	- Rows come in registry order (sources sorted by name, `rest` last;
 *	  tables in spec order), so the output is stable for tests.
 *
 * Copyright (c) 2026, cq_fdw developers
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "funcapi.h"
#include "utils/array.h"
#include "utils/builtins.h"

#include "cq_fdw.h"

PG_FUNCTION_INFO_V1(cq_fdw_source_list);
PG_FUNCTION_INFO_V1(cq_fdw_table_list);

static Datum
text_or_null(const char *s, bool *isnull)
{
	*isnull = (s == NULL);
	return s ? CStringGetTextDatum(s) : (Datum) 0;
}

/* text[] of n C strings (an empty array for n = 0) */
static Datum
text_array(const char *const *items, int n)
{
	Datum	   *d = palloc(sizeof(Datum) * Max(n, 1));

	for (int i = 0; i < n; i++)
		d[i] = CStringGetTextDatum(items[i]);
	return PointerGetDatum(construct_array(d, n, TEXTOID, -1, false,
										   TYPALIGN_INT));
}

/*
 * cq_fdw_source_list
 *		(name, version, description, kind) of every source, `rest` included.
 */
Datum
cq_fdw_source_list(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	ListCell   *lc;

	InitMaterializedSRF(fcinfo, 0);

	foreach(lc, cqfdw_all_sources())
	{
		const CqSourceDef *src = lfirst(lc);
		Datum		values[4];
		bool		nulls[4];

		values[0] = text_or_null(src->name, &nulls[0]);
		values[1] = text_or_null(src->version, &nulls[1]);
		values[2] = text_or_null(src->description, &nulls[2]);
		values[3] = text_or_null(src->kind ? src->kind : "spec", &nulls[3]);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}

/*
 * cq_fdw_table_list
 *		(source, name, description, key_columns, required_keys, primary_key,
 *		row_estimate, origin, cursor_column, cursor_op) of every table of
 *		every installed source.  origin says how the table came to be:
 *		"generated" from a vendor's API description, "curated" (generated,
 *		with a per-table override), "hand-written" (a spec's default, e.g. a
 *		plugin's).  cursor_* is the spec's cursor (incremental syncs), NULL
 *		when the table has none.
 */
Datum
cq_fdw_table_list(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	ListCell   *lc;

	InitMaterializedSRF(fcinfo, 0);

	foreach(lc, cqfdw_all_sources())
	{
		const CqSourceDef *src = lfirst(lc);

		for (int i = 0; i < src->ntables; i++)
		{
			const CqTableDef *t = &src->tables[i];
			Datum		values[10];
			bool		nulls[10] = {false};
			const char **keys = palloc(sizeof(char *) * Max(t->nkeys, 1));
			const char **req = palloc(sizeof(char *) * Max(t->nkeys, 1));
			int			nreq = 0;

			for (int k = 0; k < t->nkeys; k++)
			{
				keys[k] = t->keys[k].column;
				if (t->keys[k].required)
					req[nreq++] = t->keys[k].column;
			}
			values[0] = CStringGetTextDatum(src->name);
			values[1] = text_or_null(t->name, &nulls[1]);
			values[2] = text_or_null(t->description, &nulls[2]);
			values[3] = text_array(keys, t->nkeys);
			values[4] = text_array(req, nreq);
			values[5] = text_array((const char *const *) t->pk, t->npk);
			values[6] = Float8GetDatum(t->row_estimate);
			nulls[6] = !(t->row_estimate > 0);
			values[7] = CStringGetTextDatum(t->origin ? t->origin : "hand-written");
			values[8] = text_or_null(t->cursor_column, &nulls[8]);
			values[9] = text_or_null(t->cursor_column == NULL ? NULL :
									 t->cursor_op == CQ_OP_GE ? ">=" : ">",
									 &nulls[9]);
			tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc,
								 values, nulls);
		}
	}
	return (Datum) 0;
}
