/*-------------------------------------------------------------------------
 *
 * kubeconfig.c
 *		  A kubeconfig file (the YAML kubectl reads) -> the cluster to talk to
 *		  and how to authenticate: server URL, CA, client certificate and
 *		  key, bearer token, insecure-skip-tls-verify.
 *
 * Parsed with libyaml (yaml_parser_load: a document tree, no hand-written
 * YAML).  The context is the `context` option or the file's
 * current-context; its cluster and user entries are looked up by name.
 * Supported per user: token, client-certificate-data + client-key-data
 * (base64 PEM, kept in memory: libcurl gets them as blobs, no file), or
 * nothing.  Refused with a clear error: exec and auth-provider (a database
 * backend must not run programs or plugins), tokenFile, client-certificate /
 * client-key / certificate-authority file paths (the server's files are not
 * the user's), username/password.
 *
 * Secrets (key, token) are wiped when freed; no error text quotes a value
 * of the file (libyaml's problem text names a position only).
 *
 * Copyright (c) 2026, cq_fdw developers
 *
 *-------------------------------------------------------------------------
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <yaml.h>

#include "cq_sdk_int.h"
#include "kubeconfig.h"

#define KUBE_MAX_INPUT	(1024 * 1024)

/* mapping node -> value node of `key` (scalar key), or NULL */
static yaml_node_t *
map_get(yaml_document_t *d, yaml_node_t *m, const char *key)
{
	if (m == NULL || m->type != YAML_MAPPING_NODE)
		return NULL;
	for (yaml_node_pair_t *p = m->data.mapping.pairs.start; p < m->data.mapping.pairs.top; p++)
	{
		yaml_node_t *k = yaml_document_get_node(d, p->key);

		if (k && k->type == YAML_SCALAR_NODE &&
			k->data.scalar.length == strlen(key) &&
			memcmp(k->data.scalar.value, key, k->data.scalar.length) == 0)
			return yaml_document_get_node(d, p->value);
	}
	return NULL;
}

/* scalar text (NUL-terminated by libyaml), or NULL */
static const char *
scalar(yaml_node_t *n)
{
	if (n == NULL || n->type != YAML_SCALAR_NODE)
		return NULL;
	return (const char *) n->data.scalar.value;
}

/* sequence of {name: X, <field>: {...}} -> the <field> mapping of `name` */
static yaml_node_t *
named(yaml_document_t *d, yaml_node_t *root, const char *list, const char *field,
	  const char *name)
{
	yaml_node_t *seq = map_get(d, root, list);

	if (seq == NULL || seq->type != YAML_SEQUENCE_NODE)
		return NULL;
	for (yaml_node_item_t *i = seq->data.sequence.items.start; i < seq->data.sequence.items.top; i++)
	{
		yaml_node_t *e = yaml_document_get_node(d, *i);
		const char *n = scalar(map_get(d, e, "name"));

		if (n && strcmp(n, name) == 0)
		{
			yaml_node_t *f = map_get(d, e, field);

			/* an entry with an empty body is an empty mapping */
			return f ? f : e;
		}
	}
	return NULL;
}

/* base64 (whitespace allowed) -> malloc'd bytes + NUL; NULL if invalid */
static unsigned char *
b64_decode(const char *s, size_t *out_len)
{
	size_t		n = strlen(s);
	char	   *clean = malloc(n + 1);
	unsigned char *out;
	size_t		m = 0;
	int			len;
	int			pad = 0;

	if (clean == NULL)
		return NULL;
	for (size_t i = 0; i < n; i++)
		if (!isspace((unsigned char) s[i]))
			clean[m++] = s[i];
	clean[m] = '\0';
	if (m == 0 || m % 4 != 0)
	{
		OPENSSL_cleanse(clean, n + 1);
		free(clean);
		return NULL;
	}
	out = malloc(m / 4 * 3 + 1);
	if (out == NULL)
	{
		OPENSSL_cleanse(clean, n + 1);
		free(clean);
		return NULL;
	}
	len = EVP_DecodeBlock(out, (unsigned char *) clean, (int) m);
	if (clean[m - 1] == '=')
		pad++;
	if (m > 1 && clean[m - 2] == '=')
		pad++;
	OPENSSL_cleanse(clean, n + 1);
	free(clean);
	if (len < 0)
	{
		free(out);
		return NULL;
	}
	*out_len = (size_t) len - pad;
	out[*out_len] = '\0';
	return out;
}

static void
wipe_free(void *p, size_t n)
{
	if (p)
	{
		OPENSSL_cleanse(p, n);
		free(p);
	}
}

