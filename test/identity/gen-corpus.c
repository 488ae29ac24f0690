/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Writes the seed corpora of the identity fuzz targets under DIR/<target>/
 * (run: gen-identity-corpus test/fuzz/corpus). Documents are signed by the
 * deterministic network of fuzz-common.h so the fuzzers start from valid
 * input.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "armour.h"
#include "fileio.h"
#include "fuzz-common.h"
#include "netconf.h"
#include "reqsign.h"

static const char *root;

static void put(const char *target, const char *name, const void *data, size_t len)
{
	char path[4096];
	int r;
	snprintf(path, sizeof(path), "%s/%s", root, target);
	if (mkdir(path, 0755) < 0 && errno != EEXIST) {
		perror(path);
		exit(1);
	}
	snprintf(path, sizeof(path), "%s/%s/%s", root, target, name);
	r = write_file_atomic(path, data, len, 0644);
	if (r < 0) {
		fprintf(stderr, "%s: %s\n", path, strerror(-r));
		exit(1);
	}
}

static void put_str(const char *target, const char *name, const char *s)
{
	put(target, name, s, strlen(s));
}

/* Armour corpus entries start with the label byte. */
static void put_armour(const char *name, enum armour_label l, const char *text)
{
	size_t n = strlen(text);
	char *b = malloc(n + 1);
	if (!b)
		exit(1);
	b[0] = (char)l;
	memcpy(b + 1, text, n);
	put("armour", name, b, n + 1);
	free(b);
}

static void make_cert(const struct re6st_ca *ca, const struct re6st_key *cakey, uint8_t seed,
		      const char *node, uint64_t nb, uint64_t na, struct re6st_cert *ret)
{
	struct re6st_key *k = fuzz_key(seed, true);
	struct re6st_cert c = { 0 };
	if (prefix_parse(node, &c.node) < 0)
		abort();
	c.subject_serial = seed;
	memcpy(c.sign_pk, k->sign_pk, 32);
	memcpy(c.wg_pk, k->wg_pk, 32);
	c.serial = 1000 + seed;
	c.not_before = nb;
	c.not_after = na;
	if (cert_sign(&c, ca, cakey) < 0)
		abort();
	key_free(k);
	*ret = c;
}

