/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The apply step of reload.h (the diff is reload-diff.c, in daemon_core). */
#include <stdio.h>
#include <string.h>

#include "ctx.h"
#include "log.h"
#include "node-metrics.h"
#include "reload.h"
#include "tunnel.h"

int reload_options(struct ctx *c)
{
	struct options new;
	struct reload_change ch[RELOAD_MAX_CHANGES];
	char err[512] = "";
	bool lists = false, metrics = false;

	options_init(&new);
	int r = options_parse_argv(&new, c->argc, c->argv, err, sizeof(err));
	if (r != 0) {
		options_done(&new);
		if (r > 0)
			r = -EINVAL; /* --help or --version in a file */
		return log_errno(LOG_ERR, r, "reload: configuration not changed: %s",
				 err[0] ? err : "cannot read the options");
	}
	size_t n = reload_diff(&c->opt, &new, ch, ARRAY_SIZE(ch));
	for (size_t i = 0; i < n; i++) {
		if (ch[i].live)
			log_notice("reload: %s%s changed: applied", ch[i].name[1] ? "--" : "-",
				   ch[i].name);
		else
			log_warning("reload: %s%s changed: needs a restart (running value kept)",
				    ch[i].name[1] ? "--" : "-", ch[i].name);
		if (!strcmp(ch[i].name, "neighbour") || !strcmp(ch[i].name, "anchor"))
			lists = true;
		if (!strcmp(ch[i].name, "metrics"))
			metrics = true;
	}
	if (!n)
		log_info("reload: no option changed");
	reload_take_live(&c->opt, &new);
	options_done(&new);
	if (lists && c->tunnels && (r = tunnel_set_lists(c->tunnels, &c->opt)) < 0)
		return log_errno(LOG_ERR, r, "reload: cannot apply --neighbour/--anchor");
	if (metrics && (r = node_metrics_listen(c)) < 0)
		return r; /* logged */
	return 0;
}
