/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Unit tests of netlink/ without a kernel: every message builder's output
 * is parsed back, and the reply parsers are fed truncated and mistyped
 * messages.
 */
#include "nl-internal.h"

#include <arpa/inet.h>
#include <linux/fou.h>
#include <linux/genetlink.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/if_tunnel.h>
#include <linux/pkt_cls.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <linux/wireguard.h>

#include "check.h"

static uint8_t buf[NL_MSG_SIZE];

static struct nl_prefix P(const char *s)
{
	struct nl_prefix p = {};
	if (nl_prefix_from_string(s, &p) < 0)
		abort();
	return p;
}

static void fill_key(uint8_t key[NL_WG_KEY_LEN], unsigned seed)
{
	for (unsigned i = 0; i < NL_WG_KEY_LEN; i++)
		key[i] = (uint8_t)(seed * 31 + i * 7 + 1);
}

/* Field-wise comparisons: structs have padding, memcmp would read it. */
static bool addr_eq(int family, const union nl_addr *a, const union nl_addr *b)
{
	return memcmp(a, b, family == AF_INET ? sizeof(a->in) : sizeof(a->in6)) == 0;
}

static bool prefix_eq(const struct nl_prefix *a, const struct nl_prefix *b)
{
	return a->family == b->family && a->len == b->len && addr_eq(a->family, &a->addr, &b->addr);
}

static bool gre_eq(const struct nl_gre_config *a, const struct nl_gre_config *b)
{
	return a->family == b->family && addr_eq(a->family, &a->local, &b->local) &&
	       addr_eq(a->family, &a->remote, &b->remote) && a->ttl == b->ttl &&
	       a->has_ikey == b->has_ikey && a->has_okey == b->has_okey && a->ikey == b->ikey &&
	       a->okey == b->okey && a->link == b->link && a->mtu == b->mtu &&
	       a->encap == b->encap && a->encap_sport == b->encap_sport &&
	       a->encap_dport == b->encap_dport && a->encap_csum == b->encap_csum;
}

static bool fou_eq(const struct nl_fou_port *a, const struct nl_fou_port *b)
{
	return a->family == b->family && a->port == b->port && a->ipproto == b->ipproto &&
	       a->type == b->type;
}

static bool route_eq(const struct nl_route *a, const struct nl_route *b)
{
	return a->family == b->family && prefix_eq(&a->dst, &b->dst) &&
	       (a->src.len == 0 ? b->src.len == 0 : prefix_eq(&a->src, &b->src)) &&
	       a->type == b->type && a->ifindex == b->ifindex && a->has_gateway == b->has_gateway &&
	       (!a->has_gateway || addr_eq(a->family, &a->gateway, &b->gateway)) &&
	       a->table == b->table && a->metric == b->metric && a->protocol == b->protocol;
}

static void test_strings(void)
{
	struct nl_prefix p;
	char s[64];
	CHECK_EQ(nl_prefix_from_string("2001:db8::1/64", &p), 0);
	CHECK(p.family == AF_INET6 && p.len == 64);
	CHECK(strcmp(nl_prefix_to_string(&p, s, sizeof(s)), "2001:db8::1/64") == 0);
	CHECK_EQ(nl_prefix_from_string("10.1.2.3", &p), 0);
	CHECK(p.family == AF_INET && p.len == 32);
	CHECK_EQ(nl_prefix_from_string("10.1.2.3/33", &p), -EINVAL);
	CHECK_EQ(nl_prefix_from_string("2001:db8::/129", &p), -EINVAL);
	CHECK_EQ(nl_prefix_from_string("10.1.2.3/", &p), -EINVAL);
	CHECK_EQ(nl_prefix_from_string("10.1.2.3/-1", &p), -EINVAL);
	CHECK_EQ(nl_prefix_from_string("nonsense", &p), -EINVAL);
	CHECK_EQ(nl_prefix_from_string("", &p), -EINVAL);

	union nl_sockaddr sa;
	CHECK_EQ(nl_sockaddr_from_string("192.0.2.1:51820", &sa), 0);
	CHECK(sa.sa.sa_family == AF_INET && ntohs(sa.in.sin_port) == 51820);
	CHECK_EQ(nl_sockaddr_from_string("[2001:db8::2]:1", &sa), 0);
	CHECK(sa.sa.sa_family == AF_INET6 && ntohs(sa.in6.sin6_port) == 1);
	CHECK_EQ(nl_sockaddr_from_string("2001:db8::2:1", &sa), -EINVAL);
	CHECK_EQ(nl_sockaddr_from_string("192.0.2.1:65536", &sa), -EINVAL);
	CHECK_EQ(nl_sockaddr_from_string("192.0.2.1", &sa), -EINVAL);
	CHECK_EQ(nl_sockaddr_from_string("[2001:db8::2]", &sa), -EINVAL);

	uint8_t key[32], back[32];
	char b64[45];
	fill_key(key, 3);
	nl_wg_key_to_base64(key, b64);
	CHECK(strlen(b64) == 44);
	CHECK_EQ(nl_wg_key_from_base64(b64, back), 0);
	CHECK(memcmp(key, back, 32) == 0);
	CHECK_EQ(nl_wg_key_from_base64("AAAA", back), -EINVAL);
	/* 33 bytes of base64-encoded data is not a key */
	CHECK_EQ(nl_wg_key_from_base64("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==", back), -EINVAL);
	CHECK_EQ(nl_wg_key_from_base64("!AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", back), -EINVAL);
	CHECK_EQ(nl_wg_key_from_base64(NULL, back), -EINVAL);
}

