/*
 * fuzz_types.c -- libFuzzer target for the SDK type system and JSON
 * pointers.
 *
 * The input is parsed as JSON (any value); then cq_value_parse runs on it
 * for every scalar type and every array type, and on each element when it is
 * an array or each member value when it is an object; every result is
 * formatted back with cq_value_format (into a small and a large buffer) and
 * all references are dropped.  A few JSON pointers are compiled from the
 * input too.  Build: make -C src/sdk fuzz-build (clang + libFuzzer).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cq_sdk.h"
#include "cq_sdk_int.h"

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
drop(CqValue *v)
{
	if (v->isnull)
		return;
	if (v->is_array)
	{
		for (uint32_t i = 0; i < v->len; i++)
			drop(&v->u.arr[i]);
	}
	else if (v->type == CQ_T_JSON)
		json_decref(v->u.json);
}

static void
run_all(json_t *v, CqArena *arena)
{
	static char big[1 << 16];
	char		small[16];

	for (int t = 0; t < CQ_T__COUNT; t++)
	{
		for (int arr = 0; arr < 2; arr++)
		{
			CqColType	ct = {(CqType) t, arr != 0};
			CqValue		out;
			CqError		err;
			size_t		n;

			if (cq_value_parse(v, ct, arena, &out, &err))
			{
				n = cq_value_format(&out, small, sizeof(small));
				if (strlen(small) != (n < sizeof(small) ? n : sizeof(small) - 1))
					abort();
				cq_value_format(&out, big, sizeof(big));
				drop(&out);
			}
			else
			{
				if (!out.isnull)
					abort();
				if (memchr(err.message, '\0', sizeof(err.message)) == NULL ||
					memchr(err.api_message, '\0', sizeof(err.api_message)) == NULL)
					abort();
			}
		}
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_error_t jerr;
	json_t	   *root;
	CqArena    *arena;

	/* JSON pointers straight from the input */
	if (size < 256)
	{
		char		buf[256];
		CqError		err;
		CqPath	   *p;

		memcpy(buf, data, size);
		buf[size] = '\0';
		p = cq_path_compile(buf, &err);
		cq_path_free(p);
	}

	root = json_loadb((const char *) data, size,
					  JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);
	if (root == NULL)
		return 0;
	arena = cq_arena_new(4096);
	run_all(root, arena);
	if (json_is_array(root))
	{
		size_t		i;

		for (i = 0; i < json_array_size(root) && i < 64; i++)
			run_all(json_array_get(root, i), arena);
	}
	else if (json_is_object(root))
	{
		const char *k;
		json_t	   *val;
		int			n = 0;

		json_object_foreach(root, k, val)
		{
			if (n++ >= 64)
				break;
			run_all(val, arena);
		}
	}
	/* wildcard extraction over the document */
	{
		static const char *const ptrs[] = {"/*", "/*/*", "/0/*", "/a/*/b", ""};
		CqError		err;

		for (size_t i = 0; i < sizeof(ptrs) / sizeof(ptrs[0]); i++)
		{
			CqPath	   *p = cq_path_compile(ptrs[i], &err);

			for (int t = 0; t < CQ_T__COUNT; t++)
			{
				CqColType	ct = {(CqType) t, true};
				CqValue		out;

				if (cqp_path_parse(p, root, ct, arena, &out, &err))
					drop(&out);
			}
			cq_path_free(p);
		}
	}
	cq_arena_free(arena);
	json_decref(root);
	return 0;
}
