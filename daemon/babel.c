/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <fcntl.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "babel.h"
#include "babel-guard.h"
#include "babel-iface.h"
#include "babel-output.h"
#include "babel-tables.h"
#include "babel-vec.h"
#include "config.h"
#include "log.h"
#include "statedir.h"

#define RESTART_MIN_MS 1000
#define RESTART_MAX_MS 30000
#define CONNECT_TIMEOUT_MS 5000
#define RECONNECT_MS 200    /* after babeld shut its local socket on us, */
#define RECONNECT_MAX_MS 5000 /* doubling while it keeps doing so */
#define RECONNECT_TRIES 25  /* failed attempts, then restart babeld */
#define RBUF_SIZE 16384 /* a dump of ~80 lines in one read (~7 KB at 5 tunnels, 6 nodes) */
/* babeld waits at most 100 ms for room in the socket before it gives up on
 * a line (and shuts the socket): a dump is read this soon after it was
 * asked for, in one go; what is not there yet then is read as it comes. */
#define DUMP_READ_MS 50
/* An idle node's dump (tables still, nobody watching, the last dump under
 * DUMP_LAZY_BYTES) is read on the next wake-up the loop has anyway (the
 * tunnel counters', every second at the default dead-after) and within
 * DUMP_LAZY_MS at most: one wake-up a dump instead of two. babeld writes
 * such a dump whole without waiting for room: each line is one write, which
 * takes under 1 KB of its socket's send buffer (208 KB by default). */
#define DUMP_LAZY_MS 1000
#define DUMP_LAZY_BYTES (RBUF_SIZE / 2)

struct pending {
	babel_reply_fn cb;
	void *userdata;
};

DEFINE_VEC(pending_vec, struct pending);

struct babel {
	struct loop *loop;
	char **argv;
	char *socket_path;
	char *pid_path;       /* babeld's -I file, or NULL */
	char *state_path;     /* babeld's -S file, or NULL */
	char *key_path;       /* babeld's -c file (HMAC keys), or NULL */
	size_t id_arg;        /* argv index of the "router-id ..." statement */
	uint8_t router_id[8];
	babel_router_id_fn id_changed;
	void *id_changed_data;
	char *tunnel_options; /* appended to every tunnel interface line */
	bool lan_accept_unsigned; /* the LAN interfaces' accept-bad-signatures */

	pid_t pid;
	struct babel_output *output; /* its stdout and stderr */
	unsigned starts;
	unsigned unparsable;   /* lines not understood since babeld started */
	uint64_t started_at;
	uint64_t backoff;
	struct loop_timer *restart_timer;
	struct loop_timer *reconnect_timer;
	struct loop_timer *dump_timer;  /* the next dump asked for, or read */
	uint64_t dump_ms;      /* between dumps: BABEL_DUMP_MIN_MS while the tables move */
	uint64_t dump_at;      /* the dump timer's time */
	bool dumping;          /* a dump asked for, its "ok" not read yet */
	bool dump_slow;        /* ... and not whole at DUMP_READ_MS: read as it comes */
	uint64_t dump_asked_at; /* when the dump being read was asked for */
	size_t dump_bytes;     /* read since it was asked for */
	size_t dumped_bytes;   /* the last whole dump's size (0: none since connecting) */
	uint64_t dumped_at;    /* when the last whole dump was asked for (0: none yet) */
	unsigned watchers;     /* babel_watch(): dumps every BABEL_DUMP_MIN_MS */
	unsigned connects;     /* local-socket connections made (any babeld) */
	unsigned reconnected;  /* ... of them to a babeld that had shut the socket */
	unsigned reconnects;   /* failed attempts since the socket was lost */
	uint64_t reconnect_ms; /* delay before the next connection */
	uint64_t connected_at;
	char last_line[96];    /* the last line, printable, for logs */

	int fd;
	struct loop_io *io;
	bool ready;
	char my_id[BABEL_ID_LEN];
	char rbuf[RBUF_SIZE];
	size_t rlen;
	char *wbuf;
	size_t wlen, wcap;

