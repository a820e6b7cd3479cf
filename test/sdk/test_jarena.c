/*
 * test_jarena.c -- the parse workers' page arena for jansson (jarena.c):
 * blocks come from the thread's arena only inside a page, are reused by
 * the next page, never leak into values a batch keeps (a json column
 * without jsonb images), and a scan gives the same rows with the arena as
 * without it: JSON pages (fast and full-tree paths) offline, and EC2's XML
 * pages from the mock.  cqp_jarena_scribble overwrites every page's arena
 * when the page ends, so a value that escaped reads as garbage.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cq_sdk.h"
#include "cq_sdk_int.h"
#include "cqtest.h"
#include "jobtest.h"
#include "test_util.h"

/* under AddressSanitizer (gcc says so by a macro, clang by __has_feature) */
#if defined(__SANITIZE_ADDRESS__)
#define T_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define T_ASAN 1
#endif
#endif
#ifdef T_ASAN
#include <sanitizer/asan_interface.h>
#endif

static const char *nested_text =
"{\"a\":[1,2.5,\"x\",{\"b\":null,\"c\":[true,false]}],\"k\":\"v\",\"n\":-7}";

/* Inside a page: blocks from the arena, copies out of it, reuse. */
static void
test_alloc_page(void)
{
	json_t	   *outside = json_loads(nested_text, 0, NULL);
	json_t	   *in,
			   *in2,
			   *kept,
			   *again;
	char	   *txt;
	size_t		used;

	CQ_CHECK(outside != NULL && !cqp_jarena_owns(outside) && !cqp_jarena_active());
	CQ_CHECK(cqp_jarena_begin());
	CQ_CHECK(cqp_jarena_active());
	in = json_loads(nested_text, 0, NULL);
	CQ_CHECK(in != NULL && cqp_jarena_owns(in));
	CQ_CHECK(!cqp_jarena_owns(outside));	/* allocated before the page */
	CQ_CHECK(json_equal(in, outside));
	/* a value a batch keeps: a malloc'd copy, equal */
	kept = cqp_jarena_detach(in);
	CQ_CHECK(kept != NULL && kept != in && !cqp_jarena_owns(kept) && json_equal(kept, in));
	/* a value not in the arena is shared, not copied */
	again = cqp_jarena_detach(outside);
	CQ_CHECK(again == outside && outside->refcount == 2);
	json_decref(again);
	/* json_dumps' string comes from the arena: cqp_json_free */
	txt = json_dumps(in, JSON_COMPACT | JSON_SORT_KEYS);
	CQ_CHECK(txt != NULL && cqp_jarena_owns(txt));
	cqp_json_free(txt);
	/* a large block has a chunk of its own, released with the page */
	{
		char	   *big = malloc(100000);

		memset(big, 'x', 99999);
		big[99999] = '\0';
		in2 = json_string(big);
		free(big);
		CQ_CHECK(in2 != NULL && cqp_jarena_owns(in2) &&
				 cqp_jarena_owns(json_string_value(in2)) &&
				 json_string_length(in2) == 99999);
		cqp_json_release(in2);	/* nothing to do: valgrind sees no leak */
	}
	json_decref(in);			/* a no-op in the arena */
	json_incref(kept);
	cqp_json_release(kept);		/* not in the arena: a reference dropped */
	CQ_CHECK(kept->refcount == 1);
	cqp_jarena_scribble = true;
	used = cqp_jarena_end();
	cqp_jarena_scribble = false;
	CQ_CHECKF(used > 100000 && used < 164 * 1024, "used %zu", used);
	CQ_CHECK(!cqp_jarena_active());
	/* the copy outlived its page, the arena was overwritten */
	CQ_CHECK(json_equal(kept, outside));
	json_decref(kept);

	/* the next page reuses the same memory from its start */
	CQ_CHECK(cqp_jarena_begin());
	{
		json_t	   *a = cq_json_object_new();
		json_t	   *b;

		cqp_jarena_end();
		CQ_CHECK(cqp_jarena_begin());
		b = cq_json_object_new();
		CQ_CHECKF(a == b, "second page's first value at %p, first page's at %p",
				  (void *) b, (void *) a);
		cqp_jarena_end();
	}
	/* nested begin/end: the page ends with the outermost end */
	CQ_CHECK(cqp_jarena_begin() && cqp_jarena_begin());
	in = json_array();
	CQ_CHECK(cqp_jarena_end() == 0 && cqp_jarena_active() && cqp_jarena_owns(in));
	CQ_CHECK(cqp_jarena_end() > 0 && !cqp_jarena_active());
	CQ_CHECKF(cqp_jarena_peak() >= used, "peak %zu", cqp_jarena_peak());
	cqp_jarena_thread_done();
	json_decref(outside);
}

