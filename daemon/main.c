/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * re6stnet: the node daemon. main() parses the options, then sets up the
 * modules of the table below in order, runs the event loop, and tears the
 * modules down in reverse order. Adding a module is one line in the table.
 */
#include <arpa/inet.h>
#include <inttypes.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

#include <sodium.h>

#include "addr.h"
#include "babel.h"
#include "config.h"
#include "control.h"
#include "ctx.h"
#include "fileio.h"
#include "link.h"
#include "log.h"
#include "netconf.h"
#include "netconf-store.h"
#include "node-metrics.h"
#include "nl.h"
#include "objects.h"
#include "peer.h"
#include "registry.h"
#include "registry-client.h"
#include "route.h"
#include "state.h"
#include "statedir.h"
#include "tunnel.h"
#include "upnp.h"

uint64_t ctx_unix_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec;
}

/* ---- directories -------------------------------------------------------- */

/* The state directory was made (0700) and locked by main(). */
static int dirs_init(struct ctx *c)
{
	/* 0755: re6stctl users reach the 0660 control socket through it. */
	int r = mkdir_p(c->opt.run_dir, 0755);
	if (r < 0)
		return log_errno(LOG_ERR, r, "cannot create run directory %s", c->opt.run_dir);
	return 0;
}

/* ---- identity ----------------------------------------------------------- */

static int daemon_load_identity(const struct options *o, uint64_t now, struct re6st_ca *ret_ca,
			 struct re6st_cert *ret_cert, struct re6st_key **ret_key)
{
	struct re6st_ca ca;
	struct re6st_cert cert;
	_cleanup_(key_freep) struct re6st_key *key = NULL;
	int r;

	r = identity_init();
	if (r < 0)
		return log_errno(LOG_ERR, r, "cannot initialise libsodium");
	r = ca_load(o->ca, &ca);
	if (r < 0) {
		log_error("%s: cannot load the CA: %s", o->ca, identity_strerror(r));
		return r;
	}
	r = key_load(o->key, &key);
	if (r < 0) {
		log_error("%s: cannot load the secret key: %s", o->key, identity_strerror(r));
		return r;
	}
	r = cert_load(o->cert, &ca, now, &cert);
	if (r == -EKEYEXPIRED) {
		/* Still ours: main() decides whether renewal can save it. */
		log_warning("%s: certificate expired or not yet valid", o->cert);
		_cleanup_free_ char *text = NULL;
		size_t len;
		r = read_file_full(o->cert, 64 * 1024, &text, &len);
		if (r >= 0)
			r = cert_from_armour_unverified(text, len, &cert);
		if (r >= 0)
			r = cert_verify_signature(&cert, &ca);
		if (r >= 0)
			r = -EKEYEXPIRED;
	}
	if (r < 0 && r != -EKEYEXPIRED) {
		log_error("%s: bad certificate: %s", o->cert, identity_strerror(r));
		return r;
	}
	if (!cert_matches_key(&cert, key)) {
		log_error("%s does not match the key %s", o->cert, o->key);
		return -EKEYREJECTED;
	}
	if (!key->has_wg) {
		log_error("%s: the key has no WireGuard key", o->key);
		return -EBADMSG;
	}
	*ret_ca = ca;
	*ret_cert = cert;
	*ret_key = TAKE_PTR(key);
	return r;
}

static int identity_mod_init(struct ctx *c)
{
	/* The secret key readable by others (copied by hand, say): fix it. */
	if (key_file_check_private(c->opt.key) == -EPERM) {
		if (chmod(c->opt.key, 0600) < 0)
			log_errno(LOG_WARNING, negative_errno(), "%s is readable by others and "
				  "cannot be made private", c->opt.key);
		else
			log_warning("%s was readable by others: now mode 0600", c->opt.key);
	}
	int r = daemon_load_identity(&c->opt, ctx_unix_now(), &c->ca, &c->cert, &c->key);
	if (r == -EKEYEXPIRED)
		c->cert_expired = true; /* the registry module must renew it */
	else if (r < 0)
		return r;
	c->network = c->ca.network;
	c->prefix = c->cert.node;
	cert_node_address(&c->cert, c->addr);
	prefix_format_address(c->addr, c->addr_str);
	prefix_format(&c->prefix, c->prefix_str);
	prefix_format(&c->network, c->network_str);
	log_info("node %s in network %s, address %s", c->prefix_str, c->network_str, c->addr_str);
	return 0;
}

