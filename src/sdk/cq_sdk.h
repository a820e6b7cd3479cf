/*-------------------------------------------------------------------------
 *
 * cq_sdk.h
 *		  Public API of the cq_fdw source SDK (installed; the plugin ABI).
 *
 * The SDK is plain C11 + libcurl + jansson + pthreads.  It includes no
 * PostgreSQL header and calls no PostgreSQL function, so every function here
 * may run on any thread unless its comment says otherwise.  Memory is
 * malloc-based; every object has one owner and one free function.
 *
 * Errors are values: functions that can fail take a caller-owned CqError
 * (like jansson's json_error_t) and return NULL/false.  Nothing longjmps.
 *
 * Tiers (jansson's convention): `cq_` is this public API, `cqp_` is private
 * across SDK files (cq_sdk_int.h), file-static helpers have no prefix.
 *
 * Copyright (c) 2026, cq_fdw developers
 *
 *-------------------------------------------------------------------------
 */
#ifndef CQ_SDK_H
#define CQ_SDK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Hazard: jansson's json_object() has the same name as PostgreSQL's SQL
 * function json_object(), exported by the postgres executable.  Inside a
 * backend, a call to json_object() from cq_fdw.so or a plugin binds to
 * PostgreSQL's function (the executable comes first in symbol lookup) and
 * crashes.  (jansson's own internal calls are bound directly and are safe.)
 * Use cq_json_object_new() (json_pack("{}")) instead; SDK code that includes
 * this header cannot call json_object() by mistake.
 */
#define cq_json_object_new() json_pack("{}")
#if !defined(CQ_ALLOW_JSON_OBJECT) && !defined(PG_VERSION_NUM)	/* the FDW: see cq_fdw.h */
#pragma GCC poison json_object
#endif

/*
 * Bumped on any incompatible change of a struct or function below.  A
 * compiled plugin records the version it was built against in its
 * descriptor; the loader refuses a mismatch with a clear error.
 */
#define CQ_SDK_ABI_VERSION 2
#define CQ_SDK_VERSION "0.1.0"

/* ------------------------------------------------------------------------
 * Errors
 * ------------------------------------------------------------------------ */
typedef enum CqErrorKind
{
	CQ_ERR_NONE = 0,
	CQ_ERR_CONFIG,				/* bad spec, bad option, bad template */
	CQ_ERR_CONNECT,				/* DNS, connect, TLS */
	CQ_ERR_TIMEOUT,				/* total/low-speed timeout */
	CQ_ERR_HTTP,				/* final non-2xx (after retries) */
	CQ_ERR_RATE_LIMIT,			/* 429 still after retries */
	CQ_ERR_JSON,				/* malformed / truncated body */
	CQ_ERR_LIMIT,				/* a safety limit (size, depth, ...) hit */
	CQ_ERR_VALUE,				/* type validation failed in strict mode */
	CQ_ERR_POLICY,				/* outbound host policy refused the URL */
	CQ_ERR_CANCELED,			/* cq_job_cancel() was called */
	CQ_ERR_NOMEM,
	CQ_ERR_PLUGIN,				/* dlopen / ABI mismatch */
	CQ_ERR_INTERNAL,
	CQ_ERR_TRANSFER				/* connection lost during a response: reset,
								 * closed early (truncated body), nothing
								 * sent back.  Last, so older values keep
								 * their numbers. */
} CqErrorKind;

/*
 * Caller-owned error.  All strings are NUL-terminated and truncated to fit;
 * `url` has credentials redacted (userinfo, and query parameters whose name
 * looks like a secret: token, key, secret, password, signature, sig, auth,
 * access_token, api_key, X-Amz-*).  No field ever contains a token.
 */
typedef struct CqError
{
	CqErrorKind kind;
	int			http_status;	/* 0 if no HTTP response */
	char		message[256];	/* what went wrong, lower case, no newline */
	char		api_message[512];	/* the API's own message (body "message"
									 * etc.), sanitized: no control chars */
	char		url[512];		/* the request, redacted */
	char		column[64];		/* CQ_ERR_VALUE: the column */
	char		path[128];		/* CQ_ERR_VALUE/JSON: JSON pointer */
	char		unit[128];		/* fan-out unit label, e.g. "account=7" */
	char		setting[64];	/* CQ_ERR_LIMIT: the setting to raise */
	/* appended (ABI 1 stays compatible): an AWS-shaped error reply */
	char		api_code[64];	/* the API's error code, e.g.
								 * "SignatureDoesNotMatch", sanitized */
	char		request_id[128];	/* the API's request id, sanitized */
} CqError;

/* Fill an error (printf-style format; args are never API text used as fmt). */
extern void cq_error_set(CqError *err, CqErrorKind kind, const char *fmt,...)
			__attribute__((format(printf, 3, 4)));
extern const char *cq_error_kind_name(CqErrorKind kind);
/* Copy `url` into `out` with secrets redacted (see CqError). */
extern void cq_redact_url(const char *url, char *out, size_t outlen);

/* ------------------------------------------------------------------------
 * Type system
 * ------------------------------------------------------------------------ */
typedef enum CqType
{
	CQ_T_BOOL = 0,
	CQ_T_INT,					/* int64 */
	CQ_T_UINT,					/* uint64 -> numeric */
	CQ_T_FLOAT,					/* double */
	CQ_T_NUMERIC,				/* arbitrary-precision decimal */
	CQ_T_STRING,				/* UTF-8 text */
	CQ_T_BYTES,					/* base64 on input */
	CQ_T_UUID,
	CQ_T_TIMESTAMP,				/* timestamptz */
	CQ_T_DATE,
	CQ_T_INTERVAL,
	CQ_T_JSON,					/* jsonb */
	CQ_T_INET,
	CQ_T_CIDR,
	CQ_T_MACADDR,
	CQ_T__COUNT
} CqType;

/* A column type: a scalar type, or an array of one. */
typedef struct CqColType
{
	CqType		base;
	bool		is_array;
} CqColType;

/* "int", "inet[]", ... <-> CqColType.  Returns false on an unknown name. */
extern bool cq_type_parse(const char *name, CqColType *out);
extern const char *cq_type_name(CqType t);	/* "int", "inet", ... */

/*
 * Binary forms (what CqValue.u holds per type).  Chosen so the FDW builds a
 * Datum without going through a type's text input function:
 *
 *	bool		u.b
 *	int			u.i  (int64; out-of-range input is a value error, no wraparound)
 *	uint		u.u  (uint64)
 *	float		u.f  (double; JSON numbers and numeric strings, "NaN",
 *					  "Infinity", "-Infinity")
 *	numeric		u.s/len: canonical decimal text [-]digits[.digits][e[+-]digits]
 *					  validated; "NaN" allowed.  (PostgreSQL's numeric has no
 *					  stable binary input, so the FDW parses this canonical form.)
 *	string		u.s/len: valid UTF-8, no NUL.  A "\u0000" in a JSON string is
 *					  stripped (documented; text cannot hold NUL).  Not
 *					  NUL-terminated in general: use len.
 *	bytes		u.s/len: decoded bytes (standard or URL-safe base64 input, or
 *					  PostgreSQL's hex form \x...)
 *	uuid		u.uuid[16], network byte order (RFC 9562 field order)
 *	timestamp	u.i: microseconds since 1970-01-01T00:00:00Z (UTC)
 *	date		u.date: days since 1970-01-01
 *	interval	u.iv: months, days, microseconds (ISO 8601 "P1DT2H", or a
 *					  number of seconds)
 *	json		u.json: a jansson value with a reference owned by the batch
 *					  (with CQ_VAL_JSONB: u.s/len, a jsonb image instead)
 *	inet/cidr	u.inet: family 4 or 6, bits (prefix length), addr[16]
 *					  (IPv4 in addr[0..3]), same layout as PostgreSQL's
 *					  inet_struct minus the varlena header
 *	macaddr		u.mac[6]
 *	T[]			u.arr: `len` elements of type T (never nested); an element
 *					  may be null
 */
typedef struct CqInet
{
	uint8_t		family;			/* 4 or 6 */
	uint8_t		bits;
	uint8_t		addr[16];
} CqInet;

typedef struct CqInterval
{
	int32_t		months;
	int32_t		days;
	int64_t		usecs;
} CqInterval;

/*
 * CqValue.flags
 *	CQ_VAL_VARLENA: a string or bytes value whose u.s is preceded by the
 *		4-byte varlena header PostgreSQL's text/bytea of those bytes has
 *		(cq_varlena_header(len + 4), at u.s - 4, 4-byte aligned): the
 *		backend can use u.s - 4 as the Datum without copying the bytes.  Set
 *		by the workers (types_text.c) whenever len + 4 fits a varlena.
 */
#define CQ_VAL_VARLENA		0x01
/*
 *	CQ_VAL_NUMIMG: a numeric value whose PostgreSQL numeric Datum image (a
 *		varlena with a 4-byte header, PostgreSQL 15's layout, see
 *		types_numimg.c) follows its text in the batch arena, at
 *		cq_numeric_image(v): the backend can use it as the Datum of a
 *		numeric column without a typmod.  Set by the workers for every
 *		numeric value numeric_in accepts.
 */
#define CQ_VAL_NUMIMG		0x02
/*
 *	CQ_VAL_JSONB: a json value given as PostgreSQL 15's on-disk jsonb image
 *		instead of a jansson tree: u.s is the image (a varlena with a 4-byte
 *		header, 4-byte aligned, in the batch arena; see types_jsonbimg.c),
 *		len its size, and there is no u.json.  Set by the workers only for
 *		the output columns CqJobParams.out_jsonb asks it for, and for every
 *		value of such a column that has an image (the others keep u.json).
 */
#define CQ_VAL_JSONB		0x04
#define CQ_VARLENA_MAX		0x3FFFFFFFu /* largest varlena, header included */

/* PostgreSQL's 4-byte varlena header (SET_VARSIZE_4B) of `total` bytes */
static inline uint32_t
cq_varlena_header(uint32_t total)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	return total & CQ_VARLENA_MAX;
#else
	return total << 2;
#endif
}

