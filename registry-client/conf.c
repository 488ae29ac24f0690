/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * re6st-conf: join a re6st network.  Fetches the CA, generates the node's
 * keys, registers with the registry and writes ca.crt, cert.crt, cert.key
 * (0600) and re6stnet.conf, like the original re6st-conf.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "conffile.h"
#include "config.h"
#include "fileio.h"
#include "identity.h"
#include "log.h"
#include "macro.h"
#include "prefix.h"
#include "registry-client.h"

#define CA_PATH "ca.crt"
#define CERT_PATH "cert.crt"
#define KEY_PATH "cert.key"
#define CONF_PATH "re6stnet.conf"
#define RENEW_PERIOD (30 * 86400)

struct args {
	char *registry, *fingerprint, *token, *email, *location, *dir;
	bool anonymous, ca_only, is_needed, help, version;
	int timeout;
};

#define OFF(f) offsetof(struct args, f)
#define STR_OPT(n, s, f, mv, h) { n, s, CONF_STRING, OFF(f), 0, 0, NULL, mv, h }
#define FLAG_OPT(n, s, f, h) { n, s, CONF_FLAG, OFF(f), 0, 0, NULL, NULL, h }

static const struct conf_option options[] = {
	STR_OPT("registry", 0, registry, "URL", "Registry, http:// or https:// (required)."),
	STR_OPT("fingerprint", 0, fingerprint, "HEX",
		"Expected CA fingerprint (as printed by re6st-registry --create-network); "
		"strongly advised."),
	STR_OPT("token", 0, token, "TOKEN", "The token received by mail."),
	STR_OPT("email", 0, email, "ADDR",
		"Ask the registry to mail a token to ADDR, then prompt for it."),
	FLAG_OPT("anonymous", 0, anonymous, "Request an anonymous certificate (no token)."),
	STR_OPT("location", 0, location, "CC,CT",
		"Country and continent codes (e.g. FR,EU) used to choose the community."),
	STR_OPT("dir", 'd', dir, "DIR", "Where to write the files. Default: current directory"),
	FLAG_OPT("ca-only", 0, ca_only, "Only fetch and write the CA."),
	FLAG_OPT("is-needed", 0, is_needed,
		 "Exit 0 if this host is not already inside the network (so re6st is needed), "
		 "1 if it is."),
	{ "timeout", 0, CONF_INT, OFF(timeout), 1, 3600, NULL, "SEC",
	  "Per-request timeout. Default: 10" },
	FLAG_OPT("help", 'h', help, "Show this help and exit."),
	FLAG_OPT("version", 'V', version, "Show the version and exit."),
};

static void args_done(struct args *a)
{
	free(a->registry);
	free(a->fingerprint);
	free(a->token);
	free(a->email);
	free(a->location);
	free(a->dir);
}

static void help(void)
{
	printf("Usage: re6st-conf --registry URL [OPTION]... [@FILE]...\n"
	       "\n"
	       "Join a re6st network: fetch the CA, generate this node's keys, register\n"
	       "with the registry and write, in the current directory or DIR:\n"
	       "  " CA_PATH "        the network's CA\n"
	       "  " CERT_PATH "      this node's certificate\n"
	       "  " KEY_PATH "      this node's secret keys (mode 0600; back it up)\n"
	       "  " CONF_PATH " options for re6stnet (registry, ca, cert, key)\n"
	       "\n");
	conf_print_help(stdout, options, ARRAY_SIZE(options));
	printf("\n"
	       "Files of another network are never overwritten: use another DIR.\n"
	       "An existing " KEY_PATH " is reused. Long options may be abbreviated while\n"
	       "unambiguous; @FILE reads options from FILE, one 'name value' per line.\n"
	       "Exit status: 0 success (--is-needed: re6st is needed), 1 failure (--is-needed:\n"
	       "this host is already inside the network), 2 bad command line.\n");
}

static int usage_error(const char *fmt, ...) _printf_(1, 2);
static int usage_error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("re6st-conf: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputs("\nTry 're6st-conf --help'.\n", stderr);
	va_end(ap);
	return 2;
}

/* Is this host already routed inside the network (behind re6st)? */
static bool inside_network(const struct re6st_prefix *net)
{
	struct sockaddr_in6 dst = { .sin6_family = AF_INET6, .sin6_port = htons(9) }, src;
	socklen_t len = sizeof(src);
	_cleanup_close_ int fd = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return false;
	memcpy(&dst.sin6_addr, net->addr, 16);
	dst.sin6_addr.s6_addr[15] |= 1;
	/* connect() on UDP sends nothing: it only picks a route and source. */
	if (connect(fd, (struct sockaddr *)&dst, sizeof(dst)) < 0 ||
	    getsockname(fd, (struct sockaddr *)&src, &len) < 0)
		return false;
	return prefix_contains_address(net, src.sin6_addr.s6_addr);
}

