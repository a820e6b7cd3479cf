#!/usr/bin/python3
"""gen_aws.py -- generate the `aws` source spec from botocore service models.

    python3 sources/gen/gen_aws.py             write sources/aws/aws.json
    python3 sources/gen/gen_aws.py --check     verify the committed spec is what
                                             the generator produces now (CI);
                                             lints it in any case
    python3 sources/gen/gen_aws.py --excluded  list the paginators that are not
                                             tables, with the reason

Inputs, read in place (never copied into the repository):
  * $CQ_API_DESCRIPTIONS/aws/<service>/service-2.json + paginators-1.json
    (botocore models; default <repo>/../shared/api-descriptions) for
    ec2, iam, s3, rds, lambda, ecs, eks, dynamodb;
  * sources/aws/overrides.json: what the models cannot say (column types
    by name, table renames, parents the models do not link, list-then-get
    pairs, global services, constant request members, exclusions).

Rules (sources/aws/README.md repeats them for users):
  * Every paginator becomes a table when its operation needs no required
    input (apart from the page size), or when each required input is a
    member of the rows of another table of the same service (a parent
    listing, sources/SPEC.md "Parent"; the parent's operation is named in
    parent.aws).  Everything else is listed as excluded, with the reason.
  * Rows are the paginator's result_key (the first list of structures when
    it names several); columns are the row shape's members, one level of
    small structures flattened (<member>_<field>), typed from the model
    (timestamp, boolean, integer/long, float/double, lists of scalars as
    arrays, the rest json); [{Key,Value}] tag lists are json with the
    key_value_object transform; IP/CIDR/MAC members are inet/cidr/macaddr
    by name (type_patterns, types in overrides).
  * Wire names follow botocore's serializers/parsers: ec2 replies use each
    member's locationName, lists wrap <item>; query replies nest under the
    operation's resultWrapper, lists wrap <member> unless the list's
    member has a locationName (RDS <DBInstance>); ec2 requests capitalize
    the locationName; rest protocols use location/locationName.
  * Every table has the key columns region (in: region) and account_id
    (in: account); global services carry aws.global_region.

Output: sources/aws/aws.json in the format of sources/SPEC.md (+ the "aws"
table object of the aws source).  Deterministic, so --check compares byte
for byte.  Python 3 standard library only.
"""

import argparse
import copy
import json
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import gen  # noqa: E402  (snake, clean_desc, dumps, pointer_escape)

TOP = gen.TOP
DESC_DIR = gen.DESC_DIR
SERVICES = ["ec2", "iam", "s3", "rds", "lambda", "ecs", "eks", "dynamodb"]
OUT = os.path.join(TOP, "sources", "aws", "aws.json")
OVERRIDES = os.path.join(TOP, "sources", "aws", "overrides.json")
MAX_PAGE = 100000
FLATTEN_MAX = 10            # structures with at most this many members are flattened


class GenError(Exception):
    pass


# ---------------------------------------------------------------------------
# model access
# ---------------------------------------------------------------------------

class Model:
    def __init__(self, svc, doc, pag):
        self.svc = svc
        self.doc = doc
        self.meta = doc["metadata"]
        self.protocol = self.meta.get("protocol")
        if self.protocol is None:
            self.protocol = (self.meta.get("protocols") or ["json"])[0]
        self.shapes = doc["shapes"]
        self.ops = doc["operations"]
        self.pag = pag.get("pagination", {})

    def shape(self, name):
        return self.shapes[name]

    def xml(self):
        return self.protocol in ("ec2", "query", "rest-xml")

    # --- wire names -------------------------------------------------------

    def out_name(self, mname, m):
        """Name of a member in a reply (XML element or JSON key)."""
        if self.protocol == "ec2":
            return m.get("locationName", mname)
        if self.protocol in ("query", "rest-xml"):
            sh = self.shape(m["shape"])
            if sh["type"] == "list" and sh.get("flattened"):
                return sh["member"].get("locationName", m.get("locationName", mname))
            return m.get("locationName", mname)
        # json / rest-json: locationName is the JSON key when the member
        # has no location (header/uri/querystring)
        if m.get("location"):
            return None
        return m.get("jsonName", m.get("locationName", mname))

    def in_name(self, mname, m):
        """(where, name) of a request member: where is "body" (form field or
        JSON member), "query" (URL query string) or "path" (URI template)."""
        if self.protocol == "ec2":
            if "queryName" in m:
                return "body", m["queryName"]
            if "locationName" in m:
                ln = m["locationName"]
                return "body", ln[0].upper() + ln[1:]
            return "body", mname
        if self.protocol == "query":
            return "body", m.get("locationName", mname)
        if self.protocol == "json":
            return "body", mname
        loc = m.get("location")
        if loc == "uri":
            return "path", m.get("locationName", mname)
        if loc == "querystring":
            return "query", m.get("locationName", mname)
        if loc in ("header", "headers"):
            return "header", m.get("locationName", mname)
        return "body", m.get("locationName", mname)

    def list_item_name(self, lshape):
        """XML element of one list entry (ec2: item, query: member)."""
        if self.protocol == "ec2":
            return "item"
        return lshape["member"].get("locationName", "member")

    def reply_prefix(self, op):
        """Pointer prefix of the output members in a converted reply."""
        if self.protocol == "query":
            w = op.get("output", {}).get("resultWrapper")
            return "/" + w if w else ""
        return ""

    def xml_lists(self, shape_name):
        """Element names of the lists reachable from a reply shape (the
        container element of each non-flattened list; the repeated element
        of a flattened one is left to the converter's repeated-name rule).
        A name that is also a structure or a value elsewhere in the reply
        (EC2 "overrides", "serviceType") is left out: the converter's
        list_names are by name, and its <item>/<member> rule still makes
        the non-empty lists arrays."""
        lists, other = set(), set()
        self._xml_walk(shape_name, lists, other, set())
        return lists - other

    def _xml_walk(self, shape_name, lists, other, seen):
        if shape_name in seen:
            return
        seen.add(shape_name)
        sh = self.shape(shape_name)
        if sh["type"] == "structure":
            for mname, m in sh.get("members", {}).items():
                if m.get("location"):
                    continue
                t = self.shape(m["shape"])
                if t["type"] == "list" and not t.get("flattened"):
                    lists.add(self.out_name(mname, m))
                else:
                    other.add(self.out_name(mname, m))
                self._xml_walk(m["shape"], lists, other, seen)
        elif sh["type"] == "list":
            self._xml_walk(sh["member"]["shape"], lists, other, seen)
        elif sh["type"] == "map":
            self._xml_walk(sh["value"]["shape"], lists, other, seen)


