/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/utsname.h>
#include <time.h>

#include "babel.h"
#include "config.h"
#include "ctx.h"
#include "endpoints.h"
#include "events.h"
#include "log.h"
#include "loglimit.h"
#include "loop.h"
#include "metrics.h"
#include "netconf.h"
#include "netconf-store.h"
#include "peer.h"
#include "sockaddr.h"
#include "reach.h"
#include "state.h"

/* Set-up rate limits: per source address a bucket of 5 requests refilled
 * by one every 2 s; globally 50 requests per second. */
#define RL_SLOTS 64
#define RL_BURST 5
#define RL_REFILL_MS 2000
#define RL_GLOBAL_PER_S 50
#define MAX_KNOWN 4096

struct rl_slot {
	uint8_t addr[16];
	uint32_t tokens_x1000;
	uint64_t last_ms;
	uint64_t last_refusal_ms;
};

struct known {
	struct peer_known pub;
	struct pp_replay replay;
};

struct peer_srv {
	struct ctx *c;
	int fd_ovl, fd_und;
	struct loop_io *io_ovl, *io_und;
	uint64_t last_seq;
	uint8_t *buf;     /* receive buffer, PP_MAX_SIZE */
	uint8_t *out;     /* send buffer, PP_MAX_SIZE */
	struct peer_known *pub_view; /* rebuilt by peer_known_list() */
	struct known *known;
	size_t n_known, cap_known;
	struct rl_slot rl[RL_SLOTS];
	uint64_t global_window_ms;
	unsigned global_count;
	struct peer_handler h;      /* the tunnel manager's (peer_set_handler()) */
	void *h_data;
	struct loglimit logs;       /* lines caused by datagrams, per source */
	struct loop_timer *log_timer;
	struct loop_timer *lan_timer;
	struct loop_timer *fresh_timer; /* peer_tunnel_up() */
	unsigned fresh_round;           /* announcements since the last tunnel up */
	struct reach_limit probe_limit; /* probes we send for others (reach.h) */
};

#define LAN_GOSSIP_MS 10000 /* version to LAN neighbours (announce_lan()) */
#define LAN_GOSSIP_MAX 64
/* After a tunnel came up: version to the tunnel peers FRESH_GOSSIP_MS later,
 * then twice more, each wait twice the last (5, 15 and 35 s after). */
#define FRESH_GOSSIP_MS 5000
#define FRESH_GOSSIP_ROUNDS 3

/* A line caused by a datagram from src: rate-limited per source, with a
 * count of what was suppressed (loglimit.h). */
#define PEER_LOG(p, src, level, ...)                                                  \
	do {                                                                           \
		if (loglimit_allow(&(p)->logs, (src), (level), loop_now((p)->c->loop))) \
			log_msg((level), __VA_ARGS__);                                 \
		else                                                                   \
			arm_log_report(p);                                             \
	} while (0)

/* The report of suppressed lines is due when their window ends: a timer
 * then, none while nothing is suppressed. */
static void arm_log_report(struct peer_srv *p)
{
	uint64_t next = loglimit_next_report(&p->logs);
	if (next && !loop_timer_armed(p->log_timer))
		loop_timer_set(p->log_timer, next);
}

static uint64_t now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static void node_address(const struct re6st_prefix *prefix, uint8_t ret[16])
{
	uint8_t a[16];
	memcpy(a, prefix->addr, 16);
	a[15] |= 1;
	memcpy(ret, a, 16);
}

/* ---- known peers -------------------------------------------------------- */

static struct known *known_get(struct peer_srv *p, const struct re6st_prefix *prefix, bool create)
{
	for (size_t i = 0; i < p->n_known; i++)
		if (prefix_equal(&p->known[i].pub.prefix, prefix))
			return &p->known[i];
	if (!create)
		return NULL;
	if (p->n_known == p->cap_known) {
		if (p->cap_known >= MAX_KNOWN) {
			/* Forget the one silent the longest. */
			size_t old = 0;
			for (size_t i = 1; i < p->n_known; i++)
				if (p->known[i].pub.last_rx_ms < p->known[old].pub.last_rx_ms)
					old = i;
			p->known[old] = p->known[--p->n_known];
		} else {
			size_t cap = p->cap_known ? 2 * p->cap_known : 16;
			struct known *k = realloc(p->known, cap * sizeof(*k));
			if (!k)
				return NULL;
			p->known = k;
			p->cap_known = cap;
		}
	}
	struct known *k = &p->known[p->n_known++];
	*k = (struct known){ .pub.prefix = *prefix };
	return k;
}

