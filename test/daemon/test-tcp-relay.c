/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The TCP relay on loopback (daemon/tcp-relay.h), with plain UDP sockets
 * standing in for the two WireGuards and peer protocols: a set-up exchange,
 * WireGuard datagrams only once the server connection is bound, then
 * datagrams in, the same datagrams out in order, both ways; datagrams that
 * are neither WireGuard nor peer-protocol messages dropped;
 * hostile TCP peers (garbage, lengths out of range, a good frame then
 * garbage, silence) disconnected with rate-limited log lines; a full send
 * buffer drops; a client link whose server went stays down.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "check.h"
#include "log.h"
#include "loglimit.h"
#include "loop.h"
#include "tcp-frame.h"
#include "sockaddr.h"
#include "tcp-relay.h"

static struct loop *L;

/* A "WireGuard": a UDP socket on 127.0.0.1 (non-blocking). */
static int wg_open(uint16_t *ret_port)
{
	struct sockaddr_storage ss = sockaddr_loopback4(0);
	socklen_t len = sizeof(struct sockaddr_in);
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int big = 4 << 20;
	if (fd < 0 || bind(fd, (struct sockaddr *)&ss, len) < 0 ||
	    getsockname(fd, (struct sockaddr *)&ss, &len) < 0)
		abort();
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
	*ret_port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
	return fd;
}

/* A peer-protocol-looking message: the magic, then seq and filler. */
static size_t make_pp(uint8_t *buf, unsigned seq, size_t len)
{
	memset(buf, 0, len);
	memcpy(buf, "R6P", 3);
	memcpy(buf + 4, &seq, sizeof(seq));
	for (size_t i = 8; i < len; i++)
		buf[i] = (uint8_t)(seq * 7 + i);
	return len;
}

/* A WireGuard-looking message: type 4, three zeros, then seq and filler. */
static size_t make_msg(uint8_t *buf, unsigned seq, size_t len)
{
	memset(buf, 0, len);
	buf[0] = 4;
	memcpy(buf + 4, &seq, sizeof(seq));
	for (size_t i = 8; i < len; i++)
		buf[i] = (uint8_t)(seq * 31 + i);
	return len;
}

static size_t msg_len(unsigned i)
{
	static const size_t sizes[] = { 32, 148, 92, 64, 1452, 1500, TCP_FRAME_MAX, 33, 600 };
	return sizes[i % (sizeof(sizes) / sizeof(sizes[0]))];
}

static void spin(int ms)
{
	uint64_t end = loop_clock_ms() + (uint64_t)ms;
	while (loop_clock_ms() < end)
		loop_run_once(L, 10);
}

/* Run the loop until fd has a datagram or timeout; recv it into buf. */
static ssize_t wait_recv(int fd, uint8_t *buf, size_t size, struct sockaddr_storage *from,
			 int timeout_ms)
{
	uint64_t end = loop_clock_ms() + (uint64_t)timeout_ms;
	do {
		socklen_t len = sizeof(*from);
		ssize_t n = recvfrom(fd, buf, size, MSG_DONTWAIT, (struct sockaddr *)from, &len);
		if (n >= 0)
			return n;
		loop_run_once(L, 5);
	} while (loop_clock_ms() < end);
	return -ETIMEDOUT;
}

/* Send n messages from fd to `to`, check they arrive at `at` whole and in
 * order. Returns the sender address seen at `at`. */
static struct sockaddr_storage stream(int fd, uint16_t to, int at, unsigned n, const char *dir)
{
	struct sockaddr_storage dst = sockaddr_loopback4(to), from = { 0 };
	static uint8_t out[TCP_FRAME_MAX], in[TCP_FRAME_MAX + 16];
	unsigned got = 0, sent = 0, bad = 0;

	while (got < n) {
		/* keep a small window in flight: UDP on loopback drops too */
		while (sent < n && sent < got + 16) {
			size_t len = make_msg(out, sent, msg_len(sent));
			if (sendto(fd, out, len, 0, (struct sockaddr *)&dst, sizeof(struct sockaddr_in)) !=
			    (ssize_t)len)
				abort();
			sent++;
		}
		ssize_t r = wait_recv(at, in, sizeof(in), &from, 3000);
		if (r < 0)
			break;
		size_t want = make_msg(out, got, msg_len(got));
		if ((size_t)r != want || memcmp(in, out, want)) {
			if (!bad++)
				fprintf(stderr, "%s: message %u: %zd bytes (want %zu), seq %u\n", dir, got, r,
					want, r >= 8 ? *(unsigned *)(in + 4) : 0);
		}
		got++;
	}
	CHECK_EQ(got, n);
	CHECK(bad == 0, "%s: %u of %u messages differ or out of order", dir, bad, n);
	return from;
}

