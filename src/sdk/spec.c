/*-------------------------------------------------------------------------
 *
 * spec.c
 *		  Parse and validate source specs (JSON) into CqSourceDef/CqTableDef:
 *		  entry points, the source object, freeing.
 *
 * A spec is trusted less than code: it may come from a file a superuser
 * points at, from a compiled plugin, or (one table) from SQL options of the
 * `rest` source.  So:
 *	- every input, however malformed, yields either a complete definition or
 *	  NULL plus a CqError whose message names the location of the first
 *	  problem ("tables[3].columns[2].type: unknown type ...");
 *	- sizes are bounded (document length, tables, columns, keys, string
 *	  lengths; see the SPEC_MAX_* limits), and no spec text is ever used as a
 *	  format string: it is copied, sanitized and truncated, into messages;
 *	- unknown object keys are errors (typos must not be silently ignored),
 *	  except keys starting with "_", which are annotations.
 *
 * Invariants of a returned definition (consumers rely on them):
 *	- every string is malloc'd and owned by the definition; all of it is
 *	  released by cq_source_def_free (or cq_table_def_free for a lone table);
 *	- the definition is never modified after parsing, so threads may share
 *	  it without locking;
 *	- every column has a path ("/<name>" by default) and a compiled cpath;
 *	  every table has rows ("" by default) and crows, get_rows/cget_rows
 *	  (get_rows defaults to rows), and cnext when `next` is set;
 *	- every {placeholder} of endpoint/get_endpoint is the param of an
 *	  in=path key or a param filled by parent.map; every placeholder of
 *	  parent.endpoint is the param of an in=path key;
 *	- key columns and primary key columns are columns of the table.
 *
 * This file holds the entry points and the source object; a table object is
 * parsed by spec_table.c, the field readers and error reporting are in
 * spec_field.c, and queries on a parsed definition in spec_lookup.c (see
 * spec_int.h).  The free functions here are NULL-safe on a definition that
 * parsing abandoned half-way: every array count is set before its elements
 * are parsed.
 *
 * Thread safety: all functions are reentrant (no global state); jansson
 * must have been seeded (cq_sdk_init) before threads exist.
 *
 * Copyright (c) 2026, cq_fdw developers
 *
 *-------------------------------------------------------------------------
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cq_sdk.h"
#include "cq_sdk_int.h"
#include "spec_int.h"

/* ------------------------------------------------------------------------
 * Enumerations of the source object
 * ------------------------------------------------------------------------ */

static const CqpSpecEnum auth_names[] = {
	{"none", CQ_AUTH_NONE},
	{"bearer", CQ_AUTH_BEARER},
	{"basic", CQ_AUTH_BASIC},
	{"header", CQ_AUTH_HEADER},
	{"sigv4", CQ_AUTH_SIGV4},
	{NULL, 0}
};

/* ------------------------------------------------------------------------
 * Freeing (NULL-safe on partially built definitions)
 * ------------------------------------------------------------------------ */

