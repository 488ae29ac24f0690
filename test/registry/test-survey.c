/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The registry's versions and topology surveys.
 *
 * Without arguments (suite unit): survey_accept() against hostile answers,
 * each refused for its own reason, and the JSON.  With the registry's path
 * (suite registry): a real re6st-registry asks nodes played by a thread of
 * this test on 127.0.0.1 (registered, announced); one good node, one
 * silent, one answering twice and with forgeries, one revoked.
 */
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "identity.h"
#include "peerproto.h"
#include "prefix.h"
#include "regtest.h"
#include "survey.h"

static uint64_t now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

struct node {
	struct re6st_key *key;
	struct re6st_cert cert;
	uint8_t cert_bin[CERT_SIZE];
};

/* An answer of node n: type, to, seq, and topology entries. */
static size_t answer(const struct node *n, enum pp_type type, const struct re6st_prefix *to,
		     uint64_t seq, const struct re6st_prefix *peers, size_t n_client,
		     size_t n_served, const char *software, uint8_t *buf)
{
	uint8_t e[17 * 8];
	struct pp_msg m = { .type = type, .seq = seq, .to = *to, .cert = n->cert_bin,
			    .cert_len = CERT_SIZE };
	size_t len = 0;

	for (size_t i = 0; i < n_client + n_served; i++)
		pp_prefix_pack(&peers[i], e + 17 * i);
	if (type == PP_NODE_INFO) {
		m.node_info.netconf_version = 7;
		m.node_info.protocol = PP_VERSION;
		m.node_info.software = software;
		m.node_info.software_len = strlen(software);
	} else {
		m.topology.netconf_version = 7;
		m.topology.n_client = (uint16_t)n_client;
		m.topology.n_served = (uint16_t)n_served;
		m.topology.entries = e;
	}
	if (pp_encode(&m, n->key->sign_sk, buf, PP_MAX_SIZE, &len) < 0)
		return 0;
	return len;
}

static void make_node(struct node *n, const struct re6st_ca *ca, const struct re6st_key *ca_key,
		      const char *prefix, uint64_t serial, uint64_t now)
{
	CHECK(key_generate(true, &n->key) == 0);
	n->cert = (struct re6st_cert){ .serial = serial, .not_before = now - 10,
				       .not_after = now + 86400 };
	CHECK(prefix_parse(prefix, &n->cert.node) == 0);
	memcpy(n->cert.sign_pk, n->key->sign_pk, sizeof(n->cert.sign_pk));
	memcpy(n->cert.wg_pk, n->key->wg_pk, sizeof(n->cert.wg_pk));
	CHECK(cert_sign(&n->cert, ca, ca_key) == 0);
	cert_encode(&n->cert, n->cert_bin);
}

