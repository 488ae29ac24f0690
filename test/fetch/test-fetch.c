/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The curl-free registry client and its helper: the frame parser, what
 * re6st-fetch accepts, and how the client copes with helpers that are
 * missing, hang, crash, exit badly or write garbage (stand-in helpers
 * written as shell scripts); signature headers go on stdin, not argv; the
 * helper of a freed request is killed and reaped; re6stnet does not link
 * libcurl. The RPCs themselves run against a real registry in the
 * registry-nocurl test.
 *
 * Usage: test-fetch PATH/re6st-fetch PATH/re6stnet
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fetch-frame.h"
#include "fileio.h"
#include "identity.h"
#include "macro.h"
#include "prefix.h"
#include "registry-client.h"
#include "check.h"

static const char *helper_bin, *re6stnet_bin;
static char tmpdir[] = "/tmp/test-fetch.XXXXXX";

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static int frame(const char *s, size_t len, struct fetch_frame *f)
{
	return fetch_frame_parse(s, len, "Re6st-Answer-Signature", f);
}
#define FRAME(lit, f) frame(lit, sizeof(lit) - 1, f)

static void test_frame(void)
{
	struct fetch_frame f;

	CHECK_EQ(FRAME("STATUS 200 5\nRe6st-Answer-Signature: abc\n\nhello", &f), 0);
	CHECK(f.status == 200 && f.body_len == 5 && memcmp(f.body, "hello", 5) == 0);
	CHECK(f.has_header && strcmp(f.header, "abc") == 0);
	CHECK_EQ(FRAME("STATUS 204 0\n\n", &f), 0);
	CHECK(f.status == 204 && f.body_len == 0 && !f.has_header && !f.failed);
	/* other headers skipped, the name case-insensitive */
	CHECK_EQ(FRAME("STATUS 403 1\nX-Other: 1\nre6st-answer-signature: s\n\nx", &f), 0);
	CHECK(f.has_header && strcmp(f.header, "s") == 0);
	CHECK_EQ(FRAME("ERROR 111 Failed to connect\n", &f), 0);
	CHECK(f.failed && f.err == 111 && strcmp(f.message, "Failed to connect") == 0);

	static const char *const bad[] = {
		"",
		"STATUS 200 5\n\nhell",             /* truncated */
		"STATUS 200 5\n\nhello!",           /* trailing byte */
		"STATUS 200 5\nhello",              /* no blank line */
		"STATUS 99 0\n\n",
		"STATUS 600 0\n\n",
		"STATUS 200 -1\n\n",
		"STATUS +200 0\n\n",
		"STATUS 200 2000000\n\n",           /* larger than the largest body */
		"STATUS 200\n\n",
		"STATUS 200 0 \n\n",
		"STATUS 200 0\nNoColon\n\n",
		"STATUS 200 0\n: value\n\n",
		"STATUS 200 0\nBad Name: v\n\n",
		"STATUS 200 0\nX: a\x01z\n\n",
		"STATUS 200 0\nA: 1\nB: 2\nC: 3\nD: 4\nE: 5\n\n",  /* too many headers */
		"STATUS 200 0\nRe6st-Answer-Signature: a\nRe6st-Answer-Signature: b\n\n",
		"ERROR 0 zero\n",
		"ERROR 5000 too big\n",
		"ERROR 111 \n",
		"ERROR 111 msg\nmore",
		"ERROR 111\n",
		"ERROR 111 bell\a\n",
		"OK 200 0\n\n",
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		CHECK(frame(bad[i], strlen(bad[i]), &f) == -EBADMSG, "bad frame %zu accepted", i);
	CHECK(fetch_frame_parse(NULL, 0, NULL, &f) == -EBADMSG);
	/* a body with NUL bytes and newlines is fine */
	CHECK_EQ(FRAME("STATUS 200 3\n\na\0\n", &f), 0);
	CHECK(f.body_len == 3 && f.body[1] == '\0');
}

/* Run re6st-fetch with args, stdin_text on its stdin; exit status, output in out. */
static int run_helper(const char *const *args, const char *stdin_text, char *out, size_t size)
{
	char in_path[128], out_path[128];
	const char *argv[16];
	size_t n = 0;
	int status;
	pid_t pid;

	snprintf(in_path, sizeof(in_path), "%s/stdin", tmpdir);
	snprintf(out_path, sizeof(out_path), "%s/stdout", tmpdir);
	if (write_file_atomic(in_path, stdin_text, strlen(stdin_text), 0600) < 0)
		return -1;
	argv[n++] = helper_bin;
	for (; *args; args++)
		argv[n++] = *args;
	argv[n] = NULL;
	pid = fork();
	if (pid == 0) {
		if (!freopen(in_path, "r", stdin) || !freopen(out_path, "w", stdout) ||
		    !freopen("/dev/null", "w", stderr))
			_exit(126);
		execv(helper_bin, (char *const *)argv);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	_cleanup_free_ char *text = NULL;
	size_t len = 0;
	out[0] = '\0';
	if (read_file_full(out_path, 1 << 20, &text, &len) == 0)
		snprintf(out, size, "%.*s", (int)len, text);
	return WEXITSTATUS(status);
}

static unsigned closed_port(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t l = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	bind(fd, (struct sockaddr *)&a, sizeof(a));
	getsockname(fd, (struct sockaddr *)&a, &l);
	close(fd);
	return ntohs(a.sin_port);
}

static void test_helper_args(void)
{
	char out[4096], url[64];

	snprintf(url, sizeof(url), "http://127.0.0.1:%u/getCa", closed_port());
	CHECK_EQ(run_helper((const char *[]){ NULL }, "", out, sizeof(out)), 2);
	CHECK_EQ(run_helper((const char *[]){ "ftp://x/", NULL }, "", out, sizeof(out)), 2);
	CHECK_EQ(run_helper((const char *[]){ "http://a b/", NULL }, "", out, sizeof(out)), 2);
	CHECK_EQ(run_helper((const char *[]){ url, url, NULL }, "", out, sizeof(out)), 2);
	CHECK_EQ(run_helper((const char *[]){ "--timeout-ms", "0", url, NULL }, "", out,
			    sizeof(out)), 2);
	CHECK_EQ(run_helper((const char *[]){ "--timeout-ms", "12x", url, NULL }, "", out,
			    sizeof(out)), 2);
	CHECK_EQ(run_helper((const char *[]){ "--bogus", url, NULL }, "", out, sizeof(out)), 2);
	CHECK_EQ(run_helper((const char *[]){ "--user-agent", "a\tb", url, NULL }, "", out,
			    sizeof(out)), 2);
	static const char *const bad_headers[] = {
		"NoColon\n", "X:nospace\n", "Bad Name: v\n", "X: a\x01\n", "X: no newline",
		": v\n",
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad_headers); i++)
		CHECK(run_helper((const char *[]){ "--stdin-headers", url, NULL }, bad_headers[i], out,
				 sizeof(out)) == 2, "bad header %zu accepted", i);
	char many[1024] = "";
	for (int i = 0; i < 17; i++)
		strcat(many, "X-A: b\n");
	CHECK_EQ(run_helper((const char *[]){ "--stdin-headers", url, NULL }, many, out,
			    sizeof(out)), 2);
	/* well-formed, nobody listening: an ERROR frame, exit 0 */
	CHECK_EQ(run_helper((const char *[]){ "--stdin-headers", "--timeout-ms", "3000", "--",
					      url, NULL },
			    "X-A: b\nX-B: c d\n", out, sizeof(out)), 0);
	CHECK(strncmp(out, "ERROR 111 ", 10) == 0, "%s", out);
}

/* A stand-in helper: a shell script with this body. */
static char *fake_helper(const char *name, const char *body)
{
	char *path = NULL, *text = NULL;

	if (asprintf(&path, "%s/%s", tmpdir, name) < 0 ||
	    asprintf(&text, "#!/bin/sh\n%s\n", body) < 0 ||
	    write_file_atomic(path, text, strlen(text), 0755) < 0)
		abort();
	free(text);
	return path;
}

static struct registry_client *client_with(const char *helper, long timeout_ms)
{
	struct registry_client_options o = { .timeout_ms = timeout_ms, .retries = 0,
					     .fetch_helper = helper };
	struct registry_client *c = NULL;

	if (registry_client_new("http://127.0.0.1:1", &o, &c) < 0)
		abort();
	return c;
}

static pid_t pid_from(const char *path)
{
	_cleanup_free_ char *text = NULL;
	size_t len;

	for (int i = 0; i < 100; i++) {
		if (read_file_full(path, 64, &text, &len) == 0 && len && text[len - 1] == '\n')
			return (pid_t)atol(text);
		free(TAKE_PTR(text));
		usleep(20000);
	}
	return -1;
}

static void test_bad_helpers(void)
{
	struct re6st_ca ca;
	char pidfile[128], cmd[256];
	int r;

	{
		_cleanup_(registry_client_freep) struct registry_client *c =
			client_with("/nonexistent/re6st-fetch", 1000);
		CHECK_EQ(rc_get_ca(c, &ca), -ENOEXEC);
		CHECK(strstr(registry_client_error(c), "cannot run /nonexistent/re6st-fetch: "),
		      "%s", registry_client_error(c));
	}
	{
		_cleanup_free_ char *h = fake_helper("crash", "kill -SEGV $$");
		_cleanup_(registry_client_freep) struct registry_client *c = client_with(h, 1000);
		CHECK_EQ(rc_get_ca(c, &ca), -EIO);
		CHECK(strstr(registry_client_error(c), "killed by signal 11"), "%s",
		      registry_client_error(c));
	}
	{
		_cleanup_free_ char *h = fake_helper("exit3", "exit 3");
		_cleanup_(registry_client_freep) struct registry_client *c = client_with(h, 1000);
		CHECK_EQ(rc_get_ca(c, &ca), -EIO);
		CHECK(strstr(registry_client_error(c), "exited with status 3"), "%s",
		      registry_client_error(c));
	}
	{
		_cleanup_free_ char *h = fake_helper("garbage", "echo hello");
		_cleanup_(registry_client_freep) struct registry_client *c = client_with(h, 1000);
		CHECK_EQ(rc_get_ca(c, &ca), -EIO);
		CHECK(strstr(registry_client_error(c), "malformed output"), "%s",
		      registry_client_error(c));
	}
	{
		_cleanup_free_ char *h = fake_helper("refused", "printf 'ERROR 111 nobody there\\n'");
		_cleanup_(registry_client_freep) struct registry_client *c = client_with(h, 1000);
		CHECK_EQ(rc_get_ca(c, &ca), -ECONNREFUSED);
		CHECK(strstr(registry_client_error(c), "nobody there"), "%s",
		      registry_client_error(c));
	}
	{
		/* An errno the client does not expect from a transfer: an I/O error. */
		_cleanup_free_ char *h = fake_helper("enoent", "printf 'ERROR 2 odd\\n'");
		_cleanup_(registry_client_freep) struct registry_client *c = client_with(h, 1000);
		CHECK_EQ(rc_get_ca(c, &ca), -EIO);
	}
	{
		_cleanup_free_ char *h = fake_helper("notfound", "printf 'STATUS 404 9\\n\\nno such x'");
		_cleanup_(registry_client_freep) struct registry_client *c = client_with(h, 1000);
		CHECK_EQ(rc_get_ca(c, &ca), -ENOENT);
		CHECK(strstr(registry_client_error(c), "HTTP 404: no such x"), "%s",
		      registry_client_error(c));
	}
	{
		/* Hung: killed 2 s past the 300 ms timeout, and reaped. */
		snprintf(pidfile, sizeof(pidfile), "%s/hung.pid", tmpdir);
		snprintf(cmd, sizeof(cmd), "echo $$ > %s; exec sleep 30", pidfile);
		_cleanup_free_ char *h = fake_helper("hung", cmd);
		_cleanup_(registry_client_freep) struct registry_client *c = client_with(h, 300);
		uint64_t t0 = mono_ms();
		r = rc_get_ca(c, &ca);
		uint64_t took = mono_ms() - t0;
		CHECK_EQ(r, -ETIMEDOUT);
		CHECK(took >= 2200 && took < 4000, "hung helper gave up after %llu ms",
		      (unsigned long long)took);
		CHECK(strstr(registry_client_error(c), "killed"), "%s", registry_client_error(c));
		pid_t pid = pid_from(pidfile);
		CHECK(pid > 0 && kill(pid, 0) < 0 && errno == ESRCH, "hung helper %d still there",
		      (int)pid);
	}
}

/* Signed requests: the signature headers reach the helper on stdin, not argv. */
static void test_signed_headers(void)
{
	_cleanup_(key_freep) struct re6st_key *ca_key = NULL, *k = NULL;
	struct re6st_prefix net;
	struct re6st_ca ca;
	struct re6st_cert cert = { .subject_serial = 7, .serial = 1 };
	char cmd[512], argv_path[128], stdin_path[128];
	_cleanup_free_ char *args = NULL, *in = NULL;
	size_t len;
	uint64_t now = (uint64_t)time(NULL);

	if (prefix_parse("2001:db8:42::/48", &net) < 0 || key_generate(false, &ca_key) < 0 ||
	    ca_create(&net, ca_key, now - 100, &ca) < 0 || key_generate(true, &k) < 0 ||
	    prefix_parse("2001:db8:42:1::/64", &cert.node) < 0)
		abort();
	memcpy(cert.sign_pk, k->sign_pk, 32);
	memcpy(cert.wg_pk, k->wg_pk, 32);
	cert.not_before = now - 10;
	cert.not_after = now + 86400;
	if (cert_sign(&cert, &ca, ca_key) < 0)
		abort();
	snprintf(argv_path, sizeof(argv_path), "%s/argv", tmpdir);
	snprintf(stdin_path, sizeof(stdin_path), "%s/stdin-seen", tmpdir);
	snprintf(cmd, sizeof(cmd), "echo \"$@\" > %s; cat > %s; printf 'STATUS 200 0\\n\\n'",
		 argv_path, stdin_path);
	_cleanup_free_ char *h = fake_helper("recorder", cmd);
	_cleanup_(registry_client_freep) struct registry_client *c = client_with(h, 1000);
	registry_client_set_ca(c, &ca);
	registry_client_set_identity(c, k, &cert);
	/* The stand-in answers unsigned: refused, after the helper saw the request. */
	CHECK_EQ(rc_announce(c, "127.0.0.1,1,wg", NULL), -EKEYREJECTED);
	CHECK(read_file_full(argv_path, 1 << 16, &args, &len) == 0);
	CHECK(read_file_full(stdin_path, 1 << 16, &in, &len) == 0);
	CHECK(args && !strstr(args, "Re6st-") && strstr(args, "--stdin-headers") &&
	      strstr(args, "/announce?endpoints=127.0.0.1%2C1%2Cwg"), "argv: %s", args);
	CHECK(in && strstr(in, "Re6st-Cert: ") && strstr(in, "\nRe6st-Signature: "), "stdin: %s",
	      in);
}

/* The non-blocking calls: one fd to poll; a freed request's helper is gone. */
static void test_async(void)
{
	char pidfile[128], cmd[256];
	struct re6st_ca ca = {};
	struct pollfd fds[4];
	size_t n = 0;
	int timeout = -2, r;

	snprintf(pidfile, sizeof(pidfile), "%s/async.pid", tmpdir);
	snprintf(cmd, sizeof(cmd), "echo $$ > %s; exec sleep 30", pidfile);
	_cleanup_free_ char *hung = fake_helper("async-hung", cmd);
	_cleanup_free_ char *nf = fake_helper("async-404", "sleep 0.2; printf 'STATUS 404 0\\n\\n'");
	{
		_cleanup_(registry_client_freep) struct registry_client *c = client_with(hung, 5000);
		struct rc_async *x = NULL;
		registry_client_set_ca(c, &ca);
		CHECK_EQ(rc_async_get_network_config(c, &x), 0);
		CHECK_EQ(rc_async_fds(x, fds, ARRAY_SIZE(fds), &n, &timeout), 0);
		CHECK(n == 1 && fds[0].events == POLLIN && timeout > 4000 && timeout <= 5000,
		      "n %zu timeout %d", n, timeout);
		CHECK_EQ(rc_async_fds(x, fds, 0, &n, &timeout), -ENOBUFS);
		CHECK_EQ(rc_async_process(x), 0);
		pid_t pid = pid_from(pidfile);
		CHECK(pid > 0 && kill(pid, 0) == 0);
		rc_async_free(x);
		CHECK(kill(pid, 0) < 0 && errno == ESRCH, "freed request's helper %d still there",
		      (int)pid);
	}
	{
		_cleanup_(registry_client_freep) struct registry_client *c = client_with(nf, 5000);
		_cleanup_(rc_async_freep) struct rc_async *x = NULL;
		struct re6st_netconf *nc = NULL;
		uint64_t t0 = mono_ms();
		registry_client_set_ca(c, &ca);
		CHECK_EQ(rc_async_get_network_config(c, &x), 0);
		while ((r = rc_async_process(x)) == 0 && mono_ms() - t0 < 5000) {
			CHECK_EQ(rc_async_fds(x, fds, ARRAY_SIZE(fds), &n, &timeout), 0);
			poll(fds, n, timeout);
		}
		CHECK_EQ(r, 1);
		CHECK_EQ(rc_async_network_config_result(x, &nc, NULL, NULL), -ENOENT);
		CHECK(strstr(rc_async_error(x), "HTTP 404"), "%s", rc_async_error(x));
	}
}

/* libcurl (and what it loads) must stay out of the daemon. */
static void test_no_curl_in_daemon(void)
{
	char cmd[512], line[512];
	bool curl = false, sodium = false;
	FILE *p;

	snprintf(cmd, sizeof(cmd), "ldd '%s'", re6stnet_bin);
	p = popen(cmd, "r");
	CHECK(p);
	if (!p)
		return;
	while (fgets(line, sizeof(line), p)) {
		curl |= strstr(line, "libcurl") != NULL;
		sodium |= strstr(line, "libsodium") != NULL;
	}
	CHECK(pclose(p) == 0);
	CHECK(sodium, "ldd %s lists no libsodium: not the daemon?", re6stnet_bin);
	CHECK(!curl, "%s links libcurl", re6stnet_bin);
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: test-fetch PATH/re6st-fetch PATH/re6stnet\n");
		return 2;
	}
	helper_bin = argv[1];
	re6stnet_bin = argv[2];
	signal(SIGPIPE, SIG_IGN);
	if (!mkdtemp(tmpdir) || sodium_init() < 0)
		return 2;
	test_frame();
	test_helper_args();
	test_bad_helpers();
	test_signed_headers();
	test_async();
	test_no_curl_in_daemon();
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", tmpdir);
	return check_summary();
}
