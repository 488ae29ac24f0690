/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * daemon/metrics.c with lib/prom.c: counters, histograms (cumulative
 * buckets, sum, count), peer-message counts by type and verdict, label
 * escaping, collectors in order and removed, NULL-safety. The text is
 * compared line by line; test-node-metrics.sh parses the daemon's with
 * python3-prometheus-client.
 */
#include "check.h"
#include "metrics.h"
#include "peerproto.h"

static void collect_a(void *ud, struct prom_buf *w)
{
	(*(int *)ud)++;
	prom_family(w, "t_a", PROM_GAUGE, "A back\\slash and a\nnewline.");
	prom_samplel(w, "t_a", 1.5, "k", "q\"uo\\te\nnl", "z", "", NULL);
}

static void collect_b(void *ud, struct prom_buf *w)
{
	(*(int *)ud)++;
	prom_samplel(w, "t_b", 123456789012.0, NULL);
}

static bool has_line(const char *text, const char *line)
{
	size_t n = strlen(line);
	for (const char *p = text; (p = strstr(p, line)); p++)
		if ((p == text || p[-1] == '\n') && p[n] == '\n')
			return true;
	return false;
}

#define HAS(text, line) CHECK(has_line(text, line), "line '%s' in:\n%s", line, text)

int main(void)
{
	_cleanup_(metrics_freep) struct metrics *m = NULL;
	char *text = NULL;
	size_t len = 0;
	int na = 0, nb = 0;

	/* NULL: nothing counted, nothing crashes, the text is empty. */
	metrics_inc(NULL, M_ROTATIONS);
	metrics_observe(NULL, H_DRAIN_SECONDS, 3);
	metrics_peer_rx(NULL, PP_SETUP_REQUEST, MV_ACCEPTED);
	metrics_peer_tx(NULL, PP_NETCONF);
	CHECK_EQ(metrics_register(NULL, collect_a, &na), -EINVAL);
	CHECK_EQ(metrics_render(NULL, &text, &len), 0);
	CHECK(text && len == 0 && !*text, "empty text for no metrics");
	free(text);

	CHECK_EQ(metrics_new(&m), 0);
	metrics_inc(m, M_ROTATIONS);
	metrics_inc(m, M_ROTATIONS);
	metrics_inc(m, M__COUNT); /* out of range: ignored */
	metrics_observe(m, H_DRAIN_SECONDS, 1);    /* <= 2 */
	metrics_observe(m, H_DRAIN_SECONDS, 2);    /* <= 2: a bound is inclusive */
	metrics_observe(m, H_DRAIN_SECONDS, 45);   /* <= 60 */
	metrics_observe(m, H_DRAIN_SECONDS, 9000); /* +Inf only */
	metrics_peer_rx(m, PP_SETUP_REQUEST, MV_RATE_LIMITED);
	metrics_peer_rx(m, PP_SETUP_REQUEST, MV_ACCEPTED);
	metrics_peer_rx(m, 0, MV_MALFORMED);
	metrics_peer_rx(m, 200, MV_MALFORMED); /* beyond the table: unknown */
	metrics_peer_tx(m, PP_NETCONF_VERSION);
	CHECK_EQ(metrics_register(m, collect_a, &na), 0);
	CHECK_EQ(metrics_register(m, collect_b, &nb), 0);
	CHECK_EQ(metrics_register(m, NULL, NULL), -EINVAL);

	CHECK_EQ(metrics_render(m, &text, &len), 0);
	CHECK_EQ(strlen(text), len);
	HAS(text, "# TYPE re6st_tunnel_rotations_total counter");
	HAS(text, "re6st_tunnel_rotations_total 2");
	HAS(text, "re6st_tunnel_forced_destructions_total 0");
	HAS(text, "# TYPE re6st_tunnel_drain_seconds histogram");
	HAS(text, "re6st_tunnel_drain_seconds_bucket{le=\"2\"} 2");
	HAS(text, "re6st_tunnel_drain_seconds_bucket{le=\"30\"} 2");
	HAS(text, "re6st_tunnel_drain_seconds_bucket{le=\"60\"} 3");
	HAS(text, "re6st_tunnel_drain_seconds_bucket{le=\"7200\"} 3");
	HAS(text, "re6st_tunnel_drain_seconds_bucket{le=\"+Inf\"} 4");
	HAS(text, "re6st_tunnel_drain_seconds_sum 9048");
	HAS(text, "re6st_tunnel_drain_seconds_count 4");
	HAS(text, "re6st_tunnel_setup_seconds_bucket{le=\"0.05\"} 0");
	HAS(text, "re6st_peer_received_total{type=\"setup-request\",verdict=\"rate_limited\"} 1");
	HAS(text, "re6st_peer_received_total{type=\"setup-request\",verdict=\"accepted\"} 1");
	HAS(text, "re6st_peer_received_total{type=\"unknown\",verdict=\"malformed\"} 2");
	HAS(text, "re6st_peer_sent_total{type=\"netconf-version\"} 1");
	CHECK(!strstr(text, "type=\"netconf\""), "types never seen are left out");
	HAS(text, "# HELP t_a A back\\\\slash and a\\nnewline.");
	HAS(text, "t_a{k=\"q\\\"uo\\\\te\\nnl\",z=\"\"} 1.5");
	HAS(text, "t_b 123456789012");
	CHECK(strstr(text, "t_a{") < strstr(text, "t_b "), "collectors in registration order");
	CHECK(text[len - 1] == '\n', "ends with a newline");
	CHECK_EQ(na, 1);
	CHECK_EQ(nb, 1);
	free(text);

	metrics_unregister(m, collect_a, &na);
	CHECK_EQ(metrics_render(m, &text, &len), 0);
	CHECK(!strstr(text, "t_a") && strstr(text, "t_b "), "collector removed: %s", text);
	CHECK_EQ(na, 1);
	CHECK_EQ(nb, 2);
	free(text);

	/* 16 collectors at most. */
	metrics_unregister(m, collect_b, &nb);
	int r = 0;
	for (int i = 0; i < 16 && r == 0; i++)
		r = metrics_register(m, collect_b, &nb);
	CHECK_EQ(r, 0);
	CHECK_EQ(metrics_register(m, collect_b, &nb), -ENOMEM);
	return check_summary();
}
