/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * re6stctl ping NODE: the daemon says which address to ping and the route
 * babel uses ("ping" on the control socket); re6stctl sends the ICMPv6
 * echo requests itself, from the node's re6st address, over an unprivileged
 * ICMP socket when the kernel allows one (net.ipv4.ping_group_range), else
 * a raw one (root).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
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
#include "prefix.h"

struct ping_args {
	int count;
	double interval, timeout;
};

static int parse_seconds(const char *value, double *ret, char *err, size_t errlen)
{
	char *end;
	errno = 0;
	double v = strtod(value, &end);
	if (errno || end == value || *end || !isfinite(v) || v < 0.01 || v > 3600) {
		snprintf(err, errlen, "'%s' is not a number of seconds (0.01 to 3600)", value);
		return -EINVAL;
	}
	*ret = v;
	return 0;
}

/* CONF_CUSTOM parsers get the whole struct. */
static int parse_interval(void *target, const char *value, char *err, size_t errlen)
{
	return parse_seconds(value, &((struct ping_args *)target)->interval, err, errlen);
}

static int parse_timeout(void *target, const char *value, char *err, size_t errlen)
{
	return parse_seconds(value, &((struct ping_args *)target)->timeout, err, errlen);
}

static uint64_t now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

struct pinger {
	int fd;
	bool raw;            /* raw socket: we match the identifier ourselves */
	uint16_t id;
	struct sockaddr_in6 dst;
	unsigned sent, received;
	double min, max, sum;
	uint64_t sent_us[65536 / 64]; /* per sequence number modulo the table */
};

static int open_socket(struct pinger *p, const char *source)
{
	p->fd = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, IPPROTO_ICMPV6);
	if (p->fd < 0 && (errno == EACCES || errno == EPERM)) {
		p->fd = socket(AF_INET6, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_ICMPV6);
		p->raw = true;
	}
	if (p->fd < 0)
		return negative_errno();
	if (p->raw) {
		struct icmp6_filter f;
		ICMP6_FILTER_SETBLOCKALL(&f);
		ICMP6_FILTER_SETPASS(ICMP6_ECHO_REPLY, &f);
		if (setsockopt(p->fd, IPPROTO_ICMPV6, ICMP6_FILTER, &f, sizeof(f)) < 0)
			return negative_errno();
	}
	/* From the node's re6st address, so that the reply comes back over
	 * the overlay; the kernel picks one when that address is not here. */
	struct sockaddr_in6 src = { .sin6_family = AF_INET6 };
	if (source && inet_pton(AF_INET6, source, &src.sin6_addr) == 1 &&
	    bind(p->fd, (struct sockaddr *)&src, sizeof(src)) < 0)
		fprintf(stderr, "re6stctl: ping: cannot send from %s (%s): the kernel chooses\n",
			source, strerror(errno));
	if (!p->raw) {
		struct sockaddr_in6 me;
		socklen_t len = sizeof(me);
		if (getsockname(p->fd, (struct sockaddr *)&me, &len) == 0)
			p->id = ntohs(me.sin6_port);
	} else {
		p->id = (uint16_t)getpid();
	}
	return 0;
}

static int send_echo(struct pinger *p, uint16_t seq)
{
	uint8_t pkt[sizeof(struct icmp6_hdr) + 16] = { 0 };
	struct icmp6_hdr *h = (struct icmp6_hdr *)pkt;
	h->icmp6_type = ICMP6_ECHO_REQUEST;
	h->icmp6_id = htons(p->id);
	h->icmp6_seq = htons(seq);
	memcpy(pkt + sizeof(*h), "re6stctl ping   ", 16);
	p->sent_us[seq % ARRAY_SIZE(p->sent_us)] = now_us();
	if (sendto(p->fd, pkt, sizeof(pkt), 0, (struct sockaddr *)&p->dst, sizeof(p->dst)) < 0)
		return negative_errno();
	p->sent++;
	return 0;
}

