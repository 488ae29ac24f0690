/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * json.h - a small JSON reader for re6stctl: the daemon's answers are one
 * JSON object per line, read into a tree to print tables.
 *
 * Strict RFC 8259 syntax; strings are kept with their escapes decoded
 * (\uXXXX outside ASCII becomes UTF-8; surrogate pairs joined, lone ones
 * rejected); numbers are kept as their text. Depth is limited to 32.
 */
#ifndef RE6ST_CTL_JSON_H
#define RE6ST_CTL_JSON_H

#include <stdbool.h>
#include <stddef.h>

#include "macro.h"

enum json_type { JSON_NULL, JSON_FALSE, JSON_TRUE, JSON_NUMBER, JSON_STRING, JSON_ARRAY, JSON_OBJECT };

struct json {
	enum json_type type;
	char *text;          /* NUMBER: as written; STRING: decoded */
	size_t n;            /* ARRAY / OBJECT: number of members */
	char **keys;         /* OBJECT: member names */
	struct json **items; /* ARRAY / OBJECT: members */
};

#define JSON_MAX_DEPTH 32

/* Parse len bytes (one value, optional surrounding whitespace).
 * 0, -EBADMSG (syntax, depth), -ENOMEM. */
int json_parse(const char *s, size_t len, struct json **ret);
void json_free(struct json *j);
DEFINE_FREEP(struct json, json_free)

/* Member of an object, or NULL. */
const struct json *json_get(const struct json *obj, const char *key);
/* The value as text for a table cell (strings bare, numbers as written,
 * true/false/null, "[N]" / "{N}" for containers) into buf. */
const char *json_cell(const struct json *v, char *buf, size_t size);

#endif
