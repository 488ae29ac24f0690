/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Unit tests of the daemon's pure parts: option parsing (command line,
 * @FILE, re6stnet.conf) with bad input, the babeld line parser and command
 * line, the state database, the event loop, and the control socket spoken
 * to by the real re6stctl (path given as argv[1]).
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>

#include <sqlite3.h>

#include "babel.h"
#include "babel-guard.h"
#include "control.h"
#include "ctx.h"
#include "events.h"
#include "log.h"
#include "loglimit.h"
#include "options.h"
#include "state.h"
#include "check.h"



static char tmpdir[64];

static void write_file(const char *name, const char *text)
{
	char path[256];
	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	FILE *f = fopen(path, "w");
	fputs(text, f);
	fclose(f);
}

static int parse(struct options *o, char *err, size_t errlen, ...)
{
	char *argv[64] = { "re6stnet" };
	int argc = 1;
	va_list ap;
	va_start(ap, errlen);
	for (char *a; argc < 63 && (a = va_arg(ap, char *));)
		argv[argc++] = a;
	va_end(ap);
	options_init(o);
	err[0] = '\0';
	return options_parse_argv(o, argc, argv, err, errlen);
}

#define BASE "--registry", "http://reg.example/", "--ca", "ca", "--cert", "c", "--key", "k"

