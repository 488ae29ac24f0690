/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * re6st-registry: certificate authority, prefix allocator and network
 * configuration server of a re6st network.
 */
#include <arpa/inet.h>
#include <curl/curl.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <microhttpd.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "community.h"
#include "config.h"
#include "db.h"
#include "fileio.h"
#include "http.h"
#include "identity.h"
#include "log.h"
#include "macro.h"
#include "netconf.h"
#include "prefix.h"
#include "registry.h"
#include "remote-log.h"
#include "statedir.h"

#define DEFAULT_DB RE6ST_STATEDIR "/registry.db"
#define PROTOCOL_VERSION 1

static void help(void)
{
	printf("Usage: re6st-registry --ca FILE --key FILE [OPTIONS]\n"
	       "       re6st-registry --create-network PREFIX/LEN --ca FILE --key FILE\n"
	       "\n"
	       "re6st registry: issues node certificates and IPv6 prefixes, serves the\n"
	       "signed network configuration, revokes nodes and rotates babel HMAC keys.\n"
	       "\n"
	       "Network creation:\n"
	       "  --create-network PREFIX/LEN  create a network: write a new registry key\n"
	       "                      (--key, mode 0600) and CA (--ca) for PREFIX/LEN, print\n"
	       "                      the CA fingerprint and exit. Existing files are kept.\n"
	       "\n"
	       "Server:\n"
	       "  --port PORT         TCP port to listen on (default 80)\n"
	       "  -4 ADDR             IPv4 address to bind (default 0.0.0.0; '' disables)\n"
	       "  -6 ADDR             IPv6 address to bind (default ::; '' disables)\n"
	       "  --db PATH           SQLite database (default " DEFAULT_DB "),\n"
	       "                      created if missing\n"
	       "  --ca PATH           CA file of the network (required)\n"
	       "  --key PATH          registry private key (required)\n"
	       "  --authorized-origin IP  address allowed to call private RPCs; repeatable\n"
	       "                      (default 127.0.0.1 and ::1, always included)\n"
	       "  --threads N         HTTP worker threads (default 2)\n"
	       "  --max-connections N concurrent connections (default 1024)\n"
	       "  --timeout SEC       idle/slow connection timeout (default 15)\n"
	       "  --max-body BYTES    largest request body (default 16384)\n"
	       "  --max-per-address N concurrent connections from one address (default 32)\n"
	       "  --request-deadline SEC  time a connection has to send each whole request,\n"
	       "                      headers and body, or to stay idle (default 10)\n"
	       "  --connection-memory BYTES  memory per connection for its request\n"
	       "                      (default 65536)\n"
	       "  -v, --verbose LEVEL error|warning|notice|info|debug, or the original's\n"
	       "                      0..4 (1=warning, 2=info, 3=debug; default info)\n"
	       "  -l, --log PATH      log to this file instead of stderr\n"
	       "\n"
	       "Registration:\n"
	       "  --mailhost HOST     SMTP server for token mails (smtp://, smtps://, or\n"
	       "                      host[:port]); an absolute or existing path is an mbox\n"
	       "                      file the mails are appended to. Unset: no requestToken\n"
	       "  --smtp-user USER    SMTP login\n"
	       "  --smtp-pwd PWD      SMTP password\n"
	       "  --smtp-starttls     require STARTTLS\n"
	       "  --mail-from ADDR    sender of token mails (default re6st-registry@localhost)\n"
	       "  --prefix-length N   length of prefixes given by token (default 16);\n"
	       "                      0 disables registration by token\n"
	       "  --anonymous-prefix-length N  length of anonymous prefixes; 0 or unset\n"
	       "                      disables anonymous registration\n"
	       "  --anonymous-rate N  anonymous registrations per hour from one address\n"
	       "                      (IPv6: one /64; default 10; 0: no limit)\n"
	       "  --community FILE    communities: lines 'BITS LOCATION...' (FR, @EU, *)\n"
	       "  --grace-period SEC  keep expired certificates and tokens that long before\n"
	       "                      purging them (default 8640000 = 100 days)\n"
	       "  --cert-duration SEC certificate validity (default 31536000 = 1 year;\n"
	       "                      shorter values are for tests)\n"
	       "\n"
	       "Network parameters pushed to nodes (signed network configuration):\n"
	       "  --hello SEC         babel hello interval (default 15)\n"
	       "  --client-count N    tunnels each node sets up (default 10)\n"
	       "  --max-clients N     tunnels a node accepts (default 2 x client-count)\n"
	       "  --tunnel-refresh SEC  interval between tunnel refreshes (default 300)\n"
	       "  --same-country CODE forbid tunnels across the borders of CODE; repeatable\n"
	       "  --tunnel-types LIST allowed tunnel types among wireguard,gre,fou\n"
	       "                      (default wireguard)\n"
	       "  --ipv4 NET/N SUBLEN enable IPv4: each node gets a /SUBLEN inside NET/N\n"
	       "  --min-protocol N    reject nodes older than protocol N (default 1)\n"
	       "  --peer-ttl SEC      forget announced endpoints after SEC (default 900)\n"
	       "\n"
	       "  -h, --help          show this help\n"
	       "  -V, --version       show the version\n"
	       "\n"
	       "Private RPCs (addToken, revoke, updateHMAC, ...) are answered only to\n"
	       "--authorized-origin addresses: curl 'http://[::1]:PORT/revoke?cn_or_serial=7'.\n"
	       "See re6st-registry(8) and docs/registry-api.md.\n");
}

