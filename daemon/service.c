/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "babel.h"
#include "ctx.h"
#include "log.h"
#include "sdnotify.h"
#include "service.h"

#define READY_POLL_MS 100

struct service {
	const struct babel *babel;
	struct loop_timer *timer;
	uint64_t watchdog_ms; /* 0: no watchdog */
	bool ready;
	char status[256];
};

static bool babel_up(const struct babel *b)
{
	const struct babel_interface *ifc;
	return b && babel_ready(b) && babel_interfaces(b, &ifc) > 0;
}

static void on_timer(struct loop *l, struct loop_timer *t, void *userdata)
{
	struct service *s = userdata;
	if (!s->ready && babel_up(s->babel)) {
		s->ready = true;
		int r = sdnotifyf("READY=1\nSTATUS=%s", s->status);
		if (r < 0)
			log_errno(LOG_WARNING, r, "cannot notify the service manager");
		else if (r > 0)
			log_debug("told the service manager we are ready");
	}
	/* The loop turns: that is what the watchdog checks. */
	if (s->watchdog_ms)
		sdnotify("WATCHDOG=1");
	/* Ready: the watchdog's period, or nothing more to do without one. */
	if (!s->ready)
		loop_timer_set_in(t, s->watchdog_ms ? MIN(s->watchdog_ms, READY_POLL_MS)
					      : READY_POLL_MS);
	else if (s->watchdog_ms)
		loop_timer_set_in(t, s->watchdog_ms);
}

int service_init(struct ctx *c)
{
	struct service *s = calloc(1, sizeof(*s));
	if (!s)
		return log_errno(LOG_ERR, -ENOMEM, "service notifications");
	s->babel = c->babel;
	s->watchdog_ms = sdnotify_watchdog_ms();
	snprintf(s->status, sizeof(s->status), "%s on %s", c->addr_str, c->opt.main_interface);
	int r = loop_add_timer(c->loop, 0, 0, on_timer, s, &s->timer);
	if (r < 0) {
		free(s);
		return log_errno(LOG_ERR, r, "service notifications");
	}
	if (s->watchdog_ms)
		log_debug("watchdog: WATCHDOG=1 every %llu ms", (unsigned long long)s->watchdog_ms);
	c->service = s;
	return 0;
}

void service_fini(struct ctx *c)
{
	struct service *s = c->service;
	sdnotify("STOPPING=1\nSTATUS=stopping");
	if (!s)
		return;
	loop_timer_remove(s->timer);
	free(s);
	c->service = NULL;
}
