/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <arpa/inet.h>
#include <fcntl.h>
#include <stdarg.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "babel.h"
#include "config.h"
#include "control.h"
#include "control-int.h"
#include "ctx.h"
#include "log.h"
#include "netconf.h"

/* ---- JSON building ---- */

void jbuf_append(struct jbuf *b, const char *fmt, ...)
{
	if (b->oom)
		return;
	for (;;) {
		size_t room = b->cap - b->len;
		va_list ap;
		va_start(ap, fmt);
		int n = vsnprintf(b->s ? b->s + b->len : NULL, room, fmt, ap);
		va_end(ap);
		if (n < 0) {
			b->oom = true;
			return;
		}
		if ((size_t)n < room) {
			b->len += (size_t)n;
			return;
		}
		size_t cap = MAX(b->cap * 2, b->len + (size_t)n + 64);
		char *s = realloc(b->s, cap);
		if (!s) {
			b->oom = true;
			return;
		}
		b->s = s;
		b->cap = cap;
	}
}

void jbuf_string(struct jbuf *b, const char *s)
{
	if (!s) {
		jbuf_append(b, "null");
		return;
	}
	jbuf_append(b, "\"");
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			jbuf_append(b, "\\%c", *p);
		else if (*p < 0x20 || *p == 0x7f)
			jbuf_append(b, "\\u%04x", *p);
		else
			jbuf_append(b, "%c", *p);
	}
	jbuf_append(b, "\"");
}

void jbuf_key(struct jbuf *b, const char *key)
{
	jbuf_string(b, key);
	jbuf_append(b, ": ");
}

/* ---- built-in commands ---- */

static int cmd_status(struct ctx *c, const char *args, struct jbuf *o)
{
	jbuf_append(o, "{");
	jbuf_key(o, "version");
	jbuf_string(o, RE6ST_VERSION);
	jbuf_append(o, ", ");
	jbuf_key(o, "pid");
	jbuf_append(o, "%d, ", (int)getpid());
	jbuf_key(o, "uptime");
	jbuf_append(o, "%llu, ", (unsigned long long)((loop_now(c->loop) - c->started_ms) / 1000));
	jbuf_key(o, "network");
	jbuf_string(o, c->network_str);
	jbuf_append(o, ", ");
	jbuf_key(o, "prefix");
	jbuf_string(o, c->prefix_str);
	jbuf_append(o, ", ");
	jbuf_key(o, "address");
	jbuf_string(o, c->addr_str);
	jbuf_append(o, ", ");
	uint8_t sub4[4], addr4[4];
	if (c->netconf && netconf_node_ipv4(c->netconf, c->cert.subject_serial, sub4, addr4) >= 0) {
		char a4[INET_ADDRSTRLEN];
		inet_ntop(AF_INET, addr4, a4, sizeof(a4));
		jbuf_key(o, "ipv4");
		jbuf_string(o, a4);
		jbuf_append(o, ", ");
	}
	jbuf_key(o, "main_interface");
	jbuf_string(o, c->opt.main_interface);
	jbuf_append(o, ", ");
	jbuf_key(o, "cert_expires");
	jbuf_append(o, "%llu, ", (unsigned long long)c->cert.not_after);
	jbuf_key(o, "netconf_version");
	jbuf_append(o, "%llu, ", (unsigned long long)c->netconf_version);
	jbuf_key(o, "babeld");
	if (c->babel) {
		const struct babel_route *r;
		const struct babel_neighbour *nb;
		size_t nr = babel_routes(c->babel, &r), nn = babel_neighbours(c->babel, &nb), inst = 0;
		for (size_t i = 0; i < nr; i++)
			inst += r[i].installed;
		jbuf_append(o,
			    "{\"pid\": %d, \"ready\": %s, \"starts\": %u, \"connects\": %u, "
			    "\"router_id\": ",
			    babel_pid(c->babel), babel_ready(c->babel) ? "true" : "false",
			    babel_starts(c->babel), babel_connects(c->babel));
		jbuf_string(o, babel_my_id(c->babel));
		jbuf_append(o, ", \"neighbours\": %zu, \"routes\": %zu, \"installed\": %zu}", nn, nr,
			    inst);
	} else {
		jbuf_append(o, "null");
	}
	for (size_t i = 0; c->control && i < c->control->n_sections; i++) {
		const struct command *sec = &c->control->sections[i];
		jbuf_append(o, ", ");
		jbuf_key(o, sec->name);
		int r = sec->fn(c, "", o);
		if (r < 0)
			return r;
	}
	jbuf_append(o, "}");
	return 0;
}