static void test_link(void)
{
	struct nlmsghdr *nlh;
	struct nl_link_info l;

	CHECK_EQ(nl_link_build_create(buf, sizeof(buf), "wg-test0", "wireguard", 1420, &nlh), 0);
	CHECK(nlh->nlmsg_type == RTM_NEWLINK);
	CHECK((nlh->nlmsg_flags & (NLM_F_CREATE | NLM_F_EXCL)) == (NLM_F_CREATE | NLM_F_EXCL));
	/* A create carries no ifindex; give it one to read it like a reply. */
	((struct ifinfomsg *)mnl_nlmsg_get_payload(nlh))->ifi_index = 7;
	CHECK_EQ(nl_link_parse(nlh, &l), 0);
	CHECK(l.ifindex == 7 && strcmp(l.name, "wg-test0") == 0);
	CHECK(strcmp(l.kind, "wireguard") == 0 && l.mtu == 1420);

	CHECK_EQ(nl_link_build_create(buf, sizeof(buf), "", "dummy", 0, &nlh), -EINVAL);
	CHECK_EQ(nl_link_build_create(buf, sizeof(buf), "0123456789abcdef", "dummy", 0, &nlh), -EINVAL);
	CHECK_EQ(nl_link_build_create(buf, sizeof(buf), "a/b", "dummy", 0, &nlh), -EINVAL);
	CHECK_EQ(nl_link_build_create(buf, sizeof(buf), "ok", "", 0, &nlh), -EINVAL);
	CHECK_EQ(nl_link_build_create(buf, 16, "ok", "dummy", 0, &nlh), -EMSGSIZE);

	CHECK_EQ(nl_link_build_veth(buf, sizeof(buf), "va", "vb", 5, &nlh), 0);
	((struct ifinfomsg *)mnl_nlmsg_get_payload(nlh))->ifi_index = 8;
	CHECK_EQ(nl_link_parse(nlh, &l), 0);
	CHECK(strcmp(l.kind, "veth") == 0 && strcmp(l.name, "va") == 0);
	{
		/* Dig out the peer's name and netns fd. */
		const struct nlattr *tb[IFLA_MAX + 1] = {}, *li[IFLA_INFO_MAX + 1] = {};
		static const struct nl_policy pol[IFLA_MAX + 1] = {
			[IFLA_LINKINFO] = { MNL_TYPE_NESTED, 0 } };
		static const struct nl_policy lpol[IFLA_INFO_MAX + 1] = {
			[IFLA_INFO_DATA] = { MNL_TYPE_NESTED, 0 } };
		CHECK_EQ(nl_parse_msg(nlh, sizeof(struct ifinfomsg), pol, IFLA_MAX, tb), 0);
		CHECK_EQ(nl_parse_nested(tb[IFLA_LINKINFO], lpol, IFLA_INFO_MAX, li), 0);
		CHECK(li[IFLA_INFO_DATA] != NULL);
		if (li[IFLA_INFO_DATA]) {
			const struct nlattr *peer = mnl_attr_get_payload(li[IFLA_INFO_DATA]);
			CHECK(mnl_attr_get_type(peer) == VETH_INFO_PEER);
			const struct nlattr *ptb[IFLA_MAX + 1] = {};
			static const struct nl_policy ppol[IFLA_MAX + 1] = {
				[IFLA_IFNAME] = { MNL_TYPE_NUL_STRING, 0 },
				[IFLA_NET_NS_FD] = { MNL_TYPE_U32, 0 } };
			CHECK_EQ(nl_parse_attrs((const uint8_t *)mnl_attr_get_payload(peer) +
							sizeof(struct ifinfomsg),
						mnl_attr_get_payload_len(peer) - sizeof(struct ifinfomsg),
						ppol, IFLA_MAX, ptb), 0);
			CHECK(ptb[IFLA_IFNAME] && strcmp(mnl_attr_get_str(ptb[IFLA_IFNAME]), "vb") == 0);
			CHECK(ptb[IFLA_NET_NS_FD] && mnl_attr_get_u32(ptb[IFLA_NET_NS_FD]) == 5);
		}
	}

	CHECK_EQ(nl_link_build_set(buf, sizeof(buf), 9, 1, 1280, -1, &nlh), 0);
	{
		const struct ifinfomsg *ifi = mnl_nlmsg_get_payload(nlh);
		CHECK(ifi->ifi_index == 9 && ifi->ifi_change == IFF_UP && ifi->ifi_flags == IFF_UP);
		CHECK(!(nlh->nlmsg_flags & NLM_F_CREATE));
	}
	CHECK_EQ(nl_link_build_set(buf, sizeof(buf), 0, 1, 0, -1, &nlh), -EINVAL);
	CHECK_EQ(nl_link_build_del(buf, sizeof(buf), 9, &nlh), 0);
	CHECK(nlh->nlmsg_type == RTM_DELLINK);
	CHECK_EQ(nl_link_build_get(buf, sizeof(buf), 0, NULL, &nlh), 0);
	CHECK(nlh->nlmsg_flags & NLM_F_DUMP);
	CHECK_EQ(nl_link_build_get(buf, sizeof(buf), 0, "lo", &nlh), 0);
	CHECK(!(nlh->nlmsg_flags & NLM_F_DUMP));
}

/* Build a link reply by hand, with a chosen attribute tweak. */
static struct nlmsghdr *link_reply(int tweak)
{
	memset(buf, 0, sizeof(buf));
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_NEWLINK;
	struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_index = 3;
	ifi->ifi_flags = IFF_UP;
	if (tweak == 1) /* name without NUL */
		mnl_attr_put(nlh, IFLA_IFNAME, 4, "eth0");
	else if (tweak == 2) /* name too long for IF_NAMESIZE */
		mnl_attr_put_strz(nlh, IFLA_IFNAME, "a-name-longer-than-16");
	else if (tweak != 3)
		mnl_attr_put_strz(nlh, IFLA_IFNAME, "eth0");
	if (tweak == 4) /* MTU as u16 */
		mnl_attr_put_u16(nlh, IFLA_MTU, 1500);
	else
		mnl_attr_put_u32(nlh, IFLA_MTU, 1500);
	mnl_attr_put_u64(nlh, 250, 42); /* unknown attribute: skipped */
	struct nlattr *li = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	if (tweak == 5) /* a nested attribute overrunning its nest */
		mnl_attr_put_u32(nlh, IFLA_INFO_KIND, 0);
	else
		mnl_attr_put_str(nlh, IFLA_INFO_KIND, "veth");
	mnl_attr_nest_end(nlh, li);
	if (tweak == 5)
		((struct nlattr *)mnl_attr_get_payload(li))->nla_len = 200;
	return nlh;
}

static int parse_link(const struct nlmsghdr *nlh)
{
	struct nl_link_info l;
	return nl_link_parse(nlh, &l);
}

static int parse_stats(const struct nlmsghdr *nlh)
{
	struct nl_link_stats st;
	return nl_link_parse_stats(nlh, &st);
}

/* How many truncations of nlh (every length short of the whole) parse
 * without -EBADMSG. Each is an exact-size heap copy: ASan catches any
 * read past the end. */
static int cuts_parsed(const struct nlmsghdr *nlh, int (*parse)(const struct nlmsghdr *cut))
{
	int n = 0;
	for (uint32_t len = 0; len < nlh->nlmsg_len; len++) {
		struct nlmsghdr *cut = malloc(MAX(len, (uint32_t)sizeof(*cut)));
		memcpy(cut, nlh, MAX(len, (uint32_t)sizeof(*cut)));
		cut->nlmsg_len = len;
		n += parse(cut) != -EBADMSG;
		free(cut);
	}
	return n;
}

