/*
 * test_netpolicy.c -- suite `netpolicy`: the outbound network policy
 * (cq_net_url_allowed, cq_net_addr_allowed, cqp_net_policy_validate).
 *
 * Pure function tests: nothing here opens a connection or resolves a name,
 * so every refused range can be proven on any machine (no cloud needed).
 * Each check names the case in its failure output.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "cq_sdk.h"
#include "cq_sdk_int.h"
#include "cqtest.h"

void		suite_netpolicy(void);

#define LL_MSG_TAIL "refused by cq_fdw network policy: link-local and cloud metadata addresses are not allowed"

/* Build a sockaddr from text into *ss; false if the text is not an address. */
static bool
mk_sockaddr(const char *text, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (strchr(text, ':') == NULL)
	{
		struct sockaddr_in *sin = (struct sockaddr_in *) ss;

		sin->sin_family = AF_INET;
		sin->sin_port = htons(80);
		return inet_pton(AF_INET, text, &sin->sin_addr) == 1;
	}
	else
	{
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *) ss;

		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(80);
		return inet_pton(AF_INET6, text, &sin6->sin6_addr) == 1;
	}
}

/* cq_net_addr_allowed on a textual address; err filled either way. */
static bool
addr_ok(const CqNetPolicy *p, const char *text, CqError *err)
{
	struct sockaddr_storage ss;

	memset(err, 0, sizeof(*err));
	if (!mk_sockaddr(text, &ss))
	{
		fprintf(stderr, "test bug: bad address %s\n", text);
		return false;
	}
	return cq_net_addr_allowed(p, &ss, err);
}

#define ADDR_ALLOWED(p, a) \
	do { CqError e_; bool r_ = addr_ok((p), (a), &e_); \
		CQ_CHECKF(r_, "address %s should be allowed, got: %s", (a), e_.message); } while (0)

/* refused with this kind and setting */
#define ADDR_REFUSED(p, a, kind_, setting_) \
	do { CqError e_; bool r_ = addr_ok((p), (a), &e_); \
		CQ_CHECKF(!r_ && e_.kind == (kind_) && strcmp(e_.setting, (setting_)) == 0, \
				  "address %s should be refused (kind %d setting \"%s\"), got %s kind %d setting \"%s\": %s", \
				  (a), (int) (kind_), (setting_), r_ ? "allowed" : "refused", \
				  (int) e_.kind, e_.setting, e_.message); } while (0)

static bool
url_ok(const CqNetPolicy *p, const char *url, CqError *err)
{
	memset(err, 0, sizeof(*err));
	return cq_net_url_allowed(p, url, err);
}

#define URL_ALLOWED(p, u) \
	do { CqError e_; bool r_ = url_ok((p), (u), &e_); \
		CQ_CHECKF(r_, "URL %s should be allowed, got: %s", (u), e_.message); } while (0)

#define URL_REFUSED(p, u, kind_, setting_) \
	do { CqError e_; bool r_ = url_ok((p), (u), &e_); \
		CQ_CHECKF(!r_ && e_.kind == (kind_) && strcmp(e_.setting, (setting_)) == 0, \
				  "URL %s should be refused (kind %d setting \"%s\"), got %s kind %d setting \"%s\": %s", \
				  (u), (int) (kind_), (setting_), r_ ? "allowed" : "refused", \
				  (int) e_.kind, e_.setting, e_.message); } while (0)

#define S_LL	"cq_fdw.allow_link_local"
#define S_DEN	"cq_fdw.denied_addresses"
#define S_AH	"cq_fdw.allowed_hosts"

/* ------------------------------------------------------------------------ */

