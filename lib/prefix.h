/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * prefix.h - IPv6 prefixes: parse, format, containment, bit access.
 *
 * A prefix is 16 address bytes plus a length in bits (0..128). A prefix is
 * "canonical" when every bit after the length is zero; certificates and the
 * network configuration only ever carry canonical prefixes.
 *
 * Bits are numbered from the most significant bit of addr[0] (bit 0) to the
 * least significant bit of addr[15] (bit 127), i.e. the order in which they
 * appear in the textual address. The registry's allocator stores prefixes as
 * strings of '0'/'1' relative to the network prefix, like the original
 * re6stnet; prefix_to_bit_string()/prefix_from_bit_string() convert.
 */
#ifndef RE6ST_PREFIX_H
#define RE6ST_PREFIX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct re6st_prefix {
	uint8_t addr[16];
	uint8_t len; /* 0..128 */
};

/* "ffff:...:ffff/128" plus NUL fits. */
#define PREFIX_STRLEN 50

/*
 * Parse "2001:db8::/48". A missing "/len" is an error. Host bits beyond the
 * length must be zero. Returns 0, or -EINVAL for anything else (empty,
 * garbage, len > 128, leading zeros in or sign before the length, host bits
 * set, surrounding whitespace).
 */
int prefix_parse(const char *s, struct re6st_prefix *ret);

/* Like prefix_parse() but clears host bits instead of rejecting them. */
int prefix_parse_relaxed(const char *s, struct re6st_prefix *ret);

/* Parse an address without length: "2001:db8::1" -> len 128. 0 or -EINVAL. */
int prefix_parse_address(const char *s, uint8_t ret_addr[16]);

/* Format "addr/len" into buf (compressed RFC 5952 form); returns buf. */
char *prefix_format(const struct re6st_prefix *p, char buf[PREFIX_STRLEN]);
/* Format the address alone; buf of at least 46 bytes; returns buf. */
char *prefix_format_address(const uint8_t addr[16], char buf[PREFIX_STRLEN]);

/* True when len <= 128 and no bit after len is set. */
bool prefix_is_canonical(const struct re6st_prefix *p);
/* Clear bits after len (len clamped to 128). */
void prefix_mask(struct re6st_prefix *p);
/* True when inner lies inside outer (inner->len >= outer->len, same leading bits). */
bool prefix_contains(const struct re6st_prefix *outer, const struct re6st_prefix *inner);
/* True when the address lies inside p. */
bool prefix_contains_address(const struct re6st_prefix *p, const uint8_t addr[16]);
/* True when the two prefixes share any address. */
bool prefix_overlaps(const struct re6st_prefix *a, const struct re6st_prefix *b);
/* Same address bytes and same length. */
bool prefix_equal(const struct re6st_prefix *a, const struct re6st_prefix *b);

/*
 * Read n (0..64) bits starting at bit `start` as an unsigned integer, most
 * significant first. -EINVAL if n > 64 or start + n > 128.
 */
int prefix_get_bits(const uint8_t addr[16], unsigned start, unsigned n, uint64_t *ret);
/*
 * Write the n (0..64) low bits of value at bit `start`. -EINVAL if n > 64,
 * start + n > 128, or value does not fit in n bits. addr untouched on error.
 */
int prefix_set_bits(uint8_t addr[16], unsigned start, unsigned n, uint64_t value);

/*
 * The index-th sub-prefix of length sublen inside parent: parent's bits,
 * then index on (sublen - parent->len) bits. -EINVAL if sublen < parent->len,
 * sublen > 128, sublen - parent->len > 64, or index does not fit.
 */
int prefix_child(const struct re6st_prefix *parent, unsigned sublen, uint64_t index,
		 struct re6st_prefix *ret);

/*
 * The bits of p after those of network, as a string of '0'/'1' of length
 * p->len - network->len (may be empty), NUL-terminated in buf (129 bytes).
 * -EINVAL if p is not inside network.
 */
int prefix_to_bit_string(const struct re6st_prefix *network, const struct re6st_prefix *p,
			 char buf[129]);
/*
 * network followed by the '0'/'1' bits; -EINVAL on another character or if
 * the result would exceed 128 bits.
 */
int prefix_from_bit_string(const struct re6st_prefix *network, const char *bits,
			   struct re6st_prefix *ret);

#endif
