/*-------------------------------------------------------------------------
 *
 * spec.c
 *		  Parse and validate source specs (JSON) into CqSourceDef/CqTableDef.
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
 * Thread safety: all functions are reentrant (no global state); jansson
 * must have been seeded (cq_sdk_init) before threads exist.
 *
 * Copyright (c) 2026, cq_fdw developers
 *
 *-------------------------------------------------------------------------
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cq_sdk.h"
#include "cq_sdk_int.h"

/* ------------------------------------------------------------------------
 * Parsing context and error reporting
 * ------------------------------------------------------------------------ */

typedef struct CqpSpecCtx
{
	CqError    *err;
	const CqSourceDef *src;		/* the source being parsed; NULL for a lone
								 * table (cq_spec_parse_table) */
} CqpSpecCtx;

/*
 * snprintf that truncates silently: locations and messages are bounded on
 * purpose (gcc's -Wformat-truncation would flag every intentional cut).
 */
static int
cqp_spec_strfmt(char *out, size_t n, const char *fmt,...)
			__attribute__((format(printf, 3, 4)));

static int
cqp_spec_strfmt(char *out, size_t n, const char *fmt,...)
{
	va_list		ap;
	int			r;

	va_start(ap, fmt);
	r = vsnprintf(out, n, fmt, ap);
	va_end(ap);
	return r;
}

/* Location strings are built in fixed buffers of this size. */
#define SPEC_LOCLEN 160

/*
 * Quote spec text for a message: at most 48 bytes, control characters and
 * quotes replaced by '?', "..." appended when truncated.  Never used as a
 * format.
 */
static const char *
cqp_spec_quote(char *buf, size_t buflen, const char *s)
{
	size_t		i,
				o = 0;
	size_t		max = buflen > 52 ? 48 : buflen - 4;

	if (s == NULL)
		s = "";
	for (i = 0; s[i] && o < max; i++)
	{
		unsigned char ch = (unsigned char) s[i];

		buf[o++] = (ch < 0x20 || ch == 0x7f || ch == '"' || ch == '\\') ? '?' : (char) ch;
	}
	if (s[i])
	{
		/* do not cut a UTF-8 sequence in half */
		while (o > 0 && ((unsigned char) buf[o - 1] & 0xC0) == 0x80)
			o--;
		if (o > 0 && ((unsigned char) buf[o - 1] & 0xC0) == 0xC0)
			o--;
		memcpy(buf + o, "...", 3);
		o += 3;
	}
	buf[o] = '\0';
	return buf;
}

/*
 * Set a CQ_ERR_CONFIG error "<loc>[.<key>]: <message>" and record the
 * location in err->path.  `fmt` is always a literal of this file; spec text
 * only ever arrives as an argument (after cqp_spec_quote()).  Returns false so callers
 * can `return cqp_spec_fail(...)`.
 */
static bool failv(CqpSpecCtx *c, CqErrorKind kind, const char *loc, const char *key,
				  const char *fmt, va_list ap) __attribute__((format(printf, 5, 0)));

static bool
failv(CqpSpecCtx *c, CqErrorKind kind, const char *loc, const char *key,
	  const char *fmt, va_list ap)
{
	char		where[SPEC_LOCLEN + 64];
	char		msg[256];

	if (key && loc[0])
		cqp_spec_strfmt(where, sizeof(where), "%s.%s", loc, key);
	else
		cqp_spec_strfmt(where, sizeof(where), "%s", key ? key : loc);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	cq_error_set(c->err, kind, "%s: %s", where[0] ? where : "spec", msg);
	cqp_spec_strfmt(c->err->path, sizeof(c->err->path), "%s", where);
	return false;
}

static bool
cqp_spec_fail(CqpSpecCtx *c, const char *loc, const char *key, const char *fmt,...)
			__attribute__((format(printf, 4, 5)));

static bool
cqp_spec_fail(CqpSpecCtx *c, const char *loc, const char *key, const char *fmt,...)
{
	va_list		ap;

	va_start(ap, fmt);
	failv(c, CQ_ERR_CONFIG, loc, key, fmt, ap);
	va_end(ap);
	return false;
}

static bool
cqp_spec_fail_limit(CqpSpecCtx *c, const char *loc, const char *key, const char *fmt,...)
			__attribute__((format(printf, 4, 5)));

static bool
cqp_spec_fail_limit(CqpSpecCtx *c, const char *loc, const char *key, const char *fmt,...)
{
	va_list		ap;

	va_start(ap, fmt);
	failv(c, CQ_ERR_LIMIT, loc, key, fmt, ap);
	va_end(ap);
	return false;
}

static bool
cqp_spec_oom(CqpSpecCtx *c)
{
	cq_error_set(c->err, CQ_ERR_NOMEM, "out of memory parsing a spec");
	return false;
}

/* Child location "loc.key[i]" (or "key[i]" at the top). */
static void
cqp_spec_loc_index(char *out, const char *loc, const char *key, int i)
{
	if (loc[0])
		cqp_spec_strfmt(out, SPEC_LOCLEN, "%s.%s[%d]", loc, key, i);
	else
		cqp_spec_strfmt(out, SPEC_LOCLEN, "%s[%d]", key, i);
}

/* Child location "loc.key". */
static void
cqp_spec_loc_key(char *out, const char *loc, const char *key)
{
	char		qk[64];

	cqp_spec_quote(qk, sizeof(qk), key);
	if (loc[0])
		cqp_spec_strfmt(out, SPEC_LOCLEN, "%s.%s", loc, qk);
	else
		cqp_spec_strfmt(out, SPEC_LOCLEN, "%s", qk);
}

/* ------------------------------------------------------------------------
 * Unknown keys, with a closest-match suggestion
 * ------------------------------------------------------------------------ */

/* Levenshtein distance of two short strings (both <= 64 bytes). */
static int
levenshtein(const char *a, const char *b)
{
	int			la = (int) strlen(a),
				lb = (int) strlen(b);
	int			prev[65],
				cur[65];
	int			i,
				j;

	if (la > 64 || lb > 64)
		return 1000;
	for (j = 0; j <= lb; j++)
		prev[j] = j;
	for (i = 1; i <= la; i++)
	{
		cur[0] = i;
		for (j = 1; j <= lb; j++)
		{
			int			d = prev[j - 1] + (a[i - 1] != b[j - 1]);

			if (prev[j] + 1 < d)
				d = prev[j] + 1;
			if (cur[j - 1] + 1 < d)
				d = cur[j - 1] + 1;
			cur[j] = d;
		}
		memcpy(prev, cur, sizeof(int) * (lb + 1));
	}
	return prev[lb];
}

/* Closest of `known` (NULL-terminated) to `s`, or NULL if none is close. */
static const char *
closest(const char *s, const char *const *known)
{
	const char *best = NULL;
	int			bestd = 1000;
	int			len = (int) strlen(s);
	int			maxd = len <= 4 ? 1 : (len <= 9 ? 2 : 3);

	for (; *known; known++)
	{
		int			d = levenshtein(s, *known);

		if (d < bestd)
		{
			bestd = d;
			best = *known;
		}
	}
	return bestd <= maxd ? best : NULL;
}

/* Join `known` into "a, b, c" (truncated to buflen). */
static const char *
join_known(char *buf, size_t buflen, const char *const *known)
{
	size_t		o = 0;

	buf[0] = '\0';
	for (; *known && o < buflen; known++)
		o += cqp_spec_strfmt(buf + o, buflen - o, "%s%s", o ? ", " : "", *known);
	return buf;
}

