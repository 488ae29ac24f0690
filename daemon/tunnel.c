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

#include "babel.h"
#include "control.h"
#include "ctx.h"
#include "log.h"
#include "loop.h"
#include "netconf.h"
#include "objects.h"
#include "peer.h"
#include "policy.h"
#include "registry-client.h"
#include "registry.h"
#include "state.h"
#include "tunnel-type.h"
#include "tunnel.h"
#include "upnp.h"

#include "addr.h"
#include "fou.h"
#include "gre.h"
#include "link.h"
#include "route.h"
#include "tc.h"
#include "wireguard.h"

#define TICK_MS 1000
#define SETUP_RETRY_MS 1000
#define SETUP_TRIES 3            /* per endpoint */
#define CROSSING_MS 3000         /* a request this soon after ours succeeded crossed it */
#define ADDRESS_WAIT_MS 5000
#define DRAIN_DELAY_MS 800       /* netem delay on babel packets */
#define DRAIN_MIN_MS 2000        /* let babel see the delay before judging */
#define DESTROY_RESEND_MS 3000
#define DESTROY_ACK_MS 35000     /* the peer waits up to 30 s for its routes */
#define PEER_DRAIN_MS 30000
#define HANDSHAKE_FIRST_MS 20000 /* client: first handshake must come by then */
#define HANDSHAKE_STALE_S 200    /* WireGuard re-handshakes every 120 s when in use */
#define GRE_TTL 64
#define HEALTH_EVERY_MS 10000
#define KEEPALIVE_S 25
#define SPARE_SERVERS 2
#define BACKOFF_FAIL_MS 300000
#define REVOKED_BACKOFF_MS 600000
#define BACKOFF_MAX 256
#define REACHABLE_MEMORY_MS 600000
#define CACHE_FILL_MS 30000      /* address request to one random distant node */
#define CACHE_WANT 32            /* fill faster while the cache has fewer peers */

enum tstate {
	T_FREE,       /* interface without peer, reusable */
	T_SETUP,      /* client: request sent, waiting for the answer */
	T_UP,
	T_DRAINING,   /* babel packets delayed, waiting for routes to move */
	T_DESTROYING, /* waiting for the peer's destroy-ack */
};

static const char *const state_names[] = {
	[T_FREE] = "free", [T_SETUP] = "setup", [T_UP] = "up",
	[T_DRAINING] = "draining", [T_DESTROYING] = "destroying",
};

struct tunnel {
	char ifname[IF_NAMESIZE];
	int ifindex;            /* 0: a GRE record whose link is not made yet */
	uint8_t type;           /* enum pp_tunnel_type, fixed for the interface */
	bool server;
	uint16_t port;          /* server: WireGuard listen port */
	struct nl_gre_config gre; /* GRE/FOU: as programmed (family = link kind) */
	uint64_t alive_ms;      /* GRE/FOU: last time babel had a neighbour on it */
	enum tstate state;
	struct re6st_prefix peer;
	uint64_t peer_serial;
	uint8_t peer_wg[32];
	bool nat;               /* keepalive on */
	bool in_babel;
	bool drained;           /* our tc drain installed */
	bool destroy_requested; /* the peer asked: ack once our routes moved */
	uint64_t destroy_deadline_ms, resend_ms;
	/* client set-up */
	struct pp_endpoint eps[PP_MAX_ENDPOINTS];
	size_t n_eps, ep_idx;
	unsigned tries;
	uint64_t setup_seqs[SETUP_TRIES];
	struct sockaddr_storage endpoint;
	/* The peer's peer-protocol address on the underlay (client: the
	 * server's control endpoint; server: the set-up request's source):
	 * tunnel messages go there when the overlay has no route to the peer. */
	struct sockaddr_storage peer_ul;
	uint64_t deadline_ms;
	uint64_t since_ms;      /* state entered */
	uint64_t checked_ms;    /* last handshake check */
	uint64_t rotations;     /* times this interface got a new peer */
};

struct pending { /* address request in flight */
	struct re6st_prefix prefix;
	uint64_t until_ms;
};

struct backoff {
	struct re6st_prefix prefix;
	uint64_t until_ms;
};

struct tunnel_mgr {
	struct ctx *c;
	struct tunnel **t;
	size_t n;
	struct loop_timer *timer;
	uint64_t next_refresh_ms;
	uint64_t served_ms;     /* last time a client reached us over the underlay */
	struct re6st_prefix *neigh;
	size_t n_neigh;
	struct pending pend[32];
	size_t n_pend;
	struct backoff back[BACKOFF_MAX];
	size_t n_back;
	struct re6st_prefix *view;
	/* public addresses learned (upnp / peers) */
	bool has_learned4, has_learned6;
	uint8_t learned4[16], learned6[16];
	uint16_t learned_port4, learned_port6;
	uint64_t rotations;
	uint64_t destroyed;     /* rotation victims (policy) */
	uint64_t forced;        /* of which destroyed at the drain limit */
	struct re6st_prefix anchors[NETCONF_MAX_ANCHORS]; /* --anchor */
	size_t n_anchors;
	uint64_t next_fill_ms;
	bool fou_open[2];       /* FOU receive port listening: [0] IPv4, [1] IPv6 */
};

static uint64_t now_ms(const struct tunnel_mgr *m)
{
	return loop_now(m->c->loop);
}

static int prefix_cmp(const struct re6st_prefix *a, const struct re6st_prefix *b)
{
	int r = memcmp(a->addr, b->addr, 16);
	return r ? r : (int)a->len - (int)b->len;
}

static const char *pfx(const struct re6st_prefix *p, char buf[PREFIX_STRLEN])
{
	return prefix_format(p, buf);
}

/* ---- parameters (options override the network configuration) ---- */

static unsigned client_count(const struct tunnel_mgr *m)
{
	const struct ctx *c = m->c;
	if (c->opt.client_count >= 0)
		return (unsigned)c->opt.client_count;
	return c->netconf ? c->netconf->client_count : NETCONF_DEFAULT_CLIENT_COUNT;
}

static unsigned max_clients(const struct tunnel_mgr *m)
{
	const struct ctx *c = m->c;
	if (c->opt.max_clients >= 0)
		return (unsigned)c->opt.max_clients;
	return c->netconf ? netconf_max_clients(c->netconf) : 2 * NETCONF_DEFAULT_CLIENT_COUNT;
}

static uint64_t refresh_ms(const struct tunnel_mgr *m)
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
static struct policy_params params(const struct tunnel_mgr *m)
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

static const struct re6st_prefix *anchors(const struct tunnel_mgr *m, size_t *ret_n)
{
	if (m->c->opt.anchors.n || !m->c->netconf) {
		*ret_n = m->n_anchors;
		return m->anchors;
	}
	*ret_n = m->c->netconf->n_anchors;
	return m->c->netconf->anchors;
}

static bool reachable(const struct tunnel_mgr *m)
{
	return m->served_ms && now_ms(m) - m->served_ms < REACHABLE_MEMORY_MS;
}

static bool is_neighbour(const struct tunnel_mgr *m, const struct re6st_prefix *p)
{
	for (size_t i = 0; i < m->n_neigh; i++)
		if (prefix_equal(&m->neigh[i], p))
			return true;
	return false;
}

/* ---- tunnel types ---- */

/* Our types now, by preference: --tunnel-type as the network allows. */
static size_t offered(const struct tunnel_mgr *m, uint8_t ret[TUNNEL_TYPE_COUNT])
{
	const struct ctx *c = m->c;
	uint32_t allowed = c->netconf ? c->netconf->tunnel_types : NETCONF_DEFAULT_TUNNEL_TYPES;
	return tunnel_types_offered(c->opt.tunnel_types, c->opt.n_tunnel_types, allowed, ret);
}