static void
test_addr_link_local(void)
{
	CqNetPolicy def = {NULL, NULL, false};
	CqNetPolicy ll = {NULL, NULL, true};
	CqError		e;
	static const char *const metadata[] = {
		"169.254.169.254", "169.254.170.2", "169.254.170.23", "169.254.0.23",
		"100.100.100.200", "192.0.0.192", "168.63.129.16",
		"fd00:ec2::254", "fd00:ec2::23", "fd20:ce::254",
	};
	static const char *const linklocal[] = {
		/* IPv4 169.254.0.0/16, boundaries included */
		"169.254.0.0", "169.254.0.1", "169.254.255.255", "169.254.128.7",
		/* IPv6 fe80::/10, boundaries included */
		"fe80::", "fe80::1", "FE80::a9fe:a9fe",
		"febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "fea0::1",
		/* IPv4 forms embedded in IPv6 */
		"::ffff:169.254.169.254", "::ffff:a9fe:a9fe", "::169.254.169.254",
		"64:ff9b::a9fe:a9fe", "64:ff9b::169.254.170.2", "::ffff:0:a9fe:a9fe",
		"::ffff:100.100.100.200", "64:ff9b::100.100.100.200",
		"::ffff:168.63.129.16",
	};
	static const char *const ordinary[] = {
		"169.253.255.255", "169.255.0.0", "169.255.255.255", "168.254.169.254",
		"100.100.100.199", "100.100.100.201", "192.0.0.191", "192.0.0.193",
		"168.63.129.17", "8.8.8.8", "1.1.1.1", "10.0.0.1", "192.168.1.1",
		"127.0.0.1", "127.255.255.254", "::1", "::ffff:127.0.0.1",
		"fe7f:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "fec0::1", "fc00::1",
		"fd00:ec2::253", "fd00:ec2::255", "fd20:ce::253", "2001:db8::1",
		"2606:4700::1111", "64:ff9b::808:808", "::ffff:8.8.8.8",
		"2002:a9fe:a9fe::1",	/* 6to4: the v4 part is a relay, not a target */
	};
	size_t		i;

	for (i = 0; i < sizeof(metadata) / sizeof(metadata[0]); i++)
	{
		ADDR_REFUSED(&def, metadata[i], CQ_ERR_POLICY, S_LL);
		ADDR_REFUSED(NULL, metadata[i], CQ_ERR_POLICY, S_LL);
		ADDR_ALLOWED(&ll, metadata[i]);
	}
	for (i = 0; i < sizeof(linklocal) / sizeof(linklocal[0]); i++)
	{
		ADDR_REFUSED(&def, linklocal[i], CQ_ERR_POLICY, S_LL);
		ADDR_ALLOWED(&ll, linklocal[i]);
	}
	for (i = 0; i < sizeof(ordinary) / sizeof(ordinary[0]); i++)
	{
		ADDR_ALLOWED(&def, ordinary[i]);
		ADDR_ALLOWED(NULL, ordinary[i]);
	}

	/* the exact message a user sees */
	CQ_CHECK(!addr_ok(&def, "169.254.169.254", &e));
	CQ_CHECK_STR(e.message, "connection to 169.254.169.254 " LL_MSG_TAIL);
	CQ_CHECK_STR(e.setting, S_LL);
	CQ_CHECK(!addr_ok(&def, "::ffff:169.254.169.254", &e));
	CQ_CHECK_STR(e.message, "connection to ::ffff:169.254.169.254 " LL_MSG_TAIL);
	CQ_CHECK(!addr_ok(&def, "fd00:ec2::254", &e));
	CQ_CHECK_STR(e.message, "connection to fd00:ec2::254 " LL_MSG_TAIL);
}

static void
test_addr_never(void)
{
	CqNetPolicy def = {NULL, NULL, false};
	CqNetPolicy ll = {NULL, NULL, true};
	static const char *const never[] = {
		"0.0.0.0", "0.0.0.1", "0.255.255.255", "255.255.255.255",
		"224.0.0.1", "239.255.255.255", "240.0.0.1", "::", "ff02::1",
		"ff05::1:3", "::ffff:0.0.0.0", "::ffff:255.255.255.255",
		"::ffff:224.0.0.251", "64:ff9b::0.0.0.0",
	};
	size_t		i;
	CqError		e;

	for (i = 0; i < sizeof(never) / sizeof(never[0]); i++)
	{
		/* no setting can allow these */
		ADDR_REFUSED(&def, never[i], CQ_ERR_POLICY, "");
		ADDR_REFUSED(&ll, never[i], CQ_ERR_POLICY, "");
	}
	/* boundaries next to the never ranges */
	ADDR_ALLOWED(&def, "1.0.0.0");
	ADDR_ALLOWED(&def, "223.255.255.255");
	CQ_CHECK(!addr_ok(&def, "0.0.0.0", &e));
	CQ_CHECK(strstr(e.message, "connection to 0.0.0.0 refused by cq_fdw network policy") == e.message);
}

