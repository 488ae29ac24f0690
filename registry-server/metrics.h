/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * metrics.h - re6st-registry's Prometheus metrics (GET /metrics); every
 * metric is listed in docs/monitoring.md.
 *
 * Counters of events are kept here under their own lock (the HTTP threads
 * count concurrently); the gauges (certificates active, tokens pending,
 * announced nodes, HMAC keys) are read from the database when rendering,
 * and the database's own latency histograms come from db.c.  Every
 * function accepts m == NULL (a registry built without metrics: tests).
 */
#ifndef RE6ST_REGISTRY_METRICS_H
#define RE6ST_REGISTRY_METRICS_H

#include <stdbool.h>
#include <stddef.h>

struct registry;
struct reg_metrics;

enum metrics_event {
	METRIC_CERT_ISSUED,
	METRIC_CERT_RENEWED,
	METRIC_CERT_REVOKED,
	METRIC_HMAC_UPDATED,
	METRIC_TOKEN_ADDED,
	_METRIC_EVENT_MAX,
};

/* 0 or -ENOMEM. */
int metrics_new(struct reg_metrics **ret);
void metrics_free(struct reg_metrics *m);

/*
 * One answered request: rpc is a string of static storage (an RPC's name,
 * "metrics", "status" or "unknown": the label values stay a small fixed
 * set whatever clients send), status the HTTP status (0: closed without
 * an answer), seconds from the request's headers to its completion.
 */
void metrics_request(struct reg_metrics *m, const char *rpc, unsigned status, double seconds);
void metrics_event(struct reg_metrics *m, enum metrics_event e);

struct db_tx;
/* Which babel_hmac0..2 slots hold a key, and which are empty ones; 0 or -errno. */
int metrics_hmac_read(struct db_tx *tx, bool ret_present[3], bool ret_empty[3]);
/* The rotation phase: "stable", "introduced", "switched", "unauthenticated", "none". */
const char *metrics_hmac_state(const bool present[3], const bool empty[3]);

/* The whole exposition text (NUL-terminated, malloc'ed); 0 or -errno (-EIO: database). */
int metrics_render(struct registry *reg, char **ret, size_t *ret_len);

#endif
