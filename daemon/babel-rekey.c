/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The "babel-rekey" module: HMAC keys given to a running babeld (babel-rekey.h). */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "babel-rekey.h"
#include "log.h"

#define POLL_MS 200

struct babel_rekey {
	struct babel *b;
	struct loop_timer *timer;
	char (*names)[BABEL_IFNAME_LEN]; /* the LAN interfaces to add again, in turn */
	char **lan_lines;                /* their line */
	size_t n, next;
	size_t want_routes, want_neighs; /* what the current one had before */
	uint64_t deadline, wait_ms;
	struct babel_rekey_hold hold;
	bool held; /* names[next - 1]'s routes */
};

static void release(struct babel_rekey *r)
{
	if (r->held && r->hold.fn)
		r->hold.fn(r->names[r->next - 1], false, r->hold.userdata);
	r->held = false;
}

void babel_rekey_free(struct babel_rekey *r)
{
	if (!r)
		return;
	release(r);
	loop_timer_remove(r->timer);
	for (size_t i = 0; i < r->n; i++)
		free(r->lan_lines[i]);
	free(r->lan_lines);
	free(r->names);
	free(r);
}

/* Installed routes through ifname with a finite metric: babeld installs a
 * route it holds at infinite metric (its neighbour not two-way yet) as
 * "unreachable", in front of the held copies. */
static size_t usable_routes(const struct babel *b, const char *ifname)
{
	const struct babel_route *rt;
	size_t n = babel_routes(b, &rt), k = 0;
	for (size_t i = 0; i < n; i++)
		k += rt[i].installed && rt[i].metric < 0xFFFF && !strcmp(rt[i].ifname, ifname);
	return k;
}

static void readd_next(struct babel_rekey *r, uint64_t now)
{
	release(r);
	while (r->next < r->n) {
		const char *name = r->names[r->next];
		const char *lan = r->lan_lines[r->next++];
		r->want_routes = usable_routes(r->b, name);
		r->want_neighs = babel_count_neighbours_2way(r->b, name);
		if (r->hold.fn) {
			r->hold.fn(name, true, r->hold.userdata);
			r->held = true;
		}
		int e = babel_readd_interface(r->b, name, lan, NULL, NULL);
		if (e < 0) {
			log_errno(LOG_WARNING, e, "babeld: cannot add %s again", name);
			release(r);
			continue;
		}
		log_info("babeld: %s flushed and added again with the new options "
			 "(%zu routes, %zu neighbours to get back)",
			 name, r->want_routes, r->want_neighs);
		r->deadline = now + r->wait_ms;
		loop_timer_set_in(r->timer, POLL_MS);
		return;
	}
	log_info("babeld: every LAN interface runs with the new options");
}

static void on_timer(struct loop *l, struct loop_timer *t, void *userdata)
{
	struct babel_rekey *r = userdata;
	const char *name = r->names[r->next - 1];
	uint64_t now = loop_now(l);
	/* babeld 1.12 keeps a flushed interface's neighbours (freed
	 * interface, the same name) until they time out: they count as two-way
	 * meanwhile, so the routes are what tells. */
	bool back = usable_routes(r->b, name) >= r->want_routes &&
		    babel_count_neighbours_2way(r->b, name) >= r->want_neighs;
	if (!back && now < r->deadline) {
		loop_timer_set_in(t, POLL_MS);
		return;
	}
	if (!back)
		log_warning("babeld: %s: routes or neighbours not back after %llu ms, going on",
			    name, (unsigned long long)r->wait_ms);
	readd_next(r, now);
}

static bool is_lan(const struct babel_params *p, const char *name)
{
	for (size_t i = 0; i < p->n_lan_interfaces; i++)
		if (!strcmp(p->lan_interfaces[i], name))
			return true;
	return false;
}

/* The LAN interfaces babeld runs on, each with its line. Tunnels have no
 * key (babel_tunnel_options()): nothing to give them. */
static int plan(struct babel_rekey *r, const struct babel_params *p)
{
	const struct babel_interface *ifc;
	size_t n = babel_interfaces(r->b, &ifc);
	r->names = calloc(n + 1, sizeof(*r->names));
	r->lan_lines = calloc(n + 1, sizeof(*r->lan_lines));
	if (!r->names || !r->lan_lines)
		return -ENOMEM;
	const char *def = p->babel_default && *p->babel_default ? p->babel_default : NULL;
	for (size_t i = 0; i < n; i++) {
		size_t k = r->n;
		if (!is_lan(p, ifc[i].ifname))
			continue;
		snprintf(r->names[k], sizeof(r->names[k]), "%s", ifc[i].ifname);
		/* Runtime interface lines do not inherit babeld's "default". */
		if (asprintf(&r->lan_lines[k], "interface %s%s%s key sign%s", ifc[i].ifname,
			     def ? " " : "", def ? def : "",
			     p->hmac_accept_unsigned ? " accept-bad-signatures true" : "") < 0)
			return -ENOMEM;
		r->n++;
	}
	return 0;
}

int babel_rekey_start(struct babel_rekey **rp, struct loop *l, struct babel *b,
		      const struct babel_params *p, int how, const struct babel_rekey_hold *hold)
{
	const char *type = p->hmac_type ? p->hmac_type : "blake2s128";
	char line[64 + 2 * 64 + 1], hex[2 * 64 + 1];
	int e;

	/* Interfaces not added again yet still need the options. */
	if (*rp && ((*rp)->next < (*rp)->n || (*rp)->held))
		how = 2;
	babel_rekey_free(*rp);
	*rp = NULL;
	if (!p->hmac_sign_len || p->hmac_sign_len > 64)
		return -EINVAL;
	sodium_bin2hex(hex, sizeof(hex), p->hmac_sign, p->hmac_sign_len);
	snprintf(line, sizeof(line), "key id sign type %s value %s", type, hex);
	e = babel_command(b, line, NULL, NULL);
	sodium_memzero(hex, sizeof(hex));
	sodium_memzero(line, sizeof(line));
	if (e < 0 || how != 2)
		return e;

	struct babel_rekey *r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->b = b;
	if (hold)
		r->hold = *hold;
	/* babeld drops the first packets of a re-added interface until its
	 * neighbour answered a challenge (a new PC index), its route request
	 * among them: the routes come with the neighbour's next full update,
	 * every 4 hello intervals (LAN: babeld's 4 s hellos). */
	r->wait_ms = 8000ull * (p->hello > 4 ? p->hello : 4);
	if ((e = plan(r, p)) < 0 || (e = loop_add_timer(l, 0, 0, on_timer, r, &r->timer)) < 0) {
		babel_rekey_free(r);
		return e;
	}
	loop_timer_disarm(r->timer);
	readd_next(r, loop_now(l));
	*rp = r;
	return 0;
}
