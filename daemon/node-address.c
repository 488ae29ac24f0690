/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The "address" module: the node's addresses and unreachable routes (node-address.h). */
#include <arpa/inet.h>
#include <inttypes.h>

#include "addr.h"
#include "ctx.h"
#include "fileio.h"
#include "log.h"
#include "netconf.h"
#include "node-address.h"
#include "objects.h"
#include "route.h"

/* ---- the node's address and the network's unreachable route ------------------ */

static void node_routes(struct ctx *c, struct nl_prefix *ret_addr, struct nl_route *ret_unreach)
{
	*ret_addr = (struct nl_prefix){ .family = AF_INET6, .len = c->prefix.len };
	memcpy(&ret_addr->addr.in6, c->addr, 16);
	*ret_unreach = (struct nl_route){ .family = AF_INET6, .type = NL_ROUTE_UNREACHABLE };
	ret_unreach->dst = (struct nl_prefix){ .family = AF_INET6, .len = c->network.len };
	memcpy(&ret_unreach->dst.addr.in6, c->network.addr, 16);
}

/*
 * A node is a router: the mesh needs it to forward for others. Forwarding
 * is the host's setting (turning it on makes interfaces configured by
 * router advertisements need accept_ra=2), so only say when it is off.
 */
static void check_forwarding(const char *path, const char *what)
{
	_cleanup_free_ char *v = NULL;
	size_t len;
	if (read_file_full(path, 16, &v, &len) >= 0 && len && v[0] == '0')
		log_warning("%s forwarding is off (%s = 0): this node will not carry traffic for "
			    "others; set it to 1 (and accept_ra=2 on interfaces configured by router "
			    "advertisements)", what, path);
}

/*
 * IPv4 payload (network configuration's --ipv4 NET/N SUBLEN): the node's
 * subnet (the subject-serial-th /SUBLEN, lib/netconf.h) routed to the main
 * interface, which babeld redistributes; the first host of it as a /32 on
 * that interface; and NET/N unreachable like the IPv6 network.
 */
static int node_routes4(struct ctx *c, struct nl_prefix *ret_addr, struct nl_route *ret_subnet,
			struct nl_route *ret_unreach)
{
	uint8_t sub[4], a[4];
	int r = netconf_node_ipv4(c->netconf, c->cert.subject_serial, sub, a);
	if (r < 0)
		return r;
	*ret_addr = (struct nl_prefix){ .family = AF_INET, .len = 32 };
	memcpy(&ret_addr->addr.in, a, 4);
	*ret_subnet = (struct nl_route){ .family = AF_INET, .ifindex = c->main_ifindex };
	ret_subnet->dst = (struct nl_prefix){ .family = AF_INET, .len = c->netconf->ipv4_sublen };
	memcpy(&ret_subnet->dst.addr.in, sub, 4);
	*ret_unreach = (struct nl_route){ .family = AF_INET, .type = NL_ROUTE_UNREACHABLE };
	ret_unreach->dst = (struct nl_prefix){ .family = AF_INET, .len = c->netconf->ipv4_len };
	memcpy(&ret_unreach->dst.addr.in, c->netconf->ipv4_net, 4);
	return 0;
}

static int address4_init(struct ctx *c)
{
	struct nl_prefix a;
	struct nl_route sub, u;
	char b[INET6_ADDRSTRLEN + 8];
	int r = node_routes4(c, &a, &sub, &u);
	if (r == -ENOENT)
		return 0;
	check_forwarding("/proc/sys/net/ipv4/ip_forward", "IPv4");
	if (r < 0)
		return log_errno(LOG_ERR, r, "IPv4 payload: subject serial %" PRIu32
				 " is beyond the network's IPv4 subnets", c->cert.subject_serial);
	nl_prefix_to_string(&a, b, sizeof(b));
	r = obj_addr_add(c, c->opt.main_interface, &a, 0);
	if (r < 0 && r != -EEXIST)
		return log_errno(LOG_ERR, r, "cannot add %s to %s: %s", b, c->opt.main_interface,
				 nl_last_error(c->nl));
	r = obj_route_add(c, &sub, c->opt.main_interface);
	if (r < 0 && r != -EEXIST)
		return log_errno(LOG_ERR, r, "cannot route the IPv4 subnet to %s: %s",
				 c->opt.main_interface, nl_last_error(c->nl));
	r = obj_route_add(c, &u, NULL);
	if (r < 0 && r != -EEXIST)
		return log_errno(LOG_ERR, r, "cannot add the IPv4 unreachable route: %s",
				 nl_last_error(c->nl));
	log_info("IPv4 payload: %s, subnet routed to %s", b, c->opt.main_interface);
	return 0;
}

static void address4_fini(struct ctx *c)
{
	struct nl_prefix a;
	struct nl_route sub, u;
	if (node_routes4(c, &a, &sub, &u) < 0)
		return;
	if (obj_route_delete(c, &u, NULL) < 0)
		log_warning("cannot remove the IPv4 unreachable route");
	if (obj_route_delete(c, &sub, c->opt.main_interface) < 0)
		log_warning("cannot remove the IPv4 subnet route");
	if (obj_addr_delete(c, c->opt.main_interface, &a) < 0)
		log_warning("cannot remove the IPv4 payload address from %s", c->opt.main_interface);
}

int address_mod_init(struct ctx *c)
{
	struct nl_prefix a;
	struct nl_route u;
	node_routes(c, &a, &u);
	check_forwarding("/proc/sys/net/ipv6/conf/all/forwarding", "IPv6");
	/*
	 * The address carries the node prefix's length: the kernel's prefix
	 * route on the main interface is what babeld redistributes.
	 */
	int r = obj_addr_add(c, c->opt.main_interface, &a, NL_ADDR_NODAD);
	if (r < 0 && r != -EEXIST)
		return log_errno(LOG_ERR, r, "cannot add %s/%u to %s: %s", c->addr_str, a.len,
				 c->opt.main_interface, nl_last_error(c->nl));
	/* Packets for the network that babel has no route for are refused
	 * here rather than leaked to the default route. */
	r = obj_route_add(c, &u, NULL);
	if (r < 0 && r != -EEXIST)
		return log_errno(LOG_ERR, r, "cannot add unreachable route %s: %s", c->network_str,
				 nl_last_error(c->nl));
	return address4_init(c);
}

void address_mod_fini(struct ctx *c)
{
	struct nl_prefix a;
	struct nl_route u;
	address4_fini(c);
	node_routes(c, &a, &u);
	int r = obj_route_delete(c, &u, NULL);
	if (r < 0)
		log_errno(LOG_WARNING, r, "cannot remove unreachable route %s", c->network_str);
	r = obj_addr_delete(c, c->opt.main_interface, &a);
	if (r < 0)
		log_errno(LOG_WARNING, r, "cannot remove %s from %s", c->addr_str,
			  c->opt.main_interface);
}

