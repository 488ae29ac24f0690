/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * service.h - re6stnet's side of systemd's notify protocol (lib/sdnotify.h):
 * READY=1 once babeld runs and has declared its first interface (the
 * monitor dump has its LAN interfaces, or lo), with a STATUS= line;
 * WATCHDOG=1 at half of WatchdogSec= from a loop timer, so a loop that
 * stops turning gets the node restarted; STOPPING=1 when it stops.
 * Without $NOTIFY_SOCKET nothing is sent and the timer only waits for
 * readiness once.
 */
#ifndef RE6ST_DAEMON_SERVICE_H
#define RE6ST_DAEMON_SERVICE_H


struct ctx;

/* A module of main.c's table, after babel: c->service. 0 or -ENOMEM. */
int service_init(struct ctx *c);
/* Sends STOPPING=1. */
void service_fini(struct ctx *c);

#endif
