/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The mesh library (re6stnet-mesh) on the host, without main.c: two
 * peer-protocol endpoints on loopback, a registry push, the events and the
 * handler table the tunnel manager registers.
 *   - netconf-store: a configuration is adopted once (1, then 0 for the same
 *     version), EV_NETCONF reaches subscribers at the next loop iteration;
 *   - peer: a set-up request from A reaches B's serve handler with A's
 *     certificate; B's answer reaches A's setup_answer handler with the
 *     status and port B's handler chose and the request's seq;
 *   - reachability (issue 12): A, which nobody chose, asks B to probe the
 *     endpoint it advertises (its control port on loopback); B's signed
 *     probe reaches A's probed handler with the request's seq, and A's
 *     reach state (daemon/reach.h, as the tunnel manager keeps it) reports
 *     reachable; a second request within 30 s gets no probe;
 *   - a configuration revoking A, pushed to B as the registry does (signed
 *     with the CA key, no certificate), is adopted (EV_NETCONF, version 2);
 *     A's next request gets "revoked" without reaching B's handler, B
 *     posts EV_PEER_REVOKED with A's prefix and sends A, with the refusal,
 *     the configuration that revoked it: A adopts it and stops.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "ctx.h"
#include "events.h"
#include "identity.h"
#include "loop.h"
#include "netconf.h"
#include "netconf-store.h"
#include "peer.h"
#include "peerproto.h"
#include "reach.h"
#include "state.h"

struct seen {
	unsigned netconf, revoked, served, answers, probes;
	uint64_t probe_seq;
	struct re6st_prefix probe_from;
	uint64_t netconf_version;
	struct re6st_prefix revoked_prefix, served_client;
	struct pp_msg answer;      /* scalars only: setup_answer */
	struct re6st_prefix answer_from;
};

struct node {
	struct ctx c;
	struct re6st_key *key;
	uint16_t port;
	struct seen seen;
};

static struct re6st_key *ca_key;
static struct re6st_ca ca;
static char dir[] = "/tmp/test-mesh-peer.XXXXXX";

static void die(const char *what)
{
	fprintf(stderr, "setup failed: %s\n", what);
	exit(2);
}

static void on_event(void *userdata, enum event_type type, const void *payload, size_t len)
{
	struct seen *s = userdata;

	if (type == EV_NETCONF && len == sizeof(struct ev_netconf)) {
		s->netconf++;
		s->netconf_version = ((const struct ev_netconf *)payload)->version;
	} else if (type == EV_PEER_REVOKED && len == sizeof(struct ev_prefix)) {
		s->revoked++;
		s->revoked_prefix = ((const struct ev_prefix *)payload)->prefix;
	}
}

/* B's "tunnel manager": accepts every request on port 51820. */
static int serve(void *userdata, const struct re6st_cert *client,
		 const struct sockaddr_storage *src, const struct pp_msg *req, uint16_t *ret_port,
		 uint16_t *ret_retry_after)
{
	struct seen *s = userdata;
	s->served++;
	s->served_client = client->node;
	*ret_port = 51820;
	return PP_SETUP_OK;
}

static void setup_answer(void *userdata, const struct re6st_cert *server,
			 const struct sockaddr_storage *src, const struct pp_msg *m)
{
	struct seen *s = userdata;
	s->answers++;
	s->answer = *m;
	s->answer_from = server->node;
}

static void probed(void *userdata, const struct re6st_prefix *from, uint64_t request_seq)
{
	struct seen *s = userdata;
	s->probes++;
	s->probe_seq = request_seq;
	s->probe_from = *from;
}

static const struct peer_handler handlers = { .serve = serve, .setup_answer = setup_answer,
					      .probed = probed };

