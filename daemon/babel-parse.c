/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "babel-parse.h"
#include "macro.h"

#define MAX_LINE 1023
#define MAX_TOKENS 40

static int copy_token(char *dst, size_t size, const char *src)
{
	size_t n = strlen(src);
	if (n == 0 || n >= size)
		return -EBADMSG;
	memcpy(dst, src, n + 1);
	return 0;
}

/* Printable ASCII without '/' and shorter than IF_NAMESIZE (16). */
static bool ifname_ok(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n >= 16)
		return false;
	for (; *s; s++)
		if (*s <= ' ' || *s >= 0x7f || *s == '/')
			return false;
	return true;
}

static int parse_uint(const char *s, int base, unsigned max, unsigned *ret)
{
	if (!*s || *s == '-' || *s == '+' || *s == ' ')
		return -EBADMSG;
	char *end;
	errno = 0;
	unsigned long v = strtoul(s, &end, base);
	if (*end || errno || v > max)
		return -EBADMSG;
	*ret = (unsigned)v;
	return 0;
}

/* babeld prints RTTs with format_thousands(): "12.345" (ms, 3 decimals). */
static int parse_rtt(const char *s, unsigned *ret_us)
{
	const char *dot = strchr(s, '.');
	char ms[12];
	unsigned whole, frac = 0;
	size_t n = dot ? (size_t)(dot - s) : strlen(s);
	if (n == 0 || n >= sizeof(ms))
		return -EBADMSG;
	memcpy(ms, s, n);
	ms[n] = '\0';
	if (parse_uint(ms, 10, 4000000, &whole) < 0)
		return -EBADMSG;
	if (dot) {
		if (strlen(dot + 1) != 3 || parse_uint(dot + 1, 10, 999, &frac) < 0)
			return -EBADMSG;
	}
	*ret_us = whole * 1000 + frac;
	return 0;
}

static int parse_address(const char *s, uint8_t ret[16])
{
	struct in_addr a4;
	if (inet_pton(AF_INET6, s, ret) == 1)
		return 0;
	if (inet_pton(AF_INET, s, &a4) == 1) {
		memset(ret, 0, 10);
		ret[10] = ret[11] = 0xff;
		memcpy(ret + 12, &a4, 4);
		return 0;
	}
	return -EBADMSG;
}

int babel_parse_prefix(const char *s, struct re6st_prefix *ret)
{
	char addr[INET6_ADDRSTRLEN];
	const char *slash = strchr(s, '/');
	if (!slash || (size_t)(slash - s) >= sizeof(addr))
		return -EBADMSG;
	memcpy(addr, s, (size_t)(slash - s));
	addr[slash - s] = '\0';
	unsigned len;
	if (parse_uint(slash + 1, 10, 128, &len) < 0 || (slash[1] == '0' && slash[2]))
		return -EBADMSG;
	struct re6st_prefix p = { .len = 0 };
	struct in_addr a4;
	if (inet_pton(AF_INET6, addr, p.addr) == 1) {
		p.len = (uint8_t)len;
	} else if (inet_pton(AF_INET, addr, &a4) == 1) {
		if (len > 32)
			return -EBADMSG;
		p.addr[10] = p.addr[11] = 0xff;
		memcpy(p.addr + 12, &a4, 4);
		p.len = (uint8_t)(len + 96);
	} else {
		return -EBADMSG;
	}
	/* babeld always prints canonical prefixes; tolerate, but mask. */
	prefix_mask(&p);
	*ret = p;
	return 0;
}

char *babel_format_prefix(const struct re6st_prefix *p, char buf[PREFIX_STRLEN])
{
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	if (p->len >= 96 && !memcmp(p->addr, mapped, 12)) {
		char a[INET_ADDRSTRLEN];
		inet_ntop(AF_INET, p->addr + 12, a, sizeof(a));
		snprintf(buf, PREFIX_STRLEN, "%s/%u", a, p->len - 96u);
		return buf;
	}
	return prefix_format(p, buf);
}

