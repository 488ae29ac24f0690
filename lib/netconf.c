/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "netconf.h"

#include <errno.h>
#include <sodium.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "armour.h"
#include "fileio.h"
#include "wire.h"

#define FORMAT_VERSION 1
#define HDR_SIZE 44
enum { H_MAGIC = 0, H_FORMAT = 4, H_RESERVED = 5, H_CAFP = 8, H_VERSION = 24, H_ISSUED = 32,
       H_BODYLEN = 40 };

/* TLV types, docs/network-config.md. */
enum {
	T_NETWORK = 1,
	T_PREFIX_LEN = 2,
	T_ANON_PREFIX_LEN = 3,
	T_HELLO = 4,
	T_CLIENT_COUNT = 5,
	T_MAX_CLIENTS = 6,
	T_TUNNEL_REFRESH = 7,
	T_MIN_PROTOCOL = 8,
	T_TUNNEL_TYPES = 9,
	T_IPV4 = 10,
	T_REGISTRY_PREFIX = 11,
	T_SAME_COUNTRY = 12,
	T_REGISTRY_URL = 13,
	T_BABEL_DEFAULT = 14,
	T_GRACE_PERIOD = 15,
	T_ROTATE_SHARE = 16,
	T_BUSY_SHARE = 17,
	T_BUSY_WEIGHT = 18,
	T_DRAIN_LIMIT = 19,
	T_ANCHOR_SHARE = 20,
	T_ANCHORS = 21,
	T_LINK_COST = 22,
	T_SMOOTHING = 23,
	T_DEAD_AFTER = 24,
	_T_SINGLE_MAX = 32, /* types below are singletons */
	T_REVOKED = 32,
};
#define PREFIX_BYTES 17
#define REVOKED_BYTES (8 + 8 + PREFIX_BYTES)

int netconf_new(struct re6st_netconf **ret)
{
	struct re6st_netconf *nc = calloc(1, sizeof(*nc));
	if (!nc)
		return -ENOMEM;
	nc->prefix_len = NETCONF_DEFAULT_PREFIX_LEN;
	nc->hello = NETCONF_DEFAULT_HELLO;
	nc->client_count = NETCONF_DEFAULT_CLIENT_COUNT;
	nc->tunnel_refresh = NETCONF_DEFAULT_TUNNEL_REFRESH;
	nc->grace_period = NETCONF_DEFAULT_GRACE_PERIOD;
	nc->tunnel_types = NETCONF_DEFAULT_TUNNEL_TYPES;
	nc->rotate_share = NETCONF_DEFAULT_ROTATE_SHARE;
	nc->busy_share = NETCONF_DEFAULT_BUSY_SHARE;
	nc->busy_weight = NETCONF_DEFAULT_BUSY_WEIGHT;
	nc->anchor_share = NETCONF_DEFAULT_ANCHOR_SHARE;
	nc->drain_limit = NETCONF_DEFAULT_DRAIN_LIMIT;
	nc->link_cost = NETCONF_DEFAULT_LINK_COST;
	nc->smoothing = NETCONF_DEFAULT_SMOOTHING;
	nc->dead_after = NETCONF_DEFAULT_DEAD_AFTER;
	*ret = nc;
	return 0;
}

void netconf_free(struct re6st_netconf *nc)
{
	if (!nc)
		return;
	free(nc->same_country);
	free(nc->registry_url);
	free(nc->babel_default);
	free(nc->revoked);
	free(nc);
}

static bool string_ok(const char *s, size_t n)
{
	if (n == 0 || n > NETCONF_MAX_STRING)
		return false;
	for (size_t i = 0; i < n; i++)
		if (s[i] < 0x20 || s[i] > 0x7e)
			return false;
	return true;
}

int netconf_set_string(char **field, const char *s)
{
	char *copy = NULL;
	if (s && *s) {
		if (!string_ok(s, strlen(s)))
			return -EINVAL;
		copy = strdup(s);
		if (!copy)
			return -ENOMEM;
	}
	free(*field);
	*field = copy;
	return 0;
}

