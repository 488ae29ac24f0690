/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <fcntl.h>
#include <spawn.h>
#include <time.h>
#include <sys/wait.h>

#include "loop.h"

/*
 * Sources live in plain arrays scanned linearly: a node has tens of fds and
 * timers, far below the point where a heap would pay for itself, and a
 * linear scan allocates nothing per iteration.
 */
struct loop_io {
	struct loop *loop;
	int fd;
	short events;
	bool dead;
	loop_io_fn cb;
	void *userdata;
};

struct loop_timer {
	struct loop *loop;
	uint64_t when; /* 0 = disarmed */
	uint64_t slack; /* may fire this much early on a wake-up (loop_timer_set_slack()) */
	uint64_t period;
	bool dead;
	loop_timer_fn cb;
	void *userdata;
};

struct loop_sig {
	loop_signal_fn cb;
	void *userdata;
};

struct loop_child {
	pid_t pid;
	loop_child_fn cb;
	void *userdata;
};

struct loop {
	struct loop_io **io;
	size_t n_io, cap_io;
	struct loop_timer **timers;
	size_t n_timers, cap_timers;
	struct pollfd *pfd;
	size_t cap_pfd;
	bool garbage; /* some sources are dead and wait to be freed */

	sigset_t sigmask;
	int sigfd;
	struct loop_sig sigs[_NSIG];

	struct loop_child *children;
	size_t n_children;

	uint64_t now;
	bool exiting;
	int exit_code;
};

static void reap_children(struct loop *l, const struct signalfd_siginfo *si, void *userdata);

/* A time known to have passed (loop.h): a poll() that timed out slept at
 * least its timeout since the time read before it. Every loop shares it:
 * it is true whichever loop slept. */
static uint64_t clock_floor;

uint64_t loop_clock_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	uint64_t ms = (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
	if (ms > clock_floor)
		clock_floor = ms;
	return clock_floor;
}

uint64_t loop_unix_now(void)
{
	struct timespec ts;
	/* Not the coarse clock: a certificate the registry stamped a few
	 * ms ago must not read as not valid yet. */
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec;
}

int loop_new(struct loop **ret)
{
	struct loop *l = calloc(1, sizeof(*l));
	if (!l)
		return -ENOMEM;
	sigemptyset(&l->sigmask);
	l->sigfd = signalfd(-1, &l->sigmask, SFD_NONBLOCK | SFD_CLOEXEC);
	if (l->sigfd < 0) {
		int r = negative_errno();
		free(l);
		return r;
	}
	l->now = loop_clock_ms();
	/*
	 * SIGCHLD is blocked from the start, so a child that exits before it
	 * is watched still leaves a pending signal on the signalfd.
	 */
	int r = loop_add_signal(l, SIGCHLD, reap_children, NULL);
	if (r < 0) {
		loop_free(l);
		return r;
	}
	*ret = l;
	return 0;
}

static void collect_garbage(struct loop *l)
{
	size_t j = 0;
	for (size_t i = 0; i < l->n_io; i++) {
		if (l->io[i]->dead)
			free(l->io[i]);
		else
			l->io[j++] = l->io[i];
	}
	l->n_io = j;
	j = 0;
	for (size_t i = 0; i < l->n_timers; i++) {
		if (l->timers[i]->dead)
			free(l->timers[i]);
		else
			l->timers[j++] = l->timers[i];
	}
	l->n_timers = j;
	l->garbage = false;
}

void loop_free(struct loop *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->n_io; i++)
		free(l->io[i]);
	for (size_t i = 0; i < l->n_timers; i++)
		free(l->timers[i]);
	free(l->io);
	free(l->timers);
	free(l->pfd);
	free(l->children);
	if (l->sigfd >= 0)
		close(l->sigfd);
	/* Give the process its signals back, e.g. for a test that goes on. */
	sigprocmask(SIG_UNBLOCK, &l->sigmask, NULL);
	free(l);
}

uint64_t loop_now(const struct loop *l)
{
	return l->now;
}

static int grow(void **array, size_t *cap, size_t need, size_t elem)
{
	if (need <= *cap)
		return 0;
	size_t n = MAX(*cap * 2, (size_t)8);
	while (n < need)
		n *= 2;
	void *p = reallocarray(*array, n, elem);
	if (!p)
		return -ENOMEM;
	*array = p;
	*cap = n;
	return 0;
}

int loop_add_io(struct loop *l, int fd, short events, loop_io_fn cb, void *userdata,
		struct loop_io **ret)
{
	if (fd < 0 || !cb)
		return -EINVAL;
	int r = grow((void **)&l->io, &l->cap_io, l->n_io + 1, sizeof(*l->io));
	if (r < 0)
		return r;
	struct loop_io *io = calloc(1, sizeof(*io));
	if (!io)
		return -ENOMEM;
	*io = (struct loop_io){ .loop = l, .fd = fd, .events = events, .cb = cb,
				.userdata = userdata };
	l->io[l->n_io++] = io;
	if (ret)
		*ret = io;
	return 0;
}

