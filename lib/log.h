/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * log.h - leveled logging for every program of the project.
 *
 * Levels follow syslog: LOG_ERR .. LOG_DEBUG. A program calls log_setup()
 * once at start; until then messages go to stderr at LOG_INFO. Helpers do
 * not log their errors: they return -errno and the caller logs once, with
 * context. log_errno() appends strerror(-err) to the message and returns
 * err, so "return log_errno(LOG_ERR, r, "...")" reads naturally.
 */
#ifndef RE6ST_LOG_H
#define RE6ST_LOG_H

#include <stdbool.h>
#include <syslog.h>
#include "macro.h"

enum log_target {
	/* default: "re6stnet: warning: message"; "<4>message" (sd-daemon's
	 * priority prefix) when stderr is the journal's stream (see
	 * log_stderr_is_journal()), so that journald files each line at its
	 * level. */
	LOG_TARGET_STDERR,
	LOG_TARGET_FILE,   /* timestamped lines appended to a file */
	LOG_TARGET_SYSLOG,
};

/* Configure logging. For LOG_TARGET_FILE, path names the file; 0 or -errno. */
int log_setup(const char *ident, int max_level, enum log_target target, const char *path);
void log_set_level(int max_level);
int log_get_level(void);
/* Parse "error|warning|notice|info|debug" or "0".."7"; returns level or -EINVAL. */
int log_level_from_string(const char *s);
const char *log_level_to_string(int level);

void log_msg(int level, const char *fmt, ...) _printf_(2, 3);
/* Logs "fmt: strerror(-err)" and returns err (which should be negative). */
int log_errno(int level, int err, const char *fmt, ...) _printf_(3, 4);
void log_close(void);
/* A command-line error as command-line tools print it, "re6stnet: msg",
 * at any level, with the stderr target (the default until log_setup());
 * "<3>msg" in the journal. */
void log_cli_error(const char *fmt, ...) _printf_(1, 2);
/* Is stderr the journal's stream? $JOURNAL_STREAM names its "dev:ino" and
 * stderr's fstat() matches it. Checked again by every log_setup(). */
bool log_stderr_is_journal(void);

#define log_error(...) log_msg(LOG_ERR, __VA_ARGS__)
#define log_warning(...) log_msg(LOG_WARNING, __VA_ARGS__)
#define log_notice(...) log_msg(LOG_NOTICE, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...) \
	do { if (log_get_level() >= LOG_DEBUG) log_msg(LOG_DEBUG, __VA_ARGS__); } while (0)

#endif
