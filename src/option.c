/*-------------------------------------------------------------------------
 *
 * option.c
 *		  cq_fdw_validator: the options of every catalog level, their values,
 *		  and the privilege rules (base_url, endpoint, ca_file).
 *
 * Invariants:
 *	- One option table (`valid_options`, sentinel-terminated) lists every
 *	  common option with the catalog it belongs to and the kind of value it
 *	  takes.  Source-specific server and user-mapping options come from the
 *	  installed specs (CqSourceDef.server_options / user_options): a name is
 *	  accepted here if ANY installed source declares it; cqfdw_get_table()
 *	  checks it precisely against the server's own source.
 *	- Credentials are accepted on the user mapping only (PostgreSQL hides
 *	  user mapping options from other roles; server and table options are
 *	  world-readable).  Option values are never echoed in an error message
 *	  when the option is a credential.
 *	- A non-superuser may only point a server (base_url) at hosts allowed
 *	  by cq_fdw.allowed_hosts or at the default origin (scheme, host, port)
 *	  of its source; an absolute rest `endpoint` and ca_file are
 *	  superuser-only.  This is the privilege check; source.c applies the
 *	  same rules again at scan time, and the SDK enforces link-local and
 *	  denied_addresses at connect time for everyone.
 *
 * Copyright (c) 2026, cq_fdw developers
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <ctype.h>

#include "access/reloptions.h"
#include "catalog/pg_attribute.h"
#include "catalog/pg_foreign_data_wrapper.h"
#include "catalog/pg_foreign_server.h"
#include "catalog/pg_foreign_table.h"
#include "catalog/pg_user_mapping.h"
#include "commands/defrem.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/varlena.h"

#include "cq_fdw.h"

PG_FUNCTION_INFO_V1(cq_fdw_validator);

/* What kind of value an option takes. */
typedef enum CqOptKind
{
	OPT_STRING,					/* any non-empty text */
	OPT_SOURCE,					/* an installed source name or 'rest' */
	OPT_URL,					/* http(s) URL with a host; privilege check */
	OPT_ENDPOINT,				/* path template or absolute URL */
	OPT_POS_INT,				/* integer > 0 */
	OPT_NONNEG_INT,				/* integer >= 0 */
	OPT_MEMORY,					/* integer > 0, kB unit by default */
	OPT_DURATION,				/* integer > 0, ms unit by default */
	OPT_TTL,					/* integer >= 0, s unit by default */
	OPT_POS_REAL,				/* number > 0 */
	OPT_BOOL,
	OPT_PAGINATION,				/* none|link_header|next_url|... */
	OPT_POINTER,				/* JSON pointer (cq_path_compile) */
	OPT_IDENT_LIST,				/* comma-separated column names */
	OPT_SU_FILE,				/* local file path: superuser only */
	OPT_CREDENTIAL,				/* secret or identity: user mapping only */
	OPT_AUTH,					/* rest server: bearer | sigv4 */
	OPT_KEY,						/* rest column: boolean, account or context */
	OPT_AUTHORITY				/* Azure token authority URL (host policy) */
} CqOptKind;

typedef struct CqFdwOption
{
	const char *name;
	Oid			catalog;
	CqOptKind	kind;
} CqFdwOption;

/*
 * Every common option.  The wrapper itself takes none.  Keep names
 * lower_snake and document each in README.md (Options and settings).
 */
