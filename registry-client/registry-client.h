/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * registry-client.h - one C function per re6st-registry RPC, over HTTP(S).
 *
 * Shared by re6st-conf and the re6stnet daemon, in two builds that differ
 * only in how a transfer is done (transport.h): registry_client_dep runs
 * libcurl in the process; registry_client_nocurl_dep (re6stnet) runs each
 * transfer in a short-lived re6st-fetch helper, so libcurl is never mapped
 * in the daemon.  The URL decides http or https (certificates of https
 * registries are checked by libcurl against the system store, or
 * opt->cainfo).  Every call has a timeout; calls that
 * cannot issue anything twice are retried on transport errors and 5xx
 * answers with exponential back-off.  Answers are verified: certificates and
 * the network configuration against the CA, answers to signed requests
 * against the registry's answer signature (header Re6st-Answer-Signature).
 *
 * Errors (negative errno); registry_client_error() then says in words what
 * failed, e.g. "http://reg/requestCertificate: HTTP 403: invalid or expired
 * token":
 *   -ECONNREFUSED, -ETIMEDOUT, -EHOSTUNREACH, -EIO   transport (after retries);
 *                  nocurl: -EIO also when re6st-fetch crashed or wrote
 *                  garbage, -ETIMEDOUT when it was killed at its deadline
 *   -ENOEXEC       nocurl: re6st-fetch cannot be run (missing, not executable)
 *   -EACCES        403 (refused: bad token, not authorized, revoked, ...)
 *   -EINVAL        400 (bad arguments) or bad arguments given to this API
 *   -ENOENT        404, or 204 where an answer was expected (no such token,
 *                  no bootstrap peer known, ...)
 *   -EKEYREJECTED  answer signature or certificate signature does not verify
 *   -EXDEV         answer for another network (CA)
 *   -EBADMSG       malformed answer
 *   -EPROTO        other HTTP status
 *   -ENOMEM
 *
 * The rc_* calls block (bounded by timeout x retries).  For a poll loop,
 * rc_async_*() run one request without blocking, with the same checks and
 * parsing as the blocking calls (see the end of this file).
 */
#ifndef RE6ST_REGISTRY_CLIENT_H
#define RE6ST_REGISTRY_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "identity.h"
#include "netconf.h"

struct registry_client;

struct registry_client_options {
	long timeout_ms;      /* per attempt; default 10000 */
	unsigned retries;     /* extra attempts; default 3 */
	long backoff_ms;      /* first back-off, doubled each time; default 500 */
	const char *cainfo;   /* https: CA bundle; NULL for the system store */
	const char *user_agent;
	/*
	 * nocurl build: the re6st-fetch to run (kept, must outlive the client).
	 * NULL: $RE6ST_FETCH_HELPER, else re6st-fetch next to the running
	 * program (/proc/self/exe: the build tree), else RE6ST_FETCH_PATH (the
	 * installed one, libexecdir/re6st/re6st-fetch). Ignored by libcurl.
	 */
	const char *fetch_helper;
};

/* url: "http://host[:port]" or "https://..." (a trailing '/' is ignored). */
int registry_client_new(const char *url, const struct registry_client_options *opt,
			struct registry_client **ret);
void registry_client_free(struct registry_client *c);
DEFINE_FREEP(struct registry_client, registry_client_free)

/* Last error, in words ("" when none). */
const char *registry_client_error(const struct registry_client *c);

/* CA used to verify answers (required by every call but getCa). Copied. */
void registry_client_set_ca(struct registry_client *c, const struct re6st_ca *ca);
/* Node identity for signed calls. Pointers kept: must outlive c. */
void registry_client_set_identity(struct registry_client *c, const struct re6st_key *k,
				  const struct re6st_cert *cert);

/* ---- public RPCs ---- */

/* The CA (self-signature checked; pin it with ca_fingerprint_check()). */
int rc_get_ca(struct registry_client *c, struct re6st_ca *ret);
/* The signed network configuration, verified with the CA. ret_encoded optional. */
int rc_get_network_config(struct registry_client *c, struct re6st_netconf **ret,
			  uint8_t **ret_encoded, size_t *ret_encoded_len);
/* Ask for a token by mail. */
int rc_request_token(struct registry_client *c, const char *email);
/*
 * Register key k: by token, or anonymously when token is NULL.  location:
 * "FR,EU" hint or NULL.  Returns the verified certificate and its armour.
 */
int rc_request_certificate(struct registry_client *c, const char *token,
			   const struct re6st_key *k, const char *location,
			   struct re6st_cert *ret, char **ret_armour);
/* country code of an address (needs no identity); -ENOENT unknown. */
int rc_get_country(struct registry_client *c, const char *address, char ret[3]);

/* ---- signed RPCs (need set_identity and set_ca) ---- */

/*
 * Renewed (or the same, when not due) certificate, checked to be for this
 * node's key and prefix (-EKEYREJECTED otherwise).
 */
int rc_renew_certificate(struct registry_client *c, struct re6st_cert *ret, char **ret_armour);

struct rc_bootstrap_peer {
	struct re6st_prefix prefix;
	char *endpoints;          /* as announced by the peer */
	struct re6st_cert cert;   /* verified against the CA */
};
void rc_bootstrap_peer_clear(struct rc_bootstrap_peer *p);
/* A random node that announced itself recently; -ENOENT none. */
int rc_get_bootstrap_peer(struct registry_client *c, struct rc_bootstrap_peer *ret);
/* Publish this node's endpoints (printable text, <= 1024 bytes). The
 * registry answers with its network configuration's version: *ret_version
 * (may be NULL) gets it, or 0 from a registry that answers nothing (204). */
