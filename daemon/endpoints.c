/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "ctx.h"
#include "endpoints.h"
#include "events.h"
#include "log.h"
#include "netconf.h"
#include "peerproto.h"

struct learned {
	bool has;
	uint8_t addr[16];
	uint16_t port;
};

struct endpoints {
	struct ctx *c;
	struct learned v4, v6;
	char last[PP_MAX_ENDPOINTS * 64]; /* the list last told about */
};

size_t endpoints_offered(const struct ctx *c, uint8_t ret[TUNNEL_TYPE_COUNT])
{
	uint32_t allowed = c->netconf ? c->netconf->tunnel_types : NETCONF_DEFAULT_TUNNEL_TYPES;
	return tunnel_types_offered(c->opt.tunnel_types, c->opt.n_tunnel_types, allowed, ret);
}

int endpoints_format(const struct endpoints *e, char *buf, size_t size)
{
	const struct options *o = &e->c->opt;
	struct pp_endpoint v[PP_MAX_ENDPOINTS], all[PP_MAX_ENDPOINTS];
	uint8_t types[TUNNEL_TYPE_COUNT];
	size_t n = 0;

	for (size_t i = 0; i < o->ip.n && n < PP_MAX_ENDPOINTS; i++) {
		struct pp_endpoint x = { .port = o->peer_port };
		if (inet_pton(AF_INET, o->ip.v[i], x.addr) == 1)
			x.family = AF_INET;
		else if (inet_pton(AF_INET6, o->ip.v[i], x.addr) == 1)
			x.family = AF_INET6;
		else
			continue; /* "upnp", "any" */
		v[n++] = x;
	}
	const struct learned *l[] = { &e->v4, &e->v6 };
	for (size_t i = 0; i < 2 && n < PP_MAX_ENDPOINTS; i++)
		if (l[i]->has) {
			v[n] = (struct pp_endpoint){ .family = i ? AF_INET6 : AF_INET,
						     .port = l[i]->port };
			memcpy(v[n++].addr, l[i]->addr, 16);
		}
	if (e->c->country[0])
		for (size_t i = 0; i < n; i++)
			memcpy(v[i].country, e->c->country, 2);
	size_t nt = endpoints_offered(e->c, types);
	size_t na = tunnel_endpoints_expand(v, n, types, nt, e->c->opt.tcp_port, all,
					    PP_MAX_ENDPOINTS);
	return pp_endpoints_format(all, na, buf, size);
}

/* Tell the modules above when the list is not the one they were told. */
static void changed(struct endpoints *e)
{
	char now[sizeof(e->last)];
	if (endpoints_format(e, now, sizeof(now)) < 0 || !strcmp(now, e->last))
		return;
	memcpy(e->last, now, sizeof(now));
	log_info("advertised endpoints: %s", now[0] ? now : "none");
	events_post(e->c->events, EV_ENDPOINTS, NULL, 0);
}

void endpoints_learn(struct endpoints *e, int family, const uint8_t addr[16], uint16_t port)
{
	if (!e || (family != AF_INET && family != AF_INET6))
		return;
	struct learned *l = family == AF_INET ? &e->v4 : &e->v6;
	*l = (struct learned){ .has = true, .port = port };
	memcpy(l->addr, addr, family == AF_INET ? 4 : 16);
	changed(e);
}

bool endpoints_learned(const struct endpoints *e, int family, uint8_t ret[16])
{
	const struct learned *l = !e ? NULL : family == AF_INET ? &e->v4 : &e->v6;
	if (!l || !l->has)
		return false;
	memcpy(ret, l->addr, 16);
	return true;
}

static void on_netconf(void *userdata, enum event_type type, const void *payload, size_t len)
{
	changed(userdata); /* the allowed tunnel types may have changed */
}

int endpoints_init(struct ctx *c)
{
	struct endpoints *e = calloc(1, sizeof(*e));
	if (!e)
		return log_errno(LOG_ERR, -ENOMEM, "endpoints");
	e->c = c;
	int r = events_subscribe(c->events, EV_NETCONF, on_netconf, e);
	if (r < 0) {
		free(e);
		return log_errno(LOG_ERR, r, "endpoints");
	}
	c->endpoints = e;
	changed(e);
	return 0;
}

void endpoints_fini(struct ctx *c)
{
	if (!c->endpoints)
		return;
	events_unsubscribe(c->events, on_netconf, c->endpoints);
	free(c->endpoints);
	c->endpoints = NULL;
}
