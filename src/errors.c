/*-------------------------------------------------------------------------
 *
 * errors.c
 *		  The one mapping from an SDK error (CqError) to a PostgreSQL ERROR.
 *
 * Invariants:
 *	- CHECK_FOR_INTERRUPTS() runs first, so a query cancel or a statement
 *	  timeout that caused the SDK to stop is reported as such (57014), not
 *	  as whatever the aborted request looked like.
 *	- Every string of a CqError may be API text: it is sanitized (control
 *	  characters -> space) and only ever passed as a %s argument, never as a
 *	  format.  The SDK already redacts credentials from the URL; nothing
 *	  here reads CqFdwTable.cred.
 *	- errmsg is lower case, no period, no newline; detail and hint are
 *	  sentences.  The mapping is documented in README.md (Errors and warnings) -- keep the two
 *	  in sync.
 *
 * Copyright (c) 2026, cq_fdw developers
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <ctype.h>

#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "utils/elog.h"

#include "cq_fdw.h"

/*
 * clean
 *		Copy an SDK string into a palloc'd buffer without control characters
 *		or a trailing period (errdetail adds its own punctuation).
 */
static char *
clean(const char *s, size_t maxlen)
{
	size_t		n = strnlen(s, maxlen);
	char	   *out = palloc(n + 1);

	for (size_t i = 0; i < n; i++)
	{
		unsigned char c = (unsigned char) s[i];

		out[i] = (c < 0x20 || c == 0x7f) ? ' ' : (char) c;
	}
	while (n > 0 && (out[n - 1] == ' ' || out[n - 1] == '.'))
		n--;
	out[n] = '\0';
	return out;
}

/*
 * http_sqlstate
 *		SQLSTATE for a final HTTP status (after retries).
 */
static int
http_sqlstate(int status)
{
	if (status == 401 || status == 403)
		return ERRCODE_INSUFFICIENT_PRIVILEGE;
	if (status == 404 || status == 410)
		return ERRCODE_FDW_TABLE_NOT_FOUND;
	if (status == 429)
		return ERRCODE_CONFIGURATION_LIMIT_EXCEEDED;
	return ERRCODE_FDW_ERROR;
}

/*
 * aws_auth_code
 *		True for the AWS error codes that mean "these credentials are not
 *		valid" (not "not allowed"): a wrong secret, an unknown or expired key
 *		or token, a stale clock.  AccessDenied / UnauthorizedOperation are
 *		permissions (42501), not these.
 */
static bool
aws_auth_code(const char *code)
{
	static const char *const codes[] = {
		"AuthFailure", "SignatureDoesNotMatch", "InvalidClientTokenId",
		"ExpiredToken", "ExpiredTokenException", "UnrecognizedClientException",
		"InvalidSignatureException", "IncompleteSignature",
		"MissingAuthenticationToken", "InvalidAccessKeyId", "RequestExpired",
		"RequestTimeTooSkewed", "InvalidToken", NULL
	};

	for (int i = 0; codes[i]; i++)
		if (strcmp(code, codes[i]) == 0)
			return true;
	return false;
}

/*
 * cqfdw_aws_credential_error
 *		True if `e` is an AWS reply saying the credentials are not valid
 *		(aws_auth_code), the 28000 case of cqfdw_report_job_error.
 */
bool
cqfdw_aws_credential_error(const CqError *e)
{
	char		code[sizeof(e->api_code)];

	strlcpy(code, e->api_code, sizeof(code));
	return code[0] != '\0' && aws_auth_code(code);
}

