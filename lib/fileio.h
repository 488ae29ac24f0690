/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fileio.h - whole-file reads and crash-safe writes.
 */
#ifndef RE6ST_FILEIO_H
#define RE6ST_FILEIO_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/*
 * Read a regular file whole. *ret is malloc'ed, NUL-terminated (not counted
 * in *ret_len). -EFBIG if larger than max bytes, -EINVAL not a regular file,
 * other -errno from open/read, -ENOMEM.
 */
int read_file_full(const char *path, size_t max, char **ret, size_t *ret_len);

/*
 * Replace path atomically with data: write "path.XXXXXX" in the same
 * directory created with `mode` (umask does not widen or narrow it: fchmod
 * is applied), fsync it, rename over path, fsync the directory. After a
 * crash the file is either the old or the new content. On failure the
 * temporary file is removed and path is untouched. Returns 0 or -errno.
 */
int write_file_atomic(const char *path, const void *data, size_t len, mode_t mode);

#endif
