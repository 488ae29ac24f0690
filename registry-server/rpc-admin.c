/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The registry's private RPCs (--authorized-origin only) and its periodic
 * housekeeping; see docs/registry-api.md.  Every database access runs
 * inside db_tx()/db_read().
 */
#include <errno.h>
#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "log.h"
#include "macro.h"
#include "metrics.h"
#include "prefix.h"
#include "query.h"
#include "rpc-internal.h"
#include "survey.h"

#define HMAC_KEY_LEN 16

const char *const rpc_babel_hmac[3] = { "babel_hmac0", "babel_hmac1", "babel_hmac2" };

int rpc_add_token(const struct rpc_call *call, struct rpc_reply *reply)
{
	struct registry *reg = call->reg;
	const char *email = query_get(call->q, "email"), *token = query_get(call->q, "token");
	char out[64];
	int r;

	if (!reg->opt.prefix_length)
		return rpc_error(reply, 403, "registration by token is disabled (--prefix-length 0)");
	if (!email || !rpc_valid_email(email))
		return rpc_error(reply, 400, "missing or invalid 'email'");
	if (token && (!token[0] || strlen(token) > 64 || !rpc_printable(token, 64) ||
		      strchr(token, ' ')))
		return rpc_error(reply, 400, "invalid 'token'");
	r = rpc_add_token_tx(reg, email, token, call->now, out);
	if (r == -EEXIST)
		return rpc_error(reply, 409, "token already exists");
	if (r < 0)
		return rpc_db_failed(reply, r, "addToken");
	strcat(out, "\n");
	return rpc_reply_text(reply, out);
}

static int is_token_read(struct db_tx *tx, void *arg)
{
	_cleanup_stmt_ sqlite3_stmt *s = NULL;
	int r = db_prepare_text(tx, "SELECT 1 FROM token WHERE token=?", arg, &s);

	return r < 0 ? r : db_step(s); /* 1: found */
}

int rpc_is_token(const struct rpc_call *call, struct rpc_reply *reply)
{
	const char *token = query_get(call->q, "token");
	int r;

	if (!token)
		return rpc_error(reply, 400, "missing 'token'");
	r = db_read(call->reg->db, "isToken", is_token_read, (void *)token);
	if (r < 0)
		return rpc_db_failed(reply, r, "isToken");
	return r ? rpc_reply_text(reply, "1\n") : rpc_reply_empty(reply);
}

static int delete_token_write(struct db_tx *tx, void *arg)
{
	return db_exec_text(tx, "DELETE FROM token WHERE token=?", arg);
}

int rpc_delete_token(const struct rpc_call *call, struct rpc_reply *reply)
{
	const char *token = query_get(call->q, "token");
	int r;

	if (!token)
		return rpc_error(reply, 400, "missing 'token'");
	r = db_read(call->reg->db, "deleteToken", delete_token_write, (void *)token);
	if (r < 0)
		return rpc_db_failed(reply, r, "deleteToken");
	return rpc_reply_empty(reply);
}

struct revoke_ctx {
	struct registry *reg;
	uint64_t now;
	bool by_serial;
	int64_t serial; /* in when by_serial, out otherwise */
	char bits[129]; /* in when !by_serial, out otherwise */
};

