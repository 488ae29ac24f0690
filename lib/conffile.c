/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <ctype.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <sys/stat.h>

#include "conffile.h"
#include "macro.h"

#define CONF_MAX_FILE (1 << 20)

int strv_push(struct strv *s, const char *value)
{
	char **v = reallocarray(s->v, s->n + 2, sizeof(*v));
	if (!v)
		return -ENOMEM;
	s->v = v;
	v[s->n] = strdup(value);
	if (!v[s->n])
		return -ENOMEM;
	v[++s->n] = NULL;
	return 0;
}

bool strv_contains(const struct strv *s, const char *value)
{
	for (size_t i = 0; i < s->n; i++)
		if (!strcmp(s->v[i], value))
			return true;
	return false;
}

void strv_clear(struct strv *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
	s->v = NULL;
	s->n = 0;
}

void conf_parser_init(struct conf_parser *p, const struct conf_option *opts, size_t n_opts,
		      void *target, char *err, size_t errlen)
{
	*p = (struct conf_parser){ .opts = opts, .n_opts = n_opts, .target = target,
				   .err = err, .errlen = errlen };
	if (err && errlen)
		err[0] = '\0';
}

static int fail(struct conf_parser *p, int r, const char *where, const char *fmt, ...)
	_printf_(4, 5);
static int fail(struct conf_parser *p, int r, const char *where, const char *fmt, ...)
{
	if (!p->err || !p->errlen)
		return r;
	size_t off = 0;
	if (where) {
		int n = snprintf(p->err, p->errlen, "%s: ", where);
		off = n < 0 ? 0 : MIN((size_t)n, p->errlen - 1);
	}
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(p->err + off, p->errlen - off, fmt, ap);
	va_end(ap);
	return r;
}

const struct conf_option *conf_find_long(const struct conf_parser *p, const char *name,
					 size_t namelen)
{
	for (size_t i = 0; i < p->n_opts; i++) {
		const char *n = p->opts[i].name;
		if (n && strlen(n) == namelen && !memcmp(n, name, namelen))
			return &p->opts[i];
	}
	return NULL;
}

int conf_match_long(struct conf_parser *p, const char *name, size_t namelen,
		    const struct conf_option **ret)
{
	const struct conf_option *found = conf_find_long(p, name, namelen), *other = NULL;
	size_t n = 0;
	if (found) {
		*ret = found;
		return 0;
	}
	for (size_t i = 0; namelen && i < p->n_opts; i++) {
		const char *o = p->opts[i].name;
		if (!o || strncmp(o, name, namelen))
			continue;
		if (n++ == 0)
			found = &p->opts[i];
		else if (!other)
			other = &p->opts[i];
	}
	if (!found)
		return fail(p, -EINVAL, NULL, "unknown option '--%.*s'", (int)MIN(namelen, 64),
			    name);
	if (other)
		return fail(p, -EINVAL, NULL, "ambiguous option '--%.*s' (--%s, --%s%s)",
			    (int)MIN(namelen, 64), name, found->name, other->name,
			    n > 2 ? ", ..." : "");
	*ret = found;
	return 0;
}

const struct conf_option *conf_find_short(const struct conf_parser *p, char c)
{
	for (size_t i = 0; i < p->n_opts; i++)
		if (c && p->opts[i].short_name == c)
			return &p->opts[i];
	return NULL;
}

static int parse_bool(const char *v, bool *ret)
{
	static const char *const yes[] = { "yes", "true", "on", "1" };
	static const char *const no[] = { "no", "false", "off", "0" };
	for (size_t i = 0; i < ARRAY_SIZE(yes); i++) {
		if (!strcasecmp(v, yes[i])) {
			*ret = true;
			return 0;
		}
		if (!strcasecmp(v, no[i])) {
			*ret = false;
			return 0;
		}
	}
	return -EINVAL;
}

static void option_label(const struct conf_option *o, char *buf, size_t len)
{
	if (o->name)
		snprintf(buf, len, "--%s", o->name);
	else
		snprintf(buf, len, "-%c", o->short_name);
}

