/*-------------------------------------------------------------------------
 *
 * import.c
 *		  IMPORT FOREIGN SCHEMA <source> FROM SERVER s INTO local_schema:
 *		  one foreign table per table of the server's source, with comments
 *		  taken from the source's descriptions.
 *
 * Invariants:
 *	- The remote schema name is the server's source name; anything else is
 *	  an error with a hint.  LIMIT TO / EXCEPT are applied here and again by
 *	  PostgreSQL.
 *	- PostgreSQL only executes CREATE FOREIGN TABLE statements returned by
 *	  ImportForeignSchema, so comments cannot be returned as statements.
 *	  cqImportForeignSchema records them as "pending" (schema, table name,
 *	  comments), and an object_access_hook applies them when PostgreSQL
 *	  creates the matching foreign table (OAT_POST_CREATE, same statement).
 *	  The pending set lives in its own memory context and is dropped at the
 *	  end of the transaction, so it can never apply to a later CREATE.
 *	- Every identifier goes through quote_identifier and every literal
 *	  through quote_literal_cstr: names and descriptions come from specs.
 *
 * Copyright (c) 2026, cq_fdw developers
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/objectaccess.h"
#include "catalog/pg_class.h"
#include "commands/comment.h"
#include "commands/defrem.h"
#include "executor/spi.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/relcache.h"

#include "cq_fdw.h"

typedef struct PendingComments
{
	char	   *relname;
	char	   *table_comment;
	int			ncols;
	char	  **colnames;
	char	  **col_comments;
} PendingComments;

static MemoryContext pending_cxt = NULL;
static Oid	pending_nsp = InvalidOid;
static List *pending = NIL;		/* of PendingComments * */
static object_access_hook_type prev_object_access_hook = NULL;
static bool xact_cb_registered = false;

static void
clear_pending(void)
{
	pending = NIL;
	pending_nsp = InvalidOid;
	if (pending_cxt)
		MemoryContextReset(pending_cxt);
}

static void
import_xact_callback(XactEvent event, void *arg)
{
	if (pending != NIL)
		clear_pending();
}

/*
 * Apply the pending comments of a foreign table PostgreSQL just created.
 * Runs inside CREATE FOREIGN TABLE; may throw (CreateComments).
 */
static void
cq_object_access(ObjectAccessType access, Oid classId, Oid objectId,
				 int subId, void *arg)
{
	if (prev_object_access_hook)
		prev_object_access_hook(access, classId, objectId, subId, arg);

	if (access != OAT_POST_CREATE || classId != RelationRelationId ||
		subId != 0 || pending == NIL)
		return;

	/*
	 * The new pg_class row is not visible to catalog lookups yet (same
	 * command), but heap_create_with_catalog holds the relation open, so
	 * its relcache entry is there.
	 */
	{
		Relation	rel = RelationIdGetRelation(objectId);
		ListCell   *lc;

		if (rel == NULL)
			return;
		if (rel->rd_rel->relkind != RELKIND_FOREIGN_TABLE ||
			rel->rd_rel->relnamespace != pending_nsp)
		{
			RelationClose(rel);
			return;
		}
		foreach(lc, pending)
		{
			PendingComments *pc = lfirst(lc);

			if (strcmp(pc->relname, NameStr(rel->rd_rel->relname)) != 0)
				continue;
			if (pc->table_comment)
				CreateComments(objectId, RelationRelationId, 0,
							   pc->table_comment);
			/* columns were generated in order: attnum = position + 1 */
			for (int i = 0; i < pc->ncols &&
				 i < RelationGetDescr(rel)->natts; i++)
			{
				if (pc->col_comments[i] &&
					strcmp(NameStr(TupleDescAttr(RelationGetDescr(rel), i)->attname),
						   pc->colnames[i]) == 0)
					CreateComments(objectId, RelationRelationId, i + 1,
								   pc->col_comments[i]);
			}
			/* applied once */
			pending = foreach_delete_current(pending, lc);
			break;
		}
		RelationClose(rel);
	}
}

/*
 * cqfdw_import_init
 *		Install the object access hook (from _PG_init).  No catalog access.
 */
