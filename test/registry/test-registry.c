/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Registry tests against a real re6st-registry on 127.0.0.1 (random ports):
 * concurrent registration, revocation, renewal, HMAC rotation, bootstrap,
 * the non-blocking calls (also against a black-holed registry), restart and
 * kill -9, hostile input.
 *
 * Usage: test-registry PATH/re6st-registry
 */
#include <arpa/inet.h>
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sodium.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fileio.h"
#include "identity.h"
#include "macro.h"
#include "netconf.h"
#include "prefix.h"
#include "registry-client.h"
#include "reqsign.h"
#include "check.h"

static const char *registry_bin;
static char tmpdir[64];


struct server {
	pid_t pid;
	unsigned port;
	char db[128], mbox[128], url[64];
	const char *extra[16];
};

static unsigned free_port(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t l = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	bind(fd, (struct sockaddr *)&a, sizeof(a));
	getsockname(fd, (struct sockaddr *)&a, &l);
	close(fd);
	return ntohs(a.sin_port);
}

static int server_start(struct server *s)
{
	char port[16], ca[128], key[128], log[160];
	const char *argv[48];
	int n = 0;

	snprintf(port, sizeof(port), "%u", s->port);
	snprintf(ca, sizeof(ca), "%s/ca.crt", tmpdir);
	snprintf(key, sizeof(key), "%s/ca.key", tmpdir);
	snprintf(log, sizeof(log), "%s.log", s->db);
	snprintf(s->url, sizeof(s->url), "http://127.0.0.1:%u", s->port);
	argv[n++] = registry_bin;
	argv[n++] = "--ca"; argv[n++] = ca;
	argv[n++] = "--key"; argv[n++] = key;
	argv[n++] = "--db"; argv[n++] = s->db;
	argv[n++] = "--port"; argv[n++] = port;
	argv[n++] = "-4"; argv[n++] = "127.0.0.1";
	argv[n++] = "-6"; argv[n++] = "";
	argv[n++] = "--mailhost"; argv[n++] = s->mbox;
	argv[n++] = "-l"; argv[n++] = log;
	for (int i = 0; s->extra[i]; i++)
		argv[n++] = s->extra[i];
	argv[n] = NULL;
	s->pid = fork();
	if (s->pid == 0) {
		execv(registry_bin, (char *const *)argv);
		_exit(127);
	}
	/* Wait until it answers. */
	for (int i = 0; i < 100; i++) {
		_cleanup_(registry_client_freep) struct registry_client *c = NULL;
		struct registry_client_options o = { .timeout_ms = 1000, .retries = 0 };
		struct re6st_ca ca_;
		int status;

		if (waitpid(s->pid, &status, WNOHANG) == s->pid) {
			s->pid = 0;
			return -ECHILD;
		}
		registry_client_new(s->url, &o, &c);
		if (rc_get_ca(c, &ca_) == 0)
			return 0;
		usleep(50000);
	}
	return -ETIMEDOUT;
}

static void server_stop(struct server *s, int sig)
{
	int status;

	if (s->pid <= 0)
		return;
	kill(s->pid, sig);
	waitpid(s->pid, &status, 0);
	s->pid = 0;
}

static struct re6st_ca the_ca;

static struct registry_client *client(const struct server *s)
{
	struct registry_client *c = NULL;
	struct registry_client_options o = { .timeout_ms = 10000, .retries = 2, .backoff_ms = 100 };

	if (registry_client_new(s->url, &o, &c) < 0)
		abort();
	registry_client_set_ca(c, &the_ca);
	return c;
}

/* Token mailed to email, read back from the mbox file. */
static char *token_from_mbox(const char *mbox, const char *email)
{
	_cleanup_free_ char *text = NULL, *needle = NULL;
	size_t len;
	const char *p, *t;
	static const char marker[] = "token to join re6st network is: ";

	if (read_file_full(mbox, 64 << 20, &text, &len) < 0)
		return NULL;
	if (asprintf(&needle, "\nTo: %s\n", email) < 0)
		return NULL;
	p = strstr(text, needle);
	if (!p || !(t = strstr(p, marker)))
		return NULL;
	t += sizeof(marker) - 1;
	return strndup(t, strcspn(t, "\r\n"));
}

/* ---- concurrent registration --------------------------------------- */

#define N_NODES 200
#define N_THREADS 8

struct node {
	struct re6st_key *key;
	struct re6st_cert cert;
	char email[64];
	const char *location;
	const char *community;
	bool by_token;
	bool ok;
};

static struct node nodes[N_NODES];
static struct server main_srv;

static const struct {
	const char *location, *community;
} locations[] = {
	{ "FR,EU", "10" }, { "DE,EU", "11" }, { "US,NA", "0" },
	{ "IT,EU", "11" }, { "JP,AS", "0" },  { NULL, "0" },
};

static void *register_thread(void *arg)
{
	long t = (long)arg;
	_cleanup_(registry_client_freep) struct registry_client *c = client(&main_srv);

	for (int i = (int)t; i < N_NODES; i += N_THREADS) {
		struct node *n = &nodes[i];
		_cleanup_free_ char *token = NULL;
		int r;

		if (key_generate(true, &n->key) < 0)
			continue;
		n->location = locations[i % ARRAY_SIZE(locations)].location;
		n->community = locations[i % ARRAY_SIZE(locations)].community;
		n->by_token = i % 2 == 0;
		snprintf(n->email, sizeof(n->email), "node%d@example.org", i);
		if (n->by_token) {
			r = rc_request_token(c, n->email);
			if (r < 0) {
				fprintf(stderr, "requestToken: %s\n", registry_client_error(c));
				continue;
			}
			token = token_from_mbox(main_srv.mbox, n->email);
			if (!token) {
				fprintf(stderr, "no token for %s in mbox\n", n->email);
				continue;
			}
		}
		r = rc_request_certificate(c, token, n->key, n->location, &n->cert, NULL);
		if (r < 0) {
			fprintf(stderr, "requestCertificate %d: %s\n", i, registry_client_error(c));
			continue;
		}
		n->ok = true;
	}
	return NULL;
}

