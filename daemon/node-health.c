/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "babel.h"
#include "control.h"
#include "ctx.h"
#include "node-metrics.h"
#include "tunnel.h"

static const char *const names[HEALTH__COUNT][2] = {
	[HEALTH_BABELD_DOWN] = { "babeld_down", "babeld is not running or not answering" },
	[HEALTH_NO_TUNNEL] = { "no_tunnel", "no tunnel is up" },
	[HEALTH_UNREACHABLE] = { "unreachable",
				 "not reachable from outside: neither a client nor a peer's probe "
				 "reached this node over the underlay in the last 10 minutes" },
	[HEALTH_CERT_EXPIRING] = { "cert_expiring",
				   "the certificate expires within 7 days (or has expired)" },
};

const char *health_reason_name(enum health_reason r)
{
	return r < HEALTH__COUNT ? names[r][0] : "unknown";
}

const char *health_reason_text(enum health_reason r)
{
	return r < HEALTH__COUNT ? names[r][1] : "unknown";
}

unsigned node_health(const struct ctx *c, uint64_t unix_now)
{
	unsigned bad = 0;
	if (!c->babel || !babel_ready(c->babel) || !babel_pid(c->babel))
		bad |= 1u << HEALTH_BABELD_DOWN;
	if (c->tunnels) {
		struct tunnel_health h;
		tunnel_health(c->tunnels, &h);
		if (!h.up)
			bad |= 1u << HEALTH_NO_TUNNEL;
		/* A node just started has had no time to be found. */
		if (!h.reachable && loop_now(c->loop) - c->started_ms >= HEALTH_REACH_GRACE_S * 1000ull)
			bad |= 1u << HEALTH_UNREACHABLE;
	}
	if (c->cert.not_after < unix_now + HEALTH_CERT_DAYS * 86400ull)
		bad |= 1u << HEALTH_CERT_EXPIRING;
	return bad;
}

/* "health": {"ok": false, "degraded": ["no_tunnel", ...], "reasons": ["no tunnel is up", ...]} */
static int cmd_health(struct ctx *c, const char *args, struct jbuf *o)
{
	unsigned bad = node_health(c, loop_unix_now());
	jbuf_append(o, "{\"ok\": %s, \"degraded\": [", bad ? "false" : "true");
	for (unsigned r = 0, first = 1; r < HEALTH__COUNT; r++)
		if (bad & (1u << r)) {
			jbuf_append(o, "%s", first ? "" : ", ");
			jbuf_string(o, names[r][0]);
			first = 0;
		}
	jbuf_append(o, "], \"reasons\": [");
	for (unsigned r = 0, first = 1; r < HEALTH__COUNT; r++)
		if (bad & (1u << r)) {
			jbuf_append(o, "%s", first ? "" : ", ");
			jbuf_string(o, names[r][1]);
			first = 0;
		}
	jbuf_append(o, "]}");
	return 0;
}

int node_health_register(struct ctx *c)
{
	return c->control ? control_register_status(c->control, "health", cmd_health) : 0;
}
