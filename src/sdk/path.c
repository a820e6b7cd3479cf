/*-------------------------------------------------------------------------
 *
 * path.c
 *		  CqPath: compiled JSON pointers (RFC 6901) with "*" wildcards, and
 *		  extraction of a column value from a row by path.
 *
 * Invariants:
 *	- A compiled CqPath is immutable and may be shared by threads.
 *	- A segment that is exactly "*" is always a wildcard: it ranges over the
 *	  elements of an array or the values of an object, in document order
 *	  (jansson keeps object keys in insertion order).  RFC 6901 has no
 *	  escape for '*', so a literal key "*" cannot be addressed.
 *	- "~0" and "~1" are the only escapes; any other '~' is a compile error.
 *	- A numeric segment indexes an array (decimal, no leading zero, no sign);
 *	  against an object it is a key.  "-" never matches (past the end).
 *	- Resolution never allocates, never modifies the document and recurses
 *	  only as deep as the number of segments of the path.
 *	- Column paths only (cqp_path_compile_column): a prefix of n '^'
 *	  ("^/metadata/name", "^^/id") resolves against the element the n-th
 *	  last "*" of the rows pointer matched (CqPathEnv.up[n-1]) instead of
 *	  the row; a segment "key[member=value]" is a lookup: in the array at
 *	  "key" ("" = the current value), the first object whose "member"
 *	  equals value, where value is literal text or "$column", the JSON value
 *	  of another column of the same row (CqPathEnv.vars).  A lookup selects
 *	  one element: it is not a wildcard.  cq_path_compile rejects '^' and
 *	  reads such a segment as a plain key, so every other pointer of a spec
 *	  stays plain RFC 6901 plus "*".
 *
 * Copyright (c) 2026, cq_fdw developers
 *
 *-------------------------------------------------------------------------
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cq_sdk.h"
#include "cq_sdk_int.h"

#define PATH_MAX_LEN		4096

typedef struct PathSeg
{
	char	   *key;			/* unescaped, NUL-terminated */
	size_t		keylen;
	bool		wild;
	bool		is_index;		/* key is a valid array index */
	size_t		index;
	bool		lookup;			/* key[member=value]: key is the part before '[' */
	char	   *lk_member;
	size_t		lk_mlen;
	char	   *lk_value;		/* literal value (lk_var < 0) */
	size_t		lk_vlen;
	int			lk_var;			/* index into CqPathEnv.vars, or -1 */
} PathSeg;

struct CqPath
{
	int			nseg;
	bool		has_wild;
	bool		has_lookup;
	int			up;				/* leading '^' count */
	int			nvars;
	const char *vars[CQ_PATH_MAX_VARS]; /* column names of "$column" lookups */
	PathSeg    *seg;
	char	   *buf;			/* storage of all keys */
};

static CqPath *path_compile(const char *pointer, bool column, CqError *err);

/*
 * cq_path_compile
 *		Compile a JSON pointer.  "" is the whole document; otherwise it must
 *		start with '/'.  Returns NULL and sets err (CQ_ERR_CONFIG) on a bad
 *		pointer or NULL on OOM (CQ_ERR_NOMEM).  Caller frees with
 *		cq_path_free.  Any thread.
 */
CqPath *
cq_path_compile(const char *pointer, CqError *err)
{
	return path_compile(pointer, false, err);
}

/*
 * cqp_path_compile_column
 *		cq_path_compile for a column path: also accepts a '^' prefix and
 *		lookup segments (see the invariants above).
 */
CqPath *
cqp_path_compile_column(const char *pointer, CqError *err)
{
	return path_compile(pointer, true, err);
}