int conf_parser_set(struct conf_parser *p, const struct conf_option *o, const char *value,
		    const char *where)
{
	char *field = (char *)p->target + o->offset;
	char label[80];
	option_label(o, label, sizeof(label));

	if (o->type != CONF_FLAG && !value)
		return fail(p, -EINVAL, where, "option %s needs a value (%s)", label,
			    o->metavar ? o->metavar : "ARG");

	switch (o->type) {
	case CONF_FLAG: {
		bool b = true;
		if (value && parse_bool(value, &b) < 0)
			return fail(p, -EINVAL, where,
				    "option %s takes no value or yes/no, not '%s'", label, value);
		*(bool *)field = b;
		return 0;
	}
	case CONF_STRING: {
		if (!*value)
			return fail(p, -EINVAL, where, "option %s needs a non-empty value", label);
		char *s = strdup(value);
		if (!s)
			return -ENOMEM;
		free(*(char **)field);
		*(char **)field = s;
		return 0;
	}
	case CONF_STRV:
		if (!*value)
			return fail(p, -EINVAL, where, "option %s needs a non-empty value", label);
		return strv_push((struct strv *)field, value);
	case CONF_INT: {
		char *end;
		errno = 0;
		long v = strtol(value, &end, 10);
		if (!*value || *end || errno || v < o->min || v > o->max)
			return fail(p, -EINVAL, where,
				    "option %s expects an integer in %ld..%ld, not '%s'", label,
				    o->min, o->max, value);
		*(int *)field = (int)v;
		return 0;
	}
	case CONF_CUSTOM:
	case CONF_PAIR: {
		char msg[256] = "";
		int r = o->parse(p->target, value, msg, sizeof(msg));
		if (r == -EINVAL)
			return fail(p, r, where, "option %s: %s", label,
				    *msg ? msg : "invalid value");
		return r;
	}
	}
	return -EINVAL;
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

int conf_parser_line(struct conf_parser *p, const char *file, unsigned lineno, const char *line)
{
	char where[PATH_MAX + 32];
	snprintf(where, sizeof(where), "%s:%u", file ? file : "<config>", lineno);

	size_t len = strlen(line);
	if (len > CONF_MAX_LINE)
		return fail(p, -EINVAL, where, "line longer than %d bytes", CONF_MAX_LINE);
	char buf[CONF_MAX_LINE + 1];
	memcpy(buf, line, len + 1);

	/* Cut the comment: '#' at the start or after a blank. */
	for (size_t i = 0; i < len; i++) {
		if (buf[i] == '#' && (i == 0 || is_blank(buf[i - 1]))) {
			buf[i] = '\0';
			len = i;
			break;
		}
	}
	while (len && (is_blank(buf[len - 1]) || buf[len - 1] == '\r'))
		buf[--len] = '\0';
	char *s = buf;
	while (is_blank(*s))
		s++;
	if (!*s)
		return 0;
	for (char *c = s; *c; c++)
		if ((unsigned char)*c < 0x20 && *c != '\t')
			return fail(p, -EINVAL, where, "control character in line");

	if (*s == '@') {
		const char *path = s + 1;
		while (is_blank(*path))
			path++;
		if (p->no_include)
			return fail(p, -EINVAL, where, "includes are not allowed here");
		if (!*path)
			return fail(p, -EINVAL, where, "'@' needs a file name");
		return conf_parser_file(p, path);
	}

	/* Tolerate "--name value" in files, as argparse's @FILE did. */
	if (s[0] == '-' && s[1] == '-')
		s += 2;
	else if (s[0] == '-' && s[1] && (s[2] == '\0' || is_blank(s[2])))
		s += 1;
	size_t namelen = strcspn(s, " \t");
	char *value = s + namelen;
	while (is_blank(*value))
		value++;
	/* "name=value" is accepted too. */
	char *eq = memchr(s, '=', namelen);
	if (eq) {
		namelen = (size_t)(eq - s);
		if (*value)
			return fail(p, -EINVAL, where, "unexpected text after '%s'", s);
		value = eq + 1;
	}

	const struct conf_option *o = NULL;
	if (namelen == 1)
		o = conf_find_short(p, s[0]);
	if (!o)
		o = conf_find_long(p, s, namelen);
	if (!o)
		return fail(p, -EINVAL, where, "unknown option '%.*s'", (int)MIN(namelen, 64), s);
	if (o->type == CONF_FLAG && !*value && !eq)
		return conf_parser_set(p, o, NULL, where);
	if (!*value && !eq) {
		char label[80];
		option_label(o, label, sizeof(label));
		return fail(p, -EINVAL, where, "option %s needs a value (%s)", label,
			    o->metavar ? o->metavar : "ARG");
	}
	return conf_parser_set(p, o, value, where);
}

int conf_parser_buffer(struct conf_parser *p, const char *file, const char *buf, size_t len)
{
	unsigned lineno = 0;
	size_t i = 0;
	while (i < len) {
		lineno++;
		const char *start = buf + i;
		const char *nl = memchr(start, '\n', len - i);
		size_t l = nl ? (size_t)(nl - start) : len - i;
		char where[PATH_MAX + 32];
		snprintf(where, sizeof(where), "%s:%u", file ? file : "<config>", lineno);
		if (l > CONF_MAX_LINE)
			return fail(p, -EINVAL, where, "line longer than %d bytes", CONF_MAX_LINE);
		if (memchr(start, '\0', l))
			return fail(p, -EINVAL, where, "NUL byte in line");
		char line[CONF_MAX_LINE + 1];
		memcpy(line, start, l);
		line[l] = '\0';
		int r = conf_parser_line(p, file, lineno, line);
		if (r < 0)
			return r;
		i += l + (nl ? 1 : 0);
	}
	return 0;
}

int conf_parser_file(struct conf_parser *p, const char *path)
{
	if (p->depth >= CONF_MAX_DEPTH)
		return fail(p, -ELOOP, path, "files included more than %d deep", CONF_MAX_DEPTH);

	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		int r = negative_errno();
		return fail(p, r, path, "%s", strerror(-r));
	}
	struct stat st;
	if (fstat(fd, &st) < 0) {
		int r = negative_errno();
		return fail(p, r, path, "%s", strerror(-r));
	}
	if (!S_ISREG(st.st_mode))
		return fail(p, -EINVAL, path, "not a regular file");
	if (st.st_size > CONF_MAX_FILE)
		return fail(p, -EFBIG, path, "larger than %d bytes", CONF_MAX_FILE);

	_cleanup_free_ char *buf = malloc((size_t)st.st_size + 1);
	if (!buf)
		return -ENOMEM;
	size_t len = 0;
	for (;;) {
		ssize_t n = read(fd, buf + len, (size_t)st.st_size + 1 - len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			int r = negative_errno();
			return fail(p, r, path, "%s", strerror(-r));
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len > (size_t)st.st_size)
			return fail(p, -EFBIG, path, "file grew while being read");
	}
	p->depth++;
	int r = conf_parser_buffer(p, path, buf, len);
	p->depth--;
	return r;
}

