/*-------------------------------------------------------------------------
 *
 * spec_int.h
 *		  Private declarations shared by the spec parser's files.
 *
 * The spec parser is split by concern:
 *	spec.c			entry points (cq_spec_parse, cq_spec_parse_table,
 *					cq_spec_load_file), the source object, freeing
 *	spec_table.c	one table object: columns, pagination, parent, keys and
 *					their cross-checks
 *	spec_field.c	the validator's primitives: error reporting with a
 *					location, unknown-key check, typed field readers,
 *					templates, JSON pointers, enumerations, duplicates
 *	spec_lookup.c	queries on a parsed definition: lookups and the
 *					missing-key rules
 *
 * Not installed; only these files and their unit tests include it.  Every
 * function here is reentrant: the parsing context lives on the caller's
 * stack, and nothing keeps global state.  A "reader" (cqp_spec_get_*)
 * returns false with c->err filled, or true; on success a missing optional
 * key leaves *out unchanged.  Strings it stores are malloc'd and owned by
 * the definition being built (freed by cq_source_def_free/cq_table_def_free
 * even when parsing stops half-way).
 *
 * Copyright (c) 2026, cq_fdw developers
 *
 *-------------------------------------------------------------------------
 */
#ifndef SPEC_INT_H
#define SPEC_INT_H

#include "cq_sdk.h"
#include "cq_sdk_int.h"

/* ------------------------------------------------------------------------
 * in spec_field.c
 * ------------------------------------------------------------------------ */

/* Parsing context: where errors go, and the source being parsed. */
typedef struct CqpSpecCtx
{
	CqError    *err;
	const CqSourceDef *src;		/* the source being parsed; NULL for a lone
								 * table (cq_spec_parse_table) */
} CqpSpecCtx;

/* Location strings are built in fixed buffers of this size. */
#define SPEC_LOCLEN 160

/* A spec enumeration: name -> value, NULL-terminated. */
typedef struct CqpSpecEnum
{
	const char *name;
	int			value;
} CqpSpecEnum;

/* snprintf that truncates silently (bounded locations and messages). */
extern int	cqp_spec_strfmt(char *out, size_t n, const char *fmt,...)
			__attribute__((format(printf, 3, 4)));

/* Quote spec text for a message (<= 48 bytes, sanitized); returns buf. */
extern const char *cqp_spec_quote(char *buf, size_t buflen, const char *s);

/*
 * Set a CQ_ERR_CONFIG (cqp_spec_fail) or CQ_ERR_LIMIT (cqp_spec_fail_limit)
 * error "<loc>[.<key>]: <message>" with err->path = the location; always
 * return false.  `fmt` is a literal; spec text only arrives as an argument.
 */
extern bool cqp_spec_fail(CqpSpecCtx *c, const char *loc, const char *key,
						  const char *fmt,...)
			__attribute__((format(printf, 4, 5)));
extern bool cqp_spec_fail_limit(CqpSpecCtx *c, const char *loc,
								const char *key, const char *fmt,...)
			__attribute__((format(printf, 4, 5)));
/* CQ_ERR_NOMEM; returns false. */
extern bool cqp_spec_oom(CqpSpecCtx *c);

/* Child locations "loc.key[i]" and "loc.key" (out: SPEC_LOCLEN bytes). */
extern void cqp_spec_loc_index(char *out, const char *loc, const char *key,
							   int i);
extern void cqp_spec_loc_key(char *out, const char *loc, const char *key);

/* `v` must be an object whose keys are in `known` (or start with "_"). */
extern bool cqp_spec_check_object(CqpSpecCtx *c, const char *loc, json_t *v,
								  const char *const *known);

/* Character classes. */
extern bool cqp_spec_is_param_char(char ch);
extern bool cqp_spec_is_param(const char *s);
extern bool cqp_spec_is_header_name(const char *s, size_t len);
extern bool cqp_spec_header_value_ok(const char *s);

/* strdup, or NULL with CQ_ERR_NOMEM set. */
extern char *cqp_spec_dup(CqpSpecCtx *c, const char *s);

/* Typed field readers (see the file). */
extern bool cqp_spec_get_string(CqpSpecCtx *c, const char *loc, json_t *obj,
								const char *key, bool required, size_t maxlen,
								char **out);
extern bool cqp_spec_get_text(CqpSpecCtx *c, const char *loc, json_t *obj,
							  const char *key, char **out);
extern bool cqp_spec_get_ident(CqpSpecCtx *c, const char *loc, json_t *obj,
							   const char *key, bool required, char **out);
extern bool cqp_spec_get_bool(CqpSpecCtx *c, const char *loc, json_t *obj,
							  const char *key, bool *out);
extern bool cqp_spec_get_int(CqpSpecCtx *c, const char *loc, json_t *obj,
							 const char *key, json_int_t lo, json_int_t hi,
							 int *out);
extern bool cqp_spec_get_array(CqpSpecCtx *c, const char *loc, json_t *obj,
							   const char *key, bool required, size_t max,
							   json_t **arr);
extern bool cqp_spec_get_name_list(CqpSpecCtx *c, const char *loc,
								   json_t *obj, const char *key, bool ident,
								   size_t max, int *n, char ***out);

/* Templates ("/repos/{owner}/{repo}") and JSON pointers. */
extern int	cqp_spec_template_params(const char *tpl, const char **starts,
									 int *lens, int max);
extern bool cqp_spec_template_has(const char *tpl, const char *param);
extern bool cqp_spec_get_template(CqpSpecCtx *c, const char *loc,
								  json_t *obj, const char *key, bool required,
								  char **out);
extern bool cqp_spec_get_pointer(CqpSpecCtx *c, const char *loc, json_t *obj,
								 const char *key, const char *dflt,
								 bool wildcard_ok, char **out,
								 CqPath **compiled);
extern bool cqp_spec_get_column_path(CqpSpecCtx *c, const char *loc, json_t *obj,
									 const char *key, const char *dflt,
									 char **out, CqPath **compiled);

/* Enumerations. */
extern int	cqp_spec_enum_lookup(const CqpSpecEnum *names, const char *s);
extern bool cqp_spec_get_enum(CqpSpecCtx *c, const char *loc, json_t *obj,
							  const char *key, const CqpSpecEnum *names,
							  const char *what, bool required, int *out);

/* Duplicate names: later index of the first duplicate, -1 none, -2 OOM. */
extern int	cqp_spec_find_duplicate(const void *base, size_t stride, int n,
									int *first);

/* ------------------------------------------------------------------------
 * in spec_table.c
 * ------------------------------------------------------------------------ */

/*
 * Parse one table object into *t (zeroed by the caller).  On failure the
 * partial table is left for the caller to clear.
 */
extern bool cqp_spec_table_parse(CqpSpecCtx *c, const char *loc, json_t *jt,
								 CqTableDef *t);

/* ------------------------------------------------------------------------
 * in spec_lookup.c
 * ------------------------------------------------------------------------ */

/* The pointer parent.map gives for `param`, or NULL (p may be NULL). */
extern const char *cqp_spec_parent_map_lookup(const CqParentDef *p,
											  const char *param);

/* The key whose param is param[0..plen) and (in >= 0) whose `in` is `in`. */
extern const CqKeyDef *cqp_spec_find_key_by_param(const CqTableDef *t,
												  const char *param, int plen,
												  int in);

#endif							/* SPEC_INT_H */