/*
 * Require `v` to be an object whose keys are all in `known` (or start with
 * "_": annotations).  `what` names the object for the type error.
 */
static bool
cqp_spec_check_object(CqpSpecCtx *c, const char *loc, json_t *v, const char *const *known)
{
	const char *k;
	json_t	   *val;

	if (!json_is_object(v))
		return cqp_spec_fail(c, loc, NULL, "must be an object");
	json_object_foreach(v, k, val)
	{
		char		where[SPEC_LOCLEN];
		char		qs[64];
		char		list[200];
		const char *sug;
		const char *const *kn;
		bool		ok = false;

		(void) val;
		if (k[0] == '_')
			continue;
		for (kn = known; *kn; kn++)
			if (strcmp(k, *kn) == 0)
			{
				ok = true;
				break;
			}
		if (ok)
			continue;
		cqp_spec_loc_key(where, loc, k);
		sug = closest(k, known);
		if (sug)
			return cqp_spec_fail(c, where, NULL, "unknown key (did you mean \"%s\"?)",
						cqp_spec_quote(qs, sizeof(qs), sug));
		return cqp_spec_fail(c, where, NULL, "unknown key (known keys: %s)",
					join_known(list, sizeof(list), known));
	}
	return true;
}

/* ------------------------------------------------------------------------
 * Typed field getters.  A missing key leaves *out unchanged unless the
 * field is required.
 * ------------------------------------------------------------------------ */

/* Character classes for the strings we accept. */
static bool
is_ident(const char *s)
{
	size_t		i;

	if (!((s[0] >= 'a' && s[0] <= 'z') || s[0] == '_'))
		return false;
	for (i = 1; s[i]; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
			return false;
	return i <= SPEC_MAX_IDENT;
}

/* A query/template parameter name: letters, digits and _ . - [ ] $ */
static bool
cqp_spec_is_param_char(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		(ch >= '0' && ch <= '9') || ch == '_' || ch == '.' || ch == '-' ||
		ch == '[' || ch == ']' || ch == '$';
}

static bool
cqp_spec_is_param(const char *s)
{
	size_t		i;

	for (i = 0; s[i]; i++)
		if (!cqp_spec_is_param_char(s[i]))
			return false;
	return i > 0 && i <= SPEC_MAX_IDENT;
}

/* An HTTP header field name (RFC 9110 token). */
static bool
cqp_spec_is_header_name(const char *s, size_t len)
{
	size_t		i;

	if (len == 0 || len > 128)
		return false;
	for (i = 0; i < len; i++)
	{
		char		ch = s[i];

		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
			  (ch >= '0' && ch <= '9') || strchr("!#$%&'*+.^_`|~-", ch)))
			return false;
	}
	return true;
}

/* No control character (tab, CR and LF allowed when `text`). */
static bool
no_controls(const char *s, bool text)
{
	for (; *s; s++)
	{
		unsigned char ch = (unsigned char) *s;

		if ((ch < 0x20 && !(text && (ch == '\t' || ch == '\n' || ch == '\r'))) || ch == 0x7f)
			return false;
	}
	return true;
}

/* A header value: no control character but tab (no CR/LF injection). */
static bool
cqp_spec_header_value_ok(const char *s)
{
	for (; *s; s++)
		if (((unsigned char) *s < 0x20 && *s != '\t') || *s == 0x7f)
			return false;
	return true;
}

static char *
cqp_spec_dup(CqpSpecCtx *c, const char *s)
{
	char	   *d = strdup(s);

	if (d == NULL)
		cqp_spec_oom(c);
	return d;
}

/*
 * Get string `key` of `obj` into *out (malloc'd).  Returns false on error;
 * a missing or null key is an error only when `required`.
 */
static bool
get_string_ex(CqpSpecCtx *c, const char *loc, json_t *obj, const char *key,
			  bool required, size_t maxlen, bool text, char **out)
{
	json_t	   *v = json_object_get(obj, key);
	const char *s;

	if (v == NULL || json_is_null(v))
	{
		if (required)
			return cqp_spec_fail(c, loc, key, "required");
		return true;
	}
	if (!json_is_string(v))
		return cqp_spec_fail(c, loc, key, "must be a string");
	s = json_string_value(v);
	if (json_string_length(v) != strlen(s))
		return cqp_spec_fail(c, loc, key, "must not contain NUL characters");
	if (json_string_length(v) > maxlen)
		return cqp_spec_fail_limit(c, loc, key, "longer than %zu bytes", maxlen);
	if (!no_controls(s, text))
		return cqp_spec_fail(c, loc, key, "must not contain control characters");
	free(*out);
	*out = cqp_spec_dup(c, s);
	return *out != NULL;
}

static bool
cqp_spec_get_string(CqpSpecCtx *c, const char *loc, json_t *obj, const char *key,
		   bool required, size_t maxlen, char **out)
{
	return get_string_ex(c, loc, obj, key, required, maxlen, false, out);
}

/* Free text (descriptions): tabs and line breaks allowed. */
static bool
cqp_spec_get_text(CqpSpecCtx *c, const char *loc, json_t *obj, const char *key, char **out)
{
	return get_string_ex(c, loc, obj, key, false, SPEC_MAX_TEXT, true, out);
}

static bool
cqp_spec_get_ident(CqpSpecCtx *c, const char *loc, json_t *obj, const char *key,
		  bool required, char **out)
{
	char		qs[64];

	if (!cqp_spec_get_string(c, loc, obj, key, required, 256, out))
		return false;
	if (*out && !is_ident(*out))
		return cqp_spec_fail(c, loc, key, "\"%s\" is not a lower_snake_case identifier of at most %d bytes",
					cqp_spec_quote(qs, sizeof(qs), *out), SPEC_MAX_IDENT);
	return true;
}

static bool
cqp_spec_get_bool(CqpSpecCtx *c, const char *loc, json_t *obj, const char *key, bool *out)
{
	json_t	   *v = json_object_get(obj, key);

	if (v == NULL || json_is_null(v))
		return true;
	if (!json_is_boolean(v))
		return cqp_spec_fail(c, loc, key, "must be true or false");
	*out = json_is_true(v);
	return true;
}

static bool
cqp_spec_get_int(CqpSpecCtx *c, const char *loc, json_t *obj, const char *key,
		json_int_t lo, json_int_t hi, int *out)
{
	json_t	   *v = json_object_get(obj, key);

	if (v == NULL || json_is_null(v))
		return true;
	if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi)
		return cqp_spec_fail(c, loc, key, "must be an integer between %lld and %lld",
					(long long) lo, (long long) hi);
	*out = (int) json_integer_value(v);
	return true;
}

/*
 * Get array `key` of `obj`: *arr = the array (borrowed) or NULL when absent;
 * errors if it is not an array or holds more than `max` elements.
 */
static bool
cqp_spec_get_array(CqpSpecCtx *c, const char *loc, json_t *obj, const char *key,
		  bool required, size_t max, json_t **arr)
{
	json_t	   *v = json_object_get(obj, key);

	*arr = NULL;
	if (v == NULL || json_is_null(v))
	{
		if (required)
			return cqp_spec_fail(c, loc, key, "required");
		return true;
	}
	if (!json_is_array(v))
		return cqp_spec_fail(c, loc, key, "must be an array");
	if (json_array_size(v) > max)
		return cqp_spec_fail_limit(c, loc, key, "more than %zu elements", max);
	*arr = v;
	return true;
}

