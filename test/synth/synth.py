#!/usr/bin/python3
"""synth.py -- synthesized API replies for every table of every source spec.

Used by two programs, so the reply the mock serves and the values the test
expects come from one place:

  test/mock/mock_api.py  serves /synth/<source>/<table>/<api path>: the pages
                         of plan(table) (reply_for()), following the table's
                         own pagination (Link header, next URL, next token,
                         page number, offset);
  test/synth/check.py    scans every table through a server whose base_url is
                         that route, and compares rows, typed values, warnings
                         and the page requests with plan(table).

With the vendor's API description (test/synth/schema.py; github,
digitalocean, kubernetes, gcp): every column path must exist in the list
operation's response item schema (else the table fails: a spec bug), json
columns get values shaped like their schema, string columns with an enum
get its values, and the item's other properties are in the reply too (the
engine must ignore them).  Azure (hand-written, no description) and a
checkout without the descriptions use the spec alone.

For each table, from the spec's columns (paths, types, transforms) and keys:
  - 3 rows over 2 pages (1 page when the table has no pagination; page_number
    paging ends with an empty third page): every column's path present with
    a value of its type (realistic: URLs for *_url, IPv6 under v6, GCP ids
    as decimal strings, RFC 3339 with an offset, ARM ids for
    segment_after:resourceGroups, resource URLs for last_segment);
  - row 2 has one JSON null (a scalar column), row 3 one invalid value
    (the first column whose type can reject a value): NULL + a WARNING;
  - rows are put at the table's `rows` pointer: a `*` segment ranges over
    what the description says is there (an array; a map: GCP aggregated
    lists get two zones and a zone holding only a warning; an object with
    known members: DigitalOcean's networks.v4/v6);
  - child tables: a column path starting with `^` (`^^`...) reads what the
    last (second last...) `*` of `rows` matched; each row gets its own
    parent there, holding those fields; a `key[member=$col]` lookup gets an
    array with a decoy element first and the matching one second (reading
    by position would be wrong);
  - AWS rows two (or more) lists deep (EC2 DescribeInstances' network
    interfaces, DescribeSecurityGroups' ranges): rows 1 and 2 share their
    outermost parent (one reservation / security group holding two
    instances / permissions), and every list of parents starts with a decoy
    parent whose list below is empty (a group without permissions, a
    permission without ranges: no row, and reading a parent by position
    would be wrong);
  - key columns: path keys and required keys get a qual value (the scan's
    WHERE clause); a key whose path is the bare column name is left out of
    the row, so its value must come from the request.

A table this cannot plan raises SynthError: the check counts it as FAILED.
Python standard library only.
"""

import base64
import datetime
import glob
import json
import os
import re
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.normpath(os.path.join(HERE, "..", ".."))
SPEC_DIR = os.path.join(TOP, "sources")

NROWS = 3
AWS_REGION = "us-east-1"         # the check's aws server: regions = this
AWS_ACCOUNT = "123456789012"     # the account of the check's key (the mock's STS GetCallerIdentity)
XML_PROTOCOLS = ("ec2", "query", "rest-xml")
BASE = "@@SYNTH_BASE@@"          # replaced by the mock with http://HOST/synth/<source>/<table>
TOKEN2 = "synth-token-2"
INVALID_TYPES = ("int", "uint", "float", "numeric", "bool", "uuid", "timestamp", "date",
                 "interval", "inet", "cidr", "macaddr", "bytes")
INVALID_VALUE = {
    "int": "twelve", "uint": "-5", "float": "not-a-float", "numeric": "12,5",
    "bool": "maybe", "uuid": "not-a-uuid", "timestamp": "yesterday", "date": "2024-13-45",
    "interval": "soon", "inet": "999.1.1.1", "cidr": "10.0.0.1/8", "macaddr": "zz:zz:zz",
    "bytes": "!!not base64!!",
}


class SynthError(Exception):
    pass


def descriptions_dir():
    """The vendor API descriptions: $CQ_API_DESCRIPTIONS, else next to the
    shared recordings ($CQ_SHARED_FIXTURES/../api-descriptions), else
    gen.py's default (../shared/api-descriptions next to the checkout)."""
    d = os.environ.get("CQ_API_DESCRIPTIONS")
    if not d and os.environ.get("CQ_SHARED_FIXTURES"):
        d = os.path.join(os.path.dirname(os.environ["CQ_SHARED_FIXTURES"].rstrip("/")), "api-descriptions")
        if os.path.isdir(d):
            os.environ["CQ_API_DESCRIPTIONS"] = d
    import schema
    return schema.gen.DESC_DIR if os.path.isdir(schema.gen.DESC_DIR) else None


DESCRIPTIONS = descriptions_dir()
import schema as _schema  # noqa: E402  (after CQ_API_DESCRIPTIONS is settled)