static const CqFdwOption valid_options[] = {
	/* server */
	{"source", ForeignServerRelationId, OPT_SOURCE},
	{"base_url", ForeignServerRelationId, OPT_URL},
	{"concurrency", ForeignServerRelationId, OPT_POS_INT},
	{"memory_budget", ForeignServerRelationId, OPT_MEMORY},
	{"request_timeout", ForeignServerRelationId, OPT_DURATION},
	{"max_retries", ForeignServerRelationId, OPT_NONNEG_INT},
	{"max_pages", ForeignServerRelationId, OPT_NONNEG_INT},
	{"strict", ForeignServerRelationId, OPT_BOOL},
	{"skip_failed", ForeignServerRelationId, OPT_BOOL},
	{"insecure", ForeignServerRelationId, OPT_BOOL},
	{"ca_file", ForeignServerRelationId, OPT_SU_FILE},
	/* rest servers: how requests are authenticated (README: SigV4) */
	{"auth", ForeignServerRelationId, OPT_AUTH},
	{"aws_region", ForeignServerRelationId, OPT_STRING},
	{"aws_service", ForeignServerRelationId, OPT_STRING},
	/* shared state (README: Shared state) */
	{"requests_per_second", ForeignServerRelationId, OPT_POS_REAL},
	{"burst", ForeignServerRelationId, OPT_POS_INT},
	{"cache_ttl", ForeignServerRelationId, OPT_TTL},
	/* SigV4 servers: STS endpoint for role_arn, account fan-out */
	{"sts_url", ForeignServerRelationId, OPT_URL},
	{"accounts", ForeignServerRelationId, OPT_STRING},
	/* Azure: where client credentials are exchanged (sovereign clouds) */
	{"authority_url", ForeignServerRelationId, OPT_AUTHORITY},

	/* user mapping */
	{"token", UserMappingRelationId, OPT_CREDENTIAL},
	{"user", UserMappingRelationId, OPT_CREDENTIAL},
	{"password", UserMappingRelationId, OPT_CREDENTIAL},
	{"access_key_id", UserMappingRelationId, OPT_CREDENTIAL},
	{"secret_access_key", UserMappingRelationId, OPT_CREDENTIAL},
	{"session_token", UserMappingRelationId, OPT_CREDENTIAL},
	{"service_account_key", UserMappingRelationId, OPT_CREDENTIAL},
	{"role_arn", UserMappingRelationId, OPT_CREDENTIAL},
	{"external_id", UserMappingRelationId, OPT_CREDENTIAL},
	{"tenant_id", UserMappingRelationId, OPT_CREDENTIAL},
	{"client_id", UserMappingRelationId, OPT_CREDENTIAL},
	{"client_secret", UserMappingRelationId, OPT_CREDENTIAL},
	{"app_id", UserMappingRelationId, OPT_CREDENTIAL},
	{"private_key", UserMappingRelationId, OPT_CREDENTIAL},
	{"installation_id", UserMappingRelationId, OPT_CREDENTIAL},
	{"kubeconfig", UserMappingRelationId, OPT_CREDENTIAL},
	{"context", UserMappingRelationId, OPT_CREDENTIAL},

	/* foreign table */
	{"table", ForeignTableRelationId, OPT_STRING},
	/* a table defined at run time: its spec table object (import.c) */
	{"table_def", ForeignTableRelationId, OPT_STRING},
	{"endpoint", ForeignTableRelationId, OPT_ENDPOINT},
	{"rows", ForeignTableRelationId, OPT_POINTER},
	{"pagination", ForeignTableRelationId, OPT_PAGINATION},
	{"next", ForeignTableRelationId, OPT_POINTER},
	{"next_param", ForeignTableRelationId, OPT_STRING},
	/* progress (cq_fdw.scan_progress): where a page says the listing's size */
	{"total", ForeignTableRelationId, OPT_POINTER},
	{"remaining", ForeignTableRelationId, OPT_POINTER},
	{"page_size_param", ForeignTableRelationId, OPT_STRING},
	{"page_size", ForeignTableRelationId, OPT_POS_INT},
	{"primary_key", ForeignTableRelationId, OPT_IDENT_LIST},
	{"row_estimate", ForeignTableRelationId, OPT_POS_REAL},
	{"strict", ForeignTableRelationId, OPT_BOOL},
	{"skip_failed", ForeignTableRelationId, OPT_BOOL},
	{"concurrency", ForeignTableRelationId, OPT_POS_INT},
	{"max_pages", ForeignTableRelationId, OPT_NONNEG_INT},
	{"requests_per_second", ForeignTableRelationId, OPT_POS_REAL},
	{"burst", ForeignTableRelationId, OPT_POS_INT},
	{"cache_ttl", ForeignTableRelationId, OPT_TTL},

	/* column */
	{"path", AttributeRelationId, OPT_POINTER},
	{"key", AttributeRelationId, OPT_KEY},

	{NULL, InvalidOid, OPT_STRING}
};

static const char *const pagination_names[] = {
	"none", "link_header", "next_url", "next_token", "page_number", "offset",
	NULL
};

/*
 * The user mapping options that fill a CqCredentials field, by name
 * ("password" is not here: it is the token only when no token is given,
 * which source.c decides).  `fetched` marks the options of the kinds that
 * fetch tokens (an Azure app registration, a GitHub App, a kubeconfig),
 * which CREATE/ALTER USER MAPPING checks as a whole.
 */
