/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Fuzz the WireGuard GET_DEVICE reply parser: input is a stream of
 * netlink messages, parsed into one device as a dump would be. */
#include "nl-internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* Copy to an aligned buffer of exact size: over-reads are caught. */
	uint32_t *copy = malloc(size + 4);
	if (!copy)
		return 0;
	memcpy(copy, data, size);
	struct nl_wg_device dev = {};
	size_t len = size;
	for (const struct nlmsghdr *nlh = (const void *)copy; nl_msg_ok(nlh, len);
	     nlh = nl_msg_next(nlh, &len))
		if (nl_wg_parse_device(nlh, &dev) < 0)
			break;
	for (size_t i = 0; i < dev.n_peers; i++)
		for (size_t j = 0; j < dev.peers[i].n_allowed_ips; j++)
			if (dev.peers[i].allowed_ips[j].cidr > 128)
				abort();
	nl_wg_device_clear(&dev);
	free(copy);
	return 0;
}
