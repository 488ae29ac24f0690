/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The "hooks" module: --up and --daemon commands (hooks.h). */
#include <signal.h>
#include <time.h>
#include <sys/wait.h>

#include "ctx.h"
#include "hooks.h"
#include "log.h"

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

int hooks_init(struct ctx *c)
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

void hooks_fini(struct ctx *c)
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

