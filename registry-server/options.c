/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <arpa/inet.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "log.h"
#include "macro.h"
#include "netconf.h"
#include "options.h"

#define DEFAULT_DB RE6ST_STATEDIR "/registry.db"
#define PROTOCOL_VERSION 1

static int parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *ret)
{
	char *end;
	errno = 0;
	if (!s[0] || s[0] == '-' || s[0] == '+')
		return -EINVAL;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return -EINVAL;
	*ret = v;
	return 0;
}

static int bad_uint(const char *s, uint64_t min, uint64_t max, char *err, size_t errlen)
{
	snprintf(err, errlen, "expected an integer in %" PRIu64 "..%" PRIu64 ", not '%.64s'", min,
		 max, s);
	return -EINVAL;
}

/* A parser per integer option: its range and its field's own type. */
#define UINT_PARSER(fn, field, lo, hi)                                                     \
	static int fn(void *target, const char *value, char *err, size_t errlen)           \
	{                                                                                  \
		struct registry_cmdline *c = target;                                       \
		uint64_t v;                                                                \
		if (parse_u64(value, lo, hi, &v) < 0)                                      \
			return bad_uint(value, lo, hi, err, errlen);                       \
		c->opt.field = (__typeof__(c->opt.field))v;                                \
		return 0;                                                                  \
	}
UINT_PARSER(parse_port, port, 1, 65535)
UINT_PARSER(parse_prefix_length, prefix_length, 0, 127)
UINT_PARSER(parse_anon_prefix_length, anonymous_prefix_length, 0, 127)
UINT_PARSER(parse_min_protocol, min_protocol, 1, PROTOCOL_VERSION)
UINT_PARSER(parse_grace, grace_period, 0, UINT32_MAX)
UINT_PARSER(parse_hello, hello, 1, 3600)
UINT_PARSER(parse_client_count, client_count, 0, 1000)
UINT_PARSER(parse_tunnel_refresh, tunnel_refresh, 1, 86400)
UINT_PARSER(parse_threads, threads, 1, 64)
UINT_PARSER(parse_max_connections, max_connections, 1, 100000)
UINT_PARSER(parse_timeout, timeout, 1, 3600)
UINT_PARSER(parse_max_body, max_body, 256, 1 << 20)
UINT_PARSER(parse_cert_duration, cert_duration, 1, 20 * 365 * 86400ull)
UINT_PARSER(parse_peer_ttl, peer_ttl, 1, 86400)
UINT_PARSER(parse_drain_limit, drain_limit, 1, 864000)
UINT_PARSER(parse_link_cost, link_cost, NETCONF_MIN_LINK_COST, NETCONF_MAX_LINK_COST)
UINT_PARSER(parse_smoothing, smoothing, 0, NETCONF_MAX_SMOOTHING)
UINT_PARSER(parse_dead_after, dead_after, 1, NETCONF_MAX_DEAD_AFTER)
UINT_PARSER(parse_max_per_address, max_per_address, 1, 100000)
UINT_PARSER(parse_request_deadline, request_deadline, 1, 3600)
UINT_PARSER(parse_connection_memory, connection_memory, 8192, 16 << 20)
UINT_PARSER(parse_anonymous_rate, anonymous_rate, 0, 1000000)
UINT_PARSER(parse_token_rate, token_rate, 0, 1000000)

#define SHARE_PARSER(fn, field, what, nonzero)                                             \
	static int fn(void *target, const char *value, char *err, size_t errlen)           \
	{                                                                                  \
		return netconf_parse_share_option(value, nonzero, what,                    \
						  &((struct registry_cmdline *)target)->opt.field, \
						  err, errlen);                                    \
	}
SHARE_PARSER(parse_rotate_share, rotate_share, "share from 0 to 1", false)
SHARE_PARSER(parse_busy_share, busy_share, "share from 0 to 1", false)
SHARE_PARSER(parse_busy_weight, busy_weight, "weight above 0, at most 1", true)
SHARE_PARSER(parse_anchor_share, anchor_share, "share from 0 to 1", false)

