/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * link.h - network interfaces (rtnetlink RTM_*LINK): create, delete,
 * up/down, MTU, lookup, dump; their counters (RTM_GETSTATS); and link
 * events on a separate socket.
 *
 * Errors common to every request: the kernel's -errno (nl_last_error()
 * has its message), -ENOBUFS/-EIO on socket trouble, -ENOMEM.
 */
#ifndef RE6ST_NETLINK_LINK_H
#define RE6ST_NETLINK_LINK_H

#include <net/if.h>

#include "nl.h"

#define NL_KIND_MAX 32

struct nl_link_info {
	int ifindex;
	char name[IF_NAMESIZE];
	char kind[NL_KIND_MAX]; /* IFLA_INFO_KIND, "" for a link without one */
	unsigned flags;         /* IFF_* of <net/if.h> */
	uint32_t mtu;
};

/*
 * Create a link of the given kind ("dummy", "wireguard", ...) with no
 * kind-specific data. mtu 0 leaves the kernel's default. On success the new
 * ifindex is stored in ret_ifindex if not NULL. The link is created down.
 * Errors: -EEXIST if the name is taken, -EOPNOTSUPP if the kernel has no
 * such kind (module missing), -EINVAL for a bad name.
 */
int nl_link_create(struct nl_sock *s, const char *name, const char *kind, uint32_t mtu,
		   int *ret_ifindex);

/*
 * Create a veth pair name <-> peer. If peer_netns_fd >= 0 the peer end is
 * created in that network namespace (an fd of /run/netns/X or
 * /proc/PID/ns/net). Errors as nl_link_create().
 */
int nl_link_create_veth(struct nl_sock *s, const char *name, const char *peer,
			int peer_netns_fd, int *ret_ifindex);

/* Delete a link. Errors: -ENODEV if there is no such link. */
int nl_link_delete(struct nl_sock *s, int ifindex);

/* Set the link administratively up or down. Errors: -ENODEV. */
int nl_link_set_up(struct nl_sock *s, int ifindex, bool up);

/* Set the MTU. Errors: -ENODEV, -EINVAL if out of the link's range. */
int nl_link_set_mtu(struct nl_sock *s, int ifindex, uint32_t mtu);

/*
 * Make the kernel give the link no IPv6 address of its own (address
 * generation mode "none"; e.g. GRE links would otherwise get a link-local
 * address derived from their IPv4 local address, the same on every GRE
 * link of a node). Set it before the link goes up. Errors: -ENODEV,
 * -EAFNOSUPPORT (IPv6 disabled).
 */
int nl_link_set_ipv6_addrgen_none(struct nl_sock *s, int ifindex);

/* Move the link into another network namespace. Errors: -ENODEV, -EINVAL. */
int nl_link_set_netns(struct nl_sock *s, int ifindex, int netns_fd);

/* Look up a link by name. Errors: -ENODEV if none, -EINVAL bad name. */
int nl_link_ifindex(struct nl_sock *s, const char *name, int *ret_ifindex);

/* Read one link. Errors: -ENODEV. */
int nl_link_get(struct nl_sock *s, int ifindex, struct nl_link_info *ret);

/*
 * Dump every link of the namespace into a malloc'ed array (free() it).
 * An interrupted dump (NLM_F_DUMP_INTR) is retried a few times, then fails
 * with -EAGAIN.
 */
int nl_link_dump(struct nl_sock *s, struct nl_link_info **ret_links, size_t *ret_n);

/* ---- counters (RTM_GETSTATS) ---- */

/* A link's 64-bit counters, as the kernel counts them on the link itself
 * (for WireGuard and GRE: the inner packets). */
struct nl_link_stats {
	int ifindex;
	uint64_t rx_packets, tx_packets;
	uint64_t rx_bytes, tx_bytes;
	uint64_t tx_errors, tx_dropped; /* e.g. a packet a local firewall refused */
};

/*
 * The counters of the links ifindex[0..n) (each > 0) into out[0..n): one
 * RTM_GETSTATS request a link (IFLA_STATS_LINK_64 only: some 200 bytes),
 * up to 32 of them sent together and their answers read together, so the
 * cost follows n, not the namespace's other links. out[i].ifindex is 0 for
 * a link that is gone (nl_last_error() tells why). -EINVAL for an ifindex
 * <= 0; -ENOBUFS if answers were lost (try again later).
 */
int nl_link_stats_get(struct nl_sock *s, const int *ifindex, size_t n, struct nl_link_stats *out);

/* ---- link events (RTNLGRP_LINK), for a poll loop ---- */

enum nl_link_event_type {
	NL_LINK_EVENT_NEW, /* link appeared or changed (flags, mtu, name...) */
	NL_LINK_EVENT_DEL, /* link disappeared */
};

struct nl_link_event {
	enum nl_link_event_type type;
	struct nl_link_info link;
};

typedef void (*nl_link_event_fn)(const struct nl_link_event *ev, void *userdata);

struct nl_link_monitor;

/* Open a non-blocking socket subscribed to link events. */
int nl_link_monitor_open(struct nl_link_monitor **ret);
void nl_link_monitor_free(struct nl_link_monitor *m);
DEFINE_FREEP(struct nl_link_monitor, nl_link_monitor_free)

/* The fd to poll for POLLIN. Owned by the monitor. */
int nl_link_monitor_fd(const struct nl_link_monitor *m);

/*
 * Read every pending event and call fn for each; returns 0 once the socket
 * is drained. Malformed messages are skipped. Errors: -ENOBUFS when the
 * kernel dropped events (receive queue overrun): the caller should
 * re-read the state it cares about with nl_link_dump(); the monitor stays
 * usable.
 */
int nl_link_monitor_process(struct nl_link_monitor *m, nl_link_event_fn fn, void *userdata);

#endif
