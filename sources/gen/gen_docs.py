#!/usr/bin/python3
"""gen_docs.py -- reference docs for the sources, generated from their specs.

    python3 sources/gen/gen_docs.py            write sources/<name>/README.md + README.md
                                               and sql/source_examples.sql
    python3 sources/gen/gen_docs.py --check    verify the committed docs are current

Every table's example query names the key columns a scan needs
(missing_keys(), the rule of cq_table_missing_keys in sources/SPEC.md);
generation fails otherwise.  sql/source_examples.sql plans every example
with the FDW itself, so the copy of the rule here cannot drift unnoticed.

Reads only sources/<name>/<name>.json (and the "hand_written" note of an
overrides.json), so it runs without the vendor descriptions.  Output is
deterministic.  Python 3 standard library only.
"""

import argparse
import json
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.normpath(os.path.join(HERE, "..", ".."))
DOCS = os.path.join(TOP, "sources")
SOURCES = ["github", "kubernetes", "gcp", "azure", "digitalocean", "aws"]

# an example value per key column, for the example queries
EXAMPLES = {
    "owner": "'postgres'", "repo": "'postgres'", "org": "'octokit-fixture-org'",
    "namespace": "'kube-system'", "project": "'my-project'", "zone": "'us-central1-a'",
    "region": "'us-central1'", "subscription_id": "'00000000-0000-0000-0000-000000000000'",
    "resource_group": "'demo-rg'", "tag_name": "'web'",
}


# per source: example values that differ from EXAMPLES
EXAMPLES_BY_SOURCE = {
    "aws": {"region": "'us-east-1'", "account_id": "'123456789012'"},
}


def example_value(source, col):
    return EXAMPLES_BY_SOURCE.get(source, {}).get(col) or EXAMPLES.get(col, "'...'")


# a placeholder of the column's type where '...' would not parse
TYPED_EXAMPLES = {"int": "42", "uint": "42", "uuid": "'00000000-0000-0000-0000-000000000000'",
                  "inet": "'192.0.2.1'"}


def typed_example(source, t, col):
    v = example_value(source, col)
    if v == "'...'":
        typ = next((c["type"] for c in t["columns"] if c["name"] == col), "string")
        v = TYPED_EXAMPLES.get(typ, v)
    return v


def user_mapping_options(spec, secret="..."):
    """The user mapping options of the README's set-up, by auth kind."""
    if spec.get("auth") == "sigv4":
        return "access_key_id '%s', secret_access_key '%s'" % (
            "AKIAIOSFODNN7EXAMPLE" if secret == "..." else "AKIDEXAMPLE", secret)
    return "token '%s'" % secret


# server options the README's CREATE SERVER sets (with '...')
README_SERVER_OPTIONS = ("projects", "subscriptions")


class GenError(Exception):
    pass


PG = {"bool": "boolean", "int": "bigint", "uint": "numeric", "float": "double precision",
      "numeric": "numeric", "string": "text", "bytes": "bytea", "uuid": "uuid",
      "timestamp": "timestamptz", "date": "date", "interval": "interval", "json": "jsonb",
      "inet": "inet", "cidr": "cidr", "macaddr": "macaddr"}


def pgtype(t):
    return PG[t.rstrip("[]")] + ("[]" if t.endswith("[]") else "")


def md_escape(s):
    return (s or "").replace("|", "\\|").replace("\n", " ")


def is_filter_key(k):
    """A key that only narrows a listing (SPEC.md "formats", "values"):
    never needed by a scan, not shown in examples."""
    return bool(k.get("formats") or k.get("values"))


