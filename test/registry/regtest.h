/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * regtest.h - a real re6st-registry for the abuse, load and lock tests:
 * a temporary directory with a new network (2001:db8:42::/48), servers
 * started on 127.0.0.1 with extra options, clients.
 */
#ifndef RE6ST_TEST_REGTEST_H
#define RE6ST_TEST_REGTEST_H

#include <stdbool.h>
#include <sys/types.h>

#include "identity.h"
#include "registry-client.h"

struct server {
	pid_t pid;
	unsigned port;
	char db[160], mbox[160], log[176], url[64];
	const char *extra[24];
	int status; /* after server_stop()/server_wait(): waitpid status */
};

extern const char *regtest_bin;
extern char regtest_dir[64];
extern struct re6st_ca regtest_ca;

/* mkdtemp + --create-network; 0 or -errno. */
int regtest_init(const char *registry_bin);
/* Remove the directory when every check passed, else print where it is. */
void regtest_done(bool passed);

unsigned free_port(void);
/* Fill s->db/mbox/log from name, start and wait until getCa answers (-ECHILD: it exited). */
int server_start(struct server *s, const char *name);
/* Start without waiting for an answer (s->db etc. already set by server_start or the caller). */
int server_spawn(struct server *s);
/* Signal and reap; s->status set. */
void server_stop(struct server *s, int sig);
/* Has it exited?  s->status set when it has. */
bool server_exited(struct server *s);

/* A client of s (CA set, 10 s timeout, no retries). */
struct registry_client *server_client(const struct server *s);

#endif
