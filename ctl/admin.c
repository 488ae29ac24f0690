/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * admin.c - re6stctl's registry commands (see admin.h), from a table like
 * the node commands of re6stctl.c.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <string.h>
#include <time.h>

#include "admin.h"
#include "conffile.h"
#include "config.h"
#include "identity.h"
#include "macro.h"
#include "netconf.h"
#include "prefix.h"
#include "registry-client.h"
#include "topology.h"

struct admin_command;
typedef int (*admin_fn)(struct registry_client *c, const struct admin_options *o,
			const struct admin_command *cmd, int argc, char *argv[]);

static int cmd_add_token(struct registry_client *c, const struct admin_options *o,
			 const struct admin_command *cmd, int argc, char *argv[]);
static int cmd_is_token(struct registry_client *c, const struct admin_options *o,
			const struct admin_command *cmd, int argc, char *argv[]);
static int cmd_delete_token(struct registry_client *c, const struct admin_options *o,
			    const struct admin_command *cmd, int argc, char *argv[]);
static int cmd_revoke(struct registry_client *c, const struct admin_options *o,
		      const struct admin_command *cmd, int argc, char *argv[]);
static int cmd_update_hmac(struct registry_client *c, const struct admin_options *o,
			   const struct admin_command *cmd, int argc, char *argv[]);
static int cmd_lookup(struct registry_client *c, const struct admin_options *o,
		      const struct admin_command *cmd, int argc, char *argv[]);
static int cmd_network_config(struct registry_client *c, const struct admin_options *o,
			      const struct admin_command *cmd, int argc, char *argv[]);
static int cmd_topology(struct registry_client *c, const struct admin_options *o,
			const struct admin_command *cmd, int argc, char *argv[]);

struct admin_command {
	const char *name;
	const char *args; /* synopsis of the arguments */
	const char *help;
	int nargs;        /* positional arguments; -1: the command parses its own */
	bool private;     /* a private RPC: refusals get the --authorized-origin hint */
	admin_fn run;
	/* Exit status when the registry refuses or cannot be reached: a yes/no
	 * query answers no with 1, so it fails with 2, like grep. */
	int error_exit;
};

static const struct admin_command admin_commands[] = {
	{ "add-token", "[--token TOKEN] EMAIL", "create a registration token, print it",
	  -1, true, cmd_add_token, ADMIN_EXIT_FAILED },
	{ "is-token", "TOKEN", "yes if TOKEN exists, unused (exit 0), else no (1); error: 2", 1,
	  true, cmd_is_token, ADMIN_EXIT_USAGE },
	{ "delete-token", "TOKEN", "delete an unused token", 1, true,
	  cmd_delete_token, ADMIN_EXIT_FAILED },
	{ "revoke", "PREFIX|SERIAL", "revoke a certificate (a prefix is freed)", 1,
	  true, cmd_revoke, ADMIN_EXIT_FAILED },
	{ "update-hmac", "", "next step of the babel key rotation", 0, true,
	  cmd_update_hmac, ADMIN_EXIT_FAILED },
	{ "node-prefix", "EMAIL", "prefix of the node of EMAIL", 1,
	  true, cmd_lookup, ADMIN_EXIT_FAILED },
	{ "ipv6-address", "EMAIL", "IPv6 address of the node of EMAIL", 1,
	  true, cmd_lookup, ADMIN_EXIT_FAILED },
	{ "network-config", "", "fetch, verify (--ca), print the network config", 0,
	  false, cmd_network_config, ADMIN_EXIT_FAILED },
	{ "topology", "[--dot] [--wait SEC]", "ask the live nodes: versions and tunnels", -1,
	  true, cmd_topology, ADMIN_EXIT_FAILED },
};

const struct admin_command *admin_command_find(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(admin_commands); i++)
		if (!strcmp(name, admin_commands[i].name))
			return &admin_commands[i];
	return NULL;
}