static void test_concurrent_registration(void)
{
	pthread_t th[N_THREADS];
	unsigned ok = 0, bad_len = 0, bad_comm = 0, overlaps = 0, dup_serial = 0;

	for (long t = 0; t < N_THREADS; t++)
		pthread_create(&th[t], NULL, register_thread, (void *)t);
	for (int t = 0; t < N_THREADS; t++)
		pthread_join(th[t], NULL);
	for (int i = 0; i < N_NODES; i++) {
		char bits[129];
		if (!nodes[i].ok)
			continue;
		ok++;
		if (nodes[i].cert.node.len != 48 + (nodes[i].by_token ? 16 : 20))
			bad_len++;
		if (prefix_to_bit_string(&the_ca.network, &nodes[i].cert.node, bits) < 0 ||
		    strncmp(bits, nodes[i].community, strlen(nodes[i].community)) != 0)
			bad_comm++;
		for (int j = 0; j < i; j++) {
			if (!nodes[j].ok)
				continue;
			if (prefix_overlaps(&nodes[i].cert.node, &nodes[j].cert.node))
				overlaps++;
			if (nodes[i].cert.serial == nodes[j].cert.serial ||
			    nodes[i].cert.subject_serial == nodes[j].cert.subject_serial)
				dup_serial++;
		}
	}
	CHECK(ok == N_NODES, "%u of %d nodes registered", ok, N_NODES);
	CHECK(bad_len == 0, "%u prefixes of the wrong length", bad_len);
	CHECK(bad_comm == 0, "%u prefixes outside their community", bad_comm);
	CHECK(overlaps == 0, "%u overlapping prefixes", overlaps);
	CHECK(dup_serial == 0, "%u duplicate serials", dup_serial);
	/* The all-zero /80 is reserved: never handed out. */
	for (int i = 0; i < N_NODES; i++) {
		struct re6st_prefix z = the_ca.network;
		z.len = 128;
		CHECK(!nodes[i].ok || !prefix_equal(&nodes[i].cert.node, &z), "zero prefix issued");
	}
}

/* ---- network config, revoke, renew ---------------------------------- */

static uint64_t netconf_version(struct registry_client *c, struct re6st_netconf **ret)
{
	struct re6st_netconf *nc = NULL;
	uint64_t v = 0;

	if (rc_get_network_config(c, &nc, NULL, NULL) == 0)
		v = nc->version;
	else
		fprintf(stderr, "getNetworkConfig: %s\n", registry_client_error(c));
	if (ret)
		*ret = nc;
	else
		netconf_free(nc);
	return v;
}

static void test_netconf_revoke_renew(void)
{
	_cleanup_(registry_client_freep) struct registry_client *c = client(&main_srv);
	_cleanup_(netconf_freep) struct re6st_netconf *nc = NULL;
	struct re6st_netconf *nc2 = NULL;
	struct re6st_cert renewed;
	char serial[32], pfx[PREFIX_STRLEN];
	uint64_t v0, v1, v2;
	int r;

	v0 = netconf_version(c, &nc);
	CHECK(v0 >= 1 && nc, "network configuration fetched and verified");
	if (!nc)
		return;
	CHECK(nc->client_count == 7 && netconf_max_clients(nc) == 14 &&
		      nc->hello == NETCONF_DEFAULT_HELLO && nc->link_cost == 384 &&
		      nc->smoothing == NETCONF_DEFAULT_SMOOTHING && nc->dead_after == NETCONF_DEFAULT_DEAD_AFTER &&
		      nc->tunnel_refresh == 300 && nc->prefix_len == 16 &&
		      nc->anonymous_prefix_len == 20 &&
		      nc->tunnel_types == (TUNNEL_WIREGUARD | TUNNEL_GRE),
	      "network parameters as configured");
	CHECK(nc->has_registry_prefix, "registry prefix set after the first registration");

	/* Revoke node 0 by serial: in the list, version grows, node keeps its prefix. */
	snprintf(serial, sizeof(serial), "%" PRIu64, nodes[0].cert.serial);
	r = rc_revoke(c, serial);
	CHECK(r == 0, "revoke by serial: %s", registry_client_error(c));
	v1 = netconf_version(c, &nc2);
	CHECK(v1 > v0, "version grows on revoke (%" PRIu64 " -> %" PRIu64 ")", v0, v1);
	CHECK(nc2 && netconf_find_revoked(nc2, nodes[0].cert.serial), "serial in revocation list");
	CHECK(nc2 && netconf_check_cert(nc2, &nodes[0].cert, &the_ca, (uint64_t)time(NULL)) ==
			     -EKEYREVOKED, "revoked certificate rejected by netconf_check_cert");
	netconf_free(nc2);
	nc2 = NULL;

	/* A revoked node gets a new certificate with its old expiry. */
	registry_client_set_identity(c, nodes[0].key, &nodes[0].cert);
	r = rc_get_hmac(c, &(struct rc_hmac){});
	CHECK(r == -EACCES, "revoked node refused on signed RPC (%d: %s)", r,
	      registry_client_error(c));
	r = rc_renew_certificate(c, &renewed, NULL);
	CHECK(r == 0 && renewed.serial != nodes[0].cert.serial &&
		      renewed.not_after == nodes[0].cert.not_after &&
		      prefix_equal(&renewed.node, &nodes[0].cert.node),
	      "revoked node re-issued with its old expiry: %s", registry_client_error(c));
	/* Not due: renewCertificate returns the current certificate. */
	registry_client_set_identity(c, nodes[2].key, &nodes[2].cert);
	r = rc_renew_certificate(c, &renewed, NULL);
	CHECK(r == 0 && renewed.serial == nodes[2].cert.serial, "renewal not due: same certificate");

	/* Revoke node 1 by prefix: revoked and its prefix freed. */
	prefix_format(&nodes[1].cert.node, pfx);
	r = rc_revoke(c, pfx);
	CHECK(r == 0, "revoke by prefix: %s", registry_client_error(c));
	v2 = netconf_version(c, &nc2);
	CHECK(v2 > v1 && nc2 && netconf_find_revoked(nc2, nodes[1].cert.serial),
	      "revoked by prefix in the list, version %" PRIu64, v2);
	netconf_free(nc2);
	registry_client_set_identity(c, nodes[1].key, &nodes[1].cert);
	r = rc_renew_certificate(c, &renewed, NULL);
	CHECK(r == -EACCES, "node revoked by prefix cannot renew");
	r = rc_revoke(c, "2001:db8:43::/64");
	CHECK(r == -EINVAL || r == -ENOENT, "revoke of a prefix outside the network refused");
	r = rc_revoke(c, "999999");
	CHECK(r == -ENOENT, "revoke of an unknown serial: 404");

	/* Private lookups. */
	{
		char *p = NULL;
		char want[PREFIX_STRLEN];
		r = rc_get_node_prefix(c, nodes[2].email, &p);
		CHECK(r == 0 && p && strcmp(p, prefix_format(&nodes[2].cert.node, want)) == 0,
		      "getNodePrefix: %s", p ? p : registry_client_error(c));
		free(p);
		p = NULL;
		r = rc_get_ipv6_address(c, nodes[2].email, &p);
		CHECK(r == 0 && p, "getIPv6Address: %s", p ? p : registry_client_error(c));
		free(p);
	}
	/* getCountry from the location hints. */
	{
		char cc[3], addr[PREFIX_STRLEN];
		prefix_format_address(nodes[6].cert.node.addr, addr); /* FR,EU */
		r = rc_get_country(c, addr, cc);
		CHECK(r == 0 && strcmp(cc, "FR") == 0, "getCountry of a FR node");
		r = rc_get_country(c, "2001:db8:99::1", cc);
		CHECK(r == -ENOENT, "getCountry outside the network: unknown");
	}
	/* Tokens. */
	{
		char *t = NULL;
		bool is = false;
		r = rc_add_token(c, "ops@example.org", "fixedtoken1", &t);
		CHECK(r == 0 && t && strcmp(t, "fixedtoken1") == 0, "addToken with a given token");
		free(t);
		t = NULL;
		r = rc_add_token(c, "ops@example.org", "fixedtoken1", &t);
		CHECK(r == -EPROTO, "addToken duplicate: 409");
		free(t);
		CHECK(rc_is_token(c, "fixedtoken1", &is) == 0 && is, "isToken: present");
		CHECK(rc_delete_token(c, "fixedtoken1") == 0, "deleteToken");
		CHECK(rc_is_token(c, "fixedtoken1", &is) == 0 && !is, "isToken: gone");
	}
}

