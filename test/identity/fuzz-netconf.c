/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Network configuration parser. Accepted documents must survive a
 * re-encode/re-parse round trip with the same fields.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz-common.h"
#include "netconf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool streq(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static void round_trip(struct re6st_netconf *nc, const struct re6st_ca *ca,
		       const struct re6st_key *key)
{
	uint8_t *enc = NULL;
	size_t len = 0;
	struct re6st_netconf *nc2 = NULL;

	/* Only the fields of this CA can be re-signed by it. */
	if (netconf_encode(nc, ca, key, &enc, &len) < 0)
		return;
	if (netconf_parse(enc, len, ca, &nc2) != 0)
		abort();
	if (nc2->version != nc->version || nc2->issued != nc->issued ||
	    nc2->prefix_len != nc->prefix_len || nc2->hello != nc->hello ||
	    nc2->client_count != nc->client_count || nc2->max_clients != nc->max_clients ||
	    nc2->tunnel_types != nc->tunnel_types || nc2->has_ipv4 != nc->has_ipv4 ||
	    nc2->n_revoked != nc->n_revoked || !streq(nc2->same_country, nc->same_country) ||
	    !streq(nc2->registry_url, nc->registry_url) ||
	    !streq(nc2->babel_default, nc->babel_default) ||
	    (nc->n_revoked &&
	     memcmp(nc2->revoked, nc->revoked, nc->n_revoked * sizeof(*nc->revoked)) != 0))
		abort();
	netconf_free(nc2);
	free(enc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct re6st_ca ca;
	static struct re6st_key *key;
	struct re6st_netconf *nc = NULL;
	uint64_t v;

	if (!key)
		fuzz_network(&ca, &key);
	(void)netconf_peek_version(data, size, &v);
	if (netconf_decode(data, size, &nc) == 0) {
		round_trip(nc, &ca, key);
		netconf_free(nc);
		nc = NULL;
	}
	if (netconf_parse(data, size, &ca, &nc) == 0) {
		netconf_free(nc);
		nc = NULL;
	}
	if (netconf_from_armour((const char *)data, size, &ca, &nc, NULL, NULL) == 0)
		netconf_free(nc);
	return 0;
}
