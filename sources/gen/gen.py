#!/usr/bin/python3
"""gen.py -- generate cq_fdw source specs from the vendors' API descriptions.

    python3 sources/gen/gen.py --all            regenerate every spec
    python3 sources/gen/gen.py github gcp       regenerate some
    python3 sources/gen/gen.py --check          verify the committed specs are
                                              what the generator produces now
                                              (CI); lints them in any case

Inputs, read in place and never copied into the repository:
  * the vendor descriptions under $CQ_API_DESCRIPTIONS
    (default: <repo>/../shared/api-descriptions, see its README.md):
      github        github/api.github.com.json        OpenAPI 3.0.3
      kubernetes    kubernetes/swagger.json           Swagger 2.0
      gcp           gcp/compute.v1.json               Google Discovery
      digitalocean  digitalocean/openapi-bundled.json OpenAPI 3.0.0
  * sources/<name>/overrides.json: what the descriptions cannot say
    (inet/cidr/macaddr/uuid columns, flattened fields, curated tables,
    keys, fan-out, row estimates, child tables: "children", see
    build_children).  Azure has no machine-readable
    description here: its overrides.json is the whole hand-written
    definition (from the Azure REST API documentation) and the generator
    only expands it (properties.* flattening, snake_case names).

Output: sources/<name>/<name>.json in the format of sources/SPEC.md.

Invariants of the output (checked by lint() on every run):
  * every table and every column has a non-empty description;
  * every table has a primary key made of existing columns;
  * every {param} of an endpoint is a key, and every key is a column;
  * names are lower_snake_case and unique; types are known SDK types;
  * output is deterministic (sorted where the input is unordered), so
    --check can compare byte for byte.

Python 3 standard library only.
"""

import argparse
import copy
import html
import json
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.normpath(os.path.join(HERE, "..", ".."))
DESC_DIR = os.environ.get("CQ_API_DESCRIPTIONS",
                          os.path.normpath(os.path.join(TOP, "..", "shared", "api-descriptions")))
SOURCES = ["github", "kubernetes", "gcp", "azure", "digitalocean"]
DESC_FILES = {
    "github": "github/api.github.com.json",
    "kubernetes": "kubernetes/swagger.json",
    "gcp": "gcp/compute.v1.json",
    "digitalocean": "digitalocean/openapi-bundled.json",
    "azure": None,
}
SOURCE_PREFIX = {"kubernetes": "k8s_", "gcp": "gcp_compute_"}
TYPES = {"bool", "int", "uint", "float", "numeric", "string", "bytes", "uuid",
         "timestamp", "date", "interval", "json", "inet", "cidr", "macaddr"}
IDENT = re.compile(r"^[a-z_][a-z0-9_]*$")
MAX_DESC = 300


class GenError(Exception):
    pass


# ---------------------------------------------------------------------------
# naming, descriptions
# ---------------------------------------------------------------------------

# Acronyms written in mixed case that are one word: "IPv6", "OAuth".  Before
# the camelCase split they become capitalized words ("Ipv6", "Oauth"),
# otherwise the split reads "IPv6" as "I" + "Pv6" (i_pv6).
MIXED_ACRONYMS = re.compile(r"[A-Z]+v(?=[0-9])|OAuth")


def snake(name):
    """camelCase / PascalCase / kebab-case -> snake_case.

    podIP -> pod_ip, podIPs -> pod_ips, macAddress -> mac_address,
    creationTimestamp -> creation_timestamp, IPv6AccessConfigs ->
    ipv6_access_configs, gatewayIPv4 -> gateway_ipv4, OAuth2Token ->
    oauth2_token, openAPIV3Schema -> open_api_v3_schema, HTTP2Enabled ->
    http2_enabled, S3Bucket -> s3_bucket, 1_clicks -> n1_clicks.

    Digits stay with the word before them (address_line1, http2, sha256),
    except an upper-case "V<digits>" after an acronym, which is a version
    of its own (APIV3 -> api_v3, as fieldsV1 -> fields_v1).
    """
    s = MIXED_ACRONYMS.sub(lambda m: m.group(0)[0] + m.group(0)[1:].lower(), name)
    # plural acronyms: IPs, CIDRs -> Ips, Cidrs (so the "s" stays attached)
    s = re.sub(r"([A-Z]{2,})s(?=[A-Z0-9_\-.]|$)",
               lambda m: m.group(1)[0] + m.group(1)[1:].lower() + "s", s)
    # a version after an acronym: APIV3 -> API_V3
    s = re.sub(r"([A-Z]{2,})(V[0-9])", r"\1_\2", s)
    s = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", s)
    s = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", s)
    s = re.sub(r"[^A-Za-z0-9]+", "_", s).strip("_").lower()
    s = re.sub(r"_+", "_", s)
    if not s:
        s = "x"
    if s[0].isdigit():
        s = "n" + s
    return s


# snake() on names of the descriptions that once came out wrong; checked on
# every run (selftest), so a change to snake() cannot quietly rename columns.
SNAKE_CASES = [
    ("podIPs", "pod_ips"), ("IPv6AccessConfigs", "ipv6_access_configs"),
    ("IPv4Range", "ipv4_range"), ("gatewayIPv4", "gateway_ipv4"),
    ("enableIpv6", "enable_ipv6"), ("openAPIV3Schema", "open_api_v3_schema"),
    ("fieldsV1", "fields_v1"), ("OAuth2Token", "oauth2_token"),
    ("oauth2ClientId", "oauth2_client_id"), ("HTTP2Enabled", "http2_enabled"),
    ("http2HealthCheck", "http2_health_check"), ("S3Bucket", "s3_bucket"),
    ("stubPKCS10Request", "stub_pkcs10_request"), ("SHA256_RSA", "sha256_rsa"),
    ("serverAddressByClientCIDRs", "server_address_by_client_cidrs"),
    ("CSIDriver", "csi_driver"), ("1_clicks", "n1_clicks"),
]


def selftest():
    return ["snake(%r) = %r, expected %r" % (n, snake(n), e)
            for n, e in SNAKE_CASES if snake(n) != e]


def pointer_escape(key):
    return key.replace("~", "~0").replace("/", "~1")


def clean_desc(text, limit=MAX_DESC):
    """HTML/markdown stripped, "[Output Only]" removed, first sentence or two."""
    if not text:
        return ""
    t = html.unescape(re.sub(r"<[^>]+>", " ", str(text)))
    t = re.sub(r"\[Output Only\]\s*", "", t, flags=re.I)
    t = re.sub(r"\[([^\]]+)\]\([^)]*\)", r"\1", t)          # [text](url)
    t = t.replace("`", "").replace("**", "")
    # *emphasis* (not a quoted "*" wildcard)
    t = re.sub(r"(?:(?<=\s)|^)\*([A-Za-z][^*]*?[A-Za-z.!?])\*(?=[\s.,;:)]|$)", r"\1", t)
    t = re.sub(r"\s+", " ", t).strip()
    # first two sentences
    parts = re.split(r"(?<=[.!?])\s+(?=[A-Z(])", t)
    out = parts[0]
    if len(parts) > 1 and len(out) + 1 + len(parts[1]) <= limit:
        out = out + " " + parts[1]
    if len(out) > limit:
        cut = out[:limit - 3]
        cut = cut[:cut.rfind(" ")] if " " in cut else cut
        out = cut.rstrip(",;:") + "..."
    if out and out[0].islower():
        out = out[0].upper() + out[1:]
    if out and out[-1] not in ".!?":
        out += "."
    return out


def human(name):
    return name.replace("_", " ")


# ---------------------------------------------------------------------------
# schema walking (OpenAPI 3, Swagger 2 and Discovery share enough)
# ---------------------------------------------------------------------------

class Schemas:
    """Resolves $ref for one description document."""

    def __init__(self, doc, style):
        self.doc = doc
        self.style = style          # "openapi", "swagger", "discovery"

    def resolve(self, s, depth=0):
        if depth > 50:
            raise GenError("$ref loop")
        if not isinstance(s, dict):
            return {}
        if "$ref" in s:
            ref = s["$ref"]
            if self.style == "discovery":
                target = self.doc["schemas"].get(ref, {})
            else:
                if not ref.startswith("#/"):
                    return {}
                target = self.doc
                for part in ref[2:].split("/"):
                    target = target.get(part.replace("~1", "/").replace("~0", "~"), {})
            merged = dict(target)
            for k, v in s.items():
                if k != "$ref":
                    merged.setdefault(k, v)
            if "description" in s:
                merged["description"] = s["description"]
            return self.resolve(merged, depth + 1)
        if "allOf" in s:
            merged = {k: v for k, v in s.items() if k != "allOf"}
            props = {}
            for part in s["allOf"]:
                r = self.resolve(part, depth + 1)
                props.update(r.get("properties", {}))
                for k in ("type", "format", "items", "description"):
                    if k in r and k not in merged:
                        merged[k] = r[k]
            if props:
                merged["properties"] = {**props, **merged.get("properties", {})}
                merged["type"] = "object"
            return merged
        for alt in ("oneOf", "anyOf"):
            if alt in s:
                opts = [self.resolve(o, depth + 1) for o in s[alt]]
                merged = {k: v for k, v in s.items() if k != alt}
                if any(self.is_object(o) for o in opts):
                    merged["type"] = "object"
                    props = {}
                    for o in opts:
                        props.update(o.get("properties", {}))
                    if props:
                        merged["properties"] = props
                elif opts:
                    kinds = {(o.get("type"), o.get("format")) for o in opts}
                    if len(kinds) == 1:
                        merged.update({k: v for k, v in opts[0].items()
                                       if k in ("type", "format", "items")})
                    else:
                        merged["type"] = "any"
                return merged
        return s

    def prop_desc(self, pname):
        """The description the document gives the property `pname` in
        another schema (the most frequent one), for a property its own
        schema leaves undescribed (GitHub's minimal-repository vs
        repository)."""
        idx = getattr(self, "_prop_descs", None)
        if idx is None:
            counts = {}
            stack = [self.doc]
            while stack:
                o = stack.pop()
                if isinstance(o, dict):
                    props = o.get("properties")
                    if isinstance(props, dict):
                        for k, v in props.items():
                            if isinstance(v, dict) and isinstance(v.get("description"), str) \
                                    and v["description"].strip():
                                c = counts.setdefault(k, {})
                                c[v["description"]] = c.get(v["description"], 0) + 1
                    stack.extend(v for v in o.values() if isinstance(v, (dict, list)))
                elif isinstance(o, list):
                    stack.extend(v for v in o if isinstance(v, (dict, list)))
            # only a description most of the schemas agree on (an "id"
            # described per object is not borrowed)
            idx = {}
            for k, c in counts.items():
                best = max(sorted(c), key=lambda d: c[d])
                if 2 * c[best] > sum(c.values()):
                    idx[k] = best
            self._prop_descs = idx
        return idx.get(pname)

    def is_object(self, s):
        return (s.get("type") == "object" or "properties" in s or
                "additionalProperties" in s)

    def props(self, s):
        return self.resolve(s).get("properties", {}) or {}


