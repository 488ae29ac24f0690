/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * babel-iface.h - the interfaces re6stnet declared to babeld at run time
 * (the tunnels), each with the line that declares it ("interface NAME
 * TUNNEL-OPTIONS[ EXTRA]"): babel.c sends them again to a restarted or
 * reconnected babeld, and rebuilds them when the tunnel options change.
 * Pure (no I/O), unit-tested by test/daemon/test-babel-iface.c.
 */
#ifndef RE6ST_DAEMON_BABEL_IFACE_H
#define RE6ST_DAEMON_BABEL_IFACE_H

#include <stdbool.h>

#include "babel-parse.h"
#include "babel-vec.h"

struct babel_iface {
	char name[BABEL_IFNAME_LEN];
	char *extra; /* the caller's options, or NULL */
	char *line;  /* the whole "interface ..." command */
};

DEFINE_VEC(babel_iface_vec, struct babel_iface);

/* A name babeld can take on a command line: 1-15 bytes, no blank, '/' or
 * control character. */
bool babel_ifname_valid(const char *name);
/* Declare name with the tunnel options opts and the caller's extra (or
 * NULL), replacing an earlier declaration of it; *ret_line is the line to
 * send (owned by v). -EINVAL for a bad name or an extra with a line
 * break, -ENOMEM (v unchanged). */
int babel_ifaces_set(struct babel_iface_vec *v, const char *opts, const char *name,
		     const char *extra, const char **ret_line);
/* Forget name: 0, or -ENOENT if it was not declared. */
int babel_ifaces_forget(struct babel_iface_vec *v, const char *name);
bool babel_ifaces_has(const struct babel_iface_vec *v, const char *name);
/* Every line again with the tunnel options opts: all of them, or none
 * (-ENOMEM). */
int babel_ifaces_reline(struct babel_iface_vec *v, const char *opts);
void babel_ifaces_free(struct babel_iface_vec *v);

#endif