typedef struct CqValue
{
	uint8_t		isnull;
	uint8_t		type;			/* CqType of the scalar */
	uint8_t		is_array;
	uint8_t		flags;			/* CQ_VAL_* */
	uint32_t	len;			/* bytes (string/bytes/numeric), elements
								 * (arrays) */
	union
	{
		bool		b;
		int64_t		i;
		uint64_t	u;
		double		f;
		const char *s;
		uint8_t		uuid[16];
		int32_t		date;
		CqInterval	iv;
		CqInet		inet;
		uint8_t		mac[6];
		json_t	   *json;
		struct CqValue *arr;
	}			u;
} CqValue;

/* The numeric image of a CQ_VAL_NUMIMG value: 4-byte aligned after u.s[len] */
static inline const void *
cq_numeric_image(const CqValue *v)
{
	uintptr_t	p = (uintptr_t) (v->u.s + v->len + 1);

	return (const void *) ((p + 3) & ~(uintptr_t) 3);
}

/* Arena: bump allocator whose memory is freed all at once. */
typedef struct CqArena CqArena;
extern CqArena *cq_arena_new(size_t chunk_size);
extern void *cq_arena_alloc(CqArena *a, size_t size);	/* NULL on OOM */
extern size_t cq_arena_bytes(const CqArena *a);
extern void cq_arena_free(CqArena *a);

/*
 * Parse one JSON value `v` (may be NULL = missing -> null value) as `type`
 * into `out`, allocating any variable-size data in `arena`.  On a value that
 * fails validation returns false, sets out->isnull and fills err (kind
 * CQ_ERR_VALUE, message naming the type, api_message = the offending text,
 * truncated); the caller adds column and path.  json values are increfed.
 */
extern bool cq_value_parse(json_t *v, CqColType type, CqArena *arena,
						   CqValue *out, CqError *err);

/* Format a value as PostgreSQL input text (for the slow path and tests).
 * Writes at most outlen bytes, always NUL-terminated; returns needed length. */
extern size_t cq_value_format(const CqValue *v, char *out, size_t outlen);

/* ------------------------------------------------------------------------
 * JSON pointers with wildcards
 * ------------------------------------------------------------------------ */
/*
 * A compiled pointer: RFC 6901 ("/a/b/0", "~0" "~1" escapes) plus a segment
 * "*" that ranges over every element of an array or every value of an object.
 * "" (empty) is the whole document.
 */
typedef struct CqPath CqPath;
extern CqPath *cq_path_compile(const char *pointer, CqError *err);
extern void cq_path_free(CqPath *p);
extern bool cq_path_has_wildcard(const CqPath *p);
/* Resolve without wildcards: borrowed reference or NULL if missing. */
extern json_t *cq_path_get(const CqPath *p, json_t *root);
/* Resolve with wildcards: calls fn for every match, in document order;
 * stops early if fn returns false.  Returns number of matches visited. */
