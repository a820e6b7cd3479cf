/*-------------------------------------------------------------------------
 *
 * source.c
 *		  The source registry (installed specs and plugins, plus the built-in
 *		  `rest` source) and cqfdw_get_table(), which resolves a foreign table
 *		  into the CqFdwTable the planner and executor share.
 *
 * Invariants:
 *	- The registry is loaded once per backend, lazily, from
 *	  $sharedir/extension/cq_fdw/sources/ *.json, $pkglibdir/cq_fdw/ *.so and
 *	  cq_fdw.sources_path (both kinds).  It is reloaded when
 *	  cq_fdw.sources_path or the mtime of one of those directories changes.
 *	  Definitions are malloc'd SDK structures and are NEVER freed while the
 *	  backend lives (a reload retires the old ones): a CqFdwTable built
 *	  earlier in the statement may still point at them, and a plugin cannot
 *	  be unloaded anyway.
 *	- A spec or plugin that fails to load is reported as a WARNING and
 *	  skipped; it never prevents the other sources from working.
 *	- The `rest` source has no tables: its CqTableDef is generated from the
 *	  foreign table's options and columns as a spec table object and parsed
 *	  with cq_spec_parse_table(), so specs and SQL share one validator.
 *	  Those definitions are cached per relation, invalidated by relcache and
 *	  pg_foreign_table syscache callbacks; an invalidated definition is freed
 *	  at the end of the transaction, never while a scan may use it.
 *	- Everything else in a CqFdwTable is rebuilt from the (cached) syscache
 *	  on every call, so server, user mapping and option changes are seen at
 *	  once without a cache of our own.
 *
 * Copyright (c) 2026, cq_fdw developers
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <sys/stat.h>

#include "access/htup_details.h"
#include "access/reloptions.h"
#include "access/table.h"
#include "access/xact.h"
#include "catalog/pg_type.h"
#include "catalog/pg_user_mapping.h"
#include "commands/defrem.h"
#include "miscadmin.h"
#include "storage/fd.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/hsearch.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/syscache.h"
#include "utils/varlena.h"

#include "cq_fdw.h"

/* The built-in ad-hoc source. */
static CqSourceDef rest_source = {
	.name = "rest",
	.version = CQ_SDK_VERSION,
	.description = "Any JSON API, declared with table and column options",
	.kind = "builtin",
	/* a token in the user mapping is sent as a bearer token */
	.auth = CQ_AUTH_BEARER,
	/* the de facto quota headers (GitHub, GitLab, many others) */
	.ratelimit_remaining_header = "x-ratelimit-remaining",
	.ratelimit_reset_header = "x-ratelimit-reset",
};

typedef struct RegEntry
{
	CqSourceDef *def;
	const CqPluginDescriptor *plugin;
} RegEntry;

static RegEntry *registry = NULL;	/* malloc'd, sorted by name */
static int	nregistry = 0;
static bool registry_loaded = false;
static char *registry_key = NULL;	/* malloc'd: sources_path + mtimes */

/* rest table definitions, by relation */
typedef struct RestCacheEntry
{
	Oid			relid;			/* hash key */
	bool		valid;
	CqTableDef *def;			/* malloc'd by the SDK */
} RestCacheEntry;

static HTAB *rest_cache = NULL;

/* invalidated rest definitions, freed at transaction end */
static CqTableDef **retired = NULL;
static int	nretired = 0;
static int	maxretired = 0;

/* ------------------------------------------------------------------------
 * Registry
 * ------------------------------------------------------------------------ */

static void
dir_paths(char *specdir, char *plugindir)
{
	char		share[MAXPGPATH];

	get_share_path(my_exec_path, share);
	snprintf(specdir, MAXPGPATH, "%s/extension/cq_fdw/sources", share);
	snprintf(plugindir, MAXPGPATH, "%s/cq_fdw", pkglib_path);
}

/* The string that changes when the registry must be reloaded. */
static char *
current_key(void)
{
	char		specdir[MAXPGPATH];
	char		plugindir[MAXPGPATH];
	const char *dirs[3];
	StringInfoData buf;

	dir_paths(specdir, plugindir);
	dirs[0] = specdir;
	dirs[1] = plugindir;
	dirs[2] = cqfdw_sources_path ? cqfdw_sources_path : "";
	initStringInfo(&buf);
	for (int i = 0; i < 3; i++)
	{
		struct stat st;
		long		mt = 0;

		if (dirs[i][0] && stat(dirs[i], &st) == 0)
			mt = (long) st.st_mtime;
		appendStringInfo(&buf, "%s:%ld;", dirs[i], mt);
	}
	return buf.data;
}

static void
registry_add(CqSourceDef *def, const CqPluginDescriptor *plugin,
			 const char *path)
{
	RegEntry   *n;

	if (strcmp(def->name, "rest") == 0)
	{
		ereport(WARNING,
				(errmsg("cq_fdw source \"%s\" in \"%s\" ignored: the name is reserved",
						def->name, path)));
		return;
	}
	for (int i = 0; i < nregistry; i++)
		if (strcmp(registry[i].def->name, def->name) == 0)
		{
			ereport(WARNING,
					(errmsg("cq_fdw source \"%s\" in \"%s\" ignored: a source of that name is already installed",
							def->name, path)));
			return;
		}
	n = realloc(registry, sizeof(RegEntry) * (nregistry + 1));
	if (n == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("out of memory")));
	registry = n;
	registry[nregistry].def = def;
	registry[nregistry].plugin = plugin;
	nregistry++;
}

static int
path_cmp(const ListCell *a, const ListCell *b)
{
	return strcmp(lfirst(a), lfirst(b));
}

