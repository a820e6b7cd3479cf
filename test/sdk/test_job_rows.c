/*
 * test_job_rows.c -- suite `job_rows`: src/sdk/job_rows.c, its helpers
 * called directly (collecting the rows of a page with the max_array_elems
 * bound, dropping the json references of values, pointer prefixes).
 * Strict and non-strict value errors through whole jobs are in
 * test_sched.c (test_values), batches and LIMIT in test_http.c.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "cq_sdk_int.h"
#include "job_int.h"
#include "cqtest.h"

void		suite_job_rows(void);

static void
test_collect_rows(void)
{
	json_error_t jerr;
	json_t	   *doc = json_loads("[{\"a\":1},null,{\"a\":2},{\"a\":3}]", 0, &jerr);
	json_t	   *one = json_loads("{\"a\":9}", 0, &jerr);
	RowVec		rv;

	/* an array: its elements, nulls skipped, borrowed */
	memset(&rv, 0, sizeof(rv));
	rv.max = 10;
	CQ_CHECK(cqp_job_collect_rows(doc, &rv) && rv.n == 3 && !rv.over && !rv.oom);
	CQ_CHECK(rv.n == 3 && rv.v[2] == json_array_get(doc, 3) && json_array_get(doc, 3)->refcount == 1);
	/* a single object is one row, appended */
	CQ_CHECK(cqp_job_collect_rows(one, &rv) && rv.n == 4 && rv.v[3] == one);
	free(rv.v);
	/* more rows than max_array_elems: stop, flagged */
	memset(&rv, 0, sizeof(rv));
	rv.max = 2;
	CQ_CHECK(!cqp_job_collect_rows(doc, &rv) && rv.over && rv.n == 2);
	free(rv.v);
	json_decref(doc);
	json_decref(one);
}

static void
test_decref_values(void)
{
	json_t	   *a = json_string("a"),
			   *b = json_string("b");
	CqValue		vals[3],
				el[2];

	memset(vals, 0, sizeof(vals));
	memset(el, 0, sizeof(el));
	json_incref(a);
	json_incref(b);
	vals[0].type = CQ_T_JSON;
	vals[0].u.json = a;
	vals[1].type = CQ_T_STRING;	/* not json: untouched */
	vals[1].u.s = "x";
	el[0].type = CQ_T_JSON;
	el[0].u.json = b;
	el[1].isnull = 1;
	vals[2].type = CQ_T_JSON;
	vals[2].is_array = 1;
	vals[2].len = 2;
	vals[2].u.arr = el;
	CQ_CHECK(a->refcount == 2 && b->refcount == 2);
	cqp_job_decref_values(vals, 3);
	CQ_CHECK(a->refcount == 1 && b->refcount == 1);
	json_decref(a);
	json_decref(b);
}

static void
test_pointer_within(void)
{
	CQ_CHECK(cqp_job_pointer_within("/a/b", "/a"));
	CQ_CHECK(cqp_job_pointer_within("/a", "/a"));
	CQ_CHECK(cqp_job_pointer_within("/a", ""));
	CQ_CHECK(!cqp_job_pointer_within("/ab", "/a"));	/* segment-wise */
	CQ_CHECK(!cqp_job_pointer_within("/b", "/a"));
	CQ_CHECK(!cqp_job_pointer_within(NULL, "/a"));
}

void
suite_job_rows(void)
{
	test_collect_rows();
	test_decref_values();
	test_pointer_within();
}