size_t peer_known_list(const struct peer_srv *p, const struct peer_known **ret)
{
	struct peer_srv *mp = (struct peer_srv *)p;
	struct peer_known *v = realloc(mp->pub_view, (p->n_known ? p->n_known : 1) * sizeof(*v));
	if (!v) {
		*ret = NULL;
		return 0;
	}
	mp->pub_view = v;
	for (size_t i = 0; i < p->n_known; i++)
		v[i] = p->known[i].pub;
	*ret = v;
	return p->n_known;
}

/* ---- sending ------------------------------------------------------------ */

static int encode(struct peer_srv *p, const struct re6st_prefix *to, struct pp_msg *m,
		  size_t *ret_len)
{
	uint8_t cert[CERT_SIZE];
	cert_encode(&p->c->cert, cert);
	m->seq = pp_next_seq(&p->last_seq, now_us());
	m->to = *to;
	m->cert = cert;
	m->cert_len = sizeof(cert);
	int r = pp_encode(m, p->c->key->sign_sk, p->out, PP_MAX_SIZE, ret_len);
	m->cert = NULL;
	if (r >= 0)
		metrics_peer_tx(p->c->metrics, m->type);
	return r;
}

static int send_to(struct peer_srv *p, int fd, const struct sockaddr *dst, size_t len)
{
	socklen_t sl = sockaddr_len(dst);
	struct sockaddr_in6 mapped;
	/* The underlay socket is dual-stack: IPv4 goes IPv4-mapped. */
	if (dst->sa_family == AF_INET) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)dst;
		mapped = (struct sockaddr_in6){ .sin6_family = AF_INET6, .sin6_port = s4->sin_port };
		mapped.sin6_addr.s6_addr[10] = 0xff;
		mapped.sin6_addr.s6_addr[11] = 0xff;
		memcpy(&mapped.sin6_addr.s6_addr[12], &s4->sin_addr, 4);
		dst = (const struct sockaddr *)&mapped;
		sl = sizeof(mapped);
	}
	if (sendto(fd, p->out, len, 0, dst, sl) < 0)
		return negative_errno();
	return 0;
}

int peer_send(struct peer_srv *p, const struct re6st_prefix *to, struct pp_msg *m)
{
	size_t len;
	int r = encode(p, to, m, &len);
	if (r < 0)
		return r;
	struct sockaddr_in6 dst = { .sin6_family = AF_INET6, .sin6_port = htons(p->c->opt.peer_port) };
	node_address(to, dst.sin6_addr.s6_addr);
	return send_to(p, p->fd_ovl, (const struct sockaddr *)&dst, len);
}

int peer_send_underlay(struct peer_srv *p, const struct sockaddr_storage *dst,
		       const struct re6st_prefix *to, struct pp_msg *m, uint64_t *ret_seq)
{
	size_t len;
	int r = encode(p, to, m, &len);
	if (r < 0)
		return r;
	r = send_to(p, p->fd_und, (const struct sockaddr *)dst, len);
	if (r < 0)
		return r;
	if (ret_seq)
		*ret_seq = m->seq;
	return 0;
}

static void reply(struct peer_srv *p, bool overlay, const struct sockaddr_storage *src,
		  const struct re6st_prefix *to, struct pp_msg *m)
{
	size_t len;
	char b[SOCKADDR_STRLEN];
	int r = encode(p, to, m, &len);
	if (r >= 0)
		r = send_to(p, overlay ? p->fd_ovl : p->fd_und, (const struct sockaddr *)src, len);
	if (r < 0)
		log_debug("peer: cannot send %s to %s: %s", pp_type_to_string(m->type),
			  sockaddr_format(src, b), strerror(-r));
}

/* ---- network configuration ---------------------------------------------- */

static uint64_t my_netconf_version(const struct peer_srv *p)
{
	return p->c->netconf ? p->c->netconf->version : 0;
}

static void announce_to(struct peer_srv *p, const struct re6st_prefix *to)
{
	struct pp_msg m = { .type = PP_NETCONF_VERSION,
			    .netconf_version.version = my_netconf_version(p) };
	int r = peer_send(p, to, &m);
	if (r < 0) {
		char b[PREFIX_STRLEN];
		log_debug("peer: cannot announce netconf to %s: %s", prefix_format(to, b),
			  strerror(-r));
	}
}

/* The nodes babel hears directly on -i interfaces have no tunnel to us
 * (docs/tunnel-manager.md) but must get revocations too. */
static void announce_lan(struct peer_srv *p)
{
	struct re6st_prefix lan[LAN_GOSSIP_MAX];
	const struct strv *ifs = &p->c->opt.interfaces;
	if (!p->c->babel || !p->c->netconf || !ifs->n)
		return;
	size_t n = babel_direct_prefixes(p->c->babel, ifs->v, ifs->n, &p->c->network, lan,
					 LAN_GOSSIP_MAX);
	for (size_t i = 0; i < n; i++)
		announce_to(p, &lan[i]);
}

