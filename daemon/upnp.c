/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include <miniupnpc/miniupnpc.h>
#include <miniupnpc/upnpcommands.h>
#include <miniupnpc/upnperrors.h>

#include "ctx.h"
#include "log.h"
#include "loop.h"
#include "endpoints.h"
#include "upnp.h"

#define UPNP_DISCOVER_MS 1000
#define UPNP_LEASE_S "3600"
#define UPNP_RENEW_MS (1800 * 1000)
#define UPNP_MAX_PORTS 64

struct upnp {
	struct ctx *c;
	struct UPNPUrls urls;
	struct IGDdatas data;
	char lan_addr[64];
	char ext_addr[40];
	uint16_t ports[UPNP_MAX_PORTS];
	size_t n_ports;
	struct loop_timer *timer;
};

static int map_all(struct upnp *u)
{
	int failed = 0;
	for (size_t i = 0; i < u->n_ports; i++) {
		char port[8];
		snprintf(port, sizeof(port), "%u", u->ports[i]);
		int r = UPNP_AddPortMapping(u->urls.controlURL, u->data.first.servicetype, port, port,
					    u->lan_addr, "re6stnet", "UDP", NULL, UPNP_LEASE_S);
		if (r != UPNPCOMMAND_SUCCESS) {
			log_warning("upnp: cannot map UDP port %s: %s", port, strupnperror(r));
			failed++;
		}
	}
	return failed ? -EIO : 0;
}

static void on_renew(struct loop *l, struct loop_timer *t, void *userdata)
{
	struct upnp *u = userdata;
	if (map_all(u) < 0)
		log_warning("upnp: some mappings could not be renewed");
}

static void upnp_free(struct upnp *u)
{
	if (!u)
		return;
	loop_timer_remove(u->timer);
	for (size_t i = 0; i < u->n_ports; i++) {
		char port[8];
		snprintf(port, sizeof(port), "%u", u->ports[i]);
		UPNP_DeletePortMapping(u->urls.controlURL, u->data.first.servicetype, port, "UDP",
				       NULL);
	}
	FreeUPNPUrls(&u->urls);
	free(u);
}

int upnp_init(struct ctx *c)
{
	const struct options *o = &c->opt;
	bool wanted = strv_contains(&o->ip, "upnp");
	int err = 0;

	/* Default (no --ip at all): try UPnP; with addresses or "any": don't. */
	if (!wanted && o->ip.n)
		return 0;
	struct UPNPDev *devs = upnpDiscover(UPNP_DISCOVER_MS, NULL, NULL, 0, 0, 2, &err);
	if (!devs) {
		if (wanted)
			log_warning("upnp: no gateway answered (--ip upnp): this node will not be "
				    "reachable from outside");
		else
			log_info("upnp: no gateway found");
		return 0;
	}
	struct upnp *u = calloc(1, sizeof(*u));
	if (!u) {
		freeUPNPDevlist(devs);
		return log_errno(LOG_ERR, -ENOMEM, "upnp");
	}
	u->c = c;
	int igd = UPNP_GetValidIGD(devs, &u->urls, &u->data, u->lan_addr, sizeof(u->lan_addr));
	freeUPNPDevlist(devs);
	if (igd != 1) {
		log_warning("upnp: no connected Internet gateway (%d)", igd);
		if (igd)
			FreeUPNPUrls(&u->urls);
		free(u);
		return 0;
	}
	if (UPNP_GetExternalIPAddress(u->urls.controlURL, u->data.first.servicetype, u->ext_addr) !=
		    UPNPCOMMAND_SUCCESS ||
	    !u->ext_addr[0]) {
		log_warning("upnp: the gateway gave no external address");
		upnp_free(u);
		return 0;
	}
	u->ports[u->n_ports++] = o->peer_port;
	unsigned maxc = o->max_clients > 0 ? (unsigned)o->max_clients : 20;
	for (unsigned p = o->wg_port_first; p && p <= o->wg_port_last && u->n_ports < UPNP_MAX_PORTS &&
					    u->n_ports <= maxc; p++)
		u->ports[u->n_ports++] = (uint16_t)p;
	if (map_all(u) < 0)
		log_warning("upnp: some ports could not be mapped");
	int r = loop_add_timer(c->loop, loop_now(c->loop) + UPNP_RENEW_MS, UPNP_RENEW_MS, on_renew, u,
			       &u->timer);
	if (r < 0) {
		upnp_free(u);
		return log_errno(LOG_ERR, r, "upnp: timer");
	}
	uint8_t a[16] = {};
	if (inet_pton(AF_INET, u->ext_addr, a) == 1)
		endpoints_learn(c->endpoints, AF_INET, a, o->peer_port);
	log_info("upnp: gateway %s, external address %s, %zu UDP ports mapped to %s",
		 u->urls.controlURL, u->ext_addr, u->n_ports, u->lan_addr);
	c->upnp = u;
	return 0;
}

void upnp_fini(struct ctx *c)
{
	upnp_free(c->upnp);
	c->upnp = NULL;
}

const char *upnp_external_address(const struct upnp *u)
{
	return u && u->ext_addr[0] ? u->ext_addr : NULL;
}
