/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * babel.h - one long-lived babeld, driven over its read-write local socket.
 *
 * babel_start() spawns babeld (Debian's /usr/sbin/babeld 1.12) with an
 * explicit router-id (a new one when babeld's seqno was not saved) and a
 * configuration built from struct babel_params (filters that redistribute
 * only the node's prefix, pref-src, default route handling, HMAC keys),
 * connects to its local socket and asks for a "dump". From then on:
 *   - commands are queued and sent one at a time; each gets babeld's
 *     "ok" / "no ..." / "bad" answer through an optional callback;
 *   - babeld's tables (neighbours, routes, interfaces) are asked for again
 *     every second while they move, up to every 10 s while they do not
 *     (BABEL_DUMP_MIN_MS, BABEL_DUMP_MAX_MS), and kept in in-memory tables
 *     that the tunnel manager reads (babel-tables.h);
 *   - if babeld dies it is restarted (after 1 s, then backing off to 30 s)
 *     and every interface added with babel_add_interface() is re-added;
 *   - if babeld shuts the local socket while it runs (babeld 1.12 does when
 *     a line of a dump cannot be written), the module connects again after
 *     200 ms (backing off to 5 s), rebuilds its tables and re-adds every
 *     interface.
 *
 * Interfaces added at runtime do not inherit babeld's `default` options,
 * so babel_add_interface() puts the tunnel options on the interface line.
 */
#ifndef RE6ST_DAEMON_BABEL_H
#define RE6ST_DAEMON_BABEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "babel-parse.h"
#include "loop.h"
#include "prefix.h"

struct babel;

/* A new router-id was chosen (see router_id below): worth persisting. */
typedef void (*babel_router_id_fn)(const uint8_t id[8], void *userdata);

struct babel_params {
	const char *babeld_path;   /* NULL: BABELD_PATH */
	const char *socket_path;   /* read-write local socket (-G) */
	const char *state_path;    /* -S (NULL: none) */
	const char *log_path;      /* -L (NULL: to our log, see babel-output.h) */
	const char *pid_path;      /* -I (NULL: none) */
	/* -c: the HMAC keys, written 0600 by babel_start() and
	 * babel_reconfigure(), removed by babel_stop(); keys never go on the
	 * command line. Needed when there is a key. */
	const char *key_path;
	/* Explicit router-id (EUI-64). Kept while babeld's seqno is saved in
	 * state_path (it is after a clean exit); when it is not (first start,
	 * babeld killed or crashed), every start picks a random one, so that
	 * peers do not hold the new babeld's routes unfeasible for minutes,
	 * and calls router_id_changed. Without state_path: always this one. */
	uint8_t router_id[8];
	babel_router_id_fn router_id_changed;
	void *router_id_data;

	struct re6st_prefix network;     /* the whole re6st network */
	struct re6st_prefix node_prefix; /* the only prefix redistributed */
	uint8_t node_addr[16];           /* pref-src of installed routes */
	bool gateway;              /* --gateway: redistribute the default route */
	bool default_route;        /* --default: accept a default route w/o source */
	bool has_ipv4;             /* IPv4 payload: also redistribute ipv4_prefix */
	char ipv4_prefix[24];      /* "10.42.3.0/24" */
	char ipv4_addr[16];        /* its pref-src */
	char ipv4_network[24];     /* "10.42.0.0/16": the whole IPv4 payload ("": none) */
	/* The longest node prefix the network allows (see babel-guard.h):
	 * longer routes inside network are refused. 0: no such limit. */
	uint8_t max_prefix_len;

	unsigned hello;            /* hello interval, seconds (tunnels) */
	/* babeld cost of a loss-free tunnel, link quality estimated (0: the default) */
	unsigned link_cost;
	/* babeld smoothing-half-life: N > 0 seconds, 0 babeld's (4 s), < 0 none */
	int smoothing;
	const char *babel_default; /* extra interface options from the netconf */
	/* HMAC (blake2s128 or hmac-sha256 per hmac_type); len 0: none. */
	const char *hmac_type;     /* NULL: "blake2s128" */
	const uint8_t *hmac_sign;
	size_t hmac_sign_len;
	const uint8_t *hmac_accept; /* older key still accepted during rotation */
	size_t hmac_accept_len;
	/* The rotation's "init" step (a network moving to HMAC): sign, but also
	 * accept packets without HMAC or with a bad one (babeld's
	 * accept-bad-signatures), so that nodes without the key yet stay
	 * neighbours. Only with hmac_sign. */
	bool hmac_accept_unsigned;

	/* -i: plain (wired) babel interfaces, on babeld's command line; with a
	 * key, the key file names each with "key sign" (and
	 * accept-bad-signatures in the init step). Tunnels have no key
	 * (babel_tunnel_options()). */
	char *const *lan_interfaces;
	size_t n_lan_interfaces;
	char *const *extra_args;     /* -B */
	size_t n_extra_args;
};

/* babeld's tables are asked for (a dump) every BABEL_DUMP_MIN_MS after
 * they moved (a neighbour came, went, began or stopped hearing us; an
 * interface came, went, up or down: babel-tables.h), after a command,
 * while babel_keep_fresh() asks, and while babel_watch() has watchers;
 * twice as long after each dump that found
 * nothing moved, up to BABEL_DUMP_MAX_MS. */
#define BABEL_DUMP_MIN_MS 1000u
#define BABEL_DUMP_MAX_MS 10000u

/* What changed, for the listener. obj is a route, neighbour or interface. */
typedef void (*babel_change_fn)(struct babel *b, const struct babel_event *ev, void *userdata);
/* Answer to a command: 0 ok, -ENOENT "no" (msg has babeld's text), -EINVAL "bad",
 * -ECONNRESET babeld went away before answering. */
typedef void (*babel_reply_fn)(struct babel *b, int result, const char *msg, void *userdata);

/*
 * Start babeld and connect to it (waits up to 5 s for the socket).
 * params is copied. Errors: -errno of spawn/connect, -ETIMEDOUT, -ENOMEM.
 */
int babel_start(struct loop *l, const struct babel_params *params, struct babel **ret);

/*
 * New parameters (HMAC keys, hello interval, default options) for a running
 * babeld. The key file and the stored tunnel lines are rewritten (tunnels
 * declared from then on get the new options). When babeld's command line is
 * the same and babeld is connected, nothing is sent to it: 1 if the LAN
 * interfaces' options are the same too (only the keys differ), 2 if they
 * differ (accept-bad-signatures turned on or off); the caller gives babeld
 * the change live (babel-rekey.h: a "key" statement, and for 2 each LAN
 * interface flushed and added again). Otherwise babeld is restarted cleanly (it saves its seqno;
 * the router-id is kept) and every interface is re-added with the new
 * options, and 0: routes through this node pause for the restart (babeld
 * withdraws its routes on exit). state_path, socket and pid paths must not
 * change. -ENOMEM / -EINVAL with nothing changed; a failed restart is
 * retried like a crash.
 */
int babel_reconfigure(struct babel *b, const struct babel_params *params);
/*
 * "flush interface IFNAME", then lan_line (a whole "interface IFNAME ..."
 * statement): a LAN interface added again with new options. Only IFNAME's
 * neighbours and the routes through them are lost until babeld hears them
 * again. cb gets the answer to the second line. 0, -EINVAL (IFNAME is a
 * tunnel added by babel_add_interface(), or not a valid name), -ENOMEM.
 */
int babel_readd_interface(struct babel *b, const char *ifname, const char *lan_line,
			  babel_reply_fn cb, void *userdata);
/*
 * Stop babeld (SIGTERM: babeld removes the routes it installed; SIGKILL
 * after 3 s) and free everything. NULL-safe.
 */
void babel_stop(struct babel *b);
DEFINE_FREEP(struct babel, babel_stop)

/* The babeld command line built from params (argv, NULL-terminated; free with
 * babel_argv_free()). Exposed for tests and --check. */
int babel_build_argv(const struct babel_params *p, char ***ret);
/* The text of key_path: "key id sign ..." and "key id accept ..." lines
 * (free after sodium_memzero). 0, -EINVAL (key too long), -ENOMEM. */
int babel_key_file_text(const struct babel_params *p, char **ret);
/* Write key_path (mode 0600, atomically); nothing without key_path. 0 or -errno. */
int babel_write_key_file(const struct babel_params *p);
void babel_argv_free(char **argv);

/* Listener for changes (one; NULL to remove). */
void babel_set_listener(struct babel *b, babel_change_fn fn, void *userdata);

/*
 * Send a raw command line (no newline). Queued if another is in flight.
 * cb may be NULL. 0 or -ENOMEM, -EINVAL (newline in line).
 */
int babel_command(struct babel *b, const char *line, babel_reply_fn cb, void *userdata);

/*
 * Declare a tunnel interface: "interface IFNAME type tunnel hello-interval H
 * rtt-min ... " with the network's tunnel options, plus extra (may be NULL).
 * It is re-added after a babeld restart. cb as babel_command().
 */
int babel_add_interface(struct babel *b, const char *ifname, const char *extra,
			babel_reply_fn cb, void *userdata);

/*
 * A tunnel interface whose link is about to be deleted: "flush interface
 * IFNAME", and no longer re-added after a restart. babeld 1.12 keeps
 * checking every interface it was given, and for a name the kernel does
 * not know each check is an ioctl that asks for a module by that name
 * (the kernel's dev_load(): two modprobe runs, babeld blocked meanwhile).
 * Only for a link babeld lists no neighbour on: 1.12's flush leaves the
 * neighbours pointing at the freed interface (see tm_link_down()). 0 or
 * -ENOENT (not added by babel_add_interface()).
 */
int babel_forget_interface(struct babel *b, const char *ifname);

/* The tables are wanted fresh (a tunnel drains, or waits for its babel
 * neighbour; an operator reads them): dumps every BABEL_DUMP_MIN_MS again from now on, until they
 * stop moving. */
void babel_keep_fresh(struct babel *b);
/* Someone follows the tables' changes as they come (a control monitor of
 * routes or neighbours): dumps every BABEL_DUMP_MIN_MS while any does.
 * Each babel_watch(b, true) is undone by one babel_watch(b, false). */
void babel_watch(struct babel *b, bool on);

/* How old the tables are: ms since the last whole dump, -1 before one. */
int64_t babel_tables_age_ms(const struct babel *b);

/* True once babeld's socket answered and its first dump is complete. */
bool babel_ready(const struct babel *b);
/* babeld's pid, 0 while it is not running. */
int babel_pid(const struct babel *b);
/* How many times babeld was (re)started. */
unsigned babel_starts(const struct babel *b);
/* How many times re6stnet connected to babeld's local socket: at each start,
 * and again whenever babeld shut the socket while running (see babel.c). */
unsigned babel_connects(const struct babel *b);
/* How many of those were to a running babeld that had shut the socket. */
unsigned babel_reconnects(const struct babel *b);
/* babeld's own router-id as it announced it ("my-id"). */
const char *babel_my_id(const struct babel *b);

/* Tables, valid until the next return to the loop. */
size_t babel_routes(const struct babel *b, const struct babel_route **ret);
size_t babel_neighbours(const struct babel *b, const struct babel_neighbour **ret);
size_t babel_interfaces(const struct babel *b, const struct babel_interface **ret);
/* Installed routes whose next hop is on ifname (how much a tunnel carries). */
size_t babel_count_routes_via(const struct babel *b, const char *ifname);
/* Neighbours on ifname. */
size_t babel_count_neighbours(const struct babel *b, const char *ifname);
/* Neighbours on ifname that hear us too (their IHUs give a finite txcost):
 * the link works both ways. */
size_t babel_count_neighbours_2way(const struct babel *b, const char *ifname);

/* The nodes babel hears directly on one of ifnames (the LAN interfaces):
 * prefixes inside within, longer than it, announced with refmetric 0 (by
 * their owner) through a neighbour on such an interface. At most max, no
 * duplicates; returns how many (babel-lan.c). */
size_t babel_direct_prefixes(const struct babel *b, char *const *ifnames, size_t n_if,
			     const struct re6st_prefix *within, struct re6st_prefix *ret, size_t max);
/* The RTT penalty on tunnels: up to BABEL_RTT_PENALTY, linear from rtt-min
 * to BABEL_RTT_MAX_MS. */
#define BABEL_RTT_MAX_MS 500u
#define BABEL_RTT_PENALTY 5000u
#define BABEL_DEFAULT_LINK_COST 512u
/* rtt-min for a link cost: where the penalty's slope times the RTT equals
 * the cost (cost x 500 / (5000 + cost), rounded): 46 ms for 512. */
unsigned babel_rtt_min_ms(unsigned link_cost);
/* babeld's rxcost for a loss-free tunnel cost (link quality on: babeld's
 * cost is rxcost x rxcost / 256 then): 362 for 512, 256 for 256. */
unsigned babel_rxcost(unsigned link_cost);
/* The options on every tunnel's "interface" line ("type tunnel link-quality
 * true rxcost ... hello-interval ... rtt-min ..."), malloc'ed; NULL: -ENOMEM. */
char *babel_tunnel_options(const struct babel_params *p);

/* "router-id XX:...:XX", malloc'ed in ret. 0 or -ENOMEM. */
int babel_router_id_arg(const uint8_t id[8], char **ret);

/* Derive a stable router-id (EUI-64) from a node prefix, e.g. for tests. */
void babel_router_id_from_prefix(const struct re6st_prefix *p, uint8_t ret[8]);

#endif
