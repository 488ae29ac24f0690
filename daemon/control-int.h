/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * control-int.h - inside the control socket (control.h): its state and what
 * its files share. Not for other modules.
 *
 *   control.c          the socket, the clients, the command table, the
 *                      built-in status/routes/help
 *   control-monitor.c  "monitor": a client turned into an event stream
 *   control-ping.c     "ping": the route to a node; the request parsers
 */
#ifndef RE6ST_DAEMON_CONTROL_INT_H
#define RE6ST_DAEMON_CONTROL_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "control.h"
#include "events.h"
#include "loop.h"
#include "prefix.h"

#define MAX_CLIENTS 16
/* A client that sends nothing and reads nothing for this long is closed,
 * and when all slots are taken the longest idle one makes room: a local
 * user holding connections open cannot lock re6stctl out. */
#define IDLE_MS 3000
#define MAX_REQUEST 512
#define MAX_COMMANDS 32
#define MAX_SECTIONS 8

struct command {
	char name[32];
	char help[96];
	control_handler_fn fn;
};

struct client {
	struct control *ctl;
	int fd;
	struct loop_io *io;
	char in[MAX_REQUEST];
	size_t inlen;
	char *out;
	size_t outlen, outoff;
	uint64_t active_ms;  /* loop_clock_ms() of the last byte in or out */
	/* "monitor": events are appended to out (at most MONITOR_BUF bytes
	 * unsent); those that do not fit are counted and reported once the
	 * client has read the rest. Exempt from the idle time-out. */
	bool monitor;
	unsigned monitor_classes; /* enum control_monitor_class bits */
	bool watches_babel;       /* routes or neighbours: babel_watch() */
	uint64_t dropped;
};

struct control {
	struct ctx *c;
	char *path;
	int fd;
	struct loop_io *io;
	struct loop_timer *idle_timer;
	struct client clients[MAX_CLIENTS];
	struct client_ref {
		struct control *ctl;
		struct client *cl;
	} refs[MAX_CLIENTS];
	struct command commands[MAX_COMMANDS];
	size_t n_commands;
	struct command sections[MAX_SECTIONS]; /* extra objects in "status" */
	size_t n_sections;
	/* Set by the "monitor" handler: the client that sent it becomes a
	 * monitor (control.c reads and clears it after each command). */
	bool monitor_request;
	unsigned monitor_request_classes;
	size_t n_monitors;   /* subscribed to the events while > 0 */
};


#define MONITOR_BUF 32768

enum control_monitor_class {
	MON_TUNNEL = 1u << 0,
	MON_ROUTE = 1u << 1,
	MON_NEIGHBOUR = 1u << 2,
	MON_REVOCATION = 1u << 3,
	MON_ALL = (1u << 4) - 1,
};

/* control.c */
void control_client_flush(struct client *cl);

/* control-monitor.c */
int control_cmd_monitor(struct ctx *c, const char *args, struct jbuf *out);
/* cl sent "monitor" and was answered: stream it the events. 0 or -errno. */
int control_monitor_attach(struct control *ctl, struct client *cl, unsigned set);
/* A monitor client goes (called by control_client_close()). */
void control_monitor_detach(struct client *cl);
/* Its buffer emptied: report the events dropped meanwhile. */
void control_monitor_drained(struct client *cl);

/* control-ping.c */
int control_cmd_ping(struct ctx *c, const char *args, struct jbuf *out);

/*
 * The request parsers (pure; fuzzed). args: the rest of the request line.
 * 0, or -EINVAL with a message for the client in err.
 *
 * "ping NODE": NODE a prefix ("2001:db8:42:1::/64", its address then the
 * prefix with its last bit set, as the node's own) or an IPv6 address.
 */
int control_parse_ping(const char *args, uint8_t ret_addr[16], struct re6st_prefix *ret_prefix,
		       char *err, size_t errlen);
/* "monitor [CLASS...]": tunnel, route, neighbour, revocation (none: all). */
int control_parse_monitor(const char *args, unsigned *ret_classes, char *err, size_t errlen);

#endif
