/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdint.h>
#include <stdio.h>

#include "json.h"

struct reader {
	const char *s;
	size_t len, pos;
};

static void skip_ws(struct reader *r)
{
	while (r->pos < r->len &&
	       (r->s[r->pos] == ' ' || r->s[r->pos] == '\t' || r->s[r->pos] == '\n' ||
		r->s[r->pos] == '\r'))
		r->pos++;
}

void json_free(struct json *j)
{
	if (!j)
		return;
	free(j->text);
	for (size_t i = 0; i < j->n; i++) {
		if (j->keys)
			free(j->keys[i]);
		json_free(j->items[i]);
	}
	free(j->keys);
	free(j->items);
	free(j);
}

static int hex4(struct reader *r, unsigned *ret)
{
	if (r->len - r->pos < 4)
		return -EBADMSG;
	unsigned v = 0;
	for (int i = 0; i < 4; i++) {
		char c = r->s[r->pos++];
		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v |= (unsigned)(c - 'A' + 10);
		else
			return -EBADMSG;
	}
	*ret = v;
	return 0;
}

static void put_utf8(char *out, size_t *n, unsigned cp)
{
	if (cp < 0x80) {
		out[(*n)++] = (char)cp;
	} else if (cp < 0x800) {
		out[(*n)++] = (char)(0xc0 | cp >> 6);
		out[(*n)++] = (char)(0x80 | (cp & 0x3f));
	} else if (cp < 0x10000) {
		out[(*n)++] = (char)(0xe0 | cp >> 12);
		out[(*n)++] = (char)(0x80 | ((cp >> 6) & 0x3f));
		out[(*n)++] = (char)(0x80 | (cp & 0x3f));
	} else {
		out[(*n)++] = (char)(0xf0 | cp >> 18);
		out[(*n)++] = (char)(0x80 | ((cp >> 12) & 0x3f));
		out[(*n)++] = (char)(0x80 | ((cp >> 6) & 0x3f));
		out[(*n)++] = (char)(0x80 | (cp & 0x3f));
	}
}

/* r->pos is just after the opening quote. */
static int read_string(struct reader *r, char **ret)
{
	/* Decoded text is never longer than the escaped text. */
	size_t start = r->pos, end = start;
	while (end < r->len && r->s[end] != '"') {
		if (r->s[end] == '\\')
			end++;
		end++;
	}
	if (end >= r->len)
		return -EBADMSG;
	char *out = malloc(end - start + 1);
	if (!out)
		return -ENOMEM;
	size_t n = 0;
	while (r->pos < end) {
		unsigned char c = (unsigned char)r->s[r->pos++];
		if (c < 0x20)
			goto bad;
		if (c != '\\') {
			out[n++] = (char)c;
			continue;
		}
		if (r->pos >= r->len)
			goto bad;
		c = (unsigned char)r->s[r->pos++];
		switch (c) {
		case '"': case '\\': case '/':
			out[n++] = (char)c;
			break;
		case 'b': out[n++] = '\b'; break;
		case 'f': out[n++] = '\f'; break;
		case 'n': out[n++] = '\n'; break;
		case 'r': out[n++] = '\r'; break;
		case 't': out[n++] = '\t'; break;
		case 'u': {
			unsigned cp, lo;
			if (hex4(r, &cp) < 0)
				goto bad;
			if (cp >= 0xdc00 && cp <= 0xdfff)
				goto bad;
			if (cp >= 0xd800 && cp <= 0xdbff) {
				if (r->len - r->pos < 6 || r->s[r->pos] != '\\' || r->s[r->pos + 1] != 'u')
					goto bad;
				r->pos += 2;
				if (hex4(r, &lo) < 0 || lo < 0xdc00 || lo > 0xdfff)
					goto bad;
				cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
			}
			/* "\u0000" would cut the C string: refuse it. */
			if (cp == 0)
				goto bad;
			put_utf8(out, &n, cp);
			break;
		}
		default:
			goto bad;
		}
		if (r->pos > end) /* an escape swallowed the closing quote */
			goto bad;
	}
	r->pos = end + 1;
	out[n] = '\0';
	*ret = out;
	return 0;
bad:
	free(out);
	return -EBADMSG;
}

static int read_number(struct reader *r, char **ret)
{
	size_t start = r->pos;
	const char *s = r->s;
	if (r->pos < r->len && s[r->pos] == '-')
		r->pos++;
	if (r->pos >= r->len)
		return -EBADMSG;
	if (s[r->pos] == '0')
		r->pos++;
	else if (s[r->pos] >= '1' && s[r->pos] <= '9')
		while (r->pos < r->len && s[r->pos] >= '0' && s[r->pos] <= '9')
			r->pos++;
	else
		return -EBADMSG;
	if (r->pos < r->len && s[r->pos] == '.') {
		r->pos++;
		size_t d = r->pos;
		while (r->pos < r->len && s[r->pos] >= '0' && s[r->pos] <= '9')
			r->pos++;
		if (r->pos == d)
			return -EBADMSG;
	}
	if (r->pos < r->len && (s[r->pos] == 'e' || s[r->pos] == 'E')) {
		r->pos++;
		if (r->pos < r->len && (s[r->pos] == '+' || s[r->pos] == '-'))
			r->pos++;
		size_t d = r->pos;
		while (r->pos < r->len && s[r->pos] >= '0' && s[r->pos] <= '9')
			r->pos++;
		if (r->pos == d)
			return -EBADMSG;
	}
	/* Not strndup(): the input need not be NUL-terminated (len bytes). */
	size_t n = r->pos - start;
	*ret = malloc(n + 1);
	if (!*ret)
		return -ENOMEM;
	memcpy(*ret, s + start, n);
	(*ret)[n] = '\0';
	return 0;
}

