/*-------------------------------------------------------------------------
 *
 * types_int.h
 *		  Private declarations shared by the type system's files (types.c
 *		  and types_*.c).
 *
 * Not installed; only the types files include it (after defining
 * _GNU_SOURCE, for locale_t).  The value parsers (cqp_types_p_*) share one
 * contract: v is a non-null JSON value and *out was initialized by the
 * caller (value_init in types.c: not null, its type); on success they fill
 * the payload (variable data in `arena`); on failure they return false
 * through cqp_types_value_fail (out->isnull set, err a CQ_ERR_VALUE naming
 * the type) or cqp_types_nomem.  Every function is reentrant.
 *
 * Copyright (c) 2026, cq_fdw developers
 *
 *-------------------------------------------------------------------------
 */
#ifndef TYPES_INT_H
#define TYPES_INT_H

#include <locale.h>

#include "cq_sdk.h"

/* Time: microseconds, and the supported range (years 1..9999). */
#define USECS_PER_SEC	INT64_C(1000000)
#define USECS_PER_DAY	INT64_C(86400000000)
/* 0001-01-01 and 10000-01-01 as days since 1970-01-01 */
#define MIN_DAYS		(-719162)
#define END_DAYS		2932897
#define MIN_USECS		((int64_t) MIN_DAYS * USECS_PER_DAY)
#define END_USECS		((int64_t) END_DAYS * USECS_PER_DAY)

/* ------------------------------------------------------------------------
 * Character helpers (inline: called per character of a value)
 * ------------------------------------------------------------------------ */
static inline int
cqp_types_lc(int c)
{
	return (c >= 'A' && c <= 'Z') ? c + 32 : c;
}

static inline bool
cqp_types_isdig(int c)
{
	return c >= '0' && c <= '9';
}

/* in types.c: the C locale, value errors */
extern locale_t cqp_types_get_c_locale(void);
extern bool cqp_types_value_fail(CqValue *out, CqError *err, CqType t,
								 json_t *v, const char *reason);
extern bool cqp_types_nomem(CqValue *out, CqError *err);

/* in types_num.c: integers, doubles, the number family */
extern bool cqp_types_eq_ci(const char *s, size_t len, const char *lit);
extern bool cqp_types_parse_i64(const char *s, size_t len, int64_t *out);
extern bool cqp_types_parse_double(const char *s, size_t len, double *out);
extern size_t cqp_types_fmt_i64(int64_t v, char *buf);
extern size_t cqp_types_fmt_u64(uint64_t u, char *buf);
extern size_t cqp_types_fmt_double(double d, char *buf);
extern bool cqp_types_p_bool(json_t *v, CqValue *out, CqError *err);
extern bool cqp_types_p_int(json_t *v, CqValue *out, CqError *err);
extern bool cqp_types_p_uint(json_t *v, CqValue *out, CqError *err);
extern bool cqp_types_p_float(json_t *v, CqValue *out, CqError *err);
/* types_numimg.c: PostgreSQL numeric images */
extern size_t cqp_numeric_image_max(size_t len);
extern size_t cqp_numeric_image(const char *s, size_t len, void *out);
extern bool cqp_types_numeric_store(CqArena *arena, const char *s, size_t len,
									CqValue *out);
extern bool cqp_types_p_numeric(json_t *v, CqArena *arena, CqValue *out,
								CqError *err);

/* in types_text.c: string, bytes, uuid */
extern bool cqp_types_p_string(json_t *v, CqArena *arena, CqValue *out,
							   CqError *err);
extern bool cqp_types_p_bytes(json_t *v, CqArena *arena, CqValue *out,
							  CqError *err);
extern bool cqp_types_p_uuid(json_t *v, CqValue *out, CqError *err);

/* in types_time.c: calendar, timestamp, date, interval */
extern void cqp_types_civil_from_days(int64_t z, int *y, int *m, int *d);
extern bool cqp_types_p_timestamp(json_t *v, CqValue *out, CqError *err);
extern bool cqp_types_p_date(json_t *v, CqValue *out, CqError *err);
extern bool cqp_types_p_interval(json_t *v, CqValue *out, CqError *err);

/* in types_net.c: inet, cidr, macaddr */
extern bool cqp_types_p_inet(json_t *v, CqType t, CqValue *out, CqError *err);
extern bool cqp_types_p_macaddr(json_t *v, CqValue *out, CqError *err);

#endif							/* TYPES_INT_H */
