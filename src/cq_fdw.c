/*-------------------------------------------------------------------------
 *
 * cq_fdw.c
 *		  Module entry points: PG_MODULE_MAGIC, _PG_init (SDK init and the
 *		  cq_fdw.* GUCs) and the FDW handler.
 *
 * Invariants:
 *	- _PG_init starts no thread and opens no connection: with
 *	  shared_preload_libraries it runs in the postmaster and every backend
 *	  is forked from it.  cq_sdk_init() only initializes libcurl and seeds
 *	  jansson's hash, both of which must happen before any thread exists.
 *	- Every GUC is documented in README.md (Options and settings); the superuser-only ones
 *	  (PGC_SUSET) are the network policy and the spec search path, because
 *	  they decide which hosts and local files a query may reach.
 *	- The settings handed to the SDK are always built by
 *	  cqfdw_settings_from_gucs() and then overridden by server and table
 *	  options (source.c), so there is one place that maps GUC units (kB,
 *	  ms) to SDK units (bytes, ms).
 *
 * Copyright (c) 2026, cq_fdw developers
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <limits.h>

#include "fmgr.h"
#include "foreign/fdwapi.h"
#include "utils/guc.h"

#include "cq_fdw.h"
#include "shared.h"

PG_MODULE_MAGIC;

/* GUC variables; see README.md (Options and settings) for the meaning of each */
int			cqfdw_concurrency = 64;
int			cqfdw_workers = 0;
int			cqfdw_worker_nice = 5;
int			cqfdw_memory_budget_kb = 64 * 1024;
int			cqfdw_batch_rows = 1000;
int			cqfdw_connect_timeout_ms = 10 * 1000;
int			cqfdw_request_timeout_ms = 300 * 1000;
int			cqfdw_max_retries = 5;
int			cqfdw_retry_base_ms = 200;
int			cqfdw_retry_max_ms = 30 * 1000;
bool		cqfdw_strict = false;
bool		cqfdw_page_arena = true;
int			cqfdw_max_response_size_kb = 128 * 1024;
int			cqfdw_max_json_depth = 256;
int			cqfdw_max_string_size_kb = 16 * 1024;
int			cqfdw_max_array_length = 1000000;
int			cqfdw_max_header_size_kb = 64;
int			cqfdw_max_pages = 100000;
char	   *cqfdw_allowed_hosts = NULL;
char	   *cqfdw_denied_addresses = NULL;
bool		cqfdw_allow_link_local = false;
char	   *cqfdw_sources_path = NULL;
int			cqfdw_max_fanout = 100000;
bool		cqfdw_batch_joins = true;

PG_FUNCTION_INFO_V1(cq_fdw_handler);

void		_PG_init(void);

/*
 * define_int
 *		DefineCustomIntVariable with the arguments this module always uses.
 */
static void
define_int(const char *name, const char *desc, int *var, int def, int min,
		   int max, GucContext ctx, int flags)
{
	DefineCustomIntVariable(name, desc, NULL, var, def, min, max, ctx, flags,
							NULL, NULL, NULL);
}

/*
 * _PG_init
 *		Library load: initialize the SDK's libraries and define the GUCs.
 *
 * Runs in the postmaster under shared_preload_libraries: no thread, no
 * network, no catalog access here.
 */
