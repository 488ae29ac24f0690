/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <strings.h>
#include <sys/un.h>

#include "config.h"
#include "netconf.h"
#include "options.h"
#include "prefix.h"

static const char *const tunnel_type_names[] = {
	[TUNNEL_TYPE_WIREGUARD] = "wireguard",
	[TUNNEL_TYPE_GRE] = "gre",
	[TUNNEL_TYPE_FOU] = "fou",
	[TUNNEL_TYPE_TCP] = "tcp",
};

const char *tunnel_type_to_string(enum tunnel_type t)
{
	if (t <= TUNNEL_TYPE_NONE || t >= _TUNNEL_TYPE_MAX)
		return "none";
	return tunnel_type_names[t];
}

int tunnel_type_from_string(const char *s, enum tunnel_type *ret)
{
	for (int t = TUNNEL_TYPE_NONE + 1; t < _TUNNEL_TYPE_MAX; t++)
		if (!strcasecmp(s, tunnel_type_names[t])) {
			*ret = (enum tunnel_type)t;
			return 0;
		}
	return -EINVAL;
}

static int parse_u16(const char *s, unsigned min, uint16_t *ret)
{
	char *end;
	errno = 0;
	unsigned long v = strtoul(s, &end, 10);
	if (!*s || *s == '-' || *s == '+' || *end || errno || v < min || v > 65535)
		return -EINVAL;
	*ret = (uint16_t)v;
	return 0;
}

static int parse_tunnel_type(void *target, const char *value, char *err, size_t errlen)
{
	struct options *o = target;
	enum tunnel_type t;
	if (tunnel_type_from_string(value, &t) < 0) {
		snprintf(err, errlen, "unknown tunnel type '%.64s' (wireguard, gre, fou)", value);
		return -EINVAL;
	}
	for (size_t i = 0; i < o->n_tunnel_types; i++)
		if (o->tunnel_types[i] == t)
			return 0;
	o->tunnel_types[o->n_tunnel_types++] = t;
	return 0;
}

static int parse_port_range(void *target, const char *value, char *err, size_t errlen)
{
	struct options *o = target;
	char first[16], *dash = strchr(value, '-');
	uint16_t a, b;
	size_t n = dash ? (size_t)(dash - value) : strlen(value);
	if (n >= sizeof(first))
		goto bad;
	memcpy(first, value, n);
	first[n] = '\0';
	if (parse_u16(first, 1, &a) < 0)
		goto bad;
	if (!dash)
		b = a;
	else if (parse_u16(dash + 1, 1, &b) < 0)
		goto bad;
	if (b < a) {
		snprintf(err, errlen, "range '%.64s' ends before it starts", value);
		return -EINVAL;
	}
	o->wg_port_first = a;
	o->wg_port_last = b;
	return 0;
bad:
	snprintf(err, errlen, "expected PORT or FIRST-LAST with ports in 1..65535, not '%.64s'",
		 value);
	return -EINVAL;
}

#define DEFINE_PORT_PARSER(fn, field)                                                        \
	static int fn(void *target, const char *value, char *err, size_t errlen)             \
	{                                                                                    \
		if (parse_u16(value, 1, &((struct options *)target)->field) < 0) {           \
			snprintf(err, errlen, "expected a port in 1..65535, not '%.64s'", value); \
			return -EINVAL;                                                      \
		}                                                                            \
		return 0;                                                                    \
	}
DEFINE_PORT_PARSER(parse_fou_port, fou_port)
DEFINE_PORT_PARSER(parse_peer_port, peer_port)
DEFINE_PORT_PARSER(parse_tcp_port, tcp_port)

#define DEFINE_SHARE_PARSER(fn, field, what, nonzero)                                      \
	static int fn(void *target, const char *value, char *err, size_t errlen)           \
	{                                                                                  \
		return netconf_parse_share_option(value, nonzero, what,                    \
						  &((struct options *)target)->field, err,  \
						  errlen);                                         \
	}