/* Split a segment "key[member=value]" into its parts; false if not one. */
static bool
parse_lookup(PathSeg *sg, CqPath *p, CqError *err, bool *bad)
{
	char	   *open,
			   *eq;

	*bad = false;
	if (sg->keylen < 4 || sg->key[sg->keylen - 1] != ']' ||
		(open = memchr(sg->key, '[', sg->keylen)) == NULL ||
		(eq = memchr(open, '=', (size_t) (sg->key + sg->keylen - open))) == NULL)
		return false;
	if (eq == open + 1)
	{
		cq_error_set(err, CQ_ERR_CONFIG,
					 "invalid lookup segment \"%s\": use key[member=value] or key[member=$column]",
					 sg->key);
		*bad = true;
		return false;
	}
	sg->lookup = true;
	sg->lk_member = open + 1;
	sg->lk_mlen = (size_t) (eq - open - 1);
	sg->lk_value = eq + 1;
	sg->lk_vlen = (size_t) (sg->key + sg->keylen - 1 - (eq + 1));
	sg->key[sg->keylen - 1] = '\0';	/* value ends here */
	*eq = '\0';
	*open = '\0';
	sg->keylen = (size_t) (open - sg->key);
	sg->is_index = false;
	sg->lk_var = -1;
	if (sg->lk_vlen > 1 && sg->lk_value[0] == '$')
	{
		int			i;

		for (i = 0; i < p->nvars; i++)
			if (strcmp(p->vars[i], sg->lk_value + 1) == 0)
				break;
		if (i == p->nvars)
		{
			if (p->nvars == CQ_PATH_MAX_VARS)
			{
				cq_error_set(err, CQ_ERR_CONFIG, "more than %d \"$column\" lookups in one path",
							 CQ_PATH_MAX_VARS);
				*bad = true;
				return false;
			}
			p->vars[p->nvars++] = sg->lk_value + 1;
		}
		sg->lk_var = i;
	}
	p->has_lookup = true;
	return true;
}

static CqPath *
path_compile(const char *pointer, bool column, CqError *err)
{
	CqPath	   *p;
	size_t		len,
				i;
	int			nseg = 0;
	int			up = 0;
	char	   *o;

	if (pointer == NULL)
	{
		cq_error_set(err, CQ_ERR_CONFIG, "JSON pointer is missing");
		return NULL;
	}
	if (column)
	{
		while (pointer[up] == '^')
			up++;
		if (up > CQ_PATH_MAX_UP)
		{
			cq_error_set(err, CQ_ERR_CONFIG, "more than %d \"^\" in a column path", CQ_PATH_MAX_UP);
			return NULL;
		}
		pointer += up;
	}
	len = strlen(pointer);
	if (len > PATH_MAX_LEN)
	{
		cq_error_set(err, CQ_ERR_CONFIG, "JSON pointer is longer than %d bytes",
					 PATH_MAX_LEN);
		return NULL;
	}
	if (len > 0 && pointer[0] != '/')
	{
		cq_error_set(err, CQ_ERR_CONFIG,
					 "invalid JSON pointer: must be empty or start with \"/\"");
		if (err)
			cqp_sanitize_copy(err->path, sizeof(err->path), pointer, len);
		return NULL;
	}
	for (i = 0; i < len; i++)
	{
		if (pointer[i] == '/')
			nseg++;
		else if (pointer[i] == '~' &&
				 (i + 1 >= len || (pointer[i + 1] != '0' && pointer[i + 1] != '1')))
		{
			cq_error_set(err, CQ_ERR_CONFIG,
						 "invalid JSON pointer: bad escape at offset %zu (only ~0 and ~1 are allowed)",
						 i);
			if (err)
				cqp_sanitize_copy(err->path, sizeof(err->path), pointer, len);
			return NULL;
		}
	}

	p = calloc(1, sizeof(CqPath));
	if (p == NULL)
		goto oom;
	p->nseg = nseg;
	p->up = up;
	p->seg = calloc(nseg ? nseg : 1, sizeof(PathSeg));
	p->buf = malloc(len + 1);
	if (p->seg == NULL || p->buf == NULL)
		goto oom;

	o = p->buf;
	i = 1;
	for (int s = 0; s < nseg; s++)
	{
		PathSeg    *sg = &p->seg[s];
		const char *start = o;

		while (i < len && pointer[i] != '/')
		{
			if (pointer[i] == '~')
			{
				*o++ = pointer[i + 1] == '0' ? '~' : '/';
				i += 2;
			}
			else
				*o++ = pointer[i++];
		}
		i++;					/* skip '/' */
		*o++ = '\0';
		sg->key = (char *) start;
		sg->keylen = (size_t) (o - start - 1);
		/* "*" written as such is a wildcard; "~2a"-style escapes don't exist */
		sg->wild = (sg->keylen == 1 && start[0] == '*');
		if (sg->wild)
			p->has_wild = true;
		if (sg->keylen > 0 && sg->keylen <= 18 &&
			(sg->keylen == 1 || start[0] != '0'))
		{
			size_t		k,
						v = 0;

			for (k = 0; k < sg->keylen; k++)
			{
				if (start[k] < '0' || start[k] > '9')
					break;
				v = v * 10 + (size_t) (start[k] - '0');
			}
			if (k == sg->keylen)
			{
				sg->is_index = true;
				sg->index = v;
			}
		}
		if (column && !sg->wild)
		{
			bool		bad;

			if (!parse_lookup(sg, p, err, &bad) && bad)
			{
				cq_path_free(p);
				return NULL;
			}
		}
	}
	return p;

oom:
	cq_path_free(p);
	cq_error_set(err, CQ_ERR_NOMEM, "out of memory compiling a JSON pointer");
	return NULL;
}