static void node_make(struct node *n, struct loop *l, const char *prefix, uint64_t serial,
		      uint16_t port)
{
	struct re6st_cert cert = { 0 };
	char path[128];
	uint64_t now = loop_unix_now();

	n->port = port;
	n->c.loop = l;
	if (key_generate(true, &n->key) < 0 || prefix_parse(prefix, &cert.node) < 0)
		die("key");
	cert.subject_serial = (uint32_t)serial;
	memcpy(cert.sign_pk, n->key->sign_pk, 32);
	memcpy(cert.wg_pk, n->key->wg_pk, 32);
	cert.serial = serial;
	cert.not_before = now - 60;
	cert.not_after = now + 86400;
	if (cert_sign(&cert, &ca, ca_key) < 0)
		die("cert");
	n->c.key = n->key;
	n->c.cert = cert;
	n->c.ca = ca;
	n->c.network = ca.network;
	n->c.prefix = cert.node;
	cert_node_address(&cert, n->c.addr);
	n->c.opt.peer_port = port;
	snprintf(path, sizeof(path), "%s/%s.db", dir, prefix[12] == '1' ? "a" : "b");
	if (events_new(l, &n->c.events) < 0 || state_open(path, &n->c.state) < 0)
		die("events, state");
	if (events_subscribe(n->c.events, EV_NETCONF, on_event, &n->seen) < 0 ||
	    events_subscribe(n->c.events, EV_PEER_REVOKED, on_event, &n->seen) < 0)
		die("subscribe");
	/* Overlay socket on ::1 (the node address is not configured here). */
	static const uint8_t lo[16] = { [15] = 1 };
	if (peer_srv_new(&n->c, lo, port + 1, port, &n->c.peer) < 0)
		die("peer sockets");
	peer_set_handler(n->c.peer, &handlers, &n->seen);
}

static void node_free(struct node *n)
{
	peer_srv_free(n->c.peer);
	events_free(n->c.events);
	state_close(n->c.state);
	netconf_free(n->c.netconf);
	free(n->c.netconf_raw);
	key_free(n->key);
}

static void netconf_make(uint64_t version, const struct re6st_cert *revoke, uint8_t **ret,
			 size_t *ret_len)
{
	_cleanup_(netconf_freep) struct re6st_netconf *nc = NULL;
	if (netconf_new(&nc) < 0)
		die("netconf");
	nc->version = version;
	if (revoke && netconf_add_revoked(nc, revoke->serial, revoke->not_after, &revoke->node) < 0)
		die("revoke");
	if (netconf_encode(nc, &ca, ca_key, ret, ret_len) < 0)
		die("netconf encode");
}

static struct sockaddr_storage loopback(uint16_t port)
{
	struct sockaddr_storage ss = { 0 };
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
	s6->sin6_family = AF_INET6;
	s6->sin6_addr = in6addr_loopback;
	s6->sin6_port = htons(port);
	return ss;
}

/* Run the loop until *counter moves past was, 5 s at most. */
static bool run_until(struct loop *l, const unsigned *counter, unsigned was)
{
	uint64_t end = loop_clock_ms() + 5000;
	while (*counter == was && loop_clock_ms() < end)
		loop_run_once(l, 100);
	return *counter != was;
}

static void request(struct node *from, const struct node *to, uint64_t *ret_seq)
{
	struct sockaddr_storage dst = loopback(to->port);
	struct pp_msg m = { .type = PP_SETUP_REQUEST,
			    .setup_request = { .tunnel_type = PP_TUNNEL_WG } };
	CHECK_EQ(peer_send_underlay(from->c.peer, &dst, &to->c.prefix, &m, ret_seq), 0);
}

