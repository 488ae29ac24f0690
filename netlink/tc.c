/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "nl-internal.h"

#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/pkt_cls.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>


static struct nlmsghdr *put_tc_header(void *buf, uint16_t type, uint16_t flags, int ifindex,
				      uint32_t handle, uint32_t parent, uint32_t info)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	struct tcmsg *t = mnl_nlmsg_put_extra_header(nlh, sizeof(*t));
	t->tcm_family = AF_UNSPEC;
	t->tcm_ifindex = ifindex;
	t->tcm_handle = handle;
	t->tcm_parent = parent;
	t->tcm_info = info;
	return nlh;
}

int nl_tc_build_prio(void *buf, size_t size, int ifindex, struct nlmsghdr **ret)
{
	if (ifindex <= 0)
		return -ENODEV;
	if (size < 256)
		return -EMSGSIZE;
	struct nlmsghdr *nlh = put_tc_header(buf, RTM_NEWQDISC, NLM_F_CREATE | NLM_F_REPLACE,
					     ifindex, NL_TC_PRIO_HANDLE, TC_H_ROOT, 0);
	/* All priorities to band 0: the default priomap would send ordinary
	 * (TC_PRIO_BESTEFFORT) traffic to band 1, where netem delays. */
	struct tc_prio_qopt q = { .bands = 3 };
	if (!mnl_attr_put_strz_check(nlh, size, TCA_KIND, "prio") ||
	    !mnl_attr_put_check(nlh, size, TCA_OPTIONS, sizeof(q), &q))
		return -EMSGSIZE;
	*ret = nlh;
	return 0;
}

int nl_tc_build_netem(void *buf, size_t size, int ifindex, uint32_t delay_ms,
		      struct nlmsghdr **ret)
{
	if (ifindex <= 0)
		return -ENODEV;
	if (size < 256)
		return -EMSGSIZE;
	struct nlmsghdr *nlh = put_tc_header(buf, RTM_NEWQDISC, NLM_F_CREATE | NLM_F_EXCL, ifindex,
					     NL_TC_NETEM_HANDLE, NL_TC_DRAIN_CLASS, 0);
	int64_t ns = (int64_t)delay_ms * 1000000;
	/* netem's legacy latency is in psched ticks (64 ns); the kernel
	 * prefers TCA_NETEM_LATENCY64 (ns) when present. */
	struct tc_netem_qopt q = {
		.latency = (uint32_t)MIN(ns >> 6, (int64_t)UINT32_MAX),
		.limit = 1000,
	};
	if (!mnl_attr_put_strz_check(nlh, size, TCA_KIND, "netem"))
		return -EMSGSIZE;
	/* TCA_OPTIONS holds the struct followed by attributes, not a nest. */
	struct nlattr *opt = mnl_attr_nest_start_check(nlh, size, TCA_OPTIONS);
	if (!opt || MNL_ALIGN(nlh->nlmsg_len) + MNL_ALIGN(sizeof(q)) > size)
		return -EMSGSIZE;
	opt->nla_type = TCA_OPTIONS; /* no NLA_F_NESTED */
	memcpy(mnl_nlmsg_get_payload_tail(nlh), &q, sizeof(q));
	nlh->nlmsg_len += MNL_ALIGN(sizeof(q));
	if (!mnl_attr_put_check(nlh, size, TCA_NETEM_LATENCY64, sizeof(ns), &ns))
		return -EMSGSIZE;
	mnl_attr_nest_end(nlh, opt);
	*ret = nlh;
	return 0;
}

