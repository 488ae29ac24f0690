/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "nl-internal.h"

#include <arpa/inet.h>
#include <linux/genetlink.h>
#include <linux/wireguard.h>
#include <sodium.h>


/* ---- building ---- */

struct wg_builder {
	uint8_t *buf;
	size_t max_msgs, n; /* messages started so far */
	uint16_t family;
	int ifindex;
	struct nlmsghdr *nlh;
	struct nlattr *peers; /* open WGDEVICE_A_PEERS nest of nlh */
};

static int builder_next(struct wg_builder *b)
{
	if (b->n == b->max_msgs)
		return -EMSGSIZE;
	void *p = b->buf + b->n * NL_MSG_SIZE;
	memset(p, 0, MNL_NLMSG_HDRLEN + GENL_HDRLEN);
	b->nlh = nl_genl_put_header(p, b->family, 0, WG_CMD_SET_DEVICE, WG_GENL_VERSION);
	b->n++;
	b->peers = NULL;
	if (!mnl_attr_put_u32_check(b->nlh, NL_MSG_SIZE, WGDEVICE_A_IFINDEX, (uint32_t)b->ifindex))
		return -EMSGSIZE;
	return 0;
}

static int builder_open_peers(struct wg_builder *b)
{
	if (!b->peers)
		b->peers = mnl_attr_nest_start_check(b->nlh, NL_MSG_SIZE, WGDEVICE_A_PEERS);
	return b->peers ? 0 : -EMSGSIZE;
}

static void builder_close(struct wg_builder *b)
{
	if (b->peers)
		mnl_attr_nest_end(b->nlh, b->peers);
	b->peers = NULL;
}

static bool aip_valid(const struct nl_wg_allowed_ip *a)
{
	return (a->family == AF_INET && a->cidr <= 32) || (a->family == AF_INET6 && a->cidr <= 128);
}

static bool put_aip(struct nlmsghdr *nlh, const struct nl_wg_allowed_ip *a)
{
	struct nlattr *n = mnl_attr_nest_start_check(nlh, NL_MSG_SIZE, 0);
	if (!n)
		return false;
	if (!mnl_attr_put_u16_check(nlh, NL_MSG_SIZE, WGALLOWEDIP_A_FAMILY, (uint16_t)a->family) ||
	    !mnl_attr_put_check(nlh, NL_MSG_SIZE, WGALLOWEDIP_A_IPADDR,
				a->family == AF_INET ? sizeof(a->addr.in) : sizeof(a->addr.in6),
				&a->addr) ||
	    !mnl_attr_put_u8_check(nlh, NL_MSG_SIZE, WGALLOWEDIP_A_CIDR_MASK, a->cidr)) {
		mnl_attr_nest_cancel(nlh, n);
		return false;
	}
	mnl_attr_nest_end(nlh, n);
	return true;
}

/* Put the peer's own attributes (first part). false if they do not fit. */
static bool put_peer_head(struct nlmsghdr *nlh, const struct nl_wg_peer_config *p, uint32_t flags)
{
	if (p->replace_allowed_ips)
		flags |= WGPEER_F_REPLACE_ALLOWEDIPS;
	if (!mnl_attr_put_u32_check(nlh, NL_MSG_SIZE, WGPEER_A_FLAGS, flags))
		return false;
	if (p->has_preshared_key && !mnl_attr_put_check(nlh, NL_MSG_SIZE, WGPEER_A_PRESHARED_KEY,
							NL_WG_KEY_LEN, p->preshared_key))
		return false;
	if (p->endpoint.sa.sa_family == AF_INET &&
	    !mnl_attr_put_check(nlh, NL_MSG_SIZE, WGPEER_A_ENDPOINT, sizeof(p->endpoint.in),
				&p->endpoint.in))
		return false;
	if (p->endpoint.sa.sa_family == AF_INET6 &&
	    !mnl_attr_put_check(nlh, NL_MSG_SIZE, WGPEER_A_ENDPOINT, sizeof(p->endpoint.in6),
				&p->endpoint.in6))
		return false;
	if ((p->set_persistent_keepalive || p->persistent_keepalive) &&
	    !mnl_attr_put_u16_check(nlh, NL_MSG_SIZE, WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL,
				    p->persistent_keepalive))
		return false;
	return true;
}