extern size_t cq_path_each(const CqPath *p, json_t *root,
						   bool (*fn) (json_t *match, void *arg), void *arg);

/* ------------------------------------------------------------------------
 * Source and table definitions (the parsed form of a spec)
 * ------------------------------------------------------------------------ */
typedef enum CqPagination
{
	CQ_PAGE_NONE = 0,
	CQ_PAGE_LINK_HEADER,		/* RFC 8288 Link: <...>; rel="next" */
	CQ_PAGE_NEXT_URL,			/* body pointer `next` holds the next URL */
	CQ_PAGE_NEXT_TOKEN,			/* body pointer `next` holds a token sent as
								 * query parameter `next_param` */
	CQ_PAGE_PAGE_NUMBER,		/* query `next_param`=1,2,3... until empty */
	CQ_PAGE_OFFSET				/* query `next_param`=0,n,2n... until empty */
} CqPagination;

typedef enum CqAuth
{
	CQ_AUTH_NONE = 0,
	CQ_AUTH_BEARER,				/* Authorization: Bearer <token> */
	CQ_AUTH_BASIC,				/* user + password */
	CQ_AUTH_HEADER,				/* custom header name: <token> */
	CQ_AUTH_SIGV4				/* AWS Signature V4 (sigv4.c) */
} CqAuth;

/* Operators a key column accepts (bit set). */
#define CQ_OP_EQ		0x01	/* col = const; col = ANY(array) fans out */
#define CQ_OP_LT		0x02
#define CQ_OP_LE		0x04
#define CQ_OP_GT		0x08
#define CQ_OP_GE		0x10
#define CQ_OP_LIKE		0x20
#define CQ_OP_CONTAINS	0x40		/* @>: jsonb object or array contains */
#define CQ_NOPS			7			/* bit positions of CQ_OP_* */

typedef enum CqParamIn
{
	CQ_IN_PATH = 0,				/* fills {name} in the endpoint template */
	CQ_IN_QUERY,				/* appended as ?param=value */
	CQ_IN_REGION,				/* AWS: the unit's region selects the host
								 * and the SigV4 scope region (table "aws") */
	CQ_IN_ACCOUNT,				/* AWS account: never sent; selects the
								 * credentials ({account_id} in role_arn) */
	CQ_IN_CONTEXT				/* kubeconfig context: never sent; selects
								 * the cluster (server, CA, client
								 * certificate, token) of the unit */
} CqParamIn;

typedef struct CqKeyDef
{
	char	   *column;			/* column name in the table */
	char	   *param;			/* template variable / query parameter name */
	CqParamIn	in;
	int			ops;			/* CQ_OP_* accepted */
	/* per non-EQ operator, the query parameter that carries it (may be NULL) */
	char	   *op_param[CQ_NOPS];	/* indexed by bit position of CQ_OP_* */
	bool		required;		/* the scan cannot run without a value */
	bool		guaranteed;		/* API filters exactly: no local recheck */
	/* fan-out dimension: when no qual gives a value, take the values from
	 * this server option (comma-separated list), e.g. "projects" */
	char	   *server_option;
	/* fan-out dimension: when no qual gives a value, take the values from
	 * a parent listing (see CqParentDef) */
	bool		from_parent;
	/*
	 * per non-EQ operator, the text sent as op_param's value with
	 * "{value}" standing for the value (a spec cursor's "format", e.g.
	 * `creationTimestamp >= "{value}"`); NULL = the value itself
	 */
	char	   *op_format[CQ_NOPS];
	/*
	 * Spec "formats" (op_format from the spec, "=" included): a value that
	 * cannot be put in its format safely (a character outside
	 * [A-Za-z0-9._:/@+-], or for "@>" a member that is not a string) is
	 * not sent at all -- the key is never guaranteed, PostgreSQL rechecks.
	 */
	bool		formatted;
	/* several quals sending the same parameter: their texts joined with
	 * this (k8s selectors ","); NULL = the last one wins */
	char	   *separator;
	/* the only values the API accepts for "=" (GitHub state: open,
	 * closed); another value is not sent (NULL = any value) */
	int			naccept;
	char	  **accept;
} CqKeyDef;

/*
 * Parent -> child: rows of the parent listing provide values for the child's
 * key columns (e.g. github_issues by org: list /orgs/{org}/repos, then
 * /repos/{org}/{repo}/issues for each repository).  The scheduler runs this
 * depth-first: a parent page's children finish before the next parent page.
 */
/*
 * Another operation of an AWS table's service (parent.aws): a parent
 * listing's Action / X-Amz-Target, method and XML lists; every other field
 * (service, protocol, version, target prefix, region) is the table's.
 */
typedef struct CqAwsOpDef
{
	char	   *action;
	char	   *method;			/* rest-json/rest-xml: GET or POST; else POST */
	int			nxml_lists;
	char	  **xml_lists;		/* XML list element names of its reply */
} CqAwsOpDef;

typedef struct CqParentDef
{
	char	   *endpoint;		/* template; may use the child's key params */
	char	   *rows;			/* pointer to the parent row array */
	CqPagination pagination;
	char	   *next;
	char	   *next_param;
	int			nmap;
	char	  **map_param;		/* child template parameter ... */
	char	  **map_path;		/* ... filled from this pointer in the parent row */
	char	   *page_size_param;	/* query parameter for the parent page size */
	int			page_size;		/* 0 = the API's default */
	char	   *more;			/* pagination.more (AWS IsTruncated), or NULL */
	struct CqPath *cmore;
	CqAwsOpDef *aws;			/* AWS table: the parent's operation, or NULL */
} CqParentDef;

typedef struct CqColumnDef
{
	char	   *name;			/* snake_case column name */
	CqColType	type;
	char	   *path;			/* pointer relative to the row ("/a/b"; may
								 * hold "*" segments, like rows) */
	char	   *description;
	/* compiled by the loader */
	CqPath	   *cpath;
	/*
	 * Optional transform of a string value before it is parsed as `type`
	 * (spec key "transform"; for arrays, per element):
	 *	"last_segment"			the part after the last '/' ("zones/us-central1-a"
	 *							or a self-link URL -> "us-central1-a")
	 *	"segment_after:<name>"	the path segment after the segment <name>, any
	 *							case (an ARM id "/subscriptions/s/resourceGroups/
	 *							rg/..." with resourceGroups -> "rg"); NULL when
	 *							the value has no such segment
	 */
	char	   *transform;
	int			transform_kind; /* CQ_XFORM_* (set by the loader) */
	char	   *transform_arg;	/* the <name> of segment_after */
	/* columns of the path's "$column" lookups, in its order (the loader) */
	int			nvar_cols;
	int			var_cols[4];
	/* appended: spec key "from": the column comes from this detail call
	 * of the table (CqTableDef.hydrate), its path relative to the detail
	 * document; hydrate = 1 + its index there (set by the loader), 0 = the
	 * column comes from the listed row */
	char	   *from;
	int			hydrate;
} CqColumnDef;

