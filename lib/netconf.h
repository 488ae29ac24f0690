/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * netconf.h - the network configuration document.
 *
 * The registry publishes one signed, versioned document holding the network's
 * parameters and its revocation list. Any node verifies it offline with the
 * CA, so nodes may hand it to each other while the registry is down; a node
 * keeps the copy with the highest version. Encoding (fixed header + TLVs +
 * Ed25519 signature) is in docs/network-config.md. Secrets for one node
 * (babel HMAC keys) are never in it: see seal_to_key() in identity.h.
 *
 * Errors are those of identity.h (-EBADMSG, -EKEYREJECTED, -EXDEV, ...).
 */
#ifndef RE6ST_NETCONF_H
#define RE6ST_NETCONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "armour.h"
#include "identity.h"
#include "macro.h"
#include "prefix.h"

/* Tunnel types a network allows (bitmask). */
enum {
	TUNNEL_WIREGUARD = 1u << 0,
	TUNNEL_GRE = 1u << 1,
	TUNNEL_FOU = 1u << 2, /* GRE in FOU (UDP) */
	TUNNEL_ALL = TUNNEL_WIREGUARD | TUNNEL_GRE | TUNNEL_FOU,
};

/* Defaults applied by netconf_new() and to fields absent from a document. */
#define NETCONF_DEFAULT_HELLO 1 /* seconds; the original's 15 fails over in ~1 min */
#define NETCONF_DEFAULT_CLIENT_COUNT 10
#define NETCONF_DEFAULT_TUNNEL_REFRESH 300
#define NETCONF_DEFAULT_GRACE_PERIOD (100 * 86400) /* the registry's --grace-period default */
#define NETCONF_DEFAULT_PREFIX_LEN 16 /* bits added to the network prefix */
#define NETCONF_DEFAULT_TUNNEL_TYPES TUNNEL_WIREGUARD
/* The tunnel policy (daemon/policy.h); shares and weights in millionths. */
#define NETCONF_MILLION 1000000u
#define NETCONF_DEFAULT_ROTATE_SHARE 300000u
#define NETCONF_DEFAULT_BUSY_SHARE 200000u
#define NETCONF_DEFAULT_BUSY_WEIGHT 250000u
#define NETCONF_DEFAULT_ANCHOR_SHARE 300000u
#define NETCONF_DEFAULT_DRAIN_LIMIT 3600u
#define NETCONF_MAX_ANCHORS 64
/* The routing metric and failure detection on tunnels (docs/network-config.md,
 * "Metric and failover"): babeld's cost with link-quality estimation, its
 * route-selection smoothing half-life, and the seconds of silence after
 * which a tunnel is dead. */
#define NETCONF_DEFAULT_LINK_COST 512u
#define NETCONF_MIN_LINK_COST 256u /* below, babeld does not use ETX */
#define NETCONF_MAX_LINK_COST 4096u
#define NETCONF_DEFAULT_SMOOTHING 8u
#define NETCONF_MAX_SMOOTHING 120u
#define NETCONF_DEFAULT_DEAD_AFTER 3u
#define NETCONF_MAX_DEAD_AFTER 600u

/* Limits checked by encoder and decoder. */
#define NETCONF_MAX_STRING 1024
#define NETCONF_MAX_REVOKED 1000000
#define NETCONF_MAX_SIZE (ARMOUR_MAX_PAYLOAD)

struct netconf_revoked {
	uint64_t serial;   /* certificate issue serial */
	uint64_t not_after; /* its expiry: entry may be pruned afterwards */
	struct re6st_prefix prefix; /* the node prefix it had */
};

struct re6st_netconf {
	uint64_t version; /* only grows */
	uint64_t issued;  /* unix seconds */
	uint8_t ca_fingerprint[RE6ST_FP_LEN]; /* set by netconf_encode/decode */

	struct re6st_prefix network;
	uint8_t prefix_len;           /* --prefix-length: bits a node prefix adds */
	uint8_t anonymous_prefix_len; /* 0: anonymous registration not allowed */
	uint32_t hello;               /* --hello, seconds */
	uint32_t client_count;        /* --client-count */
	uint32_t max_clients;         /* --max-clients; 0 means 2 x client_count */
	uint32_t tunnel_refresh;      /* --tunnel-refresh, seconds */
	uint32_t min_protocol;        /* --min-protocol */
	uint32_t tunnel_types;        /* TUNNEL_* bitmask, never 0 */
	/* --grace-period, seconds: how long after its expiry the registry
	 * still renews a certificate (and keeps it), so how long a node with
	 * an expired certificate keeps running without the registry. */
	uint32_t grace_period;
	/* The tunnel policy: shares and weights in millionths (<= 10^6). */
	uint32_t rotate_share;        /* --rotate-share */
	uint32_t busy_share;          /* --busy-share */
	uint32_t busy_weight;         /* --busy-weight, never 0 */
	uint32_t anchor_share;        /* --anchor-share */
	uint32_t drain_limit;         /* --drain-limit, seconds, never 0 */
	size_t n_anchors;             /* --anchor PREFIX, at most NETCONF_MAX_ANCHORS */
	struct re6st_prefix anchors[NETCONF_MAX_ANCHORS];
	uint32_t link_cost;           /* --link-cost: babeld cost on tunnels (link quality on) */
	uint32_t smoothing;           /* --smoothing: babeld smoothing-half-life, s (0: none) */
	uint32_t dead_after;          /* --dead-after: s without a packet from the peer */