/*
 * Put as much of peer p as fits, starting at allowed IP *aip (0 = the peer
 * is new in this message series). Returns 1 when the peer is complete, 0
 * when the message is full (*aip says where to continue), -errno.
 */
static int put_peer(struct wg_builder *b, const struct nl_wg_peer_config *p, size_t *aip)
{
	struct nlmsghdr *nlh = b->nlh;
	struct nlattr *pn = mnl_attr_nest_start_check(nlh, NL_MSG_SIZE, 0);
	if (!pn)
		return 0;
	if (!mnl_attr_put_check(nlh, NL_MSG_SIZE, WGPEER_A_PUBLIC_KEY, NL_WG_KEY_LEN,
				p->public_key) ||
	    (*aip == 0 && !put_peer_head(nlh, p, 0))) {
		mnl_attr_nest_cancel(nlh, pn);
		return 0;
	}
	if (*aip < p->n_allowed_ips) {
		struct nlattr *an = mnl_attr_nest_start_check(nlh, NL_MSG_SIZE, WGPEER_A_ALLOWEDIPS);
		size_t start = *aip;
		if (an)
			while (*aip < p->n_allowed_ips && put_aip(nlh, &p->allowed_ips[*aip]))
				(*aip)++;
		if (!an || *aip == start) {
			/* Nothing of the list fit: retry the whole peer part. */
			mnl_attr_nest_cancel(nlh, pn);
			*aip = start;
			return 0;
		}
		mnl_attr_nest_end(nlh, an);
	} else
		*aip = p->n_allowed_ips;
	mnl_attr_nest_end(nlh, pn);
	/* A peer with no allowed IP left is complete; *aip == 0 never
	 * reaches here with the peer still pending. */
	if (*aip == 0)
		*aip = 1;
	return *aip >= p->n_allowed_ips ? 1 : 0;
}

int nl_wg_build_set(void *buf, size_t max_msgs, uint16_t family, int ifindex,
		    const struct nl_wg_device_config *cfg, size_t *ret_n)
{
	if (ifindex <= 0)
		return -ENODEV;
	for (size_t i = 0; i < cfg->n_peers; i++) {
		const struct nl_wg_peer_config *p = &cfg->peers[i];
		int fam = p->endpoint.sa.sa_family;
		if (fam != AF_UNSPEC && fam != AF_INET && fam != AF_INET6)
			return -EINVAL;
		for (size_t j = 0; j < p->n_allowed_ips; j++)
			if (!aip_valid(&p->allowed_ips[j]))
				return -EINVAL;
	}

	struct wg_builder b = { .buf = buf, .max_msgs = max_msgs, .family = family,
				.ifindex = ifindex };
	int r = builder_next(&b);
	if (r < 0)
		return r;
	/* Device attributes and REPLACE_PEERS go in the first message only:
	 * repeated in a later one, REPLACE_PEERS would drop the peers just set. */
	uint32_t flags = cfg->flags & NL_WG_REPLACE_PEERS ? WGDEVICE_F_REPLACE_PEERS : 0;
	if ((flags && !mnl_attr_put_u32_check(b.nlh, NL_MSG_SIZE, WGDEVICE_A_FLAGS, flags)) ||
	    ((cfg->flags & NL_WG_SET_PRIVATE_KEY) &&
	     !mnl_attr_put_check(b.nlh, NL_MSG_SIZE, WGDEVICE_A_PRIVATE_KEY, NL_WG_KEY_LEN,
				 cfg->private_key)) ||
	    ((cfg->flags & NL_WG_SET_LISTEN_PORT) &&
	     !mnl_attr_put_u16_check(b.nlh, NL_MSG_SIZE, WGDEVICE_A_LISTEN_PORT, cfg->listen_port)) ||
	    ((cfg->flags & NL_WG_SET_FWMARK) &&
	     !mnl_attr_put_u32_check(b.nlh, NL_MSG_SIZE, WGDEVICE_A_FWMARK, cfg->fwmark)))
		return -EMSGSIZE;

	for (size_t i = 0; i < cfg->n_peers;) {
		size_t aip = 0;
		for (;;) {
			r = builder_open_peers(&b);
			if (r < 0)
				return r;
			/* Nothing after the nest header yet: this message is empty. */
			bool fresh = (uint8_t *)mnl_nlmsg_get_payload_tail(b.nlh) ==
				     (uint8_t *)b.peers + MNL_ATTR_HDRLEN;
			r = put_peer(&b, &cfg->peers[i], &aip);
			if (r < 0)
				return r;
			if (r == 1)
				break;
			if (fresh && r == 0 && aip == 0)
				return -EMSGSIZE; /* one peer head alone is too big */
			builder_close(&b);
			r = builder_next(&b);
			if (r < 0)
				return r;
		}
		i++;
	}
	builder_close(&b);
	*ret_n = b.n;
	return 0;
}

