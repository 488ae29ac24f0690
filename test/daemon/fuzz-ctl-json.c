/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libFuzzer target: re6stctl's JSON reader (ctl/json.h). */
#include <stdint.h>
#include <stdlib.h>

#include "json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct json *j = NULL;
	if (json_parse((const char *)data, size, &j) == 0) {
		char cell[64];
		json_cell(json_get(j, "error"), cell, sizeof(cell));
		json_free(j);
	}
	return 0;
}
