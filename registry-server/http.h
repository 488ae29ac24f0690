/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * http.h - re6st-registry's HTTP front end (libmicrohttpd).
 *
 * GET or POST /<rpc>?args, args also accepted as an
 * application/x-www-form-urlencoded body.  Every refusal is a 4xx with a
 * one-line text/plain explanation; see docs/registry-api.md.
 */
#ifndef RE6ST_REGISTRY_HTTP_H
#define RE6ST_REGISTRY_HTTP_H

#include "registry.h"

struct MHD_Daemon;

/*
 * Start a daemon bound to addr (IPv4 or IPv6 literal) on port.
 * -EINVAL bad address, -EADDRINUSE/-EIO when it cannot listen.
 */
int http_start(struct registry *reg, const char *addr, unsigned port, struct MHD_Daemon **ret);
void http_stop(struct MHD_Daemon *d);

#endif
