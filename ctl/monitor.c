/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * re6stctl monitor [--count N] [CLASS...]: the daemon's event stream
 * ("monitor" on the control socket, docs/daemon.md), one line per event:
 * as the daemon sends it with --json, else a time stamp, the event, what
 * changed and the other fields as key=value.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "conffile.h"
#include "json.h"
#include "macro.h"
#include "node.h"

#define MAX_LINE 4096

static const char *const classes[] = { "tunnel", "route", "neighbour", "revocation" };

static void print_event(const struct json *j)
{
	char cell[256], ts[64] = "?";
	const struct json *t = json_get(j, "time"), *ev = json_get(j, "event"),
			  *ch = json_get(j, "change");
	if (t && t->type == JSON_NUMBER) {
		char *end;
		double v = strtod(t->text, &end);
		time_t s = (time_t)v;
		struct tm tm;
		if (gmtime_r(&s, &tm)) {
			size_t n = strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
			snprintf(ts + n, sizeof(ts) - n, ".%03dZ", (int)((v - (double)s) * 1000));
		}
	}
	printf("%s %s", ts, ev ? json_cell(ev, cell, sizeof(cell)) : "?");
	if (ch)
		printf(" %s", json_cell(ch, cell, sizeof(cell)));
	for (size_t i = 0; i < j->n; i++) {
		const char *k = j->keys[i];
		if (!strcmp(k, "time") || !strcmp(k, "event") || !strcmp(k, "change"))
			continue;
		printf(" %s=%s", k, json_cell(j->items[i], cell, sizeof(cell)));
	}
	printf("\n");
}

/* One line from the daemon: printed. 0, or 1 on a malformed or error line. */
static int handle_line(const char *line, size_t len, bool json, bool first)
{
	_cleanup_(json_freep) struct json *j = NULL;
	if (json_parse(line, len, &j) < 0 || j->type != JSON_OBJECT) {
		fprintf(stderr, "re6stctl: malformed answer from the daemon\n");
		return 1;
	}
	const struct json *e = json_get(j, "error");
	if (e) {
		char cell[256];
		fprintf(stderr, "re6stctl: %s\n", json_cell(e, cell, sizeof(cell)));
		return 1;
	}
	if (first) /* {"monitor": [classes]}: the stream starts */
		return 0;
	if (json)
		printf("%.*s\n", (int)len, line);
	else
		print_event(j);
	fflush(stdout);
	return 0;
}

int ctl_monitor(const char *socket_path, bool json, int argc, char *argv[])
{
	struct margs {
		int count;
	} args = { 0 };
	static const struct conf_option opts[] = {
		{ "count", 'n', CONF_INT, offsetof(struct margs, count), 1, 1000000000, NULL, "N",
		  NULL },
	};
	char err[256], req[128] = "monitor";
	struct conf_parser cp;
	size_t rlen = strlen(req);

	conf_parser_init(&cp, opts, ARRAY_SIZE(opts), &args, err, sizeof(err));
	cp.stop_at_argument = true;
	for (int i = 0;;) {
		int r = conf_parser_argv(&cp, argc - i, argv + i);
		if (r < 0) {
			fprintf(stderr, "re6stctl: monitor: %s\n", r == -ENOMEM ? "out of memory" : err);
			return r == -ENOMEM ? 1 : 2;
		}
		i += cp.optind;
		if (i >= argc)
			break;
		size_t k;
		for (k = 0; k < ARRAY_SIZE(classes) && strcmp(argv[i], classes[k]); k++)
			;
		if (k == ARRAY_SIZE(classes)) {
			fprintf(stderr, "re6stctl: monitor: unknown event class '%s' (tunnel, route, "
					"neighbour, revocation)\n", argv[i]);
			return 2;
		}
		rlen += (size_t)snprintf(req + rlen, sizeof(req) - rlen, " %s", classes[k]);
		if (rlen >= sizeof(req)) {
			fprintf(stderr, "re6stctl: monitor: too many classes\n");
			return 2;
		}
	}

	_cleanup_close_ int fd = -1;
	int r = ctl_connect(socket_path, req, &fd);
	if (r < 0)
		return ctl_socket_error(socket_path, r);
	_cleanup_free_ char *buf = malloc(MAX_LINE);
	if (!buf)
		return 1;
	size_t len = 0;
	bool first = true;
	int seen = 0;
	for (;;) {
		/* The first answer comes at once; events whenever they come. */
		struct pollfd pfd = { fd, POLLIN, 0 };
		int pr = poll(&pfd, 1, first ? CTL_TIMEOUT_MS : -1);
		if (pr == 0) {
			fprintf(stderr, "re6stctl: %s: %s\n", socket_path, strerror(ETIMEDOUT));
			return 1;
		}
		if (pr < 0) {
			if (errno == EINTR)
				continue;
			return ctl_socket_error(socket_path, negative_errno());
		}
		ssize_t n = recv(fd, buf + len, MAX_LINE - len, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			fprintf(stderr, "re6stctl: the daemon closed the stream\n");
			return 1;
		}
		len += (size_t)n;
		char *nl;
		while ((nl = memchr(buf, '\n', len))) {
			size_t l = (size_t)(nl - buf);
			*nl = '\0'; /* json_parse() reads a string */
			if (handle_line(buf, l, json, first))
				return 1;
			if (!first && args.count && ++seen >= args.count)
				return 0;
			first = false;
			memmove(buf, nl + 1, len - l - 1);
			len -= l + 1;
		}
		if (len == MAX_LINE) {
			fprintf(stderr, "re6stctl: malformed answer from the daemon (line too long)\n");
			return 1;
		}
	}
}