static char *read_line(const char *prompt)
{
	char *line = NULL;
	size_t n = 0;
	ssize_t l;

	fputs(prompt, stdout);
	fflush(stdout);
	l = getline(&line, &n, stdin);
	if (l <= 0) {
		free(line);
		return NULL;
	}
	line[strcspn(line, "\r\n")] = '\0';
	return line;
}

static int write_conf(const char *registry, const char *dir, const char *location)
{
	_cleanup_free_ char *text = NULL;
	char cwd[PATH_MAX];

	if (access(CONF_PATH, F_OK) == 0) {
		printf("Keeping existing %s/%s.\n", dir, CONF_PATH);
		return 0;
	}
	if (!getcwd(cwd, sizeof(cwd)))
		return negative_errno();
	if (asprintf(&text,
		     "# re6stnet configuration written by re6st-conf: 'option value' per line,\n"
		     "# options are re6stnet's long options.\n"
		     "registry %s\n"
		     "ca %s/" CA_PATH "\n"
		     "cert %s/" CERT_PATH "\n"
		     "key %s/" KEY_PATH "\n"
		     "%s%.2s%s"
		     "# increase verbosity:\n"
		     "#verbose debug\n",
		     registry, cwd, cwd, cwd, location ? "#country " : "",
		     location ? location : "", location ? "\n" : "") < 0)
		return -ENOMEM;
	return write_file_atomic(CONF_PATH, text, strlen(text), 0644);
}