/*
 * Array of unique strings (identifiers when `ident`, else param names) into
 * a malloc'd char*[]; *n is set before any element is parsed so that a
 * partial array is freed by the caller's free function.
 */
static bool
cqp_spec_get_name_list(CqpSpecCtx *c, const char *loc, json_t *obj, const char *key,
			  bool ident, size_t max, int *n, char ***out)
{
	json_t	   *arr;
	size_t		i,
				j;
	char		where[SPEC_LOCLEN];
	char		qs[64];

	if (!cqp_spec_get_array(c, loc, obj, key, false, max, &arr))
		return false;
	if (arr == NULL || json_array_size(arr) == 0)
		return true;
	*out = calloc(json_array_size(arr), sizeof(char *));
	if (*out == NULL)
		return cqp_spec_oom(c);
	*n = (int) json_array_size(arr);
	for (i = 0; i < json_array_size(arr); i++)
	{
		json_t	   *e = json_array_get(arr, i);
		const char *s;

		cqp_spec_loc_index(where, loc, key, (int) i);
		if (!json_is_string(e))
			return cqp_spec_fail(c, where, NULL, "must be a string");
		s = json_string_value(e);
		if (ident ? !is_ident(s) : !cqp_spec_is_param(s))
			return cqp_spec_fail(c, where, NULL, "\"%s\" is not a valid name",
						cqp_spec_quote(qs, sizeof(qs), s));
		for (j = 0; j < i; j++)
			if (strcmp((*out)[j], s) == 0)
				return cqp_spec_fail(c, where, NULL, "duplicate \"%s\"", cqp_spec_quote(qs, sizeof(qs), s));
		if (((*out)[i] = cqp_spec_dup(c, s)) == NULL)
			return false;
	}
	return true;
}

/* ------------------------------------------------------------------------
 * Templates ("/repos/{owner}/{repo}/issues") and pointers
 * ------------------------------------------------------------------------ */

/*
 * The {params} of a template, in order (duplicates kept): starts/lens point
 * into `tpl`.  Returns the count, or -1 if malformed (only possible for
 * templates that were not validated).  At most `max` are recorded.
 */
static int
cqp_spec_template_params(const char *tpl, const char **starts, int *lens, int max)
{
	int			n = 0;
	const char *p;

	if (tpl == NULL)
		return 0;
	for (p = tpl; *p; p++)
	{
		const char *e;

		if (*p == '}')
			return -1;
		if (*p != '{')
			continue;
		for (e = p + 1; *e && *e != '}'; e++)
			if (!cqp_spec_is_param_char(*e))
				return -1;
		if (*e != '}' || e == p + 1)
			return -1;
		if (n < max)
		{
			starts[n] = p + 1;
			lens[n] = (int) (e - p - 1);
		}
		n++;
		p = e;
	}
	return n;
}

static bool
cqp_spec_template_has(const char *tpl, const char *param)
{
	const char *st[SPEC_MAX_PLACEHOLDERS];
	int			ln[SPEC_MAX_PLACEHOLDERS];
	int			n = cqp_spec_template_params(tpl, st, ln, SPEC_MAX_PLACEHOLDERS);
	int			i;

	for (i = 0; i < n && i < SPEC_MAX_PLACEHOLDERS; i++)
		if ((size_t) ln[i] == strlen(param) && strncmp(st[i], param, ln[i]) == 0)
			return true;
	return false;
}

/* Validate an endpoint template (path relative to base_url, or a URL). */
static bool
cqp_spec_get_template(CqpSpecCtx *c, const char *loc, json_t *obj, const char *key,
			 bool required, char **out)
{
	const char *st[SPEC_MAX_PLACEHOLDERS];
	int			ln[SPEC_MAX_PLACEHOLDERS];
	int			n;
	const char *s;

	if (!cqp_spec_get_string(c, loc, obj, key, required, SPEC_MAX_TEMPLATE, out))
		return false;
	if ((s = *out) == NULL)
		return true;
	if (s[0] != '/' && strncmp(s, "http://", 7) != 0 && strncmp(s, "https://", 8) != 0)
		return cqp_spec_fail(c, loc, key, "must start with \"/\" (relative to base_url) or be an http(s) URL");
	if (strchr(s, ' ') || strchr(s, '#'))
		return cqp_spec_fail(c, loc, key, "must not contain spaces or \"#\" (percent-encode them)");
	n = cqp_spec_template_params(s, st, ln, SPEC_MAX_PLACEHOLDERS);
	if (n < 0)
		return cqp_spec_fail(c, loc, key, "malformed placeholder: use {name} with letters, digits, _ . - [ ] $");
	if (n > SPEC_MAX_PLACEHOLDERS)
		return cqp_spec_fail_limit(c, loc, key, "more than %d placeholders", SPEC_MAX_PLACEHOLDERS);
	return true;
}

/*
 * Get a JSON pointer (string) and check that it compiles.  When `compiled`
 * is not NULL it receives the compiled path; otherwise the compiled form is
 * freed.  `wildcard_ok` false rejects "*" segments.  When absent, *out gets
 * `dflt` (if not NULL).
 */
static bool
cqp_spec_get_pointer(CqpSpecCtx *c, const char *loc, json_t *obj, const char *key,
			const char *dflt, bool wildcard_ok, char **out, CqPath **compiled)
{
	CqPath	   *p;
	CqError		perr;

	if (!cqp_spec_get_string(c, loc, obj, key, false, SPEC_MAX_POINTER, out))
		return false;
	if (*out == NULL && dflt != NULL && (*out = cqp_spec_dup(c, dflt)) == NULL)
		return false;
	if (*out == NULL)
		return true;
	memset(&perr, 0, sizeof(perr));
	p = cq_path_compile(*out, &perr);
	if (p == NULL)
	{
		if (perr.kind == CQ_ERR_NOMEM)
			return cqp_spec_oom(c);
		return cqp_spec_fail(c, loc, key, "%s", perr.message[0] ? perr.message : "invalid JSON pointer");
	}
	if (!wildcard_ok && cq_path_has_wildcard(p))
	{
		cq_path_free(p);
		return cqp_spec_fail(c, loc, key, "must not contain a \"*\" segment");
	}
	if (compiled)
		*compiled = p;
	else
		cq_path_free(p);
	return true;
}

/* ------------------------------------------------------------------------
 * Enumerations
 * ------------------------------------------------------------------------ */

typedef struct CqpSpecEnum
{
	const char *name;
	int			value;
} CqpSpecEnum;

static const CqpSpecEnum pagination_names[] = {
	{"none", CQ_PAGE_NONE},
	{"link_header", CQ_PAGE_LINK_HEADER},
	{"next_url", CQ_PAGE_NEXT_URL},
	{"next_token", CQ_PAGE_NEXT_TOKEN},
	{"page_number", CQ_PAGE_PAGE_NUMBER},
	{"offset", CQ_PAGE_OFFSET},
	{NULL, 0}
};

static const CqpSpecEnum auth_names[] = {
	{"none", CQ_AUTH_NONE},
	{"bearer", CQ_AUTH_BEARER},
	{"basic", CQ_AUTH_BASIC},
	{"header", CQ_AUTH_HEADER},
	{"sigv4", CQ_AUTH_SIGV4},
	{NULL, 0}
};