static int cmd_routes(struct ctx *c, const char *args, struct jbuf *o)
{
	jbuf_append(o, "{\"routes\": [");
	if (c->babel) {
		const struct babel_route *r;
		size_t n = babel_routes(c->babel, &r);
		for (size_t i = 0; i < n; i++) {
			char p[PREFIX_STRLEN], f[PREFIX_STRLEN], via[PREFIX_STRLEN];
			babel_format_prefix(&r[i].prefix, p);
			babel_format_prefix(&r[i].from, f);
			prefix_format_address(r[i].via, via);
			jbuf_append(o, "%s{\"prefix\": ", i ? ", " : "");
			jbuf_string(o, p);
			jbuf_append(o, ", \"from\": ");
			jbuf_string(o, f);
			jbuf_append(o, ", \"installed\": %s, \"metric\": %u, \"refmetric\": %u, "
				       "\"router_id\": ",
				    r[i].installed ? "true" : "false", r[i].metric, r[i].refmetric);
			jbuf_string(o, r[i].router_id);
			jbuf_append(o, ", \"via\": ");
			jbuf_string(o, via);
			jbuf_append(o, ", \"interface\": ");
			jbuf_string(o, r[i].ifname);
			jbuf_append(o, "}");
		}
	}
	jbuf_append(o, "], \"neighbours\": [");
	if (c->babel) {
		const struct babel_neighbour *nb;
		size_t n = babel_neighbours(c->babel, &nb);
		for (size_t i = 0; i < n; i++) {
			char a[PREFIX_STRLEN];
			prefix_format_address(nb[i].address, a);
			jbuf_append(o, "%s{\"address\": ", i ? ", " : "");
			jbuf_string(o, a);
			jbuf_append(o, ", \"interface\": ");
			jbuf_string(o, nb[i].ifname);
			jbuf_append(o, ", \"reach\": %u, \"rxcost\": %u, \"txcost\": %u, \"cost\": %u, "
				       "\"rtt_ms\": %u.%03u}",
				    nb[i].reach, nb[i].rxcost, nb[i].txcost, nb[i].cost,
				    nb[i].rtt_us / 1000, nb[i].rtt_us % 1000);
		}
	}
	/* How old the tables are (babeld's dumps, docs/daemon.md); the
	 * next ones come every second while someone reads them. */
	int64_t age = c->babel ? babel_tables_age_ms(c->babel) : -1;
	if (age < 0)
		jbuf_append(o, "], \"tables_age_ms\": null}");
	else
		jbuf_append(o, "], \"tables_age_ms\": %lld}", (long long)age);
	if (c->babel)
		babel_keep_fresh(c->babel);
	return 0;
}

static int cmd_help(struct ctx *c, const char *args, struct jbuf *o)
{
	struct control *ctl = c->control;
	jbuf_append(o, "{\"commands\": {");
	for (size_t i = 0; ctl && i < ctl->n_commands; i++) {
		jbuf_append(o, "%s", i ? ", " : "");
		jbuf_key(o, ctl->commands[i].name);
		jbuf_string(o, ctl->commands[i].help);
	}
	jbuf_append(o, "}}");
	return 0;
}

/* ---- registry of commands ---- */

/* Add or replace name in a table of max entries. */
static int table_put(struct command *table, size_t *n_table, size_t max, const char *name,
		     const char *help, control_handler_fn fn)
{
	size_t n = strlen(name);
	if (!n || n >= sizeof(table[0].name) || strspn(name, "abcdefghijklmnopqrstuvwxyz-") != n ||
	    !fn)
		return -EINVAL;
	size_t i;
	for (i = 0; i < *n_table; i++)
		if (!strcmp(table[i].name, name))
			break;
	if (i == *n_table) {
		if (i == max)
			return -ENOMEM;
		(*n_table)++;
	}
	struct command *cmd = &table[i];
	snprintf(cmd->name, sizeof(cmd->name), "%s", name);
	snprintf(cmd->help, sizeof(cmd->help), "%s", help ? help : "");
	cmd->fn = fn;
	return 0;
}

int control_register(struct control *ctl, const char *name, const char *help,
		     control_handler_fn fn)
{
	return table_put(ctl->commands, &ctl->n_commands, MAX_COMMANDS, name, help, fn);
}

int control_register_status(struct control *ctl, const char *name, control_handler_fn fn)
{
	return table_put(ctl->sections, &ctl->n_sections, MAX_SECTIONS, name, NULL, fn);
}

