/* SPDX-License-Identifier: GPL-2.0-or-later */
/* CA parser (binary and armoured) and fingerprint pinning strings. */
#include <stdlib.h>
#include <string.h>

#include "fuzz-common.h"
#include "identity.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct re6st_ca ref;
	static bool ready;
	struct re6st_ca ca, ca2;
	uint8_t bin[CA_SIZE];
	char *s;

	if (!ready) {
		fuzz_network(&ref, NULL);
		ready = true;
	}
	if (ca_decode(data, size, &ca) == 0) {
		ca_encode(&ca, bin);
		if (memcmp(bin, data, CA_SIZE) != 0)
			abort();
	}
	if (ca_from_armour((const char *)data, size, &ca) == 0) {
		char *text = NULL;
		if (ca_to_armour(&ca, &text) < 0 || ca_from_armour(text, strlen(text), &ca2) != 0 ||
		    !ca_equal(&ca, &ca2) || memcmp(ca.fingerprint, ca2.fingerprint, 16) != 0)
			abort();
		free(text);
	}
	s = malloc(size + 1);
	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = 0;
	(void)ca_fingerprint_check(&ref, s);
	free(s);
	return 0;
}
