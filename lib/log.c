/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/time.h>

#include "log.h"

/*
 * The logger's configuration is process-wide by nature (like syslog's own);
 * it is written once by log_setup() before any other thread exists.
 */
static struct {
	const char *ident;
	int level;
	enum log_target target;
	FILE *file;
	int journal; /* stderr is the journal's stream: -1 not checked yet, 0, 1 */
} logger = { NULL, LOG_INFO, LOG_TARGET_STDERR, NULL, -1 };

/* Before log_setup(), messages carry the program's own name. */
static const char *ident(void)
{
	return logger.ident ? logger.ident : program_invocation_short_name;
}

static const char *const level_names[] = {
	[LOG_EMERG] = "emerg", [LOG_ALERT] = "alert", [LOG_CRIT] = "critical",
	[LOG_ERR] = "error", [LOG_WARNING] = "warning", [LOG_NOTICE] = "notice",
	[LOG_INFO] = "info", [LOG_DEBUG] = "debug",
};

bool log_stderr_is_journal(void)
{
	const char *e = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	int n = 0;
	struct stat st;
	/* systemd's docs: "DEVICE:INODE" of the stream it connected to
	 * stdout/stderr; a child with stderr redirected inherits the variable,
	 * so stderr itself must be that stream. */
	if (!e || sscanf(e, "%llu:%llu%n", &dev, &ino, &n) != 2 || e[n] != '\0')
		return false;
	if (fstat(STDERR_FILENO, &st) < 0)
		return false;
	return (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
}

static bool journal(void)
{
	if (logger.journal < 0)
		logger.journal = log_stderr_is_journal();
	return logger.journal;
}

int log_setup(const char *ident, int max_level, enum log_target target, const char *path)
{
	log_close();
	logger.journal = -1;
	logger.ident = ident;
	logger.level = max_level;
	logger.target = target;
	if (target == LOG_TARGET_FILE) {
		FILE *f = fopen(path, "ae");
		if (!f) {
			int r = negative_errno();
			logger.target = LOG_TARGET_STDERR;
			return r;
		}
		setvbuf(f, NULL, _IOLBF, 0);
		logger.file = f;
	} else if (target == LOG_TARGET_SYSLOG) {
		openlog(ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
	}
	return 0;
}

void log_close(void)
{
	if (logger.file)
		fclose(logger.file);
	logger.file = NULL;
	if (logger.target == LOG_TARGET_SYSLOG)
		closelog();
	logger.target = LOG_TARGET_STDERR;
}

void log_set_level(int max_level)
{
	logger.level = max_level;
}

int log_get_level(void)
{
	return logger.level;
}

int log_level_from_string(const char *s)
{
	if (s[0] >= '0' && s[0] <= '7' && s[1] == '\0')
		return s[0] - '0';
	for (int i = 0; i < (int)ARRAY_SIZE(level_names); i++)
		if (strcmp(s, level_names[i]) == 0)
			return i;
	if (strcmp(s, "err") == 0)
		return LOG_ERR;
	if (strcmp(s, "warn") == 0)
		return LOG_WARNING;
	return -EINVAL;
}

const char *log_level_to_string(int level)
{
	if (level < 0 || level >= (int)ARRAY_SIZE(level_names))
		return "?";
	return level_names[level];
}

static void log_vmsg(int level, const char *fmt, va_list ap, int err, bool plain)
	__attribute__((format(printf, 2, 0)));
static void log_vmsg(int level, const char *fmt, va_list ap, int err, bool plain)
{
	char buf[2048];
	int n = vsnprintf(buf, sizeof(buf), fmt, ap);
	if (n < 0)
		return;
	if (err && (size_t)n < sizeof(buf))
		snprintf(buf + n, sizeof(buf) - n, ": %s", strerror(-err));

	switch (logger.target) {
	case LOG_TARGET_SYSLOG:
		syslog(level, "%s", buf);
		break;
	case LOG_TARGET_FILE: {
		struct timeval tv;
		struct tm tm;
		char ts[32];
		gettimeofday(&tv, NULL);
		localtime_r(&tv.tv_sec, &tm);
		strftime(ts, sizeof(ts), "%Y-%m-%d %H:%M:%S", &tm);
		fprintf(logger.file, "%s.%03ld %s[%d] %s: %s\n", ts, (long)tv.tv_usec / 1000,
			ident(), (int)getpid(), log_level_to_string(level), buf);
		break;
	}
	default:
		/* The journal takes the level from sd-daemon's "<N>" prefix
		 * (and the program's name from the unit): nothing else. */
		if (journal())
			fprintf(stderr, "<%d>%s\n", level, buf);
		else if (plain)
			fprintf(stderr, "%s: %s\n", ident(), buf);
		else
			fprintf(stderr, "%s: %s: %s\n", ident(), log_level_to_string(level), buf);
		break;
	}
}

void log_msg(int level, const char *fmt, ...)
{
	va_list ap;
	if (level > logger.level)
		return;
	va_start(ap, fmt);
	log_vmsg(level, fmt, ap, 0, false);
	va_end(ap);
}

void log_cli_error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	log_vmsg(LOG_ERR, fmt, ap, 0, true);
	va_end(ap);
}

int log_errno(int level, int err, const char *fmt, ...)
{
	va_list ap;
	if (level <= logger.level) {
		va_start(ap, fmt);
		log_vmsg(level, fmt, ap, err < 0 ? err : -err, false);
		va_end(ap);
	}
	return err;
}
