/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <float.h>
#include <stdarg.h>

#include "macro.h"
#include "metrics-text.h"

static void put(struct mtext *w, const char *fmt, ...) _printf_(2, 3);
static void put(struct mtext *w, const char *fmt, ...)
{
	if (w->oom)
		return;
	for (;;) {
		size_t room = w->cap - w->len;
		va_list ap;
		va_start(ap, fmt);
		int n = vsnprintf(w->s ? w->s + w->len : NULL, room, fmt, ap);
		va_end(ap);
		if (n < 0) {
			w->oom = true;
			return;
		}
		if ((size_t)n < room) {
			w->len += (size_t)n;
			return;
		}
		size_t cap = MAX(w->cap * 2, w->len + (size_t)n + 256);
		char *s = realloc(w->s, cap);
		if (!s) {
			w->oom = true;
			return;
		}
		w->s = s;
		w->cap = cap;
	}
}

/* Whole numbers as integers (counters, bytes, timestamps), others %.9g. */
static void put_value(struct mtext *w, double v)
{
	if (v != v)
		put(w, "NaN");
	else if (v > DBL_MAX || v < -DBL_MAX)
		put(w, v > 0 ? "+Inf" : "-Inf");
	else if (v > -1e15 && v < 1e15 && (double)(int64_t)v == v)
		put(w, "%.0f", v);
	else
		put(w, "%.9g", v);
}

static void put_label_value(struct mtext *w, const char *s)
{
	put(w, "\"");
	for (; *s; s++) {
		if (*s == '\\')
			put(w, "\\\\");
		else if (*s == '"')
			put(w, "\\\"");
		else if (*s == '\n')
			put(w, "\\n");
		else
			put(w, "%c", *s);
	}
	put(w, "\"");
}

void mtext_family(struct mtext *w, const char *name, const char *type, const char *help)
{
	/* HELP text escapes only backslash and newline. */
	put(w, "# HELP %s ", name);
	for (const char *s = help; *s; s++) {
		if (*s == '\\')
			put(w, "\\\\");
		else if (*s == '\n')
			put(w, "\\n");
		else
			put(w, "%c", *s);
	}
	put(w, "\n# TYPE %s %s\n", name, type);
}

static void sample_v(struct mtext *w, const char *name, const char *suffix, double value,
		     const char *le, va_list ap)
{
	put(w, "%s%s", name, suffix);
	const char *k = va_arg(ap, const char *);
	bool any = k || le, labelled = false;
	if (any)
		put(w, "{");
	for (; k; labelled = true) {
		const char *v = va_arg(ap, const char *);
		put(w, "%s%s=", labelled ? "," : "", k);
		put_label_value(w, v ? v : "");
		k = va_arg(ap, const char *);
	}
	if (le)
		put(w, "%sle=\"%s\"", labelled ? "," : "", le);
	put(w, "%s ", any ? "}" : "");
	put_value(w, value);
	put(w, "\n");
}

static void sample(struct mtext *w, const char *name, const char *suffix, double value,
		   const char *le, ...)
{
	va_list ap;
	va_start(ap, le);
	sample_v(w, name, suffix, value, le, ap);
	va_end(ap);
}

void mtext_sample(struct mtext *w, const char *name, double value, ...)
{
	va_list ap;
	va_start(ap, value);
	sample_v(w, name, "", value, NULL, ap);
	va_end(ap);
}

void mtext_histogram(struct mtext *w, const char *name, const double *bounds,
		     const uint64_t *counts, size_t n, double sum)
{
	uint64_t cum = 0;
	char le[32];
	for (size_t i = 0; i < n; i++) {
		cum += counts[i];
		snprintf(le, sizeof(le), "%g", bounds[i]);
		sample(w, name, "_bucket", (double)cum, le, NULL);
	}
	cum += counts[n];
	sample(w, name, "_bucket", (double)cum, "+Inf", NULL);
	sample(w, name, "_sum", sum, NULL, NULL);
	sample(w, name, "_count", (double)cum, NULL, NULL);
}