static const struct
{
	const char *name;
	size_t		field;			/* offsetof(CqCredentials, ...) */
	bool		fetched;
}			cred_fields[] =
{
	{"token", offsetof(CqCredentials, token), false},
	{"user", offsetof(CqCredentials, user), false},
	{"access_key_id", offsetof(CqCredentials, user), false},
	{"secret_access_key", offsetof(CqCredentials, secret), false},
	{"session_token", offsetof(CqCredentials, session_token), false},
	{"service_account_key", offsetof(CqCredentials, service_account_key), false},
	{"role_arn", offsetof(CqCredentials, role_arn), false},
	{"external_id", offsetof(CqCredentials, external_id), false},
	{"tenant_id", offsetof(CqCredentials, tenant_id), true},
	{"client_id", offsetof(CqCredentials, client_id), true},
	{"client_secret", offsetof(CqCredentials, client_secret), true},
	{"app_id", offsetof(CqCredentials, app_id), true},
	{"private_key", offsetof(CqCredentials, private_key), true},
	{"installation_id", offsetof(CqCredentials, installation_id), true},
	{"kubeconfig", offsetof(CqCredentials, kubeconfig), true},
	{"context", offsetof(CqCredentials, kube_context), true},
};

/*
 * cqfdw_credential_field
 *		The field of `cred` that user mapping option `name` fills, or NULL
 *		if the option fills none (or, with `fetched_only`, is not one of
 *		the token-fetching kinds' options).
 */
const char **
cqfdw_credential_field(CqCredentials *cred, const char *name, bool fetched_only)
{
	for (size_t i = 0; i < lengthof(cred_fields); i++)
		if (strcmp(cred_fields[i].name, name) == 0)
			return (fetched_only && !cred_fields[i].fetched) ? NULL :
				(const char **) ((char *) cred + cred_fields[i].field);
	return NULL;
}

/*
 * cqfdw_is_credential_option
 *		True if `name` is a credential: a common one or a user option some
 *		installed source declares.
 */
bool
cqfdw_is_credential_option(const char *name)
{
	ListCell   *lc;

	for (const CqFdwOption *o = valid_options; o->name; o++)
		if (o->kind == OPT_CREDENTIAL && strcmp(o->name, name) == 0)
			return true;
	foreach(lc, cqfdw_all_sources())
	{
		const CqSourceDef *src = lfirst(lc);

		for (int i = 0; i < src->nuser_options; i++)
			if (strcmp(src->user_options[i], name) == 0)
				return true;
	}
	return false;
}

/*
 * cqfdw_closest_name
 *		The candidate nearest to `name` by Levenshtein distance, or NULL if
 *		none is close (distance more than half the longer name).
 */
const char *
cqfdw_closest_name(const char *name, const char *const *candidates, int n)
{
	const char *best = NULL;
	int			best_d = INT_MAX;
	int			nlen = strlen(name);

	for (int i = 0; i < n; i++)
	{
		int			clen = strlen(candidates[i]);
		int			d;

		d = varstr_levenshtein(name, nlen, candidates[i], clen, 1, 1, 1, true);
		if (d < best_d && d <= Max(nlen, clen) / 2)
		{
			best_d = d;
			best = candidates[i];
		}
	}
	return best;
}

/*
 * cqfdw_url_host
 *		Extract scheme and host of an absolute URL into caller buffers.
 *
 * Accepts only http:// and https:// with a non-empty host (an IPv6 literal
 * keeps its brackets stripped).  Returns false on anything else.  Pure
 * function; never throws.
 */
bool
cqfdw_url_host(const char *url, char *host, size_t hostlen)
{
	const char *p;
	const char *end;
	const char *at;
	size_t		len;

	if (pg_strncasecmp(url, "http://", 7) == 0)
		p = url + 7;
	else if (pg_strncasecmp(url, "https://", 8) == 0)
		p = url + 8;
	else
		return false;

	/* authority ends at the first / ? or # */
	end = p + strcspn(p, "/?#");
	/* skip userinfo */
	at = memchr(p, '@', end - p);
	if (at)
		p = at + 1;
	if (*p == '[')
	{
		const char *rb = memchr(p, ']', end - p);

		if (!rb)
			return false;
		p++;
		len = rb - p;
	}
	else
	{
		const char *colon = memchr(p, ':', end - p);

		len = (colon ? colon : end) - p;
	}
	if (len == 0 || len >= hostlen)
		return false;
	for (size_t i = 0; i < len; i++)
		if (isspace((unsigned char) p[i]) || iscntrl((unsigned char) p[i]))
			return false;
	memcpy(host, p, len);
	host[len] = '\0';
	return true;
}