/* PEM checks: a certificate (or CA bundle) / a private key */
static bool
pem_cert_ok(const unsigned char *p, size_t n)
{
	BIO		   *b = BIO_new_mem_buf(p, (int) n);
	X509	   *x = b ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;
	bool		ok = x != NULL;

	X509_free(x);
	BIO_free(b);
	return ok;
}

static bool
pem_key_ok(const unsigned char *p, size_t n)
{
	BIO		   *b = BIO_new_mem_buf(p, (int) n);
	EVP_PKEY   *k = b ? PEM_read_bio_PrivateKey(b, NULL, NULL, (void *) "") : NULL;
	bool		ok = k != NULL;

	EVP_PKEY_free(k);
	BIO_free(b);
	return ok;
}

/* one base64 PEM field -> out; false and err if present but unusable */
static bool
pem_field(yaml_document_t *d, yaml_node_t *m, const char *field, bool is_key,
		  unsigned char **out, size_t *out_len, CqError *err)
{
	yaml_node_t *n = map_get(d, m, field);
	const char *v = scalar(n);

	if (n == NULL)
		return true;
	if (v == NULL || (*out = b64_decode(v, out_len)) == NULL)
	{
		cq_error_set(err, CQ_ERR_CONFIG, "kubeconfig: %s is not base64", field);
		return false;
	}
	if (is_key ? !pem_key_ok(*out, *out_len) : !pem_cert_ok(*out, *out_len))
	{
		cq_error_set(err, CQ_ERR_CONFIG, "kubeconfig: %s is not a PEM %s", field,
					 is_key ? "private key" : "certificate");
		return false;
	}
	return true;
}

/*
 * Parse kubeconfig text into a libyaml document (the caller deletes it):
 * false + err when it is empty, too long or not YAML -- positions only,
 * never parser.problem's context text, which could quote a secret.
 */
static bool
load_yaml(const char *text, yaml_document_t *doc, CqError *err)
{
	yaml_parser_t parser;

	if (text == NULL || *text == '\0' || strlen(text) > KUBE_MAX_INPUT)
	{
		cq_error_set(err, CQ_ERR_CONFIG, "kubeconfig is empty or longer than %d bytes", KUBE_MAX_INPUT);
		return false;
	}
	if (!yaml_parser_initialize(&parser))
	{
		cq_error_set(err, CQ_ERR_NOMEM, "out of memory parsing kubeconfig");
		return false;
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *) text, strlen(text));
	if (!yaml_parser_load(&parser, doc))
	{
		cq_error_set(err, CQ_ERR_CONFIG, "kubeconfig is not valid YAML (line %lu, column %lu)",
					 (unsigned long) parser.problem_mark.line + 1,
					 (unsigned long) parser.problem_mark.column + 1);
		yaml_parser_delete(&parser);
		return false;
	}
	yaml_parser_delete(&parser);
	return true;
}

