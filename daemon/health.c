/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "health.h"
#include "macro.h"
#include "netconf.h"

void health_reset(struct health_rx *h)
{
	*h = (struct health_rx){ 0 };
}

enum health_verdict health_rx_update(struct health_rx *h, uint64_t rx, uint64_t tx,
				     uint64_t now_ms, uint64_t dead_after_ms)
{
	h->read_ms = now_ms;
	if (!h->seen || rx != h->rx) {
		/* The baseline (silence is counted from it), or bytes came (or
		 * the counter restarted). */
		h->rx_ms = now_ms;
		h->seen = true;
		h->rx = rx;
		h->tx = h->tx_at_rx = tx;
		return HEALTH_ALIVE;
	}
	if (tx < h->tx) /* restarted: start over from here */
		h->tx_at_rx = tx;
	h->tx = tx;
	if (now_ms >= h->rx_ms + dead_after_ms && tx != h->tx_at_rx)
		return HEALTH_DEAD;
	return HEALTH_ALIVE;
}

uint64_t health_verdict_ms(const struct health_rx *h, uint64_t dead_after_ms)
{
	uint64_t at = h->rx_ms + dead_after_ms;
	/* Read at or after it without a verdict: silent both ways. */
	return h->seen && h->read_ms > h->rx_ms && h->read_ms < at ? at : 0;
}

uint64_t health_reading_ms(uint64_t dead_after_ms)
{
	return dead_after_ms / 3;
}

uint64_t health_reading_slack_ms(uint64_t dead_after_ms)
{
	return health_reading_ms(dead_after_ms) / 4;
}

uint64_t health_hello_ms(int opt_seconds, const struct re6st_netconf *nc)
{
	unsigned net = nc ? nc->hello : 0, opt = opt_seconds > 0 ? (unsigned)opt_seconds : 0;
	unsigned s = MAX(opt, net);
	return (uint64_t)(s ? s : 1) * 1000;
}

uint64_t health_dead_after_ms(int opt_seconds, const struct re6st_netconf *nc)
{
	uint32_t s = opt_seconds > 0 ? (uint32_t)opt_seconds
		     : nc ? nc->dead_after : NETCONF_DEFAULT_DEAD_AFTER;
	return (uint64_t)s * 1000;
}

bool health_loss_update(struct health_loss *h, unsigned reach)
{
	unsigned got = (unsigned)__builtin_popcount(reach & 0xffffu);
	double lost = (16.0 - got) / 16.0;
	h->avg += (lost - h->avg) / 8;
	h->samples++;
	return h->samples >= HEALTH_LOSS_SAMPLES && h->avg >= HEALTH_LOSS_LOSSY;
}