def key_line(t, k, server_opts):
    ops = ", ".join("`%s`" % o for o in k.get("ops", ["="]))
    how = []
    if k.get("required"):
        how.append("required")
    else:
        how.append("optional")
    if k.get("server_option"):
        how.append("else every value of server option `%s`" % k["server_option"])
    if k.get("in") == "context":
        how.append("else every context of the user mapping's kubeconfig (its `context` option: that one)")
    if k.get("from_parent") and t.get("parent"):
        how.append("else from the parent listing `%s`" % (
            t["parent"]["aws"]["action"] if t["parent"].get("aws") else t["parent"]["endpoint"]))
    if "=" in k.get("ops", ["="]):
        how.append("`= ANY(array)` fans out")
    if k.get("guaranteed"):
        how.append("filtered exactly by the API")
    where = {"path": "path", "region": "the request's region (host and signature)",
             "account": "the request's account (credentials)",
             "context": "the request's kubeconfig context (cluster and credentials)"}.get(
        k.get("in", "path"), "query `%s`" % k.get("param", k["column"]))
    if is_filter_key(k):
        # operator parameters: the text each operator sends (SPEC.md "formats")
        sends = []
        for op in k.get("ops", ["="]):
            param = k.get("param", k["column"]) if op == "=" else k.get("op_params", {}).get(op)
            sends.append("`%s` as `%s=%s`" % (op, param, k.get("formats", {}).get(op, "{value}")))
        where = ", ".join(sends)
        if k.get("separator"):
            where += " (several joined by `%s`)" % k["separator"]
        if k.get("values"):
            how.append("only %s are sent" % ", ".join("`%s`" % v for v in k["values"]))
        how.append("rechecked by PostgreSQL; a value that cannot be sent is not")
    return "| `%s` | %s | %s | %s |" % (k["column"], ops, where, "; ".join(how))


# PostgreSQL 15's reserved and type/function-name keywords
# (parser/kwlist.h): a column of that name must be quoted in a query
# (github_labels.default, github_issues.user).
SQL_KEYWORDS = set("""
    all analyse analyze and any array as asc asymmetric authorization binary
    both case cast check collate collation column concurrently constraint
    create cross current_catalog current_date current_role current_schema
    current_time current_timestamp current_user default deferrable desc
    distinct do else end except false fetch for foreign freeze from full
    grant group having ilike in initially inner intersect into is isnull
    join lateral leading left like limit localtime localtimestamp natural
    not notnull null offset on only or order outer overlaps placing primary
    references returning right select session_user similar some symmetric
    table tablesample then to trailing true union unique user using variadic
    verbose when where window with
""".split())


def ident(name):
    return '"%s"' % name if name in SQL_KEYWORDS else name


def placeholders(tpl):
    return re.findall(r"{([^}]+)}", tpl or "")


def path_key(t, param):
    """The key whose {param} fills a placeholder (in=path), or None."""
    for k in t.get("keys", []):
        if k.get("param", k["column"]) == param and k.get("in", "path") == "path":
            return k
    return None


def missing_for(t, tpl, given):
    """cq_table_missing_keys for one template (src/sdk/spec_lookup.c missing_for)."""
    parent = t.get("parent")
    parent_ok = bool(parent) and all(
        path_key(t, p) is not None and path_key(t, p)["column"] in given
        for p in placeholders(parent["endpoint"]))
    out = []

    def add(col):
        if col not in out:
            out.append(col)
    for p in placeholders(tpl):
        k = path_key(t, p)
        if k and k["column"] in given:
            continue
        if parent_ok and p in parent["map"]:
            continue
        if k:
            add(k["column"])
        elif parent:
            for pp in placeholders(parent["endpoint"]):
                pk = path_key(t, pp)
                if pk and pk["column"] not in given:
                    add(pk["column"])
    for k in t.get("keys", []):
        if not k.get("required") or k.get("in") != "query" or k["column"] in given:
            continue
        if k.get("from_parent") and parent_ok:
            continue
        add(k["column"])
    return out


def missing_keys(t, given):
    """The key columns a scan of t still lacks when `given` have values:
    sources/SPEC.md "Which keys a scan needs", as cq_table_missing_keys."""
    miss = missing_for(t, t["endpoint"], given)
    if miss and t.get("get_endpoint") and not missing_for(t, t["get_endpoint"], given):
        return []
    return miss


def server_given(t, server_opts):
    """Key columns the README's CREATE SERVER supplies (server_option keys
    whose option it sets)."""
    return [k["column"] for k in t.get("keys", [])
            if k.get("server_option") and k["server_option"] in server_opts]