def example_of(S, s, name, i, depth=0):
    """A value shaped like schema s (the API description's): its enum, its
    format, every property of an object (up to depth 3), one or two
    elements of an array."""
    r = S.resolve(s) if s is not None else {}
    enum = r.get("enum")
    if isinstance(enum, list) and enum:
        return enum[i % len(enum)]
    t = r.get("type")
    f = (r.get("format") or "").lower()
    if t == "array":
        if depth >= 3:
            return []
        return [example_of(S, r.get("items", {}), name, i + e, depth + 1) for e in range(2)]
    if S.is_object(r) or t == "object":
        if depth >= 3:
            return {}
        props = S.props(r)
        if props:
            return {p: example_of(S, ps, p, i, depth + 1) for p, ps in sorted(props.items())[:12]}
        ap = r.get("additionalProperties")
        if isinstance(ap, dict):
            return {"%s-key-%d" % (name, i + 1): example_of(S, ap, name, i, depth + 1)}
        return {"%s-key-%d" % (name, i + 1): "value-%d" % (i + 1)}
    if t == "boolean":
        return i % 2 == 0
    if t == "integer":
        return 3 + i
    if t == "number":
        return 0.5 + i
    if f in ("date-time", "datetime"):
        return "2024-05-%02dT10:20:30Z" % (1 + i)
    if f == "date":
        return "2024-05-%02d" % (1 + i)
    if f in ("int64", "uint64", "int32", "uint32"):
        return str(4100000000000000000 + i)
    if f in ("uri", "url"):
        return "https://api.example.com/%s/%d" % (name, i + 1)
    if f == "uuid":
        return uuid_of(900 + i)
    return "%s-%d" % (name, i + 1)


def spec_files(spec_dir=SPEC_DIR):
    out = []
    for f in sorted(glob.glob(os.path.join(spec_dir, "*", "*.json"))):
        name = os.path.basename(f)[:-5]
        if name == os.path.basename(os.path.dirname(f)):
            out.append(f)
    return out


_SPECS = {}


def load_spec(source, spec_dir=SPEC_DIR):
    fn = os.path.join(spec_dir, source, source + ".json")
    mt = os.stat(fn).st_mtime_ns
    c = _SPECS.get(fn)
    if c and c[0] == mt:
        return c[1]
    with open(fn, encoding="utf-8") as f:
        s = json.load(f)
    _SPECS[fn] = (mt, s)
    return s


def find_table(spec, name):
    for t in spec["tables"]:
        if t["name"] == name:
            return t
    raise SynthError("no table %s in source %s" % (name, spec["name"]))


# ---------------------------------------------------------------- pointers

def segs(ptr):
    if ptr in ("", None):
        return []
    if not ptr.startswith("/"):
        raise SynthError("JSON pointer %r does not start with /" % ptr)
    return [s.replace("~1", "/").replace("~0", "~") for s in ptr[1:].split("/")]


def path_segs(p):
    """A column path's segments; a leading "^" run is one segment ("^^")."""
    n = len(p) - len(p.lstrip("^"))
    if n:
        return ["^" * n] + segs(p[n:])
    return segs(p)


LOOKUP = re.compile(r"^(.*)\[([^=\]]+)=([^\]]*)\]$")


def text_of(v):
    """The text a "[member=value]" lookup compares: strings, integers, booleans."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, str)):
        return str(v)
    return None


def lookup_value(row, col, byname):
    """The text of column col of the row (a "$col" lookup value)."""
    c = byname.get(col)
    if c is None:
        raise SynthError("lookup $%s: no such column" % col)
    _, v = evaluate(row, path_segs(c.get("path", "/" + col)))
    return text_of(v)


def lookup_target(s, lookup):
    """(key, member, wanted text) of a lookup segment, or None."""
    m = LOOKUP.match(s)
    if not m:
        return None
    want = m.group(3)
    if want.startswith("$"):
        if lookup is None:
            raise SynthError("lookup %s without a row" % s)
        want = lookup(want[1:])
    return m.group(1), m.group(2), want


def evaluate(doc, sg, lookup=None):
    """The engine's reading of a column path: (has_star, value or list)."""
    if "*" not in sg:
        v = doc
        for s in sg:
            lk = lookup_target(s, lookup) if "[" in s else None
            if lk is not None:
                key, member, want = lk
                if key:
                    v = v.get(key) if isinstance(v, dict) else None
                if not isinstance(v, list) or want is None:
                    return False, None
                v = next((e for e in v if isinstance(e, dict) and text_of(e.get(member)) == want), None)
                if v is None:
                    return False, None
                continue
            if isinstance(v, dict):
                v = v.get(s)
            elif isinstance(v, list) and re.fullmatch(r"0|[1-9][0-9]*", s) and int(s) < len(v):
                v = v[int(s)]
            else:
                return False, None
        return False, v
    out = []

    def walk(v, i):
        if i == len(sg):
            out.append(v)
            return
        s = sg[i]
        if s == "*":
            if isinstance(v, list):
                for e in v:
                    walk(e, i + 1)
            elif isinstance(v, dict):
                for e in v.values():
                    walk(e, i + 1)
            return
        if isinstance(v, dict):
            if s in v:
                walk(v[s], i + 1)
            elif i > 0 and sg[i - 1] == "*":
                out.append(None)      # member missing: a NULL element
        elif i > 0 and sg[i - 1] == "*":
            out.append(None)
    walk(doc, 0)
    return True, out


# ------------------------------------------------------------------ values

def ts_canon(s):
    """RFC 3339 -> PostgreSQL's jsonb text of the timestamptz in UTC."""
    d = datetime.datetime.fromisoformat(s.replace("Z", "+00:00")).astimezone(datetime.timezone.utc)
    out = d.strftime("%Y-%m-%dT%H:%M:%S")
    if d.microsecond:
        out += ("." + "%06d" % d.microsecond).rstrip("0")
    return out + "+00:00"


def uuid_of(n):
    h = "%032x" % ((0x6f1e2d3c4b5a69788796a5b4c3d2e1f0 * (n + 7)) % (1 << 128))
    h = h[:12] + "4" + h[13:16] + "8" + h[17:]
    return "%s-%s-%s-%s-%s" % (h[:8], h[8:12], h[12:16], h[16:20], h[20:])


