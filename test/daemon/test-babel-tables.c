/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * babeld's tables kept from its dumps (daemon/babel-tables.h): the lines of
 * real babeld dumps (the 1.12 format), one dump after another; what the
 * listener hears, what counts as a move.
 */
#include <stdio.h>
#include <string.h>

#include "babel-tables.h"
#include "check.h"

struct heard {
	unsigned add, change, flush;
	char last[64];
};

static void on_change(const struct babel_event *ev, void *userdata)
{
	struct heard *h = userdata;
	const char *what = ev->type == BABEL_LINE_ROUTE ? "route" : ev->type == BABEL_LINE_NEIGHBOUR
									? "neighbour"
									: "interface";
	const char *id = ev->type == BABEL_LINE_ROUTE ? ev->route.id
			 : ev->type == BABEL_LINE_NEIGHBOUR ? ev->neighbour.id
							    : ev->interface.ifname;
	if (ev->change == BABEL_ADD)
		h->add++;
	else if (ev->change == BABEL_CHANGE)
		h->change++;
	else
		h->flush++;
	snprintf(h->last, sizeof(h->last), "%s %s %s",
		 ev->change == BABEL_ADD ? "add" : ev->change == BABEL_CHANGE ? "change" : "flush", what,
		 id);
}

#define IFC "add interface re6stnet-w0 up true ipv6 fe80::1"
#define NB1 "add neighbour 55e1 address fe80::2 if re6stnet-w0 reach ffff ureach 0000 " \
	    "rxcost 362 txcost 362 rtt 1.200 rttcost 0 cost 512"
#define RT1 "add route 55f0 prefix 2001:db8:0:2::/64 from ::/0 installed yes id 02:00:00:00:00:00:00:02 " \
	    "metric 512 refmetric 0 via fe80::2 if re6stnet-w0"
#define RT2 "add route 55f8 prefix 2001:db8:0:3::/64 from ::/0 installed yes id 02:00:00:00:00:00:00:03 " \
	    "metric 1024 refmetric 512 via fe80::2 if re6stnet-w0"

/* One dump of lines (NULL-terminated); what moved. */
static bool dump(struct babel_tables *t, struct heard *h, const char *const *lines)
{
	babel_tables_begin(t);
	for (size_t i = 0; lines[i]; i++) {
		struct babel_event ev;
		CHECK(babel_parse_line(lines[i], &ev) == 0, "parses: %s", lines[i]);
		CHECK_EQ(babel_tables_apply(t, &ev, on_change, h), 0);
	}
	babel_tables_end(t, on_change, h);
	return t->moved;
}

/* Whether many_routes() lists its routes from the last. */
static bool backwards;

/* A dump of 300 routes, every step-th of them (h: the listener's count). */
static void many_routes(struct babel_tables *t, unsigned step, struct heard *h)
{
	struct babel_event ev;
	babel_tables_begin(t);
	for (unsigned k = 0; k < 300; k += step) {
		unsigned i = backwards ? (299 / step) * step - k : k;
		char line[256];
		snprintf(line, sizeof(line),
			 "add route %x prefix 2001:db8:1:%x::/64 from ::/0 installed no id "
			 "02:00:00:00:00:00:01:00 metric 700 refmetric 200 via fe80::2 if re6stnet-w0",
			 0x1000 + i, i);
		CHECK(babel_parse_line(line, &ev) == 0);
		CHECK_EQ(babel_tables_apply(t, &ev, h ? on_change : NULL, h), 0);
	}
	babel_tables_end(t, h ? on_change : NULL, h);
}

