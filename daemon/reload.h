/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * reload.h - SIGHUP: re-read re6stnet.conf and the command line's @FILE
 * option files, apply what can change while the node runs, and name each
 * setting that needs a restart.
 *
 * Live: --client-count, --max-clients, --neighbour, --anchor, --verbose,
 * the tunnel policy (--tunnel-refresh, --rotate-share, --busy-share,
 * --busy-weight, --anchor-share, --drain-limit) and --dead-after: the
 * tunnel manager reads them each time it runs, the lists through
 * tunnel_set_lists(); --metrics: the HTTP server is opened again where it
 * says (node_metrics_listen()). Everything
 * else needs a restart: one warning line per such setting, and the running
 * value is kept. A file that no longer parses changes nothing.
 *
 * reload_diff() is pure (two struct options in, the changes out);
 * reload_options() is the thin step that re-reads and applies.
 */
#ifndef RE6ST_DAEMON_RELOAD_H
#define RE6ST_DAEMON_RELOAD_H

#include <stdbool.h>
#include <stddef.h>

#include "options.h"

struct ctx;

struct reload_change {
	const char *name; /* the long option name ("B" for -B) */
	bool live;        /* applied without a restart */
};

#define RELOAD_MAX_CHANGES 48

/* The settings that differ between old and new, in option-table order;
 * their count (at most max). */
size_t reload_diff(const struct options *old, const struct options *new,
		   struct reload_change *ret, size_t max);

/* Copy the live settings that differ from new into cur (new gets the old
 * values: options_done(new) frees them). */
void reload_take_live(struct options *cur, struct options *new);

/* Parse c->argv again, log and apply (see above). 0, or -errno when the
 * options could not be read (logged; nothing changed). */
int reload_options(struct ctx *c);

#endif
