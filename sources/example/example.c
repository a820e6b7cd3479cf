/*-------------------------------------------------------------------------
 *
 * example.c
 *		  An out-of-tree compiled source plugin for cq_fdw: source "example".
 *
 * A plugin is what a source needs when a spec cannot say everything.  This
 * one declares its tables with an ordinary spec (embedded below; the loader
 * validates it exactly like a spec file) and adds a transform_row hook that
 * computes columns the API does not return:
 *
 *	name_upper		the item's name in upper case (ASCII letters only)
 *	team_number		the number in meta.labels.team ("team-3" -> 3)
 *	account_id		the account the row belongs to, as text, whatever JSON
 *					type the API used for it
 *
 * and drops rows without an "id" (returning NULL from the hook).
 *
 * Invariants of the plugin ABI (see cq_sdk.h, CqPluginDescriptor):
 *	- the descriptor is static and immutable; cq_plugin_describe() may be
 *	  called from any thread;
 *	- transform_row runs on SDK worker threads, concurrently: it uses no
 *	  global mutable state and never modifies the row it is given (the row
 *	  belongs to the SDK); it returns a new reference or NULL;
 *	- the plugin includes only the installed cq_sdk.h and jansson, no
 *	  PostgreSQL header, and calls no cq_* function (so it loads into any
 *	  host, including the SDK's test programs).
 *
 * Build: see Makefile (PGXS, against the installed header).  The tables
 * read the mock API of cq_fdw's test suite by default (base_url); point a
 * server's base_url elsewhere to use them against another server.
 *
 * Copyright (c) 2026, cq_fdw developers
 *
 *-------------------------------------------------------------------------
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cq_sdk.h"

/*
 * The ABI this plugin claims.  Always CQ_SDK_ABI_VERSION, except in the
 * deliberately broken build (make ABI=999) used to test the loader's check.
 */
#ifdef CQ_EXAMPLE_BAD_ABI
#define EXAMPLE_ABI ((uint32_t) (CQ_EXAMPLE_BAD_ABI))
#else
#define EXAMPLE_ABI CQ_SDK_ABI_VERSION
#endif

const CqPluginDescriptor *cq_plugin_describe(void);

static const char example_spec[] =
"{\n"
"  \"name\": \"example\",\n"
"  \"version\": \"1.0.0\",\n"
"  \"description\": \"Example compiled plugin: items of the cq_fdw mock API with computed columns.\",\n"
"  \"base_url\": \"http://127.0.0.1:18080\",\n"
"  \"auth\": \"none\",\n"
"  \"server_options\": [\"accounts\"],\n"
"  \"tables\": [\n"
"    {\n"
"      \"name\": \"example_items\",\n"
"      \"description\": \"Generated items (next-token pagination), with name_upper and team_number computed by the plugin.\",\n"
"      \"endpoint\": \"/gen/next_token/items?n=250\",\n"
"      \"rows\": \"/items\",\n"
"      \"pagination\": {\"type\": \"next_token\", \"next\": \"/nextPageToken\", \"next_param\": \"pageToken\",\n"
"                     \"page_size_param\": \"per_page\", \"page_size\": 100},\n"
"      \"supports_limit\": true,\n"
"      \"primary_key\": [\"id\"],\n"
"      \"row_estimate\": 250,\n"
"      \"columns\": [\n"
"        {\"name\": \"id\", \"type\": \"int\", \"description\": \"Item id.\"},\n"
"        {\"name\": \"name\", \"type\": \"string\", \"description\": \"Item name as the API returns it.\"},\n"
"        {\"name\": \"name_upper\", \"type\": \"string\", \"description\": \"Computed by the plugin: name in upper case (ASCII).\"},\n"
"        {\"name\": \"team_number\", \"type\": \"int\", \"description\": \"Computed by the plugin: N of the label team-N.\"},\n"
"        {\"name\": \"env\", \"type\": \"string\", \"path\": \"/meta/labels/env\", \"description\": \"Environment label.\"},\n"
"        {\"name\": \"created_at\", \"type\": \"timestamp\", \"description\": \"Creation time.\"},\n"
"        {\"name\": \"ipv4\", \"type\": \"inet\", \"description\": \"IPv4 address.\"},\n"
"        {\"name\": \"ips\", \"type\": \"inet[]\", \"path\": \"/networks/*/ip\", \"description\": \"Addresses of every network.\"}\n"
"      ]\n"
"    },\n"
"    {\n"
"      \"name\": \"example_account_items\",\n"
"      \"description\": \"Items per account: WHERE account_id = ... or the server option accounts fans out.\",\n"
"      \"endpoint\": \"/accounts/{account}/items?n=20\",\n"
"      \"rows\": \"/items\",\n"
"      \"pagination\": {\"type\": \"next_token\", \"next\": \"/nextPageToken\", \"next_param\": \"pageToken\",\n"
"                     \"page_size_param\": \"per_page\", \"page_size\": 10},\n"
"      \"keys\": [{\"column\": \"account_id\", \"param\": \"account\", \"required\": true,\n"
"                \"guaranteed\": true, \"server_option\": \"accounts\"}],\n"
"      \"primary_key\": [\"account_id\", \"id\"],\n"
"      \"row_estimate\": 20,\n"
"      \"columns\": [\n"
"        {\"name\": \"account_id\", \"type\": \"string\", \"description\": \"Account (key column; computed by the plugin as text).\"},\n"
"        {\"name\": \"id\", \"type\": \"int\", \"description\": \"Item id within the account.\"},\n"
"        {\"name\": \"name\", \"type\": \"string\", \"description\": \"Item name.\"},\n"
"        {\"name\": \"name_upper\", \"type\": \"string\", \"description\": \"Computed by the plugin.\"}\n"
"      ]\n"
"    }\n"
"  ]\n"
"}\n";