void
cqfdw_import_init(void)
{
	prev_object_access_hook = object_access_hook;
	object_access_hook = cq_object_access;
}

/* "=, >=" for a key's operators */
static char *
ops_text(int ops)
{
	static const struct
	{
		int			bit;
		const char *name;
	}			names[] = {
		{CQ_OP_EQ, "="}, {CQ_OP_LT, "<"}, {CQ_OP_LE, "<="},
		{CQ_OP_GT, ">"}, {CQ_OP_GE, ">="}, {CQ_OP_LIKE, "LIKE"},
		{CQ_OP_CONTAINS, "@>"}
	};
	StringInfoData buf;

	initStringInfo(&buf);
	for (int i = 0; i < lengthof(names); i++)
		if (ops & names[i].bit)
			appendStringInfo(&buf, "%s%s", buf.len ? ", " : "", names[i].name);
	if (buf.len == 0)
		appendStringInfoString(&buf, "=");
	return buf.data;
}

/*
 * cqfdw_key_comment
 *		"owner (required, =)" style description of a key column; palloc'd.
 */
static char *
key_summary(const CqKeyDef *k)
{
	return psprintf("%s (%s%s)", k->column,
					k->required ? "required, " : "", ops_text(k->ops));
}

static bool
table_wanted(ImportForeignSchemaStmt *stmt, const char *name)
{
	ListCell   *lc;

	if (stmt->list_type == FDW_IMPORT_SCHEMA_ALL)
		return true;
	foreach(lc, stmt->table_list)
	{
		RangeVar   *rv = lfirst(lc);

		if (strcmp(rv->relname, name) == 0)
			return stmt->list_type == FDW_IMPORT_SCHEMA_LIMIT_TO;
	}
	return stmt->list_type == FDW_IMPORT_SCHEMA_EXCEPT;
}

/* ------------------------------------------------------------------------
 * Kubernetes custom resources
 *
 * IMPORT FOREIGN SCHEMA kubernetes also reads the cluster's
 * CustomResourceDefinitions, through the source's own table
 * k8s_custom_resource_definitions (a scan like any other: the importing
 * user's mapping, the server's TLS settings), and makes a foreign table
 * k8s_<group>_<plural> of each: the version the CRD stores, typed from its
 * openAPIV3Schema, namespaced or cluster-scoped as declared, with the
 * source's context key column (a kubeconfig of several contexts: the
 * definitions of every cluster, one table per name, each scan of it reading
 * every cluster, as the source's own tables do).  Such a table is not in the
 * source's spec: its definition (a spec table object, sources/SPEC.md) is
 * stored in its option table_def, which cqfdw_get_table parses (relative
 * endpoints only).
 *
 * The IMPORT option custom_resources says how:
 *	- absent (the default): the read is bounded (CRD_READ_* below, unless
 *	  the server sets request_timeout / max_retries itself) and runs in a
 *	  subtransaction; if it fails (no user mapping, connection refused,
 *	  401/403, a timeout, ...) the source's own tables are still imported
 *	  and ONE WARNING says the custom resources were not, and why.  A
 *	  cancel, shutdown, out-of-memory or internal error is not downgraded.
 *	- 'true': the read with the user's settings; a failure is an ERROR.
 *	- 'false': no read.
 * No read either when LIMIT TO names only tables of the source (no CRD
 * table can be wanted).  One list request per page (and per cluster), never
 * one per definition.
 * ------------------------------------------------------------------------ */

#define CRD_TABLE "k8s_custom_resource_definitions"

/* json_object_set_new that reports out of memory */
static void
crd_set(json_t *obj, const char *key, json_t *val)
{
	if (val == NULL || json_object_set_new(obj, key, val) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("out of memory")));
}

