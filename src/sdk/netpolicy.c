/*-------------------------------------------------------------------------
 *
 * netpolicy.c
 *		  Outbound network policy: which URLs and which resolved addresses
 *		  the SDK may connect to (SSRF protection).
 *
 * An FDW that fetches URLs chosen by database roles is an SSRF tool: on a
 * cloud VM a role that can create a `rest` table could read the instance
 * metadata service (169.254.169.254) and steal the machine's credentials.
 * Two checks stop that (README.md (Security) has the threat model):
 *
 *	cq_net_url_allowed()	before a request and on every redirect hop: the
 *							URL is parsed by libcurl's own URL parser (the
 *							one the transfer will use), so the host we judge
 *							is the host curl connects to.  Scheme must be
 *							http/https, no userinfo, the host must match
 *							allowed_hosts, and a literal IP host goes through
 *							the address check at once.
 *	cq_net_addr_allowed()	from CURLOPT_OPENSOCKETFUNCTION, on the RESOLVED
 *							address of every connection (redirects, DNS
 *							rebinding and happy-eyeballs attempts included).
 *							This is the check that cannot be dodged by a DNS
 *							name; the URL check only gives earlier, clearer
 *							errors and enforces the host allow-list.
 *
 * Invariants:
 *	- Pure functions of (policy, input): no global state, no allocation that
 *	  outlives the call (only a CURLU handle, freed before return), stack
 *	  buffers of fixed size.  Safe on any thread, concurrently.
 *	- Fail closed: anything we cannot parse or classify is refused.  A
 *	  malformed entry in a policy list refuses the request with
 *	  CQ_ERR_CONFIG naming the setting, rather than being skipped.
 *	- Input text (URLs, hosts) is hostile: it is never used as a format
 *	  string, is length-bounded before use, and URLs are redacted
 *	  (cq_redact_url) before they reach an error.
 *	- Order of address checks: never-routable (no override) -> link-local
 *	  and metadata (cq_fdw.allow_link_local) -> denied_addrs.  IPv6 forms
 *	  that embed an IPv4 address (mapped, compatible, NAT64 64:ff9b::/96)
 *	  are checked as the IPv4 address too.
 *
 * Copyright (c) 2026, cq_fdw developers
 *
 * IDENTIFICATION
 *		  src/sdk/netpolicy.c
 *
 *-------------------------------------------------------------------------
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include <curl/curl.h>

#include "cq_sdk.h"
#include "cq_sdk_int.h"

/* Longest URL we are willing to parse (curl's own limit is 8 MB). */
#define MAX_URL_LEN		16384
/* DNS names are at most 253 characters; IPv6 literals far less. */
#define MAX_HOST_LEN	256

#define SET_ALLOWED_HOSTS	"cq_fdw.allowed_hosts"
#define SET_DENIED			"cq_fdw.denied_addresses"
#define SET_LINK_LOCAL		"cq_fdw.allow_link_local"

/* An IP address: family 4 (b[0..3]) or 6 (b[0..15]). */
typedef struct NetAddr
{
	int			family;
	uint8_t		b[16];
} NetAddr;

/* What an address is, for the fixed (non-configurable) rules. */
typedef enum AddrClass
{
	AC_ORDINARY = 0,
	AC_LINK_LOCAL,				/* link-local or a cloud metadata endpoint */
	AC_NEVER					/* unspecified, multicast, broadcast, reserved */
} AddrClass;

/*
 * Cloud metadata endpoints outside the link-local ranges, refused unless
 * allow_link_local (the ones inside 169.254.0.0/16 or fe80::/10 are covered
 * by the range: 169.254.169.254 AWS/GCP/Azure/OpenStack/DigitalOcean/...,
 * 169.254.170.2 ECS task metadata, 169.254.170.23 EKS pod identity,
 * 169.254.0.23 Tencent).  Documented in README.md (Security).
 */
static const char *const metadata_addrs[] =
{
	"100.100.100.200",			/* Alibaba Cloud metadata */
	"192.0.0.192",				/* Oracle Cloud metadata (legacy) */
	"168.63.129.16",			/* Azure WireServer */
	"fd00:ec2::254",			/* AWS instance metadata (IPv6) */
	"fd00:ec2::23",				/* AWS EKS pod identity (IPv6) */
	"fd20:ce::254",				/* Google Cloud metadata (IPv6) */
};

/*
 * Host names that reach a metadata service.  They resolve to a refused
 * address anyway (the connect-time check catches them), except
 * metadata.platformequinix.com which is a public address: listing them here
 * refuses them early, with a clear message.
 */
static const char *const metadata_hosts[] =
{
	"metadata.google.internal",
	"metadata.goog",
	"metadata",
	"instance-data",
	"instance-data.ec2.internal",
	"metadata.tencentyun.com",
	"metadata.platformequinix.com",
	"metadata.packet.net",
};

