/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * re6stnet: the node daemon. main() parses the options, then sets up the
 * modules of the table below in order, runs the event loop, and tears the
 * modules down in reverse order. Adding a module is one line in the table.
 */
#include <signal.h>
#include <sys/stat.h>

#include "babel.h"
#include "babel-conf.h"
#include "config.h"
#include "control.h"
#include "ctx.h"
#include "endpoints.h"
#include "events.h"
#include "fileio.h"
#include "hooks.h"
#include "link.h"
#include "log.h"
#include "netconf-store.h"
#include "node-metrics.h"
#include "nl.h"
#include "node-address.h"
#include "node-identity.h"
#include "node-metrics.h"
#include "objects.h"
#include "peer.h"
#include "reglink.h"
#include "reload.h"
#include "service.h"
#include "state.h"
#include "statedir.h"
#include "tunnel.h"
#include "upnp.h"

/* ---- directories -------------------------------------------------------- */

/* The state directory was made (0700) and locked by main(). */
static int dirs_init(struct ctx *c)
{
	/* 0755: re6stctl users reach the 0660 control socket through it. */
	int r = mkdir_p(c->opt.run_dir, 0755);
	if (r < 0)
		return log_errno(LOG_ERR, r, "cannot create run directory %s", c->opt.run_dir);
	return 0;
}

/* ---- state database -------------------------------------------------------- */

static int state_mod_init(struct ctx *c)
{
	_cleanup_free_ char *path = NULL;
	if (asprintf(&path, "%s/cache.db", c->opt.state_dir) < 0)
		return -ENOMEM;
	int r = state_open(path, &c->state);
	if (r == -EPROTONOSUPPORT)
		return log_errno(LOG_ERR, r, "the state database %s was written by a newer re6stnet "
			       "(schema newer than version %d): left untouched, not starting",
			       path, STATE_SCHEMA_VERSION);
	if (r < 0)
		return log_errno(LOG_ERR, r, "cannot open the state database %s", path);
	return 0;
}

static void state_mod_fini(struct ctx *c)
{
	if (c->state)
		state_peer_prune(c->state, 1000);
	state_close(c->state);
	c->state = NULL;
}

/* ---- netlink, and what a previous run left behind --------------------------- */

static int netlink_mod_init(struct ctx *c)
{
	int r = nl_sock_open(&c->nl);
	if (r < 0)
		return log_errno(LOG_ERR, r, "cannot open netlink");
	r = nl_link_ifindex(c->nl, c->opt.main_interface, &c->main_ifindex);
	if (r < 0)
		return log_errno(LOG_ERR, r, "main interface %s", c->opt.main_interface);
	/* A babeld left by a killed re6stnet: stopped cleanly before its
	 * interfaces go (see babel.h). */
	_cleanup_free_ char *pid = NULL;
	if (asprintf(&pid, "%s/babeld.pid", c->opt.run_dir) < 0)
		return log_errno(LOG_ERR, -ENOMEM, "netlink module");
	babel_stop_stale(pid);
	r = objects_cleanup(c);
	if (r < 0)
		return log_errno(LOG_ERR, r, "cannot read the journal of kernel objects");
	if (r > 0)
		log_notice("removed %d kernel objects left by a previous run", r);
	return 0;
}

static void netlink_mod_fini(struct ctx *c)
{
	/* Whatever the modules above did not remove themselves. */
	if (c->nl && c->state) {
		int r = objects_cleanup(c);
		if (r > 0)
			log_info("removed %d remaining kernel objects", r);
	}
	nl_sock_free(c->nl);
	c->nl = NULL;
}

/* ---- control socket ------------------------------------------------------------ */

static int control_mod_init(struct ctx *c)
{
	int r = control_open(c, c->opt.control_socket, &c->control);
	if (r < 0)
		return log_errno(LOG_ERR, r, "cannot open the control socket %s", c->opt.control_socket);
	return 0;
}

static void control_mod_fini(struct ctx *c)
{
	control_close(c->control);
	c->control = NULL;
}

/* ---- signals ------------------------------------------------------------ */

static void on_terminate(struct loop *l, const struct signalfd_siginfo *si, void *userdata)
{
	log_info("received %s, exiting", strsignal((int)si->ssi_signo));
	loop_exit(l, 0);
}

static void reload(struct ctx *c);