#define CQ_XFORM_NONE			0
#define CQ_XFORM_LAST_SEGMENT	1
#define CQ_XFORM_SEGMENT_AFTER	2
#define CQ_XFORM_KEY_VALUE_OBJECT 3	/* json: [{"Key":k,"Value":v},...] (or
									 * key/value) -> {"k": "v"} (AWS tags) */

/*
 * Apply col's transform to the string s[0..len): sets *out and *outlen to a
 * substring of s (no copy) and returns true, or returns false when the
 * transform finds nothing (the value is NULL).  A column without a
 * transform gets s unchanged.
 */
extern bool cq_column_transform(const CqColumnDef *col, const char *s,
								size_t len, const char **out, size_t *outlen);

/*
 * A table of an AWS API (spec key "aws", see sources/SPEC.md): how its
 * requests are built and signed, and how its replies are read.
 */
typedef enum CqAwsProtocol
{
	CQ_AWS_EC2 = 0,				/* form POST Action/Version, XML reply */
	CQ_AWS_QUERY,				/* same, reply under <Op>Result */
	CQ_AWS_JSON,				/* POST JSON body, X-Amz-Target */
	CQ_AWS_REST_JSON,			/* method + query string, JSON reply */
	CQ_AWS_REST_XML				/* method + query string, XML reply */
} CqAwsProtocol;

typedef struct CqAwsDef
{
	char	   *service;		/* SigV4 signing name ("ec2") */
	char	   *endpoint_prefix;	/* host: <prefix>.<region>.amazonaws.com */
	CqAwsProtocol protocol;
	char	   *api_version;	/* Version= (ec2/query) */
	char	   *action;			/* Action= (ec2/query), X-Amz-Target suffix
								 * (json); the operation name (rest) */
	char	   *target_prefix;	/* json: X-Amz-Target = prefix "." action */
	char	   *json_version;	/* json: application/x-amz-json-<v> */
	char	   *method;			/* rest-json/rest-xml: "GET" or "POST";
								 * ec2/query/json: "POST" */
	char	   *global_region;	/* global service: its one region (no
								 * region fan-out); NULL = regional */
	int			nxml_lists;
	char	  **xml_lists;		/* XML element names that are lists */
	json_t	   *body;			/* constant members (json) / form fields
								 * (ec2/query); an object, or NULL */
	struct CqAwsDescribeDef *describe;	/* list-then-get, or NULL */
} CqAwsDef;

/*
 * List-then-get (aws.describe): the table's own operation lists
 * identifiers (rows are strings: ECS ARNs, EKS names); each page's
 * identifiers are described `batch` at a time by `action`, and the rows of
 * the table are the described objects at `rows` of its replies.
 */
typedef struct CqAwsDescribeDef
{
	char	   *action;			/* json: X-Amz-Target suffix; rest: informational */
	char	   *param;			/* json: the member holding the identifiers
								 * (an array); rest-json: the {param} of endpoint */
	int			batch;			/* identifiers per call (1..1000) */
	char	   *rows;			/* pointer to the described objects */
	struct CqPath *crows;
	char	   *endpoint;		/* rest-json: template, one identifier per
								 * call (batch 1); json: NULL ("/") */
	char	   *method;			/* rest-json: GET (default) or POST */
	json_t	   *body;			/* json: constant members of every describe
								 * call (ECS include: ["TAGS"]), or NULL */
} CqAwsDescribeDef;

/*
 * A detail call ("hydrate", spec key of a table): one GET per listed row,
 * made only when a column with "from": name is among the job's out_cols.
 * `endpoint` placeholders are column names, filled from the row's values
 * (the unit's value for a key column the row lacks).  A failed detail call
 * skips its row (skip_failed_units) or fails the job; a status listed in
 * null_status (e.g. 404: "no protection") reads as a missing document,
 * so the row's detail columns are NULL.
 */
#define CQ_HYDRATE_MAX_NULL_STATUS 8
typedef struct CqHydrateDef
{
	char	   *name;			/* identifier, unique in the table */
	char	   *endpoint;		/* template relative to base_url, or URL */
	char	   *rows;			/* pointer to the document in the reply */
	CqPath	   *crows;
	int			nnull_status;
	int			null_status[CQ_HYDRATE_MAX_NULL_STATUS];
	int			nparams;		/* placeholders of endpoint, in order */
	char	  **param_names;
	int		   *param_cols;		/* their column indexes */
} CqHydrateDef;

