/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Writes the seed corpora of the netlink fuzz targets from the library's
 * own builders (whose output has the layout of the kernel's replies):
 *   gen-nl-corpus test/fuzz/corpus
 */
#include "nl-internal.h"

#include <arpa/inet.h>
#include <linux/fou.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <sys/stat.h>

static uint8_t buf[16 * NL_MSG_SIZE];

static int write_seed(const char *dir, const char *target, const char *name, const void *data,
		      size_t len)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s", dir, target);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/%s/%s", dir, target, name);
	_cleanup_fclose_ FILE *f = fopen(path, "we");
	if (!f || fwrite(data, 1, len, f) != len)
		return -1;
	return 0;
}

static int seed_msg(const char *dir, const char *target, const char *name, int r,
		    const struct nlmsghdr *nlh)
{
	if (r < 0) {
		fprintf(stderr, "%s: %s\n", name, strerror(-r));
		return -1;
	}
	return write_seed(dir, target, name, nlh, nlh->nlmsg_len);
}

/* Pack the messages of a split build back to back, as a dump arrives. */
static int seed_wg(const char *dir, const char *name, const struct nl_wg_device_config *cfg)
{
	size_t n;
	if (nl_wg_build_set(buf, 16, 0x20, 5, cfg, &n) < 0)
		return -1;
	static uint8_t out[sizeof(buf)];
	size_t len = 0;
	for (size_t i = 0; i < n; i++) {
		const struct nlmsghdr *nlh = (const void *)(buf + i * NL_MSG_SIZE);
		memcpy(out + len, nlh, nlh->nlmsg_len);
		len += MNL_ALIGN(nlh->nlmsg_len);
	}
	return write_seed(dir, "netlink-wg", name, out, len);
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s CORPUS_ROOT\n", argv[0]);
		return 2;
	}
	const char *dir = argv[1];
	int fails = 0, r;
	struct nlmsghdr *nlh = NULL;

	r = nl_link_build_create(buf, NL_MSG_SIZE, "wg0", "wireguard", 1420, &nlh);
	fails += seed_msg(dir, "netlink-rtnl", "link-create", r, nlh);
	((struct ifinfomsg *)mnl_nlmsg_get_payload(nlh))->ifi_index = 4;
	fails += write_seed(dir, "netlink-rtnl", "link-reply", nlh, nlh->nlmsg_len);
	r = nl_link_build_veth(buf, NL_MSG_SIZE, "va", "vb", 3, &nlh);
	fails += seed_msg(dir, "netlink-rtnl", "veth", r, nlh);
	struct nl_gre_config g = { .family = AF_INET6, .ttl = 64, .has_ikey = true, .ikey = 5,
				   .encap = NL_GRE_ENCAP_FOU, .encap_dport = 5555 };
	inet_pton(AF_INET6, "2001:db8::2", &g.remote);
	r = nl_gre_build(buf, NL_MSG_SIZE, "g6", 0, &g, &nlh);
	fails += seed_msg(dir, "netlink-rtnl", "ip6gre", r, nlh);
	struct nl_prefix p;
	nl_prefix_from_string("2001:db8::1/64", &p);
	r = nl_addr_build(buf, NL_MSG_SIZE, RTM_NEWADDR, 3, &p, NL_ADDR_NODAD, &nlh);
	fails += seed_msg(dir, "netlink-rtnl", "addr", r, nlh);
	struct nl_route rt = { .family = AF_INET6, .ifindex = 3, .metric = 5 };
	nl_prefix_from_string("2001:db8:1::/48", &rt.dst);
	nl_prefix_from_string("2001:db8:2::/48", &rt.src);
	r = nl_route_build(buf, NL_MSG_SIZE, RTM_NEWROUTE, 0, &rt, &nlh);
	fails += seed_msg(dir, "netlink-rtnl", "route", r, nlh);
	struct nl_fou_port f = { .family = AF_INET, .port = 5555, .ipproto = 47,
				 .type = NL_FOU_DIRECT };
	r = nl_fou_build(buf, NL_MSG_SIZE, 0x21, FOU_CMD_ADD, &f, &nlh);
	fails += seed_msg(dir, "netlink-rtnl", "fou", r, nlh);
	memset(buf, 0, NL_MSG_SIZE);
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_NEWSTATS;
	struct if_stats_msg *ism = mnl_nlmsg_put_extra_header(nlh, sizeof(*ism));
	ism->ifindex = 4;
	ism->filter_mask = IFLA_STATS_FILTER_BIT(IFLA_STATS_LINK_64);
	struct rtnl_link_stats64 st64 = { .rx_packets = 3, .tx_packets = 4, .tx_dropped = 1 };
	mnl_attr_put(nlh, IFLA_STATS_LINK_64, sizeof(st64), &st64);
	fails += write_seed(dir, "netlink-rtnl", "link-stats", nlh, nlh->nlmsg_len);
	memset(buf, 0, NL_MSG_SIZE);
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = NLMSG_ERROR;
	nlh->nlmsg_flags = NLM_F_CAPPED | NLM_F_ACK_TLVS;
	struct nlmsgerr *e = mnl_nlmsg_put_extra_header(nlh, sizeof(*e));
	e->error = -EEXIST;
	e->msg.nlmsg_len = 64;
	mnl_attr_put_strz(nlh, NLMSGERR_ATTR_MSG, "Link already exists");
	fails += write_seed(dir, "netlink-rtnl", "extack", nlh, nlh->nlmsg_len);

	uint8_t key[NL_WG_KEY_LEN] = { 1, 2, 3 };
	struct nl_wg_allowed_ip aips[40];
	for (size_t i = 0; i < 40; i++) {
		aips[i] = (struct nl_wg_allowed_ip){ .family = i % 2 ? AF_INET : AF_INET6,
						     .cidr = i % 2 ? 32 : 128 };
		aips[i].addr.in6.s6_addr[3] = (uint8_t)i;
	}
	struct nl_wg_peer_config peers[3] = {};
	for (int i = 0; i < 3; i++) {
		peers[i].public_key[0] = (uint8_t)i;
		peers[i].allowed_ips = aips;
		peers[i].n_allowed_ips = i == 2 ? 40 : 2;
		peers[i].persistent_keepalive = 25;
	}
	nl_sockaddr_from_string("[2001:db8::1]:51820", &peers[0].endpoint);
	nl_sockaddr_from_string("192.0.2.1:51820", &peers[1].endpoint);
	struct nl_wg_device_config cfg = { .flags = NL_WG_SET_PRIVATE_KEY | NL_WG_SET_LISTEN_PORT,
					   .listen_port = 51820, .peers = peers, .n_peers = 3 };
	memcpy(cfg.private_key, key, sizeof(key));
	fails += seed_wg(dir, "device", &cfg);
	cfg.n_peers = 0;
	fails += seed_wg(dir, "empty", &cfg);
	/* A peer whose allowed IPs span several messages. */
	static struct nl_wg_allowed_ip many[600];
	for (size_t i = 0; i < 600; i++) {
		many[i] = (struct nl_wg_allowed_ip){ .family = AF_INET6, .cidr = 128 };
		many[i].addr.in6.s6_addr[14] = (uint8_t)(i >> 8);
		many[i].addr.in6.s6_addr[15] = (uint8_t)i;
	}
	peers[2].allowed_ips = many;
	peers[2].n_allowed_ips = 600;
	cfg.peers = peers + 2;
	cfg.n_peers = 1;
	fails += seed_wg(dir, "split", &cfg);
	return fails ? 1 : 0;
}
