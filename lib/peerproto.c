/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include <sodium.h>

#include "macro.h"
#include "peerproto.h"

static const uint8_t magic[3] = { 'R', '6', 'P' };
/* Signatures cover this context string then the message, so a signature
 * made for another purpose (certificates, registry requests) never
 * verifies here. */
static const char sig_context[] = "re6st peer protocol v1";

/* --- writer ----------------------------------------------------------- */

struct wbuf {
	uint8_t *p;
	size_t size, len;
	bool overflow;
};

static void w_bytes(struct wbuf *w, const void *d, size_t n)
{
	if (w->overflow || w->size - w->len < n) {
		w->overflow = true;
		return;
	}
	if (n)
		memcpy(w->p + w->len, d, n);
	w->len += n;
}

static void w_u8(struct wbuf *w, uint8_t v)
{
	w_bytes(w, &v, 1);
}

static void w_u16(struct wbuf *w, uint16_t v)
{
	uint8_t b[2] = { v >> 8, v & 0xff };
	w_bytes(w, b, 2);
}

static void w_u64(struct wbuf *w, uint64_t v)
{
	uint8_t b[8];
	for (int i = 7; i >= 0; i--, v >>= 8)
		b[i] = v & 0xff;
	w_bytes(w, b, 8);
}

/* --- reader ----------------------------------------------------------- */

struct rbuf {
	const uint8_t *p;
	size_t len, pos;
};

static bool r_bytes(struct rbuf *r, size_t n, const uint8_t **out)
{
	if (r->len - r->pos < n)
		return false;
	*out = r->p + r->pos;
	r->pos += n;
	return true;
}

static bool r_u8(struct rbuf *r, uint8_t *v)
{
	const uint8_t *b;
	if (!r_bytes(r, 1, &b))
		return false;
	*v = b[0];
	return true;
}

static bool r_u16(struct rbuf *r, uint16_t *v)
{
	const uint8_t *b;
	if (!r_bytes(r, 2, &b))
		return false;
	*v = (uint16_t)(b[0] << 8 | b[1]);
	return true;
}

static bool r_u64(struct rbuf *r, uint64_t *v)
{
	const uint8_t *b;
	if (!r_bytes(r, 8, &b))
		return false;
	uint64_t x = 0;
	for (int i = 0; i < 8; i++)
		x = x << 8 | b[i];
	*v = x;
	return true;
}

/* --- names ------------------------------------------------------------ */

static const char *const type_names[_PP_TYPE_MAX] = {
	[PP_NETCONF_VERSION] = "netconf-version",
	[PP_NETCONF] = "netconf",
	[PP_ADDRESS_REQUEST] = "address-request",
	[PP_ADDRESS] = "address",
	[PP_TUNNEL_DRAIN] = "tunnel-drain",
	[PP_TUNNEL_UNDRAIN] = "tunnel-undrain",
	[PP_TUNNEL_DESTROY] = "tunnel-destroy",
	[PP_TUNNEL_DESTROY_ACK] = "tunnel-destroy-ack",
	[PP_NODE_INFO_REQUEST] = "node-info-request",
	[PP_NODE_INFO] = "node-info",
	[PP_TOPOLOGY_REQUEST] = "topology-request",
	[PP_TOPOLOGY] = "topology",
	[PP_SETUP_REQUEST] = "setup-request",
	[PP_SETUP_ANSWER] = "setup-answer",
	[PP_PROBE_REQUEST] = "probe-request",
	[PP_PROBE] = "probe",
};

const char *pp_type_to_string(int type)
{
	if (type <= 0 || type >= _PP_TYPE_MAX || !type_names[type])
		return "unknown";
	return type_names[type];
}

static const char *const status_names[_PP_SETUP_MAX] = {
	[PP_SETUP_OK] = "ok",
	[PP_SETUP_REVOKED] = "certificate revoked",
	[PP_SETUP_EXPIRED] = "certificate expired",
	[PP_SETUP_FULL] = "too many clients",
	[PP_SETUP_RATE_LIMITED] = "rate limited",
	[PP_SETUP_BAD_CERT] = "certificate not accepted",
	[PP_SETUP_UNSUPPORTED] = "tunnel type not offered",
	[PP_SETUP_BUSY] = "tunnel already exists",
	[PP_SETUP_INTERNAL] = "server error",
};

const char *pp_setup_status_to_string(int status)
{
	if (status < 0 || status >= _PP_SETUP_MAX)
		return "unknown";
	return status_names[status];
}

