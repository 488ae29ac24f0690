/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The nodes babel hears directly on LAN interfaces (babel.h,
 * babel_direct_prefixes()).
 */
#include <string.h>

#include "babel.h"

size_t babel_direct_prefixes(const struct babel *b, char *const *ifnames, size_t n_if,
			     const struct re6st_prefix *within, struct re6st_prefix *ret, size_t max)
{
	const struct babel_route *r;
	size_t nr = babel_routes(b, &r), n = 0;
	for (size_t i = 0; i < nr && n < max; i++) {
		/* refmetric 0: the neighbour announces its own prefix. */
		if (r[i].refmetric != 0 || !prefix_contains(within, &r[i].prefix) ||
		    r[i].prefix.len <= within->len)
			continue;
		bool lan = false, dup = false;
		for (size_t j = 0; j < n_if && !lan; j++)
			lan = !strcmp(r[i].ifname, ifnames[j]);
		for (size_t j = 0; j < n && !dup; j++)
			dup = prefix_equal(&ret[j], &r[i].prefix);
		if (lan && !dup)
			ret[n++] = r[i].prefix;
	}
	return n;
}
