/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "armour.h"

#include <errno.h>
#include <sodium.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"

#define LINE_CHARS 64
#define DASHES "-----"

/* Scratch buffers may hold secret key material: wiped before free. */
struct wiped {
	void *p;
	size_t n;
};

static void wiped_freep(struct wiped *w)
{
	if (w->p) {
		sodium_memzero(w->p, w->n);
		free(w->p);
	}
}

static const char *const labels[_ARMOUR_LABEL_MAX] = {
	[ARMOUR_CERTIFICATE] = "RE6ST CERTIFICATE",
	[ARMOUR_CA] = "RE6ST CA",
	[ARMOUR_SECRET_KEY] = "RE6ST SECRET KEY",
	[ARMOUR_NETWORK_CONFIG] = "RE6ST NETWORK CONFIG",
	[ARMOUR_SEALED] = "RE6ST SEALED",
};

const char *armour_label_name(enum armour_label label)
{
	if ((unsigned)label >= _ARMOUR_LABEL_MAX)
		return NULL;
	return labels[label];
}

int armour_encode(enum armour_label label, const uint8_t *data, size_t len, char **ret)
{
	const char *name = armour_label_name(label);
	size_t b64len, lines, total, pos = 0;
	_cleanup_(wiped_freep) struct wiped w = { NULL, 0 };
	_cleanup_free_ char *out = NULL;
	char *b64;

	if (!name || len > ARMOUR_MAX_PAYLOAD)
		return -EINVAL;
	b64len = sodium_base64_ENCODED_LEN(len, sodium_base64_VARIANT_ORIGINAL);
	b64 = w.p = malloc(b64len);
	if (!b64)
		return -ENOMEM;
	w.n = b64len;
	sodium_bin2base64(b64, b64len, data, len, sodium_base64_VARIANT_ORIGINAL);
	b64len = strlen(b64);
	lines = (b64len + LINE_CHARS - 1) / LINE_CHARS;
	total = 2 * (strlen(name) + 32) + b64len + lines + 1;
	out = malloc(total);
	if (!out)
		return -ENOMEM;
	pos += (size_t)snprintf(out + pos, total - pos, DASHES "BEGIN %s" DASHES "\n", name);
	for (size_t i = 0; i < b64len; i += LINE_CHARS) {
		size_t n = MIN((size_t)LINE_CHARS, b64len - i);
		memcpy(out + pos, b64 + i, n);
		pos += n;
		out[pos++] = '\n';
	}
	snprintf(out + pos, total - pos, DASHES "END %s" DASHES "\n", name);
	*ret = TAKE_PTR(out);
	return 0;
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static bool is_b64(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '+' || c == '/' || c == '=';
}

/* Cut the next line out of [*p, end): returns its length without "\n" or
 * "\r\n"; *has_eol tells whether it ended with a newline. */
static size_t next_line(const char **p, const char *end, const char **ret_line, bool *has_eol)
{
	const char *s = *p, *nl = memchr(s, '\n', (size_t)(end - s));
	size_t n;
	if (nl) {
		n = (size_t)(nl - s);
		*p = nl + 1;
		*has_eol = true;
		if (n > 0 && s[n - 1] == '\r')
			n--;
	} else {
		n = (size_t)(end - s);
		*p = end;
		*has_eol = false;
	}
	*ret_line = s;
	return n;
}

/* If line is "-----<word> LABEL-----", return the label index, -EBADMSG if
 * it is of that form with an unknown label, -ENOENT if not of that form. */
static int match_marker(const char *line, size_t n, const char *word)
{
	size_t wl = strlen(word), dl = strlen(DASHES);
	if (n < 2 * dl + wl + 1 || memcmp(line, DASHES, dl) != 0 ||
	    memcmp(line + dl, word, wl) != 0 || line[dl + wl] != ' ' ||
	    memcmp(line + n - dl, DASHES, dl) != 0)
		return -ENOENT;
	line += dl + wl + 1;
	n -= 2 * dl + wl + 1;
	for (unsigned i = 0; i < _ARMOUR_LABEL_MAX; i++)
		if (strlen(labels[i]) == n && memcmp(labels[i], line, n) == 0)
			return (int)i;
	return -EBADMSG;
}

int armour_peek_label(const char *text, size_t len, enum armour_label *ret)
{
	const char *p = text, *end = text + len, *line;
	bool eol;
	size_t n;
	int r;

	while (p < end && is_space(*p))
		p++;
	n = next_line(&p, end, &line, &eol);
	r = match_marker(line, n, "BEGIN");
	if (r < 0)
		return -EBADMSG;
	*ret = (enum armour_label)r;
	return 0;
}

int armour_decode(enum armour_label label, const char *text, size_t len,
		  uint8_t **ret_data, size_t *ret_len)
{
	const char *p = text, *end = text + len, *line;
	_cleanup_(wiped_freep) struct wiped w = { NULL, 0 };
	_cleanup_free_ uint8_t *bin = NULL;
	char *b64;
	size_t n, b64len = 0, binlen = 0, maxbin;
	bool eol, last_short = false;
	int r;

	if ((unsigned)label >= _ARMOUR_LABEL_MAX)
		return -EINVAL;
	/* Base64 costs 4/3; "\r\n" line ends add 1/24 of the payload; markers a few dozen bytes. */
	if (len > ARMOUR_MAX_PAYLOAD / 3 * 4 + ARMOUR_MAX_PAYLOAD / 16 + 4096)
		return -EFBIG;

	while (p < end && is_space(*p))
		p++;
	n = next_line(&p, end, &line, &eol);
	r = match_marker(line, n, "BEGIN");
	if (r == -ENOENT)
		return -EBADMSG;
	if (r < 0)
		return r;
	if (r != (int)label)
		return -EMEDIUMTYPE;
	if (!eol)
		return -EBADMSG;

	b64 = w.p = malloc(len + 1);
	if (!b64)
		return -ENOMEM;
	w.n = len + 1;
	for (;;) {
		if (p >= end)
			return -EBADMSG; /* no END line */
		n = next_line(&p, end, &line, &eol);
		if (n > 0 && line[0] == '-') {
			r = match_marker(line, n, "END");
			if (r != (int)label)
				return -EBADMSG;
			break;
		}
		/* Only the last base64 line may be shorter than 64. */
		if (!eol || n == 0 || n > LINE_CHARS || last_short)
			return -EBADMSG;
		for (size_t i = 0; i < n; i++)
			if (!is_b64(line[i]))
				return -EBADMSG;
		last_short = n < LINE_CHARS;
		memcpy(b64 + b64len, line, n);
		b64len += n;
	}
	while (p < end)
		if (!is_space(*p++))
			return -EBADMSG;

	if (b64len % 4 != 0)
		return -EBADMSG;
	maxbin = b64len / 4 * 3;
	if (maxbin > ARMOUR_MAX_PAYLOAD + 2)
		return -EFBIG;
	bin = malloc(maxbin + 1);
	if (!bin)
		return -ENOMEM;
	if (b64len > 0) {
		const char *b64end = NULL;
		/* libsodium rejects non-zero padding bits and misplaced '='. */
		if (sodium_base642bin(bin, maxbin, b64, b64len, NULL, &binlen, &b64end,
				      sodium_base64_VARIANT_ORIGINAL) != 0 ||
		    b64end != b64 + b64len) {
			sodium_memzero(bin, maxbin + 1);
			return -EBADMSG;
		}
	}
	if (binlen > ARMOUR_MAX_PAYLOAD)
		return -EFBIG;
	*ret_data = TAKE_PTR(bin);
	*ret_len = binlen;
	return 0;
}
