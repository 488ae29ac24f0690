/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <netinet/in.h>
#include <string.h>

#include "reach.h"

bool reach_proven(const struct reach *r, uint64_t now_ms)
{
	return r->probed_ms && now_ms - r->probed_ms < REACH_MEMORY_MS;
}

bool reach_want_ask(const struct reach *r, uint64_t now_ms)
{
	if (now_ms < r->next_ask_ms)
		return false;
	return !r->probed_ms || now_ms - r->probed_ms >= REACH_RENEW_MS;
}

void reach_asked(struct reach *r, uint64_t seq, uint64_t now_ms)
{
	size_t oldest = 0;
	for (size_t i = 1; i < REACH_ASKED_MAX; i++)
		if (r->asked_ms[i] < r->asked_ms[oldest])
			oldest = i;
	r->asked_seq[oldest] = seq;
	r->asked_ms[oldest] = now_ms;
	r->next_ask_ms = now_ms + REACH_ASK_MS;
}

bool reach_probed(struct reach *r, uint64_t request_seq, uint64_t now_ms)
{
	if (request_seq == 0)
		return false;
	for (size_t i = 0; i < REACH_ASKED_MAX; i++)
		if (r->asked_seq[i] == request_seq && now_ms - r->asked_ms[i] < REACH_ANSWER_MS) {
			r->probed_ms = now_ms ? now_ms : 1;
			return true;
		}
	return false;
}

bool reach_limit_allow(struct reach_limit *l, const struct re6st_prefix *requester,
		       uint64_t now_ms)
{
	size_t found = REACH_PROBE_SLOTS, oldest = 0;
	for (size_t i = 0; i < REACH_PROBE_SLOTS; i++) {
		if (l->slot[i].last_ms && prefix_equal(&l->slot[i].requester, requester)) {
			found = i;
			break;
		}
		if (l->slot[i].last_ms < l->slot[oldest].last_ms)
			oldest = i;
	}
	if (found < REACH_PROBE_SLOTS && now_ms - l->slot[found].last_ms < REACH_PROBE_EVERY_MS)
		return false;
	if (now_ms - l->window_ms >= 1000 || now_ms < l->window_ms) {
		l->window_ms = now_ms;
		l->count = 0;
	}
	if (l->count >= REACH_PROBE_GLOBAL_PER_S)
		return false;
	l->count++;
	size_t i = found < REACH_PROBE_SLOTS ? found : oldest;
	l->slot[i].requester = *requester;
	l->slot[i].last_ms = now_ms ? now_ms : 1;
	return true;
}

size_t reach_targets(const char *list, size_t len, const struct re6st_prefix *network,
		     struct sockaddr_storage *ret, size_t max)
{
	struct pp_endpoint e[PP_MAX_ENDPOINTS];
	size_t n = 0, got = 0;
	if (pp_endpoints_parse(list, len, e, PP_MAX_ENDPOINTS, &n) < 0)
		return 0;
	for (size_t i = 0; i < n && got < max; i++) {
		bool dup = false;
		for (size_t j = 0; j < i && !dup; j++)
			dup = e[j].family == e[i].family && e[j].port == e[i].port &&
			      memcmp(e[j].addr, e[i].addr, 16) == 0;
		if (dup || (e[i].family == AF_INET6 && prefix_contains_address(network, e[i].addr)))
			continue;
		struct sockaddr_storage ss = { 0 };
		if (e[i].family == AF_INET) {
			struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
			s4->sin_family = AF_INET;
			s4->sin_port = htons(e[i].port);
			memcpy(&s4->sin_addr, e[i].addr, 4);
		} else {
			struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
			s6->sin6_family = AF_INET6;
			s6->sin6_port = htons(e[i].port);
			memcpy(&s6->sin6_addr, e[i].addr, 16);
		}
		ret[got++] = ss;
	}
	return got;
}
