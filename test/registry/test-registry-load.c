/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The mixed public and private RPC load that crashed the registry and
 * corrupted its database when statements outlived the lock: getCountry on
 * 8 connections, requestToken on 4, addToken/isToken/deleteToken,
 * getNodePrefix/getIPv6Address, anonymous registration and signed
 * announce/getBootstrapPeer/renewCertificate, all at once, for
 * $RE6ST_LOAD_SECONDS (default 60) against a re6st-registry with 4
 * threads.  Every answer is checked; then the registry must still run,
 * exit cleanly (ASan/LSan) and leave PRAGMA integrity_check = ok.
 *
 * Usage: test-registry-load PATH/re6st-registry
 */
#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fileio.h"
#include "macro.h"
#include "prefix.h"
#include "regtest.h"
#include "check.h"

#define N_NODES 16
#define MAX_REGISTERED 4096

static const char *const locs[] = { "FR,EU", "DE,EU", "US,NA", "JP,AS" };

static struct {
	struct re6st_key *key;
	struct re6st_cert cert;
	char email[64];     /* registered by token: set */
	char prefix[PREFIX_STRLEN];
	char address[INET6_ADDRSTRLEN];
} nodes[N_NODES];

static struct server srv;
static atomic_bool stop;
static atomic_uint answers, wrong;
static atomic_uint tokens_mailed;
static struct re6st_prefix registered[MAX_REGISTERED];
static atomic_uint n_registered;

/* Count one answer; print the first wrong ones. */
#define ANSWER(ok, ...)                                                               \
	do {                                                                          \
		answers++;                                                            \
		if (!(ok) && wrong++ < 20)                                            \
			CHECK(false, __VA_ARGS__);                                    \
	} while (0)

enum kind { COUNTRY, REQUEST_TOKEN, TOKENS, NODE_PREFIX, REGISTER, SIGNED };

struct worker {
	enum kind kind;
	unsigned id;
	pthread_t th;
};

static void do_country(struct registry_client *c, unsigned i)
{
	unsigned n = i % N_NODES;
	char cc[3] = "";
	int r = rc_get_country(c, nodes[n].address, cc);

	ANSWER(r == 0 && strncmp(cc, locs[n % ARRAY_SIZE(locs)], 2) == 0,
	       "getCountry %s: %d '%s', expected %.2s (%s)", nodes[n].address, r, cc,
	       locs[n % ARRAY_SIZE(locs)], registry_client_error(c));
}

static void do_request_token(struct registry_client *c, unsigned id, unsigned i)
{
	char email[64];
	int r;

	snprintf(email, sizeof(email), "load%u-%u@example.org", id, i);
	r = rc_request_token(c, email);
	ANSWER(r == 0, "requestToken %s: %d (%s)", email, r, registry_client_error(c));
	if (r == 0)
		tokens_mailed++;
}

static void do_tokens(struct registry_client *c, unsigned id, unsigned i)
{
	_cleanup_free_ char *got = NULL;
	char token[32];
	bool is;
	int r;

	snprintf(token, sizeof(token), "t%u-%u", id, i);
	r = rc_add_token(c, "tokens@example.org", token, &got);
	ANSWER(r == 0 && got && strcmp(got, token) == 0, "addToken %s: %d '%s' (%s)", token, r,
	       got ? got : "", registry_client_error(c));
	r = rc_is_token(c, token, &is);
	ANSWER(r == 0 && is, "isToken %s after addToken: %d %d", token, r, r == 0 && is);
	r = rc_delete_token(c, token);
	ANSWER(r == 0, "deleteToken %s: %d (%s)", token, r, registry_client_error(c));
	r = rc_is_token(c, token, &is);
	ANSWER(r == 0 && !is, "isToken %s after deleteToken: %d %d", token, r, r == 0 && is);
}

static void do_node_prefix(struct registry_client *c, unsigned i)
{
	unsigned n = (i * 4) % N_NODES; /* nodes 0, 4, 8, 12 came by token */
	_cleanup_free_ char *p = NULL, *a = NULL;
	int r;

	r = rc_get_node_prefix(c, nodes[n].email, &p);
	ANSWER(r == 0 && p && strcmp(p, nodes[n].prefix) == 0, "getNodePrefix %s: %d '%s' vs %s",
	       nodes[n].email, r, p ? p : "", nodes[n].prefix);
	r = rc_get_ipv6_address(c, nodes[n].email, &a);
	ANSWER(r == 0 && a && strncmp(a, nodes[n].prefix, strcspn(nodes[n].prefix, ":") + 1) == 0,
	       "getIPv6Address %s: %d '%s' vs %s", nodes[n].email, r, a ? a : "", nodes[n].prefix);
}

