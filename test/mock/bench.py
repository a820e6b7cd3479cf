#!/usr/bin/python3
"""Throughput benchmark of the mock API (numbers go in README.md).

  bench.py [--base http://127.0.0.1:18080] [--concurrency 64] [--seconds 5] [--procs 4]

1. requests/s for small pages (/gen/page/bench?shape=small&per_page=10&page=K)
   with C keep-alive connections spread over P client processes;
2. time to serve 100,000 rich items as 1000 pages of 100 (next_token style),
   walked by 16 parallel clients over disjoint page ranges (link/page style via
   page=K), cold (first pass, pages generated) and warm (cached).
3. same with one sequential client following nextPageToken (cold seed).
If --base is omitted, starts its own mock on a free port.
"""
import argparse
import http.client
import json
import multiprocessing
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))


def worker(host, port, nthreads, seconds, q):
    count = [0] * nthreads
    errors = [0] * nthreads
    stop = time.time() + seconds

    def run(k):
        c = http.client.HTTPConnection(host, port, timeout=30)
        i = k
        while time.time() < stop:
            try:
                c.request("GET", "/gen/page/bench?shape=small&per_page=10&n=10000&page=%d" % (i % 1000 + 1))
                r = c.getresponse()
                r.read()
                if r.status == 200:
                    count[k] += 1
                else:
                    errors[k] += 1
            except Exception:
                errors[k] += 1
                c.close()
                c = http.client.HTTPConnection(host, port, timeout=30)
            i += 7
        c.close()
    ths = [threading.Thread(target=run, args=(k,)) for k in range(nthreads)]
    for t in ths:
        t.start()
    for t in ths:
        t.join()
    q.put((sum(count), sum(errors)))


def rich_pages(host, port, seed, clients):
    """Fetch pages 1..1000 of 100 rich items with `clients` threads; returns (secs, items, bytes)."""
    items = [0]
    nbytes = [0]
    lock = threading.Lock()

    def run(k):
        c = http.client.HTTPConnection(host, port, timeout=60)
        n = b = 0
        for page in range(k + 1, 1001, clients):
            c.request("GET", "/gen/page/rich100k?n=100000&per_page=100&seed=%d&page=%d" % (seed, page))
            r = c.getresponse()
            body = r.read()
            n += body.count(b'"uuid"')
            b += len(body)
        c.close()
        with lock:
            items[0] += n
            nbytes[0] += b
    t = time.time()
    ths = [threading.Thread(target=run, args=(k,)) for k in range(clients)]
    for x in ths:
        x.start()
    for x in ths:
        x.join()
    return time.time() - t, items[0], nbytes[0]


def sequential_tokens(host, port, seed):
    c = http.client.HTTPConnection(host, port, timeout=60)
    tok, n, pages = None, 0, 0
    t = time.time()
    while True:
        path = "/gen/next_token/seq100k?n=100000&per_page=100&seed=%d" % seed
        if tok:
            path += "&pageToken=" + tok
        c.request("GET", path)
        body = json.loads(c.getresponse().read())
        n += len(body["items"])
        pages += 1
        tok = body.get("nextPageToken")
        if not tok:
            break
    return time.time() - t, n, pages


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--base")
    ap.add_argument("--concurrency", type=int, default=64)
    ap.add_argument("--seconds", type=float, default=5)
    ap.add_argument("--procs", type=int, default=4)
    a = ap.parse_args()
    proc = None
    if not a.base:
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        s.close()
        proc = subprocess.Popen([sys.executable, os.path.join(HERE, "mock_api.py"), "--port", str(port)],
                                stderr=subprocess.DEVNULL)
        a.base = "http://127.0.0.1:%d" % port
        for _ in range(100):
            try:
                urllib.request.urlopen(a.base + "/_mock/health", timeout=1).read()
                break
            except Exception:
                time.sleep(0.1)
    u = urllib.parse.urlparse(a.base)
    host, port = u.hostname, u.port
    try:
        # warm the small-page cache
        urllib.request.urlopen(a.base + "/gen/page/bench?shape=small&per_page=10&n=10000&page=1").read()
        q = multiprocessing.Queue()
        per = [a.concurrency // a.procs + (1 if k < a.concurrency % a.procs else 0) for k in range(a.procs)]
        ps = [multiprocessing.Process(target=worker, args=(host, port, n, a.seconds, q)) for n in per if n]
        for p in ps:
            p.start()
        res = [q.get() for _ in ps]
        for p in ps:
            p.join()
        ok = sum(r[0] for r in res)
        err = sum(r[1] for r in res)
        print("small pages, concurrency %d: %.0f requests/s (%d ok, %d errors in %.1fs)"
              % (a.concurrency, ok / a.seconds, ok, err, a.seconds))
        seed = int(time.time()) % 100000
        for label in ("cold", "warm"):
            secs, n, b = rich_pages(host, port, seed, 16)
            print("100,000 rich items as 1000 pages, 16 clients, %s: %.2fs (%d items, %.1f MB, %.0f MB/s)"
                  % (label, secs, n, b / 1e6, b / 1e6 / secs))
        secs, n, pages = sequential_tokens(host, port, seed + 1)
        print("100,000 rich items, 1 client following nextPageToken, cold: %.2fs (%d items, %d pages)"
              % (secs, n, pages))
    finally:
        if proc:
            proc.terminate()
            proc.wait()


if __name__ == "__main__":
    main()
