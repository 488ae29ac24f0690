/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * check.h - the check counter shared by the project's C test programs.
 *
 *   CHECK(cond);                      counts a pass, or prints the failed
 *   CHECK(cond, "fmt", args...);      condition (and the message) with its place
 *   CHECK_EQ(a, b);                   integers; a failure shows both values and
 *                                     the errno name of a negative -errno one
 *   return check_summary();           prints "N passed, N failed", the closing
 *                                     line CI reads, and gives the exit code
 *
 * The counters are atomic: a test may check from several threads.
 * check_tag, when set, prefixes failure messages (e.g. a scenario name).
 */
#ifndef RE6ST_TEST_CHECK_H
#define RE6ST_TEST_CHECK_H

#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static atomic_uint check_passed, check_failed;
static const char *check_tag = "";

static inline bool check_report(bool ok, const char *file, int line, const char *expr,
				const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static inline bool check_report(bool ok, const char *file, int line, const char *expr,
				const char *fmt, ...)
{
	va_list ap;

	if (ok) {
		check_passed++;
		return true;
	}
	check_failed++;
	flockfile(stderr);
	fprintf(stderr, "%s%sFAIL %s:%d: %s", check_tag, *check_tag ? " " : "", file, line, expr);
	/* fmt is " " followed by the caller's message, if any */
	if (fmt[1]) {
		fputs(":", stderr);
		va_start(ap, fmt);
		vfprintf(stderr, fmt, ap);
		va_end(ap);
	}
	fputc('\n', stderr);
	funlockfile(stderr);
	return false;
}

/* " " keeps the format non-empty when no message is given. */
#define CHECK(cond, ...) check_report(!!(cond), __FILE__, __LINE__, #cond, " " __VA_ARGS__)

static inline bool check_eq(long long a, long long b, const char *file, int line,
			    const char *expr)
{
	bool errno_like = a < 0 && a > -4096;
	return check_report(a == b, file, line, expr, " %lld vs %lld%s%s", a, b,
			    errno_like ? ", " : "", errno_like ? strerror((int)-a) : "");
}

#define CHECK_EQ(a, b) check_eq((long long)(a), (long long)(b), __FILE__, __LINE__, #a " == " #b)

static inline int check_summary(void)
{
	unsigned p = check_passed, f = check_failed;
	printf("%u passed, %u failed\n", p, f);
	return f ? 1 : 0;
}

#endif