static int parse_anchor(void *target, const char *value, char *err, size_t errlen)
{
	struct registry_options *o = &((struct registry_cmdline *)target)->opt;
	if (o->n_anchors >= NETCONF_MAX_ANCHORS) {
		snprintf(err, errlen, "more than %d anchors", NETCONF_MAX_ANCHORS);
		return -EINVAL;
	}
	if (prefix_parse(value, &o->anchors[o->n_anchors]) < 0) {
		snprintf(err, errlen, "expected an IPv6 prefix ADDR/LEN, not '%.64s'", value);
		return -EINVAL;
	}
	o->n_anchors++;
	return 0;
}

static int parse_max_clients(void *target, const char *value, char *err, size_t errlen)
{
	struct registry_cmdline *c = target;
	uint64_t v;
	if (parse_u64(value, 0, 10000, &v) < 0)
		return bad_uint(value, 0, 10000, err, errlen);
	c->opt.max_clients = (unsigned)v;
	c->max_clients_set = true;
	return 0;
}

/* -4/-6: an address, or '' to listen on no address of that family. */
static int set_bind(char **field, const char *value)
{
	char *s = strdup(value);
	if (!s)
		return -ENOMEM;
	free(*field);
	*field = s;
	return 0;
}

static int parse_bind4(void *target, const char *value, char *err, size_t errlen)
{
	unsigned char a[4];
	if (*value && inet_pton(AF_INET, value, a) != 1) {
		snprintf(err, errlen, "'%.64s' is not an IPv4 address", value);
		return -EINVAL;
	}
	return set_bind(&((struct registry_cmdline *)target)->opt.bind4, value);
}

static int parse_bind6(void *target, const char *value, char *err, size_t errlen)
{
	unsigned char a[16];
	if (*value && inet_pton(AF_INET6, value, a) != 1) {
		snprintf(err, errlen, "'%.64s' is not an IPv6 address", value);
		return -EINVAL;
	}
	return set_bind(&((struct registry_cmdline *)target)->opt.bind6, value);
}

/* --ipv4 NET/N SUBLEN: two words, as in the original. */
static int parse_ipv4(void *target, const char *value, char *err, size_t errlen)
{
	struct registry_options *o = &((struct registry_cmdline *)target)->opt;
	char net[INET_ADDRSTRLEN];
	const char *slash = strchr(value, '/'), *space = strchr(value, ' ');
	uint64_t n, sub;
	if (!slash || !space || slash > space || (size_t)(slash - value) >= sizeof(net))
		goto bad;
	memcpy(net, value, (size_t)(slash - value));
	net[slash - value] = '\0';
	char len[8];
	if ((size_t)(space - slash - 1) >= sizeof(len))
		goto bad;
	memcpy(len, slash + 1, (size_t)(space - slash - 1));
	len[space - slash - 1] = '\0';
	if (inet_pton(AF_INET, net, o->ipv4_net) != 1 || parse_u64(len, 1, 32, &n) < 0 ||
	    parse_u64(space + 1, n, 32, &sub) < 0)
		goto bad;
	o->has_ipv4 = true;
	o->ipv4_len = (unsigned)n;
	o->ipv4_sublen = (unsigned)sub;
	return 0;
bad:
	snprintf(err, errlen, "expected NET/N SUBLEN (e.g. 10.42.0.0/16 24, N <= SUBLEN <= 32),"
			      " not '%.64s'", value);
	return -EINVAL;
}

static int parse_origin(void *target, const char *value, char *err, size_t errlen)
{
	struct registry_options *o = &((struct registry_cmdline *)target)->opt;
	unsigned char tmp[16];
	if (inet_pton(AF_INET, value, tmp) != 1 && inet_pton(AF_INET6, value, tmp) != 1) {
		snprintf(err, errlen, "'%.64s' is not an IP address", value);
		return -EINVAL;
	}
	if (o->n_origins >= MAX_ORIGINS) {
		snprintf(err, errlen, "more than %d addresses", MAX_ORIGINS);
		return -EINVAL;
	}
	o->origins[o->n_origins] = strdup(value);
	if (!o->origins[o->n_origins])
		return -ENOMEM;
	o->n_origins++;
	return 0;
}