int control_execute(struct control *ctl, const char *line, char **ret)
{
	struct jbuf o = { 0 };
	char word[32];
	size_t n = strcspn(line, " \t");
	const char *args = line + n;
	while (*args == ' ' || *args == '\t')
		args++;
	const struct command *cmd = NULL;
	if (n && n < sizeof(word)) {
		memcpy(word, line, n);
		word[n] = '\0';
		for (size_t i = 0; i < ctl->n_commands; i++)
			if (!strcmp(ctl->commands[i].name, word))
				cmd = &ctl->commands[i];
	}
	if (!cmd) {
		jbuf_append(&o, "{\"error\": ");
		char msg[96];
		snprintf(msg, sizeof(msg), "unknown command '%.32s' (try 'help')", line);
		jbuf_string(&o, msg);
		jbuf_append(&o, "}");
	} else {
		ctl->monitor_request = false;
		int r = cmd->fn(ctl->c, args, &o);
		if (r < 0 || o.oom) {
			ctl->monitor_request = false;
			o.len = 0;
			o.oom = false;
			jbuf_append(&o, "{\"error\": ");
			jbuf_string(&o, strerror(r < 0 ? -r : ENOMEM));
			jbuf_append(&o, "}");
		}
	}
	jbuf_append(&o, "\n");
	if (o.oom) {
		free(o.s);
		return -ENOMEM;
	}
	*ret = o.s;
	return 0;
}

/* ---- socket ---- */

static void client_close(struct client *cl)
{
	struct control *ctl = cl->ctl;
	if (cl->monitor)
		control_monitor_detach(cl);
	loop_io_remove(cl->io);
	if (cl->fd >= 0)
		close(cl->fd);
	free(cl->out);
	*cl = (struct client){ .ctl = ctl, .fd = -1 };
}

void control_client_flush(struct client *cl)
{
	while (cl->outoff < cl->outlen) {
		ssize_t n = send(cl->fd, cl->out + cl->outoff, cl->outlen - cl->outoff,
				 MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR) {
				loop_io_set_events(cl->io, POLLOUT);
				return;
			}
			client_close(cl);
			return;
		}
		cl->outoff += (size_t)n;
		cl->active_ms = loop_clock_ms();
	}
	free(cl->out);
	cl->out = NULL;
	cl->outlen = cl->outoff = 0;
	loop_io_set_events(cl->io, POLLIN);
	if (cl->monitor && cl->dropped)
		control_monitor_drained(cl);
}

static void client_process(struct control *ctl, struct client *cl)
{
	if (cl->monitor) {
		cl->inlen = 0; /* a monitor only listens: what it sends is ignored */
		return;
	}
	/* One request at a time: the next line is read once the answer is out. */
	while (!cl->out && cl->fd >= 0) {
		char *nl = memchr(cl->in, '\n', cl->inlen);
		if (!nl) {
			if (cl->inlen == sizeof(cl->in)) {
				const char *e = "{\"error\": \"request too long\"}\n";
				if (send(cl->fd, e, strlen(e), MSG_NOSIGNAL | MSG_DONTWAIT) < 0) {
					/* closing anyway */
				}
				client_close(cl);
			}
			return;
		}
		*nl = '\0';
		if (nl > cl->in && nl[-1] == '\r')
			nl[-1] = '\0';
		char *answer = NULL;
		int r = control_execute(ctl, cl->in, &answer);
		size_t used = (size_t)(nl - cl->in) + 1;
		memmove(cl->in, cl->in + used, cl->inlen - used);
		cl->inlen -= used;
		if (r < 0) {
			client_close(cl);
			return;
		}
		cl->out = answer;
		cl->outlen = strlen(answer);
		cl->outoff = 0;
		if (ctl->monitor_request) {
			ctl->monitor_request = false;
			if (control_monitor_attach(ctl, cl, ctl->monitor_request_classes) < 0) {
				client_close(cl);
				return;
			}
		}
		control_client_flush(cl);
	}
}

static void on_client(struct loop *l, int fd, short revents, void *userdata)
{
	struct client_ref *ref = userdata;
	struct client *cl = ref->cl;
	if (cl->fd != fd)
		return;
	if (revents & POLLOUT) {
		control_client_flush(cl);
		if (cl->fd < 0)
			return;
		client_process(ref->ctl, cl);
		return;
	}
	if (revents & (POLLIN | POLLHUP | POLLERR)) {
		ssize_t n = recv(fd, cl->in + cl->inlen, sizeof(cl->in) - cl->inlen, MSG_DONTWAIT);
		if (n <= 0) {
			if (n < 0 && (errno == EAGAIN || errno == EINTR))
				return;
			client_close(cl);
			return;
		}
		cl->inlen += (size_t)n;
		cl->active_ms = loop_clock_ms();
		client_process(ref->ctl, cl);
	}
}

/* The free slot, or else the client idle the longest, closed (a monitor,
 * idle while nothing happens, only when every client is one). */
