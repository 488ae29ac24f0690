/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The interfaces declared to babeld at run time (daemon/babel-iface.h):
 * their lines, a declaration again, forgetting, new tunnel options for
 * all, and the names and options refused.
 */
#include <string.h>

#include "babel-iface.h"
#include "check.h"

int main(void)
{
	struct babel_iface_vec v = { 0 };
	const char *line = NULL;

	CHECK_EQ(babel_ifaces_set(&v, "hello-interval 1", "re6stnet-w0", NULL, &line), 0);
	CHECK(!strcmp(line, "interface re6stnet-w0 hello-interval 1"), "%s", line);
	CHECK_EQ(babel_ifaces_set(&v, "hello-interval 1", "re6stnet-w1", "rtt-min 5", &line), 0);
	CHECK(!strcmp(line, "interface re6stnet-w1 hello-interval 1 rtt-min 5"), "%s", line);
	/* Declared again: replaced, not listed twice. */
	CHECK_EQ(babel_ifaces_set(&v, "hello-interval 1", "re6stnet-w0", "rtt-min 9", &line), 0);
	CHECK(v.n == 2 && !strcmp(line, "interface re6stnet-w0 hello-interval 1 rtt-min 9"));
	CHECK(babel_ifaces_has(&v, "re6stnet-w0") && babel_ifaces_has(&v, "re6stnet-w1") &&
	      !babel_ifaces_has(&v, "re6stnet-w2"));

	/* New tunnel options: every line, each keeping its own options. */
	CHECK_EQ(babel_ifaces_reline(&v, "hello-interval 4"), 0);
	bool w0 = false, w1 = false;
	for (size_t i = 0; i < v.n; i++) {
		w0 = w0 || !strcmp(v.v[i].line, "interface re6stnet-w0 hello-interval 4 rtt-min 9");
		w1 = w1 || !strcmp(v.v[i].line, "interface re6stnet-w1 hello-interval 4 rtt-min 5");
	}
	CHECK(w0 && w1);

	CHECK_EQ(babel_ifaces_forget(&v, "re6stnet-w0"), 0);
	CHECK_EQ(babel_ifaces_forget(&v, "re6stnet-w0"), -ENOENT);
	CHECK(v.n == 1 && !strcmp(v.v[0].name, "re6stnet-w1"));

	/* Names babeld could not take, options that would end the command. */
	const char *bad[] = { "", "0123456789abcdef", "a b", "a/b", "a\tb", "a\x7f" };
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		CHECK(!babel_ifname_valid(bad[i]), "%zu", i);
		CHECK_EQ(babel_ifaces_set(&v, "x", bad[i], NULL, &line), -EINVAL);
	}
	CHECK(babel_ifname_valid("0123456789abcde"));
	CHECK_EQ(babel_ifaces_set(&v, "x", "re6stnet-w2", "a\nflush interface eth0", &line), -EINVAL);
	CHECK_EQ(babel_ifaces_set(&v, "x", "re6stnet-w2", "a\r", &line), -EINVAL);
	CHECK(v.n == 1);

	babel_ifaces_free(&v);
	CHECK(v.n == 0 && !v.v);
	CHECK_EQ(babel_ifaces_reline(&v, "x"), 0);
	babel_ifaces_free(&v);
	return check_summary();
}