/* "team-3" -> 3; -1 if the label is absent or malformed. */
static json_int_t
team_number(json_t *row)
{
	json_t	   *meta = json_object_get(row, "meta");
	json_t	   *labels = meta ? json_object_get(meta, "labels") : NULL;
	json_t	   *team = labels ? json_object_get(labels, "team") : NULL;
	const char *s;
	char	   *end;
	long		n;

	if (!json_is_string(team))
		return -1;
	s = json_string_value(team);
	if (strncmp(s, "team-", 5) != 0 || s[5] < '0' || s[5] > '9')
		return -1;
	n = strtol(s + 5, &end, 10);
	if (*end != '\0' || n < 0 || n > 1000000)
		return -1;
	return (json_int_t) n;
}

/*
 * transform_row
 *		Add the computed fields to a shallow copy of `row`.  Runs on worker
 *		threads; `row` is not modified (a shallow copy shares its children,
 *		which are only read).  Returns a new reference, or NULL to drop the
 *		row.  On OOM the row is passed through unchanged.
 */
static json_t *
transform_row(const CqTableDef *table, json_t *row)
{
	json_t	   *out;
	json_t	   *name;
	json_t	   *acct;
	json_int_t	team;

	if (!json_is_object(row) || json_object_get(row, "id") == NULL)
		return NULL;			/* not an item: drop it */
	out = json_copy(row);
	if (out == NULL)
		return json_incref(row);

	name = json_object_get(row, "name");
	if (json_is_string(name))
	{
		size_t		len = json_string_length(name);
		char	   *up = malloc(len + 1);

		if (up)
		{
			size_t		i;

			memcpy(up, json_string_value(name), len + 1);
			for (i = 0; i < len; i++)
				if (up[i] >= 'a' && up[i] <= 'z')
					up[i] = (char) (up[i] - 'a' + 'A');
			json_object_set_new(out, "name_upper", json_stringn(up, len));
			free(up);
		}
	}

	team = team_number(row);
	if (team >= 0)
		json_object_set_new(out, "team_number", json_integer(team));

	/* the API sends the account as a number or a string: make it text */
	acct = json_object_get(row, "account");
	if (json_is_string(acct))
		json_object_set(out, "account_id", acct);
	else if (json_is_integer(acct))
	{
		char		buf[32];

		snprintf(buf, sizeof(buf), "%lld", (long long) json_integer_value(acct));
		json_object_set_new(out, "account_id", json_string(buf));
	}
	(void) table;
	return out;
}

static const CqPluginDescriptor example_descriptor = {
	EXAMPLE_ABI,				/* abi_version */
	"example",					/* name: must equal the spec's name */
	"1.0.0",					/* version */
	"Example compiled plugin for cq_fdw",	/* description */
	example_spec,				/* spec_json */
	transform_row				/* transform_row */
};

/*
 * cq_plugin_describe
 *		The plugin's only exported symbol (CQ_PLUGIN_SYMBOL).  Any thread.
 */
const CqPluginDescriptor *
cq_plugin_describe(void)
{
	return &example_descriptor;
}