void admin_usage(FILE *f)
{
	for (size_t i = 0; i < ARRAY_SIZE(admin_commands); i++) {
		char syn[64];
		snprintf(syn, sizeof(syn), "%s %s", admin_commands[i].name, admin_commands[i].args);
		fprintf(f, "  %-32s %s\n", syn, admin_commands[i].help);
	}
}

/* ---- output ---- */

static void json_string(const char *s)
{
	if (!s) {
		fputs("null", stdout);
		return;
	}
	putchar('"');
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			printf("\\%c", *p);
		else if (*p < 0x20 || *p == 0x7f)
			printf("\\u%04x", *p);
		else
			putchar(*p);
	}
	putchar('"');
}

/* {"k1":"v1",...} from NULL-terminated key/value pairs (a NULL value is null). */
static void json_pairs(const char *k, ...)
{
	va_list ap;
	bool first = true;

	va_start(ap, k);
	putchar('{');
	for (; k; k = va_arg(ap, const char *)) {
		const char *v = va_arg(ap, const char *);
		if (!first)
			putchar(',');
		json_string(k);
		putchar(':');
		json_string(v);
		first = false;
	}
	va_end(ap);
	puts("}");
}

static const char *format_time(uint64_t t, char buf[32])
{
	time_t tt = (time_t)t;
	struct tm tm;

	if ((uint64_t)tt != t || !gmtime_r(&tt, &tm) ||
	    !strftime(buf, 32, "%Y-%m-%d %H:%M:%S UTC", &tm))
		snprintf(buf, 32, "%" PRIu64, t);
	return buf;
}

/* One error line in the registry's words, plus what to do about it. */
static int rpc_failed(const struct registry_client *c, const struct admin_options *o,
		      const struct admin_command *cmd, int r)
{
	const char *msg = registry_client_error(c);

	fprintf(stderr, "re6stctl: %s: %s\n", cmd->name, msg[0] ? msg : strerror(-r));
	if (r == -ECONNREFUSED || r == -ETIMEDOUT || r == -EHOSTUNREACH || r == -EIO)
		fprintf(stderr, "re6stctl: cannot reach the registry at %s (is re6st-registry"
				" running there? see --registry and --timeout)\n",
			o->url);
	else if (r == -EACCES && cmd->private)
		fprintf(stderr, "re6stctl: %s is a private RPC, answered only to the registry's"
				" --authorized-origin addresses (127.0.0.1 and ::1 always): run"
				" re6stctl on the registry host, or authorize this host there\n",
			cmd->name);
	return cmd->error_exit;
}

/* ---- commands ---- */

static int cmd_add_token(struct registry_client *c, const struct admin_options *o,
			 const struct admin_command *cmd, int argc, char *argv[])
{
	struct args {
		char *email, *token;
	} args = {};
	static const struct conf_option opts[] = {
		{ "email", 'e', CONF_STRING, offsetof(struct args, email), 0, 0, NULL, "EMAIL", NULL },
		{ "token", 't', CONF_STRING, offsetof(struct args, token), 0, 0, NULL, "TOKEN", NULL },
	};
	_cleanup_free_ char *t = NULL;
	char err[256];
	struct conf_parser p;
	int r, npos = 0;

	/*
	 * Options and one EMAIL in any order, as getopt_long permutes them:
	 * each parse stops at an argument, which becomes the next argv[0].
	 */
	conf_parser_init(&p, opts, ARRAY_SIZE(opts), &args, err, sizeof(err));
	p.stop_at_argument = true;
	for (int i = 0;;) {
		r = conf_parser_argv(&p, argc - i, argv + i);
		if (r < 0) {
			fprintf(stderr, "re6stctl: add-token: %s\n", r == -ENOMEM ? "out of memory" : err);
			goto out;
		}
		i += p.optind;
		if (i >= argc)
			break;
		if (npos++ || args.email) {
			npos = 2;
			break;
		}
		args.email = strdup(argv[i]);
		if (!args.email) {
			r = -ENOMEM;
			goto out;
		}
	}
	const char *email = args.email, *token = args.token;
	r = 0;
	if (npos > 1 || !email || !email[0]) {
		fprintf(stderr, "re6stctl: usage: add-token [--token TOKEN] EMAIL\n");
		r = -EINVAL;
		goto out;
	}
	r = rc_add_token(c, email, token, &t);
	if (r < 0) {
		r = rpc_failed(c, o, cmd, r);
		goto out;
	}
	if (o->json)
		json_pairs("token", t, "email", email, NULL);
	else
		printf("%s\n", t);
	r = ADMIN_EXIT_OK;
out:
	free(args.email);
	free(args.token);
	if (r == -ENOMEM)
		return cmd->error_exit;
	return r < 0 ? ADMIN_EXIT_USAGE : r;
}