	/* Replies awaited, in order. The first two after connecting are the
	 * header's "ok" and the first dump's (internal_oks). */
	struct pending_vec pending;
	unsigned internal_oks;

	struct babel_tables tables;
	struct babel_iface_vec ifaces; /* added at runtime; re-added after a restart */

	struct babel_guard guard; /* routes kept out of the tables, logged */

	babel_change_fn listener;
	void *listener_data;
};

/* ---- tables ---------------------------------------------------------------- */

static void notify(const struct babel_event *ev, void *userdata)
{
	struct babel *b = userdata;
	if (b->listener)
		b->listener(b, ev, b->listener_data);
}

static void arm_dump(struct babel *b, uint64_t at, uint64_t slack)
{
	b->dump_at = at;
	loop_timer_set_slack(b->dump_timer, at, slack);
}

/* A whole dump read: what it no longer listed goes (the listener hears it). */
static void dump_done(struct babel *b)
{
	babel_tables_end(&b->tables, notify, b);
	b->dumped_at = b->dump_asked_at;
	b->dumped_bytes = b->dump_bytes;
}

/* A dump's "ok": what it no longer listed goes; the next dump comes soon
 * while the tables move, less and less often while they do not. */
static void on_dump_end(struct babel *b, int result, const char *msg, void *userdata)
{
	b->dumping = b->dump_slow = false;
	if (result == -ECONNRESET)
		return;
	if (result == 0)
		dump_done(b);
	b->dump_ms = b->tables.moved || b->watchers ? BABEL_DUMP_MIN_MS
				     : MIN(2 * b->dump_ms, (uint64_t)BABEL_DUMP_MAX_MS);
	/* Slack enough to ride on the tunnel counters' wake-ups (every second
	 * at the default dead-after). */
	arm_dump(b, loop_now(b->loop) + b->dump_ms, BABEL_DUMP_MIN_MS / 2);
}

/* ---- connection -------------------------------------------------------------- */

static void disconnect(struct babel *b)
{
	loop_io_remove(b->io);
	b->io = NULL;
	if (b->fd >= 0)
		close(b->fd);
	b->fd = -1;
	b->ready = false;
	b->rlen = b->wlen = 0;
	b->internal_oks = 0;
	/* Fail what was awaited; callbacks may queue new commands. */
	struct pending_vec p = b->pending;
	b->pending = (struct pending_vec){ 0 };
	for (size_t i = 0; i < p.n; i++)
		if (p.v[i].cb)
			p.v[i].cb(b, -ECONNRESET, "babeld went away", p.v[i].userdata);
	free(p.v);
	b->dumping = b->dump_slow = false;
	loop_timer_disarm(b->dump_timer);
	babel_tables_clear(&b->tables);
	b->dumped_at = 0;
	b->dumped_bytes = 0;
}

static int queue_write(struct babel *b, const char *line)
{
	size_t n = strlen(line);
	int r = vec_grow((void **)&b->wbuf, &b->wcap, b->wlen + n + 1, 1);
	if (r < 0)
		return r;
	memcpy(b->wbuf + b->wlen, line, n);
	b->wbuf[b->wlen + n] = '\n';
	b->wlen += n + 1;
	if (b->io)
		loop_io_set_events(b->io, POLLIN | POLLOUT);
	return 0;
}

static void lost_socket(struct babel *b, const char *why);

static void flush_writes(struct babel *b)
{
	while (b->wlen && b->fd >= 0) {
		ssize_t n = send(b->fd, b->wbuf, b->wlen, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				return;
			log_errno(LOG_WARNING, negative_errno(), "babeld socket write");
			lost_socket(b, "cannot write to babeld's local socket");
			return;
		}
		memmove(b->wbuf, b->wbuf + n, b->wlen - (size_t)n);
		b->wlen -= (size_t)n;
	}
	if (b->io)
		loop_io_set_events(b->io, POLLIN);
}

