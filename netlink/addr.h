/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * addr.h - IPv4/IPv6 addresses of an interface (RTM_*ADDR).
 *
 * Errors common to every function: -ENODEV (no such interface), the
 * kernel's -errno with nl_last_error(), -ENOMEM, socket errors.
 */
#ifndef RE6ST_NETLINK_ADDR_H
#define RE6ST_NETLINK_ADDR_H

#include "nl.h"

enum {
	NL_ADDR_NODAD = 1 << 0,         /* IFA_F_NODAD: usable at once (IPv6) */
	NL_ADDR_NOPREFIXROUTE = 1 << 1, /* IFA_F_NOPREFIXROUTE: no route for the prefix */
};

struct nl_addr_entry {
	int ifindex;
	struct nl_prefix prefix;
	uint8_t scope;  /* RT_SCOPE_* */
	uint32_t flags; /* IFA_F_* as reported by the kernel */
};

/* Add prefix->addr/prefix->len to the interface. Errors: -EEXIST if present. */
int nl_addr_add(struct nl_sock *s, int ifindex, const struct nl_prefix *prefix, unsigned flags);

/* Remove it. Errors: -EADDRNOTAVAIL if absent. */
int nl_addr_delete(struct nl_sock *s, int ifindex, const struct nl_prefix *prefix);

/*
 * List addresses of one interface (ifindex > 0) or all (0), of one family
 * or both (AF_UNSPEC), into a malloc'ed array (free() it).
 */
int nl_addr_list(struct nl_sock *s, int ifindex, int family, struct nl_addr_entry **ret,
		 size_t *ret_n);

/*
 * Remove every address of the family (AF_UNSPEC: both) from the interface,
 * IPv6 link-local ones included. 0 if there was none.
 */
int nl_addr_flush(struct nl_sock *s, int ifindex, int family);

#endif
