/*
 * test_types_jsonb.c -- jsonb images built by the workers
 * (types_jsonbimg.c) against PostgreSQL 15's own bytes.
 *
 * The expected images are PostgreSQL's on-disk jsonb, read back from a
 * heap page: in a PostgreSQL 15.x cluster (UTF8, x86-64),
 *   CREATE EXTENSION pageinspect;
 *   CREATE TABLE d (j jsonb);
 *   INSERT INTO d VALUES ('<the document>'::jsonb);   -- one row each
 *   SELECT encode(t_data, 'hex') FROM heap_page_items(get_raw_page('d', 0))
 *    ORDER BY lp;
 * t_data is the tuple's only attribute: the jsonb varlena as stored.  Values
 * under 127 bytes are stored with a 1-byte header, which was replaced by the
 * 4-byte header of the in-memory Datum (VARSIZE = 4 + the bytes after it;
 * the jsonb bytes after the header are the same in both forms).  (jsonb_send
 * is the wire format, not this one.)  The document given to PostgreSQL is
 * what today's path makes of the jansson input: reals as float8_numeric
 * gives them (0.30000000000000004 -> 0.3, 1.0 -> 1), "\u0000" stripped.
 * The bytes are little-endian: the suite checks them on such machines.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cq_sdk.h"
#include "cq_sdk_int.h"
#include "cqtest.h"
#include "jobtest.h"
#include "test_util.h"
#include "typestest.h"

typedef struct JbCase
{
	const char *json;			/* jansson's input */
	const char *hex;			/* PostgreSQL's image */
} JbCase;

static const JbCase cases[] = {
	{
		"{\"b\":1,\"aa\":\"x\",\"a\":[true,null,false],\"ab\":{\"c\":-7}}",
		"9001000004000020010000800100000002000000020000001200005008000010"
		"010000001b000050616261616162000003000040000000b00000004000000020"
		"20000000008001007800000001000020010000800b0000106300000020000000"
		"00a00700"
	},
	{
		"[0.1,1e300,-2.5e-7,-9223372036854775808,9223372036854775807,"
		"0,\"\\u00e9\\u2603\",{},[]]",
		"f001000009000040080000900a0000100a000010100000101000001006000010"
		"05000000050000500400005020000000ff80e8032800000000004b0001000000"
		"200000007ea419004000000004a09a032c0d70016515b0164000000004809a03"
		"2c0d70016515af16180000000080c3a9e29883000000002000000040"
	},
	{
		"\"a\\u0000b\"",
		"3800000001000050020000806162"
	},
	{
		"1e300",
		"58000000010000500a0000902800000000004b000100"
	},
	{
		"null",
		"3000000001000050000000c0"
	},
	{
		"true",
		"3000000001000050000000b0"
	},
	{
		"{}",
		"2000000000000020"
	},
	{
		"[]",
		"2000000000000040"
	},
	{
		"{\"e\":1.0,\"a\":{\"b\":{\"c\":[1,[2,{\"d\":0.30000000000000004}]]}}}",
		"1002000002000020010000800100000062000050080000106165000001000020"
		"0100008053000050620000000100002001000080430000506300000002000040"
		"080000902c000050200000000080010002000040080000901800005020000000"
		"0080020001000020010000800b0000106400000020000000ff80b80b20000000"
		"00800100"
	},
	{
		"[\"a\",\"b\",\"c\",\"d\",\"e\",\"f\",\"g\",\"h\",\"i\",\"j\",\"k\",\"l\",\"m\",\"n\",\"o\""
		",\"p\",\"q\",\"r\",\"s\",\"t\",\"u\",\"v\",\"w\",\"x\",\"y\",\"z\",\"a\",\"b\",\"c\",\"d\""
		",\"e\",\"f\",\"g\",\"h\"]",
		"c802000022000040010000800100000001000000010000000100000001000000"
		"0100000001000000010000000100000001000000010000000100000001000000"
		"0100000001000000010000000100000001000000010000000100000001000000"
		"0100000001000000010000000100000001000000010000000100000001000000"
		"010000000100000021000080010000006162636465666768696a6b6c6d6e6f70"
		"7172737475767778797a6162636465666768"
	},
	{
		"{\"k32\":32,\"k31\":31,\"k30\":30,\"k29\":29,\"k28\":28,\"k27\":27,\"k26\""
		":26,\"k25\":25,\"k24\":24,\"k23\":23,\"k22\":22,\"k21\":21,\"k20\":20,\"k"
		"19\":19,\"k18\":18,\"k17\":17,\"k16\":16,\"k15\":15,\"k14\":14,\"k13\":13"
		",\"k12\":12,\"k11\":11,\"k10\":10,\"k09\":9,\"k08\":8,\"k07\":7,\"k06\":6,"
		"\"k05\":5,\"k04\":4,\"k03\":3,\"k02\":2,\"k01\":1,\"k00\":0}",
		"f009000021000020030000800300000003000000030000000300000003000000"
		"0300000003000000030000000300000003000000030000000300000003000000"
		"0300000003000000030000000300000003000000030000000300000003000000"
		"0300000003000000030000000300000003000000030000000300000003000000"
		"030000000300000063000080070000100a000010080000100800001008000010"
		"0800001008000010080000100800001008000010080000100800001008000010"
		"0800001008000010080000100800001008000010080000100800001008000010"
		"0800001008000010080000100800001008000010080000100800001008000010"
		"080000100800001064010090080000106b30306b30316b30326b30336b30346b"
		"30356b30366b30376b30386b30396b31306b31316b31326b31336b31346b3135"
		"6b31366b31376b31386b31396b32306b32316b32326b32336b32346b32356b32"
		"366b32376b32386b32396b33306b33316b333200180000000080000020000000"
		"0080010020000000008002002000000000800300200000000080040020000000"
		"0080050020000000008006002000000000800700200000000080080020000000"
		"008009002000000000800a002000000000800b002000000000800c0020000000"
		"00800d002000000000800e002000000000800f00200000000080100020000000"
		"0080110020000000008012002000000000801300200000000080140020000000"
		"0080150020000000008016002000000000801700200000000080180020000000"
		"008019002000000000801a002000000000801b002000000000801c0020000000"
		"00801d002000000000801e002000000000801f002000000000802000"
	},
};