int main(int argc, char **argv)
{
	_cleanup_(args_done) struct args args = { .timeout = 10 };
	_cleanup_free_ char *cert_armour = NULL;
	_cleanup_(registry_client_freep) struct registry_client *rc = NULL;
	_cleanup_(key_freep) struct re6st_key *key = NULL;
	struct registry_client_options copt = { .retries = 3 };
	struct re6st_ca ca, old_ca;
	struct re6st_cert cert, old_cert;
	char buf[PREFIX_STRLEN], fp[RE6ST_FP_HEXLEN], err[512];
	struct conf_parser p;
	int r;

	conf_parser_init(&p, options, ARRAY_SIZE(options), &args, err, sizeof(err));
	r = conf_parser_argv(&p, argc, argv);
	if (r == -ENOMEM)
		return 1;
	if (r < 0)
		return usage_error("%s", err);
	if (args.help) {
		help();
		return 0;
	}
	if (args.version) {
		printf("re6st-conf %s\n", RE6ST_VERSION);
		return 0;
	}
	const char *registry = args.registry, *fingerprint = args.fingerprint;
	const char *email = args.email, *location = args.location;
	const char *dir = args.dir ? args.dir : ".";
	bool anonymous = args.anonymous, ca_only = args.ca_only, is_needed = args.is_needed;
	char *token = args.token; /* args owns it */
	copt.timeout_ms = args.timeout * 1000L;
	if (!registry)
		return usage_error("%s", "--registry URL is required");
	if (strncmp(registry, "http://", 7) && strncmp(registry, "https://", 8))
		return usage_error("--registry: expected http://... or https://..., not '%s'",
				   registry);
	struct re6st_ca zero = {};
	if (fingerprint && ca_fingerprint_check(&zero, fingerprint) == -EINVAL)
		return usage_error("--fingerprint: '%s' is not a fingerprint (hex digits, ':' allowed)",
				   fingerprint);
	if (anonymous && (token || email))
		return usage_error("%s", "--anonymous conflicts with --email/--token");
	log_setup("re6st-conf", LOG_INFO, LOG_TARGET_STDERR, NULL);
	if (identity_init() < 0) {
		log_error("cannot initialise libsodium");
		return 1;
	}
	if (!is_needed && chdir(dir) < 0) {
		log_error("cannot enter %s: %m", dir);
		return 1;
	}
	r = registry_client_new(registry, &copt, &rc);
	if (r < 0) {
		log_error("invalid --registry '%s': expected http://... or https://...", registry);
		return 2;
	}
	r = rc_get_ca(rc, &ca);
	if (r < 0) {
		log_error("cannot get the CA: %s", registry_client_error(rc));
		return 1;
	}
	if (fingerprint) {
		r = ca_fingerprint_check(&ca, fingerprint);
		if (r < 0) {
			log_error("CA fingerprint %s does not match %s: wrong registry or"
				  " man-in-the-middle", ca_fingerprint_hex(&ca, fp), fingerprint);
			return 1;
		}
	} else
		log_warning("it is strongly recommended to use --fingerprint (this CA: %s)",
			    ca_fingerprint_hex(&ca, fp));
	registry_client_set_ca(rc, &ca);

	if (is_needed)
		return inside_network(&ca.network) ? 1 : 0;

	/* Never overwrite files of another network. */
	r = ca_load(CA_PATH, &old_ca);
	if (r == 0 && !ca_equal(&old_ca, &ca)) {
		log_error("%s/%s belongs to another network: refusing to overwrite it", dir,
			  CA_PATH);
		return 1;
	}
	if (r < 0 && r != -ENOENT) {
		log_error("%s/%s exists but is not a valid CA (%s): refusing to overwrite it", dir,
			  CA_PATH, identity_strerror(r));
		return 1;
	}
	{
		_cleanup_free_ char *text = NULL;
		size_t len;
		r = read_file_full(CERT_PATH, 1 << 16, &text, &len);
		if (r == 0 && (cert_from_armour_unverified(text, len, &old_cert) < 0 ||
			       !prefix_equal(&old_cert.network, &ca.network) ||
			       memcmp(old_cert.ca_fingerprint, ca.fingerprint, RE6ST_FP_LEN) != 0)) {
			log_error("%s/%s belongs to another network or is invalid: refusing to"
				  " overwrite it", dir, CERT_PATH);
			return 1;
		}
	}
	r = ca_save(&ca, CA_PATH);
	if (r < 0) {
		log_error("cannot write %s/%s: %s", dir, CA_PATH, identity_strerror(r));
		return 1;
	}
	if (ca_only)
		return 0;

	r = key_load(KEY_PATH, &key);
	if (r == 0) {
		if (!key->has_wg) {
			log_error("%s/%s has no WireGuard key: not a node key", dir, KEY_PATH);
			return 1;
		}
		printf("Reusing existing key.\n");
	} else if (r == -ENOENT) {
		r = key_generate(true, &key);
		if (r < 0) {
			log_error("cannot generate keys: %s", identity_strerror(r));
			return 1;
		}
		r = key_save(key, KEY_PATH);
		if (r < 0) {
			log_error("cannot write %s/%s: %s", dir, KEY_PATH, identity_strerror(r));
			return 1;
		}
	} else {
		log_error("cannot read %s/%s: %s", dir, KEY_PATH, identity_strerror(r));
		return 1;
	}

	if (!anonymous && !token) {
		_cleanup_free_ char *asked = NULL;
		if (!email) {
			asked = read_line("Please enter your email address: ");
			if (!asked || !asked[0]) {
				log_error("no email address given");
				return 1;
			}
			email = asked;
		}
		r = rc_request_token(rc, email);
		if (r < 0) {
			log_error("cannot request a token: %s", registry_client_error(rc));
			return 1;
		}
		while (!args.token || !args.token[0]) {
			free(args.token);
			args.token = token = read_line("Please enter your token: ");
			if (!token) {
				log_error("no token given; use --token to retry without asking"
					  " a new one");
				return 1;
			}
		}
	}
	printf("Requesting certificate ...\n");
	r = rc_request_certificate(rc, anonymous ? NULL : token, key, location, &cert,
				   &cert_armour);
	if (r < 0) {
		log_error("%s", registry_client_error(rc));
		if (token && r == -EACCES)
			fprintf(stderr, "Use --token to retry without asking a new token.\n");
		return 1;
	}
	r = write_file_atomic(CERT_PATH, cert_armour, strlen(cert_armour), 0644);
	if (r < 0) {
		log_error("cannot write %s/%s: %s", dir, CERT_PATH, strerror(-r));
		return 1;
	}
	{
		time_t na = (time_t)cert.not_after, rn = (time_t)(cert.not_after - RENEW_PERIOD);
		char t1[64], t2[64];
		struct tm tm;
		strftime(t1, sizeof(t1), "%Y-%m-%d %H:%M:%S", gmtime_r(&na, &tm));
		strftime(t2, sizeof(t2), "%Y-%m-%d %H:%M:%S", gmtime_r(&rn, &tm));
		printf("Setup complete. Certificate is valid until %s UTC and will be\n"
		       "automatically renewed after %s UTC.\n"
		       "Do not forget to back up your private key (%s/%s) or you will lose\n"
		       "your assigned subnet.\n", t1, t2, dir, KEY_PATH);
	}
	r = write_conf(registry, dir, location);
	if (r < 0) {
		log_error("cannot write %s/%s: %s", dir, CONF_PATH, strerror(-r));
		return 1;
	}
	printf("Your subnet: %s (serial %llu)\n", prefix_format(&cert.node, buf),
	       (unsigned long long)cert.serial);
	return 0;
}
