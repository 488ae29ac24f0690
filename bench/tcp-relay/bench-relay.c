/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The TCP relay's own cost on loopback (daemon/tcp-relay.h): datagrams of
 * 1452 bytes (a WireGuard data message at MTU 1420) sent one way through a
 * client link and a server connection, both in this process's loop, against
 * the same datagrams sent straight from socket to socket. Prints datagrams
 * per second and the CPU microseconds per datagram of each path (user +
 * system, this process: both relay ends and the stand-in sender and
 * receiver), and their ratios. Usage: bench-relay [SECONDS] (default 3).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"
#include "loop.h"
#include "sockaddr.h"
#include "tcp-relay.h"

#define SIZE 1452
#define WINDOW 32

static int udp(uint16_t *ret_port)
{
	struct sockaddr_storage ss = sockaddr_loopback4(0);
	socklen_t len = sizeof(struct sockaddr_in);
	int big = 4 << 20;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&ss, len) < 0 ||
	    getsockname(fd, (struct sockaddr *)&ss, &len) < 0)
		exit(1);
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
	*ret_port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
	return fd;
}

static double cpu_us(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e6 + ru.ru_utime.tv_usec +
	       ru.ru_stime.tv_usec;
}

/* Send from `from` to port `to`, receive at `at`, for secs; keep WINDOW in
 * flight (a lost datagram is forgotten after 50 ms). */
static void run(struct loop *l, int from, uint16_t to, int at, int secs, const char *name,
		double *ret_rate, double *ret_cpu)
{
	static uint8_t buf[SIZE + 64];
	struct sockaddr_storage dst = sockaddr_loopback4(to);
	uint64_t end = loop_clock_ms() + (uint64_t)secs * 1000, last_rx = loop_clock_ms();
	unsigned long sent = 0, got = 0;
	double c0 = cpu_us();
	memset(buf, 0, sizeof(buf));
	buf[0] = 4;
	while (loop_clock_ms() < end) {
		while (sent - got < WINDOW)
			if (sendto(from, buf, SIZE, 0, (struct sockaddr *)&dst, sizeof(struct sockaddr_in)) ==
			    SIZE)
				sent++;
			else
				break;
		if (l)
			loop_run_once(l, 1);
		while (recv(at, buf + SIZE, 64, MSG_DONTWAIT | MSG_TRUNC) > 0)
			got++, last_rx = loop_clock_ms();
		if (loop_clock_ms() - last_rx > 50)
			got = sent, last_rx = loop_clock_ms();
	}
	*ret_rate = (double)got / secs;
	*ret_cpu = (cpu_us() - c0) / (double)(got ? got : 1);
	printf("%-6s %10.0f datagrams/s %8.1f Mbit/s %7.2f CPU us/datagram\n", name, *ret_rate,
	       *ret_rate * SIZE * 8 / 1e6, *ret_cpu);
}

int main(int argc, char **argv)
{
	int secs = argc > 1 ? atoi(argv[1]) : 3;
	struct loop *l = NULL;
	struct tcp_relay *srv = NULL, *cli = NULL;
	struct tcp_link *k = NULL;
	uint16_t pa, pb, ppb, tcp_port;
	int a = udp(&pa), b = udp(&pb), pp = udp(&ppb);
	if (secs < 1 || loop_new(&l) < 0 || tcp_relay_new(l, &srv) < 0 || tcp_relay_new(l, &cli) < 0)
		return 1;
	struct sockaddr_storage any = sockaddr_loopback4(0), server;
	if (tcp_relay_listen(srv, &any, ppb, &tcp_port) < 0)
		return 1;
	server = sockaddr_loopback4(tcp_port);
	if (tcp_link_new(cli, &server, pa, ppb, &k) < 0)
		return 1;
	/* The set-up request binds the server connection to b. */
	static uint8_t req[64] = "R6P";
	struct sockaddr_storage to = sockaddr_loopback4(tcp_link_pp_port(k)), src;
	socklen_t sl = sizeof(src);
	sendto(pp, req, sizeof(req), 0, (struct sockaddr *)&to, sizeof(struct sockaddr_in));
	while (recvfrom(pp, req, sizeof(req), MSG_DONTWAIT, (struct sockaddr *)&src, &sl) < 0)
		loop_run_once(l, 10);
	if (tcp_relay_bind(srv, &src, pb) < 0)
		return 1;

	double r_udp, c_udp, r_tcp, c_tcp;
	run(NULL, a, pb, b, secs, "udp", &r_udp, &c_udp);
	run(l, a, tcp_link_port(k), b, secs, "relay", &r_tcp, &c_tcp);
	printf("relay/udp: rate %.2f, CPU per datagram %.2f\n", r_tcp / r_udp, c_tcp / c_udp);
	tcp_link_free(k);
	tcp_relay_free(cli);
	tcp_relay_free(srv);
	loop_free(l);
	close(a);
	close(b);
	close(pp);
	return 0;
}
