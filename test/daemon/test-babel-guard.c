/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The babel routes a node refuses (daemon/babel-guard.h), with real babelds
 * in three network namespaces joined by veth pairs:
 *
 *     rogue R ---- victim V ---- witness W
 *
 * V runs babeld through daemon/babel.c (network 2001:db8:42::/48, node
 * prefix 2001:db8:42:1::/64, node prefixes at most /64). R is a plain
 * babeld redistributing its own 2001:db8:42:3::/64, a third node's
 * 2001:db8:42:2::/64, and three routes no neighbour may give V: V's own
 * prefix, 2001:db8:42:1:8000::/65 inside it, 2001:db8:42:2:8000::/65 (a
 * longer match into the third node's range). W is a plain babeld behind V.
 * Checks: V and W learn the two /64s (the control), neither V's kernel nor
 * W's gets any of the three, V's module tables do not hold them, V logs
 * each with R's address and interface, at most LOGLIMIT_BURST lines per 10 s.
 * Needs root (exit 77 otherwise).
 */
#include <fcntl.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "babel.h"
#include "config.h"
#include "log.h"
#include "loglimit.h"
#include "loop.h"
#include "check.h"
#include "netns.h"

#define ns tn_ns /* R, V, W */
#define dir tn_dir

static bool in_table(struct babel *b, const char *prefix)
{
	struct re6st_prefix p;
	const struct babel_route *r;
	babel_parse_prefix(prefix, &p);
	size_t n = babel_routes(b, &r);
	for (size_t i = 0; i < n; i++)
		if (prefix_equal(&r[i].prefix, &p))
			return true;
	return false;
}

/* A kernel route of protocol babel for exactly prefix in namespace nsname. */
static bool kernel_has(const char *nsname, const char *prefix)
{
	return sh("ip -n %s -6 route show %s proto babel | grep -q .", nsname, prefix) == 0;
}

static int count_lines(const char *path, const char *needle)
{
	char cmd[512];
	snprintf(cmd, sizeof(cmd), "grep -c -- '%s' %s", needle, path);
	FILE *f = popen(cmd, "r");
	int n = -1;
	if (f) {
		if (fscanf(f, "%d", &n) != 1)
			n = -1;
		pclose(f);
	}
	return n;
}

static void dump(struct babel *b)
{
	const struct babel_route *r;
	size_t n = babel_routes(b, &r);
	for (size_t k = 0; k < n; k++) {
		char p[PREFIX_STRLEN], v[PREFIX_STRLEN];
		fprintf(stderr, "module route %s via %s %s%s\n", babel_format_prefix(&r[k].prefix, p),
			prefix_format_address(r[k].via, v), r[k].ifname,
			r[k].installed ? " installed" : "");
	}
	for (int i = 0; i < 3; i++)
		sh("echo '-- %s:' >&2; ip -n %s -6 route >&2", ns[i], ns[i]);
	sh("cat %s/log >&2", dir);
}

static int victim(void)
{
	char logf[128];
	if (tn_enter(1) < 0)
		return 1;
	snprintf(logf, sizeof(logf), "%s/log", dir);
	log_setup("test-babel-guard", LOG_INFO, LOG_TARGET_FILE, logf);

	struct loop *l = NULL;
	if (loop_new(&l) < 0)
		return 1;
	struct babel_params p = { 0 };
	char sock[128], state[128], blog[128];
	snprintf(sock, sizeof(sock), "%s/V.sock", dir);
	snprintf(state, sizeof(state), "%s/V.state", dir);
	snprintf(blog, sizeof(blog), "%s/V.log", dir);
	p.socket_path = sock;
	p.state_path = state;
	p.log_path = blog;
	prefix_parse("2001:db8:42::/48", &p.network);
	prefix_parse("2001:db8:42:1::/64", &p.node_prefix);
	memcpy(p.node_addr, p.node_prefix.addr, 16);
	p.node_addr[15] = 1;
	p.max_prefix_len = 64;
	babel_router_id_from_prefix(&p.node_prefix, p.router_id);
	p.hello = 1;

	struct babel *b = NULL;
	int r = babel_start(l, &p, &b);
	CHECK(r == 0, "babel_start: %s", strerror(-r));
	if (r < 0)
		return 1;
	CHECK(babel_add_interface(b, "to-r", NULL, NULL, NULL) == 0, "add to-r");
	CHECK(babel_add_interface(b, "to-w", NULL, NULL, NULL) == 0, "add to-w");

	static const char *const refused[] = { "2001:db8:42:1::/64", "2001:db8:42:1:8000::/65",
					       "2001:db8:42:2:8000::/65" };
	/* Logged with R's link-local address and the interface: the three
	 * come in R's first update, and their lines open the log window. */
	char rll[64] = "";
	FILE *f = popen("ip netns exec $RNS ip -6 -o addr show dev to-v scope link | "
			"awk '{print $4}' | cut -d/ -f1", "r");
	if (f) {
		if (!fgets(rll, sizeof(rll), f))
			rll[0] = '\0';
		rll[strcspn(rll, "\n")] = '\0';
		pclose(f);
	}
	uint64_t t0 = loop_clock_ms(), deadline = t0 + 40000;
	while (count_lines(logf, "babel: refused a route") < 3 && loop_clock_ms() < deadline)
		loop_run_once(l, 100);
	uint64_t window = loop_clock_ms();
	for (size_t i = 0; i < 3; i++) {
		char needle[256];
		snprintf(needle, sizeof(needle), "refused a route to %s.*from neighbour %s on to-r",
			 refused[i], rll);
		CHECK(*rll && count_lines(logf, needle) == 1, "logged once: %s", needle);
	}
	/* Each new connection to babeld dumps every route again: three
	 * connections, nine refused lines, LOGLIMIT_BURST logged per 10 s. */
	for (int k = 0; k < 2; k++) {
		unsigned c0 = babel_connects(b);
		babel_command(b, "quit", NULL, NULL);
		uint64_t end = loop_clock_ms() + 5000;
		while ((babel_connects(b) == c0 || !babel_ready(b)) && loop_clock_ms() < end)
			loop_run_once(l, 100);
	}
	tn_run_for(l, 500);
	int n = count_lines(logf, "babel: refused a route");
	uint64_t took = loop_clock_ms() - window;
	/* A slow run may span two windows: then at most a burst in each. */
	CHECK(took < LOGLIMIT_WINDOW_MS ? n == LOGLIMIT_BURST : n <= 2 * LOGLIMIT_BURST,
	      "%d refused lines logged in %llu ms (limit %d per %d ms)", n,
	      (unsigned long long)took, LOGLIMIT_BURST, LOGLIMIT_WINDOW_MS);

	/* The control: R's own prefix and the third node's reach V and W. */
	deadline = loop_clock_ms() + 40000;
	bool learnt = false;
	while (!learnt && loop_clock_ms() < deadline) {
		loop_run_once(l, 100);
		learnt = kernel_has(ns[1], "2001:db8:42:3::/64") &&
			 kernel_has(ns[1], "2001:db8:42:2::/64") &&
			 kernel_has(ns[2], "2001:db8:42:3::/64") &&
			 kernel_has(ns[2], "2001:db8:42:1::/64");
	}
	CHECK(learnt, "V and W learn R's and the third node's /64 and W V's (%llu ms)",
	      (unsigned long long)(loop_clock_ms() - t0));
	/* R announced everything at once; give the rest time anyway. */
	tn_run_for(l, 3000);

	for (size_t i = 0; i < 3; i++) {
		CHECK(!kernel_has(ns[1], refused[i]), "V's kernel has no babel route to %s",
		      refused[i]);
		CHECK(!kernel_has(ns[2], refused[i]) || i == 0,
		      "W's kernel has no route to %s (V does not pass it on)", refused[i]);
		CHECK(!in_table(b, refused[i]), "V's module table has no %s", refused[i]);
	}
	CHECK(in_table(b, "2001:db8:42:3::/64"), "V's module table has R's /64");
	/* W's route to V's prefix is V's own announcement, through V. */
	CHECK(sh("ip -n %s -6 route show 2001:db8:42:1::/64 proto babel | grep -q 'dev to-v'",
		 ns[2]) == 0, "W reaches V's prefix through V");
	CHECK(sh("ip -n %s -6 route show 2001:db8:42:1::/64 | grep -q 'dev lo'", ns[1]) == 0 &&
	      sh("ip -n %s -6 route show 2001:db8:42:1::/64 | grep -c . | grep -qx 1", ns[1]) == 0,
	      "V's own prefix: its one local route");
	if (check_failed)
		dump(b);
	babel_stop(b);
	CHECK(count_lines(logf, "log lines caused by") == 1,
	      "the suppressed lines are counted at stop");
	loop_free(l);
	return check_summary();
}

int main(void)
{
	static const char *const role[3] = { "r", "v", "w" };
	if (tn_start("bg", role, 3) ||
	    sh("ip -n %s link add to-v type veth peer name to-r netns %s", ns[0], ns[1]) ||
	    sh("ip -n %s link add to-v type veth peer name to-w netns %s", ns[2], ns[1])) {
		printf("SKIP: cannot create namespaces/veth\n");
		return 77;
	}
	setenv("RNS", ns[0], 1);
	if (tn_links_up()) {
		fprintf(stderr, "namespace set-up failed\n");
		return 1;
	}
	if (sh("ip -n %s addr add 2001:db8:42:1::1/64 dev lo", ns[1]) ||
	    sh("for p in 2001:db8:42:3::/64 2001:db8:42:2::/64 2001:db8:42:1::/64 "
	       "2001:db8:42:1:8000::/65 2001:db8:42:2:8000::/65; do "
	       "ip -n %s -6 route add unreachable $p proto static || exit 1; done", ns[0])) {
		fprintf(stderr, "routes set-up failed\n");
		return 1;
	}
	if (tn_babeld(0, "R", "-C 'redistribute proto 4 ip 2001:db8:42::/48 allow' "
				 "-C 'redistribute local deny' -C 'redistribute deny' to-v") ||
	    tn_babeld(2, "W", "-C 'redistribute local deny' -C 'redistribute deny' to-v")) {
		fprintf(stderr, "cannot start the plain babelds\n");
		return 1;
	}
	return tn_child(victim);
}
