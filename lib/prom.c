/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "prom.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"

static void put(struct prom_buf *b, const char *s, size_t n)
{
	if (b->failed)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 1024;
		char *d;

		while (cap < b->len + n + 1)
			cap *= 2;
		d = realloc(b->data, cap);
		if (!d) {
			b->failed = true;
			return;
		}
		b->data = d;
		b->cap = cap;
	}
	memcpy(b->data + b->len, s, n);
	b->len += n;
	b->data[b->len] = '\0';
}

static void puts_(struct prom_buf *b, const char *s)
{
	put(b, s, strlen(s));
}

/* s with '\\' and newline escaped, and '"' too for label values. */
static void put_escaped(struct prom_buf *b, const char *s, bool quote)
{
	for (const char *p = s; *p; p++) {
		if (*p == '\\')
			put(b, "\\\\", 2);
		else if (*p == '\n')
			put(b, "\\n", 2);
		else if (quote && *p == '"')
			put(b, "\\\"", 2);
		else
			put(b, p, 1);
	}
}

static void put_value(struct prom_buf *b, double v)
{
	char num[40];

	if (isnan(v))
		puts_(b, "NaN");
	else if (isinf(v))
		puts_(b, v > 0 ? "+Inf" : "-Inf");
	else {
		/* The shortest of %.15g and %.17g that reads back as v: "0.1", not "0.10000000000000001". */
		snprintf(num, sizeof(num), "%.15g", v);
		if (strtod(num, NULL) != v)
			snprintf(num, sizeof(num), "%.17g", v);
		puts_(b, num);
	}
}

void prom_buf_free(struct prom_buf *b)
{
	free(b->data);
	*b = (struct prom_buf){};
}

int prom_buf_take(struct prom_buf *b, char **ret, size_t *ret_len)
{
	if (!b->failed && !b->data)
		put(b, "", 0);
	if (b->failed) {
		prom_buf_free(b);
		return -ENOMEM;
	}
	*ret = b->data;
	*ret_len = b->len;
	*b = (struct prom_buf){};
	return 0;
}

void prom_family(struct prom_buf *b, const char *name, enum prom_type type, const char *help)
{
	static const char *const types[] = { "counter", "gauge", "histogram" };

	puts_(b, "# HELP ");
	puts_(b, name);
	puts_(b, " ");
	put_escaped(b, help, false);
	puts_(b, "\n# TYPE ");
	puts_(b, name);
	puts_(b, " ");
	puts_(b, types[type]);
	puts_(b, "\n");
}

static void put_labels(struct prom_buf *b, const struct prom_label *labels, size_t n)
{
	if (!n)
		return;
	puts_(b, "{");
	for (size_t i = 0; i < n; i++) {
		if (i)
			puts_(b, ",");
		puts_(b, labels[i].name);
		puts_(b, "=\"");
		put_escaped(b, labels[i].value ? labels[i].value : "", true);
		puts_(b, "\"");
	}
	puts_(b, "}");
}

static void sample(struct prom_buf *b, const char *name, const char *suffix,
		   const struct prom_label *labels, size_t n, double value)
{
	puts_(b, name);
	puts_(b, suffix);
	put_labels(b, labels, n);
	puts_(b, " ");
	put_value(b, value);
	puts_(b, "\n");
}

void prom_sample(struct prom_buf *b, const char *name, const struct prom_label *labels, size_t n,
		 double value)
{
	sample(b, name, "", labels, n, value);
}

void prom_samplel(struct prom_buf *b, const char *name, double value, ...)
{
	struct prom_label l[PROM_MAX_LABELS];
	size_t n = 0;
	va_list ap;

	va_start(ap, value);
	for (const char *k; (k = va_arg(ap, const char *));) {
		const char *v = va_arg(ap, const char *);

		if (n == PROM_MAX_LABELS) {
			b->failed = true;
			break;
		}
		l[n++] = (struct prom_label){ k, v };
	}
	va_end(ap);
	if (!b->failed)
		sample(b, name, "", l, n, value);
}

int prom_hist_init(struct prom_hist *h, const double *bounds, unsigned n_bounds)
{
	if (n_bounds > PROM_MAX_BUCKETS)
		return -EINVAL;
	*h = (struct prom_hist){ .bounds = bounds, .n_bounds = n_bounds };
	return 0;
}

void prom_hist_observe(struct prom_hist *h, double value)
{
	for (unsigned i = 0; i < h->n_bounds; i++)
		if (value <= h->bounds[i]) {
			h->bucket[i]++;
			break;
		}
	h->count++;
	h->sum += value;
}

#define HIST_MAX_LABELS 7

void prom_hist_write(struct prom_buf *b, const char *name, const struct prom_label *labels,
		     size_t n, const struct prom_hist *h)
{
	struct prom_label l[HIST_MAX_LABELS + 1];
	uint64_t cum = 0;
	struct prom_buf bound = {};

	if (n > HIST_MAX_LABELS) {
		b->failed = true;
		return;
	}
	if (n)
		memcpy(l, labels, n * sizeof(*l));
	l[n].name = "le";
	for (unsigned i = 0; i < h->n_bounds; i++) {
		cum += h->bucket[i];
		bound.len = 0;
		put_value(&bound, h->bounds[i]);
		if (bound.failed) {
			b->failed = true;
			break;
		}
		l[n].value = bound.data;
		sample(b, name, "_bucket", l, n + 1, (double)cum);
	}
	l[n].value = "+Inf";
	sample(b, name, "_bucket", l, n + 1, (double)h->count);
	sample(b, name, "_sum", labels, n, h->sum);
	sample(b, name, "_count", labels, n, (double)h->count);
	prom_buf_free(&bound);
}
