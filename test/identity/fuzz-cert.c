/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Certificate parser: binary and armoured, structural and verified. */
#include <stdlib.h>
#include <string.h>

#include "fuzz-common.h"
#include "identity.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct re6st_ca ca;
	static bool ready;
	struct re6st_cert c, d;
	uint8_t bin[CERT_SIZE];
	char *text = NULL;

	if (!ready) {
		fuzz_network(&ca, NULL);
		ready = true;
	}
	if (cert_decode(data, size, &c) == 0) {
		/* Decoding is exact: re-encoding gives the same bytes. */
		cert_encode(&c, bin);
		if (memcmp(bin, data, CERT_SIZE) != 0)
			abort();
		(void)cert_verify(&c, &ca, FUZZ_NOW);
	}
	(void)cert_parse(data, size, &ca, FUZZ_NOW, &c);
	if (cert_from_armour_unverified((const char *)data, size, &c) == 0) {
		if (cert_to_armour(&c, &text) < 0)
			abort();
		if (cert_from_armour_unverified(text, strlen(text), &d) != 0 ||
		    memcmp(&c, &d, sizeof(c)) != 0)
			abort();
		free(text);
	}
	(void)cert_from_armour((const char *)data, size, &ca, FUZZ_NOW, &c);
	if (cert_from_base64((const char *)data, size, &c) == 0) {
		char b[CERT_B64LEN];
		if (memcmp(cert_to_base64(&c, b), data, size) != 0)
			abort();
	}
	return 0;
}
