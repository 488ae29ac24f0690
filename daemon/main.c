/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * re6stnet: the node daemon. main() parses the options, then sets up the
 * modules of the table below in order, runs the event loop, and tears the
 * modules down in reverse order. Adding a module is one line in the table.
 */
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

#include <sodium.h>

#include "config.h"
#include "ctx.h"
#include "fileio.h"
#include "log.h"

uint64_t ctx_unix_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec;
}

/* ---- directories -------------------------------------------------------- */

static int mkdir_p(const char *path, mode_t mode)
{
	_cleanup_free_ char *p = strdup(path);
	if (!p)
		return -ENOMEM;
	for (char *s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, 0755) < 0 && errno != EEXIST)
			return negative_errno();
		*s = '/';
	}
	if (mkdir(p, mode) < 0 && errno != EEXIST)
		return negative_errno();
	return 0;
}

static int dirs_init(struct ctx *c)
{
	int r = mkdir_p(c->opt.state_dir, 0700);
	if (r < 0)
		return log_errno(LOG_ERR, r, "cannot create state directory %s", c->opt.state_dir);
	/* 0755: re6stctl users reach the 0660 control socket through it. */
	r = mkdir_p(c->opt.run_dir, 0755);
	if (r < 0)
		return log_errno(LOG_ERR, r, "cannot create run directory %s", c->opt.run_dir);
	return 0;
}

/* ---- identity ----------------------------------------------------------- */

static int daemon_load_identity(const struct options *o, uint64_t now, struct re6st_ca *ret_ca,
			 struct re6st_cert *ret_cert, struct re6st_key **ret_key)
{
	struct re6st_ca ca;
	struct re6st_cert cert;
	_cleanup_(key_freep) struct re6st_key *key = NULL;
	int r;

	r = identity_init();
	if (r < 0)
		return log_errno(LOG_ERR, r, "cannot initialise libsodium");
	r = ca_load(o->ca, &ca);
	if (r < 0) {
		log_error("%s: cannot load the CA: %s", o->ca, identity_strerror(r));
		return r;
	}
	r = key_load(o->key, &key);
	if (r < 0) {
		log_error("%s: cannot load the secret key: %s", o->key, identity_strerror(r));
		return r;
	}
	r = cert_load(o->cert, &ca, now, &cert);
	if (r == -EKEYEXPIRED) {
		/* Still ours: main() decides whether renewal can save it. */
		log_warning("%s: certificate expired or not yet valid", o->cert);
		_cleanup_free_ char *text = NULL;
		size_t len;
		r = read_file_full(o->cert, 64 * 1024, &text, &len);
		if (r >= 0)
			r = cert_from_armour_unverified(text, len, &cert);
		if (r >= 0)
			r = cert_verify_signature(&cert, &ca);
		if (r >= 0)
			r = -EKEYEXPIRED;
	}
	if (r < 0 && r != -EKEYEXPIRED) {
		log_error("%s: bad certificate: %s", o->cert, identity_strerror(r));
		return r;
	}
	if (!cert_matches_key(&cert, key)) {
		log_error("%s does not match the key %s", o->cert, o->key);
		return -EKEYREJECTED;
	}
	if (!key->has_wg) {
		log_error("%s: the key has no WireGuard key", o->key);
		return -EBADMSG;
	}
	*ret_ca = ca;
	*ret_cert = cert;
	*ret_key = TAKE_PTR(key);
	return r;
}

static int identity_mod_init(struct ctx *c)
{
	int r = daemon_load_identity(&c->opt, ctx_unix_now(), &c->ca, &c->cert, &c->key);
	if (r == -EKEYEXPIRED)
		/* TODO(registry-client): renew here. Until then refuse to run with it. */
		return log_errno(LOG_ERR, r, "%s: certificate not valid now; renew it with re6st-conf",
				 c->opt.cert);
	if (r < 0)
		return r;
	c->network = c->ca.network;
	c->prefix = c->cert.node;
	cert_node_address(&c->cert, c->addr);
	prefix_format_address(c->addr, c->addr_str);
	prefix_format(&c->prefix, c->prefix_str);
	prefix_format(&c->network, c->network_str);
	log_info("node %s in network %s, address %s", c->prefix_str, c->network_str, c->addr_str);
	return 0;
}

static void identity_mod_fini(struct ctx *c)
{
	key_free(c->key);
	c->key = NULL;
}

/* ---- signals ------------------------------------------------------------ */

static void on_terminate(struct loop *l, const struct signalfd_siginfo *si, void *userdata)
{
	log_info("received %s, exiting", strsignal((int)si->ssi_signo));
	loop_exit(l, 0);
}

static void on_hangup(struct loop *l, const struct signalfd_siginfo *si, void *userdata)
{
	struct ctx *c = userdata;
	c->reload_requested = true;
}

