/*-------------------------------------------------------------------------
 *
 * convert.c
 *		  SDK typed values (CqValue) -> PostgreSQL Datums.
 *
 * The SDK validated every value on a worker thread and handed it over in a
 * canonical binary form (cq_sdk.h, "Binary forms").  This file only builds
 * Datums from those forms, on the backend's main thread:
 *
 *	- Fast path ("direct"): the column's declared type is the SDK type's
 *	  natural PostgreSQL type (or a cheap variant: int -> int2/int4 with a
 *	  range check, timestamp -> timestamp without time zone, string ->
 *	  varchar without length, json -> json).  The Datum is built from the
 *	  binary form without any text round trip.  The one documented exception
 *	  is numeric with a typmod: the SDK's canonical decimal text goes
 *	  through numeric_in, which applies it.  Without a typmod the workers
 *	  built PostgreSQL's numeric image (CQ_VAL_NUMIMG, types_numimg.c),
 *	  used as the Datum as text images are.
 *	- Slow path: any other declared type.  cq_value_format() renders the
 *	  value as PostgreSQL input text and the type's input function (cached
 *	  FmgrInfo, with the column's typmod) converts it.  With strict, an
 *	  input-function error is raised as is; scan.c installs an error context
 *	  callback that names the column and its JSON path.  Without strict,
 *	  scan.c converts the columns that can fail this way (and numeric ones
 *	  with a typmod: numeric_in applies it) a batch at a time through
 *	  cqfdw_convert_guarded(): one subtransaction per batch, and one more
 *	  per value that fails, which becomes NULL and is counted like any
 *	  invalid value.  PostgreSQL 15 has no soft-error input functions, and
 *	  catching an error without rolling back a subtransaction is unsafe (a
 *	  domain CHECK can run any function).
 *
 * Invariants:
 *	- Nothing here reads API text as a format string; API text only ever
 *	  becomes Datum content or a %s argument.
 *	- A value the fast path cannot represent (int out of int4 range,
 *	  timestamp out of PostgreSQL's range) is a value error: NULL plus a
 *	  count in the conversion state (reported as a WARNING by scan.c), or an
 *	  ERROR in strict mode -- the same contract as SDK-side validation.
 *	- Datums are palloc'd in CurrentMemoryContext (the scan's batch
 *	  context), except text/varchar/bytea values the workers prepared as
 *	  varlena images (CQ_VAL_VARLENA, cq_sdk.h), numeric values with an
 *	  image (CQ_VAL_NUMIMG) and jsonb values with an image (CQ_VAL_JSONB,
 *	  asked for by cqfdw_conv_jsonb_image): their Datum points into the
 *	  batch's arena, which scan.c frees together with the batch context
 *	  (when the next batch comes, on rescan and at the end), so both kinds
 *	  live exactly as long.  Nothing outlives the batch.
 *
 * Copyright (c) 2026, cq_fdw developers
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <sys/socket.h>

#include "catalog/pg_type.h"
#include "datatype/timestamp.h"
#include "fmgr.h"
#include "mb/pg_wchar.h"
#include "access/xact.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/fmgrprotos.h"
#include "utils/inet.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/resowner.h"
#include "utils/numeric.h"
#include "utils/timestamp.h"
#include "utils/uuid.h"

#include "cq_fdw.h"

/* Seconds and days between the Unix epoch and PostgreSQL's (2000-01-01). */
#define UNIX_TO_PG_USECS	INT64CONST(946684800000000)
#define UNIX_TO_PG_DAYS		10957

/* Longest text the slow path formats on the stack before going to palloc */
#define FORMAT_STACK_BYTES	256

/*
 * is_direct
 *		Whether a value of SDK scalar type `base` can be turned into a Datum
 *		of (typid, typmod) without the type's input function.
 */