/* Load every *.json (specs) and *.so (plugins) of one directory. */
static void
load_dir(const char *dir, bool specs, bool plugins)
{
	DIR		   *d;
	struct dirent *de;
	List	   *files = NIL;
	ListCell   *lc;

	if (dir == NULL || dir[0] == '\0')
		return;
	d = AllocateDir(dir);
	if (d == NULL)
		return;					/* a missing directory is no source */
	while ((de = ReadDir(d, dir)) != NULL)
	{
		size_t		len = strlen(de->d_name);

		if (de->d_name[0] == '.')
			continue;
		if ((specs && len > 5 && strcmp(de->d_name + len - 5, ".json") == 0) ||
			(plugins && len > 3 && strcmp(de->d_name + len - 3, ".so") == 0))
			files = lappend(files, psprintf("%s/%s", dir, de->d_name));
	}
	FreeDir(d);
	list_sort(files, path_cmp);	/* deterministic order */

	foreach(lc, files)
	{
		const char *path = lfirst(lc);
		CqError		err;
		CqSourceDef *def;
		const CqPluginDescriptor *desc = NULL;
		size_t		len = strlen(path);

		memset(&err, 0, sizeof(err));
		if (len > 3 && strcmp(path + len - 3, ".so") == 0)
			def = cq_plugin_load(path, &desc, &err);
		else
			def = cq_spec_load_file(path, &err);
		if (def == NULL)
		{
			ereport(WARNING,
					(errmsg("could not load cq_fdw source \"%s\"", path),
					 errdetail("%s", err.message)));
			continue;
		}
		registry_add(def, desc, path);
	}
}

static int
regentry_cmp(const void *a, const void *b)
{
	return strcmp(((const RegEntry *) a)->def->name,
				  ((const RegEntry *) b)->def->name);
}

/*
 * Make sure the registry is loaded and current.  Old definitions are kept
 * (see the file banner), only the index is rebuilt.
 */
static void
ensure_registry(void)
{
	char	   *key = current_key();
	char		specdir[MAXPGPATH];
	char		plugindir[MAXPGPATH];

	if (registry_loaded && registry_key && strcmp(key, registry_key) == 0)
		return;

	/* retire the old index; its definitions stay allocated on purpose */
	free(registry);
	registry = NULL;
	nregistry = 0;
	registry_loaded = false;

	dir_paths(specdir, plugindir);
	load_dir(specdir, true, false);
	load_dir(plugindir, false, true);
	if (cqfdw_sources_path && cqfdw_sources_path[0])
		load_dir(cqfdw_sources_path, true, true);
	if (nregistry > 1)
		qsort(registry, nregistry, sizeof(RegEntry), regentry_cmp);

	free(registry_key);
	registry_key = strdup(key);
	registry_loaded = registry_key != NULL;
}

/*
 * A backend that scans one source need not parse every installed spec (all
 * five together are ~1 MB of JSON, 40-130 ms): the spec of source <name> is
 * normally the file <name>.json of the spec directory, read alone and kept
 * here.  Anything else (a plugin, a spec in cq_fdw.sources_path, a file whose
 * source has another name) goes through the full registry, which also
 * reports broken specs.
 */
static CqSourceDef **one_specs = NULL;	/* malloc'd array, defs kept */
static int	n_one_specs = 0;
static char *one_key = NULL;