static void test_options(void)
{
	struct options o;
	char err[512];
	int r;

	r = parse(&o, err, sizeof(err), BASE, NULL);
	CHECK(r == 0, "minimal options: %s", err);
	CHECK(o.verbose == 2 && o.client_count == -1 && o.max_clients == -1, "defaults");
	CHECK(!strcmp(o.main_interface, "lo"), "main interface defaults to lo");
	CHECK(o.n_tunnel_types == 1 && o.tunnel_types[0] == TUNNEL_TYPE_WIREGUARD, "wireguard");
	CHECK(o.wg_port_first == 41000 && o.wg_port_last == 41099 && o.peer_port == 326, "ports");
	CHECK(strstr(o.control_socket, "/re6stnet.sock") && strstr(o.babel_socket, "/babeld.sock"),
	      "socket defaults under the run dir");
	options_done(&o);

	r = parse(&o, err, sizeof(err), BASE, "-v3", "-I", "eth0", "-i", "eth1", "--interface=eth2",
		  "--ip", "192.0.2.1", "--ip", "2001:db8::1", "--client-count", "4",
		  "--max-clients", "8", "--neighbour", "2001:db8:1::/48", "-B", "-d", "-B", "1",
		  "--gateway", "--country", "fr", "--tunnel-type", "gre", "--tunnel-type",
		  "wireguard", "--wg-port-range", "5000-5007", "-r", "/tmp/x", NULL);
	CHECK(r == 0, "full options: %s", err);
	CHECK(o.verbose == 3 && !strcmp(o.main_interface, "eth0"), "-v3 -I eth0");
	CHECK(o.interfaces.n == 2 && !strcmp(o.interfaces.v[1], "eth2"), "-i list");
	CHECK(o.ip.n == 2 && o.client_count == 4 && o.max_clients == 8, "ip, counts");
	CHECK(o.babel_args.n == 2 && !strcmp(o.babel_args.v[0], "-d"), "-B args");
	CHECK(o.gateway && !strcmp(o.country, "FR"), "gateway, country upper-cased");
	CHECK(o.n_tunnel_types == 2 && o.tunnel_types[0] == TUNNEL_TYPE_GRE, "tunnel type order");
	CHECK(o.wg_port_first == 5000 && o.wg_port_last == 5007, "port range");
	CHECK(!strcmp(o.control_socket, "/tmp/x/re6stnet.sock"), "socket follows -r");
	options_done(&o);

	/* getopt_long's abbreviations: a unique prefix, on the command line only. */
	r = parse(&o, err, sizeof(err), "--regis", "http://reg.example/", "--ca=ca", "--cer", "c",
		  "--ke", "k", "--tunnel-t", "gre", "--gate", NULL);
	CHECK(r == 0, "abbreviated options: %s", err);
	CHECK(o.registry && o.n_tunnel_types == 1 && o.tunnel_types[0] == TUNNEL_TYPE_GRE &&
	      o.gateway, "abbreviations set their options");
	options_done(&o);
	r = parse(&o, err, sizeof(err), BASE, "--c", "3", NULL);
	CHECK(r == -EINVAL && strstr(err, "ambiguous option '--c' (--check, --ca, ...)"),
	      "ambiguous prefix: %s", err);
	options_done(&o);
	{
		struct conf_parser p;
		options_init(&o);
		conf_parser_init(&p, options_table, options_table_size, &o, err, sizeof(err));
		r = conf_parser_line(&p, "f", 1, "regis http://reg.example/");
		CHECK(r == -EINVAL && strstr(err, "unknown option 'regis'"),
		      "no abbreviation in files: %s", err);
		options_done(&o);
	}

	/* Bad input: a clear message, never a crash. */
	static const struct {
		const char *args[4];
		const char *msg;
	} bad[] = {
		{ { "--bogus" }, "unknown option '--bogus'" },
		{ { "-x" }, "unknown option '-x'" },
		{ { "--client-count", "-1" }, "expects an integer in 0..1000" },
		{ { "--client-count", "12abc" }, "expects an integer" },
		{ { "--hello" }, "needs a value" },
		{ { "--ip", "not-an-ip" }, "neither an IPv4/IPv6 address" },
		{ { "--ip", "any", "--ip", "upnp" }, "only once" },
		{ { "--gateway", "--default" }, "conflicting options" },
		{ { "--tunnel-type", "openvpn" }, "unknown tunnel type" },
		{ { "--wg-port-range", "9-1" }, "ends before it starts" },
		{ { "--wg-port-range", "0-10" }, "expected PORT" },
		{ { "--max-clients", "200", "--wg-port-range", "1000-1009" }, "fewer ports" },
		{ { "--neighbour", "2001:db8::" }, "expected an IPv6 prefix" },
		{ { "--country", "FRA" }, "two-letter" },
		{ { "-v", "9" }, "expected a level" },
		{ { "positional" }, "unexpected argument" },
		{ { "-I", "a/b" }, "invalid interface name" },
		{ { "@/nonexistent/file" }, "No such file" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		r = parse(&o, err, sizeof(err), BASE, bad[i].args[0], bad[i].args[1], bad[i].args[2],
			  bad[i].args[3], NULL);
		CHECK(r == -EINVAL && strstr(err, bad[i].msg), "bad input %zu (%s): r=%d err='%s'", i,
		      bad[i].args[0], r, err);
		options_done(&o);
	}
	r = parse(&o, err, sizeof(err), "--ca", "x", NULL);
	CHECK(r == -EINVAL && strstr(err, "missing --registry"), "required registry: %s", err);
	options_done(&o);

	/* re6stnet.conf as re6st-conf writes it, through @FILE, and errors with file:line. */
	write_file("re6stnet.conf", "# re6stnet configuration\n"
				    "registry http://reg.example/\n"
				    "ca ca.crt\ncert cert.crt\nkey cert.key\n"
				    "#verbose 3\n"
				    "\n   client-count 3   # trailing comment\n"
				    "I eth0\n--gateway\nup ip -6 addr show dev lo\n");
	char arg[128];
	snprintf(arg, sizeof(arg), "@%s/re6stnet.conf", tmpdir);
	r = parse(&o, err, sizeof(err), arg, "--client-count", "5", NULL);
	CHECK(r == 0, "conf file: %s", err);
	CHECK(o.client_count == 5, "command line after @FILE overrides it");
	CHECK(!strcmp(o.ca, "ca.crt") && !strcmp(o.main_interface, "eth0") && o.gateway,
	      "file values");
	CHECK(o.up && !strcmp(o.up, "ip -6 addr show dev lo"), "value keeps its spaces");
	CHECK(o.verbose == 2, "commented line ignored");
	options_done(&o);

	write_file("bad.conf", "registry http://reg.example/\n\nclient-count many\n");
	snprintf(arg, sizeof(arg), "@%s/bad.conf", tmpdir);
	r = parse(&o, err, sizeof(err), arg, NULL);
	CHECK(r == -EINVAL && strstr(err, "bad.conf:3: option --client-count"), "file:line: %s", err);
	options_done(&o);

	write_file("loop.conf", "@loop.conf\n");
	char cwd[256];
	if (!getcwd(cwd, sizeof(cwd)) || chdir(tmpdir) < 0)
		abort();
	r = parse(&o, err, sizeof(err), "@loop.conf", NULL);
	CHECK(r < 0 && strstr(err, "deep"), "include loop stopped: %s", err);
	options_done(&o);
	if (chdir(cwd) < 0)
		abort();

	/* The pure line API. */
	struct conf_parser p;
	options_init(&o);
	conf_parser_init(&p, options_table, options_table_size, &o, err, sizeof(err));
	p.no_include = true;
	CHECK(conf_parser_line(&p, "f", 1, "gateway yes") == 0 && o.gateway, "flag yes");
	CHECK(conf_parser_line(&p, "f", 2, "gateway maybe") == -EINVAL, "flag maybe");
	CHECK(conf_parser_line(&p, "f", 3, "@x") == -EINVAL && strstr(err, "not allowed"), "no include");
	CHECK(conf_parser_line(&p, "f", 4, "hello=7") == 0 && o.hello == 7, "name=value");
	CHECK(conf_parser_buffer(&p, "f", "a\0b", 3) == -EINVAL && strstr(err, "NUL"), "NUL byte");
	char big[CONF_MAX_LINE + 10];
	memset(big, 'a', sizeof(big));
	CHECK(conf_parser_buffer(&p, "f", big, sizeof(big)) == -EINVAL && strstr(err, "longer"),
	      "long line");
	CHECK(conf_parser_line(&p, "f", 5, "registry\x01x") == -EINVAL, "control char");
	options_done(&o);

	FILE *f = fopen("/dev/null", "w");
	options_help(f);
	fclose(f);
	r = parse(&o, err, sizeof(err), "--version", NULL);
	CHECK(r == 1, "--version returns 1");
	options_done(&o);
}

static void test_babel_parse(void)
{
	struct babel_event ev;
	int r = babel_parse_line("add route 55d0c1f0 prefix 2001:db8:42:2::/64 from ::/0 installed yes "
				 "id 2e:13:7a:b2:b4:9b:71:bf metric 96 refmetric 0 via fe80::1 if veth0",
				 &ev);
	CHECK(r == 0 && ev.type == BABEL_LINE_ROUTE && ev.change == BABEL_ADD, "route line");
	char buf[PREFIX_STRLEN];
	CHECK(!strcmp(prefix_format(&ev.route.prefix, buf), "2001:db8:42:2::/64"), "route prefix");
	CHECK(ev.route.installed && ev.route.metric == 96 && !strcmp(ev.route.ifname, "veth0") &&
		      ev.route.via[0] == 0xfe && !strcmp(ev.route.id, "55d0c1f0"),
	      "route fields");
	r = babel_parse_line("flush neighbour 5 address fe80::2 if wg0 reach ff00 ureach 0000 rxcost 96 "
			     "txcost 65535 rtt 12.345 rttcost 40 cost 65535",
			     &ev);
	CHECK(r == 0 && ev.type == BABEL_LINE_NEIGHBOUR && ev.change == BABEL_FLUSH &&
		      ev.neighbour.reach == 0xff00 && ev.neighbour.rtt_us == 12345 &&
		      ev.neighbour.txcost == 65535,
	      "neighbour");
	/* babeld 1.12 after "flush interface": the freed interface's name is empty. */
	r = babel_parse_line("flush neighbour 55906632d720 address fe80::8aa:12ff:fe3c:2ce7 if  reach "
			     "0000 ureach 0000 rxcost 65535 txcost 65535 cost 65535",
			     &ev);
	CHECK(r == 0 && ev.type == BABEL_LINE_NEIGHBOUR && ev.change == BABEL_FLUSH &&
		      !strcmp(ev.neighbour.id, "55906632d720") && ev.neighbour.ifname[0] == '\0' &&
		      ev.neighbour.reach == 0 && ev.neighbour.cost == 65535,
	      "neighbour of a flushed interface");
	r = babel_parse_line("change neighbour 1 address fe80::1 if  reach 8000 ureach 0000 rxcost 96 "
			     "txcost 96 rtt 0.500 rttcost 0 cost 96",
			     &ev);
	CHECK(r == 0 && ev.type == BABEL_LINE_NEIGHBOUR && ev.change == BABEL_CHANGE &&
		      ev.neighbour.ifname[0] == '\0' && ev.neighbour.rtt_us == 500,
	      "change of a neighbour of a flushed interface");
	/* The freed name as babeld prints it under MALLOC_PERTURB_ (0xef bytes). */
	r = babel_parse_line("change neighbour 5650cf657800 address fe80::331e:7539:cfb3:b744 if "
			     "\xef\xef\xef\xef\xef\xef\xef\xef\xef\xef\xef\xef\xef\xef\xef\xef"
			     "\xef\xef\xef\xef reach 8000 rxcost 96 txcost 96 cost 96",
			     &ev);
	CHECK(r == 0 && ev.type == BABEL_LINE_NEIGHBOUR && ev.neighbour.ifname[0] == '\0' &&
		      !strcmp(ev.neighbour.id, "5650cf657800"),
	      "neighbour of a flushed interface, garbage name");
	r = babel_parse_line("change neighbour 1 address fe80::1 if w\x01g reach 8000 rxcost 96 "
			     "txcost 96 cost 96",
			     &ev);
	CHECK(r == 0 && ev.neighbour.ifname[0] == '\0', "neighbour with a control byte in its name");
	r = babel_parse_line("change interface wg0 up true ipv6 fe80::3", &ev);
	CHECK(r == 0 && ev.type == BABEL_LINE_INTERFACE && ev.interface.up && ev.interface.has_ipv6,
	      "interface");
	r = babel_parse_line("add route 1 prefix 10.1.0.0/16 from 0.0.0.0/0 installed no id x metric "
			     "65535 refmetric 1 via 10.0.0.2 if eth0",
			     &ev);
	CHECK(r == 0 && ev.route.prefix.len == 112 &&
		      !strcmp(babel_format_prefix(&ev.route.prefix, buf), "10.1.0.0/16"),
	      "ipv4 route mapped");
	CHECK(babel_parse_line("ok", &ev) == 0 && ev.type == BABEL_LINE_OK, "ok");
	CHECK(babel_parse_line("bad", &ev) == 0 && ev.type == BABEL_LINE_BAD, "bad");
	CHECK(babel_parse_line("no such interface", &ev) == 0 && ev.type == BABEL_LINE_NO &&
		      !strcmp(ev.msg, "such interface"),
	      "no + message");
	CHECK(babel_parse_line("my-id 02:00:00:00:00:00:00:01", &ev) == 0 &&
		      ev.type == BABEL_LINE_HEADER && !strcmp(ev.msg, "02:00:00:00:00:00:00:01"),
	      "my-id");
	CHECK(babel_parse_line("something else entirely", &ev) == 0 && ev.type == BABEL_LINE_OTHER,
	      "other");
	static const char *const bad[] = {
		"add route 1 prefix 2001:db8::/129 from ::/0 installed yes id x metric 1 via fe80::1 if a",
		"add route 1 prefix 2001:db8::/64 from ::/0 installed maybe id x metric 1 via fe80::1 if a",
		"add route 1 prefix 2001:db8::/64 installed yes id x metric 70000 via fe80::1 if a",
		"add route 1 prefix 2001:db8::/64 installed yes id x metric 1 via nothing if a",
		"add route 1 prefix 2001:db8::/64 installed yes id x metric 1 via fe80::1 if waytoolonginterfacename",
		"add route 1 prefix 2001:db8::/64 installed yes id x metric 1 via fe80::1",
		"add route 1 prefix",
		"add neighbour 1 address fe80::1 if a reach xyz rxcost 1 txcost 1 cost 1",
		"add neighbour 1 address fe80::1 if a reach ffff rxcost -1 txcost 1 cost 1",
		"add neighbour 1 address fe80::1 if a reach ffff rxcost 1 txcost 1 cost 1 rtt 1.2",
		/* an empty field is accepted only as a neighbour's interface name */
		"add neighbour 1 address fe80::1 if reach ffff rxcost 1 txcost 1 cost 1",
		"add neighbour 1 address  if a reach ffff rxcost 1 txcost 1 cost 1",
		"add neighbour  address fe80::1 if a reach ffff rxcost 1 txcost 1 cost 1",
		"add neighbour 1 address fe80::1 if  reach  rxcost 1 txcost 1 cost 1",
		"add neighbour 1 address fe80::1 if   reach ffff rxcost 1 txcost 1 cost 1",
		"add neighbour 1 address fe80::1 if a reach ffff rxcost 1 txcost 1 cost 1 ",
		"add route 1 prefix 2001:db8::/64 installed yes id x metric 1 via fe80::1 if ",
		"add route 1 prefix 2001:db8::/64 installed yes id x metric 1 via fe80::1 if  x y",
		"add interface  up true",
		"add interface x up perhaps",
		"add xroute a prefix nope",
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		CHECK(babel_parse_line(bad[i], &ev) == -EBADMSG, "bad line %zu rejected", i);
	char longline[1100];
	memset(longline, 'a', sizeof(longline) - 1);
	longline[sizeof(longline) - 1] = '\0';
	CHECK(babel_parse_line(longline, &ev) == -EBADMSG, "long line rejected");
}

static bool argv_has(char **argv, const char *s)
{
	for (; *argv; argv++)
		if (!strcmp(*argv, s))
			return true;
	return false;
}

static void test_babel_argv(void)
{
	struct babel_params p = { .socket_path = "/run/x/babeld.sock", .hello = 4 };
	prefix_parse("2001:db8::/32", &p.network);
	prefix_parse("2001:db8:1::/48", &p.node_prefix);
	p.node_addr[0] = 0x20, p.node_addr[1] = 0x01, p.node_addr[2] = 0x0d, p.node_addr[3] = 0xb8;
	p.node_addr[5] = 1, p.node_addr[15] = 1;
	for (int i = 0; i < 8; i++)
		p.router_id[i] = (uint8_t)(i + 1);
	uint8_t key[16] = { 0xab };
	p.hmac_sign = key;
	p.hmac_sign_len = sizeof(key);
	char **argv = NULL;
	CHECK(babel_build_argv(&p, &argv) == -EINVAL, "a key needs a key file");
	p.key_path = "/var/lib/x/babeld.keys";
	CHECK(babel_build_argv(&p, &argv) == 0, "argv");
	CHECK(argv_has(argv, "router-id 01:02:03:04:05:06:07:08"), "router-id");
	CHECK(argv_has(argv, "-G") && argv_has(argv, "/run/x/babeld.sock"), "local rw socket");
	bool lan_hello = false;
	for (size_t i = 0; argv[i] && argv[i + 1]; i++)
		lan_hello |= !strcmp(argv[i], "-H") && !strcmp(argv[i + 1], "4");
	CHECK(lan_hello, "LAN interfaces hello at the network's interval");
	CHECK(argv_has(argv, "redistribute local deny") && argv_has(argv, "redistribute deny"),
	      "redistribute deny");
	CHECK(argv_has(argv, "redistribute ip 2001:db8:1::/48 eq 48"), "own prefix only");
	CHECK(argv_has(argv, "install pref-src 2001:db8:1::1"), "pref-src");
	CHECK(argv_has(argv, "install ip ::/0 eq 0 src-ip ::/0 src-eq 0 src-prefix 2001:db8::/32"),
	      "source-specific default route");
	CHECK(argv_has(argv, "-c") && argv_has(argv, "/var/lib/x/babeld.keys"), "key file");
	for (char **a = argv; *a; a++)
		CHECK(!strstr(*a, "ab0000") && !strstr(*a, "key id"), "no key in argv: %s", *a);
	char *text = NULL;
	uint8_t old[32] = { 0xcd };
	p.hmac_accept = old;
	p.hmac_accept_len = sizeof(old);
	CHECK(babel_key_file_text(&p, &text) == 0 && text &&
		      strstr(text, "\nkey id sign type blake2s128 value ab000000000000000000000000000000\n") &&
		      strstr(text, "\nkey id accept type blake2s128 value cd00"),
	      "key file text: %s", text ? text : "(none)");
	free(text);
	p.hmac_accept_len = 0;
	CHECK(argv_has(argv, "lo"), "lo as placeholder interface");
	/* LAN interfaces: on the command line, given the key in the key file
	 * (after the key: babeld reads the file after every -C statement). */
	char *lan[] = { "eth1", "br-lan" };
	p.lan_interfaces = lan;
	p.n_lan_interfaces = 2;
	CHECK(babel_key_file_text(&p, &text) == 0 && text &&
		      strstr(text, "value ab000000000000000000000000000000\ninterface eth1 key sign\n"
				   "interface br-lan key sign\n"),
	      "LAN interfaces signed: %s", text ? text : "(none)");
	free(text);
	p.hmac_accept_unsigned = true;
	CHECK(babel_key_file_text(&p, &text) == 0 && text &&
		      strstr(text, "\ninterface eth1 key sign accept-bad-signatures true\n"),
	      "init step: LAN interfaces accept packets without HMAC: %s", text ? text : "(none)");
	free(text);
	p.hmac_accept_unsigned = false;
	char *bad_lan[] = { "eth1 key x" };
	p.lan_interfaces = bad_lan;
	p.n_lan_interfaces = 1;
	CHECK(babel_key_file_text(&p, &text) == -EINVAL, "interface name with a space refused");
	p.n_lan_interfaces = 0;
	babel_argv_free(argv);
	p.gateway = true;
	CHECK(babel_build_argv(&p, &argv) == 0, "argv gateway");
	CHECK(argv_has(argv, "redistribute ip ::/0 eq 0 src-prefix 2001:db8::/32"), "gateway");
	babel_argv_free(argv);
	p.gateway = false;
	p.default_route = true;
	CHECK(babel_build_argv(&p, &argv) == 0, "argv default");
	CHECK(argv_has(argv, "ipv6-subtrees false") && argv_has(argv, "out ip ::/0 eq 0 deny"),
	      "--default");
	babel_argv_free(argv);
	/* The route-selection hysteresis: babeld's own smoothing unless set. */
	CHECK(babel_build_argv(&p, &argv) == 0 && !argv_has(argv, "smoothing-half-life 4") &&
		      !argv_has(argv, "smoothing-half-life 0"),
	      "smoothing 0: babeld's default");
	babel_argv_free(argv);
	p.smoothing = 8;
	CHECK(babel_build_argv(&p, &argv) == 0 && argv_has(argv, "smoothing-half-life 8"),
	      "smoothing 8");
	babel_argv_free(argv);
	p.smoothing = -1;
	CHECK(babel_build_argv(&p, &argv) == 0 && argv_has(argv, "smoothing-half-life 0"),
	      "smoothing none");
	babel_argv_free(argv);
	p.smoothing = 0;
	/* rtt-min: a hop costs its RTT x the penalty's slope, at least the link cost. */
	CHECK(babel_rtt_min_ms(512) == 46 && babel_rtt_min_ms(256) == 24 &&
		      babel_rtt_min_ms(4096) == 225,
	      "rtt-min %u %u %u", babel_rtt_min_ms(512), babel_rtt_min_ms(256),
	      babel_rtt_min_ms(4096));
	/* babeld's cost of a loss-free link is rxcost^2 / 256, rounded: the
	 * closest to the link cost that an rxcost gives. */
#define SQ256(r) ((((r) * (r)) + 128) >> 8)
#define DIST(a, b) ((a) > (b) ? (a) - (b) : (b) - (a))
	for (unsigned c = 256; c <= 4096; c++) {
		unsigned r = babel_rxcost(c);
		if (DIST(SQ256(r), c) > DIST(SQ256(r - 1), c) || DIST(SQ256(r), c) > DIST(SQ256(r + 1), c))
			CHECK(false, "rxcost %u for cost %u gives %u", r, c, SQ256(r));
	}
#undef SQ256
#undef DIST
	CHECK(babel_rxcost(512) == 362 && babel_rxcost(256) == 256, "rxcost %u %u",
	      babel_rxcost(512), babel_rxcost(256));
	p.link_cost = 512;
	p.hello = 1;
	p.hmac_accept_unsigned = true;
	char *opts = babel_tunnel_options(&p);
	CHECK(opts && strstr(opts, "type tunnel link-quality true rxcost 362 hello-interval 1 "
				   "rtt-min 46 rtt-max 500 max-rtt-penalty 5000 rtt-decay 125"),
	      "tunnel options: %s", opts ? opts : "(none)");
	CHECK(opts && !strstr(opts, "key") && !strstr(opts, "signatures"),
	      "tunnels carry no HMAC key, even with one (%s)", opts ? opts : "(none)");
	free(opts);
	p.hmac_accept_unsigned = false;
	p.hmac_sign_len = 65;
	CHECK(babel_build_argv(&p, &argv) == -EINVAL, "oversized key refused");
	p.hmac_sign_len = sizeof(key);
	p.default_route = false;

	/* Routes no neighbour may give (babel-guard.h), ahead of every other
	 * install statement (babeld takes the first that matches). */
	p.max_prefix_len = 48;
	p.has_ipv4 = true;
	snprintf(p.ipv4_prefix, sizeof(p.ipv4_prefix), "10.42.3.0/24");
	snprintf(p.ipv4_addr, sizeof(p.ipv4_addr), "10.42.3.1");
	snprintf(p.ipv4_network, sizeof(p.ipv4_network), "10.42.0.0/16");
	CHECK(babel_build_argv(&p, &argv) == 0, "argv with refusals");
	static const char *const refusals[] = {
		"install ip 2001:db8:1::/48 deny", "install ip 2001:db8::/32 ge 49 deny",
		"install ip 10.42.3.0/24 deny", "install ip 10.42.0.0/16 ge 25 deny",
	};
	size_t first = 0, pref_src = 0;
	for (size_t i = 0; argv[i]; i++) {
		if (!first && !strncmp(argv[i], "install ", 8))
			first = i;
		if (!strcmp(argv[i], "install pref-src 2001:db8:1::1"))
			pref_src = i;
	}
	for (size_t k = 0; k < ARRAY_SIZE(refusals); k++)
		CHECK(argv_has(argv, refusals[k]) && !strcmp(argv[first + 2 * k], refusals[k]),
		      "refusal %zu first among install statements: %s", k, refusals[k]);
	CHECK(pref_src > first + 6, "pref-src after the refusals");
	babel_argv_free(argv);
	struct babel_refusal r[BABEL_MAX_REFUSALS];
	size_t nr = 0;
	CHECK(babel_refusals(&p, r, &nr) == 0 && nr == 4, "4 refusals (%zu)", nr);
	static const struct {
		const char *prefix;
		bool refused;
	} routes[] = {
		{ "2001:db8:1::/48", true },    { "2001:db8:1:8000::/49", true },
		{ "2001:db8:1::/47", false },   { "2001:db8:2::/48", false },
		{ "2001:db8:2::/49", true },    { "2001:db8:2::/128", true },
		{ "2001:db9::/64", false },     { "::/0", false },
		{ "10.42.3.0/24", true },       { "10.42.3.128/25", true },
		{ "10.42.4.0/24", false },      { "10.42.4.0/25", true },
		{ "10.43.0.0/25", false },      { "0.0.0.0/0", false },
	};
	for (size_t k = 0; k < ARRAY_SIZE(routes); k++) {
		struct re6st_prefix rp;
		CHECK(babel_parse_prefix(routes[k].prefix, &rp) == 0, "%s", routes[k].prefix);
		CHECK(!!babel_refused(r, nr, &rp) == routes[k].refused, "%s %s", routes[k].prefix,
		      routes[k].refused ? "refused" : "accepted");
	}
	p.max_prefix_len = 0;
	snprintf(p.ipv4_network, sizeof(p.ipv4_network), "nonsense");
	CHECK(babel_refusals(&p, r, &nr) == -EINVAL, "bad IPv4 network refused");
	p.has_ipv4 = false;
	CHECK(babel_refusals(&p, r, &nr) == 0 && nr == 1, "no limit: the own prefix only");
}

static void test_state(void)
{
	char path[128];
	snprintf(path, sizeof(path), "%s/cache.db", tmpdir);
	struct state *s = NULL;
	CHECK(state_open(path, &s) == 0, "open");
	uint8_t *v;
	size_t n;
	CHECK(state_get_blob(s, "nothing", &v, &n) == -ENOENT, "missing key");
	CHECK(state_set_blob(s, STATE_KEY_NETCONF, "abc", 3) == 0, "set blob");
	CHECK(state_set_u64(s, "x", 0x0102030405060708ULL) == 0, "set u64");

	struct re6st_prefix a, b;
	prefix_parse("2001:db8:1::/48", &a);
	prefix_parse("2001:db8:2::/48", &b);
	CHECK(state_peer_put(s, &a, "192.0.2.1,41000,wg", 100) == 0, "peer a");
	CHECK(state_peer_put(s, &b, "192.0.2.2,41000,wg", 200) == 0, "peer b");
	CHECK(state_peer_put(s, &a, NULL, 300) == 0, "peer a seen again");
	struct state_peer sp;
	CHECK(state_peer_get(s, &a, &sp) == 0 && sp.last_seen == 300 &&
		      !strcmp(sp.endpoints, "192.0.2.1,41000,wg"),
	      "endpoints kept when NULL");
	free(sp.endpoints);
	struct re6st_prefix ask[3] = { b, a };
	prefix_parse("2001:db8:3::/48", &ask[2]);
	bool cached[3] = { false, false, true };
	size_t count = 0;
	CHECK(state_peers_cached(s, ask, 3, cached, &count) == 0 && count == 2 && cached[0] &&
		      cached[1] && !cached[2],
	      "cached: b and a yes, c no, 2 in all (%zu: %d %d %d)", count, cached[0], cached[1],
	      cached[2]);
	CHECK(state_peers_cached(s, ask, 0, cached, &count) == 0 && count == 2,
	      "nothing asked: only the count");
	CHECK(state_peer_put(s, &ask[2], "192.0.2.3,41000,wg", 400) == 0 &&
		      state_peers_cached(s, ask + 2, 1, cached, &count) == 0 && cached[0] &&
		      count == 3 && state_peer_remove(s, &ask[2]) == 0,
	      "the transaction ended: a write after it is seen");
	CHECK(state_journal_add(s, STATE_OBJ_LINK, "re6stc0", "wireguard") == 0, "journal link");
	CHECK(state_journal_add(s, STATE_OBJ_ADDRESS, "lo", "2001:db8:1::1/48") == 0, "journal addr");
	CHECK(state_journal_add(s, STATE_OBJ_LINK, "re6stc0", "wireguard") == 0, "idempotent");
	char longname[40];
	memset(longname, 'x', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = 0;
	CHECK(state_journal_add(s, STATE_OBJ_LINK, longname, "x") == -EINVAL, "long ifname");
	state_close(s);

	/* Everything survives a reopen (as after kill -9). */
	CHECK(state_open(path, &s) == 0, "reopen");
	CHECK(state_get_blob(s, STATE_KEY_NETCONF, &v, &n) == 0 && n == 3 && !memcmp(v, "abc", 3),
	      "blob persisted");
	free(v);
	uint64_t x;
	CHECK(state_get_u64(s, "x", &x) == 0 && x == 0x0102030405060708ULL, "u64 persisted");
	struct state_object *objs;
	CHECK(state_journal_list(s, &objs, &n) == 0 && n == 2 && objs[0].type == STATE_OBJ_ADDRESS,
	      "journal persisted, newest first");
	free(objs);
	CHECK(state_journal_remove(s, STATE_OBJ_LINK, "re6stc0", "wireguard") == 0, "journal rm");
	CHECK(state_journal_list(s, &objs, &n) == 0 && n == 1, "one left");
	free(objs);
	struct state_peer *peers;
	CHECK(state_peer_list(s, 0, &peers, &n) == 0 && n == 2, "two peers");
	state_peers_free(peers, n);
	CHECK(state_peer_prune(s, 1) == 0, "prune");
	CHECK(state_peer_list(s, 0, &peers, &n) == 0 && n == 1 && peers[0].last_seen == 300,
	      "most recent kept");
	state_peers_free(peers, n);
	state_close(s);
	state_close(NULL);

	/* A corrupt database is an error, not a crash. */
	write_file("corrupt.db", "this is not a database, not at all, really not............");
	snprintf(path, sizeof(path), "%s/corrupt.db", tmpdir);
	s = NULL;
	int r = state_open(path, &s);
	CHECK(r == -EIO, "corrupt db refused (%d)", r);
	state_close(s);
}

static int user_version(const char *path)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	int v = -1;
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
	    sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return v;
}

/* A cache.db written by the previous release (no schema version) is
 * migrated forward with its data; a newer one is refused, untouched. */
static void test_state_schema(void)
{
	char path[128];
	snprintf(path, sizeof(path), "%s/old-cache.db", tmpdir);
	sqlite3 *db = NULL;
	CHECK(sqlite3_open(path, &db) == SQLITE_OK &&
		      sqlite3_exec(db,
				   /* the schema of the release before versions, verbatim */
				   "CREATE TABLE IF NOT EXISTS setting (key TEXT PRIMARY KEY, value BLOB NOT NULL);"
				   "CREATE TABLE IF NOT EXISTS peer (prefix TEXT PRIMARY KEY, endpoints TEXT,"
				   "  last_seen INTEGER NOT NULL);"
				   "CREATE TABLE IF NOT EXISTS journal (type INTEGER NOT NULL, ifname TEXT NOT NULL,"
				   "  data TEXT NOT NULL, created INTEGER NOT NULL,"
				   "  PRIMARY KEY (type, ifname, data));"
				   "INSERT INTO peer VALUES ('2001:db8:7::/48', '192.0.2.7,326,wg', 77);"
				   "INSERT INTO journal VALUES (1, 're6stc1', 'wireguard', 5);",
				   NULL, NULL, NULL) == SQLITE_OK,
	      "previous release's cache.db made");
	sqlite3_close(db);
	CHECK_EQ(user_version(path), 0);

	struct state *s = NULL;
	CHECK_EQ(state_open(path, &s), 0);
	CHECK_EQ(user_version(path), STATE_SCHEMA_VERSION);
	struct re6st_prefix p;
	struct state_peer sp = { 0 };
	prefix_parse("2001:db8:7::/48", &p);
	CHECK(s && state_peer_get(s, &p, &sp) == 0 && sp.last_seen == 77 &&
		      !strcmp(sp.endpoints, "192.0.2.7,326,wg"),
	      "peer kept across the migration");
	free(sp.endpoints);
	struct state_object *objs = NULL;
	size_t n = 0;
	CHECK(s && state_journal_list(s, &objs, &n) == 0 && n == 1, "journal kept");
	free(objs);
	state_close(s);
	s = NULL;

	/* Reopening a current file changes nothing. */
	CHECK_EQ(state_open(path, &s), 0);
	state_close(s);
	s = NULL;
	CHECK_EQ(user_version(path), STATE_SCHEMA_VERSION);

	/* A file from a newer re6stnet: refused with a message, not touched. */
	CHECK(sqlite3_open(path, &db) == SQLITE_OK &&
		      sqlite3_exec(db, "PRAGMA user_version = 99;", NULL, NULL, NULL) == SQLITE_OK,
	      "made newer");
	sqlite3_close(db);
	CHECK_EQ(state_open(path, &s), -EPROTONOSUPPORT);
	CHECK(s == NULL);
	CHECK_EQ(user_version(path), 99);
}

struct loop_probe {
	struct loop_timer *first;
	int n;
	int periodic;
	int io;
	int sig;
	int child_status;
	pid_t child;
	int waited;
};

static void on_timer(struct loop *l, struct loop_timer *t, void *ud)
{
	struct loop_probe *p = ud;
	if (!p->n++)
		p->first = t;
}

static void on_periodic(struct loop *l, struct loop_timer *t, void *ud)
{
	struct loop_probe *p = ud;
	if (++p->periodic == 3)
		loop_timer_remove(t);
}

static void on_pipe(struct loop *l, int fd, short revents, void *ud)
{
	struct loop_probe *p = ud;
	char c;
	if (read(fd, &c, 1) == 1)
		p->io++;
}

static void on_sig(struct loop *l, const struct signalfd_siginfo *si, void *ud)
{
	((struct loop_probe *)ud)->sig = (int)si->ssi_signo;
}

static void on_child(struct loop *l, pid_t pid, int status, void *ud)
{
	struct loop_probe *p = ud;
	p->child = pid;
	p->child_status = status;
}

static void on_exit_timer(struct loop *l, struct loop_timer *t, void *ud)
{
	struct loop_probe *p = ud;
	/* Wait for everything expected (a loaded machine is slow), at most 5 s. */
	if ((p->child && p->sig && p->io == 2 && p->periodic == 3 && p->n == 2) ||
	    ++p->waited > 250)
		loop_exit(l, 42);
	else
		loop_timer_set_in(t, 20);
}

static void test_loop(void)
{
	struct loop *l = NULL;
	struct loop_probe p = { .n = 0 };
	CHECK(loop_new(&l) == 0, "loop");
	uint64_t now = loop_clock_ms();
	struct loop_timer *t1, *t2;
	CHECK(loop_add_timer(l, now + 30, 0, on_timer, &p, &t1) == 0, "timer");
	CHECK(loop_add_timer(l, now + 10, 0, on_timer, &p, &t2) == 0, "timer");
	CHECK(loop_add_timer(l, now, 5, on_periodic, &p, NULL) == 0, "periodic");
	int fds[2];
	CHECK(pipe(fds) == 0, "pipe");
	struct loop_io *io;
	CHECK(loop_add_io(l, fds[0], POLLIN, on_pipe, &p, &io) == 0, "io");
	CHECK(write(fds[1], "ab", 2) == 2, "write");
	CHECK(loop_add_signal(l, SIGUSR2, on_sig, &p) == 0, "signal");
	raise(SIGUSR2);
	char *argv[] = { "/bin/sh", "-c", "exit 3", NULL };
	pid_t pid;
	CHECK(loop_spawn(argv, NULL, &pid) == 0, "spawn");
	CHECK(loop_watch_child(l, pid, on_child, &p) == 0, "watch");
	CHECK(loop_add_timer(l, now + 300, 0, on_exit_timer, &p, NULL) == 0, "exit timer");
	int r = loop_run(l);
	CHECK(r == 42, "loop_exit code (%d)", r);
	CHECK(p.n == 2 && !loop_timer_armed(t1) && !loop_timer_armed(t2), "one-shot timers fired once");
	CHECK(p.first == t2, "earliest timer first");
	CHECK(p.periodic == 3, "periodic timer fired until removed (%d)", p.periodic);
	CHECK(p.io == 2, "io read twice (%d)", p.io);
	CHECK(p.sig == SIGUSR2, "signal through signalfd");
	CHECK(p.child == pid && WIFEXITED(p.child_status) && WEXITSTATUS(p.child_status) == 3,
	      "child reaped with its status");
	loop_io_remove(io);
	close(fds[0]);
	close(fds[1]);
	loop_free(l);
}

/* Timer slack: a timer may fire early only on a wake-up the loop makes
 * anyway, never before its time on its own; loop_timer_set() clears it. */
static void on_stamp(struct loop *l, struct loop_timer *t, void *ud)
{
	*(uint64_t *)ud = loop_now(l);
}

static void test_loop_slack(void)
{
	struct loop *l = NULL;
	CHECK(loop_new(&l) == 0, "loop");
	uint64_t t0 = loop_clock_ms(), at_a = 0, at_b = 0, at_c = 0, at_d = 0, at_e = 0;
	struct loop_timer *a, *b, *c, *d, *e;
	CHECK(loop_add_timer(l, t0 + 200, 0, on_stamp, &at_a, &a) == 0, "timer a");
	CHECK(loop_add_timer(l, 0, 0, on_stamp, &at_b, &b) == 0, "timer b");
	CHECK(loop_add_timer(l, 0, 0, on_stamp, &at_c, &c) == 0, "timer c");
	CHECK(loop_add_timer(l, 0, 0, on_stamp, &at_d, &d) == 0, "timer d");
	CHECK(loop_add_timer(l, t0 + 1200, 0, on_stamp, &at_e, &e) == 0, "timer e");
	/* Far apart, so that a loaded machine's late wake-ups change nothing. */
	loop_timer_set_slack(b, t0 + 1000, 900); /* joins a's wake-up at 200 */
	loop_timer_set_slack(c, t0 + 2000, 100); /* nothing wakes the loop from 1900: on time */
	loop_timer_set_slack(d, t0 + 1300, 500);
	loop_timer_set(d, t0 + 1300); /* slack cleared: not with e at 1200 */
	uint64_t end = t0 + 5000;
	while (!(at_a && at_b && at_c && at_d && at_e) && loop_clock_ms() < end)
		CHECK(loop_run_once(l, 1000) == 0, "loop_run_once");
	CHECK(at_a >= t0 + 200, "a on time (%" PRIu64 " ms)", at_a - t0);
	CHECK(at_b == at_a && at_b < t0 + 1000,
	      "b early, in a's wake-up (a at %" PRIu64 ", b at %" PRIu64 " ms)", at_a - t0,
	      at_b - t0);
	CHECK(at_c >= t0 + 2000, "c not early without a wake-up (%" PRIu64 " ms)", at_c - t0);
	CHECK(at_d >= t0 + 1300, "d's slack cleared by loop_timer_set (%" PRIu64 " ms)", at_d - t0);
	CHECK(!loop_timer_armed(b) && !loop_timer_armed(c), "one-shot timers with slack disarmed");
	loop_free(l);
}

/* The coarse clock (loop.h): a timer is due on the wake-up its poll()
 * timed out for (a clock a tick behind would leave it for another wake-up
 * a few ms later), and no reading is below an earlier one. */
static void test_loop_clock(void)
{
	struct loop *l = NULL;
	CHECK(loop_new(&l) == 0, "loop");
	uint64_t at = 0, prev = loop_clock_ms();
	struct loop_timer *t;
	CHECK(loop_add_timer(l, 0, 0, on_stamp, &at, &t) == 0, "timer");
	int missed = 0, back = 0;
	for (int k = 0; k < 20; k++) {
		at = 0;
		uint64_t when = loop_clock_ms() + 3 + (uint64_t)k;
		loop_timer_set(t, when);
		CHECK(loop_run_once(l, -1) == 0, "sleep until the timer");
		CHECK(loop_run_once(l, 0) == 0, "fire what is due");
		missed += at < when;
		uint64_t now = loop_clock_ms();
		back += now < prev;
		prev = now;
	}
	CHECK(missed == 0, "each timer due after the poll() that slept for it (%d of 20 not)", missed);
	CHECK(back == 0, "the clock never went back (%d of 20 readings)", back);
	loop_free(l);
}

static int cmd_echo(struct ctx *c, const char *args, struct jbuf *o)
{
	jbuf_append(o, "{\"tunnels\": [{\"interface\": \"re6stc0\", \"peer\": ");
	jbuf_string(o, args);
	jbuf_append(o, "}], \"count\": 1}");
	return 0;
}

static int cmd_fail(struct ctx *c, const char *args, struct jbuf *o)
{
	jbuf_append(o, "{\"partial");
	return -EAGAIN;
}

static int run_ctl(struct loop *l, const char *ctl, const char *cmd, char *out, size_t outlen)
{
	char script[1024], outfile[128];
	snprintf(outfile, sizeof(outfile), "%s/ctl.out", tmpdir);
	snprintf(script, sizeof(script), "%s -s %s/ctl.sock %s > %s 2>&1", ctl, tmpdir, cmd, outfile);
	char *argv[] = { "/bin/sh", "-c", script, NULL };
	pid_t pid;
	struct loop_probe p = { .child = 0 };
	if (loop_spawn(argv, NULL, &pid) < 0 || loop_watch_child(l, pid, on_child, &p) < 0)
		return -1;
	uint64_t deadline = loop_clock_ms() + 10000;
	while (!p.child && loop_clock_ms() < deadline)
		loop_run_once(l, 100);
	FILE *f = fopen(outfile, "r");
	size_t n = f ? fread(out, 1, outlen - 1, f) : 0;
	out[n] = '\0';
	if (f)
		fclose(f);
	return WIFEXITED(p.child_status) ? WEXITSTATUS(p.child_status) : -1;
}

static int connect_unix(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	if (strlen(path) >= sizeof(sun.sun_path))
		return -1;
	memcpy(sun.sun_path, path, strlen(path) + 1);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		close(fd);
		fd = -1;
	}
	return fd;
}

/* 16 clients that connect and say nothing (all the slots) do not lock
 * re6stctl out, and idle clients are closed after 3 s. */
static void test_control_idle(struct ctx *c, const char *ctl, const char *path)
{
	int idle[16];
	int n = 0;
	for (int i = 0; i < 16; i++) {
		idle[i] = connect_unix(path);
		n += idle[i] >= 0;
		loop_run_once(c->loop, 10); /* accepted one at a time */
	}
	CHECK(n == 16, "16 idle clients connected (%d)", n);
	char out[4096];
	uint64_t t0 = loop_clock_ms();
	int rc = run_ctl(c->loop, ctl, "status", out, sizeof(out));
	CHECK(rc == 0 && strstr(out, "2001:db8:1::1"), "re6stctl status with 16 idle clients (%d): %s",
	      rc, out);
	CHECK(loop_clock_ms() - t0 < 2000, "answered in %llu ms",
	      (unsigned long long)(loop_clock_ms() - t0));
	/* The oldest idle one made room: it reads end of file. */
	char b;
	CHECK(recv(idle[0], &b, 1, MSG_DONTWAIT) == 0, "oldest idle client closed to make room");
	uint64_t end = loop_clock_ms() + 4000;
	while (loop_clock_ms() < end)
		loop_run_once(c->loop, 100);
	int closed = 0;
	for (int i = 0; i < 16; i++) {
		if (idle[i] >= 0 && recv(idle[i], &b, 1, MSG_DONTWAIT) == 0)
			closed++;
		if (idle[i] >= 0)
			close(idle[i]);
	}
	CHECK(closed == n, "every idle client closed after 3 s (%d of %d)", closed, n);
}


/* "monitor": a client that stops reading gets at most MONITOR_BUF queued;
 * the rest is counted and reported as one "dropped" event once it reads
 * again; classes filter; the events are subscribed only while a monitor
 * is connected. */
static void test_control_monitor(struct ctx *c, const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int small = 4096;
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
	CHECK(connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0, "monitor: connect");
	CHECK(!events_wanted(c->events, EV_BABEL), "no monitor: EV_BABEL not wanted");
	CHECK(send(fd, "monitor route\n", 14, 0) == 14, "monitor: send");
	static char buf[1 << 20];
	size_t len = 0;
	uint64_t end = loop_clock_ms() + 2000;
	while (!memchr(buf, '\n', len) && loop_clock_ms() < end) {
		loop_run_once(c->loop, 50);
		ssize_t n = recv(fd, buf + len, sizeof(buf) - 1 - len, MSG_DONTWAIT);
		if (n > 0)
			len += (size_t)n;
	}
	buf[len] = '\0';
	CHECK(!strcmp(buf, "{\"monitor\": [\"route\"]}\n"), "monitor: answer %s", buf);
	CHECK(events_wanted(c->events, EV_BABEL) && events_wanted(c->events, EV_TUNNEL),
	      "monitor connected: events wanted");

	enum { N = 3000 };
	struct ev_babel e = { .kind = EV_BABEL_ROUTE, .change = EV_BABEL_CHANGE, .metric = 256 };
	e.prefix.addr[0] = 0x20;
	e.prefix.len = 64;
	snprintf(e.ifname, sizeof(e.ifname), "re6stnet0");
	for (int i = 0; i < N; i++)
		events_post(c->events, EV_BABEL, &e, sizeof(e));
	struct ev_tunnel t = { .kind = EV_TUNNEL_UP };
	events_post(c->events, EV_TUNNEL, &t, sizeof(t));
	/* Delivered while the client does not read: nothing blocks. */
	uint64_t t0 = loop_clock_ms();
	loop_run_once(c->loop, 0);
	events_flush(c->events);
	CHECK(loop_clock_ms() - t0 < 1000, "monitor: %d events delivered to a stalled client", N);
	len = 0;
	end = loop_clock_ms() + 3000;
	while (!strstr(buf, "\"dropped\"") && loop_clock_ms() < end) {
		loop_run_once(c->loop, 10);
		ssize_t n = recv(fd, buf + len, sizeof(buf) - 1 - len, MSG_DONTWAIT);
		if (n > 0)
			len += (size_t)n;
		buf[len] = '\0';
	}
	unsigned routes = 0, dropped = 0;
	for (const char *p = buf; (p = strstr(p, "\"event\": \"route\"")); p++)
		routes++;
	const char *d = strstr(buf, "\"event\": \"dropped\", \"count\": ");
	if (d)
		dropped = (unsigned)strtoul(d + strlen("\"event\": \"dropped\", \"count\": "), NULL, 10);
	CHECK(routes > 0 && dropped > 0 && routes + dropped == N && routes < N / 2,
	      "monitor: %u route events sent, %u dropped and reported (of %d)", routes, dropped, N);
	CHECK(!strstr(buf, "\"event\": \"tunnel\""), "monitor route: no tunnel event");
	CHECK(strstr(buf, "\"prefix\": \"2000::/64\"") && strstr(buf, "\"interface\": \"re6stnet0\""),
	      "monitor: event fields");
	/* 16 more clients: the 17th takes an idle client's slot, not the
	 * monitor's, idle as it is. */
	int more[16];
	for (int i = 0; i < 16; i++) {
		more[i] = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		CHECK(connect(more[i], (struct sockaddr *)&sun, sizeof(sun)) == 0, "client %d", i);
		loop_run_once(c->loop, 10);
	}
	events_post(c->events, EV_BABEL, &e, sizeof(e));
	len = 0;
	buf[0] = '\0';
	end = loop_clock_ms() + 2000;
	while (!strchr(buf, '\n') && loop_clock_ms() < end) {
		loop_run_once(c->loop, 10);
		ssize_t n = recv(fd, buf + len, sizeof(buf) - 1 - len, MSG_DONTWAIT);
		if (n > 0)
			len += (size_t)n;
		buf[len] = '\0';
	}
	CHECK(strstr(buf, "\"event\": \"route\""), "16 more clients: the monitor kept its slot (%s)",
	      buf);
	char b;
	CHECK(recv(more[0], &b, 1, MSG_DONTWAIT) == 0, "the oldest idle client made room");
	for (int i = 0; i < 16; i++)
		close(more[i]);
	close(fd);
	end = loop_clock_ms() + 1000;
	while (events_wanted(c->events, EV_BABEL) && loop_clock_ms() < end)
		loop_run_once(c->loop, 50);
	CHECK(!events_wanted(c->events, EV_BABEL), "monitor gone: events no longer wanted");
}

static void test_control(const char *ctl)
{
	struct ctx c = { 0 };
	CHECK(loop_new(&c.loop) == 0, "loop");
	CHECK(events_new(c.loop, &c.events) == 0, "events");
	options_init(&c.opt);
	c.opt.main_interface = strdup("lo");
	snprintf(c.prefix_str, sizeof(c.prefix_str), "2001:db8:1::/48");
	snprintf(c.addr_str, sizeof(c.addr_str), "2001:db8:1::1");
	char path[128];
	snprintf(path, sizeof(path), "%s/ctl.sock", tmpdir);
	CHECK(control_open(&c, path, &c.control) == 0, "control_open");
	struct stat st;
	CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0660, "socket mode 0660");
	CHECK(control_register(c.control, "tunnels", "test", cmd_echo) == 0, "register");
	CHECK(control_register(c.control, "Bad Name", "x", cmd_echo) == -EINVAL, "bad name");
	CHECK(control_register(c.control, "fail", "x", cmd_fail) == 0, "register fail");

	char *answer = NULL;
	CHECK(control_execute(c.control, "status", &answer) == 0 && strstr(answer, "\"prefix\": "
										   "\"2001:db8:1::/48\""),
	      "status: %s", answer ? answer : "");
	free(answer);
	CHECK(control_execute(c.control, "nope", &answer) == 0 && strstr(answer, "\"error\""),
	      "unknown command");
	free(answer);
	CHECK(control_execute(c.control, "fail", &answer) == 0 &&
		      !strcmp(answer, "{\"error\": \"Resource temporarily unavailable\"}\n"),
	      "failing handler gives an error object: %s", answer);
	free(answer);

	if (ctl) {
		char out[4096];
		int rc = run_ctl(c.loop, ctl, "status", out, sizeof(out));
		CHECK(rc == 0 && strstr(out, "address") && strstr(out, "2001:db8:1::1"),
		      "re6stctl status (%d): %s", rc, out);
		/* Human units in the table, raw values with --json. */
		c.started_ms = loop_now(c.loop) - 725000;
		c.cert.not_after = (uint64_t)time(NULL) + 10 * 86400 + 3600;
		rc = run_ctl(c.loop, ctl, "status", out, sizeof(out));
		CHECK(rc == 0 && strstr(out, "uptime                   12m 5s\n") &&
			      strstr(out, " UTC (in 10 days)\n"),
		      "re6stctl status in human units (%d): %s", rc, out);
		char raw[64];
		snprintf(raw, sizeof(raw), "\"cert_expires\": %llu,",
			 (unsigned long long)c.cert.not_after);
		rc = run_ctl(c.loop, ctl, "--json status", out, sizeof(out));
		CHECK(rc == 0 && strstr(out, "\"uptime\": 725,") && strstr(out, raw),
		      "re6stctl --json status keeps raw values (%d): %s", rc, out);
		c.cert.not_after = (uint64_t)time(NULL) - 7200;
		rc = run_ctl(c.loop, ctl, "status", out, sizeof(out));
		CHECK(rc == 0 && strstr(out, "(expired 2h 0m ago)"), "expired certificate (%d): %s",
		      rc, out);
		rc = run_ctl(c.loop, ctl, "--json tunnels x\\\"y", out, sizeof(out));
		CHECK(rc == 0 && strstr(out, "\"peer\": \"x\\\"y\""), "re6stctl --json (%d): %s", rc,
		      out);
		rc = run_ctl(c.loop, ctl, "tunnels abc", out, sizeof(out));
		CHECK(rc == 0 && strstr(out, "tunnels (1)") && strstr(out, "re6stc0") &&
			      strstr(out, "abc") && strstr(out, "count: 1"),
		      "re6stctl table (%d): %s", rc, out);
		rc = run_ctl(c.loop, ctl, "routes", out, sizeof(out));
		CHECK(rc == 0 && strstr(out, "routes (0)"), "re6stctl routes (%d): %s", rc, out);
		rc = run_ctl(c.loop, ctl, "bogus", out, sizeof(out));
		CHECK(rc == 1 && strstr(out, "unknown command"), "re6stctl error (%d): %s", rc, out);
		rc = run_ctl(c.loop, ctl, "--nope", out, sizeof(out));
		CHECK(rc == 2, "re6stctl usage error (%d)", rc);
		rc = run_ctl(c.loop, ctl, "-s /nonexistent status", out, sizeof(out));
		CHECK(rc == 1 && strstr(out, "is re6stnet running"), "no daemon (%d): %s", rc, out);
		test_control_idle(&c, ctl, path);
	}
	test_control_monitor(&c, path);
	control_close(c.control);
	events_free(c.events);
	CHECK(access(path, F_OK) != 0, "socket removed on close");
	options_done(&c.opt);
	loop_free(c.loop);
}