void
_PG_init(void)
{
	cq_sdk_init();

	define_int("cq_fdw.concurrency",
			   "Maximum number of API requests in flight per scan.",
			   &cqfdw_concurrency, 64, 1, 4096, PGC_USERSET, 0);
	define_int("cq_fdw.workers",
			   "Number of parse threads per scan (0 = one per core, at most 8).",
			   &cqfdw_workers, 0, 0, 64, PGC_USERSET, 0);
	define_int("cq_fdw.worker_nice",
			   "How much nicer than the backend the parse threads run (0 = same priority).",
			   &cqfdw_worker_nice, 5, 0, 19, PGC_USERSET, 0);
	define_int("cq_fdw.memory_budget",
			   "Memory a scan may hold in responses and row batches.",
			   &cqfdw_memory_budget_kb, 64 * 1024, 1024, INT_MAX / 2,
			   PGC_USERSET, GUC_UNIT_KB);
	define_int("cq_fdw.batch_rows",
			   "Rows per batch handed from the parse threads to the backend.",
			   &cqfdw_batch_rows, 1000, 1, 1000000, PGC_USERSET, 0);
	define_int("cq_fdw.connect_timeout",
			   "Timeout for establishing a connection to an API.",
			   &cqfdw_connect_timeout_ms, 10 * 1000, 1, INT_MAX,
			   PGC_USERSET, GUC_UNIT_MS);
	define_int("cq_fdw.request_timeout",
			   "Total timeout of one API request.",
			   &cqfdw_request_timeout_ms, 300 * 1000, 1, INT_MAX,
			   PGC_USERSET, GUC_UNIT_MS);
	define_int("cq_fdw.max_retries",
			   "Retries of a request that failed with 429, 5xx or a connection error.",
			   &cqfdw_max_retries, 5, 0, 100, PGC_USERSET, 0);
	define_int("cq_fdw.retry_base",
			   "First retry delay; doubled (with jitter) on each retry.",
			   &cqfdw_retry_base_ms, 200, 1, INT_MAX, PGC_USERSET, GUC_UNIT_MS);
	define_int("cq_fdw.retry_max",
			   "Longest delay between two retries.",
			   &cqfdw_retry_max_ms, 30 * 1000, 1, INT_MAX, PGC_USERSET,
			   GUC_UNIT_MS);
	DefineCustomBoolVariable("cq_fdw.page_arena",
							 "Parse each API page's JSON document in a per-thread arena reused from page to page.",
							 "Off: one malloc and free per JSON value, as before; for comparison only.",
							 &cqfdw_page_arena, true, PGC_USERSET, 0,
							 NULL, NULL, NULL);
	DefineCustomBoolVariable("cq_fdw.strict",
							 "Make a value that fails type validation an error instead of NULL.",
							 NULL, &cqfdw_strict, false, PGC_USERSET, 0,
							 NULL, NULL, NULL);
	define_int("cq_fdw.max_response_size",
			   "Largest API response body accepted.",
			   &cqfdw_max_response_size_kb, 128 * 1024, 1, INT_MAX / 2,
			   PGC_USERSET, GUC_UNIT_KB);
	define_int("cq_fdw.max_json_depth",
			   "Deepest JSON nesting accepted in an API response.",
			   &cqfdw_max_json_depth, 256, 1, 10000, PGC_USERSET, 0);
	define_int("cq_fdw.max_string_size",
			   "Longest JSON string accepted in an API response.",
			   &cqfdw_max_string_size_kb, 16 * 1024, 1, INT_MAX / 2,
			   PGC_USERSET, GUC_UNIT_KB);
	define_int("cq_fdw.max_array_length",
			   "Largest JSON array accepted in an API response.",
			   &cqfdw_max_array_length, 1000000, 1, INT_MAX, PGC_USERSET, 0);
	define_int("cq_fdw.max_fanout",
			   "Most distinct key values one scan may fan out over (= ANY arrays, multiplied across key columns).",
			   &cqfdw_max_fanout, 100000, 1, INT_MAX, PGC_USERSET, 0);
	DefineCustomBoolVariable("cq_fdw.batch_joins",
							 "Lets the planner run a join of two cq_fdw tables as one scan that looks the inner rows up by key, concurrently, in one batch.",
							 NULL, &cqfdw_batch_joins, true, PGC_USERSET, 0,
							 NULL, NULL, NULL);
	define_int("cq_fdw.max_header_size",
			   "Largest total size of the response headers of one request.",
			   &cqfdw_max_header_size_kb, 64, 1, 1024 * 1024, PGC_USERSET,
			   GUC_UNIT_KB);
	define_int("cq_fdw.max_pages",
			   "Most pages one scan may request (0 = no limit); reaching it is an error.",
			   &cqfdw_max_pages, 100000, 0, INT_MAX, PGC_USERSET, 0);

	/* Network policy and local files: superuser only. */
	DefineCustomStringVariable("cq_fdw.allowed_hosts",
							   "Hosts that servers owned by non-superusers may reach (comma-separated: host, *.suffix, IP, CIDR; * = any).",
							   NULL, &cqfdw_allowed_hosts, "", PGC_SUSET, 0,
							   NULL, NULL, NULL);
	DefineCustomStringVariable("cq_fdw.denied_addresses",
							   "Addresses and prefixes that no scan may connect to (comma-separated).",
							   NULL, &cqfdw_denied_addresses, "", PGC_SUSET, 0,
							   NULL, NULL, NULL);
	DefineCustomBoolVariable("cq_fdw.allow_link_local",
							 "Allow connections to link-local and cloud metadata addresses.",
							 NULL, &cqfdw_allow_link_local, false, PGC_SUSET, 0,
							 NULL, NULL, NULL);
	DefineCustomStringVariable("cq_fdw.sources_path",
							   "Extra directory searched for source specs (*.json) and plugins (*.so).",
							   NULL, &cqfdw_sources_path, "", PGC_SUSET, 0,
							   NULL, NULL, NULL);

	/* shared memory (rate limits, cache index, progress) when preloaded */
	cqfdw_shmem_init();

	MarkGUCPrefixReserved("cq_fdw");

	/* IMPORT FOREIGN SCHEMA applies comments through an object access hook */
	cqfdw_import_init();
}