/* lower_snake of a camelCase / dotted name, at most 63 bytes */
static char *
crd_snake(const char *s)
{
	StringInfoData b;

	initStringInfo(&b);
	for (const char *p = s; *p && b.len < NAMEDATALEN - 1; p++)
	{
		char		c = *p;

		if (c >= 'A' && c <= 'Z')
		{
			if (b.len > 0 && b.data[b.len - 1] != '_' && p > s &&
				((p[-1] >= 'a' && p[-1] <= 'z') || (p[-1] >= '0' && p[-1] <= '9')))
				appendStringInfoChar(&b, '_');
			appendStringInfoChar(&b, c + ('a' - 'A'));
		}
		else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
			appendStringInfoChar(&b, c);
		else if (b.len > 0 && b.data[b.len - 1] != '_')
			appendStringInfoChar(&b, '_');
	}
	while (b.len > 0 && b.data[b.len - 1] == '_')
		b.data[--b.len] = '\0';
	if (b.len == 0 || (b.data[0] >= '0' && b.data[0] <= '9'))
	{
		char	   *r = psprintf("n%s", b.data);

		pfree(b.data);
		return r;
	}
	return b.data;
}

/* SDK type name of an OpenAPI v3 schema: scalars, arrays of scalars, json */
static const char *
crd_type(json_t *s)
{
	const char *t = json_string_value(json_object_get(s, "type"));
	const char *f = json_string_value(json_object_get(s, "format"));

	if (t == NULL)
		return "json";
	if (strcmp(t, "string") == 0)
	{
		if (f && strcmp(f, "date-time") == 0)
			return "timestamp";
		if (f && strcmp(f, "date") == 0)
			return "date";
		return "string";
	}
	if (strcmp(t, "integer") == 0)
		return "int";
	if (strcmp(t, "number") == 0)
		return "float";
	if (strcmp(t, "boolean") == 0)
		return "bool";
	if (strcmp(t, "array") == 0)
	{
		const char *it = crd_type(json_object_get(s, "items"));

		if (strcmp(it, "json") == 0)
			return "json";
		return psprintf("%s[]", it);
	}
	return "json";
}

static json_t *
crd_column(const char *name, const char *type, const char *path, const char *desc)
{
	json_t	   *c = json_pack("{}");

	crd_set(c, "name", json_string(name));
	crd_set(c, "type", json_string(type));
	crd_set(c, "path", json_string(path));
	crd_set(c, "description", json_string(desc));
	return c;
}

static bool
crd_has_column(json_t *cols, const char *name)
{
	size_t		i;
	json_t	   *c;

	json_array_foreach(cols, i, c)
		if (strcmp(json_string_value(json_object_get(c, "name")), name) == 0)
		return true;
	return false;
}

/* one column per property of spec and status: scalars typed, the rest json */
static void
crd_part_columns(json_t *cols, json_t *schema, const char *part, const char *kind)
{
	json_t	   *props = json_object_get(json_object_get(json_object_get(schema, "properties"),
														part), "properties");
	const char *pname;
	json_t	   *ps;

	if (!json_is_object(props))
		return;
	json_object_foreach(props, pname, ps)
	{
		char	   *name = crd_snake(pname);
		char	   *path;
		const char *d = json_string_value(json_object_get(ps, "description"));
		char	   *desc;

		if (crd_has_column(cols, name))
			name = psprintf("%s_%s", part, name);
		if (crd_has_column(cols, name) || strlen(name) >= NAMEDATALEN)
			continue;
		path = psprintf("/%s/%s", part, pname);
		if (strchr(pname, '~') || strchr(pname, '/'))
			continue;			/* a name a JSON pointer would need to escape */
		if (d && *d)
			desc = psprintf("%.*s", 300, d);
		else
			desc = psprintf("The %s of the %s's %s (%s.%s).", pname, kind, part, part, pname);
		json_array_append_new(cols, crd_column(name, crd_type(ps), path, desc));
	}
}

/*
 * The spec table object of one CustomResourceDefinition (its spec as JSON),
 * or NULL (with the reason in *why) when it cannot be one.
 */
