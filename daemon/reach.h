/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * reach.h - reachability tested, not guessed (docs/peer-protocol.md,
 * "Reachability probe"; docs/tunnel-manager.md, "Choosing peers").
 *
 * A node asks a tunnel peer, now and then, to probe the endpoints it
 * advertises: the peer sends a signed `probe` datagram from its underlay
 * socket to each of them (the peer-protocol control port, where set-up
 * requests arrive). A probe answering one of our recent requests proves
 * that a datagram from outside reaches our control endpoint: the node is
 * reachable, as a client reaching it would prove.
 *
 * Pure: times in ms from the caller, no I/O. The requester's side is
 * struct reach (the tunnel manager's); the prober's side is struct
 * reach_limit (the peer protocol's) and reach_targets().
 */
#ifndef RE6ST_DAEMON_REACH_H
#define RE6ST_DAEMON_REACH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "peerproto.h"
#include "prefix.h"

#define REACH_ASK_MS 20000      /* between two requests while not proven */
#define REACH_ANSWER_MS 30000   /* a probe must answer a request this recent */
#define REACH_MEMORY_MS 600000  /* a probe proves reachability this long */
#define REACH_RENEW_MS 300000   /* ask again once the proof is this old */
#define REACH_ASKED_MAX 4       /* requests remembered */

#define REACH_PROBE_EVERY_MS 30000 /* prober: one round per requester per 30 s */
#define REACH_PROBE_SLOTS 64       /* requesters remembered (least recent replaced) */
#define REACH_PROBE_GLOBAL_PER_S 10 /* prober: rounds per second, all requesters */
#define REACH_PROBE_TARGETS 4      /* endpoints probed per round (distinct ip:port) */

struct reach {
	uint64_t asked_seq[REACH_ASKED_MAX];
	uint64_t asked_ms[REACH_ASKED_MAX];
	uint64_t next_ask_ms;
	uint64_t probed_ms;     /* last probe answering a request of ours, 0 never */
};

/* Time to ask a peer: not proven (or the proof is old) and no ask lately. */
bool reach_want_ask(const struct reach *r, uint64_t now_ms);
/* A request went out with that seq: remembered, next ask in REACH_ASK_MS. */
void reach_asked(struct reach *r, uint64_t seq, uint64_t now_ms);
/* A probe for request_seq: true (and proven now) if it answers a request
 * of ours made within REACH_ANSWER_MS. */
bool reach_probed(struct reach *r, uint64_t request_seq, uint64_t now_ms);
/* A probe came within REACH_MEMORY_MS. */
bool reach_proven(const struct reach *r, uint64_t now_ms);

struct reach_limit {
	struct {
		struct re6st_prefix requester;
		uint64_t last_ms;       /* 0: free */
	} slot[REACH_PROBE_SLOTS];
	uint64_t window_ms;
	unsigned count;
};

/* May the prober probe for this requester now? Records the round if so.
 * Zero-initialise the struct. */
bool reach_limit_allow(struct reach_limit *l, const struct re6st_prefix *requester,
		       uint64_t now_ms);

/*
 * The socket addresses to probe for a requester's endpoint list (already
 * validated, pp_endpoints_parse()): each distinct address and control
 * port once, none inside the overlay's network prefix, at most max
 * (REACH_PROBE_TARGETS in the daemon). Returns the count; 0 for an
 * invalid list.
 */
size_t reach_targets(const char *list, size_t len, const struct re6st_prefix *network,
		     struct sockaddr_storage *ret, size_t max);

#endif
