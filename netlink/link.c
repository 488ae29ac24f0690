/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "nl-internal.h"

#include <fcntl.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>


static bool ifname_ok(const char *name)
{
	return name && name[0] && strlen(name) < IF_NAMESIZE && !strchr(name, '/') &&
	       !strchr(name, ' ');
}

static struct nlmsghdr *put_link_header(void *buf, uint16_t type, uint16_t flags, int ifindex)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = ifindex;
	return nlh;
}

int nl_link_build_create(void *buf, size_t size, const char *name, const char *kind, uint32_t mtu,
			 struct nlmsghdr **ret)
{
	if (!ifname_ok(name) || !kind || !kind[0] || strlen(kind) >= NL_KIND_MAX)
		return -EINVAL;
	if (size < 64)
		return -EMSGSIZE;
	struct nlmsghdr *nlh = put_link_header(buf, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, 0);
	if (!mnl_attr_put_strz_check(nlh, size, IFLA_IFNAME, name))
		return -EMSGSIZE;
	if (mtu && !mnl_attr_put_u32_check(nlh, size, IFLA_MTU, mtu))
		return -EMSGSIZE;
	struct nlattr *li = mnl_attr_nest_start_check(nlh, size, IFLA_LINKINFO);
	if (!li || !mnl_attr_put_str_check(nlh, size, IFLA_INFO_KIND, kind))
		return -EMSGSIZE;
	mnl_attr_nest_end(nlh, li);
	*ret = nlh;
	return 0;
}

int nl_link_build_veth(void *buf, size_t size, const char *name, const char *peer,
		       int peer_netns_fd, struct nlmsghdr **ret)
{
	if (!ifname_ok(peer))
		return -EINVAL;
	struct nlmsghdr *nlh;
	int r = nl_link_build_create(buf, size, name, "veth", 0, &nlh);
	if (r < 0)
		return r;
	/* Reopen the IFLA_LINKINFO nest just closed to add the peer's data. */
	struct nlattr *li = mnl_nlmsg_get_payload_offset(nlh, sizeof(struct ifinfomsg));
	while (mnl_attr_get_type(li) != IFLA_LINKINFO)
		li = mnl_attr_next(li);
	struct nlattr *data = mnl_attr_nest_start_check(nlh, size, IFLA_INFO_DATA);
	if (!data)
		return -EMSGSIZE;
	struct nlattr *pi = mnl_attr_nest_start_check(nlh, size, VETH_INFO_PEER);
	if (!pi || MNL_ALIGN(nlh->nlmsg_len) + sizeof(struct ifinfomsg) > size)
		return -EMSGSIZE;
	struct ifinfomsg *ifi = mnl_nlmsg_get_payload_tail(nlh);
	memset(ifi, 0, sizeof(*ifi));
	nlh->nlmsg_len += MNL_ALIGN(sizeof(*ifi));
	if (!mnl_attr_put_strz_check(nlh, size, IFLA_IFNAME, peer))
		return -EMSGSIZE;
	if (peer_netns_fd >= 0 &&
	    !mnl_attr_put_u32_check(nlh, size, IFLA_NET_NS_FD, (uint32_t)peer_netns_fd))
		return -EMSGSIZE;
	mnl_attr_nest_end(nlh, pi);
	mnl_attr_nest_end(nlh, data);
	mnl_attr_nest_end(nlh, li);
	*ret = nlh;
	return 0;
}

int nl_link_build_set(void *buf, size_t size, int ifindex, int up, uint32_t mtu, int netns_fd,
		      struct nlmsghdr **ret)
{
	if (ifindex <= 0)
		return -EINVAL;
	if (size < 64)
		return -EMSGSIZE;
	struct nlmsghdr *nlh = put_link_header(buf, RTM_NEWLINK, 0, ifindex);
	struct ifinfomsg *ifi = mnl_nlmsg_get_payload(nlh);
	if (up >= 0) {
		ifi->ifi_change = IFF_UP;
		ifi->ifi_flags = up ? IFF_UP : 0;
	}
	if (mtu && !mnl_attr_put_u32_check(nlh, size, IFLA_MTU, mtu))
		return -EMSGSIZE;
	if (netns_fd >= 0 && !mnl_attr_put_u32_check(nlh, size, IFLA_NET_NS_FD, (uint32_t)netns_fd))
		return -EMSGSIZE;
	*ret = nlh;
	return 0;
}