def scalar_type(s):
    """SDK scalar type of a resolved schema, or None (not a scalar)."""
    t = s.get("type")
    f = (s.get("format") or "").lower()
    if t == "string":
        if f in ("date-time", "datetime"):
            return "timestamp"
        if f == "date":
            return "date"
        if f == "uuid":
            return "uuid"
        if f in ("int64", "int32"):
            return "int"
        if f == "uint64" or f == "uint32":
            return "uint" if f == "uint64" else "int"
        if f in ("ipv4", "ipv6", "ip"):
            return "inet"
        return "string"
    if t == "integer":
        return "uint" if f == "uint64" else "int"
    if t == "number":
        return "float"
    if t == "boolean":
        return "bool"
    return None


def schema_type(S, s):
    """Column type of a (possibly unresolved) schema: scalar, T[] or json."""
    r = S.resolve(s)
    st = scalar_type(r)
    if st:
        return st
    if r.get("type") == "array":
        it = S.resolve(r.get("items", {}))
        ist = scalar_type(it)
        if ist:
            return ist + "[]"
        return "json"
    return "json"


# ---------------------------------------------------------------------------
# table assembly
# ---------------------------------------------------------------------------

UNITS = [(r"_(seconds|secs|sec)$", "seconds", r"\bsec"), (r"_(ms|millis|milliseconds)$", "milliseconds", r"\bmilli|\bms\b"),
         (r"_(minutes|mins)$", "minutes", r"\bminute"), (r"_hours$", "hours", r"\bhour"),
         (r"_days$", "days", r"\bday"), (r"_bytes$", "bytes", r"\bbyte"),
         (r"(_size_gb|_gb|_gigabytes|_gib)$", "GB", r"\bGB\b|GiB|gigabyte"),
         (r"(_mb|_megabytes|_mib)$", "MB", r"\bMB\b|MiB|megabyte"), (r"_kb$", "kB", r"\bkB\b|KiB|kilobyte"),
         (r"_percent(age)?$", "percent", r"percent|%")]


def schema_sentence(S, pname, r):
    """What a property is, from its schema alone, for one the document does
    not describe: its kind, the fields of an object, an example value."""
    h = human(snake(pname))
    H = h[:1].upper() + h[1:]
    t = r.get("type")
    f = (r.get("format") or "").lower()
    if S.is_object(r):
        fields = sorted(S.props(r))
        if fields:
            more = ", ..." if len(fields) > 6 else ""
            return "%s: an object with %s%s." % (H, ", ".join(fields[:6]), more)
        return "%s: an object of names and values." % H
    if t == "array":
        it = S.resolve(r.get("items", {}))
        if S.is_object(it):
            fields = sorted(S.props(it))
            if fields:
                more = ", ..." if len(fields) > 6 else ""
                return "%s: a list of objects with %s%s." % (H, ", ".join(fields[:6]), more)
            return "%s: a list of objects." % H
        return "%s: a list of %s values." % (H, it.get("type") or "JSON")
    sn = snake(pname)
    if t == "boolean":
        m = re.match(r"(has|is|can|allow|exclude|include|lock|enable)_(.+)$", sn)
        if m and m.group(1) in ("has", "is", "can"):
            return "True if it %s %s." % (m.group(1), human(m.group(2)))
        if m:
            return "True to %s %s." % (m.group(1), human(m.group(2)))
        return "True if it is %s." % h
    if f in ("date-time", "datetime") or (t == "string" and sn.endswith("_at")):
        stem = human(sn[:-3]) if sn.endswith("_at") else h
        return "When it was %s: a date and time (RFC 3339)." % stem
    if sn.endswith("_html") or sn.endswith("_text"):
        return "The %s as %s." % (human(sn[:-5]), "HTML" if sn.endswith("_html") else "plain text")
    if f == "uri" or re.search(r"(^|_)(url|uri|href)$", sn):
        stem = re.sub(r"_?(url|uri|href)$", "", sn)
        return "URL for %s." % human(stem) if stem else "URL."
    if t == "string" and re.search(r"(^|_)email$", sn):
        return "Email address%s." % (" (%s)" % human(sn[:-6]) if sn != "email" else "")
    if (t == "integer" or f in ("int64", "int32")) and sn.endswith("_id"):
        return "Numeric id of the %s." % human(sn[:-3])
    if t == "integer" or f in ("int64", "int32", "uint64"):
        if re.search(r"(^|_)(count|total)$", snake(pname)) or re.search(r"s$", snake(pname)):
            return "Number of %s." % h.replace(" count", "")
        return "%s: an integer." % H
    if t == "number":
        return "%s: a number." % H
    return "%s: a string." % H if t == "string" else ""


def describe(S, pname, ps, r, descs=None):
    """A column description: the document's own text for the property (or
    for the same property elsewhere in the document), else what its schema
    says; plus the values an enum allows, an example for a bare schema
    sentence, and the unit the name implies when the text does not say it."""
    d = clean_desc(ps.get("description") or r.get("description"))
    bare = False
    if not d and descs and snake(pname) in descs:
        return descs[snake(pname)]
    if not d:
        d = clean_desc(S.prop_desc(pname))
    if not d:
        d = schema_sentence(S, pname, r)
        bare = True
    enum = r.get("enum")
    if not enum and r.get("type") == "array":
        enum = S.resolve(r.get("items", {})).get("enum")
    if isinstance(enum, list) and 1 < len(enum) <= 16 and all(isinstance(e, str) and e for e in enum):
        if not all(e in d for e in enum):
            d += " One of: %s." % ", ".join(enum)
    ex = r.get("example", ps.get("example"))
    if bare and isinstance(ex, str) and 0 < len(ex) <= 60:
        d = d[:-1] + ", e.g. %s." % ex
    for rx, unit, said in UNITS:
        if re.search(rx, snake(pname)) and d and not re.search(said, d, re.I):
            d += " In %s." % unit
            break
    return d


def gen_columns(S, item, prefix="", skip=(), descs=None):
    """One column per property of the row schema: scalars and arrays of
    scalars typed, objects and arrays of objects kept whole as json."""
    cols = []
    for pname, ps in sorted(S.props(item).items()):
        if pname in skip:
            continue
        r = S.resolve(ps)
        cols.append({
            "name": snake(pname),
            "type": schema_type(S, ps),
            "path": prefix + "/" + pointer_escape(pname),
            "description": describe(S, pname, ps, r, getattr(S, "descs", None)),
        })
    return cols


def apply_types(cols, ov):
    """Source-wide type overrides: by column name, then by name pattern."""
    by_name = ov.get("types", {})
    pats = [(re.compile(p), t) for p, t in sorted(ov.get("type_patterns", {}).items())]
    for c in cols:
        if c.get("_curated"):
            continue
        base = c["type"].rstrip("[]")
        arr = c["type"].endswith("[]")
        if c["name"] in by_name:
            t = by_name[c["name"]]
            # an override on a scalar name also applies to its array form
            if arr and not t.endswith("[]"):
                t += "[]"
            c["type"] = t
            continue
        if base == "string":
            for rx, t in pats:
                if rx.search(c["name"]):
                    c["type"] = t + ("[]" if arr and not t.endswith("[]") else "")
                    break
            else:
                t = described_type(c["name"], c.get("description") or "")
                if t:
                    c["type"] = t + ("[]" if arr else "")


# A string the description says is a time or an IP address (issue 14 point
# 5: GCP operation times, addresses and next hops, DigitalOcean IPs): typed,
# so a wrong value is a NULL + WARNING rather than text that sorts wrong.
# Only names that say so too, and never a range, a CIDR or a postal address.
DESC_TIME = re.compile(r"\bRFC ?3339\b|\bISO ?8601\b")
NAME_TIME = re.compile(r"(^|_)(time|timestamp|at)$")
DESC_IP = re.compile(r"\bIP(v[46])? address\b|\bIPv[46]\b", re.I)
NAME_IP = re.compile(r"(^|_)(ip|ipv4|ipv6|ip_address|address|next_hop_ip|gateway)$")
NOT_IP = re.compile(r"\brange\b|\bCIDR\b|postal|prefix|\bURL\b|\bname\b|\bversion\b|netmask|/\d", re.I)


def described_type(name, desc):
    if NAME_TIME.search(name) and DESC_TIME.search(desc):
        return "timestamp"
    if NAME_IP.search(name) and DESC_IP.search(desc) and not NOT_IP.search(desc):
        return "inet"
    return None


