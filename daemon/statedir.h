/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * statedir.h - the node's directories, and one re6stnet per state directory.
 *
 * re6stnet takes an exclusive flock(2) on STATE_DIR/re6stnet.lock before it
 * touches anything else (kernel objects, babeld, the control socket) and
 * holds it for its whole life; the kernel drops it when the process dies,
 * however it dies. So a babeld or kernel objects found at start-up while
 * the lock is ours were left by a dead re6stnet, never by a live one.
 */
#ifndef RE6ST_DAEMON_STATEDIR_H
#define RE6ST_DAEMON_STATEDIR_H

#include <sys/types.h>

/* mkdir -p; the last component gets mode (whatever the umask), the parents
 * 0755. An existing directory is left as it is. 0 or -errno. */
int mkdir_p(const char *path, mode_t mode);

/*
 * Create state_dir if needed and set it 0700 (whoever created it: systemd
 * makes StateDirectory= 0755), then lock it. *ret_fd holds the lock (close
 * it to release; it is close-on-exec, so babeld and the hooks do not keep
 * it). -EBUSY when another process holds it, with *ret_holder its pid as
 * written in the lock file (0 if unknown); other -errno from mkdir, chmod,
 * open, flock.
 */
int statedir_lock(const char *state_dir, int *ret_fd, pid_t *ret_holder);

/*
 * A babeld left by a re6stnet killed with SIGKILL still runs with its
 * routes, and its pid file makes a new babeld refuse to start: if pid_path
 * names a running babeld, SIGTERM it (it then withdraws its routes and saves
 * its seqno) and wait up to 3 s, then SIGKILL it. Removes pid_path. Call it
 * before removing the tunnel interfaces it uses: Debian's babeld 1.12.1 was
 * seen to abort (flushbuf assertion) when they vanished under it, saving
 * nothing. babel_start() calls it too. Only with the state directory
 * locked: then the babeld it finds is a dead re6stnet's, never a live one's.
 */
void babel_stop_stale(const char *pid_path);

#endif
