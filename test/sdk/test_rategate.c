/*
 * test_rategate.c -- rate gates (rategate.c): the pace and burst, what
 * the API says (a 429 blocks and slows every holder, an exhausted quota
 * blocks until its reset), and two threads sharing one gate never exceed
 * its pace.  Times are given explicitly (no clock, no sleeps), except the
 * threaded case, which only counts.
 */
#include <pthread.h>
#include <stdint.h>

#include "cq_sdk.h"
#include "cqtest.h"
#include "jobtest.h"

#define S 1000000				/* one second in microseconds */

typedef struct Racer
{
	CqRateGate *g;
	int64_t		now;
	int			taken;
} Racer;

static void *
race(void *arg)
{
	Racer	   *r = arg;

	for (int i = 0; i < 100000; i++)
		if (cq_rate_gate_take(r->g, r->now) == 0)
			r->taken++;
	return NULL;
}

/*
 * One job of 12 pages (rel="last": fetched concurrently) against a mock that
 * allows 5 requests/s per token: with a gate at 4/s no request is refused;
 * without one the pages go at once and the mock refuses some (the job still
 * completes through its retries).  Returns the job's retries (= 429s).
 */
static long
gated_job(const char *token, CqRateGate *g, long *rows)
{
	H3Job		j;
	CqSourceDef src;
	char		buf[512];

	memset(&src, 0, sizeof(src));
	src.name = "rg";
	src.auth = CQ_AUTH_BEARER;
	snprintf(buf, sizeof(buf),
			 "{\"name\":\"t\",\"endpoint\":\"/ratelimited/link/rg_%s?n=120&per_page=10&shape=small&rps=5\","
			 "\"rows\":\"\",\"pagination\":\"link_header\","
			 "\"columns\":[{\"name\":\"id\",\"type\":\"int\",\"path\":\"/id\"}]}", token);
	h3_params(&j, h3_table(buf));
	j.p.source = &src;
	j.p.cred.token = token;
	j.p.settings.max_retries = 20;
	j.p.settings.retry_max_ms = 3000;
	j.p.settings.rate_gate = g;
	*rows = h3_run(&j) == CQ_JOB_DONE ? j.rows : -1;
	h3_done(&j);
	return (long) j.st.retries;
}