static void
test_addr_denied(void)
{
	CqNetPolicy lo = {NULL, "127.0.0.0/8, ::1", false};
	CqNetPolicy priv = {NULL, " 10.0.0.0/8,172.16.0.0/12 ,192.168.0.0/16,fc00::/7,, ", false};
	CqNetPolicy one = {NULL, "192.168.1.5", false};
	CqNetPolicy br = {NULL, "[2001:db8::]/32,[2001:db9::/32],[::2]", false};
	CqNetPolicy mapped = {NULL, "::ffff:10.0.0.0/104", false};
	CqNetPolicy all4 = {NULL, "0.0.0.0/0", false};
	CqNetPolicy all6 = {NULL, "::/0", false};
	CqNetPolicy host = {NULL, "10.1.2.3/8", false};	/* host bits masked */
	CqNetPolicy ll_den = {NULL, "169.254.169.254", true};
	CqError		e;

	ADDR_REFUSED(&lo, "127.0.0.1", CQ_ERR_POLICY, S_DEN);
	ADDR_REFUSED(&lo, "127.255.255.255", CQ_ERR_POLICY, S_DEN);
	ADDR_REFUSED(&lo, "::1", CQ_ERR_POLICY, S_DEN);
	ADDR_REFUSED(&lo, "::ffff:127.0.0.1", CQ_ERR_POLICY, S_DEN);
	ADDR_REFUSED(&lo, "64:ff9b::127.0.0.1", CQ_ERR_POLICY, S_DEN);
	ADDR_ALLOWED(&lo, "128.0.0.1");
	ADDR_ALLOWED(&lo, "126.255.255.255");
	ADDR_ALLOWED(&lo, "::2");
	CQ_CHECK(!addr_ok(&lo, "127.0.0.1", &e));
	CQ_CHECK_STR(e.message, "connection to 127.0.0.1 refused by cq_fdw network policy: address is in cq_fdw.denied_addresses");

	ADDR_REFUSED(&priv, "10.1.2.3", CQ_ERR_POLICY, S_DEN);
	ADDR_REFUSED(&priv, "172.31.255.255", CQ_ERR_POLICY, S_DEN);
	ADDR_REFUSED(&priv, "192.168.0.1", CQ_ERR_POLICY, S_DEN);
	ADDR_REFUSED(&priv, "fd12:3456::1", CQ_ERR_POLICY, S_DEN);
	ADDR_REFUSED(&priv, "fc00::", CQ_ERR_POLICY, S_DEN);
	ADDR_ALLOWED(&priv, "9.255.255.255");
	ADDR_ALLOWED(&priv, "11.0.0.0");
	ADDR_ALLOWED(&priv, "172.15.255.255");
	ADDR_ALLOWED(&priv, "172.32.0.0");
	ADDR_ALLOWED(&priv, "fe00::1");
	ADDR_ALLOWED(&priv, "fbff:ffff::1");

	ADDR_REFUSED(&one, "192.168.1.5", CQ_ERR_POLICY, S_DEN);
	ADDR_ALLOWED(&one, "192.168.1.6");
	ADDR_ALLOWED(&one, "192.168.1.4");

	ADDR_REFUSED(&br, "2001:db8:ffff::1", CQ_ERR_POLICY, S_DEN);
	ADDR_REFUSED(&br, "2001:db9::1", CQ_ERR_POLICY, S_DEN);
	ADDR_REFUSED(&br, "::2", CQ_ERR_POLICY, S_DEN);
	ADDR_ALLOWED(&br, "2001:dba::1");

	/* a v6-mapped prefix also covers the plain IPv4 address */
	ADDR_REFUSED(&mapped, "10.9.9.9", CQ_ERR_POLICY, S_DEN);
	ADDR_REFUSED(&mapped, "::ffff:10.9.9.9", CQ_ERR_POLICY, S_DEN);
	ADDR_ALLOWED(&mapped, "11.9.9.9");

	ADDR_REFUSED(&all4, "8.8.8.8", CQ_ERR_POLICY, S_DEN);
	ADDR_REFUSED(&all4, "::ffff:8.8.8.8", CQ_ERR_POLICY, S_DEN);
	ADDR_ALLOWED(&all4, "2001:db8::1");
	ADDR_REFUSED(&all6, "2001:db8::1", CQ_ERR_POLICY, S_DEN);
	ADDR_REFUSED(&all6, "::1", CQ_ERR_POLICY, S_DEN);
	ADDR_ALLOWED(&all6, "8.8.8.8");

	ADDR_REFUSED(&host, "10.200.0.1", CQ_ERR_POLICY, S_DEN);
	ADDR_ALLOWED(&host, "11.1.2.3");

	/* allow_link_local does not override an explicit denial */
	ADDR_REFUSED(&ll_den, "169.254.169.254", CQ_ERR_POLICY, S_DEN);
	ADDR_ALLOWED(&ll_den, "169.254.169.253");
}

static void
test_addr_denied_malformed(void)
{
	static const char *const bad[] = {
		"10.0.0.0/33", "banana", "10.0.0.0/", "1.2.3.4/8x", "[1.2.3.4]",
		"::/129", "1.2.3", "10.0.0.0/-1", "10.0.0.0/0008", "[::1", "127.0.0.1:80",
		"10.0.0.0/8, oops", "localhost",
	};
	size_t		i;
	CqError		e;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
	{
		CqNetPolicy p = {NULL, bad[i], false};

		/* fail closed: an unusable deny list refuses everything */
		ADDR_REFUSED(&p, "8.8.8.8", CQ_ERR_CONFIG, S_DEN);
		CQ_CHECKF(!cqp_net_policy_validate(&p, &e) && e.kind == CQ_ERR_CONFIG &&
				  strcmp(e.setting, S_DEN) == 0,
				  "validate should reject denied_addrs \"%s\"", bad[i]);
	}
	{
		CqNetPolicy p = {NULL, "10.0.0.0/8, oops", false};

		CQ_CHECK(!addr_ok(&p, "10.0.0.1", &e));
		CQ_CHECK_STR(e.message, "invalid entry \"oops\" in cq_fdw.denied_addresses: expected an IP address or CIDR prefix");
	}
}

static void
test_addr_odd_input(void)
{
	CqError		e;
	struct sockaddr_un sun;
	struct sockaddr_storage ss;
	char		unaligned[sizeof(struct sockaddr_in6) + 8];

	memset(&e, 0, sizeof(e));
	CQ_CHECK(!cq_net_addr_allowed(NULL, NULL, &e));
	CQ_CHECK(e.kind == CQ_ERR_POLICY);

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	strcpy(sun.sun_path, "/tmp/x");
	CQ_CHECK(!cq_net_addr_allowed(NULL, &sun, &e));
	CQ_CHECK(e.kind == CQ_ERR_POLICY);

	/* NULL err must not crash */
	mk_sockaddr("169.254.169.254", &ss);
	CQ_CHECK(!cq_net_addr_allowed(NULL, &ss, NULL));
	mk_sockaddr("8.8.8.8", &ss);
	CQ_CHECK(cq_net_addr_allowed(NULL, &ss, NULL));

	/* an unaligned caller buffer (curl's struct curl_sockaddr member) */
	mk_sockaddr("fe80::1", &ss);
	memcpy(unaligned + 1, &ss, sizeof(struct sockaddr_in6));
	CQ_CHECK(!cq_net_addr_allowed(NULL, unaligned + 1, &e));
	CQ_CHECK_STR(e.setting, S_LL);
	mk_sockaddr("2001:db8::1", &ss);
	memcpy(unaligned + 1, &ss, sizeof(struct sockaddr_in6));
	CQ_CHECK(cq_net_addr_allowed(NULL, unaligned + 1, &e));
}

