/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * node-identity.h - the "identity" module: loads the CA, the certificate and
 * the secret key (made private if it was not), fills the node's prefix and
 * address in struct ctx. An expired certificate is kept for renewal
 * (c->cert_expired).
 */
#ifndef RE6ST_DAEMON_NODE_IDENTITY_H
#define RE6ST_DAEMON_NODE_IDENTITY_H

#include <stdint.h>

struct ctx;
struct options;
struct re6st_ca;
struct re6st_cert;
struct re6st_key;

/* Load and check the identity files (also --check). 0, -EKEYEXPIRED with
 * everything filled, or -errno (logged). */
int daemon_load_identity(const struct options *o, uint64_t now, struct re6st_ca *ret_ca,
			 struct re6st_cert *ret_cert, struct re6st_key **ret_key);

int identity_mod_init(struct ctx *c);
void identity_mod_fini(struct ctx *c);

#endif
