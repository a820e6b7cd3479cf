/*
 * test_kubeconfig.c -- kubeconfig parsing (kubeconfig.c): contexts, clusters
 * and users by name, base64 PEM material checked, exec / auth-provider /
 * file paths refused with a clear error, bad YAML and bad PEM an error
 * (never a crash), no value of the file in any error.
 *
 * The certificate and key are made here, in memory, for this run.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "cqtest.h"
#include "cq_sdk_int.h"
#include "kubeconfig.h"

static char *
b64(const char *pem)
{
	size_t		n = strlen(pem);
	char	   *out = malloc(4 * ((n + 2) / 3) + 1);

	EVP_EncodeBlock((unsigned char *) out, (const unsigned char *) pem, (int) n);
	return out;
}

static char *
bio_text(BIO *b)
{
	char	   *p;
	long		n = BIO_get_mem_data(b, &p);
	char	   *s = malloc(n + 1);

	memcpy(s, p, n);
	s[n] = '\0';
	return s;
}

/* a throwaway self-signed certificate and its key, PEM */
static void
make_cert(char **cert_pem, char **key_pem)
{
	EVP_PKEY   *k = EVP_RSA_gen(2048);
	X509	   *x = X509_new();
	BIO		   *bc = BIO_new(BIO_s_mem());
	BIO		   *bk = BIO_new(BIO_s_mem());

	ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	X509_gmtime_adj(X509_getm_notBefore(x), 0);
	X509_gmtime_adj(X509_getm_notAfter(x), 3600);
	X509_set_pubkey(x, k);
	X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC,
							   (const unsigned char *) "cq-test", -1, -1, 0);
	X509_set_issuer_name(x, X509_get_subject_name(x));
	X509_sign(x, k, EVP_sha256());
	PEM_write_bio_X509(bc, x);
	PEM_write_bio_PrivateKey(bk, k, NULL, NULL, 0, NULL, NULL);
	*cert_pem = bio_text(bc);
	*key_pem = bio_text(bk);
	BIO_free(bc);
	BIO_free(bk);
	X509_free(x);
	EVP_PKEY_free(k);
}

static bool
parse_err(const char *yaml, const char *ctx, CqError *err)
{
	CqpKube		k;

	memset(err, 0, sizeof(*err));
	return !cqp_kube_parse(yaml, ctx, &k, err) && err->kind == CQ_ERR_CONFIG;
}

/*
 * How many copies of `m` (n bytes) are in this process's writable private
 * memory -- the heap and anonymous mappings (malloc arenas, thread stacks),
 * freed blocks included -- besides `m` itself.  Read through
 * /proc/self/mem, so neither valgrind nor ASan sees a read of freed
 * memory.  -1 if /proc is unreadable.
 */
#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define CQT_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__) && !defined(CQT_ASAN)
#define CQT_ASAN 1
#endif

static int
memory_copies(const unsigned char *m, size_t n)
{
	FILE	   *maps = fopen("/proc/self/maps", "r");
	int			fd = open("/proc/self/mem", O_RDONLY);
	char		line[512];
	size_t		cap = 1 << 20;
	unsigned char *buf = malloc(cap + n);
	int			count = 0;

	if (!maps || fd < 0 || !buf)
	{
		if (maps)
			fclose(maps);
		if (fd >= 0)
			close(fd);
		free(buf);
		return -1;
	}
	while (fgets(line, sizeof(line), maps))
	{
		unsigned long lo,
					hi;
		char		perms[8];
		char		path[256] = "";

		if (sscanf(line, "%lx-%lx %7s %*s %*s %*s %255s", &lo, &hi, perms, path) < 3)
			continue;
		if (perms[0] != 'r' || perms[1] != 'w' || perms[3] != 'p' ||
			(path[0] && strcmp(path, "[heap]") != 0))
			continue;
		for (uintptr_t at = lo; at < hi; at += cap)
		{
			size_t		want = (hi - at) < cap + n ? (size_t) (hi - at) : cap + n;
			ssize_t		got = pread(fd, buf, want, (off_t) at);

			if (got < (ssize_t) n)
				continue;
			/* matches starting in the first cap bytes; not m itself, not
			 * in the read buffer (it holds the previous chunk) */
			for (size_t i = 0; i + n <= (size_t) got && i < cap; i++)
			{
				uintptr_t	addr = at + i;

				if (buf[i] != m[0] || memcmp(buf + i, m, n) != 0 ||
					addr == (uintptr_t) m ||
					(addr >= (uintptr_t) buf && addr < (uintptr_t) buf + cap + n))
					continue;
				count++;
			}
		}
	}
	OPENSSL_cleanse(buf, cap + n);
	free(buf);
	fclose(maps);
	close(fd);
	return count;
}

