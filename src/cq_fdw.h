/*-------------------------------------------------------------------------
 *
 * cq_fdw.h
 *		  Private header of the FDW layer (the only code that includes
 *		  PostgreSQL headers).  Externs are grouped by the file defining them.
 *
 * Invariants:
 *	- Only the backend's main thread runs code declared here.  SDK threads
 *	  never call back into these functions.
 *	- Credentials (CqFdwTable.cred) are read from the user mapping at
 *	  execution time and never stored in a plan, EXPLAIN output, error
 *	  message or log line.
 *
 * Copyright (c) 2026, cq_fdw developers
 *
 *-------------------------------------------------------------------------
 */
#ifndef CQ_FDW_H
#define CQ_FDW_H

#include "postgres.h"

#include "access/attnum.h"
#include "foreign/foreign.h"
#include "nodes/pg_list.h"

#include "cq_sdk.h"

/*
 * One column of a foreign table, as the scan sees it.
 */
typedef struct CqFdwColumn
{
	AttrNumber	attnum;			/* 1-based attribute number */
	char	   *attname;
	Oid			atttypid;
	int32		atttypmod;
	bool		dropped;
	int			src_col;		/* index into table->columns, -1 = none
								 * (always NULL) */
	bool		direct;			/* declared type is the source type's natural
								 * PostgreSQL type: Datum built directly;
								 * otherwise through the type input function */
} CqFdwColumn;

/*
 * Everything needed to plan and scan one foreign table, resolved from the
 * catalogs (server, user mapping, table and column options) and the source
 * registry.  palloc'd in the caller's memory context; the source and table
 * definitions it points to are owned by the source cache (malloc'd, stable
 * for the life of the backend unless the cache is invalidated between
 * statements).
 */
typedef struct CqFdwTable
{
	Oid			relid;
	Oid			serverid;
	Oid			userid;
	char	   *source_name;
	char	   *table_name;		/* source table name (option `table`), or the
								 * relation name for `rest` */
	const CqSourceDef *source;	/* NULL for `rest` */
	const CqTableDef *table;	/* for `rest`: built from the table options */
	const CqPluginDescriptor *plugin;	/* NULL unless a compiled plugin */
	char	   *base_url;		/* server base_url or the source default */
	CqCredentials cred;			/* from the user mapping: never print */
	int			nserver_opts;	/* source-specific server options (fan-out) */
	char	  **server_opt_names;
	char	  **server_opt_values;
	CqJobSettings settings;		/* GUC defaults, then server, then table
								 * options */
	CqNetPolicy policy;			/* from the superuser-only GUCs */
	bool		skip_failed;	/* option skip_failed */
	int			ncolumns;		/* = relation's natts */
	CqFdwColumn *columns;
} CqFdwTable;

/* in source.c */
extern CqFdwTable *cqfdw_get_table(Oid foreigntableid, Oid userid);
extern const CqSourceDef *cqfdw_find_source(const char *name, bool missing_ok,
											const CqPluginDescriptor **plugin);
extern List *cqfdw_all_sources(void);	/* List of const CqSourceDef * */
extern bool cqfdw_sdk_type_for_pg(Oid typid, CqColType *out);
extern Oid	cqfdw_pg_type_for_sdk(CqColType t);

#endif							/* CQ_FDW_H */
