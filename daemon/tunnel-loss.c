/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <string.h>

#include "tunnel-mgr.h"

/* ---- lossy tunnels (policy.h, exception 9; health.h) ---- */

/* The reach is full 16 hellos after the tunnel came up, at the latest:
 * counted with the longer of the node's and the network's interval. */
void tm_loss_reset(struct tunnel_mgr *m, struct tunnel *t)
{
	t->loss = (struct health_loss){ 0 };
	t->loss_next_ms = tm_now_ms(m) + 17 * health_hello_ms(m->c->opt.hello, m->c->netconf);
}

/* The reach of t's neighbour: the fullest of babel's neighbours on its
 * interface (the previous peer's may linger there a few seconds); -1 when
 * there is none. */
static int neighbour_reach(struct tunnel_mgr *m, const struct tunnel *t)
{
	const struct babel_neighbour *nb = NULL;
	size_t n = m->c->babel ? babel_neighbours(m->c->babel, &nb) : 0;
	int best = -1;
	for (size_t i = 0; i < n; i++)
		if (!strcmp(nb[i].ifname, t->ifname) &&
		    (best < 0 || __builtin_popcount(nb[i].reach) > __builtin_popcount((unsigned)best)))
			best = (int)(nb[i].reach & 0xffffu);
	return best;
}

bool tm_loss_check(struct tunnel_mgr *m, struct tunnel *t, uint64_t now)
{
	if (t->state != T_UP || now < t->loss_next_ms)
		return false;
	t->loss_next_ms = now + HEALTH_LOSS_EVERY_MS;
	int reach = neighbour_reach(m, t);
	if (reach < 0)
		return false;
	if (!health_loss_update(&t->loss, (unsigned)reach))
		return false;
	char b[PREFIX_STRLEN];
	log_notice("tunnel %s %s %s: lossy (%.0f%% of babel's hellos lost): its peer avoided for %u min",
		   t->ifname, t->server ? "from" : "to", tm_pfx(&t->peer, b), 100 * t->loss.avg,
		   (unsigned)(LOSSY_BACKOFF_MS / 60000));
	t->loss = (struct health_loss){ 0 };
	tm_backoff(m, &t->peer, LOSSY_BACKOFF_MS);
	m->lossy++;
	return true;
}