/* Free a compiled path; NULL is a no-op. */
void
cq_path_free(CqPath *p)
{
	if (p == NULL)
		return;
	free(p->seg);
	free(p->buf);
	free(p);
}

/* true if any segment is "*" */
bool
cq_path_has_wildcard(const CqPath *p)
{
	return p != NULL && p->has_wild;
}

/* accessors for the spec validator and the row extractor */
int
cqp_path_up(const CqPath *p)
{
	return p ? p->up : 0;
}

bool
cqp_path_has_lookup(const CqPath *p)
{
	return p != NULL && p->has_lookup;
}

int
cqp_path_nvars(const CqPath *p)
{
	return p ? p->nvars : 0;
}

const char *
cqp_path_var(const CqPath *p, int i)
{
	return (p && i >= 0 && i < p->nvars) ? p->vars[i] : NULL;
}

/* does member value m equal the lookup's value? (text of scalars compared) */
static bool
lookup_match(const PathSeg *sg, json_t *m, const CqPathEnv *env)
{
	const char *want;
	size_t		wlen;
	char		num[64];

	if (m == NULL)
		return false;
	if (sg->lk_var >= 0)
	{
		json_t	   *v = (env && sg->lk_var < env->nvars) ? env->vars[sg->lk_var] : NULL;

		if (v == NULL || json_is_null(v))
			return false;
		if (json_equal(m, v))
			return true;
		if (json_is_string(v))
		{
			want = json_string_value(v);
			wlen = json_string_length(v);
		}
		else if (json_is_integer(v))
		{
			wlen = (size_t) snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
			want = num;
		}
		else
			return false;
	}
	else
	{
		want = sg->lk_value;
		wlen = sg->lk_vlen;
	}
	if (json_is_string(m))
		return json_string_length(m) == wlen && memcmp(json_string_value(m), want, wlen) == 0;
	if (json_is_integer(m))
	{
		int			l = snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT, json_integer_value(m));

		return (size_t) l == wlen && memcmp(num, want, wlen) == 0;
	}
	if (json_is_true(m))
		return wlen == 4 && memcmp(want, "true", 4) == 0;
	if (json_is_false(m))
		return wlen == 5 && memcmp(want, "false", 5) == 0;
	return false;
}

/* one non-wildcard step; borrowed reference or NULL */
static json_t *
step_env(const PathSeg *sg, json_t *cur, const CqPathEnv *env)
{
	if (sg->lookup)
	{
		size_t		i,
					n;

		if (sg->keylen > 0)
			cur = json_is_object(cur) ? json_object_getn(cur, sg->key, sg->keylen) : NULL;
		if (!json_is_array(cur))
			return NULL;
		n = json_array_size(cur);
		for (i = 0; i < n; i++)
		{
			json_t	   *e = json_array_get(cur, i);

			if (json_is_object(e) &&
				lookup_match(sg, json_object_getn(e, sg->lk_member, sg->lk_mlen), env))
				return e;
		}
		return NULL;
	}
	if (json_is_object(cur))
		return json_object_getn(cur, sg->key, sg->keylen);
	if (json_is_array(cur) && sg->is_index)
		return json_array_get(cur, sg->index);
	return NULL;
}

/* the value a path starts from: the row, or an enclosing element ('^') */
static json_t *
path_root(const CqPath *p, json_t *row, const CqPathEnv *env)
{
	if (p->up == 0)
		return row;
	if (env == NULL || p->up > env->nup)
		return NULL;
	return env->up[p->up - 1];
}

