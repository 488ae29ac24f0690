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

static const char *const state_names[] = {
	[T_FREE] = "free", [T_SETUP] = "setup", [T_UP] = "up",
	[T_DRAINING] = "draining", [T_DESTROYING] = "destroying",
};

void tunnel_health(const struct tunnel_mgr *m, struct tunnel_health *ret)
{
	struct tunnel_health h = { .reachable = tm_reachable(m) };
	for (size_t i = 0; i < m->n; i++)
		h.up += m->t[i]->state == T_UP;
	*ret = h;
}

/* ---- control socket ---- */

/* "policy" in status: the parameters in force and what they did. */
int tm_ctl_policy(struct ctx *c, const char *args, struct jbuf *out)
{
	struct tunnel_mgr *m = c->tunnels;
	struct policy_params p = tm_params(m);
	size_t na;
	const struct re6st_prefix *anc = tm_anchors(m, &na);
	char b[PREFIX_STRLEN];

	jbuf_append(out, "{\"client_count\": %u, \"effective_client_count\": %u, "
			 "\"max_clients\": %u, "
			 "\"tunnel_refresh\": %" PRIu64 ", \"rotate_share\": %g, "
			 "\"busy_share\": %g, \"busy_weight\": %g, \"drain_limit\": %u, "
			 "\"anchor_share\": %g, \"anchors\": [",
		    tm_client_count(m), tm_effective_client_count(m), tm_max_clients(m), tm_refresh_ms(m) / 1000, p.rotate_share, p.busy_share, p.busy_weight,
		    p.drain_limit, p.anchor_share);
	for (size_t i = 0; i < na; i++) {
		jbuf_append(out, "%s", i ? ", " : "");
		jbuf_string(out, tm_pfx(&anc[i], b));
	}
	jbuf_append(out, "], \"neighbours\": [");
	for (size_t i = 0; i < m->n_neigh; i++) {
		jbuf_append(out, "%s", i ? ", " : "");
		jbuf_string(out, tm_pfx(&m->neigh[i], b));
	}
	jbuf_append(out, "], \"same_country\": ");
	jbuf_string(out, c->netconf ? c->netconf->same_country : NULL);
	jbuf_append(out, ", \"country\": ");
	jbuf_string(out, c->country[0] ? c->country : NULL);
	jbuf_append(out, ", \"reachable\": %s, \"reachable_by\": ", tm_reachable(m) ? "true" : "false");
	jbuf_string(out, tm_reachable_by(m));
	jbuf_append(out, ", \"destroyed\": %" PRIu64 ", \"forced\": %" PRIu64
			 ", \"dead_after\": %" PRIu64 ", \"dead\": %" PRIu64 ", \"lossy\": %" PRIu64 "}",
		    m->destroyed, m->forced, health_dead_after_ms(c->opt.dead_after, c->netconf) / 1000,
		    m->dead, m->lossy);
	return 0;
}

int tm_ctl_tunnels(struct ctx *c, const char *args, struct jbuf *out)
{
	struct tunnel_mgr *m = c->tunnels;
	uint64_t now = tm_now_ms(m);
	char b[PREFIX_STRLEN];

	jbuf_append(out, "{\"client_count\": %u, \"max_clients\": %u, \"reachable\": %s, "
			 "\"rotations\": %" PRIu64 ", \"next_refresh_s\": %" PRIu64 ", ",
		    tm_client_count(m), tm_max_clients(m), tm_reachable(m) ? "true" : "false", m->rotations,
		    m->next_refresh_ms > now ? (m->next_refresh_ms - now) / 1000 : 0);
	/* What the node advertises (--ip, the UPnP gateway's address, the
	 * address peers saw), and the gateway's address while ports are mapped. */
	char eps[1024];
	jbuf_key(out, "endpoints");
	jbuf_string(out, endpoints_format(c->endpoints, eps, sizeof(eps)) >= 0 ? eps : NULL);
	jbuf_append(out, ", ");
	jbuf_key(out, "upnp");
	jbuf_string(out, upnp_external_address(c->upnp));
	jbuf_append(out, ", \"tunnels\": [");
	for (size_t i = 0; i < m->n; i++) {
		const struct tunnel *t = m->t[i];
		jbuf_append(out, "%s{", i ? ", " : "");
		jbuf_key(out, "ifname");
		jbuf_string(out, t->ifname);
		jbuf_append(out, ", \"type\": \"%s\", \"role\": \"%s\", \"state\": \"%s\", "
				 "\"port\": %u, ",
			    tm_type_name(t->type), t->server ? "server" : "client",
			    state_names[t->state], tm_is_gre(t) ? t->gre.encap_dport : t->port);
		jbuf_key(out, "peer");
		jbuf_string(out, t->state == T_FREE ? NULL : tm_pfx(&t->peer, b));
		/* GRE: the underlay ends as programmed (as `ip -d link` shows them). */
		char lo[INET6_ADDRSTRLEN], re[INET6_ADDRSTRLEN];
		bool ends = tm_is_gre(t) && t->ifindex && t->state != T_FREE &&
			    inet_ntop(t->gre.family, &t->gre.local, lo, sizeof(lo)) &&
			    inet_ntop(t->gre.family, &t->gre.remote, re, sizeof(re));
		jbuf_append(out, ", ");
		jbuf_key(out, "local");
		jbuf_string(out, ends ? lo : NULL);
		jbuf_append(out, ", ");
		jbuf_key(out, "remote");
		jbuf_string(out, ends ? re : NULL);
		size_t routes = tm_routes_via(m, t);
		jbuf_append(out, ", \"routes\": %zu, \"drained\": %s, \"age_s\": %" PRIu64
				 ", \"keepalive\": %s, \"neighbour\": %s}",
			    routes, t->drained ? "true" : "false", (now - t->since_ms) / 1000,
			    t->nat ? "true" : "false",
			    t->state != T_FREE && tm_is_neighbour(m, &t->peer) ? "true" : "false");
	}
	jbuf_append(out, "]}");
	return 0;
}

int tm_ctl_peers(struct ctx *c, const char *args, struct jbuf *out)
{
	const struct peer_known *k = NULL;
	size_t n = c->peer ? peer_known_list(c->peer, &k) : 0;
	uint64_t now = loop_now(c->loop);
	char b[PREFIX_STRLEN];

	jbuf_append(out, "{\"peers\": [");
	for (size_t i = 0; i < n; i++) {
		jbuf_append(out, "%s{", i ? ", " : "");
		jbuf_key(out, "prefix");
		jbuf_string(out, tm_pfx(&k[i].prefix, b));
		jbuf_append(out, ", \"serial\": %" PRIu64 ", \"netconf_version\": %" PRIu64
				 ", \"last_seen_s\": %" PRIu64 ", \"connected\": %s, ",
			    k[i].cert_serial, k[i].netconf_version, (now - k[i].last_rx_ms) / 1000,
			    c->tunnels && tm_connected(c->tunnels, &k[i].prefix) ? "true" : "false");
		jbuf_key(out, "software");
		jbuf_string(out, k[i].software);
		jbuf_append(out, "}");
	}
	jbuf_append(out, "]}");
	return 0;
}