static char *
crd_table_json(json_t *spec, const char **why)
{
	const char *group = json_string_value(json_object_get(spec, "group"));
	json_t	   *names = json_object_get(spec, "names");
	const char *plural = json_string_value(json_object_get(names, "plural"));
	const char *kind = json_string_value(json_object_get(names, "kind"));
	const char *scope = json_string_value(json_object_get(spec, "scope"));
	json_t	   *versions = json_object_get(spec, "versions");
	json_t	   *ver = NULL;
	json_t	   *v;
	size_t		i;
	const char *vname;
	json_t	   *schema;
	bool		namespaced;
	json_t	   *t;
	json_t	   *cols;
	json_t	   *pag;
	char	   *text;
	char	   *out;
	char	   *name;

	if (!group || !plural || !kind || !scope || !json_is_array(versions))
	{
		*why = "it lacks group, names, scope or versions";
		return NULL;
	}
	/* the stored version, else the first served one */
	json_array_foreach(versions, i, v)
		if (json_is_true(json_object_get(v, "storage")) &&
			json_is_true(json_object_get(v, "served")))
		ver = v;
	if (ver == NULL)
		json_array_foreach(versions, i, v)
			if (ver == NULL && json_is_true(json_object_get(v, "served")))
			ver = v;
	vname = json_string_value(json_object_get(ver, "name"));
	if (vname == NULL)
	{
		*why = "no version is served";
		return NULL;
	}
	schema = json_object_get(json_object_get(ver, "schema"), "openAPIV3Schema");
	namespaced = strcmp(scope, "Namespaced") == 0;
	name = psprintf("k8s_%s_%s", crd_snake(group), crd_snake(plural));
	if (strlen(name) >= NAMEDATALEN)
	{
		*why = "its table name would be longer than 63 bytes";
		return NULL;
	}

	cols = json_array();
	/* the kubeconfig context, as every table of the source (its key below) */
	json_array_append_new(cols, crd_column("context", "string", "/_cq_context",
										   "The kubeconfig context (cluster) the row was listed from: with a user mapping kubeconfig of several contexts a scan reads each context's cluster, WHERE context = ... picks some; null without a kubeconfig (a pasted token)."));
	json_array_append_new(cols, crd_column("name", "string", "/metadata/name",
										   "Name of the object, unique within its namespace (metadata.name)."));
	if (namespaced)
		json_array_append_new(cols, crd_column("namespace", "string", "/metadata/namespace",
											   "Namespace of the object (metadata.namespace)."));
	json_array_append_new(cols, crd_column("uid", "uuid", "/metadata/uid",
										   "Unique id of the object for its whole lifetime (metadata.uid)."));
	json_array_append_new(cols, crd_column("creation_timestamp", "timestamp", "/metadata/creationTimestamp",
										   "When the object was created (metadata.creationTimestamp)."));
	json_array_append_new(cols, crd_column("labels", "json", "/metadata/labels",
										   "Labels: a map of string keys and values used to select objects."));
	json_array_append_new(cols, crd_column("annotations", "json", "/metadata/annotations",
										   "Annotations: a map of non-identifying metadata."));
	json_array_append_new(cols, crd_column("resource_version", "string", "/metadata/resourceVersion",
										   "Opaque version of the object, changes on every update."));
	json_array_append_new(cols, crd_column("spec", "json", "/spec",
										   psprintf("Desired state of the %s, as written (spec).", kind)));
	json_array_append_new(cols, crd_column("status", "json", "/status",
										   psprintf("Observed state of the %s (status).", kind)));
	crd_part_columns(cols, schema, "spec", kind);
	crd_part_columns(cols, schema, "status", kind);

	t = json_pack("{}");
	crd_set(t, "name", json_string(name));
	crd_set(t, "description",
		 json_string(psprintf("%s custom resources (%s/%s %s, CustomResourceDefinition %s.%s), %s.",
							  kind, group, vname, kind, plural, group,
							  namespaced ? "namespaced: WHERE namespace = ... lists one namespace" :
							  "cluster-scoped")));
	crd_set(t, "endpoint", json_string(psprintf("/apis/%s/%s/%s", group, vname, plural)));
	if (namespaced)
		crd_set(t, "get_endpoint",
			 json_string(psprintf("/apis/%s/%s/namespaces/{namespace}/%s", group, vname, plural)));
	crd_set(t, "rows", json_string("/items"));
	pag = json_pack("{}");
	crd_set(pag, "type", json_string("next_token"));
	crd_set(pag, "next", json_string("/metadata/continue"));
	crd_set(pag, "next_param", json_string("continue"));
	crd_set(pag, "page_size_param", json_string("limit"));
	crd_set(pag, "page_size", json_integer(500));
	crd_set(t, "pagination", pag);
	{
		json_t	   *keys = json_array();
		json_t	   *k;

		if (namespaced)
		{
			k = json_pack("{}");
			crd_set(k, "column", json_string("namespace"));
			crd_set(k, "in", json_string("path"));
			crd_set(k, "guaranteed", json_true());
			json_array_append_new(keys, k);
		}
		k = json_pack("{}");
		crd_set(k, "column", json_string("context"));
		crd_set(k, "in", json_string("context"));
		json_array_append_new(keys, k);
		crd_set(t, "keys", keys);
	}
	crd_set(t, "primary_key", json_pack("[s]", "uid"));
	crd_set(t, "row_estimate", json_integer(100));
	crd_set(t, "supports_limit", json_true());
	crd_set(t, "columns", cols);
	text = json_dumps(t, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(t);
	if (text == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("out of memory")));
	out = pstrdup(text);
	free(text);
	return out;
}