static bool
is_direct(CqType base, Oid typid, int32 typmod)
{
	switch (base)
	{
		case CQ_T_BOOL:
			return typid == BOOLOID;
		case CQ_T_INT:
			return typid == INT8OID || typid == INT4OID || typid == INT2OID;
		case CQ_T_UINT:
			return typid == NUMERICOID && typmod < 0;
		case CQ_T_FLOAT:
			return typid == FLOAT8OID;
		case CQ_T_NUMERIC:
			/* numeric_in applies the typmod itself */
			return typid == NUMERICOID;
		case CQ_T_STRING:
			return typid == TEXTOID || (typid == VARCHAROID && typmod < 0);
		case CQ_T_BYTES:
			return typid == BYTEAOID;
		case CQ_T_UUID:
			return typid == UUIDOID;
		case CQ_T_TIMESTAMP:
			return (typid == TIMESTAMPTZOID || typid == TIMESTAMPOID) &&
				typmod < 0;
		case CQ_T_DATE:
			return typid == DATEOID;
		case CQ_T_INTERVAL:
			return typid == INTERVALOID && typmod < 0;
		case CQ_T_JSON:
			return typid == JSONBOID || typid == JSONOID;
		case CQ_T_INET:
			return typid == INETOID;
		case CQ_T_CIDR:
			/* a cidr value is a valid inet value too */
			return typid == CIDROID || typid == INETOID;
		case CQ_T_MACADDR:
			return typid == MACADDROID;
		case CQ_T__COUNT:
			break;
	}
	return false;
}

/*
 * cqfdw_conv_create
 *		Prepare the conversion of one source column into one table column.
 *
 * Palloc'd in CurrentMemoryContext (the scan context); catalog lookups
 * happen here, once per scan, never per value.  `src` may be NULL for a
 * column the source does not have (it is always NULL then).
 */
CqFdwConvState *
cqfdw_conv_create(const CqFdwColumn *col, const CqColumnDef *src)
{
	CqFdwConvState *cs = palloc0(sizeof(CqFdwConvState));

	cs->typid = col->atttypid;
	cs->typmod = col->atttypmod;
	cs->attname = col->attname;
	cs->path = (src && src->path) ? src->path : "";
	if (src == NULL)
		return cs;
	cs->sdktype = src->type;

	if (!src->type.is_array)
		cs->direct = is_direct(src->type.base, cs->typid, cs->typmod);
	else
	{
		Oid			elemtype = get_element_type(cs->typid);

		if (OidIsValid(elemtype) &&
			is_direct(src->type.base, elemtype, -1) &&
			!(src->type.base == CQ_T_NUMERIC && cs->typmod >= 0))
		{
			cs->direct = true;
			cs->elemtype = elemtype;
			get_typlenbyvalalign(elemtype, &cs->elmlen, &cs->elmbyval,
								 &cs->elmalign);
		}
	}

	if (!cs->direct)
	{
		Oid			infunc;

		getTypeInputInfo(cs->typid, &infunc, &cs->typioparam);
		fmgr_info(infunc, &cs->infunc);
	}
	/*
	 * numeric_in applies a typmod and may fail; without one, every numeric
	 * value the SDK hands over is one numeric_in accepts (its image, or its
	 * text within numeric_in's bounds: types_num.c), so no guarded pass
	 */
	cs->may_fail = !cs->direct ||
		(src->type.base == CQ_T_NUMERIC && cs->typmod >= 0);
	return cs;
}

/*
 * cqfdw_conv_jsonb_image
 *		Whether the workers should hand this column's values over as jsonb
 *		images (CqJobParams.out_jsonb, CQ_VAL_JSONB): a json source column
 *		(not an array) read into a jsonb column, in a UTF8 database (the
 *		image holds the API's UTF-8 as is; other encodings convert strings
 *		on this thread, json_to_jsonb).
 */
bool
cqfdw_conv_jsonb_image(const CqFdwConvState *cs)
{
	return cs->direct && cs->typid == JSONBOID &&
		cs->sdktype.base == CQ_T_JSON && !cs->sdktype.is_array &&
		GetDatabaseEncoding() == PG_UTF8;
}