NOTES = re.compile(r"<(note|important)>.*?</\1>", re.S)


def doc_text(d):
    """The model's HTML documentation as one or two plain sentences; the
    <note>/<important> asides ("This operation is not supported for
    directory buckets.") go unless they are all there is."""
    return gen.clean_desc(NOTES.sub(" ", d or "")) or gen.clean_desc(d or "")


def member_doc(model, m):
    d = m.get("documentation") or model.shape(m["shape"]).get("documentation") or ""
    return doc_text(d)


# ---------------------------------------------------------------------------
# naming
# ---------------------------------------------------------------------------

VERBS = re.compile(r"^(Describe|List|Get|Search)")
NO_PLURAL = re.compile(r"(data|metadata|info|history|s)$")


def plural(word):
    if word.endswith("status"):
        return word + "es"
    if word.endswith("history"):
        return word[:-1] + "ies"
    if NO_PLURAL.search(word):
        return word
    if re.search(r"[^aeiou]y$", word):
        return word[:-1] + "ies"
    if re.search(r"(sh|ch|x)$", word):
        return word + "es"
    return word + "s"


def singular(word):
    if word.endswith("statuses"):
        return word[:-2]
    if word.endswith("ies"):
        return word[:-3] + "y"
    if re.search(r"(sh|ch|x|ss)es$", word):
        return word[:-2]
    if word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def table_name(svc, op, rk, multi):
    base = gen.snake(VERBS.sub("", op))
    if multi:
        base = gen.snake(rk)
    parts = base.split("_")
    parts[-1] = plural(parts[-1])
    return "aws_%s_%s" % (svc, "_".join(parts))


# ---------------------------------------------------------------------------
# columns
# ---------------------------------------------------------------------------

SCALARS = {"string": "string", "timestamp": "timestamp", "boolean": "bool",
           "integer": "int", "long": "int", "double": "float", "float": "float",
           "blob": "string"}


def is_tag_list(model, sh):
    if sh["type"] != "list":
        return False
    it = model.shape(sh["member"]["shape"])
    if it["type"] != "structure":
        return False
    names = {k.lower() for k in it.get("members", {})}
    return names == {"key", "value"}


def base_type(model, shape_name):
    sh = model.shape(shape_name)
    t = sh["type"]
    if t in SCALARS:
        return SCALARS[t]
    if t == "list":
        it = model.shape(sh["member"]["shape"])
        if it["type"] in SCALARS:
            return SCALARS[it["type"]] + "[]"
    return "json"


class TypeRules:
    def __init__(self, ov):
        self.by_member = ov.get("types", {})
        self.pats = [(re.compile(p), t) for p, t in ov.get("type_patterns", [])]

    def apply(self, mname, ty, svc=None, shape=None):
        """types: "<service>:<Member>", "<service>:shape:<Shape>" or
        "<Member>" -> type; else type_patterns on string members."""
        base = ty[:-2] if ty.endswith("[]") else ty
        arr = ty.endswith("[]")
        for k in ("%s:shape:%s" % (svc, shape), "%s:%s" % (svc, mname), mname):
            if k in self.by_member:
                t = self.by_member[k]
                return t + "[]" if arr and not t.endswith("[]") else t
        if base != "string":
            return ty
        for rx, t in self.pats:
            if rx.search(mname):
                return t + ("[]" if arr else "")
        return ty


def fit(name):
    """An identifier of at most 63 bytes: whole words dropped from the end
    of the prefix (the last word, the field, stays)."""
    if len(name) <= 63:
        return name
    words = name.split("_")
    while len("_".join(words)) > 63 and len(words) > 2:
        del words[-2]
    return "_".join(words)[:63]


