/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "rc-internal.h"

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "armour.h"
#include "config.h"
#include "macro.h"
#include "reqsign.h"
#include "transport.h"

void rci_answer_clear(struct answer *a)
{
	free(a->body);
	*a = (struct answer){};
}

int rci_set_error(struct registry_client *c, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->error, sizeof(c->error), fmt, ap);
	va_end(ap);
	return err;
}

const char *registry_client_error(const struct registry_client *c)
{
	return c->error;
}

int registry_client_new(const char *url, const struct registry_client_options *opt,
			struct registry_client **ret)
{
	struct registry_client *c;
	size_t n;

	if (!url || (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0))
		return -EINVAL;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->url = strdup(url);
	if (!c->url) {
		free(c);
		return -ENOMEM;
	}
	n = strlen(c->url);
	while (n > 8 && c->url[n - 1] == '/')
		c->url[--n] = '\0';
	if (opt)
		c->opt = *opt;
	if (!c->opt.timeout_ms)
		c->opt.timeout_ms = 10000;
	if (!opt)
		c->opt.retries = 3;
	if (!c->opt.backoff_ms)
		c->opt.backoff_ms = 500;
	if (!c->opt.user_agent)
		c->opt.user_agent = "re6st/" RE6ST_VERSION;
	if (rc_transport_init() < 0) {
		registry_client_free(c);
		return -ENOMEM;
	}
	*ret = c;
	return 0;
}

void registry_client_free(struct registry_client *c)
{
	if (!c)
		return;
	free(c->url);
	free(c);
}

void registry_client_set_ca(struct registry_client *c, const struct re6st_ca *ca)
{
	c->ca = *ca;
	c->has_ca = true;
}

void registry_client_set_identity(struct registry_client *c, const struct re6st_key *k,
				  const struct re6st_cert *cert)
{
	c->key = k;
	c->cert = cert;
}

void rci_prepared_clear(struct prepared *p)
{
	free(p->hdr[0]);
	free(p->hdr[1]);
	*p = (struct prepared){};
}

/* Prepare one attempt (signing the request when asked: a fresh nonce each time). */
int rci_prepare(struct registry_client *c, const char *rpc, const char *url,
		   const char *query, unsigned flags, uint8_t nonce[16], struct prepared *ret)
{
	struct prepared p = {
		.req = { .url = url, .timeout_ms = c->opt.timeout_ms,
			 .user_agent = c->opt.user_agent, .cainfo = c->opt.cainfo,
			 .helper = c->opt.fetch_helper },
	};

	if (flags & CALL_SIGNED) {
		uint8_t raw[CERT_SIZE];
		char b64[sodium_base64_ENCODED_LEN(CERT_SIZE, sodium_base64_VARIANT_ORIGINAL)];
		char sig_s[REQSIGN_STRLEN];
		_cleanup_free_ char *data = NULL;
		struct reqsig sig;
		size_t qlen = strlen(query);
		int r;

		if (!c->key || !c->cert)
			return rci_set_error(c, -EINVAL, "%s: signed RPC without a node identity", rpc);
		data = malloc(qlen + 2);
		if (!data)
			return -ENOMEM;
		memcpy(data, query, qlen);
		data[qlen] = '\n';
		r = reqsign_sign(c->key, c->cert, rpc, (const uint8_t *)data, qlen + 1,
				 (uint64_t)time(NULL), &sig);
		if (r < 0)
			return rci_set_error(c, r, "%s: cannot sign the request (key and certificate"
					       " do not match?)", rpc);
		memcpy(nonce, sig.nonce, REQSIGN_NONCE_LEN);
		cert_encode(c->cert, raw);
		sodium_bin2base64(b64, sizeof(b64), raw, sizeof(raw), sodium_base64_VARIANT_ORIGINAL);
		if (asprintf(&p.hdr[0], "Re6st-Cert: %s", b64) < 0) {
			p.hdr[0] = NULL;
			return -ENOMEM;
		}
		if (asprintf(&p.hdr[1], "Re6st-Signature: %s", reqsig_format(&sig, sig_s)) < 0) {
			p.hdr[1] = NULL;
			rci_prepared_clear(&p);
			return -ENOMEM;
		}
		p.req.n_headers = 2;
	}
	*ret = p;
	ret->hdrs[0] = ret->hdr[0];
	ret->hdrs[1] = ret->hdr[1];
	ret->req.headers = ret->hdrs;
	return 0;
}