static void handle_line(struct babel *b, const char *line)
{
	struct babel_event ev;
	size_t k = 0;
	for (; line[k] && k < sizeof(b->last_line) - 1; k++)
		b->last_line[k] = line[k] >= ' ' && line[k] < 0x7f ? line[k] : '?';
	b->last_line[k] = '\0';
	if (babel_parse_line(line, &ev) < 0) {
		/* babeld 1.12 prints the freed name of a flushed interface's
		 * neighbours (any bytes, newlines included) until they time out:
		 * say it once per babeld, then at debug level. */
		if (!b->unparsable++)
			log_warning("babeld: unparsable line (further ones at debug level): %.200s",
				    line);
		else
			log_debug("babeld: unparsable line: %.200s", line);
		return;
	}
	switch (ev.type) {
	case BABEL_LINE_OK:
	case BABEL_LINE_NO:
	case BABEL_LINE_BAD:
		if (b->internal_oks) {
			if (--b->internal_oks == 0) {
				dump_done(b); /* the first dump's "ok" */
				b->ready = true;
				log_info("babeld ready (pid %d, router-id %s)", (int)b->pid, b->my_id);
				b->dump_ms = BABEL_DUMP_MIN_MS;
				arm_dump(b, loop_now(b->loop) + b->dump_ms, 0);
			}
			if (ev.type != BABEL_LINE_OK)
				log_warning("babeld refused its dump: %s", ev.msg);
			return;
		}
		if (!b->pending.n) {
			log_warning("babeld: unexpected answer '%s'", line);
			return;
		}
		struct pending p = b->pending.v[0];
		memmove(b->pending.v, b->pending.v + 1, (b->pending.n - 1) * sizeof(*b->pending.v));
		b->pending.n--;
		if (ev.type != BABEL_LINE_OK)
			log_debug("babeld answered '%s'", line);
		if (p.cb)
			p.cb(b, ev.type == BABEL_LINE_OK ? 0 : ev.type == BABEL_LINE_NO ? -ENOENT : -EINVAL,
			     ev.type == BABEL_LINE_NO ? ev.msg : "", p.userdata);
		return;
	case BABEL_LINE_HEADER:
		if (ev.msg[0])
			snprintf(b->my_id, sizeof(b->my_id), "%.*s", (int)sizeof(b->my_id) - 1, ev.msg);
		return;
	default:
		if (ev.type == BABEL_LINE_ROUTE && babel_guard_refuses(&b->guard, &ev, loop_now(b->loop)))
			return;
		if (babel_tables_apply(&b->tables, &ev, notify, b) < 0)
			log_error("babeld: out of memory for its tables");
		return;
	}
}

/* Reads what babeld wrote (the socket is non-blocking) and handles each
 * whole line. */
static void read_lines(struct loop *l, struct babel *b)
{
	ssize_t n = recv(b->fd, b->rbuf + b->rlen, sizeof(b->rbuf) - b->rlen, 0);
	if (n <= 0) {
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		lost_socket(b, "babeld closed its local socket");
		return;
	}
	b->rlen += (size_t)n;
	if (b->dumping)
		b->dump_bytes += (size_t)n;
	size_t start = 0;
	for (;;) {
		char *nl = memchr(b->rbuf + start, '\n', b->rlen - start);
		if (!nl)
			break;
		*nl = '\0';
		handle_line(b, b->rbuf + start);
		if (b->fd < 0)
			return;
		start = (size_t)(nl - b->rbuf) + 1;
	}
	memmove(b->rbuf, b->rbuf + start, b->rlen - start);
	b->rlen -= start;
	if (b->rlen == sizeof(b->rbuf)) {
		log_warning("babeld: line longer than %d bytes, dropped", RBUF_SIZE);
		b->rlen = 0;
	}
	/* Only the answer to a command wakes the loop (queue_write() polls);
	 * a dump is read on its timer, in one go (as it comes when babeld is
	 * slow); a hang-up still wakes us. */
	if ((size_t)n < RBUF_SIZE / 2 && b->ready && b->pending.n == (size_t)b->dumping &&
	    !b->dump_slow && b->io)
		loop_io_set_events(b->io, b->wlen ? POLLOUT : 0);
}