void peer_announce_netconf(struct peer_srv *p)
{
	const struct re6st_prefix *peers = NULL;
	size_t n_client, n = 0;
	if (!p->c->netconf)
		return;
	if (p->h.tunnel_peers)
		n = p->h.tunnel_peers(p->h_data, &peers, &n_client);
	for (size_t i = 0; i < n; i++)
		announce_to(p, &peers[i]);
	announce_lan(p);
}

static int offer_netconf(struct peer_srv *p, const uint8_t *doc, size_t len)
{
	/* The daemon adopts, caches, applies it to the tunnels and announces it. */
	int r = daemon_offer_netconf(p->c, doc, len);
	if (r < 0)
		return r;
	return r == 0 ? -EALREADY : 0;
}

/* ---- rate limiting ------------------------------------------------------ */

static bool rate_limited(struct peer_srv *p, const uint8_t addr[16], uint64_t now, bool *answer)
{
	struct rl_slot *s = NULL, *oldest = &p->rl[0];

	*answer = false;
	if (now - p->global_window_ms >= 1000) {
		p->global_window_ms = now;
		p->global_count = 0;
	}
	if (++p->global_count > RL_GLOBAL_PER_S)
		return true;
	for (size_t i = 0; i < RL_SLOTS; i++) {
		if (p->rl[i].last_ms && memcmp(p->rl[i].addr, addr, 16) == 0) {
			s = &p->rl[i];
			break;
		}
		if (p->rl[i].last_ms < oldest->last_ms)
			oldest = &p->rl[i];
	}
	if (!s) {
		s = oldest;
		*s = (struct rl_slot){ .tokens_x1000 = RL_BURST * 1000, .last_ms = now };
		memcpy(s->addr, addr, 16);
	}
	uint64_t refill = (now - s->last_ms) * 1000 / RL_REFILL_MS;
	s->tokens_x1000 = (uint32_t)MIN((uint64_t)RL_BURST * 1000, s->tokens_x1000 + refill);
	s->last_ms = now;
	if (s->tokens_x1000 >= 1000) {
		s->tokens_x1000 -= 1000;
		return false;
	}
	if (now - s->last_refusal_ms >= 1000) {
		s->last_refusal_ms = now;
		*answer = true;
	}
	return true;
}

/* ---- receiving ---------------------------------------------------------- */

/* The source address as 16 bytes: IPv4 as IPv4-mapped IPv6 (::ffff:a.b.c.d),
 * so that each IPv4 client has its own rate-limit bucket. */
static void src_addr16(const struct sockaddr_storage *src, uint8_t out[16])
{
	memset(out, 0, 16);
	if (src->ss_family == AF_INET6) {
		memcpy(out, &((const struct sockaddr_in6 *)src)->sin6_addr, 16);
	} else if (src->ss_family == AF_INET) {
		out[10] = out[11] = 0xff;
		memcpy(out + 12, &((const struct sockaddr_in *)src)->sin_addr, 4);
	}
}

static void handle_setup_request(struct peer_srv *p, const struct pp_msg *m,
				 const struct re6st_cert *cert, const struct sockaddr_storage *src,
				 bool overlay, int cert_err)
{
	struct ctx *c = p->c;
	struct pp_msg a = { .type = PP_SETUP_ANSWER, .setup_answer.request_seq = m->seq };
	uint8_t a16[16];
	bool answer;
	char b[SOCKADDR_STRLEN], pb[PREFIX_STRLEN];

	src_addr16(src, a16);
	bool limited = rate_limited(p, a16, loop_now(c->loop), &answer);
	metrics_peer_rx(c->metrics, m->type, limited ? MV_RATE_LIMITED : MV_ACCEPTED);
	if (limited) {
		metrics_inc(c->metrics, M_RATE_LIMITED);
		if (!answer)
			return;
		a.setup_answer.status = PP_SETUP_RATE_LIMITED;
		a.setup_answer.retry_after = RL_REFILL_MS / 1000;
	} else if (cert_err == -EKEYEXPIRED) {
		a.setup_answer.status = PP_SETUP_EXPIRED;
	} else if (cert_err == -EKEYREVOKED) {
		a.setup_answer.status = PP_SETUP_REVOKED;
	} else if (!p->h.serve) {
		a.setup_answer.status = PP_SETUP_INTERNAL;
	} else {
		uint16_t port = 0, retry = 0;
		int st = p->h.serve(p->h_data, cert, src, m, &port, &retry);
		a.setup_answer.status = (uint8_t)st;
		a.setup_answer.port = port;
		a.setup_answer.retry_after = retry;
		a.setup_answer.tunnel_type = m->setup_request.tunnel_type;
	}
	/* Tell the client how we see it: behind NAT, that is its public address. */
	if (src->ss_family == AF_INET) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)src;
		a.setup_answer.seen_family = AF_INET;
		memcpy(a.setup_answer.seen_addr, &s4->sin_addr, 4);
		a.setup_answer.seen_port = ntohs(s4->sin_port);
	} else if (src->ss_family == AF_INET6 && !overlay) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)src;
		a.setup_answer.seen_family = AF_INET6;
		memcpy(a.setup_answer.seen_addr, &s6->sin6_addr, 16);
		a.setup_answer.seen_port = ntohs(s6->sin6_port);
	}
	PEER_LOG(p, src, LOG_INFO, "peer: set-up request from %s at %s: %s", prefix_format(&cert->node, pb),
		 sockaddr_format(src, b), pp_setup_status_to_string(a.setup_answer.status));
	reply(p, overlay, src, &cert->node, &a);
	/* The refusal's proof: the CA-signed configuration that revoked it, so
	 * a revoked node learns it from any peer, even with the registry down
	 * (it stops then). Within the set-up rate limit, like the answer. */
	if (a.setup_answer.status == PP_SETUP_REVOKED && c->netconf_raw &&
	    c->netconf_raw_len + PP_OVERHEAD + CERT_SIZE <= PP_MAX_SIZE) {
		struct pp_msg n = { .type = PP_NETCONF,
				    .netconf = { c->netconf_raw, c->netconf_raw_len } };
		reply(p, overlay, src, &cert->node, &n);
	}
}

