/*
 * fuzz_spec.c -- libFuzzer target for the spec loader.
 *
 * Feeds the input to cq_spec_parse (a whole source) and to
 * cq_spec_parse_table (one table, as the `rest` source builds from SQL),
 * and, for every definition that validates, runs the lookups and the
 * missing-key logic so the invariants they rely on are exercised too.
 * Any crash, sanitizer report, leak or message with a newline is a bug.
 *
 *	make -C src/sdk fuzz-build BUILD=/tmp/x
 *	/tmp/x-fuzz/fuzz_spec -max_total_time=60 test/fuzz/corpus/fuzz_spec
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cq_sdk.h"

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_message(const CqError *err)
{
	if (err->message[0] == '\0' || strchr(err->message, '\n') != NULL)
		abort();				/* every failure names its problem, on one line */
}

static void
exercise_table(const CqTableDef *t)
{
	const char *given[64];
	const char *missing[8];
	int			i,
				n = 0;

	for (i = 0; i < t->ncolumns; i++)
		if (cq_table_find_column(t, t->columns[i].name) < 0 || t->columns[i].cpath == NULL)
			abort();
	for (i = 0; i < t->nkeys && n < 64; i++)
	{
		if (cq_table_find_key(t, t->keys[i].column) == NULL ||
			cq_table_find_column(t, t->keys[i].column) < 0)
			abort();
		given[n++] = t->keys[i].column;
	}
	if (t->crows == NULL || t->cget_rows == NULL)
		abort();
	(void) cq_table_missing_keys(t, 0, NULL, missing, 8);
	/* every key column given: nothing can be missing */
	if (cq_table_missing_keys(t, n, given, missing, 8) != 0 && t->nkeys <= 64)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	CqError		err;
	CqSourceDef *def;
	CqTableDef *t;
	int			i;

	def = cq_spec_parse((const char *) data, size, &err);
	if (def)
	{
		for (i = 0; i < def->ntables; i++)
		{
			if (cq_source_find_table(def, def->tables[i].name) == NULL)
				abort();
			exercise_table(&def->tables[i]);
		}
		cq_source_def_free(def);
	}
	else
		check_message(&err);

	t = cq_spec_parse_table((const char *) data, size, &err);
	if (t)
	{
		exercise_table(t);
		cq_table_def_free(t);
	}
	else
		check_message(&err);
	return 0;
}