int main(void)
{
	_cleanup_(loop_freep) struct loop *l = NULL;
	struct node a = { 0 }, b = { 0 };
	struct re6st_prefix net;
	_cleanup_free_ uint8_t *v1 = NULL, *v2 = NULL;
	size_t v1_len, v2_len;
	uint64_t seq = 0;
	uint16_t base = (uint16_t)(20000 + (getpid() % 15000) * 2);
	unsigned was;

	if (!mkdtemp(dir) || identity_init() < 0 || loop_new(&l) < 0 ||
	    prefix_parse("2001:db8:42::/48", &net) < 0 || key_generate(false, &ca_key) < 0 ||
	    ca_create(&net, ca_key, loop_unix_now() - 100, &ca) < 0)
		die("CA");
	node_make(&a, l, "2001:db8:42:1::/64", 11, base);
	node_make(&b, l, "2001:db8:42:2::/64", 12, (uint16_t)(base + 2));

	/* netconf-store: adopted once, EV_NETCONF at the next iteration. */
	netconf_make(1, NULL, &v1, &v1_len);
	CHECK_EQ(daemon_offer_netconf(&a.c, v1, v1_len), 1);
	CHECK_EQ(daemon_offer_netconf(&b.c, v1, v1_len), 1);
	CHECK_EQ(daemon_offer_netconf(&b.c, v1, v1_len), 0);
	CHECK(b.seen.netconf == 0, "delivered from inside the offer");
	CHECK(run_until(l, &b.seen.netconf, 0));
	CHECK_EQ(b.seen.netconf, 1);
	CHECK_EQ(b.seen.netconf_version, 1);

	/* A set-up request over the underlay: B's handler, then A's. */
	request(&a, &b, &seq);
	CHECK(run_until(l, &a.seen.answers, 0), "no answer from B");
	CHECK_EQ(b.seen.served, 1);
	CHECK(prefix_equal(&b.seen.served_client, &a.c.prefix));
	CHECK_EQ(a.seen.answer.setup_answer.status, PP_SETUP_OK);
	CHECK_EQ(a.seen.answer.setup_answer.port, 51820);
	CHECK_EQ(a.seen.answer.setup_answer.request_seq, seq);
	CHECK(prefix_equal(&a.seen.answer_from, &b.c.prefix));

	/* Reachability: A asks B to probe its advertised endpoint. */
	{
		struct reach r = { 0 };
		struct sockaddr_storage dst = loopback(b.port);
		char list[64];
		snprintf(list, sizeof(list), "::1,%u,wg", a.port);
		CHECK(reach_want_ask(&r, loop_clock_ms()));
		CHECK(!reach_proven(&r, loop_clock_ms()), "reachable before any probe");
		struct pp_msg m = { .type = PP_PROBE_REQUEST, .address = { list, strlen(list) } };
		CHECK_EQ(peer_send_underlay(a.c.peer, &dst, &b.c.prefix, &m, &seq), 0);
		reach_asked(&r, seq, loop_clock_ms());
		CHECK(run_until(l, &a.seen.probes, 0), "no probe from B reached A");
		CHECK_EQ(a.seen.probe_seq, seq);
		CHECK(prefix_equal(&a.seen.probe_from, &b.c.prefix), "probe not from B");
		CHECK(reach_probed(&r, a.seen.probe_seq, loop_clock_ms()), "the probe proved nothing");
		CHECK(reach_proven(&r, loop_clock_ms()), "A not reachable after B's probe");
		CHECK_EQ(b.seen.probes, 0);

		/* Again at once: B's rate limit sends nothing. */
		struct pp_msg m2 = { .type = PP_PROBE_REQUEST, .address = { list, strlen(list) } };
		CHECK_EQ(peer_send_underlay(a.c.peer, &dst, &b.c.prefix, &m2, NULL), 0);
		unsigned was_probes = a.seen.probes;
		for (uint64_t end = loop_clock_ms() + 1000; loop_clock_ms() < end;)
			loop_run_once(l, 100);
		CHECK(a.seen.probes == was_probes, "B probed A twice within 30 s");
	}

	/* The registry pushes a configuration revoking A to B. */
	netconf_make(2, &a.c.cert, &v2, &v2_len);
	{
		_cleanup_free_ uint8_t *buf = malloc(PP_MAX_SIZE);
		size_t len = 0;
		struct pp_msg m = { .type = PP_NETCONF, .seq = (uint64_t)time(NULL) * 1000000,
				    .to = b.c.prefix, .netconf = { v2, v2_len } };
		struct sockaddr_storage dst = loopback(b.port);
		int fd = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		CHECK(buf && fd >= 0);
		CHECK_EQ(pp_encode(&m, ca_key->sign_sk, buf, PP_MAX_SIZE, &len), 0);
		CHECK(sendto(fd, buf, len, 0, (struct sockaddr *)&dst, sizeof(struct sockaddr_in6)) ==
		      (ssize_t)len);
		close(fd);
	}
	was = b.seen.netconf;
	CHECK(run_until(l, &b.seen.netconf, was), "the pushed configuration was not adopted");
	CHECK_EQ(b.seen.netconf_version, 2);
	CHECK_EQ(b.c.netconf_version, 2);

	/* A, revoked, asks again: refused before B's handler, and B tells its
	 * upper modules by EV_PEER_REVOKED. */
	was = a.seen.answers;
	request(&a, &b, &seq);
	CHECK(run_until(l, &a.seen.answers, was), "no answer from B");
	CHECK_EQ(a.seen.answer.setup_answer.status, PP_SETUP_REVOKED);
	CHECK_EQ(b.seen.served, 1);
	CHECK(run_until(l, &b.seen.revoked, 0), "no EV_PEER_REVOKED");
	CHECK(prefix_equal(&b.seen.revoked_prefix, &a.c.prefix));

	/* With its refusal B sent the configuration that revoked A: A adopts
	 * it (the registry never told it) and stops. */
	for (uint64_t end = loop_clock_ms() + 5000; !loop_exiting(l) && loop_clock_ms() < end;)
		loop_run_once(l, 100);
	CHECK(loop_exiting(l), "A did not stop");
	CHECK_EQ(a.c.netconf_version, 2);

	node_free(&a);
	node_free(&b);
	key_free(ca_key);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", dir);
	return check_summary();
}
