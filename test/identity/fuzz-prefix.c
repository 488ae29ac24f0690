/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Prefix text and bit-string parsers; accepted input must round-trip. */
#include <stdlib.h>
#include <string.h>

#include "prefix.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct re6st_prefix p, q, net = { .addr = { 0x20, 0x01, 0x0d, 0xb8 }, .len = 32 };
	char buf[PREFIX_STRLEN], bits[129];
	uint8_t addr[16];
	char *s = malloc(size + 1);

	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = 0;
	if (prefix_parse(s, &p) == 0) {
		if (!prefix_is_canonical(&p) || prefix_parse(prefix_format(&p, buf), &q) != 0 ||
		    !prefix_equal(&p, &q))
			abort();
		if (prefix_contains(&net, &p) &&
		    (prefix_to_bit_string(&net, &p, bits) != 0 ||
		     prefix_from_bit_string(&net, bits, &q) != 0 || !prefix_equal(&p, &q)))
			abort();
	}
	if (prefix_parse_relaxed(s, &p) == 0 && !prefix_is_canonical(&p))
		abort();
	(void)prefix_parse_address(s, addr);
	if (prefix_from_bit_string(&net, s, &p) == 0 &&
	    (prefix_to_bit_string(&net, &p, bits) != 0 || strcmp(bits, s) != 0))
		abort();
	free(s);
	return 0;
}
