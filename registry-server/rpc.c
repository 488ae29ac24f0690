/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The registry's RPCs, with the semantics of the original re6stnet
 * registry (re6st/registry.py); see docs/registry-api.md.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <microhttpd.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "armour.h"
#include "db.h"
#include "log.h"
#include "macro.h"
#include "prefix.h"
#include "query.h"
#include "peerproto.h"
#include "push.h"
#include "registry.h"
#include "reqsign.h"

/* Babel HMAC keys, as in the original: see rpc_update_hmac(). */
static const char *const BABEL_HMAC[3] = { "babel_hmac0", "babel_hmac1", "babel_hmac2" };
#define HMAC_KEY_LEN 16

uint64_t registry_now(void)
{
	const char *e = getenv("RE6ST_REGISTRY_CLOCK_OFFSET");
	int64_t off = e ? strtoll(e, NULL, 10) : 0;

	return (uint64_t)((int64_t)time(NULL) + off);
}

int rpc_error(struct rpc_reply *reply, unsigned status, const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	free(reply->body);
	reply->status = status;
	reply->content_type = "text/plain";
	if (n < 0) {
		reply->body = NULL;
		reply->len = 0;
		return 0;
	}
	/* Append the newline curl users expect. */
	char *t = realloc(s, (size_t)n + 2);
	if (t) {
		s = t;
		s[n++] = '\n';
		s[n] = '\0';
	}
	reply->body = s;
	reply->len = (size_t)n;
	return 0;
}

static int reply_text(struct rpc_reply *reply, const char *s)
{
	reply->status = 200;
	reply->content_type = "text/plain";
	reply->body = strdup(s);
	if (!reply->body)
		return -ENOMEM;
	reply->len = strlen(s);
	return 0;
}

static int reply_take(struct rpc_reply *reply, char *s)
{
	reply->status = 200;
	reply->content_type = "text/plain";
	reply->body = s;
	reply->len = strlen(s);
	return 0;
}

static int reply_empty(struct rpc_reply *reply)
{
	reply->status = 204;
	return 0;
}

static int db_failed(struct registry *reg, struct rpc_reply *reply, int r, const char *what)
{
	db_rollback(reg->db);
	log_error("%s: %s (%s)", what, strerror(-r), sqlite3_errmsg(reg->db));
	return rpc_error(reply, r == -ENOSPC ? 503 : 500, "%s failed%s", what,
			 r == -ENOSPC ? ": no free prefix left" : "");
}

/* ---- helpers ---------------------------------------------------------- */

static bool printable(const char *s, size_t max)
{
	size_t n = 0;

	for (; *s; s++, n++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s >= 0x7f || n >= max)
			return false;
	return true;
}

static bool valid_email(const char *s)
{
	const char *at = strchr(s, '@');

	return s[0] && strlen(s) <= 254 && at && at != s && at[1] && printable(s, 254) &&
	       !strpbrk(s, " <>,;\"\\");
}

static int prefix_of_bits(const struct registry *reg, const char *bits, struct re6st_prefix *ret)
{
	return prefix_from_bit_string(&reg->ca.network, bits, ret);
}

/* Parse "2001:db8:42:1::/64" or the original's CN form "N/LEN" into bits. */
static int parse_node_prefix(const struct registry *reg, const char *s, char bits[129])
{
	struct re6st_prefix p;
	const char *slash = strchr(s, '/');

	if (prefix_parse(s, &p) == 0)
		return prefix_to_bit_string(&reg->ca.network, &p, bits);
	if (slash && slash != s && strspn(s, "0123456789") == (size_t)(slash - s) &&
	    slash[1] && strspn(slash + 1, "0123456789") == strlen(slash + 1)) {
		unsigned long len = strtoul(slash + 1, NULL, 10);
		unsigned long long v = strtoull(s, NULL, 10);
		if (len == 0 || len > 64 || len > reg->max_len || (len < 64 && v >> len))
			return -EINVAL;
		for (unsigned long i = 0; i < len; i++)
			bits[i] = (v >> (len - 1 - i)) & 1 ? '1' : '0';
		bits[len] = '\0';
		return 0;
	}
	return -EINVAL;
}

static int random_token(char ret[13])
{
	for (int i = 0; i < 12; i++)
		ret[i] = (char)('a' + randombytes_uniform(26));
	ret[12] = '\0';
	return 0;
}

