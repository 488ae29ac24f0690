/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * re6st-fetch - one HTTP(S) GET for the curl-free registry client
 * (transport-spawn.c), which re6stnet uses so that libcurl and the
 * libraries it loads stay out of the daemon.
 *
 *   re6st-fetch [--timeout-ms N] [--user-agent S] [--cainfo FILE]
 *               [--stdin-headers] [--] URL
 *
 * --stdin-headers: request headers on stdin, one "Name: value" per line
 * (the signature headers of signed requests: kept off argv, which ps shows).
 * Writes one frame on stdout (fetch-frame.h) and exits 0, also when the
 * transfer failed (an ERROR frame says how). Exit 2: bad arguments or
 * headers (message on stderr); 1: stdout not writable.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "config.h"
#include "fetch-frame.h"
#include "macro.h"
#include "transport.h"

#define MAX_HEADERS 16
#define MAX_STDIN 4096

static _noreturn_ _printf_(1, 2) void usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("re6st-fetch: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\nusage: re6st-fetch [--timeout-ms N] [--user-agent S] [--cainfo FILE]"
	      " [--stdin-headers] [--] URL\n", stderr);
	exit(2);
}

static bool token_char(char ch)
{
	return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
	       ch == '-';
}

static bool printable(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s >= 0x7f)
			return false;
	return true;
}

/* A URL we may hand to libcurl: http(s), printable, no spaces. */
static bool valid_url(const char *u)
{
	if (strncmp(u, "http://", 7) != 0 && strncmp(u, "https://", 8) != 0)
		return false;
	return printable(u) && !strchr(u, ' ') && strlen(u) < 8192;
}

/* "Name: value" lines from stdin, in buf; pointers to them in hdrs. */
static size_t read_headers(char buf[MAX_STDIN + 1], const char *hdrs[MAX_HEADERS])
{
	size_t len = 0, n = 0;
	char *save = NULL;

	for (;;) {
		ssize_t k = read(STDIN_FILENO, buf + len, MAX_STDIN + 1 - len);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			usage_error("cannot read the headers: %s", strerror(errno));
		if (k == 0)
			break;
		len += (size_t)k;
		if (len > MAX_STDIN)
			usage_error("headers longer than %d bytes", MAX_STDIN);
	}
	buf[len] = '\0';
	if (memchr(buf, '\0', len))
		usage_error("%s in the headers", "NUL byte");
	if (len && buf[len - 1] != '\n')
		usage_error("%s", "headers must end with a newline");
	for (char *l = strtok_r(buf, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		char *colon = strchr(l, ':');
		if (!colon || colon == l || colon[1] != ' ' || !printable(l))
			usage_error("bad header line: %s", l);
		for (char *p = l; p < colon; p++)
			if (!token_char(*p))
				usage_error("bad header name: %s", l);
		if (n == MAX_HEADERS)
			usage_error("more than %d headers", MAX_HEADERS);
		hdrs[n++] = l;
	}
	return n;
}

static long parse_timeout(const char *s)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < 1 || v > 600000)
		usage_error("--timeout-ms: not a number of ms in 1..600000: %s", s);
	return v;
}

/* Only printable bytes of s, at most max - 1 of them. */
static void sanitize(char *s, size_t max)
{
	size_t n = strlen(s);

	if (n >= max)
		s[n = max - 1] = '\0';
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] >= 0x7f)
			s[i] = ' ';
}

static int write_all(const char *p, size_t n)
{
	while (n) {
		ssize_t k = write(STDOUT_FILENO, p, n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return -errno;
		p += k;
		n -= (size_t)k;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "timeout-ms", required_argument, NULL, 't' },
		{ "user-agent", required_argument, NULL, 'u' },
		{ "cainfo", required_argument, NULL, 'c' },
		{ "stdin-headers", no_argument, NULL, 'H' },
		{}
	};
	struct rc_request req = { .timeout_ms = 10000, .user_agent = "re6st/" RE6ST_VERSION };
	struct rc_response a = {};
	char stdin_buf[MAX_STDIN + 1], err[RC_ERRLEN] = "", head[64 + FETCH_MAX_HEADER];
	const char *hdrs[MAX_HEADERS];
	bool stdin_headers = false;
	int o, r, hl;

	/* Whatever happens to re6stnet, no helper outlives it. */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (o) {
		case 't':
			req.timeout_ms = parse_timeout(optarg);
			break;
		case 'u':
			if (!printable(optarg) || strlen(optarg) > 256)
				usage_error("--user-agent: not printable or too long: %s", optarg);
			req.user_agent = optarg;
			break;
		case 'c':
			if (!optarg[0])
				usage_error("--cainfo: %s", "empty path");
			req.cainfo = optarg;
			break;
		case 'H':
			stdin_headers = true;
			break;
		default:
			usage_error("%s", "bad option");
		}
	}
	if (optind != argc - 1)
		usage_error("%s", "one URL expected");
	if (!valid_url(argv[optind]))
		usage_error("not an http(s) URL: %s", argv[optind]);
	req.url = argv[optind];
	if (stdin_headers) {
		req.n_headers = read_headers(stdin_buf, hdrs);
		req.headers = hdrs;
	}
	r = rc_transport_init();
	if (r == 0)
		r = rc_transport_perform(&req, &a, err);
	if (r < 0) {
		if (!err[0])
			snprintf(err, sizeof(err), "%s", strerror(-r));
		sanitize(err, FETCH_MAX_ERROR - 16);
		hl = snprintf(head, sizeof(head), "ERROR %d %s\n", -r, err);
		return write_all(head, (size_t)hl) < 0 ? 1 : 0;
	}
	if (a.status < 100 || a.status > 599) {
		hl = snprintf(head, sizeof(head), "ERROR %d HTTP status %u\n", EIO, a.status);
		rc_response_clear(&a);
		return write_all(head, (size_t)hl) < 0 ? 1 : 0;
	}
	/* A header the frame cannot carry is dropped: the answer then fails its check. */
	if (a.has_signature && !printable(a.signature))
		a.has_signature = false;
	hl = snprintf(head, sizeof(head), "STATUS %u %zu\n%s%s%s\n", a.status, a.len,
		      a.has_signature ? RC_SIGNATURE_HEADER ": " : "",
		      a.has_signature ? a.signature : "", a.has_signature ? "\n" : "");
	r = write_all(head, (size_t)hl);
	if (r == 0 && a.len)
		r = write_all(a.body, a.len);
	rc_response_clear(&a);
	return r < 0 ? 1 : 0;
}