/*
 * cqfdw_report_job_error
 *		Raise the ERROR for an SDK failure.  Never returns.
 *
 * `t` may be NULL (no table context).  Called on the main thread only; the
 * caller has already made sure no SDK resource leaks on the longjmp (the
 * scan's memory context reset callback frees the job).
 *
 * Mapping (README.md (Errors and warnings)):
 *	CQ_ERR_CONNECT, CQ_ERR_TIMEOUT	HV00N fdw_unable_to_establish_connection
 *	  (a request timeout is a connection problem, not a cancel: 57014 is
 *	  reserved for the user's own cancel / statement_timeout)
 *	CQ_ERR_TRANSFER					08006 connection_failure (connected, then
 *	  lost mid-response: reset, closed early; retried before this)
 *	AWS credential error codes		28000 invalid_authorization_specification
 *	  (SignatureDoesNotMatch, InvalidClientTokenId, AuthFailure,
 *	  ExpiredToken, ...: aws_auth_code), code and request id in DETAIL
 *	HTTP 401, 403					42501 insufficient_privilege
 *	HTTP 404, 410					HV00R fdw_table_not_found
 *	HTTP 429 / CQ_ERR_RATE_LIMIT	53400 configuration_limit_exceeded (class
 *	  53 tells clients the condition is transient; retry later)
 *	other HTTP (5xx, 4xx)			HV000 fdw_error
 *	CQ_ERR_JSON, CQ_ERR_VALUE		22P02 invalid_text_representation
 *	CQ_ERR_LIMIT					54000 program_limit_exceeded (+ the setting;
 *	  max_pages, max_redirects, url_length, header_line get their own message)
 *	CQ_ERR_POLICY					42501 insufficient_privilege
 *	CQ_ERR_CONFIG					HV024 fdw_invalid_attribute_value
 *	CQ_ERR_CANCELED					57014 query_canceled
 *	CQ_ERR_NOMEM					53200 out_of_memory
 *	CQ_ERR_PLUGIN, CQ_ERR_INTERNAL	HV000 fdw_error / XX000 internal_error
 */
/*
 * guc_for_sdk_setting
 *		The cq_fdw.* setting that raises an SDK limit (CqError.setting holds
 *		the SDK's CqJobSettings field name).  NULL when none applies.
 */
static const char *
guc_for_sdk_setting(const char *setting)
{
	static const struct
	{
		const char *sdk;
		const char *guc;
	}			map[] =
	{
		{"max_response_bytes", "cq_fdw.max_response_size"},
		{"max_header_bytes", "cq_fdw.max_header_size"},
		{"max_string_bytes", "cq_fdw.max_string_size"},
		{"max_array_elems", "cq_fdw.max_array_length"},
		{"max_json_depth", "cq_fdw.max_json_depth"},
		{"request_timeout_ms", "cq_fdw.request_timeout"},
		{"connect_timeout_ms", "cq_fdw.connect_timeout"},
		{"retry_max_ms", "cq_fdw.retry_max"},
		{"max_pages", "cq_fdw.max_pages"},
		{NULL, NULL}
	};

	if (setting == NULL || setting[0] == '\0')
		return NULL;
	if (strncmp(setting, "cq_fdw.", 7) == 0)
		return setting;
	for (int i = 0; map[i].sdk; i++)
		if (strcmp(map[i].sdk, setting) == 0)
			return map[i].guc;
	return NULL;				/* e.g. max_redirects: not a setting */
}

/*
 * user_words
 *		Copy of an SDK message where each SDK setting name (a CqJobSettings
 *		field, e.g. "max_response_bytes") is replaced by the cq_fdw.*
 *		setting users can change ("cq_fdw.max_response_size").  palloc'd.
 */
static char *
user_words(const char *msg)
{
	StringInfoData buf;
	const char *p = msg;

	initStringInfo(&buf);
	while (*p)
	{
		/* not inside a longer name, a URL or a query string */
		bool		word_start = (p == msg ||
								  !(isalnum((unsigned char) p[-1]) ||
									strchr("_./?&=", p[-1]) != NULL));
		size_t		n = 0;

		if (word_start)
			while (isalnum((unsigned char) p[n]) || p[n] == '_')
				n++;
		if (n > 0)
		{
			char	   *word = pnstrdup(p, n);
			const char *guc = guc_for_sdk_setting(word);

			appendStringInfoString(&buf, (guc && strncmp(word, "cq_fdw.", 7) != 0) ? guc : word);
			pfree(word);
			p += n;
		}
		else
			appendStringInfoChar(&buf, *p++);
	}
	return buf.data;
}

