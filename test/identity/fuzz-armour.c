/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Armour decoder: first byte picks the expected label, the rest is the text. */
#include <stdlib.h>
#include <string.h>

#include "armour.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	enum armour_label label, peeked;
	uint8_t *out = NULL, *out2 = NULL;
	size_t len = 0, len2 = 0;
	char *text = NULL;

	if (size < 1)
		return 0;
	label = (enum armour_label)(data[0] % _ARMOUR_LABEL_MAX);
	data++;
	size--;
	(void)armour_peek_label((const char *)data, size, &peeked);
	if (armour_decode(label, (const char *)data, size, &out, &len) != 0)
		return 0;
	if (armour_peek_label((const char *)data, size, &peeked) != 0 || peeked != label)
		abort();
	if (armour_encode(label, out, len, &text) != 0 ||
	    armour_decode(label, text, strlen(text), &out2, &len2) != 0 || len2 != len ||
	    memcmp(out, out2, len) != 0)
		abort();
	free(out);
	free(out2);
	free(text);
	return 0;
}