static bool offers(const struct tunnel_mgr *m, uint8_t type)
{
	uint8_t v[TUNNEL_TYPE_COUNT];
	size_t n = offered(m, v);
	for (size_t i = 0; i < n; i++)
		if (v[i] == type)
			return true;
	return false;
}

static bool is_gre(const struct tunnel *t)
{
	return t->type == PP_TUNNEL_GRE || t->type == PP_TUNNEL_FOU;
}

static const char *type_name(uint8_t type)
{
	const char *s = pp_tunnel_type_to_string(type);
	return s ? s : "?";
}

/* ---- backoff and pending tables ---- */

static bool backed_off(struct tunnel_mgr *m, const struct re6st_prefix *p)
{
	for (size_t i = 0; i < m->n_back; i++)
		if (prefix_equal(&m->back[i].prefix, p))
			return m->back[i].until_ms > now_ms(m);
	return false;
}

static void backoff(struct tunnel_mgr *m, const struct re6st_prefix *p, uint64_t ms)
{
	size_t i;
	for (i = 0; i < m->n_back; i++)
		if (prefix_equal(&m->back[i].prefix, p))
			break;
	if (i == m->n_back) {
		if (m->n_back == BACKOFF_MAX) {
			/* Replace the entry that expires first. */
			i = 0;
			for (size_t j = 1; j < m->n_back; j++)
				if (m->back[j].until_ms < m->back[i].until_ms)
					i = j;
		} else {
			m->n_back++;
		}
	}
	m->back[i] = (struct backoff){ *p, now_ms(m) + ms };
}

static bool pending(struct tunnel_mgr *m, const struct re6st_prefix *p)
{
	for (size_t i = 0; i < m->n_pend; i++)
		if (prefix_equal(&m->pend[i].prefix, p))
			return true;
	return false;
}

static void pending_remove(struct tunnel_mgr *m, const struct re6st_prefix *p)
{
	for (size_t i = 0; i < m->n_pend; i++)
		if (prefix_equal(&m->pend[i].prefix, p)) {
			m->pend[i] = m->pend[--m->n_pend];
			return;
		}
}

/* ---- the pool ---- */

static struct tunnel *find_peer(struct tunnel_mgr *m, const struct re6st_prefix *p, bool server)
{
	for (size_t i = 0; i < m->n; i++) {
		struct tunnel *t = m->t[i];
		if (t->server == server && t->state != T_FREE && prefix_equal(&t->peer, p))
			return t;
	}
	return NULL;
}

static bool connected(struct tunnel_mgr *m, const struct re6st_prefix *p)
{
	return find_peer(m, p, false) || find_peer(m, p, true);
}

static size_t count(const struct tunnel_mgr *m, bool server, bool active)
{
	size_t n = 0;
	for (size_t i = 0; i < m->n; i++)
		if (m->t[i]->server == server && (m->t[i]->state != T_FREE) == active)
			n++;
	return n;
}

/* Client tunnels that count towards client-count: a rotated one (draining,
 * destroying) no longer does, so that its replacement opens at once. */
static size_t count_clients(const struct tunnel_mgr *m)
{
	size_t n = 0;
	for (size_t i = 0; i < m->n; i++)
		n += !m->t[i]->server && (m->t[i]->state == T_SETUP || m->t[i]->state == T_UP);
	return n;
}

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
 * without one down), then up. */
static int link_finish(struct tunnel_mgr *m, struct tunnel *t)
{
	struct nl_prefix ll = { .family = AF_INET6, .len = 64 };
	ll.addr.in6.s6_addr[0] = 0xfe;
	ll.addr.in6.s6_addr[1] = 0x80;
	randombytes_buf(&ll.addr.in6.s6_addr[8], 8);
	int r = obj_addr_add(m->c, t->ifname, &ll, NL_ADDR_NODAD);
	if (r >= 0)
		r = nl_link_set_up(m->c->nl, t->ifindex, true);
	return r;
}

/*
 * A new pool entry of type. WireGuard: its interface is made now. GRE/FOU:
 * only the name is reserved; the link is made by gre_program() once the
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
	if (type != PP_TUNNEL_WG) {
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
static int tunnel_take(struct tunnel_mgr *m, uint8_t type, bool server, uint16_t port,
		       struct tunnel **ret)
{
	for (size_t i = 0; i < m->n; i++) {
		struct tunnel *t = m->t[i];
		if (t->state == T_FREE && t->type == type && (is_gre(t) || t->server == server)) {
			t->server = server;
			*ret = t;
			return 0;
		}
	}
	if (type == PP_TUNNEL_WG && server && !port)
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
static int gre_park(struct tunnel_mgr *m, struct tunnel *t)
{
	struct nl_gre_config cfg = t->gre;
	cfg.has_ikey = cfg.has_okey = true;
	cfg.ikey = cfg.okey = (uint32_t)t->ifindex;
	int r = nl_gre_change(m->c->nl, t->ifindex, &cfg);
	if (r >= 0)
		t->gre = cfg;
	return r;
}

static void tunnel_delete(struct tunnel_mgr *m, struct tunnel *t)
{
	for (size_t i = 0; i < m->n; i++)
		if (m->t[i] == t) {
			m->t[i] = m->t[--m->n];
			break;
		}
	if (t->in_babel && m->c->babel)
		babel_flush_interface(m->c->babel, t->ifname, NULL, NULL);
	int r = obj_link_delete(m->c, t->ifname);
	if (r < 0)
		log_warning("tunnel: cannot delete %s: %s", t->ifname, strerror(-r));
	free(t);
}

/* Drop the peer: the interface goes back to the pool, ready to be reprogrammed. */
static void tunnel_release(struct tunnel_mgr *m, struct tunnel *t, const char *why)
{
	struct ctx *c = m->c;
	char b[PREFIX_STRLEN];

	if (t->state != T_FREE && t->state != T_SETUP)
		log_info("tunnel %s %s %s closed: %s", t->ifname, t->server ? "from" : "to",
			 pfx(&t->peer, b), why);
	if (t->in_babel && c->babel)
		babel_flush_interface(c->babel, t->ifname, NULL, NULL);
	t->in_babel = false;
	if (t->drained) {
		nl_tc_drain_remove(c->nl, t->ifindex);
		obj_tc_journal(c, t->ifname, false);
		t->drained = false;
	}
	if (t->state != T_SETUP && t->state != T_FREE && t->ifindex) {
		int r = is_gre(t) ? gre_park(m, t) : nl_wg_peers_replace(c->nl, t->ifindex, NULL, 0);
		if (r < 0)
			log_warning("tunnel: cannot clear the peer of %s: %s", t->ifname, strerror(-r));
	}
	t->state = T_FREE;
	t->destroy_requested = false;
	t->since_ms = now_ms(m);
	memset(&t->peer_ul, 0, sizeof(t->peer_ul));
}

static void tunnel_up(struct tunnel_mgr *m, struct tunnel *t)
{
	struct ctx *c = m->c;
	char b[PREFIX_STRLEN];

	t->state = T_UP;
	t->since_ms = t->checked_ms = t->alive_ms = now_ms(m);
	t->rotations++;
	m->rotations++;
	if (c->babel) {
		int r = babel_add_interface(c->babel, t->ifname, NULL, NULL, NULL);
		if (r < 0)
			log_warning("tunnel: cannot declare %s to babeld: %s", t->ifname, strerror(-r));
		else
			t->in_babel = true;
	}
	log_info("tunnel %s %s %s up (%s)%s", t->ifname, t->server ? "from" : "to",
		 pfx(&t->peer, b), type_name(t->type), t->nat ? " (keepalive)" : "");
}

/* ---- client side ---- */

