/*-------------------------------------------------------------------------
 *
 * types.c
 *		  The SDK type system: type names, parsing of API values (jansson)
 *		  into typed binary values (CqValue) -- the dispatch, arrays and
 *		  value errors; the parsers of each type family are in types_num.c,
 *		  types_text.c, types_time.c and types_net.c, and formatting back
 *		  as PostgreSQL input text in types_format.c (types_int.h declares
 *		  what they share).
 *
 * Invariants:
 *	- cq_value_parse runs on worker threads for every value of every row:
 *	  no malloc per value (variable-size data comes from the caller's arena),
 *	  no locale-dependent call (numbers are parsed by hand or with strtod_l
 *	  under a C locale created once), no timegm/mktime (calendar arithmetic
 *	  is done here, proleptic Gregorian, days-from-civil).
 *	- Every API value is hostile: every parser is bounded by the value's
 *	  length (json_string_length, never strlen), never reads past it, and
 *	  never uses value text as a format string.
 *	- On failure a parser returns false, sets out->isnull and fills err
 *	  (CQ_ERR_VALUE, "invalid input for type X[: reason]", api_message = the
 *	  offending text, sanitized and truncated).  No partial state escapes:
 *	  a failed array drops the json references its elements took.
 *	- A JSON null (or a missing value, v == NULL) is SQL NULL for every type,
 *	  json included.
 *
 * Documented leniencies and decisions (see also cq_sdk.h and each family's
 * banner):
 *	- arrays: a JSON scalar for an array type is a one-element array; null
 *	  elements are allowed; one bad element fails the whole value and the
 *	  message names its index.
 *
 * Copyright (c) 2026, cq_fdw developers
 *
 *-------------------------------------------------------------------------
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE				/* strtod_l, uselocale, newlocale */
#endif
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "cq_sdk.h"
#include "cq_sdk_int.h"
#include "types_int.h"

static const char *const type_names[CQ_T__COUNT] = {
	"bool", "int", "uint", "float", "numeric", "string", "bytes", "uuid",
	"timestamp", "date", "interval", "json", "inet", "cidr", "macaddr"
};

/* ------------------------------------------------------------------------
 * C locale (for strtod_l, snprintf of doubles)
 * ------------------------------------------------------------------------ */
static pthread_once_t c_locale_once = PTHREAD_ONCE_INIT;
static locale_t c_locale = (locale_t) 0;

static void
c_locale_init(void)
{
	c_locale = newlocale(LC_ALL_MASK, "C", (locale_t) 0);
}

locale_t
cqp_types_get_c_locale(void)
{
	pthread_once(&c_locale_once, c_locale_init);
	return c_locale;
}

/* ------------------------------------------------------------------------
 * Type names
 * ------------------------------------------------------------------------ */

/* "int", "inet", ...; "unknown" when out of range.  Static string. */
const char *
cq_type_name(CqType t)
{
	if ((int) t < 0 || t >= CQ_T__COUNT)
		return "unknown";
	return type_names[t];
}

/*
 * cq_type_parse
 *		"inet" or "inet[]" -> CqColType.  Exact lower-case names only.
 *		Returns false (out untouched) for an unknown name or NULL.
 */
bool
cq_type_parse(const char *name, CqColType *out)
{
	size_t		len;
	bool		arr = false;
	int			t;

	if (name == NULL || out == NULL)
		return false;
	len = strlen(name);
	if (len > 2 && name[len - 2] == '[' && name[len - 1] == ']')
	{
		arr = true;
		len -= 2;
	}
	for (t = 0; t < CQ_T__COUNT; t++)
		if (strlen(type_names[t]) == len && memcmp(type_names[t], name, len) == 0)
		{
			out->base = (CqType) t;
			out->is_array = arr;
			return true;
		}
	return false;
}

/* ------------------------------------------------------------------------
 * Errors
 * ------------------------------------------------------------------------ */

/* Set out null and err to a value error; returns false. */
bool
cqp_types_value_fail(CqValue *out, CqError *err, CqType t, json_t *v, const char *reason)
{
	out->isnull = 1;
	if (err == NULL)
		return false;
	if (reason)
		cq_error_set(err, CQ_ERR_VALUE, "invalid input for type %s: %s",
					 cq_type_name(t), reason);
	else
		cq_error_set(err, CQ_ERR_VALUE, "invalid input for type %s",
					 cq_type_name(t));
	if (v == NULL)
		return false;
	if (json_is_string(v))
	{
		size_t		len = json_string_length(v);

		cqp_sanitize_copy(err->api_message, 101 < sizeof(err->api_message) ? 101 : sizeof(err->api_message),
						  json_string_value(v), len > 100 ? 100 : len);
	}
	else
	{
		char		buf[128];
		size_t		n = json_dumpb(v, buf, sizeof(buf),
								   JSON_COMPACT | JSON_ENCODE_ANY);

		if (n > 0 && n <= sizeof(buf))
			cqp_sanitize_copy(err->api_message, sizeof(err->api_message), buf, n);
		else
			snprintf(err->api_message, sizeof(err->api_message), "(%s)",
					 json_is_object(v) ? "object" : json_is_array(v) ? "array" : "value");
	}
	return false;
}

