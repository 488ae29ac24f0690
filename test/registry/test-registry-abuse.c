/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Hostile and careless use of a real re6st-registry (ASan build):
 *  - slowloris: 1,000 idle and 500 drip-feeding connections from 127.0.0.2
 *    while getCa from 127.0.0.3 must be answered within 2 s every time; a
 *    drip-feeding and an idle connection from 127.0.0.4 are closed at the
 *    request deadline; the attacker's log lines are rate-limited;
 *  - 300 requests with 10,000 empty arguments get a 4xx, and the registry
 *    exits with status 0 (LeakSanitizer silent);
 *  - --anonymous-rate from a non-authorized address; requestCertificate
 *    retried with the same key gets the same certificate;
 *  - --token-rate per requesting address and per mailbox (case-blind);
 *  - a second registry on the same database exits with status 2 and the
 *    first keeps working;
 *  - registry.db, -wal, -shm 0600 and their directory 0700;
 *  - renewCertificate renews when cert_renew_due() says so, once.
 *
 * Usage: test-registry-abuse PATH/re6st-registry
 * RE6ST_ABUSE_SECONDS: length of the slowloris phase (default 25).
 */
#include <arpa/inet.h>
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fileio.h"
#include "macro.h"
#include "reqsign.h"
#include "regtest.h"
#include "check.h"

#define N_IDLE 1000
#define N_DRIP 500

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Non-blocking TCP connection from src to 127.0.0.1:port; -1 on failure. */
static int connect_from(const char *src, unsigned port)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	struct sockaddr_in d = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	inet_pton(AF_INET, src, &a.sin_addr);
	inet_pton(AF_INET, "127.0.0.1", &d.sin_addr);
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    (connect(fd, (struct sockaddr *)&d, sizeof(d)) < 0 && errno != EINPROGRESS)) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Closed by the other side (EOF or error)? */
static bool peer_closed(int fd)
{
	char buf[512];
	ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);

	return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != ENOTCONN);
}

/* ---- the attacker --------------------------------------------------------- */

struct attack {
	unsigned port;
	atomic_bool stop;
	unsigned long reconnects;
};

static void *attacker(void *arg)
{
	struct attack *a = arg;
	static int fd[N_IDLE + N_DRIP];
	static double opened[N_IDLE + N_DRIP];

	for (int i = 0; i < N_IDLE + N_DRIP; i++) {
		fd[i] = connect_from("127.0.0.2", a->port);
		opened[i] = now_s();
	}
	while (!a->stop) {
		double t = now_s();

		for (int i = 0; i < N_IDLE + N_DRIP; i++) {
			bool drip = i >= N_IDLE;

			if (fd[i] >= 0 && peer_closed(fd[i])) {
				close(fd[i]);
				fd[i] = -1;
			}
			if (fd[i] < 0) {
				if (t - opened[i] < 1.0)
					continue; /* at most one new connection a second per slot */
				fd[i] = connect_from("127.0.0.2", a->port);
				opened[i] = t;
				a->reconnects++;
				if (drip && fd[i] >= 0)
					(void)!send(fd[i], "GET /getCa HTTP/1.1\r\n", 21, MSG_NOSIGNAL);
				continue;
			}
			if (drip)
				(void)!send(fd[i], "X", 1, MSG_NOSIGNAL);
		}
		usleep(1000000);
	}
	for (int i = 0; i < N_IDLE + N_DRIP; i++)
		if (fd[i] >= 0)
			close(fd[i]);
	return NULL;
}

/* ---- a legitimate client ------------------------------------------------- */

struct buf {
	char *p;
	size_t n;
};

static size_t on_data(char *d, size_t size, size_t n, void *arg)
{
	struct buf *b = arg;
	char *p = realloc(b->p, b->n + size * n + 1);

	if (!p)
		return 0;
	memcpy(p + b->n, d, size * n);
	b->p = p;
	b->n += size * n;
	b->p[b->n] = '\0';
	return size * n;
}

/* GET url from src with a timeout; HTTP status (0: no answer), body in *ret (optional). */
static long http_get(const char *src, const char *url, long timeout_ms, char **ret)
{
	CURL *c = curl_easy_init();
	struct buf b = {};
	char iface[32];
	long status = 0;

	snprintf(iface, sizeof(iface), "host!%s", src);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_INTERFACE, iface);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	if (curl_easy_perform(c) == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_cleanup(c);
	if (ret)
		*ret = b.p;
	else
		free(b.p);
	return status;
}

/* Time until the server closes a connection from src (drip: one byte a second). */
struct probe {
	unsigned port;
	bool drip;
	double closed_after; /* out; < 0: not closed within 40 s */
};

