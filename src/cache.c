/*-------------------------------------------------------------------------
 *
 * cache.c
 *		  The opt-in scan cache (server/table option cache_ttl): the rows a
 *		  complete scan produced, kept in a file under
 *		  $PGDATA/cq_fdw_cache, indexed in the shared area, so the same scan
 *		  within the TTL makes no request.
 *
 * Invariants:
 *	- An entry is keyed by a SHA-256 over everything that decides the rows
 *	  and who may see them: the user mapping used, its credentials (a
 *	  rotated token starts afresh; the key is never shown) and the role
 *	  scanning (one role never reads another role's cached rows, even when
 *	  both mappings hold the same token or it is a PUBLIC mapping), the
 *	  relation, its server, table and column options (endpoint, source,
 *	  table, base_url, cache_ttl, ...), its column types, the columns
 *	  fetched, every pushed qual's column, operator and values, and the
 *	  LIMIT pushed down.  The key is compared whole, never a prefix.
 *	- Only a complete scan is stored: the writer's file is renamed into
 *	  place and indexed only when the job reported its end with no unit
 *	  skipped; an ERROR, a cancel, a LIMIT that stopped reading, or a
 *	  result larger than half of cq_fdw.cache_size deletes the temporary
 *	  file (memory context callback), so a failed scan is never cached.
 *	- Files are written by the backend's main thread with open(2) mode
 *	  0600 in a directory of the data directory (mode of PGDATA), so only
 *	  the server's OS user can read them.  Each holds MAXALIGNed records
 *	  (uint32 length + MinimalTuple); readers load the whole file.
 *	- The index (shared.h CqCacheEntry) changes under cache_lock only;
 *	  files are unlinked after the lock is released.  Total bytes stay
 *	  within cq_fdw.cache_size: inserting evicts least recently used
 *	  entries first.  A reader that loses the race with an eviction sees
 *	  a missing file and counts a miss.
 *	- Without shared_preload_libraries the index is the backend's own:
 *	  file names carry the backend's pid and its files are removed when it
 *	  exits.  With it, the directory is emptied at server start (the index
 *	  is new).
 *
 * Copyright (c) 2026, cq_fdw developers
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "access/htup_details.h"
#include "catalog/pg_foreign_server.h"
#include "commands/defrem.h"
#include "common/cryptohash.h"
#include "common/sha2.h"
#include "executor/tuptable.h"
#include "fmgr.h"
#include "foreign/foreign.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "storage/fd.h"
#include "storage/ipc.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/timestamp.h"
#include "utils/tuplestore.h"

#include "shared.h"

#define CACHE_DIR	"cq_fdw_cache"
#define WBUF_SIZE	(64 * 1024)

PG_FUNCTION_INFO_V1(cq_fdw_cache_info);
PG_FUNCTION_INFO_V1(cq_fdw_cache_clear);

bool		cqfdw_use_cache = true;

struct CqCacheReader
{
	char	   *data;
	size_t		len;
	size_t		pos;
};

struct CqCacheWriter
{
	uint8		key[32];
	Oid			serverid;
	int			ttl_s;
	int			fd;				/* -1 once closed or abandoned */
	char		tmppath[MAXPGPATH];
	StringInfoData buf;
	uint64		bytes;
	bool		committed;
};

static bool exit_hook_done = false;

/* ------------------------------------------------------------------------
 * files
 * ------------------------------------------------------------------------ */

static void
file_path(char *out, uint64 file)
{
	CqShared   *s = cqfdw_shared();

	if (s->in_shmem)
		snprintf(out, MAXPGPATH, "%s/%016llx", CACHE_DIR, (unsigned long long) file);
	else
		snprintf(out, MAXPGPATH, "%s/p%d.%016llx", CACHE_DIR, MyProcPid,
				 (unsigned long long) file);
}

static void
unlink_files(uint64 *files, int n)
{
	char		path[MAXPGPATH];

	for (int i = 0; i < n; i++)
	{
		file_path(path, files[i]);
		if (unlink(path) != 0 && errno != ENOENT)
			ereport(LOG,
					(errcode_for_file_access(),
					 errmsg("could not remove cache file \"%s\": %m", path)));
	}
}

/* Backend exit, not preloaded: remove this backend's files. */
static void
local_cache_exit(int code, Datum arg)
{
	CqShared   *s = cqfdw_shared();
	char		path[MAXPGPATH];

	for (int i = 0; i < s->ncache; i++)
		if (s->cache[i].used)
		{
			file_path(path, s->cache[i].file);
			(void) unlink(path);
		}
}

