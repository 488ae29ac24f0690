/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * re6stctl - look into a running re6stnet through its control socket, and
 * administer a re6st-registry (--registry URL, see admin.h).
 * Node subcommands come from a table; each sends one line and gets one JSON
 * object back (docs/daemon.md), printed as tables or passed through with
 * --json.
 */
#include <stddef.h>
#include <ctype.h>
#include <inttypes.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>

#include "admin.h"
#include "conffile.h"
#include "config.h"
#include "json.h"
#include "macro.h"
#include "node.h"

#define DEFAULT_SOCKET RE6ST_RUNDIR "/re6stnet.sock"
#define MAX_ANSWER (16u << 20)

static int print_status(const struct json *j);
static int print_tables(const struct json *j);
static int print_text(const struct json *j);
static int print_flat_only(const struct json *j);

static const struct subcommand {
	const char *name;
	const char *help;
	int (*print)(const struct json *j);
	/* Commands that do more than print one answer (node.h). */
	int (*run)(const char *socket, bool json, int argc, char *argv[]);
} subcommands[] = {
	{ "status", "node summary; exit status 1 when the node is degraded", print_status, NULL },
	{ "tunnels", "the tunnels: interface, peer, role, state, routes carried", print_tables,
	  NULL },
	{ "peers", "nodes known to the peer protocol", print_tables, NULL },
	{ "routes", "babel routes and neighbours", print_tables, NULL },
	{ "metrics", "the node's metrics, Prometheus text format (textfile collector)",
	  print_text, NULL },
	{ "ping", "NODE: round-trip time over the overlay, route and babel metric", NULL,
	  ctl_ping },
	{ "monitor", "[CLASS...]: stream tunnel, route, neighbour, revocation events", NULL,
	  ctl_monitor },
	{ "help", "commands the daemon answers (including newer ones)", print_flat_only, NULL },
};

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: re6stctl [-s SOCKET] [--json] COMMAND [ARGS...]\n"
		"       re6stctl --registry URL [--ca FILE] [--json] REGISTRY-COMMAND [ARGS...]\n"
		"Inspect a running re6stnet through its control socket, or administer a\n"
		"re6st-registry.\n"
		"\n"
		"Node commands:\n");
	for (size_t i = 0; i < ARRAY_SIZE(subcommands); i++)
		fprintf(f, "  %-10s %s\n", subcommands[i].name, subcommands[i].help);
	fprintf(f,
		"\n"
		"Registry commands (need --registry; all but network-config are private RPCs,\n"
		"answered only to the registry's --authorized-origin addresses):\n");
	admin_usage(f);
	fprintf(f,
		"\n"
		"Options:\n"
		"  -s, --socket PATH    control socket (default: %s)\n"
		"  -r, --registry URL   registry to administer (http://host[:port] or https://)\n"
		"  -c, --ca FILE        network-config: verify against this CA (else fetched)\n"
		"  -f, --fingerprint HEX  network-config: pin the CA by its fingerprint\n"
		"  -t, --timeout SEC    registry request timeout (default 10)\n"
		"  -j, --json           print JSON (the daemon's answer as is)\n"
		"  -h, --help           show this help\n"
		"  -V, --version        show the version\n"
		"\n"
		"Any other node COMMAND is sent as is and its answer printed. See re6stctl(8).\n"
		"Long options may be abbreviated while unambiguous.\n"
		"Exit status: 0 success, 1 the daemon or registry answered an error or cannot\n"
		"be reached, 2 usage error; status: 1 also when the node is degraded (reasons\n"
		"on stderr); ping: 1 when no reply came; is-token: 0 the token exists, 1 it\n"
		"does not, 2 error.\n",
		DEFAULT_SOCKET);
}

int ctl_connect(const char *path, const char *line, int *ret_fd)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	if (strlen(path) >= sizeof(sun.sun_path))
		return -ENAMETOOLONG;
	strcpy(sun.sun_path, path);
	_cleanup_close_ int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return negative_errno();
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0)
		return negative_errno();
	size_t n = strlen(line);
	_cleanup_free_ char *req = malloc(n + 2);
	if (!req)
		return -ENOMEM;
	memcpy(req, line, n);
	req[n] = '\n';
	req[n + 1] = '\0';
	for (size_t off = 0; off < n + 1;) {
		ssize_t w = send(fd, req + off, n + 1 - off, MSG_NOSIGNAL);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return negative_errno();
		}
		off += (size_t)w;
	}
	*ret_fd = TAKE_FD(fd);
	return 0;
}