static void test_accept(void)
{
	_cleanup_(key_freep) struct re6st_key *ca_key = NULL, *other_key = NULL;
	struct re6st_ca ca, other;
	struct re6st_prefix net, net2, outside, p[4];
	struct node a, b, c, x, self_named;
	struct survey s;
	uint64_t now = (uint64_t)time(NULL), us = now_us();
	_cleanup_free_ uint8_t *buf = malloc(PP_MAX_SIZE);
	const char *why;
	size_t len;
	char *json = NULL;
	size_t jlen;

	CHECK(key_generate(false, &ca_key) == 0 && key_generate(false, &other_key) == 0);
	prefix_parse("2001:db8:42::/48", &net);
	prefix_parse("2001:db8:43::/48", &net2);
	CHECK(ca_create(&net, ca_key, now - 100, &ca) == 0);
	CHECK(ca_create(&net2, other_key, now - 100, &other) == 0);
	make_node(&a, &ca, ca_key, "2001:db8:42:100::/56", 1, now);
	make_node(&b, &ca, ca_key, "2001:db8:42:200::/56", 2, now);
	make_node(&c, &ca, ca_key, "2001:db8:42:300::/56", 3, now);
	make_node(&self_named, &ca, ca_key, "2001:db8:42:400::/56", 4, now);
	make_node(&x, &other, other_key, "2001:db8:43:100::/56", 1, now);
	prefix_parse("2001:db8:99::/56", &outside);

	/* topology survey of a, b, c (c with serial 33: its certificate was replaced) */
	CHECK(survey_init(&s, &ca, SURVEY_TOPOLOGY) == 0);
	s.t[0].node = a.cert.node, s.t[0].serial = 1;
	s.t[1].node = b.cert.node, s.t[1].serial = 2;
	s.t[2].node = c.cert.node, s.t[2].serial = 33;
	s.t[3].node = self_named.cert.node, s.t[3].serial = 4;
	s.n = 4;

	/* Hostile answers, each ignored with a reason. */
	static const uint8_t junk[] = "RE6\x01\x0c garbage";
	CHECK(survey_accept(&s, junk, sizeof(junk), now, us, &why) == 0 && *why, "junk: %s", why);
	CHECK(survey_accept(&s, junk, 0, now, us, &why) == 0, "empty datagram");
	p[0] = b.cert.node;
	len = answer(&a, PP_NODE_INFO, &net, us, NULL, 0, 0, "re6stnet x", buf);
	CHECK(survey_accept(&s, buf, len, now, us, &why) == 0 && strstr(why, "not the answer"),
	      "node-info to a topology survey: %s", why);
	len = answer(&a, PP_TOPOLOGY, &b.cert.node, us, p, 1, 0, "", buf);
	CHECK(survey_accept(&s, buf, len, now, us, &why) == 0 && strstr(why, "not addressed"),
	      "to another node: %s", why);
	len = answer(&a, PP_TOPOLOGY, &net, us - 200000000u, p, 1, 0, "", buf);
	CHECK(survey_accept(&s, buf, len, now, us, &why) == 0 && strstr(why, "freshness"),
	      "stale: %s", why);
	len = answer(&a, PP_TOPOLOGY, &net, us + 200000000u, p, 1, 0, "", buf);
	CHECK(survey_accept(&s, buf, len, now, us, &why) == 0 && strstr(why, "freshness"),
	      "from the future: %s", why);
	len = answer(&x, PP_TOPOLOGY, &net, us, p, 1, 0, "", buf);
	CHECK(survey_accept(&s, buf, len, now, us, &why) == 0 && strstr(why, "certificate"),
	      "another network's node: %s", why);
	/* a's certificate, b's key: the signature verifies against b's key only */
	{
		struct node mixed = b;
		memcpy(mixed.cert_bin, a.cert_bin, CERT_SIZE);
		len = answer(&mixed, PP_TOPOLOGY, &net, us, p, 1, 0, "", buf);
		CHECK(survey_accept(&s, buf, len, now, us, &why) == 0 && strstr(why, "certificate"),
		      "someone else's certificate: %s", why);
	}
	/* an expired certificate (survey at now + 2 days) */
	len = answer(&a, PP_TOPOLOGY, &net, us, p, 1, 0, "", buf);
	CHECK(survey_accept(&s, buf, len, now + 2 * 86400, us, &why) == 0 &&
		      strstr(why, "certificate"), "expired: %s", why);
	/* c answers with a certificate other than the one the registry holds */
	len = answer(&c, PP_TOPOLOGY, &net, us, p, 1, 0, "", buf);
	CHECK(survey_accept(&s, buf, len, now, us, &why) == 0 && strstr(why, "not asked"),
	      "replaced certificate: %s", why);
	/* a flipped byte in the signed body */
	len = answer(&a, PP_TOPOLOGY, &net, us, p, 1, 0, "", buf);
	buf[len - PP_SIG_LEN - 3] ^= 1;
	CHECK(survey_accept(&s, buf, len, now, us, &why) == 0, "bad signature: %s", why);
	/* a topology naming a prefix outside the network, or the node itself */
	p[0] = outside;
	len = answer(&a, PP_TOPOLOGY, &net, us, p, 1, 0, "", buf);
	CHECK(survey_accept(&s, buf, len, now, us, &why) == 0 && strstr(why, "outside"),
	      "outside prefix: %s", why);
	p[0] = self_named.cert.node;
	len = answer(&self_named, PP_TOPOLOGY, &net, us, p, 1, 0, "", buf);
	CHECK(survey_accept(&s, buf, len, now, us, &why) == 0 && strstr(why, "itself"),
	      "naming itself: %s", why);
	p[0] = net;
	len = answer(&self_named, PP_TOPOLOGY, &net, us, p, 1, 0, "", buf);
	CHECK(survey_accept(&s, buf, len, now, us, &why) == 0, "naming the network: %s", why);
	CHECK(s.n_answered == 0, "nothing accepted yet");

	/* Good answers: a opened to b and 2001:db8:42:900::/56 (not surveyed),
	 * b opened to a too (two tunnels), b serves c. */
	p[0] = b.cert.node;
	prefix_parse("2001:db8:42:900::/56", &p[1]);
	len = answer(&a, PP_TOPOLOGY, &net, us, p, 2, 0, "", buf);
	CHECK(survey_accept(&s, buf, len, now, us, &why) == 1, "a: %s", why);
	CHECK(survey_accept(&s, buf, len, now, us, &why) == 0 && strstr(why, "already"),
	      "a again: %s", why);
	p[0] = a.cert.node;
	p[1] = c.cert.node;
	len = answer(&b, PP_TOPOLOGY, &net, us, p, 1, 1, "", buf);
	CHECK(survey_accept(&s, buf, len, now, us, &why) == 1, "b: %s", why);
	CHECK(s.n_answered == 2);
	CHECK(survey_json(&s, &json, &jlen) == 0);
	CHECK(json && strcmp(json, "{\"2001:db8:42:100::/56\":[\"2001:db8:42:200::/56\","
				   "\"2001:db8:42:900::/56\"],"
				   "\"2001:db8:42:200::/56\":[\"2001:db8:42:100::/56\"],"
				   "\"2001:db8:42:300::/56\":[\"2001:db8:42:200::/56\"],"
				   "\"2001:db8:42:900::/56\":[],"
				   "\"\":[\"2001:db8:42:100::/56\",\"2001:db8:42:200::/56\"]}\n") == 0,
	      "topology JSON: %s", json ? json : "(null)");
	free(json);
	survey_done(&s);

	/* versions: a answers (with a quote and backslash in its string), b does not. */
	CHECK(survey_init(&s, &ca, SURVEY_VERSIONS) == 0);
	s.t[0].node = a.cert.node, s.t[0].serial = 1;
	s.t[1].node = b.cert.node, s.t[1].serial = 2;
	s.n = 2;
	len = answer(&a, PP_NODE_INFO, &net, us, NULL, 0, 0, "re6stnet \"1\\2\", Linux", buf);
	CHECK(survey_accept(&s, buf, len, now, us, &why) == 1, "a: %s", why);
	json = NULL;
	CHECK(survey_json(&s, &json, &jlen) == 0);
	CHECK(json && strcmp(json, "{\"2001:db8:42:100::/56\":\"re6stnet \\\"1\\\\2\\\", Linux\","
				   "\"2001:db8:42:200::/56\":null}\n") == 0,
	      "versions JSON: %s", json ? json : "(null)");
	free(json);
	survey_done(&s);
	for (struct node *n = &a; n; n = n == &a ? &b : n == &b ? &c : n == &c ? &x : n == &x ? &self_named : NULL)
		key_free(n->key);
}

