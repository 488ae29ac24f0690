/* SPDX-License-Identifier: GPL-2.0-or-later */
/* tcp-relay.c - see tcp-relay.h. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "loglimit.h"
#include "loop.h"
#include "tcp-frame.h"
#include "tcp-relay.h"
#include "sockaddr.h"

#define RX_BUF (4 * (TCP_FRAME_HDR + TCP_FRAME_MAX))
#define BATCH 64            /* datagrams or reads handled per wake-up, for fairness */
#define KEEPIDLE_S 15
#define KEEPINTVL_S 5
#define KEEPCNT 3
#define USER_TIMEOUT_MS 30000

/*
 * One TCP connection and its loopback UDP sockets. A server connection is
 * freed with its TCP connection; a client link stays, down, until its
 * owner frees it.
 */
enum { CH_WG, CH_PP, CH_COUNT }; /* a frame's kind - 1 */

struct tcp_link;
struct chan {
	struct tcp_link *k;
	int fd;                   /* -1: none (server WG before tcp_relay_bind()) */
	struct loop_io *io;
	uint16_t port;            /* its loopback port */
	uint16_t to;              /* the receiver's port */
};

struct tcp_link {
	struct tcp_relay *r;
	bool server;
	int tcp;
	struct loop_io *tcp_io;
	struct chan ch[CH_COUNT];
	bool connected;           /* TCP established */
	bool got_frame;           /* a valid frame received on this connection */
	uint64_t opened_ms;
	struct sockaddr_storage peer;
	struct tcp_link *next, **pprev; /* r->conns (server side) */
	size_t rx_len, tx_len;
	uint8_t rx[RX_BUF];
	uint8_t tx[TCP_RELAY_SNDBUF];
};

struct tcp_relay {
	struct loop *loop;
	int listen_fd;
	struct loop_io *listen_io;
	uint16_t pp_port;
	struct tcp_link *conns;   /* server connections */
	struct loop_timer *sweep; /* first-frame deadlines, log reports */
	struct loglimit logs;
	struct tcp_relay_stats st;
};

static void on_tcp(struct loop *l, int fd, short revents, void *userdata);

/* The next time the sweep timer must run: the earliest first-frame deadline
 * of a server connection, or the end of a log window with suppressed lines. */
static void arm_sweep(struct tcp_relay *r)
{
	uint64_t next = loglimit_next_report(&r->logs);
	for (struct tcp_link *k = r->conns; k; k = k->next)
		if (!k->got_frame) {
			uint64_t d = k->opened_ms + TCP_RELAY_FIRST_FRAME_MS;
			if (!next || d < next)
				next = d;
		}
	if (next)
		loop_timer_set(r->sweep, next);
	else
		loop_timer_disarm(r->sweep);
}

/* One line per disconnected peer, rate-limited per source address. */
static void log_peer(struct tcp_relay *r, const struct sockaddr_storage *peer, const char *why)
{
	char p[SOCKADDR_STRLEN];
	if (loglimit_allow(&r->logs, peer, LOG_WARNING, loop_now(r->loop)))
		log_msg(LOG_WARNING, "tcp relay: %s %s: disconnected", sockaddr_format(peer, p),
			why);
	arm_sweep(r);
}

static int set_sockopts(int fd)
{
	static const struct {
		int level, name, value;
	} opts[] = {
		{ IPPROTO_TCP, TCP_NODELAY, 1 },
		{ SOL_SOCKET, SO_KEEPALIVE, 1 },
		{ IPPROTO_TCP, TCP_KEEPIDLE, KEEPIDLE_S },
		{ IPPROTO_TCP, TCP_KEEPINTVL, KEEPINTVL_S },
		{ IPPROTO_TCP, TCP_KEEPCNT, KEEPCNT },
		{ IPPROTO_TCP, TCP_USER_TIMEOUT, USER_TIMEOUT_MS },
	};
	for (size_t i = 0; i < ARRAY_SIZE(opts); i++)
		if (setsockopt(fd, opts[i].level, opts[i].name, &opts[i].value, sizeof(int)) < 0)
			return -errno;
	return 0;
}

