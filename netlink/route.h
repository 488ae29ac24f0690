/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * route.h - IPv4/IPv6 routes (RTM_*ROUTE), including IPv6 source-specific
 * ("from") routes as used by babeld.
 *
 * Errors common to every function: -ENODEV (no such interface), -ENETUNREACH
 * (gateway not reachable), -EINVAL, the kernel's -errno with
 * nl_last_error(), -ENOMEM, socket errors.
 */
#ifndef RE6ST_NETLINK_ROUTE_H
#define RE6ST_NETLINK_ROUTE_H

#include "nl.h"

enum nl_route_type {
	NL_ROUTE_UNICAST,     /* via ifindex and/or gateway */
	NL_ROUTE_UNREACHABLE, /* RTN_UNREACHABLE: packets rejected */
};

struct nl_route {
	int family;              /* AF_INET or AF_INET6 */
	struct nl_prefix dst;    /* len 0 = default route */
	struct nl_prefix src;    /* "from" prefix (RTA_SRC), len 0 = none; IPv6 only */
	enum nl_route_type type;
	int ifindex;             /* 0 = none (unreachable, or gateway-only) */
	bool has_gateway;
	union nl_addr gateway;
	uint32_t table;          /* 0 = main (RT_TABLE_MAIN) */
	uint32_t metric;         /* RTA_PRIORITY; 0 = kernel default */
	uint8_t protocol;        /* RTPROT_*; 0 = RTPROT_STATIC */
};

/* Add a route. Errors: -EEXIST if the same route exists. */
int nl_route_add(struct nl_sock *s, const struct nl_route *r);

/* Add or replace the route with the same dst/src/table/metric. */
int nl_route_replace(struct nl_sock *s, const struct nl_route *r);

/* Delete a route matching r's dst/src/table/metric/type. Errors: -ESRCH if absent. */
int nl_route_delete(struct nl_sock *s, const struct nl_route *r);

/*
 * List the routes of a family and table (0 = main) into a malloc'ed array
 * (free() it); cached/cloned routes are not included.
 */
int nl_route_list(struct nl_sock *s, int family, uint32_t table, struct nl_route **ret,
		  size_t *ret_n);

#endif
