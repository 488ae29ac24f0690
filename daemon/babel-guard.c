/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <netinet/in.h>
#include <string.h>

#include "babel.h"
#include "babel-guard.h"
#include "log.h"

int babel_refusals(const struct babel_params *p, struct babel_refusal ret[BABEL_MAX_REFUSALS],
		   size_t *ret_n)
{
	size_t n = 0;
	ret[n++] = (struct babel_refusal){ p->node_prefix, p->node_prefix.len, BABEL_REFUSE_OWN };
	if (p->max_prefix_len && p->max_prefix_len < 128)
		ret[n++] = (struct babel_refusal){ p->network, (uint8_t)(p->max_prefix_len + 1),
						   BABEL_REFUSE_LONGER };
	if (p->has_ipv4) {
		struct babel_refusal own = { .kind = BABEL_REFUSE_OWN };
		if (babel_parse_prefix(p->ipv4_prefix, &own.prefix) < 0 || own.prefix.len < 96)
			return -EINVAL;
		own.min_len = own.prefix.len;
		ret[n++] = own;
		if (*p->ipv4_network && own.prefix.len < 128) {
			struct babel_refusal longer = { .kind = BABEL_REFUSE_LONGER };
			if (babel_parse_prefix(p->ipv4_network, &longer.prefix) < 0 ||
			    longer.prefix.len < 96)
				return -EINVAL;
			longer.min_len = (uint8_t)(own.prefix.len + 1);
			ret[n++] = longer;
		}
	}
	*ret_n = n;
	return 0;
}

const struct babel_refusal *babel_refused(const struct babel_refusal *r, size_t n,
					  const struct re6st_prefix *p)
{
	for (size_t i = 0; i < n; i++)
		if (p->len >= r[i].min_len && prefix_contains(&r[i].prefix, p))
			return &r[i];
	return NULL;
}

int babel_guard_set(struct babel_guard *g, const struct babel_params *p)
{
	struct babel_refusal r[BABEL_MAX_REFUSALS];
	size_t n;
	int e = babel_refusals(p, r, &n);
	if (e < 0)
		return e;
	if (!g->ll.what)
		loglimit_init(&g->ll, "babel");
	memcpy(g->r, r, sizeof(r));
	g->n = n;
	return 0;
}

static bool mapped(const struct re6st_prefix *p)
{
	static const uint8_t v4[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	return p->len >= 96 && !memcmp(p->addr, v4, sizeof(v4));
}

bool babel_guard_refuses(struct babel_guard *g, const struct babel_event *ev, uint64_t now_ms)
{
	if (ev->type != BABEL_LINE_ROUTE)
		return false;
	const struct babel_route *rt = &ev->route;
	const struct babel_refusal *why = babel_refused(g->r, g->n, &rt->prefix);
	if (!why)
		return false;
	struct sockaddr_storage ss = { .ss_family = AF_INET6 };
	memcpy(&((struct sockaddr_in6 *)&ss)->sin6_addr, rt->via, 16);
	if (ev->change == BABEL_ADD && loglimit_allow(&g->ll, &ss, LOG_WARNING, now_ms)) {
		char p[PREFIX_STRLEN], w[PREFIX_STRLEN], via[PREFIX_STRLEN];
		babel_format_prefix(&rt->prefix, p);
		babel_format_prefix(&why->prefix, w);
		prefix_format_address(rt->via, via);
		if (why->kind == BABEL_REFUSE_OWN)
			log_warning("babel: refused a route to %s, inside our own prefix %s, from "
				    "neighbour %s on %s (router-id %s)",
				    p, w, via, rt->ifname, rt->router_id);
		else
			log_warning("babel: refused a route to %s, longer than any node prefix of "
				    "%s can be (/%u at most), from neighbour %s on %s (router-id %s)",
				    p, w, why->min_len - 1u - (mapped(&why->prefix) ? 96u : 0u), via,
				    rt->ifname, rt->router_id);
	}
	return true;
}