/*
 * cqfdw_check_url_privilege
 *		ERROR unless the current user may make this server/table reach `url`.
 *
 * Superusers may use any http(s) URL.  Others may use a host allowed by
 * cq_fdw.allowed_hosts (cq_net_url_allowed), or the default origin of
 * `source` (scheme, host AND port of its base_url: a bare host comparison
 * let "http://127.0.0.1:<any port>" reach every local service through a
 * source whose default is the mock on 127.0.0.1:18080), or of any
 * installed source when `source` is NULL.  The path may differ (a prefix
 * of the same API).  `what` names the option in the message.  Main
 * thread; throws.
 */
void
cqfdw_check_url_privilege(const char *url, const CqSourceDef *source,
						  const char *what)
{
	char		host[256];
	char		origin[600];
	CqNetPolicy policy;
	CqError		err;
	ListCell   *lc;

	if (!cqfdw_url_host(url, host, sizeof(host)) ||
		!cq_net_url_origin(url, origin, sizeof(origin)))
		ereport(ERROR,
				(errcode(ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE),
				 errmsg("invalid value for option \"%s\"", what),
				 errdetail("The value must be an http:// or https:// URL with a host name.")));

	if (superuser())
		return;

	/* the default origin of the server's source (or of any source) is fine */
	foreach(lc, cqfdw_all_sources())
	{
		const CqSourceDef *src = lfirst(lc);
		char		dorigin[600];

		if (source && src != source)
			continue;
		if (src->base_url &&
			cq_net_url_origin(src->base_url, dorigin, sizeof(dorigin)) &&
			strcmp(dorigin, origin) == 0)
			return;
	}

	cqfdw_policy_from_gucs(&policy, true);
	memset(&err, 0, sizeof(err));
	if (policy.allowed_hosts[0] != '\0' &&
		cq_net_url_allowed(&policy, url, &err))
		return;

	ereport(ERROR,
			(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
			 errmsg("permission denied to use host \"%s\" in option \"%s\"",
					host, what),
			 errdetail("Only superusers may point cq_fdw at hosts not listed in cq_fdw.allowed_hosts; others may use the default API root of the source (same scheme, host and port)."),
			 errhint("A superuser can allow this origin with cq_fdw.allowed_hosts, e.g. ALTER SYSTEM SET cq_fdw.allowed_hosts = '%s'.",
					 origin)));
}

/*
 * cqfdw_is_absolute_url
 *		true if a rest endpoint is an absolute http(s) URL (not a path).
 */
bool
cqfdw_is_absolute_url(const char *s)
{
	return pg_strncasecmp(s, "http://", 7) == 0 ||
		pg_strncasecmp(s, "https://", 8) == 0;
}

/*
 * cqfdw_check_endpoint_privilege
 *		ERROR if a rest table whose owner is not a superuser has an absolute
 *		endpoint.
 *
 * The table's owner chooses the endpoint, but whoever queries the table
 * sends its own user mapping's credentials: an absolute URL on another
 * host would hand them to that host (issue 20, point 3).  A relative path
 * stays on the server's base_url, which the server's owner chose under
 * the host rule.  Called by the validator (the current user) and again at
 * scan time (the table's owner: a table created before this rule, or given
 * away by ALTER ... OWNER TO), with the same message.  Main thread; throws.
 */
void
cqfdw_check_endpoint_privilege(const char *endpoint, bool owner_is_superuser)
{
	if (owner_is_superuser || !cqfdw_is_absolute_url(endpoint))
		return;
	ereport(ERROR,
			(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
			 errmsg("permission denied to use an absolute URL in option \"endpoint\""),
			 errdetail("Only tables owned by a superuser may have an absolute endpoint: whoever queries the table sends the credentials of its own user mapping to it."),
			 errhint("Use a path relative to the server's base_url, such as '/items'.")));
}

/*
 * Collect the names valid for `catalog` (common + source-specific) into a
 * palloc'd array; *n receives the count.
 */
