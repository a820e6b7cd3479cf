/*-------------------------------------------------------------------------
 *
 * validate.c
 *		  Run the SDK's spec validator (cq_spec_load_file) over spec files.
 *
 *	validate FILE.json ...
 *
 * Prints "ok <file>: N tables" or the validator's located error for each
 * file; exit status 1 if any file fails.  Built by sources/gen/Makefile
 * against the SDK static library; no PostgreSQL involved.
 *
 * Copyright (c) 2026, cq_fdw developers
 *
 *-------------------------------------------------------------------------
 */
#include <stdio.h>

#include "cq_sdk.h"

int
main(int argc, char **argv)
{
	int			rc = 0;

	for (int i = 1; i < argc; i++)
	{
		CqError		err = {0};
		CqSourceDef *def = cq_spec_load_file(argv[i], &err);

		if (def == NULL)
		{
			printf("FAIL %s: %s\n", argv[i], err.message);
			rc = 1;
			continue;
		}
		printf("ok %s: %d tables\n", argv[i], def->ntables);
		cq_source_def_free(def);
	}
	return rc;
}
