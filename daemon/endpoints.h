/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * endpoints.h - what the node advertises: its underlay endpoints
 * "ip,port,type[,country];..." (lib/peerproto.h), one per address and
 * offered tunnel type, every port the peer-protocol port.
 *
 * The addresses are the literal --ip ones, then the IPv4 and IPv6 public
 * addresses learned from the UPnP gateway or from what peers saw
 * (endpoints_learn()). The types are the node's --tunnel-type list as far
 * as the network configuration allows. When the list changes (a new
 * address learned, a configuration changing the allowed types) the module
 * posts EV_ENDPOINTS (daemon/events.h): the registry link announces it.
 */
#ifndef RE6ST_DAEMON_ENDPOINTS_H
#define RE6ST_DAEMON_ENDPOINTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tunnel-type.h"

struct ctx;
struct endpoints;

/* Module hooks: needs c->events; c->netconf may change later. */
int endpoints_init(struct ctx *c);
void endpoints_fini(struct ctx *c);

/* A public address of ours (UPnP gateway, a peer's view). e may be NULL. */
void endpoints_learn(struct endpoints *e, int family, const uint8_t addr[16], uint16_t port);
/* The learned address of that family into ret (16 bytes): true if any. */
bool endpoints_learned(const struct endpoints *e, int family, uint8_t ret[16]);

/* Our endpoint list into buf (NUL-terminated; "" when none). 0 or -ENOSPC. */
int endpoints_format(const struct endpoints *e, char *buf, size_t size);

/* The PP_TUNNEL_* types the node offers, by preference. Returns the count. */
size_t endpoints_offered(const struct ctx *c, uint8_t ret[TUNNEL_TYPE_COUNT]);

#endif