static const char **
names_for_catalog(Oid catalog, int *n)
{
	List	   *srcs = cqfdw_all_sources();
	int			cap = lengthof(valid_options);
	const char **names;
	ListCell   *lc;
	int			k = 0;

	foreach(lc, srcs)
	{
		const CqSourceDef *src = lfirst(lc);

		cap += src->nserver_options + src->nuser_options;
	}
	names = palloc(sizeof(char *) * cap);
	for (const CqFdwOption *o = valid_options; o->name; o++)
		if (o->catalog == catalog)
			names[k++] = o->name;
	foreach(lc, srcs)
	{
		const CqSourceDef *src = lfirst(lc);
		char	  **list = NULL;
		int			nl = 0;

		if (catalog == ForeignServerRelationId)
		{
			list = src->server_options;
			nl = src->nserver_options;
		}
		else if (catalog == UserMappingRelationId)
		{
			list = src->user_options;
			nl = src->nuser_options;
		}
		for (int i = 0; i < nl; i++)
		{
			bool		dup = false;

			for (int j = 0; j < k && !dup; j++)
				dup = strcmp(names[j], list[i]) == 0;
			if (!dup)
				names[k++] = list[i];
		}
	}
	*n = k;
	return names;
}

static const char *
catalog_noun(Oid catalog)
{
	switch (catalog)
	{
		case ForeignDataWrapperRelationId:
			return "foreign-data wrapper";
		case ForeignServerRelationId:
			return "server";
		case UserMappingRelationId:
			return "user mapping";
		case ForeignTableRelationId:
			return "foreign table";
		case AttributeRelationId:
			return "column";
	}
	return "object";
}

/*
 * Report an unknown option with the closest valid name, or the list of
 * valid names.  Credentials on the wrong level get their own message.
 * Never returns.
 */
static void
report_unknown_option(const char *name, Oid catalog)
{
	int			n;
	const char **names;
	const char *closest;

	if ((catalog == ForeignServerRelationId ||
		 catalog == ForeignTableRelationId ||
		 catalog == AttributeRelationId) &&
		cqfdw_is_credential_option(name))
		ereport(ERROR,
				(errcode(ERRCODE_FDW_INVALID_OPTION_NAME),
				 errmsg("option \"%s\" is not allowed on a %s: credentials belong on the user mapping",
						name, catalog_noun(catalog)),
				 errdetail("Server and table options are visible to every role; user mapping options are not."),
				 errhint("Use CREATE USER MAPPING FOR CURRENT_USER SERVER <server> OPTIONS (%s '...').",
						 name)));

	names = names_for_catalog(catalog, &n);
	if (n == 0)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_INVALID_OPTION_NAME),
				 errmsg("invalid option \"%s\"", name),
				 errhint("The %s takes no options.", catalog_noun(catalog))));

	closest = cqfdw_closest_name(name, names, n);
	if (closest)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_INVALID_OPTION_NAME),
				 errmsg("invalid option \"%s\"", name),
				 errhint("Perhaps you meant the option \"%s\".", closest)));
	else
	{
		StringInfoData buf;

		initStringInfo(&buf);
		for (int i = 0; i < n; i++)
			appendStringInfo(&buf, "%s%s", i ? ", " : "", names[i]);
		ereport(ERROR,
				(errcode(ERRCODE_FDW_INVALID_OPTION_NAME),
				 errmsg("invalid option \"%s\"", name),
				 errhint("Valid options in this context are: %s.", buf.data)));
	}
}

static void
bad_value(const char *name, const char *value, const char *detail)
{
	ereport(ERROR,
			(errcode(ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE),
			 errmsg("invalid value for option \"%s\": \"%s\"", name, value),
			 errdetail("%s", detail)));
}

/*
 * cqfdw_option_int
 *		Parse an integer option value with an optional unit (GUC syntax:
 *		'64MB', '30s'); flags is 0, GUC_UNIT_KB or GUC_UNIT_MS.  ERROR when
 *		invalid or below `min`.
 */
int
cqfdw_option_int(const char *name, const char *value, int flags, int min)
{
	int			v;
	const char *hint = NULL;

	if (!parse_int(value, &v, flags, &hint))
		bad_value(name, value, hint ? hint :
				  (flags ? "The value must be an integer with an optional unit."
				   : "The value must be an integer."));
	if (v < min)
		bad_value(name, value, min > 0 ? "The value must be greater than zero."
				  : "The value must not be negative.");
	return v;
}

/*
 * cqfdw_option_bool
 *		Parse a boolean option value (parse_bool syntax); ERROR if invalid.
 */