/* ------------------------------------------------------------------------
 * Errors
 * ------------------------------------------------------------------------ */

/*
 * Fill err (may be NULL) with kind, a formatted message, the setting that
 * governs the refusal ("" if none) and the redacted url (may be NULL).  fmt
 * is always one of our literals; arguments may be hostile text, which is
 * only ever a %s argument.
 */
static void
policy_error(CqError *err, CqErrorKind kind, const char *setting,
			 const char *url, const char *fmt,...)
__attribute__((format(printf, 5, 6)));

static void
policy_error(CqError *err, CqErrorKind kind, const char *setting,
			 const char *url, const char *fmt,...)
{
	char		msg[sizeof(err->message)];
	va_list		ap;

	if (err == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	cq_error_set(err, kind, "%s", msg);
	snprintf(err->setting, sizeof(err->setting), "%s", setting ? setting : "");
	if (url != NULL)
		cq_redact_url(url, err->url, sizeof(err->url));
}

/* ------------------------------------------------------------------------
 * Addresses
 * ------------------------------------------------------------------------ */

/*
 * parse_ip
 *		Strict text -> address: dotted-quad IPv4 or IPv6 (no brackets, no
 *		zone).  s need not be NUL-terminated; len bytes are read.
 */
static bool
parse_ip(const char *s, size_t len, NetAddr *out)
{
	char		buf[64];

	if (len == 0 || len >= sizeof(buf))
		return false;
	memcpy(buf, s, len);
	buf[len] = '\0';
	memset(out, 0, sizeof(*out));
	if (inet_pton(AF_INET, buf, out->b) == 1)
	{
		out->family = 4;
		return true;
	}
	if (inet_pton(AF_INET6, buf, out->b) == 1)
	{
		out->family = 6;
		return true;
	}
	return false;
}

/*
 * parse_prefix
 *		"addr" or "addr/bits", either family; IPv6 may be bracketed as
 *		"[fd00::]", "[fd00::]/8" or "[fd00::/8]".  len bytes of s are read.
 *		Host bits beyond the prefix are ignored (10.1.2.3/8 = 10.0.0.0/8).
 */
static bool
parse_prefix(const char *s, size_t len, NetAddr *net, int *bits)
{
	char		buf[80];
	char	   *slash;
	int			max;

	if (len == 0 || len >= sizeof(buf))
		return false;
	if (s[0] == '[')
	{
		const char *rb = memchr(s, ']', len);
		size_t		inner;

		if (rb == NULL)
			return false;
		inner = (size_t) (rb - s - 1);
		if (rb + 1 != s + len && rb[1] != '/')
			return false;
		/* inner part, then whatever follows the bracket ("/8" or "") */
		memcpy(buf, s + 1, inner);
		memcpy(buf + inner, rb + 1, (size_t) (s + len - rb - 1));
		buf[inner + (size_t) (s + len - rb - 1)] = '\0';
		if (memchr(s + 1, ':', inner) == NULL)
			return false;		/* brackets are for IPv6 only */
	}
	else
	{
		memcpy(buf, s, len);
		buf[len] = '\0';
	}
	slash = strchr(buf, '/');
	if (slash)
		*slash = '\0';
	if (!parse_ip(buf, strlen(buf), net))
		return false;
	max = net->family == 4 ? 32 : 128;
	if (slash == NULL)
	{
		*bits = max;
		return true;
	}
	else
	{
		const char *q = slash + 1;
		int			n = 0;

		if (*q == '\0' || strlen(q) > 3)
			return false;
		for (; *q; q++)
		{
			if (*q < '0' || *q > '9')
				return false;
			n = n * 10 + (*q - '0');
		}
		if (n > max)
			return false;
		*bits = n;
		return true;
	}
}

/* true if a is inside net/bits (same family only). */
static bool
prefix_match(const NetAddr *a, const NetAddr *net, int bits)
{
	int			full = bits / 8;
	int			rest = bits % 8;

	if (a->family != net->family)
		return false;
	if (full > 0 && memcmp(a->b, net->b, full) != 0)
		return false;
	if (rest != 0)
	{
		uint8_t		mask = (uint8_t) (0xFF << (8 - rest));

		if ((a->b[full] & mask) != (net->b[full] & mask))
			return false;
	}
	return true;
}

/*
 * embedded_v4
 *		If an IPv6 address carries an IPv4 address that a connection to it
 *		would reach (or that a gateway would translate it to), store that in
 *		*v4 and return true: IPv4-mapped ::ffff:a.b.c.d (a dual-stack socket
 *		connects to a.b.c.d), IPv4-compatible ::a.b.c.d (deprecated, first
 *		octet nonzero so that :: and ::1 stay themselves), the NAT64
 *		well-known prefix 64:ff9b::/96 and SIIT ::ffff:0:a.b.c.d.
 */
static bool
embedded_v4(const NetAddr *a, NetAddr *v4)
{
	static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	static const uint8_t compat[12] = {0};
	static const uint8_t nat64[12] = {0, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0};
	static const uint8_t siit[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0};

	if (a->family != 6)
		return false;
	if (memcmp(a->b, mapped, 12) == 0 ||
		memcmp(a->b, nat64, 12) == 0 ||
		memcmp(a->b, siit, 12) == 0 ||
		(memcmp(a->b, compat, 12) == 0 && a->b[12] != 0))
	{
		memset(v4, 0, sizeof(*v4));
		v4->family = 4;
		memcpy(v4->b, a->b + 12, 4);
		return true;
	}
	return false;
}

/* ::ffff:a.b.c.d -> a.b.c.d; anything else unchanged (for allow matching). */
static NetAddr
unmap(const NetAddr *a)
{
	static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	NetAddr		r = *a;

	if (a->family == 6 && memcmp(a->b, mapped, 12) == 0)
	{
		memset(&r, 0, sizeof(r));
		r.family = 4;
		memcpy(r.b, a->b + 12, 4);
	}
	return r;
}

/*
 * A prefix inside ::ffff:0:0/96 is the IPv4 prefix it maps
 * (::ffff:10.0.0.0/104 = 10.0.0.0/8), so that it covers both the IPv4
 * address and its mapped form; wider prefixes (::/0) stay IPv6.
 */
static void
unmap_prefix(NetAddr *net, int *bits)
{
	if (net->family == 6 && *bits >= 96)
	{
		NetAddr		un = unmap(net);

		if (un.family == 4)
		{
			*net = un;
			*bits -= 96;
		}
	}
}

static void
addr_format(const NetAddr *a, char *out, size_t outlen)
{
	if (inet_ntop(a->family == 4 ? AF_INET : AF_INET6, a->b, out,
				  (socklen_t) outlen) == NULL)
		snprintf(out, outlen, "(invalid address)");
}

/* Is a one of the fixed ranges?  Sets *why to the reason's text. */
static AddrClass
classify_one(const NetAddr *a, const char **why)
{
	size_t		i;

	if (a->family == 4)
	{
		if (a->b[0] == 0)
		{
			*why = "unspecified addresses (0.0.0.0/8) are never allowed";
			return AC_NEVER;
		}
		if (a->b[0] >= 224 && a->b[0] <= 239)
		{
			*why = "multicast addresses are never allowed";
			return AC_NEVER;
		}
		if (a->b[0] >= 240)
		{
			*why = "broadcast and reserved addresses (240.0.0.0/4) are never allowed";
			return AC_NEVER;
		}
		if (a->b[0] == 169 && a->b[1] == 254)
		{
			*why = "link-local and cloud metadata addresses are not allowed";
			return AC_LINK_LOCAL;
		}
	}
	else
	{
		static const uint8_t zero[16] = {0};

		if (memcmp(a->b, zero, 16) == 0)
		{
			*why = "the unspecified address (::) is never allowed";
			return AC_NEVER;
		}
		if (a->b[0] == 0xff)
		{
			*why = "multicast addresses are never allowed";
			return AC_NEVER;
		}
		if (a->b[0] == 0xfe && (a->b[1] & 0xc0) == 0x80)
		{
			*why = "link-local and cloud metadata addresses are not allowed";
			return AC_LINK_LOCAL;
		}
	}
	for (i = 0; i < sizeof(metadata_addrs) / sizeof(metadata_addrs[0]); i++)
	{
		NetAddr		m;

		if (parse_ip(metadata_addrs[i], strlen(metadata_addrs[i]), &m) &&
			m.family == a->family && memcmp(m.b, a->b, a->family == 4 ? 4 : 16) == 0)
		{
			*why = "link-local and cloud metadata addresses are not allowed";
			return AC_LINK_LOCAL;
		}
	}
	return AC_ORDINARY;
}

/* classify_one on the address and on any IPv4 address it embeds. */
static AddrClass
classify(const NetAddr *a, const char **why)
{
	AddrClass	c = classify_one(a, why);
	NetAddr		v4;

	if (c == AC_NEVER)
		return c;
	if (embedded_v4(a, &v4))
	{
		const char *why4;
		AddrClass	c4 = classify_one(&v4, &why4);

		if (c4 > c)
		{
			*why = why4;
			c = c4;
		}
	}
	return c;
}

/* Trim spaces/tabs around [*s, *e). */
static void
trim(const char **s, const char **e)
{
	while (*s < *e && (**s == ' ' || **s == '\t' || **s == '\n' || **s == '\r'))
		(*s)++;
	while (*e > *s && ((*e)[-1] == ' ' || (*e)[-1] == '\t' ||
					   (*e)[-1] == '\n' || (*e)[-1] == '\r'))
		(*e)--;
}

/*
 * denied_match
 *		Is a (or the IPv4 address it embeds) in the comma-separated list?  Returns 1 on a match, 0 on no
 *		match, -1 on a malformed entry (copied, truncated, into bad).  Every
 *		entry is parsed, so a typo is reported whatever the address.
 */
static int
denied_match(const char *list, const NetAddr *a, char *bad, size_t badlen)
{
	NetAddr		cand[2];
	int			ncand = 0;
	int			matched = 0;
	const char *p = list;

	cand[ncand++] = *a;
	if (embedded_v4(a, &cand[ncand]))
		ncand++;

	while (p != NULL && *p != '\0')
	{
		const char *comma = strchr(p, ',');
		const char *s = p;
		const char *e = comma ? comma : p + strlen(p);

		p = comma ? comma + 1 : NULL;
		trim(&s, &e);
		if (s == e)
			continue;
		{
			NetAddr		net;
			int			bits;
			int			i;

			if (!parse_prefix(s, (size_t) (e - s), &net, &bits))
			{
				snprintf(bad, badlen, "%.*s", (int) (e - s), s);
				return -1;
			}
			unmap_prefix(&net, &bits);
			for (i = 0; i < ncand; i++)
				if (prefix_match(&cand[i], &net, bits))
					matched = 1;
		}
	}
	return matched;
}

/*
 * check_addr
 *		The address rules shared by both entry points.  what is "connection
 *		to" (resolved address) or "URL host" (literal in a URL).
 */
static bool
check_addr(const CqNetPolicy *p, const NetAddr *a, const char *url,
		   CqError *err)
{
	char		text[INET6_ADDRSTRLEN + 1];
	const char *why = NULL;
	AddrClass	c = classify(a, &why);

	addr_format(a, text, sizeof(text));
	if (c == AC_NEVER)
	{
		policy_error(err, CQ_ERR_POLICY, "", url,
					 "connection to %s refused by cq_fdw network policy: %s",
					 text, why);
		return false;
	}
	if (c == AC_LINK_LOCAL && !(p && p->allow_link_local))
	{
		policy_error(err, CQ_ERR_POLICY, SET_LINK_LOCAL, url,
					 "connection to %s refused by cq_fdw network policy: %s",
					 text, why);
		return false;
	}
	if (p && p->denied_addrs)
	{
		char		bad[64];
		int			m = denied_match(p->denied_addrs, a, bad, sizeof(bad));

		if (m < 0)
		{
			policy_error(err, CQ_ERR_CONFIG, SET_DENIED, url,
						 "invalid entry \"%s\" in " SET_DENIED ": expected an IP address or CIDR prefix",
						 bad);
			return false;
		}
		if (m > 0)
		{
			policy_error(err, CQ_ERR_POLICY, SET_DENIED, url,
						 "connection to %s refused by cq_fdw network policy: address is in " SET_DENIED,
						 text);
			return false;
		}
	}
	return true;
}

/*
 * cq_net_addr_allowed
 *		May the SDK connect to this resolved address?
 *
 * sockaddr is a struct sockaddr_in or sockaddr_in6 (e.g. &curl_sockaddr->addr
 * in an CURLOPT_OPENSOCKETFUNCTION); any other family is refused.  p may be
 * NULL (defaults: no denied list, link-local refused).  On refusal fills err
 * (CQ_ERR_POLICY; CQ_ERR_CONFIG for a malformed denied_addrs entry) and
 * returns false.  Allocates nothing; any thread.
 */
bool
cq_net_addr_allowed(const CqNetPolicy *p, const void *sockaddr, CqError *err)
{
	sa_family_t fam;
	NetAddr		a;

	if (sockaddr == NULL)
	{
		policy_error(err, CQ_ERR_POLICY, "", NULL,
					 "connection refused by cq_fdw network policy: no address");
		return false;
	}
	/* the caller's buffer may be unaligned: copy, never cast-and-read */
	memcpy(&fam, (const char *) sockaddr + offsetof(struct sockaddr, sa_family),
		   sizeof(fam));
	memset(&a, 0, sizeof(a));
	if (fam == AF_INET)
	{
		struct sockaddr_in sin;

		memcpy(&sin, sockaddr, sizeof(sin));
		a.family = 4;
		memcpy(a.b, &sin.sin_addr, 4);
	}
	else if (fam == AF_INET6)
	{
		struct sockaddr_in6 sin6;

		memcpy(&sin6, sockaddr, sizeof(sin6));
		a.family = 6;
		memcpy(a.b, &sin6.sin6_addr, 16);
	}
	else
	{
		policy_error(err, CQ_ERR_POLICY, "", NULL,
					 "connection refused by cq_fdw network policy: address family %d is not allowed; only IPv4 and IPv6",
					 (int) fam);
		return false;
	}
	return check_addr(p, &a, NULL, err);
}

/* ------------------------------------------------------------------------
 * Host patterns (allowed_hosts)
 * ------------------------------------------------------------------------ */

/* The host of a URL, normalized for matching. */
typedef struct UrlHost
{
	char		name[MAX_HOST_LEN];	/* lower case, no trailing dot, no
									 * brackets */
	bool		is_ip;
	NetAddr		ip;				/* when is_ip (mapped IPv6 unmapped) */
	long		port;			/* effective port (default 80/443) */
	char		scheme[8];		/* "http" or "https" ("" when unknown) */
} UrlHost;

static void
ascii_lower(char *s)
{
	for (; *s; s++)
		if (*s >= 'A' && *s <= 'Z')
			*s = (char) (*s - 'A' + 'a');
}

/* case-insensitive ASCII compare of n bytes */
static bool
ascii_ieq(const char *a, const char *b, size_t n)
{
	size_t		i;

	for (i = 0; i < n; i++)
	{
		char		x = a[i],
					y = b[i];

		if (x >= 'A' && x <= 'Z')
			x = (char) (x - 'A' + 'a');
		if (y >= 'A' && y <= 'Z')
			y = (char) (y - 'A' + 'a');
		if (x != y)
			return false;
	}
	return true;
}

static bool
valid_hostname_pattern(const char *s, size_t n)
{
	size_t		i;

	if (n == 0 || n >= MAX_HOST_LEN)
		return false;
	for (i = 0; i < n; i++)
	{
		char		c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			  (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_'))
			return false;
	}
	return true;
}

/*
 * pattern_match
 *		Does one allowed_hosts entry [s, e) match h?  1 yes, 0 no, -1
 *		malformed.  Forms: "*", "host", "*.suffix", IPv4/IPv6 literal,
 *		CIDR, each with an optional ":port" (IPv6 then in brackets:
 *		"[::1]:8080", "[fd00::/8]:443"), and each optionally preceded by
 *		"http://" or "https://": an origin, which matches that scheme only
 *		and, without an explicit port, only the scheme's default port
 *		("https://api.github.com" = https on 443).  The FDW allows the
 *		default origin of a source this way (cq_net_url_origin).
 */
static int
pattern_match(const char *s, const char *e, const UrlHost *h)
{
	const char *hs = s;			/* host part */
	const char *he = e;
	long		port = -1;
	long		scheme_port = -1;	/* origin form: the scheme's default */
	bool		scheme_ok = true;
	size_t		ncolon = 0;
	const char *q;

	/* origin form: scheme://host[:port], nothing after the authority */
	for (q = s; q + 3 <= e; q++)
		if (q[0] == ':' && q[1] == '/' && q[2] == '/')
			break;
	if (q + 3 <= e)
	{
		size_t		sl = (size_t) (q - s);

		if (sl == 4 && ascii_ieq(s, "http", 4))
			scheme_port = 80;
		else if (sl == 5 && ascii_ieq(s, "https", 5))
			scheme_port = 443;
		else
			return -1;
		scheme_ok = strlen(h->scheme) == sl && ascii_ieq(h->scheme, s, sl);
		s = q + 3;
		hs = s;
		if (s >= e || memchr(s, '/', (size_t) (e - s)) != NULL ||
			memchr(s, '?', (size_t) (e - s)) != NULL ||
			memchr(s, '#', (size_t) (e - s)) != NULL ||
			memchr(s, '@', (size_t) (e - s)) != NULL)
			return -1;
	}

	for (q = s; q < e; q++)
		if (*q == ':')
			ncolon++;

	if (*s == '[')
	{
		const char *rb = memchr(s, ']', (size_t) (e - s));

		if (rb == NULL)
			return -1;
		hs = s;					/* keep brackets: parse_prefix strips them */
		he = rb + 1;
		if (he < e)
		{
			if (*he != ':')
				return -1;
			q = he + 1;
			goto parse_port;
		}
	}
	else if (ncolon == 1)
	{
		const char *colon = memchr(s, ':', (size_t) (e - s));

		he = colon;
		q = colon + 1;
		goto parse_port;
	}
	/* ncolon >= 2 without brackets: a bare IPv6 address or prefix, no port */
	goto host;

parse_port:
	{
		long		n = 0;

		if (q >= e || e - q > 5)
			return -1;
		for (; q < e; q++)
		{
			if (*q < '0' || *q > '9')
				return -1;
			n = n * 10 + (*q - '0');
		}
		if (n < 1 || n > 65535)
			return -1;
		port = n;
	}

host:
	if (hs == he)
		return -1;
	{
		size_t		n = (size_t) (he - hs);
		bool		host_ok;
		NetAddr		net;
		int			bits;

		if (n == 1 && *hs == '*')
			host_ok = true;
		else if (memchr(hs, '/', n) != NULL || memchr(hs, ':', n) != NULL ||
				 *hs == '[' || parse_ip(hs, n, &net))
		{
			if (!parse_prefix(hs, n, &net, &bits))
				return -1;
			unmap_prefix(&net, &bits);
			host_ok = h->is_ip && prefix_match(&h->ip, &net, bits);
		}
		else if (n >= 3 && hs[0] == '*' && hs[1] == '.')
		{
			const char *suf = hs + 1;	/* ".example.com" */
			size_t		sn = n - 1;
			size_t		hn = strlen(h->name);

			if (suf[sn - 1] == '.')
				sn--;			/* trailing dot in the pattern */
			if (sn < 2 || !valid_hostname_pattern(suf + 1, sn - 1))
				return -1;
			host_ok = !h->is_ip && hn > sn &&
				ascii_ieq(h->name + hn - sn, suf, sn);
		}
		else
		{
			if (hs[n - 1] == '.')
				n--;
			if (!valid_hostname_pattern(hs, n))
				return -1;
			host_ok = !h->is_ip && strlen(h->name) == n &&
				ascii_ieq(h->name, hs, n);
		}
		if (port < 0)
			port = scheme_port;
		if (!host_ok || !scheme_ok)
			return 0;
		return (port < 0 || port == h->port) ? 1 : 0;
	}
}

/*
 * hosts_match
 *		1 if h matches an entry of the comma-separated list, 0 if none,
 *		-1 on a malformed entry (copied into bad).  Every entry is parsed,
 *		so a typo is reported whatever the host.
 */
static int
hosts_match(const char *list, const UrlHost *h, char *bad, size_t badlen)
{
	const char *p = list;
	int			matched = 0;

	while (p != NULL && *p != '\0')
	{
		const char *comma = strchr(p, ',');
		const char *s = p;
		const char *e = comma ? comma : p + strlen(p);
		int			m;

		p = comma ? comma + 1 : NULL;
		trim(&s, &e);
		if (s == e)
			continue;
		m = pattern_match(s, e, h);
		if (m < 0)
		{
			snprintf(bad, badlen, "%.*s", (int) (e - s), s);
			return -1;
		}
		if (m > 0)
			matched = 1;
	}
	return matched;
}

/* Only the characters inet_aton may accept as an IPv4 number. */
static bool
looks_numeric_v4(const char *s)
{
	if (*s == '\0')
		return false;
	for (; *s; s++)
		if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f') ||
			  *s == 'x' || *s == '.'))
			return false;
	return true;
}

