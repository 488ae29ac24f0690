/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "identity.h"

#include <errno.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "armour.h"
#include "fileio.h"
#include "wire.h"

#define FORMAT_VERSION 1
#define MAX_FILE (64 * 1024)

/* Byte offsets; docs/certificates.md has the same tables. */
enum {
	KEY_MAGIC = 0, KEY_VERSION = 4, KEY_FLAGS = 5, KEY_RESERVED = 6, KEY_SEED = 8,
	KEY_WG = 40,
};
enum {
	CA_MAGIC = 0, CA_VERSION = 4, CA_RESERVED1 = 5, CA_NET = 8, CA_NETLEN = 24,
	CA_RESERVED2 = 25, CA_PK = 32, CA_CREATED = 64, CA_SIG = 72,
};
enum {
	CERT_MAGIC = 0, CERT_VERSION = 4, CERT_RESERVED1 = 5, CERT_NET = 8, CERT_NETLEN = 24,
	CERT_NODELEN = 25, CERT_RESERVED2 = 26, CERT_SUBJECT = 28, CERT_NODE = 32,
	CERT_CAFP = 48, CERT_SIGNPK = 64, CERT_WGPK = 96, CERT_SERIAL = 128,
	CERT_NOT_BEFORE = 136, CERT_NOT_AFTER = 144, CERT_SIG = 152,
};

_Static_assert(KEY_WG + 32 == SECRET_KEY_SIZE, "secret key layout");
_Static_assert(CA_SIG + RE6ST_SIG_LEN == CA_SIZE, "CA layout");
_Static_assert(CERT_SIG + RE6ST_SIG_LEN == CERT_SIZE, "certificate layout");
_Static_assert(RE6ST_SIGN_PK_LEN == crypto_sign_PUBLICKEYBYTES, "sign pk");
_Static_assert(RE6ST_SIGN_SK_LEN == crypto_sign_SECRETKEYBYTES, "sign sk");
_Static_assert(RE6ST_SIG_LEN == crypto_sign_BYTES, "sig");
_Static_assert(SEAL_OVERHEAD == crypto_box_SEALBYTES, "seal");

int identity_init(void)
{
	return sodium_init() < 0 ? -EIO : 0;
}

const char *identity_strerror(int err)
{
	switch (err) {
	case 0:
		return "success";
	case -EBADMSG:
		return "malformed (wrong size, format or field)";
	case -EKEYREJECTED:
		return "signature or fingerprint does not match";
	case -EKEYEXPIRED:
		return "certificate expired or not yet valid";
	case -EXDEV:
		return "belongs to another network (CA)";
	case -EKEYREVOKED:
		return "certificate revoked";
	case -EMEDIUMTYPE:
		return "wrong kind of file (armour label)";
	case -EFBIG:
		return "input too large";
	case -ETIME:
		return "timestamp outside the accepted window";
	default:
		return strerror(err < 0 ? -err : err);
	}
}

/* ---- Secret keys ------------------------------------------------------- */

static void wg_clamp(uint8_t k[32])
{
	k[0] &= 248;
	k[31] &= 127;
	k[31] |= 64;
}

static bool wg_is_clamped(const uint8_t k[32])
{
	return (k[0] & 7) == 0 && (k[31] & 0xc0) == 0x40;
}

static int key_from_parts(const uint8_t seed[32], const uint8_t *wg_sk, struct re6st_key **ret)
{
	struct re6st_key *k;

	if (sodium_init() < 0)
		return -EIO;
	k = calloc(1, sizeof(*k));
	if (!k)
		return -ENOMEM;
	crypto_sign_seed_keypair(k->sign_pk, k->sign_sk, seed);
	if (wg_sk) {
		memcpy(k->wg_sk, wg_sk, 32);
		wg_clamp(k->wg_sk);
		if (crypto_scalarmult_base(k->wg_pk, k->wg_sk) != 0) {
			key_free(k);
			return -EIO;
		}
		k->has_wg = true;
	}
	*ret = k;
	return 0;
}

