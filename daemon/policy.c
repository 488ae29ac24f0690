/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "macro.h"
#include "policy.h"

static uint32_t sodium_uniform(void *ud, uint32_t n)
{
	(void)ud;
	return randombytes_uniform(n);
}

const struct policy_rand policy_rand_sodium = { sodium_uniform, NULL };

#define CHANCE_BITS 24

bool policy_chance(const struct policy_rand *r, double p)
{
	if (!(p > 0))
		return false;
	if (p >= 1)
		return true;
	uint32_t scale = 1u << CHANCE_BITS;
	return r->uniform(r->ud, scale) < (uint32_t)(p * scale);
}

size_t policy_rotation_count(double share, size_t n, const struct policy_rand *r)
{
	if (!(share > 0) || n == 0)
		return 0;
	if (share >= 1)
		return n;
	double x = share * (double)n;
	size_t k = (size_t)x; /* x >= 0: truncation is floor */
	if (policy_chance(r, x - (double)k))
		k++;
	return MIN(k, n);
}

/* A random permutation of 0..n-1 (Fisher-Yates). */
static void permute(size_t *v, size_t n, const struct policy_rand *r)
{
	for (size_t i = 0; i < n; i++)
		v[i] = i;
	for (size_t i = n; i > 1; i--) {
		size_t j = r->uniform(r->ud, (uint32_t)i);
		size_t x = v[i - 1];
		v[i - 1] = v[j];
		v[j] = x;
	}
}

int policy_mark_busy(double busy_share, const size_t *routes, size_t n,
		     const struct policy_rand *r, bool *ret_busy)
{
	for (size_t i = 0; i < n; i++)
		ret_busy[i] = false;
	size_t want = busy_share > 0 ? (size_t)(busy_share * (double)n + 0.5) : 0;
	if (want == 0)
		return 0;
	_cleanup_free_ size_t *order = malloc(n * sizeof(*order));
	if (!order)
		return -ENOMEM;
	/* A random order, then a stable selection of the largest: equal route
	 * counts at the boundary are taken in that random order. */
	permute(order, n, r);
	for (size_t done = 0; done < want; done++) {
		size_t best = SIZE_MAX;
		for (size_t j = 0; j < n; j++) {
			size_t i = order[j];
			if (ret_busy[i] || routes[i] == 0)
				continue;
			if (best == SIZE_MAX || routes[i] > routes[best])
				best = i;
		}
		if (best == SIZE_MAX)
			break;
		ret_busy[best] = true;
	}
	return 0;
}

int policy_pick_victims(const struct policy_params *p, const size_t *routes, size_t n, size_t k,
			const struct policy_rand *r, size_t *ret_idx)
{
	_cleanup_free_ bool *busy = calloc(n ? n : 1, sizeof(*busy));
	_cleanup_free_ bool *taken = calloc(n ? n : 1, sizeof(*taken));
	if (!busy || !taken)
		return -ENOMEM;
	int e = policy_mark_busy(p->busy_share, routes, n, r, busy);
	if (e < 0)
		return e;
	/* Weights in 2^16ths so draws are exact integers: a busy tunnel's is
	 * never below 1 (never zero). */
	double bw = p->busy_weight > 1 ? 1 : p->busy_weight;
	uint32_t wbusy = (uint32_t)(bw * 65536 + 0.5);
	if (wbusy == 0)
		wbusy = 1;
	const uint32_t wother = 65536;
	size_t got = 0;
	k = MIN(k, n);
	while (got < k) {
		uint64_t total = 0;
		for (size_t i = 0; i < n; i++)
			if (!taken[i])
				total += busy[i] ? wbusy : wother;
		/* total <= n x 2^16: n is a node's tunnel count, far below 2^16. */
		uint32_t x = r->uniform(r->ud, (uint32_t)total);
		for (size_t i = 0; i < n; i++) {
			if (taken[i])
				continue;
			uint32_t w = busy[i] ? wbusy : wother;
			if (x < w) {
				taken[i] = true;
				ret_idx[got++] = i;
				break;
			}
			x -= w;
		}
	}
	return (int)got;
}

