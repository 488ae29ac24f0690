/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <net/if.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <sodium.h>

#include "tunnel-mgr.h"

/* ---- reachability tested (reach.h) ---- */

static bool served_lately(const struct tunnel_mgr *m)
{
	return m->served_ms && tm_now_ms(m) - m->served_ms < REACHABLE_MEMORY_MS;
}

bool tm_reachable(const struct tunnel_mgr *m)
{
	return served_lately(m) || reach_proven(&m->reach, tm_now_ms(m));
}

const char *tm_reachable_by(const struct tunnel_mgr *m)
{
	return served_lately(m) ? "clients" : reach_proven(&m->reach, tm_now_ms(m)) ? "probe" : NULL;
}

/*
 * Not proven reachable lately (no client reached us, no probe answered):
 * ask one random distant node to probe the endpoints we advertise, over
 * the overlay (a tunnel must be up to reach it). Never a node we have a
 * tunnel with, tried one with lately (back-off) or are asking for its
 * endpoints: we sent those set-up requests from our control port, and a
 * NAT in front of us could let their probe in as an answer. A node that
 * advertises nothing has nothing to test.
 */
void tm_reach_ask(struct tunnel_mgr *m)
{
	struct ctx *c = m->c;
	uint64_t now = tm_now_ms(m);
	char list[1024], b[PREFIX_STRLEN];

	if (!c->peer || served_lately(m) || !reach_want_ask(&m->reach, now) ||
	    endpoints_format(c->endpoints, list, sizeof(list)) < 0 || !*list)
		return;
	if (tm_count(m, false, true) + tm_count(m, true, true) == 0)
		return;
	const struct re6st_prefix *pick = tm_stranger(m);
	if (!pick)
		return;
	struct pp_msg msg = { .type = PP_PROBE_REQUEST, .address = { list, strlen(list) } };
	int r = peer_send(c->peer, pick, &msg);
	/* Asked or not, the next ask in REACH_ASK_MS. */
	reach_asked(&m->reach, r < 0 ? 0 : msg.seq, now);
	if (r < 0)
		log_debug("tunnel: cannot ask %s for a probe: %s", tm_pfx(pick, b), strerror(-r));
	else
		log_debug("tunnel: asked %s to probe our endpoints (%s)", tm_pfx(pick, b), list);
}

/* The peer handler: a probe reached our control endpoint. */
void tm_on_probed(void *userdata, const struct re6st_prefix *from, uint64_t request_seq)
{
	struct tunnel_mgr *m = userdata;
	uint64_t now = tm_now_ms(m);
	bool was = tm_reachable(m);
	char b[PREFIX_STRLEN];

	if (!reach_probed(&m->reach, request_seq, now)) {
		log_debug("tunnel: probe from %s answers no request of ours: ignored", tm_pfx(from, b));
		return;
	}
	if (!was) {
		log_info("tunnel: reachable: a probe from %s reached our endpoints", tm_pfx(from, b));
		tm_wake(m); /* the full client-count now */
	}
}
