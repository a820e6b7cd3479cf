/*
 * test_spec_lookup.c -- suite `spec_lookup`: src/sdk/spec_lookup.c, the
 * queries on a parsed definition (cq_source_find_table,
 * cq_table_find_column, cq_table_find_key, the private
 * cqp_spec_parent_map_lookup and cqp_spec_find_key_by_param) and the
 * missing-key rules of cq_table_missing_keys, which decide which WHERE
 * columns a user must give before a scan can run.
 */
#include <stdlib.h>
#include <string.h>

#include "cq_sdk.h"
#include "cq_sdk_int.h"
#include "spec_int.h"
#include "cqtest.h"
#include "spectest.h"

void		suite_spec_lookup(void);

static CqTableDef *
table_of(const char *s)
{
	CqError		err;
	CqTableDef *t = cq_spec_parse_table(s, strlen(s), &err);

	CQ_CHECKF(t != NULL, "%s", err.message);
	return t;
}

/* Public lookups, including NULL arguments and absent names. */
static void
test_find(void)
{
	CqError		err;
	CqSourceDef *d = cq_spec_parse(cqt_full_spec, strlen(cqt_full_spec), &err);
	const CqTableDef *t;
	const CqKeyDef *k;

	CQ_CHECKF(d != NULL, "%s", err.message);
	if (!d)
		return;
	CQ_CHECK(cq_source_find_table(d, "github_issues") == &d->tables[0]);
	CQ_CHECK(cq_source_find_table(d, "gcp_instances") == &d->tables[1]);
	CQ_CHECK(cq_source_find_table(d, "github") == NULL);
	CQ_CHECK(cq_source_find_table(d, NULL) == NULL);
	CQ_CHECK(cq_source_find_table(NULL, "github_issues") == NULL);

	t = &d->tables[0];
	CQ_CHECK(cq_table_find_column(t, "id") == 0);
	CQ_CHECK(cq_table_find_column(t, "raw_labels") == 8);
	CQ_CHECK(cq_table_find_column(t, "ID") == -1);	/* names are exact */
	CQ_CHECK(cq_table_find_column(t, NULL) == -1);
	CQ_CHECK(cq_table_find_column(NULL, "id") == -1);

	k = cq_table_find_key(t, "repo");
	CQ_CHECK(k == &t->keys[1]);
	CQ_CHECK(cq_table_find_key(t, "labels") == NULL);	/* a column, no key */
	CQ_CHECK(cq_table_find_key(t, NULL) == NULL);
	CQ_CHECK(cq_table_find_key(NULL, "repo") == NULL);
	cq_source_def_free(d);
}

/* The private lookups spec_table.c's cross-checks use. */
static void
test_private_lookups(void)
{
	CqTableDef *t = table_of("{\"name\":\"t\",\"endpoint\":\"/o/{owner}/r/{rid}\","
							 "\"keys\":[{\"column\":\"owner\"},{\"column\":\"owner_id\",\"param\":\"own\"},"
							 "{\"column\":\"q\",\"in\":\"query\"}],"
							 "\"parent\":{\"endpoint\":\"/p\",\"map\":{\"rid\":\"/id\",\"own\":\"/o\"}},"
							 "\"columns\":[{\"name\":\"owner\",\"type\":\"string\"},"
							 "{\"name\":\"owner_id\",\"type\":\"int\"},{\"name\":\"q\",\"type\":\"string\"}]}");
	CqParentDef none;

	if (!t)
		return;
	/* parent.map: hit, miss, and a table without a parent */
	CHECK_S(cqp_spec_parent_map_lookup(t->parent, "rid"), "/id");
	CHECK_S(cqp_spec_parent_map_lookup(t->parent, "own"), "/o");
	CQ_CHECK(cqp_spec_parent_map_lookup(t->parent, "ri") == NULL);
	CQ_CHECK(cqp_spec_parent_map_lookup(NULL, "rid") == NULL);
	memset(&none, 0, sizeof(none));
	CQ_CHECK(cqp_spec_parent_map_lookup(&none, "rid") == NULL);

	/* by param: the length bounds the match ("own" is not a prefix match
	 * of "owner"), and `in` filters unless negative */
	CQ_CHECK(cqp_spec_find_key_by_param(t, "owner", 5, CQ_IN_PATH) == &t->keys[0]);
	CQ_CHECK(cqp_spec_find_key_by_param(t, "owner}/r", 5, CQ_IN_PATH) == &t->keys[0]);
	CQ_CHECK(cqp_spec_find_key_by_param(t, "owner", 3, -1) == &t->keys[1]);
	CQ_CHECK(cqp_spec_find_key_by_param(t, "owne", 4, -1) == NULL);
	CQ_CHECK(cqp_spec_find_key_by_param(t, "q", 1, CQ_IN_PATH) == NULL);
	CQ_CHECK(cqp_spec_find_key_by_param(t, "q", 1, CQ_IN_QUERY) == &t->keys[2]);
	CQ_CHECK(cqp_spec_find_key_by_param(t, "q", 1, -1) == &t->keys[2]);
	CQ_CHECK(cqp_spec_find_key_by_param(t, "rid", 3, -1) == NULL);	/* map only */
	cq_table_def_free(t);
}

