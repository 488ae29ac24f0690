/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The dead-tunnel verdict (daemon/health.h): WireGuard counters read once a
 * second; then as tunnel.c reads them on an idle node, every 10 s and at
 * once when babel reports hellos missed (a simulated babeld).
 */
#include <stdint.h>
#include <stdio.h>

#include "check.h"
#include "health.h"
#include "netconf.h"


/*
 * A tunnel whose peer sends a hello every second from hello_phase, and whose
 * underlay is cut at cut_ms (0: never; lossy: every 7th and 8th hello lost).
 * A babeld counts hellos missed as 1.12 does (once 1.7 intervals passed,
 * checked every second from check_phase; with quiet_first, no line for the
 * first hello missed: the silence reported from the second on, as
 * vm-failover once saw) and its monitor line calls
 * health_suspect(), at once (read_phase < 0) or when babel.c next reads its
 * socket (every BATCH_MS from read_phase); the counters are read when
 * health_next_ms() says so, in 100 ms steps. Returns when it was judged dead (0: never before end_ms);
 * *ret_reads counts the readings, *ret_last_rx when bytes last came.
 */
#define BATCH_MS 500 /* babel.c's MONITOR_BATCH_MS */
#define STR_(x) #x
#define STR(x) STR_(x)

static uint64_t simulate(uint64_t hello_phase, uint64_t check_phase, int read_phase,
			 bool quiet_first, uint64_t cut_ms, bool lossy, uint64_t end_ms,
			 unsigned *ret_reads, uint64_t *ret_last_rx)
{
	const uint64_t dead = 3000, every = 10000;
	struct health_rx h;
	uint64_t rx = 0, tx = 0, last_rx = 0, htime = 0, heard = 0;
	unsigned reach = 0, reads = 0, n_hello = 0, line = 0x10000; /* none */

	health_reset(&h, 0);
	for (uint64_t t = 100; t <= end_ms; t += 100) {
		if (t % 1000 == hello_phase % 1000) {
			bool lost = (cut_ms && t >= cut_ms) || (lossy && n_hello % 8 >= 6);
			n_hello++;
			if (!lost) {
				rx += 150;
				last_rx = t;
				reach = (reach >> 1) | 0x8000;
				htime = heard = t;
			}
		}
		if (t % 1000 == (hello_phase + 500) % 1000)
			tx += 150; /* our hellos */
		if (t % 1000 == check_phase % 1000 && reach && t - htime >= 1700) {
			uint64_t missed = (t - htime - 700) / 1000;
			reach >>= missed;
			htime += missed * 1000;
			if (!quiet_first || t - heard >= 2700)
				line = reach; /* printed */
		}
		if (line <= 0xffff && (read_phase < 0 || t % BATCH_MS == (uint64_t)read_phase)) {
			uint64_t silent = health_babel_silent_ms(line, 1000);
			if (silent)
				health_suspect(&h, t, silent);
			line = 0x10000;
		}
		if (t >= health_next_ms(&h, dead, every)) {
			reads++;
			if (health_rx_update(&h, rx, tx, t, dead) == HEALTH_DEAD) {
				*ret_reads = reads;
				*ret_last_rx = last_rx;
				return t;
			}
		}
	}
	*ret_reads = reads;
	*ret_last_rx = last_rx;
	return 0;
}

