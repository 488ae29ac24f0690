/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * control.h - the daemon's control socket, for re6stctl.
 *
 * A unix stream socket (mode 0660) under the run directory. Protocol
 * (docs/daemon.md): the client sends one command per line ("status\n");
 * the daemon answers each with exactly one line holding one JSON object,
 * {"error": "..."} for an unknown or failed command. Commands come from a
 * handler table: the core registers status and routes, the mesh modules
 * register theirs (tunnels, peers) with control_register().
 */
#ifndef RE6ST_DAEMON_CONTROL_H
#define RE6ST_DAEMON_CONTROL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "macro.h"

struct ctx;
struct control;

/* A growable string used to build answers. */
struct jbuf {
	char *s;
	size_t len, cap;
	bool oom;           /* an append failed: the answer becomes an error */
};
void jbuf_append(struct jbuf *b, const char *fmt, ...) _printf_(2, 3);
/* Append s as a JSON string literal (quotes, escapes). NULL -> null. */
void jbuf_string(struct jbuf *b, const char *s);
/* Append "key": (with a leading comma when needed is the caller's job). */
void jbuf_key(struct jbuf *b, const char *key);

/*
 * A command handler appends exactly one JSON object to out. args is the
 * rest of the line after the command word (may be ""). Return 0, or
 * -errno: the answer is then {"error": strerror} (out is discarded).
 */
typedef int (*control_handler_fn)(struct ctx *c, const char *args, struct jbuf *out);

/*
 * Open the socket at path (a stale socket file is replaced), mode 0660,
 * and start serving from the loop. Registers "status", "routes" and
 * "help". 0 or -errno.
 */
int control_open(struct ctx *c, const char *path, struct control **ret);
void control_close(struct control *ctl);

/*
 * Add (or replace) a command. name: [a-z-]+, at most 31 chars; help is a
 * one-line description shown by "help". 0, -EINVAL, -ENOMEM.
 */
int control_register(struct control *ctl, const char *name, const char *help,
		     control_handler_fn fn);

/*
 * Add (or replace) a section of "status": the answer gets "name": followed
 * by the one JSON object fn appends (args ""), after the core's fields. The
 * mesh modules show their parameters this way. 0, -EINVAL, -ENOMEM.
 */
int control_register_status(struct control *ctl, const char *name, control_handler_fn fn);

/* Run a command line as if received on the socket (tests). *ret malloc'ed. */
int control_execute(struct control *ctl, const char *line, char **ret);

#endif
