/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer target for lib/peerproto. The first byte picks a mode:
 *   0  decode the rest as a datagram (framing and signature checks);
 *   1  re-sign the rest with a fixed key first, so the fuzzer reaches the
 *      body decoders behind the signature check;
 *   2  parse the rest as an endpoint list.
 * A decoded message is re-encoded and must decode to the same fields
 * (the header's, and the bodies of probe-request and probe in full).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "peerproto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t sk[PP_SECRET_LEN], pk[PP_KEY_LEN];

static void setup_key(void)
{
	static int done;
	uint8_t seed[32];
	if (done)
		return;
	if (sodium_init() < 0)
		abort();
	memset(seed, 0x5a, sizeof(seed));
	crypto_sign_seed_keypair(pk, sk, seed);
	done = 1;
}

static void check_reencode(const struct pp_msg *m)
{
	static uint8_t out[PP_MAX_SIZE];
	size_t len;
	struct pp_msg d;

	if (memcmp(m->sender_key, pk, PP_KEY_LEN) != 0)
		return;
	if (pp_encode(m, sk, out, sizeof(out), &len) < 0)
		abort(); /* everything the decoder accepts must be encodable */
	if (pp_decode(out, len, &d, NULL) < 0 || d.type != m->type || d.seq != m->seq)
		abort();
	if (m->type == PP_PROBE && d.probe.request_seq != m->probe.request_seq)
		abort();
	if (m->type == PP_PROBE_REQUEST &&
	    (d.address.len != m->address.len || d.address.len == 0 ||
	     memcmp(d.address.list, m->address.list, d.address.len) != 0))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pp_msg m;
	const char *why;

	if (size < 1)
		return 0;
	setup_key();
	uint8_t mode = data[0];
	data++;
	size--;

	if (mode == 2) {
		struct pp_endpoint e[PP_MAX_ENDPOINTS];
		size_t n;
		char buf[PP_MAX_ENDPOINTS * 96];
		if (pp_endpoints_parse((const char *)data, size, e, PP_MAX_ENDPOINTS, &n) == 0 &&
		    pp_endpoints_format(e, n, buf, sizeof(buf)) < 0)
			abort();
		return 0;
	}
	if (size > PP_MAX_SIZE)
		return 0;
	uint8_t *copy = malloc(size ? size : 1);
	if (!copy)
		return 0;
	if (size)
		memcpy(copy, data, size);
	if (mode == 1 && size >= PP_OVERHEAD) {
		static const char ctx[] = "re6st peer protocol v1";
		crypto_sign_state st;
		memcpy(copy + 31, pk, PP_KEY_LEN);
		crypto_sign_init(&st);
		crypto_sign_update(&st, (const uint8_t *)ctx, sizeof(ctx));
		crypto_sign_update(&st, copy, size - PP_SIG_LEN);
		crypto_sign_final_create(&st, copy + size - PP_SIG_LEN, NULL, sk);
	}
	if (pp_decode(copy, size, &m, &why) == 0) {
		if (m.type == PP_TOPOLOGY) {
			struct re6st_prefix p;
			for (size_t i = 0; i < (size_t)m.topology.n_client + m.topology.n_served; i++)
				pp_topology_entry(&m, i, &p);
		}
		check_reencode(&m);
	} else if (!why) {
		abort(); /* every refusal says why */
	}
	free(copy);
	return 0;
}
