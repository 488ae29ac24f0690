/* SPDX-License-Identifier: GPL-2.0-or-later */
/* lib/ratelimit: buckets, refill, suppressed counts, eviction. */
#include <errno.h>
#include <stdio.h>

#include "ratelimit.h"
#include "check.h"

static void test_bucket(void)
{
	struct ratelimit rl;
	uint32_t sup = 99;
	unsigned allowed = 0;

	CHECK(ratelimit_init(&rl, 4, 3, 1000) == 0);
	for (int i = 0; i < 10; i++)
		allowed += ratelimit_allow(&rl, "10.0.0.1", 5000, NULL);
	CHECK_EQ(allowed, 3); /* the burst, then nothing */
	CHECK(!ratelimit_allow(&rl, "10.0.0.1", 5999, NULL), "no token before the interval");
	CHECK(ratelimit_allow(&rl, "10.0.0.1", 6000, &sup), "one token per interval");
	CHECK_EQ(sup, 8); /* 7 refused in the loop + 1 at 5999 */
	CHECK(ratelimit_allow(&rl, "10.0.0.1", 7000, &sup) && sup == 0, "count reset");
	/* Another key has its own bucket. */
	CHECK(ratelimit_allow(&rl, "10.0.0.2", 7000, &sup) && sup == 0);
	/* A long quiet period refills up to the burst only. */
	allowed = 0;
	for (int i = 0; i < 10; i++)
		allowed += ratelimit_allow(&rl, "10.0.0.1", 1000000, NULL);
	CHECK_EQ(allowed, 3);
	/* A clock going back does not give tokens. */
	CHECK(!ratelimit_allow(&rl, "10.0.0.1", 10, NULL));
	ratelimit_done(&rl);
	CHECK(ratelimit_init(&rl, 0, 1, 1) == -EINVAL && ratelimit_init(&rl, 1, 0, 1) == -EINVAL);
}

static void test_eviction(void)
{
	struct ratelimit rl;
	char key[16];

	CHECK(ratelimit_init(&rl, 2, 1, 1000) == 0);
	CHECK(ratelimit_allow(&rl, "a", 0, NULL));
	CHECK(!ratelimit_allow(&rl, "a", 0, NULL), "a limited");
	CHECK(ratelimit_allow(&rl, "b", 1, NULL));
	/* Table full, no bucket refilled: c takes b's slot, a being refused keeps its own. */
	CHECK(ratelimit_allow(&rl, "c", 2, NULL));
	CHECK(!ratelimit_allow(&rl, "a", 3, NULL), "a kept its state");
	/* Refilled buckets go first, the busy one stays limited. */
	ratelimit_done(&rl);
	CHECK(ratelimit_init(&rl, 2, 1, 1000) == 0);
	CHECK(ratelimit_allow(&rl, "busy", 0, NULL));
	CHECK(ratelimit_allow(&rl, "quiet", 0, NULL));
	for (int i = 0; i < 5; i++)
		ratelimit_allow(&rl, "busy", 1500 + i, NULL); /* 1 allowed, 4 refused */
	/* quiet is full again at 1500 and is the slot given to new keys */
	for (int i = 0; i < 50; i++) {
		snprintf(key, sizeof(key), "k%d", i);
		ratelimit_allow(&rl, key, 1600, NULL);
	}
	CHECK(!ratelimit_allow(&rl, "busy", 1700, NULL), "busy not reset by many new keys");
	/* Long keys are cut, not overflowed. */
	CHECK(ratelimit_allow(&rl, "0123456789012345678901234567890123456789012345678901234567890",
			      1800, NULL));
	ratelimit_done(&rl);
}

int main(void)
{
	test_bucket();
	test_eviction();
	return check_summary();
}
