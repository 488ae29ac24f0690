/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <net/if.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <sodium.h>

#include "tunnel-mgr.h"

/* ---- choosing peers ---- */

/*
 * A node babel hears directly on a LAN interface (-i): it originates a route
 * (refmetric 0) received there. Such a node is reachable without a tunnel,
 * so it is not a distant node and never a tunnel peer.
 */
static bool direct_neighbour(const struct tunnel_mgr *m, const struct babel_route *r, size_t n,
			     const struct re6st_prefix *p)
{
	const struct strv *lan = &m->c->opt.interfaces;
	for (size_t i = 0; lan->n && i < n; i++) {
		if (r[i].refmetric != 0 || !prefix_equal(&r[i].prefix, p))
			continue;
		for (size_t j = 0; j < lan->n; j++)
			if (!strcmp(r[i].ifname, lan->v[j]))
				return true;
	}
	return false;
}

/* A distant node: inside the network, not us, not heard on a LAN. */
static bool distant(const struct tunnel_mgr *m, const struct babel_route *r, size_t n,
		    const struct re6st_prefix *p)
{
	const struct ctx *c = m->c;
	return prefix_contains(&c->network, p) && p->len > c->network.len &&
	       !prefix_equal(p, &c->prefix) && !direct_neighbour(m, r, n, p);
}

/* The distant nodes babel knows, each counted once; ret_avoided (if not
 * NULL): those of them we have no tunnel with and hold a back-off against. */
static size_t known_nodes(struct tunnel_mgr *m, size_t *ret_avoided)
{
	const struct babel_route *routes = NULL;
	size_t nr = m->c->babel ? babel_routes(m->c->babel, &routes) : 0, known = 0, avoided = 0;
	for (size_t i = 0; i < nr; i++) {
		const struct re6st_prefix *p = &routes[i].prefix;
		if (!distant(m, routes, nr, p))
			continue;
		bool dup = false;
		for (size_t j = 0; j < i && !dup; j++)
			dup = prefix_equal(&routes[j].prefix, p);
		if (dup)
			continue;
		known++;
		avoided += ret_avoided && !tm_connected(m, p) && tm_backed_off(m, p);
	}
	if (ret_avoided)
		*ret_avoided = avoided;
	return known;
}

unsigned tm_effective_client_count(struct tunnel_mgr *m)
{
	size_t avoided;
	size_t known = known_nodes(m, &avoided);
	return policy_client_count(tm_client_count(m), known, avoided, tm_count(m, true, true));
}

uint64_t tm_rotation_avoid_ms(struct tunnel_mgr *m)
{
	return policy_rotation_avoid_ms(tm_refresh_ms(m), tm_client_count(m), known_nodes(m, NULL));
}

const struct re6st_prefix *tm_stranger(struct tunnel_mgr *m)
{
	const struct babel_route *routes = NULL;
	size_t nr = m->c->babel ? babel_routes(m->c->babel, &routes) : 0;
	const struct re6st_prefix *pick = NULL;
	uint32_t seen = 0;
	/* Reservoir sampling; a node with several routes weighs a little more. */
	for (size_t i = 0; i < nr; i++) {
		const struct re6st_prefix *p = &routes[i].prefix;
		if (distant(m, routes, nr, p) && !tm_connected(m, p) && !tm_pending(m, p) &&
		    !tm_avoided_until(m, p) && !tm_backed_off(m, p) && randombytes_uniform(++seen) == 0)
			pick = p;
	}
	return pick;
}

bool tm_lan_neighbour(const struct tunnel_mgr *m, const struct re6st_prefix *p)
{
	const struct babel_route *routes = NULL;
	size_t nr = m->c->babel && m->c->opt.interfaces.n ? babel_routes(m->c->babel, &routes) : 0;
	return direct_neighbour(m, routes, nr, p);
}

static bool candidate_ok(struct tunnel_mgr *m, const struct re6st_prefix *p)
{
	return !prefix_equal(p, &m->c->prefix) && !tm_connected(m, p) && !tm_pending(m, p) &&
	       !tm_backed_off(m, p);
}

