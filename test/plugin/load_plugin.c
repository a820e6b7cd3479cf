/*
 * load_plugin.c -- check cq_plugin_load against a real shared object.
 *
 *	load_plugin good <path/to/cq_example.so>	must load, spec and hook work
 *	load_plugin bad  <path/to/cq_example.so>	must be refused (ABI 999)
 *
 * Built and run by test/plugin/run.sh, linked with the SDK static library.
 * Prints "ok ..." / "not ok ..." lines; exit status 1 on any failure.
 */
#include <stdio.h>
#include <string.h>

#include "cq_sdk.h"

static int	failures = 0;

#define CHECK(cond, what) \
	do { \
		if (cond) printf("ok - %s\n", what); \
		else { printf("not ok - %s\n", what); failures++; } \
	} while (0)

static int
check_good(const char *path)
{
	const CqPluginDescriptor *desc = NULL;
	const CqPluginDescriptor *desc2 = NULL;
	CqError		err;
	CqSourceDef *def = cq_plugin_load(path, &desc, &err);
	CqSourceDef *def2;
	const CqTableDef *items,
			   *acct;
	json_t	   *row,
			   *out;
	const char *missing[4];
	const char *given[] = {"account_id"};

	if (def == NULL)
	{
		printf("not ok - load %s: %s\n", path, err.message);
		return 1;
	}
	CHECK(desc != NULL && desc->abi_version == CQ_SDK_ABI_VERSION, "descriptor has this SDK's ABI");
	CHECK(strcmp(def->name, "example") == 0, "source name is example");
	CHECK(strcmp(def->kind, "plugin") == 0, "kind is plugin");
	CHECK(def->version && strcmp(def->version, "1.0.0") == 0, "version 1.0.0");
	items = cq_source_find_table(def, "example_items");
	acct = cq_source_find_table(def, "example_account_items");
	CHECK(items != NULL && acct != NULL, "both tables present");
	CHECK(items && cq_table_find_column(items, "name_upper") >= 0, "computed column declared");
	CHECK(acct && cq_table_missing_keys(acct, 0, NULL, missing, 4) == 1 &&
		  strcmp(missing[0], "account_id") == 0, "account_id is a required key");
	CHECK(acct && cq_table_missing_keys(acct, 1, given, missing, 4) == 0, "account_id given: scan can run");

	CHECK(desc && desc->transform_row != NULL, "transform_row hook present");
	if (desc && desc->transform_row && items)
	{
		row = json_loads("{\"id\":1,\"name\":\"abc-\xc3\xa9\",\"account\":7,"
						 "\"meta\":{\"labels\":{\"team\":\"team-3\"}}}", 0, NULL);
		out = desc->transform_row(items, row);
		CHECK(out != NULL, "transform_row keeps an item");
		if (out)
		{
			json_t	   *nu = json_object_get(out, "name_upper");

			CHECK(json_is_string(nu) && strcmp(json_string_value(nu), "ABC-\xc3\xa9") == 0,
				  "name_upper computed");
			CHECK(json_integer_value(json_object_get(out, "team_number")) == 3, "team_number computed");
			CHECK(json_is_string(json_object_get(out, "account_id")) &&
				  strcmp(json_string_value(json_object_get(out, "account_id")), "7") == 0,
				  "account_id as text");
			CHECK(json_object_get(row, "name_upper") == NULL, "input row left untouched");
			json_decref(out);
		}
		json_decref(row);
		row = json_loads("{\"name\":\"no id\"}", 0, NULL);
		out = desc->transform_row(items, row);
		CHECK(out == NULL, "transform_row drops a row without id");
		json_decref(out);
		json_decref(row);
	}

	/* loading again is fine: same descriptor (dlopen reference counting) */
	def2 = cq_plugin_load(path, &desc2, &err);
	CHECK(def2 != NULL && desc2 == desc, "second load returns the same descriptor");
	cq_source_def_free(def2);
	cq_source_def_free(def);
	return 0;
}

static int
check_bad(const char *path)
{
	const CqPluginDescriptor *desc = NULL;
	CqError		err;
	CqSourceDef *def = cq_plugin_load(path, &desc, &err);

	CHECK(def == NULL && desc == NULL, "wrong-ABI plugin refused");
	CHECK(err.kind == CQ_ERR_PLUGIN, "error kind is plugin");
	{
		char		want[96];

		snprintf(want, sizeof(want), "was built for SDK ABI 999, this cq_fdw provides ABI %d",
				 CQ_SDK_ABI_VERSION);
		CHECK(strstr(err.message, want) != NULL, "message names both ABI versions");
	}
	CHECK(strstr(err.message, "rebuild it against the installed cq_sdk.h") != NULL,
		  "message says how to fix it");
	printf("# %s\n", err.message);
	cq_source_def_free(def);
	return 0;
}

int
main(int argc, char **argv)
{
	if (argc != 3)
	{
		fprintf(stderr, "usage: %s good|bad path.so\n", argv[0]);
		return 2;
	}
	if (strcmp(argv[1], "good") == 0)
		failures += check_good(argv[2]);
	else
		failures += check_bad(argv[2]);
	return failures ? 1 : 0;
}
