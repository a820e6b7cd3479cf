/*-------------------------------------------------------------------------
 *
 * spec_table.c
 *		  Parse and validate one table object of a spec: columns,
 *		  pagination, parent, keys, primary key, and the cross-checks
 *		  between them.
 *
 * Invariants of a table that cqp_spec_table_parse accepts (see spec.c for
 * the whole list consumers rely on):
 *	- every column has a name, a type, a path ("/<name>" by default) and a
 *	  compiled cpath; a path with a "*" segment has an array or json type;
 *	  column names are unique;
 *	- rows/crows and get_rows/cget_rows are set (get_rows defaults to
 *	  rows); cnext is compiled when `next` is set, and `next`/`next_param`
 *	  are present exactly when the pagination type uses them;
 *	- every key column is a column; path-key params are unique; every
 *	  {placeholder} of endpoint/get_endpoint is an in=path key's param or a
 *	  parent.map param, every placeholder of parent.endpoint an in=path
 *	  key's param, and every in=path key appears in some endpoint;
 *	- each operator other than "=" in a key's ops has its op_params entry;
 *	  a from_parent key is filled by parent.map; a server_option is one of
 *	  the source's server_options (unchecked for a lone table);
 *	- a cursor names an ordered scalar column, ">" or ">=", a query
 *	  parameter and optionally a format holding "{value}" once; the
 *	  column's key (added when the table has none) then accepts the
 *	  cursor's operator, sent as that parameter (never rechecked away:
 *	  an added key is not guaranteed);
 *	- on failure the partial table is left for the caller to clear (counts
 *	  are set before elements are parsed).
 *
 * Thread safety: reentrant; no global state.
 *
 * Copyright (c) 2026, cq_fdw developers
 *
 *-------------------------------------------------------------------------
 */
#include <stdlib.h>
#include <string.h>

#include "cq_sdk.h"
#include "cq_sdk_int.h"
#include "spec_int.h"

/* ------------------------------------------------------------------------
 * Enumerations of the table object
 * ------------------------------------------------------------------------ */

static const CqpSpecEnum pagination_names[] = {
	{"none", CQ_PAGE_NONE},
	{"link_header", CQ_PAGE_LINK_HEADER},
	{"next_url", CQ_PAGE_NEXT_URL},
	{"next_token", CQ_PAGE_NEXT_TOKEN},
	{"page_number", CQ_PAGE_PAGE_NUMBER},
	{"offset", CQ_PAGE_OFFSET},
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
	{"@>", CQ_OP_CONTAINS},
	{NULL, 0}
};