/* ------------------------------------------------------------------------ */

static void
test_url_schemes(void)
{
	static const char *const refused[] = {
		"file:///etc/passwd", "file://localhost/etc/passwd", "ftp://example.com/x",
		"gopher://example.com:70/_x", "dict://example.com:11211/stat",
		"ldap://example.com/dc=x", "ldaps://example.com/", "javascript:alert(1)",
		"data:text/plain,hello", "ws://example.com/", "wss://example.com/",
		"telnet://example.com/", "smb://example.com/share", "scp://example.com/x",
		"sftp://example.com/x", "tftp://example.com/x", "imap://example.com/",
		"rtsp://example.com/", "mqtt://example.com/", "jar:http://x/!/",
		"//example.com/x", "example.com/x", "/relative/path", "?q=1",
		"http:", "http://", "https://", "http:///", " http://example.com/",
		"http://example.com/ ", "http://exa mple.com/", "http://example.com:99999/",
		"http://example.com:-1/", "http://x%00y/", "http://[::1/", "http://[fe80::1%/",
		"",
	};
	size_t		i;
	CqError		e;

	for (i = 0; i < sizeof(refused) / sizeof(refused[0]); i++)
		URL_REFUSED(NULL, refused[i], CQ_ERR_POLICY, "");

	CQ_CHECK(!url_ok(NULL, "ftp://example.com/x", &e));
	CQ_CHECK_STR(e.message, "URL scheme \"ftp\" is not allowed; only http and https");
	CQ_CHECK(!url_ok(NULL, "GOPHER://example.com/x", &e));
	CQ_CHECK_STR(e.message, "URL scheme \"gopher\" is not allowed; only http and https");
	CQ_CHECK(!url_ok(NULL, NULL, &e));
	CQ_CHECK(e.kind == CQ_ERR_POLICY);

	URL_ALLOWED(NULL, "http://example.com/");
	URL_ALLOWED(NULL, "https://api.github.com/repos/x/y/issues?per_page=100&page=2");
	URL_ALLOWED(NULL, "HTTPS://Example.COM./x");
	URL_ALLOWED(NULL, "HtTp://example.com:8080/x#frag");
	URL_ALLOWED(NULL, "http://127.0.0.1:18080/gen/link/x");
	URL_ALLOWED(NULL, "http://[::1]:18080/");
	URL_ALLOWED(NULL, "http://localhost/");

	/* a huge URL is refused before any parsing */
	{
		size_t		n = 20000;
		char	   *big = malloc(n + 1);

		memcpy(big, "http://example.com/", 19);
		memset(big + 19, 'a', n - 19);
		big[n] = '\0';
		URL_REFUSED(NULL, big, CQ_ERR_POLICY, "");
		free(big);
	}
}

