/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tunnel-mgr.h - inside the tunnel manager (daemon/tunnel.h): its state and
 * the functions its files share. Not for other modules.
 *
 *   tunnel-table.c      parameters (options over the network's), the tables
 *                       of tunnels by peer, back-offs and address requests
 *   tunnel-pool.c       interfaces programmed over netlink (WireGuard, GRE,
 *                       FOU, drain qdisc), the kernel's routes through one
 *   tunnel-choice.c     candidates and the order to try them (policy.h)
 *   tunnel-reach.c      reachability: asking peers for probes (reach.h)
 *   tunnel-health.c     handshake checks; the links' counters read every
 *                       second, dead tunnels freed (health.h)
 *   tunnel-loss.c       lossy tunnels: babel's reach sampled (health.h)
 *   tunnel-ctl.c        the "tunnels", "peers" and status "policy" views
 *   tunnel-metrics.c    the tunnels' part of the node's metrics
 *   tunnel.c            the state machine: set-up both ways, health, drain,
 *                       destruction, rotation, scheduling
 *   tunnel-tcp.c        TCP links: the relay (tcp-relay.h), a client
 *                       tunnel's link, a served tunnel's binding
 *   tunnel-mod.c        the module: events, the peer handler table, lists,
 *                       init and fini
 * Calls go from tunnel.c and tunnel-choice.c down to the table and the
 * pool; tunnel-ctl.c and tunnel-metrics.c only read.
 */
#ifndef RE6ST_DAEMON_TUNNEL_MGR_H
#define RE6ST_DAEMON_TUNNEL_MGR_H

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
#include "health.h"
#include "ctx.h"
#include "endpoints.h"
#include "events.h"
#include "log.h"
#include "loop.h"
#include "tcp-relay.h"
#include "metrics.h"
#include "netconf.h"
#include "objects.h"
#include "peer.h"
#include "policy.h"
#include "reach.h"
#include "registry-client.h"
#include "reglink.h"
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

#define POLL_MS 1000           /* draining, destroy requested: routes gone yet? */
#define WANT_MS 2000           /* below the target: new candidates yet? */
#define WANT_MAX_MS 30000      /* ... doubling while nothing can be tried (the
                                  * bootstrap peer is asked at most this often) */
#define HEALTH_SLACK_MS 3000   /* checked up to this early, the tunnels' checks align */
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
#define HEALTH_EVERY_MS 30000    /* a live tunnel's handshake (GRE: babel neighbour) checked this often */
#define KEEPALIVE_S 25
#define SPARE_SERVERS 2
#define BACKOFF_FAIL_MS 300000
#define LOSSY_BACKOFF_MS 3600000 /* a lossy tunnel's peer (policy.h, exception 9) */
#define REVOKED_BACKOFF_MS 600000
#define BACKOFF_MAX 256
#define REACHABLE_MEMORY_MS 600000
#define CACHE_FILL_MS 30000      /* address request to one random distant node */
#define CACHE_WANT 32            /* fill faster while the cache has fewer peers */
#define CACHE_REFRESH_MS 300000  /* every node babel knows is cached: refresh one */

enum tstate {
	T_FREE,       /* interface without peer, reusable */
	T_SETUP,      /* client: request sent, waiting for the answer */
	T_UP,
	T_DRAINING,   /* babel packets delayed, waiting for routes to move */
	T_DESTROYING, /* waiting for the peer's destroy-ack */
};