static void on_io(struct loop *l, int fd, short revents, void *userdata)
{
	struct babel *b = userdata;
	if (revents & POLLOUT)
		flush_writes(b);
	if (b->fd >= 0 && (revents & (POLLIN | POLLHUP | POLLERR)))
		read_lines(l, b);
}

/* Ask for a dump, or read the one asked for (until its end). */
static void on_dump(struct loop *l, struct loop_timer *t, void *userdata)
{
	struct babel *b = userdata;
	if (!b->io || b->fd < 0 || !b->ready)
		return;
	if (b->dumping) {
		read_lines(l, b);
		if (b->dumping && b->io) { /* babeld is slow (busy, blocked): its lines wake us */
			b->dump_slow = true;
			loop_io_set_events(b->io, POLLIN | (b->wlen ? POLLOUT : 0));
		}
		return;
	}
	struct pending p = { on_dump_end, NULL };
	if (VEC_PUSH(b->pending, p) < 0 || queue_write(b, "dump") < 0) {
		if (b->pending.n && b->pending.v[b->pending.n - 1].cb == on_dump_end)
			b->pending.n--;
		arm_dump(b, loop_now(l) + b->dump_ms, 0); /* out of memory: later */
		return;
	}
	b->dumping = true;
	b->dump_asked_at = loop_now(l);
	b->dump_bytes = 0;
	babel_tables_begin(&b->tables);
	flush_writes(b);
	if (b->io && b->pending.n == 1)
		loop_io_set_events(b->io, b->wlen ? POLLOUT : 0);
	if (b->dump_ms >= BABEL_DUMP_MAX_MS && !b->watchers && b->dumped_bytes &&
	    b->dumped_bytes <= DUMP_LAZY_BYTES)
		arm_dump(b, loop_now(l) + DUMP_LAZY_MS, DUMP_LAZY_MS - DUMP_READ_MS);
	else
		arm_dump(b, loop_now(l) + DUMP_READ_MS, 0);
}

static int try_connect(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	if (strlen(path) >= sizeof(sun.sun_path))
		return -ENAMETOOLONG;
	strcpy(sun.sun_path, path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return negative_errno();
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		int r = negative_errno();
		close(fd);
		return r;
	}
	return fd;
}

static void on_child_exit(struct loop *l, pid_t pid, int status, void *userdata);
static void kill_babeld(struct babel *b);
static void schedule_restart(struct babel *b);
static void on_restart(struct loop *l, struct loop_timer *t, void *userdata);

/*
 * babeld keeps its sequence number only across a clean exit: it writes it
 * to its state file (-S) then, and removes the file when it starts. Started
 * without it, it picks a random seqno, and peers that remember a newer one
 * for its router-id hold its routes unfeasible until their source entry
 * expires, minutes later (babeld does not even ask for a new seqno when the
 * gap is large). Under a new router-id its routes are a new source, accepted
 * at once. So: keep the router-id while the seqno is saved, change it when
 * it is not (first start, babeld crashed or was killed).
 */
static int pick_router_id(struct babel *b)
{
	if (!b->state_path || access(b->state_path, F_OK) == 0)
		return 0;
	uint8_t id[8];
	char *arg;
	randombytes_buf(id, sizeof(id));
	id[0] = (uint8_t)((id[0] & ~1u) | 2u); /* locally administered, unicast */
	int r = babel_router_id_arg(id, &arg);
	if (r < 0)
		return r;
	free(b->argv[b->id_arg]);
	b->argv[b->id_arg] = arg;
	memcpy(b->router_id, id, sizeof(id));
	log_info("babeld: no saved sequence number (%s missing): new %s", b->state_path, arg);
	if (b->id_changed)
		b->id_changed(b->router_id, b->id_changed_data);
	return 0;
}

