/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The "babel" module: babeld's parameters from the node's state (babel-conf.h). */
#include <arpa/inet.h>
#include <net/if.h>

#include <sodium.h>

#include "babel.h"
#include "babel-conf.h"
#include "babel-rekey.h"
#include "config.h"
#include "ctx.h"
#include "events.h"
#include "log.h"
#include "netconf.h"
#include "netconf-store.h"
#include "nl.h"
#include "registry-client.h"
#include "route.h"
#include "state.h"
#include "tunnel.h"

/* ---- babeld ------------------------------------------------------------------ */

/* The router-id of the last babeld whose seqno may be saved; babel.c
 * replaces it when the seqno was not saved (see babel.h). */
static void babel_router_id(struct ctx *c, uint8_t ret[8])
{
	uint8_t *v = NULL;
	size_t n;
	if (state_get_blob(c->state, STATE_KEY_ROUTER_ID, &v, &n) >= 0 && n == 8)
		memcpy(ret, v, 8);
	else
		randombytes_buf(ret, 8);
	free(v);
	ret[0] = (uint8_t)((ret[0] & ~1u) | 2u);
}

static void babel_router_id_changed(const uint8_t id[8], void *userdata)
{
	struct ctx *c = userdata;
	if (state_set_blob(c->state, STATE_KEY_ROUTER_ID, id, 8) < 0)
		log_warning("cannot persist the babel router-id: %s", state_last_error(c->state));
}

/* The registry's answer is authoritative; without the registry, the cached keys. */
static void babel_hmac_keys(struct ctx *c, struct rc_hmac *ret)
{
	bool ask = c->registry && !c->registry_down;
	int r = ask ? rc_get_hmac(c->registry, ret) : -ENOTCONN;
	if (r >= 0) {
		r = ret->has_sign ? nstore_hmac_put(c, ret) : state_delete(c->state, STATE_KEY_HMAC);
		if (r < 0)
			log_warning("cannot cache the babel HMAC keys: %s", state_last_error(c->state));
		return;
	}
	log_warning("babel HMAC keys not received from the registry (%s): asking again later",
		    ask ? registry_client_error(c->registry)
			: c->registry ? "the registry did not answer at start-up" : strerror(-r));
	/* Cached keys may be stale, and a node without the network's keys is
	 * deaf to its neighbours: the registry link asks until it answers. */
	c->hmac_unconfirmed = true;
	r = nstore_hmac_get(c, ret);
	if (r >= 0)
		log_info("babel HMAC keys: using those of the state database");
	else if (r != -ENOENT)
		log_errno(LOG_WARNING, r, "babel HMAC keys in the state database unusable");
	else {
		c->hmac_unknown = true;
		log_warning("no babel HMAC keys: the LAN interfaces hear no neighbour until the "
			    "registry gives them");
	}
}

/*
 * Routes of protocol babel left in the kernel: babeld withdraws its routes
 * when it exits cleanly, but not the "unreachable" hold-down routes it
 * installs for lost prefixes, and nothing at all after a SIGKILL. Only
 * routes inside the network are touched.
 */
static void flush_babel_routes(struct ctx *c)
{
	struct nl_route *rt = NULL;
	size_t n = 0;
	if (nl_route_list(c->nl, AF_INET6, 0, &rt, &n) < 0)
		return;
	size_t removed = 0;
	for (size_t i = 0; i < n; i++) {
		struct re6st_prefix p = { .len = rt[i].dst.len };
		memcpy(p.addr, &rt[i].dst.addr.in6, 16);
		if (rt[i].protocol != 42 /* RTPROT_BABEL */ || !prefix_contains(&c->network, &p))
			continue;
		if (nl_route_delete(c->nl, &rt[i]) >= 0)
			removed++;
	}
	free(rt);
	if (removed)
		log_debug("removed %zu babel routes left in the kernel", removed);
}