int nl_wg_build_get(void *buf, size_t size, uint16_t family, int ifindex, struct nlmsghdr **ret)
{
	if (ifindex <= 0)
		return -ENODEV;
	if (size < 64)
		return -EMSGSIZE;
	struct nlmsghdr *nlh =
		nl_genl_put_header(buf, family, NLM_F_DUMP, WG_CMD_GET_DEVICE, WG_GENL_VERSION);
	if (!mnl_attr_put_u32_check(nlh, size, WGDEVICE_A_IFINDEX, (uint32_t)ifindex))
		return -EMSGSIZE;
	*ret = nlh;
	return 0;
}

static int send_msgs(struct nl_sock *s, uint8_t *buf, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int r = nl_request(s, NL_PROTO_GENERIC, (struct nlmsghdr *)(buf + i * NL_MSG_SIZE),
				   NULL, NULL);
		if (r < 0)
			return r;
	}
	return 0;
}

int nl_wg_device_set(struct nl_sock *s, int ifindex, const struct nl_wg_device_config *cfg)
{
	uint16_t family;
	int r = nl_genl_family_id(s, NL_GENL_WIREGUARD, &family);
	if (r < 0)
		return r;
	for (size_t max = 4;; max *= 4) {
		_cleanup_free_ uint8_t *buf = malloc(max * NL_MSG_SIZE);
		if (!buf)
			return -ENOMEM;
		size_t n;
		r = nl_wg_build_set(buf, max, family, ifindex, cfg, &n);
		if (r == -EMSGSIZE && max < 1u << 20)
			continue;
		if (r == 0)
			r = send_msgs(s, buf, n);
		sodium_memzero(buf, max * NL_MSG_SIZE); /* private/preshared keys */
		return r;
	}
}

int nl_wg_peer_set(struct nl_sock *s, int ifindex, const struct nl_wg_peer_config *peer)
{
	struct nl_wg_device_config cfg = { .peers = peer, .n_peers = 1 };
	return nl_wg_device_set(s, ifindex, &cfg);
}

int nl_wg_peers_replace(struct nl_sock *s, int ifindex, const struct nl_wg_peer_config *peers,
			size_t n_peers)
{
	struct nl_wg_device_config cfg = {
		.flags = NL_WG_REPLACE_PEERS, .peers = peers, .n_peers = n_peers };
	return nl_wg_device_set(s, ifindex, &cfg);
}

int nl_wg_peer_remove(struct nl_sock *s, int ifindex, const uint8_t public_key[NL_WG_KEY_LEN])
{
	uint16_t family;
	int r = nl_genl_family_id(s, NL_GENL_WIREGUARD, &family);
	if (r < 0)
		return r;
	if (ifindex <= 0)
		return -ENODEV;
	uint8_t buf[256];
	struct nlmsghdr *nlh =
		nl_genl_put_header(buf, family, 0, WG_CMD_SET_DEVICE, WG_GENL_VERSION);
	mnl_attr_put_u32(nlh, WGDEVICE_A_IFINDEX, (uint32_t)ifindex);
	struct nlattr *peers = mnl_attr_nest_start(nlh, WGDEVICE_A_PEERS);
	struct nlattr *p = mnl_attr_nest_start(nlh, 0);
	mnl_attr_put(nlh, WGPEER_A_PUBLIC_KEY, NL_WG_KEY_LEN, public_key);
	mnl_attr_put_u32(nlh, WGPEER_A_FLAGS, WGPEER_F_REMOVE_ME);
	mnl_attr_nest_end(nlh, p);
	mnl_attr_nest_end(nlh, peers);
	return nl_request(s, NL_PROTO_GENERIC, nlh, NULL, NULL);
}