static void test_link_parse_bad(void)
{
	struct nl_link_info l;
	struct nlmsghdr *nlh = link_reply(0);
	CHECK_EQ(nl_link_parse(nlh, &l), 0);
	CHECK(l.ifindex == 3 && strcmp(l.name, "eth0") == 0 && l.mtu == 1500 &&
	      strcmp(l.kind, "veth") == 0 && (l.flags & IFF_UP));
	for (int t = 1; t <= 5; t++)
		CHECK_EQ(nl_link_parse(link_reply(t), &l), -EBADMSG);
	/* Truncations at every length are rejected or parse a prefix safely. */
	nlh = link_reply(0);
	uint32_t full = nlh->nlmsg_len;
	int bad = cuts_parsed(nlh, parse_link);
	/* Only cuts after a whole attribute (before or within its padding)
	 * following the name parse: IFLA_IFNAME (4 cuts), IFLA_MTU, the
	 * unknown attribute. */
	CHECK_EQ(bad, 6);
	nlh->nlmsg_len = full;
	nlh->nlmsg_type = RTM_NEWADDR;
	CHECK_EQ(nl_link_parse(nlh, &l), -EBADMSG);
}

/* A stats reply (RTM_NEWSTATS) by hand: the 64-bit counters at len bytes. */
static struct nlmsghdr *stats_reply(uint32_t ifindex, size_t len)
{
	memset(buf, 0, sizeof(buf));
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_NEWSTATS;
	struct if_stats_msg *ism = mnl_nlmsg_put_extra_header(nlh, sizeof(*ism));
	ism->ifindex = ifindex;
	ism->filter_mask = IFLA_STATS_FILTER_BIT(IFLA_STATS_LINK_64);
	uint64_t v[30] = { 11, 12, 1300, 1400, 1, 2, 3, 4 };
	mnl_attr_put(nlh, IFLA_STATS_LINK_64, len, v);
	return nlh;
}

static void test_link_stats(void)
{
	struct nlmsghdr *nlh;
	struct nl_link_stats st;
	CHECK_EQ(nl_link_build_getstats(buf, sizeof(buf), 7, &nlh), 0);
	CHECK(nlh->nlmsg_type == RTM_GETSTATS && nlh->nlmsg_flags == NLM_F_REQUEST &&
	      nlh->nlmsg_len == 28);
	{
		const struct if_stats_msg *ism = mnl_nlmsg_get_payload(nlh);
		CHECK(ism->filter_mask == IFLA_STATS_FILTER_BIT(IFLA_STATS_LINK_64) &&
		      ism->ifindex == 7);
	}
	CHECK_EQ(nl_link_build_getstats(buf, 8, 7, &nlh), -EMSGSIZE);
	CHECK_EQ(nl_link_build_getstats(buf, sizeof(buf), 0, &nlh), -EINVAL);
	CHECK_EQ(nl_link_build_getstats(buf, sizeof(buf), -3, &nlh), -EINVAL);
	/* Today's kernels' 200-odd bytes, a future kernel's more, an old one's
	 * shorter record down to the eight counters read. */
	size_t lens[] = { sizeof(struct rtnl_link_stats64), 240, 64 };
	for (size_t i = 0; i < ARRAY_SIZE(lens); i++) {
		CHECK_EQ(nl_link_parse_stats(stats_reply(7, lens[i]), &st), 0);
		CHECK(st.ifindex == 7 && st.rx_packets == 11 && st.tx_packets == 12 &&
		      st.rx_bytes == 1300 && st.tx_bytes == 1400 && st.tx_errors == 2 &&
		      st.tx_dropped == 4);
	}
	CHECK_EQ(nl_link_parse_stats(stats_reply(7, 56), &st), -EBADMSG);
	CHECK_EQ(nl_link_parse_stats(stats_reply(0, 64), &st), -EBADMSG);
	CHECK_EQ(nl_link_parse_stats(stats_reply(0x80000000u, 64), &st), -EBADMSG);
	nlh = stats_reply(7, 64);
	nlh->nlmsg_type = RTM_NEWLINK;
	CHECK_EQ(nl_link_parse_stats(nlh, &st), -EBADMSG);
	/* Every truncation is refused (the counters are the only attribute). */
	CHECK_EQ(cuts_parsed(stats_reply(7, sizeof(struct rtnl_link_stats64)), parse_stats), 0);
}

static bool aip_eq(const struct nl_wg_allowed_ip *a, const struct nl_wg_allowed_ip *b)
{
	size_t n = a->family == AF_INET ? 4 : 16;
	return a->family == b->family && a->cidr == b->cidr && memcmp(&a->addr, &b->addr, n) == 0;
}

/* Parse every message of a build back into one device. */
static int wg_parse_msgs(const uint8_t *msgs, size_t n, struct nl_wg_device *dev)
{
	for (size_t i = 0; i < n; i++) {
		const struct nlmsghdr *nlh = (const void *)(msgs + i * NL_MSG_SIZE);
		if (nlh->nlmsg_len > NL_MSG_SIZE)
			return -E2BIG;
		int r = nl_wg_parse_device(nlh, dev);
		if (r < 0)
			return r;
	}
	return 0;
}

static bool wg_flags_of(const uint8_t *msg, uint32_t *ret)
{
	static const struct nl_policy pol[WGDEVICE_A_MAX + 1] = {
		[WGDEVICE_A_FLAGS] = { MNL_TYPE_U32, 0 } };
	const struct nlattr *tb[WGDEVICE_A_MAX + 1] = {};
	if (nl_parse_msg((const void *)msg, GENL_HDRLEN, pol, WGDEVICE_A_MAX, tb) < 0)
		return false;
	*ret = tb[WGDEVICE_A_FLAGS] ? mnl_attr_get_u32(tb[WGDEVICE_A_FLAGS]) : 0;
	return true;
}