/* The transport's answer as ours (body moved), or its error in c->error. */
int rci_take_response(struct registry_client *c, const char *url, int r,
			 struct rc_response *resp, const char *err, struct answer *a)
{
	if (r < 0)
		return rci_set_error(c, r, "%s: %s", url, err[0] ? err : strerror(-r));
	rci_answer_clear(a);
	a->status = resp->status;
	a->body = TAKE_PTR(resp->body);
	a->len = resp->len;
	a->has_sig = resp->has_signature &&
		     sig_from_string(resp->signature, strlen(resp->signature), a->sig) == 0;
	rc_response_clear(resp);
	return 0;
}

static int perform_once(struct registry_client *c, const char *rpc, const char *url,
			const char *query, unsigned flags, struct answer *a, uint8_t nonce[16])
{
	struct prepared p;
	struct rc_response resp = {};
	char err[RC_ERRLEN] = "";
	int r;

	r = rci_prepare(c, rpc, url, query, flags, nonce, &p);
	if (r < 0)
		return r;
	r = rc_transport_perform(&p.req, &resp, err);
	rci_prepared_clear(&p);
	return rci_take_response(c, url, r, &resp, err, a);
}

/* Perform with retries; on success a->status is any HTTP status. */
static int perform(struct registry_client *c, const char *rpc, const char *query, unsigned flags,
		   struct answer *a, uint8_t nonce[16])
{
	_cleanup_free_ char *url = NULL;
	long backoff = c->opt.backoff_ms;
	int r;

	if (asprintf(&url, "%s/%s%s%s", c->url, rpc, query[0] ? "?" : "", query) < 0)
		return -ENOMEM;
	for (unsigned attempt = 0;; attempt++) {
		rci_answer_clear(a);
		c->error[0] = '\0';
		r = perform_once(c, rpc, url, query, flags, a, nonce);
		bool transient = (r == -ECONNREFUSED || r == -ETIMEDOUT || r == -EIO) ||
				 (r == 0 && a->status >= 500);
		/* A refused connection never reached the registry: safe to retry anything. */
		bool may_retry = (flags & CALL_RETRY) || r == -ECONNREFUSED;
		if (!transient || !may_retry || attempt >= c->opt.retries)
			return r;
		struct timespec ts = { backoff / 1000, (backoff % 1000) * 1000000L };
		nanosleep(&ts, NULL);
		backoff *= 2;
	}
}

/* Map a non-2xx status to an errno, with the registry's message. */
static int status_error(struct registry_client *c, const char *rpc, const struct answer *a)
{
	char msg[256] = "";
	int err;

	if (a->body) {
		size_t n = strcspn(a->body, "\r\n");
		snprintf(msg, sizeof(msg), "%.*s", (int)MIN(n, sizeof(msg) - 1), a->body);
	}
	switch (a->status) {
	case 400: err = -EINVAL; break;
	case 403: err = -EACCES; break;
	case 404: err = -ENOENT; break;
	default: err = -EPROTO; break;
	}
	return rci_set_error(c, err, "%s/%s: HTTP %u%s%s", c->url, rpc, a->status, msg[0] ? ": " : "",
			 msg);
}

/*
 * Full call: perform, require 200 (or 204 when allow_empty), verify the answer
 * signature of signed calls.
 */
int rci_call(struct registry_client *c, const char *rpc, const char *query, unsigned flags,
		bool allow_empty, struct answer *a)
{
	uint8_t nonce[REQSIGN_NONCE_LEN] = {};
	int r;

	if ((flags & CALL_SIGNED) && !c->has_ca)
		return rci_set_error(c, -EINVAL, "%s: no CA set to verify answers", rpc);
	r = perform(c, rpc, query, flags, a, nonce);
	if (r < 0)
		return r;
	return rci_check_answer(c, rpc, flags, allow_empty, a, nonce);
}