/* `--ip any`, or no --ip at all and no UPnP gateway: learn our address. */
static bool learn_from_peers(const struct tunnel_mgr *m)
{
	const struct options *o = &m->c->opt;
	return strv_contains(&o->ip, "any") || (o->ip.n == 0 && !m->c->upnp);
}

static int ep_sockaddr(const struct pp_endpoint *e, uint16_t port, struct sockaddr_storage *ret)
{
	memset(ret, 0, sizeof(*ret));
	if (e->family == AF_INET) {
		struct sockaddr_in *s = (struct sockaddr_in *)ret;
		s->sin_family = AF_INET;
		s->sin_port = htons(port);
		memcpy(&s->sin_addr, e->addr, 4);
	} else {
		struct sockaddr_in6 *s = (struct sockaddr_in6 *)ret;
		s->sin6_family = AF_INET6;
		s->sin6_port = htons(port);
		memcpy(&s->sin6_addr, e->addr, 16);
	}
	return 0;
}

static void send_setup(struct tunnel_mgr *m, struct tunnel *t)
{
	struct sockaddr_storage dst;
	struct pp_msg msg = {
		.type = PP_SETUP_REQUEST,
		.setup_request = { .tunnel_type = t->type,
				   .flags = reachable(m) ? 0 : PP_SETUP_F_NAT,
				   .fou_port = t->type == PP_TUNNEL_FOU ? m->c->opt.fou_port : 0 },
	};
	char b[PREFIX_STRLEN];

	ep_sockaddr(&t->eps[t->ep_idx], t->eps[t->ep_idx].port, &dst);
	uint64_t seq = 0;
	int r = m->c->peer ? peer_send_underlay(m->c->peer, &dst, &t->peer, &msg, &seq) : -ENOTCONN;
	if (r < 0)
		log_debug("tunnel: set-up request to %s: %s", pfx(&t->peer, b), strerror(-r));
	t->setup_seqs[t->tries % SETUP_TRIES] = seq;
	t->tries++;
	t->deadline_ms = now_ms(m) + SETUP_RETRY_MS;
}

static void setup_next(struct tunnel_mgr *m, struct tunnel *t)
{
	char b[PREFIX_STRLEN];
	if (t->tries >= SETUP_TRIES) {
		t->tries = 0;
		memset(t->setup_seqs, 0, sizeof(t->setup_seqs));
		if (++t->ep_idx >= t->n_eps) {
			log_info("tunnel: no answer from %s", pfx(&t->peer, b));
			backoff(m, &t->peer, BACKOFF_FAIL_MS);
			tunnel_release(m, t, "no answer");
			return;
		}
	}
	send_setup(m, t);
}

/* Open a client tunnel to peer through one of its endpoints. true if started. */
static bool tunnel_connect(struct tunnel_mgr *m, const struct re6st_prefix *peer,
			   const char *list, size_t len)
{
	struct pp_endpoint eps[PP_MAX_ENDPOINTS];
	uint8_t types[TUNNEL_TYPE_COUNT];
	size_t k = 0;
	struct tunnel *t = NULL;
	char b[PREFIX_STRLEN];

	if (prefix_equal(peer, &m->c->prefix) || connected(m, peer))
		return false;
	if (pp_endpoints_parse(list, len, eps, PP_MAX_ENDPOINTS, &k) < 0)
		return false;
	/* Exception 6 of policy.h: a listed country keeps to itself. */
	const char *theirs = "";
	for (size_t i = 0; i < k && !*theirs; i++)
		theirs = eps[i].country;
	if (m->c->netconf && !policy_country_ok(m->c->netconf->same_country,
						m->c->opt.country ? m->c->opt.country : "", theirs)) {
		log_debug("tunnel: not connecting to %s: same-country rule (%s)", pfx(peer, b),
			  *theirs ? theirs : "country unknown");
		backoff(m, peer, REVOKED_BACKOFF_MS);
		return false;
	}
	/* One type per attempt: the first of ours the peer offers. */
	uint8_t type = tunnel_pick_endpoints(types, offered(m, types), eps, &k);
	if (k == 0) {
		backoff(m, peer, BACKOFF_FAIL_MS);
		return false;
	}
	int r = tunnel_take(m, type, false, 0, &t);
	if (r < 0) {
		log_error("tunnel: cannot create a client interface: %s", strerror(-r));
		return false;
	}
	t->peer = *peer;
	memcpy(t->eps, eps, k * sizeof(*eps));
	t->n_eps = k;
	t->ep_idx = 0;
	t->tries = 0;
	memset(t->setup_seqs, 0, sizeof(t->setup_seqs));
	t->state = T_SETUP;
	t->since_ms = now_ms(m);
	log_info("tunnel: connecting %s to %s (%s)", t->ifname, pfx(peer, b), type_name(type));
	send_setup(m, t);
	return true;
}

void tunnel_on_setup_answer(struct tunnel_mgr *m, const struct re6st_cert *server,
			    const struct sockaddr_storage *src, const struct pp_msg *a)
{
	struct tunnel *t = find_peer(m, &server->node, false);
	char b[PREFIX_STRLEN];
	bool match = false;

	if (!t || t->state != T_SETUP)
		return;
	for (size_t i = 0; i < SETUP_TRIES; i++)
		match |= t->setup_seqs[i] && t->setup_seqs[i] == a->setup_answer.request_seq;
	if (!match)
		return;
	/* --ip any: advertise the address the server saw (our public one). */
	if (learn_from_peers(m) && a->setup_answer.seen_family) {
		const uint8_t *have = a->setup_answer.seen_family == AF_INET ? m->learned4 : m->learned6;
		bool known = a->setup_answer.seen_family == AF_INET ? m->has_learned4 : m->has_learned6;
		size_t alen = a->setup_answer.seen_family == AF_INET ? 4 : 16;
		if (!known || memcmp(have, a->setup_answer.seen_addr, alen) != 0) {
			char ip[INET6_ADDRSTRLEN] = "?";
			inet_ntop(a->setup_answer.seen_family, a->setup_answer.seen_addr, ip, sizeof(ip));
			log_info("tunnel: %s sees us as %s: advertising it", pfx(&t->peer, b), ip);
			tunnel_learn_address(m, a->setup_answer.seen_family, a->setup_answer.seen_addr,
					     m->c->opt.peer_port, false);
		}
	}
	if (a->setup_answer.status != PP_SETUP_OK) {
		log_info("tunnel: %s refused our tunnel: %s", pfx(&t->peer, b),
			 pp_setup_status_to_string(a->setup_answer.status));
		uint64_t wait = a->setup_answer.retry_after ? a->setup_answer.retry_after * 1000ull
							   : BACKOFF_FAIL_MS;
		backoff(m, &t->peer, wait);
		tunnel_release(m, t, "refused");
		return;
	}
	if (a->setup_answer.tunnel_type != t->type) {
		log_warning("tunnel: %s answered for a %s tunnel, we asked for %s", pfx(&t->peer, b),
			    type_name(a->setup_answer.tunnel_type), type_name(t->type));
		backoff(m, &t->peer, BACKOFF_FAIL_MS);
		tunnel_release(m, t, "wrong type");
		return;
	}
	const struct pp_endpoint *ep = &t->eps[t->ep_idx];
	ep_sockaddr(ep, a->setup_answer.port, &t->endpoint);
	ep_sockaddr(ep, ep->port, &t->peer_ul);
	t->nat = !reachable(m) && t->type == PP_TUNNEL_WG; /* keepalive: WireGuard only */
	memcpy(t->peer_wg, server->wg_pk, 32);
	t->peer_serial = server->serial;
	int r;
	if (is_gre(t)) {
		/* FOU: the answer's port is the server's FOU receive port. */
		r = gre_program(m, t, ep->family, ep->addr, a->setup_answer.port);
		if (r < 0 && !t->ifindex) {
			log_error("tunnel: cannot make %s for %s: %s", t->ifname, pfx(&t->peer, b),
				  strerror(-r));
			backoff(m, &t->peer, BACKOFF_FAIL_MS);
			tunnel_release(m, t, "programming failed");
			return;
		}
	} else {
		r = wg_program(m, t, server->wg_pk, &t->endpoint, t->nat);
	}
	if (r < 0) {
		log_error("tunnel: cannot program %s for %s: %s", t->ifname, pfx(&t->peer, b),
			  strerror(-r));
		t->state = T_UP; /* so that release clears whatever was set */
		tunnel_release(m, t, "programming failed");
		return;
	}
	tunnel_up(m, t);
}

