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
#include "metrics.h"
#include "prefix.h"
#include "query.h"
#include "peerproto.h"
#include "push.h"
#include "registry.h"
#include "remote-log.h"
#include "rpc-internal.h"
#include "reqsign.h"

/* Babel HMAC keys, as in the original: see rpc_update_hmac(). */

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

int rpc_reply_text(struct rpc_reply *reply, const char *s)
{
	reply->status = 200;
	reply->content_type = "text/plain";
	reply->body = strdup(s);
	if (!reply->body)
		return -ENOMEM;
	reply->len = strlen(s);
	return 0;
}

int rpc_reply_take(struct rpc_reply *reply, char *s)
{
	reply->status = 200;
	reply->content_type = "text/plain";
	reply->body = s;
	reply->len = strlen(s);
	return 0;
}

int rpc_reply_empty(struct rpc_reply *reply)
{
	reply->status = 204;
	return 0;
}

/* db_tx()/db_read() already logged SQLite's message for -EIO, under the lock. */
int rpc_db_failed(struct rpc_reply *reply, int r, const char *what)
{
	if (r != -EIO)
		log_error("%s: %s", what, strerror(-r));
	return rpc_error(reply, r == -ENOSPC ? 503 : 500, "%s failed%s", what,
			 r == -ENOSPC ? ": no free prefix left" : "");
}

/* ---- helpers ---------------------------------------------------------- */

bool rpc_printable(const char *s, size_t max)
{
	size_t n = 0;

	for (; *s; s++, n++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s >= 0x7f || n >= max)
			return false;
	return true;
}

bool rpc_valid_email(const char *s)
{
	const char *at = strchr(s, '@');

	return s[0] && strlen(s) <= 254 && at && at != s && at[1] && rpc_printable(s, 254) &&
	       !strpbrk(s, " <>,;\"\\");
}

int rpc_prefix_of_bits(const struct registry *reg, const char *bits, struct re6st_prefix *ret)
{
	return prefix_from_bit_string(&reg->ca.network, bits, ret);
}

/* Parse "2001:db8:42:1::/64" or the original's CN form "N/LEN" into bits. */
int rpc_parse_node_prefix(const struct registry *reg, const char *s, char bits[129])
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
/* ---- network configuration ------------------------------------------- */

static int fill_netconf(struct registry *reg, struct db_tx *tx, struct re6st_netconf *nc)
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
	nc->link_cost = o->link_cost;
	nc->smoothing = o->smoothing;
	nc->dead_after = o->dead_after;
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
		r = rpc_prefix_of_bits(reg, reg->registry_prefix, &nc->registry_prefix);
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
	r = db_prepare(tx, "SELECT serial, date, prefix FROM crl ORDER BY serial", &s);
	if (r < 0)
		return r;
	while ((r = db_step(s)) > 0) {
		struct re6st_prefix p = reg->ca.network;
		const char *bits = (const char *)sqlite3_column_text(s, 2);
		if (bits && rpc_prefix_of_bits(reg, bits, &p) < 0)
			p = reg->ca.network;
		r = netconf_add_revoked(nc, (uint64_t)sqlite3_column_int64(s, 0),
					(uint64_t)sqlite3_column_int64(s, 1), &p);
		if (r < 0)
			return r;
	}
	return r < 0 ? -EIO : 0;
}