static void *probe(void *arg)
{
	struct probe *p = arg;
	double t0 = now_s();
	int fd = connect_from("127.0.0.4", p->port);

	p->closed_after = -1;
	if (fd < 0)
		return NULL;
	if (p->drip)
		(void)!send(fd, "GET /getCa HTTP/1.1\r\n", 21, MSG_NOSIGNAL);
	while (now_s() - t0 < 40) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		if (poll(&pfd, 1, 1000) > 0 && peer_closed(fd)) {
			p->closed_after = now_s() - t0;
			break;
		}
		if (p->drip)
			(void)!send(fd, "X", 1, MSG_NOSIGNAL);
	}
	close(fd);
	return NULL;
}

/* Lines of the file that contain needle. */
static unsigned count_in_file(const char *path, const char *needle)
{
	_cleanup_free_ char *text = NULL;
	unsigned n = 0;
	size_t len;

	if (read_file_full(path, 64 << 20, &text, &len) < 0)
		return 0;
	for (char *line = text, *end; *line; line = end + 1) {
		end = strchr(line, '\n');
		if (!end)
			end = line + strlen(line) - 1;
		else
			*end = '\0';
		n += strstr(line, needle) != NULL;
		if (!end[1])
			break;
	}
	return n;
}

static void test_slowloris(void)
{
	struct server s = {};
	struct attack a = {};
	struct probe drip = { .drip = true }, idle = { .drip = false };
	pthread_t th, pd, pi;
	const char *e = getenv("RE6ST_ABUSE_SECONDS");
	double seconds = e && atoi(e) > 0 ? atoi(e) : 25, t0, worst = 0;
	unsigned asked = 0, late = 0;
	char url[96];

	if (!CHECK(server_start(&s, "slowloris") == 0, "registry starts"))
		return;
	a.port = drip.port = idle.port = s.port;
	snprintf(url, sizeof(url), "%s/getCa", s.url);
	pthread_create(&th, NULL, attacker, &a);
	pthread_create(&pd, NULL, probe, &drip);
	pthread_create(&pi, NULL, probe, &idle);
	t0 = now_s();
	while (now_s() - t0 < seconds) {
		_cleanup_free_ char *body = NULL;
		double t = now_s(), dt;
		long status = http_get("127.0.0.3", url, 5000, &body);

		dt = now_s() - t;
		asked++;
		worst = dt > worst ? dt : worst;
		if (status != 200 || !body || !strstr(body, "CA") || dt > 2.0) {
			late++;
			CHECK(false, "getCa from 127.0.0.3 under attack: status %ld after %.2f s", status,
			      dt);
		}
		usleep(500000);
	}
	a.stop = true;
	pthread_join(th, NULL);
	pthread_join(pd, NULL);
	pthread_join(pi, NULL);
	printf("slowloris: %u getCa, %u late or failed, worst %.3f s; attacker reconnected %lu"
	       " times\n", asked, late, worst, a.reconnects);
	printf("deadline: drip-feeding connection closed after %.1f s, idle after %.1f s\n",
	       drip.closed_after, idle.closed_after);
	CHECK(asked >= 10 && late == 0, "%u of %u getCa late or unanswered", late, asked);
	CHECK(drip.closed_after > 8 && drip.closed_after < 13,
	      "drip-feeding connection closed after %.1f s (deadline 10 s)", drip.closed_after);
	CHECK(idle.closed_after > 8 && idle.closed_after < 13,
	      "idle connection closed after %.1f s (deadline 10 s)", idle.closed_after);
	server_stop(&s, SIGTERM);
	CHECK(WIFEXITED(s.status) && WEXITSTATUS(s.status) == 0, "exit status 0x%x", s.status);
	{
		unsigned lines = count_in_file(s.log, "127.0.0.2"), sup;
		sup = count_in_file(s.log, "suppressed");
		printf("log: %u lines about 127.0.0.2, %u with a suppressed count\n", lines, sup);
		CHECK(lines <= 10 + (unsigned)(seconds / 6) + 2 && sup >= 1,
		      "%u log lines about the attacker in %.0f s (%u say suppressed)", lines,
		      seconds, sup);
	}
}

/* ---- 10,000 empty arguments ------------------------------------------------ */