/* node-info: our software, protocol and configuration version. */
static void answer_node_info(struct peer_srv *p, bool overlay, const struct sockaddr_storage *src,
			     const struct re6st_prefix *to)
{
	struct utsname u;
	char sw[512];

	if (uname(&u) < 0)
		memset(&u, 0, sizeof(u));
	snprintf(sw, sizeof(sw), "re6stnet %s, %.40s-%.60s-%.30s", RE6ST_VERSION, u.sysname,
		 u.release, u.machine);
	for (char *s = sw; *s; s++)
		if (*s < 0x20 || *s > 0x7e)
			*s = '?';
	struct pp_msg a = { .type = PP_NODE_INFO,
			    .node_info = { my_netconf_version(p), PP_VERSION, sw, strlen(sw) } };
	reply(p, overlay, src, to, &a);
}

/* topology: the prefixes of our tunnels, those we opened first. */
static void answer_topology(struct peer_srv *p, bool overlay, const struct sockaddr_storage *src,
			    const struct re6st_prefix *to)
{
	const struct re6st_prefix *peers = NULL;
	size_t n_client = 0, n = 0;

	if (p->h.tunnel_peers)
		n = p->h.tunnel_peers(p->h_data, &peers, &n_client);
	n = MIN(n, (size_t)PP_MAX_TOPOLOGY);
	n_client = MIN(n_client, n);
	_cleanup_free_ uint8_t *e = malloc(17 * (n ? n : 1));
	if (!e)
		return;
	for (size_t i = 0; i < n; i++)
		pp_prefix_pack(&peers[i], e + 17 * i);
	struct pp_msg a = { .type = PP_TOPOLOGY,
			    .topology = { my_netconf_version(p), (uint16_t)n_client,
					  (uint16_t)(n - n_client), e } };
	reply(p, overlay, src, to, &a);
}

/* Certificate-less, signed with the CA key: what the registry sends. */
/* A probe-request: one signed probe to each of the requester's own
 * endpoints (the list it signed), at most one round per requester per
 * 30 s and 10 rounds a second in all (reach.h). */
static void probe(struct peer_srv *p, const struct re6st_prefix *from, const struct pp_msg *m,
		  const struct sockaddr_storage *src)
{
	struct sockaddr_storage dst[REACH_PROBE_TARGETS];
	char pb[PREFIX_STRLEN], ab[SOCKADDR_STRLEN];
	if (!reach_limit_allow(&p->probe_limit, from, loop_now(p->c->loop))) {
		PEER_LOG(p, src, LOG_DEBUG, "peer: probe-request from %s: rate limited",
			 prefix_format(from, pb));
		return;
	}
	size_t n = reach_targets(m->address.list, m->address.len, &p->c->network, dst,
				 REACH_PROBE_TARGETS);
	for (size_t i = 0; i < n; i++) {
		struct pp_msg pr = { .type = PP_PROBE, .probe.request_seq = m->seq };
		int r = peer_send_underlay(p, &dst[i], from, &pr, NULL);
		if (r < 0)
			log_debug("peer: cannot probe %s for %s: %s", sockaddr_format(&dst[i], ab),
				  prefix_format(from, pb), strerror(-r));
	}
}

