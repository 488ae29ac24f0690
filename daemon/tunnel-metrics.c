/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <fcntl.h>
#include <inttypes.h>

#include "tunnel-mgr.h"

static const char *const state_label[] = {
	[T_FREE] = "free", [T_SETUP] = "setup", [T_UP] = "up",
	[T_DRAINING] = "draining", [T_DESTROYING] = "destroying",
};

/* GRE/FOU links count their bytes like any interface; WireGuard's per-peer
 * counters (what `wg show transfer` shows) come from the device itself. */
static int sysfs_counter(const char *ifname, const char *name, uint64_t *ret)
{
	char path[96], buf[32];
	snprintf(path, sizeof(path), "/sys/class/net/%s/statistics/%s", ifname, name);
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return negative_errno();
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	if (n <= 0)
		return n < 0 ? negative_errno() : -EIO;
	buf[n] = '\0';
	char *end;
	errno = 0;
	unsigned long long v = strtoull(buf, &end, 10);
	if (errno || end == buf)
		return -EIO;
	*ret = v;
	return 0;
}

struct tunnel_io {
	bool has_bytes, has_handshake;
	uint64_t rx, tx;
	double handshake_age;
};

static struct tunnel_io tunnel_io(struct tunnel_mgr *m, const struct tunnel *t)
{
	struct tunnel_io io = { 0 };
	if (!t->ifindex)
		return io;
	if (tm_is_gre(t)) {
		io.has_bytes = sysfs_counter(t->ifname, "rx_bytes", &io.rx) >= 0 &&
			       sysfs_counter(t->ifname, "tx_bytes", &io.tx) >= 0;
		return io;
	}
	_cleanup_(nl_wg_device_freep) struct nl_wg_device *d = NULL;
	if (nl_wg_device_get(m->c->nl, t->ifindex, &d) < 0)
		return io;
	const struct nl_wg_peer *p = nl_wg_device_find_peer(d, t->peer_wg);
	if (!p)
		return io;
	io.has_bytes = true;
	io.rx = p->rx_bytes;
	io.tx = p->tx_bytes;
	if (p->last_handshake.tv_sec) {
		double hs = (double)p->last_handshake.tv_sec + p->last_handshake.tv_nsec / 1e9;
		struct timespec now;
		clock_gettime(CLOCK_REALTIME, &now);
		double age = (double)now.tv_sec + now.tv_nsec / 1e9 - hs;
		io.has_handshake = true;
		io.handshake_age = age > 0 ? age : 0;
	}
	return io;
}

void tm_metrics_collect(void *userdata, struct prom_buf *w)
{
	struct tunnel_mgr *m = userdata;
	uint8_t types[TUNNEL_TYPE_COUNT];
	size_t nt = tm_offered(m, types);

	prom_family(w, "re6st_tunnels", PROM_GAUGE,
		     "Tunnel interfaces by state, type and role (free: kept for reuse).");
	for (size_t ty = 0; ty < nt; ty++)
		for (int server = 0; server < 2; server++)
			for (size_t st = 0; st < ARRAY_SIZE(state_label); st++) {
				size_t n = 0;
				for (size_t i = 0; i < m->n; i++)
					n += m->t[i]->type == types[ty] && m->t[i]->server == server &&
					     m->t[i]->state == st;
				prom_samplel(w, "re6st_tunnels", (double)n, "state", state_label[st],
					     "type", tm_type_name(types[ty]), "role",
					     server ? "server" : "client", NULL);
			}
	prom_family(w, "re6st_tunnel_clients_target", PROM_GAUGE,
		    "Client tunnels the node keeps (client-count; in a small mesh, one per known node).");
	prom_samplel(w, "re6st_tunnel_clients_target", tm_effective_client_count(m), NULL);
	prom_family(w, "re6st_tunnel_max_clients", PROM_GAUGE, "Clients the node accepts at most.");
	prom_samplel(w, "re6st_tunnel_max_clients", tm_max_clients(m), NULL);
	prom_family(w, "re6st_reachable", PROM_GAUGE,
		    "1 when a client or a peer's probe reached this node over the underlay lately.");
	prom_samplel(w, "re6st_reachable", tm_reachable(m), NULL);

	/* One interface, one peer: the labels name both. */
	_cleanup_free_ struct tunnel_io *io = calloc(m->n + 1, sizeof(*io));
	if (!io) {
		w->failed = true;
		return;
	}
	for (size_t i = 0; i < m->n; i++)
		if (m->t[i]->state != T_FREE)
			io[i] = tunnel_io(m, m->t[i]);
	static const struct {
		const char *name;
		enum prom_type type;
		const char *help;
	} fam[] = {
		{ "re6st_tunnel_receive_bytes_total", PROM_COUNTER,
		  "Bytes received on a tunnel (WireGuard: from its peer, as `wg show` counts)." },
		{ "re6st_tunnel_transmit_bytes_total", PROM_COUNTER,
		  "Bytes sent on a tunnel (WireGuard: to its peer, as `wg show` counts)." },
		{ "re6st_tunnel_last_handshake_age_seconds", PROM_GAUGE,
		  "Seconds since the WireGuard tunnel's last handshake (absent: none yet)." },
	};
	for (size_t f = 0; f < ARRAY_SIZE(fam); f++) {
		prom_family(w, fam[f].name, fam[f].type, fam[f].help);
		for (size_t i = 0; i < m->n; i++) {
			const struct tunnel *t = m->t[i];
			char b[PREFIX_STRLEN];
			if (f < 2 ? !io[i].has_bytes : !io[i].has_handshake)
				continue;
			double v = f == 0 ? (double)io[i].rx : f == 1 ? (double)io[i].tx : io[i].handshake_age;
			prom_samplel(w, fam[f].name, v, "ifname", t->ifname, "peer", tm_pfx(&t->peer, b),
				     "type", tm_type_name(t->type), "role", t->server ? "server" : "client",
				     NULL);
		}
	}
}