static int tcp_to(uint16_t port)
{
	struct sockaddr_storage ss = sockaddr_loopback4(port);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&ss, sizeof(struct sockaddr_in)) < 0)
		abort();
	return fd;
}

/* Whether the relay closed fd within timeout (EOF or reset). */
static bool closed_by_relay(int fd, int timeout_ms)
{
	uint64_t end = loop_clock_ms() + (uint64_t)timeout_ms;
	do {
		uint8_t b[64];
		ssize_t n = recv(fd, b, sizeof(b), MSG_DONTWAIT);
		if (n == 0 || (n < 0 && errno != EAGAIN))
			return true;
		loop_run_once(L, 10);
	} while (loop_clock_ms() < end);
	return false;
}

static unsigned count_lines(const char *path, const char *needle)
{
	FILE *f = fopen(path, "r");
	char line[512];
	unsigned n = 0;
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		n += strstr(line, needle) != NULL;
	fclose(f);
	return n;
}

static void hostile(struct tcp_relay *srv, uint16_t tcp_port, int pp_b, const char *logpath)
{
	struct tcp_relay_stats st0, st;
	static uint8_t buf[TCP_FRAME_MAX + 16];
	struct sockaddr_storage from;
	tcp_relay_get_stats(srv, &st0);

	static const struct {
		const char *name;
		const uint8_t *data;
		size_t len;
	} cases[] = {
		{ "http", (const uint8_t *)"GET / HTTP/1.1\r\nHost: x\r\n\r\n", 27 },
		{ "length 65535", (const uint8_t *)"\xff\xff\x04\0\0\0", 6 },
		{ "length 0", (const uint8_t *)"\0\0", 2 },
		{ "length 31", (const uint8_t *)"\0\x1f\x04\0\0\0", 6 },
		{ "length 9217", (const uint8_t *)"\x24\x01\x04\0\0\0", 6 },
		{ "type 0", (const uint8_t *)"\0\x40\0\0\0\0", 6 },
		{ "type 5", (const uint8_t *)"\0\x40\x05\0\0\0", 6 },
		{ "reserved byte", (const uint8_t *)"\0\x40\x01\0\x01\0", 6 },
		{ "bad magic", (const uint8_t *)"\0\x40R6X", 5 },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int fd = tcp_to(tcp_port);
		CHECK(send(fd, cases[i].data, cases[i].len, MSG_NOSIGNAL) == (ssize_t)cases[i].len);
		CHECK(closed_by_relay(fd, 2000), "%s: connection still open", cases[i].name);
		close(fd);
	}
	tcp_relay_get_stats(srv, &st);
	CHECK_EQ(st.refused - st0.refused, sizeof(cases) / sizeof(cases[0]));
	CHECK_EQ(st.frames_from_tcp, st0.frames_from_tcp);

	/* A good frame (peer protocol: a connection is not bound to WireGuard
	 * yet), written one byte at a time, then garbage: the frame is
	 * delivered, then the connection is closed. */
	int fd = tcp_to(tcp_port);
	uint8_t frame[TCP_FRAME_HDR + 148];
	size_t len = make_pp(frame + TCP_FRAME_HDR, 77, 148);
	tcp_frame_header(frame, len);
	for (size_t i = 0; i < sizeof(frame); i++) {
		CHECK(send(fd, frame + i, 1, MSG_NOSIGNAL) == 1);
		spin(2);
	}
	ssize_t n = wait_recv(pp_b, buf, sizeof(buf), &from, 2000);
	CHECK(n == 148 && !memcmp(buf, frame + TCP_FRAME_HDR, 148), "byte-wise frame: %zd", n);
	CHECK(send(fd, "\xff\xff\xff\xff", 4, MSG_NOSIGNAL) == 4);
	CHECK(closed_by_relay(fd, 2000), "good frame then garbage: still open");
	close(fd);

	/* Silence: closed after the first-frame delay. */
	fd = tcp_to(tcp_port);
	CHECK(!closed_by_relay(fd, TCP_RELAY_FIRST_FRAME_MS - 2000), "silent: closed too early");
	CHECK(closed_by_relay(fd, 4000), "silent: still open");
	close(fd);

	/* 40 more from the same address: log lines stay within the limit. */
	unsigned before = count_lines(logpath, "disconnected");
	for (int i = 0; i < 40; i++) {
		fd = tcp_to(tcp_port);
		send(fd, "\0\0", 2, MSG_NOSIGNAL);
		CHECK(closed_by_relay(fd, 2000), "flood %d: still open", i);
		close(fd);
	}
	unsigned after = count_lines(logpath, "disconnected");
	CHECK(after - before <= LOGLIMIT_BURST, "%u log lines for 40 bad peers", after - before);
	tcp_relay_get_stats(srv, &st);
	fprintf(stderr, "hostile: %llu refused, %u log lines in all\n",
		(unsigned long long)st.refused, after);
}