static void identity_mod_fini(struct ctx *c)
{
	key_free(c->key);
	c->key = NULL;
}

/* ---- state database -------------------------------------------------------- */

static int state_mod_init(struct ctx *c)
{
	_cleanup_free_ char *path = NULL;
	if (asprintf(&path, "%s/cache.db", c->opt.state_dir) < 0)
		return -ENOMEM;
	int r = state_open(path, &c->state);
	if (r == -EPROTONOSUPPORT)
		return log_errno(LOG_ERR, r, "the state database %s was written by a newer re6stnet "
			       "(schema newer than version %d): left untouched, not starting",
			       path, STATE_SCHEMA_VERSION);
	if (r < 0)
		return log_errno(LOG_ERR, r, "cannot open the state database %s", path);
	return 0;
}

static void state_mod_fini(struct ctx *c)
{
	if (c->state)
		state_peer_prune(c->state, 1000);
	state_close(c->state);
	c->state = NULL;
}

/* ---- netlink, and what a previous run left behind --------------------------- */

static int netlink_mod_init(struct ctx *c)
{
	int r = nl_sock_open(&c->nl);
	if (r < 0)
		return log_errno(LOG_ERR, r, "cannot open netlink");
	r = nl_link_ifindex(c->nl, c->opt.main_interface, &c->main_ifindex);
	if (r < 0)
		return log_errno(LOG_ERR, r, "main interface %s", c->opt.main_interface);
	/* A babeld left by a killed re6stnet: stopped cleanly before its
	 * interfaces go (see babel.h). */
	_cleanup_free_ char *pid = NULL;
	if (asprintf(&pid, "%s/babeld.pid", c->opt.run_dir) < 0)
		return log_errno(LOG_ERR, -ENOMEM, "netlink module");
	babel_stop_stale(pid);
	r = objects_cleanup(c);
	if (r < 0)
		return log_errno(LOG_ERR, r, "cannot read the journal of kernel objects");
	if (r > 0)
		log_notice("removed %d kernel objects left by a previous run", r);
	return 0;
}

static void netlink_mod_fini(struct ctx *c)
{
	/* Whatever the modules above did not remove themselves. */
	if (c->nl && c->state) {
		int r = objects_cleanup(c);
		if (r > 0)
			log_info("removed %d remaining kernel objects", r);
	}
	nl_sock_free(c->nl);
	c->nl = NULL;
}

/* ---- the node's address and the network's unreachable route ------------------ */

static void node_routes(struct ctx *c, struct nl_prefix *ret_addr, struct nl_route *ret_unreach)
{
	*ret_addr = (struct nl_prefix){ .family = AF_INET6, .len = c->prefix.len };
	memcpy(&ret_addr->addr.in6, c->addr, 16);
	*ret_unreach = (struct nl_route){ .family = AF_INET6, .type = NL_ROUTE_UNREACHABLE };
	ret_unreach->dst = (struct nl_prefix){ .family = AF_INET6, .len = c->network.len };
	memcpy(&ret_unreach->dst.addr.in6, c->network.addr, 16);
}

/*
 * A node is a router: the mesh needs it to forward for others. Forwarding
 * is the host's setting (turning it on makes interfaces configured by
 * router advertisements need accept_ra=2), so only say when it is off.
 */
static void check_forwarding(const char *path, const char *what)
{
	_cleanup_free_ char *v = NULL;
	size_t len;
	if (read_file_full(path, 16, &v, &len) >= 0 && len && v[0] == '0')
		log_warning("%s forwarding is off (%s = 0): this node will not carry traffic for "
			    "others; set it to 1 (and accept_ra=2 on interfaces configured by router "
			    "advertisements)", what, path);
}