/*
 * cqfdw_settings_from_gucs
 *		Fill *s with the SDK defaults overridden by the current GUC values.
 *
 * Main thread only (reads GUCs).  String fields of *s are left as the SDK
 * defaults set them (static strings); nothing is allocated.
 */
void
cqfdw_settings_from_gucs(CqJobSettings *s)
{
	cq_job_settings_default(s);
	s->concurrency = cqfdw_concurrency;
	if (cqfdw_workers > 0)
		s->workers = cqfdw_workers;
	s->worker_nice = cqfdw_worker_nice;
	s->memory_budget = (size_t) cqfdw_memory_budget_kb * 1024;
	s->batch_rows = cqfdw_batch_rows;
	s->connect_timeout_ms = cqfdw_connect_timeout_ms;
	s->request_timeout_ms = cqfdw_request_timeout_ms;
	s->max_retries = cqfdw_max_retries;
	s->retry_base_ms = cqfdw_retry_base_ms;
	s->retry_max_ms = cqfdw_retry_max_ms;
	s->strict = cqfdw_strict;
	s->page_arena = cqfdw_page_arena;
	s->max_response_bytes = (size_t) cqfdw_max_response_size_kb * 1024;
	s->max_json_depth = cqfdw_max_json_depth;
	s->max_string_bytes = (size_t) cqfdw_max_string_size_kb * 1024;
	s->max_array_elems = (size_t) cqfdw_max_array_length;
	s->max_header_bytes = (size_t) cqfdw_max_header_size_kb * 1024;
	s->max_pages = cqfdw_max_pages;
}

/*
 * cqfdw_policy_from_gucs
 *		Fill *p from the superuser-only policy GUCs.
 *
 * restrict_hosts = false leaves allowed_hosts NULL (any host: the server's
 * owner is a superuser).  The strings point at palloc'd copies in
 * CurrentMemoryContext, so a later SET cannot change a running scan's
 * policy under it.  Main thread only.
 */
void
cqfdw_policy_from_gucs(CqNetPolicy *p, bool restrict_hosts)
{
	memset(p, 0, sizeof(*p));
	p->allowed_hosts = restrict_hosts ?
		pstrdup(cqfdw_allowed_hosts ? cqfdw_allowed_hosts : "") : NULL;
	p->denied_addrs = (cqfdw_denied_addresses && cqfdw_denied_addresses[0]) ?
		pstrdup(cqfdw_denied_addresses) : NULL;
	p->allow_link_local = cqfdw_allow_link_local;
}

/*
 * cq_fdw_handler
 *		The FdwRoutine: scan callbacks from planner.c/scan.c/explain.c
 *		(engineer B), IMPORT FOREIGN SCHEMA from import.c.
 */
Datum
cq_fdw_handler(PG_FUNCTION_ARGS)
{
	FdwRoutine *routine = makeNode(FdwRoutine);

	routine->GetForeignRelSize = cqGetForeignRelSize;
	routine->GetForeignPaths = cqGetForeignPaths;
	routine->GetForeignPlan = cqGetForeignPlan;
	routine->GetForeignJoinPaths = cqGetForeignJoinPaths;
	routine->GetForeignUpperPaths = cqGetForeignUpperPaths;
	routine->BeginForeignScan = cqBeginForeignScan;
	routine->IterateForeignScan = cqIterateForeignScan;
	routine->ReScanForeignScan = cqReScanForeignScan;
	routine->EndForeignScan = cqEndForeignScan;
	routine->ExplainForeignScan = cqExplainForeignScan;
	routine->ImportForeignSchema = cqImportForeignSchema;
#ifdef CQFDW_HAVE_PARALLEL_SAFE
	routine->IsForeignScanParallelSafe = cqIsForeignScanParallelSafe;
#endif
#ifdef CQFDW_HAVE_ASYNC
	routine->IsForeignPathAsyncCapable = cqIsForeignPathAsyncCapable;
	routine->ForeignAsyncRequest = cqForeignAsyncRequest;
	routine->ForeignAsyncConfigureWait = cqForeignAsyncConfigureWait;
	routine->ForeignAsyncNotify = cqForeignAsyncNotify;
#endif

	PG_RETURN_POINTER(routine);
}
