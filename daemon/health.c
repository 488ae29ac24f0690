/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "health.h"
#include "netconf.h"

void health_reset(struct health_rx *h, uint64_t now_ms)
{
	*h = (struct health_rx){ .rx_ms = now_ms };
}

enum health_verdict health_rx_update(struct health_rx *h, uint64_t rx_bytes, uint64_t tx_bytes,
				     uint64_t now_ms, uint64_t dead_after_ms)
{
	if (!h->seen || rx_bytes != h->rx_bytes) {
		/* First reading, or bytes came (or the counter restarted). */
		if (h->seen || rx_bytes)
			h->rx_ms = now_ms;
		h->rx_bytes = rx_bytes;
		h->tx_bytes = h->tx_at_rx = tx_bytes;
		h->seen = true;
		return HEALTH_ALIVE;
	}
	if (tx_bytes < h->tx_bytes) /* restarted: start over from here */
		h->tx_at_rx = tx_bytes;
	h->tx_bytes = tx_bytes;
	if (now_ms >= h->rx_ms + dead_after_ms && tx_bytes != h->tx_at_rx)
		return HEALTH_DEAD;
	return HEALTH_ALIVE;
}

uint64_t health_dead_after_ms(int opt_seconds, const struct re6st_netconf *nc)
{
	uint32_t s = opt_seconds > 0 ? (uint32_t)opt_seconds
		     : nc ? nc->dead_after : NETCONF_DEFAULT_DEAD_AFTER;
	return (uint64_t)s * 1000;
}
