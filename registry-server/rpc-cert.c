/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Registration and renewal: requestCertificate, renewCertificate, the
 * certificates they issue and the --anonymous-rate limit; see
 * docs/registry-api.md.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "armour.h"
#include "db.h"
#include "log.h"
#include "macro.h"
#include "metrics.h"
#include "prefix.h"
#include "query.h"
#include "registry.h"
#include "remote-log.h"
#include "reqsign.h"
#include "rpc-internal.h"

static int new_subject_serial(struct db_tx *tx, int64_t *ret)
{
	_cleanup_stmt_ sqlite3_stmt *s = NULL;

	if (db_prepare(tx, "SELECT 0 WHERE NOT EXISTS (SELECT 1 FROM cert WHERE subject_serial=0)"
			   " UNION ALL SELECT c.subject_serial+1 FROM cert c"
			   " WHERE c.subject_serial IS NOT NULL AND NOT EXISTS"
			   " (SELECT 1 FROM cert d WHERE d.subject_serial=c.subject_serial+1)"
			   " ORDER BY 1 LIMIT 1", &s) < 0 ||
	    db_step(s) != 1)
		return -EIO;
	*ret = sqlite3_column_int64(s, 0);
	return 0;
}

/*
 * Sign and store a certificate for the leaf `bits` (which must exist).
 * Inside a transaction; *ret_armour malloc'ed.
 */
static int issue(struct registry *reg, struct db_tx *tx, const char *bits, const char *email,
		 const char *location, int64_t subject_serial, const uint8_t sign_pk[32],
		 const uint8_t wg_pk[32], uint64_t not_after, uint64_t now, char **ret_armour)
{
	_cleanup_stmt_ sqlite3_stmt *s = NULL;
	_cleanup_free_ char *armour = NULL;
	struct re6st_cert cert = {};
	int64_t serial = 0;
	int r;

	r = db_config_get_int(tx, "serial", &serial);
	if (r < 0 && r != -ENOENT)
		return r;
	serial++;
	r = db_config_set_int(tx, "serial", serial);
	if (r < 0)
		return r;
	r = rpc_prefix_of_bits(reg, bits, &cert.node);
	if (r < 0)
		return r;
	cert.subject_serial = (uint32_t)subject_serial;
	memcpy(cert.sign_pk, sign_pk, 32);
	memcpy(cert.wg_pk, wg_pk, 32);
	cert.serial = (uint64_t)serial;
	cert.not_before = now;
	cert.not_after = not_after;
	r = cert_sign(&cert, &reg->ca, reg->ca_key);
	if (r < 0)
		return r;
	r = cert_to_armour(&cert, &armour);
	if (r < 0)
		return r;
	if (db_prepare_text(tx,
			    "UPDATE cert SET cert=?2, email=COALESCE(?3, email), serial=?4,"
			    " subject_serial=?5, sign_pk=?6, not_after=?7,"
			    " location=COALESCE(?8, location) WHERE prefix=?1",
			    bits, &s) < 0)
		return -EIO;
	sqlite3_bind_text(s, 2, armour, -1, SQLITE_STATIC);
	if (email)
		sqlite3_bind_text(s, 3, email, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 4, serial);
	sqlite3_bind_int64(s, 5, subject_serial);
	sqlite3_bind_blob(s, 6, sign_pk, 32, SQLITE_STATIC);
	sqlite3_bind_int64(s, 7, (int64_t)not_after);
	if (location)
		sqlite3_bind_text(s, 8, location, -1, SQLITE_STATIC);
	if (db_step(s) != 0 || db_changes(tx) != 1)
		return -EIO;
	*ret_armour = TAKE_PTR(armour);
	return 0;
}

static bool valid_location(const char *loc, char country[3], char continent[3])
{
	/* "FR,EU", "FR" or "*,*" */
	const char *comma = strchr(loc, ',');
	size_t n1 = comma ? (size_t)(comma - loc) : strlen(loc);
	const char *c2 = comma ? comma + 1 : "*";

	if (!((n1 == 2 && isupper((unsigned char)loc[0]) && isupper((unsigned char)loc[1])) ||
	      (n1 == 1 && loc[0] == '*')))
		return false;
	if (!((strlen(c2) == 2 && isupper((unsigned char)c2[0]) && isupper((unsigned char)c2[1])) ||
	      strcmp(c2, "*") == 0))
		return false;
	memcpy(country, loc, n1);
	country[n1] = '\0';
	snprintf(continent, 3, "%s", c2);
	return true;
}


