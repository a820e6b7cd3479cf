/*-------------------------------------------------------------------------
 *
 * xml.c
 *		  AWS XML replies (Query and EC2 protocols) to JSON, on libxml2's
 *		  SAX2 parser (callbacks, no document tree).
 *
 * The building block of the aws source: EC2 and the Query-protocol services
 * (IAM, RDS, ELB, CloudFormation, SNS, ...) answer in XML; after this
 * conversion a reply is a jansson tree like any JSON API's, so pagination
 * (nextToken/Marker), row paths and type conversion work unchanged.
 *
 * Mapping (what botocore's parsers do, minus the model's types):
 *	- The document is the root element's content; the root name is dropped
 *	  (<DescribeInstancesResponse> -> {"requestId": ..., ...}).
 *	- An element with child elements is an object keyed by their local names
 *	  (namespaces ignored).  A child named as a list member (item_names:
 *	  "item" for EC2, "member" for Query) makes its parent an array: EC2's
 *	  <tagSet><item>..</item></tagSet> and Query's <Tags><member>.. both
 *	  become arrays.  An element named in list_names is an array whatever
 *	  its children are called (flattened members), and [] when empty.
 *	- A repeated child name in an object (flattened lists) turns that key
 *	  into an array of the values, in document order.
 *	- An element without child elements is its text as a string (numbers
 *	  and booleans included: the column's type converts them, as for JSON
 *	  APIs that send numbers as strings); empty is "".  Whitespace text
 *	  between child elements is dropped.  Attributes are ignored (neither
 *	  protocol puts data in them).
 *
 * Invariants:
 *	- Bounded: input over max_bytes and nesting over max_depth are
 *	  CQ_ERR_LIMIT before any work/allocation proportional to them; a
 *	  document type declaration is refused (no DTD, hence no entity
 *	  expansion: AWS never sends one) and the network is never used
 *	  (XML_PARSE_NONET).
 *	- Thread-safe: every call has its own parser context, error handler
 *	  (the context's SAX serror, never libxml2's global one, which the
 *	  PostgreSQL backend owns for its xml type) and frame stack.  The one shared step is
 *	  xmlInitParser, run once under pthread_once as libxml2 requires before
 *	  threaded use.
 *	- Output strings are libxml2's UTF-8, so jansson accepts them.
 *	- Cost: SAX2 hands over element names interned in the parser's
 *	  dictionary and text as it is read, so no libxml2 node is built; the
 *	  list/item/row-key names are interned in that dictionary once per
 *	  document and compared by pointer; one text buffer serves every leaf.
 *	  With a projection (CqpXmlOptions.rows_segs/row_keys) the members of
 *	  a row that no column reads are parsed (well-formedness is checked
 *	  everywhere) but never become JSON: count(*) and narrow projections
 *	  build almost nothing per row.
 *
 * Copyright (c) 2026, cq_fdw developers
 *
 *-------------------------------------------------------------------------
 */
#include <limits.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/parserInternals.h>

#include "cq_sdk.h"
#include "xml.h"

static const char *const default_items[] = {"item", "member", NULL};

/* flags of an interned name */
#define NM_ITEM		1			/* a list member name (item_names) */
#define NM_LIST		2			/* a list (list_names) */
#define NM_KEY		4			/* read by a column of a row (row_keys) */

typedef struct Frame
{
	const xmlChar *name;		/* local name, in the parser's dictionary */
	json_t	   *obj;			/* fields, once a non-member child closed */
	json_t	   *arr;			/* members, once a member child closed */
	json_t	   *repeated;		/* keys of obj turned into arrays */
	bool		is_list;		/* named in list_names */
	bool		prune;			/* a row: skip members no column reads */
	bool		pruned;			/* a member was skipped (an object) */
	int			m;				/* rows segments matched, -1: off the path */
} Frame;

/* Interned names -> flags: open addressing on the pointer. */
typedef struct NameSet
{
	const xmlChar **key;
	unsigned char *flag;
	size_t		mask;
} NameSet;

