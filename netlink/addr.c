/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "nl-internal.h"

#include <linux/if_addr.h>
#include <linux/rtnetlink.h>


static size_t addr_len(int family)
{
	return family == AF_INET ? sizeof(struct in_addr)
	       : family == AF_INET6 ? sizeof(struct in6_addr) : 0;
}

int nl_addr_build(void *buf, size_t size, uint16_t type, int ifindex,
		  const struct nl_prefix *prefix, unsigned flags, struct nlmsghdr **ret)
{
	size_t alen = prefix ? addr_len(prefix->family) : 0;
	if (type == RTM_GETADDR) {
		if (size < 64)
			return -EMSGSIZE;
	} else {
		if (ifindex <= 0)
			return -ENODEV;
		if (!alen || prefix->len > alen * 8)
			return -EINVAL;
		if (size < 128)
			return -EMSGSIZE;
	}
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST;
	if (type == RTM_NEWADDR)
		nlh->nlmsg_flags |= NLM_F_CREATE | NLM_F_EXCL;
	else if (type == RTM_GETADDR)
		nlh->nlmsg_flags |= NLM_F_DUMP;
	struct ifaddrmsg *ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_index = (uint32_t)(type == RTM_GETADDR ? 0 : ifindex);
	if (type == RTM_GETADDR) {
		ifa->ifa_family = prefix ? (uint8_t)prefix->family : AF_UNSPEC;
		*ret = nlh;
		return 0;
	}
	ifa->ifa_family = (uint8_t)prefix->family;
	ifa->ifa_prefixlen = prefix->len;
	ifa->ifa_scope = RT_SCOPE_UNIVERSE;
	uint32_t f = 0;
	if (flags & NL_ADDR_NODAD)
		f |= IFA_F_NODAD;
	if (flags & NL_ADDR_NOPREFIXROUTE)
		f |= IFA_F_NOPREFIXROUTE;
	ifa->ifa_flags = (uint8_t)(f & 0xff);
	if (!mnl_attr_put_check(nlh, size, IFA_LOCAL, alen, &prefix->addr) ||
	    !mnl_attr_put_check(nlh, size, IFA_ADDRESS, alen, &prefix->addr) ||
	    (f && !mnl_attr_put_u32_check(nlh, size, IFA_FLAGS, f)))
		return -EMSGSIZE;
	*ret = nlh;
	return 0;
}

static const struct nl_policy addr_policy[IFA_MAX + 1] = {
	[IFA_ADDRESS] = { MNL_TYPE_BINARY, 0 },
	[IFA_LOCAL] = { MNL_TYPE_BINARY, 0 },
	[IFA_FLAGS] = { MNL_TYPE_U32, 0 },
};

int nl_addr_parse(const struct nlmsghdr *nlh, struct nl_addr_entry *ret)
{
	if (nlh->nlmsg_type != RTM_NEWADDR && nlh->nlmsg_type != RTM_DELADDR)
		return -EBADMSG;
	const struct nlattr *tb[IFA_MAX + 1] = {};
	int r = nl_parse_msg(nlh, sizeof(struct ifaddrmsg), addr_policy, IFA_MAX, tb);
	if (r < 0)
		return r;
	const struct ifaddrmsg *ifa = mnl_nlmsg_get_payload(nlh);
	size_t alen = addr_len(ifa->ifa_family);
	if (!alen || ifa->ifa_prefixlen > alen * 8)
		return -EBADMSG;
	/* IFA_LOCAL is the address itself; IFA_ADDRESS the peer on p-t-p. */
	const struct nlattr *a = tb[IFA_LOCAL] ? tb[IFA_LOCAL] : tb[IFA_ADDRESS];
	if (!a || mnl_attr_get_payload_len(a) != alen)
		return -EBADMSG;
	struct nl_addr_entry e = {
		.ifindex = (int)ifa->ifa_index,
		.prefix = { .family = ifa->ifa_family, .len = ifa->ifa_prefixlen },
		.scope = ifa->ifa_scope,
		.flags = tb[IFA_FLAGS] ? mnl_attr_get_u32(tb[IFA_FLAGS]) : ifa->ifa_flags,
	};
	memcpy(&e.prefix.addr, mnl_attr_get_payload(a), alen);
	*ret = e;
	return 0;
}

static int simple(struct nl_sock *s, uint16_t type, int ifindex, const struct nl_prefix *p,
		  unsigned flags)
{
	uint8_t buf[256];
	struct nlmsghdr *nlh;
	int r = nl_addr_build(buf, sizeof(buf), type, ifindex, p, flags, &nlh);
	return r < 0 ? r : nl_request(s, NL_PROTO_ROUTE, nlh, NULL, NULL);
}

int nl_addr_add(struct nl_sock *s, int ifindex, const struct nl_prefix *prefix, unsigned flags)
{
	return simple(s, RTM_NEWADDR, ifindex, prefix, flags);
}

int nl_addr_delete(struct nl_sock *s, int ifindex, const struct nl_prefix *prefix)
{
	return simple(s, RTM_DELADDR, ifindex, prefix, 0);
}

struct addr_list {
	int ifindex, family;
	struct nl_addr_entry *v;
	size_t n;
};

static int list_cb(const struct nlmsghdr *nlh, void *data)
{
	struct addr_list *l = data;
	struct nl_addr_entry e;
	if (nl_addr_parse(nlh, &e) < 0)
		return 0; /* not an address we can represent */
	if ((l->ifindex && e.ifindex != l->ifindex) ||
	    (l->family != AF_UNSPEC && e.prefix.family != l->family))
		return 0;
	struct nl_addr_entry *v = reallocarray(l->v, l->n + 1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	l->v = v;
	v[l->n++] = e;
	return 0;
}

static void list_reset(void *data)
{
	struct addr_list *l = data;
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

int nl_addr_list(struct nl_sock *s, int ifindex, int family, struct nl_addr_entry **ret,
		 size_t *ret_n)
{
	if (family != AF_UNSPEC && family != AF_INET && family != AF_INET6)
		return -EINVAL;
	uint8_t buf[128];
	struct nlmsghdr *nlh;
	struct nl_prefix fam = { .family = family };
	int r = nl_addr_build(buf, sizeof(buf), RTM_GETADDR, 0, &fam, 0, &nlh);
	if (r < 0)
		return r;
	struct addr_list l = { .ifindex = ifindex, .family = family };
	r = nl_dump(s, NL_PROTO_ROUTE, nlh, list_cb, &l, list_reset);
	if (r < 0)
		return r;
	*ret = l.v;
	*ret_n = l.n;
	return 0;
}

int nl_addr_flush(struct nl_sock *s, int ifindex, int family)
{
	if (ifindex <= 0)
		return -ENODEV;
	_cleanup_free_ struct nl_addr_entry *v = NULL;
	size_t n;
	int r = nl_addr_list(s, ifindex, family, &v, &n);
	if (r < 0)
		return r;
	for (size_t i = 0; i < n; i++) {
		r = nl_addr_delete(s, ifindex, &v[i].prefix);
		/* Deleting an IPv4 primary address also removes its secondaries. */
		if (r < 0 && r != -EADDRNOTAVAIL)
			return r;
	}
	return 0;
}
