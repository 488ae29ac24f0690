/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * node-metrics.h - the "metrics" module of main.c's table: makes c->metrics
 * (daemon/metrics.h) before the mesh modules start, adds the node-wide
 * families (identity, certificate, babeld, routes), the control command
 * "metrics" (the text exposition as {"text": ...}) and, with --metrics,
 * serves GET /metrics (daemon/metrics-http.h).
 *
 * node-health.c: the node's health, shown as the "health" section of
 * "status" and as re6st_degraded: a list of reasons, empty when all is well.
 */
#ifndef RE6ST_DAEMON_NODE_METRICS_H
#define RE6ST_DAEMON_NODE_METRICS_H

#include <stddef.h>
#include <stdint.h>

struct ctx;

/* 0, or -errno (logged): -ENOMEM, the HTTP server's error. */
int node_metrics_init(struct ctx *c);
void node_metrics_fini(struct ctx *c);
/* (Again, SIGHUP:) serve GET /metrics where c->opt says, or stop serving
 * it; the old server is closed first. 0, or the HTTP server's error
 * (logged; then nothing is served). */
int node_metrics_listen(struct ctx *c);

/* Certificates expiring sooner than this make the node degraded. */
#define HEALTH_CERT_DAYS 7
/* A node up this long that no client reached from outside is degraded. */
#define HEALTH_REACH_GRACE_S 600

enum health_reason {
	HEALTH_BABELD_DOWN,
	HEALTH_NO_TUNNEL,
	HEALTH_UNREACHABLE,
	HEALTH_CERT_EXPIRING,
	HEALTH__COUNT
};

/* The reasons that hold now: bit (1 << reason) set for each. */
unsigned node_health(const struct ctx *c, uint64_t unix_now);
/* Short name ("babeld_down") and the sentence re6stctl prints. */
const char *health_reason_name(enum health_reason r);
const char *health_reason_text(enum health_reason r);

/* Registers the status section "health". 0 or -errno. */
int node_health_register(struct ctx *c);

#endif