void loop_io_set_events(struct loop_io *io, short events)
{
	io->events = events;
}

void loop_io_remove(struct loop_io *io)
{
	if (!io)
		return;
	io->dead = true;
	io->loop->garbage = true;
}

int loop_add_timer(struct loop *l, uint64_t when, uint64_t period_ms, loop_timer_fn cb,
		   void *userdata, struct loop_timer **ret)
{
	if (!cb)
		return -EINVAL;
	int r = grow((void **)&l->timers, &l->cap_timers, l->n_timers + 1, sizeof(*l->timers));
	if (r < 0)
		return r;
	struct loop_timer *t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	*t = (struct loop_timer){ .loop = l, .when = when ? when : 1, .period = period_ms,
				  .cb = cb, .userdata = userdata };
	l->timers[l->n_timers++] = t;
	if (ret)
		*ret = t;
	return 0;
}

void loop_timer_set(struct loop_timer *t, uint64_t when)
{
	t->when = when ? when : 1;
	t->slack = 0;
}

void loop_timer_set_slack(struct loop_timer *t, uint64_t when, uint64_t slack_ms)
{
	loop_timer_set(t, when);
	t->slack = slack_ms;
}

void loop_timer_set_in(struct loop_timer *t, uint64_t delay_ms)
{
	loop_timer_set(t, t->loop->now + delay_ms);
}

void loop_timer_disarm(struct loop_timer *t)
{
	t->when = 0;
}

bool loop_timer_armed(const struct loop_timer *t)
{
	return t->when != 0 && !t->dead;
}

void loop_timer_remove(struct loop_timer *t)
{
	if (!t)
		return;
	t->dead = true;
	t->when = 0;
	t->loop->garbage = true;
}

int loop_add_signal(struct loop *l, int signo, loop_signal_fn cb, void *userdata)
{
	if (signo <= 0 || signo >= _NSIG || !cb)
		return -EINVAL;
	sigset_t one;
	sigemptyset(&one);
	sigaddset(&one, signo);
	if (sigprocmask(SIG_BLOCK, &one, NULL) < 0)
		return negative_errno();
	sigaddset(&l->sigmask, signo);
	if (signalfd(l->sigfd, &l->sigmask, SFD_NONBLOCK | SFD_CLOEXEC) < 0)
		return negative_errno();
	l->sigs[signo] = (struct loop_sig){ cb, userdata };
	return 0;
}

int loop_spawn(char *const argv[], char *const envp[], pid_t *ret_pid)
{
	return loop_spawn_output(argv, envp, -1, ret_pid);
}

int loop_spawn_output(char *const argv[], char *const envp[], int out_fd, pid_t *ret_pid)
{
	extern char **environ;
	posix_spawnattr_t attr;
	posix_spawn_file_actions_t fa;
	sigset_t empty, all;
	int r;

	if (!argv || !argv[0])
		return -EINVAL;
	r = posix_spawnattr_init(&attr);
	if (r)
		return -r;
	r = posix_spawn_file_actions_init(&fa);
	if (r) {
		posix_spawnattr_destroy(&attr);
		return -r;
	}
	sigemptyset(&empty);
	sigfillset(&all);
	posix_spawnattr_setsigmask(&attr, &empty);
	posix_spawnattr_setsigdefault(&attr, &all);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF |
					       POSIX_SPAWN_SETPGROUP);
	posix_spawnattr_setpgroup(&attr, 0);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	if (out_fd >= 0) {
		posix_spawn_file_actions_adddup2(&fa, out_fd, 1);
		posix_spawn_file_actions_adddup2(&fa, out_fd, 2);
	}

	pid_t pid;
	r = (strchr(argv[0], '/') ? posix_spawn : posix_spawnp)(&pid, argv[0], &fa, &attr, argv,
								 envp ? envp : environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	if (r)
		return -r;
	*ret_pid = pid;
	return 0;
}

static void reap_children(struct loop *l, const struct signalfd_siginfo *si, void *userdata)
{
	/* Callbacks may watch/unwatch: restart the scan after each one. */
	bool again = true;
	while (again) {
		again = false;
		for (size_t i = 0; i < l->n_children; i++) {
			int status;
			pid_t pid = l->children[i].pid;
			if (waitpid(pid, &status, WNOHANG) != pid)
				continue;
			struct loop_child ch = l->children[i];
			l->children[i] = l->children[--l->n_children];
			ch.cb(l, pid, status, ch.userdata);
			again = true;
			break;
		}
	}
}

