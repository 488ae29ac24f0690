/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "nl-internal.h"

#include <arpa/inet.h>
#include <linux/if_link.h>
#include <linux/if_tunnel.h>
#include <linux/rtnetlink.h>


static const char *gre_kind(int family)
{
	return family == AF_INET ? "gre" : family == AF_INET6 ? "ip6gre" : NULL;
}

int nl_gre_build(void *buf, size_t size, const char *name, int ifindex,
		 const struct nl_gre_config *cfg, struct nlmsghdr **ret)
{
	const char *kind = gre_kind(cfg->family);
	if (!kind || cfg->encap > NL_GRE_ENCAP_GUE || (!name && ifindex <= 0))
		return -EINVAL;
	if (name && (!name[0] || strlen(name) >= IF_NAMESIZE))
		return -EINVAL;
	if (size < 256)
		return -EMSGSIZE;
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_NEWLINK;
	nlh->nlmsg_flags = NLM_F_REQUEST | (name ? NLM_F_CREATE | NLM_F_EXCL : 0);
	struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = name ? 0 : ifindex;

	size_t alen = cfg->family == AF_INET ? sizeof(struct in_addr) : sizeof(struct in6_addr);
	bool ok = true;
	if (name)
		ok = ok && mnl_attr_put_strz_check(nlh, size, IFLA_IFNAME, name);
	if (name && cfg->mtu)
		ok = ok && mnl_attr_put_u32_check(nlh, size, IFLA_MTU, cfg->mtu);
	struct nlattr *li = ok ? mnl_attr_nest_start_check(nlh, size, IFLA_LINKINFO) : NULL;
	ok = ok && li && mnl_attr_put_str_check(nlh, size, IFLA_INFO_KIND, kind);
	struct nlattr *data = ok ? mnl_attr_nest_start_check(nlh, size, IFLA_INFO_DATA) : NULL;
	ok = ok && data;
	ok = ok && mnl_attr_put_check(nlh, size, IFLA_GRE_LOCAL, alen, &cfg->local);
	ok = ok && mnl_attr_put_check(nlh, size, IFLA_GRE_REMOTE, alen, &cfg->remote);
	ok = ok && mnl_attr_put_u8_check(nlh, size, IFLA_GRE_TTL, cfg->ttl);
	if (cfg->link > 0)
		ok = ok && mnl_attr_put_u32_check(nlh, size, IFLA_GRE_LINK, (uint32_t)cfg->link);
	/* GRE flags and keys are in network byte order on the wire. */
	ok = ok && mnl_attr_put_u16_check(nlh, size, IFLA_GRE_IFLAGS, cfg->has_ikey ? GRE_KEY : 0);
	ok = ok && mnl_attr_put_u16_check(nlh, size, IFLA_GRE_OFLAGS, cfg->has_okey ? GRE_KEY : 0);
	ok = ok && mnl_attr_put_u32_check(nlh, size, IFLA_GRE_IKEY,
					  cfg->has_ikey ? htonl(cfg->ikey) : 0);
	ok = ok && mnl_attr_put_u32_check(nlh, size, IFLA_GRE_OKEY,
					  cfg->has_okey ? htonl(cfg->okey) : 0);
	uint16_t etype = cfg->encap == NL_GRE_ENCAP_FOU   ? TUNNEL_ENCAP_FOU
			 : cfg->encap == NL_GRE_ENCAP_GUE ? TUNNEL_ENCAP_GUE
							  : TUNNEL_ENCAP_NONE;
	uint16_t eflags = 0;
	if (cfg->encap != NL_GRE_ENCAP_NONE && cfg->encap_csum)
		eflags = cfg->family == AF_INET ? TUNNEL_ENCAP_FLAG_CSUM : TUNNEL_ENCAP_FLAG_CSUM6;
	ok = ok && mnl_attr_put_u16_check(nlh, size, IFLA_GRE_ENCAP_TYPE, etype);
	ok = ok && mnl_attr_put_u16_check(nlh, size, IFLA_GRE_ENCAP_FLAGS, eflags);
	/* Ports are big-endian; sport 0 lets the kernel pick one per flow. */
	ok = ok && mnl_attr_put_u16_check(nlh, size, IFLA_GRE_ENCAP_SPORT,
					  cfg->encap ? htons(cfg->encap_sport) : 0);
	ok = ok && mnl_attr_put_u16_check(nlh, size, IFLA_GRE_ENCAP_DPORT,
					  cfg->encap ? htons(cfg->encap_dport) : 0);
	if (!ok)
		return -EMSGSIZE;
	mnl_attr_nest_end(nlh, data);
	mnl_attr_nest_end(nlh, li);
	*ret = nlh;
	return 0;
}

