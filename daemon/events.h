/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * events.h - typed events, the one way information goes up in re6stnet.
 *
 * A lower module posts an event; the modules above it subscribed to that
 * type at init. The payload is copied and delivered from the loop at its
 * next iteration, never from inside events_post(): a subscriber may post,
 * send or free anything, and the poster never runs code of the modules
 * above it (no re-entrancy). Events posted during a delivery are delivered
 * after every event queued before them, in posting order.
 *
 * The types and their payloads are listed here, so this header is the map
 * of what goes up. A payload is a plain struct (no pointers to the poster's
 * memory) or nothing.
 */
#ifndef RE6ST_DAEMON_EVENTS_H
#define RE6ST_DAEMON_EVENTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "macro.h"
#include "prefix.h"

struct loop;
struct events;

enum event_type {
	/* A newer signed network configuration was adopted (netconf-store).
	 * Payload: struct ev_netconf. */
	EV_NETCONF,
	/* The babel HMAC keys changed (netconf-store). No payload. */
	EV_HMAC,
	/* A peer's certificate is revoked by the current configuration (peer,
	 * netconf-store). Payload: struct ev_prefix. */
	EV_PEER_REVOKED,
	/* What the node advertises changed (tunnel endpoints, UPnP address). No
	 * payload. */
	EV_ENDPOINTS,
	/* An external address of ours was learned (UPnP, a peer's view).
	 * Payload: struct ev_address. */
	EV_ADDRESS,
	/* babel gained or lost a route (not a metric change): tunnel
	 * candidates may have changed (babel-conf, events_post_once()). No
	 * payload. */
	EV_ROUTES,
	/* A tunnel's life (tunnel manager): up, down, chosen for rotation,
	 * drained, destroyed after the drain limit. Posted only while someone
	 * listens (events_wanted()). Payload: struct ev_tunnel. */
	EV_TUNNEL,
	/* One line of babeld's monitor stream: a route or a neighbour added,
	 * changed or flushed (babel-conf). Posted only while wanted. Payload:
	 * struct ev_babel. */
	EV_BABEL,
	EV__COUNT
};

struct ev_netconf {
	uint64_t version;
};

struct ev_prefix {
	struct re6st_prefix prefix;
};

struct ev_address {
	int family;           /* AF_INET or AF_INET6 */
	uint8_t addr[16];
	uint16_t port;        /* 0: the address only */
	uint8_t source;       /* enum ev_address_source */
};

enum ev_address_source { EV_ADDR_UPNP, EV_ADDR_PEER };

enum ev_tunnel_kind {
	EV_TUNNEL_UP,
	EV_TUNNEL_DOWN,     /* why: the reason logged */
	EV_TUNNEL_ROTATE,   /* chosen for rotation: its drain starts (routes) */
	EV_TUNNEL_DRAINED,  /* routes moved off in ms: destruction starts */
	EV_TUNNEL_FORCED,   /* still used after the drain limit (ms): destroyed anyway */
};

struct ev_tunnel {
	uint8_t kind;         /* enum ev_tunnel_kind */
	bool server;          /* the peer is our client */
	char ifname[16];
	char type[8];         /* "wg", "gre", ... */
	struct re6st_prefix peer;
	uint32_t ms;          /* DRAINED, FORCED: how long the drain took */
	uint32_t routes;      /* ROTATE: routes through the tunnel */
	char why[48];         /* DOWN */
};

enum ev_babel_kind { EV_BABEL_ROUTE, EV_BABEL_NEIGHBOUR };
enum ev_babel_change { EV_BABEL_ADD, EV_BABEL_CHANGE, EV_BABEL_FLUSH };

struct ev_babel {
	uint8_t kind;         /* enum ev_babel_kind */
	uint8_t change;       /* enum ev_babel_change */
	bool installed;       /* ROUTE */
	struct re6st_prefix prefix, from; /* ROUTE (IPv4 mapped, as babeld's) */
	uint8_t addr[16];     /* ROUTE: next hop; NEIGHBOUR: its address */
	char ifname[16];
	char router_id[24];   /* ROUTE */
	unsigned metric, refmetric; /* ROUTE */
	unsigned reach, cost, rtt_us; /* NEIGHBOUR */
};

typedef void (*events_fn)(void *userdata, enum event_type type, const void *payload,
			  size_t len);

/* 0, or -ENOMEM. */
int events_new(struct loop *l, struct events **ret);
/* Queued events are dropped. NULL-safe. */
void events_free(struct events *ev);
DEFINE_FREEP(struct events, events_free)

/* Call fn for every later event of this type. 0, -EINVAL or -ENOMEM. */
int events_subscribe(struct events *ev, enum event_type type, events_fn fn, void *userdata);
/* Remove every subscription made with (fn, userdata). */
void events_unsubscribe(struct events *ev, events_fn fn, void *userdata);

/*
 * Queue an event; the payload (len bytes, may be 0) is copied. Delivered
 * from the loop, at its next iteration. ev may be NULL (nothing to tell).
 * 0, -EINVAL or -ENOMEM.
 */
int events_post(struct events *ev, enum event_type type, const void *payload, size_t len);

/* The same for an event without payload, unless one of that type is
 * already queued (a burst of changes makes one event). */
int events_post_once(struct events *ev, enum event_type type);

/* Someone subscribed to type: an event nobody reads need not be built. */
bool events_wanted(const struct events *ev, enum event_type type);

/* Deliver what is queued now (tests; the loop does it by itself). */
void events_flush(struct events *ev);

const char *event_name(enum event_type type);

#endif