int nl_link_build_del(void *buf, size_t size, int ifindex, struct nlmsghdr **ret)
{
	if (ifindex <= 0)
		return -EINVAL;
	if (size < 64)
		return -EMSGSIZE;
	*ret = put_link_header(buf, RTM_DELLINK, 0, ifindex);
	return 0;
}

int nl_link_build_get(void *buf, size_t size, int ifindex, const char *name,
		      struct nlmsghdr **ret)
{
	if (size < 64)
		return -EMSGSIZE;
	if (name && !ifname_ok(name))
		return -EINVAL;
	struct nlmsghdr *nlh =
		put_link_header(buf, RTM_GETLINK, ifindex || name ? 0 : NLM_F_DUMP, ifindex);
	if (name && !mnl_attr_put_strz_check(nlh, size, IFLA_IFNAME, name))
		return -EMSGSIZE;
	/* Keep replies small: no VF info, no stats beyond what we parse. */
	if (!mnl_attr_put_u32_check(nlh, size, IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS))
		return -EMSGSIZE;
	*ret = nlh;
	return 0;
}

static const struct nl_policy link_policy[IFLA_MAX + 1] = {
	[IFLA_IFNAME] = { MNL_TYPE_NUL_STRING, 0 },
	[IFLA_MTU] = { MNL_TYPE_U32, 0 },
	[IFLA_LINKINFO] = { MNL_TYPE_NESTED, 0 },
};

static const struct nl_policy linkinfo_policy[IFLA_INFO_MAX + 1] = {
	[IFLA_INFO_KIND] = { MNL_TYPE_STRING, 0 },
};

int nl_link_parse(const struct nlmsghdr *nlh, struct nl_link_info *ret)
{
	if (nlh->nlmsg_type != RTM_NEWLINK && nlh->nlmsg_type != RTM_DELLINK)
		return -EBADMSG;
	const struct nlattr *tb[IFLA_MAX + 1] = {};
	int r = nl_parse_msg(nlh, sizeof(struct ifinfomsg), link_policy, IFLA_MAX, tb);
	if (r < 0)
		return r;
	const struct ifinfomsg *ifi = mnl_nlmsg_get_payload(nlh);
	struct nl_link_info l = { .ifindex = ifi->ifi_index, .flags = ifi->ifi_flags };
	if (l.ifindex <= 0 || !tb[IFLA_IFNAME])
		return -EBADMSG;
	r = nl_attr_strcpy(tb[IFLA_IFNAME], l.name, sizeof(l.name));
	if (r < 0)
		return r;
	if (tb[IFLA_MTU])
		l.mtu = mnl_attr_get_u32(tb[IFLA_MTU]);
	if (tb[IFLA_LINKINFO]) {
		const struct nlattr *li[IFLA_INFO_MAX + 1] = {};
		r = nl_parse_nested(tb[IFLA_LINKINFO], linkinfo_policy, IFLA_INFO_MAX, li);
		if (r < 0)
			return r;
		if (li[IFLA_INFO_KIND]) {
			/* IFLA_INFO_KIND is not always NUL-terminated. */
			size_t n = mnl_attr_get_payload_len(li[IFLA_INFO_KIND]);
			n = strnlen(mnl_attr_get_payload(li[IFLA_INFO_KIND]), n);
			if (n >= sizeof(l.kind))
				return -EBADMSG;
			memcpy(l.kind, mnl_attr_get_payload(li[IFLA_INFO_KIND]), n);
		}
	}
	*ret = l;
	return 0;
}

static int simple(struct nl_sock *s, int r, struct nlmsghdr *nlh)
{
	return r < 0 ? r : nl_request(s, NL_PROTO_ROUTE, nlh, NULL, NULL);
}

static int lookup_new(struct nl_sock *s, const char *name, int *ret_ifindex)
{
	return ret_ifindex ? nl_link_ifindex(s, name, ret_ifindex) : 0;
}