/*
 * cq_net_url_allowed
 *		May the SDK send a request to this URL?
 *
 * Parses url with curl_url() (thread-safe, the parser the transfer itself
 * uses) and refuses, filling err (CQ_ERR_POLICY unless noted), when:
 *	- it does not parse, or is longer than MAX_URL_LEN;
 *	- the scheme is not http or https;
 *	- it carries userinfo (user:password@): credentials belong in the user
 *	  mapping, and a URL's userinfo would leak into logs;
 *	- the host is an IP literal (any notation curl or inet_aton accepts:
 *	  2852039166, 0251.0376.0251.0376, 0xA9.0xFE.0xA9.0xFE, 169.254.43518,
 *	  [::ffff:169.254.169.254], ...) that the address rules refuse, or
 *	  carries an IPv6 zone id, or is a well-known metadata host name, while
 *	  allow_link_local is off;
 *	- p->allowed_hosts is not NULL and no entry matches (NULL or "*" = any
 *	  host, "" = none).  A malformed entry is CQ_ERR_CONFIG.
 * Resolution is not done here: the resolved address is judged by
 * cq_net_addr_allowed at connect time.  p may be NULL (= the defaults).
 * Allocates only a CURLU handle, freed before return; any thread.
 */
bool
cq_net_url_allowed(const CqNetPolicy *p, const char *url, CqError *err)
{
	CURLU	   *u = NULL;
	CURLUcode	rc;
	char	   *scheme = NULL;
	char	   *host = NULL;
	char	   *port = NULL;
	char	   *zone = NULL;
	char	   *part = NULL;
	bool		ok = false;
	UrlHost		h;
	size_t		hlen;
	const char *hp;
	size_t		i;

	if (url == NULL || *url == '\0')
	{
		policy_error(err, CQ_ERR_POLICY, "", NULL,
					 "URL refused by cq_fdw network policy: empty URL");
		return false;
	}
	if (strnlen(url, MAX_URL_LEN + 1) > MAX_URL_LEN)
	{
		policy_error(err, CQ_ERR_POLICY, "", NULL,
					 "URL refused by cq_fdw network policy: longer than %d bytes",
					 MAX_URL_LEN);
		return false;
	}

	u = curl_url();
	if (u == NULL)
	{
		policy_error(err, CQ_ERR_NOMEM, "", url, "out of memory parsing a URL");
		return false;
	}
	/* NON_SUPPORT_SCHEME: parse ftp:// etc. so that we name the scheme */
	rc = curl_url_set(u, CURLUPART_URL, url, CURLU_NON_SUPPORT_SCHEME);
	if (rc != CURLUE_OK)
	{
		policy_error(err, CQ_ERR_POLICY, "", url,
					 "invalid URL: %s", curl_url_strerror(rc));
		goto done;
	}

	/* scheme: curl lower-cases it */
	if (curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
		scheme == NULL ||
		(strcmp(scheme, "http") != 0 && strcmp(scheme, "https") != 0))
	{
		policy_error(err, CQ_ERR_POLICY, "", url,
					 "URL scheme \"%.32s\" is not allowed; only http and https",
					 scheme ? scheme : "");
		goto done;
	}

	/* userinfo: any of user, password, login options, even empty ("@h") */
	{
		static const CURLUPart uparts[] = {CURLUPART_USER, CURLUPART_PASSWORD,
		CURLUPART_OPTIONS};

		for (i = 0; i < sizeof(uparts) / sizeof(uparts[0]); i++)
		{
			if (curl_url_get(u, uparts[i], &part, 0) == CURLUE_OK && part != NULL)
			{
				curl_free(part);
				part = NULL;
				policy_error(err, CQ_ERR_POLICY, "", url,
							 "URL with credentials (user:password@) refused by cq_fdw network policy: credentials belong in the user mapping");
				goto done;
			}
		}
	}

	if (curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK ||
		host == NULL || host[0] == '\0')
	{
		policy_error(err, CQ_ERR_POLICY, "", url,
					 "URL refused by cq_fdw network policy: no host");
		goto done;
	}
	if (curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) != CURLUE_OK ||
		port == NULL)
	{
		policy_error(err, CQ_ERR_POLICY, "", url,
					 "URL refused by cq_fdw network policy: no port");
		goto done;
	}

	/* normalize the host */
	memset(&h, 0, sizeof(h));
	h.port = strtol(port, NULL, 10);
	snprintf(h.scheme, sizeof(h.scheme), "%s", scheme);
	hp = host;
	hlen = strlen(host);
	if (hlen >= 2 && hp[0] == '[' && hp[hlen - 1] == ']')
	{
		hp++;
		hlen -= 2;
	}
	if (hlen == 0 || hlen >= sizeof(h.name))
	{
		policy_error(err, CQ_ERR_POLICY, "", url,
					 "URL refused by cq_fdw network policy: host name too long");
		goto done;
	}
	memcpy(h.name, hp, hlen);
	h.name[hlen] = '\0';
	ascii_lower(h.name);
	if (hlen > 1 && h.name[hlen - 1] == '.')
		h.name[--hlen] = '\0';

	if (parse_ip(h.name, hlen, &h.ip))
		h.is_ip = true;
	else if (looks_numeric_v4(h.name))
	{
		/*
		 * curl >= 7.77 already rewrites 0x7f.1 style hosts to dotted quads;
		 * if this curl did not, judge the host the way the resolver
		 * (inet_aton) will read it.
		 */
		struct in_addr in;

		if (inet_aton(h.name, &in) == 1)
		{
			h.is_ip = true;
			h.ip.family = 4;
			memcpy(h.ip.b, &in, 4);
		}
	}

	/* a zone id only makes sense for link-scoped addresses */
	if (curl_url_get(u, CURLUPART_ZONEID, &zone, 0) == CURLUE_OK && zone != NULL &&
		!(p && p->allow_link_local))
	{
		policy_error(err, CQ_ERR_POLICY, SET_LINK_LOCAL, url,
					 "connection to %s refused by cq_fdw network policy: IPv6 zone ids (link-scoped addresses) are not allowed",
					 h.name);
		goto done;
	}

	if (h.is_ip)
	{
		if (!check_addr(p, &h.ip, url, err))
			goto done;
		h.ip = unmap(&h.ip);
	}
	else if (!(p && p->allow_link_local))
	{
		for (i = 0; i < sizeof(metadata_hosts) / sizeof(metadata_hosts[0]); i++)
		{
			if (strcmp(h.name, metadata_hosts[i]) == 0)
			{
				policy_error(err, CQ_ERR_POLICY, SET_LINK_LOCAL, url,
							 "connection to %s refused by cq_fdw network policy: link-local and cloud metadata addresses are not allowed",
							 h.name);
				goto done;
			}
		}
	}

	if (p && p->allowed_hosts)
	{
		char		bad[64];
		int			m;

		for (i = 0; i < hlen; i++)
		{
			if ((unsigned char) h.name[i] >= 0x80)
			{
				policy_error(err, CQ_ERR_POLICY, SET_ALLOWED_HOSTS, url,
							 "host refused by cq_fdw network policy: a non-ASCII host name must be written in its punycode (xn--) form to match " SET_ALLOWED_HOSTS);
				goto done;
			}
		}
		m = hosts_match(p->allowed_hosts, &h, bad, sizeof(bad));
		if (m < 0)
		{
			policy_error(err, CQ_ERR_CONFIG, SET_ALLOWED_HOSTS, url,
						 "invalid entry \"%s\" in " SET_ALLOWED_HOSTS,
						 bad);
			goto done;
		}
		if (m == 0)
		{
			policy_error(err, CQ_ERR_POLICY, SET_ALLOWED_HOSTS, url,
						 "host \"%s\" (port %ld) refused by cq_fdw network policy: not in " SET_ALLOWED_HOSTS,
						 h.name, h.port);
			goto done;
		}
	}
	ok = true;