/*
 * IPv4 payload (network configuration's --ipv4 NET/N SUBLEN): the node's
 * subnet (the subject-serial-th /SUBLEN, lib/netconf.h) routed to the main
 * interface, which babeld redistributes; the first host of it as a /32 on
 * that interface; and NET/N unreachable like the IPv6 network.
 */
static int node_routes4(struct ctx *c, struct nl_prefix *ret_addr, struct nl_route *ret_subnet,
			struct nl_route *ret_unreach)
{
	uint8_t sub[4], a[4];
	int r = netconf_node_ipv4(c->netconf, c->cert.subject_serial, sub, a);
	if (r < 0)
		return r;
	*ret_addr = (struct nl_prefix){ .family = AF_INET, .len = 32 };
	memcpy(&ret_addr->addr.in, a, 4);
	*ret_subnet = (struct nl_route){ .family = AF_INET, .ifindex = c->main_ifindex };
	ret_subnet->dst = (struct nl_prefix){ .family = AF_INET, .len = c->netconf->ipv4_sublen };
	memcpy(&ret_subnet->dst.addr.in, sub, 4);
	*ret_unreach = (struct nl_route){ .family = AF_INET, .type = NL_ROUTE_UNREACHABLE };
	ret_unreach->dst = (struct nl_prefix){ .family = AF_INET, .len = c->netconf->ipv4_len };
	memcpy(&ret_unreach->dst.addr.in, c->netconf->ipv4_net, 4);
	return 0;
}

static int address4_init(struct ctx *c)
{
	struct nl_prefix a;
	struct nl_route sub, u;
	char b[INET6_ADDRSTRLEN + 8];
	int r = node_routes4(c, &a, &sub, &u);
	if (r == -ENOENT)
		return 0;
	check_forwarding("/proc/sys/net/ipv4/ip_forward", "IPv4");
	if (r < 0)
		return log_errno(LOG_ERR, r, "IPv4 payload: subject serial %" PRIu32
				 " is beyond the network's IPv4 subnets", c->cert.subject_serial);
	nl_prefix_to_string(&a, b, sizeof(b));
	r = obj_addr_add(c, c->opt.main_interface, &a, 0);
	if (r < 0 && r != -EEXIST)
		return log_errno(LOG_ERR, r, "cannot add %s to %s: %s", b, c->opt.main_interface,
				 nl_last_error(c->nl));
	r = obj_route_add(c, &sub, c->opt.main_interface);
	if (r < 0 && r != -EEXIST)
		return log_errno(LOG_ERR, r, "cannot route the IPv4 subnet to %s: %s",
				 c->opt.main_interface, nl_last_error(c->nl));
	r = obj_route_add(c, &u, NULL);
	if (r < 0 && r != -EEXIST)
		return log_errno(LOG_ERR, r, "cannot add the IPv4 unreachable route: %s",
				 nl_last_error(c->nl));
	log_info("IPv4 payload: %s, subnet routed to %s", b, c->opt.main_interface);
	return 0;
}

static void address4_fini(struct ctx *c)
{
	struct nl_prefix a;
	struct nl_route sub, u;
	if (node_routes4(c, &a, &sub, &u) < 0)
		return;
	if (obj_route_delete(c, &u, NULL) < 0)
		log_warning("cannot remove the IPv4 unreachable route");
	if (obj_route_delete(c, &sub, c->opt.main_interface) < 0)
		log_warning("cannot remove the IPv4 subnet route");
	if (obj_addr_delete(c, c->opt.main_interface, &a) < 0)
		log_warning("cannot remove the IPv4 payload address from %s", c->opt.main_interface);
}

