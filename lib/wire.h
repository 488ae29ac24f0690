/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * wire.h - big-endian integer access for the project's binary encodings.
 */
#ifndef RE6ST_WIRE_H
#define RE6ST_WIRE_H

#include <stddef.h>
#include <stdint.h>

static inline void put_be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void put_be32(uint8_t *p, uint32_t v)
{
	for (int i = 3; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

static inline void put_be64(uint8_t *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

static inline uint16_t get_be16(const uint8_t *p)
{
	return (uint16_t)((p[0] << 8) | p[1]);
}

static inline uint32_t get_be32(const uint8_t *p)
{
	uint32_t v = 0;
	for (int i = 0; i < 4; i++)
		v = (v << 8) | p[i];
	return v;
}

static inline uint64_t get_be64(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v = (v << 8) | p[i];
	return v;
}

/* True when all n bytes are zero. */
static inline int all_zero(const uint8_t *p, size_t n)
{
	uint8_t acc = 0;
	for (size_t i = 0; i < n; i++)
		acc |= p[i];
	return acc == 0;
}

/*
 * True when all n characters belong to the base64 alphabet (standard with
 * '+' '/' and '=' padding, or URL-safe with '-' '_' and no padding).
 * libsodium 1.0.18's decoder maps bytes >= 0x80 to digits instead of
 * rejecting them, so every strict decoder checks the alphabet first.
 */
static inline int base64_alphabet_ok(const char *s, size_t n, int urlsafe)
{
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
			continue;
		if (urlsafe ? (c == '-' || c == '_') : (c == '+' || c == '/' || c == '='))
			continue;
		return 0;
	}
	return 1;
}

#endif