int main(void)
{
	struct babel_tables t = { 0 };
	struct heard h = { 0 };

	/* The first dump: everything is new. */
	CHECK(dump(&t, &h, (const char *const[]){ IFC, NB1, RT1, RT2, NULL }));
	CHECK(h.add == 4 && h.change == 0 && h.flush == 0);
	CHECK(t.routes.n == 2 && t.neighs.n == 1 && t.ifcs.n == 1);

	/* The same again: nothing heard, nothing moved. */
	h = (struct heard){ 0 };
	CHECK(!dump(&t, &h, (const char *const[]){ IFC, NB1, RT1, RT2, NULL }));
	CHECK(h.add == 0 && h.change == 0 && h.flush == 0);

	/* Metrics and RTTs move all the time: changes, not moves. */
	h = (struct heard){ 0 };
	CHECK(!dump(&t, &h,
		    (const char *const[]){ IFC,
					   "add neighbour 55e1 address fe80::2 if re6stnet-w0 reach "
					   "fff0 ureach 0000 rxcost 362 txcost 362 rtt 3.400 rttcost 10 cost 522",
					   RT1,
					   "add route 55f8 prefix 2001:db8:0:3::/64 from ::/0 installed yes id "
					   "02:00:00:00:00:00:00:03 metric 1034 refmetric 512 via fe80::2 if "
					   "re6stnet-w0",
					   NULL }));
	CHECK(h.add == 0 && h.change == 2 && h.flush == 0, "%u %u %u", h.add, h.change, h.flush);
	CHECK(t.routes.v[1].metric == 1034 || t.routes.v[0].metric == 1034);

	/* A route withdrawn from the kernel is heard, but routes never count
	 * as moves (babeld churns them all the time). */
	h = (struct heard){ 0 };
	CHECK(!dump(&t, &h,
		   (const char *const[]){ IFC, NB1, RT1,
					  "add route 55f8 prefix 2001:db8:0:3::/64 from ::/0 installed no id "
					  "02:00:00:00:00:00:00:03 metric 1034 refmetric 512 via fe80::2 if "
					  "re6stnet-w0",
					  NULL }));
	CHECK(h.change == 2 && h.add == 0 && h.flush == 0, "%u %u %u", h.add, h.change, h.flush);

	/* A neighbour that no longer hears us (no IHU: txcost infinite) moves,
	 * and again when it hears us anew (below). */
	h = (struct heard){ 0 };
	CHECK(dump(&t, &h,
		   (const char *const[]){ IFC,
					  "add neighbour 55e1 address fe80::2 if re6stnet-w0 reach ffff ureach "
					  "0000 rxcost 362 txcost 65535 rtt 1.200 rttcost 0 cost 65535",
					  RT1, RT2, NULL }));

	/* Gone from the dump: flushed, routes first heard as such. */
	h = (struct heard){ 0 };
	CHECK(dump(&t, &h, (const char *const[]){ IFC, NB1, RT1, NULL }));
	CHECK(h.flush == 1 && !strcmp(h.last, "flush route 55f8"), "%u %s", h.flush, h.last);
	CHECK(t.routes.n == 1 && !strcmp(t.routes.v[0].id, "55f0"));

	/* babeld reused a record's address for another route: a flush of the
	 * old one and an add of the new one. */
	h = (struct heard){ 0 };
	CHECK(!dump(&t, &h,
		   (const char *const[]){ IFC, NB1,
					  "add route 55f0 prefix 2001:db8:0:4::/64 from ::/0 installed yes id "
					  "02:00:00:00:00:00:00:04 metric 512 refmetric 0 via fe80::2 if "
					  "re6stnet-w0",
					  NULL }));
	CHECK(h.flush == 1 && h.add == 1 && h.change == 0, "%u %u %u", h.add, h.change, h.flush);
	CHECK(t.routes.n == 1 && t.routes.v[0].prefix.addr[7] == 4);

	/* An empty dump (babeld restarted its tables): everything goes. */
	h = (struct heard){ 0 };
	CHECK(dump(&t, &h, (const char *const[]){ NULL }));
	CHECK(h.flush == 3 && t.routes.n == 0 && t.neighs.n == 0 && t.ifcs.n == 0, "%u", h.flush);

	/* Lines outside a dump (a monitor's) apply as they say. */
	CHECK(dump(&t, &h, (const char *const[]){ IFC, NB1, RT1, RT2, NULL }));
	struct babel_event ev;
	CHECK(babel_parse_line("flush route 55f0 prefix 2001:db8:0:2::/64 from ::/0 installed yes id "
			       "02:00:00:00:00:00:00:02 metric 512 refmetric 0 via fe80::2 if re6stnet-w0",
			       &ev) == 0);
	CHECK_EQ(babel_tables_apply(&t, &ev, NULL, NULL), 0);
	CHECK(t.routes.n == 1 && !strcmp(t.routes.v[0].id, "55f8"));

	/* Many entries (the dump lists no interface or neighbour: they go),
	 * then a dump keeping every other one. */
	many_routes(&t, 1, NULL);
	CHECK_EQ(t.routes.n, 300);
	/* The same dump, then in the other order: nothing heard, and the
	 * table follows the dump's order (what the next dump finds first). */
	h = (struct heard){ 0 };
	many_routes(&t, 1, &h);
	CHECK(t.routes.n == 300 && h.add == 0 && h.change == 0 && h.flush == 0);
	backwards = true;
	many_routes(&t, 1, &h);
	CHECK(t.routes.n == 300 && h.add == 0 && h.change == 0 && h.flush == 0,
	      "backwards: %u added, %u changed, %u flushed", h.add, h.change, h.flush);
	CHECK(!strcmp(t.routes.v[0].id, "112b") && !strcmp(t.routes.v[299].id, "1000"),
	      "first %s, last %s", t.routes.v[0].id, t.routes.v[299].id);
	backwards = false;
	h = (struct heard){ 0 };
	many_routes(&t, 2, &h);
	CHECK(t.routes.n == 150 && h.flush == 150 && h.add == 0 && t.neighs.n == 0,
	      "%zu routes, %u flushed", t.routes.n, h.flush);
	for (size_t i = 0; i < t.routes.n; i++)
		CHECK(t.routes.v[i].prefix.addr[7] % 2 == 0 || t.routes.v[i].prefix.addr[6] != 1);

	babel_tables_free(&t);
	return check_summary();
}