static bool from_registry_type(enum pp_type t)
{
	return t == PP_NETCONF || t == PP_NODE_INFO_REQUEST || t == PP_TOPOLOGY_REQUEST;
}

static void handle_overlay_msg(struct peer_srv *p, struct known *k, const struct pp_msg *m,
			       const struct re6st_cert *cert, const struct sockaddr_storage *src)
{
	struct ctx *c = p->c;
	const struct re6st_prefix *from = &cert->node;
	char pb[PREFIX_STRLEN];

	switch (m->type) {
	case PP_NETCONF_VERSION: {
		uint64_t mine = my_netconf_version(p), theirs = m->netconf_version.version;
		k->pub.netconf_version = theirs;
		if (theirs < mine && c->netconf_raw) {
			if (c->netconf_raw_len + PP_OVERHEAD + CERT_SIZE > PP_MAX_SIZE) {
				PEER_LOG(p, src, LOG_DEBUG, "peer: network configuration too large for gossip");
				break;
			}
			struct pp_msg a = { .type = PP_NETCONF,
					    .netconf = { c->netconf_raw, c->netconf_raw_len } };
			reply(p, true, src, from, &a);
		} else if (theirs > mine) {
			struct pp_msg a = { .type = PP_NETCONF_VERSION,
					    .netconf_version.version = mine };
			reply(p, true, src, from, &a);
		}
		break;
	}
	case PP_NETCONF: {
		int r = offer_netconf(p, m->netconf.doc, m->netconf.len);
		if (r < 0 && r != -EALREADY)
			PEER_LOG(p, src, LOG_WARNING, "peer: network configuration from %s refused: %s",
				    prefix_format(from, pb), identity_strerror(r));
		break;
	}
	case PP_ADDRESS_REQUEST: {
		char list[1024] = "";
		if (c->endpoints && endpoints_format(c->endpoints, list, sizeof(list)) < 0)
			list[0] = 0;
		struct pp_msg a = { .type = PP_ADDRESS, .address = { list, strlen(list) } };
		reply(p, true, src, from, &a);
		break;
	}
	case PP_ADDRESS:
		if (c->state && m->address.len) {
			_cleanup_free_ char *s = strndup(m->address.list, m->address.len);
			if (s)
				state_peer_put(c->state, from, s, loop_unix_now());
		}
		if (p->h.address)
			p->h.address(p->h_data, from, m->address.list, m->address.len);
		break;
	case PP_TUNNEL_DRAIN:
	case PP_TUNNEL_UNDRAIN:
	case PP_TUNNEL_DESTROY:
	case PP_TUNNEL_DESTROY_ACK:
		if (p->h.tunnel_msg)
			p->h.tunnel_msg(p->h_data, from, m->type, m->tunnel.role);
		break;
	case PP_NODE_INFO_REQUEST:
		answer_node_info(p, true, src, from);
		break;
	case PP_NODE_INFO:
		k->pub.netconf_version = m->node_info.netconf_version;
		snprintf(k->pub.software, sizeof(k->pub.software), "%.*s",
			 (int)m->node_info.software_len, m->node_info.software);
		break;
	case PP_TOPOLOGY_REQUEST:
		answer_topology(p, true, src, from);
		break;
	case PP_PROBE_REQUEST:
		probe(p, from, m, src);
		break;
	case PP_PROBE:
		if (p->h.probed)
			p->h.probed(p->h_data, from, m->probe.request_seq);
		break;
	case PP_TOPOLOGY:
		k->pub.netconf_version = m->topology.netconf_version;
		PEER_LOG(p, src, LOG_DEBUG, "peer: topology of %s: %u clients, %u served", prefix_format(from, pb),
			  m->topology.n_client, m->topology.n_served);
		break;
	default:
		break;
	}
}