static void test_wg_small(void)
{
	struct nl_wg_allowed_ip aips[3] = {
		{ .family = AF_INET6, .cidr = 64 }, { .family = AF_INET, .cidr = 24 },
		{ .family = AF_INET6, .cidr = 128 } };
	aips[0].addr.in6 = P("2001:db8:1::").addr.in6;
	aips[1].addr.in = P("10.0.0.0").addr.in;
	aips[2].addr.in6 = P("fe80::1").addr.in6;
	struct nl_wg_peer_config peers[2] = {};
	fill_key(peers[0].public_key, 1);
	fill_key(peers[1].public_key, 2);
	nl_sockaddr_from_string("[2001:db8::9]:51820", &peers[0].endpoint);
	nl_sockaddr_from_string("192.0.2.7:1234", &peers[1].endpoint);
	peers[0].persistent_keepalive = 25;
	peers[0].allowed_ips = aips;
	peers[0].n_allowed_ips = 2;
	peers[0].replace_allowed_ips = true;
	peers[1].allowed_ips = aips + 2;
	peers[1].n_allowed_ips = 1;
	peers[1].has_preshared_key = true;
	fill_key(peers[1].preshared_key, 9);
	struct nl_wg_device_config cfg = {
		.flags = NL_WG_SET_PRIVATE_KEY | NL_WG_SET_LISTEN_PORT | NL_WG_SET_FWMARK |
			 NL_WG_REPLACE_PEERS,
		.listen_port = 51820, .fwmark = 0x42, .peers = peers, .n_peers = 2 };
	fill_key(cfg.private_key, 7);

	static uint8_t msgs[4 * NL_MSG_SIZE];
	size_t n = 0;
	CHECK_EQ(nl_wg_build_set(msgs, 4, 0x20, 5, &cfg, &n), 0);
	CHECK_EQ(n, 1);
	const struct nlmsghdr *nlh = (const void *)msgs;
	CHECK(nlh->nlmsg_type == 0x20);
	CHECK(((const struct genlmsghdr *)mnl_nlmsg_get_payload(nlh))->cmd == WG_CMD_SET_DEVICE);
	uint32_t flags = 0;
	CHECK(wg_flags_of(msgs, &flags) && flags == WGDEVICE_F_REPLACE_PEERS);

	struct nl_wg_device dev = {};
	CHECK_EQ(wg_parse_msgs(msgs, n, &dev), 0);
	CHECK(dev.ifindex == 5 && dev.listen_port == 51820 && dev.fwmark == 0x42);
	CHECK(dev.has_private_key && memcmp(dev.private_key, cfg.private_key, 32) == 0);
	CHECK_EQ(dev.n_peers, 2);
	if (dev.n_peers == 2) {
		const struct nl_wg_peer *p0 = nl_wg_device_find_peer(&dev, peers[0].public_key);
		const struct nl_wg_peer *p1 = nl_wg_device_find_peer(&dev, peers[1].public_key);
		CHECK(p0 && p1);
		if (p0 && p1) {
			CHECK(p0->endpoint.sa.sa_family == AF_INET6 &&
			      memcmp(&p0->endpoint.in6, &peers[0].endpoint.in6,
				     sizeof(struct sockaddr_in6)) == 0);
			CHECK(p0->persistent_keepalive == 25 && !p0->has_preshared_key);
			CHECK(p0->n_allowed_ips == 2 && aip_eq(&p0->allowed_ips[0], &aips[0]) &&
			      aip_eq(&p0->allowed_ips[1], &aips[1]));
			CHECK(p1->endpoint.sa.sa_family == AF_INET &&
			      p1->endpoint.in.sin_port == peers[1].endpoint.in.sin_port);
			CHECK(p1->has_preshared_key && p1->n_allowed_ips == 1 &&
			      aip_eq(&p1->allowed_ips[0], &aips[2]));
		}
	}
	nl_wg_device_clear(&dev);

	/* Invalid input is refused before anything is sent. */
	struct nl_wg_allowed_ip bad = { .family = AF_INET, .cidr = 33 };
	peers[1].allowed_ips = &bad;
	CHECK_EQ(nl_wg_build_set(msgs, 4, 0x20, 5, &cfg, &n), -EINVAL);
	peers[1].allowed_ips = aips + 2;
	peers[1].endpoint.sa.sa_family = AF_UNIX;
	CHECK_EQ(nl_wg_build_set(msgs, 4, 0x20, 5, &cfg, &n), -EINVAL);
	peers[1].endpoint.sa.sa_family = AF_INET;
	CHECK_EQ(nl_wg_build_set(msgs, 4, 0x20, 0, &cfg, &n), -ENODEV);
}

/* Many peers with many allowed IPs: split over messages, read back whole. */
static void test_wg_split(size_t npeers, size_t naips)
{
	struct nl_wg_peer_config *peers = calloc(npeers, sizeof(*peers));
	struct nl_wg_allowed_ip *aips = calloc(npeers * naips, sizeof(*aips));
	for (size_t i = 0; i < npeers; i++) {
		fill_key(peers[i].public_key, (unsigned)i + 100);
		peers[i].allowed_ips = aips + i * naips;
		peers[i].n_allowed_ips = naips;
		peers[i].replace_allowed_ips = true;
		peers[i].endpoint.in6.sin6_family = AF_INET6;
		peers[i].endpoint.in6.sin6_port = htons((uint16_t)(1000 + i));
		for (size_t j = 0; j < naips; j++) {
			struct nl_wg_allowed_ip *a = &aips[i * naips + j];
			a->family = j % 3 ? AF_INET6 : AF_INET;
			a->cidr = a->family == AF_INET ? 32 : 128;
			if (a->family == AF_INET)
				a->addr.in.s_addr = htonl((uint32_t)(i << 16 | j));
			else {
				a->addr.in6.s6_addr[0] = 0x20;
				a->addr.in6.s6_addr[14] = (uint8_t)i;
				a->addr.in6.s6_addr[15] = (uint8_t)j;
				a->addr.in6.s6_addr[13] = (uint8_t)(j >> 8);
			}
		}
	}
	struct nl_wg_device_config cfg = { .flags = NL_WG_REPLACE_PEERS | NL_WG_SET_LISTEN_PORT,
					   .listen_port = 7, .peers = peers, .n_peers = npeers };
	size_t max = 64;
	uint8_t *msgs = malloc(max * NL_MSG_SIZE);
	size_t n = 0;
	CHECK_EQ(nl_wg_build_set(msgs, max, 0x20, 5, &cfg, &n), 0);
	CHECK(n > 1);
	for (size_t i = 0; i < n; i++) {
		uint32_t flags = 99;
		CHECK(wg_flags_of(msgs + i * NL_MSG_SIZE, &flags));
		CHECK(flags == (i == 0 ? WGDEVICE_F_REPLACE_PEERS : 0u));
	}
	struct nl_wg_device dev = {};
	CHECK_EQ(wg_parse_msgs(msgs, n, &dev), 0);
	CHECK_EQ(dev.n_peers, npeers);
	bool same = dev.n_peers == npeers;
	for (size_t i = 0; same && i < npeers; i++) {
		const struct nl_wg_peer *p = &dev.peers[i];
		same = memcmp(p->public_key, peers[i].public_key, 32) == 0 &&
		       p->n_allowed_ips == naips &&
		       ntohs(p->endpoint.in6.sin6_port) == 1000 + i;
		for (size_t j = 0; same && j < naips; j++)
			same = aip_eq(&p->allowed_ips[j], &aips[i * naips + j]);
	}
	CHECK(same);
	nl_wg_device_clear(&dev);
	/* Too few messages allowed. */
	CHECK_EQ(nl_wg_build_set(msgs, 1, 0x20, 5, &cfg, &n), -EMSGSIZE);
	free(msgs);
	free(aips);
	free(peers);
}

