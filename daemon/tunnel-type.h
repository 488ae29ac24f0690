/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tunnel-type.h - which tunnel types a node offers, which it advertises and
 * which one a client uses towards a peer (pure: no kernel, no state).
 *
 * A node offers the types of its --tunnel-type list (by preference) that the
 * network configuration allows (TUNNEL_* mask of lib/netconf.h). It
 * advertises one endpoint per address and offered type. A client uses the
 * first of its offered types for which the peer advertises an endpoint, and
 * only the endpoints of that type (docs/tunnel-manager.md).
 */
#ifndef RE6ST_DAEMON_TUNNEL_TYPE_H
#define RE6ST_DAEMON_TUNNEL_TYPE_H

#include <stddef.h>
#include <stdint.h>

#include "options.h"
#include "peerproto.h"

/* enum pp_tunnel_type of an option's type; 0 for TUNNEL_TYPE_NONE. */
uint8_t tunnel_type_to_pp(enum tunnel_type t);
/* The TUNNEL_* bit (lib/netconf.h) of a PP_TUNNEL_* type; 0 if unknown. */
uint32_t tunnel_type_pp_bit(uint8_t pp_type);

/*
 * The PP_TUNNEL_* types of prefs, in order, that allowed (TUNNEL_* mask)
 * permits, into ret (room for TUNNEL_TYPE_COUNT). Returns how many.
 */
size_t tunnel_types_offered(const enum tunnel_type *prefs, size_t n_prefs, uint32_t allowed,
			    uint8_t ret[TUNNEL_TYPE_COUNT]);

/*
 * Keep, in place and in their order, the endpoints of eps (*n of them) of
 * the first type of offered that any of them has; *n becomes their count.
 * Returns that PP_TUNNEL_* type, or 0 (and *n = 0) when the peer
 * advertises none of our types.
 */
uint8_t tunnel_pick_endpoints(const uint8_t *offered, size_t n_offered, struct pp_endpoint *eps,
			      size_t *n);

/*
 * Our endpoint list: each of addrs (family, addr, port, country set) once
 * per offered type, addresses first; a tcp entry has tcp_port instead of
 * the address's port. Writes at most max entries to ret. Returns the
 * count; those beyond max are left out.
 */
size_t tunnel_endpoints_expand(const struct pp_endpoint *addrs, size_t n_addrs,
			       const uint8_t *offered, size_t n_offered, uint16_t tcp_port,
			       struct pp_endpoint *ret, size_t max);

/* The endpoints of eps (n) of that PP_TUNNEL_* type, in order, into ret
 * (room for n). Returns their count. */
size_t tunnel_endpoints_of_type(uint8_t type, const struct pp_endpoint *eps, size_t n,
				struct pp_endpoint *ret);

#endif
