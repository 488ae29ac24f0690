/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <inttypes.h>
#include <stdlib.h>

#include "tunnel-mgr.h"

/* ---- is the tunnel up, and is its underlay alive? (health.h) ---- */

uint64_t tm_health_due(const struct tunnel_mgr *m, const struct tunnel *t, uint64_t *ret_slack)
{
	uint64_t dead = health_dead_after_ms(m->c->opt.dead_after, m->c->netconf);
	uint64_t third = MIN(MAX(health_reading_ms(dead), (uint64_t)1000), (uint64_t)HEALTH_EVERY_MS);
	if (!t->live) { /* no WireGuard handshake, no babel neighbour on GRE yet */
		*ret_slack = 0;
		return t->checked_ms + third;
	}
	/* Up to a third of the period early, so that the checks fall in one
	 * wake-up. */
	*ret_slack = MIN((uint64_t)HEALTH_SLACK_MS, (uint64_t)HEALTH_EVERY_MS / 3);
	return t->checked_ms + HEALTH_EVERY_MS;
}

/* GRE/FOU: no handshake to look at; a babel neighbour on the link that
 * hears us (hellos one way, IHUs back) tells that packets flow both ways.
 * Same time-outs as WireGuard's. */
static void check_gre(struct tunnel_mgr *m, struct tunnel *t, uint64_t now)
{
	struct ctx *c = m->c;
	if (!c->babel)
		return;
	if (babel_count_neighbours_2way(c->babel, t->ifname)) {
		if (!t->live)
			log_debug("tunnel %s: babel neighbour after %.1f s", t->ifname,
				  (double)(now - t->since_ms) / 1000);
		t->live = true;
		t->alive_ms = now;
	} else if (!t->live) {
		if (now - t->since_ms > (t->server ? 3 * HANDSHAKE_FIRST_MS : HANDSHAKE_FIRST_MS)) {
			if (!t->server)
				tm_backoff(m, &t->peer, BACKOFF_FAIL_MS);
			tm_release(m, t, "no babel neighbour");
		}
	} else if (now - t->alive_ms > HANDSHAKE_STALE_S * 1000ull) {
		tm_release(m, t, "babel neighbour gone");
	}
}

void tm_check_health(struct tunnel_mgr *m, struct tunnel *t, uint64_t now)
{
	struct ctx *c = m->c;
	_cleanup_(nl_wg_device_freep) struct nl_wg_device *d = NULL;

	uint64_t slack, due = tm_health_due(m, t, &slack);
	if (now + slack < due)
		return;
	t->checked_ms = now;
	if (tm_is_gre(t)) {
		check_gre(m, t, now);
		return;
	}
	if (nl_wg_device_get(c->nl, t->ifindex, &d) < 0)
		return;
	const struct nl_wg_peer *p = nl_wg_device_find_peer(d, t->peer_wg);
	if (!p)
		return;
	uint64_t hs = (uint64_t)p->last_handshake.tv_sec;
	uint64_t unix_now = loop_unix_now();
	if (hs == 0) {
		if (now - t->since_ms > (t->server ? 3 * HANDSHAKE_FIRST_MS : HANDSHAKE_FIRST_MS)) {
			/* The peer has tcp endpoints: no back-off, TCP next time. */
			if (!t->server && t->type == PP_TUNNEL_WG && t->n_tcp_eps)
				tm_tcp_prefer(m, &t->peer);
			else if (!t->server)
				tm_backoff(m, &t->peer, BACKOFF_FAIL_MS);
			tm_release(m, t, "no WireGuard handshake");
		}
	} else if (unix_now > hs + HANDSHAKE_STALE_S) {
		tm_release(m, t, "WireGuard handshake too old");
	} else {
		t->live = true;
	}
}

static bool counted(const struct tunnel *t)
{
	return t->state == T_UP && t->live && t->ifindex > 0;
}

uint64_t tm_counters_due(const struct tunnel_mgr *m, uint64_t *ret_slack)
{
	uint64_t due = 0, dead_ms = health_dead_after_ms(m->c->opt.dead_after, m->c->netconf);
	*ret_slack = health_reading_slack_ms(dead_ms);
	for (size_t i = 0; i < m->n; i++) {
		const struct tunnel *t = m->t[i];
		if (!counted(t))
			continue;
		uint64_t v = health_verdict_ms(&t->rx, dead_ms);
		if (!due) /* never read yet: now (1, as 0 says none) */
			due = MAX(m->next_counters_ms, (uint64_t)1);
		if (v && v < due) {
			due = v;
			*ret_slack = 0;
		}
	}
	return due;
}

void tm_read_counters(struct tunnel_mgr *m, uint64_t now)
{
	struct ctx *c = m->c;
	uint64_t dead_ms = health_dead_after_ms(c->opt.dead_after, c->netconf);

	uint64_t slack, due = tm_counters_due(m, &slack);
	if (!due || now + slack < due)
		return;
	m->next_counters_ms = now + health_reading_ms(dead_ms);
	/* The live tunnels' links, in m->t's order; a release below leaves
	 * m->t as it is. */
	_cleanup_free_ size_t *at = calloc(m->n, sizeof(*at));
	_cleanup_free_ int *ifindex = calloc(m->n, sizeof(*ifindex));
	_cleanup_free_ struct nl_link_stats *st = calloc(m->n, sizeof(*st));
	size_t n = 0;
	int r = -ENOMEM;
	if (at && ifindex && st) {
		for (size_t i = 0; i < m->n; i++)
			if (counted(m->t[i])) {
				at[n] = i;
				ifindex[n++] = m->t[i]->ifindex;
			}
		r = nl_link_stats_get(c->nl, ifindex, n, st);
	}
	if (r < 0) {
		/* Said once per failing streak: failure detection waits meanwhile. */
		if (!m->counters_failing++)
			log_warning("tunnel manager: cannot read the links' counters (%s): "
				    "dead tunnels are not detected until it can",
				    strerror(-r));
		return;
	}
	m->counters_failing = 0;
	for (size_t k = 0; k < n; k++) {
		struct tunnel *t = m->t[at[k]];
		const struct nl_link_stats *s = &st[k];
		/* What we tried to send counts, refused on the way out too (a
		 * local firewall: the link counts it dropped, not sent). A
		 * link gone (ifindex 0) is the link monitor's business. */
		if (s->ifindex != t->ifindex ||
		    health_rx_update(&t->rx, s->rx_packets, s->tx_packets + s->tx_errors + s->tx_dropped,
				     now, dead_ms) != HEALTH_DEAD)
			continue;
		char b[PREFIX_STRLEN];
		log_notice("tunnel %s %s %s: nothing received for %.1f s: dead", t->ifname,
			   t->server ? "from" : "to", tm_pfx(&t->peer, b),
			   (double)(now - t->rx.rx_ms) / 1000);
		/* The underlay path between the two is cut, whichever side
		 * opened the tunnel: a served tunnel's peer is avoided too, or
		 * a node cut from all its peers tries its old clients first. */
		tm_backoff(m, &t->peer, BACKOFF_FAIL_MS);
		m->dead++;
		tm_release(m, t, "underlay dead");
	}
}

bool tm_waits_on_babel(const struct tunnel_mgr *m)
{
	for (size_t i = 0; i < m->n; i++) {
		const struct tunnel *t = m->t[i];
		if (t->state == T_DRAINING || (t->destroy_requested && t->state != T_FREE) ||
		    (t->state == T_UP && !t->live && tm_is_gre(t)) ||
		    (t->state == T_FREE && tm_link_has_neighbours(m, t)))
			return true;
	}
	return false;
}