def column(model, rules, name, mname, m, path, desc):
    name = fit(name)
    sh = model.shape(m["shape"])
    ty = rules.apply(mname, base_type(model, m["shape"]), model.svc, m["shape"])
    c = {"name": name, "type": ty, "path": path, "description": desc}
    if is_tag_list(model, sh):
        if mname in ("TagList", "TagSet"):
            c["name"] = "tags"          # RDS TagList: the same tags column as everywhere
        c["type"] = "json"
        c["transform"] = "key_value_object"
        c["description"] = (desc.rstrip(".") + ". " if desc else "") + \
            "An object of tag keys to values."
    return c


def row_columns(model, rules, shape_name, what, prefix="", outer=False):
    """Columns of a row shape: scalars typed, small structures flattened one
    level (<member>_<field>), everything else json."""
    sh = model.shape(shape_name)
    cols = []
    if sh["type"] != "structure":
        # a list of strings (ARNs, names): the row is the value itself
        vname = gen.snake(what) if what else "value"
        vname = "_".join(vname.split("_")[:-1] + [singular(vname.split("_")[-1])])
        cols.append({"name": vname,
                     "type": rules.apply(what or "value", SCALARS.get(sh["type"], "json")),
                     "path": "", "description": "The %s (each value the API lists)." %
                     gen.human(vname)})
        return cols
    mk = "^" if outer else ""
    for mname, m in sorted(sh.get("members", {}).items()):
        wire = model.out_name(mname, m)
        if wire is None:
            continue
        name = gen.snake(mname)
        path = mk + prefix + "/" + gen.pointer_escape(wire)
        desc = member_doc(model, m) or "The %s of the %s." % (gen.human(name), what)
        sub = model.shape(m["shape"])
        if (sub["type"] == "structure" and 0 < len(sub.get("members", {})) <= FLATTEN_MAX
                and not sub.get("document") and not outer):
            first = desc
            for sname, sm in sorted(sub["members"].items()):
                swire = model.out_name(sname, sm)
                if swire is None:
                    continue
                sdesc = member_doc(model, sm) or "%s: %s." % (first.rstrip("."), gen.human(gen.snake(sname)))
                sn = gen.snake(sname)
                # PermissionsBoundary.PermissionsBoundaryArn: permissions_boundary_arn
                full = sn if sn.startswith(name + "_") else name + "_" + sn
                cols.append(column(model, rules, full, sname, sm,
                                   path + "/" + gen.pointer_escape(swire), sdesc))
            continue
        cols.append(column(model, rules, name, mname, m, path, desc))
    return cols


# ---------------------------------------------------------------------------
# paginators -> tables
# ---------------------------------------------------------------------------

def result_member(model, out_shape, rk):
    """(members path as [(mname, m)], item shape name) of a result_key."""
    chain = []
    sh = model.shape(out_shape)
    for part in rk.split("."):
        m = sh.get("members", {}).get(part)
        if m is None:
            return None, None
        chain.append((part, m))
        sh = model.shape(m["shape"])
    if sh["type"] != "list":
        return chain, None
    return chain, sh["member"]["shape"]


def chain_pointer(model, prefix, chain):
    return prefix + "".join("/" + gen.pointer_escape(model.out_name(n, m)) for n, m in chain)


def page_size(model, inp, limit_key, ov):
    m = model.shape(inp)["members"].get(limit_key)
    if m is None:
        return None, None
    where, wire = model.in_name(limit_key, m)
    sh = model.shape(m["shape"])
    mx = sh.get("max")
    if mx is None:
        mx = ov.get("page_size", {}).get(model.svc, 100)
    return wire, int(min(mx, MAX_PAGE))


def pagination(model, opname, pg, ov):
    """The table's pagination object, or (None, reason)."""
    op = model.ops[opname]
    inp = op.get("input", {}).get("shape")
    it, ot = pg.get("input_token"), pg.get("output_token")
    if isinstance(it, list) or isinstance(ot, list):
        return None, "several paging tokens (%s)" % ", ".join(it if isinstance(it, list) else [it])
    if not re.match(r"^[A-Za-z0-9.]+$", ot or ""):
        return None, "the next token is an expression (%s)" % ot
    prefix = model.reply_prefix(op)
    oshape = op["output"]["shape"]
    chain, _ = result_member(model, oshape, ot)
    if chain is None:
        return None, "output token %s is not in the reply shape" % ot
    tok = model.shape(chain[-1][1]["shape"])
    if tok["type"] != "string":
        return None, "the next token %s is a %s, not a string" % (ot, tok["type"])
    im = model.shape(inp)["members"].get(it)
    where, wire = model.in_name(it, im)
    p = {"type": "next_token", "next": chain_pointer(model, prefix, chain), "next_param": wire}
    if pg.get("limit_key"):
        w, n = page_size(model, inp, pg["limit_key"], ov)
        if w:
            p["page_size_param"] = w
            p["page_size"] = n
    if pg.get("more_results"):
        mchain, _ = result_member(model, oshape, pg["more_results"])
        if mchain:
            p["more"] = chain_pointer(model, prefix, mchain)
    return p, None