/* A hand-made GET_DEVICE reply with one peer, with optional corruption. */
static struct nlmsghdr *wg_reply(int tweak)
{
	memset(buf, 0, sizeof(buf));
	struct nlmsghdr *nlh = nl_genl_put_header(buf, 0x20, 0, WG_CMD_GET_DEVICE, 1);
	uint8_t key[32];
	fill_key(key, 4);
	mnl_attr_put_u32(nlh, WGDEVICE_A_IFINDEX, 5);
	mnl_attr_put_strz(nlh, WGDEVICE_A_IFNAME, "wg0");
	if (tweak == 1) /* 31-byte key */
		mnl_attr_put(nlh, WGDEVICE_A_PUBLIC_KEY, 31, key);
	else
		mnl_attr_put(nlh, WGDEVICE_A_PUBLIC_KEY, 32, key);
	if (tweak == 2) /* port as u32 */
		mnl_attr_put_u32(nlh, WGDEVICE_A_LISTEN_PORT, 51820);
	else
		mnl_attr_put_u16(nlh, WGDEVICE_A_LISTEN_PORT, 51820);
	struct nlattr *ps = mnl_attr_nest_start(nlh, WGDEVICE_A_PEERS);
	struct nlattr *p = mnl_attr_nest_start(nlh, 0);
	if (tweak != 3) /* 3: peer without public key */
		mnl_attr_put(nlh, WGPEER_A_PUBLIC_KEY, 32, key);
	struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6, .sin6_port = htons(9) };
	if (tweak == 4) /* endpoint length of IPv4 with an IPv6 family */
		mnl_attr_put(nlh, WGPEER_A_ENDPOINT, sizeof(struct sockaddr_in), &sin6);
	else
		mnl_attr_put(nlh, WGPEER_A_ENDPOINT, sizeof(sin6), &sin6);
	int64_t ts[2] = { 1700000000, tweak == 5 ? 2000000000 : 5 };
	mnl_attr_put(nlh, WGPEER_A_LAST_HANDSHAKE_TIME, tweak == 6 ? 8 : sizeof(ts), ts);
	mnl_attr_put_u64(nlh, WGPEER_A_RX_BYTES, 1000);
	mnl_attr_put_u64(nlh, WGPEER_A_TX_BYTES, 2000);
	struct nlattr *as = mnl_attr_nest_start(nlh, WGPEER_A_ALLOWEDIPS);
	struct nlattr *a = mnl_attr_nest_start(nlh, 0);
	mnl_attr_put_u16(nlh, WGALLOWEDIP_A_FAMILY, AF_INET6);
	struct in6_addr ip = P("2001:db8::").addr.in6;
	mnl_attr_put(nlh, WGALLOWEDIP_A_IPADDR, tweak == 7 ? 4 : 16, &ip);
	mnl_attr_put_u8(nlh, WGALLOWEDIP_A_CIDR_MASK, tweak == 8 ? 129 : 32);
	mnl_attr_nest_end(nlh, a);
	if (tweak == 9) /* a list element that is not a nest */
		mnl_attr_put_u8(nlh, 1, 0);
	mnl_attr_nest_end(nlh, as);
	mnl_attr_nest_end(nlh, p);
	mnl_attr_nest_end(nlh, ps);
	return nlh;
}

static void test_wg_parse_bad(void)
{
	struct nl_wg_device dev = {};
	CHECK_EQ(nl_wg_parse_device(wg_reply(0), &dev), 0);
	CHECK(dev.ifindex == 5 && strcmp(dev.name, "wg0") == 0 && dev.listen_port == 51820);
	CHECK(!dev.has_private_key && dev.n_peers == 1);
	if (dev.n_peers == 1) {
		const struct nl_wg_peer *p = &dev.peers[0];
		CHECK(p->last_handshake.tv_sec == 1700000000 && p->last_handshake.tv_nsec == 5);
		CHECK(p->rx_bytes == 1000 && p->tx_bytes == 2000);
		CHECK(p->endpoint.sa.sa_family == AF_INET6 && ntohs(p->endpoint.in6.sin6_port) == 9);
		CHECK(p->n_allowed_ips == 1 && p->allowed_ips[0].cidr == 32);
	}
	/* The same message again continues the last peer (kernel split). */
	CHECK_EQ(nl_wg_parse_device(wg_reply(0), &dev), 0);
	CHECK(dev.n_peers == 1 && dev.peers[0].n_allowed_ips == 2);
	nl_wg_device_clear(&dev);

	for (int t = 1; t <= 9; t++) {
		CHECK_EQ(nl_wg_parse_device(wg_reply(t), &dev), -EBADMSG);
		nl_wg_device_clear(&dev);
	}
	struct nlmsghdr *nlh = wg_reply(0);
	uint32_t full = nlh->nlmsg_len;
	unsigned ok = 0;
	for (uint32_t len = 0; len < full; len++) {
		nlh = wg_reply(0);
		struct nlmsghdr *cut = malloc(MAX(len, (uint32_t)sizeof(*cut)));
		memcpy(cut, nlh, MAX(len, (uint32_t)sizeof(*cut)));
		cut->nlmsg_len = len;
		if (nl_wg_parse_device(cut, &dev) == 0)
			ok++;
		nl_wg_device_clear(&dev);
		free(cut);
	}
	/* Only cuts after whole top-level attributes (before PEERS) parse:
	 * after the genl header, IFINDEX, IFNAME (and 2 padding bytes),
	 * PUBLIC_KEY, LISTEN_PORT (and its 2 padding bytes). */
	CHECK_EQ(ok, 7);
}