/* A UDP socket on 127.0.0.1 (any port) connected to 127.0.0.1:to (WireGuard
 * or the peer protocol). */
static int udp_open(uint16_t to, int *ret_fd, uint16_t *ret_port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	int r = 0;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    getsockname(fd, (struct sockaddr *)&a, &len) < 0) {
		r = -errno;
		goto out;
	}
	*ret_port = ntohs(a.sin_port);
	a.sin_port = htons(to);
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		r = -errno;
		goto out;
	}
	*ret_fd = TAKE_FD(fd);
out:
	if (fd >= 0)
		close(fd);
	return r;
}

static void update_tcp_events(struct tcp_link *k)
{
	if (!k->tcp_io)
		return;
	if (!k->connected)
		loop_io_set_events(k->tcp_io, POLLOUT);
	else
		loop_io_set_events(k->tcp_io, POLLIN | (k->tx_len ? POLLOUT : 0));
}

static void close_tcp(struct tcp_link *k)
{
	loop_io_remove(k->tcp_io);
	k->tcp_io = NULL;
	if (k->tcp >= 0) {
		close(k->tcp);
		k->r->st.conns--;
	}
	k->tcp = -1;
	k->connected = k->got_frame = false;
	k->rx_len = k->tx_len = 0;
}

static void chan_close(struct chan *ch)
{
	loop_io_remove(ch->io);
	ch->io = NULL;
	if (ch->fd >= 0)
		close(ch->fd);
	ch->fd = -1;
	ch->port = ch->to = 0;
}

static void on_udp(struct loop *l, int fd, short revents, void *userdata);

/* Open channel i of k towards loopback port `to`. 0 or -errno. */
static int chan_open(struct tcp_link *k, unsigned i, uint16_t to)
{
	struct chan *ch = &k->ch[i];
	chan_close(ch);
	ch->k = k;
	int r = udp_open(to, &ch->fd, &ch->port);
	if (r >= 0)
		r = loop_add_io(k->r->loop, ch->fd, POLLIN, on_udp, ch, &ch->io);
	if (r < 0)
		chan_close(ch);
	else
		ch->to = to;
	return r;
}

static void link_destroy(struct tcp_link *k)
{
	if (!k)
		return;
	close_tcp(k);
	for (unsigned i = 0; i < CH_COUNT; i++)
		chan_close(&k->ch[i]);
	if (k->pprev) {
		*k->pprev = k->next;
		if (k->next)
			k->next->pprev = k->pprev;
	}
	free(k);
}

/* The connection is gone (or refused): a server connection is freed, a
 * client link is down for good (its tunnel is dead: the tunnel manager
 * frees it and sets up another, which may be over TCP again). */
static void conn_lost(struct tcp_link *k)
{
	if (k->server) {
		struct tcp_relay *r = k->r;
		link_destroy(k);
		arm_sweep(r);
		return;
	}
	if (k->connected) {
		char p[SOCKADDR_STRLEN];
		log_msg(LOG_INFO, "tcp relay: connection to %s lost",
			sockaddr_format(&k->peer, p));
	}
	close_tcp(k);
}

static void conn_refuse(struct tcp_link *k, const char *why)
{
	k->r->st.refused++;
	log_peer(k->r, &k->peer, why);
	conn_lost(k);
}

/* Send what the buffer holds. 0, or -errno when the connection broke. */
static int flush_tx(struct tcp_link *k)
{
	size_t off = 0;
	int r = 0;
	while (off < k->tx_len) {
		ssize_t n = send(k->tcp, k->tx + off, k->tx_len - off, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0) {
			if (errno != EAGAIN && errno != EINTR)
				r = -errno;
			break;
		}
		off += (size_t)n;
	}
	memmove(k->tx, k->tx + off, k->tx_len - off);
	k->tx_len -= off;
	update_tcp_events(k);
	return r;
}