static int cmd_is_token(struct registry_client *c, const struct admin_options *o,
			const struct admin_command *cmd, int argc, char *argv[])
{
	bool yes;
	int r;

	(void)argc;
	r = rc_is_token(c, argv[1], &yes);
	if (r < 0)
		return rpc_failed(c, o, cmd, r);
	if (o->json) {
		printf("{\"token\":");
		json_string(argv[1]);
		printf(",\"valid\":%s}\n", yes ? "true" : "false");
	} else
		printf("%s\n", yes ? "yes" : "no");
	return yes ? ADMIN_EXIT_OK : ADMIN_EXIT_FAILED;
}

static int cmd_delete_token(struct registry_client *c, const struct admin_options *o,
			    const struct admin_command *cmd, int argc, char *argv[])
{
	bool yes;
	int r;

	(void)argc;
	/* deleteToken says nothing of unknown tokens: ask first, so that a typo shows. */
	r = rc_is_token(c, argv[1], &yes);
	if (r < 0)
		return rpc_failed(c, o, cmd, r);
	if (!yes) {
		fprintf(stderr, "re6stctl: delete-token: no such token '%s' (unknown or already"
				" used)\n",
			argv[1]);
		return ADMIN_EXIT_FAILED;
	}
	r = rc_delete_token(c, argv[1]);
	if (r < 0)
		return rpc_failed(c, o, cmd, r);
	if (o->json)
		json_pairs("deleted", argv[1], NULL);
	else
		printf("deleted %s\n", argv[1]);
	return ADMIN_EXIT_OK;
}

/* A serial (digits), a prefix "2001:db8:42:1::/64" or the original's "N/LEN". */
static bool valid_cn_or_serial(const char *s)
{
	struct re6st_prefix p;
	size_t n = strspn(s, "0123456789");

	if (n && !s[n])
		return n <= 18;
	if (strchr(s, ':'))
		return prefix_parse(s, &p) == 0;
	return n && s[n] == '/' && s[n + 1] && strspn(s + n + 1, "0123456789") == strlen(s + n + 1);
}

static int cmd_revoke(struct registry_client *c, const struct admin_options *o,
		      const struct admin_command *cmd, int argc, char *argv[])
{
	const char *what = argv[1];
	int r;

	(void)argc;
	if (!valid_cn_or_serial(what)) {
		fprintf(stderr, "re6stctl: revoke: '%s' is neither a serial nor a node prefix"
				" (e.g. 17, 2001:db8:42:1::/64 or the original's N/LEN)\n",
			what);
		return ADMIN_EXIT_USAGE;
	}
	r = rc_revoke(c, what);
	if (r < 0)
		return rpc_failed(c, o, cmd, r);
	if (o->json)
		json_pairs("revoked", what, NULL);
	else
		printf("revoked %s\n", what);
	return ADMIN_EXIT_OK;
}

static int cmd_update_hmac(struct registry_client *c, const struct admin_options *o,
			   const struct admin_command *cmd, int argc, char *argv[])
{
	_cleanup_free_ char *state = NULL;
	int r;

	(void)argc, (void)argv;
	r = rc_update_hmac(c, &state);
	if (r < 0)
		return rpc_failed(c, o, cmd, r);
	if (o->json)
		json_pairs("state", state, NULL);
	else
		printf("%s\n", state);
	return ADMIN_EXIT_OK;
}

