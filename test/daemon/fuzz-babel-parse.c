/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libFuzzer target: babeld local-socket lines (daemon/babel-parse.h). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "babel-parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	/* Feed it line by line, as the daemon does. */
	char *save = NULL;
	for (char *line = strtok_r(s, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		struct babel_event ev;
		if (babel_parse_line(line, &ev) == 0 && ev.type == BABEL_LINE_ROUTE) {
			char buf[PREFIX_STRLEN];
			babel_format_prefix(&ev.route.prefix, buf);
			struct re6st_prefix back;
			if (babel_parse_prefix(buf, &back) != 0 || !prefix_equal(&back, &ev.route.prefix))
				abort();
		}
	}
	free(s);
	return 0;
}
