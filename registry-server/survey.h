/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * survey.h - the registry asks the nodes: the `versions` and `topology`
 * RPCs (docs/registry-api.md).
 *
 * The registry sends a certificate-less peer-protocol `node-info-request`
 * or `topology-request`, signed with the CA key, to the underlay endpoints
 * every live node announced (as push.c does for the network
 * configuration); nodes answer on the underlay to the request's source
 * (docs/peer-protocol.md, "Registry survey").  The answers are untrusted
 * input: survey_accept() takes one datagram and keeps it only when it
 * decodes, is of the kind asked, is addressed to the network (the
 * registry's name as recipient), is fresh, and carries a certificate of
 * this CA, valid, matching the node asked (prefix and serial: a revoked or
 * replaced certificate is not answered for) and signing the datagram; one
 * answer per node.
 *
 * Bounds: one survey at a time (others get 503), datagrams paced at
 * SURVEY_RATE per second, the wait ends when every node answered or after
 * `timeout` seconds without an answer, and never after SURVEY_MAX_S.
 */
#ifndef RE6ST_REGISTRY_SURVEY_H
#define RE6ST_REGISTRY_SURVEY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "identity.h"
#include "peerproto.h"
#include "prefix.h"

#define SURVEY_RATE 1000        /* datagrams per second */
#define SURVEY_MAX_S 30         /* a whole survey */
#define SURVEY_MAX_TARGETS 4096
#define SURVEY_MAX_ENDPOINTS 16

enum survey_kind { SURVEY_VERSIONS, SURVEY_TOPOLOGY };

struct survey_target {
	struct re6st_prefix node;
	uint64_t serial;                 /* of its current certificate */
	struct pp_endpoint ep[SURVEY_MAX_ENDPOINTS];
	size_t n_ep;
	/* the answer */
	bool answered;
	char *software;                  /* versions */
	uint64_t netconf_version;
	struct re6st_prefix *peers;      /* topology: clients first, then served */
	size_t n_client, n_peers;
};

struct survey {
	const struct re6st_ca *ca;
	enum survey_kind kind;
	struct survey_target *t;
	size_t n, n_answered;
};

/* An empty survey (targets added by the caller into s->t, s->n). 0, -ENOMEM. */
int survey_init(struct survey *s, const struct re6st_ca *ca, enum survey_kind kind);
void survey_done(struct survey *s);

/*
 * One datagram: 1 when it answered a node still waited for, 0 when
 * ignored (*ret_reason says why), -ENOMEM.  now: seconds (certificate
 * validity), now_us: microseconds (freshness).
 */
int survey_accept(struct survey *s, const uint8_t *buf, size_t len, uint64_t now,
		  uint64_t now_us, const char **ret_reason);

/* A tunnel: from opened it to to. */
struct survey_edge {
	struct re6st_prefix from, to;
};
/* The tunnels the answers name, sorted, each once (malloc'ed); 0, -ENOMEM. */
int survey_edges(const struct survey *s, struct survey_edge **ret, size_t *ret_n);

/*
 * The answer as JSON, keyed by node prefix ("2001:db8:42:100::/56"):
 *   versions: {"P": "re6stnet 0.1, Linux-6.1.0-amd64-x86_64" or null (no answer)}
 *   topology: {"P": ["Q", ...]: the nodes P opened a tunnel to, ...,
 *              "": [the nodes that answered]}  (as the original's)
 */
int survey_json(const struct survey *s, char **ret, size_t *ret_len);

struct registry;
/*
 * Run a survey of the live announced nodes: timeout_s (1..SURVEY_MAX_S)
 * without an answer ends it.  -EBUSY: another survey is running; -errno.
 */
int registry_survey(struct registry *reg, enum survey_kind kind, unsigned timeout_s,
		    char **ret_json, size_t *ret_len);
/* The same, keeping the survey (the status page): survey_done() it. */
int registry_survey_run(struct registry *reg, enum survey_kind kind, unsigned timeout_s,
			struct survey *ret);

#endif