/* Operators; the value is the CQ_OP_* bit.  Aliases follow the canonical. */
static const CqpSpecEnum op_names[] = {
	{"=", CQ_OP_EQ},
	{"<", CQ_OP_LT},
	{"<=", CQ_OP_LE},
	{">", CQ_OP_GT},
	{">=", CQ_OP_GE},
	{"~~", CQ_OP_LIKE},
	{"like", CQ_OP_LIKE},
	{"LIKE", CQ_OP_LIKE},
	{NULL, 0}
};

static int
cqp_spec_enum_lookup(const CqpSpecEnum *names, const char *s)
{
	for (; names->name; names++)
		if (strcmp(names->name, s) == 0)
			return names->value;
	return -1;
}

static bool
cqp_spec_get_enum(CqpSpecCtx *c, const char *loc, json_t *obj, const char *key,
		 const CqpSpecEnum *names, const char *what, bool required, int *out)
{
	json_t	   *v = json_object_get(obj, key);
	const CqpSpecEnum *e;
	char		qs[64];
	char		list[160];
	size_t		o = 0;

	if (v == NULL || json_is_null(v))
	{
		if (required)
			return cqp_spec_fail(c, loc, key, "required");
		return true;
	}
	if (!json_is_string(v))
		return cqp_spec_fail(c, loc, key, "must be a string");
	if (cqp_spec_enum_lookup(names, json_string_value(v)) >= 0)
	{
		*out = cqp_spec_enum_lookup(names, json_string_value(v));
		return true;
	}
	list[0] = '\0';
	for (e = names; e->name && o < sizeof(list); e++)
		o += cqp_spec_strfmt(list + o, sizeof(list) - o, "%s%s", o ? ", " : "", e->name);
	return cqp_spec_fail(c, loc, key, "unknown %s \"%s\" (known: %s)", what,
				cqp_spec_quote(qs, sizeof(qs), json_string_value(v)), list);
}

/* Bit position of a single CQ_OP_* bit (index into CqKeyDef.op_param). */
static int
op_bit(int op)
{
	int			i;

	for (i = 0; i < 6; i++)
		if (op == (1 << i))
			return i;
	return -1;
}

static int
op_parse(const char *s)
{
	const CqpSpecEnum *e;

	for (e = op_names; e->name; e++)
		if (strcmp(e->name, s) == 0)
			return e->value;
	return 0;
}

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
	if (t->keys)
	{
		for (i = 0; i < t->nkeys; i++)
		{
			CqKeyDef   *k = &t->keys[i];

			free(k->column);
			free(k->param);
			for (j = 0; j < 6; j++)
				free(k->op_param[j]);
			free(k->server_option);
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
			cq_path_free(t->columns[i].cpath);
		}
		free(t->columns);
	}
	free_strv(t->pk, t->npk);
	cq_path_free(t->crows);
	cq_path_free(t->cnext);
	cq_path_free(t->cget_rows);
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
 * Duplicate names (sorted, so large specs stay O(n log n))
 * ------------------------------------------------------------------------ */

typedef struct NameIdx
{
	const char *name;
	int			idx;
} NameIdx;

static int
nameidx_cmp(const void *a, const void *b)
{
	const NameIdx *x = a,
			   *y = b;
	int			r = strcmp(x->name, y->name);

	return r ? r : (x->idx - y->idx);
}

/*
 * Find a duplicate among n names (names[i] at stride `stride` bytes from
 * `base`).  Returns the later index of the first duplicate pair in sorted
 * order and its earlier twin in *first, -1 if none, -2 on OOM.
 */
static int
cqp_spec_find_duplicate(const void *base, size_t stride, int n, int *first)
{
	NameIdx    *v;
	int			i,
				dup = -1;

	if (n < 2)
		return -1;
	v = malloc(sizeof(NameIdx) * n);
	if (v == NULL)
		return -2;
	for (i = 0; i < n; i++)
	{
		v[i].name = *(char *const *) ((const char *) base + stride * i);
		v[i].idx = i;
	}
	qsort(v, n, sizeof(NameIdx), nameidx_cmp);
	for (i = 1; i < n; i++)
		if (strcmp(v[i].name, v[i - 1].name) == 0 && (dup < 0 || v[i].idx < dup))
		{
			dup = v[i].idx;
			*first = v[i - 1].idx;
		}
	free(v);
	return dup;
}

/* ------------------------------------------------------------------------
 * Tables
 * ------------------------------------------------------------------------ */

static const char *const table_keys[] = {
	"name", "description", "endpoint", "get_endpoint", "get_rows", "rows",
	"pagination", "keys", "parent", "primary_key", "row_estimate",
	"supports_limit", "columns", NULL
};
static const char *const column_keys[] = {
	"name", "type", "path", "description", "transform", NULL
};
static const char *const key_keys[] = {
	"column", "param", "in", "ops", "op_params", "required", "guaranteed",
	"server_option", "from_parent", NULL
};
static const char *const pagination_keys[] = {
	"type", "next", "next_param", "page_size_param", "page_size", "total", NULL
};
static const char *const parent_pagination_keys[] = {
	"type", "next", "next_param", "page_size_param", "page_size", NULL
};
static const char *const parent_keys[] = {
	"endpoint", "rows", "pagination", "map", NULL
};

/* Where a pagination object stores its fields (table or parent). */
typedef struct PageOut
{
	CqPagination *type;
	char	  **next;
	char	  **next_param;
	char	  **page_size_param;
	int		   *page_size;
	char	  **total;			/* NULL for a parent */
	CqPath	  **cnext;			/* NULL: validate only */
} PageOut;

