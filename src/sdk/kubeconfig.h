/*-------------------------------------------------------------------------
 *
 * kubeconfig.h
 *		  Parse a kubeconfig (private SDK API, cqp_ tier; see kubeconfig.c).
 *
 * Not installed; plugins must not include it.  No PostgreSQL header.
 *
 * Copyright (c) 2026, cq_fdw developers
 *
 *-------------------------------------------------------------------------
 */
#ifndef CQ_KUBECONFIG_H
#define CQ_KUBECONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "cq_sdk.h"

typedef struct CqpKube
{
	char		context[128];	/* the context used */
	char	   *server;			/* https://host:port */
	unsigned char *ca;			/* certificate-authority-data, PEM */
	size_t		ca_len;
	unsigned char *cert;		/* client-certificate-data, PEM */
	size_t		cert_len;
	unsigned char *key;			/* client-key-data, PEM (secret) */
	size_t		key_len;
	char	   *token;			/* bearer token (secret) */
	bool		insecure;		/* insecure-skip-tls-verify: true */
} CqpKube;

/*
 * Parse `text` (the kubeconfig file's YAML) for `context` (NULL: its
 * current-context).  false and err (CQ_ERR_CONFIG, never quoting a value)
 * if the YAML, a PEM, or the context is unusable, or if the user needs an
 * exec plugin, an auth-provider or files.  Free with cqp_kube_free.
 */
extern bool cqp_kube_parse(const char *text, const char *context, CqpKube *out,
						   CqError *err);
extern void cqp_kube_free(CqpKube *k);

/*
 * The names of the kubeconfig's contexts, in the file's order: *names a
 * malloc'd array of malloc'd strings (free with cqp_kube_names_free), *n
 * their number (0 if it has none).  false and err if the YAML is unusable.
 */
extern bool cqp_kube_contexts(const char *text, char ***names, int *n, CqError *err);
extern void cqp_kube_names_free(char **names, int n);

#endif							/* CQ_KUBECONFIG_H */
