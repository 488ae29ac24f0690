/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "metrics.h"
#include "peerproto.h"

#define MAX_COLLECTORS 16
#define MAX_BOUNDS 12

static const struct {
	const char *name, *help;
} counter_info[M__COUNT] = {
	[M_TUNNELS_UP] = { "re6st_tunnels_up_total", "Tunnels that came up, either role." },
	[M_ROTATIONS] = { "re6st_tunnel_rotations_total",
			  "Client tunnels chosen for rotation (drained, then destroyed)." },
	[M_FORCED_DESTRUCTIONS] = { "re6st_tunnel_forced_destructions_total",
				    "Tunnels destroyed at the drain limit while routes still used them." },
	[M_SETUP_FAILED] = { "re6st_tunnel_setup_failures_total",
			     "Client tunnel set-ups that no endpoint of the peer answered." },
	[M_RATE_LIMITED] = { "re6st_peer_rate_limited_total",
			     "Tunnel set-up requests refused or dropped by the per-source rate limit." },
};

static const struct {
	const char *name, *help;
	double bounds[MAX_BOUNDS];
	size_t n;
} hist_info[H__COUNT] = {
	[H_DRAIN_SECONDS] = { "re6st_tunnel_drain_seconds",
			      "Time from the start of a tunnel's drain to its destruction.",
			      { 2, 5, 10, 30, 60, 120, 300, 600, 1800, 3600, 7200 }, 11 },
	[H_SETUP_SECONDS] = { "re6st_tunnel_setup_seconds",
			      "Client tunnel set-up latency: first request sent to tunnel up.",
			      { 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 40 }, 10 },
};

static const char *const verdict_names[MV__COUNT] = {
	[MV_ACCEPTED] = "accepted", [MV_MALFORMED] = "malformed", [MV_AUTH] = "refused",
	[MV_REPLAY] = "replay", [MV_RATE_LIMITED] = "rate_limited",
};

struct metrics {
	uint64_t counters[M__COUNT];
	struct prom_hist hist[H__COUNT];
	uint64_t peer_rx[METRICS_PP_TYPES][MV__COUNT];
	uint64_t peer_tx[METRICS_PP_TYPES];
	struct {
		metrics_collect_fn fn;
		void *userdata;
	} coll[MAX_COLLECTORS];
	size_t n_coll;
};

int metrics_new(struct metrics **ret)
{
	struct metrics *m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	for (size_t h = 0; h < H__COUNT; h++)
		(void)prom_hist_init(&m->hist[h], hist_info[h].bounds, (unsigned)hist_info[h].n);
	*ret = m;
	return 0;
}

void metrics_free(struct metrics *m)
{
	free(m);
}

void metrics_inc(struct metrics *m, enum metric_counter c)
{
	if (m && c < M__COUNT)
		m->counters[c]++;
}

void metrics_observe(struct metrics *m, enum metric_histogram h, double seconds)
{
	if (!m || h >= H__COUNT)
		return;
	prom_hist_observe(&m->hist[h], seconds);
}

void metrics_peer_rx(struct metrics *m, unsigned type, enum metric_verdict v)
{
	if (m && v < MV__COUNT)
		m->peer_rx[type < METRICS_PP_TYPES ? type : 0][v]++;
}

void metrics_peer_tx(struct metrics *m, unsigned type)
{
	if (m)
		m->peer_tx[type < METRICS_PP_TYPES ? type : 0]++;
}

int metrics_register(struct metrics *m, metrics_collect_fn fn, void *userdata)
{
	if (!m || !fn)
		return -EINVAL;
	if (m->n_coll == MAX_COLLECTORS)
		return -ENOMEM;
	m->coll[m->n_coll].fn = fn;
	m->coll[m->n_coll].userdata = userdata;
	m->n_coll++;
	return 0;
}

void metrics_unregister(struct metrics *m, metrics_collect_fn fn, void *userdata)
{
	if (!m)
		return;
	size_t j = 0;
	for (size_t i = 0; i < m->n_coll; i++)
		if (m->coll[i].fn != fn || m->coll[i].userdata != userdata)
			m->coll[j++] = m->coll[i];
	m->n_coll = j;
}

static const char *type_name(unsigned type)
{
	return type ? pp_type_to_string((int)type) : "unknown";
}

static void render_own(const struct metrics *m, struct prom_buf *w)
{
	for (size_t c = 0; c < M__COUNT; c++) {
		prom_family(w, counter_info[c].name, PROM_COUNTER, counter_info[c].help);
		prom_samplel(w, counter_info[c].name, (double)m->counters[c], NULL);
	}
	for (size_t h = 0; h < H__COUNT; h++) {
		prom_family(w, hist_info[h].name, PROM_HISTOGRAM, hist_info[h].help);
		prom_hist_write(w, hist_info[h].name, NULL, 0, &m->hist[h]);
	}
	/* Types never seen are left out: the families stay short. */
	prom_family(w, "re6st_peer_received_total", PROM_COUNTER,
		     "Peer-protocol datagrams received, by message type and verdict.");
	for (unsigned t = 0; t < METRICS_PP_TYPES; t++)
		for (size_t v = 0; v < MV__COUNT; v++)
			if (m->peer_rx[t][v])
				prom_samplel(w, "re6st_peer_received_total", (double)m->peer_rx[t][v],
					     "type", type_name(t), "verdict", verdict_names[v], NULL);
	prom_family(w, "re6st_peer_sent_total", PROM_COUNTER,
		     "Peer-protocol datagrams sent, by message type.");
	for (unsigned t = 0; t < METRICS_PP_TYPES; t++)
		if (m->peer_tx[t])
			prom_samplel(w, "re6st_peer_sent_total", (double)m->peer_tx[t], "type",
				     type_name(t), NULL);
}

int metrics_render(struct metrics *m, char **ret, size_t *ret_len)
{
	struct prom_buf w = {};

	if (m) {
		render_own(m, &w);
		for (size_t i = 0; i < m->n_coll; i++)
			m->coll[i].fn(m->coll[i].userdata, &w);
	}
	/* An empty exposition is still a string. */
	return prom_buf_take(&w, ret, ret_len);
}
