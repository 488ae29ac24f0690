/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <arpa/inet.h>
#include <netinet/in.h>

#include "babel.h"
#include "config.h"
#include "control.h"
#include "ctx.h"
#include "log.h"
#include "metrics-http.h"
#include "metrics.h"
#include "node-metrics.h"

static void gauge(struct prom_buf *w, const char *name, const char *help, double v)
{
	prom_family(w, name, PROM_GAUGE, help);
	prom_samplel(w, name, v, NULL);
}

static void counter(struct prom_buf *w, const char *name, const char *help, double v)
{
	prom_family(w, name, PROM_COUNTER, help);
	prom_samplel(w, name, v, NULL);
}

/* What main.c's modules below the mesh hold: identity, babeld, routes. */
static void collect_node(void *userdata, struct prom_buf *w)
{
	struct ctx *c = userdata;
	uint64_t now = loop_unix_now();

	prom_family(w, "re6st_node_info", PROM_GAUGE, "Always 1: the node's version and addresses.");
	prom_samplel(w, "re6st_node_info", 1, "version", RE6ST_VERSION, "prefix", c->prefix_str,
		     "address", c->addr_str, "network", c->network_str, NULL);
	gauge(w, "re6st_uptime_seconds", "Seconds since re6stnet started.",
	      (double)(loop_now(c->loop) - c->started_ms) / 1000);
	gauge(w, "re6st_cert_expiry_timestamp_seconds",
	      "Unix time when the node's certificate expires.", (double)c->cert.not_after);
	gauge(w, "re6st_cert_expiry_seconds",
	      "Seconds left until the node's certificate expires (negative: expired).",
	      (double)c->cert.not_after - (double)now);
	gauge(w, "re6st_netconf_version", "Version of the network configuration in use.",
	      (double)c->netconf_version);

	unsigned bad = node_health(c, now);
	prom_family(w, "re6st_degraded", PROM_GAUGE,
		     "1 for each reason the node is degraded (re6stctl status exits 1).");
	for (unsigned r = 0; r < HEALTH__COUNT; r++)
		prom_samplel(w, "re6st_degraded", !!(bad & (1u << r)), "reason",
			     health_reason_name((enum health_reason)r), NULL);

	const struct babel *b = c->babel;
	unsigned starts = b ? babel_starts(b) : 0, reconnects = b ? babel_reconnects(b) : 0;
	gauge(w, "re6st_babeld_up", "1 when babeld runs and its local socket answered.",
	      b && babel_pid(b) && babel_ready(b));
	counter(w, "re6st_babeld_restarts_total",
		"Times babeld was started again after its first start (it died, or its command "
		"line changed).",
		starts ? starts - 1 : 0);
	counter(w, "re6st_babeld_socket_reconnects_total",
		"Times re6stnet connected to babeld's local socket again while babeld ran.",
		reconnects);

	const struct babel_route *rt = NULL;
	const struct babel_neighbour *nb = NULL;
	size_t nr = b ? babel_routes(b, &rt) : 0, nn = b ? babel_neighbours(b, &nb) : 0, inst = 0;
	for (size_t i = 0; i < nr; i++)
		inst += rt[i].installed;
	prom_family(w, "re6st_babel_routes", PROM_GAUGE,
		     "Routes babeld knows, installed in the kernel (selected) or not.");
	prom_samplel(w, "re6st_babel_routes", (double)inst, "installed", "true", NULL);
	prom_samplel(w, "re6st_babel_routes", (double)(nr - inst), "installed", "false", NULL);
	gauge(w, "re6st_babel_neighbours", "Babel neighbours (on tunnels and --interface).",
	      (double)nn);
}

/* {"text": "<the exposition>"}: re6stctl metrics prints the text as is. */
static int cmd_metrics(struct ctx *c, const char *args, struct jbuf *o)
{
	_cleanup_free_ char *text = NULL;
	size_t len;
	if (*args)
		return -EINVAL;
	int r = metrics_render(c->metrics, &text, &len);
	if (r < 0)
		return r;
	jbuf_append(o, "{\"text\": ");
	jbuf_string(o, text);
	jbuf_append(o, "}");
	return 0;
}

/* main.c calls fini only after a successful init: undo here on failure. */
static int metrics_start(struct ctx *c);

int node_metrics_init(struct ctx *c)
{
	int r = metrics_start(c);
	if (r < 0)
		node_metrics_fini(c);
	return r;
}

static int metrics_start(struct ctx *c)
{
	int r = metrics_new(&c->metrics);
	if (r < 0)
		return log_errno(LOG_ERR, r, "metrics");
	if ((r = metrics_register(c->metrics, collect_node, c)) < 0)
		return log_errno(LOG_ERR, r, "metrics");
	if (c->control &&
	    ((r = control_register(c->control, "metrics",
				   "the node's metrics (Prometheus text format)", cmd_metrics)) < 0 ||
	     (r = node_health_register(c)) < 0))
		return log_errno(LOG_ERR, r, "cannot register the control commands metrics, health");
	return node_metrics_listen(c);
}

int node_metrics_listen(struct ctx *c)
{
	int r;

	metrics_http_close(c->metrics_http);
	c->metrics_http = NULL;
	if (!c->opt.metrics)
		return 0;
	char a[INET6_ADDRSTRLEN] = "?";
	const struct sockaddr_storage *ss = &c->opt.metrics_addr;
	uint16_t port = ss->ss_family == AF_INET6 ? ntohs(((const struct sockaddr_in6 *)ss)->sin6_port)
						   : ntohs(((const struct sockaddr_in *)ss)->sin_port);
	inet_ntop(ss->ss_family,
		  ss->ss_family == AF_INET6 ? (const void *)&((const struct sockaddr_in6 *)ss)->sin6_addr
					    : (const void *)&((const struct sockaddr_in *)ss)->sin_addr,
		  a, sizeof(a));
	r = metrics_http_open(c->loop, c->metrics, ss, &c->metrics_http);
	if (r < 0)
		return log_errno(LOG_ERR, r, "--metrics: cannot serve on %s%s%s:%u",
				 ss->ss_family == AF_INET6 ? "[" : "", a,
				 ss->ss_family == AF_INET6 ? "]" : "", port);
	log_info("metrics served at http://%s%s%s:%u/metrics", ss->ss_family == AF_INET6 ? "[" : "",
		 a, ss->ss_family == AF_INET6 ? "]" : "", port);
	return 0;
}

void node_metrics_fini(struct ctx *c)
{
	metrics_http_close(c->metrics_http);
	c->metrics_http = NULL;
	metrics_free(c->metrics);
	c->metrics = NULL;
}