static void
test_url_literal_ips(void)
{
	CqNetPolicy def = {NULL, NULL, false};
	CqNetPolicy ll = {NULL, NULL, true};
	CqNetPolicy den = {NULL, "10.0.0.0/8", false};
	static const char *const metadata_urls[] = {
		"http://169.254.169.254/latest/meta-data/iam/security-credentials/",
		"http://169.254.169.254:80/", "https://169.254.169.254:8443/x",
		/* odd IPv4 notations: decimal, octal, hex, short forms, mixes */
		"http://2852039166/", "http://0251.0376.0251.0376/",
		"http://0xA9.0xFE.0xA9.0xFE/", "http://0xa9.0xfe.0xa9.0xfe/",
		"http://169.254.43518/", "http://169.16689662/", "http://0xa9fea9fe/",
		"http://0251.254.169.254/", "http://169.0xfe.169.254/",
		"http://00000251.0376.0251.0376/", "http://0x00a9.254.169.254/",
		"http://%31%36%39.254.169.254/", "http://169.254.169.254./",
		"http://169.254.170.2/v2/credentials/x",
		/* IPv6 forms */
		"http://[::ffff:169.254.169.254]/", "http://[::ffff:a9fe:a9fe]/",
		"http://[0:0:0:0:0:ffff:a9fe:a9fe]/", "http://[::169.254.169.254]/",
		"http://[64:ff9b::169.254.169.254]/", "http://[64:ff9b::a9fe:a9fe]:80/",
		"http://[fe80::1]/", "http://[FE80::A9FE:A9FE]/", "http://[fe80::1]:8080/",
		"http://[fd00:ec2::254]/latest/meta-data/", "http://[FD00:EC2::254]/",
		"http://[fd20:ce::254]/",
		/* other clouds */
		"http://100.100.100.200/latest/meta-data/", "http://192.0.0.192/",
		"http://168.63.129.16/machine?comp=goalstate",
		/* names of metadata services */
		"http://metadata.google.internal/computeMetadata/v1/",
		"http://METADATA.Google.Internal./computeMetadata/v1/",
		"http://metadata/computeMetadata/v1/", "http://metadata.goog/",
		"http://instance-data/latest/", "http://metadata.tencentyun.com/",
		"http://metadata.platformequinix.com/metadata",
	};
	size_t		i;
	CqError		e;

	for (i = 0; i < sizeof(metadata_urls) / sizeof(metadata_urls[0]); i++)
	{
		URL_REFUSED(&def, metadata_urls[i], CQ_ERR_POLICY, S_LL);
		URL_REFUSED(NULL, metadata_urls[i], CQ_ERR_POLICY, S_LL);
		URL_ALLOWED(&ll, metadata_urls[i]);
	}

	/* zone ids: link-scoped, refused unless allow_link_local */
	URL_REFUSED(&def, "http://[fe80::1%25eth0]/", CQ_ERR_POLICY, S_LL);
	URL_REFUSED(&def, "http://[fe80::1%eth0]:8080/", CQ_ERR_POLICY, S_LL);
	URL_REFUSED(&def, "http://[::1%25lo]/", CQ_ERR_POLICY, S_LL);
	URL_ALLOWED(&ll, "http://[fe80::1%25eth0]/");

	/* the message names the normalized address, not the trick */
	CQ_CHECK(!url_ok(&def, "http://0xA9.0xFE.0xA9.0xFE/latest", &e));
	CQ_CHECK_STR(e.message, "connection to 169.254.169.254 " LL_MSG_TAIL);
	CQ_CHECK_STR(e.setting, S_LL);
	CQ_CHECK(strstr(e.url, "0xA9.0xFE") != NULL || strstr(e.url, "0xa9.0xfe") != NULL);
	CQ_CHECK(!url_ok(&def, "http://2852039166/", &e));
	CQ_CHECK_STR(e.message, "connection to 169.254.169.254 " LL_MSG_TAIL);

	/* never-allowed literals, whatever the settings */
	URL_REFUSED(&ll, "http://0/", CQ_ERR_POLICY, "");
	URL_REFUSED(&ll, "http://0.0.0.0:5432/", CQ_ERR_POLICY, "");
	URL_REFUSED(&ll, "http://[::]/", CQ_ERR_POLICY, "");
	URL_REFUSED(&ll, "http://255.255.255.255/", CQ_ERR_POLICY, "");
	URL_REFUSED(&ll, "http://4294967295/", CQ_ERR_POLICY, "");
	URL_REFUSED(&ll, "http://224.0.0.1/", CQ_ERR_POLICY, "");
	URL_REFUSED(&ll, "http://[ff02::1]/", CQ_ERR_POLICY, "");
	URL_REFUSED(&ll, "http://[::ffff:0.0.0.0]/", CQ_ERR_POLICY, "");

	/* loopback is allowed by default (tests); denied_addrs can refuse it */
	URL_ALLOWED(&def, "http://127.1/");
	URL_ALLOWED(&def, "http://2130706433/");
	URL_ALLOWED(&def, "http://0x7f.0.0.1/");
	URL_ALLOWED(&def, "http://[0:0::1]/");

	/* denied_addrs applies to literals too, in every notation */
	URL_REFUSED(&den, "http://10.1.2.3/", CQ_ERR_POLICY, S_DEN);
	URL_REFUSED(&den, "http://012.1.2.3/", CQ_ERR_POLICY, S_DEN);
	URL_REFUSED(&den, "http://167837955/", CQ_ERR_POLICY, S_DEN);
	URL_REFUSED(&den, "http://0xa.1.2.3/", CQ_ERR_POLICY, S_DEN);
	URL_REFUSED(&den, "http://[::ffff:10.1.2.3]/", CQ_ERR_POLICY, S_DEN);
	URL_ALLOWED(&den, "http://11.1.2.3/");
	/* a name is judged at connect time (cq_net_addr_allowed), not here */
	URL_ALLOWED(&den, "http://ten.example/");
	URL_ALLOWED(&def, "http://169.254.169.254.nip.io/");
	/* not IPv4 numbers for inet_aton either: left to the resolver */
	URL_ALLOWED(&def, "http://1.2.3.4.5/");
	URL_ALLOWED(&def, "http://256.1.1.1/");
}

static void
test_url_userinfo(void)
{
	static const char *const urls[] = {
		"http://user:s3cret@example.com/", "http://user@example.com/",
		"http://:s3cret@example.com/", "http://@example.com/",
		"http://user:@example.com/", "https://tok%40en:s3cret@example.com:443/",
		"http://169.254.169.254:80@example.com/", "http://evil\\@169.254.169.254/",
		"http://user;auth=NTLM@example.com/", "http://x%2fy@example.com/",
	};
	size_t		i;
	CqError		e;

	for (i = 0; i < sizeof(urls) / sizeof(urls[0]); i++)
	{
		CqNetPolicy ll = {NULL, NULL, true};

		/* userinfo is refused even with the most permissive policy */
		URL_REFUSED(&ll, urls[i], CQ_ERR_POLICY, "");
	}
	CQ_CHECK(!url_ok(NULL, "http://user:s3cret@example.com/x?a=1", &e));
	CQ_CHECK(strstr(e.message, "credentials") != NULL);
	CQ_CHECK(strstr(e.message, "s3cret") == NULL);
	CQ_CHECK(strstr(e.url, "s3cret") == NULL);
	CQ_CHECK(strstr(e.url, "example.com") != NULL);
}

