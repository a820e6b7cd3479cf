#!/usr/bin/env python3
"""Summarize a job timeline written with CQ_JOB_TRACE=<dir> (src/sdk/job_trace.c).

    CQ_JOB_TRACE=/tmp/tr pg_ctl ... restart     (the server's environment)
    psql -c 'REFRESH MATERIALIZED VIEW mv_s1'
    bench/trace_summary.py /tmp/tr/cq-trace-<pid>-<n>.txt

Prints: how long the consumer (the backend's main thread) waited for
batches; the I/O thread's polls and how many ran out their timeout; the
share of the statement spent in each pipeline state (transfers in flight,
pages waiting for a worker, workers busy, batches waiting for the
consumer); each thread's CPU time, context switches and page faults; and
the polls of 20 ms or more with the pipeline's state when they began.
With the per-unit events (ustart, udone, uready: a unit's request started,
done, its next request queued) also: the transfers in flight per 50 ms
window, each transfer's time from start to done, and for each unit's next
page the time from its page done to its next request queued (waiting for
a worker's parse: the next token is in the page) and from queued to
started (waiting for a transfer slot).
"""
import collections
import sys


def main(path):
    ev = []
    with open(path) as f:
        for line in f:
            t, th, w, a = line.split()
            ev.append((int(t), th, w, int(a)))
    if not ev:
        print("empty trace")
        return
    span = ev[-1][0] or 1
    print("span %.3f s; events: %s" % (span / 1e6, dict(collections.Counter(w for _, _, w, _ in ev))))

    wait = nw = 0
    pend = None
    for t, th, w, a in ev:
        if w == "pending" and pend is None:
            pend = t
        elif w == "take" and pend is not None:
            wait += t - pend
            nw += 1
            pend = None
    print("consumer waited %.3f s for batches (%d waits)" % (wait / 1e6, nw))

    infl = parseq = outq = busy = 0
    pending = False
    hist = collections.Counter()
    last = 0
    poll = None
    npoll = intimeout = 0
    inpoll = tmo_s = 0
    long_polls = []
    for t, th, w, a in ev:
        hist[("in flight" if infl else "none in flight",
              "pages waiting" if parseq else "no page waiting",
              "%d workers busy" % busy,
              "batches queued" if outq else "no batch queued")] += t - last
        last = t
        if w == "start":
            infl += 1
        elif w == "done":
            infl -= 1
            parseq += 1
        elif w == "parse":
            parseq -= 1
            busy += 1
        elif w == "parsed":
            busy -= 1
        elif w == "batch":
            outq += 1
        elif w == "take":
            outq -= 1
            pending = False
        elif w == "pending":
            pending = True
        elif w == "poll":
            poll = (t, a, infl, parseq, busy, outq, pending)
        elif w == "polled" and poll:
            d = t - poll[0]
            npoll += 1
            inpoll += d
            if poll[1] > 0 and d >= poll[1] * 1000:
                intimeout += 1
                tmo_s += d
            if d >= 20000:
                long_polls.append((poll, d))
            poll = None
    print("I/O thread: %d polls, %.3f s in them, %d ran out their timeout (%.3f s)" % (
        npoll, inpoll / 1e6, intimeout, tmo_s / 1e6))
    print("pipeline states (share of the span):")
    for k, v in sorted(hist.items(), key=lambda x: -x[1])[:10]:
        print("  %6.3f s %5.1f%%  %s" % (v / 1e6, 100.0 * v / span, ", ".join(k)))

    ru = collections.defaultdict(int)
    names = ("utime_us", "stime_us", "nvcsw", "nivcsw", "minflt")
    for t, th, w, a in ev:
        if w in names:
            if th == "s":
                ru[("s", w)] = a
            else:
                ru[(th, w)] += a
    for th, label in (("m", "main (consumer)"), ("i", "I/O"), ("w", "workers")):
        d = {w: ru[(th, w)] - (ru[("s", w)] if th == "m" else 0) for w in names}
        print("%-16s user %.3f s, sys %.3f s, voluntary switches %d, preempted %d, minor faults %d" % (
            label, d["utime_us"] / 1e6, d["stime_us"] / 1e6, d["nvcsw"], d["nivcsw"], d["minflt"]))

    if long_polls:
        print("polls of 20 ms or more (state when they began):")
        for (t, tmo, i, p, b, o, pend), d in long_polls[:20]:
            print("  at %.3f s, %.1f ms (timeout %d ms): %d in flight, %d pages waiting, %d workers busy, "
                  "%d batches queued%s" % (t / 1e6, d / 1e3, tmo, i, p, b, o,
                                           ", consumer waiting" if pend else ""))

    chains(ev)


def pct(v, p):
    v = sorted(v)
    return v[int(p * (len(v) - 1))] / 1e3 if v else float("nan")


def chains(ev):
    """In flight over time, transfer times, and the gaps of each unit's
    chain of pages (ustart/udone/uready events, job_io.c, job_queue.c)."""
    starts = [t for t, _, w, _ in ev if w == "start"]
    dones = [t for t, _, w, _ in ev if w == "done"]
    if not starts or not dones:
        return
    win = 50000
    area = collections.Counter()
    infl = last = 0
    for t, th, w, a in ev:
        cur = last
        while cur < t:
            e = min((cur // win + 1) * win, t)
            area[cur // win] += infl * (e - cur)
            cur = e
        last = t
        infl += (w == "start") - (w == "done")
    span = dones[-1] - starts[0]
    print("transfers in flight: mean %.1f from the first start (%.3f s) to the last done (%.3f s); "
          "per 50 ms window: %s" % (
              sum(area.values()) / span if span else 0, starts[0] / 1e6, dones[-1] / 1e6,
              " ".join("%.0f" % (area[k] / win) for k in range(starts[0] // win, dones[-1] // win + 1))))
    us, ud, ur = (collections.defaultdict(list) for _ in range(3))
    for t, th, w, a in ev:
        if w == "ustart":
            us[a].append(t)
        elif w == "udone":
            ud[a].append(t)
        elif w == "uready":
            ur[a].append(t)
    if not us:
        return
    lat, parse, slot = [], [], []
    for u, s in us.items():
        d, r = ud[u], ur[u]
        for i in range(min(len(s), len(d))):
            lat.append(d[i] - s[i])
            # the page done at d[i] queued the unit's next request at r[i + 1]
            if i + 1 < len(r) and i + 1 < len(s) and r[i + 1] >= d[i]:
                parse.append(r[i + 1] - d[i])
                slot.append(s[i + 1] - r[i + 1])
    print("transfer start to done ms: p10 %.1f p50 %.1f p90 %.1f max %.1f (%d)" % (
        pct(lat, .1), pct(lat, .5), pct(lat, .9), pct(lat, 1), len(lat)))
    if parse:
        print("next page of a unit: page done to next request queued (parse) ms p50 %.1f p90 %.1f max %.1f; "
              "queued to started (slot) p50 %.1f p90 %.1f max %.1f (%d)" % (
                  pct(parse, .5), pct(parse, .9), pct(parse, 1), pct(slot, .5), pct(slot, .9),
                  pct(slot, 1), len(parse)))


if __name__ == "__main__":
    for p in sys.argv[1:]:
        print("==", p)
        main(p)