/* Find the value following key among tokens[from..n). NULL if absent. */
static const char *value_of(char **tok, size_t n, size_t from, const char *key)
{
	for (size_t i = from; i + 1 < n; i += 2)
		if (!strcmp(tok[i], key))
			return tok[i + 1];
	return NULL;
}

static int parse_route(char **tok, size_t n, struct babel_route *r)
{
	const char *v;
	memset(r, 0, sizeof(*r));
	/* tok: change route ID key value ... */
	if (n < 3 || copy_token(r->id, sizeof(r->id), tok[2]) < 0)
		return -EBADMSG;
	if ((n - 3) % 2)
		return -EBADMSG;
	if (!(v = value_of(tok, n, 3, "prefix")) || babel_parse_prefix(v, &r->prefix) < 0)
		return -EBADMSG;
	if ((v = value_of(tok, n, 3, "from")) && babel_parse_prefix(v, &r->from) < 0)
		return -EBADMSG;
	if (!(v = value_of(tok, n, 3, "installed")))
		return -EBADMSG;
	if (!strcmp(v, "yes"))
		r->installed = true;
	else if (strcmp(v, "no"))
		return -EBADMSG;
	if (!(v = value_of(tok, n, 3, "id")) || copy_token(r->router_id, sizeof(r->router_id), v) < 0)
		return -EBADMSG;
	if (!(v = value_of(tok, n, 3, "metric")) || parse_uint(v, 10, 65535, &r->metric) < 0)
		return -EBADMSG;
	if ((v = value_of(tok, n, 3, "refmetric")) && parse_uint(v, 10, 65535, &r->refmetric) < 0)
		return -EBADMSG;
	if (!(v = value_of(tok, n, 3, "via")) || parse_address(v, r->via) < 0)
		return -EBADMSG;
	if (!(v = value_of(tok, n, 3, "if")) || copy_token(r->ifname, sizeof(r->ifname), v) < 0)
		return -EBADMSG;
	return 0;
}

static int parse_neighbour(char **tok, size_t n, struct babel_neighbour *nb)
{
	const char *v;
	memset(nb, 0, sizeof(*nb));
	if (n < 3 || copy_token(nb->id, sizeof(nb->id), tok[2]) < 0 || (n - 3) % 2)
		return -EBADMSG;
	if (!(v = value_of(tok, n, 3, "address")) || parse_address(v, nb->address) < 0)
		return -EBADMSG;
	/* Empty or garbage after "flush interface" (see babel-parse.h): a name
	 * that is no interface name stands for the freed interface, "". */
	if (!(v = value_of(tok, n, 3, "if")))
		return -EBADMSG;
	if (!ifname_ok(v) || copy_token(nb->ifname, sizeof(nb->ifname), v) < 0)
		nb->ifname[0] = '\0';
	if (!(v = value_of(tok, n, 3, "reach")) || parse_uint(v, 16, 0xffff, &nb->reach) < 0)
		return -EBADMSG;
	if ((v = value_of(tok, n, 3, "ureach")) && parse_uint(v, 16, 0xffff, &nb->ureach) < 0)
		return -EBADMSG;
	if (!(v = value_of(tok, n, 3, "rxcost")) || parse_uint(v, 10, 65535, &nb->rxcost) < 0)
		return -EBADMSG;
	if (!(v = value_of(tok, n, 3, "txcost")) || parse_uint(v, 10, 65535, &nb->txcost) < 0)
		return -EBADMSG;
	if (!(v = value_of(tok, n, 3, "cost")) || parse_uint(v, 10, 65535, &nb->cost) < 0)
		return -EBADMSG;
	if ((v = value_of(tok, n, 3, "rtt")) && parse_rtt(v, &nb->rtt_us) < 0)
		return -EBADMSG;
	if ((v = value_of(tok, n, 3, "rttcost")) && parse_uint(v, 10, 65535, &nb->rttcost) < 0)
		return -EBADMSG;
	return 0;
}