/* cqp_kube_parse: see kubeconfig.h */
bool
cqp_kube_parse(const char *text, const char *context, CqpKube *out, CqError *err)
{
	yaml_document_t doc;
	yaml_node_t *root;
	yaml_node_t *ctx;
	yaml_node_t *cluster;
	yaml_node_t *user;
	const char *ctxname = context;
	const char *cname;
	const char *uname;
	const char *server;
	const char *v;
	bool		ok = false;

	memset(out, 0, sizeof(*out));
	if (!load_yaml(text, &doc, err))
		return false;
	root = yaml_document_get_root_node(&doc);
	if (root == NULL || root->type != YAML_MAPPING_NODE)
	{
		cq_error_set(err, CQ_ERR_CONFIG, "kubeconfig is not a YAML mapping (give the content of the kubeconfig file)");
		goto done;
	}
	if (ctxname == NULL || *ctxname == '\0')
		ctxname = scalar(map_get(&doc, root, "current-context"));
	if (ctxname == NULL || *ctxname == '\0')
	{
		cq_error_set(err, CQ_ERR_CONFIG, "kubeconfig has no current-context: give the option context");
		goto done;
	}
	snprintf(out->context, sizeof(out->context), "%s", ctxname);
	ctx = named(&doc, root, "contexts", "context", ctxname);
	if (ctx == NULL)
	{
		cq_error_set(err, CQ_ERR_CONFIG, "kubeconfig has no context \"%.100s\"", ctxname);
		goto done;
	}
	cname = scalar(map_get(&doc, ctx, "cluster"));
	uname = scalar(map_get(&doc, ctx, "user"));
	cluster = cname ? named(&doc, root, "clusters", "cluster", cname) : NULL;
	if (cluster == NULL)
	{
		cq_error_set(err, CQ_ERR_CONFIG, "kubeconfig: the cluster of context \"%.100s\" is missing", ctxname);
		goto done;
	}
	server = scalar(map_get(&doc, cluster, "server"));
	if (server == NULL || (strncmp(server, "https://", 8) != 0 && strncmp(server, "http://", 7) != 0))
	{
		cq_error_set(err, CQ_ERR_CONFIG, "kubeconfig: the cluster of context \"%.100s\" has no http(s) server URL",
					 ctxname);
		goto done;
	}
	if (map_get(&doc, cluster, "certificate-authority") && !map_get(&doc, cluster, "certificate-authority-data"))
	{
		cq_error_set(err, CQ_ERR_CONFIG,
					 "kubeconfig: certificate-authority (a file path) is not supported: embed it as certificate-authority-data (kubectl config view --raw --flatten)");
		goto done;
	}
	if ((out->server = strdup(server)) == NULL)
	{
		cq_error_set(err, CQ_ERR_NOMEM, "out of memory parsing kubeconfig");
		goto done;
	}
	v = scalar(map_get(&doc, cluster, "insecure-skip-tls-verify"));
	out->insecure = v && strcmp(v, "true") == 0;
	if (!pem_field(&doc, cluster, "certificate-authority-data", false, &out->ca, &out->ca_len, err))
		goto done;

	user = uname ? named(&doc, root, "users", "user", uname) : NULL;
	if (uname && user == NULL)
	{
		cq_error_set(err, CQ_ERR_CONFIG, "kubeconfig: the user of context \"%.100s\" is missing", ctxname);
		goto done;
	}
	if (user)
	{
		if (map_get(&doc, user, "exec") || map_get(&doc, user, "auth-provider"))
		{
			cq_error_set(err, CQ_ERR_CONFIG,
						 "kubeconfig: user \"%.100s\" gets its credentials from %s, which is not supported (a database server does not run programs): use a token or a client certificate",
						 uname, map_get(&doc, user, "exec") ? "an exec plugin" : "an auth-provider");
			goto done;
		}
		if (map_get(&doc, user, "tokenFile") ||
			(map_get(&doc, user, "client-certificate") && !map_get(&doc, user, "client-certificate-data")) ||
			(map_get(&doc, user, "client-key") && !map_get(&doc, user, "client-key-data")))
		{
			cq_error_set(err, CQ_ERR_CONFIG,
						 "kubeconfig: user \"%.100s\" refers to files, which are not supported: embed them (kubectl config view --raw --flatten)",
						 uname);
			goto done;
		}
		if (map_get(&doc, user, "username") || map_get(&doc, user, "password"))
		{
			cq_error_set(err, CQ_ERR_CONFIG,
						 "kubeconfig: user \"%.100s\" uses username/password, which is not supported", uname);
			goto done;
		}
		if (!pem_field(&doc, user, "client-certificate-data", false, &out->cert, &out->cert_len, err) ||
			!pem_field(&doc, user, "client-key-data", true, &out->key, &out->key_len, err))
			goto done;
		if ((out->cert == NULL) != (out->key == NULL))
		{
			cq_error_set(err, CQ_ERR_CONFIG,
						 "kubeconfig: user \"%.100s\" needs both client-certificate-data and client-key-data", uname);
			goto done;
		}
		v = scalar(map_get(&doc, user, "token"));
		if (v && *v)
		{
			for (const char *p = v; *p; p++)
				if (*p <= ' ' || *p > '~')
				{
					cq_error_set(err, CQ_ERR_CONFIG, "kubeconfig: the token of user \"%.100s\" has characters not allowed in a header",
								 uname);
					goto done;
				}
			if ((out->token = strdup(v)) == NULL)
			{
				cq_error_set(err, CQ_ERR_NOMEM, "out of memory parsing kubeconfig");
				goto done;
			}
		}
	}
	ok = true;
done:
	/* wipe the scalars (keys, tokens) before libyaml frees them */
	for (yaml_node_t *n = doc.nodes.start; n && n < doc.nodes.top; n++)
		if (n->type == YAML_SCALAR_NODE && n->data.scalar.value)
			OPENSSL_cleanse(n->data.scalar.value, n->data.scalar.length);
	yaml_document_delete(&doc);
	if (!ok)
		cqp_kube_free(out);
	return ok;
}

