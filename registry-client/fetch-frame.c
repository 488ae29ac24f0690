/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "fetch-frame.h"

#include <errno.h>
#include <string.h>
#include <strings.h>

#include "macro.h"

#define MAX_KEPT_HEADERS 4

/* Decimal digits only, no sign, at most max. */
static int parse_uint(const char *s, size_t n, unsigned long max, unsigned long *ret)
{
	unsigned long v = 0;

	if (n == 0 || n > 10)
		return -EBADMSG;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -EBADMSG;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	if (v > max)
		return -EBADMSG;
	*ret = v;
	return 0;
}

static bool printable(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 && s[i] != '\t')
			return false;
		else if ((unsigned char)s[i] == 0x7f)
			return false;
	return true;
}

/* The line at *pos (without its '\n'), at most max bytes; *pos moves past it. */
static int next_line(const char *buf, size_t len, size_t *pos, size_t max, const char **ret,
		     size_t *ret_len)
{
	size_t avail = len - *pos;
	const char *l = buf + *pos;
	const char *nl = memchr(l, '\n', MIN(avail, max + 1));

	if (!nl)
		return -EBADMSG;
	*ret = l;
	*ret_len = (size_t)(nl - l);
	*pos += *ret_len + 1;
	return 0;
}

static int parse_error(const char *l, size_t n, size_t rest, struct fetch_frame *f)
{
	const char *sp;
	unsigned long e;

	/* "ERROR <errno> <message>" and nothing after the line */
	if (rest != 0)
		return -EBADMSG;
	l += 6, n -= 6;
	sp = memchr(l, ' ', n);
	if (!sp || parse_uint(l, (size_t)(sp - l), 4095, &e) < 0 || e == 0)
		return -EBADMSG;
	n -= (size_t)(sp - l) + 1;
	l = sp + 1;
	if (n == 0 || n >= sizeof(f->message) || !printable(l, n))
		return -EBADMSG;
	f->failed = true;
	f->err = (int)e;
	memcpy(f->message, l, n);
	f->message[n] = '\0';
	return 0;
}

static int parse_header(const char *l, size_t n, const char *name, struct fetch_frame *f)
{
	const char *colon = memchr(l, ':', n);
	size_t nl, vl;
	const char *v;

	if (!colon || colon == l)
		return -EBADMSG;
	nl = (size_t)(colon - l);
	for (size_t i = 0; i < nl; i++)
		if (!((l[i] >= 'A' && l[i] <= 'Z') || (l[i] >= 'a' && l[i] <= 'z') ||
		      (l[i] >= '0' && l[i] <= '9') || l[i] == '-'))
			return -EBADMSG;
	v = colon + 1;
	vl = n - nl - 1;
	if (vl && *v == ' ')
		v++, vl--;
	if (!printable(v, vl))
		return -EBADMSG;
	if (!name || strlen(name) != nl || strncasecmp(l, name, nl) != 0)
		return 0;
	if (f->has_header || vl >= sizeof(f->header))
		return -EBADMSG;
	memcpy(f->header, v, vl);
	f->header[vl] = '\0';
	f->has_header = true;
	return 0;
}

int fetch_frame_parse(const char *buf, size_t len, const char *header_name,
		      struct fetch_frame *ret)
{
	struct fetch_frame f = {};
	unsigned long status, body_len;
	size_t pos = 0, n;
	const char *l, *sp;
	int r;

	if (!buf || len > FETCH_MAX_FRAME)
		return -EBADMSG;
	r = next_line(buf, len, &pos, 16 + FETCH_MAX_ERROR, &l, &n);
	if (r < 0)
		return r;
	if (n > 6 && memcmp(l, "ERROR ", 6) == 0) {
		r = parse_error(l, n, len - pos, &f);
		if (r < 0)
			return r;
		*ret = f;
		return 0;
	}
	/* "STATUS <code> <length>" */
	if (n <= 7 || memcmp(l, "STATUS ", 7) != 0)
		return -EBADMSG;
	l += 7, n -= 7;
	sp = memchr(l, ' ', n);
	if (!sp || parse_uint(l, (size_t)(sp - l), 599, &status) < 0 || status < 100 ||
	    parse_uint(sp + 1, n - (size_t)(sp - l) - 1, FETCH_MAX_BODY, &body_len) < 0)
		return -EBADMSG;
	for (unsigned i = 0;; i++) {
		r = next_line(buf, len, &pos, FETCH_MAX_HEADER, &l, &n);
		if (r < 0)
			return r;
		if (n == 0)
			break;
		if (i == MAX_KEPT_HEADERS)
			return -EBADMSG;
		r = parse_header(l, n, header_name, &f);
		if (r < 0)
			return r;
	}
	if (len - pos != body_len)
		return -EBADMSG;
	f.status = (unsigned)status;
	f.body = buf + pos;
	f.body_len = body_len;
	*ret = f;
	return 0;
}