static int push(struct json *j, char *key, struct json *item)
{
	struct json **items = reallocarray(j->items, j->n + 1, sizeof(*items));
	if (!items)
		return -ENOMEM;
	j->items = items;
	if (j->type == JSON_OBJECT) {
		char **keys = reallocarray(j->keys, j->n + 1, sizeof(*keys));
		if (!keys)
			return -ENOMEM;
		j->keys = keys;
		keys[j->n] = key;
	}
	items[j->n++] = item;
	return 0;
}

static int read_value(struct reader *r, unsigned depth, struct json **ret)
{
	if (depth > JSON_MAX_DEPTH)
		return -EBADMSG;
	skip_ws(r);
	if (r->pos >= r->len)
		return -EBADMSG;
	_cleanup_(json_freep) struct json *j = calloc(1, sizeof(*j));
	if (!j)
		return -ENOMEM;
	const char *s = r->s + r->pos;
	size_t left = r->len - r->pos;
	int rc;
	switch (*s) {
	case 'n':
	case 't':
	case 'f': {
		static const struct { const char *w; enum json_type t; } lits[] = {
			{ "null", JSON_NULL }, { "true", JSON_TRUE }, { "false", JSON_FALSE } };
		for (size_t i = 0; i < ARRAY_SIZE(lits); i++) {
			size_t l = strlen(lits[i].w);
			if (left >= l && !memcmp(s, lits[i].w, l)) {
				j->type = lits[i].t;
				r->pos += l;
				*ret = TAKE_PTR(j);
				return 0;
			}
		}
		return -EBADMSG;
	}
	case '"':
		r->pos++;
		j->type = JSON_STRING;
		rc = read_string(r, &j->text);
		if (rc < 0)
			return rc;
		break;
	case '[':
	case '{': {
		bool obj = *s == '{';
		char close = obj ? '}' : ']';
		j->type = obj ? JSON_OBJECT : JSON_ARRAY;
		r->pos++;
		skip_ws(r);
		if (r->pos < r->len && r->s[r->pos] == close) {
			r->pos++;
			break;
		}
		for (;;) {
			char *key = NULL;
			if (obj) {
				skip_ws(r);
				if (r->pos >= r->len || r->s[r->pos] != '"')
					return -EBADMSG;
				r->pos++;
				if ((rc = read_string(r, &key)) < 0)
					return rc;
				skip_ws(r);
				if (r->pos >= r->len || r->s[r->pos] != ':') {
					free(key);
					return -EBADMSG;
				}
				r->pos++;
			}
			struct json *item = NULL;
			rc = read_value(r, depth + 1, &item);
			if (rc >= 0)
				rc = push(j, key, item);
			if (rc < 0) {
				free(key);
				json_free(item);
				return rc;
			}
			skip_ws(r);
			if (r->pos >= r->len)
				return -EBADMSG;
			if (r->s[r->pos] == ',') {
				r->pos++;
				continue;
			}
			if (r->s[r->pos] != close)
				return -EBADMSG;
			r->pos++;
			break;
		}
		break;
	}
	default:
		j->type = JSON_NUMBER;
		rc = read_number(r, &j->text);
		if (rc < 0)
			return rc;
	}
	*ret = TAKE_PTR(j);
	return 0;
}

int json_parse(const char *s, size_t len, struct json **ret)
{
	struct reader r = { s, len, 0 };
	struct json *j = NULL;
	int rc = read_value(&r, 0, &j);
	if (rc < 0)
		return rc;
	skip_ws(&r);
	if (r.pos != r.len) {
		json_free(j);
		return -EBADMSG;
	}
	*ret = j;
	return 0;
}

const struct json *json_get(const struct json *obj, const char *key)
{
	if (!obj || obj->type != JSON_OBJECT)
		return NULL;
	for (size_t i = 0; i < obj->n; i++)
		if (!strcmp(obj->keys[i], key))
			return obj->items[i];
	return NULL;
}

const char *json_cell(const struct json *v, char *buf, size_t size)
{
	if (!v)
		snprintf(buf, size, "-");
	else
		switch (v->type) {
		case JSON_NULL: snprintf(buf, size, "-"); break;
		case JSON_TRUE: snprintf(buf, size, "yes"); break;
		case JSON_FALSE: snprintf(buf, size, "no"); break;
		case JSON_NUMBER:
		case JSON_STRING: snprintf(buf, size, "%s", v->text); break;
		case JSON_ARRAY: snprintf(buf, size, "[%zu]", v->n); break;
		case JSON_OBJECT: snprintf(buf, size, "{%zu}", v->n); break;
		}
	return buf;
}
