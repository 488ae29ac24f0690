/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * netns.h - network namespaces for the C test programs that run real
 * babelds (test/daemon/test-babel-*.c), next to util.h.
 *
 *   tn_start("bg", roles, 3)   exit 77 unless root with babeld; names the
 *                              namespaces re6st-bg<pid>-<role> (tn_ns[i])
 *                              and the directory /tmp/re6st-bg.<pid>
 *                              (tn_dir), creates both, removes them at exit
 *                              with every babeld whose pid file is there;
 *                              0, or 77 when they cannot be created
 *   tn_links_up()              lo and every link of every namespace up
 *   tn_babeld(i, "R", args)    a plain babeld in namespace i, daemonised,
 *                              files tn_dir/R.{pid,state,log}, hello 1 s
 *   tn_enter(i)                this process into namespace i (0 / -1)
 *   tn_run_for(loop, ms)       run the loop for ms milliseconds
 *   tn_child(fn)               fn() in a child; its exit status, and the
 *                              tail of every log in tn_dir when not 0
 */
#ifndef RE6ST_TEST_NETNS_H
#define RE6ST_TEST_NETNS_H

#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "config.h"
#include "loop.h"
#include "util.h"

#define TN_MAX 8

static char tn_ns[TN_MAX][32];
static char tn_dir[64];
static int tn_n;

static inline void tn_cleanup(void)
{
	sh("for f in %s/*.pid; do [ -s \"$f\" ] && kill $(cat \"$f\") 2>/dev/null; done; sleep 0.3",
	   tn_dir);
	for (int i = 0; i < tn_n; i++)
		sh("ip netns del %s 2>/dev/null", tn_ns[i]);
	sh("rm -rf %s", tn_dir);
}

static inline int tn_start(const char *tag, const char *const *roles, int n)
{
	if (geteuid() != 0) {
		printf("SKIP: needs root\n");
		exit(77);
	}
	if (access(BABELD_PATH, X_OK) != 0) {
		printf("SKIP: no %s\n", BABELD_PATH);
		exit(77);
	}
	if (n > TN_MAX)
		n = TN_MAX;
	for (int i = 0; i < n; i++)
		snprintf(tn_ns[i], sizeof(tn_ns[i]), "re6st-%s%d-%s", tag, (int)getpid(), roles[i]);
	snprintf(tn_dir, sizeof(tn_dir), "/tmp/re6st-%s.%d", tag, (int)getpid());
	atexit(tn_cleanup);
	if (sh("mkdir -p %s", tn_dir))
		return 77;
	for (; tn_n < n; tn_n++)
		if (sh("ip netns add %s", tn_ns[tn_n]))
			return 77;
	return 0;
}

static inline int tn_links_up(void)
{
	for (int i = 0; i < tn_n; i++)
		if (sh("ip -n %s link set lo up && for d in $(ip -n %s -o link show | "
		       "awk -F': ' '{print $2}' | cut -d@ -f1); do ip -n %s link set $d up; done",
		       tn_ns[i], tn_ns[i], tn_ns[i]))
			return -1;
	return 0;
}

static inline int tn_babeld(int i, const char *name, const char *args)
{
	return sh("ip netns exec %s " BABELD_PATH " -D -I %s/%s.pid -S %s/%s.state -L %s/%s.log "
		  "-h 1 -H 1 %s",
		  tn_ns[i], tn_dir, name, tn_dir, name, tn_dir, name, args);
}

static inline int tn_enter(int i)
{
	char path[128];
	snprintf(path, sizeof(path), "/run/netns/%s", tn_ns[i]);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	int r = fd < 0 ? -1 : setns(fd, CLONE_NEWNET);
	if (r < 0)
		perror("setns");
	if (fd >= 0)
		close(fd);
	return r < 0 ? -1 : 0;
}

static inline void tn_run_for(struct loop *l, int ms)
{
	uint64_t end = loop_clock_ms() + (uint64_t)ms;
	while (loop_clock_ms() < end)
		loop_run_once(l, 100);
}

static inline int tn_child(int (*fn)(void))
{
	int status;
	pid_t pid = fork();
	if (pid == 0) {
		int rc = fn();
		fflush(stdout);
		_exit(rc);
	}
	if (pid < 0 || waitpid(pid, &status, 0) < 0)
		return 1;
	int rc = WIFEXITED(status) ? WEXITSTATUS(status) : 1;
	if (rc)
		sh("for f in %s/*.log; do echo \"-- $f\"; tail -20 $f; done >&2", tn_dir);
	return rc;
}

#endif
