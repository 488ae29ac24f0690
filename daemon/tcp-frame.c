/* SPDX-License-Identifier: GPL-2.0-or-later */
/* tcp-frame.c - see tcp-frame.h. */
#include <errno.h>

#include "tcp-frame.h"

/* The WireGuard message types: handshake initiation, response, cookie
 * reply, transport data. Each is followed by three reserved zero bytes. */
#define WG_TYPE_FIRST 1
#define WG_TYPE_LAST 4

static int check_head(const uint8_t *p, size_t have)
{
	if (have >= 1 && (p[0] < WG_TYPE_FIRST || p[0] > WG_TYPE_LAST))
		return -EBADMSG;
	for (size_t i = 1; i < 4 && i < have; i++)
		if (p[i])
			return -EBADMSG;
	return 0;
}

int tcp_frame_check_payload(const uint8_t *p, size_t len)
{
	if (len < TCP_FRAME_MIN || len > TCP_FRAME_MAX)
		return -EMSGSIZE;
	return check_head(p, len);
}

int tcp_frame_parse(const uint8_t *buf, size_t len, size_t *ret_payload_len)
{
	if (len < TCP_FRAME_HDR)
		return 0;
	size_t n = (size_t)buf[0] << 8 | buf[1];
	if (n < TCP_FRAME_MIN || n > TCP_FRAME_MAX)
		return -EMSGSIZE;
	int r = check_head(buf + TCP_FRAME_HDR, len - TCP_FRAME_HDR);
	if (r < 0)
		return r;
	if (len - TCP_FRAME_HDR < n)
		return 0;
	*ret_payload_len = n;
	return 1;
}

void tcp_frame_header(uint8_t hdr[TCP_FRAME_HDR], size_t len)
{
	hdr[0] = (uint8_t)(len >> 8);
	hdr[1] = (uint8_t)len;
}
