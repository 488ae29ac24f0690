/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * registry.h - the registry link: every registry request re6stnet makes
 * once its loop runs. None of them ever blocks the loop.
 *
 * Start-up (main.c, before the loop) may block, with short timeouts: the
 * renewal of an expired or due certificate, the network configuration
 * (else the cached one) and the babel HMAC keys (else the cached ones).
 * From then on every request goes through this module, as a non-blocking
 * rc_async_* request whose sockets and timeout the loop polls:
 *
 *   netconf    getNetworkConfig every ~60 s (jittered) and on SIGHUP; a
 *              newer configuration goes to daemon_offer_netconf() (the
 *              registry also pushes it and peers gossip it: this covers
 *              lost pushes);
 *   announce   our endpoints (endpoints_format()) as soon as they are
 *              known, on EV_ENDPOINTS (at most every 10 s), and every 5 min;
 *   bootstrap  getBootstrapPeer when the tunnel manager asks, at most
 *              every 30 s; the verified peer goes to the asker's callback;
 *   renew      renewCertificate once the certificate is in the last third
 *              of its validity; the new one is saved and used at once;
 *   hmac       getHMAC after each configuration change; new keys go to
 *              daemon_offer_hmac() (babeld restarted with them).
 *
 * Each kind has at most one request in flight (so at most five at once).
 * A request ends within its timeout (10 s; a request still running 5 s
 * later is abandoned whatever libcurl thinks). After a failure the same
 * kind waits a jittered, exponential back-off (30 s doubling up to 5 min)
 * before it tries again; an answer "none" (no bootstrap peer known) is no
 * failure. Results and failures are logged here, once each; the control
 * command "registry" shows every kind's state.
 */
#ifndef RE6ST_DAEMON_REGISTRY_H
#define RE6ST_DAEMON_REGISTRY_H

#include <stdbool.h>

struct ctx;
struct reglink;
struct rc_bootstrap_peer;

/*
 * Module hooks (main.c's table). init needs c->loop, c->events, c->ca,
 * c->key, c->cert and c->opt.registry; c->control and c->endpoints may be
 * NULL (no "registry" command, nothing to announce). It subscribes to
 * EV_NETCONF (getHMAC) and EV_ENDPOINTS (announce). 0, or -ENOMEM / the registry client's
 * error (logged).
 */
int reglink_init(struct ctx *c);
void reglink_fini(struct ctx *c);
/* SIGHUP: poll the network configuration now, and ask for the HMAC keys
 * now if a request for them failed since the last change; back-off
 * forgotten. */
void reglink_reload(struct ctx *c);

/*
 * The tunnel manager wants a bootstrap peer. Starts getBootstrapPeer now,
 * or, when the last one ended less than 30 s ago (or less than the back-off
 * after a failure), as soon as that time is over; alone (no tunnel up), 5 s
 * after the last one instead of 30; nothing more if one is in flight or
 * already due (soon enough). Ask again for the next one. When
 * the answer comes (from the loop, later), cb gets the peer (certificate
 * verified against the CA, prefix matching it); the peer is only valid
 * during the call. cb is not called on failure. rl may be NULL (no-op).
 */
typedef void (*reglink_bootstrap_fn)(void *userdata, const struct rc_bootstrap_peer *peer);
/* alone (the node has no tunnel up): asked at most every 5 s instead of 30. */
void reglink_want_bootstrap(struct reglink *rl, reglink_bootstrap_fn cb, void *userdata,
			    bool alone);

/*
 * The network configuration changed (updateHMAC bumps its version): fetch
 * the babel HMAC keys (getHMAC) and hand them to daemon_offer_hmac(), which
 * restarts babeld if they differ. Retried with back-off until it succeeds
 * (the registry may be down: gossip brings configurations without it).
 * rl may be NULL (no-op).
 */
void reglink_want_hmac(struct reglink *rl);

#endif