def example_keys(t, server_opts):
    """Key columns the example's WHERE names: every required key the
    server does not supply, plus whatever cq_table_missing_keys still lacks;
    with none needed, the first optional key (to show one).  Only keys that
    take "=" count: the example writes col = value."""
    eq = [k for k in t.get("keys", []) if "=" in k.get("ops", ["="]) and not is_filter_key(k)]
    given = server_given(t, server_opts)
    # a key a parent listing fills is not needed in the WHERE clause
    conds = [k["column"] for k in eq if k.get("required") and not k.get("from_parent")
             and k["column"] not in given]
    for _ in range(len(eq) + 1):
        miss = [c for c in missing_keys(t, given + conds) if c not in conds]
        if not miss:
            break
        conds += miss
    if not conds:
        # (not a kubeconfig context: its names are the user's own)
        conds = [k["column"] for k in eq if k["column"] not in given and not k.get("from_parent")
                 and k.get("in") != "context"][:1]
    return conds


def example(source, t, server_opts):
    """The example query of a table; raises GenError when its WHERE clause
    does not give the keys a scan needs."""
    cols = [c["name"] for c in t["columns"]]
    keycols = {k["column"] for k in t.get("keys", []) if not is_filter_key(k)}
    show = [c for c in cols if c not in keycols][:4]
    conds = example_keys(t, server_opts)
    miss = missing_keys(t, server_given(t, server_opts) + conds)
    if miss:
        raise GenError("%s.%s: the example query lacks key columns %s" % (
            source, t["name"], ", ".join(miss)))
    q = "SELECT %s\n  FROM %s.%s" % (", ".join(ident(c) for c in show), source, t["name"])
    if conds:
        q += "\n WHERE " + "\n   AND ".join(
            "%s = %s" % (ident(c), typed_example(source, t, c)) for c in conds)
    return q + "\n LIMIT 10;"


