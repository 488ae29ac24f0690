/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * "monitor": the client that sends it gets one line "{"monitor": [...]}",
 * then one JSON object per event, until it hangs up. The control socket
 * subscribes to the events only while a monitor is connected, and the
 * tunnel manager and the babel module build them only then
 * (events_wanted()): no monitor, no cost.
 *
 * A client that reads slowly must not hold the daemon: at most MONITOR_BUF
 * bytes wait for it; events that do not fit are dropped and counted, and
 * {"event": "dropped", "count": N} follows once it has read the rest.
 */
#include <arpa/inet.h>
#include <time.h>

#include "babel.h"
#include "babel-parse.h"
#include "control-int.h"
#include "ctx.h"
#include "log.h"

static const struct {
	const char *name;
	unsigned bit;
} classes[] = {
	{ "tunnel", MON_TUNNEL },
	{ "route", MON_ROUTE },
	{ "neighbour", MON_NEIGHBOUR },
	{ "revocation", MON_REVOCATION },
};

int control_parse_monitor(const char *args, unsigned *ret_classes, char *err, size_t errlen)
{
	unsigned set = 0;
	const char *p = args;

	while (*p) {
		size_t n = strcspn(p, " ");
		size_t i;
		for (i = 0; i < ARRAY_SIZE(classes); i++)
			if (strlen(classes[i].name) == n && !memcmp(p, classes[i].name, n))
				break;
		if (!n || i == ARRAY_SIZE(classes)) {
			snprintf(err, errlen,
				 "monitor: unknown event class '%.*s' (tunnel, route, neighbour, "
				 "revocation)",
				 (int)MIN(n, (size_t)32), p);
			return -EINVAL;
		}
		set |= classes[i].bit;
		p += n;
		if (*p == ' ' && !*++p) {
			snprintf(err, errlen, "monitor: trailing space");
			return -EINVAL;
		}
	}
	*ret_classes = set ? set : MON_ALL;
	return 0;
}

int control_cmd_monitor(struct ctx *c, const char *args, struct jbuf *o)
{
	char err[128];
	unsigned set;

	if (control_parse_monitor(args, &set, err, sizeof(err)) < 0) {
		jbuf_append(o, "{\"error\": ");
		jbuf_string(o, err);
		jbuf_append(o, "}");
		return 0;
	}
	jbuf_append(o, "{\"monitor\": [");
	const char *sep = "";
	for (size_t i = 0; i < ARRAY_SIZE(classes); i++)
		if (set & classes[i].bit) {
			jbuf_append(o, "%s", sep);
			jbuf_string(o, classes[i].name);
			sep = ", ";
		}
	jbuf_append(o, "]}");
	if (c->control) {
		c->control->monitor_request = true;
		c->control->monitor_request_classes = set;
	}
	return 0;
}

/* ---- events as JSON lines ---- */

static void start_line(struct jbuf *o, const char *event)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	jbuf_append(o, "{\"time\": %lld.%03ld, \"event\": ", (long long)ts.tv_sec,
		    ts.tv_nsec / 1000000);
	jbuf_string(o, event);
}

static void field_str(struct jbuf *o, const char *key, const char *v)
{
	jbuf_append(o, ", ");
	jbuf_key(o, key);
	jbuf_string(o, v);
}

static const char *const tunnel_kinds[] = {
	[EV_TUNNEL_UP] = "up", [EV_TUNNEL_DOWN] = "down", [EV_TUNNEL_ROTATE] = "rotate",
	[EV_TUNNEL_DRAINED] = "drained", [EV_TUNNEL_FORCED] = "forced",
};
static const char *const changes[] = {
	[EV_BABEL_ADD] = "add", [EV_BABEL_CHANGE] = "change", [EV_BABEL_FLUSH] = "flush",
};

static unsigned format_tunnel(struct jbuf *o, const struct ev_tunnel *e)
{
	char b[PREFIX_STRLEN];
	start_line(o, "tunnel");
	field_str(o, "change", e->kind < ARRAY_SIZE(tunnel_kinds) ? tunnel_kinds[e->kind] : "?");
	field_str(o, "interface", e->ifname);
	field_str(o, "peer", prefix_format(&e->peer, b));
	field_str(o, "role", e->server ? "server" : "client");
	field_str(o, "type", e->type);
	if (e->kind == EV_TUNNEL_DOWN)
		field_str(o, "why", e->why);
	if (e->kind == EV_TUNNEL_ROTATE)
		jbuf_append(o, ", \"routes\": %u", e->routes);
	if (e->kind == EV_TUNNEL_DRAINED || e->kind == EV_TUNNEL_FORCED)
		jbuf_append(o, ", \"drain_s\": %u.%03u", e->ms / 1000, e->ms % 1000);
	return MON_TUNNEL;
}