int registry_update_netconf(struct registry *reg, struct db_tx *tx, bool bump, uint64_t now)
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
	r = fill_netconf(reg, tx, nc);
	if (r < 0)
		return r;
	/* Parameters only (version and date zeroed): did they change? */
	r = netconf_encode(nc, &reg->ca, reg->ca_key, &enc, &enc_len);
	if (r < 0)
		return r;
	crypto_generichash(digest, sizeof(digest), enc, enc_len, NULL, 0);
	free(TAKE_PTR(enc));
	r = db_config_get_blob(tx, "last_config", &last, &last_len);
	if (r < 0 && r != -ENOENT)
		return r;
	if (r == -ENOENT || last_len != sizeof(digest) || memcmp(last, digest, sizeof(digest)))
		bump = true;
	r = db_config_get_int(tx, "version", &version);
	if (r < 0 && r != -ENOENT)
		return r;
	if (bump) {
		version++;
		r = db_config_set_int(tx, "version", version);
		if (r < 0)
			return r;
		r = db_config_set_blob(tx, "last_config", digest, sizeof(digest));
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
	pthread_mutex_lock(&reg->lock);
	if (reg->netconf_response)
		MHD_destroy_response(reg->netconf_response);
	reg->netconf_response = resp;
	pthread_mutex_unlock(&reg->lock);
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
void rpc_push(struct registry *reg)
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
	return rpc_reply_take(reply, s);
}

static int rpc_get_network_config(const struct rpc_call *call, struct rpc_reply *reply)
{
	/* Served from the cache by the front end; see http.c. */
	reply->response = call->reg->netconf_response;
	reply->status = 200;
	return 0;
}

/* Insert a token (given, or a new random one): 0, -EEXIST when given exists, -EIO. */
static int add_token(struct registry *reg, struct db_tx *tx, const char *email, const char *given,
		     uint64_t now, char ret[64])
{
	for (int tries = 0;; tries++) {
		_cleanup_stmt_ sqlite3_stmt *s = NULL;
		char token[64];
		int r;

		if (given)
			snprintf(token, sizeof(token), "%s", given);
		else
			random_token(token);
		if (db_prepare_text(tx, "INSERT INTO token VALUES (?,?,?,?)", token, &s) < 0)
			return -EIO;
		sqlite3_bind_text(s, 2, email, -1, SQLITE_STATIC);
		sqlite3_bind_int(s, 3, (int)reg->opt.prefix_length);
		sqlite3_bind_int64(s, 4, (int64_t)now);
		r = db_step(s);
		if (r == 0) {
			snprintf(ret, 64, "%s", token);
			return 0;
		}
		if (r != -EEXIST || tries > 8)
			return -EIO;
		if (given)
			return -EEXIST;
	}
}

struct token_ctx {
	struct registry *reg;
	const char *email, *given;
	uint64_t now;
	char token[64];
};

static int token_tx(struct db_tx *tx, void *arg)
{
	struct token_ctx *c = arg;

	return add_token(c->reg, tx, c->email, c->given, c->now, c->token);
}

int rpc_add_token_tx(struct registry *reg, const char *email, const char *given, uint64_t now,
		     char ret[64])
{
	struct token_ctx c = { .reg = reg, .email = email, .given = given, .now = now };
	int r = db_tx(reg->db, "addToken", token_tx, &c);

	if (r == 0) {
		memcpy(ret, c.token, sizeof(c.token));
		metrics_event(reg->metrics, METRIC_TOKEN_ADDED);
	}
	return r;
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
	if (!email || !rpc_valid_email(email))
		return rpc_error(reply, 400, "missing or invalid 'email'");
	if (!registry_token_allowed(reg, call->client_ip, email)) {
		remote_log(call->client_ip, LOG_WARNING, "requestToken: more than %u tokens in an "
			   "hour from %s or to %s, refused", reg->opt.token_rate, call->client_ip,
			   email);
		return rpc_error(reply, 429, "too many tokens requested from this address or for "
					     "this e-mail: try again later");
	}
	r = rpc_add_token_tx(reg, email, NULL, call->now, token);
	if (r < 0)
		return rpc_db_failed(reply, r, "requestToken");
	r = mail_send_token(&reg->opt, email, token, &err);
	if (r < 0) {
		remote_log(call->client_ip, LOG_ERR, "requestToken: cannot mail token to %s: %s", email,
			   err ? err : strerror(-r));
		return rpc_error(reply, 502, "cannot send the token by mail");
	}
	remote_log(call->client_ip, LOG_INFO, "requestToken: token sent to %s (%s)", email,
		   call->client_ip);
	return rpc_reply_empty(reply);
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
	return rpc_reply_take(reply, armour);
}