/* ---- HMAC ------------------------------------------------------------- */

static void test_hmac(void)
{
	_cleanup_(registry_client_freep) struct registry_client *c = client(&main_srv);
	struct rc_hmac h0, h1, h2, h3;
	char *state = NULL;
	uint64_t v0, v1, v2, v3;

	registry_client_set_identity(c, nodes[2].key, &nodes[2].cert);
	CHECK(rc_get_hmac(c, &h0) == 0 && h0.has_sign && !h0.has_accept && h0.sign_len == 16,
	      "initial HMAC: one key: %s", registry_client_error(c));
	v0 = netconf_version(c, NULL);

	CHECK(rc_update_hmac(c, &state) == 0 && state && strcmp(state, "introduce") == 0,
	      "updateHMAC -> introduce (%s)", state ? state : registry_client_error(c));
	free(state);
	state = NULL;
	v1 = netconf_version(c, NULL);
	CHECK(rc_get_hmac(c, &h1) == 0 && h1.has_sign && h1.has_accept && !h1.accept_none &&
		      memcmp(h1.sign, h0.sign, 16) == 0 && memcmp(h1.accept, h0.sign, 16) != 0,
	      "introduce: sign with the old key, accept the new one");
	CHECK(v1 > v0 && h1.version == v1, "version grows on introduce");

	CHECK(rc_update_hmac(c, &state) == 0 && state && strcmp(state, "use") == 0, "-> use");
	free(state);
	state = NULL;
	v2 = netconf_version(c, NULL);
	CHECK(rc_get_hmac(c, &h2) == 0 && h2.has_accept && memcmp(h2.sign, h1.accept, 16) == 0 &&
		      memcmp(h2.accept, h0.sign, 16) == 0,
	      "use: sign with the new key, accept the old one");
	CHECK(v2 > v1, "version grows on use");

	CHECK(rc_update_hmac(c, &state) == 0 && state && strcmp(state, "drop") == 0, "-> drop");
	free(state);
	state = NULL;
	v3 = netconf_version(c, NULL);
	CHECK(rc_get_hmac(c, &h3) == 0 && !h3.has_accept && memcmp(h3.sign, h1.accept, 16) == 0,
	      "drop: only the new key");
	CHECK(v3 > v2, "version grows on drop");

	/* The answer is sealed to the node: another node's identity cannot open it. */
	{
		unsigned status;
		char *body = NULL;
		size_t len;
		int r = rc_call_raw(c, "getHMAC", "", true, &status, &body, &len);
		CHECK(r == 0 && status == 200 && strstr(body, "RE6ST SEALED") &&
			      !strstr(body, "sign "), "getHMAC answer is sealed");
		free(body);
	}
}

/* ---- bootstrap peers ------------------------------------------------- */

static void test_bootstrap(void)
{
	_cleanup_(registry_client_freep) struct registry_client *a = client(&main_srv);
	_cleanup_(registry_client_freep) struct registry_client *b = client(&main_srv);
	struct rc_bootstrap_peer p = {};
	int r;

	registry_client_set_identity(a, nodes[3].key, &nodes[3].cert);
	registry_client_set_identity(b, nodes[4].key, &nodes[4].cert);
	r = rc_get_bootstrap_peer(b, &p);
	CHECK(r == -ENOENT, "no bootstrap peer before any announce (%d)", r);
	uint64_t announced = 0, current = netconf_version(a, NULL);
	r = rc_announce(a, "127.0.0.1,9,wg;::1,9,wg", &announced);
	CHECK(r == 0, "announce: %s", registry_client_error(a));
	CHECK(current && announced == current,
	      "announce answers the configuration's version (%llu, getNetworkConfig %llu)",
	      (unsigned long long)announced, (unsigned long long)current);
	r = rc_get_bootstrap_peer(b, &p);
	CHECK(r == 0 && prefix_equal(&p.prefix, &nodes[3].cert.node) && p.endpoints &&
		      strcmp(p.endpoints, "127.0.0.1,9,wg;::1,9,wg") == 0 &&
		      memcmp(p.cert.wg_pk, nodes[3].key->wg_pk, 32) == 0,
	      "bootstrap peer with endpoints and certificate: %s", registry_client_error(b));
	rc_bootstrap_peer_clear(&p);
	r = rc_get_bootstrap_peer(a, &p);
	CHECK(r == -ENOENT, "a node is never its own bootstrap peer");
	r = rc_announce(a, "bad\nendpoint", NULL);
	CHECK(r == -EINVAL, "announce with control characters refused");
	r = rc_announce(a, "wg=192.0.2.1:51820", NULL);
	CHECK(r == -EINVAL, "announce of a malformed endpoint list refused");
}