/* ---- server side ---- */

static uint16_t free_port(const struct tunnel_mgr *m)
{
	const struct options *o = &m->c->opt;
	for (unsigned p = o->wg_port_first; p && p <= o->wg_port_last; p++) {
		bool used = false;
		for (size_t i = 0; i < m->n; i++)
			used |= m->t[i]->server && m->t[i]->port == p;
		if (!used)
			return (uint16_t)p;
	}
	return 0;
}

static bool in_network(const struct tunnel_mgr *m, const struct sockaddr_storage *ss)
{
	return ss->ss_family == AF_INET6 &&
	       prefix_contains_address(&m->c->network,
				       ((const struct sockaddr_in6 *)ss)->sin6_addr.s6_addr);
}

int tunnel_serve(struct tunnel_mgr *m, const struct re6st_cert *client,
		 const struct sockaddr_storage *src, const struct pp_msg *req, uint16_t *ret_port,
		 uint16_t *ret_retry_after)
{
	struct ctx *c = m->c;
	struct tunnel *t;
	char b[PREFIX_STRLEN];

	uint8_t type = req->setup_request.tunnel_type;
	bool gre = type == PP_TUNNEL_GRE || type == PP_TUNNEL_FOU;
	if (!offers(m, type) || (type == PP_TUNNEL_FOU && !req->setup_request.fou_port))
		return PP_SETUP_UNSUPPORTED;
	/* GRE goes to the address the request came from; never into the overlay. */
	if (gre && (in_network(m, src) || (src->ss_family != AF_INET && src->ss_family != AF_INET6)))
		return PP_SETUP_UNSUPPORTED;
	if (prefix_equal(&client->node, &c->prefix))
		return PP_SETUP_BAD_CERT;
	if (!in_network(m, src))
		m->served_ms = now_ms(m);

	/* The GRE remote: the client's underlay address as we see it. */
	const uint8_t *remote = src->ss_family == AF_INET
					? (const uint8_t *)&((const struct sockaddr_in *)src)->sin_addr
					: ((const struct sockaddr_in6 *)src)->sin6_addr.s6_addr;
	uint16_t answer_port = type == PP_TUNNEL_FOU ? c->opt.fou_port
			       : type == PP_TUNNEL_GRE ? c->opt.peer_port /* unused, not 0 */
						       : 0;
	t = find_peer(m, &client->node, true);
	if (t && t->state != T_FREE && t->type == type) {
		/* A retry of a request already served: same answer (the
		 * client's address may have changed: GRE follows it). */
		if (gre) {
			int r = gre_program(m, t, src->ss_family, remote, req->setup_request.fou_port);
			if (r < 0)
				log_warning("tunnel: cannot reprogram %s for %s: %s", t->ifname,
					    pfx(&client->node, b), strerror(-r));
		}
		*ret_port = gre ? answer_port : t->port;
		return PP_SETUP_OK;
	}
	if (t && t->state != T_FREE)
		tunnel_release(m, t, "the peer asks for another tunnel type");
	t = find_peer(m, &client->node, false);
	if (t) {
		/*
		 * We have a client tunnel to the requester. Either both opened
		 * one at once (its request crossed ours): the smaller prefix
		 * drops its client side. Or ours has been up a while: then the
		 * requester no longer serves it (it restarted, or released its
		 * side and our ack was lost), as it would not ask otherwise:
		 * ours is dead, serve it.
		 */
		bool crossing = t->state == T_SETUP || now_ms(m) - t->since_ms < CROSSING_MS;
		if (crossing && prefix_cmp(&c->prefix, &client->node) > 0)
			return PP_SETUP_BUSY;
		tunnel_release(m, t, crossing ? "the peer opened a tunnel to us"
					      : "the peer asks again: it lost its side");
		pending_remove(m, &client->node);
	}
	if (count(m, true, true) >= max_clients(m)) {
		*ret_retry_after = 60;
		return PP_SETUP_FULL;
	}
	t = NULL;
	uint16_t port = type == PP_TUNNEL_WG ? free_port(m) : 0;
	int r = tunnel_take(m, type, true, port, &t);
	if (r == -EADDRINUSE) {
		*ret_retry_after = 60;
		return PP_SETUP_FULL;
	}
	if (r < 0) {
		log_error("tunnel: cannot create a server interface on port %u: %s", port,
			  strerror(-r));
		return PP_SETUP_INTERNAL;
	}
	t->peer = client->node;
	t->peer_serial = client->serial;
	t->peer_ul = *src;
	memcpy(t->peer_wg, client->wg_pk, 32);
	t->nat = !gre && (req->setup_request.flags & PP_SETUP_F_NAT);
	/* Program before answering: a handshake reaching an unknown peer is
	 * dropped, and WireGuard retries only ~5 s later (GRE: the client's
	 * first packets are not lost either). */
	if (gre)
		r = gre_program(m, t, src->ss_family, remote, req->setup_request.fou_port);
	else
		r = wg_program(m, t, client->wg_pk, NULL, t->nat);
	if (r < 0) {
		log_error("tunnel: cannot program %s for %s: %s", t->ifname, pfx(&client->node, b),
			  strerror(-r));
		return PP_SETUP_INTERNAL;
	}
	tunnel_up(m, t);
	*ret_port = gre ? answer_port : t->port;
	return PP_SETUP_OK;
}

/* ---- destruction ---- */

/*
 * Tunnel messages go over the overlay; when it has no route to the peer
 * (babel not converged yet, or a partition), over the underlay to the
 * peer's control endpoint, which the tunnel's own path proves reachable.
 */
static void send_to_peer(struct tunnel_mgr *m, const struct re6st_prefix *peer,
			 const struct sockaddr_storage *peer_ul, struct pp_msg *msg)
{
	char b[PREFIX_STRLEN];
	if (!m->c->peer)
		return;
	int r = peer_send(m->c->peer, peer, msg);
	if (r < 0 && peer_ul->ss_family != AF_UNSPEC)
		r = peer_send_underlay(m->c->peer, peer_ul, peer, msg, NULL);
	if (r < 0)
		log_debug("tunnel: cannot send %s to %s: %s", pp_type_to_string(msg->type),
			  pfx(peer, b), strerror(-r));
}

static void send_tunnel_msg(struct tunnel_mgr *m, struct tunnel *t, enum pp_type type)
{
	struct pp_msg msg = { .type = type,
			      .tunnel.role = t->server ? PP_ROLE_SERVER : PP_ROLE_CLIENT };
	send_to_peer(m, &t->peer, &t->peer_ul, &msg);
}

static void drain_local(struct tunnel_mgr *m, struct tunnel *t, bool on)
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
 * Our routes left the tunnel; the peer's may not have yet (it judges its own
 * side). Babel stays on the interface and the WireGuard peer stays
 * programmed until the peer acks, so nothing routed either way is lost.
 */