/* The value of a CONF_PAIR option: two words joined by one space. */
static int pair_value(struct conf_parser *p, const struct conf_option *o, const char *label,
		      const char *first, int argc, char *const argv[], int *i, char **ret)
{
	if (!first) {
		if (*i + 1 >= argc)
			goto missing;
		first = argv[++*i];
	}
	if (*i + 1 >= argc)
		goto missing;
	const char *second = argv[++*i];
	if (asprintf(ret, "%s %s", first, second) < 0)
		return -ENOMEM;
	return 0;
missing:
	return fail(p, -EINVAL, NULL, "option %s needs two values (%s)", label,
		    o->metavar ? o->metavar : "ARG ARG");
}

int conf_parser_argv(struct conf_parser *p, int argc, char *const argv[])
{
	p->optind = argc;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		int r;

		if (a[0] == '@' && !p->stop_at_argument) {
			if (p->no_include)
				return fail(p, -EINVAL, NULL, "option files are not allowed here");
			r = conf_parser_file(p, a + 1);
			if (r < 0)
				return r;
			continue;
		}
		if (a[0] != '-' || a[1] == '\0') {
			if (p->stop_at_argument) {
				p->optind = i;
				return 0;
			}
			return fail(p, -EINVAL, NULL, "unexpected argument '%s'", a);
		}
		if (!strcmp(a, "--")) {
			if (p->stop_at_argument) {
				p->optind = i + 1;
				return 0;
			}
			if (i + 1 < argc)
				return fail(p, -EINVAL, NULL, "unexpected argument '%s'",
					    argv[i + 1]);
			return 0;
		}
		if (a[1] == '-') {
			const char *name = a + 2;
			const char *eq = strchr(name, '=');
			size_t namelen = eq ? (size_t)(eq - name) : strlen(name);
			const struct conf_option *o;
			r = conf_match_long(p, name, namelen, &o);
			if (r < 0)
				return r;
			const char *value = eq ? eq + 1 : NULL;
			if (o->type == CONF_PAIR) {
				_cleanup_free_ char *pair = NULL;
				char label[80];
				snprintf(label, sizeof(label), "--%s", o->name);
				r = pair_value(p, o, label, value, argc, argv, &i, &pair);
				if (r < 0)
					return r;
				r = conf_parser_set(p, o, pair, NULL);
			} else {
				if (!eq && o->type != CONF_FLAG) {
					if (i + 1 >= argc)
						return fail(p, -EINVAL, NULL,
							    "option --%s needs a value (%s)", o->name,
							    o->metavar ? o->metavar : "ARG");
					value = argv[++i];
				}
				r = conf_parser_set(p, o, value, NULL);
			}
			if (r < 0)
				return r;
			continue;
		}
		/* Short options: flags may be grouped; a value may be attached. */
		for (const char *c = a + 1; *c; c++) {
			const struct conf_option *o = conf_find_short(p, *c);
			if (!o)
				return fail(p, -EINVAL, NULL, "unknown option '-%c'", *c);
			if (o->type == CONF_FLAG) {
				r = conf_parser_set(p, o, NULL, NULL);
				if (r < 0)
					return r;
				continue;
			}
			const char *value = c[1] ? c + 1 : NULL;
			_cleanup_free_ char *pair = NULL;
			if (o->type == CONF_PAIR) {
				char label[8] = { '-', *c, '\0' };
				r = pair_value(p, o, label, value, argc, argv, &i, &pair);
				if (r < 0)
					return r;
				value = pair;
			} else if (!value) {
				if (i + 1 >= argc)
					return fail(p, -EINVAL, NULL, "option -%c needs a value (%s)",
						    *c, o->metavar ? o->metavar : "ARG");
				value = argv[++i];
			}
			r = conf_parser_set(p, o, value, NULL);
			if (r < 0)
				return r;
			break;
		}
	}
	return 0;
}

