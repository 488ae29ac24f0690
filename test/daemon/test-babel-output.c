/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * babeld's stdout and stderr reach re6stnet's log (daemon/babel-output.c):
 * a real babeld, started through daemon/babel.c in a network namespace by
 * a wrapper that first prints a warning, a line with a control character
 * and 40 more lines. With stderr the journal's stream ($JOURNAL_STREAM),
 * each comes back as "<N>babeld: ...": the warning at 4, the others at 6,
 * at most BABEL_OUTPUT_BURST of them, then one line counting the dropped
 * ones. Needs root (exit 77 otherwise).
 */
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "babel.h"
#include "babel-output.h"
#include "config.h"
#include "log.h"
#include "loop.h"
#include "check.h"
#include "netns.h"

#define dir tn_dir

static int count(const char *text, const char *needle)
{
	int n = 0;
	for (const char *p = text; (p = strstr(p, needle)); p++)
		n++;
	return n;
}

int main(void)
{
	static const char *const role[1] = { "x" };
	char wrapper[128], logpath[128];
	if (tn_start("bo", role, 1) || tn_links_up()) {
		printf("SKIP: cannot create a namespace\n");
		return 77;
	}
	if (tn_enter(0) < 0)
		return 1;

	snprintf(wrapper, sizeof(wrapper), "%s/babeld", dir);
	FILE *f = fopen(wrapper, "w");
	if (!f)
		return 1;
	fprintf(f, "#!/bin/sh\n"
		   "echo \"couldn't frobnicate the test interface\" >&2\n"
		   "printf 'a bell \\007 here\\n'\n"
		   "i=0; while [ $i -lt 40 ]; do echo \"chatter $i\"; i=$((i + 1)); done\n"
		   "exec %s \"$@\"\n", BABELD_PATH);
	fclose(f);
	chmod(wrapper, 0755);

	/* stderr: a file that JOURNAL_STREAM names, as systemd would set it. */
	snprintf(logpath, sizeof(logpath), "%s/stderr", dir);
	int logfd = open(logpath, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	int saved = dup(STDERR_FILENO);
	struct stat st;
	char env[64];
	fstat(logfd, &st);
	snprintf(env, sizeof(env), "%llu:%llu", (unsigned long long)st.st_dev,
		 (unsigned long long)st.st_ino);
	setenv("JOURNAL_STREAM", env, 1);
	dup2(logfd, STDERR_FILENO);
	log_setup("test-babel-output", LOG_INFO, LOG_TARGET_STDERR, NULL);

	struct loop *l = NULL;
	struct babel *b = NULL;
	struct babel_params p = { 0 };
	char sock[128], state[128];
	snprintf(sock, sizeof(sock), "%s/babeld.sock", dir);
	snprintf(state, sizeof(state), "%s/babeld.state", dir);
	p.babeld_path = wrapper;
	p.socket_path = sock;
	p.state_path = state;
	prefix_parse("2001:db8:42::/48", &p.network);
	prefix_parse("2001:db8:42:1::/64", &p.node_prefix);
	memcpy(p.node_addr, p.node_prefix.addr, 16);
	p.node_addr[15] = 1;
	babel_router_id_from_prefix(&p.node_prefix, p.router_id);
	int r = loop_new(&l);
	if (r >= 0)
		r = babel_start(l, &p, &b);
	for (int k = 0; r >= 0 && k < 50 && !babel_ready(b); k++)
		loop_run_once(l, 100);
	bool ready = b && babel_ready(b);
	for (int k = 0; k < 5; k++)
		loop_run_once(l, 100);
	babel_stop(b);
	loop_free(l);

	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	unsetenv("JOURNAL_STREAM");
	log_setup("test-babel-output", LOG_INFO, LOG_TARGET_STDERR, NULL);
	static char out[65536];
	ssize_t n = pread(logfd, out, sizeof(out) - 1, 0);
	out[n > 0 ? n : 0] = '\0';
	close(logfd);

	CHECK(r >= 0, "babel_start: %s", strerror(-r));
	CHECK(ready, "babeld ready");
	CHECK(strstr(out, "\n<4>babeld: couldn't frobnicate the test interface\n") ||
		      !strncmp(out, "<4>babeld: couldn't frobnicate the test interface\n", 50),
	      "the warning at priority 4");
	CHECK(strstr(out, "<6>babeld: a bell ? here\n"), "control character replaced, priority 6");
	CHECK(strstr(out, "<6>babeld: chatter 0\n"), "the first chatter line");
	int chatter = count(out, "babeld: chatter");
	CHECK(chatter == BABEL_OUTPUT_BURST - 2, "%d chatter lines logged, want %d", chatter,
	      BABEL_OUTPUT_BURST - 2);
	/* babeld itself may have said more in the window: at least the rest. */
	const char *d = strstr(out, "<4>babeld: ");
	int dropped = 0;
	while (d && sscanf(d, "<4>babeld: %d lines not logged", &dropped) != 1)
		d = strstr(d + 1, "<4>babeld: ");
	CHECK(dropped >= 40 - chatter, "dropped lines counted: %d, want >= %d", dropped,
	      40 - chatter);
	CHECK(strstr(out, "<6>babeld ready"), "re6stnet's own lines carry the prefix too");
	/* Every line has its priority. */
	int lines = count(out, "\n"), prefixed = count(out, "\n<") + (out[0] == '<');
	CHECK(lines > 0 && lines == prefixed, "%d lines, %d with a priority", lines, prefixed);
	if (check_failed)
		fprintf(stderr, "--- what was logged:\n%s---\n", out);
	return check_summary();
}
