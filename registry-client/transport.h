/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * transport.h - how registry-client.c gets one HTTP(S) GET done. Private to
 * registry-client/. Two implementations, one per library:
 *
 *   transport-curl.c   libcurl in this process (registry_client_dep:
 *                      re6st-conf, re6stctl, tests, benchmarks);
 *   transport-spawn.c  each transfer in a short-lived re6st-fetch process
 *                      (registry_client_nocurl_dep: re6stnet, which then
 *                      maps neither libcurl nor the ~30 libraries it loads).
 *
 * registry-client.c composes requests (URL, signature headers) and checks
 * and parses answers; it never sees which transport runs.
 *
 * Errors (negative errno, with err filled in words, without the URL):
 *   -ECONNREFUSED, -ETIMEDOUT, -EHOSTUNREACH, -EIO   the transfer failed
 *   -EBADMSG   answer larger than RC_MAX_ANSWER (or, spawn: a broken frame)
 *   -ENOEXEC   spawn: the helper cannot be run (missing, not executable)
 *   -ENOMEM
 */
#ifndef RE6ST_REGISTRY_TRANSPORT_H
#define RE6ST_REGISTRY_TRANSPORT_H

#include <stdbool.h>
#include <stddef.h>

#define RC_MAX_ANSWER (1u << 20)
#define RC_SIGNATURE_HEADER "Re6st-Answer-Signature"
#define RC_ERRLEN 512

struct pollfd;

struct rc_request {
	const char *url;
	const char *const *headers;  /* "Name: value" lines, n_headers of them */
	size_t n_headers;
	long timeout_ms;             /* the whole transfer */
	const char *user_agent;
	const char *cainfo;          /* NULL: the system store */
	const char *helper;          /* spawn: re6st-fetch to run; NULL: rc_fetch_helper() */
};

struct rc_response {
	unsigned status;
	char *body;          /* NUL-terminated (malloc'ed), NULL when empty */
	size_t len;
	bool has_signature;  /* the RC_SIGNATURE_HEADER answer header */
	char signature[256];
};
void rc_response_clear(struct rc_response *a);

/* Once per client (curl_global_init for libcurl). */
int rc_transport_init(void);

/* Blocking transfer, bounded by req->timeout_ms (spawn: plus a little). */
int rc_transport_perform(const struct rc_request *req, struct rc_response *ret,
			 char err[RC_ERRLEN]);

/* Non-blocking transfer, as rc_async_* in registry-client.h. */
struct rc_transfer;
int rc_transfer_start(const struct rc_request *req, struct rc_transfer **ret,
		      char err[RC_ERRLEN]);
/* fds to poll (-ENOBUFS if more than max), longest wait (-1: none). */
int rc_transfer_fds(struct rc_transfer *t, struct pollfd *fds, size_t max, size_t *ret_n,
		    int *ret_timeout_ms);
/* 1 finished (rc_transfer_result() says how), 0 running. */
int rc_transfer_process(struct rc_transfer *t);
/* After 1 from process: the answer (moved out), or the transfer's error. */
int rc_transfer_result(struct rc_transfer *t, struct rc_response *ret, char err[RC_ERRLEN]);
/* Stops a running transfer (spawn: kills and reaps the helper). */
void rc_transfer_free(struct rc_transfer *t);

#endif