void conf_print_help(FILE *f, const struct conf_option *opts, size_t n_opts)
{
	for (size_t i = 0; i < n_opts; i++) {
		const struct conf_option *o = &opts[i];
		if (!o->help)
			continue;
		char head[96];
		int n;
		if (o->short_name && o->name)
			n = snprintf(head, sizeof(head), "  -%c, --%s", o->short_name, o->name);
		else if (o->name)
			n = snprintf(head, sizeof(head), "      --%s", o->name);
		else
			n = snprintf(head, sizeof(head), "  -%c", o->short_name);
		if (o->metavar && n > 0 && (size_t)n < sizeof(head))
			snprintf(head + n, sizeof(head) - (size_t)n, " %s", o->metavar);
		fputs(head, f);
		size_t col = strlen(head);
		if (col >= 29) {
			fputc('\n', f);
			col = 0;
		}
		/* Word-wrap the help text into columns 30..79. */
		const char *h = o->help;
		bool first = true, brk = false;
		while (*h) {
			size_t w = strcspn(h, " \n");
			if (!first && (brk || col + 1 + w > 79)) {
				fputc('\n', f);
				col = 0;
				first = true;
			}
			if (first) {
				for (; col < 30; col++)
					fputc(' ', f);
			} else {
				fputc(' ', f);
				col++;
			}
			fwrite(h, 1, w, f);
			col += w;
			first = false;
			h += w;
			brk = false;
			while (*h == ' ' || *h == '\n') {
				if (*h == '\n')
					brk = true;
				h++;
			}
		}
		fputc('\n', f);
	}
}
