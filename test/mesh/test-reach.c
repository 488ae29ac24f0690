/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Reachability tested (daemon/reach.h), both sides, on a fake clock:
 *   - requester: asks at once, then every REACH_ASK_MS while not proven;
 *     a probe proves it only for one of its last requests, answered within
 *     REACH_ANSWER_MS (unknown, stale, zero seqs refused); the proof lasts
 *     REACH_MEMORY_MS and is renewed after REACH_RENEW_MS;
 *   - prober: one round per requester per REACH_PROBE_EVERY_MS, at most
 *     REACH_PROBE_GLOBAL_PER_S rounds a second, a flood of requesters
 *     cannot free a recent one's slot early enough to matter;
 *   - the endpoints probed: each distinct ip:port once, at most the max,
 *     none inside the overlay, nothing for an invalid list.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "reach.h"

static void test_requester(void)
{
	struct reach r = { 0 };
	uint64_t t = 1000000;

	CHECK(reach_want_ask(&r, t), "a new node does not ask");
	CHECK(!reach_proven(&r, t));
	reach_asked(&r, 111, t);
	CHECK(!reach_want_ask(&r, t + REACH_ASK_MS - 1), "asked again before REACH_ASK_MS");
	CHECK(reach_want_ask(&r, t + REACH_ASK_MS));
	CHECK(!reach_probed(&r, 222, t + 10), "a probe for a request never made proved it");
	CHECK(!reach_probed(&r, 0, t + 10), "a probe for seq 0 proved it");
	CHECK(!reach_proven(&r, t + 10));
	CHECK(!reach_probed(&r, 111, t + REACH_ANSWER_MS), "a stale probe proved it");
	CHECK(reach_probed(&r, 111, t + 500), "the probe for our request did not prove it");
	CHECK(reach_proven(&r, t + 500));
	CHECK(reach_proven(&r, t + 500 + REACH_MEMORY_MS - 1));
	CHECK(!reach_proven(&r, t + 500 + REACH_MEMORY_MS), "the proof never expires");
	CHECK(!reach_want_ask(&r, t + 500 + REACH_RENEW_MS - 1), "a fresh proof asked again");
	CHECK(reach_want_ask(&r, t + 500 + REACH_RENEW_MS), "an old proof not renewed");

	/* Only the last REACH_ASKED_MAX requests are remembered. */
	struct reach q = { 0 };
	for (uint64_t i = 1; i <= REACH_ASKED_MAX + 1; i++)
		reach_asked(&q, i, t + i);
	CHECK(!reach_probed(&q, 1, t + 100), "the oldest request still answered");
	CHECK(reach_probed(&q, REACH_ASKED_MAX + 1, t + 100));
	CHECK(reach_probed(&q, 2, t + 100));
}

static void test_limit(void)
{
	static struct reach_limit l; /* zeroed */
	struct re6st_prefix a, b;
	uint64_t t = 5000000;
	CHECK_EQ(prefix_parse("2001:db8:42:1::/64", &a), 0);
	CHECK_EQ(prefix_parse("2001:db8:42:2::/64", &b), 0);

	CHECK(reach_limit_allow(&l, &a, t), "first request refused");
	CHECK(!reach_limit_allow(&l, &a, t + 1), "second round within the period");
	CHECK(!reach_limit_allow(&l, &a, t + REACH_PROBE_EVERY_MS - 1));
	CHECK(reach_limit_allow(&l, &b, t + 2), "another requester refused");
	CHECK(reach_limit_allow(&l, &a, t + REACH_PROBE_EVERY_MS), "not allowed after the period");

	/* Globally: REACH_PROBE_GLOBAL_PER_S distinct requesters a second. */
	static struct reach_limit g;
	uint64_t t2 = 9000000;
	unsigned allowed = 0;
	for (unsigned i = 0; i < 3 * REACH_PROBE_GLOBAL_PER_S; i++) {
		struct re6st_prefix p = a;
		p.addr[5] = (uint8_t)(i + 1);
		allowed += reach_limit_allow(&g, &p, t2 + i);
	}
	CHECK_EQ(allowed, REACH_PROBE_GLOBAL_PER_S);
	struct re6st_prefix p = a;
	p.addr[5] = 200;
	CHECK(reach_limit_allow(&g, &p, t2 + 1000), "a new second refused");

	/* More requesters than slots: each still limited while its slot lives. */
	static struct reach_limit f;
	uint64_t t3 = 20000000, now = t3;
	CHECK(reach_limit_allow(&f, &a, now));
	unsigned again = 0;
	for (unsigned i = 0; i < 2 * REACH_PROBE_SLOTS; i++) {
		struct re6st_prefix q = b;
		q.addr[4] = (uint8_t)(i >> 8);
		q.addr[5] = (uint8_t)i;
		now += 1000 / REACH_PROBE_GLOBAL_PER_S + 1;
		reach_limit_allow(&f, &q, now);
		if (now - t3 < REACH_PROBE_EVERY_MS)
			again += reach_limit_allow(&f, &a, now);
	}
	/* a's slot is the oldest and is reused: at most one early round more
	 * after REACH_PROBE_SLOTS other requesters, never a flood. */
	CHECK(again <= 1, "requester a probed %u more times within its period", again);
}

static void test_targets(void)
{
	struct sockaddr_storage d[REACH_PROBE_TARGETS];
	struct re6st_prefix net;
	CHECK_EQ(prefix_parse("2001:db8:42::/48", &net), 0);
	const char *list = "192.0.2.1,326,wg;192.0.2.1,326,fou;192.0.2.1,327,wg;"
			   "2001:db8::1,326,wg,FR;2001:db8::1,326,gre;198.51.100.7,326,wg";
	size_t n = reach_targets(list, strlen(list), &net, d, REACH_PROBE_TARGETS);
	CHECK_EQ(n, 4);
	const struct sockaddr_in *s4 = (const struct sockaddr_in *)&d[0];
	CHECK(s4->sin_family == AF_INET && ntohs(s4->sin_port) == 326 &&
	      ntohl(s4->sin_addr.s_addr) == 0xc0000201, "first target wrong");
	CHECK(ntohs(((const struct sockaddr_in *)&d[1])->sin_port) == 327, "duplicate not skipped");
	const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)&d[2];
	CHECK(s6->sin6_family == AF_INET6 && ntohs(s6->sin6_port) == 326 &&
	      s6->sin6_addr.s6_addr[0] == 0x20 && s6->sin6_addr.s6_addr[15] == 1);
	CHECK(d[3].ss_family == AF_INET, "the IPv6 duplicate was not skipped");
	CHECK_EQ(reach_targets(list, strlen(list), &net, d, 1), 1);
	CHECK_EQ(reach_targets("bad", 3, &net, d, REACH_PROBE_TARGETS), 0);
	/* An address inside the overlay is never probed. */
	const char *inner = "2001:db8:42:7::1,326,wg;192.0.2.1,326,wg";
	CHECK_EQ(reach_targets(inner, strlen(inner), &net, d, REACH_PROBE_TARGETS), 1);
	CHECK(d[0].ss_family == AF_INET, "the overlay address was probed");
	CHECK_EQ(reach_targets("", 0, &net, d, REACH_PROBE_TARGETS), 0);
	CHECK_EQ(reach_targets("10.0.0.1,1,wg;", 14, &net, d, REACH_PROBE_TARGETS), 0);
}

int main(void)
{
	test_requester();
	test_limit();
	test_targets();
	return check_summary();
}
