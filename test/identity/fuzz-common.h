/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A fixed, deterministic test network shared by the fuzz targets and the
 * corpus generator, so that corpus documents carry valid signatures and the
 * fuzzers reach the code after signature checks.
 */
#ifndef RE6ST_TEST_FUZZ_COMMON_H
#define RE6ST_TEST_FUZZ_COMMON_H

#include <stdlib.h>
#include <string.h>

#include "identity.h"
#include "wire.h"

#define FUZZ_NOW 1700000000ull

/* A key from a one-byte seed: same key every run. */
static inline struct re6st_key *fuzz_key(uint8_t seed, bool with_wg)
{
	uint8_t bin[SECRET_KEY_SIZE] = { 'R', '6', 'S', 'K', 1, with_wg ? 1 : 0, 0, 0 };
	struct re6st_key *k = NULL;
	memset(bin + 8, seed, 32);
	if (with_wg) {
		memset(bin + 40, seed ^ 0x5a, 32);
		bin[40] &= 248;
		bin[71] = (uint8_t)((bin[71] & 127) | 64);
	}
	if (key_decode(bin, sizeof(bin), &k) < 0)
		abort();
	return k;
}

/* The fuzz network's CA (2001:db8::/32) and its key. */
static inline void fuzz_network(struct re6st_ca *ret_ca, struct re6st_key **ret_key)
{
	struct re6st_prefix p;
	struct re6st_key *k = fuzz_key(1, false);
	if (prefix_parse("2001:db8::/32", &p) < 0 || ca_create(&p, k, FUZZ_NOW - 1000, ret_ca) < 0)
		abort();
	if (ret_key)
		*ret_key = k;
	else
		key_free(k);
}

#endif
