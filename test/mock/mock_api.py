#!/usr/bin/python3
"""cq_fdw mock API server.

One threaded HTTP/1.1 server (Python 3 standard library only) used by every
test and benchmark of cq_fdw: generated paginated collections, per-account
fan-out collections, replay of real API recordings, fault injection and
hostile responses.  Every route and parameter is documented in README.md next
to this file; keep the two in sync.

Rules this file keeps:
  * credentials are never written anywhere (not in the --log file, not in
    /_mock/requests, not in error bodies): only "<scheme>:<sha256[:8]>";
  * query parameters whose names look like secrets are REDACTED in anything
    the mock reports;
  * the server never dies because of a request: any exception -> 500 JSON;
  * the shared fixtures are read in place, never copied.
"""

import argparse
import base64
import calendar
import collections
import email.utils
import hashlib
import heapq
import hmac
import http.client
import http.server
import io
import json
import os
import random
import re
import select
import selectors
import signal
import socket
import socketserver
import struct
import sys
import threading
import time
import urllib.parse
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))

# ---------------------------------------------------------------------------
# small helpers
# ---------------------------------------------------------------------------

SECRET_NAME = re.compile(
    r"(token|secret|passw|pwd|key|auth|signature|sig$|credential|session|"
    r"bearer|code|cookie|private)", re.I)
# pagination parameters that merely *contain* a secret-looking word
NOT_SECRET = {"pagetoken", "nextpagetoken", "page_token", "next_token",
              "nexttoken", "continue", "cursor", "marker", "sort_key",
              "sortkey", "key_column"}


def is_secret_name(name):
    low = name.lower()
    if low in NOT_SECRET:
        return False
    return bool(SECRET_NAME.search(low))


def redact_path(path):
    """Path with query params whose names look like secrets -> REDACTED."""
    if "?" not in path:
        return path
    base, _, qs = path.partition("?")
    out = []
    for part in qs.split("&"):
        name, eq, _val = part.partition("=")
        try:
            dname = urllib.parse.unquote_plus(name)
        except Exception:
            dname = name
        if eq and is_secret_name(dname):
            out.append(name + "=REDACTED")
        else:
            out.append(part)
    return base + "?" + "&".join(out)


def jdump(obj):
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode()


def qint(q, name, default, lo=None, hi=None):
    v = q.get(name)
    if v is None or v == "":
        return default
    try:
        x = int(v)
    except ValueError:
        raise BadRequest("parameter %s must be an integer, got %r" % (name, v))
    if lo is not None and x < lo:
        raise BadRequest("parameter %s must be >= %d" % (name, lo))
    if hi is not None and x > hi:
        raise BadRequest("parameter %s must be <= %d" % (name, hi))
    return x


class BadRequest(Exception):
    pass


class ByteLRU:
    """Thread-safe LRU cache bounded by the total size of its bytes values."""

    def __init__(self, max_bytes):
        self.max_bytes = max_bytes
        self.size = 0
        self.d = collections.OrderedDict()
        self.lock = threading.Lock()

    def get_or_make(self, key, make):
        with self.lock:
            v = self.d.get(key)
            if v is not None:
                self.d.move_to_end(key)
                return v
        v = make()          # outside the lock: generation may be slow
        with self.lock:
            if key not in self.d:
                self.d[key] = v
                self.size += len(v)
                while self.size > self.max_bytes and len(self.d) > 1:
                    _k, old = self.d.popitem(last=False)
                    self.size -= len(old)
        return v


PAGE_CACHE = ByteLRU(768 * 1024 * 1024)
BIG_CACHE = ByteLRU(1536 * 1024 * 1024)   # hostile bodies, huge pages

# ---------------------------------------------------------------------------
# deterministic item generation
# ---------------------------------------------------------------------------

M64 = (1 << 64) - 1


def mix(*vals):
    """splitmix64-like hash of a few integers -> 64-bit int."""
    h = 0x9E3779B97F4A7C15
    for v in vals:
        h = (h ^ (v & M64)) * 0xBF58476D1CE4E5B9 & M64
        h ^= h >> 31
        h = h * 0x94D049BB133111EB & M64
        h ^= h >> 29
    return h


def str_hash(s):
    return int.from_bytes(hashlib.sha256(s.encode()).digest()[:8], "big")


NAMES = ["café-ü-日本", "plain", "Zürich", "Ωmega-Δ", "emoji-😀", "tab\tquote\"back\\slash",
         "naïve résumé", "東京", "space name", "ascii_only"]
NAMES_J = [json.dumps(x, ensure_ascii=False)[1:-1] for x in NAMES]
OFFSETS = [("Z", 0), ("-08:00", -480), ("+00:00", 0), ("+05:30", 330), ("+01:00", 60),
           ("-03:00", -180), ("+09:00", 540)]
FRACS = ["", ".123", ".123456", ".5", ".000001"]
WORDS = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel",
         "india", "juliet", "kilo", "lima", "mike", "november", "oscar", "papa"]
BASE_T = 1672531200  # 2023-01-01T00:00:00Z
ZONES = ["us-east-1a", "us-east-1b", "eu-west-1a", "ap-northeast-1c"]
HEX = "0123456789abcdef"
PAD = ("Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod "
       "tempor incididunt ut labore et dolore magna aliqua. Ut enim ad minim veniam.")