int nl_tc_build_filter(void *buf, size_t size, int ifindex, struct nlmsghdr **ret)
{
	if (ifindex <= 0)
		return -ENODEV;
	if (size < 512)
		return -EMSGSIZE;
	struct nlmsghdr *nlh =
		put_tc_header(buf, RTM_NEWTFILTER, NLM_F_CREATE | NLM_F_EXCL, ifindex, 0,
			      NL_TC_PRIO_HANDLE, TC_H_MAKE(1u << 16, htons(ETH_P_IPV6)));
	/* struct tc_u32_sel ends with a flexible array of keys: lay out the
	 * selector and its two keys in one aligned buffer. */
	_Alignas(struct tc_u32_sel) uint8_t sbuf[sizeof(struct tc_u32_sel) +
						  2 * sizeof(struct tc_u32_key)] = { 0 };
	struct tc_u32_sel *sel = (struct tc_u32_sel *)sbuf;
	sel->flags = TC_U32_TERMINAL;
	sel->nkeys = 2;
	/* Offsets from the IPv6 header: byte 6 is the next header (UDP = 17);
	 * the UDP destination port is bytes 42-43 (after a 40-byte header). */
	sel->keys[0].off = 4;
	sel->keys[0].mask = htonl(0x0000ff00);
	sel->keys[0].val = htonl(17 << 8);
	sel->keys[1].off = 40;
	sel->keys[1].mask = htonl(0x0000ffff);
	sel->keys[1].val = htonl(NL_TC_BABEL_PORT);
	if (!mnl_attr_put_strz_check(nlh, size, TCA_KIND, "u32"))
		return -EMSGSIZE;
	struct nlattr *opt = mnl_attr_nest_start_check(nlh, size, TCA_OPTIONS);
	if (!opt || !mnl_attr_put_u32_check(nlh, size, TCA_U32_CLASSID, NL_TC_DRAIN_CLASS) ||
	    !mnl_attr_put_check(nlh, size, TCA_U32_SEL, sizeof(sbuf), sbuf))
		return -EMSGSIZE;
	mnl_attr_nest_end(nlh, opt);
	*ret = nlh;
	return 0;
}

int nl_tc_build_del_root(void *buf, size_t size, int ifindex, struct nlmsghdr **ret)
{
	if (ifindex <= 0)
		return -ENODEV;
	if (size < 64)
		return -EMSGSIZE;
	/* With handle 1: the kernel refuses (-ENOENT) to delete a root qdisc
	 * that is not ours. */
	*ret = put_tc_header(buf, RTM_DELQDISC, 0, ifindex, NL_TC_PRIO_HANDLE, TC_H_ROOT, 0);
	return 0;
}

typedef int (*tc_builder)(void *buf, size_t size, int ifindex, struct nlmsghdr **ret);

static int tc_send(struct nl_sock *s, tc_builder b, int ifindex)
{
	uint8_t buf[512];
	struct nlmsghdr *nlh;
	int r = b(buf, sizeof(buf), ifindex, &nlh);
	return r < 0 ? r : nl_request(s, NL_PROTO_ROUTE, nlh, NULL, NULL);
}

int nl_tc_drain_remove(struct nl_sock *s, int ifindex)
{
	int r = tc_send(s, nl_tc_build_del_root, ifindex);
	/* The kernel says "Invalid handle" when the root qdisc is not 1:. */
	return r == -EINVAL ? -ENOENT : r;
}

int nl_tc_drain_add(struct nl_sock *s, int ifindex, uint32_t delay_ms)
{
	/* Start from scratch so that a second call only changes the delay. */
	int r = nl_tc_drain_remove(s, ifindex);
	if (r < 0 && r != -ENOENT)
		return r;
	r = tc_send(s, nl_tc_build_prio, ifindex);
	if (r < 0)
		return r == -ENOENT ? -EOPNOTSUPP : r;
	uint8_t buf[512];
	struct nlmsghdr *nlh;
	r = nl_tc_build_netem(buf, sizeof(buf), ifindex, delay_ms, &nlh);
	if (r == 0)
		r = nl_request(s, NL_PROTO_ROUTE, nlh, NULL, NULL);
	if (r == 0)
		r = tc_send(s, nl_tc_build_filter, ifindex);
	/* An unknown qdisc or filter kind (module missing) is -ENOENT. */
	if (r == -ENOENT)
		r = -EOPNOTSUPP;
	if (r < 0) {
		/* Keep the failing request's message, not the cleanup's. */
		char msg[256];
		snprintf(msg, sizeof(msg), "%s", nl_last_error(s));
		(void)nl_tc_drain_remove(s, ifindex);
		nl_set_error(s, "%s", msg);
	}
	return r;
}
