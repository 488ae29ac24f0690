/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * upnp.h - port mappings on a UPnP Internet Gateway Device (miniupnpc).
 *
 * Used with `--ip upnp`, or by default when no --ip is given and a gateway
 * answers the discovery. The peer-protocol port and the WireGuard server
 * ports (as many as max-clients, from the start of --wg-port-range) are
 * mapped UDP, external port = internal port, with a one-hour lease renewed
 * every 30 minutes; the gateway's external IPv4 address becomes one of the
 * node's advertised endpoints (tunnel_learn_address()). Mappings are
 * removed at exit.
 *
 * miniupnpc is blocking: discovery waits up to 1 s, once, at start-up;
 * each SOAP call to the LAN gateway takes milliseconds.
 */
#ifndef RE6ST_DAEMON_UPNP_H
#define RE6ST_DAEMON_UPNP_H

struct ctx;
struct upnp;

/* Module hooks. A missing gateway is not an error (0, logged) unless
 * --ip upnp was given explicitly (still 0: the node runs unreachable, but
 * logged as a warning). */
int upnp_init(struct ctx *c);
void upnp_fini(struct ctx *c);

/* The gateway's external address while ports are mapped, else NULL. */
const char *upnp_external_address(const struct upnp *u);

#endif
