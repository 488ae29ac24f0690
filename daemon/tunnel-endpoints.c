/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <net/if.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <sodium.h>

#include "tunnel-mgr.h"

/* ---- client side ---- */

/* `--ip any`, or no --ip at all and no UPnP gateway: learn our address. */
bool tm_learn_from_peers(const struct tunnel_mgr *m)
{
	const struct options *o = &m->c->opt;
	return strv_contains(&o->ip, "any") || (o->ip.n == 0 && !m->c->upnp);
}

void tunnel_learn_address(struct tunnel_mgr *m, int family, const uint8_t addr[16],
			  uint16_t port, bool from_upnp)
{
	if (family == AF_INET) {
		memcpy(m->learned4, addr, 4);
		m->learned_port4 = port;
		m->has_learned4 = true;
	} else {
		memcpy(m->learned6, addr, 16);
		m->learned_port6 = port;
		m->has_learned6 = true;
	}
}

int tunnel_my_endpoints(struct tunnel_mgr *m, char *buf, size_t size)
{
	const struct options *o = &m->c->opt;
	struct pp_endpoint e[PP_MAX_ENDPOINTS];
	size_t n = 0;

	for (size_t i = 0; i < o->ip.n && n < PP_MAX_ENDPOINTS; i++) {
		struct pp_endpoint x = { .port = o->peer_port };
		if (inet_pton(AF_INET, o->ip.v[i], x.addr) == 1)
			x.family = AF_INET;
		else if (inet_pton(AF_INET6, o->ip.v[i], x.addr) == 1)
			x.family = AF_INET6;
		else
			continue; /* "upnp", "any" */
		e[n++] = x;
	}
	if (m->has_learned4 && n < PP_MAX_ENDPOINTS) {
		e[n] = (struct pp_endpoint){ .family = AF_INET, .port = m->learned_port4 };
		memcpy(e[n++].addr, m->learned4, 4);
	}
	if (m->has_learned6 && n < PP_MAX_ENDPOINTS) {
		e[n] = (struct pp_endpoint){ .family = AF_INET6, .port = m->learned_port6 };
		memcpy(e[n++].addr, m->learned6, 16);
	}
	for (size_t i = 0; i < n; i++)
		if (o->country && strlen(o->country) == 2)
			memcpy(e[i].country, o->country, 2);
	/* One entry per address and type we offer; every entry's port is the
	 * peer-protocol port, where set-up requests go. */
	struct pp_endpoint all[PP_MAX_ENDPOINTS];
	uint8_t types[TUNNEL_TYPE_COUNT];
	size_t nt = tm_offered(m, types);
	size_t na = tunnel_endpoints_expand(e, n, types, nt, all, PP_MAX_ENDPOINTS);
	return pp_endpoints_format(all, na, buf, size);
}

size_t tunnel_peer_prefixes(struct tunnel_mgr *m, const struct re6st_prefix **ret,
			    size_t *ret_n_client)
{
	struct re6st_prefix *v = realloc(m->view, (m->n ? m->n : 1) * sizeof(*v));
	size_t n = 0, nc = 0;
	if (!v) {
		*ret = NULL;
		*ret_n_client = 0;
		return 0;
	}
	m->view = v;
	for (int server = 0; server < 2; server++)
		for (size_t i = 0; i < m->n; i++) {
			const struct tunnel *t = m->t[i];
			if (t->server == server && t->state >= T_UP) {
				v[n++] = t->peer;
				nc += !server;
			}
		}
	*ret = v;
	*ret_n_client = nc;
	return n;
}