/* ---- non-blocking client ------------------------------------------------- */

static int run_async(struct registry_client *c, const char *rpc, bool sign, unsigned *status,
		     char **body)
{
	_cleanup_(rc_async_freep) struct rc_async *x = NULL;
	size_t len;
	int r = rc_async_start(c, rpc, "", sign, &x);

	if (r < 0)
		return r;
	for (int i = 0; i < 1000; i++) {
		struct pollfd fds[8];
		size_t n;
		int t;
		r = rc_async_fds(x, fds, 8, &n, &t);
		if (r < 0)
			return r;
		poll(fds, n, t);
		r = rc_async_process(x);
		if (r != 0)
			break;
	}
	if (r < 0)
		return r;
	return rc_async_result(x, status, body, &len);
}

static void test_async(void)
{
	_cleanup_(registry_client_freep) struct registry_client *c = client(&main_srv);
	unsigned status = 0;
	char *body = NULL;
	struct re6st_netconf *nc = NULL;
	int r;

	r = run_async(c, "getNetworkConfig", false, &status, &body);
	CHECK(r == 0 && status == 200 &&
		      netconf_from_armour(body, strlen(body), &the_ca, &nc, NULL, NULL) == 0,
	      "non-blocking getNetworkConfig (%d)", r);
	netconf_free(nc);
	free(body);
	body = NULL;
	registry_client_set_identity(c, nodes[2].key, &nodes[2].cert);
	r = run_async(c, "getHMAC", true, &status, &body);
	CHECK(r == 0 && status == 200 && strstr(body, "RE6ST SEALED"),
	      "non-blocking signed getHMAC, answer signature verified (%d)", r);
	free(body);
}

/* Drive a started request to its end; returns rc_async_process()'s last value. */
static int drive_async(struct rc_async *x, uint64_t *ret_ms)
{
	struct timespec t0, t1;
	int r = 0;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int i = 0; i < 100000 && r == 0; i++) {
		struct pollfd fds[8];
		size_t n;
		int t;
		r = rc_async_fds(x, fds, 8, &n, &t);
		if (r < 0)
			break;
		poll(fds, n, t < 0 || t > 100 ? 100 : t);
		r = rc_async_process(x);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (ret_ms)
		*ret_ms = (uint64_t)((t1.tv_sec - t0.tv_sec) * 1000 +
				     (t1.tv_nsec - t0.tv_nsec) / 1000000);
	return r;
}

static uint64_t elapsed_ms(const struct timespec *t0)
{
	struct timespec t1;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (uint64_t)((t1.tv_sec - t0->tv_sec) * 1000 + (t1.tv_nsec - t0->tv_nsec) / 1000000);
}

/* The typed non-blocking RPCs answer what the blocking ones answer. */
static void test_async_rpcs(void)
{
	_cleanup_(registry_client_freep) struct registry_client *c = client(&main_srv);
	_cleanup_(registry_client_freep) struct registry_client *b = client(&main_srv);
	struct rc_async *x = NULL;
	int r;

	registry_client_set_identity(c, nodes[10].key, &nodes[10].cert);
	registry_client_set_identity(b, nodes[11].key, &nodes[11].cert);

	/* getNetworkConfig: same document as the blocking call. */
	{
		_cleanup_(netconf_freep) struct re6st_netconf *nc = NULL, *nc2 = NULL;
		_cleanup_free_ uint8_t *raw = NULL, *raw2 = NULL;
		size_t len = 0, len2 = 0;
		CHECK(rc_get_network_config(c, &nc, &raw, &len) == 0, "blocking netconf");
		r = rc_async_get_network_config(c, &x);
		CHECK(r == 0 && x, "async getNetworkConfig started");
		if (x) {
			CHECK(rc_async_network_config_result(x, &nc2, &raw2, &len2) == -EAGAIN ||
				      nc2 == NULL,
			      "no result before the end");
			CHECK(drive_async(x, NULL) == 1, "async getNetworkConfig finished");
			r = rc_async_network_config_result(x, &nc2, &raw2, &len2);
			CHECK(r == 0 && nc2 && nc && nc2->version == nc->version && len2 == len &&
				      memcmp(raw, raw2, len) == 0,
			      "async netconf = blocking netconf (%d: %s)", r, rc_async_error(x));
			rc_async_free(x);
			x = NULL;
		}
	}

	/* announce, then getBootstrapPeer from another node finds it. */
	r = rc_async_announce(c, "127.0.0.1,4242,wg", &x);
	CHECK(r == 0 && x && drive_async(x, NULL) == 1, "async announce ran");
	if (x) {
		struct rc_bootstrap_peer p = {};
		CHECK(rc_async_bootstrap_peer_result(x, &p) == -EINVAL,
		      "result of another RPC refused");
		uint64_t v = 0;
		r = rc_async_announce_result(x, &v);
		CHECK(r == 0 && v, "async announce accepted, version %llu (%d: %s)",
		      (unsigned long long)v, r, rc_async_error(x));
		rc_async_free(x);
		x = NULL;
	}
	{
		bool found = false;
		/* The registry picks among recent announcers: ask until ours comes. */
		for (int i = 0; i < 40 && !found; i++) {
			struct rc_bootstrap_peer p = {};
			r = rc_async_get_bootstrap_peer(b, &x);
			if (r < 0 || drive_async(x, NULL) != 1)
				break;
			r = rc_async_bootstrap_peer_result(x, &p);
			if (r == 0 && prefix_equal(&p.prefix, &nodes[10].cert.node)) {
				found = p.endpoints && strcmp(p.endpoints, "127.0.0.1,4242,wg") == 0 &&
					memcmp(p.cert.wg_pk, nodes[10].key->wg_pk, 32) == 0;
			}
			rc_bootstrap_peer_clear(&p);
			rc_async_free(x);
			x = NULL;
			if (r < 0)
				break;
		}
		CHECK(found, "async getBootstrapPeer: the announced node, certificate verified (%d)",
		      r);
	}
	r = rc_async_announce(c, "bad\nendpoint", &x);
	CHECK(r == 0 && x && drive_async(x, NULL) == 1, "bad announce ran");
	if (x) {
		r = rc_async_announce_result(x, NULL);
		CHECK(r == -EINVAL && strstr(rc_async_error(x), "400"),
		      "async announce of a bad list: -EINVAL with the registry's words (%d: %s)", r,
		      rc_async_error(x));
		rc_async_free(x);
		x = NULL;
	}
	CHECK(rc_async_announce(c, NULL, &x) == -EINVAL && !x, "announce without endpoints");

	/* renewCertificate: not due, the same certificate comes back, checked. */
	r = rc_async_renew_certificate(c, &x);
	CHECK(r == 0 && x && drive_async(x, NULL) == 1, "async renewCertificate ran");
	if (x) {
		struct re6st_cert cert;
		_cleanup_free_ char *armour = NULL;
		r = rc_async_certificate_result(x, &cert, &armour);
		CHECK(r == 0 && cert.serial == nodes[10].cert.serial && armour &&
			      strstr(armour, "CERTIFICATE"),
		      "async renewal: the node's certificate (%d: %s)", r, rc_async_error(x));
		rc_async_free(x);
		x = NULL;
	}

	/* getHMAC: same keys as the blocking call. */
	{
		struct rc_hmac h = {}, h2 = {};
		CHECK(rc_get_hmac(c, &h) == 0, "blocking getHMAC");
		r = rc_async_get_hmac(c, &x);
		CHECK(r == 0 && x && drive_async(x, NULL) == 1, "async getHMAC ran");
		if (x) {
			r = rc_async_hmac_result(x, &h2);
			CHECK(r == 0 && h2.has_sign && h2.sign_len == h.sign_len &&
				      memcmp(h.sign, h2.sign, h.sign_len) == 0 && h2.version == h.version,
			      "async HMAC keys = blocking ones (%d: %s)", r, rc_async_error(x));
			rc_async_free(x);
			x = NULL;
		}
	}

	/* A client that trusts another CA rejects the answers. */
	{
		_cleanup_(registry_client_freep) struct registry_client *bad = client(&main_srv);
		struct re6st_ca other = the_ca;
		struct re6st_netconf *nc = NULL;
		other.sign_pk[0] ^= 1;
		registry_client_set_ca(bad, &other);
		registry_client_set_identity(bad, nodes[10].key, &nodes[10].cert);
		r = rc_async_get_network_config(bad, &x);
		CHECK(r == 0 && x && drive_async(x, NULL) == 1, "netconf with another CA ran");
		if (x) {
			r = rc_async_network_config_result(x, &nc, NULL, NULL);
			CHECK(r < 0 && !nc && rc_async_error(x)[0],
			      "netconf not signed by our CA refused (%d: %s)", r, rc_async_error(x));
			rc_async_free(x);
			x = NULL;
		}
		r = rc_async_get_hmac(bad, &x);
		CHECK(r == 0 && x && drive_async(x, NULL) == 1, "getHMAC with another CA ran");
		if (x) {
			struct rc_hmac h = {};
			r = rc_async_hmac_result(x, &h);
			CHECK(r == -EKEYREJECTED, "answer signature of another registry refused (%d: %s)",
			      r, rc_async_error(x));
			rc_async_free(x);
			x = NULL;
		}
	}
}

