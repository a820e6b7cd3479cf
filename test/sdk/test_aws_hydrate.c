/*
 * test_aws_hydrate.c -- suite `aws_hydrate`: detail calls on an AWS table
 * (spec "hydrate" with "aws", rest-xml): aws_s3_buckets of the installed
 * sources/aws/aws.json over the mock's /aws-api (SigV4 verified, 5 buckets,
 * bucket-3 in eu-west-1).  No detail request for list columns; one signed
 * GET per bucket for a detail column (bucket-3's sent again, signed for
 * eu-west-1, after S3's 301 with x-amz-bucket-region, without moving the
 * listing); XML replies; a 404 in
 * null_status ("not configured") is NULL, not an error.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cq_sdk.h"
#include "cqtest.h"
#include "jobtest.h"
#include "test_util.h"

void		suite_aws_hydrate(void);

typedef struct Scan
{
	long		rows;
	char	   *text;			/* "a|b\n" per row, sorted by the listing */
	size_t		len,
				cap;
	CqError		err;
	CqJobStats	st;
} Scan;

static void
scan_rows(CqBatch *b, void *ud)
{
	Scan	   *out = ud;

	out->rows += cqt_batch_text(b, &out->text, &out->len, &out->cap);
}

/* aws_s3_buckets in us-east-1 for the comma-separated columns */
static CqJobState
scan(CqSourceDef *src, const char *cols, Scan *out)
{
	CqtAwsJob	f;
	CqJobState	st;

	memset(out, 0, sizeof(*out));
	if (!cqt_aws_job(&f, src, "aws_s3_buckets", cols, "us-east-1"))
		return CQ_JOB_FAILED;
	f.p.cred.sts_url = f.base;
	f.p.settings.max_retries = 2;
	f.p.settings.concurrency = 4;
	f.p.settings.workers = 2;
	st = cqt_job_run(&f.p, scan_rows, out, NULL, &out->err, &out->st);
	if (!out->text)
		out->text = strdup("");
	return st;
}

/* S3 requests of the mock log whose path contains `what`, by status and
 * signing region ("200 us-east-1,301 us-east-1,200 eu-west-1"...): counts */
static void
s3_count(const char *what, int *ok, int *moved, int *eu)
{
	char	   *body = cqt_mock_get("/_mock/requests?route=/aws-api&limit=100000");
	json_t	   *doc = body ? json_loads(body, 0, NULL) : NULL;
	json_t	   *r;
	size_t		i;

	*ok = *moved = *eu = 0;
	json_array_foreach(json_object_get(doc, "requests"), i, r)
	{
		const char *path = json_string_value(json_object_get(r, "path"));
		json_t	   *sv = json_object_get(r, "sigv4");
		const char *region = json_string_value(json_object_get(sv, "region"));
		long		status = (long) json_integer_value(json_object_get(r, "status"));

		if (!path || !strstr(path, what))
			continue;
		if (!json_is_true(json_object_get(sv, "ok")))
			*ok -= 1000;		/* a request whose signature failed */
		if (status == 301)
			(*moved)++;
		else if (status == 200 || status == 404)
			(*ok)++;
		if (status != 301 && region && strcmp(region, "eu-west-1") == 0)
			(*eu)++;
	}
	json_decref(doc);
	free(body);
}

static void
test_s3_details(void)
{
	CqSourceDef *src = cqt_mock_spec("aws s3 hydrate", "sources/aws/aws.json");
	Scan		s;
	CqJobState	st;
	int			ok,
				moved,
				eu;

	if (!src)
		return;
	/* list columns only: no detail request */
	h3_mock("/_mock/reset");
	st = scan(src, "name,creation_date", &s);
	CQ_CHECKF(st == CQ_JOB_DONE && s.rows == 5, "%s", s.err.message);
	s3_count("/bucket-", &ok, &moved, &eu);
	CQ_CHECKF(ok == 0 && moved == 0, "%d detail requests", ok);
	CQ_CHECK(s.st.detail_requests == 0);
	free(s.text);

	/* versioning: one per bucket, bucket-3 again for eu-west-1 */
	h3_mock("/_mock/reset");
	st = scan(src, "name,versioning_status,mfa_delete", &s);
	CQ_CHECKF(st == CQ_JOB_DONE && s.rows == 5, "%s %s", s.err.message, s.err.api_code);
	CQ_CHECKF(strstr(s.text, "bucket-0|Enabled|Disabled\n") && strstr(s.text, "bucket-1|<null>|<null>\n") &&
			  strstr(s.text, "bucket-2|Suspended|<null>\n") && strstr(s.text, "bucket-4|Enabled|Disabled\n"),
			  "%s", s.text);
	s3_count("?versioning", &ok, &moved, &eu);
	CQ_CHECKF(ok == 5 && moved == 1 && eu == 1, "versioning: %d answered, %d moved, %d in eu-west-1",
			  ok, moved, eu);
	CQ_CHECK(s.st.detail_requests == 6);
	free(s.text);

	/* encryption: bucket-1 and bucket-4 have none (404 in null_status) */
	h3_mock("/_mock/reset");
	st = scan(src, "name,sse_algorithm,sse_bucket_key_enabled", &s);
	CQ_CHECKF(st == CQ_JOB_DONE && s.rows == 5, "%s %s", s.err.message, s.err.api_code);
	CQ_CHECKF(strstr(s.text, "bucket-0|aws:kms|true\n") && strstr(s.text, "bucket-1|<null>|<null>\n") &&
			  strstr(s.text, "bucket-3|AES256|false\n") && strstr(s.text, "bucket-4|<null>|<null>\n"),
			  "%s", s.text);
	CQ_CHECK(s.st.units_failed == 0);
	free(s.text);
	cq_source_def_free(src);
	h3_mock("/_mock/reset");
}

void
suite_aws_hydrate(void)
{
	test_s3_details();
}