int nl_link_create(struct nl_sock *s, const char *name, const char *kind, uint32_t mtu,
		   int *ret_ifindex)
{
	uint8_t buf[NL_MSG_SIZE];
	struct nlmsghdr *nlh = NULL;
	int rb = nl_link_build_create(buf, sizeof(buf), name, kind, mtu, &nlh);
	int r = simple(s, rb, nlh);
	return r < 0 ? r : lookup_new(s, name, ret_ifindex);
}

int nl_link_create_veth(struct nl_sock *s, const char *name, const char *peer,
			int peer_netns_fd, int *ret_ifindex)
{
	uint8_t buf[NL_MSG_SIZE];
	struct nlmsghdr *nlh = NULL;
	int rb = nl_link_build_veth(buf, sizeof(buf), name, peer, peer_netns_fd, &nlh);
	int r = simple(s, rb, nlh);
	return r < 0 ? r : lookup_new(s, name, ret_ifindex);
}

int nl_link_delete(struct nl_sock *s, int ifindex)
{
	uint8_t buf[256];
	struct nlmsghdr *nlh = NULL;
	int rb = nl_link_build_del(buf, sizeof(buf), ifindex, &nlh);
	return simple(s, rb, nlh);
}

int nl_link_set_up(struct nl_sock *s, int ifindex, bool up)
{
	uint8_t buf[256];
	struct nlmsghdr *nlh = NULL;
	int rb = nl_link_build_set(buf, sizeof(buf), ifindex, up, 0, -1, &nlh);
	return simple(s, rb, nlh);
}

int nl_link_set_mtu(struct nl_sock *s, int ifindex, uint32_t mtu)
{
	if (mtu == 0)
		return -EINVAL;
	uint8_t buf[256];
	struct nlmsghdr *nlh = NULL;
	int rb = nl_link_build_set(buf, sizeof(buf), ifindex, -1, mtu, -1, &nlh);
	return simple(s, rb, nlh);
}

int nl_link_set_ipv6_addrgen_none(struct nl_sock *s, int ifindex)
{
	uint8_t buf[256];
	struct nlmsghdr *nlh = NULL;
	int r = nl_link_build_set(buf, sizeof(buf), ifindex, -1, 0, -1, &nlh);
	if (r < 0)
		return r;
	struct nlattr *af = mnl_attr_nest_start_check(nlh, sizeof(buf), IFLA_AF_SPEC);
	struct nlattr *in6 = af ? mnl_attr_nest_start_check(nlh, sizeof(buf), AF_INET6) : NULL;
	if (!in6 || !mnl_attr_put_u8_check(nlh, sizeof(buf), IFLA_INET6_ADDR_GEN_MODE,
					   IN6_ADDR_GEN_MODE_NONE))
		return -EMSGSIZE;
	mnl_attr_nest_end(nlh, in6);
	mnl_attr_nest_end(nlh, af);
	return simple(s, 0, nlh);
}

int nl_link_set_netns(struct nl_sock *s, int ifindex, int netns_fd)
{
	if (netns_fd < 0)
		return -EBADF;
	uint8_t buf[256];
	struct nlmsghdr *nlh = NULL;
	int rb = nl_link_build_set(buf, sizeof(buf), ifindex, -1, 0, netns_fd, &nlh);
	return simple(s, rb, nlh);
}

static int get_one_cb(const struct nlmsghdr *nlh, void *data)
{
	return nl_link_parse(nlh, data);
}

static int link_get(struct nl_sock *s, int ifindex, const char *name, struct nl_link_info *ret)
{
	uint8_t buf[256];
	struct nlmsghdr *nlh;
	int r = nl_link_build_get(buf, sizeof(buf), ifindex, name, &nlh);
	if (r < 0)
		return r;
	struct nl_link_info l = {};
	r = nl_request(s, NL_PROTO_ROUTE, nlh, get_one_cb, &l);
	if (r < 0)
		return r;
	if (l.ifindex <= 0)
		return -ENODEV;
	*ret = l;
	return 0;
}

int nl_link_ifindex(struct nl_sock *s, const char *name, int *ret_ifindex)
{
	if (!ifname_ok(name))
		return -EINVAL;
	struct nl_link_info l;
	int r = link_get(s, 0, name, &l);
	if (r < 0)
		return r;
	*ret_ifindex = l.ifindex;
	return 0;
}