int key_generate(bool with_wg, struct re6st_key **ret)
{
	uint8_t seed[32], wg[32];
	int r;

	if (sodium_init() < 0)
		return -EIO;
	randombytes_buf(seed, sizeof(seed));
	randombytes_buf(wg, sizeof(wg));
	r = key_from_parts(seed, with_wg ? wg : NULL, ret);
	sodium_memzero(seed, sizeof(seed));
	sodium_memzero(wg, sizeof(wg));
	return r;
}

void key_free(struct re6st_key *k)
{
	if (!k)
		return;
	sodium_memzero(k, sizeof(*k));
	free(k);
}

void key_encode(const struct re6st_key *k, uint8_t out[SECRET_KEY_SIZE])
{
	memset(out, 0, SECRET_KEY_SIZE);
	memcpy(out + KEY_MAGIC, "R6SK", 4);
	out[KEY_VERSION] = FORMAT_VERSION;
	out[KEY_FLAGS] = k->has_wg ? 1 : 0;
	/* libsodium's secret key is seed || pk: the seed is enough. */
	memcpy(out + KEY_SEED, k->sign_sk, 32);
	if (k->has_wg)
		memcpy(out + KEY_WG, k->wg_sk, 32);
}

int key_decode(const uint8_t *buf, size_t len, struct re6st_key **ret)
{
	bool has_wg;

	if (len != SECRET_KEY_SIZE || memcmp(buf + KEY_MAGIC, "R6SK", 4) != 0 ||
	    buf[KEY_VERSION] != FORMAT_VERSION || (buf[KEY_FLAGS] & ~1u) != 0 ||
	    !all_zero(buf + KEY_RESERVED, 2))
		return -EBADMSG;
	has_wg = buf[KEY_FLAGS] & 1;
	if (has_wg ? !wg_is_clamped(buf + KEY_WG) : !all_zero(buf + KEY_WG, 32))
		return -EBADMSG;
	return key_from_parts(buf + KEY_SEED, has_wg ? buf + KEY_WG : NULL, ret);
}

int key_to_armour(const struct re6st_key *k, char **ret)
{
	uint8_t bin[SECRET_KEY_SIZE];
	int r;
	key_encode(k, bin);
	r = armour_encode(ARMOUR_SECRET_KEY, bin, sizeof(bin), ret);
	sodium_memzero(bin, sizeof(bin));
	return r;
}

int key_from_armour(const char *text, size_t len, struct re6st_key **ret)
{
	uint8_t *bin = NULL;
	size_t binlen = 0;
	int r = armour_decode(ARMOUR_SECRET_KEY, text, len, &bin, &binlen);
	if (r < 0)
		return r;
	r = key_decode(bin, binlen, ret);
	sodium_memzero(bin, binlen);
	free(bin);
	return r;
}

static void wipe_string(char *s, size_t len)
{
	if (s) {
		sodium_memzero(s, len);
		free(s);
	}
}

int key_save(const struct re6st_key *k, const char *path)
{
	char *text = NULL;
	int r = key_to_armour(k, &text);
	if (r < 0)
		return r;
	r = write_file_atomic(path, text, strlen(text), 0600);
	wipe_string(text, strlen(text));
	return r;
}

int key_load(const char *path, struct re6st_key **ret)
{
	char *text = NULL;
	size_t len = 0;
	int r = read_file_full(path, MAX_FILE, &text, &len);
	if (r < 0)
		return r;
	r = key_from_armour(text, len, ret);
	wipe_string(text, len);
	return r;
}

int key_file_check_private(const char *path)
{
	struct stat st;
	if (stat(path, &st) < 0)
		return negative_errno();
	if (!S_ISREG(st.st_mode))
		return -EINVAL;
	return (st.st_mode & 077) ? -EPERM : 0;
}

char *key32_to_base64(const uint8_t key[32], char buf[RE6ST_KEY_B64LEN])
{
	sodium_bin2base64(buf, RE6ST_KEY_B64LEN, key, 32, sodium_base64_VARIANT_ORIGINAL);
	return buf;
}

