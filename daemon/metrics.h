/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * metrics.h - the node's metrics: counters and histograms that the daemon's
 * modules increment with plain downward calls, and collectors that the
 * modules owning a state register to show it (gauges read at scrape time).
 * A leaf module: it includes no other daemon module and calls nobody but
 * its collectors, which the modules above registered (a handler table).
 *
 * Every function accepts m == NULL (metrics not set up: nothing counted),
 * so a module increments without checking. docs/monitoring.md lists the
 * metrics with their meaning.
 */
#ifndef RE6ST_DAEMON_METRICS_H
#define RE6ST_DAEMON_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "macro.h"
#include "prom.h"

struct metrics;

enum metric_counter {
	M_TUNNELS_UP,          /* a tunnel came up (either role) */
	M_ROTATIONS,           /* a client tunnel chosen for rotation */
	M_FORCED_DESTRUCTIONS, /* destroyed at the drain limit, routes still on it */
	M_SETUP_FAILED,        /* a client set-up that tried every endpoint in vain */
	M_RATE_LIMITED,        /* set-up requests refused or dropped by the rate limit */
	M__COUNT
};

enum metric_histogram {
	H_DRAIN_SECONDS,       /* start of drain to destruction */
	H_SETUP_SECONDS,       /* client: set-up request to tunnel up */
	H__COUNT
};

/* What became of a received peer-protocol datagram. */
enum metric_verdict {
	MV_ACCEPTED,     /* authenticated and handled */
	MV_MALFORMED,    /* did not decode */
	MV_AUTH,         /* certificate, signature, addressing or transport refused */
	MV_REPLAY,       /* replayed or stale timestamp */
	MV_RATE_LIMITED, /* set-up request over the source's rate */
	MV__COUNT
};

#define METRICS_PP_TYPES 16 /* peer-protocol types 1..15; 0 when unknown */

/*
 * A collector appends families and samples to w (lib/prom.h). Called
 * on every scrape, from the loop, in registration order.
 */
typedef void (*metrics_collect_fn)(void *userdata, struct prom_buf *w);

/* 0 or -ENOMEM. */
int metrics_new(struct metrics **ret);
void metrics_free(struct metrics *m);
DEFINE_FREEP(struct metrics, metrics_free)

void metrics_inc(struct metrics *m, enum metric_counter c);
/* seconds >= 0. */
void metrics_observe(struct metrics *m, enum metric_histogram h, double seconds);
/* type: the peer-protocol message type (pp_type), 0 when not decoded. */
void metrics_peer_rx(struct metrics *m, unsigned type, enum metric_verdict v);
void metrics_peer_tx(struct metrics *m, unsigned type);

/* Add a collector (at most 16). 0, -EINVAL (fn NULL) or -ENOMEM. */
int metrics_register(struct metrics *m, metrics_collect_fn fn, void *userdata);
/* Remove every collector registered with (fn, userdata). */
void metrics_unregister(struct metrics *m, metrics_collect_fn fn, void *userdata);

/*
 * The whole exposition: the counters and histograms, then each collector's
 * part. *ret (malloc'ed, NUL-terminated, *ret_len bytes). 0 or -ENOMEM.
 */
int metrics_render(struct metrics *m, char **ret, size_t *ret_len);

#endif
