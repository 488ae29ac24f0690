/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libFuzzer target: the control socket's "ping" and "monitor" request
 * parsers (daemon/control-int.h): the rest of a request line, any bytes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "control-int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 600)
		return 0;
	char *s = malloc(size + 1);
	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	uint8_t addr[16];
	struct re6st_prefix p;
	unsigned classes;
	char err[128];
	if (control_parse_ping(s, addr, &p, err, sizeof(err)) == 0 &&
	    !prefix_contains_address(&p, addr))
		abort(); /* the address to ping is inside NODE */
	if (control_parse_monitor(s, &classes, err, sizeof(err)) == 0 &&
	    (!classes || classes & ~(unsigned)MON_ALL))
		abort();
	free(s);
	return 0;
}