struct peer_ctx {
	struct registry *reg;
	const struct rpc_call *call;
	char *payload; /* out; NULL: no peer */
};

static int bootstrap_read(struct db_tx *tx, void *arg)
{
	struct peer_ctx *c = arg;
	_cleanup_stmt_ sqlite3_stmt *s = NULL;
	struct re6st_prefix p;
	char buf[PREFIX_STRLEN];
	int r;

	if (db_prepare_text(tx, "SELECT p.prefix, p.endpoints, c.cert FROM peer p"
				" JOIN cert c ON c.prefix = p.prefix"
				" WHERE p.prefix != ?1 AND p.seen >= ?2"
				" ORDER BY random() LIMIT 1", c->call->cert_prefix, &s) < 0)
		return -EIO;
	sqlite3_bind_int64(s, 2, (int64_t)(c->call->now - c->reg->opt.peer_ttl));
	r = db_step(s);
	if (r <= 0)
		return r;
	if (rpc_prefix_of_bits(c->reg, (const char *)sqlite3_column_text(s, 0), &p) < 0)
		return -EIO;
	if (asprintf(&c->payload, "prefix %s\nendpoints %s\n%s", prefix_format(&p, buf),
		     (const char *)sqlite3_column_text(s, 1),
		     (const char *)sqlite3_column_text(s, 2)) < 0) {
		c->payload = NULL;
		return -ENOMEM;
	}
	return 0;
}

static int rpc_get_bootstrap_peer(const struct rpc_call *call, struct rpc_reply *reply)
{
	struct peer_ctx c = { .reg = call->reg, .call = call };
	_cleanup_free_ char *payload = NULL;
	int r = db_read(call->reg->db, "getBootstrapPeer", bootstrap_read, &c);

	payload = c.payload;
	if (r < 0)
		return rpc_db_failed(reply, r, "getBootstrapPeer");
	if (!payload)
		return rpc_reply_empty(reply);
	return seal_reply(call, reply, payload);
}

struct announce_ctx {
	const struct rpc_call *call;
	const char *endpoints;
	uint64_t version; /* of the network configuration, read under the lock */
};

static int announce_write(struct db_tx *tx, void *arg)
{
	struct announce_ctx *c = arg;
	_cleanup_stmt_ sqlite3_stmt *s = NULL;
	int r;

	r = db_prepare_text(tx, "INSERT OR REPLACE INTO peer VALUES (?,?,?)",
			    c->call->cert_prefix, &s);
	if (r < 0)
		return r;
	sqlite3_bind_text(s, 2, c->endpoints, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, (int64_t)c->call->now);
	c->version = c->call->reg->netconf_version;
	return db_step(s) == 0 ? 0 : -EIO;
}

