/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * health.h - is a tunnel's underlay dead? Pure logic (no I/O), unit-tested
 * in test/mesh/test-health.c; tunnel-health.c reads every live tunnel
 * link's counters every third of dead-after (health_reading_ms()), their
 * requests sent together (nl_link_stats_get()), and feeds each to health_rx_update(): the
 * packets received, and those we tried to send (sent, or dropped on the
 * way out).
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
 *
 * The counters are the link's (a pooled link keeps counting across its
 * peers): the first reading after health_reset() is the baseline.
 */
#ifndef RE6ST_DAEMON_HEALTH_H
#define RE6ST_DAEMON_HEALTH_H

#include <stdbool.h>
#include <stdint.h>

struct re6st_netconf;

/* Per tunnel; zero it when the tunnel comes up (health_reset()). */
struct health_rx {
	uint64_t rx;         /* counters at the last reading */
	uint64_t tx;
	uint64_t rx_ms;      /* the reading that saw rx grow, or the baseline */
	uint64_t tx_at_rx;   /* tx counter then */
	uint64_t read_ms;    /* the last reading */
	bool seen;           /* the baseline reading was taken */
};

enum health_verdict {
	HEALTH_ALIVE,
	HEALTH_DEAD, /* nothing received for dead_after_ms while we sent */
};

/* Start watching again (the tunnel came up, or has a new peer). */
void health_reset(struct health_rx *h);
/*
 * One reading of the link's counters at now_ms; the first after
 * health_reset() is the baseline. A counter that went down (the link was
 * recreated) counts as traffic. DEAD once rx has not grown for
 * dead_after_ms (counted from the reading that saw it grow, which is at
 * most one reading interval after the bytes came, or from the baseline)
 * and tx grew since; a tunnel silent both ways (no babeld on it) is never
 * judged.
 */
enum health_verdict health_rx_update(struct health_rx *h, uint64_t rx, uint64_t tx,
				     uint64_t now_ms, uint64_t dead_after_ms);
/*
 * When a reading can judge the tunnel dead: dead_after_ms after the
 * reading that last saw rx grow, once a later reading saw nothing come,
 * until a reading at or after that time (0: none is pending). Reading then, and not only at the next period, keeps
 * the verdict within dead_after_ms plus one period of the last bytes when
 * readings come early (timer slack).
 */
uint64_t health_verdict_ms(const struct health_rx *h, uint64_t dead_after_ms);
/*
 * How often the live tunnels' counters are read: every third of
 * dead_after_ms (1 s at the network's default 3 s), so a verdict comes
 * dead-after to 4/3 dead-after after the last bytes; a reading may come a
 * quarter of that early when the loop wakes anyway (health_reading_slack_ms()).
 */
uint64_t health_reading_ms(uint64_t dead_after_ms);
uint64_t health_reading_slack_ms(uint64_t dead_after_ms);
/* The longer of the node's hello interval (option > 0) and the network's
 * (if any), in ms; 1 s when neither is set. */
uint64_t health_hello_ms(int opt_seconds, const struct re6st_netconf *nc);
/* The dead-after period in ms: option (> 0) or the network's (or the default). */
uint64_t health_dead_after_ms(int opt_seconds, const struct re6st_netconf *nc);

/*
 * Lossy tunnels (policy.h, exception 9). babeld's reach of the tunnel's
 * neighbour holds one bit per hello of the last 16, set when it came: the
 * share of bits clear is the loss of the peer's hellos, one direction of
 * the tunnel. Sampled every HEALTH_LOSS_EVERY_MS (with the health checks)
 * once the reach can be full (16 hello intervals after the tunnel came
 * up), averaged (exponentially from 0, a sample weighing an eighth: a
 * single lost hello moves it by 0.8%, twice as it stays in the reach for
 * 16 hellos, sampled every 10): after
 * HEALTH_LOSS_SAMPLES samples a tunnel whose average is at least
 * HEALTH_LOSS_LOSSY is lossy. A path through it loses packets that a
 * detour over clean tunnels would not, and babel's metric cannot weigh
 * that loss against the detour's length without also weighing every hop
 * (docs/network-config.md, "Metric and failover").
 */
#define HEALTH_LOSS_EVERY_MS 10000
#define HEALTH_LOSS_SAMPLES 6
#define HEALTH_LOSS_LOSSY 0.03

struct health_loss {
	unsigned samples;
	double avg;          /* share of hellos lost */
};

/* One sample of the neighbour's reach (16 bits); true when the tunnel is
 * judged lossy (the caller zeroes h to start again). */
bool health_loss_update(struct health_loss *h, unsigned reach);

#endif