static int revoke_tx(struct db_tx *tx, void *arg)
{
	struct revoke_ctx *c = arg;
	_cleanup_stmt_ sqlite3_stmt *s = NULL, *ins = NULL;
	int64_t not_after;
	int r;

	if (c->by_serial)
		r = db_prepare_int64(tx, "SELECT prefix, not_after, serial FROM cert WHERE serial=?",
				     c->serial, &s);
	else
		r = db_prepare_text(tx, "SELECT prefix, not_after, serial FROM cert"
					" WHERE prefix=? AND serial IS NOT NULL", c->bits, &s);
	if (r < 0)
		return r;
	r = db_step(s);
	if (r <= 0)
		return r < 0 ? r : RC_NOT_FOUND;
	snprintf(c->bits, sizeof(c->bits), "%s", (const char *)sqlite3_column_text(s, 0));
	not_after = sqlite3_column_int64(s, 1);
	c->serial = sqlite3_column_int64(s, 2);
	sqlite3_finalize(TAKE_PTR(s));
	if (!c->by_serial) {
		/* By prefix: the node loses its prefix, as in the original. */
		r = db_tree_release(tx, c->bits);
		if (r < 0)
			return r;
		r = db_exec(tx, "DELETE FROM peer WHERE prefix NOT IN"
				" (SELECT prefix FROM cert WHERE cert IS NOT NULL)");
		if (r < 0)
			return r;
	}
	if ((uint64_t)not_after <= c->now)
		return 0;
	r = db_prepare_int64(tx, "INSERT OR IGNORE INTO crl VALUES (?,?,?)", c->serial, &ins);
	if (r < 0)
		return r;
	sqlite3_bind_int64(ins, 2, not_after);
	sqlite3_bind_text(ins, 3, c->bits, -1, SQLITE_STATIC);
	if (db_step(ins) != 0)
		return -EIO;
	return registry_update_netconf(c->reg, tx, true, c->now);
}

int rpc_revoke(const struct rpc_call *call, struct rpc_reply *reply)
{
	struct registry *reg = call->reg;
	const char *arg = query_get(call->q, "cn_or_serial");
	struct revoke_ctx c = { .reg = reg, .now = call->now };
	int r;

	if (!arg)
		arg = query_get(call->q, "prefix");
	if (!arg)
		arg = query_get(call->q, "serial");
	if (!arg || !arg[0])
		return rpc_error(reply, 400, "missing 'cn_or_serial' (node prefix or serial)");
	c.by_serial = strspn(arg, "0123456789") == strlen(arg);
	if (c.by_serial) {
		if (strlen(arg) > 18)
			return rpc_error(reply, 400, "serial out of range");
		c.serial = strtoll(arg, NULL, 10);
	} else if (rpc_parse_node_prefix(reg, arg, c.bits) < 0)
		return rpc_error(reply, 400, "invalid prefix '%s' (expected 2001:db8:42:1::/64 or N/LEN)",
				 arg);
	r = db_tx(reg->db, "revoke", revoke_tx, &c);
	if (r == RC_NOT_FOUND)
		return rpc_error(reply, 404, "no such certificate: %s", arg);
	if (r < 0)
		return rpc_db_failed(reply, r, "revoke");
	log_notice("revoke: serial %" PRId64 "%s%s", c.serial, c.by_serial ? "" : ", freed prefix ",
		   c.by_serial ? "" : c.bits);
	metrics_event(reg->metrics, METRIC_CERT_REVOKED);
	rpc_push(reg);
	return rpc_reply_empty(reply);
}

static int new_hmac(struct db_tx *tx, int i, const uint8_t *key, size_t len)
{
	uint8_t k[HMAC_KEY_LEN];
	int r;

	if (!key) {
		randombytes_buf(k, sizeof(k));
		key = k;
		len = sizeof(k);
	}
	r = db_config_set_blob(tx, rpc_babel_hmac[i], key, len);
	sodium_memzero(k, sizeof(k));
	return r;
}

int registry_init_hmac(struct db_tx *tx)
{
	return new_hmac(tx, 0, NULL, 0);
}

struct hmac_step {
	struct registry *reg;
	uint64_t now;
	const char *state; /* out */
};

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
static int update_hmac_tx(struct db_tx *tx, void *arg)
{
	struct hmac_step *c = arg;
	uint8_t *k[3] = {};
	size_t n[3] = {};
	int r = 0;

	for (int i = 0; i < 3 && r >= 0; i++) {
		r = db_config_get_blob(tx, rpc_babel_hmac[i], &k[i], &n[i]);
		if (r == -ENOENT)
			r = 0;
	}
	if (r < 0)
		goto out;
	if (k[0]) {
		if (k[1]) {
			r = new_hmac(tx, 2, k[0], n[0]);
			if (r >= 0)
				r = db_config_delete(tx, rpc_babel_hmac[0]);
			c->state = "use";
		} else {
			r = new_hmac(tx, 1, NULL, 0);
			c->state = "introduce";
		}
	} else if (k[1]) {
		r = new_hmac(tx, 0, k[1], n[1]);
		if (r >= 0)
			r = db_config_delete(tx, rpc_babel_hmac[1]);
		if (r >= 0)
			r = db_config_delete(tx, rpc_babel_hmac[2]);
		c->state = "drop";
	} else {
		r = new_hmac(tx, 1, NULL, 0);
		if (r >= 0)
			r = new_hmac(tx, 2, (const uint8_t *)"", 0);
		c->state = "init";
	}
	if (r >= 0)
		r = registry_update_netconf(c->reg, tx, true, c->now);
out:
	for (int i = 0; i < 3; i++) {
		if (k[i])
			sodium_memzero(k[i], n[i]);
		free(k[i]);
	}
	return r < 0 ? r : 0;
}

