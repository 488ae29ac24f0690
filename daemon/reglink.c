/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "reglink.h"

#include <errno.h>
#include <poll.h>
#include <string.h>

#include <sodium.h>

#include "control.h"
#include "ctx.h"
#include "endpoints.h"
#include "events.h"
#include "log.h"
#include "loop.h"
#include "metrics.h"
#include "netconf.h"
#include "netconf-store.h"
#include "registry-client.h"

#ifndef REGLINK_TIMEOUT_MS /* -DREGLINK_TIMEOUT_MS=... for tests */
#define REGLINK_TIMEOUT_MS 10000
#endif
#define ABANDON_AFTER_MS 5000     /* past the timeout: libcurl did not stop */
/* The configuration poll covers what pushes and gossip missed (a node that
 * was cut off also catches up at its next tunnel, peer_tunnel_up()): each
 * poll runs re6st-fetch, the larger part of an idle node's CPU at 60 s. */
#define NETCONF_POLL_MS 300000
#define ANNOUNCE_EVERY_MS 300000
#define ANNOUNCE_MIN_MS 10000     /* between two announces */
#define BOOTSTRAP_MIN_MS 30000
#define BOOTSTRAP_ALONE_MS 5000 /* a node with no tunnel up */
#define RENEW_CHECK_MS 3600000   /* at most, between two looks at cert_renew_due() */
#define RENEW_MIN_MS 10000        /* after a renewal, before checking again */
#define RENEW_RETRY_MS 10000      /* first retry of a renewal that failed or changed nothing */
#define RENEW_RETRY_MAX_MS 86400000 /* the doubling stops at a tenth of the life, or this */
#define BACKOFF_FIRST_MS 30000
#define BACKOFF_MAX_MS 300000
#define MAX_FDS 8

enum job_kind { JOB_NETCONF, JOB_ANNOUNCE, JOB_BOOTSTRAP, JOB_RENEW, JOB_HMAC, N_JOBS };

static const char *const job_rpc[N_JOBS] = {
	[JOB_NETCONF] = "getNetworkConfig", [JOB_ANNOUNCE] = "announce",
	[JOB_BOOTSTRAP] = "getBootstrapPeer", [JOB_RENEW] = "renewCertificate",
	[JOB_HMAC] = "getHMAC",
};

struct job {
	struct reglink *rl;
	enum job_kind kind;
	struct rc_async *x;
	struct loop_timer *timer;   /* in flight: drive/abandon; idle: next try */
	struct loop_io *io[MAX_FDS];
	size_t n_io;
	uint64_t started_ms, deadline_ms;
	uint64_t next_ms;           /* idle: timer armed for then (0: not armed) */
	uint64_t not_before_ms;     /* rate limit and back-off */
	unsigned failures;          /* in a row */
	uint64_t n_ok, n_failed;
	char last_error[256];
};

struct reglink {
	struct ctx *c;
	struct registry_client *client;
	struct job jobs[N_JOBS];
	char announced[1024];       /* last list the registry accepted */
	char announcing[1024];      /* the list in flight */
	uint64_t next_announce_ms;  /* periodic re-announce */
	bool announce_tells_version; /* the last announce's answer named the configuration's */
	reglink_bootstrap_fn bootstrap_cb;
	void *bootstrap_data;
	bool hmac_wanted;           /* the configuration changed since the last getHMAC */
};

static uint64_t now_ms(const struct reglink *rl)
{
	return loop_now(rl->c->loop);
}

/* Uniform in [ms/2, 3ms/2): nodes started together do not stay in step. */
static uint64_t jitter(uint64_t ms)
{
	return ms / 2 + randombytes_uniform((uint32_t)MIN(ms, UINT32_MAX));
}

/* The next poll of the network configuration: every 2.5-7.5 min, or past
 * the next announce while announces' answers name the version (netconf_version_seen()). */
static uint64_t netconf_poll_ms(const struct reglink *rl)
{
	return (rl->announce_tells_version ? ANNOUNCE_EVERY_MS : 0) + jitter(NETCONF_POLL_MS);
}

static uint64_t backoff_ms(unsigned failures)
{
	uint64_t d = BACKOFF_FIRST_MS;
	for (unsigned i = 1; i < failures && d < BACKOFF_MAX_MS; i++)
		d *= 2;
	return jitter(MIN(d, (uint64_t)BACKOFF_MAX_MS));
}

