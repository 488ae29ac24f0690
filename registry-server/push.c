/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <inttypes.h>
#include <netinet/in.h>
#include <sqlite3.h>
#include <sys/socket.h>
#include <time.h>

#include "db.h"
#include "log.h"
#include "peerproto.h"
#include "prefix.h"
#include "push.h"
#include "registry.h"

#define MAX_TARGETS 4096
#define MAX_ENDPOINTS 16

struct target {
	struct re6st_prefix node;
	struct pp_endpoint ep[MAX_ENDPOINTS];
	size_t n_ep;
};

static uint64_t now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static void sockaddr_of(const struct pp_endpoint *e, struct sockaddr_in6 *ret)
{
	/* One dual-stack socket: IPv4 endpoints go IPv4-mapped. */
	*ret = (struct sockaddr_in6){ .sin6_family = AF_INET6, .sin6_port = htons(e->port) };
	if (e->family == AF_INET) {
		ret->sin6_addr.s6_addr[10] = 0xff;
		ret->sin6_addr.s6_addr[11] = 0xff;
		memcpy(&ret->sin6_addr.s6_addr[12], e->addr, 4);
	} else {
		memcpy(&ret->sin6_addr, e->addr, 16);
	}
}

struct collect_ctx {
	struct registry *reg;
	uint64_t now;
	uint8_t *doc;      /* out */
	size_t len;        /* out */
	struct target *t;  /* out: MAX_TARGETS entries */
	size_t n;          /* out */
	uint64_t seq;      /* out: first sequence number */
};

/* Under the db lock: the document, the live announced endpoints, sequence numbers. */
static int collect(struct db_tx *tx, void *arg)
{
	struct collect_ctx *c = arg;
	struct registry *reg = c->reg;
	_cleanup_stmt_ sqlite3_stmt *s = NULL;
	int r;

	if (!reg->netconf_bin)
		return -ENODATA;
	c->doc = malloc(reg->netconf_bin_len);
	if (!c->doc)
		return -ENOMEM;
	memcpy(c->doc, reg->netconf_bin, reg->netconf_bin_len);
	c->len = reg->netconf_bin_len;
	c->t = calloc(MAX_TARGETS, sizeof(*c->t));
	if (!c->t)
		return -ENOMEM;
	r = db_prepare_int64(tx, "SELECT prefix, endpoints FROM peer WHERE seen >= ?",
			     (int64_t)(c->now - reg->opt.peer_ttl), &s);
	if (r < 0)
		return r;
	while (c->n < MAX_TARGETS && (r = db_step(s)) == 1) {
		struct target *t = &c->t[c->n];
		const char *bits = (const char *)sqlite3_column_text(s, 0);
		const char *eps = (const char *)sqlite3_column_text(s, 1);
		if (!bits || !eps || prefix_from_bit_string(&reg->ca.network, bits, &t->node) < 0 ||
		    pp_endpoints_parse(eps, strlen(eps), t->ep, MAX_ENDPOINTS, &t->n_ep) < 0)
			continue;
		c->n++;
	}
	if (r < 0)
		return r;
	/* seq doubles as the timestamp: strictly increasing for this sender */
	c->seq = MAX(now_us(), reg->push_seq + 1);
	reg->push_seq = c->seq + c->n * MAX_ENDPOINTS;
	return 0;
}

int registry_push_netconf(struct registry *reg)
{
	struct collect_ctx c = { .reg = reg, .now = (uint64_t)time(NULL) };
	_cleanup_free_ uint8_t *doc = NULL, *buf = NULL;
	_cleanup_free_ struct target *t = NULL;
	_cleanup_close_ int fd = -1;
	size_t len, n;
	uint64_t seq;
	int r, sent = 0;

	r = db_read(reg->db, "push", collect, &c);
	doc = c.doc;
	t = c.t;
	len = c.len;
	n = c.n;
	seq = c.seq;
	if (r < 0)
		return r;
	if (n == 0)
		return 0;
	buf = malloc(PP_MAX_SIZE);
	if (!buf)
		return -ENOMEM;
	fd = socket(AF_INET6, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return negative_errno();
	(void)setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &(int){ 0 }, sizeof(int));

	for (size_t i = 0; i < n; i++) {
		for (size_t j = 0; j < t[i].n_ep; j++) {
			struct pp_msg m = {
				.type = PP_NETCONF,
				.seq = seq++,
				.to = t[i].node,
				.netconf = { doc, len },
			};
			struct sockaddr_in6 sa;
			size_t mlen;

			if (pp_encode(&m, reg->ca_key->sign_sk, buf, PP_MAX_SIZE, &mlen) < 0)
				continue;
			sockaddr_of(&t[i].ep[j], &sa);
			if (sendto(fd, buf, mlen, 0, (struct sockaddr *)&sa, sizeof(sa)) < 0)
				log_debug("push: to port %u: %s", t[i].ep[j].port, strerror(errno));
			else
				sent++;
		}
	}
	return sent;
}
