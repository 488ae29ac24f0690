/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "reqsign.h"

#include <errno.h>
#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "wire.h"

#define REQ_DOMAIN "re6st-request-v1"
#define ANS_DOMAIN "re6st-answer-v1"
#define SIG_B64_CHARS 86
#define MAX_MSG (sizeof(REQ_DOMAIN) + REQSIGN_MAX_RPC + 1 + 8 + 8 + REQSIGN_NONCE_LEN + 32)

static bool rpc_ok(const char *rpc)
{
	size_t n;
	if (!rpc)
		return false;
	n = strlen(rpc);
	if (n == 0 || n > REQSIGN_MAX_RPC)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = rpc[i];
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '.' || c == '-'))
			return false;
	}
	return true;
}

/* domain NUL rpc NUL, returns bytes written (rpc already validated). */
static size_t put_head(uint8_t *out, const char *domain, const char *rpc)
{
	size_t dl = strlen(domain) + 1, rl = strlen(rpc) + 1;
	memcpy(out, domain, dl);
	memcpy(out + dl, rpc, rl);
	return dl + rl;
}

static size_t request_message(const struct re6st_cert *cert, const char *rpc, const uint8_t *body,
			      size_t body_len, uint64_t ts, const uint8_t nonce[REQSIGN_NONCE_LEN],
			      uint8_t out[MAX_MSG])
{
	size_t n = put_head(out, REQ_DOMAIN, rpc);
	put_be64(out + n, cert->serial);
	put_be64(out + n + 8, ts);
	memcpy(out + n + 16, nonce, REQSIGN_NONCE_LEN);
	n += 16 + REQSIGN_NONCE_LEN;
	crypto_generichash(out + n, 32, body, body_len, NULL, 0);
	return n + 32;
}

int reqsign_sign(const struct re6st_key *k, const struct re6st_cert *cert, const char *rpc,
		 const uint8_t *body, size_t body_len, uint64_t now, struct reqsig *ret)
{
	uint8_t msg[MAX_MSG];
	struct reqsig s;
	size_t n;

	if (sodium_init() < 0)
		return -EIO;
	if (!rpc_ok(rpc) || memcmp(cert->sign_pk, k->sign_pk, RE6ST_SIGN_PK_LEN) != 0)
		return -EINVAL;
	s.timestamp = now;
	randombytes_buf(s.nonce, sizeof(s.nonce));
	n = request_message(cert, rpc, body, body_len, now, s.nonce, msg);
	crypto_sign_detached(s.signature, NULL, msg, n, k->sign_sk);
	*ret = s;
	return 0;
}

int reqsign_verify(const struct re6st_cert *cert, const char *rpc, const uint8_t *body,
		   size_t body_len, const struct reqsig *sig, uint64_t now, uint32_t window)
{
	uint8_t msg[MAX_MSG];
	size_t n;

	if (sodium_init() < 0)
		return -EIO;
	if (!rpc_ok(rpc))
		return -EKEYREJECTED;
	n = request_message(cert, rpc, body, body_len, sig->timestamp, sig->nonce, msg);
	if (crypto_sign_verify_detached(sig->signature, msg, n, cert->sign_pk) != 0)
		return -EKEYREJECTED;
	/* Checked after the signature so a forged timestamp reads as forged. */
	if (sig->timestamp > now ? sig->timestamp - now > window : now - sig->timestamp > window)
		return -ETIME;
	return 0;
}