static void
free_strv(char **v, int n)
{
	int			i;

	if (v == NULL)
		return;
	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static void
parent_free(CqParentDef *p)
{
	if (p == NULL)
		return;
	free(p->endpoint);
	free(p->rows);
	free(p->next);
	free(p->next_param);
	free(p->page_size_param);
	free_strv(p->map_param, p->nmap);
	free_strv(p->map_path, p->nmap);
	free(p->more);
	cq_path_free(p->cmore);
	if (p->aws)
	{
		free(p->aws->action);
		free(p->aws->method);
		free_strv(p->aws->xml_lists, p->aws->nxml_lists);
		free(p->aws);
	}
	free(p);
}

/* Release everything a table owns, not the table struct itself. */
static void
table_clear(CqTableDef *t)
{
	int			i,
				j;

	free(t->name);
	free(t->description);
	free(t->endpoint);
	free(t->get_endpoint);
	free(t->get_rows);
	free(t->rows);
	free(t->next);
	free(t->next_param);
	free(t->page_size_param);
	free(t->total);
	free(t->origin);
	if (t->keys)
	{
		for (i = 0; i < t->nkeys; i++)
		{
			CqKeyDef   *k = &t->keys[i];

			free(k->column);
			free(k->param);
			for (j = 0; j < CQ_NOPS; j++)
			{
				free(k->op_param[j]);
				free(k->op_format[j]);
			}
			free(k->server_option);
			free(k->separator);
			for (j = 0; j < k->naccept; j++)
				free(k->accept[j]);
			free(k->accept);
		}
		free(t->keys);
	}
	parent_free(t->parent);
	if (t->columns)
	{
		for (i = 0; i < t->ncolumns; i++)
		{
			free(t->columns[i].name);
			free(t->columns[i].path);
			free(t->columns[i].description);
			free(t->columns[i].transform);
			free(t->columns[i].transform_arg);
			free(t->columns[i].from);
			cq_path_free(t->columns[i].cpath);
		}
		free(t->columns);
	}
	free_strv(t->pk, t->npk);
	cq_path_free(t->crows);
	cq_path_free(t->cnext);
	cq_path_free(t->cget_rows);
	free(t->cursor_column);
	free(t->cursor_param);
	free(t->cursor_format);
	free(t->cursor_utc_offset);
	free(t->more);
	cq_path_free(t->cmore);
	for (i = 0; t->hydrate && i < t->nhydrate; i++)
	{
		CqHydrateDef *h = &t->hydrate[i];

		free(h->name);
		free(h->endpoint);
		free(h->rows);
		cq_path_free(h->crows);
		free_strv(h->param_names, h->nparams);
		free(h->param_cols);
	}
	free(t->hydrate);
	free(t->remaining);
	cq_path_free(t->cremaining);
	free(t->method);
	free(t->body);
	if (t->aws)
	{
		free(t->aws->service);
		free(t->aws->endpoint_prefix);
		free(t->aws->api_version);
		free(t->aws->action);
		free(t->aws->target_prefix);
		free(t->aws->json_version);
		free(t->aws->method);
		free(t->aws->global_region);
		free_strv(t->aws->xml_lists, t->aws->nxml_lists);
		json_decref(t->aws->body);
		if (t->aws->describe)
		{
			CqAwsDescribeDef *d = t->aws->describe;

			free(d->action);
			free(d->param);
			free(d->rows);
			cq_path_free(d->crows);
			free(d->endpoint);
			free(d->method);
			json_decref(d->body);
			free(d);
		}
		free(t->aws);
	}
	memset(t, 0, sizeof(*t));
}

/*
 * cq_table_def_free
 *		Free a table returned by cq_spec_parse_table (NULL-safe).  Never call
 *		it on a table inside a CqSourceDef.
 */
void
cq_table_def_free(CqTableDef *t)
{
	if (t == NULL)
		return;
	table_clear(t);
	free(t);
}

/*
 * cq_source_def_free
 *		Free a source definition and everything it owns (NULL-safe).  The
 *		caller must know that no thread still uses it.
 */
void
cq_source_def_free(CqSourceDef *def)
{
	int			i;

	if (def == NULL)
		return;
	free(def->name);
	free(def->version);
	free(def->description);
	free(def->kind);
	free(def->base_url);
	free(def->auth_header);
	free(def->sigv4);
	free_strv(def->headers, def->nheaders);
	free(def->ratelimit_remaining_header);
	free(def->ratelimit_reset_header);
	if (def->tables)
	{
		for (i = 0; i < def->ntables; i++)
			table_clear(&def->tables[i]);
		free(def->tables);
	}
	free_strv(def->server_options, def->nserver_options);
	free_strv(def->user_options, def->nuser_options);
	free(def);
}

/* ------------------------------------------------------------------------
 * Sources
 * ------------------------------------------------------------------------ */

static const char *const source_keys[] = {
	"name", "version", "description", "base_url", "auth", "auth_header",
	"sigv4", "headers", "ratelimit", "server_options", "user_options",
	"tables", NULL
};
static const char *const ratelimit_keys[] = {"remaining", "reset", NULL};

static bool
check_header_name(CqpSpecCtx *c, const char *loc, const char *key, const char *s)
{
	if (s && !cqp_spec_is_header_name(s, strlen(s)))
		return cqp_spec_fail(c, loc, key, "not a valid HTTP header name");
	return true;
}

static bool
parse_source(CqpSpecCtx *c, json_t *root, CqSourceDef *def)
{
	json_t	   *arr;
	int			auth = CQ_AUTH_NONE;
	size_t		i;
	int			j,
				first;
	char		where[SPEC_LOCLEN];
	char		qs[64];

	if (!cqp_spec_check_object(c, "", root, source_keys))
		return false;
	if (!cqp_spec_get_ident(c, "", root, "name", true, &def->name) ||
		!cqp_spec_get_string(c, "", root, "version", false, 64, &def->version) ||
		!cqp_spec_get_text(c, "", root, "description", &def->description) ||
		!cqp_spec_get_string(c, "", root, "base_url", false, SPEC_MAX_TEMPLATE, &def->base_url))
		return false;
	if (def->base_url &&
		((strncmp(def->base_url, "http://", 7) != 0 && strncmp(def->base_url, "https://", 8) != 0) ||
		 strchr(def->base_url, ' ') || strchr(def->base_url, '{')))
		return cqp_spec_fail(c, "", "base_url", "must be an http:// or https:// URL without placeholders");
	if ((def->kind = cqp_spec_dup(c, "spec")) == NULL)
		return false;

	if (!cqp_spec_get_enum(c, "", root, "auth", auth_names, "auth method", false, &auth))
		return false;
	def->auth = (CqAuth) auth;
	if (!cqp_spec_get_string(c, "", root, "auth_header", false, 128, &def->auth_header) ||
		!check_header_name(c, "", "auth_header", def->auth_header))
		return false;
	if (auth == CQ_AUTH_HEADER && def->auth_header == NULL)
		return cqp_spec_fail(c, "", "auth_header", "required when auth is \"header\"");
	if (auth != CQ_AUTH_HEADER && def->auth_header != NULL)
		return cqp_spec_fail(c, "", "auth_header", "only used when auth is \"header\"");
	if (!cqp_spec_get_string(c, "", root, "sigv4", false, 128, &def->sigv4))
		return false;
	if (auth == CQ_AUTH_SIGV4 && def->sigv4 == NULL)
		return cqp_spec_fail(c, "", "sigv4", "required when auth is \"sigv4\" (e.g. \"aws:amz:us-east-1:ec2\")");
	if (auth != CQ_AUTH_SIGV4 && def->sigv4 != NULL)
		return cqp_spec_fail(c, "", "sigv4", "only used when auth is \"sigv4\"");
	if (def->sigv4)
	{
		const char *s;
		int			colons = 0;
		bool		empty = def->sigv4[0] == ':' || def->sigv4[0] == '\0';

		/*
		 * The signer (sigv4.c) needs all four parts: a scope without region
		 * or service would only fail when a job starts.
		 */
		for (s = def->sigv4; *s; s++)
		{
			if (*s == ':')
			{
				colons++;
				if (s[1] == ':' || s[1] == '\0')
					empty = true;
			}
			else if (!cqp_spec_is_param_char(*s))
				break;
		}
		if (*s || colons != 3 || empty)
			return cqp_spec_fail(c, "", "sigv4", "must look like \"aws:amz:<region>:<service>\" (four non-empty parts)");
	}

	/* headers: "Name: value", no CR/LF (header injection) */
	if (!cqp_spec_get_array(c, "", root, "headers", false, SPEC_MAX_HEADERS, &arr))
		return false;
	if (arr && json_array_size(arr) > 0)
	{
		def->headers = calloc(json_array_size(arr), sizeof(char *));
		if (def->headers == NULL)
			return cqp_spec_oom(c);
		def->nheaders = (int) json_array_size(arr);
		for (i = 0; i < json_array_size(arr); i++)
		{
			json_t	   *h = json_array_get(arr, i);
			const char *s,
					   *colon;

			cqp_spec_loc_index(where, "", "headers", (int) i);
			if (!json_is_string(h) || json_string_length(h) > 1024)
				return cqp_spec_fail(c, where, NULL, "must be a string \"Name: value\" of at most 1024 bytes");
			s = json_string_value(h);
			colon = strchr(s, ':');
			if (colon == NULL || !cqp_spec_is_header_name(s, colon - s) ||
				strlen(s) != json_string_length(h) || !cqp_spec_header_value_ok(colon + 1))
				return cqp_spec_fail(c, where, NULL, "must be \"Name: value\" with a valid header name and no control characters");
			if ((colon - s == 13 && strncasecmp(s, "Authorization", 13) == 0) ||
				(colon - s == 6 && strncasecmp(s, "Cookie", 6) == 0))
				return cqp_spec_fail(c, where, NULL, "credentials do not belong in a spec (use auth and the user mapping)");
			if ((def->headers[i] = cqp_spec_dup(c, s)) == NULL)
				return false;
		}
	}

	/* ratelimit */
	{
		json_t	   *rl = json_object_get(root, "ratelimit");

		if (rl && !json_is_null(rl))
		{
			if (!cqp_spec_check_object(c, "ratelimit", rl, ratelimit_keys) ||
				!cqp_spec_get_string(c, "ratelimit", rl, "remaining", false, 128, &def->ratelimit_remaining_header) ||
				!check_header_name(c, "ratelimit", "remaining", def->ratelimit_remaining_header) ||
				!cqp_spec_get_string(c, "ratelimit", rl, "reset", false, 128, &def->ratelimit_reset_header) ||
				!check_header_name(c, "ratelimit", "reset", def->ratelimit_reset_header))
				return false;
		}
	}

	if (!cqp_spec_get_name_list(c, "", root, "server_options", true, SPEC_MAX_OPTIONS,
					   &def->nserver_options, &def->server_options) ||
		!cqp_spec_get_name_list(c, "", root, "user_options", true, SPEC_MAX_OPTIONS,
					   &def->nuser_options, &def->user_options))
		return false;

	/* tables */
	if (!cqp_spec_get_array(c, "", root, "tables", true, SPEC_MAX_TABLES, &arr))
		return false;
	if (json_array_size(arr) == 0)
		return cqp_spec_fail(c, "", "tables", "a source needs at least one table");
	def->tables = calloc(json_array_size(arr), sizeof(CqTableDef));
	if (def->tables == NULL)
		return cqp_spec_oom(c);
	def->ntables = (int) json_array_size(arr);
	for (i = 0; i < json_array_size(arr); i++)
	{
		cqp_spec_loc_index(where, "", "tables", (int) i);
		if (!cqp_spec_table_parse(c, where, json_array_get(arr, i), &def->tables[i]))
			return false;
	}
	j = cqp_spec_find_duplicate(def->tables, sizeof(CqTableDef), def->ntables, &first);
	if (j == -2)
		return cqp_spec_oom(c);
	if (j >= 0)
	{
		cqp_spec_loc_index(where, "", "tables", j);
		return cqp_spec_fail(c, where, "name", "duplicate table \"%s\" (also tables[%d])",
					cqp_spec_quote(qs, sizeof(qs), def->tables[j].name), first);
	}
	return true;
}

/* Parse JSON text with our limits; NULL + err on failure. */
static json_t *
load_json(const char *text, size_t len, CqError *err)
{
	json_error_t jerr;
	json_t	   *root;

	if (text == NULL)
	{
		cq_error_set(err, CQ_ERR_CONFIG, "spec: no text");
		return NULL;
	}
	if (len > SPEC_MAX_BYTES)
	{
		cq_error_set(err, CQ_ERR_LIMIT, "spec: %zu bytes, more than the limit of %d",
					 len, SPEC_MAX_BYTES);
		return NULL;
	}
	root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL)
	{
		char		txt[JSON_ERROR_TEXT_LENGTH];

		cqp_sanitize_copy(txt, sizeof(txt), jerr.text, strlen(jerr.text));
		cq_error_set(err, CQ_ERR_JSON, "spec: invalid JSON at line %d, column %d: %s",
					 jerr.line, jerr.column, txt);
		return NULL;
	}
	return root;
}

