/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * babel-opts [HELLO [LINK_COST]]: prints the options re6stnet puts on every
 * tunnel's babeld "interface" line (babel_tunnel_options()), for
 * test-babel-metric.sh, which runs babeld with exactly them.
 */
#include <stdio.h>
#include <stdlib.h>

#include "babel.h"
#include "netconf.h"

int main(int argc, char **argv)
{
	struct babel_params p = {
		.hello = argc > 1 ? (unsigned)atoi(argv[1]) : NETCONF_DEFAULT_HELLO,
		.link_cost = argc > 2 ? (unsigned)atoi(argv[2]) : NETCONF_DEFAULT_LINK_COST,
	};
	char *s = babel_tunnel_options(&p);
	if (!s)
		return 1;
	printf("%s\n", s);
	free(s);
	return 0;
}