/* ---- a real registry and nodes played by a thread ------------------------ */

#define N_NODES 4 /* 0: good, 1: silent, 2: duplicates and forgeries, 3: revoked */

static struct node nodes[N_NODES];
static int node_fd = -1;
static volatile int stop_nodes;
static unsigned requests_seen[N_NODES];

static void *play_nodes(void *arg)
{
	uint8_t *in = malloc(PP_MAX_SIZE), *out = malloc(PP_MAX_SIZE);
	struct re6st_prefix peers[2];

	while (in && out && !stop_nodes) {
		struct pollfd p = { .fd = node_fd, .events = POLLIN };
		struct sockaddr_in6 src;
		socklen_t sl = sizeof(src);
		struct pp_msg m;
		ssize_t n;
		int i;

		if (poll(&p, 1, 100) <= 0)
			continue;
		n = recvfrom(node_fd, in, PP_MAX_SIZE, 0, (struct sockaddr *)&src, &sl);
		if (n <= 0 || pp_decode(in, (size_t)n, &m, NULL) < 0 || m.cert_len != 0 ||
		    memcmp(m.sender_key, regtest_ca.sign_pk, PP_KEY_LEN) != 0)
			continue;
		for (i = 0; i < N_NODES && !prefix_equal(&m.to, &nodes[i].cert.node); i++)
			;
		if (i == N_NODES)
			continue;
		if (m.type != PP_NODE_INFO_REQUEST && m.type != PP_TOPOLOGY_REQUEST)
			continue; /* the push after the revocation */
		requests_seen[i]++;
		if (i == 1)
			continue;
		enum pp_type t = m.type == PP_NODE_INFO_REQUEST ? PP_NODE_INFO : PP_TOPOLOGY;
		peers[0] = nodes[(i + 1) % N_NODES].cert.node;
		peers[1] = nodes[(i + 2) % N_NODES].cert.node;
		size_t len = answer(&nodes[i], t, &regtest_ca.network, now_us(), peers, 1, 1,
				    i == 2 ? "re6stnet evil" : "re6stnet good", out);
		sendto(node_fd, out, len, 0, (struct sockaddr *)&src, sl);
		if (i == 2) {
			/* again, and as node 0 with node 2's key, and junk */
			sendto(node_fd, out, len, 0, (struct sockaddr *)&src, sl);
			struct node forged = nodes[2];
			memcpy(forged.cert_bin, nodes[0].cert_bin, CERT_SIZE);
			len = answer(&forged, t, &regtest_ca.network, now_us(), peers, 1, 0,
				     "re6stnet forged", out);
			sendto(node_fd, out, len, 0, (struct sockaddr *)&src, sl);
			sendto(node_fd, "junk", 4, 0, (struct sockaddr *)&src, sl);
		}
	}
	free(in);
	free(out);
	return NULL;
}

