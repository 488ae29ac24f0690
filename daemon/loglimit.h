/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * loglimit.h - log lines caused by remote packets, rate-limited per source.
 *
 * Anyone who can send us a datagram (or replay one seen on the underlay)
 * must not be able to fill the log. Each source address may cause at most
 * LOGLIMIT_BURST lines per LOGLIMIT_WINDOW_MS, and all sources together
 * LOGLIMIT_GLOBAL lines per window (spoofed source addresses); lines over
 * the limit are counted, and when a window ends one line says how many were
 * suppressed. The table of sources has LOGLIMIT_SLOTS entries, fixed: when
 * it is full the source with the oldest window is replaced, its count added
 * to the all-sources one (reported once per window too), so hostile input
 * can neither make the table grow nor flood the log with reports.
 */
#ifndef RE6ST_DAEMON_LOGLIMIT_H
#define RE6ST_DAEMON_LOGLIMIT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#define LOGLIMIT_SLOTS 64
#define LOGLIMIT_BURST 5
#define LOGLIMIT_GLOBAL 20
#define LOGLIMIT_WINDOW_MS 10000

struct loglimit_slot {
	uint8_t addr[16];      /* IPv6, or IPv4-mapped */
	uint64_t start_ms;     /* window start; 0: free slot */
	unsigned lines, suppressed;
};

struct loglimit {
	const char *what;      /* prefix of the report lines ("peer") */
	struct loglimit_slot slots[LOGLIMIT_SLOTS];
	uint64_t global_start_ms;
	unsigned global_lines, global_suppressed;
};

void loglimit_init(struct loglimit *ll, const char *what);
/*
 * May a line at level, caused by a packet from src, be logged now (loop
 * clock, ms)? false when the level is not logged at all (nothing counted)
 * or the source or everyone is over the limit (counted as suppressed).
 */
bool loglimit_allow(struct loglimit *ll, const struct sockaddr_storage *src, int level,
		    uint64_t now_ms);
/* Report and reset the windows that ended. */
void loglimit_tick(struct loglimit *ll, uint64_t now_ms);
/* When the first window with suppressed lines ends (its report is due):
 * call loglimit_tick() then. 0 when nothing is suppressed. */
uint64_t loglimit_next_report(const struct loglimit *ll);
/* Report everything still counted (at exit). */
void loglimit_flush(struct loglimit *ll, uint64_t now_ms);

#endif