/*
 * cq_spec_parse
 *		Parse and validate a spec document.  Returns a malloc'd definition
 *		(free with cq_source_def_free) or NULL with err filled: CQ_ERR_JSON
 *		for malformed JSON (line and column), CQ_ERR_CONFIG for a validation
 *		error (message "<location>: <problem>", err->path = location),
 *		CQ_ERR_LIMIT when a size limit is exceeded, CQ_ERR_NOMEM.  Any thread.
 */
CqSourceDef *
cq_spec_parse(const char *json_text, size_t len, CqError *err)
{
	CqpSpecCtx			c;
	json_t	   *root;
	CqSourceDef *def;
	bool		ok;

	memset(err, 0, sizeof(*err));
	root = load_json(json_text, len, err);
	if (root == NULL)
		return NULL;
	def = calloc(1, sizeof(CqSourceDef));
	if (def == NULL)
	{
		json_decref(root);
		cq_error_set(err, CQ_ERR_NOMEM, "out of memory parsing a spec");
		return NULL;
	}
	c.err = err;
	c.src = def;
	ok = parse_source(&c, root, def);
	json_decref(root);
	if (!ok)
	{
		cq_source_def_free(def);
		return NULL;
	}
	return def;
}

/*
 * cq_spec_parse_table
 *		Parse and validate one table object (the `rest` source builds one from
 *		SQL options).  Same errors as cq_spec_parse, with locations relative
 *		to the table ("columns[2].type: ...").  A key's server_option is not
 *		checked against a source.  Free with cq_table_def_free.  Any thread.
 */