int ctl_query(const char *path, const char *line, char **ret, size_t *ret_len)
{
	_cleanup_close_ int fd = -1;
	int r = ctl_connect(path, line, &fd);
	if (r < 0)
		return r;
	_cleanup_free_ char *buf = NULL;
	size_t len = 0, cap = 0;
	for (;;) {
		if (len + 4096 > cap) {
			if (cap >= MAX_ANSWER)
				return -EFBIG;
			cap = cap ? cap * 2 : 8192;
			char *nb = realloc(buf, cap);
			if (!nb)
				return -ENOMEM;
			buf = nb;
		}
		struct pollfd pfd = { fd, POLLIN, 0 };
		int pr = poll(&pfd, 1, CTL_TIMEOUT_MS);
		if (pr == 0)
			return -ETIMEDOUT;
		if (pr < 0) {
			if (errno == EINTR)
				continue;
			return negative_errno();
		}
		ssize_t got = recv(fd, buf + len, cap - len - 1, 0);
		if (got < 0) {
			if (errno == EINTR)
				continue;
			return negative_errno();
		}
		if (got == 0)
			return -ECONNRESET;
		len += (size_t)got;
		char *nl = memchr(buf, '\n', len);
		if (nl) {
			*nl = '\0';
			*ret_len = (size_t)(nl - buf);
			*ret = TAKE_PTR(buf);
			return 0;
		}
	}
}

int ctl_socket_error(const char *path, int r)
{
	fprintf(stderr, "re6stctl: %s: %s%s\n", path, strerror(-r),
		r == -ENOENT || r == -ECONNREFUSED ? " (is re6stnet running?)" : "");
	return 1;
}

/* ---- human output ---- */

/* A JSON number that is a whole count (seconds, a unix time). */
static int json_u64(const struct json *v, uint64_t *ret)
{
	char *end;
	if (v->type != JSON_NUMBER || !isdigit((unsigned char)v->text[0]))
		return -EINVAL;
	errno = 0;
	unsigned long long n = strtoull(v->text, &end, 10);
	if (errno || *end)
		return -EINVAL;
	*ret = n;
	return 0;
}

/* "45s", "12m 5s", "3h 12m", "4d 2h". */
static const char *human_duration(uint64_t s, char *buf, size_t size)
{
	if (s < 60)
		snprintf(buf, size, "%" PRIu64 "s", s);
	else if (s < 3600)
		snprintf(buf, size, "%" PRIu64 "m %" PRIu64 "s", s / 60, s % 60);
	else if (s < 86400)
		snprintf(buf, size, "%" PRIu64 "h %" PRIu64 "m", s / 3600, s % 3600 / 60);
	else
		snprintf(buf, size, "%" PRIu64 "d %" PRIu64 "h", s / 86400, s % 86400 / 3600);
	return buf;
}

static const char *fmt_uptime(uint64_t v, char *buf, size_t size)
{
	return human_duration(v, buf, size);
}

/* "2027-12-04 11:31 UTC (in 364 days)", or "(expired 2h 5m ago)". */
static const char *fmt_date(uint64_t v, char *buf, size_t size)
{
	time_t t = (time_t)v, now = time(NULL);
	struct tm tm;
	char date[32], d[32];
	if (!gmtime_r(&t, &tm) || !strftime(date, sizeof(date), "%Y-%m-%d %H:%M UTC", &tm))
		return NULL;
	if (t >= now && t - now >= 86400)
		snprintf(buf, size, "%s (in %lld days)", date, (long long)((t - now) / 86400));
	else if (t >= now)
		snprintf(buf, size, "%s (in %s)", date, human_duration((uint64_t)(t - now), d, sizeof(d)));
	else
		snprintf(buf, size, "%s (expired %s ago)", date,
			 human_duration((uint64_t)(now - t), d, sizeof(d)));
	return buf;
}

/* Values shown in human units; --json keeps the daemon's raw numbers. */
static const struct {
	const char *key;
	const char *(*format)(uint64_t v, char *buf, size_t size);
} human_units[] = {
	{ "uptime", fmt_uptime },
	{ "cert_expires", fmt_date },
};

static const char *cell_text(const char *key, const struct json *v, char *buf, size_t size)
{
	uint64_t n;
	for (size_t i = 0; i < ARRAY_SIZE(human_units); i++) {
		const char *s;
		if (!strcmp(key, human_units[i].key) && json_u64(v, &n) == 0 &&
		    (s = human_units[i].format(n, buf, size)))
			return s;
	}
	return json_cell(v, buf, size);
}