struct reqcert_ctx {
	struct registry *reg;
	const char *token;
	const uint8_t *pk, *wg;
	const char *country, *continent;
	uint64_t now;
	char bits[129];  /* out */
	char *email;     /* out: the token's */
	char *armour;    /* out */
	bool again, anonymous;
};

/*
 * A retried request (same Ed25519 key, same WireGuard key) gets the
 * certificate it already has, live and not revoked, instead of a second
 * prefix: 0 with *ret_armour set, -ENOENT when there is none,
 * RC_KEY_IN_USE when the key's certificate carries another WireGuard key.
 */
static int reqcert_again(struct reqcert_ctx *c, struct db_tx *tx)
{
	_cleanup_stmt_ sqlite3_stmt *s = NULL;
	struct re6st_cert cur;
	const char *armour;

	if (db_prepare(tx, "SELECT prefix, cert FROM cert WHERE sign_pk=?1 AND not_after>?2"
			   " AND cert IS NOT NULL AND serial NOT IN (SELECT serial FROM crl)"
			   " ORDER BY serial DESC LIMIT 1", &s) < 0)
		return -EIO;
	sqlite3_bind_blob(s, 1, c->pk, 32, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, (int64_t)c->now);
	switch (db_step(s)) {
	case 0:
		return -ENOENT;
	case 1:
		break;
	default:
		return -EIO;
	}
	armour = (const char *)sqlite3_column_text(s, 1);
	if (cert_from_armour_unverified(armour, strlen(armour), &cur) < 0)
		return -EIO;
	if (memcmp(cur.wg_pk, c->wg, 32) != 0)
		return RC_KEY_IN_USE;
	snprintf(c->bits, sizeof(c->bits), "%s", (const char *)sqlite3_column_text(s, 0));
	c->armour = strdup(armour);
	if (!c->armour)
		return -ENOMEM;
	c->again = true;
	return 0;
}

static int reqcert_tx(struct db_tx *tx, void *arg)
{
	struct reqcert_ctx *c = arg;
	struct registry *reg = c->reg;
	int64_t subject_serial;
	unsigned plen;
	int r;

	r = reqcert_again(c, tx);
	if (r != -ENOENT)
		return r;
	if (c->token) {
		_cleanup_stmt_ sqlite3_stmt *s = NULL;

		if (!reg->opt.prefix_length)
			return RC_TOKEN_DISABLED;
		r = db_prepare_text(tx, "SELECT email, prefix_len FROM token WHERE token=?",
				    c->token, &s);
		if (r < 0)
			return r;
		r = db_step(s);
		if (r < 0)
			return r;
		if (r == 0)
			return RC_BAD_TOKEN;
		c->email = strdup((const char *)sqlite3_column_text(s, 0));
		plen = (unsigned)sqlite3_column_int(s, 1);
		if (!c->email)
			return -ENOMEM;
		r = db_exec_text(tx, "DELETE FROM token WHERE token=?", c->token);
		if (r < 0)
			return r;
	} else {
		plen = reg->opt.anonymous_prefix_length;
		if (!plen)
			return RC_ANON_DISABLED;
		c->anonymous = true;
	}
	{
		const char *community = community_lookup(&reg->communities, c->country,
							 c->continent);
		if (strlen(community) >= plen)
			return -ENOSPC;
		r = db_tree_alloc(tx, plen, reg->max_len, community, c->bits);
		if (r < 0)
			return r;
	}
	r = new_subject_serial(tx, &subject_serial);
	if (r < 0)
		return r;
	{
		char locbuf[8];
		snprintf(locbuf, sizeof(locbuf), "%s,%s", c->country, c->continent);
		r = issue(reg, tx, c->bits, c->email, locbuf, subject_serial, c->pk, c->wg,
			  c->now + reg->opt.cert_duration, c->now, &c->armour);
	}
	if (r < 0)
		return r;
	if (!reg->has_registry_prefix) {
		/* As in the original, the first node is the registry's own. */
		r = db_config_set_blob(tx, "prefix", c->bits, strlen(c->bits));
		if (r < 0)
			return r;
		reg->has_registry_prefix = true;
		snprintf(reg->registry_prefix, sizeof(reg->registry_prefix), "%s", c->bits);
		r = registry_update_netconf(reg, tx, true, c->now);
		if (r < 0) {
			reg->has_registry_prefix = false;
			return r;
		}
	}
	return 0;
}