def render(source, spec, note):
    out = []
    w = out.append
    w("# Source `%s`" % source)
    w("")
    w("<!-- generated by sources/gen/gen_docs.py from sources/%s/%s.json; do not edit -->" %
      (source, source))
    w("")
    w(spec.get("description", ""))
    w("")
    if note and note.get("hand_written"):
        w("**Hand-written spec.** " + note["hand_written"])
        w("")
    for para in (note or {}).get("readme", []):
        w(para)
        w("")
    w("- Spec version: %s; %d tables." % (spec.get("version", "?"), len(spec["tables"])))
    if spec.get("auth") == "sigv4":
        w("- Endpoints: derived per table and region (`https://<service>.<region>.amazonaws.com`, "
          "global services `https://<service>.amazonaws.com`); server option `base_url` sends "
          "every request to one URL (tests, LocalStack-style endpoints).")
        w("- Credentials: AWS Signature Version 4, from the user mapping options `access_key_id`, "
          "`secret_access_key` (optional `session_token`; `role_arn`, `external_id` for AssumeRole).")
    else:
        w("- Default endpoint: `%s` (server option `base_url` overrides it)." %
          spec.get("base_url", "none: set base_url"))
        w("- Credentials: `%s` auth, from the user mapping option `token`." % spec.get("auth", "none"))
    if spec.get("server_options"):
        w("- Server options of this source: %s." %
          ", ".join("`%s`" % o for o in spec["server_options"]))
    if spec.get("ratelimit"):
        w("- Rate limit headers honoured: %s." %
          ", ".join("`%s`" % v for v in spec["ratelimit"].values()))
    w("")
    w("```sql")
    w("CREATE SERVER %s FOREIGN DATA WRAPPER cq_fdw OPTIONS (source '%s'%s);" % (
        source, source, "".join(", %s '...'" % o for o in spec.get("server_options", [])
                                if o in README_SERVER_OPTIONS)))
    w("CREATE USER MAPPING FOR CURRENT_USER SERVER %s OPTIONS (%s);" % (source, user_mapping_options(spec)))
    w("CREATE SCHEMA %s;" % source)
    w("IMPORT FOREIGN SCHEMA %s FROM SERVER %s INTO %s;" % (source, source, source))
    w("```")
    w("")
    w("## Tables")
    w("")
    w("| table | key columns | description |")
    w("|---|---|---|")
    for t in spec["tables"]:
        keys = ", ".join(("**%s**" if k.get("required") else "%s") % k["column"]
                         for k in t.get("keys", []))
        w("| [`%s`](#%s) | %s | %s |" % (t["name"], t["name"].replace("_", "_"), keys or "-",
                                         md_escape(t["description"])))
    w("")
    w("Key columns in **bold** are required (a server option or a parent listing may supply them).")
    w("")
    for t in spec["tables"]:
        w("## %s" % t["name"])
        w("")
        w(md_escape(t["description"]))
        w("")
        pg = t.get("pagination", {}).get("type", "none")
        if t.get("aws"):
            a = t["aws"]
            w("- Operation: `%s:%s` (%s protocol%s); rows at `%s`; pagination `%s`%s." % (
                a["service"], a["action"], a["protocol"],
                ", %s `%s`" % (a["method"], t["endpoint"]) if a.get("method") else "",
                t.get("rows", "") or "(body)", pg,
                "; global service, region %s" % a["global_region"] if a.get("global_region") else ""))
            if a.get("describe"):
                w("- Rows: the identifiers it lists, described by `%s` (%d per call)." % (
                    a["describe"]["action"], a["describe"]["batch"]))
        else:
            w("- Endpoint: `GET %s`%s; rows at `%s`; pagination `%s`." % (
                t["endpoint"], (" (`%s` when its parameters are given)" % t["get_endpoint"])
                if t.get("get_endpoint") else "", t.get("rows", "") or "(body)", pg))
        w("- Primary key: %s. Estimated rows per unit: %g." % (
            ", ".join("`%s`" % p for p in t["primary_key"]) if t.get("primary_key") else "none",
            t.get("row_estimate", 1000)))
        if t.get("parent"):
            pe = t["parent"]["endpoint"]
            if t["parent"].get("aws"):
                pe = t["parent"]["aws"]["action"] + (" " + pe if pe != "/" else "")
            w("- Parent listing: `%s`, mapping %s." % (pe, ", ".join(
                "`%s` <- `%s`" % (k, v or "(the listed value)") for k, v in t["parent"]["map"].items())))
        if t.get("cursor"):
            cur = t["cursor"]
            w("- Incremental syncs: cursor `%s` (`%s %s %s` sent as `%s=%s`)." % (
                cur["column"], cur["column"], cur["op"], "<stored cursor>", cur["param"],
                cur.get("format", "{value}").replace("{value}", "<stored cursor>")) +
              (" The time is sent at UTC offset `%s`." % cur["utc_offset"] if cur.get("utc_offset") else ""))
        w("")
        if t.get("keys"):
            w("| key column | operators | sent in | |")
            w("|---|---|---|---|")
            for k in t["keys"]:
                w(key_line(t, k, spec.get("server_options", [])))
            w("")
        w("| column | PostgreSQL type | description |")
        w("|---|---|---|")
        for c in t["columns"]:
            w("| `%s` | %s | %s |" % (c["name"], pgtype(c["type"]), md_escape(c["description"])))
        w("")
        w("```sql")
        w(example(source, t, [o for o in spec.get("server_options", [])
                              if o in README_SERVER_OPTIONS]))
        w("```")
        w("")
    if spec.get("_excluded"):
        w("## Operations that are not tables")
        w("")
        w("Paginated operations of the models that the generator does not turn into a table, "
          "and why (`python3 sources/gen/gen_aws.py --excluded`).")
        w("")
        w("| service | operation | reason |")
        w("|---|---|---|")
        for e in spec["_excluded"]:
            w("| %s | %s | %s |" % (e["service"], e["operation"], md_escape(e["reason"])))
        w("")
    return "\n".join(out)


def render_index(specs):
    out = ["# Sources", "",
           "<!-- generated by sources/gen/gen_docs.py; do not edit -->", "",
           "Reference of the tables of each installed source, generated from its spec "
           "(`sources/<name>/<name>.json`).  The specs themselves are generated by "
           "`sources/gen/gen.py` from the vendors' API descriptions plus "
           "`sources/<name>/overrides.json` (Azure: hand-written; AWS: `sources/gen/gen_aws.py` from "
           "the botocore service models).", "",
           "| source | tables | description |", "|---|---|---|"]
    for s, spec in specs:
        out.append("| [%s](%s/README.md) | %d | %s |" % (s, s, len(spec["tables"]),
                                                 md_escape(spec.get("description"))))
    out += ["", "Regenerate: `make -C sources/gen` (specs and docs); verify: `make -C sources/gen check`.", "",
           "The spec format is described in [SPEC.md](SPEC.md); a compiled plugin example is in "
           "[example/](example/README.md).", ""]
    return "\n".join(out)