static int parse_same_country(void *target, const char *value, char *err, size_t errlen)
{
	struct registry_options *o = &((struct registry_cmdline *)target)->opt;
	char *n = NULL;
	if (strlen(value) != 2 || value[0] < 'A' || value[0] > 'Z' || value[1] < 'A' ||
	    value[1] > 'Z') {
		snprintf(err, errlen, "'%.64s' is not a two-letter country code (upper case)",
			 value);
		return -EINVAL;
	}
	if (asprintf(&n, "%s%s%s", o->same_country ? o->same_country : "",
		     o->same_country ? "," : "", value) < 0)
		return -ENOMEM;
	free(o->same_country);
	o->same_country = n;
	return 0;
}

static int parse_tunnel_types(void *target, const char *value, char *err, size_t errlen)
{
	struct registry_options *o = &((struct registry_cmdline *)target)->opt;
	_cleanup_free_ char *copy = strdup(value);
	char *save = NULL;
	uint32_t t = 0;

	if (!copy)
		return -ENOMEM;
	for (char *w = strtok_r(copy, ",", &save); w; w = strtok_r(NULL, ",", &save)) {
		if (strcmp(w, "wireguard") == 0)
			t |= TUNNEL_WIREGUARD;
		else if (strcmp(w, "gre") == 0)
			t |= TUNNEL_GRE;
		else if (strcmp(w, "fou") == 0)
			t |= TUNNEL_FOU;
		else
			t = UINT32_MAX;
	}
	if (!t || t == UINT32_MAX) {
		snprintf(err, errlen, "'%.64s': expected a comma-separated list of wireguard,gre,fou",
			 value);
		return -EINVAL;
	}
	o->tunnel_types = t;
	return 0;
}

static int parse_verbose(void *target, const char *value, char *err, size_t errlen)
{
	static const int map[] = { LOG_CRIT, LOG_WARNING, LOG_INFO, LOG_DEBUG, LOG_DEBUG };
	struct registry_cmdline *c = target;
	int level;
	if (value[0] >= '0' && value[0] <= '4' && !value[1])
		level = map[value[0] - '0'];
	else
		level = log_level_from_string(value);
	if (level < 0) {
		snprintf(err, errlen, "expected error, warning, notice, info, debug or 0..4,"
				      " not '%.64s'", value);
		return -EINVAL;
	}
	c->level = level;
	return 0;
}

#define OFF(f) offsetof(struct registry_cmdline, f)
#define STR_OPT(n, s, f, mv, h) { n, s, CONF_STRING, OFF(f), 0, 0, NULL, mv, h }
#define FLAG_OPT(n, s, f, h) { n, s, CONF_FLAG, OFF(f), 0, 0, NULL, NULL, h }
#define FN_OPT(n, s, fn, mv, h) { n, s, CONF_CUSTOM, 0, 0, 0, fn, mv, h }