static uint64_t cert_life_ms(const struct ctx *c)
{
	uint64_t life = c->cert.not_after > c->cert.not_before ? c->cert.not_after - c->cert.not_before
							     : 0;
	return life * 1000;
}

/* Renewal retries: RENEW_RETRY_MS doubling, at most a tenth of the
 * certificate's life (so a short-lived one is retried within its window)
 * and RENEW_RETRY_MAX_MS. */
static uint64_t renew_backoff_ms(const struct reglink *rl, unsigned failures)
{
	uint64_t cap = MIN(MAX(cert_life_ms(rl->c) / 10, (uint64_t)RENEW_RETRY_MS),
			   (uint64_t)RENEW_RETRY_MAX_MS);
	uint64_t d = RENEW_RETRY_MS;
	for (unsigned i = 1; i < failures && d < cap; i++)
		d *= 2;
	return jitter(MIN(d, cap));
}

static void job_arm(struct job *j, uint64_t when)
{
	j->next_ms = when;
	loop_timer_set(j->timer, when);
}

static void job_clear_io(struct job *j)
{
	for (size_t i = 0; i < j->n_io; i++)
		loop_io_remove(j->io[i]);
	j->n_io = 0;
}

/* ---- what each kind does with its answer ---- */

static int netconf_done(struct reglink *rl, struct rc_async *x)
{
	struct ctx *c = rl->c;
	_cleanup_(netconf_freep) struct re6st_netconf *nc = NULL;
	_cleanup_free_ uint8_t *raw = NULL;
	size_t len = 0;
	int r = rc_async_network_config_result(x, &nc, &raw, &len);
	if (r < 0)
		return r;
	log_debug("registry: network configuration version %llu (ours %llu)",
		  (unsigned long long)nc->version, (unsigned long long)c->netconf_version);
	if (c->netconf && nc->version <= c->netconf->version)
		return 0;
	r = daemon_offer_netconf(c, raw, len);
	if (r < 0)
		log_warning("registry: network configuration refused: %s", identity_strerror(r));
	return 0;
}

/*
 * The announce's answer named the registry's configuration version, which
 * is what the poll asks: a newer one than ours is fetched at once; else
 * the poll waits again, past the next announce (2.5-7.5 min away), so
 * that it runs only while announces name no version (a node without
 * endpoints, an older registry that answers nothing, failures).
 */
static void netconf_version_seen(struct reglink *rl, uint64_t version)
{
	struct job *j = &rl->jobs[JOB_NETCONF];
	uint64_t ours = rl->c->netconf ? rl->c->netconf->version : 0;

	if (j->x)
		return; /* in flight: its answer is as new */
	if (version > ours) {
		log_info("registry: network configuration version %llu (ours %llu): fetching it",
			 (unsigned long long)version, (unsigned long long)ours);
		job_arm(j, now_ms(rl));
	} else {
		job_arm(j, now_ms(rl) + netconf_poll_ms(rl));
	}
}

static int announce_done(struct reglink *rl, struct rc_async *x)
{
	uint64_t version = 0;
	int r = rc_async_announce_result(x, &version);
	if (r < 0)
		return r;
	if (strcmp(rl->announced, rl->announcing) != 0)
		log_info("registry: announced %s", rl->announcing);
	snprintf(rl->announced, sizeof(rl->announced), "%s", rl->announcing);
	rl->next_announce_ms = now_ms(rl) + jitter(ANNOUNCE_EVERY_MS);
	rl->announce_tells_version = version != 0;
	if (version)
		netconf_version_seen(rl, version);
	return 0;
}

static int bootstrap_done(struct reglink *rl, struct rc_async *x)
{
	struct rc_bootstrap_peer bp = {};
	char b[PREFIX_STRLEN];
	int r = rc_async_bootstrap_peer_result(x, &bp);
	if (r < 0)
		return r;
	log_debug("registry: bootstrap peer %s (%s)", prefix_format(&bp.prefix, b), bp.endpoints);
	if (rl->bootstrap_cb)
		rl->bootstrap_cb(rl->bootstrap_data, &bp);
	rc_bootstrap_peer_clear(&bp);
	return 0;
}