static size_t
unhex(const char *h, unsigned char *out, size_t cap)
{
	size_t		n = 0;

	for (; h[0] && h[1] && n < cap; h += 2)
	{
		unsigned int b;

		if (sscanf(h, "%2x", &b) != 1)
			break;
		out[n++] = (unsigned char) b;
	}
	return n;
}

static void
test_literal_images(void)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
	{
		unsigned char want[1024];
		size_t		n = unhex(cases[i].hex, want, sizeof(want));
		json_t	   *doc = cqt_load(cases[i].json);
		CqValue		v;

		memset(&v, 0, sizeof(v));
		v.type = CQ_T_JSON;
		CQ_CHECKF(doc != NULL, "case %zu: invalid JSON", i);
		if (doc == NULL)
			continue;
		CQ_CHECKF(cqp_jsonb_image(doc, cqt_arena, &v), "case %zu: no image", i);
		CQ_CHECKF((v.flags & CQ_VAL_JSONB) && v.len == n &&
				  ((uintptr_t) v.u.s & 3) == 0,
				  "case %zu: %u bytes, PostgreSQL's %zu", i, v.len, n);
		if (v.len == n)
		{
			size_t		k = 0;

			while (k < n && (unsigned char) v.u.s[k] == want[k])
				k++;
			CQ_CHECKF(k == n, "case %zu (%s): first difference at byte %zu", i,
					  cases[i].json, k);
		}
		json_decref(doc);
	}
}