static int address_mod_init(struct ctx *c)
{
	struct nl_prefix a;
	struct nl_route u;
	node_routes(c, &a, &u);
	check_forwarding("/proc/sys/net/ipv6/conf/all/forwarding", "IPv6");
	/*
	 * The address carries the node prefix's length: the kernel's prefix
	 * route on the main interface is what babeld redistributes.
	 */
	int r = obj_addr_add(c, c->opt.main_interface, &a, NL_ADDR_NODAD);
	if (r < 0 && r != -EEXIST)
		return log_errno(LOG_ERR, r, "cannot add %s/%u to %s: %s", c->addr_str, a.len,
				 c->opt.main_interface, nl_last_error(c->nl));
	/* Packets for the network that babel has no route for are refused
	 * here rather than leaked to the default route. */
	r = obj_route_add(c, &u, NULL);
	if (r < 0 && r != -EEXIST)
		return log_errno(LOG_ERR, r, "cannot add unreachable route %s: %s", c->network_str,
				 nl_last_error(c->nl));
	return address4_init(c);
}

static void address_mod_fini(struct ctx *c)
{
	struct nl_prefix a;
	struct nl_route u;
	address4_fini(c);
	node_routes(c, &a, &u);
	int r = obj_route_delete(c, &u, NULL);
	if (r < 0)
		log_errno(LOG_WARNING, r, "cannot remove unreachable route %s", c->network_str);
	r = obj_addr_delete(c, c->opt.main_interface, &a);
	if (r < 0)
		log_errno(LOG_WARNING, r, "cannot remove %s from %s", c->addr_str,
			  c->opt.main_interface);
}

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

/* The HMAC keys as a 66-byte blob: sign length, sign key, accept length, accept key. */
#define HMAC_BLOB_LEN 66

static int hmac_cache_put(struct ctx *c, const struct rc_hmac *h)
{
	uint8_t b[HMAC_BLOB_LEN] = { 0 };
	if (h->sign_len > 32 || h->accept_len > 32)
		return -EINVAL;
	b[0] = (uint8_t)h->sign_len;
	memcpy(b + 1, h->sign, h->sign_len);
	if (h->has_accept) {
		b[33] = (uint8_t)h->accept_len;
		memcpy(b + 34, h->accept, h->accept_len);
	}
	int r = state_set_blob(c->state, STATE_KEY_HMAC, b, sizeof(b));
	sodium_memzero(b, sizeof(b));
	return r;
}

static int hmac_cache_get(struct ctx *c, struct rc_hmac *ret)
{
	uint8_t *b = NULL;
	size_t n = 0;
	int r = state_get_blob(c->state, STATE_KEY_HMAC, &b, &n);
	if (r < 0)
		return r;
	if (n != HMAC_BLOB_LEN || b[0] == 0 || b[0] > 32 || b[33] > 32)
		r = -EBADMSG;
	else {
		struct rc_hmac h = { .has_sign = true, .sign_len = b[0],
				     .has_accept = b[33] > 0, .accept_len = b[33] };
		memcpy(h.sign, b + 1, h.sign_len);
		memcpy(h.accept, b + 34, h.accept_len);
		*ret = h;
		sodium_memzero(&h, sizeof(h));
	}
	sodium_memzero(b, n);
	free(b);
	return r;
}