static const CqSourceDef *
find_one_spec(const char *name)
{
	char	   *key;
	char		specdir[MAXPGPATH];
	char		plugindir[MAXPGPATH];
	char		path[MAXPGPATH];
	struct stat st;
	CqSourceDef *def;
	CqSourceDef **n;
	CqError		err;

	if (registry_loaded)
		return NULL;			/* the registry answers, once it is loaded */
	for (const char *c = name; *c; c++)
		if (!((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '_'))
			return NULL;		/* not a file name we would build */
	key = current_key();
	if (one_key == NULL || strcmp(key, one_key) != 0)
	{
		/* directories changed: forget the index (definitions stay) */
		free(one_specs);
		one_specs = NULL;
		n_one_specs = 0;
		free(one_key);
		one_key = strdup(key);
	}
	for (int i = 0; i < n_one_specs; i++)
		if (strcmp(one_specs[i]->name, name) == 0)
			return one_specs[i];

	dir_paths(specdir, plugindir);
	snprintf(path, sizeof(path), "%s/%s.json", specdir, name);
	if (stat(path, &st) != 0)
		return NULL;
	memset(&err, 0, sizeof(err));
	def = cq_spec_load_file(path, &err);
	if (def == NULL)
		return NULL;			/* the registry will warn about it */
	if (strcmp(def->name, name) != 0)
	{
		cq_source_def_free(def);
		return NULL;
	}
	n = realloc(one_specs, sizeof(CqSourceDef *) * (n_one_specs + 1));
	if (n == NULL)
	{
		cq_source_def_free(def);
		return NULL;
	}
	one_specs = n;
	one_specs[n_one_specs++] = def;
	return def;
}

/*
 * cqfdw_all_sources
 *		List of every source (installed ones sorted by name, then `rest`),
 *		palloc'd in CurrentMemoryContext; the definitions are borrowed.
 */
List *
cqfdw_all_sources(void)
{
	List	   *l = NIL;

	ensure_registry();
	for (int i = 0; i < nregistry; i++)
		l = lappend(l, registry[i].def);
	l = lappend(l, &rest_source);
	return l;
}

/*
 * cqfdw_find_source
 *		Look up a source by name ("rest" included).  NULL if missing and
 *		missing_ok, else ERROR with the closest name.  *plugin (if given)
 *		receives the plugin descriptor or NULL.
 */
const CqSourceDef *
cqfdw_find_source(const char *name, bool missing_ok,
				  const CqPluginDescriptor **plugin)
{
	const char **names;
	const char *closest;

	if (plugin)
		*plugin = NULL;
	if (strcmp(name, "rest") == 0)
		return &rest_source;	/* built in: no spec to read */
	{
		const CqSourceDef *one = find_one_spec(name);

		if (one)
			return one;
	}
	ensure_registry();
	for (int i = 0; i < nregistry; i++)
		if (strcmp(registry[i].def->name, name) == 0)
		{
			if (plugin)
				*plugin = registry[i].plugin;
			return registry[i].def;
		}
	if (missing_ok)
		return NULL;

	names = palloc(sizeof(char *) * (nregistry + 1));
	for (int i = 0; i < nregistry; i++)
		names[i] = registry[i].def->name;
	names[nregistry] = "rest";
	closest = cqfdw_closest_name(name, names, nregistry + 1);
	ereport(ERROR,
			(errcode(ERRCODE_FDW_OPTION_NAME_NOT_FOUND),
			 errmsg("source \"%s\" is not installed", name),
			 closest ? errhint("Perhaps you meant the source \"%s\".", closest) :
			 errhint("SELECT name FROM cq_fdw.sources lists the installed sources.")));
	return NULL;				/* keep compiler quiet */
}

/* ------------------------------------------------------------------------
 * Types
 * ------------------------------------------------------------------------ */

/*
 * cqfdw_sdk_type_for_pg
 *		The SDK type whose natural PostgreSQL type is `typid` (or a close
 *		relative: int2/int4, float4, varchar, timestamp, json).  Returns
 *		false, with *out = string, for a type without a natural SDK type (the
 *		scan then goes through the type's input function).
 */
bool
cqfdw_sdk_type_for_pg(Oid typid, CqColType *out)
{
	Oid			elem = get_element_type(typid);

	out->is_array = OidIsValid(elem);
	if (out->is_array)
		typid = elem;

	switch (typid)
	{
		case BOOLOID:
			out->base = CQ_T_BOOL;
			return true;
		case INT2OID:
		case INT4OID:
		case INT8OID:
			out->base = CQ_T_INT;
			return true;
		case FLOAT4OID:
		case FLOAT8OID:
			out->base = CQ_T_FLOAT;
			return true;
		case NUMERICOID:
			out->base = CQ_T_NUMERIC;
			return true;
		case TEXTOID:
		case VARCHAROID:
		case BPCHAROID:
		case NAMEOID:
			out->base = CQ_T_STRING;
			return true;
		case BYTEAOID:
			out->base = CQ_T_BYTES;
			return true;
		case UUIDOID:
			out->base = CQ_T_UUID;
			return true;
		case TIMESTAMPTZOID:
		case TIMESTAMPOID:
			out->base = CQ_T_TIMESTAMP;
			return true;
		case DATEOID:
			out->base = CQ_T_DATE;
			return true;
		case INTERVALOID:
			out->base = CQ_T_INTERVAL;
			return true;
		case JSONBOID:
		case JSONOID:
			out->base = CQ_T_JSON;
			return true;
		case INETOID:
			out->base = CQ_T_INET;
			return true;
		case CIDROID:
			out->base = CQ_T_CIDR;
			return true;
		case MACADDROID:
			out->base = CQ_T_MACADDR;
			return true;
	}
	out->base = CQ_T_STRING;
	out->is_array = false;		/* the input function parses the whole text */
	return false;
}

/*
 * cqfdw_pg_type_for_sdk
 *		The natural PostgreSQL type of an SDK column type (see DESIGN.md).
 */
Oid
cqfdw_pg_type_for_sdk(CqColType t)
{
	Oid			oid;

	switch (t.base)
	{
		case CQ_T_BOOL:
			oid = BOOLOID;
			break;
		case CQ_T_INT:
			oid = INT8OID;
			break;
		case CQ_T_UINT:
		case CQ_T_NUMERIC:
			oid = NUMERICOID;
			break;
		case CQ_T_FLOAT:
			oid = FLOAT8OID;
			break;
		case CQ_T_BYTES:
			oid = BYTEAOID;
			break;
		case CQ_T_UUID:
			oid = UUIDOID;
			break;
		case CQ_T_TIMESTAMP:
			oid = TIMESTAMPTZOID;
			break;
		case CQ_T_DATE:
			oid = DATEOID;
			break;
		case CQ_T_INTERVAL:
			oid = INTERVALOID;
			break;
		case CQ_T_JSON:
			oid = JSONBOID;
			break;
		case CQ_T_INET:
			oid = INETOID;
			break;
		case CQ_T_CIDR:
			oid = CIDROID;
			break;
		case CQ_T_MACADDR:
			oid = MACADDROID;
			break;
		case CQ_T_STRING:
		default:
			oid = TEXTOID;
			break;
	}
	if (t.is_array)
	{
		Oid			arr = get_array_type(oid);

		oid = OidIsValid(arr) ? arr : TEXTARRAYOID;
	}
	return oid;
}

/* ------------------------------------------------------------------------
 * rest table definitions
 * ------------------------------------------------------------------------ */

static void
rest_cache_inval(Datum arg, int cacheid, uint32 hashvalue)
{
	HASH_SEQ_STATUS scan;
	RestCacheEntry *e;

	hash_seq_init(&scan, rest_cache);
	while ((e = hash_seq_search(&scan)) != NULL)
		e->valid = false;
}

static void
rest_relcache_inval(Datum arg, Oid relid)
{
	RestCacheEntry *e;

	if (!OidIsValid(relid))
	{
		rest_cache_inval(arg, 0, 0);
		return;
	}
	e = hash_search(rest_cache, &relid, HASH_FIND, NULL);
	if (e)
		e->valid = false;
}

static void
free_retired(XactEvent event, void *arg)
{
	if (event != XACT_EVENT_COMMIT && event != XACT_EVENT_ABORT &&
		event != XACT_EVENT_PARALLEL_COMMIT &&
		event != XACT_EVENT_PARALLEL_ABORT)
		return;
	for (int i = 0; i < nretired; i++)
		cq_table_def_free(retired[i]);
	nretired = 0;
}

static void
retire(CqTableDef *def)
{
	if (def == NULL)
		return;
	if (nretired == maxretired)
	{
		int			nmax = maxretired ? maxretired * 2 : 8;
		CqTableDef **n = realloc(retired, sizeof(CqTableDef *) * nmax);

		if (n == NULL)
			return;				/* leak rather than free in use */
		retired = n;
		maxretired = nmax;
	}
	retired[nretired++] = def;
}

/*
 * A user mapping changed (or the cache was reset): drop the token providers
 * kept across scans, wiping their secrets.  A provider is also keyed by a
 * digest of its options, so a changed mapping never reuses a stale one;
 * this frees the old one at once.  A running scan keeps its reference.
 */
static void
cred_cache_inval(Datum arg, int cacheid, uint32 hashvalue)
{
	cq_cred_cache_clear();
}

static void
init_rest_cache(void)
{
	HASHCTL		ctl;

	if (rest_cache)
		return;
	ctl.keysize = sizeof(Oid);
	ctl.entrysize = sizeof(RestCacheEntry);
	rest_cache = hash_create("cq_fdw rest tables", 64, &ctl,
							 HASH_ELEM | HASH_BLOBS);
	CacheRegisterSyscacheCallback(FOREIGNTABLEREL, rest_cache_inval, (Datum) 0);
	CacheRegisterRelcacheCallback(rest_relcache_inval, (Datum) 0);
	RegisterXactCallback(free_retired, NULL);
}

/* json_object_set_new that reports out of memory */
static void
jset(json_t *obj, const char *key, json_t *val)
{
	if (val == NULL || json_object_set_new(obj, key, val) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("out of memory")));
}

