/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * health.h - is a tunnel's underlay dead? Pure logic (no I/O), unit-tested
 * in test/mesh/test-health.c; tunnel.c feeds it WireGuard's per-peer byte
 * counters when health_next_ms() says a reading is due, and babel's word
 * that a neighbour's hellos stopped (health_suspect()).
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
 * An idle node does not read the counters every second: babeld already
 * watches every neighbour's hellos and prints, on its monitor stream, the
 * neighbour's reach (one bit per hello, the newest on top) whenever it
 * changes. Once the tunnel was heard, its counters are read every
 * `every_ms` (10 s) only; when babel reports the newest hellos missed, the
 * tunnel is suspect: read at once, the last bytes taken as no later than
 * babel's silence began (when the readings cannot tell: bytes between two
 * readings while babel's silence began in between were hellos), then read
 * again when dead_after will have passed since, until bytes come again
 * after the silence began.
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
	uint64_t rx_ms;      /* when rx last grew at the latest (or the tunnel came up) */
	uint64_t rx_lo_ms;   /* ... and at the earliest: the reading before */
	uint64_t tx_at_rx;   /* tx counter then (at rx_lo_ms when dated back to babel's silence) */
	uint64_t tx_lo;      /* tx counter at rx_lo_ms */
	uint64_t read_ms;    /* the last reading */
	uint64_t quiet_ms;   /* suspect: babel heard no hello since then */
	bool seen;           /* one reading done */
	bool heard;          /* rx grew once: babel talks on the tunnel */
	bool suspect;        /* babel missed hellos; no bytes came since */
	bool quiet_pending;  /* suspect, and not read since */
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
/*
 * babel missed the newest hellos of the tunnel's neighbour: nothing was
 * heard for silent_ms (health_babel_silent_ms()). True when the tunnel
 * becomes suspect (a reading is due now); false when it was already, or
 * was never heard (still setting up: read every third of dead-after).
 */
bool health_suspect(struct health_rx *h, uint64_t now_ms, uint64_t silent_ms);
/*
 * When the next reading is due: now after health_suspect(); every third of
 * dead-after (at least 1 s, at most every_ms) until the tunnel was heard;
 * then every every_ms; while suspect, when dead_after has passed since the
 * last bytes (and from then on every third of dead-after, at most every_ms).
 */
uint64_t health_next_ms(const struct health_rx *h, uint64_t dead_after_ms, uint64_t every_ms);
/*
 * How long at least babel heard no hello, from a neighbour's reach (reach
 * | ureach of a monitor line) and the hello interval: 0 when the newest
 * hello came (top bit set) or reach is 0 (a neighbour not heard yet, or
 * flushed); else babeld counted k hellos missed, which it does once
 * (k + 0.7) intervals passed without one.
 */
uint64_t health_babel_silent_ms(unsigned reach, unsigned hello_ms);
/* The hello interval in ms, of the node's (option > 0) and the network's
 * (if any) the shorter (longer false) or the longer; 1 s when neither is set. */
uint64_t health_hello_ms(int opt_seconds, const struct re6st_netconf *nc, bool longer);
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
