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
struct re6st_netconf;
struct hooks;
struct events;
struct endpoints;
struct service;
struct state;
struct babel;
struct babel_rekey;
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
	struct options opt;        /* parsed at start; SIGHUP changes the live ones (reload.h) */
	struct loop *loop;
	struct events *events;     /* the one way up (daemon/events.h) */

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
	char country[3];             /* --country, else the registry's record; "" unknown */

	/* Signed network configuration (lib/netconf.h), current one. */
	struct re6st_netconf *netconf;
	uint8_t *netconf_raw;        /* its signed encoding, for gossip */
	size_t netconf_raw_len;
	uint64_t netconf_version;

	struct registry_client *registry; /* registry-client/: start-up calls only */
	bool registry_down;          /* start-up's first request failed: no more asked */
	struct reglink *reglink;     /* every registry request after start-up (daemon/registry.h) */
	struct state *state;         /* SQLite state db (daemon/state.h) */
	struct nl_sock *nl;          /* netlink command socket (netlink/nl.h) */
	int main_ifindex;            /* -I/--main-interface */

	struct babel *babel;         /* babeld child + local socket (daemon/babel.h) */
	bool hmac_unconfirmed;       /* start-up did not get the HMAC keys from the registry */
	bool hmac_unknown;           /* ... and none were cached: LAN refuses unsigned (babel-conf.c) */
	struct babel_rekey *babel_rekey; /* new keys going to babeld live (daemon/babel-rekey.h) */
	uint8_t babel_placeholder[16]; /* babeld's key while the network has none (babel-conf.c) */
	struct control *control;     /* control socket (daemon/control.h) */
	struct metrics *metrics;     /* counters, histograms, collectors (daemon/metrics.h) */
	struct metrics_http *metrics_http; /* --metrics: GET /metrics (daemon/metrics-http.h) */

	struct endpoints *endpoints; /* what we advertise (daemon/endpoints.h) */
	struct peer_srv *peer;       /* peer protocol (mesh) */
	struct tunnel_mgr *tunnels;  /* tunnel manager (mesh) */
	struct upnp *upnp;           /* UPnP port mapping (mesh) */

	struct hooks *hooks;         /* --up / --daemon (main.c) */
	struct service *service;     /* systemd notifications (daemon/service.h) */

	int argc;                    /* the command line, parsed again on SIGHUP */
	char **argv;

	uint64_t started_ms;         /* loop_now() at start */
};

#endif