static int renew_done(struct reglink *rl, struct rc_async *x)
{
	struct re6st_cert cert;
	int r = rc_async_certificate_result(x, &cert, NULL);
	if (r < 0)
		return r;
	r = daemon_adopt_cert(rl->c, &cert);
	if (r < 0)
		log_errno(LOG_ERR, r, "registry: cannot save the renewed certificate to %s",
			  rl->c->opt.cert);
	/* The same certificate: the registry does not renew it yet. Backing
	 * off as for a failure, else we would ask again at once. */
	return r == 0 ? -EALREADY : 0;
}

static int hmac_done(struct reglink *rl, struct rc_async *x)
{
	struct rc_hmac h = { 0 };
	int r = rc_async_hmac_result(x, &h);
	if (r < 0)
		return r;
	daemon_offer_hmac(rl->c, &h);
	sodium_memzero(&h, sizeof(h));
	return 0;
}

static int (*const job_done[N_JOBS])(struct reglink *rl, struct rc_async *x) = {
	[JOB_NETCONF] = netconf_done, [JOB_ANNOUNCE] = announce_done,
	[JOB_BOOTSTRAP] = bootstrap_done, [JOB_RENEW] = renew_done, [JOB_HMAC] = hmac_done,
};

/* ---- driving one request ---- */

/* Idle again: when may this kind run next? */
static void job_schedule(struct job *j, int result)
{
	struct reglink *rl = j->rl;
	uint64_t now = now_ms(rl);

	if (result < 0 && j->kind == JOB_ANNOUNCE)
		rl->announce_tells_version = false; /* the poll takes over */
	if (result < 0 && result != -ENOENT) {
		j->failures++;
		j->not_before_ms = now + (j->kind == JOB_RENEW ? renew_backoff_ms(rl, j->failures)
							      : backoff_ms(j->failures));
	} else {
		j->failures = 0;
		switch (j->kind) {
		case JOB_NETCONF: j->not_before_ms = now + netconf_poll_ms(rl); break;
		case JOB_ANNOUNCE: j->not_before_ms = now + ANNOUNCE_MIN_MS; break;
		case JOB_BOOTSTRAP: j->not_before_ms = now + BOOTSTRAP_MIN_MS; break;
		case JOB_RENEW: j->not_before_ms = now + RENEW_MIN_MS; break;
		case JOB_HMAC: j->not_before_ms = now; break;
		case N_JOBS: break;
		}
	}
	j->next_ms = 0;
	loop_timer_disarm(j->timer);
	/* Bootstrap requests are made on demand only; HMAC ones on demand and
	 * retried until one succeeds after the last configuration change. */
	if (j->kind == JOB_HMAC)
		rl->hmac_wanted |= result < 0;
	if (j->kind == JOB_HMAC ? rl->hmac_wanted : j->kind != JOB_BOOTSTRAP)
		job_arm(j, j->not_before_ms);
}

static void job_finish(struct job *j, int forced)
{
	struct reglink *rl = j->rl;
	_cleanup_(rc_async_freep) struct rc_async *x = TAKE_PTR(j->x);
	int r = forced;

	job_clear_io(j);
	if (!r)
		r = job_done[j->kind](rl, x);
	if (r < 0) {
		j->n_failed++;
		snprintf(j->last_error, sizeof(j->last_error), "%s",
			 forced		  ? strerror(-forced)
			 : r == -EALREADY ? "the registry returned the current certificate"
					  : rc_async_error(x));
	} else {
		j->n_ok++;
		j->last_error[0] = '\0';
	}
	job_schedule(j, r);
	if (r == -ENOENT && j->kind == JOB_BOOTSTRAP)
		log_info("registry: no bootstrap peer known");
	else if (r == -EALREADY)
		log_info("registry: %s: %s (next try in %llu s)", job_rpc[j->kind], j->last_error,
			 (unsigned long long)(j->not_before_ms - now_ms(rl)) / 1000);
	else if (r < 0)
		log_info("registry: %s failed after %.1f s: %s (next try in %llu s)",
			 job_rpc[j->kind], (double)(now_ms(rl) - j->started_ms) / 1000,
			 j->last_error, (unsigned long long)(j->not_before_ms - now_ms(rl)) / 1000);
}

static void job_drive(struct job *j);

static void on_job_io(struct loop *l, int fd, short revents, void *userdata)
{
	job_drive(userdata);
}

