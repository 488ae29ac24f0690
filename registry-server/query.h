/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * query.h - strict parser of "a=1&b=2" argument lists (URL query strings and
 * application/x-www-form-urlencoded bodies) received by re6st-registry.
 *
 * The input is untrusted: every field must be "key=value" (value may be
 * empty), keys are [A-Za-z0-9_] only, "%XX" escapes must be complete and
 * decode to no NUL byte, "+" means a space, a key may appear only once, and
 * sizes are bounded.  Nothing is accepted "leniently".
 */
#ifndef RE6ST_REGISTRY_QUERY_H
#define RE6ST_REGISTRY_QUERY_H

#include <stddef.h>

#define QUERY_MAX_ARGS 16
#define QUERY_MAX_KEY 32
#define QUERY_MAX_LEN 16384 /* whole input */

struct query_arg {
	char *key;   /* NUL-terminated, decoded */
	char *value; /* NUL-terminated, decoded */
};

struct query {
	size_t n;
	struct query_arg arg[QUERY_MAX_ARGS];
};

/*
 * Parse len bytes of s and append the arguments to q (which may already hold
 * arguments from another source, e.g. the URL before the body; duplicates
 * across sources are rejected too).  On error q is left unchanged.
 * Errors: -EINVAL malformed (ret_error, if not NULL, points to a static
 * English explanation), -E2BIG too many arguments or input too long,
 * -ENOMEM.
 */
int query_parse(struct query *q, const char *s, size_t len, const char **ret_error);

/* Value of key, or NULL when absent. */
const char *query_get(const struct query *q, const char *key);

/* First key of q not listed in the NULL-terminated array allowed, or NULL. */
const char *query_unknown_key(const struct query *q, const char *const *allowed);

/* Free the contents (not q itself); q becomes empty.  Accepts an empty q. */
void query_clear(struct query *q);

#endif