/* Datagrams from WireGuard or the peer protocol: framed into the send
 * buffer, or dropped. */
static void on_udp(struct loop *l _unused_, int fd, short revents _unused_, void *userdata)
{
	struct chan *ch = userdata;
	struct tcp_link *k = ch->k;
	int kind = (int)(ch - k->ch) + 1;
	uint8_t buf[TCP_FRAME_MAX + 1];
	bool queued = false;

	for (int i = 0; i < BATCH; i++) {
		ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT | MSG_TRUNC);
		if (n < 0)
			break; /* EAGAIN, or an ICMP error reported on the socket */
		size_t len = (size_t)n;
		if (tcp_frame_check_payload(buf, MIN(len, sizeof(buf))) != kind || len > TCP_FRAME_MAX ||
		    k->tcp < 0 || k->tx_len + TCP_FRAME_HDR + len > sizeof(k->tx)) {
			k->r->st.dropped++;
			continue;
		}
		tcp_frame_header(k->tx + k->tx_len, len);
		memcpy(k->tx + k->tx_len + TCP_FRAME_HDR, buf, len);
		k->tx_len += TCP_FRAME_HDR + len;
		k->r->st.frames_to_tcp++;
		k->r->st.bytes_to_tcp += len;
		queued = true;
	}
	if (queued && k->connected && flush_tx(k) < 0)
		conn_lost(k);
}

/* Frames from the TCP peer, to WireGuard. 0, or -errno when k was closed. */
static int read_tcp(struct tcp_link *k)
{
	for (int i = 0; i < BATCH; i++) {
		ssize_t n = recv(k->tcp, k->rx + k->rx_len, sizeof(k->rx) - k->rx_len, MSG_DONTWAIT);
		if (n == 0) {
			conn_lost(k);
			return -ECONNRESET;
		}
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				return 0;
			conn_lost(k);
			return -errno;
		}
		k->rx_len += (size_t)n;
		size_t off = 0, len;
		int r;
		while ((r = tcp_frame_parse(k->rx + off, k->rx_len - off, &len)) > 0) {
			/* The receiver busy or not there (a server connection whose
			 * tunnel is not set up yet): lost, as on UDP. */
			int fd = k->ch[r - 1].fd;
			if (fd < 0 || send(fd, k->rx + off + TCP_FRAME_HDR, len, MSG_DONTWAIT) < 0)
				k->r->st.dropped++;
			k->r->st.frames_from_tcp++;
			k->r->st.bytes_from_tcp += len;
			off += TCP_FRAME_HDR + len;
			k->got_frame = true;
		}
		if (r < 0) {
			conn_refuse(k, r == -EMSGSIZE ? "sent a frame length out of range"
						      : "sent a frame that is not WireGuard");
			return r;
		}
		memmove(k->rx, k->rx + off, k->rx_len - off);
		k->rx_len -= off;
	}
	return 0;
}

static void on_tcp(struct loop *l _unused_, int fd, short revents, void *userdata)
{
	struct tcp_link *k = userdata;

	if (!k->connected) {
		int err = 0;
		socklen_t len = sizeof(err);
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
			err = errno;
		if (err) {
			char p[SOCKADDR_STRLEN];
			log_msg(LOG_DEBUG, "tcp relay: connecting to %s: %s",
				sockaddr_format(&k->peer, p), strerror(err));
			conn_lost(k);
			return;
		}
		k->connected = true;
		k->r->st.connects++;
		if (flush_tx(k) < 0)
			conn_lost(k);
		return;
	}
	if ((revents & (POLLIN | POLLHUP | POLLERR)) && read_tcp(k) < 0)
		return;
	if ((revents & POLLOUT) && flush_tx(k) < 0)
		conn_lost(k);
}