int rci_check_answer(struct registry_client *c, const char *rpc, unsigned flags,
			bool allow_empty, struct answer *a, const uint8_t nonce[16])
{
	if (a->status == 204) {
		if (allow_empty)
			return 0;
		return rci_set_error(c, -ENOENT, "%s/%s: empty answer", c->url, rpc);
	}
	if (a->status != 200)
		return status_error(c, rpc, a);
	if (flags & CALL_SIGNED) {
		if (!a->has_sig)
			return rci_set_error(c, -EKEYREJECTED, "%s/%s: answer is not signed", c->url, rpc);
		if (answer_verify(&c->ca, rpc, nonce, (const uint8_t *)(a->body ? a->body : ""),
				  a->len, a->sig) < 0)
			return rci_set_error(c, -EKEYREJECTED,
					 "%s/%s: answer signature does not verify (not our registry?)",
					 c->url, rpc);
	}
	if (!a->body) {
		a->body = strdup("");
		if (!a->body)
			return -ENOMEM;
	}
	return 0;
}

int rc_call_raw(struct registry_client *c, const char *rpc, const char *query, bool sign,
		unsigned *ret_status, char **ret_body, size_t *ret_len)
{
	struct answer a = {};
	uint8_t nonce[REQSIGN_NONCE_LEN];
	int r = perform(c, rpc, query ? query : "", sign ? CALL_SIGNED : 0, &a, nonce);

	if (r < 0) {
		rci_answer_clear(&a);
		return r;
	}
	*ret_status = a.status;
	*ret_len = a.len;
	*ret_body = a.body ? a.body : strdup("");
	return *ret_body ? 0 : -ENOMEM;
}

/* Percent-encoding of every byte but the unreserved ones (RFC 3986). */
static char *url_escape(const char *v)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t n = strlen(v);
	char *e = malloc(3 * n + 1), *o = e;

	if (!e)
		return NULL;
	for (const unsigned char *p = (const unsigned char *)v; *p; p++) {
		if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		    (*p >= '0' && *p <= '9') || *p == '-' || *p == '.' || *p == '_' || *p == '~')
			*o++ = (char)*p;
		else {
			*o++ = '%';
			*o++ = hex[*p >> 4];
			*o++ = hex[*p & 15];
		}
	}
	*o = '\0';
	return e;
}

/* "k1=v1&k2=v2" from NULL-terminated pairs; NULL values skipped. */
char *rci_build_query(const char *k, ...)
{
	_cleanup_free_ char *q = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&q, &len);
	bool first = true;
	va_list ap;

	if (!f)
		return NULL;
	va_start(ap, k);
	for (; k; k = va_arg(ap, const char *)) {
		const char *v = va_arg(ap, const char *);
		char *e;
		if (!v)
			continue;
		e = url_escape(v);
		if (!e) {
			va_end(ap);
			fclose(f);
			return NULL;
		}
		fprintf(f, "%s%s=%s", first ? "" : "&", k, e);
		free(e);
		first = false;
	}
	va_end(ap);
	if (fclose(f) != 0)
		return NULL;
	return TAKE_PTR(q);
}

int rc_get_ca(struct registry_client *c, struct re6st_ca *ret)
{
	struct answer a = {};
	int r = rci_call(c, "getCa", "", CALL_RETRY, false, &a);

	if (r == 0) {
		r = ca_from_armour(a.body, a.len, ret);
		if (r < 0)
			rci_set_error(c, r, "%s/getCa: invalid CA: %s", c->url, identity_strerror(r));
	}
	rci_answer_clear(&a);
	return r;
}

int rci_parse_netconf_answer(struct registry_client *c, const struct answer *a,
				struct re6st_netconf **ret, uint8_t **ret_encoded,
				size_t *ret_encoded_len)
{
	struct re6st_netconf *nc = NULL;
	uint8_t *enc = NULL;
	size_t enc_len;
	int r = netconf_from_armour(a->body, a->len, &c->ca, &nc, &enc, &enc_len);

	if (r < 0)
		return rci_set_error(c, r, "%s/getNetworkConfig: %s", c->url, identity_strerror(r));
	*ret = nc;
	if (ret_encoded) {
		*ret_encoded = enc;
		*ret_encoded_len = enc_len;
	} else
		free(enc);
	return 0;
}

