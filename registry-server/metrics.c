/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "metrics.h"

#include <errno.h>
#include <pthread.h>
#include <sodium.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "macro.h"
#include "prom.h"
#include "registry.h"
#include "rpc-internal.h"

/* RPC names and a few statuses each: far below these in practice. */
#define MAX_COUNTS 256
#define MAX_RPCS 32

static const double latency_bounds[] = { 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
					  0.1,    0.25,  0.5,    1,     2.5,  5,     10 };

struct request_count {
	const char *rpc;
	unsigned status;
	uint64_t n;
};

struct rpc_latency {
	const char *rpc;
	struct prom_hist h;
};

struct reg_metrics {
	pthread_mutex_t lock;
	struct request_count count[MAX_COUNTS];
	size_t n_count;
	struct rpc_latency latency[MAX_RPCS];
	size_t n_latency;
	uint64_t events[_METRIC_EVENT_MAX];
};

int metrics_new(struct reg_metrics **ret)
{
	struct reg_metrics *m = calloc(1, sizeof(*m));

	if (!m)
		return -ENOMEM;
	pthread_mutex_init(&m->lock, NULL);
	*ret = m;
	return 0;
}

void metrics_free(struct reg_metrics *m)
{
	if (!m)
		return;
	pthread_mutex_destroy(&m->lock);
	free(m);
}

void metrics_request(struct reg_metrics *m, const char *rpc, unsigned status, double seconds)
{
	size_t i;

	if (!m)
		return;
	pthread_mutex_lock(&m->lock);
	for (i = 0; i < m->n_count; i++)
		if (m->count[i].status == status && strcmp(m->count[i].rpc, rpc) == 0)
			break;
	if (i == m->n_count && i < MAX_COUNTS)
		m->count[m->n_count++] = (struct request_count){ .rpc = rpc, .status = status };
	if (i < MAX_COUNTS)
		m->count[i].n++;
	for (i = 0; i < m->n_latency; i++)
		if (strcmp(m->latency[i].rpc, rpc) == 0)
			break;
	if (i == m->n_latency && i < MAX_RPCS) {
		m->latency[i].rpc = rpc;
		prom_hist_init(&m->latency[i].h, latency_bounds, ARRAY_SIZE(latency_bounds));
		m->n_latency++;
	}
	if (i < MAX_RPCS)
		prom_hist_observe(&m->latency[i].h, seconds);
	pthread_mutex_unlock(&m->lock);
}

void metrics_event(struct reg_metrics *m, enum metrics_event e)
{
	if (!m)
		return;
	pthread_mutex_lock(&m->lock);
	m->events[e]++;
	pthread_mutex_unlock(&m->lock);
}

static void render_counters(struct reg_metrics *m, struct prom_buf *b)
{
	static const struct {
		const char *name, *help;
	} ev[_METRIC_EVENT_MAX] = {
		[METRIC_CERT_ISSUED] = { "re6st_registry_certificates_issued_total",
					 "Certificates issued by requestCertificate (a new key)." },
		[METRIC_CERT_RENEWED] = { "re6st_registry_certificates_renewed_total",
					  "Certificates renewed by renewCertificate." },
		[METRIC_CERT_REVOKED] = { "re6st_registry_certificates_revoked_total",
					  "Certificates revoked by the revoke RPC." },
		[METRIC_HMAC_UPDATED] = { "re6st_registry_hmac_updates_total",
					  "Steps of the babel HMAC key rotation (updateHMAC)." },
		[METRIC_TOKEN_ADDED] = { "re6st_registry_tokens_added_total",
					 "Registration tokens made (requestToken, addToken)." },
	};

	pthread_mutex_lock(&m->lock);
	prom_family(b, "re6st_registry_requests_total", PROM_COUNTER,
		    "HTTP requests answered, by RPC and HTTP status.");
	for (size_t i = 0; i < m->n_count; i++) {
		char status[12];
		snprintf(status, sizeof(status), "%u", m->count[i].status);
		struct prom_label l[] = { { "rpc", m->count[i].rpc }, { "status", status } };
		prom_sample(b, "re6st_registry_requests_total", l, 2, (double)m->count[i].n);
	}
	prom_family(b, "re6st_registry_request_duration_seconds", PROM_HISTOGRAM,
		    "Time from a request's headers to its answer sent, by RPC.");
	for (size_t i = 0; i < m->n_latency; i++) {
		struct prom_label l[] = { { "rpc", m->latency[i].rpc } };
		prom_hist_write(b, "re6st_registry_request_duration_seconds", l, 1,
				&m->latency[i].h);
	}
	for (int e = 0; e < _METRIC_EVENT_MAX; e++) {
		prom_family(b, ev[e].name, PROM_COUNTER, ev[e].help);
		prom_sample(b, ev[e].name, NULL, 0, (double)m->events[e]);
	}
	pthread_mutex_unlock(&m->lock);
}

struct gauges {
	struct registry *reg;
	uint64_t now;
	int64_t active, tokens, announced, revocations, netconf_version;
	bool hmac[3], hmac_empty[3];
};