DEFINE_SHARE_PARSER(parse_rotate_share, rotate_share, "share from 0 to 1", false)
DEFINE_SHARE_PARSER(parse_busy_share, busy_share, "share from 0 to 1", false)
DEFINE_SHARE_PARSER(parse_busy_weight, busy_weight, "weight above 0, at most 1", true)
DEFINE_SHARE_PARSER(parse_anchor_share, anchor_share, "share from 0 to 1", false)

static int parse_verbose(void *target, const char *value, char *err, size_t errlen)
{
	struct options *o = target;
	static const char *const names[] = { "none", "warning", "info", "debug", "trace" };
	for (int i = 0; i < (int)ARRAY_SIZE(names); i++) {
		char digit[2] = { (char)('0' + i), '\0' };
		if (!strcmp(value, digit) || !strcasecmp(value, names[i])) {
			o->verbose = i;
			return 0;
		}
	}
	snprintf(err, errlen, "expected a level 0..4 (none, warning, info, debug, trace), not '%.64s'",
		 value);
	return -EINVAL;
}

static int parse_ip(void *target, const char *value, char *err, size_t errlen)
{
	struct options *o = target;
	/* Addresses are checked in options_finish(); keep the order given. */
	if (strlen(value) > 64) {
		snprintf(err, errlen, "address too long");
		return -EINVAL;
	}
	return strv_push(&o->ip, value);
}

