/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Kernel tests of netlink/: each scenario creates its own network
 * namespaces (ip netns add nlt-*-PID), programs objects through the
 * library, checks them field by field against ip/tc/wg output, and sends
 * traffic through them. Needs root; exits 77 when not root or when the
 * kernel lacks what a scenario needs (unless RE6ST_REQUIRE_KERNEL=1).
 *
 *   test-nl-kernel SCENARIO...   (links addr-route tc wg wg-replace gre
 *                                 ip6gre fou errors)
 */
#include "nl-internal.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <inttypes.h>
#include <sched.h>
#include <stdarg.h>
#include <sodium.h>
#include <sys/wait.h>

#include "check.h"

#define SKIP 77

static int home_ns = -1;
static bool verbose;

struct ns {
	char name[32];
	int fd;
	struct nl_sock *s;
};

static int run(const char *fmt, ...) _printf_(1, 2);
static int run(const char *fmt, ...)
{
	char cmd[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	if (verbose)
		fprintf(stderr, "+ %s\n", cmd);
	int st = system(cmd);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

/* Output of a command (stdout+stderr), malloc'ed; "" on failure. */
static char *capture(const char *fmt, ...) _printf_(1, 2);
static char *capture(const char *fmt, ...)
{
	char cmd[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd) - 8, fmt, ap);
	va_end(ap);
	strcat(cmd, " 2>&1");
	size_t cap = 65536, len = 0;
	char *out = calloc(1, cap);
	FILE *p = popen(cmd, "r");
	if (p) {
		size_t n;
		while ((n = fread(out + len, 1, cap - 1 - len, p)) > 0) {
			len += n;
			if (len + 1 == cap) {
				cap *= 2;
				out = realloc(out, cap);
			}
		}
		pclose(p);
	}
	out[len] = '\0';
	if (verbose)
		fprintf(stderr, "+ %s\n%s", cmd, out);
	return out;
}

/* Check that the output of a command contains every needle. */
#define CHECK_OUTPUT(out, needle)                                                      \
	do {                                                                           \
		bool _ok = strstr(out, needle) != NULL;                                \
		CHECK(_ok);                                                            \
		if (!_ok)                                                              \
			fprintf(stderr, "  missing \"%s\" in:\n%s\n", needle, out);    \
	} while (0)

/* Check a library call's result and show the kernel's message on failure. */
#define CHECK_NL(n, call, expect)                                                       \
	do {                                                                            \
		int _r = (call);                                                        \
		CHECK_EQ(_r, expect);                                                   \
		if (_r != (expect))                                                     \
			fprintf(stderr, "  kernel says: \"%s\"\n", nl_last_error((n)->s)); \
	} while (0)

static int ns_enter(int fd)
{
	return setns(fd, CLONE_NEWNET) < 0 ? negative_errno() : 0;
}

static int ns_create(struct ns *n, const char *tag)
{
	snprintf(n->name, sizeof(n->name), "nlt-%s-%d", tag, (int)getpid());
	if (run("ip netns add %s", n->name) != 0)
		return -EIO;
	char path[64];
	snprintf(path, sizeof(path), "/run/netns/%s", n->name);
	n->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (n->fd < 0)
		return negative_errno();
	/* A handle is bound to the namespace it is opened in. */
	int r = ns_enter(n->fd);
	if (r == 0)
		r = nl_sock_open(&n->s);
	ns_enter(home_ns);
	if (r == 0)
		run("ip -n %s link set lo up", n->name);
	return r;
}

static void ns_destroy(struct ns *n)
{
	if (!n->name[0])
		return;
	nl_sock_free(n->s);
	if (n->fd >= 0)
		close(n->fd);
	run("ip netns pids %s | xargs -r kill 2>/dev/null; ip netns del %s", n->name, n->name);
	memset(n, 0, sizeof(*n));
}

/* A veth pair a:name_a <-> b:name_b, created through the library. */
static int veth(struct ns *a, const char *name_a, struct ns *b, const char *name_b,
		int *ret_a, int *ret_b)
{
	int r = nl_link_create_veth(a->s, name_a, name_b, b->fd, ret_a);
	if (r < 0)
		return r;
	r = nl_link_ifindex(b->s, name_b, ret_b);
	if (r < 0)
		return r;
	r = nl_link_set_up(a->s, *ret_a, true);
	return r < 0 ? r : nl_link_set_up(b->s, *ret_b, true);
}

static int add_addr(struct ns *n, int ifindex, const char *prefix)
{
	struct nl_prefix p;
	int r = nl_prefix_from_string(prefix, &p);
	return r < 0 ? r : nl_addr_add(n->s, ifindex, &p, p.family == AF_INET6 ? NL_ADDR_NODAD : 0);
}

static bool kernel_has(const char *kind)
{
	struct ns n = {};
	/* -EEXIST: a kind such as gre refuses a second all-zero tunnel. */
	bool ok = ns_create(&n, "probe") == 0 &&
		  nl_link_create(n.s, "probe0", kind, 0, NULL) != -EOPNOTSUPP;
	ns_destroy(&n);
	return ok;
}

static int ping(struct ns *from, const char *addr)
{
	return run("ip netns exec %s ping -c 2 -i 0.3 -W 5 %s >/dev/null 2>&1", from->name, addr);
}

static int iperf(struct ns *server, struct ns *client, const char *addr)
{
	if (run("ip netns exec %s iperf3 -s -1 -D -B %s >/dev/null 2>&1", server->name, addr) != 0)
		return -1;
	usleep(500000);
	_cleanup_free_ char *out =
		capture("ip netns exec %s iperf3 -c %s -t 2 -f m", client->name, addr);
	const char *rx = strstr(out, "receiver");
	if (!rx) {
		fprintf(stderr, "iperf3 failed:\n%s\n", out);
		return -1;
	}
	/* Print the receiver line: throughput under TCG is informative only. */
	const char *bol = rx;
	while (bol > out && bol[-1] != '\n')
		bol--;
	printf("  iperf3 %s: %.*s\n", addr, (int)(rx - bol + 8), bol);
	return 0;
}

/* ---------------- links and events ---------------- */

struct events {
	int new_seen, del_seen;
	uint32_t mtu;
};

static void on_event(const struct nl_link_event *ev, void *userdata)
{
	struct events *e = userdata;
	if (strcmp(ev->link.name, "ev0") != 0)
		return;
	if (ev->type == NL_LINK_EVENT_NEW) {
		e->new_seen++;
		e->mtu = ev->link.mtu;
	} else
		e->del_seen++;
}

/* A batch's answer callback that refuses them (its error is returned). */
static int no_answer(size_t i, const struct nlmsghdr *nlh, void *data)
{
	return -ECANCELED;
}

static int scenario_links(void)
{
	struct ns a = {}, b = {};
	CHECK_EQ(ns_create(&a, "a"), 0);
	CHECK_EQ(ns_create(&b, "b"), 0);
	int ia = 0, ib = 0;
	CHECK_NL(&a, veth(&a, "va", &b, "vb", &ia, &ib), 0);
	CHECK_NL(&a, nl_link_set_mtu(a.s, ia, 1400), 0);
	struct nl_link_info l = {};
	CHECK_NL(&a, nl_link_get(a.s, ia, &l), 0);
	CHECK(strcmp(l.name, "va") == 0 && strcmp(l.kind, "veth") == 0 && l.mtu == 1400 &&
	      (l.flags & IFF_UP));
	_cleanup_free_ char *out = capture("ip -n %s -d link show dev va", a.name);
	CHECK_OUTPUT(out, "mtu 1400");
	CHECK_OUTPUT(out, "veth");
	CHECK_OUTPUT(out, "<BROADCAST,MULTICAST,UP");
	int idx;
	CHECK_NL(&b, nl_link_ifindex(b.s, "vb", &idx), 0);
	CHECK(idx == ib);
	CHECK_NL(&a, nl_link_ifindex(a.s, "vb", &idx), -ENODEV); /* in the other namespace */

	_cleanup_free_ struct nl_link_info *v = NULL;
	size_t n = 0;
	CHECK_NL(&a, nl_link_dump(a.s, &v, &n), 0);
	/* lo, va, and fallback tunnels (gre0...) when those modules are loaded */
	bool has_lo = false, has_va = false;
	for (size_t i = 0; i < n; i++) {
		has_lo = has_lo || (strcmp(v[i].name, "lo") == 0 && (v[i].flags & IFF_LOOPBACK));
		has_va = has_va || (strcmp(v[i].name, "va") == 0 && v[i].ifindex == ia &&
				    v[i].mtu == 1400 && strcmp(v[i].kind, "veth") == 0);
	}
	CHECK(has_lo && has_va);

	/* Counters: five datagrams over namespace a's loopback, then lo's
	 * answer has them; va's too, a link that is not there none (ifindex
	 * 0, the others still read); 40 links in two batches. */
	int ilo = 0;
	CHECK_NL(&a, nl_link_ifindex(a.s, "lo", &ilo), 0);
	CHECK_NL(&a, nl_link_set_up(a.s, ilo, true), 0);
	int want[3] = { ilo, 999999, ia };
	struct nl_link_stats st[40];
	CHECK_NL(&a, nl_link_stats_get(a.s, want, 3, st), 0);
	uint64_t lo_tx0 = st[0].tx_bytes;
	CHECK(st[0].ifindex == ilo && st[1].ifindex == 0 && st[2].ifindex == ia,
	      "stats: links %d %d %d", st[0].ifindex, st[1].ifindex, st[2].ifindex);
	CHECK_EQ(ns_enter(a.fd), 0);
	{
		_cleanup_close_ int u = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(9),
					  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
		char payload[100] = { 0 };
		for (int i = 0; i < 5; i++)
			CHECK(sendto(u, payload, sizeof(payload), 0, (struct sockaddr *)&to,
				     sizeof(to)) == (ssize_t)sizeof(payload));
	}
	ns_enter(home_ns);
	CHECK_NL(&a, nl_link_stats_get(a.s, want, 3, st), 0);
	CHECK(st[0].ifindex == ilo && st[0].tx_packets >= 5 && st[0].tx_bytes >= lo_tx0 + 5 * 128 &&
	      st[0].rx_bytes >= st[0].tx_bytes - lo_tx0 && st[1].ifindex == 0 && st[2].ifindex == ia,
	      "stats: lo counted 5 datagrams (tx %" PRIu64 " bytes, %" PRIu64 " before)",
	      st[0].tx_bytes, lo_tx0);
	int many[40];
	for (size_t i = 0; i < ARRAY_SIZE(many); i++)
		many[i] = i % 2 ? ia : ilo;
	CHECK_NL(&a, nl_link_stats_get(a.s, many, ARRAY_SIZE(many), st), 0);
	bool all = true;
	for (size_t i = 0; i < ARRAY_SIZE(many); i++)
		all = all && st[i].ifindex == many[i];
	CHECK(all, "stats: 40 links in two batches");
	want[1] = 0;
	CHECK_EQ(nl_link_stats_get(a.s, want, 3, st), -EINVAL);
	/* A batch whose count does not match its buffer is not sent. */
	{
		_Alignas(struct nlmsghdr) uint8_t two[64];
		struct nlmsghdr *h;
		CHECK_EQ(nl_link_build_getstats(two, sizeof(two), ilo, &h), 0);
		size_t len = MNL_ALIGN(h->nlmsg_len);
		CHECK_EQ(nl_link_build_getstats(two + len, sizeof(two) - len, ilo, &h), 0);
		len += MNL_ALIGN(h->nlmsg_len);
		CHECK_EQ(nl_batch(a.s, NL_PROTO_ROUTE, two, len, 1, no_answer, NULL), -EINVAL);
		CHECK_EQ(nl_batch(a.s, NL_PROTO_ROUTE, two, len, 3, no_answer, NULL), -EINVAL);
		CHECK_EQ(nl_batch(a.s, NL_PROTO_ROUTE, two, len, NL_BATCH_MAX + 1, no_answer, NULL),
			 -E2BIG);
		CHECK_EQ(nl_batch(a.s, NL_PROTO_ROUTE, two, len, 2, no_answer, NULL), -ECANCELED);
	}

	CHECK_NL(&a, nl_link_set_up(a.s, ia, false), 0);
	CHECK_NL(&a, nl_link_get(a.s, ia, &l), 0);
	CHECK(!(l.flags & IFF_UP));

	/* Events, on a monitor opened in namespace a. */
	_cleanup_(nl_link_monitor_freep) struct nl_link_monitor *m = NULL;
	CHECK_EQ(ns_enter(a.fd), 0);
	CHECK_EQ(nl_link_monitor_open(&m), 0);
	ns_enter(home_ns);
	if (m) {
		int iev = 0, ipeer = 0;
		CHECK_NL(&a, nl_link_create_veth(a.s, "ev0", "ev1", -1, &iev), 0);
		CHECK_NL(&a, nl_link_set_mtu(a.s, iev, 1300), 0);
		(void)ipeer;
		struct events e = {};
		CHECK_EQ(nl_link_monitor_process(m, on_event, &e), 0);
		CHECK(e.new_seen >= 2 && e.mtu == 1300);
		CHECK_NL(&a, nl_link_delete(a.s, iev), 0);
		CHECK_EQ(nl_link_monitor_process(m, on_event, &e), 0);
		CHECK(e.del_seen == 1);
		CHECK(nl_link_monitor_fd(m) >= 0);
	}

	/* Errors. */
	CHECK_NL(&a, nl_link_create_veth(a.s, "va", "vx", -1, NULL), -EEXIST);
	printf("  EEXIST message: \"%s\"\n", nl_last_error(a.s));
	CHECK_NL(&a, nl_link_create(a.s, "x0", "no-such-kind", 0, NULL), -EOPNOTSUPP);
	printf("  EOPNOTSUPP message: \"%s\"\n", nl_last_error(a.s));
	CHECK(nl_last_error(a.s)[0] != '\0');
	CHECK_NL(&a, nl_link_delete(a.s, 99999), -ENODEV);
	CHECK_NL(&a, nl_link_set_mtu(a.s, 99999, 1280), -ENODEV);
	CHECK_NL(&a, nl_link_set_mtu(a.s, ia, 10), -EINVAL);
	printf("  EINVAL (mtu 10) message: \"%s\"\n", nl_last_error(a.s));

	CHECK_NL(&a, nl_link_delete(a.s, ia), 0);
	CHECK_NL(&b, nl_link_ifindex(b.s, "vb", &idx), -ENODEV); /* peer went too */
	ns_destroy(&a);
	ns_destroy(&b);
	return 0;
}

/* ---------------- addresses and routes ---------------- */

static int scenario_addr_route(void)
{
	struct ns a = {}, b = {};
	CHECK_EQ(ns_create(&a, "a"), 0);
	CHECK_EQ(ns_create(&b, "b"), 0);
	int ia = 0, ib = 0;
	CHECK_NL(&a, veth(&a, "va", &b, "vb", &ia, &ib), 0);

	struct nl_prefix p6, p4, pn;
	nl_prefix_from_string("2001:db8:1::1/64", &p6);
	nl_prefix_from_string("10.1.0.1/24", &p4);
	nl_prefix_from_string("2001:db8:2::1/64", &pn);
	CHECK_NL(&a, nl_addr_add(a.s, ia, &p6, NL_ADDR_NODAD), 0);
	CHECK_NL(&a, nl_addr_add(a.s, ia, &p4, 0), 0);
	CHECK_NL(&a, nl_addr_add(a.s, ia, &pn, NL_ADDR_NODAD | NL_ADDR_NOPREFIXROUTE), 0);
	CHECK_NL(&a, nl_addr_add(a.s, ia, &p6, NL_ADDR_NODAD), -EEXIST);
	CHECK_NL(&a, add_addr(&b, ib, "2001:db8:1::2/64"), 0);
	CHECK_NL(&a, add_addr(&b, ib, "10.1.0.2/24"), 0);
	_cleanup_free_ char *out = capture("ip -n %s addr show dev va", a.name);
	CHECK_OUTPUT(out, "inet6 2001:db8:1::1/64 scope global nodad");
	CHECK_OUTPUT(out, "inet6 2001:db8:2::1/64 scope global nodad noprefixroute");
	CHECK_OUTPUT(out, "inet 10.1.0.1/24");
	free(out);
	out = NULL;
	out = capture("ip -n %s -6 route show dev va", a.name);
	CHECK(strstr(out, "2001:db8:2::/64") == NULL); /* noprefixroute */
	CHECK_OUTPUT(out, "2001:db8:1::/64");
	free(out);
	out = NULL;
	CHECK_EQ(ping(&a, "2001:db8:1::2"), 0);
	CHECK_EQ(ping(&a, "10.1.0.2"), 0);

	_cleanup_free_ struct nl_addr_entry *av = NULL;
	size_t n = 0;
	CHECK_NL(&a, nl_addr_list(a.s, ia, AF_INET6, &av, &n), 0);
	size_t global6 = 0;
	for (size_t i = 0; i < n; i++)
		if (av[i].scope == 0)
			global6++;
	CHECK_EQ(global6, 2);

	/* Routes: via device with table/metric/protocol, source-specific,
	 * unreachable, replace, delete. */
	struct nl_route r = { .family = AF_INET6, .ifindex = ia, .table = 100, .metric = 100,
			      .protocol = 200 };
	nl_prefix_from_string("2001:db8:99::/48", &r.dst);
	CHECK_NL(&a, nl_route_add(a.s, &r), 0);
	CHECK_NL(&a, nl_route_add(a.s, &r), -EEXIST);
	out = capture("ip -n %s -6 route show table 100", a.name);
	CHECK_OUTPUT(out, "2001:db8:99::/48 dev va proto 200 metric 100");
	free(out);
	out = NULL;
	struct nl_route g = r;
	g.has_gateway = true;
	inet_pton(AF_INET6, "2001:db8:1::2", &g.gateway);
	CHECK_NL(&a, nl_route_replace(a.s, &g), 0);
	out = capture("ip -n %s -6 route show table 100", a.name);
	CHECK_OUTPUT(out, "2001:db8:99::/48 via 2001:db8:1::2 dev va proto 200 metric 100");
	free(out);
	out = NULL;
	_cleanup_free_ struct nl_route *rv = NULL;
	CHECK_NL(&a, nl_route_list(a.s, AF_INET6, 100, &rv, &n), 0);
	CHECK_EQ(n, 1);
	if (n == 1)
		CHECK(rv[0].has_gateway && rv[0].metric == 100 && rv[0].protocol == 200 &&
		      rv[0].ifindex == ia && rv[0].dst.len == 48 && rv[0].table == 100);
	CHECK_NL(&a, nl_route_delete(a.s, &g), 0);
	CHECK_NL(&a, nl_route_delete(a.s, &g), -ESRCH);

	struct nl_route from = { .family = AF_INET6, .ifindex = ia };
	nl_prefix_from_string("2001:db8:a::/48", &from.dst);
	nl_prefix_from_string("2001:db8:b::/48", &from.src);
	CHECK_NL(&a, nl_route_add(a.s, &from), 0);
	out = capture("ip -n %s -6 route show", a.name);
	CHECK_OUTPUT(out, "2001:db8:a::/48 from 2001:db8:b::/48 dev va proto static");
	free(out);
	out = NULL;
	struct nl_route un = { .family = AF_INET6, .type = NL_ROUTE_UNREACHABLE };
	nl_prefix_from_string("2001:db8:dead::/48", &un.dst);
	CHECK_NL(&a, nl_route_add(a.s, &un), 0);
	out = capture("ip -n %s -6 route show", a.name);
	CHECK_OUTPUT(out, "unreachable 2001:db8:dead::/48");
	free(out);
	out = NULL;
	out = capture("ip netns exec %s ping -c 1 -W 1 2001:db8:dead::1", a.name);
	CHECK(strstr(out, " 0 received") || strstr(out, "nreachable") ||
	      strstr(out, "No route to host"));
	if (!strstr(out, " 0 received") && !strstr(out, "nreachable") && !strstr(out, "No route"))
		fprintf(stderr, "%s\n", out);
	free(out);
	out = NULL;
	CHECK_NL(&a, nl_route_delete(a.s, &un), 0);
	struct nl_route v4 = { .family = AF_INET, .has_gateway = true, .metric = 5 };
	nl_prefix_from_string("10.77.0.0/16", &v4.dst);
	inet_pton(AF_INET, "10.1.0.2", &v4.gateway);
	CHECK_NL(&a, nl_route_add(a.s, &v4), 0);
	out = capture("ip -n %s route show", a.name);
	CHECK_OUTPUT(out, "10.77.0.0/16 via 10.1.0.2 dev va proto static metric 5");
	free(out);
	out = NULL;
	struct nl_route bad = { .family = AF_INET, .has_gateway = true };
	nl_prefix_from_string("10.78.0.0/16", &bad.dst);
	inet_pton(AF_INET, "192.0.2.1", &bad.gateway);
	CHECK_NL(&a, nl_route_add(a.s, &bad), -ENETUNREACH);
	bad.has_gateway = false;
	bad.ifindex = 99999;
	CHECK_NL(&a, nl_route_add(a.s, &bad), -ENODEV);

	/* Delete and flush. */
	CHECK_NL(&a, nl_addr_delete(a.s, ia, &pn), 0);
	CHECK_NL(&a, nl_addr_delete(a.s, ia, &pn), -EADDRNOTAVAIL);
	CHECK_NL(&a, nl_addr_flush(a.s, ia, AF_UNSPEC), 0);
	free(av);
	av = NULL;
	CHECK_NL(&a, nl_addr_list(a.s, ia, AF_UNSPEC, &av, &n), 0);
	CHECK_EQ(n, 0);
	out = capture("ip -n %s addr show dev va", a.name);
	CHECK(strstr(out, "inet") == NULL);
	free(out);
	out = NULL;
	CHECK_NL(&a, nl_addr_flush(a.s, 99999, AF_UNSPEC), 0); /* nothing there */
	ns_destroy(&a);
	ns_destroy(&b);
	return 0;
}

/* ---------------- traffic control ---------------- */

static int udp_send(struct ns *n, const char *addr, uint16_t port, int count)
{
	int r = ns_enter(n->fd);
	if (r < 0)
		return r;
	int fd = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	ns_enter(home_ns);
	if (fd < 0)
		return negative_errno();
	struct sockaddr_in6 sa = { .sin6_family = AF_INET6, .sin6_port = htons(port) };
	inet_pton(AF_INET6, addr, &sa.sin6_addr);
	for (int i = 0; i < count; i++)
		if (sendto(fd, "babel", 5, 0, (struct sockaddr *)&sa, sizeof(sa)) < 0)
			r = negative_errno();
	close(fd);
	return r;
}

/* Packets sent by the netem qdisc, from tc -s. */
static long netem_sent(struct ns *n)
{
	_cleanup_free_ char *out = capture("tc -n %s -s qdisc show dev va", n->name);
	const char *q = strstr(out, "qdisc netem");
	const char *sent = q ? strstr(q, "Sent ") : NULL;
	long bytes, pkts;
	if (!sent || sscanf(sent, "Sent %ld bytes %ld pkt", &bytes, &pkts) != 2)
		return -1;
	return pkts;
}

static int scenario_tc(void)
{
	struct ns a = {}, b = {};
	CHECK_EQ(ns_create(&a, "a"), 0);
	CHECK_EQ(ns_create(&b, "b"), 0);
	int ia = 0, ib = 0;
	CHECK_NL(&a, veth(&a, "va", &b, "vb", &ia, &ib), 0);
	CHECK_NL(&a, add_addr(&a, ia, "2001:db8:1::1/64"), 0);
	CHECK_NL(&b, add_addr(&b, ib, "2001:db8:1::2/64"), 0);
	CHECK_EQ(ping(&a, "2001:db8:1::2"), 0);

	int r = nl_tc_drain_add(a.s, ia, 300);
	if (r == -EOPNOTSUPP) {
		printf("kernel lacks prio/netem/u32: \"%s\"\n", nl_last_error(a.s));
		ns_destroy(&a);
		ns_destroy(&b);
		return SKIP;
	}
	CHECK_EQ(r, 0);
	_cleanup_free_ char *out = capture("tc -n %s qdisc show dev va", a.name);
	CHECK_OUTPUT(out, "qdisc prio 1: root");
	CHECK_OUTPUT(out, "bands 3 priomap 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0");
	CHECK_OUTPUT(out, "qdisc netem 2: parent 1:2 limit 1000 delay 300ms");
	free(out);
	out = NULL;
	out = capture("tc -n %s filter show dev va", a.name);
	CHECK_OUTPUT(out, "protocol ipv6 pref 1 u32");
	CHECK_OUTPUT(out, "flowid 1:2");
	CHECK_OUTPUT(out, "match 00001100/0000ff00 at 4");
	CHECK_OUTPUT(out, "match 00001a28/0000ffff at 40");
	free(out);
	out = NULL;

	/* Ordinary traffic is not delayed and does not go through netem. */
	long before = netem_sent(&a);
	CHECK_EQ(before, 0);
	out = capture("ip netns exec %s ping -c 3 -i 0.3 -W 5 2001:db8:1::2", a.name);
	double mn = 0, avg = 0, mx = 1e9;
	const char *rtt = strstr(out, "min/avg/max");
	CHECK(rtt && sscanf(strchr(rtt, '=') + 1, "%lf/%lf/%lf", &mn, &avg, &mx) == 3);
	CHECK(mx < 250);
	printf("  ping rtt max with drain: %.1f ms (babel delay 300 ms)\n", mx);
	free(out);
	out = NULL;
	CHECK_EQ(netem_sent(&a), 0);
	/* Babel packets (UDP to 6696) go through netem; others do not. */
	CHECK_EQ(udp_send(&a, "2001:db8:1::2", 6697, 3), 0);
	usleep(100000);
	CHECK_EQ(netem_sent(&a), 0);
	CHECK_EQ(udp_send(&a, "2001:db8:1::2", NL_TC_BABEL_PORT, 5), 0);
	usleep(700000);
	CHECK_EQ(netem_sent(&a), 5);

	/* Re-install with another delay, then remove. */
	CHECK_NL(&a, nl_tc_drain_add(a.s, ia, 50), 0);
	out = capture("tc -n %s qdisc show dev va", a.name);
	CHECK_OUTPUT(out, "delay 50ms");
	free(out);
	out = NULL;
	CHECK_NL(&a, nl_tc_drain_remove(a.s, ia), 0);
	out = capture("tc -n %s qdisc show dev va", a.name);
	CHECK(strstr(out, "prio") == NULL && strstr(out, "netem") == NULL);
	free(out);
	out = NULL;
	CHECK_NL(&a, nl_tc_drain_remove(a.s, ia), -ENOENT);
	CHECK_NL(&a, nl_tc_drain_add(a.s, 99999, 10), -ENODEV);
	CHECK_EQ(ping(&a, "2001:db8:1::2"), 0);
	ns_destroy(&a);
	ns_destroy(&b);
	return 0;
}

/* ---------------- WireGuard ---------------- */

struct wgnode {
	struct ns ns;
	int veth, wg;
	uint8_t pub[32], priv[32];
	char pub64[45], priv64[45];
};

static void wg_keys(struct wgnode *w)
{
	crypto_box_keypair(w->pub, w->priv);
	/* The kernel stores the private key clamped (RFC 7748). */
	w->priv[0] &= 248;
	w->priv[31] = (uint8_t)((w->priv[31] & 127) | 64);
	nl_wg_key_to_base64(w->pub, w->pub64);
	nl_wg_key_to_base64(w->priv, w->priv64);
}

/* wg0 with a key, a port, an fd00::N/64 + 10.9.0.N/24 address, up. */
static int wg_setup(struct wgnode *w, int n)
{
	int r = nl_link_create(w->ns.s, "wg0", "wireguard", 0, &w->wg);
	if (r < 0)
		return r;
	struct nl_wg_device_config cfg = {
		.flags = NL_WG_SET_PRIVATE_KEY | NL_WG_SET_LISTEN_PORT | NL_WG_SET_FWMARK,
		.listen_port = (uint16_t)(51820 + n), .fwmark = n == 1 ? 0x1234 : 0 };
	memcpy(cfg.private_key, w->priv, 32);
	r = nl_wg_device_set(w->ns.s, w->wg, &cfg);
	sodium_memzero(cfg.private_key, 32);
	if (r < 0)
		return r;
	char a[64];
	snprintf(a, sizeof(a), "fd00::%d/64", n);
	r = add_addr(&w->ns, w->wg, a);
	snprintf(a, sizeof(a), "10.9.0.%d/24", n);
	if (r == 0)
		r = add_addr(&w->ns, w->wg, a);
	return r < 0 ? r : nl_link_set_up(w->ns.s, w->wg, true);
}

static void wg_peer_of(struct nl_wg_peer_config *p, const struct wgnode *to, int n,
		       struct nl_wg_allowed_ip aips[2])
{
	memset(p, 0, sizeof(*p));
	memcpy(p->public_key, to->pub, 32);
	char ep[64];
	snprintf(ep, sizeof(ep), "[2001:db8:1::%d]:%d", n, 51820 + n);
	nl_sockaddr_from_string(ep, &p->endpoint);
	aips[0] = (struct nl_wg_allowed_ip){ .family = AF_INET6, .cidr = 128 };
	char a[32];
	snprintf(a, sizeof(a), "fd00::%d", n);
	inet_pton(AF_INET6, a, &aips[0].addr);
	aips[1] = (struct nl_wg_allowed_ip){ .family = AF_INET, .cidr = 32 };
	snprintf(a, sizeof(a), "10.9.0.%d", n);
	inet_pton(AF_INET, a, &aips[1].addr);
	p->allowed_ips = aips;
	p->n_allowed_ips = 2;
	p->replace_allowed_ips = true;
}

static bool skip_unless(const char *kind)
{
	if (kernel_has(kind))
		return false;
	printf("kernel has no %s links\n", kind);
	return true;
}

static int scenario_wg(void)
{
	if (skip_unless("wireguard"))
		return SKIP;
	struct wgnode a = {}, b = {};
	CHECK_EQ(ns_create(&a.ns, "a"), 0);
	CHECK_EQ(ns_create(&b.ns, "b"), 0);
	wg_keys(&a);
	wg_keys(&b);
	CHECK_NL(&a.ns, veth(&a.ns, "va", &b.ns, "vb", &a.veth, &b.veth), 0);
	CHECK_NL(&a.ns, add_addr(&a.ns, a.veth, "2001:db8:1::1/64"), 0);
	CHECK_NL(&b.ns, add_addr(&b.ns, b.veth, "2001:db8:1::2/64"), 0);
	CHECK_NL(&a.ns, wg_setup(&a, 1), 0);
	CHECK_NL(&b.ns, wg_setup(&b, 2), 0);
	struct nl_wg_allowed_ip aa[2], ab[2];
	struct nl_wg_peer_config pa, pb;
	wg_peer_of(&pa, &b, 2, aa);
	pa.persistent_keepalive = 25;
	wg_peer_of(&pb, &a, 1, ab);
	CHECK_NL(&a.ns, nl_wg_peer_set(a.ns.s, a.wg, &pa), 0);
	CHECK_NL(&b.ns, nl_wg_peer_set(b.ns.s, b.wg, &pb), 0);

	_cleanup_free_ char *out = capture("ip netns exec %s wg showconf wg0", a.ns.name);
	char line[128];
	snprintf(line, sizeof(line), "PrivateKey = %s", a.priv64);
	CHECK_OUTPUT(out, line);
	CHECK_OUTPUT(out, "ListenPort = 51821");
	CHECK_OUTPUT(out, "FwMark = 0x1234");
	snprintf(line, sizeof(line), "PublicKey = %s", b.pub64);
	CHECK_OUTPUT(out, line);
	CHECK_OUTPUT(out, "Endpoint = [2001:db8:1::2]:51822");
	CHECK_OUTPUT(out, "fd00::2/128");
	CHECK_OUTPUT(out, "10.9.0.2/32");
	CHECK_OUTPUT(out, "PersistentKeepalive = 25");
	free(out);
	out = NULL;
	out = capture("ip -n %s -d link show dev wg0", a.ns.name);
	CHECK_OUTPUT(out, "wireguard");
	free(out);
	out = NULL;
	out = capture("ip netns exec %s wg show wg0 public-key", a.ns.name);
	CHECK_OUTPUT(out, a.pub64);
	free(out);
	out = NULL;

	CHECK_EQ(ping(&a.ns, "fd00::2"), 0);
	CHECK_EQ(ping(&a.ns, "10.9.0.2"), 0);
	CHECK_EQ(iperf(&b.ns, &a.ns, "fd00::2"), 0);

	_cleanup_(nl_wg_device_freep) struct nl_wg_device *d = NULL;
	CHECK_NL(&a.ns, nl_wg_device_get(a.ns.s, a.wg, &d), 0);
	if (d) {
		CHECK(d->ifindex == a.wg && strcmp(d->name, "wg0") == 0);
		CHECK(d->has_private_key && memcmp(d->private_key, a.priv, 32) == 0);
		CHECK(memcmp(d->public_key, a.pub, 32) == 0);
		CHECK(d->listen_port == 51821 && d->fwmark == 0x1234 && d->n_peers == 1);
		const struct nl_wg_peer *p = nl_wg_device_find_peer(d, b.pub);
		CHECK(p != NULL);
		if (p) {
			CHECK(p->last_handshake.tv_sec > 0);
			CHECK(p->rx_bytes > 1000 && p->tx_bytes > 1000);
			CHECK(p->endpoint.sa.sa_family == AF_INET6 &&
			      ntohs(p->endpoint.in6.sin6_port) == 51822);
			CHECK(p->persistent_keepalive == 25 && p->n_allowed_ips == 2);
			printf("  peer rx %llu tx %llu bytes, handshake at %lld\n",
			       (unsigned long long)p->rx_bytes, (unsigned long long)p->tx_bytes,
			       (long long)p->last_handshake.tv_sec);
		}
	}

	/* Update in place: keepalive off, one more allowed IP. */
	struct nl_wg_allowed_ip more[3] = { aa[0], aa[1], { .family = AF_INET6, .cidr = 64 } };
	inet_pton(AF_INET6, "fd01::", &more[2].addr);
	pa.allowed_ips = more;
	pa.n_allowed_ips = 3;
	pa.persistent_keepalive = 0;
	pa.set_persistent_keepalive = true;
	CHECK_NL(&a.ns, nl_wg_peer_set(a.ns.s, a.wg, &pa), 0);
	out = capture("ip netns exec %s wg showconf wg0", a.ns.name);
	CHECK(strstr(out, "PersistentKeepalive") == NULL);
	CHECK_OUTPUT(out, "fd01::/64");
	free(out);
	out = NULL;

	/* Remove the peer; traffic stops. */
	CHECK_NL(&a.ns, nl_wg_peer_remove(a.ns.s, a.wg, b.pub), 0);
	out = capture("ip netns exec %s wg show wg0 peers", a.ns.name);
	CHECK(strlen(out) == 0);
	free(out);
	out = NULL;
	CHECK(ping(&a.ns, "fd00::2") != 0);

	/* A large peer set, split over several messages, then emptied. */
	size_t np = 300, nip = 8;
	struct nl_wg_peer_config *peers = calloc(np, sizeof(*peers));
	struct nl_wg_allowed_ip *ips = calloc(np * nip, sizeof(*ips));
	for (size_t i = 0; i < np; i++) {
		uint8_t sk[32];
		crypto_box_keypair(peers[i].public_key, sk);
		peers[i].allowed_ips = ips + i * nip;
		peers[i].n_allowed_ips = nip;
		for (size_t j = 0; j < nip; j++) {
			struct nl_wg_allowed_ip *ip = &ips[i * nip + j];
			ip->family = AF_INET6;
			ip->cidr = 128;
			ip->addr.in6.s6_addr[0] = 0xfd;
			ip->addr.in6.s6_addr[1] = 0x10;
			ip->addr.in6.s6_addr[13] = (uint8_t)(i >> 8);
			ip->addr.in6.s6_addr[14] = (uint8_t)i;
			ip->addr.in6.s6_addr[15] = (uint8_t)j;
		}
	}
	CHECK_NL(&a.ns, nl_wg_peers_replace(a.ns.s, a.wg, peers, np), 0);
	out = capture("ip netns exec %s wg show wg0 allowed-ips | wc -l", a.ns.name);
	CHECK_EQ(atoi(out), (int)np);
	free(out);
	out = NULL;
	out = capture("ip netns exec %s wg show wg0 allowed-ips | wc -w", a.ns.name);
	CHECK_EQ(atoi(out), (int)(np * (nip + 1)));
	free(out);
	out = NULL;
	nl_wg_device_free(d);
	d = NULL;
	CHECK_NL(&a.ns, nl_wg_device_get(a.ns.s, a.wg, &d), 0);
	if (d) {
		CHECK_EQ(d->n_peers, np);
		size_t total = 0;
		for (size_t i = 0; i < d->n_peers; i++)
			total += d->peers[i].n_allowed_ips;
		CHECK_EQ(total, np * nip);
		CHECK(nl_wg_device_find_peer(d, peers[np - 1].public_key) != NULL);
	}
	CHECK_NL(&a.ns, nl_wg_peers_replace(a.ns.s, a.wg, NULL, 0), 0);
	out = capture("ip netns exec %s wg show wg0 peers | wc -l", a.ns.name);
	CHECK_EQ(atoi(out), 0);
	free(out);
	out = NULL;
	free(peers);
	free(ips);

	/* Errors. */
	CHECK_NL(&a.ns, nl_link_create(a.ns.s, "wg0", "wireguard", 0, NULL), -EEXIST);
	struct nl_wg_device *none = NULL;
	CHECK_NL(&a.ns, nl_wg_device_get(a.ns.s, 99999, &none), -ENODEV);
	CHECK_NL(&a.ns, nl_wg_peer_set(a.ns.s, 99999, &pa), -ENODEV);
	CHECK_NL(&a.ns, nl_wg_device_get(a.ns.s, a.veth, &none), -EOPNOTSUPP);
	printf("  wg on a veth: \"%s\"\n", nl_last_error(a.ns.s));
	{
		/* A private key of 31 bytes, straight to the kernel. */
		uint16_t fam;
		CHECK_EQ(nl_genl_family_id(a.ns.s, NL_GENL_WIREGUARD, &fam), 0);
		uint8_t buf[256];
		struct nlmsghdr *nlh = nl_genl_put_header(buf, fam, 0, 1 /* SET_DEVICE */, 1);
		mnl_attr_put_u32(nlh, 1 /* IFINDEX */, (uint32_t)a.wg);
		mnl_attr_put(nlh, 3 /* PRIVATE_KEY */, 31, a.priv);
		/* The policy check says -ERANGE ("binary attribute size out of range"). */
		int r = nl_request(a.ns.s, NL_PROTO_GENERIC, nlh, NULL, NULL);
		CHECK(r == -EINVAL || r == -ERANGE);
		printf("  31-byte key: \"%s\"\n", nl_last_error(a.ns.s));
		CHECK(nl_last_error(a.ns.s)[0] != '\0');
	}
	sodium_memzero(a.priv, sizeof(a.priv));
	ns_destroy(&a.ns);
	ns_destroy(&b.ns);
	return 0;
}

/* A's peer is replaced in place from B to C; traffic follows. */
static int scenario_wg_replace(void)
{
	if (skip_unless("wireguard"))
		return SKIP;
	struct wgnode a = {}, b = {}, c = {};
	CHECK_EQ(ns_create(&a.ns, "a"), 0);
	CHECK_EQ(ns_create(&b.ns, "b"), 0);
	CHECK_EQ(ns_create(&c.ns, "c"), 0);
	wg_keys(&a);
	wg_keys(&b);
	wg_keys(&c);
	/* A bridge-less star: A has one veth to B and one to C. */
	int ac = 0;
	CHECK_NL(&a.ns, veth(&a.ns, "vab", &b.ns, "vb", &a.veth, &b.veth), 0);
	CHECK_NL(&a.ns, veth(&a.ns, "vac", &c.ns, "vc", &ac, &c.veth), 0);
	CHECK_NL(&a.ns, add_addr(&a.ns, a.veth, "2001:db8:1::1/64"), 0);
	CHECK_NL(&b.ns, add_addr(&b.ns, b.veth, "2001:db8:1::2/64"), 0);
	CHECK_NL(&a.ns, add_addr(&a.ns, ac, "2001:db8:2::1/64"), 0);
	CHECK_NL(&c.ns, add_addr(&c.ns, c.veth, "2001:db8:2::3/64"), 0);
	CHECK_NL(&a.ns, wg_setup(&a, 1), 0);
	CHECK_NL(&b.ns, wg_setup(&b, 2), 0);
	/* C uses the same overlay address as B: only the peer changes. */
	CHECK_NL(&c.ns, wg_setup(&c, 2), 0);
	struct nl_wg_allowed_ip ia[2], ib[2], ic[2];
	struct nl_wg_peer_config pab, pb, pc, pac;
	wg_peer_of(&pab, &b, 2, ia);
	wg_peer_of(&pb, &a, 1, ib);
	wg_peer_of(&pc, &a, 1, ic);
	nl_sockaddr_from_string("[2001:db8:2::1]:51821", &pc.endpoint);
	CHECK_NL(&a.ns, nl_wg_peers_replace(a.ns.s, a.wg, &pab, 1), 0);
	CHECK_NL(&b.ns, nl_wg_peer_set(b.ns.s, b.wg, &pb), 0);
	CHECK_NL(&c.ns, nl_wg_peer_set(c.ns.s, c.wg, &pc), 0);
	CHECK_EQ(ping(&a.ns, "fd00::2"), 0);

	pac = pab;
	memcpy(pac.public_key, c.pub, 32);
	nl_sockaddr_from_string("[2001:db8:2::3]:51822", &pac.endpoint);
	CHECK_NL(&a.ns, nl_wg_peers_replace(a.ns.s, a.wg, &pac, 1), 0);
	int idx = 0;
	CHECK_NL(&a.ns, nl_link_ifindex(a.ns.s, "wg0", &idx), 0);
	CHECK(idx == a.wg); /* same interface */
	CHECK_EQ(ping(&a.ns, "fd00::2"), 0);
	CHECK_EQ(iperf(&c.ns, &a.ns, "fd00::2"), 0);

	_cleanup_(nl_wg_device_freep) struct nl_wg_device *da = NULL;
	_cleanup_(nl_wg_device_freep) struct nl_wg_device *dc = NULL;
	CHECK_NL(&a.ns, nl_wg_device_get(a.ns.s, a.wg, &da), 0);
	CHECK_NL(&c.ns, nl_wg_device_get(c.ns.s, c.wg, &dc), 0);
	if (da && dc) {
		CHECK(da->n_peers == 1 && memcmp(da->peers[0].public_key, c.pub, 32) == 0);
		const struct nl_wg_peer *p = nl_wg_device_find_peer(dc, a.pub);
		CHECK(p && p->rx_bytes > 100000 && p->last_handshake.tv_sec > 0);
	}
	_cleanup_free_ char *out = capture("ip netns exec %s wg show wg0 endpoints", a.ns.name);
	CHECK_OUTPUT(out, "[2001:db8:2::3]:51822");
	ns_destroy(&a.ns);
	ns_destroy(&b.ns);
	ns_destroy(&c.ns);
	return 0;
}

/* ---------------- GRE, ip6gre, GRE-in-FOU ---------------- */

/* UDP datagrams received in a namespace (/proc/net/snmp, snmp6). */
static long udp_in(struct ns *n, int family)
{
	_cleanup_free_ char *out = capture("ip netns exec %s cat /proc/net/%s", n->name,
					   family == AF_INET ? "snmp" : "snmp6");
	long v = -1;
	if (family == AF_INET6) {
		const char *p = strstr(out, "Udp6InDatagrams");
		if (p && sscanf(p, "Udp6InDatagrams %ld", &v) != 1)
			v = -1;
		return v;
	}
	/* "Udp: InDatagrams ..." then "Udp: <values>" */
	const char *p = strstr(out, "Udp: InDatagrams");
	p = p ? strstr(p + 1, "Udp: ") : NULL;
	if (p && sscanf(p, "Udp: %ld", &v) != 1)
		v = -1;
	return v;
}

static int gre_pair(int family, bool fou)
{
	const char *kind = family == AF_INET ? "gre" : "ip6gre";
	if (skip_unless(kind) || (fou && skip_unless("gre")))
		return SKIP;
	struct ns a = {}, b = {};
	CHECK_EQ(ns_create(&a, "a"), 0);
	CHECK_EQ(ns_create(&b, "b"), 0);
	int ia = 0, ib = 0;
	CHECK_NL(&a, veth(&a, "va", &b, "vb", &ia, &ib), 0);
	const char *ua = family == AF_INET ? "10.0.0.1" : "2001:db8:1::1";
	const char *ub = family == AF_INET ? "10.0.0.2" : "2001:db8:1::2";
	const char *ub2 = family == AF_INET ? "10.0.0.3" : "2001:db8:1::3";
	char p[64];
	snprintf(p, sizeof(p), "%s/%d", ua, family == AF_INET ? 24 : 64);
	CHECK_NL(&a, add_addr(&a, ia, p), 0);
	snprintf(p, sizeof(p), "%s/%d", ub, family == AF_INET ? 24 : 64);
	CHECK_NL(&b, add_addr(&b, ib, p), 0);
	snprintf(p, sizeof(p), "%s/%d", ub2, family == AF_INET ? 24 : 64);
	CHECK_NL(&b, add_addr(&b, ib, p), 0);

	uint16_t port = family == AF_INET ? 5555 : 5556;
	if (fou) {
		struct nl_fou_port fp = { .family = family, .port = port, .ipproto = 47,
					  .type = NL_FOU_DIRECT };
		CHECK_NL(&a, nl_fou_add(a.s, &fp), 0);
		CHECK_NL(&b, nl_fou_add(b.s, &fp), 0);
		CHECK_NL(&a, nl_fou_add(a.s, &fp), -EADDRINUSE);
		_cleanup_free_ char *out = capture("ip -n %s fou show", a.name);
		snprintf(p, sizeof(p), "port %u ipproto 47%s", port, family == AF_INET6 ? " -6" : "");
		CHECK_OUTPUT(out, p);
		_cleanup_free_ struct nl_fou_port *v = NULL;
		size_t n = 0;
		CHECK_NL(&a, nl_fou_list(a.s, &v, &n), 0);
		CHECK(n == 1 && v && v[0].port == port && v[0].family == family &&
		      v[0].ipproto == 47 && v[0].type == NL_FOU_DIRECT);
	}

	struct nl_gre_config ca = { .family = family, .ttl = 64, .has_ikey = true, .ikey = 42,
				    .has_okey = true, .okey = 42 };
	inet_pton(family, ua, &ca.local);
	inet_pton(family, ub, &ca.remote);
	if (fou) {
		ca.encap = NL_GRE_ENCAP_FOU;
		ca.encap_dport = port;
	}
	/* B: local B, remote A. (An ip6gre tunnel with an unspecified local
	 * address cannot transmit: the kernel checks the source per packet.) */
	struct nl_gre_config cb = ca;
	inet_pton(family, ub, &cb.local);
	inet_pton(family, ua, &cb.remote);
	int ga = 0, gb = 0;
	CHECK_NL(&a, nl_gre_create(a.s, "gre1", &ca, &ga), 0);
	CHECK_NL(&b, nl_gre_create(b.s, "gre1", &cb, &gb), 0);

	_cleanup_free_ char *out = capture("ip -n %s -d link show dev gre1", a.name);
	snprintf(p, sizeof(p), "%s remote %s local %s", kind, ub, ua);
	CHECK_OUTPUT(out, p);
	CHECK_OUTPUT(out, family == AF_INET ? "ttl 64" : "hoplimit 64");
	CHECK_OUTPUT(out, "key 0.0.0.42");
	if (fou) {
		snprintf(p, sizeof(p), "encap fou encap-sport auto encap-dport %u", port);
		CHECK_OUTPUT(out, p);
	}
	struct nl_gre_config back = {};
	CHECK_NL(&a, nl_gre_get(a.s, ga, &back), 0);
	CHECK(back.family == ca.family && memcmp(&back.remote, &ca.remote, sizeof(ca.remote)) == 0 &&
	      memcmp(&back.local, &ca.local, sizeof(ca.local)) == 0 && back.ttl == 64 &&
	      back.has_ikey && back.ikey == 42 && back.has_okey && back.okey == 42 &&
	      back.encap == ca.encap && back.encap_dport == ca.encap_dport &&
	      back.encap_sport == 0 && back.mtu > 1000);
	CHECK_NL(&a, nl_gre_get(a.s, ia, &back), -EMEDIUMTYPE);

	CHECK_NL(&a, add_addr(&a, ga, "10.10.0.1/30"), 0);
	CHECK_NL(&a, add_addr(&a, ga, "fd01::1/64"), 0);
	CHECK_NL(&b, add_addr(&b, gb, "10.10.0.2/30"), 0);
	CHECK_NL(&b, add_addr(&b, gb, "fd01::2/64"), 0);
	CHECK_NL(&a, nl_link_set_up(a.s, ga, true), 0);
	CHECK_NL(&b, nl_link_set_up(b.s, gb, true), 0);
	long udp_before = udp_in(&b, family);
	CHECK_EQ(ping(&a, "10.10.0.2"), 0);
	CHECK_EQ(ping(&a, "fd01::2"), 0);
	CHECK_EQ(iperf(&b, &a, "fd01::2"), 0);
	long udp_after = udp_in(&b, family);
	/* With FOU the tunnel's packets arrive as UDP datagrams; without, not. */
	CHECK(udp_before >= 0 && udp_after >= 0);
	if (fou)
		CHECK(udp_after - udp_before > 100); /* GRO merges some */
	else
		CHECK(udp_after - udp_before < 100);
	printf("  UDP datagrams received by B: %ld\n", udp_after - udp_before);

	free(out);
	out = capture("ip -n %s -d link show dev gre1", b.name);
	if (verbose)
		printf("%s", out);
	/* Reprogram the remote in place; B then sends from that address. */
	inet_pton(family, ub2, &ca.remote);
	CHECK_NL(&a, nl_gre_change(a.s, ga, &ca), 0);
	inet_pton(family, ub2, &cb.local);
	CHECK_NL(&b, nl_gre_change(b.s, gb, &cb), 0);
	free(out);
	out = NULL;
	out = capture("ip -n %s -d link show dev gre1", a.name);
	snprintf(p, sizeof(p), "remote %s", ub2);
	CHECK_OUTPUT(out, p);
	int idx = 0;
	CHECK_NL(&a, nl_link_ifindex(a.s, "gre1", &idx), 0);
	CHECK(idx == ga);
	CHECK_EQ(ping(&a, "fd01::2"), 0);

	/* Errors. */
	CHECK_NL(&a, nl_gre_create(a.s, "gre1", &ca, NULL), -EEXIST);
	CHECK_NL(&a, nl_gre_change(a.s, 99999, &ca), -ENODEV);
	if (fou) {
		struct nl_fou_port fp = { .family = family, .port = port, .ipproto = 47,
					  .type = NL_FOU_DIRECT };
		CHECK_NL(&a, nl_fou_delete(a.s, &fp), 0);
		CHECK_NL(&a, nl_fou_delete(a.s, &fp), -EINVAL);
		_cleanup_free_ char *o2 = capture("ip -n %s fou show", a.name);
		CHECK(strstr(o2, "port") == NULL);
	}
	ns_destroy(&a);
	ns_destroy(&b);
	return 0;
}

static int scenario_gre(void)
{
	return gre_pair(AF_INET, false);
}
static int scenario_ip6gre(void)
{
	return gre_pair(AF_INET6, false);
}
static int scenario_fou(void)
{
	int r = gre_pair(AF_INET, true);
	return r == 0 ? gre_pair(AF_INET6, true) : r;
}

static const struct {
	const char *name;
	int (*fn)(void);
} scenarios[] = {
	{ "links", scenario_links },
	{ "addr-route", scenario_addr_route },
	{ "tc", scenario_tc },
	{ "wg", scenario_wg },
	{ "wg-replace", scenario_wg_replace },
	{ "gre", scenario_gre },
	{ "ip6gre", scenario_ip6gre },
	{ "fou", scenario_fou },
};

int main(int argc, char **argv)
{
	if (geteuid() != 0) {
		printf("needs root: skipped\n");
		return SKIP;
	}
	verbose = getenv("NL_TEST_VERBOSE") != NULL;
	if (sodium_init() < 0)
		return 1;
	home_ns = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (home_ns < 0)
		return 1;
	bool require = getenv("RE6ST_REQUIRE_KERNEL") != NULL;
	int skipped = 0, ran = 0;
	for (int i = 1; i < argc; i++) {
		bool found = false;
		for (size_t j = 0; j < ARRAY_SIZE(scenarios); j++) {
			if (strcmp(argv[i], scenarios[j].name) != 0)
				continue;
			found = true;
			unsigned failed_before = check_failed;
			printf("# %s\n", argv[i]);
			fflush(stdout);
			int r = scenarios[j].fn();
			if (r == SKIP) {
				printf("# %s: skipped\n", argv[i]);
				skipped++;
				if (require)
					check_failed++;
			} else {
				ran++;
				printf("# %s: %s\n", argv[i],
				       check_failed == failed_before ? "ok" : "FAILED");
			}
			fflush(stdout);
		}
		if (!found) {
			fprintf(stderr, "unknown scenario %s\n", argv[i]);
			return 2;
		}
	}
	if (ran == 0 && skipped > 0 && !require) {
		printf("%u passed, %u failed (all skipped)\n", (unsigned)check_passed,
		       (unsigned)check_failed);
		return SKIP;
	}
	return check_summary();
}