typedef struct Ctx
{
	xmlParserCtxtPtr pc;
	const char *const *items;
	const char *const *lists;
	NameSet		names;
	const xmlChar **segs;		/* interned rows segments, NULL for "*" */
	int			nseg;			/* 0: no projection */
	Frame	   *stack;
	int			depth;			/* open frames */
	int			skip;			/* open elements of a skipped member */
	int			max_depth;
	size_t		max_string;
	char	   *text;			/* the open leaf's text */
	size_t		tlen;
	size_t		tcap;
	json_t	   *result;
	CqError    *err;
	bool		failed;			/* err set by a callback */
	char		msg[200];		/* libxml2's first error */
	int			line;
	bool		xset;
} Ctx;

static pthread_once_t init_once = PTHREAD_ONCE_INIT;

static void
init_libxml(void)
{
	xmlInitParser();
}

static size_t
ptr_hash(const void *p)
{
	uint64_t	h = (uint64_t) (uintptr_t) p;

	h ^= h >> 17;
	h *= UINT64_C(0x9E3779B97F4A7C15);
	return (size_t) (h >> 32);
}

static bool
names_init(NameSet *ns, size_t n)
{
	size_t		cap = 16;

	while (cap < 2 * n + 2)
		cap *= 2;
	ns->key = calloc(cap, sizeof(*ns->key));
	ns->flag = calloc(cap, 1);
	ns->mask = cap - 1;
	return ns->key && ns->flag;
}

static void
names_free(NameSet *ns)
{
	free(ns->key);
	free(ns->flag);
}

static void
names_add(NameSet *ns, const xmlChar *k, unsigned char f)
{
	size_t		i = ptr_hash(k) & ns->mask;

	while (ns->key[i] && ns->key[i] != k)
		i = (i + 1) & ns->mask;
	ns->key[i] = k;
	ns->flag[i] |= f;
}

static unsigned char
names_get(const NameSet *ns, const xmlChar *k)
{
	size_t		i = ptr_hash(k) & ns->mask;

	while (ns->key[i])
	{
		if (ns->key[i] == k)
			return ns->flag[i];
		i = (i + 1) & ns->mask;
	}
	return 0;
}

/* Intern every name of a NULL-terminated list with flag f; false on OOM. */
static bool
names_add_all(Ctx *x, const char *const *v, unsigned char f)
{
	for (; v && *v; v++)
	{
		const xmlChar *k = xmlDictLookup(x->pc->dict, (const xmlChar *) *v, -1);

		if (k == NULL)
			return false;
		names_add(&x->names, k, f);
	}
	return true;
}

static size_t
count_names(const char *const *v)
{
	size_t		n = 0;

	for (; v && *v; v++)
		n++;
	return n;
}

/* Stop the parser with err set (first error wins). */
static void
fail(Ctx *x, CqErrorKind kind, const char *setting, const char *fmt, const char *arg, long num)
{
	if (x->failed)
		return;
	x->failed = true;
	if (arg)
		cq_error_set(x->err, kind, fmt, arg);
	else
		cq_error_set(x->err, kind, fmt, num);
	if (setting && x->err)
		snprintf(x->err->setting, sizeof(x->err->setting), "%s", setting);
	xmlStopParser(x->pc);
}

static void
fail_nomem(Ctx *x)
{
	fail(x, CQ_ERR_NOMEM, NULL, "out of memory while reading an XML reply", NULL, 0);
}

/* Structured error handler of this parser: keep the first message. */
static void
on_error(void *arg, xmlErrorPtr e)
{
	Ctx		   *x = arg;
	size_t		n;

	if (x->xset || e == NULL)
		return;
	x->xset = true;
	x->line = e->line;
	snprintf(x->msg, sizeof(x->msg), "%s", e->message ? e->message : "parse error");
	n = strlen(x->msg);
	while (n > 0 && (x->msg[n - 1] == '\n' || x->msg[n - 1] == ' '))
		x->msg[--n] = '\0';
}