int key32_from_base64(const char *s, uint8_t ret[32])
{
	uint8_t tmp[33];
	size_t n = 0;
	const char *end = NULL;
	if (!s || strlen(s) != 44 || !base64_alphabet_ok(s, 44, 0))
		return -EINVAL;
	if (sodium_base642bin(tmp, sizeof(tmp), s, 44, NULL, &n, &end,
			      sodium_base64_VARIANT_ORIGINAL) != 0 ||
	    end != s + 44 || n != 32)
		return -EINVAL;
	memcpy(ret, tmp, 32);
	sodium_memzero(tmp, sizeof(tmp));
	return 0;
}

/* ---- Shared helpers ---------------------------------------------------- */

/* A network prefix must leave room for node bits. */
static bool network_ok(const struct re6st_prefix *p)
{
	return p->len >= 1 && p->len <= 120 && prefix_is_canonical(p);
}

static void put_prefix_addr(uint8_t *out, const struct re6st_prefix *p)
{
	memcpy(out, p->addr, 16);
}

static int read_file_armour(const char *path, char **ret, size_t *ret_len)
{
	return read_file_full(path, MAX_FILE, ret, ret_len);
}

static int save_armour(enum armour_label label, const uint8_t *bin, size_t len, const char *path)
{
	_cleanup_free_ char *text = NULL;
	int r = armour_encode(label, bin, len, &text);
	if (r < 0)
		return r;
	return write_file_atomic(path, text, strlen(text), 0644);
}

/* ---- CA ---------------------------------------------------------------- */

static void ca_encode_unsigned(const struct re6st_ca *ca, uint8_t out[CA_SIZE])
{
	memset(out, 0, CA_SIZE);
	memcpy(out + CA_MAGIC, "R6CA", 4);
	out[CA_VERSION] = FORMAT_VERSION;
	put_prefix_addr(out + CA_NET, &ca->network);
	out[CA_NETLEN] = ca->network.len;
	memcpy(out + CA_PK, ca->sign_pk, 32);
	put_be64(out + CA_CREATED, ca->created);
}

void ca_encode(const struct re6st_ca *ca, uint8_t out[CA_SIZE])
{
	ca_encode_unsigned(ca, out);
	memcpy(out + CA_SIG, ca->signature, RE6ST_SIG_LEN);
}

int ca_create(const struct re6st_prefix *network, const struct re6st_key *ca_key, uint64_t now,
	      struct re6st_ca *ret)
{
	struct re6st_ca ca = { 0 };
	uint8_t bin[CA_SIZE];
	uint8_t pk[32];

	if (sodium_init() < 0)
		return -EIO;
	if (!network_ok(network))
		return -EINVAL;
	/* Guard against a key whose public half was altered. */
	if (crypto_sign_ed25519_sk_to_pk(pk, ca_key->sign_sk) != 0 ||
	    memcmp(pk, ca_key->sign_pk, 32) != 0)
		return -EINVAL;
	ca.network = *network;
	memcpy(ca.sign_pk, ca_key->sign_pk, 32);
	ca.created = now;
	ca_encode_unsigned(&ca, bin);
	crypto_sign_detached(ca.signature, NULL, bin, CA_SIG, ca_key->sign_sk);
	memcpy(bin + CA_SIG, ca.signature, RE6ST_SIG_LEN);
	crypto_generichash(ca.fingerprint, RE6ST_FP_LEN, bin, CA_SIZE, NULL, 0);
	*ret = ca;
	return 0;
}