/* ---- parsing ---- */

static const struct nl_policy device_policy[WGDEVICE_A_MAX + 1] = {
	[WGDEVICE_A_IFINDEX] = { MNL_TYPE_U32, 0 },
	[WGDEVICE_A_IFNAME] = { MNL_TYPE_NUL_STRING, 0 },
	[WGDEVICE_A_PRIVATE_KEY] = { MNL_TYPE_BINARY, NL_WG_KEY_LEN },
	[WGDEVICE_A_PUBLIC_KEY] = { MNL_TYPE_BINARY, NL_WG_KEY_LEN },
	[WGDEVICE_A_FLAGS] = { MNL_TYPE_U32, 0 },
	[WGDEVICE_A_LISTEN_PORT] = { MNL_TYPE_U16, 0 },
	[WGDEVICE_A_FWMARK] = { MNL_TYPE_U32, 0 },
	[WGDEVICE_A_PEERS] = { MNL_TYPE_NESTED, 0 },
};

static const struct nl_policy peer_policy[WGPEER_A_MAX + 1] = {
	[WGPEER_A_PUBLIC_KEY] = { MNL_TYPE_BINARY, NL_WG_KEY_LEN },
	[WGPEER_A_PRESHARED_KEY] = { MNL_TYPE_BINARY, NL_WG_KEY_LEN },
	[WGPEER_A_FLAGS] = { MNL_TYPE_U32, 0 },
	[WGPEER_A_ENDPOINT] = { MNL_TYPE_BINARY, 0 },
	[WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL] = { MNL_TYPE_U16, 0 },
	[WGPEER_A_LAST_HANDSHAKE_TIME] = { MNL_TYPE_BINARY, 16 },
	[WGPEER_A_RX_BYTES] = { MNL_TYPE_U64, 0 },
	[WGPEER_A_TX_BYTES] = { MNL_TYPE_U64, 0 },
	[WGPEER_A_ALLOWEDIPS] = { MNL_TYPE_NESTED, 0 },
	[WGPEER_A_PROTOCOL_VERSION] = { MNL_TYPE_U32, 0 },
};

static const struct nl_policy aip_policy[WGALLOWEDIP_A_MAX + 1] = {
	[WGALLOWEDIP_A_FAMILY] = { MNL_TYPE_U16, 0 },
	[WGALLOWEDIP_A_IPADDR] = { MNL_TYPE_BINARY, 0 },
	[WGALLOWEDIP_A_CIDR_MASK] = { MNL_TYPE_U8, 0 },
};

