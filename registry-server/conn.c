/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "conn.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "log.h"
#include "remote-log.h"
#include "macro.h"

#define SWEEP_MS 250

/* An address as compared: 4 bytes for IPv4 (also v4-mapped), 16 for IPv6. */
struct addr {
	uint8_t a[16];
	uint8_t len;
};

struct conn {
	struct conn *prev, *next;
	int fd;
	struct addr peer;
	uint64_t start_ms;  /* of the request being received */
	bool busy;          /* received, being answered */
	bool shut;          /* shut down by the sweeper */
	char *uri;
};

struct conn_table {
	pthread_mutex_t lock;
	pthread_cond_t wake;
	pthread_t sweeper;
	bool stop;
	uint64_t deadline_ms;
	struct conn *head;
	unsigned long expired;
	unsigned max_per_address;
	struct addr *exempt;
	size_t n_exempt;
};

static bool addr_of(const struct sockaddr *sa, struct addr *ret)
{
	*ret = (struct addr){};
	if (sa->sa_family == AF_INET) {
		memcpy(ret->a, &((const struct sockaddr_in *)sa)->sin_addr, 4);
		ret->len = 4;
	} else if (sa->sa_family == AF_INET6) {
		const struct in6_addr *a = &((const struct sockaddr_in6 *)sa)->sin6_addr;
		if (IN6_IS_ADDR_V4MAPPED(a)) {
			memcpy(ret->a, &a->s6_addr[12], 4);
			ret->len = 4;
		} else {
			memcpy(ret->a, a, 16);
			ret->len = 16;
		}
	} else
		return false;
	return true;
}

static bool addr_eq(const struct addr *x, const struct addr *y)
{
	return x->len == y->len && memcmp(x->a, y->a, x->len) == 0;
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void *sweep(void *arg)
{
	struct conn_table *t = arg;

	pthread_mutex_lock(&t->lock);
	while (!t->stop) {
		struct timespec ts;
		uint64_t now;

		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += SWEEP_MS * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&t->wake, &t->lock, &ts);
		now = now_ms();
		/* The fd stays open until libmicrohttpd has told conn_notify() it
		 * closed the connection, which takes this lock: it is ours. */
		for (struct conn *k = t->head; k; k = k->next)
			if (!k->busy && !k->shut && now - k->start_ms > t->deadline_ms) {
				shutdown(k->fd, SHUT_RDWR);
				k->shut = true;
				t->expired++;
			}
	}
	pthread_mutex_unlock(&t->lock);
	return NULL;
}

static int parse_exempt(struct conn_table *t, const char *const *exempt, size_t n)
{
	t->exempt = calloc(n ? n : 1, sizeof(*t->exempt));
	if (!t->exempt)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		struct addr *e = &t->exempt[t->n_exempt++];
		uint8_t a[16];

		if (inet_pton(AF_INET, exempt[i], a) == 1) {
			memcpy(e->a, a, 4);
			e->len = 4;
		} else if (inet_pton(AF_INET6, exempt[i], a) == 1) {
			struct sockaddr_in6 s6 = { .sin6_family = AF_INET6 };
			memcpy(&s6.sin6_addr, a, 16);
			addr_of((struct sockaddr *)&s6, e);
		} else
			return -EINVAL;
	}
	return 0;
}

int conn_table_new(unsigned deadline, unsigned max_per_address, const char *const *exempt,
		   size_t n_exempt, struct conn_table **ret)
{
	_cleanup_free_ struct conn_table *t = calloc(1, sizeof(*t));
	int r;

	if (!t)
		return -ENOMEM;
	if (!deadline || !max_per_address)
		return -EINVAL;
	r = parse_exempt(t, exempt, n_exempt);
	if (r < 0) {
		free(t->exempt);
		return r;
	}
	t->max_per_address = max_per_address;
	t->deadline_ms = (uint64_t)deadline * 1000u;
	pthread_mutex_init(&t->lock, NULL);
	pthread_cond_init(&t->wake, NULL);
	r = pthread_create(&t->sweeper, NULL, sweep, t);
	if (r) {
		pthread_cond_destroy(&t->wake);
		pthread_mutex_destroy(&t->lock);
		free(t->exempt);
		return -r;
	}
	*ret = TAKE_PTR(t);
	return 0;
}

void conn_table_free(struct conn_table *t)
{
	if (!t)
		return;
	pthread_mutex_lock(&t->lock);
	t->stop = true;
	pthread_cond_signal(&t->wake);
	pthread_mutex_unlock(&t->lock);
	pthread_join(t->sweeper, NULL);
	while (t->head) { /* none after MHD_stop_daemon(); be safe */
		struct conn *k = t->head;
		t->head = k->next;
		free(k->uri);
		free(k);
	}
	pthread_cond_destroy(&t->wake);
	pthread_mutex_destroy(&t->lock);
	free(t->exempt);
	free(t);
}

