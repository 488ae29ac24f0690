/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * admin.h - re6stctl's registry commands: one per private RPC of
 * re6st-registry (addToken, isToken, deleteToken, revoke, updateHMAC,
 * getNodePrefix, getIPv6Address), network-config, which fetches and
 * verifies the signed network configuration, and topology (the versions
 * and topology RPCs, drawn by topology.h). They go through
 * registry-client/; the registry answers private RPCs only to its
 * --authorized-origin addresses (127.0.0.1 and ::1 always).
 *
 * These are commands, not helpers: they print their results on stdout and
 * their errors on stderr, and return an exit status.
 */
#ifndef RE6ST_CTL_ADMIN_H
#define RE6ST_CTL_ADMIN_H

#include <stdbool.h>
#include <stdio.h>

enum {
	ADMIN_EXIT_OK = 0,
	ADMIN_EXIT_FAILED = 1, /* the registry refused, or could not be reached */
	ADMIN_EXIT_USAGE = 2,
};

struct admin_options {
	const char *url;         /* --registry: http(s)://host[:port] */
	const char *ca_path;     /* --ca FILE to verify against, or NULL */
	const char *fingerprint; /* --fingerprint HEX of the CA, or NULL */
	long timeout_ms;         /* per attempt; 0: the library's default */
	bool json;               /* one JSON object on stdout */
};

struct admin_command;

/* The registry command called name, or NULL. */
const struct admin_command *admin_command_find(const char *name);
/* The "Registry commands:" section of --help. */
void admin_usage(FILE *f);
/*
 * Run cmd with its arguments (argv[0] is the command name). Returns
 * ADMIN_EXIT_OK, ADMIN_EXIT_FAILED (message on stderr: the registry's own
 * words, with a hint for refused private RPCs and unreachable registries)
 * or ADMIN_EXIT_USAGE (bad arguments, refused before any request).
 * is-token answers like grep: ADMIN_EXIT_OK the token exists, 1 it does
 * not, 2 any error (unreachable or refusing registry, bad arguments).
 */
int admin_run(const struct admin_command *cmd, const struct admin_options *o, int argc,
	      char *argv[]);

#endif