/* true if endpoint contains "{name}" */
static bool
endpoint_has_param(const char *endpoint, const char *name)
{
	char	   *pat = psprintf("{%s}", name);
	bool		r = strstr(endpoint, pat) != NULL;

	pfree(pat);
	return r;
}

/* a lower_snake label for the table object (only used in messages) */
static char *
label_for(const char *relname)
{
	char	   *s = palloc(strlen(relname) + 2);
	int			k = 0;

	if (!(relname[0] >= 'a' && relname[0] <= 'z') &&
		!(relname[0] >= 'A' && relname[0] <= 'Z'))
		s[k++] = 't';
	for (const char *p = relname; *p; p++)
	{
		char		c = *p;

		if (c >= 'A' && c <= 'Z')
			c += 'a' - 'A';
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')))
			c = '_';
		s[k++] = c;
	}
	s[k] = '\0';
	return s;
}

/*
 * Build the spec table object of a rest foreign table and parse it.
 * Returns a malloc'd CqTableDef (caller owns) or throws with the parser's
 * message.  The jansson document is freed before any ereport.
 */
static CqTableDef *
build_rest_table(Relation rel, List *tableopts)
{
	TupleDesc	tupdesc = RelationGetDescr(rel);
	const char *endpoint = NULL;
	json_t	   *doc;
	json_t	   *pag;
	json_t	   *keys;
	json_t	   *cols;
	ListCell   *lc;
	char	   *text;
	CqTableDef *def;
	CqError		err;

	foreach(lc, tableopts)
	{
		DefElem    *d = lfirst(lc);

		if (strcmp(d->defname, "endpoint") == 0)
			endpoint = defGetString(d);
	}
	if (endpoint == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_OPTION_NAME_NOT_FOUND),
				 errmsg("foreign table \"%s\" of source \"rest\" has no option \"endpoint\"",
						RelationGetRelationName(rel)),
				 errhint("ALTER FOREIGN TABLE %s OPTIONS (ADD endpoint '/path/{column}?param=value').",
						 quote_identifier(RelationGetRelationName(rel)))));

	/* json_pack("{}"), never json_object(): see cq_fdw.h */
	doc = json_pack("{}");
	pag = json_pack("{}");
	keys = json_array();
	cols = json_array();
	if (!doc || !pag || !keys || !cols)
		ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));

	/*
	 * From here on, only jset() may throw (out of memory), leaking the
	 * partial document: acceptable for an OOM.
	 */
	jset(doc, "name", json_string(label_for(RelationGetRelationName(rel))));
	jset(doc, "endpoint", json_string(endpoint));
	jset(pag, "type", json_string("none"));
	foreach(lc, tableopts)
	{
		DefElem    *d = lfirst(lc);
		const char *v = defGetString(d);

		if (strcmp(d->defname, "rows") == 0)
			jset(doc, "rows", json_string(v));
		else if (strcmp(d->defname, "pagination") == 0)
			jset(pag, "type", json_string(v));
		else if (strcmp(d->defname, "next") == 0 ||
				 strcmp(d->defname, "next_param") == 0 ||
				 strcmp(d->defname, "page_size_param") == 0 ||
				 strcmp(d->defname, "total") == 0 ||
				 strcmp(d->defname, "remaining") == 0)
			jset(pag, d->defname, json_string(v));
		else if (strcmp(d->defname, "page_size") == 0)
			jset(pag, "page_size",
				 json_integer(cqfdw_option_int("page_size", v, 0, 1)));
		else if (strcmp(d->defname, "row_estimate") == 0)
			jset(doc, "row_estimate", json_real(strtod(v, NULL)));
		else if (strcmp(d->defname, "primary_key") == 0)
		{
			char	   *raw = pstrdup(v);
			List	   *names;
			ListCell   *lc2;
			json_t	   *pk = json_array();

			if (!pk || !SplitIdentifierString(raw, ',', &names))
				ereport(ERROR,
						(errcode(ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE),
						 errmsg("invalid value for option \"primary_key\"")));
			foreach(lc2, names)
				json_array_append_new(pk, json_string(lfirst(lc2)));
			jset(doc, "primary_key", pk);
		}
	}
	jset(doc, "pagination", pag);

	for (int i = 0; i < tupdesc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(tupdesc, i);
		const char *name = NameStr(att->attname);
		const char *path = NULL;
		bool		key = false;
		bool		account_key = false;
		bool		context_key = false;
		CqColType	t;
		json_t	   *col;
		char		tname[32];

		if (att->attisdropped)
			continue;
		foreach(lc, GetForeignColumnOptions(RelationGetRelid(rel), att->attnum))
		{
			DefElem    *d = lfirst(lc);

			if (strcmp(d->defname, "path") == 0)
				path = defGetString(d);
			else if (strcmp(d->defname, "key") == 0)
			{
				/* 'account': the AWS account of a SigV4 server's role */
				account_key = strcmp(defGetString(d), "account") == 0;
				/* 'context': the kubeconfig context (one cluster each) */
				context_key = strcmp(defGetString(d), "context") == 0;
				key = account_key || context_key ||
					cqfdw_option_bool("key", defGetString(d));
			}
		}
		(void) cqfdw_sdk_type_for_pg(att->atttypid, &t);
		snprintf(tname, sizeof(tname), "%s%s", cq_type_name(t.base),
				 t.is_array ? "[]" : "");

		col = json_pack("{}");
		if (!col)
			ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));
		jset(col, "name", json_string(name));
		jset(col, "type", json_string(tname));
		if (path)
			jset(col, "path", json_string(path));
		json_array_append_new(cols, col);

		if (endpoint_has_param(endpoint, name))
		{
			json_t	   *k = json_pack("{s:s, s:s, s:s, s:[s], s:b}",
									  "column", name, "param", name,
									  "in", "path", "ops", "=",
									  "required", 1);

			if (!k)
				ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));
			json_array_append_new(keys, k);
		}
		else if (account_key)
		{
			json_t	   *k = json_pack("{s:s, s:s, s:s, s:[s], s:s}",
									  "column", name, "param", name,
									  "in", "account", "ops", "=",
									  "server_option", "accounts");

			if (!k)
				ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));
			json_array_append_new(keys, k);
		}
		else if (context_key)
		{
			json_t	   *k = json_pack("{s:s, s:s, s:s, s:[s]}",
									  "column", name, "param", name,
									  "in", "context", "ops", "=");

			if (!k)
				ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));
			json_array_append_new(keys, k);
		}
		else if (key)
		{
			json_t	   *k = json_pack("{s:s, s:s, s:s, s:[s]}",
									  "column", name, "param", name,
									  "in", "query", "ops", "=");

			if (!k)
				ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));
			json_array_append_new(keys, k);
		}
	}
	jset(doc, "keys", keys);
	jset(doc, "columns", cols);

	text = json_dumps(doc, JSON_COMPACT);
	json_decref(doc);
	if (text == NULL)
		ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));

	memset(&err, 0, sizeof(err));
	def = cq_spec_parse_table(text, strlen(text), &err);
	free(text);
	if (def == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE),
				 errmsg("invalid definition of rest foreign table \"%s\"",
						RelationGetRelationName(rel)),
				 errdetail("%s", err.message)));
	return def;
}