static void do_register(struct registry_client *c)
{
	_cleanup_(key_freep) struct re6st_key *k = NULL;
	struct re6st_cert cert;
	int r;

	if (key_generate(true, &k) < 0)
		return;
	r = rc_request_certificate(c, NULL, k, "FR,EU", &cert, NULL);
	ANSWER(r == 0, "anonymous requestCertificate: %d (%s)", r, registry_client_error(c));
	if (r == 0) {
		unsigned j = n_registered++;
		if (j < MAX_REGISTERED)
			registered[j] = cert.node;
	}
}

static void do_signed(struct registry_client *c, unsigned i)
{
	unsigned n = 1 + (i % (N_NODES - 1));
	struct rc_bootstrap_peer peer = {};
	struct re6st_cert renewed;
	char ep[64];
	int r;

	registry_client_set_identity(c, nodes[n].key, &nodes[n].cert);
	snprintf(ep, sizeof(ep), "192.0.2.%u,%u,wg", n, 40000 + i % 1000);
	r = rc_announce(c, ep, NULL);
	ANSWER(r == 0, "announce: %d (%s)", r, registry_client_error(c));
	r = rc_get_bootstrap_peer(c, &peer);
	ANSWER(r == 0 && !prefix_equal(&peer.prefix, &nodes[n].cert.node),
	       "getBootstrapPeer: %d (%s)", r, registry_client_error(c));
	rc_bootstrap_peer_clear(&peer);
	r = rc_renew_certificate(c, &renewed, NULL);
	ANSWER(r == 0 && renewed.serial == nodes[n].cert.serial,
	       "renewCertificate not due: %d, serial %llu vs %llu (%s)", r,
	       (unsigned long long)renewed.serial, (unsigned long long)nodes[n].cert.serial,
	       registry_client_error(c));
}

static void *work(void *arg)
{
	struct worker *w = arg;
	_cleanup_(registry_client_freep) struct registry_client *c = server_client(&srv);

	for (unsigned i = 0; !stop; i++) {
		switch (w->kind) {
		case COUNTRY: do_country(c, w->id + i); break;
		case REQUEST_TOKEN: do_request_token(c, w->id, i); break;
		case TOKENS: do_tokens(c, w->id, i); break;
		case NODE_PREFIX: do_node_prefix(c, w->id + i); break;
		case REGISTER: do_register(c); break;
		case SIGNED: do_signed(c, w->id + i); break;
		}
	}
	return NULL;
}

static int setup_nodes(void)
{
	_cleanup_(registry_client_freep) struct registry_client *c = server_client(&srv);

	for (unsigned i = 0; i < N_NODES; i++) {
		_cleanup_free_ char *token = NULL;
		struct re6st_prefix host;
		int r;

		if (key_generate(true, &nodes[i].key) < 0)
			return -ENOMEM;
		if (i % 4 == 0) {
			snprintf(nodes[i].email, sizeof(nodes[i].email), "node%u@example.org", i);
			r = rc_add_token(c, nodes[i].email, NULL, &token);
			if (r < 0)
				return r;
		}
		r = rc_request_certificate(c, token, nodes[i].key, locs[i % ARRAY_SIZE(locs)],
					   &nodes[i].cert, NULL);
		if (r < 0) {
			fprintf(stderr, "setup: requestCertificate: %s\n", registry_client_error(c));
			return r;
		}
		prefix_format(&nodes[i].cert.node, nodes[i].prefix);
		host = nodes[i].cert.node;
		host.addr[15] = 1;
		inet_ntop(AF_INET6, host.addr, nodes[i].address, sizeof(nodes[i].address));
	}
	/* Node 0 announced: getBootstrapPeer always has a peer for the others. */
	registry_client_set_identity(c, nodes[0].key, &nodes[0].cert);
	return rc_announce(c, "192.0.2.200,40000,wg", NULL);
}

static void check_database(void)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *s = NULL;
	const char *res = NULL;
	int n = -1;

	CHECK(sqlite3_open_v2(srv.db, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK, "open db");
	if (sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &s, NULL) == SQLITE_OK &&
	    sqlite3_step(s) == SQLITE_ROW)
		res = (const char *)sqlite3_column_text(s, 0);
	CHECK(res && strcmp(res, "ok") == 0, "PRAGMA integrity_check: %s", res ? res : "(none)");
	printf("integrity_check: %s\n", res ? res : "(none)");
	sqlite3_finalize(s);
	if (sqlite3_prepare_v2(db, "SELECT count(*) FROM cert WHERE serial IS NOT NULL", -1, &s,
			       NULL) == SQLITE_OK && sqlite3_step(s) == SQLITE_ROW)
		n = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	CHECK(n == (int)(N_NODES + n_registered), "%d certificates in the database, %u issued", n,
	      N_NODES + (unsigned)n_registered);
	if (sqlite3_prepare_v2(db, "SELECT count(*) FROM token WHERE email='tokens@example.org'",
			       -1, &s, NULL) == SQLITE_OK && sqlite3_step(s) == SQLITE_ROW)
		n = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	CHECK(n == 0, "%d added tokens left after deleteToken", n);
	sqlite3_close(db);
}

