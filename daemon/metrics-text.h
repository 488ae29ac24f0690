/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * metrics-text.h - the Prometheus text exposition format (version 0.0.4),
 * written into a growable buffer: what `re6stctl metrics` prints and what
 * GET /metrics answers (docs/monitoring.md lists the node's metrics).
 *
 * A family starts with mtext_family() (its # HELP and # TYPE lines); its
 * samples follow. Labels are given as NULL-terminated name, value pairs;
 * values are escaped (backslash, double quote, newline). An allocation
 * failure sets oom and makes every later call a no-op.
 */
#ifndef RE6ST_DAEMON_METRICS_TEXT_H
#define RE6ST_DAEMON_METRICS_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct mtext {
	char *s;
	size_t len, cap;
	bool oom;
};

/* type: "counter", "gauge" or "histogram". */
void mtext_family(struct mtext *w, const char *name, const char *type, const char *help);
/* One sample: name{labels} value. The variadic part: name, value, ..., NULL. */
void mtext_sample(struct mtext *w, const char *name, double value, ...)
	__attribute__((sentinel));

/*
 * A histogram without labels: n upper bounds (ascending, +Inf implied),
 * counts[n + 1] per bucket (not cumulative; the last one is above every
 * bound), the sum of the observations.
 */
void mtext_histogram(struct mtext *w, const char *name, const double *bounds,
		     const uint64_t *counts, size_t n, double sum);

#endif