def merge_table(gen, tov, ov):
    """Apply a table's overrides to a generated table.

    Curated columns (tov["columns"]) come first, in their order, and win over
    generated columns of the same name; a curated column without description
    or type takes them from the generated column with the same path.
    tov["drop"] removes generated columns; every other key replaces.
    """
    t = copy.deepcopy(gen)
    for k, v in tov.items():
        if k in ("columns", "drop", "types", "extra"):
            continue
        t[k] = copy.deepcopy(v)
    generated = t.get("columns", [])
    apply_types(generated, ov)
    by_path = {c["path"]: c for c in generated}
    curated = []
    for c in tov.get("columns", []):
        c = dict(c)
        g = by_path.get(c.get("path", "/" + c["name"]))
        if "path" not in c:
            c["path"] = "/" + c["name"]
        if "type" not in c:
            c["type"] = g["type"] if g else "string"
        if not c.get("description") and g:
            c["description"] = g["description"]
        curated.append(c)
    names = {c["name"] for c in curated}
    drop = set(tov.get("drop", []))
    if ov.get("drop_pattern"):
        rx = re.compile(ov["drop_pattern"])
        keep = set(ov.get("keep", []))
        drop |= {c["name"] for c in generated if rx.search(c["name"]) and c["name"] not in keep}
    cols = curated + [c for c in generated if c["name"] not in names and c["name"] not in drop]
    for name, ty in tov.get("types", {}).items():
        for c in cols:
            if c["name"] == name:
                c["type"] = ty
    t["columns"] = cols
    return t


# The start of a vendor description of a reference: "URL of the zone where
# ...", "Full or partial URL of the machine type ...", "The URLs of the
# resources ...", "Full URL reference to the region ...".
URL_PHRASE = re.compile(
    r"^(?:The |An? )?(?:(?:Full or partial|Full|Partial|Fully-qualified|Server-defined "
    r"fully-qualified|Optional) )?UR[LI]s?(?: reference)? (?:of|to|for) (?:the |an? |all )?",
    re.I)

URL_ARRAY_PHRASE = re.compile(
    r"^An? (?:array|list) of UR[LI]s where each entry is the UR[LI] of (?:an? |the )?(\w+)", re.I)


def transformed_desc(desc, xf, is_array):
    """The description of a column whose transform makes it a short name.

    The vendor's text describes the URL the API returns ("URL of the zone
    where the instance resides. You must specify this field as part of the
    HTTP request URL."); the column holds the last segment.  The reference
    phrase goes ("Zone where the instance resides."), so do sentences about
    the request URL and URL formats, a join hint names the short-name
    column, and one sentence says what the value is.
    """
    sents = re.split(r"(?<=[.!?])\s+(?=[A-Z(])", desc.strip())
    sents = [x for x in sents
             if not re.search(r"HTTP request|request URL|full or partial URL", x)] or sents[:1]
    first = URL_ARRAY_PHRASE.sub(lambda m: m.group(1) + "s", sents[0], count=1)
    first = URL_PHRASE.sub("", first, count=1)
    first = re.sub(r"^((?:\w+ ){0,2}\w+) resource\b", r"\1", first)   # "Network resource for"
    first = re.sub(r",? in the (?:format|form of)[^.;()]*", "", first)
    first = first[:1].upper() + first[1:]
    if first[-1:] not in ".!?":
        first += "."
    text = " ".join([first] + sents[1:])
    text = re.sub(r"\(join with (\w+)\.self_link\)", r"(join with \1.name)", text)
    if xf == "last_segment":
        if re.search(r"short name|URL the API returns", text):
            return text
        return text + (" Short names: the last path segment of each URL the API returns."
                       if is_array else
                       " Short name: the last path segment of the URL the API returns.")
    seg = xf.split(":", 1)[1]
    if re.search(r"ARM id|resource id", text, re.I):
        return text
    return text + " Read from the resource id the API returns (its path segment after %s)." % seg


def finish_table(t, ov, source):
    """Fill defaults: descriptions, key columns, primary key, dedup names."""
    descs = ov.get("descriptions", {})
    seen = {}
    cols = []
    for c in t["columns"]:
        c.pop("_curated", None)
        n = c["name"]
        if n in seen:
            # two properties that snake to one name: keep the first
            continue
        seen[n] = c
        if not c.get("description"):
            c["description"] = descs.get(n) or "The %s field of the %s API object (%s)." % (
                human(n), source, c["path"])
        if c["path"] == "/" + n:
            pass
        cols.append(c)
    # "transforms": {column: transform} for columns the API fills with a URL
    # or resource id where users filter on the short name (sources/SPEC.md).
    # Only applied to string columns whose description says URL/ID, so a
    # column of the same name that is not a reference is left alone.
    for n, xf in ov.get("transforms", {}).items():
        c = seen.get(n)
        if c is None or c.get("transform") or c["type"] not in ("string", "string[]"):
            continue
        if not re.search(r"\b(URL|URLs|resource ID|ID)\b", c.get("description", "")):
            continue
        c["transform"] = xf
        c["description"] = transformed_desc(c["description"], xf, c["type"].endswith("[]"))
    for k in t.get("keys", []):
        col = k["column"]
        if col not in seen:
            c = {"name": col, "type": "string", "path": "/" + col,
                 "description": descs.get(col) or "%s the rows were listed for (a key of the request)." %
                 human(col).capitalize()}
            # "key_columns": {column: {path, transform, ...}}: where a key
            # column's value is in each row when no qual gave it
            c.update(ov.get("key_columns", {}).get(col, {}))
            seen[col] = c
            cols.insert(0, c)
    t["columns"] = [order_col(c) for c in cols]
    if not t.get("primary_key"):
        # globally unique ids first; then names unique within the request's
        # scope, qualified by the table's key columns
        scope = [k["column"] for k in t.get("keys", []) if k.get("required")]
        for cand, scoped in ((["id"], False), (["uid"], False), (["self_link"], False),
                             (["node_id"], False), (["slug"], False), (["number"], True), (["sha"], True),
                             (["name"], True), (["full_name"], True), (["url"], False),
                             (["ip"], False)):
            if all(x in seen for x in cand):
                t["primary_key"] = (scope if scoped else []) + cand
                break
    if not t.get("primary_key"):
        return None             # no key: not generated (breadth only where correct)
    return order_table(t)


COL_ORDER = ["name", "type", "path", "transform", "from", "description"]
TABLE_ORDER = ["name", "description", "endpoint", "get_endpoint", "get_rows", "rows",
               "method", "body", "pagination", "keys", "parent", "primary_key", "row_estimate",
               "supports_limit", "origin", "cursor", "hydrate", "columns"]


def order_col(c):
    return {k: c[k] for k in COL_ORDER if k in c}


def order_table(t):
    out = {k: t[k] for k in TABLE_ORDER if k in t and t[k] is not None}
    for k in sorted(t):
        if k not in out and not k.startswith("_") and t[k] is not None:
            out[k] = t[k]
    return out


def key(column, param=None, where="path", required=False, **kw):
    k = {"column": column}
    if param and param != column:
        k["param"] = param
    k["in"] = where
    k["ops"] = kw.pop("ops", ["="])
    if required:
        k["required"] = True
    for name, v in kw.items():
        if v:
            k[name] = v
    return k


def apply_cursors(source, ov, tables):
    """overrides "cursors": {table: {column, op, param[, format][, utc_offset][, add_column]}}:
    the spec "cursor" of tables whose API filters by it (sources/SPEC.md,
    incremental syncs).  add_column {path, type, description} first adds the
    cursor column when the description has none (a nested field)."""
    byname = {t["name"]: t for t in tables}
    for name, cur in sorted(ov.get("cursors", {}).items()):
        t = byname.get(name)
        if t is None:
            raise GenError("%s: overrides give a cursor to table %s, which is not generated"
                           % (source, name))
        cur = dict(cur)
        add = cur.pop("add_column", None)
        if add and not any(c["name"] == cur["column"] for c in t["columns"]):
            t["columns"].append(order_col(dict(add, name=cur["column"])))
        if not any(c["name"] == cur["column"] for c in t["columns"]):
            raise GenError("%s: cursor column %s is not a column of %s" % (source, cur["column"], name))
        t["cursor"] = {k: cur[k] for k in ("column", "op", "param", "format", "utc_offset") if k in cur}
        byname[name] = order_table(t)
    return [byname[t["name"]] for t in tables]


def apply_table_keys(source, ov, tables):
    """overrides "table_keys": [{key..., "column_def": {type, path,
    description}}]: a key every table of the source has (Kubernetes: the
    kubeconfig context, "in": "context"), children and curated tables
    included, whatever their own "keys".  Its column comes first, the key
    after the table's own (README order, examples); a table
    that already has a column of that name keeps its own column and key."""
    extra = ov.get("table_keys", [])
    if not extra:
        return tables
    out = []
    for t in tables:
        t = dict(t)
        for tk in extra:
            k = {n: v for n, v in tk.items() if n != "column_def"}
            if any(c["name"] == k["column"] for c in t["columns"]):
                continue
            t["keys"] = list(t.get("keys", [])) + [k]
            t["columns"] = [order_col(dict(tk["column_def"], name=k["column"]))] + list(t["columns"])
        out.append(order_table(t))
    return out