/* babeld's parameters; the strings are the caller's to free. */
static int babel_params_fill(struct ctx *c, const struct rc_hmac *hmac, struct babel_params *p,
			     char **state, char **pid, char **logp, char **keys)
{
	if (asprintf(state, "%s/babeld.state", c->opt.state_dir) < 0 ||
	    asprintf(keys, "%s/babeld.keys", c->opt.state_dir) < 0 ||
	    asprintf(pid, "%s/babeld.pid", c->opt.run_dir) < 0 ||
	    (c->opt.log && strcmp(c->opt.log, "-") &&
	     asprintf(logp, "%s/babeld.log", c->opt.log) < 0))
		return -ENOMEM;
	babel_router_id(c, p->router_id);
	p->router_id_changed = babel_router_id_changed;
	p->router_id_data = c;
	p->socket_path = c->opt.babel_socket;
	p->state_path = *state;
	p->log_path = *logp;
	p->pid_path = *pid;
	p->key_path = *keys;
	p->network = c->network;
	p->node_prefix = c->prefix;
	memcpy(p->node_addr, c->addr, 16);
	uint8_t sub4[4], addr4[4];
	if (netconf_node_ipv4(c->netconf, c->cert.subject_serial, sub4, addr4) >= 0) {
		p->has_ipv4 = true;
		inet_ntop(AF_INET, sub4, p->ipv4_prefix, sizeof(p->ipv4_prefix));
		snprintf(p->ipv4_prefix + strlen(p->ipv4_prefix),
			 sizeof(p->ipv4_prefix) - strlen(p->ipv4_prefix), "/%u",
			 c->netconf->ipv4_sublen);
		inet_ntop(AF_INET, addr4, p->ipv4_addr, sizeof(p->ipv4_addr));
		inet_ntop(AF_INET, c->netconf->ipv4_net, p->ipv4_network, sizeof(p->ipv4_network));
		snprintf(p->ipv4_network + strlen(p->ipv4_network),
			 sizeof(p->ipv4_network) - strlen(p->ipv4_network), "/%u",
			 c->netconf->ipv4_len);
	}
	/* The longest node prefix the registry hands out (babel-guard.h). */
	unsigned add = MAX(c->netconf->prefix_len, c->netconf->anonymous_prefix_len);
	if (add)
		p->max_prefix_len = (uint8_t)MIN(128u, MAX(c->network.len + add, (unsigned)c->prefix.len));
	p->gateway = c->opt.gateway;
	p->default_route = c->opt.default_route;
	p->hello = c->opt.hello > 0 ? (unsigned)c->opt.hello : c->netconf->hello;
	p->link_cost = c->opt.link_cost > 0 ? (unsigned)c->opt.link_cost : c->netconf->link_cost;
	int half_life = c->opt.smoothing >= 0 ? c->opt.smoothing : (int)c->netconf->smoothing;
	p->smoothing = half_life ? half_life : -1; /* 0 in the network: no smoothing */
	p->babel_default = c->netconf->babel_default;
	if (hmac->has_sign) {
		p->hmac_sign = hmac->sign;
		p->hmac_sign_len = hmac->sign_len;
		if (hmac->has_accept) {
			p->hmac_accept = hmac->accept;
			p->hmac_accept_len = hmac->accept_len;
			p->hmac_accept_unsigned = hmac->accept_none;
		}
	} else {
		/* A network without key: babeld signs with this node's own
		 * random key, which no neighbour has, and accepts every packet,
		 * as without key. The registry's first key then only replaces
		 * the key's value (babel-rekey.h): no restart, no flush.
		 * Keys not known yet (the registry did not answer getHMAC at
		 * start-up, none cached): the same key, but unsigned packets
		 * refused, so that the LAN interfaces have no neighbour when
		 * the keys come. Turning accept-bad-signatures off flushes them
		 * (babel-rekey.h), and a LAN interface flushed with neighbours
		 * on it made babeld 1.12 sign for them on the freed interface,
		 * fail and try again at once, deaf, until they expired (50,000
		 * to 126,000 failed signatures per LAN node in vm-lan run
		 * beside two other scenarios, its getHMAC slow). */
		p->hmac_sign = c->babel_placeholder;
		p->hmac_sign_len = sizeof(c->babel_placeholder);
		p->hmac_accept_unsigned = !c->hmac_unknown;
	}
	p->lan_interfaces = c->opt.interfaces.v;
	p->n_lan_interfaces = c->opt.interfaces.n;
	p->extra_args = c->opt.babel_args.v;
	p->n_extra_args = c->opt.babel_args.n;
	return 0;
}

/* A route or neighbour line as EV_BABEL, for whoever watches (re6stctl
 * monitor): built only while someone does. */
static void post_babel(struct ctx *c, const struct babel_event *ev)
{
	struct ev_babel e = { .change = ev->change == BABEL_ADD      ? EV_BABEL_ADD
					: ev->change == BABEL_CHANGE ? EV_BABEL_CHANGE
								     : EV_BABEL_FLUSH };
	if (ev->type == BABEL_LINE_ROUTE) {
		const struct babel_route *r = &ev->route;
		e.kind = EV_BABEL_ROUTE;
		e.installed = r->installed;
		e.prefix = r->prefix;
		e.from = r->from;
		memcpy(e.addr, r->via, 16);
		snprintf(e.ifname, sizeof(e.ifname), "%s", r->ifname);
		snprintf(e.router_id, sizeof(e.router_id), "%s", r->router_id);
		e.metric = r->metric;
		e.refmetric = r->refmetric;
	} else if (ev->type == BABEL_LINE_NEIGHBOUR) {
		const struct babel_neighbour *n = &ev->neighbour;
		e.kind = EV_BABEL_NEIGHBOUR;
		memcpy(e.addr, n->address, 16);
		snprintf(e.ifname, sizeof(e.ifname), "%s", n->ifname);
		e.reach = n->reach;
		e.cost = n->cost;
		e.rtt_us = n->rtt_us;
	} else {
		return;
	}
	events_post(c->events, EV_BABEL, &e, sizeof(e));
}