/* <!DOCTYPE ...>: refused (no DTD, hence no entity expansion, no network). */
static void
on_doctype(void *arg, const xmlChar *name, const xmlChar *eid, const xmlChar *sid)
{
	(void) name;
	(void) eid;
	(void) sid;
	fail(arg, CQ_ERR_JSON, NULL,
		 "malformed XML reply: document type declarations are not accepted", NULL, 0);
}

static void
on_reference(void *arg, const xmlChar *name)
{
	(void) name;
	fail(arg, CQ_ERR_JSON, NULL,
		 "malformed XML reply: document type declarations are not accepted", NULL, 0);
}

static void
frame_clear(Frame *f)
{
	json_decref(f->obj);
	json_decref(f->arr);
	json_decref(f->repeated);
	memset(f, 0, sizeof(*f));
}

/* Does a child named nm of p go into p's array (rather than its object)? */
static inline bool
goes_to_array(const Frame *p, unsigned char nf)
{
	return p->arr || (p->obj == NULL && (p->is_list || (nf & NM_ITEM)));
}

/* Attach child value v (reference stolen) named `name` to parent p. */
static bool
attach(Frame *p, const char *name, json_t *v, unsigned char nf)
{
	json_t	   *cur;

	if (goes_to_array(p, nf))
	{
		if (p->arr == NULL && (p->arr = json_array()) == NULL)
			goto fail;
		return json_array_append_new(p->arr, v) == 0;
	}
	if (p->obj == NULL && (p->obj = cq_json_object_new()) == NULL)
		goto fail;
	cur = json_object_get(p->obj, name);
	if (cur == NULL)
		return json_object_set_new_nocheck(p->obj, name, v) == 0;
	if (p->repeated && json_object_get(p->repeated, name))
		return json_array_append_new(cur, v) == 0;
	{
		json_t	   *a = json_array();

		if (a == NULL || (p->repeated == NULL && (p->repeated = cq_json_object_new()) == NULL))
		{
			json_decref(a);
			goto fail;
		}
		if (json_array_append(a, cur) || json_array_append_new(a, v))
		{
			json_decref(a);
			return false;
		}
		return json_object_set_new_nocheck(p->obj, name, a) == 0 &&
			json_object_set_new_nocheck(p->repeated, name, json_true()) == 0;
	}
fail:
	json_decref(v);
	return false;
}

static void
on_start(void *arg, const xmlChar *localname, const xmlChar *prefix,
		 const xmlChar *uri, int nb_namespaces, const xmlChar **namespaces,
		 int nb_attributes, int nb_defaulted, const xmlChar **attributes)
{
	Ctx		   *x = arg;
	Frame	   *f;
	Frame	   *p;
	unsigned char nf;

	(void) prefix;
	(void) uri;
	(void) nb_namespaces;
	(void) namespaces;
	(void) nb_attributes;
	(void) nb_defaulted;
	(void) attributes;
	if (x->failed)
		return;
	if (x->depth + x->skip >= x->max_depth)
	{
		fail(x, CQ_ERR_LIMIT, "max_json_depth", "XML reply nested deeper than %ld elements",
			 NULL, (long) x->max_depth);
		return;
	}
	if (x->skip > 0)
	{
		x->skip++;
		return;
	}
	if (x->result != NULL)
	{
		fail(x, CQ_ERR_JSON, NULL, "malformed XML reply: more than one root element", NULL, 0);
		return;
	}
	x->tlen = 0;				/* a parent's text before a child is dropped */
	nf = names_get(&x->names, localname);
	p = x->depth > 0 ? &x->stack[x->depth - 1] : NULL;
	if (p && p->prune && !goes_to_array(p, nf) && !(nf & NM_KEY))
	{
		/* a member of a row that no column reads */
		p->pruned = true;
		x->skip = 1;
		return;
	}
	f = &x->stack[x->depth++];
	f->name = localname;
	f->is_list = (nf & NM_LIST) != 0;
	f->m = -1;
	if (x->nseg > 0)
	{
		if (p == NULL)
			f->m = 0;
		else if (p->m >= 0 && p->m < x->nseg)
		{
			const xmlChar *seg = x->segs[p->m];

			if (seg == NULL ? p->is_list : (seg == localname && !goes_to_array(p, nf)))
				f->m = p->m + 1;
		}
		else if (p->m == x->nseg && p->is_list)
			f->prune = true;	/* an element of the rows list: a row */
	}
}

