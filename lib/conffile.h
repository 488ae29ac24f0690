/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * conffile.h - one option parser for command lines, @FILE option files and
 * configuration files.
 *
 * A program describes its options in a table of struct conf_option, each
 * naming a field of a target structure. The same table serves:
 *   - argv, with getopt_long's conventions: "--name value", "--name=value",
 *     "--na" (any unambiguous prefix of a long name, as getopt_long allows),
 *     "-x value", "-xvalue", "-ab" (combined flags), "@FILE", and "--" ending
 *     the options;
 *   - files (re6stnet.conf and @FILE): one "name value" per line, the
 *     option's long name in full (a one-letter name is the short option:
 *     files are kept for years, and a prefix that is unique today may become
 *     ambiguous when an option is added), the value
 *     being the rest of the line with surrounding blanks removed; '#' at
 *     the start of a line or after a blank starts a comment; "@FILE" on its
 *     own line includes another file (relative to the current directory).
 *
 * The core is pure: conf_parser_init(), then conf_parser_line() or
 * conf_parser_argv() as often as needed, then the caller's own "finish"
 * checks. Only conf_parser_file() reads files (and "@FILE", unless
 * includes are disabled, as a fuzzer does).
 *
 * Errors are -EINVAL (bad input; the message, prefixed with "file:line: "
 * for files, is in the caller's err buffer), -ENOMEM, or -errno from reading
 * a file (message in err too). Values already stored stay stored: the
 * caller frees the target either way.
 */
#ifndef RE6ST_CONFFILE_H
#define RE6ST_CONFFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* A growable NULL-terminated array of malloc'ed strings. */
struct strv {
	char **v;
	size_t n;
};

/* Append a copy of s. 0 or -ENOMEM. */
int strv_push(struct strv *s, const char *value);
bool strv_contains(const struct strv *s, const char *value);
/* Free every string and the array; leaves s empty. NULL-safe. */
void strv_clear(struct strv *s);

enum conf_type {
	CONF_FLAG,   /* bool; no value on the command line; in a file optional
	                "yes/no/true/false/on/off/1/0" */
	CONF_STRING, /* char * (malloc'ed), a later value replaces an earlier one */
	CONF_STRV,   /* struct strv, each value appended */
	CONF_INT,    /* int within [min, max] */
	CONF_CUSTOM, /* parse() decides */
	CONF_PAIR,   /* like CONF_CUSTOM, but two words on the command line
	                ("--ipv4 NET/N SUBLEN"), given to parse() joined by one
	                space; in a file the rest of the line, as always */
};

struct conf_option {
	const char *name;   /* long name, without dashes */
	char short_name;    /* 0 if none */
	enum conf_type type;
	size_t offset;      /* of the field in the target structure */
	long min, max;      /* CONF_INT range */
	/*
	 * CONF_CUSTOM, CONF_PAIR: store value into target. Return 0, -ENOMEM, or -EINVAL
	 * with a message (without position or option name) in err.
	 */
	int (*parse)(void *target, const char *value, char *err, size_t errlen);
	const char *metavar; /* NULL for flags */
	const char *help;
};

struct conf_parser {
	const struct conf_option *opts;
	size_t n_opts;
	void *target;
	char *err;
	size_t errlen;
	bool no_include;    /* refuse "@FILE" (fuzzing, untrusted buffers) */
	unsigned depth;     /* include nesting */
	/*
	 * argv: stop at the first argument that is not an option (or after
	 * "--") instead of refusing it, as getopt with "+": a command follows
	 * (re6stctl). "@..." is then such an argument too.
	 */
	bool stop_at_argument;
	int optind;         /* argv: index of the first argument not parsed */
};

#define CONF_MAX_LINE 4096
#define CONF_MAX_DEPTH 8

void conf_parser_init(struct conf_parser *p, const struct conf_option *opts, size_t n_opts,
		      void *target, char *err, size_t errlen);

/* Find an option by its exact long name / short letter; NULL if none. */
const struct conf_option *conf_find_long(const struct conf_parser *p, const char *name,
					 size_t namelen);
const struct conf_option *conf_find_short(const struct conf_parser *p, char c);
/*
 * The command line's lookup: the exact long name, else the only option whose
 * long name starts with name. 0, or -EINVAL (unknown or ambiguous, message
 * in err).
 */
int conf_match_long(struct conf_parser *p, const char *name, size_t namelen,
		    const struct conf_option **ret);

/*
 * Apply one option. value may be NULL only for CONF_FLAG. where (may be
 * NULL) prefixes the error message. 0, -EINVAL, -ENOMEM.
 */
int conf_parser_set(struct conf_parser *p, const struct conf_option *o, const char *value,
		    const char *where);

/*
 * One line of a file (without its newline; a trailing '\r' is ignored).
 * file and lineno only label errors. "@FILE" lines include files unless
 * no_include. 0, -EINVAL, -ENOMEM, -errno (include).
 */
int conf_parser_line(struct conf_parser *p, const char *file, unsigned lineno, const char *line);

/*
 * Every line of a buffer (which need not be NUL-terminated). A NUL byte or
 * a line longer than CONF_MAX_LINE is an error.
 */
int conf_parser_buffer(struct conf_parser *p, const char *file, const char *buf, size_t len);

/* Read path (at most 1 MiB) and feed it to conf_parser_buffer(). */
int conf_parser_file(struct conf_parser *p, const char *path);

/*
 * Process argv[1..argc-1]. Arguments that are not options are an error
 * (re6stnet and re6st-registry take none) unless stop_at_argument; optind
 * is then set. 0, -EINVAL, -ENOMEM, -errno (@FILE).
 */
int conf_parser_argv(struct conf_parser *p, int argc, char *const argv[]);

/*
 * Print "  -s, --state DIR   help" lines for every option with help text,
 * wrapping help at 80 columns.
 */
void conf_print_help(FILE *f, const struct conf_option *opts, size_t n_opts);

#endif
