/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <arpa/inet.h>
#include <net/if.h>
#include <stdio.h>

#include "addr.h"
#include "fou.h"
#include "gre.h"
#include "ctx.h"
#include "link.h"
#include "log.h"
#include "objects.h"
#include "route.h"
#include "state.h"

/* A journal failure must not stop the node, but must be visible. */
static void journal(struct ctx *c, bool add, enum state_object_type t, const char *ifname,
		    const char *data)
{
	int r = add ? state_journal_add(c->state, t, ifname, data)
		    : state_journal_remove(c->state, t, ifname, data);
	if (r < 0)
		log_warning("state journal: cannot %s %s %s: %s", add ? "record" : "forget", ifname,
			    data, r == -EIO ? state_last_error(c->state) : strerror(-r));
}

int obj_link_create(struct ctx *c, const char *name, const char *kind, uint32_t mtu,
		    int *ret_ifindex)
{
	journal(c, true, STATE_OBJ_LINK, name, kind);
	int r = nl_link_create(c->nl, name, kind, mtu, ret_ifindex);
	if (r < 0 && r != -EEXIST)
		journal(c, false, STATE_OBJ_LINK, name, kind);
	return r;
}

int obj_gre_create(struct ctx *c, const char *name, const struct nl_gre_config *cfg,
		   int *ret_ifindex)
{
	const char *kind = cfg->family == AF_INET6 ? "ip6gre" : "gre";
	journal(c, true, STATE_OBJ_LINK, name, kind);
	int r = nl_gre_create(c->nl, name, cfg, ret_ifindex);
	if (r < 0 && r != -EEXIST)
		journal(c, false, STATE_OBJ_LINK, name, kind);
	return r;
}

int obj_link_delete(struct ctx *c, const char *name)
{
	int ifindex;
	struct nl_link_info info = { 0 };
	int r = nl_link_ifindex(c->nl, name, &ifindex);
	if (r >= 0)
		r = nl_link_get(c->nl, ifindex, &info);
	if (r >= 0)
		r = nl_link_delete(c->nl, ifindex);
	if (r == -ENODEV)
		r = 0;
	if (r >= 0) {
		/* Whatever kind was recorded. */
		struct state_object *objs;
		size_t n;
		if (state_journal_list(c->state, &objs, &n) >= 0) {
			for (size_t i = 0; i < n; i++)
				if (objs[i].type == STATE_OBJ_LINK && !strcmp(objs[i].ifname, name))
					journal(c, false, STATE_OBJ_LINK, name, objs[i].data);
			free(objs);
		}
	}
	return r;
}

int obj_addr_add(struct ctx *c, const char *ifname, const struct nl_prefix *p, unsigned flags)
{
	char buf[INET6_ADDRSTRLEN + 8];
	int ifindex;
	int r = nl_link_ifindex(c->nl, ifname, &ifindex);
	if (r < 0)
		return r;
	nl_prefix_to_string(p, buf, sizeof(buf));
	journal(c, true, STATE_OBJ_ADDRESS, ifname, buf);
	r = nl_addr_add(c->nl, ifindex, p, flags);
	if (r < 0 && r != -EEXIST)
		journal(c, false, STATE_OBJ_ADDRESS, ifname, buf);
	return r;
}

int obj_addr_delete(struct ctx *c, const char *ifname, const struct nl_prefix *p)
{
	char buf[INET6_ADDRSTRLEN + 8];
	int ifindex;
	nl_prefix_to_string(p, buf, sizeof(buf));
	int r = nl_link_ifindex(c->nl, ifname, &ifindex);
	if (r >= 0)
		r = nl_addr_delete(c->nl, ifindex, p);
	if (r == -ENODEV || r == -EADDRNOTAVAIL)
		r = 0;
	if (r >= 0)
		journal(c, false, STATE_OBJ_ADDRESS, ifname, buf);
	return r;
}

