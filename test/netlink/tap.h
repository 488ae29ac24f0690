/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Minimal checks for the netlink tests: count, print failures, summarize. */
#ifndef RE6ST_TEST_NETLINK_TAP_H
#define RE6ST_TEST_NETLINK_TAP_H

#include <stdio.h>
#include <string.h>

static unsigned tap_passed, tap_failed;

#define CHECK(cond)                                                                    \
	do {                                                                           \
		if (cond)                                                              \
			tap_passed++;                                                  \
		else {                                                                 \
			tap_failed++;                                                  \
			fprintf(stderr, "FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond); \
		}                                                                      \
	} while (0)

/* Check an int result, printing it (and an errno name) on failure. */
#define CHECK_EQ(a, b)                                                                   \
	do {                                                                             \
		long long _a = (long long)(a), _b = (long long)(b);                      \
		if (_a == _b)                                                            \
			tap_passed++;                                                    \
		else {                                                                   \
			tap_failed++;                                                    \
			fprintf(stderr, "FAIL %s:%d: %s == %s (%lld vs %lld%s%s)\n",     \
				__FILE__, __LINE__, #a, #b, _a, _b,                      \
				_a < 0 && _a > -4096 ? ", " : "",                        \
				_a < 0 && _a > -4096 ? strerror((int)-_a) : "");         \
		}                                                                        \
	} while (0)

static inline int tap_finish(void)
{
	printf("%u passed, %u failed\n", tap_passed, tap_failed);
	return tap_failed ? 1 : 0;
}

#endif