/* Ask for the endpoints of p, or connect at once when the cache has them. */
static bool try_peer(struct tunnel_mgr *m, const struct re6st_prefix *p, bool from_cache_only)
{
	struct ctx *c = m->c;
	if (c->state) {
		struct state_peer sp;
		if (state_peer_get(c->state, p, &sp) >= 0) {
			bool ok = sp.endpoints &&
				  tm_tunnel_connect(m, p, sp.endpoints, strlen(sp.endpoints));
			free(sp.endpoints);
			if (ok)
				return true;
		}
	}
	if (from_cache_only || !c->peer || m->n_pend == ARRAY_SIZE(m->pend))
		return false;
	struct pp_msg msg = { .type = PP_ADDRESS_REQUEST };
	if (peer_send(c->peer, p, &msg) < 0)
		return false;
	m->pend[m->n_pend++] = (struct pending){ *p, tm_now_ms(m) + ADDRESS_WAIT_MS };
	return true;
}

void tm_on_address(void *userdata, const struct re6st_prefix *peer, const char *list,
		       size_t len)
{
	struct tunnel_mgr *m = userdata;
	if (!tm_pending(m, peer))
		return;
	tm_pending_remove(m, peer);
	if (!tm_tunnel_connect(m, peer, list, len))
		tm_backoff(m, peer, BACKOFF_FAIL_MS);
}

/*
 * Keep the peer cache a broad random sample of the network, so that a node
 * restarted while the registry is down (or cut from its last peers) finds
 * someone to connect to: now and then ask one random distant node known
 * from babel for its endpoints, preferring nodes not cached yet (the answer
 * is cached by daemon/peer.c; it opens no tunnel since nothing is pending).
 */
void tm_fill_cache(struct tunnel_mgr *m)
{
	struct ctx *c = m->c;
	if (!c->state || !c->peer || !c->babel || tm_now_ms(m) < m->next_fill_ms)
		return;
	/* The distant nodes babel knows, each once (babel has a route per
	 * neighbour that offers one), looked up in the cache in one read. */
	const struct babel_route *routes = NULL;
	size_t nr = babel_routes(c->babel, &routes), n = 0, cached = 0;
	_cleanup_free_ struct re6st_prefix *cand = calloc(nr ? nr : 1, sizeof(*cand));
	_cleanup_free_ bool *known = calloc(nr ? nr : 1, sizeof(*known));
	m->next_fill_ms = tm_now_ms(m) + CACHE_FILL_MS; /* unless set below */
	if (!cand || !known)
		return;
	for (size_t i = 0; i < nr; i++) {
		const struct re6st_prefix *p = &routes[i].prefix;
		if (!prefix_contains(&c->network, p) || p->len <= c->network.len ||
		    prefix_equal(p, &c->prefix))
			continue;
		size_t j = 0;
		while (j < n && !prefix_equal(&cand[j], p))
			j++;
		if (j == n)
			cand[n++] = *p;
	}
	if (state_peers_cached(c->state, cand, n, known, &cached) < 0)
		return;
	size_t n_new = 0;
	for (size_t i = 0; i < n; i++)
		n_new += !known[i];
	/* One draw: a node not cached yet, else a cached one (refreshed). */
	const struct re6st_prefix *pick = NULL;
	if (n) {
		uint32_t k = randombytes_uniform((uint32_t)(n_new ? n_new : n));
		for (size_t i = 0; i < n && !pick; i++)
			if ((!n_new || !known[i]) && k-- == 0)
				pick = &cand[i];
	}
	/* Faster while nodes babel knows are missing from a small cache; once
	 * every one is cached, only a slow refresh (an idle node, and the nodes
	 * it would ask, sleep). Babel knowing nobody yet (a node just started)
	 * is not "every one cached": the fill comes back soon, or a node cut
	 * from its first peers minutes later had only them in its cache. */
	uint64_t every = n_new || !n ? (cached < CACHE_WANT ? CACHE_FILL_MS / 3 : CACHE_FILL_MS)
				     : CACHE_REFRESH_MS;
	m->next_fill_ms = tm_now_ms(m) + every / 2 + randombytes_uniform((uint32_t)every);
	if (!pick)
		return;
	struct pp_msg msg = { .type = PP_ADDRESS_REQUEST };
	char b[PREFIX_STRLEN];
	if (peer_send(c->peer, pick, &msg) >= 0)
		log_debug("tunnel: asking %s for its endpoints (peer cache: %zu)", tm_pfx(pick, b), cached);
}

