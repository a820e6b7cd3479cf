/*-------------------------------------------------------------------------
 *
 * progress.c
 *		  cq_fdw.scan_progress: one slot per running scan in the shared
 *		  area, written by the backend's main thread from the SDK's job
 *		  counters, read by any session (like pg_stat_progress_copy).
 *
 * Invariants:
 *	- Slots (b - 1) * CQ_PROGRESS_PER_BACKEND ... b * CQ_PROGRESS_PER_BACKEND
 *	  - 1 belong to the backend with MyBackendId b; only that backend
 *	  writes them, under progress_lock exclusive, copying counters it
 *	  already holds (nothing under the lock can throw).  Readers copy the
 *	  slots under the lock held shared.
 *	- Each running scan has its own slot, found by its handle (seq): one
 *	  query's several cq_fdw scans (a join, a UNION ALL) are one row each,
 *	  told apart by plan_node_id; `scans` is the number of rows of that
 *	  backend.  A backend's scans beyond CQ_PROGRESS_PER_BACKEND run
 *	  unshown.
 *	- A slot is cleared when its scan ends: by scan.c's scan-context
 *	  callback (End, ERROR or cancel); all of a backend's slots by the
 *	  abort callback of the transaction and at backend exit, so no slot
 *	  outlives its scan.
 *	- Without shared_preload_libraries the area is the backend's own:
 *	  the view shows the caller's scans only (in practice nothing, since a
 *	  backend reading the view is not scanning).
 *	- Another role's rows show pid, user and start only, unless the reader
 *	  has the privileges of that role or of pg_read_all_stats (as
 *	  pg_stat_activity does).
 *
 * Copyright (c) 2026, cq_fdw developers
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_authid.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "storage/backendid.h"
#include "storage/ipc.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/timestamp.h"
#include "utils/tuplestore.h"

#include "shared.h"

PG_FUNCTION_INFO_V1(cq_fdw_scan_progress);

static int	next_seq = 0;
static bool callbacks_done = false;

/* This backend's first slot and how many, or n = 0 (no backend id). */
static int
my_slots(CqShared *s, int *n)
{
	*n = 0;
	if (!s->in_shmem)
	{
		*n = Min(s->nprogress, CQ_PROGRESS_PER_BACKEND);
		return 0;
	}
	if (MyBackendId < 1 ||
		(MyBackendId - 1) * CQ_PROGRESS_PER_BACKEND >= s->nprogress)
		return 0;
	*n = CQ_PROGRESS_PER_BACKEND;
	return (MyBackendId - 1) * CQ_PROGRESS_PER_BACKEND;
}

/* The slot of handle seq (any of ours when seq is 0), or NULL.  Locked. */
static CqProgressSlot *
find_slot(CqShared *s, int seq)
{
	int			n;
	int			first = my_slots(s, &n);

	for (int i = first; i < first + n; i++)
		if (s->progress[i].pid == MyProcPid && (seq == 0 || s->progress[i].seq == seq))
			return &s->progress[i];
	return NULL;
}

/* Clear every slot of this backend. */
static void
clear_slots(void)
{
	CqShared   *s = cqfdw_shared();
	int			n;
	int			first = my_slots(s, &n);

	cqfdw_shared_lock(s->progress_lock, LW_EXCLUSIVE);
	for (int i = first; i < first + n; i++)
		if (s->progress[i].pid == MyProcPid)
			memset(&s->progress[i], 0, sizeof(CqProgressSlot));
	cqfdw_shared_unlock(s->progress_lock);
}

static void
progress_xact_callback(XactEvent event, void *arg)
{
	if (event == XACT_EVENT_ABORT || event == XACT_EVENT_PARALLEL_ABORT)
		clear_slots();
}

static void
progress_exit(int code, Datum arg)
{
	clear_slots();
}

/*
 * cqfdw_progress_begin
 *		A scan of relid (plan node plan_node_id) starts (its first job).
 *		Returns a handle for update/end: > 0.  Main thread; may throw only
 *		before touching the slots (catalog lookups).
 */
int
cqfdw_progress_begin(Oid relid, int plan_node_id)
{
	CqShared   *s = cqfdw_shared();
	int			n;
	int			first = my_slots(s, &n);
	char	   *nsp;
	char	   *rel;
	int			seq;

	if (!callbacks_done)
	{
		RegisterXactCallback(progress_xact_callback, NULL);
		before_shmem_exit(progress_exit, (Datum) 0);
		callbacks_done = true;
	}
	if (++next_seq <= 0)
		next_seq = 1;			/* wrapped: handles stay > 0 */
	seq = next_seq;
	if (n == 0)
		return seq;
	nsp = get_namespace_name(get_rel_namespace(relid));
	rel = get_rel_name(relid);
	cqfdw_shared_lock(s->progress_lock, LW_EXCLUSIVE);
	for (int i = first; i < first + n; i++)
	{
		CqProgressSlot *p = &s->progress[i];

		/* free, or left by an earlier backend with our id */
		if (p->pid == MyProcPid)
			continue;
		memset(p, 0, sizeof(*p));
		p->pid = MyProcPid;
		p->datid = MyDatabaseId;
		p->userid = GetUserId();
		p->relid = relid;
		snprintf(p->relname, sizeof(p->relname), "%s.%s",
				 nsp ? nsp : "?", rel ? rel : "?");
		p->started = GetCurrentTimestamp();
		p->seq = seq;
		p->plan_node_id = plan_node_id;
		p->total_rows = p->total_pages = -1;
		break;
	}
	cqfdw_shared_unlock(s->progress_lock);
	return seq;
}