/* No image where the tree must stay: too deep, or nothing at all */
static void
test_no_image(void)
{
	json_t	   *deep = json_array(),
			   *cur = deep;
	CqValue		v;
	size_t		before = cq_arena_bytes(cqt_arena);

	for (int i = 0; i < 2000; i++)
	{
		json_t	   *a = json_array();

		json_array_append_new(cur, a);
		cur = a;
	}
	memset(&v, 0, sizeof(v));
	v.type = CQ_T_JSON;
	CQ_CHECK(!cqp_jsonb_image(deep, cqt_arena, &v) && v.flags == 0);
	/* the bound pass refuses it before anything is allocated */
	CQ_CHECK(cq_arena_bytes(cqt_arena) == before);
	CQ_CHECK(!cqp_jsonb_image(NULL, cqt_arena, &v));
	json_decref(deep);
}

/* Keys: sorted by length then bytes whatever the input order; a big object
 * and array take their own memory (more keys than sorted on the stack) */
static void
test_many_keys(void)
{
	json_t	   *o = cq_json_object_new();
	CqValue		v;
	char		k[16];
	const unsigned char *img;
	uint32_t	hdr,
				je;

	for (int i = 99; i >= 0; i--)
	{
		snprintf(k, sizeof(k), "%d", i);
		json_object_set_new(o, k, json_integer(i));
	}
	memset(&v, 0, sizeof(v));
	CQ_CHECK(cqp_jsonb_image(o, cqt_arena, &v));
	img = (const unsigned char *) v.u.s;
	memcpy(&hdr, img + 4, 4);
	CQ_CHECK(hdr == (100u | 0x20000000u));
	/* keys "0".."9" (10 of length 1) then "10".."99": first key "0" */
	memcpy(&je, img + 8, 4);
	CQ_CHECK(je == (0x80000000u | 1u));	/* entry 0: end offset 1 */
	memcpy(&je, img + 8 + 4 * 10, 4);
	CQ_CHECK(je == 2u);			/* "10": a length */
	memcpy(&je, img + 8 + 4 * 32, 4);
	CQ_CHECK(je == (0x80000000u | (10u + 2u * 23u)));	/* 32nd: offset */
	CQ_CHECK(img[8 + 4 * 200] == '0' && img[8 + 4 * 200 + 10] == '1' &&
			 img[8 + 4 * 200 + 11] == '0');
	json_decref(o);
}


/* ---- through a job: images == the image of today's tree, per value ---- */


#define JB_MAXV 256

typedef struct JbRun
{
	int			n;				/* values seen */
	int			images;			/* of them CQ_VAL_JSONB */
	int			trees;			/* of them a jansson tree */
	int			nulls;
	unsigned char *img[JB_MAXV];	/* each value's image (malloc'd) */
	uint32_t	len[JB_MAXV];
} JbRun;

static void
jb_collect(CqBatch *b, void *ud)
{
	JbRun	   *r = ud;
	CqArena    *a = cq_arena_new(0);

	for (int i = 0; i < b->nrows * b->ncols && r->n < JB_MAXV; i++)
	{
		const CqValue *v = &b->values[i];
		CqValue		w;

		if (v->type != CQ_T_JSON || v->is_array)
			continue;
		if (v->isnull)
		{
			r->nulls++;
			r->img[r->n] = NULL;
			r->len[r->n++] = 0;
			continue;
		}
		memset(&w, 0, sizeof(w));
		if (v->flags & CQ_VAL_JSONB)
		{
			r->images++;
			w = *v;
		}
		else
		{
			r->trees++;
			if (!cqp_jsonb_image(v->u.json, a, &w))
				w.len = 0;
		}
		r->img[r->n] = malloc(w.len + 1);
		memcpy(r->img[r->n], w.u.s, w.len);
		r->len[r->n++] = w.len;
	}
	cq_arena_free(a);
}

