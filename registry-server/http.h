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

struct http_server;

/*
 * Start a server bound to addr (IPv4 or IPv6 literal) on port, with the
 * connection limits of reg->opt (--max-connections, --max-per-address,
 * --timeout, --request-deadline, --connection-memory).
 * -EINVAL bad address, -EADDRINUSE when it cannot listen, -ENOMEM.
 */
int http_start(struct registry *reg, const char *addr, unsigned port, struct http_server **ret);
/* Stop and free; NULL is a no-op. */
void http_stop(struct http_server *h);

#endif