/* Spawn babeld and connect to it synchronously. */
/* Monitor babeld over fd (a fresh connection) and re-add every interface. */
static int use_socket(struct babel *b, int fd)
{
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	b->fd = fd;
	b->connects++;
	b->connected_at = loop_clock_ms();
	int r = loop_add_io(b->loop, fd, POLLIN, on_io, b, &b->io);
	if (r < 0)
		return r;
	/* The header ends in "ok", then the first dump ends in "ok". */
	b->internal_oks = 2;
	r = queue_write(b, "dump");
	if (r < 0)
		return r;
	b->dump_asked_at = loop_now(b->loop);
	b->dump_bytes = 0; /* not counted: the next dump is read at once */
	babel_tables_begin(&b->tables);
	for (size_t i = 0; i < b->ifaces.n; i++) {
		struct pending p = { NULL, NULL };
		if ((r = VEC_PUSH(b->pending, p)) < 0 || (r = queue_write(b, b->ifaces.v[i].line)) < 0)
			return r;
	}
	flush_writes(b);
	return 0;
}

static int spawn_and_connect(struct babel *b)
{
	int r;
	loop_timer_disarm(b->reconnect_timer);
	if (b->pid_path)
		babel_stop_stale(b->pid_path);
	/* After babel_stop_stale: a stale babeld stopped cleanly saved its seqno. */
	if ((r = pick_router_id(b)) < 0)
		return r;
	unlink(b->socket_path);
	int out_fd;
	if ((r = babel_output_pipe(b->output, &out_fd)) < 0)
		return r;
	r = loop_spawn_output(b->argv, NULL, out_fd, &b->pid);
	close(out_fd);
	if (r < 0)
		return r;
	b->starts++;
	b->unparsable = 0;
	b->started_at = loop_clock_ms();
	r = loop_watch_child(b->loop, b->pid, on_child_exit, b);
	if (r < 0)
		return r;

	uint64_t deadline = loop_clock_ms() + CONNECT_TIMEOUT_MS;
	int fd = -1;
	while (fd < 0) {
		fd = try_connect(b->socket_path);
		if (fd >= 0)
			break;
		int status;
		if (waitpid(b->pid, &status, WNOHANG) == b->pid) {
			loop_unwatch_child(b->loop, b->pid);
			b->pid = 0;
			return -ECHILD;
		}
		if (loop_clock_ms() > deadline)
			return -ETIMEDOUT;
		struct timespec ts = { 0, 20 * 1000000 };
		nanosleep(&ts, NULL);
	}
	return use_socket(b, fd);
}

/*
 * babeld lives but the connection to it is gone. Seen with Debian's babeld
 * 1.12: it shuts a socket down when a line to it cannot be written
 * within 100 ms, or is longer than its 512-byte buffer (a flushed
 * interface's lingering neighbours are printed with the freed interface's
 * name, any bytes). Without a new connection the node would add no tunnel
 * to babeld again and count no route. So: connect again (the first dump
 * rebuilds the tables, every interface is re-added); babeld and its routes
 * stay. After RECONNECT_TRIES failed attempts babeld is restarted.
 */
static void lost_socket(struct babel *b, const char *why)
{
	disconnect(b);
	if (b->pid <= 0)
		return; /* it died: on_child_exit() restarts it */
	/* A flushed interface's neighbour lingers until it times out, and
	 * babeld shuts every new connection at its line in the dump: back off
	 * while connections do not last. */
	if (loop_clock_ms() - b->connected_at > 4 * RECONNECT_MAX_MS)
		b->reconnect_ms = RECONNECT_MS;
	else
		b->reconnect_ms = MIN(MAX(b->reconnect_ms * 2, (uint64_t)RECONNECT_MS),
				      (uint64_t)RECONNECT_MAX_MS);
	log_warning("%s: connecting again in %llu ms (its last line: %s)", why,
		    (unsigned long long)b->reconnect_ms, b->last_line);
	b->reconnects = 0;
	loop_timer_set_in(b->reconnect_timer, b->reconnect_ms);
}

