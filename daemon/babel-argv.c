/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * babeld's command line, tunnel interface options and key file, built from
 * struct babel_params (babel.h): pure functions but for babel_write_key_file().
 */
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "babel.h"
#include "babel-guard.h"
#include "config.h"
#include "fileio.h"

/* ---- tunnel interfaces ------------------------------------------------------- */

/*
 * The metric on tunnels (docs/network-config.md, "Metric and failover"):
 * link-quality estimation makes a lossy tunnel cost link_cost x ETX instead
 * of dropping it when two hellos of three are lost (which made routes
 * flap). babeld's ETX is rxcost x txcost / 256 (each direction's rxcost
 * divided by its delivery ratio), so rxcost is sqrt(256 x link_cost): a
 * loss-free tunnel costs link_cost. The RTT penalty (measured: it is also
 * what moves routes off a drained tunnel) adds up to 5000 between rtt-min
 * and 500 ms; rtt-min is where the penalty's slope times the RTT equals
 * link_cost, so that a hop costs as much as its RTT (at least rtt-min) and
 * no more: a detour of two clean hops competes with a lossy direct tunnel
 * on RTT plus loss alone. Full route updates stay babeld's default, every 4
 * hellos: when a tunnel comes up, the side declared first asks for the
 * other's routes before the other listens, and gets them at the next full
 * update (measured: with updates every 60 s, routes took up to a minute).
 */
unsigned babel_rtt_min_ms(unsigned link_cost)
{
	return (link_cost * BABEL_RTT_MAX_MS + (BABEL_RTT_PENALTY + link_cost) / 2) /
	       (BABEL_RTT_PENALTY + link_cost);
}

unsigned babel_rxcost(unsigned link_cost)
{
	unsigned r = 1;
	while ((r + 1) * (r + 1) <= 256 * link_cost) /* floor(sqrt()), exact */
		r++;
	/* babeld rounds r x r / 256 to the nearest: take the closer of r, r + 1 */
	unsigned lo = (r * r + 128) >> 8, hi = ((r + 1) * (r + 1) + 128) >> 8;
	return link_cost - lo <= hi - link_cost ? r : r + 1;
}

/*
 * No HMAC key on tunnels: a WireGuard tunnel's babel packets come only from
 * its peer, authenticated by a key the CA certified (a member, who holds the
 * HMAC key anyway), and GRE is only for trusted underlays (docs/security.md).
 * A key there also made babeld deaf: babeld (1.12 to 1.14) signs a
 * neighbour's pending unicast packet even once the neighbour's link is
 * down, fails for want of the link's link-local address, keeps the packet
 * and tries again at once, skipping select(), until the neighbour expires
 * (16 hello intervals): a tunnel that died mid-packet stopped babeld from
 * reading any link for about a minute (docs/daemon.md, "babeld").
 */
char *babel_tunnel_options(const struct babel_params *p)
{
	char *s = NULL;
	unsigned hello = p->hello ? p->hello : 4;
	unsigned cost = p->link_cost ? p->link_cost : BABEL_DEFAULT_LINK_COST;
	if (asprintf(&s,
		     "type tunnel link-quality true rxcost %u hello-interval %u "
		     "rtt-min %u rtt-max %u max-rtt-penalty %u rtt-decay 125%s%s",
		     babel_rxcost(cost), hello, babel_rtt_min_ms(cost), BABEL_RTT_MAX_MS,
		     BABEL_RTT_PENALTY, p->babel_default && *p->babel_default ? " " : "",
		     p->babel_default ? p->babel_default : "") < 0)
		return NULL;
	return s;
}

int babel_router_id_arg(const uint8_t id[8], char **ret)
{
	char *s;
	if (asprintf(&s, "router-id %02x:%02x:%02x:%02x:%02x:%02x:%02x:%02x", id[0], id[1], id[2],
		     id[3], id[4], id[5], id[6], id[7]) < 0)
		return -ENOMEM;
	*ret = s;
	return 0;
}

/* ---- command line ---------------------------------------------------------- */

struct argv_builder {
	char **v;
	size_t n;
	int err;
};

static void add_arg(struct argv_builder *a, const char *fmt, ...) _printf_(2, 3);
static void add_arg(struct argv_builder *a, const char *fmt, ...)
{
	if (a->err)
		return;
	char **v = reallocarray(a->v, a->n + 2, sizeof(*v));
	if (!v) {
		a->err = -ENOMEM;
		return;
	}
	a->v = v;
	va_list ap;
	va_start(ap, fmt);
	int r = vasprintf(&v[a->n], fmt, ap);
	va_end(ap);
	if (r < 0) {
		a->err = -ENOMEM;
		return;
	}
	v[++a->n] = NULL;
}

void babel_argv_free(char **argv)
{
	if (!argv)
		return;
	for (char **a = argv; *a; a++)
		free(*a);
	free(argv);
}

static void hex(const uint8_t *d, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", d[i]);
	out[2 * n] = '\0';
}