static int client_connect(struct tcp_link *k)
{
	int r = 0;
	int fd = socket(k->peer.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	r = set_sockopts(fd);
	if (r < 0)
		goto out;
	const struct sockaddr *sa = (const struct sockaddr *)&k->peer;
	if (connect(fd, sa, sockaddr_len(sa)) < 0 && errno != EINPROGRESS) {
		r = -errno;
		goto out;
	}
	r = loop_add_io(k->r->loop, fd, POLLOUT, on_tcp, k, &k->tcp_io);
	if (r < 0)
		goto out;
	k->tcp = TAKE_FD(fd);
	k->r->st.conns++;
	k->opened_ms = loop_now(k->r->loop);
out:
	if (fd >= 0)
		close(fd);
	return r;
}

/* Take accepted connection c (closed on failure). 0 or -errno. */
static int server_conn_new(struct tcp_relay *r, int c, const struct sockaddr_storage *peer)
{
	struct tcp_link *k = calloc(1, sizeof(*k));
	int e;
	if (!k) {
		close(c);
		return -ENOMEM;
	}
	k->r = r;
	k->server = true;
	k->ch[CH_WG].fd = k->ch[CH_PP].fd = -1;
	k->tcp = c;
	r->st.conns++;
	k->connected = true;
	k->peer = *peer;
	k->opened_ms = loop_now(r->loop);
	k->next = r->conns;
	if (k->next)
		k->next->pprev = &k->next;
	k->pprev = &r->conns;
	r->conns = k;
	e = set_sockopts(c);
	if (e >= 0)
		e = chan_open(k, CH_PP, r->pp_port);
	if (e >= 0)
		e = loop_add_io(r->loop, c, POLLIN, on_tcp, k, &k->tcp_io);
	if (e < 0)
		link_destroy(k);
	return e;
}

static void on_accept(struct loop *l _unused_, int fd, short revents _unused_, void *userdata)
{
	struct tcp_relay *r = userdata;

	for (int i = 0; i < BATCH; i++) {
		struct sockaddr_storage peer;
		socklen_t plen = sizeof(peer);
		int c = accept4(fd, (struct sockaddr *)&peer, &plen, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (c < 0)
			break;
		if (r->st.conns >= TCP_RELAY_MAX_CONNS) {
			close(c);
			r->st.refused++;
			log_peer(r, &peer, "over the connection limit");
			continue;
		}
		int e = server_conn_new(r, c, &peer);
		if (e < 0)
			log_errno(LOG_ERR, e, "tcp relay: cannot take a connection");
		else
			r->st.accepted++;
	}
	arm_sweep(r);
}

static void on_sweep(struct loop *l, struct loop_timer *t _unused_, void *userdata)
{
	struct tcp_relay *r = userdata;
	uint64_t now = loop_now(l);
	struct tcp_link *k = r->conns;

	loglimit_tick(&r->logs, now);
	while (k) {
		struct tcp_link *next = k->next;
		if (!k->got_frame && now >= k->opened_ms + TCP_RELAY_FIRST_FRAME_MS) {
			r->st.refused++;
			log_peer(r, &k->peer, "sent no frame in time");
			link_destroy(k);
		}
		k = next;
	}
	arm_sweep(r);
}

int tcp_relay_new(struct loop *l, struct tcp_relay **ret)
{
	struct tcp_relay *r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->loop = l;
	r->listen_fd = -1;
	loglimit_init(&r->logs, "tcp relay");
	int e = loop_add_timer(l, 0, 0, on_sweep, r, &r->sweep);
	if (e < 0) {
		free(r);
		return e;
	}
	loop_timer_disarm(r->sweep);
	*ret = r;
	return 0;
}

void tcp_relay_unlisten(struct tcp_relay *r)
{
	loop_io_remove(r->listen_io);
	r->listen_io = NULL;
	if (r->listen_fd >= 0)
		close(r->listen_fd);
	r->listen_fd = -1;
}

void tcp_relay_free(struct tcp_relay *r)
{
	if (!r)
		return;
	tcp_relay_unlisten(r);
	while (r->conns)
		link_destroy(r->conns);
	loglimit_flush(&r->logs, loop_now(r->loop));
	loop_timer_remove(r->sweep);
	free(r);
}

int tcp_relay_listen(struct tcp_relay *r, const struct sockaddr_storage *addr, uint16_t pp_port,
		     uint16_t *ret_port)
{
	struct sockaddr_storage a = *addr;
	socklen_t len = sockaddr_len((const struct sockaddr *)addr);
	int one = 1, zero = 0, e = 0;
	int fd = socket(addr->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    (addr->ss_family == AF_INET6 &&
	     setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero)) < 0) ||
	    bind(fd, (const struct sockaddr *)addr, len) < 0 ||
	    getsockname(fd, (struct sockaddr *)&a, &len) < 0 || listen(fd, 64) < 0) {
		e = -errno;
		goto out;
	}
	tcp_relay_unlisten(r);
	e = loop_add_io(r->loop, fd, POLLIN, on_accept, r, &r->listen_io);
	if (e < 0)
		goto out;
	r->listen_fd = TAKE_FD(fd);
	r->pp_port = pp_port;
	if (ret_port)
		*ret_port = ntohs(a.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&a)->sin6_port
							  : ((struct sockaddr_in *)&a)->sin_port);
