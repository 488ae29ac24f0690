/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * remote-log.h - log lines a remote party can cause at will (refused
 * requests, registrations, libmicrohttpd's errors) go through here: at most
 * REMOTE_LOG_BURST lines at once then one every REMOTE_LOG_INTERVAL_MS per
 * source, and REMOTE_LOG_ALL_BURST / REMOTE_LOG_ALL_INTERVAL_MS for all
 * sources together.  The next line let through from a source says how many
 * were suppressed.  Thread-safe.
 */
#ifndef RE6ST_REGISTRY_REMOTE_LOG_H
#define RE6ST_REGISTRY_REMOTE_LOG_H

#include <stdarg.h>

#include "macro.h"

#define REMOTE_LOG_BURST 10
#define REMOTE_LOG_INTERVAL_MS 6000   /* 10 a minute per source */
#define REMOTE_LOG_ALL_BURST 100
#define REMOTE_LOG_ALL_INTERVAL_MS 100 /* 10 a second overall */

int remote_log_init(void);
void remote_log_done(void);

/* source: the client's address, or a name ("libmicrohttpd"). */
void remote_log(const char *source, int level, const char *fmt, ...) _printf_(3, 4);
void remote_logv(const char *source, int level, const char *fmt, va_list ap) _printf_(3, 0);

#endif
