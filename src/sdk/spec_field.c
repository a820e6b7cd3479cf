/*-------------------------------------------------------------------------
 *
 * spec_field.c
 *		  The spec validator's primitives: error reporting with a location,
 *		  the unknown-key check, typed field readers, templates, JSON
 *		  pointers, enumerations and duplicate names.
 *
 * Invariants (spec_table.c and spec.c rely on them):
 *	- every failure goes through cqp_spec_fail/cqp_spec_fail_limit/
 *	  cqp_spec_oom, which fill c->err once and return false, so a caller
 *	  can `return cqp_spec_get_x(...)`-chain and stop at the first problem;
 *	  the message is "<location>: <problem>" and err->path the location;
 *	- spec text never reaches a format string: it is an argument, passed
 *	  through cqp_spec_quote (<= 48 bytes, no control characters, quotes or
 *	  backslashes, UTF-8 not cut), and every location/message buffer is
 *	  bounded (SPEC_LOCLEN, 256 bytes);
 *	- a reader stores only a malloc'd copy, into a field of the definition
 *	  being built, freeing what the field held; whatever it returns, the
 *	  field holds NULL or a string the definition owns, never a dangling
 *	  pointer, so freeing a half-parsed definition is safe;
 *	- a string accepted by a reader holds no NUL and no control character
 *	  (descriptions may hold tab, CR, LF); identifiers are lower_snake_case
 *	  of at most SPEC_MAX_IDENT bytes; a template's placeholders are
 *	  well-formed {name}s, at most SPEC_MAX_PLACEHOLDERS.
 *
 * Thread safety: reentrant; no global state.
 *
 * Copyright (c) 2026, cq_fdw developers
 *
 *-------------------------------------------------------------------------
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cq_sdk.h"
#include "cq_sdk_int.h"
#include "spec_int.h"

/* ------------------------------------------------------------------------
 * Parsing context and error reporting
 * ------------------------------------------------------------------------ */

/*
 * snprintf that truncates silently: locations and messages are bounded on
 * purpose (gcc's -Wformat-truncation would flag every intentional cut).
 */
int
cqp_spec_strfmt(char *out, size_t n, const char *fmt,...)
{
	va_list		ap;
	int			r;

	va_start(ap, fmt);
	r = vsnprintf(out, n, fmt, ap);
	va_end(ap);
	return r;
}

/*
 * Quote spec text for a message: at most 48 bytes, control characters and
 * quotes replaced by '?', "..." appended when truncated.  Never used as a
 * format.
 */
const char *
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

bool
cqp_spec_fail(CqpSpecCtx *c, const char *loc, const char *key, const char *fmt,...)
{
	va_list		ap;

	va_start(ap, fmt);
	failv(c, CQ_ERR_CONFIG, loc, key, fmt, ap);
	va_end(ap);
	return false;
}

bool
cqp_spec_fail_limit(CqpSpecCtx *c, const char *loc, const char *key, const char *fmt,...)
{
	va_list		ap;

	va_start(ap, fmt);
	failv(c, CQ_ERR_LIMIT, loc, key, fmt, ap);
	va_end(ap);
	return false;
}

bool
cqp_spec_oom(CqpSpecCtx *c)
{
	cq_error_set(c->err, CQ_ERR_NOMEM, "out of memory parsing a spec");
	return false;
}

/* Child location "loc.key[i]" (or "key[i]" at the top). */
void
cqp_spec_loc_index(char *out, const char *loc, const char *key, int i)
{
	if (loc[0])
		cqp_spec_strfmt(out, SPEC_LOCLEN, "%s.%s[%d]", loc, key, i);
	else
		cqp_spec_strfmt(out, SPEC_LOCLEN, "%s[%d]", key, i);
}

/* Child location "loc.key". */
void
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
bool
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
bool
cqp_spec_is_param_char(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		(ch >= '0' && ch <= '9') || ch == '_' || ch == '.' || ch == '-' ||
		ch == '[' || ch == ']' || ch == '$';
}

bool
cqp_spec_is_param(const char *s)
{
	size_t		i;

	for (i = 0; s[i]; i++)
		if (!cqp_spec_is_param_char(s[i]))
			return false;
	return i > 0 && i <= SPEC_MAX_IDENT;
}

/* An HTTP header field name (RFC 9110 token). */
bool
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
bool
cqp_spec_header_value_ok(const char *s)
{
	for (; *s; s++)
		if (((unsigned char) *s < 0x20 && *s != '\t') || *s == 0x7f)
			return false;
	return true;
}

char *
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

bool
cqp_spec_get_string(CqpSpecCtx *c, const char *loc, json_t *obj, const char *key,
		   bool required, size_t maxlen, char **out)
{
	return get_string_ex(c, loc, obj, key, required, maxlen, false, out);
}

/* Free text (descriptions): tabs and line breaks allowed. */
bool
cqp_spec_get_text(CqpSpecCtx *c, const char *loc, json_t *obj, const char *key, char **out)
{
	return get_string_ex(c, loc, obj, key, false, SPEC_MAX_TEXT, true, out);
}

bool
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

bool
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

bool
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
bool
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
bool
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
int
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

bool
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
bool
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
get_pointer(CqpSpecCtx *c, const char *loc, json_t *obj, const char *key,
			const char *dflt, bool wildcard_ok, bool column, char **out, CqPath **compiled)
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
	p = column ? cqp_path_compile_column(*out, &perr) : cq_path_compile(*out, &perr);
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

bool
cqp_spec_get_pointer(CqpSpecCtx *c, const char *loc, json_t *obj, const char *key,
			const char *dflt, bool wildcard_ok, char **out, CqPath **compiled)
{
	return get_pointer(c, loc, obj, key, dflt, wildcard_ok, false, out, compiled);
}

/*
 * A column's path: a JSON pointer that may also start with '^' (an
 * enclosing element of the row) and hold lookup segments key[member=value]
 * (path.c); the table checks what they refer to.
 */
bool
cqp_spec_get_column_path(CqpSpecCtx *c, const char *loc, json_t *obj, const char *key,
						 const char *dflt, char **out, CqPath **compiled)
{
	return get_pointer(c, loc, obj, key, dflt, true, true, out, compiled);
}

/* ------------------------------------------------------------------------
 * Enumerations
 * ------------------------------------------------------------------------ */

int
cqp_spec_enum_lookup(const CqpSpecEnum *names, const char *s)
{
	for (; names->name; names++)
		if (strcmp(names->name, s) == 0)
			return names->value;
	return -1;
}

bool
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
int
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
