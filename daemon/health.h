/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * health.h - is a tunnel's underlay dead? Pure logic (no I/O), unit-tested
 * in test/mesh/test-health.c; tunnel.c feeds it WireGuard's per-peer byte
 * counters every second.
 *
 * babeld sends a hello on every tunnel every hello interval (1 s by the
 * network's default) and its peer does the same, so on a live tunnel bytes
 * arrive every second whether or not it carries traffic. A tunnel that
 * received nothing for dead_after seconds while we kept sending is dead:
 * its underlay path is cut (or the peer is gone). It is freed at once, so
 * babeld drops its routes (traffic moves to other tunnels) and the tunnel
 * manager opens a replacement, instead of waiting for WireGuard's
 * handshake to be 200 s old. See docs/tunnel-manager.md, "Failure
 * detection", for the defaults and their false-positive rate.
 */
#ifndef RE6ST_DAEMON_HEALTH_H
#define RE6ST_DAEMON_HEALTH_H

#include <stdbool.h>
#include <stdint.h>

struct re6st_netconf;

/* Per tunnel; zero it when the tunnel comes up (health_reset()). */
struct health_rx {
	uint64_t rx_bytes;   /* counters at the last reading */
	uint64_t tx_bytes;
	uint64_t rx_ms;      /* when rx last grew (or the tunnel came up) */
	uint64_t tx_at_rx;   /* tx counter then */
	bool seen;           /* one reading done */
};

enum health_verdict {
	HEALTH_ALIVE,
	HEALTH_DEAD, /* nothing received for dead_after_ms while we sent */
};

/* Start watching at now_ms (tunnel up). */
void health_reset(struct health_rx *h, uint64_t now_ms);
/*
 * One reading of the peer's counters at now_ms. A counter that went down
 * (the peer was reprogrammed) counts as traffic. DEAD once rx has not grown
 * for dead_after_ms and tx grew since it last did; a tunnel silent both
 * ways (no babeld on it) is never judged.
 */
enum health_verdict health_rx_update(struct health_rx *h, uint64_t rx_bytes, uint64_t tx_bytes,
				     uint64_t now_ms, uint64_t dead_after_ms);
/* The dead-after period in ms: option (> 0) or the network's (or the default). */
uint64_t health_dead_after_ms(int opt_seconds, const struct re6st_netconf *nc);

#endif
