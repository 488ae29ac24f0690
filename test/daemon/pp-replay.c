/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * pp-replay: send COUNT copies of one genuinely signed peer-protocol set-up
 * request, stamped AGE seconds in the past, as a replay of a datagram seen
 * on the underlay AGE seconds ago would be. Signed with a real node's key
 * and certificate, to the node whose certificate is TO_CERT. With AGE
 * "fresh", COUNT distinct requests instead, each signed with its own
 * current sequence number (a burst for the set-up rate limit).
 * Usage: pp-replay KEY CERT TO_CERT IPV4 PORT COUNT AGE|fresh
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "fileio.h"
#include "identity.h"
#include "peerproto.h"

static int load_cert(const char *path, struct re6st_cert *ret)
{
	char *text = NULL;
	size_t len;
	int r = read_file_full(path, 64 * 1024, &text, &len);
	if (r >= 0)
		r = cert_from_armour_unverified(text, len, ret);
	free(text);
	return r;
}

int main(int argc, char *argv[])
{
	struct re6st_key *key = NULL;
	struct re6st_cert cert, to;
	uint8_t enc[CERT_SIZE], buf[2048];
	size_t len;

	if (argc != 8) {
		fprintf(stderr, "usage: pp-replay KEY CERT TO_CERT IPV4 PORT COUNT AGE|fresh\n");
		return 2;
	}
	if (identity_init() < 0 || key_load(argv[1], &key) < 0 || load_cert(argv[2], &cert) < 0 ||
	    load_cert(argv[3], &to) < 0) {
		fprintf(stderr, "pp-replay: cannot load the key or certificates\n");
		return 1;
	}
	cert_encode(&cert, enc);
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	bool fresh = strcmp(argv[7], "fresh") == 0;
	uint64_t age = fresh ? 0 : strtoull(argv[7], NULL, 10);
	struct pp_msg m = { .type = PP_SETUP_REQUEST, .to = to.node, .cert = enc,
			    .cert_len = sizeof(enc),
			    .seq = ((uint64_t)ts.tv_sec - age) * 1000000u +
				   (uint64_t)ts.tv_nsec / 1000 * fresh };
	m.setup_request.tunnel_type = PP_TUNNEL_WG;
	int r = pp_encode(&m, key->sign_sk, buf, sizeof(buf), &len);
	if (r < 0) {
		key_free(key);
		fprintf(stderr, "pp-replay: pp_encode: %s\n", strerror(-r));
		return 1;
	}
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(argv[5])) };
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0 || inet_pton(AF_INET, argv[4], &sa.sin_addr) != 1) {
		key_free(key);
		fprintf(stderr, "pp-replay: bad address %s\n", argv[4]);
		return 1;
	}
	long count = atol(argv[6]), sent = 0;
	for (long i = 0; i < count; i++) {
		if (fresh && i > 0) { /* the next sequence number, signed again */
			m.seq++;
			r = pp_encode(&m, key->sign_sk, buf, sizeof(buf), &len);
			if (r < 0)
				break;
		}
		if (sendto(fd, buf, len, 0, (struct sockaddr *)&sa, sizeof(sa)) == (ssize_t)len)
			sent++;
		usleep(500); /* let the receiver keep up: every copy counts */
	}
	close(fd);
	key_free(key);
	printf("%ld\n", sent);
	return sent == count ? 0 : 1;
}