/* Smallest subject serial not in use (for IPv4 addressing). */
static int new_subject_serial(sqlite3 *db, int64_t *ret)
{
	_cleanup_stmt_ sqlite3_stmt *s = NULL;

	if (db_prepare(db, "SELECT 0 WHERE NOT EXISTS (SELECT 1 FROM cert WHERE subject_serial=0)"
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
static int issue(struct registry *reg, const char *bits, const char *email, const char *location,
		 int64_t subject_serial, const uint8_t sign_pk[32], const uint8_t wg_pk[32],
		 uint64_t not_after, uint64_t now, char **ret_armour)
{
	_cleanup_stmt_ sqlite3_stmt *s = NULL;
	_cleanup_free_ char *armour = NULL;
	struct re6st_cert cert = {};
	int64_t serial = 0;
	int r;

	r = db_config_get_int(reg->db, "serial", &serial);
	if (r < 0 && r != -ENOENT)
		return r;
	serial++;
	r = db_config_set_int(reg->db, "serial", serial);
	if (r < 0)
		return r;
	r = prefix_of_bits(reg, bits, &cert.node);
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
	if (db_prepare_text(reg->db,
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
	if (db_step(s) != 0 || sqlite3_changes(reg->db) != 1)
		return -EIO;
	*ret_armour = TAKE_PTR(armour);
	return 0;
}

/* ---- network configuration ------------------------------------------- */

static int fill_netconf(struct registry *reg, struct re6st_netconf *nc)
{
	const struct registry_options *o = &reg->opt;
	_cleanup_stmt_ sqlite3_stmt *s = NULL;
	int r;

	nc->network = reg->ca.network;
	nc->prefix_len = (uint8_t)o->prefix_length;
	nc->anonymous_prefix_len = (uint8_t)o->anonymous_prefix_length;
	nc->hello = o->hello;
	nc->client_count = o->client_count;
	nc->max_clients = o->max_clients;
	nc->tunnel_refresh = o->tunnel_refresh;
	nc->grace_period = (uint32_t)MIN(o->grace_period, (uint64_t)UINT32_MAX);
	nc->min_protocol = o->min_protocol;
	nc->tunnel_types = o->tunnel_types;
	nc->rotate_share = o->rotate_share;
	nc->busy_share = o->busy_share;
	nc->busy_weight = o->busy_weight;
	nc->anchor_share = o->anchor_share;
	nc->drain_limit = o->drain_limit;
	for (size_t i = 0; i < o->n_anchors; i++)
		if (!prefix_contains(&reg->ca.network, &o->anchors[i])) {
			char b[PREFIX_STRLEN];
			log_error("--anchor %s: not inside the network", prefix_format(&o->anchors[i], b));
			return -EINVAL;
		}
	memcpy(nc->anchors, o->anchors, o->n_anchors * sizeof(*o->anchors));
	nc->n_anchors = o->n_anchors;
	if (o->has_ipv4) {
		nc->has_ipv4 = true;
		memcpy(nc->ipv4_net, o->ipv4_net, 4);
		nc->ipv4_len = (uint8_t)o->ipv4_len;
		nc->ipv4_sublen = (uint8_t)o->ipv4_sublen;
	}
	if (reg->has_registry_prefix) {
		nc->has_registry_prefix = true;
		r = prefix_of_bits(reg, reg->registry_prefix, &nc->registry_prefix);
		if (r < 0)
			return r;
	}
	r = netconf_set_string(&nc->same_country, o->same_country);
	if (r < 0)
		return r;
	r = netconf_set_string(&nc->babel_default,
			       "max-rtt-penalty 5000 rtt-max 500 rtt-decay 125");
	if (r < 0)
		return r;
	r = db_prepare(reg->db, "SELECT serial, date, prefix FROM crl ORDER BY serial", &s);
	if (r < 0)
		return r;
	while ((r = db_step(s)) > 0) {
		struct re6st_prefix p = reg->ca.network;
		const char *bits = (const char *)sqlite3_column_text(s, 2);
		if (bits && prefix_of_bits(reg, bits, &p) < 0)
			p = reg->ca.network;
		r = netconf_add_revoked(nc, (uint64_t)sqlite3_column_int64(s, 0),
					(uint64_t)sqlite3_column_int64(s, 1), &p);
		if (r < 0)
			return r;
	}
	return r < 0 ? -EIO : 0;
}

int registry_update_netconf(struct registry *reg, bool bump, uint64_t now)
{
	_cleanup_(netconf_freep) struct re6st_netconf *nc = NULL;
	_cleanup_free_ uint8_t *enc = NULL, *last = NULL;
	_cleanup_free_ char *armour = NULL;
	unsigned char digest[32];
	size_t enc_len, last_len = 0;
	int64_t version = 0;
	struct MHD_Response *resp;
	int r;

	r = netconf_new(&nc);
	if (r < 0)
		return r;
	r = fill_netconf(reg, nc);
	if (r < 0)
		return r;
	/* Parameters only (version and date zeroed): did they change? */
	r = netconf_encode(nc, &reg->ca, reg->ca_key, &enc, &enc_len);
	if (r < 0)
		return r;
	crypto_generichash(digest, sizeof(digest), enc, enc_len, NULL, 0);
	free(TAKE_PTR(enc));
	r = db_config_get_blob(reg->db, "last_config", &last, &last_len);
	if (r < 0 && r != -ENOENT)
		return r;
	if (r == -ENOENT || last_len != sizeof(digest) || memcmp(last, digest, sizeof(digest)))
		bump = true;
	r = db_config_get_int(reg->db, "version", &version);
	if (r < 0 && r != -ENOENT)
		return r;
	if (bump) {
		version++;
		r = db_config_set_int(reg->db, "version", version);
		if (r < 0)
			return r;
		r = db_config_set_blob(reg->db, "last_config", digest, sizeof(digest));
		if (r < 0)
			return r;
	}
	nc->version = (uint64_t)version;
	nc->issued = now;
	r = netconf_encode(nc, &reg->ca, reg->ca_key, &enc, &enc_len);
	if (r < 0)
		return r;
	r = netconf_to_armour(enc, enc_len, &armour);
	if (r < 0)
		return r;
	resp = MHD_create_response_from_buffer(strlen(armour), armour, MHD_RESPMEM_MUST_COPY);
	if (!resp)
		return -ENOMEM;
	MHD_add_response_header(resp, "Content-Type", "text/plain");
	{
		char v[32];
		snprintf(v, sizeof(v), "%" PRId64, version);
		MHD_add_response_header(resp, "Re6st-Version", v);
	}
	if (reg->netconf_response)
		MHD_destroy_response(reg->netconf_response);
	reg->netconf_response = resp;
	free(reg->netconf_armour);
	reg->netconf_armour_len = strlen(armour);
	reg->netconf_armour = TAKE_PTR(armour);
	free(reg->netconf_bin);
	reg->netconf_bin_len = enc_len;
	reg->netconf_bin = TAKE_PTR(enc);
	if (reg->netconf_version != (uint64_t)version)
		log_info("network configuration version %" PRId64, version);
	reg->netconf_version = (uint64_t)version;
	return 0;
}

/* Spread a change at once: the nodes gossip the pushed document on. */
static void push(struct registry *reg)
{
	int r = registry_push_netconf(reg);
	if (r < 0)
		log_warning("push of the network configuration failed: %s", strerror(-r));
	else if (r > 0)
		log_info("network configuration pushed to %d endpoints", r);
}

/* ---- public RPCs -------------------------------------------------------- */

static int rpc_get_ca(const struct rpc_call *call, struct rpc_reply *reply)
{
	char *s = NULL;
	int r = ca_to_armour(&call->reg->ca, &s);

	if (r < 0)
		return r;
	return reply_take(reply, s);
}

static int rpc_get_network_config(const struct rpc_call *call, struct rpc_reply *reply)
{
	/* Served from the cache by the front end; see http.c. */
	reply->response = call->reg->netconf_response;
	reply->status = 200;
	return 0;
}

static int add_token(struct registry *reg, const char *email, const char *given, uint64_t now,
		     char ret[64], struct rpc_reply *reply)
{
	for (int tries = 0;; tries++) {
		_cleanup_stmt_ sqlite3_stmt *s = NULL;
		char token[64];
		int r;

		if (given)
			snprintf(token, sizeof(token), "%s", given);
		else
			random_token(token);
		if (db_prepare_text(reg->db, "INSERT INTO token VALUES (?,?,?,?)", token, &s) < 0)
			return db_failed(reg, reply, -EIO, "addToken");
		sqlite3_bind_text(s, 2, email, -1, SQLITE_STATIC);
		sqlite3_bind_int(s, 3, (int)reg->opt.prefix_length);
		sqlite3_bind_int64(s, 4, (int64_t)now);
		r = db_step(s);
		if (r == 0) {
			snprintf(ret, 64, "%s", token);
			return 0;
		}
		if (r != -EEXIST || tries > 8)
			return db_failed(reg, reply, -EIO, "addToken");
		if (given) {
			db_rollback(reg->db);
			return rpc_error(reply, 409, "token already exists");
		}
	}
}

static int rpc_request_token(const struct rpc_call *call, struct rpc_reply *reply)
{
	struct registry *reg = call->reg;
	const char *email = query_get(call->q, "email");
	_cleanup_free_ char *err = NULL;
	char token[64];
	int r;

	if (!reg->opt.mailhost)
		return rpc_error(reply, 403, "registration by mail is disabled (no --mailhost)");
	if (!reg->opt.prefix_length)
		return rpc_error(reply, 403, "registration by token is disabled (--prefix-length 0)");
	if (!email || !valid_email(email))
		return rpc_error(reply, 400, "missing or invalid 'email'");
	pthread_mutex_lock(&reg->lock);
	r = db_begin(reg->db);
	if (r == 0) {
		r = add_token(reg, email, NULL, call->now, token, reply);
		if (r == 0 && reply->status == 0)
			r = db_commit(reg->db);
		else
			db_rollback(reg->db);
	}
	pthread_mutex_unlock(&reg->lock);
	if (r < 0)
		return db_failed(reg, reply, r, "requestToken");
	if (reply->status)
		return 0;
	r = mail_send_token(&reg->opt, email, token, &err);
	if (r < 0) {
		log_error("requestToken: cannot mail token to %s: %s", email, err ? err : strerror(-r));
		return rpc_error(reply, 502, "cannot send the token by mail");
	}
	log_info("requestToken: token sent to %s", email);
	return reply_empty(reply);
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

static int rpc_request_certificate(const struct rpc_call *call, struct rpc_reply *reply)
{
	struct registry *reg = call->reg;
	const char *token = query_get(call->q, "token");
	const char *pk_s = query_get(call->q, "pk"), *wg_s = query_get(call->q, "wg");
	const char *sig_s = query_get(call->q, "sig"), *loc = query_get(call->q, "location");
	uint8_t pk[32], wg[32], sig[RE6ST_SIG_LEN], pop[64 + 64];
	char country[3] = "*", continent[3] = "*", bits[129];
	_cleanup_free_ char *email = NULL, *armour = NULL;
	unsigned plen;
	int64_t subject_serial;
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

	pthread_mutex_lock(&reg->lock);
	r = db_begin(reg->db);
	if (r < 0)
		goto fail;
	if (token) {
		_cleanup_stmt_ sqlite3_stmt *s = NULL;

		if (!reg->opt.prefix_length) {
			db_rollback(reg->db);
			pthread_mutex_unlock(&reg->lock);
			return rpc_error(reply, 403, "registration by token is disabled");
		}
		r = db_prepare_text(reg->db, "SELECT email, prefix_len FROM token WHERE token=?",
				    token, &s);
		if (r < 0)
			goto fail;
		if (db_step(s) != 1) {
			db_rollback(reg->db);
			pthread_mutex_unlock(&reg->lock);
			return rpc_error(reply, 403, "invalid or expired token");
		}
		email = strdup((const char *)sqlite3_column_text(s, 0));
		plen = (unsigned)sqlite3_column_int(s, 1);
		if (!email) {
			r = -ENOMEM;
			goto fail;
		}
		r = db_exec_text(reg->db, "DELETE FROM token WHERE token=?", token);
		if (r < 0)
			goto fail;
	} else {
		plen = reg->opt.anonymous_prefix_length;
		if (!plen) {
			db_rollback(reg->db);
			pthread_mutex_unlock(&reg->lock);
			return rpc_error(reply, 403, "anonymous registration is disabled");
		}
	}
	{
		const char *community = community_lookup(&reg->communities, country, continent);
		if (strlen(community) >= plen) {
			r = -ENOSPC;
			goto fail;
		}
		r = db_tree_alloc(reg->db, plen, reg->max_len, community, bits);
		if (r < 0)
			goto fail;
	}
	r = new_subject_serial(reg->db, &subject_serial);
	if (r < 0)
		goto fail;
	{
		char locbuf[8];
		snprintf(locbuf, sizeof(locbuf), "%s,%s", country, continent);
		r = issue(reg, bits, email, locbuf, subject_serial, pk, wg,
			  call->now + reg->opt.cert_duration, call->now, &armour);
	}
	if (r < 0)
		goto fail;
	if (!reg->has_registry_prefix) {
		/* As in the original, the first node is the registry's own. */
		r = db_config_set_blob(reg->db, "prefix", bits, strlen(bits));
		if (r < 0)
			goto fail;
		reg->has_registry_prefix = true;
		snprintf(reg->registry_prefix, sizeof(reg->registry_prefix), "%s", bits);
		r = registry_update_netconf(reg, true, call->now);
		if (r < 0) {
			reg->has_registry_prefix = false;
			goto fail;
		}
	}
	r = db_commit(reg->db);
	if (r < 0)
		goto fail;
	pthread_mutex_unlock(&reg->lock);
	{
		struct re6st_prefix p;
		char buf[PREFIX_STRLEN];
		prefix_of_bits(reg, bits, &p);
		log_info("requestCertificate: %s to %s (%s)", prefix_format(&p, buf),
			 email ? email : "anonymous", call->client_ip);
	}
	return reply_take(reply, TAKE_PTR(armour));
fail:
	db_rollback(reg->db);
	pthread_mutex_unlock(&reg->lock);
	return db_failed(reg, reply, r, "requestCertificate");
}

/* Row of the caller's prefix: its current certificate must carry the caller's key. */
static int load_own_row(struct registry *reg, const struct rpc_call *call, char **ret_armour,
			int64_t *ret_serial, int64_t *ret_not_after, int64_t *ret_subject_serial)
{
	_cleanup_stmt_ sqlite3_stmt *s = NULL;

	if (db_prepare_text(reg->db, "SELECT cert, serial, not_after, subject_serial FROM cert"
				     " WHERE prefix=? AND sign_pk=?", call->cert_prefix, &s) < 0)
		return -EIO;
	sqlite3_bind_blob(s, 2, call->cert->sign_pk, 32, SQLITE_STATIC);
	if (db_step(s) != 1)
		return -ENOENT;
	if (ret_armour) {
		*ret_armour = strdup((const char *)sqlite3_column_text(s, 0));
		if (!*ret_armour)
			return -ENOMEM;
	}
	if (ret_serial)
		*ret_serial = sqlite3_column_int64(s, 1);
	if (ret_not_after)
		*ret_not_after = sqlite3_column_int64(s, 2);
	if (ret_subject_serial)
		*ret_subject_serial = sqlite3_column_int64(s, 3);
	return 0;
}

static bool serial_revoked(sqlite3 *db, int64_t serial)
{
	_cleanup_stmt_ sqlite3_stmt *s = NULL;

	return db_prepare_int64(db, "SELECT 1 FROM crl WHERE serial=?", serial, &s) == 0 &&
	       db_step(s) == 1;
}

static int rpc_renew_certificate(const struct rpc_call *call, struct rpc_reply *reply)
{
	struct registry *reg = call->reg;
	_cleanup_free_ char *armour = NULL, *fresh = NULL;
	int64_t serial, not_after, subject_serial;
	struct re6st_cert cur;
	uint64_t new_not_after;
	int r;

	pthread_mutex_lock(&reg->lock);
	r = load_own_row(reg, call, &armour, &serial, &not_after, &subject_serial);
	if (r < 0) {
		pthread_mutex_unlock(&reg->lock);
		if (r == -ENOENT)
			return rpc_error(reply, 403, "no certificate of this key for this prefix");
		return db_failed(reg, reply, r, "renewCertificate");
	}
	if ((uint64_t)not_after < call->now + RENEW_PERIOD)
		new_not_after = call->now + reg->opt.cert_duration;
	else if (serial_revoked(reg->db, serial))
		new_not_after = (uint64_t)not_after;
	else {
		pthread_mutex_unlock(&reg->lock);
		return reply_take(reply, TAKE_PTR(armour));
	}
	r = cert_from_armour_unverified(armour, strlen(armour), &cur);
	if (r >= 0)
		r = db_begin(reg->db);
	if (r >= 0)
		r = issue(reg, call->cert_prefix, NULL, NULL, subject_serial, cur.sign_pk, cur.wg_pk,
			  new_not_after, call->now, &fresh);
	if (r >= 0) {
		r = db_commit(reg->db);
	}
	pthread_mutex_unlock(&reg->lock);
	if (r < 0)
		return db_failed(reg, reply, r, "renewCertificate");
	log_info("renewCertificate: serial %" PRId64 " renewed", serial);
	return reply_take(reply, TAKE_PTR(fresh));
}

static int seal_reply(const struct rpc_call *call, struct rpc_reply *reply, const char *payload)
{
	_cleanup_free_ uint8_t *box = NULL;
	size_t box_len;
	char *armour = NULL;
	int r;

	r = seal_to_key(call->cert->sign_pk, (const uint8_t *)payload, strlen(payload), &box,
			&box_len);
	if (r < 0)
		return r;
	r = armour_encode(ARMOUR_SEALED, box, box_len, &armour);
	if (r < 0)
		return r;
	return reply_take(reply, armour);
}

static int rpc_get_bootstrap_peer(const struct rpc_call *call, struct rpc_reply *reply)
{
	struct registry *reg = call->reg;
	_cleanup_stmt_ sqlite3_stmt *s = NULL;
	_cleanup_free_ char *payload = NULL;
	struct re6st_prefix p;
	char buf[PREFIX_STRLEN];
	int r;

	pthread_mutex_lock(&reg->lock);
	if (db_prepare_text(reg->db, "SELECT p.prefix, p.endpoints, c.cert FROM peer p"
				     " JOIN cert c ON c.prefix = p.prefix"
				     " WHERE p.prefix != ?1 AND p.seen >= ?2"
				     " ORDER BY random() LIMIT 1", call->cert_prefix, &s) < 0) {
		pthread_mutex_unlock(&reg->lock);
		return db_failed(reg, reply, -EIO, "getBootstrapPeer");
	}
	sqlite3_bind_int64(s, 2, (int64_t)(call->now - reg->opt.peer_ttl));
	r = db_step(s);
	if (r == 1) {
		const char *bits = (const char *)sqlite3_column_text(s, 0);
		if (prefix_of_bits(reg, bits, &p) < 0 ||
		    asprintf(&payload, "prefix %s\nendpoints %s\n%s", prefix_format(&p, buf),
			     (const char *)sqlite3_column_text(s, 1),
			     (const char *)sqlite3_column_text(s, 2)) < 0)
			payload = NULL;
	}
	pthread_mutex_unlock(&reg->lock);
	if (r == 0)
		return reply_empty(reply);
	if (!payload)
		return db_failed(reg, reply, -EIO, "getBootstrapPeer");
	return seal_reply(call, reply, payload);
}

static int rpc_announce(const struct rpc_call *call, struct rpc_reply *reply)
{
	struct registry *reg = call->reg;
	const char *ep = query_get(call->q, "endpoints");
	_cleanup_stmt_ sqlite3_stmt *s = NULL;
	int r;

	struct pp_endpoint eps[16];
	size_t n_eps;

	if (!ep || !ep[0] || !printable(ep, 1024))
		return rpc_error(reply, 400, "missing or invalid 'endpoints' (printable ASCII, <= 1024)");
	if (pp_endpoints_parse(ep, strlen(ep), eps, ARRAY_SIZE(eps), &n_eps) < 0 || n_eps == 0)
		return rpc_error(reply, 400, "invalid 'endpoints': expected ip,port,type[,country]"
					     " separated by ';' (at most 16)");
	pthread_mutex_lock(&reg->lock);
	r = db_prepare_text(reg->db, "INSERT OR REPLACE INTO peer VALUES (?,?,?)",
			    call->cert_prefix, &s);
	if (r == 0) {
		sqlite3_bind_text(s, 2, ep, -1, SQLITE_STATIC);
		sqlite3_bind_int64(s, 3, (int64_t)call->now);
		r = db_step(s);
	}
	pthread_mutex_unlock(&reg->lock);
	if (r != 0)
		return db_failed(reg, reply, -EIO, "announce");
	return reply_empty(reply);
}

static int hex_key(const uint8_t *k, size_t n, char **ret)
{
	char *s = malloc(2 * n + 1);

	if (!s)
		return -ENOMEM;
	sodium_bin2hex(s, 2 * n + 1, k, n);
	*ret = s;
	return 0;
}

/*
 * The babel HMAC keys for one node, sealed to it:
 *   "version N\nsign HEX\n[accept HEX|accept\n]"
 * "accept" alone means: also accept packets without HMAC (HMAC being
 * introduced on a network that had none).  Mapping as in the original
 * getNetworkConfig: the first of babel_hmac0..2 that exist is the key to
 * sign with, the second the key also accepted.
 */
static int rpc_get_hmac(const struct rpc_call *call, struct rpc_reply *reply)
{
	struct registry *reg = call->reg;
	_cleanup_free_ char *payload = NULL;
	size_t plen = 0;
	FILE *f;
	int found = 0, r = 0;

	f = open_memstream(&payload, &plen);
	if (!f)
		return -ENOMEM;
	pthread_mutex_lock(&reg->lock);
	fprintf(f, "version %" PRIu64 "\n", reg->netconf_version);
	for (int i = 0; i < 3 && found < 2; i++) {
		_cleanup_free_ uint8_t *k = NULL;
		_cleanup_free_ char *hex = NULL;
		size_t n;

		r = db_config_get_blob(reg->db, BABEL_HMAC[i], &k, &n);
		if (r == -ENOENT) {
			r = 0;
			continue;
		}
		if (r < 0)
			break;
		r = hex_key(k, n, &hex);
		if (r < 0)
			break;
		fprintf(f, "%s%s%s\n", found ? "accept" : "sign", n ? " " : "", hex);
		sodium_memzero(k, n);
		found++;
	}
	pthread_mutex_unlock(&reg->lock);
	if (fclose(f) != 0 && r == 0)
		r = -ENOMEM;
	if (r < 0)
		return db_failed(reg, reply, r, "getHMAC");
	r = seal_reply(call, reply, payload);
	sodium_memzero(payload, plen);
	return r;
}

static int rpc_get_country(const struct rpc_call *call, struct rpc_reply *reply)
{
	struct registry *reg = call->reg;
	const char *address = query_get(call->q, "address");
	_cleanup_stmt_ sqlite3_stmt *s = NULL;
	struct re6st_prefix p = { .len = 128 };
	char bits[129], country[3] = "";

	/* Without a GeoIP database, the registry only knows the location
	 * hints nodes gave at registration: answer for addresses inside a node
	 * prefix. */
	if (!address || prefix_parse_address(address, p.addr) < 0)
		return rpc_error(reply, 400, "missing or invalid 'address' (IPv6 address)");
	if (!prefix_contains_address(&reg->ca.network, p.addr))
		return reply_empty(reply);
	if (prefix_to_bit_string(&reg->ca.network, &p, bits) < 0)
		return reply_empty(reply);
	pthread_mutex_lock(&reg->lock);
	if (db_prepare_text(reg->db, "SELECT location FROM cert WHERE cert IS NOT NULL"
				     " AND substr(?1, 1, length(prefix)) = prefix", bits, &s) == 0 &&
	    db_step(s) == 1 && sqlite3_column_text(s, 0))
		snprintf(country, sizeof(country), "%.2s", (const char *)sqlite3_column_text(s, 0));
	pthread_mutex_unlock(&reg->lock);
	if (!country[0] || country[0] == '*')
		return reply_empty(reply);
	{
		char out[4];
		snprintf(out, sizeof(out), "%s\n", country);
		return reply_text(reply, out);
	}
}

/* ---- private RPCs ------------------------------------------------------- */

static int rpc_add_token(const struct rpc_call *call, struct rpc_reply *reply)
{
	struct registry *reg = call->reg;
	const char *email = query_get(call->q, "email"), *token = query_get(call->q, "token");
	char out[64];
	int r;

	if (!reg->opt.prefix_length)
		return rpc_error(reply, 403, "registration by token is disabled (--prefix-length 0)");
	if (!email || !valid_email(email))
		return rpc_error(reply, 400, "missing or invalid 'email'");
	if (token && (!token[0] || strlen(token) > 64 || !printable(token, 64) ||
		      strchr(token, ' ')))
		return rpc_error(reply, 400, "invalid 'token'");
	pthread_mutex_lock(&reg->lock);
	r = db_begin(reg->db);
	if (r == 0) {
		r = add_token(reg, email, token, call->now, out, reply);
		if (r == 0 && reply->status == 0)
			r = db_commit(reg->db);
		else
			db_rollback(reg->db);
	}
	pthread_mutex_unlock(&reg->lock);
	if (r < 0)
		return db_failed(reg, reply, r, "addToken");
	if (reply->status)
		return 0;
	strcat(out, "\n");
	return reply_text(reply, out);
}

static int rpc_is_token(const struct rpc_call *call, struct rpc_reply *reply)
{
	struct registry *reg = call->reg;
	const char *token = query_get(call->q, "token");
	_cleanup_stmt_ sqlite3_stmt *s = NULL;
	int r;

	if (!token)
		return rpc_error(reply, 400, "missing 'token'");
	pthread_mutex_lock(&reg->lock);
	r = db_prepare_text(reg->db, "SELECT 1 FROM token WHERE token=?", token, &s);
	if (r == 0)
		r = db_step(s);
	pthread_mutex_unlock(&reg->lock);
	if (r == 1)
		return reply_text(reply, "1\n");
	if (r == 0)
		return reply_empty(reply);
	return db_failed(reg, reply, -EIO, "isToken");
}

static int rpc_delete_token(const struct rpc_call *call, struct rpc_reply *reply)
{
	struct registry *reg = call->reg;
	const char *token = query_get(call->q, "token");
	int r;

	if (!token)
		return rpc_error(reply, 400, "missing 'token'");
	pthread_mutex_lock(&reg->lock);
	r = db_exec_text(reg->db, "DELETE FROM token WHERE token=?", token);
	pthread_mutex_unlock(&reg->lock);
	if (r < 0)
		return db_failed(reg, reply, -EIO, "deleteToken");
	return reply_empty(reply);
}

static int rpc_revoke(const struct rpc_call *call, struct rpc_reply *reply)
{
	struct registry *reg = call->reg;
	const char *arg = query_get(call->q, "cn_or_serial");
	_cleanup_stmt_ sqlite3_stmt *s = NULL, *ins = NULL;
	char bits[129];
	bool by_serial;
	int64_t serial = 0, not_after;
	int r;

	if (!arg)
		arg = query_get(call->q, "prefix");
	if (!arg)
		arg = query_get(call->q, "serial");
	if (!arg || !arg[0])
		return rpc_error(reply, 400, "missing 'cn_or_serial' (node prefix or serial)");
	by_serial = strspn(arg, "0123456789") == strlen(arg);
	if (by_serial) {
		if (strlen(arg) > 18)
			return rpc_error(reply, 400, "serial out of range");
		serial = strtoll(arg, NULL, 10);
	} else if (parse_node_prefix(reg, arg, bits) < 0)
		return rpc_error(reply, 400, "invalid prefix '%s' (expected 2001:db8:42:1::/64 or N/LEN)",
				 arg);

	pthread_mutex_lock(&reg->lock);
	r = db_begin(reg->db);
	if (r < 0)
		goto fail;
	if (by_serial)
		r = db_prepare_int64(reg->db, "SELECT prefix, not_after FROM cert WHERE serial=?",
				     serial, &s);
	else
		r = db_prepare_text(reg->db, "SELECT prefix, not_after, serial FROM cert"
					     " WHERE prefix=? AND serial IS NOT NULL", bits, &s);
	if (r < 0)
		goto fail;
	if (db_step(s) != 1) {
		db_rollback(reg->db);
		pthread_mutex_unlock(&reg->lock);
		return rpc_error(reply, 404, "no such certificate: %s", arg);
	}
	snprintf(bits, sizeof(bits), "%s", (const char *)sqlite3_column_text(s, 0));
	not_after = sqlite3_column_int64(s, 1);
	if (!by_serial)
		serial = sqlite3_column_int64(s, 2);
	sqlite3_finalize(TAKE_PTR(s));
	if (!by_serial) {
		/* By prefix: the node loses its prefix, as in the original. */
		r = db_tree_release(reg->db, bits);
		if (r < 0)
			goto fail;
		sqlite3_exec(reg->db, "DELETE FROM peer WHERE prefix NOT IN"
				      " (SELECT prefix FROM cert WHERE cert IS NOT NULL)",
			     NULL, NULL, NULL);
	}
	if ((uint64_t)not_after > call->now) {
		r = db_prepare_int64(reg->db, "INSERT OR IGNORE INTO crl VALUES (?,?,?)", serial,
				     &ins);
		if (r < 0)
			goto fail;
		sqlite3_bind_int64(ins, 2, not_after);
		sqlite3_bind_text(ins, 3, bits, -1, SQLITE_STATIC);
		if (db_step(ins) != 0) {
			r = -EIO;
			goto fail;
		}
		r = registry_update_netconf(reg, true, call->now);
		if (r < 0)
			goto fail;
	}
	r = db_commit(reg->db);
	if (r < 0)
		goto fail;
	pthread_mutex_unlock(&reg->lock);
	log_notice("revoke: serial %" PRId64 "%s%s", serial, by_serial ? "" : ", freed prefix ",
		   by_serial ? "" : bits);
	push(reg);
	return reply_empty(reply);
fail:
	db_rollback(reg->db);
	pthread_mutex_unlock(&reg->lock);
	return db_failed(reg, reply, r, "revoke");
}

static int new_hmac(sqlite3 *db, int i, const uint8_t *key, size_t len)
{
	uint8_t k[HMAC_KEY_LEN];
	int r;

	if (!key) {
		randombytes_buf(k, sizeof(k));
		key = k;
		len = sizeof(k);
	}
	r = db_config_set_blob(db, BABEL_HMAC[i], key, len);
	sodium_memzero(k, sizeof(k));
	return r;
}

/* Creation of a network: the first babel HMAC key. */
int registry_init_hmac(sqlite3 *db);
int registry_init_hmac(sqlite3 *db)
{
	return new_hmac(db, 0, NULL, 0);
}

/*
 * The original's state machine over babel_hmac0..2 (k: key, '': empty):
 *   {0:k}            stable: sign with k                 -> introduce
 *   {0:k, 1:n}       sign k, accept new key n            -> use
 *   {1:n, 2:k}       sign n, accept old key k            -> drop
 *   {0:n}            stable again
 *   {}               no HMAC: {1:n, 2:''} sign n, accept unauthenticated
 * Each step bumps the network configuration version so that nodes fetch
 * their keys again (getHMAC).  Steps must be spaced by more than the time
 * nodes take to notice (their config refresh), so routing never breaks.
 */
static int rpc_update_hmac(const struct rpc_call *call, struct rpc_reply *reply)
{
	struct registry *reg = call->reg;
	uint8_t *k[3] = {};
	size_t n[3] = {};
	const char *state = "?";
	int r;

	pthread_mutex_lock(&reg->lock);
	r = db_begin(reg->db);
	for (int i = 0; i < 3 && r >= 0; i++) {
		r = db_config_get_blob(reg->db, BABEL_HMAC[i], &k[i], &n[i]);
		if (r == -ENOENT)
			r = 0;
	}
	if (r < 0)
		goto out;
	if (k[0]) {
		if (k[1]) {
			r = new_hmac(reg->db, 2, k[0], n[0]);
			if (r >= 0)
				r = db_config_delete(reg->db, BABEL_HMAC[0]);
			state = "use";
		} else {
			r = new_hmac(reg->db, 1, NULL, 0);
			state = "introduce";
		}
	} else if (k[1]) {
		r = new_hmac(reg->db, 0, k[1], n[1]);
		if (r >= 0)
			r = db_config_delete(reg->db, BABEL_HMAC[1]);
		if (r >= 0)
			r = db_config_delete(reg->db, BABEL_HMAC[2]);
		state = "drop";
	} else {
		r = new_hmac(reg->db, 1, NULL, 0);
		if (r >= 0)
			r = new_hmac(reg->db, 2, (const uint8_t *)"", 0);
		state = "init";
	}
	if (r >= 0)
		r = registry_update_netconf(reg, true, call->now);
	if (r >= 0)
		r = db_commit(reg->db);
out:
	for (int i = 0; i < 3; i++) {
		if (k[i])
			sodium_memzero(k[i], n[i]);
		free(k[i]);
	}
	if (r < 0) {
		db_rollback(reg->db);
		pthread_mutex_unlock(&reg->lock);
		return db_failed(reg, reply, r, "updateHMAC");
	}
	pthread_mutex_unlock(&reg->lock);
	log_notice("updateHMAC: %s", state);
	push(reg);
	{
		char out[32];
		snprintf(out, sizeof(out), "%s\n", state);
		return reply_text(reply, out);
	}
}

static int node_prefix_by_email(const struct rpc_call *call, struct rpc_reply *reply,
				struct re6st_prefix *ret)
{
	struct registry *reg = call->reg;
	const char *email = query_get(call->q, "email");
	_cleanup_stmt_ sqlite3_stmt *s = NULL;
	int r = -ENOENT;

	if (!email)
		return rpc_error(reply, 400, "missing 'email'"), -EINVAL;
	pthread_mutex_lock(&reg->lock);
	if (db_prepare_text(reg->db, "SELECT prefix FROM cert WHERE email=? AND cert IS NOT NULL"
				     " ORDER BY serial DESC LIMIT 1", email, &s) == 0 &&
	    db_step(s) == 1)
		r = prefix_of_bits(reg, (const char *)sqlite3_column_text(s, 0), ret);
	pthread_mutex_unlock(&reg->lock);
	if (r < 0)
		reply_empty(reply);
	return r;
}

static int rpc_get_node_prefix(const struct rpc_call *call, struct rpc_reply *reply)
{
	struct re6st_prefix p;
	char buf[PREFIX_STRLEN + 1];

	if (node_prefix_by_email(call, reply, &p) < 0)
		return 0;
	prefix_format(&p, buf);
	strcat(buf, "\n");
	return reply_text(reply, buf);
}

static int rpc_get_ipv6_address(const struct rpc_call *call, struct rpc_reply *reply)
{
	struct re6st_prefix p;
	char buf[PREFIX_STRLEN + 1];

	if (node_prefix_by_email(call, reply, &p) < 0)
		return 0;
	prefix_format_address(p.addr, buf);
	strcat(buf, "\n");
	return reply_text(reply, buf);
}

/* ---- table ---------------------------------------------------------------- */

static const char *const no_args[] = { NULL };
static const char *const args_email[] = { "email", NULL };
static const char *const args_token[] = { "token", NULL };
static const char *const args_add_token[] = { "email", "token", NULL };
static const char *const args_request_cert[] = { "token", "pk", "wg", "sig", "location", NULL };
static const char *const args_revoke[] = { "cn_or_serial", "prefix", "serial", NULL };
static const char *const args_announce[] = { "endpoints", NULL };
static const char *const args_country[] = { "address", NULL };

static const struct rpc_def rpcs[] = {
	{ "getCa", rpc_get_ca, 0, no_args },
	{ "getNetworkConfig", rpc_get_network_config, 0, no_args },
	{ "requestToken", rpc_request_token, 0, args_email },
	{ "requestCertificate", rpc_request_certificate, 0, args_request_cert },
	{ "getCountry", rpc_get_country, 0, args_country },
	{ "renewCertificate", rpc_renew_certificate, RPC_SIGNED | RPC_EXPIRED_OK, no_args },
	{ "getBootstrapPeer", rpc_get_bootstrap_peer, RPC_SIGNED, no_args },
	{ "getHMAC", rpc_get_hmac, RPC_SIGNED, no_args },
	{ "announce", rpc_announce, RPC_SIGNED, args_announce },
	{ "addToken", rpc_add_token, RPC_PRIVATE, args_add_token },
	{ "isToken", rpc_is_token, RPC_PRIVATE, args_token },
	{ "deleteToken", rpc_delete_token, RPC_PRIVATE, args_token },
	{ "revoke", rpc_revoke, RPC_PRIVATE, args_revoke },
	{ "updateHMAC", rpc_update_hmac, RPC_PRIVATE, no_args },
	{ "getNodePrefix", rpc_get_node_prefix, RPC_PRIVATE, args_email },
	{ "getIPv6Address", rpc_get_ipv6_address, RPC_PRIVATE, args_email },
};

const struct rpc_def *rpc_lookup(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(rpcs); i++)
		if (strcmp(rpcs[i].name, name) == 0)
			return &rpcs[i];
	return NULL;
}

/* ---- housekeeping ---------------------------------------------------- */

int registry_housekeeping(struct registry *reg, uint64_t now)
{
	uint64_t old = now > reg->opt.grace_period ? now - reg->opt.grace_period : 0;
	_cleanup_stmt_ sqlite3_stmt *s = NULL;
	char **release = NULL;
	size_t n = 0;
	bool crl_changed;
	int r;

	pthread_mutex_lock(&reg->lock);
	r = db_begin(reg->db);
	if (r < 0)
		goto out;
	r = db_exec_int64(reg->db, "DELETE FROM token WHERE date <= ?", (int64_t)old);
	if (r < 0)
		goto out;
	r = db_prepare_int64(reg->db, "SELECT prefix FROM cert WHERE serial IS NOT NULL"
				      " AND not_after <= ?", (int64_t)old, &s);
	if (r < 0)
		goto out;
	while (db_step(s) == 1) {
		char **l = realloc(release, (n + 1) * sizeof(*l));
		if (!l) {
			r = -ENOMEM;
			goto out;
		}
		release = l;
		release[n] = strdup((const char *)sqlite3_column_text(s, 0));
		if (!release[n]) {
			r = -ENOMEM;
			goto out;
		}
		n++;
	}
	for (size_t i = 0; i < n; i++) {
		if (reg->has_registry_prefix && strcmp(release[i], reg->registry_prefix) == 0) {
			log_error("refusing to purge the certificate of the registry's own node"
				  " (prefix %s): wrong clock?", release[i]);
			continue;
		}
		log_info("purging expired certificate of prefix %s", release[i]);
		r = db_tree_release(reg->db, release[i]);
		if (r < 0)
			goto out;
	}
	r = db_exec_int64(reg->db, "DELETE FROM crl WHERE date < ?", (int64_t)now);
	if (r < 0)
		goto out;
	crl_changed = sqlite3_changes(reg->db) > 0;
	/* Best effort: stale nonces and peers only cost space. */
	(void)db_exec_int64(reg->db, "DELETE FROM nonce WHERE expires < ?", (int64_t)now);
	(void)db_exec_int64(reg->db, "DELETE FROM peer WHERE seen < ?",
			    (int64_t)(now - reg->opt.peer_ttl));
	if (crl_changed) {
		r = registry_update_netconf(reg, true, now);
		if (r < 0)
			goto out;
	}
	r = db_commit(reg->db);
out:
	if (r < 0)
		db_rollback(reg->db);
	pthread_mutex_unlock(&reg->lock);
	for (size_t i = 0; i < n; i++)
		free(release[i]);
	free(release);
	return r;
}