static void handle_datagram(struct peer_srv *p, const uint8_t *buf, size_t len,
			    const struct sockaddr_storage *src, bool overlay)
{
	struct ctx *c = p->c;
	struct pp_msg m;
	struct re6st_cert cert;
	const char *why = "";
	char b[SOCKADDR_STRLEN];
	uint64_t now = loop_unix_now();

	int r = pp_decode(buf, len, &m, &why);
	if (r < 0) {
		metrics_peer_rx(c->metrics, 0, MV_MALFORMED);
		PEER_LOG(p, src, LOG_DEBUG, "peer: dropped datagram from %s: %s", sockaddr_format(src, b), why);
		return;
	}
	/* Only set-up messages, network configurations (registry pushes, the
	 * proof sent with a "revoked" refusal), tunnel messages (when the
	 * overlay has no route to the peer) and reachability probes (and their
	 * requests) travel on the underlay. */
	if (!overlay && m.type != PP_SETUP_REQUEST && m.type != PP_SETUP_ANSWER &&
	    m.type != PP_TUNNEL_DRAIN && m.type != PP_TUNNEL_UNDRAIN &&
	    m.type != PP_TUNNEL_DESTROY && m.type != PP_TUNNEL_DESTROY_ACK &&
	    m.type != PP_NETCONF && m.type != PP_PROBE && m.type != PP_PROBE_REQUEST && !(from_registry_type(m.type) && m.cert_len == 0)) {
		metrics_peer_rx(c->metrics, m.type, MV_AUTH);
		PEER_LOG(p, src, LOG_DEBUG, "peer: %s from %s on the underlay: dropped", pp_type_to_string(m.type),
			  sockaddr_format(src, b));
		return;
	}
	/* A probe proves the underlay path to our endpoint, nothing else. */
	if (overlay && m.type == PP_PROBE) {
		metrics_peer_rx(c->metrics, m.type, MV_AUTH);
		PEER_LOG(p, src, LOG_DEBUG, "peer: probe from %s on the overlay: dropped",
			 sockaddr_format(src, b));
		return;
	}
	/* The registry pushes the network configuration signed with the CA key,
	 * without a certificate: the fastest way for a revocation to spread.
	 * It asks for node-info and topology the same way (its versions and
	 * topology RPCs); the answer goes back where the request came from,
	 * addressed to the network prefix, the registry's name. */
	if (m.cert_len == 0) {
		struct known *reg = known_get(p, &c->network, true);
		if (!from_registry_type(m.type) || memcmp(m.sender_key, c->ca.sign_pk, PP_KEY_LEN) != 0 ||
		    !prefix_equal(&m.to, &c->prefix) || !reg ||
		    pp_replay_check(&reg->replay, m.seq, now_us()) < 0) {
			metrics_peer_rx(c->metrics, m.type, MV_AUTH);
			PEER_LOG(p, src, LOG_DEBUG, "peer: %s without a certificate from %s: dropped",
				  pp_type_to_string(m.type), sockaddr_format(src, b));
			return;
		}
		reg->pub.last_rx_ms = loop_now(c->loop);
		metrics_peer_rx(c->metrics, m.type, MV_ACCEPTED);
		if (m.type == PP_NODE_INFO_REQUEST) {
			answer_node_info(p, overlay, src, &c->network);
			return;
		}
		if (m.type == PP_TOPOLOGY_REQUEST) {
			answer_topology(p, overlay, src, &c->network);
			return;
		}
		r = offer_netconf(p, m.netconf.doc, m.netconf.len);
		if (r < 0 && r != -EALREADY)
			PEER_LOG(p, src, LOG_WARNING, "peer: network configuration pushed by the registry refused: %s",
				    identity_strerror(r));
		return;
	}
	r = cert_decode(m.cert, m.cert_len, &cert);
	if (r >= 0 && memcmp(cert.sign_pk, m.sender_key, PP_KEY_LEN) != 0)
		r = -EKEYREJECTED;
	int cert_err = r < 0 ? r : cert_verify(&cert, &c->ca, now);
	if (cert_err >= 0 && c->netconf && netconf_find_revoked(c->netconf, cert.serial))
		cert_err = -EKEYREVOKED;
	if (r < 0 || (cert_err < 0 && cert_err != -EKEYEXPIRED && cert_err != -EKEYREVOKED)) {
		metrics_peer_rx(c->metrics, m.type, MV_AUTH);
		PEER_LOG(p, src, LOG_DEBUG, "peer: %s from %s: bad certificate: %s", pp_type_to_string(m.type),
			  sockaddr_format(src, b), identity_strerror(r < 0 ? r : cert_err));
		return;
	}
	if (!prefix_equal(&m.to, &c->prefix)) {
		metrics_peer_rx(c->metrics, m.type, MV_AUTH);
		PEER_LOG(p, src, LOG_DEBUG, "peer: %s from %s is for another node", pp_type_to_string(m.type),
			  sockaddr_format(src, b));
		return;
	}
	if (overlay) {
		uint8_t a16[16];
		src_addr16(src, a16);
		if (src->ss_family != AF_INET6 || !prefix_contains_address(&cert.node, a16)) {
			metrics_peer_rx(c->metrics, m.type, MV_AUTH);
			PEER_LOG(p, src, LOG_DEBUG, "peer: %s from %s: source outside the sender's prefix",
				  pp_type_to_string(m.type), sockaddr_format(src, b));
			return;
		}
	}
	struct known *k = known_get(p, &cert.node, true);
	if (!k)
		return;
	r = pp_replay_check(&k->replay, m.seq, now_us());
	if (r < 0) {
		metrics_peer_rx(c->metrics, m.type, MV_REPLAY);
		if (r == -ESTALE)
			PEER_LOG(p, src, LOG_WARNING, "peer: %s from %s has a timestamp off by more than %d s: "
				    "check the clocks", pp_type_to_string(m.type),
				    sockaddr_format(src, b), PP_FRESHNESS_S);
		else
			PEER_LOG(p, src, LOG_DEBUG, "peer: replayed %s from %s dropped", pp_type_to_string(m.type),
				  sockaddr_format(src, b));
		return;
	}
	k->pub.cert_serial = cert.serial;
	k->pub.cert_not_after = cert.not_after;
	k->pub.last_rx_ms = loop_now(c->loop);
	/* Whatever it says: a revoked node gets no tunnel from us, and we try
	 * none to it (it may not know it was revoked, cut off from gossip). */
	if (cert_err == -EKEYREVOKED)
		events_post(c->events, EV_PEER_REVOKED, &(struct ev_prefix){ .prefix = cert.node },
			    sizeof(struct ev_prefix));

	if (m.type == PP_SETUP_REQUEST) {
		handle_setup_request(p, &m, &cert, src, overlay, cert_err);
		return;
	}
	if (cert_err < 0) {
		metrics_peer_rx(c->metrics, m.type, MV_AUTH);
		PEER_LOG(p, src, LOG_DEBUG, "peer: %s from %s: %s", pp_type_to_string(m.type),
			  sockaddr_format(src, b), identity_strerror(cert_err));
		return;
	}
	metrics_peer_rx(c->metrics, m.type, MV_ACCEPTED);
	if (m.type == PP_SETUP_ANSWER) {
		if (p->h.setup_answer)
			p->h.setup_answer(p->h_data, &cert, src, &m);
		return;
	}
	handle_overlay_msg(p, k, &m, &cert, src);
}

