/*
 * test_types_text.c -- suite `types_text`: src/sdk/types_text.c, the text
 * family (string, bytes, uuid) through cq_value_parse, and its parsers
 * called directly (where the bytes go: the caller's arena).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cq_sdk.h"
#include "cq_sdk_int.h"
#include "types_int.h"
#include "cqtest.h"
#include "typestest.h"


void		suite_types_text(void);

static void
test_string(void)
{
	CqValue		v;
	CqError		e;
	char		buf[64];

	OK("string", "\"hello\"", "hello");
	OK("string", "\"h\\u00e9llo \\u2603 \\ud83d\\ude00\"", "h\xc3\xa9llo \xe2\x98\x83 \xf0\x9f\x98\x80");
	OK("string", "\"\"", "");
	OK("string", "\"a\\u0000b\\u0000\"", "ab");
	OK("string", "42", "42");
	OK("string", "-7", "-7");
	OK("string", "1.5", "1.5");
	OK("string", "true", "true");
	OK("string", "false", "false");
	OK("string", "{\"a\":1,\"b\":[1,\"x\"]}", "{\"a\":1,\"b\":[1,\"x\"]}");
	OK("string", "[1, \"x\", null]", "[1,\"x\",null]");
	CQ_CHECK(cqt_parse_fmt("string", "\"a\\u0000b\"", buf, sizeof(buf), &v, &e) && v.len == 2 &&
			 memcmp(v.u.s, "ab", 2) == 0);
	CQ_CHECK(cqt_parse_fmt("string", "\"\\u0000\"", buf, sizeof(buf), &v, &e) && v.len == 0 &&
			 !v.isnull);
	CQ_CHECK(cqt_parse_fmt("string", "\"tab\\there\"", buf, sizeof(buf), &v, &e) && v.len == 8);
}

static void
test_bytes(void)
{
	OK("bytes", "\"aGVsbG8=\"", "\\x68656c6c6f");
	OK("bytes", "\"aGVsbG8\"", "\\x68656c6c6f");
	OK("bytes", "\"aGk=\"", "\\x6869");
	OK("bytes", "\"aGk\"", "\\x6869");
	OK("bytes", "\"aGVs\"", "\\x68656c");
	OK("bytes", "\"\"", "\\x");
	OK("bytes", "\"+/8=\"", "\\xfbff");
	OK("bytes", "\"-_8=\"", "\\xfbff");
	OK("bytes", "\"-_8\"", "\\xfbff");
	OK("bytes", "\"aGVs\\nbG8=\\n\"", "\\x68656c6c6f");
	OK("bytes", "\"AAAA\"", "\\x000000");
	BAD("bytes", "\"a\"");
	BAD("bytes", "\"aGVsb\"");
	BAD("bytes", "\"aGVsbG8==\"");
	BAD("bytes", "\"aGk===\"");
	BAD("bytes", "\"aG=k\"");
	BAD("bytes", "\"aGVsbG8=x\"");
	BAD("bytes", "\"!!!!\"");
	BAD("bytes", "\"aGV*\"");
	BAD("bytes", "12");
	BAD("bytes", "[\"aGk=\"]");
	/* PostgreSQL's hex form (a backslash is not base64) */
	OK("bytes", "\"\\\\x68656c6c6f\"", "\\x68656c6c6f");
	OK("bytes", "\"\\\\x68656C6C6F\"", "\\x68656c6c6f");
	OK("bytes", "\"\\\\x00 ff\\n10\"", "\\x00ff10");
	OK("bytes", "\"\\\\x\"", "\\x");
	BAD("bytes", "\"\\\\x6\"");
	BAD("bytes", "\"\\\\x0g\"");
	BAD("bytes", "\"\\\\x0 0\"");
}