static void check_registered(void)
{
	unsigned n = MIN((unsigned)n_registered, MAX_REGISTERED), overlaps = 0;

	for (unsigned i = 0; i < n; i++) {
		for (unsigned j = 0; j < N_NODES; j++)
			overlaps += prefix_overlaps(&registered[i], &nodes[j].cert.node);
		for (unsigned j = 0; j < i; j++)
			overlaps += prefix_overlaps(&registered[i], &registered[j]);
	}
	CHECK(overlaps == 0, "%u prefixes given twice during the load", overlaps);
}

static unsigned mbox_count(const char *needle)
{
	_cleanup_free_ char *text = NULL;
	unsigned n = 0;
	size_t len;

	if (read_file_full(srv.mbox, 256 << 20, &text, &len) < 0)
		return 0;
	/* memmem, not strstr: ASan's strict_string_checks makes strstr measure the
	 * whole rest of the file each time. */
	for (const char *p = text, *end = text + len;
	     (p = memmem(p, (size_t)(end - p), needle, strlen(needle))); p++)
		n++;
	return n;
}

int main(int argc, char **argv)
{
	static const struct { enum kind kind; unsigned n; } mix[] = {
		{ COUNTRY, 8 }, { REQUEST_TOKEN, 4 }, { TOKENS, 2 }, { NODE_PREFIX, 2 },
		{ REGISTER, 1 }, { SIGNED, 1 },
	};
	struct worker w[32];
	const char *e = getenv("RE6ST_LOAD_SECONDS");
	unsigned seconds = e ? (unsigned)atoi(e) : 60, nw = 0;
	struct timespec t0, t1;

	if (argc != 2) {
		fprintf(stderr, "usage: %s PATH/re6st-registry\n", argv[0]);
		return 2;
	}
	if (!seconds)
		seconds = 60;
	if (identity_init() < 0 || regtest_init(argv[1]) < 0) {
		fprintf(stderr, "cannot set up the test network\n");
		return 1;
	}
	srv.extra[0] = "--anonymous-prefix-length";
	srv.extra[1] = "16";
	srv.extra[2] = "--threads";
	srv.extra[3] = "4";
	if (!CHECK(server_start(&srv, "load") == 0, "registry starts") ||
	    !CHECK(setup_nodes() == 0, "16 nodes registered")) {
		server_stop(&srv, SIGTERM);
		regtest_done(false);
		return check_summary();
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (size_t k = 0; k < ARRAY_SIZE(mix); k++)
		for (unsigned i = 0; i < mix[k].n; i++, nw++) {
			w[nw] = (struct worker){ .kind = mix[k].kind, .id = i * 1000 };
			pthread_create(&w[nw].th, NULL, work, &w[nw]);
		}
	for (unsigned s = 0; s < seconds && !server_exited(&srv); s++)
		sleep(1);
	stop = true;
	for (unsigned i = 0; i < nw; i++)
		pthread_join(w[i].th, NULL);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("%u answers in %.1f s on %u connections (%u wrong), %u registrations,"
	       " %u tokens mailed\n", (unsigned)answers,
	       (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9, nw,
	       (unsigned)wrong, (unsigned)n_registered, (unsigned)tokens_mailed);
	CHECK(!server_exited(&srv), "registry still running after the load (status 0x%x)",
	      srv.status);
	CHECK(wrong == 0, "%u wrong answers out of %u", (unsigned)wrong, (unsigned)answers);
	CHECK(answers > 1000, "only %u answers", (unsigned)answers);
	server_stop(&srv, SIGTERM);
	CHECK(WIFEXITED(srv.status) && WEXITSTATUS(srv.status) == 0,
	      "registry exit status 0x%x (ASan/LSan report in %s)", srv.status, srv.log);
	check_database();
	check_registered();
	CHECK(mbox_count("\nTo: load") == tokens_mailed, "%u mails for %u tokens",
	      mbox_count("\nTo: load"), (unsigned)tokens_mailed);
	regtest_done(check_failed == 0);
	return check_summary();
}