bool
cqfdw_option_bool(const char *name, const char *value)
{
	bool		b;

	if (!parse_bool(value, &b))
		bad_value(name, value, "The value must be a boolean (true or false).");
	return b;
}

/*
 * cqfdw_option_pagination
 *		Map a pagination option value to CqPagination; ERROR if unknown.
 */
CqPagination
cqfdw_option_pagination(const char *value)
{
	for (int i = 0; pagination_names[i]; i++)
		if (strcmp(pagination_names[i], value) == 0)
			return (CqPagination) i;
	bad_value("pagination", value,
			  "Valid values are none, link_header, next_url, next_token, page_number and offset.");
	return CQ_PAGE_NONE;		/* keep compiler quiet */
}

/* Check one option value; `source` is the server's source if known. */
static void
validate_value(const CqFdwOption *opt, const char *name, const char *value,
			   const CqSourceDef *source)
{
	switch (opt->kind)
	{
		case OPT_STRING:
		case OPT_CREDENTIAL:
			if (value[0] == '\0')
				ereport(ERROR,
						(errcode(ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE),
						 errmsg("option \"%s\" must not be empty", name)));
			break;
		case OPT_SOURCE:
			if (strcmp(value, "rest") != 0 &&
				cqfdw_find_source(value, true, NULL) == NULL)
			{
				List	   *srcs = cqfdw_all_sources();
				const char **names = palloc(sizeof(char *) * (list_length(srcs) + 1));
				int			n = 0;
				ListCell   *lc;
				const char *closest;

				foreach(lc, srcs)
					names[n++] = ((const CqSourceDef *) lfirst(lc))->name;
				closest = cqfdw_closest_name(value, names, n);
				if (closest)
					ereport(ERROR,
							(errcode(ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE),
							 errmsg("source \"%s\" is not installed", value),
							 errhint("Perhaps you meant the source \"%s\".", closest)));
				ereport(ERROR,
						(errcode(ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE),
						 errmsg("source \"%s\" is not installed", value),
						 errhint("SELECT name FROM cq_fdw.sources lists the installed sources.")));
			}
			break;
		case OPT_URL:
			cqfdw_check_url_privilege(value, source, name);
			break;
		case OPT_AUTHORITY:
			{
				/* Microsoft's public cloud is fine for anyone */
				char		o[600];
				char		d[600];

				if (cq_net_url_origin(value, o, sizeof(o)) &&
					cq_net_url_origin("https://login.microsoftonline.com", d, sizeof(d)) &&
					strcmp(o, d) == 0)
					break;
				cqfdw_check_url_privilege(value, NULL, name);
				break;
			}
		case OPT_ENDPOINT:
			if (value[0] == '/')
				break;
			if (cqfdw_is_absolute_url(value))
			{
				cqfdw_check_endpoint_privilege(value, superuser());
				cqfdw_check_url_privilege(value, NULL, name);
				break;
			}
			bad_value(name, value,
					  "The endpoint must be a path starting with \"/\" or an http:// or https:// URL.");
			break;
		case OPT_POS_INT:
			(void) cqfdw_option_int(name, value, 0, 1);
			break;
		case OPT_NONNEG_INT:
			(void) cqfdw_option_int(name, value, 0, 0);
			break;
		case OPT_MEMORY:
			(void) cqfdw_option_int(name, value, GUC_UNIT_KB, 1);
			break;
		case OPT_DURATION:
			(void) cqfdw_option_int(name, value, GUC_UNIT_MS, 1);
			break;
		case OPT_TTL:
			(void) cqfdw_option_int(name, value, GUC_UNIT_S, 0);
			break;
		case OPT_POS_REAL:
			{
				double		d;

				if (!parse_real(value, &d, 0, NULL) || !(d > 0))
					bad_value(name, value, "The value must be a number greater than zero.");
				break;
			}
		case OPT_BOOL:
			(void) cqfdw_option_bool(name, value);
			break;
		case OPT_KEY:
			if (strcmp(value, "account") != 0 && strcmp(value, "context") != 0)
				(void) cqfdw_option_bool(name, value);
			break;
		case OPT_PAGINATION:
			(void) cqfdw_option_pagination(value);
			break;
		case OPT_POINTER:
			{
				CqError		err;
				CqPath	   *p;

				memset(&err, 0, sizeof(err));
				p = cq_path_compile(value, &err);
				if (!p)
					bad_value(name, value,
							  err.message[0] ? err.message :
							  "The value must be a JSON pointer such as \"/data/items\".");
				cq_path_free(p);
				break;
			}
		case OPT_IDENT_LIST:
			{
				char	   *raw = pstrdup(value);
				List	   *l;

				if (!SplitIdentifierString(raw, ',', &l) || l == NIL)
					bad_value(name, value, "The value must be a comma-separated list of column names.");
				break;
			}
		case OPT_AUTH:
			if (strcmp(value, "bearer") != 0 && strcmp(value, "sigv4") != 0)
				bad_value(name, value, "Valid values are bearer (the user mapping's token) and sigv4 (AWS Signature Version 4, with aws_region and aws_service).");
			break;
		case OPT_SU_FILE:
			if (!superuser())
				ereport(ERROR,
						(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
						 errmsg("permission denied to set option \"%s\"", name),
						 errdetail("Only superusers may make cq_fdw read local files.")));
			if (!is_absolute_path(value))
				bad_value(name, value, "The value must be an absolute file path.");
			break;
	}
}