int rpc_request_certificate(const struct rpc_call *call, struct rpc_reply *reply)
{
	struct registry *reg = call->reg;
	const char *token = query_get(call->q, "token");
	const char *pk_s = query_get(call->q, "pk"), *wg_s = query_get(call->q, "wg");
	const char *sig_s = query_get(call->q, "sig"), *loc = query_get(call->q, "location");
	uint8_t pk[32], wg[32], sig[RE6ST_SIG_LEN], pop[64 + 64];
	char country[3] = "*", continent[3] = "*";
	struct reqcert_ctx c = { .reg = call->reg, .pk = pk, .wg = wg, .country = country,
				 .continent = continent, .now = call->now };
	size_t tlen;
	int r;

	if (!pk_s || key32_from_base64(pk_s, pk) < 0)
		return rpc_error(reply, 400, "missing or invalid 'pk' (base64 Ed25519 public key)");
	if (!wg_s || key32_from_base64(wg_s, wg) < 0)
		return rpc_error(reply, 400, "missing or invalid 'wg' (base64 WireGuard public key)");
	if (!sig_s || sig_from_string(sig_s, strlen(sig_s), sig) < 0)
		return rpc_error(reply, 400, "missing or invalid 'sig' (base64url signature)");
	if (token && !token[0])
		token = NULL;
	tlen = token ? strlen(token) : 0;
	if (tlen > 64)
		return rpc_error(reply, 403, "invalid or expired token");
	memcpy(pop, pk, 32);
	memcpy(pop + 32, wg, 32);
	if (tlen)
		memcpy(pop + 64, token, tlen);
	if (data_verify(pk, "requestCertificate", pop, 64 + tlen, sig) < 0)
		return rpc_error(reply, 403, "'sig' does not prove possession of the key");
	if (loc && loc[0] && !valid_location(loc, country, continent))
		return rpc_error(reply, 400, "invalid 'location' (expected CC,CT like FR,EU)");

	c.token = token;
	if (!token && reg->opt.anonymous_prefix_length &&
	    !registry_anonymous_allowed(reg, call->client_ip)) {
		remote_log(call->client_ip, LOG_WARNING, "requestCertificate: %s: more than %u"
			   " anonymous registrations in an hour, refused", call->client_ip,
			   reg->opt.anonymous_rate);
		return rpc_error(reply, 429, "too many anonymous registrations from this address:"
					     " try again later");
	}
	r = db_tx(reg->db, "requestCertificate", reqcert_tx, &c);
	if (r != 0)
		free(c.armour);
	free(c.email);
	switch (r) {
	case 0:
		break;
	case RC_TOKEN_DISABLED:
		return rpc_error(reply, 403, "registration by token is disabled");
	case RC_BAD_TOKEN:
		return rpc_error(reply, 403, "invalid or expired token");
	case RC_ANON_DISABLED:
		return rpc_error(reply, 403, "anonymous registration is disabled");
	case RC_KEY_IN_USE:
		return rpc_error(reply, 409, "this key already holds a prefix with another"
					     " WireGuard key: use renewCertificate");
	default:
		return rpc_db_failed(reply, r, "requestCertificate");
	}
	{
		struct re6st_prefix p;
		char buf[PREFIX_STRLEN];
		rpc_prefix_of_bits(reg, c.bits, &p);
		remote_log(call->client_ip, LOG_INFO, "requestCertificate: %s to %s (%s)%s",
			   prefix_format(&p, buf),
			 c.anonymous ? "anonymous" : "token holder", call->client_ip,
			 c.again ? ": same key again, same certificate" : "");
	}
	if (!c.again)
		metrics_event(reg->metrics, METRIC_CERT_ISSUED);
	return rpc_reply_take(reply, c.armour);
}

struct renew_ctx {
	struct registry *reg;
	const struct rpc_call *call;
	char *armour; /* out */
	int64_t serial;
	bool renewed;
};

/*
 * The caller's prefix row must carry the caller's key.  A certificate is
 * renewed when cert_renew_due() says so, allowing for the caller's clock
 * being up to the signature window ahead (the node asks by the same rule),
 * or when it was revoked by serial (same expiry, new serial); otherwise the
 * current one is returned.
 */
