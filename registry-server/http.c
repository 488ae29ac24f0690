/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "conn.h"
#include "db.h"
#include "log.h"
#include "macro.h"
#include "metrics.h"
#include "prefix.h"
#include "query.h"
#include "remote-log.h"
#include "reqsign.h"
#include "status.h"

#define HDR_CERT "Re6st-Cert"
#define HDR_SIG "Re6st-Signature"
#define HDR_ANSWER_SIG "Re6st-Answer-Signature"

/* More arguments than any RPC takes (5) plus room: refused with 414 before parsing. */
#define MAX_ARGS 32

struct http_server {
	struct registry *reg;
	struct MHD_Daemon *d;
	struct conn_table *conns;
};

struct request {
	char *uri;      /* raw, as received (path?query) */
	char *body;
	size_t body_len;
	bool too_big;
	/* for the metrics */
	const char *rpc;        /* static: an RPC name, a page's, "unknown" */
	unsigned status;        /* of the answer queued; 0: none */
	struct timespec start;  /* headers received */
};

static size_t count_args(const char *uri);
static void client_ip(struct MHD_Connection *c, char buf[INET6_ADDRSTRLEN]);

#define TOO_MANY_ARGS                                                      \
	"HTTP/1.1 414 URI Too Long\r\nConnection: close\r\n"                  \
	"Content-Type: text/plain\r\nContent-Length: 39\r\n\r\n"                \
	"URI too long: too many arguments (>32)\n"

/*
 * Before libmicrohttpd parses the arguments: keep the raw URI on the
 * connection.  Thousands of arguments would fill libmicrohttpd's pool with
 * their records and it would drop the connection unanswered: refuse them
 * here.
 */
static void *on_uri(void *cls, const char *uri, struct MHD_Connection *c)
{
	struct http_server *h = cls;
	struct conn *k = conn_of(c);

	if (!k)
		return NULL;
	if (count_args(uri) > MAX_ARGS) {
		char ip[INET6_ADDRSTRLEN];

		conn_refuse(h->conns, k, TOO_MANY_ARGS);
		client_ip(c, ip);
		remote_log(ip, LOG_INFO, "%s: request with more than %d arguments refused", ip,
			   MAX_ARGS);
		return NULL;
	}
	conn_set_uri(k, uri);
	return NULL;
}

static void on_completed(void *cls, struct MHD_Connection *c, void **req_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct http_server *h = cls;
	struct request *rq = *req_cls;
	struct conn *k = conn_of(c);

	if (k)
		conn_request_done(h->conns, k);
	if (!rq)
		return;
	{
		struct timespec now;
		clock_gettime(CLOCK_MONOTONIC, &now);
		metrics_request(h->reg->metrics, rq->rpc, rq->status,
				(double)(now.tv_sec - rq->start.tv_sec) +
					(now.tv_nsec - rq->start.tv_nsec) / 1e9);
	}
	free(rq->uri);
	free(rq->body);
	free(rq);
	*req_cls = NULL;
}

static void on_mhd_log(void *cls, const char *fmt, va_list ap) _printf_(2, 0);
static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
	char buf[256];
	size_t n;

	vsnprintf(buf, sizeof(buf), fmt, ap);
	n = strlen(buf);
	while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		buf[--n] = '\0';
	remote_log("libmicrohttpd", LOG_WARNING, "libmicrohttpd: %s", buf);
}

static size_t count_args(const char *uri)
{
	const char *q = strchr(uri, '?');
	size_t n = 0;

	if (!q)
		return 0;
	for (n = 1; (q = strpbrk(q + 1, "&;")); n++)
		;
	return n;
}

/* Queue an answer, remembering its status for the metrics. */
static enum MHD_Result queue(struct request *rq, struct MHD_Connection *c, unsigned status,
			     struct MHD_Response *r)
{
	rq->status = status;
	return MHD_queue_response(c, status, r);
}

static enum MHD_Result send_text(struct request *rq, struct MHD_Connection *c, unsigned status,
				 const char *msg)
{
	struct MHD_Response *r;
	enum MHD_Result ret;
	char buf[512];

	snprintf(buf, sizeof(buf), "%s\n", msg);
	r = MHD_create_response_from_buffer(strlen(buf), buf, MHD_RESPMEM_MUST_COPY);
	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, "Content-Type", "text/plain");
	ret = queue(rq, c, status, r);
	MHD_destroy_response(r);
	return ret;
}

