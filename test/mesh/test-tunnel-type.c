/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Unit tests of daemon/tunnel-type: the types a node offers (its
 * --tunnel-type order, as the network allows), the endpoints it advertises,
 * and the type and endpoints a client uses towards a peer's list, including
 * lists with unknown types, no common type and too many entries.
 */
#include <string.h>

#include "check.h"
#include "netconf.h"
#include "tunnel-type.h"

static size_t parse(const char *s, struct pp_endpoint *e)
{
	size_t n = 0;
	int r = pp_endpoints_parse(s, strlen(s), e, PP_MAX_ENDPOINTS, &n);
	CHECK_EQ(r, 0);
	return r < 0 ? 0 : n;
}

static void format_is(const struct pp_endpoint *e, size_t n, const char *want)
{
	char buf[1024];
	int r = pp_endpoints_format(e, n, buf, sizeof(buf));
	CHECK_EQ(r, 0);
	CHECK(r == 0 && strcmp(buf, want) == 0, "got '%s', want '%s'", r == 0 ? buf : "", want);
}

static void test_offered(void)
{
	uint8_t v[TUNNEL_TYPE_COUNT];
	const enum tunnel_type wg[] = { TUNNEL_TYPE_WIREGUARD };
	const enum tunnel_type gre_fou_wg[] = { TUNNEL_TYPE_GRE, TUNNEL_TYPE_FOU,
						TUNNEL_TYPE_WIREGUARD };
	const enum tunnel_type fou_gre[] = { TUNNEL_TYPE_FOU, TUNNEL_TYPE_GRE, TUNNEL_TYPE_FOU };

	CHECK_EQ(tunnel_types_offered(wg, 1, NETCONF_DEFAULT_TUNNEL_TYPES, v), 1);
	CHECK_EQ(v[0], PP_TUNNEL_WG);
	/* The network's default allows WireGuard only. */
	CHECK_EQ(tunnel_types_offered(gre_fou_wg, 3, NETCONF_DEFAULT_TUNNEL_TYPES, v), 1);
	CHECK_EQ(v[0], PP_TUNNEL_WG);
	CHECK_EQ(tunnel_types_offered(gre_fou_wg, 3, TUNNEL_ALL, v), 3);
	CHECK(v[0] == PP_TUNNEL_GRE && v[1] == PP_TUNNEL_FOU && v[2] == PP_TUNNEL_WG);
	CHECK_EQ(tunnel_types_offered(gre_fou_wg, 3, TUNNEL_GRE | TUNNEL_WIREGUARD, v), 2);
	CHECK(v[0] == PP_TUNNEL_GRE && v[1] == PP_TUNNEL_WG);
	/* Nothing in common with the network: no tunnel at all. */
	CHECK_EQ(tunnel_types_offered(wg, 1, TUNNEL_GRE | TUNNEL_FOU, v), 0);
	/* Duplicates count once. */
	CHECK_EQ(tunnel_types_offered(fou_gre, 3, TUNNEL_ALL, v), 2);
	CHECK(v[0] == PP_TUNNEL_FOU && v[1] == PP_TUNNEL_GRE);
	CHECK_EQ(tunnel_types_offered(NULL, 0, TUNNEL_ALL, v), 0);

	CHECK_EQ(tunnel_type_pp_bit(PP_TUNNEL_GRE), TUNNEL_GRE);
	CHECK_EQ(tunnel_type_pp_bit(PP_TUNNEL_FOU), TUNNEL_FOU);
	CHECK_EQ(tunnel_type_pp_bit(PP_TUNNEL_WG), TUNNEL_WIREGUARD);
	CHECK_EQ(tunnel_type_pp_bit(0), 0);
	CHECK_EQ(tunnel_type_pp_bit(200), 0);
	CHECK_EQ(tunnel_type_to_pp(TUNNEL_TYPE_NONE), 0);
}

static void test_pick(void)
{
	struct pp_endpoint e[PP_MAX_ENDPOINTS];
	const uint8_t wg_first[] = { PP_TUNNEL_WG, PP_TUNNEL_GRE, PP_TUNNEL_FOU };
	const uint8_t gre_first[] = { PP_TUNNEL_GRE, PP_TUNNEL_WG };
	const uint8_t fou_only[] = { PP_TUNNEL_FOU };
	const char *mixed = "192.0.2.1,326,wg;192.0.2.1,326,gre;2001:db8::1,326,gre;"
			    "192.0.2.1,326,fou;192.0.2.1,326,ovpn";
	size_t n;

	n = parse(mixed, e);
	CHECK_EQ(tunnel_pick_endpoints(wg_first, 3, e, &n), PP_TUNNEL_WG);
	CHECK_EQ(n, 1);
	format_is(e, n, "192.0.2.1,326,wg");

	/* GRE first: both GRE endpoints, in the peer's order. */
	n = parse(mixed, e);
	CHECK_EQ(tunnel_pick_endpoints(gre_first, 2, e, &n), PP_TUNNEL_GRE);
	CHECK_EQ(n, 2);
	format_is(e, n, "192.0.2.1,326,gre;2001:db8::1,326,gre");

	n = parse(mixed, e);
	CHECK_EQ(tunnel_pick_endpoints(fou_only, 1, e, &n), PP_TUNNEL_FOU);
	format_is(e, n, "192.0.2.1,326,fou");

	/* The peer offers WireGuard only, we GRE in FOU only. */
	n = parse("192.0.2.1,326,wg,FR;192.0.2.2,326,ovpn", e);
	CHECK_EQ(tunnel_pick_endpoints(fou_only, 1, e, &n), 0);
	CHECK_EQ(n, 0);
	/* Unknown types are skipped; an empty list or no types give nothing. */
	n = parse("192.0.2.1,326,ovpn;192.0.2.2,326,gre", e);
	CHECK_EQ(tunnel_pick_endpoints(wg_first, 3, e, &n), PP_TUNNEL_GRE);
	format_is(e, n, "192.0.2.2,326,gre");
	n = 0;
	CHECK_EQ(tunnel_pick_endpoints(wg_first, 3, e, &n), 0);
	n = parse(mixed, e);
	CHECK_EQ(tunnel_pick_endpoints(wg_first, 0, e, &n), 0);
	CHECK_EQ(n, 0);
	/* A bogus type value in our list is ignored. */
	const uint8_t bogus[] = { 99, PP_TUNNEL_FOU };
	n = parse(mixed, e);
	CHECK_EQ(tunnel_pick_endpoints(bogus, 2, e, &n), PP_TUNNEL_FOU);
}