static void
test_url_allowed_hosts(void)
{
	CqNetPolicy none = {"", NULL, false};
	CqNetPolicy blank = {" , ,", NULL, false};
	CqNetPolicy any = {"*", NULL, false};
	CqNetPolicy exact = {"api.github.com", NULL, false};
	CqNetPolicy exactdot = {"API.GitHub.com.", NULL, false};
	CqNetPolicy wild = {"*.example.com", NULL, false};
	CqNetPolicy ip4 = {"127.0.0.1", NULL, false};
	CqNetPolicy cidr = {"10.0.0.0/8", NULL, false};
	CqNetPolicy ip6 = {"::1", NULL, false};
	CqNetPolicy ip6port = {"[::1]:8080", NULL, false};
	CqNetPolicy cidr6 = {"fd00::/8", NULL, false};
	CqNetPolicy hostport = {"localhost:8080", NULL, false};
	CqNetPolicy https = {"example.com:443", NULL, false};
	CqNetPolicy anyport = {"*:443", NULL, false};
	CqNetPolicy multi = {" a.com , b.com ,, *.c.com , 192.168.0.0/16 ", NULL, false};
	CqNetPolicy meta = {"169.254.169.254, metadata.google.internal", NULL, false};
	CqNetPolicy ald = {"10.0.0.0/8", "10.1.0.0/16", false};
	CqError		e;

	URL_REFUSED(&none, "http://example.com/", CQ_ERR_POLICY, S_AH);
	URL_REFUSED(&none, "http://127.0.0.1/", CQ_ERR_POLICY, S_AH);
	URL_REFUSED(&blank, "http://example.com/", CQ_ERR_POLICY, S_AH);
	CQ_CHECK(!url_ok(&none, "https://evil.example/x", &e));
	CQ_CHECK_STR(e.message, "host \"evil.example\" (port 443) refused by cq_fdw network policy: not in cq_fdw.allowed_hosts");

	URL_ALLOWED(&any, "http://example.com/");
	URL_ALLOWED(&any, "http://[2001:db8::1]:9/");
	URL_REFUSED(&any, "http://169.254.169.254/", CQ_ERR_POLICY, S_LL);

	URL_ALLOWED(&exact, "https://api.github.com/repos");
	URL_ALLOWED(&exact, "https://API.GitHub.COM./repos");
	URL_ALLOWED(&exact, "http://api.github.com:8443/");
	URL_REFUSED(&exact, "https://github.com/", CQ_ERR_POLICY, S_AH);
	URL_REFUSED(&exact, "https://xapi.github.com/", CQ_ERR_POLICY, S_AH);
	URL_REFUSED(&exact, "https://a.api.github.com/", CQ_ERR_POLICY, S_AH);
	URL_REFUSED(&exact, "https://api.github.com.evil.com/", CQ_ERR_POLICY, S_AH);
	URL_REFUSED(&exact, "https://api.github.co/", CQ_ERR_POLICY, S_AH);
	URL_REFUSED(&exact, "https://api.github.com..//", CQ_ERR_POLICY, S_AH);
	URL_REFUSED(&exact, "https://evil.com/api.github.com", CQ_ERR_POLICY, S_AH);
	URL_REFUSED(&exact, "https://evil.com/?h=api.github.com", CQ_ERR_POLICY, S_AH);
	URL_REFUSED(&exact, "https://evil.com#@api.github.com", CQ_ERR_POLICY, S_AH);
	URL_ALLOWED(&exactdot, "https://api.github.com/");

	URL_ALLOWED(&wild, "https://a.example.com/");
	URL_ALLOWED(&wild, "https://a.b.example.com/");
	URL_ALLOWED(&wild, "https://A.EXAMPLE.COM./");
	URL_REFUSED(&wild, "https://example.com/", CQ_ERR_POLICY, S_AH);
	URL_REFUSED(&wild, "https://badexample.com/", CQ_ERR_POLICY, S_AH);
	URL_REFUSED(&wild, "https://a.example.com.evil/", CQ_ERR_POLICY, S_AH);
	URL_REFUSED(&wild, "https://a.example.co/", CQ_ERR_POLICY, S_AH);
	URL_REFUSED(&wild, "https://.example.com/", CQ_ERR_POLICY, S_AH);

	URL_ALLOWED(&ip4, "http://127.0.0.1:18080/x");
	URL_ALLOWED(&ip4, "http://127.1/");
	URL_ALLOWED(&ip4, "http://2130706433/");
	URL_ALLOWED(&ip4, "http://[::ffff:127.0.0.1]/");
	URL_REFUSED(&ip4, "http://127.0.0.2/", CQ_ERR_POLICY, S_AH);
	URL_REFUSED(&ip4, "http://localhost/", CQ_ERR_POLICY, S_AH);

	URL_ALLOWED(&cidr, "http://10.255.0.1/");
	URL_ALLOWED(&cidr, "http://10.0.0.0/");
	URL_ALLOWED(&cidr, "http://[::ffff:10.0.0.1]/");
	URL_REFUSED(&cidr, "http://11.0.0.1/", CQ_ERR_POLICY, S_AH);
	URL_REFUSED(&cidr, "http://9.255.255.255/", CQ_ERR_POLICY, S_AH);
	URL_REFUSED(&cidr, "http://ten.example/", CQ_ERR_POLICY, S_AH);

	URL_ALLOWED(&ip6, "http://[::1]/");
	URL_ALLOWED(&ip6, "http://[0:0:0:0:0:0:0:1]:8080/");
	URL_REFUSED(&ip6, "http://127.0.0.1/", CQ_ERR_POLICY, S_AH);
	URL_REFUSED(&ip6, "http://[::2]/", CQ_ERR_POLICY, S_AH);

	URL_ALLOWED(&ip6port, "http://[::1]:8080/");
	URL_REFUSED(&ip6port, "http://[::1]:8081/", CQ_ERR_POLICY, S_AH);
	URL_REFUSED(&ip6port, "http://[::1]/", CQ_ERR_POLICY, S_AH);

	URL_ALLOWED(&cidr6, "http://[fd12:3456::1]/");
	URL_REFUSED(&cidr6, "http://[fe00::1]/", CQ_ERR_POLICY, S_AH);
	URL_REFUSED(&cidr6, "http://10.0.0.1/", CQ_ERR_POLICY, S_AH);

	URL_ALLOWED(&hostport, "http://localhost:8080/");
	URL_ALLOWED(&hostport, "https://LOCALHOST.:8080/");
	URL_REFUSED(&hostport, "http://localhost/", CQ_ERR_POLICY, S_AH);
	URL_REFUSED(&hostport, "http://localhost:80/", CQ_ERR_POLICY, S_AH);

	URL_ALLOWED(&https, "https://example.com/");	/* default port */
	URL_ALLOWED(&https, "http://example.com:443/");
	URL_REFUSED(&https, "http://example.com/", CQ_ERR_POLICY, S_AH);

	URL_ALLOWED(&anyport, "https://anything.example/");
	URL_REFUSED(&anyport, "http://anything.example/", CQ_ERR_POLICY, S_AH);

	URL_ALLOWED(&multi, "http://b.com/");
	URL_ALLOWED(&multi, "http://x.c.com/");
	URL_ALLOWED(&multi, "http://192.168.3.4/");
	URL_REFUSED(&multi, "http://c.com/", CQ_ERR_POLICY, S_AH);
	URL_REFUSED(&multi, "http://d.com/", CQ_ERR_POLICY, S_AH);

	/* allowed_hosts cannot open link-local: that is its own setting */
	URL_REFUSED(&meta, "http://169.254.169.254/", CQ_ERR_POLICY, S_LL);
	URL_REFUSED(&meta, "http://metadata.google.internal/", CQ_ERR_POLICY, S_LL);
	/* nor a denied address */
	URL_REFUSED(&ald, "http://10.1.2.3/", CQ_ERR_POLICY, S_DEN);
	URL_ALLOWED(&ald, "http://10.2.0.1/");

	/* non-ASCII names must be given in punycode to match a restriction */
	URL_REFUSED(&any, "http://\xe2\x98\x83.com/", CQ_ERR_POLICY, S_AH);
	URL_REFUSED(&wild, "http://evil\xef\xbd\xa1" "example.com/", CQ_ERR_POLICY, S_AH);
	URL_ALLOWED(NULL, "http://\xe2\x98\x83.com/");
}