def apply_hydrate(source, ov, tables):
    """overrides "hydrate": {table: {"calls": [{name, endpoint[, rows][,
    null_status]}], "columns": [{name, from, path, type, description}]}}:
    detail calls made per row only when a query reads one of their columns
    (sources/SPEC.md "hydrate").  A column of the same name as a generated
    one replaces it in place (the list operation's schema declares fields
    only the detail call returns, e.g. GitHub's subscribers_count); others
    are appended.  Placeholders of a call's endpoint are row columns."""
    byname = {t["name"]: t for t in tables}
    for name, hov in sorted(ov.get("hydrate", {}).items()):
        t = byname.get(name)
        if t is None:
            raise GenError("%s: overrides give detail calls to table %s, which is not generated"
                           % (source, name))
        calls = [dict(c) for c in hov.get("calls", [])]
        cnames = {c["name"] for c in calls}
        cols = list(t["columns"])
        for c in hov.get("columns", []):
            if c.get("from") not in cnames:
                raise GenError("%s: %s.%s reads detail call %r, which overrides do not declare"
                               % (source, name, c["name"], c.get("from")))
            nc = order_col(dict(c))
            for i, old in enumerate(cols):
                if old["name"] == c["name"]:
                    if not nc.get("description"):
                        nc["description"] = old.get("description")
                    cols[i] = order_col(nc)
                    break
            else:
                cols.append(nc)
        known = {c["name"] for c in cols if "from" not in c}
        for call in calls:
            for p in re.findall(r"{([^}]+)}", call["endpoint"]):
                if p not in known:
                    raise GenError("%s: %s detail call %s: {%s} is not a column of the row"
                                   % (source, name, call["name"], p))
        t = dict(t, columns=cols, hydrate=calls)
        byname[name] = order_table(t)
    return [byname[t["name"]] for t in tables]


def apply_pushdown(source, ov, tables):
    """overrides "pushdown": [{"path", "key"[, "tables"][, "endpoint"]}]:
    operator parameters (sources/SPEC.md, key "formats"): every column whose
    path is `path` (or `^path`, the listed object of a child table) in a
    table whose name and endpoint match the regexes gets the key `key`
    (column = that column), e.g. Kubernetes `labels @> ...` ->
    labelSelector, `phase = ...` -> fieldSelector=status.phase=..., GCP
    `status = ...` -> filter.  Not when the column already has a key, nor
    when the table's cursor sends the same parameter (one filter text)."""
    out = []
    for t in tables:
        changed = False
        for rule in ov.get("pushdown", []):
            if not re.search(rule.get("tables", ""), t["name"]) or \
                    not re.search(rule.get("endpoint", ""), t["endpoint"]):
                continue
            k = rule["key"]
            params = {k.get("param")} | set(k.get("op_params", {}).values())
            if t.get("cursor") and t["cursor"]["param"] in params:
                continue
            for c in t["columns"]:
                if c.get("path") not in (rule["path"], "^" + rule["path"]):
                    continue
                if any(x["column"] == c["name"] for x in t.get("keys", [])):
                    continue
                t.setdefault("keys", []).append(dict({"column": c["name"]}, **k))
                changed = True
        out.append(order_table(t) if changed else t)
    return out


def assemble(source, ov, tables):
    """Source header from overrides, tables in a stable order: the curated
    (required) tables first, in overrides order, then the rest by name."""
    spec = {}
    for k in ("name", "version", "description", "base_url", "auth", "auth_header",
              "headers", "ratelimit", "server_options", "user_options"):
        if k in ov.get("source", {}):
            spec[k] = ov["source"][k]
    spec["name"] = source
    order = list(ov.get("tables", {}).keys())
    byname = {t["name"]: t for t in tables}
    out = [byname[n] for n in order if n in byname]
    out += [byname[n] for n in sorted(byname) if n not in order]
    spec["tables"] = out
    return spec


def build_tables(source, ov, candidates):
    """candidates: name -> generated table.  Applies per-table overrides,
    exclusions, and the table-level "extra" switch."""
    tov_all = ov.get("tables", {})
    excl = [re.compile(p) for p in ov.get("exclude", [])]
    out = []
    for name in sorted(set(candidates) | set(tov_all)):
        if name not in tov_all and any(rx.search(name) for rx in excl):
            continue
        gen = candidates.get(name)
        tov = tov_all.get(name, {})
        if gen is None:
            if "columns" not in tov or "endpoint" not in tov:
                raise GenError("%s: overrides name table %s, which the description does not have"
                               % (source, name))
            gen = {"name": name, "columns": []}
        # origin (cq_fdw.tables.origin): from the description alone, with a
        # per-table override, or written whole in overrides.json
        origin = ("hand-written" if not gen.get("columns") or ov.get("hand_written")
                  else "curated" if name in tov_all else "generated")
        t = merge_table(gen, tov, ov)
        t["name"] = name
        t["origin"] = origin
        t = finish_table(t, ov, source)
        if t is None:
            if name in tov_all:
                raise GenError("%s: table %s has no primary key" % (source, name))
            continue
        out.append(t)
    return out


# ---------------------------------------------------------------------------
# kubernetes (Swagger 2.0)
# ---------------------------------------------------------------------------

def k8s_version_rank(v):
    m = re.fullmatch(r"v(\d+)(?:(alpha|beta)(\d+))?", v)
    if not m:
        return (0, 0, 0)
    stab = {"alpha": 0, "beta": 1, None: 2}[m.group(2)]
    return (stab, int(m.group(1)), int(m.group(3) or 0))


def k8s_metadata_columns(namespaced):
    cols = [
        {"name": "name", "type": "string", "path": "/metadata/name",
         "description": "Name of the object, unique within its namespace (metadata.name)."},
    ]
    if namespaced:
        cols.append({"name": "namespace", "type": "string", "path": "/metadata/namespace",
                     "description": "Namespace of the object (metadata.namespace)."})
    cols += [
        {"name": "uid", "type": "uuid", "path": "/metadata/uid",
         "description": "Unique id of the object for its whole lifetime (metadata.uid)."},
        {"name": "creation_timestamp", "type": "timestamp", "path": "/metadata/creationTimestamp",
         "description": "When the object was created (metadata.creationTimestamp)."},
        {"name": "deletion_timestamp", "type": "timestamp", "path": "/metadata/deletionTimestamp",
         "description": "When graceful deletion was requested; null if not being deleted."},
        {"name": "labels", "type": "json", "path": "/metadata/labels",
         "description": "Labels: a map of string keys and values used to select objects."},
        {"name": "annotations", "type": "json", "path": "/metadata/annotations",
         "description": "Annotations: a map of non-identifying metadata."},
        {"name": "owner_references", "type": "json", "path": "/metadata/ownerReferences",
         "description": "Objects this object depends on (metadata.ownerReferences)."},
        {"name": "resource_version", "type": "string", "path": "/metadata/resourceVersion",
         "description": "Opaque version of the object, changes on every update."},
        {"name": "generation", "type": "int", "path": "/metadata/generation",
         "description": "Sequence number of the desired state (metadata.generation)."},
    ]
    return cols


def gen_kubernetes(doc, ov):
    S = Schemas(doc, "swagger")
    S.descs = ov.get("descriptions", {})
    gv = ov.get("generator", {})
    lists = {}
    for path, item in doc["paths"].items():
        op = item.get("get")
        if not op or op.get("x-kubernetes-action") != "list":
            continue
        gvk = op.get("x-kubernetes-group-version-kind", {})
        ref = op["responses"]["200"]["schema"]
        lists.setdefault((gvk.get("group", ""), gvk.get("kind")), []).append(
            (gvk.get("version"), path, ref))
    # one table per (group, kind): the most stable version wins
    groups_rank = gv.get("group_preference", [""])
    chosen = {}
    for (group, kind), entries in lists.items():
        best = max(k8s_version_rank(v) for v, _, _ in entries)
        entries = [e for e in entries if k8s_version_rank(e[0]) == best]
        cluster = [e for e in entries if "{namespace}" not in e[1]]
        nsd = [e for e in entries if "{namespace}" in e[1]]
        if not cluster:
            continue
        version, endpoint, ref = cluster[0]
        plural = endpoint.rstrip("/").rsplit("/", 1)[1]
        sk = snake(kind)
        flat = sk.replace("_", "")
        if plural.startswith(flat):
            name = "k8s_" + sk + plural[len(flat):]
        elif flat.endswith("y") and plural == flat[:-1] + "ies":
            name = "k8s_" + sk[:-1] + "ies"
        else:
            name = "k8s_" + snake(plural)
        # "names": {"<group> <Kind>": table}: a kind of a second group kept
        # beside the preferred one, under its own name
        name = gv.get("names", {}).get("%s %s" % (group, kind), name)
        rank = groups_rank.index(group) if group in groups_rank else len(groups_rank)
        prev = chosen.get(name)
        if prev and prev[0] <= rank:
            continue
        chosen[name] = (rank, group, version, kind, endpoint,
                        nsd[0][1] if nsd else None, ref)
    tables = {}
    for name, (_, group, version, kind, endpoint, nsd_endpoint, ref) in chosen.items():
        lst = S.resolve(ref)
        item = S.resolve(lst["properties"]["items"]["items"])
        namespaced = nsd_endpoint is not None
        cols = k8s_metadata_columns(namespaced)
        top = S.props(item)
        for pname in sorted(top):
            if pname in ("apiVersion", "kind", "metadata"):
                continue
            cols += gen_columns(S, {"properties": {pname: top[pname]}})
        # one level of spec/status scalars (and arrays of scalars) flattened
        taken = {c["name"] for c in cols}
        for part in ("spec", "status"):
            if part not in top:
                continue
            for c in gen_columns(S, top[part], prefix="/" + part):
                if c["type"] == "json":
                    continue
                if c["name"] in taken:
                    c["name"] = part + "_" + c["name"]
                if c["name"] in taken:
                    continue
                taken.add(c["name"])
                cols.append(c)
        gvs = ("%s/%s" % (group, version)) if group else version
        t = {
            "name": name,
            "description": clean_desc(item.get("description")) or "%s objects." % kind,
            "endpoint": endpoint,
            "rows": "/items",
            "pagination": {"type": "next_token", "next": "/metadata/continue",
                           "next_param": "continue", "page_size_param": "limit",
                           "page_size": 500,
                           # progress: items after this page (not sent with
                           # a field selector)
                           "remaining": "/metadata/remainingItemCount"},
            "keys": [],
            "primary_key": ["uid"],
            "row_estimate": 100,
            "supports_limit": True,
            "columns": cols,
            "_gvk": "%s %s" % (gvs, kind),
        }
        t["description"] = t["description"].rstrip(".") + " (%s %s)." % (gvs, kind)
        if namespaced:
            t["get_endpoint"] = nsd_endpoint
            t["keys"].append(key("namespace", where="path", guaranteed=True))
        tables[name] = t
        ROW_SCHEMAS[name] = (S, item)
    return tables