/* Called from the loop (signalfd), never in signal context. */
static void on_hangup(struct loop *l, const struct signalfd_siginfo *si, void *userdata)
{
	reload(userdata);
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

/* ---- events ------------------------------------------------------------ */

static int events_mod_init(struct ctx *c)
{
	int r = events_new(c->loop, &c->events);
	if (r < 0)
		return log_errno(LOG_ERR, r, "events");
	return 0;
}

static void events_mod_fini(struct ctx *c)
{
	events_free(c->events);
	c->events = NULL;
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
	{ "events", events_mod_init, events_mod_fini, NULL },
	{ "state", state_mod_init, state_mod_fini, NULL },
	{ "identity", identity_mod_init, identity_mod_fini, NULL },
	{ "netlink", netlink_mod_init, netlink_mod_fini, NULL },
	{ "registry", registry_mod_init, registry_mod_fini, NULL },
	{ "address", address_mod_init, address_mod_fini, NULL },
	{ "babel", babel_mod_init, babel_mod_fini, NULL },
	{ "control", control_mod_init, control_mod_fini, NULL },
	{ "metrics", node_metrics_init, node_metrics_fini, NULL },
	/* mesh modules: what we advertise, the peer protocol, the tunnel manager */
	{ "endpoints", endpoints_init, endpoints_fini, NULL },
	{ "upnp", upnp_init, upnp_fini, NULL },
	/* after start-up, every registry request goes through the registry link */
	{ "registry-link", reglink_init, reglink_fini, reglink_reload },
	{ "peer", peer_init, peer_fini, NULL },
	{ "tunnels", tunnel_init, tunnel_fini, NULL },
	{ "hooks", hooks_init, hooks_fini, NULL },
	/* last: ready once everything runs; STOPPING=1 first */
	{ "service", service_init, service_fini, NULL },
};

/* SIGHUP, SIGUSR1: options (reload.h), the log reopened, then the modules. */
static void reload(struct ctx *c)
{
	log_info("reloading");
	reload_options(c);
	int r = log_open(&c->opt);
	if (r < 0)
		log_errno(LOG_ERR, r, "cannot reopen the log");
	for (size_t i = 0; i < ARRAY_SIZE(modules); i++)
		if (modules[i].reload)
			modules[i].reload(c);
}

int main(int argc, char *argv[])
{
	struct ctx c = { .main_ifindex = 0, .argc = argc, .argv = argv };
	char err[512] = "";
	int r, exit_code = 0, lock_fd = -1;
	size_t n_up = 0;

	options_init(&c.opt);
	r = options_parse_argv(&c.opt, argc, argv, err, sizeof(err));
	if (r == 1) {
		options_done(&c.opt);
		return 0;
	}
	if (r < 0) {
		log_cli_error("%s", r == -ENOMEM ? "out of memory" : err);
		if (r == -EINVAL)
			fprintf(stderr, "Try 're6stnet --help'.\n");
		options_done(&c.opt);
		return 2;
	}

	log_setup("re6stnet", verbose_to_level[c.opt.verbose], LOG_TARGET_STDERR, NULL);
	if (c.opt.check) {
		/* Options are fine; the identity files must be too. */
		struct re6st_key *key = NULL;
		r = daemon_load_identity(&c.opt, loop_unix_now(), &c.ca, &c.cert, &key);
		key_free(key);
		options_done(&c.opt);
		if (r < 0 && r != -EKEYEXPIRED)
			return 2;
		printf("configuration OK%s\n", r == -EKEYEXPIRED ? " (certificate needs renewal)" : "");
		return 0;
	}

	/* Secrets (cache.db, babeld's key file) are created private. */
	umask(077);
	/* Before anything else: a second re6stnet must leave the first alone. */
	pid_t holder = 0;
	r = statedir_lock(c.opt.state_dir, &lock_fd, &holder);
	if (r < 0) {
		if (r == -EBUSY)
			log_cli_error("another re6stnet (pid %ld) uses the state directory %s: "
				"not starting", (long)holder, c.opt.state_dir);
		else
			log_cli_error("cannot lock the state directory %s: %s",
				c.opt.state_dir, strerror(-r));
		options_done(&c.opt);
		return 2;
	}

	r = log_open(&c.opt);
	if (r < 0) {
		log_cli_error("cannot open the log in %s: %s", c.opt.log, strerror(-r));
		options_done(&c.opt);
		close(lock_fd);
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
	close(lock_fd); /* last: everything of ours is gone */
	return exit_code;
}