static bool
parse_pagination(CqpSpecCtx *c, const char *tloc, json_t *obj, PageOut *po)
{
	json_t	   *v = json_object_get(obj, "pagination");
	char		loc[SPEC_LOCLEN];
	int			type = CQ_PAGE_NONE;
	bool		uses_next,
				uses_param;

	cqp_spec_loc_key(loc, tloc, "pagination");
	if (v == NULL || json_is_null(v))
	{
		*po->type = CQ_PAGE_NONE;
		return true;
	}
	if (json_is_string(v))
	{
		/* shorthand: "pagination": "link_header" */
		char		qs[64];

		type = cqp_spec_enum_lookup(pagination_names, json_string_value(v));
		if (type < 0)
			return cqp_spec_fail(c, loc, NULL, "unknown pagination type \"%s\" (known: none, link_header, next_url, next_token, page_number, offset)",
						cqp_spec_quote(qs, sizeof(qs), json_string_value(v)));
		v = NULL;
	}
	else
	{
		if (!cqp_spec_check_object(c, loc, v, po->total ? pagination_keys : parent_pagination_keys))
			return false;
		if (!cqp_spec_get_enum(c, loc, v, "type", pagination_names, "pagination type", true, &type))
			return false;
	}
	*po->type = (CqPagination) type;
	uses_next = (type == CQ_PAGE_NEXT_URL || type == CQ_PAGE_NEXT_TOKEN);
	uses_param = (type == CQ_PAGE_NEXT_TOKEN || type == CQ_PAGE_PAGE_NUMBER || type == CQ_PAGE_OFFSET);
	if (v == NULL)
	{
		if (uses_next)
			return cqp_spec_fail(c, loc, "next", "required for %s pagination (use the object form)",
						pagination_names[type].name);
		if (uses_param)
			return cqp_spec_fail(c, loc, "next_param", "required for %s pagination (use the object form)",
						pagination_names[type].name);
		return true;
	}
	if (!cqp_spec_get_pointer(c, loc, v, "next", NULL, false, po->next, po->cnext))
		return false;
	if (uses_next && *po->next == NULL)
		return cqp_spec_fail(c, loc, "next", "required for %s pagination (a JSON pointer to the next %s in the body)",
					pagination_names[type].name, type == CQ_PAGE_NEXT_URL ? "URL" : "token");
	if (!uses_next && *po->next != NULL)
		return cqp_spec_fail(c, loc, "next", "only next_url and next_token pagination use it");
	if (!cqp_spec_get_string(c, loc, v, "next_param", false, SPEC_MAX_IDENT, po->next_param))
		return false;
	if (*po->next_param && !cqp_spec_is_param(*po->next_param))
		return cqp_spec_fail(c, loc, "next_param", "not a valid query parameter name");
	if (uses_param && *po->next_param == NULL)
		return cqp_spec_fail(c, loc, "next_param", "required for %s pagination (the query parameter to send)",
					pagination_names[type].name);
	if (!uses_param && *po->next_param != NULL)
		return cqp_spec_fail(c, loc, "next_param", "only next_token, page_number and offset pagination use it");
	if (!cqp_spec_get_string(c, loc, v, "page_size_param", false, SPEC_MAX_IDENT, po->page_size_param))
		return false;
	if (*po->page_size_param && !cqp_spec_is_param(*po->page_size_param))
		return cqp_spec_fail(c, loc, "page_size_param", "not a valid query parameter name");
	if (!cqp_spec_get_int(c, loc, v, "page_size", 1, SPEC_MAX_PAGE_SIZE, po->page_size))
		return false;
	if (po->total && !cqp_spec_get_pointer(c, loc, v, "total", NULL, false, po->total, NULL))
		return false;
	return true;
}

static bool
parse_column(CqpSpecCtx *c, const char *loc, json_t *jc, CqColumnDef *col)
{
	char		qs[64];
	char		dflt[SPEC_MAX_IDENT + 2];

	if (!cqp_spec_check_object(c, loc, jc, column_keys))
		return false;
	if (!cqp_spec_get_ident(c, loc, jc, "name", true, &col->name))
		return false;
	if (!cqp_spec_get_text(c, loc, jc, "description", &col->description))
		return false;
	{
		json_t	   *t = json_object_get(jc, "type");
		char		known[200];
		size_t		o = 0;
		int			i;

		if (t == NULL || json_is_null(t))
			return cqp_spec_fail(c, loc, "type", "required");
		if (!json_is_string(t))
			return cqp_spec_fail(c, loc, "type", "must be a string");
		if (json_string_length(t) > 64 || !cq_type_parse(json_string_value(t), &col->type))
		{
			known[0] = '\0';
			for (i = 0; i < CQ_T__COUNT && o < sizeof(known); i++)
			{
				const char *nm = cq_type_name((CqType) i);

				if (nm)
					o += cqp_spec_strfmt(known + o, sizeof(known) - o, "%s%s", o ? ", " : "", nm);
			}
			return cqp_spec_fail(c, loc, "type", "unknown type \"%s\" (known types: %s, each optionally with [])",
						cqp_spec_quote(qs, sizeof(qs), json_string_value(t)), known);
		}
	}
	cqp_spec_strfmt(dflt, sizeof(dflt), "/%s", col->name);
	if (!cqp_spec_get_pointer(c, loc, jc, "path", dflt, true, &col->path, &col->cpath))
		return false;
	if (cq_path_has_wildcard(col->cpath) && !col->type.is_array && col->type.base != CQ_T_JSON)
		return cqp_spec_fail(c, loc, "path", "\"%s\" has a \"*\" segment (many values) but type %s is a scalar: use %s[] or json",
					cqp_spec_quote(qs, sizeof(qs), col->path), cq_type_name(col->type.base),
					cq_type_name(col->type.base));
	if (!cqp_spec_get_string(c, loc, jc, "transform", false, 128, &col->transform))
		return false;
	if (col->transform)
	{
		const char *arg = NULL;

		if (strcmp(col->transform, "last_segment") == 0)
			col->transform_kind = CQ_XFORM_LAST_SEGMENT;
		else if (strncmp(col->transform, "segment_after:", 14) == 0 &&
				 (arg = col->transform + 14)[0] != '\0' && strchr(arg, '/') == NULL)
		{
			col->transform_kind = CQ_XFORM_SEGMENT_AFTER;
			col->transform_arg = strdup(arg);
			if (col->transform_arg == NULL)
				return cqp_spec_fail(c, loc, "transform", "out of memory");
		}
		else
			return cqp_spec_fail(c, loc, "transform", "unknown transform \"%s\" (known: last_segment, segment_after:<segment>)",
						cqp_spec_quote(qs, sizeof(qs), col->transform));
		if (col->type.base == CQ_T_JSON)
			return cqp_spec_fail(c, loc, "transform", "a transform applies to string values: type json takes the value as is");
	}
	return true;
}

static bool
parse_parent(CqpSpecCtx *c, const char *tloc, json_t *jt, CqTableDef *t)
{
	json_t	   *jp = json_object_get(jt, "parent");
	json_t	   *map;
	char		loc[SPEC_LOCLEN];
	char		mloc[SPEC_LOCLEN];
	CqParentDef *p;
	PageOut		po;
	const char *k;
	json_t	   *v;
	int			i = 0;

	if (jp == NULL || json_is_null(jp))
		return true;
	cqp_spec_loc_key(loc, tloc, "parent");
	if (!cqp_spec_check_object(c, loc, jp, parent_keys))
		return false;
	p = t->parent = calloc(1, sizeof(CqParentDef));
	if (p == NULL)
		return cqp_spec_oom(c);
	if (!cqp_spec_get_template(c, loc, jp, "endpoint", true, &p->endpoint))
		return false;
	if (!cqp_spec_get_pointer(c, loc, jp, "rows", "", true, &p->rows, NULL))
		return false;
	po.type = &p->pagination;
	po.next = &p->next;
	po.next_param = &p->next_param;
	po.page_size_param = &p->page_size_param;
	po.page_size = &p->page_size;
	po.total = NULL;
	po.cnext = NULL;
	if (!parse_pagination(c, loc, jp, &po))
		return false;
	map = json_object_get(jp, "map");
	cqp_spec_loc_key(mloc, loc, "map");
	if (map == NULL || json_is_null(map))
		return cqp_spec_fail(c, loc, "map", "required (which child parameter each parent row fills)");
	if (!json_is_object(map) || json_object_size(map) == 0)
		return cqp_spec_fail(c, loc, "map", "must be a non-empty object {\"param\": \"/pointer\"}");
	if (json_object_size(map) > SPEC_MAX_MAP)
		return cqp_spec_fail_limit(c, loc, "map", "more than %d entries", SPEC_MAX_MAP);
	p->map_param = calloc(json_object_size(map), sizeof(char *));
	p->map_path = calloc(json_object_size(map), sizeof(char *));
	if (!p->map_param || !p->map_path)
		return cqp_spec_oom(c);
	p->nmap = (int) json_object_size(map);
	json_object_foreach(map, k, v)
	{
		char		eloc[SPEC_LOCLEN];

		cqp_spec_loc_key(eloc, mloc, k);
		if (!cqp_spec_is_param(k))
			return cqp_spec_fail(c, eloc, NULL, "not a valid parameter name");
		if ((p->map_param[i] = cqp_spec_dup(c, k)) == NULL)
			return false;
		if (!cqp_spec_get_pointer(c, mloc, map, k, NULL, false, &p->map_path[i], NULL))
			return false;
		i++;
	}
	return true;
}