/* babel's set of routes changed: one EV_ROUTES queued at most, however
 * many lines babeld sent. */
static void on_babel_change(struct babel *b, const struct babel_event *ev, void *userdata)
{
	struct ctx *c = userdata;
	if (ev->type == BABEL_LINE_ROUTE && ev->change != BABEL_CHANGE)
		events_post_once(c->events, EV_ROUTES);
	if (events_wanted(c->events, EV_BABEL))
		post_babel(c, ev);
}

/*
 * While babeld re-learns an interface it flushed (babel-rekey.h), the
 * kernel keeps a copy of babeld's routes through it at a lower priority
 * (metric HOLD_METRIC; babeld's own are at the kernel's default, 1024 for
 * IPv6): traffic keeps flowing meanwhile, then babeld's routes come back
 * in front and the copies are removed. Protocol babel, so that a copy
 * left by a crash goes with flush_babel_routes().
 */
#define HOLD_METRIC 4242
static void hold_routes(const char *ifname, bool hold, void *userdata)
{
	struct ctx *c = userdata;
	int ifindex = (int)if_nametoindex(ifname);
	size_t done = 0;
	for (int f = 0; f < 2 && ifindex > 0; f++) {
		struct nl_route *rt = NULL;
		size_t n = 0;
		if (nl_route_list(c->nl, f ? AF_INET : AF_INET6, 0, &rt, &n) < 0)
			continue;
		for (size_t i = 0; i < n; i++) {
			if (rt[i].protocol != 42 /* RTPROT_BABEL */ || rt[i].ifindex != ifindex ||
			    rt[i].type != NL_ROUTE_UNICAST || (rt[i].metric == HOLD_METRIC) == hold)
				continue;
			rt[i].metric = HOLD_METRIC;
			if ((hold ? nl_route_replace(c->nl, &rt[i]) : nl_route_delete(c->nl, &rt[i])) >= 0)
				done++;
		}
		free(rt);
	}
	log_info("babeld: %zu routes through %s %s", done, ifname,
		 hold ? "held in the kernel while babeld learns them again" : "released");
}

/* New keys were cached (netconf-store): babeld gets them live when only the
 * keys and interface options changed (babel-rekey.h), else restarts. */
static void on_hmac(void *userdata, enum event_type type, const void *payload, size_t len)
{
	struct ctx *c = userdata;
	struct rc_hmac h = { 0 };
	struct babel_params p = { 0 };
	_cleanup_free_ char *state = NULL, *logp = NULL, *pid = NULL, *keys = NULL;

	if (nstore_hmac_get(c, &h) < 0)
		h = (struct rc_hmac){ 0 };
	int r = babel_params_fill(c, &h, &p, &state, &pid, &logp, &keys);
	int how = r < 0 ? r : babel_reconfigure(c->babel, &p);
	r = how;
	if (how > 0)
		r = babel_rekey_start(&c->babel_rekey, c->loop, c->babel, &p, how,
				      &(struct babel_rekey_hold){ hold_routes, c });
	else if (how == 0)
		babel_rekey_free(TAKE_PTR(c->babel_rekey)); /* restarted: every interface is new */
	sodium_memzero(&h, sizeof(h));
	if (r < 0)
		log_errno(LOG_ERR, r, "cannot give babeld the new HMAC keys");
	else if (how == 0)
		log_info("babel HMAC keys changed: babeld restarted with them");
	else
		log_info("babel HMAC keys changed: given to the running babeld%s%s",
			 p.hmac_accept_unsigned ? " (unsigned packets accepted)" : "",
			 how == 2 ? ", its interfaces added again one at a time" : "");
}

int babel_mod_init(struct ctx *c)
{
	struct babel_params p = { 0 };
	_cleanup_free_ char *state = NULL, *logp = NULL, *pid = NULL, *keys = NULL;
	struct rc_hmac hmac = { 0 };

	babel_hmac_keys(c, &hmac);
	randombytes_buf(c->babel_placeholder, sizeof(c->babel_placeholder));
	int r = babel_params_fill(c, &hmac, &p, &state, &pid, &logp, &keys);
	if (r >= 0)
		r = babel_start(c->loop, &p, &c->babel);
	sodium_memzero(&hmac, sizeof(hmac));
	/* After babel_start: it stops a stale babeld first. */
	flush_babel_routes(c);
	if (r < 0)
		return log_errno(LOG_ERR, r, "cannot start babeld (%s)", BABELD_PATH);
	if ((r = events_subscribe(c->events, EV_HMAC, on_hmac, c)) < 0)
		return log_errno(LOG_ERR, r, "babel module");
	babel_set_listener(c->babel, on_babel_change, c);
	return 0;
}

void babel_mod_fini(struct ctx *c)
{
	events_unsubscribe(c->events, on_hmac, c);
	babel_rekey_free(TAKE_PTR(c->babel_rekey));
	babel_set_listener(c->babel, NULL, NULL);
	babel_stop(c->babel);
	c->babel = NULL;
	flush_babel_routes(c);
}

