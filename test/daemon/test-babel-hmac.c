/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Babel HMAC on the LAN interfaces babeld speaks on, none on tunnels, and
 * the key rotation's "init" step, with real babelds in four network
 * namespaces:
 *
 *     K (key) --lan-k-- V --lan-x-- X (no key)
 *                       |
 *                     tun-y
 *                       |
 *                       Y (no key)
 *
 * V runs babeld through daemon/babel.c with the network's key; lan-k and
 * lan-x are LAN interfaces (re6stnet's -i: babeld's command line), tun-y a
 * tunnel interface added at runtime. K is a plain babeld with the same key,
 * X and Y plain babelds without one (an intruder on the LAN, a tunnel peer:
 * the tunnel's transport authenticates it, babel does not). K announces
 * 2001:db8:42:8::/64, X the same and 2001:db8:42:9::/64, Y
 * 2001:db8:42:a::/64.
 *   1. V signs and requires HMAC on the LAN: V learns K's /64 through lan-k
 *      and K V's; X's announcements change no route at V, and V's do not
 *      reach X. The tunnel has no key: V and Y learn each other's /64.
 *   2. accept-bad-signatures turned on live: babel_reconfigure() answers
 *      2 and babel_rekey_start() flushes and adds again lan-k and lan-x one
 *      at a time (the same babeld): V still learns K's /64 and K V's (a
 *      node with the key keeps its adjacency), and V learns X's and X V's
 *      (a node without the key keeps its own).
 * In both, babel_direct_prefixes() names the nodes heard on the LAN.
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
#include "babel-rekey.h"
#include "config.h"
#include "log.h"
#include "loop.h"
#include "check.h"
#include "netns.h"

#define ns tn_ns /* V, K, X, Y */
#define dir tn_dir
static const uint8_t key[16] = { 0x5e, 0xc7, 0xe7, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13 };

/* A usable kernel route of protocol babel for exactly prefix in namespace
 * nsname (babeld installs a route it holds at infinite metric as
 * "unreachable": a node without the key hears our updates, not our IHUs). */
static bool kernel_has(const char *nsname, const char *prefix)
{
	return sh("ip -n %s -6 route show %s proto babel | grep -v '^unreachable' | grep -q .",
		  nsname, prefix) == 0;
}

/* Wait until every wanted route is in the kernels; false after ms. */
static bool wait_routes(struct loop *l, int ms, const char *const (*want)[2], size_t n)
{
	uint64_t end = loop_clock_ms() + (uint64_t)ms;
	for (;;) {
		size_t ok = 0;
		for (size_t i = 0; i < n; i++)
			ok += kernel_has(want[i][0], want[i][1]);
		if (ok == n)
			return true;
		if (loop_clock_ms() > end)
			return false;
		loop_run_once(l, 200);
	}
}

static void dump(void)
{
	for (int i = 0; i < 4; i++)
		sh("echo '-- %s:' >&2; ip -n %s -6 route >&2", ns[i], ns[i]);
}

static int victim(void)
{
	if (tn_enter(0) < 0)
		return 1;

	struct loop *l = NULL;
	if (loop_new(&l) < 0)
		return 1;
	struct babel_params p = { 0 };
	char sock[128], state[128], blog[128], keys[128];
	snprintf(sock, sizeof(sock), "%s/V.sock", dir);
	snprintf(state, sizeof(state), "%s/V.state", dir);
	snprintf(blog, sizeof(blog), "%s/V.log", dir);
	snprintf(keys, sizeof(keys), "%s/V.keys", dir);
	p.socket_path = sock;
	p.state_path = state;
	p.log_path = blog;
	p.key_path = keys;
	prefix_parse("2001:db8:42::/48", &p.network);
	prefix_parse("2001:db8:42:1::/64", &p.node_prefix);
	memcpy(p.node_addr, p.node_prefix.addr, 16);
	p.node_addr[15] = 1;
	p.max_prefix_len = 64;
	babel_router_id_from_prefix(&p.node_prefix, p.router_id);
	p.hello = 1;
	p.hmac_sign = key;
	p.hmac_sign_len = sizeof(key);
	char *lan[] = { "lan-k", "lan-x" };
	p.lan_interfaces = lan;
	p.n_lan_interfaces = 2;

	struct babel *b = NULL;
	int r = babel_start(l, &p, &b);
	CHECK(r == 0, "babel_start: %s", strerror(-r));
	if (r < 0)
		return 1;
	CHECK(babel_add_interface(b, "tun-y", NULL, NULL, NULL) == 0, "add tun-y");
	CHECK(sh("grep -qx 'interface lan-k key sign' %s && grep -qx 'interface lan-x key sign' %s",
		 keys, keys) == 0, "the key file gives each LAN interface the key");

	/* 1. HMAC required on the LAN, none on the tunnel. */
	const char *const keyed[][2] = {
		{ ns[0], "2001:db8:42:8::/64" }, { ns[1], "2001:db8:42:1::/64" },
		{ ns[0], "2001:db8:42:a::/64" }, { ns[3], "2001:db8:42:1::/64" },
	};
	uint64_t t0 = loop_clock_ms();
	CHECK(wait_routes(l, 40000, keyed, 4),
	      "V and K (same key, LAN) learn each other, and V and Y (tunnel, no key) (%llu ms)",
	      (unsigned long long)(loop_clock_ms() - t0));
	tn_run_for(l, 4000);
	CHECK(sh("ip -6 route show 2001:db8:42:8::/64 proto babel | grep -q 'dev lan-k'") == 0,
	      "K's /64 through lan-k, not from X (no key) on lan-x");
	CHECK(!kernel_has(ns[0], "2001:db8:42:9::/64"), "X (no key, LAN) gives V no route");
	CHECK(!kernel_has(ns[2], "2001:db8:42:1::/64"), "X does not learn V's prefix");
	struct re6st_prefix direct[8], k8, x9, ya;
	prefix_parse("2001:db8:42:8::/64", &k8);
	prefix_parse("2001:db8:42:9::/64", &x9);
	prefix_parse("2001:db8:42:a::/64", &ya);
	size_t nd = babel_direct_prefixes(b, lan, 2, &p.network, direct, 8);
	CHECK(nd == 1 && prefix_equal(&direct[0], &k8), "nodes heard directly on the LAN: K (%zu)",
	      nd);
	if (check_failed)
		dump();

	/* 2. The init step: sign, and accept packets without HMAC. */
	p.hmac_accept_unsigned = true;
	int pid = babel_pid(b);
	int how = babel_reconfigure(b, &p);
	CHECK(how == 2, "reconfigure: the interface options change (%d)", how);
	struct babel_rekey *rk = NULL;
	r = babel_rekey_start(&rk, l, b, &p, how, NULL);
	CHECK(r == 0, "babel_rekey_start: %s", strerror(-r));
	CHECK(sh("grep -qx 'interface lan-x key sign accept-bad-signatures true' %s", keys) == 0,
	      "the key file: accept-bad-signatures on LAN interfaces");
	const char *const all[][2] = {
		{ ns[0], "2001:db8:42:8::/64" }, { ns[1], "2001:db8:42:1::/64" },
		{ ns[0], "2001:db8:42:9::/64" }, { ns[2], "2001:db8:42:1::/64" },
		{ ns[0], "2001:db8:42:a::/64" }, { ns[3], "2001:db8:42:1::/64" },
	};
	t0 = loop_clock_ms();
	CHECK(wait_routes(l, 40000, all, 6),
	      "init step: V learns K's, X's and Y's /64 and each of them V's (%llu ms)",
	      (unsigned long long)(loop_clock_ms() - t0));
	tn_run_for(l, 2000);
	CHECK(babel_pid(b) == pid, "the same babeld (pid %d, was %d)", babel_pid(b), pid);
	nd = babel_direct_prefixes(b, lan, 2, &p.network, direct, 8);
	bool has_x9 = false, has_ya = false;
	for (size_t i = 0; i < nd; i++) {
		has_x9 |= prefix_equal(&direct[i], &x9);
		has_ya |= prefix_equal(&direct[i], &ya);
	}
	CHECK(nd == 2 && has_x9 && !has_ya,
	      "nodes heard directly on the LAN: K and X, once each, not Y (tunnel) (%zu)", nd);
	if (check_failed) {
		dump();
		sh("tail -30 %s >&2", blog);
	}
	babel_rekey_free(rk);
	babel_stop(b);
	loop_free(l);
	return check_summary();
}

int main(void)
{
	static const char *const role[4] = { "v", "k", "x", "y" };
	if (tn_start("bh", role, 4) ||
	    sh("ip -n %s link add to-v type veth peer name lan-k netns %s", ns[1], ns[0]) ||
	    sh("ip -n %s link add to-v type veth peer name lan-x netns %s", ns[2], ns[0]) ||
	    sh("ip -n %s link add to-v type veth peer name tun-y netns %s", ns[3], ns[0])) {
		printf("SKIP: cannot create namespaces/veth\n");
		return 77;
	}
	if (tn_links_up()) {
		fprintf(stderr, "namespace set-up failed\n");
		return 1;
	}
	char hexkey[33];
	for (size_t i = 0; i < sizeof(key); i++)
		snprintf(hexkey + 2 * i, 3, "%02x", key[i]);
	if (sh("ip -n %s addr add 2001:db8:42:1::1/64 dev lo", ns[0]) ||
	    sh("ip -n %s -6 route add unreachable 2001:db8:42:8::/64 proto static", ns[1]) ||
	    sh("ip -n %s -6 route add unreachable 2001:db8:42:8::/64 proto static && "
	       "ip -n %s -6 route add unreachable 2001:db8:42:9::/64 proto static", ns[2], ns[2]) ||
	    sh("ip -n %s -6 route add unreachable 2001:db8:42:a::/64 proto static", ns[3]) ||
	    sh("printf 'key id sign type blake2s128 value %s\\ninterface to-v key sign\\n' > %s/K.conf",
	       hexkey, dir)) {
		fprintf(stderr, "set-up failed\n");
		return 1;
	}
	static const char *const plain = "-C 'redistribute proto 4 ip 2001:db8:42::/48 allow' "
					  "-C 'redistribute local deny' -C 'redistribute deny'";
	char kconf[256];
	snprintf(kconf, sizeof(kconf), "%s -c %s/K.conf to-v", plain, dir);
	char xconf[256];
	snprintf(xconf, sizeof(xconf), "%s to-v", plain);
	if (tn_babeld(1, "K", kconf) || tn_babeld(2, "X", xconf) || tn_babeld(3, "Y", xconf)) {
		fprintf(stderr, "cannot start the plain babelds\n");
		return 1;
	}
	return tn_child(victim);
}