int rpc_update_hmac(const struct rpc_call *call, struct rpc_reply *reply)
{
	struct hmac_step c = { .reg = call->reg, .now = call->now };
	char out[32];
	int r;

	r = db_tx(call->reg->db, "updateHMAC", update_hmac_tx, &c);
	if (r < 0)
		return rpc_db_failed(reply, r, "updateHMAC");
	log_notice("updateHMAC: %s", c.state);
	metrics_event(call->reg->metrics, METRIC_HMAC_UPDATED);
	rpc_push(call->reg);
	snprintf(out, sizeof(out), "%s\n", c.state);
	return rpc_reply_text(reply, out);
}

struct email_ctx {
	const char *email;
	char bits[129]; /* out */
};

static int prefix_by_email_read(struct db_tx *tx, void *arg)
{
	struct email_ctx *c = arg;
	_cleanup_stmt_ sqlite3_stmt *s = NULL;
	int r;

	if (db_prepare_text(tx, "SELECT prefix FROM cert WHERE email=? AND cert IS NOT NULL"
				" ORDER BY serial DESC LIMIT 1", c->email, &s) < 0)
		return -EIO;
	r = db_step(s);
	if (r == 1)
		snprintf(c->bits, sizeof(c->bits), "%s", (const char *)sqlite3_column_text(s, 0));
	return r;
}

/* 0 with *ret set; > 0 when the reply is already made (error, or empty: no such node). */
static int node_prefix_by_email(const struct rpc_call *call, struct rpc_reply *reply,
				struct re6st_prefix *ret)
{
	struct email_ctx c = { .email = query_get(call->q, "email") };
	int r;

	if (!c.email)
		return rpc_error(reply, 400, "missing 'email'"), 1;
	r = db_read(call->reg->db, "getNodePrefix", prefix_by_email_read, &c);
	if (r < 0)
		return rpc_db_failed(reply, r, "getNodePrefix"), 1;
	if (r == 0 || prefix_from_bit_string(&call->reg->ca.network, c.bits, ret) < 0)
		return rpc_reply_empty(reply), 1;
	return 0;
}

int rpc_get_node_prefix(const struct rpc_call *call, struct rpc_reply *reply)
{
	struct re6st_prefix p;
	char buf[PREFIX_STRLEN + 1];

	if (node_prefix_by_email(call, reply, &p))
		return 0;
	prefix_format(&p, buf);
	strcat(buf, "\n");
	return rpc_reply_text(reply, buf);
}

int rpc_get_ipv6_address(const struct rpc_call *call, struct rpc_reply *reply)
{
	struct re6st_prefix p;
	char buf[PREFIX_STRLEN + 1];

	if (node_prefix_by_email(call, reply, &p))
		return 0;
	prefix_format_address(p.addr, buf);
	strcat(buf, "\n");
	return rpc_reply_text(reply, buf);
}

/* ---- housekeeping ---------------------------------------------------- */

struct housekeeping {
	struct registry *reg;
	uint64_t now;
};