enum policy_drain policy_drain_verdict(uint64_t elapsed_ms, uint64_t min_ms, size_t routes,
				       uint32_t drain_limit)
{
	if (elapsed_ms < min_ms)
		return POLICY_DRAIN_WAIT;
	if (routes == 0)
		return POLICY_DRAIN_DONE;
	if (elapsed_ms >= (uint64_t)drain_limit * 1000)
		return POLICY_DRAIN_FORCE;
	return POLICY_DRAIN_WAIT;
}

bool policy_is_anchor(const struct re6st_prefix *anchors, size_t n, const struct re6st_prefix *p)
{
	for (size_t i = 0; i < n; i++)
		if (prefix_contains(&anchors[i], p))
			return true;
	return false;
}

static bool in_list(const char *list, const char *cc)
{
	size_t n = strlen(cc);
	if (n == 0)
		return false;
	for (const char *s = list; *s;) {
		size_t len = strcspn(s, ",");
		if (len == n && strncasecmp(s, cc, n) == 0)
			return true;
		s += len;
		if (*s == ',')
			s++;
	}
	return false;
}

bool policy_country_ok(const char *list, const char *mine, const char *theirs)
{
	if (!list || !*list)
		return true;
	if (*mine && *theirs && strcasecmp(mine, theirs) == 0)
		return true;
	return !in_list(list, mine) && !in_list(list, theirs);
}

int policy_order_candidates(const struct policy_params *p, const bool *anchor, size_t n,
			    const struct policy_rand *r, size_t *ret_idx)
{
	_cleanup_free_ size_t *perm = malloc((n ? n : 1) * sizeof(*perm));
	_cleanup_free_ size_t *others = malloc((n ? n : 1) * sizeof(*others));
	if (!perm || !others)
		return -ENOMEM;
	/* One random order split into two queues, anchors (in perm, from the
	 * front) and the others, then merged by a biased coin per position. */
	permute(perm, n, r);
	size_t na = 0, no = 0;
	for (size_t j = 0; j < n; j++) {
		size_t i = perm[j];
		if (anchor[i])
			perm[na++] = i;
		else
			others[no++] = i;
	}
	size_t ia = 0, io = 0;
	for (size_t out = 0; out < n; out++) {
		bool take_a = ia < na && (io == no || policy_chance(r, p->anchor_share));
		ret_idx[out] = take_a ? perm[ia++] : others[io++];
	}
	return 0;
}

bool policy_small_mesh(unsigned client_count, size_t known)
{
	return known > 0 && known < 2 * (size_t)client_count;
}

unsigned policy_client_count(unsigned client_count, size_t known, size_t avoided, size_t served)
{
	if (!policy_small_mesh(client_count, known))
		return client_count;
	/* Raised towards a full mesh, never lowered: while a network forms
	 * its nodes know few others, and a target of exactly those left a
	 * node of 8 with nothing to ask the registry for (islands). */
	size_t usable = known - MIN(avoided, known);
	size_t full = usable > served ? usable - served : 0;
	return full > client_count ? (unsigned)full : client_count;
}

uint64_t policy_rotation_avoid_ms(uint64_t refresh_ms, unsigned client_count, size_t known)
{
	return policy_small_mesh(client_count, known) ? 0 : refresh_ms;
}

uint64_t policy_bootstrap_wait_ms(unsigned useless)
{
	if (!useless)
		return 0;
	return useless > 4 ? POLICY_BOOTSTRAP_WAIT_MAX_MS : 30000ull << useless;
}

bool policy_backoff_holds(bool rule, size_t tunnels_up)
{
	return rule || tunnels_up > 0;
}

void policy_order_by_backoff(const uint64_t *until, size_t n, size_t *ret_idx)
{
	/* Insertion sort, stable: n is a cache sample (32 at most in use). */
	for (size_t i = 0; i < n; i++) {
		size_t j = i;
		while (j > 0 && until[ret_idx[j - 1]] > until[i]) {
			ret_idx[j] = ret_idx[j - 1];
			j--;
		}
		ret_idx[j] = i;
	}
}
