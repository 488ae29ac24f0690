/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "health.h"
#include "macro.h"
#include "netconf.h"

void health_reset(struct health_rx *h, uint64_t now_ms)
{
	*h = (struct health_rx){ .rx_ms = now_ms };
}

/* Bytes came between the readings at from_ms and to_ms: when, at the
 * latest? At to_ms, unless babel said it heard no hello since quiet_ms, a
 * moment in between: then at quiet_ms, and the tunnel stays suspect (true). */
static bool rx_came(struct health_rx *h, uint64_t from_ms, uint64_t to_ms)
{
	h->rx_lo_ms = from_ms;
	if (h->suspect && from_ms <= h->quiet_ms && h->quiet_ms < to_ms) {
		h->rx_ms = MAX(h->rx_ms, h->quiet_ms);
		return true;
	}
	h->rx_ms = to_ms;
	h->heard = true;
	h->suspect = false;
	return false;
}

enum health_verdict health_rx_update(struct health_rx *h, uint64_t rx_bytes, uint64_t tx_bytes,
				     uint64_t now_ms, uint64_t dead_after_ms)
{
	uint64_t prev_read = h->seen ? h->read_ms : h->rx_ms;

	h->quiet_pending = false;
	h->read_ms = now_ms;
	if (!h->seen || rx_bytes != h->rx_bytes) {
		/* First reading, or bytes came (or the counter restarted). */
		bool dated_back = false;
		h->tx_lo = h->tx_bytes;
		if (h->seen || rx_bytes)
			dated_back = rx_came(h, prev_read, now_ms);
		h->rx_bytes = rx_bytes;
		h->tx_bytes = tx_bytes;
		/* Bytes dated back to babel's silence: what was sent since is
		 * counted from the reading before, not from this one, or the
		 * reading at dead_after could find nothing sent yet. */
		h->tx_at_rx = dated_back ? h->tx_lo : tx_bytes;
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

bool health_suspect(struct health_rx *h, uint64_t now_ms, uint64_t silent_ms)
{
	if (h->suspect || !h->heard)
		return false;
	h->suspect = h->quiet_pending = true;
	h->quiet_ms = now_ms > silent_ms ? now_ms - silent_ms : 0;
	/* The last bytes read came between two readings; babel's silence
	 * began in between: they were hellos, they came before it. */
	if (h->rx_lo_ms <= h->quiet_ms && h->quiet_ms < h->rx_ms) {
		h->rx_ms = h->quiet_ms;
		h->tx_at_rx = h->tx_lo; /* as in health_rx_update() */
	}
	return true;
}

uint64_t health_next_ms(const struct health_rx *h, uint64_t dead_after_ms, uint64_t every_ms)
{
	uint64_t third = MAX(dead_after_ms / 3, (uint64_t)1000);
	if (h->quiet_pending)
		return h->read_ms; /* now */
	if (!h->heard)
		return h->read_ms + MIN(third, every_ms);
	if (!h->suspect)
		return h->read_ms + every_ms;
	/* The reading that can judge it comes when dead_after has passed
	 * since the last bytes, however soon after the last one: a third
	 * between the two put off by up to that third a verdict that babel
	 * reported late (its silence heard at 2.7 s, not 1.7 s). Once past,
	 * a tunnel silent both ways is read every third. */
	if (h->rx_ms + dead_after_ms > h->read_ms)
		return h->rx_ms + dead_after_ms;
	return h->read_ms + MIN(third, every_ms);
}

uint64_t health_babel_silent_ms(unsigned reach, unsigned hello_ms)
{
	reach &= 0xffff;
	if (!reach || (reach & 0x8000))
		return 0;
	unsigned missed = 0;
	while (!(reach & (0x8000u >> missed)))
		missed++;
	/* babeld counts a hello missed once 1.7 intervals passed without it. */
	return (uint64_t)hello_ms * (10 * missed + 7) / 10;
}

uint64_t health_hello_ms(int opt_seconds, const struct re6st_netconf *nc, bool longer)
{
	unsigned net = nc ? nc->hello : 0, opt = opt_seconds > 0 ? (unsigned)opt_seconds : 0;
	unsigned s = !net ? opt : !opt ? net : longer ? MAX(opt, net) : MIN(opt, net);
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
