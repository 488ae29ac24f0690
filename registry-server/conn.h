/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * conn.h - re6st-registry's HTTP connections and the deadline of their
 * requests.
 *
 * libmicrohttpd's own timeout restarts on every byte, so a client sending
 * its headers a byte a second holds a connection for ever.  Here every
 * connection gets `deadline` seconds to deliver each whole request
 * (request line, headers and body), counted from its opening or from the
 * end of its previous request; a sweeper thread shuts down (shutdown(2),
 * libmicrohttpd then closes it) every connection past its deadline that
 * is not being answered.  An idle keep-alive connection counts as a slow
 * request.
 *
 * The raw request URI (for signature checks) is kept per connection
 * rather than per request: libmicrohttpd gives it before it knows whether
 * the request will reach the handler, and frees per-request contexts only
 * for requests that did, so it is freed with the connection or the next
 * request instead.
 *
 * The table also limits the connections from one address (IPv4, or IPv6
 * address; a v4-mapped address counts as IPv4), except from the exempt
 * addresses (--authorized-origin: the operator, a reverse proxy).
 */
#ifndef RE6ST_REGISTRY_CONN_H
#define RE6ST_REGISTRY_CONN_H

#include <microhttpd.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

struct conn_table;
struct conn;

/*
 * deadline in seconds (>= 1), max_per_address >= 1, exempt: address
 * literals (copied).  Starts the sweeper.  0 or -errno (-EINVAL: a bad
 * exempt address).
 */
int conn_table_new(unsigned deadline, unsigned max_per_address, const char *const *exempt,
		   size_t n_exempt, struct conn_table **ret);
/* Stops the sweeper; call after MHD_stop_daemon(). NULL is a no-op. */
void conn_table_free(struct conn_table *t);

/* MHD_OPTION_NOTIFY_CONNECTION and the accept policy callback, cls: the table. */
enum MHD_Result conn_accept(void *cls, const struct sockaddr *addr, socklen_t addrlen);
void conn_notify(void *cls, struct MHD_Connection *c, void **socket_context,
		 enum MHD_ConnectionNotificationCode code);

/* The connection's state (NULL when out of memory at its start). */
struct conn *conn_of(struct MHD_Connection *c);
/* Keep a copy of the raw URI of the request being received; false: no memory. */
bool conn_set_uri(struct conn *k, const char *uri);
/*
 * Answer with a fixed response (a complete HTTP/1.1 message with
 * "Connection: close") written straight to the socket, then shut it down.
 * Only for a request libmicrohttpd cannot answer itself: one whose
 * arguments fill its memory pool before any handler runs (it then drops
 * the connection without a word).  Call from the URI callback.
 */
void conn_refuse(struct conn_table *t, struct conn *k, const char *response);
/* Take the URI (malloc'ed, or NULL). */
char *conn_take_uri(struct conn *k);
/* The request is received: no deadline while it is answered. */
void conn_request_received(struct conn_table *t, struct conn *k);
/* The request is over: the next one's deadline starts now. */
void conn_request_done(struct conn_table *t, struct conn *k);

/*
 * Shut every connection down and wait up to timeout_ms for libmicrohttpd to
 * close them: libmicrohttpd 0.9.75's MHD_stop_daemon() crashed on a
 * connection it was still dropping (a request whose arguments filled its
 * pool).  Call after MHD_quiesce_daemon().
 */
void conn_drain(struct conn_table *t, unsigned timeout_ms);

/* Connections shut down for their deadline so far. */
unsigned long conn_expired_count(struct conn_table *t);

#endif
