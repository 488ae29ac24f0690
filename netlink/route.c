/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "nl-internal.h"

#include <linux/rtnetlink.h>


static size_t addr_len(int family)
{
	return family == AF_INET ? sizeof(struct in_addr)
	       : family == AF_INET6 ? sizeof(struct in6_addr) : 0;
}

int nl_route_build(void *buf, size_t size, uint16_t type, uint16_t flags, const struct nl_route *r,
		   struct nlmsghdr **ret)
{
	size_t alen = addr_len(r->family);
	if (!alen || r->dst.len > alen * 8 || r->src.len > alen * 8 ||
	    (r->type != NL_ROUTE_UNICAST && r->type != NL_ROUTE_UNREACHABLE))
		return -EINVAL;
	if ((r->dst.len && r->dst.family != r->family) || (r->src.len && r->src.family != r->family))
		return -EINVAL;
	if (r->src.len && r->family != AF_INET6)
		return -EINVAL; /* source-specific routes are IPv6 only */
	if (r->type == NL_ROUTE_UNICAST && type != RTM_DELROUTE && !r->ifindex && !r->has_gateway)
		return -EINVAL;
	if (r->ifindex < 0)
		return -ENODEV;
	if (size < 256)
		return -EMSGSIZE;

	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	struct rtmsg *rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	uint32_t table = r->table ? r->table : RT_TABLE_MAIN;
	rtm->rtm_family = (uint8_t)r->family;
	rtm->rtm_dst_len = r->dst.len;
	rtm->rtm_src_len = r->src.len;
	rtm->rtm_table = table < 256 ? (uint8_t)table : RT_TABLE_UNSPEC;
	rtm->rtm_protocol = r->protocol ? r->protocol : RTPROT_STATIC;
	rtm->rtm_type = r->type == NL_ROUTE_UNREACHABLE ? RTN_UNREACHABLE : RTN_UNICAST;
	if (type == RTM_DELROUTE)
		rtm->rtm_scope = RT_SCOPE_NOWHERE; /* match any scope */
	else if (r->type == NL_ROUTE_UNICAST && !r->has_gateway)
		rtm->rtm_scope = RT_SCOPE_LINK;
	else
		rtm->rtm_scope = RT_SCOPE_UNIVERSE;

	bool ok = mnl_attr_put_u32_check(nlh, size, RTA_TABLE, table);
	if (r->dst.len)
		ok = ok && mnl_attr_put_check(nlh, size, RTA_DST, alen, &r->dst.addr);
	if (r->src.len)
		ok = ok && mnl_attr_put_check(nlh, size, RTA_SRC, alen, &r->src.addr);
	if (r->ifindex)
		ok = ok && mnl_attr_put_u32_check(nlh, size, RTA_OIF, (uint32_t)r->ifindex);
	if (r->has_gateway)
		ok = ok && mnl_attr_put_check(nlh, size, RTA_GATEWAY, alen, &r->gateway);
	if (r->metric)
		ok = ok && mnl_attr_put_u32_check(nlh, size, RTA_PRIORITY, r->metric);
	if (!ok)
		return -EMSGSIZE;
	*ret = nlh;
	return 0;
}

static const struct nl_policy route_policy[RTA_MAX + 1] = {
	[RTA_DST] = { MNL_TYPE_BINARY, 0 },
	[RTA_SRC] = { MNL_TYPE_BINARY, 0 },
	[RTA_OIF] = { MNL_TYPE_U32, 0 },
	[RTA_GATEWAY] = { MNL_TYPE_BINARY, 0 },
	[RTA_PRIORITY] = { MNL_TYPE_U32, 0 },
	[RTA_TABLE] = { MNL_TYPE_U32, 0 },
};

static int get_prefix(const struct nlattr *a, int family, uint8_t len, struct nl_prefix *ret)
{
	ret->family = family;
	ret->len = len;
	if (!a)
		return len ? -EBADMSG : 0;
	if (mnl_attr_get_payload_len(a) != addr_len(family))
		return -EBADMSG;
	memcpy(&ret->addr, mnl_attr_get_payload(a), addr_len(family));
	return 0;
}

