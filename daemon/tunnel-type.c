/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <string.h>

#include "netconf.h"
#include "tunnel-type.h"

uint8_t tunnel_type_to_pp(enum tunnel_type t)
{
	switch (t) {
	case TUNNEL_TYPE_WIREGUARD:
		return PP_TUNNEL_WG;
	case TUNNEL_TYPE_GRE:
		return PP_TUNNEL_GRE;
	case TUNNEL_TYPE_FOU:
		return PP_TUNNEL_FOU;
	case TUNNEL_TYPE_TCP:
		return PP_TUNNEL_TCP;
	default:
		return 0;
	}
}

uint32_t tunnel_type_pp_bit(uint8_t pp_type)
{
	switch (pp_type) {
	case PP_TUNNEL_WG:
	case PP_TUNNEL_TCP: /* WireGuard too: allowed wherever WireGuard is */
		return TUNNEL_WIREGUARD;
	case PP_TUNNEL_GRE:
		return TUNNEL_GRE;
	case PP_TUNNEL_FOU:
		return TUNNEL_FOU;
	default:
		return 0;
	}
}

size_t tunnel_types_offered(const enum tunnel_type *prefs, size_t n_prefs, uint32_t allowed,
			    uint8_t ret[TUNNEL_TYPE_COUNT])
{
	size_t n = 0;
	for (size_t i = 0; i < n_prefs && n < TUNNEL_TYPE_COUNT; i++) {
		uint8_t t = tunnel_type_to_pp(prefs[i]);
		bool dup = false;
		for (size_t j = 0; j < n; j++)
			dup |= ret[j] == t;
		if (t && !dup && (allowed & tunnel_type_pp_bit(t)))
			ret[n++] = t;
	}
	return n;
}

uint8_t tunnel_pick_endpoints(const uint8_t *offered, size_t n_offered, struct pp_endpoint *eps,
			      size_t *n)
{
	for (size_t i = 0; i < n_offered; i++) {
		const char *name = pp_tunnel_type_to_string(offered[i]);
		size_t k = 0;
		if (!name)
			continue;
		for (size_t j = 0; j < *n; j++)
			if (strcmp(eps[j].type, name) == 0)
				eps[k++] = eps[j];
		if (k) {
			*n = k;
			return offered[i];
		}
	}
	*n = 0;
	return 0;
}

size_t tunnel_endpoints_expand(const struct pp_endpoint *addrs, size_t n_addrs,
			       const uint8_t *offered, size_t n_offered, uint16_t tcp_port,
			       struct pp_endpoint *ret, size_t max)
{
	size_t n = 0;
	for (size_t i = 0; i < n_addrs; i++)
		for (size_t j = 0; j < n_offered && n < max; j++) {
			const char *name = pp_tunnel_type_to_string(offered[j]);
			if (!name)
				continue;
			ret[n] = addrs[i];
			if (offered[j] == PP_TUNNEL_TCP)
				ret[n].port = tcp_port;
			memset(ret[n].type, 0, sizeof(ret[n].type));
			memcpy(ret[n].type, name, strlen(name));
			n++;
		}
	return n;
}

size_t tunnel_endpoints_of_type(uint8_t type, const struct pp_endpoint *eps, size_t n,
				struct pp_endpoint *ret)
{
	const char *name = pp_tunnel_type_to_string(type);
	size_t k = 0;
	for (size_t i = 0; name && i < n; i++)
		if (strncmp(eps[i].type, name, sizeof(eps[i].type)) == 0)
			ret[k++] = eps[i];
	return k;
}