def aws_object(model, opname, ov, extra=None):
    op = model.ops[opname]
    meta = model.meta
    a = {"service": meta.get("signingName", meta["endpointPrefix"]),
         "endpoint_prefix": meta["endpointPrefix"],
         "protocol": model.protocol}
    if model.protocol in ("ec2", "query"):
        a["api_version"] = meta["apiVersion"]
    a["action"] = opname
    if model.protocol == "json":
        a["target_prefix"] = meta["targetPrefix"]
        a["json_version"] = meta.get("jsonVersion", "1.0")
    if model.protocol in ("rest-json", "rest-xml"):
        a["method"] = op["http"]["method"]
    g = ov.get("global", {})
    if model.svc in g.get("services", {}) or opname in g.get("operations", {}).get(model.svc, {}):
        a["global_region"] = g["services"].get(model.svc) or g["operations"][model.svc][opname]
    if model.xml():
        a["xml_lists"] = sorted(model.xml_lists(op["output"]["shape"]))
    if extra:
        a.update(extra)
    return a


def endpoint(model, opname):
    if model.protocol in ("rest-json", "rest-xml"):
        uri = model.ops[opname]["http"]["requestUri"]
        return re.sub(r"{([^}+]+)\+}", r"{\1}", uri)
    return "/"


def required_inputs(model, opname, pg):
    op = model.ops[opname]
    inp = op.get("input", {}).get("shape")
    if not inp:
        return [], None
    sh = model.shape(inp)
    req = [r for r in sh.get("required", []) if r != pg.get("limit_key")]
    return req, inp


REGION_KEY = {"column": "region", "in": "region", "server_option": "regions"}
ACCOUNT_KEY = {"column": "account_id", "in": "account", "server_option": "accounts"}


def key_columns(model, opname, row_wires):
    g = model.svc
    cols = []
    for name, what in (("region", "AWS region"), ("account_id", "AWS account id")):
        path = "/_cq_" + name if name in row_wires else "/" + name
        if name == "region":
            desc = ("The AWS region the row was listed in (a key: WHERE region = ... "
                    "prunes the regions scanned)." if g not in ("iam",)
                    else "The region of the global %s endpoint the row was listed from." % g.upper())
        else:
            desc = "The AWS account the row belongs to (a key: WHERE account_id = ... selects the accounts scanned)."
        cols.append({"name": name, "type": "string", "path": path, "description": desc})
    return cols