static unsigned count_lines(const char *path, const char *what)
{
	char line[512];
	unsigned n = 0;
	FILE *f = fopen(path, "r");
	while (f && fgets(line, sizeof(line), f))
		n += strstr(line, what) != NULL;
	if (f)
		fclose(f);
	return n;
}

/* Lines caused by remote packets: 5 per source per 10 s window, 20 from
 * all sources, the rest counted and reported when the window ends; the
 * table stays 64 entries whatever the number of sources. */
static void test_loglimit(void)
{
	char path[160];
	snprintf(path, sizeof(path), "%s/loglimit.log", tmpdir);
	log_setup("test-daemon", LOG_INFO, LOG_TARGET_FILE, path);
	struct loglimit ll;
	loglimit_init(&ll, "peer");
	struct sockaddr_storage a = { 0 }, b = { 0 };
	struct sockaddr_in *a4 = (struct sockaddr_in *)&a;
	a4->sin_family = AF_INET;
	inet_pton(AF_INET, "198.18.0.12", &a4->sin_addr);
	struct sockaddr_in6 *b6 = (struct sockaddr_in6 *)&b;
	b6->sin6_family = AF_INET6;
	inet_pton(AF_INET6, "2001:db8::7", &b6->sin6_addr);

	unsigned allowed = 0;
	for (int i = 0; i < 1000; i++)
		allowed += loglimit_allow(&ll, &a, LOG_WARNING, 1000);
	CHECK(allowed == 5, "1000 lines from one source: %u logged", allowed);
	CHECK(!loglimit_allow(&ll, &a, LOG_DEBUG, 1000), "debug not logged: not counted");
	CHECK(loglimit_allow(&ll, &b, LOG_WARNING, 1000), "another source has its own budget");
	loglimit_tick(&ll, 10999);
	CHECK(count_lines(path, "suppressed") == 0, "nothing reported before the window ends");
	loglimit_tick(&ll, 11000);
	CHECK(count_lines(path, "peer: 995 log lines caused by ::ffff:198.18.0.12 suppressed in "
			  "the last 10 s") == 1, "one line counts the 995 suppressed");
	CHECK(count_lines(path, "2001:db8::7") == 0, "no report for a source within its budget");
	CHECK(loglimit_allow(&ll, &a, LOG_WARNING, 11000), "a new window, a new budget");

	/* 10000 spoofed sources: 20 lines logged in all, the table stays fixed. */
	loglimit_init(&ll, "peer");
	allowed = 0;
	for (uint32_t i = 0; i < 10000; i++) {
		b6->sin6_addr.s6_addr[12] = (uint8_t)(i >> 8);
		b6->sin6_addr.s6_addr[13] = (uint8_t)i;
		allowed += loglimit_allow(&ll, &b, LOG_WARNING, 50000);
	}
	CHECK(allowed == LOGLIMIT_GLOBAL, "10000 sources: %u lines logged", allowed);
	loglimit_flush(&ll, 50000);
	CHECK(count_lines(path, "peer: 9980 log lines suppressed in the last 0 s (over 20 from all "
			  "sources, or from more than 64 sources)") == 1, "global count reported");
	/* 200 sources over their budget, in turn: evicted ones add to the
	 * global count, nothing is reported per eviction. */
	loglimit_init(&ll, "peer");
	unsigned before = count_lines(path, "suppressed");
	for (int round = 0; round < 7; round++)
		for (uint32_t i = 0; i < 200; i++) {
			b6->sin6_addr.s6_addr[13] = (uint8_t)i;
			loglimit_allow(&ll, &b, LOG_WARNING, 60000 + (uint64_t)round);
		}
	CHECK(count_lines(path, "suppressed") == before, "no report line while sources churn");
	loglimit_flush(&ll, 60100);
	CHECK(count_lines(path, "suppressed") <= before + 1 + 64, "reports bounded by the table: %u",
	      count_lines(path, "suppressed") - before);
	CHECK(sizeof(ll.slots) / sizeof(ll.slots[0]) == 64, "fixed table");
	log_setup("test-daemon", LOG_WARNING, LOG_TARGET_STDERR, NULL);
}

int main(int argc, char *argv[])
{
	log_setup("test-daemon", LOG_WARNING, LOG_TARGET_STDERR, NULL);
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/re6st-test-daemon.XXXXXX");
	if (!mkdtemp(tmpdir))
		return 1;
	test_options();
	test_babel_parse();
	test_babel_argv();
	test_state();
	test_state_schema();
	test_loop();
	test_loop_slack();
	test_loop_clock();
	test_control(argc > 1 ? argv[1] : NULL);
	test_loglimit();
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", tmpdir);
	return check_summary();
}