/* A server that accepts and never reads: the client's buffer fills, the
 * relay drops, nothing grows. */
static void full_buffer(struct tcp_relay *cli, int wg_a, uint16_t wg_a_port)
{
	struct sockaddr_storage ls = sockaddr_loopback4(0);
	socklen_t slen = sizeof(struct sockaddr_in);
	int lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&ls, slen) < 0 || listen(lfd, 1) < 0 ||
	    getsockname(lfd, (struct sockaddr *)&ls, &slen) < 0)
		abort();
	struct tcp_link *k = NULL;
	CHECK_EQ(tcp_link_new(cli, &ls, wg_a_port, wg_a_port, &k), 0);
	struct tcp_relay_stats st0, st;
	tcp_relay_get_stats(cli, &st0);
	struct sockaddr_storage dst = sockaddr_loopback4(tcp_link_port(k));
	static uint8_t out[1452];
	for (unsigned i = 0; i < 20000; i++) {
		make_msg(out, i, sizeof(out));
		sendto(wg_a, out, sizeof(out), 0, (struct sockaddr *)&dst, sizeof(struct sockaddr_in));
		if (i % 32 == 0)
			loop_run_once(L, 0);
	}
	spin(200);
	tcp_relay_get_stats(cli, &st);
	CHECK(st.dropped > st0.dropped, "full buffer: nothing dropped");
	CHECK(tcp_link_connected(k));
	fprintf(stderr, "full buffer: %llu framed, %llu dropped\n",
		(unsigned long long)(st.frames_to_tcp - st0.frames_to_tcp),
		(unsigned long long)(st.dropped - st0.dropped));
	tcp_link_free(k);
	close(lfd);
}

