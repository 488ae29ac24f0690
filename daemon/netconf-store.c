/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The node's current network configuration and certificate: adopting a newer
 * signed configuration (from the registry or a peer), the renewal rule and
 * the grace period of an expired certificate, saving a renewed certificate,
 * and the start-up "registry" module that fills them (ctx.h, netconf-store.h).
 */
#include <ctype.h>

#include <sodium.h>

#include "ctx.h"
#include "events.h"
#include "log.h"
#include "netconf.h"
#include "netconf-store.h"
#include "registry-client.h"
#include "state.h"

/* ---- registry: certificate renewal, network configuration -------------------- */

static int netconf_adopt(struct ctx *c, struct re6st_netconf *nc, uint8_t *raw, size_t len)
{
	netconf_free(c->netconf);
	free(c->netconf_raw);
	c->netconf = nc;
	c->netconf_raw = raw;
	c->netconf_raw_len = len;
	c->netconf_version = nc->version;
	int r = state_set_blob(c->state, STATE_KEY_NETCONF, raw, len);
	if (r < 0)
		log_warning("cannot cache the network configuration: %s", state_last_error(c->state));
	return 0;
}

int daemon_offer_netconf(struct ctx *c, const uint8_t *raw, size_t len)
{
	struct re6st_netconf *nc = NULL;
	int r = netconf_parse(raw, len, &c->ca, &nc);
	if (r < 0)
		return r;
	if (c->netconf && nc->version <= c->netconf->version) {
		netconf_free(nc);
		return 0;
	}
	uint8_t *copy = malloc(len);
	if (!copy) {
		netconf_free(nc);
		return -ENOMEM;
	}
	memcpy(copy, raw, len);
	log_info("network configuration version %llu", (unsigned long long)nc->version);
	netconf_adopt(c, nc, copy, len);
	r = netconf_check_cert(c->netconf, &c->cert, &c->ca, loop_unix_now());
	if (r == -EKEYREVOKED) {
		log_error("our certificate (serial %llu) is revoked by network configuration "
			  "version %llu: stopping", (unsigned long long)c->cert.serial,
			  (unsigned long long)nc->version);
		loop_exit(c->loop, 1);
	}
	/* Revoked peers lose their tunnels, neighbours learn the version, the
	 * registry link asks for the HMAC keys (updateHMAC bumps the version). */
	events_post(c->events, EV_NETCONF, &(struct ev_netconf){ .version = nc->version },
		    sizeof(struct ev_netconf));
	return 1;
}

bool daemon_cert_due(const struct ctx *c, uint64_t unix_now)
{
	return cert_renew_due((int64_t)c->cert.not_before, (int64_t)c->cert.not_after,
			      (int64_t)unix_now);
}

bool daemon_cert_past_grace(const struct ctx *c, uint64_t unix_now)
{
	uint64_t grace = c->netconf ? c->netconf->grace_period : NETCONF_DEFAULT_GRACE_PERIOD;
	return unix_now > c->cert.not_after + grace;
}

int daemon_adopt_cert(struct ctx *c, const struct re6st_cert *cert)
{
	if (cert->serial == c->cert.serial && cert->not_after == c->cert.not_after)
		return 0;
	int r = cert_save(cert, c->opt.cert);
	if (r < 0)
		return r;
	c->cert = *cert;
	c->cert_expired = false;
	log_notice("certificate renewed, valid until %llu", (unsigned long long)cert->not_after);
	return 1;
}

/* ---- babel HMAC keys ---- */

/* The HMAC keys as a 66-byte blob: sign length, sign key, accept length
 * (HMAC_ACCEPT_NONE: also accept packets without HMAC), accept key. */
#define HMAC_BLOB_LEN 66
#define HMAC_ACCEPT_NONE 0xff

int nstore_hmac_put(struct ctx *c, const struct rc_hmac *h)
{
	uint8_t b[HMAC_BLOB_LEN] = { 0 };
	if (h->sign_len > 32 || h->accept_len > 32)
		return -EINVAL;
	b[0] = (uint8_t)h->sign_len;
	memcpy(b + 1, h->sign, h->sign_len);
	if (h->has_accept) {
		b[33] = h->accept_none ? HMAC_ACCEPT_NONE : (uint8_t)h->accept_len;
		memcpy(b + 34, h->accept, h->accept_len);
	}
	int r = state_set_blob(c->state, STATE_KEY_HMAC, b, sizeof(b));
	sodium_memzero(b, sizeof(b));
	return r;
}

