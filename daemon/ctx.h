/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ctx.h - the daemon's main context: the only mutable state of re6stnet.
 *
 * main() owns one struct ctx and passes it to every module. A module keeps
 * its own state behind an opaque pointer stored here, is set up by its
 * init function and torn down by its fini function, which main.c calls in
 * the order of its module table (fini in reverse order, and only for the
 * modules whose init succeeded). Modules find each other through this
 * structure, never through globals.
 */
#ifndef RE6ST_DAEMON_CTX_H
#define RE6ST_DAEMON_CTX_H

#include <stdbool.h>
#include <stdint.h>

#include "identity.h"
#include "loop.h"
#include "options.h"
#include "prefix.h"

struct nl_sock;
struct nl_link_monitor;
struct re6st_netconf;
struct hooks;
struct state;
struct babel;
struct control;
struct metrics;
struct metrics_http;
/* Owned by the mesh modules (daemon/peer.*, daemon/tunnel.*, daemon/upnp.*). */
struct peer_srv;
struct tunnel_mgr;
struct upnp;
struct registry_client;
struct reglink;

struct ctx {
	struct options opt;        /* parsed once at start; read-only after */
	struct loop *loop;

	/* Identity (lib/identity.h), loaded by the "identity" module. */
	struct re6st_ca ca;
	struct re6st_cert cert;
	struct re6st_key *key;     /* secret: wiped on free */
	bool cert_expired;         /* loaded but outside its validity: renew first */
	struct re6st_prefix network; /* == ca.network */
	struct re6st_prefix prefix;  /* the node's prefix (cert.node) */
	uint8_t addr[16];            /* node address: prefix, host part ::1 */
	char addr_str[PREFIX_STRLEN];
	char prefix_str[PREFIX_STRLEN];
	char network_str[PREFIX_STRLEN];

	/* Signed network configuration (lib/netconf.h), current one. */
	struct re6st_netconf *netconf;
	uint8_t *netconf_raw;        /* its signed encoding, for gossip */
	size_t netconf_raw_len;
	uint64_t netconf_version;

	struct registry_client *registry; /* registry-client/: start-up calls only */
	struct reglink *reglink;     /* every registry request after start-up (daemon/registry.h) */
	struct state *state;         /* SQLite state db (daemon/state.h) */
	struct nl_sock *nl;          /* netlink command socket (netlink/nl.h) */
	struct nl_link_monitor *link_events;
	int main_ifindex;            /* -I/--main-interface */

	struct babel *babel;         /* babeld child + local socket (daemon/babel.h) */
	bool hmac_unconfirmed;       /* start-up did not get the HMAC keys from the registry */
	struct control *control;     /* control socket (daemon/control.h) */
	struct metrics *metrics;     /* counters, histograms, collectors (daemon/metrics.h) */
	struct metrics_http *metrics_http; /* --metrics: GET /metrics (daemon/metrics-http.h) */

	struct peer_srv *peer;       /* peer protocol (mesh) */
	struct tunnel_mgr *tunnels;  /* tunnel manager (mesh) */
	struct upnp *upnp;           /* UPnP port mapping (mesh) */

	struct hooks *hooks;         /* --up / --daemon (main.c) */

	/* Set by signals, acted upon by main.c from the loop. */
	bool reload_requested;       /* SIGHUP: reopen log, re-read netconf cache */

	uint64_t started_ms;         /* loop_now() at start */
};

/* Unix time in seconds (certificates and netconf are stamped with it). */
uint64_t ctx_unix_now(void);

/*
 * A signed network configuration from anywhere (peer gossip, registry):
 * verified with the CA, adopted and cached if newer than ours. Returns 1 if
 * adopted, 0 if not newer, or the netconf_parse() error. If it revokes our
 * own certificate the daemon stops.
 */
int daemon_offer_netconf(struct ctx *c, const uint8_t *raw, size_t len);

/*
 * Babel HMAC keys from the registry (after a configuration change): if they
 * differ from the cached ones, they are cached and babeld is restarted with
 * them (babel_reconfigure()). 1 if changed, 0 if the same, or -errno.
 */
struct rc_hmac;
int daemon_offer_hmac(struct ctx *c, const struct rc_hmac *h);

/* Renewal is due: cert_renew_due() (lib/identity.h) for our certificate. */
bool daemon_cert_due(const struct ctx *c, uint64_t unix_now);
/*
 * Our certificate expired more than the network's grace period ago (the
 * registry no longer renews it): there is no point running on.
 */
bool daemon_cert_past_grace(const struct ctx *c, uint64_t unix_now);
/*
 * The registry's answer to a renewal (verified: same key and prefix as
 * ours). A new certificate is saved to --cert, then used from now on: 1.
 * The one we have (not due for the registry yet): 0, nothing written or
 * logged. Or cert_save()'s error (then the old one stays in use).
 */
int daemon_adopt_cert(struct ctx *c, const struct re6st_cert *cert);

#endif