def scalar(typ, name, i, j, ctx, e=0):
    """A realistic JSON value of SDK type `typ` for row i, column j, array
    element e."""
    n = i * 37 + j + 50 * e
    sfx = "-%d" % (e + 1) if e else ""
    lname = name.lower()
    if typ == "int":
        if "port" in lname:
            return 8000 + n
        if "count" in lname or "replicas" in lname or "size" in lname:
            return 2 + n % 7
        return 1000 + n * 13
    if typ == "uint":
        v = 7339105426148812000 + n * 1001
        return str(v) if ctx["source"] == "gcp" else v
    if typ == "float":
        return 1.5 + n
    if typ == "numeric":
        return "%d.%02d" % (19 + n, 90)
    if typ == "bool":
        return (n % 2) == 0
    if typ == "uuid":
        return uuid_of(n)
    if typ == "timestamp":
        day = 1 + n % 28
        if ctx["source"] == "gcp":
            return "2024-03-%02dT09:15:27.142-08:00" % day
        return "2024-03-%02dT09:15:%02dZ" % (day, n % 60)
    if typ == "date":
        return "2024-04-%02d" % (1 + n % 28)
    if typ == "interval":
        return "PT%dH30M" % (1 + n % 20)
    if typ == "inet":
        if "v6" in ctx["path"].lower() or "ipv6" in lname:
            return "2001:db8::%x" % (n + 1)
        return "10.%d.%d.%d" % (n % 250, i + 1, j % 250 + 1)
    if typ == "cidr":
        if "v6" in ctx["path"].lower() or "ipv6" in lname:
            return "2001:db8:%x::/48" % (n + 1)
        return "10.%d.0.0/16" % (n % 250)
    if typ == "macaddr":
        return "02:42:ac:%02x:%02x:%02x" % (i + 1, j % 256, n % 256)
    if typ == "bytes":
        return base64.b64encode(("synth-%d" % n).encode()).decode()
    if typ == "json":
        return {"synth": "%s-%d" % (name, i + 1), "n": n}
    # string
    if lname.endswith("url") or lname.endswith("link") or lname.endswith("_href") or lname == "href":
        return "https://api.example.com/%s/%s/%d%s" % (ctx["table"], name, i + 1, sfx)
    if "email" in lname:
        return "user%d@example.com" % (n + 1)
    if lname.endswith("name") or lname == "login" or lname.endswith("_login"):
        return "%s-%d%s" % (ctx["table"].split("_", 1)[-1].replace("_", "-"), i + 1, sfx)
    return "%s-%d%s" % (name.replace("_", "-"), i + 1, sfx)


def transformed(transform, base_value, i, ctx):
    """The raw string whose transform gives base_value."""
    if not transform:
        return base_value
    if transform == "last_segment":
        return "https://www.googleapis.com/compute/v1/projects/synth-project/%s/%s" % (
            ctx["name"].replace("_", ""), base_value)
    m = re.fullmatch(r"segment_after:(.+)", transform)
    if m:
        return "/subscriptions/00000000-0000-4000-8000-00000000000%d/%s/%s/providers/Synth.Provider/things/thing-%d" % (
            i + 1, m.group(1), base_value, i + 1)
    raise SynthError("unknown transform %r" % transform)


def apply_transform(transform, s):
    if not transform or not isinstance(s, str):
        return s
    if transform == "last_segment":
        p = s.split("?", 1)[0].rstrip("/")
        return p.rsplit("/", 1)[-1]
    m = re.fullmatch(r"segment_after:(.+)", transform)
    if m:
        parts = s.split("?", 1)[0].split("/")
        for k, p in enumerate(parts[:-1]):
            if p.lower() == m.group(1).lower():
                return parts[k + 1] or None
        return None
    raise SynthError("unknown transform %r" % transform)


def kv_object(v):
    """The key_value_object transform: [{"Key": k, "Value": v}...] -> {k: v}."""
    if not isinstance(v, list):
        return v
    out = {}
    for e in v:
        k = e.get("Key", e.get("key"))
        out[k] = e.get("Value", e.get("value"))
    return out


def canon(typ, v):
    """PostgreSQL's jsonb value of a valid JSON value v read as typ."""
    if v is None:
        return None
    if typ == "int":
        return int(v)
    if typ == "uint":
        return int(v)
    if typ == "float":
        return float(v)
    if typ == "numeric":
        return float(v) if isinstance(v, float) else v
    if typ == "bool":
        return v == "true" if isinstance(v, str) else bool(v)
    if typ == "uuid":
        return v.lower()
    if typ == "timestamp":
        return ts_canon(v)
    if typ == "interval":
        m = re.fullmatch(r"PT(\d+)H(\d+)M", v)
        return "%02d:%02d:00" % (int(m.group(1)), int(m.group(2)))
    if typ == "bytes":
        return "\\x" + base64.b64decode(v).hex()
    if typ == "cidr" or typ == "inet":
        return v
    return v


# -------------------------------------------------------------------- rows