int rc_announce(struct registry_client *c, const char *endpoints, uint64_t *ret_version);

struct rc_hmac {
	uint64_t version;   /* network configuration version they go with */
	bool has_sign;
	uint8_t sign[32];
	size_t sign_len;
	bool has_accept;    /* a second key accepted */
	bool accept_none;   /* ... or: also accept packets without HMAC */
	uint8_t accept[32];
	size_t accept_len;
};
/* Babel HMAC keys for this node (unsealed). */
int rc_get_hmac(struct registry_client *c, struct rc_hmac *ret);

/* ---- private RPCs (answered to --authorized-origin only) ---- */

int rc_add_token(struct registry_client *c, const char *email, const char *token,
		 char **ret_token);
int rc_is_token(struct registry_client *c, const char *token, bool *ret);
int rc_delete_token(struct registry_client *c, const char *token);
/* cn_or_serial: "2001:db8:42:1::/64", "N/LEN" or a serial number. */
int rc_revoke(struct registry_client *c, const char *cn_or_serial);
/* Step the babel HMAC rotation; *ret_state "introduce", "use", "drop", "init". */
int rc_update_hmac(struct registry_client *c, char **ret_state);
int rc_get_node_prefix(struct registry_client *c, const char *email, char **ret);
int rc_get_ipv6_address(struct registry_client *c, const char *email, char **ret);
/*
 * versions or topology (rpc): the registry asks the live nodes, waiting
 * timeout_s (1..30) after the last answer; *ret_json is its JSON answer
 * as is (docs/registry-api.md).  Keep the client's timeout above it.
 */
int rc_survey(struct registry_client *c, const char *rpc, unsigned timeout_s, char **ret_json);

/*
 * Low level: call rpc with an already-encoded query; signed or not.
 * *ret_status is the HTTP status; the body is NUL-terminated.  Errors are
 * transport ones only (an HTTP error status is returned as-is).
 */
int rc_call_raw(struct registry_client *c, const char *rpc, const char *query, bool sign,
		unsigned *ret_status, char **ret_body, size_t *ret_len);

/* ---- non-blocking requests (one per handle; no retries) -----------------
 *
 *   rc_async_start(c, "getNetworkConfig", "", false, &x);
 *   loop: rc_async_fds(x, fds, n, &nfds, &timeout) -> add to poll();
 *         after poll (readiness or timeout): rc_async_process(x) == 1 -> done
 *   rc_async_result(x, &status, &body, &len); rc_async_free(x);
 *
 * nocurl build: the one fd is the helper's stdout; the helper is killed
 * (SIGKILL) when the transfer outlives timeout_ms by 2 s, and by
 * rc_async_free() when still running; rc_async_process() reaps it itself
 * (waitpid on its pid only: a loop that reaps the children it watches, as
 * daemon/loop.c, is no trouble).
 *
 * rc_async_result() verifies the answer signature of signed requests (2xx)
 * and returns transport errors as the blocking calls do; the body is then
 * parsed by the caller (netconf_from_armour(), cert_from_armour(), ...).
 */
struct rc_async;
struct pollfd;
int rc_async_start(struct registry_client *c, const char *rpc, const char *query, bool sign,
		   struct rc_async **ret);
/* Sockets to poll (-ENOBUFS if more than max) and the longest wait in ms (-1: none). */
int rc_async_fds(struct rc_async *x, struct pollfd *fds, size_t max, size_t *ret_n,
		 int *ret_timeout_ms);
/* Drive the transfer: 1 finished, 0 in progress, <0 error. */
int rc_async_process(struct rc_async *x);
/* After completion: HTTP status and body (malloc'ed). -EAGAIN if not finished. */
int rc_async_result(struct rc_async *x, unsigned *ret_status, char **ret_body, size_t *ret_len);
void rc_async_free(struct rc_async *x);
DEFINE_FREEP(struct rc_async, rc_async_free)
/*
 * A finished request's error in words ("" if none), kept with the request:
 * registry_client_error() belongs to whichever request failed last.
 */
const char *rc_async_error(const struct rc_async *x);

/* ---- non-blocking RPCs with verified, parsed answers ---------------------
 *
 *   rc_async_get_bootstrap_peer(c, &x);  drive x as above until finished;
 *   rc_async_bootstrap_peer_result(x, &peer); rc_async_free(x);
 *
 * Each start function returns 0 with *ret, or an error (registry_client_
 * error() says which).  Each result function may be called once, after
 * rc_async_process() returned 1; it returns exactly what the blocking call
 * returns (the errors listed at the top of this file, the same verification
 * of signatures, certificates and CA), or -EAGAIN if the request is still
 * running and -EINVAL if x was started for another RPC.  No retries: the
 * caller decides when to try again.
 */
int rc_async_get_network_config(struct registry_client *c, struct rc_async **ret);
int rc_async_network_config_result(struct rc_async *x, struct re6st_netconf **ret,
				   uint8_t **ret_encoded, size_t *ret_encoded_len);
int rc_async_renew_certificate(struct registry_client *c, struct rc_async **ret);
int rc_async_certificate_result(struct rc_async *x, struct re6st_cert *ret, char **ret_armour);
int rc_async_get_bootstrap_peer(struct registry_client *c, struct rc_async **ret);
int rc_async_bootstrap_peer_result(struct rc_async *x, struct rc_bootstrap_peer *ret);
int rc_async_announce(struct registry_client *c, const char *endpoints, struct rc_async **ret);
int rc_async_announce_result(struct rc_async *x, uint64_t *ret_version);
int rc_async_get_hmac(struct registry_client *c, struct rc_async **ret);
int rc_async_hmac_result(struct rc_async *x, struct rc_hmac *ret);

#endif