/*
 * The CustomResourceDefinitions of the server's cluster, read by scanning
 * the source's k8s_custom_resource_definitions table through a foreign
 * table made for the read (in the target schema, dropped right after; all
 * in the IMPORT's transaction).  Returns a list of (name, spec text) pairs.
 */
static pg_noinline List *
crd_read(ImportForeignSchemaStmt *stmt, ForeignServer *srv)
{
	char	   *tmp = psprintf("cq_fdw_crd_read_%d", MyProcPid);
	char	   *qname = quote_qualified_identifier(stmt->local_schema, tmp);
	List	   *out = NIL;
	MemoryContext cxt = CurrentMemoryContext;

	if (SPI_connect() != SPI_OK_CONNECT)
		ereport(ERROR,
				(errcode(ERRCODE_INTERNAL_ERROR),
				 errmsg("could not connect to SPI to read custom resource definitions")));
	SPI_execute(psprintf("CREATE FOREIGN TABLE %s (name text, spec text) SERVER %s OPTIONS (table %s)",
						 qname, quote_identifier(srv->servername),
						 quote_literal_cstr(CRD_TABLE)), false, 0);
	/* a kubeconfig of several contexts lists each cluster's: one per name */
	if (SPI_execute(psprintf("SELECT DISTINCT ON (name) name, spec FROM %s ORDER BY name", qname), true, 0) == SPI_OK_SELECT)
	{
		for (uint64 i = 0; i < SPI_processed; i++)
		{
			char	   *name = SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1);
			char	   *spec = SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 2);
			MemoryContext old;

			if (name == NULL || spec == NULL)
				continue;
			old = MemoryContextSwitchTo(cxt);
			out = lappend(out, list_make2(pstrdup(name), pstrdup(spec)));
			MemoryContextSwitchTo(old);
		}
	}
	SPI_execute(psprintf("DROP FOREIGN TABLE %s", qname), false, 0);
	SPI_finish();
	return out;
}

/* bounds of the default (implicit) read: a black hole costs at most
 * 1 + CRD_READ_MAX_RETRIES requests of CRD_READ_TIMEOUT_MS each */
#define CRD_READ_TIMEOUT_MS		15000
#define CRD_READ_CONNECT_MS		5000
#define CRD_READ_MAX_RETRIES	1

/* IMPORT option custom_resources */
typedef enum CrdMode
{
	CRD_DEFAULT,				/* absent: read, a failure is a WARNING */
	CRD_ON,						/* 'true': read, a failure is an ERROR */
	CRD_OFF						/* 'false': no read */
} CrdMode;

/* lower GUC `name` (an int in ms or a count) to at most cap, for the
 * current GUC nest level */
static void
crd_cap_guc(const char *name, int current, int cap, bool ms)
{
	if (current <= cap)
		return;
	(void) set_config_option(name, psprintf(ms ? "%dms" : "%d", cap),
							 PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SAVE,
							 true, 0, false);
}

static bool
server_sets(ForeignServer *srv, const char *name)
{
	ListCell   *lc;

	foreach(lc, srv->options)
		if (strcmp(((DefElem *) lfirst(lc))->defname, name) == 0)
		return true;
	return false;
}

