/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The tunnel manager as a module: what it does on events (a new network
 * configuration, a revoked peer, new routes), the handler table it gives
 * the peer protocol, its --neighbour/--anchor lists, init and fini. */
#include "tunnel-mgr.h"

/* ---- netconf, addresses, views ---- */

static void warn_no_type(const struct tunnel_mgr *m)
{
	uint8_t v[TUNNEL_TYPE_COUNT];
	if (tm_offered(m, v) == 0)
		log_error("tunnel manager: none of our --tunnel-type is allowed by the network: "
			  "no tunnel can be made");
}

/* A revoked peer: no tunnel, not in the cache, not chosen for a while. */
static void forget_revoked(struct tunnel_mgr *m, const struct re6st_prefix *peer)
{
	for (size_t i = 0; i < m->n; i++) {
		struct tunnel *t = m->t[i];
		if (t->state != T_FREE && prefix_equal(&t->peer, peer))
			tm_release(m, t, "certificate revoked");
	}
	tm_pending_remove(m, peer);
	tm_backoff_rule(m, peer, REVOKED_BACKOFF_MS);
	if (m->c->state)
		state_peer_remove(m->c->state, peer);
}

static void on_netconf(struct tunnel_mgr *m)
{
	const struct re6st_netconf *nc = m->c->netconf;
	if (!nc)
		return;
	warn_no_type(m);
	for (size_t i = 0; i < m->n; i++) {
		struct tunnel *t = m->t[i];
		if (t->state != T_FREE && t->state != T_SETUP && netconf_find_revoked(nc, t->peer_serial)) {
			struct re6st_prefix peer = t->peer;
			forget_revoked(m, &peer);
		} else if (t->state != T_FREE && !tm_offers(m, t->type))
			tm_release(m, t, "tunnel type no longer allowed by the network");
	}
}

static void on_event(void *userdata, enum event_type type, const void *payload, size_t len)
{
	struct tunnel_mgr *m = userdata;

	switch (type) {
	case EV_NETCONF:
		on_netconf(m);
		break;
	case EV_PEER_REVOKED:
		forget_revoked(m, &((const struct ev_prefix *)payload)->prefix);
		break;
	default:
		break;
	}
	tm_want_again(m);
}

/* Every message may change what is due: the manager runs right after. */
static int h_serve(void *userdata, const struct re6st_cert *client,
		   const struct sockaddr_storage *src, const struct pp_msg *req, uint16_t *ret_port,
		   uint16_t *ret_retry_after)
{
	tm_wake(userdata);
	return tm_serve(userdata, client, src, req, ret_port, ret_retry_after);
}

static void h_setup_answer(void *userdata, const struct re6st_cert *server,
			   const struct sockaddr_storage *src, const struct pp_msg *a)
{
	tm_wake(userdata);
	tm_on_setup_answer(userdata, server, src, a);
}

static void h_address(void *userdata, const struct re6st_prefix *peer, const char *list,
		      size_t len)
{
	tm_wake(userdata);
	tm_on_address(userdata, peer, list, len);
}

static void h_tunnel_msg(void *userdata, const struct re6st_prefix *peer, enum pp_type type,
			 uint8_t role)
{
	tm_wake(userdata);
	tm_on_tunnel_msg(userdata, peer, type, role);
}

static const struct peer_handler handlers = {
	.serve = h_serve,
	.setup_answer = h_setup_answer,
	.address = h_address,
	.tunnel_msg = h_tunnel_msg,
	.tunnel_peers = tm_peer_prefixes,
	.probed = tm_on_probed,
};

/* ---- module ---- */

int tunnel_set_lists(struct tunnel_mgr *m, const struct options *o)
{
	struct re6st_prefix *neigh = NULL;
	size_t n = 0;
	if (o->neighbours.n && !(neigh = calloc(o->neighbours.n, sizeof(*neigh))))
		return -ENOMEM;
	for (size_t i = 0; i < o->neighbours.n; i++)
		if (prefix_parse_relaxed(o->neighbours.v[i], &neigh[n]) >= 0)
			n++;
	free(m->neigh);
	m->neigh = neigh;
	m->n_neigh = n;
	m->n_anchors = 0;
	for (size_t i = 0; i < o->anchors.n && i < ARRAY_SIZE(m->anchors); i++)
		if (prefix_parse(o->anchors.v[i], &m->anchors[m->n_anchors]) >= 0)
			m->n_anchors++;
	if (m->timer)
		tm_wake(m); /* new neighbours: tried now */
	return 0;
}