/*
 * Origin entries ("https://api.github.com", what the FDW allows for the
 * default API root of a source): scheme, host and port must all match.
 * A bare host entry would let "http://api.github.com:22" or any port of
 * 127.0.0.1 through (issue 20, point 1).
 */
static void
test_url_allowed_origins(void)
{
	CqNetPolicy gh = {"https://api.github.com", NULL, false};
	CqNetPolicy mock = {"http://127.0.0.1:18080", NULL, false};
	CqNetPolicy v6 = {"http://[::1]:8080, https://*.example.com", NULL, false};
	char		ob[128];
	char	   *o = ob;

	URL_ALLOWED(&gh, "https://api.github.com/repos/x");
	URL_ALLOWED(&gh, "https://API.github.com:443/");
	URL_ALLOWED(&gh, "HTTPS://api.github.com./");
	URL_REFUSED(&gh, "http://api.github.com/", CQ_ERR_POLICY, S_AH);
	URL_REFUSED(&gh, "http://api.github.com:443/", CQ_ERR_POLICY, S_AH);
	URL_REFUSED(&gh, "https://api.github.com:8443/", CQ_ERR_POLICY, S_AH);
	URL_REFUSED(&gh, "http://api.github.com:22/", CQ_ERR_POLICY, S_AH);
	URL_REFUSED(&gh, "https://github.com/", CQ_ERR_POLICY, S_AH);

	URL_ALLOWED(&mock, "http://127.0.0.1:18080/x");
	URL_ALLOWED(&mock, "http://127.1:18080/x");
	URL_REFUSED(&mock, "http://127.0.0.1:18081/", CQ_ERR_POLICY, S_AH);
	URL_REFUSED(&mock, "http://127.0.0.1/", CQ_ERR_POLICY, S_AH);
	URL_REFUSED(&mock, "http://127.0.0.1:5432/", CQ_ERR_POLICY, S_AH);
	URL_REFUSED(&mock, "https://127.0.0.1:18080/", CQ_ERR_POLICY, S_AH);

	URL_ALLOWED(&v6, "http://[::1]:8080/");
	URL_REFUSED(&v6, "http://[::1]/", CQ_ERR_POLICY, S_AH);
	URL_ALLOWED(&v6, "https://a.example.com/");
	URL_REFUSED(&v6, "http://a.example.com/", CQ_ERR_POLICY, S_AH);

	/* cq_net_url_origin: explicit port, lower case, usable as an entry */
	CQ_CHECK(cq_net_url_origin("https://API.GitHub.com/x?y#z", o, sizeof(ob)));
	CQ_CHECK_STR(o, "https://api.github.com:443");
	CQ_CHECK(cq_net_url_origin("http://127.0.0.1:18080/replay/github/", o, sizeof(ob)));
	CQ_CHECK_STR(o, "http://127.0.0.1:18080");
	CQ_CHECK(cq_net_url_origin("http://[::1]/", o, sizeof(ob)));
	CQ_CHECK_STR(o, "http://[::1]:80");
	CQ_CHECK(!cq_net_url_origin("ftp://a.com/", o, sizeof(ob)) && o[0] == '\0');
	CQ_CHECK(!cq_net_url_origin("/relative/path", o, sizeof(ob)));
	CQ_CHECK(!cq_net_url_origin("https://api.github.com/", o, 10));
	{
		CqNetPolicy p = {o, NULL, false};

		CQ_CHECK(cq_net_url_origin("http://api.mock.test:18080/a", o, sizeof(ob)));
		URL_ALLOWED(&p, "http://api.mock.test:18080/b");
		URL_REFUSED(&p, "http://api.mock.test:18081/b", CQ_ERR_POLICY, S_AH);
		CQ_CHECK(cqp_net_policy_validate(&p, &(CqError) {0}));
	}
}