/* Bit position of a single CQ_OP_* bit (index into CqKeyDef.op_param). */
static int
op_bit(int op)
{
	int			i;

	for (i = 0; i < CQ_NOPS; i++)
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
 * Tables
 * ------------------------------------------------------------------------ */

static const char *const table_keys[] = {
	"name", "description", "endpoint", "get_endpoint", "get_rows", "rows",
	"pagination", "keys", "parent", "primary_key", "row_estimate",
	"supports_limit", "columns",
	"origin", "cursor", "aws", "hydrate", "method", "body", NULL
};
static const char *const cursor_keys[] = {
	"column", "op", "param", "format", "utc_offset", NULL
};
static const char *const column_keys[] = {
	"name", "type", "path", "description", "transform", "from", NULL
};
static const char *const hydrate_keys[] = {
	"name", "endpoint", "rows", "null_status", NULL
};

#define SPEC_MAX_HYDRATE 16		/* detail calls per table */
static const char *const key_keys[] = {
	"column", "param", "in", "ops", "op_params", "required", "guaranteed",
	"server_option", "from_parent", "formats", "separator", "values", NULL
};
static const char *const pagination_keys[] = {
	"type", "next", "next_param", "page_size_param", "page_size", "total",
	"more", "remaining", NULL
};
static const char *const aws_keys[] = {
	"service", "endpoint_prefix", "protocol", "api_version", "action",
	"target_prefix", "json_version", "method", "global_region", "xml_lists",
	"body", "describe", NULL
};
static const char *const aws_op_keys[] = {
	"action", "method", "xml_lists", NULL
};
static const char *const aws_describe_keys[] = {
	"action", "param", "batch", "rows", "endpoint", "method", "body", NULL
};

static const CqpSpecEnum aws_protocol_names[] = {
	{"ec2", CQ_AWS_EC2},
	{"query", CQ_AWS_QUERY},
	{"json", CQ_AWS_JSON},
	{"rest-json", CQ_AWS_REST_JSON},
	{"rest-xml", CQ_AWS_REST_XML},
	{NULL, 0}
};
static const char *const parent_pagination_keys[] = {
	"type", "next", "next_param", "page_size_param", "page_size", "more", NULL
};
static const char *const parent_keys[] = {
	"endpoint", "rows", "pagination", "map", "aws", NULL
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
	char	  **more;			/* NULL for a parent */
	CqPath	  **cmore;
	char	  **remaining;		/* NULL for a parent */
	CqPath	  **cremaining;
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
	if (po->more && !cqp_spec_get_pointer(c, loc, v, "more", NULL, false, po->more, po->cmore))
		return false;
	if (po->more && *po->more && !uses_next)
		return cqp_spec_fail(c, loc, "more", "only next_url and next_token pagination use it");
	if (po->remaining &&
		!cqp_spec_get_pointer(c, loc, v, "remaining", NULL, false, po->remaining, po->cremaining))
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
	if (!cqp_spec_get_column_path(c, loc, jc, "path", dflt, &col->path, &col->cpath))
		return false;
	if (cq_path_has_wildcard(col->cpath) && !col->type.is_array && col->type.base != CQ_T_JSON)
		return cqp_spec_fail(c, loc, "path", "\"%s\" has a \"*\" segment (many values) but type %s is a scalar: use %s[] or json",
					cqp_spec_quote(qs, sizeof(qs), col->path), cq_type_name(col->type.base),
					cq_type_name(col->type.base));
	if (!cqp_spec_get_ident(c, loc, jc, "from", false, &col->from))
		return false;
	if (!cqp_spec_get_string(c, loc, jc, "transform", false, 128, &col->transform))
		return false;
	if (col->transform)
	{
		const char *arg = NULL;

		if (strcmp(col->transform, "last_segment") == 0)
			col->transform_kind = CQ_XFORM_LAST_SEGMENT;
		else if (strcmp(col->transform, "key_value_object") == 0)
		{
			col->transform_kind = CQ_XFORM_KEY_VALUE_OBJECT;
			if (col->type.base != CQ_T_JSON || col->type.is_array)
				return cqp_spec_fail(c, loc, "transform", "key_value_object builds an object: the column's type must be json");
			return true;
		}
		else if (strncmp(col->transform, "segment_after:", 14) == 0 &&
				 (arg = col->transform + 14)[0] != '\0' && strchr(arg, '/') == NULL)
		{
			col->transform_kind = CQ_XFORM_SEGMENT_AFTER;
			col->transform_arg = strdup(arg);
			if (col->transform_arg == NULL)
				return cqp_spec_fail(c, loc, "transform", "out of memory");
		}
		else
			return cqp_spec_fail(c, loc, "transform", "unknown transform \"%s\" (known: last_segment, segment_after:<segment>, key_value_object)",
						cqp_spec_quote(qs, sizeof(qs), col->transform));
		if (col->type.base == CQ_T_JSON)
			return cqp_spec_fail(c, loc, "transform", "a transform applies to string values: type json takes the value as is");
	}
	return true;
}

static bool is_host_part(const char *s);

/* The action of an AWS operation (aws, parent.aws, aws.describe). */
static bool
check_aws_action(CqpSpecCtx *c, const char *loc, const char *action)
{
	char		qs[64];

	if (!cqp_spec_is_param(action))
		return cqp_spec_fail(c, loc, "action", "\"%s\" is not an operation name",
							 cqp_spec_quote(qs, sizeof(qs), action));
	return true;
}

/*
 * The method of a rest-json or rest-xml operation: GET when not given,
 * else GET or POST.  why: what the error adds after "is not GET or POST".
 */
static bool
get_or_post(CqpSpecCtx *c, const char *loc, char **method, const char *why)
{
	char		qs[64];

	if (*method == NULL && (*method = cqp_spec_dup(c, "GET")) == NULL)
		return false;
	if (strcmp(*method, "GET") != 0 && strcmp(*method, "POST") != 0)
		return cqp_spec_fail(c, loc, "method", "\"%s\" is not GET or POST%s",
							 cqp_spec_quote(qs, sizeof(qs), *method), why);
	return true;
}

/*
 * The method of an operation of protocol proto (aws, parent.aws): the
 * rest protocols take one (get_or_post), the others always POST.
 */
static bool
parse_aws_method(CqpSpecCtx *c, const char *loc, int proto, char **method, const char *why)
{
	if (proto == CQ_AWS_REST_JSON || proto == CQ_AWS_REST_XML)
		return get_or_post(c, loc, method, why);
	if (*method)
		return cqp_spec_fail(c, loc, "method", "the %s protocol always POSTs; only rest-json and rest-xml take a method",
							 aws_protocol_names[proto].name);
	return (*method = cqp_spec_dup(c, "POST")) != NULL;
}

/*
 * parent.aws: the parent listing is another operation of the table's
 * service (IAM ListUsers for aws_iam_user_policies): its action, method
 * and XML lists; the rest (service, protocol, version) is the table's.
 */
static bool
parse_parent_aws(CqpSpecCtx *c, const char *ploc, json_t *jp, CqTableDef *t)
{
	json_t	   *ja = json_object_get(jp, "aws");
	char		loc[SPEC_LOCLEN];
	CqAwsOpDef *o;
	int			proto;

	if (ja == NULL || json_is_null(ja))
		return true;
	cqp_spec_loc_key(loc, ploc, "aws");
	if (t->aws == NULL)
		return cqp_spec_fail(c, loc, NULL, "only a table with \"aws\" has a parent of another AWS operation");
	if (!cqp_spec_check_object(c, loc, ja, aws_op_keys))
		return false;
	o = t->parent->aws = calloc(1, sizeof(CqAwsOpDef));
	if (o == NULL)
		return cqp_spec_oom(c);
	proto = (int) t->aws->protocol;
	if (!cqp_spec_get_string(c, loc, ja, "action", true, 128, &o->action) ||
		!cqp_spec_get_string(c, loc, ja, "method", false, 8, &o->method))
		return false;
	if (!check_aws_action(c, loc, o->action) ||
		!parse_aws_method(c, loc, proto, &o->method, ""))
		return false;
	if (!cqp_spec_get_name_list(c, loc, ja, "xml_lists", false, 1024, &o->nxml_lists, &o->xml_lists))
		return false;
	if (o->nxml_lists > 0 && (proto == CQ_AWS_JSON || proto == CQ_AWS_REST_JSON))
		return cqp_spec_fail(c, loc, "xml_lists", "the %s protocol replies in JSON",
							 aws_protocol_names[proto].name);
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
	po.more = &p->more;
	po.cmore = &p->cmore;
	po.remaining = NULL;
	po.cremaining = NULL;
	if (!parse_pagination(c, loc, jp, &po))
		return false;
	if (!parse_parent_aws(c, loc, jp, t))
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

/*
 * parse_key_formats
 *		A key's "formats" ({"=": "spec.nodeName={value}", "@>":
 *		"{key}={value}"}: the text sent for an operator's value),
 *		"separator" (how several quals sending the same parameter are
 *		joined) and "values" (the only values "=" may send).  A key with
 *		any of them is a query key, neither required nor guaranteed: a
 *		value that cannot be sent is left to PostgreSQL's recheck.  After
 *		ops, op_params and the flags are parsed.
 */
static bool
parse_key_formats(CqpSpecCtx *c, const char *loc, json_t *jk, CqKeyDef *k)
{
	json_t	   *jf = json_object_get(jk, "formats");
	json_t	   *jv;
	char		oloc[SPEC_LOCLEN];
	char		qs[64];

	if (jf && !json_is_null(jf))
	{
		const char *ok;
		json_t	   *ov;

		cqp_spec_loc_key(oloc, loc, "formats");
		if (!json_is_object(jf))
			return cqp_spec_fail(c, oloc, NULL, "must be an object {\"operator\": \"text with {value}\"}");
		json_object_foreach(jf, ok, ov)
		{
			char		eloc[SPEC_LOCLEN];
			int			op = op_parse(ok);
			const char *f;
			const char *at;
			int			bit;

			cqp_spec_loc_key(eloc, oloc, ok);
			if (op == 0)
				return cqp_spec_fail(c, eloc, NULL, "unknown operator (known: =, <, <=, >, >=, ~~ or like, @>)");
			if (!(k->ops & op))
				return cqp_spec_fail(c, eloc, NULL, "operator is not listed in ops");
			if (!json_is_string(ov))
				return cqp_spec_fail(c, eloc, NULL, "must be a string");
			f = json_string_value(ov);
			at = strstr(f, "{value}");
			if (at == NULL || strstr(at + 1, "{value}") != NULL)
				return cqp_spec_fail(c, eloc, NULL, "must contain {value} exactly once");
			at = strstr(f, "{key}");
			if (op == CQ_OP_CONTAINS ? (at != NULL && strstr(at + 1, "{key}") != NULL) : at != NULL)
				return cqp_spec_fail(c, eloc, NULL, op == CQ_OP_CONTAINS ?
									 "may contain {key} (a JSON object member's name) at most once" :
									 "{key} is only for \"@>\"");
			for (const char *p = f; *p; p++)
				if ((unsigned char) *p < 0x20)
					return cqp_spec_fail(c, eloc, NULL, "must not contain control characters");
			bit = op_bit(op);
			free(k->op_format[bit]);
			if ((k->op_format[bit] = cqp_spec_dup(c, f)) == NULL)
				return false;
		}
		k->formatted = true;
	}
	if ((k->ops & CQ_OP_CONTAINS) && k->op_format[op_bit(CQ_OP_CONTAINS)] == NULL)
		return cqp_spec_fail(c, loc, "formats", "operator \"@>\" needs formats[\"@>\"] (how a member is sent, with {key} and {value})");
	if (!cqp_spec_get_string(c, loc, jk, "separator", false, 16, &k->separator))
		return false;
	jv = json_object_get(jk, "values");
	if (jv && !json_is_null(jv))
	{
		cqp_spec_loc_key(oloc, loc, "values");
		if (!json_is_array(jv) || json_array_size(jv) == 0 || json_array_size(jv) > 64)
			return cqp_spec_fail(c, oloc, NULL, "must be an array of 1 to 64 strings");
		if ((k->accept = calloc(json_array_size(jv), sizeof(char *))) == NULL)
			return cqp_spec_oom(c);
		for (size_t i = 0; i < json_array_size(jv); i++)
		{
			json_t	   *e = json_array_get(jv, i);

			if (!json_is_string(e))
				return cqp_spec_fail(c, oloc, NULL, "must be an array of 1 to 64 strings");
			if ((k->accept[k->naccept] = cqp_spec_dup(c, json_string_value(e))) == NULL)
				return false;
			k->naccept++;
		}
	}
	if ((k->formatted || k->separator || k->accept) &&
		(k->in != CQ_IN_QUERY || k->required || k->guaranteed || k->from_parent))
		return cqp_spec_fail(c, loc, k->formatted ? "formats" : k->separator ? "separator" : "values",
							 "key \"%s\": only for a query key that is neither required, guaranteed nor from_parent (a value that cannot be sent is left to PostgreSQL's recheck)",
							 cqp_spec_quote(qs, sizeof(qs), k->column));
	return true;
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
		static const CqpSpecEnum in_names[] = {{"path", CQ_IN_PATH}, {"query", CQ_IN_QUERY},
		{"region", CQ_IN_REGION}, {"account", CQ_IN_ACCOUNT},
		{"context", CQ_IN_CONTEXT}, {NULL, 0}};

		if (!cqp_spec_get_enum(c, loc, jk, "in", in_names, "location", false, &in))
			return false;
	}
	if (in < 0)
		in = (cqp_spec_template_has(t->endpoint, k->param) || cqp_spec_template_has(t->get_endpoint, k->param) ||
			  (t->parent && cqp_spec_template_has(t->parent->endpoint, k->param))) ? CQ_IN_PATH : CQ_IN_QUERY;
	k->in = (CqParamIn) in;
	/* an account key selects SigV4 credentials: also on a rest table */
	if (in == CQ_IN_REGION && t->aws == NULL)
		return cqp_spec_fail(c, loc, "in", "\"%s\" is for tables of an AWS API (the table has no \"aws\" object)",
					"region");

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
				return cqp_spec_fail(c, oloc, NULL, "unknown operator \"%s\" (known: =, <, <=, >, >=, ~~ or like, @>)",
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
				return cqp_spec_fail(c, eloc, NULL, "unknown operator (known: =, <, <=, >, >=, ~~ or like, @>)");
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
	for (i = 1; i < CQ_NOPS; i++)
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
	if (!parse_key_formats(c, loc, jk, k))
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
	if ((k->in == CQ_IN_REGION || k->in == CQ_IN_ACCOUNT || k->in == CQ_IN_CONTEXT) &&
		(k->ops & ~CQ_OP_EQ))
		return cqp_spec_fail(c, loc, "ops", "a key with \"in\": \"%s\" takes only \"=\" (one request per value)",
					k->in == CQ_IN_REGION ? "region" : k->in == CQ_IN_ACCOUNT ? "account" : "context");
	if (k->from_parent && (k->in == CQ_IN_REGION || k->in == CQ_IN_ACCOUNT || k->in == CQ_IN_CONTEXT))
		return cqp_spec_fail(c, loc, "from_parent", "a key with \"in\": \"%s\" is not filled by a parent listing",
					k->in == CQ_IN_REGION ? "region" : k->in == CQ_IN_ACCOUNT ? "account" : "context");
	if (k->from_parent)
	{
		if (t->parent == NULL)
			return cqp_spec_fail(c, loc, "from_parent", "the table has no parent");
		if (cqp_spec_parent_map_lookup(t->parent, k->param) == NULL)
			return cqp_spec_fail(c, loc, "from_parent", "parent.map does not fill {%s}", cqp_spec_quote(qs, sizeof(qs), k->param));
	}
	return true;
}

/*
 * The table's "cursor" (incremental syncs, sources/SPEC.md): parse it into
 * t->cursor_*, then make the cursor column's key accept the cursor's
 * operator (op_params[op] = param, op_format[op] = format), adding a query
 * key for the column when the table has none.  After the keys are parsed.
 */
static bool
parse_cursor(CqpSpecCtx *c, const char *loc, json_t *jt, CqTableDef *t)
{
	json_t	   *jc = json_object_get(jt, "cursor");
	json_t	   *jop;
	char		cloc[SPEC_LOCLEN];
	char		qs[64];
	CqKeyDef   *k = NULL;
	int			col,
				bit;
	const char *fv;

	if (jc == NULL || json_is_null(jc))
		return true;
	cqp_spec_loc_key(cloc, loc, "cursor");
	if (!json_is_object(jc))
		return cqp_spec_fail(c, loc, "cursor", "must be an object {\"column\": ..., \"op\": \">\" or \">=\", \"param\": ...}");
	if (!cqp_spec_check_object(c, cloc, jc, cursor_keys))
		return false;
	if (!cqp_spec_get_ident(c, cloc, jc, "column", true, &t->cursor_column))
		return false;
	col = cq_table_find_column(t, t->cursor_column);
	if (col < 0)
		return cqp_spec_fail(c, cloc, "column", "\"%s\" is not a column of the table",
							 cqp_spec_quote(qs, sizeof(qs), t->cursor_column));
	switch (t->columns[col].type.base)
	{
		case CQ_T_INT:
		case CQ_T_UINT:
		case CQ_T_FLOAT:
		case CQ_T_NUMERIC:
		case CQ_T_STRING:
		case CQ_T_TIMESTAMP:
		case CQ_T_DATE:
			if (!t->columns[col].type.is_array)
				break;
			/* FALLTHROUGH */
		default:
			return cqp_spec_fail(c, cloc, "column", "\"%s\" is not an ordered scalar column (a cursor is a timestamp, date, number or string)",
								 cqp_spec_quote(qs, sizeof(qs), t->cursor_column));
	}
	jop = json_object_get(jc, "op");
	if (jop == NULL || json_is_null(jop))
		return cqp_spec_fail(c, cloc, "op", "required (\">\" or \">=\": how the API compares the column with param)");
	if (!json_is_string(jop) ||
		((t->cursor_op = op_parse(json_string_value(jop))) != CQ_OP_GT &&
		 t->cursor_op != CQ_OP_GE))
		return cqp_spec_fail(c, cloc, "op", "must be \">\" or \">=\" (how the API compares the column with param)");
	if (!cqp_spec_get_string(c, cloc, jc, "param", true, SPEC_MAX_IDENT, &t->cursor_param))
		return false;
	if (!cqp_spec_is_param(t->cursor_param))
		return cqp_spec_fail(c, cloc, "param", "\"%s\" is not a valid parameter name",
							 cqp_spec_quote(qs, sizeof(qs), t->cursor_param));
	if (!cqp_spec_get_string(c, cloc, jc, "format", false, SPEC_MAX_TEMPLATE, &t->cursor_format))
		return false;
	if (t->cursor_format &&
		((fv = strstr(t->cursor_format, "{value}")) == NULL ||
		 strstr(fv + 1, "{value}") != NULL))
		return cqp_spec_fail(c, cloc, "format", "must hold \"{value}\" exactly once (where the cursor value goes)");
	if (!cqp_spec_get_string(c, cloc, jc, "utc_offset", false, 6, &t->cursor_utc_offset))
		return false;
	if (t->cursor_utc_offset)
	{
		const char *o = t->cursor_utc_offset;
		int			h,
					m;

		if (strlen(o) != 6 || (o[0] != '+' && o[0] != '-') || o[3] != ':' ||
			o[1] < '0' || o[1] > '9' || o[2] < '0' || o[2] > '9' ||
			o[4] < '0' || o[4] > '5' || o[5] < '0' || o[5] > '9' ||
			(h = (o[1] - '0') * 10 + (o[2] - '0')) > 14)
			return cqp_spec_fail(c, cloc, "utc_offset", "must be an offset such as \"-08:00\" (+hh:mm or -hh:mm, at most 14 hours)");
		m = (o[4] - '0') * 10 + (o[5] - '0');
		t->cursor_offset_min = (o[0] == '-' ? -1 : 1) * (h * 60 + m);
		if (t->columns[col].type.base != CQ_T_TIMESTAMP)
			return cqp_spec_fail(c, cloc, "utc_offset", "only for a timestamp column");
	}

	/* the column's key carries the cursor's operator */
	bit = __builtin_ctz((unsigned) t->cursor_op);
	for (int i = 0; i < t->nkeys; i++)
		if (strcmp(t->keys[i].column, t->cursor_column) == 0)
			k = &t->keys[i];
	if (k == NULL)
	{
		CqKeyDef   *nk;

		if (t->nkeys >= SPEC_MAX_KEYS)
			return cqp_spec_fail_limit(c, loc, "keys", "more than %d keys with the cursor's", SPEC_MAX_KEYS);
		nk = realloc(t->keys, sizeof(CqKeyDef) * (size_t) (t->nkeys + 1));
		if (nk == NULL)
			return cqp_spec_oom(c);
		t->keys = nk;
		k = &t->keys[t->nkeys];
		memset(k, 0, sizeof(*k));
		t->nkeys++;
		k->in = CQ_IN_QUERY;
		if ((k->column = cqp_spec_dup(c, t->cursor_column)) == NULL ||
			(k->param = cqp_spec_dup(c, t->cursor_column)) == NULL)
			return false;
	}
	else if ((k->ops & t->cursor_op) && k->op_param[bit] &&
			 strcmp(k->op_param[bit], t->cursor_param) != 0)
		return cqp_spec_fail(c, cloc, "param", "the key of \"%s\" sends \"%s\" as \"%s\", not \"%s\"",
							 t->cursor_column, json_string_value(jop), k->op_param[bit], t->cursor_param);
	k->ops |= t->cursor_op;
	if (k->op_param[bit] == NULL &&
		(k->op_param[bit] = cqp_spec_dup(c, t->cursor_param)) == NULL)
		return false;
	if (t->cursor_format && k->op_format[bit] == NULL &&
		(k->op_format[bit] = cqp_spec_dup(c, t->cursor_format)) == NULL)
		return false;
	return true;
}

/* Host labels and region names: lower-case letters, digits, '-' and '.'. */
static bool
is_host_part(const char *s)
{
	if (s == NULL || *s == '\0' || *s == '.' || *s == '-')
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '-' || *s == '.'))
			return false;
	return true;
}

