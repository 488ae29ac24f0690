/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Request-signature header and detached signature text parsers: both are
 * canonical, so formatting what was accepted gives back the input.
 */
#include <stdlib.h>
#include <string.h>

#include "reqsign.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct reqsig s;
	uint8_t sig[RE6ST_SIG_LEN];
	char buf[REQSIGN_STRLEN], sb[SIG_STRLEN];

	if (reqsig_parse((const char *)data, size, &s) == 0) {
		reqsig_format(&s, buf);
		if (strlen(buf) != size || memcmp(buf, data, size) != 0)
			abort();
	}
	if (sig_from_string((const char *)data, size, sig) == 0) {
		sig_to_string(sig, sb);
		if (strlen(sb) != size || memcmp(sb, data, size) != 0)
			abort();
	}
	return 0;
}
