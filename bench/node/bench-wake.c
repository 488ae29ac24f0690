/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * bench-wake - what one idle wake-up of re6stnet costs on this machine,
 * kernel and CPU as they are (natively, or in the test VM under TCG).
 *
 * An idle node wakes about once a second, for its tunnels' counters
 * (docs/daemon.md, "Idle cost"). bench-idle measures the whole daemon in
 * the VM, where every wake-up is slow; this measures the same wake-up
 * anywhere, with the daemon's own loop (daemon/loop.c) and counters'
 * reading (nl_link_stats_get()) on N veth links in a network namespace of
 * its own (needs root):
 *
 *   bare      a timer every PERIOD ms, nothing done: the wake-up itself
 *   counters  the same timer, each wake-up reading the N links' counters
 *
 * Each for SECONDS; CPU is the time the scheduler ran the process
 * (/proc/self/schedstat, nanoseconds). Prints the CPU per wake-up and the
 * share of a core at one wake-up a second.
 *
 * usage: bench-wake [SECONDS (10)] [LINKS (5)] [PERIOD_MS (100)]
 */
#include <errno.h>
#include <inttypes.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "link.h"
#include "loop.h"

struct run {
	struct nl_sock *nl;
	const int *ifindex;
	size_t n;
	struct nl_link_stats *st;
	uint64_t end_ms;
	unsigned wakes;
	int failed;
};

static uint64_t run_ns(void)
{
	unsigned long long ns = 0;
	FILE *f = fopen("/proc/self/schedstat", "r");
	if (f) {
		if (fscanf(f, "%llu", &ns) != 1)
			ns = 0;
		fclose(f);
	}
	return ns;
}

static void on_tick(struct loop *l, struct loop_timer *t, void *userdata)
{
	struct run *r = userdata;
	r->wakes++;
	if (r->nl && nl_link_stats_get(r->nl, r->ifindex, r->n, r->st) < 0)
		r->failed++;
	if (loop_now(l) >= r->end_ms)
		loop_exit(l, 0);
}

/* One phase: its CPU per wake-up in ns, or 0 on failure. */
static uint64_t phase(const char *name, struct run *r, unsigned seconds, unsigned period_ms)
{
	_cleanup_(loop_freep) struct loop *l = NULL;
	if (loop_new(&l) < 0)
		return 0;
	r->wakes = 0;
	r->failed = 0;
	r->end_ms = loop_clock_ms() + (uint64_t)seconds * 1000;
	if (loop_add_timer(l, loop_clock_ms() + period_ms, period_ms, on_tick, r, NULL) < 0)
		return 0;
	uint64_t ns0 = run_ns();
	if (loop_run(l) < 0 || r->failed || !r->wakes) {
		fprintf(stderr, "bench-wake: %s: %u wake-ups, %d failed readings\n", name, r->wakes,
			r->failed);
		return 0;
	}
	uint64_t per = (run_ns() - ns0) / r->wakes;
	printf("figure: %-34s %7.1f us per wake-up (%u wake-ups), %.4f%% of a core at 1/s\n", name,
	       (double)per / 1000, r->wakes, (double)per / 1e7);
	return per;
}

int main(int argc, char **argv)
{
	int seconds = argc > 1 ? atoi(argv[1]) : 10, links = argc > 2 ? atoi(argv[2]) : 5,
	    period = argc > 3 ? atoi(argv[3]) : 100;
	if (argc > 4 || seconds < 1 || seconds > 3600 || links < 1 || links > 32 || period < 1 ||
	    period > 10000) {
		fprintf(stderr, "usage: bench-wake [SECONDS (1..3600)] [LINKS (1..32)] "
				"[PERIOD_MS (1..10000)]\n");
		return 2;
	}
	if (unshare(CLONE_NEWNET) < 0) {
		fprintf(stderr, "bench-wake: a network namespace of its own: %s (run as root)\n",
			strerror(errno));
		return 1;
	}
	struct nl_sock *nl = NULL;
	int r = nl_sock_open(&nl);
	if (r < 0) {
		fprintf(stderr, "bench-wake: netlink: %s\n", strerror(-r));
		return 1;
	}
	int ifindex[32];
	struct nl_link_stats st[32];
	for (int i = 0; i < links; i++) {
		char a[IF_NAMESIZE], b[IF_NAMESIZE];
		snprintf(a, sizeof(a), "bw%da", i);
		snprintf(b, sizeof(b), "bw%db", i);
		r = nl_link_create_veth(nl, a, b, -1, &ifindex[i]);
		if (r >= 0)
			r = nl_link_set_up(nl, ifindex[i], true);
		if (r < 0) {
			fprintf(stderr, "bench-wake: veth %s: %s\n", a, strerror(-r));
			nl_sock_free(nl);
			return 1;
		}
	}
	printf("bench-wake: %d s a phase, %d veth links, a wake-up every %d ms\n", seconds, links,
	       period);
	struct run bare = { 0 }, counters = { nl, ifindex, (size_t)links, st, 0, 0, 0 };
	uint64_t b = phase("bare wake-up", &bare, (unsigned)seconds, (unsigned)period);
	uint64_t c = phase("wake-up reading the counters", &counters, (unsigned)seconds,
			   (unsigned)period);
	if (b && c)
		printf("figure: %-34s %7.1f us per wake-up\n", "the counters' reading alone",
		       c > b ? (double)(c - b) / 1000 : 0.0);
	nl_sock_free(nl);
	return b && c ? 0 : 1;
}
