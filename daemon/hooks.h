/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * hooks.h - the "hooks" module: runs --up once (start-up fails if it does)
 * and starts the --daemon commands with the re6stnet_* environment; they are
 * sent TERM at exit, KILL 5 s later.
 */
#ifndef RE6ST_DAEMON_HOOKS_H
#define RE6ST_DAEMON_HOOKS_H

struct ctx;

int hooks_init(struct ctx *c);
void hooks_fini(struct ctx *c);

#endif