#define EACH_STACK 16

typedef struct EachState
{
	const CqPath *p;
	bool		(*fn) (json_t *match, void *arg);
	bool		(*fn_up) (json_t *match, json_t *const *up, int nup, void *arg);
	void	   *arg;
	size_t		count;
	bool		stop;
	const CqPathEnv *env;
	int			depth;			/* wildcards entered */
	json_t	   *stack[EACH_STACK];	/* their matches, outermost first */
} EachState;

static void each_rec(EachState *st, int s, json_t *cur);

/* descend into one value a wildcard ranges over */
static void
each_wild(EachState *st, int s, json_t *v)
{
	if (st->depth < EACH_STACK)
		st->stack[st->depth] = v;
	st->depth++;
	each_rec(st, s, v);
	st->depth--;
}

static void
each_rec(EachState *st, int s, json_t *cur)
{
	const CqPath *p = st->p;
	const CqPathEnv *env = st->env;

	/* follow plain segments iteratively */
	while (s < p->nseg && !p->seg[s].wild)
	{
		cur = step_env(&p->seg[s], cur, env);
		if (cur == NULL)
			return;
		s++;
	}
	if (s == p->nseg)
	{
		st->count++;
		if (st->fn && !st->fn(cur, st->arg))
			st->stop = true;
		if (st->fn_up)
		{
			json_t	   *up[CQ_PATH_MAX_UP];
			int			nup = 0;

			/* innermost first; unknown beyond the recorded stack */
			if (st->depth <= EACH_STACK)
				for (int d = st->depth - 1; d >= 0 && nup < CQ_PATH_MAX_UP; d--)
					up[nup++] = st->stack[d];
			if (!st->fn_up(cur, up, nup, st->arg))
				st->stop = true;
		}
		return;
	}
	/* wildcard */
	if (json_is_array(cur))
	{
		size_t		i,
					n = json_array_size(cur);

		for (i = 0; i < n && !st->stop; i++)
			each_wild(st, s + 1, json_array_get(cur, i));
	}
	else if (json_is_object(cur))
	{
		void	   *it;

		for (it = json_object_iter(cur); it && !st->stop;
			 it = json_object_iter_next(cur, it))
			each_wild(st, s + 1, json_object_iter_value(it));
	}
}

/*
 * cq_path_each
 *		Call fn(match, arg) for every value the path reaches in root, in
 *		document order; stop early when fn returns false.  fn may be NULL to
 *		just count.  Returns the number of matches visited.  A JSON null is a
 *		match; a missing member is not.  Borrowed references only.
 */
size_t
cq_path_each(const CqPath *p, json_t *root,
			 bool (*fn) (json_t *match, void *arg), void *arg)
{
	EachState	st;

	if (p == NULL || root == NULL)
		return 0;
	memset(&st, 0, sizeof(st));
	st.p = p;
	st.fn = fn;
	st.arg = arg;
	each_rec(&st, 0, root);
	return st.count;
}

/*
 * cqp_path_wild_count
 *		How many values the first "*" of p ranges over in root (the size of
 *		the array or object it reaches), or -1 when p has no "*".  For a
 *		rows pointer that goes on after its "*" into each element,
 *		this is the number of parent elements of the page, whatever number
 *		of rows they hold.
 */
long
cqp_path_wild_count(const CqPath *p, json_t *root)
{
	json_t	   *cur = root;
	int			s;

	if (p == NULL || !p->has_wild)
		return -1;
	for (s = 0; s < p->nseg && !p->seg[s].wild && cur != NULL; s++)
		cur = step_env(&p->seg[s], cur, NULL);
	if (json_is_array(cur))
		return (long) json_array_size(cur);
	if (json_is_object(cur))
		return (long) json_object_size(cur);
	return 0;
}

/*
 * cqp_path_each_up
 *		cq_path_each for a rows pointer: fn also gets the values the
 *		wildcards on the way matched, innermost first (up[0] is what the
 *		last "*" matched), at most CQ_PATH_MAX_UP of them; nup is 0 when
 *		they are too deep to record.  These are the elements a column path
 *		"^/...", "^^/..." reads.
 */