/*
 * value_error
 *		A value the fast path cannot represent: count it (first example kept)
 *		or, in strict mode, raise ERROR (22003, numeric value out of range).
 */
static void
value_error(CqFdwConvState *cs, const CqValue *v, const char *why)
{
	char		text[128];

	cq_value_format(v, text, sizeof(text));
	if (cs->strict)
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("value out of range for column \"%s\"", cs->attname),
				 errdetail("Value \"%s\": %s.", text, why),
				 errhint("Unset cq_fdw.strict and the table option strict to read invalid values as NULL with a warning.")));
	if (cs->nbad++ == 0)
	{
		strlcpy(cs->example, text, sizeof(cs->example));
		strlcpy(cs->why, why, sizeof(cs->why));
	}
}

/*
 * utf8_text
 *		Text datum from `len` bytes of valid UTF-8 (no NUL), converted to the
 *		database encoding when that is not UTF-8 (may ERROR on a character
 *		the database encoding lacks).
 */
static text *
utf8_text(const char *s, size_t len)
{
	if (GetDatabaseEncoding() != PG_UTF8 && len > 0)
	{
		char	   *conv = pg_any_to_server(s, (int) len, PG_UTF8);

		if (conv != s)
			return cstring_to_text(conv);
	}
	return cstring_to_text_with_len(s, (int) len);
}

/*
 * jsonb_string
 *		Fill a jbvString from a jansson string, stripping NUL characters
 *		(jsonb, like text, cannot hold them: the same rule as the SDK's
 *		string type).
 */
static void
jsonb_string(JsonbValue *jv, const char *s, size_t len)
{
	char	   *buf;
	size_t		n = 0;

	jv->type = jbvString;
	if (memchr(s, '\0', len) == NULL && GetDatabaseEncoding() == PG_UTF8)
	{
		jv->val.string.val = (char *) s;	/* pushJsonbValue copies later */
		jv->val.string.len = (int) len;
		return;
	}
	buf = palloc(len + 1);
	for (size_t i = 0; i < len; i++)
		if (s[i] != '\0')
			buf[n++] = s[i];
	buf[n] = '\0';
	if (GetDatabaseEncoding() != PG_UTF8)
		buf = pg_any_to_server(buf, (int) n, PG_UTF8);
	jv->val.string.val = buf;
	jv->val.string.len = (int) strlen(buf);
}

/*
 * json_scalar
 *		JsonbValue for a jansson scalar.  Strings point into jansson memory,
 *		which outlives the JsonbValueToJsonb() call that copies them.
 */
static void
json_scalar(json_t *j, JsonbValue *jv)
{
	switch (json_typeof(j))
	{
		case JSON_STRING:
			jsonb_string(jv, json_string_value(j), json_string_length(j));
			break;
		case JSON_INTEGER:
			jv->type = jbvNumeric;
			jv->val.numeric = int64_to_numeric(json_integer_value(j));
			break;
		case JSON_REAL:
			jv->type = jbvNumeric;
			jv->val.numeric =
				DatumGetNumeric(DirectFunctionCall1(float8_numeric,
													Float8GetDatum(json_real_value(j))));
			break;
		case JSON_TRUE:
			jv->type = jbvBool;
			jv->val.boolean = true;
			break;
		case JSON_FALSE:
			jv->type = jbvBool;
			jv->val.boolean = false;
			break;
		default:
			jv->type = jbvNull;
			break;
	}
}

/*
 * push_json
 *		Push a jansson value into a jsonb parse state (recursive; depth is
 *		bounded by the SDK's max_json_depth, and check_stack_depth guards
 *		anyway).  `tok` is WJB_VALUE or WJB_ELEM for a scalar.
 */