static void
ensure_dir(void)
{
	CqShared   *s = cqfdw_shared();

	if (MakePGDirectory(CACHE_DIR) != 0 && errno != EEXIST)
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not create directory \"%s\": %m", CACHE_DIR)));
	if (!s->in_shmem && !exit_hook_done)
	{
		on_proc_exit(local_cache_exit, (Datum) 0);
		exit_hook_done = true;
	}
}

/*
 * cqfdw_cache_startup
 *		Server start with preload (postmaster, shmem_startup_hook): the
 *		index is new, so any file left from before is unreachable.
 */
void
cqfdw_cache_startup(void)
{
	struct stat st;

	if (stat(CACHE_DIR, &st) == 0)
		(void) rmtree(CACHE_DIR, false);
}

/* ------------------------------------------------------------------------
 * key
 * ------------------------------------------------------------------------ */

static void
hash_str(pg_cryptohash_ctx *c, const char *s)
{
	uint32		len = s ? (uint32) strlen(s) : UINT32_MAX;

	pg_cryptohash_update(c, (const uint8 *) &len, sizeof(len));
	if (s)
		pg_cryptohash_update(c, (const uint8 *) s, len);
}

static void
hash_int(pg_cryptohash_ctx *c, int64 v)
{
	pg_cryptohash_update(c, (const uint8 *) &v, sizeof(v));
}

static void
hash_options(pg_cryptohash_ctx *c, List *options)
{
	ListCell   *lc;

	hash_int(c, list_length(options));
	foreach(lc, options)
	{
		DefElem    *d = lfirst(lc);

		hash_str(c, d->defname);
		hash_str(c, defGetString(d));
	}
}

/*
 * cqfdw_cache_key
 *		The entry key of one job of a scan of `rel` (see the banner).
 *		ERROR only if SHA-256 is unavailable.
 */
void
cqfdw_cache_key(const CqFdwTable *t, Relation rel, const AttrNumber *attnums,
				int nout, const CqKeyValues *keys, int nkeys, int64 limit,
				uint8 *key)
{
	pg_cryptohash_ctx *c = pg_cryptohash_create(PG_SHA256);
	TupleDesc	td = RelationGetDescr(rel);

	if (c == NULL || pg_cryptohash_init(c) < 0)
		elog(ERROR, "could not initialize SHA-256");
	hash_str(c, "cq_fdw cache v1");
	hash_int(c, MyDatabaseId);
	hash_int(c, t->umid);
	hash_int(c, t->userid);
	/* a rotated credential (ALTER USER MAPPING) starts afresh */
	hash_str(c, t->cred.token);
	hash_str(c, t->cred.user);
	hash_str(c, t->cred.secret);
	hash_str(c, t->cred.session_token);
	hash_str(c, t->cred.service_account_key);
	hash_int(c, t->relid);
	hash_int(c, t->serverid);
	hash_options(c, GetForeignServer(t->serverid)->options);
	hash_options(c, GetForeignTable(t->relid)->options);
	hash_int(c, td->natts);
	for (int i = 0; i < td->natts; i++)
	{
		Form_pg_attribute a = TupleDescAttr(td, i);

		hash_int(c, a->attisdropped);
		if (a->attisdropped)
			continue;
		hash_str(c, NameStr(a->attname));
		hash_int(c, a->atttypid);
		hash_int(c, a->atttypmod);
		hash_options(c, GetForeignColumnOptions(t->relid, a->attnum));
	}
	hash_int(c, nout);
	for (int i = 0; i < nout; i++)
		hash_int(c, attnums[i]);
	hash_int(c, nkeys);
	for (int i = 0; i < nkeys; i++)
	{
		hash_str(c, keys[i].column);
		hash_int(c, keys[i].op);
		hash_int(c, keys[i].nvalues);
		for (int j = 0; j < keys[i].nvalues; j++)
			hash_str(c, keys[i].values[j]);
	}
	hash_int(c, limit);
	if (pg_cryptohash_final(c, key, 32) < 0)
		elog(ERROR, "could not compute SHA-256");
	pg_cryptohash_free(c);
}

/* ------------------------------------------------------------------------
 * index
 * ------------------------------------------------------------------------ */

/* Drop entry e (lock held): its file number is appended to files. */
static void
drop_entry_locked(CqShared *s, CqCacheEntry *e, uint64 *files, int *nfiles)
{
	if (e->ready)
		s->cache_bytes -= e->bytes;
	files[(*nfiles)++] = e->file;
	memset(e, 0, sizeof(*e));
}

