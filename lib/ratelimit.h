/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ratelimit.h - token buckets per key (a source address, a peer, "*") in a
 * table of fixed size, for anything a remote party can trigger at will:
 * log lines, registrations.
 *
 * Each key may do `burst` events at once, then one per `interval_ms`.
 * Refused events are counted per key; the next allowed event returns the
 * count, so a log line can say "(N similar lines suppressed)".  When the
 * table is full, a new key takes the slot of a key whose bucket is full
 * again (nothing lost), else of the least recently seen key not being
 * refused, else of the least recently seen key.
 *
 * Not thread-safe: callers serialise use of one struct ratelimit.
 */
#ifndef RE6ST_RATELIMIT_H
#define RE6ST_RATELIMIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RATELIMIT_KEY_MAX 48 /* longer keys are cut */

struct ratelimit_slot {
	char key[RATELIMIT_KEY_MAX];
	uint64_t stamp_ms;   /* time the bucket was last refilled up to */
	uint64_t seen_ms;    /* last event */
	uint32_t tokens;
	uint32_t suppressed;
	bool used;
};

struct ratelimit {
	struct ratelimit_slot *slot;
	size_t n_slots;
	uint32_t burst;
	uint32_t interval_ms;
};

/* n_slots >= 1, burst >= 1, interval_ms >= 1.  0 or -ENOMEM / -EINVAL. */
int ratelimit_init(struct ratelimit *rl, size_t n_slots, uint32_t burst, uint32_t interval_ms);
void ratelimit_done(struct ratelimit *rl);

/*
 * One event of key at now_ms (a monotonic clock): true when allowed, with
 * *ret_suppressed (optional) the number of events of that key refused since
 * its last allowed one; false when refused (counted).
 */
bool ratelimit_allow(struct ratelimit *rl, const char *key, uint64_t now_ms,
		     uint32_t *ret_suppressed);

/* Milliseconds of CLOCK_MONOTONIC. */
uint64_t ratelimit_now_ms(void);

#endif