enum {
	OPT_PORT = 256, OPT_DB, OPT_CA, OPT_KEY, OPT_MAILHOST, OPT_SMTP_USER, OPT_SMTP_PWD,
	OPT_SMTP_STARTTLS, OPT_MAIL_FROM, OPT_PREFIX_LENGTH, OPT_ANON_PREFIX_LENGTH, OPT_IPV4,
	OPT_MIN_PROTOCOL, OPT_ORIGIN, OPT_COMMUNITY, OPT_GRACE, OPT_HELLO, OPT_CLIENT_COUNT,
	OPT_MAX_CLIENTS, OPT_TUNNEL_REFRESH, OPT_SAME_COUNTRY, OPT_TUNNEL_TYPES, OPT_CREATE,
	OPT_THREADS, OPT_MAX_CONN, OPT_TIMEOUT, OPT_MAX_BODY, OPT_CERT_DURATION, OPT_PEER_TTL,
	/* issue 11: abuse limits */
	OPT_MAX_PER_ADDR, OPT_REQ_DEADLINE, OPT_CONN_MEMORY, OPT_ANON_RATE,
};

static const struct option options[] = {
	{ "port", required_argument, NULL, OPT_PORT },
	{ "db", required_argument, NULL, OPT_DB },
	{ "ca", required_argument, NULL, OPT_CA },
	{ "key", required_argument, NULL, OPT_KEY },
	{ "mailhost", required_argument, NULL, OPT_MAILHOST },
	{ "smtp-user", required_argument, NULL, OPT_SMTP_USER },
	{ "smtp-pwd", required_argument, NULL, OPT_SMTP_PWD },
	{ "smtp-starttls", no_argument, NULL, OPT_SMTP_STARTTLS },
	{ "mail-from", required_argument, NULL, OPT_MAIL_FROM },
	{ "prefix-length", required_argument, NULL, OPT_PREFIX_LENGTH },
	{ "anonymous-prefix-length", required_argument, NULL, OPT_ANON_PREFIX_LENGTH },
	{ "ipv4", required_argument, NULL, OPT_IPV4 },
	{ "min-protocol", required_argument, NULL, OPT_MIN_PROTOCOL },
	{ "authorized-origin", required_argument, NULL, OPT_ORIGIN },
	{ "community", required_argument, NULL, OPT_COMMUNITY },
	{ "grace-period", required_argument, NULL, OPT_GRACE },
	{ "hello", required_argument, NULL, OPT_HELLO },
	{ "client-count", required_argument, NULL, OPT_CLIENT_COUNT },
	{ "max-clients", required_argument, NULL, OPT_MAX_CLIENTS },
	{ "tunnel-refresh", required_argument, NULL, OPT_TUNNEL_REFRESH },
	{ "same-country", required_argument, NULL, OPT_SAME_COUNTRY },
	{ "tunnel-types", required_argument, NULL, OPT_TUNNEL_TYPES },
	{ "create-network", required_argument, NULL, OPT_CREATE },
	{ "threads", required_argument, NULL, OPT_THREADS },
	{ "max-connections", required_argument, NULL, OPT_MAX_CONN },
	{ "timeout", required_argument, NULL, OPT_TIMEOUT },
	{ "max-body", required_argument, NULL, OPT_MAX_BODY },
	{ "cert-duration", required_argument, NULL, OPT_CERT_DURATION },
	{ "peer-ttl", required_argument, NULL, OPT_PEER_TTL },
	{ "max-per-address", required_argument, NULL, OPT_MAX_PER_ADDR },
	{ "request-deadline", required_argument, NULL, OPT_REQ_DEADLINE },
	{ "connection-memory", required_argument, NULL, OPT_CONN_MEMORY },
	{ "anonymous-rate", required_argument, NULL, OPT_ANON_RATE },
	{ "verbose", required_argument, NULL, 'v' },
	{ "log", required_argument, NULL, 'l' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{}
};

static int parse_uint(const char *opt, const char *s, uint64_t min, uint64_t max, uint64_t *ret)
{
	char *end;
	unsigned long long v;

	errno = 0;
	if (!s[0] || s[0] == '-' || s[0] == '+')
		goto bad;
	v = strtoull(s, &end, 10);
	if (errno || *end || v < min || v > max)
		goto bad;
	*ret = v;
	return 0;
bad:
	fprintf(stderr, "re6st-registry: %s: invalid value '%s' (expected %" PRIu64 "..%" PRIu64
			")\n", opt, s, min, max);
	return -EINVAL;
}

static int parse_tunnel_types(const char *s, uint32_t *ret)
{
	_cleanup_free_ char *copy = strdup(s);
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
			return -EINVAL;
	}
	if (!t)
		return -EINVAL;
	*ret = t;
	return 0;
}