int rc_get_network_config(struct registry_client *c, struct re6st_netconf **ret,
			  uint8_t **ret_encoded, size_t *ret_encoded_len)
{
	struct answer a = {};
	int r;

	if (!c->has_ca)
		return rci_set_error(c, -EINVAL, "getNetworkConfig: no CA set");
	r = rci_call(c, "getNetworkConfig", "", CALL_RETRY, false, &a);
	if (r == 0)
		r = rci_parse_netconf_answer(c, &a, ret, ret_encoded, ret_encoded_len);
	rci_answer_clear(&a);
	return r;
}

int rc_request_token(struct registry_client *c, const char *email)
{
	_cleanup_free_ char *q = rci_build_query("email", email, NULL);
	struct answer a = {};
	int r;

	if (!q)
		return -ENOMEM;
	r = rci_call(c, "requestToken", q, 0, true, &a);
	rci_answer_clear(&a);
	return r;
}

static int parse_cert_answer(struct registry_client *c, const char *rpc, struct answer *a,
			     struct re6st_cert *ret, char **ret_armour)
{
	struct re6st_cert cert;
	int r;

	if (!c->has_ca)
		return rci_set_error(c, -EINVAL, "%s: no CA set", rpc);
	r = cert_from_armour(a->body, a->len, &c->ca, (uint64_t)time(NULL), &cert);
	if (r < 0)
		return rci_set_error(c, r, "%s/%s: invalid certificate in answer: %s", c->url, rpc,
				 identity_strerror(r));
	*ret = cert;
	if (ret_armour)
		*ret_armour = TAKE_PTR(a->body);
	return 0;
}

int rc_request_certificate(struct registry_client *c, const char *token,
			   const struct re6st_key *k, const char *location,
			   struct re6st_cert *ret, char **ret_armour)
{
	char pk[RE6ST_KEY_B64LEN], wg[RE6ST_KEY_B64LEN], sig_s[SIG_STRLEN];
	uint8_t pop[64 + 64], sig[RE6ST_SIG_LEN];
	size_t tlen = token ? strlen(token) : 0;
	_cleanup_free_ char *q = NULL;
	struct answer a = {};
	int r;

	if (!k->has_wg || tlen > 64)
		return rci_set_error(c, -EINVAL, "requestCertificate: %s",
				 tlen > 64 ? "token too long" : "key has no WireGuard part");
	memcpy(pop, k->sign_pk, 32);
	memcpy(pop + 32, k->wg_pk, 32);
	if (tlen)
		memcpy(pop + 64, token, tlen);
	data_sign(k, "requestCertificate", pop, 64 + tlen, sig);
	q = rci_build_query("token", tlen ? token : NULL, "pk", key32_to_base64(k->sign_pk, pk), "wg",
			key32_to_base64(k->wg_pk, wg), "sig", sig_to_string(sig, sig_s), "location",
			location, NULL);
	if (!q)
		return -ENOMEM;
	r = rci_call(c, "requestCertificate", q, 0, false, &a);
	if (r == 0)
		r = parse_cert_answer(c, "requestCertificate", &a, ret, ret_armour);
	if (r == 0 && !cert_matches_key(ret, k))
		r = rci_set_error(c, -EKEYREJECTED, "requestCertificate: certificate is for another key");
	rci_answer_clear(&a);
	return r;
}

int rc_get_country(struct registry_client *c, const char *address, char ret[3])
{
	_cleanup_free_ char *q = rci_build_query("address", address, NULL);
	struct answer a = {};
	int r;

	if (!q)
		return -ENOMEM;
	r = rci_call(c, "getCountry", q, CALL_RETRY, true, &a);
	if (r == 0 && a.status == 204)
		r = -ENOENT;
	else if (r == 0) {
		if (a.len < 2 || a.body[0] < 'A' || a.body[0] > 'Z' || a.body[1] < 'A' ||
		    a.body[1] > 'Z')
			r = rci_set_error(c, -EBADMSG, "getCountry: malformed answer");
		else {
			ret[0] = a.body[0];
			ret[1] = a.body[1];
			ret[2] = '\0';
		}
	}
	rci_answer_clear(&a);
	return r;
}

