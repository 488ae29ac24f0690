/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "events.h"
#include "loop.h"

struct sub {
	enum event_type type;
	events_fn fn;
	void *userdata;
	bool dead;
};

struct queued {
	struct queued *next;
	enum event_type type;
	size_t len;
	unsigned char payload[];
};

struct events {
	struct loop_timer *timer;   /* armed at 0 while something is queued */
	struct sub *subs;
	size_t n_subs, cap_subs;
	struct queued *head, **tail;
	unsigned delivering;        /* subs are only compacted outside deliveries */
};

static const char *const names[EV__COUNT] = {
	[EV_NETCONF] = "netconf",
	[EV_HMAC] = "hmac",
	[EV_PEER_REVOKED] = "peer-revoked",
	[EV_ENDPOINTS] = "endpoints",
	[EV_ADDRESS] = "address",
	[EV_ROUTES] = "routes",
	[EV_TUNNEL] = "tunnel",
	[EV_BABEL] = "babel",
};

const char *event_name(enum event_type type)
{
	return (unsigned)type < EV__COUNT && names[type] ? names[type] : "?";
}

static void compact(struct events *ev)
{
	size_t j = 0;

	for (size_t i = 0; i < ev->n_subs; i++)
		if (!ev->subs[i].dead)
			ev->subs[j++] = ev->subs[i];
	ev->n_subs = j;
}

void events_flush(struct events *ev)
{
	struct queued *q;

	if (!ev)
		return;
	ev->delivering++;
	while ((q = ev->head)) {
		ev->head = q->next;
		if (!ev->head)
			ev->tail = &ev->head;
		/* n_subs read each time: a subscriber may subscribe others. */
		for (size_t i = 0; i < ev->n_subs; i++) {
			struct sub s = ev->subs[i];
			if (!s.dead && s.type == q->type)
				s.fn(s.userdata, q->type, q->len ? q->payload : NULL, q->len);
		}
		free(q);
	}
	if (!--ev->delivering)
		compact(ev);
}

static void on_timer(struct loop *l, struct loop_timer *t, void *userdata)
{
	(void)l;
	(void)t;
	events_flush(userdata);
}

int events_new(struct loop *l, struct events **ret)
{
	struct events *ev = calloc(1, sizeof(*ev));
	int r;

	if (!ev)
		return -ENOMEM;
	ev->tail = &ev->head;
	if (l) {
		r = loop_add_timer(l, 0, 0, on_timer, ev, &ev->timer);
		if (r < 0) {
			free(ev);
			return r;
		}
		loop_timer_disarm(ev->timer);
	}
	*ret = ev;
	return 0;
}

void events_free(struct events *ev)
{
	struct queued *q;

	if (!ev)
		return;
	while ((q = ev->head)) {
		ev->head = q->next;
		free(q);
	}
	loop_timer_remove(ev->timer);
	free(ev->subs);
	free(ev);
}

int events_subscribe(struct events *ev, enum event_type type, events_fn fn, void *userdata)
{
	if (!ev || (unsigned)type >= EV__COUNT || !fn)
		return -EINVAL;
	if (ev->n_subs == ev->cap_subs) {
		size_t cap = ev->cap_subs ? 2 * ev->cap_subs : 8;
		struct sub *s = realloc(ev->subs, cap * sizeof(*s));
		if (!s)
			return -ENOMEM;
		ev->subs = s;
		ev->cap_subs = cap;
	}
	ev->subs[ev->n_subs++] = (struct sub){ .type = type, .fn = fn, .userdata = userdata };
	return 0;
}

void events_unsubscribe(struct events *ev, events_fn fn, void *userdata)
{
	if (!ev)
		return;
	for (size_t i = 0; i < ev->n_subs; i++)
		if (ev->subs[i].fn == fn && ev->subs[i].userdata == userdata)
			ev->subs[i].dead = true;
	if (!ev->delivering)
		compact(ev);
}

bool events_wanted(const struct events *ev, enum event_type type)
{
	for (size_t i = 0; ev && i < ev->n_subs; i++)
		if (!ev->subs[i].dead && ev->subs[i].type == type)
			return true;
	return false;
}

int events_post_once(struct events *ev, enum event_type type)
{
	if (!ev)
		return 0;
	for (const struct queued *q = ev->head; q; q = q->next)
		if (q->type == type && !q->len)
			return 0;
	return events_post(ev, type, NULL, 0);
}

int events_post(struct events *ev, enum event_type type, const void *payload, size_t len)
{
	struct queued *q;

	if (!ev)
		return 0;
	if ((unsigned)type >= EV__COUNT || (len && !payload))
		return -EINVAL;
	q = malloc(sizeof(*q) + len);
	if (!q)
		return -ENOMEM;
	q->next = NULL;
	q->type = type;
	q->len = len;
	if (len)
		memcpy(q->payload, payload, len);
	*ev->tail = q;
	ev->tail = &q->next;
	if (ev->timer)
		loop_timer_set(ev->timer, 0);
	return 0;
}