int main(int argc, char **argv)
{
	struct re6st_ca ca, other;
	struct re6st_key *cakey, *okey = fuzz_key(2, false), *node = fuzz_key(9, true);
	struct re6st_cert c;
	struct re6st_prefix p;
	uint8_t bin[CERT_SIZE], cabin[CA_SIZE];
	char *text = NULL, fp[RE6ST_FP_HEXLEN], name[64];

	if (argc != 2) {
		fprintf(stderr, "usage: %s CORPUS-DIR\n", argv[0]);
		return 2;
	}
	root = argv[1];
	fuzz_network(&ca, &cakey);
	if (prefix_parse("2001:db8::/32", &p) < 0 || ca_create(&p, okey, FUZZ_NOW, &other) < 0)
		abort();

	/* Certificates. */
	make_cert(&ca, cakey, 9, "2001:db8:1::/48", FUZZ_NOW - 10, FUZZ_NOW + 86400, &c);
	cert_encode(&c, bin);
	put("cert", "valid.bin", bin, sizeof(bin));
	cert_to_armour(&c, &text);
	put_str("cert", "valid.armour", text);
	put_armour("cert", ARMOUR_CERTIFICATE, text);
	free(text);
	put("cert", "truncated.bin", bin, sizeof(bin) - 1);
	{
		char b[CERT_B64LEN];
		put_str("cert", "valid.b64", cert_to_base64(&c, b));
	}
	make_cert(&ca, cakey, 10, "2001:db8:ff00::/40", FUZZ_NOW - 100, FUZZ_NOW - 1, &c);
	cert_encode(&c, bin);
	put("cert", "expired.bin", bin, sizeof(bin));
	make_cert(&ca, cakey, 11, "2001:db8:1:2::/64", FUZZ_NOW + 10, FUZZ_NOW + 100, &c);
	cert_encode(&c, bin);
	put("cert", "future.bin", bin, sizeof(bin));
	make_cert(&other, okey, 12, "2001:db8:7::/48", FUZZ_NOW - 10, FUZZ_NOW + 100, &c);
	cert_encode(&c, bin);
	put("cert", "foreign.bin", bin, sizeof(bin));
	bin[47] = 1;
	put("cert", "hostbits.bin", bin, sizeof(bin));
	put_str("cert", "garbage.armour",
		"-----BEGIN RE6ST CERTIFICATE-----\nAAEC\n-----END RE6ST CERTIFICATE-----\n");

	/* CA. */
	ca_encode(&ca, cabin);
	put("ca", "valid.bin", cabin, sizeof(cabin));
	ca_to_armour(&ca, &text);
	put_str("ca", "valid.armour", text);
	put_armour("ca", ARMOUR_CA, text);
	free(text);
	ca_encode(&other, cabin);
	put("ca", "other.bin", cabin, sizeof(cabin));
	cabin[100] ^= 1;
	put("ca", "badsig.bin", cabin, sizeof(cabin));
	ca_fingerprint_hex(&ca, fp);
	put_str("ca", "fingerprint", fp);
	put_str("ca", "fingerprint-short", "0123456789abcdef");
	put_str("ca", "fingerprint-colons", "01:23:45:67:89:ab:cd:ef:01:23:45:67:89:ab:cd:ef");

	/* Network configuration. */
	{
		struct re6st_netconf *nc = NULL;
		uint8_t *enc = NULL;
		size_t len = 0;
		if (netconf_new(&nc) < 0)
			abort();
		nc->version = 1;
		nc->issued = FUZZ_NOW;
		if (netconf_encode(nc, &ca, cakey, &enc, &len) < 0)
			abort();
		put("netconf", "minimal.bin", enc, len);
		free(enc);
		nc->version = 7;
		nc->anonymous_prefix_len = 24;
		nc->tunnel_types = TUNNEL_ALL;
		nc->has_ipv4 = true;
		nc->ipv4_net[0] = 10;
		nc->ipv4_len = 8;
		nc->ipv4_sublen = 16;
		nc->has_registry_prefix = true;
		prefix_parse("2001:db8::/48", &nc->registry_prefix);
		netconf_set_string(&nc->same_country, "FR,DE");
		netconf_set_string(&nc->registry_url, "http://[2001:db8::1]/");
		netconf_set_string(&nc->babel_default, "max-rtt-penalty 5000 rtt-max 500");
		for (unsigned i = 1; i <= 4; i++) {
			struct re6st_prefix rp;
			prefix_child(&ca.network, 48, i, &rp);
			netconf_add_revoked(nc, i * 10, FUZZ_NOW + i, &rp);
		}
		if (netconf_encode(nc, &ca, cakey, &enc, &len) < 0)
			abort();
		put("netconf", "full.bin", enc, len);
		netconf_to_armour(enc, len, &text);
		put_str("netconf", "full.armour", text);
		put_armour("netconf", ARMOUR_NETWORK_CONFIG, text);
		free(text);
		free(enc);
		if (netconf_encode(nc, &other, okey, &enc, &len) < 0)
			abort();
		put("netconf", "foreign.bin", enc, len);
		free(enc);
		netconf_free(nc);
	}

	/* Armour. */
	{
		uint8_t raw[100];
		for (unsigned i = 0; i < sizeof(raw); i++)
			raw[i] = (uint8_t)(i * 37);
		armour_encode(ARMOUR_SEALED, raw, sizeof(raw), &text);
		put_armour("sealed", ARMOUR_SEALED, text);
		put_armour("sealed-wrong-label", ARMOUR_CA, text);
		free(text);
		key_to_armour(node, &text);
		put_armour("secret-key", ARMOUR_SECRET_KEY, text);
		free(text);
		put_armour("crlf", ARMOUR_CA,
			   "\r\n-----BEGIN RE6ST CA-----\r\nAAEC\r\n-----END RE6ST CA-----\r\n");
		put_armour("empty", ARMOUR_CA, "-----BEGIN RE6ST CA-----\n-----END RE6ST CA-----\n");
	}

	/* Prefixes. */
	{
		const char *ps[] = { "2001:db8::/32", "2001:db8:1234::/48", "::/0", "::1/128",
				     "fe80::/10", "2001:db8::1/32", "1010011", "",
				     "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128", "2001:db8::/033" };
		for (unsigned i = 0; i < sizeof(ps) / sizeof(*ps); i++) {
			snprintf(name, sizeof(name), "p%u", i);
			put_str("prefix", name, ps[i]);
		}
	}

	/* Request signatures. */
	{
		struct reqsig s;
		char h[REQSIGN_STRLEN], sb[SIG_STRLEN];
		make_cert(&ca, cakey, 9, "2001:db8:1::/48", FUZZ_NOW - 10, FUZZ_NOW + 86400, &c);
		if (reqsign_sign(node, &c, "renewCertificate", (const uint8_t *)"x", 1, FUZZ_NOW,
				 &s) < 0)
			abort();
		put_str("reqsig", "header", reqsig_format(&s, h));
		put_str("reqsig", "signature", sig_to_string(s.signature, sb));
		s.timestamp = 0;
		put_str("reqsig", "header-ts0", reqsig_format(&s, h));
	}

	key_free(cakey);
	key_free(okey);
	key_free(node);
	return 0;
}
