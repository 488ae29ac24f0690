/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Counts over babel's tables (babel.h: babel_count_routes_via(),
 * babel_count_neighbours(), babel_count_neighbours_2way()), through the
 * tables' accessors.
 */
#include <stdbool.h>
#include <string.h>

#include "babel.h"

size_t babel_count_routes_via(const struct babel *b, const char *ifname)
{
	const struct babel_route *r;
	size_t n = 0, nr = babel_routes(b, &r);
	for (size_t i = 0; i < nr; i++)
		if (r[i].installed && !strcmp(r[i].ifname, ifname))
			n++;
	return n;
}

/* The neighbours on ifname; two_way: only those that hear us (a finite
 * txcost: their IHUs come back). */
static size_t count_neighbours(const struct babel *b, const char *ifname, bool two_way)
{
	const struct babel_neighbour *nb;
	size_t n = 0, nn = babel_neighbours(b, &nb);
	for (size_t i = 0; i < nn; i++)
		if (!strcmp(nb[i].ifname, ifname) && (!two_way || nb[i].txcost < 0xFFFF))
			n++;
	return n;
}

size_t babel_count_neighbours(const struct babel *b, const char *ifname)
{
	return count_neighbours(b, ifname, false);
}

size_t babel_count_neighbours_2way(const struct babel *b, const char *ifname)
{
	return count_neighbours(b, ifname, true);
}