/* cqp_kube_contexts: see kubeconfig.h */
bool
cqp_kube_contexts(const char *text, char ***names, int *n, CqError *err)
{
	yaml_document_t doc;
	yaml_node_t *root;
	yaml_node_t *seq;
	bool		ok = true;

	*names = NULL;
	*n = 0;
	if (!load_yaml(text, &doc, err))
		return false;
	root = yaml_document_get_root_node(&doc);
	seq = map_get(&doc, root, "contexts");
	if (seq && seq->type == YAML_SEQUENCE_NODE)
	{
		size_t		cap = (size_t) (seq->data.sequence.items.top - seq->data.sequence.items.start);

		*names = calloc(cap + 1, sizeof(char *));
		if (*names == NULL)
			ok = false;
		for (yaml_node_item_t *i = seq->data.sequence.items.start;
			 ok && i < seq->data.sequence.items.top; i++)
		{
			const char *nm = scalar(map_get(&doc, yaml_document_get_node(&doc, *i), "name"));
			bool		dup = false;

			if (nm == NULL || *nm == '\0')
				continue;
			for (int j = 0; j < *n; j++)
				if (strcmp((*names)[j], nm) == 0)
					dup = true;
			if (dup)
				continue;
			if (((*names)[*n] = strdup(nm)) == NULL)
				ok = false;
			else
				(*n)++;
		}
		if (!ok)
		{
			cqp_kube_names_free(*names, *n);
			*names = NULL;
			*n = 0;
			cq_error_set(err, CQ_ERR_NOMEM, "out of memory parsing kubeconfig");
		}
	}
	for (yaml_node_t *nd = doc.nodes.start; nd && nd < doc.nodes.top; nd++)
		if (nd->type == YAML_SCALAR_NODE && nd->data.scalar.value)
			OPENSSL_cleanse(nd->data.scalar.value, nd->data.scalar.length);
	yaml_document_delete(&doc);
	return ok;
}

void
cqp_kube_names_free(char **names, int n)
{
	for (int i = 0; names && i < n; i++)
		free(names[i]);
	free(names);
}

/* in the names a qual picks (pick NULL: every name) */
static bool
picked(const char *name, const char *const *pick, int npick)
{
	if (pick == NULL)
		return true;
	for (int j = 0; j < npick; j++)
		if (pick[j] && strcmp(pick[j], name) == 0)
			return true;
	return false;
}

/* cq_kubeconfig_servers: see cq_sdk.h */
char *
cq_kubeconfig_servers(const char *kubeconfig, const char *context, bool all,
					  const char *const *pick, int npick, int *count, CqError *err)
{
	char	  **names = NULL;
	int			n = 0;
	char	   *out = NULL;
	size_t		len = 0;

	memset(err, 0, sizeof(*err));
	if (count)
		*count = 0;
	if (context && *context)
		all = false;
	if (all && !cqp_kube_contexts(kubeconfig, &names, &n, err))
		return NULL;
	if (!all)
	{
		/* one: the context given, else the current-context */
		n = 1;
	}
	for (int i = 0; i < n; i++)
	{
		CqpKube		k;
		size_t		need;
		char	   *grown;

		if (all && !picked(names[i], pick, npick))
			continue;
		if (!cqp_kube_parse(kubeconfig, all ? names[i] : context, &k, err))
		{
			if (!all)
			{
				free(out);
				return NULL;
			}
			/* one context of several unusable: the others still show */
			memset(&k, 0, sizeof(k));
			snprintf(k.context, sizeof(k.context), "%s", names[i]);
			memset(err, 0, sizeof(*err));
		}
		if (!all && !picked(k.context, pick, npick))
		{
			cqp_kube_free(&k);
			continue;
		}
		need = len + strlen(k.context) + (k.server ? strlen(k.server) : 14) + 4;
		grown = realloc(out, need);
		if (grown == NULL)
		{
			cqp_kube_free(&k);
			free(out);
			cqp_kube_names_free(names, all ? n : 0);
			cq_error_set(err, CQ_ERR_NOMEM, "out of memory");
			return NULL;
		}
		out = grown;
		len += (size_t) snprintf(out + len, need - len, "%s%s=%s", len ? ", " : "",
								 k.context, k.server ? k.server : "(not usable)");
		if (count)
			(*count)++;
		cqp_kube_free(&k);
	}
	cqp_kube_names_free(names, all ? n : 0);
	if (out == NULL)
		out = strdup("");
	return out;
}

/* cqp_kube_free: see kubeconfig.h */
void
cqp_kube_free(CqpKube *k)
{
	if (k == NULL)
		return;
	free(k->server);
	free(k->ca);
	free(k->cert);
	wipe_free(k->key, k->key_len);
	if (k->token)
		wipe_free(k->token, strlen(k->token));
	memset(k, 0, sizeof(*k));
}
