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

#include "sockaddr.h"
#include "tunnel-mgr.h"

/* Drop the peer: the interface goes back to the pool, ready to be
 * reprogrammed; its link goes down first (tm_link_down()). */
void tm_release(struct tunnel_mgr *m, struct tunnel *t, const char *why)
{
	struct ctx *c = m->c;
	char b[PREFIX_STRLEN];

	if (t->state != T_FREE && t->state != T_SETUP) {
		log_info("tunnel %s %s %s closed: %s", t->ifname, t->server ? "from" : "to",
			 tm_pfx(&t->peer, b), why);
		tm_event(m, t, EV_TUNNEL_DOWN, why, 0, 0);
	}
	tm_link_down(m, t);
	if (t->drained) {
		nl_tc_drain_remove(c->nl, t->ifindex);
		obj_tc_journal(c, t->ifname, false);
		t->drained = false;
	}
	if (t->state != T_SETUP && t->state != T_FREE && t->ifindex) {
		int r = tm_is_gre(t) ? tm_gre_park(m, t) : nl_wg_peers_replace(c->nl, t->ifindex, NULL, 0);
		if (r < 0)
			log_warning("tunnel: cannot clear the peer of %s: %s", t->ifname, strerror(-r));
	}
	t->state = T_FREE;
	t->destroy_requested = false;
	t->since_ms = tm_now_ms(m);
	memset(&t->peer_ul, 0, sizeof(t->peer_ul));
	tm_tcp_link_close(t);
	t->n_tcp_eps = 0;
	tm_want_again(m);
}

static void tunnel_up(struct tunnel_mgr *m, struct tunnel *t)
{
	struct ctx *c = m->c;
	char b[PREFIX_STRLEN];

	metrics_inc(c->metrics, M_TUNNELS_UP);
	if (t->state == T_SETUP)
		metrics_observe(c->metrics, H_SETUP_SECONDS, (double)(tm_now_ms(m) - t->since_ms) / 1000);
	t->state = T_UP;
	t->since_ms = t->checked_ms = t->alive_ms = tm_now_ms(m);
	t->live = false;
	health_reset(&t->rx);
	tm_loss_reset(m, t);
	t->rotations++;
	m->rotations++;
	if (c->babel && !t->in_babel) {
		int r = babel_add_interface(c->babel, t->ifname, NULL, NULL, NULL);
		if (r < 0)
			log_warning("tunnel: cannot declare %s to babeld: %s", t->ifname, strerror(-r));
		else
			t->in_babel = true;
	}
	log_info("tunnel %s %s %s up (%s)%s", t->ifname, t->server ? "from" : "to",
		 tm_pfx(&t->peer, b), tm_type_name(t->type), t->nat ? " (keepalive)" : "");
	tm_event(m, t, EV_TUNNEL_UP, NULL, 0, 0);
	peer_tunnel_up(c->peer);
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
				   .flags = tm_reachable(m) ? 0 : PP_SETUP_F_NAT,
				   .fou_port = t->type == PP_TUNNEL_FOU ? m->c->opt.fou_port : 0 },
	};
	char b[PREFIX_STRLEN];

	ep_sockaddr(&t->eps[t->ep_idx], t->eps[t->ep_idx].port, &dst);
	uint64_t seq = 0;
	int r = 0;
	/* tcp: the request goes over the link, to be made first. */
	if (t->type == PP_TUNNEL_TCP && !t->link)
		r = tm_tcp_link_open(m, t);
	if (t->type == PP_TUNNEL_TCP && t->link)
		dst = sockaddr_loopback4(tcp_link_pp_port(t->link));
	if (r >= 0)
		r = m->c->peer ? peer_send_underlay(m->c->peer, &dst, &t->peer, &msg, &seq) : -ENOTCONN;
	if (r < 0)
		log_debug("tunnel: set-up request to %s: %s", tm_pfx(&t->peer, b), strerror(-r));
	t->setup_seqs[t->tries % SETUP_TRIES] = seq;
	t->tries++;
	t->deadline_ms = tm_now_ms(m) + SETUP_RETRY_MS;
}

