/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * babel-tables.h - babeld's routes, neighbours and interfaces as the node
 * keeps them, from babeld's dumps (babel.c asks for one every second while
 * the tables move, less often while they do not: docs/daemon.md, "babeld").
 *
 * A dump lists every entry ("add ..." lines, ended by "ok"): between
 * babel_tables_begin() and babel_tables_end(), each line updates its entry
 * (babel_tables_apply()), and the end drops the entries the dump no longer
 * listed. The listener hears each difference: BABEL_ADD for a new entry,
 * BABEL_CHANGE for one whose fields changed (a route's metric, a
 * neighbour's reach or RTT), BABEL_FLUSH for one gone. babeld names
 * routes and neighbours by the address of its record, which it may reuse:
 * an entry whose identity changed (a route's prefix, next hop or
 * interface, a neighbour's address or interface) is a flush and an add.
 * Lines outside a dump ("change" or "flush" of babeld's monitor) apply as
 * they say. A dump leaves the entries in its order, and a name is looked
 * for among those it did not list yet, from the first: in babeld's usual
 * order each line finds its entry at once. Pure: no I/O; unit-tested in
 * test/daemon/test-babel-tables.c.
 */
#ifndef RE6ST_DAEMON_BABEL_TABLES_H
#define RE6ST_DAEMON_BABEL_TABLES_H

#include <stdbool.h>
#include <stddef.h>

#include "babel-parse.h"
#include "babel-vec.h"

typedef void (*babel_tables_fn)(const struct babel_event *ev, void *userdata);

DEFINE_VEC(babel_route_vec, struct babel_route);
DEFINE_VEC(babel_neigh_vec, struct babel_neighbour);
DEFINE_VEC(babel_ifc_vec, struct babel_interface);

struct babel_tables {
	struct babel_route_vec routes;
	struct babel_neigh_vec neighs;
	struct babel_ifc_vec ifcs;
	/* Entries seen by the current dump carry its number. */
	unsigned *route_gen, *neigh_gen, *ifc_gen;
	size_t route_gen_cap, neigh_gen_cap, ifc_gen_cap;
	/* In a dump (in_dump), the entries it listed come first: so many. */
	size_t route_seen, neigh_seen, ifc_seen;
	bool in_dump;
	unsigned gen;
	/* Since babel_tables_begin(): a neighbour or interface came or went, a
	 * neighbour began or stopped hearing us (its IHUs) or being heard (its
	 * reach), an interface went up or down. Not routes: babeld selects,
	 * retracts and learns them again all the time. */
	bool moved;
};

/* A dump begins. */
void babel_tables_begin(struct babel_tables *t);
/* One line of babeld's (a route, neighbour or interface event); fn (may be
 * NULL) hears the differences. 0 or -ENOMEM (the tables unchanged). */
int babel_tables_apply(struct babel_tables *t, const struct babel_event *ev, babel_tables_fn fn,
		       void *userdata);
/* The dump ended: entries it did not list are flushed (fn hears them). */
void babel_tables_end(struct babel_tables *t, babel_tables_fn fn, void *userdata);
/* Forget every entry (babeld went away), silently. */
void babel_tables_clear(struct babel_tables *t);
void babel_tables_free(struct babel_tables *t);

#endif
