/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Time to create and fully configure one tunnel through netlink/ versus
 * through the ip and wg commands, N times each, in a fresh network
 * namespace:
 *   - WireGuard: link, private key, listen port, one peer (endpoint,
 *     allowed IPs), an IPv6 link-local address, up;
 *   - GRE-in-FOU: FOU receive port, gre link with FOU encapsulation, an
 *     IPv6 link-local address, up.
 * Removal is not timed. Prints the mean per tunnel and the ratio; exits 1
 * when the library is not at least 10 times faster (the target), 77 when
 * not root or the kernel lacks WireGuard/GRE/FOU.
 *
 *   bench-nl [N]
 */
#include <arpa/inet.h>
#include <sched.h>
#include <spawn.h>
#include <sodium.h>
#include <stdarg.h>
#include <sys/wait.h>
#include <time.h>

#include "fou.h"
#include "gre.h"
#include "link.h"
#include "addr.h"
#include "wireguard.h"

extern char **environ;

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* Run a command (no shell) and wait; 0 if it exited 0. */
static int cmd(const char *arg0, ...)
{
	const char *argv[32];
	int n = 0;
	va_list ap;
	va_start(ap, arg0);
	for (const char *a = arg0; a && n < 31; a = va_arg(ap, const char *))
		argv[n++] = a;
	va_end(ap);
	argv[n] = NULL;
	pid_t pid;
	if (posix_spawnp(&pid, argv[0], NULL, NULL, (char *const *)argv, environ) != 0)
		return -1;
	int st;
	if (waitpid(pid, &st, 0) < 0)
		return -1;
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}

struct ctx {
	struct nl_sock *s;
	uint8_t priv[32], peer[32];
	char priv_path[64], peer64[45];
};

static int wg_lib(struct ctx *c, int i)
{
	char name[16];
	snprintf(name, sizeof(name), "wgl%d", i);
	int ifindex, r = nl_link_create(c->s, name, "wireguard", 0, &ifindex);
	if (r < 0)
		return r;
	struct nl_wg_allowed_ip aip = { .family = AF_INET6, .cidr = 64 };
	inet_pton(AF_INET6, "fd00::", &aip.addr);
	struct nl_wg_peer_config peer = { .allowed_ips = &aip, .n_allowed_ips = 1,
					  .replace_allowed_ips = true };
	memcpy(peer.public_key, c->peer, 32);
	nl_sockaddr_from_string("[2001:db8::2]:51820", &peer.endpoint);
	struct nl_wg_device_config cfg = { .flags = NL_WG_SET_PRIVATE_KEY | NL_WG_SET_LISTEN_PORT,
					   .listen_port = (uint16_t)(20000 + i), .peers = &peer,
					   .n_peers = 1 };
	memcpy(cfg.private_key, c->priv, 32);
	r = nl_wg_device_set(c->s, ifindex, &cfg);
	sodium_memzero(cfg.private_key, 32);
	struct nl_prefix ll;
	nl_prefix_from_string("fe80::1/64", &ll);
	if (r == 0)
		r = nl_addr_add(c->s, ifindex, &ll, NL_ADDR_NODAD);
	return r < 0 ? r : nl_link_set_up(c->s, ifindex, true);
}

static int wg_cmd(struct ctx *c, int i)
{
	char name[16], port[16];
	snprintf(name, sizeof(name), "wgc%d", i);
	snprintf(port, sizeof(port), "%d", 20000 + i);
	if (cmd("ip", "link", "add", name, "type", "wireguard", NULL) < 0 ||
	    cmd("wg", "set", name, "private-key", c->priv_path, "listen-port", port, "peer",
		c->peer64, "endpoint", "[2001:db8::2]:51820", "allowed-ips", "fd00::/64", NULL) < 0 ||
	    cmd("ip", "addr", "add", "fe80::1/64", "dev", name, "nodad", NULL) < 0 ||
	    cmd("ip", "link", "set", name, "up", NULL) < 0)
		return -1;
	return 0;
}

static int gre_lib(struct ctx *c, int i)
{
	char name[16];
	snprintf(name, sizeof(name), "grl%d", i);
	struct nl_fou_port fp = { .family = AF_INET, .port = (uint16_t)(30000 + i), .ipproto = 47,
				  .type = NL_FOU_DIRECT };
	int r = nl_fou_add(c->s, &fp);
	if (r < 0)
		return r;
	struct nl_gre_config g = { .family = AF_INET, .ttl = 64, .encap = NL_GRE_ENCAP_FOU,
				   .encap_dport = fp.port };
	inet_pton(AF_INET, "10.0.0.1", &g.local);
	g.remote.in.s_addr = htonl(0x0a010000 + (uint32_t)i);
	int ifindex;
	r = nl_gre_create(c->s, name, &g, &ifindex);
	struct nl_prefix ll;
	nl_prefix_from_string("fe80::1/64", &ll);
	if (r == 0)
		r = nl_addr_add(c->s, ifindex, &ll, NL_ADDR_NODAD);
	return r < 0 ? r : nl_link_set_up(c->s, ifindex, true);
}