static void start_destroy(struct tunnel_mgr *m, struct tunnel *t)
{
	send_tunnel_msg(m, t, PP_TUNNEL_DESTROY);
	t->state = T_DESTROYING;
	t->deadline_ms = now_ms(m) + DESTROY_ACK_MS;
	t->resend_ms = now_ms(m) + DESTROY_RESEND_MS;
}

static void ack_destroy(struct tunnel_mgr *m, struct tunnel *t)
{
	struct pp_msg msg = { .type = PP_TUNNEL_DESTROY_ACK,
			      .tunnel.role = t->server ? PP_ROLE_SERVER : PP_ROLE_CLIENT };
	struct re6st_prefix peer = t->peer;
	struct sockaddr_storage peer_ul = t->peer_ul;
	tunnel_release(m, t, "the peer destroyed it");
	/* It comes back by itself if chosen again; not at once. */
	backoff(m, &peer, refresh_ms(m));
	send_to_peer(m, &peer, &peer_ul, &msg);
}

/* The rotated peer is not chosen again for one period: a rotation must change
 * something (it may still come back by opening a tunnel to us). */
/*
 * Routes babeld has in the kernel through a tunnel (either family). The
 * drain ends on babeld's word (its installed routes, from the monitor
 * stream) and on the kernel's: a packet follows the kernel's table, and a
 * vm-mesh rotation lost a second of traffic when a tunnel was freed right
 * after its drain was declared over. Errors count as "still in use".
 */
static size_t kernel_routes_via(struct tunnel_mgr *m, const struct tunnel *t)
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

/* Routes through a tunnel: the larger of babeld's account and the
 * kernel's (they were seen to differ: babeld's monitor said 0 while the
 * kernel sent a node's every route through the tunnel). */
static size_t routes_via(struct tunnel_mgr *m, const struct tunnel *t)
{
	size_t b = m->c->babel ? babel_count_routes_via(m->c->babel, t->ifname) : 0;
	size_t k = kernel_routes_via(m, t);
	return MAX(b, k);
}

/* No route left on the tunnel, by babeld's account and the kernel's. */
static bool routes_gone(struct tunnel_mgr *m, struct tunnel *t)
{
	struct ctx *c = m->c;
	if (c->babel && babel_count_routes_via(c->babel, t->ifname))
		return false;
	size_t k = kernel_routes_via(m, t);
	if (k) {
		char b[PREFIX_STRLEN];
		log_debug("tunnel %s to %s: babeld reports no route on it, the kernel still has %zu",
			  t->ifname, pfx(&t->peer, b), k);
		return false;
	}
	return true;
}

static void finish_rotation(struct tunnel_mgr *m, struct tunnel *t, const char *why)
{
	backoff(m, &t->peer, refresh_ms(m));
	tunnel_release(m, t, why);
}

static void start_drain(struct tunnel_mgr *m, struct tunnel *t)
{
	char b[PREFIX_STRLEN];
	size_t routes = routes_via(m, t);
	log_info("tunnel %s to %s: draining (%zu routes)", t->ifname, pfx(&t->peer, b), routes);
	drain_local(m, t, true);
	send_tunnel_msg(m, t, PP_TUNNEL_DRAIN);
	t->state = T_DRAINING;
	t->since_ms = now_ms(m);
}

/*
 * Every tunnel-refresh: a random share of the client tunnels goes, busy
 * ones less often but never never (policy.h). Configured neighbours are
 * the only ones spared. Rotation waits neither for the full target nor
 * for earlier rotations: a draining tunnel no longer counts as a client,
 * so its replacement opens at once.
 */
static void rotate(struct tunnel_mgr *m)
{
	struct policy_params p = params(m);
	_cleanup_free_ struct tunnel **cand = calloc(m->n + 1, sizeof(*cand));
	_cleanup_free_ size_t *routes = calloc(m->n + 1, sizeof(*routes));
	_cleanup_free_ size_t *idx = calloc(m->n + 1, sizeof(*idx));
	size_t n = 0;

	if (!cand || !routes || !idx) {
		log_warning("tunnel: cannot choose the tunnels to rotate: %s", strerror(ENOMEM));
		return;
	}

	for (size_t i = 0; i < m->n; i++) {
		struct tunnel *t = m->t[i];
		if (t->server || t->state != T_UP || is_neighbour(m, &t->peer))
			continue;
		routes[n] = routes_via(m, t);
		cand[n++] = t;
	}
	size_t k = policy_rotation_count(p.rotate_share, n, &policy_rand_sodium);
	int got = k ? policy_pick_victims(&p, routes, n, k, &policy_rand_sodium, idx) : 0;
	if (got < 0)
		log_warning("tunnel: cannot choose the tunnels to rotate: %s", strerror(-got));
	for (int i = 0; i < got; i++) {
		m->destroyed++;
		start_drain(m, cand[idx[i]]);
	}
}

void tunnel_on_tunnel_msg(struct tunnel_mgr *m, const struct re6st_prefix *peer,
			  enum pp_type type, uint8_t role)
{
	/* The sender's role is the opposite of ours. */
	struct tunnel *t = find_peer(m, peer, role == PP_ROLE_CLIENT);
	if (!t) {
		/* Already gone here (an ack was lost): say so. */
		if (type == PP_TUNNEL_DESTROY && m->c->peer) {
			struct pp_msg msg = { .type = PP_TUNNEL_DESTROY_ACK,
					      .tunnel.role = role == PP_ROLE_CLIENT ? PP_ROLE_SERVER
										 : PP_ROLE_CLIENT };
			peer_send(m->c->peer, peer, &msg);
		}
		return;
	}
	switch (type) {
	case PP_TUNNEL_DRAIN:
		drain_local(m, t, true);
		break;
	case PP_TUNNEL_UNDRAIN:
		drain_local(m, t, false);
		break;
	case PP_TUNNEL_DESTROY:
		if (t->destroy_requested)
			break; /* a resend: the ack comes when our routes moved */
		/* Keep the tunnel (drained) until our own routes left it. */
		drain_local(m, t, true);
		t->destroy_requested = true;
		t->destroy_deadline_ms = now_ms(m) + PEER_DRAIN_MS;
		break;
	case PP_TUNNEL_DESTROY_ACK:
		if (t->state == T_DESTROYING)
			finish_rotation(m, t, "rotated");
		break;
	default:
		break;
	}
}

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

static bool candidate_ok(struct tunnel_mgr *m, const struct re6st_prefix *p)
{
	return !prefix_equal(p, &m->c->prefix) && !connected(m, p) && !pending(m, p) &&
	       !backed_off(m, p);
}