void
suite_rategate(void)
{
	CqRateGate	g;
	CqRateGateStats st;
	int64_t		t = 1000 * (int64_t) S;
	int64_t		w;
	int			n;

	cqt_current = "rategate open";
	cq_rate_gate_init(&g);
	n = 0;
	for (int i = 0; i < 1000; i++)
		n += cq_rate_gate_take(&g, t) == 0;
	CQ_CHECKF(n == 1000, "an unconfigured gate let %d of 1000 through", n);

	cqt_current = "rategate pace";
	cq_rate_gate_init(&g);
	cq_rate_gate_configure(&g, 10, 1);	/* 10/s, no burst */
	CQ_CHECK(cq_rate_gate_take(&g, t) == 0);
	w = cq_rate_gate_take(&g, t);
	CQ_CHECKF(w == S / 10, "second request at once waits %lld us, expected 100000", (long long) w);
	CQ_CHECK(cq_rate_gate_take(&g, t + S / 10) == 0);
	/* over 10 s of asking every millisecond: 10/s plus the first */
	cq_rate_gate_init(&g);
	cq_rate_gate_configure(&g, 10, 1);
	n = 0;
	for (int64_t now = t; now < t + 10 * S; now += 1000)
		n += cq_rate_gate_take(&g, now) == 0;
	CQ_CHECKF(n == 100, "10 s at 10/s let %d through, expected 100", n);

	cqt_current = "rategate burst";
	cq_rate_gate_init(&g);
	cq_rate_gate_configure(&g, 10, 5);
	n = 0;
	for (int i = 0; i < 20; i++)
		n += cq_rate_gate_take(&g, t) == 0;
	CQ_CHECKF(n == 5, "a burst of 5 let %d through at once", n);

	cqt_current = "rategate 429";
	cq_rate_gate_init(&g);
	cq_rate_gate_configure(&g, 10, 1);
	cq_rate_gate_throttled(&g, t, 2 * S);	/* Retry-After: 2 */
	w = cq_rate_gate_take(&g, t + S);
	CQ_CHECKF(w == S, "blocked for Retry-After: waits %lld us, expected 1 s", (long long) w);
	cq_rate_gate_stats(&g, t, &st);
	CQ_CHECKF(st.rps > 4.9 && st.rps < 5.1, "a 429 halves the pace: %.2f/s", st.rps);
	CQ_CHECK(st.throttled == 1);
	/* 429s in flight together slow it once */
	cq_rate_gate_throttled(&g, t + 10, 0);
	cq_rate_gate_throttled(&g, t + 20, 0);
	cq_rate_gate_stats(&g, t, &st);
	CQ_CHECKF(st.rps > 4.9 && st.rps < 5.1, "three 429s within a second: %.2f/s", st.rps);
	CQ_CHECK(st.throttled == 3);
	/* successes bring it back towards the configured pace, never above */
	for (int64_t now = t + 2 * S; now < t + 60 * S; now += S / 10)
		cq_rate_gate_success(&g, now, -1, -1);
	cq_rate_gate_stats(&g, t, &st);
	CQ_CHECKF(st.rps > 9.9 && st.rps < 10.1, "after a minute of successes: %.2f/s", st.rps);

	cqt_current = "rategate 429 without pace";
	cq_rate_gate_init(&g);
	cq_rate_gate_throttled(&g, t, S);
	CQ_CHECK(cq_rate_gate_take(&g, t) == S);
	CQ_CHECK(cq_rate_gate_take(&g, t + S) == 0);
	CQ_CHECK(cq_rate_gate_take(&g, t + S) == 0);	/* no pace invented */

	cqt_current = "rategate quota headers";
	cq_rate_gate_init(&g);
	cq_rate_gate_success(&g, t, 0, 3 * S);	/* X-RateLimit-Remaining: 0 */
	CQ_CHECK(cq_rate_gate_take(&g, t + S) == 2 * S);
	cq_rate_gate_init(&g);
	cq_rate_gate_success(&g, t, 10, 5 * S);	/* 10 left for 5 s */
	cq_rate_gate_stats(&g, t, &st);
	CQ_CHECKF(st.rps > 1.9 && st.rps < 2.1, "10 left in 5 s: paced at %.2f/s", st.rps);
	cq_rate_gate_init(&g);
	cq_rate_gate_success(&g, t, 4000, 3600 * (int64_t) S);	/* plenty left */
	cq_rate_gate_stats(&g, t, &st);
	CQ_CHECK(st.rps == 0);

	cqt_current = "rategate shared by threads";
	{
		Racer		r[2];
		pthread_t	th[2];

		cq_rate_gate_init(&g);
		cq_rate_gate_configure(&g, 1, 3);	/* at one instant: 3 in all */
		for (int i = 0; i < 2; i++)
		{
			r[i].g = &g;
			r[i].now = t;
			r[i].taken = 0;
			pthread_create(&th[i], NULL, race, &r[i]);
		}
		for (int i = 0; i < 2; i++)
			pthread_join(th[i], NULL);
		CQ_CHECKF(r[0].taken + r[1].taken == 3, "two threads took %d + %d, expected 3 in all",
				  r[0].taken, r[1].taken);
	}

	cqt_current = "rategate job against a rate-limited API";
	if (!h3_mock_up())
		cqt_skip("rategate job", "the mock API is not running");
	else
	{
		long		rows = 0;
		long		r;

		cq_rate_gate_init(&g);
		cq_rate_gate_configure(&g, 4, 1);
		r = gated_job("rg-gated", &g, &rows);
		CQ_CHECKF(rows == 120 && r == 0, "gated at 4/s: %ld rows, %ld refused (expected 120, 0)", rows, r);
		r = gated_job("rg-free", NULL, &rows);
		CQ_CHECKF(rows == 120 && r > 0, "no gate: %ld rows, %ld refused (expected 120, > 0)", rows, r);
	}

	cqt_current = "rategate GitHub secondary limit (403 + Retry-After)";
	if (h3_mock_up())
	{
		H3Job		j;
		CqRateGateStats gs;

		h3_mock("/_mock/fault?route=/gen/page/rg403&mode=403&count=1&retry_after=1");
		h3_params(&j, h3_table("{\"name\":\"t\",\"endpoint\":\"/gen/page/rg403?n=30&per_page=10&shape=small\","
							   "\"rows\":\"/items\",\"pagination\":{\"type\":\"page_number\",\"next_param\":\"page\"},"
							   "\"columns\":[{\"name\":\"id\",\"type\":\"int\",\"path\":\"/id\"}]}"));
		cq_rate_gate_init(&g);
		j.p.settings.rate_gate = &g;
		CQ_CHECKF(h3_run(&j) == CQ_JOB_DONE && j.rows == 30,
				  "a 403 with Retry-After is retried: %s", j.err.message);
		CQ_CHECK(j.st.retries == 1);
		cq_rate_gate_stats(&g, cq_monotonic_us(), &gs);
		CQ_CHECKF(gs.throttled == 1, "the gate heard of it: throttled %llu", (unsigned long long) gs.throttled);
		h3_done(&j);
	}
}
