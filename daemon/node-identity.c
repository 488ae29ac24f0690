/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The "identity" module: the CA, our certificate and key (node-identity.h). */
#include <sys/stat.h>

#include "ctx.h"
#include "fileio.h"
#include "log.h"
#include "node-identity.h"

/* ---- identity ----------------------------------------------------------- */

int daemon_load_identity(const struct options *o, uint64_t now, struct re6st_ca *ret_ca,
			 struct re6st_cert *ret_cert, struct re6st_key **ret_key)
{
	struct re6st_ca ca;
	struct re6st_cert cert;
	_cleanup_(key_freep) struct re6st_key *key = NULL;
	int r;

	r = identity_init();
	if (r < 0)
		return log_errno(LOG_ERR, r, "cannot initialise libsodium");
	r = ca_load(o->ca, &ca);
	if (r < 0) {
		log_error("%s: cannot load the CA: %s", o->ca, identity_strerror(r));
		return r;
	}
	r = key_load(o->key, &key);
	if (r < 0) {
		log_error("%s: cannot load the secret key: %s", o->key, identity_strerror(r));
		return r;
	}
	r = cert_load(o->cert, &ca, now, &cert);
	if (r == -EKEYEXPIRED) {
		/* Still ours: main() decides whether renewal can save it. */
		log_warning("%s: certificate expired or not yet valid", o->cert);
		_cleanup_free_ char *text = NULL;
		size_t len;
		r = read_file_full(o->cert, 64 * 1024, &text, &len);
		if (r >= 0)
			r = cert_from_armour_unverified(text, len, &cert);
		if (r >= 0)
			r = cert_verify_signature(&cert, &ca);
		if (r >= 0)
			r = -EKEYEXPIRED;
	}
	if (r < 0 && r != -EKEYEXPIRED) {
		log_error("%s: bad certificate: %s", o->cert, identity_strerror(r));
		return r;
	}
	if (!cert_matches_key(&cert, key)) {
		log_error("%s does not match the key %s", o->cert, o->key);
		return -EKEYREJECTED;
	}
	if (!key->has_wg) {
		log_error("%s: the key has no WireGuard key", o->key);
		return -EBADMSG;
	}
	*ret_ca = ca;
	*ret_cert = cert;
	*ret_key = TAKE_PTR(key);
	return r;
}

int identity_mod_init(struct ctx *c)
{
	/* The secret key readable by others (copied by hand, say): fix it. */
	if (key_file_check_private(c->opt.key) == -EPERM) {
		if (chmod(c->opt.key, 0600) < 0)
			log_errno(LOG_WARNING, negative_errno(), "%s is readable by others and "
				  "cannot be made private", c->opt.key);
		else
			log_warning("%s was readable by others: now mode 0600", c->opt.key);
	}
	int r = daemon_load_identity(&c->opt, loop_unix_now(), &c->ca, &c->cert, &c->key);
	if (r == -EKEYEXPIRED)
		c->cert_expired = true; /* the registry module must renew it */
	else if (r < 0)
		return r;
	c->network = c->ca.network;
	c->prefix = c->cert.node;
	cert_node_address(&c->cert, c->addr);
	prefix_format_address(c->addr, c->addr_str);
	prefix_format(&c->prefix, c->prefix_str);
	prefix_format(&c->network, c->network_str);
	log_info("node %s in network %s, address %s", c->prefix_str, c->network_str, c->addr_str);
	return 0;
}

void identity_mod_fini(struct ctx *c)
{
	key_free(c->key);
	c->key = NULL;
}