static void setup_next(struct tunnel_mgr *m, struct tunnel *t)
{
	char b[PREFIX_STRLEN];
	if (t->tries >= SETUP_TRIES) {
		t->tries = 0;
		memset(t->setup_seqs, 0, sizeof(t->setup_seqs));
		tm_tcp_link_close(t);
		if (t->ep_idx + 1 >= t->n_eps && t->n_tcp_eps) {
			/* No answer over UDP: the path may filter it. */
			log_info("tunnel: no answer from %s over %s: trying TCP", tm_pfx(&t->peer, b),
				 tm_type_name(t->type));
			t->type = PP_TUNNEL_TCP; /* the same WireGuard interface */
			memcpy(t->eps, t->tcp_eps, t->n_tcp_eps * sizeof(*t->eps));
			t->n_eps = t->n_tcp_eps;
			t->n_tcp_eps = 0;
			t->ep_idx = 0;
			send_setup(m, t);
			return;
		}
		if (++t->ep_idx >= t->n_eps) {
			log_info("tunnel: no answer from %s", tm_pfx(&t->peer, b));
			metrics_inc(m->c->metrics, M_SETUP_FAILED);
			tm_backoff(m, &t->peer, BACKOFF_FAIL_MS);
			tm_release(m, t, "no answer");
			return;
		}
	}
	send_setup(m, t);
}

/* Open a client tunnel to peer through one of its endpoints. true if started. */
bool tm_tunnel_connect(struct tunnel_mgr *m, const struct re6st_prefix *peer,
			   const char *list, size_t len)
{
	struct pp_endpoint eps[PP_MAX_ENDPOINTS];
	uint8_t types[TUNNEL_TYPE_COUNT];
	size_t k = 0;
	struct tunnel *t = NULL;
	char b[PREFIX_STRLEN];

	if (prefix_equal(peer, &m->c->prefix) || tm_connected(m, peer))
		return false;
	if (pp_endpoints_parse(list, len, eps, PP_MAX_ENDPOINTS, &k) < 0)
		return false;
	/* Exception 6 of policy.h: a listed country keeps to itself. */
	const char *theirs = "";
	for (size_t i = 0; i < k && !*theirs; i++)
		theirs = eps[i].country;
	if (m->c->netconf && !policy_country_ok(m->c->netconf->same_country,
						m->c->country, theirs)) {
		log_debug("tunnel: not connecting to %s: same-country rule (%s)", tm_pfx(peer, b),
			  *theirs ? theirs : "country unknown");
		tm_backoff_rule(m, peer, REVOKED_BACKOFF_MS);
		return false;
	}
	/* One type per attempt: the first of ours the peer offers; its tcp
	 * endpoints wait for a UDP type to get no answer. */
	struct pp_endpoint tcp_eps[PP_MAX_ENDPOINTS];
	size_t n_tcp = tm_offers(m, PP_TUNNEL_TCP)
			       ? tunnel_endpoints_of_type(PP_TUNNEL_TCP, eps, k, tcp_eps)
			       : 0;
	uint8_t type = tunnel_pick_endpoints(types, tm_offered(m, types), eps, &k);
	if (type != PP_TUNNEL_TCP && n_tcp && tm_tcp_preferred(m, peer)) {
		/* UDP passed the set-up but not WireGuard last time. */
		type = PP_TUNNEL_TCP;
		memcpy(eps, tcp_eps, n_tcp * sizeof(*eps));
		k = n_tcp;
	}
	if (k == 0) {
		tm_backoff(m, peer, BACKOFF_FAIL_MS);
		return false;
	}
	int r = tm_tunnel_take(m, type, false, 0, &t);
	if (r < 0) {
		log_error("tunnel: cannot create a client interface: %s", strerror(-r));
		return false;
	}
	t->peer = *peer;
	memcpy(t->eps, eps, k * sizeof(*eps));
	t->n_eps = k;
	t->n_tcp_eps = type == PP_TUNNEL_TCP || tm_is_gre(t) ? 0 : n_tcp;
	memcpy(t->tcp_eps, tcp_eps, t->n_tcp_eps * sizeof(*tcp_eps));
	t->ep_idx = 0;
	t->tries = 0;
	memset(t->setup_seqs, 0, sizeof(t->setup_seqs));
	t->state = T_SETUP;
	t->since_ms = tm_now_ms(m);
	log_info("tunnel: connecting %s to %s (%s)", t->ifname, tm_pfx(peer, b), tm_type_name(type));
	send_setup(m, t);
	return true;
}

