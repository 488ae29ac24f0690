/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * "ping NODE": which way babel sends packets to a node. re6stctl sends the
 * echo requests itself; the daemon tells it the address to ping and the
 * route used: the longest babel route holding that address (the installed
 * one, else the best), its interface, next hop and metric, and the babel
 * neighbour behind the next hop (its RTT and link cost).
 */
#include <arpa/inet.h>

#include "babel.h"
#include "control-int.h"
#include "ctx.h"

int control_parse_ping(const char *args, uint8_t ret_addr[16], struct re6st_prefix *ret_prefix,
		       char *err, size_t errlen)
{
	struct re6st_prefix p;
	char word[PREFIX_STRLEN];
	size_t n = strlen(args);

	if (!n) {
		snprintf(err, errlen, "ping: no NODE given (a node prefix or an IPv6 address)");
		return -EINVAL;
	}
	if (n >= sizeof(word) || strpbrk(args, " \t")) {
		snprintf(err, errlen, "ping: one NODE expected (a node prefix or an IPv6 address)");
		return -EINVAL;
	}
	memcpy(word, args, n + 1);
	if (strchr(word, '/')) {
		if (prefix_parse(word, &p) < 0) {
			snprintf(err, errlen, "ping: '%s' is not an IPv6 prefix with zero host bits",
				 word);
			return -EINVAL;
		}
		memcpy(ret_addr, p.addr, 16);
		/* The node's address: its prefix, last bit set (cert_node_address). */
		if (p.len < 128)
			ret_addr[15] |= 1;
	} else if (prefix_parse_address(word, p.addr) < 0) {
		snprintf(err, errlen, "ping: '%s' is neither an IPv6 address nor a prefix", word);
		return -EINVAL;
	} else {
		p.len = 128;
		memcpy(ret_addr, p.addr, 16);
	}
	*ret_prefix = p;
	return 0;
}

/* The route babel uses for addr: longest prefix, then installed, then metric. */
static const struct babel_route *best_route(const struct babel *b, const uint8_t addr[16])
{
	const struct babel_route *r, *best = NULL;
	size_t n = babel_routes(b, &r);

	for (size_t i = 0; i < n; i++) {
		if (!prefix_contains_address(&r[i].prefix, addr))
			continue;
		if (!best || r[i].prefix.len > best->prefix.len ||
		    (r[i].prefix.len == best->prefix.len &&
		     (r[i].installed > best->installed ||
		      (r[i].installed == best->installed && r[i].metric < best->metric))))
			best = &r[i];
	}
	return best;
}

static const struct babel_neighbour *neighbour_of(const struct babel *b,
						  const struct babel_route *r)
{
	const struct babel_neighbour *nb;
	size_t n = babel_neighbours(b, &nb);
	for (size_t i = 0; i < n; i++)
		if (!memcmp(nb[i].address, r->via, 16) && !strcmp(nb[i].ifname, r->ifname))
			return &nb[i];
	return NULL;
}

static void append_route(struct jbuf *o, const struct babel_route *r)
{
	char p[PREFIX_STRLEN], via[PREFIX_STRLEN];
	jbuf_append(o, "{\"prefix\": ");
	jbuf_string(o, babel_format_prefix(&r->prefix, p));
	if (r->from.len) {
		jbuf_append(o, ", \"from\": ");
		jbuf_string(o, babel_format_prefix(&r->from, p));
	}
	jbuf_append(o, ", \"installed\": %s, \"interface\": ", r->installed ? "true" : "false");
	jbuf_string(o, r->ifname);
	jbuf_append(o, ", \"via\": ");
	jbuf_string(o, prefix_format_address(r->via, via));
	jbuf_append(o, ", \"metric\": %u, \"refmetric\": %u, \"router_id\": ", r->metric,
		    r->refmetric);
	jbuf_string(o, r->router_id);
	jbuf_append(o, "}");
}

int control_cmd_ping(struct ctx *c, const char *args, struct jbuf *o)
{
	char err[128], a[PREFIX_STRLEN];
	uint8_t addr[16];
	struct re6st_prefix node;

	if (control_parse_ping(args, addr, &node, err, sizeof(err)) < 0) {
		jbuf_append(o, "{\"error\": ");
		jbuf_string(o, err);
		jbuf_append(o, "}");
		return 0;
	}
	jbuf_append(o, "{\"node\": ");
	jbuf_string(o, args);
	jbuf_append(o, ", \"address\": ");
	jbuf_string(o, prefix_format_address(addr, a));
	jbuf_append(o, ", \"source\": ");
	jbuf_string(o, c->addr_str);
	bool local = c->prefix.len && prefix_contains_address(&c->prefix, addr);
	jbuf_append(o, ", \"local\": %s, \"route\": ", local ? "true" : "false");
	const struct babel_route *r = !local && c->babel ? best_route(c->babel, addr) : NULL;
	if (r)
		append_route(o, r);
	else
		jbuf_append(o, "null");
	jbuf_append(o, ", \"neighbour\": ");
	const struct babel_neighbour *nb = r ? neighbour_of(c->babel, r) : NULL;
	if (nb)
		jbuf_append(o, "{\"reach\": \"%04x\", \"cost\": %u, \"rxcost\": %u, \"txcost\": %u, "
			       "\"rtt_ms\": %u.%03u}",
			    nb->reach & 0xffff, nb->cost, nb->rxcost, nb->txcost, nb->rtt_us / 1000,
			    nb->rtt_us % 1000);
	else
		jbuf_append(o, "null");
	jbuf_append(o, "}");
	return 0;
}
