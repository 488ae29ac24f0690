/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The dead-tunnel verdict (daemon/health.h): WireGuard counters read once a
 * second, as tunnel.c does.
 */
#include <stdint.h>
#include <stdio.h>

#include "check.h"
#include "health.h"
#include "netconf.h"

int main(void)
{
	struct health_rx h;
	const uint64_t dead = 3000;

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
	return check_summary();
}
