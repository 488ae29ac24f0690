/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Fuzz the rtnetlink and FOU reply parsers (links, link counters, GRE,
 * addresses, routes, FOU ports, extended ACKs): every message of the input goes to each. */
#include "nl-internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint32_t *copy = malloc(size + 4);
	if (!copy)
		return 0;
	memcpy(copy, data, size);
	size_t len = size;
	for (const struct nlmsghdr *nlh = (const void *)copy; nl_msg_ok(nlh, len);
	     nlh = nl_msg_next(nlh, &len)) {
		struct nl_link_info l;
		struct nl_gre_config g;
		struct nl_addr_entry a;
		struct nl_route r;
		struct nl_fou_port f;
		struct nl_link_stats st;
		char msg[64];
		if (nl_link_parse(nlh, &l) == 0 && strnlen(l.name, sizeof(l.name)) == sizeof(l.name))
			abort();
		if (nl_gre_parse(nlh, &g) == 0 && g.family != AF_INET && g.family != AF_INET6)
			abort();
		if (nl_addr_parse(nlh, &a) == 0 && a.prefix.len > 128)
			abort();
		if (nl_route_parse(nlh, &r) == 0 && (r.dst.len > 128 || r.src.len > 128))
			abort();
		(void)nl_fou_parse(nlh, &f);
		if (nl_link_parse_stats(nlh, &st) == 0 && st.ifindex <= 0)
			abort();
		if (nl_parse_extack(nlh, msg, sizeof(msg)) == 0 && strnlen(msg, sizeof(msg)) == sizeof(msg))
			abort();
	}
	free(copy);
	return 0;
}
