/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * prom.h - a writer of the Prometheus text exposition format (version
 * 0.0.4): metric families with HELP and TYPE, samples with labels,
 * histograms with fixed buckets.
 *
 * The writer knows nothing of what it measures: callers keep their own
 * counters and gauges and render them into a struct prom_buf when asked.
 * Metric and label names are the caller's constants and must match
 * [a-zA-Z_:][a-zA-Z0-9_:]* (names) and [a-zA-Z_][a-zA-Z0-9_]* (labels);
 * label values and HELP texts may hold anything and are escaped here
 * (backslash, double quote in label values, newline).
 *
 * Not thread-safe: callers serialise use of one buffer or histogram.
 */
#ifndef RE6ST_PROM_H
#define RE6ST_PROM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The output being built; an allocation failure makes prom_buf_take() fail. */
struct prom_buf {
	char *data;
	size_t len, cap;
	bool failed;
};

struct prom_label {
	const char *name;
	const char *value;
};

enum prom_type { PROM_COUNTER, PROM_GAUGE, PROM_HISTOGRAM };

#define PROM_MAX_BUCKETS 16

/*
 * Observations counted per bucket: bucket[i] counts values <= bounds[i]
 * and > bounds[i - 1]; values above the last bound are only in count.
 * bounds is the caller's, ascending, finite, and outlives the histogram.
 */
struct prom_hist {
	const double *bounds;
	unsigned n_bounds;
	uint64_t bucket[PROM_MAX_BUCKETS];
	uint64_t count;
	double sum;
};

/* Free the buffer's data (NULL-safe on an empty buffer). */
void prom_buf_free(struct prom_buf *b);
/* Hand over the text (NUL-terminated) and its length; -ENOMEM if any write failed (then freed). */
int prom_buf_take(struct prom_buf *b, char **ret, size_t *ret_len);

/* "# HELP name help" and "# TYPE name type": once per family, before its samples. */
void prom_family(struct prom_buf *b, const char *name, enum prom_type type, const char *help);
/* One sample "name{l1="v1",...} value"; n labels (0: no braces). NaN and infinities allowed. */
void prom_sample(struct prom_buf *b, const char *name, const struct prom_label *labels, size_t n,
		 double value);

/*
 * The same with the labels given inline as name, value pairs ending with
 * NULL: prom_samplel(b, "x_total", 3, "type", "hello", NULL).  At most
 * PROM_MAX_LABELS pairs; more fail the buffer.
 */
#define PROM_MAX_LABELS 8
void prom_samplel(struct prom_buf *b, const char *name, double value, ...)
	__attribute__((sentinel));

/* n_bounds <= PROM_MAX_BUCKETS, else -EINVAL; 0. */
int prom_hist_init(struct prom_hist *h, const double *bounds, unsigned n_bounds);
void prom_hist_observe(struct prom_hist *h, double value);
/*
 * The histogram's samples: name_bucket{labels...,le="B"} cumulative for
 * each bound and le="+Inf", name_sum and name_count.  At most 7 labels.
 */
void prom_hist_write(struct prom_buf *b, const char *name, const struct prom_label *labels,
		     size_t n, const struct prom_hist *h);

#endif