/*
 * cqfdw_progress_update
 *		Publish the scan's counters so far.  Main thread; does not throw.
 */
void
cqfdw_progress_update(int handle, const CqJobStats *st)
{
	CqShared   *s;
	CqProgressSlot *p;

	if (handle <= 0)
		return;
	s = cqfdw_shared();
	cqfdw_shared_lock(s->progress_lock, LW_EXCLUSIVE);
	if ((p = find_slot(s, handle)) != NULL)
	{
		p->requests = st->requests;
		p->in_flight = st->in_flight;
		p->pages = st->pages;
		p->rows = st->rows;
		p->bytes = st->bytes;
		p->retries = st->retries;
		p->ratelimit_waits = st->ratelimit_waits;
		p->ratelimit_wait_ms = st->ratelimit_wait_ms;
		p->total_rows = st->total_rows;
		p->total_pages = st->total_pages;
	}
	cqfdw_shared_unlock(s->progress_lock);
}

/*
 * cqfdw_progress_end
 *		A scan ends (End, ERROR, cancel): its slot is cleared.  Does not
 *		throw.
 */
void
cqfdw_progress_end(int handle)
{
	CqShared   *s;
	CqProgressSlot *p;

	if (handle <= 0)
		return;
	s = cqfdw_shared();
	cqfdw_shared_lock(s->progress_lock, LW_EXCLUSIVE);
	if ((p = find_slot(s, handle)) != NULL)
		memset(p, 0, sizeof(*p));
	cqfdw_shared_unlock(s->progress_lock);
}

/*
 * cq_fdw_scan_progress
 *		SQL: cq_fdw.scan_progress() -> SETOF record (the view
 *		cq_fdw.scan_progress).  Copies every used slot under the lock, then
 *		builds the rows.
 */
Datum
cq_fdw_scan_progress(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	CqShared   *s = cqfdw_shared();
	CqProgressSlot *copy;
	int			n = 0;
	bool		all_stats;

	cqfdw_shared_notice();
	InitMaterializedSRF(fcinfo, 0);
	all_stats = has_privs_of_role(GetUserId(), ROLE_PG_READ_ALL_STATS);

	copy = palloc(sizeof(CqProgressSlot) * Max(s->nprogress, 1));
	cqfdw_shared_lock(s->progress_lock, LW_SHARED);
	for (int i = 0; i < s->nprogress; i++)
		if (s->progress[i].pid != 0)
			copy[n++] = s->progress[i];
	cqfdw_shared_unlock(s->progress_lock);

	for (int i = 0; i < n; i++)
	{
		CqProgressSlot *p = &copy[i];
		Datum		values[19];
		bool		nulls[19];
		int			nscans = 0;
		int			k = 0;
		char	   *uname = GetUserNameFromId(p->userid, true);
		bool		visible = all_stats || has_privs_of_role(GetUserId(), p->userid);
		double		pct = -1;

		memset(nulls, 0, sizeof(nulls));
		values[k++] = Int32GetDatum(p->pid);
		values[k++] = ObjectIdGetDatum(p->datid);
		if (uname)
			values[k++] = DirectFunctionCall1(namein, CStringGetDatum(uname));
		else
			nulls[k++] = true;
		values[k++] = ObjectIdGetDatum(p->relid);
		values[k++] = CStringGetTextDatum(p->relname);
		values[k++] = TimestampTzGetDatum(p->started);
		for (int j = 0; j < n; j++)
			nscans += copy[j].pid == p->pid;
		values[k++] = Int32GetDatum(nscans);
		values[k++] = Int64GetDatum((int64) p->requests);
		values[k++] = Int64GetDatum((int64) p->in_flight);
		values[k++] = Int64GetDatum((int64) p->pages);
		values[k++] = Int64GetDatum((int64) p->rows);
		values[k++] = Int64GetDatum((int64) p->bytes);
		values[k++] = Int64GetDatum((int64) p->retries);
		values[k++] = Int64GetDatum((int64) p->ratelimit_waits);
		values[k++] = Float8GetDatum(p->ratelimit_wait_ms);
		if (p->total_rows >= 0)
		{
			values[k++] = Int64GetDatum(p->total_rows);
			if (p->total_rows > 0)
				pct = 100.0 * (double) p->rows / (double) p->total_rows;
		}
		else
			nulls[k++] = true;
		if (p->total_pages >= 0)
		{
			values[k++] = Int64GetDatum(p->total_pages);
			if (pct < 0 && p->total_pages > 0)
				pct = 100.0 * (double) p->pages / (double) p->total_pages;
		}
		else
			nulls[k++] = true;
		if (pct >= 0)
			values[k++] = Float8GetDatum(Min(pct, 100.0));
		else
			nulls[k++] = true;
		values[k++] = Int32GetDatum(p->plan_node_id);
		Assert(k == lengthof(values));
		if (!visible)
		{
			/* another role's scan: who and since when, not what */
			for (int j = 3; j < k; j++)
				if (j != 5)
					nulls[j] = true;
		}
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}