static void job_drive(struct job *j)
{
	struct reglink *rl = j->rl;
	struct pollfd fds[MAX_FDS];
	size_t n = 0;
	int timeout = -1;
	int r = rc_async_process(j->x);

	if (r != 0) {
		job_finish(j, r < 0 ? r : 0);
		return;
	}
	if (now_ms(rl) >= j->deadline_ms) {
		log_warning("registry: %s: no answer in %llu s, abandoned", job_rpc[j->kind],
			    (unsigned long long)(now_ms(rl) - j->started_ms) / 1000);
		job_finish(j, -ETIMEDOUT);
		return;
	}
	job_clear_io(j);
	r = rc_async_fds(j->x, fds, MAX_FDS, &n, &timeout);
	if (r < 0) {
		job_finish(j, r);
		return;
	}
	for (size_t i = 0; i < n; i++)
		if (loop_add_io(rl->c->loop, fds[i].fd, fds[i].events, on_job_io, j,
				&j->io[j->n_io]) >= 0)
			j->n_io++;
	/* libcurl wants to be called after its timeout even without readiness. */
	uint64_t when = now_ms(rl) + (timeout >= 0 ? (uint64_t)timeout : 1000);
	loop_timer_set(j->timer, MIN(when, j->deadline_ms));
}

static int job_start(struct job *j)
{
	struct reglink *rl = j->rl;
	int r;

	switch (j->kind) {
	case JOB_NETCONF:
		r = rc_async_get_network_config(rl->client, &j->x);
		break;
	case JOB_ANNOUNCE:
		r = rc_async_announce(rl->client, rl->announcing, &j->x);
		break;
	case JOB_BOOTSTRAP:
		r = rc_async_get_bootstrap_peer(rl->client, &j->x);
		break;
	case JOB_RENEW:
		r = rc_async_renew_certificate(rl->client, &j->x);
		break;
	case JOB_HMAC:
		rl->hmac_wanted = false; /* a change during the request sets it again */
		r = rc_async_get_hmac(rl->client, &j->x);
		break;
	default:
		r = -EINVAL;
	}
	j->started_ms = now_ms(rl);
	if (r < 0) {
		j->n_failed++;
		snprintf(j->last_error, sizeof(j->last_error), "%s",
			 registry_client_error(rl->client)[0] ? registry_client_error(rl->client)
							      : strerror(-r));
		job_schedule(j, r);
		log_warning("registry: cannot start %s: %s", job_rpc[j->kind], j->last_error);
		return r;
	}
	log_debug("registry: %s request started", job_rpc[j->kind]);
	j->next_ms = 0;
	j->deadline_ms = j->started_ms + REGLINK_TIMEOUT_MS + ABANDON_AFTER_MS;
	job_drive(j);
	return 0;
}

/* ---- when each kind is due ---- */

/* When to look at cert_renew_due() again: often enough for its window. */
static uint64_t renew_check_ms(struct reglink *rl)
{
	uint64_t every = MIN(MAX(cert_life_ms(rl->c) / 100, (uint64_t)1000), (uint64_t)RENEW_CHECK_MS);
	return now_ms(rl) + every;
}

static void on_job_timer(struct loop *l, struct loop_timer *t, void *userdata)
{
	struct job *j = userdata;
	struct reglink *rl = j->rl;
	struct ctx *c = rl->c;

	if (j->x) {
		job_drive(j);
		return;
	}
	j->next_ms = 0;
	switch (j->kind) {
	case JOB_NETCONF:
		job_start(j);
		break;
	case JOB_ANNOUNCE: {
		char list[sizeof(rl->announcing)];
		bool ok = c->endpoints && endpoints_format(c->endpoints, list, sizeof(list)) >= 0 &&
			  list[0];
		if (ok && (strcmp(list, rl->announced) != 0 || now_ms(rl) >= rl->next_announce_ms)) {
			memcpy(rl->announcing, list, sizeof(list));
			job_start(j);
		} else {
			/* Nothing new: the periodic announce, or EV_ENDPOINTS sooner. */
			job_arm(j, rl->next_announce_ms > now_ms(rl) ? rl->next_announce_ms
								    : now_ms(rl) + ANNOUNCE_EVERY_MS);
		}
		break;
	}
	case JOB_RENEW:
		if (daemon_cert_past_grace(c, loop_unix_now())) {
			log_error("%s expired and was not renewed within the network's grace "
				  "period: stopping", c->opt.cert);
			loop_exit(l, 1);
		} else if (daemon_cert_due(c, loop_unix_now())) {
			job_start(j);
		} else {
			job_arm(j, renew_check_ms(rl));
		}
		break;
	case JOB_HMAC:
		job_start(j);
		break;
	case JOB_BOOTSTRAP:
		job_start(j);
		break;
	case N_JOBS:
		break;
	}
}

