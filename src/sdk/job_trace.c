/*-------------------------------------------------------------------------
 *
 * job_trace.c
 *		  An opt-in timeline of a job's pipeline, for finding where a scan
 *		  waits: with the environment variable CQ_JOB_TRACE set to a
 *		  directory, every job records when each transfer starts and ends,
 *		  each page is parsed, each batch is queued and taken, and when the
 *		  I/O thread and the consumer wait, and writes them at cq_job_free
 *		  to <dir>/cq-trace-<pid>-<n>.txt, one event a line:
 *			<microseconds since the job started> <thread> <event> <arg>
 *		  Off (the default), a trace point costs one predictable branch.
 *
 * Invariants: events go to a fixed array (TRACE_MAX, then dropped) through
 * an atomic index, so any thread records without a lock; the file is
 * written once, by the consumer, after every thread was joined.  No URL,
 * header or value is recorded: only times, event names and numbers.
 *
 * Copyright (c) 2026, cq_fdw developers
 *
 *-------------------------------------------------------------------------
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE				/* RUSAGE_THREAD */
#endif
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/resource.h>

#include "cq_sdk_int.h"
#include "job_int.h"

#define TRACE_MAX (1 << 20)

typedef struct TraceEv
{
	int64_t		t_us;
	int64_t		arg;
	const char *what;			/* a string literal */
	char		thread;			/* 'm' main, 'i' I/O, 'w' worker */
} TraceEv;

struct CqpTrace
{
	int64_t		t0;
	atomic_size_t n;
	TraceEv		ev[TRACE_MAX];
};

/*
 * The calling thread's CPU time (user, system) and context switches
 * (voluntary: it waited; involuntary: it was preempted) as events.
 */
void
cqp_trace_rusage(CqpTrace *t, char thread)
{
	struct rusage ru;

	if (t == NULL || getrusage(RUSAGE_THREAD, &ru) != 0)
		return;
	cqp_trace_ev(t, thread, "utime_us", (int64_t) ru.ru_utime.tv_sec * 1000000 + ru.ru_utime.tv_usec);
	cqp_trace_ev(t, thread, "stime_us", (int64_t) ru.ru_stime.tv_sec * 1000000 + ru.ru_stime.tv_usec);
	cqp_trace_ev(t, thread, "nvcsw", ru.ru_nvcsw);
	cqp_trace_ev(t, thread, "nivcsw", ru.ru_nivcsw);
	cqp_trace_ev(t, thread, "minflt", ru.ru_minflt);
}

/* A trace for a new job, or NULL when CQ_JOB_TRACE is not set. */
CqpTrace *
cqp_trace_new(void)
{
	const char *dir = getenv("CQ_JOB_TRACE");
	CqpTrace   *t;

	if (dir == NULL || dir[0] == '\0')
		return NULL;
	t = malloc(sizeof(CqpTrace));
	if (t == NULL)
		return NULL;
	t->t0 = cq_monotonic_us();
	atomic_init(&t->n, 0);
	return t;
}

void
cqp_trace_ev(CqpTrace *t, char thread, const char *what, int64_t arg)
{
	size_t		i;

	if (t == NULL)
		return;
	i = atomic_fetch_add(&t->n, 1);
	if (i >= TRACE_MAX)
		return;
	t->ev[i].t_us = cq_monotonic_us() - t->t0;
	t->ev[i].arg = arg;
	t->ev[i].what = what;
	t->ev[i].thread = thread;
}

static int
ev_cmp(const void *a, const void *b)
{
	const TraceEv *x = a;
	const TraceEv *y = b;

	return (x->t_us > y->t_us) - (x->t_us < y->t_us);
}

/* Write the trace (sorted by time) and free it.  After the threads ended. */
void
cqp_trace_finish(CqpTrace *t)
{
	static atomic_int seq;
	const char *dir = getenv("CQ_JOB_TRACE");
	char		path[1024];
	FILE	   *f;
	size_t		n;

	if (t == NULL)
		return;
	n = atomic_load(&t->n);
	if (n > TRACE_MAX)
		n = TRACE_MAX;
	qsort(t->ev, n, sizeof(TraceEv), ev_cmp);
	snprintf(path, sizeof(path), "%s/cq-trace-%d-%d.txt", dir ? dir : "/tmp",
			 (int) getpid(), atomic_fetch_add(&seq, 1));
	f = fopen(path, "w");
	if (f != NULL)
	{
		for (size_t i = 0; i < n; i++)
			fprintf(f, "%lld %c %s %lld\n", (long long) t->ev[i].t_us, t->ev[i].thread,
					t->ev[i].what, (long long) t->ev[i].arg);
		fclose(f);
	}
	free(t);
}