bool
cqp_types_nomem(CqValue *out, CqError *err)
{
	out->isnull = 1;
	cq_error_set(err, CQ_ERR_NOMEM, "out of memory");
	return false;
}

/* one non-null scalar */
static bool
parse_scalar(json_t *v, CqType t, CqArena *arena, CqValue *out, CqError *err)
{
	switch (t)
	{
		case CQ_T_BOOL:
			return cqp_types_p_bool(v, out, err);
		case CQ_T_INT:
			return cqp_types_p_int(v, out, err);
		case CQ_T_UINT:
			return cqp_types_p_uint(v, out, err);
		case CQ_T_FLOAT:
			return cqp_types_p_float(v, out, err);
		case CQ_T_NUMERIC:
			return cqp_types_p_numeric(v, arena, out, err);
		case CQ_T_STRING:
			return cqp_types_p_string(v, arena, out, err);
		case CQ_T_BYTES:
			return cqp_types_p_bytes(v, arena, out, err);
		case CQ_T_UUID:
			return cqp_types_p_uuid(v, out, err);
		case CQ_T_TIMESTAMP:
			return cqp_types_p_timestamp(v, out, err);
		case CQ_T_DATE:
			return cqp_types_p_date(v, out, err);
		case CQ_T_INTERVAL:
			return cqp_types_p_interval(v, out, err);
		case CQ_T_JSON:
			/*
			 * the tree lives outside the arena, as long as the batch: the
			 * memory budget must count it (cq_arena_bytes).  A value of
			 * the page's jansson arena (jarena.c) ends with the page: the
			 * batch gets its own copy.
			 */
			out->u.json = cqp_jarena_detach(v);
			if (out->u.json == NULL)
				return cqp_types_nomem(out, err);
			cqp_arena_charge(arena, cqp_json_footprint(v));
			return true;
		case CQ_T_INET:
		case CQ_T_CIDR:
			return cqp_types_p_inet(v, t, out, err);
		case CQ_T_MACADDR:
			return cqp_types_p_macaddr(v, out, err);
		default:
			break;
	}
	out->isnull = 1;
	cq_error_set(err, CQ_ERR_INTERNAL, "unknown type %d", (int) t);
	return false;
}

static inline void
value_init(CqValue *out, CqType t, bool arr)
{
	out->isnull = 0;
	out->type = (uint8_t) t;
	out->is_array = arr;
	out->flags = 0;
	out->len = 0;
	memset(&out->u, 0, sizeof(out->u));
}

/*
 * cq_value_parse
 *		Parse one JSON value as `type` into `out` (see cq_sdk.h and the file
 *		banner for accepted forms).  v == NULL or JSON null -> null value.
 *		Variable-size data and array element vectors come from `arena`; json
 *		values are increfed (the batch owns the reference).  Returns false
 *		with out->isnull set and err filled on a bad value (or OOM).  Any
 *		thread; no global state but the C locale created once.
 */
bool
cq_value_parse(json_t *v, CqColType type, CqArena *arena, CqValue *out,
			   CqError *err)
{
	size_t		n,
				i;
	CqValue    *elems;

	value_init(out, type.base, type.is_array);
	if (v == NULL || json_is_null(v))
	{
		out->isnull = 1;
		return true;
	}
	if ((int) type.base < 0 || type.base >= CQ_T__COUNT)
	{
		out->isnull = 1;
		cq_error_set(err, CQ_ERR_INTERNAL, "unknown type %d", (int) type.base);
		return false;
	}
	if (!type.is_array)
		return parse_scalar(v, type.base, arena, out, err);

	/* arrays: a scalar is a one-element array */
	n = json_is_array(v) ? json_array_size(v) : 1;
	if (n == 0)
		return true;
	if (n > UINT32_MAX / 2)
	{
		out->isnull = 1;
		cq_error_set(err, CQ_ERR_LIMIT, "too many array elements (%zu)", n);
		return false;
	}
	elems = cq_arena_alloc(arena, n * sizeof(CqValue));
	if (elems == NULL)
		return cqp_types_nomem(out, err);
	for (i = 0; i < n; i++)
	{
		json_t	   *e = json_is_array(v) ? json_array_get(v, i) : v;
		CqValue    *ev = &elems[i];

		value_init(ev, type.base, false);
		if (e == NULL || json_is_null(e))
		{
			ev->isnull = 1;
			continue;
		}
		if (!parse_scalar(e, type.base, arena, ev, err))
		{
			size_t		k;

			for (k = 0; k < i; k++)
				if (!elems[k].isnull && type.base == CQ_T_JSON)
					json_decref(elems[k].u.json);
			if (err)
			{
				size_t		l = strlen(err->message);

				snprintf(err->message + l, sizeof(err->message) - l,
						 " (array element %zu)", i);
			}
			out->isnull = 1;
			return false;
		}
	}
	out->len = (uint32_t) n;
	out->u.arr = elems;
	return true;
}
