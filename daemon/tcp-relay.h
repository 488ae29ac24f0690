/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tcp-relay.h - WireGuard over TCP: the daemon's relay between WireGuard's
 * UDP socket on loopback and TCP connections to other nodes
 * (docs/tunnel-manager.md, "TCP links"; framing in tcp-frame.h).
 *
 * WireGuard stays the data path: it encrypts and authenticates; the relay
 * only moves its datagrams. All sockets are non-blocking and driven by the
 * daemon's loop; no thread, no process per link.
 *
 * A link has two channels, each a UDP socket on 127.0.0.1 connected to one
 * local receiver: WireGuard, and the peer protocol (the tunnel set-up
 * exchange goes over the same TCP connection as the tunnel's packets).
 *
 * Client side, one link per tunnel: WireGuard's peer endpoint is set to
 * the WireGuard channel's port (tcp_link_port()), set-up requests are sent
 * to the peer-protocol channel's (tcp_link_pp_port()). Each datagram sent
 * there is framed onto one TCP connection to the server; frames coming back
 * go to the receiver of their kind from the same socket. A lost connection
 * is not made again (the server would not know which tunnel a new one
 * carries): the link stays down, its datagrams dropped, until its tunnel is
 * found dead and freed.
 *
 * Server side: a listening TCP socket. Each accepted connection gets its own
 * peer-protocol channel, so the peer protocol sees the set-up request come
 * from a loopback address of that connection and answers there; when the
 * tunnel manager serves the request it binds the connection to the
 * tunnel's WireGuard port (tcp_relay_bind()): WireGuard then sees one
 * loopback endpoint per TCP client and roams to it after the client's
 * authenticated handshake, as it would to a UDP address. WireGuard frames
 * before that are dropped.
 *
 * Buffers are bounded: a datagram that does not fit in a connection's send
 * buffer is dropped (WireGuard and what it carries recover, as from UDP
 * loss). A peer sending an invalid frame is disconnected with one log line,
 * rate-limited per source address; so is an accepted connection with no
 * valid frame within TCP_RELAY_FIRST_FRAME_MS, and one over
 * TCP_RELAY_MAX_CONNS (closed at once).
 */
#ifndef RE6ST_DAEMON_TCP_RELAY_H
#define RE6ST_DAEMON_TCP_RELAY_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "macro.h"

struct loop;
struct tcp_relay;
struct tcp_link;

#define TCP_RELAY_SNDBUF 65536        /* per connection, framed bytes waiting for TCP */
#define TCP_RELAY_MAX_CONNS 256       /* accepted connections at once */
#define TCP_RELAY_FIRST_FRAME_MS 10000

struct tcp_relay_stats {
	uint64_t frames_to_tcp, frames_from_tcp;   /* datagrams relayed each way */
	uint64_t bytes_to_tcp, bytes_from_tcp;     /* their payload bytes */
	uint64_t dropped;          /* datagrams dropped: send buffer full, WireGuard busy, not framable */
	uint64_t accepted;         /* server connections accepted */
	uint64_t refused;          /* closed for an invalid frame, a silent start or the limit */
	uint64_t connects;         /* client connections established */
	unsigned conns;            /* open connections, both sides */
};

/* 0 or -ENOMEM. */
int tcp_relay_new(struct loop *l, struct tcp_relay **ret);
/* Closes every link and listener. NULL-safe. */
void tcp_relay_free(struct tcp_relay *r);
DEFINE_FREEP(struct tcp_relay, tcp_relay_free)

/*
 * Accept TCP connections on addr (port may be 0: see ret_port) and relay
 * each one's peer-protocol frames to 127.0.0.1:pp_port. An IPv6 wildcard
 * address takes IPv4 too. One listener per relay; a second call replaces it
 * (open connections stay). 0 or -errno (-EADDRINUSE...).
 */
int tcp_relay_listen(struct tcp_relay *r, const struct sockaddr_storage *addr, uint16_t pp_port,
		     uint16_t *ret_port);
/*
 * The server connection whose peer-protocol channel is pp_src (the source
 * of a set-up request the peer protocol received) carries the tunnel of
 * WireGuard port wg_port from now on (bound again to the same port: kept
 * as it is). 0, -ENOENT when pp_src is no connection's (a request that came
 * over UDP), or -errno.
 */
int tcp_relay_bind(struct tcp_relay *r, const struct sockaddr_storage *pp_src, uint16_t wg_port);
/* Whether pp_src is the peer-protocol channel of a server connection. */
bool tcp_relay_has(const struct tcp_relay *r, const struct sockaddr_storage *pp_src);
/* Stop listening (open connections stay). */
void tcp_relay_unlisten(struct tcp_relay *r);

/*
 * A client link to server (IPv4 or IPv6 address and TCP port) for the
 * WireGuard listening on 127.0.0.1:wg_port and the peer protocol on
 * 127.0.0.1:pp_port. Connecting starts at once; datagrams sent meanwhile
 * wait in the bounded buffer. 0 or -errno (-ENETUNREACH...).
 */
int tcp_link_new(struct tcp_relay *r, const struct sockaddr_storage *server, uint16_t wg_port,
		 uint16_t pp_port, struct tcp_link **ret);
/* The loopback UDP port WireGuard's peer endpoint must be set to. */
uint16_t tcp_link_port(const struct tcp_link *k);
/* The loopback UDP port set-up requests must be sent to. */
uint16_t tcp_link_pp_port(const struct tcp_link *k);
/* Whether the TCP connection is established now (false while connecting
 * and once lost). */
bool tcp_link_connected(const struct tcp_link *k);
/* Close (NULL-safe). */
void tcp_link_free(struct tcp_link *k);

void tcp_relay_get_stats(const struct tcp_relay *r, struct tcp_relay_stats *ret);

#endif