struct tunnel {
	char ifname[IF_NAMESIZE];
	int ifindex;            /* 0: a GRE record whose link is not made yet */
	uint8_t type;           /* enum pp_tunnel_type, fixed for the interface */
	bool server;
	uint16_t port;          /* server: WireGuard listen port */
	struct nl_gre_config gre; /* GRE/FOU: as programmed (family = link kind) */
	uint64_t alive_ms;      /* GRE/FOU: last time babel had a neighbour on it */
	bool live;              /* a WireGuard handshake (GRE: a babel neighbour both
				 * ways) since up: judged by its counters (health.h) */
	enum tstate state;
	struct re6st_prefix peer;
	uint64_t peer_serial;
	uint8_t peer_wg[32];
	bool nat;               /* keepalive on */
	bool in_babel;          /* declared to babeld: stays so for the interface's life */
	bool link_down;         /* free: the link is down (babeld drops its routes) */
	uint8_t ll[16];         /* our link-local address on it, kept across peers */
	bool drained;           /* our tc drain installed */
	bool destroy_requested; /* the peer asked: ack once our routes moved */
	uint64_t destroy_deadline_ms, resend_ms;
	/* client set-up */
	struct pp_endpoint eps[PP_MAX_ENDPOINTS];
	size_t n_eps, ep_idx;
	unsigned tries;
	uint64_t setup_seqs[SETUP_TRIES];
	struct sockaddr_storage endpoint;
	/* tcp: the relay link (client); the peer's tcp endpoints, tried when
	 * the UDP types get no answer (client, UDP type) */
	struct tcp_link *link;
	struct pp_endpoint tcp_eps[PP_MAX_ENDPOINTS];
	size_t n_tcp_eps;
	/* The peer's peer-protocol address on the underlay (client: the
	 * server's control endpoint; server: the set-up request's source):
	 * tunnel messages go there when the overlay has no route to the peer. */
	struct sockaddr_storage peer_ul;
	uint64_t deadline_ms;
	uint64_t since_ms;      /* state entered */
	uint64_t checked_ms;    /* last handshake check */
	uint64_t rotations;     /* times this interface got a new peer */
	struct health_rx rx;    /* dead-underlay detection (health.h) */
	struct health_loss loss; /* babel's hellos lost (health.h, policy.h exception 9) */
	uint64_t loss_next_ms;  /* next sample of it */
};

struct pending { /* address request in flight */
	struct re6st_prefix prefix;
	uint64_t until_ms;
};

struct backoff {
	struct re6st_prefix prefix;
	uint64_t until_ms;
	bool rule;              /* revoked, same-country: holds even alone (policy.h) */
};

/* A peer whose UDP tunnel never got a WireGuard handshake: TCP first. */
#define TCP_PREF_MAX 32
#define TCP_PREF_MS 3600000
struct tcp_pref {
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
	uint64_t rotations;
	uint64_t destroyed;     /* rotation victims (policy) */
	uint64_t forced;        /* of which destroyed at the drain limit */
	uint64_t dead;          /* tunnels freed as dead (health.h) */
	uint64_t lossy;         /* tunnels judged lossy (policy.h, exception 9) */
	struct re6st_prefix anchors[NETCONF_MAX_ANCHORS]; /* --anchor */
	size_t n_anchors;
	uint64_t next_fill_ms;
	uint64_t next_counters_ms; /* the links' counters read next (tm_read_counters()) */
	unsigned counters_failing; /* readings failed in a row */
	unsigned bootstrap_useless; /* bootstrap answers in a row that brought nobody new */
	uint64_t bootstrap_after_ms; /* not asked again before (policy_bootstrap_wait_ms()) */
	uint64_t want_ms;       /* below the target: next look in (WANT_MS doubling) */
	uint64_t look_due_ms;   /* ... at */
	size_t wanted;          /* client tunnels the last look could not open */
	bool look_now;          /* something changed (tm_wake()): look at the next pass */
	uint64_t cache_look_ms; /* the peer cache looked at again from then on (0: now) */
	bool fou_open[2];       /* FOU receive port listening: [0] IPv4, [1] IPv6 */
	struct reach reach;     /* probes asked for and received (tunnel-reach.c) */
	struct tcp_relay *relay; /* TCP links (tcp-relay.h) */
	uint16_t tcp_port;      /* listening for TCP links; 0: not */
	struct tcp_pref tcp_pref[TCP_PREF_MAX];
};