static int renew_tx(struct db_tx *tx, void *arg)
{
	struct renew_ctx *c = arg;
	const struct rpc_call *call = c->call;
	_cleanup_stmt_ sqlite3_stmt *s = NULL;
	_cleanup_free_ char *armour = NULL;
	int64_t not_after, subject_serial;
	struct re6st_cert cur;
	uint64_t new_not_after;
	int r;

	if (db_prepare_text(tx, "SELECT cert, serial, not_after, subject_serial,"
				" serial IN (SELECT serial FROM crl) FROM cert"
				" WHERE prefix=? AND sign_pk=?", call->cert_prefix, &s) < 0)
		return -EIO;
	sqlite3_bind_blob(s, 2, call->cert->sign_pk, 32, SQLITE_STATIC);
	r = db_step(s);
	if (r <= 0)
		return r < 0 ? r : RC_NO_CERT;
	armour = strdup((const char *)sqlite3_column_text(s, 0));
	if (!armour)
		return -ENOMEM;
	c->serial = sqlite3_column_int64(s, 1);
	not_after = sqlite3_column_int64(s, 2);
	subject_serial = sqlite3_column_int64(s, 3);
	r = cert_from_armour_unverified(armour, strlen(armour), &cur);
	if (r < 0)
		return -EIO;
	if (cert_renew_due((int64_t)cur.not_before, not_after, (int64_t)(call->now + NONCE_WINDOW)))
		new_not_after = call->now + c->reg->opt.cert_duration;
	else if (sqlite3_column_int(s, 4))
		new_not_after = (uint64_t)not_after;
	else {
		c->armour = TAKE_PTR(armour);
		return 0;
	}
	sqlite3_finalize(TAKE_PTR(s));
	r = issue(c->reg, tx, call->cert_prefix, NULL, NULL, subject_serial, cur.sign_pk,
		  cur.wg_pk, new_not_after, call->now, &c->armour);
	c->renewed = r == 0;
	return r;
}

int rpc_renew_certificate(const struct rpc_call *call, struct rpc_reply *reply)
{
	struct renew_ctx c = { .reg = call->reg, .call = call };
	int r = db_tx(call->reg->db, "renewCertificate", renew_tx, &c);

	if (r == RC_NO_CERT)
		return rpc_error(reply, 403, "no certificate of this key for this prefix");
	if (r < 0) {
		free(c.armour);
		return rpc_db_failed(reply, r, "renewCertificate");
	}
	if (c.renewed) {
		metrics_event(call->reg->metrics, METRIC_CERT_RENEWED);
		log_info("renewCertificate: serial %" PRId64 " renewed", c.serial);
	}
	return rpc_reply_take(reply, c.armour);
}


/* The rate-limit key of a client address: IPv6 by /64 (one site). */
static void address_key(const char *ip, char key[INET6_ADDRSTRLEN])
{
	unsigned char a[16];

	snprintf(key, INET6_ADDRSTRLEN, "%s", ip);
	if (inet_pton(AF_INET6, ip, a) == 1) {
		memset(a + 8, 0, 8);
		inet_ntop(AF_INET6, a, key, INET6_ADDRSTRLEN);
	}
}

bool registry_anonymous_allowed(struct registry *reg, const char *ip)
{
	char key[INET6_ADDRSTRLEN];
	bool ok;

	if (!reg->opt.anonymous_rate || registry_origin_allowed(reg, ip))
		return true;
	address_key(ip, key);
	pthread_mutex_lock(&reg->anon_lock);
	ok = !reg->anon_rate.slot ||
	     ratelimit_allow(&reg->anon_rate, key, ratelimit_now_ms(), NULL);
	pthread_mutex_unlock(&reg->anon_lock);
	return ok;
}

bool registry_token_allowed(struct registry *reg, const char *ip, const char *email)
{
	char key[INET6_ADDRSTRLEN], mail[256];
	uint64_t now = ratelimit_now_ms();
	bool ok;

	if (!reg->opt.token_rate || registry_origin_allowed(reg, ip))
		return true;
	address_key(ip, key);
	size_t n = 0;
	for (; email[n] && n + 1 < sizeof(mail); n++)
		mail[n] = (char)tolower((unsigned char)email[n]);
	mail[n] = '\0';
	pthread_mutex_lock(&reg->anon_lock);
	/* Every request counts against its address; one its address allows
	 * counts against the mailbox too. */
	ok = !reg->token_rate_ip.slot ||
	     (ratelimit_allow(&reg->token_rate_ip, key, now, NULL) &&
	      ratelimit_allow(&reg->token_rate_mail, mail, now, NULL));
	pthread_mutex_unlock(&reg->anon_lock);
	return ok;
}