static void client_ip(struct MHD_Connection *c, char buf[INET6_ADDRSTRLEN])
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	const struct sockaddr *sa = ci ? ci->client_addr : NULL;

	buf[0] = '\0';
	if (!sa)
		return;
	if (sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, buf, INET6_ADDRSTRLEN);
	else if (sa->sa_family == AF_INET6) {
		const struct in6_addr *a = &((const struct sockaddr_in6 *)sa)->sin6_addr;
		if (IN6_IS_ADDR_V4MAPPED(a))
			inet_ntop(AF_INET, &a->s6_addr[12], buf, INET6_ADDRSTRLEN);
		else
			inet_ntop(AF_INET6, a, buf, INET6_ADDRSTRLEN);
	}
}

/* Compare addresses by value ("::1" == "0::1"). */
static bool same_address(const char *a, const char *b)
{
	unsigned char x[16], y[16];

	if (inet_pton(AF_INET, a, x) == 1 && inet_pton(AF_INET, b, y) == 1)
		return memcmp(x, y, 4) == 0;
	if (inet_pton(AF_INET6, a, x) == 1 && inet_pton(AF_INET6, b, y) == 1)
		return memcmp(x, y, 16) == 0;
	return false;
}

bool registry_origin_allowed(const struct registry *reg, const char *ip)
{
	for (unsigned i = 0; i < reg->opt.n_origins; i++)
		if (same_address(reg->opt.origins[i], ip))
			return true;
	return false;
}

/* Every address of X-Forwarded-For must be authorized too. */
static bool forwarded_allowed(const struct registry *reg, const char *xff)
{
	_cleanup_free_ char *copy = strdup(xff);
	char *save = NULL;
	bool any = false;

	if (!copy)
		return false;
	for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		while (*t == ' ' || *t == '\t')
			t++;
		size_t n = strlen(t);
		while (n && (t[n - 1] == ' ' || t[n - 1] == '\t'))
			t[--n] = '\0';
		if (!registry_origin_allowed(reg, t))
			return false;
		any = true;
	}
	return any;
}

static const char *cert_error(int r)
{
	switch (r) {
	case -EXDEV:
		return "forbidden: certificate of another network";
	case -EKEYEXPIRED:
		return "forbidden: certificate expired or not yet valid";
	case -EKEYREJECTED:
		return "forbidden: certificate signature does not verify";
	case -EKEYREVOKED:
		return "forbidden: certificate revoked";
	default:
		return "bad request: malformed " HDR_CERT " header";
	}
}

struct nonce_ctx {
	bool check_revoked;
	int64_t serial;
	const char *key;
	int64_t expires;
};

#define NONCE_REVOKED 1

/*
 * Refuse a revoked certificate; remember the nonce until the signature can
 * no longer be accepted.
 */
static int nonce_record(struct db_tx *tx, void *arg)
{
	struct nonce_ctx *n = arg;
	_cleanup_stmt_ sqlite3_stmt *s = NULL, *ins = NULL;
	int r;

	if (n->check_revoked) {
		r = db_prepare_int64(tx, "SELECT 1 FROM crl WHERE serial=?", n->serial, &s);
		if (r < 0)
			return r;
		r = db_step(s);
		if (r != 0)
			return r < 0 ? r : NONCE_REVOKED;
	}
	r = db_prepare_text(tx, "INSERT INTO nonce VALUES (?, ?)", n->key, &ins);
	if (r < 0)
		return r;
	sqlite3_bind_int64(ins, 2, n->expires);
	return db_step(ins); /* 0, -EEXIST: replay */
}

/*
 * Check a signed request.  On refusal returns the HTTP status and sets
 * *ret_msg; 0 when accepted.
 */
static unsigned check_signed(struct registry *reg, struct MHD_Connection *c,
			     const struct rpc_def *def, const char *query, size_t qlen,
			     const struct request *rq, uint64_t now, struct re6st_cert *ret_cert,
			     struct reqsig *ret_sig, char ret_bits[129], const char **ret_msg)
{
	const char *cert_h = MHD_lookup_connection_value(c, MHD_HEADER_KIND, HDR_CERT);
	const char *sig_h = MHD_lookup_connection_value(c, MHD_HEADER_KIND, HDR_SIG);
	uint8_t raw[CERT_SIZE + 8];
	size_t raw_len;
	char key[NONCE_KEY_HEXLEN];
	_cleanup_free_ uint8_t *signed_data = NULL;
	size_t slen = qlen + 1 + rq->body_len;
	int r;

