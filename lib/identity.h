/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * identity.h - node and registry keys, certificates, the CA, sealed boxes.
 *
 * A re6st network is identified by its CA: the network prefix and the
 * registry's Ed25519 public key, self-signed. The registry signs for each
 * node a certificate binding the node's prefix to its Ed25519 signing key and
 * its X25519 WireGuard key. Byte layouts are in docs/certificates.md.
 *
 * Errors shared by the whole identity API (identity_strerror() gives text):
 *   -EBADMSG       malformed: wrong size, magic, format version, reserved
 *                  bytes not zero, bad prefix (host bits set, node prefix
 *                  not inside the network prefix), garbage
 *   -EKEYREJECTED  signature does not verify / fingerprint does not match
 *   -EKEYEXPIRED   certificate expired or not yet valid at `now`
 *   -EXDEV         certificate or document of another network (CA)
 *   -EKEYREVOKED   certificate's serial is in the revocation list
 *   -EMEDIUMTYPE   armoured file of another kind (e.g. a CA given as cert)
 *   -EFBIG         input larger than any valid one
 *   -ENOMEM, and -errno from file system calls for the _load and _save functions.
 *
 * Every function calling into libsodium initialises it itself
 * (sodium_init() is idempotent); identity_init() lets a program fail early.
 * Time is unix seconds (uint64_t), always passed in by the caller.
 */
#ifndef RE6ST_IDENTITY_H
#define RE6ST_IDENTITY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "macro.h"
#include "prefix.h"

#define RE6ST_SIGN_PK_LEN 32  /* crypto_sign_PUBLICKEYBYTES */
#define RE6ST_SIGN_SK_LEN 64  /* crypto_sign_SECRETKEYBYTES (seed || pk) */
#define RE6ST_SIG_LEN 64      /* crypto_sign_BYTES */
#define RE6ST_WG_KEY_LEN 32   /* WireGuard Curve25519 keys */
#define RE6ST_FP_LEN 16       /* CA fingerprint: BLAKE2b-128 of the CA bytes */
#define RE6ST_FP_HEXLEN 33    /* 32 hex digits + NUL */
#define RE6ST_KEY_B64LEN 45   /* base64 of 32 bytes + NUL (as `wg` prints) */

/* Encoded sizes (docs/certificates.md). */
#define CERT_SIZE 216
#define CA_SIZE 136
#define SECRET_KEY_SIZE 72

/* Initialise libsodium. 0, or -EIO if it cannot be. */
int identity_init(void);

/* Text for an error returned by this API (falls back to strerror). */
const char *identity_strerror(int err);

/* ---- Secret keys ------------------------------------------------------ */

struct re6st_key {
	uint8_t sign_sk[RE6ST_SIGN_SK_LEN]; /* libsodium form: seed || pk */
	uint8_t sign_pk[RE6ST_SIGN_PK_LEN];
	bool has_wg;                        /* nodes: true; registry CA key: false */
	uint8_t wg_sk[RE6ST_WG_KEY_LEN];    /* clamped as WireGuard expects */
	uint8_t wg_pk[RE6ST_WG_KEY_LEN];
};

/* New random key (with a WireGuard key when with_wg). -ENOMEM, -EIO. */
int key_generate(bool with_wg, struct re6st_key **ret);
/* Wipes and frees; NULL ok. */
void key_free(struct re6st_key *k);
DEFINE_FREEP(struct re6st_key, key_free)

/* Binary form (SECRET_KEY_SIZE bytes) into out. */
void key_encode(const struct re6st_key *k, uint8_t out[SECRET_KEY_SIZE]);
/* Parse the binary form; public keys are recomputed. -EBADMSG, -ENOMEM. */
int key_decode(const uint8_t *buf, size_t len, struct re6st_key **ret);
/* Armoured "RE6ST SECRET KEY" text (caller frees; wipe with sodium_memzero). */
int key_to_armour(const struct re6st_key *k, char **ret);
int key_from_armour(const char *text, size_t len, struct re6st_key **ret);
/*
 * Write the armoured key to path atomically with mode 0600 (see
 * write_file_atomic()). 0 or -errno.
 */