/* Ask for the endpoints of p, or connect at once when the cache has them. */
static bool try_peer(struct tunnel_mgr *m, const struct re6st_prefix *p, bool from_cache_only)
{
	struct ctx *c = m->c;
	if (c->state) {
		struct state_peer sp;
		if (state_peer_get(c->state, p, &sp) >= 0) {
			bool ok = sp.endpoints &&
				  tunnel_connect(m, p, sp.endpoints, strlen(sp.endpoints));
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
	m->pend[m->n_pend++] = (struct pending){ *p, now_ms(m) + ADDRESS_WAIT_MS };
	return true;
}

void tunnel_on_address(struct tunnel_mgr *m, const struct re6st_prefix *peer, const char *list,
		       size_t len)
{
	if (!pending(m, peer))
		return;
	pending_remove(m, peer);
	if (!tunnel_connect(m, peer, list, len))
		backoff(m, peer, BACKOFF_FAIL_MS);
}

/*
 * Keep the peer cache a broad random sample of the network, so that a node
 * restarted while the registry is down (or cut from its last peers) finds
 * someone to connect to: now and then ask one random distant node known
 * from babel for its endpoints, preferring nodes not cached yet (the answer
 * is cached by daemon/peer.c; it opens no tunnel since nothing is pending).
 */
static void fill_cache(struct tunnel_mgr *m)
{
	struct ctx *c = m->c;
	if (!c->state || !c->peer || !c->babel || now_ms(m) < m->next_fill_ms)
		return;
	size_t cached = 0;
	state_peer_count(c->state, &cached);
	uint64_t every = cached < CACHE_WANT ? CACHE_FILL_MS / 3 : CACHE_FILL_MS;
	m->next_fill_ms = now_ms(m) + every / 2 + randombytes_uniform((uint32_t)every);

	const struct babel_route *routes = NULL;
	size_t nr = babel_routes(c->babel, &routes);
	const struct re6st_prefix *pick = NULL, *fallback = NULL;
	uint32_t seen = 0, seen_fb = 0;
	for (size_t i = 0; i < nr; i++) {
		const struct re6st_prefix *p = &routes[i].prefix;
		if (!prefix_contains(&c->network, p) || p->len <= c->network.len ||
		    prefix_equal(p, &c->prefix))
			continue;
		struct state_peer sp;
		bool known = state_peer_get(c->state, p, &sp) >= 0;
		if (known)
			free(sp.endpoints);
		/* Reservoir sampling, uncached nodes first. */
		if (!known && randombytes_uniform(++seen) == 0)
			pick = p;
		else if (known && randombytes_uniform(++seen_fb) == 0)
			fallback = p;
	}
	if (!pick)
		pick = fallback;
	if (!pick)
		return;
	struct pp_msg msg = { .type = PP_ADDRESS_REQUEST };
	char b[PREFIX_STRLEN];
	if (peer_send(c->peer, pick, &msg) >= 0)
		log_debug("tunnel: asking %s for its endpoints (peer cache: %zu)", pfx(pick, b), cached);
}

/* The registry's answer to reglink_want_bootstrap(), a while after the ask. */
static void on_bootstrap_peer(void *userdata, const struct rc_bootstrap_peer *bp)
{
	struct tunnel_mgr *m = userdata;
	struct ctx *c = m->c;
	unsigned limit = reachable(m) ? client_count(m) : MIN(2u, client_count(m));
	char b[PREFIX_STRLEN];

	if (!bp->endpoints || !candidate_ok(m, &bp->prefix))
		return;
	log_info("tunnel: bootstrap peer %s (%s)", pfx(&bp->prefix, b), bp->endpoints);
	if (c->state)
		state_peer_put(c->state, &bp->prefix, bp->endpoints, ctx_unix_now());
	/* The mesh may have grown meanwhile. */
	if (count_clients(m) + m->n_pend < limit)
		tunnel_connect(m, &bp->prefix, bp->endpoints, strlen(bp->endpoints));
}

static void make_new_tunnels(struct tunnel_mgr *m)
{
	struct ctx *c = m->c;
	unsigned limit = reachable(m) ? client_count(m) : MIN(2u, client_count(m));

	/* 1. configured neighbours, even when the target is already met: a
	 * neighbour whose endpoints came after the random tunnels filled the
	 * slots would otherwise wait for a rotation. The target is then
	 * exceeded until the next rotations (which never pick a neighbour)
	 * bring it back, since a rotated tunnel is replaced only below it. */
	for (size_t i = 0; i < m->n_neigh; i++)
		if (candidate_ok(m, &m->neigh[i]))
			try_peer(m, &m->neigh[i], false);
	size_t active = count_clients(m) + m->n_pend;
	if (active >= limit)
		return;
	size_t need = limit - active;

	/* 2. distant nodes babel knows, at random (anchors for their share) */
	const struct babel_route *routes = NULL;
	size_t nr = c->babel ? babel_routes(c->babel, &routes) : 0, nc = 0;
	_cleanup_free_ struct re6st_prefix *cand = calloc(nr ? nr : 1, sizeof(*cand));
	_cleanup_free_ bool *anchor = calloc(nr ? nr : 1, sizeof(*anchor));
	_cleanup_free_ size_t *order = calloc(nr ? nr : 1, sizeof(*order));
	if (!cand || !anchor || !order)
		return;
	size_t na;
	const struct re6st_prefix *anc = anchors(m, &na);
	for (size_t i = 0; i < nr; i++) {
		const struct re6st_prefix *p = &routes[i].prefix;
		if (!prefix_contains(&c->network, p) || p->len <= c->network.len ||
		    prefix_equal(p, &c->prefix) || direct_neighbour(m, routes, nr, p))
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
	struct policy_params pp = params(m);
	if (policy_order_candidates(&pp, anchor, nc, &policy_rand_sodium, order) < 0)
		return;
	for (size_t i = 0; i < nc && need; i++)
		if (try_peer(m, &cand[order[i]], false))
			need--;
	/* Fall back on the cache and the registry whenever babel offers no
	 * usable candidate, not only when it knows nobody: a node whose only
	 * known nodes are already its peers must still look further, or the
	 * mesh can stay split in islands (seen with 8 nodes). */
	if (!need || nc)
		return;

	/* 3. no usable route: the peer cache (we cannot send address requests
	 * without routes, so only cached endpoints help). */
	if (c->state) {
		struct state_peer *sp = NULL;
		size_t n = 0;
		if (state_peer_list(c->state, 32, &sp, &n) >= 0) {
			for (size_t i = 0; i < n && need; i++)
				if (candidate_ok(m, &sp[i].prefix) && sp[i].endpoints &&
				    tunnel_connect(m, &sp[i].prefix, sp[i].endpoints,
						   strlen(sp[i].endpoints)))
					need--;
			state_peers_free(sp, n);
		}
	}
	/* 4. the registry's bootstrap peer: asked without blocking (at most
	 * every 30 s, daemon/registry.h); the answer comes to on_bootstrap_peer(). */
	if (need)
		reglink_want_bootstrap(c->reglink, on_bootstrap_peer, m);
}

/* ---- periodic work ---- */

static void check_health(struct tunnel_mgr *m, struct tunnel *t, uint64_t now)
{
	struct ctx *c = m->c;
	_cleanup_(nl_wg_device_freep) struct nl_wg_device *d = NULL;

	if (now - t->checked_ms < HEALTH_EVERY_MS)
		return;
	t->checked_ms = now;
	if (is_gre(t)) {
		/* No handshake to look at: a babel neighbour on the link that
		 * hears us (hellos one way, IHUs back) tells that packets flow
		 * both ways. Same time-outs as WireGuard's. */
		if (!c->babel)
			return;
		if (babel_count_neighbours_2way(c->babel, t->ifname)) {
			if (t->alive_ms == t->since_ms)
				log_debug("tunnel %s: babel neighbour after %.1f s", t->ifname,
					  (double)(now - t->since_ms) / 1000);
			t->alive_ms = now;
		} else if (t->alive_ms == t->since_ms) {
			if (now - t->since_ms > (t->server ? 3 * HANDSHAKE_FIRST_MS : HANDSHAKE_FIRST_MS)) {
				if (!t->server)
					backoff(m, &t->peer, BACKOFF_FAIL_MS);
				tunnel_release(m, t, "no babel neighbour");
			}
		} else if (now - t->alive_ms > HANDSHAKE_STALE_S * 1000ull) {
			tunnel_release(m, t, "babel neighbour gone");
		}
		return;
	}
	if (nl_wg_device_get(c->nl, t->ifindex, &d) < 0)
		return;
	const struct nl_wg_peer *p = nl_wg_device_find_peer(d, t->peer_wg);
	if (!p)
		return;
	uint64_t hs = (uint64_t)p->last_handshake.tv_sec;
	uint64_t unix_now = ctx_unix_now();
	if (hs == 0) {
		if (now - t->since_ms > (t->server ? 3 * HANDSHAKE_FIRST_MS : HANDSHAKE_FIRST_MS)) {
			if (!t->server)
				backoff(m, &t->peer, BACKOFF_FAIL_MS);
			tunnel_release(m, t, "no WireGuard handshake");
		}
	} else if (unix_now > hs + HANDSHAKE_STALE_S) {
		tunnel_release(m, t, "WireGuard handshake too old");
	}
}

static void on_tick(struct loop *l, struct loop_timer *timer, void *userdata)
{
	struct tunnel_mgr *m = userdata;
	uint64_t now = now_ms(m);

	for (size_t i = 0; i < m->n_pend;)
		if (m->pend[i].until_ms <= now) {
			/* No address answer: ask others first. */
			backoff(m, &m->pend[i].prefix, 60000);
			m->pend[i] = m->pend[--m->n_pend];
		} else {
			i++;
		}

	for (size_t i = 0; i < m->n; i++) {
		struct tunnel *t = m->t[i];
		if (t->destroy_requested && t->state != T_FREE) {
			if (now >= t->destroy_deadline_ms || routes_gone(m, t)) {
				ack_destroy(m, t);
				continue;
			}
		}
		switch (t->state) {
		case T_SETUP:
			if (now >= t->deadline_ms)
				setup_next(m, t);
			break;
		case T_UP:
			check_health(m, t, now);
			break;
		case T_DRAINING: {
			uint64_t took = now - t->since_ms;
			size_t left = took < DRAIN_MIN_MS || !routes_gone(m, t);
			uint32_t limit = params(m).drain_limit;
			char b[PREFIX_STRLEN];
			switch (policy_drain_verdict(took, DRAIN_MIN_MS, left, limit)) {
			case POLICY_DRAIN_DONE:
				log_info("tunnel %s to %s: drained in %.1f s", t->ifname,
					 pfx(&t->peer, b), (double)took / 1000);
				start_destroy(m, t);
				break;
			case POLICY_DRAIN_FORCE:
				/* Destruction creates life: a tunnel some route still
				 * needs goes too, and the mesh finds another path. */
				log_notice("tunnel %s to %s: routes still use it after the drain "
					   "limit (%u s): destroyed anyway",
					   t->ifname, pfx(&t->peer, b), limit);
				m->forced++;
				start_destroy(m, t);
				break;
			case POLICY_DRAIN_WAIT:
				break;
			}
			break;
		}
		case T_DESTROYING:
			if (now >= t->deadline_ms) {
				finish_rotation(m, t, "rotated (no ack)");
			} else if (now >= t->resend_ms) {
				send_tunnel_msg(m, t, PP_TUNNEL_DESTROY);
				t->resend_ms = now + DESTROY_RESEND_MS;
			}
			break;
		case T_FREE:
			break;
		}
	}

	if (now >= m->next_refresh_ms) {
		m->next_refresh_ms = now + refresh_ms(m);
		rotate(m);
	}
	make_new_tunnels(m);
	fill_cache(m);

	/* Keep a few spare server interfaces, delete the rest (~270 KB each
	 * for WireGuard); the same for free GRE and FOU links, per type. */
	size_t spare[4] = { 0 };
	for (size_t i = m->n; i-- > 0;) {
		struct tunnel *t = m->t[i];
		if ((t->server || is_gre(t)) && t->state == T_FREE && t->type < ARRAY_SIZE(spare) &&
		    ++spare[t->type] > SPARE_SERVERS)
			tunnel_delete(m, t);
	}
}

/* ---- netconf, addresses, views ---- */

static void warn_no_type(const struct tunnel_mgr *m)
{
	uint8_t v[TUNNEL_TYPE_COUNT];
	if (offered(m, v) == 0)
		log_error("tunnel manager: none of our --tunnel-type is allowed by the network: "
			  "no tunnel can be made");
}

/* A revoked peer: no tunnel, not in the cache, not chosen for a while. */
static void forget_revoked(struct tunnel_mgr *m, const struct re6st_prefix *peer)
{
	for (size_t i = 0; i < m->n; i++) {
		struct tunnel *t = m->t[i];
		if (t->state != T_FREE && prefix_equal(&t->peer, peer))
			tunnel_release(m, t, "certificate revoked");
	}
	pending_remove(m, peer);
	backoff(m, peer, REVOKED_BACKOFF_MS);
	if (m->c->state)
		state_peer_remove(m->c->state, peer);
}

void tunnel_on_revoked_peer(struct tunnel_mgr *m, const struct re6st_prefix *peer)
{
	if (m)
		forget_revoked(m, peer);
}

void tunnel_on_netconf(struct tunnel_mgr *m)
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
		} else if (t->state != T_FREE && !offers(m, t->type))
			tunnel_release(m, t, "tunnel type no longer allowed by the network");
	}
}