static void on_readable(struct peer_srv *p, int fd, bool overlay)
{
	for (int i = 0; i < 64; i++) {
		struct sockaddr_storage src;
		socklen_t sl = sizeof(src);
		ssize_t n = recvfrom(fd, p->buf, PP_MAX_SIZE, MSG_DONTWAIT, (struct sockaddr *)&src,
				     &sl);
		if (n < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
				log_debug("peer: recvfrom: %m");
			return;
		}
		/* IPv4-mapped sources are reported as IPv4 to the rest. */
		if (src.ss_family == AF_INET6) {
			struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&src;
			if (IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr)) {
				struct sockaddr_in s4 = { .sin_family = AF_INET,
							  .sin_port = s6->sin6_port };
				memcpy(&s4.sin_addr, &s6->sin6_addr.s6_addr[12], 4);
				memset(&src, 0, sizeof(src));
				memcpy(&src, &s4, sizeof(s4));
			}
		}
		handle_datagram(p, p->buf, (size_t)n, &src, overlay);
	}
}

static void on_overlay(struct loop *l, int fd, short revents, void *userdata)
{
	on_readable(userdata, fd, true);
}

static void on_underlay(struct loop *l, int fd, short revents, void *userdata)
{
	on_readable(userdata, fd, false);
}

/* ---- set-up ------------------------------------------------------------- */

static int open_socket(const uint8_t addr[16], uint16_t port, bool freebind, int *ret)
{
	_cleanup_close_ int fd = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	int one = 1, zero = 0;
	if (fd < 0)
		return negative_errno();
	/* Overlay ([addr]:326) and underlay ([::]:326) share the port. */
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0)
		return negative_errno();
	if (freebind && setsockopt(fd, IPPROTO_IPV6, IPV6_FREEBIND, &one, sizeof(one)) < 0)
		return negative_errno();
	if (!freebind && setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero)) < 0)
		return negative_errno();
	struct sockaddr_in6 sa = { .sin6_family = AF_INET6, .sin6_port = htons(port) };
	memcpy(&sa.sin6_addr, addr, 16);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return negative_errno();
	*ret = TAKE_FD(fd);
	return 0;
}

static void on_log_tick(struct loop *l, struct loop_timer *t, void *userdata)
{
	struct peer_srv *p = userdata;
	loglimit_tick(&p->logs, loop_now(l));
	arm_log_report(p);
}

/* LAN neighbours may come and go without a tunnel set-up to tell them: our
 * version, every LAN_GOSSIP_MS (answered only if theirs differs). Only with
 * -i interfaces. */
static void on_lan_gossip(struct loop *l, struct loop_timer *t, void *userdata)
{
	announce_lan(userdata);
}

/* One announcement is lost when babel does not route over the new tunnel
 * yet, or its answer back: the next rounds make up for it. */