static int parse_aip(const struct nlattr *a, void *data)
{
	struct nl_wg_peer *p = data;
	const struct nlattr *tb[WGALLOWEDIP_A_MAX + 1] = {};
	int r = nl_parse_nested(a, aip_policy, WGALLOWEDIP_A_MAX, tb);
	if (r < 0)
		return r;
	if (!tb[WGALLOWEDIP_A_FAMILY] || !tb[WGALLOWEDIP_A_IPADDR] || !tb[WGALLOWEDIP_A_CIDR_MASK])
		return -EBADMSG;
	struct nl_wg_allowed_ip ip = {
		.family = mnl_attr_get_u16(tb[WGALLOWEDIP_A_FAMILY]),
		.cidr = mnl_attr_get_u8(tb[WGALLOWEDIP_A_CIDR_MASK]),
	};
	size_t len = mnl_attr_get_payload_len(tb[WGALLOWEDIP_A_IPADDR]);
	if (!aip_valid(&ip) || len != (ip.family == AF_INET ? sizeof(ip.addr.in) : sizeof(ip.addr.in6)))
		return -EBADMSG;
	memcpy(&ip.addr, mnl_attr_get_payload(tb[WGALLOWEDIP_A_IPADDR]), len);

	struct nl_wg_allowed_ip *v = reallocarray(p->allowed_ips, p->n_allowed_ips + 1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	p->allowed_ips = v;
	v[p->n_allowed_ips++] = ip;
	return 0;
}

static int parse_endpoint(const struct nlattr *a, union nl_sockaddr *ret)
{
	size_t len = mnl_attr_get_payload_len(a);
	union nl_sockaddr sa = {};
	if (len > sizeof(sa) || len < sizeof(sa_family_t))
		return -EBADMSG;
	memcpy(&sa, mnl_attr_get_payload(a), len);
	if ((sa.sa.sa_family == AF_INET && len == sizeof(sa.in)) ||
	    (sa.sa.sa_family == AF_INET6 && len == sizeof(sa.in6))) {
		*ret = sa;
		return 0;
	}
	return -EBADMSG;
}

struct parse_ctx {
	struct nl_wg_device *dev;
	bool first_peer; /* next peer is the first of this message */
};

static int parse_peer(const struct nlattr *a, void *data)
{
	struct parse_ctx *c = data;
	struct nl_wg_device *d = c->dev;
	const struct nlattr *tb[WGPEER_A_MAX + 1] = {};
	int r = nl_parse_nested(a, peer_policy, WGPEER_A_MAX, tb);
	if (r < 0)
		return r;
	if (!tb[WGPEER_A_PUBLIC_KEY])
		return -EBADMSG;
	const uint8_t *key = mnl_attr_get_payload(tb[WGPEER_A_PUBLIC_KEY]);
	bool first = c->first_peer;
	c->first_peer = false;

	/* The kernel continues a peer whose allowed IPs did not fit in the
	 * next message, repeating only its public key. */
	if (first && d->n_peers > 0 &&
	    memcmp(d->peers[d->n_peers - 1].public_key, key, NL_WG_KEY_LEN) == 0) {
		if (tb[WGPEER_A_ALLOWEDIPS])
			return nl_parse_list(tb[WGPEER_A_ALLOWEDIPS], parse_aip,
					     &d->peers[d->n_peers - 1]);
		return 0;
	}

	struct nl_wg_peer p = {};
	memcpy(p.public_key, key, NL_WG_KEY_LEN);
	if (tb[WGPEER_A_PRESHARED_KEY])
		p.has_preshared_key = !sodium_is_zero(mnl_attr_get_payload(tb[WGPEER_A_PRESHARED_KEY]),
						      NL_WG_KEY_LEN);
	if (tb[WGPEER_A_ENDPOINT]) {
		r = parse_endpoint(tb[WGPEER_A_ENDPOINT], &p.endpoint);
		if (r < 0)
			return r;
	}
	if (tb[WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL])
		p.persistent_keepalive = mnl_attr_get_u16(tb[WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL]);
	if (tb[WGPEER_A_LAST_HANDSHAKE_TIME]) {
		int64_t ts[2]; /* struct __kernel_timespec */
		memcpy(ts, mnl_attr_get_payload(tb[WGPEER_A_LAST_HANDSHAKE_TIME]), sizeof(ts));
		if (ts[0] < 0 || ts[1] < 0 || ts[1] >= 1000000000)
			return -EBADMSG;
		p.last_handshake.tv_sec = (time_t)ts[0];
		p.last_handshake.tv_nsec = (long)ts[1];
	}
	if (tb[WGPEER_A_RX_BYTES])
		p.rx_bytes = mnl_attr_get_u64(tb[WGPEER_A_RX_BYTES]);
	if (tb[WGPEER_A_TX_BYTES])
		p.tx_bytes = mnl_attr_get_u64(tb[WGPEER_A_TX_BYTES]);
	if (tb[WGPEER_A_ALLOWEDIPS]) {
		r = nl_parse_list(tb[WGPEER_A_ALLOWEDIPS], parse_aip, &p);
		if (r < 0) {
			free(p.allowed_ips);
			return r;
		}
	}
	struct nl_wg_peer *v = reallocarray(d->peers, d->n_peers + 1, sizeof(*v));
	if (!v) {
		free(p.allowed_ips);
		return -ENOMEM;
	}
	d->peers = v;
	v[d->n_peers++] = p;
	return 0;
}

int nl_wg_parse_device(const struct nlmsghdr *nlh, struct nl_wg_device *dev)
{
	const struct nlattr *tb[WGDEVICE_A_MAX + 1] = {};
	int r = nl_parse_msg(nlh, GENL_HDRLEN, device_policy, WGDEVICE_A_MAX, tb);
	if (r < 0)
		return r;
	if (tb[WGDEVICE_A_IFINDEX])
		dev->ifindex = (int)mnl_attr_get_u32(tb[WGDEVICE_A_IFINDEX]);
	if (tb[WGDEVICE_A_IFNAME]) {
		r = nl_attr_strcpy(tb[WGDEVICE_A_IFNAME], dev->name, sizeof(dev->name));
		if (r < 0)
			return r;
	}
	if (tb[WGDEVICE_A_PRIVATE_KEY]) {
		memcpy(dev->private_key, mnl_attr_get_payload(tb[WGDEVICE_A_PRIVATE_KEY]),
		       NL_WG_KEY_LEN);
		dev->has_private_key = !sodium_is_zero(dev->private_key, NL_WG_KEY_LEN);
	}
	if (tb[WGDEVICE_A_PUBLIC_KEY])
		memcpy(dev->public_key, mnl_attr_get_payload(tb[WGDEVICE_A_PUBLIC_KEY]),
		       NL_WG_KEY_LEN);
	if (tb[WGDEVICE_A_LISTEN_PORT])
		dev->listen_port = mnl_attr_get_u16(tb[WGDEVICE_A_LISTEN_PORT]);
	if (tb[WGDEVICE_A_FWMARK])
		dev->fwmark = mnl_attr_get_u32(tb[WGDEVICE_A_FWMARK]);
	if (tb[WGDEVICE_A_PEERS]) {
		struct parse_ctx c = { .dev = dev, .first_peer = true };
		r = nl_parse_list(tb[WGDEVICE_A_PEERS], parse_peer, &c);
		if (r < 0)
			return r;
	}
	return 0;
}

void nl_wg_device_clear(struct nl_wg_device *dev)
{
	for (size_t i = 0; i < dev->n_peers; i++)
		free(dev->peers[i].allowed_ips);
	free(dev->peers);
	sodium_memzero(dev, sizeof(*dev));
}

void nl_wg_device_free(struct nl_wg_device *d)
{
	if (!d)
		return;
	nl_wg_device_clear(d);
	free(d);
}

static int get_cb(const struct nlmsghdr *nlh, void *data)
{
	return nl_wg_parse_device(nlh, data);
}

static void get_reset(void *data)
{
	nl_wg_device_clear(data);
}

int nl_wg_device_get(struct nl_sock *s, int ifindex, struct nl_wg_device **ret)
{
	uint16_t family;
	int r = nl_genl_family_id(s, NL_GENL_WIREGUARD, &family);
	if (r < 0)
		return r;
	uint8_t buf[256];
	struct nlmsghdr *nlh;
	r = nl_wg_build_get(buf, sizeof(buf), family, ifindex, &nlh);
	if (r < 0)
		return r;
	_cleanup_(nl_wg_device_freep) struct nl_wg_device *d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	r = nl_dump(s, NL_PROTO_GENERIC, nlh, get_cb, d, get_reset);
	if (r < 0)
		return r;
	*ret = TAKE_PTR(d);
	return 0;
}

const struct nl_wg_peer *nl_wg_device_find_peer(const struct nl_wg_device *d,
						 const uint8_t public_key[NL_WG_KEY_LEN])
{
	for (size_t i = 0; i < d->n_peers; i++)
		if (memcmp(d->peers[i].public_key, public_key, NL_WG_KEY_LEN) == 0)
			return &d->peers[i];
	return NULL;
}

int nl_wg_key_from_base64(const char *b64, uint8_t ret_key[NL_WG_KEY_LEN])
{
	uint8_t key[NL_WG_KEY_LEN];
	size_t len;
	const char *end;
	if (!b64 || strlen(b64) != 44 ||
	    sodium_base642bin(key, sizeof(key), b64, 44, NULL, &len, &end,
			      sodium_base64_VARIANT_ORIGINAL) < 0 ||
	    len != NL_WG_KEY_LEN || *end) {
		sodium_memzero(key, sizeof(key));
		return -EINVAL;
	}
	memcpy(ret_key, key, NL_WG_KEY_LEN);
	sodium_memzero(key, sizeof(key));
	return 0;
}

void nl_wg_key_to_base64(const uint8_t key[NL_WG_KEY_LEN], char buf[45])
{
	sodium_bin2base64(buf, 45, key, NL_WG_KEY_LEN, sodium_base64_VARIANT_ORIGINAL);
}
