/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "babel-output.h"
#include "log.h"

struct babel_output {
	struct loop *loop;
	int fd;               /* read end, or -1 */
	struct loop_io *io;
	char buf[BABEL_OUTPUT_LINE_MAX];
	size_t len;
	bool skipping;        /* the rest of a line that was cut */
	uint64_t window_start;
	unsigned lines, dropped;
};

int babel_output_level(const char *line)
{
	static const char *const words[] = {
		"error", "couldn't", "could not", "cannot", "can't", "failed", "failure",
		"warning", "invalid", "unknown", "refus", "denied", "too many", "overflow",
	};
	for (size_t i = 0; i < ARRAY_SIZE(words); i++)
		if (strcasestr(line, words[i]))
			return LOG_WARNING;
	/* babeld reports failed system calls with perror(): "what: strerror"
	 * (Linux's errno values end at EHWPOISON, 133). */
	const char *colon = strrchr(line, ':');
	if (colon && colon[1] == ' ')
		for (int e = 1; e <= EHWPOISON; e++)
			if (!strcmp(colon + 2, strerror(e)))
				return LOG_WARNING;
	return LOG_INFO;
}

static void report_dropped(struct babel_output *o)
{
	if (o->dropped)
		log_warning("babeld: %u lines not logged (over %d per %d s)", o->dropped,
			    BABEL_OUTPUT_BURST, BABEL_OUTPUT_WINDOW_MS / 1000);
	o->dropped = 0;
}

static void emit(struct babel_output *o, char *line)
{
	uint64_t now = loop_clock_ms();
	if (!*line)
		return;
	if (!o->window_start || now - o->window_start >= BABEL_OUTPUT_WINDOW_MS) {
		report_dropped(o);
		o->window_start = now;
		o->lines = 0;
	}
	int level = babel_output_level(line);
	if (level > log_get_level())
		return; /* not logged anyway: uses none of the budget */
	if (o->lines >= BABEL_OUTPUT_BURST) {
		o->dropped++;
		return;
	}
	o->lines++;
	for (char *p = line; *p; p++)
		if ((unsigned char)*p < ' ' || *p == 0x7f)
			*p = '?';
	log_msg(level, "babeld: %s", line);
}

/* Log the complete lines in buf; at EOF, the partial one too. */
static void drain_lines(struct babel_output *o, bool eof)
{
	size_t start = 0;
	for (;;) {
		char *nl = memchr(o->buf + start, '\n', o->len - start);
		if (!nl)
			break;
		*nl = '\0';
		if (!o->skipping)
			emit(o, o->buf + start);
		o->skipping = false;
		start = (size_t)(nl - o->buf) + 1;
	}
	memmove(o->buf, o->buf + start, o->len - start);
	o->len -= start;
	if (o->len == sizeof(o->buf) - 1 || (eof && o->len)) {
		o->buf[o->len] = '\0';
		if (!o->skipping)
			emit(o, o->buf);
		o->skipping = !eof;
		o->len = 0;
	}
}

static void close_pipe(struct babel_output *o)
{
	loop_io_remove(o->io);
	o->io = NULL;
	if (o->fd >= 0)
		close(o->fd);
	o->fd = -1;
	drain_lines(o, true);
	o->skipping = false;
}

/* Read once: 1 read something, 0 nothing there now, -1 EOF or error. */
static int read_some(struct babel_output *o)
{
	ssize_t n = read(o->fd, o->buf + o->len, sizeof(o->buf) - 1 - o->len);
	if (n < 0)
		return errno == EINTR ? 1 : errno == EAGAIN ? 0 : -1;
	if (n == 0)
		return -1;
	o->len += (size_t)n;
	drain_lines(o, false);
	return 1;
}

static void on_io(struct loop *l, int fd, short revents, void *userdata)
{
	struct babel_output *o = userdata;
	if (read_some(o) < 0)
		close_pipe(o);
}

/* Log what the pipe still holds (bounded), then close it. */
static void flush_pipe(struct babel_output *o)
{
	for (int i = 0; i < 64 && read_some(o) > 0; i++)
		;
	close_pipe(o);
}

int babel_output_pipe(struct babel_output *o, int *ret_fd)
{
	int p[2];
	/* What the previous babeld wrote before it went. */
	if (o->fd >= 0)
		flush_pipe(o);
	/* Both ends non-blocking: a babeld writing faster than the loop reads
	 * loses lines (dropped here anyway) instead of stalling its routing. */
	if (pipe2(p, O_CLOEXEC | O_NONBLOCK) < 0)
		return negative_errno();
	int r = loop_add_io(o->loop, p[0], POLLIN, on_io, o, &o->io);
	if (r < 0) {
		close(p[0]);
		close(p[1]);
		return r;
	}
	o->fd = p[0];
	*ret_fd = p[1];
	return 0;
}

int babel_output_new(struct loop *l, struct babel_output **ret)
{
	struct babel_output *o = calloc(1, sizeof(*o));
	if (!o)
		return -ENOMEM;
	o->loop = l;
	o->fd = -1;
	*ret = o;
	return 0;
}

void babel_output_free(struct babel_output *o)
{
	if (!o)
		return;
	if (o->fd >= 0)
		flush_pipe(o);
	report_dropped(o);
	free(o);
}
