/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "remote-log.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "log.h"
#include "ratelimit.h"

#define SOURCES 256

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct ratelimit per_source, overall;

int remote_log_init(void)
{
	int r = ratelimit_init(&per_source, SOURCES, REMOTE_LOG_BURST, REMOTE_LOG_INTERVAL_MS);

	if (r < 0)
		return r;
	r = ratelimit_init(&overall, 1, REMOTE_LOG_ALL_BURST, REMOTE_LOG_ALL_INTERVAL_MS);
	if (r < 0)
		ratelimit_done(&per_source);
	return r;
}

void remote_log_done(void)
{
	ratelimit_done(&per_source);
	ratelimit_done(&overall);
}

void remote_logv(const char *source, int level, const char *fmt, va_list ap)
{
	uint32_t sup = 0, sup_all = 0;
	uint64_t now = ratelimit_now_ms();
	char *msg = NULL;
	bool ok;

	if (level > log_get_level())
		return;
	pthread_mutex_lock(&lock);
	ok = !per_source.slot || (ratelimit_allow(&per_source, source, now, &sup) &&
				  ratelimit_allow(&overall, "*", now, &sup_all));
	pthread_mutex_unlock(&lock);
	if (!ok)
		return;
	if (vasprintf(&msg, fmt, ap) < 0)
		return;
	if (sup || sup_all)
		log_msg(level, "%s (%u similar lines from %s suppressed, %u from all sources)", msg,
			sup, source, sup_all);
	else
		log_msg(level, "%s", msg);
	free(msg);
}

void remote_log(const char *source, int level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	remote_logv(source, level, fmt, ap);
	va_end(ap);
}
