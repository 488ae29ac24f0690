/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * reqsign.h - requests signed by a node, answers signed by the registry.
 *
 * A node signs every request it makes on its own behalf: the RPC name, a
 * hash of the request body (or canonical arguments), its certificate serial,
 * a timestamp and a random nonce. It sends its certificate with the request.
 * The verifier checks the certificate against the CA (cert_parse()), then
 * the signature and the timestamp window with reqsign_verify(); rejecting a
 * nonce already seen within the window is the verifier's job, keyed by
 * reqsign_nonce_key(). The registry signs its answer over the RPC name, the
 * request's nonce and a hash of the answer body, so that an answer cannot be
 * replayed for another request. Signed byte strings: docs/certificates.md.
 */
#ifndef RE6ST_REQSIGN_H
#define RE6ST_REQSIGN_H

#include <stddef.h>
#include <stdint.h>

#include "identity.h"

#define REQSIGN_NONCE_LEN 16
#define REQSIGN_DEFAULT_WINDOW 120 /* seconds either side of now */
#define REQSIGN_MAX_RPC 64         /* RPC names: [A-Za-z0-9_.-]{1,64} */
/* "v1:" 20-digit timestamp ":" 32 hex ":" 86 base64url + NUL, rounded up. */
#define REQSIGN_STRLEN 160
/* A detached signature as unpadded base64url (86 chars) + NUL. */
#define SIG_STRLEN 87
#define NONCE_KEY_HEXLEN 65

struct reqsig {
	uint64_t timestamp;
	uint8_t nonce[REQSIGN_NONCE_LEN];
	uint8_t signature[RE6ST_SIG_LEN];
};

/*
 * Sign a request with the node's key k; cert is the node's certificate
 * (its serial is signed). A fresh random nonce is drawn. -EINVAL bad RPC
 * name or key/cert mismatch.
 */
int reqsign_sign(const struct re6st_key *k, const struct re6st_cert *cert, const char *rpc,
		 const uint8_t *body, size_t body_len, uint64_t now, struct reqsig *ret);
/*
 * Verify a request signature made by the holder of cert (which the caller
 * has already checked against the CA and the revocation list).
 * -EKEYREJECTED bad signature (or bad RPC name), -ETIME timestamp further
 * than window seconds from now.
 */
int reqsign_verify(const struct re6st_cert *cert, const char *rpc, const uint8_t *body,
		   size_t body_len, const struct reqsig *sig, uint64_t now, uint32_t window);

/* "v1:<timestamp>:<nonce hex>:<signature base64url>" for an HTTP header; returns buf. */
char *reqsig_format(const struct reqsig *sig, char buf[REQSIGN_STRLEN]);
/* Strict parse of the above (untrusted input; fuzzed). -EBADMSG. */
int reqsig_parse(const char *s, size_t len, struct reqsig *ret);

/*
 * Hex of BLAKE2b-256(cert serial || nonce): the key under which a verifier
 * remembers a nonce until now + window has passed.
 */
char *reqsign_nonce_key(const struct re6st_cert *cert, const struct reqsig *sig,
			char buf[NONCE_KEY_HEXLEN]);

/*
 * Registry answer signature over (rpc, request nonce, body). nonce may be
 * NULL for answers to unsigned requests (16 zero bytes are signed then).
 * -EINVAL bad RPC name.
 */
int answer_sign(const struct re6st_key *registry_key, const char *rpc,
		const uint8_t nonce[REQSIGN_NONCE_LEN], const uint8_t *body, size_t body_len,
		uint8_t ret_sig[RE6ST_SIG_LEN]);
/* 0, or -EKEYREJECTED (bad signature or bad RPC name). */
int answer_verify(const struct re6st_ca *ca, const char *rpc,
		  const uint8_t nonce[REQSIGN_NONCE_LEN], const uint8_t *body, size_t body_len,
		  const uint8_t sig[RE6ST_SIG_LEN]);

/* Signature <-> unpadded base64url text (86 chars). */
char *sig_to_string(const uint8_t sig[RE6ST_SIG_LEN], char buf[SIG_STRLEN]);
/* -EBADMSG unless exactly 86 valid characters. */
int sig_from_string(const char *s, size_t len, uint8_t ret[RE6ST_SIG_LEN]);

#endif
