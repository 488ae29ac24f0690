/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "statedir.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "macro.h"

static int private_dir(const char *db_path)
{
	_cleanup_free_ char *copy = strdup(db_path);
	const char *dir;
	struct stat st;

	if (!copy)
		return -ENOMEM;
	dir = dirname(copy);
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return negative_errno();
	if (stat(dir, &st) < 0)
		return negative_errno();
	if ((st.st_mode & 07777) == 0700)
		return 0;
	if (st.st_uid != geteuid() || (st.st_mode & S_ISVTX)) {
		log_warning("%s is mode %04o and not ours to tighten: the database's secrets"
			    " rely on its own mode 0600", dir, (unsigned)(st.st_mode & 07777));
		return 0;
	}
	if (chmod(dir, 0700) < 0)
		return negative_errno();
	log_notice("%s: mode %04o -> 0700 (it holds the registry's secrets)", dir,
		   (unsigned)(st.st_mode & 07777));
	return 0;
}

int statedir_lock(const char *db_path, char **ret_lock_path, int *ret_fd)
{
	_cleanup_free_ char *path = NULL;
	_cleanup_close_ int fd = -1;
	int r;

	if (asprintf(&path, "%s.lock", db_path) < 0)
		return -ENOMEM;
	r = private_dir(db_path);
	if (r < 0)
		return r;
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return negative_errno();
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		r = negative_errno();
		*ret_lock_path = TAKE_PTR(path);
		return r == -EAGAIN ? -EWOULDBLOCK : r;
	}
	*ret_lock_path = TAKE_PTR(path);
	*ret_fd = TAKE_FD(fd);
	return 0;
}