/* Interface names go into configuration lines: no space, no newline. */
static bool lan_names_ok(const struct babel_params *p)
{
	for (size_t i = 0; i < p->n_lan_interfaces; i++) {
		const char *s = p->lan_interfaces[i];
		size_t n = strlen(s);
		if (n == 0 || n >= BABEL_IFNAME_LEN)
			return false;
		for (; *s; s++)
			if (*s <= ' ' || *s >= 0x7f || *s == '/')
				return false;
	}
	return true;
}

int babel_build_argv(const struct babel_params *p, char ***ret)
{
	struct argv_builder a = { 0 };
	char node[PREFIX_STRLEN], net[PREFIX_STRLEN], addr[PREFIX_STRLEN];
	const uint8_t *id = p->router_id;

	if (!p->socket_path || p->hmac_sign_len > 64 || p->hmac_accept_len > 64 ||
	    (p->hmac_sign_len && !p->key_path) || !lan_names_ok(p))
		return -EINVAL;
	prefix_format(&p->node_prefix, node);
	prefix_format(&p->network, net);
	prefix_format_address(p->node_addr, addr);

	add_arg(&a, "%s", p->babeld_path ? p->babeld_path : BABELD_PATH);
	add_arg(&a, "-I");
	add_arg(&a, "%s", p->pid_path ? p->pid_path : "");
	if (p->state_path) {
		add_arg(&a, "-S");
		add_arg(&a, "%s", p->state_path);
	}
	if (p->log_path) {
		add_arg(&a, "-L");
		add_arg(&a, "%s", p->log_path);
	}
	add_arg(&a, "-G");
	add_arg(&a, "%s", p->socket_path);
	/* Tunnels are point-to-point: no split horizon needed (-s), as the original. */
	add_arg(&a, "-s");
	/*
	 * LAN interfaces (-i) hello at the network's interval too, as the
	 * original's -h/-H (tunnels have theirs in babel_tunnel_options()).
	 * With babel HMAC, babeld 1.12 flushes a neighbour whose hellos it has
	 * not accepted yet at its next neighbour check, which comes every 1.5
	 * hello intervals of its fastest neighbour (the tunnels'); a hello is
	 * accepted only after a challenge, so the neighbour must send its next
	 * hello before that check, or the challenge starts over. At babeld's
	 * own 4 s on a wired LAN against 1 s tunnels, it never did: LAN nodes
	 * stayed deaf to each other (docs/daemon.md, "babeld").
	 */
	if (p->hello) {
		add_arg(&a, "-h");
		add_arg(&a, "%u", p->hello);
		add_arg(&a, "-H");
		add_arg(&a, "%u", p->hello);
	}
	add_arg(&a, "-C");
	add_arg(&a, "router-id %02x:%02x:%02x:%02x:%02x:%02x:%02x:%02x", id[0], id[1], id[2],
		id[3], id[4], id[5], id[6], id[7]); /* babel_start() finds it by this prefix */

	/* The HMAC keys are in key_path (babel_write_key_file()), never in
	 * argv, which every local user can read. babeld reads -c files after
	 * the -C statements; none of these uses a key. Always given, so that
	 * babeld never reads /etc/babeld.conf instead. */
	if (p->key_path) {
		add_arg(&a, "-c");
		add_arg(&a, "%s", p->key_path);
	}
	if (p->smoothing) {
		add_arg(&a, "-C");
		add_arg(&a, "smoothing-half-life %d", p->smoothing > 0 ? p->smoothing : 0);
	}
	char default_line[512] = "";
	if (p->babel_default && *p->babel_default)
		snprintf(default_line, sizeof(default_line), "default %s", p->babel_default);
	if (*default_line) {
		add_arg(&a, "-C");
		add_arg(&a, "%s", default_line);
	}

	/* Redistribute our own prefix only: anything else (underlay addresses
	 * in particular) would be announced into the tunnels. */
	add_arg(&a, "-C");
	add_arg(&a, "redistribute local deny");
	add_arg(&a, "-C");
	add_arg(&a, "redistribute ip %s eq %u", node, p->node_prefix.len);
	if (p->has_ipv4) {
		add_arg(&a, "-C");
		add_arg(&a, "redistribute ip %s", p->ipv4_prefix);
	}
	/* Routes no neighbour may give us (babel-guard.h), before any other
	 * install statement: babeld takes the first that matches. */
	struct babel_refusal refuse[BABEL_MAX_REFUSALS];
	size_t n_refuse;
	int r = babel_refusals(p, refuse, &n_refuse);
	if (r < 0) {
		babel_argv_free(a.v);
		return r;
	}
	for (size_t i = 0; i < n_refuse; i++) {
		char pf[PREFIX_STRLEN], ge[16] = "";
		babel_format_prefix(&refuse[i].prefix, pf);
		unsigned base = strchr(pf, ':') ? 0 : 96; /* babeld takes IPv4 lengths */
		if (refuse[i].min_len > refuse[i].prefix.len)
			snprintf(ge, sizeof(ge), " ge %u", refuse[i].min_len - base);
		add_arg(&a, "-C");
		add_arg(&a, "install ip %s%s deny", pf, ge);
	}
	if (p->gateway) {
		add_arg(&a, "-C");
		add_arg(&a, "redistribute ip ::/0 eq 0 src-prefix %s", net);
	} else if (p->default_route) {
		/* No source-specific routing: accept a default route from our
		 * network only, and never announce one. */
		add_arg(&a, "-C");
		add_arg(&a, "ipv6-subtrees false");
		add_arg(&a, "-C");
		add_arg(&a, "in ip ::/0 eq 0 src-ip %s src-eq %u", net, p->network.len);
		add_arg(&a, "-C");
		add_arg(&a, "in ip ::/0 eq 0 src-ip ::/0 src-ge 1 deny");
		add_arg(&a, "-C");
		add_arg(&a, "out ip ::/0 eq 0 deny");
	} else {
		/* A default route learnt from the network is installed as a
		 * source-specific one: only traffic from our network uses it. */
		add_arg(&a, "-C");
		add_arg(&a, "install ip ::/0 eq 0 src-ip ::/0 src-eq 0 src-prefix %s", net);
	}
	add_arg(&a, "-C");
	add_arg(&a, "redistribute deny");
	add_arg(&a, "-C");
	add_arg(&a, "install pref-src %s", addr);
	if (p->has_ipv4 && *p->ipv4_addr) {
		add_arg(&a, "-C");
		add_arg(&a, "install pref-src %s", p->ipv4_addr);
	}
	for (size_t i = 0; i < p->n_extra_args; i++)
		add_arg(&a, "%s", p->extra_args[i]);
	/* babeld refuses to run on no interface: give it the LAN ones, or lo
	 * (no link-local address: babeld keeps it down and silent). */
	for (size_t i = 0; i < p->n_lan_interfaces; i++)
		add_arg(&a, "%s", p->lan_interfaces[i]);
	if (!p->n_lan_interfaces)
		add_arg(&a, "lo");

	if (a.err) {
		babel_argv_free(a.v);
		return a.err;
	}
	*ret = a.v;
	return 0;
}

