/*-------------------------------------------------------------------------
 *
 * spec_lookup.c
 *		  Queries on a parsed definition: find a table, column or key, and
 *		  the missing-key rules (which WHERE columns a scan needs).
 *
 * Invariants:
 *	- every function only reads the definition (which is immutable after
 *	  parsing), so any thread may call them concurrently without locking;
 *	- nothing allocates: returned names and pointers are borrowed from the
 *	  definition and live as long as it;
 *	- cq_table_find_column and the two cqp_spec_ lookups also run on a
 *	  table that spec_table.c is still parsing (its cross-checks), so they
 *	  tolerate a NULL column name or key param and a NULL parent.
 *
 * Copyright (c) 2026, cq_fdw developers
 *
 *-------------------------------------------------------------------------
 */
#include <string.h>

#include "cq_sdk.h"
#include "cq_sdk_int.h"
#include "spec_int.h"

/* ------------------------------------------------------------------------
 * Private lookups (also used by spec_table.c while parsing)
 * ------------------------------------------------------------------------ */

const char *
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

const CqKeyDef *
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
