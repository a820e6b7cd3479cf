/*
 * spectest.h -- helpers shared by the spec test files (test_spec.c,
 * test_spec_field.c, test_spec_table.c, test_spec_lookup.c).
 */
#ifndef SPECTEST_H
#define SPECTEST_H

#include "cqtest.h"

/* CQ_CHECK_STR through pointers, so char arrays compile under -Waddress */
#define CHECK_S(a, b) \
	do { \
		const char *got_ = (a), *want_ = (b); \
		CQ_CHECK_STR(got_, want_); \
	} while (0)

/* A GitHub-like spec exercising every feature (defined in test_spec.c). */
extern const char *const cqt_full_spec;

#endif
