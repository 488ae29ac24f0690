/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * node.h - re6stctl's node commands that do more than print one answer:
 * ping (echo requests sent by re6stctl itself, the route from the daemon)
 * and monitor (the daemon's event stream). The control socket's protocol
 * is in docs/daemon.md.
 */
#ifndef RE6ST_CTL_NODE_H
#define RE6ST_CTL_NODE_H

#include <stdbool.h>
#include <stddef.h>

#define CTL_TIMEOUT_MS 10000

/* re6stctl.c: connect to the control socket and send line (a newline is
 * added); *ret_fd is then read by the caller. 0 or -errno. */
int ctl_connect(const char *path, const char *line, int *ret_fd);
/* One request, its one-line answer (malloc'ed, NUL-terminated, without
 * the newline). 0, -errno, -ETIMEDOUT, -ECONNRESET, -EFBIG. */
int ctl_query(const char *path, const char *line, char **ret, size_t *ret_len);
/* Print why the socket cannot be used; returns 1 (the exit status). */
int ctl_socket_error(const char *path, int r);

/* argv[0] is the command word; the exit status is returned
 * (0 success, 1 failure / no reply, 2 bad arguments). */
int ctl_ping(const char *socket, bool json, int argc, char *argv[]);
int ctl_monitor(const char *socket, bool json, int argc, char *argv[]);

#endif
