/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fou.h - FOU/GUE receive ports (generic netlink family "fou", resolved
 * once per nl_sock). A port decapsulates UDP packets arriving on it and
 * hands the inner packet to ipproto (47 = GRE) or, for GUE, to the protocol
 * the GUE header names.
 *
 * Errors common to every function: -EOPNOTSUPP (no fou module; message in
 * nl_last_error()), -ENOMEM, socket errors.
 */
#ifndef RE6ST_NETLINK_FOU_H
#define RE6ST_NETLINK_FOU_H

#include "nl.h"

enum nl_fou_type {
	NL_FOU_DIRECT = 1, /* FOU_ENCAP_DIRECT */
	NL_FOU_GUE = 2,    /* FOU_ENCAP_GUE */
};

struct nl_fou_port {
	int family;      /* AF_INET or AF_INET6 */
	uint16_t port;   /* host byte order */
	uint8_t ipproto; /* for NL_FOU_DIRECT; 47 = GRE. Ignored for GUE */
	enum nl_fou_type type;
};

/* Listen on a port. Errors: -EADDRINUSE if that family/port is in use. */
int nl_fou_add(struct nl_sock *s, const struct nl_fou_port *p);

/* Stop listening. Errors: -EINVAL if there is no such port (the kernel
 * does not distinguish). */
int nl_fou_delete(struct nl_sock *s, const struct nl_fou_port *p);

/* List every port of the namespace into a malloc'ed array (free() it). */
int nl_fou_list(struct nl_sock *s, struct nl_fou_port **ret_ports, size_t *ret_n);

#endif