char *sig_to_string(const uint8_t sig[RE6ST_SIG_LEN], char buf[SIG_STRLEN])
{
	sodium_bin2base64(buf, SIG_STRLEN, sig, RE6ST_SIG_LEN,
			  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	return buf;
}

int sig_from_string(const char *s, size_t len, uint8_t ret[RE6ST_SIG_LEN])
{
	uint8_t tmp[RE6ST_SIG_LEN + 2];
	size_t n = 0;
	const char *end = NULL;

	if (len != SIG_B64_CHARS || !base64_alphabet_ok(s, len, 1))
		return -EBADMSG;
	if (sodium_base642bin(tmp, sizeof(tmp), s, len, NULL, &n, &end,
			      sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
	    end != s + len || n != RE6ST_SIG_LEN)
		return -EBADMSG;
	memcpy(ret, tmp, RE6ST_SIG_LEN);
	return 0;
}

char *reqsig_format(const struct reqsig *sig, char buf[REQSIGN_STRLEN])
{
	char nonce[2 * REQSIGN_NONCE_LEN + 1], s[SIG_STRLEN];
	sodium_bin2hex(nonce, sizeof(nonce), sig->nonce, REQSIGN_NONCE_LEN);
	snprintf(buf, REQSIGN_STRLEN, "v1:%" PRIu64 ":%s:%s", sig->timestamp, nonce,
		 sig_to_string(sig->signature, s));
	return buf;
}

static int lowhex(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

int reqsig_parse(const char *s, size_t len, struct reqsig *ret)
{
	struct reqsig sig;
	const char *p = s, *end = s + len;
	uint64_t ts = 0;
	size_t digits = 0;

	if (len < 3 || memcmp(p, "v1:", 3) != 0)
		return -EBADMSG;
	p += 3;
	/* Decimal, no sign, no leading zero, no overflow. */
	while (p < end && *p >= '0' && *p <= '9') {
		unsigned d = (unsigned)(*p - '0');
		if (digits == 1 && ts == 0)
			return -EBADMSG;
		if (ts > (UINT64_MAX - d) / 10)
			return -EBADMSG;
		ts = ts * 10 + d;
		digits++;
		p++;
	}
	if (digits == 0 || p >= end || *p != ':')
		return -EBADMSG;
	p++;
	if ((size_t)(end - p) < 2 * REQSIGN_NONCE_LEN + 1)
		return -EBADMSG;
	for (size_t i = 0; i < REQSIGN_NONCE_LEN; i++) {
		int hi = lowhex(p[2 * i]), lo = lowhex(p[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return -EBADMSG;
		sig.nonce[i] = (uint8_t)(hi << 4 | lo);
	}
	p += 2 * REQSIGN_NONCE_LEN;
	if (*p != ':')
		return -EBADMSG;
	p++;
	if (sig_from_string(p, (size_t)(end - p), sig.signature) < 0)
		return -EBADMSG;
	sig.timestamp = ts;
	*ret = sig;
	return 0;
}

char *reqsign_nonce_key(const struct re6st_cert *cert, const struct reqsig *sig,
			char buf[NONCE_KEY_HEXLEN])
{
	uint8_t in[8 + REQSIGN_NONCE_LEN], h[32];
	put_be64(in, cert->serial);
	memcpy(in + 8, sig->nonce, REQSIGN_NONCE_LEN);
	crypto_generichash(h, sizeof(h), in, sizeof(in), NULL, 0);
	sodium_bin2hex(buf, NONCE_KEY_HEXLEN, h, sizeof(h));
	return buf;
}

static size_t answer_message(const char *rpc, const uint8_t nonce[REQSIGN_NONCE_LEN],
			     const uint8_t *body, size_t body_len, uint8_t out[MAX_MSG])
{
	size_t n = put_head(out, ANS_DOMAIN, rpc);
	if (nonce)
		memcpy(out + n, nonce, REQSIGN_NONCE_LEN);
	else
		memset(out + n, 0, REQSIGN_NONCE_LEN);
	n += REQSIGN_NONCE_LEN;
	crypto_generichash(out + n, 32, body, body_len, NULL, 0);
	return n + 32;
}

int answer_sign(const struct re6st_key *registry_key, const char *rpc,
		const uint8_t nonce[REQSIGN_NONCE_LEN], const uint8_t *body, size_t body_len,
		uint8_t ret_sig[RE6ST_SIG_LEN])
{
	uint8_t msg[MAX_MSG];
	size_t n;
	if (sodium_init() < 0)
		return -EIO;
	if (!rpc_ok(rpc))
		return -EINVAL;
	n = answer_message(rpc, nonce, body, body_len, msg);
	crypto_sign_detached(ret_sig, NULL, msg, n, registry_key->sign_sk);
	return 0;
}

int answer_verify(const struct re6st_ca *ca, const char *rpc,
		  const uint8_t nonce[REQSIGN_NONCE_LEN], const uint8_t *body, size_t body_len,
		  const uint8_t sig[RE6ST_SIG_LEN])
{
	uint8_t msg[MAX_MSG];
	size_t n;
	if (sodium_init() < 0)
		return -EIO;
	if (!rpc_ok(rpc))
		return -EKEYREJECTED;
	n = answer_message(rpc, nonce, body, body_len, msg);
	if (crypto_sign_verify_detached(sig, msg, n, ca->sign_pk) != 0)
		return -EKEYREJECTED;
	return 0;
}
