/*-------------------------------------------------------------------------
 *
 * xml.h
 *		  AWS XML replies (Query and EC2 protocols) to JSON (private SDK
 *		  API, cqp_ tier; see xml.c).
 *
 * Not installed; plugins must not include it.  No PostgreSQL header.
 *
 * Copyright (c) 2026, cq_fdw developers
 *
 *-------------------------------------------------------------------------
 */
#ifndef CQ_XML_H
#define CQ_XML_H

#include <stddef.h>
#include <jansson.h>

#include "cq_sdk.h"

#define CQP_XML_DEFAULT_MAX_DEPTH	64
#define CQP_XML_DEFAULT_MAX_BYTES	(64 * 1024 * 1024)

/*
 * How to read a reply.  All fields optional (zero/NULL: defaults).
 *
 * item_names: element names that are list members ("item" for EC2,
 *   "member" for Query); NULL: {"item", "member"}.
 * list_names: element names known to be lists (from the service model:
 *   every list shape's locationName), so an empty one (<productCodes/>)
 *   is [] rather than "", and its children are elements even when they
 *   are not item_names (flattened-member names).  NULL-terminated.
 */
typedef struct CqpXmlOptions
{
	const char *const *item_names;
	const char *const *list_names;
	int			max_depth;		/* element nesting; 0: default */
	size_t		max_bytes;		/* input size; 0: default */
	size_t		max_string;		/* text of one element; 0: unlimited */

	/*
	 * Projection (optional, job_page.c): rows_segs[0..nrows_segs) are the
	 * table's rows pointer, unescaped ("*" = any member of a list), and
	 * row_keys (NULL-terminated) the member names the row's columns read.
	 * Members of a row that no column reads are skipped while parsing,
	 * never built; everything else (the envelope, the elements above the
	 * rows) is converted as without a projection, and the kept members'
	 * values are the same.  A row is an element of a list (list_names)
	 * found at the rows pointer.  nrows_segs = 0: no projection.
	 */
	const char *const *rows_segs;
	int			nrows_segs;
	const char *const *row_keys;
} CqpXmlOptions;

/*
 * Convert one XML document to JSON: the root element's content (its name
 * is dropped).  NULL + err: CQ_ERR_JSON for malformed or truncated XML or
 * a DTD, CQ_ERR_LIMIT over max_depth/max_bytes/max_string (err->setting
 * names the limit), CQ_ERR_NOMEM.  Caller owns the result (json_decref).  Any
 * thread; no shared mutable state.
 */
extern json_t *cqp_xml_to_json(const char *xml, size_t len,
							   const CqpXmlOptions *opt, CqError *err);

#endif							/* CQ_XML_H */