void reglink_want_bootstrap(struct reglink *rl, reglink_bootstrap_fn cb, void *userdata,
			    bool alone)
{
	if (!rl)
		return;
	struct job *j = &rl->jobs[JOB_BOOTSTRAP];
	rl->bootstrap_cb = cb;
	rl->bootstrap_data = userdata;
	/* The spacing counts from the last answer (not_before_ms is 30 s after it). */
	uint64_t allowed = alone ? j->not_before_ms - MIN(j->not_before_ms, BOOTSTRAP_MIN_MS - BOOTSTRAP_ALONE_MS)
				 : j->not_before_ms;
	if (j->x)
		return; /* in flight */
	if (j->next_ms && (!alone || j->next_ms <= allowed))
		return; /* already due, soon enough */
	if (now_ms(rl) < allowed)
		job_arm(j, allowed); /* asked when allowed */
	else
		job_start(j);
}

void reglink_want_hmac(struct reglink *rl)
{
	if (!rl)
		return;
	struct job *j = &rl->jobs[JOB_HMAC];
	rl->hmac_wanted = true;
	if (j->x || j->next_ms)
		return; /* in flight (done_cb asks again) or already armed */
	job_arm(j, MAX(now_ms(rl), j->not_before_ms));
}

/* ---- events from below ---- */

static void on_event(void *userdata, enum event_type type, const void *payload, size_t len)
{
	struct reglink *rl = userdata;
	struct job *j = &rl->jobs[JOB_ANNOUNCE];

	switch (type) {
	case EV_NETCONF:
		reglink_want_hmac(rl);
		break;
	case EV_ENDPOINTS:
		/* In flight: its completion re-arms the job, which compares. */
		if (!j->x)
			job_arm(j, MAX(now_ms(rl), j->not_before_ms));
		break;
	default:
		break;
	}
}

/* ---- control command ---- */

static int cmd_registry(struct ctx *c, const char *args, struct jbuf *o)
{
	struct reglink *rl = c->reglink;
	if (!rl)
		return -ENOTCONN;
	uint64_t now = now_ms(rl);

	jbuf_append(o, "{");
	jbuf_key(o, "url");
	jbuf_string(o, c->opt.registry);
	jbuf_append(o, ", ");
	jbuf_key(o, "announced");
	jbuf_string(o, rl->announced[0] ? rl->announced : NULL);
	jbuf_append(o, ", ");
	jbuf_key(o, "requests");
	jbuf_append(o, "[");
	for (size_t i = 0; i < N_JOBS; i++) {
		const struct job *j = &rl->jobs[i];
		jbuf_append(o, "%s{", i ? ", " : "");
		jbuf_key(o, "rpc");
		jbuf_string(o, job_rpc[i]);
		jbuf_append(o, ", ");
		jbuf_key(o, "state");
		jbuf_string(o, j->x ? "pending" : "idle");
		if (j->x)
			jbuf_append(o, ", \"pending_ms\": %llu",
				    (unsigned long long)(now - j->started_ms));
		else if (j->next_ms)
			jbuf_append(o, ", \"next_in_ms\": %llu",
				    (unsigned long long)(j->next_ms > now ? j->next_ms - now : 0));
		jbuf_append(o, ", \"ok\": %llu, \"failed\": %llu, \"failures_in_row\": %u, ",
			    (unsigned long long)j->n_ok, (unsigned long long)j->n_failed,
			    j->failures);
		jbuf_key(o, "last_error");
		jbuf_string(o, j->last_error[0] ? j->last_error : NULL);
		jbuf_append(o, "}");
	}
	jbuf_append(o, "]}");
	return 0;
}