/* --metrics PORT, ADDR:PORT or [ADDR6]:PORT; ADDR defaults to 127.0.0.1. */
static int parse_metrics(void *target, const char *value, char *err, size_t errlen)
{
	struct options *o = target;
	char host[INET6_ADDRSTRLEN + 2] = "127.0.0.1";
	const char *colon = strrchr(value, ':'), *port = colon ? colon + 1 : value;
	uint16_t p;
	struct sockaddr_storage ss = { 0 };

	if (colon) {
		size_t n = (size_t)(colon - value);
		if (n >= 2 && value[0] == '[' && value[n - 1] == ']') {
			value++;
			n -= 2;
		}
		if (n == 0 || n >= sizeof(host))
			goto bad;
		memcpy(host, value, n);
		host[n] = '\0';
	}
	if (parse_u16(port, 1, &p) < 0)
		goto bad;
	struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
	if (inet_pton(AF_INET, host, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons(p);
	} else if (inet_pton(AF_INET6, host, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(p);
	} else {
		goto bad;
	}
	o->metrics = true;
	o->metrics_addr = ss;
	return 0;
bad:
	snprintf(err, errlen, "expected PORT, ADDR:PORT or [ADDR6]:PORT, not '%.64s'", value);
	return -EINVAL;
}

#define OFF(f) offsetof(struct options, f)
#define INT_OPT(n, s, f, lo, hi, mv, h) { n, s, CONF_INT, OFF(f), lo, hi, NULL, mv, h }
#define STR_OPT(n, s, f, mv, h) { n, s, CONF_STRING, OFF(f), 0, 0, NULL, mv, h }
#define STRV_OPT(n, s, f, mv, h) { n, s, CONF_STRV, OFF(f), 0, 0, NULL, mv, h }
#define FLAG_OPT(n, s, f, h) { n, s, CONF_FLAG, OFF(f), 0, 0, NULL, NULL, h }
#define FN_OPT(n, s, fn, mv, h) { n, s, CONF_CUSTOM, 0, 0, 0, fn, mv, h }

const struct conf_option options_table[] = {
	FLAG_OPT("help", 'h', help, "Show this help and exit."),
	FLAG_OPT("version", 'V', version, "Show the version and exit."),
	FLAG_OPT("check", 'n', check,
		 "Check the configuration (options, files, identity) and exit: 0 if valid, "
		 "2 otherwise."),
	STR_OPT("registry", 0, registry, "URL",
		"Public HTTP URL of the registry, for bootstrapping and certificate renewal."),
	STR_OPT("ca", 0, ca, "PATH", "The network's CA (written by re6st-conf)."),
	STR_OPT("cert", 0, cert, "PATH",
		"This node's certificate; it gives the node's prefix in the network."),
	STR_OPT("key", 0, key, "PATH", "This node's secret key."),
	STR_OPT("state", 's', state_dir, "DIR",
		"State directory: cache.db (network configuration, peers, objects made), "
		"babeld.state. Default: " RE6ST_STATEDIR),
	STR_OPT("run", 'r', run_dir, "DIR",
		"Runtime directory: babeld.sock, babeld.pid, re6stnet.sock. "
		"Default: " RE6ST_RUNDIR),
	STR_OPT("log", 'l', log, "DIR",
		"Log directory: re6stnet.log and babeld.log. Default: log to stderr."),
	FN_OPT("verbose", 'v', parse_verbose, "LEVEL",
	       "Log level: 0 none, 1 warning, 2 info (default), 3 debug, 4 trace. SIGHUP "
	       "re-reads the options (a new level applies) and reopens the log files."),
	STR_OPT("babel-socket", 0, babel_socket, "PATH",
		"babeld's read-write local socket. Default: RUN/babeld.sock"),
	STR_OPT("control-socket", 0, control_socket, "PATH",
		"Control socket for re6stctl (mode 0660). Default: RUN/re6stnet.sock"),
	STRV_OPT("interface", 'i', interfaces, "IFACE",
		 "Extra interface for LAN discovery: babeld also runs on it. Recommended when "
		 "other re6st nodes share the network segment. Repeatable."),
	STR_OPT("main-interface", 'I', main_interface, "IFACE",
		"Interface that gets the node's re6st address (any interface not used for "
		"tunnelling). Default: lo"),
	FN_OPT("ip", 0, parse_ip, "ADDR",
	       "Address advertised to other nodes (IPv4 or IPv6, repeatable). Special values: "
	       "'upnp' maps ports on a UPnP gateway; 'any' asks peers for our address. "
	       "Default: like 'upnp' when a UPnP gateway answers, else like 'any'."),
	INT_OPT("client-count", 0, client_count, 0, 1000, "N",
		"Number of client tunnels to set up. Default: from the network configuration."),
	INT_OPT("max-clients", 0, max_clients, 0, 10000, "N",
		"Maximum number of accepted clients. Default: from the network configuration."),
	STRV_OPT("neighbour", 0, neighbours, "PREFIX",
		 "Node (by its re6st prefix) that must stay reachable directly: a tunnel to it "
		 "is made as soon as its endpoints are known, even beyond --client-count, and "
		 "never rotated away. Repeatable."),
	FN_OPT("tunnel-type", 0, parse_tunnel_type, "TYPE",
	       "Tunnel type offered and used, by preference: wireguard (default), gre, fou "
	       "(GRE in UDP), tcp (WireGuard over TCP, for UDP-filtered paths; a client "
	       "falls back to it when the other types get no answer). GRE and FOU carry no "
	       "encryption: trusted underlays only. Only the types the network allows are "
	       "offered. Repeatable."),
	FN_OPT("wg-port-range", 0, parse_port_range, "FIRST-LAST",
	       "UDP ports of the WireGuard server interfaces, one per accepted client. "
	       "Default: 41000-41099"),
	FN_OPT("fou-port", 0, parse_fou_port, "PORT", "UDP port where GRE-in-FOU is received. Default: 5555"),
	FN_OPT("peer-port", 0, parse_peer_port, "PORT",
	       "UDP port of the peer protocol, on the overlay and the underlay. Default: 326"),
	FN_OPT("tcp-port", 0, parse_tcp_port, "PORT",
	       "TCP port where tunnels of type tcp are accepted. Default: 326"),
	INT_OPT("tunnel-refresh", 0, tunnel_refresh, 5, 86400, "SECONDS",
		"Rotation period: every SECONDS a random share of the client tunnels is "
		"destroyed and replaced. Default: from the network configuration."),
	FN_OPT("rotate-share", 0, parse_rotate_share, "SHARE",
	       "Expected share of client tunnels destroyed every period (0..1), chosen at "
	       "random. Default: from the network configuration (0.3)."),
	FN_OPT("busy-share", 0, parse_busy_share, "SHARE",
	       "Share of client tunnels carrying the most routes that are picked with "
	       "--busy-weight. Default: from the network configuration (0.2)."),
	FN_OPT("busy-weight", 0, parse_busy_weight, "WEIGHT",
	       "Chance of a busy tunnel to be picked, relative to the others (above 0, at "
	       "most 1). Default: from the network configuration (0.25)."),
	INT_OPT("drain-limit", 0, drain_limit, 1, 864000, "SECONDS",
		"A tunnel being rotated that routes still use after SECONDS is destroyed "
		"anyway. Default: from the network configuration (3600)."),
	STRV_OPT("anchor", 0, anchors, "PREFIX",
		 "Anchor prefix (nodes in well-known places): --anchor-share of new tunnels go "
		 "to nodes inside one. Repeatable; replaces the network's list."),
	FN_OPT("anchor-share", 0, parse_anchor_share, "SHARE",
	       "Share of new tunnels that go to anchors when any is known (0..1). Default: "
	       "from the network configuration (0.3)."),
	STR_OPT("country", 0, country, "CC",
		"Country code advertised with our addresses (two letters)."),
	FLAG_OPT("gateway", 0, gateway,
		 "Act as a gateway for this network: export the default route. Do not use "
		 "it unless you know what it means."),
	FLAG_OPT("default", 'D', default_route,
		 "Access the internet through this network (make sure there is no other "
		 "default route), or when the kernel lacks source-specific routing "
		 "(CONFIG_IPV6_SUBTREES). Meaningless with --gateway."),
	INT_OPT("hello", 0, hello, 1, 600, "SECONDS",
		"babel hello interval on tunnels. Default: from the network configuration (1)."),
	INT_OPT("link-cost", 0, link_cost, NETCONF_MIN_LINK_COST, NETCONF_MAX_LINK_COST, "COST",
		"babel cost of a loss-free tunnel; link quality is estimated, a lossy tunnel "
		"costs COST x ETX (256 to 4096). Default: from the network configuration (512)."),
	INT_OPT("smoothing", 0, smoothing, 0, NETCONF_MAX_SMOOTHING, "SECONDS",
		"babel smoothing half-life of route metrics (route-selection hysteresis), 0 "
		"none. Default: from the network configuration (8)."),
	INT_OPT("dead-after", 0, dead_after, 1, NETCONF_MAX_DEAD_AFTER, "SECONDS",
		"A tunnel that received nothing for SECONDS while sending is dead and freed at "
		"once. Default: from the network configuration (3)."),
	STRV_OPT(NULL, 'B', babel_args, "ARG", "Extra argument for babeld. Repeatable."),
	FN_OPT("metrics", 0, parse_metrics, "[ADDR:]PORT",
	       "Serve the node's metrics (Prometheus text format) over HTTP at "
	       "http://ADDR:PORT/metrics. ADDR defaults to 127.0.0.1; give [::]:PORT or "
	       "0.0.0.0:PORT only behind a firewall. Default: not served (re6stctl metrics "
	       "prints them)."),
	STR_OPT("up", 0, up, "CMD",
		"Shell command run once the node is up (re6stnet_ip, re6stnet_iface, "
		"re6stnet_subnet, re6stnet_network in its environment); non-zero exit stops "
		"re6stnet."),
	STRV_OPT("daemon", 0, daemons, "CMD",
		 "Like --up, but run in the background and killed at exit (TERM, then KILL "
		 "5 s later). Repeatable."),
};
const size_t options_table_size = ARRAY_SIZE(options_table);

void options_init(struct options *o)
{
	*o = (struct options){
		.verbose = 2,
		.client_count = -1,
		.max_clients = -1,
		.tunnel_refresh = -1,
		.rotate_share = OPT_FROM_NETWORK,
		.busy_share = OPT_FROM_NETWORK,
		.busy_weight = OPT_FROM_NETWORK,
		.anchor_share = OPT_FROM_NETWORK,
		.drain_limit = -1,
		.hello = -1,
		.link_cost = -1,
		.smoothing = -1,
		.dead_after = -1,
	};
}

void options_done(struct options *o)
{
	free(o->registry);
	free(o->ca);
	free(o->cert);
	free(o->key);
	free(o->state_dir);
	free(o->run_dir);
	free(o->log);
	free(o->babel_socket);
	free(o->control_socket);
	strv_clear(&o->interfaces);
	free(o->main_interface);
	strv_clear(&o->ip);
	strv_clear(&o->neighbours);
	strv_clear(&o->anchors);
	free(o->country);
	strv_clear(&o->babel_args);
	free(o->up);
	strv_clear(&o->daemons);
	options_init(o);
}

static int set_default(char **field, const char *value)
{
	if (*field)
		return 0;
	*field = strdup(value);
	return *field ? 0 : -ENOMEM;
}

static int set_default_path(char **field, const char *dir, const char *name)
{
	if (*field)
		return 0;
	if (asprintf(field, "%s/%s", dir, name) < 0) {
		*field = NULL;
		return -ENOMEM;
	}
	return 0;
}

static bool valid_ifname(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n >= 16 || !strcmp(s, ".") || !strcmp(s, ".."))
		return false;
	for (const char *c = s; *c; c++)
		if (*c == '/' || *c == ':' || *c <= ' ' || *c == 0x7f)
			return false;
	return true;
}

static bool valid_ip(const char *s)
{
	unsigned char buf[16];
	return inet_pton(AF_INET, s, buf) == 1 || inet_pton(AF_INET6, s, buf) == 1;
}

static int failf(char *err, size_t errlen, const char *fmt, ...) _printf_(3, 4);
static int failf(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

int options_finish(struct options *o, char *err, size_t errlen)
{
	int r;

	if (!o->registry)
		return failf(err, errlen, "missing --registry URL");
	if (strncmp(o->registry, "http://", 7) && strncmp(o->registry, "https://", 8))
		return failf(err, errlen, "--registry must be an http:// or https:// URL, not '%s'",
			     o->registry);
	if (!o->ca)
		return failf(err, errlen, "missing --ca PATH");
	if (!o->cert)
		return failf(err, errlen, "missing --cert PATH");
	if (!o->key)
		return failf(err, errlen, "missing --key PATH");

	if ((r = set_default(&o->state_dir, RE6ST_STATEDIR)) < 0 ||
	    (r = set_default(&o->run_dir, RE6ST_RUNDIR)) < 0 ||
	    (r = set_default(&o->main_interface, "lo")) < 0 ||
	    (r = set_default_path(&o->babel_socket, o->run_dir, "babeld.sock")) < 0 ||
	    (r = set_default_path(&o->control_socket, o->run_dir, "re6stnet.sock")) < 0)
		return r;

	struct sockaddr_un sun;
	if (strlen(o->babel_socket) >= sizeof(sun.sun_path))
		return failf(err, errlen, "--babel-socket path longer than %zu bytes",
			     sizeof(sun.sun_path) - 1);
	if (strlen(o->control_socket) >= sizeof(sun.sun_path))
		return failf(err, errlen, "--control-socket path longer than %zu bytes",
			     sizeof(sun.sun_path) - 1);

	if (!valid_ifname(o->main_interface))
		return failf(err, errlen, "--main-interface: invalid interface name '%s'",
			     o->main_interface);
	for (size_t i = 0; i < o->interfaces.n; i++)
		if (!valid_ifname(o->interfaces.v[i]))
			return failf(err, errlen, "--interface: invalid interface name '%s'",
				     o->interfaces.v[i]);

	bool special = false;
	for (size_t i = 0; i < o->ip.n; i++) {
		const char *ip = o->ip.v[i];
		if (!strcmp(ip, "upnp") || !strcmp(ip, "any"))
			special = true;
		else if (!valid_ip(ip))
			return failf(err, errlen,
				     "--ip: '%s' is neither an IPv4/IPv6 address nor upnp/any", ip);
	}
	if (special && o->ip.n > 1)
		return failf(err, errlen, "--ip can be given only once with 'any' or 'upnp'");

	for (size_t i = 0; i < o->neighbours.n; i++) {
		const char *n = o->neighbours.v[i];
		char addr[INET6_ADDRSTRLEN];
		const char *slash = strchr(n, '/');
		size_t len = slash ? (size_t)(slash - n) : 0;
		unsigned char buf[16];
		char *end;
		unsigned long plen = slash ? strtoul(slash + 1, &end, 10) : 0;
		if (!slash || len >= sizeof(addr) || !slash[1] || *end || plen > 128)
			goto bad_neighbour;
		memcpy(addr, n, len);
		addr[len] = '\0';
		if (inet_pton(AF_INET6, addr, buf) != 1)
			goto bad_neighbour;
		continue;
bad_neighbour:
		return failf(err, errlen, "--neighbour: expected an IPv6 prefix ADDR/LEN, not '%s'",
			     n);
	}

	if (o->anchors.n > NETCONF_MAX_ANCHORS)
		return failf(err, errlen, "--anchor: at most %d prefixes", NETCONF_MAX_ANCHORS);
	for (size_t i = 0; i < o->anchors.n; i++) {
		struct re6st_prefix p;
		if (prefix_parse(o->anchors.v[i], &p) < 0)
			return failf(err, errlen, "--anchor: expected an IPv6 prefix ADDR/LEN, not '%s'",
				     o->anchors.v[i]);
	}

	if (o->country && (strlen(o->country) != 2 || !isalpha((unsigned char)o->country[0]) ||
			   !isalpha((unsigned char)o->country[1])))
		return failf(err, errlen, "--country: expected a two-letter code, not '%s'",
			     o->country);
	if (o->country) {
		o->country[0] = (char)toupper((unsigned char)o->country[0]);
		o->country[1] = (char)toupper((unsigned char)o->country[1]);
	}

	if (o->gateway && o->default_route)
		return failf(err, errlen, "conflicting options --default and --gateway");

	if (o->n_tunnel_types == 0) {
		o->tunnel_types[0] = TUNNEL_TYPE_WIREGUARD;
		o->n_tunnel_types = 1;
	}
	if (!o->wg_port_first) {
		o->wg_port_first = 41000;
		o->wg_port_last = 41099;
	}
	if (!o->fou_port)
		o->fou_port = 5555;
	if (!o->peer_port)
		o->peer_port = 326;
	if (!o->tcp_port)
		o->tcp_port = 326;
	if (o->max_clients > 0 &&
	    (unsigned)(o->wg_port_last - o->wg_port_first) + 1 < (unsigned)o->max_clients)
		return failf(err, errlen,
			     "--wg-port-range %u-%u has fewer ports than --max-clients %d",
			     o->wg_port_first, o->wg_port_last, o->max_clients);
	if (o->fou_port >= o->wg_port_first && o->fou_port <= o->wg_port_last)
		return failf(err, errlen, "--fou-port %u lies inside --wg-port-range", o->fou_port);
	return 0;
}

int options_parse_argv(struct options *o, int argc, char *const argv[], char *err, size_t errlen)
{
	struct conf_parser p;
	conf_parser_init(&p, options_table, options_table_size, o, err, errlen);
	int r = conf_parser_argv(&p, argc, argv);
	if (r < 0)
		return r == -ENOMEM ? r : -EINVAL;
	if (o->help) {
		options_help(stdout);
		return 1;
	}
	if (o->version) {
		printf("re6stnet %s\n", RE6ST_VERSION);
		return 1;
	}
	return options_finish(o, err, errlen);
}

void options_help(FILE *f)
{
	fprintf(f,
		"Usage: re6stnet [OPTION]... [@FILE]...\n"
		"Resilient IPv6 overlay node: keeps a random mesh of kernel tunnels to other\n"
		"nodes of the network and routes over it with babeld.\n"
		"\n"
		"@FILE reads options from FILE, one \"name value\" per line (long option names\n"
		"without dashes, '#' comments), e.g. the re6stnet.conf written by re6st-conf:\n"
		"    re6stnet @/etc/re6stnet/re6stnet.conf\n"
		"Long options may be abbreviated on the command line while unambiguous.\n"
		"\n");
	conf_print_help(f, options_table, options_table_size);
	fprintf(f, "\nSee re6stnet(8). Exit status: 0 clean stop, 1 runtime failure, 2 bad "
		   "configuration.\n");
}
