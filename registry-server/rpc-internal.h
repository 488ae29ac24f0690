/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * rpc-internal.h - what rpc.c (public and signed RPCs, the table) and
 * rpc-admin.c (private RPCs, housekeeping) share.
 */
#ifndef RE6ST_REGISTRY_RPC_INTERNAL_H
#define RE6ST_REGISTRY_RPC_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "registry.h"

/* Refusals returned by transaction functions (> 0: rolled back, no error). */
enum {
	RC_TOKEN_DISABLED = 1,
	RC_BAD_TOKEN,
	RC_ANON_DISABLED,
	RC_KEY_IN_USE,
	RC_NO_CERT,
	RC_NOT_FOUND,
};

/* babel_hmac0..2 in the config table; see rpc_update_hmac(). */
extern const char *const rpc_babel_hmac[3];

/* Replies: status 200 text/plain with a copy of s, or taking s; 204. Return 0 or -ENOMEM. */
int rpc_reply_text(struct rpc_reply *reply, const char *s);
int rpc_reply_take(struct rpc_reply *reply, char *s);
int rpc_reply_empty(struct rpc_reply *reply);
/* A failed database operation: logs (SQLite errors are logged by db_tx), 500/503 reply. */
int rpc_db_failed(struct rpc_reply *reply, int r, const char *what);

bool rpc_printable(const char *s, size_t max);
bool rpc_valid_email(const char *s);
/* A node prefix from its bits after the network prefix; -EINVAL. */
int rpc_prefix_of_bits(const struct registry *reg, const char *bits, struct re6st_prefix *ret);
/* "2001:db8:42:1::/64" or the original's "N/LEN" into bits; -EINVAL. */
int rpc_parse_node_prefix(const struct registry *reg, const char *s, char bits[129]);

/* Store a token (given, or a random one) in its own transaction; -EEXIST, -EIO. */
int rpc_add_token_tx(struct registry *reg, const char *email, const char *given, uint64_t now,
		     char ret[64]);
/* Push the network configuration to the announced endpoints, logging the outcome. */
void rpc_push(struct registry *reg);

int rpc_request_certificate(const struct rpc_call *call, struct rpc_reply *reply);
int rpc_renew_certificate(const struct rpc_call *call, struct rpc_reply *reply);

int rpc_add_token(const struct rpc_call *call, struct rpc_reply *reply);
int rpc_is_token(const struct rpc_call *call, struct rpc_reply *reply);
int rpc_delete_token(const struct rpc_call *call, struct rpc_reply *reply);
int rpc_revoke(const struct rpc_call *call, struct rpc_reply *reply);
int rpc_update_hmac(const struct rpc_call *call, struct rpc_reply *reply);
int rpc_get_node_prefix(const struct rpc_call *call, struct rpc_reply *reply);
int rpc_get_ipv6_address(const struct rpc_call *call, struct rpc_reply *reply);
int rpc_versions(const struct rpc_call *call, struct rpc_reply *reply);
int rpc_topology(const struct rpc_call *call, struct rpc_reply *reply);

#endif
