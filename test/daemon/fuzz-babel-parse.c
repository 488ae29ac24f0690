/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libFuzzer target: babeld local-socket lines (daemon/babel-parse.h), and
 * the tables they update (daemon/babel-tables.h: "ok" ends a dump). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "babel-parse.h"
#include "babel-tables.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	/* Feed it line by line, as the daemon does. */
	struct babel_tables t = { 0 };
	babel_tables_begin(&t);
	char *save = NULL;
	for (char *line = strtok_r(s, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		struct babel_event ev;
		if (!strcmp(line, "ok")) {
			babel_tables_end(&t, NULL, NULL);
			babel_tables_begin(&t);
			continue;
		}
		if (babel_parse_line(line, &ev) == 0 && babel_tables_apply(&t, &ev, NULL, NULL) == 0 &&
		    (t.route_seen > t.routes.n || t.neigh_seen > t.neighs.n || t.ifc_seen > t.ifcs.n))
			abort();
		if (babel_parse_line(line, &ev) == 0 && ev.type == BABEL_LINE_ROUTE) {
			char buf[PREFIX_STRLEN];
			babel_format_prefix(&ev.route.prefix, buf);
			struct re6st_prefix back;
			if (babel_parse_prefix(buf, &back) != 0 || !prefix_equal(&back, &ev.route.prefix))
				abort();
		}
	}
	babel_tables_end(&t, NULL, NULL);
	babel_tables_free(&t);
	free(s);
	return 0;
}
