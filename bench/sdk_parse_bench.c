/*
 * sdk_parse_bench.c -- single-threaded throughput of JSON parsing and typed
 * extraction in the SDK (see bench/README-sdk.md for the build line).
 *
 * Generates N rich items (~800 bytes of JSON each: ids, uuid, unicode name,
 * RFC 3339 timestamps with offset and fraction, epoch ms, decimal price
 * string, float, IPv4, IPv6, CIDR, MAC, string array, nested object, an array
 * of objects, nulls) as one JSON array in memory, then measures:
 *	 1. json_loadb alone;
 *	 2. json_loadb + extraction of every column by CqPath + cq_value_parse
 *		into an arena (a fresh arena per 1000-row batch, as the scheduler does).
 * Prints rows/s and MB/s for both, and the rate of the extraction step
 * alone (timed on its own inside 2).  Best of `repeats` runs.
 *
 *	 sdk_parse_bench [nrows] [repeats]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cq_sdk.h"
#include "cq_sdk_int.h"

/*
 * CPU time of this thread: the machines this runs on are shared (2 cores,
 * parallel builds), and CPU time is what a worker thread spends per row.
 * Set BENCH_WALL=1 for wall-clock time instead.
 */
static double
now(void)
{
	static int	wall = -1;
	struct timespec ts;

	if (wall < 0)
		wall = getenv("BENCH_WALL") != NULL;
	clock_gettime(wall ? CLOCK_MONOTONIC : CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static const struct
{
	const char *name;
	const char *type;
	const char *path;
}			cols[] =
{
	{"id", "int", "/id"},
	{"uid", "uuid", "/uid"},
	{"name", "string", "/name"},
	{"description", "string", "/description"},
	{"created_at", "timestamp", "/created_at"},
	{"updated_at", "timestamp", "/updated_ms"},
	{"deleted_at", "timestamp", "/deleted_at"},
	{"day", "date", "/day"},
	{"price", "numeric", "/price"},
	{"score", "float", "/score"},
	{"active", "bool", "/active"},
	{"ttl", "interval", "/ttl"},
	{"ipv4", "inet", "/net/ipv4"},
	{"ipv6", "inet", "/net/ipv6"},
	{"subnet", "cidr", "/net/cidr"},
	{"mac", "macaddr", "/net/mac"},
	{"tags", "string[]", "/tags"},
	{"owner_id", "uint", "/owner/id"},
	{"owner_login", "string", "/owner/login"},
	{"addresses", "inet[]", "/addresses/*/ip"},
	{"meta", "json", "/meta"},
};
#define NCOLS ((int) (sizeof(cols) / sizeof(cols[0])))

static char *
generate(int n, size_t *len)
{
	size_t		cap = (size_t) n * 1000 + 16;
	char	   *buf = malloc(cap);
	size_t		o = 0;

	if (!buf)
		return NULL;
	buf[o++] = '[';
	for (int i = 0; i < n; i++)
	{
		int			w = snprintf(buf + o, cap - o,
								 "%s{\"id\":%d,\"uid\":\"%08x-9c0b-4ef8-bb6d-%012x\","
								 "\"name\":\"item-%d caf\\u00e9 \xe2\x98\x83 \xe6\x97\xa5\xe6\x9c\xac\","
								 "\"description\":\"A reasonably long description of item %d with some text "
								 "that pads the row the way real APIs do, including \\\"quotes\\\" and "
								 "unicode \xc3\xa9\xc3\xa8\xc3\xaa.\","
								 "\"created_at\":\"2023-%02d-%02dT%02d:%02d:%02d.%03d-08:00\","
								 "\"updated_ms\":%lld,\"deleted_at\":null,\"day\":\"2024-02-%02d\","
								 "\"price\":\"%d.%02d\",\"score\":%d.%d,\"active\":%s,\"ttl\":\"PT%dH30M\","
								 "\"net\":{\"ipv4\":\"10.%d.%d.%d\",\"ipv6\":\"2604:A880:0800:0010:0000:0000:%04X:4001\","
								 "\"cidr\":\"10.%d.0.0/16\",\"mac\":\"08:00:2b:%02x:%02x:%02x\"},"
								 "\"tags\":[\"alpha\",\"beta-%d\",\"gamma\"],"
								 "\"owner\":{\"id\":\"18446744073709%06d\",\"login\":\"user%d\",\"type\":\"User\",\"site_admin\":false},"
								 "\"addresses\":[{\"ip\":\"192.168.%d.%d\",\"kind\":\"private\"},{\"ip\":\"2001:db8::%x\",\"kind\":\"public\"}],"
								 "\"meta\":{\"labels\":{\"env\":\"prod\",\"team\":\"t%d\"},\"rev\":%d},"
								 "\"extra\":null}",
								 i ? "," : "", i, (unsigned) i, (unsigned) (i * 7919), i, i,
								 i % 12 + 1, i % 28 + 1, i % 24, i % 60, (i * 7) % 60, i % 1000,
								 1687256130000LL + i, i % 29 + 1,
								 i % 1000, i % 100, i % 97, i % 10, (i & 1) ? "true" : "false",
								 i % 48,
								 (i >> 16) & 255, (i >> 8) & 255, i & 255, i & 0xffff,
								 i % 256, (i >> 16) & 255, (i >> 8) & 255, i & 255,
								 i, i % 1000000, i,
								 (i >> 8) & 255, i & 255, i & 0xffff, i % 50, i);

		if (w < 0 || (size_t) w >= cap - o)
		{
			free(buf);
			return NULL;
		}
		o += (size_t) w;
	}
	buf[o++] = ']';
	buf[o] = '\0';
	*len = o;
	return buf;
}

int
main(int argc, char **argv)
{
	int			n = argc > 1 ? atoi(argv[1]) : 100000;
	int			repeats = argc > 2 ? atoi(argv[2]) : 3;
	size_t		len;
	char	   *text = generate(n, &len);
	CqPath	   *paths[NCOLS];
	CqColType	types[NCOLS];
	double		best_load = 1e9,
				best_full = 1e9,
				best_extract = 1e9;
	uint64_t	errors = 0,
				nulls = 0;
	CqError		err;

	if (!text)
	{
		fprintf(stderr, "generation failed\n");
		return 1;
	}
	for (int c = 0; c < NCOLS; c++)
	{
		paths[c] = cq_path_compile(cols[c].path, &err);
		if (!paths[c] || !cq_type_parse(cols[c].type, &types[c]))
		{
			fprintf(stderr, "bad column %s\n", cols[c].name);
			return 1;
		}
	}
	printf("%d rows, %.1f MB of JSON (%.0f bytes/row), %d columns; %s time, best of %d\n",
		   n, len / 1e6, (double) len / n, NCOLS,
		   getenv("BENCH_WALL") ? "wall-clock" : "thread CPU", repeats);

	for (int r = 0; r < repeats; r++)
	{
		json_error_t jerr;
		double		t0 = now(),
					t1,
					t2;
		json_t	   *root = json_loadb(text, len, 0, &jerr);

		if (!root)
		{
			fprintf(stderr, "json: %s\n", jerr.text);
			return 1;
		}
		t1 = now();
		json_decref(root);
		if (t1 - t0 < best_load)
			best_load = t1 - t0;

		t0 = now();
		root = json_loadb(text, len, 0, &jerr);
		t1 = now();
		{
			size_t		nrows = json_array_size(root);
			CqValue    *vals = NULL;
			CqArena    *arena = NULL;

			errors = nulls = 0;
			for (size_t i = 0; i < nrows; i++)
			{
				json_t	   *row = json_array_get(root, i);

				if (i % 1000 == 0)
				{
					/* a batch: new arena, value vector from it */
					if (arena)
					{
						for (size_t k = 0; k < 1000 * (size_t) NCOLS; k++)
							if (!vals[k].isnull && vals[k].type == CQ_T_JSON && !vals[k].is_array)
								json_decref(vals[k].u.json);
						cq_arena_free(arena);
					}
					arena = cq_arena_new(256 * 1024);
					vals = cq_arena_alloc(arena, 1000 * NCOLS * sizeof(CqValue));
					memset(vals, 0, 1000 * NCOLS * sizeof(CqValue));
					for (size_t k = 0; k < 1000 * (size_t) NCOLS; k++)
						vals[k].isnull = 1;
				}
				for (int c = 0; c < NCOLS; c++)
				{
					CqValue    *v = &vals[(i % 1000) * NCOLS + c];

					if (!cqp_path_parse(paths[c], row, types[c], arena, v, &err))
					{
						if (errors == 0)
							fprintf(stderr, "value error: %s [%s] col %s\n", err.message,
									err.api_message, cols[c].name);
						errors++;
					}
					else if (v->isnull)
						nulls++;
				}
			}
			if (arena)
			{
				for (size_t k = 0; k < 1000 * (size_t) NCOLS; k++)
					if (!vals[k].isnull && vals[k].type == CQ_T_JSON && !vals[k].is_array)
						json_decref(vals[k].u.json);
				cq_arena_free(arena);
			}
		}
		t2 = now();
		json_decref(root);
		if (t2 - t0 < best_full)
			best_full = t2 - t0;
		if (t2 - t1 < best_extract)
			best_extract = t2 - t1;
	}

	printf("json_loadb only:          %.3f s  %8.0f rows/s  %6.1f MB/s\n",
		   best_load, n / best_load, len / 1e6 / best_load);
	printf("json_loadb + typed parse: %.3f s  %8.0f rows/s  %6.1f MB/s\n",
		   best_full, n / best_full, len / 1e6 / best_full);
	printf("typed parse alone:        %.3f s  %8.0f rows/s  %6.1f MB/s  (%d columns, %.0f ns/value)\n",
		   best_extract, n / best_extract, len / 1e6 / best_extract, NCOLS,
		   best_extract * 1e9 / ((double) n * NCOLS));
	printf("value errors: %llu, nulls: %llu (expected per run: 0 errors, %d nulls)\n",
		   (unsigned long long) errors, (unsigned long long) nulls, n);
	for (int c = 0; c < NCOLS; c++)
		cq_path_free(paths[c]);
	free(text);
	return errors ? 1 : 0;
}
