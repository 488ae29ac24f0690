/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tunnel-tcp.c - the tunnel manager's TCP links (docs/tunnel-manager.md,
 * "TCP links"): the relay it owns, the listener when the node offers tcp,
 * a client tunnel's link, a served tunnel's binding.
 */
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <string.h>

#include "tunnel-mgr.h"
#include "wireguard.h"

/* Whether --tunnel-type lists tcp (the network allows it whenever it
 * allows WireGuard: tunnel-type.h). */
static bool listed(const struct options *o)
{
	for (size_t i = 0; i < o->n_tunnel_types; i++)
		if (o->tunnel_types[i] == TUNNEL_TYPE_TCP)
			return true;
	return false;
}

int tm_relay_start(struct tunnel_mgr *m)
{
	const struct options *o = &m->c->opt;
	int r = tcp_relay_new(m->c->loop, &m->relay);
	if (r < 0)
		return log_errno(LOG_ERR, r, "tunnel manager: TCP relay");
	if (!listed(o))
		return 0;
	/* [::] takes IPv4 too; a node without IPv6 listens on 0.0.0.0. */
	struct sockaddr_storage any6 = { 0 }, any4 = { 0 };
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&any6;
	struct sockaddr_in *a4 = (struct sockaddr_in *)&any4;
	a6->sin6_family = AF_INET6;
	a6->sin6_port = htons(o->tcp_port);
	a4->sin_family = AF_INET;
	a4->sin_port = htons(o->tcp_port);
	r = tcp_relay_listen(m->relay, &any6, o->peer_port, NULL);
	if (r == -EAFNOSUPPORT)
		r = tcp_relay_listen(m->relay, &any4, o->peer_port, NULL);
	if (r < 0) {
		tcp_relay_free(m->relay);
		m->relay = NULL;
		return log_errno(LOG_ERR, r, "tunnel manager: cannot listen on TCP port %u",
				 o->tcp_port);
	}
	log_info("tunnel manager: TCP links accepted on port %u", o->tcp_port);
	m->tcp_port = o->tcp_port;
	return 0;
}

int tm_tcp_link_open(struct tunnel_mgr *m, struct tunnel *t)
{
	_cleanup_(nl_wg_device_freep) struct nl_wg_device *dev = NULL;
	const struct pp_endpoint *ep = &t->eps[t->ep_idx];
	struct sockaddr_storage srv = { 0 };

	tcp_link_free(t->link);
	t->link = NULL;
	int r = nl_wg_device_get(m->c->nl, t->ifindex, &dev);
	if (r < 0)
		return r;
	if (ep->family == AF_INET) {
		struct sockaddr_in *a = (struct sockaddr_in *)&srv;
		a->sin_family = AF_INET;
		a->sin_port = htons(ep->port);
		memcpy(&a->sin_addr, ep->addr, 4);
	} else {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&srv;
		a->sin6_family = AF_INET6;
		a->sin6_port = htons(ep->port);
		memcpy(&a->sin6_addr, ep->addr, 16);
	}
	return tcp_link_new(m->relay, &srv, dev->listen_port, m->c->opt.peer_port, &t->link);
}

void tm_tcp_link_close(struct tunnel *t)
{
	tcp_link_free(t->link);
	t->link = NULL;
}

bool tm_tcp_is_link(const struct tunnel_mgr *m, const struct sockaddr_storage *src)
{
	return m->relay && tcp_relay_has(m->relay, src);
}

int tm_tcp_bind(struct tunnel_mgr *m, const struct sockaddr_storage *src, uint16_t wg_port)
{
	return m->relay ? tcp_relay_bind(m->relay, src, wg_port) : -ENOENT;
}

void tm_tcp_prefer(struct tunnel_mgr *m, const struct re6st_prefix *peer)
{
	uint64_t now = tm_now_ms(m);
	struct tcp_pref *slot = &m->tcp_pref[0];
	for (size_t i = 0; i < TCP_PREF_MAX; i++) {
		struct tcp_pref *p = &m->tcp_pref[i];
		if (p->until_ms > now && prefix_equal(&p->prefix, peer)) {
			slot = p;
			break;
		}
		if (p->until_ms < slot->until_ms)
			slot = p;
	}
	slot->prefix = *peer;
	slot->until_ms = now + TCP_PREF_MS;
}

bool tm_tcp_preferred(const struct tunnel_mgr *m, const struct re6st_prefix *peer)
{
	uint64_t now = tm_now_ms(m);
	for (size_t i = 0; i < TCP_PREF_MAX; i++)
		if (m->tcp_pref[i].until_ms > now && prefix_equal(&m->tcp_pref[i].prefix, peer))
			return true;
	return false;
}

int tm_ctl_tcp(struct ctx *c, const char *args _unused_, struct jbuf *out)
{
	struct tunnel_mgr *m = c->tunnels;
	struct tcp_relay_stats st = { 0 };
	if (m->relay)
		tcp_relay_get_stats(m->relay, &st);
	jbuf_append(out, "{\"port\": ");
	if (m->tcp_port)
		jbuf_append(out, "%u", m->tcp_port);
	else
		jbuf_append(out, "null");
	jbuf_append(out, ", \"connections\": %u, \"accepted\": %" PRIu64 ", \"refused\": %" PRIu64
			 ", \"connects\": %" PRIu64 ", \"frames_out\": %" PRIu64 ", \"frames_in\": %" PRIu64
			 ", \"bytes_out\": %" PRIu64 ", \"bytes_in\": %" PRIu64 ", \"dropped\": %" PRIu64 "}",
		    st.conns, st.accepted, st.refused, st.connects, st.frames_to_tcp, st.frames_from_tcp,
		    st.bytes_to_tcp, st.bytes_from_tcp, st.dropped);
	return 0;
}