bool
cqfdw_cache_enabled(const CqFdwTable *t)
{
	if (t->cache_ttl_s <= 0)
		return false;
	cqfdw_shared_notice();
	return cqfdw_use_cache;
}

/*
 * cqfdw_cache_open
 *		The cached rows of `key`, loaded into memory in cxt, or NULL (a
 *		miss: none, expired, or its file gone).  Counts the hit or miss.
 */
CqCacheReader *
cqfdw_cache_open(const uint8 *key, MemoryContext cxt)
{
	CqShared   *s = cqfdw_shared();
	TimestampTz now = GetCurrentTimestamp();
	uint64		file = 0;
	uint64		dropped[1];
	int			ndropped = 0;
	char		path[MAXPGPATH];
	CqCacheReader *r;
	struct stat st;
	int			fd;
	size_t		got = 0;

	cqfdw_shared_lock(s->cache_lock, LW_EXCLUSIVE);
	for (int i = 0; i < s->ncache; i++)
	{
		CqCacheEntry *e = &s->cache[i];

		if (!e->used || !e->ready || memcmp(e->key, key, 32) != 0)
			continue;
		if (e->expires <= now)
		{
			drop_entry_locked(s, e, dropped, &ndropped);
			break;
		}
		e->last_used = now;
		e->hits++;
		file = e->file;
		break;
	}
	if (file)
		s->cache_hits++;
	else
		s->cache_misses++;
	cqfdw_shared_unlock(s->cache_lock);
	unlink_files(dropped, ndropped);
	if (!file)
		return NULL;

	file_path(path, file);
	fd = open(path, O_RDONLY | PG_BINARY, 0);
	if (fd < 0 || fstat(fd, &st) != 0)
	{
		if (fd >= 0)
			close(fd);
		return NULL;			/* evicted meanwhile */
	}
	r = MemoryContextAllocZero(cxt, sizeof(CqCacheReader));
	r->len = (size_t) st.st_size;
	r->data = MemoryContextAllocHuge(cxt, Max(r->len, 1));
	while (got < r->len)
	{
		ssize_t		n = read(fd, r->data + got, r->len - got);

		if (n <= 0)
		{
			if (n < 0 && errno == EINTR)
				continue;
			close(fd);
			return NULL;
		}
		got += (size_t) n;
	}
	close(fd);
	return r;
}

/*
 * cqfdw_cache_next
 *		Store the next cached row in slot; false at the end.
 */
bool
cqfdw_cache_next(CqCacheReader *r, TupleTableSlot *slot)
{
	uint32		len;
	MinimalTuple mt;

	if (r->pos + MAXALIGN(sizeof(uint32)) > r->len)
		return false;
	memcpy(&len, r->data + r->pos, sizeof(uint32));
	r->pos += MAXALIGN(sizeof(uint32));
	if (len == 0 || r->pos + len > r->len)
		return false;
	mt = (MinimalTuple) (r->data + r->pos);
	r->pos += MAXALIGN(len);
	ExecForceStoreMinimalTuple(mt, slot, false);
	return true;
}

/* ------------------------------------------------------------------------
 * writer
 * ------------------------------------------------------------------------ */

static void
writer_close(CqCacheWriter *w)
{
	if (w->fd >= 0)
	{
		close(w->fd);
		w->fd = -1;
	}
	if (!w->committed && w->tmppath[0])
	{
		(void) unlink(w->tmppath);
		w->tmppath[0] = '\0';
	}
}

/* Context callback: an unfinished writer leaves nothing behind. */
static void
writer_callback(void *arg)
{
	writer_close((CqCacheWriter *) arg);
}

static uint64
max_entry_bytes(void)
{
	return (uint64) cqfdw_cache_size_kb * 1024 / 2;
}