/*
 * The client key goes to libcurl without a copy (CURL_BLOB_NOCOPY): with a
 * request prepared with it, the key's bytes are in memory only in our
 * buffer; once the transfer is freed and our buffer wiped, nowhere.  With
 * CURL_BLOB_COPY libcurl held a second copy and freed it unwiped.
 */
static void
test_key_not_copied(void)
{
	enum
	{
		KLEN = 28 + 2 * 256 + 1, PAT = 64
	};
	unsigned char *key = malloc(KLEN);
	unsigned char *cert = malloc(64);
	unsigned char *pat = malloc(PAT);
	static const char hexd[] = "0123456789abcdef";
	CqJobParams params;
	CqpAcct    *acct = cqp_acct_new();
	CqpHttp		h;
	CqpReq		req;
	CqError		err;
	int			n;

	if (!key || !cert || !pat || !acct)
		return;
#ifdef CQT_ASAN
	/*
	 * Not under AddressSanitizer: its shadow and allocator regions are
	 * terabytes of writable anonymous mappings, which the scan would read
	 * page by page (the CI machine's OOM killer stopped it at 23 GB).  The
	 * plain build and valgrind run this check.
	 */
	printf("  key copies: not checked under ASan (its shadow memory is too large to scan)\n");
	free(pat);
	free(key);
	free(cert);
	cqp_acct_unref(acct);
	return;
#endif
	/*
	 * A key-like text made at run time (not in the binary): the PEM header
	 * and 256 random bytes in hex, written straight into the buffer.
	 * libcurl does not parse it before a TLS handshake, and this test
	 * makes none.
	 */
	memcpy(key, "-----BEGIN PRIVATE KEY-----\n", 28);
	for (int i = 0; i < 256; i++)
	{
		unsigned char r;

		RAND_bytes(&r, 1);
		key[28 + 2 * i] = (unsigned char) hexd[r >> 4];
		key[29 + 2 * i] = (unsigned char) hexd[r & 15];
		r = 0;
	}
	key[KLEN - 1] = '\n';
	memset(cert, 'C', 64);
	n = memory_copies(key + 28, PAT);
	CQ_CHECKF(n == 0, "copies of the key before: %d", n);

	memset(&params, 0, sizeof(params));
	cq_job_settings_default(&params.settings);
	memset(&err, 0, sizeof(err));
	CQ_CHECKF(cqp_http_init(&h, &params, acct, &err), "%s", err.message);
	h.tls_cert = cert;
	h.tls_cert_len = 64;
	h.tls_key = key;
	h.tls_key_len = KLEN;
	memset(&req, 0, sizeof(req));
	req.url = strdup("https://127.0.0.1:9/api/v1/pods");
	CQ_CHECKF(cqp_http_prepare(&h, &req, true, &err), "%s", err.message);
	n = memory_copies(key + 28, PAT);
	CQ_CHECKF(n == 0, "copies of the key with the transfer prepared: %d (libcurl copied it)", n);
	cqp_http_reset(&req);
	free(req.url);
	cqp_http_cleanup(&h);
	/* what the kubeconfig's free does: wipe our buffer */
	memcpy(pat, key + 28, PAT);
	OPENSSL_cleanse(key, KLEN);
	n = memory_copies(pat, PAT);
	CQ_CHECKF(n == 0, "copies of the key left after the transfer and the wipe: %d", n);
	OPENSSL_cleanse(pat, PAT);
	free(pat);
	free(key);
	free(cert);
	cqp_acct_unref(acct);
}