/* A renewed certificate must be for this node: same key, same prefix. */
int rci_parse_renew_answer(struct registry_client *c, struct answer *a,
			      struct re6st_cert *ret, char **ret_armour)
{
	_cleanup_free_ char *armour = NULL;
	struct re6st_cert cert;
	int r = parse_cert_answer(c, "renewCertificate", a, &cert, &armour);

	if (r < 0)
		return r;
	if ((c->key && !cert_matches_key(&cert, c->key)) ||
	    (c->cert && !prefix_equal(&cert.node, &c->cert->node)))
		return rci_set_error(c, -EKEYREJECTED,
				 "renewCertificate: certificate is for another key or prefix");
	*ret = cert;
	if (ret_armour)
		*ret_armour = TAKE_PTR(armour);
	return 0;
}

int rc_renew_certificate(struct registry_client *c, struct re6st_cert *ret, char **ret_armour)
{
	struct answer a = {};
	int r = rci_call(c, "renewCertificate", "", CALL_SIGNED | CALL_RETRY, false, &a);

	if (r == 0)
		r = rci_parse_renew_answer(c, &a, ret, ret_armour);
	rci_answer_clear(&a);
	return r;
}

/* Open an armoured sealed box addressed to this node. */
static int unseal(struct registry_client *c, const char *rpc, const struct answer *a,
		  char **ret, size_t *ret_len)
{
	_cleanup_free_ uint8_t *box = NULL;
	uint8_t *plain = NULL;
	size_t box_len, plen;
	int r;

	r = armour_decode(ARMOUR_SEALED, a->body, a->len, &box, &box_len);
	if (r < 0)
		return rci_set_error(c, -EBADMSG, "%s/%s: malformed sealed answer", c->url, rpc);
	r = seal_open(c->key, box, box_len, &plain, &plen);
	if (r < 0)
		return rci_set_error(c, -EBADMSG, "%s/%s: answer not sealed to this node", c->url, rpc);
	/* Text payload: make sure it is NUL-terminated. */
	char *s = malloc(plen + 1);
	if (!s) {
		sodium_memzero(plain, plen);
		free(plain);
		return -ENOMEM;
	}
	memcpy(s, plain, plen);
	s[plen] = '\0';
	sodium_memzero(plain, plen);
	free(plain);
	*ret = s;
	*ret_len = plen;
	return 0;
}

void rc_bootstrap_peer_clear(struct rc_bootstrap_peer *p)
{
	if (!p)
		return;
	free(p->endpoints);
	p->endpoints = NULL;
}

/* "prefix P\nendpoints E\n<armoured certificate>", sealed to this node. */
int rci_parse_bootstrap_answer(struct registry_client *c, const struct answer *a,
				  struct rc_bootstrap_peer *ret)
{
	_cleanup_free_ char *s = NULL;
	size_t n;
	int r;

	if (a->status == 204)
		return rci_set_error(c, -ENOENT, "getBootstrapPeer: the registry knows no peer");
	r = unseal(c, "getBootstrapPeer", a, &s, &n);
	if (r < 0)
		return r;
	char *l1 = s, *l2 = strchr(l1, '\n'), *rest;
	if (!l2 || strncmp(l1, "prefix ", 7) != 0)
		return rci_set_error(c, -EBADMSG, "getBootstrapPeer: malformed answer");
	*l2++ = '\0';
	rest = strchr(l2, '\n');
	if (!rest || strncmp(l2, "endpoints ", 10) != 0)
		return rci_set_error(c, -EBADMSG, "getBootstrapPeer: malformed answer");
	*rest++ = '\0';
	struct rc_bootstrap_peer p = {};
	if (prefix_parse(l1 + 7, &p.prefix) < 0)
		return rci_set_error(c, -EBADMSG, "getBootstrapPeer: malformed prefix");
	r = cert_from_armour(rest, strlen(rest), &c->ca, (uint64_t)time(NULL), &p.cert);
	if (r < 0)
		return rci_set_error(c, r, "getBootstrapPeer: peer certificate: %s", identity_strerror(r));
	if (!prefix_equal(&p.cert.node, &p.prefix))
		return rci_set_error(c, -EBADMSG, "getBootstrapPeer: prefix and certificate differ");
	p.endpoints = strdup(l2 + 10);
	if (!p.endpoints)
		return -ENOMEM;
	*ret = p;
	return 0;
}