# ---------------------------------------------------------------------------
# gcp (Google Discovery)
# ---------------------------------------------------------------------------

def gcp_item_schema(S, resp_ref, aggregated):
    lst = S.doc["schemas"][resp_ref]
    items = lst["properties"].get("items")
    if items is None:
        return None, None
    if aggregated:
        scoped = S.resolve(items.get("additionalProperties", {}))
        for pname, ps in scoped.get("properties", {}).items():
            if ps.get("type") == "array":
                return S.resolve(ps["items"]), pname
        return None, None
    if items.get("type") != "array":
        return None, None
    return S.resolve(items["items"]), None


def gen_gcp(doc, ov):
    S = Schemas(doc, "discovery")
    S.descs = ov.get("descriptions", {})
    root = "/" + doc["servicePath"].strip("/")           # /compute/v1
    page = {"type": "next_token", "next": "/nextPageToken", "next_param": "pageToken",
            "page_size_param": "maxResults", "page_size": 500}
    proj_key = key("project", where="path", required=True, server_option="projects")
    tables = {}
    for rname, res in sorted(doc["resources"].items()):
        methods = res.get("methods", {})
        agg = methods.get("aggregatedList")
        lst = methods.get("list")
        use = agg or lst
        if lst and not agg and not lst.get("parameterOrder") and "parentId" in lst.get("parameters", {}):
            # organisation-level lists (firewall policies, organisation
            # operations): the organisation or folder is a required key
            # column, sent as parentId (issue 15 point 2)
            item, _ = gcp_item_schema(S, lst["response"]["$ref"], False)
            if item is None:
                continue
            name = "gcp_compute_organization_" + snake(rname).replace("global_organization_", "")
            tables[name] = {
                "name": name,
                "description": clean_desc(item.get("description")) or "Compute Engine %s." % rname,
                "endpoint": root + "/" + lst["path"],
                "rows": "/items",
                "pagination": dict(page),
                "keys": [key("parent_id", param="parentId", where="query", required=True,
                             guaranteed=True)],
                "row_estimate": 100,
                "supports_limit": True,
                "columns": gen_columns(S, item),
            }
            ROW_SCHEMAS[name] = (S, item)
            continue
        if not use or "project" not in (use.get("parameterOrder") or []):
            continue
        item, plural = gcp_item_schema(S, use["response"]["$ref"], agg is not None)
        if item is None:
            continue
        name = "gcp_compute_" + snake(rname)
        cols = gen_columns(S, item)
        t = {
            "name": name,
            "description": clean_desc(item.get("description")) or "Compute Engine %s." % rname,
            "pagination": dict(page),
            "keys": [dict(proj_key)],
            "row_estimate": 100,
            "supports_limit": True,
            "columns": cols,
        }
        colnames = {c["name"] for c in cols}
        if agg:
            t["endpoint"] = root + "/" + agg["path"]
            t["rows"] = "/items/*/" + pointer_escape(plural)
            if lst and lst.get("parameterOrder", [])[1:2] and len(lst["parameterOrder"]) == 2:
                scope = lst["parameterOrder"][1]                # zone / region
                t["get_endpoint"] = root + "/" + lst["path"]
                t["get_rows"] = "/items"
                # the row's own zone/region is a URL; the API filters exactly,
                # so no local recheck against it (see sources/gcp/README.md)
                t["keys"].append(key(scope, where="path", guaranteed=True))
        else:
            t["endpoint"] = root + "/" + lst["path"]
            t["rows"] = "/items"
            po = lst.get("parameterOrder", [])
            if len(po) > 2:
                continue
            if len(po) == 2:
                scope = po[1]
                if scope not in ("zone", "region"):
                    continue
                # every zone/region of the project, listed first (parent)
                t["keys"].append(key(scope, where="path", required=True, guaranteed=True,
                                     from_parent=True))
                t["parent"] = {
                    "endpoint": root + "/projects/{project}/%ss" % scope,
                    "rows": "/items",
                    "pagination": dict(page),
                    "map": {scope: "/name"},
                }
        if "id" not in colnames and "self_link" in colnames:
            t["primary_key"] = ["self_link"]
        tables[name] = t
        ROW_SCHEMAS[name] = (S, item)
    gcp_post_lists(S, doc, root, page, proj_key, tables)
    return tables


def gcp_post_lists(S, doc, root, page, proj_key, tables):
    """The list* methods Compute serves as POSTs (issue 15):
    instanceGroupManagers.listManagedInstances / listPerInstanceConfigs,
    instanceGroups.listInstances, nodeGroups.listNodes (zonal and regional),
    projects.listXpnHosts.  A table sends "method": "POST" (and the request
    schema's "ALL" choice as "body": instanceGroups' instanceState), pages
    with pageToken in the query string like any Compute list, and lists the
    groups of a project through the parent collection's aggregated list
    (one request for every zone and region), mapping the group's zone (or
    region) URL, as its key column shows it (last_segment), and its name.
    Items without an id, a name or an instance URL (network endpoints) stay
    out: no primary key."""
    for rname, res in sorted(doc["resources"].items()):
        for mname, m in sorted(res.get("methods", {}).items()):
            if (not mname.startswith("list") or mname in ("list", "aggregatedList")
                    or m.get("httpMethod") != "POST"):
                continue
            po = m.get("parameterOrder") or []
            if not po or po[0] != "project" or len(po) not in (1, 3):
                continue
            resp = S.doc["schemas"][m["response"]["$ref"]]
            arrays = [(pn, ps) for pn, ps in sorted(resp.get("properties", {}).items())
                      if ps.get("type") == "array" and "$ref" in ps.get("items", {})]
            if len(arrays) != 1:
                continue
            plural, aps = arrays[0]
            item = S.resolve(aps["items"])
            cols = gen_columns(S, item)
            colnames = {c["name"] for c in cols}
            sub = snake(mname[len("list"):])
            t = {
                "description": "%s (%s.%s, a POST list)" % (
                    (clean_desc(m.get("description")) or "Compute Engine %s." % mname).split(". ")[0].rstrip("."),
                    rname, mname),
                "endpoint": root + "/" + m["path"],
                "rows": "/" + pointer_escape(plural),
                "method": "POST",
                "pagination": dict(page),
                "keys": [dict(proj_key)],
                "row_estimate": 100,
                "supports_limit": True,
            }
            req = S.doc["schemas"].get((m.get("request") or {}).get("$ref", ""), {})
            body = {pn: "ALL" for pn, ps in sorted(req.get("properties", {}).items())
                    if "ALL" in (ps.get("enum") or [])}
            if body:
                t["body"] = body
            if len(po) == 1:
                name = "gcp_compute_" + sub
            else:
                scope, grp = po[1], po[2]
                if scope not in ("zone", "region"):
                    continue
                name = "gcp_compute_%s_%s" % (snake(rname), sub)
                base = rname[len("region"):] if rname.startswith("region") else rname
                base = base[:1].lower() + base[1:]
                agg = doc["resources"].get(base, {}).get("methods", {}).get("aggregatedList")
                if agg is None:
                    continue
                _, aplural = gcp_item_schema(S, agg["response"]["$ref"], True)
                gcol = snake(grp)
                t["keys"] += [key(scope, where="path", required=True, guaranteed=True, from_parent=True),
                              key(gcol, param=grp, where="path", required=True, guaranteed=True,
                                  from_parent=True)]
                t["parent"] = {
                    "endpoint": root + "/" + agg["path"],
                    "rows": "/items/*/" + pointer_escape(aplural),
                    "pagination": dict(page),
                    "map": {scope: "/" + scope, grp: "/name"},
                }
                keycols = [
                    {"name": scope, "type": "string",
                     "path": "/" + scope if scope not in colnames else "/_cq_" + scope,
                     "transform": "last_segment",
                     "description": "%s of the %s the rows were listed for (the last segment of its "
                                    "%s URL); WHERE %s = ... lists that %s's groups only." % (
                                        scope.capitalize(), human(gcol), scope, scope, scope)},
                    {"name": gcol, "type": "string",
                     "path": "/" + gcol if gcol not in colnames else "/_cq_" + gcol,
                     "description": "Name of the %s the rows were listed for (%s): WHERE %s = ... "
                                    "reads that one, else every %s of the project, from the "
                                    "aggregated list." % (human(gcol), grp, gcol, human(gcol))},
                ]
                cols = keycols + cols
                colnames |= {scope, gcol}
            if len(name) > 63:
                continue
            t["name"] = name
            t["columns"] = cols
            scoped = [k["column"] for k in t["keys"]]
            # a managed instance's id is empty until the instance exists;
            # its instance URL is there from the start
            if "instance" in colnames:
                t["primary_key"] = scoped + ["instance"]
            elif "id" in colnames:
                t["primary_key"] = ["id"]
            elif "name" in colnames:
                t["primary_key"] = scoped + ["name"]
            else:
                continue
            tables[name] = t
            ROW_SCHEMAS[name] = (S, item)


# ---------------------------------------------------------------------------
# github (OpenAPI 3.0.3)
# ---------------------------------------------------------------------------

def openapi_json_schema(op, code="200"):
    r = op.get("responses", {}).get(code, {})
    c = r.get("content", {})
    for ct in ("application/json", "application/json; charset=utf-8"):
        if ct in c:
            return c[ct].get("schema")
    for ct, v in c.items():
        if "json" in ct:
            return v.get("schema")
    return None


