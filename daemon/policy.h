/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * policy.h - which tunnels a node destroys and which peers it chooses.
 *
 * THE RULE is randomness (seed 003, "Three key principles"): every
 * tunnel-refresh period a node destroys a random share of its client
 * tunnels and opens new ones to nodes chosen at random among the distant
 * nodes it knows. A tunnel is not kept because it is used or because its
 * metric is good: paths never settle, so nobody can predict or target them,
 * and better paths keep being found.
 *
 * THE EXCEPTIONS, each bounded, and none of them a reason to keep a tunnel
 * forever:
 *   1. busy tunnels: the busy_share of tunnels carrying the most routes are
 *      picked with a lower weight (busy_weight), never zero;
 *   2. the drain: a doomed tunnel carrying routes is drained first (no
 *      packet lost); after drain_limit it is destroyed anyway;
 *   3. --neighbour peers are always connected and never rotated;
 *   4. the registry's bootstrap peer, when nothing else is known (asked
 *      less often while its answers bring nobody new:
 *      policy_bootstrap_wait_ms());
 *   5. anchors: a share anchor_share of new choices goes to nodes inside
 *      the network's anchor prefixes (when any is a candidate);
 *   6. same-country: a node in a listed country connects only to nodes of
 *      its country, and other nodes do not connect into it;
 *   7. alone: a node with no tunnel up (but draining or destroyed ones,
 *      which are going) ignores its avoidance back-offs
 *      (peers it rotated away from, or whose tunnel failed or died): a node
 *      cut from all its peers reconnects at once, even to peers it was
 *      avoiding, the least recently avoided first
 *      (policy_backoff_holds(), policy_order_by_backoff());
 *   8. small mesh: a node that knows fewer distant nodes than twice its
 *      client-count wants a tunnel with every one of them, either
 *      direction (policy_client_count()): a full mesh, where there is no
 *      choice to bias; a rotation there avoids nobody afterwards
 *      (policy_rotation_avoid_ms()).
 *   9. lossy tunnels: a client tunnel that loses at least 3% of babel's
 *      hellos over a minute is drained and replaced, and its peer avoided
 *      for an hour, from either side (health_loss_update(), tunnel.c), when
 *      the node has another tunnel up: babel's metric alone kept paths
 *      through lossy links when a clean detour was a little longer. Like a
 *      dead tunnel, a broken arrow: it does not keep the good ones.
 * Exceptions 3 and 4 live with the candidate lists in tunnel-choice.c, 9
 * in health.c and tunnel.c; the others are here. Everything here is pure: no I/O, randomness from the caller.
 */
#ifndef RE6ST_DAEMON_POLICY_H
#define RE6ST_DAEMON_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "prefix.h"

/* A random source: uniform(ud, n) returns a uniform integer in [0, n), n > 0. */
struct policy_rand {
	uint32_t (*uniform)(void *ud, uint32_t n);
	void *ud;
};

/* The daemon's source: libsodium's randombytes_uniform(). */
extern const struct policy_rand policy_rand_sodium;

struct policy_params {
	double rotate_share;  /* [0, 1]: expected share of client tunnels destroyed per period */
	double busy_share;    /* [0, 1]: share of tunnels counted busy (most routes) */
	double busy_weight;   /* (0, 1]: a busy tunnel's weight, the others' being 1 */
	double anchor_share;  /* [0, 1]: share of new choices that go to anchors */
	uint32_t drain_limit; /* seconds a drain may last before the tunnel goes anyway */
};

#define POLICY_DEFAULT_ROTATE_SHARE 0.3
#define POLICY_DEFAULT_BUSY_SHARE 0.2
#define POLICY_DEFAULT_BUSY_WEIGHT 0.25
#define POLICY_DEFAULT_ANCHOR_SHARE 0.3
#define POLICY_DEFAULT_DRAIN_LIMIT 3600

/* True with probability p (clamped to [0, 1]), at 2^-24 resolution. */
bool policy_chance(const struct policy_rand *r, double p);

/*
 * How many of n tunnels to destroy this period: share x n rounded at random
 * (floor, plus one with the fractional part's probability), so the expected
 * count is share x n even for 1 to 3 tunnels.
 */
size_t policy_rotation_count(double share, size_t n, const struct policy_rand *r);

/*
 * Mark the busy tunnels: the round(busy_share x n) tunnels carrying the most
 * routes, among those carrying at least one (ties broken at random).
 * ret_busy has n entries. -ENOMEM.
 */
int policy_mark_busy(double busy_share, const size_t *routes, size_t n,
		     const struct policy_rand *r, bool *ret_busy);

/*
 * Pick k distinct victims among n tunnels (k > n picks all), one at a time,
 * each with probability proportional to its weight: busy_weight for a busy
 * tunnel, 1 for the others. ret_idx gets the indices, in draw order.
 * Returns the count, or -ENOMEM.
 */
int policy_pick_victims(const struct policy_params *p, const size_t *routes, size_t n, size_t k,
			const struct policy_rand *r, size_t *ret_idx);