/*
 * A table defined at run time (IMPORT of Kubernetes custom resources): its
 * spec table object is the foreign table's option table_def, parsed like a
 * rest table's and kept in the same cache.  Its endpoints must be paths
 * relative to the server's base_url, and it has no parent listing: the
 * definition is data (from the cluster, or written by the table's owner),
 * so it must not send the querier's credentials anywhere but the server.
 */
static CqTableDef *
build_def_table(Relation rel, const char *text)
{
	CqError		err;
	CqTableDef *def;
	const char *why = NULL;

	memset(&err, 0, sizeof(err));
	def = cq_spec_parse_table(text, strlen(text), &err);
	if (def == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE),
				 errmsg("invalid option \"table_def\" of foreign table \"%s\"",
						RelationGetRelationName(rel)),
				 errdetail("%s", err.message)));
	if (def->endpoint[0] != '/' || (def->get_endpoint && def->get_endpoint[0] != '/'))
		why = "Its endpoints must be paths relative to the server's base_url.";
	else if (def->parent)
		why = "It cannot have a parent listing.";
	else if (def->aws)
		why = "It cannot be a table of an AWS API.";
	if (why)
	{
		cq_table_def_free(def);
		ereport(ERROR,
				(errcode(ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE),
				 errmsg("invalid option \"table_def\" of foreign table \"%s\"",
						RelationGetRelationName(rel)),
				 errdetail("%s", why)));
	}
	return def;
}

/*
 * The table a relation defines itself -- a rest table from its options, or a
 * table_def (def_text non-NULL) -- from the cache, else built and cached.
 * Built first: on ERROR the cache is left as it was.
 */
static const CqTableDef *
get_runtime_table(Relation rel, List *tableopts, const char *def_text)
{
	Oid			relid = RelationGetRelid(rel);
	RestCacheEntry *e;
	bool		found;
	CqTableDef *def;

	init_rest_cache();
	e = hash_search(rest_cache, &relid, HASH_FIND, &found);
	if (found && e->valid)
		return e->def;
	def = def_text ? build_def_table(rel, def_text) : build_rest_table(rel, tableopts);
	e = hash_search(rest_cache, &relid, HASH_ENTER, &found);
	if (found)
		retire(e->def);
	e->def = def;
	e->valid = true;
	return def;
}

/* ------------------------------------------------------------------------
 * cqfdw_get_table
 * ------------------------------------------------------------------------ */

/* User mapping options for (userid, serverid), falling back to PUBLIC;
 * *found = false if there is none. */
static List *
user_mapping_options(Oid userid, Oid serverid, bool *found, Oid *umid)
{
	HeapTuple	tp;
	Datum		datum;
	bool		isnull;
	List	   *opts = NIL;

	tp = SearchSysCache2(USERMAPPINGUSERSERVER, ObjectIdGetDatum(userid),
						 ObjectIdGetDatum(serverid));
	if (!HeapTupleIsValid(tp))
		tp = SearchSysCache2(USERMAPPINGUSERSERVER, ObjectIdGetDatum(InvalidOid),
							 ObjectIdGetDatum(serverid));
	*found = HeapTupleIsValid(tp);
	if (!*found)
		return NIL;
	*umid = ((Form_pg_user_mapping) GETSTRUCT(tp))->oid;
	datum = SysCacheGetAttr(USERMAPPINGUSERSERVER, tp,
							Anum_pg_user_mapping_umoptions, &isnull);
	if (!isnull)
		opts = untransformRelOptions(datum);
	ReleaseSysCache(tp);
	return opts;
}

static bool
name_in(const char *name, char **list, int n)
{
	for (int i = 0; i < n; i++)
		if (strcmp(list[i], name) == 0)
			return true;
	return false;
}

/* Apply the setting options common to servers and tables. */
static void
apply_setting(CqFdwTable *t, const char *name, const char *v)
{
	if (strcmp(name, "concurrency") == 0)
		t->settings.concurrency = cqfdw_option_int(name, v, 0, 1);
	else if (strcmp(name, "memory_budget") == 0)
		t->settings.memory_budget =
			(size_t) cqfdw_option_int(name, v, GUC_UNIT_KB, 1) * 1024;
	else if (strcmp(name, "request_timeout") == 0)
		t->settings.request_timeout_ms = cqfdw_option_int(name, v, GUC_UNIT_MS, 1);
	else if (strcmp(name, "max_retries") == 0)
		t->settings.max_retries = cqfdw_option_int(name, v, 0, 0);
	else if (strcmp(name, "max_pages") == 0)
		t->settings.max_pages = cqfdw_option_int(name, v, 0, 0);
	else if (strcmp(name, "strict") == 0)
		t->settings.strict = cqfdw_option_bool(name, v);
	else if (strcmp(name, "skip_failed") == 0)
		t->skip_failed = t->settings.skip_failed_units =
			cqfdw_option_bool(name, v);
	else if (strcmp(name, "insecure") == 0)
		t->settings.insecure = cqfdw_option_bool(name, v);
	else if (strcmp(name, "ca_file") == 0)
		t->settings.ca_file = pstrdup(v);
	else if (strcmp(name, "requests_per_second") == 0)
	{
		double		d;

		if (!parse_real(v, &d, 0, NULL) || !(d > 0))
			ereport(ERROR,
					(errcode(ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE),
					 errmsg("invalid value for option \"%s\": \"%s\"", name, v),
					 errhint("The value must be a number greater than zero.")));
		t->requests_per_second = d;
	}
	else if (strcmp(name, "burst") == 0)
		t->burst = cqfdw_option_int(name, v, 0, 1);
	else if (strcmp(name, "cache_ttl") == 0)
		t->cache_ttl_s = cqfdw_option_int(name, v, GUC_UNIT_S, 0);
}