	bool has_ipv4;                /* --ipv4 NET/N SUBLEN */
	uint8_t ipv4_net[4];
	uint8_t ipv4_len;             /* N */
	uint8_t ipv4_sublen;          /* SUBLEN */

	bool has_registry_prefix;     /* the registry's own node prefix */
	struct re6st_prefix registry_prefix;

	char *same_country;  /* --same-country, comma-separated codes, or NULL */
	char *registry_url;  /* public URL of the registry, or NULL */
	char *babel_default; /* extra babeld default options, or NULL */

	size_t n_revoked;     /* sorted by serial, no duplicates */
	size_t cap_revoked;   /* entries allocated */
	struct netconf_revoked *revoked;
};

/* A document with the defaults above, version 0. -ENOMEM. */
int netconf_new(struct re6st_netconf **ret);
void netconf_free(struct re6st_netconf *nc);
DEFINE_FREEP(struct re6st_netconf, netconf_free)

/*
 * Set a string field (same_country, registry_url, babel_default). s may be
 * NULL (clears). -EINVAL if longer than NETCONF_MAX_STRING or containing a
 * byte outside printable ASCII; -ENOMEM.
 */
int netconf_set_string(char **field, const char *s);

/*
 * Add a revoked certificate, keeping the list sorted. Adding a serial
 * already present is a no-op returning 0. -E2BIG over NETCONF_MAX_REVOKED,
 * -EINVAL non-canonical prefix, -ENOMEM.
 */
int netconf_add_revoked(struct re6st_netconf *nc, uint64_t serial, uint64_t not_after,
			const struct re6st_prefix *prefix);
/* Drop entries whose certificates expired before now; returns how many. */
size_t netconf_prune_revoked(struct re6st_netconf *nc, uint64_t now);
/* The entry for serial, or NULL (binary search). */
const struct netconf_revoked *netconf_find_revoked(const struct re6st_netconf *nc,
						   uint64_t serial);
/* cert_verify() + -EKEYREVOKED if the certificate's serial is revoked. */
int netconf_check_cert(const struct re6st_netconf *nc, const struct re6st_cert *cert,
		       const struct re6st_ca *ca, uint64_t now);
/*
 * The node's IPv4 payload subnet: the subject_serial-th subnet of length
 * ipv4_sublen inside ipv4_net/ipv4_len, and its address (the subnet's first
 * host, or the subnet itself for /31 and /32). -ENOENT no IPv4 payload in
 * this network, -ERANGE the serial does not fit (more nodes than subnets).
 */
int netconf_node_ipv4(const struct re6st_netconf *nc, uint32_t subject_serial,
		      uint8_t ret_subnet[4], uint8_t ret_addr[4]);
/*
 * A share or weight as written on command lines, a decimal in [0, 1] ("0.3",
 * "1", "0.125"), into millionths. -EINVAL otherwise.
 */
int netconf_parse_share(const char *s, uint32_t *ret);
/* The same for an option's value: nonzero refuses 0; -EINVAL with a
 * message ("expected a WHAT, not 'VALUE'") in err. */
int netconf_parse_share_option(const char *value, bool nonzero, const char *what,
			       uint32_t *ret, char *err, size_t errlen);

/* Effective max clients: max_clients, or 2 x client_count when 0. */
uint32_t netconf_max_clients(const struct re6st_netconf *nc);

/*
 * Registry side: check fields, set nc->ca_fingerprint and nc->network from
 * ca, encode and sign. *ret malloc'ed. -EINVAL inconsistent fields (prefix
 * lengths beyond 128, tunnel_types 0 or unknown bits, ipv4 sublen < len or
 * > 32, ...), -EINVAL if ca_key is not the CA's, -ENOMEM.
 */
int netconf_encode(struct re6st_netconf *nc, const struct re6st_ca *ca,
		   const struct re6st_key *ca_key, uint8_t **ret, size_t *ret_len);
/*
 * Structural parse, no signature check (for tests and fuzzing; nodes use
 * netconf_parse()). -EBADMSG, -EFBIG, -ENOMEM.
 */
int netconf_decode(const uint8_t *buf, size_t len, struct re6st_netconf **ret);
/*
 * Verify then parse: -EXDEV (fingerprint or network of another CA),
 * -EKEYREJECTED (signature), -EBADMSG, -EFBIG, -ENOMEM.
 */
int netconf_parse(const uint8_t *buf, size_t len, const struct re6st_ca *ca,
		  struct re6st_netconf **ret);
/* Armoured "RE6ST NETWORK CONFIG" forms and files (0644, atomic). */
int netconf_to_armour(const uint8_t *encoded, size_t len, char **ret);
int netconf_from_armour(const char *text, size_t len, const struct re6st_ca *ca,
			struct re6st_netconf **ret, uint8_t **ret_encoded, size_t *ret_encoded_len);
int netconf_save(const uint8_t *encoded, size_t len, const char *path);
/* Loads and verifies; ret_encoded/ret_encoded_len may be NULL. */
int netconf_load(const char *path, const struct re6st_ca *ca, struct re6st_netconf **ret,
		 uint8_t **ret_encoded, size_t *ret_encoded_len);
/*
 * Version of an encoded document without parsing the rest (cheap comparison
 * before accepting a copy from a peer). -EBADMSG if too short or bad magic.
 */
int netconf_peek_version(const uint8_t *buf, size_t len, uint64_t *ret);

#endif