/* A registry that accepts connections and never answers, or refuses them:
 * starting a request never blocks, and it ends with the client's timeout. */
static void test_async_blackhole(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t l = sizeof(a);
	_cleanup_close_ int fd = socket(AF_INET, SOCK_STREAM, 0);
	char url[64];
	struct timespec t0;
	struct rc_async *x = NULL;
	uint64_t ms = 0, start_ms;
	int r;

	/* Listening, never accepting: the kernel completes the handshakes. */
	CHECK(fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0 && listen(fd, 16) == 0 &&
		      getsockname(fd, (struct sockaddr *)&a, &l) == 0,
	      "black-hole listener");
	snprintf(url, sizeof(url), "http://127.0.0.1:%u", ntohs(a.sin_port));
	{
		_cleanup_(registry_client_freep) struct registry_client *c = NULL;
		struct registry_client_options o = { .timeout_ms = 700, .retries = 0 };
		registry_client_new(url, &o, &c);
		registry_client_set_ca(c, &the_ca);
		registry_client_set_identity(c, nodes[10].key, &nodes[10].cert);

		clock_gettime(CLOCK_MONOTONIC, &t0);
		r = rc_async_get_bootstrap_peer(c, &x);
		start_ms = elapsed_ms(&t0);
		CHECK(r == 0 && x && start_ms < 100, "start returns at once (%" PRIu64 " ms)",
		      start_ms);
		if (x) {
			struct pollfd fds[8];
			size_t n = 0;
			int t = -1;
			CHECK(rc_async_fds(x, fds, 8, &n, &t) == 0 && t >= 0 && t <= 700,
			      "a deadline to poll for (%d ms)", t);
			r = drive_async(x, &ms);
			struct rc_bootstrap_peer p = {};
			int rr = rc_async_bootstrap_peer_result(x, &p);
			CHECK(r == 1 && rr == -ETIMEDOUT && ms >= 500 && ms < 2000,
			      "black hole: -ETIMEDOUT after the timeout (%d, %" PRIu64 " ms: %s)", rr, ms,
			      rc_async_error(x));
			CHECK(strstr(rc_async_error(x), url) != NULL, "error names the URL: %s",
			      rc_async_error(x));
			rc_async_free(x);
			x = NULL;
		}
	}
	close(fd);
	fd = -1;
	/* Nothing listens any more: refused at once. */
	{
		_cleanup_(registry_client_freep) struct registry_client *c = NULL;
		struct registry_client_options o = { .timeout_ms = 700, .retries = 0 };
		registry_client_new(url, &o, &c);
		registry_client_set_ca(c, &the_ca);
		r = rc_async_get_network_config(c, &x);
		CHECK(r == 0 && x, "start against a closed port");
		if (x) {
			struct re6st_netconf *nc = NULL;
			r = drive_async(x, &ms);
			int rr = rc_async_network_config_result(x, &nc, NULL, NULL);
			CHECK(r == 1 && rr == -ECONNREFUSED && ms < 500,
			      "closed port: -ECONNREFUSED at once (%d, %" PRIu64 " ms)", rr, ms);
			rc_async_free(x);
			x = NULL;
		}
	}
}

/* ---- hostile input ----------------------------------------------------- */