static void
test_allowed_hosts_malformed(void)
{
	static const char *const bad[] = {
		"a.com:0", "a.com:99999", "a.com:x", "a.com:", "10.0.0.0/40",
		"[::1", "[::1]x", "[1.2.3.4]", "a b.com", "*.", "*.*", "a.com/x",
		"*.example.com:", "::1/200", "good.com, b@d.com",
		/* origins: http(s) only, nothing but scheme://host[:port] */
		"ftp://a.com", "http://", "https://a.com/", "https://a.com/x",
		"http://u@a.com", "https://a.com:0", "https://a.com?x", "://a.com",
	};
	size_t		i;
	CqError		e;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
	{
		CqNetPolicy p = {bad[i], NULL, false};

		URL_REFUSED(&p, "http://a.com/", CQ_ERR_CONFIG, S_AH);
		CQ_CHECKF(!cqp_net_policy_validate(&p, &e) && e.kind == CQ_ERR_CONFIG &&
				  strcmp(e.setting, S_AH) == 0,
				  "validate should reject allowed_hosts \"%s\"", bad[i]);
	}
	{
		/* a typo after a matching entry is still reported */
		CqNetPolicy p = {"*, b@d", NULL, false};

		CQ_CHECK(!url_ok(&p, "http://a.com/", &e));
		CQ_CHECK_STR(e.message, "invalid entry \"b@d\" in cq_fdw.allowed_hosts");
	}
	{
		CqNetPolicy good = {"api.github.com, *.example.com, 10.0.0.0/8, [::1]:8080, fd00::/8, localhost:18080, *",
		"127.0.0.0/8, ::1, [fd00::]/8, 169.254.169.254", false};

		CQ_CHECK(cqp_net_policy_validate(&good, &e));
		CQ_CHECK(cqp_net_policy_validate(NULL, &e));
	}
}

/* ------------------------------------------------------------------------
 * Concurrency: the functions are pure; run them from several threads and
 * check every answer (TSan target: make tsan TESTS=netpolicy).
 * ------------------------------------------------------------------------ */
static void *
hammer(void *arg)
{
	CqNetPolicy p = {"*.example.com, 10.0.0.0/8", "10.9.0.0/16", false};
	long		bad = 0;
	int			i;

	(void) arg;
	for (i = 0; i < 2000; i++)
	{
		CqError		e;
		struct sockaddr_storage ss;

		bad += !cq_net_url_allowed(&p, "https://a.example.com/x", &e);
		bad += cq_net_url_allowed(&p, "https://0xa9fea9fe/", &e);
		bad += cq_net_url_allowed(&p, "https://10.9.1.1/", &e);
		mk_sockaddr("::ffff:169.254.169.254", &ss);
		bad += cq_net_addr_allowed(&p, &ss, &e);
		mk_sockaddr("10.1.1.1", &ss);
		bad += !cq_net_addr_allowed(&p, &ss, &e);
	}
	return (void *) bad;
}

static void
test_threads(void)
{
	pthread_t	t[4];
	int			i;
	long		bad = 0;

	for (i = 0; i < 4; i++)
		CQ_CHECK(pthread_create(&t[i], NULL, hammer, NULL) == 0);
	for (i = 0; i < 4; i++)
	{
		void	   *r;

		pthread_join(t[i], &r);
		bad += (long) r;
	}
	CQ_CHECKF(bad == 0, "%ld wrong answers under concurrency", bad);
}

void
suite_netpolicy(void)
{
	test_addr_link_local();
	test_addr_never();
	test_addr_denied();
	test_addr_denied_malformed();
	test_addr_odd_input();
	test_url_schemes();
	test_url_literal_ips();
	test_url_userinfo();
	test_url_allowed_hosts();
	test_url_allowed_origins();
	test_allowed_hosts_malformed();
	test_threads();
}