/* node-prefix and ipv6-address: one email in, one line out. */
static int cmd_lookup(struct registry_client *c, const struct admin_options *o,
		      const struct admin_command *cmd, int argc, char *argv[])
{
	bool prefix = !strcmp(cmd->name, "node-prefix");
	_cleanup_free_ char *v = NULL;
	int r;

	(void)argc;
	r = prefix ? rc_get_node_prefix(c, argv[1], &v) : rc_get_ipv6_address(c, argv[1], &v);
	if (r == -ENOENT && !strstr(registry_client_error(c), "HTTP")) {
		fprintf(stderr, "re6stctl: %s: no node registered by '%s'\n", cmd->name, argv[1]);
		return ADMIN_EXIT_FAILED;
	}
	if (r < 0)
		return rpc_failed(c, o, cmd, r);
	if (o->json)
		json_pairs("email", argv[1], prefix ? "prefix" : "address", v, NULL);
	else
		printf("%s\n", v);
	return ADMIN_EXIT_OK;
}

static const char *tunnel_type_names[] = { "wireguard", "gre", "fou" };

static void print_netconf_text(const struct re6st_netconf *nc, const char *fp)
{
	char buf[PREFIX_STRLEN], tbuf[32];

	printf("%-24s %" PRIu64 "\n", "version", nc->version);
	printf("%-24s %s\n", "issued", format_time(nc->issued, tbuf));
	printf("%-24s %s\n", "network", prefix_format(&nc->network, buf));
	printf("%-24s %s\n", "ca-fingerprint", fp);
	printf("%-24s %u\n", "prefix-length", nc->prefix_len);
	if (nc->anonymous_prefix_len)
		printf("%-24s %u\n", "anonymous-prefix-length", nc->anonymous_prefix_len);
	else
		printf("%-24s %s\n", "anonymous-prefix-length", "- (anonymous registration off)");
	printf("%-24s %" PRIu32 "\n", "hello", nc->hello);
	printf("%-24s %" PRIu32 "\n", "client-count", nc->client_count);
	printf("%-24s %" PRIu32 "\n", "max-clients", netconf_max_clients(nc));
	printf("%-24s %" PRIu32 "\n", "tunnel-refresh", nc->tunnel_refresh);
	printf("%-24s %" PRIu32 "\n", "min-protocol", nc->min_protocol);
	printf("%-24s", "tunnel-types");
	for (size_t i = 0, n = 0; i < ARRAY_SIZE(tunnel_type_names); i++)
		if (nc->tunnel_types & (1u << i))
			printf("%s%s", n++ ? "," : " ", tunnel_type_names[i]);
	printf("\n");
	if (nc->has_ipv4)
		printf("%-24s %u.%u.%u.%u/%u %u\n", "ipv4", nc->ipv4_net[0], nc->ipv4_net[1],
		       nc->ipv4_net[2], nc->ipv4_net[3], nc->ipv4_len, nc->ipv4_sublen);
	if (nc->has_registry_prefix)
		printf("%-24s %s\n", "registry-prefix", prefix_format(&nc->registry_prefix, buf));
	if (nc->same_country)
		printf("%-24s %s\n", "same-country", nc->same_country);
	if (nc->registry_url)
		printf("%-24s %s\n", "registry-url", nc->registry_url);
	if (nc->babel_default)
		printf("%-24s %s\n", "babel-default", nc->babel_default);
	printf("\nrevoked (%zu)\n", nc->n_revoked);
	if (nc->n_revoked)
		printf("  %-20s %-43s %s\n", "serial", "prefix", "expires");
	for (size_t i = 0; i < nc->n_revoked; i++)
		printf("  %-20" PRIu64 " %-43s %s\n", nc->revoked[i].serial,
		       prefix_format(&nc->revoked[i].prefix, buf),
		       format_time(nc->revoked[i].not_after, tbuf));
}