CqTableDef *
cq_spec_parse_table(const char *json_text, size_t len, CqError *err)
{
	CqpSpecCtx			c;
	json_t	   *root;
	CqTableDef *t;
	bool		ok;

	memset(err, 0, sizeof(*err));
	root = load_json(json_text, len, err);
	if (root == NULL)
		return NULL;
	t = calloc(1, sizeof(CqTableDef));
	if (t == NULL)
	{
		json_decref(root);
		cq_error_set(err, CQ_ERR_NOMEM, "out of memory parsing a spec");
		return NULL;
	}
	c.err = err;
	c.src = NULL;
	ok = cqp_spec_table_parse(&c, "", root, t);
	json_decref(root);
	if (!ok)
	{
		cq_table_def_free(t);
		return NULL;
	}
	return t;
}

/*
 * cq_spec_load_file
 *		Read a spec file (a regular file of at most SPEC_MAX_BYTES) and parse
 *		it.  Error messages are prefixed with the file's base name.  Reading a
 *		local file is a privilege: the FDW only passes superuser-set paths.
 */
CqSourceDef *
cq_spec_load_file(const char *path, CqError *err)
{
	int			fd;
	struct stat st;
	char	   *buf;
	size_t		got = 0;
	CqSourceDef *def;
	const char *base;
	char		ebuf[128];

	memset(err, 0, sizeof(*err));
	if (path == NULL)
	{
		cq_error_set(err, CQ_ERR_CONFIG, "spec file: no path");
		return NULL;
	}
	base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
	{
		if (strerror_r(errno, ebuf, sizeof(ebuf)) != 0)
			cqp_spec_strfmt(ebuf, sizeof(ebuf), "error %d", errno);
		cq_error_set(err, CQ_ERR_CONFIG, "could not open spec file \"%s\": %s", path, ebuf);
		return NULL;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
	{
		close(fd);
		cq_error_set(err, CQ_ERR_CONFIG, "spec file \"%s\" is not a regular file", path);
		return NULL;
	}
	if (st.st_size > SPEC_MAX_BYTES)
	{
		close(fd);
		cq_error_set(err, CQ_ERR_LIMIT, "spec file \"%s\" is larger than %d bytes", path, SPEC_MAX_BYTES);
		return NULL;
	}
	buf = malloc((size_t) st.st_size + 1);
	if (buf == NULL)
	{
		close(fd);
		cq_error_set(err, CQ_ERR_NOMEM, "out of memory reading spec file \"%s\"", path);
		return NULL;
	}
	while (got < (size_t) st.st_size)
	{
		ssize_t		r = read(fd, buf + got, (size_t) st.st_size - got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (size_t) r;
	}
	close(fd);
	if (got != (size_t) st.st_size)
	{
		free(buf);
		cq_error_set(err, CQ_ERR_CONFIG, "could not read spec file \"%s\"", path);
		return NULL;
	}
	def = cq_spec_parse(buf, got, err);
	free(buf);
	if (def == NULL)
	{
		char		msg[sizeof(err->message)];

		memcpy(msg, err->message, sizeof(msg));
		cq_error_set(err, err->kind, "%s: %s", base, msg);
	}
	return def;
}