/* Client set-ups in flight to peers this node avoids (policy.h, exception 7). */
static size_t avoided_setups(struct tunnel_mgr *m)
{
	size_t n = 0;
	for (size_t i = 0; i < m->n; i++) {
		const struct tunnel *t = m->t[i];
		n += !t->server && t->state == T_SETUP && tm_avoided_until(m, &t->peer);
	}
	return n;
}

/* The registry's answer to reglink_want_bootstrap(), a while after the ask. */
static void on_bootstrap_peer(void *userdata, const struct rc_bootstrap_peer *bp)
{
	struct tunnel_mgr *m = userdata;
	struct ctx *c = m->c;
	unsigned cc = tm_effective_client_count(m);
	unsigned limit = tm_reachable(m) ? cc : MIN(2u, cc);
	char b[PREFIX_STRLEN];

	const struct babel_route *routes = NULL;
	size_t nr = c->babel ? babel_routes(c->babel, &routes) : 0;
	if (!bp->endpoints || !candidate_ok(m, &bp->prefix) ||
	    direct_neighbour(m, routes, nr, &bp->prefix)) {
		/* Nobody new: asked less often (policy.h, exception 4). */
		m->bootstrap_useless++;
		m->bootstrap_after_ms = tm_now_ms(m) + policy_bootstrap_wait_ms(m->bootstrap_useless);
		return;
	}
	m->bootstrap_useless = 0;
	m->bootstrap_after_ms = 0;
	log_info("tunnel: bootstrap peer %s (%s)", tm_pfx(&bp->prefix, b), bp->endpoints);
	if (c->state)
		state_peer_put(c->state, &bp->prefix, bp->endpoints, loop_unix_now());
	/* The mesh may have grown meanwhile. */
	if (tm_count_clients(m) + m->n_pend < limit)
		tm_tunnel_connect(m, &bp->prefix, bp->endpoints, strlen(bp->endpoints));
	tm_wake(m);
}