	if (!cert_h || !sig_h) {
		*ret_msg = "forbidden: signed RPC needs " HDR_CERT " and " HDR_SIG " headers";
		return 403;
	}
	if (sodium_base642bin(raw, sizeof(raw), cert_h, strlen(cert_h), NULL, &raw_len, NULL,
			      sodium_base64_VARIANT_ORIGINAL) != 0 ||
	    cert_decode(raw, raw_len, ret_cert) < 0) {
		*ret_msg = "bad request: malformed " HDR_CERT " header";
		return 400;
	}
	r = (def->flags & RPC_EXPIRED_OK) ? cert_verify_signature(ret_cert, &reg->ca)
					  : cert_verify(ret_cert, &reg->ca, now);
	if (r < 0) {
		*ret_msg = cert_error(r);
		return r == -EBADMSG ? 400 : 403;
	}
	if (reqsig_parse(sig_h, strlen(sig_h), ret_sig) < 0) {
		*ret_msg = "bad request: malformed " HDR_SIG " header";
		return 400;
	}
	signed_data = malloc(slen);
	if (!signed_data) {
		*ret_msg = "out of memory";
		return 503;
	}
	memcpy(signed_data, query, qlen);
	signed_data[qlen] = '\n';
	if (rq->body_len)
		memcpy(signed_data + qlen + 1, rq->body, rq->body_len);
	r = reqsign_verify(ret_cert, def->name, signed_data, slen, ret_sig, now, NONCE_WINDOW);
	if (r == -ETIME) {
		*ret_msg = "forbidden: request timestamp outside the accepted window (check the clock)";
		return 403;
	}
	if (r < 0) {
		*ret_msg = "forbidden: request signature does not verify";
		return 403;
	}
	if (prefix_to_bit_string(&reg->ca.network, &ret_cert->node, ret_bits) < 0) {
		*ret_msg = cert_error(-EXDEV);
		return 403;
	}
	reqsign_nonce_key(ret_cert, ret_sig, key);

	{
		struct nonce_ctx n = { .check_revoked = !(def->flags & RPC_EXPIRED_OK),
				       .serial = (int64_t)ret_cert->serial, .key = key,
				       .expires = (int64_t)(ret_sig->timestamp + NONCE_WINDOW) };
		r = db_read(reg->db, "nonce", nonce_record, &n);
	}
	if (r == NONCE_REVOKED) {
		*ret_msg = cert_error(-EKEYREVOKED);
		return 403;
	}
	if (r == -EEXIST) {
		*ret_msg = "forbidden: replayed request (nonce already used)";
		return 403;
	}
	if (r < 0) {
		*ret_msg = "cannot record the request nonce";
		return 503;
	}
	return 0;
}

/* The origin and every X-Forwarded-For hop in --authorized-origin. */
static bool authorized(const struct registry *reg, const char *ip, const char *xff)
{
	return registry_origin_allowed(reg, ip) && (!xff || forwarded_allowed(reg, xff));
}

static int page_metrics(struct registry *reg, struct rpc_reply *reply)
{
	int r = metrics_render(reg, &reply->body, &reply->len);

	if (r < 0)
		return r;
	reply->status = 200;
	reply->content_type = "text/plain; version=0.0.4; charset=utf-8";
	return 0;
}

/* Pages for --authorized-origin only, beside the RPCs; arguments are ignored. */
struct page {
	const char *name;
	int (*fn)(struct registry *reg, struct rpc_reply *reply);
};

static const struct page pages[] = {
	{ "metrics", page_metrics },
	{ "status", status_page },
};

static const struct page *page_lookup(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(pages); i++)
		if (strcmp(pages[i].name, name) == 0)
			return &pages[i];
	return NULL;
}

/* A plain reply (body taken). */
static enum MHD_Result send_reply(struct request *rq, struct MHD_Connection *c,
				  struct rpc_reply *reply)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;

	resp = MHD_create_response_from_buffer(reply->len, reply->body, MHD_RESPMEM_MUST_FREE);
	if (!resp) {
		free(reply->body);
		return MHD_NO;
	}
	if (reply->content_type)
		MHD_add_response_header(resp, "Content-Type", reply->content_type);
	ret = queue(rq, c, reply->status ? reply->status : 200, resp);
	MHD_destroy_response(resp);
	return ret;
}

static enum MHD_Result dispatch(struct registry *reg, struct MHD_Connection *c, const char *method,
				struct request *rq)
{
	const char *path = rq->uri, *qmark = strchr(rq->uri, '?');
	const char *query = qmark ? qmark + 1 : "";
	size_t plen = qmark ? (size_t)(qmark - path) : strlen(path);
	char name[REQSIGN_MAX_RPC + 1], ip[INET6_ADDRSTRLEN];
	const char *xff = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-Forwarded-For");
	const struct rpc_def *def;
	const struct page *page;
	struct query q = {};
	struct rpc_reply reply = {};
	struct re6st_cert cert;
	struct reqsig sig;
	char bits[129];
	struct rpc_call call = { .reg = reg, .q = &q, .now = registry_now() };
	const char *err = NULL;
	struct MHD_Response *resp;
	enum MHD_Result ret;
	unsigned status;
	int r;