typedef struct CqTableDef
{
	char	   *name;
	char	   *description;
	char	   *endpoint;		/* path (+query) template relative to base_url,
								 * or an absolute URL; {param} placeholders */
	char	   *get_endpoint;	/* optional: used instead of endpoint when all
								 * of its {params} are given (a "get", or a
								 * narrower list such as one namespace) */
	char	   *get_rows;		/* rows pointer for get_endpoint responses
								 * (default: same as rows) */
	/*
	 * Pointer to the rows; "" = the body.  May contain "*" segments: every
	 * match that is an array contributes its elements as rows, a match that
	 * is an object is one row (e.g. GCP aggregated lists use
	 * "/items/ * /instances" without the spaces).  Missing = no rows.
	 */
	char	   *rows;
	CqPagination pagination;
	char	   *next;			/* pointer to next URL/token in body */
	char	   *next_param;		/* query parameter for token/page/offset */
	char	   *page_size_param;	/* query parameter for the page size */
	int			page_size;
	char	   *total;			/* optional pointer to a total row count */
	int			nkeys;
	CqKeyDef   *keys;
	CqParentDef *parent;		/* NULL if none */
	int			ncolumns;
	CqColumnDef *columns;
	int			npk;
	char	  **pk;				/* primary key column names */
	double		row_estimate;	/* rows per unit (list) */
	bool		supports_limit;	/* page_size_param can carry LIMIT */
	char	   *origin;			/* "generated", "curated" or "hand-written" */
	/* compiled by the loader */
	CqPath	   *crows;
	CqPath	   *cnext;
	CqPath	   *cget_rows;
	/*
	 * Incremental syncs (spec key "cursor"): the API returns only rows with
	 * `cursor_column cursor_op value` when sent cursor_param=value (through
	 * the key of cursor_column, which the loader gives cursor_op with
	 * op_param cursor_param and op_format cursor_format).  NULL = the table
	 * has no cursor.
	 */
	char	   *cursor_column;
	int			cursor_op;		/* CQ_OP_GT or CQ_OP_GE */
	char	   *cursor_param;
	char	   *cursor_format;	/* NULL = the value itself */
	/*
	 * "utc_offset" ("-08:00"): a timestamp cursor value is sent as the
	 * same instant at this offset instead of UTC ("Z"), for APIs whose
	 * times carry it and may compare them as text; NULL = as is
	 */
	char	   *cursor_utc_offset;
	int			cursor_offset_min;	/* the offset in minutes */
	/* appended */
	char	   *more;			/* pagination.more: pointer to a "more
								 * results" flag; false/"false" stops */
	CqPath	   *cmore;
	CqAwsDef   *aws;			/* "aws" object, or NULL */
	int			nhydrate;		/* detail calls (spec "hydrate") */
	CqHydrateDef *hydrate;
	/* appended: pagination.remaining, pointer to how many rows remain
	 * after this page (Kubernetes metadata.remainingItemCount): progress
	 * only, never paging */
	char	   *remaining;
	CqPath	   *cremaining;
	/*
	 * appended: the HTTP method of the table's list requests (spec
	 * "method"): NULL = GET, else "POST" (GCP listManagedInstances and
	 * the other Compute lists that are POSTs); `body` is the JSON text
	 * POSTed (spec "body", compact; NULL = an empty body).  Not for tables
	 * with aws (aws.method), never for the parent listing or detail calls.
	 */
	char	   *method;
	char	   *body;
} CqTableDef;

typedef struct CqSource CqSource;

typedef struct CqSourceDef
{
	char	   *name;
	char	   *version;
	char	   *description;
	char	   *kind;			/* "spec", "plugin", "builtin" */
	char	   *base_url;		/* default API root; NULL if the user must set it */
	CqAuth		auth;
	char	   *auth_header;	/* CQ_AUTH_HEADER: header name */
	char	   *sigv4;			/* CQ_AUTH_SIGV4: "aws:amz:region:service" */
	int			nheaders;
	char	  **headers;		/* "Name: value" sent with every request */
	char	   *ratelimit_remaining_header;	/* e.g. x-ratelimit-remaining */
	char	   *ratelimit_reset_header;	/* e.g. x-ratelimit-reset (epoch s) */
	int			ntables;
	CqTableDef *tables;
	/* server options this source accepts in addition to the common ones
	 * (e.g. "projects", "subscriptions", "ca_file", "insecure") */
	int			nserver_options;
	char	  **server_options;
	/* user mapping options (credentials) this source accepts besides token */
	int			nuser_options;
	char	  **user_options;
} CqSourceDef;

/*
 * Parse and validate a spec document (JSON text).  On error returns NULL and
 * err->message names the exact problem with its location, e.g.
 * "tables[3].columns[2].type: unknown type \"inett\" (known: bool, int, ...)".
 * The result is immutable and may be shared by threads.
 */
extern CqSourceDef *cq_spec_parse(const char *json_text, size_t len,
								  CqError *err);
extern CqSourceDef *cq_spec_load_file(const char *path, CqError *err);
/* Parse one table object (the `rest` source builds one from SQL options). */
extern CqTableDef *cq_spec_parse_table(const char *json_text, size_t len,
									   CqError *err);
extern void cq_source_def_free(CqSourceDef *def);
extern void cq_table_def_free(CqTableDef *t);
extern const CqTableDef *cq_source_find_table(const CqSourceDef *def,
											  const char *name);
extern int	cq_table_find_column(const CqTableDef *t, const char *name);
extern const CqKeyDef *cq_table_find_key(const CqTableDef *t, const char *col);

/*
 * Which key columns a scan still lacks, given the columns that will have
 * values (from quals or server options).  A {param} of the endpoint is
 * satisfied by a given column, or (when the table has a parent) by the
 * parent's map, provided every {param} of the parent endpoint is given.
 * Writes up to maxmissing column names (borrowed from the definition) and
 * returns how many are missing (0 = the scan can run).
 */
extern int	cq_table_missing_keys(const CqTableDef *t, int ngiven,
								  const char *const *given,
								  const char **missing, int maxmissing);

/* ------------------------------------------------------------------------
 * Compiled plugins
 * ------------------------------------------------------------------------ */
/*
 * A plugin is a shared object exporting
 *		const CqPluginDescriptor *cq_plugin_describe(void);
 * It is built out of tree against this header (PGXS, see sources/example).
 */
typedef struct CqPluginDescriptor
{
	uint32_t	abi_version;	/* must be CQ_SDK_ABI_VERSION */
	const char *name;
	const char *version;
	const char *description;
	const char *spec_json;		/* the source spec (tables, columns, ...) */

	/*
	 * Optional: rewrite each row before extraction (on a worker thread; must
	 * be thread-safe).  `row` is owned by the SDK; return a new reference to
	 * the row to use (may be `row` itself after json_incref) or NULL to drop
	 * the row.
	 */
	json_t	   *(*transform_row) (const CqTableDef *table, json_t *row);
} CqPluginDescriptor;

#define CQ_PLUGIN_SYMBOL "cq_plugin_describe"

/* dlopen a plugin, check its ABI, parse its spec.  The handle stays open. */
extern CqSourceDef *cq_plugin_load(const char *path,
								   const CqPluginDescriptor **desc_out,
								   CqError *err);

/* ------------------------------------------------------------------------
 * Outbound network policy (SSRF protection)
 * ------------------------------------------------------------------------ */
typedef struct CqNetPolicy
{
	/* comma-separated host patterns ("api.github.com", "*.example.com",
	 * "127.0.0.1", "10.0.0.0/8", "host:443", origins such as
	 * "https://api.github.com"); NULL or "*" = any host */
	const char *allowed_hosts;
	/* comma-separated addresses/prefixes always refused (checked on the
	 * resolved address of every connection, redirects included) */
	const char *denied_addrs;
	/* link-local (169.254.0.0/16, fe80::/10) and metadata endpoints
	 * (169.254.169.254, fd00:ec2::254, 100.100.100.200, ...) are refused
	 * unless this is true */
	bool		allow_link_local;
} CqNetPolicy;

