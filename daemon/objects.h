/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * objects.h - kernel objects the daemon creates, journaled in the state db.
 *
 * Every link, address and route re6stnet makes goes through these calls:
 * the object is written to the journal (state.h) before it is created and
 * removed from it after it is deleted. So whatever a kill -9 leaves behind
 * is listed, and objects_cleanup() at the next start (and at exit, for
 * anything a module forgot) deletes it.
 *
 * Errors: those of netlink/ (-EEXIST, -ENODEV, ...) and state.h (-EIO).
 */
#ifndef RE6ST_DAEMON_OBJECTS_H
#define RE6ST_DAEMON_OBJECTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ctx;
struct nl_prefix;
struct nl_route;

/* Create a link of kind (nl_link_create()) and journal it. */
int obj_link_create(struct ctx *c, const char *name, const char *kind, uint32_t mtu,
		    int *ret_ifindex);
/* Create a GRE link (netlink/gre.h) and journal it with its kind. */
struct nl_gre_config;
int obj_gre_create(struct ctx *c, const char *name, const struct nl_gre_config *cfg,
		   int *ret_ifindex);
/* Delete it (absent is fine) and forget it. */
int obj_link_delete(struct ctx *c, const char *name);

/* Add an address to ifname and journal it (-EEXIST: already there, journaled). */
int obj_addr_add(struct ctx *c, const char *ifname, const struct nl_prefix *p, unsigned flags);
int obj_addr_delete(struct ctx *c, const char *ifname, const struct nl_prefix *p);

/* Add a route (ifname: its interface or NULL) and journal it. */
int obj_route_add(struct ctx *c, const struct nl_route *r, const char *ifname);
int obj_route_delete(struct ctx *c, const struct nl_route *r, const char *ifname);

/*
 * A FOU receive port for GRE (netlink/fou.h, ipproto 47), journaled.
 * -EADDRINUSE if the port is taken (by anything: the caller decides).
 * Deleting an absent port is fine.
 */
int obj_fou_add(struct ctx *c, int family, uint16_t port);
int obj_fou_delete(struct ctx *c, int family, uint16_t port);

/* Mark a traffic-control drain on ifname (netlink/tc.h) as ours / gone. */
int obj_tc_journal(struct ctx *c, const char *ifname, bool present);

/*
 * Delete every journaled object (routes, then addresses, then tc, then
 * FOU ports, then links) and empty the journal. Objects already gone are fine. Returns how
 * many were removed, or -errno reading the journal.
 */
int objects_cleanup(struct ctx *c);

/* Route <-> journal text ("unreachable 2001:db8::/48 from ::/0 table 0 metric 0"). */
int obj_route_to_string(const struct nl_route *r, char *buf, size_t len);
int obj_route_from_string(const char *s, struct nl_route *ret);

#endif
