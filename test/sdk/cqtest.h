/*
 * cqtest.h -- minimal unit-test harness for the SDK tests.
 *
 * Each test file defines one or more suites `void suite_<name>(void)` and
 * lists them in test_main.c.  CQ_CHECK records a failure and continues; the
 * runner prints a final "N passed, N failed" line and exits non-zero on any
 * failure.  Tests that need the mock API read its URL from cqt_mock_url().
 */
#ifndef CQTEST_H
#define CQTEST_H

#include <stdio.h>
#include <string.h>

extern int	cqt_passed;
extern int	cqt_failed;
extern const char *cqt_current;

/* Base URL of the mock API ("http://127.0.0.1:18080" unless MOCK_URL is set). */
extern const char *cqt_mock_url(void);
/* GET a mock control route (e.g. "/_mock/reset"); returns malloc'd body or NULL. */
extern char *cqt_mock_get(const char *path_and_query);
/* Path to the shared fixtures, or NULL when ../shared is absent (skip). */
extern const char *cqt_shared_fixtures(void);
extern void cqt_skip(const char *what, const char *why);

#define CQ_CHECK(cond) \
	do { \
		if (cond) cqt_passed++; \
		else { cqt_failed++; \
			fprintf(stderr, "FAIL %s:%d [%s]: %s\n", __FILE__, __LINE__, cqt_current, #cond); } \
	} while (0)

#define CQ_CHECKF(cond, ...) \
	do { \
		if (cond) cqt_passed++; \
		else { cqt_failed++; \
			fprintf(stderr, "FAIL %s:%d [%s]: %s: ", __FILE__, __LINE__, cqt_current, #cond); \
			fprintf(stderr, __VA_ARGS__); fputc('\n', stderr); } \
	} while (0)

#define CQ_CHECK_STR(a, b) \
	CQ_CHECKF(((a) != NULL && (b) != NULL && strcmp((a), (b)) == 0), \
			  "got \"%s\", expected \"%s\"", (a) ? (a) : "(null)", (b) ? (b) : "(null)")

#endif