/* The registry's answer is authoritative; without the registry, the cached keys. */
static void babel_hmac_keys(struct ctx *c, struct rc_hmac *ret)
{
	int r = c->registry ? rc_get_hmac(c->registry, ret) : -ENOTCONN;
	if (r >= 0) {
		r = ret->has_sign ? hmac_cache_put(c, ret) : state_delete(c->state, STATE_KEY_HMAC);
		if (r < 0)
			log_warning("cannot cache the babel HMAC keys: %s", state_last_error(c->state));
		return;
	}
	log_warning("babel HMAC keys not received from the registry (%s): asking again later",
		    c->registry ? registry_client_error(c->registry) : strerror(-r));
	/* Cached keys may be stale, and a node without the network's keys is
	 * deaf to its neighbours: the registry link asks until it answers. */
	c->hmac_unconfirmed = true;
	r = hmac_cache_get(c, ret);
	if (r >= 0)
		log_info("babel HMAC keys: using those of the state database");
	else if (r != -ENOENT)
		log_errno(LOG_WARNING, r, "babel HMAC keys in the state database unusable");
	else
		log_warning("no babel HMAC keys: neighbours that use them will not hear this node");
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
	}
	p->gateway = c->opt.gateway;
	p->default_route = c->opt.default_route;
	p->hello = c->opt.hello > 0 ? (unsigned)c->opt.hello : c->netconf->hello;
	p->babel_default = c->netconf->babel_default;
	if (hmac->has_sign) {
		p->hmac_sign = hmac->sign;
		p->hmac_sign_len = hmac->sign_len;
		if (hmac->has_accept) {
			p->hmac_accept = hmac->accept;
			p->hmac_accept_len = hmac->accept_len;
		}
	}
	p->lan_interfaces = c->opt.interfaces.v;
	p->n_lan_interfaces = c->opt.interfaces.n;
	p->extra_args = c->opt.babel_args.v;
	p->n_extra_args = c->opt.babel_args.n;
	return 0;
}

static int babel_mod_init(struct ctx *c)
{
	struct babel_params p = { 0 };
	_cleanup_free_ char *state = NULL, *logp = NULL, *pid = NULL, *keys = NULL;
	struct rc_hmac hmac = { 0 };

	babel_hmac_keys(c, &hmac);
	int r = babel_params_fill(c, &hmac, &p, &state, &pid, &logp, &keys);
	if (r >= 0)
		r = babel_start(c->loop, &p, &c->babel);
	sodium_memzero(&hmac, sizeof(hmac));
	/* After babel_start: it stops a stale babeld first. */
	flush_babel_routes(c);
	if (r < 0)
		return log_errno(LOG_ERR, r, "cannot start babeld (%s)", BABELD_PATH);
	return 0;
}

static bool hmac_equal(const struct rc_hmac *a, const struct rc_hmac *b)
{
	if (a->has_sign != b->has_sign)
		return false;
	if (!a->has_sign)
		return true;
	if (a->sign_len != b->sign_len || sodium_memcmp(a->sign, b->sign, a->sign_len) ||
	    a->has_accept != b->has_accept)
		return false;
	return !a->has_accept ||
	       (a->accept_len == b->accept_len && !sodium_memcmp(a->accept, b->accept, a->accept_len));
}

int daemon_offer_hmac(struct ctx *c, const struct rc_hmac *h)
{
	struct rc_hmac cur = { 0 };
	if (hmac_cache_get(c, &cur) < 0)
		cur = (struct rc_hmac){ 0 };
	bool same = hmac_equal(&cur, h);
	sodium_memzero(&cur, sizeof(cur));
	if (same)
		return 0;
	int r = h->has_sign ? hmac_cache_put(c, h) : state_delete(c->state, STATE_KEY_HMAC);
	if (r < 0)
		log_warning("cannot cache the babel HMAC keys: %s", state_last_error(c->state));
	if (!c->babel)
		return 1;
	struct babel_params p = { 0 };
	_cleanup_free_ char *state = NULL, *logp = NULL, *pid = NULL, *keys = NULL;
	r = babel_params_fill(c, h, &p, &state, &pid, &logp, &keys);
	if (r >= 0)
		r = babel_reconfigure(c->babel, &p);
	if (r < 0)
		return log_errno(LOG_ERR, r, "cannot give babeld the new HMAC keys");
	log_info("babel HMAC keys changed (configuration %llu): babeld restarted with them",
		 (unsigned long long)h->version);
	return 1;
}

static void babel_mod_fini(struct ctx *c)
{
	babel_stop(c->babel);
	c->babel = NULL;
	flush_babel_routes(c);
}

/* ---- control socket ------------------------------------------------------------ */

