/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libFuzzer target: the --community file parser. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "community.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct community_map m = {};
	unsigned line;
	const char *err;

	if (community_parse((const char *)data, size, &m, &line, &err) == 0) {
		/* A parsed map always has a default community. */
		const char *p = community_lookup(&m, "ZZ", "ZZ");
		if (!p)
			__builtin_trap();
		for (size_t i = 0; i < m.n; i++)
			for (size_t j = 0; j < m.n; j++)
				if (i != j && strncmp(m.c[i].prefix, m.c[j].prefix,
						      strlen(m.c[i].prefix)) == 0)
					__builtin_trap(); /* overlap accepted */
	}
	community_map_clear(&m);
	return 0;
}