static void test_gre(void)
{
	struct nl_gre_config c = {
		.family = AF_INET, .ttl = 64, .has_ikey = true, .ikey = 0x01020304,
		.has_okey = true, .okey = 7, .link = 2, .mtu = 1400,
		.encap = NL_GRE_ENCAP_FOU, .encap_sport = 0, .encap_dport = 5555,
		.encap_csum = true };
	inet_pton(AF_INET, "192.0.2.1", &c.local);
	inet_pton(AF_INET, "192.0.2.2", &c.remote);
	struct nlmsghdr *nlh;
	struct nl_gre_config back;
	CHECK_EQ(nl_gre_build(buf, sizeof(buf), "gre1", 0, &c, &nlh), 0);
	CHECK(nlh->nlmsg_flags & NLM_F_CREATE);
	CHECK_EQ(nl_gre_parse(nlh, &back), 0);
	CHECK(gre_eq(&back, &c));

	struct nl_gre_config c6 = { .family = AF_INET6, .encap = NL_GRE_ENCAP_GUE,
				    .encap_sport = 1000, .encap_dport = 6000 };
	inet_pton(AF_INET6, "2001:db8::1", &c6.local);
	inet_pton(AF_INET6, "2001:db8::2", &c6.remote);
	CHECK_EQ(nl_gre_build(buf, sizeof(buf), NULL, 12, &c6, &nlh), 0);
	CHECK(!(nlh->nlmsg_flags & NLM_F_CREATE));
	CHECK(((struct ifinfomsg *)mnl_nlmsg_get_payload(nlh))->ifi_index == 12);
	CHECK_EQ(nl_gre_parse(nlh, &back), 0);
	CHECK(gre_eq(&back, &c6));

	c6.family = AF_UNIX;
	CHECK_EQ(nl_gre_build(buf, sizeof(buf), "x", 0, &c6, &nlh), -EINVAL);
	c6.family = AF_INET6;
	CHECK_EQ(nl_gre_build(buf, sizeof(buf), NULL, 0, &c6, &nlh), -EINVAL);
	/* A link that is not GRE. */
	CHECK_EQ(nl_gre_parse(link_reply(0), &back), -EMEDIUMTYPE);
	/* Truncated message: never accepted with an IPv4 address of 3 bytes. */
	CHECK_EQ(nl_gre_build(buf, sizeof(buf), "gre1", 0, &c, &nlh), 0);
	uint32_t full = nlh->nlmsg_len;
	for (uint32_t len = 0; len < full; len++) {
		nlh->nlmsg_len = len;
		int r = nl_gre_parse(nlh, &back);
		if (r != -EBADMSG && r != -EMEDIUMTYPE) {
			CHECK_EQ(r, -EBADMSG);
			break;
		}
	}
}

static void test_fou(void)
{
	struct nl_fou_port p = { .family = AF_INET6, .port = 5555, .ipproto = 47,
				 .type = NL_FOU_DIRECT }, back;
	struct nlmsghdr *nlh;
	CHECK_EQ(nl_fou_build(buf, sizeof(buf), 0x21, FOU_CMD_ADD, &p, &nlh), 0);
	CHECK_EQ(nl_fou_parse(nlh, &back), 0);
	CHECK(fou_eq(&back, &p));
	p.type = NL_FOU_GUE;
	p.ipproto = 0;
	CHECK_EQ(nl_fou_build(buf, sizeof(buf), 0x21, FOU_CMD_DEL, &p, &nlh), 0);
	CHECK_EQ(nl_fou_parse(nlh, &back), 0);
	CHECK(fou_eq(&back, &p));
	CHECK_EQ(nl_fou_build(buf, sizeof(buf), 0x21, FOU_CMD_GET, NULL, &nlh), 0);
	CHECK(nlh->nlmsg_flags & NLM_F_DUMP);
	CHECK_EQ(nl_fou_parse(nlh, &back), -EBADMSG);
	p.port = 0;
	CHECK_EQ(nl_fou_build(buf, sizeof(buf), 0x21, FOU_CMD_ADD, &p, &nlh), -EINVAL);
}

static void test_addr(void)
{
	struct nl_prefix p = P("2001:db8::5/64");
	struct nlmsghdr *nlh;
	struct nl_addr_entry e;
	CHECK_EQ(nl_addr_build(buf, sizeof(buf), RTM_NEWADDR, 4, &p,
			       NL_ADDR_NODAD | NL_ADDR_NOPREFIXROUTE, &nlh), 0);
	CHECK_EQ(nl_addr_parse(nlh, &e), 0);
	CHECK(e.ifindex == 4 && prefix_eq(&e.prefix, &p));
	CHECK(e.flags == (IFA_F_NODAD | IFA_F_NOPREFIXROUTE));
	p = P("10.0.0.1/8");
	CHECK_EQ(nl_addr_build(buf, sizeof(buf), RTM_DELADDR, 4, &p, 0, &nlh), 0);
	CHECK_EQ(nl_addr_parse(nlh, &e), 0);
	CHECK(e.prefix.family == AF_INET && e.prefix.len == 8 && e.flags == 0);
	p.len = 40;
	CHECK_EQ(nl_addr_build(buf, sizeof(buf), RTM_NEWADDR, 4, &p, 0, &nlh), -EINVAL);
	p.len = 8;
	CHECK_EQ(nl_addr_build(buf, sizeof(buf), RTM_NEWADDR, 0, &p, 0, &nlh), -ENODEV);
	/* Mistyped reply: address of the wrong length. */
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_NEWADDR;
	struct ifaddrmsg *ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = AF_INET6;
	ifa->ifa_prefixlen = 64;
	mnl_attr_put_u32(nlh, IFA_ADDRESS, 0);
	CHECK_EQ(nl_addr_parse(nlh, &e), -EBADMSG);
}

static void test_route(void)
{
	struct nl_route r = { .family = AF_INET6, .dst = P("2001:db8:1::/48"),
			      .src = P("2001:db8:2::/48"), .ifindex = 3, .has_gateway = true,
			      .table = 1000, .metric = 77, .protocol = 42 };
	r.gateway.in6 = P("fe80::1").addr.in6;
	struct nlmsghdr *nlh;
	struct nl_route back;
	CHECK_EQ(nl_route_build(buf, sizeof(buf), RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL, &r, &nlh), 0);
	CHECK_EQ(nl_route_parse(nlh, &back), 0);
	CHECK(route_eq(&back, &r));
	CHECK(((struct rtmsg *)mnl_nlmsg_get_payload(nlh))->rtm_src_len == 48);

	struct nl_route u = { .family = AF_INET6, .dst = P("2001:db8::/32"),
			      .type = NL_ROUTE_UNREACHABLE };
	CHECK_EQ(nl_route_build(buf, sizeof(buf), RTM_NEWROUTE, NLM_F_CREATE | NLM_F_REPLACE, &u, &nlh), 0);
	CHECK_EQ(nl_route_parse(nlh, &back), 0);
	CHECK(back.type == NL_ROUTE_UNREACHABLE && back.table == RT_TABLE_MAIN &&
	      back.protocol == RTPROT_STATIC && back.ifindex == 0 && back.dst.len == 32);

	struct nl_route d4 = { .family = AF_INET, .dst = P("0.0.0.0/0"), .ifindex = 2 };
	CHECK_EQ(nl_route_build(buf, sizeof(buf), RTM_NEWROUTE, 0, &d4, &nlh), 0);
	CHECK(((struct rtmsg *)mnl_nlmsg_get_payload(nlh))->rtm_scope == RT_SCOPE_LINK);
	CHECK_EQ(nl_route_parse(nlh, &back), 0);
	CHECK(back.dst.len == 0 && back.ifindex == 2);

	struct nl_route bad = d4;
	bad.src = P("10.0.0.0/8"); /* from-routes are IPv6 only */
	CHECK_EQ(nl_route_build(buf, sizeof(buf), RTM_NEWROUTE, 0, &bad, &nlh), -EINVAL);
	bad = d4;
	bad.ifindex = 0; /* unicast needs a device or a gateway */
	CHECK_EQ(nl_route_build(buf, sizeof(buf), RTM_NEWROUTE, 0, &bad, &nlh), -EINVAL);
	bad = r;
	bad.dst = P("10.0.0.0/8"); /* family mismatch */
	CHECK_EQ(nl_route_build(buf, sizeof(buf), RTM_NEWROUTE, 0, &bad, &nlh), -EINVAL);

	/* Reply with a dst_len but no RTA_DST, and with a short gateway. */
	CHECK_EQ(nl_route_build(buf, sizeof(buf), RTM_NEWROUTE, 0, &r, &nlh), 0);
	((struct rtmsg *)mnl_nlmsg_get_payload(nlh))->rtm_dst_len = 200;
	CHECK_EQ(nl_route_parse(nlh, &back), -EBADMSG);
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_NEWROUTE;
	struct rtmsg *rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = AF_INET6;
	rtm->rtm_type = RTN_UNICAST;
	mnl_attr_put_u32(nlh, RTA_GATEWAY, 0);
	CHECK_EQ(nl_route_parse(nlh, &back), -EBADMSG);
	rtm->rtm_type = RTN_LOCAL;
	CHECK_EQ(nl_route_parse(nlh, &back), -EMEDIUMTYPE);
}