static int
missing_of(const CqTableDef *t, int ngiven, const char *const *given,
		   char *out, size_t outlen)
{
	const char *m[16];
	int			n = cq_table_missing_keys(t, ngiven, given, m, 16);
	int			i;
	size_t		o = 0;

	out[0] = '\0';
	for (i = 0; i < n && i < 16; i++)
		o += (size_t) snprintf(out + o, outlen - o, "%s%s", i ? "," : "", m[i]);
	return n;
}

static void
test_missing_keys(void)
{
	CqError		err;
	CqSourceDef *d = cq_spec_parse(cqt_full_spec, strlen(cqt_full_spec), &err);
	const CqTableDef *gh,
			   *gcp;
	char		buf[256];
	const char *m1[1];

	if (!d)
	{
		CQ_CHECKF(0, "%s", err.message);
		return;
	}
	gh = &d->tables[0];
	gcp = &d->tables[1];

	/* owner/repo directly, or org through the parent */
	CQ_CHECK(missing_of(gh, 0, NULL, buf, sizeof(buf)) == 2);
	CHECK_S(buf, "owner,repo");
	{
		const char *g[] = {"owner"};

		CQ_CHECK(missing_of(gh, 1, g, buf, sizeof(buf)) == 1);
		CHECK_S(buf, "repo");
	}
	{
		const char *g[] = {"repo", "owner"};

		CQ_CHECK(missing_of(gh, 2, g, buf, sizeof(buf)) == 0);
	}
	{
		const char *g[] = {"org"};

		CQ_CHECK(missing_of(gh, 1, g, buf, sizeof(buf)) == 0);
	}
	{
		const char *g[] = {"org", "owner"};

		CQ_CHECK(missing_of(gh, 2, g, buf, sizeof(buf)) == 0);
	}
	{
		const char *g[] = {"state", "number", "id"};

		CQ_CHECK(missing_of(gh, 3, g, buf, sizeof(buf)) == 2);
	}
	/* maxmissing smaller than the count: count returned, one name written */
	CQ_CHECK(cq_table_missing_keys(gh, 0, NULL, m1, 1) == 2);
	CHECK_S(m1[0], "owner");
	CQ_CHECK(cq_table_missing_keys(gh, 0, NULL, NULL, 0) == 2);

	/* server_option keys count only when the caller lists them; required
	 * query keys are needed too */
	CQ_CHECK(missing_of(gcp, 0, NULL, buf, sizeof(buf)) == 2);
	CHECK_S(buf, "project,filter");
	{
		const char *g[] = {"project", "filter"};

		CQ_CHECK(missing_of(gcp, 2, g, buf, sizeof(buf)) == 0);
	}
	{
		const char *g[] = {"zone", "filter"};

		CQ_CHECK(missing_of(gcp, 2, g, buf, sizeof(buf)) == 1);
		CHECK_S(buf, "project");
	}
	cq_source_def_free(d);

	/* get_endpoint as the alternative: /a/{x} or /b/{y} */
	{
		const char *s = "{\"name\":\"t\",\"endpoint\":\"/a/{x}\",\"get_endpoint\":\"/b/{y}\","
			"\"keys\":[{\"column\":\"x\"},{\"column\":\"y\"}],"
			"\"columns\":[{\"name\":\"x\",\"type\":\"int\"},{\"name\":\"y\",\"type\":\"int\"}]}";
		CqTableDef *t = cq_spec_parse_table(s, strlen(s), &err);
		const char *gy[] = {"y"};

		CQ_CHECKF(t != NULL, "%s", err.message);
		if (t)
		{
			CQ_CHECK(missing_of(t, 0, NULL, buf, sizeof(buf)) == 1);
			CHECK_S(buf, "x");
			CQ_CHECK(missing_of(t, 1, gy, buf, sizeof(buf)) == 0);
			cq_table_def_free(t);
		}
	}
	/* a child param filled only by the parent: what the parent lacks */
	{
		const char *s = "{\"name\":\"t\",\"endpoint\":\"/repos/{rid}/hooks\","
			"\"keys\":[{\"column\":\"org\"}],"
			"\"parent\":{\"endpoint\":\"/orgs/{org}/repos\",\"map\":{\"rid\":\"/id\"}},"
			"\"columns\":[{\"name\":\"org\",\"type\":\"string\"}]}";
		CqTableDef *t = cq_spec_parse_table(s, strlen(s), &err);
		const char *g[] = {"org"};

		CQ_CHECKF(t != NULL, "%s", err.message);
		if (t)
		{
			CQ_CHECK(missing_of(t, 0, NULL, buf, sizeof(buf)) == 1);
			CHECK_S(buf, "org");
			CQ_CHECK(missing_of(t, 1, g, buf, sizeof(buf)) == 0);
			cq_table_def_free(t);
		}
	}
}

void
suite_spec_lookup(void)
{
	test_find();
	test_private_lookups();
	test_missing_keys();
}