const char *pp_tunnel_type_to_string(int type)
{
	switch (type) {
	case PP_TUNNEL_WG:
		return "wg";
	case PP_TUNNEL_GRE:
		return "gre";
	case PP_TUNNEL_FOU:
		return "fou";
	case PP_TUNNEL_TCP:
		return "tcp";
	default:
		return NULL;
	}
}

int pp_tunnel_type_from_string(const char *s)
{
	for (int t = PP_TUNNEL_WG; t <= PP_TUNNEL_TCP; t++)
		if (strcmp(s, pp_tunnel_type_to_string(t)) == 0)
			return t;
	return -EINVAL;
}

/* --- prefixes --------------------------------------------------------- */

static bool prefix_ok(const uint8_t addr[16], uint8_t len)
{
	if (len > 128)
		return false;
	for (unsigned bit = len; bit < 128; bit++)
		if (addr[bit / 8] & (0x80 >> (bit % 8)))
			return false;
	return true;
}

void pp_prefix_pack(const struct re6st_prefix *p, uint8_t out[17])
{
	memcpy(out, p->addr, 16);
	out[16] = p->len;
}

void pp_topology_entry(const struct pp_msg *m, size_t i, struct re6st_prefix *ret)
{
	const uint8_t *e = m->topology.entries + 17 * i;
	memcpy(ret->addr, e, 16);
	ret->len = e[16];
}

/* --- endpoints -------------------------------------------------------- */

static int parse_port(const char *s, size_t n, uint16_t *ret)
{
	unsigned v = 0;
	if (n == 0 || n > 5 || (s[0] == '0'))
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	if (v == 0 || v > 65535)
		return -EINVAL;
	*ret = (uint16_t)v;
	return 0;
}

static int parse_endpoint(const char *s, size_t n, struct pp_endpoint *ret)
{
	const char *field[5];
	size_t flen[5];
	size_t nf = 0;
	const char *start = s;

	for (size_t i = 0; i <= n; i++) {
		if (i == n || s[i] == ',') {
			if (nf == 4)
				return -EINVAL;
			field[nf] = start;
			flen[nf] = (size_t)(s + i - start);
			nf++;
			start = s + i + 1;
		}
	}
	if (nf < 3)
		return -EINVAL;

	struct pp_endpoint e = {};
	char ip[INET6_ADDRSTRLEN];
	if (flen[0] == 0 || flen[0] >= sizeof(ip))
		return -EINVAL;
	memcpy(ip, field[0], flen[0]);
	ip[flen[0]] = 0;
	if (inet_pton(AF_INET, ip, e.addr) == 1)
		e.family = AF_INET;
	else if (inet_pton(AF_INET6, ip, e.addr) == 1)
		e.family = AF_INET6;
	else
		return -EINVAL;

	if (parse_port(field[1], flen[1], &e.port) < 0)
		return -EINVAL;

	if (flen[2] == 0 || flen[2] >= sizeof(e.type))
		return -EINVAL;
	for (size_t i = 0; i < flen[2]; i++) {
		char c = field[2][i];
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')))
			return -EINVAL;
	}
	memcpy(e.type, field[2], flen[2]);

	if (nf == 4) {
		if (flen[3] != 2)
			return -EINVAL;
		for (size_t i = 0; i < 2; i++)
			if (field[3][i] < 'A' || field[3][i] > 'Z')
				return -EINVAL;
		memcpy(e.country, field[3], 2);
	}
	*ret = e;
	return 0;
}

int pp_endpoints_parse(const char *s, size_t len, struct pp_endpoint *ret, size_t max,
		       size_t *ret_n)
{
	size_t n = 0;
	const char *start = s;

	if (len == 0) {
		*ret_n = 0;
		return 0;
	}
	for (size_t i = 0; i <= len; i++) {
		if (i < len && s[i] != ';')
			continue;
		struct pp_endpoint e;
		int r = parse_endpoint(start, (size_t)(s + i - start), &e);
		if (r < 0)
			return r;
		if (n == max)
			return -E2BIG;
		ret[n++] = e;
		start = s + i + 1;
	}
	*ret_n = n;
	return 0;
}