void suite_kubeconfig(void);
void
suite_kubeconfig(void)
{
	char	   *cert,
			   *key,
			   *cert64,
			   *key64,
			   *yaml;
	size_t		n;
	CqpKube		k;
	CqError		err;

	cqt_current = "kubeconfig";
	make_cert(&cert, &key);
	cert64 = b64(cert);
	key64 = b64(key);
	n = strlen(cert64) * 3 + strlen(key64) + 4096;
	yaml = malloc(n);
	snprintf(yaml, n,
			 "apiVersion: v1\n"
			 "kind: Config\n"
			 "current-context: dev\n"
			 "clusters:\n"
			 "- name: dev-cluster\n"
			 "  cluster:\n"
			 "    server: https://127.0.0.1:6443\n"
			 "    certificate-authority-data: %s\n"
			 "- name: prod-cluster\n"
			 "  cluster:\n"
			 "    server: https://k8s.example.test\n"
			 "    insecure-skip-tls-verify: true\n"
			 "contexts:\n"
			 "- name: dev\n"
			 "  context: {cluster: dev-cluster, user: dev-admin}\n"
			 "- name: prod\n"
			 "  context:\n"
			 "    cluster: prod-cluster\n"
			 "    user: prod-reader\n"
			 "- name: cloud\n"
			 "  context: {cluster: prod-cluster, user: gke}\n"
			 "- name: broken\n"
			 "  context: {cluster: nowhere, user: dev-admin}\n"
			 "users:\n"
			 "- name: dev-admin\n"
			 "  user:\n"
			 "    client-certificate-data: %s\n"
			 "    client-key-data: %s\n"
			 "- name: prod-reader\n"
			 "  user:\n"
			 "    token: cq-kube-token-123\n"
			 "- name: gke\n"
			 "  user:\n"
			 "    exec:\n"
			 "      apiVersion: client.authentication.k8s.io/v1beta1\n"
			 "      command: gke-gcloud-auth-plugin\n",
			 cert64, cert64, key64);

	/* current-context: client certificate, CA */
	memset(&err, 0, sizeof(err));
	CQ_CHECKF(cqp_kube_parse(yaml, NULL, &k, &err), "%s", err.message);
	CQ_CHECK_STR(k.context, "dev");
	CQ_CHECK_STR(k.server, "https://127.0.0.1:6443");
	CQ_CHECK(k.ca && k.ca_len == strlen(cert) && memcmp(k.ca, cert, k.ca_len) == 0);
	CQ_CHECK(k.cert && k.cert_len == strlen(cert));
	CQ_CHECK(k.key && k.key_len == strlen(key) && memcmp(k.key, key, k.key_len) == 0);
	CQ_CHECK(k.token == NULL && !k.insecure);
	cqp_kube_free(&k);
	CQ_CHECK(k.key == NULL && k.server == NULL);

	/* another context by name: token, insecure-skip-tls-verify */
	CQ_CHECKF(cqp_kube_parse(yaml, "prod", &k, &err), "%s", err.message);
	CQ_CHECK_STR(k.server, "https://k8s.example.test");
	CQ_CHECK_STR(k.token, "cq-kube-token-123");
	CQ_CHECK(k.insecure && k.ca == NULL && k.cert == NULL && k.key == NULL);
	cqp_kube_free(&k);

	/* exec: refused, clearly */
	CQ_CHECK(parse_err(yaml, "cloud", &err));
	CQ_CHECKF(strstr(err.message, "exec plugin") && strstr(err.message, "not supported"), "%s", err.message);
	CQ_CHECK(strstr(err.message, "gke-gcloud") == NULL);
	/* unknown context, context whose cluster is missing */
	CQ_CHECK(parse_err(yaml, "staging", &err));
	CQ_CHECKF(strstr(err.message, "no context \"staging\"") != NULL, "%s", err.message);
	CQ_CHECK(parse_err(yaml, "broken", &err));
	CQ_CHECKF(strstr(err.message, "cluster of context \"broken\" is missing") != NULL, "%s", err.message);

	/* auth-provider, files, username/password */
	CQ_CHECK(parse_err("current-context: c\nclusters: [{name: k, cluster: {server: 'https://h'}}]\n"
					   "contexts: [{name: c, context: {cluster: k, user: u}}]\n"
					   "users: [{name: u, user: {auth-provider: {name: oidc, config: {client-secret: cq-s3cret}}}}]\n",
					   NULL, &err));
	CQ_CHECKF(strstr(err.message, "auth-provider") && !strstr(err.message, "cq-s3cret"), "%s", err.message);
	CQ_CHECK(parse_err("current-context: c\nclusters: [{name: k, cluster: {server: 'https://h'}}]\n"
					   "contexts: [{name: c, context: {cluster: k, user: u}}]\n"
					   "users: [{name: u, user: {client-certificate: /home/u/.kube/c.crt, client-key: /home/u/.kube/c.key}}]\n",
					   NULL, &err));
	CQ_CHECKF(strstr(err.message, "refers to files") != NULL, "%s", err.message);
	CQ_CHECK(parse_err("current-context: c\nclusters: [{name: k, cluster: {server: 'https://h', certificate-authority: /etc/ca.crt}}]\n"
					   "contexts: [{name: c, context: {cluster: k}}]\n", NULL, &err));
	CQ_CHECKF(strstr(err.message, "certificate-authority") != NULL, "%s", err.message);
	CQ_CHECK(parse_err("current-context: c\nclusters: [{name: k, cluster: {server: 'https://h'}}]\n"
					   "contexts: [{name: c, context: {cluster: k, user: u}}]\n"
					   "users: [{name: u, user: {username: admin, password: cq-pw}}]\n", NULL, &err));

	/* bad YAML, not a mapping, no current-context, no server: errors */
	CQ_CHECK(parse_err("clusters: [ {name: x\n  - : : cq-secret-text", NULL, &err));
	CQ_CHECKF(strstr(err.message, "not valid YAML (line") && !strstr(err.message, "cq-secret"), "%s", err.message);
	CQ_CHECK(parse_err("- just\n- a list\n", NULL, &err));
	CQ_CHECK(parse_err("", NULL, &err));
	CQ_CHECK(parse_err("kind: Config\n", NULL, &err));
	CQ_CHECKF(strstr(err.message, "current-context") != NULL, "%s", err.message);
	CQ_CHECK(parse_err("current-context: c\nclusters: [{name: k, cluster: {server: 'ftp://h'}}]\n"
					   "contexts: [{name: c, context: {cluster: k}}]\n", NULL, &err));

	/* bad PEM: not base64, base64 of garbage, a certificate as the key */
	CQ_CHECK(parse_err("current-context: c\nclusters: [{name: k, cluster: {server: 'https://h', certificate-authority-data: '%%%%'}}]\n"
					   "contexts: [{name: c, context: {cluster: k}}]\n", NULL, &err));
	CQ_CHECKF(strstr(err.message, "certificate-authority-data is not base64") != NULL, "%s", err.message);
	CQ_CHECK(parse_err("current-context: c\nclusters: [{name: k, cluster: {server: 'https://h', certificate-authority-data: 'aGVsbG8gd29ybGQ='}}]\n"
					   "contexts: [{name: c, context: {cluster: k}}]\n", NULL, &err));
	CQ_CHECKF(strstr(err.message, "not a PEM certificate") != NULL, "%s", err.message);
	{
		char	   *y = malloc(n);

		snprintf(y, n, "current-context: c\nclusters: [{name: k, cluster: {server: 'https://h'}}]\n"
				 "contexts: [{name: c, context: {cluster: k, user: u}}]\n"
				 "users: [{name: u, user: {client-certificate-data: %s, client-key-data: %s}}]\n",
				 cert64, cert64);
		CQ_CHECK(parse_err(y, NULL, &err));
		CQ_CHECKF(strstr(err.message, "client-key-data is not a PEM private key") != NULL, "%s", err.message);
		snprintf(y, n, "current-context: c\nclusters: [{name: k, cluster: {server: 'https://h'}}]\n"
				 "contexts: [{name: c, context: {cluster: k, user: u}}]\n"
				 "users: [{name: u, user: {client-certificate-data: %s}}]\n", cert64);
		CQ_CHECK(parse_err(y, NULL, &err));
		CQ_CHECKF(strstr(err.message, "needs both") != NULL, "%s", err.message);
		free(y);
	}
	/* truncated documents never crash */
	for (size_t cut = 1; cut < strlen(yaml); cut += 97)
	{
		char	   *y = strndup(yaml, cut);

		memset(&err, 0, sizeof(err));
		if (cqp_kube_parse(y, NULL, &k, &err))
			cqp_kube_free(&k);
		free(y);
	}
	CQ_CHECK(1);

	free(yaml);
	free(cert64);
	free(key64);
	free(cert);
	free(key);

	test_key_not_copied();
}
