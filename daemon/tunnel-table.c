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

uint64_t tm_now_ms(const struct tunnel_mgr *m)
{
	return loop_now(m->c->loop);
}

int tm_prefix_cmp(const struct re6st_prefix *a, const struct re6st_prefix *b)
{
	int r = memcmp(a->addr, b->addr, 16);
	return r ? r : (int)a->len - (int)b->len;
}

const char *tm_pfx(const struct re6st_prefix *p, char buf[PREFIX_STRLEN])
{
	return prefix_format(p, buf);
}

/* ---- parameters (options override the network configuration) ---- */

unsigned tm_client_count(const struct tunnel_mgr *m)
{
	const struct ctx *c = m->c;
	if (c->opt.client_count >= 0)
		return (unsigned)c->opt.client_count;
	return c->netconf ? c->netconf->client_count : NETCONF_DEFAULT_CLIENT_COUNT;
}

unsigned tm_max_clients(const struct tunnel_mgr *m)
{
	const struct ctx *c = m->c;
	if (c->opt.max_clients >= 0)
		return (unsigned)c->opt.max_clients;
	return c->netconf ? netconf_max_clients(c->netconf) : 2 * NETCONF_DEFAULT_CLIENT_COUNT;
}

uint64_t tm_refresh_ms(const struct tunnel_mgr *m)
{
	const struct ctx *c = m->c;
	unsigned s = c->opt.tunnel_refresh > 0 ? (unsigned)c->opt.tunnel_refresh
		     : c->netconf ? c->netconf->tunnel_refresh : NETCONF_DEFAULT_TUNNEL_REFRESH;
	return (uint64_t)(s ? s : NETCONF_DEFAULT_TUNNEL_REFRESH) * 1000;
}

static double share(uint32_t opt, uint32_t net)
{
	return (double)(opt != OPT_FROM_NETWORK ? opt : net) / NETCONF_MILLION;
}

/* The policy's parameters: options, else the network's (whose decoder gives
 * the defaults for fields a document lacks), else the defaults. */
struct policy_params tm_params(const struct tunnel_mgr *m)
{
	const struct ctx *c = m->c;
	const struct re6st_netconf *nc = c->netconf;
	struct policy_params p = {
		.rotate_share = share(c->opt.rotate_share,
				      nc ? nc->rotate_share : NETCONF_DEFAULT_ROTATE_SHARE),
		.busy_share = share(c->opt.busy_share,
				    nc ? nc->busy_share : NETCONF_DEFAULT_BUSY_SHARE),
		.busy_weight = share(c->opt.busy_weight,
				     nc ? nc->busy_weight : NETCONF_DEFAULT_BUSY_WEIGHT),
		.anchor_share = share(c->opt.anchor_share,
				      nc ? nc->anchor_share : NETCONF_DEFAULT_ANCHOR_SHARE),
		.drain_limit = c->opt.drain_limit > 0 ? (uint32_t)c->opt.drain_limit
			       : nc ? nc->drain_limit : NETCONF_DEFAULT_DRAIN_LIMIT,
	};
	return p;
}

const struct re6st_prefix *tm_anchors(const struct tunnel_mgr *m, size_t *ret_n)
{
	if (m->c->opt.anchors.n || !m->c->netconf) {
		*ret_n = m->n_anchors;
		return m->anchors;
	}
	*ret_n = m->c->netconf->n_anchors;
	return m->c->netconf->anchors;
}

bool tm_is_neighbour(const struct tunnel_mgr *m, const struct re6st_prefix *p)
{
	for (size_t i = 0; i < m->n_neigh; i++)
		if (prefix_equal(&m->neigh[i], p))
			return true;
	return false;
}

/* ---- tunnel types ---- */

/* Our types now, by preference: --tunnel-type as the network allows. */
size_t tm_offered(const struct tunnel_mgr *m, uint8_t ret[TUNNEL_TYPE_COUNT])
{
	return endpoints_offered(m->c, ret);
}

bool tm_offers(const struct tunnel_mgr *m, uint8_t type)
{
	uint8_t v[TUNNEL_TYPE_COUNT];
	size_t n = tm_offered(m, v);
	for (size_t i = 0; i < n; i++)
		if (v[i] == type)
			return true;
	return false;
}

bool tm_is_gre(const struct tunnel *t)
{
	return t->type == PP_TUNNEL_GRE || t->type == PP_TUNNEL_FOU;
}

bool tm_type_is_wg(uint8_t type)
{
	return type == PP_TUNNEL_WG || type == PP_TUNNEL_TCP;
}

const char *tm_type_name(uint8_t type)
{
	const char *s = pp_tunnel_type_to_string(type);
	return s ? s : "?";
}

/* ---- backoff and pending tables ---- */

/* Tunnels up and staying: not draining nor being destroyed, which are
 * going (a node whose only tunnel drains is alone: exception 7). */
size_t tm_count_up(const struct tunnel_mgr *m)
{
	size_t n = 0;
	for (size_t i = 0; i < m->n; i++)
		n += m->t[i]->state == T_UP;
	return n;
}

static const struct backoff *find_backoff(const struct tunnel_mgr *m, const struct re6st_prefix *p)
{
	for (size_t i = 0; i < m->n_back; i++)
		if (prefix_equal(&m->back[i].prefix, p))
			return m->back[i].until_ms > tm_now_ms(m) ? &m->back[i] : NULL;
	return NULL;
}

bool tm_backed_off(struct tunnel_mgr *m, const struct re6st_prefix *p)
{
	const struct backoff *b = find_backoff(m, p);
	return b && policy_backoff_holds(b->rule, tm_count_up(m));
}