int tunnel_init(struct ctx *c)
{
	_cleanup_free_ struct tunnel_mgr *m = calloc(1, sizeof(*m));
	int r;

	if (!m)
		return log_errno(LOG_ERR, -ENOMEM, "tunnel manager");
	m->c = c;
	m->want_ms = WANT_MS;
	if ((r = tunnel_set_lists(m, &c->opt)) < 0)
		return log_errno(LOG_ERR, r, "tunnel manager");
	r = loop_add_timer(c->loop, 0, 0, tm_run, m, &m->timer);
	if (r < 0) {
		free(m->neigh);
		return log_errno(LOG_ERR, r, "tunnel manager: cannot add a timer");
	}
	/* The first rotation comes one period after start-up. */
	m->next_refresh_ms = loop_now(c->loop) + tm_refresh_ms(m);
	if ((r = events_subscribe(c->events, EV_NETCONF, on_event, m)) < 0 ||
	    (r = events_subscribe(c->events, EV_PEER_REVOKED, on_event, m)) < 0 ||
	    (r = events_subscribe(c->events, EV_ROUTES, on_event, m)) < 0) {
		events_unsubscribe(c->events, on_event, m);
		loop_timer_remove(m->timer);
		free(m->neigh);
		return log_errno(LOG_ERR, r, "tunnel manager");
	}
	if ((r = tm_relay_start(m)) < 0) {
		events_unsubscribe(c->events, on_event, m);
		loop_timer_remove(m->timer);
		free(m->neigh);
		return r;
	}
	peer_set_handler(c->peer, &handlers, m);
	c->tunnels = TAKE_PTR(m);
	if (c->control) {
		control_register(c->control, "tunnels", "tunnels of this node (JSON)", tm_ctl_tunnels);
		control_register(c->control, "peers", "nodes heard from over the peer protocol",
				 tm_ctl_peers);
		control_register_status(c->control, "policy", tm_ctl_policy);
		control_register_status(c->control, "tcp", tm_ctl_tcp);
	}
	metrics_register(c->metrics, tm_metrics_collect, c->tunnels);
	uint8_t types[TUNNEL_TYPE_COUNT];
	size_t nt = tm_offered(c->tunnels, types);
	char tl[32] = "";
	for (size_t i = 0; i < nt; i++)
		snprintf(tl + strlen(tl), sizeof(tl) - strlen(tl), "%s%s", i ? "," : "",
			 tm_type_name(types[i]));
	log_info("tunnel manager: %u client tunnels, up to %u clients, refresh every %" PRIu64
		 " s, types %s",
		 tm_client_count(c->tunnels), tm_max_clients(c->tunnels), tm_refresh_ms(c->tunnels) / 1000,
		 nt ? tl : "none");
	warn_no_type(c->tunnels);
	return 0;
}

void tunnel_fini(struct ctx *c)
{
	struct tunnel_mgr *m = c->tunnels;
	if (!m)
		return;
	peer_set_handler(c->peer, NULL, NULL);
	events_unsubscribe(c->events, on_event, m);
	metrics_unregister(c->metrics, tm_metrics_collect, m);
	loop_timer_remove(m->timer);
	m->timer = NULL;
	while (m->n)
		tm_tunnel_delete(m, m->t[m->n - 1]);
	tcp_relay_free(m->relay);
	for (int i = 0; i < 2; i++)
		if (m->fou_open[i])
			obj_fou_delete(c, i ? AF_INET6 : AF_INET, c->opt.fou_port);
	free(m->t);
	free(m->neigh);
	free(m->view);
	free(m);
	c->tunnels = NULL;
}
