/* SPDX-License-Identifier: GPL-2.0-or-later */
/* re6st-fetch's output frame parser: an accepted frame must hold together. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fetch-frame.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fetch_frame f;
	/* An exact-size copy: reads past the input show under ASan. */
	char *buf = malloc(size ? size : 1);

	if (!buf)
		return 0;
	memcpy(buf, data, size);
	if (fetch_frame_parse(buf, size, "Re6st-Answer-Signature", &f) == 0) {
		if (f.failed) {
			if (f.err <= 0 || f.err > 4095 || !f.message[0] ||
			    strlen(f.message) >= sizeof(f.message))
				abort();
		} else {
			if (f.status < 100 || f.status > 599 || f.body_len > FETCH_MAX_BODY ||
			    f.body + f.body_len != buf + size || f.body < buf)
				abort();
			if (!f.has_header && f.header[0])
				abort();
		}
	}
	free(buf);
	return 0;
}
