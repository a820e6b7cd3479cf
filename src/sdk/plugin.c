/*-------------------------------------------------------------------------
 *
 * plugin.c
 *		  Load compiled source plugins (dlopen + versioned ABI check).
 *
 * A plugin is a shared object built out of tree against the installed
 * cq_sdk.h (see sources/example).  It exports CQ_PLUGIN_SYMBOL, a function
 * returning a static CqPluginDescriptor: the ABI version it was compiled
 * against, its spec (JSON text, validated here like any spec) and optional
 * hooks.
 *
 * Invariants:
 *	- a plugin whose abi_version differs from CQ_SDK_ABI_VERSION is refused
 *	  before anything but its describe function has run: structs may have
 *	  changed shape, so nothing else in the descriptor can be trusted;
 *	- a loaded plugin stays loaded for the life of the process (its hooks
 *	  and descriptor are referenced by definitions and running jobs);
 *	  a plugin that fails any check is dlclose'd;
 *	- only a path containing '/' is accepted, so dlopen never searches
 *	  LD_LIBRARY_PATH or the system directories for a name.
 *
 * Thread safety: cq_plugin_load may run on any thread (dlopen/dlerror are
 * thread-safe in glibc; the describe function must be too).
 *
 * Copyright (c) 2026, cq_fdw developers
 *
 *-------------------------------------------------------------------------
 */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cq_sdk.h"
#include "cq_sdk_int.h"

/* A short display name for messages: the path, or its base name if long. */
static const char *
display_name(const char *path)
{
	const char *slash;

	if (path == NULL)
		return "(unnamed)";
	slash = strrchr(path, '/');
	if (strlen(path) > 96 && slash)
		return slash + 1;
	return path;
}

/*
 * cqp_plugin_source
 *		Validate a descriptor and parse its spec (see cq_sdk_int.h).  The
 *		returned definition is malloc'd (cq_source_def_free); its kind is
 *		"plugin" and its version defaults to the descriptor's.
 */
CqSourceDef *
cqp_plugin_source(const CqPluginDescriptor *desc, const char *path, CqError *err)
{
	const char *shown = display_name(path);
	CqSourceDef *def;
	char	   *kind;

	memset(err, 0, sizeof(*err));
	if (desc == NULL)
	{
		cq_error_set(err, CQ_ERR_PLUGIN, "plugin %s: %s() returned NULL",
					 shown, CQ_PLUGIN_SYMBOL);
		return NULL;
	}
	/* first and before touching any other field: the struct may differ */
	if (desc->abi_version != CQ_SDK_ABI_VERSION)
	{
		cq_error_set(err, CQ_ERR_PLUGIN,
					 "plugin %s was built for SDK ABI %u, this cq_fdw provides ABI %u "
					 "(rebuild it against the installed cq_sdk.h)",
					 shown, (unsigned) desc->abi_version, (unsigned) CQ_SDK_ABI_VERSION);
		return NULL;
	}
	if (desc->spec_json == NULL)
	{
		cq_error_set(err, CQ_ERR_PLUGIN, "plugin %s has no spec_json", shown);
		return NULL;
	}
	def = cq_spec_parse(desc->spec_json, strlen(desc->spec_json), err);
	if (def == NULL)
	{
		char		msg[sizeof(err->message)];

		memcpy(msg, err->message, sizeof(msg));
		cq_error_set(err, CQ_ERR_PLUGIN, "plugin %s: invalid spec: %s", shown, msg);
		return NULL;
	}
	if (desc->name && strcmp(desc->name, def->name) != 0)
	{
		char		qn[64];

		cqp_sanitize_copy(qn, sizeof(qn), desc->name, strlen(desc->name));
		cq_error_set(err, CQ_ERR_PLUGIN,
					 "plugin %s: descriptor name \"%s\" differs from its spec's name \"%s\"",
					 shown, qn, def->name);
		cq_source_def_free(def);
		return NULL;
	}
	if ((kind = strdup("plugin")) == NULL ||
		(def->version == NULL && desc->version &&
		 (def->version = strdup(desc->version)) == NULL) ||
		(def->description == NULL && desc->description &&
		 (def->description = strdup(desc->description)) == NULL))
	{
		free(kind);
		cq_source_def_free(def);
		cq_error_set(err, CQ_ERR_NOMEM, "out of memory loading plugin %s", shown);
		return NULL;
	}
	free(def->kind);
	def->kind = kind;
	return def;
}

/*
 * cq_plugin_load
 *		dlopen `path` (RTLD_NOW | RTLD_LOCAL), call its describe function,
 *		check the ABI, parse the spec.  On success returns the source
 *		definition (caller frees it with cq_source_def_free) and sets
 *		*desc_out to the plugin's static descriptor (valid forever: the
 *		handle is never closed).  On failure returns NULL with err
 *		(CQ_ERR_PLUGIN) and the library is closed again.
 */
CqSourceDef *
cq_plugin_load(const char *path, const CqPluginDescriptor **desc_out,
			   CqError *err)
{
	void	   *handle;
	void	   *sym;
	const CqPluginDescriptor *(*describe) (void);
	const CqPluginDescriptor *desc;
	CqSourceDef *def;
	const char *shown = display_name(path);

	memset(err, 0, sizeof(*err));
	if (desc_out)
		*desc_out = NULL;
	if (path == NULL || strchr(path, '/') == NULL)
	{
		cq_error_set(err, CQ_ERR_PLUGIN, "plugin path \"%s\" must contain a directory",
					 path ? shown : "");
		return NULL;
	}
	dlerror();
	handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (handle == NULL)
	{
		const char *e = dlerror();
		char		msg[200];

		cqp_sanitize_copy(msg, sizeof(msg), e ? e : "unknown error", strlen(e ? e : "unknown error"));
		cq_error_set(err, CQ_ERR_PLUGIN, "could not load plugin %s: %s", shown, msg);
		return NULL;
	}
	dlerror();
	sym = dlsym(handle, CQ_PLUGIN_SYMBOL);
	if (sym == NULL)
	{
		dlclose(handle);
		cq_error_set(err, CQ_ERR_PLUGIN, "plugin %s does not export %s()",
					 shown, CQ_PLUGIN_SYMBOL);
		return NULL;
	}
	/* POSIX guarantees that a data pointer from dlsym converts to a function */
	memcpy(&describe, &sym, sizeof(describe));
	desc = describe();
	def = cqp_plugin_source(desc, path, err);
	if (def == NULL)
	{
		dlclose(handle);
		return NULL;
	}
	/* the handle is deliberately kept open: see the banner */
	if (desc_out)
		*desc_out = desc;
	return def;
}
