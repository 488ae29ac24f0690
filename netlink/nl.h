/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * nl.h - the netlink handle shared by every object family of netlink/.
 *
 * A struct nl_sock carries one rtnetlink socket and one generic-netlink
 * socket whose family ids ("wireguard", "fou") are resolved on first use
 * and cached. Every request carries NLM_F_ACK and a fresh
 * sequence number; replies with another sequence number are ignored. All
 * functions of netlink/ return 0 or -errno; when the kernel attached an
 * extended-ACK message to an error, nl_last_error() returns it.
 *
 * A handle is bound to the network namespace it was opened in and is not
 * thread-safe (use one per thread). It is blocking: requests are
 * synchronous. Link events use a separate socket, see link.h.
 */
#ifndef RE6ST_NETLINK_NL_H
#define RE6ST_NETLINK_NL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "macro.h"

struct nl_sock;

/* An IPv4 or IPv6 address; which one is given by a separate family field. */
union nl_addr {
	struct in_addr in;
	struct in6_addr in6;
};

/* An IPv4 or IPv6 socket address (family in sa.sa_family, AF_UNSPEC = none). */
union nl_sockaddr {
	struct sockaddr sa;
	struct sockaddr_in in;
	struct sockaddr_in6 in6;
};

/* An address with a prefix length: family AF_INET or AF_INET6. */
struct nl_prefix {
	int family;
	union nl_addr addr;
	uint8_t len;
};

/*
 * Open a handle in the caller's network namespace (both sockets are
 * created now, with extended ACKs enabled where the kernel has them).
 * Errors: -ENOMEM, or the errno of socket()/bind().
 */
int nl_sock_open(struct nl_sock **ret);
void nl_sock_free(struct nl_sock *s);
DEFINE_FREEP(struct nl_sock, nl_sock_free)

/*
 * The extended-ACK message the kernel attached to the last failed request
 * on this handle (e.g. "Unknown device type"), or a message set by the
 * library (e.g. "generic netlink family wireguard not available"), or ""
 * when there is none. Valid until the next request on the handle. Reset at
 * the start of every request.
 */
const char *nl_last_error(const struct nl_sock *s);

/*
 * Parse "2001:db8::1/64", "10.0.0.1/24", or an address without "/len"
 * (full length). Errors: -EINVAL on anything else.
 */
int nl_prefix_from_string(const char *s, struct nl_prefix *ret);
/* Format as "addr/len" into buf (INET6_ADDRSTRLEN + 4 bytes is enough). */
const char *nl_prefix_to_string(const struct nl_prefix *p, char *buf, size_t size);
/* Parse "1.2.3.4:51820" or "[2001:db8::1]:51820". Errors: -EINVAL. */
int nl_sockaddr_from_string(const char *s, union nl_sockaddr *ret);

#endif