static unsigned format_babel(struct jbuf *o, const struct ev_babel *e)
{
	char b[PREFIX_STRLEN];
	bool route = e->kind == EV_BABEL_ROUTE;
	start_line(o, route ? "route" : "neighbour");
	field_str(o, "change", e->change < ARRAY_SIZE(changes) ? changes[e->change] : "?");
	if (route) {
		field_str(o, "prefix", babel_format_prefix(&e->prefix, b));
		if (e->from.len)
			field_str(o, "from", babel_format_prefix(&e->from, b));
		field_str(o, "via", prefix_format_address(e->addr, b));
		field_str(o, "interface", e->ifname);
		jbuf_append(o, ", \"installed\": %s, \"metric\": %u, \"refmetric\": %u",
			    e->installed ? "true" : "false", e->metric, e->refmetric);
		field_str(o, "router_id", e->router_id);
		return MON_ROUTE;
	}
	field_str(o, "address", prefix_format_address(e->addr, b));
	field_str(o, "interface", e->ifname);
	jbuf_append(o, ", \"reach\": \"%04x\", \"cost\": %u, \"rtt_ms\": %u.%03u", e->reach & 0xffff,
		    e->cost, e->rtt_us / 1000, e->rtt_us % 1000);
	return MON_NEIGHBOUR;
}

/* Append line (len bytes) to a monitor's queue, or count it as dropped. */
static void push(struct client *cl, const char *line, size_t len)
{
	if (cl->outlen - cl->outoff + len > MONITOR_BUF) {
		cl->dropped++;
		return;
	}
	if (cl->outoff) {
		memmove(cl->out, cl->out + cl->outoff, cl->outlen - cl->outoff);
		cl->outlen -= cl->outoff;
		cl->outoff = 0;
	}
	char *out = realloc(cl->out, cl->outlen + len);
	if (!out) {
		cl->dropped++;
		return;
	}
	memcpy(out + cl->outlen, line, len);
	cl->out = out;
	cl->outlen += len;
}

static void on_event(void *userdata, enum event_type type, const void *payload, size_t len)
{
	struct control *ctl = userdata;
	struct jbuf o = { 0 };
	unsigned cls;

	if (type == EV_TUNNEL && len == sizeof(struct ev_tunnel)) {
		cls = format_tunnel(&o, payload);
	} else if (type == EV_BABEL && len == sizeof(struct ev_babel)) {
		cls = format_babel(&o, payload);
	} else if (type == EV_PEER_REVOKED && len == sizeof(struct ev_prefix)) {
		char b[PREFIX_STRLEN];
		start_line(&o, "revocation");
		field_str(&o, "peer", prefix_format(&((const struct ev_prefix *)payload)->prefix, b));
		cls = MON_REVOCATION;
	} else {
		return;
	}
	jbuf_append(&o, "}\n");
	for (size_t i = 0; !o.oom && i < MAX_CLIENTS; i++) {
		struct client *cl = &ctl->clients[i];
		if (cl->fd < 0 || !cl->monitor || !(cl->monitor_classes & cls))
			continue;
		bool idle = !cl->out;
		push(cl, o.s, o.len);
		if (idle && cl->out)
			control_client_flush(cl); /* may close it */
	}
	free(o.s);
}

static const enum event_type subscribed[] = { EV_TUNNEL, EV_BABEL, EV_PEER_REVOKED };

int control_monitor_attach(struct control *ctl, struct client *cl, unsigned set)
{
	if (!ctl->n_monitors) {
		for (size_t i = 0; i < ARRAY_SIZE(subscribed); i++) {
			int r = events_subscribe(ctl->c->events, subscribed[i], on_event, ctl);
			if (r < 0) {
				events_unsubscribe(ctl->c->events, on_event, ctl);
				return log_errno(LOG_WARNING, r, "control socket: cannot start a monitor");
			}
		}
	}
	ctl->n_monitors++;
	cl->monitor = true;
	cl->monitor_classes = set;
	/* Route and neighbour events come from babeld's dumps: every
	 * second while a monitor follows them (up to 10 s otherwise). */
	cl->watches_babel = ctl->c->babel && (set & (MON_ROUTE | MON_NEIGHBOUR));
	if (cl->watches_babel)
		babel_watch(ctl->c->babel, true);
	log_debug("control socket: monitor connected (%zu)", ctl->n_monitors);
	return 0;
}

void control_monitor_detach(struct client *cl)
{
	struct control *ctl = cl->ctl;
	cl->monitor = false;
	if (cl->watches_babel)
		babel_watch(ctl->c->babel, false);
	cl->watches_babel = false;
	if (cl->dropped)
		log_info("control socket: a monitor left, %llu events dropped for it (read too slowly)",
			 (unsigned long long)cl->dropped);
	if (ctl->n_monitors && !--ctl->n_monitors)
		events_unsubscribe(ctl->c->events, on_event, ctl);
}

void control_monitor_drained(struct client *cl)
{
	struct jbuf o = { 0 };
	start_line(&o, "dropped");
	jbuf_append(&o, ", \"count\": %llu}\n", (unsigned long long)cl->dropped);
	if (o.oom) {
		free(o.s);
		return;
	}
	cl->dropped = 0;
	push(cl, o.s, o.len);
	free(o.s);
	if (cl->out)
		control_client_flush(cl);
}