uint64_t tm_avoided_until(const struct tunnel_mgr *m, const struct re6st_prefix *p)
{
	const struct backoff *b = find_backoff(m, p);
	return b && !b->rule ? b->until_ms : 0;
}

static void backoff_put(struct tunnel_mgr *m, const struct re6st_prefix *p, uint64_t ms, bool rule)
{
	uint64_t until = tm_now_ms(m) + ms;
	size_t i;
	for (i = 0; i < m->n_back; i++)
		if (prefix_equal(&m->back[i].prefix, p))
			break;
	if (i < m->n_back) {
		/* Merged: a back-off never shortens another (a lossy peer's
		 * hour outlasts the rotation that drained its tunnel), and one
		 * by rule stays one. */
		struct backoff *b = &m->back[i];
		b->until_ms = MAX(b->until_ms, until);
		b->rule = b->rule || rule;
		return;
	} else if (m->n_back == BACKOFF_MAX) {
		/* Replace the entry that expires first. */
		i = 0;
		for (size_t j = 1; j < m->n_back; j++)
			if (m->back[j].until_ms < m->back[i].until_ms)
				i = j;
	} else {
		m->n_back++;
	}
	m->back[i] = (struct backoff){ *p, until, rule };
}

void tm_backoff(struct tunnel_mgr *m, const struct re6st_prefix *p, uint64_t ms)
{
	backoff_put(m, p, ms, false);
}

void tm_backoff_rule(struct tunnel_mgr *m, const struct re6st_prefix *p, uint64_t ms)
{
	backoff_put(m, p, ms, true);
}

bool tm_pending(struct tunnel_mgr *m, const struct re6st_prefix *p)
{
	for (size_t i = 0; i < m->n_pend; i++)
		if (prefix_equal(&m->pend[i].prefix, p))
			return true;
	return false;
}

void tm_pending_remove(struct tunnel_mgr *m, const struct re6st_prefix *p)
{
	for (size_t i = 0; i < m->n_pend; i++)
		if (prefix_equal(&m->pend[i].prefix, p)) {
			m->pend[i] = m->pend[--m->n_pend];
			return;
		}
}

/* ---- the pool ---- */

struct tunnel *tm_find_peer(struct tunnel_mgr *m, const struct re6st_prefix *p, bool server)
{
	for (size_t i = 0; i < m->n; i++) {
		struct tunnel *t = m->t[i];
		if (t->server == server && t->state != T_FREE && prefix_equal(&t->peer, p))
			return t;
	}
	return NULL;
}

bool tm_connected(struct tunnel_mgr *m, const struct re6st_prefix *p)
{
	return tm_find_peer(m, p, false) || tm_find_peer(m, p, true);
}

size_t tm_count(const struct tunnel_mgr *m, bool server, bool active)
{
	size_t n = 0;
	for (size_t i = 0; i < m->n; i++)
		if (m->t[i]->server == server && (m->t[i]->state != T_FREE) == active)
			n++;
	return n;
}

/* Client tunnels that count towards client-count: a rotated one (draining,
 * destroying) no longer does, so that its replacement opens at once. */
size_t tm_count_clients(const struct tunnel_mgr *m)
{
	size_t n = 0;
	for (size_t i = 0; i < m->n; i++)
		n += !m->t[i]->server && (m->t[i]->state == T_SETUP || m->t[i]->state == T_UP);
	return n;
}

/* ---- what peers and the peer protocol see ---- */

/* `--ip any`, or no --ip at all and no UPnP gateway: learn our address. */
bool tm_learn_from_peers(const struct tunnel_mgr *m)
{
	const struct options *o = &m->c->opt;
	return strv_contains(&o->ip, "any") || (o->ip.n == 0 && !m->c->upnp);
}

size_t tm_peer_prefixes(void *userdata, const struct re6st_prefix **ret,
			    size_t *ret_n_client)
{
	struct tunnel_mgr *m = userdata;
	struct re6st_prefix *v = realloc(m->view, (m->n ? m->n : 1) * sizeof(*v));
	size_t n = 0, nc = 0;
	if (!v) {
		*ret = NULL;
		*ret_n_client = 0;
		return 0;
	}
	m->view = v;
	for (int server = 0; server < 2; server++)
		for (size_t i = 0; i < m->n; i++) {
			const struct tunnel *t = m->t[i];
			if (t->server == server && t->state >= T_UP) {
				v[n++] = t->peer;
				nc += !server;
			}
		}
	*ret = v;
	*ret_n_client = nc;
	return n;
}

void tm_event(struct tunnel_mgr *m, const struct tunnel *t, enum ev_tunnel_kind kind,
	      const char *why, uint64_t ms, size_t routes)
{
	struct events *ev = m->c->events;
	if (!events_wanted(ev, EV_TUNNEL))
		return;
	struct ev_tunnel e = { .kind = (uint8_t)kind, .server = t->server, .peer = t->peer,
			       .ms = (uint32_t)MIN(ms, (uint64_t)UINT32_MAX),
			       .routes = (uint32_t)MIN(routes, (size_t)UINT32_MAX) };
	snprintf(e.ifname, sizeof(e.ifname), "%s", t->ifname);
	snprintf(e.type, sizeof(e.type), "%s", tm_type_name(t->type));
	snprintf(e.why, sizeof(e.why), "%s", why ? why : "");
	events_post(ev, EV_TUNNEL, &e, sizeof(e));
}