def table_plan(spec, t):
    """Everything the mock serves and the check expects for table t."""
    source = spec["name"]
    aws = t.get("aws")
    if spec.get("auth") == "sigv4" and not aws:
        raise SynthError("a sigv4 table without an aws object")
    xml = bool(aws) and aws["protocol"] in XML_PROTOCOLS
    # columns of detail calls ("hydrate", one GET per row) are not
    # synthesized: the check selects the row's own columns only
    # (sql/hydrate.sql scans the detail calls against the mock)
    cols = [c for c in t["columns"] if "from" not in c]
    byname = {c["name"]: c for c in cols}
    keys = t.get("keys", [])
    keyof = {k["column"]: k for k in keys}
    pag = t.get("pagination", "none")
    if isinstance(pag, str):
        pag = {"type": pag}
    ptype = pag.get("type", "none")

    # -- the qual values: every placeholder of endpoint, every required query key
    ph = re.findall(r"\{([^}]+)\}", t["endpoint"])
    quals = {}
    for k in keys:
        param = k.get("param", k["column"])
        inn = k.get("in") or ("path" if param in ph else "query")
        if (inn == "path" and param in ph) or (inn == "query" and k.get("required")):
            c = byname.get(k["column"])
            if c is None:
                raise SynthError("key %s is not a column" % k["column"])
            typ = c["type"]
            if typ in ("int", "uint"):
                quals[k["column"]] = 42
            elif typ == "uuid":
                quals[k["column"]] = uuid_of(4242)
            elif typ == "inet":
                quals[k["column"]] = "192.0.2.42"
            elif typ in ("string",):
                quals[k["column"]] = "synth-" + k["column"].replace("_", "-")
            else:
                raise SynthError("key column %s of type %s: no qual value" % (k["column"], typ))
    for p in ph:
        if not any(k.get("param", k["column"]) == p for k in keys):
            raise SynthError("placeholder {%s} is filled only by a parent listing" % p)
    # get_endpoint used instead when the quals fill all of its placeholders
    endpoint, rows_ptr = t["endpoint"], t.get("rows", "")
    gph = re.findall(r"\{([^}]+)\}", t.get("get_endpoint", "")) if t.get("get_endpoint") else None
    param_to_col = {k.get("param", k["column"]): k["column"] for k in keys}
    is_get = False
    if gph is not None and all(param_to_col.get(p) in quals for p in gph):
        endpoint, rows_ptr, is_get = t["get_endpoint"], t.get("get_rows", rows_ptr), True
        if ptype in ("page_number", "offset"):
            ptype = "none"

    def expand(tpl):
        return re.sub(r"\{([^}]+)\}", lambda m: urllib.parse.quote(str(quals[param_to_col[m.group(1)]]), safe=""),
                      tpl)
    req_path = expand(endpoint)

    # -- columns grouped by path
    # AWS rows a list inside a list deep: rows 1 and 2 share the outermost
    # parent (its "^^" fields), so the null and invalid values are not there
    nstars = segs(rows_ptr).count("*")
    share = nstars if aws and nstars >= 2 else 0
    groups = {}
    for j, c in enumerate(cols):
        p = c.get("path", "/" + c["name"])
        if p.startswith("^") and len(p) - len(p.lstrip("^")) > segs(rows_ptr).count("*"):
            raise SynthError("column %s: path %r has more \"^\" than the rows pointer %r has \"*\"" % (
                c["name"], p, rows_ptr))
        groups.setdefault(p, []).append((j, c))
    omitted = set()
    for cname, v in quals.items():
        c = byname[cname]
        cp = c.get("path", "/" + cname)
        if cp in ("/" + cname, "/_cq_" + cname) and len(groups.get(cp, [])) == 1:
            omitted.add(cp)
    # AWS: the region column holds the unit's region (the check's server
    # sets regions = AWS_REGION; a global table its global_region); the
    # account column the unit's account: the check's server has no role_arn,
    # so the engine asks STS GetCallerIdentity (sts_url: the mock's /aws-api)
    unit_vals = {}
    if aws:
        for k in keys:
            if k.get("in") in ("region", "account"):
                c = byname[k["column"]]
                unit_vals[k["column"]] = (aws.get("global_region") or AWS_REGION) if k["in"] == "region" else AWS_ACCOUNT
                omitted.add(c.get("path", "/" + c["name"]))
    # Kubernetes: the context column names the kubeconfig context of the
    # unit; the check's user mapping pastes a token (no kubeconfig), so it
    # is null and nothing in the reply fills it
    for k in keys:
        if k.get("in") == "context":
            c = byname[k["column"]]
            unit_vals[k["column"]] = None
            omitted.add(c.get("path", "/" + c["name"]))
    # which paths are a prefix of another (containers): not leaves
    allsegs = {p: path_segs(p) for p in groups}
    # a "[member=$col]" lookup reads the value of another column of the row
    lookup_refs = {m for p in groups for m in re.findall(r"\[[^=\]]*=\$([a-z0-9_]+)\]", p)}
    scalar_rows = "" in groups

    def is_container(p):
        sp = allsegs[p]
        return any(len(o) > len(sp) and o[:len(sp)] == sp for q, o in allsegs.items() if q != p)

    def group_kind(p):
        g = groups[p]
        types = [c["type"] for _, c in g]
        base = [x.rstrip("[]") for x in types]
        prefer = [x for x in base if x not in ("string", "json")]
        return (prefer[0] if prefer else base[0]), any(x.endswith("[]") for x in types)

    leaf_paths = [p for p in groups if not is_container(p) and p not in omitted and p != ""]
    # pick the null (row 2) and invalid (row 3) columns
    null_path = invalid_path = None
    shared = lambda p: share and allsegs[p][0] == "^" * share  # noqa: E731
    for p in leaf_paths:
        g = groups[p]
        if len(g) != 1 or "*" in p or g[0][1]["name"] in keyof or g[0][1].get("transform") \
                or "[" in p or g[0][1]["name"] in lookup_refs or shared(p):
            continue
        typ = g[0][1]["type"]
        if invalid_path is None and typ in INVALID_TYPES:
            invalid_path = p
        elif null_path is None and typ != "json":
            null_path = p
    if null_path is None:
        for p in leaf_paths:
            g = groups[p]
            if len(g) == 1 and "*" not in p and p != invalid_path and g[0][1]["name"] not in keyof \
                    and "[" not in p and g[0][1]["name"] not in lookup_refs and not shared(p):
                null_path = p
                break

    ctx = {"source": source, "table": t["name"]}
    S = item = None
    levels = []          # schema of what each "*" of the rows pointer matches
    star_kinds = []      # per "*": what it ranges over ("list", "map", or the member names)
    if _schema is not None:
        S, item = _schema.item_schema(source, t, use_get=is_get)
        if S is not None and item is None:
            raise SynthError("the API description has no response schema for %s (rows %r)" % (
                endpoint, rows_ptr))
        if item is not None:
            levels, star_kinds = _schema.star_levels(source, t, use_get=is_get)

    def base_schema(sg):
        """(schema the path starts from, its segments after any "^")"""
        if sg and sg[0].startswith("^"):
            n = len(sg[0])
            if n > len(levels):
                return None, sg[1:]
            return levels[len(levels) - n], sg[1:]
        return item, sg
    if item is not None:
        for c in cols:
            p = c.get("path", "/" + c["name"])
            if c["name"] in keyof:
                continue
            b, rest = base_schema(path_segs(p))
            if b is None or _schema.segs_missing(S, b, rest):
                raise SynthError("column %s: path %s is not in the API description's response schema"
                                 % (c["name"], p))

    def sub_schema(p):
        if item is None:
            return None
        s, rest = base_schema(allsegs[p])
        for sgm in rest:
            if s is None:
                return None
            s = _schema.step_lookup(S, s, sgm)
        return s
    # order: fewer wildcards first, deeper first (specific keys build the containers)
    order = sorted(leaf_paths, key=lambda p: ("[" in p, allsegs[p].count("*"), -len(allsegs[p]), p))
    rows = []
    for i in range(NROWS):
        row = {}
        if scalar_rows:
            # the rows are the values themselves (ListTables' TableNames)
            j0, c0 = groups[""][0]
            ctx["path"], ctx["name"] = "", c0["name"]
            rows.append(scalar(c0["type"].rstrip("[]"), c0["name"], i, j0, ctx))
            continue
        for p in order:
            g = groups[p]
            j0, c0 = g[0]
            base_t, is_arr = group_kind(p)
            tf = next((c.get("transform") for _, c in g if c.get("transform")), None)
            keycol = next((c["name"] for _, c in g if c["name"] in quals), None)
            ctx["path"] = p
            ctx["name"] = c0["name"]

            ssub = sub_schema(p)
            senum = S.resolve(ssub).get("enum") if ssub is not None else None

            def leafval(k):
                if keycol is not None:
                    return transformed(tf, quals[keycol], i, ctx)
                if i == 1 and p == null_path:
                    return None
                if i == 2 and p == invalid_path:
                    return INVALID_VALUE[base_t]
                if tf == "key_value_object":
                    kk, vk = ("key", "value") if aws and aws["protocol"] == "ec2" else ("Key", "Value")
                    return [{kk: "env", vk: "synth-%d" % (i + 1)}, {kk: "team-%d" % (k + 1), vk: "cq"}]
                if base_t == "json" and xml:
                    # XML values are strings; a list element (xml_lists) is an array
                    v = {"synth": "%s-%d" % (c0["name"], i + 1), "n": str(i * 37 + j0 + k)}
                    if allsegs[p][-1] in (aws.get("xml_lists") or []):
                        return [v, dict(v, n=v["n"] + "0")]
                    return v
                if base_t == "json" and ssub is not None:
                    return example_of(S, ssub, c0["name"], i + k)
                if base_t == "string" and not tf and not is_arr and isinstance(senum, list) and senum \
                        and all(isinstance(e, str) and e for e in senum):
                    return senum[(i + k) % len(senum)]
                if is_arr and "*" not in p:
                    return [transformed(tf, scalar(base_t, c0["name"], i, j0, ctx, e), i, ctx)
                            for e in range(2)]
                return transformed(tf, scalar(base_t, c0["name"], i, j0, ctx, k), i, ctx)
            row = fill(row, allsegs[p], leafval, lookup=lambda col, r=row: lookup_value(r, col, byname))
        # the item's other properties, as the API would send them (the
        # engine must ignore what no column reads)
        if item is not None:
            for pname, ps in sorted(S.props(item).items()):
                if pname not in row:
                    row[pname] = example_of(S, ps, pname, i, 1)
        rows.append(row)
    if share and len(rows) >= 2 and "^" * share in rows[0]:
        rows[1]["^" * share] = json.loads(json.dumps(rows[0]["^" * share]))

    # -- expected values
    expected = []
    warn_cols = set()
    for i, row in enumerate(rows):
        e = {}
        for c in cols:
            p = c.get("path", "/" + c["name"])
            typ = c["type"]
            is_arr = typ.endswith("[]")
            bt = typ.rstrip("[]")
            if c["name"] in unit_vals:
                e[c["name"]] = unit_vals[c["name"]]
                continue
            if p in omitted:
                e[c["name"]] = quals[c["name"]] if bt not in ("uuid",) else quals[c["name"]]
                continue
            star, v = evaluate(row, allsegs[p], lambda col, r=row: lookup_value(r, col, byname))
            tf = c.get("transform")
            if i == 2 and p == invalid_path:
                e[c["name"]] = None
                warn_cols.add(c["name"])
                continue
            if star:
                if bt == "json":
                    raise SynthError("column %s: json with a * path" % c["name"])
                e[c["name"]] = [canon(bt, apply_transform(tf, x)) for x in v]
            elif is_arr:
                if v is None:
                    e[c["name"]] = None
                else:
                    vv = v if isinstance(v, list) else [v]
                    e[c["name"]] = [canon(bt, apply_transform(tf, x)) for x in vv]
            else:
                if bt != "json" and isinstance(v, (dict, list)):
                    raise SynthError("column %s (%s) at %s: the path holds an object or array "
                                     "(another column reads under it)" % (c["name"], typ, p))
                if c["name"] in quals and v is None:
                    v = quals[c["name"]]
                e[c["name"]] = (kv_object(v) if tf == "key_value_object" else v) if bt == "json" \
                    else canon(bt, apply_transform(tf, v))
            if c["name"] in quals and e[c["name"]] != quals[c["name"]] and not star:
                raise SynthError("key column %s reads %r, not the qual value %r" % (
                    c["name"], e[c["name"]], quals[c["name"]]))
        expected.append(e)

    # -- pages
    psize = pag.get("page_size")
    if ptype == "none":
        split = [rows]
    elif ptype == "offset" and psize:
        if psize > 1000:
            raise SynthError("offset paging with page_size %d: too many rows to synthesize" % psize)
        raise SynthError("offset paging with a page size: not synthesized yet")
    else:
        split = [rows[:2], rows[2:]]
    nreq = len(split) + (1 if ptype in ("page_number", "offset") else 0)
    describe = None
    if aws and aws.get("describe"):
        # list-then-get: the listing's pages hold identifiers, the rows are
        # what the describe operation returns for them (batch per call)
        d = aws["describe"]
        ids, k = [], 0
        for pg in split:
            ids.append(["synth-id-%d" % (k + i) for i in range(len(pg))])
            k += len(pg)
        batch = d.get("batch", 1)
        paths = []
        if d.get("endpoint"):
            for pg in ids:
                for x in pg:
                    qq = dict(quals)
                    paths.append(re.sub(r"\{([^}]+)\}", lambda m: urllib.parse.quote(
                        x if m.group(1) == d["param"] else str(quals[param_to_col[m.group(1)]]), safe=""),
                        d["endpoint"]))
        describe = {"action": d["action"], "param": d["param"], "rows_ptr": d["rows"],
                    "endpoint": d.get("endpoint"), "ids": ids, "paths": paths}
        nreq += sum((len(pg) + batch - 1) // batch for pg in ids)
    return {
        "source": source, "table": t["name"], "quals": quals, "endpoint": endpoint,
        "is_get": is_get, "req_path": req_path, "rows_ptr": rows_ptr, "pagination": ptype,
        "pag": pag, "pages": split, "expected": expected, "warn_cols": sorted(warn_cols),
        "null_path": null_path, "invalid_path": invalid_path, "requests": nreq,
        "aws": aws, "region": (aws.get("global_region") or AWS_REGION) if aws else None,
        "describe": describe,
        "select": [c["name"] for c in cols] if len(cols) < len(t["columns"]) else None,
        "star_kinds": star_kinds, "share_parents": share,
        # the HTTP method of the table's list requests (spec "method": GCP's
        # POST lists); the mock answers any other with 405
        "method": t.get("method", "GET") if not aws else None,
        "body": t.get("body"),
    }


def fill(node, sg, leafval, k=0, lookup=None):
    """node with the path sg created: dicts for names, a 2-element list for a
    * (or the existing list/object members); the leaf is leafval(element
    index).  An existing leaf or a scalar in the way stays (another column
    put it there).  A lookup segment "key[member=value]" makes the array at
    key with a decoy element first (another member value) and the element
    whose member is the value second, so reading by position is wrong."""
    if not sg:
        return leafval(k) if node is None else node
    s = sg[0]
    if s == "*":
        if node is None:
            node = [None, None]
        if isinstance(node, list):
            for e in range(len(node)):
                node[e] = fill(node[e], sg[1:], leafval, k * 2 + e, lookup)
        elif isinstance(node, dict):
            for e, key in enumerate(list(node)):
                node[key] = fill(node[key], sg[1:], leafval, k * 2 + e, lookup)
        return node
    lk = lookup_target(s, lookup) if "[" in s else None
    if lk is not None:
        key, member, want = lk
        if want is None:
            return node
        if key:
            if node is None:
                node = {}
            if not isinstance(node, dict):
                return node
            lst = node.get(key)
        else:
            lst = node
        if lst is None:
            lst = [{member: "synth-decoy"}]
        if not isinstance(lst, list):
            return node
        idx = next((n for n, e in enumerate(lst) if isinstance(e, dict) and text_of(e.get(member)) == want), None)
        if idx is None:
            lst.append({member: want})
            idx = len(lst) - 1
        lst[idx] = fill(lst[idx], sg[1:], leafval, k, lookup)
        if key:
            node[key] = lst
            return node
        return lst
    if node is None:
        node = {}
    if isinstance(node, dict):
        node[s] = fill(node.get(s), sg[1:], leafval, k, lookup)
    return node


def merge(a, b):
    """b deep-merged into a copy of a (objects member by member)."""
    if not isinstance(a, dict) or not isinstance(b, dict):
        return b if b is not None else a
    out = dict(a)
    for k, v in b.items():
        out[k] = merge(out.get(k), v)
    return out


def decoy(v):
    """Parent fields unlike v's (a decoy parent: reading it instead of the
    row's own parent gives other values)."""
    if isinstance(v, dict):
        return {k: decoy(x) for k, x in v.items()}
    if isinstance(v, list):
        return [decoy(x) for x in v]
    if isinstance(v, bool):
        return not v
    if isinstance(v, int):
        return v + 100000
    if isinstance(v, str):
        return "decoy-" + v
    return v


def strip_levels(r):
    """A row without the "^" parent fields synth keeps in it."""
    return {k: v for k, v in r.items() if not k.startswith("^")} if isinstance(r, dict) else r


def body_for(plan, page_index, next_value):
    """The body of page page_index (1-based) with the next pointer set."""
    pages = plan["pages"]
    if plan.get("describe"):
        pages = plan["describe"]["ids"]     # the listing: identifiers
    rows = pages[page_index - 1] if 1 <= page_index <= len(pages) else []
    sg = segs(plan["rows_ptr"])
    if plan["source"] == "gcp" and not plan["is_get"]:
        member_keys = ["zones/us-central1-a", "zones/europe-west1-b", "zones/asia-east1-c"]
    else:
        member_keys = ["synth-a", "synth-b", "synth-c"]

    kinds = plan.get("star_kinds") or []
    nstars = sg.count("*")

    def kind_of(idx):
        """(what the idx-th "*" ranges over: "list", "map" or the member
        names, whether what it matches is an array of rows)"""
        if idx < len(kinds):
            return kinds[idx]
        # no API description: AWS lists, else a map (GCP aggregated scopes)
        return ("list" if plan["aws"] else "map"), False

    def element(sg, r):
        """What a "*" matches for row r: its parent fields ("^"...) merged
        with the path below it, which holds the row."""
        lk = "^" * sg.count("*")
        if sg[1:]:
            below = build(sg[1:], [r])
        else:
            below = [strip_levels(r)] if kind_of(nstars - 1)[1] else strip_levels(r)
        return merge(r.get(lk), below) if isinstance(r, dict) and r.get(lk) else below

    def build(sg, rows):
        if not sg:
            return [strip_levels(r) for r in rows]
        s = sg[0]
        if s == "*":
            kind = kind_of(nstars - sg.count("*"))[0]
            if kind == "list" and plan.get("share_parents"):
                # AWS lists of lists: consecutive rows with the same parent
                # fields share one container, after a decoy parent whose
                # list below is empty
                lk = "^" * sg.count("*")
                out, last = [], object()
                for r in rows:
                    key = json.dumps(r.get(lk), sort_keys=True)
                    if out and key == last:
                        out[-1][1].append(r)
                    else:
                        out.append((r.get(lk), [r]))
                    last = key
                els = [merge(pf, build(sg[1:], grp)) if pf else build(sg[1:], grp) for pf, grp in out]
                if rows and rows[0].get(lk):
                    els.insert(0, merge(decoy(rows[0][lk]), build(sg[1:], [])))
                return els
            if kind == "list":
                # one container per row (the fields its "^" columns read)
                return [element(sg, r) for r in rows]
            if isinstance(kind, list) and kind:
                # an object whose members are known (DigitalOcean networks: v4, v6)
                return {(kind[n] if n < len(kind) else "%s-%d" % (kind[-1], n)): element(sg, r)
                        for n, r in enumerate(rows)}
            # a map (GCP aggregated lists: per scope, one scope holding only a warning)
            if len(sg) == 1:
                return {member_keys[k]: element(sg, r) for k, r in enumerate(rows)}
            out = {}
            lk = "^" * sg.count("*")
            for n, part in enumerate((rows[:1], rows[1:])):
                m = build(sg[1:], part)
                if part and isinstance(part[0], dict) and part[0].get(lk):
                    m = merge(part[0][lk], m)
                out[member_keys[n]] = m
            out[member_keys[2]] = {"warning": {"code": "NO_RESULTS_ON_PAGE",
                                               "message": "There are no results for scope '%s' on this page." %
                                               member_keys[2]}}
            return out
        return {s: build(sg[1:], rows)}
    body = build(sg, rows)
    pt = plan["pagination"]
    if pt in ("next_url", "next_token"):
        nsg = segs(plan["pag"]["next"])
        if not nsg:
            raise SynthError("next pointer is the whole body")
        if not isinstance(body, dict):
            raise SynthError("next pointer %s but the rows are the whole body" % plan["pag"]["next"])
        o = body
        for s in nsg[:-1]:
            o = o.setdefault(s, {})
            if not isinstance(o, dict):
                raise SynthError("next pointer %s crosses the rows" % plan["pag"]["next"])
        if next_value is not None:
            o[nsg[-1]] = next_value
        elif pt == "next_url":
            o[nsg[-1]] = None
        if plan["pag"].get("more"):
            msg = segs(plan["pag"]["more"])
            o = body
            for s in msg[:-1]:
                o = o.setdefault(s, {})
            o[msg[-1]] = next_value is not None
    return body


def xml_text(v):
    if isinstance(v, bool):
        v = "true" if v else "false"
    return str(v).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def to_xml(name, v, aws):
    """The XML of member `name` = v as the protocol sends it: EC2 lists in
    <item>s, Query (and rest-xml lists the model names) in <member>s, other
    rest-xml lists flattened (the element repeated); an absent value (null)
    is no element."""
    if v is None:
        return ""
    if isinstance(v, dict):
        return "<%s>%s</%s>" % (name, "".join(to_xml(k, x, aws) for k, x in v.items()), name)
    if isinstance(v, list):
        if aws["protocol"] == "rest-xml" and name not in (aws.get("xml_lists") or []):
            return "".join(to_xml(name, x, aws) for x in v)
        item = "item" if aws["protocol"] == "ec2" else "member"
        return "<%s>%s</%s>" % (name, "".join(to_xml(item, x, aws) for x in v), name)
    return "<%s>%s</%s>" % (name, xml_text(v), name)


def reply_aws(plan, params):
    """(status, headers, body bytes) of an AWS table's page: params are the
    request's parameters (form fields, JSON members or query string)."""
    aws = plan["aws"]
    npages = len(plan["pages"])
    page = 2 if plan["pagination"] == "next_token" and params.get(plan["pag"].get("next_param")) == TOKEN2 else 1
    body = body_for(plan, page, TOKEN2 if page < npages and plan["pagination"] == "next_token" else None)
    proto = aws["protocol"]
    if proto in ("json", "rest-json"):
        ct = "application/x-amz-json-%s" % aws.get("json_version", "1.0") if proto == "json" else "application/json"
        return 200, [("Content-Type", ct), ("x-amzn-RequestId", "synth-request")], json.dumps(body).encode()
    if not isinstance(body, dict):
        raise SynthError("an XML reply whose rows are the whole document")
    root = (aws.get("action") or "Synth") + ("Response" if proto != "rest-xml" else "Result")
    inner = "".join(to_xml(k, v, aws) for k, v in body.items())
    if proto == "ec2":
        inner = "<requestId>synth-request</requestId>" + inner
    elif proto == "query":
        inner += "<ResponseMetadata><RequestId>synth-request</RequestId></ResponseMetadata>"
    xml = '<?xml version="1.0" encoding="UTF-8"?>\n<%s xmlns="https://synth.amazonaws.com/doc/">%s</%s>' % (
        root, inner, root)
    return 200, [("Content-Type", "text/xml;charset=UTF-8")], xml.encode()


def reply_describe(plan, ids):
    """(status, headers, body) of a list-then-get describe call for ids."""
    d = plan["describe"]
    flat = [x for pg in d["ids"] for x in pg]
    allrows = [r for pg in plan["pages"] for r in pg]
    found = [allrows[flat.index(x)] for x in ids if x in flat]
    sg = segs(d["rows_ptr"])
    if not sg:
        raise SynthError("describe rows pointer is the whole body")
    body = {}
    o = body
    for x in sg[:-1]:
        o = o.setdefault(x, {})
    if d.get("endpoint"):
        if len(found) != 1:
            return 404, [("Content-Type", "application/json"), ("x-amzn-ErrorType", "ResourceNotFoundException")], \
                json.dumps({"message": "synth: no such identifier %s" % ids}).encode()
        o[sg[-1]] = found[0]
        ct = "application/json"
    else:
        o[sg[-1]] = found
        body["failures"] = [{"arn": x, "reason": "MISSING"} for x in ids if x not in flat]
        ct = "application/x-amz-json-%s" % plan["aws"].get("json_version", "1.0")
    return 200, [("Content-Type", ct), ("x-amzn-RequestId", "synth-request")], json.dumps(body).encode()


def reply_for(plan, api_path, query_pairs, base, method=None, body=None):
    """(status, headers, body bytes) for a request to base + api_path?query."""
    if method is not None and plan.get("method") and method != plan["method"]:
        return 405, [("Content-Type", "application/json; charset=utf-8")], json.dumps(
            {"error": {"code": 405, "message": "synth: %s takes %s, not %s" % (
                api_path, plan["method"], method)}}).encode()
    if method == "POST" and body is not None:
        # the table's "body", as JSON (GCP reads filter members from it);
        # the page token stays in the query string
        try:
            got = json.loads(body.decode("utf-8")) if body else None
        except ValueError:
            got = "(not JSON)"
        if got != plan.get("body") and not (got in (None, {}) and plan.get("body") is None):
            return 400, [("Content-Type", "application/json; charset=utf-8")], json.dumps(
                {"error": {"code": 400, "message": "synth: body %r, expected %r" % (
                    got, plan.get("body"))}}).encode()
    q = dict(query_pairs)
    pt = plan["pagination"]
    npages = len(plan["pages"])
    if pt in ("link_header", "next_url"):
        page = int(q.get("page", "1") or "1")
    elif pt == "next_token":
        page = 2 if q.get(plan["pag"].get("next_param")) == TOKEN2 else 1
    elif pt == "page_number":
        page = int(q.get(plan["pag"].get("next_param"), "1") or "1")
    else:
        page = 1
    headers = [("Content-Type", "application/json; charset=utf-8")]
    nxt = None
    if page < npages:
        if pt in ("link_header", "next_url"):
            pairs = [(k, v) for k, v in query_pairs if k != "page"] + [("page", str(page + 1))]
            url = base + api_path + "?" + urllib.parse.urlencode(pairs)
            if pt == "link_header":
                last = base + api_path + "?" + urllib.parse.urlencode(
                    [(k, v) for k, v in query_pairs if k != "page"] + [("page", str(npages))])
                headers.append(("Link", '<%s>; rel="next", <%s>; rel="last"' % (url, last)))
            else:
                nxt = url
        elif pt == "next_token":
            nxt = TOKEN2
    body = body_for(plan, page, nxt)
    return 200, headers, json.dumps(body).encode()


_PLANS = {}


def plan_of(source, table, spec_dir=SPEC_DIR):
    spec = load_spec(source, spec_dir)
    key = (source, table, id(spec))
    p = _PLANS.get(key)
    if p is None:
        p = table_plan(spec, find_table(spec, table))
        _PLANS[key] = p
    return p


if __name__ == "__main__":
    import sys
    src, tbl = sys.argv[1], sys.argv[2]
    p = plan_of(src, tbl)
    json.dump(p, sys.stdout, indent=1)
    print()
    print(reply_for(p, p["req_path"], [], "http://mock")[2].decode())