static int parse_verbose(const char *s)
{
	if (s[0] >= '0' && s[0] <= '4' && !s[1]) {
		static const int map[] = { LOG_CRIT, LOG_WARNING, LOG_INFO, LOG_DEBUG, LOG_DEBUG };
		return map[s[0] - '0'];
	}
	return log_level_from_string(s);
}

static int create_network(const char *spec, const char *ca_path, const char *key_path)
{
	_cleanup_(key_freep) struct re6st_key *k = NULL;
	struct re6st_prefix net;
	struct re6st_ca ca;
	char fp[RE6ST_FP_HEXLEN], buf[PREFIX_STRLEN];
	int r;

	if (prefix_parse(spec, &net) < 0) {
		log_error("--create-network: '%s' is not an IPv6 prefix (e.g. 2001:db8:42::/48)"
			  " with host bits zero", spec);
		return -EINVAL;
	}
	if (access(ca_path, F_OK) == 0 || access(key_path, F_OK) == 0) {
		log_error("--create-network: %s or %s already exists; refusing to overwrite",
			  ca_path, key_path);
		return -EEXIST;
	}
	r = key_generate(false, &k);
	if (r < 0)
		return log_errno(LOG_ERR, r, "cannot generate the registry key");
	r = ca_create(&net, k, (uint64_t)time(NULL), &ca);
	if (r < 0)
		return log_errno(LOG_ERR, r, "cannot create a CA for %s (length must be 1..120)",
				 spec);
	r = key_save(k, key_path);
	if (r < 0)
		return log_errno(LOG_ERR, r, "cannot write %s", key_path);
	r = ca_save(&ca, ca_path);
	if (r < 0) {
		unlink(key_path);
		return log_errno(LOG_ERR, r, "cannot write %s", ca_path);
	}
	printf("Network %s created.\nCA: %s\nKey: %s (keep it secret)\nFingerprint: %s\n",
	       prefix_format(&net, buf), ca_path, key_path, ca_fingerprint_hex(&ca, fp));
	return 0;
}

static int load_communities(struct registry *reg)
{
	_cleanup_free_ char *text = NULL;
	size_t len;
	unsigned line = 0;
	const char *err = NULL;
	int r;

	if (!reg->opt.community_path)
		return community_default(&reg->communities);
	r = read_file_full(reg->opt.community_path, 1 << 20, &text, &len);
	if (r < 0)
		return log_errno(LOG_ERR, r, "cannot read %s", reg->opt.community_path);
	r = community_parse(text, len, &reg->communities, &line, &err);
	if (r == -EINVAL) {
		if (line)
			log_error("%s:%u: %s", reg->opt.community_path, line, err);
		else
			log_error("%s: %s", reg->opt.community_path, err);
	}
	return r;
}

struct setup_ctx {
	struct registry *reg;
	uint64_t now;
	char *err; /* out: why the communities do not fit */
};