int nl_link_get(struct nl_sock *s, int ifindex, struct nl_link_info *ret)
{
	if (ifindex <= 0)
		return -ENODEV;
	return link_get(s, ifindex, NULL, ret);
}

/* A dump's replies parsed into a growing array of elem-sized entries; a
 * reply parse() refuses is skipped rather than failing the dump. */
struct dump_list {
	void *v;
	size_t n, cap, elem;
	int (*parse)(const struct nlmsghdr *nlh, void *ret);
};

static int dump_cb(const struct nlmsghdr *nlh, void *data)
{
	struct dump_list *l = data;
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 16;
		void *v = reallocarray(l->v, cap, l->elem);
		if (!v)
			return -ENOMEM;
		l->v = v;
		l->cap = cap;
	}
	if (l->parse(nlh, (char *)l->v + l->n * l->elem) >= 0)
		l->n++;
	return 0;
}

static void dump_reset(void *data)
{
	struct dump_list *l = data;
	free(l->v);
	l->v = NULL;
	l->n = l->cap = 0;
}

static int parse_link(const struct nlmsghdr *nlh, void *ret)
{
	return nl_link_parse(nlh, ret);
}

int nl_link_dump(struct nl_sock *s, struct nl_link_info **ret_links, size_t *ret_n)
{
	uint8_t buf[256];
	struct nlmsghdr *nlh;
	int r = nl_link_build_get(buf, sizeof(buf), 0, NULL, &nlh);
	if (r < 0)
		return r;
	struct dump_list l = { .elem = sizeof(struct nl_link_info), .parse = parse_link };
	r = nl_dump(s, NL_PROTO_ROUTE, nlh, dump_cb, &l, dump_reset);
	if (r < 0)
		return r;
	*ret_links = l.v;
	*ret_n = l.n;
	return 0;
}

/* ---- counters ---- */

int nl_link_build_getstats(void *buf, size_t size, int ifindex, struct nlmsghdr **ret)
{
	if (ifindex <= 0)
		return -EINVAL;
	if (size < MNL_NLMSG_HDRLEN + sizeof(struct if_stats_msg))
		return -EMSGSIZE;
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_GETSTATS;
	nlh->nlmsg_flags = NLM_F_REQUEST;
	struct if_stats_msg *ism = mnl_nlmsg_put_extra_header(nlh, sizeof(*ism));
	ism->family = AF_UNSPEC;
	ism->ifindex = (uint32_t)ifindex;
	ism->filter_mask = IFLA_STATS_FILTER_BIT(IFLA_STATS_LINK_64);
	*ret = nlh;
	return 0;
}

static const struct nl_policy stats_policy[IFLA_STATS_MAX + 1] = {
	[IFLA_STATS_LINK_64] = { MNL_TYPE_BINARY, 0 }, /* length checked below */
};

/* The first eight counters of struct rtnl_link_stats64 (Linux 2.6.35 on),
 * which grows at its end from kernel to kernel: a longer attribute is
 * fine, a shorter one not. */
#define STATS64_MIN (8 * sizeof(uint64_t))

int nl_link_parse_stats(const struct nlmsghdr *nlh, struct nl_link_stats *ret)
{
	if (nlh->nlmsg_type != RTM_NEWSTATS)
		return -EBADMSG;
	const struct nlattr *tb[IFLA_STATS_MAX + 1] = {};
	int r = nl_parse_msg(nlh, sizeof(struct if_stats_msg), stats_policy, IFLA_STATS_MAX, tb);
	if (r < 0)
		return r;
	const struct if_stats_msg *ism = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *a = tb[IFLA_STATS_LINK_64];
	if (ism->ifindex == 0 || ism->ifindex > INT32_MAX || !a ||
	    mnl_attr_get_payload_len(a) < STATS64_MIN)
		return -EBADMSG;
	uint64_t v[8];
	memcpy(v, mnl_attr_get_payload(a), sizeof(v)); /* attributes are 4-aligned only */
	/* rx_packets, tx_packets, rx_bytes, tx_bytes, rx_errors, tx_errors,
	 * rx_dropped, tx_dropped */
	*ret = (struct nl_link_stats){ .ifindex = (int)ism->ifindex, .rx_packets = v[0],
				       .tx_packets = v[1], .rx_bytes = v[2], .tx_bytes = v[3],
				       .tx_errors = v[5], .tx_dropped = v[7] };
	return 0;
}