static void
on_end(void *arg, const xmlChar *localname, const xmlChar *prefix, const xmlChar *uri)
{
	Ctx		   *x = arg;
	Frame	   *f;
	json_t	   *v;

	(void) localname;
	(void) prefix;
	(void) uri;
	if (x->failed)
		return;
	if (x->skip > 0)
	{
		x->skip--;
		x->tlen = 0;
		return;
	}
	if (x->depth == 0)
		return;
	f = &x->stack[x->depth - 1];
	if (f->arr)
	{
		v = f->arr;
		f->arr = NULL;
	}
	else if (f->obj)
	{
		v = f->obj;
		f->obj = NULL;
	}
	else if (f->is_list)
		v = json_array();
	else if (f->pruned)
		v = cq_json_object_new();	/* every member skipped: still an object */
	else
	{
		v = json_stringn(x->text ? x->text : "", x->tlen);
		if (v == NULL)
		{
			char		nm[72];

			snprintf(nm, sizeof(nm), "%.64s", (const char *) f->name);
			fail(x, CQ_ERR_JSON, NULL, "malformed XML reply: invalid text in <%s>", nm, 0);
			return;
		}
	}
	x->tlen = 0;
	if (v == NULL)
	{
		fail_nomem(x);
		return;
	}
	if (x->depth == 1)
		x->result = v;
	else if (!attach(&x->stack[x->depth - 2], (const char *) f->name, v,
					 names_get(&x->names, f->name)))
	{
		fail_nomem(x);
		return;
	}
	frame_clear(f);
	x->depth--;
}

static void
on_text(void *arg, const xmlChar *s, int len)
{
	Ctx		   *x = arg;
	Frame	   *f;
	size_t		n = len > 0 ? (size_t) len : 0;

	if (x->failed || x->skip > 0 || x->depth == 0)
		return;
	f = &x->stack[x->depth - 1];
	if (f->obj || f->arr || f->pruned)
		return;					/* whitespace between children */
	if (x->max_string > 0 && x->tlen + n > x->max_string)
	{
		fail(x, CQ_ERR_LIMIT, "max_string_bytes",
			 "XML text longer than max_string_bytes (%ld bytes)", NULL, (long) x->max_string);
		return;
	}
	if (x->tlen + n + 1 > x->tcap)
	{
		size_t		cap = x->tcap ? x->tcap : 256;
		char	   *np;

		while (cap < x->tlen + n + 1)
			cap *= 2;
		np = realloc(x->text, cap);
		if (np == NULL)
		{
			fail_nomem(x);
			return;
		}
		x->text = np;
		x->tcap = cap;
	}
	memcpy(x->text + x->tlen, s, n);
	x->tlen += n;
	x->text[x->tlen] = '\0';
}

/*
 * cqp_xml_to_json
 *		See xml.h.  SAX2 callbacks keep one frame per open element; a closed
 *		element's value is attached to its parent.
 */