static JsonbValue *
push_json(JsonbParseState **ps, json_t *j, JsonbIteratorToken tok)
{
	JsonbValue	jv;
	JsonbValue *res = NULL;

	check_stack_depth();
	CHECK_FOR_INTERRUPTS();

	if (json_is_object(j))
	{
		const char *key;
		json_t	   *val;

		pushJsonbValue(ps, WJB_BEGIN_OBJECT, NULL);
		json_object_foreach(j, key, val)
		{
			JsonbValue	k;

			jsonb_string(&k, key, strlen(key));
			pushJsonbValue(ps, WJB_KEY, &k);
			push_json(ps, val, WJB_VALUE);
		}
		res = pushJsonbValue(ps, WJB_END_OBJECT, NULL);
	}
	else if (json_is_array(j))
	{
		size_t		i;
		json_t	   *val;

		pushJsonbValue(ps, WJB_BEGIN_ARRAY, NULL);
		json_array_foreach(j, i, val)
			push_json(ps, val, WJB_ELEM);
		res = pushJsonbValue(ps, WJB_END_ARRAY, NULL);
	}
	else
	{
		json_scalar(j, &jv);
		res = pushJsonbValue(ps, tok, &jv);
	}
	return res;
}

/*
 * json_to_jsonb
 *		Build a jsonb directly from a jansson tree (no text round trip).
 */
static Datum
json_to_jsonb(json_t *j)
{
	JsonbParseState *ps = NULL;
	JsonbValue *res;

	if (j == NULL)
		j = json_null();		/* static singleton, no reference counting */
	if (!json_is_object(j) && !json_is_array(j))
	{
		JsonbValue	jv;

		json_scalar(j, &jv);
		return JsonbPGetDatum(JsonbValueToJsonb(&jv));
	}
	res = push_json(&ps, j, WJB_ELEM);
	return JsonbPGetDatum(JsonbValueToJsonb(res));
}

/*
 * json_to_text
 *		json (not jsonb) column: compact JSON text.  The string jansson
 *		mallocs is freed before anything can throw.
 */
static Datum
json_to_text(json_t *j)
{
	char	   *s = json_dumps(j ? j : json_null(),
							   JSON_COMPACT | JSON_ENCODE_ANY);
	text	   *t;

	if (s == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("out of memory while formatting a JSON value")));
	PG_TRY();
	{
		t = utf8_text(s, strlen(s));
	}
	PG_FINALLY();
	{
		free(s);
	}
	PG_END_TRY();
	return PointerGetDatum(t);
}

/*
 * scalar_datum
 *		Fast path for one non-null scalar.  Returns false (value error
 *		counted) when the value does not fit the declared type.
 */