/* true if the host name (or literal) of `url` passes allowed_hosts, and the
 * scheme is http or https.  Sets err (CQ_ERR_POLICY) otherwise. */
extern bool cq_net_url_allowed(const CqNetPolicy *p, const char *url,
							   CqError *err);
/* true if a resolved address may be connected to. */
extern bool cq_net_addr_allowed(const CqNetPolicy *p, const void *sockaddr,
								CqError *err);
/* "scheme://host:port" of an http(s) URL (explicit port, lower case); also
 * an allowed_hosts entry matching exactly that origin.  false if none. */
extern bool cq_net_url_origin(const char *url, char *out, size_t outlen);

/* ------------------------------------------------------------------------
 * Jobs: one scan of one table
 * ------------------------------------------------------------------------ */

/* Values for one key column: a list (col = const -> 1 value; col = ANY ->
 * many, fanned out concurrently), as text. */
typedef struct CqKeyValues
{
	const char *column;
	int			op;				/* CQ_OP_* (EQ for lists) */
	int			nvalues;
	const char *const *values;
} CqKeyValues;

typedef struct CqJobSettings
{
	int			concurrency;	/* transfers in flight (default 64) */
	int			workers;		/* parse threads (default: cores, max 8) */
	size_t		memory_budget;	/* bytes held in responses + batches */
	int			batch_rows;		/* rows per batch (default 1000) */
	long		connect_timeout_ms;
	long		request_timeout_ms;	/* total per request */
	long		low_speed_time_s;	/* abort if < 1 byte/s for this long */
	int			max_retries;
	long		retry_base_ms;
	long		retry_max_ms;
	size_t		max_response_bytes;
	int			max_json_depth;
	size_t		max_string_bytes;
	size_t		max_array_elems;
	size_t		max_header_bytes;
	int			max_redirects;
	bool		strict;			/* a value error fails the job */
	bool		skip_failed_units;	/* else: first error fails the job */
	bool		insecure;		/* skip TLS verification (k8s dev clusters) */
	const char *ca_file;
	const char *user_agent;
	int64_t		max_pages;		/* pages (requests other than retries and
								 * redirects) one job may start, all units
								 * together; reaching it fails the job with
								 * CQ_ERR_LIMIT "max_pages".  0 = no cap. */
	/* appended: requests of the job are paced by this gate (see Rate
	 * gates below; NULL = none).  Borrowed: must outlive the job. */
	struct CqRateGate *rate_gate;
	/* appended: the parse workers run this much nicer than the thread
	 * that starts the job (Linux: setpriority on the thread; 0 = same
	 * priority, at most 19).  The backend's main thread is the consumer
	 * that every row waits for; when it is the busy one, workers filling
	 * the queue up to the budget only take its core.  Default 5. */
	int			worker_nice;
	/* appended: the parse workers allocate each page's jansson document
	 * from a per-thread arena rewound after the page (jarena.c) instead
	 * of one malloc per value.  Default on (cq_fdw.page_arena). */
	bool		page_arena;
} CqJobSettings;

extern void cq_job_settings_default(CqJobSettings *s);

typedef struct CqCredentials
{
	const char *token;			/* bearer / header / basic password */
	const char *user;			/* basic / sigv4 access key id */
	const char *secret;			/* sigv4 secret key */
	/* appended (ABI 1 stays compatible) */
	const char *session_token;	/* sigv4 temporary credentials: sent
								 * (and signed) as X-Amz-Security-Token */
	const char *service_account_key;	/* GCP key file JSON: the job gets
										 * its bearer tokens from it */
	/* SigV4: assume this role with STS AssumeRole using user/secret
	 * (+ session_token); may hold {account_id} (a key "in": "account") */
	const char *role_arn;
	const char *external_id;	/* AssumeRole ExternalId, or NULL */
	const char *sts_url;		/* STS endpoint; NULL: https://sts.amazonaws.com */
	/* Azure app registration (client credentials grant) */
	const char *tenant_id;
	const char *client_id;
	const char *client_secret;
	const char *authority_url;	/* NULL: https://login.microsoftonline.com */
	/* GitHub App: installation tokens from the app's private key */
	const char *app_id;
	const char *private_key;	/* PEM */
	const char *installation_id;	/* NULL: looked up per owner */
	/*
	 * Reuse the token provider made from these credentials across jobs
	 * with the same key (the FDW: the user mapping oid), so a token
	 * outlives a scan.  NULL: one provider per job.
	 */
	const char *cache_key;
	/*
	 * Kubernetes: a kubeconfig file's YAML and the context to use (NULL:
	 * its current-context).  Its server replaces the base URL; its CA,
	 * client certificate and key (kept in memory) and token authenticate
	 * the requests to that server.
	 */
	const char *kubeconfig;
	const char *kube_context;
} CqCredentials;

/* Drop every provider kept across jobs (CqCredentials.cache_key). */
extern void cq_cred_cache_clear(void);

/*
 * The clusters a kubeconfig reaches, for display (EXPLAIN): "NAME=SERVER"
 * per context, ", "-separated, in the file's order -- only `context` when
 * given, else every context when `all`, else the current-context; with
 * `pick` (a qual's npick values) only the contexts it names, as a scan
 * visits them.  *count (if not NULL): how many are listed.  No secret
 * (servers are URLs; the caller redacts them as any URL).  malloc'd ("" if
 * none); NULL and err if the kubeconfig cannot be used.
 */
extern char *cq_kubeconfig_servers(const char *kubeconfig, const char *context,
								   bool all, const char *const *pick, int npick,
								   int *count, CqError *err);

/*
 * Check credentials that fetch tokens (service_account_key, the Azure and
 * GitHub App options) without any request: key JSON and PEM parsed, ids
 * checked, required options present.  true if fine or if there is none;
 * false and err (CQ_ERR_CONFIG, err->setting the option to fix; never a
 * secret) otherwise.
 */
extern bool cq_cred_check(const CqCredentials *cred, CqError *err);