int ca_decode(const uint8_t *buf, size_t len, struct re6st_ca *ret)
{
	struct re6st_ca ca = { 0 };

	if (sodium_init() < 0)
		return -EIO;
	if (len != CA_SIZE || memcmp(buf + CA_MAGIC, "R6CA", 4) != 0 ||
	    buf[CA_VERSION] != FORMAT_VERSION || !all_zero(buf + CA_RESERVED1, 3) ||
	    !all_zero(buf + CA_RESERVED2, 7))
		return -EBADMSG;
	memcpy(ca.network.addr, buf + CA_NET, 16);
	ca.network.len = buf[CA_NETLEN];
	if (!network_ok(&ca.network))
		return -EBADMSG;
	memcpy(ca.sign_pk, buf + CA_PK, 32);
	ca.created = get_be64(buf + CA_CREATED);
	memcpy(ca.signature, buf + CA_SIG, RE6ST_SIG_LEN);
	if (crypto_sign_verify_detached(ca.signature, buf, CA_SIG, ca.sign_pk) != 0)
		return -EKEYREJECTED;
	crypto_generichash(ca.fingerprint, RE6ST_FP_LEN, buf, CA_SIZE, NULL, 0);
	*ret = ca;
	return 0;
}

int ca_to_armour(const struct re6st_ca *ca, char **ret)
{
	uint8_t bin[CA_SIZE];
	ca_encode(ca, bin);
	return armour_encode(ARMOUR_CA, bin, sizeof(bin), ret);
}

int ca_from_armour(const char *text, size_t len, struct re6st_ca *ret)
{
	_cleanup_free_ uint8_t *bin = NULL;
	size_t binlen = 0;
	int r = armour_decode(ARMOUR_CA, text, len, &bin, &binlen);
	if (r < 0)
		return r;
	return ca_decode(bin, binlen, ret);
}

int ca_save(const struct re6st_ca *ca, const char *path)
{
	uint8_t bin[CA_SIZE];
	ca_encode(ca, bin);
	return save_armour(ARMOUR_CA, bin, sizeof(bin), path);
}

int ca_load(const char *path, struct re6st_ca *ret)
{
	_cleanup_free_ char *text = NULL;
	size_t len = 0;
	int r = read_file_armour(path, &text, &len);
	if (r < 0)
		return r;
	return ca_from_armour(text, len, ret);
}