static void on_reconnect(struct loop *l, struct loop_timer *t, void *userdata)
{
	struct babel *b = userdata;
	if (b->pid <= 0 || b->fd >= 0)
		return;
	int fd = try_connect(b->socket_path);
	int r = fd < 0 ? fd : use_socket(b, fd);
	if (r >= 0) {
		b->reconnected++;
		log_info("babeld: connected again to its local socket (pid %d)", (int)b->pid);
		return;
	}
	disconnect(b);
	if (++b->reconnects < RECONNECT_TRIES) {
		loop_timer_set_in(b->reconnect_timer, RECONNECT_MS);
		return;
	}
	log_errno(LOG_ERR, r, "cannot connect to babeld's local socket again: restarting babeld");
	kill_babeld(b);
	schedule_restart(b);
}

static void kill_babeld(struct babel *b)
{
	if (b->pid <= 0)
		return;
	loop_unwatch_child(b->loop, b->pid);
	kill(b->pid, SIGTERM);
	uint64_t deadline = loop_clock_ms() + 3000;
	while (waitpid(b->pid, NULL, WNOHANG) == 0) {
		if (loop_clock_ms() > deadline) {
			kill(b->pid, SIGKILL);
			waitpid(b->pid, NULL, 0);
			break;
		}
		struct timespec ts = { 0, 10 * 1000000 };
		nanosleep(&ts, NULL);
	}
	b->pid = 0;
}

static void schedule_restart(struct babel *b)
{
	if (loop_clock_ms() - b->started_at > 60000)
		b->backoff = RESTART_MIN_MS;
	log_warning("restarting babeld in %llu ms", (unsigned long long)b->backoff);
	loop_timer_set(b->restart_timer, loop_clock_ms() + b->backoff);
	b->backoff = MIN(b->backoff * 2, (uint64_t)RESTART_MAX_MS);
}

static void on_child_exit(struct loop *l, pid_t pid, int status, void *userdata)
{
	struct babel *b = userdata;
	if (WIFEXITED(status))
		log_error("babeld (pid %d) exited with status %d", (int)pid, WEXITSTATUS(status));
	else
		log_error("babeld (pid %d) killed by signal %d", (int)pid, WTERMSIG(status));
	b->pid = 0;
	disconnect(b);
	loop_timer_disarm(b->reconnect_timer);
	schedule_restart(b);
}

static void on_restart(struct loop *l, struct loop_timer *t, void *userdata)
{
	struct babel *b = userdata;
	disconnect(b);
	kill_babeld(b);
	int r = spawn_and_connect(b);
	if (r < 0) {
		log_errno(LOG_ERR, r, "cannot restart babeld");
		disconnect(b);
		kill_babeld(b);
		schedule_restart(b);
	}
}

static int find_id_arg(char **argv, size_t *ret)
{
	for (size_t i = 0; argv[i]; i++)
		if (!strncmp(argv[i], "router-id ", 10)) {
			*ret = i;
			return 0;
		}
	return -EINVAL;
}

int babel_start(struct loop *l, const struct babel_params *params, struct babel **ret)
{
	_cleanup_(babel_stopp) struct babel *b = calloc(1, sizeof(*b));
	if (!b)
		return -ENOMEM;
	b->loop = l;
	b->fd = -1;
	b->backoff = RESTART_MIN_MS;
	int r = babel_output_new(l, &b->output);
	if (r < 0)
		return r;
	r = babel_build_argv(params, &b->argv);
	if (r < 0 || (r = babel_guard_set(&b->guard, params)) < 0)
		return r;
	if ((r = babel_write_key_file(params)) < 0)
		return r;
	if (params->key_path && !(b->key_path = strdup(params->key_path)))
		return -ENOMEM;
	b->socket_path = strdup(params->socket_path);
	b->tunnel_options = babel_tunnel_options(params);
	b->lan_accept_unsigned = params->n_lan_interfaces && params->hmac_accept_unsigned;
	if (!b->socket_path || !b->tunnel_options)
		return -ENOMEM;
	if (params->pid_path && *params->pid_path && !(b->pid_path = strdup(params->pid_path)))
		return -ENOMEM;
	if (params->state_path && !(b->state_path = strdup(params->state_path)))
		return -ENOMEM;
	if ((r = find_id_arg(b->argv, &b->id_arg)) < 0)
		return r;
	memcpy(b->router_id, params->router_id, 8);
	b->id_changed = params->router_id_changed;
	b->id_changed_data = params->router_id_data;
	r = loop_add_timer(l, 0, 0, on_restart, b, &b->restart_timer);
	if (r < 0)
		return r;
	loop_timer_disarm(b->restart_timer);
	r = loop_add_timer(l, 0, 0, on_reconnect, b, &b->reconnect_timer);
	if (r < 0)
		return r;
	loop_timer_disarm(b->reconnect_timer);
	r = loop_add_timer(l, 0, 0, on_dump, b, &b->dump_timer);
	if (r < 0)
		return r;
	loop_timer_disarm(b->dump_timer);
	r = spawn_and_connect(b);
	if (r < 0)
		return r;
	*ret = TAKE_PTR(b);
	return 0;
}

