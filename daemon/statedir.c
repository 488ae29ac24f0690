/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>

#include "log.h"
#include "macro.h"
#include "statedir.h"

static int mkdir_mode(const char *path, mode_t mode)
{
	if (mkdir(path, mode) < 0)
		return errno == EEXIST ? 0 : negative_errno();
	/* mkdir() applies the umask (077 in re6stnet): set the mode asked. */
	return chmod(path, mode) < 0 ? negative_errno() : 0;
}

int mkdir_p(const char *path, mode_t mode)
{
	_cleanup_free_ char *p = strdup(path);
	if (!p)
		return -ENOMEM;
	for (char *s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		int r = mkdir_mode(p, 0755);
		if (r < 0)
			return r;
		*s = '/';
	}
	return mkdir_mode(p, mode);
}

static pid_t read_holder(int fd)
{
	char buf[24] = "";
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	long pid = strtol(buf, NULL, 10);
	return pid > 0 ? (pid_t)pid : 0;
}

int statedir_lock(const char *state_dir, int *ret_fd, pid_t *ret_holder)
{
	_cleanup_free_ char *path = NULL;
	_cleanup_close_ int fd = -1;
	int r = mkdir_p(state_dir, 0700);
	if (r < 0)
		return r;
	if (chmod(state_dir, 0700) < 0)
		return negative_errno();
	if (asprintf(&path, "%s/re6stnet.lock", state_dir) < 0)
		return -ENOMEM;
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return negative_errno();
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		r = negative_errno();
		if (r == -EWOULDBLOCK) {
			*ret_holder = read_holder(fd);
			return -EBUSY;
		}
		return r;
	}
	/* For the message a second instance prints; the lock is the flock. */
	char pid[24];
	int n = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) < 0 || pwrite(fd, pid, (size_t)n, 0) != n)
		return negative_errno();
	*ret_fd = TAKE_FD(fd);
	return 0;
}

void babel_stop_stale(const char *pid_path)
{
	char buf[32] = "", comm[64] = "", path[64];
	FILE *f = fopen(pid_path, "re");
	if (f) {
		if (!fgets(buf, sizeof(buf), f))
			buf[0] = '\0';
		fclose(f);
	}
	long pid = strtol(buf, NULL, 10);
	if (pid > 1) {
		snprintf(path, sizeof(path), "/proc/%ld/comm", pid);
		f = fopen(path, "re");
		if (f) {
			if (!fgets(comm, sizeof(comm), f))
				comm[0] = '\0';
			fclose(f);
		}
		if (!strcmp(comm, "babeld\n") && kill((pid_t)pid, SIGTERM) == 0) {
			log_warning("stopping a stale babeld (pid %ld)", pid);
			for (int i = 0; i < 300 && kill((pid_t)pid, 0) == 0; i++) {
				struct timespec ts = { 0, 10 * 1000000 };
				nanosleep(&ts, NULL);
			}
			kill((pid_t)pid, SIGKILL);
		}
	}
	unlink(pid_path);
}