struct raw {
	long status;
	char body[4096];
	size_t len;
};

static size_t raw_write(char *d, size_t s, size_t n, void *u)
{
	struct raw *r = u;
	size_t k = MIN(s * n, sizeof(r->body) - 1 - r->len);

	memcpy(r->body + r->len, d, k);
	r->len += k;
	r->body[r->len] = '\0';
	return s * n;
}

static long raw_request(const char *url, const char *body, const char *iface,
			struct curl_slist *hdrs, struct raw *out)
{
	CURL *h = curl_easy_init();

	memset(out, 0, sizeof(*out));
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, raw_write);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, out);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, 10L);
	if (body) {
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
	}
	if (iface)
		curl_easy_setopt(h, CURLOPT_INTERFACE, iface);
	if (hdrs)
		curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
	if (curl_easy_perform(h) == CURLE_OK)
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &out->status);
	else
		out->status = -1;
	curl_easy_cleanup(h);
	return out->status;
}

/* Headers of a request signed by key k with certificate cert. */
static struct curl_slist *signed_headers(const struct re6st_key *k, const struct re6st_cert *cert,
					 const char *rpc, const char *query, int64_t skew)
{
	uint8_t raw[CERT_SIZE];
	char b64[400], sig_s[REQSIGN_STRLEN], h1[512], h2[256];
	_cleanup_free_ char *data = NULL;
	struct reqsig sig;

	if (asprintf(&data, "%s\n", query) < 0)
		abort();
	if (reqsign_sign(k, cert, rpc, (const uint8_t *)data, strlen(data),
			 (uint64_t)((int64_t)time(NULL) + skew), &sig) < 0) {
		/* key/cert mismatch: sign with k under a certificate of its own. */
		struct re6st_cert fake = *cert;
		memcpy(fake.sign_pk, k->sign_pk, 32);
		memcpy(fake.wg_pk, k->wg_pk, 32);
		reqsign_sign(k, &fake, rpc, (const uint8_t *)data, strlen(data),
			     (uint64_t)time(NULL), &sig);
	}
	cert_encode(cert, raw);
	sodium_bin2base64(b64, sizeof(b64), raw, sizeof(raw), sodium_base64_VARIANT_ORIGINAL);
	snprintf(h1, sizeof(h1), "Re6st-Cert: %s", b64);
	snprintf(h2, sizeof(h2), "Re6st-Signature: %s", reqsig_format(&sig, sig_s));
	return curl_slist_append(curl_slist_append(NULL, h1), h2);
}

static void test_hostile(void)
{
	_cleanup_(registry_client_freep) struct registry_client *c = client(&main_srv);
	char url[256];
	struct raw r;
	struct curl_slist *h;

	snprintf(url, sizeof(url), "%s/requestCertificate?pk=%%zz", main_srv.url);
	CHECK(raw_request(url, NULL, NULL, NULL, &r) == 400 && strstr(r.body, "escape"),
	      "malformed escape: 400 (%ld %s)", r.status, r.body);
	snprintf(url, sizeof(url), "%s/getCa?a=1&a=2", main_srv.url);
	CHECK(raw_request(url, NULL, NULL, NULL, &r) == 400 && strstr(r.body, "duplicate"),
	      "duplicate argument: 400");
	snprintf(url, sizeof(url), "%s/getCa?x=1", main_srv.url);
	CHECK(raw_request(url, NULL, NULL, NULL, &r) == 400 && strstr(r.body, "unknown argument"),
	      "unknown argument: 400");
	snprintf(url, sizeof(url), "%s/getCa?=", main_srv.url);
	CHECK(raw_request(url, NULL, NULL, NULL, &r) == 400, "empty key: 400");
	snprintf(url, sizeof(url), "%s/noSuchRPC", main_srv.url);
	CHECK(raw_request(url, NULL, NULL, NULL, &r) == 404 && strstr(r.body, "unknown RPC"),
	      "unknown RPC: 404");
	snprintf(url, sizeof(url), "%s/", main_srv.url);
	CHECK(raw_request(url, NULL, NULL, NULL, &r) == 404, "no RPC: 404");
	{
		char *big = malloc(100000);
		memset(big, 'a', 99999);
		big[99999] = '\0';
		memcpy(big, "email=", 6);
		snprintf(url, sizeof(url), "%s/requestToken", main_srv.url);
		CHECK(raw_request(url, big, NULL, NULL, &r) == 413 && strstr(r.body, "too large"),
		      "oversized body: 413 (%ld)", r.status);
		free(big);
	}
	snprintf(url, sizeof(url), "%s/requestToken", main_srv.url);
	CHECK(raw_request(url, "email=bad%0d%0aBcc:x@y", NULL, NULL, &r) == 400,
	      "header injection in email: 400");

	/* Private RPC from a non-authorized address (127.0.0.2 is loopback too). */
	snprintf(url, sizeof(url), "%s/updateHMAC", main_srv.url);
	CHECK(raw_request(url, NULL, "127.0.0.2", NULL, &r) == 403 && strstr(r.body, "origin"),
	      "private RPC from 127.0.0.2: 403 (%ld %s)", r.status, r.body);
	h = curl_slist_append(NULL, "X-Forwarded-For: 192.0.2.7");
	snprintf(url, sizeof(url), "%s/isToken?token=x", main_srv.url);
	CHECK(raw_request(url, NULL, NULL, h, &r) == 403, "private RPC via proxy for 192.0.2.7: 403");
	curl_slist_free_all(h);
	h = curl_slist_append(NULL, "X-Forwarded-For: ::1");
	CHECK(raw_request(url, NULL, NULL, h, &r) == 204, "private RPC via proxy for ::1: allowed");
	curl_slist_free_all(h);

	/* Signed requests. */
	snprintf(url, sizeof(url), "%s/getHMAC", main_srv.url);
	CHECK(raw_request(url, NULL, NULL, NULL, &r) == 403 && strstr(r.body, "Re6st-Cert"),
	      "signed RPC without signature: 403");
	h = signed_headers(nodes[2].key, &nodes[2].cert, "getHMAC", "", 0);
	CHECK(raw_request(url, NULL, NULL, h, &r) == 200, "signed request accepted (%ld %s)",
	      r.status, r.body);
	CHECK(raw_request(url, NULL, NULL, h, &r) == 403 && strstr(r.body, "replayed"),
	      "replayed request: 403 (%ld %s)", r.status, r.body);
	curl_slist_free_all(h);
	h = signed_headers(nodes[5].key, &nodes[2].cert, "getHMAC", "", 0);
	CHECK(raw_request(url, NULL, NULL, h, &r) == 403 && strstr(r.body, "signature"),
	      "forged signature: 403 (%ld %s)", r.status, r.body);
	curl_slist_free_all(h);
	h = signed_headers(nodes[2].key, &nodes[2].cert, "announce", "", 0);
	CHECK(raw_request(url, NULL, NULL, h, &r) == 403, "signature for another RPC: 403");
	curl_slist_free_all(h);
	h = signed_headers(nodes[2].key, &nodes[2].cert, "getHMAC", "", -3600);
	CHECK(raw_request(url, NULL, NULL, h, &r) == 403 && strstr(r.body, "window"),
	      "stale timestamp: 403 (%s)", r.body);
	curl_slist_free_all(h);
	{
		/* A certificate of another network. */
		_cleanup_(key_freep) struct re6st_key *other = NULL;
		struct re6st_ca oca;
		struct re6st_cert oc = nodes[2].cert;
		key_generate(false, &other);
		ca_create(&the_ca.network, other, (uint64_t)time(NULL), &oca);
		cert_sign(&oc, &oca, other);
		h = signed_headers(nodes[2].key, &oc, "getHMAC", "", 0);
		CHECK(raw_request(url, NULL, NULL, h, &r) == 403 && strstr(r.body, "another network"),
		      "foreign certificate: 403 (%s)", r.body);
		curl_slist_free_all(h);
	}
	h = curl_slist_append(curl_slist_append(NULL, "Re6st-Cert: !!!"),
			      "Re6st-Signature: v1:garbage");
	CHECK(raw_request(url, NULL, NULL, h, &r) == 400 && strstr(r.body, "malformed"),
	      "malformed certificate header: 400");
	curl_slist_free_all(h);

	/* Slow client: a request never finished is dropped after --timeout, others served. */
	{
		struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(main_srv.port),
					 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
		int fd = socket(AF_INET, SOCK_STREAM, 0);
		struct timeval tv = { .tv_sec = 8 };
		char buf[256];
		struct re6st_ca x;
		time_t t0;
		ssize_t n;

		CHECK(connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0, "slow client connects");
		(void)!write(fd, "GET /getCa HTTP/1.1\r\nHost: x\r\n", 30);
		CHECK(rc_get_ca(c, &x) == 0, "others served while a client is slow");
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		t0 = time(NULL);
		n = read(fd, buf, sizeof(buf));
		CHECK(n <= 0 && time(NULL) - t0 < 8, "slow client dropped after the timeout");
		close(fd);
	}
	{
		struct re6st_ca x;
		CHECK(rc_get_ca(c, &x) == 0 && ca_equal(&x, &the_ca), "server still serving");
	}
}