int babel_reconfigure(struct babel *b, const struct babel_params *params)
{
	struct babel_params p = *params;
	char **argv = NULL;
	char *opts = NULL;
	size_t id_arg = 0;
	bool same_argv = true;
	int r;

	/* Same router-id: a clean restart saves the seqno that goes with it. */
	memcpy(p.router_id, b->router_id, sizeof(p.router_id));
	if ((r = babel_build_argv(&p, &argv)) < 0)
		return r;
	/* Read by babeld only when it starts: the running one keeps its keys. */
	if ((r = babel_write_key_file(&p)) < 0)
		goto fail;
	r = -ENOMEM;
	if (find_id_arg(argv, &id_arg) < 0 || !(opts = babel_tunnel_options(&p)))
		goto fail;
	/* Interface lines carry the tunnel options (hello, cost): rebuild them
	 * (tunnels declared from now on, or after a restart, get them). */
	if ((r = babel_ifaces_reline(&b->ifaces, opts)) < 0)
		goto fail;
	free(b->tunnel_options);
	b->tunnel_options = opts;
	for (size_t i = 0; same_argv && (argv[i] || b->argv[i]); i++)
		same_argv = argv[i] && b->argv[i] && !strcmp(argv[i], b->argv[i]);
	babel_argv_free(b->argv);
	b->argv = argv;
	b->id_arg = id_arg;
	babel_guard_set(&b->guard, &p); /* cannot fail: babel_build_argv() took p */
	bool accept = p.n_lan_interfaces && p.hmac_accept_unsigned;
	r = accept != b->lan_accept_unsigned ? 2 : 1;
	b->lan_accept_unsigned = accept;
	if (same_argv && b->fd >= 0) /* the caller changes it live (babel-rekey.h) */
		return r;

	log_info("babeld: configuration changed: restarting it");
	disconnect(b);
	kill_babeld(b);
	loop_timer_disarm(b->restart_timer);
	r = spawn_and_connect(b);
	if (r < 0) {
		log_errno(LOG_ERR, r, "cannot restart babeld");
		disconnect(b);
		kill_babeld(b);
		schedule_restart(b);
	}
	return 0;

fail:
	free(opts);
	babel_argv_free(argv);
	return r;
}

void babel_stop(struct babel *b)
{
	if (!b)
		return;
	disconnect(b);
	kill_babeld(b);
	babel_output_free(b->output);
	loglimit_flush(&b->guard.ll, loop_clock_ms());
	if (b->socket_path)
		unlink(b->socket_path);
	loop_timer_remove(b->restart_timer);
	loop_timer_remove(b->reconnect_timer);
	loop_timer_remove(b->dump_timer);
	babel_argv_free(b->argv);
	free(b->socket_path);
	free(b->pid_path);
	free(b->state_path);
	if (b->key_path)
		unlink(b->key_path);
	free(b->key_path);
	free(b->tunnel_options);
	free(b->wbuf);
	babel_tables_free(&b->tables);
	babel_ifaces_free(&b->ifaces);
	free(b);
}