	client_ip(c, ip);
	call.client_ip = ip;
	if (plen < 2 || path[0] != '/' || plen - 1 > REQSIGN_MAX_RPC) {
		return send_text(rq, c, 404, "not found: unknown RPC");
	}
	memcpy(name, path + 1, plen - 1);
	name[plen - 1] = '\0';
	page = page_lookup(name);
	if (page) {
		rq->rpc = page->name;
		if (!authorized(reg, ip, xff)) {
			remote_log(ip, LOG_WARNING, "%s: /%s refused (origin not authorized)", ip,
				   page->name);
			return send_text(rq, c, 403, "forbidden: origin not authorized");
		}
		r = page->fn(reg, &reply);
		if (r < 0) {
			remote_log(ip, LOG_ERR, "%s: /%s failed: %s", ip, page->name, strerror(-r));
			return send_text(rq, c, 500, "internal error");
		}
		return send_reply(rq, c, &reply);
	}
	def = rpc_lookup(name);
	if (!def) {
		remote_log(ip, LOG_DEBUG, "%s: unknown RPC %.40s", ip, name);
		return send_text(rq, c, 404, "not found: unknown RPC");
	}
	call.name = rq->rpc = def->name;
	if (def->flags & RPC_PRIVATE) {
		if (!authorized(reg, ip, xff)) {
			remote_log(ip, LOG_WARNING, "%s: private RPC %s refused (origin not authorized)",
				   ip, name);
			return send_text(rq, c, 403, "forbidden: private RPC, origin not authorized");
		}
	} else if (xff && registry_origin_allowed(reg, ip)) {
		/* Behind an authorized reverse proxy: the client is the first hop. */
		size_t n = strcspn(xff, ", ");
		if (n < sizeof(ip)) {
			memcpy(ip, xff, n);
			ip[n] = '\0';
		}
	}
	r = query_parse(&q, query, strlen(query), &err);
	if (r == 0 && rq->body_len) {
		const char *ct = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Type");
		if (!ct || strncasecmp(ct, "application/x-www-form-urlencoded", 33) != 0) {
			query_clear(&q);
			return send_text(rq, c, 415, "unsupported media type: body must be "
						 "application/x-www-form-urlencoded");
		}
		r = query_parse(&q, rq->body, rq->body_len, &err);
	}
	if (r < 0) {
		char msg[160];
		query_clear(&q);
		snprintf(msg, sizeof(msg), "bad request: %s", err ? err : "malformed arguments");
		return send_text(rq, c, 400, msg);
	}
	{
		const char *unknown = query_unknown_key(&q, def->args);
		if (unknown) {
			char msg[160];
			snprintf(msg, sizeof(msg), "bad request: unknown argument '%s' for %s", unknown,
				 def->name);
			query_clear(&q);
			return send_text(rq, c, 400, msg);
		}
	}
	if (def->flags & RPC_SIGNED) {
		const char *msg = NULL;
		status = check_signed(reg, c, def, query, strlen(query), rq, call.now, &cert, &sig,
				      bits, &msg);
		if (status) {
			remote_log(ip, LOG_INFO, "%s: %s refused: %s", ip, name, msg);
			query_clear(&q);
			return send_text(rq, c, status, msg);
		}
		call.cert = &cert;
		call.cert_prefix = bits;
	}

