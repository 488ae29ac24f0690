/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * babel-guard.h - the routes no babel neighbour may give this node.
 *
 * A member holds the network's HMAC key, so its babel announcements are
 * authenticated like anyone's. What a node can still refuse without knowing
 * who owns which prefix:
 *   - its own node prefix (and anything inside it): traffic for the node
 *     would go to whoever announced it;
 *   - a route inside the network longer than any node prefix can be (the
 *     network's length plus the largest of --prefix-length and
 *     --anonymous-prefix-length, and at least the node's own length): a
 *     longer match steals part of another node's range from every node;
 *   - the same two for the IPv4 payload (the node's subnet; routes inside
 *     the IPv4 network longer than its subnet length).
 *
 * babeld enforces them with `install ... deny` filters (babel-argv.c): such
 * a route never reaches the kernel, and babeld never announces it, since it
 * only announces installed routes. An `in ... deny` filter would drop it
 * before the local socket shows it (babeld 1.12 update_route() returns
 * before the route exists), so the node could not say who sent it. Here,
 * the monitor's lines for these routes are kept out of the module's tables
 * (the tunnel manager never takes such a prefix for a node) and logged with
 * the neighbour they came from, at most LOGLIMIT_BURST lines per neighbour
 * per 10 s (daemon/loglimit.h).
 */
#ifndef RE6ST_DAEMON_BABEL_GUARD_H
#define RE6ST_DAEMON_BABEL_GUARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "babel-parse.h"
#include "loglimit.h"
#include "prefix.h"

struct babel_params;

enum babel_refusal_kind { BABEL_REFUSE_OWN, BABEL_REFUSE_LONGER };

/* Routes inside prefix (IPv4 ones IPv4-mapped) with a length >= min_len. */
struct babel_refusal {
	struct re6st_prefix prefix;
	uint8_t min_len;
	enum babel_refusal_kind kind;
};

#define BABEL_MAX_REFUSALS 4

/* The refusals for p (0 to BABEL_MAX_REFUSALS), in the order babeld gets
 * them. -EINVAL for an IPv4 prefix babeld would not parse. */
int babel_refusals(const struct babel_params *p, struct babel_refusal ret[BABEL_MAX_REFUSALS],
		   size_t *ret_n);
/* The refusal route prefix p falls under, or NULL. */
const struct babel_refusal *babel_refused(const struct babel_refusal *r, size_t n,
					  const struct re6st_prefix *p);

struct babel_guard {
	struct babel_refusal r[BABEL_MAX_REFUSALS];
	size_t n;
	struct loglimit ll;
};

/* 0 or -EINVAL (as babel_refusals()); the log limits are kept. */
int babel_guard_set(struct babel_guard *g, const struct babel_params *p);
/*
 * True if ev is a monitor line for a refused route: the caller keeps it out
 * of its tables. A new one (an "add") is logged with its neighbour.
 */
bool babel_guard_refuses(struct babel_guard *g, const struct babel_event *ev, uint64_t now_ms);

#endif
