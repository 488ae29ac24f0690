/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The dead-tunnel verdict (daemon/health.h): the link's counters read as
 * tunnel-health.c reads them, every third of dead-after or up to a quarter
 * of that early when the loop wakes anyway, and at health_verdict_ms().
 */
#include <stdint.h>
#include <stdio.h>

#include "check.h"
#include "health.h"
#include "netconf.h"

/*
 * A tunnel whose peer sends a hello every second from hello_phase, and whose
 * underlay is cut at cut_ms (0: never; lossy: every 7th and 8th hello lost);
 * the link's counters start from a previous peer's. The counters are read
 * from read_phase on, every health_reading_ms(dead), early (up to
 * health_reading_slack_ms(dead), in 50 ms steps) when a seeded draw says
 * the loop woke for something else, and at health_verdict_ms(). Returns when it was judged dead (0: never before
 * end_ms); *ret_reads counts the readings, *ret_last_rx when bytes last came.
 */
static uint64_t simulate(uint64_t dead, uint64_t hello_phase, uint64_t read_phase, uint32_t seed,
			 uint64_t cut_ms, bool lossy, uint64_t end_ms, unsigned *ret_reads,
			 uint64_t *ret_last_rx)
{
	const uint64_t period = health_reading_ms(dead), slack = health_reading_slack_ms(dead);
	struct health_rx h;
	uint64_t rx = 123456, tx = 654321, last_rx = 0, next = read_phase;
	unsigned reads = 0, n_hello = 0;
	uint32_t x = seed | 1;

	health_reset(&h);
	for (uint64_t t = 50; t <= end_ms; t += 50) {
		if (t % 1000 == hello_phase % 1000) {
			bool lost = (cut_ms && t >= cut_ms) || (lossy && n_hello % 8 >= 6);
			n_hello++;
			if (!lost) {
				rx += 150;
				last_rx = t;
			}
		}
		if (t % 1000 == (hello_phase + 500) % 1000)
			tx += 150; /* our hellos */
		x ^= x << 13, x ^= x >> 17, x ^= x << 5;
		bool woke = x % 8 == 0; /* the loop woke for something else */
		uint64_t v = health_verdict_ms(&h, dead);
		if (t >= next || (woke && t + slack >= next) || (v && t >= v)) {
			reads++;
			next = t + period;
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

static void test_simulated(void)
{
	unsigned reads;
	uint64_t last_rx;

	/* Alive, and lossy (2 hellos of 8 lost): never judged. */
	for (uint32_t seed = 1; seed < 20; seed++) {
		CHECK(simulate(3000, 300, seed * 37 % 1000, seed, 0, false, 600000, &reads, &last_rx) ==
		      0);
		CHECK(reads >= 600 && reads <= 800, "600 s: %u readings", reads);
		CHECK(simulate(3000, 300, seed * 37 % 1000, seed, 0, true, 600000, &reads, &last_rx) ==
		      0);
		/* dead-after 6 s: half as many readings. */
		CHECK(simulate(6000, 300, seed * 37 % 1000, seed, 0, false, 600000, &reads, &last_rx) ==
		      0);
		CHECK(reads >= 300 && reads <= 400, "600 s at dead-after 6 s: %u readings", reads);
	}

	/* Cut: judged dead dead-after after the last bytes, never earlier,
	 * and within one reading period (a third of dead-after) more,
	 * whatever the phases and the early readings. */
	const uint64_t deads[] = { 3000, 6000 };
	for (size_t k = 0; k < ARRAY_SIZE(deads); k++) {
		uint64_t dead = deads[k], period = health_reading_ms(dead);
		uint64_t worst = 0, best = UINT64_MAX;
		for (uint64_t hp = 0; hp < 1000; hp += 100)
			for (uint64_t rp = 0; rp < period; rp += 50)
				for (uint64_t cut = 60000; cut < 70000; cut += 1300) {
					uint64_t d = simulate(dead, hp, rp,
							      (uint32_t)(hp * 7 + rp * 3 + cut), cut, false,
							      120000, &reads, &last_rx);
					CHECK(d != 0);
					if (!d)
						continue;
					uint64_t took = d - last_rx;
					worst = took > worst ? took : worst;
					best = took < best ? took : best;
				}
		printf("cut: judged dead %llu to %llu ms after the last bytes (dead-after %llu, "
		       "readings every %llu ms, up to %llu ms early)\n",
		       (unsigned long long)best, (unsigned long long)worst, (unsigned long long)dead,
		       (unsigned long long)period, (unsigned long long)health_reading_slack_ms(dead));
		CHECK(best >= dead);
		CHECK(worst <= dead + period);
	}
	CHECK_EQ(health_reading_ms(3000), 1000);
	CHECK_EQ(health_reading_slack_ms(3000), 250);
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
	CHECK_EQ(health_hello_ms(0, NULL), 1000);
	CHECK_EQ(health_hello_ms(2, NULL), 2000);
	CHECK_EQ(health_hello_ms(0, &hnc), 4000);
	CHECK_EQ(health_hello_ms(2, &hnc), 4000);
	CHECK_EQ(health_hello_ms(6, &hnc), 6000);
	/* Alive: the peer's hello every second; the first reading is the
	 * baseline. */
	health_reset(&h);
	uint64_t rx = 0, tx = 0;
	for (uint64_t t = 1000; t <= 60000; t += 1000) {
		rx += 150, tx += 150;
		CHECK(health_rx_update(&h, rx, tx, t, dead) == HEALTH_ALIVE);
		CHECK(health_verdict_ms(&h, dead) == 0);
	}
	/* The underlay dies at 60 s: we keep sending, nothing comes. */
	uint64_t died_at = 0;
	for (uint64_t t = 61000; t <= 70000 && !died_at; t += 1000) {
		tx += 150;
		if (health_rx_update(&h, rx, tx, t, dead) == HEALTH_DEAD)
			died_at = t;
		else
			CHECK(health_verdict_ms(&h, dead) == 63000);
	}
	printf("dead at %llu ms (last rx at 60000, dead-after %llu)\n",
	       (unsigned long long)died_at, (unsigned long long)dead);
	CHECK(died_at == 63000);

	/* Two hellos lost in a row (a lossy link): still alive. */
	health_reset(&h);
	rx = tx = 0;
	for (uint64_t t = 1000; t <= 20000; t += 1000) {
		tx += 150;
		if (t % 10000 != 0 && t % 10000 != 1000) /* 10 and 11 s lost, 20 s too */
			rx += 150;
		CHECK(health_rx_update(&h, rx, tx, t, dead) == HEALTH_ALIVE);
	}

	/* Silent both ways (no babeld on it): never judged, and no reading
	 * awaited once one came at the deadline (the manager's timer would
	 * otherwise spin on a time past). */
	health_reset(&h);
	for (uint64_t t = 0; t <= 20000; t += 1000)
		CHECK(health_rx_update(&h, 500, 700, t, dead) == HEALTH_ALIVE);
	CHECK(health_verdict_ms(&h, dead) == 0);

	/* A pooled link's counters come from its previous peers: the first
	 * reading is the baseline. Nothing received since, while we send:
	 * dead dead_after after it. */
	health_reset(&h);
	CHECK(health_verdict_ms(&h, dead) == 0);
	CHECK(health_rx_update(&h, 5000, 9000, 6000, dead) == HEALTH_ALIVE);
	CHECK(health_rx_update(&h, 5000, 9100, 7000, dead) == HEALTH_ALIVE);
	CHECK(health_verdict_ms(&h, dead) == 9000);
	CHECK(health_rx_update(&h, 5000, 9200, 8000, dead) == HEALTH_ALIVE);
	CHECK(health_rx_update(&h, 5000, 9300, 9000, dead) == HEALTH_DEAD);

	/* A counter that went down (link recreated) counts as traffic. */
	health_reset(&h);
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

	test_simulated();
	return check_summary();
}