	r = def->fn(&call, &reply);
	query_clear(&q);
	if (r < 0) {
		remote_log(ip, LOG_ERR, "%s: %s failed: %s", ip, name, strerror(-r));
		free(reply.body);
		return send_text(rq, c, 500, "internal error");
	}
	if (reply.response) {
		pthread_mutex_lock(&reg->lock);
		ret = queue(rq, c, reply.status, reg->netconf_response);
		pthread_mutex_unlock(&reg->lock);
		return ret;
	}
	if (reply.body)
		resp = MHD_create_response_from_buffer(reply.len, reply.body,
						       MHD_RESPMEM_MUST_FREE);
	else
		resp = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
	if (!resp) {
		free(reply.body);
		return MHD_NO;
	}
	if (reply.content_type)
		MHD_add_response_header(resp, "Content-Type", reply.content_type);
	if ((def->flags & RPC_SIGNED) && reply.status < 300) {
		uint8_t as[RE6ST_SIG_LEN];
		char as_s[SIG_STRLEN];
		if (answer_sign(reg->ca_key, def->name, sig.nonce, (const uint8_t *)reply.body,
				reply.len, as) == 0)
			MHD_add_response_header(resp, HDR_ANSWER_SIG, sig_to_string(as, as_s));
	}
	ret = queue(rq, c, reply.status ? reply.status : 200, resp);
	MHD_destroy_response(resp);
	return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
				  const char *method, const char *version, const char *upload_data,
				  size_t *upload_size, void **req_cls)
{
	struct http_server *h = cls;
	struct registry *reg = h->reg;
	struct request *rq = *req_cls;

	if (!rq) {
		struct conn *k = conn_of(c);
		const char *cl;

		rq = calloc(1, sizeof(*rq));
		if (!rq)
			return MHD_NO;
		*req_cls = rq; /* freed by on_completed() from now on */
		rq->rpc = "unknown";
		clock_gettime(CLOCK_MONOTONIC, &rq->start);
		rq->uri = k ? conn_take_uri(k) : NULL;
		if (!rq->uri)
			return MHD_NO;
		if (count_args(rq->uri) > MAX_ARGS)
			return send_text(rq, c, 414, "URI too long: too many arguments");
		if (strcmp(method, "GET") != 0 && strcmp(method, "POST") != 0)
			return send_text(rq, c, 405, "method not allowed: use GET or POST");
		cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Length");
		if (cl && strtoull(cl, NULL, 10) > reg->opt.max_body)
			return send_text(rq, c, 413, "payload too large");
		return MHD_YES;
	}
	if (*upload_size) {
		if (rq->too_big || rq->body_len + *upload_size > reg->opt.max_body) {
			/* Chunked body over the limit: stop reading, answer 413. */
			rq->too_big = true;
			*upload_size = 0;
			return MHD_YES;
		}
		char *b = realloc(rq->body, rq->body_len + *upload_size + 1);
		if (!b)
			return MHD_NO;
		memcpy(b + rq->body_len, upload_data, *upload_size);
		rq->body = b;
		rq->body_len += *upload_size;
		rq->body[rq->body_len] = '\0';
		*upload_size = 0;
		return MHD_YES;
	}
	if (rq->too_big)
		return send_text(rq, c, 413, "payload too large");
	{
		struct conn *k = conn_of(c);
		if (k)
			conn_request_received(h->conns, k);
	}
	return dispatch(reg, c, method, rq);
}

int http_start(struct registry *reg, const char *addr, unsigned port, struct http_server **ret)
{
	struct sockaddr_storage ss = {};
	struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ERROR_LOG |
			 MHD_USE_ITC; /* for MHD_quiesce_daemon() */
	const struct registry_options *o = &reg->opt;
	_cleanup_free_ struct http_server *h = NULL;
	int r;

	if (inet_pton(AF_INET, addr, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)port);
	} else if (inet_pton(AF_INET6, addr, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)port);
		flags |= MHD_USE_IPv6;
	} else
		return -EINVAL;
	h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	h->reg = reg;
	r = conn_table_new(o->request_deadline, o->max_per_address,
			   (const char *const *)o->origins, o->n_origins, &h->conns);
	if (r < 0)
		return r;
	h->d = MHD_start_daemon(flags, (uint16_t)port, conn_accept, h->conns, on_request, h,
				MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, NULL,
				MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
				MHD_OPTION_NOTIFY_CONNECTION, conn_notify, h->conns,
				MHD_OPTION_URI_LOG_CALLBACK, on_uri, h,
				MHD_OPTION_NOTIFY_COMPLETED, on_completed, h,
				MHD_OPTION_THREAD_POOL_SIZE, (unsigned)o->threads,
				MHD_OPTION_CONNECTION_LIMIT, (unsigned)o->max_connections,
				MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)o->timeout,
				MHD_OPTION_CONNECTION_MEMORY_LIMIT, o->connection_memory,
				MHD_OPTION_LISTEN_BACKLOG_SIZE, 1024u,
				MHD_OPTION_END);
	if (!h->d) {
		conn_table_free(h->conns);
		return -EADDRINUSE;
	}
	*ret = TAKE_PTR(h);
	return 0;
}

void http_stop(struct http_server *h)
{
	if (!h)
		return;
	MHD_quiesce_daemon(h->d);
	conn_drain(h->conns, 2000);
	MHD_stop_daemon(h->d);
	conn_table_free(h->conns);
	free(h);
}