static int control_mod_init(struct ctx *c)
{
	int r = control_open(c, c->opt.control_socket, &c->control);
	if (r < 0)
		return log_errno(LOG_ERR, r, "cannot open the control socket %s", c->opt.control_socket);
	return 0;
}

static void control_mod_fini(struct ctx *c)
{
	control_close(c->control);
	c->control = NULL;
}

/* ---- signals ------------------------------------------------------------ */

static void on_terminate(struct loop *l, const struct signalfd_siginfo *si, void *userdata)
{
	log_info("received %s, exiting", strsignal((int)si->ssi_signo));
	loop_exit(l, 0);
}

static void on_hangup(struct loop *l, const struct signalfd_siginfo *si, void *userdata)
{
	struct ctx *c = userdata;
	c->reload_requested = true;
}

static int signals_init(struct ctx *c)
{
	int r;
	if ((r = loop_add_signal(c->loop, SIGTERM, on_terminate, c)) < 0 ||
	    (r = loop_add_signal(c->loop, SIGINT, on_terminate, c)) < 0 ||
	    (r = loop_add_signal(c->loop, SIGHUP, on_hangup, c)) < 0 ||
	    (r = loop_add_signal(c->loop, SIGUSR1, on_hangup, c)) < 0)
		return log_errno(LOG_ERR, r, "cannot set up signal handling");
	/* A peer closing the control socket must not kill us. */
	signal(SIGPIPE, SIG_IGN);
	return 0;
}

/* ---- logging ------------------------------------------------------------ */

static const int verbose_to_level[] = { LOG_CRIT, LOG_WARNING, LOG_INFO, LOG_DEBUG, LOG_DEBUG };

static int log_open(const struct options *o)
{
	int level = verbose_to_level[o->verbose];
	if (!o->log || !strcmp(o->log, "-"))
		return log_setup("re6stnet", level, LOG_TARGET_STDERR, NULL);
	_cleanup_free_ char *path = NULL;
	if (asprintf(&path, "%s/re6stnet.log", o->log) < 0)
		return -ENOMEM;
	int r = mkdir_p(o->log, 0755);
	if (r < 0)
		return r;
	return log_setup("re6stnet", level, LOG_TARGET_FILE, path);
}

/* ---- --up and --daemon hooks -------------------------------------------- */

struct hooks {
	pid_t *pids;
	size_t n;
};

static int hook_env(struct ctx *c)
{
	char net[PREFIX_STRLEN];
	if (setenv("re6stnet_ip", c->addr_str, 1) < 0 ||
	    setenv("re6stnet_iface", c->opt.main_interface, 1) < 0 ||
	    setenv("re6stnet_subnet", c->prefix_str, 1) < 0 ||
	    setenv("re6stnet_network", prefix_format(&c->network, net), 1) < 0)
		return negative_errno();
	return 0;
}