int nl_route_parse(const struct nlmsghdr *nlh, struct nl_route *ret)
{
	if (nlh->nlmsg_type != RTM_NEWROUTE && nlh->nlmsg_type != RTM_DELROUTE)
		return -EBADMSG;
	const struct nlattr *tb[RTA_MAX + 1] = {};
	int r = nl_parse_msg(nlh, sizeof(struct rtmsg), route_policy, RTA_MAX, tb);
	if (r < 0)
		return r;
	const struct rtmsg *rtm = mnl_nlmsg_get_payload(nlh);
	size_t alen = addr_len(rtm->rtm_family);
	if (!alen || rtm->rtm_dst_len > alen * 8 || rtm->rtm_src_len > alen * 8)
		return -EBADMSG;
	struct nl_route rt = {
		.family = rtm->rtm_family,
		.table = tb[RTA_TABLE] ? mnl_attr_get_u32(tb[RTA_TABLE]) : rtm->rtm_table,
		.protocol = rtm->rtm_protocol,
	};
	if (rtm->rtm_type == RTN_UNICAST)
		rt.type = NL_ROUTE_UNICAST;
	else if (rtm->rtm_type == RTN_UNREACHABLE)
		rt.type = NL_ROUTE_UNREACHABLE;
	else
		return -EMEDIUMTYPE; /* local, broadcast, ...: not represented */
	r = get_prefix(tb[RTA_DST], rt.family, rtm->rtm_dst_len, &rt.dst);
	if (r == 0)
		r = get_prefix(tb[RTA_SRC], rt.family, rtm->rtm_src_len, &rt.src);
	if (r < 0)
		return r;
	if (tb[RTA_OIF])
		rt.ifindex = (int)mnl_attr_get_u32(tb[RTA_OIF]);
	if (tb[RTA_GATEWAY]) {
		if (mnl_attr_get_payload_len(tb[RTA_GATEWAY]) != alen)
			return -EBADMSG;
		rt.has_gateway = true;
		memcpy(&rt.gateway, mnl_attr_get_payload(tb[RTA_GATEWAY]), alen);
	}
	if (tb[RTA_PRIORITY])
		rt.metric = mnl_attr_get_u32(tb[RTA_PRIORITY]);
	*ret = rt;
	return 0;
}

static int simple(struct nl_sock *s, uint16_t type, uint16_t flags, const struct nl_route *rt)
{
	uint8_t buf[512];
	struct nlmsghdr *nlh;
	int r = nl_route_build(buf, sizeof(buf), type, flags, rt, &nlh);
	return r < 0 ? r : nl_request(s, NL_PROTO_ROUTE, nlh, NULL, NULL);
}

int nl_route_add(struct nl_sock *s, const struct nl_route *r)
{
	return simple(s, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL, r);
}

int nl_route_replace(struct nl_sock *s, const struct nl_route *r)
{
	return simple(s, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_REPLACE, r);
}

int nl_route_delete(struct nl_sock *s, const struct nl_route *r)
{
	return simple(s, RTM_DELROUTE, 0, r);
}

struct route_list {
	uint32_t table;
	struct nl_route *v;
	size_t n;
};

static int list_cb(const struct nlmsghdr *nlh, void *data)
{
	struct route_list *l = data;
	const struct rtmsg *rtm = mnl_nlmsg_get_payload(nlh);
	struct nl_route rt;
	if (nl_route_parse(nlh, &rt) < 0 || (rtm->rtm_flags & RTM_F_CLONED) || rt.table != l->table)
		return 0;
	struct nl_route *v = reallocarray(l->v, l->n + 1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	l->v = v;
	v[l->n++] = rt;
	return 0;
}

static void list_reset(void *data)
{
	struct route_list *l = data;
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

int nl_route_list(struct nl_sock *s, int family, uint32_t table, struct nl_route **ret,
		  size_t *ret_n)
{
	if (family != AF_INET && family != AF_INET6)
		return -EINVAL;
	uint8_t buf[128];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_GETROUTE;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	struct rtmsg *rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = (uint8_t)family;
	struct route_list l = { .table = table ? table : RT_TABLE_MAIN };
	int r = nl_dump(s, NL_PROTO_ROUTE, nlh, list_cb, &l, list_reset);
	if (r < 0)
		return r;
	*ret = l.v;
	*ret_n = l.n;
	return 0;
}
