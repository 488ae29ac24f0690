/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The re6st-fetch transport (see transport.h): each transfer runs in a
 * helper process linked with libcurl, so that the caller's address space
 * holds neither libcurl nor its TLS, HTTP/2, LDAP, SSH... libraries (they
 * were two thirds of re6stnet's resident memory, for a request every few
 * minutes). The helper gets the URL and options on argv, the request
 * headers on stdin (nothing on argv that ps should not show), and answers
 * with one frame on stdout (fetch-frame.h).
 */
#include "transport.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "fetch-frame.h"
#include "macro.h"

/* Past the transfer's own timeout: process start and exit, a helper ignoring it. */
#define HELPER_SLACK_MS 2000
/* Headers go through a pipe written before the helper runs: one page fits in any pipe. */
#define MAX_HEADERS_LEN 4096

void rc_response_clear(struct rc_response *a)
{
	free(a->body);
	*a = (struct rc_response){};
}

struct rc_transfer {
	char helper[PATH_MAX];
	pid_t pid;          /* > 0 until reaped */
	int fd;             /* the helper's stdout; -1 after end of file */
	int wstatus;        /* once reaped */
	char *buf;
	size_t len, cap;
	long timeout_ms;
	uint64_t due_ms;        /* the helper should have answered by then */
	uint64_t deadline_ms;   /* ... and is killed then */
	bool done;
	int error;          /* set with err when the transfer failed on this side */
	char err[RC_ERRLEN];
};

int rc_transport_init(void)
{
	return 0;
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/*
 * The helper: given, else $RE6ST_FETCH_HELPER, else next to the running
 * program (the build tree: daemon/re6stnet and daemon/re6st-fetch), else
 * the installed one.
 */
static int find_helper(const char *given, char ret[PATH_MAX])
{
	const char *env = getenv("RE6ST_FETCH_HELPER");
	char exe[PATH_MAX];
	ssize_t n;

	if (!given && env && env[0])
		given = env;
	if (given) {
		if (strlen(given) >= PATH_MAX)
			return -ENAMETOOLONG;
		strcpy(ret, given);
		return 0;
	}
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		exe[n] = '\0';
		char *slash = strrchr(exe, '/');
		if (slash && (size_t)(slash - exe) + sizeof("/re6st-fetch") <= PATH_MAX) {
			strcpy(slash, "/re6st-fetch");
			if (access(exe, X_OK) == 0) {
				strcpy(ret, exe);
				return 0;
			}
		}
	}
	snprintf(ret, PATH_MAX, "%s", RE6ST_FETCH_PATH);
	return 0;
}

static void reap(struct rc_transfer *t, bool kill_it)
{
	if (t->pid <= 0)
		return;
	if (kill_it)
		kill(t->pid, SIGKILL);
	for (;;) {
		pid_t p = waitpid(t->pid, &t->wstatus, 0);
		if (p >= 0 || errno != EINTR)
			break;
	}
	t->pid = 0;
}

void rc_transfer_free(struct rc_transfer *t)
{
	if (!t)
		return;
	reap(t, true);
	if (t->fd >= 0)
		close(t->fd);
	free(t->buf);
	free(t);
}
DEFINE_FREEP(struct rc_transfer, rc_transfer_free)

