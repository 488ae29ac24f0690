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

static int wg_program(struct tunnel_mgr *m, struct tunnel *t, const uint8_t pk[32],
		      const struct sockaddr_storage *endpoint, bool keepalive)
{
	struct nl_wg_allowed_ip allowed[2] = {
		{ .family = AF_INET6, .cidr = 0 },
		{ .family = AF_INET, .cidr = 0 },
	};
	struct nl_wg_peer_config peer = {
		.persistent_keepalive = keepalive ? KEEPALIVE_S : 0,
		.set_persistent_keepalive = true,
		.replace_allowed_ips = true,
		.allowed_ips = allowed,
		.n_allowed_ips = 2,
	};
	memcpy(peer.public_key, pk, 32);
	if (endpoint && endpoint->ss_family == AF_INET)
		memcpy(&peer.endpoint.in, endpoint, sizeof(struct sockaddr_in));
	else if (endpoint && endpoint->ss_family == AF_INET6)
		memcpy(&peer.endpoint.in6, endpoint, sizeof(struct sockaddr_in6));
	return nl_wg_peers_replace(m->c->nl, t->ifindex, &peer, 1);
}

/* Every tunnel interface: a link-local address (babeld keeps an interface
 * without one down), then up. The address is drawn once per interface and
 * given again when the link comes back up for a new peer (the kernel
 * removes IPv6 addresses from a link set down). */
static int link_finish(struct tunnel_mgr *m, struct tunnel *t)
{
	struct nl_prefix ll = { .family = AF_INET6, .len = 64 };
	if (t->ll[0] != 0xfe) {
		t->ll[0] = 0xfe;
		t->ll[1] = 0x80;
		randombytes_buf(&t->ll[8], 8);
	}
	memcpy(ll.addr.in6.s6_addr, t->ll, 16);
	int r = obj_addr_add(m->c, t->ifname, &ll, NL_ADDR_NODAD);
	if (r == -EEXIST)
		r = 0;
	if (r >= 0)
		r = nl_link_set_up(m->c->nl, t->ifindex, true);
	if (r >= 0)
		t->link_down = false;
	return r;
}

/*
 * A freed tunnel's link goes down at once: babeld sees it down, drops the
 * routes through it at once (failover) and sends nothing on it until a new
 * peer brings it up (tm_pool_apply()). Tunnels carry no HMAC key
 * (babel_tunnel_options()), so babeld's signing loop for a neighbour whose
 * link went down cannot start here. The link stays declared to babeld:
 * babeld 1.12's `flush interface` frees the interface but not its
 * neighbours, which keep pointing at it (fixed in babeld 1.14).
 */
void tm_link_down(struct tunnel_mgr *m, struct tunnel *t)
{
	if (!t->ifindex || t->link_down)
		return;
	int r = nl_link_set_up(m->c->nl, t->ifindex, false);
	if (r < 0)
		log_warning("tunnel: cannot set %s down: %s", t->ifname, strerror(-r));
	else
		t->link_down = true;
}

bool tm_link_has_neighbours(const struct tunnel_mgr *m, const struct tunnel *t)
{
	return m->c->babel && babel_count_neighbours(m->c->babel, t->ifname);
}

/*
 * A new pool entry of type. WireGuard: its interface is made now. GRE/FOU:
 * only the name is reserved; the link is made by tm_pool_apply() once the
 * remote is known (a GRE link made without a remote would be an NBMA
 * tunnel, which cannot be turned point-to-point later).
 */
static int tunnel_create(struct tunnel_mgr *m, uint8_t type, bool server, uint16_t port,
			 struct tunnel **ret)
{
	struct ctx *c = m->c;
	_cleanup_free_ struct tunnel *t = calloc(1, sizeof(*t));
	int r;

