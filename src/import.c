/*-------------------------------------------------------------------------
 *
 * import.c
 *		  IMPORT FOREIGN SCHEMA <source> FROM SERVER s INTO local_schema:
 *		  one foreign table per table of the server's source, with comments
 *		  taken from the source's descriptions.
 *
 * Invariants:
 *	- The remote schema name is the server's source name; anything else is
 *	  an error with a hint.  LIMIT TO / EXCEPT are applied here and again by
 *	  PostgreSQL.
 *	- PostgreSQL only executes CREATE FOREIGN TABLE statements returned by
 *	  ImportForeignSchema, so comments cannot be returned as statements.
 *	  cqImportForeignSchema records them as "pending" (schema, table name,
 *	  comments), and an object_access_hook applies them when PostgreSQL
 *	  creates the matching foreign table (OAT_POST_CREATE, same statement).
 *	  The pending set lives in its own memory context and is dropped at the
 *	  end of the transaction, so it can never apply to a later CREATE.
 *	- Every identifier goes through quote_identifier and every literal
 *	  through quote_literal_cstr: names and descriptions come from specs.
 *
 * Copyright (c) 2026, cq_fdw developers
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/objectaccess.h"
#include "catalog/pg_class.h"
#include "commands/comment.h"
#include "commands/defrem.h"
#include "lib/stringinfo.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/relcache.h"

#include "cq_fdw.h"

typedef struct PendingComments
{
	char	   *relname;
	char	   *table_comment;
	int			ncols;
	char	  **colnames;
	char	  **col_comments;
} PendingComments;

static MemoryContext pending_cxt = NULL;
static Oid	pending_nsp = InvalidOid;
static List *pending = NIL;		/* of PendingComments * */
static object_access_hook_type prev_object_access_hook = NULL;
static bool xact_cb_registered = false;

static void
clear_pending(void)
{
	pending = NIL;
	pending_nsp = InvalidOid;
	if (pending_cxt)
		MemoryContextReset(pending_cxt);
}

static void
import_xact_callback(XactEvent event, void *arg)
{
	if (pending != NIL)
		clear_pending();
}

/*
 * Apply the pending comments of a foreign table PostgreSQL just created.
 * Runs inside CREATE FOREIGN TABLE; may throw (CreateComments).
 */
static void
cq_object_access(ObjectAccessType access, Oid classId, Oid objectId,
				 int subId, void *arg)
{
	if (prev_object_access_hook)
		prev_object_access_hook(access, classId, objectId, subId, arg);

	if (access != OAT_POST_CREATE || classId != RelationRelationId ||
		subId != 0 || pending == NIL)
		return;

	/*
	 * The new pg_class row is not visible to catalog lookups yet (same
	 * command), but heap_create_with_catalog holds the relation open, so
	 * its relcache entry is there.
	 */
	{
		Relation	rel = RelationIdGetRelation(objectId);
		ListCell   *lc;

		if (rel == NULL)
			return;
		if (rel->rd_rel->relkind != RELKIND_FOREIGN_TABLE ||
			rel->rd_rel->relnamespace != pending_nsp)
		{
			RelationClose(rel);
			return;
		}
		foreach(lc, pending)
		{
			PendingComments *pc = lfirst(lc);

			if (strcmp(pc->relname, NameStr(rel->rd_rel->relname)) != 0)
				continue;
			if (pc->table_comment)
				CreateComments(objectId, RelationRelationId, 0,
							   pc->table_comment);
			/* columns were generated in order: attnum = position + 1 */
			for (int i = 0; i < pc->ncols &&
				 i < RelationGetDescr(rel)->natts; i++)
			{
				if (pc->col_comments[i] &&
					strcmp(NameStr(TupleDescAttr(RelationGetDescr(rel), i)->attname),
						   pc->colnames[i]) == 0)
					CreateComments(objectId, RelationRelationId, i + 1,
								   pc->col_comments[i]);
			}
			/* applied once */
			pending = foreach_delete_current(pending, lc);
			break;
		}
		RelationClose(rel);
	}
}

/*
 * cqfdw_import_init
 *		Install the object access hook (from _PG_init).  No catalog access.
 */
void
cqfdw_import_init(void)
{
	prev_object_access_hook = object_access_hook;
	object_access_hook = cq_object_access;
}

/* "=, >=" for a key's operators */
static char *
ops_text(int ops)
{
	static const struct
	{
		int			bit;
		const char *name;
	}			names[] = {
		{CQ_OP_EQ, "="}, {CQ_OP_LT, "<"}, {CQ_OP_LE, "<="},
		{CQ_OP_GT, ">"}, {CQ_OP_GE, ">="}, {CQ_OP_LIKE, "LIKE"},
		{CQ_OP_CONTAINS, "@>"}
	};
	StringInfoData buf;

	initStringInfo(&buf);
	for (int i = 0; i < lengthof(names); i++)
		if (ops & names[i].bit)
			appendStringInfo(&buf, "%s%s", buf.len ? ", " : "", names[i].name);
	if (buf.len == 0)
		appendStringInfoString(&buf, "=");
	return buf.data;
}

/*
 * cqfdw_key_comment
 *		"owner (required, =)" style description of a key column; palloc'd.
 */
static char *
key_summary(const CqKeyDef *k)
{
	return psprintf("%s (%s%s)", k->column,
					k->required ? "required, " : "", ops_text(k->ops));
}

