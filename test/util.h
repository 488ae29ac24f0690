/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * util.h - helpers shared by the project's C test programs, next to check.h.
 *
 *   sh("ip netns add %s", name)   run a shell command line (printf format,
 *                                 at most 2047 bytes); its exit status, or
 *                                 -1 if it did not exit normally
 */
#ifndef RE6ST_TEST_UTIL_H
#define RE6ST_TEST_UTIL_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>

static inline int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static inline int sh(const char *fmt, ...)
{
	char cmd[2048];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	int r = system(cmd);
	return WIFEXITED(r) ? WEXITSTATUS(r) : -1;
}

#endif