static bool
scalar_datum(CqFdwConvState *cs, const CqValue *v, Oid typid, int32 typmod,
			 Datum *out)
{
	switch ((CqType) v->type)
	{
		case CQ_T_BOOL:
			*out = BoolGetDatum(v->u.b);
			return true;
		case CQ_T_INT:
			if (typid == INT4OID)
			{
				if (v->u.i < PG_INT32_MIN || v->u.i > PG_INT32_MAX)
				{
					value_error(cs, v, "integer out of range for type integer");
					return false;
				}
				*out = Int32GetDatum((int32) v->u.i);
			}
			else if (typid == INT2OID)
			{
				if (v->u.i < PG_INT16_MIN || v->u.i > PG_INT16_MAX)
				{
					value_error(cs, v, "integer out of range for type smallint");
					return false;
				}
				*out = Int16GetDatum((int16) v->u.i);
			}
			else
				*out = Int64GetDatum(v->u.i);
			return true;
		case CQ_T_UINT:
			if (v->u.u <= (uint64) PG_INT64_MAX)
				*out = NumericGetDatum(int64_to_numeric((int64) v->u.u));
			else
			{
				char		buf[32];

				snprintf(buf, sizeof(buf), UINT64_FORMAT, (uint64) v->u.u);
				*out = DirectFunctionCall3(numeric_in, CStringGetDatum(buf),
										   ObjectIdGetDatum(InvalidOid),
										   Int32GetDatum(-1));
			}
			return true;
		case CQ_T_FLOAT:
			*out = Float8GetDatum(v->u.f);
			return true;
		case CQ_T_NUMERIC:
			if ((v->flags & CQ_VAL_NUMIMG) && typmod < 0 &&
				VARSIZE(cq_numeric_image(v)) >= VARHDRSZ + sizeof(uint16))
			{
				/* the worker's image of numeric_in's result (types_numimg.c) */
				*out = PointerGetDatum(cq_numeric_image(v));
				return true;
			}
			{
				/* a typmod to apply: canonical decimal text -> numeric_in */
				char	   *s = pnstrdup(v->u.s, v->len);

				*out = DirectFunctionCall3(numeric_in, CStringGetDatum(s),
										   ObjectIdGetDatum(InvalidOid),
										   Int32GetDatum(typmod));
				pfree(s);
				return true;
			}
		case CQ_T_STRING:
			if ((v->flags & CQ_VAL_VARLENA) && GetDatabaseEncoding() == PG_UTF8 &&
				VARSIZE(v->u.s - VARHDRSZ) == v->len + VARHDRSZ)
				*out = PointerGetDatum(v->u.s - VARHDRSZ);	/* the worker's image */
			else
				*out = PointerGetDatum(utf8_text(v->u.s, v->len));
			return true;
		case CQ_T_BYTES:
			if ((v->flags & CQ_VAL_VARLENA) &&
				VARSIZE(v->u.s - VARHDRSZ) == v->len + VARHDRSZ)
			{
				*out = PointerGetDatum(v->u.s - VARHDRSZ);	/* the worker's image */
				return true;
			}
			{
				bytea	   *b = palloc(VARHDRSZ + v->len);

				SET_VARSIZE(b, VARHDRSZ + v->len);
				if (v->len > 0)
					memcpy(VARDATA(b), v->u.s, v->len);
				*out = PointerGetDatum(b);
				return true;
			}
		case CQ_T_UUID:
			{
				pg_uuid_t  *u = palloc(sizeof(pg_uuid_t));

				memcpy(u->data, v->u.uuid, UUID_LEN);
				*out = UUIDPGetDatum(u);
				return true;
			}
		case CQ_T_TIMESTAMP:
			{
				TimestampTz ts;

				if (pg_sub_s64_overflow(v->u.i, UNIX_TO_PG_USECS, &ts) ||
					!IS_VALID_TIMESTAMP(ts))
				{
					value_error(cs, v, "timestamp out of range");
					return false;
				}
				/* timestamp without time zone: the UTC wall-clock time */
				*out = (typid == TIMESTAMPOID) ? TimestampGetDatum(ts) :
					TimestampTzGetDatum(ts);
				return true;
			}
		case CQ_T_DATE:
			{
				int64		d = (int64) v->u.date - UNIX_TO_PG_DAYS;

				if (!IS_VALID_DATE(d))
				{
					value_error(cs, v, "date out of range");
					return false;
				}
				*out = DateADTGetDatum((DateADT) d);
				return true;
			}
		case CQ_T_INTERVAL:
			{
				Interval   *iv = palloc(sizeof(Interval));

				iv->month = v->u.iv.months;
				iv->day = v->u.iv.days;
				iv->time = v->u.iv.usecs;
				*out = IntervalPGetDatum(iv);
				return true;
			}
		case CQ_T_JSON:
			if (v->flags & CQ_VAL_JSONB)
			{
				/* the worker's jsonb image (types_jsonbimg.c) */
				if (typid != JSONBOID || VARSIZE(v->u.s) != v->len)
					elog(ERROR, "unexpected jsonb image for a column of type %u", typid);
				*out = PointerGetDatum(v->u.s);
				return true;
			}
			*out = (typid == JSONOID) ? json_to_text(v->u.json) :
				json_to_jsonb(v->u.json);
			return true;
		case CQ_T_INET:
		case CQ_T_CIDR:
			{
				inet	   *ip = palloc0(sizeof(inet));
				int			nb = (v->u.inet.family == 4) ? 4 : 16;

				ip_family(ip) = (v->u.inet.family == 4) ? PGSQL_AF_INET :
					PGSQL_AF_INET6;
				ip_bits(ip) = v->u.inet.bits;
				memcpy(ip_addr(ip), v->u.inet.addr, nb);
				SET_INET_VARSIZE(ip);
				*out = InetPGetDatum(ip);
				return true;
			}
		case CQ_T_MACADDR:
			{
				macaddr    *m = palloc(sizeof(macaddr));

				m->a = v->u.mac[0];
				m->b = v->u.mac[1];
				m->c = v->u.mac[2];
				m->d = v->u.mac[3];
				m->e = v->u.mac[4];
				m->f = v->u.mac[5];
				*out = MacaddrPGetDatum(m);
				return true;
			}
		case CQ_T__COUNT:
			break;
	}
	elog(ERROR, "cq_fdw: unexpected SDK value type %d", (int) v->type);
	return false;				/* keep compiler quiet */
}