void babel_set_listener(struct babel *b, babel_change_fn fn, void *userdata)
{
	if (!b)
		return;
	b->listener = fn;
	b->listener_data = userdata;
}

int babel_command(struct babel *b, const char *line, babel_reply_fn cb, void *userdata)
{
	if (strchr(line, '\n') || strchr(line, '\r'))
		return -EINVAL;
	if (b->fd < 0) {
		/* Not connected: the restart re-adds interfaces; others fail now. */
		if (cb)
			cb(b, -ECONNRESET, "babeld not running", userdata);
		return 0;
	}
	struct pending p = { cb, userdata };
	int r = VEC_PUSH(b->pending, p);
	if (r < 0)
		return r;
	r = queue_write(b, line);
	if (r < 0) {
		b->pending.n--;
		return r;
	}
	flush_writes(b);
	/* Tables move after a command (an interface declared or flushed). */
	babel_keep_fresh(b);
	return 0;
}

void babel_keep_fresh(struct babel *b)
{
	uint64_t now = loop_now(b->loop);
	b->dump_ms = BABEL_DUMP_MIN_MS;
	if (b->ready && !b->dumping && b->dump_at > now + BABEL_DUMP_MIN_MS)
		arm_dump(b, now + BABEL_DUMP_MIN_MS, BABEL_DUMP_MIN_MS / 2);
	else if (b->dumping && !b->dump_slow && b->dump_at > b->dump_asked_at + DUMP_READ_MS)
		/* a lazy read: now */
		arm_dump(b, MAX(now, b->dump_asked_at + DUMP_READ_MS), 0);
}

void babel_watch(struct babel *b, bool on)
{
	if (on) {
		b->watchers++;
		babel_keep_fresh(b);
	} else if (b->watchers) {
		b->watchers--;
	}
}

int babel_add_interface(struct babel *b, const char *ifname, const char *extra,
			babel_reply_fn cb, void *userdata)
{
	const char *line;
	int r = babel_ifaces_set(&b->ifaces, b->tunnel_options, ifname, extra, &line);
	return r < 0 ? r : babel_command(b, line, cb, userdata);
}

static int flush_interface(struct babel *b, const char *ifname)
{
	char flush[64];
	snprintf(flush, sizeof(flush), "flush interface %s", ifname);
	return babel_command(b, flush, NULL, NULL);
}

int babel_forget_interface(struct babel *b, const char *ifname)
{
	int r = babel_ifaces_forget(&b->ifaces, ifname);
	return r < 0 ? r : flush_interface(b, ifname);
}

int babel_readd_interface(struct babel *b, const char *ifname, const char *lan_line,
			  babel_reply_fn cb, void *userdata)
{
	if (!babel_ifname_valid(ifname) || babel_ifaces_has(&b->ifaces, ifname))
		return -EINVAL;
	int r = flush_interface(b, ifname);
	return r < 0 ? r : babel_command(b, lan_line, cb, userdata);
}

bool babel_ready(const struct babel *b)
{
	return b->ready;
}

int babel_pid(const struct babel *b)
{
	return (int)b->pid;
}

int64_t babel_tables_age_ms(const struct babel *b)
{
	return b->dumped_at ? (int64_t)(loop_now(b->loop) - b->dumped_at) : -1;
}

unsigned babel_starts(const struct babel *b)
{
	return b->starts;
}

unsigned babel_connects(const struct babel *b)
{
	return b->connects;
}

unsigned babel_reconnects(const struct babel *b)
{
	return b->reconnected;
}

const char *babel_my_id(const struct babel *b)
{
	return b->my_id;
}

size_t babel_routes(const struct babel *b, const struct babel_route **ret)
{
	*ret = b->tables.routes.v;
	return b->tables.routes.n;
}

size_t babel_neighbours(const struct babel *b, const struct babel_neighbour **ret)
{
	*ret = b->tables.neighs.v;
	return b->tables.neighs.n;
}

size_t babel_interfaces(const struct babel *b, const struct babel_interface **ret)
{
	*ret = b->tables.ifcs.v;
	return b->tables.ifcs.n;
}