/* In the order of --help's sections (see sections below). */
const struct conf_option registry_options_table[] = {
	STR_OPT("create-network", 0, create_network, "PREFIX/LEN",
		"Create a network: write a new registry key (--key, mode 0600) and CA (--ca) "
		"for PREFIX/LEN, print the CA fingerprint and exit. Existing files are kept."),

	FN_OPT("port", 0, parse_port, "PORT", "TCP port to listen on. Default: 80"),
	FN_OPT(NULL, '4', parse_bind4, "ADDR",
	       "IPv4 address to bind. Default: 0.0.0.0; '' disables IPv4."),
	FN_OPT(NULL, '6', parse_bind6, "ADDR", "IPv6 address to bind. Default: ::; '' disables IPv6."),
	STR_OPT("db", 0, opt.db_path, "PATH",
		"SQLite database, created if missing. Default: " DEFAULT_DB),
	STR_OPT("ca", 0, opt.ca_path, "PATH", "CA file of the network (required)."),
	STR_OPT("key", 0, opt.key_path, "PATH", "Registry private key (required)."),
	FN_OPT("authorized-origin", 0, parse_origin, "IP",
	       "Address allowed to call private RPCs; repeatable. 127.0.0.1 and ::1 always are."),
	FN_OPT("threads", 0, parse_threads, "N", "HTTP worker threads. Default: 2"),
	FN_OPT("max-connections", 0, parse_max_connections, "N",
	       "Concurrent connections. Default: 1024"),
	FN_OPT("timeout", 0, parse_timeout, "SEC", "Idle or slow connection timeout. Default: 15"),
	FN_OPT("max-body", 0, parse_max_body, "BYTES", "Largest request body. Default: 16384"),
	FN_OPT("max-per-address", 0, parse_max_per_address, "N",
	       "Concurrent connections from one address (authorized origins exempt). "
	       "Default: 32"),
	FN_OPT("request-deadline", 0, parse_request_deadline, "SEC",
	       "Time a connection has to send each whole request, headers and body, or to "
	       "stay idle. Default: 10"),
	FN_OPT("connection-memory", 0, parse_connection_memory, "BYTES",
	       "Memory per connection for its request. Default: 65536"),
	FN_OPT("anonymous-rate", 0, parse_anonymous_rate, "N",
	       "Anonymous registrations per hour from one address (IPv6: one /64); 0: no "
	       "limit. Default: 10"),
	FN_OPT("token-rate", 0, parse_token_rate, "N",
	       "Tokens mailed per hour at the request of one address (IPv6: one /64), and "
	       "per hour to one e-mail address; 0: no limit. Default: 5"),
	FN_OPT("verbose", 'v', parse_verbose, "LEVEL",
	       "error, warning, notice, info (default) or debug; or the original's 0..4 "
	       "(1 warning, 2 info, 3 debug)."),
	STR_OPT("log", 'l', log_path, "PATH",
		"Log to this file instead of stderr (reopened on SIGHUP)."),

	STR_OPT("mailhost", 0, opt.mailhost, "HOST",
		"SMTP server for token mails (smtp://, smtps://, or host[:port]); an absolute "
		"or existing path is an mbox file the mails are appended to. Unset: no "
		"requestToken."),
	STR_OPT("smtp-user", 0, opt.smtp_user, "USER", "SMTP login."),
	STR_OPT("smtp-pwd", 0, opt.smtp_pwd, "PWD", "SMTP password."),
	FLAG_OPT("smtp-starttls", 0, opt.smtp_starttls, "Require STARTTLS."),
	STR_OPT("mail-from", 0, opt.mail_from, "ADDR",
		"Sender of token mails. Default: re6st-registry@localhost"),
	FN_OPT("prefix-length", 0, parse_prefix_length, "N",
	       "Length of the prefixes given by token; 0 disables registration by token. "
	       "Default: 16"),
	FN_OPT("anonymous-prefix-length", 0, parse_anon_prefix_length, "N",
	       "Length of anonymous prefixes; 0 or unset disables anonymous registration."),
	STR_OPT("community", 0, opt.community_path, "FILE",
		"Communities: lines 'BITS LOCATION...' (FR, @EU, *)."),
	FN_OPT("grace-period", 0, parse_grace, "SEC",
	       "Keep expired certificates and tokens that long before purging them. "
	       "Default: 8640000 (100 days)"),
	FN_OPT("cert-duration", 0, parse_cert_duration, "SEC",
	       "Certificate validity. Default: 31536000 (1 year); shorter values are for tests."),

	FN_OPT("hello", 0, parse_hello, "SEC", "babel hello interval on tunnels. Default: 1"),
	FN_OPT("link-cost", 0, parse_link_cost, "COST",
	       "babel cost of a loss-free tunnel (link quality estimated: a lossy one costs "
	       "COST x ETX; 256 to 4096). Default: 512"),
	FN_OPT("smoothing", 0, parse_smoothing, "SEC",
	       "babel smoothing half-life of route metrics (route-selection hysteresis); "
	       "0 none. Default: 8"),
	FN_OPT("dead-after", 0, parse_dead_after, "SEC",
	       "A tunnel that received nothing that long is dead: freed at once. "
	       "Default: 3"),
	FN_OPT("client-count", 0, parse_client_count, "N",
	       "Tunnels each node sets up. Default: 10"),
	FN_OPT("max-clients", 0, parse_max_clients, "N",
	       "Tunnels a node accepts. Default: 2 x client-count"),
	FN_OPT("tunnel-refresh", 0, parse_tunnel_refresh, "SEC",
	       "Interval between tunnel refreshes. Default: 300"),
	FN_OPT("same-country", 0, parse_same_country, "CODE",
	       "Forbid tunnels across the borders of CODE; repeatable."),
	FN_OPT("rotate-share", 0, parse_rotate_share, "SHARE",
	       "Expected share of its client tunnels a node destroys every tunnel-refresh, "
	       "chosen at random. Default: 0.3"),
	FN_OPT("busy-share", 0, parse_busy_share, "SHARE",
	       "Share of a node's tunnels carrying the most routes counted busy. Default: 0.2"),
	FN_OPT("busy-weight", 0, parse_busy_weight, "WEIGHT",
	       "A busy tunnel's chance to be destroyed relative to the others (above 0). "
	       "Default: 0.25"),
	FN_OPT("drain-limit", 0, parse_drain_limit, "SEC",
	       "A tunnel routes still use this long after its drain began is destroyed "
	       "anyway. Default: 3600"),
	FN_OPT("anchor", 0, parse_anchor, "PREFIX",
	       "Anchor prefix inside the network (nodes in well-known places); repeatable."),
	FN_OPT("anchor-share", 0, parse_anchor_share, "SHARE",
	       "Share of new tunnels that go to anchors. Default: 0.3"),
	FN_OPT("tunnel-types", 0, parse_tunnel_types, "LIST",
	       "Allowed tunnel types among wireguard,gre,fou. Default: wireguard"),
	{ "ipv4", 0, CONF_PAIR, 0, 0, 0, parse_ipv4, "NET/N SUBLEN",
	  "Enable IPv4: each node gets a /SUBLEN inside NET/N." },
	FN_OPT("min-protocol", 0, parse_min_protocol, "N",
	       "Reject nodes older than protocol N. Default: 1"),
	FN_OPT("peer-ttl", 0, parse_peer_ttl, "SEC",
	       "Forget announced endpoints after SEC. Default: 900"),

	FLAG_OPT("help", 'h', help, "Show this help and exit."),
	FLAG_OPT("version", 'V', version, "Show the version and exit."),
};
const size_t registry_options_table_size = ARRAY_SIZE(registry_options_table);