int pp_endpoints_format(const struct pp_endpoint *e, size_t n, char *buf, size_t size)
{
	size_t pos = 0;

	if (size == 0)
		return -ENOBUFS;
	buf[0] = 0;
	for (size_t i = 0; i < n; i++) {
		char ip[INET6_ADDRSTRLEN];
		if ((e[i].family != AF_INET && e[i].family != AF_INET6) || e[i].port == 0)
			return -EINVAL;
		if (!inet_ntop(e[i].family, e[i].addr, ip, sizeof(ip)))
			return -EINVAL;
		size_t tl = strnlen(e[i].type, sizeof(e[i].type));
		if (tl == 0 || tl == sizeof(e[i].type))
			return -EINVAL;
		int w = snprintf(buf + pos, size - pos, "%s%s,%u,%s%s%.2s", i ? ";" : "", ip,
				 e[i].port, e[i].type, e[i].country[0] ? "," : "", e[i].country);
		if (w < 0 || (size_t)w >= size - pos)
			return -ENOBUFS;
		pos += (size_t)w;
	}
	/* Re-parse: the formatter must never emit what the parser refuses. */
	struct pp_endpoint tmp[PP_MAX_ENDPOINTS];
	size_t m;
	if (n > PP_MAX_ENDPOINTS || pp_endpoints_parse(buf, pos, tmp, PP_MAX_ENDPOINTS, &m) < 0)
		return -EINVAL;
	return 0;
}

/* --- replay ----------------------------------------------------------- */

uint64_t pp_next_seq(uint64_t *last, uint64_t now_us)
{
	uint64_t s = now_us > *last ? now_us : *last + 1;
	*last = s;
	return s;
}

int pp_replay_check(struct pp_replay *r, uint64_t seq, uint64_t now_us)
{
	const uint64_t window = (uint64_t)PP_FRESHNESS_S * 1000000;
	size_t free_slot = PP_REPLAY_SLOTS, oldest = 0;

	if (seq == 0 || seq + window < now_us || seq > now_us + window)
		return -ESTALE;
	for (size_t i = 0; i < PP_REPLAY_SLOTS; i++) {
		if (r->seen[i] == seq)
			return -EALREADY;
		if (r->seen[i] == 0)
			free_slot = i;
		else if (r->seen[oldest] == 0 || r->seen[i] < r->seen[oldest])
			oldest = i;
	}
	if (free_slot == PP_REPLAY_SLOTS) {
		if (seq < r->seen[oldest])
			return -EALREADY;
		free_slot = oldest;
	}
	r->seen[free_slot] = seq;
	return 0;
}

/* --- encode ----------------------------------------------------------- */

static bool printable(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] < 0x20 || s[i] > 0x7e)
			return false;
	return true;
}

