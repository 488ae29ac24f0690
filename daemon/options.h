/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * options.h - re6stnet's command line, @FILE option files and re6stnet.conf.
 *
 * Names and meaning follow the original Python re6stnet where they apply.
 * A config file holds one "name value" per line (the long option without
 * its dashes; one-letter names are short options), '#' starts a comment,
 * "@FILE" includes another file. Command-line arguments are processed in
 * order, so a later one overrides an earlier one (lists append).
 *
 * The parsing itself is lib/conffile.h; this module owns the option table,
 * the defaults and the cross-option checks.
 */
#ifndef RE6ST_DAEMON_OPTIONS_H
#define RE6ST_DAEMON_OPTIONS_H

#include <stdbool.h>
#include <sys/socket.h>
#include <stddef.h>
#include <stdint.h>

#include "conffile.h"
#include "macro.h"

/* Tunnel types a node can offer and use, in --tunnel-type order. */
enum tunnel_type {
	TUNNEL_TYPE_NONE = 0,
	TUNNEL_TYPE_WIREGUARD,
	TUNNEL_TYPE_GRE,     /* ip6gre/gre over a trusted underlay */
	TUNNEL_TYPE_FOU,     /* GRE in FOU (UDP) over a trusted underlay */
	TUNNEL_TYPE_TCP,     /* WireGuard over TCP (UDP-filtered paths) */
	_TUNNEL_TYPE_MAX,
};
#define TUNNEL_TYPE_COUNT (_TUNNEL_TYPE_MAX - 1)

const char *tunnel_type_to_string(enum tunnel_type t);
/* -EINVAL for an unknown name. */
int tunnel_type_from_string(const char *s, enum tunnel_type *ret);

#define OPT_FROM_NETWORK UINT32_MAX

struct options {
	/* identity and registry */
	char *registry;            /* --registry URL (required) */
	char *ca, *cert, *key;     /* --ca --cert --key (required) */

	/* directories and logging */
	char *state_dir;           /* -s/--state, default RE6ST_STATEDIR */
	char *run_dir;             /* -r/--run, default RE6ST_RUNDIR */
	char *log;                 /* -l/--log: a directory (re6stnet.log, babeld.log
	                              inside) or "-" for stderr; default stderr */
	int verbose;               /* -v LEVEL: 0 off, 1 warning, 2 info, 3 debug */
	char *babel_socket;        /* --babel-socket, default RUN/babeld.sock */
	char *control_socket;      /* --control-socket, default RUN/re6stnet.sock */

	/* interfaces and addresses */
	struct strv interfaces;    /* -i/--interface: LAN discovery interfaces */
	char *main_interface;      /* -I/--main-interface, default "lo" */
	struct strv ip;            /* --ip: addresses to advertise, "upnp", "any" */

	/* tunnels */
	int client_count;          /* --client-count, -1: from the network config */
	int max_clients;           /* --max-clients, -1: from the network config */
	struct strv neighbours;    /* --neighbour PREFIX: kept connected */
	enum tunnel_type tunnel_types[TUNNEL_TYPE_COUNT]; /* --tunnel-type, by preference */
	size_t n_tunnel_types;
	uint16_t wg_port_first;    /* --wg-port-range FIRST-LAST (server interfaces) */
	uint16_t wg_port_last;
	uint16_t fou_port;         /* --fou-port, for GRE-in-FOU */
	uint16_t peer_port;        /* --peer-port, default 326 (peer protocol) */
	uint16_t tcp_port;         /* --tcp-port, default 326 (TCP links) */
	int tunnel_refresh;        /* --tunnel-refresh SECONDS, -1: network config */
	char *country;             /* --country CC: advertised with our endpoints */
	/* The tunnel policy (daemon/policy.h); OPT_FROM_NETWORK: the network's */
	uint32_t rotate_share;     /* --rotate-share, millionths */
	uint32_t busy_share;       /* --busy-share, millionths */
	uint32_t busy_weight;      /* --busy-weight, millionths, never 0 */
	uint32_t anchor_share;     /* --anchor-share, millionths */
	int drain_limit;           /* --drain-limit SECONDS, -1: network config */
	struct strv anchors;       /* --anchor PREFIX: replaces the network's list */

	/* routing */
	bool gateway;              /* --gateway: export the default route */
	bool default_route;        /* -D/--default: take the default route from re6st */
	int hello;                 /* --hello SECONDS, -1: network config */
	int link_cost;             /* --link-cost, -1: network config */
	int smoothing;             /* --smoothing SECONDS, -1: network config */
	int dead_after;            /* --dead-after SECONDS, -1: network config */
	struct strv babel_args;    /* -B ARG: extra babeld arguments */

	/* monitoring */
	bool metrics;              /* --metrics [ADDR:]PORT given */
	struct sockaddr_storage metrics_addr; /* where /metrics is served (loopback by default) */

	/* hooks */
	char *up;                  /* --up CMD, run once the node is up */
	struct strv daemons;       /* --daemon CMD, run in background, killed at exit */

	bool check;                /* -n/--check: validate and exit */
	bool help, version;        /* -h/--help, -V/--version */
};

/* Set the defaults (no allocation). */
void options_init(struct options *o);
void options_done(struct options *o);

/* The option table, e.g. for a fuzz target or --help. */
extern const struct conf_option options_table[];
extern const size_t options_table_size;

/*
 * Parse argv (argv[0] is the program name) including "@FILE" arguments and
 * --config/-c files, then apply defaults and cross-option checks
 * (options_finish). Returns 0, 1 if --help or --version was printed (exit
 * 0), or -EINVAL with a message (file:line for files) in err.
 */
int options_parse_argv(struct options *o, int argc, char *const argv[], char *err, size_t errlen);

/*
 * Defaults that depend on other options, then checks: required options
 * present, ranges coherent. 0 or -EINVAL with a message in err.
 */
int options_finish(struct options *o, char *err, size_t errlen);

/* Print --help to f. */
void options_help(FILE *f);

#endif