/* a failure of the read that stays an ERROR even in the default mode */
static bool
crd_error_is_fatal(int code)
{
	return ERRCODE_TO_CATEGORY(code) == ERRCODE_OPERATOR_INTERVENTION ||	/* cancel, shutdown */
		ERRCODE_TO_CATEGORY(code) == ERRCODE_INTERNAL_ERROR ||
		code == ERRCODE_OUT_OF_MEMORY || code == ERRCODE_DISK_FULL;
}

/* whether the IMPORT can want a table that is not in the source's spec */
static bool
crd_tables_wanted(ImportForeignSchemaStmt *stmt, const CqSourceDef *src)
{
	ListCell   *lc;

	if (stmt->list_type != FDW_IMPORT_SCHEMA_LIMIT_TO)
		return true;
	foreach(lc, stmt->table_list)
		if (cq_source_find_table(src, ((RangeVar *) lfirst(lc))->relname) == NULL)
		return true;
	return false;
}

/*
 * crd_read in a subtransaction.  CRD_DEFAULT: bounded, and a failure is one
 * WARNING (returns NIL); CRD_ON: a failure is rethrown as it is, with the
 * read's own SQL (a temporary table's name) dropped from its context.
 */
static pg_noinline List *
crd_read_guarded(ImportForeignSchemaStmt *stmt, ForeignServer *srv, CrdMode mode)
{
	MemoryContext cxt = CurrentMemoryContext;
	ResourceOwner owner = CurrentResourceOwner;
	List	   *volatile out = NIL;

	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(cxt);
	PG_TRY();
	{
		int			nest = NewGUCNestLevel();

		if (mode == CRD_DEFAULT)
		{
			if (!server_sets(srv, "request_timeout"))
				crd_cap_guc("cq_fdw.request_timeout", cqfdw_request_timeout_ms,
							CRD_READ_TIMEOUT_MS, true);
			if (!server_sets(srv, "max_retries"))
				crd_cap_guc("cq_fdw.max_retries", cqfdw_max_retries,
							CRD_READ_MAX_RETRIES, false);
			crd_cap_guc("cq_fdw.connect_timeout", cqfdw_connect_timeout_ms,
						CRD_READ_CONNECT_MS, true);
		}
		out = crd_read(stmt, srv);
		AtEOXact_GUC(true, nest);
		ReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(cxt);
		CurrentResourceOwner = owner;
	}
	PG_CATCH();
	{
		ErrorData  *edata;
		char	   *sql;

		MemoryContextSwitchTo(cxt);
		edata = CopyErrorData();
		FlushErrorState();
		RollbackAndReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(cxt);
		CurrentResourceOwner = owner;
		/* the context up to the read's own SQL statement */
		if (edata->context && (sql = strstr(edata->context, "SQL statement")) != NULL)
		{
			while (sql > edata->context && sql[-1] == '\n')
				sql--;
			*sql = '\0';
			if (*edata->context == '\0')
				edata->context = NULL;
		}
		if (mode != CRD_DEFAULT || crd_error_is_fatal(edata->sqlerrcode))
			ReThrowError(edata);
		/* the failure's detail: its first line, without a final period */
		if (edata->detail)
		{
			size_t		n = strcspn(edata->detail, "\n");

			while (n > 0 && edata->detail[n - 1] == '.')
				n--;
			edata->detail[n] = '\0';
		}
		ereport(WARNING,
				(errcode(ERRCODE_WARNING),
				 errmsg("custom resources of server \"%s\" were not imported",
						srv->servername),
				 errdetail("Reading the cluster's CustomResourceDefinitions failed: %s%s%s%s. "
						   "The source's own tables were imported.",
						   edata->message,
						   edata->detail && *edata->detail ? " (" : "",
						   edata->detail ? edata->detail : "",
						   edata->detail && *edata->detail ? ")" : ""),
				 errhint("Make the cluster reachable with a user mapping that may list "
						 "customresourcedefinitions, then import into an empty schema with "
						 "OPTIONS (custom_resources 'true') to see the error; "
						 "OPTIONS (custom_resources 'false') imports without reading the cluster.")));
		FreeErrorData(edata);
	}
	PG_END_TRY();
	return out;
}

