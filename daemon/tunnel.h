/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tunnel.h - the tunnel manager: a random mesh of kernel tunnels
 * (WireGuard by default; GRE or GRE in FOU on trusted underlays when the
 * node offers them and the network allows them), rotated at random
 * without losing traffic (docs/tunnel-manager.md).
 *
 * It owns a pool of interfaces: WireGuard client interfaces (re6stcN, one
 * per client tunnel, at most --client-count) and server interfaces
 * (re6stsN, one per accepted client, each listening on its own port of
 * --wg-port-range, at most --max-clients, made when clients come, a few
 * spares kept); GRE (re6sgN) and GRE-in-FOU (re6sfN) links for either
 * role, and one FOU receive port (--fou-port). An interface is
 * reprogrammed in place (WireGuard peer replaced, GRE remote changed) when
 * its tunnel is rotated; it is declared to babeld only while it has a peer.
 *
 * Whenever something is due (its next deadline; docs/tunnel-manager.md,
 * "When the manager runs") or a message or event concerns it, it:
 *   - opens client tunnels up to the target count to peers chosen at
 *     random among the distant nodes babel knows (--neighbour first,
 *     anchors for their share), then from the peer cache, then the
 *     registry's bootstrap peer; at most 2 while no client has reached us
 *     from outside;
 *   - every tunnel-refresh seconds, drains then destroys a random share of
 *     the client tunnels, busy ones less often, never --neighbour ones,
 *     and destroys a drained tunnel still in use at the drain limit
 *     (daemon/policy.h states the rule and its exceptions);
 *   - reclaims tunnels whose WireGuard handshake is stale (GRE: whose
 *     babel neighbour is gone).
 *
 * Its files and their order are in tunnel-mgr.h.
 * All kernel objects go through daemon/objects.h (journaled).
 */
#ifndef RE6ST_DAEMON_TUNNEL_H
#define RE6ST_DAEMON_TUNNEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ctx;
struct options;
struct tunnel_mgr;

/*
 * Module hooks. init needs c->nl, c->key, c->cert, c->events, c->peer (it
 * registers its peer_handler there: set-up requests and answers, addresses,
 * tunnel messages, its peer list), c->endpoints; c->babel may be NULL. It
 * subscribes to EV_NETCONF (revoked peers' tunnels go, parameters apply)
 * and EV_PEER_REVOKED (the peer's tunnels go, it leaves the peer cache and
 * is not chosen again for 10 minutes: its prefix may go to a new node).
 */
int tunnel_init(struct ctx *c);
void tunnel_fini(struct ctx *c);
/* Take --neighbour and --anchor from o (again: SIGHUP). 0 or -ENOMEM. */
int tunnel_set_lists(struct tunnel_mgr *t, const struct options *o);

/* For the node's health (re6stctl status): tunnels up, either role, and
 * whether a client reached us over the underlay in the last 10 minutes. */
struct tunnel_health {
	size_t up;
	bool reachable;
};
void tunnel_health(const struct tunnel_mgr *t, struct tunnel_health *ret);

#endif