enum policy_drain {
	POLICY_DRAIN_WAIT,    /* routes still use it (or too early to judge) */
	POLICY_DRAIN_DONE,    /* no route left: destroy it */
	POLICY_DRAIN_FORCE,   /* drain_limit reached with routes: destroy it anyway */
};

/* A drain that began elapsed_ms ago, judged after min_ms, with routes left. */
enum policy_drain policy_drain_verdict(uint64_t elapsed_ms, uint64_t min_ms, size_t routes,
				       uint32_t drain_limit);

/* Is p inside one of the n anchor prefixes? */
bool policy_is_anchor(const struct re6st_prefix *anchors, size_t n, const struct re6st_prefix *p);

/*
 * Same-country rule. list: the network's comma-separated country codes
 * (NULL or "" when the rule is off); mine, theirs: two upper-case letters
 * or "" when unknown. Allowed when the countries are equal and known, or
 * when neither is in the list (an unknown country is never in it).
 */
bool policy_country_ok(const char *list, const char *mine, const char *theirs);

/*
 * The order in which to try n candidates (each an anchor or not): position
 * after position, an anchor with probability anchor_share while both kinds
 * remain, uniformly at random within the kind. ret_idx gets a permutation of
 * 0..n-1. -ENOMEM.
 */
int policy_order_candidates(const struct policy_params *p, const bool *anchor, size_t n,
			    const struct policy_rand *r, size_t *ret_idx);

/*
 * Exception 7, alone. A back-off is either a rule (revoked certificate,
 * same-country: rule true) or an avoidance (rotated away from, refused,
 * failed, dead: rule false). A rule always holds; an avoidance holds only
 * while the node has at least one tunnel up (tunnels_up > 0). Avoiding
 * peers spreads a node's tunnels over the network; a node with no tunnel
 * at all gains nothing from it and may have no other peer left.
 */
bool policy_backoff_holds(bool rule, size_t tunnels_up);

/*
 * The order in which a node with no tunnel up tries n candidates whose
 * avoidance ends at until[i] (0: not avoided, or the avoidance is over):
 * the ones not avoided first, then by the end of their avoidance, soonest
 * first, i.e. the peers avoided longest ago (a peer whose tunnel just died
 * with the others goes last). Equal ends keep their given order (the
 * caller's random order). ret_idx gets a permutation of 0..n-1.
 */
void policy_order_by_backoff(const uint64_t *until, size_t n, size_t *ret_idx);

/*
 * Exception 8, small mesh: the effective client count. known: the distant
 * nodes the node knows (babel's routes to other node prefixes, not those
 * heard directly on a LAN interface); avoided: those of them it has no
 * tunnel with and holds a back-off against (failed, refused, dead, a
 * rule: policy_backoff_holds()); served: the tunnels other nodes opened
 * to it. With 0 < known < 2 x client_count, the node wants a tunnel with
 * every node it knows and may try now, either direction: known - avoided
 * - served client tunnels when that is more than client_count (a node
 * it cannot reach, a dead underlay pair or two NATs, raises nothing),
 * never fewer: a forming network's nodes know few others, and a target of
 * exactly those (tried first) left 8 nodes in islands with nothing to ask
 * the registry for (vm-node-network). Otherwise client_count: a node that
 * knows nobody yet (start-up) keeps its target.
 * A random choice of client_count among fewer than about twice as many
 * leaves most detours absent; a full mesh of a few nodes costs few
 * tunnels and has every path.
 */
unsigned policy_client_count(unsigned client_count, size_t known, size_t avoided, size_t served);

/* Exception 8 applies: 0 < known < 2 x client_count. */
bool policy_small_mesh(unsigned client_count, size_t known);

/*
 * How long a node avoids a peer after a rotation destroyed their tunnel,
 * at either end: one refresh period (refresh_ms), so that the rotation
 * changes the mesh; 0 (not at all) in a small mesh, where the target is a
 * tunnel with every known node and there is nobody else to choose: the
 * avoided pair would stay without a tunnel for a whole period (issue 12:
 * six sites, one rotation round left 7 of 13 possible pairs, and the
 * nodes asked the registry for a bootstrap peer every 30 s in vain). The
 * rotated pair is remade at once instead, by whichever end comes first.
 */
uint64_t policy_rotation_avoid_ms(uint64_t refresh_ms, unsigned client_count, size_t known);

/*
 * Exception 4's pace: how long a node that has tunnels up waits before it
 * asks the registry for a bootstrap peer again, after `useless` answers in
 * a row that brought no new candidate (a peer it already has a tunnel
 * with, a LAN neighbour, no peer at all): 0 after a useful one, then 60 s,
 * doubling, at most POLICY_BOOTSTRAP_WAIT_MAX_MS. The registry is what
 * joins islands (a node whose known nodes are all its peers may know only
 * its island), so it is still asked; but a node of a full mesh asked it
 * every 30 s for ever, and each ask is a helper process (re6st-fetch) and
 * a signed answer: half of the helper runs that took 79% of an idle node's
 * CPU in bench-idle. A node with no tunnel up asks at the registry link's
 * own pace (exception 7).
 */
#define POLICY_BOOTSTRAP_WAIT_MAX_MS 600000
uint64_t policy_bootstrap_wait_ms(unsigned useless);

#endif