static int parse_interface(char **tok, size_t n, struct babel_interface *ifc)
{
	const char *v;
	memset(ifc, 0, sizeof(*ifc));
	if (n < 3 || copy_token(ifc->ifname, sizeof(ifc->ifname), tok[2]) < 0 || (n - 3) % 2)
		return -EBADMSG;
	if (!(v = value_of(tok, n, 3, "up")))
		return -EBADMSG;
	if (!strcmp(v, "true"))
		ifc->up = true;
	else if (strcmp(v, "false"))
		return -EBADMSG;
	if ((v = value_of(tok, n, 3, "ipv6"))) {
		if (inet_pton(AF_INET6, v, ifc->ipv6) != 1)
			return -EBADMSG;
		ifc->has_ipv6 = true;
	}
	return 0;
}

int babel_parse_line(const char *line, struct babel_event *ret)
{
	size_t len = strlen(line);
	if (len > MAX_LINE)
		return -EBADMSG;
	char buf[MAX_LINE + 1];
	memcpy(buf, line, len + 1);
	if (len && buf[len - 1] == '\r')
		buf[--len] = '\0';

	struct babel_event ev = { .type = BABEL_LINE_OTHER };

	if (!strcmp(buf, "ok")) {
		ev.type = BABEL_LINE_OK;
		goto done;
	}
	if (!strcmp(buf, "bad")) {
		ev.type = BABEL_LINE_BAD;
		goto done;
	}
	if (!strcmp(buf, "no") || !strncmp(buf, "no ", 3)) {
		ev.type = BABEL_LINE_NO;
		snprintf(ev.msg, sizeof(ev.msg), "%.*s", (int)sizeof(ev.msg) - 1, buf[2] ? buf + 3 : "");
		goto done;
	}
	if (!strncmp(buf, "BABEL ", 6) || !strncmp(buf, "version ", 8) ||
	    !strncmp(buf, "host ", 5)) {
		ev.type = BABEL_LINE_HEADER;
		goto done;
	}
	if (!strncmp(buf, "my-id ", 6)) {
		ev.type = BABEL_LINE_HEADER;
		snprintf(ev.msg, sizeof(ev.msg), "%.*s", BABEL_ID_LEN - 1, buf + 6);
		goto done;
	}

	/* babeld separates fields by exactly one space: split on each one, so
	 * that an empty field stays a (empty) token in its place. */
	char *tok[MAX_TOKENS];
	size_t n = 0;
	for (char *rest = buf; rest;) {
		if (n == MAX_TOKENS)
			return -EBADMSG;
		tok[n++] = strsep(&rest, " ");
	}
	if (n < 2)
		goto done;
	if (!strcmp(tok[0], "add"))
		ev.change = BABEL_ADD;
	else if (!strcmp(tok[0], "change"))
		ev.change = BABEL_CHANGE;
	else if (!strcmp(tok[0], "flush"))
		ev.change = BABEL_FLUSH;
	else
		goto done;

	int r = 0;
	if (!strcmp(tok[1], "route")) {
		ev.type = BABEL_LINE_ROUTE;
		r = parse_route(tok, n, &ev.route);
	} else if (!strcmp(tok[1], "neighbour")) {
		ev.type = BABEL_LINE_NEIGHBOUR;
		r = parse_neighbour(tok, n, &ev.neighbour);
	} else if (!strcmp(tok[1], "interface")) {
		ev.type = BABEL_LINE_INTERFACE;
		r = parse_interface(tok, n, &ev.interface);
	} else if (!strcmp(tok[1], "xroute")) {
		ev.type = BABEL_LINE_XROUTE;
		const char *v = n >= 3 && (n - 3) % 2 == 0 ? value_of(tok, n, 3, "prefix") : NULL;
		if (!v || babel_parse_prefix(v, &ev.xroute) < 0)
			r = -EBADMSG;
	}
	if (r < 0)
		return r;
done:
	*ret = ev;
	return 0;
}