typedef struct CqJobParams
{
	const CqSourceDef *source;	/* may be NULL for a bare table (rest) */
	const CqTableDef *table;
	const CqPluginDescriptor *plugin;	/* NULL unless compiled plugin */
	const char *base_url;		/* overrides source->base_url */
	CqCredentials cred;
	CqNetPolicy policy;
	/* which table columns to produce, in this order: the batch has
	 * ncols = nout values per row; out_cols[i] is an index into
	 * table->columns */
	int			nout;
	const int  *out_cols;
	int			nkeys;
	const CqKeyValues *keys;
	/* values for fan-out dimensions declared with server_option */
	int			nserver_opts;
	const char *const *server_opt_names;
	const char *const *server_opt_values;
	int64_t		limit;			/* -1 = none: stop paging after this many */
	CqJobSettings settings;
	/*
	 * keys[0..nzip-1] are zipped, not multiplied: lists of one length n
	 * whose i-th values go together (a batched join's key tuples, e.g.
	 * owner and repo of each outer row): n units, not n^nzip.  0 = none.
	 */
	int			nzip;
	/*
	 * NULL, or nout flags: out_jsonb[i] true = the consumer turns output
	 * column i (a json column, not an array) into PostgreSQL's jsonb in a
	 * UTF8 database and takes the workers' image (CQ_VAL_JSONB) instead of
	 * the jansson tree.
	 */
	const bool *out_jsonb;
} CqJobParams;

typedef struct CqBatch
{
	int			nrows;
	int			ncols;
	CqValue    *values;			/* nrows * ncols, row-major */
	CqArena    *arena;			/* owns values and their data */
	size_t		bytes;			/* charged to the budget */
	struct CqBatch *next;		/* queue link (internal) */
} CqBatch;

extern void cq_batch_free(CqBatch *b);	/* decrefs json values */

typedef struct CqColumnWarning
{
	uint64_t	count;			/* values that failed validation */
	char		example[128];	/* first offending text, sanitized */
	char		path[128];		/* its JSON pointer in the row */
	char		message[128];	/* why */
} CqColumnWarning;

typedef struct CqJobStats
{
	uint64_t	requests;		/* HTTP requests sent, retries included */
	uint64_t	pages;			/* successful pages */
	uint64_t	rows;
	uint64_t	bytes;			/* response body bytes */
	uint64_t	retries;
	uint64_t	units;			/* fan-out units run */
	uint64_t	units_failed;	/* skipped with skip_failed_units */
	double		api_wait_ms;	/* summed time requests were in flight */
	double		ratelimit_wait_ms;	/* time spent backing off / waiting */
	/*
	 * Max memory held: response body buffers, counted as they grow (in
	 * flight, waiting or parsed: a parsed document is counted as its body
	 * until freed) + batches not yet freed by cq_batch_free.  A transfer
	 * starts only when the bytes committed (held + what transfers in
	 * flight reserved) leave room for one more page, a body grows only
	 * within the budget (else its transfer is paused), and one transfer
	 * at a time may exceed the budget when nothing else can free memory
	 * (see job.c).  So peak_bytes <= budget_bytes + one body (at most
	 * max_response_bytes) + that page's batches, plus batches the consumer
	 * keeps without freeing them.
	 */
	size_t		peak_bytes;
	size_t		budget_bytes;
	uint64_t	loops_stopped;	/* units stopped because the API sent a
								 * next page already read in that unit */
	uint64_t	rows_missing;	/* 2xx pages where the rows pointer matched
								 * nothing (read as no rows) */
	uint64_t	empty_bodies;	/* 2xx responses (not 204) with an empty
								 * body (read as no rows) */
	uint64_t	auth_requests;	/* requests to a token endpoint (retries
								 * included) */
	/* appended */
	uint64_t	in_flight;		/* transfers running now */
	uint64_t	ratelimit_waits;	/* times the rate gate made it wait */
	int64_t		total_rows;		/* rows the API said the listing holds
								 * (sum over units that told), -1 = none */
	int64_t		total_pages;	/* pages known to exist (a last page or
								 * a total), -1 = none */
	uint64_t	detail_requests;	/* detail ("hydrate") requests sent,
									 * retries included (also in requests) */
	uint64_t	details_failed; /* rows skipped for a failed detail call
								 * (also in units_failed) */
	uint64_t	parent_requests;	/* requests of a parent listing (AWS:
									 * the parent operation), retries
									 * included (also in requests) */
	uint64_t	describe_requests;	/* AWS list-then-get describe calls,
									 * retries included (also in requests) */
	uint64_t	batches_freed_by_workers;	/* batches released with
											 * cq_job_release_batch that the
											 * worker which built them freed */
	int32_t		worker_nice;	/* niceness the parse workers run at
								 * above the job's starter, as read back
								 * after setting it (-1: no worker ran) */
	uint64_t	budget_stalls;	/* times the I/O thread, held back by the
								 * memory budget, found room to start a
								 * transfer only when its wait timed out
								 * (memory was freed without waking it) */
	uint64_t	consumer_wakeups;	/* times the consumer (cq_job_next)
									 * woke the I/O thread for memory it
									 * released (curl_multi_wakeup) */
	uint64_t	pages_in_arena; /* pages whose jansson document came from
								 * a worker's page arena (jarena.c) */
	uint64_t	page_arena_peak;	/* the most bytes one such page used */
	uint64_t	io_wakeups;		/* times another thread woke the I/O
								 * thread from its poll (a request queued
								 * while it had a free slot, memory freed
								 * for the budget, the job's end) */
} CqJobStats;

typedef struct CqJob CqJob;

/*
 * The consumer is done with batch b of job: its bytes leave the job's
 * accounting at once, and the parse worker that built it frees it (in its
 * own malloc arena: no lock shared with the consumer).  Use it instead of
 * cq_batch_free while the job exists.  Consumer thread.
 */
extern void cq_job_release_batch(CqJob *job, CqBatch *b);

/*
 * Start a job: validates params, builds units, starts threads (with all
 * signals blocked).  Returns NULL and fills err on a config error.  Nothing
 * is sent before this call.  The job keeps its own deep copy of params:
 * params and everything it points to (base_url, credentials, policy
 * strings, out_cols, key columns and values, server option names and
 * values, settings.ca_file/user_agent) may be freed or changed as soon as
 * cq_job_start returns, except the source, table and plugin definitions,
 * which must outlive the job (cq_job_free).
 */
extern CqJob *cq_job_start(const CqJobParams *params, CqError *err);

