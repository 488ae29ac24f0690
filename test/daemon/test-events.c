/* SPDX-License-Identifier: GPL-2.0-or-later */
/* daemon/events.c: delivery from the loop, order, copies, re-entrancy. */
#include <string.h>

#include "check.h"
#include "events.h"
#include "loop.h"

struct seen {
	int n;
	enum event_type types[16];
	uint64_t versions[16];
	struct events *ev;
	bool post_from_handler;
	bool unsubscribe_self;
};

static void on_event(void *userdata, enum event_type type, const void *payload, size_t len)
{
	struct seen *s = userdata;

	if (s->n < 16) {
		s->types[s->n] = type;
		s->versions[s->n] = len == sizeof(struct ev_netconf) ?
			((const struct ev_netconf *)payload)->version : 0;
	}
	s->n++;
	if (s->post_from_handler && type == EV_NETCONF) {
		s->post_from_handler = false;
		CHECK_EQ(events_post(s->ev, EV_HMAC, NULL, 0), 0);
	}
	if (s->unsubscribe_self)
		events_unsubscribe(s->ev, on_event, s);
}

int main(void)
{
	_cleanup_(loop_freep) struct loop *l = NULL;
	_cleanup_(events_freep) struct events *ev = NULL;
	struct seen a = { 0 }, b = { 0 };
	struct ev_netconf nc = { .version = 7 };

	CHECK_EQ(loop_new(&l), 0);
	CHECK_EQ(events_new(l, &ev), 0);
	a.ev = b.ev = ev;
	CHECK_EQ(events_subscribe(ev, EV_NETCONF, on_event, &a), 0);
	CHECK_EQ(events_subscribe(ev, EV_HMAC, on_event, &a), 0);
	CHECK_EQ(events_subscribe(ev, EV_NETCONF, on_event, &b), 0);
	CHECK_EQ(events_subscribe(ev, EV__COUNT, on_event, &b), -EINVAL);
	CHECK_EQ(events_post(ev, EV__COUNT, NULL, 0), -EINVAL);
	CHECK_EQ(events_post(NULL, EV_HMAC, NULL, 0), 0);

	/* Nothing is delivered from inside events_post(); the copy is what
	 * arrives, even if the poster's struct changed since. */
	a.post_from_handler = true;
	CHECK_EQ(events_post(ev, EV_NETCONF, &nc, sizeof(nc)), 0);
	nc.version = 8;
	CHECK_EQ(events_post(ev, EV_NETCONF, &nc, sizeof(nc)), 0);
	CHECK_EQ(a.n, 0);
	CHECK_EQ(loop_run_once(l, 1000), 0);
	/* a: 7, 8, then the HMAC event posted while 7 was delivered. */
	CHECK_EQ(a.n, 3);
	CHECK_EQ(a.versions[0], 7);
	CHECK_EQ(a.versions[1], 8);
	CHECK_EQ(a.types[2], EV_HMAC);
	CHECK_EQ(b.n, 2);

	/* A subscriber that unsubscribes itself during a delivery gets no
	 * later event, the others still do. */
	b.unsubscribe_self = true;
	CHECK_EQ(events_post(ev, EV_NETCONF, &nc, sizeof(nc)), 0);
	CHECK_EQ(events_post(ev, EV_NETCONF, &nc, sizeof(nc)), 0);
	events_flush(ev);
	CHECK_EQ(b.n, 3);
	CHECK_EQ(a.n, 5);

	/* A burst posted "once" is one event. */
	CHECK_EQ(events_post_once(ev, EV_HMAC), 0);
	CHECK_EQ(events_post_once(ev, EV_HMAC), 0);
	CHECK_EQ(events_post_once(ev, EV_HMAC), 0);
	int was = a.n;
	events_flush(ev);
	CHECK_EQ(a.n, was + 1);

	/* Queued events are freed with the queue (ASan checks the leak). */
	CHECK_EQ(events_post(ev, EV_NETCONF, &nc, sizeof(nc)), 0);
	CHECK(strcmp(event_name(EV_PEER_REVOKED), "peer-revoked") == 0);
	return check_summary();
}