static void print_flat(const char *prefix, const struct json *j)
{
	char cell[512];
	for (size_t i = 0; i < j->n; i++) {
		char key[128];
		snprintf(key, sizeof(key), "%s%s%s", prefix, *prefix ? "." : "", j->keys[i]);
		if (j->items[i]->type == JSON_OBJECT)
			print_flat(key, j->items[i]);
		else
			printf("%-24s %s\n", key, cell_text(key, j->items[i], cell, sizeof(cell)));
	}
}

static int print_flat_only(const struct json *j)
{
	print_flat("", j);
	return 0;
}

/* The fields, then why the node is degraded (stderr): exit status 1. */
static int print_status(const struct json *j)
{
	print_flat("", j);
	const struct json *h = json_get(j, "health"), *reasons = h ? json_get(h, "reasons") : NULL;
	if (!reasons || reasons->type != JSON_ARRAY || !reasons->n)
		return 0;
	char cell[512];
	for (size_t i = 0; i < reasons->n; i++)
		fprintf(stderr, "re6stctl: degraded: %s\n",
			json_cell(reasons->items[i], cell, sizeof(cell)));
	return 1;
}

/* --json status: 1 when degraded, nothing printed but the JSON. */
static int print_degraded_quiet(const struct json *j)
{
	const struct json *h = json_get(j, "health"), *reasons = h ? json_get(h, "reasons") : NULL;
	return reasons && reasons->type == JSON_ARRAY && reasons->n ? 1 : 0;
}

/* {"text": "..."}: printed as is (the daemon ends it with a newline). */
static int print_text(const struct json *j)
{
	const struct json *t = json_get(j, "text");
	if (!t || t->type != JSON_STRING) {
		fprintf(stderr, "re6stctl: malformed answer from the daemon\n");
		return -1;
	}
	fputs(t->text, stdout);
	return 0;
}

/* An array of objects as a table whose columns are the first object's keys. */
static void print_table(const char *title, const struct json *arr)
{
	char cell[256];
	printf("%s (%zu)\n", title, arr->n);
	if (!arr->n)
		return;
	const struct json *first = arr->items[0];
	if (first->type != JSON_OBJECT) {
		for (size_t i = 0; i < arr->n; i++)
			printf("  %s\n", json_cell(arr->items[i], cell, sizeof(cell)));
		return;
	}
	size_t ncol = MIN(first->n, (size_t)16);
	size_t width[16];
	for (size_t c = 0; c < ncol; c++) {
		width[c] = strlen(first->keys[c]);
		for (size_t i = 0; i < arr->n; i++) {
			size_t w = strlen(json_cell(json_get(arr->items[i], first->keys[c]), cell,
						    sizeof(cell)));
			width[c] = MAX(width[c], w);
		}
	}
	printf(" ");
	for (size_t c = 0; c < ncol; c++)
		printf(" %-*s", (int)width[c], first->keys[c]);
	printf("\n");
	for (size_t i = 0; i < arr->n; i++) {
		printf(" ");
		for (size_t c = 0; c < ncol; c++)
			printf(" %-*s", (int)width[c],
			       json_cell(json_get(arr->items[i], first->keys[c]), cell, sizeof(cell)));
		printf("\n");
	}
}

static int print_tables(const struct json *j)
{
	bool any = false;
	for (size_t i = 0; i < j->n; i++) {
		if (j->items[i]->type == JSON_ARRAY) {
			if (any)
				printf("\n");
			print_table(j->keys[i], j->items[i]);
			any = true;
		}
	}
	/* Scalars next to the tables (counts, flags). */
	char cell[256];
	for (size_t i = 0; i < j->n; i++)
		if (j->items[i]->type != JSON_ARRAY && j->items[i]->type != JSON_OBJECT)
			printf("%s: %s\n", j->keys[i], json_cell(j->items[i], cell, sizeof(cell)));
	return 0;
}

struct args {
	char *socket, *registry, *ca, *fingerprint;
	int timeout;
	bool json, help, version;
};

#define OFF(f) offsetof(struct args, f)
static const struct conf_option options[] = {
	{ "socket", 's', CONF_STRING, OFF(socket), 0, 0, NULL, "PATH", NULL },
	{ "registry", 'r', CONF_STRING, OFF(registry), 0, 0, NULL, "URL", NULL },
	{ "ca", 'c', CONF_STRING, OFF(ca), 0, 0, NULL, "FILE", NULL },
	{ "fingerprint", 'f', CONF_STRING, OFF(fingerprint), 0, 0, NULL, "HEX", NULL },
	{ "timeout", 't', CONF_INT, OFF(timeout), 1, 3600, NULL, "SEC", NULL },
	{ "json", 'j', CONF_FLAG, OFF(json), 0, 0, NULL, NULL, NULL },
	{ "help", 'h', CONF_FLAG, OFF(help), 0, 0, NULL, NULL, NULL },
	{ "version", 'V', CONF_FLAG, OFF(version), 0, 0, NULL, NULL, NULL },
};

