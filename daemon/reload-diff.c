/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "reload.h"

enum kind { K_STR, K_STRV, K_INT, K_BOOL, K_U16, K_U32, K_TYPES, K_ADDR };

static const struct setting {
	const char *name;
	enum kind kind;
	size_t off;
	bool live;
} settings[] = {
#define S(name, kind, field, live) { name, kind, offsetof(struct options, field), live }
	S("registry", K_STR, registry, false),
	S("ca", K_STR, ca, false),
	S("cert", K_STR, cert, false),
	S("key", K_STR, key, false),
	S("state", K_STR, state_dir, false),
	S("run", K_STR, run_dir, false),
	S("log", K_STR, log, false),
	S("verbose", K_INT, verbose, true),
	S("babel-socket", K_STR, babel_socket, false),
	S("control-socket", K_STR, control_socket, false),
	S("interface", K_STRV, interfaces, false),
	S("main-interface", K_STR, main_interface, false),
	S("ip", K_STRV, ip, false),
	S("client-count", K_INT, client_count, true),
	S("max-clients", K_INT, max_clients, true),
	S("neighbour", K_STRV, neighbours, true),
	S("tunnel-type", K_TYPES, tunnel_types, false),
	S("wg-port-range", K_U16, wg_port_first, false),
	S("wg-port-range", K_U16, wg_port_last, false),
	S("fou-port", K_U16, fou_port, false),
	S("peer-port", K_U16, peer_port, false),
	S("tcp-port", K_U16, tcp_port, false),
	S("tunnel-refresh", K_INT, tunnel_refresh, true),
	S("rotate-share", K_U32, rotate_share, true),
	S("busy-share", K_U32, busy_share, true),
	S("busy-weight", K_U32, busy_weight, true),
	S("drain-limit", K_INT, drain_limit, true),
	S("anchor", K_STRV, anchors, true),
	S("anchor-share", K_U32, anchor_share, true),
	S("country", K_STR, country, false),
	S("gateway", K_BOOL, gateway, false),
	S("default", K_BOOL, default_route, false),
	S("hello", K_INT, hello, false),
	S("link-cost", K_INT, link_cost, false),
	S("smoothing", K_INT, smoothing, false),
	S("dead-after", K_INT, dead_after, true),
	S("metrics", K_BOOL, metrics, true),
	S("metrics", K_ADDR, metrics_addr, true),
	S("B", K_STRV, babel_args, false),
	S("up", K_STR, up, false),
	S("daemon", K_STRV, daemons, false),
#undef S
};

static bool same_str(const char *a, const char *b)
{
	return a == b || (a && b && !strcmp(a, b));
}

static bool same_strv(const struct strv *a, const struct strv *b)
{
	if (a->n != b->n)
		return false;
	for (size_t i = 0; i < a->n; i++)
		if (strcmp(a->v[i], b->v[i]))
			return false;
	return true;
}

static bool same(const struct setting *s, const struct options *a, const struct options *b)
{
	const char *pa = (const char *)a + s->off, *pb = (const char *)b + s->off;
	switch (s->kind) {
	case K_STR:
		return same_str(*(char *const *)pa, *(char *const *)pb);
	case K_STRV:
		return same_strv((const struct strv *)pa, (const struct strv *)pb);
	case K_INT:
		return *(const int *)pa == *(const int *)pb;
	case K_BOOL:
		return *(const bool *)pa == *(const bool *)pb;
	case K_U16:
		return *(const uint16_t *)pa == *(const uint16_t *)pb;
	case K_U32:
		return *(const uint32_t *)pa == *(const uint32_t *)pb;
	case K_ADDR:
		return !memcmp(pa, pb, sizeof(struct sockaddr_storage));
	case K_TYPES:
		return a->n_tunnel_types == b->n_tunnel_types &&
		       !memcmp(a->tunnel_types, b->tunnel_types,
			       a->n_tunnel_types * sizeof(*a->tunnel_types));
	}
	return true;
}

size_t reload_diff(const struct options *old, const struct options *new,
		   struct reload_change *ret, size_t max)
{
	size_t n = 0;
	for (size_t i = 0; i < ARRAY_SIZE(settings) && n < max; i++) {
		if (same(&settings[i], old, new))
			continue;
		/* one line per option (--wg-port-range is two fields) */
		if (n && ret[n - 1].name == settings[i].name)
			continue;
		ret[n++] = (struct reload_change){ settings[i].name, settings[i].live };
	}
	return n;
}

static void swap_bytes(void *a, void *b, size_t size)
{
	unsigned char *x = a, *y = b;
	for (size_t i = 0; i < size; i++) {
		unsigned char t = x[i];
		x[i] = y[i];
		y[i] = t;
	}
}

static size_t kind_size(enum kind k)
{
	switch (k) {
	case K_STR:
		return sizeof(char *);
	case K_STRV:
		return sizeof(struct strv);
	case K_INT:
		return sizeof(int);
	case K_BOOL:
		return sizeof(bool);
	case K_U16:
		return sizeof(uint16_t);
	case K_U32:
		return sizeof(uint32_t);
	case K_ADDR:
		return sizeof(struct sockaddr_storage);
	case K_TYPES:
		break;
	}
	return 0; /* none is live */
}

void reload_take_live(struct options *cur, struct options *new)
{
	for (size_t i = 0; i < ARRAY_SIZE(settings); i++)
		if (settings[i].live && !same(&settings[i], cur, new))
			swap_bytes((char *)cur + settings[i].off, (char *)new + settings[i].off,
				   kind_size(settings[i].kind));
}
