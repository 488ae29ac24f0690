/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "prefix.h"

#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "macro.h"

static int bit_at(const uint8_t addr[16], unsigned i)
{
	return (addr[i / 8] >> (7 - i % 8)) & 1;
}

static void set_bit(uint8_t addr[16], unsigned i, int v)
{
	uint8_t m = (uint8_t)(1u << (7 - i % 8));
	if (v)
		addr[i / 8] |= m;
	else
		addr[i / 8] &= (uint8_t)~m;
}

int prefix_parse_address(const char *s, uint8_t ret_addr[16])
{
	/* inet_pton rejects whitespace, zone ids and anything trailing. */
	uint8_t a[16];
	if (!s || inet_pton(AF_INET6, s, a) != 1)
		return -EINVAL;
	memcpy(ret_addr, a, 16);
	return 0;
}

static int parse(const char *s, bool relaxed, struct re6st_prefix *ret)
{
	char buf[PREFIX_STRLEN];
	const char *slash;
	struct re6st_prefix p;
	size_t alen, llen;
	unsigned len = 0;

	if (!s)
		return -EINVAL;
	slash = strchr(s, '/');
	if (!slash)
		return -EINVAL;
	alen = (size_t)(slash - s);
	if (alen == 0 || alen >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, alen);
	buf[alen] = 0;
	if (inet_pton(AF_INET6, buf, p.addr) != 1)
		return -EINVAL;

	llen = strlen(slash + 1);
	if (llen == 0 || llen > 3 || (llen > 1 && slash[1] == '0'))
		return -EINVAL;
	for (size_t i = 0; i < llen; i++) {
		char c = slash[1 + i];
		if (c < '0' || c > '9')
			return -EINVAL;
		len = len * 10 + (unsigned)(c - '0');
	}
	if (len > 128)
		return -EINVAL;
	p.len = (uint8_t)len;
	if (relaxed)
		prefix_mask(&p);
	else if (!prefix_is_canonical(&p))
		return -EINVAL;
	*ret = p;
	return 0;
}

int prefix_parse(const char *s, struct re6st_prefix *ret)
{
	return parse(s, false, ret);
}

int prefix_parse_relaxed(const char *s, struct re6st_prefix *ret)
{
	return parse(s, true, ret);
}

char *prefix_format_address(const uint8_t addr[16], char buf[PREFIX_STRLEN])
{
	if (!inet_ntop(AF_INET6, addr, buf, PREFIX_STRLEN))
		strcpy(buf, "?");
	return buf;
}

char *prefix_format(const struct re6st_prefix *p, char buf[PREFIX_STRLEN])
{
	size_t n;
	prefix_format_address(p->addr, buf);
	n = strlen(buf);
	snprintf(buf + n, PREFIX_STRLEN - n, "/%u", (unsigned)p->len);
	return buf;
}

bool prefix_is_canonical(const struct re6st_prefix *p)
{
	if (p->len > 128)
		return false;
	for (unsigned i = p->len; i < 128; i++)
		if (bit_at(p->addr, i))
			return false;
	return true;
}

void prefix_mask(struct re6st_prefix *p)
{
	if (p->len > 128)
		p->len = 128;
	for (unsigned i = p->len; i < 128; i++)
		set_bit(p->addr, i, 0);
}

static bool same_leading_bits(const uint8_t a[16], const uint8_t b[16], unsigned n)
{
	unsigned full = n / 8, rest = n % 8;
	if (memcmp(a, b, full) != 0)
		return false;
	if (rest) {
		uint8_t m = (uint8_t)(0xff << (8 - rest));
		if ((a[full] & m) != (b[full] & m))
			return false;
	}
	return true;
}

bool prefix_contains(const struct re6st_prefix *outer, const struct re6st_prefix *inner)
{
	if (outer->len > 128 || inner->len > 128 || inner->len < outer->len)
		return false;
	return same_leading_bits(outer->addr, inner->addr, outer->len);
}

bool prefix_contains_address(const struct re6st_prefix *p, const uint8_t addr[16])
{
	if (p->len > 128)
		return false;
	return same_leading_bits(p->addr, addr, p->len);
}

bool prefix_overlaps(const struct re6st_prefix *a, const struct re6st_prefix *b)
{
	if (a->len > 128 || b->len > 128)
		return false;
	return same_leading_bits(a->addr, b->addr, MIN(a->len, b->len));
}

bool prefix_equal(const struct re6st_prefix *a, const struct re6st_prefix *b)
{
	return a->len == b->len && memcmp(a->addr, b->addr, 16) == 0;
}

int prefix_get_bits(const uint8_t addr[16], unsigned start, unsigned n, uint64_t *ret)
{
	uint64_t v = 0;
	if (n > 64 || start > 128 || n > 128 - start)
		return -EINVAL;
	for (unsigned i = 0; i < n; i++)
		v = (v << 1) | (uint64_t)bit_at(addr, start + i);
	*ret = v;
	return 0;
}

int prefix_set_bits(uint8_t addr[16], unsigned start, unsigned n, uint64_t value)
{
	if (n > 64 || start > 128 || n > 128 - start)
		return -EINVAL;
	if (n < 64 && (value >> n) != 0)
		return -EINVAL;
	for (unsigned i = 0; i < n; i++)
		set_bit(addr, start + i, (int)((value >> (n - 1 - i)) & 1));
	return 0;
}

int prefix_child(const struct re6st_prefix *parent, unsigned sublen, uint64_t index,
		 struct re6st_prefix *ret)
{
	struct re6st_prefix p;
	int r;
	if (parent->len > 128 || sublen > 128 || sublen < parent->len ||
	    sublen - parent->len > 64)
		return -EINVAL;
	p = *parent;
	prefix_mask(&p);
	r = prefix_set_bits(p.addr, p.len, sublen - p.len, index);
	if (r < 0)
		return r;
	p.len = (uint8_t)sublen;
	*ret = p;
	return 0;
}

int prefix_to_bit_string(const struct re6st_prefix *network, const struct re6st_prefix *p,
			 char buf[129])
{
	unsigned n = 0;
	if (!prefix_contains(network, p))
		return -EINVAL;
	for (unsigned i = network->len; i < p->len; i++)
		buf[n++] = bit_at(p->addr, i) ? '1' : '0';
	buf[n] = 0;
	return 0;
}

int prefix_from_bit_string(const struct re6st_prefix *network, const char *bits,
			   struct re6st_prefix *ret)
{
	struct re6st_prefix p;
	size_t n;
	if (network->len > 128 || !bits)
		return -EINVAL;
	n = strlen(bits);
	if (n > 128u - network->len)
		return -EINVAL;
	p = *network;
	prefix_mask(&p);
	for (size_t i = 0; i < n; i++) {
		if (bits[i] != '0' && bits[i] != '1')
			return -EINVAL;
		set_bit(p.addr, (unsigned)(network->len + i), bits[i] == '1');
	}
	p.len = (uint8_t)(network->len + n);
	*ret = p;
	return 0;
}