def rfc3339(t, i):
    off_s, off_m = OFFSETS[i % len(OFFSETS)]
    lt = time.gmtime(t + off_m * 60)
    return "%04d-%02d-%02dT%02d:%02d:%02d%s%s" % (
        lt.tm_year, lt.tm_mon, lt.tm_mday, lt.tm_hour, lt.tm_min, lt.tm_sec,
        FRACS[(i // 7) % len(FRACS)], off_s)


def fmt_uuid(h1, h2, upper_braces):
    x = "%016x%016x" % (h1, h2)
    s = "%s-%s-4%s-%s%s-%s" % (x[0:8], x[8:12], x[13:16], "89ab"[int(x[16], 16) & 3],
                               x[17:20], x[20:32])
    if upper_braces:
        return "{" + s.upper() + "}"
    return s


def fmt_mac(h, form):
    b = [(h >> (8 * k)) & 255 for k in range(6)]
    b[0] &= 0xFE  # unicast
    if form == 0:   # mixed case colons, like "00:1A:2b:3c:4d:5e"
        return ":".join(("%02X" if k % 2 else "%02x") % v for k, v in enumerate(b))
    if form == 1:
        return "-".join("%02x" % v for v in b)
    return "%02x%02x.%02x%02x.%02x%02x" % tuple(b)


def canon_mac(h):
    b = [(h >> (8 * k)) & 255 for k in range(6)]
    b[0] &= 0xFE
    return ":".join("%02x" % v for v in b)


def acct_key(acct):
    if acct is None:
        return 0
    return str_hash("acct:" + str(acct))


def acct_json(acct):
    if acct is None:
        return ""
    if isinstance(acct, int):
        return '"account":%d,' % acct
    return '"account":%s,' % json.dumps(acct, ensure_ascii=False)


TAGS = [["[]"] * 16] + [
    ["[%s]" % ",".join('"%s"' % x for x in ["env:prod", "team-%d" % t, "日本", WORDS[w]][:nt])
     for w in range(16)] for nt, t in ((1, 0), (2, 1), (3, 2))]
NETS = ['{"ip":"10.0.%d.%d","prefix":"10.0.%d.0/24"}',
        '{"ip":"10.0.%d.%d","prefix":"10.0.%d.0/24"},{"ip":"10.1.%d.%d","prefix":"10.1.%d.0/24"}',
        '{"ip":"10.0.%d.%d","prefix":"10.0.%d.0/24"},{"ip":"10.1.%d.%d","prefix":"10.1.%d.0/24"},'
        '{"ip":"10.2.%d.%d","prefix":"10.2.%d.0/24"}']
ENVS = ("prod", "staging", "dev")

RICH_FMT = ('{"id":%d,%s"uuid":"%s","name":"%s","created_at":"%s","updated_ms":%d,'
            '"price":"%d.%02d00","score":%r,"ipv4":"10.%d.%d.%d","ipv6":"%s","cidr":"%s","mac":"%s",'
            '"tags":%s,"nic":{"mac":"%s","name":"eth%d"},"networks":[%s],'
            '"meta":{"labels":{"env":"%s","team":"team-%d","app.kubernetes.io/name":"svc-%d"},'
            '"region":"%s","zone":"%s","nested":{"level2":{"value":%d}}},'
            '"nullable":%s,"active":%s,"big_id":"%d","duration":%s,"blob":"%s",'
            '"description":"%s"}')


def rich_item(i, seed, acct, akey):
    """JSON text (str) of rich item number i (0-based). About 800 bytes."""
    iid = i + 1
    d = hashlib.blake2b(b"%d:%d:%d" % (seed, akey, i), digest_size=32).digest()
    hx = d.hex()
    h = int.from_bytes(d[:8], "little")
    t = BASE_T + i * 3607 + (h % 1000)
    if iid % 50 == 17:
        uuid = "{%s-%s-4%s-A%s-%s}" % (hx[0:8].upper(), hx[8:12].upper(), hx[13:16].upper(),
                                      hx[17:20].upper(), hx[20:32].upper())
    else:
        uuid = "%s-%s-4%s-a%s-%s" % (hx[0:8], hx[8:12], hx[13:16], hx[17:20], hx[20:32])
    name = NAMES_J[(i + (akey & 7)) % 10]
    if acct is not None:
        name = "%s-%s" % (name, json.dumps(str(acct), ensure_ascii=False)[1:-1])
    off_s, off_m = OFFSETS[i % 7]
    lt = time.gmtime(t + off_m * 60)
    created = "%04d-%02d-%02dT%02d:%02d:%02d%s%s" % (
        lt.tm_year, lt.tm_mon, lt.tm_mday, lt.tm_hour, lt.tm_min, lt.tm_sec,
        FRACS[(i // 7) % 5], off_s)
    m = hx[32:44]
    k = i % 3
    if k == 0:
        mac = "%s:%s:%s:%s:%s:%s" % (m[0:2], m[2:4].upper(), m[4:6], m[6:8].upper(), m[8:10], m[10:12])
        cidr = "10.%d.0.0/16" % (i % 256)
    elif k == 1:
        mac = "%s-%s-%s-%s-%s-%s" % (m[0:2], m[2:4], m[4:6], m[6:8], m[8:10], m[10:12])
        cidr = "192.168.%d.0/24" % (i % 256)
    else:
        mac = "%s.%s.%s" % (m[0:4], m[4:8], m[8:12])
        cidr = "2001:db8:%x::/48" % (i % 65536)
    b1, b2 = (i >> 8) & 255, i & 255
    if i % 2:
        ipv6 = "2001:db8::%x:%x" % (iid >> 16, iid & 0xffff)
        duration = '"PT%dH%dM"' % (i % 24, (i * 7) % 60)
    else:
        ipv6 = "2604:A880:0800:0010:0000:0000:%04X:%04X" % ((i >> 16) & 0xFFFF, i & 0xFFFF)
        duration = "%d" % (i % 100000)
    nn = i % 3
    nets = NETS[nn] % ((b1, b2, b1) * (nn + 1))
    return RICH_FMT % (
        iid, acct_json(acct) if acct is not None else "", uuid, name, created,
        (t + 86400 + (h >> 20) % 86400) * 1000 + (h >> 40) % 1000,
        (h >> 8) % 10000, (h >> 24) % 100, ((h >> 32) % 1000000) / 1024.0,
        (i >> 16) & 255, b1, b2, ipv6, cidr, mac, TAGS[i % 4][h % 16],
        "%s:%s:%s:%s:%s:%s" % (m[0:2], m[2:4], m[4:6], m[6:8], m[8:10], m[10:12]), i % 4, nets,
        ENVS[i % 3], i % 7, i % 97, ZONES[i % 4][:-1], ZONES[i % 4], iid * 3,
        "null" if iid % 3 == 0 else '"value-%d"' % iid, "true" if i % 2 == 0 else "false",
        18446744073709551615 - i * 1000 - (h % 1000), duration,
        base64.b64encode(d * 2).decode(), PAD[: 20 + (h % 50)])


def small_item(i, seed, acct, akey):
    return '{"id":%d,%s"name":"item-%d"}' % (i + 1, acct_json(acct), i + 1)


def invalid_item(i, seed, acct, akey):
    """Item i (0-based, id=i+1); id%10 selects the one invalid field."""
    iid = i + 1
    h = mix(seed, akey, i)
    r = iid % 10
    ipv4 = "999.1.1.1" if r == 1 else "10.0.%d.%d" % ((i >> 8) & 255, i & 255)
    mac = "00:1A:2B:3C:4D:ZZ" if r == 2 else fmt_mac(h, 0)
    uuid = "not-a-uuid-%d" % iid if r == 3 else fmt_uuid(h, mix(h, 1), False)
    count = "9223372036854775808" if r == 4 else str(iid * 1000)
    created = "2023-13-45T25:61:00Z" if r == 5 else rfc3339(BASE_T + i * 61, 0)
    cidr = "10.0.0.0/33" if r == 6 else "10.%d.0.0/16" % (i % 256)
    ipv6 = "2001:db8::g%d" % iid if r == 7 else "2001:db8::%x:%x" % (iid >> 16, iid & 0xffff)
    price = "12.34.56" if r == 8 else "%d.5000" % iid
    active = '"yes"' if r == 9 else ("true" if i % 2 else "false")
    return ('{"id":%d,%s"ipv4":"%s","mac":"%s","uuid":"%s","count":%s,"created_at":"%s",'
            '"cidr":"%s","ipv6":"%s","price":"%s","active":%s}') % (
        iid, acct_json(acct), ipv4, mac, uuid, count, created, cidr, ipv6, price, active)


def versioned_item(i, seed, acct, akey):
    """Item i (0-based, id=i+1) at version `seed`: every 5th id (5, 10, ...)
    changes with the seed (name, version, updated_at one day later per
    version), the others stay as at seed 0.  updated_at grows with the id
    (one minute apart, UTC), so `updated_at > max seen` finds exactly the
    rows added (n grew) or changed (seed grew) since: the incremental sync
    tests (sql/sync.sql)."""
    iid = i + 1
    v = seed if iid % 5 == 0 else 0
    name = "item-%d" % iid if v == 0 else "item-%d-v%d" % (iid, v)
    return '{"id":%d,%s"name":"%s","version":%d,"updated_at":"%s"}' % (
        iid, acct_json(acct), name, v, rfc3339(BASE_T + iid * 60 + v * 86400, 0))


# shape=estate: the rich shape generated once per page index with a
# placeholder account, the account id spliced in per request (bench S8:
# 10,000 accounts x 1,000 items must not cost the mock 10M rich_item calls).
# Rows differ per account in "account" and in the name suffix only; uuid,
# mac, ... repeat across accounts.  Integer accounts only.
ESTATE_MARK = 987654321987654321
ESTATE_MARK_B = b"987654321987654321"


def estate_template(seed, start, count):
    """Bytes of the JSON array of estate items start..start+count-1 with
    ESTATE_MARK where the account goes (cached; twice per item)."""
    def make():
        ak = acct_key(ESTATE_MARK)
        b = ("[" + ",".join(rich_item(i, seed, ESTATE_MARK, ak) for i in range(start, start + count))
             + "]").encode()
        if b.count(ESTATE_MARK_B) != 2 * count:
            raise AssertionError("estate template: marker found %d times" % b.count(ESTATE_MARK_B))
        return b
    return PAGE_CACHE.get_or_make(("estate-template", seed, start, count), make)


def estate_item(i, seed, acct, akey):
    if not isinstance(acct, int):
        raise BadRequest("shape=estate needs an integer account (/accounts/<integer>/...)")
    return rich_item(i, seed, ESTATE_MARK, acct_key(ESTATE_MARK)).replace(str(ESTATE_MARK), str(acct))


SHAPES = {"rich": rich_item, "small": small_item, "invalid": invalid_item,
          "versioned": versioned_item, "estate": estate_item}


def items_bytes(shape, seed, acct, start, count):
    """Bytes of a JSON array holding items start..start+count-1 (cached)."""
    if shape == "estate":
        if not isinstance(acct, int):
            raise BadRequest("shape=estate needs an integer account (/accounts/<integer>/...)")
        return estate_template(seed, start, count).replace(ESTATE_MARK_B, str(acct).encode())
    key = (shape, seed, acct, start, count)

    def make():
        f = SHAPES[shape]
        ak = acct_key(acct)
        return ("[" + ",".join(f(i, seed, acct, ak) for i in range(start, start + count))
                + "]").encode()
    return PAGE_CACHE.get_or_make(key, make)


# opaque cursors / tokens: base64 of "<kind>:<offset>:<check>"
def make_cursor(kind, offset, ctx):
    raw = "%s:%d:%08x" % (kind, offset, mix(offset, str_hash(ctx)) & 0xFFFFFFFF)
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def read_cursor(kind, tok, ctx):
    try:
        pad = "=" * (-len(tok) % 4)
        k, off, chk = base64.urlsafe_b64decode(tok + pad).decode().split(":")
        off = int(off)
        if k != kind or chk != "%08x" % (mix(off, str_hash(ctx)) & 0xFFFFFFFF) or off < 0:
            raise ValueError
        return off
    except Exception:
        raise BadRequest("invalid %s %r" % (kind, tok))


# ---------------------------------------------------------------------------
# state: request log, stats, faults
# ---------------------------------------------------------------------------

class State:
    def __init__(self):
        self.lock = threading.Lock()
        self.reset()
        self.logf = None
        self.log_lock = threading.Lock()

    def reset(self):
        self.requests = collections.deque(maxlen=200000)
        self.routes = {}            # route -> [count, inflight, max_concurrent]
        self.total = 0
        # requests in flight during a reset still decrement on their way out
        self.inflight = getattr(self, "inflight", 0)
        self.max_inflight = self.inflight
        self.faults = []
        self.fault_seq = 0
        self.expect_sha = None
        self.expect_issued = False  # expect_token?issued=1: tokens /_oauth issued
        self.enforce = False
        self.oauth = {}             # kind -> config (see /_mock/oauth)
        self.oauth_tokens = {}      # issued access token -> (kind, expiry)
        self.gh_token_inst = {}     # GitHub installation token -> installation id
        self.aws_skew = 0           # seconds added to the mock's clock (SigV4)
        self.aws_seq = 0            # request ids of AWS error replies
        self.aws_faults = []        # /_mock/aws_fail: per region error replies
        # STS (/_mock/aws?role_lifetime_s=&external_id=): temporary keys
        # issued by AssumeRole, access key id -> dict(secret, token, exp,
        # account, role)
        self.aws_role_lifetime = 3600
        self.aws_external_id = None
        self.aws_issued = {}
        # list-then-get (/_mock/aws?ecs_clusters=&ecs_services=&eks_clusters=):
        # ECS clusters per region, services per cluster, EKS clusters
        self.aws_ecs_clusters = 2
        self.aws_ecs_services = 3
        self.aws_eks_clusters = 2

    def begin(self, route):
        with self.lock:
            r = self.routes.get(route)
            if r is None:
                r = self.routes[route] = [0, 0, 0]
            r[0] += 1
            r[1] += 1
            if r[1] > r[2]:
                r[2] = r[1]
            self.total += 1
            self.inflight += 1
            if self.inflight > self.max_inflight:
                self.max_inflight = self.inflight
            return r

    def end(self, r, entry):
        with self.lock:
            r[1] -= 1
            self.inflight -= 1
            self.requests.append(entry)

    def take_fault(self, path, qs=""):
        if not self.faults:
            return None
        with self.lock:
            for f in self.faults:
                if not path.startswith(f["route"]):
                    continue
                # query=S: only requests whose query string contains S (pages
                # fetched concurrently arrive in any order)
                if f.get("query") and f["query"] not in qs:
                    continue
                f["matched"] += 1
                if f["matched"] <= f["after"]:
                    continue
                if f["count"] != -1 and f["fired"] >= f["count"]:
                    continue
                f["fired"] += 1
                if f["count"] != -1 and f["fired"] >= f["count"]:
                    self.faults.remove(f)     # exhausted: no longer listed
                return dict(f)
        return None

    def log(self, line):
        if self.logf is None:
            return
        with self.log_lock:
            self.logf.write(line)
            self.logf.flush()


STATE = State()
RL_LOCK = threading.Lock()
RL_WINDOWS = {}     # /ratelimited/: token -> (window second, requests in it)
CONFIG = {"shared": None, "own": None, "log_connections": False}

FAULT_MODES = {"429", "429date", "500", "502", "503", "404", "401", "403", "reset",
               "truncate", "badjson", "slow", "stall", "huge", "ratelimit", "aws_expired"}

ERROR_MESSAGES = {
    401: "Bad credentials",
    403: "Resource not accessible by integration",
    404: "Not Found",
    500: "Server Error",
    502: "Server Error",
    503: "Service Unavailable",
    429: "API rate limit exceeded",
}

REASONS = http.server.BaseHTTPRequestHandler.responses

# ---------------------------------------------------------------------------
# generated collections
# ---------------------------------------------------------------------------

STYLES = ("link", "next_url", "next_token", "page", "offset")


def page_size(q, default=100):
    for name in ("per_page", "limit", "maxResults"):
        if q.get(name) not in (None, ""):
            return qint(q, name, default, 1, 1000000)
    return default


def with_params(path, pairs, **changes):
    """Query string = original pairs with some params replaced/removed."""
    out = []
    done = set()
    for k, v in pairs:
        if k in changes:
            if k in done:
                continue
            done.add(k)
            if changes[k] is not None:
                out.append((k, str(changes[k])))
        else:
            out.append((k, v))
    for k, v in changes.items():
        if k not in done and v is not None:
            out.append((k, str(v)))
    return path + ("?" + urllib.parse.urlencode(out) if out else "")


def collection(h, path, pairs, q, style, name, shape_default, acct=None):
    """Return (status, headers, body) for one page of a generated collection."""
    n = qint(q, "n", 1000, 0, 10 ** 9)
    per = page_size(q)
    seed = qint(q, "seed", 0)
    shape = q.get("shape") or shape_default
    if shape not in SHAPES:
        raise BadRequest("shape must be rich, small, invalid, versioned or estate")
    base = h.base_url()
    ctx = "%s|%s|%d|%s" % (path, shape, n, acct)
    headers = [("Content-Type", "application/json; charset=utf-8"),
               ("X-Total-Count", str(n))]

    if style in ("link", "page"):
        page = qint(q, "page", 1, 1)
        start = (page - 1) * per
        last = max(1, (n + per - 1) // per)
        count = max(0, min(per, n - start))
        arr = items_bytes(shape, seed, acct, start, count) if count else b"[]"
        if style == "link":
            links = []
            if page < last:
                links.append('<%s%s>; rel="next"' % (base, with_params(path, pairs, page=page + 1)))
                links.append('<%s%s>; rel="last"' % (base, with_params(path, pairs, page=last)))
            if page > 1:
                links.append('<%s%s>; rel="first"' % (base, with_params(path, pairs, page=1)))
                links.append('<%s%s>; rel="prev"' % (base, with_params(path, pairs, page=min(page - 1, last))))
            if links:
                headers.append(("Link", ", ".join(links)))
            return 200, headers, arr
        if count == 0:
            return 200, headers, b'{"items":[]}'
        return 200, headers, b'{"items":' + arr + b',"total":' + str(n).encode() + b"}"

    if style == "offset":
        off = qint(q, "offset", 0, 0)
        lim = qint(q, "limit", per, 1, 1000000)
        count = max(0, min(lim, n - off))
        arr = items_bytes(shape, seed, acct, off, count) if count else b"[]"
        return 200, headers, b'{"items":' + arr + b"}"

    if style == "next_url":
        cur = q.get("cursor")
        start = read_cursor("cursor", cur, ctx) if cur else 0
        count = max(0, min(per, n - start))
        arr = items_bytes(shape, seed, acct, start, count) if count else b"[]"
        if start + count < n:
            nxt = jdump(base + with_params(path, pairs, cursor=make_cursor("cursor", start + count, ctx)))
        else:
            nxt = b"null"
        # meta_total=1: DigitalOcean's {"meta":{"total":n}} on every page
        meta = b',"meta":{"total":' + str(n).encode() + b"}" if q.get("meta_total") == "1" else b""
        return 200, headers, b'{"items":' + arr + b',"next":' + nxt + meta + b"}"

    if style == "next_token":
        tok = q.get("pageToken")
        start = read_cursor("token", tok, ctx) if tok else 0
        count = max(0, min(per, n - start))
        arr = items_bytes(shape, seed, acct, start, count) if count else b"[]"
        # remaining=1: Kubernetes' {"metadata":{"remainingItemCount":N}}, the
        # items after this page, on every page but the last
        rem = b""
        if q.get("remaining") == "1" and start + count < n:
            rem = b',"metadata":{"remainingItemCount":' + str(n - start - count).encode() + b"}"
        if start + count < n:
            return 200, headers, (b'{"items":' + arr + rem + b',"nextPageToken":"' +
                                  make_cursor("token", start + count, ctx).encode() + b'"}')
        return 200, headers, b'{"items":' + arr + b"}"
    raise BadRequest("unknown style %r (link, next_url, next_token, page, offset)" % style)


def generated_route(h, route, parts, pairs, q):
    """The generated collections /gen/<style>/<name> and
    /accounts/<id>/<name>: (status, headers, body), or None for another
    route.  h: the handler (base_url)."""
    if route.startswith("/gen/") and len(parts) >= 4:
        style, name = parts[2], "/".join(parts[3:])
        shape = "rich"
        if style == "invalid":
            style, shape = q.get("style") or "link", "invalid"
            if "n" not in q:
                q["n"] = "100"
        return collection(h, route, pairs, q, style, name, shape)
    if route.startswith("/accounts/") and len(parts) >= 4 and parts[2]:
        aid = urllib.parse.unquote(parts[2])
        fails = set(x.strip() for x in q.get("fail_accounts", "").split(",") if x.strip())
        if aid in fails:
            return 500, JSON_H, jdump({"message": "mock: account %s fails (fail_accounts)" % aid,
                                       "documentation_url": "https://example.invalid/docs"})
        acct = int(aid) if re.fullmatch(r"-?\d{1,18}", aid) else aid
        return collection(h, route, pairs, q, q.get("style") or "next_token",
                          "/".join(parts[3:]), "rich", acct=acct)
    return None


def route_cfg(rest, route, **ints):
    """/<route>/<k=v,...>/<api path> (the test routes configured in their
    first segment): the k=v pairs, the integers named in `ints` read with
    their defaults, and the api path; BadRequest when they do not parse."""
    cfg_s, _, api = rest.partition("/")
    try:
        cfg = dict(kv.split("=", 1) for kv in cfg_s.split(",") if kv)
        for k, d in ints.items():
            cfg[k] = int(cfg.get(k, d))
    except ValueError:
        raise BadRequest("/%s/<k=v,...>/<api path>" % route)
    return cfg, api


# ---------------------------------------------------------------------------
# incremental APIs: GitHub issues with `since`, GCP operations with `filter`
# ---------------------------------------------------------------------------
#
# /incr/<cfg>/<api path>, cfg = comma-separated k=v (base_url carries it):
#   n      items 1..n (default 30)     per   page size (default 10; the
#   seed   every 5th item changes      tie   K: one more item (number 999)
#          (a day later per version)         updated at item K's first time
#                                            (it arrived later, in the same
#                                            second as the cursor K left)
# GET /repos/{owner}/{repo}/issues  GitHub issues, Link-header pages; since=T
#     returns the items updated at or after T (as GitHub's since).
# GET /compute/v1/projects/{p}/aggregated/operations  GCP operations under
#     items/zones/<z>/operations, pageToken pages; filter=creationTimestamp
#     >= "T" (or >) compares times; other filters are a 400.

# ---------------------------------------------------------------------------
# detail calls (hydrate): a GitHub-like listing whose rows each have details
# ---------------------------------------------------------------------------
#
# /hyd/<cfg>/<api path>, cfg = comma-separated k=v (base_url carries it):
#   n      repositories 1..n (default 5)   per    page size (default 100)
#   delay  ms each detail call sleeps (default 0)
#   fail   repo names whose detail calls answer 500 (separated by "+")
#   gone   repo names whose /repos/{o}/{r} answers 404 (separated by "+")
# GET /orgs/{org}/repos                      the list (Link-header pages)
# GET /repos/{owner}/{repo}                  details: security_and_analysis,
#     subscribers_count (only here, as GitHub's list omits them)
# GET /repos/{o}/{r}/branches/{b}/protection repo-N with N even: protected
#     (2 required reviews, admins enforced); odd: 404 "Branch not protected",
#     as GitHub answers for an unprotected branch
# GET /compute/v1/projects/{p}/zones/{z}/instances               GCP-like list
# GET /compute/v1/projects/{p}/zones/{z}/instances/{i}/getIamPolicy  a policy

def hyd_route(h, rest, pairs, q):
    cfg, api = route_cfg(rest, "hyd", n=5, per=100, delay=0)
    cfg_s = rest.partition("/")[0]
    n, per, delay = cfg["n"], cfg["per"], cfg["delay"]
    fail = set(x for x in cfg.get("fail", "").split("+") if x)
    gone = set(x for x in cfg.get("gone", "").split("+") if x)
    api = "/" + api

    def detail_wait():
        if delay and not h.nap(delay / 1000.0):
            h.close_connection = True
            h.status = 499
            return False
        return True

    m = re.fullmatch(r"/orgs/([^/]+)/repos", api)
    if m:
        org = urllib.parse.unquote(m.group(1))
        page = qint(q, "page", 1, 1)
        rows = [{"id": 7000 + i, "name": "repo-%d" % i, "full_name": "%s/repo-%d" % (org, i),
                 "owner": {"login": org}, "private": i % 3 == 0, "archived": False,
                 "default_branch": "main" if i % 4 else "trunk",
                 "pushed_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(BASE_T + i * 3600))}
                for i in range((page - 1) * per + 1, min(n, page * per) + 1)]
        headers = list(JSON_H)
        if page * per < n:
            headers.append(("Link", '<%s%s>; rel="next"' % (
                h.base_url(), with_params("/hyd/" + cfg_s + api, pairs, page=page + 1))))
        return 200, headers, jdump(rows)
    m = re.fullmatch(r"/repos/([^/]+)/([^/]+)", api)
    if m:
        owner, repo = urllib.parse.unquote(m.group(1)), urllib.parse.unquote(m.group(2))
        if not detail_wait():
            return None, None, None
        if repo in fail:
            return 500, JSON_H, jdump({"message": "mock: details of %s fail (fail)" % repo})
        if repo in gone:
            return 404, JSON_H, jdump({"message": "Not Found"})
        i = int(repo.rsplit("-", 1)[-1]) if re.fullmatch(r"repo-\d+", repo) else 0
        return 200, JSON_H, jdump({
            "id": 7000 + i, "name": repo, "full_name": "%s/%s" % (owner, repo),
            "subscribers_count": i * 10,
            "security_and_analysis": {
                "secret_scanning": {"status": "enabled" if i % 2 == 0 else "disabled"},
                "dependabot_security_updates": {"status": "enabled"}}})
    m = re.fullmatch(r"/repos/([^/]+)/([^/]+)/branches/([^/]+)/protection", api)
    if m:
        repo = urllib.parse.unquote(m.group(2))
        if not detail_wait():
            return None, None, None
        if repo in fail:
            return 500, JSON_H, jdump({"message": "mock: protection of %s fails (fail)" % repo})
        i = int(repo.rsplit("-", 1)[-1]) if re.fullmatch(r"repo-\d+", repo) else 1
        if i % 2:
            return 404, JSON_H, jdump({"message": "Branch not protected",
                                       "documentation_url": "https://docs.github.com/rest"})
        return 200, JSON_H, jdump({
            "url": "%s/hyd/%s%s" % (h.base_url(), cfg_s, api),
            "required_pull_request_reviews": {"required_approving_review_count": 2,
                                              "dismiss_stale_reviews": True},
            "enforce_admins": {"enabled": True}})
    m = re.fullmatch(r"/compute/v1/projects/([^/]+)/zones/([^/]+)/instances", api)
    if m:
        items = [{"id": str(9000 + i), "name": "vm-%d" % i, "status": "RUNNING",
                  "zone": "https://www.googleapis.com/compute/v1/projects/%s/zones/%s" % (m.group(1), m.group(2))}
                 for i in range(1, n + 1)]
        return 200, JSON_H, jdump({"kind": "compute#instanceList", "items": items})
    m = re.fullmatch(r"/compute/v1/projects/([^/]+)/zones/([^/]+)/instances/([^/]+)/getIamPolicy", api)
    if m:
        vm = urllib.parse.unquote(m.group(3))
        if not detail_wait():
            return None, None, None
        if vm in fail:
            return 500, JSON_H, jdump({"error": {"code": 500, "message": "mock: policy of %s fails" % vm}})
        return 200, JSON_H, jdump({"version": 1, "etag": "BwX=", "bindings": [
            {"role": "roles/compute.osAdminLogin", "members": ["user:ops@example.com"]}]})
    return 404, JSON_H, jdump({"message": "Not Found (mock: unknown /hyd route %s)" % api})


# GCP Compute lists that are POSTs (sql/gcp_post_lists.sql, test/sdk
# test_post_list): /gpost/<k=v,...>/compute/v1/projects/<p>/...
#   aggregated/instanceGroupManagers, aggregated/instanceGroups (GET): igm-a
#     (us-central1-a), igm-b (europe-west1-b), regional rigm-c (us-central1),
#     and a zone holding only a warning, like the API;
#   {zones/<z>|regions/<r>}/instanceGroupManagers/<g>/listManagedInstances
#     and instanceGroups/<g>/listInstances: POST only (GET: 405); n=N
#     instances per group (default 3), per=K a page (default 2, or a smaller
#     maxResults), pageToken in the query string (a pageToken in the body is
#     a 400: GCP pages these in the URL); the body must be empty or a JSON
#     object; listInstances honours {"instanceState": "RUNNING"} (even
#     instances are RUNNING, odd ones TERMINATED).
GPOST_GROUPS = [("zones", "us-central1-a", "igm-a"), ("zones", "europe-west1-b", "igm-b"),
                ("regions", "us-central1", "rigm-c")]


def gpost_route(h, method, rest, pairs, q):
    cfg, api = route_cfg(rest, "gpost", n=3, per=2)
    n, per = cfg["n"], cfg["per"]
    api = "/" + api
    gurl = "https://www.googleapis.com/compute/v1/projects/%s/%s/%s"
    m = re.fullmatch(r"/compute/v1/projects/([^/]+)/aggregated/(instanceGroupManagers|instanceGroups)", api)
    if m:
        proj, kind = urllib.parse.unquote(m.group(1)), m.group(2)
        items = {"zones/asia-east1-a": {"warning": {"code": "NO_RESULTS_ON_PAGE",
                                                    "message": "There are no results for scope"}}}
        for i, (sk, scope, g) in enumerate(GPOST_GROUPS):
            row = {"kind": "compute#" + kind[:-1], "id": str(8100 + i), "name": g,
                   "selfLink": gurl % (proj, sk + "/" + scope, kind + "/" + g),
                   sk[:-1]: gurl % (proj, sk, scope), "targetSize": n}
            items.setdefault("%s/%s" % (sk, scope), {kind: []})[kind].append(row)
        return 200, JSON_H, jdump({"kind": "compute#aggregatedList", "items": items})
    m = re.fullmatch(r"/compute/v1/projects/([^/]+)/(zones|regions)/([^/]+)/"
                     r"(instanceGroupManagers/([^/]+)/listManagedInstances|instanceGroups/([^/]+)/listInstances)", api)
    if not m:
        return 404, JSON_H, jdump({"error": {"code": 404, "message": "mock: unknown /gpost route %s" % api}})
    if method != "POST":
        return 405, JSON_H, jdump({"error": {"code": 405, "message": "mock: %s takes POST, not %s" % (api, method)}})
    try:
        body = json.loads(h.req_body.decode("utf-8")) if h.req_body else {}
    except ValueError:
        body = None
    if not isinstance(body, dict):
        return 400, JSON_H, jdump({"error": {"code": 400, "message": "mock: the body is not a JSON object"}})
    if "pageToken" in body:
        return 400, JSON_H, jdump({"error": {"code": 400, "message": "mock: pageToken goes in the query string"}})
    proj, sk, scope = urllib.parse.unquote(m.group(1)), m.group(2), urllib.parse.unquote(m.group(3))
    g = urllib.parse.unquote(m.group(5) or m.group(6))
    if (sk, scope, g) not in GPOST_GROUPS:
        return 404, JSON_H, jdump({"error": {"code": 404, "message": "mock: no group %s in %s" % (g, scope)}})
    rows = []
    for i in range(1, n + 1):
        inst = gurl % (proj, "zones/" + (scope if sk == "zones" else scope + "-a"), "instances/%s-%d" % (g, i))
        if m.group(5):
            rows.append({"instance": inst, "id": str(9000 + 100 * GPOST_GROUPS.index((sk, scope, g)) + i),
                         "name": "%s-%d" % (g, i), "instanceStatus": "RUNNING",
                         "currentAction": "NONE" if i % 2 else "VERIFYING",
                         "version": {"name": "v1", "instanceTemplate": "tpl-1"}})
        elif body.get("instanceState") != "RUNNING" or i % 2 == 0:
            rows.append({"instance": inst, "status": "RUNNING" if i % 2 == 0 else "TERMINATED",
                         "namedPorts": [{"name": "http", "port": 80}]})
    per = min(per, qint(q, "maxResults", per, 1))
    start = qint(q, "pageToken", 0, 0)
    out = {"managedInstances" if m.group(5) else "items": rows[start:start + per]}
    if start + per < len(rows):
        out["nextPageToken"] = str(start + per)
    return 200, JSON_H, jdump(out)


# ---------------------------------------------------------------------------
# batched joins: teams and their members, members listable with or without
# a team filter (sql/pushdown_join_cost.sql)
# ---------------------------------------------------------------------------
#
# /jn/<cfg>/<api path>, cfg = comma-separated k=v (base_url carries it):
#   n  teams team-1..team-n (default 5)   m  members per team (default 3)
# GET /jn/<cfg>/teams            [{"name": "team-i", "size": m}, ...]
# GET /jn/<cfg>/members[?team=T] [{"team": "team-i", "login": "u-i-j"}, ...],
#     only team T's with ?team=T (an exact filter: the API's guarantee)

def jn_route(rest, q):
    cfg, api = route_cfg(rest, "jn", n=5, m=3)
    n, m = cfg["n"], cfg["m"]
    if api == "teams":
        return 200, JSON_H, jdump([{"name": "team-%d" % i, "size": m} for i in range(1, n + 1)])
    if api == "members":
        team = q.get("team")
        return 200, JSON_H, jdump([{"team": "team-%d" % i, "login": "u-%d-%d" % (i, j)}
                                   for i in range(1, n + 1) for j in range(1, m + 1)
                                   if team is None or team == "team-%d" % i])
    return 404, JSON_H, jdump({"message": "Not Found (mock: unknown /jn route %s)" % api})


INCR_FILTER = re.compile(r'^\s*creationTimestamp\s*(>=|>)\s*"([^"\\]*)"\s*$')


def incr_time(s):
    """RFC 3339 (Z, offset, fraction) -> epoch seconds (float)."""
    m = re.fullmatch(r"(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(\.\d+)?(Z|[+-]\d\d:\d\d)", s or "")
    if not m:
        raise BadRequest("mock: not an RFC 3339 time: %r" % s)
    y, mo, d, hh, mi, ss = (int(x) for x in m.groups()[:6])
    t = calendar.timegm((y, mo, d, hh, mi, ss, 0, 0, 0)) + float(m.group(7) or 0)
    if m.group(8) != "Z":
        sign = 1 if m.group(8)[0] == "+" else -1
        t -= sign * (int(m.group(8)[1:3]) * 3600 + int(m.group(8)[4:6]) * 60)
    return t


def incr_items(cfg):
    """(number, version, epoch) of every item, newest last."""
    n = int(cfg.get("n", 30))
    seed = int(cfg.get("seed", 0))
    out = []
    for i in range(1, n + 1):
        v = seed if i % 5 == 0 else 0
        out.append((i, v, BASE_T + i * 60 + v * 86400))
    if cfg.get("tie"):
        out.append((999, 0, BASE_T + int(cfg["tie"]) * 60))
    return out


def incr_route(h, rest, pairs, q):
    cfg, api = route_cfg(rest, "incr", per=10)
    cfg_s = rest.partition("/")[0]
    per = cfg["per"]
    api = "/" + api
    items = incr_items(cfg)
    gh = re.fullmatch(r"/repos/([^/]+)/([^/]+)/issues", api)
    if gh:
        if q.get("since"):
            since = incr_time(q["since"])
            items = [x for x in items if x[2] >= since]
        page = qint(q, "page", 1, 1)
        rows = []
        for num, v, t in items[(page - 1) * per:page * per]:
            ts = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))
            rows.append({"id": 5000 + num, "number": num, "title": "issue %d%s" % (num, "-v%d" % v if v else ""),
                         "state": "open", "locked": False, "comments": v,
                         "user": {"login": "octocat"}, "labels": [], "assignees": [],
                         "created_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(BASE_T + num * 60)),
                         "updated_at": ts, "closed_at": None, "author_association": "OWNER",
                         "body": None, "html_url": "https://github.com/%s/%s/issues/%d" % (gh.group(1), gh.group(2), num)})
        headers = list(JSON_H)
        if page * per < len(items):
            route = "/incr/" + cfg_s + api
            headers.append(("Link", '<%s%s>; rel="next"' % (h.base_url(), with_params(route, pairs, page=page + 1))))
        return 200, headers, jdump(rows)
    gcp = re.fullmatch(r"/compute/v1/projects/([^/]+)/aggregated/operations", api)
    if gcp:
        f = q.get("filter")
        if f:
            m = INCR_FILTER.match(f)
            if not m:
                return 400, JSON_H, jdump({"error": {"code": 400, "message": "Invalid value for field 'filter': '%s'." % f[:200],
                                                     "errors": [{"reason": "invalid"}]}})
            lim = incr_time(m.group(2))
            items = [x for x in items if (x[2] >= lim if m.group(1) == ">=" else x[2] > lim)]
        tok = q.get("pageToken")
        start = int(tok) if tok and tok.isdigit() else 0
        ops = []
        for num, v, t in items[start:start + per]:
            # Compute's times carry the Pacific offset: -08:00 in winter
            ct = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t - 8 * 3600)) + ".000-08:00"
            ops.append({"kind": "compute#operation", "id": str(7000 + num), "name": "operation-%d" % num,
                        "operationType": "insert", "status": "DONE" if v == 0 else "RUNNING",
                        "creationTimestamp": ct, "insertTime": ct,
                        "zone": "https://www.googleapis.com/compute/v1/projects/%s/zones/us-central1-a" % gcp.group(1)})
        body = {"kind": "compute#operationAggregatedList",
                "items": {"zones/us-central1-a": {"operations": ops} if ops else
                          {"warning": {"code": "NO_RESULTS_ON_PAGE"}}}}
        if start + per < len(items):
            body["nextPageToken"] = str(start + per)
        return 200, JSON_H, jdump(body)
    return 404, JSON_H, jdump({"message": "Not Found (mock: /incr has no %s)" % api})


# ---------------------------------------------------------------------------
# replay of recordings
# ---------------------------------------------------------------------------

PAGINATION_PARAMS = {"page", "cursor", "pagetoken", "page_token", "continue", "after",
                     "since", "before", "offset", "marker", "starting_after", "next_token",
                     "nexttoken", "until"}
HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "upgrade", "te", "trailer",
              "proxy-authenticate", "proxy-authorization", "content-length",
              "content-encoding", "status", "date"}
API_ROOTS = {
    "github": [b"https://api.github.com", b"https://uploads.github.com"],
    "digitalocean": [b"https://api.digitalocean.com"],
    "gcp": [b"https://www.googleapis.com", b"https://compute.googleapis.com"],
    "kubernetes": [b"https://kubernetes.default.svc", b"https://127.0.0.1:6443",
                   b"https://localhost:6443"],
}


class Rec:
    __slots__ = ("method", "path", "qpairs", "status", "headers", "body", "roots", "origin")

    def __init__(self, method, full_path, status, headers, body, roots, origin):
        self.method = method.upper()
        p, _, qs = full_path.partition("?")
        self.path = urllib.parse.unquote(p)
        self.qpairs = sorted(urllib.parse.parse_qsl(qs, keep_blank_values=True))
        self.status = int(status)
        self.headers = headers
        self.body = body
        self.roots = roots
        self.origin = origin


_REC_CACHE = {}
_REC_LOCK = threading.Lock()


def body_of(resp):
    if resp is None:
        return b""
    if isinstance(resp, str):
        return resp.encode()
    return json.dumps(resp, ensure_ascii=False).encode()


def parse_recording_file(fn, source):
    with open(fn, "rb") as f:
        data = json.load(f)
    if isinstance(data, dict):
        data = data.get("recordings") or [data]
    roots = list(API_ROOTS.get(source, []))
    recs = []
    for idx, e in enumerate(data):
        origin = "%s#%d" % (fn, idx)
        if "request_url" in e:      # kubernetes (k8s-openapi) format
            body = e.get("response_body") or ""
            recs.append(Rec(e.get("request_method", "GET"), e["request_url"],
                            e.get("response_status_code", 200),
                            [("Content-Type", "application/json")], body.encode(), roots, origin))
            continue
        scope = e.get("scope")
        r = list(roots)
        if scope:
            sc = scope.encode()
            if sc.endswith(b":443"):
                sc = sc[:-4]
            if sc not in r:
                r.insert(0, sc)
        hdrs = []
        raw_h = e.get("headers") or {}
        if isinstance(raw_h, list):          # [[name, value], ...] also accepted
            raw_h = {k: v for k, v in raw_h}
        for k, v in raw_h.items():
            if k.lower() in HOP_BY_HOP:
                continue
            hdrs.append((k, str(v)))
        if not any(k.lower() == "content-type" for k, _ in hdrs):
            if not isinstance(e.get("response"), str):
                hdrs.append(("Content-Type", "application/json; charset=utf-8"))
        recs.append(Rec(e.get("method", "GET"), e["path"], e.get("status", 200), hdrs,
                        body_of(e.get("response")), r, origin))
    return recs


def load_file_recordings(fn, source):
    try:
        mt = os.stat(fn).st_mtime_ns
    except OSError:
        return None
    with _REC_LOCK:
        c = _REC_CACHE.get(fn)
        if c and c[0] == mt:
            return c[1]
    recs = parse_recording_file(fn, source)
    with _REC_LOCK:
        _REC_CACHE[fn] = (mt, recs)
    return recs


def read_shared(rel):
    if not CONFIG["shared"]:
        return None
    fn = os.path.join(CONFIG["shared"], rel)
    try:
        with open(fn, "rb") as f:
            return f.read()
    except OSError:
        return None


JSON_H = [("Content-Type", "application/json; charset=utf-8")]

# Built-in tables for body-only recordings: scenario -> list of
# (method, path regex, required pagination params, file or callable)
DO_TABLE = {
    "droplets": [("GET", r"/v2/droplets", {}, "digitalocean/list_nodes_page_1.json"),
                 ("GET", r"/v2/droplets", {"page": "2"}, "digitalocean/list_nodes.json")],
    "droplets-single": [("GET", r"/v2/droplets", {}, "digitalocean/list_nodes.json")],
    "droplets-empty": [("GET", r"/v2/droplets", {}, "digitalocean/list_nodes_empty.json")],
}
GCP_REGIONS_TOKEN = "CjQIz5W-w6HRxAI6KQoCGAEKAiAACgIYAQoCIAAKAhgTCg4qDGV1cm9wZS13ZXN0MQoDIMwI"


def gcp_regions_last(project):
    return jdump({"kind": "compute#regionList",
                  "id": "projects/%s/regions" % project,
                  "selfLink": "https://www.googleapis.com/compute/v1/projects/%s/regions" % project})


GCP_TABLE = [
    ("GET", r"/compute/v1/projects/([^/]+)/zones/us-central1-a/instances", {},
     "gcp/zones_us-central1-a_instances.json"),
    ("GET", r"/compute/v1/projects/([^/]+)/regions", {}, "gcp/regions-paged-1.json"),
    ("GET", r"/compute/v1/projects/([^/]+)/regions", {"pageToken": GCP_REGIONS_TOKEN},
     gcp_regions_last),
]


def builtin_replay(source, scenario, method, path, qd):
    """Returns (matched, status, headers, body, roots, candidates)."""
    if source == "digitalocean":
        table = DO_TABLE.get(scenario)
        if table is None:
            return False, None, None, None, None, ["scenarios: " + ", ".join(sorted(DO_TABLE))]
    elif source == "gcp":
        table = GCP_TABLE
        if not path.startswith("/compute/v1/"):
            path = "/compute/v1" + path
    else:
        return False, None, None, None, None, []
    pq = {k: v for k, v in qd.items() if k.lower() in PAGINATION_PARAMS}
    if pq.get("page") == "1":
        del pq["page"]
    cands = []
    for m, rx, need, src in table:
        mo = re.fullmatch(rx, path)
        cands.append("%s %s %s" % (m, rx, urllib.parse.urlencode(need)))
        if not mo or m != method or need != pq:
            continue
        if callable(src):
            return True, 200, JSON_H, src(*mo.groups()), API_ROOTS[source], None
        body = read_shared(src)
        if body is None:
            return False, None, None, None, None, ["shared fixtures absent: " + src]
        return True, 200, JSON_H, body, API_ROOTS[source], None
    return False, None, None, None, None, cands


def replay(h, method, rest, qs):
    parts = rest.split("/", 2)   # source, scenario, api path
    if len(parts) < 2 or not parts[0] or not parts[1]:
        raise BadRequest("use /replay/<source>/<scenario>/<api path>")
    source, scenario = parts[0], parts[1]
    if not re.fullmatch(r"[A-Za-z0-9_.-]+", source) or not re.fullmatch(r"[A-Za-z0-9_.-]+", scenario) \
            or ".." in source or ".." in scenario:
        raise BadRequest("bad source or scenario name")
    api_path = "/" + (parts[2] if len(parts) > 2 else "")
    api_path_u = urllib.parse.unquote(api_path)
    qpairs = sorted(urllib.parse.parse_qsl(qs, keep_blank_values=True))
    qd = dict(qpairs)
    prefix = ("%s/replay/%s/%s" % (h.base_url(), source, scenario)).encode()

    recs = None
    tried = []
    for d in (CONFIG["own"], CONFIG["shared"]):
        if not d:
            continue
        fn = os.path.join(d, source, scenario + ".json")
        tried.append(fn)
        recs = load_file_recordings(fn, source)
        if recs is not None:
            break
    if recs is None:
        ok, st, hd, body, roots, cands = builtin_replay(source, scenario, method, api_path_u, qd)
        if not ok:
            return 404, JSON_H, jdump({
                "message": "mock: no recording for %s %s%s" % (
                    method, api_path, "?" + qs if qs else ""),
                "source": source, "scenario": scenario, "looked_in": tried,
                "candidates": cands[:50]})
    else:
        same = [r for r in recs if r.method == method and
                (r.path == api_path_u or r.path.rstrip("/") == api_path_u.rstrip("/"))]
        pick = None
        for r in same:
            if r.qpairs == qpairs:
                pick = r
                break
        if pick is None:
            def pag(pairs):
                d = {k: v for k, v in pairs if k.lower() in PAGINATION_PARAMS}
                if d.get("page") == "1":
                    del d["page"]
                return d
            want = pag(qpairs)
            for r in same:
                if pag(r.qpairs) == want:
                    pick = r
                    break
        if pick is None:
            cands = ["%s %s%s" % (r.method, r.path, "?" + urllib.parse.urlencode(r.qpairs)
                                  if r.qpairs else "") for r in (same or recs)]
            return 404, JSON_H, jdump({
                "message": "mock: no recording for %s %s%s" % (
                    method, api_path, "?" + qs if qs else ""),
                "source": source, "scenario": scenario, "candidates": cands[:50]})
        st, hd, body, roots = pick.status, pick.headers, pick.body, pick.roots

    out_h = []
    for k, v in hd:
        if k.lower() in ("link", "location"):
            vb = v.encode()
            for root in roots:
                vb = vb.replace(root, prefix)
            v = vb.decode()
        out_h.append((k, v))
    for root in roots:
        if root in body:
            body = body.replace(root, prefix)
    return st, out_h, body


# ---------------------------------------------------------------------------
# synthesized replies for every table of every source spec (test/synth)
# ---------------------------------------------------------------------------

_SYNTH = []


def synth_module():
    if not _SYNTH:
        if CONFIG["shared"] and not os.environ.get("CQ_SHARED_FIXTURES"):
            os.environ["CQ_SHARED_FIXTURES"] = CONFIG["shared"]   # the descriptions are next to them
        sys.path.insert(0, os.path.join(REPO, "test", "synth"))
        import synth as mod
        _SYNTH.append(mod)
    return _SYNTH[0]


# a cluster with two CustomResourceDefinitions (sql/k8s_crd.sql):
# /crd/apis/apiextensions.k8s.io/v1/customresourcedefinitions, and the
# objects of each CRD, paged by limit/continue like the API server
_CRD_DOC = None


def crd_route(h, rest, q):
    global _CRD_DOC
    if _CRD_DOC is None:
        with open(os.path.join(REPO, "test", "fixtures", "kubernetes", "k8s-crd-cluster.json")) as f:
            _CRD_DOC = json.load(f)
    if rest == "apis/apiextensions.k8s.io/v1/customresourcedefinitions":
        return 200, JSON_H, jdump(_CRD_DOC["customresourcedefinitions"])
    m = re.fullmatch(r"apis/([^/]+)/([^/]+)/(?:namespaces/([^/]+)/)?([^/]+)", rest)
    if not m or "%s/%s/%s" % (m.group(1), m.group(2), m.group(4)) not in _CRD_DOC["objects"]:
        return 404, JSON_H, jdump({"kind": "Status", "apiVersion": "v1", "status": "Failure",
                                   "reason": "NotFound", "code": 404,
                                   "message": "the server could not find the requested resource"})
    items = _CRD_DOC["objects"]["%s/%s/%s" % (m.group(1), m.group(2), m.group(4))]
    if m.group(3):
        items = [o for o in items if o["metadata"].get("namespace") == m.group(3)]
    start = int(q.get("continue") or "0")
    limit = min(int(q.get("limit") or "500"), 2)     # two per page: the scan follows continue
    page = items[start:start + limit]
    meta = {"resourceVersion": "90200"}
    if start + limit < len(items):
        meta["continue"] = str(start + limit)
    return 200, JSON_H, jdump({"kind": "List", "apiVersion": "v1", "metadata": meta, "items": page})


def synth_route(h, rest, pairs):
    """/synth/<source>/<table>/<api path>: the page of test/synth/synth.py's
    reply for the table that the request's paging parameters select."""
    parts = rest.split("/", 2)
    if len(parts) < 2 or not re.fullmatch(r"[a-z0-9_]+", parts[0]) or not re.fullmatch(r"[a-z0-9_]+", parts[1]):
        raise BadRequest("use /synth/<source>/<table>/<api path>")
    sy = synth_module()
    source, table = parts[0], parts[1]
    try:
        plan = sy.plan_of(source, table, CONFIG.get("specs") or sy.SPEC_DIR)
    except (OSError, sy.SynthError) as e:
        return 404, JSON_H, jdump({"message": "mock: synth: %s" % e})
    api_path = "/" + (parts[2] if len(parts) > 2 else "")
    base = "%s/synth/%s/%s" % (h.base_url(), source, table)
    if plan.get("aws"):
        return synth_aws(h, sy, plan, api_path, pairs)
    return sy.reply_for(plan, api_path, pairs, base, h.command.upper(), h.req_body)


def synth_aws(h, sy, plan, api_path, pairs):
    """An AWS table's synthesized page: SigV4 verified (the mock's test keys)
    for the table's service and the expected region, the request in the
    table's protocol (Action= form field, X-Amz-Target, REST method), the
    paging parameters from the form, the JSON body or the query string."""
    aws = plan["aws"]
    proto = aws["protocol"]
    eproto = proto if proto in ("ec2", "query", "json") else ("query" if proto == "rest-xml" else "json")
    raw_path = h.path.split("?", 1)[0]
    if raw_path.startswith("http://") or raw_path.startswith("https://"):
        raw_path = "/" + raw_path.split("/", 3)[-1]
    qs = h.path.partition("?")[2]
    method = h.command
    bad, h.sigv4 = aws_verify(h, method, raw_path, qs, h.req_body, plan["region"], aws["service"])
    if bad:
        return aws_error_reply(eproto, *bad)
    params = dict(pairs)
    d = plan.get("describe")
    if d and proto == "json" and h.headers.get("X-Amz-Target") == "%s.%s" % (aws.get("target_prefix"), d["action"]):
        # list-then-get: the identifiers as the JSON array member d["param"]
        try:
            b = json.loads(h.req_body or b"{}")
        except ValueError:
            b = None
        ids = b.get(d["param"]) if isinstance(b, dict) else None
        if method != "POST" or api_path != "/" or not isinstance(ids, list) or \
                not all(isinstance(x, str) for x in ids) or len(ids) > aws["describe"].get("batch", 1):
            return aws_error_reply(eproto, 400, "InvalidParameterException",
                                   "mock: synth: %s takes a list of at most %d identifiers in %s" % (
                                       d["action"], aws["describe"].get("batch", 1), d["param"]))
        return sy.reply_describe(plan, ids)
    if d and d.get("endpoint") and api_path in d["paths"]:
        if method != aws["describe"].get("method", "GET"):
            return aws_error_reply(eproto, 400, "InvalidAction", "mock: synth: %s takes GET" % d["action"])
        flat = [x for pg in d["ids"] for x in pg]
        return sy.reply_describe(plan, [flat[d["paths"].index(api_path)]])
    want_method = aws.get("method", "GET") if proto.startswith("rest-") else "POST"
    why = None
    if method != want_method:
        why = "method %s, the operation takes %s" % (method, want_method)
    elif proto in ("ec2", "query"):
        form = dict(urllib.parse.parse_qsl(h.req_body.decode("utf-8", "replace"), keep_blank_values=True))
        params.update(form)
        if form.get("Action") != aws.get("action") or form.get("Version") != aws.get("api_version"):
            why = "Action=%s Version=%s, the table's operation is %s %s" % (
                form.get("Action"), form.get("Version"), aws.get("action"), aws.get("api_version"))
    elif proto == "json":
        target = "%s.%s" % (aws.get("target_prefix"), aws.get("action"))
        if h.headers.get("X-Amz-Target") != target:
            why = "X-Amz-Target %s, the table's operation is %s" % (h.headers.get("X-Amz-Target"), target)
        try:
            b = json.loads(h.req_body or b"{}")
        except ValueError:
            b = None
        if not isinstance(b, dict):
            why = "the body is not a JSON object"
        else:
            params.update({k: v for k, v in b.items() if isinstance(v, str)})
    if why is None and api_path != plan["req_path"].split("?", 1)[0]:
        why = "path %s, the operation's is %s" % (api_path, plan["req_path"])
    if why:
        return aws_error_reply(eproto, 400, "InvalidAction", "mock: synth: " + why)
    return sy.reply_aws(plan, params)


# ---------------------------------------------------------------------------
# hostile bodies (built once, cached)
# ---------------------------------------------------------------------------

def bomb_body(mb):
    """gzip stream that inflates to `mb` MiB of JSON (an array of 1 MiB strings).

    Built in ~1 s without compressing `mb` MiB: one 1 MiB element is deflated
    once, ended by a full flush (which resets the window, so its compressed
    bytes are position independent) and repeated; the gzip trailer's CRC is
    computed over the real inflated bytes."""
    def make():
        elem = b'"' + b"A" * (1024 * 1024 - 3) + b'",'
        head, tail = b'{"items":[', b'"end"]}'

        def deflate(data, mode):
            co = zlib.compressobj(9, zlib.DEFLATED, -15)
            return co.compress(data) + co.flush(mode)
        crc = zlib.crc32(head)
        for _ in range(mb):
            crc = zlib.crc32(elem, crc)
        crc = zlib.crc32(tail, crc)
        size = len(head) + len(elem) * mb + len(tail)
        return b"".join([
            b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff",          # gzip header
            deflate(head, zlib.Z_FULL_FLUSH),
            deflate(elem, zlib.Z_FULL_FLUSH) * mb,
            deflate(tail, zlib.Z_FINISH),
            struct.pack("<II", crc & 0xFFFFFFFF, size & 0xFFFFFFFF)])
    return BIG_CACHE.get_or_make(("bomb", mb), make)


def deep_body(depth):
    return BIG_CACHE.get_or_make(("deep", depth),
                                 lambda: b'{"items":' + b"[" * depth + b"]" * depth + b"}")


def longstring_body(mb):
    return BIG_CACHE.get_or_make(("long", mb), lambda: b'[{"id":1,"s":"' + b"x" * (mb * 1024 * 1024) + b'"}]')


BIGPAGE_IDS = {}


def bigpage_body(key, mb):
    """{"items":[{"id":1,"key":"<key>","pad":"ppp..."},...]}: rows of ~1 KB
    up to `mb` MiB, the same for the same (key, mb), as many rows for every
    key.  One page, no next link: a fan-out over keys gets one big page per
    key.  Built with one join (a few ms for 8 MiB), so concurrent requests
    are served concurrently."""
    key = re.sub(r"[^A-Za-z0-9_.-]", "_", urllib.parse.unquote(key))[:64].encode()
    # the same length for every key: the same row count
    part = b',"key":"' + key + b'","pad":"' + b"p" * (1024 - len(key)) + b'"'
    ids = BIGPAGE_IDS.get(mb)
    if ids is None:
        ids, size, i = [], len(b'{"items":[]}'), 1
        while True:
            row = len(b'{"id":') + len(str(i)) + len(part) + 1 + (1 if ids else 0)
            if size + row > mb * 1024 * 1024:
                break
            ids.append(str(i).encode())
            size += row
            i += 1
        BIGPAGE_IDS[mb] = ids
    return b'{"items":[{"id":' + (part + b'},{"id":').join(ids) + part + b'}]}'


def huge_items_array():
    def make():
        n = 58000   # 58000 rich items ~ 50 MB
        return ("[" + ",".join(rich_item(i, 0, None, 0) for i in range(n)) + "]").encode()
    return BIG_CACHE.get_or_make(("huge",), make)


# Numbers a double cannot hold, bytea in both forms, arrays with missing
# members (test/sdk/test_sched.c, sql/types.sql).  Written by hand: Python's
# json module would round the decimals.  slow=1 adds an integer beyond int64
# outside the rows, which sends the page through the SDK's full parser.
NUMBERS_ROWS = (
    b'{"id":1,"dec":123456789012345678901234567890.12345678901234567890,'
    b'"tiny":1e-400,"huge":1e400,"f":1.5,"i":7,'
    b'"nested":{"dec":0.1000000000000000000000000001,"huge":-1E+400,"price":19.90},'
    b'"blob":"\\\\x48656c6c6f","networks":[{"ip":"10.0.0.1"},{"name":"no ip"},{"ip":"10.0.0.3"}],'
    b'"mood":"happy","pct":50,"r":1.5,"tags":["a",null]},'
    b'{"id":2,"dec":19.90,"tiny":0,"huge":2.5,"f":1e400,"i":1e400,'
    b'"nested":{"dec":1,"huge":3,"price":-0.5e-3},'
    b'"blob":"SGVsbG8=","networks":[],"mood":"grumpy","pct":150,"r":1e39,"tags":[]},'
    b'{"id":3,"dec":-0.000000000000000000000000000000000000000000000000001,'
    b'"tiny":1E-400,"huge":"12","f":null,"i":-1e400,"nested":null,'
    b'"blob":"\\\\x 00 ff","networks":[null,{"ip":null},{}],"mood":"sad","pct":-1,"r":-1e39,"tags":null},'
    b'{"id":4,"dec":1e400,"tiny":12345678901234567890.5,"huge":-1e400,"f":2,"i":3,'
    b'"nested":{"dec":2.000000000000000000001},"blob":"\\\\xzz","mood":"meh","pct":"x","r":2}')


# /hostile/numerics: numeric edge cases (sql/types.sql, numeric images):
# "n" as the API sends it (a JSON number, or a string), "s" the same value
# as text for numeric_in (null: a value numeric_in refuses)
NUMERIC_EDGE = [
    "0", "-0", "0.000", "-0.000", "12.3400", "-123.456", "1e-3", "1E+5", "-1.50e+3",
    "9999", "10000", "99999999", "100000000", "0.0001", "-0.00010",
    "1e255", "1e256", "1e-256", "1e-257", "1e1000", "-7e1000", "1.5e-1000",
    "0." + "0" * 62 + "1", "0." + "0" * 63 + "1", "1" + "0" * 252, "1" + "0" * 256,
    "9" * 1000, "1" + "0" * 999, "0." + "0" * 997 + "1", "-" + "1234567890" * 99 + "123456789",
    "123456789012345678901234567890", "-9223372036854775809", "3.14159265358979323846264338327950288",
]
NUMERIC_EDGE_STR = ["NaN", "nan", "00012.3400", "-00.00100", "+5", "0e10", "-0.0e-5", "1.000000000000000000000"]


def numerics_body():
    items, i = [], 0
    for v in NUMERIC_EDGE:
        i += 1
        items.append(b'{"id":%d,"n":%s,"s":"%s"}' % (i, v.encode(), v.encode()))
        i += 1
        items.append(b'{"id":%d,"n":"%s","s":"%s"}' % (i, v.encode(), v.encode()))
    for v in NUMERIC_EDGE_STR:
        i += 1
        items.append(b'{"id":%d,"n":"%s","s":"%s"}' % (i, v.encode(), v.encode()))
    # beyond numeric_in's exponent bound: NULL with a counted warning
    items.append(b'{"id":%d,"n":"1e1001","s":null}' % (i + 1))
    items.append(b'{"id":%d,"arr":[1.50,"NaN",-0.000,1e-3,"00012.3400"],"s":null}' % (i + 2))
    return b'{"items":[' + b','.join(items) + b']}'


def numbers_body(q):
    extra = b',"big":123456789012345678901234567890' if q.get("slow") == "1" else b''
    return b'{"items":[' + NUMBERS_ROWS + b']' + extra + b'}'


def jsonb_docs_body():
    """/hostile/jsonb-docs: documents whose jsonb the workers build as
    images (sql/jsonb_image.sql): every row {"id":n,"doc":<value>}."""
    many = {}
    for i in range(100):                     # > 64 keys, lengths 1..3, scrambled
        many[str((i * 7919) % 1000)] = i if i % 3 else "v%d" % i
    docs = [
        {"a": {"b": [1, {"c": [True, False, None]}], "d": "x"}, "e": [[], [{}]]},
        {"k%02d" % i: i for i in reversed(range(40))},          # > 32 keys
        many,
        list(range(70)),                                        # > 64 elements
        [("s%d" % i) if i % 2 else i * 1.5 for i in range(40)],  # > 32, mixed
        {"bb": 1, "ab": 2, "ba": 3, "aa": 4, "b": 5, "a": 6, "ccc": 7, "abc": 8, "aab": 9},
        {},
        [],
        {"ключ": "значение", "emoji": "\U0001F600", "é": "\u00e9", "cjk": "漢字", "mix": ["ü", {"ß": "∑"}]},
        {"s": "a\u0000b", "t": "\u0000", "arr": ["x\u0000", "\u0000y"], "n\u00e9": "tail\u0000"},
        [9223372036854775807, -9223372036854775808, 0, -1, 1, 10000, 99999999, 100000000, -100000000],
        [1e300, 0.1, -0.5, 1.5e-7, 3.141592653589793, 1e-300, -0.0, 2.5, 100.0, 1e15, 1e16,
         123456789.123456789, 0.30000000000000004, -1.7976931348623157e308, 5e-324],
        [{"a": 1}, "x", {"b": "yy", "c": 2.5}, [1, "z", 3], {"d": {"e": -7, "f": "ff"}}, True, None],
        "a top-level string",
        "NUL \u0000 in a top-level string",
        42,
        0.1,
        True,
        False,
        None,                                                   # SQL NULL
        {"long": "L" * 5000, "list": ["w%04d" % i for i in range(600)]},  # stored compressed
    ]
    rows = [json.dumps({"id": i + 1, "doc": d}, ensure_ascii=False) for i, d in enumerate(docs)]
    n = len(docs)
    # integers beyond int64 (the SDK reads them as their text)
    rows.append('{"id":%d,"doc":{"big":123456789012345678901234567890,"neg":-98765432109876543210}}' % (n + 1))
    # deep nesting: 200 levels of arrays, 100 of objects, both with numbers at the bottom
    rows.append('{"id":%d,"doc":%s}' % (n + 2, "[" * 200 + "1.5" + "]" * 200))
    rows.append('{"id":%d,"doc":%s}' % (n + 3, '{"a":' * 100 + '{"z":7,"y":"why"}' + "}" * 100))
    # deeper than the workers' images go (1024): kept as a tree (needs
    # cq_fdw.max_json_depth raised; the table jsonb_deep reads only this row)
    rows.append('{"id":%d,"doc":%s}' % (n + 4, "[" * 1100 + '{"k":1}' + "]" * 1100))
    return ('{"items":[' + ",".join(rows) + ']}').encode()


NUL_BODY = (b'[{"id":1,"name":"a\\u0000b","note":"ok"},'
            b'{"id":2,"name":"\\u0000","note":"only a NUL"},'
            b'{"id":3,"name":"tail\\u0000","k\\u0000ey":"NUL in a key"},'
            b'{"id":4,"name":"clean","note":"no NUL"}]')
NUL_RAW_BODY = b'[{"id":1,"name":"raw\x00byte"}]'

# ---------------------------------------------------------------------------
# speed: a header parser without the email package (the stdlib one costs
# ~40 us per request), and a Date header formatted once per second
# ---------------------------------------------------------------------------

class FastHeaders:
    """Minimal case-insensitive request-header container (what we and
    BaseHTTPRequestHandler use: get, [], in, items, get_all)."""
    __slots__ = ("_items", "_d")

    def __init__(self, items):
        self._items = items
        d = {}
        for k, v in items:
            d.setdefault(k.lower(), v)
        self._d = d

    def get(self, name, default=None):
        return self._d.get(name.lower(), default)

    def __getitem__(self, name):
        return self._d.get(name.lower())

    def __contains__(self, name):
        return name.lower() in self._d

    def get_all(self, name, failobj=None):
        n = name.lower()
        r = [v for k, v in self._items if k.lower() == n]
        return r or failobj

    def items(self):
        return list(self._items)

    def keys(self):
        return [k for k, _ in self._items]

    def values(self):
        return [v for _, v in self._items]

    def __iter__(self):
        return iter(self.keys())

    def __len__(self):
        return len(self._items)

    def as_string(self):
        return "".join("%s: %s\n" % kv for kv in self._items)

    def __str__(self):
        return self.as_string()


def fast_parse_headers(fp, _class=None):
    items = []
    count = 0
    while True:
        line = fp.readline(65537)
        if len(line) > 65536:
            raise http.client.LineTooLong("header line")
        if line in (b"\r\n", b"\n", b""):
            break
        count += 1
        if count > 200:
            raise http.client.HTTPException("got more than 200 headers")
        text = line.decode("iso-8859-1").rstrip("\r\n")
        if text[:1] in (" ", "\t") and items:      # obsolete line folding
            k, v = items[-1]
            items[-1] = (k, v + " " + text.strip())
            continue
        k, sep, v = text.partition(":")
        if sep:
            items.append((k.strip(), v.strip()))
    return FastHeaders(items)


http.client.parse_headers = fast_parse_headers   # used by http.server.parse_request

_DATE = [0, ""]


def http_date():
    now = int(time.time())
    if _DATE[0] != now:
        _DATE[1] = email.utils.formatdate(now, usegmt=True)
        _DATE[0] = now
    return _DATE[1]


# ---------------------------------------------------------------------------
# AWS: SigV4 verification (/aws/<region>/<service>/...)
# ---------------------------------------------------------------------------

# The key pairs the mock knows (access key id -> secret, session token).  The
# canary ones are built at run time so that the literal is nowhere in the
# sources (test/checks/zz_canary.sh greps every output for it).
_CANARY = "cq-canary-" + "7f3e9a1d"
AWS_KEYS = {
    # AWS's documentation example pair
    "AKIDEXAMPLE": ("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", None),
    # long-term key whose secret is the canary
    "AKIACQCANARY": (_CANARY + "/aws-secret", None),
    # temporary credentials: the session token is required (and must be signed)
    "ASIACQCANARY": (_CANARY + "/aws-temp-secret", _CANARY + "-session-token"),
}
# the account each base key belongs to (STS GetCallerIdentity)
AWS_KEY_ACCOUNTS = {"AKIDEXAMPLE": "123456789012", "AKIACQCANARY": "111122223333",
                    "ASIACQCANARY": "111122223333"}
AWS_ROLE_RE = re.compile(r"^arn:aws:iam::(\d{12}):role/([\w+=,.@/-]{1,64})$")
AWS_MAX_SKEW = 15 * 60
AWS_AUTH_RE = re.compile(
    r"^AWS4-HMAC-SHA256 Credential=([^/,\s]+)/(\d{8})/([^/,\s]+)/([^/,\s]+)/aws4_request,\s*"
    r"SignedHeaders=([a-z0-9;_.-]+),\s*Signature=([0-9a-f]{64})$")


def aws_encode(s, keep_slash=False):
    return urllib.parse.quote(s, safe="-_.~" + ("/" if keep_slash else ""))


def aws_canonical_uri(raw_path, service):
    if service == "s3":
        return aws_encode(urllib.parse.unquote(raw_path), keep_slash=True) or "/"
    segs = []
    for seg in raw_path.split("/"):
        if seg in ("", "."):
            continue
        if seg == "..":
            if segs:
                segs.pop()
            continue
        segs.append(seg)
    path = "/" + "/".join(segs)
    if raw_path.endswith("/") and len(segs) > 0:
        path += "/"
    # "double encoding": the path as sent, encoded again
    return aws_encode(path, keep_slash=True)


def aws_canonical_query(qs):
    if not qs:
        return ""
    pairs = []
    for part in qs.split("&"):
        if part == "":
            continue
        k, _, v = part.partition("=")
        pairs.append((aws_encode(urllib.parse.unquote(k)), aws_encode(urllib.parse.unquote(v))))
    pairs.sort()
    return "&".join("%s=%s" % kv for kv in pairs)


def aws_hmac(key, msg):
    return hmac.new(key, msg.encode("utf-8"), hashlib.sha256).digest()


def aws_verify(h, method, raw_path, qs, body, region, service):
    """SigV4 check of one request as AWS does it.  Returns (None, info) when
    the signature holds, else ((status, code, message), info)."""
    info = {"ok": False}
    auth = h.headers.get("Authorization")
    if not auth:
        return (403, "MissingAuthenticationToken", "Missing Authentication Token"), info
    m = AWS_AUTH_RE.match(auth.strip())
    if not m:
        return (403, "IncompleteSignature",
                "Authorization header requires 'Credential', 'Signature' and 'SignedHeaders'."), info
    akid, sdate, sregion, sservice, signed, sig = m.groups()
    info.update({"access_key": akid, "signed_headers": signed, "scope": "%s/%s/%s" % (sdate, sregion, sservice)})
    amz_date = h.headers.get("X-Amz-Date") or ""
    info["amz_date"] = amz_date
    token = h.headers.get("X-Amz-Security-Token")
    info["token_sent"] = token is not None
    key = AWS_KEYS.get(akid)
    if key is None:
        # temporary keys issued by the mock's STS AssumeRole
        with STATE.lock:
            issued = STATE.aws_issued.get(akid)
        if issued is None:
            return (403, "InvalidClientTokenId", "The security token included in the request is invalid."), info
        info["account"] = issued["account"]
        info["role"] = issued["role"]
        if token != issued["token"]:
            return (403, "InvalidClientTokenId", "The security token included in the request is invalid."), info
        if time.time() + STATE.aws_skew >= issued["exp"]:
            return (403, "ExpiredToken", "The security token included in the request is expired"), info
        key = (issued["secret"], issued["token"])
    else:
        info["account"] = AWS_KEY_ACCOUNTS.get(akid)
    secret, want_token = key
    if want_token is not None and token != want_token:
        return (403, "InvalidClientTokenId", "The security token included in the request is invalid."), info
    if want_token is None and token is not None:
        return (403, "InvalidClientTokenId", "The security token included in the request is invalid."), info
    try:
        t = calendar.timegm(time.strptime(amz_date, "%Y%m%dT%H%M%SZ"))
    except ValueError:
        return (403, "IncompleteSignature", "Date must be in ISO-8601 'basic format'. Got '%s'." % amz_date[:40]), info
    now = time.time() + STATE.aws_skew
    if abs(now - t) > AWS_MAX_SKEW:
        return (403, "SignatureDoesNotMatch",
                "Signature expired: %s is now earlier than %s (%s - 15 min.)" % (
                    amz_date, time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(now - AWS_MAX_SKEW)),
                    time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(now)))), info
    if sdate != amz_date[:8]:
        return (403, "SignatureDoesNotMatch", "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '%s' != '%s'" % (sdate, amz_date[:8])), info
    if sregion != region:
        return (403, "SignatureDoesNotMatch", "Credential should be scoped to a valid region. "), info
    if sservice != service:
        return (403, "SignatureDoesNotMatch", "Credential should be scoped to correct service: '%s'. " % service), info
    names = signed.split(";")
    if names != sorted(names) or "host" not in names or "x-amz-date" not in names:
        return (403, "SignatureDoesNotMatch", "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details."), info
    if token is not None and "x-amz-security-token" not in names:
        return (403, "SignatureDoesNotMatch", "The security token must be signed."), info
    payload = hashlib.sha256(body).hexdigest()
    info["payload_sha256"] = payload
    declared = h.headers.get("x-amz-content-sha256")
    if declared is not None and declared != "UNSIGNED-PAYLOAD" and declared != payload:
        return (400, "XAmzContentSHA256Mismatch",
                "The provided 'x-amz-content-sha256' header does not match what was computed."), info
    lines = []
    for n in names:
        vals = h.headers.get_all(n)
        if vals is None:
            return (403, "SignatureDoesNotMatch", "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details."), info
        lines.append("%s:%s\n" % (n, ",".join(" ".join(v.split()) for v in vals)))
    creq = "\n".join([method, aws_canonical_uri(raw_path, service), aws_canonical_query(qs),
                      "".join(lines), signed, declared or payload])
    sts = "\n".join(["AWS4-HMAC-SHA256", amz_date, "%s/%s/%s/aws4_request" % (sdate, sregion, sservice),
                     hashlib.sha256(creq.encode("utf-8")).hexdigest()])
    k = aws_hmac(("AWS4" + secret).encode("utf-8"), sdate)
    k = aws_hmac(k, sregion)
    k = aws_hmac(k, sservice)
    k = aws_hmac(k, "aws4_request")
    want = hmac.new(k, sts.encode("utf-8"), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(want, sig):
        return (403, "SignatureDoesNotMatch", "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details."), info
    info["ok"] = True
    return None, info


def aws_error_reply(protocol, status, code, message):
    with STATE.lock:
        STATE.aws_seq += 1
        rid = "mock-request-%06d" % STATE.aws_seq
    esc = lambda x: x.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")   # noqa
    if protocol == "ec2":
        body = ('<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error><Code>%s</Code>'
                '<Message>%s</Message></Error></Errors><RequestID>%s</RequestID></Response>'
                % (code, esc(message), rid)).encode()
        return status, [("Content-Type", "text/xml;charset=UTF-8")], body
    if protocol == "query":
        body = ('<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type>'
                '<Code>%s</Code><Message>%s</Message></Error><RequestId>%s</RequestId></ErrorResponse>'
                % (code, esc(message), rid)).encode()
        return status, [("Content-Type", "text/xml")], body
    return status, [("Content-Type", "application/x-amz-json-1.1"), ("x-amzn-RequestId", rid),
                    ("x-amzn-ErrorType", "%s:http://internal.amazon.com/coral/com.amazon.coral.service/" % code)], \
        jdump({"__type": code, "message": message})


AWS_REGIONS = ("us-east-1", "us-east-2", "us-west-1", "us-west-2", "eu-west-1", "eu-central-1",
               "ap-southeast-2")


def aws_sts(form, caller):
    """STS (Query protocol): AssumeRole, GetCallerIdentity.  `caller` is
    the verified signature's info (access key, account)."""
    action = form.get("Action")
    with STATE.lock:
        STATE.aws_seq += 1
        rid = "mock-sts-%06d" % STATE.aws_seq
    ns = 'xmlns="https://sts.amazonaws.com/doc/2011-06-15/"'
    if form.get("Version") != "2011-06-15":
        return aws_error_reply("query", 400, "InvalidAction", "Could not find operation %s for version %s" %
                               (action, form.get("Version", "NO_VERSION_SPECIFIED")))
    if action == "GetCallerIdentity":
        acct = caller.get("account") or "000000000000"
        arn = caller.get("role") or "arn:aws:iam::%s:user/mock" % acct
        xml = ('<GetCallerIdentityResponse %s><GetCallerIdentityResult><Arn>%s</Arn><UserId>%s</UserId>'
               '<Account>%s</Account></GetCallerIdentityResult><ResponseMetadata><RequestId>%s</RequestId>'
               '</ResponseMetadata></GetCallerIdentityResponse>' % (ns, arn, caller.get("access_key"), acct, rid))
        return 200, [("Content-Type", "text/xml")], xml.encode()
    if action != "AssumeRole":
        return aws_error_reply("query", 400, "InvalidAction", "Could not find operation %s for version 2011-06-15" % action)
    role = form.get("RoleArn", "")
    name = form.get("RoleSessionName", "")
    m = AWS_ROLE_RE.match(role)
    if not m or not re.fullmatch(r"[\w+=,.@-]{2,64}", name):
        return aws_error_reply("query", 400, "ValidationError",
                               "1 validation error detected: Value at 'roleArn' or 'roleSessionName' failed to satisfy constraint")
    deny = ("User: arn:aws:iam::%s:user/mock is not authorized to perform: sts:AssumeRole on resource: %s"
            % (caller.get("account"), role))
    if m.group(2).startswith("denied"):
        return aws_error_reply("query", 403, "AccessDenied", deny)
    with STATE.lock:
        want_ext = STATE.aws_external_id
        life = STATE.aws_role_lifetime
    if want_ext is not None and form.get("ExternalId") != want_ext:
        return aws_error_reply("query", 403, "AccessDenied", deny)
    if "DurationSeconds" in form:
        try:
            d = int(form["DurationSeconds"])
        except ValueError:
            d = -1
        if d < 900 or d > 43200:
            return aws_error_reply("query", 400, "ValidationError", "DurationSeconds out of range")
    akid = "ASIAMOCK" + "".join(random.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567") for _ in range(12))
    secret = base64.b64encode(os.urandom(30)).decode()
    token = base64.b64encode(os.urandom(60)).decode()
    exp = time.time() + STATE.aws_skew + life
    with STATE.lock:
        STATE.aws_issued[akid] = {"secret": secret, "token": token, "exp": exp,
                                  "account": m.group(1), "role": role}
    xml = ('<AssumeRoleResponse %s><AssumeRoleResult><Credentials><AccessKeyId>%s</AccessKeyId>'
           '<SecretAccessKey>%s</SecretAccessKey><SessionToken>%s</SessionToken><Expiration>%s</Expiration>'
           '</Credentials><AssumedRoleUser><Arn>arn:aws:sts::%s:assumed-role/%s/%s</Arn>'
           '<AssumedRoleId>AROAMOCK:%s</AssumedRoleId></AssumedRoleUser></AssumeRoleResult>'
           '<ResponseMetadata><RequestId>%s</RequestId></ResponseMetadata></AssumeRoleResponse>'
           % (ns, akid, secret, token,
              time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(exp)) + ".%03dZ" % (int(exp * 1000) % 1000),
              m.group(1), m.group(2), name, name, rid))
    return 200, [("Content-Type", "text/xml")], xml.encode()


def aws_query(method, body, service, caller=None):
    """The Query/EC2 protocol: a form-encoded POST, an XML reply."""
    if method != "POST":
        return 400, JSON_H, jdump({"message": "mock: the query route takes a form-encoded POST"})
    form = dict(urllib.parse.parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
    action = form.get("Action")
    if service == "sts":
        return aws_sts(form, caller or {})
    if action == "DescribeRegions":
        items = "".join("<item><regionName>%s</regionName><regionEndpoint>%s.%s.amazonaws.com</regionEndpoint>"
                        "<optInStatus>opt-in-not-required</optInStatus></item>" % (r, service, r)
                        for r in AWS_REGIONS)
        xml = ('<?xml version="1.0" encoding="UTF-8"?>\n<DescribeRegionsResponse '
               'xmlns="http://ec2.amazonaws.com/doc/%s/"><requestId>mock</requestId><regionInfo>%s'
               '</regionInfo></DescribeRegionsResponse>' % (form.get("Version", ""), items))
        return 200, [("Content-Type", "text/xml;charset=UTF-8")], xml.encode()
    return aws_error_reply("ec2" if service == "ec2" else "query", 400, "InvalidAction",
                           "The action %s is not valid for this web service." % (action or "(none)"))


# ---------------------------------------------------------------------------
# AWS, LocalStack style: /aws-api takes every service.  Service and region
# come from the Authorization header's credential scope (the signature is
# verified against them), the protocol from the request: a form POST
# (Action=) is ec2/query, X-Amz-Target is json, anything else REST.  Each
# operation below serves AWS_API_N rows per region in pages (default 3 per
# page; the operation's own page-size parameter is honoured), with that
# operation's paginator tokens.  Faults per region: /_mock/aws_fail.
# ---------------------------------------------------------------------------

AWS_API_N = 5
AWS_API_PAGE = 3
AWS_OWNER = "111122223333"


def xesc(x):
    return str(x).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def aws_page(form, size_key, token_key, prefix):
    """(start, end, next token or None) of the page the request asks for."""
    try:
        per = int(form.get(size_key) or AWS_API_PAGE)
    except ValueError:
        raise BadRequest("%s must be a number" % size_key)
    per = max(1, min(per, 1000))
    tok = form.get(token_key) or ""
    start = 0
    if tok:
        if not tok.startswith(prefix + "-"):
            raise BadRequest("bad %s %r" % (token_key, tok[:40]))
        start = int(tok[len(prefix) + 1:])
    end = min(AWS_API_N, start + per)
    return start, end, ("%s-%d" % (prefix, end) if end < AWS_API_N else None)


def aws_rshort(region):
    return "".join(w[0] for w in region.split("-"))


def aws_xml(root, version_ns, inner):
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<%s xmlns="%s"><requestId>mock</requestId>%s</%s>'
            % (root, version_ns, inner, root)).encode()


def aws_ec2_instances_page(rs, ns, a, b, nxt):
    """DescribeInstances reply (bytes) of instances [a, b) of a region, two per reservation."""
    res = []
    i = a
    while i < b:
        items = []
        for j in range(i, min(b, i + 2)):
            tags = "" if j % 3 == 2 else (
                "<tagSet><item><key>Name</key><value>web-%d</value></item>"
                "<item><key>env</key><value>%s</value></item></tagSet>" % (j, "prod" if j % 2 else "dev"))
            items.append(
                "<item><instanceId>i-%s%04d</instanceId><imageId>ami-1</imageId>"
                "<instanceState><code>16</code><name>running</name></instanceState>"
                "<instanceType>t3.micro</instanceType><launchTime>2024-0%d-01T10:00:00.000Z</launchTime>"
                "<amiLaunchIndex>%d</amiLaunchIndex><ebsOptimized>%s</ebsOptimized>"
                "<privateIpAddress>10.0.%d.%d</privateIpAddress><productCodes/>%s%s</item>"
                % (rs, j, j % 9 + 1, j % 2, "true" if j % 2 else "false", j // 256, j % 254 + 1, tags,
                   aws_ec2_enis(rs, j)))
        res.append("<item><reservationId>r-%s%04d</reservationId><ownerId>%s</ownerId><groupSet/>"
                   "<instancesSet>%s</instancesSet></item>" % (rs, i, AWS_OWNER, "".join(items)))
        i += 2
    inner = "<reservationSet>%s</reservationSet>%s" % (
        "".join(res), "<nextToken>%s</nextToken>" % nxt if nxt else "")
    return aws_xml("DescribeInstancesResponse", ns, inner)


def aws_ec2_enis(rs, j):
    """networkInterfaceSet of instance j, as DescribeInstances sends it
    (AWS's documented example): eth0 with a public IP association; odd
    instances also an eth1 without one, whose MAC is recorded invalid on
    instance 3 (a NULL macaddr with a WARNING)."""
    out = []
    for k in range(1 + j % 2):
        assoc = ("<association><publicIp>203.0.113.%d</publicIp><publicDnsName>ec2-203-0-113-%d.compute-1."
                 "amazonaws.com</publicDnsName><ipOwnerId>amazon</ipOwnerId></association>" % ((j + 10) % 256, (j + 10) % 256)
                 if k == 0 else "")
        mac = "02:1b:%02x:%02x:00:%02x" % (j % 256, k, (j + k) % 256) if not (j == 3 and k == 1) else "02:1b:zz"
        host = j + 1 + 100 * k
        host = host if host <= 254 else host % 254 + 1     # valid for bench S5's thousands of instances
        out.append(
            "<item><networkInterfaceId>eni-%s%04d%d</networkInterfaceId><subnetId>subnet-%s1</subnetId>"
            "<vpcId>vpc-%s0000</vpcId><description>%s</description><ownerId>%s</ownerId><status>in-use</status>"
            "<macAddress>%s</macAddress><privateIpAddress>10.0.%d.%d</privateIpAddress>"
            "<privateDnsName>ip-10-0-%d-%d.ec2.internal</privateDnsName><sourceDestCheck>%s</sourceDestCheck>"
            "<groupSet><item><groupId>sg-%s0</groupId><groupName>web</groupName></item></groupSet>"
            "<attachment><attachmentId>eni-attach-%s%04d%d</attachmentId><deviceIndex>%d</deviceIndex>"
            "<status>attached</status><attachTime>2024-0%d-01T10:00:05.000Z</attachTime>"
            "<deleteOnTermination>%s</deleteOnTermination><networkCardIndex>0</networkCardIndex></attachment>"
            "%s<privateIpAddressesSet><item><privateIpAddress>10.0.%d.%d</privateIpAddress><primary>true</primary>"
            "</item></privateIpAddressesSet><ipv6AddressesSet/><interfaceType>interface</interfaceType></item>"
            % (rs, j, k, rs, rs, "eth%d of instance %d" % (k, j) if k else "Primary network interface",
               AWS_OWNER, mac, k, host, k, host, "true" if k == 0 else "false",
               rs, rs, j, k, k, j % 9 + 1, "true" if k == 0 else "false", assoc, k, host))
    return "<networkInterfaceSet>%s</networkInterfaceSet>" % "".join(out)


def aws_ec2_security_groups(region):
    """DescribeSecurityGroups: sg-<r>0 (ssh from two private ranges, https
    from anywhere, all traffic out) and sg-<r>1 (all traffic from a VPC
    range and from a recorded-invalid IPv4 block /64: NULL cidr + WARNING,
    and a permission without ranges: only another group)."""
    rs = aws_rshort(region)

    def perm(proto, ports, ranges, groups="", v6=(), pls=()):
        fp = "<fromPort>%d</fromPort><toPort>%d</toPort>" % ports if ports else ""
        rr = "".join("<item><cidrIp>%s</cidrIp>%s</item>" % (c, "<description>%s</description>" % d if d else "")
                     for c, d in ranges)
        # IPv6 ranges and prefix lists (the ..._ipv6_ranges / _prefix_lists child tables)
        r6 = "".join("<item><cidrIpv6>%s</cidrIpv6>%s</item>" % (c, "<description>%s</description>" % d if d else "")
                     for c, d in v6)
        pl = "".join("<item><prefixListId>%s</prefixListId>%s</item>" % (c, "<description>%s</description>" % d if d else "")
                     for c, d in pls)
        return ("<item><ipProtocol>%s</ipProtocol>%s<groups>%s</groups><ipRanges>%s</ipRanges>%s%s</item>"
                % (proto, fp, groups, rr, "<ipv6Ranges>%s</ipv6Ranges>" % r6 if r6 else "<ipv6Ranges/>",
                   "<prefixListIds>%s</prefixListIds>" % pl if pl else "<prefixListIds/>"))
    out_all = perm("-1", None, [("0.0.0.0/0", "")], v6=[("::/0", "")])
    g0 = ("<item><ownerId>%s</ownerId><groupId>sg-%s0</groupId><groupName>web</groupName>"
          "<groupDescription>web servers</groupDescription><vpcId>vpc-%s0000</vpcId>"
          "<ipPermissions>%s%s</ipPermissions><ipPermissionsEgress>%s</ipPermissionsEgress>"
          "<securityGroupArn>arn:aws:ec2:%s:%s:security-group/sg-%s0</securityGroupArn></item>"
          % (AWS_OWNER, rs, rs, perm("tcp", (22, 22), [("10.0.0.0/8", "office"), ("192.168.1.0/24", "vpn")],
                                     pls=[("pl-%s1" % rs, "office prefix list")]),
             perm("tcp", (443, 443), [("0.0.0.0/0", "")], v6=[("::/0", "anywhere"), ("2001:db8::/129", "recorded invalid")]),
             out_all, region, AWS_OWNER, rs))
    g1 = ("<item><ownerId>%s</ownerId><groupId>sg-%s1</groupId><groupName>db</groupName>"
          "<groupDescription>databases</groupDescription><vpcId>vpc-%s0000</vpcId>"
          "<ipPermissions>%s%s</ipPermissions><ipPermissionsEgress/>"
          "<securityGroupArn>arn:aws:ec2:%s:%s:security-group/sg-%s1</securityGroupArn></item>"
          % (AWS_OWNER, rs, rs, perm("-1", None, [("10.1.0.0/16", "vpc"), ("10.2.0.0/64", "recorded invalid")]),
             perm("tcp", (5432, 5432), [], "<item><groupId>sg-%s0</groupId><userId>%s</userId></item>" % (rs, AWS_OWNER)),
             region, AWS_OWNER, rs))
    return "<securityGroupInfo>%s%s</securityGroupInfo>" % (g0, g1)


def aws_api_ec2(region, form):
    action = form.get("Action")
    ns = "http://ec2.amazonaws.com/doc/%s/" % form.get("Version", "")
    xh = [("Content-Type", "text/xml;charset=UTF-8")]
    rs = aws_rshort(region)
    if action == "DescribeRegions":
        return aws_query("POST", urllib.parse.urlencode(form).encode(), "ec2")
    if action == "DescribeInstances":
        a, b, nxt = aws_page(form, "MaxResults", "NextToken", "inst")
        if AWS_API_N > 1000:
            # bench S5 (/_mock/aws_api_n): big pages, generated once per region and range
            return 200, xh, PAGE_CACHE.get_or_make(
                ("ec2-instances", region, a, b, ns, AWS_API_N),
                lambda: aws_ec2_instances_page(rs, ns, a, b, nxt))
        return 200, xh, aws_ec2_instances_page(rs, ns, a, b, nxt)
    if action == "DescribeSecurityGroups":
        return 200, xh, aws_xml("DescribeSecurityGroupsResponse", ns, aws_ec2_security_groups(region))
    if action == "DescribeVolumes":
        a, b, nxt = aws_page(form, "MaxResults", "NextToken", "vol")
        items = "".join(
            "<item><volumeId>vol-%s%04d</volumeId><size>%d</size><availabilityZone>%sa</availabilityZone>"
            "<status>in-use</status><createTime>2023-11-0%dT08:00:00.000Z</createTime>"
            "<encrypted>%s</encrypted><volumeType>gp3</volumeType></item>"
            % (rs, j, 8 * (j + 1), region, j % 9 + 1, "true" if j % 2 else "false") for j in range(a, b))
        inner = "<volumeSet>%s</volumeSet>%s" % (items, "<nextToken>%s</nextToken>" % nxt if nxt else "")
        return 200, xh, aws_xml("DescribeVolumesResponse", ns, inner)
    if action == "DescribeVpcs":
        a, b, nxt = aws_page(form, "MaxResults", "NextToken", "vpc")
        items = "".join(
            "<item><vpcId>vpc-%s%04d</vpcId><state>available</state><cidrBlock>10.%d.0.0/16</cidrBlock>"
            "<isDefault>%s</isDefault><tagSet><item><key>Name</key><value>vpc-%d</value></item></tagSet></item>"
            % (rs, j, j, "true" if j == 0 else "false", j) for j in range(a, b))
        inner = "<vpcSet>%s</vpcSet>%s" % (items, "<nextToken>%s</nextToken>" % nxt if nxt else "")
        return 200, xh, aws_xml("DescribeVpcsResponse", ns, inner)
    return aws_error_reply("ec2", 400, "InvalidAction", "The action %s is not valid for this web service." % action)


def aws_api_query(service, region, form):
    action = form.get("Action")
    if service == "iam" and action == "ListUsers":
        a, b, nxt = aws_page(form, "MaxItems", "Marker", "user")
        users = "".join(
            "<member><Path>/</Path><UserName>user%d</UserName><UserId>AIDA%04d</UserId>"
            "<Arn>arn:aws:iam::%s:user/user%d</Arn><CreateDate>2022-0%d-15T12:00:00Z</CreateDate></member>"
            % (j, j, AWS_OWNER, j, j % 9 + 1) for j in range(a, b))
        inner = "<ListUsersResult><IsTruncated>%s</IsTruncated>%s<Users>%s</Users></ListUsersResult>" \
                "<ResponseMetadata><RequestId>mock</RequestId></ResponseMetadata>" % (
                    "true" if nxt else "false", "<Marker>%s</Marker>" % nxt if nxt else "", users)
        body = ('<ListUsersResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/">%s</ListUsersResponse>'
                % inner).encode()
        return 200, [("Content-Type", "text/xml")], body
    if service == "iam" and action == "ListUserPolicies":
        # user<j> has j % 3 inline policies (user0 none); UserName required
        m = re.fullmatch(r"user(\d+)", form.get("UserName", ""))
        if not form.get("UserName"):
            return aws_error_reply("query", 400, "ValidationError",
                                   "1 validation error detected: Value null at 'userName' failed to satisfy constraint")
        if not m or int(m.group(1)) >= AWS_API_N:
            return aws_error_reply("query", 404, "NoSuchEntity", "The user with name %s cannot be found." %
                                   form.get("UserName"))
        j = int(m.group(1))
        names = "".join("<member>policy-%d-%d</member>" % (j, k) for k in range(j % 3))
        inner = "<ListUserPoliciesResult><IsTruncated>false</IsTruncated><PolicyNames>%s</PolicyNames>" \
                "</ListUserPoliciesResult><ResponseMetadata><RequestId>mock</RequestId></ResponseMetadata>" % names
        body = ('<ListUserPoliciesResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/">%s'
                '</ListUserPoliciesResponse>' % inner).encode()
        return 200, [("Content-Type", "text/xml")], body
    return aws_error_reply("query", 400, "InvalidAction", "Could not find operation %s" % action)


def aws_api_json(service, region, target, body):
    try:
        req = json.loads(body.decode("utf-8") or "{}")
    except ValueError:
        return aws_error_reply("json", 400, "SerializationException", "Start of structure or map found where not expected")
    if not isinstance(req, dict):
        return aws_error_reply("json", 400, "SerializationException", "not an object")
    if target == "DynamoDB_20120810.ListTables":
        lim = req.get("Limit", AWS_API_PAGE)
        if not isinstance(lim, int):
            return aws_error_reply("json", 400, "SerializationException",
                                   "NUMBER_VALUE cannot be converted to Integer")
        names = ["table-%s-%d" % (region, j) for j in range(AWS_API_N)]
        start = 0
        if req.get("ExclusiveStartTableName"):
            start = names.index(req["ExclusiveStartTableName"]) + 1
        page = names[start:start + max(1, lim)]
        out = {"TableNames": page}
        if start + len(page) < len(names):
            out["LastEvaluatedTableName"] = page[-1]
        return 200, [("Content-Type", "application/x-amz-json-1.0")], jdump(out)
    if target.startswith("AmazonEC2ContainerServiceV20141113."):
        return aws_api_ecs(region, target.split(".", 1)[1], req)
    return aws_error_reply("json", 400, "UnknownOperationException", "unknown target %s" % target)


def aws_ecs_page(req, ids):
    """ECS List*: maxResults (1..100) and nextToken over ids."""
    lim = req.get("maxResults", 100)
    if not isinstance(lim, int) or not 1 <= lim <= 100:
        return None, aws_error_reply("json", 400, "InvalidParameterException",
                                     "maxResults must be an integer between 1 and 100")
    start = int(req.get("nextToken") or 0)
    out = {}
    if start + lim < len(ids):
        out["nextToken"] = str(start + lim)
    return (ids[start:start + lim], out), None


def aws_api_ecs(region, op, req):
    """ECS list-then-get: ListClusters/DescribeClusters (<= 100 per call),
    ListServices/DescribeServices (cluster required, <= 10 per call)."""
    h = [("Content-Type", "application/x-amz-json-1.1")]
    acct = AWS_OWNER
    carn = ["arn:aws:ecs:%s:%s:cluster/c%d" % (region, acct, j) for j in range(STATE.aws_ecs_clusters)]

    def bad(msg):
        return aws_error_reply("json", 400, "InvalidParameterException", msg)

    def cluster_of(name):
        if not isinstance(name, str) or not name:
            return None
        n = name.rsplit("/", 1)[-1]
        return n if n in [a.rsplit("/", 1)[-1] for a in carn] else None
    if op == "ListClusters":
        pg, err = aws_ecs_page(req, carn)
        if err:
            return err
        pg[1]["clusterArns"] = pg[0]
        return 200, h, jdump(pg[1])
    if op == "DescribeClusters":
        ids = req.get("clusters")
        if not isinstance(ids, list) or not ids or len(ids) > 100:
            return bad("clusters must be a list of 1 to 100 identifiers")
        out, fails = [], []
        for i in ids:
            n = cluster_of(i)
            if n is None:
                fails.append({"arn": i, "reason": "MISSING"})
                continue
            j = int(n[1:])
            out.append({"clusterArn": "arn:aws:ecs:%s:%s:cluster/%s" % (region, acct, n), "clusterName": n,
                        "status": "ACTIVE", "activeServicesCount": STATE.aws_ecs_services,
                        "runningTasksCount": j % 7, "registeredContainerInstancesCount": j % 3,
                        "capacityProviders": ["FARGATE"] if j % 2 else []})
            if "TAGS" in (req.get("include") or []):
                out[-1]["tags"] = [{"key": "env", "value": "prod" if j % 2 else "dev"}]
        return 200, h, jdump({"clusters": out, "failures": fails})
    if op in ("ListServices", "DescribeServices"):
        n = cluster_of(req.get("cluster"))
        if n is None:
            return aws_error_reply("json", 400, "ClusterNotFoundException", "Cluster not found.")
        sarn = ["arn:aws:ecs:%s:%s:service/%s/s%d" % (region, acct, n, k) for k in range(STATE.aws_ecs_services)]
        if op == "ListServices":
            pg, err = aws_ecs_page(req, sarn)
            if err:
                return err
            pg[1]["serviceArns"] = pg[0]
            return 200, h, jdump(pg[1])
        ids = req.get("services")
        if not isinstance(ids, list) or not ids or len(ids) > 10:
            return bad("services must be a list of 1 to 10 identifiers")
        out = []
        for i in ids:
            if i not in sarn:
                continue
            k = int(i.rsplit("/s", 1)[1])
            out.append({"serviceArn": i, "serviceName": "s%d" % k,
                        "clusterArn": "arn:aws:ecs:%s:%s:cluster/%s" % (region, acct, n),
                        "status": "ACTIVE", "desiredCount": k % 4, "runningCount": k % 4,
                        "launchType": "FARGATE", "createdAt": 1700000000 + 3600 * k})
            if "TAGS" in (req.get("include") or []):
                out[-1]["tags"] = [{"key": "service", "value": "s%d" % k}]
        return 200, h, jdump({"services": out, "failures": []})
    return aws_error_reply("json", 400, "UnknownOperationException", "unknown operation %s" % op)


def s3_error(status, code, msg, bucket, headers=()):
    return status, [("Content-Type", "application/xml"), ("x-amz-request-id", "mock-s3")] + list(headers), (
        '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>%s</Code><Message>%s</Message>'
        '<BucketName>%s</BucketName><RequestId>mock-s3</RequestId></Error>' % (code, msg, bucket)).encode()


def s3_bucket_detail(b, what, region):
    """S3 per-bucket configuration (sql/aws_hydrate.sql): GetBucketEncryption
    (?encryption), GetBucketVersioning (?versioning), GetBucketPolicyStatus
    (?policyStatus), GetPublicAccessBlock (?publicAccessBlock) of bucket-N,
    answered as S3 does, XML.  bucket-3 lives in eu-west-1: asked elsewhere,
    PermanentRedirect with x-amz-bucket-region (as ListObjectsV2 above).
      encryption: N % 3 == 1 none (404 ServerSideEncryptionConfigurationNotFoundError),
                  N even aws:kms with a key and a bucket key, else AES256;
      versioning: N % 4 == 0 Enabled (MfaDelete Disabled), N % 4 == 2
                  Suspended, odd never versioned (an empty configuration);
      policyStatus: N % 3 == 0 not public, N % 3 == 2 public, else 404 NoSuchBucketPolicy;
      publicAccessBlock: N even all four blocks on, odd 404
                  NoSuchPublicAccessBlockConfiguration."""
    n = int(b.rsplit("-", 1)[1])
    if b == "bucket-3" and region != "eu-west-1":
        return s3_error(301, "PermanentRedirect", "The bucket you are attempting to access must be addressed "
                        "using the specified endpoint.", b, [("x-amz-bucket-region", "eu-west-1")])
    ns = 'xmlns="http://s3.amazonaws.com/doc/2006-03-01/"'
    if what == "encryption":
        if n % 3 == 1:
            return s3_error(404, "ServerSideEncryptionConfigurationNotFoundError",
                            "The server side encryption configuration was not found", b)
        rule = ("<ApplyServerSideEncryptionByDefault><SSEAlgorithm>aws:kms</SSEAlgorithm>"
                "<KMSMasterKeyID>arn:aws:kms:%s:%s:key/k-%d</KMSMasterKeyID></ApplyServerSideEncryptionByDefault>"
                "<BucketKeyEnabled>true</BucketKeyEnabled>" % (region, AWS_OWNER, n)) if n % 2 == 0 else (
                "<ApplyServerSideEncryptionByDefault><SSEAlgorithm>AES256</SSEAlgorithm>"
                "</ApplyServerSideEncryptionByDefault><BucketKeyEnabled>false</BucketKeyEnabled>")
        body = "<ServerSideEncryptionConfiguration %s><Rule>%s</Rule></ServerSideEncryptionConfiguration>" % (ns, rule)
    elif what == "versioning":
        inner = ("<Status>Enabled</Status><MfaDelete>Disabled</MfaDelete>" if n % 4 == 0 else
                 "<Status>Suspended</Status>" if n % 4 == 2 else "")
        body = "<VersioningConfiguration %s>%s</VersioningConfiguration>" % (ns, inner)
    elif what == "policyStatus":
        if n % 3 == 1:
            return s3_error(404, "NoSuchBucketPolicy", "The bucket policy does not exist", b)
        body = "<PolicyStatus %s><IsPublic>%s</IsPublic></PolicyStatus>" % (ns, "true" if n % 3 == 2 else "false")
    else:
        if n % 2:
            return s3_error(404, "NoSuchPublicAccessBlockConfiguration",
                            "The public access block configuration was not found", b)
        body = ("<PublicAccessBlockConfiguration %s><BlockPublicAcls>true</BlockPublicAcls>"
                "<IgnorePublicAcls>true</IgnorePublicAcls><BlockPublicPolicy>true</BlockPublicPolicy>"
                "<RestrictPublicBuckets>true</RestrictPublicBuckets></PublicAccessBlockConfiguration>" % ns)
    return 200, [("Content-Type", "application/xml"), ("x-amz-bucket-region", region)], \
        ('<?xml version="1.0" encoding="UTF-8"?>\n' + body).encode()


def aws_api_rest(service, region, method, path, q):
    if service == "lambda" and path.rstrip("/") == "/2015-03-31/functions" and method == "GET":
        a, b, nxt = aws_page(q, "MaxItems", "Marker", "fn")
        fns = [{"FunctionName": "fn-%d" % j,
                "FunctionArn": "arn:aws:lambda:%s:%s:function:fn-%d" % (region, AWS_OWNER, j),
                "Runtime": "python3.12", "MemorySize": 128 * (j + 1),
                "LastModified": "2024-02-0%dT10:00:00.000+0000" % (j % 9 + 1)} for j in range(a, b)]
        out = {"Functions": fns}
        if nxt:
            out["NextMarker"] = nxt
        return 200, JSON_H, jdump(out)
    if service == "eks" and method == "GET" and path.startswith("/clusters"):
        names = ["k%d" % j for j in range(STATE.aws_eks_clusters)]
        if path.rstrip("/") == "/clusters":
            lim = q.get("maxResults", "100")
            if not lim.isdigit() or not 1 <= int(lim) <= 100:
                return 400, JSON_H, jdump({"message": "maxResults must be between 1 and 100"})
            start = int(q.get("nextToken") or 0)
            out = {"clusters": names[start:start + int(lim)]}
            if start + int(lim) < len(names):
                out["nextToken"] = str(start + int(lim))
            return 200, JSON_H, jdump(out)
        m = re.fullmatch(r"/clusters/([^/]+)", path)
        if m and urllib.parse.unquote(m.group(1)) in names:
            n = urllib.parse.unquote(m.group(1))
            j = int(n[1:])
            return 200, JSON_H, jdump({"cluster": {
                "name": n, "arn": "arn:aws:eks:%s:%s:cluster/%s" % (region, AWS_OWNER, n),
                "createdAt": 1690000000 + 86400 * j, "version": "1.%d" % (28 + j % 3),
                "status": "ACTIVE", "endpoint": "https://%s.eks.example" % n,
                "resourcesVpcConfig": {"vpcId": "vpc-%d" % j, "subnetIds": ["subnet-a", "subnet-b"]},
                "tags": {"team": "t%d" % j}}})
        return 404, [("Content-Type", "application/json"), ("x-amzn-ErrorType", "ResourceNotFoundException")], \
            jdump({"message": "No cluster found for name: %s." % path})
    m = re.fullmatch(r"/(bucket-\d+)/?", path) if service == "s3" and method == "GET" else None
    s3_detail = [k for k in ("encryption", "versioning", "policyStatus", "publicAccessBlock") if k in q]
    if m and s3_detail:
        return s3_bucket_detail(m.group(1), s3_detail[0], region)
    if m and q.get("list-type") == "2":
        # ListObjectsV2: bucket-3 lives in eu-west-1 (the others wherever
        # they are asked for): asked elsewhere, S3's PermanentRedirect with
        # x-amz-bucket-region; 2 objects per bucket, one page each
        b = m.group(1)
        if b == "bucket-3" and region != "eu-west-1":
            return 301, [("Content-Type", "application/xml"), ("x-amz-bucket-region", "eu-west-1")], (
                '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>PermanentRedirect</Code><Message>The bucket '
                'you are attempting to access must be addressed using the specified endpoint.</Message>'
                '<Endpoint>s3.eu-west-1.amazonaws.com</Endpoint><Bucket>%s</Bucket></Error>' % b).encode()
        objs = "".join("<Contents><Key>%s/obj-%d.txt</Key><LastModified>2024-03-0%dT00:00:00.000Z</LastModified>"
                       "<ETag>&quot;e%d&quot;</ETag><Size>%d</Size><StorageClass>STANDARD</StorageClass></Contents>"
                       % (b, k, k + 1, k, 100 * (k + 1)) for k in range(2))
        body = ('<?xml version="1.0" encoding="UTF-8"?>\n<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">'
                '<Name>%s</Name><KeyCount>2</KeyCount><MaxKeys>1000</MaxKeys><IsTruncated>false</IsTruncated>%s'
                '</ListBucketResult>' % (b, objs)).encode()
        return 200, [("Content-Type", "application/xml"), ("x-amz-bucket-region", region)], body
    if service == "s3" and path in ("", "/") and method == "GET":
        a, b, nxt = aws_page(q, "max-buckets", "continuation-token", "bkt")
        bk = "".join("<Bucket><Name>bucket-%d</Name><CreationDate>2021-0%d-01T00:00:00.000Z</CreationDate>"
                     "<BucketRegion>%s</BucketRegion></Bucket>" % (j, j % 9 + 1, region) for j in range(a, b))
        body = ('<?xml version="1.0" encoding="UTF-8"?>\n<ListAllMyBucketsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">'
                '<Owner><ID>abc</ID></Owner><Buckets>%s</Buckets>%s</ListAllMyBucketsResult>'
                % (bk, "<ContinuationToken>%s</ContinuationToken>" % nxt if nxt else "")).encode()
        return 200, [("Content-Type", "application/xml")], body
    return 404, JSON_H, jdump({"message": "mock: no AWS REST operation %s %s for %s" % (method, path, service)})


# ---------------------------------------------------------------------------
# the handler
# ---------------------------------------------------------------------------


# ---------------------------------------------------------------------------
# OAuth token endpoints (credential providers, issue 13).  Each checks what
# the vendor's endpoint checks and answers in its error format; tests
# register the public half of their key pair / the client secret with
# /_mock/oauth.  JWT signatures are verified with python3-cryptography.
# ---------------------------------------------------------------------------

OAUTH_KINDS = ("gcp", "azure", "github")
AZURE_ROUTE = re.compile(r"^/_oauth/azure/([^/]+)/oauth2/v2\.0/token$")
GITHUB_TOKEN_ROUTE = re.compile(r"^/app/installations/([^/]+)/access_tokens$")
AZURE_ARM_SCOPE = "https://management.azure.com/.default"


# a GitHub App's installation for an account, asked with the app JWT
GITHUB_INSTALL_ROUTE = re.compile(
    r"^/(?:orgs/([^/]+)|users/([^/]+)|repos/([^/]+)/[^/]+)/installation$")
# data routes of a GitHub App test: /orgs/{org}/items, /repos/{owner}/{repo}/items
GITHUB_APP_DATA_ROUTE = re.compile(r"^/(?:orgs/([^/]+)|repos/([^/]+)/[^/]+)/items$")


def is_oauth_route(route):
    return route.startswith("/_oauth/") or bool(GITHUB_TOKEN_ROUTE.match(route)) \
        or bool(GITHUB_INSTALL_ROUTE.match(route))


def github_installs(cfg):
    """owner (lower case) -> installation id, from installs=acme:11,widgets:22"""
    out = {}
    for part in (cfg.get("installs") or "").split(","):
        if ":" in part:
            o, i = part.split(":", 1)
            out[o.strip().lower()] = i.strip()
    return out


def b64url_decode(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def load_public_key(pem):
    from cryptography.hazmat.primitives import serialization   # noqa: lazy
    return serialization.load_pem_public_key(pem.encode())


def jwt_verify(jwt, pem):
    """(header, claims) if jwt is an RS256 JWS signed by pem's key, else
    (None, reason)."""
    try:
        from cryptography.exceptions import InvalidSignature
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import padding
    except ImportError:
        return None, "mock: python3-cryptography is not installed"
    parts = jwt.split(".")
    if len(parts) != 3:
        return None, "malformed JWT"
    try:
        header = json.loads(b64url_decode(parts[0]))
        claims = json.loads(b64url_decode(parts[1]))
        sig = b64url_decode(parts[2])
    except Exception:
        return None, "malformed JWT"
    if not isinstance(header, dict) or not isinstance(claims, dict):
        return None, "malformed JWT"
    if header.get("alg") != "RS256":
        return None, "JWT alg must be RS256"
    try:
        load_public_key(pem).verify(sig, (parts[0] + "." + parts[1]).encode(),
                                    padding.PKCS1v15(), hashes.SHA256())
    except InvalidSignature:
        return None, "Invalid JWT Signature."
    return (header, claims), None


def oauth_control(q):
    kind = q.get("kind", "")
    if kind not in OAUTH_KINDS:
        return 400, JSON_H, jdump({"message": "mock: kind must be one of %s" % list(OAUTH_KINDS)})
    if set(q) <= {"kind", "revoke"}:
        # revoke=1|0 alone: change the registered configuration
        with STATE.lock:
            cfg = STATE.oauth.get(kind)
            if cfg is None:
                return 400, JSON_H, jdump({"message": "mock: no %s configuration" % kind})
            cfg["revoked"] = q.get("revoke") == "1"
        return 200, JSON_H, jdump({"ok": True, "kind": kind, "revoked": cfg["revoked"]})
    cfg = {"lifetime": qint(q, "lifetime", 3600, 1, 86400), "revoked": q.get("revoke") == "1",
           "last": None}
    need = {"gcp": ("pubkey", "email"), "azure": ("tenant", "client_id", "client_secret"),
            "github": ("pubkey", "app_id", "installation_id")}[kind]
    if kind == "azure" and q.get("client_secret_sha256") and not q.get("client_secret"):
        # tests register a secret they never write down (the canary)
        cfg["client_secret_sha256"] = q["client_secret_sha256"].lower()
        need = ("tenant", "client_id")
    for n in need:
        if not q.get(n):
            return 400, JSON_H, jdump({"message": "mock: %s configuration needs %s" % (kind, n)})
        cfg[n] = q[n]
    if "pubkey" in cfg:
        try:
            load_public_key(cfg["pubkey"])
        except ImportError:
            return 500, JSON_H, jdump({"message": "mock: python3-cryptography is not installed"})
        except Exception:
            return 400, JSON_H, jdump({"message": "mock: pubkey is not a PEM public key"})
    cfg["kid"] = q.get("kid")
    cfg["scope"] = q.get("scope") or (AZURE_ARM_SCOPE if kind == "azure" else None)
    cfg["echo_secret"] = q.get("echo_secret") == "1"
    cfg["answer"] = q.get("answer")     # azure: a broken 200 (see README)
    cfg["installs"] = q.get("installs")  # github: owner:installation,...
    with STATE.lock:
        STATE.oauth[kind] = cfg
    return 200, JSON_H, jdump({"ok": True, "kind": kind})


def oauth_issue(kind, cfg):
    tok = "mock_%s_%s" % (kind, os.urandom(16).hex())
    exp = time.time() + cfg["lifetime"]
    with STATE.lock:
        if len(STATE.oauth_tokens) > 10000:
            now = time.time()
            STATE.oauth_tokens = {k: v for k, v in STATE.oauth_tokens.items() if v[1] > now}
        STATE.oauth_tokens[tok] = (kind, exp)
    return tok, exp


def oauth_err(status, err, desc):
    return status, JSON_H, jdump({"error": err, "error_description": desc})


def gh_err(status, msg):
    return status, JSON_H, jdump({"message": msg,
                                  "documentation_url": "https://docs.github.com/rest"})


def oauth_route(h, method, route):
    if route == "/_oauth/whoami":
        a = h.headers.get("Authorization", "")
        tok = a[7:].strip() if a.startswith("Bearer ") else ""
        with STATE.lock:
            ent = STATE.oauth_tokens.get(tok)
        if not ent or ent[1] <= time.time():
            return gh_err(401, "Bad credentials")
        return 200, JSON_H, jdump({"kind": ent[0], "expires_in": ent[1] - time.time()})
    kind = tenant = inst = None
    m = AZURE_ROUTE.match(route)
    g = GITHUB_TOKEN_ROUTE.match(route)
    gi = GITHUB_INSTALL_ROUTE.match(route)
    if gi:
        return github_installation(h, method, gi.group(1) or gi.group(2) or gi.group(3))
    if route == "/_oauth/gcp/token":
        kind = "gcp"
    elif m:
        kind, tenant = "azure", urllib.parse.unquote(m.group(1))
    elif g:
        kind, inst = "github", urllib.parse.unquote(g.group(1))
    else:
        return 404, JSON_H, jdump({"message": "Not Found (mock: unknown route %s)" % route})
    if method != "POST":
        return oauth_err(405, "invalid_request", "mock: the token endpoint takes POST")
    with STATE.lock:
        cfg = STATE.oauth.get(kind)
    if cfg is None:
        return oauth_err(400, "invalid_request", "mock: no %s configuration (see /_mock/oauth)" % kind)
    now = time.time()
    form = {}
    if kind in ("gcp", "azure"):
        if not h.headers.get("Content-Type", "").startswith("application/x-www-form-urlencoded"):
            return oauth_err(400, "invalid_request", "body must be application/x-www-form-urlencoded")
        form = dict(urllib.parse.parse_qsl(h.req_body.decode("utf-8", "replace"),
                                           keep_blank_values=True))

    if kind == "gcp":
        if form.get("grant_type") != "urn:ietf:params:oauth:grant-type:jwt-bearer":
            return oauth_err(400, "unsupported_grant_type", "Invalid grant_type: %s"
                             % form.get("grant_type", ""))
        if not form.get("assertion"):
            return oauth_err(400, "invalid_request", "Missing required parameter: assertion")
        res, why = jwt_verify(form["assertion"], cfg["pubkey"])
        if res is None:
            return oauth_err(400, "invalid_grant", why)
        hdr, claims = res
        with STATE.lock:
            cfg["last"] = {"header": hdr, "claims": claims, "form": sorted(form)}
        if cfg["revoked"]:
            return oauth_err(400, "invalid_grant", "Invalid JWT Signature.")
        if cfg.get("kid") and hdr.get("kid") != cfg["kid"]:
            return oauth_err(400, "invalid_grant", "Invalid JWT Signature.")
        if claims.get("aud") != h.base_url() + route:
            return oauth_err(400, "invalid_grant", "Invalid JWT: aud must be the token URI")
        if claims.get("iss") != cfg["email"]:
            return oauth_err(400, "invalid_grant", "Invalid grant: account not found")
        iat, exp = claims.get("iat"), claims.get("exp")
        if not isinstance(iat, int) or not isinstance(exp, int) or exp <= now \
                or iat > now + 60 or exp - iat > 3600:
            return oauth_err(400, "invalid_grant",
                             "Invalid JWT: Token must be a short-lived token (60 minutes) and in a "
                             "reasonable timeframe. Check your iat and exp values in the JWT claim.")
        if not claims.get("scope") or (cfg.get("scope") and claims["scope"] != cfg["scope"]):
            return oauth_err(400, "invalid_scope", "Invalid OAuth scope or ID token audience provided.")
        tok, _ = oauth_issue(kind, cfg)
        return 200, JSON_H, jdump({"access_token": tok, "expires_in": cfg["lifetime"],
                                   "token_type": "Bearer"})

    if kind == "azure":
        with STATE.lock:
            cfg["last"] = {"form": sorted(form), "tenant": tenant}
        if tenant != cfg["tenant"]:
            return oauth_err(400, "invalid_request", "AADSTS90002: Tenant '%s' not found." % tenant)
        if form.get("grant_type") != "client_credentials":
            return oauth_err(400, "unsupported_grant_type",
                             "AADSTS70003: The app requested an unsupported grant type.")
        if form.get("client_id") != cfg["client_id"]:
            return oauth_err(400, "unauthorized_client",
                             "AADSTS700016: Application with identifier '%s' was not found in the "
                             "directory." % form.get("client_id", ""))
        if form.get("scope") != cfg["scope"]:
            return oauth_err(400, "invalid_scope",
                             "AADSTS70011: The provided value for the input parameter 'scope' is not valid.")
        secret = form.get("client_secret", "")
        if cfg.get("client_secret_sha256"):
            good = hmac.compare_digest(hashlib.sha256(secret.encode()).hexdigest(),
                                       cfg["client_secret_sha256"])
        else:
            good = hmac.compare_digest(secret.encode(), cfg["client_secret"].encode())
        if cfg["revoked"] or not good:
            desc = ("AADSTS7000215: Invalid client secret provided. Ensure the secret being sent "
                    "in the request is the client secret value, not the client secret ID")
            if cfg["echo_secret"]:     # a server that repeats its input (scrub test)
                desc += " (received %s)" % secret
            return oauth_err(401, "invalid_client", desc)
        if cfg["answer"] == "crlf":
            return 200, JSON_H, jdump({"token_type": "Bearer", "expires_in": 3600,
                                       "access_token": "abc\r\nX-Injected: 1"})
        if cfg["answer"] == "missing":
            return 200, JSON_H, jdump({"token_type": "Bearer", "expires_in": 3600})
        if cfg["answer"] == "notjson":
            return 200, [("Content-Type", "text/html")], b"<html>login</html>"
        tok, _ = oauth_issue(kind, cfg)
        return 200, JSON_H, jdump({"token_type": "Bearer", "expires_in": cfg["lifetime"],
                                   "ext_expires_in": cfg["lifetime"], "access_token": tok})

    # github
    a = h.headers.get("Authorization", "")
    if not a.startswith("Bearer "):
        return gh_err(401, "A JSON web token could not be decoded")
    res, why = jwt_verify(a[7:].strip(), cfg["pubkey"])
    if res is None:
        return gh_err(401, "A JSON web token could not be decoded")
    hdr, claims = res
    with STATE.lock:
        cfg["last"] = {"header": hdr, "claims": claims}
    if cfg["revoked"]:
        return gh_err(401, "A JSON web token could not be decoded")
    iat, exp = claims.get("iat"), claims.get("exp")
    if str(claims.get("iss")) != cfg["app_id"]:
        return gh_err(401, "'Issuer' claim ('iss') must be the app's id")
    if not isinstance(iat, int) or not isinstance(exp, int) or exp <= now:
        return gh_err(401, "'Expiration time' claim ('exp') must be a numeric value representing "
                      "the future time at which the assertion expires")
    if exp - iat > 600 or exp > now + 600:
        return gh_err(401, "'Expiration time' claim ('exp') is too far in the future")
    if iat > now + 60:
        return gh_err(401, "'Issued at' claim ('iat') must be an Integer representing the time "
                      "that the assertion was issued")
    if inst != cfg["installation_id"] and inst not in github_installs(cfg).values():
        return gh_err(404, "Not Found")
    tok, texp = oauth_issue(kind, cfg)
    with STATE.lock:
        STATE.gh_token_inst[tok] = inst
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(texp)) + ".%03dZ" % (int(texp * 1000) % 1000)
    return 201, JSON_H, jdump({"token": tok, "expires_at": stamp,
                               "permissions": {"metadata": "read"}, "repository_selection": "all"})


def github_app_jwt_check(h):
    """(cfg, None) if the request carries a valid app JWT, else (None, reply)"""
    with STATE.lock:
        cfg = STATE.oauth.get("github")
    if cfg is None:
        return None, gh_err(401, "mock: no github configuration (see /_mock/oauth)")
    a = h.headers.get("Authorization", "")
    res, _ = jwt_verify(a[7:].strip(), cfg["pubkey"]) if a.startswith("Bearer ") else (None, None)
    if res is None or cfg["revoked"] or str(res[1].get("iss")) != cfg["app_id"] \
            or not isinstance(res[1].get("exp"), int) or res[1]["exp"] <= time.time():
        return None, gh_err(401, "A JSON web token could not be decoded")
    return cfg, None


def github_installation(h, method, owner):
    """GET /orgs/{org}/installation etc.: the app's installation there"""
    if method != "GET":
        return gh_err(404, "Not Found")
    cfg, err = github_app_jwt_check(h)
    if err:
        return err
    inst = github_installs(cfg).get(owner.lower())
    if inst is None:
        return gh_err(404, "Not Found")
    return 200, JSON_H, jdump({"id": int(inst), "account": {"login": owner},
                               "app_id": int(cfg["app_id"]) if cfg["app_id"].isdigit() else 0})


def github_app_items(h, route, pairs, q, owner):
    """/orgs/{org}/items, /repos/{owner}/{repo}/items: a collection that
    takes only a live installation token of the owner's installation (when
    installs= is configured): a token from another installation is 404,
    as GitHub answers for a repository the installation cannot see."""
    with STATE.lock:
        cfg = STATE.oauth.get("github")
    a = h.headers.get("Authorization", "")
    tok = a[7:].strip() if a.startswith("Bearer ") else a.split(" ", 1)[-1].strip()
    with STATE.lock:
        inst = STATE.gh_token_inst.get(tok)
    if cfg and inst is not None:
        want = github_installs(cfg).get(owner.lower())
        if want is not None and want != inst:
            return gh_err(404, "Not Found")
    return collection(h, route, pairs, q, "link", route, "small")


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "cq-mock/1.0"
    sys_version = ""
    disable_nagle_algorithm = True
    timeout = 600          # idle keep-alive connections are dropped after 10 min

    def setup(self):
        super().setup()
        with _HANDOFF_LOCK:
            pre = _HANDOFF.pop(self.connection.fileno(), None)
        if pre:
            # handed over by the fast lane with what it had read already
            self.rfile = io.BufferedReader(_PrefixRaw(pre, self.connection))

    # no per-request logging to stderr
    def log_message(self, fmt, *args):
        pass

    def log_request(self, code="-", size="-"):
        pass

    def base_url(self):
        host = self.headers.get("Host")
        if not host:
            a = self.server.server_address
            host = "%s:%d" % (a[0], a[1])
        return CONFIG.get("scheme", "http") + "://" + host + getattr(self, "url_prefix", "")

    # --- raw output helpers ---------------------------------------------
    def head_bytes(self, status, headers, length):
        lines = ["HTTP/1.1 %d %s" % (status, REASONS.get(status, ("Unknown",))[0]),
                 "Server: cq-mock/1.0",
                 "Date: " + http_date()]
        for k, v in headers:
            lines.append("%s: %s" % (k, v))
        if length is not None:
            lines.append("Content-Length: %d" % length)
        if self.close_connection:
            lines.append("Connection: close")
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1", "replace")

    def send_all(self, status, headers, body):
        self.status = status
        self.headers_sent = True
        hb = self.head_bytes(status, headers, len(body))
        if self.command == "HEAD":
            self.wfile.write(hb)
        elif len(body) < 65536:
            self.wfile.write(hb + body)
        else:
            self.wfile.write(hb)
            self.wfile.write(body)
        self.bytes_out += len(body)

    def client_gone(self):
        """True if the peer closed its end (readable and EOF)."""
        try:
            r, _, _ = select.select([self.connection], [], [], 0)
            if r:
                return self.connection.recv(1, socket.MSG_PEEK) == b""
        except OSError:
            return True
        return False

    def nap(self, seconds):
        """Sleep in small steps; returns False if the client went away."""
        end = time.monotonic() + seconds
        while True:
            left = end - time.monotonic()
            if left <= 0:
                return True
            if self.client_gone():
                return False
            time.sleep(min(0.05, left))

    # --- entry points ------------------------------------------------------
    def do_GET(self):
        self.handle_any()

    do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = do_GET

    def send_error(self, code, message=None, explain=None):
        # malformed request line / headers: answer JSON and still log it
        self.close_connection = True
        try:
            body = jdump({"message": "mock: %s" % (message or REASONS.get(code, ("",))[0])})
            self.wfile.write(self.head_bytes(code, JSON_H, len(body)) + body)
        except OSError:
            pass
        rl = getattr(self, "requestline", "") or ""
        STATE.log("%s %s %s %d 0.0\n" % (time.strftime("%Y-%m-%dT%H:%M:%S"), "-",
                                         redact_path(rl.replace("\n", " ")[:200]) or "-", code))

    def read_body(self, keep=False):
        # keep=True: the first 1 MiB is kept in self.req_body (token routes,
        # SigV4 routes)
        self.req_body = b""
        te = self.headers.get("Transfer-Encoding", "")
        if "chunked" in te.lower():
            n = 0
            while True:
                line = self.rfile.readline(65537)
                size = int(line.split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline(65537) not in (b"\r\n", b"\n", b""):
                        pass
                    return n
                got = self.rfile.read(size)
                if keep and len(self.req_body) < (1 << 20):
                    self.req_body += got
                self.rfile.readline(65537)
                n += size
        cl = self.headers.get("Content-Length")
        if cl:
            n = int(cl)
            left = n
            while left > 0:
                got = self.rfile.read(min(left, 1 << 20))
                if not got:
                    break
                if keep and len(self.req_body) < (1 << 20):
                    self.req_body += got
                left -= len(got)
            return n
        return 0

    def auth_summary(self):
        a = self.headers.get("Authorization")
        hdr = None
        if a is None:
            for hn in ("X-Api-Key", "Private-Token", "X-Auth-Token", "Api-Key"):
                if self.headers.get(hn) is not None:
                    hdr, a = hn.lower(), self.headers.get(hn)
                    break
        if a is None:
            return "none", None
        a = a.strip()
        if hdr:
            scheme, val = hdr, a
        elif " " in a:
            scheme, val = a.split(" ", 1)
            val = val.strip()
        else:
            scheme, val = "raw", a
        digest = hashlib.sha256(val.encode("utf-8", "surrogateescape")).hexdigest()
        ok = None
        if STATE.expect_sha is not None:
            ok = digest == STATE.expect_sha
        elif STATE.expect_issued:
            with STATE.lock:
                ent = STATE.oauth_tokens.get(val if scheme == "Bearer" else "")
            ok = bool(ent) and ent[1] > time.time()
        return "%s:%s" % (scheme, digest[:8]), ok

    def handle_any(self):
        self.status = 0
        self.headers_sent = False
        self.bytes_out = 0
        t0 = time.time()
        raw_path = self.path
        if raw_path.startswith("http://") or raw_path.startswith("https://"):
            raw_path = "/" + raw_path.split("/", 3)[-1] if raw_path.count("/") >= 3 else "/"
        route, _, qs = raw_path.partition("?")
        method = self.command.upper()
        if route.startswith("/_mock/"):
            try:
                self.read_body()
                st, hd, body = self.control(route, qs)
            except Exception as e:  # noqa
                st, hd, body = 500, JSON_H, jdump({"message": "mock: %s" % e})
            self.send_all(st, hd, body)
            return
        r = STATE.begin(route)
        auth, auth_ok = "none", None
        self.sigv4 = None
        self.url_prefix = ""
        try:
            auth, auth_ok = self.auth_summary()
            self.req_bytes = self.read_body(keep=is_oauth_route(route) or route.startswith("/aws/") or route.startswith("/aws-api")
                                            or route.startswith("/synth/") or route.startswith("/gpost/"))
            self.serve(method, route, qs, auth_ok)
        except (BrokenPipeError, ConnectionResetError, ConnectionAbortedError, socket.timeout):
            self.close_connection = True
            if not self.status:
                self.status = 499
        except Exception as e:   # never crash: 500 JSON
            self.close_connection = True
            if not self.headers_sent:
                try:
                    self.send_all(500, JSON_H, jdump({"message": "mock: internal error: %r" % (e,)}))
                except OSError:
                    pass
            if not self.status:
                self.status = 500
            try:
                sys.stderr.write("mock: error on %s: %r\n" % (redact_path(route), e))
            except Exception:
                pass
        finally:
            t1 = time.time()
            safe = redact_path(raw_path)
            STATE.end(r, (method, safe, route, t0, t1, self.status, auth, auth_ok,
                          self.client_address[1], self.bytes_out, self.sigv4))
            if STATE.logf is not None:
                STATE.log("%s.%03d %s %s %d %.1f\n" % (
                    time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(t0)), int(t0 * 1000) % 1000,
                    method, safe, self.status, (t1 - t0) * 1000))

    # --- routing -----------------------------------------------------------
    def serve(self, method, route, qs, auth_ok):
        pairs = urllib.parse.parse_qsl(qs, keep_blank_values=True)
        q = dict(pairs)
        aws = None
        if route.startswith("/aws/"):
            # /aws/<region>/<service>/<rest>: SigV4 verified before anything
            parts = route.split("/", 5)
            if len(parts) < 5 or not parts[2] or not parts[3]:
                return self.send_all(400, JSON_H, jdump({"message": "mock: use /aws/<region>/<service>/<route>"}))
            region, service = parts[2], parts[3]
            raw_path = self.path.split("?", 1)[0]
            if raw_path.startswith("http://") or raw_path.startswith("https://"):
                raw_path = "/" + raw_path.split("/", 3)[-1]
            protocol = "ec2" if service == "ec2" else \
                "query" if (self.headers.get("Content-Type") or "").startswith("application/x-www-form-urlencoded") \
                else "json"
            bad, self.sigv4 = aws_verify(self, method, raw_path, qs, self.req_body, region, service)
            if bad:
                return self.send_all(*aws_error_reply(protocol, *bad))
            aws = (region, service, "/" + (parts[4] if len(parts) > 4 else "") +
                   ("/" + parts[5] if len(parts) > 5 else ""))
        if route == "/aws-api" or route.startswith("/aws-api/"):
            return self.serve_aws_api(method, route, qs)
        fault = STATE.take_fault(route, qs)
        if STATE.enforce and auth_ok is not True and \
                not (STATE.expect_issued and is_oauth_route(route)):
            return self.send_all(401, JSON_H, jdump({
                "message": "Bad credentials",
                "documentation_url": "https://docs.github.com/rest"}))
        if fault:
            done = self.pre_fault(fault)
            if done:
                return
        try:
            if aws is None:
                st, hd, body = self.dispatch(method, route, qs, pairs, q)
            elif aws[2] == "/query":
                st, hd, body = aws_query(method, self.req_body, aws[1], self.sigv4)
            else:
                # the generated routes, their next links under /aws/... too
                self.url_prefix = "/aws/%s/%s" % (aws[0], aws[1])
                st, hd, body = self.dispatch(method, aws[2], qs, pairs, q)
        except BadRequest as e:
            st, hd, body = 400, JSON_H, jdump({"message": "mock: %s" % e})
        if st is None:       # streamed by the route itself
            return
        if fault:
            return self.post_fault(fault, st, hd, body, route)
        self.send_all(st, hd, body)

    def serve_aws_api(self, method, route, qs):
        """/aws-api (LocalStack style): see aws_api_ec2 and the banner above it."""
        raw_path = self.path.split("?", 1)[0]
        if raw_path.startswith("http://") or raw_path.startswith("https://"):
            raw_path = "/" + raw_path.split("/", 3)[-1]
        ctype = self.headers.get("Content-Type") or ""
        target = self.headers.get("X-Amz-Target")
        m = AWS_AUTH_RE.match((self.headers.get("Authorization") or "").strip())
        region, service = (m.group(3), m.group(4)) if m else ("", "")
        form = {}
        if ctype.startswith("application/x-www-form-urlencoded"):
            form = dict(urllib.parse.parse_qsl(self.req_body.decode("utf-8", "replace"), keep_blank_values=True))
            protocol = "ec2" if service == "ec2" else "query"
        elif target:
            protocol = "json"
        else:
            protocol = "rest-xml" if service == "s3" else "rest-json"
        eproto = protocol if protocol in ("ec2", "query", "json") else ("query" if service == "s3" else "json")
        bad, self.sigv4 = aws_verify(self, method, raw_path, qs, self.req_body, region, service)
        op = form.get("Action") or (target.split(".")[-1] if target else "%s %s" % (method, route[len("/aws-api"):] or "/"))
        self.sigv4["protocol"] = protocol
        self.sigv4["operation"] = op
        self.sigv4["region"] = region
        self.sigv4["service"] = service
        if bad:
            return self.send_all(*aws_error_reply(eproto, *bad))
        with STATE.lock:
            hit = None
            for f in STATE.aws_faults:
                if f["region"] in ("", region) and f["service"] in ("", service) and f["count"] != 0:
                    hit = dict(f)
                    if f["count"] > 0:
                        f["count"] -= 1
                    break
        if hit:
            self.sigv4["fault"] = hit["code"]
            return self.send_all(*aws_error_reply(eproto, hit["status"], hit["code"], hit["message"] or
                                                  "mock: %s in %s" % (hit["code"], region)))
        q = dict(urllib.parse.parse_qsl(qs, keep_blank_values=True))
        try:
            if protocol == "ec2":
                st, hd, body = aws_api_ec2(region, form)
            elif protocol == "query" and service == "sts":
                st, hd, body = aws_sts(form, self.sigv4)     # AssumeRole, GetCallerIdentity
            elif protocol == "query":
                st, hd, body = aws_api_query(service, region, form)
            elif protocol == "json":
                st, hd, body = aws_api_json(service, region, target, self.req_body)
            else:
                st, hd, body = aws_api_rest(service, region, method, route[len("/aws-api"):], q)
        except BadRequest as e:
            st, hd, body = aws_error_reply(eproto, 400, "ValidationError", "mock: %s" % e)
        self.send_all(st, hd, body)

    def dispatch(self, method, route, qs, pairs, q):
        lat = q.get("latency_ms")
        if lat:
            ms = qint(q, "latency_ms", 0, 0, 3600000)
            if ms and not self.nap(ms / 1000.0):
                self.close_connection = True
                self.status = 499
                return None, None, None
        parts = route.split("/")
        gen = generated_route(self, route, parts, pairs, q)
        if gen is not None:
            return gen
        if route.startswith("/ratelimited/") and len(parts) >= 4:
            return self.ratelimited(route, pairs, q, parts)
        if route.startswith("/replay/"):
            return replay(self, method, route[len("/replay/"):], qs)
        if route.startswith("/synth/"):
            return synth_route(self, route[len("/synth/"):], pairs)
        if route.startswith("/crd/"):
            return crd_route(self, route[len("/crd/"):], q)
        if route.startswith("/incr/"):
            return incr_route(self, route[len("/incr/"):], pairs, q)
        if route.startswith("/hyd/"):
            return hyd_route(self, route[len("/hyd/"):], pairs, q)
        if route.startswith("/gpost/"):
            return gpost_route(self, method, route[len("/gpost/"):], pairs, q)
        if route.startswith("/jn/"):
            return jn_route(route[len("/jn/"):], q)
        if is_oauth_route(route):
            return oauth_route(self, method, route)
        ga = GITHUB_APP_DATA_ROUTE.match(route)
        if ga:
            return github_app_items(self, route, pairs, q, ga.group(1) or ga.group(2))
        if route.startswith("/hostile/"):
            return self.hostile(route[len("/hostile/"):], q)
        if route.startswith("/echo/"):
            return self.echo(route[len("/echo/"):], q)
        if route == "/redirect":
            to = q.get("to")
            if not to:
                raise BadRequest("redirect needs to=URL")
            st = qint(q, "status", 302, 300, 399)
            return st, [("Location", to)] + JSON_H, jdump({"message": "redirect", "location": to})
        if route in ("/", "/gen", "/gen/"):
            return 200, JSON_H, jdump({"message": "cq_fdw mock API; see test/mock/README.md"})
        return 404, JSON_H, jdump({"message": "Not Found (mock: unknown route %s)" % route,
                                   "documentation_url": "test/mock/README.md"})

    # --- a rate-limited API (shared rate limiter tests) ----------------------
    def ratelimited(self, route, pairs, q, parts):
        """/ratelimited/<style>/<name>?rps=N&...: a generated collection
        (as /gen/<style>/<name>) that allows N requests per second per token
        (the Authorization header), in fixed one-second windows, and answers
        429 with Retry-After: 1 beyond it.  Every answer carries
        X-RateLimit-Remaining and X-RateLimit-Reset (epoch seconds), as
        GitHub's do.  /_mock/stats?route=/ratelimited/ counts requests; the
        request log (/_mock/requests) has each status."""
        rps = qint(q, "rps", 10, 1, 100000)
        token = self.headers.get("Authorization") or ""
        now = time.time()
        window = int(now)
        with RL_LOCK:
            w, count = RL_WINDOWS.get(token, (window, 0))
            if w != window:
                w, count = window, 0
            count += 1
            RL_WINDOWS[token] = (w, count)
        rl = [("X-RateLimit-Limit", str(rps)),
              ("X-RateLimit-Remaining", str(max(0, rps - count))),
              ("X-RateLimit-Reset", str(window + 1))]
        if count > rps:
            return 429, JSON_H + rl + [("Retry-After", "1")], jdump({
                "message": "API rate limit exceeded (mock: %d requests/s per token)" % rps})
        st, hd, body = collection(self, route, pairs, q, parts[2], "/".join(parts[3:]), "rich")
        return st, hd + rl, body

    # --- echo routes (security tests: credentials echoed back) ---------------
    def echo(self, name, q):
        """An API that repeats what it was sent: the credentials of the
        request come back in an error body or in a row (README.md)."""
        sent = []
        for hn in ("Authorization", "X-Api-Key", "Private-Token", "X-Auth-Token", "Api-Key"):
            v = self.headers.get(hn)
            if v is not None:
                sent.append("%s: %s" % (hn, v))
                if hn == "Authorization" and v.startswith("Basic "):
                    try:
                        sent.append("decoded %s" % base64.b64decode(v[6:]).decode("utf-8", "replace"))
                    except Exception:  # noqa
                        pass
        creds = "; ".join(sent) or "no credentials"
        if name == "auth401":
            return 401, JSON_H, jdump({"message": "Bad credentials: you sent %s" % creds,
                                       "documentation_url": "test/mock/README.md"})
        if name == "rows":
            bare = ""
            for x in sent:
                bare = x.split(": ", 1)[-1].split(" ", 1)[-1]
                break
            return 200, JSON_H, jdump([{"id": 1, "ip": bare or "none", "note": creds}])
        if name == "text500":
            return 500, [("Content-Type", "text/html")], \
                b"<html><title>internal admin console</title>SSH-2.0-OpenSSH_9.6 banner</html>"
        return 404, JSON_H, jdump({"message": "mock: unknown echo route %s" % name})

    # --- faults --------------------------------------------------------------
    def pre_fault(self, f):
        """Faults that replace the response entirely. True if handled."""
        mode = f["mode"]
        if mode in ("429", "429date"):
            s = f["retry_after"] if f["retry_after"] is not None else 1
            ra = str(s) if mode == "429" else email.utils.formatdate(time.time() + s, usegmt=True)
            self.send_all(429, [("Retry-After", ra)] + JSON_H, jdump({
                "message": "API rate limit exceeded",
                "documentation_url": "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api"}))
            return True
        if mode == "ratelimit":
            s = f["retry_after"] if f["retry_after"] is not None else 1
            self.send_all(403, [("X-RateLimit-Limit", "5000"), ("X-RateLimit-Remaining", "0"),
                                ("X-RateLimit-Used", "5000"),
                                ("X-RateLimit-Reset", str(int(time.time() + s + 0.999)))] + JSON_H,
                          jdump({"message": "API rate limit exceeded for user ID 1.",
                                 "documentation_url": "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api"}))
            return True
        if mode == "aws_expired":
            # AWS refusing a temporary key that expired (JSON protocol reply)
            self.send_all(*aws_error_reply("json", 403, "ExpiredToken",
                                           "The security token included in the request is expired"))
            return True
        if mode in ("500", "502", "503", "404", "401", "403"):
            code = int(mode)
            hd = list(JSON_H)
            if f["retry_after"] is not None:
                hd.append(("Retry-After", str(f["retry_after"])))
            self.send_all(code, hd, jdump({"message": ERROR_MESSAGES[code],
                                           "documentation_url": "https://docs.github.com/rest"}))
            return True
        if mode == "reset":
            self.status = 0
            self.close_connection = True
            try:
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                self.rfile.close()
                self.wfile.close()
                self.connection.close()
            except OSError:
                pass
            return True
        if mode == "slow":
            if not self.nap(f["delay_ms"] / 1000.0):
                self.close_connection = True
                self.status = 499
                return True
            return False
        if mode == "huge":
            return False
        return False      # body faults applied after the route produced its body

    def post_fault(self, f, st, hd, body, route):
        mode = f["mode"]
        if mode == "huge":
            arr = huge_items_array()
            if route.startswith("/gen/link/") or route.startswith("/replay/") or route.startswith("/hostile/") \
                    or not body.startswith(b"{"):
                body = arr
            else:
                body = b'{"items":' + arr + b"}"
            hd = [(k, v) for k, v in hd if k.lower() != "link"]
            return self.send_all(200, hd, body)
        if mode == "truncate":
            self.close_connection = True
            self.status = st
            self.headers_sent = True
            half = body[: len(body) // 2]
            self.wfile.write(self.head_bytes(st, hd, len(body)) + half)
            self.bytes_out = len(half)
            return
        if mode == "badjson":
            bad = body[: len(body) // 2] + b'<<garbage>>\x01}]"'
            return self.send_all(200, hd, bad)
        if mode == "stall":
            self.status = st
            self.headers_sent = True
            cut = len(body) // 2
            self.wfile.write(self.head_bytes(st, hd, len(body)) + body[:cut])
            if not self.nap(f["delay_ms"] / 1000.0):
                self.close_connection = True
                return
            self.wfile.write(body[cut:])
            self.bytes_out = len(body)
            return
        return self.send_all(st, hd, body)

    # --- hostile routes ------------------------------------------------------
    def start_chunked(self, status, headers):
        self.status = status
        self.headers_sent = True
        self.wfile.write(self.head_bytes(status, headers + [("Transfer-Encoding", "chunked")], None))

    def chunk(self, data):
        if data:
            self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
            self.bytes_out += len(data)

    def hostile(self, what, q):
        if what == "stream":
            self.close_connection = True
            self.start_chunked(200, JSON_H)
            piece = b'{"id":1,"v":"' + b"s" * 1000 + b'"},'
            block = piece * 64      # ~64 KB, 16 per second = 1 MB/s
            self.chunk(b'{"items":[')
            while True:
                self.chunk(block)
                if not self.nap(1.0 / 16):
                    return None, None, None
        if what == "bomb":
            mb = qint(q, "mb", 1024, 1, 8192)
            body = bomb_body(mb)
            return 200, [("Content-Encoding", "gzip")] + JSON_H, body
        if what == "short":
            self.close_connection = True
            self.status = 200
            self.headers_sent = True
            self.wfile.write(self.head_bytes(200, JSON_H, 1000000) + b'{"items":[' + b" " * 90)
            self.bytes_out = 100
            self.nap(qint(q, "hold_s", 60, 0, 3600))
            return None, None, None
        if what.startswith("bigpage/"):
            return 200, JSON_H, bigpage_body(what[len("bigpage/"):], qint(q, "mb", 8, 1, 1024))
        if what == "deep":
            return 200, JSON_H, deep_body(qint(q, "depth", 100000, 1, 100000000))
        if what == "longstring":
            return 200, JSON_H, longstring_body(qint(q, "mb", 16, 1, 4096))
        if what == "bigarray":
            n = qint(q, "n", 5000000, 0, 10 ** 10)
            self.start_chunked(200, JSON_H)
            self.chunk(b"[")
            step = 20000
            for s in range(0, n, step):
                e = min(n, s + step)
                txt = ",".join('{"id":%d}' % i for i in range(s, e))
                self.chunk((("," if s else "") + txt).encode())
            self.chunk(b"]")
            self.wfile.write(b"0\r\n\r\n")
            return None, None, None
        if what == "bigheader":
            kb = qint(q, "kb", 256, 1, 65536)
            return 200, [("X-Big", "h" * (kb * 1024))] + JSON_H, b'[{"id":1}]'
        if what == "loop":
            # redirects to itself forever (hop counter in the query)
            n = qint(q, "hop", 0, 0, 10 ** 9)
            return 302, [("Location", "/hostile/loop?hop=%d" % (n + 1))] + JSON_H, jdump({"message": "redirect"})
        if what == "empty":
            # a success status with no body at all (Content-Length: 0)
            return qint(q, "status", 200, 200, 299), JSON_H, b""
        if what == "numbers":
            return 200, JSON_H, numbers_body(q)
        if what == "numerics":
            return 200, JSON_H, numerics_body()
        if what == "jsonb-docs":
            return 200, JSON_H, jsonb_docs_body()
        if what == "nul":
            return 200, JSON_H, (NUL_RAW_BODY if q.get("raw") == "1" else NUL_BODY)
        if what == "slowloris":
            self.close_connection = True
            interval = qint(q, "interval_ms", 2000, 1, 600000) / 1000.0
            self.status = 200
            self.headers_sent = True
            if q.get("phase") == "body":
                self.wfile.write(self.head_bytes(200, JSON_H + [("Transfer-Encoding", "chunked")], None))
                first, unit = b"5\r\n[1,2,\r\n", b"2\r\n3,\r\n"
            else:
                first, unit = self.head_bytes(200, JSON_H, 100000000) + b"[", b"1,"
            data = first
            while True:
                for i in range(len(data)):
                    self.wfile.write(data[i:i + 1])
                    self.bytes_out += 1
                    if not self.nap(interval):
                        return None, None, None
                data = unit
            return None, None, None
        return 404, JSON_H, jdump({"message": "mock: unknown hostile route %s" % what})

    # --- control routes -------------------------------------------------------
    def control(self, route, qs):
        q = dict(urllib.parse.parse_qsl(qs, keep_blank_values=True))
        name = route[len("/_mock/"):]
        if name == "health":
            return 200, JSON_H, b'{"ok":true}'
        if name == "reset":
            keep = ("oauth", "oauth_tokens", "gh_token_inst", "expect_issued", "enforce")
            # A request's log entry is written after its reply is sent: a
            # client that reset right after the reply (a failed scan) saw a
            # request of the previous test in the next test's log.  Let the
            # requests in flight finish first (bounded: a test may leave a
            # deliberately slow request hanging).
            deadline = time.time() + 0.5
            while STATE.inflight > 0 and time.time() < deadline:
                time.sleep(0.005)
            with STATE.lock:
                # keep_oauth=1: forget the requests, keep the token
                # endpoints' configuration and the tokens they issued
                saved = {k: getattr(STATE, k) for k in keep} \
                    if "keep_oauth=1" in qs.split("&") else {}
                STATE.reset()
                for k, v in saved.items():
                    setattr(STATE, k, v)
            return 200, JSON_H, b'{"ok":true}'
        if name == "stats":
            with STATE.lock:
                routes = [{"route": k, "count": v[0], "max_concurrent": v[2], "in_flight": v[1]}
                          for k, v in STATE.routes.items()]
                out = {"total": STATE.total, "in_flight": STATE.inflight,
                       "max_concurrent": STATE.max_inflight,
                       "threads": threading.active_count()}
                pref = q.get("route")
                if pref is not None:
                    ev = []
                    for e in STATE.requests:
                        if e[2].startswith(pref):
                            ev.append((e[3], 1))
                            ev.append((e[4], -1))
            routes.sort(key=lambda x: x["route"])
            if pref is not None:
                routes = [x for x in routes if x["route"].startswith(pref)]
                ev.sort()
                cur = mx = 0
                for _, d in ev:
                    cur += d
                    mx = max(mx, cur)
                out["prefix"] = pref
                out["prefix_count"] = sum(x["count"] for x in routes)
                out["prefix_max_concurrent"] = mx
            out["routes"] = routes
            return 200, JSON_H, jdump(out)
        if name == "requests":
            pref = q.get("route", "")
            limit = qint(q, "limit", 1000, 0, 200000)
            # A client reads the log right after its own request returned,
            # but the handler logs after the last byte is sent: wait (at
            # most 2 s) for the matching requests still in flight.
            deadline = time.time() + 2.0
            while time.time() < deadline:
                with STATE.lock:
                    busy = sum(r[1] for k, r in STATE.routes.items() if k.startswith(pref))
                if busy == 0:
                    break
                time.sleep(0.01)
            with STATE.lock:
                sel = [e for e in STATE.requests if e[2].startswith(pref)]
            sel = sel[-limit:] if limit else []
            res = []
            for e in sel:
                d = {"method": e[0], "path": e[1], "route": e[2], "start": e[3], "end": e[4],
                     "status": e[5], "auth": e[6], "conn": e[8], "bytes": e[9]}
                if e[7] is not None:
                    d["auth_ok"] = e[7]
                if e[10] is not None:
                    d["sigv4"] = e[10]
                res.append(d)
            return 200, JSON_H, jdump({"requests": res})
        if name == "expect_token":
            sha = q.get("sha256")
            if sha and not re.fullmatch(r"[0-9a-fA-F]{64}", sha):
                raise BadRequest("sha256 must be 64 hex digits")
            issued = q.get("issued") == "1" and not sha
            with STATE.lock:
                STATE.expect_sha = sha.lower() if sha else None
                STATE.expect_issued = issued
                STATE.enforce = (bool(sha) or issued) and q.get("enforce") == "1"
            return 200, JSON_H, jdump({"ok": True, "expecting": bool(sha) or issued,
                                       "enforce": STATE.enforce})
        if name == "aws":
            # skew_s=N: the mock's clock for SigV4 freshness runs N s ahead
            with STATE.lock:
                if "skew_s" in q:
                    STATE.aws_skew = qint(q, "skew_s", 0, -10 ** 9, 10 ** 9)
                # STS: lifetime of AssumeRole's keys; the ExternalId roles
                # require ("" : none)
                if "role_lifetime_s" in q:
                    STATE.aws_role_lifetime = qint(q, "role_lifetime_s", 3600, 1, 129600)
                for k in ("ecs_clusters", "ecs_services", "eks_clusters"):
                    if k in q:
                        setattr(STATE, "aws_" + k, qint(q, k, 0, 0, 100000))
                if "external_id" in q:
                    # "@canary": the security canary + "-external-id" (built
                    # here, so that it is in no request the mock logs)
                    STATE.aws_external_id = (_CANARY + "-external-id" if q["external_id"] == "@canary"
                                             else q["external_id"]) or None
                out = {"ok": True, "skew_s": STATE.aws_skew, "keys": sorted(AWS_KEYS),
                       "role_lifetime_s": STATE.aws_role_lifetime,
                       "external_id_required": STATE.aws_external_id is not None,
                       "issued": len(STATE.aws_issued)}
            return 200, JSON_H, jdump(out)
        if name == "aws_api_n":
            # bench S5: rows per region each /aws-api operation serves (default 5)
            global AWS_API_N
            AWS_API_N = qint(q, "n", 5, 1, 10 ** 7)
            return 200, JSON_H, jdump({"ok": True, "n": AWS_API_N})
        if name == "aws_fail":
            # the next `count` (-1: every) /aws-api requests to region (and
            # service, if given) get this AWS error: code, status, message
            f = {"region": q.get("region", ""), "service": q.get("service", ""),
                 "code": q.get("code", "AccessDenied"), "status": qint(q, "status", 403, 400, 599),
                 "count": qint(q, "count", -1, -1, 1000000), "message": q.get("message", "")}
            with STATE.lock:
                STATE.aws_faults.append(f)
            return 200, JSON_H, jdump({"ok": True, "fault": f})
        if name == "oauth":
            return oauth_control(q)
        if name == "oauth_forget":
            # the access tokens issued so far are no longer valid (a key
            # rotated at the vendor): with expect_token?issued=1 the API
            # answers 401 to them, new ones are accepted
            with STATE.lock:
                n = len(STATE.oauth_tokens)
                STATE.oauth_tokens = {}
            return 200, JSON_H, jdump({"ok": True, "forgotten": n})
        if name == "oauth_last":
            with STATE.lock:
                last = (STATE.oauth.get(q.get("kind", "")) or {}).get("last")
            return 200, JSON_H, jdump({"last": last})
        if name == "fault":
            mode = q.get("mode", "")
            if mode not in FAULT_MODES:
                return 400, JSON_H, jdump({"message": "mock: mode must be one of %s" % sorted(FAULT_MODES)})
            if "route" not in q:
                return 400, JSON_H, jdump({"message": "mock: fault needs route=PREFIX"})
            f = {"route": q["route"], "mode": mode,
                 "count": qint(q, "count", 1, -1), "after": qint(q, "after", 0, 0),
                 "retry_after": qint(q, "retry_after", None, 0) if q.get("retry_after") else None,
                 "delay_ms": qint(q, "delay_ms", 5000, 0), "matched": 0, "fired": 0,
                 "query": q.get("query", "")}
            with STATE.lock:
                STATE.fault_seq += 1
                f["id"] = STATE.fault_seq
                STATE.faults.append(f)
            return 200, JSON_H, jdump({"ok": True, "fault": f})
        if name == "faults":
            if q.get("clear") == "1":
                with STATE.lock:
                    STATE.faults = []
            with STATE.lock:
                fs = [dict(f) for f in STATE.faults]
            return 200, JSON_H, jdump({"faults": fs})
        return 404, JSON_H, jdump({"message": "mock: unknown control route %s" % route})


# ---------------------------------------------------------------------------
# fast lane (--fast-lane; bench/run uses it): the generated collections
# (/gen/<style>/..., /accounts/<id>/...) served from one selector loop
# instead of a thread per connection.  With 64 keep-alive connections each
# waiting latency_ms, the threads' GIL hand-offs cost the mock ~0.4 ms of
# CPU per request, mostly context switches (perf: futex waits, 45% of the
# mock's samples in the kernel's task switch) -- a 10,000-request scenario
# at 20 ms needed more CPU than the mock had.  The loop answers the same
# bytes (generated_route, head_bytes), counts and logs each request as a
# handler does (STATE.begin/end, the log file, 499 when the client leaves
# during latency_ms), and hands every other request -- another route or
# method, a body, HTTP/1.0, faults armed, tokens enforced -- with its
# connection and the bytes already read to a handler thread, as before.
# ---------------------------------------------------------------------------

_HANDOFF = {}               # fd -> bytes read by the fast lane (setup)
_HANDOFF_LOCK = threading.Lock()


class _PrefixRaw(io.RawIOBase):
    """A socket's reads, after `prefix` (what the fast lane read first)."""

    def __init__(self, prefix, sock):
        self.prefix = prefix
        self.sock = sock

    def readable(self):
        return True

    def readinto(self, b):
        if self.prefix:
            n = min(len(b), len(self.prefix))
            b[:n] = self.prefix[:n]
            self.prefix = self.prefix[n:]
            return n
        return self.sock.recv_into(b)


class FastReq:
    """One request in the fast lane: what Handler.base_url, auth_summary
    and head_bytes read of a handler."""
    __slots__ = ("headers", "server", "url_prefix", "close_connection", "command", "path",
                 "route", "pairs", "q", "t0", "r", "auth", "auth_ok", "gone")

    base_url = Handler.base_url
    auth_summary = Handler.auth_summary
    head_bytes = Handler.head_bytes


class FastConn:
    __slots__ = ("sock", "addr", "buf", "out", "req")

    def __init__(self, sock, addr):
        self.sock = sock
        self.addr = addr
        self.buf = b""
        self.out = None         # memoryview of the reply still to send
        self.req = None         # the request being served (waiting or sending)


class FastLane:
    ELIGIBLE = (b"/accounts/", b"/gen/")

    def __init__(self, srv):
        self.srv = srv
        self.sel = selectors.DefaultSelector()
        self.timers = []        # heap of (due, seq, conn, req)
        self.seq = 0

    def run(self):
        lsock = self.srv.socket
        lsock.setblocking(False)
        self.sel.register(lsock, selectors.EVENT_READ, None)
        while True:
            tmo = 0.5
            if self.timers:
                tmo = max(0.0, min(tmo, self.timers[0][0] - time.monotonic()))
            for key, mask in self.sel.select(tmo):
                c = key.data
                if c is None:
                    self.accept(lsock)
                    continue
                if mask & selectors.EVENT_WRITE:
                    self.send(c)
                if mask & selectors.EVENT_READ and c.sock is not None:
                    self.read(c)
            now = time.monotonic()
            while self.timers and self.timers[0][0] <= now:
                _, _, c, req = heapq.heappop(self.timers)
                if c.req is req and not req.gone:
                    self.reply(c, req)

    def accept(self, lsock):
        while True:
            try:
                sock, addr = lsock.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                return
            self.srv.verify_request(sock, addr)
            sock.setblocking(False)
            try:
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            except OSError:
                pass
            self.sel.register(sock, selectors.EVENT_READ, FastConn(sock, addr))

    def close(self, c):
        try:
            self.sel.unregister(c.sock)
        except (KeyError, ValueError):
            pass
        try:
            c.sock.close()
        except OSError:
            pass
        c.sock = None

    def read(self, c):
        try:
            data = c.sock.recv(65536)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            data = b""
        if not data:
            req = c.req
            if req is not None and not req.gone:
                # the client left during latency_ms (as Handler.nap: 499)
                req.gone = True
                req.close_connection = True
                self.log_end(c, req, 499, 0)
            self.close(c)
            return
        c.buf += data
        if c.req is None:
            self.parse(c)

    def handoff(self, c):
        """This connection's requests go to a handler thread from now on."""
        sock = c.sock
        self.sel.unregister(sock)
        c.sock = None
        sock.setblocking(True)
        with _HANDOFF_LOCK:
            _HANDOFF[sock.fileno()] = c.buf
        self.srv.process_request(sock, c.addr)

    def parse(self, c):
        end = c.buf.find(b"\r\n\r\n")
        if end < 0:
            if len(c.buf) > 65536:
                self.handoff(c)         # the handler answers 431/400
            return
        lines = c.buf[:end].split(b"\r\n")
        words = lines[0].split()
        if (len(words) != 3 or words[0] != b"GET" or words[2] != b"HTTP/1.1" or
                not words[1].startswith(self.ELIGIBLE) or words[1].startswith(b"/gen/invalid/") or
                STATE.faults or STATE.enforce):
            self.handoff(c)
            return
        items = []
        for ln in lines[1:]:
            k, sep, v = ln.decode("iso-8859-1").partition(":")
            if not sep or k[:1] in (" ", "\t"):
                self.handoff(c)
                return
            items.append((k.strip(), v.strip()))
        headers = FastHeaders(items)
        if (headers.get("Content-Length", "0") not in ("", "0") or "Transfer-Encoding" in headers or
                "Expect" in headers):
            self.handoff(c)
            return
        c.buf = c.buf[end + 4:]
        req = FastReq()
        req.headers = headers
        req.server = self.srv
        req.url_prefix = ""
        req.command = "GET"
        req.path = words[1].decode("iso-8859-1")
        req.close_connection = (headers.get("Connection") or "").lower() == "close"
        req.gone = False
        req.route, _, qs = req.path.partition("?")
        req.t0 = time.time()
        req.r = STATE.begin(req.route)
        req.auth, req.auth_ok = req.auth_summary()
        req.pairs = urllib.parse.parse_qsl(qs, keep_blank_values=True)
        req.q = dict(req.pairs)
        c.req = req
        ms = 0
        if req.q.get("latency_ms"):
            try:
                ms = qint(req.q, "latency_ms", 0, 0, 3600000)
            except BadRequest:
                ms = 0          # reply() answers the 400
        if ms:
            self.seq += 1
            heapq.heappush(self.timers, (time.monotonic() + ms / 1000.0, self.seq, c, req))
        else:
            self.reply(c, req)

    def reply(self, c, req):
        try:
            res = generated_route(req, req.route, req.route.split("/"), req.pairs, req.q)
            if res is None:
                raise BadRequest("no such generated route")
            st, hd, body = res
        except BadRequest as e:
            st, hd, body = 400, JSON_H, jdump({"message": "mock: %s" % e})
        except Exception as e:   # never crash: 500 JSON, as Handler.handle_any
            req.close_connection = True
            st, hd, body = 500, JSON_H, jdump({"message": "mock: internal error: %r" % (e,)})
        out = req.head_bytes(st, hd, len(body)) + body
        c.out = (memoryview(out), st, len(body))
        self.send(c)

    def send(self, c):
        if c.out is None or c.sock is None:
            return
        mv, st, blen = c.out
        try:
            n = c.sock.send(mv)
        except (BlockingIOError, InterruptedError):
            n = 0
        except OSError:
            req = c.req
            c.out = None
            self.log_end(c, req, 499, 0)
            self.close(c)
            return
        mv = mv[n:]
        if len(mv):
            c.out = (mv, st, blen)
            self.sel.modify(c.sock, selectors.EVENT_READ | selectors.EVENT_WRITE, c)
            return
        req = c.req
        c.out = None
        self.sel.modify(c.sock, selectors.EVENT_READ, c)
        self.log_end(c, req, st, blen)
        if req.close_connection:
            self.close(c)
            return
        if c.buf:
            self.parse(c)

    def log_end(self, c, req, status, nbytes):
        c.req = None
        t1 = time.time()
        safe = redact_path(req.path)
        STATE.end(req.r, ("GET", safe, req.route, req.t0, t1, status, req.auth, req.auth_ok,
                          c.addr[1], nbytes, None))
        if STATE.logf is not None:
            STATE.log("%s.%03d %s %s %d %.1f\n" % (
                time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(req.t0)), int(req.t0 * 1000) % 1000,
                "GET", safe, status, (t1 - req.t0) * 1000))


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 4096
    allow_reuse_address = True
    block_on_close = False

    def handle_error(self, request, client_address):
        exc = sys.exc_info()[1]
        if isinstance(exc, (ConnectionError, socket.timeout, OSError)):
            return
        try:
            sys.stderr.write("mock: handler error: %r\n" % (exc,))
        except Exception:
            pass

    def verify_request(self, request, client_address):
        if CONFIG["log_connections"]:
            STATE.log("%s CONNECT %s:%d\n" % (time.strftime("%Y-%m-%dT%H:%M:%S"),
                                              client_address[0], client_address[1]))
        return True


def main():
    ap = argparse.ArgumentParser(description="cq_fdw mock API server (see README.md)")
    ap.add_argument("--bind", default=os.environ.get("MOCK_BIND", "127.0.0.1"))
    ap.add_argument("--port", type=int, default=int(os.environ.get("MOCK_PORT", "18080")))
    default_shared = os.path.normpath(os.path.join(REPO, "..", "shared", "fixtures"))
    ap.add_argument("--fixtures", default=os.environ.get("MOCK_FIXTURES",
                    default_shared if os.path.isdir(default_shared) else ""),
                    help="shared recordings dir (read in place)")
    ap.add_argument("--own-fixtures", default=os.environ.get("MOCK_OWN_FIXTURES",
                    os.path.join(REPO, "test", "fixtures")))
    ap.add_argument("--log", default=os.environ.get("MOCK_LOG"))
    ap.add_argument("--log-connections", action="store_true",
                    help="also log one CONNECT line per accepted TCP connection")
    ap.add_argument("--pidfile")
    ap.add_argument("--fast-lane", action="store_true",
                    help="serve the generated collections (/gen/, /accounts/) from one selector "
                    "loop, every other request from a handler thread (bench/run; see FastLane)")
    # HTTPS that requires a client certificate (kubeconfig tests): the
    # server's PEM certificate and key, and the CA client certificates
    # must chain to
    ap.add_argument("--tls-cert")
    ap.add_argument("--tls-key")
    ap.add_argument("--tls-client-ca")
    a = ap.parse_args()
    if a.bind in ("0.0.0.0", "::", ""):
        sys.exit("mock: refusing to bind a wildcard address; use a loopback address")
    CONFIG["shared"] = a.fixtures if a.fixtures and os.path.isdir(a.fixtures) else None
    CONFIG["own"] = a.own_fixtures if a.own_fixtures and os.path.isdir(a.own_fixtures) else None
    CONFIG["log_connections"] = a.log_connections
    if a.log:
        STATE.logf = open(a.log, "a", encoding="utf-8", errors="replace")
    fam = socket.AF_INET6 if ":" in a.bind else socket.AF_INET
    Server.address_family = fam
    srv = Server((a.bind, a.port), Handler)
    if a.tls_cert:
        import ssl   # noqa: only the TLS mock needs it
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(a.tls_cert, a.tls_key)
        if a.tls_client_ca:
            ctx.verify_mode = ssl.CERT_REQUIRED
            ctx.load_verify_locations(a.tls_client_ca)
        # a failed handshake (no or a foreign client certificate) is an
        # OSError in accept: socketserver drops that connection
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
        CONFIG["scheme"] = "https"

    def on_term(signum, frame):
        raise KeyboardInterrupt
    signal.signal(signal.SIGTERM, on_term)
    if a.pidfile:
        with open(a.pidfile, "w") as f:
            f.write("%d\n" % os.getpid())
    sys.stderr.write("mock: listening on " + CONFIG.get("scheme", "http") + "://%s:%d (shared fixtures: %s, own: %s)\n" % (
        a.bind, srv.server_address[1], CONFIG["shared"], CONFIG["own"]))
    try:
        if a.fast_lane and not a.tls_cert:
            FastLane(srv).run()
        else:
            srv.serve_forever(poll_interval=0.5)
    except KeyboardInterrupt:
        pass
    finally:
        srv.server_close()
        if a.pidfile:
            try:
                os.unlink(a.pidfile)
            except OSError:
                pass


if __name__ == "__main__":
    main()