def param_names(S, op, item):
    names = []
    for p in (item.get("parameters", []) + op.get("parameters", [])):
        p = S.resolve(p)
        names.append((p.get("name"), p.get("in")))
    return names


def gen_github(doc, ov):
    S = Schemas(doc, "openapi")
    S.descs = ov.get("descriptions", {})
    gv = ov.get("generator", {})
    rename = gv.get("rename", {})
    prefixes = gv.get("prefixes", {})
    tables = {}
    for path, item in sorted(doc["paths"].items()):
        op = item.get("get")
        if not op:
            continue
        pnames = param_names(S, op, item)
        if ("per_page", "query") not in pnames:
            continue
        pathp = re.findall(r"{([^}]+)}", path)
        prefix = None
        for pre, tabpre in prefixes.items():
            if path.startswith(pre + "/"):
                prefix = (pre, tabpre)
        if prefix is None and path in rename:
            prefix = ("", "")       # a renamed path outside the prefixes (gists, search)
        if prefix is None or len(pathp) != len(re.findall(r"{", prefix[0])):
            continue
        sch = openapi_json_schema(op)
        if not sch:
            continue
        r = S.resolve(sch)
        rows = ""
        if r.get("type") == "array":
            item_s = S.resolve(r.get("items", {}))
        else:
            arrs = [(k, v) for k, v in S.props(r).items()
                    if S.resolve(v).get("type") == "array"]
            if len(arrs) != 1:
                continue
            rows = "/" + arrs[0][0]
            item_s = S.resolve(arrs[0][1].get("items", {}))
        if not S.props(item_s):
            continue
        if any(p in S.props(item_s) for p in pathp):
            # the row has its own "owner"/"org": a key column could not show
            # the request's value there, so no table rather than a wrong one
            continue
        rest = path[len(prefix[0]) + 1:]
        name = rename.get(path) or prefix[1] + snake(rest.replace("/", "_"))
        keys = [key(p, where="path", required=True, guaranteed=True) for p in pathp]
        # "required_query": {path: [param]}: a query parameter the API needs
        # (search's q), a required key column filled from the request
        keys += [key(p, where="query", required=True) for p in gv.get("required_query", {}).get(path, [])]
        t = {
            "name": name,
            "description": clean_desc(op.get("summary") or op.get("description")),
            "endpoint": path,
            "rows": rows,
            "pagination": {"type": "link_header", "page_size_param": "per_page",
                           "page_size": 100},
            "keys": keys,
            "row_estimate": 100,
            "supports_limit": True,
            "columns": gen_columns(S, item_s),
        }
        tables[name] = t
        ROW_SCHEMAS[name] = (S, item_s)
    tables.update(github_nested_lists(S, doc, ov, tables))
    return tables


def github_nested_lists(S, doc, ov, tables):
    """GitHub lists one placeholder below a table's endpoint (issue 14 point
    5): /repos/{owner}/{repo}/pulls/{pull_number}/files is the table
    github_pull_requests_files, its {pull_number} a key column given by a
    qual or filled from every row of the parent table's listing (the pull
    requests of the repository): PR files and reviews, workflow run jobs,
    the runs of each workflow, the comments of each issue."""
    by_ep = {}
    for name, t in tables.items():
        ep = ov.get("tables", {}).get(name, {}).get("endpoint") or t["endpoint"]
        by_ep[t["endpoint"].split("?", 1)[0]] = (name, ep)
    out = {}
    for path, item in sorted(doc["paths"].items()):
        op = item.get("get")
        m = re.fullmatch(r"(/.+)/\{([a-z_]+)\}/([a-z_-]+)", path)
        if not op or not m or m.group(1) not in by_ep:
            continue
        if ("per_page", "query") not in param_names(S, op, item):
            continue
        pname, pep = by_ep[m.group(1)]
        par = tables[pname]
        param = m.group(2)
        sch = openapi_json_schema(op)
        if not sch or pname not in ROW_SCHEMAS:
            continue
        r = S.resolve(sch)
        rows = ""
        if r.get("type") == "array":
            item_s = S.resolve(r.get("items", {}))
        else:
            arrs = [(k, v) for k, v in S.props(r).items() if S.resolve(v).get("type") == "array"]
            if len(arrs) != 1:
                continue
            rows = "/" + arrs[0][0]
            item_s = S.resolve(arrs[0][1].get("items", {}))
        if not S.props(item_s):
            continue
        pprops = S.props(ROW_SCHEMAS[pname][1])
        ptr = ("/number" if param.endswith("number") and "number" in pprops else
               "/id" if param.endswith("id") and "id" in pprops else
               "/name" if param.endswith("name") and "name" in pprops else None)
        pcol = next((c for c in par["columns"] if c["path"] == ptr), None)
        if ptr is None or pcol is None:
            continue
        name = pname + "_" + snake(m.group(3))
        if name in tables or len(name) > 63:
            continue
        upper = re.findall(r"{([^}]+)}", m.group(1))
        if any(p in S.props(item_s) for p in upper):
            continue
        col = snake(param)
        cols = gen_columns(S, item_s)
        keys = [key(p, where="path", required=True, guaranteed=True) for p in upper]
        keys.append(key(col, param=param if param != col else None, where="path", required=True,
                        guaranteed=True, from_parent=True))
        if not any(c["name"] == col for c in cols):
            what = human(singular(pname[len("github_"):].rsplit("_", 1)[-1]))
            # an id the description calls a number (runner groups) is an
            # integer in a path
            cols.insert(0, {"name": col, "type": "int" if pcol["type"] == "float" else pcol["type"],
                            "path": "/" + col,
                            "description": "%s of the %s the rows belong to (%s.%s): a key of the "
                            "request, WHERE %s = ... or every one %s lists." % (
                                human(ptr[1:]).capitalize(), what, pname, pcol["name"], col, pname)})
        t = {
            "name": name,
            "description": clean_desc(op.get("summary") or op.get("description")),
            "endpoint": path,
            "rows": rows,
            "pagination": {"type": "link_header", "page_size_param": "per_page", "page_size": 100},
            "keys": keys,
            "parent": {"endpoint": pep, "rows": par.get("rows", ""),
                       "pagination": {"type": "link_header", "page_size_param": "per_page",
                                      "page_size": 100},
                       "map": {param: ptr}},
            "row_estimate": 100,
            "supports_limit": True,
            "columns": cols,
        }
        out[name] = t
        ROW_SCHEMAS[name] = (S, item_s)
    return out


# ---------------------------------------------------------------------------
# digitalocean (OpenAPI 3.0.0, bundled)
# ---------------------------------------------------------------------------

def gen_digitalocean(doc, ov):
    S = Schemas(doc, "openapi")
    S.descs = ov.get("descriptions", {})
    tables = {}
    for path, item in sorted(doc["paths"].items()):
        op = item.get("get")
        if not op or "{" in path or not path.startswith("/v2/"):
            continue
        shape = do_list_shape(S, op, item)
        if shape is None:
            continue
        member, item_s, paged = shape
        name = "digitalocean_" + snake(path[len("/v2/"):].replace("/", "_"))
        t = {
            "name": name,
            "description": clean_desc(op.get("summary") or op.get("description")),
            "endpoint": path,
            "rows": "/" + pointer_escape(member),
            "pagination": ({"type": "next_url", "next": "/links/pages/next",
                            "page_size_param": "per_page", "page_size": 200,
                            # progress: the listing's size on every page
                            "total": "/meta/total"}
                           if paged else {"type": "none"}),
            "keys": [],
            "row_estimate": 100,
            "supports_limit": paged,
            "columns": gen_columns(S, item_s),
        }
        if not paged:
            del t["supports_limit"]
        tables[name] = t
        ROW_SCHEMAS[name] = (S, item_s)
    tables.update(do_nested_lists(S, doc, tables))
    return tables


def do_list_shape(S, op, item):
    """A DigitalOcean GET that lists: its JSON answer has exactly one array
    member, whose items are objects with members, and it is paged (a page
    parameter or a links member) or that array is all the answer holds.
    Returns (array member, item schema, paged) or None."""
    sch = openapi_json_schema(op)
    if not sch:
        return None
    props = S.props(S.resolve(sch))
    arrs = [(k, v) for k, v in props.items() if S.resolve(v).get("type") == "array"]
    if len(arrs) != 1:
        return None
    pnames = [n for n, w in param_names(S, op, item)]
    paged = "page" in pnames or "links" in props
    if not paged and len(props) != 1:
        return None
    item_s = S.resolve(S.resolve(arrs[0][1]).get("items", {}))
    if not S.props(item_s):
        return None
    return arrs[0][0], item_s, paged


def do_parent_pointer(S, param, item):
    """The member of a parent row that fills {param}: /name for *_name,
    /ip for IPs (floating/reserved IPs are keyed by their address), else
    the row's id or uuid."""
    props = S.props(item)
    if param.endswith("name") and "name" in props:
        return "/name"
    if param.endswith("ip") and "ip" in props:
        return "/ip"
    for m in ("id", "uuid"):
        if m in props:
            return "/" + m
    return None


