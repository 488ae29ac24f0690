/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * armour.h - ASCII armour for identity files.
 *
 *   -----BEGIN RE6ST CERTIFICATE-----
 *   <standard base64 with padding, 64 characters per line, last line shorter>
 *   -----END RE6ST CERTIFICATE-----
 *
 * The decoder is strict: the BEGIN and END labels must be the expected one
 * and match, base64 lines are exactly 64 characters except the last (1..64),
 * the payload is canonical padded base64, nothing but whitespace may precede
 * BEGIN, and nothing but whitespace may follow END. Lines end in "\n" or
 * "\r\n". See docs/certificates.md.
 */
#ifndef RE6ST_ARMOUR_H
#define RE6ST_ARMOUR_H

#include <stddef.h>
#include <stdint.h>

enum armour_label {
	ARMOUR_CERTIFICATE,    /* "RE6ST CERTIFICATE" */
	ARMOUR_CA,             /* "RE6ST CA" */
	ARMOUR_SECRET_KEY,     /* "RE6ST SECRET KEY" */
	ARMOUR_NETWORK_CONFIG, /* "RE6ST NETWORK CONFIG" */
	ARMOUR_SEALED,         /* "RE6ST SEALED" (a sealed box, for transport) */
	_ARMOUR_LABEL_MAX,
};

/* Largest payload armour_decode() accepts (the armoured text may be ~4/3 of it). */
#define ARMOUR_MAX_PAYLOAD (4u * 1024 * 1024)

/* "RE6ST CERTIFICATE", ... or NULL for an out-of-range label. */
const char *armour_label_name(enum armour_label label);

/*
 * Armour len bytes of data. *ret is a NUL-terminated malloc'ed string ending
 * in "\n". -EINVAL bad label or len > ARMOUR_MAX_PAYLOAD, -ENOMEM.
 */
int armour_encode(enum armour_label label, const uint8_t *data, size_t len, char **ret);

/*
 * Decode text (len bytes, need not be NUL-terminated). On success *ret_data
 * is malloc'ed (caller frees; at least 1 byte allocated even for an empty
 * payload) and *ret_len its size.
 * Errors: -EMEDIUMTYPE well-formed armour with another label; -EFBIG payload
 * or text too large; -EBADMSG anything else malformed; -ENOMEM.
 */
int armour_decode(enum armour_label label, const char *text, size_t len,
		  uint8_t **ret_data, size_t *ret_len);

/*
 * Which label the text carries (only the BEGIN line is looked at).
 * -EBADMSG when there is no recognised BEGIN line.
 */
int armour_peek_label(const char *text, size_t len, enum armour_label *ret);

#endif