	if (!t)
		return -ENOMEM;
	struct tunnel **v = realloc(m->t, (m->n + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	m->t = v;
	/* First unused name: re6stcN/re6stsN (WireGuard), re6sgN (GRE),
	 * re6sfN (GRE in FOU). */
	const char *base = type == PP_TUNNEL_GRE ? "re6sg"
			   : type == PP_TUNNEL_FOU ? "re6sf"
			   : server		   ? "re6sts"
						   : "re6stc";
	for (unsigned i = 1;; i++) {
		snprintf(t->ifname, sizeof(t->ifname), "%s%u", base, i);
		bool used = false;
		for (size_t j = 0; j < m->n; j++)
			used |= strcmp(m->t[j]->ifname, t->ifname) == 0;
		if (!used)
			break;
	}
	t->type = type;
	t->server = server;
	t->port = port;
	if (!tm_type_is_wg(type)) {
		m->t[m->n++] = t;
		*ret = TAKE_PTR(t);
		return 0;
	}
	r = obj_link_create(c, t->ifname, "wireguard", 0, &t->ifindex);
	if (r == -EEXIST) {
		/* Left over by a previous run not cleaned: take it over. */
		r = obj_link_delete(c, t->ifname);
		if (r >= 0)
			r = obj_link_create(c, t->ifname, "wireguard", 0, &t->ifindex);
	}
	if (r < 0)
		return r;
	struct nl_wg_device_config dev = {
		.flags = NL_WG_SET_PRIVATE_KEY | NL_WG_SET_LISTEN_PORT | NL_WG_REPLACE_PEERS,
		.listen_port = port,
	};
	memcpy(dev.private_key, c->key->wg_sk, 32);
	r = nl_wg_device_set(c->nl, t->ifindex, &dev);
	sodium_memzero(dev.private_key, sizeof(dev.private_key));
	if (r >= 0)
		r = link_finish(m, t);
	if (r < 0) {
		obj_link_delete(c, t->ifname);
		return r;
	}
	log_debug("tunnel: created %s%s%.0u", t->ifname, server ? " port " : "", port);
	m->t[m->n++] = t;
	*ret = TAKE_PTR(t);
	return 0;
}

/* A free pool entry for a tunnel of type in role server, or a new one.
 * GRE entries have no port and serve either role. */
int tm_tunnel_take(struct tunnel_mgr *m, uint8_t type, bool server, uint16_t port,
		       struct tunnel **ret)
{
	for (size_t i = 0; i < m->n; i++) {
		struct tunnel *t = m->t[i];
		/* wg and tcp share WireGuard interfaces */
		bool kind = t->type == type || (tm_type_is_wg(t->type) && tm_type_is_wg(type));
		if (t->state == T_FREE && kind && (tm_is_gre(t) || t->server == server)) {
			t->server = server;
			t->type = type;
			*ret = t;
			return 0;
		}
	}
	if (tm_type_is_wg(type) && server && !port)
		return -EADDRINUSE;
	return tunnel_create(m, type, server, port, ret);
}

/* Open the node's FOU receive port for family, once. */
static int fou_open(struct tunnel_mgr *m, int family)
{
	bool *open = &m->fou_open[family == AF_INET6];
	if (*open)
		return 0;
	int r = obj_fou_add(m->c, family, m->c->opt.fou_port);
	if (r == -EADDRINUSE) {
		/* Ours, left by a killed run (journaled, but cleaned only at
		 * start-up before this): take it over. Anything else holding
		 * the port is seen by the peers as a dead tunnel. */
		obj_fou_delete(m->c, family, m->c->opt.fou_port);
		r = obj_fou_add(m->c, family, m->c->opt.fou_port);
	}
	if (r < 0)
		return r;
	log_info("tunnel: FOU port %u/%s open", m->c->opt.fou_port,
		 family == AF_INET6 ? "IPv6" : "IPv4");
	*open = true;
	return 0;
}

/* The source address the kernel would use towards remote (no packet is sent). */
static int underlay_source(int family, const union nl_addr *remote, union nl_addr *ret)
{
	struct sockaddr_storage dst = { .ss_family = (sa_family_t)family }, src;
	socklen_t len = family == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6);
	if (family == AF_INET) {
		struct sockaddr_in *d = (struct sockaddr_in *)&dst;
		d->sin_port = htons(9);
		d->sin_addr = remote->in;
	} else {
		struct sockaddr_in6 *d = (struct sockaddr_in6 *)&dst;
		d->sin6_port = htons(9);
		d->sin6_addr = remote->in6;
	}
	_cleanup_close_ int fd = socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&dst, len) < 0)
		return -errno;
	len = sizeof(src);
	if (getsockname(fd, (struct sockaddr *)&src, &len) < 0)
		return -errno;
	if (family == AF_INET)
		ret->in = ((struct sockaddr_in *)&src)->sin_addr;
	else
		ret->in6 = ((struct sockaddr_in6 *)&src)->sin6_addr;
	return 0;
}

/*
 * Point t's GRE link at remote (family, 4 or 16 bytes), from the address
 * the kernel would use to reach it; FOU: UDP-encapsulated to dport. The
 * link is reprogrammed in place, or made now if t has none yet (or remade
 * when the underlay family, hence the kind gre/ip6gre, changed).
 */
