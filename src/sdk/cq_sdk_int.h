/*-------------------------------------------------------------------------
 *
 * cq_sdk_int.h
 *		  Private declarations shared across SDK source files (cqp_ tier).
 *
 * Not installed; plugins must not include it.  Like cq_sdk.h it includes no
 * PostgreSQL header.  Declarations are grouped by the file that defines
 * them, one section per file, each headed by a comment naming the file.
 * Each engineer appends and edits only their own section.
 *
 * Copyright (c) 2026, cq_fdw developers
 *
 *-------------------------------------------------------------------------
 */
#ifndef CQ_SDK_INT_H
#define CQ_SDK_INT_H

#include "cq_sdk.h"

/* ------------------------------------------------------------------------
 * in error.c, arena.c, types.c, path.c (types/path section)
 * ------------------------------------------------------------------------ */

/*
 * Copy `src` (length `len`, need not be NUL-terminated) into `dst` of size
 * `dstlen`, NUL-terminated, replacing control characters and bytes >= 0x7f
 * that do not start valid UTF-8 by '?', truncating at a UTF-8 character
 * boundary.  Safe on hostile text (API messages, values).  Any thread.
 */
extern void cqp_sanitize_copy(char *dst, size_t dstlen, const char *src,
							  size_t len);

/* Duplicate `len` bytes of `s` into the arena, NUL-terminated; NULL on OOM. */
extern char *cqp_arena_strndup(CqArena *a, const char *s, size_t len);

/*
 * Number of matches of `p` in `root`, stopping at `limit` (cheap count for
 * sizing an array before filling it).  Any thread; `p` is immutable.
 */
extern size_t cqp_path_count(const CqPath *p, json_t *root, size_t limit);

#endif							/* CQ_SDK_INT_H */