static int	freed_chunks;
static int	freed_poisoned;

static void
on_chunk_freed(const void *lo, size_t n)
{
	freed_chunks++;
#ifdef T_ASAN
	if (__asan_region_is_poisoned((void *) lo, n) != NULL)
		freed_poisoned++;
#else
	(void) lo;
	(void) n;
#endif
}

/*
 * Under ASan (the SDK's asan target is built by clang): what an ended page
 * used is poisoned, so a value used after its page is reported; and no
 * chunk goes back to malloc still poisoned (with libc's malloc, as in the
 * extension's ASan build, its next user would be reported instead).
 */
static void
test_alloc_poison(void)
{
	char	   *s = malloc(20001);
	json_t	   *v = NULL;
	json_t	   *big;
	size_t		used;

	memset(s, 'p', 20000);
	s[20000] = '\0';
	cqp_jarena_chunk_freed = on_chunk_freed;
	freed_chunks = freed_poisoned = 0;
	CQ_CHECK(cqp_jarena_begin());
	/* ~11 MB in blocks of odd sizes: more chunks than a page keeps */
	for (int i = 0; i < 10000; i++)
		v = json_stringn(s, 1000 + i % 7);
	big = json_stringn(s, 20000);	/* a chunk of its own */
	CQ_CHECK(v != NULL && big != NULL && cqp_jarena_owns(v) && cqp_jarena_owns(big));
	used = cqp_jarena_end();
	CQ_CHECKF(used > 10000000, "used %zu", used);
#ifdef T_ASAN
	CQ_CHECK(__asan_address_is_poisoned(v));
#endif
	/* the big block and the chunks beyond the spares were freed */
	CQ_CHECKF(freed_chunks >= 3 && freed_poisoned == 0, "%d chunks freed, %d poisoned",
			  freed_chunks, freed_poisoned);
	/* the next page reuses (poisoned) spares, then the thread frees them */
	CQ_CHECK(cqp_jarena_begin());
	v = json_stringn(s, 1001);
	CQ_CHECK(v != NULL && cqp_jarena_owns(v));
	cqp_jarena_end();
	cqp_jarena_thread_done();
	CQ_CHECKF(freed_chunks >= 11 && freed_poisoned == 0, "%d chunks freed, %d poisoned",
			  freed_chunks, freed_poisoned);
	cqp_jarena_chunk_freed = NULL;
	free(s);
}

/* Another thread allocates with malloc while this one is in a page. */
static void *
other_thread(void *arg)
{
	json_t	   *v = json_loads(nested_text, 0, NULL);
	bool		ok = v && !cqp_jarena_active() && !cqp_jarena_owns(v);

	json_decref(v);
	*(bool *) arg = ok;
	return NULL;
}

static void
test_alloc_threads(void)
{
	pthread_t	th;
	bool		ok = false;
	json_t	   *mine;

	CQ_CHECK(cqp_jarena_begin());
	mine = cq_json_object_new();
	CQ_CHECK(pthread_create(&th, NULL, other_thread, &ok) == 0);
	pthread_join(th, NULL);
	CQ_CHECK(ok);
	CQ_CHECK(cqp_jarena_owns(mine));
	cqp_jarena_end();
	cqp_jarena_thread_done();
}

/* ---- offline JSON pages: the same rows with and without the arena ---- */

typedef struct RunText
{
	char	   *text;
	size_t		len;
	size_t		cap;
	int			rows;
} RunText;