static void
test_uuid(void)
{
	CqValue		v;
	CqError		e;
	char		buf[64];

	OK("uuid", "\"a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11\"", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11");
	OK("uuid", "\"A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11\"", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11");
	OK("uuid", "\"{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11}\"", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11");
	OK("uuid", "\"a0eebc999c0b4ef8bb6d6bb9bd380a11\"", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11");
	OK("uuid", "\"{a0eebc999c0b4ef8bb6d6bb9bd380a11}\"", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11");
	OK("uuid", "\"urn:uuid:a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11\"", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11");
	OK("uuid", "\"URN:UUID:A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11\"", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11");
	OK("uuid", "\"00000000-0000-0000-0000-000000000000\"", "00000000-0000-0000-0000-000000000000");
	OK("uuid", "\"ffffffff-ffff-ffff-ffff-ffffffffffff\"", "ffffffff-ffff-ffff-ffff-ffffffffffff");
	BAD("uuid", "\"a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a1\"");
	BAD("uuid", "\"a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a111\"");
	BAD("uuid", "\"g0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11\"");
	BAD("uuid", "\"a0eebc9-99c0b-4ef8-bb6d-6bb9bd380a11\"");
	BAD("uuid", "\"a0eebc99--9c0b-4ef8-bb6d-6bb9bd380a11\"");
	BAD("uuid", "\"-a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11\"");
	BAD("uuid", "\"a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11-\"");
	BAD("uuid", "\"{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11\"");
	BAD("uuid", "\"a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11}\"");
	BAD("uuid", "\"\"");
	BAD("uuid", "\"{}\"");
	BAD("uuid", "\"urn:uuid:\"");
	BAD("uuid", "12");
	CQ_CHECK(cqt_parse_fmt("uuid", "\"a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11\"", buf, sizeof(buf), &v, &e) &&
			 v.u.uuid[0] == 0xa0 && v.u.uuid[6] == 0x4e && v.u.uuid[15] == 0x11);
}

/* The family's parsers, directly. */
static void
test_text_direct(void)
{
	CqArena    *a = cq_arena_new(0);
	json_t	   *v;
	CqValue		out;
	CqError		e;
	size_t		before = cq_arena_bytes(a);
	static const uint8_t want_uuid[16] = {0xa0, 0xee, 0xbc, 0x99, 0x9c, 0x0b, 0x4e, 0xf8,
	0xbb, 0x6d, 0x6b, 0xb9, 0xbd, 0x38, 0x0a, 0x11};

	/* a string is copied into the arena: the value outlives the JSON */
	v = json_stringn("h\0i!", 4);
	CQ_CHECK(cqp_types_p_string(v, a, &out, &e));
	json_decref(v);
	CQ_CHECK(out.len == 3 && memcmp(out.u.s, "hi!", 4) == 0);	/* NUL stripped */
	CQ_CHECK(cq_arena_bytes(a) > before);
	/* numbers become their JSON text */
	v = json_integer(-12);
	CQ_CHECK(cqp_types_p_string(v, a, &out, &e) && out.len == 3 && memcmp(out.u.s, "-12", 3) == 0);
	json_decref(v);

	/* bytes: base64 and \x hex, decoded into the arena */
	v = json_string("aGk=");
	CQ_CHECK(cqp_types_p_bytes(v, a, &out, &e) && out.len == 2 && memcmp(out.u.s, "hi", 2) == 0);
	json_decref(v);
	v = json_string("\\x6869");
	CQ_CHECK(cqp_types_p_bytes(v, a, &out, &e) && out.len == 2 && memcmp(out.u.s, "hi", 2) == 0);
	json_decref(v);
	v = json_string("a");
	memset(&e, 0, sizeof(e));
	CQ_CHECK(!cqp_types_p_bytes(v, a, &out, &e) && out.isnull && e.kind == CQ_ERR_VALUE);
	json_decref(v);

	/* uuid: 16 bytes in the value itself, RFC 9562 order */
	v = json_string("{A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11}");
	CQ_CHECK(cqp_types_p_uuid(v, &out, &e) && memcmp(out.u.uuid, want_uuid, 16) == 0);
	json_decref(v);
	v = json_string("urn:uuid:a0eebc999c0b4ef8bb6d6bb9bd380a11");
	CQ_CHECK(cqp_types_p_uuid(v, &out, &e) && memcmp(out.u.uuid, want_uuid, 16) == 0);
	json_decref(v);
	v = json_string("a0eebc99-9c0b4ef8-bb6d-6bb9bd380a11-");
	memset(&e, 0, sizeof(e));
	CQ_CHECK(!cqp_types_p_uuid(v, &out, &e) && out.isnull);
	CQ_CHECK_STR(e.message, "invalid input for type uuid");
	json_decref(v);
	cq_arena_free(a);
}

/*
 * The varlena image the workers prepare (CQ_VAL_VARLENA): the 4 bytes
 * before u.s are exactly PostgreSQL's 4-byte header of a text/bytea of len
 * bytes (SET_VARSIZE: little-endian total << 2), 4-byte aligned, the data
 * follows, NUL after it.  sql/types.sql checks the same values scanned into
 * text/bytea columns against PostgreSQL's own (lengths, equality).
 */
static void
image_ok(const char *type, const char *json, const unsigned char *data, size_t len)
{
	CqValue		v;
	CqError		e;
	char		buf[1024];
	unsigned char hdr[4];
	uint32_t	total = (uint32_t) len + 4;

	CQ_CHECKF(cqt_parse_fmt(type, json, buf, sizeof(buf), &v, &e) && !v.isnull,
			  "%s %s parses", type, json);
	if (v.isnull)
		return;
	CQ_CHECKF(v.flags & CQ_VAL_VARLENA, "%s %s: flagged CQ_VAL_VARLENA", type, json);
	CQ_CHECKF(((uintptr_t) v.u.s - 4) % 4 == 0, "%s %s: header aligned", type, json);
	/* what PostgreSQL writes on this (little-endian) machine: total << 2 */
	hdr[0] = (unsigned char) (total << 2);
	hdr[1] = (unsigned char) (total >> 6);
	hdr[2] = (unsigned char) (total >> 14);
	hdr[3] = (unsigned char) (total >> 22);
	CQ_CHECKF(v.len == len && memcmp(v.u.s - 4, hdr, 4) == 0 &&
			  (len == 0 || memcmp(v.u.s, data, len) == 0) && v.u.s[len] == '\0',
			  "%s %s: image of %zu bytes (len %u, header %02x%02x%02x%02x)", type, json, len,
			  v.len, (unsigned char) v.u.s[-4], (unsigned char) v.u.s[-3],
			  (unsigned char) v.u.s[-2], (unsigned char) v.u.s[-1]);
}

static void
test_varlena_image(void)
{
	static char big[70000 + 3];
	static unsigned char bigb[3 * 300];
	char		bigb64[4 * 300 + 3];
	static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

	image_ok("string", "\"hello\"", (const unsigned char *) "hello", 5);
	image_ok("string", "\"\"", (const unsigned char *) "", 0);
	image_ok("string", "\"h\\u00e9\\u2603\"", (const unsigned char *) "h\xc3\xa9\xe2\x98\x83", 6);
	image_ok("string", "\"a\\u0000b\\u0000\"", (const unsigned char *) "ab", 2);	/* NULs stripped */
	image_ok("string", "42", (const unsigned char *) "42", 2);
	image_ok("string", "[1, \"x\"]", (const unsigned char *) "[1,\"x\"]", 7);
	image_ok("bytes", "\"aGVsbG8=\"", (const unsigned char *) "hello", 5);
	image_ok("bytes", "\"\"", (const unsigned char *) "", 0);
	image_ok("bytes", "\"\\\\x00ff10\"", (const unsigned char *) "\x00\xff\x10", 3);
	/* lengths whose header bytes are all in use: 70,000 bytes of text */
	big[0] = '"';
	memset(big + 1, 'x', 70000);
	big[70001] = '"';
	big[70002] = '\0';
	image_ok("string", big, (const unsigned char *) big + 1, 70000);
	/* 900 bytes of bytea through base64 */
	for (int i = 0; i < (int) sizeof(bigb); i++)
		bigb[i] = (unsigned char) (i * 7);
	bigb64[0] = '"';
	for (int i = 0; i < 300; i++)
	{
		uint32_t	w = (uint32_t) bigb[3 * i] << 16 | (uint32_t) bigb[3 * i + 1] << 8 | bigb[3 * i + 2];

		bigb64[1 + 4 * i] = b64[w >> 18];
		bigb64[2 + 4 * i] = b64[(w >> 12) & 63];
		bigb64[3 + 4 * i] = b64[(w >> 6) & 63];
		bigb64[4 + 4 * i] = b64[w & 63];
	}
	bigb64[1 + 4 * 300] = '"';
	bigb64[2 + 4 * 300] = '\0';
	image_ok("bytes", bigb64, bigb, sizeof(bigb));
}

void
suite_types_text(void)
{
	cqt_types_begin();
	test_string();
	test_bytes();
	test_uuid();
	test_text_direct();
	test_varlena_image();
	cqt_types_end();
}