static int gre_program(struct tunnel_mgr *m, struct tunnel *t, int family, const uint8_t *remote,
		       uint16_t dport)
{
	struct ctx *c = m->c;
	struct nl_gre_config cfg = { .family = family, .ttl = GRE_TTL };
	int r;

	memcpy(&cfg.remote, remote, family == AF_INET ? 4 : 16);
	r = underlay_source(family, &cfg.remote, &cfg.local);
	if (r < 0)
		return r;
	if (t->type == PP_TUNNEL_FOU) {
		r = fou_open(m, family);
		if (r < 0)
			return r;
		cfg.encap = NL_GRE_ENCAP_FOU;
		cfg.encap_dport = dport;
	}
	if (t->ifindex && t->gre.family != family) {
		obj_link_delete(c, t->ifname);
		t->ifindex = 0;
	}
	if (t->ifindex)
		r = nl_gre_change(c->nl, t->ifindex, &cfg);
	else {
		r = obj_gre_create(c, t->ifname, &cfg, &t->ifindex);
		if (r == -EEXIST) {
			/* A leftover of a killed run under that name. */
			r = obj_link_delete(c, t->ifname);
			if (r >= 0)
				r = obj_gre_create(c, t->ifname, &cfg, &t->ifindex);
		}
		/* Only our random link-local address, as on WireGuard links: the
		 * kernel's would be derived from the IPv4 local address, the same
		 * on all our GRE links and after a restart. */
		if (r >= 0)
			r = nl_link_set_ipv6_addrgen_none(c->nl, t->ifindex);
		if (r >= 0) {
			r = link_finish(m, t);
			if (r < 0) {
				obj_link_delete(c, t->ifname);
				t->ifindex = 0;
			}
		}
		if (r >= 0)
			log_debug("tunnel: created %s", t->ifname);
	}
	if (r >= 0)
		t->gre = cfg;
	return r;
}

/*
 * A free GRE link keeps its last remote but gets a key of its own: it then
 * matches no packet (peers send GRE without key) and collides with no
 * tunnel asked for next (the kernel refuses two tunnels with the same
 * local, remote and key). The remote cannot be cleared: the kernel refuses
 * to turn a point-to-point GRE link into an NBMA one.
 */
int tm_pool_apply(struct tunnel_mgr *m, struct tunnel *t, const struct tunnel_spec *s)
{
	int r = tm_is_gre(t) ? gre_program(m, t, s->family, s->remote, s->fou_port)
			     : wg_program(m, t, s->wg_pk, s->endpoint, s->keepalive);
	if (r >= 0 && t->link_down)
		r = link_finish(m, t);
	return r;
}

int tm_gre_park(struct tunnel_mgr *m, struct tunnel *t)
{
	struct nl_gre_config cfg = t->gre;
	cfg.has_ikey = cfg.has_okey = true;
	cfg.ikey = cfg.okey = (uint32_t)t->ifindex;
	int r = nl_gre_change(m->c->nl, t->ifindex, &cfg);
	if (r >= 0)
		t->gre = cfg;
	return r;
}

void tm_tunnel_delete(struct tunnel_mgr *m, struct tunnel *t)
{
	for (size_t i = 0; i < m->n; i++)
		if (m->t[i] == t) {
			m->t[i] = m->t[--m->n];
			break;
		}
	/* babeld sees the link go; tm_run() has it forget a spare link first
	 * (babel_forget_interface()). */
	tcp_link_free(t->link);
	int r = obj_link_delete(m->c, t->ifname);
	if (r < 0)
		log_warning("tunnel: cannot delete %s: %s", t->ifname, strerror(-r));
	free(t);
}

void tm_drain_local(struct tunnel_mgr *m, struct tunnel *t, bool on)
{
	struct ctx *c = m->c;
	if (on == t->drained)
		return;
	int r = on ? nl_tc_drain_add(c->nl, t->ifindex, DRAIN_DELAY_MS)
		   : nl_tc_drain_remove(c->nl, t->ifindex);
	if (r < 0 && !(r == -ENOENT && !on))
		log_warning("tunnel: cannot %s the drain on %s: %s", on ? "install" : "remove",
			    t->ifname, strerror(-r));
	else {
		t->drained = on;
		obj_tc_journal(c, t->ifname, on);
	}
}

/*
 * Routes babeld has in the kernel through a tunnel (either family). The
 * drain ends on babeld's word (its installed routes, from the monitor
 * stream) and on the kernel's: a packet follows the kernel's table, and a
 * vm-mesh rotation lost a second of traffic when a tunnel was freed right
 * after its drain was declared over. Errors count as "still in use".
 */
size_t tm_kernel_routes_via(struct tunnel_mgr *m, const struct tunnel *t)
{
	static const int families[] = { AF_INET6, AF_INET };
	size_t n = 0;

	if (!t->ifindex)
		return 0;
	for (size_t f = 0; f < ARRAY_SIZE(families); f++) {
		_cleanup_free_ struct nl_route *rt = NULL;
		size_t nr = 0;
		if (nl_route_list(m->c->nl, families[f], 0, &rt, &nr) < 0)
			return 1;
		for (size_t i = 0; i < nr; i++)
			if (rt[i].ifindex == t->ifindex && rt[i].protocol == 42 /* RTPROT_BABEL */)
				n++;
	}
	return n;
}