class Gen:
    def __init__(self, ov):
        self.ov = ov
        self.rules = TypeRules(ov)
        self.excluded = []          # (service, op, reason)
        self.models = {}
        # what the spec parser takes beyond sources/SPEC.md (AWS_SPEC.md):
        # parent listings of another operation (parent.aws) and
        # list-then-get (aws.describe); off: plain key columns / identifiers
        feats = ov.get("spec_features", {})
        self.parents = feats.get("parent_operation", True)
        self.describe = feats.get("describe", True)

    def load(self):
        for svc in SERVICES:
            d = os.path.join(DESC_DIR, "aws", svc)
            with open(os.path.join(d, "service-2.json")) as f:
                doc = json.load(f)
            with open(os.path.join(d, "paginators-1.json")) as f:
                pag = json.load(f)
            self.models[svc] = Model(svc, doc, pag)

    def exclude(self, svc, op, reason):
        self.excluded.append({"service": svc, "operation": op, "reason": reason})

    # --- one table ---------------------------------------------------------

    def rows_of(self, model, opname, pg, rk):
        """(rows pointer, row shape, result key name) or raises with reason."""
        op = model.ops[opname]
        chain, item = result_member(model, op["output"]["shape"], rk)
        if chain is None:
            raise GenError("result key %s is not in the reply" % rk)
        if item is None:
            raise GenError("result key %s is not a list" % rk)
        return chain_pointer(model, model.reply_prefix(op), chain), item

    def pick_result_key(self, model, opname, pg):
        rks = pg["result_key"] if isinstance(pg["result_key"], list) else [pg["result_key"]]
        op = model.ops[opname]
        best = None
        for rk in rks:
            chain, item = result_member(model, op["output"]["shape"], rk)
            if chain is None or item is None:
                continue
            if model.shape(item)["type"] == "structure":
                return rk
            if best is None:
                best = rk
        return best

    def make(self, svc, opname, pg, tov):
        model = self.models[svc]
        op = model.ops[opname]
        rk = tov.get("result_key") or self.pick_result_key(model, opname, pg)
        if rk is None:
            raise GenError("no result key is a list")
        rows, item = self.rows_of(model, opname, pg, rk)
        pagi, why = pagination(model, opname, pg, self.ov)
        if pagi is None:
            raise GenError(why)
        multi = isinstance(pg["result_key"], list) and len(pg["result_key"]) > 1 and \
            tov.get("per_result_key")
        name = tov.get("name") or table_name(svc, opname, rk, multi)
        what = gen.human(gen.snake(item)) if model.shape(item)["type"] == "structure" else \
            gen.human(gen.snake(rk))
        extra = {}
        if tov.get("body"):
            extra["body"] = tov["body"]
        cols = None
        describe = tov.get("describe") if self.describe else None
        if describe:
            dmodel = model
            dop = dmodel.ops[describe["action"]]
            dchain, ditem = result_member(dmodel, dop["output"]["shape"], describe["result"])
            if ditem is None:       # a single structure (rest-json Describe<One>)
                ditem = dchain[-1][1]["shape"]
            d = {k: v for k, v in describe.items() if k != "result"}
            d["rows"] = chain_pointer(dmodel, dmodel.reply_prefix(dop), dchain)
            extra["describe"] = d
            cols = row_columns(dmodel, self.rules, ditem, gen.human(gen.snake(ditem)))
            what = gen.human(gen.snake(ditem))
            item = ditem
        if cols is None:
            cols = row_columns(model, self.rules, item, what or rk)
            for c in cols:
                if c["path"] == "" and tov.get("value_column"):
                    # the identifier's name in the Describe result (EKS "name")
                    c["name"] = tov["value_column"]
                    c["description"] = "The %s (each value the API lists)." % gen.human(c["name"])
        nested = tov.get("nested_rows")
        if nested:
            # rows of a list inside each result (EC2 Reservation.Instances):
            # the outer element's other members stay reachable through "^/"
            ish = model.shape(item)
            nm = ish["members"][nested]
            inner = model.shape(nm["shape"])["member"]["shape"]
            rows = rows + "/*/" + gen.pointer_escape(model.out_name(nested, nm))
            inner_cols = row_columns(model, self.rules, inner, gen.human(gen.snake(inner)))
            names = {c["name"] for c in inner_cols}
            outer = []
            ostem = gen.snake(item)
            for c in row_columns(model, self.rules, item, what, outer=True):
                if c["path"] == "^/" + model.out_name(nested, nm):
                    continue
                # reservation_id, owner_id stay; others say whose they are
                # (the reservation's groups beside the instance's)
                if c["name"] in names or not (c["name"].startswith(ostem) or c["name"].endswith("_id")):
                    c["name"] = ostem + "_" + c["name"]
                outer.append(c)
            cols = inner_cols + outer
            what = gen.human(gen.snake(inner))
            item = inner
        a = aws_object(model, opname, self.ov, extra)
        t = {
            "name": name,
            "description": tov.get("description") or doc_text(op.get("documentation")) or
            "The %s of AWS %s %s." % (what, svc, opname),
            "endpoint": endpoint(model, opname),
            "rows": rows,
            "pagination": pagi,
            "keys": [dict(REGION_KEY), dict(ACCOUNT_KEY)],
            "row_estimate": tov.get("row_estimate", 100),
            "columns": cols,
            "aws": a,
        }
        return t, model, item

    def add_parent(self, t, model, opname, pg, req, tables_by_op, tov):
        """Fill every required input from a parent listing; GenError if not."""
        inp = model.ops[opname]["input"]["shape"]
        pov = tov.get("parent", {})
        pop = pov.get("operation")
        cands = []
        if pop:
            cands = [pop]
        else:
            for other, (ot, oitem) in sorted(tables_by_op.items()):
                osh = model.shape(oitem)
                if osh["type"] == "structure" and all(r in osh.get("members", {}) for r in req):
                    cands.append(other)
            if len(cands) > 1:
                # the listing whose row shape is named after the input
                stem = re.sub(r"(Id|Name|Identifier|Arn)$", "", req[0])
                best = [c for c in cands if tables_by_op[c][1] == stem]
                cands = best or cands
            if len(cands) != 1:
                raise GenError("required input %s %s" % (", ".join(req), (
                    "is not a member of any other table's rows" if not cands else
                    "is in the rows of several tables (%s): name one in overrides" % ", ".join(cands))))
        pop = cands[0]
        if pop not in tables_by_op:
            raise GenError("parent operation %s is not a table" % pop)
        ptab, pitem = tables_by_op[pop]
        psh = model.shape(pitem)
        pmap = {}
        keys = []
        for r in req:
            m = model.shape(inp)["members"][r]
            where, wire = model.in_name(r, m)
            if where not in ("body", "path", "query"):
                raise GenError("required input %s is a %s" % (r, where))
            if pov.get("map", {}).get(r) is not None:
                ptr = pov["map"][r]
            elif psh["type"] == "structure":
                pm = psh["members"].get(r)
                if pm is None:
                    raise GenError("required input %s is not a member of the rows of %s" % (r, pop))
                ptr = "/" + gen.pointer_escape(model.out_name(r, pm))
            else:
                ptr = ""
            pmap[wire] = ptr
            if model.shape(m["shape"])["type"] not in ("string", "integer", "long"):
                raise GenError("required input %s is a %s" % (r, model.shape(m["shape"])["type"]))
            col = gen.snake(r)
            k = {"column": col}
            if wire != col:
                k["param"] = wire
            k["in"] = "path" if where == "path" else "query"
            k["ops"] = ["="]
            optional = r in pov.get("inputs", [])
            if k["in"] == "query" and not (optional and not self.parents):
                k["required"] = True
            k["guaranteed"] = True
            if self.parents:
                k["from_parent"] = True
            keys.append(k)
            if col not in {c["name"] for c in t["columns"]}:
                pwhat = ptab["name"][len("aws_%s_" % model.svc):].replace("_", " ")
                if self.parents:
                    how = "a key, from the parent listing"
                elif optional:
                    how = "an optional key; without it the API's default"
                else:
                    how = "a required key: WHERE %s = ..., or a join with %s" % (col, ptab["name"])
                t["columns"].insert(0, {
                    "name": col, "type": "string", "path": "/_cq_" + col,
                    "description": "%s of the %s row this row was listed for (%s; %s)." % (
                        gen.human(col).capitalize(), pwhat, ptab["name"], how)})
        t["keys"] = t["keys"] + keys
        if not self.parents:
            # the spec parser does not take a parent of another operation yet
            # (overrides "spec_features"): the inputs are key columns a
            # qual or a join gives; the parent's global region still applies
            if ptab["aws"].get("global_region") and not t["aws"].get("global_region"):
                t["aws"]["global_region"] = ptab["aws"]["global_region"]
            t["_parent_table"] = ptab["name"]
            return
        pa = {"action": pop}
        if model.protocol in ("rest-json", "rest-xml"):
            pa["method"] = model.ops[pop]["http"]["method"]
        if model.xml():
            pa["xml_lists"] = ptab["aws"]["xml_lists"]
        parent = {"endpoint": ptab["endpoint"], "rows": ptab["rows"],
                  "pagination": {k: v for k, v in ptab["pagination"].items()},
                  "map": pmap, "aws": pa}
        t["parent"] = parent
        # a global parent makes the child global too (IAM, S3 buckets)
        if ptab["aws"].get("global_region") and not t["aws"].get("global_region"):
            t["aws"]["global_region"] = ptab["aws"]["global_region"]

    def finish(self, t, model, item):
        """Key columns, unique names, primary key, xml_lists of the parent."""
        row_wires = {c["path"].lstrip("^/").split("/")[0] for c in t["columns"]}
        kc = key_columns(model, t["aws"]["action"], row_wires)
        seen = {}
        cols = []
        for c in kc + t["columns"]:
            n = c["name"]
            if n in seen:
                if n in ("region", "account_id"):
                    c = dict(c)
                    c["name"] = "resource_" + n
                    if c["name"] in seen:
                        continue
                else:
                    continue
            seen[c["name"]] = c
            cols.append({k: c[k] for k in gen.COL_ORDER if k in c})
        t["columns"] = cols
        names = set(seen)
        scope = [k["column"] for k in t["keys"][2:]]     # beyond region, account_id
        stems = []
        if model.shape(item)["type"] == "structure":
            stems.append(gen.snake(item))
        words = t["name"].split("_")[2:]
        words[-1] = singular(words[-1])
        stems.append("_".join(words))
        pk = None
        if "primary_key" in self.ov.get("tables", {}).get(t["name"], {}):
            pk = self.ov["tables"][t["name"]]["primary_key"]
        else:
            cands = []
            for stem in stems:
                cands += [([stem + "_arn"], False)]
            cands += [(["arn"], False)]
            for stem in stems:
                cands += [([stem + "_id"], True), ([stem + "_identifier"], True)]
            cands += [(["id"], True)]
            for stem in stems:
                cands += [([stem + "_name"], True)]
            cands += [(["name"], True)]
            for cand, scoped in cands:
                if all(x in names for x in cand):
                    pk = (["account_id", "region"] + scope if scoped else []) + cand
                    break
        if not pk and model.shape(item)["type"] != "structure":
            # a list of names per parent row (ListUserPolicies): the name
            # within its parent
            value = [c["name"] for c in cols if c["path"] == ""]
            if value:
                pk = ["account_id", "region"] + scope + value
        if not pk and scope and gen.snake(item) == "tag" and "key" in names:
            pk = ["account_id", "region"] + scope + ["key"]
        if pk:
            t["primary_key"] = pk
        # origin (cq_fdw.tables.origin), as gen.py decides it: "curated"
        # when overrides.json has an entry for the table, else "generated"
        t["origin"] = "curated" if t["name"] in self.ov.get("tables", {}) else "generated"
        return gen.order_table(t)

    # --- child tables ---------------------------------------------------------

    def children(self, out, tables):
        """Child tables (overrides "children"): one row per element of a list
        inside each row of a parent table (EC2 instance -> network
        interfaces, security group -> ip permission -> ip ranges).  The
        child sends the parent's requests (endpoint, keys, pagination, aws,
        parent listing); its rows are the parent's rows, then "*" and the
        wire name of each list member of "array"; columns: the parent's key
        columns, "parent_columns" read through "^" (one per list level,
        sources/SPEC.md), the element's members typed like any generated
        column, and the override's own "columns" (e.g. "^/ipProtocol", a
        member of an intermediate level)."""
        byname = {t["name"]: t for t in out}
        res = []
        for name, cov in sorted(self.ov.get("children", {}).items()):
            par = byname.get(cov["parent"])
            if par is None:
                raise GenError("child %s: no parent table %s" % (name, cov["parent"]))
            (_, item), model = tables[cov["parent"]]
            t = {k: copy.deepcopy(v) for k, v in par.items()
                 if k not in ("name", "description", "columns", "primary_key", "row_estimate", "origin")}
            rows = par["rows"]
            sh = item
            for mname in cov["array"]:
                m = model.shape(sh)["members"][mname]
                rows += "/*/" + gen.pointer_escape(model.out_name(mname, m))
                lsh = model.shape(m["shape"])
                if lsh["type"] != "list":
                    raise GenError("child %s: %s is not a list" % (name, mname))
                sh = lsh["member"]["shape"]
            up = "^" * len(cov["array"])
            pcols = {c["name"]: c for c in par["columns"]}
            cols = []
            keycols = [k["column"] for k in par.get("keys", [])]
            for cname, pname in [(k, k) for k in keycols] + sorted(cov.get("parent_columns", {}).items()):
                pc = dict(pcols[pname])
                pc["name"] = cname
                if pname not in ("region", "account_id"):
                    pc["path"] = up + pc["path"]
                pc["description"] = "%s From the parent row (%s.%s)." % (
                    pc["description"].rstrip(), par["name"], pname)
                cols.append(pc)
            for c in cov.get("columns", []):
                cols.append(dict(c))
            have = {c["name"] for c in cols}
            for c in row_columns(model, self.rules, sh, gen.human(gen.snake(sh))):
                if c["name"] not in have:
                    cols.append(c)
                    have.add(c["name"])
            t["name"] = name
            t["description"] = cov["description"]
            t["rows"] = rows
            t["row_estimate"] = par.get("row_estimate", 100) * 2
            t["columns"] = [{k: c[k] for k in gen.COL_ORDER if k in c} for c in cols]
            t["primary_key"] = cov["primary_key"]
            t["origin"] = "curated"
            res.append(gen.order_table(t))
        return res

    # --- all ------------------------------------------------------------------

    def run(self):
        self.load()
        tables = {}
        tovs = self.ov.get("tables", {})
        by_op_ov = {}
        for tname, tov in tovs.items():
            if "operation" in tov:
                by_op_ov[tuple(tov["operation"].split(":"))] = dict(tov, name=tname)
        excl = self.ov.get("exclude", {})
        for svc in SERVICES:
            model = self.models[svc]
            roots = {}
            pending = []
            for opname, pg in sorted(model.pag.items()):
                key = "%s:%s" % (svc, opname)
                if key in excl:
                    self.exclude(svc, opname, excl[key])
                    continue
                if opname not in model.ops:
                    self.exclude(svc, opname, "no such operation in the model")
                    continue
                tov = by_op_ov.get((svc, opname), {})
                req, _ = required_inputs(model, opname, pg)
                # constant members (overrides "body") are given; "parent.inputs"
                # are optional in the model but listed per parent row here
                # (ECS: every cluster rather than the default one)
                req = [r for r in req if r not in tov.get("body", {})]
                req += [r for r in tov.get("parent", {}).get("inputs", []) if r not in req]
                try:
                    t, m, item = self.make(svc, opname, pg, tov)
                except GenError as e:
                    self.exclude(svc, opname, str(e))
                    continue
                if req:
                    pending.append((opname, pg, req, t, item, tov))
                    continue
                roots[opname] = (t, item)
            for opname, pg, req, t, item, tov in pending:
                try:
                    self.add_parent(t, model, opname, pg, req, roots, tov)
                except GenError as e:
                    self.exclude(svc, opname, str(e))
                    continue
                roots_child = (t, item)
                tables[t["name"]] = (roots_child, model)
            for opname, (t, item) in roots.items():
                tables[t["name"]] = ((t, item), model)
        out = []
        for name in sorted(tables):
            (t, item), model = tables[name]
            out.append(self.finish(t, model, item))
        out += self.children(out, tables)
        # names must be unique: two operations that derive one name is a bug
        # in the overrides (rename one)
        seen = {}
        for t in out:
            if t["name"] in seen:
                raise GenError("two operations give table %s (%s, %s): rename one in overrides" % (
                    t["name"], seen[t["name"]], t["aws"]["action"]))
            seen[t["name"]] = t["aws"]["action"]
        return out