/* ---- restart and kill -9 --------------------------------------------- */

static void test_restart(void)
{
	_cleanup_(registry_client_freep) struct registry_client *c = NULL;
	_cleanup_(key_freep) struct re6st_key *k = NULL;
	struct re6st_netconf *nc = NULL;
	struct re6st_cert cert;
	uint64_t v0, v1;
	char *p = NULL, want[PREFIX_STRLEN];
	int overlaps = 0, r;

	c = client(&main_srv);
	v0 = netconf_version(c, NULL);
	server_stop(&main_srv, SIGTERM);
	CHECK(server_start(&main_srv) == 0, "registry restarts on its database");
	v1 = netconf_version(c, &nc);
	CHECK(v1 == v0, "same configuration version after restart (%" PRIu64 " %" PRIu64 ")", v0,
	      v1);
	CHECK(nc && netconf_find_revoked(nc, nodes[0].cert.serial), "revocations kept");
	netconf_free(nc);
	r = rc_get_node_prefix(c, nodes[10].email, &p);
	CHECK(r == 0 && strcmp(p, prefix_format(&nodes[10].cert.node, want)) == 0,
	      "certificates kept across restart");
	free(p);
	key_generate(true, &k);
	r = rc_request_certificate(c, NULL, k, NULL, &cert, NULL);
	CHECK(r == 0, "registration after restart: %s", registry_client_error(c));
	for (int i = 2; i < N_NODES; i++)
		if (nodes[i].ok && prefix_overlaps(&nodes[i].cert.node, &cert.node))
			overlaps++;
	CHECK(overlaps == 0, "no prefix issued twice after restart");
	/* The prefix freed by revoke is reusable. */
}

#define KILL_THREADS 4
struct killed {
	struct re6st_cert certs[2000];
	atomic_uint n;
	atomic_bool stop;
	struct server *srv;
};

static void *kill_load(void *arg)
{
	struct killed *k = arg;
	_cleanup_(registry_client_freep) struct registry_client *c = NULL;
	struct registry_client_options o = { .timeout_ms = 3000, .retries = 0 };
	_cleanup_(key_freep) struct re6st_key *key = NULL;

	registry_client_new(k->srv->url, &o, &c);
	registry_client_set_ca(c, &the_ca);
	while (!k->stop) {
		struct re6st_cert cert;
		/* A new key each time: the same key again gets the same certificate. */
		key_free(TAKE_PTR(key));
		key_generate(true, &key);
		if (rc_request_certificate(c, NULL, key, NULL, &cert, NULL) == 0) {
			unsigned i = k->n++;
			if (i < ARRAY_SIZE(k->certs))
				k->certs[i] = cert;
		} else
			usleep(20000);
	}
	return NULL;
}