static struct client *free_slot(struct control *ctl, size_t *ret_i)
{
	size_t oldest = 0;
	for (size_t i = 0; i < MAX_CLIENTS; i++) {
		const struct client *a = &ctl->clients[i], *o = &ctl->clients[oldest];
		if (a->fd < 0) {
			*ret_i = i;
			return &ctl->clients[i];
		}
		if (a->monitor < o->monitor ||
		    (a->monitor == o->monitor && a->active_ms < o->active_ms))
			oldest = i;
	}
	log_debug("control socket: %d clients, closing the one idle for %llu ms", MAX_CLIENTS,
		  (unsigned long long)(loop_clock_ms() - ctl->clients[oldest].active_ms));
	client_close(&ctl->clients[oldest]);
	*ret_i = oldest;
	return &ctl->clients[oldest];
}

static void on_accept(struct loop *l, int fd, short revents, void *userdata)
{
	struct control *ctl = userdata;
	int cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (cfd < 0)
		return;
	size_t i;
	struct client *cl = free_slot(ctl, &i);
	*cl = (struct client){ .ctl = ctl, .fd = cfd, .active_ms = loop_clock_ms() };
	if (!loop_timer_armed(ctl->idle_timer))
		loop_timer_set_in(ctl->idle_timer, IDLE_MS);
	if (loop_add_io(l, cfd, POLLIN, on_client, &ctl->refs[i], &cl->io) < 0) {
		close(cfd);
		cl->fd = -1;
	}
}

/* Idle clients are closed IDLE_MS after their last activity; the timer
 * runs only while a client is connected. */
static void on_idle_check(struct loop *l, struct loop_timer *t, void *userdata)
{
	struct control *ctl = userdata;
	uint64_t now = loop_clock_ms(), next = 0;
	for (size_t i = 0; i < MAX_CLIENTS; i++) {
		struct client *cl = &ctl->clients[i];
		if (cl->monitor)
			continue;
		if (cl->fd >= 0 && now - cl->active_ms >= IDLE_MS)
			client_close(cl);
		if (cl->fd >= 0 && (!next || cl->active_ms + IDLE_MS < next))
			next = cl->active_ms + IDLE_MS;
	}
	if (next)
		loop_timer_set(t, loop_now(l) + (next - now));
}

int control_open(struct ctx *c, const char *path, struct control **ret)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	if (strlen(path) >= sizeof(sun.sun_path))
		return -ENAMETOOLONG;
	strcpy(sun.sun_path, path);

	struct control *ctl = calloc(1, sizeof(*ctl));
	if (!ctl)
		return -ENOMEM;
	ctl->c = c;
	ctl->fd = -1;
	for (size_t i = 0; i < MAX_CLIENTS; i++) {
		ctl->clients[i] = (struct client){ .ctl = ctl, .fd = -1 };
		ctl->refs[i] = (struct client_ref){ ctl, &ctl->clients[i] };
	}
	int r;
	ctl->path = strdup(path);
	if (!ctl->path) {
		r = -ENOMEM;
		goto fail;
	}
	ctl->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (ctl->fd < 0) {
		r = negative_errno();
		goto fail;
	}
	/* A stale socket from a killed daemon is replaced. */
	unlink(path);
	/* Created 0660 from the start: no window where others could connect. */
	mode_t old = umask(0117);
	r = bind(ctl->fd, (struct sockaddr *)&sun, sizeof(sun));
	umask(old);
	if (r < 0 || chmod(path, 0660) < 0 || listen(ctl->fd, 8) < 0) {
		r = negative_errno();
		goto fail;
	}
	if ((r = loop_add_io(c->loop, ctl->fd, POLLIN, on_accept, ctl, &ctl->io)) < 0 ||
	    (r = loop_add_timer(c->loop, 0, 0, on_idle_check, ctl, &ctl->idle_timer)) < 0 ||
	    (r = control_register(ctl, "status", "node, babeld and certificate summary", cmd_status)) < 0 ||
	    (r = control_register(ctl, "routes", "babel routes and neighbours", cmd_routes)) < 0 ||
	    (r = control_register(ctl, "ping", "the route to a node: interface, next hop, metric",
				  control_cmd_ping)) < 0 ||
	    (r = control_register(ctl, "monitor", "stream events: tunnel route neighbour revocation",
				  control_cmd_monitor)) < 0 ||
	    (r = control_register(ctl, "help", "list the commands", cmd_help)) < 0)
		goto fail;
	*ret = ctl;
	return 0;
fail:
	control_close(ctl);
	return r;
}

void control_close(struct control *ctl)
{
	if (!ctl)
		return;
	for (size_t i = 0; i < MAX_CLIENTS; i++)
		if (ctl->clients[i].fd >= 0)
			client_close(&ctl->clients[i]);
	loop_timer_remove(ctl->idle_timer);
	loop_io_remove(ctl->io);
	if (ctl->fd >= 0) {
		close(ctl->fd);
		unlink(ctl->path);
	}
	free(ctl->path);
	free(ctl);
}
