/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * rc-internal.h - inside the registry client (registry-client.h): the
 * client's state and the helpers its files share. Not for other modules.
 *
 *   registry-client.c  the client, requests (prepare, perform, verify), the
 *                      public and node RPCs
 *   rc-admin.c         the private RPCs (re6stctl --registry)
 *   rc-async.c         the non-blocking calls for the daemon's loop
 */
#ifndef RE6ST_RC_INTERNAL_H
#define RE6ST_RC_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "registry-client.h"
#include "reqsign.h"
#include "transport.h"

struct registry_client {
	char *url;
	struct registry_client_options opt;
	bool has_ca;
	struct re6st_ca ca;
	const struct re6st_key *key;
	const struct re6st_cert *cert;
	char error[512];
};

enum {
	CALL_SIGNED = 1 << 0,
	CALL_RETRY = 1 << 1, /* idempotent: retry on transport errors and 5xx */
};

struct answer {
	unsigned status;
	char *body;
	size_t len;
	bool has_sig;
	uint8_t sig[RE6ST_SIG_LEN];
};

/* A request ready for the transport, with the headers of a signed one. */
struct prepared {
	char *hdr[2];
	const char *hdrs[2];
	struct rc_request req;
};

void rci_answer_clear(struct answer *a);
int rci_set_error(struct registry_client *c, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void rci_prepared_clear(struct prepared *p);
int rci_prepare(struct registry_client *c, const char *rpc, const char *url,
		   const char *query, unsigned flags, uint8_t nonce[16], struct prepared *ret);
int rci_take_response(struct registry_client *c, const char *url, int r,
			 struct rc_response *resp, const char *err, struct answer *a);
int rci_call(struct registry_client *c, const char *rpc, const char *query, unsigned flags,
		bool allow_empty, struct answer *a);
int rci_check_answer(struct registry_client *c, const char *rpc, unsigned flags,
			bool allow_empty, struct answer *a, const uint8_t nonce[16]);
char *rci_build_query(const char *k, ...);
int rci_parse_netconf_answer(struct registry_client *c, const struct answer *a,
				struct re6st_netconf **ret, uint8_t **ret_encoded,
				size_t *ret_encoded_len);
int rci_parse_renew_answer(struct registry_client *c, struct answer *a,
			      struct re6st_cert *ret, char **ret_armour);
int rci_parse_bootstrap_answer(struct registry_client *c, const struct answer *a,
				  struct rc_bootstrap_peer *ret);
/* announce's answer: "version N\n", or nothing (204: 0). -EBADMSG else. */
int rci_parse_announce_answer(struct registry_client *c, const struct answer *a,
			      uint64_t *ret_version);
int rci_parse_hmac_answer(struct registry_client *c, const struct answer *a,
			     struct rc_hmac *ret);

#endif
