/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * babel-output.h - babeld's stdout and stderr, read from a pipe on the
 * daemon's loop and logged again through re6stnet's logger, each line with
 * a level and a "babeld: " prefix (under systemd, with its journal
 * priority).
 *
 * babeld's lines carry no level. babel_output_level() gives one: warning
 * for what reports a failure (perror()'s ": <strerror>" ending, or the
 * words error, couldn't, cannot, failed, warning...), info for the rest.
 * A chatty babeld cannot flood the log: at most BABEL_OUTPUT_BURST lines
 * per BABEL_OUTPUT_WINDOW_MS; the lines over it are counted and one line
 * says how many were dropped.
 */
#ifndef RE6ST_DAEMON_BABEL_OUTPUT_H
#define RE6ST_DAEMON_BABEL_OUTPUT_H

#include "loop.h"

#define BABEL_OUTPUT_BURST 20
#define BABEL_OUTPUT_WINDOW_MS 10000
#define BABEL_OUTPUT_LINE_MAX 512 /* longer lines are cut */

struct babel_output;

/* 0, or -ENOMEM. */
int babel_output_new(struct loop *l, struct babel_output **ret);
/*
 * A new pipe for the next babeld: *ret_fd is its write end (close-on-exec:
 * loop_spawn_output() puts it on the child's stdout and stderr), for the
 * caller to close once the child is spawned. What the previous pipe still
 * holds is logged and the pipe closed. 0 or -errno.
 */
int babel_output_pipe(struct babel_output *o, int *ret_fd);
/* Log what is left (and the count of dropped lines), close, free. NULL-safe. */
void babel_output_free(struct babel_output *o);
DEFINE_FREEP(struct babel_output, babel_output_free)

/* The log level for one of babeld's lines. */
int babel_output_level(const char *line);

#endif