/* tunnel-table.c: parameters, the tables of peers, back-offs and requests */
uint64_t tm_now_ms(const struct tunnel_mgr *m);
int tm_prefix_cmp(const struct re6st_prefix *a, const struct re6st_prefix *b);
const char *tm_pfx(const struct re6st_prefix *p, char buf[PREFIX_STRLEN]);
unsigned tm_client_count(const struct tunnel_mgr *m);
unsigned tm_max_clients(const struct tunnel_mgr *m);
uint64_t tm_refresh_ms(const struct tunnel_mgr *m);
struct policy_params tm_params(const struct tunnel_mgr *m);
const struct re6st_prefix *tm_anchors(const struct tunnel_mgr *m, size_t *ret_n);
bool tm_is_neighbour(const struct tunnel_mgr *m, const struct re6st_prefix *p);
size_t tm_offered(const struct tunnel_mgr *m, uint8_t ret[TUNNEL_TYPE_COUNT]);
bool tm_offers(const struct tunnel_mgr *m, uint8_t type);
bool tm_is_gre(const struct tunnel *t);
/* A type whose interface is WireGuard: wg, and tcp (WireGuard over a TCP link). */
bool tm_type_is_wg(uint8_t type);
const char *tm_type_name(uint8_t type);
/* In back-off now: a rule always, an avoidance only while a tunnel is up
 * (policy_backoff_holds(), exception 7). */
bool tm_backed_off(struct tunnel_mgr *m, const struct re6st_prefix *p);
/* When p's avoidance ends (0: none, or a rule's back-off). */
uint64_t tm_avoided_until(const struct tunnel_mgr *m, const struct re6st_prefix *p);
/* Avoid p for ms: rotated away from, refused, failed, dead. */
void tm_backoff(struct tunnel_mgr *m, const struct re6st_prefix *p, uint64_t ms);
/* Back p off for ms by rule: revoked, same-country. */
void tm_backoff_rule(struct tunnel_mgr *m, const struct re6st_prefix *p, uint64_t ms);
bool tm_pending(struct tunnel_mgr *m, const struct re6st_prefix *p);
void tm_pending_remove(struct tunnel_mgr *m, const struct re6st_prefix *p);
struct tunnel *tm_find_peer(struct tunnel_mgr *m, const struct re6st_prefix *p, bool server);
bool tm_connected(struct tunnel_mgr *m, const struct re6st_prefix *p);
size_t tm_count(const struct tunnel_mgr *m, bool server, bool active);
size_t tm_count_clients(const struct tunnel_mgr *m);
/* Tunnels up and staying (not draining nor being destroyed). */
size_t tm_count_up(const struct tunnel_mgr *m);
/* EV_TUNNEL about t, for the monitor; nothing unless someone watches. why
 * may be NULL. */
void tm_event(struct tunnel_mgr *m, const struct tunnel *t, enum ev_tunnel_kind kind,
	      const char *why, uint64_t ms, size_t routes);

/* tunnel-pool.c: the interfaces, programmed over netlink */
/*
 * What a tunnel's interface must carry, for every type: the pool programs
 * it in place (WireGuard peer replaced, GRE remote changed) or makes or
 * remakes the link (a GRE link whose underlay family changed).
 */
struct tunnel_spec {
	/* WireGuard */
	const uint8_t *wg_pk;                    /* the peer's key */
	const struct sockaddr_storage *endpoint; /* client: the server's; server: NULL */
	bool keepalive;                          /* behind NAT: persistent keepalive */
	/* GRE, FOU */
	int family;                              /* of the underlay */
	const uint8_t *remote;                   /* the peer's underlay address */
	uint16_t fou_port;                       /* FOU: the peer's receive port */
};
int tm_pool_apply(struct tunnel_mgr *m, struct tunnel *t, const struct tunnel_spec *s);
int tm_tunnel_take(struct tunnel_mgr *m, uint8_t type, bool server, uint16_t port,
		       struct tunnel **ret);
