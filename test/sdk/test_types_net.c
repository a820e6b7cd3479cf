/*
 * test_types_net.c -- suite `types_net`: src/sdk/types_net.c, the network
 * family (inet, cidr, macaddr) through cq_value_parse, and its parsers
 * called directly (the binary forms).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cq_sdk.h"
#include "cq_sdk_int.h"
#include "types_int.h"
#include "cqtest.h"
#include "typestest.h"


void		suite_types_net(void);

static void
test_inet(void)
{
	CqValue		v;
	CqError		e;
	char		buf[64];

	OK("inet", "\"192.168.0.1\"", "192.168.0.1");
	OK("inet", "\"0.0.0.0\"", "0.0.0.0");
	OK("inet", "\"255.255.255.255\"", "255.255.255.255");
	OK("inet", "\"10.1.2.3/8\"", "10.1.2.3/8");
	OK("inet", "\"10.1.2.3/32\"", "10.1.2.3");
	OK("inet", "\"10.0.0.0/0\"", "10.0.0.0/0");
	OK("inet", "\"010.001.1.1\"", "10.1.1.1");
	OK("inet", "\"2604:A880:0800:0010:0000:0000:02DD:4001\"", "2604:a880:800:10::2dd:4001");
	OK("inet", "\"2604:a880:4:1d0::142:9000\"", "2604:a880:4:1d0::142:9000");
	OK("inet", "\"::\"", "::");
	OK("inet", "\"::1\"", "::1");
	OK("inet", "\"::ffff:1.2.3.4\"", "::ffff:1.2.3.4");
	OK("inet", "\"FE80::1\"", "fe80::1");
	OK("inet", "\"2001:db8::/32\"", "2001:db8::/32");
	OK("inet", "\"2001:db8::1/64\"", "2001:db8::1/64");
	OK("inet", "\"2001:db8::1/128\"", "2001:db8::1");
	OK("inet", "\"1:2:3:4:5:6:7:8\"", "1:2:3:4:5:6:7:8");
	BAD("inet", "\"256.1.1.1\"");
	BAD("inet", "\"1.2.3\"");
	BAD("inet", "\"1.2.3.4.5\"");
	BAD("inet", "\"1.2.3.4/33\"");
	BAD("inet", "\"1.2.3.4/\"");
	BAD("inet", "\"1.2.3.4/-1\"");
	BAD("inet", "\"1.2.3.4/8x\"");
	BAD("inet", "\"1.2.3.0004\"");
	BAD("inet", "\" 1.2.3.4\"");
	BAD("inet", "\"1.2.3.4 \"");
	BAD("inet", "\"1..3.4\"");
	BAD("inet", "\"fe80::1%eth0\"");
	BAD("inet", "\"2001:db8::1/129\"");
	BAD("inet", "\"2001:db8:::1\"");
	BAD("inet", "\"1:2:3:4:5:6:7:8:9\"");
	BAD("inet", "\"12345::1\"");
	BAD("inet", "\"g::1\"");
	BAD("inet", "\"\"");
	BAD("inet", "\"localhost\"");
	BAD("inet", "3232235521");
	CQ_CHECK(cqt_parse_fmt("inet", "\"10.1.2.3/8\"", buf, sizeof(buf), &v, &e) &&
			 v.u.inet.family == 4 && v.u.inet.bits == 8 && v.u.inet.addr[0] == 10 &&
			 v.u.inet.addr[3] == 3);
	CQ_CHECK(cqt_parse_fmt("inet", "\"::1\"", buf, sizeof(buf), &v, &e) &&
			 v.u.inet.family == 6 && v.u.inet.bits == 128 && v.u.inet.addr[15] == 1);

	OK("cidr", "\"10.0.0.0/8\"", "10.0.0.0/8");
	OK("cidr", "\"10/8\"", "10.0.0.0/8");
	OK("cidr", "\"192.168/16\"", "192.168.0.0/16");
	OK("cidr", "\"1.2.3.4\"", "1.2.3.4/32");
	OK("cidr", "\"0.0.0.0/0\"", "0.0.0.0/0");
	OK("cidr", "\"2001:db8::/32\"", "2001:db8::/32");
	OK("cidr", "\"::1\"", "::1/128");
	BAD("cidr", "\"10.1.0.0/8\"");
	BAD("cidr", "\"10.0.0.0/0\"");
	BAD("cidr", "\"2001:db8::1/32\"");
	BAD("cidr", "\"10.0.0.1/31\"");
	BAD("cidr", "\"10.1\"");
	BAD("cidr", "\"10.0.0.0/33\"");
	CQ_CHECK(!cqt_parse_fmt("cidr", "\"10.1.0.0/8\"", buf, sizeof(buf), &v, &e) &&
			 strstr(e.message, "bits set to right of mask"));
}

static void
test_macaddr(void)
{
	OK("macaddr", "\"08:00:2b:01:02:03\"", "08:00:2b:01:02:03");
	OK("macaddr", "\"08-00-2b-01-02-03\"", "08:00:2b:01:02:03");
	OK("macaddr", "\"08002b:010203\"", "08:00:2b:01:02:03");
	OK("macaddr", "\"08002b-010203\"", "08:00:2b:01:02:03");
	OK("macaddr", "\"0800.2b01.0203\"", "08:00:2b:01:02:03");
	OK("macaddr", "\"0800-2b01-0203\"", "08:00:2b:01:02:03");
	OK("macaddr", "\"08002b010203\"", "08:00:2b:01:02:03");
	OK("macaddr", "\"08:00:2B:01:02:03\"", "08:00:2b:01:02:03");
	OK("macaddr", "\"FF:FF:FF:FF:FF:FF\"", "ff:ff:ff:ff:ff:ff");
	BAD("macaddr", "\"08:00:2b:01:02\"");
	BAD("macaddr", "\"08:00:2b:01:02:03:04\"");
	BAD("macaddr", "\"08:00-2b:01:02:03\"");
	BAD("macaddr", "\"0800.2b01-0203\"");
	BAD("macaddr", "\"08002b01020g\"");
	BAD("macaddr", "\"08002b0102030\"");
	BAD("macaddr", "\"08:002b:01:0203\"");
	BAD("macaddr", "\"08.00.2b.01.02.03\"");
	BAD("macaddr", "\"\"");
	BAD("macaddr", "8");
}

/* The family's parsers, directly: binary forms. */
static void
test_net_direct(void)
{
	json_t	   *v;
	CqValue		out;
	CqError		e;
	static const uint8_t v6[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
	static const uint8_t mac[6] = {0x08, 0x00, 0x2b, 0x01, 0x02, 0x03};

	v = json_string("192.168.1.20/24");
	CQ_CHECK(cqp_types_p_inet(v, CQ_T_INET, &out, &e) && out.u.inet.family == 4 &&
			 out.u.inet.bits == 24 && out.u.inet.addr[0] == 192 && out.u.inet.addr[3] == 20);
	/* the same text is not a cidr: host bits are set */
	memset(&e, 0, sizeof(e));
	CQ_CHECK(!cqp_types_p_inet(v, CQ_T_CIDR, &out, &e) && out.isnull && e.kind == CQ_ERR_VALUE);
	CQ_CHECK(strncmp(e.message, "invalid input for type cidr", 27) == 0);
	json_decref(v);
	v = json_string("10/8");	/* abbreviated: cidr only */
	CQ_CHECK(cqp_types_p_inet(v, CQ_T_CIDR, &out, &e) && out.u.inet.bits == 8 &&
			 out.u.inet.addr[0] == 10 && out.u.inet.addr[1] == 0);
	json_decref(v);
	v = json_string("2001:DB8::1");
	CQ_CHECK(cqp_types_p_inet(v, CQ_T_INET, &out, &e) && out.u.inet.family == 6 &&
			 out.u.inet.bits == 128 && memcmp(out.u.inet.addr, v6, 16) == 0);
	json_decref(v);
	v = json_string("08-00-2B-01-02-03");
	CQ_CHECK(cqp_types_p_macaddr(v, &out, &e) && memcmp(out.u.mac, mac, 6) == 0);
	json_decref(v);
	v = json_integer(8);
	CQ_CHECK(!cqp_types_p_macaddr(v, &out, &e) && out.isnull);
	json_decref(v);
}

void
suite_types_net(void)
{
	cqt_types_begin();
	test_inet();
	test_macaddr();
	test_net_direct();
	cqt_types_end();
}
