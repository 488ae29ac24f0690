/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * netconf-store.h - the node's current signed network configuration, its
 * certificate and the babel HMAC keys: what adopts them, what caches them
 * in the state database, and the start-up "registry" module that fills them
 * (renewal when due, the configuration or else the cached one, an expired
 * certificate only within the network's grace period).
 *
 * It tells the modules above it by events (daemon/events.h): EV_NETCONF
 * when a newer configuration is adopted, EV_HMAC when the cached keys
 * changed. It calls no module above it.
 */
#ifndef RE6ST_DAEMON_NETCONF_STORE_H
#define RE6ST_DAEMON_NETCONF_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ctx;
struct re6st_cert;
struct rc_hmac;

int registry_mod_init(struct ctx *c);
void registry_mod_fini(struct ctx *c);

/*
 * A signed network configuration from anywhere (peer gossip, registry):
 * verified with the CA, adopted and cached if newer than ours, then
 * EV_NETCONF. Returns 1 if adopted, 0 if not newer, or the netconf_parse()
 * error. If it revokes our own certificate the daemon stops.
 */
int daemon_offer_netconf(struct ctx *c, const uint8_t *raw, size_t len);

/*
 * Babel HMAC keys from the registry (after a configuration change): if they
 * differ from the cached ones, or the node had none (c->hmac_unknown, then
 * cleared), they are cached and EV_HMAC is posted (the babel module gives
 * them to babeld). 1 if changed, 0 if the same.
 */
int daemon_offer_hmac(struct ctx *c, const struct rc_hmac *h);
/* The cached keys: 0, -ENOENT (none), -EBADMSG or the state db's error. */
int nstore_hmac_get(struct ctx *c, struct rc_hmac *ret);
/* Cache keys that have a sign key. 0 or -errno. */
int nstore_hmac_put(struct ctx *c, const struct rc_hmac *h);

/* Renewal is due: cert_renew_due() (lib/identity.h) for our certificate. */
bool daemon_cert_due(const struct ctx *c, uint64_t unix_now);
/*
 * Our certificate expired more than the network's grace period ago (the
 * registry no longer renews it): there is no point running on.
 */
bool daemon_cert_past_grace(const struct ctx *c, uint64_t unix_now);
/*
 * The registry's answer to a renewal (verified: same key and prefix as
 * ours). A new certificate is saved to --cert, then used from now on: 1.
 * The one we have (not due for the registry yet): 0, nothing written or
 * logged. Or cert_save()'s error (then the old one stays in use).
 */
int daemon_adopt_cert(struct ctx *c, const struct re6st_cert *cert);

#endif