int nstore_hmac_get(struct ctx *c, struct rc_hmac *ret)
{
	uint8_t *b = NULL;
	size_t n = 0;
	int r = state_get_blob(c->state, STATE_KEY_HMAC, &b, &n);
	if (r < 0)
		return r;
	if (n != HMAC_BLOB_LEN || b[0] == 0 || b[0] > 32 || (b[33] > 32 && b[33] != HMAC_ACCEPT_NONE))
		r = -EBADMSG;
	else {
		bool none = b[33] == HMAC_ACCEPT_NONE;
		struct rc_hmac h = { .has_sign = true, .sign_len = b[0], .has_accept = b[33] > 0,
				     .accept_none = none, .accept_len = none ? 0 : b[33] };
		memcpy(h.sign, b + 1, h.sign_len);
		memcpy(h.accept, b + 34, h.accept_len);
		*ret = h;
		sodium_memzero(&h, sizeof(h));
	}
	sodium_memzero(b, n);
	free(b);
	return r;
}

static bool hmac_equal(const struct rc_hmac *a, const struct rc_hmac *b)
{
	if (a->has_sign != b->has_sign)
		return false;
	if (!a->has_sign)
		return true;
	if (a->sign_len != b->sign_len || sodium_memcmp(a->sign, b->sign, a->sign_len) ||
	    a->has_accept != b->has_accept)
		return false;
	return !a->has_accept ||
	       (a->accept_none == b->accept_none && a->accept_len == b->accept_len &&
		!sodium_memcmp(a->accept, b->accept, a->accept_len));
}

int daemon_offer_hmac(struct ctx *c, const struct rc_hmac *h)
{
	struct rc_hmac cur = { 0 };
	if (nstore_hmac_get(c, &cur) < 0)
		cur = (struct rc_hmac){ 0 };
	bool same = hmac_equal(&cur, h) && !c->hmac_unknown;
	sodium_memzero(&cur, sizeof(cur));
	c->hmac_unknown = false; /* the registry answered */
	if (same)
		return 0;
	int r = h->has_sign ? nstore_hmac_put(c, h) : state_delete(c->state, STATE_KEY_HMAC);
	if (r < 0)
		log_warning("cannot cache the babel HMAC keys: %s", state_last_error(c->state));
	log_info("babel HMAC keys of configuration %llu differ from ours",
		 (unsigned long long)h->version);
	events_post(c->events, EV_HMAC, NULL, 0);
	return 1;
}

/* Start-up only (blocking, short timeouts); later renewals: daemon/reglink.c. */
static int renew_cert(struct ctx *c)
{
	struct re6st_cert cert;
	int r = rc_renew_certificate(c->registry, &cert, NULL);
	if (r < 0)
		return r;
	return daemon_adopt_cert(c, &cert);
}

/*
 * Our country: --country, else what the registry recorded at registration
 * (getCountry of our address), cached for starts without the registry.
 */
static void country_init(struct ctx *c)
{
	char cc[3] = "";
	uint8_t *v = NULL;
	size_t n = 0;

	if (c->opt.country) {
		snprintf(c->country, sizeof(c->country), "%s", c->opt.country);
		return;
	}
	int r = c->registry_down ? -ENOTCONN : rc_get_country(c->registry, c->addr_str, cc);
	if (r >= 0 && !(isupper((unsigned char)cc[0]) && isupper((unsigned char)cc[1]) && !cc[2]))
		r = -EBADMSG; /* an unsigned answer: only a country code is taken */
	if (r >= 0) {
		memcpy(c->country, cc, sizeof(cc));
		if (state_set_blob(c->state, STATE_KEY_COUNTRY, cc, 2) < 0)
			log_warning("cannot cache our country: %s", state_last_error(c->state));
		log_info("country %s (registry)", c->country);
	} else if (r == -ENOENT) {
		state_delete(c->state, STATE_KEY_COUNTRY);
		log_info("country unknown to the registry");
	} else if (state_get_blob(c->state, STATE_KEY_COUNTRY, &v, &n) >= 0 && n == 2 &&
		   isupper(v[0]) && isupper(v[1])) {
		memcpy(c->country, v, 2);
		log_info("country %s (cached)", c->country);
	}
	free(v);
}

