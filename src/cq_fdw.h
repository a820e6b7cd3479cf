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
#include "foreign/fdwapi.h"
#include "foreign/foreign.h"
#include "nodes/pg_list.h"

/*
 * jansson's json_object() has the same name as PostgreSQL's SQL function
 * json_object() (utils/fmgrprotos.h): the declarations conflict, and at run
 * time a call from cq_fdw.so to json_object() binds to the postgres
 * executable's symbol (it comes first in the global lookup scope), NOT to
 * libjansson's.  So the FDW hides jansson's declaration: never call
 * json_object() in code linked into cq_fdw.so; use json_pack("{}").
 */
#define json_object cqfdw_do_not_call_jansson_json_object
#include "cq_sdk.h"
#undef json_object

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
	const CqSourceDef *source;	/* for `rest`: the built-in definition */
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
	double		requests_per_second;	/* option requests_per_second, 0 =
										 * none (ratelimit.c) */
	int			burst;			/* option burst (default 1) */
	int			cache_ttl_s;	/* option cache_ttl, 0 = no cache (cache.c) */
	Oid			umid;			/* the user mapping used (cache key) */
	int			ncolumns;		/* = relation's natts */
	CqFdwColumn *columns;
} CqFdwTable;

/* in cq_fdw.c: GUC variables (defaults documented in README.md (Options and settings)) */
extern int	cqfdw_concurrency;
extern int	cqfdw_workers;			/* 0 = auto */
extern int	cqfdw_worker_nice;
extern int	cqfdw_memory_budget_kb;
extern int	cqfdw_batch_rows;
extern int	cqfdw_connect_timeout_ms;
extern int	cqfdw_request_timeout_ms;
extern int	cqfdw_max_retries;
extern int	cqfdw_retry_base_ms;
extern int	cqfdw_retry_max_ms;
extern bool cqfdw_strict;
extern bool cqfdw_page_arena;
extern int	cqfdw_max_response_size_kb;
extern int	cqfdw_max_json_depth;
extern int	cqfdw_max_string_size_kb;
extern int	cqfdw_max_array_length;
extern int	cqfdw_max_header_size_kb;
extern int	cqfdw_max_fanout;
extern int	cqfdw_max_pages;		/* 0 = no cap */
extern char *cqfdw_allowed_hosts;
extern char *cqfdw_denied_addresses;
extern bool cqfdw_allow_link_local;
extern char *cqfdw_sources_path;
extern void cqfdw_settings_from_gucs(CqJobSettings *s);
extern void cqfdw_policy_from_gucs(CqNetPolicy *p, bool restrict_hosts);

/*
 * FDW callbacks implemented by the scan side (planner.c, scan.c,
 * explain.c; engineer B owns these sections) and installed by
 * cq_fdw_handler() in cq_fdw.c.  The optional ones are installed only when
 * their feature macro is defined here next to them:
 *	CQFDW_HAVE_PARALLEL_SAFE	cqIsForeignScanParallelSafe
 *	CQFDW_HAVE_ASYNC			cqIsForeignPathAsyncCapable and the three
 *								cqForeignAsync* callbacks
 */
/*
 * ForeignScan.fdw_private, built by cqGetForeignPlan (copyable node lists:
 * the plan may be copied, cached and sent to parallel workers).
 */
typedef enum CqFdwScanPrivate
{
	CqScanPrivQuals = 0,		/* List of IntList, one per pushed qual, laid
								 * out as CqFdwQualField */
	CqScanPrivAttrs,			/* IntList of attnums to fetch (projection) */
	CqScanPrivLimit,			/* Integer: rows needed, -1 = no limit */
	CqScanPrivRequest,			/* String: "list" or "get" */
	CqScanPrivUnits				/* Integer: planned fan-out, -1 = unknown */
} CqFdwScanPrivate;

/* Fields of one pushed qual (IntList); its value is fdw_exprs[ExprIdx] */
typedef enum CqFdwQualField
{
	CqQualAttnum = 0,			/* column (attnum of the foreign table) */
	CqQualOp,					/* CQ_OP_* */
	CqQualIsAny,				/* 1: col = ANY(array), fans out */
	CqQualExprIdx,				/* index into fdw_exprs */
	CqQualSubkeyIdx				/* `col->>'k' = v` sent as `col @> {k: v}`:
								 * index of the Const 'k' in fdw_exprs, or
								 * -1 */
} CqFdwQualField;