void tunnel_learn_address(struct tunnel_mgr *m, int family, const uint8_t addr[16],
			  uint16_t port, bool from_upnp)
{
	if (family == AF_INET) {
		memcpy(m->learned4, addr, 4);
		m->learned_port4 = port;
		m->has_learned4 = true;
	} else {
		memcpy(m->learned6, addr, 16);
		m->learned_port6 = port;
		m->has_learned6 = true;
	}
}

int tunnel_my_endpoints(struct tunnel_mgr *m, char *buf, size_t size)
{
	const struct options *o = &m->c->opt;
	struct pp_endpoint e[PP_MAX_ENDPOINTS];
	size_t n = 0;

	for (size_t i = 0; i < o->ip.n && n < PP_MAX_ENDPOINTS; i++) {
		struct pp_endpoint x = { .port = o->peer_port };
		if (inet_pton(AF_INET, o->ip.v[i], x.addr) == 1)
			x.family = AF_INET;
		else if (inet_pton(AF_INET6, o->ip.v[i], x.addr) == 1)
			x.family = AF_INET6;
		else
			continue; /* "upnp", "any" */
		e[n++] = x;
	}
	if (m->has_learned4 && n < PP_MAX_ENDPOINTS) {
		e[n] = (struct pp_endpoint){ .family = AF_INET, .port = m->learned_port4 };
		memcpy(e[n++].addr, m->learned4, 4);
	}
	if (m->has_learned6 && n < PP_MAX_ENDPOINTS) {
		e[n] = (struct pp_endpoint){ .family = AF_INET6, .port = m->learned_port6 };
		memcpy(e[n++].addr, m->learned6, 16);
	}
	for (size_t i = 0; i < n; i++)
		if (o->country && strlen(o->country) == 2)
			memcpy(e[i].country, o->country, 2);
	/* One entry per address and type we offer; every entry's port is the
	 * peer-protocol port, where set-up requests go. */
	struct pp_endpoint all[PP_MAX_ENDPOINTS];
	uint8_t types[TUNNEL_TYPE_COUNT];
	size_t nt = offered(m, types);
	size_t na = tunnel_endpoints_expand(e, n, types, nt, all, PP_MAX_ENDPOINTS);
	return pp_endpoints_format(all, na, buf, size);
}