# ---------------------------------------------------------------------------
# spec, lint
# ---------------------------------------------------------------------------

def assemble(ov, tables, excluded):
    spec = {}
    for k, v in ov["source"].items():
        spec[k] = v
    spec["name"] = "aws"
    spec["_excluded"] = sorted(excluded, key=lambda e: (e["service"], e["operation"]))
    order = ov.get("first", [])
    byname = {t["name"]: t for t in tables}
    missing = [n for n in order if n not in byname]
    if missing:
        raise GenError("required tables not generated: %s" % ", ".join(missing))
    spec["tables"] = [byname[n] for n in order] + [byname[n] for n in sorted(byname) if n not in order]
    return spec


PROTOCOLS = {"ec2", "query", "json", "rest-json", "rest-xml"}


def lint(spec):
    errs = []
    names = set()
    for i, t in enumerate(spec.get("tables", [])):
        loc = "tables[%d] (%s)" % (i, t.get("name"))
        if not gen.IDENT.match(t.get("name", "")) or t["name"] in names or len(t["name"]) > 63:
            errs.append(loc + ": bad or duplicate name")
        names.add(t.get("name"))
        if not t.get("description"):
            errs.append(loc + ": no description")
        a = t.get("aws", {})
        for f in ("service", "endpoint_prefix", "protocol", "action"):
            if not a.get(f):
                errs.append(loc + ": aws.%s missing" % f)
        if a.get("protocol") not in PROTOCOLS:
            errs.append(loc + ": aws.protocol %r" % a.get("protocol"))
        cols = {}
        for j, c in enumerate(t.get("columns", [])):
            cl = "%s.columns[%d] (%s)" % (loc, j, c.get("name"))
            if not gen.IDENT.match(c.get("name", "")) or c["name"] in cols or len(c["name"]) > 63:
                errs.append(cl + ": bad or duplicate name")
            cols[c["name"]] = c
            ty = c.get("type", "")
            if ty.rstrip("[]") not in gen.TYPES:
                errs.append(cl + ": unknown type " + ty)
            if not c.get("description"):
                errs.append(cl + ": no description")
            if c.get("transform") == "key_value_object" and ty != "json":
                errs.append(cl + ": key_value_object needs json")
        kc = [k["column"] for k in t.get("keys", [])]
        if kc[:2] != ["region", "account_id"]:
            errs.append(loc + ": region/account_id keys")
        for k in t.get("keys", []):
            if k["column"] not in cols:
                errs.append(loc + ": key %s is not a column" % k["column"])
            if k.get("from_parent") and k.get("param", k["column"]) not in t.get("parent", {}).get("map", {}):
                errs.append(loc + ": key %s not filled by parent.map" % k["column"])
        for p in re.findall(r"{([^}]+)}", t.get("endpoint", "")):
            if p not in [k.get("param", k["column"]) for k in t.get("keys", [])]:
                errs.append(loc + ": endpoint {%s} is not a key" % p)
        for p in t.get("primary_key", []):
            if p not in cols:
                errs.append(loc + ": primary key %s" % p)
        pg = t.get("pagination", {})
        if pg.get("page_size") is not None and not 1 <= pg["page_size"] <= MAX_PAGE:
            errs.append(loc + ": page_size")
    if len(names) < 250:
        errs.append("only %d tables (at least 250)" % len(names))
    return errs