size_t
cqp_path_each_up(const CqPath *p, json_t *root,
				 bool (*fn) (json_t *match, json_t *const *up, int nup, void *arg),
				 void *arg)
{
	EachState	st;

	if (p == NULL || root == NULL)
		return 0;
	memset(&st, 0, sizeof(st));
	st.p = p;
	st.fn_up = fn;
	st.arg = arg;
	each_rec(&st, 0, root);
	return st.count;
}

static bool
first_match(json_t *match, void *arg)
{
	*(json_t **) arg = match;
	return false;
}

/*
 * cq_path_get
 *		Resolve a path; borrowed reference or NULL when missing.  For a path
 *		with wildcards, the first match in document order.
 */
json_t *
cq_path_get(const CqPath *p, json_t *root)
{
	return cqp_path_get_env(p, root, NULL);
}

/*
 * cqp_path_get_env
 *		cq_path_get for a column path: '^' prefixes and "$column" lookups
 *		read env (NULL: they match nothing).
 */
json_t *
cqp_path_get_env(const CqPath *p, json_t *row, const CqPathEnv *env)
{
	json_t	   *cur;
	int			s;

	if (p == NULL || row == NULL)
		return NULL;
	cur = path_root(p, row, env);
	if (cur == NULL)
		return NULL;
	if (p->has_wild)
	{
		json_t	   *m = NULL;
		EachState	st;

		memset(&st, 0, sizeof(st));
		st.p = p;
		st.fn = first_match;
		st.arg = &m;
		st.env = env;
		each_rec(&st, 0, cur);
		return m;
	}
	for (s = 0; s < p->nseg && cur != NULL; s++)
		cur = step_env(&p->seg[s], cur, env);
	return cur;
}

/* is any segment from s on a wildcard? */
static bool
wild_from(const CqPath *p, int s)
{
	for (; s < p->nseg; s++)
		if (p->seg[s].wild)
			return true;
	return false;
}

static void
gather_rec(const CqPath *p, int s, json_t *cur, json_t *arr, const CqPathEnv *env)
{
	while (s < p->nseg && !p->seg[s].wild)
	{
		cur = step_env(&p->seg[s], cur, env);
		if (cur == NULL)
		{
			/* a missing leaf is a null element; a missing array is empty */
			if (!wild_from(p, s))
				json_array_append(arr, json_null());
			return;
		}
		s++;
	}
	if (s == p->nseg)
		json_array_append(arr, cur);
	else if (json_is_array(cur))
	{
		for (size_t i = 0; i < json_array_size(cur); i++)
			gather_rec(p, s + 1, json_array_get(cur, i), arr, env);
	}
	else if (json_is_object(cur))
	{
		for (void *it = json_object_iter(cur); it; it = json_object_iter_next(cur, it))
			gather_rec(p, s + 1, json_object_iter_value(it), arr, env);
	}
}

/*
 * cqp_path_gather
 *		The value of a path with wildcards, appended to the JSON array arr:
 *		the values the wildcards range over, in document order.  A member
 *		missing after the last wildcard is a null element, so the elements
 *		stay aligned with the array that wildcard ranges over; a missing (or
 *		null, or scalar) value that a wildcard would range over contributes
 *		no element, so a list the API omits reads as an empty array, as an
 *		empty one does.  Borrowed references are appended (json_array_append
 *		increfs).
 */
void
cqp_path_gather(const CqPath *p, json_t *root, json_t *arr)
{
	cqp_path_gather_env(p, root, arr, NULL);
}

/* cqp_path_gather for a column path ('^', lookups: see cqp_path_get_env) */
void
cqp_path_gather_env(const CqPath *p, json_t *row, json_t *arr, const CqPathEnv *env)
{
	json_t	   *root = (p != NULL && row != NULL) ? path_root(p, row, env) : NULL;

	if (root != NULL)
		gather_rec(p, 0, root, arr, env);
}

/* ------------------------------------------------------------------------
 * Extraction: path + type -> CqValue
 * ------------------------------------------------------------------------ */

typedef struct CollectState
{
	CqValue    *vals;
	size_t		n;
	size_t		cap;
	CqColType	elem;
	CqArena    *arena;
	CqError    *err;
	bool		failed;
	size_t		failed_at;
} CollectState;