/*
 * slow_path
 *		Declared type differs from the source type: format the value as
 *		PostgreSQL input text and call the type's input function.  May ERROR
 *		(invalid input for the declared type); the caller's error context
 *		names the column and JSON path.
 */
static Datum
slow_path(CqFdwConvState *cs, const CqValue *v)
{
	char		stackbuf[FORMAT_STACK_BYTES];
	char	   *buf = stackbuf;
	size_t		need = cq_value_format(v, stackbuf, sizeof(stackbuf));
	Datum		d;

	if (need >= sizeof(stackbuf))
	{
		/* cap: a value's text is bounded by the SDK's response size limit */
		if (need >= MaxAllocSize)
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("value of column \"%s\" is too large", cs->attname)));
		buf = palloc(need + 1);
		cq_value_format(v, buf, need + 1);
	}
	if (GetDatabaseEncoding() != PG_UTF8)
		buf = pg_any_to_server(buf, (int) strlen(buf), PG_UTF8);
	d = InputFunctionCall(&cs->infunc, buf, cs->typioparam, cs->typmod);
	if (buf != stackbuf)
		pfree(buf);
	return d;
}

/*
 * cqfdw_convert
 *		One SDK value -> Datum of the column's declared type.
 *
 * Sets *isnull for a null value (or a counted value error).  Result memory
 * is palloc'd in CurrentMemoryContext.  Can ERROR (strict value errors,
 * input functions on the slow path, out of memory).
 */
Datum
cqfdw_convert(CqFdwConvState *cs, const CqValue *v, bool *isnull)
{
	Datum		d;

	*isnull = true;
	if (v->isnull)
		return (Datum) 0;

	if (!cs->direct)
	{
		*isnull = false;
		return slow_path(cs, v);
	}

	if (!v->is_array)
	{
		if (!scalar_datum(cs, v, cs->typid, cs->typmod, &d))
			return (Datum) 0;
		*isnull = false;
		return d;
	}

	/* array of scalars: element Datums with nulls, one dimension */
	{
		int			n = (int) v->len;
		Datum	   *elems;
		bool	   *nulls;
		int			dims[1];
		int			lbs[1];

		if (n == 0)
		{
			*isnull = false;
			return PointerGetDatum(construct_empty_array(cs->elemtype));
		}
		if ((size_t) n > MaxAllocSize / sizeof(Datum))
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("array in column \"%s\" has too many elements",
							cs->attname)));
		elems = palloc(n * sizeof(Datum));
		nulls = palloc(n * sizeof(bool));
		for (int i = 0; i < n; i++)
		{
			const CqValue *e = &v->u.arr[i];

			nulls[i] = true;
			elems[i] = (Datum) 0;
			if (!e->isnull &&
				scalar_datum(cs, e, cs->elemtype, -1, &elems[i]))
				nulls[i] = false;
		}
		dims[0] = n;
		lbs[0] = 1;
		d = PointerGetDatum(construct_md_array(elems, nulls, 1, dims, lbs,
											   cs->elemtype, cs->elmlen,
											   cs->elmbyval, cs->elmalign));
		pfree(elems);
		pfree(nulls);
		*isnull = false;
		return d;
	}
}