/*
 * check_service_account_key
 *		The value must be a GCP key file: a JSON object with type
 *		"service_account", client_email and private_key.  The error never
 *		quotes the value (nor jansson's parse error, which would).  A pasted
 *		`token` beside it is refused: which one is used would be a guess.
 */
static void
check_service_account_key(List *options, const char *value)
{
	json_t	   *j;
	json_error_t jerr;
	const char *why = NULL;
	ListCell   *lc;

	foreach(lc, options)
		if (strcmp(((DefElem *) lfirst(lc))->defname, "token") == 0)
			ereport(ERROR,
					(errcode(ERRCODE_FDW_INVALID_OPTION_NAME),
					 errmsg("options \"token\" and \"service_account_key\" cannot both be set"),
					 errhint("Keep service_account_key (tokens are fetched and renewed from it) or a pasted token, not both.")));
	j = json_loads(value, JSON_REJECT_DUPLICATES, &jerr);
	if (!j || !json_is_object(j))
		why = "The value must be the content of a service account's JSON key file.";
	else if (!json_is_string(json_object_get(j, "type")) ||
			 strcmp(json_string_value(json_object_get(j, "type")), "service_account") != 0)
		why = "The key file's \"type\" must be \"service_account\".";
	else if (!json_is_string(json_object_get(j, "client_email")) ||
			 !json_is_string(json_object_get(j, "private_key")))
		why = "The key file must have \"client_email\" and \"private_key\".";
	json_decref(j);
	memset(&jerr, 0, sizeof(jerr));
	if (why)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE),
				 errmsg("invalid value for option \"service_account_key\""),
				 errdetail("%s", why),
				 errhint("Paste the whole JSON key file downloaded for the service account.")));
}

/*
 * check_token_credentials
 *		A user mapping's options that fetch tokens: one kind at a time (a
 *		service account key, an Azure app registration, a GitHub App), not
 *		with a pasted token, and complete and well-formed (ids, PEM key),
 *		checked by the SDK without any request.  No value is ever quoted.
 */
