/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * sdnotify.h - systemd's service notification protocol (sd_notify(3)),
 * without libsystemd: one datagram of "VAR=value" lines to the unix socket
 * named by $NOTIFY_SOCKET (a path, or "@name" in the abstract namespace).
 * The units are Type=notify with WatchdogSec=: the programs send READY=1,
 * STATUS=..., STOPPING=1 and, from their loop, WATCHDOG=1.
 */
#ifndef RE6ST_SDNOTIFY_H
#define RE6ST_SDNOTIFY_H

#include <stdint.h>

#include "macro.h"

/*
 * Send state (e.g. "READY=1\nSTATUS=listening"). 1 sent, 0 not run by a
 * service manager (no $NOTIFY_SOCKET), -errno (-EINVAL: a malformed
 * $NOTIFY_SOCKET).
 */
int sdnotify(const char *state);
int sdnotifyf(const char *fmt, ...) _printf_(1, 2);

/*
 * How often to send WATCHDOG=1: half of $WATCHDOG_USEC, in ms (at least 1),
 * when $WATCHDOG_USEC is set and $WATCHDOG_PID, if set, is our pid; 0 when
 * there is no watchdog (or the variables are malformed).
 */
uint64_t sdnotify_watchdog_ms(void);

#endif