int loop_watch_child(struct loop *l, pid_t pid, loop_child_fn cb, void *userdata)
{
	if (pid <= 0 || !cb)
		return -EINVAL;
	struct loop_child *c = reallocarray(l->children, l->n_children + 1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	l->children = c;
	c[l->n_children++] = (struct loop_child){ pid, cb, userdata };
	return 0;
}

void loop_unwatch_child(struct loop *l, pid_t pid)
{
	for (size_t i = 0; i < l->n_children; i++)
		if (l->children[i].pid == pid) {
			l->children[i] = l->children[--l->n_children];
			return;
		}
}

static void dispatch_signals(struct loop *l)
{
	struct signalfd_siginfo si;
	for (;;) {
		ssize_t n = read(l->sigfd, &si, sizeof(si));
		if (n != (ssize_t)sizeof(si))
			return;
		if (si.ssi_signo < _NSIG && l->sigs[si.ssi_signo].cb)
			l->sigs[si.ssi_signo].cb(l, &si, l->sigs[si.ssi_signo].userdata);
	}
}

static void fire_timers(struct loop *l)
{
	/*
	 * Due timers fire earliest deadline first (a late turn may find several
	 * due). Timers added by a callback have index >= n and wait for the next
	 * turn; at most n fire per turn, so a callback re-arming a timer in the
	 * past cannot starve the rest of the loop.
	 */
	size_t n = l->n_timers;
	for (size_t fired = 0; fired < n && !l->exiting; fired++) {
		struct loop_timer *t = NULL;
		for (size_t i = 0; i < n; i++) {
			struct loop_timer *x = l->timers[i];
			/* when - slack <= now, without wrapping below 0 */
			if (x->dead || x->when == 0 || x->when > l->now + x->slack)
				continue;
			if (!t || x->when < t->when)
				t = x;
		}
		if (!t)
			break;
		if (t->period) {
			uint64_t next = t->when + t->period;
			if (next <= l->now)
				next = l->now + t->period;
			t->when = next;
		} else {
			t->when = 0;
		}
		t->slack = 0;
		t->cb(l, t, t->userdata);
	}
}

static int next_timeout(const struct loop *l, int max_wait_ms)
{
	uint64_t next = UINT64_MAX;
	for (size_t i = 0; i < l->n_timers; i++) {
		const struct loop_timer *t = l->timers[i];
		if (!t->dead && t->when && t->when < next)
			next = t->when;
	}
	if (next == UINT64_MAX)
		return max_wait_ms;
	uint64_t d = next > l->now ? next - l->now : 0;
	if (d > INT32_MAX)
		d = INT32_MAX;
	if (max_wait_ms >= 0 && (uint64_t)max_wait_ms < d)
		return max_wait_ms;
	return (int)d;
}

/* One iteration. The clock is read after poll() for the callbacks; at the
 * top only when asked (clock_stale): loop_run()'s next iteration takes the
 * time read after the last poll(), late by what its callbacks took, which
 * delays a timer by as much and saves a system call per wake-up. */
static int run_once(struct loop *l, int max_wait_ms, bool clock_stale)
{
	if (clock_stale)
		l->now = loop_clock_ms();
	fire_timers(l);
	if (l->garbage)
		collect_garbage(l);
	if (l->exiting)
		return 0;

	int r = grow((void **)&l->pfd, &l->cap_pfd, l->n_io + 1, sizeof(*l->pfd));
	if (r < 0)
		return r;
	size_t n = l->n_io;
	for (size_t i = 0; i < n; i++)
		l->pfd[i] = (struct pollfd){ .fd = l->io[i]->fd, .events = l->io[i]->events };
	l->pfd[n] = (struct pollfd){ .fd = l->sigfd, .events = POLLIN };

	int timeout = next_timeout(l, max_wait_ms);
	uint64_t before = l->now;
	r = poll(l->pfd, n + 1, timeout);
	int err = r < 0 ? errno : 0;
	if (r == 0 && timeout > 0 && before + (uint64_t)timeout > clock_floor)
		clock_floor = before + (uint64_t)timeout;
	l->now = loop_clock_ms();
	if (err == EINTR)
		return 0;
	if (err)
		return -err;
	if (l->pfd[n].revents)
		dispatch_signals(l);
	for (size_t i = 0; i < n && !l->exiting; i++) {
		struct loop_io *io = l->io[i];
		if (!l->pfd[i].revents || io->dead)
			continue;
		io->cb(l, io->fd, l->pfd[i].revents, io->userdata);
	}
	if (l->garbage)
		collect_garbage(l);
	return 0;
}

int loop_run_once(struct loop *l, int max_wait_ms)
{
	return run_once(l, max_wait_ms, true);
}

int loop_run(struct loop *l)
{
	for (bool first = true; !l->exiting; first = false) {
		int r = run_once(l, -1, first);
		if (r < 0)
			return r;
	}
	return l->exit_code;
}

void loop_exit(struct loop *l, int code)
{
	if (!l->exiting)
		l->exit_code = code;
	l->exiting = true;
}

bool loop_exiting(const struct loop *l)
{
	return l->exiting;
}