enum { SETUP_OTHER_NETWORK = 1, SETUP_BAD_COMMUNITY };

static int setup_tx(struct db_tx *tx, void *arg)
{
	struct setup_ctx *c = arg;
	struct registry *reg = c->reg;
	_cleanup_free_ uint8_t *fp = NULL, *prefix = NULL;
	size_t fp_len, prefix_len;
	int r;

	r = db_config_get_blob(tx, "ca_fingerprint", &fp, &fp_len);
	if (r == -ENOENT) {
		/* A new database: this is the network's creation. */
		r = db_config_set_blob(tx, "ca_fingerprint", reg->ca.fingerprint, RE6ST_FP_LEN);
		if (r >= 0)
			r = registry_init_hmac(tx);
	} else if (r >= 0 && (fp_len != RE6ST_FP_LEN ||
			      memcmp(fp, reg->ca.fingerprint, RE6ST_FP_LEN) != 0))
		return SETUP_OTHER_NETWORK;
	if (r < 0)
		return r;
	r = db_tree_init(tx, &reg->communities, &c->err);
	if (r == -EINVAL)
		return SETUP_BAD_COMMUNITY;
	if (r < 0)
		return r;
	r = db_config_get_blob(tx, "prefix", &prefix, &prefix_len);
	if (r == 0 && prefix_len < sizeof(reg->registry_prefix)) {
		memcpy(reg->registry_prefix, prefix, prefix_len);
		reg->registry_prefix[prefix_len] = '\0';
		reg->has_registry_prefix = true;
	} else if (r < 0 && r != -ENOENT)
		return r;
	return registry_update_netconf(reg, tx, false, c->now);
}

static int setup_db(struct registry *reg, uint64_t now)
{
	struct setup_ctx c = { .reg = reg, .now = now };
	int r;

	r = db_open(reg->opt.db_path, &reg->db);
	if (r < 0)
		return log_errno(LOG_ERR, r, "cannot open database %s", reg->opt.db_path);
	r = db_tx(reg->db, reg->opt.db_path, setup_tx, &c);
	switch (r) {
	case 0:
		break;
	case SETUP_OTHER_NETWORK:
		log_error("database %s belongs to another network (CA fingerprint differs)",
			  reg->opt.db_path);
		r = -EXDEV;
		break;
	case SETUP_BAD_COMMUNITY:
		log_error("invalid community configuration: %s", c.err ? c.err : "?");
		r = -EINVAL;
		break;
	default:
		log_errno(LOG_ERR, r, "cannot initialise database %s", reg->opt.db_path);
	}
	free(c.err);
	return r;
}

static void registry_done(struct registry *reg)
{
	if (reg->netconf_response)
		MHD_destroy_response(reg->netconf_response);
	free(reg->netconf_armour);
	free(reg->netconf_bin);
	if (reg->db)
		db_close(reg->db);
	key_free(reg->ca_key);
	community_map_clear(&reg->communities);
	ratelimit_done(&reg->anon_rate);
	remote_log_done();
	pthread_mutex_destroy(&reg->anon_lock);
	pthread_mutex_destroy(&reg->lock);
}