static bool
count_flat(json_t *m, void *arg)
{
	size_t	   *n = arg;

	*n += json_is_array(m) ? json_array_size(m) : 1;
	return true;
}

static bool
parse_one(CollectState *st, json_t *v)
{
	if (st->n >= st->cap)
		return false;
	if (!cq_value_parse(v, st->elem, st->arena, &st->vals[st->n], st->err))
	{
		st->failed = true;
		st->failed_at = st->n;
		return false;
	}
	st->n++;
	return true;
}

static bool
collect_flat(json_t *m, void *arg)
{
	CollectState *st = arg;

	if (json_is_array(m) && st->elem.base != CQ_T_JSON)
	{
		size_t		i;

		for (i = 0; i < json_array_size(m); i++)
			if (!parse_one(st, json_array_get(m, i)))
				return false;
		return true;
	}
	return parse_one(st, m);
}

static bool
append_match(json_t *m, void *arg)
{
	return json_array_append(arg, m) == 0;
}

/*
 * cqp_path_parse
 *		Extract the value of one column from a row: resolve `p` in `row` and
 *		parse the result as `type` into `out` (arena-allocated data).
 *
 *	- no wildcard: cq_path_get + cq_value_parse (missing -> null).
 *	- wildcard, array type: every match becomes an element, in document
 *	  order; a match that is itself an array contributes its elements (one
 *	  level, not for json[]).  No match -> an empty array (not null).
 *	- wildcard, json: the matches gathered into a new JSON array.
 *	- wildcard, other scalar: the first match.
 * Returns false with err filled (as cq_value_parse, message naming the
 * element index) on a value that fails; out->isnull is then set.  The caller
 * owns the json references in out (cq_batch_free drops them).  Any thread.
 */
bool
cqp_path_parse(const CqPath *p, json_t *row, CqColType type, CqArena *arena,
			   CqValue *out, CqError *err)
{
	if (p == NULL || !p->has_wild)
		return cq_value_parse(p ? cq_path_get(p, row) : row, type, arena, out, err);

	if (type.is_array)
	{
		size_t		n = 0;
		CollectState st;

		memset(out, 0, sizeof(*out));
		out->type = (uint8_t) type.base;
		out->is_array = 1;
		cq_path_each(p, row, count_flat, &n);
		if (n > UINT32_MAX / 2 || n > SIZE_MAX / sizeof(CqValue))
		{
			out->isnull = 1;
			cq_error_set(err, CQ_ERR_LIMIT, "too many array elements (%zu)", n);
			return false;
		}
		memset(&st, 0, sizeof(st));
		st.cap = n;
		st.elem.base = type.base;
		st.elem.is_array = false;
		st.arena = arena;
		st.err = err;
		if (n > 0)
		{
			st.vals = cq_arena_alloc(arena, n * sizeof(CqValue));
			if (st.vals == NULL)
			{
				out->isnull = 1;
				cq_error_set(err, CQ_ERR_NOMEM, "out of memory");
				return false;
			}
			cq_path_each(p, row, collect_flat, &st);
		}
		if (st.failed)
		{
			size_t		i;

			/* drop json references taken by earlier elements */
			for (i = 0; i < st.n; i++)
				if (!st.vals[i].isnull && st.vals[i].type == CQ_T_JSON)
					json_decref(st.vals[i].u.json);
			if (err)
			{
				size_t		l = strlen(err->message);

				snprintf(err->message + l, sizeof(err->message) - l,
						 " (array element %zu)", st.failed_at);
			}
			out->isnull = 1;
			return false;
		}
		out->len = (uint32_t) st.n;
		out->u.arr = st.n ? st.vals : NULL;
		return true;
	}
	if (type.base == CQ_T_JSON)
	{
		json_t	   *arr = json_array();
		bool		ok;

		if (arr == NULL)
		{
			memset(out, 0, sizeof(*out));
			out->isnull = 1;
			cq_error_set(err, CQ_ERR_NOMEM, "out of memory");
			return false;
		}
		cq_path_each(p, row, append_match, arr);
		ok = cq_value_parse(arr, type, arena, out, err);
		json_decref(arr);
		return ok;
	}
	return cq_value_parse(cq_path_get(p, row), type, arena, out, err);
}