/* A client of our registry that checks answers with our CA and signs as us. */
static int client_new(const struct ctx *c, const struct registry_client_options *o,
		      struct registry_client **ret)
{
	int r = registry_client_new(c->opt.registry, o, ret);
	if (r < 0)
		return r;
	registry_client_set_ca(*ret, &c->ca);
	registry_client_set_identity(*ret, c->key, &c->cert);
	return 0;
}

/* Nothing cached: a first start has only the registry. Patience (a loaded
 * registry or host) before giving up. */
static int fetch_patiently(struct ctx *c, struct re6st_netconf **ret, uint8_t **ret_raw,
			   size_t *ret_len)
{
	struct registry_client_options o = { .timeout_ms = 10000, .retries = 2, .backoff_ms = 1000 };
	_cleanup_(registry_client_freep) struct registry_client *rc = NULL;
	int r = client_new(c, &o, &rc);
	if (r < 0)
		return r;
	r = rc_get_network_config(rc, ret, ret_raw, ret_len);
	if (r < 0)
		log_warning("registry unreachable again (%s)", registry_client_error(rc));
	return r;
}

static int registry_start(struct ctx *c)
{
	/* Start-up must not hang on a dead registry: short timeouts. */
	struct registry_client_options o = { .timeout_ms = 3000, .retries = 1, .backoff_ms = 300 };
	int r = client_new(c, &o, &c->registry);
	if (r < 0)
		return log_errno(LOG_ERR, r, "registry client for %s", c->opt.registry);

	if (c->cert_expired || daemon_cert_due(c, loop_unix_now())) {
		r = renew_cert(c);
		if (r < 0)
			log_warning("certificate renewal failed: %s", registry_client_error(c->registry));
		else if (r == 0)
			log_info("certificate renewal: the registry kept the current one");
	}

	struct re6st_netconf *nc = NULL;
	uint8_t *raw = NULL;
	size_t len = 0;
	r = rc_get_network_config(c->registry, &nc, &raw, &len);
	if (r < 0) {
		r = state_get_blob(c->state, STATE_KEY_NETCONF, &raw, &len);
		if (r >= 0)
			r = netconf_parse(raw, len, &c->ca, &nc);
		if (r >= 0) {
			/* Each further request would wait as long (seconds per
			 * request with its retry): the country and the HMAC keys
			 * come from the cache too, and the registry link asks
			 * again later. */
			c->registry_down = true;
			log_warning("registry unreachable (%s): using the cached network configuration",
				    registry_client_error(c->registry));
		} else {
			free(raw);
			raw = NULL;
			log_warning("registry unreachable (%s) and no usable network configuration in "
				    "the state database: asking again with longer timeouts",
				    registry_client_error(c->registry));
			r = fetch_patiently(c, &nc, &raw, &len);
			if (r < 0)
				return log_errno(LOG_ERR, r,
						 "no network configuration: registry unreachable and "
						 "no usable copy in the state database");
		}
	}
	netconf_adopt(c, nc, raw, len);
	country_init(c);
	log_info("network configuration version %llu (hello %us, %u clients, refresh %us)",
		 (unsigned long long)c->netconf->version, c->netconf->hello,
		 c->netconf->client_count, c->netconf->tunnel_refresh);
	uint64_t now = loop_unix_now();
	r = netconf_check_cert(c->netconf, &c->cert, &c->ca, now);
	if (r == -EKEYEXPIRED && now > c->cert.not_after && !daemon_cert_past_grace(c, now)) {
		/* The registry renews it until the grace period ends: the
		 * registry link keeps asking (with back-off). */
		log_warning("%s expired %llu s ago and the registry did not renew it: running on "
			    "for the network's grace period (%llu s left)",
			    c->opt.cert, (unsigned long long)(now - c->cert.not_after),
			    (unsigned long long)(c->cert.not_after + c->netconf->grace_period - now));
		return 0;
	}
	if (r < 0)
		return log_errno(LOG_ERR, r, "our certificate is not acceptable: %s",
				 identity_strerror(r));
	return 0;
}

/* A module that fails to start leaves nothing behind (main.c stops only the
 * modules started before it). */
int registry_mod_init(struct ctx *c)
{
	int r = registry_start(c);
	if (r < 0)
		registry_mod_fini(c);
	return r;
}

void registry_mod_fini(struct ctx *c)
{
	registry_client_free(c->registry);
	c->registry = NULL;
	netconf_free(c->netconf);
	c->netconf = NULL;
	free(c->netconf_raw);
	c->netconf_raw = NULL;
}
