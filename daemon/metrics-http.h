/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * metrics-http.h - GET /metrics over HTTP (re6stnet --metrics), served by
 * libmicrohttpd driven from the daemon's loop: no thread of its own. Its
 * epoll descriptor is one of the loop's sources and a loop timer follows
 * its timeout. Anything but GET or HEAD /metrics is answered 404 or 405;
 * at most 8 connections, each closed after 10 s idle.
 */
#ifndef RE6ST_DAEMON_METRICS_HTTP_H
#define RE6ST_DAEMON_METRICS_HTTP_H

#include <sys/socket.h>

#include "macro.h"

struct loop;
struct metrics;
struct metrics_http;

/* Listen on addr. 0, or -EADDRINUSE / -EADDRNOTAVAIL / -EIO (MHD refused) / -ENOMEM. */
int metrics_http_open(struct loop *l, struct metrics *m, const struct sockaddr_storage *addr,
		      struct metrics_http **ret);
/* NULL-safe. Open connections are closed. */
void metrics_http_close(struct metrics_http *h);
DEFINE_FREEP(struct metrics_http, metrics_http_close)

#endif