static const char *
cqp_spec_parent_map_lookup(const CqParentDef *p, const char *param)
{
	int			i;

	if (p == NULL)
		return NULL;
	for (i = 0; i < p->nmap; i++)
		if (strcmp(p->map_param[i], param) == 0)
			return p->map_path[i];
	return NULL;
}

static bool
parse_key(CqpSpecCtx *c, const char *loc, json_t *jk, CqTableDef *t, CqKeyDef *k)
{
	json_t	   *ops;
	json_t	   *opp;
	char		qs[64];
	char		oloc[SPEC_LOCLEN];
	int			in = -1;
	size_t		i;

	if (!cqp_spec_check_object(c, loc, jk, key_keys))
		return false;
	if (!cqp_spec_get_ident(c, loc, jk, "column", true, &k->column))
		return false;
	if (cq_table_find_column(t, k->column) < 0)
		return cqp_spec_fail(c, loc, "column", "\"%s\" is not a column of the table (a key column must also be declared in columns)",
					cqp_spec_quote(qs, sizeof(qs), k->column));
	if (!cqp_spec_get_string(c, loc, jk, "param", false, SPEC_MAX_IDENT, &k->param))
		return false;
	if (k->param == NULL && (k->param = cqp_spec_dup(c, k->column)) == NULL)
		return false;
	if (!cqp_spec_is_param(k->param))
		return cqp_spec_fail(c, loc, "param", "\"%s\" is not a valid parameter name", cqp_spec_quote(qs, sizeof(qs), k->param));
	{
		static const CqpSpecEnum in_names[] = {{"path", CQ_IN_PATH}, {"query", CQ_IN_QUERY}, {NULL, 0}};

		if (!cqp_spec_get_enum(c, loc, jk, "in", in_names, "location", false, &in))
			return false;
	}
	if (in < 0)
		in = (cqp_spec_template_has(t->endpoint, k->param) || cqp_spec_template_has(t->get_endpoint, k->param) ||
			  (t->parent && cqp_spec_template_has(t->parent->endpoint, k->param))) ? CQ_IN_PATH : CQ_IN_QUERY;
	k->in = (CqParamIn) in;

	/* operators */
	if (!cqp_spec_get_array(c, loc, jk, "ops", false, 16, &ops))
		return false;
	if (ops == NULL)
		k->ops = CQ_OP_EQ;
	else
	{
		if (json_array_size(ops) == 0)
			return cqp_spec_fail(c, loc, "ops", "must name at least one operator");
		for (i = 0; i < json_array_size(ops); i++)
		{
			json_t	   *o = json_array_get(ops, i);
			int			op;

			cqp_spec_loc_index(oloc, loc, "ops", (int) i);
			if (!json_is_string(o))
				return cqp_spec_fail(c, oloc, NULL, "must be a string");
			op = op_parse(json_string_value(o));
			if (op == 0)
				return cqp_spec_fail(c, oloc, NULL, "unknown operator \"%s\" (known: =, <, <=, >, >=, ~~ or like)",
							cqp_spec_quote(qs, sizeof(qs), json_string_value(o)));
			k->ops |= op;
		}
	}
	opp = json_object_get(jk, "op_params");
	if (opp && !json_is_null(opp))
	{
		const char *ok;
		json_t	   *ov;

		cqp_spec_loc_key(oloc, loc, "op_params");
		if (!json_is_object(opp))
			return cqp_spec_fail(c, oloc, NULL, "must be an object {\"operator\": \"query parameter\"}");
		json_object_foreach(opp, ok, ov)
		{
			char		eloc[SPEC_LOCLEN];
			int			op = op_parse(ok);
			int			bit;

			cqp_spec_loc_key(eloc, oloc, ok);
			if (op == 0)
				return cqp_spec_fail(c, eloc, NULL, "unknown operator (known: =, <, <=, >, >=, ~~ or like)");
			if (op == CQ_OP_EQ)
				return cqp_spec_fail(c, eloc, NULL, "\"=\" is sent as the key's param; use \"param\"");
			if (!(k->ops & op))
				return cqp_spec_fail(c, eloc, NULL, "operator is not listed in ops");
			if (!json_is_string(ov) || !cqp_spec_is_param(json_string_value(ov)))
				return cqp_spec_fail(c, eloc, NULL, "must be a query parameter name");
			bit = op_bit(op);
			free(k->op_param[bit]);
			if ((k->op_param[bit] = cqp_spec_dup(c, json_string_value(ov))) == NULL)
				return false;
		}
	}
	for (i = 1; i < 6; i++)
		if ((k->ops & (1 << i)) && k->op_param[i] == NULL)
		{
			const CqpSpecEnum *e;
			const char *opname = "?";

			for (e = op_names; e->name; e++)
				if (e->value == (1 << i))
				{
					opname = e->name;
					break;
				}
			return cqp_spec_fail(c, loc, "op_params", "operator \"%s\" needs op_params[\"%s\"] (the query parameter that carries it)",
						opname, opname);
		}

	if (!cqp_spec_get_bool(c, loc, jk, "required", &k->required) ||
		!cqp_spec_get_bool(c, loc, jk, "guaranteed", &k->guaranteed) ||
		!cqp_spec_get_bool(c, loc, jk, "from_parent", &k->from_parent))
		return false;
	if (!cqp_spec_get_ident(c, loc, jk, "server_option", false, &k->server_option))
		return false;
	if (k->server_option && c->src)
	{
		int			j;
		bool		found = false;

		for (j = 0; j < c->src->nserver_options; j++)
			if (strcmp(c->src->server_options[j], k->server_option) == 0)
				found = true;
		if (!found)
			return cqp_spec_fail(c, loc, "server_option", "\"%s\" is not declared in the source's server_options",
						cqp_spec_quote(qs, sizeof(qs), k->server_option));
	}
	if (k->from_parent)
	{
		if (t->parent == NULL)
			return cqp_spec_fail(c, loc, "from_parent", "the table has no parent");
		if (cqp_spec_parent_map_lookup(t->parent, k->param) == NULL)
			return cqp_spec_fail(c, loc, "from_parent", "parent.map does not fill {%s}", cqp_spec_quote(qs, sizeof(qs), k->param));
	}
	return true;
}

static const CqKeyDef *
cqp_spec_find_key_by_param(const CqTableDef *t, const char *param, int plen, int in)
{
	int			i;

	for (i = 0; i < t->nkeys; i++)
	{
		const CqKeyDef *k = &t->keys[i];

		if (k->param && (int) strlen(k->param) == plen &&
			strncmp(k->param, param, plen) == 0 && (in < 0 || (int) k->in == in))
			return k;
	}
	return NULL;
}