static void args_done(struct args *a)
{
	free(a->socket);
	free(a->registry);
	free(a->ca);
	free(a->fingerprint);
}

int main(int argc, char *argv[])
{
	_cleanup_(args_done) struct args args = {};
	char perr[512];
	struct conf_parser p;

	/* Options up to the command, which keeps the rest (getopt's "+"). */
	conf_parser_init(&p, options, ARRAY_SIZE(options), &args, perr, sizeof(perr));
	p.stop_at_argument = true;
	int r = conf_parser_argv(&p, argc, argv);
	if (r < 0) {
		fprintf(stderr, "re6stctl: %s\nTry 're6stctl --help'.\n",
			r == -ENOMEM ? "out of memory" : perr);
		return r == -ENOMEM ? 1 : 2;
	}
	if (args.help) {
		usage(stdout);
		return 0;
	}
	if (args.version) {
		printf("re6stctl %s\n", RE6ST_VERSION);
		return 0;
	}
	const char *path = args.socket ? args.socket : DEFAULT_SOCKET;
	struct admin_options admin = {
		.url = args.registry,
		.ca_path = args.ca,
		.fingerprint = args.fingerprint,
		.timeout_ms = args.timeout * 1000L,
	};
	bool json = args.json;
	int cmd = p.optind; /* argv[cmd]: the command */
	if (cmd >= argc) {
		fprintf(stderr, "re6stctl: no command given\nTry 're6stctl --help'.\n");
		return 2;
	}
	const char *name = argv[cmd];
	const struct admin_command *acmd = admin_command_find(name);
	if (acmd) {
		if (!admin.url) {
			fprintf(stderr, "re6stctl: '%s' talks to the registry: give --registry URL\n",
				name);
			return 2;
		}
		admin.json = json;
		return admin_run(acmd, &admin, argc - cmd, argv + cmd);
	}
	if (admin.url) {
		bool node = false;
		for (size_t i = 0; i < ARRAY_SIZE(subcommands); i++)
			node = node || !strcmp(name, subcommands[i].name);
		fprintf(stderr, "re6stctl: %s '%s'%s (see re6stctl --help)\n",
			node ? "--registry given with the node command" : "unknown registry command",
			name, node ? ", which talks to the control socket" : "");
		return 2;
	}
	/* The command line: command and arguments joined by spaces. */
	char line[512] = "";
	size_t len = 0;
	for (int i = cmd; i < argc; i++) {
		int n = snprintf(line + len, sizeof(line) - len, "%s%s", i > cmd ? " " : "",
				 argv[i]);
		if (n < 0 || (size_t)n >= sizeof(line) - len || strpbrk(argv[i], "\n\r")) {
			fprintf(stderr, "re6stctl: command too long or with a newline\n");
			return 2;
		}
		len += (size_t)n;
	}
	const struct subcommand *sub = NULL;
	for (size_t i = 0; i < ARRAY_SIZE(subcommands); i++)
		if (!strcmp(argv[cmd], subcommands[i].name))
			sub = &subcommands[i];
	if (sub && sub->run)
		return sub->run(path, json, argc - cmd, argv + cmd);

	_cleanup_free_ char *answer = NULL;
	size_t alen = 0;
	r = ctl_query(path, line, &answer, &alen);
	if (r < 0)
		return ctl_socket_error(path, r);
	_cleanup_(json_freep) struct json *j = NULL;
	r = json_parse(answer, alen, &j);
	if (r < 0 || j->type != JSON_OBJECT) {
		fprintf(stderr, "re6stctl: malformed answer from the daemon\n");
		return 1;
	}
	const struct json *err = json_get(j, "error");
	if (err) {
		char cell[256];
		fprintf(stderr, "re6stctl: %s\n", json_cell(err, cell, sizeof(cell)));
		if (json)
			printf("%s\n", answer);
		return 1;
	}
	if (json) {
		printf("%s\n", answer);
		/* Scripts read the JSON; the exit status still tells. */
		return sub && sub->print == print_status ? print_degraded_quiet(j) : 0;
	}
	r = (sub ? sub->print : print_tables)(j);
	return r < 0 ? 1 : r;
}