static void test_many_args(void)
{
	struct server s = {};
	_cleanup_free_ char *req = NULL;
	size_t len = 0;
	unsigned ok = 0, n = 300;
	char first[64] = "";

	if (!CHECK(server_start(&s, "args") == 0, "registry starts"))
		return;
	req = malloc(64 + 3 * 10000 + 64);
	len = (size_t)sprintf(req, "GET /getCa?a=");
	for (int i = 1; i < 10000; i++) {
		memcpy(req + len, "&a=", 3);
		len += 3;
	}
	len += (size_t)sprintf(req + len, " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
	for (unsigned i = 0; i < n; i++) {
		int fd = connect_from("127.0.0.1", s.port);
		struct pollfd p = { .fd = fd, .events = POLLOUT };
		char resp[64] = "";
		size_t sent = 0;
		double t0 = now_s();

		while (fd >= 0 && sent < len && now_s() - t0 < 2 && poll(&p, 1, 2000) > 0) {
			ssize_t w = send(fd, req + sent, len - sent, MSG_NOSIGNAL);
			if (w <= 0)
				break;
			sent += (size_t)w;
		}
		p.events = POLLIN;
		if (fd >= 0 && poll(&p, 1, 2000) > 0)
			(void)!recv(fd, resp, sizeof(resp) - 1, 0);
		if (fd >= 0)
			close(fd);
		if (!first[0])
			snprintf(first, sizeof(first), "%.*s", (int)strcspn(resp, "\r\n"), resp);
		ok += strncmp(resp, "HTTP/1.1 4", 10) == 0;
	}
	printf("10,000 arguments: %u of %u answered 4xx (%s)\n", ok, n, first);
	CHECK(ok == n, "%u of %u requests with 10,000 arguments answered 4xx; first: '%s'", ok, n,
	      first);
	server_stop(&s, SIGTERM);
	CHECK(WIFEXITED(s.status) && WEXITSTATUS(s.status) == 0,
	      "exit status 0x%x after 300 requests with 10,000 arguments (LeakSanitizer)",
	      s.status);
}

/* ---- registration: rate, idempotency ------------------------------------------ */

/* Anonymous requestCertificate query for k. */
static char *reqcert_url(const struct server *s, const struct re6st_key *k)
{
	uint8_t pop[64], sig[RE6ST_SIG_LEN];
	char pk[RE6ST_KEY_B64LEN], wg[RE6ST_KEY_B64LEN], ss[SIG_STRLEN];
	char *url = NULL, *epk, *ewg;
	CURL *c = curl_easy_init();

	memcpy(pop, k->sign_pk, 32);
	memcpy(pop + 32, k->wg_pk, 32);
	data_sign(k, "requestCertificate", pop, 64, sig);
	epk = curl_easy_escape(c, key32_to_base64(k->sign_pk, pk), 0);
	ewg = curl_easy_escape(c, key32_to_base64(k->wg_pk, wg), 0);
	if (asprintf(&url, "%s/requestCertificate?pk=%s&wg=%s&sig=%s", s->url, epk, ewg,
		     sig_to_string(sig, ss)) < 0)
		url = NULL;
	curl_free(epk);
	curl_free(ewg);
	curl_easy_cleanup(c);
	return url;
}

static void test_registration(void)
{
	struct server s = { .extra = { "--anonymous-prefix-length", "16", "--anonymous-rate", "3",
				       NULL } };
	_cleanup_(registry_client_freep) struct registry_client *c = NULL;
	_cleanup_(key_freep) struct re6st_key *k = NULL;
	struct re6st_cert c1, c2;
	long st[5];

	if (!CHECK(server_start(&s, "anon") == 0, "registry starts"))
		return;
	for (int i = 0; i < 5; i++) {
		_cleanup_(key_freep) struct re6st_key *ki = NULL;
		_cleanup_free_ char *url = NULL;

		key_generate(true, &ki);
		url = reqcert_url(&s, ki);
		st[i] = http_get("127.0.0.5", url, 5000, NULL);
	}
	CHECK(st[0] == 200 && st[1] == 200 && st[2] == 200 && st[3] == 429 && st[4] == 429,
	      "--anonymous-rate 3 from 127.0.0.5: %ld %ld %ld %ld %ld", st[0], st[1], st[2], st[3],
	      st[4]);
	/* Another address has its own allowance; authorized origins have none. */
	{
		_cleanup_(key_freep) struct re6st_key *ki = NULL;
		_cleanup_free_ char *url = NULL;
		long s6;

		key_generate(true, &ki);
		url = reqcert_url(&s, ki);
		s6 = http_get("127.0.0.6", url, 5000, NULL);
		CHECK(s6 == 200, "127.0.0.6 not limited by 127.0.0.5: %ld", s6);
	}
	c = server_client(&s);
	key_generate(true, &k);
	for (int i = 0; i < 4; i++) {
		_cleanup_(key_freep) struct re6st_key *ki = NULL;
		struct re6st_cert ci;
		key_generate(true, &ki);
		CHECK(rc_request_certificate(c, NULL, ki, NULL, &ci, NULL) == 0,
		      "authorized origin not limited: %s", registry_client_error(c));
	}
	/* The same key again: the same certificate, not a second prefix. */
	CHECK(rc_request_certificate(c, NULL, k, "FR,EU", &c1, NULL) == 0, "first: %s",
	      registry_client_error(c));
	CHECK(rc_request_certificate(c, NULL, k, "FR,EU", &c2, NULL) == 0, "retry: %s",
	      registry_client_error(c));
	CHECK(c1.serial == c2.serial && prefix_equal(&c1.node, &c2.node),
	      "retried requestCertificate: serial %llu then %llu",
	      (unsigned long long)c1.serial, (unsigned long long)c2.serial);
	/* Same signing key with another WireGuard key: refused. */
	{
		unsigned status = 0;
		_cleanup_free_ char *body = NULL;
		_cleanup_free_ char *url = NULL;
		k->wg_pk[0] ^= 1;
		url = reqcert_url(&s, k);
		status = (unsigned)http_get("127.0.0.1", url, 5000, &body);
		CHECK(status == 409, "same key, other WireGuard key: %u %s", status,
		      body ? body : "");
	}
	server_stop(&s, SIGTERM);
	CHECK(WIFEXITED(s.status) && WEXITSTATUS(s.status) == 0, "exit status 0x%x", s.status);
}

/* ---- certificate renewal: one rule, no loop -------------------------------- */

/* --token-rate: per requesting address and per mailbox, without case. */
static void test_tokens(void)
{
	struct server s = { .extra = { "--token-rate", "2", NULL } };
	char url[256];
	long st[6];

	if (!CHECK(server_start(&s, "token") == 0, "registry starts"))
		return;
	snprintf(url, sizeof(url), "%s/requestToken?email=a%%40example.org", s.url);
	for (int i = 0; i < 3; i++)
		st[i] = http_get("127.0.0.5", url, 5000, NULL);
	/* a's mailbox has had its 2 (the case does not make it another). */
	snprintf(url, sizeof(url), "%s/requestToken?email=A%%40Example.org", s.url);
	st[3] = http_get("127.0.0.6", url, 5000, NULL);
	snprintf(url, sizeof(url), "%s/requestToken?email=b%%40example.org", s.url);
	st[4] = http_get("127.0.0.6", url, 5000, NULL);
	/* an authorized origin is not limited */
	st[5] = http_get("127.0.0.1", url, 5000, NULL);
	CHECK(st[0] == 204 && st[1] == 204 && st[2] == 429 && st[3] == 429 && st[4] == 204 &&
		      st[5] == 204,
	      "--token-rate 2: 127.0.0.5 to a: %ld %ld %ld, 127.0.0.6 to A: %ld, to b: %ld, "
	      "127.0.0.1 to b: %ld", st[0], st[1], st[2], st[3], st[4], st[5]);
	CHECK(count_in_file(s.mbox, "To: a@example.org") == 2,
	      "2 mails to a in %s: %u", s.mbox, count_in_file(s.mbox, "To: a@example.org"));
	server_stop(&s, SIGTERM);
}

static void test_renewal(void)
{
	struct server s = { .extra = { "--anonymous-prefix-length", "16", "--cert-duration", "1500",
				       NULL } };
	_cleanup_(key_freep) struct re6st_key *k = NULL;
	struct re6st_cert c0, c1, c2, c3;
	int r;

	/* Issued 1000 s ago for 1500 s: in its last third now, renewal due. */
	setenv("RE6ST_REGISTRY_CLOCK_OFFSET", "-1000", 1);
	r = server_start(&s, "renew");
	unsetenv("RE6ST_REGISTRY_CLOCK_OFFSET");
	if (!CHECK(r == 0, "registry starts"))
		return;
	key_generate(true, &k);
	{
		_cleanup_(registry_client_freep) struct registry_client *c = server_client(&s);
		CHECK(rc_request_certificate(c, NULL, k, NULL, &c0, NULL) == 0, "register: %s",
		      registry_client_error(c));
	}
	server_stop(&s, SIGTERM);
	CHECK(cert_renew_due((int64_t)c0.not_before, (int64_t)c0.not_after, (int64_t)time(NULL)),
	      "due by the shared rule");
	if (!CHECK(server_start(&s, "renew") == 0, "registry restarts with the right time"))
		return;
	{
		_cleanup_(registry_client_freep) struct registry_client *c = server_client(&s);
		registry_client_set_identity(c, k, &c0);
		CHECK(rc_renew_certificate(c, &c1, NULL) == 0, "renew when due: %s",
		      registry_client_error(c));
		CHECK(c1.serial != c0.serial && c1.not_after > c0.not_after &&
		      !cert_renew_due((int64_t)c1.not_before, (int64_t)c1.not_after,
				      (int64_t)time(NULL)),
		      "due: a new certificate (serial %llu -> %llu), not due itself",
		      (unsigned long long)c0.serial, (unsigned long long)c1.serial);
		registry_client_set_identity(c, k, &c1);
		CHECK(rc_renew_certificate(c, &c2, NULL) == 0 && c2.serial == c1.serial,
		      "asked again at once: the same certificate (serial %llu)",
		      (unsigned long long)c2.serial);
		CHECK(rc_renew_certificate(c, &c3, NULL) == 0 && c3.serial == c1.serial,
		      "and again: still the same (serial %llu)", (unsigned long long)c3.serial);
	}
	server_stop(&s, SIGTERM);
	CHECK(WIFEXITED(s.status) && WEXITSTATUS(s.status) == 0, "exit status 0x%x", s.status);
}

/* ---- one instance, private files ------------------------------------------ */

static void test_instance_and_modes(void)
{
	struct server s = {}, second = {};
	char dir[128], path[192];
	struct stat st;
	unsigned before, after;

	/* A state directory created 0755 by someone else (systemd) is tightened. */
	snprintf(dir, sizeof(dir), "%s/state", regtest_dir);
	mkdir(dir, 0755);
	chmod(dir, 0755);
	if (!CHECK(server_start(&s, "state/registry") == 0, "registry starts"))
		return;
	CHECK(stat(dir, &st) == 0 && (st.st_mode & 07777) == 0700, "state directory mode %04o",
	      (unsigned)(st.st_mode & 07777));
	for (int i = 0; i < 4; i++) {
		static const char *const suffix[] = { "", "-wal", "-shm", ".lock" };
		snprintf(path, sizeof(path), "%s%s", s.db, suffix[i]);
		CHECK(stat(path, &st) == 0 && (st.st_mode & 07777) == 0600, "%s mode %04o", path,
		      (unsigned)(st.st_mode & 07777));
	}
	/* A second registry on the same database: status 2, first untouched. */
	before = count_in_file(s.log, "");
	second = s;
	second.pid = 0;
	second.port = free_port();
	snprintf(second.log, sizeof(second.log), "%s/second.log", regtest_dir);
	if (CHECK(server_spawn(&second) == 0)) {
		waitpid(second.pid, &second.status, 0);
		second.pid = 0;
	}
	{
		_cleanup_free_ char *text = NULL;
		size_t len;
		read_file_full(second.log, 1 << 20, &text, &len);
		CHECK(WIFEXITED(second.status) && WEXITSTATUS(second.status) == 2 && text &&
		      strstr(text, "another re6st-registry is running"),
		      "second instance: status 0x%x, log: %s", second.status, text ? text : "");
	}
	{
		_cleanup_(registry_client_freep) struct registry_client *c = server_client(&s);
		struct re6st_ca ca;
		CHECK(rc_get_ca(c, &ca) == 0 && !server_exited(&s), "first instance still answers");
	}
	after = count_in_file(s.log, "");
	CHECK(after == before, "first instance's log grew from %u to %u lines", before, after);
	server_stop(&s, SIGTERM);
	CHECK(WIFEXITED(s.status) && WEXITSTATUS(s.status) == 0, "exit status 0x%x", s.status);
	/* Once the first is gone, the database can be opened again. */
	CHECK(server_start(&s, "state/registry") == 0, "restart after the first exited");
	server_stop(&s, SIGTERM);
}

int main(int argc, char **argv)
{
	struct rlimit rl;

	if (argc != 2) {
		fprintf(stderr, "usage: %s PATH/re6st-registry\n", argv[0]);
		return 2;
	}
	/* 1,500 attacking sockets, plus the registry's own. */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < 4096) {
		rl.rlim_cur = rl.rlim_max < 4096 ? rl.rlim_max : 4096;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	if (identity_init() < 0 || regtest_init(argv[1]) < 0) {
		fprintf(stderr, "cannot set up the test network\n");
		return 1;
	}
	curl_global_init(CURL_GLOBAL_DEFAULT);
	test_instance_and_modes();
	test_registration();
	test_tokens();
	test_renewal();
	test_many_args();
	test_slowloris();
	curl_global_cleanup();
	regtest_done(check_failed == 0);
	return check_summary();
}
