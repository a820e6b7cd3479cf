/*-------------------------------------------------------------------------
 *
 * sanitize.c
 *		  Run-time options of the sanitizers, for `make sanitize` builds.
 *
 * A backend cannot pass ASAN_OPTIONS/UBSAN_OPTIONS to a sanitizer runtime
 * that is loaded with cq_fdw.so: PostgreSQL reuses the memory of the
 * original environment for the process title, and the runtime reads its
 * options from /proc/self/environ, which then shows the title.  (Preloading
 * the runtime instead hangs Debian's postgres at start-up.)  The runtimes
 * ask these hooks for their defaults; reports go to stderr, which is the
 * server log.
 *
 * Copyright (c) 2026, cq_fdw developers
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#ifdef CQ_SANITIZE

extern const char *__asan_default_options(void);
extern const char *__ubsan_default_options(void);

const char *
__asan_default_options(void)
{
	/* loaded after libc (not first), PostgreSQL's own leaks are by design */
	return "verify_asan_link_order=0:detect_leaks=0:abort_on_error=0:"
		"print_summary=1";
}

const char *
__ubsan_default_options(void)
{
	return "print_stacktrace=1:print_summary=1";
}

#endif							/* CQ_SANITIZE */