/*
 * cqImportForeignSchema
 *		Return one CREATE FOREIGN TABLE per table of the server's source and
 *		record the comments to apply (see the banner).
 *
 * Result is palloc'd in the caller's context.  Throws on a wrong remote
 * schema, a `rest` server or an IMPORT option.
 */
/*
 * The CREATE FOREIGN TABLE statement of table t, its comments recorded as
 * pending; table_def: the definition of a table that is not in the
 * source's spec (custom resources), stored as the table's option.
 */
static char *
import_table(ForeignServer *srv, const CqTableDef *t, const char *table_def)
{
	StringInfoData buf;
	StringInfoData tc;
	PendingComments *pc;
	MemoryContext oldcxt;

	initStringInfo(&buf);
	appendStringInfo(&buf, "CREATE FOREIGN TABLE %s (",
					 quote_identifier(t->name));
	for (int c = 0; c < t->ncolumns; c++)
		appendStringInfo(&buf, "%s\n  %s %s", c ? "," : "",
						 quote_identifier(t->columns[c].name),
						 format_type_be(cqfdw_pg_type_for_sdk(t->columns[c].type)));
	if (table_def)
		appendStringInfo(&buf, "\n) SERVER %s OPTIONS (table_def %s)",
						 quote_identifier(srv->servername),
						 quote_literal_cstr(table_def));
	else
		appendStringInfo(&buf, "\n) SERVER %s OPTIONS (table %s)",
						 quote_identifier(srv->servername),
						 quote_literal_cstr(t->name));

	/* comments */
	oldcxt = MemoryContextSwitchTo(pending_cxt);
	pc = palloc0(sizeof(PendingComments));
	pc->relname = pstrdup(t->name);
	initStringInfo(&tc);
	if (t->description)
		appendStringInfoString(&tc, t->description);
	if (t->nkeys > 0)
	{
		appendStringInfo(&tc, "%sKey columns: ", tc.len ? "\n" : "");
		for (int k = 0; k < t->nkeys; k++)
			appendStringInfo(&tc, "%s%s", k ? ", " : "",
							 key_summary(&t->keys[k]));
	}
	pc->table_comment = tc.len ? tc.data : NULL;
	pc->ncols = t->ncolumns;
	pc->colnames = palloc0(sizeof(char *) * Max(1, t->ncolumns));
	pc->col_comments = palloc0(sizeof(char *) * Max(1, t->ncolumns));
	for (int c = 0; c < t->ncolumns; c++)
	{
		const CqColumnDef *col = &t->columns[c];
		const CqKeyDef *k = cq_table_find_key(t, col->name);

		pc->colnames[c] = pstrdup(col->name);
		if (k)
			pc->col_comments[c] =
				psprintf("Key column (%soperators %s).%s%s",
						 k->required ? "required, " : "",
						 ops_text(k->ops),
						 col->description ? " " : "",
						 col->description ? col->description : "");
		else if (col->description)
			pc->col_comments[c] = pstrdup(col->description);
	}
	pending = lappend(pending, pc);
	MemoryContextSwitchTo(oldcxt);
	return buf.data;
}

/* import_table of a definition made here, freed whatever happens */
static pg_noinline char *
import_def_table(ForeignServer *srv, CqTableDef *def, const char *text)
{
	char	   *volatile cmd = NULL;

	PG_TRY();
	{
		cmd = import_table(srv, def, text);
	}
	PG_CATCH();
	{
		cq_table_def_free(def);
		PG_RE_THROW();
	}
	PG_END_TRY();
	cq_table_def_free(def);
	return cmd;
}