size_t tunnel_peer_prefixes(struct tunnel_mgr *m, const struct re6st_prefix **ret,
			    size_t *ret_n_client)
{
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

size_t tunnel_server_ports(const struct tunnel_mgr *m, uint16_t *ports, size_t max)
{
	size_t n = 0;
	for (size_t i = 0; i < m->n && n < max; i++)
		if (m->t[i]->server && m->t[i]->type == PP_TUNNEL_WG)
			ports[n++] = m->t[i]->port;
	return n;
}

/* ---- control socket ---- */

/* "policy" in status: the parameters in force and what they did. */
static int ctl_policy(struct ctx *c, const char *args, struct jbuf *out)
{
	struct tunnel_mgr *m = c->tunnels;
	struct policy_params p = params(m);
	size_t na;
	const struct re6st_prefix *anc = anchors(m, &na);
	char b[PREFIX_STRLEN];

	jbuf_append(out, "{\"tunnel_refresh\": %" PRIu64 ", \"rotate_share\": %g, "
			 "\"busy_share\": %g, \"busy_weight\": %g, \"drain_limit\": %u, "
			 "\"anchor_share\": %g, \"anchors\": [",
		    refresh_ms(m) / 1000, p.rotate_share, p.busy_share, p.busy_weight,
		    p.drain_limit, p.anchor_share);
	for (size_t i = 0; i < na; i++) {
		jbuf_append(out, "%s", i ? ", " : "");
		jbuf_string(out, pfx(&anc[i], b));
	}
	jbuf_append(out, "], \"same_country\": ");
	jbuf_string(out, c->netconf ? c->netconf->same_country : NULL);
	jbuf_append(out, ", \"country\": ");
	jbuf_string(out, c->opt.country);
	jbuf_append(out, ", \"destroyed\": %" PRIu64 ", \"forced\": %" PRIu64 "}", m->destroyed,
		    m->forced);
	return 0;
}

static int ctl_tunnels(struct ctx *c, const char *args, struct jbuf *out)
{
	struct tunnel_mgr *m = c->tunnels;
	uint64_t now = now_ms(m);
	char b[PREFIX_STRLEN];

	jbuf_append(out, "{\"client_count\": %u, \"max_clients\": %u, \"reachable\": %s, "
			 "\"rotations\": %" PRIu64 ", \"next_refresh_s\": %" PRIu64 ", ",
		    client_count(m), max_clients(m), reachable(m) ? "true" : "false", m->rotations,
		    m->next_refresh_ms > now ? (m->next_refresh_ms - now) / 1000 : 0);
	/* What the node advertises (--ip, the UPnP gateway's address, the
	 * address peers saw), and the gateway's address while ports are mapped. */
	char eps[1024];
	jbuf_key(out, "endpoints");
	jbuf_string(out, tunnel_my_endpoints(m, eps, sizeof(eps)) >= 0 ? eps : NULL);
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
			    type_name(t->type), t->server ? "server" : "client",
			    state_names[t->state], is_gre(t) ? t->gre.encap_dport : t->port);
		jbuf_key(out, "peer");
		jbuf_string(out, t->state == T_FREE ? NULL : pfx(&t->peer, b));
		/* GRE: the underlay ends as programmed (as `ip -d link` shows them). */
		char lo[INET6_ADDRSTRLEN], re[INET6_ADDRSTRLEN];
		bool ends = is_gre(t) && t->ifindex && t->state != T_FREE &&
			    inet_ntop(t->gre.family, &t->gre.local, lo, sizeof(lo)) &&
			    inet_ntop(t->gre.family, &t->gre.remote, re, sizeof(re));
		jbuf_append(out, ", ");
		jbuf_key(out, "local");
		jbuf_string(out, ends ? lo : NULL);
		jbuf_append(out, ", ");
		jbuf_key(out, "remote");
		jbuf_string(out, ends ? re : NULL);
		size_t routes = routes_via(m, t);
		jbuf_append(out, ", \"routes\": %zu, \"drained\": %s, \"age_s\": %" PRIu64
				 ", \"keepalive\": %s, \"neighbour\": %s}",
			    routes, t->drained ? "true" : "false", (now - t->since_ms) / 1000,
			    t->nat ? "true" : "false",
			    t->state != T_FREE && is_neighbour(m, &t->peer) ? "true" : "false");
	}
	jbuf_append(out, "]}");
	return 0;
}

static int ctl_peers(struct ctx *c, const char *args, struct jbuf *out)
{
	const struct peer_known *k = NULL;
	size_t n = c->peer ? peer_known_list(c->peer, &k) : 0;
	uint64_t now = loop_now(c->loop);
	char b[PREFIX_STRLEN];

	jbuf_append(out, "{\"peers\": [");
	for (size_t i = 0; i < n; i++) {
		jbuf_append(out, "%s{", i ? ", " : "");
		jbuf_key(out, "prefix");
		jbuf_string(out, pfx(&k[i].prefix, b));
		jbuf_append(out, ", \"serial\": %" PRIu64 ", \"netconf_version\": %" PRIu64
				 ", \"last_seen_s\": %" PRIu64 ", \"connected\": %s, ",
			    k[i].cert_serial, k[i].netconf_version, (now - k[i].last_rx_ms) / 1000,
			    c->tunnels && connected(c->tunnels, &k[i].prefix) ? "true" : "false");
		jbuf_key(out, "software");
		jbuf_string(out, k[i].software);
		jbuf_append(out, "}");
	}
	jbuf_append(out, "]}");
	return 0;
}

/* ---- module ---- */

int tunnel_init(struct ctx *c)
{
	_cleanup_free_ struct tunnel_mgr *m = calloc(1, sizeof(*m));
	int r;

	if (!m)
		return log_errno(LOG_ERR, -ENOMEM, "tunnel manager");
	m->c = c;
	if (c->opt.neighbours.n) {
		m->neigh = calloc(c->opt.neighbours.n, sizeof(*m->neigh));
		if (!m->neigh)
			return log_errno(LOG_ERR, -ENOMEM, "tunnel manager");
		for (size_t i = 0; i < c->opt.neighbours.n; i++)
			if (prefix_parse_relaxed(c->opt.neighbours.v[i], &m->neigh[m->n_neigh]) >= 0)
				m->n_neigh++;
	}
	for (size_t i = 0; i < c->opt.anchors.n && i < ARRAY_SIZE(m->anchors); i++)
		if (prefix_parse(c->opt.anchors.v[i], &m->anchors[m->n_anchors]) >= 0)
			m->n_anchors++;
	r = loop_add_timer(c->loop, 0, TICK_MS, on_tick, m, &m->timer);
	if (r < 0) {
		free(m->neigh);
		return log_errno(LOG_ERR, r, "tunnel manager: cannot add a timer");
	}
	/* The first rotation comes one period after start-up. */
	m->next_refresh_ms = loop_now(c->loop) + refresh_ms(m);
	c->tunnels = TAKE_PTR(m);
	if (c->control) {
		control_register(c->control, "tunnels", "tunnels of this node (JSON)", ctl_tunnels);
		control_register(c->control, "peers", "nodes heard from over the peer protocol",
				 ctl_peers);
		control_register_status(c->control, "policy", ctl_policy);
	}
	uint8_t types[TUNNEL_TYPE_COUNT];
	size_t nt = offered(c->tunnels, types);
	char tl[32] = "";
	for (size_t i = 0; i < nt; i++)
		snprintf(tl + strlen(tl), sizeof(tl) - strlen(tl), "%s%s", i ? "," : "",
			 type_name(types[i]));
	log_info("tunnel manager: %u client tunnels, up to %u clients, refresh every %" PRIu64
		 " s, types %s",
		 client_count(c->tunnels), max_clients(c->tunnels), refresh_ms(c->tunnels) / 1000,
		 nt ? tl : "none");
	warn_no_type(c->tunnels);
	return 0;
}

void tunnel_fini(struct ctx *c)
{
	struct tunnel_mgr *m = c->tunnels;
	if (!m)
		return;
	loop_timer_remove(m->timer);
	while (m->n)
		tunnel_delete(m, m->t[m->n - 1]);
	for (int i = 0; i < 2; i++)
		if (m->fou_open[i])
			obj_fou_delete(c, i ? AF_INET6 : AF_INET, c->opt.fou_port);
	free(m->t);
	free(m->neigh);
	free(m->view);
	free(m);
	c->tunnels = NULL;
}
