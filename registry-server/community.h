/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * community.h - the --community file of re6st-registry.
 *
 * Same format as the original re6stnet: one community per line,
 *
 *     # comment
 *     PREFIX LOCATION...
 *
 * PREFIX is a string of '0'/'1' (bits after the network prefix, like a node
 * prefix); LOCATION is a two-letter country code ("FR"), "@" followed by a
 * two-letter continent code ("@EU"), or "*" (the default community; exactly
 * one line must carry it).  Communities may not overlap (none may be a
 * prefix of another) and a location may appear once only.
 * Without a file, the whole network is one default community "".
 */
#ifndef RE6ST_REGISTRY_COMMUNITY_H
#define RE6ST_REGISTRY_COMMUNITY_H

#include <stddef.h>

struct community {
	char *prefix;      /* '0'/'1' string, may be "" */
	char **locations;  /* "FR", "@EU", "*" */
	size_t n_locations;
};

struct community_map {
	struct community *c;
	size_t n;
};

/*
 * Parse the text of a community file (len bytes).  On error *ret_line is the
 * 1-based line at fault (0 for a whole-file problem such as a missing "*")
 * and *ret_error a static English explanation.
 * Errors: -EINVAL malformed, -ENOMEM.
 */
int community_parse(const char *text, size_t len, struct community_map *ret,
		    unsigned *ret_line, const char **ret_error);

/* The map used without --community: one default community "". -ENOMEM. */
int community_default(struct community_map *ret);

/*
 * Community prefix for a location: the community listing the country, else
 * the one listing "@continent", else the default one.  country/continent
 * may be NULL or "*" (unknown).  Never NULL.
 */
const char *community_lookup(const struct community_map *m, const char *country,
			     const char *continent);

/* Longest community prefix length. */
size_t community_max_len(const struct community_map *m);

void community_map_clear(struct community_map *m);

#endif