int key_save(const struct re6st_key *k, const char *path);
/* Read an armoured key file. -errno from reading, or the decode errors. */
int key_load(const char *path, struct re6st_key **ret);
/*
 * 0 when path is a regular file with no group or other permission bits;
 * -EPERM when it has some (the caller warns or refuses), -EINVAL not a
 * regular file, -errno from stat.
 */
int key_file_check_private(const char *path);

/* WireGuard-style base64 of a 32-byte key (44 chars + NUL); returns buf. */
char *key32_to_base64(const uint8_t key[32], char buf[RE6ST_KEY_B64LEN]);
/* Parse 44-char padded base64 of 32 bytes. -EINVAL otherwise. */
int key32_from_base64(const char *s, uint8_t ret[32]);

/* ---- CA ---------------------------------------------------------------- */

struct re6st_ca {
	struct re6st_prefix network;
	uint8_t sign_pk[RE6ST_SIGN_PK_LEN]; /* the registry's key */
	uint64_t created;
	uint8_t signature[RE6ST_SIG_LEN];   /* self-signature */
	uint8_t fingerprint[RE6ST_FP_LEN];  /* computed, not encoded */
};

/*
 * Create and self-sign the CA of a new network. -EINVAL if network is not
 * canonical or its length is not within 1..120, or ca_key mismatches.
 */
int ca_create(const struct re6st_prefix *network, const struct re6st_key *ca_key, uint64_t now,
	      struct re6st_ca *ret);
void ca_encode(const struct re6st_ca *ca, uint8_t out[CA_SIZE]);
/* Parse and check the self-signature; sets fingerprint. -EBADMSG, -EKEYREJECTED. */
int ca_decode(const uint8_t *buf, size_t len, struct re6st_ca *ret);
int ca_to_armour(const struct re6st_ca *ca, char **ret);
int ca_from_armour(const char *text, size_t len, struct re6st_ca *ret);
/* Write (mode 0644, atomic) / read an armoured CA file. */
int ca_save(const struct re6st_ca *ca, const char *path);
int ca_load(const char *path, struct re6st_ca *ret);
/* Lower-case hex of the fingerprint, 32 digits; returns buf. */
char *ca_fingerprint_hex(const struct re6st_ca *ca, char buf[RE6ST_FP_HEXLEN]);
/*
 * Compare the CA's fingerprint with a user-supplied one (hex, any case,
 * optional ':' separators; 32 digits, or a prefix of at least 16 digits).
 * 0 match, -EKEYREJECTED mismatch, -EINVAL unparsable.
 */
int ca_fingerprint_check(const struct re6st_ca *ca, const char *hex);
/* Same network and same key. */
bool ca_equal(const struct re6st_ca *a, const struct re6st_ca *b);

/* ---- Certificates ------------------------------------------------------- */

struct re6st_cert {
	struct re6st_prefix network;        /* copied from the CA */
	uint8_t ca_fingerprint[RE6ST_FP_LEN];
	struct re6st_prefix node;           /* the node's prefix */
	uint32_t subject_serial;            /* small number, IPv4 payload addressing */
	uint8_t sign_pk[RE6ST_SIGN_PK_LEN]; /* node's Ed25519 key */
	uint8_t wg_pk[RE6ST_WG_KEY_LEN];    /* node's WireGuard key */
	uint64_t serial;                    /* issue serial, unique, for revocation */
	uint64_t not_before;
	uint64_t not_after;
	uint8_t signature[RE6ST_SIG_LEN];
};

/*
 * Registry side: fill cert->network and cert->ca_fingerprint from ca, check
 * the fields, sign with ca_key. -EINVAL if node prefix is not canonical or
 * not inside the network (or equal to it), not_after <= not_before, or
 * ca_key is not the CA's key.
 */
int cert_sign(struct re6st_cert *cert, const struct re6st_ca *ca, const struct re6st_key *ca_key);
void cert_encode(const struct re6st_cert *cert, uint8_t out[CERT_SIZE]);
/*
 * Structural parse only (no signature, network or time check): size,
 * magic, version, reserved bytes, prefixes. -EBADMSG.
 */
int cert_decode(const uint8_t *buf, size_t len, struct re6st_cert *ret);
/*
 * Check a decoded certificate: -EXDEV not for this CA (network prefix or
 * fingerprint differ), -EKEYREJECTED bad signature, -EKEYEXPIRED when now
 * is outside [not_before, not_after].
 */