static int count(struct db_tx *tx, const char *sql, int64_t arg, int64_t *ret)
{
	_cleanup_stmt_ sqlite3_stmt *s = NULL;
	int r = db_prepare_int64(tx, sql, arg, &s);

	if (r < 0)
		return r;
	r = db_step(s);
	if (r < 0)
		return r;
	*ret = r ? sqlite3_column_int64(s, 0) : 0;
	return 0;
}

static int gauges_read(struct db_tx *tx, void *arg)
{
	struct gauges *g = arg;
	const struct registry_options *o = &g->reg->opt;
	int64_t now = (int64_t)g->now;
	int r;

	r = count(tx, "SELECT count(*) FROM cert WHERE cert IS NOT NULL AND cert != 'reserved'"
		      " AND not_after > ?1 AND serial NOT IN (SELECT serial FROM crl)", now, &g->active);
	if (r >= 0)
		r = count(tx, "SELECT count(*) FROM token WHERE date > ?",
			  now - (int64_t)o->grace_period, &g->tokens);
	if (r >= 0)
		r = count(tx, "SELECT count(*) FROM peer WHERE seen >= ?",
			  now - (int64_t)o->peer_ttl, &g->announced);
	if (r >= 0)
		r = count(tx, "SELECT count(*) FROM crl WHERE date > ?", 0, &g->revocations);
	if (r >= 0)
		r = metrics_hmac_read(tx, g->hmac, g->hmac_empty);
	g->netconf_version = (int64_t)g->reg->netconf_version;
	return r < 0 ? r : 0;
}

int metrics_hmac_read(struct db_tx *tx, bool ret_present[3], bool ret_empty[3])
{
	int r = 0;

	for (int i = 0; i < 3 && r >= 0; i++) {
		_cleanup_free_ uint8_t *k = NULL;
		size_t n = 0;

		ret_present[i] = ret_empty[i] = false;
		r = db_config_get_blob(tx, rpc_babel_hmac[i], &k, &n);
		if (r == -ENOENT) {
			r = 0;
			continue;
		}
		if (r >= 0) {
			ret_present[i] = true;
			ret_empty[i] = n == 0;
			if (k)
				sodium_memzero(k, n);
		}
	}
	return r;
}

const char *metrics_hmac_state(const bool present[3], const bool empty[3])
{
	if (present[0] && present[1])
		return "introduced";
	if (present[0])
		return "stable";
	if (present[1] && present[2])
		return empty[2] ? "unauthenticated" : "switched";
	return "none";
}

static void gauge(struct prom_buf *b, const char *name, const char *help, double v)
{
	prom_family(b, name, PROM_GAUGE, help);
	prom_sample(b, name, NULL, 0, v);
}

static void render_gauges(const struct gauges *g, struct prom_buf *b)
{
	static const char *const states[] = { "none", "stable", "introduced", "switched",
					      "unauthenticated" };
	const char *state = metrics_hmac_state(g->hmac, g->hmac_empty);

	gauge(b, "re6st_registry_certificates_active",
	      "Node certificates issued, neither expired nor revoked.", (double)g->active);
	gauge(b, "re6st_registry_revocations",
	      "Revoked serials still listed (until the certificate would have expired).",
	      (double)g->revocations);
	gauge(b, "re6st_registry_tokens_pending", "Registration tokens not yet used nor expired.",
	      (double)g->tokens);
	gauge(b, "re6st_registry_announced_nodes",
	      "Nodes whose announce is younger than --peer-ttl.", (double)g->announced);
	gauge(b, "re6st_registry_network_config_version",
	      "Version of the signed network configuration.", (double)g->netconf_version);
	prom_family(b, "re6st_registry_hmac_key", PROM_GAUGE,
		    "Babel HMAC key slots present (0: signing, 1: new, 2: previous).");
	for (int i = 0; i < 3; i++) {
		char slot[2] = { (char)('0' + i), 0 };
		struct prom_label l[] = { { "slot", slot } };
		prom_sample(b, "re6st_registry_hmac_key", l, 1, g->hmac[i]);
	}
	prom_family(b, "re6st_registry_hmac_state", PROM_GAUGE,
		    "Phase of the babel HMAC key rotation: 1 for the current one.");
	for (size_t i = 0; i < ARRAY_SIZE(states); i++) {
		struct prom_label l[] = { { "state", states[i] } };
		prom_sample(b, "re6st_registry_hmac_state", l, 1, strcmp(state, states[i]) == 0);
	}
}

int metrics_render(struct registry *reg, char **ret, size_t *ret_len)
{
	struct prom_buf b = {};
	struct gauges g = { .reg = reg, .now = registry_now() };
	int r;

	r = db_read(reg->db, "metrics", gauges_read, &g);
	if (r < 0)
		return r;
	if (reg->metrics)
		render_counters(reg->metrics, &b);
	render_gauges(&g, &b);
	db_metrics_write(reg->db, &b);
	return prom_buf_take(&b, ret, ret_len);
}