static int gre_cmd(struct ctx *c, int i)
{
	char name[16], port[16], remote[32];
	snprintf(name, sizeof(name), "grc%d", i);
	snprintf(port, sizeof(port), "%d", 31000 + i);
	snprintf(remote, sizeof(remote), "10.2.%d.%d", i / 256, i % 256);
	if (cmd("ip", "fou", "add", "port", port, "ipproto", "47", NULL) < 0 ||
	    cmd("ip", "link", "add", name, "type", "gre", "remote", remote, "local", "10.0.0.1",
		"ttl", "64", "encap", "fou", "encap-sport", "auto", "encap-dport", port, NULL) < 0 ||
	    cmd("ip", "addr", "add", "fe80::1/64", "dev", name, "nodad", NULL) < 0 ||
	    cmd("ip", "link", "set", name, "up", NULL) < 0)
		return -1;
	return 0;
}

/* Delete every link but lo and every FOU port (not timed). */
static void cleanup(struct ctx *c)
{
	struct nl_link_info *v = NULL;
	size_t n = 0;
	if (nl_link_dump(c->s, &v, &n) == 0)
		for (size_t i = 0; i < n; i++)
			if (!(v[i].flags & IFF_LOOPBACK))
				(void)nl_link_delete(c->s, v[i].ifindex);
	free(v);
	struct nl_fou_port *p = NULL;
	if (nl_fou_list(c->s, &p, &n) == 0)
		for (size_t i = 0; i < n; i++)
			(void)nl_fou_delete(c->s, &p[i]);
	free(p);
}

typedef int (*setup_fn)(struct ctx *c, int i);

static double bench(struct ctx *c, setup_fn fn, int n, const char *what)
{
	double total = 0;
	for (int i = 0; i < n; i++) {
		double t0 = now_ms();
		int r = fn(c, i);
		total += now_ms() - t0;
		if (r < 0) {
			fprintf(stderr, "%s #%d failed: %s (%s)\n", what, i, strerror(r == -1 ? EIO : -r),
				nl_last_error(c->s));
			return -1;
		}
		if (i % 10 == 9)
			cleanup(c);
	}
	cleanup(c);
	return total / n;
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 20;
	if (n <= 0 || n > 1000) {
		fprintf(stderr, "usage: bench-nl [N (1..1000)]\n");
		return 2;
	}
	if (geteuid() != 0) {
		printf("needs root: skipped\n");
		return 77;
	}
	if (sodium_init() < 0 || unshare(CLONE_NEWNET) < 0) {
		perror("unshare");
		return 1;
	}
	cmd("ip", "link", "set", "lo", "up", NULL);
	struct ctx c = {};
	int r = nl_sock_open(&c.s);
	if (r < 0) {
		fprintf(stderr, "netlink: %s\n", strerror(-r));
		return 1;
	}
	int probe;
	if (nl_link_create(c.s, "probe", "wireguard", 0, &probe) == -EOPNOTSUPP ||
	    nl_link_create(c.s, "probe2", "gre", 0, &probe) == -EOPNOTSUPP) {
		printf("kernel lacks wireguard or gre: skipped\n");
		return 77;
	}
	cleanup(&c);
	uint8_t pub[32];
	crypto_box_keypair(pub, c.priv);
	crypto_box_keypair(c.peer, pub);
	nl_wg_key_to_base64(c.peer, c.peer64);
	char priv64[45];
	nl_wg_key_to_base64(c.priv, priv64);
	snprintf(c.priv_path, sizeof(c.priv_path), "/tmp/bench-nl-key-XXXXXX");
	int fd = mkstemp(c.priv_path);
	if (fd < 0 || write(fd, priv64, 44) != 44) {
		perror("key file");
		return 1;
	}
	close(fd);
	sodium_memzero(priv64, sizeof(priv64));

	double wl = bench(&c, wg_lib, n, "wireguard library");
	double wc = bench(&c, wg_cmd, n, "wireguard commands");
	double gl = bench(&c, gre_lib, n, "gre-in-fou library");
	double gc = bench(&c, gre_cmd, n, "gre-in-fou commands");
	unlink(c.priv_path);
	nl_sock_free(c.s);
	sodium_memzero(c.priv, sizeof(c.priv));
	if (wl < 0 || wc < 0 || gl < 0 || gc < 0)
		return 1;

	printf("netlink bench: %d tunnels each, mean time to create and configure one\n", n);
	printf("  wireguard   library %8.3f ms   ip+wg commands %8.3f ms   ratio %6.1fx\n",
	       wl, wc, wc / wl);
	printf("  gre-in-fou  library %8.3f ms   ip commands    %8.3f ms   ratio %6.1fx\n",
	       gl, gc, gc / gl);
	bool met = wc / wl >= 10 && gc / gl >= 10;
	printf("  target library >= 10x faster: %s\n", met ? "met" : "NOT met");
	return met ? 0 : 1;
}