static void test_kill9(void)
{
	static struct killed k;
	struct server s = { .port = free_port(), .extra = { "--anonymous-prefix-length", "24", NULL } };
	pthread_t th[KILL_THREADS];
	unsigned before, missing = 0, overlaps = 0, n;
	sqlite3 *db = NULL;

	snprintf(s.db, sizeof(s.db), "%s/kill.db", tmpdir);
	snprintf(s.mbox, sizeof(s.mbox), "%s/kill.mbox", tmpdir);
	if (server_start(&s) < 0) {
		CHECK(false, "kill server start");
		return;
	}
	k.srv = &s;
	for (int i = 0; i < KILL_THREADS; i++)
		pthread_create(&th[i], NULL, kill_load, &k);
	usleep(1500000);
	server_stop(&s, SIGKILL);
	before = k.n;
	CHECK(server_start(&s) == 0, "registry restarts after kill -9");
	usleep(1500000);
	k.stop = true;
	for (int i = 0; i < KILL_THREADS; i++)
		pthread_join(th[i], NULL);
	n = MIN(k.n, ARRAY_SIZE(k.certs));
	CHECK(before > 10 && n > before, "load before (%u) and after (%u) the kill", before, n);
	sqlite3_open_v2(s.db, &db, SQLITE_OPEN_READONLY, NULL);
	for (unsigned i = 0; i < n; i++) {
		sqlite3_stmt *st = NULL;
		char bits[129];
		prefix_to_bit_string(&the_ca.network, &k.certs[i].node, bits);
		sqlite3_prepare_v2(db, "SELECT 1 FROM cert WHERE prefix=? AND serial=?", -1, &st,
				   NULL);
		sqlite3_bind_text(st, 1, bits, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, (int64_t)k.certs[i].serial);
		if (sqlite3_step(st) != SQLITE_ROW)
			missing++;
		sqlite3_finalize(st);
		for (unsigned j = 0; j < i; j++)
			if (prefix_overlaps(&k.certs[i].node, &k.certs[j].node) ||
			    k.certs[i].serial == k.certs[j].serial)
				overlaps++;
	}
	sqlite3_close(db);
	CHECK(missing == 0, "%u issued certificates lost by kill -9", missing);
	CHECK(overlaps == 0, "%u prefixes or serials issued twice around kill -9", overlaps);
	server_stop(&s, SIGTERM);
}

/* ---- renewal near expiry, expired certificates ------------------------ */

static void test_expiry(void)
{
	struct server s = { .port = free_port(),
			    .extra = { "--anonymous-prefix-length", "24", "--cert-duration", "3",
				       NULL } };
	_cleanup_(registry_client_freep) struct registry_client *c = NULL;
	_cleanup_(key_freep) struct re6st_key *k = NULL;
	struct re6st_cert cert, renewed;
	struct rc_hmac h;
	int r;

	snprintf(s.db, sizeof(s.db), "%s/expiry.db", tmpdir);
	snprintf(s.mbox, sizeof(s.mbox), "%s/expiry.mbox", tmpdir);
	if (server_start(&s) < 0) {
		CHECK(false, "expiry server start");
		return;
	}
	c = client(&s);
	key_generate(true, &k);
	r = rc_request_certificate(c, NULL, k, NULL, &cert, NULL);
	CHECK(r == 0 && cert.not_after - cert.not_before == 3, "short certificate issued");
	registry_client_set_identity(c, k, &cert);
	/* Within the last 30 days: renewal gives a new certificate. */
	r = rc_renew_certificate(c, &renewed, NULL);
	CHECK(r == 0 && renewed.serial != cert.serial && prefix_equal(&renewed.node, &cert.node) &&
		      renewed.not_after >= cert.not_after,
	      "renewal near expiry: %s", registry_client_error(c));
	sleep(5);
	r = rc_get_hmac(c, &h);
	CHECK(r == -EACCES && strstr(registry_client_error(c), "expired"),
	      "expired certificate refused: %s", registry_client_error(c));
	registry_client_set_identity(c, k, &renewed);
	r = rc_renew_certificate(c, &cert, NULL);
	CHECK(r == 0 && prefix_equal(&renewed.node, &cert.node) && cert.not_after > renewed.not_after,
	      "expired certificate renewed within the grace period: %s", registry_client_error(c));
	server_stop(&s, SIGTERM);
}

int main(int argc, char **argv)
{
	char ca[128], key[128], comm[128];
	pid_t pid;
	int status;

	if (argc < 2) {
		fprintf(stderr, "usage: %s PATH/re6st-registry\n", argv[0]);
		return 2;
	}
	registry_bin = argv[1];
	setvbuf(stdout, NULL, _IOLBF, 0);
	identity_init();
	curl_global_init(CURL_GLOBAL_DEFAULT);
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/re6st-registry-test.XXXXXX");
	if (!mkdtemp(tmpdir))
		return 1;
	snprintf(ca, sizeof(ca), "%s/ca.crt", tmpdir);
	snprintf(key, sizeof(key), "%s/ca.key", tmpdir);
	snprintf(comm, sizeof(comm), "%s/community", tmpdir);
	pid = fork();
	if (pid == 0) {
		int fd = open("/dev/null", O_WRONLY);
		dup2(fd, 1);
		execl(registry_bin, registry_bin, "--create-network", "2001:db8:42::/48", "--ca", ca,
		      "--key", key, NULL);
		_exit(127);
	}
	waitpid(pid, &status, 0);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "--create-network");
	if (ca_load(ca, &the_ca) < 0) {
		fprintf(stderr, "cannot load %s\n", ca);
		return 1;
	}
	{
		struct stat st;
		CHECK(stat(key, &st) == 0 && (st.st_mode & 0777) == 0600, "CA key written 0600");
	}
	write_file_atomic(comm, "0 *\n10 FR\n11 DE @EU\n", 20, 0644);

	main_srv.port = free_port();
	snprintf(main_srv.db, sizeof(main_srv.db), "%s/registry.db", tmpdir);
	snprintf(main_srv.mbox, sizeof(main_srv.mbox), "%s/mbox", tmpdir);
	{
		const char *extra[] = { "--anonymous-prefix-length", "20", "--community", comm,
					"--client-count", "7", "--tunnel-types", "wireguard,gre",
					"--timeout", "3", "--threads", "4", "--link-cost", "384",
					NULL };
		memcpy(main_srv.extra, extra, sizeof(extra));
	}
	if (server_start(&main_srv) < 0) {
		fprintf(stderr, "cannot start %s\n", registry_bin);
		return 1;
	}
	test_concurrent_registration();
	test_netconf_revoke_renew();
	test_hmac();
	test_bootstrap();
	test_async();
	test_async_rpcs();
	test_async_blackhole();
	test_hostile();
	test_restart();
	server_stop(&main_srv, SIGTERM);
	test_kill9();
	test_expiry();

	for (int i = 0; i < N_NODES; i++)
		key_free(nodes[i].key);
	curl_global_cleanup();
	if (!check_failed) {
		char cmd[128];
		snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
		(void)!system(cmd);
	} else
		fprintf(stderr, "logs kept in %s\n", tmpdir);
	return check_summary();
}
