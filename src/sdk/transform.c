/*-------------------------------------------------------------------------
 *
 * transform.c
 *		  Column transforms: what a spec column does to a string value
 *		  before it is parsed as the column's type.
 *
 * APIs often name a related resource by URL or resource id where users
 * filter on the short name: a GCP instance's zone is
 * ".../projects/p/zones/us-central1-a", an Azure NIC's resource group lives
 * inside its ARM id "/subscriptions/s/resourceGroups/rg/providers/...".
 * A transform returns a substring of the value (no copy, no allocation), so
 * it costs nothing on the hot path and cannot fail on hostile input: at
 * worst it finds nothing and the value is NULL.
 *
 * Copyright (c) 2026, cq_fdw developers
 *
 *-------------------------------------------------------------------------
 */
#include <string.h>
#include <strings.h>

#include "cq_sdk.h"

/*
 * cq_column_transform
 *		See cq_sdk.h.  Pure function of its arguments; thread-safe.
 */
bool
cq_column_transform(const CqColumnDef *col, const char *s, size_t len,
					const char **out, size_t *outlen)
{
	size_t		end = len;

	*out = s;
	*outlen = len;
	if (col == NULL || col->transform_kind == CQ_XFORM_NONE)
		return true;

	/* ignore a query string or fragment and trailing slashes */
	for (size_t i = 0; i < len; i++)
		if (s[i] == '?' || s[i] == '#')
		{
			end = i;
			break;
		}
	while (end > 0 && s[end - 1] == '/')
		end--;

	if (col->transform_kind == CQ_XFORM_LAST_SEGMENT)
	{
		size_t		start = end;

		while (start > 0 && s[start - 1] != '/')
			start--;
		*out = s + start;
		*outlen = end - start;
		return true;
	}

	if (col->transform_kind == CQ_XFORM_SEGMENT_AFTER && col->transform_arg)
	{
		size_t		alen = strlen(col->transform_arg);
		size_t		i = 0;

		/* walk the segments; a match is a whole segment, any case */
		while (i < end)
		{
			size_t		seg = i;

			while (seg < end && s[seg] == '/')
				seg++;
			i = seg;
			while (i < end && s[i] != '/')
				i++;
			if (i - seg == alen && strncasecmp(s + seg, col->transform_arg, alen) == 0)
			{
				size_t		vstart = i,
							vend;

				while (vstart < end && s[vstart] == '/')
					vstart++;
				vend = vstart;
				while (vend < end && s[vend] != '/')
					vend++;
				if (vend == vstart)
					return false;
				*out = s + vstart;
				*outlen = vend - vstart;
				return true;
			}
		}
		return false;
	}
	return true;
}
