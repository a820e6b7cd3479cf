#!/usr/bin/python3
"""Self-test of the mock API (run through selftest.sh).

Starts mock_api.py on free ports, exercises every route family, pagination
style and fault mode, stops it, prints "N passed, N failed" and exits non-zero
on failure.  Standard library only.
"""

import base64
import email.utils
import gzip
import hashlib
import http.client
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
MOCK = os.path.join(HERE, "mock_api.py")
SHARED = os.path.normpath(os.path.join(HERE, "..", "..", "..", "shared", "fixtures"))
if os.environ.get("MOCK_FIXTURES"):
    SHARED = os.environ["MOCK_FIXTURES"]

PASSED = 0
FAILED = 0
SKIPPED = 0


def check(name, cond, detail=""):
    global PASSED, FAILED
    if cond:
        PASSED += 1
        print("ok   %s" % name)
    else:
        FAILED += 1
        print("FAIL %s %s" % (name, detail))


def skip(name, why):
    global SKIPPED
    SKIPPED += 1
    print("skip %s: %s" % (name, why))


def free_port(host="127.0.0.1"):
    s = socket.socket()
    s.bind((host, 0))
    p = s.getsockname()[1]
    s.close()
    return p


def start(host, port, *extra):
    p = subprocess.Popen([sys.executable, MOCK, "--bind", host, "--port", str(port)] + list(extra),
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    for _ in range(100):
        try:
            urllib.request.urlopen("http://%s:%d/_mock/health" % (host, port), timeout=1).read()
            return p
        except Exception:
            if p.poll() is not None:
                raise SystemExit("mock failed to start: %s" % p.stderr.read().decode())
            time.sleep(0.1)
    p.kill()
    raise SystemExit("mock did not answer")


BASE = None


def get(path, headers=None, method="GET", timeout=30, data=None):
    """-> (status, headers(dict lower), body bytes)."""
    url = path if path.startswith("http") else BASE + path
    req = urllib.request.Request(url, headers=headers or {}, method=method, data=data)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
    except urllib.error.HTTPError as e:
        return e.code, {k.lower(): v for k, v in e.headers.items()}, e.read()


def getj(path, **kw):
    st, h, b = get(path, **kw)
    return st, h, json.loads(b)


def ctl(path):
    return getj("/_mock/" + path)[2]


def next_link(link):
    if not link:
        return None
    for part in link.split(","):
        url, _, rel = part.partition(";")
        if 'rel="next"' in rel:
            return url.strip().strip("<>")
    return None


def walk(style, path, params):
    """Walk every page of a generated collection; returns (items, pages)."""
    items, pages = [], 0
    qs = urllib.parse.urlencode(params)
    if style == "link":
        url = BASE + path + "?" + qs
        while url:
            st, h, body = getj(url)
            assert st == 200, (st, body)
            items += body
            pages += 1
            url = next_link(h.get("link"))
    elif style == "next_url":
        url = BASE + path + "?" + qs
        while url:
            st, h, body = getj(url)
            assert st == 200, (st, body)
            items += body["items"]
            pages += 1
            url = body["next"]
    elif style == "next_token":
        tok = None
        while True:
            p = dict(params)
            if tok:
                p["pageToken"] = tok
            st, h, body = getj(path + "?" + urllib.parse.urlencode(p))
            assert st == 200, (st, body)
            items += body["items"]
            pages += 1
            tok = body.get("nextPageToken")
            if not tok:
                break
    elif style == "page":
        page = 1
        while True:
            p = dict(params, page=page)
            st, h, body = getj(path + "?" + urllib.parse.urlencode(p))
            assert st == 200, (st, body)
            if not body["items"]:
                break
            items += body["items"]
            pages += 1
            page += 1
    elif style == "offset":
        off = 0
        lim = params.get("limit", 100)
        while True:
            p = dict(params, offset=off, limit=lim)
            st, h, body = getj(path + "?" + urllib.parse.urlencode(p))
            assert st == 200, (st, body)
            if not body["items"]:
                break
            items += body["items"]
            pages += 1
            off += len(body["items"])
    return items, pages


def raw_request(port, path, timeout=5, host="127.0.0.1"):
    """Send one GET over a raw socket; returns (bytes received, error or None)."""
    s = socket.create_connection((host, port), timeout=timeout)
    s.sendall(("GET %s HTTP/1.1\r\nHost: %s:%d\r\n\r\n" % (path, host, port)).encode())
    out = b""
    err = None
    try:
        while True:
            d = s.recv(65536)
            if not d:
                break
            out += d
    except Exception as e:   # noqa
        err = e
    s.close()
    return out, err


def t_pagination():
    for style in ("link", "next_url", "next_token", "page", "offset"):
        for shape in ("rich", "small"):
            items, pages = walk(style, "/gen/%s/items" % style,
                                {"n": 1037, "per_page": 100, "shape": shape, "seed": 3}
                                if style != "offset" else
                                {"n": 1037, "limit": 100, "shape": shape, "seed": 3})
            ids = [x["id"] for x in items]
            check("pagination %s/%s: 1037 items in 11 pages, ids 1..n unique" % (style, shape),
                  len(items) == 1037 and pages == 11 and sorted(ids) == list(range(1, 1038)),
                  "items=%d pages=%d" % (len(items), pages))
    items, pages = walk("link", "/gen/link/empty", {"n": 0})
    check("pagination n=0 -> one empty page", items == [] and pages == 1)
    items, pages = walk("next_token", "/gen/next_token/x", {"n": 250, "maxResults": 100})
    check("page size alias maxResults", pages == 3 and len(items) == 250)
    st, h, b = getj("/gen/page/items?n=10&per_page=5&page=3")
    check("page style past the end -> {items: []}", b == {"items": []})
    st, h, b = getj("/gen/page/items?n=10&per_page=5&page=1")
    check("page style total", b.get("total") == 10)
    st, h, b = getj("/gen/next_token/items?pageToken=garbage")
    check("bad pageToken -> 400", st == 400)
    a = get("/gen/link/items?n=50&seed=1")[2]
    b2 = get("/gen/link/items?n=50&seed=1")[2]
    c = get("/gen/link/items?n=50&seed=2")[2]
    check("deterministic per seed", a == b2 and a != c)
    st, h, body = getj("/gen/link/items?n=300&per_page=100")
    r = body[5]
    keys = {"id", "uuid", "name", "created_at", "updated_ms", "price", "score", "ipv4", "ipv6",
            "cidr", "mac", "tags", "nic", "networks", "meta", "nullable", "active", "big_id",
            "duration", "blob"}
    check("rich item has all fields", keys <= set(r), sorted(keys - set(r)))
    avg = len(get("/gen/link/items?n=300&per_page=100")[2]) / 100
    check("rich items ~800 bytes (got %d)" % avg, 600 <= avg <= 1100)
    check("nullable null every 3rd", body[2]["nullable"] is None and body[1]["nullable"] is not None)
    u = body[16]["uuid"]
    check("braced upper-case uuid at id 17", u.startswith("{") and u.endswith("}") and u == u.upper())
    check("link past last page -> []", getj("/gen/link/items?n=10&page=5")[2] == [])
    st, h, body = getj("/gen/link/invalid_check?n=1")
    check("gen name is free-form", st == 200 and len(body) == 1)


def t_accounts():
    for style in ("link", "next_url", "next_token", "page", "offset"):
        items, pages = walk(style, "/accounts/42/things", {"n": 230, "per_page": 50, "style": style, "limit": 50}
                            if style == "offset" else {"n": 230, "per_page": 50, "style": style})
        check("accounts style=%s: 230 items, account=42 (int)" % style,
              len(items) == 230 and all(x["account"] == 42 for x in items)
              and len({x["id"] for x in items}) == 230, "n=%d" % len(items))
    st, h, b = getj("/accounts/acme/things?n=3&shape=small")
    check("accounts string id", st == 200 and b["items"][0]["account"] == "acme")
    a = getj("/accounts/1/things?n=3")[2]["items"][0]
    c = getj("/accounts/2/things?n=3")[2]["items"][0]
    check("accounts contents depend on id", a["uuid"] != c["uuid"])
    st, h, b = getj("/accounts/2/things?fail_accounts=1,2")
    st1, _, _ = getj("/accounts/3/things?fail_accounts=1,2")
    check("fail_accounts -> 500 for listed only", st == 500 and st1 == 200)
    # shape=estate (bench S8): rich items, the account spliced into a page
    # template; same as the per-item generator, differs per account
    items, pages = walk("next_token", "/accounts/7/est", {"n": 250, "per_page": 100, "shape": "estate"})
    other, _ = walk("next_token", "/accounts/8/est", {"n": 250, "per_page": 100, "shape": "estate"})
    check("estate: 250 items in 3 pages, account=7, ids 1..250",
          len(items) == 250 and pages == 3 and all(x["account"] == 7 for x in items)
          and [x["id"] for x in items] == list(range(1, 251)), "n=%d pages=%d" % (len(items), pages))
    check("estate: rich fields, name ends with the account",
          set(items[0]) >= {"uuid", "meta", "networks", "blob"} and items[5]["name"].endswith("-7"))
    check("estate: accounts differ only in account and name",
          all(a["account"] == 7 and b["account"] == 8 and a["name"][:-2] == b["name"][:-2]
              and dict(a, account=0, name="") == dict(b, account=0, name="") for a, b in zip(items, other)))
    st, _, _ = getj("/accounts/acme/est?shape=estate")
    check("estate: a non-integer account -> 400", st == 400, st)


def t_invalid():
    st, h, b = getj("/gen/invalid/items?per_page=100")
    check("invalid: 100 items on one page", st == 200 and len(b) == 100)
    check("invalid: 10 bad ipv4 at id%10==1",
          [x["id"] for x in b if x["ipv4"] == "999.1.1.1"] == list(range(1, 101, 10)))
    check("invalid: count out of int64 at id%10==4",
          sum(1 for x in b if x["count"] > 2 ** 63 - 1) == 10 and b[3]["count"] == 2 ** 63)
    check("invalid: bad uuid/ts/bool", b[2]["uuid"].startswith("not-a-uuid") and
          b[4]["created_at"].startswith("2023-13") and b[8]["active"] == "yes" and b[9]["active"] in (True, False))


def t_faults():
    ctl("reset")
    for mode, code in (("500", 500), ("502", 502), ("503", 503), ("404", 404), ("401", 401), ("403", 403)):
        ctl("fault?route=/gen/link/f&mode=%s" % mode)
        st, h, b = get("/gen/link/f?n=5")
        st2, _, _ = get("/gen/link/f?n=5")
        ok = st == code and "message" in json.loads(b) and "documentation_url" in json.loads(b)
        check("fault %s once, then normal" % mode, ok and st2 == 200, "%s %s" % (st, st2))
    ctl("fault?route=/gen/link/f&mode=429&retry_after=2")
    st, h, b = get("/gen/link/f")
    check("fault 429 Retry-After: 2", st == 429 and h.get("retry-after") == "2"
          and json.loads(b)["message"] == "API rate limit exceeded")
    ctl("fault?route=/gen/link/f&mode=429date&retry_after=30")
    st, h, b = get("/gen/link/f")
    ra = email.utils.parsedate_to_datetime(h.get("retry-after", "x")).timestamp() if st == 429 else 0
    check("fault 429date Retry-After is an HTTP date ~30 s ahead", st == 429 and 25 < ra - time.time() < 35)
    ctl("fault?route=/gen/link/f&mode=ratelimit&retry_after=5")
    st, h, b = get("/gen/link/f")
    check("fault ratelimit: 403 + x-ratelimit-remaining 0", st == 403 and h.get("x-ratelimit-remaining") == "0"
          and int(h["x-ratelimit-reset"]) > time.time())
    ctl("fault?route=/gen/link/f&mode=500&count=2&after=3")
    sts = [get("/gen/link/f")[0] for _ in range(7)]
    check("fault after=3 count=2", sts == [200, 200, 200, 500, 500, 200, 200], sts)
    ctl("fault?route=/gen/link/f&mode=503&count=-1")
    sts = [get("/gen/link/f")[0] for _ in range(5)]
    fl = ctl("faults")["faults"]
    ctl("faults?clear=1")
    check("fault count=-1 forever; /_mock/faults lists it; clear",
          sts == [503] * 5 and len(fl) == 1 and fl[0]["fired"] == 5 and get("/gen/link/f")[0] == 200)
    ctl("fault?route=/gen/link/f&mode=500")
    ctl("fault?route=/gen/link/g&mode=404")
    check("several faults at once", get("/gen/link/g")[0] == 404 and get("/gen/link/f")[0] == 500)
    st, _, _ = get("/_mock/fault?route=/x&mode=bogus")
    check("unknown fault mode -> 400", st == 400)

    ctl("fault?route=/gen/link/r&mode=reset")
    data, err = raw_request(PORT, "/gen/link/r")
    check("fault reset: connection reset, no bytes", data == b"" and (err is None or isinstance(err, ConnectionResetError)), repr(err))
    ctl("fault?route=/gen/link/t&mode=truncate")
    c = http.client.HTTPConnection("127.0.0.1", PORT, timeout=10)
    c.request("GET", "/gen/link/t?n=50")
    r = c.getresponse()
    try:
        r.read()
        got = "complete"
    except http.client.IncompleteRead as e:
        got = "incomplete %d of %d" % (len(e.partial), len(e.partial) + e.expected)
    c.close()
    check("fault truncate: IncompleteRead", got.startswith("incomplete"), got)
    ctl("fault?route=/gen/link/b&mode=badjson")
    st, h, b = get("/gen/link/b?n=20")
    try:
        json.loads(b)
        bad = False
    except ValueError:
        bad = True
    check("fault badjson: 200 + invalid JSON", st == 200 and bad)
    ctl("fault?route=/gen/link/s&mode=slow&delay_ms=400")
    t = time.time()
    st, _, _ = get("/gen/link/s?n=3")
    check("fault slow delay_ms=400", st == 200 and time.time() - t >= 0.38)
    ctl("fault?route=/gen/link/st&mode=stall&delay_ms=1500")
    t = time.time()
    try:
        get("/gen/link/st?n=50", timeout=0.5)
        to = False
    except Exception:
        to = True
    check("fault stall: client read timeout fires mid-body", to and time.time() - t < 1.4)
    ctl("fault?route=/gen/link/st&mode=stall&delay_ms=300")
    t = time.time()
    st, h, b = get("/gen/link/st?n=50")
    check("fault stall: then completes", st == 200 and len(json.loads(b)) == 50 and time.time() - t >= 0.28)
    ctl("fault?route=/gen/next_token/h&mode=huge")
    t = time.time()
    st, h, b = get("/gen/next_token/h", timeout=120)
    j = json.loads(b)
    check("fault huge: ~50 MB valid page (%.1f MB, %.1fs)" % (len(b) / 1e6, time.time() - t),
          st == 200 and len(b) > 40e6 and len(j["items"]) > 50000 and "nextPageToken" not in j)
    ctl("fault?route=/hostile/deep&mode=503")
    check("faults apply to any non-control route", get("/hostile/deep?depth=3")[0] == 503)


def t_control():
    ctl("reset")
    tok = "ghp_SECRET_token_value_123"
    sha = hashlib.sha256(tok.encode()).hexdigest()
    get("/gen/link/auth?n=1", headers={"Authorization": "Bearer " + tok})
    get("/gen/link/auth?n=1")
    r = ctl("requests?route=/gen/link/auth")["requests"]
    check("requests log: auth is scheme:sha256[:8]",
          len(r) == 2 and r[0]["auth"] == "Bearer:" + sha[:8] and r[1]["auth"] == "none", r)
    check("requests log: fields", {"method", "path", "route", "start", "end", "status", "auth"} <= set(r[0])
          and r[0]["end"] >= r[0]["start"] and r[0]["path"] == "/gen/link/auth?n=1")
    ctl("expect_token?sha256=" + sha)
    get("/gen/link/auth2?n=1", headers={"Authorization": "Bearer " + tok})
    get("/gen/link/auth2?n=1", headers={"Authorization": "Bearer wrong"})
    get("/gen/link/auth2?n=1", headers={"Authorization": "token " + tok})
    r = ctl("requests?route=/gen/link/auth2")["requests"]
    check("expect_token: auth_ok", [x.get("auth_ok") for x in r] == [True, False, True], r)
    ctl("expect_token?sha256=%s&enforce=1" % sha)
    s1 = get("/gen/link/auth3?n=1", headers={"Authorization": "Bearer " + tok})[0]
    s2 = get("/gen/link/auth3?n=1")[0]
    ctl("expect_token")
    check("expect_token enforce=1 -> 401 on wrong token", s1 == 200 and s2 == 401)
    st, h, b = get("/gen/link/x?n=1&access_token=" + tok)
    allreq = get("/_mock/requests")[2] + get("/_mock/stats")[2]
    check("token never appears in /_mock/requests or stats", tok.encode() not in allreq
          and b"access_token=REDACTED" in allreq)
    r = ctl("requests?route=/gen/link/&limit=2")["requests"]
    check("requests limit=N keeps the last N", len(r) == 2)
    c = http.client.HTTPConnection("127.0.0.1", PORT, timeout=10)
    for _ in range(3):
        c.request("GET", "/gen/link/ka?n=1")
        c.getresponse().read()
    c.close()
    conns = {x["conn"] for x in ctl("requests?route=/gen/link/ka")["requests"]}
    check("keep-alive: 3 requests on one connection", len(conns) == 1)
    st, _, _ = get("/gen/link/x?n=abc")
    check("bad parameter -> 400", st == 400)
    st, _, b = get("/nope")
    check("unknown route -> 404 JSON", st == 404 and json.loads(b)["message"])
    ctl("reset")
    s = ctl("stats")
    check("reset clears stats and log", s["total"] == 0 and s["routes"] == [] and ctl("requests")["requests"] == [])


def t_concurrency():
    ctl("reset")
    res = []

    def one():
        res.append(get("/gen/page/conc?n=10&latency_ms=200")[0])
    ths = [threading.Thread(target=one) for _ in range(20)]
    t = time.time()
    for x in ths:
        x.start()
    for x in ths:
        x.join()
    el = time.time() - t
    s = getj("/_mock/stats?route=/gen/page/conc")[2]
    mc = [x for x in s["routes"] if x["route"] == "/gen/page/conc"][0]["max_concurrent"]
    check("20 parallel 200 ms requests: max_concurrent %d >= 10 (%.2fs)" % (mc, el),
          res == [200] * 20 and mc >= 10 and s["prefix_max_concurrent"] >= 10)
    ctl("reset")
    res.clear()
    ths = [threading.Thread(target=lambda: res.append(get("/gen/page/c64?n=5&latency_ms=300")[0]))
           for _ in range(64)]
    t = time.time()
    for x in ths:
        x.start()
    for x in ths:
        x.join()
    el = time.time() - t
    mc = ctl("stats")["max_concurrent"]
    check("64 parallel 300 ms requests in %.2fs, max_concurrent %d" % (el, mc),
          res == [200] * 64 and el < 2.5 and mc >= 40)


def t_replay():
    if not os.path.isdir(SHARED):
        skip("replay of shared recordings", "%s absent" % SHARED)
        return
    url = BASE + "/replay/github/paginate-issues/repos/octokit-fixture-org/paginate-issues/issues?per_page=3"
    issues, pages = [], 0
    while url:
        st, h, b = getj(url)
        if st != 200:
            break
        issues += b
        pages += 1
        url = next_link(h.get("link"))
        if pages > 10:
            break
    check("github paginate-issues: 13 issues over 5 pages following Link as given",
          len(issues) == 13 and pages == 5 and len({i["id"] for i in issues}) == 13, "%d/%d" % (len(issues), pages))
    st, h, b = get("/replay/github/paginate-issues/repos/octokit-fixture-org/paginate-issues/issues?per_page=3")
    check("github: x-ratelimit headers, rewritten body URLs, one Date",
          h.get("x-ratelimit-remaining") == "4999" and b"https://api.github.com" not in b
          and (BASE + "/replay/github/paginate-issues/").encode() in b)
    st, h, b = get("/replay/github/paginate-issues/repositories/1000/issues?page=2&per_page=30")
    check("github: pagination params must agree, others ignored", st == 200 and len(json.loads(b)) == 3)
    st, h, b = getj("/replay/github/paginate-issues/repositories/1000/issues?page=9")
    check("github: no recording -> 404 with candidates", st == 404 and b["candidates"] and "mock: no recording" in b["message"])
    st, h, b = getj("/replay/github/errors/repos/octokit-fixture-org/errors/labels", method="POST", data=b'{"name":"foo"}')
    check("github errors: POST -> 422 with errors[]", st == 422 and b["errors"][0]["code"] == "invalid")
    st, h, b = get("/replay/github/git-refs/repos/octokit-fixture-org/git-refs/git/refs", method="POST", data=b"{}")
    check("github: Location header rewritten", st == 201 and h.get("location", "").startswith(BASE + "/replay/github/git-refs/repos/"))
    st, h, b = getj("/replay/github/search-issues/search/issues?q=sesame+repo:octokit-fixture-org/search-issues")
    check("github: query matched after decoding", st == 200 and "items" in b)
    st, h, b = getj("/replay/kubernetes/pod-list/api/v1/namespaces/kube-system/pods")
    check("kubernetes pod-list", st == 200 and b["kind"] == "PodList" and len(b["items"]) >= 5, "%s" % st)
    st, h, b = getj("/replay/kubernetes/deployment-list/apis/apps/v1/namespaces/kube-system/deployments")
    check("kubernetes deployment-list", st == 200 and b["kind"] == "DeploymentList")
    url, drops, pages = BASE + "/replay/digitalocean/droplets/v2/droplets", [], 0
    while url and pages < 5:
        st, h, b = getj(url)
        drops += b["droplets"]
        pages += 1
        url = (b.get("links") or {}).get("pages", {}).get("next")
    check("digitalocean droplets: 2 pages via links.pages.next", pages == 2 and len(drops) == 2)
    st, h, b = getj("/replay/digitalocean/droplets-empty/v2/droplets")
    check("digitalocean droplets-empty", st == 200 and b["droplets"] == [])
    regions, pages, tok = [], 0, None
    while pages < 5:
        st, h, b = getj("/replay/gcp/default/compute/v1/projects/project_name/regions"
                        + ("?pageToken=" + urllib.parse.quote(tok) if tok else ""))
        if st != 200:
            break
        regions += b.get("items", [])
        pages += 1
        tok = b.get("nextPageToken")
        if not tok:
            break
    check("gcp regions: nextPageToken -> 2 pages", pages == 2 and len(regions) == 2)
    st, h, b = getj("/replay/gcp/default/compute/v1/projects/p1/zones/us-central1-a/instances")
    check("gcp instances + selfLink rewritten", st == 200 and b["items"][0]["id"]
          and b["selfLink"].startswith(BASE + "/replay/gcp/default/compute/v1/"))


def t_own_fixtures(own):
    os.makedirs(os.path.join(own, "acme"))
    with open(os.path.join(own, "acme", "widgets.json"), "w") as f:
        json.dump([
            {"method": "GET", "path": "/v1/widgets?limit=2", "status": 200,
             "headers": {"link": '<https://api.acme.test/v1/widgets?limit=2&cursor=c2>; rel="next"'},
             "scope": "https://api.acme.test", "response": [{"id": 1}, {"id": 2}]},
            {"method": "GET", "path": "/v1/widgets?limit=2&cursor=c2", "status": 200,
             "response": [{"id": 3}]},
            {"method": "DELETE", "path": "/v1/widgets/3", "status": 204, "response": ""},
        ], f)
    # own fixture overriding a shared scenario name
    os.makedirs(os.path.join(own, "github"))
    with open(os.path.join(own, "github", "paginate-issues.json"), "w") as f:
        json.dump([{"method": "GET", "path": "/x", "status": 200, "response": {"own": True}}], f)
    st, h, b = getj("/replay/acme/widgets/v1/widgets?limit=2")
    nxt = next_link(h.get("link"))
    st2, h2, b2 = getj(nxt) if nxt else (0, {}, None)
    check("own fixture: scope rewritten, Link followed", st == 200 and nxt and nxt.startswith(BASE)
          and b2 == [{"id": 3}])
    st, h, b = get("/replay/acme/widgets/v1/widgets/3", method="DELETE")
    check("own fixture: 204 empty", st == 204 and b == b"")
    check("own fixtures looked up before shared", getj("/replay/github/paginate-issues/x")[2] == {"own": True})


def t_synth():
    """/synth/<source>/<table>/...: two pages in the table's own paging."""
    st, h, b = get("/synth/github/github_labels/repos/o/r/labels?per_page=100")
    rows = json.loads(b) if st == 200 else []
    nxt = next_link(h.get("link", ""))
    check("synth: github page 1 has 2 rows and a Link to page 2",
          st == 200 and len(rows) == 2 and nxt is not None and "page=2" in nxt, "%s %s" % (st, h.get("link")))
    if nxt:
        st, h, b = get(nxt)
        check("synth: github page 2 has 1 row and no Link", st == 200 and len(json.loads(b)) == 1
              and "link" not in h)
    st, h, b = getj("/synth/kubernetes/k8s_pods/api/v1/pods?limit=500")
    tok = b.get("metadata", {}).get("continue") if st == 200 else None
    check("synth: kubernetes page 1 has a continue token", st == 200 and len(b["items"]) == 2 and tok)
    st, h, b = getj("/synth/kubernetes/k8s_pods/api/v1/pods?limit=500&continue=%s" % tok)
    check("synth: kubernetes page 2 (continue=token) is the last", st == 200 and len(b["items"]) == 1
          and not b.get("metadata", {}).get("continue"))
    st, h, b = getj("/synth/github/no_such_table/x")
    check("synth: unknown table -> 404", st == 404)


def t_hostile():
    s = socket.create_connection(("127.0.0.1", PORT), timeout=5)
    s.sendall(b"GET /hostile/stream HTTP/1.1\r\nHost: x\r\n\r\n")
    t, n = time.time(), 0
    while time.time() - t < 1.5:
        d = s.recv(65536)
        if not d:
            break
        n += len(d)
    s.close()
    check("hostile/stream: ~1 MB/s chunked (%d bytes in 1.5s)" % n, 800000 < n < 2600000)
    t = time.time()
    st, h, b = get("/hostile/bomb?mb=64", timeout=120)
    d = zlib.decompressobj(31)
    out = d.decompress(b, 10 * 1024 * 1024)
    check("hostile/bomb?mb=64: gzip, %d KB compressed (%.1fs)" % (len(b) // 1024, time.time() - t),
          h.get("content-encoding") == "gzip" and len(b) < 200 * 1024 and out.startswith(b'{"items":['))
    t = time.time()
    st, h, b = get("/hostile/bomb", timeout=300)
    total = 0
    d = zlib.decompressobj(31)
    buf = b
    while buf:
        total += len(d.decompress(buf, 64 * 1024 * 1024))
        buf = d.unconsumed_tail
    check("hostile/bomb default: %d KB -> %d MB (%.1fs)" % (len(b) // 1024, total >> 20, time.time() - t),
          total >= 1 << 30 and len(b) < 2 * 1024 * 1024)
    t = time.time()
    try:
        get("/hostile/short", timeout=1)
        got = "complete"
    except Exception as e:
        got = type(e).__name__
    check("hostile/short: read times out (%s)" % got, got != "complete" and time.time() - t < 3)
    st, h, b = get("/hostile/deep?depth=1000")
    check("hostile/deep", b.count(b"[") == 1000 and b.endswith(b"]" * 1000 + b"}"))
    st, h, b = get("/hostile/longstring?mb=2")
    check("hostile/longstring?mb=2", len(json.loads(b)[0]["s"]) == 2 * 1024 * 1024)
    t = time.time()
    st, h, b = get("/hostile/bigarray?n=300000", timeout=60)
    arr = json.loads(b)
    check("hostile/bigarray?n=300000 chunked (%.1fs)" % (time.time() - t),
          len(arr) == 300000 and arr[-1] == {"id": 299999} and h.get("transfer-encoding") == "chunked")
    data, err = raw_request(PORT, "/hostile/bigheader?kb=64")
    check("hostile/bigheader?kb=64", b"X-Big: " + b"h" * 65536 in data)
    st, h, b = get("/hostile/nul")
    check("hostile/nul", any("\u0000" in x["name"] for x in json.loads(b)))
    st, h, b = get("/hostile/nul?raw=1")
    check("hostile/nul?raw=1 has a raw NUL byte", b"\x00" in b)
    c = http.client.HTTPConnection("127.0.0.1", PORT, timeout=5)
    c.request("GET", "/redirect?to=" + urllib.parse.quote("file:///etc/passwd") + "&status=301")
    r = c.getresponse()
    check("redirect to file:///etc/passwd", r.status == 301 and r.getheader("Location") == "file:///etc/passwd")
    r.read()
    c.request("GET", "/redirect?to=" + urllib.parse.quote("http://127.0.0.2:9/x"))
    r = c.getresponse()
    check("redirect default 302 to another host", r.status == 302 and r.getheader("Location") == "http://127.0.0.2:9/x")
    c.close()
    s = socket.create_connection(("127.0.0.1", PORT), timeout=5)
    s.sendall(b"GET /hostile/slowloris?interval_ms=100 HTTP/1.1\r\nHost: x\r\n\r\n")
    t, got = time.time(), b""
    while time.time() - t < 0.55:
        got += s.recv(100)
    s.close()
    check("hostile/slowloris dribbles bytes (%d in 0.55 s)" % len(got), 3 <= len(got) <= 10 and got.startswith(b"HTTP/1"))
    check("server alive after hostile routes", ctl("health") == {"ok": True})


def t_second_instance(tmp):
    try:
        socket.create_connection  # noqa
        s = socket.socket()
        s.bind(("127.0.0.2", 0))
        s.close()
    except OSError as e:
        skip("denied stand-in on 127.0.0.2", str(e))
        return
    port = free_port("127.0.0.2")
    log = os.path.join(tmp, "denied.log")
    p = start("127.0.0.2", port, "--log", log)
    try:
        check("denied stand-in: health does not log", open(log).read() == "")
        tok = "sekrit-abc"
        get("http://127.0.0.2:%d/anything?x=1&api_key=%s&pageToken=pt1" % (port, tok),
            headers={"Authorization": "Bearer " + tok})
        data, err = raw_request(port, "/x", host="127.0.0.2")
        s = socket.create_connection(("127.0.0.2", port))
        s.sendall(b"GARBAGE\r\n\r\n")
        s.recv(1000)
        s.close()
        time.sleep(0.2)
        lines = open(log).read().splitlines()
        check("denied stand-in logs every request (%d lines)" % len(lines), len(lines) == 3, lines)
        check("log: secret params REDACTED, pageToken kept, no header values",
              tok not in open(log).read() and "api_key=REDACTED" in lines[0] and "pageToken=pt1" in lines[0])
    finally:
        p.terminate()
        p.wait(5)


def t_incr():
    """/incr: GitHub issues honour since (>=), GCP operations honour filter."""
    b = "/incr/n=12,per=5,tie=11"
    st, h, rows = getj(b + "/repos/o/r/issues")
    check("incr issues page 1", st == 200 and [r["number"] for r in rows] == [1, 2, 3, 4, 5]
          and 'rel="next"' in h.get("link", ""), h.get("link"))
    st, h, rows = getj(b + "/repos/o/r/issues?since=2023-01-01T00:11:00Z")
    check("incr issues since is >= (the tie at 00:11 included)",
          st == 200 and sorted(r["number"] for r in rows) == [11, 12, 999], rows)
    st, h, rows = getj(b + "/repos/o/r/issues?since=2023-01-01T01:11:00%2B01:00")
    check("incr issues since with an offset", st == 200 and len(rows) == 3, rows)
    q = urllib.parse.quote('creationTimestamp > "2023-01-01T00:11:00Z"')
    st, h, body = getj(b + "/compute/v1/projects/p/aggregated/operations?filter=" + q)
    ops = body.get("items", {}).get("zones/us-central1-a", {}).get("operations", [])
    check("incr operations filter >", st == 200 and [o["name"] for o in ops] == ["operation-12"], body)
    st, h, body = getj(b + "/compute/v1/projects/p/aggregated/operations")
    check("incr operations pages", st == 200 and body.get("nextPageToken") == "5", body)
    st, h, body = getj(b + "/compute/v1/projects/p/aggregated/operations?filter=name%3Dx")
    check("incr operations: an unknown filter is a 400", st == 400, body)


def t_fast_lane(tmp):
    """--fast-lane (bench/run): the generated collections from one selector
    loop.  The same bytes as the threaded mock, the same counters and log,
    no handler thread per connection, everything else still served."""
    port = free_port()
    log = os.path.join(tmp, "fast.log")
    p = start("127.0.0.1", port, "--fast-lane", "--log", log)
    fb = "http://127.0.0.1:%d" % port
    conns = []
    try:
        # the same pages as the threaded mock (tokens, items, Link header)
        same = True
        for path in ("/accounts/3/fl?n=250&per_page=100&shape=rich",
                     "/accounts/3/fl?n=250&per_page=100&shape=rich&pageToken=%s",
                     "/gen/link/fl?n=5&per_page=2&shape=small&page=2",
                     "/gen/next_token/fl?n=3&per_page=2&latency_ms=5"):
            if "%s" in path:
                tok = getj("/accounts/3/fl?n=250&per_page=100&shape=rich")[2]["nextPageToken"]
                path = path % tok
            a = get(path)
            b = get(fb + path)
            if a[0] != b[0] or a[2] != b[2] or \
                    a[1].get("link", "").replace(str(PORT), "P") != b[1].get("link", "").replace(str(port), "P"):
                same = False
                print("  differs: %s" % path)
        check("fast lane: same status, body and Link header as the threaded mock", same)

        # 64 keep-alive connections waiting latency_ms at once: one thread
        get(fb + "/_mock/reset")
        bar = threading.Barrier(64)
        res = [None] * 64

        def one(k):
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            conns.append(c)
            bar.wait()
            c.request("GET", "/accounts/%d/c64?n=5&per_page=5&latency_ms=1000&shape=small" % (k + 1))
            r = c.getresponse()
            res[k] = (r.status, json.loads(r.read()))
        ths = [threading.Thread(target=one, args=(k,)) for k in range(64)]
        for x in ths:
            x.start()
        for x in ths:
            x.join()
        st = json.loads(get(fb + "/_mock/stats?route=/accounts/")[2])
        check("fast lane: 64 concurrent requests answered, each its own account's items",
              all(r and r[0] == 200 and r[1]["items"][0]["account"] == k + 1 for k, r in enumerate(res)), res[:2])
        check("fast lane: counted as by a handler (total 64, max_concurrent 64, 64 routes)",
              st["total"] == 64 and st["max_concurrent"] == 64 and st["prefix_count"] == 64 and
              st["prefix_max_concurrent"] == 64 and len(st["routes"]) == 64, {k: st[k] for k in ("total", "max_concurrent")})
        check("fast lane: 64 open keep-alive connections, no handler thread per connection (threads %s)"
              % st.get("threads"), st.get("threads") is not None and st["threads"] <= 3)
        reqs = json.loads(get(fb + "/_mock/requests?route=/accounts/")[2])["requests"]
        check("fast lane: the request log has each request (status 200, its connection, bytes)",
              len(reqs) == 64 and all(r["status"] == 200 and r["bytes"] > 0 for r in reqs) and
              len(set(r["conn"] for r in reqs)) == 64 and all(r["end"] - r["start"] >= 0.99 for r in reqs))
        for c in conns:
            c.close()

        # one keep-alive connection: fast, then a control route (handed to a
        # thread), then fast again; and two requests in one write
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        out = []
        for path in ("/gen/page/ka?n=3&per_page=1&page=2&shape=small", "/_mock/health",
                     "/gen/page/ka?n=3&per_page=1&page=3&shape=small"):
            c.request("GET", path)
            r = c.getresponse()
            out.append((r.status, r.read()))
        c.close()
        check("fast lane: a connection handed to a thread keeps its requests",
              [x[0] for x in out] == [200, 200, 200] and json.loads(out[0][1])["items"][0]["id"] == 2 and
              out[1][1] == b'{"ok":true}' and json.loads(out[2][1])["items"][0]["id"] == 3, out)
        s2 = socket.create_connection(("127.0.0.1", port), timeout=30)
        s2.sendall(b"GET /gen/page/pp?n=2&per_page=1&page=1&shape=small HTTP/1.1\r\nHost: x\r\n\r\n"
                   b"GET /gen/page/pp?n=2&per_page=1&page=2&shape=small HTTP/1.1\r\nHost: x\r\n"
                   b"Connection: close\r\n\r\n")
        data = b""
        while True:
            d = s2.recv(65536)
            if not d:
                break
            data += d
        s2.close()
        check("fast lane: two pipelined requests, answered in order, then closed",
              data.count(b"HTTP/1.1 200") == 2 and data.index(b'"id":1') < data.index(b'"id":2'), data[:200])
        st, h, b = get(fb + "/gen/link/post?n=3", method="POST", data=b"x=1")
        check("fast lane: a POST is served by a handler thread", st == 200 and len(json.loads(b)) == 3, st)

        # a client that leaves during latency_ms is logged 499, as by a handler
        get(fb + "/_mock/reset")
        s3 = socket.create_connection(("127.0.0.1", port), timeout=30)
        s3.sendall(b"GET /accounts/9/gone?n=5&latency_ms=60000 HTTP/1.1\r\nHost: x\r\n\r\n")
        for _ in range(100):
            if json.loads(get(fb + "/_mock/stats")[2])["in_flight"] == 1:
                break
            time.sleep(0.05)
        s3.close()
        reqs = json.loads(get(fb + "/_mock/requests?route=/accounts/9/")[2])["requests"]
        check("fast lane: a client gone during latency_ms is logged 499",
              [r["status"] for r in reqs] == [499], reqs)

        # armed faults apply to the generated routes (a handler serves them)
        get(fb + "/_mock/fault?route=/accounts/5/f&mode=503")
        st1 = get(fb + "/accounts/5/f?n=2")[0]
        st2 = get(fb + "/accounts/5/f?n=2")[0]
        check("fast lane: a fault armed on a generated route fires once", (st1, st2) == (503, 200), (st1, st2))
        lines = open(log).read().splitlines()
        check("fast lane: the log file has the fast lane's requests",
              any(" GET /accounts/64/c64?" in ln and " 200 " in ln for ln in lines) and
              any("/accounts/9/gone" in ln and " 499 " in ln for ln in lines), lines[:3])
        check("fast lane: mock still running", p.poll() is None)
    finally:
        for c in conns:
            c.close()
        p.terminate()
        try:
            p.wait(10)
        except subprocess.TimeoutExpired:
            p.kill()


def main():
    global BASE, PORT
    tmp = tempfile.mkdtemp(prefix="cq_mock_selftest_")
    own = os.path.join(tmp, "own")
    os.makedirs(own)
    PORT = free_port()
    BASE = "http://127.0.0.1:%d" % PORT
    log = os.path.join(tmp, "mock.log")
    args = ["--own-fixtures", own, "--log", log]
    if os.path.isdir(SHARED):
        args += ["--fixtures", SHARED]
    p = start("127.0.0.1", PORT, *args)
    try:
        for t in (t_pagination, t_accounts, t_invalid, t_control, t_faults, t_concurrency,
                  t_replay, t_incr, lambda: t_own_fixtures(own), t_synth, t_hostile,
                  lambda: t_second_instance(tmp), lambda: t_fast_lane(tmp)):
            try:
                t()
            except Exception as e:   # a crashed test group counts as one failure
                import traceback
                traceback.print_exc()
                check("test group %s raised" % getattr(t, "__name__", "?"), False, repr(e))
        check("mock process still running", p.poll() is None)
        logtxt = open(log).read()
        check("log file has one line per request and no token", "ghp_SECRET" not in logtxt
              and "/gen/link/auth" in logtxt)
    finally:
        p.terminate()
        try:
            p.wait(10)
        except subprocess.TimeoutExpired:
            p.kill()
        shutil.rmtree(tmp, ignore_errors=True)
    print("%d passed, %d failed%s" % (PASSED, FAILED, ", %d skipped" % SKIPPED if SKIPPED else ""))
    sys.exit(1 if FAILED else 0)


if __name__ == "__main__":
    main()