/* Placeholders of `tpl` must be path-key params (or parent.map params). */
static bool
check_placeholders(CqpSpecCtx *c, const char *tloc, const char *key, const CqTableDef *t,
				   const char *tpl, bool map_ok)
{
	const char *st[SPEC_MAX_PLACEHOLDERS];
	int			ln[SPEC_MAX_PLACEHOLDERS];
	int			n = cqp_spec_template_params(tpl, st, ln, SPEC_MAX_PLACEHOLDERS);
	int			i;

	for (i = 0; i < n; i++)
	{
		char		name[SPEC_MAX_IDENT + 1];

		cqp_spec_strfmt(name, sizeof(name), "%.*s", ln[i], st[i]);
		if (cqp_spec_find_key_by_param(t, st[i], ln[i], CQ_IN_PATH))
			continue;
		if (map_ok && cqp_spec_parent_map_lookup(t->parent, name))
			continue;
		if (cqp_spec_find_key_by_param(t, st[i], ln[i], CQ_IN_QUERY))
			return cqp_spec_fail(c, tloc, key, "placeholder {%s} belongs to a key with \"in\": \"query\"", name);
		return cqp_spec_fail(c, tloc, key, "placeholder {%s} is not a key parameter%s", name,
					map_ok && t->parent ? " nor filled by parent.map" : "");
	}
	return true;
}

/*
 * Parse one table object into *t (zeroed by the caller).  On failure the
 * partial table is left for the caller to clear.
 */
