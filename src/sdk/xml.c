/*-------------------------------------------------------------------------
 *
 * xml.c
 *		  AWS XML replies (Query and EC2 protocols) to JSON, on libxml2's
 *		  streaming reader (xmlTextReader).
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
 *	- Thread-safe: every call has its own reader, error handler (set on the
 *	  reader, never libxml2's global one, which the PostgreSQL backend owns
 *	  for its xml type) and frame stack.  The one shared step is
 *	  xmlInitParser, run once under pthread_once as libxml2 requires before
 *	  threaded use.
 *	- Output strings are libxml2's UTF-8, so jansson accepts them.
 *
 * Copyright (c) 2026, cq_fdw developers
 *
 *-------------------------------------------------------------------------
 */
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/xmlreader.h>

#include "cq_sdk.h"
#include "xml.h"

static const char *const default_items[] = {"item", "member", NULL};

typedef struct Frame
{
	char	   *name;			/* local name */
	json_t	   *obj;			/* fields, once a non-member child closed */
	json_t	   *arr;			/* members, once a member child closed */
	json_t	   *repeated;		/* keys of obj turned into arrays */
	bool		is_list;		/* named in list_names */
	char	   *text;
	size_t		tlen;
	size_t		tcap;
} Frame;

typedef struct XmlErr
{
	char		msg[200];
	int			line;
	bool		set;
} XmlErr;

static pthread_once_t init_once = PTHREAD_ONCE_INIT;

static void
init_libxml(void)
{
	xmlInitParser();
}

/* Per-reader structured error handler: keep the first message. */
static void
on_error(void *arg, xmlErrorPtr e)
{
	XmlErr	   *x = arg;
	size_t		n;

	if (x->set || e == NULL)
		return;
	x->set = true;
	x->line = e->line;
	snprintf(x->msg, sizeof(x->msg), "%s", e->message ? e->message : "parse error");
	n = strlen(x->msg);
	while (n > 0 && (x->msg[n - 1] == '\n' || x->msg[n - 1] == ' '))
		x->msg[--n] = '\0';
}

static bool
in_list(const char *const *names, const char *s)
{
	for (; names && *names; names++)
		if (strcmp(*names, s) == 0)
			return true;
	return false;
}

static void
frame_clear(Frame *f)
{
	free(f->name);
	free(f->text);
	json_decref(f->obj);
	json_decref(f->arr);
	json_decref(f->repeated);
	memset(f, 0, sizeof(*f));
}

/* Value of a closed element (new reference) or NULL on OOM/bad UTF-8. */
static json_t *
frame_value(Frame *f)
{
	json_t	   *v;

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
	else
		v = json_stringn(f->text ? f->text : "", f->tlen);
	return v;
}

/* Attach child value v (reference stolen) named `name` to parent p. */
static bool
attach(Frame *p, const char *name, json_t *v, const char *const *items)
{
	json_t	   *cur;

	if (p->arr || (p->obj == NULL && (p->is_list || in_list(items, name))))
	{
		if (p->arr == NULL && (p->arr = json_array()) == NULL)
			goto fail;
		return json_array_append_new(p->arr, v) == 0;
	}
	if (p->obj == NULL && (p->obj = cq_json_object_new()) == NULL)
		goto fail;
	cur = json_object_get(p->obj, name);
	if (cur == NULL)
		return json_object_set_new(p->obj, name, v) == 0;
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
		return json_object_set_new(p->obj, name, a) == 0 &&
			json_object_set_new(p->repeated, name, json_true()) == 0;
	}
fail:
	json_decref(v);
	return false;
}

static bool
add_text(Frame *f, const char *s)
{
	size_t		n = strlen(s);

	if (f->tlen + n + 1 > f->tcap)
	{
		size_t		cap = f->tcap ? f->tcap : 64;
		char	   *np;

		while (cap < f->tlen + n + 1)
			cap *= 2;
		np = realloc(f->text, cap);
		if (np == NULL)
			return false;
		f->text = np;
		f->tcap = cap;
	}
	memcpy(f->text + f->tlen, s, n);
	f->tlen += n;
	f->text[f->tlen] = '\0';
	return true;
}

/*
 * cqp_xml_to_json
 *		See xml.h.  Walks the reader's node stream keeping one frame per open
 *		element; a closed element's value is attached to its parent.
 */