/*
 * Access tokens shared between processes (the FDW: PostgreSQL shared
 * memory, so that the backends of one role and mapping make one token
 * request).  Both work on the provider a job of `params` would use (kept
 * across jobs under params->cred.cache_key): credentials that fetch one
 * bearer token (GCP service account, Azure app registration, GitHub App
 * with installation_id) and a SigV4 server's one AWS role (role_arn
 * without {account_id}: the "token" is its temporary key packed as
 * "id\nsecret\nsession token").  Main thread or any thread; no
 * PostgreSQL call.
 *
 * cq_cred_token_get: the token that provider sends now -- its kept one
 * while valid, else (fetch) fetched now on the calling thread -- malloc'd
 * (the caller wipes and frees it), in *valid_ms how long it stays usable
 * (until the provider's refresh margin), in *requests the token requests
 * this call made.  NULL with err->kind CQ_ERR_NONE when the credentials
 * hold no such provider or (!fetch) it holds no usable token; NULL and
 * err when the fetch fails (never a secret).
 *
 * cq_cred_token_seed: give that provider a token fetched elsewhere, usable
 * for valid_ms more; kept unless the provider already holds one usable
 * longer.  A 401 later drops it like any token.
 */
extern char *cq_cred_token_get(const CqJobParams *params, bool fetch,
							   int64_t *valid_ms, int64_t *requests,
							   CqError *err);
extern void cq_cred_token_seed(const CqJobParams *params, const char *token,
							   int64_t valid_ms);
/*
 * cq_cred_token_invalidations: how many tokens that provider has dropped
 * so far because the API refused them (401, ExpiredToken): a caller that
 * shares tokens compares it before and after a job to learn that the
 * token it shared was refused.  0 without such a provider.
 */
extern int64_t cq_cred_token_invalidations(const CqJobParams *params);
/*
 * A GitHub App without installation_id looks its installation up per
 * owner a request names.  When the scan fixes the owner before the job
 * (a key qual owner = 'x', an IN list of one value, a server option of
 * one value), its token can be shared like the others:
 * cq_cred_scan_owner: the owner (lower case) and the request path that
 * names it ("/orgs/acme"); false when the credentials are no such app or
 * the scan does not fix one owner.  cq_cred_owner_token_get /
 * cq_cred_owner_token_seed: as cq_cred_token_get / seed for that owner's
 * provider (fetch: the installation lookup, when not kept yet, and the
 * token request, on the calling thread), with the owner's installation id
 * (digits, not a secret) out of get and into seed, so a seeded provider
 * renews the token itself.  Main thread or any thread; no PostgreSQL call.
 */
extern bool cq_cred_scan_owner(const CqJobParams *params, char *owner, size_t olen,
							   char *path, size_t plen);
extern char *cq_cred_owner_token_get(const CqJobParams *params, const char *path,
									 bool fetch, int64_t *valid_ms, int64_t *requests,
									 char *installation, size_t ilen, CqError *err);
extern void cq_cred_owner_token_seed(const CqJobParams *params, const char *path,
									 const char *installation, const char *token,
									 int64_t valid_ms);

/* File descriptor that becomes readable when a batch, an error or the end
 * is available (eventfd).  Valid until cq_job_free. */
extern int	cq_job_fd(const CqJob *job);

typedef enum CqJobState
{
	CQ_JOB_BATCH,				/* *out is a batch, caller frees it */
	CQ_JOB_PENDING,				/* nothing yet: wait on cq_job_fd() */
	CQ_JOB_DONE,				/* all rows delivered */
	CQ_JOB_FAILED				/* see cq_job_error() */
} CqJobState;

/* Non-blocking: take the next batch.  Clears the fd's readiness when it
 * returns PENDING. */
extern CqJobState cq_job_next(CqJob *job, CqBatch **out);

/* Ask all work to stop (async-signal-unsafe; call from the consumer). */
extern void cq_job_cancel(CqJob *job);
/* Cancel if running, join every thread, free everything. */
extern void cq_job_free(CqJob *job);

extern const CqError *cq_job_error(const CqJob *job);
/* Snapshot of counters (thread-safe copy). */
extern void cq_job_get_stats(const CqJob *job, CqJobStats *out);
/* Per output column value warnings (index = position in out_cols). */
extern const CqColumnWarning *cq_job_column_warnings(const CqJob *job,
													 int *ncols);
/* Units that failed and were skipped (skip_failed_units): label + error. */
extern int	cq_job_failed_units(const CqJob *job, const CqError **errs);

/* ------------------------------------------------------------------------
 * Rate gates: request pacing shared by jobs, threads and processes
 * ------------------------------------------------------------------------ */
/*
 * A token bucket (GCRA: one "theoretical arrival time") with what the API
 * said on top: a Retry-After or an exhausted quota blocks every user of the
 * gate until then, and 429s slow it down.  Plain memory read and written
 * only with lock-free C11 atomics and CLOCK_MONOTONIC times, with no
 * pointer inside: it may live in memory shared by processes (the FDW puts
 * one per (server, credential) in PostgreSQL's shared memory) and be used
 * by any thread.  Zeroed memory (or cq_rate_gate_init) is an open gate.
 */
typedef struct CqRateGate
{
	int64_t		opaque_[8];
} CqRateGate;

typedef struct CqRateGateStats
{
	double		rps;			/* pace now (configured or learned), 0 = none */
	uint64_t	throttled;		/* 429s / exhausted quotas reported */
	uint64_t	waits;			/* requests that had to wait */
	int64_t		blocked_ms;		/* still blocked for this long, 0 = open */
} CqRateGateStats;

extern void cq_rate_gate_init(CqRateGate *g);
/* Pace at rps requests/s with bursts of `burst` (rps <= 0: no pace, only
 * what the API says). */
extern void cq_rate_gate_configure(CqRateGate *g, double rps, int burst);
/* Take one request: 0 = go now; otherwise the microseconds to wait before
 * asking again (nothing taken).  now_us: CLOCK_MONOTONIC microseconds. */
extern int64_t cq_rate_gate_take(CqRateGate *g, int64_t now_us);
/* The API refused a request for its rate (429, quota exhausted): block
 * everyone for wait_us and halve the pace, if any (at most once a second). */
extern void cq_rate_gate_throttled(CqRateGate *g, int64_t now_us,
								   int64_t wait_us);
/* A success with rate-limit headers: `remaining` requests until the quota
 * resets in reset_us (either < 0: not told). */
extern void cq_rate_gate_success(CqRateGate *g, int64_t now_us,
								 int64_t remaining, int64_t reset_us);
extern void cq_rate_gate_stats(CqRateGate *g, int64_t now_us,
							   CqRateGateStats *out);
extern int64_t cq_monotonic_us(void);

/* Library init: call once before any thread exists (curl_global_init,
 * json_object_seed). */
extern void cq_sdk_init(void);

#ifdef __cplusplus
}
#endif

#endif							/* CQ_SDK_H */
