/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * lib/prom: the exposition text, byte for byte: families, labels escaped,
 * values, cumulative histogram buckets.  With --emit, prints a sample
 * with hostile label values for test-prom-parse.py (Debian's
 * prometheus_client parser) to read back.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "prom.h"

static const double bounds[] = { 0.001, 0.01, 0.1, 1 };

static char *render(bool hostile)
{
	struct prom_buf b = {};
	struct prom_hist h;
	char *text = NULL;
	size_t len = 0;
	struct prom_label l[] = {
		{ "rpc", hostile ? "a\"b\\c\nd}{,=" : "getCa" },
		{ "status", "200" },
	};

	prom_family(&b, "t_requests_total", PROM_COUNTER, "Requests, by \\ and\nlines.");
	prom_sample(&b, "t_requests_total", l, 2, 3);
	prom_family(&b, "t_up", PROM_GAUGE, "Up.");
	prom_sample(&b, "t_up", NULL, 0, 1);
	prom_sample(&b, "t_up", l + 1, 1, 0.1);
	prom_sample(&b, "t_up", l + 1, 1, NAN);
	prom_family(&b, "t_seconds", PROM_HISTOGRAM, "Latency.");
	CHECK(prom_hist_init(&h, bounds, 4) == 0);
	prom_hist_observe(&h, 0.0005);
	prom_hist_observe(&h, 0.001); /* on the bound: in that bucket */
	prom_hist_observe(&h, 0.05);
	prom_hist_observe(&h, 7);    /* above every bound: +Inf only */
	prom_hist_write(&b, "t_seconds", l, 1, &h);
	CHECK(prom_buf_take(&b, &text, &len) == 0);
	CHECK(text && strlen(text) == len);
	return text;
}

static const char expected[] =
	"# HELP t_requests_total Requests, by \\\\ and\\nlines.\n"
	"# TYPE t_requests_total counter\n"
	"t_requests_total{rpc=\"getCa\",status=\"200\"} 3\n"
	"# HELP t_up Up.\n"
	"# TYPE t_up gauge\n"
	"t_up 1\n"
	"t_up{status=\"200\"} 0.1\n"
	"t_up{status=\"200\"} NaN\n"
	"# HELP t_seconds Latency.\n"
	"# TYPE t_seconds histogram\n"
	"t_seconds_bucket{rpc=\"getCa\",le=\"0.001\"} 2\n"
	"t_seconds_bucket{rpc=\"getCa\",le=\"0.01\"} 2\n"
	"t_seconds_bucket{rpc=\"getCa\",le=\"0.1\"} 3\n"
	"t_seconds_bucket{rpc=\"getCa\",le=\"1\"} 3\n"
	"t_seconds_bucket{rpc=\"getCa\",le=\"+Inf\"} 4\n"
	"t_seconds_sum{rpc=\"getCa\"} 7.0515\n"
	"t_seconds_count{rpc=\"getCa\"} 4\n";

int main(int argc, char **argv)
{
	char *text;

	if (argc > 1 && strcmp(argv[1], "--emit") == 0) {
		text = render(true);
		fputs(text ? text : "", stdout);
		free(text);
		return text ? 0 : 1;
	}
	text = render(false);
	CHECK(text && strcmp(text, expected) == 0, "got:\n%s", text ? text : "(null)");
	free(text);

	text = render(true);
	CHECK(text && strstr(text, "rpc=\"a\\\"b\\\\c\\nd}{,=\""), "escaped label value:\n%s",
	      text ? text : "(null)");
	free(text);

	{
		struct prom_hist h;
		static double many[PROM_MAX_BUCKETS + 1];
		struct prom_buf b = {};
		char *t;
		size_t n;

		CHECK_EQ(prom_hist_init(&h, many, PROM_MAX_BUCKETS + 1), -EINVAL);
		/* An empty buffer gives an empty string. */
		CHECK(prom_buf_take(&b, &t, &n) == 0 && n == 0 && t && !*t);
		free(t);
		/* Too many labels for a histogram fail the whole text. */
		struct prom_label l[8] = { { "a", "1" }, { "b", "1" }, { "c", "1" }, { "d", "1" },
					   { "e", "1" }, { "f", "1" }, { "g", "1" }, { "h", "1" } };
		CHECK(prom_hist_init(&h, bounds, 4) == 0);
		prom_hist_write(&b, "x", l, 8, &h);
		CHECK_EQ(prom_buf_take(&b, &t, &n), -ENOMEM);
	}
	return check_summary();
}