static const struct nl_policy link_policy[IFLA_MAX + 1] = {
	[IFLA_MTU] = { MNL_TYPE_U32, 0 },
	[IFLA_LINKINFO] = { MNL_TYPE_NESTED, 0 },
};
static const struct nl_policy linkinfo_policy[IFLA_INFO_MAX + 1] = {
	[IFLA_INFO_KIND] = { MNL_TYPE_STRING, 0 },
	[IFLA_INFO_DATA] = { MNL_TYPE_NESTED, 0 },
};
static const struct nl_policy gre_policy[IFLA_GRE_MAX + 1] = {
	[IFLA_GRE_LINK] = { MNL_TYPE_U32, 0 },
	[IFLA_GRE_IFLAGS] = { MNL_TYPE_U16, 0 },
	[IFLA_GRE_OFLAGS] = { MNL_TYPE_U16, 0 },
	[IFLA_GRE_IKEY] = { MNL_TYPE_U32, 0 },
	[IFLA_GRE_OKEY] = { MNL_TYPE_U32, 0 },
	[IFLA_GRE_LOCAL] = { MNL_TYPE_BINARY, 0 },
	[IFLA_GRE_REMOTE] = { MNL_TYPE_BINARY, 0 },
	[IFLA_GRE_TTL] = { MNL_TYPE_U8, 0 },
	[IFLA_GRE_ENCAP_TYPE] = { MNL_TYPE_U16, 0 },
	[IFLA_GRE_ENCAP_FLAGS] = { MNL_TYPE_U16, 0 },
	[IFLA_GRE_ENCAP_SPORT] = { MNL_TYPE_U16, 0 },
	[IFLA_GRE_ENCAP_DPORT] = { MNL_TYPE_U16, 0 },
};

static int get_addr(const struct nlattr *a, size_t alen, union nl_addr *ret)
{
	if (!a)
		return 0;
	if (mnl_attr_get_payload_len(a) != alen)
		return -EBADMSG;
	memcpy(ret, mnl_attr_get_payload(a), alen);
	return 0;
}