static int signals_init(struct ctx *c)
{
	int r;
	if ((r = loop_add_signal(c->loop, SIGTERM, on_terminate, c)) < 0 ||
	    (r = loop_add_signal(c->loop, SIGINT, on_terminate, c)) < 0 ||
	    (r = loop_add_signal(c->loop, SIGHUP, on_hangup, c)) < 0 ||
	    (r = loop_add_signal(c->loop, SIGUSR1, on_hangup, c)) < 0)
		return log_errno(LOG_ERR, r, "cannot set up signal handling");
	/* A peer closing the control socket must not kill us. */
	signal(SIGPIPE, SIG_IGN);
	return 0;
}

/* ---- logging ------------------------------------------------------------ */

static const int verbose_to_level[] = { LOG_CRIT, LOG_WARNING, LOG_INFO, LOG_DEBUG, LOG_DEBUG };

static int log_open(const struct options *o)
{
	int level = verbose_to_level[o->verbose];
	if (!o->log || !strcmp(o->log, "-"))
		return log_setup("re6stnet", level, LOG_TARGET_STDERR, NULL);
	_cleanup_free_ char *path = NULL;
	if (asprintf(&path, "%s/re6stnet.log", o->log) < 0)
		return -ENOMEM;
	int r = mkdir_p(o->log, 0755);
	if (r < 0)
		return r;
	return log_setup("re6stnet", level, LOG_TARGET_FILE, path);
}

/* ---- --up and --daemon hooks -------------------------------------------- */

struct hooks {
	pid_t *pids;
	size_t n;
};

static int hook_env(struct ctx *c)
{
	char net[PREFIX_STRLEN];
	if (setenv("re6stnet_ip", c->addr_str, 1) < 0 ||
	    setenv("re6stnet_iface", c->opt.main_interface, 1) < 0 ||
	    setenv("re6stnet_subnet", c->prefix_str, 1) < 0 ||
	    setenv("re6stnet_network", prefix_format(&c->network, net), 1) < 0)
		return negative_errno();
	return 0;
}

