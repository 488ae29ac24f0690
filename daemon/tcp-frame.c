/* SPDX-License-Identifier: GPL-2.0-or-later */
/* tcp-frame.c - see tcp-frame.h. */
#include <errno.h>

#include "tcp-frame.h"

/* The WireGuard message types: handshake initiation, response, cookie
 * reply, transport data. Each is followed by three reserved zero bytes. */
#define WG_TYPE_FIRST 1
#define WG_TYPE_LAST 4
/* The peer protocol's magic (lib/peerproto.c, docs/peer-protocol.md). */
static const uint8_t pp_magic[3] = { 'R', '6', 'P' };

/* The kind of a payload from its first `have` bytes (at least 1): 0 while
 * it cannot tell yet. */
static int kind_of(const uint8_t *p, size_t have)
{
	if (p[0] >= WG_TYPE_FIRST && p[0] <= WG_TYPE_LAST) {
		for (size_t i = 1; i < 4 && i < have; i++)
			if (p[i])
				return -EBADMSG;
		return have >= 4 ? TCP_FRAME_WG : 0;
	}
	for (size_t i = 0; i < sizeof(pp_magic) && i < have; i++)
		if (p[i] != pp_magic[i])
			return -EBADMSG;
	return have >= sizeof(pp_magic) ? TCP_FRAME_PP : 0;
}

int tcp_frame_check_payload(const uint8_t *p, size_t len)
{
	if (len < TCP_FRAME_MIN || len > TCP_FRAME_MAX)
		return -EMSGSIZE;
	return kind_of(p, len);
}

int tcp_frame_parse(const uint8_t *buf, size_t len, size_t *ret_payload_len)
{
	if (len < TCP_FRAME_HDR)
		return 0;
	size_t n = (size_t)buf[0] << 8 | buf[1];
	if (n < TCP_FRAME_MIN || n > TCP_FRAME_MAX)
		return -EMSGSIZE;
	if (len == TCP_FRAME_HDR)
		return 0;
	int kind = kind_of(buf + TCP_FRAME_HDR, len - TCP_FRAME_HDR);
	if (kind <= 0)
		return kind;
	if (len - TCP_FRAME_HDR < n)
		return 0;
	*ret_payload_len = n;
	return kind;
}

void tcp_frame_header(uint8_t hdr[TCP_FRAME_HDR], size_t len)
{
	hdr[0] = (uint8_t)(len >> 8);
	hdr[1] = (uint8_t)len;
}