int nl_gre_parse(const struct nlmsghdr *nlh, struct nl_gre_config *ret)
{
	if (nlh->nlmsg_type != RTM_NEWLINK)
		return -EBADMSG;
	const struct nlattr *tb[IFLA_MAX + 1] = {};
	int r = nl_parse_msg(nlh, sizeof(struct ifinfomsg), link_policy, IFLA_MAX, tb);
	if (r < 0)
		return r;
	if (!tb[IFLA_LINKINFO])
		return -EMEDIUMTYPE;
	const struct nlattr *li[IFLA_INFO_MAX + 1] = {};
	r = nl_parse_nested(tb[IFLA_LINKINFO], linkinfo_policy, IFLA_INFO_MAX, li);
	if (r < 0)
		return r;
	if (!li[IFLA_INFO_KIND])
		return -EMEDIUMTYPE;
	char kind[NL_KIND_MAX] = "";
	size_t klen = strnlen(mnl_attr_get_payload(li[IFLA_INFO_KIND]),
			      mnl_attr_get_payload_len(li[IFLA_INFO_KIND]));
	if (klen >= sizeof(kind))
		return -EMEDIUMTYPE;
	memcpy(kind, mnl_attr_get_payload(li[IFLA_INFO_KIND]), klen);

	struct nl_gre_config c = {};
	if (strcmp(kind, "gre") == 0)
		c.family = AF_INET;
	else if (strcmp(kind, "ip6gre") == 0)
		c.family = AF_INET6;
	else
		return -EMEDIUMTYPE;
	if (tb[IFLA_MTU])
		c.mtu = mnl_attr_get_u32(tb[IFLA_MTU]);
	if (!li[IFLA_INFO_DATA])
		return -EBADMSG;
	const struct nlattr *g[IFLA_GRE_MAX + 1] = {};
	r = nl_parse_nested(li[IFLA_INFO_DATA], gre_policy, IFLA_GRE_MAX, g);
	if (r < 0)
		return r;
	size_t alen = c.family == AF_INET ? sizeof(struct in_addr) : sizeof(struct in6_addr);
	r = get_addr(g[IFLA_GRE_LOCAL], alen, &c.local);
	if (r == 0)
		r = get_addr(g[IFLA_GRE_REMOTE], alen, &c.remote);
	if (r < 0)
		return r;
	if (g[IFLA_GRE_TTL])
		c.ttl = mnl_attr_get_u8(g[IFLA_GRE_TTL]);
	if (g[IFLA_GRE_LINK])
		c.link = (int)mnl_attr_get_u32(g[IFLA_GRE_LINK]);
	if (g[IFLA_GRE_IFLAGS] && (mnl_attr_get_u16(g[IFLA_GRE_IFLAGS]) & GRE_KEY)) {
		c.has_ikey = true;
		c.ikey = g[IFLA_GRE_IKEY] ? ntohl(mnl_attr_get_u32(g[IFLA_GRE_IKEY])) : 0;
	}
	if (g[IFLA_GRE_OFLAGS] && (mnl_attr_get_u16(g[IFLA_GRE_OFLAGS]) & GRE_KEY)) {
		c.has_okey = true;
		c.okey = g[IFLA_GRE_OKEY] ? ntohl(mnl_attr_get_u32(g[IFLA_GRE_OKEY])) : 0;
	}
	uint16_t etype = g[IFLA_GRE_ENCAP_TYPE] ? mnl_attr_get_u16(g[IFLA_GRE_ENCAP_TYPE]) : 0;
	if (etype == TUNNEL_ENCAP_FOU)
		c.encap = NL_GRE_ENCAP_FOU;
	else if (etype == TUNNEL_ENCAP_GUE)
		c.encap = NL_GRE_ENCAP_GUE;
	else if (etype != TUNNEL_ENCAP_NONE)
		return -EMEDIUMTYPE;
	if (c.encap) {
		uint16_t f = g[IFLA_GRE_ENCAP_FLAGS] ? mnl_attr_get_u16(g[IFLA_GRE_ENCAP_FLAGS]) : 0;
		c.encap_csum = f & (TUNNEL_ENCAP_FLAG_CSUM | TUNNEL_ENCAP_FLAG_CSUM6);
		if (g[IFLA_GRE_ENCAP_SPORT])
			c.encap_sport = ntohs(mnl_attr_get_u16(g[IFLA_GRE_ENCAP_SPORT]));
		if (g[IFLA_GRE_ENCAP_DPORT])
			c.encap_dport = ntohs(mnl_attr_get_u16(g[IFLA_GRE_ENCAP_DPORT]));
	}
	*ret = c;
	return 0;
}

int nl_gre_create(struct nl_sock *s, const char *name, const struct nl_gre_config *cfg,
		  int *ret_ifindex)
{
	uint8_t buf[NL_MSG_SIZE];
	struct nlmsghdr *nlh;
	int r = nl_gre_build(buf, sizeof(buf), name, 0, cfg, &nlh);
	if (r < 0)
		return r;
	r = nl_request(s, NL_PROTO_ROUTE, nlh, NULL, NULL);
	if (r < 0)
		return r;
	return ret_ifindex ? nl_link_ifindex(s, name, ret_ifindex) : 0;
}

int nl_gre_change(struct nl_sock *s, int ifindex, const struct nl_gre_config *cfg)
{
	if (ifindex <= 0)
		return -ENODEV;
	uint8_t buf[NL_MSG_SIZE];
	struct nlmsghdr *nlh;
	int r = nl_gre_build(buf, sizeof(buf), NULL, ifindex, cfg, &nlh);
	if (r < 0)
		return r;
	return nl_request(s, NL_PROTO_ROUTE, nlh, NULL, NULL);
}

static int get_cb(const struct nlmsghdr *nlh, void *data)
{
	return nl_gre_parse(nlh, data);
}

int nl_gre_get(struct nl_sock *s, int ifindex, struct nl_gre_config *ret)
{
	uint8_t buf[256];
	struct nlmsghdr *nlh;
	if (ifindex <= 0)
		return -ENODEV;
	int r = nl_link_build_get(buf, sizeof(buf), ifindex, NULL, &nlh);
	if (r < 0)
		return r;
	struct nl_gre_config c = {};
	r = nl_request(s, NL_PROTO_ROUTE, nlh, get_cb, &c);
	if (r < 0)
		return r;
	if (c.family == 0)
		return -ENODEV;
	*ret = c;
	return 0;
}
