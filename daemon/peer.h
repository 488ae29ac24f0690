/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * peer.h - the daemon's end of the peer protocol (docs/peer-protocol.md).
 *
 * Two UDP sockets, both on --peer-port (326):
 *   - the overlay socket, bound to the node's re6st address (IPV6_FREEBIND:
 *     the address may come later), for gossip, addresses, the drain and
 *     destruction handshake, node information and topology;
 *   - the underlay socket, bound to [::] (IPv4-mapped too), where tunnel
 *     set-up requests arrive and answers come back.
 * Every datagram is authenticated (signature, certificate from our CA not
 * revoked, recipient is us, overlay source inside the sender's prefix,
 * freshness and replay), then handed to the tunnel manager or answered
 * here. Bad datagrams are dropped with a debug log, never answered.
 *
 * Module: peer_init() needs c->key, c->cert, c->ca, c->netconf (may be
 * NULL); c->tunnels may appear later (messages for it are dropped before).
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

/* The re6st address of the node owning prefix (prefix, host part ::1). */
void peer_node_address(const struct re6st_prefix *prefix, uint8_t ret[16]);

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
 * A newer signed network configuration (from the registry or a peer):
 * verify, take it if newer, store it, apply revocations (tunnel manager)
 * and gossip it. 0 if taken, -EALREADY if not newer, or a netconf_parse()
 * error.
 */
int peer_offer_netconf(struct peer_srv *p, const uint8_t *doc, size_t len);

/* Counters for tests, status and the control socket. */
struct peer_stats {
	uint64_t rx, tx, dropped_malformed, dropped_auth, dropped_replay, rate_limited;
	uint64_t setup_ok, setup_refused;
};
void peer_get_stats(const struct peer_srv *p, struct peer_stats *ret);

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
