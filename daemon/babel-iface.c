/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "babel-iface.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *iface_line(const char *opts, const char *name, const char *extra)
{
	char *line = NULL;
	if (asprintf(&line, "interface %s %s%s%s", name, opts, extra ? " " : "",
		     extra ? extra : "") < 0)
		return NULL;
	return line;
}

static void iface_clear(struct babel_iface *f)
{
	free(f->extra);
	free(f->line);
}

/* The index of name in v, or v->n. */
static size_t iface_find(const struct babel_iface_vec *v, const char *name)
{
	size_t i = 0;
	while (i < v->n && strcmp(v->v[i].name, name))
		i++;
	return i;
}

bool babel_ifname_valid(const char *name)
{
	size_t n = strlen(name);
	if (!n || n >= BABEL_IFNAME_LEN)
		return false;
	for (; *name; name++)
		if (*name <= ' ' || *name == '/' || *name == 0x7f)
			return false;
	return true;
}

int babel_ifaces_set(struct babel_iface_vec *v, const char *opts, const char *name,
		     const char *extra, const char **ret_line)
{
	if (!babel_ifname_valid(name) || (extra && (strchr(extra, '\n') || strchr(extra, '\r'))))
		return -EINVAL;
	struct babel_iface f = { .line = iface_line(opts, name, extra) };
	if (!f.line || (extra && !(f.extra = strdup(extra)))) {
		iface_clear(&f);
		return -ENOMEM;
	}
	snprintf(f.name, sizeof(f.name), "%s", name);
	size_t i = iface_find(v, name);
	if (i < v->n) {
		iface_clear(&v->v[i]);
		v->v[i] = f;
	} else {
		int r = VEC_PUSH(*v, f);
		if (r < 0) {
			iface_clear(&f);
			return r;
		}
	}
	*ret_line = f.line;
	return 0;
}

int babel_ifaces_forget(struct babel_iface_vec *v, const char *name)
{
	size_t i = iface_find(v, name);
	if (i == v->n)
		return -ENOENT;
	iface_clear(&v->v[i]);
	v->v[i] = v->v[--v->n];
	return 0;
}

bool babel_ifaces_has(const struct babel_iface_vec *v, const char *name)
{
	return iface_find(v, name) < v->n;
}

int babel_ifaces_reline(struct babel_iface_vec *v, const char *opts)
{
	char **lines = calloc(v->n + 1, sizeof(*lines));
	int r = lines ? 0 : -ENOMEM;
	for (size_t i = 0; r == 0 && i < v->n; i++)
		if (!(lines[i] = iface_line(opts, v->v[i].name, v->v[i].extra)))
			r = -ENOMEM;
	for (size_t i = 0; lines && i < v->n; i++) {
		if (r == 0) {
			free(v->v[i].line);
			v->v[i].line = lines[i];
		} else
			free(lines[i]);
	}
	free(lines);
	return r;
}

void babel_ifaces_free(struct babel_iface_vec *v)
{
	for (size_t i = 0; i < v->n; i++)
		iface_clear(&v->v[i]);
	free(v->v);
	*v = (struct babel_iface_vec){ 0 };
}
