/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libFuzzer target: the registry's argument parser (query strings and bodies). */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "query.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct query q = {};
	const char *err;
	/* First byte splits the input in two sources (URL query, then body). */
	size_t cut = size ? data[0] % (size) : 0;

	if (size == 0)
		return 0;
	if (query_parse(&q, (const char *)data + 1, cut ? cut - 1 : 0, &err) == 0) {
		size_t before = q.n;
		if (query_parse(&q, (const char *)data + (cut ? cut : 1), size - (cut ? cut : 1),
				&err) < 0 && q.n != before)
			__builtin_trap(); /* a failed parse must leave q unchanged */
		for (size_t i = 0; i < q.n; i++)
			if (!query_get(&q, q.arg[i].key) || strlen(q.arg[i].key) == 0)
				__builtin_trap();
	}
	query_clear(&q);
	return 0;
}