out:
	if (fd >= 0)
		close(fd);
	return e;
}

int tcp_link_new(struct tcp_relay *r, const struct sockaddr_storage *server, uint16_t wg_port,
		 uint16_t pp_port, struct tcp_link **ret)
{
	if (server->ss_family != AF_INET && server->ss_family != AF_INET6)
		return -EAFNOSUPPORT;
	struct tcp_link *k = calloc(1, sizeof(*k));
	int e;
	if (!k)
		return -ENOMEM;
	k->r = r;
	k->tcp = k->ch[CH_WG].fd = k->ch[CH_PP].fd = -1;
	k->peer = *server;
	e = chan_open(k, CH_WG, wg_port);
	if (e >= 0)
		e = chan_open(k, CH_PP, pp_port);
	if (e >= 0)
		e = client_connect(k);
	if (e < 0)
		goto fail;
	*ret = k;
	return 0;
fail:
	link_destroy(k);
	return e;
}

uint16_t tcp_link_port(const struct tcp_link *k)
{
	return k->ch[CH_WG].port;
}

uint16_t tcp_link_pp_port(const struct tcp_link *k)
{
	return k->ch[CH_PP].port;
}

static struct tcp_link *find_conn(const struct tcp_relay *r, const struct sockaddr_storage *pp_src)
{
	const struct sockaddr_in *s = (const struct sockaddr_in *)pp_src;
	if (pp_src->ss_family != AF_INET || s->sin_addr.s_addr != htonl(INADDR_LOOPBACK))
		return NULL;
	for (struct tcp_link *k = r->conns; k; k = k->next)
		if (k->ch[CH_PP].port == ntohs(s->sin_port))
			return k;
	return NULL;
}

bool tcp_relay_has(const struct tcp_relay *r, const struct sockaddr_storage *pp_src)
{
	return find_conn(r, pp_src) != NULL;
}

int tcp_relay_bind(struct tcp_relay *r, const struct sockaddr_storage *pp_src, uint16_t wg_port)
{
	struct tcp_link *k = find_conn(r, pp_src);
	if (!k || !wg_port)
		return k ? -EINVAL : -ENOENT;
	/* A set-up request resent: keep the endpoint WireGuard knows. */
	if (k->ch[CH_WG].fd >= 0 && k->ch[CH_WG].to == wg_port)
		return 0;
	return chan_open(k, CH_WG, wg_port);
}

bool tcp_link_connected(const struct tcp_link *k)
{
	return k->connected;
}

void tcp_link_free(struct tcp_link *k)
{
	link_destroy(k);
}

void tcp_relay_get_stats(const struct tcp_relay *r, struct tcp_relay_stats *ret)
{
	*ret = r->st;
}