int registry_cmdline_init(struct registry_cmdline *c)
{
	*c = (struct registry_cmdline){
		.opt = {
			.port = 80,
			.prefix_length = 16,
			.min_protocol = PROTOCOL_VERSION,
			.grace_period = DEFAULT_GRACE_PERIOD,
			.hello = NETCONF_DEFAULT_HELLO,
			.client_count = NETCONF_DEFAULT_CLIENT_COUNT,
			.tunnel_refresh = NETCONF_DEFAULT_TUNNEL_REFRESH,
			.tunnel_types = NETCONF_DEFAULT_TUNNEL_TYPES,
			.rotate_share = NETCONF_DEFAULT_ROTATE_SHARE,
			.busy_share = NETCONF_DEFAULT_BUSY_SHARE,
			.busy_weight = NETCONF_DEFAULT_BUSY_WEIGHT,
			.anchor_share = NETCONF_DEFAULT_ANCHOR_SHARE,
			.drain_limit = NETCONF_DEFAULT_DRAIN_LIMIT,
			.link_cost = NETCONF_DEFAULT_LINK_COST,
			.smoothing = NETCONF_DEFAULT_SMOOTHING,
			.dead_after = NETCONF_DEFAULT_DEAD_AFTER,
			.cert_duration = DEFAULT_CERT_DURATION,
			.threads = 2,
			.max_connections = 1024,
			.timeout = 15,
			.max_body = 16384,
			.peer_ttl = 900,
			.max_per_address = 32,
			.request_deadline = 10,
			.connection_memory = 65536,
			.anonymous_rate = 10,
			.token_rate = 5,
		},
		.level = LOG_INFO,
	};
	static const char *const origins[] = { "127.0.0.1", "::1" };
	for (size_t i = 0; i < ARRAY_SIZE(origins); i++) {
		c->opt.origins[i] = strdup(origins[i]);
		if (!c->opt.origins[i])
			return -ENOMEM;
		c->opt.n_origins++;
	}
	return 0;
}