static void test_server(void)
{
	struct server s = { .extra = { "--anonymous-prefix-length", "8", "--anonymous-rate", "0" } };
	_cleanup_(registry_client_freep) struct registry_client *c = NULL;
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(0x7f000001) };
	socklen_t sl = sizeof(sa);
	char eps[64], serial[24];
	pthread_t th;
	unsigned status;
	char *body = NULL;
	size_t len;

	if (!CHECK(server_start(&s, "survey") == 0, "registry starts"))
		return;
	c = server_client(&s);
	node_fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	CHECK(node_fd >= 0 && bind(node_fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 &&
	      getsockname(node_fd, (struct sockaddr *)&sa, &sl) == 0);
	snprintf(eps, sizeof(eps), "127.0.0.1,%u,wg", ntohs(sa.sin_port));

	/* Nothing announced: empty answers. */
	CHECK(rc_call_raw(c, "versions", "", false, &status, &body, &len) == 0 && status == 200 &&
		      strcmp(body, "{}\n") == 0, "versions of nobody: %u %s", status, body);
	free(body);
	for (int i = 0; i < N_NODES; i++) {
		_cleanup_(registry_client_freep) struct registry_client *n = server_client(&s);
		CHECK(key_generate(true, &nodes[i].key) == 0);
		CHECK(rc_request_certificate(c, NULL, nodes[i].key, NULL, &nodes[i].cert, NULL) == 0,
		      "register %d: %s", i, registry_client_error(c));
		cert_encode(&nodes[i].cert, nodes[i].cert_bin);
		registry_client_set_identity(n, nodes[i].key, &nodes[i].cert);
		CHECK(rc_announce(n, eps, NULL) == 0, "announce %d: %s", i, registry_client_error(n));
	}
	snprintf(serial, sizeof(serial), "%llu", (unsigned long long)nodes[3].cert.serial);
	CHECK(rc_revoke(c, serial) == 0, "revoke node 3: %s", registry_client_error(c));

	pthread_create(&th, NULL, play_nodes, NULL);
	{
		struct timespec t0, t1;
		clock_gettime(CLOCK_MONOTONIC, &t0);
		body = NULL;
		CHECK(rc_call_raw(c, "versions", "timeout=1", false, &status, &body, &len) == 0 &&
		      status == 200, "versions: %u %s", status, body ? body : "");
		clock_gettime(CLOCK_MONOTONIC, &t1);
		double secs = (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
		printf("versions: %.2f s: %s", secs, body ? body : "\n");
		char want[256], pb[PREFIX_STRLEN];
		snprintf(want, sizeof(want), "\"%s\":\"re6stnet good\"",
			 prefix_format(&nodes[0].cert.node, pb));
		CHECK(body && strstr(body, want), "node 0's version: %s", body);
		snprintf(want, sizeof(want), "\"%s\":null", prefix_format(&nodes[1].cert.node, pb));
		CHECK(body && strstr(body, want), "silent node 1 is null: %s", body);
		snprintf(want, sizeof(want), "\"%s\":\"re6stnet evil\"",
			 prefix_format(&nodes[2].cert.node, pb));
		CHECK(body && strstr(body, want), "node 2 once, forgery ignored: %s", body);
		CHECK(body && !strstr(body, prefix_format(&nodes[3].cert.node, pb)),
		      "revoked node 3 not asked: %s", body);
		CHECK(body && !strstr(body, "forged"), "forged answer ignored");
		CHECK(secs >= 0.9 && secs < 4, "waited for the silent node ~1 s: %.2f", secs);
		CHECK(requests_seen[3] == 0, "revoked node not asked");
		free(body);
	}
	body = NULL;
	CHECK(rc_call_raw(c, "topology", "", false, &status, &body, &len) == 0 && status == 200,
	      "topology: %u %s", status, body ? body : "");
	printf("topology: %s", body ? body : "\n");
	{
		char want[256], pa[PREFIX_STRLEN], pb[PREFIX_STRLEN], pc[PREFIX_STRLEN];
		/* Each answering node i opened a tunnel to i + 1 and serves i + 2:
		 * 0 -> 1, 2 -> 0 (0's answer); 2 -> 3, 0 -> 2 (2's). */
		snprintf(want, sizeof(want), "\"%s\":[\"%s\",\"%s\"]",
			 prefix_format(&nodes[0].cert.node, pa), prefix_format(&nodes[1].cert.node, pb),
			 prefix_format(&nodes[2].cert.node, pc));
		CHECK(body && strstr(body, want), "edges 0 -> 1, 2 (%s): %s", want, body);
		snprintf(want, sizeof(want), "\"%s\":[\"%s\",\"%s\"]",
			 prefix_format(&nodes[2].cert.node, pa), prefix_format(&nodes[0].cert.node, pb),
			 prefix_format(&nodes[3].cert.node, pc));
		CHECK(body && strstr(body, want), "edges 2 -> 0, 3 (%s): %s", want, body);
		snprintf(want, sizeof(want), "\"\":[\"%s\",\"%s\"]",
			 prefix_format(&nodes[0].cert.node, pa), prefix_format(&nodes[2].cert.node, pb));
		CHECK(body && (strstr(body, want) ||
			       (snprintf(want, sizeof(want), "\"\":[\"%s\",\"%s\"]", pb, pa),
				strstr(body, want))), "answered: 0 and 2: %s", body);
	}
	free(body);
	body = NULL;
	CHECK(rc_call_raw(c, "topology", "timeout=0", false, &status, &body, &len) == 0 &&
	      status == 400, "timeout=0 refused: %u", status);
	free(body);
	body = NULL;
	CHECK(rc_call_raw(c, "topology", "timeout=31", false, &status, &body, &len) == 0 &&
	      status == 400, "timeout=31 refused: %u", status);
	free(body);
	stop_nodes = 1;
	pthread_join(th, NULL);
	close(node_fd);
	for (int i = 0; i < N_NODES; i++)
		key_free(nodes[i].key);
	server_stop(&s, SIGTERM);
}

int main(int argc, char **argv)
{
	if (identity_init() < 0)
		return 1;
	test_accept();
	if (argc > 1) {
		if (regtest_init(argv[1]) < 0)
			return 1;
		test_server();
		regtest_done(check_failed == 0);
	}
	return check_summary();
}
