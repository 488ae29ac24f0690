/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "topology.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "macro.h"

/* Versions: an object of strings or nulls.  Topology: an object of arrays of strings. */
static bool valid(const struct json *v, const struct json *t)
{
	if (v->type != JSON_OBJECT || t->type != JSON_OBJECT)
		return false;
	for (size_t i = 0; i < v->n; i++)
		if (v->items[i]->type != JSON_STRING && v->items[i]->type != JSON_NULL)
			return false;
	for (size_t i = 0; i < t->n; i++) {
		if (t->items[i]->type != JSON_ARRAY)
			return false;
		for (size_t j = 0; j < t->items[i]->n; j++)
			if (t->items[i]->items[j]->type != JSON_STRING)
				return false;
	}
	return true;
}

/* Printable ASCII only: the registry's strings come from the nodes. */
static void put_clean(FILE *out, const char *s, bool dot)
{
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;
		if (ch < 0x20 || ch > 0x7e)
			fputc('?', out);
		else if (dot && (ch == '"' || ch == '\\'))
			fprintf(out, "\\%c", ch);
		else
			fputc(ch, out);
	}
}

static bool contains(const struct json *arr, const char *s)
{
	for (size_t i = 0; arr && i < arr->n; i++)
		if (!strcmp(arr->items[i]->text, s))
			return true;
	return false;
}

/* Every node named by either answer, once, in order of appearance. */
static int collect(const struct json *v, const struct json *t, const char ***ret, size_t *ret_n)
{
	_cleanup_free_ const char **names = NULL;
	size_t n = 0, max = v->n + t->n;

	for (size_t i = 0; i < t->n; i++)
		max += t->items[i]->n;
	names = calloc(max ? max : 1, sizeof(*names));
	if (!names)
		return -ENOMEM;
	for (size_t k = 0; k < max; k++) {
		const char *s;
		size_t j;
		if (k < t->n)
			s = t->keys[k];
		else if (k < t->n + v->n)
			s = v->keys[k - t->n];
		else
			continue;
		if (!*s)
			continue;
		for (j = 0; j < n && strcmp(names[j], s); j++)
			;
		if (j == n)
			names[n++] = s;
	}
	for (size_t i = 0; i < t->n; i++)
		for (size_t k = 0; k < t->items[i]->n; k++) {
			const char *s = t->items[i]->items[k]->text;
			size_t j;
			for (j = 0; j < n && strcmp(names[j], s); j++)
				;
			if (j == n && *s)
				names[n++] = s;
		}
	*ret = TAKE_PTR(names);
	*ret_n = n;
	return 0;
}

static void print_dot(const struct json *v, const struct json *t, const char **names, size_t n,
		      FILE *out)
{
	const struct json *answered = json_get(t, "");

	fputs("digraph re6st {\n\tnode [shape=box, fontname=\"monospace\"];\n", out);
	for (size_t i = 0; i < n; i++) {
		const struct json *ver = json_get(v, names[i]);
		bool ok = contains(answered, names[i]);
		fputs("\t\"", out);
		put_clean(out, names[i], true);
		fputs("\" [label=\"", out);
		put_clean(out, names[i], true);
		if (ver && ver->type == JSON_STRING) {
			fputs("\\n", out);
			put_clean(out, ver->text, true);
		}
		fprintf(out, "\"%s];\n", ok ? "" : ", style=dashed");
	}
	for (size_t i = 0; i < t->n; i++) {
		if (!*t->keys[i])
			continue;
		for (size_t j = 0; j < t->items[i]->n; j++) {
			fputs("\t\"", out);
			put_clean(out, t->keys[i], true);
			fputs("\" -> \"", out);
			put_clean(out, t->items[i]->items[j]->text, true);
			fputs("\";\n", out);
		}
	}
	fputs("}\n", out);
}

static void print_table(const struct json *v, const struct json *t, const char **names,
			size_t n, FILE *out)
{
	const struct json *answered = json_get(t, "");
	size_t w = 4, vw = 7, edges = 0, n_ok = 0;

	for (size_t i = 0; i < n; i++) {
		const struct json *ver = json_get(v, names[i]);
		w = MAX(w, strlen(names[i]));
		if (ver && ver->type == JSON_STRING)
			vw = MAX(vw, MIN(strlen(ver->text), (size_t)80));
	}
	fprintf(out, "%-*s  %-8s  %-*s  %s\n", (int)w, "NODE", "ANSWERED", (int)vw, "VERSION",
		"TUNNELS TO");
	for (size_t i = 0; i < n; i++) {
		const struct json *ver = json_get(v, names[i]), *to = json_get(t, names[i]);
		bool ok = contains(answered, names[i]);
		const char *vs = ver && ver->type == JSON_STRING ? ver->text : "-";
		fprintf(out, "%-*s  %-8s  ", (int)w, names[i], ok ? "yes" : "no");
		n_ok += ok;
		put_clean(out, vs, false);
		fprintf(out, "%*s", (int)(vw - MIN(strlen(vs), vw)), "");
		for (size_t j = 0; to && j < to->n; j++, edges++) {
			fputs("  ", out);
			put_clean(out, to->items[j]->text, false);
		}
		fputc('\n', out);
	}
	fprintf(out, "%zu nodes, %zu answered the topology survey, %zu tunnels\n", n, n_ok, edges);
}

static size_t trimmed(const char *s, size_t len)
{
	while (len && strchr(" \t\r\n", s[len - 1]))
		len--;
	return len;
}

int topology_print(const char *versions, size_t versions_len, const char *topology,
		   size_t topology_len, enum topology_format format, FILE *out)
{
	_cleanup_(json_freep) struct json *v = NULL;
	_cleanup_(json_freep) struct json *t = NULL;
	_cleanup_free_ const char **names = NULL;
	size_t n = 0;
	int r;

	r = json_parse(versions, versions_len, &v);
	if (r >= 0)
		r = json_parse(topology, topology_len, &t);
	if (r < 0)
		return r;
	if (!valid(v, t))
		return -EBADMSG;
	if (format == TOPOLOGY_JSON) {
		/* Both answers as they came (each a valid JSON object), one line. */
		fputs("{\"versions\":", out);
		fwrite(versions, 1, trimmed(versions, versions_len), out);
		fputs(",\"topology\":", out);
		fwrite(topology, 1, trimmed(topology, topology_len), out);
		fputs("}\n", out);
		return 0;
	}
	r = collect(v, t, &names, &n);
	if (r < 0)
		return r;
	if (format == TOPOLOGY_DOT)
		print_dot(v, t, names, n, out);
	else
		print_table(v, t, names, n, out);
	return 0;
}
