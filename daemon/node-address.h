/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * node-address.h - the "address" module: the node's address (with its
 * prefix length) on the main interface, the network's unreachable route,
 * and the IPv4 payload of the network configuration (address, subnet route,
 * unreachable route). All through daemon/objects.h (journaled).
 */
#ifndef RE6ST_DAEMON_NODE_ADDRESS_H
#define RE6ST_DAEMON_NODE_ADDRESS_H

struct ctx;

int address_mod_init(struct ctx *c);
void address_mod_fini(struct ctx *c);

#endif