/* Read the replies that came; print each unless json. */
static void read_replies(struct pinger *p, bool json)
{
	for (;;) {
		uint8_t buf[1500];
		struct sockaddr_in6 from;
		socklen_t flen = sizeof(from);
		ssize_t n = recvfrom(p->fd, buf, sizeof(buf), MSG_DONTWAIT, (struct sockaddr *)&from,
				     &flen);
		if (n < 0)
			return;
		const struct icmp6_hdr *h = (const struct icmp6_hdr *)buf;
		if ((size_t)n < sizeof(*h) || h->icmp6_type != ICMP6_ECHO_REPLY ||
		    memcmp(&from.sin6_addr, &p->dst.sin6_addr, 16) ||
		    (p->raw && ntohs(h->icmp6_id) != p->id))
			continue;
		uint16_t seq = ntohs(h->icmp6_seq);
		if (seq >= p->sent)
			continue;
		double ms = (double)(now_us() - p->sent_us[seq % ARRAY_SIZE(p->sent_us)]) / 1000;
		p->received++;
		p->sum += ms;
		p->min = p->received == 1 ? ms : MIN(p->min, ms);
		p->max = MAX(p->max, ms);
		if (!json) {
			char a[INET6_ADDRSTRLEN];
			printf("reply from %s: seq=%u time=%.3f ms\n",
			       inet_ntop(AF_INET6, &from.sin6_addr, a, sizeof(a)), seq, ms);
			fflush(stdout);
		}
	}
}

/* Wait for replies until deadline (monotonic us). */
static void wait_until(struct pinger *p, uint64_t deadline, bool json, unsigned want)
{
	for (;;) {
		read_replies(p, json);
		uint64_t now = now_us();
		if (now >= deadline || (want && p->received >= want))
			return;
		struct pollfd pfd = { p->fd, POLLIN, 0 };
		if (poll(&pfd, 1, (int)((deadline - now + 999) / 1000)) < 0 && errno != EINTR)
			return;
	}
}

static void print_route(const struct json *j)
{
	const struct json *r = json_get(j, "route"), *nb = json_get(j, "neighbour"),
			  *local = json_get(j, "local");
	char c1[64], c2[64], c3[64], c4[64], c5[64];
	if (local && local->type == JSON_TRUE) {
		printf("route: none, this node's own prefix\n");
	} else if (!r || r->type != JSON_OBJECT) {
		printf("route: babel has no route to it\n");
	} else {
		const struct json *inst = json_get(r, "installed");
		printf("route: %s via %s dev %s metric %s (refmetric %s%s)\n",
		       json_cell(json_get(r, "prefix"), c1, sizeof(c1)),
		       json_cell(json_get(r, "via"), c2, sizeof(c2)),
		       json_cell(json_get(r, "interface"), c3, sizeof(c3)),
		       json_cell(json_get(r, "metric"), c4, sizeof(c4)),
		       json_cell(json_get(r, "refmetric"), c5, sizeof(c5)),
		       inst && inst->type == JSON_TRUE ? ", installed" : ", NOT installed");
	}
	if (nb && nb->type == JSON_OBJECT)
		printf("neighbour: rtt %s ms, cost %s, reach %s\n",
		       json_cell(json_get(nb, "rtt_ms"), c1, sizeof(c1)),
		       json_cell(json_get(nb, "cost"), c2, sizeof(c2)),
		       json_cell(json_get(nb, "reach"), c3, sizeof(c3)));
}

/* NODE as the daemon takes it (control_parse_ping): checked here too, so
 * that a bad one is a usage error (2). */
static bool valid_node(const char *s)
{
	struct re6st_prefix p;
	uint8_t a[16];
	return strchr(s, '/') ? prefix_parse(s, &p) == 0 : prefix_parse_address(s, a) == 0;
}