int rc_get_bootstrap_peer(struct registry_client *c, struct rc_bootstrap_peer *ret)
{
	struct answer a = {};
	int r = rci_call(c, "getBootstrapPeer", "", CALL_SIGNED | CALL_RETRY, true, &a);

	if (r == 0)
		r = rci_parse_bootstrap_answer(c, &a, ret);
	rci_answer_clear(&a);
	return r;
}

int rci_parse_announce_answer(struct registry_client *c, const struct answer *a,
			      uint64_t *ret_version)
{
	static const char prefix[] = "version ";
	const size_t plen = sizeof(prefix) - 1;
	uint64_t v = 0;
	bool ok = true;

	/* Nothing (204): no version. Else exactly "version N\n", N decimal
	 * without sign or leading zero. */
	if (a->len) {
		ok = a->len <= 40 && a->len >= plen + 2 && memcmp(a->body, prefix, plen) == 0 &&
		     a->body[a->len - 1] == '\n' && (a->body[plen] != '0' || a->len == plen + 2);
		for (size_t i = plen; ok && i < a->len - 1; i++) {
			unsigned d = (unsigned char)a->body[i] - '0';
			ok = d <= 9 && v <= (UINT64_MAX - d) / 10;
			v = v * 10 + d;
		}
	}
	if (!ok)
		return rci_set_error(c, -EBADMSG, "announce: malformed answer");
	if (ret_version)
		*ret_version = v;
	return 0;
}

int rc_announce(struct registry_client *c, const char *endpoints, uint64_t *ret_version)
{
	_cleanup_free_ char *q = rci_build_query("endpoints", endpoints, NULL);
	struct answer a = {};
	int r;

	if (!q)
		return -ENOMEM;
	r = rci_call(c, "announce", q, CALL_SIGNED | CALL_RETRY, true, &a);
	if (r == 0)
		r = rci_parse_announce_answer(c, &a, ret_version);
	rci_answer_clear(&a);
	return r;
}

static int parse_hex_key(const char *hex, uint8_t out[32], size_t *ret_len)
{
	size_t n;

	if (sodium_hex2bin(out, 32, hex, strlen(hex), NULL, &n, NULL) != 0 || n == 0)
		return -EBADMSG;
	*ret_len = n;
	return 0;
}

int rci_parse_hmac_answer(struct registry_client *c, const struct answer *a,
			     struct rc_hmac *ret)
{
	_cleanup_free_ char *s = NULL;
	struct rc_hmac h = {};
	size_t n;
	char *save = NULL;
	int r = unseal(c, "getHMAC", a, &s, &n);

	if (r < 0)
		return r;
	for (char *l = strtok_r(s, "\n", &save); l && r == 0; l = strtok_r(NULL, "\n", &save)) {
		if (strncmp(l, "version ", 8) == 0)
			h.version = strtoull(l + 8, NULL, 10);
		else if (strncmp(l, "sign ", 5) == 0) {
			r = parse_hex_key(l + 5, h.sign, &h.sign_len);
			h.has_sign = true;
		} else if (strcmp(l, "accept") == 0) {
			h.has_accept = true;
			h.accept_none = true;
		} else if (strncmp(l, "accept ", 7) == 0) {
			r = parse_hex_key(l + 7, h.accept, &h.accept_len);
			h.has_accept = true;
		} else
			r = -EBADMSG;
	}
	sodium_memzero(s, n);
	/* No key at all: a network without babel HMAC (nodes run without). */
	if (r < 0 || (h.has_accept && !h.has_sign)) {
		sodium_memzero(&h, sizeof(h));
		return rci_set_error(c, -EBADMSG, "getHMAC: malformed answer");
	}
	*ret = h;
	sodium_memzero(&h, sizeof(h));
	return 0;
}

int rc_get_hmac(struct registry_client *c, struct rc_hmac *ret)
{
	struct answer a = {};
	int r = rci_call(c, "getHMAC", "", CALL_SIGNED | CALL_RETRY, false, &a);

	if (r == 0)
		r = rci_parse_hmac_answer(c, &a, ret);
	rci_answer_clear(&a);
	return r;
}