static void on_daemon_exit(struct loop *l, pid_t pid, int status, void *userdata)
{
	struct ctx *c = userdata;
	log_warning("--daemon command (pid %d) exited with status %d", (int)pid,
		    WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
	struct hooks *h = c->hooks;
	for (size_t i = 0; i < h->n; i++)
		if (h->pids[i] == pid)
			h->pids[i] = 0;
}

static int hooks_init(struct ctx *c)
{
	int r = hook_env(c);
	if (r < 0)
		return log_errno(LOG_ERR, r, "cannot set the hooks' environment");
	if (c->opt.up) {
		char *argv[] = { "/bin/sh", "-c", c->opt.up, NULL };
		pid_t pid;
		int status;
		r = loop_spawn(argv, NULL, &pid);
		if (r < 0)
			return log_errno(LOG_ERR, r, "cannot run --up command");
		loop_unwatch_child(c->loop, pid);
		while (waitpid(pid, &status, 0) < 0)
			if (errno != EINTR)
				return log_errno(LOG_ERR, negative_errno(), "waiting for --up command");
		if (!WIFEXITED(status) || WEXITSTATUS(status)) {
			log_error("--up command failed (status %d)",
				  WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
			return -ECHILD;
		}
	}
	struct hooks *h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	c->hooks = h;
	if (!c->opt.daemons.n)
		return 0;
	h->pids = calloc(c->opt.daemons.n, sizeof(pid_t));
	if (!h->pids)
		return -ENOMEM;
	for (size_t i = 0; i < c->opt.daemons.n; i++) {
		char *argv[] = { "/bin/sh", "-c", c->opt.daemons.v[i], NULL };
		r = loop_spawn(argv, NULL, &h->pids[i]);
		if (r < 0)
			return log_errno(LOG_ERR, r, "cannot run --daemon %s", c->opt.daemons.v[i]);
		h->n = i + 1;
		r = loop_watch_child(c->loop, h->pids[i], on_daemon_exit, c);
		if (r < 0)
			return log_errno(LOG_ERR, r, "cannot watch --daemon command");
	}
	return 0;
}

static void hooks_fini(struct ctx *c)
{
	struct hooks *h = c->hooks;
	if (!h)
		return;
	/* TERM, then KILL 5 s later, as the original. */
	for (size_t i = 0; i < h->n; i++)
		if (h->pids[i] > 0) {
			loop_unwatch_child(c->loop, h->pids[i]);
			kill(-h->pids[i], SIGTERM);
		}
	for (size_t i = 0; i < h->n; i++) {
		if (h->pids[i] <= 0)
			continue;
		uint64_t deadline = loop_clock_ms() + 5000;
		while (waitpid(h->pids[i], NULL, WNOHANG) == 0) {
			if (loop_clock_ms() >= deadline) {
				kill(-h->pids[i], SIGKILL);
				waitpid(h->pids[i], NULL, 0);
				break;
			}
			struct timespec ts = { 0, 50 * 1000000 };
			nanosleep(&ts, NULL);
		}
	}
	free(h->pids);
	free(h);
	c->hooks = NULL;
}

/* ---- the module table ----------------------------------------------------
 * Order matters: each module may use what the modules above it set up.
 * fini runs in reverse order, only for modules whose init succeeded.
 * reload (optional) runs on SIGHUP/SIGUSR1, in table order.
 */
struct module {
	const char *name;
	int (*init)(struct ctx *c);
	void (*fini)(struct ctx *c);
	void (*reload)(struct ctx *c);
};

static const struct module modules[] = {
	{ "directories", dirs_init, NULL, NULL },
	{ "signals", signals_init, NULL, NULL },
	{ "state", state_mod_init, state_mod_fini, NULL },
	{ "identity", identity_mod_init, identity_mod_fini, NULL },
	{ "netlink", netlink_mod_init, netlink_mod_fini, NULL },
	{ "registry", registry_mod_init, registry_mod_fini, NULL },
	{ "address", address_mod_init, address_mod_fini, NULL },
	{ "babel", babel_mod_init, babel_mod_fini, NULL },
	{ "control", control_mod_init, control_mod_fini, NULL },
	{ "metrics", node_metrics_init, node_metrics_fini, NULL },
	/* mesh modules: peer protocol, then the tunnel manager (upnp goes here) */
	{ "peer", peer_init, peer_fini, NULL },
	{ "tunnels", tunnel_init, tunnel_fini, NULL },
	{ "upnp", upnp_init, upnp_fini, NULL },
	/* after start-up, every registry request goes through the registry link */
	{ "registry-link", reglink_init, reglink_fini, reglink_reload },
	{ "hooks", hooks_init, hooks_fini, NULL },
};

static void reload(struct ctx *c)
{
	c->reload_requested = false;
	int r = log_open(&c->opt);
	if (r < 0)
		log_errno(LOG_ERR, r, "cannot reopen the log");
	log_info("reloading");
	for (size_t i = 0; i < ARRAY_SIZE(modules); i++)
		if (modules[i].reload)
			modules[i].reload(c);
}

/* The loop's only "idle" work: act on the flags the signal handlers set. */
static void on_tick(struct loop *l, struct loop_timer *t, void *userdata)
{
	struct ctx *c = userdata;
	if (c->reload_requested)
		reload(c);
}

int main(int argc, char *argv[])
{
	struct ctx c = { .main_ifindex = 0 };
	char err[512] = "";
	int r, exit_code = 0, lock_fd = -1;
	size_t n_up = 0;

	options_init(&c.opt);
	r = options_parse_argv(&c.opt, argc, argv, err, sizeof(err));
	if (r == 1) {
		options_done(&c.opt);
		return 0;
	}
	if (r < 0) {
		fprintf(stderr, "re6stnet: %s\n", r == -ENOMEM ? "out of memory" : err);
		if (r == -EINVAL)
			fprintf(stderr, "Try 're6stnet --help'.\n");
		options_done(&c.opt);
		return 2;
	}

	log_setup("re6stnet", verbose_to_level[c.opt.verbose], LOG_TARGET_STDERR, NULL);
	if (c.opt.check) {
		/* Options are fine; the identity files must be too. */
		struct re6st_key *key = NULL;
		r = daemon_load_identity(&c.opt, ctx_unix_now(), &c.ca, &c.cert, &key);
		key_free(key);
		options_done(&c.opt);
		if (r < 0 && r != -EKEYEXPIRED)
			return 2;
		printf("configuration OK%s\n", r == -EKEYEXPIRED ? " (certificate needs renewal)" : "");
		return 0;
	}

	/* Secrets (cache.db, babeld's key file) are created private. */
	umask(077);
	/* Before anything else: a second re6stnet must leave the first alone. */
	pid_t holder = 0;
	r = statedir_lock(c.opt.state_dir, &lock_fd, &holder);
	if (r < 0) {
		if (r == -EBUSY)
			fprintf(stderr, "re6stnet: another re6stnet (pid %ld) uses the state directory %s: "
				"not starting\n", (long)holder, c.opt.state_dir);
		else
			fprintf(stderr, "re6stnet: cannot lock the state directory %s: %s\n",
				c.opt.state_dir, strerror(-r));
		options_done(&c.opt);
		return 2;
	}

	r = log_open(&c.opt);
	if (r < 0) {
		fprintf(stderr, "re6stnet: cannot open the log in %s: %s\n", c.opt.log, strerror(-r));
		options_done(&c.opt);
		close(lock_fd);
		return 2;
	}
	log_info("re6stnet %s starting", RE6ST_VERSION);

	r = loop_new(&c.loop);
	if (r < 0) {
		log_errno(LOG_ERR, r, "cannot create the event loop");
		exit_code = 1;
		goto out;
	}
	c.started_ms = loop_now(c.loop);

	for (n_up = 0; n_up < ARRAY_SIZE(modules); n_up++) {
		log_debug("starting module %s", modules[n_up].name);
		r = modules[n_up].init(&c);
		if (r < 0) {
			log_error("start-up failed in module %s", modules[n_up].name);
			exit_code = 1;
			goto out;
		}
		if (loop_exiting(c.loop)) {
			n_up++;
			break;
		}
	}

	r = loop_add_timer(c.loop, 0, 1000, on_tick, &c, NULL);
	if (r < 0) {
		log_errno(LOG_ERR, r, "cannot add a timer");
		exit_code = 1;
		goto out;
	}
	log_notice("re6stnet up: %s on %s", c.addr_str, c.opt.main_interface);
	r = loop_run(c.loop);
	if (r < 0) {
		log_errno(LOG_ERR, r, "event loop failed");
		exit_code = 1;
	} else {
		exit_code = r;
	}

out:
	while (n_up > 0) {
		n_up--;
		if (modules[n_up].fini) {
			log_debug("stopping module %s", modules[n_up].name);
			modules[n_up].fini(&c);
		}
	}
	loop_free(c.loop);
	log_info("re6stnet stopped");
	log_close();
	options_done(&c.opt);
	close(lock_fd); /* last: everything of ours is gone */
	return exit_code;
}