void
cqfdw_report_job_error(const CqError *e, const CqFdwTable *t)
{
	char	   *message;
	char	   *api;
	char	   *url;
	char	   *unit;
	char	   *column;
	char	   *path;
	char	   *setting;
	char	   *detail;
	char	   *code;
	char	   *reqid;
	const char *method;
	const char *tname = (t && t->table_name) ? t->table_name : NULL;

	/* a cancel or timeout that stopped the job is reported as itself */
	CHECK_FOR_INTERRUPTS();

	message = user_words(clean(e->message, sizeof(e->message)));
	api = clean(e->api_message, sizeof(e->api_message));
	url = clean(e->url, sizeof(e->url));
	unit = clean(e->unit, sizeof(e->unit));
	column = clean(e->column, sizeof(e->column));
	path = clean(e->path, sizeof(e->path));
	setting = clean(e->setting, sizeof(e->setting));
	code = clean(e->api_code, sizeof(e->api_code));
	reqid = clean(e->request_id, sizeof(e->request_id));
	/* detail: the API's own words when it gave any, else the SDK's */
	detail = api[0] ? api : message;
	/* AWS tables POST (ec2, query, json) or use their model's method */
	method = (t && t->table && t->table->aws && t->table->aws->method) ?
		t->table->aws->method : "GET";
	if (strcmp(unit, "DescribeRegions") == 0)
		method = "POST";		/* the regions of a regional AWS table */

	/*
	 * errcontext() expands to a comma expression: every branch of a ?: that
	 * uses it must be parenthesized, or its message is always added.
	 */
#define CQ_CONTEXT \
	(url[0] ? (unit[0] ? (errcontext("request %s %s for %s", method, url, unit)) : \
			   (errcontext("request %s %s", method, url))) : \
	 (unit[0] ? (errcontext("fan-out unit %s", unit)) : 0)), \
	(tname ? (errcontext("scan of table %s", tname)) : 0)

	switch (e->kind)
	{
		case CQ_ERR_CONNECT:
			ereport(ERROR,
					(errcode(ERRCODE_FDW_UNABLE_TO_ESTABLISH_CONNECTION),
					 errmsg("could not connect to the API"),
					 message[0] ? errdetail("%s.", message) : 0,
					 CQ_CONTEXT));
			break;
		case CQ_ERR_TRANSFER:
			ereport(ERROR,
					(errcode(ERRCODE_CONNECTION_FAILURE),
					 errmsg("connection to the API was lost during the response"),
					 message[0] ? errdetail("%s.", message) : 0,
					 errhint("The request was retried up to cq_fdw.max_retries times; a failure that repeats points at the API or a proxy in between."),
					 CQ_CONTEXT));
			break;
		case CQ_ERR_TIMEOUT:
			ereport(ERROR,
					(errcode(ERRCODE_FDW_UNABLE_TO_ESTABLISH_CONNECTION),
					 errmsg("API request timed out"),
					 message[0] ? errdetail("%s.", message) : 0,
					 strcmp(setting, "connect_timeout_ms") == 0 ?
					 errhint("Raise cq_fdw.connect_timeout if the API is slow to accept connections, and check that base_url is reachable.") :
					 errhint("Raise cq_fdw.request_timeout or cq_fdw.connect_timeout if the API is slow."),
					 CQ_CONTEXT));
			break;
		case CQ_ERR_HTTP:
		case CQ_ERR_RATE_LIMIT:
			{
				int			status = e->http_status;

				/* the API asked for a wait longer than cq_fdw.retry_max */
				if (strcmp(setting, "retry_max_ms") == 0)
					ereport(ERROR,
							(errcode(http_sqlstate(e->kind == CQ_ERR_RATE_LIMIT ? 429 : status)),
							 e->kind == CQ_ERR_RATE_LIMIT || status == 429 ?
							 errmsg("API rate limit exceeded") :
							 errmsg("API request failed with HTTP status %d", status),
							 api[0] ?
							 errdetail("%s. The API said: %s.", message, api) :
							 errdetail("%s.", message),
							 errhint("Raise cq_fdw.retry_max to let the scan wait that long, or retry later."),
							 CQ_CONTEXT));
				/* GitHub reports its primary rate limit as 403: the SDK
				 * tells it apart (CQ_ERR_RATE_LIMIT) */
				if (e->kind == CQ_ERR_RATE_LIMIT || status == 429)
					ereport(ERROR,
							(errcode(http_sqlstate(429)),
							 errmsg("API rate limit still exceeded after retries"),
							 detail[0] ? errdetail("%s.", detail) : 0,
							 errhint("Lower cq_fdw.concurrency, raise cq_fdw.max_retries, or retry later."),
							 CQ_CONTEXT));
				/* STS refused AssumeRole (role_arn) or GetCallerIdentity */
				if (strcmp(setting, "role_arn") == 0 || strcmp(setting, "access_key_id") == 0)
					ereport(ERROR,
							(errcode(ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION),
							 strcmp(setting, "role_arn") == 0 ?
							 errmsg("AWS STS refused to assume the role (HTTP status %d)", status) :
							 errmsg("AWS STS refused the credentials (HTTP status %d)", status),
							 code[0] ?
							 (reqid[0] ?
							  errdetail("AWS error %s (request id %s): %s.", code, reqid,
										api[0] ? api : message) :
							  errdetail("AWS error %s: %s.", code, api[0] ? api : message)) :
							 errdetail("%s.", message),
							 strcmp(setting, "role_arn") == 0 ?
							 errhint("Check the user mapping options role_arn and external_id, the role's trust policy (it must trust the key of access_key_id, with this external id), and access_key_id, secret_access_key and session_token.") :
							 errhint("Check the user mapping options access_key_id, secret_access_key and session_token."),
							 CQ_CONTEXT));
				/* AWS: the signature or the key was refused */
				if (code[0] && aws_auth_code(code))
					ereport(ERROR,
							(errcode(ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION),
							 errmsg("API rejected the credentials (HTTP status %d)", status),
							 reqid[0] ?
							 errdetail("AWS error %s (request id %s): %s.", code, reqid,
									   api[0] ? api : message) :
							 errdetail("AWS error %s: %s.", code, api[0] ? api : message),
							 strncmp(code, "Expired", 7) == 0 ?
							 errhint("The session token has expired: put a fresh session_token (with its access_key_id and secret_access_key) in the user mapping.") :
							 (t && t->table && t->table->aws) ?
							 /* the aws source: its scope comes from the table, not from options */
							 errhint("Check the user mapping options access_key_id, secret_access_key and session_token (the key that signs, or that assumes role_arn with external_id), and the database server's clock.") :
							 errhint("Check the user mapping options access_key_id, secret_access_key and session_token, the server options aws_region and aws_service, and the database server's clock."),
							 CQ_CONTEXT));
				/* a token from a credential provider refused twice */
				if (status == 401 && strncmp(setting, "auth:", 5) == 0)
					ereport(ERROR,
							(errcode(ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION),
							 strcmp(setting + 5, "service_account_key") == 0 ?
							 errmsg("API rejected the service account's access token (HTTP status 401)") :
							 errmsg("API rejected the access token fetched with the user mapping's credentials (HTTP status 401)"),
							 detail[0] ? errdetail("%s.", detail) : 0,
							 strcmp(setting + 5, "service_account_key") == 0 ?
							 errhint("Check the user mapping option service_account_key and the service account's roles.") :
							 errhint("Check the user mapping options %s and the permissions they grant.", setting + 5),
							 CQ_CONTEXT));
				/* the token endpoint refused the credentials themselves */
				if (strncmp(setting, "token:", 6) == 0)
				{
					message[0] = pg_toupper((unsigned char) message[0]);
					ereport(ERROR,
							(errcode(ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION),
							 errmsg("could not get an access token: the token endpoint refused the credentials (HTTP status %d)",
									status),
							 api[0] ?
							 errdetail("%s. The token endpoint said: %s.", message, api) :
							 errdetail("%s.", message),
							 errhint("Check the user mapping options %s.", setting + 6),
							 url[0] ? (errcontext("token request to %s", url)) : 0,
							 (tname ? (errcontext("scan of table %s", tname)) : 0)));
				}
				ereport(ERROR,
						(errcode(http_sqlstate(status)),
						 errmsg("API request failed with HTTP status %d", status),
						 detail[0] ? errdetail("%s.", detail) : 0,
						 (status == 401 || status == 403) ?
						 errhint("Check the credentials in the user mapping and their permissions.") : 0,
						 CQ_CONTEXT));
			}
			break;
		case CQ_ERR_JSON:
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
					 errmsg("invalid JSON in API response"),
					 message[0] ? errdetail("%s.", message) : 0,
					 path[0] ? (errcontext("JSON path %s", path)) : 0,
					 CQ_CONTEXT));
			break;
		case CQ_ERR_VALUE:
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
					 column[0] ?
					 errmsg("invalid value in column \"%s\"", column) :
					 errmsg("invalid value in API response"),
					 api[0] ?
					 errdetail("Value \"%s\": %s.", api, message) :
					 errdetail("%s.", message),
					 errhint("Unset cq_fdw.strict and the table option strict to read invalid values as NULL with a warning."),
					 errcontext("column %s, JSON path %s", column, path),
					 CQ_CONTEXT));
			break;
		case CQ_ERR_LIMIT:
			{
				const char *guc = guc_for_sdk_setting(setting);

				if (strcmp(setting, "max_pages") == 0)
					ereport(ERROR,
							(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
							 errmsg("API scan stopped at the page limit"),
							 errdetail("%s.", message),
							 errhint("Raise cq_fdw.max_pages or the max_pages option of the table or server (0 = no limit), or add a LIMIT to the query."),
							 CQ_CONTEXT));
				if (strcmp(setting, "max_redirects") == 0)
					ereport(ERROR,
							(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
							 errmsg("too many redirects from the API"),
							 errdetail("%s.", message),
							 errhint("A redirect loop usually means base_url or the endpoint is wrong (http instead of https, a missing path prefix) or a login page answers instead of the API."),
							 CQ_CONTEXT));
				if (strcmp(setting, "url_length") == 0)
					ereport(ERROR,
							(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
							 errmsg("API request URL too long"),
							 errdetail("%s.", message),
							 errhint("Values of key columns are sent in the request URL: compare such a column with shorter values."),
							 CQ_CONTEXT));
				if (strcmp(setting, "header_line") == 0)
					ereport(ERROR,
							(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
							 errmsg("API response exceeds a safety limit"),
							 errdetail("%s.", message),
							 errhint("No setting raises this limit: check that base_url points at the API and not at a proxy or web page."),
							 CQ_CONTEXT));
				ereport(ERROR,
						(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
						 errmsg("API response exceeds a safety limit"),
						 message[0] ? errdetail("%s.", message) : 0,
						 guc ?
						 errhint("Raise %s if the response is legitimate.", guc) : 0,
						 CQ_CONTEXT));
			}
			break;
		case CQ_ERR_POLICY:
			/* the SDK names the setting that governs this refusal, if any */
			ereport(ERROR,
					(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
					 errmsg("request refused by the outbound network policy"),
					 message[0] ? errdetail("%s.", message) : 0,
					 strcmp(setting, "cq_fdw.allowed_hosts") == 0 ?
					 errhint("A superuser can allow the host with cq_fdw.allowed_hosts.") :
					 setting[0] ?
					 errhint("Only a superuser can change %s.", setting) : 0,
					 CQ_CONTEXT));
			break;
		case CQ_ERR_CONFIG:
			ereport(ERROR,
					(errcode(ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE),
					 errmsg("invalid API scan configuration"),
					 message[0] ? errdetail("%s.", message) : 0,
					 CQ_CONTEXT));
			break;
		case CQ_ERR_CANCELED:
			ereport(ERROR,
					(errcode(ERRCODE_QUERY_CANCELED),
					 errmsg("API scan was canceled")));
			break;
		case CQ_ERR_NOMEM:
			ereport(ERROR,
					(errcode(ERRCODE_OUT_OF_MEMORY),
					 errmsg("out of memory in the API scan"),
					 message[0] ? errdetail("%s.", message) : 0,
					 errhint("Lower cq_fdw.concurrency or cq_fdw.memory_budget."),
					 CQ_CONTEXT));
			break;
		case CQ_ERR_PLUGIN:
			ereport(ERROR,
					(errcode(ERRCODE_FDW_ERROR),
					 errmsg("could not load source plugin"),
					 message[0] ? errdetail("%s.", message) : 0));
			break;
		case CQ_ERR_NONE:
		case CQ_ERR_INTERNAL:
		default:
			ereport(ERROR,
					(errcode(ERRCODE_INTERNAL_ERROR),
					 errmsg("API scan failed"),
					 message[0] ? errdetail("%s.", message) : 0,
					 CQ_CONTEXT));
			break;
	}
#undef CQ_CONTEXT
	pg_unreachable();
}