static int encode_body(const struct pp_msg *m, struct wbuf *w)
{
	switch (m->type) {
	case PP_NETCONF_VERSION:
		w_u64(w, m->netconf_version.version);
		return 0;
	case PP_NETCONF:
		if (m->netconf.len == 0)
			return -EINVAL;
		w_bytes(w, m->netconf.doc, m->netconf.len);
		return 0;
	case PP_ADDRESS_REQUEST:
	case PP_NODE_INFO_REQUEST:
	case PP_TOPOLOGY_REQUEST:
		return 0;
	case PP_PROBE:
		if (m->probe.request_seq == 0)
			return -EINVAL;
		w_u64(w, m->probe.request_seq);
		return 0;
	case PP_ADDRESS:
	case PP_PROBE_REQUEST: {
		struct pp_endpoint tmp[PP_MAX_ENDPOINTS];
		size_t n;
		if (m->type == PP_PROBE_REQUEST && m->address.len == 0)
			return -EINVAL;
		if (pp_endpoints_parse(m->address.list, m->address.len, tmp, PP_MAX_ENDPOINTS,
				       &n) < 0)
			return -EINVAL;
		w_bytes(w, m->address.list, m->address.len);
		return 0;
	}
	case PP_TUNNEL_DRAIN:
	case PP_TUNNEL_UNDRAIN:
	case PP_TUNNEL_DESTROY:
	case PP_TUNNEL_DESTROY_ACK:
		if (m->tunnel.role > PP_ROLE_SERVER)
			return -EINVAL;
		w_u8(w, m->tunnel.role);
		return 0;
	case PP_NODE_INFO:
		if (m->node_info.software_len > 255 ||
		    !printable(m->node_info.software, m->node_info.software_len))
			return -EINVAL;
		w_u64(w, m->node_info.netconf_version);
		w_u16(w, m->node_info.protocol);
		w_bytes(w, m->node_info.software, m->node_info.software_len);
		return 0;
	case PP_TOPOLOGY: {
		size_t n = (size_t)m->topology.n_client + m->topology.n_served;
		if (n > PP_MAX_TOPOLOGY)
			return -EINVAL;
		for (size_t i = 0; i < n; i++) {
			const uint8_t *e = m->topology.entries + 17 * i;
			if (!prefix_ok(e, e[16]))
				return -EINVAL;
		}
		w_u64(w, m->topology.netconf_version);
		w_u16(w, m->topology.n_client);
		w_u16(w, m->topology.n_served);
		w_bytes(w, m->topology.entries, 17 * n);
		return 0;
	}
	case PP_SETUP_REQUEST:
		if (!pp_tunnel_type_to_string(m->setup_request.tunnel_type) ||
		    (m->setup_request.flags & ~PP_SETUP_F_NAT))
			return -EINVAL;
		w_u8(w, m->setup_request.tunnel_type);
		w_u8(w, m->setup_request.flags);
		w_u16(w, m->setup_request.fou_port);
		return 0;
	case PP_SETUP_ANSWER:
		if (m->setup_answer.status >= _PP_SETUP_MAX)
			return -EINVAL;
		if (m->setup_answer.status == PP_SETUP_OK &&
		    (!pp_tunnel_type_to_string(m->setup_answer.tunnel_type) ||
		     m->setup_answer.port == 0))
			return -EINVAL;
		w_u64(w, m->setup_answer.request_seq);
		w_u8(w, m->setup_answer.status);
		w_u8(w, m->setup_answer.tunnel_type);
		w_u16(w, m->setup_answer.port);
		w_u16(w, m->setup_answer.retry_after);
		switch (m->setup_answer.seen_family) {
		case 0:
			w_u8(w, 0);
			break;
		case AF_INET:
			w_u8(w, 4);
			break;
		case AF_INET6:
			w_u8(w, 6);
			break;
		default:
			return -EINVAL;
		}
		{
			uint8_t a[16] = {};
			if (m->setup_answer.seen_family)
				memcpy(a, m->setup_answer.seen_addr,
				       m->setup_answer.seen_family == AF_INET ? 4 : 16);
			w_bytes(w, a, 16);
		}
		w_u16(w, m->setup_answer.seen_family ? m->setup_answer.seen_port : 0);
		return 0;
	default:
		return -EINVAL;
	}
}

int pp_encode(const struct pp_msg *m, const uint8_t secret_key[PP_SECRET_LEN], uint8_t *buf,
	      size_t size, size_t *ret_len)
{
	if (m->type <= 0 || m->type >= _PP_TYPE_MAX || m->seq == 0 ||
	    !prefix_ok(m->to.addr, m->to.len) || m->cert_len > PP_MAX_CERT ||
	    (m->cert_len && !m->cert))
		return -EINVAL;
	if (size > PP_MAX_SIZE)
		size = PP_MAX_SIZE;

	struct wbuf w = { .p = buf, .size = size };
	w_bytes(&w, magic, sizeof(magic));
	w_u8(&w, PP_VERSION);
	w_u8(&w, (uint8_t)m->type);
	w_u8(&w, 0);
	w_u64(&w, m->seq);
	w_bytes(&w, m->to.addr, 16);
	w_u8(&w, m->to.len);
	/* libsodium's secret key ends with the public key. */
	w_bytes(&w, secret_key + 32, PP_KEY_LEN);
	w_u16(&w, (uint16_t)m->cert_len);
	size_t body_len_pos = w.len;
	w_u16(&w, 0);
	w_bytes(&w, m->cert, m->cert_len);
	size_t body_start = w.len;
	int r = encode_body(m, &w);
	if (r < 0)
		return r;
	if (w.overflow)
		return -ENOBUFS;
	size_t body_len = w.len - body_start;
	if (body_len > 0xffff)
		return -ENOBUFS;
	buf[body_len_pos] = (uint8_t)(body_len >> 8);
	buf[body_len_pos + 1] = (uint8_t)body_len;
	if (w.size - w.len < PP_SIG_LEN)
		return -ENOBUFS;

	crypto_sign_state st;
	crypto_sign_init(&st);
	crypto_sign_update(&st, (const uint8_t *)sig_context, sizeof(sig_context));
	crypto_sign_update(&st, buf, w.len);
	crypto_sign_final_create(&st, buf + w.len, NULL, secret_key);
	sodium_memzero(&st, sizeof(st));
	*ret_len = w.len + PP_SIG_LEN;
	return 0;
}

/* --- decode ----------------------------------------------------------- */

#define FAIL(err, why)                   \
	do {                             \
		if (reason)              \
			*reason = (why); \
		return (err);            \
	} while (0)