static bool
table_wanted(ImportForeignSchemaStmt *stmt, const char *name)
{
	ListCell   *lc;

	if (stmt->list_type == FDW_IMPORT_SCHEMA_ALL)
		return true;
	foreach(lc, stmt->table_list)
	{
		RangeVar   *rv = lfirst(lc);

		if (strcmp(rv->relname, name) == 0)
			return stmt->list_type == FDW_IMPORT_SCHEMA_LIMIT_TO;
	}
	return stmt->list_type == FDW_IMPORT_SCHEMA_EXCEPT;
}

/*
 * cqImportForeignSchema
 *		Return one CREATE FOREIGN TABLE per table of the server's source and
 *		record the comments to apply (see the banner).
 *
 * Result is palloc'd in the caller's context.  Throws on a wrong remote
 * schema, a `rest` server or an IMPORT option.
 */
List *
cqImportForeignSchema(ImportForeignSchemaStmt *stmt, Oid serverOid)
{
	ForeignServer *srv = GetForeignServer(serverOid);
	const char *source_name = NULL;
	const CqSourceDef *src;
	List	   *cmds = NIL;
	ListCell   *lc;
	MemoryContext oldcxt;

	foreach(lc, stmt->options)
	{
		DefElem    *d = lfirst(lc);

		ereport(ERROR,
				(errcode(ERRCODE_FDW_INVALID_OPTION_NAME),
				 errmsg("invalid option \"%s\"", d->defname),
				 errhint("IMPORT FOREIGN SCHEMA of cq_fdw takes no options.")));
	}

	foreach(lc, srv->options)
	{
		DefElem    *d = lfirst(lc);

		if (strcmp(d->defname, "source") == 0)
			source_name = defGetString(d);
	}
	if (source_name == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_OPTION_NAME_NOT_FOUND),
				 errmsg("server \"%s\" has no option \"source\"", srv->servername),
				 errhint("ALTER SERVER %s OPTIONS (ADD source '...').",
						 quote_identifier(srv->servername))));

	if (strcmp(stmt->remote_schema, source_name) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_SCHEMA_NOT_FOUND),
				 errmsg("schema \"%s\" does not exist on server \"%s\"",
						stmt->remote_schema, srv->servername),
				 errdetail("The remote schema of a cq_fdw server is the name of its source."),
				 errhint("IMPORT FOREIGN SCHEMA %s FROM SERVER %s INTO %s;",
						 quote_identifier(source_name),
						 quote_identifier(srv->servername),
						 quote_identifier(stmt->local_schema))));

	if (strcmp(source_name, "rest") == 0)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_NO_SCHEMAS),
				 errmsg("source \"rest\" has no tables to import"),
				 errhint("Declare rest tables with CREATE FOREIGN TABLE ... SERVER %s OPTIONS (endpoint '...').",
						 quote_identifier(srv->servername))));

	src = cqfdw_find_source(source_name, false, NULL);

	/* pending comments for this import */
	if (pending_cxt == NULL)
		pending_cxt = AllocSetContextCreate(TopMemoryContext,
											"cq_fdw import comments",
											ALLOCSET_SMALL_SIZES);
	if (!xact_cb_registered)
	{
		RegisterXactCallback(import_xact_callback, NULL);
		xact_cb_registered = true;
	}
	clear_pending();
	pending_nsp = get_namespace_oid(stmt->local_schema, false);

	for (int i = 0; i < src->ntables; i++)
	{
		const CqTableDef *t = &src->tables[i];
		StringInfoData buf;
		StringInfoData tc;
		PendingComments *pc;

		if (!table_wanted(stmt, t->name))
			continue;

		initStringInfo(&buf);
		appendStringInfo(&buf, "CREATE FOREIGN TABLE %s (",
						 quote_identifier(t->name));
		for (int c = 0; c < t->ncolumns; c++)
			appendStringInfo(&buf, "%s\n  %s %s", c ? "," : "",
							 quote_identifier(t->columns[c].name),
							 format_type_be(cqfdw_pg_type_for_sdk(t->columns[c].type)));
		appendStringInfo(&buf, "\n) SERVER %s OPTIONS (table %s)",
						 quote_identifier(srv->servername),
						 quote_literal_cstr(t->name));
		cmds = lappend(cmds, buf.data);

		/* comments */
		oldcxt = MemoryContextSwitchTo(pending_cxt);
		pc = palloc0(sizeof(PendingComments));
		pc->relname = pstrdup(t->name);
		initStringInfo(&tc);
		if (t->description)
			appendStringInfoString(&tc, t->description);
		if (t->nkeys > 0)
		{
			appendStringInfo(&tc, "%sKey columns: ", tc.len ? "\n" : "");
			for (int k = 0; k < t->nkeys; k++)
				appendStringInfo(&tc, "%s%s", k ? ", " : "",
								 key_summary(&t->keys[k]));
		}
		pc->table_comment = tc.len ? tc.data : NULL;
		pc->ncols = t->ncolumns;
		pc->colnames = palloc0(sizeof(char *) * Max(1, t->ncolumns));
		pc->col_comments = palloc0(sizeof(char *) * Max(1, t->ncolumns));
		for (int c = 0; c < t->ncolumns; c++)
		{
			const CqColumnDef *col = &t->columns[c];
			const CqKeyDef *k = cq_table_find_key(t, col->name);

			pc->colnames[c] = pstrdup(col->name);
			if (k)
				pc->col_comments[c] =
					psprintf("Key column (%soperators %s).%s%s",
							 k->required ? "required, " : "",
							 ops_text(k->ops),
							 col->description ? " " : "",
							 col->description ? col->description : "");
			else if (col->description)
				pc->col_comments[c] = pstrdup(col->description);
		}
		pending = lappend(pending, pc);
		MemoryContextSwitchTo(oldcxt);
	}

	return cmds;
}
