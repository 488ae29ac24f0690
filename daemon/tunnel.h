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
 * Every second (the tick) it:
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
#include <sys/socket.h>

#include "identity.h"
#include "peerproto.h"
#include "prefix.h"

struct ctx;
struct tunnel_mgr;

/* Module hooks. init needs c->nl, c->key, c->cert; c->babel may be NULL. */
int tunnel_init(struct ctx *c);
void tunnel_fini(struct ctx *c);

/* ---- called by daemon/peer.c, after authentication ---- */

/*
 * A set-up request from the holder of `client` (already verified, not
 * revoked) arriving from src. Programs the server side, then returns the
 * status to answer (enum pp_setup_status) with *ret_port set when OK (the
 * WireGuard port, our FOU port for fou, our peer port for gre).
 */
int tunnel_serve(struct tunnel_mgr *t, const struct re6st_cert *client,
		 const struct sockaddr_storage *src, const struct pp_msg *req, uint16_t *ret_port,
		 uint16_t *ret_retry_after);
/* The answer to one of our set-up requests (server's certificate verified). */
void tunnel_on_setup_answer(struct tunnel_mgr *t, const struct re6st_cert *server,
			    const struct sockaddr_storage *src, const struct pp_msg *m);
/* An address answer from peer (validated endpoint list). */
void tunnel_on_address(struct tunnel_mgr *t, const struct re6st_prefix *peer, const char *list,
		       size_t len);
/* tunnel-drain / undrain / destroy / destroy-ack from peer. */
void tunnel_on_tunnel_msg(struct tunnel_mgr *t, const struct re6st_prefix *peer,
			  enum pp_type type, uint8_t role);
/* The network configuration changed: drop revoked peers, apply parameters. */
void tunnel_on_netconf(struct tunnel_mgr *t);
/*
 * An authenticated message came from peer with a revoked certificate: its
 * tunnels (even one being set up) are freed, it leaves the peer cache and
 * is not chosen again for 10 minutes (its prefix may go to a new node).
 */
void tunnel_on_revoked_peer(struct tunnel_mgr *t, const struct re6st_prefix *peer);

/* Our underlay endpoints "ip,port,type[,country];..." for address answers:
 * one per address and offered type, port the peer-protocol port. */
int tunnel_my_endpoints(struct tunnel_mgr *t, char *buf, size_t size);
/* Tell the manager the public address a peer or the UPnP gateway saw. */
void tunnel_learn_address(struct tunnel_mgr *t, int family, const uint8_t addr[16],
			  uint16_t port, bool from_upnp);

/* For the node's health (re6stctl status): tunnels up, either role, and
 * whether a client reached us over the underlay in the last 10 minutes. */
struct tunnel_health {
	size_t up;
	bool reachable;
};
void tunnel_health(const struct tunnel_mgr *t, struct tunnel_health *ret);

/*
 * Peers we have a tunnel with: clients first (n_client of them), then the
 * served ones. Returns the total count; *ret points to an internal array
 * valid until the next return to the loop.
 */
size_t tunnel_peer_prefixes(struct tunnel_mgr *t, const struct re6st_prefix **ret,
			    size_t *ret_n_client);

#endif