int babel_key_file_text(const struct babel_params *p, char **ret)
{
	const char *ktype = p->hmac_type ? p->hmac_type : "blake2s128";
	const char *bad = p->hmac_accept_unsigned ? " accept-bad-signatures true" : "";
	char h[129];
	if (p->hmac_sign_len > 64 || p->hmac_accept_len > 64 || !lan_names_ok(p))
		return -EINVAL;
	/* The keys, then the LAN interfaces that use them: babeld reads this
	 * file after every -C statement, and a key must be defined before an
	 * interface names it. */
	size_t size = 512 + p->n_lan_interfaces * (BABEL_IFNAME_LEN + 64), n = 0;
	char *buf = malloc(size);
	if (!buf)
		return -ENOMEM;
	n += (size_t)snprintf(buf, size, "# babeld's HMAC keys, from re6stnet (mode 0600)\n");
	/* HMAC: sign with one key, optionally accept an older one. */
	if (p->hmac_sign_len) {
		hex(p->hmac_sign, p->hmac_sign_len, h);
		n += (size_t)snprintf(buf + n, size - n, "key id sign type %s value %s\n", ktype, h);
		if (p->hmac_accept_len) {
			hex(p->hmac_accept, p->hmac_accept_len, h);
			n += (size_t)snprintf(buf + n, size - n, "key id accept type %s value %s\n",
					      ktype, h);
		}
		for (size_t i = 0; i < p->n_lan_interfaces; i++)
			n += (size_t)snprintf(buf + n, size - n, "interface %s key sign%s\n",
					      p->lan_interfaces[i], bad);
	}
	char *text = strdup(buf);
	sodium_memzero(h, sizeof(h));
	sodium_memzero(buf, size);
	free(buf);
	if (!text)
		return -ENOMEM;
	*ret = text;
	return 0;
}

int babel_write_key_file(const struct babel_params *p)
{
	char *text = NULL;
	if (!p->key_path)
		return 0;
	int r = babel_key_file_text(p, &text);
	if (r < 0)
		return r;
	r = write_file_atomic(p->key_path, text, strlen(text), 0600);
	sodium_memzero(text, strlen(text));
	free(text);
	return r;
}

void babel_router_id_from_prefix(const struct re6st_prefix *p, uint8_t ret[8])
{
	/* A locally administered EUI-64 from a hash of the prefix. */
	uint64_t h = 1469598103934665603ULL;
	for (size_t i = 0; i < 16; i++)
		h = (h ^ p->addr[i]) * 1099511628211ULL;
	h = (h ^ p->len) * 1099511628211ULL;
	for (int i = 0; i < 8; i++)
		ret[i] = (uint8_t)(h >> (56 - 8 * i));
	ret[0] = (uint8_t)((ret[0] & ~1u) | 2u);
}