done:
	curl_free(scheme);
	curl_free(host);
	curl_free(port);
	curl_free(zone);
	curl_url_cleanup(u);
	return ok;
}

/*
 * cqp_net_policy_validate
 *		Check the syntax of allowed_hosts and denied_addrs once (e.g. in
 *		cq_job_start), so a typo is a clear configuration error before any
 *		request.  true if valid; else CQ_ERR_CONFIG naming the setting.
 */
bool
cqp_net_policy_validate(const CqNetPolicy *p, CqError *err)
{
	char		bad[64];
	UrlHost		h;
	NetAddr		a;

	if (p == NULL)
		return true;
	memset(&h, 0, sizeof(h));
	snprintf(h.name, sizeof(h.name), "%s", "x.invalid");
	memset(&a, 0, sizeof(a));
	a.family = 4;
	if (p->allowed_hosts && hosts_match(p->allowed_hosts, &h, bad, sizeof(bad)) < 0)
	{
		policy_error(err, CQ_ERR_CONFIG, SET_ALLOWED_HOSTS, NULL,
					 "invalid entry \"%s\" in " SET_ALLOWED_HOSTS, bad);
		return false;
	}
	if (p->denied_addrs && denied_match(p->denied_addrs, &a, bad, sizeof(bad)) < 0)
	{
		policy_error(err, CQ_ERR_CONFIG, SET_DENIED, NULL,
					 "invalid entry \"%s\" in " SET_DENIED ": expected an IP address or CIDR prefix",
					 bad);
		return false;
	}
	return true;
}