static void on_fresh_gossip(struct loop *l, struct loop_timer *t, void *userdata)
{
	struct peer_srv *p = userdata;
	peer_announce_netconf(p);
	if (++p->fresh_round < FRESH_GOSSIP_ROUNDS)
		loop_timer_set_in(t, (uint64_t)FRESH_GOSSIP_MS << p->fresh_round);
}

void peer_tunnel_up(struct peer_srv *p)
{
	/* A tunnel up while the first round waits joins it; once that round is
	 * past, the rounds start again from this tunnel. */
	if (p && (!loop_timer_armed(p->fresh_timer) || p->fresh_round > 0)) {
		p->fresh_round = 0;
		loop_timer_set_in(p->fresh_timer, FRESH_GOSSIP_MS);
	}
}

void peer_srv_free(struct peer_srv *p)
{
	if (!p)
		return;
	loglimit_flush(&p->logs, loop_now(p->c->loop));
	loop_timer_remove(p->log_timer);
	loop_timer_remove(p->lan_timer);
	loop_timer_remove(p->fresh_timer);
	loop_io_remove(p->io_ovl);
	loop_io_remove(p->io_und);
	if (p->fd_ovl >= 0)
		close(p->fd_ovl);
	if (p->fd_und >= 0)
		close(p->fd_und);
	free(p->buf);
	free(p->out);
	free(p->known);
	free(p->pub_view);
	free(p);
}
DEFINE_FREEP(struct peer_srv, peer_srv_free)

int peer_srv_new(struct ctx *c, const uint8_t overlay_addr[16], uint16_t overlay_port,
		 uint16_t underlay_port, struct peer_srv **ret)
{
	_cleanup_(peer_srv_freep) struct peer_srv *p = calloc(1, sizeof(*p));
	static const uint8_t any[16];
	int r;

	if (!p)
		return -ENOMEM;
	p->c = c;
	p->fd_ovl = p->fd_und = -1;
	loglimit_init(&p->logs, "peer");
	r = loop_add_timer(c->loop, 0, 0, on_log_tick, p, &p->log_timer);
	if (r < 0)
		return r;
	loop_timer_disarm(p->log_timer);
	r = loop_add_timer(c->loop, 0, 0, on_fresh_gossip, p, &p->fresh_timer);
	if (r < 0)
		return r;
	loop_timer_disarm(p->fresh_timer);
	if (c->opt.interfaces.n &&
	    (r = loop_add_timer(c->loop, loop_now(c->loop) + LAN_GOSSIP_MS, LAN_GOSSIP_MS,
				on_lan_gossip, p, &p->lan_timer)) < 0)
		return r;
	p->buf = malloc(PP_MAX_SIZE);
	p->out = malloc(PP_MAX_SIZE);
	if (!p->buf || !p->out)
		return -ENOMEM;
	r = open_socket(overlay_addr, overlay_port, true, &p->fd_ovl);
	if (r < 0)
		return r;
	r = open_socket(any, underlay_port, false, &p->fd_und);
	if (r < 0)
		return r;
	r = loop_add_io(c->loop, p->fd_ovl, POLLIN, on_overlay, p, &p->io_ovl);
	if (r < 0)
		return r;
	r = loop_add_io(c->loop, p->fd_und, POLLIN, on_underlay, p, &p->io_und);
	if (r < 0)
		return r;
	*ret = TAKE_PTR(p);
	return 0;
}

void peer_set_handler(struct peer_srv *p, const struct peer_handler *h, void *userdata)
{
	if (!p)
		return;
	p->h = h ? *h : (struct peer_handler){ 0 };
	p->h_data = userdata;
}

/* A newer configuration: our tunnel peers learn its version. */
static void on_netconf(void *userdata, enum event_type type, const void *payload, size_t len)
{
	peer_announce_netconf(userdata);
}

int peer_init(struct ctx *c)
{
	int r = peer_srv_new(c, c->addr, c->opt.peer_port, c->opt.peer_port, &c->peer);
	if (r < 0)
		return log_errno(LOG_ERR, r, "cannot open the peer-protocol sockets on port %u",
				 c->opt.peer_port);
	r = events_subscribe(c->events, EV_NETCONF, on_netconf, c->peer);
	if (r < 0)
		return log_errno(LOG_ERR, r, "peer protocol");
	log_info("peer protocol on [%s]:%u (overlay) and [::]:%u (underlay)", c->addr_str,
		 c->opt.peer_port, c->opt.peer_port);
	return 0;
}

void peer_fini(struct ctx *c)
{
	events_unsubscribe(c->events, on_netconf, c->peer);
	peer_srv_free(c->peer);
	c->peer = NULL;
}