static bool
flush(CqCacheWriter *w)
{
	size_t		off = 0;

	while (off < (size_t) w->buf.len)
	{
		ssize_t		n = write(w->fd, w->buf.data + off, w->buf.len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		off += (size_t) n;
	}
	resetStringInfo(&w->buf);
	return true;
}

/*
 * cqfdw_cache_begin
 *		Start recording a scan's rows under `key` (temporary file in
 *		cq_fdw_cache); lives in cxt, whose deletion removes the file unless
 *		committed.  NULL if the file cannot be created (the scan runs
 *		uncached; a LOG line says why).
 */
CqCacheWriter *
cqfdw_cache_begin(const uint8 *key, const CqFdwTable *t, MemoryContext cxt)
{
	CqCacheWriter *w;
	MemoryContextCallback *cb;
	static uint32 seq = 0;

	ensure_dir();
	w = MemoryContextAllocZero(cxt, sizeof(CqCacheWriter));
	memcpy(w->key, key, 32);
	w->serverid = t->serverid;
	w->ttl_s = t->cache_ttl_s;
	w->fd = -1;
	{
		MemoryContext old = MemoryContextSwitchTo(cxt);

		initStringInfo(&w->buf);
		MemoryContextSwitchTo(old);
	}
	snprintf(w->tmppath, sizeof(w->tmppath), "%s/tmp.%d.%u", CACHE_DIR,
			 MyProcPid, ++seq);
	cb = MemoryContextAllocZero(cxt, sizeof(MemoryContextCallback));
	cb->func = writer_callback;
	cb->arg = w;
	MemoryContextRegisterResetCallback(cxt, cb);
	w->fd = open(w->tmppath, O_WRONLY | O_CREAT | O_TRUNC | PG_BINARY,
				 S_IRUSR | S_IWUSR);
	if (w->fd < 0)
	{
		ereport(LOG,
				(errcode_for_file_access(),
				 errmsg("could not create cache file \"%s\": %m", w->tmppath)));
		w->tmppath[0] = '\0';
		return NULL;
	}
	return w;
}

/*
 * cqfdw_cache_put
 *		Append the row in slot.  Past the size limit or on a write error
 *		the writer gives up (the scan goes on, uncached).  May throw only
 *		out of memory.
 */
void
cqfdw_cache_put(CqCacheWriter *w, TupleTableSlot *slot)
{
	bool		should_free;
	MinimalTuple mt;
	uint32		len;
	static const char zeros[MAXIMUM_ALIGNOF * 2] = {0};

	if (w == NULL || w->fd < 0)
		return;
	mt = ExecFetchSlotMinimalTuple(slot, &should_free);
	len = mt->t_len;
	w->bytes += MAXALIGN(sizeof(uint32)) + MAXALIGN(len);
	if (w->bytes > max_entry_bytes())
	{
		if (should_free)
			pfree(mt);
		writer_close(w);
		return;
	}
	appendBinaryStringInfo(&w->buf, (const char *) &len, sizeof(uint32));
	appendBinaryStringInfo(&w->buf, zeros, MAXALIGN(sizeof(uint32)) - sizeof(uint32));
	appendBinaryStringInfo(&w->buf, (const char *) mt, len);
	appendBinaryStringInfo(&w->buf, zeros, MAXALIGN(len) - len);
	if (should_free)
		pfree(mt);
	if (w->buf.len >= WBUF_SIZE && !flush(w))
		writer_close(w);
}

/*
 * cqfdw_cache_commit
 *		The scan read every row: put the file in place and index it,
 *		evicting least recently used entries to stay within
 *		cq_fdw.cache_size.  Anything that fails leaves the scan uncached.
 */
void
cqfdw_cache_commit(CqCacheWriter *w)
{
	CqShared   *s = cqfdw_shared();
	uint64		limit = (uint64) cqfdw_cache_size_kb * 1024;
	uint64	   *dropped;
	int			ndropped = 0;
	uint64		file;
	char		path[MAXPGPATH];
	CqCacheEntry *slot = NULL;
	TimestampTz now = GetCurrentTimestamp();

	if (w == NULL || w->fd < 0)
		return;
	if (!flush(w) || fsync(w->fd) != 0)
	{
		writer_close(w);
		return;
	}
	close(w->fd);
	w->fd = -1;
	dropped = palloc(sizeof(uint64) * (s->ncache + 1));

	cqfdw_shared_lock(s->cache_lock, LW_EXCLUSIVE);
	file = s->cache_next_file++;
	file_path(path, file);
	if (rename(w->tmppath, path) != 0)
	{
		cqfdw_shared_unlock(s->cache_lock);
		writer_close(w);
		return;
	}
	w->committed = true;
	w->tmppath[0] = '\0';
	/* the same key stored by a concurrent scan: the newer rows win */
	for (int i = 0; i < s->ncache; i++)
		if (s->cache[i].used && memcmp(s->cache[i].key, w->key, 32) == 0)
			drop_entry_locked(s, &s->cache[i], dropped, &ndropped);
	for (;;)
	{
		CqCacheEntry *lru = NULL;

		slot = NULL;
		for (int i = 0; i < s->ncache; i++)
		{
			CqCacheEntry *e = &s->cache[i];

			if (!e->used)
				slot = slot ? slot : e;
			else if (lru == NULL || e->last_used < lru->last_used)
				lru = e;
		}
		if (slot != NULL && s->cache_bytes + w->bytes <= limit)
			break;
		if (lru == NULL)
			break;
		drop_entry_locked(s, lru, dropped, &ndropped);
	}
	if (slot != NULL && s->cache_bytes + w->bytes <= limit)
	{
		slot->used = true;
		slot->ready = true;
		memcpy(slot->key, w->key, 32);
		slot->serverid = w->serverid;
		slot->file = file;
		slot->bytes = w->bytes;
		slot->expires = now + (TimestampTz) w->ttl_s * USECS_PER_SEC;
		slot->last_used = now;
		s->cache_bytes += w->bytes;
	}
	else
		dropped[ndropped++] = file;
	cqfdw_shared_unlock(s->cache_lock);
	unlink_files(dropped, ndropped);
	pfree(dropped);
}

/* ------------------------------------------------------------------------
 * SQL
 * ------------------------------------------------------------------------ */

/*
 * cq_fdw_cache_info
 *		SQL: cq_fdw.cache_info() -> one row: entries, bytes, hits, misses,
 *		max_bytes, shared (the view cq_fdw.cache).
 */
Datum
cq_fdw_cache_info(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	CqShared   *s = cqfdw_shared();
	TimestampTz now = GetCurrentTimestamp();
	Datum		values[6];
	bool		nulls[6];
	int64		entries = 0;
	int64		bytes;
	int64		hits;
	int64		misses;

	InitMaterializedSRF(fcinfo, 0);
	cqfdw_shared_lock(s->cache_lock, LW_SHARED);
	for (int i = 0; i < s->ncache; i++)
		if (s->cache[i].used && s->cache[i].ready && s->cache[i].expires > now)
			entries++;
	bytes = (int64) s->cache_bytes;
	hits = (int64) s->cache_hits;
	misses = (int64) s->cache_misses;
	cqfdw_shared_unlock(s->cache_lock);

	memset(nulls, 0, sizeof(nulls));
	values[0] = Int64GetDatum(entries);
	values[1] = Int64GetDatum(bytes);
	values[2] = Int64GetDatum(hits);
	values[3] = Int64GetDatum(misses);
	values[4] = Int64GetDatum((int64) cqfdw_cache_size_kb * 1024);
	values[5] = BoolGetDatum(s->in_shmem);
	tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	return (Datum) 0;
}

/*
 * cq_fdw_cache_clear
 *		SQL: cq_fdw.cache_clear(server name DEFAULT NULL) -> bigint: drop
 *		the cached results of one server (needs USAGE on it) or of all
 *		(superuser); returns how many were dropped.
 */
Datum
cq_fdw_cache_clear(PG_FUNCTION_ARGS)
{
	CqShared   *s = cqfdw_shared();
	Oid			serverid = InvalidOid;
	uint64	   *dropped;
	int			ndropped = 0;

	if (!PG_ARGISNULL(0))
	{
		char	   *name = NameStr(*PG_GETARG_NAME(0));
		ForeignServer *srv = GetForeignServerByName(name, false);
		AclResult	aclresult;

		aclresult = pg_foreign_server_aclcheck(srv->serverid, GetUserId(), ACL_USAGE);
		if (aclresult != ACLCHECK_OK)
			aclcheck_error(aclresult, OBJECT_FOREIGN_SERVER, srv->servername);
		serverid = srv->serverid;
	}
	else if (!superuser())
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("only a superuser may clear the whole cq_fdw cache"),
				 errhint("Name a server you have USAGE on: SELECT cq_fdw.cache_clear('server').")));

	dropped = palloc(sizeof(uint64) * (s->ncache + 1));
	cqfdw_shared_lock(s->cache_lock, LW_EXCLUSIVE);
	for (int i = 0; i < s->ncache; i++)
	{
		CqCacheEntry *e = &s->cache[i];

		if (e->used && (!OidIsValid(serverid) || e->serverid == serverid))
			drop_entry_locked(s, e, dropped, &ndropped);
	}
	cqfdw_shared_unlock(s->cache_lock);
	unlink_files(dropped, ndropped);
	PG_RETURN_INT64(ndropped);
}