List *
cqImportForeignSchema(ImportForeignSchemaStmt *stmt, Oid serverOid)
{
	ForeignServer *srv = GetForeignServer(serverOid);
	const char *source_name = NULL;
	const CqSourceDef *src;
	List	   *cmds = NIL;
	List	   *crds = NIL;
	ListCell   *lc;
	CrdMode		crd_mode = CRD_DEFAULT;

	foreach(lc, stmt->options)
	{
		DefElem    *d = lfirst(lc);

		if (strcmp(d->defname, "custom_resources") == 0)
		{
			crd_mode = defGetBoolean(d) ? CRD_ON : CRD_OFF;
			continue;
		}
		ereport(ERROR,
				(errcode(ERRCODE_FDW_INVALID_OPTION_NAME),
				 errmsg("invalid option \"%s\"", d->defname),
				 errhint("IMPORT FOREIGN SCHEMA of cq_fdw takes only the option custom_resources (source kubernetes).")));
	}

	foreach(lc, srv->options)
	{
		DefElem    *d = lfirst(lc);

		if (strcmp(d->defname, "source") == 0)
			source_name = defGetString(d);
	}
	if (source_name == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_OPTION_NAME_NOT_FOUND),
				 errmsg("server \"%s\" has no option \"source\"", srv->servername),
				 errhint("ALTER SERVER %s OPTIONS (ADD source '...').",
						 quote_identifier(srv->servername))));

	if (strcmp(stmt->remote_schema, source_name) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_SCHEMA_NOT_FOUND),
				 errmsg("schema \"%s\" does not exist on server \"%s\"",
						stmt->remote_schema, srv->servername),
				 errdetail("The remote schema of a cq_fdw server is the name of its source."),
				 errhint("IMPORT FOREIGN SCHEMA %s FROM SERVER %s INTO %s;",
						 quote_identifier(source_name),
						 quote_identifier(srv->servername),
						 quote_identifier(stmt->local_schema))));

	if (strcmp(source_name, "rest") == 0)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_NO_SCHEMAS),
				 errmsg("source \"rest\" has no tables to import"),
				 errhint("Declare rest tables with CREATE FOREIGN TABLE ... SERVER %s OPTIONS (endpoint '...').",
						 quote_identifier(srv->servername))));

	src = cqfdw_find_source(source_name, false, NULL);
	if (crd_mode == CRD_ON && cq_source_find_table(src, CRD_TABLE) == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_INVALID_OPTION_NAME),
				 errmsg("source \"%s\" has no custom resources", source_name),
				 errhint("The option custom_resources is for the source kubernetes (its table %s lists them).",
						 CRD_TABLE)));
	/* read before the pending comments exist: the read creates a table */
	if (crd_mode != CRD_OFF && cq_source_find_table(src, CRD_TABLE) != NULL &&
		crd_tables_wanted(stmt, src))
		crds = crd_read_guarded(stmt, srv, crd_mode);

	/* pending comments for this import */
	if (pending_cxt == NULL)
		pending_cxt = AllocSetContextCreate(TopMemoryContext,
											"cq_fdw import comments",
											ALLOCSET_SMALL_SIZES);
	if (!xact_cb_registered)
	{
		RegisterXactCallback(import_xact_callback, NULL);
		xact_cb_registered = true;
	}
	clear_pending();
	pending_nsp = get_namespace_oid(stmt->local_schema, false);

	for (int i = 0; i < src->ntables; i++)
	{
		if (table_wanted(stmt, src->tables[i].name))
			cmds = lappend(cmds, import_table(srv, &src->tables[i], NULL));
	}

	/* the cluster's custom resources: a table each, defined by table_def */
	foreach(lc, crds)
	{
		List	   *pair = lfirst(lc);
		const char *crd = linitial(pair);
		json_error_t jerr;
		json_t	   *spec = json_loads(lsecond(pair), 0, &jerr);
		const char *why = NULL;
		char	   *text = spec ? crd_table_json(spec, &why) : NULL;
		CqTableDef *def;
		CqError		err;

		if (spec == NULL)
			why = "its spec is not JSON";
		json_decref(spec);
		if (text == NULL)
		{
			ereport(WARNING,
					(errcode(ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE),
					 errmsg("custom resource definition \"%s\" skipped", crd),
					 errdetail("No table is made of it: %s.", why)));
			continue;
		}
		memset(&err, 0, sizeof(err));
		def = cq_spec_parse_table(text, strlen(text), &err);
		if (def == NULL)
		{
			ereport(WARNING,
					(errcode(ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE),
					 errmsg("custom resource definition \"%s\" skipped", crd),
					 errdetail("Its table definition is invalid: %s.", err.message)));
			continue;
		}
		if (cq_source_find_table(src, def->name) == NULL && table_wanted(stmt, def->name))
			cmds = lappend(cmds, import_def_table(srv, def, text));
		else
			cq_table_def_free(def);
	}

	return cmds;
}
