/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer target: the registry's check of node answers to its versions
 * and topology surveys (survey_accept) and the JSON made of them.
 *
 * Each input is fed twice: as a raw datagram, and as the fields of an
 * answer this harness signs with fixed keys (so the fuzzer reaches past the
 * signature): byte 0 the survey kind, byte 1 which node's key and which
 * certificate, byte 2 the message type, byte 3 the recipient, byte 4 the
 * timestamp offset, byte 5 the number of client entries, then the body
 * (topology entries of 17 bytes, or the software string).
 */
#include <sodium.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "identity.h"
#include "macro.h"
#include "peerproto.h"
#include "survey.h"

#define N_NODES 3
#define NOW 1800000000u

static struct re6st_ca ca;
static struct re6st_key keys[N_NODES];
static uint8_t certs[N_NODES][CERT_SIZE];
static struct re6st_prefix nodes[N_NODES];

static void key_from_seed(struct re6st_key *k, uint8_t seed_byte)
{
	uint8_t seed[crypto_sign_SEEDBYTES];

	memset(seed, seed_byte, sizeof(seed));
	memset(k, 0, sizeof(*k));
	crypto_sign_seed_keypair(k->sign_pk, k->sign_sk, seed);
}

static int setup(void)
{
	struct re6st_key ca_key;
	struct re6st_prefix net;

	if (sodium_init() < 0 || prefix_parse("2001:db8:42::/48", &net) < 0)
		return -1;
	key_from_seed(&ca_key, 0xca);
	if (ca_create(&net, &ca_key, NOW - 1000, &ca) < 0)
		return -1;
	for (int i = 0; i < N_NODES; i++) {
		struct re6st_cert c = { .serial = (uint64_t)i + 1, .not_before = NOW - 100,
					.not_after = NOW + 86400 };
		key_from_seed(&keys[i], (uint8_t)i);
		keys[i].has_wg = true;
		c.node = net;
		c.node.len = 56;
		c.node.addr[6] = (uint8_t)(i + 1);
		memcpy(c.sign_pk, keys[i].sign_pk, sizeof(c.sign_pk));
		if (cert_sign(&c, &ca, &ca_key) < 0)
			return -1;
		cert_encode(&c, certs[i]);
		nodes[i] = c.node;
	}
	return 0;
}

static void feed(enum survey_kind kind, const uint8_t *buf, size_t len, const uint8_t *d2, size_t n2)
{
	struct survey s;
	const char *why;
	char *json = NULL;
	size_t jlen;

	if (survey_init(&s, &ca, kind) < 0)
		return;
	for (int i = 0; i < N_NODES; i++) {
		s.t[i].node = nodes[i];
		s.t[i].serial = (uint64_t)i + 1;
	}
	s.n = N_NODES;
	if (survey_accept(&s, buf, len, NOW, (uint64_t)NOW * 1000000u, &why) == 0 && !why)
		__builtin_trap(); /* an ignored answer always says why */
	if (d2)
		(void)survey_accept(&s, d2, n2, NOW, (uint64_t)NOW * 1000000u, &why);
	if (survey_json(&s, &json, &jlen) == 0 && (!json || strlen(json) != jlen))
		__builtin_trap();
	free(json);
	survey_done(&s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	static uint8_t out[PP_MAX_SIZE];
	struct pp_msg m = {};
	uint8_t entries[17 * 64];
	size_t len;

	if (!ready)
		ready = setup() == 0 ? 1 : -1;
	if (ready < 0)
		return 0;
	feed(size && (data[0] & 1) ? SURVEY_TOPOLOGY : SURVEY_VERSIONS, data, size, NULL, 0);
	if (size < 6)
		return 0;
	unsigned signer = data[1] % N_NODES, cert = (data[1] >> 4) % N_NODES;
	m.type = (enum pp_type)(data[2] % 16);
	m.to = (data[3] & 1) ? nodes[data[3] % N_NODES] : ca.network;
	m.seq = (uint64_t)NOW * 1000000u + ((uint64_t)data[4] - 128) * 1000000u;
	m.cert = certs[cert];
	m.cert_len = CERT_SIZE;
	if (m.type == PP_TOPOLOGY) {
		size_t n = MIN((size - 6) / 17, (size_t)64);
		memcpy(entries, data + 6, n * 17);
		m.topology.n_client = (uint16_t)MIN((size_t)data[5], n);
		m.topology.n_served = (uint16_t)(n - m.topology.n_client);
		m.topology.entries = entries;
	} else if (m.type == PP_NODE_INFO) {
		m.node_info.software = (const char *)data + 6;
		m.node_info.software_len = MIN(size - 6, (size_t)255);
	}
	if (pp_encode(&m, keys[signer].sign_sk, out, sizeof(out), &len) == 0) {
		feed((data[0] & 1) ? SURVEY_TOPOLOGY : SURVEY_VERSIONS, out, len, out, len);
	}
	return 0;
}