def render_examples_test(specs):
    """sql/source_examples.sql: plans (EXPLAIN, which sends no request) every
    example query of the reference docs against IMPORTed tables, so a WHERE
    clause that misses a key the scan needs fails in pg_regress, by the
    FDW's own rule rather than by this file's copy of it."""
    out = ["-- GENERATED by sources/gen/gen_docs.py; do not edit (make -C sources/gen).",
           "-- Every example query of sources/<source>/README.md is planned (EXPLAIN:",
           "-- no request is sent) against the source's IMPORTed tables, with the",
           "-- server options the README's CREATE SERVER sets: an example whose WHERE",
           "-- clause lacks a key column the scan needs is listed with its ERROR.",
           "SET client_min_messages = warning;",
           "CREATE EXTENSION IF NOT EXISTS cq_fdw;",
           ""]
    for s, spec in specs:
        opts = "".join(", %s 'my-%s'" % (o, o.rstrip("s")) for o in spec.get("server_options", [])
                       if o in README_SERVER_OPTIONS)
        out += ["CREATE SERVER ex_%s FOREIGN DATA WRAPPER cq_fdw" % s,
                "    OPTIONS (source '%s', base_url 'http://127.0.0.1:18080/'%s);" % (s, opts),
                "CREATE USER MAPPING FOR CURRENT_USER SERVER ex_%s OPTIONS (%s);" % (
                    s, user_mapping_options(spec, "x")),
                "CREATE SCHEMA %s;" % s,
                # the source's own tables: the mock has no cluster whose
                # custom resources IMPORT would read (sql/k8s_crd.sql)
                "IMPORT FOREIGN SCHEMA %s FROM SERVER ex_%s INTO %s%s;" % (
                    s, s, s, " OPTIONS (custom_resources 'false')" if s == "kubernetes" else "")]
    out += ["",
            "CREATE FUNCTION pg_temp.plan_error(q text) RETURNS text LANGUAGE plpgsql AS $f$",
            "BEGIN",
            "    EXECUTE 'EXPLAIN (COSTS OFF) ' || q;",
            "    RETURN NULL;",
            "EXCEPTION WHEN OTHERS THEN",
            "    RETURN SQLERRM;",
            "END $f$;",
            "CREATE TEMP TABLE examples (source text, tab text, q text);",
            "INSERT INTO examples VALUES"]
    rows = []
    for s, spec in specs:
        for t in spec["tables"]:
            q = example(s, t, [o for o in spec.get("server_options", [])
                               if o in README_SERVER_OPTIONS]).rstrip(";")
            if "$ex$" in q:
                raise GenError("%s.%s: the example holds $ex$" % (s, t["name"]))
            rows.append("('%s', '%s', $ex$%s$ex$)" % (s, t["name"], q))
    out.append(",\n".join(rows) + ";")
    out += ["",
            "-- how many examples each source has, and how many plan",
            "SELECT source, count(*) AS examples,",
            "       count(*) FILTER (WHERE pg_temp.plan_error(q) IS NULL) AS planned",
            "  FROM examples GROUP BY source ORDER BY source;",
            "-- the examples that do not plan (none)",
            "SELECT source, tab, pg_temp.plan_error(q) AS error",
            "  FROM examples WHERE pg_temp.plan_error(q) IS NOT NULL ORDER BY 1, 2;",
            "",
            "-- the check can fail: the old github_issues example (no repo) is caught",
            "SELECT pg_temp.plan_error($ex$SELECT id FROM github.github_issues"
            " WHERE owner = 'postgres' LIMIT 10$ex$) AS error;",
            "",
            "DROP SCHEMA %s CASCADE;" % ", ".join(s for s, _ in specs)]
    for s, _ in specs:
        out.append("DROP SERVER ex_%s CASCADE;" % s)
    return "\n".join(out) + "\n"


ORIGIN_BEGIN = "<!-- table counts by origin: written by sources/gen/gen_docs.py -->"
ORIGIN_END = "<!-- end of table counts -->"
ORIGINS = ("generated", "curated", "hand-written")