/*
 * parse_aws_describe
 *		aws.describe (list-then-get): the table's operation lists
 *		identifiers, `action` describes them `batch` at a time.  json: the
 *		identifiers are the array member `param` of a POST to "/"; rest-json:
 *		one per GET of `endpoint`, whose {param} is the identifier.  The
 *		other placeholders of endpoint are checked with the keys.
 */
static bool
parse_aws_describe(CqpSpecCtx *c, const char *aloc, json_t *ja, CqAwsDef *a)
{
	json_t	   *jd = json_object_get(ja, "describe");
	char		loc[SPEC_LOCLEN];
	char		qs[64];
	CqAwsDescribeDef *d;
	json_t	   *body;

	if (jd == NULL || json_is_null(jd))
		return true;
	cqp_spec_loc_key(loc, aloc, "describe");
	if (!cqp_spec_check_object(c, loc, jd, aws_describe_keys))
		return false;
	if (a->protocol != CQ_AWS_JSON && a->protocol != CQ_AWS_REST_JSON)
		return cqp_spec_fail(c, loc, NULL, "list-then-get is implemented for the json and rest-json protocols (ECS, EKS), not %s",
							 aws_protocol_names[a->protocol].name);
	d = a->describe = calloc(1, sizeof(CqAwsDescribeDef));
	if (d == NULL)
		return cqp_spec_oom(c);
	if (!cqp_spec_get_string(c, loc, jd, "action", true, 128, &d->action) ||
		!cqp_spec_get_string(c, loc, jd, "param", true, SPEC_MAX_IDENT, &d->param))
		return false;
	if (!check_aws_action(c, loc, d->action))
		return false;
	if (!cqp_spec_is_param(d->param))
		return cqp_spec_fail(c, loc, "param", "not a valid parameter name");
	d->batch = 1;
	if (!cqp_spec_get_int(c, loc, jd, "batch", 1, 1000, &d->batch))
		return false;
	if (!cqp_spec_get_pointer(c, loc, jd, "rows", NULL, false, &d->rows, &d->crows))
		return false;
	if (d->rows == NULL)
		return cqp_spec_fail(c, loc, "rows", "required (a JSON pointer to the described objects in the reply)");
	if (!cqp_spec_get_template(c, loc, jd, "endpoint", a->protocol == CQ_AWS_REST_JSON, &d->endpoint) ||
		!cqp_spec_get_string(c, loc, jd, "method", false, 8, &d->method))
		return false;
	if (a->protocol == CQ_AWS_JSON)
	{
		if (d->endpoint)
			return cqp_spec_fail(c, loc, "endpoint", "the json protocol POSTs to \"/\": only rest-json takes an endpoint");
		if (d->method)
			return cqp_spec_fail(c, loc, "method", "the json protocol always POSTs; only rest-json takes a method");
		body = json_object_get(jd, "body");
		if (body && !json_is_null(body))
		{
			if (!json_is_object(body) || json_object_get(body, d->param))
				return cqp_spec_fail(c, loc, "body", "must be an object of constant members, without \"%s\" (the identifiers)",
									 cqp_spec_quote(qs, sizeof(qs), d->param));
			if ((d->body = json_deep_copy(body)) == NULL)
				return cqp_spec_oom(c);
		}
	}
	else
	{
		if (!cqp_spec_template_has(d->endpoint, d->param))
			return cqp_spec_fail(c, loc, "endpoint", "must hold {%s} (where each identifier goes)",
								 cqp_spec_quote(qs, sizeof(qs), d->param));
		if (d->batch != 1)
			return cqp_spec_fail(c, loc, "batch", "a rest-json describe takes one identifier per call: batch must be 1");
		body = json_object_get(jd, "body");
		if (body && !json_is_null(body))
			return cqp_spec_fail(c, loc, "body", "only the json protocol sends a body");
		if (!get_or_post(c, loc, &d->method, ""))
			return false;
	}
	return true;
}