static int decode_body(struct pp_msg *m, const uint8_t *b, size_t n, const char **reason)
{
	struct rbuf r = { .p = b, .len = n };

	switch (m->type) {
	case PP_NETCONF_VERSION:
		if (!r_u64(&r, &m->netconf_version.version))
			FAIL(-EBADMSG, "truncated netconf-version");
		break;
	case PP_NETCONF:
		if (n == 0)
			FAIL(-EBADMSG, "empty network configuration");
		m->netconf.doc = b;
		m->netconf.len = n;
		r.pos = n;
		break;
	case PP_ADDRESS_REQUEST:
	case PP_NODE_INFO_REQUEST:
	case PP_TOPOLOGY_REQUEST:
		break;
	case PP_PROBE:
		if (!r_u64(&r, &m->probe.request_seq))
			FAIL(-EBADMSG, "truncated probe");
		if (m->probe.request_seq == 0)
			FAIL(-EBADMSG, "probe for request seq 0");
		break;
	case PP_ADDRESS:
	case PP_PROBE_REQUEST: {
		struct pp_endpoint tmp[PP_MAX_ENDPOINTS];
		size_t cnt;
		if (m->type == PP_PROBE_REQUEST && n == 0)
			FAIL(-EBADMSG, "probe-request without endpoints");
		int k = pp_endpoints_parse((const char *)b, n, tmp, PP_MAX_ENDPOINTS, &cnt);
		if (k == -E2BIG)
			FAIL(-EBADMSG, "too many endpoints");
		if (k < 0)
			FAIL(-EBADMSG, "invalid endpoint list");
		m->address.list = (const char *)b;
		m->address.len = n;
		r.pos = n;
		break;
	}
	case PP_TUNNEL_DRAIN:
	case PP_TUNNEL_UNDRAIN:
	case PP_TUNNEL_DESTROY:
	case PP_TUNNEL_DESTROY_ACK:
		if (!r_u8(&r, &m->tunnel.role))
			FAIL(-EBADMSG, "truncated tunnel message");
		if (m->tunnel.role > PP_ROLE_SERVER)
			FAIL(-EBADMSG, "invalid tunnel role");
		break;
	case PP_NODE_INFO: {
		if (!r_u64(&r, &m->node_info.netconf_version) || !r_u16(&r, &m->node_info.protocol))
			FAIL(-EBADMSG, "truncated node-info");
		size_t sl = n - r.pos;
		if (sl > 255)
			FAIL(-EBADMSG, "node-info software string too long");
		m->node_info.software = (const char *)b + r.pos;
		m->node_info.software_len = sl;
		if (!printable(m->node_info.software, sl))
			FAIL(-EBADMSG, "node-info software string not printable");
		r.pos = n;
		break;
	}
	case PP_TOPOLOGY: {
		if (!r_u64(&r, &m->topology.netconf_version) || !r_u16(&r, &m->topology.n_client) ||
		    !r_u16(&r, &m->topology.n_served))
			FAIL(-EBADMSG, "truncated topology");
		size_t cnt = (size_t)m->topology.n_client + m->topology.n_served;
		if (cnt > PP_MAX_TOPOLOGY)
			FAIL(-EBADMSG, "too many topology entries");
		const uint8_t *e;
		if (!r_bytes(&r, 17 * cnt, &e))
			FAIL(-EBADMSG, "truncated topology entries");
		for (size_t i = 0; i < cnt; i++)
			if (!prefix_ok(e + 17 * i, e[17 * i + 16]))
				FAIL(-EBADMSG, "invalid prefix in topology");
		m->topology.entries = e;
		break;
	}
	case PP_SETUP_REQUEST:
		if (!r_u8(&r, &m->setup_request.tunnel_type) || !r_u8(&r, &m->setup_request.flags) ||
		    !r_u16(&r, &m->setup_request.fou_port))
			FAIL(-EBADMSG, "truncated setup-request");
		if (!pp_tunnel_type_to_string(m->setup_request.tunnel_type))
			FAIL(-EBADMSG, "unknown tunnel type in setup-request");
		if (m->setup_request.flags & ~PP_SETUP_F_NAT)
			FAIL(-EBADMSG, "unknown flags in setup-request");
		break;
	case PP_SETUP_ANSWER:
		if (!r_u64(&r, &m->setup_answer.request_seq) || !r_u8(&r, &m->setup_answer.status) ||
		    !r_u8(&r, &m->setup_answer.tunnel_type) || !r_u16(&r, &m->setup_answer.port) ||
		    !r_u16(&r, &m->setup_answer.retry_after))
			FAIL(-EBADMSG, "truncated setup-answer");
		if (m->setup_answer.status >= _PP_SETUP_MAX)
			FAIL(-EBADMSG, "unknown setup status");
		{
			uint8_t fam;
			const uint8_t *a;
			if (!r_u8(&r, &fam) || !r_bytes(&r, 16, &a) ||
			    !r_u16(&r, &m->setup_answer.seen_port))
				FAIL(-EBADMSG, "truncated setup-answer");
			size_t used = fam == 4 ? 4 : fam == 6 ? 16 : fam == 0 ? 0 : 17;
			if (used == 17)
				FAIL(-EBADMSG, "unknown address family in setup-answer");
			for (size_t i = used; i < 16; i++)
				if (a[i])
					FAIL(-EBADMSG, "garbage after the address in setup-answer");
			if (fam == 0 && m->setup_answer.seen_port)
				FAIL(-EBADMSG, "port without an address in setup-answer");
			m->setup_answer.seen_family = fam == 4 ? AF_INET : fam == 6 ? AF_INET6 : 0;
			memcpy(m->setup_answer.seen_addr, a, 16);
		}
		if (m->setup_answer.status == PP_SETUP_OK &&
		    (!pp_tunnel_type_to_string(m->setup_answer.tunnel_type) ||
		     m->setup_answer.port == 0))
			FAIL(-EBADMSG, "setup-answer accepts without a tunnel type or port");
		break;
	default:
		FAIL(-EOPNOTSUPP, "unknown message type");
	}
	if (r.pos != n)
		FAIL(-EBADMSG, "trailing bytes in message body");
	return 0;
}

