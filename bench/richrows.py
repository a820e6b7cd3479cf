"""richrows -- the benchmark's typed view of the mock API's rich items.

Shared by bench.py (which builds the local CSV/JSON floors) and
elt_baseline.py (the sequential fetch-then-COPY baseline), so every method
loads exactly the same columns with the same PostgreSQL types.

Invariants:
  - COLUMNS is the single column list: foreign tables, materialized views,
    COPY targets and the jsonb_to_recordset floor are all generated from it.
  - to_csv_row() turns one decoded JSON item into the PostgreSQL text form
    of each column (None = SQL NULL), as COPY ... (FORMAT csv) reads it.
  - Python standard library only.
"""
import base64
import csv
import io
import ipaddress
import json
import time
import urllib.request

# (column, PostgreSQL type, JSON pointer or None for /<column>)
COLUMNS = [
    ("id", "bigint", None),
    ("uuid", "uuid", None),
    ("name", "text", None),
    ("created_at", "timestamptz", None),
    ("updated_ms", "timestamptz", None),      # epoch milliseconds
    ("price", "numeric", None),               # decimal string
    ("score", "double precision", None),
    ("ipv4", "inet", None),
    ("ipv6", "inet", None),                   # compressed or upper-case padded
    ("cidr", "cidr", None),                   # IPv4 and IPv6
    ("mac", "macaddr", None),                 # ':' '-' '.' forms, mixed case
    ("tags", "text[]", None),                 # unicode, empty arrays
    ("nic_mac", "macaddr", "/nic/mac"),
    ("network_ips", "inet[]", "/networks/*/ip"),
    ("network_prefixes", "cidr[]", "/networks/*/prefix"),
    ("meta", "jsonb", None),                  # nested object
    ("nullable", "text", None),               # null for id % 3 == 0
    ("active", "boolean", None),
    ("big_id", "numeric", None),              # uint64 as a string
    ("duration", "interval", None),           # ISO 8601 or seconds
    ("blob", "bytea", None),                  # base64
    ("description", "text", None),
]
ACCOUNT_COLUMN = ("account", "integer", None)


def columns(fanout):
    """The column list of a scenario (fan-out tables lead with account)."""
    return ([ACCOUNT_COLUMN] if fanout else []) + COLUMNS


def column_ddl(fanout, with_paths):
    """'col type [OPTIONS (path ...)]' joined for CREATE (FOREIGN) TABLE."""
    out = []
    for name, typ, path in columns(fanout):
        s = "%s %s" % (name, typ)
        if with_paths and path:
            s += " OPTIONS (path '%s')" % path
        out.append(s)
    return ",\n    ".join(out)


def sanitize(item):
    """Set the top-level inet/cidr values PostgreSQL would refuse to None
    (JSON null), as cq_fdw turns an invalid value into NULL: the mock's
    compressed IPv6 form "2001:db8::<hex id>" has a 5-digit group for
    ids >= 65536 (e.g. "2001:db8::10000").  Returns the number of values
    changed.  The floors load the sanitized items, so all methods load the
    same rows."""
    n = 0
    for key, strict in (("ipv4", None), ("ipv6", None), ("cidr", True)):
        v = item.get(key)
        if v is None:
            continue
        try:
            if strict:
                ipaddress.ip_network(v, strict=True)
            else:
                ipaddress.ip_interface(v)
        except ValueError:
            item[key] = None
            n += 1
    return n


def _pg_array(values):
    """PostgreSQL array literal of text values (all elements quoted)."""
    parts = []
    for v in values:
        if v is None:
            parts.append("NULL")
        else:
            s = str(v).replace("\\", "\\\\").replace('"', '\\"')
            parts.append('"%s"' % s)
    return "{" + ",".join(parts) + "}"


def _epoch_ms(ms):
    return "%s.%03d+00" % (time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(ms // 1000)), ms % 1000)


def to_csv_row(item, fanout):
    """One rich item -> list of column texts (None = NULL), COLUMNS order."""
    g = item.get
    nic = g("nic") or {}
    nets = g("networks") or []
    row = []
    if fanout:
        row.append(g("account"))
    dur = g("duration")
    blob = g("blob")
    meta = g("meta")
    ums = g("updated_ms")
    row += [
        g("id"), g("uuid"), g("name"), g("created_at"),
        None if ums is None else _epoch_ms(int(ums)),
        g("price"), None if g("score") is None else repr(float(g("score"))),
        g("ipv4"), g("ipv6"), g("cidr"), g("mac"),
        None if g("tags") is None else _pg_array(g("tags")),
        nic.get("mac"),
        _pg_array([n.get("ip") for n in nets]),
        _pg_array([n.get("prefix") for n in nets]),
        None if meta is None else json.dumps(meta, ensure_ascii=False, separators=(",", ":")),
        g("nullable"),
        None if g("active") is None else ("t" if g("active") else "f"),
        g("big_id"),
        None if dur is None else str(dur),
        None if blob is None else "\\x" + base64.b64decode(blob).hex(),
        g("description"),
    ]
    return row


def csv_text(items, fanout):
    """CSV text (COPY ... (FORMAT csv)) of decoded items."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    for it in items:
        sanitize(it)
        w.writerow(["" if v is None else v for v in to_csv_row(it, fanout)])
    return buf.getvalue()


def parse_link_next(link):
    """URL of rel="next" in a Link header, or None."""
    if not link:
        return None
    for part in link.split(","):
        seg = part.split(";")
        if len(seg) >= 2 and 'rel="next"' in ";".join(seg[1:]):
            return seg[0].strip().lstrip("<").rstrip(">")
    return None


def fetch_sequential(url, style):
    """Follow one collection page by page with urllib (one request at a
    time, as a typical ELT script does).  Returns (items, requests)."""
    items = []
    nreq = 0
    first = url
    while url:
        with urllib.request.urlopen(url, timeout=300) as r:
            body = r.read()
            link = r.headers.get("Link")
        nreq += 1
        doc = json.loads(body)
        if style == "link":
            items.extend(doc)
            url = parse_link_next(link)
        else:                                   # next_token, rows in /items
            items.extend(doc.get("items") or [])
            tok = doc.get("nextPageToken")
            url = (first + ("&" if "?" in first else "?") + "pageToken=" +
                   urllib.request.quote(tok, safe="")) if tok else None
    return items, nreq
