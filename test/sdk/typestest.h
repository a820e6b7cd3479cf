/*
 * typestest.h -- helpers shared by the type system's test files
 * (test_types.c, where they are defined, and test_types_<family>.c).
 *
 * A suite calls cqt_types_begin() first and cqt_types_end() last: values
 * are parsed into cqt_arena.  OK(type, json, text) parses the JSON text as
 * the type and checks the PostgreSQL input text cq_value_format gives back;
 * BAD(type, json) checks that the value is refused with CQ_ERR_VALUE;
 * ISNULL(type, json) that it is SQL NULL.
 */
#ifndef TYPESTEST_H
#define TYPESTEST_H

#include <stdbool.h>
#include <string.h>

#include "cq_sdk.h"
#include "cqtest.h"

extern CqArena *cqt_arena;
extern void cqt_types_begin(void);
extern void cqt_types_end(void);
/* json_loads with JSON_DECODE_ANY | JSON_ALLOW_NUL; NULL if invalid */
extern json_t *cqt_load(const char *json);
/* parse json text as type, format into buf; returns the parse result */
extern bool cqt_parse_fmt(const char *type, const char *json, char *buf,
						  size_t buflen, CqValue *out, CqError *err);
/* release json references held by a parsed value */
extern void cqt_drop(CqValue *v);

/* arrays decay through a call, so CQ_CHECK_STR's NULL test stays meaningful */
static inline const char *
S(const char *p)
{
	return p;
}

#define OK(type, json, expect) \
	do { \
		char		buf_[1024]; \
		CqValue		v_; \
		CqError		e_; \
		bool		ok_ = cqt_parse_fmt(type, json, buf_, sizeof(buf_), &v_, &e_); \
		CQ_CHECKF(ok_ && !v_.isnull && strcmp(buf_, expect) == 0, \
				  "%s %s: ok=%d got \"%s\" expected \"%s\" (%s)", type, json, ok_, \
				  buf_, expect, e_.message); \
		if (ok_) cqt_drop(&v_); \
	} while (0)

#define BAD(type, json) \
	do { \
		char		buf_[1024]; \
		CqValue		v_; \
		CqError		e_; \
		bool		ok_ = cqt_parse_fmt(type, json, buf_, sizeof(buf_), &v_, &e_); \
		CQ_CHECKF(!ok_ && v_.isnull && e_.kind == CQ_ERR_VALUE && \
				  strncmp(e_.message, "invalid input for type ", 23) == 0, \
				  "%s %s: expected failure, got ok=%d \"%s\" kind=%d", type, json, ok_, buf_, e_.kind); \
		if (ok_) cqt_drop(&v_); \
	} while (0)

#define ISNULL(type, json) \
	do { \
		char		buf_[64]; \
		CqValue		v_; \
		CqError		e_; \
		bool		ok_ = cqt_parse_fmt(type, json, buf_, sizeof(buf_), &v_, &e_); \
		CQ_CHECKF(ok_ && v_.isnull, "%s %s: expected null", type, json); \
	} while (0)

#endif
