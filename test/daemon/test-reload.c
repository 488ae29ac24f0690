/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * SIGHUP's "what changed" (daemon/reload-diff.c): every option of
 * re6stnet's table, changed alone, is reported once under its own name and
 * classified live or restart-only as reload.h documents; reload_take_live()
 * moves the live values only; identical options give no change.
 */
#include <stdio.h>
#include <string.h>

#include "options.h"
#include "reload.h"
#include "check.h"

/* A value for each option (a new option must be added here and to
 * reload-diff.c's table: this test fails until it is). */
static const struct {
	const char *name, *value;
	bool live;
} samples[] = {
	{ "registry", "http://other.example/", false },
	{ "ca", "/other/ca.crt", false },
	{ "cert", "/other/cert.crt", false },
	{ "key", "/other/cert.key", false },
	{ "state", "/other/state", false },
	{ "run", "/other/run", false },
	{ "log", "/other/log", false },
	{ "verbose", "3", true },
	{ "babel-socket", "/other/babeld.sock", false },
	{ "control-socket", "/other/re6stnet.sock", false },
	{ "interface", "eth9", false },
	{ "main-interface", "dummy9", false },
	{ "ip", "192.0.2.9", false },
	{ "client-count", "7", true },
	{ "max-clients", "70", true },
	{ "neighbour", "2001:db8:42:9::/64", true },
	{ "tunnel-type", "gre", false },
	{ "wg-port-range", "42000-42010", false },
	{ "fou-port", "5556", false },
	{ "peer-port", "327", false },
	{ "tcp-port", "443", false },
	{ "tunnel-refresh", "77", true },
	{ "rotate-share", "0.5", true },
	{ "busy-share", "0.5", true },
	{ "busy-weight", "0.5", true },
	{ "drain-limit", "99", true },
	{ "anchor", "2001:db8:42:8::/64", true },
	{ "anchor-share", "0.5", true },
	{ "country", "FR", false },
	{ "gateway", "yes", false },
	{ "default", "yes", false },
	{ "hello", "9", false },
	{ "link-cost", "1024", false },
	{ "smoothing", "4", false },
	{ "dead-after", "20", true },
	{ "metrics", "9100", true },
	{ "B", "-d1", false },
	{ "up", "true", false },
	{ "daemon", "sleep 1", false },
};

static const char *const base[] = {
	"registry http://registry.example/", "ca /etc/re6stnet/ca.crt",
	"cert /etc/re6stnet/cert.crt", "key /etc/re6stnet/cert.key",
};

static void parse(struct options *o, const char *extra)
{
	char err[256] = "";
	struct conf_parser p;
	options_init(o);
	conf_parser_init(&p, options_table, options_table_size, o, err, sizeof(err));
	for (size_t i = 0; i < ARRAY_SIZE(base); i++)
		CHECK(conf_parser_line(&p, "test", (unsigned)i + 1, base[i]) == 0, "%s", err);
	if (extra)
		CHECK(conf_parser_line(&p, "test", 9, extra) == 0, "'%s': %s", extra, err);
	CHECK(options_finish(o, err, sizeof(err)) == 0, "'%s': %s", extra ? extra : "", err);
}

int main(void)
{
	struct options a, b;
	struct reload_change ch[RELOAD_MAX_CHANGES];

	parse(&a, NULL);
	parse(&b, NULL);
	CHECK(reload_diff(&a, &b, ch, ARRAY_SIZE(ch)) == 0, "same options: no change");
	options_done(&b);

	/* Every option of the table has a sample (but --help/--version/--check). */
	for (size_t i = 0; i < options_table_size; i++) {
		const char *name = options_table[i].name;
		char shortname[2] = { options_table[i].short_name, 0 };
		if (!name)
			name = shortname;
		if (!strcmp(name, "help") || !strcmp(name, "version") || !strcmp(name, "check"))
			continue;
		bool found = false;
		for (size_t k = 0; k < ARRAY_SIZE(samples); k++)
			found |= !strcmp(samples[k].name, name);
		CHECK(found, "option '%s' has no sample here (and maybe not in reload-diff.c)", name);
	}

	for (size_t k = 0; k < ARRAY_SIZE(samples); k++) {
		char line[160];
		snprintf(line, sizeof(line), "%s %s", samples[k].name, samples[k].value);
		parse(&b, line);
		size_t n = reload_diff(&a, &b, ch, ARRAY_SIZE(ch));
		/* --run also moves the sockets' defaults: 3 changes */
		size_t want = strcmp(samples[k].name, "run") ? 1 : 3;
		CHECK(n == want && !strcmp(ch[0].name, samples[k].name) && ch[0].live == samples[k].live,
		      "'%s': %zu changes, first %s (%s)", line, n, n ? ch[0].name : "-",
		      n && ch[0].live ? "live" : "restart");
		options_done(&b);
	}

	/* Several at once: the live ones move, the others stay. */
	parse(&b, "client-count 9");
	char err[256];
	struct conf_parser p;
	conf_parser_init(&p, options_table, options_table_size, &b, err, sizeof(err));
	CHECK(conf_parser_line(&p, "t", 1, "neighbour 2001:db8:42:5::/64") == 0);
	CHECK(conf_parser_line(&p, "t", 2, "hello 7") == 0);
	CHECK(conf_parser_line(&p, "t", 3, "verbose 1") == 0);
	size_t n = reload_diff(&a, &b, ch, ARRAY_SIZE(ch));
	CHECK(n == 4, "4 changes, got %zu", n);
	reload_take_live(&a, &b);
	CHECK(a.client_count == 9 && a.verbose == 1, "live values taken (%d, %d)", a.client_count,
	      a.verbose);
	CHECK(a.neighbours.n == 1 && !strcmp(a.neighbours.v[0], "2001:db8:42:5::/64"),
	      "neighbour list taken");
	CHECK(a.hello == -1, "restart-only value kept (hello %d)", a.hello);
	CHECK(b.neighbours.n == 0 && b.client_count == -1, "the old values left in new");
	n = reload_diff(&a, &b, ch, ARRAY_SIZE(ch));
	CHECK(n == 4, "diff again: %zu", n);
	options_done(&b);
	options_done(&a);
	return check_summary();
}
