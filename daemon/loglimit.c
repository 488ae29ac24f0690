/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include "log.h"
#include "loglimit.h"

void loglimit_init(struct loglimit *ll, const char *what)
{
	*ll = (struct loglimit){ .what = what };
}

static void key_of(const struct sockaddr_storage *src, uint8_t ret[16])
{
	memset(ret, 0, 16);
	if (src->ss_family == AF_INET6) {
		memcpy(ret, &((const struct sockaddr_in6 *)src)->sin6_addr, 16);
	} else if (src->ss_family == AF_INET) {
		ret[10] = ret[11] = 0xff;
		memcpy(ret + 12, &((const struct sockaddr_in *)src)->sin_addr, 4);
	}
}

static void report(const struct loglimit *ll, struct loglimit_slot *s, uint64_t now_ms)
{
	if (s->suppressed) {
		char a[INET6_ADDRSTRLEN];
		inet_ntop(AF_INET6, s->addr, a, sizeof(a));
		log_notice("%s: %u log lines caused by %s suppressed in the last %llu s", ll->what,
			   s->suppressed, a, (unsigned long long)(now_ms - s->start_ms + 999) / 1000);
	}
	*s = (struct loglimit_slot){ 0 };
}

static struct loglimit_slot *slot_for(struct loglimit *ll, const uint8_t key[16], uint64_t now_ms)
{
	struct loglimit_slot *free_slot = NULL, *oldest = &ll->slots[0];
	for (size_t i = 0; i < LOGLIMIT_SLOTS; i++) {
		struct loglimit_slot *s = &ll->slots[i];
		if (!s->start_ms) {
			free_slot = free_slot ? free_slot : s;
			continue;
		}
		if (!memcmp(s->addr, key, 16))
			return s;
		if (s->start_ms < oldest->start_ms)
			oldest = s;
	}
	struct loglimit_slot *s = free_slot;
	if (!s) {
		/* Reporting it now would let many sources flood the log with
		 * reports: its count goes to the all-sources one. */
		ll->global_suppressed += oldest->suppressed;
		if (!ll->global_start_ms)
			ll->global_start_ms = now_ms ? now_ms : 1;
		s = oldest;
		*s = (struct loglimit_slot){ 0 };
	}
	memcpy(s->addr, key, 16);
	s->start_ms = now_ms ? now_ms : 1;
	return s;
}

bool loglimit_allow(struct loglimit *ll, const struct sockaddr_storage *src, int level,
		    uint64_t now_ms)
{
	if (log_get_level() < level)
		return false;
	uint8_t key[16];
	key_of(src, key);
	loglimit_tick(ll, now_ms);
	struct loglimit_slot *s = slot_for(ll, key, now_ms);
	if (s->lines >= LOGLIMIT_BURST) {
		s->suppressed++;
		return false;
	}
	if (!ll->global_start_ms)
		ll->global_start_ms = now_ms ? now_ms : 1;
	if (ll->global_lines >= LOGLIMIT_GLOBAL) {
		ll->global_suppressed++;
		return false;
	}
	s->lines++;
	ll->global_lines++;
	return true;
}

static void sweep(struct loglimit *ll, uint64_t now_ms, bool all)
{
	for (size_t i = 0; i < LOGLIMIT_SLOTS; i++) {
		struct loglimit_slot *s = &ll->slots[i];
		if (s->start_ms && (all || now_ms - s->start_ms >= LOGLIMIT_WINDOW_MS))
			report(ll, s, now_ms);
	}
	if (ll->global_start_ms && (all || now_ms - ll->global_start_ms >= LOGLIMIT_WINDOW_MS)) {
		if (ll->global_suppressed)
			log_notice("%s: %u log lines suppressed in the last %llu s (over %d from "
				   "all sources, or from more than %d sources)", ll->what,
				   ll->global_suppressed,
				   (unsigned long long)(now_ms - ll->global_start_ms + 999) / 1000,
				   LOGLIMIT_GLOBAL, LOGLIMIT_SLOTS);
		ll->global_start_ms = 0;
		ll->global_lines = ll->global_suppressed = 0;
	}
}

uint64_t loglimit_next_report(const struct loglimit *ll)
{
	uint64_t next = 0;
	for (size_t i = 0; i < LOGLIMIT_SLOTS; i++) {
		const struct loglimit_slot *s = &ll->slots[i];
		if (s->start_ms && s->suppressed && (!next || s->start_ms + LOGLIMIT_WINDOW_MS < next))
			next = s->start_ms + LOGLIMIT_WINDOW_MS;
	}
	if (ll->global_start_ms && ll->global_suppressed &&
	    (!next || ll->global_start_ms + LOGLIMIT_WINDOW_MS < next))
		next = ll->global_start_ms + LOGLIMIT_WINDOW_MS;
	return next;
}

void loglimit_tick(struct loglimit *ll, uint64_t now_ms)
{
	sweep(ll, now_ms, false);
}

void loglimit_flush(struct loglimit *ll, uint64_t now_ms)
{
	sweep(ll, now_ms, true);
}