static void on_daemon_exit(struct loop *l, pid_t pid, int status, void *userdata)
{
	struct ctx *c = userdata;
	log_warning("--daemon command (pid %d) exited with status %d", (int)pid,
		    WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
	struct hooks *h = c->hooks;
	for (size_t i = 0; i < h->n; i++)
		if (h->pids[i] == pid)
			h->pids[i] = 0;
}

static int hooks_init(struct ctx *c)
{
	int r = hook_env(c);
	if (r < 0)
		return log_errno(LOG_ERR, r, "cannot set the hooks' environment");
	if (c->opt.up) {
		char *argv[] = { "/bin/sh", "-c", c->opt.up, NULL };
		pid_t pid;
		int status;
		r = loop_spawn(argv, NULL, &pid);
		if (r < 0)
			return log_errno(LOG_ERR, r, "cannot run --up command");
		loop_unwatch_child(c->loop, pid);
		while (waitpid(pid, &status, 0) < 0)
			if (errno != EINTR)
				return log_errno(LOG_ERR, negative_errno(), "waiting for --up command");
		if (!WIFEXITED(status) || WEXITSTATUS(status)) {
			log_error("--up command failed (status %d)",
				  WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
			return -ECHILD;
		}
	}
	struct hooks *h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	c->hooks = h;
	if (!c->opt.daemons.n)
		return 0;
	h->pids = calloc(c->opt.daemons.n, sizeof(pid_t));
	if (!h->pids)
		return -ENOMEM;
	for (size_t i = 0; i < c->opt.daemons.n; i++) {
		char *argv[] = { "/bin/sh", "-c", c->opt.daemons.v[i], NULL };
		r = loop_spawn(argv, NULL, &h->pids[i]);
		if (r < 0)
			return log_errno(LOG_ERR, r, "cannot run --daemon %s", c->opt.daemons.v[i]);
		h->n = i + 1;
		r = loop_watch_child(c->loop, h->pids[i], on_daemon_exit, c);
		if (r < 0)
			return log_errno(LOG_ERR, r, "cannot watch --daemon command");
	}
	return 0;
}

static void hooks_fini(struct ctx *c)
{
	struct hooks *h = c->hooks;
	if (!h)
		return;
	/* TERM, then KILL 5 s later, as the original. */
	for (size_t i = 0; i < h->n; i++)
		if (h->pids[i] > 0) {
			loop_unwatch_child(c->loop, h->pids[i]);
			kill(-h->pids[i], SIGTERM);
		}
	for (size_t i = 0; i < h->n; i++) {
		if (h->pids[i] <= 0)
			continue;
		uint64_t deadline = loop_clock_ms() + 5000;
		while (waitpid(h->pids[i], NULL, WNOHANG) == 0) {
			if (loop_clock_ms() >= deadline) {
				kill(-h->pids[i], SIGKILL);
				waitpid(h->pids[i], NULL, 0);
				break;
			}
			struct timespec ts = { 0, 50 * 1000000 };
			nanosleep(&ts, NULL);
		}
	}
	free(h->pids);
	free(h);
	c->hooks = NULL;
}

/* ---- the module table ----------------------------------------------------
 * Order matters: each module may use what the modules above it set up.
 * fini runs in reverse order, only for modules whose init succeeded.
 * reload (optional) runs on SIGHUP/SIGUSR1, in table order.
 */
struct module {
	const char *name;
	int (*init)(struct ctx *c);
	void (*fini)(struct ctx *c);
	void (*reload)(struct ctx *c);
};

static const struct module modules[] = {
	{ "directories", dirs_init, NULL, NULL },
	{ "signals", signals_init, NULL, NULL },
	{ "identity", identity_mod_init, identity_mod_fini, NULL },
	/* mesh modules go here, before the hooks: peer, tunnels, upnp */
	{ "hooks", hooks_init, hooks_fini, NULL },
};

static void reload(struct ctx *c)
{
	c->reload_requested = false;
	int r = log_open(&c->opt);
	if (r < 0)
		log_errno(LOG_ERR, r, "cannot reopen the log");
	log_info("reloading");
	for (size_t i = 0; i < ARRAY_SIZE(modules); i++)
		if (modules[i].reload)
			modules[i].reload(c);
}

/* The loop's only "idle" work: act on the flags the signal handlers set. */
static void on_tick(struct loop *l, struct loop_timer *t, void *userdata)
{
	struct ctx *c = userdata;
	if (c->reload_requested)
		reload(c);
}

int main(int argc, char *argv[])
{
	struct ctx c = { .main_ifindex = 0 };
	char err[512] = "";
	int r, exit_code = 0;
	size_t n_up = 0;

	options_init(&c.opt);
	r = options_parse_argv(&c.opt, argc, argv, err, sizeof(err));
	if (r == 1) {
		options_done(&c.opt);
		return 0;
	}
	if (r < 0) {
		fprintf(stderr, "re6stnet: %s\n", r == -ENOMEM ? "out of memory" : err);
		if (r == -EINVAL)
			fprintf(stderr, "Try 're6stnet --help'.\n");
		options_done(&c.opt);
		return 2;
	}

	if (c.opt.check) {
		/* Options are fine; the identity files must be too. */
		struct re6st_key *key = NULL;
		r = daemon_load_identity(&c.opt, ctx_unix_now(), &c.ca, &c.cert, &key);
		key_free(key);
		options_done(&c.opt);
		if (r < 0 && r != -EKEYEXPIRED)
			return 2;
		printf("configuration OK%s\n", r == -EKEYEXPIRED ? " (certificate needs renewal)" : "");
		return 0;
	}

	r = log_open(&c.opt);
	if (r < 0) {
		fprintf(stderr, "re6stnet: cannot open the log in %s: %s\n", c.opt.log, strerror(-r));
		options_done(&c.opt);
		return 2;
	}
	log_info("re6stnet %s starting", RE6ST_VERSION);

	r = loop_new(&c.loop);
	if (r < 0) {
		log_errno(LOG_ERR, r, "cannot create the event loop");
		exit_code = 1;
		goto out;
	}
	c.started_ms = loop_now(c.loop);

	for (n_up = 0; n_up < ARRAY_SIZE(modules); n_up++) {
		log_debug("starting module %s", modules[n_up].name);
		r = modules[n_up].init(&c);
		if (r < 0) {
			log_error("start-up failed in module %s", modules[n_up].name);
			exit_code = 1;
			goto out;
		}
		if (loop_exiting(c.loop)) {
			n_up++;
			break;
		}
	}

	r = loop_add_timer(c.loop, 0, 1000, on_tick, &c, NULL);
	if (r < 0) {
		log_errno(LOG_ERR, r, "cannot add a timer");
		exit_code = 1;
		goto out;
	}
	log_notice("re6stnet up: %s on %s", c.addr_str, c.opt.main_interface);
	r = loop_run(c.loop);
	if (r < 0) {
		log_errno(LOG_ERR, r, "event loop failed");
		exit_code = 1;
	} else {
		exit_code = r;
	}

out:
	while (n_up > 0) {
		n_up--;
		if (modules[n_up].fini) {
			log_debug("stopping module %s", modules[n_up].name);
			modules[n_up].fini(&c);
		}
	}
	loop_free(c.loop);
	log_info("re6stnet stopped");
	log_close();
	options_done(&c.opt);
	return exit_code;
}
