/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "query.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decode len bytes of s into a fresh NUL-terminated string. */
static int decode(const char *s, size_t len, char **ret, const char **ret_error)
{
	_cleanup_free_ char *out = malloc(len + 1);
	size_t o = 0;

	if (!out)
		return -ENOMEM;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		if (c == '%') {
			int h, l;
			if (i + 2 >= len) {
				*ret_error = "truncated %-escape";
				return -EINVAL;
			}
			h = hexval(s[i + 1]);
			l = hexval(s[i + 2]);
			if (h < 0 || l < 0) {
				*ret_error = "invalid %-escape";
				return -EINVAL;
			}
			c = (char)(h << 4 | l);
			if (c == '\0') {
				*ret_error = "%00 is not allowed";
				return -EINVAL;
			}
			i += 2;
		} else if (c == '+')
			c = ' ';
		else if (c == '\0' || (unsigned char)c < 0x20 || c == 0x7f) {
			*ret_error = "control character in argument";
			return -EINVAL;
		}
		out[o++] = c;
	}
	out[o] = '\0';
	*ret = TAKE_PTR(out);
	return 0;
}

static bool valid_key(const char *k)
{
	size_t n = strlen(k);

	if (n == 0 || n > QUERY_MAX_KEY)
		return false;
	for (; *k; k++)
		if (!((*k >= 'a' && *k <= 'z') || (*k >= 'A' && *k <= 'Z') ||
		      (*k >= '0' && *k <= '9') || *k == '_'))
			return false;
	return true;
}

void query_clear(struct query *q)
{
	for (size_t i = 0; i < q->n; i++) {
		free(q->arg[i].key);
		free(q->arg[i].value);
	}
	q->n = 0;
}

int query_parse(struct query *q, const char *s, size_t len, const char **ret_error)
{
	const char *dummy;
	size_t start = q->n;
	int r = 0;

	if (!ret_error)
		ret_error = &dummy;
	*ret_error = NULL;
	if (len > QUERY_MAX_LEN) {
		*ret_error = "arguments too long";
		return -E2BIG;
	}
	if (len == 0)
		return 0;

	for (size_t pos = 0; pos <= len;) {
		const char *field = s + pos;
		const char *amp = memchr(field, '&', len - pos);
		size_t flen = amp ? (size_t)(amp - field) : len - pos;
		const char *eq = memchr(field, '=', flen);
		_cleanup_free_ char *key = NULL, *value = NULL;

		if (flen == 0) {
			*ret_error = "empty field in arguments";
			r = -EINVAL;
			goto fail;
		}
		if (!eq) {
			*ret_error = "argument without '='";
			r = -EINVAL;
			goto fail;
		}
		r = decode(field, (size_t)(eq - field), &key, ret_error);
		if (r < 0)
			goto fail;
		if (!valid_key(key)) {
			*ret_error = "invalid argument name";
			r = -EINVAL;
			goto fail;
		}
		if (query_get(q, key)) {
			*ret_error = "duplicate argument";
			r = -EINVAL;
			goto fail;
		}
		r = decode(eq + 1, flen - (size_t)(eq + 1 - field), &value, ret_error);
		if (r < 0)
			goto fail;
		if (q->n >= QUERY_MAX_ARGS) {
			*ret_error = "too many arguments";
			r = -E2BIG;
			goto fail;
		}
		q->arg[q->n].key = TAKE_PTR(key);
		q->arg[q->n].value = TAKE_PTR(value);
		q->n++;
		if (!amp)
			break;
		pos += flen + 1;
		if (pos == len) {
			*ret_error = "empty field in arguments";
			r = -EINVAL;
			goto fail;
		}
	}
	return 0;
fail:
	while (q->n > start) {
		q->n--;
		free(q->arg[q->n].key);
		free(q->arg[q->n].value);
	}
	return r;
}

const char *query_get(const struct query *q, const char *key)
{
	for (size_t i = 0; i < q->n; i++)
		if (strcmp(q->arg[i].key, key) == 0)
			return q->arg[i].value;
	return NULL;
}

const char *query_unknown_key(const struct query *q, const char *const *allowed)
{
	for (size_t i = 0; i < q->n; i++) {
		bool ok = false;
		for (const char *const *a = allowed; a && *a; a++)
			if (strcmp(*a, q->arg[i].key) == 0) {
				ok = true;
				break;
			}
		if (!ok)
			return q->arg[i].key;
	}
	return NULL;
}