/* The registry link in the node's metrics (docs/monitoring.md). */
static void collect(void *userdata, struct prom_buf *w)
{
	const struct reglink *rl = userdata;
	bool up = true;
	prom_family(w, "re6st_registry_requests_total", PROM_COUNTER,
		     "Registry requests made from the loop, by RPC and result.");
	for (size_t i = 0; i < N_JOBS; i++) {
		const struct job *j = &rl->jobs[i];
		prom_samplel(w, "re6st_registry_requests_total", (double)j->n_ok, "rpc", job_rpc[i],
			     "result", "ok", NULL);
		prom_samplel(w, "re6st_registry_requests_total", (double)j->n_failed, "rpc", job_rpc[i],
			     "result", "failed", NULL);
		up = up && j->failures == 0;
	}
	prom_family(w, "re6st_registry_failures_in_row", PROM_GAUGE,
		     "Registry requests of this RPC that failed in a row (0: the last one worked).");
	for (size_t i = 0; i < N_JOBS; i++)
		prom_samplel(w, "re6st_registry_failures_in_row", rl->jobs[i].failures, "rpc",
			     job_rpc[i], NULL);
	prom_family(w, "re6st_registry_up", PROM_GAUGE,
		     "1 when the last request of every RPC succeeded (or none failed yet).");
	prom_samplel(w, "re6st_registry_up", up, NULL);
}

/* ---- module ---- */

int reglink_init(struct ctx *c)
{
	struct registry_client_options o = { .timeout_ms = REGLINK_TIMEOUT_MS, .retries = 0 };
	struct reglink *rl = calloc(1, sizeof(*rl));
	int r;

	if (!rl)
		return -ENOMEM;
	rl->c = c;
	c->reglink = rl; /* reglink_fini() frees what is set up so far */
	r = registry_client_new(c->opt.registry, &o, &rl->client);
	if (r < 0)
		return log_errno(LOG_ERR, r, "registry client for %s", c->opt.registry);
	registry_client_set_ca(rl->client, &c->ca);
	registry_client_set_identity(rl->client, c->key, &c->cert);
	for (size_t i = 0; i < N_JOBS; i++) {
		struct job *j = &rl->jobs[i];
		j->rl = rl;
		j->kind = (enum job_kind)i;
		r = loop_add_timer(c->loop, 0, 0, on_job_timer, j, &j->timer);
		if (r < 0)
			return log_errno(LOG_ERR, r, "cannot add the registry timers");
		loop_timer_disarm(j->timer);
	}
	/* Start-up just fetched the configuration and renewed if it could. */
	uint64_t now = loop_now(c->loop);
	job_arm(&rl->jobs[JOB_NETCONF], now + jitter(NETCONF_POLL_MS));
	job_arm(&rl->jobs[JOB_ANNOUNCE], now);
	job_arm(&rl->jobs[JOB_RENEW], now);
	if (c->hmac_unconfirmed)
		reglink_want_hmac(rl);
	if ((r = events_subscribe(c->events, EV_NETCONF, on_event, rl)) < 0 ||
	    (r = events_subscribe(c->events, EV_ENDPOINTS, on_event, rl)) < 0)
		return log_errno(LOG_ERR, r, "registry link");
	if (c->control) {
		r = control_register(c->control, "registry",
				     "registry requests: pending, next, failures", cmd_registry);
		if (r < 0)
			log_errno(LOG_WARNING, r, "cannot register the control command registry");
	}
	metrics_register(c->metrics, collect, rl);
	return 0;
}

void reglink_reload(struct ctx *c)
{
	struct reglink *rl = c->reglink;
	if (!rl)
		return;
	uint64_t now = now_ms(rl);
	struct job *j = &rl->jobs[JOB_NETCONF];
	j->failures = 0;
	if (!j->x)
		job_arm(j, now);
	/* An HMAC request that failed (the registry was away) waits up to
	 * minutes for its retry: the operator's SIGHUP asks at once too. */
	j = &rl->jobs[JOB_HMAC];
	if (rl->hmac_wanted) {
		j->failures = 0;
		j->not_before_ms = now;
		if (!j->x)
			job_arm(j, now);
	}
}

void reglink_fini(struct ctx *c)
{
	struct reglink *rl = c->reglink;
	if (!rl)
		return;
	events_unsubscribe(c->events, on_event, rl);
	metrics_unregister(c->metrics, collect, rl);
	for (size_t i = 0; i < N_JOBS; i++) {
		struct job *j = &rl->jobs[i];
		job_clear_io(j);
		rc_async_free(j->x);
		loop_timer_remove(j->timer);
	}
	registry_client_free(rl->client);
	free(rl);
	c->reglink = NULL;
}
