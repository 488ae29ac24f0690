/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "regtest.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "macro.h"

const char *regtest_bin;
char regtest_dir[64];
struct re6st_ca regtest_ca;

int regtest_init(const char *registry_bin)
{
	char ca[128], key[128];
	int status;
	pid_t pid;

	regtest_bin = registry_bin;
	snprintf(regtest_dir, sizeof(regtest_dir), "/tmp/re6st-regtest.XXXXXX");
	if (!mkdtemp(regtest_dir))
		return -errno;
	snprintf(ca, sizeof(ca), "%s/ca.crt", regtest_dir);
	snprintf(key, sizeof(key), "%s/ca.key", regtest_dir);
	pid = fork();
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);
		dup2(null, 1);
		execl(regtest_bin, regtest_bin, "--create-network", "2001:db8:42::/48", "--ca", ca,
		      "--key", key, (char *)NULL);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 0)
		return -ECHILD;
	return ca_load(ca, &regtest_ca);
}

void regtest_done(bool passed)
{
	char cmd[96];

	if (passed) {
		snprintf(cmd, sizeof(cmd), "rm -rf %s", regtest_dir);
		if (system(cmd) != 0)
			fprintf(stderr, "cannot remove %s\n", regtest_dir);
	} else
		fprintf(stderr, "logs kept in %s\n", regtest_dir);
}

unsigned free_port(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t l = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	bind(fd, (struct sockaddr *)&a, sizeof(a));
	getsockname(fd, (struct sockaddr *)&a, &l);
	close(fd);
	return ntohs(a.sin_port);
}

int server_spawn(struct server *s)
{
	char port[16], ca[128], key[128];
	const char *argv[64];
	int n = 0;

	snprintf(port, sizeof(port), "%u", s->port);
	snprintf(ca, sizeof(ca), "%s/ca.crt", regtest_dir);
	snprintf(key, sizeof(key), "%s/ca.key", regtest_dir);
	snprintf(s->url, sizeof(s->url), "http://127.0.0.1:%u", s->port);
	argv[n++] = regtest_bin;
	argv[n++] = "--ca"; argv[n++] = ca;
	argv[n++] = "--key"; argv[n++] = key;
	argv[n++] = "--db"; argv[n++] = s->db;
	argv[n++] = "--port"; argv[n++] = port;
	argv[n++] = "-4"; argv[n++] = "127.0.0.1";
	argv[n++] = "-6"; argv[n++] = "";
	argv[n++] = "--mailhost"; argv[n++] = s->mbox;
	argv[n++] = "-l"; argv[n++] = s->log;
	for (int i = 0; s->extra[i]; i++)
		argv[n++] = s->extra[i];
	argv[n] = NULL;
	s->pid = fork();
	if (s->pid < 0)
		return -errno;
	if (s->pid == 0) {
		execv(regtest_bin, (char *const *)argv);
		_exit(127);
	}
	return 0;
}

int server_start(struct server *s, const char *name)
{
	int r;

	if (!s->port)
		s->port = free_port();
	snprintf(s->db, sizeof(s->db), "%s/%s.db", regtest_dir, name);
	snprintf(s->mbox, sizeof(s->mbox), "%s/%s.mbox", regtest_dir, name);
	snprintf(s->log, sizeof(s->log), "%s/%s.log", regtest_dir, name);
	r = server_spawn(s);
	if (r < 0)
		return r;
	for (int i = 0; i < 200; i++) {
		_cleanup_(registry_client_freep) struct registry_client *c = NULL;
		struct registry_client_options o = { .timeout_ms = 1000, .retries = 0 };
		struct re6st_ca ca;

		if (server_exited(s))
			return -ECHILD;
		registry_client_new(s->url, &o, &c);
		if (rc_get_ca(c, &ca) == 0)
			return 0;
		usleep(50000);
	}
	return -ETIMEDOUT;
}

bool server_exited(struct server *s)
{
	if (s->pid <= 0)
		return true;
	if (waitpid(s->pid, &s->status, WNOHANG) == s->pid) {
		s->pid = 0;
		return true;
	}
	return false;
}

void server_stop(struct server *s, int sig)
{
	if (s->pid <= 0)
		return;
	kill(s->pid, sig);
	waitpid(s->pid, &s->status, 0);
	s->pid = 0;
}

struct registry_client *server_client(const struct server *s)
{
	struct registry_client *c = NULL;
	struct registry_client_options o = { .timeout_ms = 10000, .retries = 0 };

	if (registry_client_new(s->url, &o, &c) < 0)
		abort();
	registry_client_set_ca(c, &regtest_ca);
	return c;
}