static int expired_prefixes(struct db_tx *tx, uint64_t old, char ***ret, size_t *ret_n)
{
	_cleanup_stmt_ sqlite3_stmt *s = NULL;
	char **list = NULL;
	size_t n = 0;
	int r;

	r = db_prepare_int64(tx, "SELECT prefix FROM cert WHERE serial IS NOT NULL"
				 " AND not_after <= ?", (int64_t)old, &s);
	if (r < 0)
		return r;
	while ((r = db_step(s)) == 1) {
		char **l = realloc(list, (n + 1) * sizeof(*l));
		if (!l) {
			r = -ENOMEM;
			break;
		}
		list = l;
		list[n] = strdup((const char *)sqlite3_column_text(s, 0));
		if (!list[n]) {
			r = -ENOMEM;
			break;
		}
		n++;
	}
	if (r < 0) {
		for (size_t i = 0; i < n; i++)
			free(list[i]);
		free(list);
		return r;
	}
	*ret = list;
	*ret_n = n;
	return 0;
}

static int housekeeping_tx(struct db_tx *tx, void *arg)
{
	struct housekeeping *h = arg;
	struct registry *reg = h->reg;
	uint64_t now = h->now, old = now > reg->opt.grace_period ? now - reg->opt.grace_period : 0;
	char **release = NULL;
	size_t n = 0;
	int r;

	r = db_exec_int64(tx, "DELETE FROM token WHERE date <= ?", (int64_t)old);
	if (r < 0)
		return r;
	r = expired_prefixes(tx, old, &release, &n);
	if (r < 0)
		return r;
	for (size_t i = 0; i < n && r >= 0; i++) {
		if (reg->has_registry_prefix && strcmp(release[i], reg->registry_prefix) == 0) {
			log_error("refusing to purge the certificate of the registry's own node"
				  " (prefix %s): wrong clock?", release[i]);
			continue;
		}
		log_info("purging expired certificate of prefix %s", release[i]);
		r = db_tree_release(tx, release[i]);
	}
	for (size_t i = 0; i < n; i++)
		free(release[i]);
	free(release);
	if (r < 0)
		return r;
	r = db_exec_int64(tx, "DELETE FROM crl WHERE date < ?", (int64_t)now);
	if (r < 0)
		return r;
	bool crl_changed = db_changes(tx) > 0;
	/* Best effort: stale nonces and peers only cost space. */
	(void)db_exec_int64(tx, "DELETE FROM nonce WHERE expires < ?", (int64_t)now);
	(void)db_exec_int64(tx, "DELETE FROM peer WHERE seen < ?",
			    (int64_t)(now - reg->opt.peer_ttl));
	if (crl_changed)
		return registry_update_netconf(reg, tx, true, now);
	return 0;
}

int registry_housekeeping(struct registry *reg, uint64_t now)
{
	struct housekeeping h = { .reg = reg, .now = now };

	return db_tx(reg->db, "housekeeping", housekeeping_tx, &h);
}

/* versions, topology: ask the live nodes (survey.h). */
static int survey_rpc(const struct rpc_call *call, struct rpc_reply *reply, enum survey_kind kind)
{
	const char *t = query_get(call->q, "timeout");
	unsigned timeout = 3;
	char *json = NULL;
	size_t len;
	int r;

	if (t) {
		char *end;
		unsigned long v = strtoul(t, &end, 10);
		if (!*t || *end || t[0] == '-' || t[0] == '+' || v < 1 || v > SURVEY_MAX_S)
			return rpc_error(reply, 400, "'timeout' must be 1 to %d seconds", SURVEY_MAX_S);
		timeout = (unsigned)v;
	}
	r = registry_survey(call->reg, kind, timeout, &json, &len);
	if (r == -EBUSY)
		return rpc_error(reply, 503, "another versions/topology survey is running: retry later");
	if (r < 0)
		return rpc_db_failed(reply, r, call->name);
	reply->status = 200;
	reply->body = json;
	reply->len = len;
	reply->content_type = "application/json";
	return 0;
}

int rpc_versions(const struct rpc_call *call, struct rpc_reply *reply)
{
	return survey_rpc(call, reply, SURVEY_VERSIONS);
}

int rpc_topology(const struct rpc_call *call, struct rpc_reply *reply)
{
	return survey_rpc(call, reply, SURVEY_TOPOLOGY);
}