/* the optional sixth field: the qual's values come from a batched join */
#define CqQualFedIdx	5		/* index among the join's keys, or absent */

/*
 * A batched join (join.c): ForeignScan.fdw_private is
 * list_make2(makeString("join"), keys), keys a List of IntList
 * (outer target list position, inner target list position), one per join
 * key; the inner plan's quals on those keys carry CqQualFedIdx.
 */
typedef struct CqFdwJoinState
{
	bool		is_join;
	bool		explain_only;
	bool		started;
	MemoryContext rowctx;		/* outer rows, reset on rescan */
	int			nkeys;
	int		   *outer_pos;		/* key attribute in the outer slot */
	int		   *inner_pos;		/* key attribute in the inner slot */
	Oid		   *types;			/* key type (the same on both sides) */
	void	   *rows;			/* JoinOuterRow[nrows], sorted by key */
	int			nrows;
	int			match;			/* outer rows [match, match_end) pair */
	int			match_end;		/* with the current inner row */
	TupleTableSlot *outer_slot;
	TupleTableSlot *inner_slot;
	uint64		outer_read;		/* EXPLAIN ANALYZE, summed over rescans */
	uint64		inner_rows;
	int			lookups;		/* distinct key tuples fed to the inner */
	uint64		lookups_total;	/* EXPLAIN ANALYZE: lookups, over rescans */
} CqFdwJoinState;

/* in planner.c */
extern void cqGetForeignRelSize(PlannerInfo *root,
								RelOptInfo *baserel,
								Oid foreigntableid);
extern void cqGetForeignPaths(PlannerInfo *root,
							  RelOptInfo *baserel,
							  Oid foreigntableid);
extern void cqGetForeignJoinPaths(PlannerInfo *root, RelOptInfo *joinrel,
								  RelOptInfo *outerrel, RelOptInfo *innerrel,
								  JoinType jointype,
								  JoinPathExtraData *extra);
extern ForeignScan *cqGetForeignPlan(PlannerInfo *root,
											RelOptInfo *foreignrel,
											Oid foreigntableid,
											ForeignPath *best_path,
											List *tlist,
											List *scan_clauses,
											Plan *outer_plan);
extern void cqGetForeignUpperPaths(PlannerInfo *root,
								   UpperRelationKind stage,
								   RelOptInfo *input_rel,
								   RelOptInfo *output_rel,
								   void *extra);
extern bool cqIsForeignScanParallelSafe(PlannerInfo *root,
										RelOptInfo *rel,
										RangeTblEntry *rte);
extern bool cqIsForeignPathAsyncCapable(ForeignPath *path);

/* in cq_fdw.c: GUC cq_fdw.batch_joins (planner.c cqGetForeignJoinPaths) */
extern bool cqfdw_batch_joins;

/* in join.c */
extern void cqfdw_join_begin(ForeignScanState *node, int eflags);
extern TupleTableSlot *cqfdw_join_iterate(ForeignScanState *node);
extern void cqfdw_join_rescan(ForeignScanState *node);
extern void cqfdw_join_end(ForeignScanState *node);

/* in scan.c */
extern char *cqfdw_value_text(Datum d, Oid typid);
extern void cqfdw_scan_feed(ForeignScanState *node, int nkeys, int nvalues,
							const char ***values);
extern void cqBeginForeignScan(ForeignScanState *node, int eflags);
extern TupleTableSlot *cqIterateForeignScan(ForeignScanState *node);
extern void cqReScanForeignScan(ForeignScanState *node);
extern void cqEndForeignScan(ForeignScanState *node);
extern void cqForeignAsyncRequest(AsyncRequest *areq);
extern void cqForeignAsyncConfigureWait(AsyncRequest *areq);
extern void cqForeignAsyncNotify(AsyncRequest *areq);

/* in explain.c */
extern void cqExplainForeignScan(ForeignScanState *node,
								 struct ExplainState *es);
extern int	cqfdw_kube_contexts(const CqFdwTable *t, Expr *value,
								char **servers);

/* in import.c */
extern void cqfdw_import_init(void);
extern List *cqImportForeignSchema(ImportForeignSchemaStmt *stmt,
								   Oid serverOid);