int main(int argc, char **argv)
{
	struct registry reg = {
		.opt = {
			.port = 80,
			.bind4 = "0.0.0.0",
			.bind6 = "::",
			.db_path = DEFAULT_DB,
			.prefix_length = 16,
			.min_protocol = PROTOCOL_VERSION,
			.origins = { "127.0.0.1", "::1" },
			.n_origins = 2,
			.grace_period = DEFAULT_GRACE_PERIOD,
			.hello = NETCONF_DEFAULT_HELLO,
			.client_count = NETCONF_DEFAULT_CLIENT_COUNT,
			.tunnel_refresh = NETCONF_DEFAULT_TUNNEL_REFRESH,
			.tunnel_types = NETCONF_DEFAULT_TUNNEL_TYPES,
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
		},
	};
	struct registry_options *o = &reg.opt;
	const char *create = NULL, *log_path = NULL;
	_cleanup_free_ char *same_country = NULL;
	struct http_server *d4 = NULL, *d6 = NULL;
	_cleanup_close_ int lock_fd = -1;
	int level = LOG_INFO, c, r;
	bool max_clients_set = false;
	uint64_t v;
	sigset_t sigs;

	pthread_mutex_init(&reg.lock, NULL);
	pthread_mutex_init(&reg.anon_lock, NULL);
	while ((c = getopt_long(argc, argv, "4:6:v:l:hV", options, NULL)) != -1) {
		switch (c) {
		case '4': o->bind4 = optarg; break;
		case '6': o->bind6 = optarg; break;
		case OPT_PORT:
			if (parse_uint("--port", optarg, 1, 65535, &v) < 0)
				return 2;
			o->port = (unsigned)v;
			break;
		case OPT_DB: o->db_path = optarg; break;
		case OPT_CA: o->ca_path = optarg; break;
		case OPT_KEY: o->key_path = optarg; break;
		case OPT_MAILHOST: o->mailhost = optarg; break;
		case OPT_SMTP_USER: o->smtp_user = optarg; break;
		case OPT_SMTP_PWD: o->smtp_pwd = optarg; break;
		case OPT_SMTP_STARTTLS: o->smtp_starttls = true; break;
		case OPT_MAIL_FROM: o->mail_from = optarg; break;
		case OPT_PREFIX_LENGTH:
			if (parse_uint("--prefix-length", optarg, 0, 127, &v) < 0)
				return 2;
			o->prefix_length = (unsigned)v;
			break;
		case OPT_ANON_PREFIX_LENGTH:
			if (parse_uint("--anonymous-prefix-length", optarg, 0, 127, &v) < 0)
				return 2;
			o->anonymous_prefix_length = (unsigned)v;
			break;
		case OPT_IPV4: {
			/* Two arguments, like the original: --ipv4 NET/N SUBLEN */
			char *slash = strchr(optarg, '/');
			uint64_t n, sub;
			if (!slash || optind >= argc) {
				fprintf(stderr, "re6st-registry: --ipv4 expects NET/N SUBLEN\n");
				return 2;
			}
			*slash = '\0';
			if (inet_pton(AF_INET, optarg, o->ipv4_net) != 1 ||
			    parse_uint("--ipv4", slash + 1, 1, 32, &n) < 0 ||
			    parse_uint("--ipv4", argv[optind], n, 32, &sub) < 0) {
				fprintf(stderr, "re6st-registry: invalid argument --ipv4\n");
				return 2;
			}
			optind++;
			o->has_ipv4 = true;
			o->ipv4_len = (unsigned)n;
			o->ipv4_sublen = (unsigned)sub;
			break;
		}
		case OPT_MIN_PROTOCOL:
			if (parse_uint("--min-protocol", optarg, 1, PROTOCOL_VERSION, &v) < 0)
				return 2;
			o->min_protocol = (unsigned)v;
			break;
		case OPT_ORIGIN: {
			unsigned char tmp[16];
			if (inet_pton(AF_INET, optarg, tmp) != 1 &&
			    inet_pton(AF_INET6, optarg, tmp) != 1) {
				fprintf(stderr, "re6st-registry: --authorized-origin: '%s' is not an"
						" IP address\n", optarg);
				return 2;
			}
			if (o->n_origins >= MAX_ORIGINS) {
				fprintf(stderr, "re6st-registry: too many --authorized-origin\n");
				return 2;
			}
			o->origins[o->n_origins++] = optarg;
			break;
		}
		case OPT_COMMUNITY: o->community_path = optarg; break;
		case OPT_GRACE:
			if (parse_uint("--grace-period", optarg, 0, UINT32_MAX, &v) < 0)
				return 2;
			o->grace_period = v;
			break;
		case OPT_HELLO:
			if (parse_uint("--hello", optarg, 1, 3600, &v) < 0)
				return 2;
			o->hello = (unsigned)v;
			break;
		case OPT_CLIENT_COUNT:
			if (parse_uint("--client-count", optarg, 0, 1000, &v) < 0)
				return 2;
			o->client_count = (unsigned)v;
			break;
		case OPT_MAX_CLIENTS:
			if (parse_uint("--max-clients", optarg, 0, 10000, &v) < 0)
				return 2;
			o->max_clients = (unsigned)v;
			max_clients_set = true;
			break;
		case OPT_TUNNEL_REFRESH:
			if (parse_uint("--tunnel-refresh", optarg, 1, 86400, &v) < 0)
				return 2;
			o->tunnel_refresh = (unsigned)v;
			break;
		case OPT_SAME_COUNTRY: {
			char *n = NULL;
			if (strlen(optarg) != 2 || optarg[0] < 'A' || optarg[0] > 'Z' ||
			    optarg[1] < 'A' || optarg[1] > 'Z') {
				fprintf(stderr, "re6st-registry: --same-country: '%s' is not a"
						" two-letter country code\n", optarg);
				return 2;
			}
			if (asprintf(&n, "%s%s%s", same_country ? same_country : "",
				     same_country ? "," : "", optarg) < 0)
				return 1;
			free(same_country);
			same_country = n;
			o->same_country = n;
			break;
		}
		case OPT_TUNNEL_TYPES:
			if (parse_tunnel_types(optarg, &o->tunnel_types) < 0) {
				fprintf(stderr, "re6st-registry: --tunnel-types: '%s': expected a"
						" comma-separated list of wireguard,gre,fou\n", optarg);
				return 2;
			}
			break;
		case OPT_CREATE: create = optarg; break;
		case OPT_THREADS:
			if (parse_uint("--threads", optarg, 1, 64, &v) < 0)
				return 2;
			o->threads = (unsigned)v;
			break;
		case OPT_MAX_CONN:
			if (parse_uint("--max-connections", optarg, 1, 100000, &v) < 0)
				return 2;
			o->max_connections = (unsigned)v;
			break;
		case OPT_TIMEOUT:
			if (parse_uint("--timeout", optarg, 1, 3600, &v) < 0)
				return 2;
			o->timeout = (unsigned)v;
			break;
		case OPT_MAX_BODY:
			if (parse_uint("--max-body", optarg, 256, 1 << 20, &v) < 0)
				return 2;
			o->max_body = v;
			break;
		case OPT_CERT_DURATION:
			if (parse_uint("--cert-duration", optarg, 1, 20 * 365 * 86400ull, &v) < 0)
				return 2;
			o->cert_duration = v;
			break;
		case OPT_PEER_TTL:
			if (parse_uint("--peer-ttl", optarg, 1, 86400, &v) < 0)
				return 2;
			o->peer_ttl = (unsigned)v;
			break;
		case OPT_MAX_PER_ADDR:
			if (parse_uint("--max-per-address", optarg, 1, 100000, &v) < 0)
				return 2;
			o->max_per_address = (unsigned)v;
			break;
		case OPT_REQ_DEADLINE:
			if (parse_uint("--request-deadline", optarg, 1, 3600, &v) < 0)
				return 2;
			o->request_deadline = (unsigned)v;
			break;
		case OPT_CONN_MEMORY:
			if (parse_uint("--connection-memory", optarg, 8192, 16 << 20, &v) < 0)
				return 2;
			o->connection_memory = v;
			break;
		case OPT_ANON_RATE:
			if (parse_uint("--anonymous-rate", optarg, 0, 1000000, &v) < 0)
				return 2;
			o->anonymous_rate = (unsigned)v;
			break;
		case 'v':
			level = parse_verbose(optarg);
			if (level < 0) {
				fprintf(stderr, "re6st-registry: --verbose: invalid level '%s'\n",
					optarg);
				return 2;
			}
			break;
		case 'l': log_path = optarg; break;
		case 'h': help(); return 0;
		case 'V': printf("re6st-registry %s\n", RE6ST_VERSION); return 0;
		default:
			fprintf(stderr, "Try 're6st-registry --help'.\n");
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "re6st-registry: unexpected argument '%s'\n", argv[optind]);
		return 2;
	}
	if (!o->ca_path || !o->key_path) {
		fprintf(stderr, "re6st-registry: --ca and --key are required (see --help)\n");
		return 2;
	}
	if (!max_clients_set)
		o->max_clients = 2 * o->client_count;
	r = log_setup("re6st-registry", level, log_path ? LOG_TARGET_FILE : LOG_TARGET_STDERR,
		      log_path);
	if (r < 0) {
		fprintf(stderr, "re6st-registry: cannot open log %s: %s\n", log_path, strerror(-r));
		return 1;
	}
	if (identity_init() < 0) {
		log_error("cannot initialise libsodium");
		return 1;
	}
	if (create)
		return create_network(create, o->ca_path, o->key_path) < 0 ? 1 : 0;
	if (remote_log_init() < 0 ||
	    (o->anonymous_rate &&
	     ratelimit_init(&reg.anon_rate, 4096, o->anonymous_rate,
			    MAX(1u, 3600000u / o->anonymous_rate)) < 0)) {
		log_error("out of memory");
		registry_done(&reg);
		return 1;
	}

	r = ca_load(o->ca_path, &reg.ca);
	if (r < 0) {
		log_error("cannot load CA %s: %s", o->ca_path, identity_strerror(r));
		return 1;
	}
	r = key_load(o->key_path, &reg.ca_key);
	if (r < 0) {
		log_error("cannot load key %s: %s", o->key_path, identity_strerror(r));
		registry_done(&reg);
		return 1;
	}
	if (memcmp(reg.ca_key->sign_pk, reg.ca.sign_pk, RE6ST_SIGN_PK_LEN) != 0) {
		log_error("key %s does not belong to CA %s", o->key_path, o->ca_path);
		registry_done(&reg);
		return 1;
	}
	reg.max_len = 128u - reg.ca.network.len;
	if (o->prefix_length > reg.max_len || o->anonymous_prefix_length > reg.max_len) {
		log_error("prefix lengths must be at most %u for network /%u", reg.max_len,
			  reg.ca.network.len);
		registry_done(&reg);
		return 1;
	}
	if (load_communities(&reg) < 0) {
		registry_done(&reg);
		return 1;
	}
	{
		size_t cl = community_max_len(&reg.communities);
		if ((o->prefix_length && cl >= o->prefix_length) ||
		    (o->anonymous_prefix_length && cl >= o->anonymous_prefix_length)) {
			log_error("communities (%zu bits) must be shorter than the prefix lengths", cl);
			registry_done(&reg);
			return 1;
		}
	}
	umask(077);
	if (strcmp(o->db_path, ":memory:") != 0) {
		_cleanup_free_ char *lock_path = NULL;

		r = statedir_lock(o->db_path, &lock_path, &lock_fd);
		if (r == -EWOULDBLOCK) {
			log_error("another re6st-registry is running on %s (it holds %s): exiting",
				  o->db_path, lock_path);
			if (log_path)
				fprintf(stderr, "re6st-registry: another instance is running on %s"
						" (it holds %s)\n", o->db_path, lock_path);
			registry_done(&reg);
			return 2;
		}
		if (r < 0) {
			log_errno(LOG_ERR, r, "cannot lock %s", lock_path ? lock_path : o->db_path);
			registry_done(&reg);
			return 1;
		}
	}
	curl_global_init(CURL_GLOBAL_DEFAULT);
	if (setup_db(&reg, registry_now()) < 0) {
		registry_done(&reg);
		return 1;
	}
	r = registry_housekeeping(&reg, registry_now());
	if (r < 0)
		log_errno(LOG_WARNING, r, "housekeeping failed");

	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL); /* before MHD threads exist */
	signal(SIGPIPE, SIG_IGN);

	if (o->bind4 && o->bind4[0]) {
		r = http_start(&reg, o->bind4, o->port, &d4);
		if (r < 0) {
			log_errno(LOG_ERR, r, "cannot listen on %s port %u", o->bind4, o->port);
			goto out;
		}
	}
	if (o->bind6 && o->bind6[0]) {
		r = http_start(&reg, o->bind6, o->port, &d6);
		if (r < 0) {
			log_errno(LOG_ERR, r, "cannot listen on [%s] port %u", o->bind6, o->port);
			goto out;
		}
	}
	if (!d4 && !d6) {
		log_error("nothing to listen on (-4 and -6 both empty)");
		r = -EINVAL;
		goto out;
	}
	{
		char buf[PREFIX_STRLEN];
		log_notice("re6st-registry %s: network %s, port %u, configuration version %" PRIu64,
			   RE6ST_VERSION, prefix_format(&reg.ca.network, buf), o->port,
			   reg.netconf_version);
	}
	for (;;) {
		struct timespec ts = { .tv_sec = 60 };
		int sig = sigtimedwait(&sigs, NULL, &ts);

		if (sig == SIGINT || sig == SIGTERM) {
			log_notice("signal %d: exiting", sig);
			break;
		}
		if (sig == SIGHUP && log_path)
			log_setup("re6st-registry", level, LOG_TARGET_FILE, log_path);
		r = registry_housekeeping(&reg, registry_now());
		if (r < 0)
			log_errno(LOG_WARNING, r, "housekeeping failed");
	}
	r = 0;
out:
	http_stop(d4);
	http_stop(d6);
	registry_done(&reg);
	curl_global_cleanup();
	log_close();
	return r < 0 ? 1 : 0;
}
