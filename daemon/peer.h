/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * peer.h - the daemon's end of the peer protocol (docs/peer-protocol.md).
 *
 * Two UDP sockets, both on --peer-port (326):
 *   - the overlay socket, bound to the node's re6st address (IPV6_FREEBIND:
 *     the address may come later), for gossip, addresses, the drain and
 *     destruction handshake, node information and topology;
 *   - the underlay socket, bound to [::] (IPv4-mapped too), where tunnel
 *     set-up requests arrive and answers come back, and reachability
 *     probes (reach.h) are sent for others and received for us.
 * Every datagram is authenticated (signature, certificate from our CA not
 * revoked, recipient is us, overlay source inside the sender's prefix,
 * freshness and replay), then handed to the handler table the tunnel
 * manager registered (peer_set_handler()) or answered here. Bad datagrams
 * are dropped with a rate-limited log line, never answered. A message
 * from a revoked certificate posts EV_PEER_REVOKED; a network configuration
 * gossiped by a peer goes to daemon_offer_netconf() (netconf-store.h); on
 * EV_NETCONF the tunnel peers are told the new version.
 *
 * Module: peer_init() needs c->events, c->key, c->cert, c->ca, c->netconf
 * (may be NULL). Messages for the tunnel manager are dropped (set-up
 * requests answered "internal") until it registers its handlers.
 */
#ifndef RE6ST_DAEMON_PEER_H
#define RE6ST_DAEMON_PEER_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include "identity.h"
#include "peerproto.h"
#include "prefix.h"

struct ctx;
struct peer_srv;

/* Module hooks for daemon/main.c. 0 or -errno (logged). */
int peer_init(struct ctx *c);
void peer_fini(struct ctx *c);

/* Open the sockets on an explicit overlay address / ports (tests). */
int peer_srv_new(struct ctx *c, const uint8_t overlay_addr[16], uint16_t overlay_port,
		 uint16_t underlay_port, struct peer_srv **ret);
void peer_srv_free(struct peer_srv *p);

/*
 * What the module above (the tunnel manager) does with the messages for
 * it, all after authentication; any entry may be NULL (message dropped).
 *   serve         a set-up request from the holder of `client` arriving
 *                 from src: returns the status to answer (enum
 *                 pp_setup_status), *ret_port (WireGuard port, our FOU
 *                 port, or our peer port for GRE) when OK, *ret_retry_after
 *                 (s) when refused for a while;
 *   setup_answer  the answer to one of our set-up requests;
 *   address       an address answer (validated endpoint list);
 *   tunnel_msg    tunnel-drain / undrain / destroy / destroy-ack;
 *   probed        a probe (reach.h) from `from` for our probe-request
 *                 request_seq reached our underlay socket;
 *   tunnel_peers  the peers we have a tunnel with: clients first
 *                 (*ret_n_client of them), then the served ones; the array
 *                 stays valid until the next return to the loop.
 */
struct peer_handler {
	int (*serve)(void *userdata, const struct re6st_cert *client,
		     const struct sockaddr_storage *src, const struct pp_msg *req,
		     uint16_t *ret_port, uint16_t *ret_retry_after);
	void (*setup_answer)(void *userdata, const struct re6st_cert *server,
			     const struct sockaddr_storage *src, const struct pp_msg *m);
	void (*address)(void *userdata, const struct re6st_prefix *peer, const char *list,
			size_t len);
	void (*tunnel_msg)(void *userdata, const struct re6st_prefix *peer, enum pp_type type,
			   uint8_t role);
	size_t (*tunnel_peers)(void *userdata, const struct re6st_prefix **ret,
			       size_t *ret_n_client);
	void (*probed)(void *userdata, const struct re6st_prefix *from, uint64_t request_seq);
};
/* Register (copied) or, with NULL, remove the handlers. */
void peer_set_handler(struct peer_srv *p, const struct peer_handler *h, void *userdata);

/*
 * Fill seq, cert and recipient of m and send it over the overlay to the
 * node owning `to`. 0, or -errno from encoding or sendto() (-ENETUNREACH
 * when babel has no route yet).
 */
int peer_send(struct peer_srv *p, const struct re6st_prefix *to, struct pp_msg *m);

/*
 * Same over the underlay to dst (an AF_INET or AF_INET6 socket address);
 * *ret_seq (may be NULL) gets the seq used, to match the answer.
 */
int peer_send_underlay(struct peer_srv *p, const struct sockaddr_storage *dst,
		       const struct re6st_prefix *to, struct pp_msg *m, uint64_t *ret_seq);

/* Announce our network configuration version to every tunnel peer. */
void peer_announce_netconf(struct peer_srv *p);

/*
 * A tunnel came up (the tunnel manager says so): 5 s later, once babel
 * routes over it, the version goes to every tunnel peer (one announcement
 * for the tunnels that came up meanwhile), and again 15 and 35 s after, in
 * case babel was slower. A node that missed a version while it was cut
 * off, or restarted from its cache, so catches up at its next tunnel
 * rather than at the registry poll. NULL: no-op.
 */
void peer_tunnel_up(struct peer_srv *p);


/* Known peers (certificate seen), for the `peers` control command. */
struct peer_known {
	struct re6st_prefix prefix;
	uint64_t cert_serial, cert_not_after;
	uint64_t netconf_version; /* last version it announced, 0 unknown */
	uint64_t last_rx_ms;      /* loop time of its last valid message */
	char software[64];        /* from node-info, "" unknown */
};
/* Pointer to the array, valid until the next return to the loop. */
size_t peer_known_list(const struct peer_srv *p, const struct peer_known **ret);

#endif