static void print_netconf_json(const struct re6st_netconf *nc, const char *fp)
{
	char buf[PREFIX_STRLEN];

	printf("{\"version\":%" PRIu64 ",\"issued\":%" PRIu64, nc->version, nc->issued);
	printf(",\"network\":\"%s\",\"ca_fingerprint\":\"%s\"", prefix_format(&nc->network, buf),
	       fp);
	printf(",\"prefix_length\":%u,\"anonymous_prefix_length\":%u", nc->prefix_len,
	       nc->anonymous_prefix_len);
	printf(",\"hello\":%" PRIu32 ",\"client_count\":%" PRIu32 ",\"max_clients\":%" PRIu32,
	       nc->hello, nc->client_count, netconf_max_clients(nc));
	printf(",\"tunnel_refresh\":%" PRIu32 ",\"min_protocol\":%" PRIu32, nc->tunnel_refresh,
	       nc->min_protocol);
	printf(",\"tunnel_types\":[");
	for (size_t i = 0, n = 0; i < ARRAY_SIZE(tunnel_type_names); i++)
		if (nc->tunnel_types & (1u << i))
			printf("%s\"%s\"", n++ ? "," : "", tunnel_type_names[i]);
	printf("]");
	if (nc->has_ipv4)
		printf(",\"ipv4\":\"%u.%u.%u.%u/%u\",\"ipv4_sublen\":%u", nc->ipv4_net[0],
		       nc->ipv4_net[1], nc->ipv4_net[2], nc->ipv4_net[3], nc->ipv4_len,
		       nc->ipv4_sublen);
	else
		printf(",\"ipv4\":null");
	printf(",\"registry_prefix\":");
	if (nc->has_registry_prefix)
		printf("\"%s\"", prefix_format(&nc->registry_prefix, buf));
	else
		printf("null");
	printf(",\"same_country\":");
	json_string(nc->same_country);
	printf(",\"registry_url\":");
	json_string(nc->registry_url);
	printf(",\"babel_default\":");
	json_string(nc->babel_default);
	printf(",\"revoked\":[");
	for (size_t i = 0; i < nc->n_revoked; i++)
		printf("%s{\"serial\":%" PRIu64 ",\"prefix\":\"%s\",\"not_after\":%" PRIu64 "}",
		       i ? "," : "", nc->revoked[i].serial,
		       prefix_format(&nc->revoked[i].prefix, buf), nc->revoked[i].not_after);
	printf("]}\n");
}

static int cmd_network_config(struct registry_client *c, const struct admin_options *o,
			      const struct admin_command *cmd, int argc, char *argv[])
{
	_cleanup_(netconf_freep) struct re6st_netconf *nc = NULL;
	struct re6st_ca ca;
	char fp[RE6ST_FP_HEXLEN];
	int r;

	(void)argc, (void)argv;
	if (o->ca_path) {
		r = ca_load(o->ca_path, &ca);
		if (r < 0) {
			fprintf(stderr, "re6stctl: --ca %s: %s\n", o->ca_path, identity_strerror(r));
			return ADMIN_EXIT_FAILED;
		}
	} else {
		r = rc_get_ca(c, &ca);
		if (r < 0)
			return rpc_failed(c, o, cmd, r);
	}
	if (o->fingerprint) {
		r = ca_fingerprint_check(&ca, o->fingerprint);
		if (r == -EINVAL) {
			fprintf(stderr, "re6stctl: --fingerprint: '%s' is not a CA fingerprint (32 hex"
					" digits, or at least 16)\n",
				o->fingerprint);
			return ADMIN_EXIT_USAGE;
		}
		if (r < 0) {
			fprintf(stderr, "re6stctl: network-config: the CA's fingerprint is %s, not %s\n",
				ca_fingerprint_hex(&ca, fp), o->fingerprint);
			return ADMIN_EXIT_FAILED;
		}
	} else if (!o->ca_path)
		fprintf(stderr, "re6stctl: warning: CA taken from the registry itself, not pinned"
				" (use --ca FILE or --fingerprint HEX)\n");
	registry_client_set_ca(c, &ca);
	r = rc_get_network_config(c, &nc, NULL, NULL);
	if (r < 0)
		return rpc_failed(c, o, cmd, r);
	ca_fingerprint_hex(&ca, fp);
	if (o->json)
		print_netconf_json(nc, fp);
	else
		print_netconf_text(nc, fp);
	return ADMIN_EXIT_OK;
}