size_t tm_make_new_tunnels(struct tunnel_mgr *m)
{
	struct ctx *c = m->c;
	unsigned cc = tm_effective_client_count(m);
	unsigned limit = tm_reachable(m) ? cc : MIN(2u, cc);

	/* 1. configured neighbours, even when the target is already met: a
	 * neighbour whose endpoints came after the random tunnels filled the
	 * slots would otherwise wait for a rotation. The target is then
	 * exceeded until the next rotations (which never pick a neighbour)
	 * bring it back, since a rotated tunnel is replaced only below it. */
	for (size_t i = 0; i < m->n_neigh; i++)
		if (candidate_ok(m, &m->neigh[i]))
			try_peer(m, &m->neigh[i], false);
	size_t active = tm_count_clients(m) + m->n_pend;
	if (active >= limit)
		return 0;
	size_t need = limit - active;

	/* 2. distant nodes babel knows, at random (anchors for their share) */
	const struct babel_route *routes = NULL;
	size_t nr = c->babel ? babel_routes(c->babel, &routes) : 0, nc = 0;
	_cleanup_free_ struct re6st_prefix *cand = calloc(nr ? nr : 1, sizeof(*cand));
	_cleanup_free_ bool *anchor = calloc(nr ? nr : 1, sizeof(*anchor));
	_cleanup_free_ size_t *order = calloc(nr ? nr : 1, sizeof(*order));
	if (!cand || !anchor || !order)
		return need;
	size_t na;
	const struct re6st_prefix *anc = tm_anchors(m, &na);
	for (size_t i = 0; i < nr; i++) {
		const struct re6st_prefix *p = &routes[i].prefix;
		if (!distant(m, routes, nr, p))
			continue;
		bool dup = false;
		for (size_t j = 0; j < nc && !dup; j++)
			dup = prefix_equal(&cand[j], p);
		if (dup)
			continue;
		if (candidate_ok(m, p)) {
			anchor[nc] = policy_is_anchor(anc, na, p);
			cand[nc++] = *p;
		}
	}
	struct policy_params pp = tm_params(m);
	_cleanup_free_ uint64_t *until = calloc(nc ? nc : 1, sizeof(*until));
	_cleanup_free_ size_t *late = calloc(nc ? nc : 1, sizeof(*late));
	if (!until || !late || policy_order_candidates(&pp, anchor, nc, &policy_rand_sodium, order) < 0)
		return need;
	/* Alone, the avoided peers are candidates too: after the others, the
	 * least recently avoided first (with a tunnel up, none is avoided
	 * here and the order stays). */
	for (size_t i = 0; i < nc; i++)
		until[i] = tm_avoided_until(m, &cand[order[i]]);
	policy_order_by_backoff(until, nc, late);
	for (size_t i = 0; i < nc && need; i++)
		if (try_peer(m, &cand[order[late[i]]], false))
			need--;
	/* Fall back on the cache and the registry whenever babel offers no
	 * usable candidate, not only when it knows nobody: a node whose only
	 * known nodes are already its peers must still look further, or the
	 * mesh can stay split in islands (seen with 8 nodes). */
	if (!need || nc)
		return need;

	/* 3. no usable route: the peer cache (we cannot send address requests
	 * without routes, so only cached endpoints help). A node with no
	 * tunnel up also takes the peers it avoids, the least recently
	 * avoided first (policy.h, exception 7). */
	bool tried_avoided = false;
	/* A state database read: at the pace of the looks for new tunnels
	 * (2 s doubling to 30 s while nothing could be tried), not at every
	 * pass (the live tunnels' counters run the manager every second). */
	if (c->state && tm_now_ms(m) >= m->cache_look_ms) {
		struct state_peer *sp = NULL;
		size_t n = 0;
		m->cache_look_ms = tm_now_ms(m) + m->want_ms;
		if (state_peer_list(c->state, 32, &sp, &n) >= 0) {
			uint64_t avoided[32];
			size_t idx[32];
			/* Avoided peers (those it may just have been cut from) take
			 * one slot less than the target, counting those already
			 * trying one (one when the target is 1): the other stays
			 * for a peer not avoided, the registry's answer below. */
			size_t cap = limit > 1 ? limit - 1 : 1, busy = avoided_setups(m);
			size_t room_avoided = busy < cap ? MIN(cap - busy, need) : 0;
			for (size_t i = 0; i < n; i++)
				avoided[i] = tm_avoided_until(m, &sp[i].prefix);
			policy_order_by_backoff(avoided, n, idx);
			for (size_t i = 0; i < n && need; i++) {
				const struct state_peer *e = &sp[idx[i]];
				bool av = avoided[idx[i]] != 0;
				if ((!av || room_avoided) && candidate_ok(m, &e->prefix) && e->endpoints &&
				    !direct_neighbour(m, routes, nr, &e->prefix) &&
				    tm_tunnel_connect(m, &e->prefix, e->endpoints, strlen(e->endpoints))) {
					need--;
					room_avoided -= av;
					tried_avoided |= av;
				}
			}
			state_peers_free(sp, n);
		}
	}
	/* 4. the registry's bootstrap peer: asked without blocking (at most
	 * every 30 s, 5 s alone: daemon/reglink.h; with tunnels up, less often
	 * while its answers bring nobody new: policy_bootstrap_wait_ms()); the
	 * answer comes to on_bootstrap_peer().
	 * Also when the cache gave only avoided peers: the registry may know
	 * a node the cache does not. */
	bool alone = tm_count_up(m) == 0;
	if ((need || tried_avoided) && (alone || tm_now_ms(m) >= m->bootstrap_after_ms))
		reglink_want_bootstrap(c->reglink, on_bootstrap_peer, m, alone);
	return need;
}