static CqJobState
jb_run(const char *tjson, const char *body, bool full, bool images, JbRun *r)
{
	CqTableDef *t = h3_table(tjson);
	int			cols[16];
	bool		want[16];
	CqJobParams p;
	CqJob	   *job;
	CqError		err;
	CqJobState	st;

	memset(r, 0, sizeof(*r));
	if (!t)
		return CQ_JOB_FAILED;
	memset(&p, 0, sizeof(p));
	for (int i = 0; i < t->ncolumns && i < 16; i++)
	{
		cols[i] = i;
		want[i] = true;			/* the SDK itself skips json[] columns */
	}
	p.plugin = full ? &cqt_identity_plugin : NULL;
	cqt_offline_params(&p, t, cols, t->ncolumns, "http://offline.invalid");
	p.out_jsonb = images ? want : NULL;
	p.settings.batch_rows = 2;
	job = cqp_job_start_offline(&p, &err);
	if (!job)
	{
		cq_table_def_free(t);
		return CQ_JOB_FAILED;
	}
	cqp_job_feed(job, body, strlen(body));
	cqp_job_feed_end(job);
	st = cqt_job_drain(job, jb_collect, r);
	cq_job_free(job);
	cq_table_def_free(t);
	return st;
}

static void
jb_free(JbRun *r)
{
	for (int i = 0; i < r->n; i++)
		free(r->img[i]);
}

static void
test_job_images(void)
{
	const char *tjson = EQ_TABLE("/rows",
								 "{\"name\":\"id\",\"type\":\"int\"},"
								 "{\"name\":\"meta\",\"type\":\"json\"},"
								 "{\"name\":\"deep\",\"type\":\"json\",\"path\":\"/meta/a\"},"
								 "{\"name\":\"vs\",\"type\":\"json\",\"path\":\"/items/*/v\"},"
								 "{\"name\":\"s\",\"type\":\"json\",\"path\":\"/str\"},"
								 "{\"name\":\"items\",\"type\":\"json[]\",\"path\":\"/items\"},"
								 "{\"name\":\"solo\",\"type\":\"json\"}");
	const char *body =
		"{\"rows\":["
		"{\"id\":1,\"meta\":{\"b\":1,\"a\":{\"y\":[1.5,-2,1e300],\"x\":null},\"ab\":\"\\u0000z\"},"
		"\"items\":[{\"v\":1},{\"v\":\"two\"},{\"v\":[true]}],\"str\":\"s\\u00e9\",\"solo\":{\"k\":[]}},"
		"{\"id\":2,\"meta\":[],\"str\":0.1,\"items\":[]},"
		"{\"id\":3,\"meta\":{},\"str\":null,\"items\":[{\"w\":1}],\"solo\":9223372036854775807},"
		"{\"id\":4,\"meta\":{\"k2\":2,\"k1\":1,\"kk\":{\"z\":{\"z\":{\"z\":\"deep\"}}}},\"str\":\"\"}"
		"]}";

	for (int full = 0; full <= 1; full++)
	{
		JbRun		tree,
					img;
		CqJobState	s1 = jb_run(tjson, body, full, false, &tree),
					s2 = jb_run(tjson, body, full, true, &img);

		CQ_CHECKF(s1 == CQ_JOB_DONE && s2 == CQ_JOB_DONE, "full=%d: %d %d", full, s1, s2);
		/* 4 rows x 5 json columns; json[] stays a tree (not counted) */
		CQ_CHECKF(tree.n == 20 && img.n == 20, "full=%d: %d %d values", full, tree.n, img.n);
		CQ_CHECKF(tree.images == 0 && img.trees == 0 && img.images == tree.trees &&
				  img.nulls == tree.nulls && img.images > 10,
				  "full=%d: images %d/%d trees %d/%d", full, tree.images, img.images,
				  tree.trees, img.trees);
		for (int i = 0; i < tree.n && i < img.n; i++)
			CQ_CHECKF(tree.len[i] == img.len[i] &&
					  (tree.len[i] == 0 || memcmp(tree.img[i], img.img[i], tree.len[i]) == 0),
					  "full=%d: value %d differs (%u/%u bytes)", full, i,
					  tree.len[i], img.len[i]);
		jb_free(&tree);
		jb_free(&img);
	}
}

void		suite_types_jsonb(void);

void
suite_types_jsonb(void)
{
	uint16_t	one = 1;

	cqt_types_begin();
	if (*(const unsigned char *) &one != 1)
		cqt_skip("jsonb literal images", "little-endian bytes");
	else
		test_literal_images();
	test_no_image();
	test_many_keys();
	test_job_images();
	cqt_types_end();
}