void tm_on_setup_answer(void *userdata, const struct re6st_cert *server,
			    const struct sockaddr_storage *src, const struct pp_msg *a)
{
	struct tunnel_mgr *m = userdata;
	struct tunnel *t = tm_find_peer(m, &server->node, false);
	char b[PREFIX_STRLEN];
	bool match = false;

	if (!t || t->state != T_SETUP)
		return;
	for (size_t i = 0; i < SETUP_TRIES; i++)
		match |= t->setup_seqs[i] && t->setup_seqs[i] == a->setup_answer.request_seq;
	if (!match)
		return;
	/* --ip any: advertise the address the server saw (our public one). */
	/* (Over a TCP link the server saw a loopback address: nothing to learn.) */
	if (tm_learn_from_peers(m) && a->setup_answer.seen_family && t->type != PP_TUNNEL_TCP) {
		uint8_t have[16];
		bool known = endpoints_learned(m->c->endpoints, a->setup_answer.seen_family, have);
		size_t alen = a->setup_answer.seen_family == AF_INET ? 4 : 16;
		if (!known || memcmp(have, a->setup_answer.seen_addr, alen) != 0) {
			char ip[INET6_ADDRSTRLEN] = "?";
			inet_ntop(a->setup_answer.seen_family, a->setup_answer.seen_addr, ip, sizeof(ip));
			log_info("tunnel: %s sees us as %s: advertising it", tm_pfx(&t->peer, b), ip);
			endpoints_learn(m->c->endpoints, a->setup_answer.seen_family,
					a->setup_answer.seen_addr, m->c->opt.peer_port);
		}
	}
	if (a->setup_answer.status != PP_SETUP_OK) {
		log_info("tunnel: %s refused our tunnel: %s", tm_pfx(&t->peer, b),
			 pp_setup_status_to_string(a->setup_answer.status));
		uint64_t wait = a->setup_answer.retry_after ? a->setup_answer.retry_after * 1000ull
							   : BACKOFF_FAIL_MS;
		tm_backoff(m, &t->peer, wait);
		tm_release(m, t, "refused");
		return;
	}
	if (a->setup_answer.tunnel_type != t->type) {
		log_warning("tunnel: %s answered for a %s tunnel, we asked for %s", tm_pfx(&t->peer, b),
			    tm_type_name(a->setup_answer.tunnel_type), tm_type_name(t->type));
		tm_backoff(m, &t->peer, BACKOFF_FAIL_MS);
		tm_release(m, t, "wrong type");
		return;
	}
	const struct pp_endpoint *ep = &t->eps[t->ep_idx];
	ep_sockaddr(ep, a->setup_answer.port, &t->endpoint);
	ep_sockaddr(ep, ep->port, &t->peer_ul);
	if (t->type == PP_TUNNEL_TCP && t->link) {
		/* WireGuard and the peer protocol reach the server through the link. */
		t->endpoint = sockaddr_loopback4(tcp_link_port(t->link));
		t->peer_ul = sockaddr_loopback4(tcp_link_pp_port(t->link));
	}
	t->nat = !tm_reachable(m) && t->type == PP_TUNNEL_WG; /* keepalive: WireGuard only */
	memcpy(t->peer_wg, server->wg_pk, 32);
	t->peer_serial = server->serial;
	/* FOU: the answer's port is the server's FOU receive port. */
	struct tunnel_spec spec = { .wg_pk = server->wg_pk, .endpoint = &t->endpoint,
				    .keepalive = t->nat, .family = ep->family, .remote = ep->addr,
				    .fou_port = a->setup_answer.port };
	int r = tm_pool_apply(m, t, &spec);
	if (r < 0 && tm_is_gre(t) && !t->ifindex) {
		log_error("tunnel: cannot make %s for %s: %s", t->ifname, tm_pfx(&t->peer, b),
			  strerror(-r));
		tm_backoff(m, &t->peer, BACKOFF_FAIL_MS);
		tm_release(m, t, "programming failed");
		return;
	}
	if (r < 0) {
		log_error("tunnel: cannot program %s for %s: %s", t->ifname, tm_pfx(&t->peer, b),
			  strerror(-r));
		t->state = T_UP; /* so that release clears whatever was set */
		tm_release(m, t, "programming failed");
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

int tm_serve(void *userdata, const struct re6st_cert *client,
		 const struct sockaddr_storage *src, const struct pp_msg *req, uint16_t *ret_port,
		 uint16_t *ret_retry_after)
{
	struct tunnel_mgr *m = userdata;
	struct ctx *c = m->c;
	struct tunnel *t;
	char b[PREFIX_STRLEN];

	uint8_t type = req->setup_request.tunnel_type;
	bool gre = type == PP_TUNNEL_GRE || type == PP_TUNNEL_FOU;
	if (!tm_offers(m, type) || (type == PP_TUNNEL_FOU && !req->setup_request.fou_port))
		return PP_SETUP_UNSUPPORTED;
	/* tcp: only over a TCP link, whose connection the tunnel will use. */
	if (type == PP_TUNNEL_TCP && !tm_tcp_is_link(m, src))
		return PP_SETUP_UNSUPPORTED;
	/* GRE goes to the address the request came from; never into the overlay. */
	if (gre && (in_network(m, src) || (src->ss_family != AF_INET && src->ss_family != AF_INET6)))
		return PP_SETUP_UNSUPPORTED;
	if (prefix_equal(&client->node, &c->prefix))
		return PP_SETUP_BAD_CERT;
	if (!in_network(m, src))
		m->served_ms = tm_now_ms(m);

	/* The GRE remote: the client's underlay address as we see it. */
	const uint8_t *remote = src->ss_family == AF_INET
					? (const uint8_t *)&((const struct sockaddr_in *)src)->sin_addr
					: ((const struct sockaddr_in6 *)src)->sin6_addr.s6_addr;
	uint16_t answer_port = type == PP_TUNNEL_FOU ? c->opt.fou_port
			       : type == PP_TUNNEL_GRE ? c->opt.peer_port /* unused, not 0 */
						       : 0;
	t = tm_find_peer(m, &client->node, true);
	if (t && t->state != T_FREE && t->type == type) {
		/* A retry of a request already served: same answer (the
		 * client's address may have changed: GRE follows it). */
		if (gre) {
			struct tunnel_spec spec = { .family = src->ss_family, .remote = remote,
						    .fou_port = req->setup_request.fou_port };
			int r = tm_pool_apply(m, t, &spec);
			if (r < 0)
				log_warning("tunnel: cannot reprogram %s for %s: %s", t->ifname,
					    tm_pfx(&client->node, b), strerror(-r));
		}
		if (type == PP_TUNNEL_TCP && tm_tcp_bind(m, src, t->port) < 0)
			return PP_SETUP_INTERNAL;
		*ret_port = gre ? answer_port : t->port;
		return PP_SETUP_OK;
	}
	if (t && t->state != T_FREE)
		tm_release(m, t, "the peer asks for another tunnel type");
	t = tm_find_peer(m, &client->node, false);
	if (t) {
		/*
		 * We have a client tunnel to the requester. Either both opened
		 * one at once (its request crossed ours): the smaller prefix
		 * drops its client side. Or ours has been up a while: then the
		 * requester no longer serves it (it restarted, or released its
		 * side and our ack was lost), as it would not ask otherwise:
		 * ours is dead, serve it.
		 */
		bool crossing = t->state == T_SETUP || tm_now_ms(m) - t->since_ms < CROSSING_MS;
		if (crossing && tm_prefix_cmp(&c->prefix, &client->node) > 0)
			return PP_SETUP_BUSY;
		tm_release(m, t, crossing ? "the peer opened a tunnel to us"
					      : "the peer asks again: it lost its side");
		tm_pending_remove(m, &client->node);
	}
	if (tm_count(m, true, true) >= tm_max_clients(m)) {
		*ret_retry_after = 60;
		return PP_SETUP_FULL;
	}
	t = NULL;
	uint16_t port = tm_type_is_wg(type) ? free_port(m) : 0;
	int r = tm_tunnel_take(m, type, true, port, &t);
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
	/* (tcp: the client's NAT keeps the TCP connection, not WireGuard's.) */
	t->nat = type == PP_TUNNEL_WG && (req->setup_request.flags & PP_SETUP_F_NAT);
	/* Program before answering: a handshake reaching an unknown peer is
	 * dropped, and WireGuard retries only ~5 s later (GRE: the client's
	 * first packets are not lost either). */
	struct tunnel_spec spec = { .wg_pk = client->wg_pk, .keepalive = t->nat,
				    .family = src->ss_family, .remote = remote,
				    .fou_port = req->setup_request.fou_port };
	r = tm_pool_apply(m, t, &spec);
	if (r >= 0 && type == PP_TUNNEL_TCP)
		r = tm_tcp_bind(m, src, t->port);
	if (r < 0) {
		log_error("tunnel: cannot program %s for %s: %s", t->ifname, tm_pfx(&client->node, b),
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
			  tm_pfx(peer, b), strerror(-r));
}

static void send_tunnel_msg(struct tunnel_mgr *m, struct tunnel *t, enum pp_type type)
{
	struct pp_msg msg = { .type = type,
			      .tunnel.role = t->server ? PP_ROLE_SERVER : PP_ROLE_CLIENT };
	send_to_peer(m, &t->peer, &t->peer_ul, &msg);
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
	t->deadline_ms = tm_now_ms(m) + DESTROY_ACK_MS;
	t->resend_ms = tm_now_ms(m) + DESTROY_RESEND_MS;
}

static void ack_destroy(struct tunnel_mgr *m, struct tunnel *t)
{
	struct pp_msg msg = { .type = PP_TUNNEL_DESTROY_ACK,
			      .tunnel.role = t->server ? PP_ROLE_SERVER : PP_ROLE_CLIENT };
	struct re6st_prefix peer = t->peer;
	struct sockaddr_storage peer_ul = t->peer_ul;
	tm_release(m, t, "the peer destroyed it");
	/* It comes back by itself if chosen again; not at once (but at once
	 * in a small mesh, policy.h exception 8). */
	uint64_t avoid = tm_rotation_avoid_ms(m);
	if (avoid)
		tm_backoff(m, &peer, avoid);
	send_to_peer(m, &peer, &peer_ul, &msg);
}

/* Routes through a tunnel: the larger of babeld's account and the
 * kernel's (they were seen to differ: babeld's monitor said 0 while the
 * kernel sent a node's every route through the tunnel). */
size_t tm_routes_via(struct tunnel_mgr *m, const struct tunnel *t)
{
	size_t b = m->c->babel ? babel_count_routes_via(m->c->babel, t->ifname) : 0;
	size_t k = tm_kernel_routes_via(m, t);
	return MAX(b, k);
}

/* No route left on the tunnel, by babeld's account and the kernel's. */
static bool routes_gone(struct tunnel_mgr *m, struct tunnel *t)
{
	struct ctx *c = m->c;
	if (c->babel && babel_count_routes_via(c->babel, t->ifname))
		return false;
	size_t k = tm_kernel_routes_via(m, t);
	if (k) {
		char b[PREFIX_STRLEN];
		log_debug("tunnel %s to %s: babeld reports no route on it, the kernel still has %zu",
			  t->ifname, tm_pfx(&t->peer, b), k);
		return false;
	}
	return true;
}

static void finish_rotation(struct tunnel_mgr *m, struct tunnel *t, const char *why)
{
	uint64_t avoid = tm_rotation_avoid_ms(m);
	if (avoid)
		tm_backoff(m, &t->peer, avoid);
	tm_release(m, t, why);
}

static void start_drain(struct tunnel_mgr *m, struct tunnel *t)
{
	char b[PREFIX_STRLEN];
	size_t routes = tm_routes_via(m, t);
	log_info("tunnel %s to %s: draining (%zu routes)", t->ifname, tm_pfx(&t->peer, b), routes);
	tm_event(m, t, EV_TUNNEL_ROTATE, NULL, 0, routes);
	tm_drain_local(m, t, true);
	send_tunnel_msg(m, t, PP_TUNNEL_DRAIN);
	t->state = T_DRAINING;
	t->since_ms = tm_now_ms(m);
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
	struct policy_params p = tm_params(m);
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
		if (t->server || t->state != T_UP || tm_is_neighbour(m, &t->peer))
			continue;
		routes[n] = tm_routes_via(m, t);
		cand[n++] = t;
	}
	size_t k = policy_rotation_count(p.rotate_share, n, &policy_rand_sodium);
	int got = k ? policy_pick_victims(&p, routes, n, k, &policy_rand_sodium, idx) : 0;
	if (got < 0)
		log_warning("tunnel: cannot choose the tunnels to rotate: %s", strerror(-got));
	for (int i = 0; i < got; i++) {
		m->destroyed++;
		metrics_inc(m->c->metrics, M_ROTATIONS);
		start_drain(m, cand[idx[i]]);
	}
}

void tm_on_tunnel_msg(void *userdata, const struct re6st_prefix *peer,
			  enum pp_type type, uint8_t role)
{
	struct tunnel_mgr *m = userdata;
	/* The sender's role is the opposite of ours. */
	struct tunnel *t = tm_find_peer(m, peer, role == PP_ROLE_CLIENT);
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
		tm_drain_local(m, t, true);
		break;
	case PP_TUNNEL_UNDRAIN:
		tm_drain_local(m, t, false);
		break;
	case PP_TUNNEL_DESTROY:
		if (t->destroy_requested)
			break; /* a resend: the ack comes when our routes moved */
		/* Keep the tunnel (drained) until our own routes left it. */
		tm_drain_local(m, t, true);
		t->destroy_requested = true;
		t->destroy_deadline_ms = tm_now_ms(m) + PEER_DRAIN_MS;
		break;
	case PP_TUNNEL_DESTROY_ACK:
		if (t->state == T_DESTROYING)
			finish_rotation(m, t, "rotated");
		break;
	default:
		break;
	}
}

/* ---- periodic work ---- */

void tm_wake(struct tunnel_mgr *m)
{
	m->look_now = true;
	if (m->timer) /* NULL while the module stops */
		loop_timer_set(m->timer, 0);
}

void tm_want_again(struct tunnel_mgr *m)
{
	m->want_ms = WANT_MS;
	m->cache_look_ms = 0;
	tm_wake(m);
}

/*
 * The manager runs when something is due, not on a fixed tick (a small box
 * idles): the earliest of the rotation, address-request and set-up
 * deadlines, the tunnels' health checks and destruction deadlines, the
 * cache fill; every POLL_MS only while a tunnel waits for its routes to
 * move; while client tunnels are wanted, WANT_MS after a pass that could
 * try someone, doubling up to WANT_MAX_MS (30 s) after passes that could not (new
 * routes, a new configuration or a freed tunnel start again from WANT_MS).
 * Health checks and want passes may run early (their slack) when the loop
 * wakes for something else, so they add no wake-up of their own. Messages
 * and events wake it at once (tm_wake()).
 */
static void schedule(struct tunnel_mgr *m, uint64_t now, size_t wanted)
{
	uint64_t next = m->next_refresh_ms, slack = 0;
	/* AT(x): due at x; ATS(x, s): due at x, may run up to s early (the
	 * loop runs it then if it wakes for something else). */
#define ATS(x, s)                                    \
	do {                                         \
		uint64_t at_ = (x);                  \
		if (at_ && at_ < next) {             \
			next = at_;                  \
			slack = (s);                 \
		}                                    \
	} while (0)
#define AT(x) ATS(x, 0)

	for (size_t i = 0; i < m->n_pend; i++)
		AT(m->pend[i].until_ms);
	for (size_t i = 0; i < m->n; i++) {
		const struct tunnel *t = m->t[i];
		if (t->destroy_requested && t->state != T_FREE)
			AT(MIN(t->destroy_deadline_ms, now + POLL_MS));
		switch (t->state) {
		case T_SETUP: AT(t->deadline_ms); break;
		case T_UP: {
			uint64_t s, due = tm_health_due(m, t, &s);
			ATS(due, s);
			break;
		}
		case T_DRAINING: AT(now + POLL_MS); break;
		case T_DESTROYING: AT(MIN(t->deadline_ms, t->resend_ms)); break;
		case T_FREE: break;
		}
	}
	uint64_t cslack, cdue = tm_counters_due(m, &cslack);
	ATS(cdue, cslack);
	if (wanted)
		ATS(m->look_due_ms, m->want_ms / 2);
	if (m->c->state && m->c->peer && m->c->babel)
		AT(m->next_fill_ms);
#undef AT
#undef ATS
	loop_timer_set_slack(m->timer, MAX(next, now + 1), next > now + 1 ? slack : 0);
}

void tm_run(struct loop *l, struct loop_timer *timer, void *userdata)
{
	struct tunnel_mgr *m = userdata;
	uint64_t now = tm_now_ms(m);

	for (size_t i = 0; i < m->n_pend;)
		if (m->pend[i].until_ms <= now) {
			/* No address answer: ask others first. */
			tm_backoff(m, &m->pend[i].prefix, 60000);
			m->pend[i] = m->pend[--m->n_pend];
		} else {
			i++;
		}

	tm_read_counters(m, now);
	/* babel's tables fresh every second while a tunnel waits on them. */
	if (m->c->babel && tm_waits_on_babel(m))
		babel_keep_fresh(m->c->babel);
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
			tm_check_health(m, t, now);
			/* Lossy (policy.h, exception 9): a client tunnel goes
			 * when another is up; either side avoids the peer. */
			if (tm_loss_check(m, t, now) && !t->server && !tm_is_neighbour(m, &t->peer) &&
			    tm_count_up(m) > 1)
				start_drain(m, t);
			/* Opened before babel heard the peer on the LAN (both
			 * started together, a bootstrap peer): it goes. */
			if (t->state == T_UP && !t->server && !tm_is_neighbour(m, &t->peer) &&
			    tm_lan_neighbour(m, &t->peer)) {
				char b[PREFIX_STRLEN];
				log_info("tunnel %s to %s: a direct LAN neighbour", t->ifname,
					 tm_pfx(&t->peer, b));
				start_drain(m, t);
			}
			break;
		case T_DRAINING: {
			uint64_t took = now - t->since_ms;
			size_t left = took < DRAIN_MIN_MS || !routes_gone(m, t);
			uint32_t limit = tm_params(m).drain_limit;
			char b[PREFIX_STRLEN];
			switch (policy_drain_verdict(took, DRAIN_MIN_MS, left, limit)) {
			case POLICY_DRAIN_DONE:
				log_info("tunnel %s to %s: drained in %.1f s", t->ifname,
					 tm_pfx(&t->peer, b), (double)took / 1000);
				metrics_observe(m->c->metrics, H_DRAIN_SECONDS, (double)took / 1000);
				tm_event(m, t, EV_TUNNEL_DRAINED, NULL, took, 0);
				start_destroy(m, t);
				break;
			case POLICY_DRAIN_FORCE:
				/* Destruction creates life: a tunnel some route still
				 * needs goes too, and the mesh finds another path. */
				log_notice("tunnel %s to %s: routes still use it after the drain "
					   "limit (%u s): destroyed anyway",
					   t->ifname, tm_pfx(&t->peer, b), limit);
				m->forced++;
				metrics_inc(m->c->metrics, M_FORCED_DESTRUCTIONS);
				metrics_observe(m->c->metrics, H_DRAIN_SECONDS, (double)took / 1000);
				tm_event(m, t, EV_TUNNEL_FORCED, NULL, took, 0);
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
		m->next_refresh_ms = now + tm_refresh_ms(m);
		rotate(m);
	}
	/* While client tunnels are wanted, candidates are looked for at the
	 * look's own pace (its timer, or when something changed: tm_wake()),
	 * not at every pass: the live tunnels' counters run the manager every
	 * second. Once the target is met, the look is cheap and runs always. */
	if (!m->wanted || m->look_now || now + m->want_ms / 2 >= m->look_due_ms) {
		size_t before = tm_count_clients(m) + m->n_pend;
		m->wanted = tm_make_new_tunnels(m);
		if (m->wanted && tm_count_clients(m) + m->n_pend == before)
			m->want_ms = MIN(2 * m->want_ms, (uint64_t)WANT_MAX_MS);
		else
			m->want_ms = WANT_MS;
		m->look_due_ms = now + m->want_ms;
		m->look_now = false;
	}
	tm_fill_cache(m);
	tm_reach_ask(m);

	/* Keep a few spare server interfaces, delete the rest (~270 KB each
	 * for WireGuard); the same for free GRE and FOU links, per type.
	 * babeld forgets the interface first: it would otherwise look the
	 * missing name up at each of its interface checks, each look-up a
	 * module request (babel_forget_interface()). Not while babeld still
	 * lists a neighbour on it: babeld 1.12's "flush interface" frees the
	 * interface but not its neighbours (tm_link_down()). */
	size_t spare[4] = { 0 };
	for (size_t i = m->n; i-- > 0;) {
		struct tunnel *t = m->t[i];
		if ((t->server || tm_is_gre(t)) && t->state == T_FREE && t->type < ARRAY_SIZE(spare) &&
		    !tm_link_has_neighbours(m, t) &&
		    ++spare[t->type] > SPARE_SERVERS) {
			if (t->in_babel && m->c->babel)
				babel_forget_interface(m->c->babel, t->ifname);
			tm_tunnel_delete(m, t);
		}
	}
	schedule(m, now, m->wanted);
}