void registry_cmdline_done(struct registry_cmdline *c)
{
	struct registry_options *o = &c->opt;
	char **strings[] = { &o->bind4, &o->bind6, &o->db_path, &o->ca_path, &o->key_path,
			     &o->mailhost, &o->smtp_user, &o->smtp_pwd, &o->mail_from,
			     &o->community_path, &o->same_country, &c->create_network,
			     &c->log_path };
	for (size_t i = 0; i < ARRAY_SIZE(strings); i++) {
		free(*strings[i]);
		*strings[i] = NULL;
	}
	for (unsigned i = 0; i < o->n_origins; i++)
		free(o->origins[i]);
	o->n_origins = 0;
}

static int set_default(char **field, const char *value)
{
	if (*field)
		return 0;
	*field = strdup(value);
	return *field ? 0 : -ENOMEM;
}

int registry_cmdline_parse(struct registry_cmdline *c, int argc, char *const argv[], char *err,
			   size_t errlen)
{
	struct conf_parser p;
	conf_parser_init(&p, registry_options_table, registry_options_table_size, c, err, errlen);
	int r = conf_parser_argv(&p, argc, argv);
	if (r < 0)
		return r == -ENOMEM ? r : -EINVAL;
	if (c->help) {
		registry_cmdline_help(stdout);
		return 1;
	}
	if (c->version) {
		printf("re6st-registry %s\n", RE6ST_VERSION);
		return 1;
	}
	if (!c->opt.ca_path || !c->opt.key_path) {
		snprintf(err, errlen, "--ca and --key are required");
		return -EINVAL;
	}
	if (!c->max_clients_set)
		c->opt.max_clients = 2 * c->opt.client_count;
	if ((r = set_default(&c->opt.bind4, "0.0.0.0")) < 0 ||
	    (r = set_default(&c->opt.bind6, "::")) < 0 ||
	    (r = set_default(&c->opt.db_path, DEFAULT_DB)) < 0)
		return r;
	if (!c->opt.bind4[0] && !c->opt.bind6[0]) {
		snprintf(err, errlen, "-4 and -6 both empty: nothing to listen on");
		return -EINVAL;
	}
	return 0;
}

void registry_cmdline_help(FILE *f)
{
	static const struct {
		const char *title, *first;
	} sections[] = {
		{ "Network creation", "create-network" },
		{ "Server", "port" },
		{ "Registration", "mailhost" },
		{ "Network parameters pushed to nodes (signed network configuration)", "hello" },
		{ NULL, "help" },
	};
	fprintf(f, "Usage: re6st-registry --ca FILE --key FILE [OPTION]... [@FILE]...\n"
		   "       re6st-registry --create-network PREFIX/LEN --ca FILE --key FILE\n"
		   "\n"
		   "re6st registry: issues node certificates and IPv6 prefixes, serves the\n"
		   "signed network configuration, revokes nodes and rotates babel HMAC keys.\n"
		   "\n"
		   "@FILE reads options from FILE, one \"name value\" per line (long option names\n"
		   "in full, without dashes; '#' comments). Long options may be abbreviated on\n"
		   "the command line while unambiguous.\n");
	size_t start = 0;
	for (size_t s = 0; s < ARRAY_SIZE(sections); s++) {
		size_t end = registry_options_table_size;
		for (size_t i = 0; s + 1 < ARRAY_SIZE(sections) && i < end; i++) {
			const char *n = registry_options_table[i].name;
			if (n && !strcmp(n, sections[s + 1].first))
				end = i;
		}
		fprintf(f, "\n");
		if (sections[s].title)
			fprintf(f, "%s:\n", sections[s].title);
		conf_print_help(f, registry_options_table + start, end - start);
		start = end;
	}
	fprintf(f, "\nPrivate RPCs (addToken, revoke, updateHMAC, ...) are answered only to\n"
		   "--authorized-origin addresses: curl 'http://[::1]:PORT/revoke?cn_or_serial=7'.\n"
		   "See re6st-registry(8) and docs/registry-api.md.\n"
		   "Exit status: 0 success, 1 runtime failure, 2 bad command line or configuration.\n");
}