def do_nested_lists(S, doc, tables):
    """DigitalOcean lists under one placeholder (issue 15 point 2, issue
    14 point 5): /v2/<collection>/{param}/<list> when /v2/<collection> is a
    table: the placeholder is a key column, given by a qual or filled from
    every row of that collection (parent listing): domain records per
    domain, node pools per Kubernetes cluster, actions per reserved IP."""
    by_ep = {t["endpoint"]: t for t in tables.values()}
    out = {}
    for path, item in sorted(doc["paths"].items()):
        op = item.get("get")
        m = re.fullmatch(r"(/v2/[a-z0-9_/-]+)/\{([a-z_]+)\}/([a-z0-9_/-]+)", path)
        if not op or not m or m.group(1) not in by_ep:
            continue
        par = by_ep[m.group(1)]
        param = m.group(2)
        shape = do_list_shape(S, op, item)
        if shape is None or par["name"] not in ROW_SCHEMAS:
            continue
        member, item_s, paged = shape
        ptr = do_parent_pointer(S, param, ROW_SCHEMAS[par["name"]][1])
        if ptr is None:
            continue
        col = snake(param)
        pcol = next((c for c in par["columns"] if c["path"] == ptr), None)
        name = "digitalocean_" + snake((m.group(1)[len("/v2/"):] + "_" + m.group(3)).replace("/", "_"))
        if name in tables or pcol is None:
            continue
        cols = gen_columns(S, item_s)
        if any(c["name"] == col for c in cols):
            # the row has its own member of that name ({id}): the key column
            # could not show the request's value, so no table
            continue
        if True:
            cols.insert(0, {"name": col, "type": pcol["type"], "path": "/" + col,
                            "description": "%s of the %s the rows belong to (%s %s): a key of the "
                            "request, WHERE %s = ... or every one %s lists." % (
                                ptr[1:].upper() if ptr == "/ip" else ptr[1:].capitalize(),
                                human(singular(par["name"][len("digitalocean_"):].rsplit("_", 1)[-1])),
                                par["name"], ptr[1:], col, par["name"])})
        t = {
            "name": name,
            "description": clean_desc(op.get("summary") or op.get("description")),
            "endpoint": path,
            "rows": "/" + pointer_escape(member),
            "pagination": ({"type": "next_url", "next": "/links/pages/next",
                            "page_size_param": "per_page", "page_size": 200}
                           if paged else {"type": "none"}),
            "keys": [key(col, param=param, where="path", required=True, guaranteed=True,
                         from_parent=True)],
            "parent": {"endpoint": par["endpoint"], "rows": par["rows"],
                       # a parent listing pages only: its progress keys belong to the table
                       "pagination": {k: v for k, v in par["pagination"].items()
                                      if k not in ("total", "remaining")},
                       "map": {param: ptr}},
            "row_estimate": 100,
            "columns": cols,
        }
        if paged:
            t["supports_limit"] = True
        out[name] = t
        ROW_SCHEMAS[name] = (S, item_s)
    return out


# ---------------------------------------------------------------------------
# azure (hand-written in overrides.json, expanded here)
# ---------------------------------------------------------------------------

def gen_azure(doc, ov):
    """Azure tables come whole from overrides.json; a column given as a bare
    JSON pointer string ("/properties/macAddress") is expanded to a column
    named after its last segment (mac_address), type from overrides
    "types" or string."""
    tables = {}
    for name, tov in ov.get("tables", {}).items():
        cols = []
        for c in tov.get("columns", []):
            if isinstance(c, str):
                last = c.rstrip("/").rsplit("/", 1)[1]
                last = last.replace("*", "")
                c = {"name": snake(last), "path": c}
            cols.append(c)
        tov["columns"] = cols
        tables[name] = {"name": name, "columns": []}
    return tables


# ---------------------------------------------------------------------------
# child tables: one row per element of a nested array of objects
# ---------------------------------------------------------------------------

# table name -> (Schemas, row schema), filled by the generators above
ROW_SCHEMAS = {}

CHILD_KEYS = ("parent", "array", "parent_columns")


def element_schema(S, item, pointer):
    """Schema of the elements of the array at `pointer` in rows of schema
    `item`; a "*" segment merges the properties of every value."""
    cur = [S.resolve(item)]
    for seg in pointer.strip("/").split("/"):
        seg = seg.replace("~1", "/").replace("~0", "~")
        nxt = []
        for c in cur:
            props = S.props(c)
            vals = list(props.values()) if seg == "*" else [props[seg]] if seg in props else []
            for v in vals:
                r = S.resolve(v)
                if seg == "*" and r.get("type") == "array":
                    r = S.resolve(r.get("items", {}))
                nxt.append(r)
        cur = nxt
    props = {}
    for c in cur:
        r = S.resolve(c.get("items", {})) if c.get("type") == "array" else c
        for k, v in S.props(r).items():
            props.setdefault(k, v)
    return {"type": "object", "properties": props}


def build_children(source, ov, tables):
    """Child tables declared in overrides "children": {name: {"parent":
    table, "array": pointer in a parent row, "parent_columns": {column:
    parent column}, ...table overrides}}.  The child lists what its parent
    lists (endpoint, keys, parent listing, pagination: one pass over the
    parent collection); its rows pointer is the parent's plus "/*" and the
    array, so "^" in a column path is the parent row (sources/SPEC.md).
    Columns: the parent's key columns and the named parent columns read
    through "^", then one per property of the element schema (typed as any
    generated column), with the usual curated columns/drop/types."""
    byname = {t["name"]: t for t in tables}
    out = []
    for name, cov in sorted(ov.get("children", {}).items()):
        par = byname.get(cov["parent"])
        if par is None:
            raise GenError("%s: child %s: no parent table %s" % (source, name, cov["parent"]))
        t = build_child(source, ov, par, name, cov)
        if t is None:
            raise GenError("%s: child table %s has no primary key" % (source, name))
        out.append(t)
    return out


def build_child(source, ov, par, name, cov):
    """One child table of parent table `par` (build_children); None
    without a primary key."""
    if True:
        pcols = {c["name"]: c for c in par["columns"]}
        arr = cov["array"]
        t = {k: copy.deepcopy(v) for k, v in par.items()
             if k not in ("name", "description", "columns", "primary_key", "row_estimate")}
        t["rows"] = (par.get("rows") or "") + "/*" + arr
        if par.get("get_endpoint") and "get_rows" in par:
            t["get_rows"] = par["get_rows"] + "/*" + arr
        t["row_estimate"] = par.get("row_estimate", 100) * 2
        # "^" is what the last "*" matched: the parent row is one level up,
        # plus one per "*" of the array pointer itself
        up = "^" * (1 + arr.strip("/").split("/").count("*"))
        inherited = []
        keycols = [k["column"] for k in par.get("keys", [])]
        for cname, pname in [(k, k) for k in keycols] + sorted(cov.get("parent_columns", {}).items()):
            pc = dict(pcols[pname])
            pc["name"] = cname
            # a parent column that reads its own parent ("^...", a
            # grandchild) goes up as many levels more
            pc["path"] = up + pc["path"]
            pc["description"] = "%s From the parent row (%s.%s)." % (
                pc["description"].rstrip(), par["name"], pname)
            inherited.append(pc)
        gen = {"name": name, "columns": []}
        if cov["parent"] in ROW_SCHEMAS:
            S, item = ROW_SCHEMAS[cov["parent"]]
            gen["columns"] = gen_columns(S, element_schema(S, item, arr))
        tov = {k: v for k, v in cov.items() if k not in CHILD_KEYS}
        tov["columns"] = inherited + tov.get("columns", [])
        c = merge_table(gen, tov, ov)
        t.update({k: v for k, v in c.items() if k != "columns"})
        t["columns"] = c["columns"]
        t["name"] = name
        if cov["parent"] in ROW_SCHEMAS:
            S, item = ROW_SCHEMAS[cov["parent"]]
            ROW_SCHEMAS[name] = (S, element_schema(S, item, arr))
        return finish_table(t, ov, source)


# the generic child-table rule (rule_children): its defaults, which a
# source's overrides "child_rule" may change
CHILD_RULE = {
    "min_scalars": 2,       # an element needs at least this many scalar members
    "object_depth": 3,      # arrays found under at most this many nested objects
    "array_depth": 2,       # children, and their children (grandchildren)
    "exclude": [],          # regexes on "<parent table>:<array pointer>" or the child's name
}
WHO = {}                    # child table -> what one of its rows is (container)
CHILD_ID = ("id", "uid", "name", "key", "self_link", "node_id", "sha", "slug")


def singular(word):
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if re.search(r"(ss|sh|ch|x|tus)es$", word):
        return word[:-2]
    if word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def scalar_count(S, el):
    return sum(1 for v in S.props(el).values()
               if not schema_type(S, v).endswith("[]") and schema_type(S, v) != "json")


def child_arrays(S, item, rule, ptr="", depth=0, seen=frozenset()):
    """(pointer, element schema, array schema) of the arrays of objects in
    rows of schema `item`, under at most rule["object_depth"] objects."""
    out = []
    for pname, ps in sorted(S.props(item).items()):
        r = S.resolve(ps)
        p = ptr + "/" + pointer_escape(pname)
        if r.get("type") == "array":
            el = S.resolve(r.get("items", {}))
            if S.props(el) and scalar_count(S, el) >= rule["min_scalars"]:
                out.append((p, el, r, ps))
        elif S.is_object(r) and S.props(r) and depth < rule["object_depth"] and id(r) not in seen:
            out += child_arrays(S, r, rule, p, depth + 1, seen | {id(r)})
    return out


