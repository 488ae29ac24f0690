/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer target: re6stctl topology's reading of the registry's versions
 * and topology answers (ctl/topology.h), in the three formats.  The input
 * is the two answers separated by a NUL byte.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "topology.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static FILE *out;
	const char *s = (const char *)data, *nul = memchr(s, 0, size);

	if (!out)
		out = fopen("/dev/null", "w");
	if (!out || !nul)
		return 0;
	for (int f = TOPOLOGY_TABLE; f <= TOPOLOGY_DOT; f++)
		(void)topology_print(s, (size_t)(nul - s), nul + 1, size - (size_t)(nul - s) - 1,
				     (enum topology_format)f, out);
	return 0;
}