static void test_babel_driven(void)
{
	/* babel's reach: the newest hello on top. */
	CHECK(health_babel_silent_ms(0xffff, 1000) == 0);
	CHECK(health_babel_silent_ms(0x8000, 1000) == 0);
	CHECK(health_babel_silent_ms(0, 1000) == 0);
	CHECK(health_babel_silent_ms(0x7fff, 1000) == 1700);
	CHECK(health_babel_silent_ms(0x3fff, 1000) == 2700);
	CHECK(health_babel_silent_ms(0x1fff, 15000) == 55500);
	CHECK(health_babel_silent_ms(0x0001, 1000) == 15700);
	CHECK(health_babel_silent_ms(0x17fff, 1000) == 1700); /* 16 bits only */

	/* Never heard (setting up): not suspect, read every third. */
	struct health_rx h;
	health_reset(&h, 1000);
	CHECK(!health_suspect(&h, 2000, 1700));
	CHECK(health_next_ms(&h, 3000, 10000) <= 1000);

	/* Idle and alive: read every 10 s once heard, never judged. */
	unsigned reads;
	uint64_t last_rx;
	CHECK(simulate(300, 700, 200, false, 0, false, 600000, &reads, &last_rx) == 0);
	printf("idle 600 s: %u counter readings\n", reads);
	CHECK(reads <= 62);

	/* A lossy link (2 hellos of 8 lost): babel reports them, the counters
	 * are read, never judged dead. */
	CHECK(simulate(300, 700, 200, false, 0, true, 600000, &reads, &last_rx) == 0);
	printf("lossy 600 s: %u counter readings\n", reads);

	/* Cut: judged dead dead-after (3 s) after the last bytes, within
	 * babel's check period (1 s) more when its lines are read at once,
	 * never earlier, whatever the phases; and when babel.c reads its
	 * socket every BATCH_MS, within that more; the same when babeld's
	 * first line comes at the second hello missed (vm-failover saw it;
	 * before health_next_ms() read at dead-after however soon after the
	 * suspect reading, this took up to 4600 and 5000 ms). */
	for (int quiet = 0; quiet < 2; quiet++)
		for (int batched = 0; batched < 2; batched++) {
			uint64_t worst = 0, best = UINT64_MAX;
			for (uint64_t hp = 0; hp < 1000; hp += 100)
				for (uint64_t cp = 0; cp < 1000; cp += 100)
					for (uint64_t cut = 60000; cut < 70000; cut += 1300) {
						int rp = batched ? (int)((cp + cut / 13) % BATCH_MS) / 100 * 100
								 : -1;
						uint64_t d = simulate(hp, cp, rp, quiet, cut, false, 120000,
								      &reads, &last_rx);
						CHECK(d != 0);
						if (!d)
							continue;
						uint64_t took = d - last_rx;
						worst = took > worst ? took : worst;
						best = took < best ? took : best;
					}
			printf("cut, babel's lines read %s%s: judged dead %llu to %llu ms after the "
			       "last bytes (dead-after 3000)\n",
			       batched ? "every " STR(BATCH_MS) " ms" : "at once",
			       quiet ? ", the first from the second hello missed" : "",
			       (unsigned long long)best, (unsigned long long)worst);
			CHECK(best >= 3000);
			CHECK(worst <= (batched ? 4100u + BATCH_MS : 4100u));
		}
}

/*
 * Lossy tunnels (health_loss_update()): the peer's hellos, one a second,
 * each lost with probability loss (a seeded generator); babeld's reach
 * shifted in at each; sampled every 10 s as tunnel-loss.c does. Returns
 * how many times the tunnel was judged lossy over secs seconds, and in
 * *ret_first when first (0: never).
 */
static unsigned loss_run(double loss, unsigned secs, uint32_t seed, unsigned *ret_first)
{
	struct health_loss h = { 0 };
	uint32_t x = seed;
	unsigned reach = 0xffff, verdicts = 0;
	*ret_first = 0;
	for (unsigned t = 1; t <= secs; t++) {
		x ^= x << 13, x ^= x >> 17, x ^= x << 5;
		bool got = (double)x / 4294967296.0 >= loss;
		reach = ((reach >> 1) | (got ? 0x8000u : 0)) & 0xffff;
		if (t % 10 == 0 && health_loss_update(&h, reach)) {
			verdicts++;
			if (!*ret_first)
				*ret_first = t;
			h = (struct health_loss){ 0 };
		}
	}
	return verdicts;
}

static void test_loss(void)
{
	unsigned first, n;
	n = loss_run(0, 36000, 1, &first);
	printf("loss 0%%: %u lossy verdicts in 10 h\n", n);
	CHECK(n == 0);
	CHECK(health_loss_update(&(struct health_loss){ 0 }, 0) == false); /* one sample is not enough */
	n = loss_run(0.005, 36000, 2, &first);
	printf("loss 0.5%%: %u lossy verdicts in 10 h\n", n);
	CHECK(n <= 5);
	for (uint32_t seed = 3; seed < 13; seed++) {
		n = loss_run(0.05, 600, seed, &first);
		CHECK(first && first <= 180, "5%% loss judged lossy within 3 min (seed %u: %u s)",
		      (unsigned)seed, first);
		n = loss_run(0.10, 600, seed, &first);
		CHECK(first == 60, "10%% loss judged lossy at the 6th sample (seed %u: %u s)",
		      (unsigned)seed, first);
	}
}