static const struct nlattr *tc_attr(const struct nlmsghdr *nlh, uint16_t type)
{
	static const struct nl_policy pol[TCA_MAX + 1] = {
		[TCA_KIND] = { MNL_TYPE_NUL_STRING, 0 }, [TCA_OPTIONS] = { MNL_TYPE_BINARY, 0 } };
	const struct nlattr *tb[TCA_MAX + 1] = {};
	if (nl_parse_msg(nlh, sizeof(struct tcmsg), pol, TCA_MAX, tb) < 0)
		return NULL;
	return tb[type];
}

static void test_tc(void)
{
	struct nlmsghdr *nlh;
	CHECK_EQ(nl_tc_build_prio(buf, sizeof(buf), 3, &nlh), 0);
	const struct tcmsg *t = mnl_nlmsg_get_payload(nlh);
	CHECK(t->tcm_ifindex == 3 && t->tcm_handle == 0x10000 && t->tcm_parent == TC_H_ROOT);
	const struct nlattr *k = tc_attr(nlh, TCA_KIND), *o = tc_attr(nlh, TCA_OPTIONS);
	CHECK(k && strcmp(mnl_attr_get_str(k), "prio") == 0);
	CHECK(o && mnl_attr_get_payload_len(o) == sizeof(struct tc_prio_qopt));
	if (o) {
		const struct tc_prio_qopt *q = mnl_attr_get_payload(o);
		bool all0 = true;
		for (int i = 0; i <= TC_PRIO_MAX; i++)
			all0 = all0 && q->priomap[i] == 0;
		CHECK(q->bands == 3 && all0);
	}

	CHECK_EQ(nl_tc_build_netem(buf, sizeof(buf), 3, 250, &nlh), 0);
	t = mnl_nlmsg_get_payload(nlh);
	CHECK(t->tcm_handle == 0x20000 && t->tcm_parent == 0x10002);
	k = tc_attr(nlh, TCA_KIND);
	o = tc_attr(nlh, TCA_OPTIONS);
	CHECK(k && strcmp(mnl_attr_get_str(k), "netem") == 0);
	CHECK(o && !(o->nla_type & NLA_F_NESTED));
	if (o) {
		const struct tc_netem_qopt *q = mnl_attr_get_payload(o);
		CHECK(q->limit == 1000 && q->latency == 250000000 >> 6);
		static const struct nl_policy npol[TCA_NETEM_MAX + 1] = {
			[TCA_NETEM_LATENCY64] = { MNL_TYPE_U64, 0 } };
		const struct nlattr *tb[TCA_NETEM_MAX + 1] = {};
		size_t off = MNL_ALIGN(sizeof(*q));
		CHECK_EQ(nl_parse_attrs((const uint8_t *)q + off, mnl_attr_get_payload_len(o) - off,
					npol, TCA_NETEM_MAX, tb), 0);
		CHECK(tb[TCA_NETEM_LATENCY64] &&
		      mnl_attr_get_u64(tb[TCA_NETEM_LATENCY64]) == 250000000ull);
	}

	CHECK_EQ(nl_tc_build_filter(buf, sizeof(buf), 3, &nlh), 0);
	t = mnl_nlmsg_get_payload(nlh);
	CHECK(t->tcm_parent == 0x10000 && TC_H_MAJ(t->tcm_info) == 1u << 16 &&
	      TC_H_MIN(t->tcm_info) == htons(0x86DD));
	k = tc_attr(nlh, TCA_KIND);
	o = tc_attr(nlh, TCA_OPTIONS);
	CHECK(k && strcmp(mnl_attr_get_str(k), "u32") == 0);
	if (o) {
		static const struct nl_policy upol[TCA_U32_MAX + 1] = {
			[TCA_U32_CLASSID] = { MNL_TYPE_U32, 0 },
			[TCA_U32_SEL] = { MNL_TYPE_BINARY,
					  sizeof(struct tc_u32_sel) + 2 * sizeof(struct tc_u32_key) } };
		const struct nlattr *tb[TCA_U32_MAX + 1] = {};
		CHECK_EQ(nl_parse_nested(o, upol, TCA_U32_MAX, tb), 0);
		CHECK(tb[TCA_U32_CLASSID] && mnl_attr_get_u32(tb[TCA_U32_CLASSID]) == 0x10002);
		if (tb[TCA_U32_SEL]) {
			const struct tc_u32_sel *s = mnl_attr_get_payload(tb[TCA_U32_SEL]);
			CHECK(s->nkeys == 2 && (s->flags & TC_U32_TERMINAL));
			/* A babel packet: IPv6, UDP, dport 6696. */
			uint8_t pkt[48] = { 0x60 };
			pkt[6] = 17;
			pkt[42] = 6696 >> 8;
			pkt[43] = 6696 & 0xff;
			bool match = true;
			for (int i = 0; i < s->nkeys; i++) {
				uint32_t w;
				memcpy(&w, pkt + s->keys[i].off, 4);
				match = match && (w & s->keys[i].mask) == s->keys[i].val;
			}
			CHECK(match);
			pkt[43]++; /* other port: no match */
			uint32_t w;
			memcpy(&w, pkt + s->keys[1].off, 4);
			CHECK((w & s->keys[1].mask) != s->keys[1].val);
		} else
			CHECK(!"no TCA_U32_SEL");
	} else
		CHECK(!"no TCA_OPTIONS");

	CHECK_EQ(nl_tc_build_del_root(buf, sizeof(buf), 3, &nlh), 0);
	CHECK(nlh->nlmsg_type == RTM_DELQDISC);
	CHECK_EQ(nl_tc_build_del_root(buf, sizeof(buf), 0, &nlh), -ENODEV);
}