static bool
cqp_spec_table_parse(CqpSpecCtx *c, const char *loc, json_t *jt, CqTableDef *t)
{
	json_t	   *arr;
	PageOut		po;
	char		where[SPEC_LOCLEN];
	char		qs[64];
	size_t		i;
	int			j,
				first;

	if (!cqp_spec_check_object(c, loc, jt, table_keys))
		return false;
	if (!cqp_spec_get_ident(c, loc, jt, "name", true, &t->name) ||
		!cqp_spec_get_text(c, loc, jt, "description", &t->description) ||
		!cqp_spec_get_template(c, loc, jt, "endpoint", true, &t->endpoint) ||
		!cqp_spec_get_template(c, loc, jt, "get_endpoint", false, &t->get_endpoint) ||
		!cqp_spec_get_pointer(c, loc, jt, "rows", "", true, &t->rows, &t->crows) ||
		!cqp_spec_get_pointer(c, loc, jt, "get_rows", t->rows, true, &t->get_rows, &t->cget_rows))
		return false;

	po.type = &t->pagination;
	po.next = &t->next;
	po.next_param = &t->next_param;
	po.page_size_param = &t->page_size_param;
	po.page_size = &t->page_size;
	po.total = &t->total;
	po.cnext = &t->cnext;
	if (!parse_pagination(c, loc, jt, &po))
		return false;

	/* columns */
	if (!cqp_spec_get_array(c, loc, jt, "columns", true, SPEC_MAX_COLUMNS, &arr))
		return false;
	if (json_array_size(arr) == 0)
		return cqp_spec_fail(c, loc, "columns", "a table needs at least one column");
	t->columns = calloc(json_array_size(arr), sizeof(CqColumnDef));
	if (t->columns == NULL)
		return cqp_spec_oom(c);
	t->ncolumns = (int) json_array_size(arr);
	for (i = 0; i < json_array_size(arr); i++)
	{
		cqp_spec_loc_index(where, loc, "columns", (int) i);
		if (!parse_column(c, where, json_array_get(arr, i), &t->columns[i]))
			return false;
	}
	j = cqp_spec_find_duplicate(t->columns, sizeof(CqColumnDef), t->ncolumns, &first);
	if (j == -2)
		return cqp_spec_oom(c);
	if (j >= 0)
	{
		cqp_spec_loc_index(where, loc, "columns", j);
		return cqp_spec_fail(c, where, "name", "duplicate column \"%s\" (also columns[%d])",
					cqp_spec_quote(qs, sizeof(qs), t->columns[j].name), first);
	}

	/* parent before keys: from_parent refers to parent.map */
	if (!parse_parent(c, loc, jt, t))
		return false;

	/* keys */
	if (!cqp_spec_get_array(c, loc, jt, "keys", false, SPEC_MAX_KEYS, &arr))
		return false;
	if (arr && json_array_size(arr) > 0)
	{
		t->keys = calloc(json_array_size(arr), sizeof(CqKeyDef));
		if (t->keys == NULL)
			return cqp_spec_oom(c);
		t->nkeys = (int) json_array_size(arr);
		for (i = 0; i < json_array_size(arr); i++)
		{
			cqp_spec_loc_index(where, loc, "keys", (int) i);
			if (!parse_key(c, where, json_array_get(arr, i), t, &t->keys[i]))
				return false;
			for (j = 0; j < (int) i; j++)
			{
				if (strcmp(t->keys[j].column, t->keys[i].column) == 0)
					return cqp_spec_fail(c, where, "column", "duplicate key column \"%s\" (also keys[%d])",
								cqp_spec_quote(qs, sizeof(qs), t->keys[i].column), j);
				if (t->keys[i].in == CQ_IN_PATH && t->keys[j].in == CQ_IN_PATH &&
					strcmp(t->keys[j].param, t->keys[i].param) == 0)
					return cqp_spec_fail(c, where, "param", "{%s} is already the param of keys[%d]",
								cqp_spec_quote(qs, sizeof(qs), t->keys[i].param), j);
			}
		}
	}

	/* cross-checks between templates, keys and parent.map */
	if (!check_placeholders(c, loc, "endpoint", t, t->endpoint, true) ||
		!check_placeholders(c, loc, "get_endpoint", t, t->get_endpoint, true))
		return false;
	if (t->parent)
	{
		char		ploc[SPEC_LOCLEN];

		cqp_spec_loc_key(ploc, loc, "parent");
		if (!check_placeholders(c, ploc, "endpoint", t, t->parent->endpoint, false))
			return false;
		for (j = 0; j < t->parent->nmap; j++)
		{
			const char *mp = t->parent->map_param[j];

			if (!cqp_spec_template_has(t->endpoint, mp) && !cqp_spec_template_has(t->get_endpoint, mp) &&
				cqp_spec_find_key_by_param(t, mp, (int) strlen(mp), -1) == NULL)
			{
				char		mloc[SPEC_LOCLEN];

				cqp_spec_loc_key(mloc, ploc, "map");
				cqp_spec_loc_key(where, mloc, mp);
				return cqp_spec_fail(c, where, NULL, "fills {%s}, which is neither an endpoint placeholder nor a key parameter",
							cqp_spec_quote(qs, sizeof(qs), mp));
			}
		}
	}
	for (j = 0; j < t->nkeys; j++)
	{
		const CqKeyDef *k = &t->keys[j];
		bool		in_tpl = cqp_spec_template_has(t->endpoint, k->param) ||
			cqp_spec_template_has(t->get_endpoint, k->param) ||
			(t->parent && cqp_spec_template_has(t->parent->endpoint, k->param));

		cqp_spec_loc_index(where, loc, "keys", j);
		if (k->in == CQ_IN_PATH && !in_tpl)
			return cqp_spec_fail(c, where, "in", "\"path\" but no endpoint has a {%s} placeholder",
						cqp_spec_quote(qs, sizeof(qs), k->param));
	}

	/* primary key */
	if (!cqp_spec_get_name_list(c, loc, jt, "primary_key", true, SPEC_MAX_KEYS, &t->npk, &t->pk))
		return false;
	for (j = 0; j < t->npk; j++)
		if (cq_table_find_column(t, t->pk[j]) < 0)
		{
			cqp_spec_loc_index(where, loc, "primary_key", j);
			return cqp_spec_fail(c, where, NULL, "\"%s\" is not a column of the table",
						cqp_spec_quote(qs, sizeof(qs), t->pk[j]));
		}

	/* estimates and LIMIT */
	{
		json_t	   *re = json_object_get(jt, "row_estimate");

		t->row_estimate = SPEC_DEFAULT_ROW_ESTIMATE;
		if (re && !json_is_null(re))
		{
			if (!json_is_number(re) || !(json_number_value(re) > 0) ||
				json_number_value(re) > 1e15)
				return cqp_spec_fail(c, loc, "row_estimate", "must be a number > 0");
			t->row_estimate = json_number_value(re);
		}
	}
	if (!cqp_spec_get_bool(c, loc, jt, "supports_limit", &t->supports_limit))
		return false;
	if (t->supports_limit && t->page_size_param == NULL)
		return cqp_spec_fail(c, loc, "supports_limit", "needs pagination.page_size_param (the parameter that carries LIMIT)");
	return true;
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

		for (s = def->sigv4; *s; s++)
		{
			if (*s == ':')
				colons++;
			else if (!cqp_spec_is_param_char(*s))
				break;
		}
		if (*s || colons > 3 || def->sigv4[0] == ':' || def->sigv4[0] == '\0')
			return cqp_spec_fail(c, "", "sigv4", "must look like \"provider1[:provider2[:region[:service]]]\"");
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

/* ------------------------------------------------------------------------
 * Lookups (any thread; the definition is immutable)
 * ------------------------------------------------------------------------ */

/* The table named `name`, or NULL. */
const CqTableDef *
cq_source_find_table(const CqSourceDef *def, const char *name)
{
	int			i;

	if (def == NULL || name == NULL)
		return NULL;
	for (i = 0; i < def->ntables; i++)
		if (strcmp(def->tables[i].name, name) == 0)
			return &def->tables[i];
	return NULL;
}

/* Index of column `name` in t->columns, or -1. */
int
cq_table_find_column(const CqTableDef *t, const char *name)
{
	int			i;

	if (t == NULL || name == NULL)
		return -1;
	for (i = 0; i < t->ncolumns; i++)
		if (t->columns[i].name && strcmp(t->columns[i].name, name) == 0)
			return i;
	return -1;
}

/* The key whose column is `col`, or NULL. */
const CqKeyDef *
cq_table_find_key(const CqTableDef *t, const char *col)
{
	int			i;

	if (t == NULL || col == NULL)
		return NULL;
	for (i = 0; i < t->nkeys; i++)
		if (strcmp(t->keys[i].column, col) == 0)
			return &t->keys[i];
	return NULL;
}

/* ------------------------------------------------------------------------
 * Missing keys
 * ------------------------------------------------------------------------ */

static bool
is_given(const char *col, int ngiven, const char *const *given)
{
	int			i;

	for (i = 0; i < ngiven; i++)
		if (given[i] && strcmp(given[i], col) == 0)
			return true;
	return false;
}

static void
add_missing(const char **out, int *n, int max, const char *col)
{
	int			i;

	for (i = 0; i < *n; i++)
		if (strcmp(out[i], col) == 0)
			return;
	if (*n < max)
		out[(*n)++] = col;
}

/* Are all placeholders of tpl filled by given path keys?  Missing columns
 * (of keys owning unfilled placeholders) are added to out when not NULL. */
static bool
template_given(const CqTableDef *t, const char *tpl, int ngiven,
			   const char *const *given, const char **out, int *nout, int max)
{
	const char *st[SPEC_MAX_PLACEHOLDERS];
	int			ln[SPEC_MAX_PLACEHOLDERS];
	int			n = cqp_spec_template_params(tpl, st, ln, SPEC_MAX_PLACEHOLDERS);
	int			i;
	bool		ok = true;

	for (i = 0; i < n && i < SPEC_MAX_PLACEHOLDERS; i++)
	{
		const CqKeyDef *k = cqp_spec_find_key_by_param(t, st[i], ln[i], CQ_IN_PATH);

		if (k && is_given(k->column, ngiven, given))
			continue;
		ok = false;
		if (k && out)
			add_missing(out, nout, max, k->column);
	}
	return ok;
}

/* Missing columns when scanning through `tpl` (endpoint or get_endpoint). */
static int
missing_for(const CqTableDef *t, const char *tpl, int ngiven,
			const char *const *given, const char **out, int max)
{
	const char *st[SPEC_MAX_PLACEHOLDERS];
	int			ln[SPEC_MAX_PLACEHOLDERS];
	int			n = cqp_spec_template_params(tpl, st, ln, SPEC_MAX_PLACEHOLDERS);
	int			nout = 0;
	int			i;
	bool		parent_ok = t->parent &&
		template_given(t, t->parent->endpoint, ngiven, given, NULL, NULL, 0);

	for (i = 0; i < n && i < SPEC_MAX_PLACEHOLDERS; i++)
	{
		const CqKeyDef *k = cqp_spec_find_key_by_param(t, st[i], ln[i], CQ_IN_PATH);
		char		name[SPEC_MAX_IDENT + 1];

		if (k && is_given(k->column, ngiven, given))
			continue;
		cqp_spec_strfmt(name, sizeof(name), "%.*s", ln[i], st[i]);
		if (parent_ok && cqp_spec_parent_map_lookup(t->parent, name))
			continue;
		if (k)
			add_missing(out, &nout, max, k->column);
		else if (t->parent)
			/* filled only by the parent: what the parent lacks */
			template_given(t, t->parent->endpoint, ngiven, given, out, &nout, max);
	}
	/* required query keys */
	for (i = 0; i < t->nkeys; i++)
	{
		const CqKeyDef *k = &t->keys[i];

		if (!k->required || k->in != CQ_IN_QUERY || is_given(k->column, ngiven, given))
			continue;
		if (k->from_parent && parent_ok)
			continue;
		add_missing(out, &nout, max, k->column);
	}
	return nout;
}

/*
 * cq_table_missing_keys
 *		See cq_sdk.h.  Rules: every {param} of the endpoint needs a given
 *		in=path key column, or a parent.map entry when every {param} of the
 *		parent endpoint is given; a required in=query key needs its column
 *		(or the parent, when from_parent).  When the endpoint cannot run but
 *		get_endpoint can, nothing is missing.  A key with server_option is
 *		given only if the caller lists it.  Names are borrowed from t.
 */
int
cq_table_missing_keys(const CqTableDef *t, int ngiven,
					  const char *const *given,
					  const char **missing, int maxmissing)
{
	const char *all[SPEC_MAX_KEYS + SPEC_MAX_PLACEHOLDERS];
	int			n,
				i;

	if (t == NULL)
		return 0;
	if (given == NULL)
		ngiven = 0;
	n = missing_for(t, t->endpoint, ngiven, given, all, (int) (sizeof(all) / sizeof(all[0])));
	if (n > 0 && t->get_endpoint)
	{
		const char *alt[SPEC_MAX_KEYS + SPEC_MAX_PLACEHOLDERS];

		if (missing_for(t, t->get_endpoint, ngiven, given, alt,
						(int) (sizeof(alt) / sizeof(alt[0]))) == 0)
			n = 0;
	}
	for (i = 0; i < n && i < maxmissing && missing; i++)
		missing[i] = all[i];
	return n;
}