static int rpc_announce(const struct rpc_call *call, struct rpc_reply *reply)
{
	const char *ep = query_get(call->q, "endpoints");
	struct announce_ctx c = { .call = call, .endpoints = ep };
	struct pp_endpoint eps[16];
	size_t n_eps;
	int r;

	if (!ep || !ep[0] || !rpc_printable(ep, 1024))
		return rpc_error(reply, 400, "missing or invalid 'endpoints' (rpc_printable ASCII, <= 1024)");
	if (pp_endpoints_parse(ep, strlen(ep), eps, ARRAY_SIZE(eps), &n_eps) < 0 || n_eps == 0)
		return rpc_error(reply, 400, "invalid 'endpoints': expected ip,port,type[,country]"
					     " separated by ';' (at most 16)");
	r = db_read(call->reg->db, "announce", announce_write, &c);
	if (r < 0)
		return rpc_db_failed(reply, r, "announce");
	/* The version tells the node whether to fetch the configuration: its
	 * periodic announce stands in for the poll (docs/registry-api.md). */
	char v[32];
	snprintf(v, sizeof(v), "version %" PRIu64 "\n", c.version);
	return rpc_reply_text(reply, v);
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
struct hmac_ctx {
	struct registry *reg;
	FILE *f;
};

static int hmac_read(struct db_tx *tx, void *arg)
{
	struct hmac_ctx *c = arg;
	int found = 0, r;

	fprintf(c->f, "version %" PRIu64 "\n", c->reg->netconf_version);
	for (int i = 0; i < 3 && found < 2; i++) {
		_cleanup_free_ uint8_t *k = NULL;
		_cleanup_free_ char *hex = NULL;
		size_t n;

		r = db_config_get_blob(tx, rpc_babel_hmac[i], &k, &n);
		if (r == -ENOENT)
			continue;
		if (r < 0)
			return r;
		r = hex_key(k, n, &hex);
		sodium_memzero(k, n);
		if (r < 0)
			return r;
		fprintf(c->f, "%s%s%s\n", found ? "accept" : "sign", n ? " " : "", hex);
		sodium_memzero(hex, strlen(hex));
		found++;
	}
	return 0;
}

static int rpc_get_hmac(const struct rpc_call *call, struct rpc_reply *reply)
{
	struct registry *reg = call->reg;
	_cleanup_free_ char *payload = NULL;
	struct hmac_ctx c = { .reg = reg };
	size_t plen = 0;
	int r;

	c.f = open_memstream(&payload, &plen);
	if (!c.f)
		return -ENOMEM;
	r = db_read(reg->db, "getHMAC", hmac_read, &c);
	if (fclose(c.f) != 0 && r == 0)
		r = -ENOMEM;
	if (r < 0) {
		if (payload)
			sodium_memzero(payload, plen);
		return rpc_db_failed(reply, r, "getHMAC");
	}
	r = seal_reply(call, reply, payload);
	sodium_memzero(payload, plen);
	return r;
}

struct country_ctx {
	const char *bits;
	char country[3]; /* out */
};

static int country_read(struct db_tx *tx, void *arg)
{
	struct country_ctx *c = arg;
	_cleanup_stmt_ sqlite3_stmt *s = NULL;
	int r;

	if (db_prepare_text(tx, "SELECT location FROM cert WHERE cert IS NOT NULL"
				" AND substr(?1, 1, length(prefix)) = prefix", c->bits, &s) < 0)
		return -EIO;
	r = db_step(s);
	if (r == 1 && sqlite3_column_text(s, 0))
		snprintf(c->country, sizeof(c->country), "%.2s",
			 (const char *)sqlite3_column_text(s, 0));
	return r < 0 ? r : 0;
}

static int rpc_get_country(const struct rpc_call *call, struct rpc_reply *reply)
{
	struct registry *reg = call->reg;
	const char *address = query_get(call->q, "address");
	struct re6st_prefix p = { .len = 128 };
	char bits[129];
	struct country_ctx c = { .bits = bits };
	int r;

	/* Without a GeoIP database, the registry only knows the location
	 * hints nodes gave at registration: answer for addresses inside a node
	 * prefix. */
	if (!address || prefix_parse_address(address, p.addr) < 0)
		return rpc_error(reply, 400, "missing or invalid 'address' (IPv6 address)");
	if (!prefix_contains_address(&reg->ca.network, p.addr))
		return rpc_reply_empty(reply);
	if (prefix_to_bit_string(&reg->ca.network, &p, bits) < 0)
		return rpc_reply_empty(reply);
	r = db_read(reg->db, "getCountry", country_read, &c);
	if (r < 0)
		return rpc_db_failed(reply, r, "getCountry");
	if (!c.country[0] || c.country[0] == '*')
		return rpc_reply_empty(reply);
	{
		char out[4];
		snprintf(out, sizeof(out), "%s\n", c.country);
		return rpc_reply_text(reply, out);
	}
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
static const char *const args_survey[] = { "timeout", NULL };

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
	{ "versions", rpc_versions, RPC_PRIVATE, args_survey },
	{ "topology", rpc_topology, RPC_PRIVATE, args_survey },
};

const struct rpc_def *rpc_lookup(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(rpcs); i++)
		if (strcmp(rpcs[i].name, name) == 0)
			return &rpcs[i];
	return NULL;
}