static void
check_token_credentials(List *options)
{
	CqCredentials cr;
	CqError		err;
	ListCell   *lc;
	const char *token = NULL;
	int			kinds = 0;

	memset(&cr, 0, sizeof(cr));
	foreach(lc, options)
	{
		DefElem    *d = lfirst(lc);
		const char **field = cqfdw_credential_field(&cr, d->defname, true);

		if (strcmp(d->defname, "token") == 0)
			token = defGetString(d);
		else if (field)
			*field = defGetString(d);
	}
	if (cr.kube_context && !cr.kubeconfig)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_INVALID_OPTION_NAME),
				 errmsg("option \"context\" needs option \"kubeconfig\""),
				 errhint("Give the kubeconfig file's content in kubeconfig; context picks one of its contexts.")));
	kinds = (cr.tenant_id || cr.client_id || cr.client_secret) +
		(cr.app_id || cr.private_key || cr.installation_id) + (cr.kubeconfig != NULL);
	if (kinds == 0)
		return;
	if (cr.kubeconfig && kinds > 1)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_INVALID_OPTION_NAME),
				 errmsg("option \"kubeconfig\" cannot be set with an Azure app registration or a GitHub App")));
	if (cr.kubeconfig)
	{
		memset(&err, 0, sizeof(err));
		if (!cq_cred_check(&cr, &err))
			ereport(ERROR,
					(errcode(ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE),
					 errmsg("invalid value for option \"%s\"", err.setting),
					 errdetail("%s.", err.message),
					 errhint("Paste the kubeconfig with its certificates and keys embedded (kubectl config view --raw --flatten --minify).")));
		return;
	}
	if (kinds > 1)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_INVALID_OPTION_NAME),
				 errmsg("a user mapping takes either an Azure app registration or a GitHub App, not both"),
				 errhint("Keep tenant_id, client_id and client_secret, or app_id, private_key and installation_id.")));
	if (token)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_INVALID_OPTION_NAME),
				 errmsg("option \"token\" cannot be set with %s",
						cr.app_id || cr.private_key || cr.installation_id ?
						"a GitHub App (app_id, private_key)" :
						"an Azure app registration (tenant_id, client_id, client_secret)"),
				 errhint("Keep the app's options (tokens are fetched and renewed from them) or a pasted token, not both.")));
	memset(&err, 0, sizeof(err));
	if (!cq_cred_check(&cr, &err))
		ereport(ERROR,
				(errcode(ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE),
				 errmsg("invalid value for option \"%s\"", err.setting),
				 errdetail("%s.", err.message),
				 strcmp(err.setting, "private_key") == 0 ?
				 errhint("Paste the whole private key file (.pem) generated for the GitHub App.") :
				 cr.app_id || cr.private_key || cr.installation_id ?
				 errhint("A GitHub App needs app_id and private_key; installation_id is optional.") :
				 errhint("An Azure app registration needs tenant_id, client_id and client_secret.")));
}

/*
 * cq_fdw_validator
 *		Validate the options of a CREATE/ALTER on any catalog level.
 *
 * Receives the complete resulting option list (PostgreSQL applies ALTER's
 * ADD/SET/DROP first), so the server's `source` is visible when checking
 * its base_url.
 */
Datum
cq_fdw_validator(PG_FUNCTION_ARGS)
{
	List	   *options = untransformRelOptions(PG_GETARG_DATUM(0));
	Oid			catalog = PG_GETARG_OID(1);
	const CqSourceDef *source = NULL;
	ListCell   *lc;

	/* find the server's source first: base_url's default host depends on it */
	if (catalog == ForeignServerRelationId)
	{
		foreach(lc, options)
		{
			DefElem    *def = lfirst(lc);

			if (strcmp(def->defname, "source") == 0)
				source = cqfdw_find_source(defGetString(def), true, NULL);
		}
	}

	foreach(lc, options)
	{
		DefElem    *def = lfirst(lc);
		const CqFdwOption *opt = NULL;
		static const CqFdwOption source_specific = {NULL, InvalidOid, OPT_STRING};
		ListCell   *lc2;

		for (const CqFdwOption *o = valid_options; o->name; o++)
			if (o->catalog == catalog && strcmp(o->name, def->defname) == 0)
			{
				opt = o;
				break;
			}

		/* a name declared by an installed source */
		if (opt == NULL &&
			(catalog == ForeignServerRelationId ||
			 catalog == UserMappingRelationId))
		{
			foreach(lc2, cqfdw_all_sources())
			{
				const CqSourceDef *src = lfirst(lc2);
				char	  **list = catalog == ForeignServerRelationId ?
					src->server_options : src->user_options;
				int			nl = catalog == ForeignServerRelationId ?
					src->nserver_options : src->nuser_options;

				for (int i = 0; i < nl && !opt; i++)
					if (strcmp(list[i], def->defname) == 0)
						opt = &source_specific;
			}
		}

		if (opt == NULL)
			report_unknown_option(def->defname, catalog);

		/* reject duplicates, as postgres_fdw's users expect */
		foreach(lc2, options)
		{
			DefElem    *other = lfirst(lc2);

			if (other == def)
				break;
			if (strcmp(other->defname, def->defname) == 0)
				ereport(ERROR,
						(errcode(ERRCODE_SYNTAX_ERROR),
						 errmsg("option \"%s\" specified more than once",
								def->defname)));
		}

		validate_value(opt, def->defname, defGetString(def), source);
		if (catalog == UserMappingRelationId &&
			strcmp(def->defname, "service_account_key") == 0)
			check_service_account_key(options, defGetString(def));
	}
	if (catalog == UserMappingRelationId)
		check_token_credentials(options);

	PG_RETURN_VOID();
}