/*
 * is_data_error
 *		An error that is about the value (class 22 data exception, class 23
 *		integrity constraint violation: a domain's CHECK or NOT NULL), not
 *		about the session (a cancel, out of memory, ...).
 */
static bool
is_data_error(int sqlerrcode)
{
	char		cls[3];

	cls[0] = PGUNSIXBIT(sqlerrcode);
	cls[1] = PGUNSIXBIT(sqlerrcode >> 6);
	cls[2] = '\0';
	return strcmp(cls, "22") == 0 || strcmp(cls, "23") == 0;
}

/*
 * cqfdw_convert_guarded
 *		Non-strict scans: convert the values of the columns that may fail
 *		(cs->may_fail) of a whole batch, rows [0, nrows), into out/outnull
 *		(nrows * nconv entries, row-major; the other columns' entries are
 *		left alone).  All of it runs in one subtransaction; a value whose
 *		conversion raises a data error rolls it back, becomes NULL, is
 *		counted in its column's conversion state (the scan's WARNING), and
 *		the rest of the batch goes on in a new subtransaction.  Any other
 *		error (a cancel, out of memory) is re-thrown.  Datums are palloc'd
 *		in CurrentMemoryContext, which must outlive the subtransactions.
 *
 *		Returns false, doing nothing, where a subtransaction cannot start
 *		(a parallel operation): the caller converts as in strict mode.
 */
bool
cqfdw_convert_guarded(CqFdwConvState **conv, int nconv, const CqValue *values,
					  int ncols, int nrows, Datum *out, bool *outnull)
{
	MemoryContext cxt = CurrentMemoryContext;
	ResourceOwner owner = CurrentResourceOwner;
	volatile int pos = 0;
	int			total = nrows * nconv;

	if (IsInParallelMode())
		return false;
	while (pos < total)
	{
		BeginInternalSubTransaction(NULL);
		MemoryContextSwitchTo(cxt);
		PG_TRY();
		{
			for (; pos < total; pos++)
			{
				int			r = pos / nconv,
							i = pos % nconv;

				if (i < ncols && conv[i]->may_fail)
					out[pos] = cqfdw_convert(conv[i], &values[(size_t) r * ncols + i],
											 &outnull[pos]);
			}
			ReleaseCurrentSubTransaction();
			MemoryContextSwitchTo(cxt);
			CurrentResourceOwner = owner;
		}
		PG_CATCH();
		{
			ErrorData  *edata;
			int			r = pos / nconv,
						i = pos % nconv;
			CqFdwConvState *cs = conv[i];

			MemoryContextSwitchTo(cxt);
			edata = CopyErrorData();
			FlushErrorState();
			RollbackAndReleaseCurrentSubTransaction();
			MemoryContextSwitchTo(cxt);
			CurrentResourceOwner = owner;
			if (!is_data_error(edata->sqlerrcode))
				ReThrowError(edata);
			outnull[pos] = true;
			out[pos] = (Datum) 0;
			if (cs->nbad++ == 0)
			{
				cq_value_format(&values[(size_t) r * ncols + i], cs->example,
								sizeof(cs->example));
				strlcpy(cs->why, edata->message ? edata->message : "invalid value",
						sizeof(cs->why));
			}
			FreeErrorData(edata);
			pos++;
		}
		PG_END_TRY();
	}
	return true;
}