json_t *
cqp_xml_to_json(const char *xml, size_t len, const CqpXmlOptions *opt,
				CqError *err)
{
	const char *const *items = (opt && opt->item_names) ? opt->item_names : default_items;
	const char *const *lists = opt ? opt->list_names : NULL;
	int			max_depth = (opt && opt->max_depth > 0) ? opt->max_depth : CQP_XML_DEFAULT_MAX_DEPTH;
	size_t		max_bytes = (opt && opt->max_bytes > 0) ? opt->max_bytes : CQP_XML_DEFAULT_MAX_BYTES;
	xmlTextReaderPtr r = NULL;
	Frame	   *stack = NULL;
	int			depth = 0;
	json_t	   *result = NULL;
	XmlErr		xe = {{0}, 0, false};
	int			rc;

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
	stack = calloc((size_t) max_depth, sizeof(Frame));
	if (stack == NULL)
		goto nomem;
	r = xmlReaderForMemory(xml, (int) len, NULL, NULL, XML_PARSE_NONET);
	if (r == NULL)
		goto nomem;
	xmlTextReaderSetStructuredErrorHandler(r, on_error, &xe);

	while ((rc = xmlTextReaderRead(r)) == 1)
	{
		int			type = xmlTextReaderNodeType(r);
		bool		close_now = false;

		if (type == XML_READER_TYPE_DOCUMENT_TYPE || type == XML_READER_TYPE_ENTITY_REFERENCE)
		{
			cq_error_set(err, CQ_ERR_JSON, "malformed XML reply: document type declarations are not accepted");
			goto fail;
		}
		if (type == XML_READER_TYPE_ELEMENT)
		{
			const char *name = (const char *) xmlTextReaderConstLocalName(r);
			Frame	   *f;

			if (depth >= max_depth)
			{
				cq_error_set(err, CQ_ERR_LIMIT, "XML reply nested deeper than %d elements",
							 max_depth);
				if (err)
					snprintf(err->setting, sizeof(err->setting), "max_json_depth");
				goto fail;
			}
			if (result != NULL)
			{
				cq_error_set(err, CQ_ERR_JSON, "malformed XML reply: more than one root element");
				goto fail;
			}
			f = &stack[depth++];
			f->name = strdup(name ? name : "");
			if (f->name == NULL)
				goto nomem;
			f->is_list = in_list(lists, f->name);
			close_now = xmlTextReaderIsEmptyElement(r) == 1;
		}
		else if (type == XML_READER_TYPE_TEXT || type == XML_READER_TYPE_CDATA ||
				 type == XML_READER_TYPE_SIGNIFICANT_WHITESPACE)
		{
			const char *v = (const char *) xmlTextReaderConstValue(r);

			/* text of a leaf; whitespace between children is dropped later */
			if (depth > 0 && v && stack[depth - 1].obj == NULL &&
				stack[depth - 1].arr == NULL && !add_text(&stack[depth - 1], v))
				goto nomem;
		}
		else if (type == XML_READER_TYPE_END_ELEMENT)
			close_now = true;

		if (close_now && depth > 0)
		{
			Frame	   *f = &stack[depth - 1];
			json_t	   *v = frame_value(f);

			if (v == NULL)
			{
				cq_error_set(err, CQ_ERR_JSON, "malformed XML reply: invalid text in <%.64s>", f->name);
				goto fail;
			}
			if (depth == 1)
				result = v;
			else if (!attach(&stack[depth - 2], f->name, v, items))
				goto nomem;
			frame_clear(f);
			depth--;
		}
	}
	if (rc != 0 || xe.set || depth != 0 || result == NULL)
	{
		if (xe.set)
			cq_error_set(err, CQ_ERR_JSON, "malformed XML reply at line %d: %s", xe.line, xe.msg);
		else
			cq_error_set(err, CQ_ERR_JSON, "malformed or truncated XML reply");
		goto fail;
	}
	xmlFreeTextReader(r);
	free(stack);
	return result;

nomem:
	cq_error_set(err, CQ_ERR_NOMEM, "out of memory while reading an XML reply");
fail:
	if (r)
		xmlFreeTextReader(r);
	if (stack)
	{
		int			i;

		for (i = 0; i < depth; i++)
			frame_clear(&stack[i]);
		free(stack);
	}
	json_decref(result);
	return NULL;
}