def load_overrides():
    with open(OVERRIDES) as f:
        return json.load(f)


def generate():
    ov = load_overrides()
    g = Gen(ov)
    tables = g.run()
    # detail calls (overrides "hydrate": S3 bucket encryption, versioning...)
    tables = gen.apply_hydrate("aws", ov, tables)
    spec = assemble(ov, tables, g.excluded)
    errs = lint(spec)
    if errs:
        raise GenError("aws: %d problems:\n  %s" % (len(errs), "\n  ".join(errs[:40])))
    return gen.dumps(spec) + "\n", spec


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--check", action="store_true")
    ap.add_argument("--excluded", action="store_true")
    a = ap.parse_args()
    if not os.path.exists(os.path.join(DESC_DIR, "aws", "ec2", "service-2.json")):
        if a.check:
            with open(OUT) as f:
                errs = lint(json.load(f))
            print("gen_aws: SKIP regeneration (%s absent); lint: %s" % (
                os.path.join(DESC_DIR, "aws"), "ok" if not errs else "%d problems" % len(errs)))
            for e in errs:
                print("  " + e)
            return 1 if errs else 0
        sys.stderr.write("gen_aws: %s not found (set CQ_API_DESCRIPTIONS)\n" % os.path.join(DESC_DIR, "aws"))
        return 2
    try:
        text, spec = generate()
    except GenError as e:
        sys.stderr.write("gen_aws: %s\n" % e)
        return 1
    n = len(spec["tables"])
    if a.excluded:
        for e in spec["_excluded"]:
            print("%s %s: %s" % (e["service"], e["operation"], e["reason"]))
        return 0
    if a.check:
        try:
            with open(OUT) as f:
                old = f.read()
        except OSError:
            old = None
        if old != text:
            print("gen_aws: %s is out of date: run python3 sources/gen/gen_aws.py" % os.path.relpath(OUT, TOP))
            return 1
        print("gen_aws: aws up to date (%d tables)" % n)
        return 0
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w") as f:
        f.write(text)
    per = {}
    for t in spec["tables"]:
        per[t["aws"]["endpoint_prefix"]] = per.get(t["aws"]["endpoint_prefix"], 0) + 1
    print("gen_aws: wrote %s (%d tables, %d columns; %s; %d paginators excluded)" % (
        os.path.relpath(OUT, TOP), n, sum(len(t["columns"]) for t in spec["tables"]),
        ", ".join("%s %d" % kv for kv in sorted(per.items())), len(spec["_excluded"])))
    return 0


if __name__ == "__main__":
    sys.exit(main())