int obj_route_to_string(const struct nl_route *r, char *buf, size_t len)
{
	char dst[INET6_ADDRSTRLEN + 8], src[INET6_ADDRSTRLEN + 8] = "-";
	nl_prefix_to_string(&r->dst, dst, sizeof(dst));
	if (r->src.len)
		nl_prefix_to_string(&r->src, src, sizeof(src));
	int n = snprintf(buf, len, "%s %s %s %u %u",
			 r->type == NL_ROUTE_UNREACHABLE ? "unreachable" : "unicast", dst, src,
			 r->table, r->metric);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

int obj_route_from_string(const char *s, struct nl_route *ret)
{
	char type[16], dst[64], src[64];
	unsigned table, metric;
	struct nl_route r = { 0 };
	if (sscanf(s, "%15s %63s %63s %u %u", type, dst, src, &table, &metric) != 5)
		return -EINVAL;
	if (!strcmp(type, "unreachable"))
		r.type = NL_ROUTE_UNREACHABLE;
	else if (!strcmp(type, "unicast"))
		r.type = NL_ROUTE_UNICAST;
	else
		return -EINVAL;
	if (nl_prefix_from_string(dst, &r.dst) < 0)
		return -EINVAL;
	if (strcmp(src, "-") && nl_prefix_from_string(src, &r.src) < 0)
		return -EINVAL;
	r.family = r.dst.family;
	r.table = table;
	r.metric = metric;
	*ret = r;
	return 0;
}

int obj_route_add(struct ctx *c, const struct nl_route *rt, const char *ifname)
{
	char buf[128];
	int r = obj_route_to_string(rt, buf, sizeof(buf));
	if (r < 0)
		return r;
	journal(c, true, STATE_OBJ_ROUTE, ifname ? ifname : "", buf);
	r = nl_route_add(c->nl, rt);
	if (r < 0 && r != -EEXIST)
		journal(c, false, STATE_OBJ_ROUTE, ifname ? ifname : "", buf);
	return r;
}

int obj_route_delete(struct ctx *c, const struct nl_route *rt, const char *ifname)
{
	char buf[128];
	int r = obj_route_to_string(rt, buf, sizeof(buf));
	if (r < 0)
		return r;
	r = nl_route_delete(c->nl, rt);
	if (r == -ESRCH || r == -ENOENT || r == -ENODEV)
		r = 0;
	if (r >= 0)
		journal(c, false, STATE_OBJ_ROUTE, ifname ? ifname : "", buf);
	return r;
}

int obj_tc_journal(struct ctx *c, const char *ifname, bool present)
{
	journal(c, present, STATE_OBJ_TC, ifname, "drain");
	return 0;
}

static void fou_spec(int family, uint16_t port, char buf[16])
{
	snprintf(buf, 16, "%s %u", family == AF_INET6 ? "inet6" : "inet", port);
}

static struct nl_fou_port fou_gre_port(int family, uint16_t port)
{
	return (struct nl_fou_port){ .family = family, .port = port, .ipproto = 47,
				     .type = NL_FOU_DIRECT };
}

int obj_fou_add(struct ctx *c, int family, uint16_t port)
{
	char spec[16];
	struct nl_fou_port p = fou_gre_port(family, port);
	fou_spec(family, port, spec);
	journal(c, true, STATE_OBJ_FOU, "", spec);
	int r = nl_fou_add(c->nl, &p);
	if (r < 0)
		journal(c, false, STATE_OBJ_FOU, "", spec);
	return r;
}

int obj_fou_delete(struct ctx *c, int family, uint16_t port)
{
	char spec[16];
	struct nl_fou_port p = fou_gre_port(family, port);
	fou_spec(family, port, spec);
	int r = nl_fou_delete(c->nl, &p);
	if (r == -EINVAL || r == -ENOENT)
		r = 0; /* not there */
	if (r >= 0)
		journal(c, false, STATE_OBJ_FOU, "", spec);
	return r;
}

static int cleanup_one(struct ctx *c, const struct state_object *o)
{
	int ifindex = 0;
	int r = 0;
	if (*o->ifname) {
		r = nl_link_ifindex(c->nl, o->ifname, &ifindex);
		if (r == -ENODEV)
			return 0; /* the interface and all it carried are gone */
		if (r < 0)
			return r;
	}
	switch (o->type) {
	case STATE_OBJ_ROUTE: {
		struct nl_route rt;
		if (obj_route_from_string(o->data, &rt) < 0)
			return 0;
		rt.ifindex = ifindex;
		r = nl_route_delete(c->nl, &rt);
		return r == -ESRCH || r == -ENOENT ? 0 : r;
	}
	case STATE_OBJ_ADDRESS: {
		struct nl_prefix p;
		if (nl_prefix_from_string(o->data, &p) < 0)
			return 0;
		r = nl_addr_delete(c->nl, ifindex, &p);
		return r == -EADDRNOTAVAIL ? 0 : r;
	}
	case STATE_OBJ_TC:
		return 0; /* goes with the link; nothing to undo on a foreign one */
	case STATE_OBJ_FOU: {
		char fam[8];
		unsigned port;
		if (sscanf(o->data, "%7s %u", fam, &port) != 2 || !port || port > 65535)
			return 0;
		struct nl_fou_port p = fou_gre_port(strcmp(fam, "inet6") ? AF_INET : AF_INET6,
						    (uint16_t)port);
		r = nl_fou_delete(c->nl, &p);
		return r == -EINVAL || r == -ENOENT ? 0 : r;
	}
	case STATE_OBJ_LINK: {
		struct nl_link_info info;
		r = nl_link_get(c->nl, ifindex, &info);
		if (r < 0)
			return r == -ENODEV ? 0 : r;
		/* Never delete an interface of another kind that took the name. */
		if (strcmp(info.kind, o->data)) {
			log_warning("leftover %s is now a '%s' link, not '%s': left alone", o->ifname,
				    info.kind, o->data);
			return 0;
		}
		r = nl_link_delete(c->nl, ifindex);
		return r == -ENODEV ? 0 : r;
	}
	}
	return 0;
}

int objects_cleanup(struct ctx *c)
{
	struct state_object *objs;
	size_t n;
	int r = state_journal_list(c->state, &objs, &n);
	if (r < 0)
		return r;
	int removed = 0;
	/* Routes, then addresses, then links: a link takes the rest with it. */
	static const enum state_object_type order[] = { STATE_OBJ_ROUTE, STATE_OBJ_ADDRESS,
							STATE_OBJ_TC, STATE_OBJ_FOU, STATE_OBJ_LINK };
	for (size_t k = 0; k < ARRAY_SIZE(order); k++)
		for (size_t i = 0; i < n; i++) {
			if (objs[i].type != order[k])
				continue;
			r = cleanup_one(c, &objs[i]);
			if (r < 0)
				log_warning("cannot remove leftover %s %s: %s", objs[i].ifname,
					    objs[i].data, strerror(-r));
			else
				removed++;
			journal(c, false, objs[i].type, objs[i].ifname, objs[i].data);
		}
	free(objs);
	return removed;
}
