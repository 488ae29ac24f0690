/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * lib/log.c under systemd: with $JOURNAL_STREAM naming stderr's dev:ino,
 * every line starts with sd-daemon's "<N>" priority prefix; with the
 * variable unset, naming another file, or garbled, lines are the usual
 * "ident: level: message". And the levels babel-output.c gives babeld's
 * lines.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "babel-output.h"
#include "log.h"
#include "check.h"

/* Log a few lines with stderr on a fresh file and JOURNAL_STREAM as given
 * ("" : stderr's own dev:ino, NULL: unset); what was written in out. */
static void capture(const char *journal_stream, char *out, size_t size)
{
	char path[] = "/tmp/re6st-test-log.XXXXXX";
	int fd = mkstemp(path);
	int saved = dup(STDERR_FILENO);
	struct stat st;
	char env[64];
	fflush(stderr);
	dup2(fd, STDERR_FILENO);
	fstat(fd, &st);
	if (journal_stream && !*journal_stream) {
		snprintf(env, sizeof(env), "%llu:%llu", (unsigned long long)st.st_dev,
			 (unsigned long long)st.st_ino);
		setenv("JOURNAL_STREAM", env, 1);
	} else if (journal_stream) {
		setenv("JOURNAL_STREAM", journal_stream, 1);
	} else {
		unsetenv("JOURNAL_STREAM");
	}
	log_setup("test-log", LOG_DEBUG, LOG_TARGET_STDERR, NULL);
	log_error("an error %d", 1);
	log_warning("a warning");
	log_notice("a notice");
	log_info("an info");
	log_debug("a debug");
	log_errno(LOG_WARNING, -ENOENT, "with errno");
	log_set_level(LOG_CRIT);
	log_cli_error("bad %s", "usage");
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	unsetenv("JOURNAL_STREAM");
	log_setup("test-log", LOG_INFO, LOG_TARGET_STDERR, NULL);
	ssize_t n = pread(fd, out, size - 1, 0);
	out[n > 0 ? n : 0] = '\0';
	close(fd);
	unlink(path);
}

static const char journal_want[] = "<3>an error 1\n<4>a warning\n<5>a notice\n<6>an info\n"
				   "<7>a debug\n<4>with errno: No such file or directory\n"
				   "<3>bad usage\n";
static const char plain_want[] =
	"test-log: error: an error 1\ntest-log: warning: a warning\ntest-log: notice: a notice\n"
	"test-log: info: an info\ntest-log: debug: a debug\n"
	"test-log: warning: with errno: No such file or directory\n"
	"test-log: bad usage\n";

int main(void)
{
	char out[4096];

	capture("", out, sizeof(out));
	CHECK(!strcmp(out, journal_want), "journal stream: got\n%s", out);
	capture(NULL, out, sizeof(out));
	CHECK(!strcmp(out, plain_want), "no JOURNAL_STREAM: got\n%s", out);
	/* Inherited from a parent whose stderr was the journal: not ours. */
	capture("1:1", out, sizeof(out));
	CHECK(!strcmp(out, plain_want), "another stream: got\n%s", out);
	capture("garbage", out, sizeof(out));
	CHECK(!strcmp(out, plain_want), "garbled JOURNAL_STREAM: got\n%s", out);

	/* babeld's own lines: what they say decides the level. */
	static const struct {
		const char *line;
		int level;
	} cases[] = {
		{ "Couldn't determine channel of interface tun1: Operation not supported", LOG_WARNING },
		{ "kernel_route(ADD): File exists", LOG_WARNING },
		{ "Warning: cannot save old configuration for re6st-tun.", LOG_WARNING },
		{ "Error while reading configuration", LOG_WARNING },
		{ "Unknown interface tun9", LOG_WARNING },
		{ "setsockopt(IPV6_JOIN_GROUP): Cannot assign requested address", LOG_WARNING },
		{ "Noticed ifindex change for tun1.", LOG_INFO },
		{ "Checking kernel routes.", LOG_INFO },
		{ "My id 02:11:22:33:44:55:66:77 seqno 1234", LOG_INFO },
		{ "a line: with a colon", LOG_INFO },
		{ "", LOG_INFO },
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		int level = babel_output_level(cases[i].line);
		CHECK(level == cases[i].level, "'%s': level %d, want %d", cases[i].line, level,
		      cases[i].level);
	}
	return check_summary();
}
