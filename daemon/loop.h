/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * loop.h - the daemon's single-threaded, non-blocking event loop.
 *
 * One poll() per iteration. Each iteration reads the monotonic clock once
 * (loop_now()), fires every expired timer, computes the next deadline from
 * the remaining timers and polls the registered file descriptors until
 * then. Signals arrive through a signalfd: no code runs in signal context;
 * the handler registered with loop_add_signal() is called from the loop like
 * any other event.
 *
 * The clock is CLOCK_MONOTONIC_COARSE: the kernel's time at its last tick
 * (1 to 10 ms old, by CONFIG_HZ), read from the vDSO without a system call
 * whatever the clocksource (a clocksource the vDSO cannot read, as under
 * qemu TCG or Xen's, makes CLOCK_MONOTONIC a system call on every wake-up).
 * After a poll() that timed out, the clock reads at least the time read
 * before it plus the timeout: a timer is never found not yet due because
 * the clock lags, and no reading is ever below an earlier one.
 *
 * Callbacks may add and remove sources (including themselves) at any time;
 * a removed source is never called again, and is freed after the current
 * dispatch. Nothing here logs.
 */
#ifndef RE6ST_DAEMON_LOOP_H
#define RE6ST_DAEMON_LOOP_H

#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <signal.h>
#include <sys/types.h>
#include <sys/signalfd.h>

#include "macro.h"

struct loop;
struct loop_io;
struct loop_timer;

/* revents: the poll() revents (POLLIN, POLLOUT, POLLERR, POLLHUP...). */
typedef void (*loop_io_fn)(struct loop *l, int fd, short revents, void *userdata);
typedef void (*loop_timer_fn)(struct loop *l, struct loop_timer *t, void *userdata);
typedef void (*loop_signal_fn)(struct loop *l, const struct signalfd_siginfo *si,
			       void *userdata);

/* Create a loop. 0, or -ENOMEM / -errno from signalfd(). */
int loop_new(struct loop **ret);
/* Free the loop and every source still registered (fds are not closed). */
void loop_free(struct loop *l);
DEFINE_FREEP(struct loop, loop_free)

/* Monotonic milliseconds, read at the start of the current iteration. */
uint64_t loop_now(const struct loop *l);
/* Monotonic milliseconds (the coarse clock, above), read now. */
uint64_t loop_clock_ms(void);
/* Unix time in seconds, read now (certificates and netconf are stamped with it). */
uint64_t loop_unix_now(void);

/*
 * Watch fd for events (POLLIN and/or POLLOUT). POLLERR/POLLHUP are always
 * reported. The fd stays owned by the caller, who must remove the source
 * before closing it. ret may be NULL if the caller never changes or removes
 * the source before loop_free(). 0 or -ENOMEM/-EINVAL.
 */
int loop_add_io(struct loop *l, int fd, short events, loop_io_fn cb, void *userdata,
		struct loop_io **ret);
void loop_io_set_events(struct loop_io *io, short events);
/* Remove (NULL-safe). */
void loop_io_remove(struct loop_io *io);

/*
 * A timer that fires at monotonic time `when` (ms; 0 = next iteration) and,
 * if period_ms > 0, every period_ms after that (missed periods are skipped,
 * never fired in a burst). A one-shot timer stays registered but disarmed
 * after firing: re-arm it with loop_timer_set() or remove it.
 * 0 or -ENOMEM/-EINVAL.
 */
int loop_add_timer(struct loop *l, uint64_t when, uint64_t period_ms, loop_timer_fn cb,
		   void *userdata, struct loop_timer **ret);
/* Arm (or re-arm) at absolute monotonic time `when`. */
void loop_timer_set(struct loop_timer *t, uint64_t when);
/* Arm at loop_now() + delay_ms. */
void loop_timer_set_in(struct loop_timer *t, uint64_t delay_ms);
/*
 * Arm at `when`, allowing the timer to fire up to slack_ms early when the
 * loop wakes for something else (another timer, a file descriptor) from
 * when - slack_ms on: work that may come a little early joins a wake-up
 * that happens anyway instead of adding one. The loop never wakes for it
 * before `when`. loop_timer_set() and loop_timer_set_in() clear the slack.
 */
void loop_timer_set_slack(struct loop_timer *t, uint64_t when, uint64_t slack_ms);
void loop_timer_disarm(struct loop_timer *t);
bool loop_timer_armed(const struct loop_timer *t);
/* Remove (NULL-safe). */
void loop_timer_remove(struct loop_timer *t);

/*
 * Block signo for the whole process and deliver it through the loop's
 * signalfd to cb (one handler per signal; a second call replaces it).
 * Children must reset their signal mask: use loop_spawn().
 * 0 or -EINVAL/-errno.
 */
int loop_add_signal(struct loop *l, int signo, loop_signal_fn cb, void *userdata);

/*
 * Start argv[0] (a path, not searched in PATH unless it has no '/') with
 * an empty signal mask and default signal dispositions, stdin from
 * /dev/null; stdout/stderr inherited. envp NULL means the current environ.
 * 0 with *ret_pid, or -errno.
 */
int loop_spawn(char *const argv[], char *const envp[], pid_t *ret_pid);
/* The same with stdout and stderr on out_fd (-1: inherited). */
int loop_spawn_output(char *const argv[], char *const envp[], int out_fd, pid_t *ret_pid);

/*
 * Call cb once when child pid exits (status as from waitpid()). The loop
 * reaps only the pids it watches, through SIGCHLD, which it blocks from
 * loop_new() on (loop_add_signal(SIGCHLD) would replace this: don't).
 * Watch right after spawning, before returning to the loop.
 * 0 or -ENOMEM/-EINVAL.
 */
typedef void (*loop_child_fn)(struct loop *l, pid_t pid, int status, void *userdata);
int loop_watch_child(struct loop *l, pid_t pid, loop_child_fn cb, void *userdata);
/* Forget a watched child (it will not be reaped by the loop). */
void loop_unwatch_child(struct loop *l, pid_t pid);

/*
 * Run until loop_exit(). Returns the code given to loop_exit(), or -errno
 * if poll() fails for another reason than EINTR.
 */
int loop_run(struct loop *l);
/* Run one iteration, waiting at most max_wait_ms (-1: until next event).
 * Reads the clock first (loop_run() takes the time read after the last
 * poll()). */
int loop_run_once(struct loop *l, int max_wait_ms);
void loop_exit(struct loop *l, int code);
bool loop_exiting(const struct loop *l);

#endif