json_t *
cqp_xml_to_json(const char *xml, size_t len, const CqpXmlOptions *opt,
				CqError *err)
{
	size_t		max_bytes = (opt && opt->max_bytes > 0) ? opt->max_bytes : CQP_XML_DEFAULT_MAX_BYTES;
	xmlSAXHandler sax;
	Ctx			x;
	json_t	   *result = NULL;

	if (xml == NULL || len == 0)
	{
		cq_error_set(err, CQ_ERR_JSON, "empty XML reply");
		return NULL;
	}
	if (len > max_bytes || len > (size_t) INT_MAX)
	{
		cq_error_set(err, CQ_ERR_LIMIT, "XML reply larger than %zu bytes", max_bytes);
		if (err)
			snprintf(err->setting, sizeof(err->setting), "max_response_bytes");
		return NULL;
	}
	pthread_once(&init_once, init_libxml);

	memset(&x, 0, sizeof(x));
	x.err = err;
	x.items = (opt && opt->item_names) ? opt->item_names : default_items;
	x.lists = opt ? opt->list_names : NULL;
	x.max_depth = (opt && opt->max_depth > 0) ? opt->max_depth : CQP_XML_DEFAULT_MAX_DEPTH;
	x.max_string = opt ? opt->max_string : 0;
	x.stack = calloc((size_t) x.max_depth, sizeof(Frame));
	if (x.stack == NULL)
		goto nomem;

	memset(&sax, 0, sizeof(sax));
	sax.initialized = XML_SAX2_MAGIC;
	sax.startElementNs = on_start;
	sax.endElementNs = on_end;
	sax.characters = on_text;
	sax.ignorableWhitespace = on_text;
	sax.cdataBlock = on_text;
	sax.internalSubset = on_doctype;
	sax.externalSubset = on_doctype;
	sax.reference = on_reference;
	sax.serror = on_error;

	x.pc = xmlCreateMemoryParserCtxt(xml, (int) len);
	if (x.pc == NULL)
		goto nomem;
	/* the context's own handler (xmlCreateMemoryParserCtxt allocated it) */
	memcpy(x.pc->sax, &sax, sizeof(sax));
	x.pc->userData = &x;
	xmlCtxtUseOptions(x.pc, XML_PARSE_NONET);
	if (x.pc->dict == NULL)
		goto nomem;

	/* names compared by pointer: interned in this parser's dictionary */
	{
		size_t		nn = count_names(x.items) + count_names(x.lists) + 1;
		bool		proj = opt && opt->nrows_segs > 0 && opt->rows_segs && opt->row_keys;

		if (proj)
			nn += count_names(opt->row_keys);
		if (!names_init(&x.names, nn) ||
			!names_add_all(&x, x.items, NM_ITEM) || !names_add_all(&x, x.lists, NM_LIST) ||
			(proj && !names_add_all(&x, opt->row_keys, NM_KEY)))
			goto nomem;
		if (proj)
		{
			x.segs = calloc((size_t) opt->nrows_segs, sizeof(*x.segs));
			if (x.segs == NULL)
				goto nomem;
			for (int i = 0; i < opt->nrows_segs; i++)
				if (strcmp(opt->rows_segs[i], "*") != 0 &&
					!(x.segs[i] = xmlDictLookup(x.pc->dict, (const xmlChar *) opt->rows_segs[i], -1)))
					goto nomem;
			x.nseg = opt->nrows_segs;
		}
	}

	xmlParseDocument(x.pc);
	if (x.failed)
		goto fail;
	if (!x.pc->wellFormed || x.xset || x.depth != 0 || x.skip != 0 || x.result == NULL)
	{
		if (x.xset)
			cq_error_set(err, CQ_ERR_JSON, "malformed XML reply at line %d: %s", x.line, x.msg);
		else
			cq_error_set(err, CQ_ERR_JSON, "malformed or truncated XML reply");
		goto fail;
	}
	result = x.result;
	x.result = NULL;
	goto done;

nomem:
	cq_error_set(err, CQ_ERR_NOMEM, "out of memory while reading an XML reply");
fail:
done:
	if (x.pc)
	{
		/* our handler is freed with the context (a copy), the dict too */
		xmlFreeParserCtxt(x.pc);
	}
	if (x.stack)
	{
		for (int i = 0; i < x.depth; i++)
			frame_clear(&x.stack[i]);
		free(x.stack);
	}
	json_decref(x.result);
	names_free(&x.names);
	free(x.segs);
	free(x.text);
	return result;
}