/*
 * parse_aws
 *		The table-level "aws" object: which AWS API operation the table
 *		lists, how its requests are built (protocol) and signed (service),
 *		and how its XML replies are read (xml_lists).  See sources/SPEC.md.
 */
static bool
parse_aws(CqpSpecCtx *c, const char *tloc, json_t *jt, CqTableDef *t)
{
	json_t	   *ja = json_object_get(jt, "aws");
	char		loc[SPEC_LOCLEN];
	char		qs[64];
	CqAwsDef   *a;
	int			proto = -1;
	bool		form,
				rest;
	json_t	   *body;

	if (ja == NULL || json_is_null(ja))
		return true;
	cqp_spec_loc_key(loc, tloc, "aws");
	if (!cqp_spec_check_object(c, loc, ja, aws_keys))
		return false;
	if (c->src && c->src->auth != CQ_AUTH_SIGV4)
		return cqp_spec_fail(c, loc, NULL, "a table of an AWS API needs a source with \"auth\": \"sigv4\"");
	a = t->aws = calloc(1, sizeof(CqAwsDef));
	if (a == NULL)
		return cqp_spec_oom(c);
	if (!cqp_spec_get_enum(c, loc, ja, "protocol", aws_protocol_names, "AWS protocol", true, &proto))
		return false;
	a->protocol = (CqAwsProtocol) proto;
	form = (proto == CQ_AWS_EC2 || proto == CQ_AWS_QUERY);
	rest = (proto == CQ_AWS_REST_JSON || proto == CQ_AWS_REST_XML);

	if (!cqp_spec_get_string(c, loc, ja, "service", true, SPEC_MAX_IDENT, &a->service))
		return false;
	if (!is_host_part(a->service))
		return cqp_spec_fail(c, loc, "service", "\"%s\" is not an AWS signing name (lower-case letters, digits, '-', '.')",
					cqp_spec_quote(qs, sizeof(qs), a->service));
	if (!cqp_spec_get_string(c, loc, ja, "endpoint_prefix", false, SPEC_MAX_IDENT, &a->endpoint_prefix))
		return false;
	if (a->endpoint_prefix == NULL && (a->endpoint_prefix = cqp_spec_dup(c, a->service)) == NULL)
		return false;
	if (!is_host_part(a->endpoint_prefix))
		return cqp_spec_fail(c, loc, "endpoint_prefix", "\"%s\" is not a host name part (lower-case letters, digits, '-', '.')",
					cqp_spec_quote(qs, sizeof(qs), a->endpoint_prefix));
	if (!cqp_spec_get_string(c, loc, ja, "global_region", false, SPEC_MAX_IDENT, &a->global_region))
		return false;
	if (a->global_region && !is_host_part(a->global_region))
		return cqp_spec_fail(c, loc, "global_region", "\"%s\" is not a region name",
					cqp_spec_quote(qs, sizeof(qs), a->global_region));

	if (!cqp_spec_get_string(c, loc, ja, "api_version", false, SPEC_MAX_IDENT, &a->api_version) ||
		!cqp_spec_get_string(c, loc, ja, "action", false, 128, &a->action) ||
		!cqp_spec_get_string(c, loc, ja, "target_prefix", false, 128, &a->target_prefix) ||
		!cqp_spec_get_string(c, loc, ja, "json_version", false, 8, &a->json_version) ||
		!cqp_spec_get_string(c, loc, ja, "method", false, 8, &a->method))
		return false;
	if (a->action && !check_aws_action(c, loc, a->action))
		return false;
	if (a->target_prefix && !cqp_spec_is_param(a->target_prefix))
		return cqp_spec_fail(c, loc, "target_prefix", "\"%s\" is not a target prefix",
					cqp_spec_quote(qs, sizeof(qs), a->target_prefix));
	if (a->api_version && !cqp_spec_is_param(a->api_version))
		return cqp_spec_fail(c, loc, "api_version", "\"%s\" is not an API version",
					cqp_spec_quote(qs, sizeof(qs), a->api_version));
	if ((form || proto == CQ_AWS_JSON) && a->action == NULL)
		return cqp_spec_fail(c, loc, "action", "required for the %s protocol (the operation, e.g. \"DescribeInstances\")",
					aws_protocol_names[proto].name);
	if (form && a->api_version == NULL)
		return cqp_spec_fail(c, loc, "api_version", "required for the %s protocol (sent as Version=)",
					aws_protocol_names[proto].name);
	if (proto == CQ_AWS_JSON && a->target_prefix == NULL)
		return cqp_spec_fail(c, loc, "target_prefix", "required for the json protocol (X-Amz-Target is <target_prefix>.<action>)");
	if (proto != CQ_AWS_JSON && a->target_prefix)
		return cqp_spec_fail(c, loc, "target_prefix", "only the json protocol uses it");
	if (proto != CQ_AWS_JSON && a->json_version)
		return cqp_spec_fail(c, loc, "json_version", "only the json protocol uses it");
	if (proto == CQ_AWS_JSON && a->json_version == NULL &&
		(a->json_version = cqp_spec_dup(c, "1.0")) == NULL)
		return false;
	if (proto == CQ_AWS_JSON && strcmp(a->json_version, "1.0") != 0 && strcmp(a->json_version, "1.1") != 0)
		return cqp_spec_fail(c, loc, "json_version", "must be \"1.0\" or \"1.1\"");
	if (!parse_aws_method(c, loc, proto, &a->method, " (a listing does not change anything)"))
		return false;

	if (!cqp_spec_get_name_list(c, loc, ja, "xml_lists", false, 1024, &a->nxml_lists, &a->xml_lists))
		return false;
	if (a->nxml_lists > 0 && (proto == CQ_AWS_JSON || proto == CQ_AWS_REST_JSON))
		return cqp_spec_fail(c, loc, "xml_lists", "the %s protocol replies in JSON",
					aws_protocol_names[proto].name);

	body = json_object_get(ja, "body");
	if (body && !json_is_null(body))
	{
		char		bloc[SPEC_LOCLEN];
		const char *k;
		json_t	   *v;

		cqp_spec_loc_key(bloc, loc, "body");
		if (rest)
			return cqp_spec_fail(c, bloc, NULL, "only the ec2, query and json protocols send a body");
		if (!json_is_object(body))
			return cqp_spec_fail(c, bloc, NULL, "must be an object");
		json_object_foreach(body, k, v)
		{
			char		eloc[SPEC_LOCLEN];

			cqp_spec_loc_key(eloc, bloc, k);
			if (!cqp_spec_is_param(k))
				return cqp_spec_fail(c, eloc, NULL, "not a valid parameter name");
			if (form && !json_is_string(v) && !json_is_number(v) && !json_is_boolean(v))
				return cqp_spec_fail(c, eloc, NULL, "a form field is a string, number or boolean");
		}
		a->body = json_deep_copy(body);
		if (a->body == NULL)
			return cqp_spec_oom(c);
	}
	return parse_aws_describe(c, loc, ja, a);
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

/* aws.describe.endpoint: {describe.param}, else as check_placeholders. */
static bool
check_describe_placeholders(CqpSpecCtx *c, const char *tloc, const CqTableDef *t)
{
	const CqAwsDescribeDef *d = t->aws ? t->aws->describe : NULL;
	const char *st[SPEC_MAX_PLACEHOLDERS];
	int			ln[SPEC_MAX_PLACEHOLDERS];
	int			n;
	char		aloc[SPEC_LOCLEN];
	char		loc[SPEC_LOCLEN];

	if (d == NULL || d->endpoint == NULL)
		return true;
	cqp_spec_loc_key(aloc, tloc, "aws");
	cqp_spec_loc_key(loc, aloc, "describe");
	n = cqp_spec_template_params(d->endpoint, st, ln, SPEC_MAX_PLACEHOLDERS);
	for (int i = 0; i < n; i++)
	{
		char		name[SPEC_MAX_IDENT + 1];

		cqp_spec_strfmt(name, sizeof(name), "%.*s", ln[i], st[i]);
		if (strcmp(name, d->param) == 0 ||
			cqp_spec_find_key_by_param(t, st[i], ln[i], CQ_IN_PATH) ||
			cqp_spec_parent_map_lookup(t->parent, name))
			continue;
		return cqp_spec_fail(c, loc, "endpoint", "placeholder {%s} is neither describe.param nor the param of an \"in\": \"path\" key", name);
	}
	return true;
}

/* number of "*" segments of a pointer */
static int
count_wildcards(const char *ptr)
{
	int			n = 0;

	for (const char *s = ptr ? ptr : ""; (s = strchr(s, '/')) != NULL; s++)
		if (s[1] == '*' && (s[2] == '/' || s[2] == '\0'))
			n++;
	return n;
}

/*
 * What column paths refer to: a '^' prefix needs as many "*" in rows (and
 * in get_rows when there is a get_endpoint); a "$column" lookup names a
 * plain column of the table (no lookup of its own, no "*").  Resolves the
 * lookups' columns into var_cols.
 */
static bool
check_column_refs(CqpSpecCtx *c, const char *loc, CqTableDef *t)
{
	char		where[SPEC_LOCLEN];
	char		qs[64];

	for (int i = 0; i < t->ncolumns; i++)
	{
		CqColumnDef *col = &t->columns[i];
		int			up = cqp_path_up(col->cpath);

		cqp_spec_loc_index(where, loc, "columns", i);
		if (up > 0 && (count_wildcards(t->rows) < up ||
					   (t->get_endpoint && count_wildcards(t->get_rows) < up)))
			return cqp_spec_fail(c, where, "path", "\"%s\" reads %d level%s up from the row, but %s has fewer \"*\" segments (\"^\" is what the last \"*\" of rows matched)",
								 cqp_spec_quote(qs, sizeof(qs), col->path), up, up > 1 ? "s" : "",
								 count_wildcards(t->rows) < up ? "rows" : "get_rows");
		col->nvar_cols = cqp_path_nvars(col->cpath);
		for (int v = 0; v < col->nvar_cols; v++)
		{
			const char *name = cqp_path_var(col->cpath, v);
			int			k = cq_table_find_column(t, name);

			if (k < 0)
				return cqp_spec_fail(c, where, "path", "lookup \"$%s\" is not a column of the table",
									 cqp_spec_quote(qs, sizeof(qs), name));
			if (cqp_path_has_lookup(t->columns[k].cpath) || cq_path_has_wildcard(t->columns[k].cpath))
				return cqp_spec_fail(c, where, "path", "lookup \"$%s\" refers to a column whose path has a lookup or a \"*\"",
									 cqp_spec_quote(qs, sizeof(qs), name));
			col->var_cols[v] = k;
		}
	}
	return true;
}

/*
 * "method" and "body": a list read by POST (GCP Compute's
 * instanceGroupManagers.listManagedInstances, instanceGroups.listInstances
 * ...): the request changes nothing, so it is paged, retried and counted
 * like a GET; the body is a constant JSON object (filter members such as
 * {"instanceState": "ALL"}), the parameters stay in the query string.
 */
static bool
parse_method(CqpSpecCtx *c, const char *loc, json_t *jt, CqTableDef *t)
{
	json_t	   *body = json_object_get(jt, "body");
	char		qs[64];

	if (!cqp_spec_get_string(c, loc, jt, "method", false, 8, &t->method))
		return false;
	if (t->method && t->aws)
		return cqp_spec_fail(c, loc, "method", "a table with \"aws\" says its method in aws.method");
	if (t->method && strcmp(t->method, "GET") != 0 && strcmp(t->method, "POST") != 0)
		return cqp_spec_fail(c, loc, "method", "\"%s\" is not GET or POST (a listing does not change anything)",
							 cqp_spec_quote(qs, sizeof(qs), t->method));
	if (t->method && strcmp(t->method, "GET") == 0)
	{
		free(t->method);
		t->method = NULL;		/* the default */
	}
	if (body == NULL || json_is_null(body))
		return true;
	if (t->method == NULL)
		return cqp_spec_fail(c, loc, "body", "only a table with \"method\": \"POST\" sends a body");
	if (!json_is_object(body))
		return cqp_spec_fail(c, loc, "body", "must be a JSON object (the members POSTed with every list request)");
	t->body = json_dumps(body, JSON_COMPACT | JSON_SORT_KEYS);
	if (t->body == NULL)
		return cqp_spec_oom(c);
	if (strlen(t->body) > SPEC_MAX_TEMPLATE)
		return cqp_spec_fail(c, loc, "body", "longer than %d bytes", SPEC_MAX_TEMPLATE);
	return true;
}

/*
 * Detail calls ("hydrate"): one GET per row for the columns that say
 * "from": <name>.  Parsed after columns and keys: placeholders name plain
 * columns of the row, a "from" column names an entry and is no key.
 */
static bool
parse_hydrate(CqpSpecCtx *c, const char *loc, json_t *jt, CqTableDef *t)
{
	json_t	   *arr;
	char		where[SPEC_LOCLEN];
	char		qs[64];
	char		qs2[64];

	if (!cqp_spec_get_array(c, loc, jt, "hydrate", false, SPEC_MAX_HYDRATE, &arr))
		return false;
	if (arr && json_array_size(arr) > 0)
	{
		/*
		 * AWS: a detail call is a GET of the listing's REST API, signed
		 * like the listing (S3 GetBucketEncryption per ListBuckets row);
		 * the ec2/query/json protocols have no per-resource GET.
		 */
		if (t->aws && !((t->aws->protocol == CQ_AWS_REST_XML || t->aws->protocol == CQ_AWS_REST_JSON) &&
						t->aws->method && strcmp(t->aws->method, "GET") == 0))
			return cqp_spec_fail(c, loc, "hydrate", "detail calls on a table with \"aws\" need the rest-xml or rest-json protocol and method GET (one signed GET per row)");
		t->hydrate = calloc(json_array_size(arr), sizeof(CqHydrateDef));
		if (t->hydrate == NULL)
			return cqp_spec_oom(c);
		t->nhydrate = (int) json_array_size(arr);
	}
	for (int i = 0; i < t->nhydrate; i++)
	{
		CqHydrateDef *h = &t->hydrate[i];
		json_t	   *jh = json_array_get(arr, (size_t) i);
		json_t	   *ns;
		const char *st[SPEC_MAX_PLACEHOLDERS];
		int			ln[SPEC_MAX_PLACEHOLDERS];
		int			n;

		cqp_spec_loc_index(where, loc, "hydrate", i);
		if (!cqp_spec_check_object(c, where, jh, hydrate_keys) ||
			!cqp_spec_get_ident(c, where, jh, "name", true, &h->name) ||
			!cqp_spec_get_template(c, where, jh, "endpoint", true, &h->endpoint) ||
			!cqp_spec_get_pointer(c, where, jh, "rows", "", false, &h->rows, &h->crows))
			return false;
		for (int j = 0; j < i; j++)
			if (strcmp(t->hydrate[j].name, h->name) == 0)
				return cqp_spec_fail(c, where, "name", "duplicate detail call \"%s\" (also hydrate[%d])",
									 cqp_spec_quote(qs, sizeof(qs), h->name), j);
		ns = json_object_get(jh, "null_status");
		if (ns && !json_is_null(ns))
		{
			size_t		k;
			json_t	   *e;

			if (!json_is_array(ns) || json_array_size(ns) > CQ_HYDRATE_MAX_NULL_STATUS)
				return cqp_spec_fail(c, where, "null_status", "must be an array of at most %d HTTP statuses (e.g. [404])",
									 CQ_HYDRATE_MAX_NULL_STATUS);
			json_array_foreach(ns, k, e)
			{
				if (!json_is_integer(e) || json_integer_value(e) < 400 || json_integer_value(e) > 599)
					return cqp_spec_fail(c, where, "null_status", "element %zu is not an HTTP error status (400..599)", k);
				h->null_status[h->nnull_status++] = (int) json_integer_value(e);
			}
		}
		n = cqp_spec_template_params(h->endpoint, st, ln, SPEC_MAX_PLACEHOLDERS);
		if (n == 0)
			return cqp_spec_fail(c, where, "endpoint", "has no {column} placeholder: every row would get the same detail");
		h->param_names = calloc((size_t) n, sizeof(char *));
		h->param_cols = calloc((size_t) n, sizeof(int));
		if (h->param_names == NULL || h->param_cols == NULL)
			return cqp_spec_oom(c);
		h->nparams = n;
		for (int p = 0; p < n; p++)
		{
			char		name[SPEC_MAX_IDENT + 1];
			int			k;
			const CqColumnDef *pc;

			cqp_spec_strfmt(name, sizeof(name), "%.*s", ln[p], st[p]);
			if ((h->param_names[p] = cqp_spec_dup(c, name)) == NULL)
				return false;
			k = cq_table_find_column(t, name);
			if (k < 0)
				return cqp_spec_fail(c, where, "endpoint", "placeholder {%s} is not a column of the table (a detail call is filled from the row's columns)",
									 cqp_spec_quote(qs, sizeof(qs), name));
			pc = &t->columns[k];
			if (pc->from)
				return cqp_spec_fail(c, where, "endpoint", "placeholder {%s} is a column from the detail call \"%s\", not from the row",
									 cqp_spec_quote(qs, sizeof(qs), name), cqp_spec_quote(qs2, sizeof(qs2), pc->from));
			if (pc->type.is_array || pc->type.base == CQ_T_JSON ||
				cq_path_has_wildcard(pc->cpath) || cqp_path_up(pc->cpath) > 0 ||
				cqp_path_has_lookup(pc->cpath))
				return cqp_spec_fail(c, where, "endpoint", "placeholder {%s} needs a scalar column of the row (no array, json, \"*\", \"^\" or lookup)",
									 cqp_spec_quote(qs, sizeof(qs), name));
			h->param_cols[p] = k;
		}
	}
	for (int i = 0; i < t->ncolumns; i++)
	{
		CqColumnDef *col = &t->columns[i];

		if (!col->from)
			continue;
		cqp_spec_loc_index(where, loc, "columns", i);
		for (int j = 0; j < t->nhydrate; j++)
			if (strcmp(t->hydrate[j].name, col->from) == 0)
				col->hydrate = j + 1;
		if (col->hydrate == 0)
			return cqp_spec_fail(c, where, "from", "\"%s\" is not a detail call of the table (declare it in the table's \"hydrate\")",
								 cqp_spec_quote(qs, sizeof(qs), col->from));
		if (cqp_path_up(col->cpath) > 0 || col->nvar_cols > 0)
			return cqp_spec_fail(c, where, "path", "a column from a detail call reads the detail document: no \"^\" or \"$column\" lookup");
		if (cq_table_find_key(t, col->name))
			return cqp_spec_fail(c, where, "from", "key column \"%s\" must come from the row, not from a detail call",
								 cqp_spec_quote(qs, sizeof(qs), col->name));
	}
	for (int j = 0; j < t->nhydrate; j++)
	{
		bool		used = false;

		for (int i = 0; i < t->ncolumns && !used; i++)
			used = (t->columns[i].hydrate == j + 1);
		if (!used)
		{
			cqp_spec_loc_index(where, loc, "hydrate", j);
			return cqp_spec_fail(c, where, "name", "no column reads detail call \"%s\" (give columns \"from\": \"%s\")",
								 cqp_spec_quote(qs, sizeof(qs), t->hydrate[j].name),
								 cqp_spec_quote(qs2, sizeof(qs2), t->hydrate[j].name));
		}
	}
	return true;
}

/*
 * Parse one table object into *t (zeroed by the caller).  On failure the
 * partial table is left for the caller to clear.
 */
bool
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
	po.more = &t->more;
	po.cmore = &t->cmore;
	po.remaining = &t->remaining;
	po.cremaining = &t->cremaining;
	if (!parse_pagination(c, loc, jt, &po))
		return false;
	if (!parse_aws(c, loc, jt, t))
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

	if (!check_column_refs(c, loc, t))
		return false;

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
				if ((t->keys[i].in == CQ_IN_REGION || t->keys[i].in == CQ_IN_ACCOUNT ||
					 t->keys[i].in == CQ_IN_CONTEXT) &&
					t->keys[j].in == t->keys[i].in)
					return cqp_spec_fail(c, where, "in", "keys[%d] is already the table's %s key",
								j, t->keys[i].in == CQ_IN_REGION ? "region" :
								t->keys[i].in == CQ_IN_ACCOUNT ? "account" : "context");
			}
		}
	}

	if (!parse_cursor(c, loc, jt, t))
		return false;
	if (!parse_hydrate(c, loc, jt, t))
		return false;

	/* cross-checks between templates, keys and parent.map */
	if (!check_placeholders(c, loc, "endpoint", t, t->endpoint, true) ||
		!check_placeholders(c, loc, "get_endpoint", t, t->get_endpoint, true) ||
		!check_describe_placeholders(c, loc, t))
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
	/* origin: how the table came to be (cq_fdw.tables.origin) */
	if (!cqp_spec_get_string(c, loc, jt, "origin", false, 32, &t->origin))
		return false;
	if (t->origin == NULL)
	{
		t->origin = strdup("hand-written");
		if (t->origin == NULL)
			return cqp_spec_oom(c);
	}
	else if (strcmp(t->origin, "generated") != 0 && strcmp(t->origin, "curated") != 0 &&
			 strcmp(t->origin, "hand-written") != 0)
		return cqp_spec_fail(c, loc, "origin", "\"%s\" is not generated, curated or hand-written",
					cqp_spec_quote(qs, sizeof(qs), t->origin));
	if (t->supports_limit && t->page_size_param == NULL)
		return cqp_spec_fail(c, loc, "supports_limit", "needs pagination.page_size_param (the parameter that carries LIMIT)");
	return parse_method(c, loc, jt, t);
}
