/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * macro.h - the project's one cleanup style and small helpers.
 *
 * Every function that owns resources declares them with a _cleanup_*
 * attribute; ownership is handed over explicitly with TAKE_PTR()/TAKE_FD().
 * Functions return 0 on success and -errno on failure; outputs are named
 * ret_* and written only on success.
 */
#ifndef RE6ST_MACRO_H
#define RE6ST_MACRO_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define _unused_ __attribute__((unused))
#define _printf_(a, b) __attribute__((format(printf, a, b)))
#define _noreturn_ __attribute__((noreturn))
#define _cleanup_(f) __attribute__((cleanup(f)))
#define _must_check_ __attribute__((warn_unused_result))

#define MIN(a, b) ((a) < (b) ? (a) : (b))
#define MAX(a, b) ((a) > (b) ? (a) : (b))

/* Take ownership of a pointer / fd out of a _cleanup_ variable. */
#define TAKE_PTR(p)                     \
	({                              \
		__typeof__(p) _p_ = (p); \
		(p) = NULL;             \
		_p_;                    \
	})
#define TAKE_FD(fd)               \
	({                        \
		int _fd_ = (fd);  \
		(fd) = -1;        \
		_fd_;             \
	})

static inline void freep(void *p)
{
	free(*(void **)p);
}
static inline void closep(int *fd)
{
	if (*fd >= 0) {
		int saved = errno;
		close(*fd);
		errno = saved;
	}
}
static inline void fclosep(FILE **f)
{
	if (*f)
		fclose(*f);
}

#define _cleanup_free_ _cleanup_(freep)
#define _cleanup_close_ _cleanup_(closep)
#define _cleanup_fclose_ _cleanup_(fclosep)

/* Define a NULL-safe "type_freep" for use with _cleanup_(). */
#define DEFINE_FREEP(type, func)              \
	static inline void func##p(type **p)  \
	{                                     \
		if (*p)                       \
			func(*p);             \
	}

/* Return -errno from a libc call that sets errno, never 0 by mistake. */
static inline int negative_errno(void)
{
	return errno > 0 ? -errno : -EIO;
}

#endif