int tm_gre_park(struct tunnel_mgr *m, struct tunnel *t);
void tm_link_down(struct tunnel_mgr *m, struct tunnel *t);
/* babeld lists a neighbour on t's link (its monitor stream, as mirrored). */
bool tm_link_has_neighbours(const struct tunnel_mgr *m, const struct tunnel *t);
void tm_tunnel_delete(struct tunnel_mgr *m, struct tunnel *t);
void tm_drain_local(struct tunnel_mgr *m, struct tunnel *t, bool on);
size_t tm_kernel_routes_via(struct tunnel_mgr *m, const struct tunnel *t);

/* tunnel-tcp.c: TCP links */
/* Make m->relay; listen when --tunnel-type lists tcp. 0 or -errno (logged). */
int tm_relay_start(struct tunnel_mgr *m);
/* A client tunnel's link to its current endpoint (t->eps[t->ep_idx]), for
 * its interface's WireGuard port: replaces t->link. 0 or -errno. */
int tm_tcp_link_open(struct tunnel_mgr *m, struct tunnel *t);
void tm_tcp_link_close(struct tunnel *t);
/* A set-up request from src (a relay connection) is served on wg_port:
 * tcp_relay_bind(). 0, -ENOENT when src is no TCP link. */
int tm_tcp_bind(struct tunnel_mgr *m, const struct sockaddr_storage *src, uint16_t wg_port);
bool tm_tcp_is_link(const struct tunnel_mgr *m, const struct sockaddr_storage *src);
/* Our UDP tunnel to peer got no WireGuard handshake (a path that passes
 * the set-up but not WireGuard's packets): for TCP_PREF_MS, a tunnel to it
 * uses its tcp endpoints at once. The table keeps TCP_PREF_MAX peers, the
 * oldest replaced. */
void tm_tcp_prefer(struct tunnel_mgr *m, const struct re6st_prefix *peer);
bool tm_tcp_preferred(const struct tunnel_mgr *m, const struct re6st_prefix *peer);
/* Status section "tcp": the listening port and the relay's counters. */
int tm_ctl_tcp(struct ctx *c, const char *args, struct jbuf *out);

/* tunnel-choice.c: choosing peers */
void tm_fill_cache(struct tunnel_mgr *m);
/* client-count, or in a small mesh a tunnel with every node known
 * (policy_client_count(), exception 8). */
unsigned tm_effective_client_count(struct tunnel_mgr *m);
/* How long to avoid a peer after a rotation destroyed our tunnel with it
 * (policy_rotation_avoid_ms(): none in a small mesh); 0: do not. */
uint64_t tm_rotation_avoid_ms(struct tunnel_mgr *m);
/* A random distant node babel knows that we have no tunnel with, did not
 * try lately and are not asking for endpoints; NULL if none. */
const struct re6st_prefix *tm_stranger(struct tunnel_mgr *m);
/* Returns how many client tunnels are still wanted. */
size_t tm_make_new_tunnels(struct tunnel_mgr *m);
/* Does babel hear P directly on a LAN interface (-i)? Such a node needs no
 * tunnel: never a candidate, and a client tunnel to it is drained. */
bool tm_lan_neighbour(const struct tunnel_mgr *m, const struct re6st_prefix *p);

/* tunnel-reach.c: reachability tested (reach.h) */
/* A client reached us over the underlay, or a probe did, lately. */
bool tm_reachable(const struct tunnel_mgr *m);
/* "clients", "probe" (what proved it), NULL when not reachable. */
const char *tm_reachable_by(const struct tunnel_mgr *m);
/* Not proven lately: ask a random peer with a tunnel up for a probe. */
void tm_reach_ask(struct tunnel_mgr *m);
/* The peer handler for a probe (peer.h). */
void tm_on_probed(void *userdata, const struct re6st_prefix *from, uint64_t request_seq);

/* `--ip any`, or no --ip and no UPnP gateway: advertise what peers see. */
bool tm_learn_from_peers(const struct tunnel_mgr *m);

/* tunnel-ctl.c: the control views */
int tm_ctl_policy(struct ctx *c, const char *args, struct jbuf *out);
int tm_ctl_tunnels(struct ctx *c, const char *args, struct jbuf *out);
int tm_ctl_peers(struct ctx *c, const char *args, struct jbuf *out);