char *ca_fingerprint_hex(const struct re6st_ca *ca, char buf[RE6ST_FP_HEXLEN])
{
	sodium_bin2hex(buf, RE6ST_FP_HEXLEN, ca->fingerprint, RE6ST_FP_LEN);
	return buf;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int ca_fingerprint_check(const struct re6st_ca *ca, const char *hex)
{
	uint8_t want[RE6ST_FP_LEN];
	unsigned digits = 0;

	if (!hex)
		return -EINVAL;
	for (const char *p = hex; *p; p++) {
		int v;
		if (*p == ':')
			continue;
		v = hexval(*p);
		if (v < 0 || digits >= 2 * RE6ST_FP_LEN)
			return -EINVAL;
		if (digits % 2 == 0)
			want[digits / 2] = (uint8_t)(v << 4);
		else
			want[digits / 2] |= (uint8_t)v;
		digits++;
	}
	if (digits < RE6ST_FP_LEN || digits % 2 != 0)
		return -EINVAL;
	return memcmp(want, ca->fingerprint, digits / 2) == 0 ? 0 : -EKEYREJECTED;
}

bool ca_equal(const struct re6st_ca *a, const struct re6st_ca *b)
{
	return prefix_equal(&a->network, &b->network) && memcmp(a->sign_pk, b->sign_pk, 32) == 0;
}

/* ---- Certificates ------------------------------------------------------ */

static void cert_encode_unsigned(const struct re6st_cert *c, uint8_t out[CERT_SIZE])
{
	memset(out, 0, CERT_SIZE);
	memcpy(out + CERT_MAGIC, "R6CT", 4);
	out[CERT_VERSION] = FORMAT_VERSION;
	put_prefix_addr(out + CERT_NET, &c->network);
	out[CERT_NETLEN] = c->network.len;
	out[CERT_NODELEN] = c->node.len;
	put_be32(out + CERT_SUBJECT, c->subject_serial);
	put_prefix_addr(out + CERT_NODE, &c->node);
	memcpy(out + CERT_CAFP, c->ca_fingerprint, RE6ST_FP_LEN);
	memcpy(out + CERT_SIGNPK, c->sign_pk, 32);
	memcpy(out + CERT_WGPK, c->wg_pk, 32);
	put_be64(out + CERT_SERIAL, c->serial);
	put_be64(out + CERT_NOT_BEFORE, c->not_before);
	put_be64(out + CERT_NOT_AFTER, c->not_after);
}

void cert_encode(const struct re6st_cert *cert, uint8_t out[CERT_SIZE])
{
	cert_encode_unsigned(cert, out);
	memcpy(out + CERT_SIG, cert->signature, RE6ST_SIG_LEN);
}

static bool cert_fields_ok(const struct re6st_cert *c)
{
	return network_ok(&c->network) && prefix_is_canonical(&c->node) &&
	       c->node.len > c->network.len && prefix_contains(&c->network, &c->node) &&
	       c->not_before <= c->not_after;
}

int cert_sign(struct re6st_cert *cert, const struct re6st_ca *ca, const struct re6st_key *ca_key)
{
	uint8_t bin[CERT_SIZE];

	if (sodium_init() < 0)
		return -EIO;
	if (memcmp(ca->sign_pk, ca_key->sign_pk, 32) != 0)
		return -EINVAL;
	cert->network = ca->network;
	memcpy(cert->ca_fingerprint, ca->fingerprint, RE6ST_FP_LEN);
	if (!cert_fields_ok(cert) || cert->not_after == cert->not_before)
		return -EINVAL;
	cert_encode_unsigned(cert, bin);
	crypto_sign_detached(cert->signature, NULL, bin, CERT_SIG, ca_key->sign_sk);
	return 0;
}

int cert_decode(const uint8_t *buf, size_t len, struct re6st_cert *ret)
{
	struct re6st_cert c = { 0 };

	if (len != CERT_SIZE || memcmp(buf + CERT_MAGIC, "R6CT", 4) != 0 ||
	    buf[CERT_VERSION] != FORMAT_VERSION || !all_zero(buf + CERT_RESERVED1, 3) ||
	    !all_zero(buf + CERT_RESERVED2, 2))
		return -EBADMSG;
	memcpy(c.network.addr, buf + CERT_NET, 16);
	c.network.len = buf[CERT_NETLEN];
	memcpy(c.node.addr, buf + CERT_NODE, 16);
	c.node.len = buf[CERT_NODELEN];
	c.subject_serial = get_be32(buf + CERT_SUBJECT);
	memcpy(c.ca_fingerprint, buf + CERT_CAFP, RE6ST_FP_LEN);
	memcpy(c.sign_pk, buf + CERT_SIGNPK, 32);
	memcpy(c.wg_pk, buf + CERT_WGPK, 32);
	c.serial = get_be64(buf + CERT_SERIAL);
	c.not_before = get_be64(buf + CERT_NOT_BEFORE);
	c.not_after = get_be64(buf + CERT_NOT_AFTER);
	memcpy(c.signature, buf + CERT_SIG, RE6ST_SIG_LEN);
	if (!cert_fields_ok(&c))
		return -EBADMSG;
	*ret = c;
	return 0;
}

int cert_verify_signature(const struct re6st_cert *cert, const struct re6st_ca *ca)
{
	uint8_t bin[CERT_SIZE];

	if (sodium_init() < 0)
		return -EIO;
	if (!prefix_equal(&cert->network, &ca->network) ||
	    memcmp(cert->ca_fingerprint, ca->fingerprint, RE6ST_FP_LEN) != 0)
		return -EXDEV;
	cert_encode_unsigned(cert, bin);
	if (crypto_sign_verify_detached(cert->signature, bin, CERT_SIG, ca->sign_pk) != 0)
		return -EKEYREJECTED;
	return 0;
}

bool cert_renew_due(int64_t not_before, int64_t not_after, int64_t now)
{
	int64_t life;

	if (not_after <= not_before)
		return true;
	life = not_after - not_before;
	return now >= not_after - life / 3;
}

int cert_verify(const struct re6st_cert *cert, const struct re6st_ca *ca, uint64_t now)
{
	int r = cert_verify_signature(cert, ca);
	if (r < 0)
		return r;
	if (now < cert->not_before || now > cert->not_after)
		return -EKEYEXPIRED;
	return 0;
}

int cert_parse(const uint8_t *buf, size_t len, const struct re6st_ca *ca, uint64_t now,
	       struct re6st_cert *ret)
{
	struct re6st_cert c;
	int r = cert_decode(buf, len, &c);
	if (r < 0)
		return r;
	r = cert_verify(&c, ca, now);
	if (r < 0)
		return r;
	*ret = c;
	return 0;
}

int cert_to_armour(const struct re6st_cert *cert, char **ret)
{
	uint8_t bin[CERT_SIZE];
	cert_encode(cert, bin);
	return armour_encode(ARMOUR_CERTIFICATE, bin, sizeof(bin), ret);
}

int cert_from_armour_unverified(const char *text, size_t len, struct re6st_cert *ret)
{
	_cleanup_free_ uint8_t *bin = NULL;
	size_t binlen = 0;
	int r = armour_decode(ARMOUR_CERTIFICATE, text, len, &bin, &binlen);
	if (r < 0)
		return r;
	return cert_decode(bin, binlen, ret);
}

int cert_from_armour(const char *text, size_t len, const struct re6st_ca *ca, uint64_t now,
		     struct re6st_cert *ret)
{
	struct re6st_cert c;
	int r = cert_from_armour_unverified(text, len, &c);
	if (r < 0)
		return r;
	r = cert_verify(&c, ca, now);
	if (r < 0)
		return r;
	*ret = c;
	return 0;
}

char *cert_to_base64(const struct re6st_cert *cert, char buf[CERT_B64LEN])
{
	uint8_t bin[CERT_SIZE];
	cert_encode(cert, bin);
	sodium_bin2base64(buf, CERT_B64LEN, bin, sizeof(bin), sodium_base64_VARIANT_ORIGINAL);
	return buf;
}

int cert_from_base64(const char *s, size_t len, struct re6st_cert *ret)
{
	uint8_t bin[CERT_SIZE + 3];
	size_t n = 0;
	const char *end = NULL;

	if (len != CERT_B64LEN - 1 || !base64_alphabet_ok(s, len, 0))
		return -EBADMSG;
	if (sodium_base642bin(bin, sizeof(bin), s, len, NULL, &n, &end,
			      sodium_base64_VARIANT_ORIGINAL) != 0 ||
	    end != s + len)
		return -EBADMSG;
	return cert_decode(bin, n, ret);
}

int cert_save(const struct re6st_cert *cert, const char *path)
{
	uint8_t bin[CERT_SIZE];
	cert_encode(cert, bin);
	return save_armour(ARMOUR_CERTIFICATE, bin, sizeof(bin), path);
}

int cert_load(const char *path, const struct re6st_ca *ca, uint64_t now, struct re6st_cert *ret)
{
	_cleanup_free_ char *text = NULL;
	size_t len = 0;
	int r = read_file_armour(path, &text, &len);
	if (r < 0)
		return r;
	return cert_from_armour(text, len, ca, now, ret);
}

void cert_node_address(const struct re6st_cert *cert, uint8_t ret_addr[16])
{
	/* Like re6stnet: the node prefix padded with zeros then a final 1 bit. */
	memcpy(ret_addr, cert->node.addr, 16);
	if (cert->node.len < 128)
		ret_addr[15] |= 1;
}

bool cert_matches_key(const struct re6st_cert *cert, const struct re6st_key *k)
{
	return memcmp(cert->sign_pk, k->sign_pk, 32) == 0 && k->has_wg &&
	       memcmp(cert->wg_pk, k->wg_pk, 32) == 0;
}

/* ---- Sealed boxes ------------------------------------------------------ */

int seal_to_key(const uint8_t sign_pk[RE6ST_SIGN_PK_LEN], const uint8_t *data, size_t len,
		uint8_t **ret, size_t *ret_len)
{
	uint8_t xpk[crypto_box_PUBLICKEYBYTES];
	uint8_t *box;

	if (sodium_init() < 0)
		return -EIO;
	if (len > SIZE_MAX - SEAL_OVERHEAD)
		return -EINVAL;
	if (crypto_sign_ed25519_pk_to_curve25519(xpk, sign_pk) != 0)
		return -EINVAL;
	box = malloc(len + SEAL_OVERHEAD);
	if (!box)
		return -ENOMEM;
	if (crypto_box_seal(box, data, len, xpk) != 0) {
		free(box);
		return -EINVAL;
	}
	*ret = box;
	*ret_len = len + SEAL_OVERHEAD;
	return 0;
}

int seal_open(const struct re6st_key *k, const uint8_t *box, size_t len, uint8_t **ret,
	      size_t *ret_len)
{
	uint8_t xpk[crypto_box_PUBLICKEYBYTES], xsk[crypto_box_SECRETKEYBYTES];
	uint8_t *msg;
	int r = 0;

	if (sodium_init() < 0)
		return -EIO;
	if (len < SEAL_OVERHEAD)
		return -EBADMSG;
	if (crypto_sign_ed25519_pk_to_curve25519(xpk, k->sign_pk) != 0 ||
	    crypto_sign_ed25519_sk_to_curve25519(xsk, k->sign_sk) != 0)
		return -EINVAL;
	msg = malloc(len - SEAL_OVERHEAD + 1);
	if (!msg) {
		r = -ENOMEM;
		goto out;
	}
	if (crypto_box_seal_open(msg, box, len, xpk, xsk) != 0) {
		free(msg);
		r = -EBADMSG;
		goto out;
	}
	*ret = msg;
	*ret_len = len - SEAL_OVERHEAD;
out:
	sodium_memzero(xsk, sizeof(xsk));
	return r;
}

/* ---- Signatures over data ---------------------------------------------- */

#define SIGN_DOMAIN "re6st-sign-v1"

static int data_message(const char *context, const uint8_t *data, size_t len, uint8_t *out,
			size_t *ret_len)
{
	size_t dl = sizeof(SIGN_DOMAIN), cl;
	if (!context)
		return -EINVAL;
	cl = strlen(context);
	if (cl == 0 || cl > DATA_SIGN_MAX_CONTEXT)
		return -EINVAL;
	for (size_t i = 0; i < cl; i++)
		if (context[i] < 0x21 || context[i] > 0x7e)
			return -EINVAL;
	memcpy(out, SIGN_DOMAIN, dl); /* includes the NUL */
	memcpy(out + dl, context, cl + 1);
	crypto_generichash(out + dl + cl + 1, 32, data, len, NULL, 0);
	*ret_len = dl + cl + 1 + 32;
	return 0;
}

int data_sign(const struct re6st_key *k, const char *context, const uint8_t *data, size_t len,
	      uint8_t ret_sig[RE6ST_SIG_LEN])
{
	uint8_t msg[sizeof(SIGN_DOMAIN) + DATA_SIGN_MAX_CONTEXT + 1 + 32];
	size_t n;
	int r;
	if (sodium_init() < 0)
		return -EIO;
	r = data_message(context, data, len, msg, &n);
	if (r < 0)
		return r;
	crypto_sign_detached(ret_sig, NULL, msg, n, k->sign_sk);
	return 0;
}

int data_verify(const uint8_t pk[RE6ST_SIGN_PK_LEN], const char *context, const uint8_t *data,
		size_t len, const uint8_t sig[RE6ST_SIG_LEN])
{
	uint8_t msg[sizeof(SIGN_DOMAIN) + DATA_SIGN_MAX_CONTEXT + 1 + 32];
	size_t n;
	if (sodium_init() < 0)
		return -EIO;
	if (data_message(context, data, len, msg, &n) < 0)
		return -EKEYREJECTED;
	if (crypto_sign_verify_detached(sig, msg, n, pk) != 0)
		return -EKEYREJECTED;
	return 0;
}
