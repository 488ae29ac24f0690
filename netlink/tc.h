/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tc.h - traffic control for draining a tunnel before it is destroyed.
 *
 * tc_drain_add() installs on the interface:
 *   - a root "prio" qdisc, handle 1:, 3 bands, whose priomap sends every
 *     packet to band 0 (class 1:1): the default priomap would put ordinary
 *     traffic in band 1, so it is set explicitly;
 *   - a "netem" qdisc, handle 2:, delaying by delay_ms, under class 1:2
 *     (band 1);
 *   - a "u32" filter at the root, priority 1, matching IPv6 UDP packets
 *     with destination port 6696 (babel), classifying them to 1:2.
 * So only babel packets are delayed: the neighbours' babeld see the link's
 * cost rise and move routes away while the data keeps flowing undelayed.
 * The u32 match assumes no IPv6 extension header, true for babel.
 *
 * Errors common to both functions: -ENODEV, -EOPNOTSUPP (sch_prio,
 * sch_netem or cls_u32 missing; message in nl_last_error()), -ENOMEM.
 */
#ifndef RE6ST_NETLINK_TC_H
#define RE6ST_NETLINK_TC_H

#include "nl.h"

#define NL_TC_BABEL_PORT 6696

/*
 * Install (or, if already there, re-install with the new delay) the drain
 * qdiscs and filter. Any other root qdisc is replaced.
 */
int nl_tc_drain_add(struct nl_sock *s, int ifindex, uint32_t delay_ms);

/* Remove them, restoring the default qdisc. Errors: -ENOENT if absent. */
int nl_tc_drain_remove(struct nl_sock *s, int ifindex);

#endif
