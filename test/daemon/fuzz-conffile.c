/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libFuzzer target: re6stnet.conf / @FILE text through the option table. */
#include <stdint.h>
#include <stdlib.h>

#include "options.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct options o;
	struct conf_parser p;
	char err[512];
	options_init(&o);
	conf_parser_init(&p, options_table, options_table_size, &o, err, sizeof(err));
	p.no_include = true; /* never open files named by the input */
	if (conf_parser_buffer(&p, "fuzz", (const char *)data, size) == 0)
		options_finish(&o, err, sizeof(err));
	options_done(&o);
	return 0;
}