struct stats_batch {
	const int *ifindex;
	struct nl_link_stats *out;
};

static int stats_answer(size_t i, const struct nlmsghdr *nlh, void *data)
{
	struct stats_batch *b = data;
	struct nl_link_stats st;
	int r = nl_link_parse_stats(nlh, &st);
	if (r < 0)
		return r;
	if (st.ifindex != b->ifindex[i])
		return -EBADMSG;
	b->out[i] = st;
	return 0;
}

/* A request is 28 bytes: a batch's fit on the stack. */
#define STATS_REQ_SIZE MNL_ALIGN(MNL_NLMSG_HDRLEN + sizeof(struct if_stats_msg))

int nl_link_stats_get(struct nl_sock *s, const int *ifindex, size_t n, struct nl_link_stats *out)
{
	memset(out, 0, n * sizeof(*out));
	for (size_t at = 0; at < n; at += NL_BATCH_MAX) {
		_Alignas(struct nlmsghdr) uint8_t buf[NL_BATCH_MAX * STATS_REQ_SIZE];
		size_t k = MIN(n - at, (size_t)NL_BATCH_MAX), len = 0;
		for (size_t i = 0; i < k; i++) {
			struct nlmsghdr *nlh;
			int r = nl_link_build_getstats(buf + len, sizeof(buf) - len, ifindex[at + i], &nlh);
			if (r < 0)
				return r;
			len += MNL_ALIGN(nlh->nlmsg_len);
		}
		struct stats_batch b = { .ifindex = ifindex + at, .out = out + at };
		int r = nl_batch(s, NL_PROTO_ROUTE, buf, len, k, stats_answer, &b);
		if (r < 0)
			return r;
	}
	return 0;
}

/* ---- link events ---- */

struct nl_link_monitor {
	struct mnl_socket *sk;
	uint8_t *buf;
};

int nl_link_monitor_open(struct nl_link_monitor **ret)
{
	struct nl_link_monitor *m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	m->buf = malloc(NL_RECV_SIZE);
	m->sk = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (!m->buf || !m->sk) {
		int r = m->buf ? negative_errno() : -ENOMEM;
		nl_link_monitor_free(m);
		return r;
	}
	if (mnl_socket_bind(m->sk, 1u << (RTNLGRP_LINK - 1), MNL_SOCKET_AUTOPID) < 0) {
		int r = negative_errno();
		nl_link_monitor_free(m);
		return r;
	}
	*ret = m;
	return 0;
}

void nl_link_monitor_free(struct nl_link_monitor *m)
{
	if (!m)
		return;
	if (m->sk)
		mnl_socket_close(m->sk);
	free(m->buf);
	free(m);
}

int nl_link_monitor_fd(const struct nl_link_monitor *m)
{
	return mnl_socket_get_fd(m->sk);
}

int nl_link_monitor_process(struct nl_link_monitor *m, nl_link_event_fn fn, void *userdata)
{
	for (;;) {
		ssize_t n = mnl_socket_recvfrom(m->sk, m->buf, NL_RECV_SIZE);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				return 0;
			return negative_errno();
		}
		size_t len = (size_t)n;
		for (const struct nlmsghdr *nlh = (const void *)m->buf; nl_msg_ok(nlh, len);
		     nlh = nl_msg_next(nlh, &len)) {
			if (nlh->nlmsg_type != RTM_NEWLINK && nlh->nlmsg_type != RTM_DELLINK)
				continue;
			struct nl_link_event ev = {
				.type = nlh->nlmsg_type == RTM_NEWLINK ? NL_LINK_EVENT_NEW
								       : NL_LINK_EVENT_DEL,
			};
			if (nl_link_parse(nlh, &ev.link) < 0)
				continue;
			fn(&ev, userdata);
		}
	}
}