/*
 * rest_auth_source
 *		The definition a rest server's requests use: the built-in one
 *		(bearer token), or with auth 'sigv4' a copy that signs with AWS
 *		Signature Version 4 in the scope aws_region / aws_service -- how a
 *		user reaches any SigV4-signed JSON API (API Gateway with IAM auth,
 *		OpenSearch, a Lambda function URL).  palloc'd in the caller's
 *		context, which outlives the scan's job (scan.c).
 */
static const CqSourceDef *
rest_auth_source(const char *server, const char *auth, const char *region,
				 const char *service)
{
	CqSourceDef *d;

	if (auth == NULL || strcmp(auth, "bearer") == 0)
	{
		if (region || service)
			ereport(ERROR,
					(errcode(ERRCODE_FDW_INVALID_OPTION_NAME),
					 errmsg("option \"%s\" of server \"%s\" is only used with auth 'sigv4'",
							region ? "aws_region" : "aws_service", server)));
		return &rest_source;
	}
	if (strcmp(auth, "sigv4") != 0)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE),
				 errmsg("invalid value for option \"auth\": \"%s\"", auth),
				 errdetail("Valid values are bearer and sigv4.")));
	for (int i = 0; i < 2; i++)
	{
		const char *name = i == 0 ? "aws_region" : "aws_service";
		const char *v = i == 0 ? region : service;

		if (v == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_FDW_OPTION_NAME_NOT_FOUND),
					 errmsg("server \"%s\" with auth 'sigv4' has no option \"%s\"", server, name),
					 errhint("The signature's scope names the region and the service, e.g. aws_region 'us-east-1', aws_service 'execute-api'.")));
		if (strlen(v) > 63 || strspn(v, "abcdefghijklmnopqrstuvwxyz0123456789-") != strlen(v))
			ereport(ERROR,
					(errcode(ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE),
					 errmsg("invalid value for option \"%s\": \"%s\"", name, v),
					 errdetail("A region or service name has lower-case letters, digits and hyphens only.")));
	}
	d = palloc(sizeof(CqSourceDef));
	*d = rest_source;
	d->auth = CQ_AUTH_SIGV4;
	d->sigv4 = psprintf("aws:amz:%s:%s", region, service);
	return d;
}

/*
 * cqfdw_get_table
 *		Resolve foreign table `foreigntableid` for `userid` (InvalidOid =
 *		current user).
 *
 * Result and its strings are palloc'd in CurrentMemoryContext; source,
 * table and plugin point into the registry / rest cache (see the banner).
 * The caller must hold a lock on the relation (the planner and executor
 * do).  Throws on a missing source, table, user mapping or bad option.
 */
