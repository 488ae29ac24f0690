/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * options.h - re6st-registry's command line: its option table for
 * lib/conffile.h (the parser re6stnet uses too: getopt_long conventions,
 * @FILE option files) and the checks after it.
 */
#ifndef RE6ST_REGISTRY_OPTIONS_H
#define RE6ST_REGISTRY_OPTIONS_H

#include <stdio.h>

#include "conffile.h"
#include "registry.h"

/* What the command line gives: the server's options and the program's own. */
struct registry_cmdline {
	struct registry_options opt;
	char *create_network; /* --create-network PREFIX/LEN */
	char *log_path;
	int level;            /* syslog level */
	bool help, version;
	bool max_clients_set;
};

extern const struct conf_option registry_options_table[];
extern const size_t registry_options_table_size;

/* Defaults. 0 or -ENOMEM; registry_cmdline_done() either way. */
int registry_cmdline_init(struct registry_cmdline *c);
void registry_cmdline_done(struct registry_cmdline *c);

/*
 * Parse argv (and @FILEs), then check what needs every option. 0, 1 when
 * --help or --version was answered, -EINVAL (message in err: exit status
 * 2), -ENOMEM.
 */
int registry_cmdline_parse(struct registry_cmdline *c, int argc, char *const argv[], char *err,
			   size_t errlen);

void registry_cmdline_help(FILE *f);

#endif