static int fail(struct rc_transfer *t, int r, bool kill_it, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int fail(struct rc_transfer *t, int r, bool kill_it, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(t->err, sizeof(t->err), fmt, ap);
	va_end(ap);
	t->error = r;
	t->done = true;
	reap(t, kill_it);
	return 1;
}

/* The request headers as stdin text, one per line. */
static int headers_text(const struct rc_request *req, char *buf, size_t size, size_t *ret_len)
{
	size_t len = 0;

	for (size_t i = 0; i < req->n_headers; i++) {
		size_t n = strlen(req->headers[i]);
		if (strpbrk(req->headers[i], "\r\n"))
			return -EINVAL;
		if (len + n + 1 > size)
			return -E2BIG;
		memcpy(buf + len, req->headers[i], n);
		buf[len + n] = '\n';
		len += n + 1;
	}
	*ret_len = len;
	return 0;
}

static int spawn_helper(struct rc_transfer *t, const struct rc_request *req, int in_fd,
			int out_fd)
{
	extern char **environ;
	char timeout[32];
	const char *argv[16];
	size_t n = 0;
	posix_spawnattr_t attr;
	posix_spawn_file_actions_t fa;
	sigset_t empty, all;
	int r;

	snprintf(timeout, sizeof(timeout), "%ld", req->timeout_ms);
	argv[n++] = t->helper;
	argv[n++] = "--timeout-ms";
	argv[n++] = timeout;
	argv[n++] = "--stdin-headers";
	if (req->user_agent) {
		argv[n++] = "--user-agent";
		argv[n++] = req->user_agent;
	}
	if (req->cainfo) {
		argv[n++] = "--cainfo";
		argv[n++] = req->cainfo;
	}
	argv[n++] = "--";
	argv[n++] = req->url;
	argv[n] = NULL;

	r = posix_spawnattr_init(&attr);
	if (r)
		return -r;
	r = posix_spawn_file_actions_init(&fa);
	if (r) {
		posix_spawnattr_destroy(&attr);
		return -r;
	}
	/* The caller's loop blocks signals (signalfd): the helper must not inherit that. */
	sigemptyset(&empty);
	sigfillset(&all);
	posix_spawnattr_setsigmask(&attr, &empty);
	posix_spawnattr_setsigdefault(&attr, &all);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
	posix_spawn_file_actions_adddup2(&fa, in_fd, 0);
	posix_spawn_file_actions_adddup2(&fa, out_fd, 1);
	r = posix_spawn(&t->pid, t->helper, &fa, &attr, (char *const *)argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	if (r) {
		t->pid = 0;
		return -r;
	}
	return 0;
}

int rc_transfer_start(const struct rc_request *req, struct rc_transfer **ret,
		      char err[RC_ERRLEN])
{
	_cleanup_(rc_transfer_freep) struct rc_transfer *t = calloc(1, sizeof(*t));
	_cleanup_close_ int in_r = -1, in_w = -1, out_w = -1;
	char hdrs[MAX_HEADERS_LEN];
	int in[2], out[2];
	size_t hlen = 0;
	int r;

	if (!t)
		return -ENOMEM;
	t->fd = -1;
	t->timeout_ms = req->timeout_ms;
	r = find_helper(req->helper, t->helper);
	if (r < 0) {
		snprintf(err, RC_ERRLEN, "re6st-fetch: path too long");
		return -ENOEXEC;
	}
	r = headers_text(req, hdrs, sizeof(hdrs), &hlen);
	if (r < 0) {
		snprintf(err, RC_ERRLEN, "request headers %s",
			 r == -E2BIG ? "too long" : "with line breaks");
		return -EINVAL;
	}
	if (pipe2(in, O_CLOEXEC) < 0)
		return -errno;
	in_r = in[0], in_w = in[1];
	if (pipe2(out, O_CLOEXEC) < 0)
		return -errno;
	t->fd = out[0], out_w = out[1];
	if (hlen && write(in_w, hdrs, hlen) != (ssize_t)hlen)
		return errno ? -errno : -EIO;
	close(TAKE_FD(in_w));
	r = spawn_helper(t, req, in_r, out_w);
	if (r < 0) {
		snprintf(err, RC_ERRLEN, "cannot run %.256s: %s", t->helper, strerror(-r));
		return -ENOEXEC;
	}
	if (fcntl(t->fd, F_SETFL, O_NONBLOCK) < 0)
		return -errno;
	t->due_ms = now_ms() + (uint64_t)MAX(req->timeout_ms, 0L);
	t->deadline_ms = t->due_ms + HELPER_SLACK_MS;
	*ret = TAKE_PTR(t);
	return 0;
}

int rc_transfer_fds(struct rc_transfer *t, struct pollfd *fds, size_t max, size_t *ret_n,
		    int *ret_timeout_ms)
{
	uint64_t now = now_ms();
	/* Wake up when the answer is due, then now and then until the kill. */
	uint64_t until = t->due_ms > now ? t->due_ms : MIN(t->deadline_ms, now + 100);
	int left = until > now ? (int)MIN(until - now, 60000u) : 0;

	if (t->done) {
		*ret_n = 0;
		*ret_timeout_ms = 0;
		return 0;
	}
	if (t->fd >= 0) {
		if (max < 1)
			return -ENOBUFS;
		fds[0] = (struct pollfd){ .fd = t->fd, .events = POLLIN };
		*ret_n = 1;
		*ret_timeout_ms = left;
		return 0;
	}
	/* Output closed, the helper not reaped yet: it is exiting. */
	*ret_n = 0;
	*ret_timeout_ms = MIN(left, 10);
	return 0;
}

/* Read what the helper wrote so far; 0 at end of file or when nothing is left. */
static int drain(struct rc_transfer *t)
{
	for (;;) {
		if (t->cap - t->len < 4096) {
			size_t cap = t->cap ? t->cap * 2 : 8192;
			char *b = realloc(t->buf, cap);
			if (!b)
				return -ENOMEM;
			t->buf = b;
			t->cap = cap;
		}
		ssize_t n = read(t->fd, t->buf + t->len, t->cap - t->len);
		if (n > 0) {
			t->len += (size_t)n;
			if (t->len > FETCH_MAX_FRAME)
				return -EBADMSG;
			continue;
		}
		if (n == 0) {
			close(TAKE_FD(t->fd));
			return 0;
		}
		if (errno == EINTR)
			continue;
		return errno == EAGAIN ? 0 : -errno;
	}
}

int rc_transfer_process(struct rc_transfer *t)
{
	int r;

	if (t->done)
		return 1;
	if (t->fd >= 0) {
		r = drain(t);
		if (r == -EBADMSG)
			return fail(t, r, true, "answer larger than %u bytes", RC_MAX_ANSWER);
		if (r < 0)
			return fail(t, -EIO, true, "reading from %s: %s", t->helper, strerror(-r));
	}
	if (t->fd < 0) {
		pid_t p = waitpid(t->pid, &t->wstatus, WNOHANG);
		if (p == t->pid || (p < 0 && errno == ECHILD)) {
			/* ECHILD: SIGCHLD ignored, reaped by the kernel; the frame says enough. */
			if (p < 0)
				t->wstatus = 0;
			t->pid = 0;
			t->done = true;
			return 1;
		}
	}
	if (now_ms() >= t->deadline_ms)
		return fail(t, -ETIMEDOUT, true, "%s gave no answer within %ld ms, killed", t->helper,
			    t->timeout_ms + HELPER_SLACK_MS);
	return 0;
}

/* The errors a helper may report; anything else is an I/O error. */
static int helper_errno(int e)
{
	switch (e) {
	case ECONNREFUSED:
	case ETIMEDOUT:
	case EHOSTUNREACH:
	case ENOMEM:
	case EBADMSG:
		return -e;
	default:
		return -EIO;
	}
}

int rc_transfer_result(struct rc_transfer *t, struct rc_response *ret, char err[RC_ERRLEN])
{
	struct fetch_frame f;
	char *body;

	if (!t->done)
		return -EAGAIN;
	if (t->error) {
		snprintf(err, RC_ERRLEN, "%s", t->err);
		return t->error;
	}
	if (WIFSIGNALED(t->wstatus)) {
		snprintf(err, RC_ERRLEN, "%.256s killed by signal %d", t->helper, WTERMSIG(t->wstatus));
		return -EIO;
	}
	if (WIFEXITED(t->wstatus) && WEXITSTATUS(t->wstatus) != 0) {
		snprintf(err, RC_ERRLEN, "%.256s exited with status %d", t->helper,
			 WEXITSTATUS(t->wstatus));
		return -EIO;
	}
	if (fetch_frame_parse(t->buf, t->len, RC_SIGNATURE_HEADER, &f) < 0) {
		snprintf(err, RC_ERRLEN, "malformed output from %.256s (%zu bytes)", t->helper, t->len);
		return -EIO;
	}
	if (f.failed) {
		snprintf(err, RC_ERRLEN, "%s", f.message);
		return helper_errno(f.err);
	}
	body = malloc(f.body_len + 1);
	if (!body)
		return -ENOMEM;
	memcpy(body, f.body, f.body_len);
	body[f.body_len] = '\0';
	*ret = (struct rc_response){ .status = f.status, .body = body, .len = f.body_len };
	ret->has_signature = f.has_header && strlen(f.header) < sizeof(ret->signature);
	if (ret->has_signature)
		strcpy(ret->signature, f.header);
	return 0;
}

int rc_transport_perform(const struct rc_request *req, struct rc_response *ret,
			 char err[RC_ERRLEN])
{
	_cleanup_(rc_transfer_freep) struct rc_transfer *t = NULL;
	int r = rc_transfer_start(req, &t, err);

	if (r < 0)
		return r;
	while ((r = rc_transfer_process(t)) == 0) {
		struct pollfd p[1];
		size_t n;
		int ms;

		r = rc_transfer_fds(t, p, 1, &n, &ms);
		if (r < 0)
			return r;
		if (poll(p, n, ms) < 0 && errno != EINTR)
			return -errno;
	}
	return rc_transfer_result(t, ret, err);
}
