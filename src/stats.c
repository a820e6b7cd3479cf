/*-------------------------------------------------------------------------
 *
 * stats.c
 *		  Per-backend scan counters behind cq_fdw.scan_stats() and
 *		  cq_fdw.scan_stats_reset(), used by the snapshot procedures
 *		  (cq_fdw.refresh_snapshot fills cq_fdw.sync_log from them).
 *
 * Invariants:
 *	- The counters are plain backend-local statics: only the backend's main
 *	  thread touches them (scan.c calls cqfdw_stats_add() when a job ends;
 *	  SDK threads never call in), so no lock is needed.  They are not
 *	  shared memory: a backend sees the scans it ran itself, which is what
 *	  a refresh in that backend needs, and costs nothing at load time (the
 *	  module does not have to be in shared_preload_libraries).
 *	- cqfdw_stats_add() neither allocates nor throws, so it may be called
 *	  from a memory context reset callback during error cleanup (a scan
 *	  aborted by an API error still counts the requests it made).
 *	- Counters saturate at INT64_MAX instead of wrapping, so the SQL bigint
 *	  columns never turn negative.
 *
 * Copyright (c) 2026, cq_fdw developers
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "funcapi.h"
#include "utils/builtins.h"

#include "cq_fdw.h"

PG_FUNCTION_INFO_V1(cq_fdw_scan_stats);
PG_FUNCTION_INFO_V1(cq_fdw_scan_stats_reset);

typedef struct CqFdwBackendStats
{
	uint64		scans;			/* jobs ended (ok or not) */
	uint64		failed_scans;	/* jobs that ended in CQ_JOB_FAILED */
	uint64		requests;
	uint64		pages;
	uint64		rows;
	uint64		bytes;
	uint64		retries;
	uint64		units;
	uint64		units_failed;
	double		api_wait_ms;
	double		ratelimit_wait_ms;
	uint64		peak_bytes;		/* max over the scans, not a sum */
} CqFdwBackendStats;

static CqFdwBackendStats counters;

/* a += b, saturating at INT64_MAX (the SQL side is bigint) */
static void
sat_add(uint64 *a, uint64 b)
{
	if (b > (uint64) PG_INT64_MAX - *a)
		*a = (uint64) PG_INT64_MAX;
	else
		*a += b;
}

/*
 * cqfdw_stats_add
 *		Add the final counters of one job to the backend's totals.
 *
 * `stats` is the job's CqJobStats (cq_job_get_stats after the job ended or
 * was cancelled); `failed` is true when the job ended with an error.  Call
 * it exactly once per job, from the main thread.  Never allocates, never
 * throws: safe in error cleanup.  A NULL `stats` is ignored.
 */
void
cqfdw_stats_add(const CqJobStats *stats, bool failed)
{
	if (stats == NULL)
		return;
	sat_add(&counters.scans, 1);
	if (failed)
		sat_add(&counters.failed_scans, 1);
	sat_add(&counters.requests, stats->requests);
	sat_add(&counters.pages, stats->pages);
	sat_add(&counters.rows, stats->rows);
	sat_add(&counters.bytes, stats->bytes);
	sat_add(&counters.retries, stats->retries);
	sat_add(&counters.units, stats->units);
	sat_add(&counters.units_failed, stats->units_failed);
	if (stats->api_wait_ms > 0)
		counters.api_wait_ms += stats->api_wait_ms;
	if (stats->ratelimit_wait_ms > 0)
		counters.ratelimit_wait_ms += stats->ratelimit_wait_ms;
	if ((uint64) stats->peak_bytes > counters.peak_bytes)
		counters.peak_bytes = Min((uint64) stats->peak_bytes,
								  (uint64) PG_INT64_MAX);
}

/*
 * cq_fdw_scan_stats
 *		SQL: cq_fdw.scan_stats() -> one row of the backend's counters since
 *		the last cq_fdw.scan_stats_reset() (or the backend's start).
 *
 * Columns (see cq_fdw--0.1.sql): scans, failed_scans, requests, pages,
 * rows, bytes, retries, units, units_failed, api_wait_ms,
 * ratelimit_wait_ms, peak_bytes.  The tuple is built in the caller's
 * memory context.
 */
Datum
cq_fdw_scan_stats(PG_FUNCTION_ARGS)
{
	TupleDesc	tupdesc;
	Datum		values[12];
	bool		nulls[12];
	int			i = 0;

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	if (tupdesc->natts != lengthof(values))
		elog(ERROR, "cq_fdw.scan_stats: expected %d columns, got %d",
			 (int) lengthof(values), tupdesc->natts);
	tupdesc = BlessTupleDesc(tupdesc);

	memset(nulls, 0, sizeof(nulls));
	values[i++] = Int64GetDatum((int64) counters.scans);
	values[i++] = Int64GetDatum((int64) counters.failed_scans);
	values[i++] = Int64GetDatum((int64) counters.requests);
	values[i++] = Int64GetDatum((int64) counters.pages);
	values[i++] = Int64GetDatum((int64) counters.rows);
	values[i++] = Int64GetDatum((int64) counters.bytes);
	values[i++] = Int64GetDatum((int64) counters.retries);
	values[i++] = Int64GetDatum((int64) counters.units);
	values[i++] = Int64GetDatum((int64) counters.units_failed);
	values[i++] = Float8GetDatum(counters.api_wait_ms);
	values[i++] = Float8GetDatum(counters.ratelimit_wait_ms);
	values[i++] = Int64GetDatum((int64) counters.peak_bytes);

	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values,
													  nulls)));
}

/*
 * cq_fdw_scan_stats_reset
 *		SQL: cq_fdw.scan_stats_reset() -> void.  Zeroes this backend's
 *		counters.
 */
Datum
cq_fdw_scan_stats_reset(PG_FUNCTION_ARGS)
{
	memset(&counters, 0, sizeof(counters));
	PG_RETURN_VOID();
}