enum MHD_Result conn_accept(void *cls, const struct sockaddr *addr, socklen_t addrlen)
{
	struct conn_table *t = cls;
	struct addr a;
	unsigned n = 0;

	if (!addr_of(addr, &a))
		return MHD_YES;
	for (size_t i = 0; i < t->n_exempt; i++)
		if (addr_eq(&a, &t->exempt[i]))
			return MHD_YES;
	pthread_mutex_lock(&t->lock);
	for (struct conn *k = t->head; k && n < t->max_per_address; k = k->next)
		n += !k->shut && addr_eq(&k->peer, &a);
	pthread_mutex_unlock(&t->lock);
	if (n < t->max_per_address)
		return MHD_YES;
	{
		char ip[INET6_ADDRSTRLEN];
		inet_ntop(a.len == 4 ? AF_INET : AF_INET6, a.a, ip, sizeof(ip));
		remote_log(ip, LOG_WARNING, "%s: connection refused: already %u from this address"
			   " (--max-per-address)", ip, n);
	}
	return MHD_NO;
}

void conn_notify(void *cls, struct MHD_Connection *c, void **socket_context,
		 enum MHD_ConnectionNotificationCode code)
{
	struct conn_table *t = cls;
	struct conn *k = *socket_context;

	if (code == MHD_CONNECTION_NOTIFY_STARTED) {
		const union MHD_ConnectionInfo *ci =
			MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);

		k = calloc(1, sizeof(*k));
		if (!k)
			return; /* untracked: libmicrohttpd's idle timeout still applies */
		const union MHD_ConnectionInfo *ca =
			MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);

		k->fd = ci ? ci->connect_fd : -1;
		if (ca && ca->client_addr)
			addr_of(ca->client_addr, &k->peer);
		k->start_ms = now_ms();
		k->shut = k->fd < 0;
		pthread_mutex_lock(&t->lock);
		k->next = t->head;
		if (t->head)
			t->head->prev = k;
		t->head = k;
		pthread_mutex_unlock(&t->lock);
		*socket_context = k;
		return;
	}
	if (!k)
		return;
	pthread_mutex_lock(&t->lock);
	if (k->prev)
		k->prev->next = k->next;
	else
		t->head = k->next;
	if (k->next)
		k->next->prev = k->prev;
	pthread_mutex_unlock(&t->lock);
	free(k->uri);
	free(k);
	*socket_context = NULL;
}

struct conn *conn_of(struct MHD_Connection *c)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);

	return ci ? ci->socket_context : NULL;
}

bool conn_set_uri(struct conn *k, const char *uri)
{
	free(k->uri);
	k->uri = strdup(uri);
	return k->uri != NULL;
}

void conn_refuse(struct conn_table *t, struct conn *k, const char *response)
{
	pthread_mutex_lock(&t->lock);
	if (!k->shut && k->fd >= 0) {
		(void)!send(k->fd, response, strlen(response), MSG_NOSIGNAL | MSG_DONTWAIT);
	}
	pthread_mutex_unlock(&t->lock);
}

char *conn_take_uri(struct conn *k)
{
	return TAKE_PTR(k->uri);
}

void conn_request_received(struct conn_table *t, struct conn *k)
{
	pthread_mutex_lock(&t->lock);
	k->busy = true;
	pthread_mutex_unlock(&t->lock);
}

void conn_request_done(struct conn_table *t, struct conn *k)
{
	pthread_mutex_lock(&t->lock);
	k->busy = false;
	k->start_ms = now_ms();
	pthread_mutex_unlock(&t->lock);
}

void conn_drain(struct conn_table *t, unsigned timeout_ms)
{
	uint64_t end = now_ms() + timeout_ms;
	bool empty = false;

	while (!empty && now_ms() < end) {
		pthread_mutex_lock(&t->lock);
		for (struct conn *k = t->head; k; k = k->next)
			if (!k->shut && k->fd >= 0) {
				shutdown(k->fd, SHUT_RDWR);
				k->shut = true;
			}
		empty = !t->head;
		pthread_mutex_unlock(&t->lock);
		if (!empty)
			nanosleep(&(struct timespec){ .tv_nsec = 20 * 1000000L }, NULL);
	}
}

unsigned long conn_expired_count(struct conn_table *t)
{
	unsigned long n;

	pthread_mutex_lock(&t->lock);
	n = t->expired;
	pthread_mutex_unlock(&t->lock);
	return n;
}