def render_origin_counts(readme):
    """README.md with the table counts per source and origin (every
    sources/<name>/<name>.json, `origin` as cq_fdw.tables shows it) between
    the two markers; None when README.md has no markers."""
    i, j = readme.find(ORIGIN_BEGIN), readme.find(ORIGIN_END)
    if i < 0 or j < i:
        return None
    rows = []
    tot = dict.fromkeys(ORIGINS, 0)
    for d in sorted(os.listdir(os.path.join(TOP, "sources"))):
        fn = os.path.join(TOP, "sources", d, d + ".json")
        if not os.path.isfile(fn):
            continue
        with open(fn) as f:
            spec = json.load(f)
        n = dict.fromkeys(ORIGINS, 0)
        for t in spec["tables"]:
            n[t.get("origin", "hand-written")] += 1
        for o in ORIGINS:
            tot[o] += n[o]
        rows.append("| `%s` | %d | %s |" % (d, len(spec["tables"]), " | ".join(str(n[o]) for o in ORIGINS)))
    total = sum(tot.values())
    rows.append("| all | %d | %s |" % (total, " | ".join(
        "%d (%.0f%%)" % (tot[o], 100.0 * tot[o] / total if total else 0) for o in ORIGINS)))
    block = "\n".join([
        ORIGIN_BEGIN,
        "| source | tables | generated | curated | hand-written |",
        "|---|---|---|---|---|"] + rows) + "\n"
    return readme[:i] + block + readme[j:]


def undocumented_exclusions():
    """The exclusions in a source's overrides.json (its "exclude" and
    "child_rule"."exclude" patterns) that sources/SPEC.md does not name: each
    pattern, less its anchors, must appear there as written (AWS's, which carry
    their reason, are listed in the generated sources/aws/README.md)."""
    with open(os.path.join(DOCS, "SPEC.md")) as f:
        spec_md = f.read()
    missing = []
    for s in SOURCES:
        ovf = os.path.join(TOP, "sources", s, "overrides.json")
        if not os.path.exists(ovf):
            continue
        with open(ovf) as f:
            ov = json.load(f)
        excl = ov.get("exclude") or []
        if isinstance(excl, dict):
            continue            # AWS: operation -> reason, rendered in its README
        for p in list(excl) + list((ov.get("child_rule") or {}).get("exclude") or []):
            name = p.lstrip("^:").rstrip("$")
            if name not in spec_md:
                missing.append("%s: %s" % (s, p))
    return missing


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--check", action="store_true")
    a = ap.parse_args()
    files = {}
    specs = []
    for s in SOURCES:
        fn = os.path.join(TOP, "sources", s, s + ".json")
        if not os.path.exists(fn):
            continue
        with open(fn) as f:
            spec = json.load(f)
        note = None
        ovf = os.path.join(TOP, "sources", s, "overrides.json")
        if os.path.exists(ovf):
            with open(ovf) as f:
                ovj = json.load(f)
                note = {"hand_written": ovj.get("hand_written"), "readme": ovj.get("readme", [])}
        specs.append((s, spec))
        try:
            files[os.path.join(DOCS, s, "README.md")] = render(s, spec, note) + "\n"
        except GenError as e:
            sys.stderr.write("gen_docs: %s\n" % e)
            return 1
    files[os.path.join(DOCS, "README.md")] = render_index(specs)
    try:
        files[os.path.join(TOP, "sql", "source_examples.sql")] = render_examples_test(specs)
    except GenError as e:
        sys.stderr.write("gen_docs: %s\n" % e)
        return 1
    with open(os.path.join(TOP, "README.md")) as f:
        readme = render_origin_counts(f.read())
    if readme is not None:
        files[os.path.join(TOP, "README.md")] = readme
    rc = 0
    for fn, text in sorted(files.items()):
        if a.check:
            try:
                with open(fn) as f:
                    cur = f.read()
            except OSError:
                cur = None
            if cur != text:
                print("gen_docs: %s is out of date: run python3 sources/gen/gen_docs.py" %
                      os.path.relpath(fn, TOP))
                rc = 1
        else:
            os.makedirs(DOCS, exist_ok=True)
            with open(fn, "w") as f:
                f.write(text)
    for m in undocumented_exclusions():
        print("gen_docs: exclusion %s is not named in sources/SPEC.md (say why it is excluded)" % m)
        rc = 1
    if not a.check:
        print("gen_docs: wrote %d files in %s" % (len(files), os.path.relpath(DOCS, TOP)))
    elif rc == 0:
        print("gen_docs: docs up to date")
    return rc


if __name__ == "__main__":
    sys.exit(main())
