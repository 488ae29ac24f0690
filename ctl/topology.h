/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * topology.h - re6stctl topology: the registry's versions and topology
 * answers (JSON, docs/registry-api.md) drawn as a table, JSON or a
 * Graphviz digraph (an edge A -> B: A opened a tunnel to B).
 *
 * The answers are the registry's: parsed strictly (json.h), anything of
 * an unexpected shape refused, names escaped for the output.
 */
#ifndef RE6ST_CTL_TOPOLOGY_H
#define RE6ST_CTL_TOPOLOGY_H

#include <stddef.h>
#include <stdio.h>

enum topology_format { TOPOLOGY_TABLE, TOPOLOGY_JSON, TOPOLOGY_DOT };

/* Print to out; 0, -EBADMSG (an answer not of the documented shape), -ENOMEM. */
int topology_print(const char *versions, size_t versions_len, const char *topology,
		   size_t topology_len, enum topology_format format, FILE *out);

#endif