static void test_expand(void)
{
	struct pp_endpoint a[PP_MAX_ENDPOINTS], out[PP_MAX_ENDPOINTS];
	const uint8_t gre_fou[] = { PP_TUNNEL_GRE, PP_TUNNEL_FOU };
	const uint8_t all[] = { PP_TUNNEL_WG, PP_TUNNEL_GRE, PP_TUNNEL_FOU };
	size_t n = parse("198.18.0.11,326,x,FR;2001:db8::11,326,x", a);

	size_t k = tunnel_endpoints_expand(a, n, gre_fou, 2, 443, out, PP_MAX_ENDPOINTS);
	CHECK_EQ(k, 4);
	format_is(out, k, "198.18.0.11,326,gre,FR;198.18.0.11,326,fou,FR;"
			  "2001:db8::11,326,gre;2001:db8::11,326,fou");
	CHECK_EQ(tunnel_endpoints_expand(a, n, gre_fou, 0, 443, out, PP_MAX_ENDPOINTS), 0);
	CHECK_EQ(tunnel_endpoints_expand(a, 0, gre_fou, 2, 443, out, PP_MAX_ENDPOINTS), 0);
	/* Bounded by max: 6 addresses x 3 types fill 16 entries, no more. */
	n = parse("192.0.2.1,1,x;192.0.2.2,1,x;192.0.2.3,1,x;192.0.2.4,1,x;192.0.2.5,1,x;"
		  "192.0.2.6,1,x", a);
	CHECK_EQ(n, 6);
	k = tunnel_endpoints_expand(a, n, all, 3, 443, out, PP_MAX_ENDPOINTS);
	CHECK_EQ(k, PP_MAX_ENDPOINTS);
	char buf[1024];
	CHECK_EQ(pp_endpoints_format(out, k, buf, sizeof(buf)), 0);
	/* What we advertise, a peer picks back. */
	n = parse("198.18.0.11,326,x", a);
	k = tunnel_endpoints_expand(a, n, gre_fou, 2, 443, out, PP_MAX_ENDPOINTS);
	const uint8_t fou_first[] = { PP_TUNNEL_FOU, PP_TUNNEL_WG };
	CHECK_EQ(tunnel_pick_endpoints(fou_first, 2, out, &k), PP_TUNNEL_FOU);
	format_is(out, k, "198.18.0.11,326,fou");
	/* tcp: the TCP port; the client keeps the UDP type first, the tcp
	 * endpoints for its fall-back. */
	const uint8_t wg_tcp[] = { PP_TUNNEL_WG, PP_TUNNEL_TCP };
	n = parse("198.18.0.11,326,x;2001:db8::11,326,x", a);
	k = tunnel_endpoints_expand(a, n, wg_tcp, 2, 443, out, PP_MAX_ENDPOINTS);
	format_is(out, k, "198.18.0.11,326,wg;198.18.0.11,443,tcp;2001:db8::11,326,wg;"
			  "2001:db8::11,443,tcp");
	struct pp_endpoint tcp[PP_MAX_ENDPOINTS];
	size_t nt = tunnel_endpoints_of_type(PP_TUNNEL_TCP, out, k, tcp);
	format_is(tcp, nt, "198.18.0.11,443,tcp;2001:db8::11,443,tcp");
	CHECK_EQ(tunnel_pick_endpoints(wg_tcp, 2, out, &k), PP_TUNNEL_WG);
	format_is(out, k, "198.18.0.11,326,wg;2001:db8::11,326,wg");
	CHECK_EQ(tunnel_type_pp_bit(PP_TUNNEL_TCP), TUNNEL_WIREGUARD);
	const enum tunnel_type prefs[] = { TUNNEL_TYPE_WIREGUARD, TUNNEL_TYPE_TCP };
	uint8_t offered[TUNNEL_TYPE_COUNT];
	CHECK_EQ(tunnel_types_offered(prefs, 2, TUNNEL_WIREGUARD, offered), 2);
	CHECK_EQ(offered[1], PP_TUNNEL_TCP);
}

int main(void)
{
	test_offered();
	test_pick();
	test_expand();
	return check_summary();
}
