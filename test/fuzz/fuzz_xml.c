/*
 * fuzz_xml.c -- libFuzzer target for the AWS XML reader (xml.c, libxml2
 * SAX2).
 *
 * Each input is converted three ways: without options, with EC2's list
 * names and a projection of the rows /reservationSet/ * /instancesSet
 * (keys instanceId and tagSet), and with a projection that keeps no
 * member (what count(*) reads) under small max_depth/max_string limits.
 * Checks: a NULL result always comes with an error kind; a result with a
 * projection has, wherever the unprojected one has it, the same envelope
 * (every top-level member but reservationSet) and the same kept members of
 * each row.  Build: make -C src/sdk fuzz-build (clang + libFuzzer).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cq_sdk.h"
#include "xml.h"

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const lists[] = {"reservationSet", "instancesSet", "tagSet", "groupSet", NULL};
static const char *const segs[] = {"reservationSet", "*", "instancesSet"};
static const char *const keys[] = {"instanceId", "tagSet", NULL};
static const char *const nokeys[] = {NULL};

/* Same kept members in every row of a and b (b projected). */
static void
same_rows(json_t *a, json_t *b)
{
	json_t	   *ra = json_object_get(a, "reservationSet");
	json_t	   *rb = json_object_get(b, "reservationSet");
	size_t		i;

	if (!json_is_array(ra) || !json_is_array(rb))
		return;
	if (json_array_size(ra) != json_array_size(rb))
		abort();
	for (i = 0; i < json_array_size(ra); i++)
	{
		json_t	   *ia = json_object_get(json_array_get(ra, i), "instancesSet");
		json_t	   *ib = json_object_get(json_array_get(rb, i), "instancesSet");

		if (!json_is_array(ia) || !json_is_array(ib))
			continue;
		if (json_array_size(ia) != json_array_size(ib))
			abort();
		for (size_t k = 0; k < json_array_size(ia); k++)
			for (int m = 0; keys[m]; m++)
			{
				json_t	   *va = json_object_get(json_array_get(ia, k), keys[m]);
				json_t	   *vb = json_object_get(json_array_get(ib, k), keys[m]);

				if ((va || vb) && !json_equal(va, vb))
					abort();
			}
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	CqError		err;
	CqpXmlOptions o;
	json_t	   *full;
	json_t	   *proj;
	json_t	   *none;

	if (size > 1 << 20)
		return 0;
	memset(&o, 0, sizeof(o));
	o.list_names = lists;
	full = cqp_xml_to_json((const char *) data, size, &o, &err);
	if (!full && err.kind == CQ_ERR_NONE)
		abort();
	o.rows_segs = segs;
	o.nrows_segs = 3;
	o.row_keys = keys;
	proj = cqp_xml_to_json((const char *) data, size, &o, &err);
	if (!proj && err.kind == CQ_ERR_NONE)
		abort();
	/* a projection never changes whether a document is accepted */
	if ((full == NULL) != (proj == NULL))
		abort();
	if (full && proj)
	{
		const char *k;
		json_t	   *v;

		json_object_foreach(full, k, v)
			if (strcmp(k, "reservationSet") != 0 && !json_equal(v, json_object_get(proj, k)))
			abort();
		same_rows(full, proj);
	}
	o.row_keys = nokeys;
	o.max_depth = 8;
	o.max_string = 64;
	none = cqp_xml_to_json((const char *) data, size, &o, &err);
	if (!none && err.kind == CQ_ERR_NONE)
		abort();
	json_decref(full);
	json_decref(proj);
	json_decref(none);
	return 0;
}