int main(void)
{
	struct health_rx h;
	const uint64_t dead = 3000;

	test_loss();
	struct re6st_netconf hnc = { .hello = 4 };
	CHECK_EQ(health_hello_ms(0, NULL, false), 1000);
	CHECK_EQ(health_hello_ms(2, NULL, true), 2000);
	CHECK_EQ(health_hello_ms(0, &hnc, false), 4000);
	CHECK_EQ(health_hello_ms(2, &hnc, false), 2000);
	CHECK_EQ(health_hello_ms(2, &hnc, true), 4000);
	CHECK_EQ(health_hello_ms(6, &hnc, false), 4000);
	/* Alive: the peer's hello every second. */
	health_reset(&h, 1000);
	uint64_t rx = 0, tx = 0;
	for (uint64_t t = 1000; t <= 60000; t += 1000) {
		rx += 150, tx += 150;
		CHECK(health_rx_update(&h, rx, tx, t, dead) == HEALTH_ALIVE);
	}
	/* The underlay dies at 60 s: we keep sending, nothing comes. */
	uint64_t died_at = 0;
	for (uint64_t t = 61000; t <= 70000 && !died_at; t += 1000) {
		tx += 150;
		if (health_rx_update(&h, rx, tx, t, dead) == HEALTH_DEAD)
			died_at = t;
	}
	printf("dead at %llu ms (last rx at 60000, dead-after %llu)\n",
	       (unsigned long long)died_at, (unsigned long long)dead);
	CHECK(died_at == 63000);

	/* Two hellos lost in a row (a lossy link): still alive. */
	health_reset(&h, 0);
	rx = tx = 0;
	for (uint64_t t = 1000; t <= 20000; t += 1000) {
		tx += 150;
		if (t % 10000 != 0 && t % 10000 != 1000) /* 10 and 11 s lost, 20 s too */
			rx += 150;
		CHECK(health_rx_update(&h, rx, tx, t, dead) == HEALTH_ALIVE);
	}

	/* Silent both ways (no babeld on it): never judged. */
	health_reset(&h, 0);
	for (uint64_t t = 0; t <= 20000; t += 1000)
		CHECK(health_rx_update(&h, 500, 700, t, dead) == HEALTH_ALIVE);

	/* Nothing ever received after the handshake, while we send: dead
	 * dead_after after the tunnel came up. */
	health_reset(&h, 5000);
	CHECK(health_rx_update(&h, 0, 100, 6000, dead) == HEALTH_ALIVE);
	CHECK(health_rx_update(&h, 0, 200, 7000, dead) == HEALTH_ALIVE);
	CHECK(health_rx_update(&h, 0, 300, 8000, dead) == HEALTH_DEAD);

	/* A counter that went down (peer reprogrammed) counts as traffic. */
	health_reset(&h, 0);
	CHECK(health_rx_update(&h, 1000, 1000, 1000, dead) == HEALTH_ALIVE);
	CHECK(health_rx_update(&h, 10, 1100, 3500, dead) == HEALTH_ALIVE);
	CHECK(health_rx_update(&h, 10, 1200, 5000, dead) == HEALTH_ALIVE);
	CHECK(health_rx_update(&h, 10, 1300, 6500, dead) == HEALTH_DEAD);

	/* The period: option, else the network's, else the default. */
	struct re6st_netconf *nc = NULL;
	CHECK(netconf_new(&nc) == 0);
	CHECK(health_dead_after_ms(-1, NULL) == NETCONF_DEFAULT_DEAD_AFTER * 1000ull);
	CHECK(health_dead_after_ms(-1, nc) == NETCONF_DEFAULT_DEAD_AFTER * 1000ull);
	nc->dead_after = 7;
	CHECK(health_dead_after_ms(-1, nc) == 7000);
	CHECK(health_dead_after_ms(5, nc) == 5000);
	netconf_free(nc);

	test_babel_driven();
	return check_summary();
}