/*
 * cq_net_url_origin
 *		The origin of an http(s) URL as "scheme://host:port": scheme and
 *		host lower case (IPv6 in brackets), the port explicit (80/443 when
 *		the URL has none).  It is also a valid allowed_hosts entry that
 *		matches exactly that origin.  false (out = "") when the URL does not
 *		parse, is not http(s), has no host, or does not fit in outlen.
 *		Allocates only a CURLU handle, freed before return; any thread.
 */
bool
cq_net_url_origin(const char *url, char *out, size_t outlen)
{
	CURLU	   *u;
	char	   *scheme = NULL;
	char	   *host = NULL;
	char	   *port = NULL;
	bool		ok = false;

	if (outlen > 0)
		out[0] = '\0';
	if (url == NULL || strnlen(url, MAX_URL_LEN + 1) > MAX_URL_LEN)
		return false;
	u = curl_url();
	if (u == NULL)
		return false;
	if (curl_url_set(u, CURLUPART_URL, url, CURLU_NON_SUPPORT_SCHEME) == CURLUE_OK &&
		curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK && scheme &&
		(strcmp(scheme, "http") == 0 || strcmp(scheme, "https") == 0) &&
		curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK && host && host[0] &&
		curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) == CURLUE_OK && port)
	{
		int			n;

		n = snprintf(out, outlen, "%s://%s:%s", scheme, host, port);
		if (n > 0 && (size_t) n < outlen)
		{
			ascii_lower(out);
			ok = true;
		}
		else if (outlen > 0)
			out[0] = '\0';
	}
	curl_free(scheme);
	curl_free(host);
	curl_free(port);
	curl_url_cleanup(u);
	return ok;
}

/*
 * cqp_net_curl_defaults
 *		The options every libcurl transfer of the SDK starts with (API
 *		requests in http.c, token requests in cred.c): no signals, no
 *		redirect followed, http and https only, the user agent (default
 *		"cq_fdw/0.1"), and never a proxy -- libcurl would otherwise honour
 *		http_proxy/https_proxy/all_proxy inherited by the backend, and the
 *		connect-time address check (cq_net_addr_allowed, from the
 *		transfer's CURLOPT_OPENSOCKETFUNCTION) would then see the proxy
 *		instead of the target (an SSRF bypass of the outbound policy).
 */
void
cqp_net_curl_defaults(CURL *e, const char *user_agent)
{
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(e, CURLOPT_PROXY, "");
	curl_easy_setopt(e, CURLOPT_NOPROXY, "*");
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_USERAGENT, user_agent ? user_agent : "cq_fdw/0.1");
}