/* The peer_handler entries (peer.h), userdata the struct tunnel_mgr. */
int tm_serve(void *userdata, const struct re6st_cert *client, const struct sockaddr_storage *src,
	     const struct pp_msg *req, uint16_t *ret_port, uint16_t *ret_retry_after);
void tm_on_setup_answer(void *userdata, const struct re6st_cert *server,
			const struct sockaddr_storage *src, const struct pp_msg *a);
void tm_on_address(void *userdata, const struct re6st_prefix *peer, const char *list,
		   size_t len);
void tm_on_tunnel_msg(void *userdata, const struct re6st_prefix *peer, enum pp_type type,
		      uint8_t role);
size_t tm_peer_prefixes(void *userdata, const struct re6st_prefix **ret, size_t *ret_n_client);
/* tunnel-metrics.c: tunnels by state, per-tunnel bytes and handshake age */
void tm_metrics_collect(void *userdata, struct prom_buf *w);

/* tunnel-health.c: is the tunnel up, is its underlay alive? When tunnel
 * t's next check is due, and how early it may run (*ret_slack): until it
 * is live (a WireGuard handshake, a babel neighbour both ways on GRE),
 * every third of dead-after (1 to 10 s); then every HEALTH_EVERY_MS. */
uint64_t tm_health_due(const struct tunnel_mgr *m, const struct tunnel *t, uint64_t *ret_slack);
/* That check when due: no handshake (neighbour) in time, or a stale one,
 * frees t. */
void tm_check_health(struct tunnel_mgr *m, struct tunnel *t, uint64_t now);
/* When the live tunnels' counters are read next (0: no tunnel to read),
 * and how early (*ret_slack): every third of dead-after
 * (health_reading_ms()), and when one of them may be judged
 * (health_verdict_ms()). */
uint64_t tm_counters_due(const struct tunnel_mgr *m, uint64_t *ret_slack);
/* Read them when due, in one batch of requests: a tunnel that heard nothing for
 * dead-after while it sent is freed as dead, its peer backed off. */
void tm_read_counters(struct tunnel_mgr *m, uint64_t now);

/* A tunnel waits on babel's tables: drains (its routes to move), was
 * asked to go (the same), is GRE without its babel neighbour yet, or is
 * free while babeld still lists a neighbour on its link (until babeld
 * drops it: the link is not deleted before, and re6stctl shows it). */
bool tm_waits_on_babel(const struct tunnel_mgr *m);

/* tunnel-loss.c: lossy tunnels (policy.h, exception 9). Start sampling
 * once babel's reach of the new peer can be full. */
void tm_loss_reset(struct tunnel_mgr *m, struct tunnel *t);
/* Sample t's neighbour's reach when due (with the health checks); true
 * when t is judged lossy now: its peer is then avoided for
 * LOSSY_BACKOFF_MS, and the caller replaces a client tunnel. */
bool tm_loss_check(struct tunnel_mgr *m, struct tunnel *t, uint64_t now);

/* tunnel.c: the state machine, set-up, drain, destruction, rotation */
bool tm_tunnel_connect(struct tunnel_mgr *m, const struct re6st_prefix *peer,
			   const char *list, size_t len);
size_t tm_routes_via(struct tunnel_mgr *m, const struct tunnel *t);
/* Free t (its peer gone from the interface); why is logged. */
void tm_release(struct tunnel_mgr *m, struct tunnel *t, const char *why);
/* The manager's timer: everything due, then the next deadline. */
void tm_run(struct loop *l, struct loop_timer *timer, void *userdata);
/* Something changed: run the manager at the loop's next iteration. */
void tm_wake(struct tunnel_mgr *m);
/* New candidates may exist (routes, configuration, a tunnel freed): look
 * for them at once, and every WANT_MS again while tunnels are wanted. */
void tm_want_again(struct tunnel_mgr *m);

#endif