/* in option.c */
extern bool cqfdw_is_credential_option(const char *name);
extern const char **cqfdw_credential_field(CqCredentials *cred,
										   const char *name,
										   bool fetched_only);
extern const char *cqfdw_closest_name(const char *name,
									  const char *const *candidates, int n);
extern bool cqfdw_url_host(const char *url, char *host, size_t hostlen);
extern void cqfdw_check_url_privilege(const char *url,
									  const CqSourceDef *source,
									  const char *what);
extern bool cqfdw_is_absolute_url(const char *s);
extern void cqfdw_check_endpoint_privilege(const char *endpoint,
										   bool owner_is_superuser);
extern int	cqfdw_option_int(const char *name, const char *value, int flags,
							 int min);
extern bool cqfdw_option_bool(const char *name, const char *value);
extern CqPagination cqfdw_option_pagination(const char *value);

/* in source.c */
extern CqFdwTable *cqfdw_get_table(Oid foreigntableid, Oid userid);
extern const CqSourceDef *cqfdw_find_source(const char *name, bool missing_ok,
											const CqPluginDescriptor **plugin);
extern List *cqfdw_all_sources(void);	/* List of const CqSourceDef * */
extern bool cqfdw_sdk_type_for_pg(Oid typid, CqColType *out);
extern Oid	cqfdw_pg_type_for_sdk(CqColType t);

/*
 * ---- Scan side (engineer B): convert.c, errors.c, plus planner.c helpers.
 * The FDW callbacks are declared above.  The optional callbacks
 * (CQFDW_HAVE_PARALLEL_SAFE, CQFDW_HAVE_ASYNC) are deliberately not
 * provided: a scan in a parallel worker would repeat the whole API scan in
 * every worker, and the job starts in BeginForeignScan, so members of an
 * Append (UNION ALL over many servers) already fetch concurrently without
 * async execution (see scan.c).
 */

/* in planner.c: rows per unit seen by past complete scans (backend-local) */
extern void cqfdw_remember_rows(Oid relid, double rows, double units);

/* in scan.c: for EXPLAIN */
extern bool cqfdw_scan_info(ForeignScanState *node, CqJobStats *out,
							int *njobs);
extern const CqFdwTable *cqfdw_scan_table(ForeignScanState *node);
extern void cqfdw_scan_waits(ForeignScanState *node, uint64 *waits,
							 uint64 *wsets, uint64 *wakeups);

/* in convert.c */

/*
 * Conversion of one source column into one table column (per scan, palloc'd
 * in the scan context).  `direct`: Datum built from the SDK's binary form;
 * otherwise through the declared type's input function.  nbad/example/why
 * count values the fast path could not represent (e.g. int -> int4
 * overflow), reported with the SDK's own value warnings.
 */
typedef struct CqFdwConvState
{
	Oid			typid;
	int32		typmod;
	const char *attname;
	const char *path;			/* JSON pointer in the row (error context) */
	CqColType	sdktype;
	bool		direct;
	bool		strict;			/* value errors are ERRORs */
	Oid			elemtype;		/* direct arrays: element type */
	int16		elmlen;
	bool		elmbyval;
	char		elmalign;
	bool		may_fail;		/* conversion may raise a data error
								 * (input function, numeric_in) */
	FmgrInfo	infunc;			/* slow path */
	Oid			typioparam;
	uint64		nbad;
	char		example[128];
	char		why[128];
} CqFdwConvState;

extern CqFdwConvState *cqfdw_conv_create(const CqFdwColumn *col,
										 const CqColumnDef *src);
extern bool cqfdw_conv_jsonb_image(const CqFdwConvState *cs);
extern Datum cqfdw_convert(CqFdwConvState *cs, const CqValue *v,
						   bool *isnull);
extern bool cqfdw_convert_guarded(CqFdwConvState **conv, int nconv,
								  const CqValue *values, int ncols, int nrows,
								  Datum *out, bool *outnull);

/* in errors.c */
extern bool cqfdw_aws_credential_error(const CqError *e);
extern void cqfdw_report_job_error(const CqError *e, const CqFdwTable *t)
			pg_attribute_noreturn();

/* in stats.c: per-backend scan counters (cq_fdw.scan_stats()) */
extern void cqfdw_stats_add(const CqJobStats *stats, bool failed);

#endif							/* CQ_FDW_H */
