/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer target: the TCP link framing (daemon/tcp-frame.h). The input is
 * a received stream; the first byte sets the size of the pieces it arrives
 * in. Parsed whole or piece by piece, as the relay reads it, it must give the
 * same frames and stop at the same error; every frame accepted is a valid
 * payload of the kind parsed, and its header written back is the one read.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tcp-frame.h"

#define MAX_FRAMES 4096

struct result {
	size_t n, off[MAX_FRAMES], len[MAX_FRAMES];
	int err;
};

/* Parse data as it arrives in pieces of `piece` bytes, into a bounded
 * buffer like the relay's. */
static void parse(const uint8_t *data, size_t size, size_t piece, struct result *res)
{
	static uint8_t buf[2 * (TCP_FRAME_HDR + TCP_FRAME_MAX)];
	size_t have = 0, fed = 0, base = 0; /* base: stream offset of buf[0] */

	res->n = 0;
	res->err = 0;
	while (fed < size) {
		size_t take = size - fed;
		if (take > piece)
			take = piece;
		if (take > sizeof(buf) - have)
			take = sizeof(buf) - have;
		if (take == 0)
			abort(); /* a whole frame always fits: the buffer never fills */
		memcpy(buf + have, data + fed, take);
		have += take;
		fed += take;
		size_t off = 0, len;
		int r;
		while ((r = tcp_frame_parse(buf + off, have - off, &len)) > 0) {
			if ((r != TCP_FRAME_WG && r != TCP_FRAME_PP) ||
			    tcp_frame_check_payload(buf + off + TCP_FRAME_HDR, len) != r)
				abort();
			uint8_t hdr[TCP_FRAME_HDR];
			tcp_frame_header(hdr, len);
			if (memcmp(hdr, buf + off, TCP_FRAME_HDR))
				abort();
			if (res->n < MAX_FRAMES) {
				res->off[res->n] = base + off;
				res->len[res->n] = len;
			}
			res->n++;
			off += TCP_FRAME_HDR + len;
		}
		if (r < 0) {
			if (r != -EMSGSIZE && r != -EBADMSG)
				abort();
			res->err = r;
			return;
		}
		memmove(buf, buf + off, have - off);
		have -= off;
		base += off;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct result whole, pieces;
	if (size < 1)
		return 0;
	size_t piece = (size_t)data[0] % 64 + 1;
	data++;
	size--;
	parse(data, size, SIZE_MAX, &whole);
	parse(data, size, piece, &pieces);
	if (whole.n != pieces.n || whole.err != pieces.err)
		abort();
	for (size_t i = 0; i < whole.n && i < MAX_FRAMES; i++)
		if (whole.off[i] != pieces.off[i] || whole.len[i] != pieces.len[i])
			abort();
	return 0;
}
