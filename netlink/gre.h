/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * gre.h - GRE tunnels: "gre" over IPv4 and "ip6gre" over IPv6, optionally
 * encapsulated in FOU or GUE (UDP). Both are layer-3 tunnels (not
 * gretap/ip6gretap).
 *
 * For the receiving side of FOU/GUE, a FOU port must also be listening
 * (fou.h). Errors common to every function: as for nl_link_create().
 */
#ifndef RE6ST_NETLINK_GRE_H
#define RE6ST_NETLINK_GRE_H

#include "nl.h"

enum nl_gre_encap {
	NL_GRE_ENCAP_NONE,
	NL_GRE_ENCAP_FOU,
	NL_GRE_ENCAP_GUE,
};

struct nl_gre_config {
	int family;          /* AF_INET: kind "gre"; AF_INET6: kind "ip6gre" */
	union nl_addr local; /* any (all zero) = unspecified */
	union nl_addr remote;
	uint8_t ttl;         /* TTL / hop limit; 0 = inherit from the inner packet */
	bool has_ikey, has_okey;
	uint32_t ikey, okey; /* host byte order */
	int link;            /* underlying ifindex, 0 = none */
	uint32_t mtu;        /* 0 = kernel default (create only) */
	enum nl_gre_encap encap;
	uint16_t encap_sport; /* 0 = automatic (flow hash), host byte order */
	uint16_t encap_dport;
	bool encap_csum;     /* UDP checksum (TUNNEL_ENCAP_FLAG_CSUM/CSUM6) */
};

/*
 * Create a GRE link named name from cfg. The link is created down.
 * Errors: -EEXIST (name taken, or a tunnel with the same local/remote/keys
 * exists), -EOPNOTSUPP (no ip_gre/ip6_gre module), -EINVAL (bad family or
 * values).
 */
int nl_gre_create(struct nl_sock *s, const char *name, const struct nl_gre_config *cfg,
		  int *ret_ifindex);

/*
 * Reprogram an existing GRE link in place (e.g. a new remote) with every
 * field of cfg except mtu; the family must match the link's kind.
 * Errors: -ENODEV, -EEXIST (another tunnel already has these parameters),
 * -EINVAL.
 */
int nl_gre_change(struct nl_sock *s, int ifindex, const struct nl_gre_config *cfg);

/* Read a GRE link's parameters back (mtu included). Errors: -ENODEV,
 * -EMEDIUMTYPE if the link is not gre/ip6gre. */
int nl_gre_get(struct nl_sock *s, int ifindex, struct nl_gre_config *ret);

#endif