int admin_run(const struct admin_command *cmd, const struct admin_options *o, int argc,
	      char *argv[])
{
	struct registry_client_options copt = {
		.timeout_ms = o->timeout_ms,
		.retries = 1,
		.backoff_ms = 300,
		.user_agent = "re6stctl/" RE6ST_VERSION,
	};
	_cleanup_(registry_client_freep) struct registry_client *c = NULL;
	int r;

	if (cmd->nargs >= 0 && argc - 1 != cmd->nargs) {
		fprintf(stderr, "re6stctl: usage: %s %s\n", cmd->name, cmd->args);
		return ADMIN_EXIT_USAGE;
	}
	r = registry_client_new(o->url, &copt, &c);
	if (r == -EINVAL) {
		fprintf(stderr, "re6stctl: --registry: '%s' is not an http:// or https:// URL\n",
			o->url);
		return ADMIN_EXIT_USAGE;
	}
	if (r < 0) {
		fprintf(stderr, "re6stctl: %s\n", strerror(-r));
		return cmd->error_exit;
	}
	r = cmd->run(c, o, cmd, argc, argv);
	if (fflush(stdout) != 0) {
		fprintf(stderr, "re6stctl: cannot write the output: %m\n");
		return cmd->error_exit;
	}
	return r;
}

/* versions then topology: the registry asks the nodes (two surveys). */
static int cmd_topology(struct registry_client *c, const struct admin_options *o,
			const struct admin_command *cmd, int argc, char *argv[])
{
	struct args {
		bool dot;
		int wait;
	} args = { .wait = 3 };
	static const struct conf_option opts[] = {
		{ "dot", 'd', CONF_FLAG, offsetof(struct args, dot), 0, 0, NULL, NULL, NULL },
		{ "wait", 'w', CONF_INT, offsetof(struct args, wait), 1, 30, NULL, "SEC", NULL },
	};
	_cleanup_free_ char *v = NULL, *t = NULL;
	enum topology_format f;
	char err[256];
	struct conf_parser p;
	int r;

	conf_parser_init(&p, opts, ARRAY_SIZE(opts), &args, err, sizeof(err));
	r = conf_parser_argv(&p, argc, argv);
	if (r < 0 || p.optind < argc) {
		fprintf(stderr, "re6stctl: topology: %s\nre6stctl: usage: topology %s\n",
			r == -ENOMEM ? "out of memory" : r < 0 ? err : "unexpected argument",
			cmd->args);
		return ADMIN_EXIT_USAGE;
	}
	if (args.dot && o->json) {
		fprintf(stderr, "re6stctl: topology: --dot and --json exclude each other\n");
		return ADMIN_EXIT_USAGE;
	}
	r = rc_survey(c, "versions", (unsigned)args.wait, &v);
	if (r >= 0)
		r = rc_survey(c, "topology", (unsigned)args.wait, &t);
	if (r < 0)
		return rpc_failed(c, o, cmd, r);
	f = args.dot ? TOPOLOGY_DOT : o->json ? TOPOLOGY_JSON : TOPOLOGY_TABLE;
	r = topology_print(v, strlen(v), t, strlen(t), f, stdout);
	if (r < 0) {
		fprintf(stderr, "re6stctl: topology: %s\n",
			r == -ENOMEM ? "out of memory" : "malformed answer from the registry");
		return ADMIN_EXIT_FAILED;
	}
	return ADMIN_EXIT_OK;
}