static void
collect(CqBatch *b, void *ud)
{
	RunText    *r = ud;

	r->rows += cqt_batch_text(b, &r->text, &r->len, &r->cap);
	/* jsonb images have no text form here: their bytes, hashed */
	for (int i = 0; i < b->nrows * b->ncols; i++)
	{
		const CqValue *v = &b->values[i];
		uint64_t	h = 1469598103934665603ULL;
		char		line[64];

		if (v->isnull || !(v->flags & CQ_VAL_JSONB))
			continue;
		for (uint32_t k = 0; k < v->len; k++)
			h = (h ^ (unsigned char) v->u.s[k]) * 1099511628211ULL;
		snprintf(line, sizeof(line), "jsonb %u %016llx\n", v->len, (unsigned long long) h);
		while (r->len + strlen(line) + 1 > r->cap)
		{
			r->cap = r->cap ? r->cap * 2 : 4096;
			r->text = realloc(r->text, r->cap);
		}
		r->len += (size_t) sprintf(r->text + r->len, "%s", line);
	}
}

static char *
json_run(const char *tjson, const char *const *pages, int npages, bool arena,
		 CqJobStats *st, int *rows)
{
	CqTableDef *t = h3_table(tjson);
	int			cols[16];
	CqJobParams p;
	CqJob	   *job;
	CqError		err;
	RunText		r = {0};

	*rows = -1;
	if (!t)
		return NULL;
	memset(&p, 0, sizeof(p));
	for (int i = 0; i < t->ncolumns && i < 16; i++)
		cols[i] = i;
	cqt_offline_params(&p, t, cols, t->ncolumns, "http://offline.invalid");
	p.out_jsonb = NULL;			/* json columns keep jansson trees */
	p.settings.batch_rows = 2;
	p.settings.page_arena = arena;
	job = cqp_job_start_offline(&p, &err);
	CQ_CHECK(job != NULL);
	if (!job)
	{
		cq_table_def_free(t);
		return NULL;
	}
	for (int i = 0; i < npages; i++)
		cqp_job_feed(job, pages[i], strlen(pages[i]));
	cqp_job_feed_end(job);
	cqt_sleep_ms(100);			/* let the worker end (and scribble) its pages */
	{
		CqJobState	js = cqt_job_drain(job, collect, &r);

		CQ_CHECKF(js == CQ_JOB_DONE, "arena=%d: %s", arena,
				  js == CQ_JOB_FAILED ? cq_job_error(job)->message : "");
	}
	cq_job_get_stats(job, st);
	cq_job_free(job);
	cq_table_def_free(t);
	*rows = r.rows;
	return r.text ? r.text : strdup("");
}

static void
test_json_pages(void)
{
	const char *tjson = EQ_TABLE("/rows",
								 "{\"name\":\"id\",\"type\":\"int\"},"
								 "{\"name\":\"meta\",\"type\":\"json\"},"
								 "{\"name\":\"deep\",\"type\":\"json\",\"path\":\"/meta/a\"},"
								 "{\"name\":\"vs\",\"type\":\"json\",\"path\":\"/items/*/v\"},"
								 "{\"name\":\"items\",\"type\":\"json[]\",\"path\":\"/items\"},"
								 "{\"name\":\"name\",\"type\":\"string\"}");
	/* page 2 has \u0000 in a string: the full-tree path (job_fast.c) */
	const char *pages[] = {
		"{\"rows\":[{\"id\":1,\"meta\":{\"b\":1,\"a\":{\"y\":[1.5,-2],\"x\":null}},"
		"\"items\":[{\"v\":1},{\"v\":\"two\"},{\"v\":[true]}],\"name\":\"one\"},"
		"{\"id\":2,\"meta\":[],\"items\":[],\"name\":\"two\"},"
		"{\"id\":3,\"meta\":{\"k\":{\"z\":{\"z\":\"deep\"}}},\"items\":[{\"w\":1}]}]}",
		"{\"rows\":[{\"id\":4,\"meta\":{\"z\":[\"a\\u0000b\",{\"q\":\"r\"}],\"a\":[9]},"
		"\"items\":[{\"v\":{\"x\":[1,2,3]}}],\"name\":\"four\"},"
		"{\"id\":5,\"meta\":{\"s\":\"\\u00e9t\\u00e9\"},\"name\":\"five\"}]}",
		"{\"rows\":[{\"id\":6,\"meta\":{\"m\":[[],[{}],{\"n\":[null]}]},\"items\":[{\"v\":6}]}]}"
	};
	CqJobStats	on,
				off;
	int			ron,
				roff;
	char	   *ton,
			   *toff;

	cqp_jarena_scribble = true;
	ton = json_run(tjson, pages, 3, true, &on, &ron);
	toff = json_run(tjson, pages, 3, false, &off, &roff);
	cqp_jarena_scribble = false;
	CQ_CHECKF(ron == 6 && roff == 6, "rows %d / %d", ron, roff);
	CQ_CHECKF(on.pages_in_arena == 3 && off.pages_in_arena == 0,
			  "pages in arena: %llu with, %llu without",
			  (unsigned long long) on.pages_in_arena, (unsigned long long) off.pages_in_arena);
	CQ_CHECKF(on.page_arena_peak > 0 && off.page_arena_peak == 0, "peak %llu",
			  (unsigned long long) on.page_arena_peak);
	CQ_CHECKF(ton && toff && strcmp(ton, toff) == 0,
			  "rows differ:\n--- arena\n%s--- malloc\n%s", ton ? ton : "", toff ? toff : "");
	CQ_CHECK(ton && strstr(ton, "{\"x\":[1,2,3]}") && strstr(ton, "\"a\\u0000b\""));
	free(ton);
	free(toff);
}