int main(void)
{
	char logpath[] = "/tmp/test-tcp-relay-XXXXXX";
	int lf = mkstemp(logpath);
	if (lf < 0 || log_setup("test-tcp-relay", LOG_INFO, LOG_TARGET_FILE, logpath) < 0)
		return 1;
	close(lf);
	if (loop_new(&L) < 0)
		return 1;

	uint16_t pa, pb, ppa, ppb, tcp_port = 0;
	int wg_a = wg_open(&pa), wg_b = wg_open(&pb), pp_a = wg_open(&ppa), pp_b = wg_open(&ppb);
	struct tcp_relay *srv = NULL, *cli = NULL;
	CHECK_EQ(tcp_relay_new(L, &srv), 0);
	CHECK_EQ(tcp_relay_new(L, &cli), 0);
	struct sockaddr_storage any = sockaddr_loopback4(0);
	CHECK_EQ(tcp_relay_listen(srv, &any, ppb, &tcp_port), 0);
	CHECK(tcp_port != 0);

	struct sockaddr_storage server = sockaddr_loopback4(tcp_port);
	struct tcp_link *k = NULL;
	CHECK_EQ(tcp_link_new(cli, &server, pa, ppa, &k), 0);
	uint16_t lport = tcp_link_port(k);
	CHECK(tcp_link_pp_port(k) != lport);

	/* The set-up exchange: a request from A's peer protocol reaches B's
	 * from a loopback address of the connection; before the server binds
	 * that connection, WireGuard's datagrams are dropped there. */
	static uint8_t m[TCP_FRAME_MAX];
	struct sockaddr_storage to_pp = sockaddr_loopback4(tcp_link_pp_port(k)), to_wg = sockaddr_loopback4(lport), req_src;
	size_t mlen = make_pp(m, 1, 300);
	CHECK(sendto(pp_a, m, mlen, 0, (struct sockaddr *)&to_pp, sizeof(struct sockaddr_in)) == 300);
	static uint8_t in[TCP_FRAME_MAX + 16];
	ssize_t got = wait_recv(pp_b, in, sizeof(in), &req_src, 3000);
	CHECK(got == 300 && !memcmp(in, m, 300), "set-up request: %zd bytes", got);
	make_msg(m, 0, 148);
	m[0] = 1;
	sendto(wg_a, m, 148, 0, (struct sockaddr *)&to_wg, sizeof(struct sockaddr_in));
	CHECK_EQ(wait_recv(wg_b, in, sizeof(in), &req_src, 300), -ETIMEDOUT);
	struct sockaddr_storage nobody = sockaddr_loopback4(1);
	CHECK_EQ(tcp_relay_bind(srv, &nobody, pb), -ENOENT);
	CHECK(!tcp_relay_has(srv, &nobody));
	CHECK(tcp_relay_has(srv, &req_src));
	CHECK_EQ(tcp_relay_bind(srv, &req_src, 0), -EINVAL);
	CHECK_EQ(tcp_relay_bind(srv, &req_src, pb), 0);
	CHECK_EQ(tcp_relay_bind(srv, &req_src, pb), 0); /* a resent request: kept */
	mlen = make_pp(m, 2, 92);
	CHECK(sendto(pp_b, m, mlen, 0, (struct sockaddr *)&req_src, sizeof(struct sockaddr_in)) == 92);
	struct sockaddr_storage ans_src;
	got = wait_recv(pp_a, in, sizeof(in), &ans_src, 3000);
	CHECK(got == 92 && !memcmp(in, m, 92), "set-up answer: %zd bytes", got);
	CHECK_EQ(ntohs(((struct sockaddr_in *)&ans_src)->sin_port), tcp_link_pp_port(k));

	/* A to B through client and server; B answers to whatever address it
	 * saw, as WireGuard roams; A sees the link's port. */
	struct sockaddr_storage seen_b = stream(wg_a, lport, wg_b, 2000, "client->server");
	uint16_t b_peer = ntohs(((struct sockaddr_in *)&seen_b)->sin_port);
	CHECK(b_peer != 0 && b_peer != lport);
	struct sockaddr_storage seen_a = stream(wg_b, b_peer, wg_a, 2000, "server->client");
	CHECK_EQ(ntohs(((struct sockaddr_in *)&seen_a)->sin_port), lport);

	/* Not WireGuard, or too big: dropped at the client, never framed. */
	struct tcp_relay_stats st0, st;
	tcp_relay_get_stats(cli, &st0);
	struct sockaddr_storage dst = sockaddr_loopback4(lport);
	static uint8_t junk[TCP_FRAME_MAX + 100];
	memset(junk, 0, sizeof(junk));
	sendto(wg_a, junk, 64, 0, (struct sockaddr *)&dst, sizeof(struct sockaddr_in));
	junk[0] = 4;
	sendto(wg_a, junk, TCP_FRAME_MAX + 1, 0, (struct sockaddr *)&dst, sizeof(struct sockaddr_in));
	sendto(wg_a, junk, 31, 0, (struct sockaddr *)&dst, sizeof(struct sockaddr_in));
	spin(200);
	tcp_relay_get_stats(cli, &st);
	CHECK_EQ(st.dropped - st0.dropped, 3);
	CHECK_EQ(st.frames_to_tcp, st0.frames_to_tcp);
	/* The link still works after that. */
	stream(wg_a, lport, wg_b, 10, "after junk");

	/* Another client link: its own loopback endpoint at the server. */
	uint16_t pc;
	int wg_c = wg_open(&pc);
	struct tcp_link *k2 = NULL;
	CHECK_EQ(tcp_link_new(cli, &server, pc, ppa, &k2), 0);
	to_pp = sockaddr_loopback4(tcp_link_pp_port(k2));
	mlen = make_pp(m, 3, 300);
	sendto(pp_a, m, mlen, 0, (struct sockaddr *)&to_pp, sizeof(struct sockaddr_in));
	CHECK(wait_recv(pp_b, in, sizeof(in), &req_src, 3000) == 300);
	CHECK_EQ(tcp_relay_bind(srv, &req_src, pb), 0);
	struct sockaddr_storage seen_c = stream(wg_c, tcp_link_port(k2), wg_b, 20, "second link");
	CHECK(ntohs(((struct sockaddr_in *)&seen_c)->sin_port) != b_peer,
	      "two TCP clients share one endpoint at the server");

	hostile(srv, tcp_port, pp_b, logpath);

	/* The server goes: the link is down and stays down, its datagrams
	 * dropped; the other link too. */
	tcp_relay_free(srv);
	srv = NULL;
	spin(300);
	CHECK(!tcp_link_connected(k), "server gone, link still up");
	CHECK(!tcp_link_connected(k2), "server gone, second link still up");
	tcp_relay_get_stats(cli, &st0);
	make_msg(m, 0, 100);
	sendto(wg_a, m, 100, 0, (struct sockaddr *)&to_wg, sizeof(struct sockaddr_in));
	spin(100);
	tcp_relay_get_stats(cli, &st);
	CHECK_EQ(st.dropped - st0.dropped, 1);
	CHECK_EQ(st.conns, 0);

	full_buffer(cli, wg_a, pa);

	tcp_relay_get_stats(cli, &st);
	fprintf(stderr, "client: %llu frames out, %llu in, %llu dropped, %llu connects\n",
		(unsigned long long)st.frames_to_tcp, (unsigned long long)st.frames_from_tcp,
		(unsigned long long)st.dropped, (unsigned long long)st.connects);
	tcp_link_free(k);
	tcp_link_free(k2);
	tcp_relay_free(cli);
	close(wg_a);
	close(wg_b);
	close(wg_c);
	close(pp_a);
	close(pp_b);
	loop_free(L);
	unlink(logpath);
	log_close();
	return check_summary();
}