int ctl_ping(const char *socket_path, bool json, int argc, char *argv[])
{
	struct ping_args args = { .count = 3, .interval = 1, .timeout = 2 };
	static const struct conf_option opts[] = {
		{ "count", 'c', CONF_INT, offsetof(struct ping_args, count), 1, 65535, NULL, "N",
		  NULL },
		{ "interval", 'i', CONF_CUSTOM, 0, 0, 0, parse_interval, "SEC", NULL },
		{ "timeout", 'W', CONF_CUSTOM, 0, 0, 0, parse_timeout, "SEC", NULL },
	};
	const char *node = NULL;
	char err[256];
	struct conf_parser cp;

	/* Options and NODE in any order (getopt_long's permutation). */
	conf_parser_init(&cp, opts, ARRAY_SIZE(opts), &args, err, sizeof(err));
	cp.stop_at_argument = true;
	for (int i = 0;;) {
		int r = conf_parser_argv(&cp, argc - i, argv + i);
		if (r < 0) {
			fprintf(stderr, "re6stctl: ping: %s\n", r == -ENOMEM ? "out of memory" : err);
			return r == -ENOMEM ? 1 : 2;
		}
		i += cp.optind;
		if (i >= argc)
			break;
		if (node) {
			fprintf(stderr, "re6stctl: ping: one NODE expected, got '%s' too\n", argv[i]);
			return 2;
		}
		node = argv[i];
	}
	if (!node || !valid_node(node)) {
		fprintf(stderr, "re6stctl: ping: %s%s%s\nre6stctl: usage: ping [-c N] [-i SEC] "
				"[-W SEC] NODE (a node prefix or an IPv6 address)\n",
			node ? "'" : "no NODE given", node ? node : "",
			node ? "' is neither an IPv6 address nor a prefix" : "");
		return 2;
	}

	char line[128];
	snprintf(line, sizeof(line), "ping %s", node);
	_cleanup_free_ char *answer = NULL;
	size_t alen = 0;
	int r = ctl_query(socket_path, line, &answer, &alen);
	if (r < 0)
		return ctl_socket_error(socket_path, r);
	_cleanup_(json_freep) struct json *j = NULL;
	const struct json *e, *addr;
	if (json_parse(answer, alen, &j) < 0 || j->type != JSON_OBJECT) {
		fprintf(stderr, "re6stctl: malformed answer from the daemon\n");
		return 1;
	}
	char cell[256];
	if ((e = json_get(j, "error"))) {
		fprintf(stderr, "re6stctl: %s\n", json_cell(e, cell, sizeof(cell)));
		return 1;
	}
	addr = json_get(j, "address");
	const struct json *src = json_get(j, "source");
	struct pinger *p = calloc(1, sizeof(*p));
	if (!p)
		return 1;
	p->fd = -1;
	p->dst.sin6_family = AF_INET6;
	if (!addr || addr->type != JSON_STRING ||
	    inet_pton(AF_INET6, addr->text, &p->dst.sin6_addr) != 1) {
		fprintf(stderr, "re6stctl: malformed answer from the daemon\n");
		free(p);
		return 1;
	}
	if (!json) {
		printf("PING %s (%s)\n", node, addr->text);
		print_route(j);
		fflush(stdout);
	}
	r = open_socket(p, src && src->type == JSON_STRING ? src->text : NULL);
	if (r < 0) {
		fprintf(stderr, "re6stctl: ping: cannot open an ICMPv6 socket: %s\n", strerror(-r));
		if (p->fd >= 0)
			close(p->fd);
		free(p);
		return 1;
	}
	uint64_t next = now_us();
	for (int i = 0; i < args.count; i++) {
		r = send_echo(p, (uint16_t)i);
		if (r < 0 && !json)
			printf("seq=%d: cannot send: %s\n", i, strerror(-r));
		next += (uint64_t)(args.interval * 1e6);
		if (i + 1 < args.count)
			wait_until(p, next, json, 0);
	}
	wait_until(p, now_us() + (uint64_t)(args.timeout * 1e6), json, p->sent);
	close(p->fd);

	unsigned loss = p->sent ? 100 - p->received * 100 / p->sent : 100;
	if (json) {
		/* The daemon's answer (an object) with the results added. */
		while (alen && answer[alen - 1] != '}')
			alen--;
		printf("%.*s, \"sent\": %u, \"received\": %u, \"loss_percent\": %u, \"rtt_ms\": ",
		       (int)(alen - 1), answer, p->sent, p->received, loss);
		if (p->received)
			printf("{\"min\": %.3f, \"avg\": %.3f, \"max\": %.3f}}\n", p->min,
			       p->sum / p->received, p->max);
		else
			printf("null}\n");
	} else {
		printf("--- %s: %u sent, %u received, %u%% loss", addr->text, p->sent, p->received,
		       loss);
		if (p->received)
			printf(", rtt min/avg/max %.3f/%.3f/%.3f ms", p->min, p->sum / p->received,
			       p->max);
		printf("\n");
	}
	r = p->received ? 0 : 1;
	free(p);
	return r;
}