int cert_verify(const struct re6st_cert *cert, const struct re6st_ca *ca, uint64_t now);
/*
 * The one rule, shared by node and registry, for when a certificate is due
 * for renewal: in the last third of its life [not_before, not_after], or
 * after it (a certificate with no life at all is always due).  Pure.
 */
bool cert_renew_due(int64_t not_before, int64_t not_after, int64_t now);
/* Same without the validity period (registry renewal of expired certificates). */
int cert_verify_signature(const struct re6st_cert *cert, const struct re6st_ca *ca);
/* cert_decode() + cert_verify(). */
int cert_parse(const uint8_t *buf, size_t len, const struct re6st_ca *ca, uint64_t now,
	       struct re6st_cert *ret);
int cert_to_armour(const struct re6st_cert *cert, char **ret);
/* Armour decode + cert_parse(). */
int cert_from_armour(const char *text, size_t len, const struct re6st_ca *ca, uint64_t now,
		     struct re6st_cert *ret);
/* Armour decode + cert_decode() only (e.g. to show an expired certificate). */
int cert_from_armour_unverified(const char *text, size_t len, struct re6st_cert *ret);
/*
 * One-line form for HTTP headers: padded standard base64 of the 216 bytes
 * (288 characters). cert_from_base64() is strict (alphabet, length,
 * canonical padding) and runs cert_decode() only: -EBADMSG.
 */
#define CERT_B64LEN 289
char *cert_to_base64(const struct re6st_cert *cert, char buf[CERT_B64LEN]);
int cert_from_base64(const char *s, size_t len, struct re6st_cert *ret);
int cert_save(const struct re6st_cert *cert, const char *path); /* 0644, atomic */
int cert_load(const char *path, const struct re6st_ca *ca, uint64_t now, struct re6st_cert *ret);
/* The node's address inside its prefix that re6st uses (prefix, then ::1). */
void cert_node_address(const struct re6st_cert *cert, uint8_t ret_addr[16]);
/* True when the certificate matches the key (both public keys). */
bool cert_matches_key(const struct re6st_cert *cert, const struct re6st_key *k);

/* ---- Sealed boxes --------------------------------------------------------
 * Secrets for one node (babel HMAC keys, bootstrap peer answers) are sealed
 * with crypto_box_seal to the X25519 key derived from the node's Ed25519
 * public key (crypto_sign_ed25519_pk_to_curve25519); only the holder of the
 * node's secret signing key can open them. The WireGuard key is not used so
 * that it can be rotated independently of the identity.
 */
#define SEAL_OVERHEAD 48 /* crypto_box_SEALBYTES */

/*
 * Seal len bytes to the owner of sign_pk. *ret malloc'ed, *ret_len = len +
 * SEAL_OVERHEAD. -EINVAL if sign_pk is not a valid Ed25519 point, -ENOMEM.
 */
int seal_to_key(const uint8_t sign_pk[RE6ST_SIGN_PK_LEN], const uint8_t *data, size_t len,
		uint8_t **ret, size_t *ret_len);
/*
 * Open a sealed box with the node's key. *ret malloc'ed (at least 1 byte),
 * caller wipes and frees. -EBADMSG if it was not sealed to this key or was
 * altered, -ENOMEM.
 */
int seal_open(const struct re6st_key *k, const uint8_t *box, size_t len, uint8_t **ret,
	      size_t *ret_len);

/* ---- Registry signatures over arbitrary data ----------------------------- */
/*
 * Detached Ed25519 signature over
 *   "re6st-sign-v1" 0x00 context 0x00 BLAKE2b-256(data)
 * (see docs/certificates.md); context (1..64 printable ASCII characters)
 * separates uses. -EINVAL bad context.
 */
#define DATA_SIGN_MAX_CONTEXT 64
int data_sign(const struct re6st_key *k, const char *context, const uint8_t *data, size_t len,
	       uint8_t ret_sig[RE6ST_SIG_LEN]);
/* 0 or -EKEYREJECTED (also for a bad context). */
int data_verify(const uint8_t pk[RE6ST_SIGN_PK_LEN], const char *context, const uint8_t *data,
		size_t len, const uint8_t sig[RE6ST_SIG_LEN]);

#endif