static void test_extack_and_attrs(void)
{
	/* NLMSG_ERROR with a capped echo and an extack message. */
	memset(buf, 0, sizeof(buf));
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = NLMSG_ERROR;
	nlh->nlmsg_flags = NLM_F_CAPPED | NLM_F_ACK_TLVS;
	struct nlmsgerr *e = mnl_nlmsg_put_extra_header(nlh, sizeof(*e));
	e->error = -EEXIST;
	e->msg.nlmsg_len = 100;
	mnl_attr_put_strz(nlh, NLMSGERR_ATTR_MSG, "Link already exists");
	mnl_attr_put_u32(nlh, NLMSGERR_ATTR_OFFS, 20);
	char msg[64] = "";
	CHECK_EQ(nl_parse_extack(nlh, msg, sizeof(msg)), 0);
	CHECK(strcmp(msg, "Link already exists") == 0);
	/* Message not NUL-terminated: rejected. */
	struct nlattr *a = mnl_nlmsg_get_payload_offset(nlh, sizeof(*e));
	((char *)mnl_attr_get_payload(a))[mnl_attr_get_payload_len(a) - 1] = 'x';
	CHECK_EQ(nl_parse_extack(nlh, msg, sizeof(msg)), -EBADMSG);
	/* Uncapped: the request echo comes first. */
	memset(buf, 0, sizeof(buf));
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = NLMSG_ERROR;
	nlh->nlmsg_flags = NLM_F_ACK_TLVS;
	e = mnl_nlmsg_put_extra_header(nlh, sizeof(*e) + 8);
	e->error = -EINVAL;
	e->msg.nlmsg_len = sizeof(struct nlmsghdr) + 8;
	mnl_attr_put_strz(nlh, NLMSGERR_ATTR_MSG, "bad");
	msg[0] = '\0';
	CHECK_EQ(nl_parse_extack(nlh, msg, sizeof(msg)), 0);
	CHECK(strcmp(msg, "bad") == 0);
	/* Short error message. */
	nlh->nlmsg_len = MNL_NLMSG_HDRLEN + 4;
	CHECK_EQ(nl_parse_extack(nlh, msg, sizeof(msg)), -EBADMSG);

	/* Raw attribute streams. */
	static const struct nl_policy pol[3] = { [1] = { MNL_TYPE_U32, 0 },
						 [2] = { MNL_TYPE_BINARY, 4 } };
	const struct nlattr *tb[3];
	uint8_t raw[32] = {};
	struct nlattr *h = (void *)raw;
	h->nla_len = 8;
	h->nla_type = 1;
	memset(tb, 0, sizeof(tb));
	CHECK_EQ(nl_parse_attrs(raw, 8, pol, 2, tb), 0);
	CHECK(tb[1] != NULL);
	CHECK_EQ(nl_parse_attrs(raw, 10, pol, 2, tb), -EBADMSG); /* trailing bytes */
	h->nla_len = 2;
	CHECK_EQ(nl_parse_attrs(raw, 8, pol, 2, tb), -EBADMSG); /* len below header */
	h->nla_len = 12;
	CHECK_EQ(nl_parse_attrs(raw, 8, pol, 2, tb), -EBADMSG); /* overrun */
	h->nla_len = 7;
	CHECK_EQ(nl_parse_attrs(raw, 8, pol, 2, tb), -EBADMSG); /* short u32 */
	h->nla_type = 2;
	h->nla_len = 9;
	CHECK_EQ(nl_parse_attrs(raw, 12, pol, 2, tb), -EBADMSG); /* binary of 5 */
	h->nla_type = 9; /* unknown: skipped whatever its length */
	memset(tb, 0, sizeof(tb));
	CHECK_EQ(nl_parse_attrs(raw, 12, pol, 2, tb), 0);
	CHECK(!tb[1] && !tb[2]);

	/* Generic netlink family resolution reply. */
	nlh = nl_genl_put_header(buf, GENL_ID_CTRL, 0, CTRL_CMD_NEWFAMILY, 1);
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, "wireguard");
	mnl_attr_put_u16(nlh, CTRL_ATTR_FAMILY_ID, 0x1b);
	uint16_t id = 0;
	CHECK_EQ(nl_parse_family_id(nlh, &id), 0);
	CHECK(id == 0x1b);
	CHECK_EQ(nl_build_getfamily(buf, sizeof(buf), "fou", &nlh), 0);
	CHECK_EQ(nl_parse_family_id(nlh, &id), -EBADMSG);
}

/* Requests that need no privilege: read-only dumps of this namespace. */
static void test_host_readonly(void)
{
	_cleanup_(nl_sock_freep) struct nl_sock *s = NULL;
	CHECK_EQ(nl_sock_open(&s), 0);
	if (!s)
		return;
	int lo = 0;
	CHECK_EQ(nl_link_ifindex(s, "lo", &lo), 0);
	CHECK(lo > 0);
	struct nl_link_info l;
	CHECK_EQ(nl_link_get(s, lo, &l), 0);
	CHECK(strcmp(l.name, "lo") == 0 && (l.flags & IFF_LOOPBACK));
	int x;
	CHECK_EQ(nl_link_ifindex(s, "no-such-if0", &x), -ENODEV);
	CHECK_EQ(nl_link_get(s, 999999, &l), -ENODEV);
	_cleanup_free_ struct nl_link_info *v = NULL;
	size_t n = 0;
	CHECK_EQ(nl_link_dump(s, &v, &n), 0);
	bool found = false;
	for (size_t i = 0; i < n; i++)
		found = found || v[i].ifindex == lo;
	CHECK(found);
	_cleanup_free_ struct nl_route *rv = NULL;
	CHECK_EQ(nl_route_list(s, AF_INET6, 0, &rv, &n), 0);
	_cleanup_free_ struct nl_addr_entry *av = NULL;
	CHECK_EQ(nl_addr_list(s, lo, AF_UNSPEC, &av, &n), 0);
}

int main(void)
{
	test_strings();
	test_link();
	test_link_parse_bad();
	test_link_stats();
	test_wg_small();
	test_wg_split(300, 5);   /* many peers */
	test_wg_split(2, 1000);  /* allowed IPs of one peer span messages */
	test_wg_parse_bad();
	test_gre();
	test_fou();
	test_addr();
	test_route();
	test_tc();
	test_extack_and_attrs();
	test_host_readonly();
	return check_summary();
}
