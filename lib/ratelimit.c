/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "ratelimit.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int ratelimit_init(struct ratelimit *rl, size_t n_slots, uint32_t burst, uint32_t interval_ms)
{
	if (!n_slots || !burst || !interval_ms)
		return -EINVAL;
	*rl = (struct ratelimit){ .n_slots = n_slots, .burst = burst, .interval_ms = interval_ms };
	rl->slot = calloc(n_slots, sizeof(*rl->slot));
	return rl->slot ? 0 : -ENOMEM;
}

void ratelimit_done(struct ratelimit *rl)
{
	free(rl->slot);
	rl->slot = NULL;
	rl->n_slots = 0;
}

static void refill(const struct ratelimit *rl, struct ratelimit_slot *s, uint64_t now_ms)
{
	uint64_t n;

	if (now_ms < s->stamp_ms) /* the caller's clock went back: restart from now */
		s->stamp_ms = now_ms;
	n = (now_ms - s->stamp_ms) / rl->interval_ms;
	if (n == 0)
		return;
	if (s->tokens + n >= rl->burst) {
		s->tokens = rl->burst;
		s->stamp_ms = now_ms;
	} else {
		s->tokens += (uint32_t)n;
		s->stamp_ms += n * rl->interval_ms;
	}
}

static struct ratelimit_slot *lookup(struct ratelimit *rl, const char *key, uint64_t now_ms)
{
	struct ratelimit_slot *free_slot = NULL, *full = NULL, *oldest = NULL, *oldest_calm = NULL;

	for (size_t i = 0; i < rl->n_slots; i++) {
		struct ratelimit_slot *s = &rl->slot[i];

		if (!s->used) {
			if (!free_slot)
				free_slot = s;
			continue;
		}
		if (strncmp(s->key, key, sizeof(s->key) - 1) == 0)
			return s;
		refill(rl, s, now_ms);
		if (!full && s->tokens == rl->burst && !s->suppressed)
			full = s;
		if (!oldest || s->seen_ms < oldest->seen_ms)
			oldest = s;
		if (!s->suppressed && (!oldest_calm || s->seen_ms < oldest_calm->seen_ms))
			oldest_calm = s;
	}
	/* A key being refused keeps its slot while another can be given. */
	struct ratelimit_slot *s = free_slot ? free_slot : full ? full :
				   oldest_calm ? oldest_calm : oldest;
	*s = (struct ratelimit_slot){ .stamp_ms = now_ms, .tokens = rl->burst, .used = true };
	snprintf(s->key, sizeof(s->key), "%s", key);
	return s;
}

bool ratelimit_allow(struct ratelimit *rl, const char *key, uint64_t now_ms,
		     uint32_t *ret_suppressed)
{
	struct ratelimit_slot *s = lookup(rl, key, now_ms);

	refill(rl, s, now_ms);
	s->seen_ms = now_ms;
	if (!s->tokens) {
		if (s->suppressed < UINT32_MAX)
			s->suppressed++;
		return false;
	}
	s->tokens--;
	if (ret_suppressed)
		*ret_suppressed = s->suppressed;
	s->suppressed = 0;
	return true;
}

uint64_t ratelimit_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}
