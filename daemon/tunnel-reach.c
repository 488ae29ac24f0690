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
 * ask one random peer we have a tunnel up with to probe the endpoints we
 * advertise, over the overlay, else over the underlay to its control
 * endpoint. A node that advertises nothing has nothing to test.
 */
void tm_reach_ask(struct tunnel_mgr *m)
{
	struct ctx *c = m->c;
	uint64_t now = tm_now_ms(m);
	char list[1024], b[PREFIX_STRLEN];

	if (!c->peer || served_lately(m) || !reach_want_ask(&m->reach, now) ||
	    endpoints_format(c->endpoints, list, sizeof(list)) < 0 || !*list)
		return;
	const struct tunnel *pick = NULL;
	uint32_t seen = 0;
	for (size_t i = 0; i < m->n; i++)
		if (m->t[i]->state == T_UP && randombytes_uniform(++seen) == 0)
			pick = m->t[i];
	if (!pick)
		return;
	struct pp_msg msg = { .type = PP_PROBE_REQUEST, .address = { list, strlen(list) } };
	int r = peer_send(c->peer, &pick->peer, &msg);
	if (r < 0 && pick->peer_ul.ss_family != AF_UNSPEC)
		r = peer_send_underlay(c->peer, &pick->peer_ul, &pick->peer, &msg, NULL);
	/* Asked or not, the next ask in REACH_ASK_MS. */
	reach_asked(&m->reach, r < 0 ? 0 : msg.seq, now);
	if (r < 0)
		log_debug("tunnel: cannot ask %s for a probe: %s", tm_pfx(&pick->peer, b), strerror(-r));
	else
		log_debug("tunnel: asked %s to probe our endpoints (%s)", tm_pfx(&pick->peer, b), list);
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
