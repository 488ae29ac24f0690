/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "community.h"

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"

void community_map_clear(struct community_map *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->n; i++) {
		free(m->c[i].prefix);
		for (size_t j = 0; j < m->c[i].n_locations; j++)
			free(m->c[i].locations[j]);
		free(m->c[i].locations);
	}
	free(m->c);
	m->c = NULL;
	m->n = 0;
}

static bool valid_location(const char *s, size_t n)
{
	if (n == 1 && s[0] == '*')
		return true;
	if (n == 3 && s[0] == '@')
		s++, n--;
	return n == 2 && isupper((unsigned char)s[0]) && isupper((unsigned char)s[1]);
}

static bool location_known(const struct community_map *m, const char *s, size_t n)
{
	for (size_t i = 0; i < m->n; i++)
		for (size_t j = 0; j < m->c[i].n_locations; j++)
			if (strlen(m->c[i].locations[j]) == n &&
			    memcmp(m->c[i].locations[j], s, n) == 0)
				return true;
	return false;
}

static int add_word(struct community *c, const char *s, size_t n)
{
	char **l = realloc(c->locations, (c->n_locations + 1) * sizeof(*l));

	if (!l)
		return -ENOMEM;
	c->locations = l;
	l[c->n_locations] = strndup(s, n);
	if (!l[c->n_locations])
		return -ENOMEM;
	c->n_locations++;
	return 0;
}

/* Parse one non-empty, non-comment line into m. */
static int parse_line(struct community_map *m, const char *s, size_t n, const char **ret_error)
{
	struct community *c;
	size_t i = 0, w;
	int r;

	w = strcspn(s, " \t");
	if (w > n)
		w = n;
	if (w == 0 || w > 128 || strspn(s, "01") < w) {
		*ret_error = "community prefix must be 1 to 128 characters '0'/'1'";
		return -EINVAL;
	}
	for (size_t k = 0; k < m->n; k++) {
		size_t pl = strlen(m->c[k].prefix);
		if (memcmp(m->c[k].prefix, s, MIN(pl, w)) == 0) {
			*ret_error = pl == w ? "duplicate community" : "communities overlap";
			return -EINVAL;
		}
	}
	c = realloc(m->c, (m->n + 1) * sizeof(*c));
	if (!c)
		return -ENOMEM;
	m->c = c;
	c = &m->c[m->n];
	*c = (struct community){ .prefix = strndup(s, w) };
	if (!c->prefix)
		return -ENOMEM;
	m->n++;
	i = w;
	for (;;) {
		while (i < n && (s[i] == ' ' || s[i] == '\t'))
			i++;
		if (i == n)
			break;
		w = strcspn(s + i, " \t");
		if (w > n - i)
			w = n - i;
		if (!valid_location(s + i, w)) {
			*ret_error = "location must be a country code (FR), @continent (@EU) or *";
			return -EINVAL;
		}
		if (location_known(m, s + i, w)) {
			*ret_error = "location listed twice";
			return -EINVAL;
		}
		r = add_word(c, s + i, w);
		if (r < 0)
			return r;
		i += w;
	}
	if (c->n_locations == 0) {
		*ret_error = "community without location";
		return -EINVAL;
	}
	return 0;
}

int community_parse(const char *text, size_t len, struct community_map *ret,
		    unsigned *ret_line, const char **ret_error)
{
	_cleanup_(community_map_clear) struct community_map m = {};
	const char *dummy;
	unsigned line = 0;
	int r;

	if (!ret_error)
		ret_error = &dummy;
	for (size_t pos = 0; pos < len;) {
		const char *s = text + pos, *nl = memchr(s, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - s) : len - pos;

		pos += n + 1;
		line++;
		if (memchr(s, '\0', n)) {
			*ret_error = "NUL byte";
			goto bad;
		}
		while (n && isspace((unsigned char)s[n - 1]))
			n--;
		while (n && isspace((unsigned char)*s))
			s++, n--;
		if (n == 0 || *s == '#')
			continue;
		/* parse_line relies on strcspn stopping: work on a copy. */
		_cleanup_free_ char *copy = strndup(s, n);
		if (!copy)
			return -ENOMEM;
		r = parse_line(&m, copy, n, ret_error);
		if (r == -ENOMEM)
			return r;
		if (r < 0)
			goto bad;
	}
	line = 0;
	if (!location_known(&m, "*", 1)) {
		*ret_error = "no default community (a line with '*')";
		goto bad;
	}
	*ret = m;
	m = (struct community_map){};
	return 0;
bad:
	if (ret_line)
		*ret_line = line;
	return -EINVAL;
}

int community_default(struct community_map *ret)
{
	static const char def[] = " *";
	_cleanup_(community_map_clear) struct community_map m = {};

	m.c = calloc(1, sizeof(*m.c));
	if (!m.c)
		return -ENOMEM;
	m.n = 1;
	m.c[0].prefix = strdup("");
	if (!m.c[0].prefix || add_word(&m.c[0], def + 1, 1) < 0)
		return -ENOMEM;
	*ret = m;
	m = (struct community_map){};
	return 0;
}

const char *community_lookup(const struct community_map *m, const char *country,
			     const char *continent)
{
	char at[4] = "";
	const char *def = "";

	if (continent && strlen(continent) == 2)
		snprintf(at, sizeof(at), "@%s", continent);
	for (size_t i = 0; i < m->n; i++)
		for (size_t j = 0; j < m->c[i].n_locations; j++)
			if (country && strcmp(country, "*") != 0 &&
			    strcmp(m->c[i].locations[j], country) == 0)
				return m->c[i].prefix;
	for (size_t i = 0; i < m->n; i++)
		for (size_t j = 0; j < m->c[i].n_locations; j++) {
			if (at[0] && strcmp(m->c[i].locations[j], at) == 0)
				return m->c[i].prefix;
			if (strcmp(m->c[i].locations[j], "*") == 0)
				def = m->c[i].prefix;
		}
	return def;
}

size_t community_max_len(const struct community_map *m)
{
	size_t x = 0;

	for (size_t i = 0; i < m->n; i++)
		x = MAX(x, strlen(m->c[i].prefix));
	return x;
}
