/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fetch-frame.h - what re6st-fetch (the HTTP helper of the curl-free
 * registry client) writes on its stdout, and its parser. Pure: no I/O.
 *
 * One transfer, one frame, then the helper exits 0:
 *
 *   STATUS <http status> <body length>\n
 *   <Name>: <value>\n          (answer headers the registry client needs:
 *                              Re6st-Answer-Signature, when there is one)
 *   \n
 *   <body: exactly body length bytes>
 *
 * or, when the transfer failed:
 *
 *   ERROR <errno> <message>\n
 *
 * The body comes from the network: the parser trusts nothing (fuzzed by
 * test/fetch/fuzz-fetch-frame.c).
 */
#ifndef RE6ST_FETCH_FRAME_H
#define RE6ST_FETCH_FRAME_H

#include <stdbool.h>
#include <stddef.h>

#define FETCH_MAX_BODY (1u << 20)
#define FETCH_MAX_HEADER 1024   /* one kept header line */
#define FETCH_MAX_ERROR 512     /* an ERROR line */
/* The largest frame a helper may write. */
#define FETCH_MAX_FRAME (FETCH_MAX_BODY + 64 + 4 * FETCH_MAX_HEADER)

struct fetch_frame {
	bool failed;          /* ERROR frame: err, message */
	int err;              /* positive errno */
	char message[FETCH_MAX_ERROR];
	unsigned status;      /* STATUS frame: status, body, header */
	const char *body;     /* points into the parsed buffer */
	size_t body_len;
	char header[FETCH_MAX_HEADER]; /* value of the header asked for ("" if absent) */
	bool has_header;
};

/*
 * Parse a complete frame of len bytes; header_name is the one kept header
 * whose value is wanted (case-insensitive; NULL: none). Other kept headers
 * are skipped. 0 with *ret filled, or -EBADMSG (malformed, truncated,
 * trailing bytes, status outside 100..599, errno out of range).
 */
int fetch_frame_parse(const char *buf, size_t len, const char *header_name,
		      struct fetch_frame *ret);

#endif
