/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tcp-frame.h - the framing of WireGuard datagrams on a TCP link (pure).
 *
 * A TCP link carries a stream of frames, each a 2-byte big-endian length
 * followed by that many bytes of payload: one datagram, as it would have
 * been sent over UDP (docs/tunnel-manager.md, "TCP links"). A frame is
 * valid when its length is within [TCP_FRAME_MIN, TCP_FRAME_MAX] and its
 * payload starts like a WireGuard message (a type byte 1..4 then three zero
 * bytes: TCP_FRAME_WG) or a peer-protocol message (the magic "R6P":
 * TCP_FRAME_PP). Anything else means the other end is not a re6st TCP
 * relay (or is hostile): the link is closed.
 */
#ifndef RE6ST_DAEMON_TCP_FRAME_H
#define RE6ST_DAEMON_TCP_FRAME_H

#include <stddef.h>
#include <stdint.h>

#define TCP_FRAME_HDR 2
/* The shortest WireGuard message (a keepalive: 16-byte header, 16-byte tag). */
#define TCP_FRAME_MIN 32
/* A WireGuard data message of a 9000-byte (jumbo) MTU and its 32 bytes of
 * overhead, rounded up; the 2-byte length could say more, the receiver
 * refuses it. */
#define TCP_FRAME_MAX 9216

/* What a frame carries: where the relay sends it. */
enum tcp_frame_kind {
	TCP_FRAME_WG = 1, /* to WireGuard */
	TCP_FRAME_PP = 2, /* to the peer protocol (tunnel set-up) */
};

/*
 * Look at the start of a received stream, buf[0..len). Returns the frame's
 * kind (TCP_FRAME_WG or TCP_FRAME_PP, > 0) with *ret_payload_len set when a
 * whole valid frame is there (it takes
 * TCP_FRAME_HDR + *ret_payload_len bytes, payload from buf + TCP_FRAME_HDR);
 * 0 when more bytes are needed (nothing invalid seen yet); -EMSGSIZE for a
 * length out of range, -EBADMSG for a payload of neither kind (checked as
 * soon as its first bytes are there).
 */
int tcp_frame_parse(const uint8_t *buf, size_t len, size_t *ret_payload_len);

/* The kind of a datagram of len bytes, if it may be framed (same rules as
 * the parser): TCP_FRAME_WG, TCP_FRAME_PP, or -EMSGSIZE / -EBADMSG. */
int tcp_frame_check_payload(const uint8_t *p, size_t len);

/* Write the header of a frame of len bytes (must pass the check) to hdr. */
void tcp_frame_header(uint8_t hdr[TCP_FRAME_HDR], size_t len);

#endif
