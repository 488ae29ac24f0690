/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * statedir.h - the registry's state directory: one instance, private.
 *
 * registry.db holds the babel HMAC keys and unused tokens with their
 * e-mail addresses: it, its -wal and -shm are 0600 (db_open()) and its
 * directory 0700, whoever created the directory (systemd's StateDirectory=
 * makes it 0755): a directory we own is tightened, one we do not own or a
 * sticky one (/tmp) is left alone with a warning.
 *
 * Before anything is opened, an exclusive flock(2) on "DB.lock" beside the
 * database makes a second registry on the same database stop with status 2
 * and leave the first untouched.
 */
#ifndef RE6ST_REGISTRY_STATEDIR_H
#define RE6ST_REGISTRY_STATEDIR_H

/*
 * Create the database's directory (0700) when missing, tighten it, take the
 * lock.  *ret_fd: the lock, held until closed.  -EWOULDBLOCK when another
 * instance holds it (*ret_fd unchanged), -errno otherwise; the caller logs.
 */
int statedir_lock(const char *db_path, char **ret_lock_path, int *ret_fd);

#endif
