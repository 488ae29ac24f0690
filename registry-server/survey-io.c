/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A survey's I/O: the targets from the database, the paced requests, the answers (survey.h). */
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "db.h"
#include "log.h"
#include "macro.h"
#include "registry.h"
#include "survey.h"

static pthread_mutex_t survey_running = PTHREAD_MUTEX_INITIALIZER;

static uint64_t clock_us(clockid_t id)
{
	struct timespec ts;
	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

struct targets_ctx {
	struct registry *reg;
	struct survey *s;
	uint64_t now;
	uint64_t seq; /* out: the first sequence number */
};

/* Under the db lock: live announced nodes with a valid, unrevoked certificate; a seq range. */
static int targets_read(struct db_tx *tx, void *arg)
{
	struct targets_ctx *c = arg;
	struct registry *reg = c->reg;
	struct survey *s = c->s;
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int r;

	r = db_prepare_int64(tx, "SELECT p.prefix, p.endpoints, c.serial FROM peer p"
				 " JOIN cert c ON c.prefix = p.prefix"
				 " WHERE p.seen >= ?1 AND c.serial IS NOT NULL AND c.not_after > ?2"
				 " AND c.serial NOT IN (SELECT serial FROM crl)",
			     (int64_t)(c->now - reg->opt.peer_ttl), &st);
	if (r < 0)
		return r;
	sqlite3_bind_int64(st, 2, (int64_t)c->now);
	while (s->n < SURVEY_MAX_TARGETS && (r = db_step(st)) == 1) {
		struct survey_target *t = &s->t[s->n];
		const char *bits = (const char *)sqlite3_column_text(st, 0);
		const char *eps = (const char *)sqlite3_column_text(st, 1);

		if (!bits || !eps || prefix_from_bit_string(&reg->ca.network, bits, &t->node) < 0 ||
		    pp_endpoints_parse(eps, strlen(eps), t->ep, SURVEY_MAX_ENDPOINTS, &t->n_ep) < 0)
			continue;
		t->serial = (uint64_t)sqlite3_column_int64(st, 2);
		s->n++;
	}
	if (r < 0)
		return r;
	/* One sequence space with push.c: the nodes' replay check for the CA key. */
	c->seq = MAX(clock_us(CLOCK_REALTIME), reg->push_seq + 1);
	reg->push_seq = c->seq + s->n * SURVEY_MAX_ENDPOINTS;
	return 0;
}

static void sockaddr_of(const struct pp_endpoint *e, struct sockaddr_in6 *ret)
{
	*ret = (struct sockaddr_in6){ .sin6_family = AF_INET6, .sin6_port = htons(e->port) };
	if (e->family == AF_INET) {
		ret->sin6_addr.s6_addr[10] = 0xff;
		ret->sin6_addr.s6_addr[11] = 0xff;
		memcpy(&ret->sin6_addr.s6_addr[12], e->addr, 4);
	} else
		memcpy(&ret->sin6_addr, e->addr, 16);
}

/* The next request datagram (target *i, endpoint *j), advancing; false when all are sent. */
static bool send_next(struct registry *reg, struct survey *s, int fd, size_t *i, size_t *j,
		      uint64_t *seq, uint8_t *buf)
{
	while (*i < s->n && *j >= s->t[*i].n_ep) {
		(*i)++;
		*j = 0;
	}
	if (*i >= s->n)
		return false;
	{
		struct survey_target *t = &s->t[*i];
		struct pp_msg m = { .type = s->kind == SURVEY_VERSIONS ? PP_NODE_INFO_REQUEST
								      : PP_TOPOLOGY_REQUEST,
				    .seq = (*seq)++, .to = t->node };
		struct sockaddr_in6 sa;
		size_t len;

		sockaddr_of(&t->ep[*j], &sa);
		(*j)++;
		if (pp_encode(&m, reg->ca_key->sign_sk, buf, PP_MAX_SIZE, &len) == 0 &&
		    sendto(fd, buf, len, 0, (struct sockaddr *)&sa, sizeof(sa)) < 0)
			log_debug("survey: to port %u: %m", t->ep[*j - 1].port);
	}
	return true;
}

static int run(struct registry *reg, struct survey *s, uint64_t seq, unsigned timeout_s)
{
	_cleanup_free_ uint8_t *buf = malloc(PP_MAX_SIZE);
	_cleanup_close_ int fd = -1;
	uint64_t start = clock_us(CLOCK_MONOTONIC), last = start, sent = 0;
	size_t i = 0, j = 0;
	bool sending = true;
	unsigned ignored = 0;

	if (!buf)
		return -ENOMEM;
	fd = socket(AF_INET6, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return negative_errno();
	(void)setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &(int){ 0 }, sizeof(int));
	while (s->n_answered < s->n) {
		uint64_t now = clock_us(CLOCK_MONOTONIC), wait_ms;
		struct pollfd p = { .fd = fd, .events = POLLIN };

		if (now - start >= (uint64_t)SURVEY_MAX_S * 1000000u ||
		    (!sending && now - last >= (uint64_t)timeout_s * 1000000u))
			break;
		/* Paced: SURVEY_RATE datagrams per second since the start. */
		while (sending && sent < (now - start) * SURVEY_RATE / 1000000u + 1) {
			sending = send_next(reg, s, fd, &i, &j, &seq, buf);
			sent += sending;
			last = now;
		}
		wait_ms = sending ? 1 : ((uint64_t)timeout_s * 1000000u - (now - last)) / 1000u + 1;
		if (poll(&p, 1, (int)MIN(wait_ms, 1000u)) < 0 && errno != EINTR)
			return negative_errno();
		for (int k = 0; k < 64 && (p.revents & POLLIN); k++) {
			const char *why;
			ssize_t n = recv(fd, buf, PP_MAX_SIZE, MSG_DONTWAIT);
			int r;

			if (n < 0)
				break;
			r = survey_accept(s, buf, (size_t)n, registry_now(),
					  clock_us(CLOCK_REALTIME), &why);
			if (r < 0)
				return r;
			if (r > 0)
				last = clock_us(CLOCK_MONOTONIC);
			else if (ignored++ < 10)
				log_debug("survey: answer ignored: %s", why);
		}
	}
	log_info("survey: %zu of %zu nodes answered in %.1f s (%u datagrams ignored)",
		 s->n_answered, s->n, (double)(clock_us(CLOCK_MONOTONIC) - start) / 1e6, ignored);
	return 0;
}

int registry_survey_run(struct registry *reg, enum survey_kind kind, unsigned timeout_s,
			struct survey *ret)
{
	struct survey s;
	struct targets_ctx c = { .reg = reg, .s = &s, .now = registry_now() };
	int r;

	if (timeout_s < 1 || timeout_s > SURVEY_MAX_S)
		return -EINVAL;
	if (pthread_mutex_trylock(&survey_running) != 0)
		return -EBUSY;
	r = survey_init(&s, &reg->ca, kind);
	if (r >= 0)
		r = db_read(reg->db, "survey", targets_read, &c);
	if (r >= 0)
		r = run(reg, &s, c.seq, timeout_s);
	pthread_mutex_unlock(&survey_running);
	if (r < 0) {
		survey_done(&s);
		return r;
	}
	*ret = s;
	return 0;
}

int registry_survey(struct registry *reg, enum survey_kind kind, unsigned timeout_s,
		    char **ret_json, size_t *ret_len)
{
	struct survey s;
	int r = registry_survey_run(reg, kind, timeout_s, &s);

	if (r < 0)
		return r;
	r = survey_json(&s, ret_json, ret_len);
	survey_done(&s);
	return r;
}
