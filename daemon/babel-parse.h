/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * babel-parse.h - parse one line of babeld's local-socket protocol.
 *
 * Pure: no allocation, no state. Lines come from babeld, a local process we
 * started, but are still treated as untrusted (fuzzed): every field is
 * length-checked, unknown keys are skipped, a malformed line is rejected
 * with -EBADMSG and never half-applied.
 *
 * Lines handled (babeld 1.12, in monitor mode):
 *   ok | no [message] | bad                 -> BABEL_LINE_OK/NO/BAD
 *   BABEL 1.0, version X, host X, my-id X   -> BABEL_LINE_HEADER (my-id kept)
 *   (add|change|flush) route ID prefix P from S installed yes|no id RID
 *        metric M refmetric R via ADDR if IFNAME
 *   (add|change|flush) neighbour ID address ADDR if IFNAME reach XXXX
 *        [ureach XXXX] rxcost N txcost N [rtt MS rttcost N] cost N
 *        IFNAME may be empty ("if  reach") or garbage: after "flush
 *        interface", babeld 1.12 frees the interface but keeps its
 *        neighbours until their hellos time out, printing the name from the
 *        freed memory. Such a line (a name that is not printable ASCII
 *        without '/', or 16 bytes or more) is parsed with ifname "", so
 *        that its flush still applies.
 *   (add|change|flush) interface NAME up true|false [ipv6 ADDR] [ipv4 ADDR]
 *   (add|change|flush) xroute ... -> BABEL_LINE_XROUTE (prefix only)
 * Any other line is BABEL_LINE_OTHER (ignored by the caller).
 *
 * Fields are separated by exactly one space, as babeld prints them; any
 * other spacing in a route/neighbour/interface line is malformed.
 *
 * IPv4 prefixes are stored IPv4-mapped (::ffff:a.b.c.d, length + 96), as
 * babeld does internally.
 */
#ifndef RE6ST_DAEMON_BABEL_PARSE_H
#define RE6ST_DAEMON_BABEL_PARSE_H

#include <stdbool.h>
#include <stdint.h>

#include "prefix.h"

#define BABEL_ID_LEN 24   /* babeld's object ids ("%lx") and router-ids */
#define BABEL_IFNAME_LEN 16
#define BABEL_MSG_LEN 100

enum babel_line_type {
	BABEL_LINE_OTHER,
	BABEL_LINE_OK,
	BABEL_LINE_NO,
	BABEL_LINE_BAD,
	BABEL_LINE_HEADER,
	BABEL_LINE_ROUTE,
	BABEL_LINE_NEIGHBOUR,
	BABEL_LINE_INTERFACE,
	BABEL_LINE_XROUTE,
};

enum babel_change { BABEL_ADD, BABEL_CHANGE, BABEL_FLUSH };

struct babel_route {
	char id[BABEL_ID_LEN];      /* babeld's handle for this route */
	struct re6st_prefix prefix;
	struct re6st_prefix from;   /* source prefix (len 0: any) */
	bool installed;
	char router_id[BABEL_ID_LEN];
	unsigned metric, refmetric; /* 65535 = infinity */
	uint8_t via[16];
	char ifname[BABEL_IFNAME_LEN];
};

struct babel_neighbour {
	char id[BABEL_ID_LEN];
	uint8_t address[16];
	char ifname[BABEL_IFNAME_LEN]; /* "": its interface was flushed */
	unsigned reach, ureach, rxcost, txcost, cost, rttcost;
	unsigned rtt_us;            /* 0 if babeld gave none */
};

struct babel_interface {
	char ifname[BABEL_IFNAME_LEN];
	bool up;
	bool has_ipv6;
	uint8_t ipv6[16];
};

struct babel_event {
	enum babel_line_type type;
	enum babel_change change;   /* ROUTE, NEIGHBOUR, INTERFACE, XROUTE */
	union {
		struct babel_route route;         /* ROUTE */
		struct babel_neighbour neighbour; /* NEIGHBOUR */
		struct babel_interface interface; /* INTERFACE */
		struct re6st_prefix xroute;       /* XROUTE */
		char msg[BABEL_MSG_LEN];          /* NO: babeld's text; HEADER my-id */
	};
};

/*
 * Parse one line (without its newline; at most 1023 bytes). 0 with *ret
 * filled, or -EBADMSG for a malformed route/neighbour/interface line or an
 * over-long line.
 */
int babel_parse_line(const char *line, struct babel_event *ret);

/* Parse a prefix as babeld prints it (IPv6 or IPv4 "a.b.c.d/n"). */
int babel_parse_prefix(const char *s, struct re6st_prefix *ret);
/* Format a prefix, IPv4-mapped ones as IPv4 ("10.0.0.0/8"). Returns buf. */
char *babel_format_prefix(const struct re6st_prefix *p, char buf[PREFIX_STRLEN]);

#endif