def rule_children(source, ov, tables, prefix):
    """Child tables by rule (issue 14): for each table whose rows come from
    an API description, every array of objects in its row schema whose
    elements have at least min_scalars scalar members becomes the table
    <table>_<array> (one row per element), with the parent's key columns
    and its primary key (<parent>_<column>) as columns and the element's
    members typed like any generated column; the children's own arrays
    give grandchildren (array_depth).  Arrays already covered by a curated
    child ("children") and what "child_rule" "exclude" names are skipped,
    and so are names longer than 63 bytes.  Every such table is covered by
    the synthesized-reply check like any other."""
    rule = dict(CHILD_RULE)
    rule.update(ov.get("child_rule", {}))
    excl = [re.compile(p) for p in rule["exclude"]]
    curated = {(c["parent"], c["array"]) for c in ov.get("children", {}).values()}
    byname = {t["name"]: t for t in tables}
    out = []
    queue = [(t, 1) for t in tables if t["name"] in ROW_SCHEMAS
             and not any(c["path"].startswith("^") for c in t["columns"])]
    while queue:
        par, level = queue.pop(0)
        S, item = ROW_SCHEMAS[par["name"]]
        stem = par["name"][len(prefix):] if par["name"].startswith(prefix) else par["name"]
        for ptr, el, arr_s, ps in child_arrays(S, item, rule):
            if (par["name"], ptr) in curated:
                continue
            parts = [x for x in ptr.strip("/").split("/")
                     if x not in ("spec", "status", "metadata", "items", "properties")] or ["items"]
            name = par["name"] + "_" + snake("_".join(x.replace("~1", "_").replace("~0", "_") for x in parts))
            if name in byname:
                name = par["name"] + "_" + snake(ptr.replace("/", "_"))
            if len(name) > 63 or name in byname or \
                    any(rx.search("%s:%s" % (par["name"], ptr)) or rx.search(name) for rx in excl):
                continue
            # the parent's identity: its primary key, as <parent>_<column>
            keycols = {k["column"] for k in par.get("keys", [])}
            who = WHO.get(par["name"]) or singular(stem.rsplit("_", 1)[-1] if len(stem) > 30 else stem)
            pcols = {}
            ptype = {c["name"]: c for c in par["columns"]}
            for pk in par["primary_key"] + (["name"] if "name" in ptype else []):
                if pk in keycols or pk in pcols.values():
                    continue
                if ptype[pk]["path"].startswith("^"):
                    pcols[pk] = pk          # the grandparent's, already named after it
                else:
                    pcols[pk if pk.startswith(who + "_") else "%s_%s" % (who, pk)] = pk
            pkey = [c for c, p in pcols.items() if p in par["primary_key"]]
            mine = sorted(S.props(el))
            ident = next((c for c in CHILD_ID if c in mine), None)
            if ident:
                pkey = pkey + [snake(ident)]
            else:
                pkey = pkey + [snake(m) for m in mine
                                      if not schema_type(S, S.props(el)[m]).endswith("[]")
                                      and schema_type(S, S.props(el)[m]) != "json"]
            what = human(snake(parts[-1]))
            d = clean_desc(ps.get("description") or arr_s.get("description"))
            desc = "%s of %s, one row per element of %s, with the %s's key columns." % (
                what[:1].upper() + what[1:], human(stem), ptr.lstrip("/").replace("/", "."), human(who))
            if d:
                desc = desc + " " + d
            cov = {"parent": par["name"], "array": ptr, "parent_columns": pcols,
                   "description": clean_desc(desc, 2 * MAX_DESC), "primary_key": pkey}
            t = build_child(source, ov, par, name, cov)
            if t is None or any(p not in {c["name"] for c in t["columns"]} for p in t["primary_key"]):
                continue
            t["origin"] = "generated"
            t = order_table(t)
            WHO[name] = singular(snake(parts[-1]))
            out.append(t)
            byname[name] = t
            if level < rule["array_depth"]:
                queue.append((t, level + 1))
    return out


GENERATORS = {
    "github": gen_github,
    "kubernetes": gen_kubernetes,
    "gcp": gen_gcp,
    "digitalocean": gen_digitalocean,
    "azure": gen_azure,
}


# ---------------------------------------------------------------------------
# lint: the invariants of the banner (the C validator is the authority)
# ---------------------------------------------------------------------------

def lint(spec):
    errs = []
    if not IDENT.match(spec.get("name", "")):
        errs.append("name")
    tnames = set()
    for i, t in enumerate(spec.get("tables", [])):
        loc = "tables[%d] (%s)" % (i, t.get("name"))
        if not IDENT.match(t.get("name", "")) or t["name"] in tnames:
            errs.append(loc + ": bad or duplicate name")
        tnames.add(t.get("name"))
        if not t.get("description"):
            errs.append(loc + ": no description")
        cols = {}
        for j, c in enumerate(t.get("columns", [])):
            cl = "%s.columns[%d] (%s)" % (loc, j, c.get("name"))
            if not IDENT.match(c.get("name", "")) or c["name"] in cols:
                errs.append(cl + ": bad or duplicate name")
            cols[c.get("name")] = c
            ty = c.get("type", "")
            if ty.rstrip("[]") not in TYPES:
                errs.append(cl + ": unknown type " + ty)
            if "*" in c.get("path", "") and not (ty.endswith("[]") or ty == "json"):
                errs.append(cl + ": wildcard path needs an array type")
            if not c.get("description"):
                errs.append(cl + ": no description")
        if not cols:
            errs.append(loc + ": no columns")
        params = set()
        for k in t.get("keys", []):
            params.add(k.get("param", k["column"]))
            if k["column"] not in cols:
                errs.append(loc + ": key %s is not a column" % k["column"])
        if t.get("parent"):
            params |= set(t["parent"].get("map", {}).keys())
        for f in ("endpoint", "get_endpoint"):
            for p in re.findall(r"{([^}]+)}", t.get(f) or ""):
                if p not in params:
                    errs.append(loc + ": %s {%s} is not a key" % (f, p))
        if t.get("parent"):
            for p in re.findall(r"{([^}]+)}", t["parent"]["endpoint"]):
                if p not in params:
                    errs.append(loc + ": parent {%s} is not a key" % p)
        if t.get("cursor") and t["cursor"].get("column") not in cols:
            errs.append(loc + ": cursor column %s" % t["cursor"].get("column"))
        pk = t.get("primary_key") or []
        if not pk or any(p not in cols for p in pk):
            errs.append(loc + ": primary key %r" % pk)
        if not (t.get("row_estimate", 0) > 0):
            errs.append(loc + ": row_estimate")
    return errs


# ---------------------------------------------------------------------------
# output
# ---------------------------------------------------------------------------

def dumps(obj, indent=0, width=110):
    """JSON with one line per small object (columns, keys) and
    deterministic layout; ends without newline."""
    flat = json.dumps(obj, ensure_ascii=False)
    if not isinstance(obj, (dict, list)) or len(flat) + indent <= width:
        return flat
    pad = "  " * (indent + 1)
    if isinstance(obj, dict):
        items = ["%s%s: %s" % (pad, json.dumps(k), dumps(v, indent + 1, width))
                 for k, v in obj.items()]
        return "{\n" + ",\n".join(items) + "\n" + "  " * indent + "}"
    items = [pad + dumps(v, indent + 1, width) for v in obj]
    return "[\n" + ",\n".join(items) + "\n" + "  " * indent + "]"


def load_overrides(source):
    fn = os.path.join(TOP, "sources", source, "overrides.json")
    with open(fn) as f:
        return json.load(f)


def generate(source):
    ov = load_overrides(source)
    doc = None
    rel = DESC_FILES[source]
    if rel:
        fn = os.path.join(DESC_DIR, rel)
        with open(fn) as f:
            doc = json.load(f)
    candidates = GENERATORS[source](doc, ov)
    tables = build_tables(source, ov, candidates)
    tables += build_children(source, ov, tables)
    tables += rule_children(source, ov, tables, SOURCE_PREFIX.get(source, source + "_"))
    tables = apply_cursors(source, ov, tables)
    tables = apply_table_keys(source, ov, tables)
    tables = apply_hydrate(source, ov, tables)
    tables = apply_pushdown(source, ov, tables)
    spec = assemble(source, ov, tables)
    errs = lint(spec)
    if errs:
        raise GenError("%s: %d problems:\n  %s" % (source, len(errs), "\n  ".join(errs[:40])))
    return dumps(spec) + "\n"


def spec_path(source):
    return os.path.join(TOP, "sources", source, source + ".json")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("sources", nargs="*")
    ap.add_argument("--all", action="store_true")
    ap.add_argument("--check", action="store_true",
                    help="compare with the committed specs instead of writing")
    a = ap.parse_args()
    sources = SOURCES if (a.all or a.check or not a.sources) else a.sources
    bad = selftest()
    if bad:
        sys.stderr.write("gen: selftest failed:\n  %s\n" % "\n  ".join(bad))
        return 1
    rc = 0
    for s in sources:
        if s not in GENERATORS:
            sys.stderr.write("gen: unknown source %s (known: %s)\n" % (s, ", ".join(SOURCES)))
            return 2
        rel = DESC_FILES[s]
        if rel and not os.path.exists(os.path.join(DESC_DIR, rel)):
            if a.check:
                # a clone without ../shared: lint what is committed
                with open(spec_path(s)) as f:
                    errs = lint(json.load(f))
                print("gen: SKIP %s regeneration (%s absent); lint: %s" % (
                    s, os.path.join(DESC_DIR, rel), "ok" if not errs else "%d problems" % len(errs)))
                for e in errs:
                    print("  " + e)
                rc |= 1 if errs else 0
                continue
            sys.stderr.write("gen: %s not found (set CQ_API_DESCRIPTIONS)\n" %
                             os.path.join(DESC_DIR, rel))
            return 2
        try:
            text = generate(s)
        except GenError as e:
            sys.stderr.write("gen: %s\n" % e)
            rc = 1
            continue
        spec = json.loads(text)
        n = len(spec["tables"])
        if a.check:
            try:
                with open(spec_path(s)) as f:
                    old = f.read()
            except OSError:
                old = None
            if old != text:
                print("gen: %s is out of date: run python3 sources/gen/gen.py %s" % (
                    os.path.relpath(spec_path(s), TOP), s))
                rc = 1
            else:
                print("gen: %s up to date (%d tables)" % (s, n))
        else:
            os.makedirs(os.path.dirname(spec_path(s)), exist_ok=True)
            with open(spec_path(s), "w") as f:
                f.write(text)
            print("gen: wrote %s (%d tables, %d columns)" % (
                os.path.relpath(spec_path(s), TOP), n,
                sum(len(t["columns"]) for t in spec["tables"])))
    return rc


if __name__ == "__main__":
    sys.exit(main())