CqFdwTable *
cqfdw_get_table(Oid foreigntableid, Oid userid)
{
	ForeignTable *ft = GetForeignTable(foreigntableid);
	ForeignServer *srv = GetForeignServer(ft->serverid);
	CqFdwTable *t = palloc0(sizeof(CqFdwTable));
	Relation	rel;
	TupleDesc	tupdesc;
	const char *source_name = NULL;
	const char *base_url = NULL;
	const char *table_opt = NULL;
	const char *table_def_opt = NULL;
	const CqSourceDef *src;
	bool		is_rest;
	bool		have_mapping;
	List	   *umopts;
	ListCell   *lc;
	int			nso = 0;
	bool		restrict_hosts;
	Oid			rel_owner = InvalidOid;
	const char *rest_auth = NULL;
	const char *aws_region = NULL;
	const char *aws_service = NULL;
	const char *authority_url = NULL;
	Oid			umid = InvalidOid;

	if (!OidIsValid(userid))
		userid = GetUserId();

	t->relid = foreigntableid;
	t->serverid = srv->serverid;
	t->userid = userid;
	t->burst = 1;

	foreach(lc, srv->options)
	{
		DefElem    *d = lfirst(lc);

		if (strcmp(d->defname, "source") == 0)
			source_name = defGetString(d);
		else if (strcmp(d->defname, "base_url") == 0)
			base_url = defGetString(d);
	}
	if (source_name == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_OPTION_NAME_NOT_FOUND),
				 errmsg("server \"%s\" has no option \"source\"", srv->servername),
				 errhint("ALTER SERVER %s OPTIONS (ADD source '...'); SELECT name FROM cq_fdw.sources lists the sources.",
						 quote_identifier(srv->servername))));

	src = cqfdw_find_source(source_name, false, &t->plugin);
	is_rest = (src == &rest_source);
	t->source_name = pstrdup(source_name);
	t->source = src;			/* for rest: the built-in definition (auth) */

	/* settings: GUCs, then server options, then table options */
	cqfdw_settings_from_gucs(&t->settings);
	t->server_opt_names = palloc0(sizeof(char *) * (list_length(srv->options) + 1));
	t->server_opt_values = palloc0(sizeof(char *) * (list_length(srv->options) + 1));
	foreach(lc, srv->options)
	{
		DefElem    *d = lfirst(lc);
		const char *v = defGetString(d);

		if (strcmp(d->defname, "source") == 0 ||
			strcmp(d->defname, "base_url") == 0)
			continue;
		if (is_rest && strcmp(d->defname, "auth") == 0)
		{
			rest_auth = v;
			continue;
		}
		if (is_rest && strcmp(d->defname, "aws_region") == 0)
		{
			aws_region = v;
			continue;
		}
		if (is_rest && strcmp(d->defname, "aws_service") == 0)
		{
			aws_service = v;
			continue;
		}
		if (strcmp(d->defname, "sts_url") == 0)
		{
			t->cred.sts_url = pstrdup(v);
			continue;
		}
		if (is_rest && strcmp(d->defname, "accounts") == 0)
		{
			t->server_opt_names[nso] = pstrdup(d->defname);
			t->server_opt_values[nso] = pstrdup(v);
			nso++;
			continue;
		}
		if (strcmp(d->defname, "authority_url") == 0)
		{
			authority_url = v;
			continue;
		}
		if (name_in(d->defname, src->server_options, src->nserver_options))
		{
			t->server_opt_names[nso] = pstrdup(d->defname);
			t->server_opt_values[nso] = pstrdup(v);
			nso++;
			continue;
		}
		if (strcmp(d->defname, "concurrency") == 0 ||
			strcmp(d->defname, "memory_budget") == 0 ||
			strcmp(d->defname, "request_timeout") == 0 ||
			strcmp(d->defname, "max_retries") == 0 ||
			strcmp(d->defname, "max_pages") == 0 ||
			strcmp(d->defname, "strict") == 0 ||
			strcmp(d->defname, "skip_failed") == 0 ||
			strcmp(d->defname, "insecure") == 0 ||
			strcmp(d->defname, "ca_file") == 0 ||
			strcmp(d->defname, "requests_per_second") == 0 ||
			strcmp(d->defname, "burst") == 0 ||
			strcmp(d->defname, "cache_ttl") == 0)
		{
			apply_setting(t, d->defname, v);
			continue;
		}
		/* accepted by the validator for another source */
		{
			StringInfoData buf;

			initStringInfo(&buf);
			for (int i = 0; i < src->nserver_options; i++)
				appendStringInfo(&buf, "%s%s", i ? ", " : "",
								 src->server_options[i]);
			ereport(ERROR,
					(errcode(ERRCODE_FDW_INVALID_OPTION_NAME),
					 errmsg("option \"%s\" of server \"%s\" is not valid for source \"%s\"",
							d->defname, srv->servername, source_name),
					 src->nserver_options > 0 ?
					 errhint("Source \"%s\" accepts these server options besides the common ones: %s.",
							 source_name, buf.data) :
					 errhint("Source \"%s\" accepts only the common server options.",
							 source_name)));
		}
	}
	t->nserver_opts = nso;
	if (is_rest)
		t->source = rest_auth_source(srv->servername, rest_auth, aws_region, aws_service);

	foreach(lc, ft->options)
	{
		DefElem    *d = lfirst(lc);

		if (strcmp(d->defname, "table") == 0)
			table_opt = defGetString(d);
		else if (strcmp(d->defname, "table_def") == 0)
			table_def_opt = defGetString(d);
		else if (strcmp(d->defname, "strict") == 0 ||
				 strcmp(d->defname, "skip_failed") == 0 ||
				 strcmp(d->defname, "concurrency") == 0 ||
				 strcmp(d->defname, "max_pages") == 0 ||
				 strcmp(d->defname, "requests_per_second") == 0 ||
				 strcmp(d->defname, "burst") == 0 ||
				 strcmp(d->defname, "cache_ttl") == 0)
			apply_setting(t, d->defname, defGetString(d));
	}

	/* an ERROR below releases the relation through the resource owner */
	rel = table_open(foreigntableid, NoLock);
	{
		tupdesc = RelationGetDescr(rel);
		rel_owner = rel->rd_rel->relowner;
		if (is_rest)
		{
			t->table = get_runtime_table(rel, ft->options, NULL);
			t->table_name = pstrdup(RelationGetRelationName(rel));
		}
		else if (table_def_opt)
		{
			t->table = get_runtime_table(rel, NIL, table_def_opt);
			t->table_name = pstrdup(t->table->name);
		}
		else
		{
			const char *tname = table_opt ? table_opt : RelationGetRelationName(rel);

			t->table = cq_source_find_table(src, tname);
			if (t->table == NULL)
			{
				const char **names = palloc(sizeof(char *) * (src->ntables + 1));
				const char *closest;

				for (int i = 0; i < src->ntables; i++)
					names[i] = src->tables[i].name;
				closest = cqfdw_closest_name(tname, names, src->ntables);
				ereport(ERROR,
						(errcode(ERRCODE_FDW_TABLE_NOT_FOUND),
						 errmsg("source \"%s\" has no table \"%s\"", source_name, tname),
						 closest ?
						 errhint("Perhaps you meant the table \"%s\".", closest) :
						 errhint("SELECT name FROM cq_fdw.tables WHERE source = '%s' lists its tables.",
								 source_name)));
			}
			t->table_name = pstrdup(tname);
		}

		/* columns */
		t->ncolumns = tupdesc->natts;
		t->columns = palloc0(sizeof(CqFdwColumn) * Max(1, tupdesc->natts));
		for (int i = 0; i < tupdesc->natts; i++)
		{
			Form_pg_attribute att = TupleDescAttr(tupdesc, i);
			CqFdwColumn *c = &t->columns[i];

			c->attnum = att->attnum;
			c->attname = pstrdup(NameStr(att->attname));
			c->atttypid = att->atttypid;
			c->atttypmod = att->atttypmod;
			c->dropped = att->attisdropped;
			c->src_col = -1;
			if (c->dropped)
				continue;
			c->src_col = cq_table_find_column(t->table, c->attname);
			if (c->src_col >= 0)
				c->direct = (c->atttypid ==
							 cqfdw_pg_type_for_sdk(t->table->columns[c->src_col].type));
		}
	}
	table_close(rel, NoLock);

	/* base URL */
	if (base_url)
		t->base_url = pstrdup(base_url);
	else if (src->base_url)
		t->base_url = pstrdup(src->base_url);
	else if (!t->table->aws &&	/* AWS: hosts derived from each region */
			 !(pg_strncasecmp(t->table->endpoint, "http://", 7) == 0 ||
			   pg_strncasecmp(t->table->endpoint, "https://", 8) == 0))
		ereport(ERROR,
				(errcode(ERRCODE_FDW_OPTION_NAME_NOT_FOUND),
				 errmsg("server \"%s\" has no option \"base_url\"", srv->servername),
				 errdetail("Source \"%s\" has no default API root and the endpoint is a relative path.",
						   source_name),
				 errhint("ALTER SERVER %s OPTIONS (ADD base_url 'https://...').",
						 quote_identifier(srv->servername))));

	/*
	 * Network policy.  The privilege check happened when the options were
	 * set (option.c); here we re-apply allowed_hosts at connect time for
	 * servers (and rest tables) owned by a non-superuser, so that an ALTER
	 * ... OWNER TO or a later change of cq_fdw.allowed_hosts cannot be used
	 * to escape it.  The source's own default origin (scheme, host and
	 * port, as in option.c) stays allowed; not its host on any port.  So
	 * does the base_url of a server owned by a superuser, for a rest table
	 * of a non-superuser on it: its owner only chose a relative path (the
	 * rule below), as the validator accepted, while redirects and next
	 * pages elsewhere stay under cq_fdw.allowed_hosts.
	 */
	if (is_rest)
	{
		const char *ep = t->table->endpoint;

		/* the validator's rule again: ALTER ... OWNER TO, older tables */
		cqfdw_check_endpoint_privilege(ep, superuser_arg(rel_owner));

		/*
		 * The querier's credentials go to the server's origin only: a
		 * (superuser's) absolute endpoint must be on the origin of the
		 * server's base_url, when it has one.
		 */
		if (base_url && cqfdw_is_absolute_url(ep))
		{
			char		eo[600];
			char		so[600];

			if (!cq_net_url_origin(ep, eo, sizeof(eo)) ||
				!cq_net_url_origin(base_url, so, sizeof(so)) ||
				strcmp(eo, so) != 0)
				ereport(ERROR,
						(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
						 errmsg("endpoint of foreign table \"%s\" is not on the origin of server \"%s\"",
								t->table_name, srv->servername),
						 errdetail("Credentials of a user mapping are only sent to the origin (scheme, host and port) of the server's base_url."),
						 errhint("Use a path relative to the server's base_url, or a server whose base_url has the endpoint's origin.")));
		}
	}
	restrict_hosts = !superuser_arg(srv->owner) ||
		(is_rest && !superuser_arg(rel_owner));
	cqfdw_policy_from_gucs(&t->policy, restrict_hosts);
	/*
	 * STS for role_arn: the server's sts_url; a source without a default
	 * API root (aws: hosts derived per service) sends it to base_url, as
	 * LocalStack-style endpoints take every service at one URL.
	 */
	if (!t->cred.sts_url && !is_rest && t->source->auth == CQ_AUTH_SIGV4 &&
		!src->base_url && base_url)
		t->cred.sts_url = pstrdup(base_url);
	if (restrict_hosts)
	{
		const char *trusted[3];
		char		origin[600];

		trusted[0] = src->base_url;
		trusted[1] = (base_url && superuser_arg(srv->owner)) ? base_url : NULL;
		trusted[2] = (t->cred.sts_url && superuser_arg(srv->owner)) ? t->cred.sts_url : NULL;
		for (int i = 0; i < 3; i++)
			if (trusted[i] &&
				cq_net_url_origin(trusted[i], origin, sizeof(origin)))
				t->policy.allowed_hosts = t->policy.allowed_hosts[0] ?
					psprintf("%s,%s", t->policy.allowed_hosts, origin) :
					pstrdup(origin);
		/* an Azure authority a superuser's server names is trusted too */
		if (authority_url && superuser_arg(srv->owner) &&
			cq_net_url_origin(authority_url, origin, sizeof(origin)))
			t->policy.allowed_hosts = t->policy.allowed_hosts[0] ?
				psprintf("%s,%s", t->policy.allowed_hosts, origin) :
				pstrdup(origin);
	}

	/* credentials */
	umopts = user_mapping_options(userid, srv->serverid, &have_mapping, &t->umid);
	umid = t->umid;
	if (!have_mapping && !is_rest && src->auth != CQ_AUTH_NONE)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("no user mapping for the current user on server \"%s\"",
						srv->servername),
				 errdetail("Source \"%s\" needs credentials, which only a user mapping holds.",
						   source_name),
				 errhint("CREATE USER MAPPING FOR CURRENT_USER SERVER %s OPTIONS (token '...').",
						 quote_identifier(srv->servername))));
	foreach(lc, umopts)
	{
		DefElem    *d = lfirst(lc);
		const char *v = defGetString(d);
		const char **field = cqfdw_credential_field(&t->cred, d->defname, false);

		/* "token" wins over "password" in either order */
		if (field)
			*field = pstrdup(v);
		else if (strcmp(d->defname, "password") == 0)
		{
			if (t->cred.token == NULL)
				t->cred.token = pstrdup(v);
		}
		else if (!name_in(d->defname, src->user_options, src->nuser_options))
			ereport(ERROR,
					(errcode(ERRCODE_FDW_INVALID_OPTION_NAME),
					 errmsg("user mapping option \"%s\" is not valid for source \"%s\"",
							d->defname, source_name)));
		/* source-specific user options have no slot in CqCredentials yet */
	}
	if (t->cred.tenant_id || t->cred.client_id || t->cred.client_secret)
		t->cred.authority_url = authority_url ? pstrdup(authority_url) : NULL;
	/* tokens fetched from the mapping outlive the scan (cq_cred_cache_clear
	 * on any user mapping change) */
	if (OidIsValid(umid))
	{
		static bool registered = false;

		if (!registered)
		{
			CacheRegisterSyscacheCallback(USERMAPPINGOID, cred_cache_inval, (Datum) 0);
			registered = true;
		}
		t->cred.cache_key = psprintf("um:%u", umid);
	}
	if (t->source->auth == CQ_AUTH_SIGV4 &&
		(t->cred.user == NULL || t->cred.secret == NULL))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION),
				 errmsg("server \"%s\" signs requests with SigV4 but the user mapping has no AWS key",
						srv->servername),
				 errhint("CREATE USER MAPPING FOR CURRENT_USER SERVER %s OPTIONS (access_key_id '...', secret_access_key '...'), with session_token '...' for temporary credentials.",
						 quote_identifier(srv->servername))));

	return t;
}
