/*-------------------------------------------------------------------------
 *
 * types_net.c
 *		  Value parsers of the network family: inet, cidr, macaddr.
 *
 * The invariants of every parser are in types.c's banner (no malloc or
 * locale-dependent call per value, bounded by the value's length, a failure
 * is SQL NULL plus a CQ_ERR_VALUE naming the type, JSON null is SQL NULL).
 *	- results are binary in the value itself (family, bits, 4 or 16
 *	  address bytes; 6 MAC bytes), never text.
 *
 * Documented leniencies and decisions (see also cq_sdk.h):
 *	- inet: IPv4 dotted quad, each octet decimal 0..255 (leading zeros are
 *	  decimal, as PostgreSQL reads them); IPv6 in any inet_pton form; an
 *	  optional /bits.  Zone ids ("%eth0") are refused.
 *	- cidr: as inet, bits default to 32/128; IPv4 may be abbreviated when
 *	  bits are given ("10/8"); host bits set is an error (strict).
 *
 * Copyright (c) 2026, cq_fdw developers
 *
 *-------------------------------------------------------------------------
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE				/* strtod_l, uselocale, newlocale */
#endif
#include <string.h>

#include <arpa/inet.h>

#include "cq_sdk.h"
#include "cq_sdk_int.h"
#include "types_int.h"

/* ------------------------------------------------------------------------
 * Network addresses
 * ------------------------------------------------------------------------ */

/*
 * IPv4: 1..4 dotted decimal octets (0..255, leading zeros read as decimal).
 * Returns the number of octets parsed, 0 on bad syntax.
 */
static int
parse_ipv4(const char *s, size_t len, uint8_t *addr)
{
	size_t		i = 0;
	int			n = 0;

	memset(addr, 0, 4);
	while (n < 4)
	{
		int			val = 0,
					nd = 0;

		while (i < len && cqp_types_isdig((unsigned char) s[i]))
		{
			if (nd >= 3)
				return 0;
			val = val * 10 + (s[i++] - '0');
			nd++;
		}
		if (nd == 0 || val > 255)
			return 0;
		addr[n++] = (uint8_t) val;
		if (i == len)
			return n;
		if (s[i] != '.')
			return 0;
		i++;
	}
	return 0;
}

bool
cqp_types_p_inet(json_t *v, CqType t, CqValue *out, CqError *err)
{
	const char *s,
			   *slash;
	size_t		len,
				alen;
	int			bits = -1,
				maxbits;
	CqInet	   *in = &out->u.inet;

	if (!json_is_string(v))
		return cqp_types_value_fail(out, err, t, v, NULL);
	s = json_string_value(v);
	len = json_string_length(v);
	if (len == 0 || len > 64 || memchr(s, '%', len) || memchr(s, '\0', len))
		return cqp_types_value_fail(out, err, t, v, NULL);
	slash = memchr(s, '/', len);
	alen = slash ? (size_t) (slash - s) : len;
	if (slash)
	{
		size_t		k = alen + 1;
		int			nd = 0;

		bits = 0;
		while (k < len && cqp_types_isdig((unsigned char) s[k]))
		{
			if (nd >= 3)
				return cqp_types_value_fail(out, err, t, v, NULL);
			bits = bits * 10 + (s[k++] - '0');
			nd++;
		}
		if (nd == 0 || k != len)
			return cqp_types_value_fail(out, err, t, v, NULL);
	}
	memset(in, 0, sizeof(*in));
	if (memchr(s, ':', alen))
	{
		char		buf[65];

		memcpy(buf, s, alen);
		buf[alen] = '\0';
		if (inet_pton(AF_INET6, buf, in->addr) != 1)
			return cqp_types_value_fail(out, err, t, v, NULL);
		in->family = 6;
		maxbits = 128;
	}
	else
	{
		int			n = parse_ipv4(s, alen, in->addr);

		/* abbreviated IPv4 only for cidr with explicit bits ("10/8") */
		if (n == 0 || (n < 4 && (t != CQ_T_CIDR || bits < 0)))
			return cqp_types_value_fail(out, err, t, v, NULL);
		in->family = 4;
		maxbits = 32;
	}
	if (bits > maxbits)
		return cqp_types_value_fail(out, err, t, v, "prefix length out of range");
	in->bits = (uint8_t) (bits < 0 ? maxbits : bits);
	if (t == CQ_T_CIDR)
	{
		int			b;

		for (b = in->bits; b < maxbits; b++)
			if (in->addr[b / 8] & (0x80 >> (b % 8)))
				return cqp_types_value_fail(out, err, t, v,
								  "value has bits set to right of mask");
	}
	return true;
}

bool
cqp_types_p_macaddr(json_t *v, CqValue *out, CqError *err)
{
	const char *s;
	size_t		len,
				i;
	int			n = 0;
	char		sep = 0;

	if (!json_is_string(v))
		return cqp_types_value_fail(out, err, CQ_T_MACADDR, v, NULL);
	s = json_string_value(v);
	len = json_string_length(v);
	/* the separator layout must be one of the known forms */
	if (len == 17)
	{
		sep = s[2];
		if (sep != ':' && sep != '-')
			return cqp_types_value_fail(out, err, CQ_T_MACADDR, v, NULL);
		for (i = 2; i < 17; i += 3)
			if (s[i] != sep)
				return cqp_types_value_fail(out, err, CQ_T_MACADDR, v, NULL);
	}
	else if (len == 13)
	{
		sep = s[6];
		if (sep != ':' && sep != '-')
			return cqp_types_value_fail(out, err, CQ_T_MACADDR, v, NULL);
	}
	else if (len == 14)
	{
		sep = s[4];
		if ((sep != '.' && sep != '-') || s[9] != sep)
			return cqp_types_value_fail(out, err, CQ_T_MACADDR, v, NULL);
	}
	else if (len != 12)
		return cqp_types_value_fail(out, err, CQ_T_MACADDR, v, NULL);

	for (i = 0; i < len; i++)
	{
		int			h,
					l;

		if (s[i] == sep && sep != 0)
			continue;
		if (i + 1 >= len || n >= 6)
			return cqp_types_value_fail(out, err, CQ_T_MACADDR, v, NULL);
		h = cqp_hexval((unsigned char) s[i]);
		l = cqp_hexval((unsigned char) s[i + 1]);
		if (h < 0 || l < 0)
			return cqp_types_value_fail(out, err, CQ_T_MACADDR, v, NULL);
		out->u.mac[n++] = (uint8_t) (h << 4 | l);
		i++;
	}
	if (n != 6)
		return cqp_types_value_fail(out, err, CQ_T_MACADDR, v, NULL);
	return true;
}