/* Index of the first entry with serial >= s. */
static size_t revoked_lower_bound(const struct re6st_netconf *nc, uint64_t s)
{
	size_t lo = 0, hi = nc->n_revoked;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (nc->revoked[mid].serial < s)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

int netconf_add_revoked(struct re6st_netconf *nc, uint64_t serial, uint64_t not_after,
			const struct re6st_prefix *prefix)
{
	size_t i;
	struct netconf_revoked *n;

	if (!prefix_is_canonical(prefix))
		return -EINVAL;
	i = revoked_lower_bound(nc, serial);
	if (i < nc->n_revoked && nc->revoked[i].serial == serial)
		return 0;
	if (nc->n_revoked >= NETCONF_MAX_REVOKED)
		return -E2BIG;
	if (nc->n_revoked == nc->cap_revoked) {
		/* Doubling: the registry adds a whole list one entry at a time. */
		size_t cap = nc->cap_revoked ? 2 * nc->cap_revoked : 16;
		if (cap > NETCONF_MAX_REVOKED)
			cap = NETCONF_MAX_REVOKED;
		n = realloc(nc->revoked, cap * sizeof(*n));
		if (!n)
			return -ENOMEM;
		nc->revoked = n;
		nc->cap_revoked = cap;
	}
	n = nc->revoked;
	memmove(n + i + 1, n + i, (nc->n_revoked - i) * sizeof(*n));
	/* Zeroed padding keeps entries comparable with memcmp. */
	memset(&n[i], 0, sizeof(*n));
	n[i].serial = serial;
	n[i].not_after = not_after;
	n[i].prefix = *prefix;
	nc->n_revoked++;
	return 0;
}

size_t netconf_prune_revoked(struct re6st_netconf *nc, uint64_t now)
{
	size_t kept = 0, dropped;
	for (size_t i = 0; i < nc->n_revoked; i++)
		if (nc->revoked[i].not_after >= now)
			nc->revoked[kept++] = nc->revoked[i];
	dropped = nc->n_revoked - kept;
	nc->n_revoked = kept;
	return dropped;
}

const struct netconf_revoked *netconf_find_revoked(const struct re6st_netconf *nc,
						   uint64_t serial)
{
	size_t i = revoked_lower_bound(nc, serial);
	if (i < nc->n_revoked && nc->revoked[i].serial == serial)
		return &nc->revoked[i];
	return NULL;
}

int netconf_check_cert(const struct re6st_netconf *nc, const struct re6st_cert *cert,
		       const struct re6st_ca *ca, uint64_t now)
{
	int r = cert_verify(cert, ca, now);
	if (r < 0)
		return r;
	if (netconf_find_revoked(nc, cert->serial))
		return -EKEYREVOKED;
	return 0;
}

int netconf_node_ipv4(const struct re6st_netconf *nc, uint32_t subject_serial,
		      uint8_t ret_subnet[4], uint8_t ret_addr[4])
{
	if (!nc->has_ipv4)
		return -ENOENT;
	unsigned bits = (unsigned)nc->ipv4_sublen - nc->ipv4_len;
	if (nc->ipv4_sublen > 32 || nc->ipv4_sublen < nc->ipv4_len ||
	    (bits < 32 && subject_serial >> bits))
		return -ERANGE;
	uint32_t net = get_be32(nc->ipv4_net);
	uint32_t sub = net | (nc->ipv4_sublen == 32 ? subject_serial
						    : subject_serial << (32 - nc->ipv4_sublen));
	/* The first host of the subnet; a /31 or /32 subnet is the address. */
	uint32_t addr = nc->ipv4_sublen >= 31 ? sub : sub + 1;
	put_be32(ret_subnet, sub);
	put_be32(ret_addr, addr);
	return 0;
}

int netconf_parse_share(const char *s, uint32_t *ret)
{
	/* Digits only: strtod would take hex, exponents and "nan". */
	uint64_t v = 0, scale = NETCONF_MILLION;
	const char *p = s;
	if (*p != '0' && *p != '1')
		return -EINVAL;
	v = (uint64_t)(*p++ - '0') * NETCONF_MILLION;
	if (*p == '.') {
		if (!p[1])
			return -EINVAL;
		for (p++; *p; p++) {
			if (*p < '0' || *p > '9')
				return -EINVAL;
			scale /= 10;
			if (scale == 0 && *p != '0')
				return -EINVAL; /* finer than a millionth */
			v += (uint64_t)(*p - '0') * scale;
		}
	}
	if (*p || v > NETCONF_MILLION)
		return -EINVAL;
	*ret = (uint32_t)v;
	return 0;
}

int netconf_parse_share_option(const char *value, bool nonzero, const char *what,
			       uint32_t *ret, char *err, size_t errlen)
{
	uint32_t v;
	if (netconf_parse_share(value, &v) < 0 || (nonzero && v == 0)) {
		snprintf(err, errlen, "expected a %s, not '%.64s'", what, value);
		return -EINVAL;
	}
	*ret = v;
	return 0;
}

uint32_t netconf_max_clients(const struct re6st_netconf *nc)
{
	if (nc->max_clients)
		return nc->max_clients;
	return nc->client_count > UINT32_MAX / 2 ? UINT32_MAX : 2 * nc->client_count;
}

/* ---- Validation shared by encoder and decoder --------------------------- */

static bool ipv4_ok(const struct re6st_netconf *nc)
{
	uint32_t a, mask;
	if (!nc->has_ipv4)
		return true;
	if (nc->ipv4_len > 32 || nc->ipv4_sublen > 32 || nc->ipv4_sublen < nc->ipv4_len)
		return false;
	a = get_be32(nc->ipv4_net);
	mask = nc->ipv4_len == 0 ? 0 : ~0u << (32 - nc->ipv4_len);
	return (a & ~mask) == 0;
}

/* strict: the encoder also refuses tunnel types it does not know. */
static bool fields_ok(const struct re6st_netconf *nc, bool strict)
{
	if (nc->network.len < 1 || nc->network.len > 120 || !prefix_is_canonical(&nc->network))
		return false;
	if (nc->prefix_len < 1 || nc->prefix_len > 128 - nc->network.len)
		return false;
	if (nc->anonymous_prefix_len > 128 - nc->network.len)
		return false;
	if (nc->tunnel_types == 0 || (strict && (nc->tunnel_types & ~(uint32_t)TUNNEL_ALL)))
		return false;
	if (!ipv4_ok(nc))
		return false;
	if (nc->rotate_share > NETCONF_MILLION || nc->busy_share > NETCONF_MILLION ||
	    nc->busy_weight == 0 || nc->busy_weight > NETCONF_MILLION ||
	    nc->anchor_share > NETCONF_MILLION || nc->drain_limit == 0)
		return false;
	if (nc->link_cost < NETCONF_MIN_LINK_COST || nc->link_cost > NETCONF_MAX_LINK_COST ||
	    nc->smoothing > NETCONF_MAX_SMOOTHING || nc->dead_after < 1 ||
	    nc->dead_after > NETCONF_MAX_DEAD_AFTER)
		return false;
	if (nc->n_anchors > NETCONF_MAX_ANCHORS)
		return false;
	for (size_t i = 0; i < nc->n_anchors; i++)
		if (!prefix_is_canonical(&nc->anchors[i]) ||
		    !prefix_contains(&nc->network, &nc->anchors[i]))
			return false;
	if (nc->has_registry_prefix && (!prefix_is_canonical(&nc->registry_prefix) ||
					!prefix_contains(&nc->network, &nc->registry_prefix)))
		return false;
	for (size_t i = 0; i < nc->n_revoked; i++) {
		if (!prefix_is_canonical(&nc->revoked[i].prefix))
			return false;
		if (i > 0 && nc->revoked[i - 1].serial >= nc->revoked[i].serial)
			return false;
	}
	return true;
}

/* ---- Encoder ------------------------------------------------------------ */

struct writer {
	uint8_t *buf;
	size_t pos;
};

static uint8_t *tlv(struct writer *w, uint16_t type, uint16_t len)
{
	uint8_t *p = w->buf + w->pos;
	put_be16(p, type);
	put_be16(p + 2, len);
	w->pos += 4u + len;
	return p + 4;
}

static void tlv_u8(struct writer *w, uint16_t type, uint8_t v)
{
	*tlv(w, type, 1) = v;
}

static void tlv_u32(struct writer *w, uint16_t type, uint32_t v)
{
	put_be32(tlv(w, type, 4), v);
}

static void put_prefix(uint8_t *p, const struct re6st_prefix *pr)
{
	memcpy(p, pr->addr, 16);
	p[16] = pr->len;
}

static void tlv_prefix(struct writer *w, uint16_t type, const struct re6st_prefix *p)
{
	put_prefix(tlv(w, type, PREFIX_BYTES), p);
}

static void tlv_string(struct writer *w, uint16_t type, const char *s)
{
	size_t n;
	if (!s)
		return;
	n = strlen(s);
	memcpy(tlv(w, type, (uint16_t)n), s, n);
}

static size_t string_tlv_size(const char *s)
{
	return s ? 4 + strlen(s) : 0;
}

int netconf_encode(struct re6st_netconf *nc, const struct re6st_ca *ca,
		   const struct re6st_key *ca_key, uint8_t **ret, size_t *ret_len)
{
	struct writer w = { 0 };
	size_t body, total;
	const char *strs[] = { nc->same_country, nc->registry_url, nc->babel_default };

	if (sodium_init() < 0)
		return -EIO;
	if (memcmp(ca->sign_pk, ca_key->sign_pk, 32) != 0)
		return -EINVAL;
	nc->network = ca->network;
	memcpy(nc->ca_fingerprint, ca->fingerprint, RE6ST_FP_LEN);
	if (!fields_ok(nc, true))
		return -EINVAL;
	for (size_t i = 0; i < ARRAY_SIZE(strs); i++)
		if (strs[i] && !string_ok(strs[i], strlen(strs[i])))
			return -EINVAL;
	if (nc->n_revoked > NETCONF_MAX_REVOKED)
		return -E2BIG;

	body = 4 + PREFIX_BYTES + 2 * (4 + 1) + 15 * (4 + 4); /* 15 u32 fields */
	body += nc->n_anchors ? 4 + nc->n_anchors * PREFIX_BYTES : 0;
	body += nc->has_ipv4 ? 4 + 6 : 0;
	body += nc->has_registry_prefix ? 4 + PREFIX_BYTES : 0;
	for (size_t i = 0; i < ARRAY_SIZE(strs); i++)
		body += string_tlv_size(strs[i]);
	body += nc->n_revoked * (4 + REVOKED_BYTES);
	total = HDR_SIZE + body + RE6ST_SIG_LEN;
	if (total > NETCONF_MAX_SIZE)
		return -E2BIG;

	w.buf = calloc(1, total);
	if (!w.buf)
		return -ENOMEM;
	memcpy(w.buf + H_MAGIC, "R6NC", 4);
	w.buf[H_FORMAT] = FORMAT_VERSION;
	memcpy(w.buf + H_CAFP, nc->ca_fingerprint, RE6ST_FP_LEN);
	put_be64(w.buf + H_VERSION, nc->version);
	put_be64(w.buf + H_ISSUED, nc->issued);
	put_be32(w.buf + H_BODYLEN, (uint32_t)body);
	w.pos = HDR_SIZE;

	tlv_prefix(&w, T_NETWORK, &nc->network);
	tlv_u8(&w, T_PREFIX_LEN, nc->prefix_len);
	tlv_u8(&w, T_ANON_PREFIX_LEN, nc->anonymous_prefix_len);
	tlv_u32(&w, T_HELLO, nc->hello);
	tlv_u32(&w, T_CLIENT_COUNT, nc->client_count);
	tlv_u32(&w, T_MAX_CLIENTS, nc->max_clients);
	tlv_u32(&w, T_TUNNEL_REFRESH, nc->tunnel_refresh);
	tlv_u32(&w, T_MIN_PROTOCOL, nc->min_protocol);
	tlv_u32(&w, T_TUNNEL_TYPES, nc->tunnel_types);
	if (nc->has_ipv4) {
		uint8_t *p = tlv(&w, T_IPV4, 6);
		memcpy(p, nc->ipv4_net, 4);
		p[4] = nc->ipv4_len;
		p[5] = nc->ipv4_sublen;
	}
	if (nc->has_registry_prefix)
		tlv_prefix(&w, T_REGISTRY_PREFIX, &nc->registry_prefix);
	tlv_string(&w, T_SAME_COUNTRY, nc->same_country);
	tlv_string(&w, T_REGISTRY_URL, nc->registry_url);
	tlv_string(&w, T_BABEL_DEFAULT, nc->babel_default);
	tlv_u32(&w, T_GRACE_PERIOD, nc->grace_period);
	tlv_u32(&w, T_ROTATE_SHARE, nc->rotate_share);
	tlv_u32(&w, T_BUSY_SHARE, nc->busy_share);
	tlv_u32(&w, T_BUSY_WEIGHT, nc->busy_weight);
	tlv_u32(&w, T_DRAIN_LIMIT, nc->drain_limit);
	tlv_u32(&w, T_ANCHOR_SHARE, nc->anchor_share);
	if (nc->n_anchors) {
		uint8_t *p = tlv(&w, T_ANCHORS, (uint16_t)(nc->n_anchors * PREFIX_BYTES));
		for (size_t i = 0; i < nc->n_anchors; i++)
			put_prefix(p + i * PREFIX_BYTES, &nc->anchors[i]);
	}
	tlv_u32(&w, T_LINK_COST, nc->link_cost);
	tlv_u32(&w, T_SMOOTHING, nc->smoothing);
	tlv_u32(&w, T_DEAD_AFTER, nc->dead_after);
	for (size_t i = 0; i < nc->n_revoked; i++) {
		const struct netconf_revoked *rv = &nc->revoked[i];
		uint8_t *p = tlv(&w, T_REVOKED, REVOKED_BYTES);
		put_be64(p, rv->serial);
		put_be64(p + 8, rv->not_after);
		put_prefix(p + 16, &rv->prefix);
	}
	if (w.pos != HDR_SIZE + body) {
		free(w.buf);
		return -EIO; /* size computation out of sync: a bug */
	}
	crypto_sign_detached(w.buf + w.pos, NULL, w.buf, w.pos, ca_key->sign_sk);
	*ret = w.buf;
	*ret_len = total;
	return 0;
}

/* ---- Decoder ------------------------------------------------------------ */

/* Check the fixed header and sizes; returns body length or -errno. */
static int check_header(const uint8_t *buf, size_t len, size_t *ret_body)
{
	uint32_t body;
	if (len > NETCONF_MAX_SIZE)
		return -EFBIG;
	if (len < HDR_SIZE + RE6ST_SIG_LEN || memcmp(buf + H_MAGIC, "R6NC", 4) != 0 ||
	    buf[H_FORMAT] != FORMAT_VERSION || !all_zero(buf + H_RESERVED, 3))
		return -EBADMSG;
	body = get_be32(buf + H_BODYLEN);
	if (body != len - HDR_SIZE - RE6ST_SIG_LEN)
		return -EBADMSG;
	*ret_body = body;
	return 0;
}

int netconf_peek_version(const uint8_t *buf, size_t len, uint64_t *ret)
{
	size_t body;
	int r = check_header(buf, len, &body);
	if (r < 0)
		return r;
	*ret = get_be64(buf + H_VERSION);
	return 0;
}

static void get_prefix(const uint8_t *p, struct re6st_prefix *ret)
{
	memcpy(ret->addr, p, 16);
	ret->len = p[16];
}

static int dup_string(const uint8_t *p, size_t n, char **field)
{
	char *s;
	if (!string_ok((const char *)p, n))
		return -EBADMSG;
	s = malloc(n + 1);
	if (!s)
		return -ENOMEM;
	memcpy(s, p, n);
	s[n] = 0;
	free(*field);
	*field = s;
	return 0;
}

/* Expected length of a known TLV type, 0 for strings, -1 unknown. */
static int known_len(uint16_t type)
{
	switch (type) {
	case T_NETWORK:
	case T_REGISTRY_PREFIX:
		return PREFIX_BYTES;
	case T_PREFIX_LEN:
	case T_ANON_PREFIX_LEN:
		return 1;
	case T_HELLO:
	case T_CLIENT_COUNT:
	case T_MAX_CLIENTS:
	case T_TUNNEL_REFRESH:
	case T_MIN_PROTOCOL:
	case T_TUNNEL_TYPES:
	case T_GRACE_PERIOD:
	case T_ROTATE_SHARE:
	case T_BUSY_SHARE:
	case T_BUSY_WEIGHT:
	case T_DRAIN_LIMIT:
	case T_ANCHOR_SHARE:
	case T_LINK_COST:
	case T_SMOOTHING:
	case T_DEAD_AFTER:
		return 4;
	case T_IPV4:
		return 6;
	case T_SAME_COUNTRY:
	case T_REGISTRY_URL:
	case T_BABEL_DEFAULT:
	case T_ANCHORS: /* a multiple of PREFIX_BYTES, checked below */
		return 0;
	case T_REVOKED:
		return REVOKED_BYTES;
	default:
		return -1;
	}
}

static size_t count_revoked(const uint8_t *p, size_t n)
{
	size_t count = 0;
	while (n >= 4) {
		uint16_t type = get_be16(p), len = get_be16(p + 2);
		if ((size_t)len + 4 > n)
			break;
		count += type == T_REVOKED;
		p += 4u + len;
		n -= 4u + len;
	}
	return count;
}

int netconf_decode(const uint8_t *buf, size_t len, struct re6st_netconf **ret)
{
	_cleanup_(netconf_freep) struct re6st_netconf *nc = NULL;
	const uint8_t *p, *end;
	uint32_t seen = 0;
	size_t body, nrev;
	int r;

	r = check_header(buf, len, &body);
	if (r < 0)
		return r;
	r = netconf_new(&nc);
	if (r < 0)
		return r;
	memcpy(nc->ca_fingerprint, buf + H_CAFP, RE6ST_FP_LEN);
	nc->version = get_be64(buf + H_VERSION);
	nc->issued = get_be64(buf + H_ISSUED);

	p = buf + HDR_SIZE;
	end = p + body;
	/* One allocation for the revocation list, sized by a first pass. */
	nrev = count_revoked(p, body);
	if (nrev > NETCONF_MAX_REVOKED)
		return -EBADMSG;
	if (nrev > 0) {
		nc->revoked = calloc(nrev, sizeof(*nc->revoked));
		if (!nc->revoked)
			return -ENOMEM;
		nc->cap_revoked = nrev;
	}

	while (p < end) {
		uint16_t type, tl;
		const uint8_t *v;
		int want;

		if (end - p < 4)
			return -EBADMSG;
		type = get_be16(p);
		tl = get_be16(p + 2);
		v = p + 4;
		if ((size_t)(end - v) < tl)
			return -EBADMSG;
		p = v + tl;

		want = known_len(type);
		if (want < 0)
			continue; /* unknown: skipped, for forward compatibility */
		if (want > 0 && tl != want)
			return -EBADMSG;
		if (type < _T_SINGLE_MAX) {
			if (seen & (1u << type))
				return -EBADMSG;
			seen |= 1u << type;
		}
		switch (type) {
		case T_NETWORK:
			get_prefix(v, &nc->network);
			break;
		case T_PREFIX_LEN:
			nc->prefix_len = v[0];
			break;
		case T_ANON_PREFIX_LEN:
			nc->anonymous_prefix_len = v[0];
			break;
		case T_HELLO:
			nc->hello = get_be32(v);
			break;
		case T_CLIENT_COUNT:
			nc->client_count = get_be32(v);
			break;
		case T_MAX_CLIENTS:
			nc->max_clients = get_be32(v);
			break;
		case T_TUNNEL_REFRESH:
			nc->tunnel_refresh = get_be32(v);
			break;
		case T_GRACE_PERIOD:
			nc->grace_period = get_be32(v);
			break;
		case T_MIN_PROTOCOL:
			nc->min_protocol = get_be32(v);
			break;
		case T_TUNNEL_TYPES:
			nc->tunnel_types = get_be32(v);
			break;
		case T_IPV4:
			nc->has_ipv4 = true;
			memcpy(nc->ipv4_net, v, 4);
			nc->ipv4_len = v[4];
			nc->ipv4_sublen = v[5];
			break;
		case T_REGISTRY_PREFIX:
			nc->has_registry_prefix = true;
			get_prefix(v, &nc->registry_prefix);
			break;
		case T_SAME_COUNTRY:
			r = dup_string(v, tl, &nc->same_country);
			break;
		case T_REGISTRY_URL:
			r = dup_string(v, tl, &nc->registry_url);
			break;
		case T_BABEL_DEFAULT:
			r = dup_string(v, tl, &nc->babel_default);
			break;
		case T_ROTATE_SHARE:
			nc->rotate_share = get_be32(v);
			break;
		case T_BUSY_SHARE:
			nc->busy_share = get_be32(v);
			break;
		case T_BUSY_WEIGHT:
			nc->busy_weight = get_be32(v);
			break;
		case T_DRAIN_LIMIT:
			nc->drain_limit = get_be32(v);
			break;
		case T_ANCHOR_SHARE:
			nc->anchor_share = get_be32(v);
			break;
		case T_LINK_COST:
			nc->link_cost = get_be32(v);
			break;
		case T_SMOOTHING:
			nc->smoothing = get_be32(v);
			break;
		case T_DEAD_AFTER:
			nc->dead_after = get_be32(v);
			break;
		case T_ANCHORS:
			if (tl == 0 || tl % PREFIX_BYTES || tl / PREFIX_BYTES > NETCONF_MAX_ANCHORS)
				return -EBADMSG;
			nc->n_anchors = tl / PREFIX_BYTES;
			for (size_t i = 0; i < nc->n_anchors; i++)
				get_prefix(v + i * PREFIX_BYTES, &nc->anchors[i]);
			break;
		case T_REVOKED: {
			struct netconf_revoked *rv = &nc->revoked[nc->n_revoked++];
			rv->serial = get_be64(v);
			rv->not_after = get_be64(v + 8);
			get_prefix(v + 16, &rv->prefix);
			break;
		}
		}
		if (r < 0)
			return r;
	}
	if (!(seen & (1u << T_NETWORK)) || !fields_ok(nc, false))
		return -EBADMSG;
	*ret = TAKE_PTR(nc);
	return 0;
}

int netconf_parse(const uint8_t *buf, size_t len, const struct re6st_ca *ca,
		  struct re6st_netconf **ret)
{
	struct re6st_netconf *nc = NULL;
	size_t body;
	int r;

	if (sodium_init() < 0)
		return -EIO;
	r = check_header(buf, len, &body);
	if (r < 0)
		return r;
	if (memcmp(buf + H_CAFP, ca->fingerprint, RE6ST_FP_LEN) != 0)
		return -EXDEV;
	if (crypto_sign_verify_detached(buf + HDR_SIZE + body, buf, HDR_SIZE + body,
					ca->sign_pk) != 0)
		return -EKEYREJECTED;
	r = netconf_decode(buf, len, &nc);
	if (r < 0)
		return r;
	if (!prefix_equal(&nc->network, &ca->network)) {
		netconf_free(nc);
		return -EXDEV;
	}
	*ret = nc;
	return 0;
}

int netconf_to_armour(const uint8_t *encoded, size_t len, char **ret)
{
	return armour_encode(ARMOUR_NETWORK_CONFIG, encoded, len, ret);
}

int netconf_from_armour(const char *text, size_t len, const struct re6st_ca *ca,
			struct re6st_netconf **ret, uint8_t **ret_encoded, size_t *ret_encoded_len)
{
	_cleanup_free_ uint8_t *bin = NULL;
	size_t binlen = 0;
	int r = armour_decode(ARMOUR_NETWORK_CONFIG, text, len, &bin, &binlen);
	if (r < 0)
		return r;
	r = netconf_parse(bin, binlen, ca, ret);
	if (r < 0)
		return r;
	if (ret_encoded) {
		*ret_encoded = TAKE_PTR(bin);
		*ret_encoded_len = binlen;
	}
	return 0;
}

int netconf_save(const uint8_t *encoded, size_t len, const char *path)
{
	_cleanup_free_ char *text = NULL;
	int r = netconf_to_armour(encoded, len, &text);
	if (r < 0)
		return r;
	return write_file_atomic(path, text, strlen(text), 0644);
}

int netconf_load(const char *path, const struct re6st_ca *ca, struct re6st_netconf **ret,
		 uint8_t **ret_encoded, size_t *ret_encoded_len)
{
	_cleanup_free_ char *text = NULL;
	size_t len = 0;
	int r = read_file_full(path, NETCONF_MAX_SIZE / 3 * 4 + NETCONF_MAX_SIZE / 16 + 4096,
			       &text, &len);
	if (r < 0)
		return r;
	return netconf_from_armour(text, len, ca, ret, ret_encoded, ret_encoded_len);
}