int pp_decode(const uint8_t *buf, size_t len, struct pp_msg *ret, const char **reason)
{
	struct rbuf r = { .p = buf, .len = len };
	struct pp_msg m = {};
	const uint8_t *b = NULL;
	uint8_t type, to_len;
	uint16_t cert_len, body_len;

	if (len < sizeof(magic) + 1 || memcmp(buf, magic, sizeof(magic)) != 0)
		FAIL(-EPROTO, "not a re6st peer message");
	r.pos = sizeof(magic);
	r_u8(&r, &m.version);
	if (m.version != PP_VERSION)
		FAIL(-EPROTONOSUPPORT, "unsupported peer protocol version");
	if (len > PP_MAX_SIZE)
		FAIL(-EBADMSG, "message too large");
	if (len < PP_OVERHEAD)
		FAIL(-EBADMSG, "truncated header");
	r_u8(&r, &type);
	r_u8(&r, &m.flags);
	r_u64(&r, &m.seq);
	r_bytes(&r, 16, &b);
	memcpy(m.to.addr, b, 16);
	r_u8(&r, &to_len);
	r_bytes(&r, PP_KEY_LEN, &b);
	memcpy(m.sender_key, b, PP_KEY_LEN);
	r_u16(&r, &cert_len);
	r_u16(&r, &body_len);
	if (m.flags != 0)
		FAIL(-EBADMSG, "reserved flags set");
	if (m.seq == 0)
		FAIL(-EBADMSG, "zero sequence number");
	if (!prefix_ok(m.to.addr, to_len))
		FAIL(-EBADMSG, "invalid recipient prefix");
	m.to.len = to_len;
	if (cert_len > PP_MAX_CERT)
		FAIL(-EBADMSG, "certificate too large");
	if ((size_t)PP_OVERHEAD + cert_len + body_len != len)
		FAIL(-EBADMSG, "length fields do not match the datagram size");

	size_t signed_len = len - PP_SIG_LEN;
	crypto_sign_state st;
	crypto_sign_init(&st);
	crypto_sign_update(&st, (const uint8_t *)sig_context, sizeof(sig_context));
	crypto_sign_update(&st, buf, signed_len);
	if (crypto_sign_final_verify(&st, buf + signed_len, m.sender_key) != 0)
		FAIL(-EKEYREJECTED, "bad signature");

	r_bytes(&r, cert_len, &b);
	m.cert = cert_len ? b : NULL;
	m.cert_len = cert_len;
	r_bytes(&r, body_len, &b);
	if (type == 0 || type >= _PP_TYPE_MAX)
		FAIL(-EOPNOTSUPP, "unknown message type");
	m.type = (enum pp_type)type;
	int k = decode_body(&m, b, body_len, reason);
	if (k < 0)
		return k;
	*ret = m;
	return 0;
}