/* ---- EC2's XML pages from the mock ---- */

static char *
xml_run(CqSourceDef *src, bool arena, bool jsonb, CqJobStats *st, int *rows)
{
	CqtAwsJob	f;
	RunText		r = {0};
	CqError		err;
	bool		want[32];
	const char *cols = "instance_id,tags,block_device_mappings,network_interfaces,"
		"private_ip_address,launch_time,state_name,security_groups,region";

	*rows = -1;
	if (!cqt_aws_job(&f, src, "aws_ec2_instances", cols, "us-east-1,eu-west-1"))
		return NULL;
	for (int i = 0; i < 32; i++)
		want[i] = true;
	f.p.cred.sts_url = f.base;	/* GetCallerIdentity: the account */
	f.p.out_jsonb = jsonb ? want : NULL;
	f.p.settings.concurrency = 1;	/* rows in a stable order */
	f.p.settings.workers = 1;
	f.p.settings.page_arena = arena;
	memset(st, 0, sizeof(*st));
	CQ_CHECKF(cqt_job_run(&f.p, collect, &r, NULL, &err, st) == CQ_JOB_DONE, "%s", err.message);
	*rows = r.rows;
	return r.text ? r.text : strdup("");
}

static void
test_xml_pages(void)
{
	CqSourceDef *src = cqt_mock_spec("jarena xml", "sources/aws/aws.json");

	if (!src)
		return;
	cqp_jarena_scribble = true;
	for (int jsonb = 0; jsonb <= 1; jsonb++)
	{
		CqJobStats	on,
					off;
		int			ron,
					roff;
		char	   *ton = xml_run(src, true, jsonb, &on, &ron);
		char	   *toff = xml_run(src, false, jsonb, &off, &roff);

		CQ_CHECKF(ron > 0 && ron == roff, "jsonb=%d: rows %d / %d", jsonb, ron, roff);
		CQ_CHECKF(on.pages_in_arena > 0 && on.pages_in_arena == on.pages &&
				  off.pages_in_arena == 0,
				  "jsonb=%d: pages in arena %llu of %llu, %llu without", jsonb,
				  (unsigned long long) on.pages_in_arena, (unsigned long long) on.pages,
				  (unsigned long long) off.pages_in_arena);
		CQ_CHECKF(ton && toff && strcmp(ton, toff) == 0, "jsonb=%d: rows differ", jsonb);
			/* tags objects were rendered, as text or as images */
		CQ_CHECK(ton && strstr(ton, jsonb ? "jsonb " : "{\"Name\":\"web-0\""));
		free(ton);
		free(toff);
	}
	cqp_jarena_scribble = false;
	cq_source_def_free(src);
}

void		suite_jarena(void);

void
suite_jarena(void)
{
	test_alloc_page();
	test_alloc_poison();
	test_alloc_threads();
	test_json_pages();
	test_xml_pages();
}
