/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * peerproto.h - the peer protocol's messages: pure encoding and decoding.
 *
 * Nodes talk to each other with single UDP datagrams: on the overlay (port
 * 326 on the node's re6st address) for network-configuration gossip,
 * address requests, the tunnel drain/destruction handshake, node
 * information, topology and reachability-probe requests; on the underlay
 * (the server's advertised endpoint) for tunnel set-up and the probes. docs/peer-protocol.md is the reference.
 *
 * Every message is signed with the sender's Ed25519 node key and carries
 * the sender's certificate; the decoder checks the framing, every field and
 * the signature against the embedded key. It does NOT know certificates:
 * the caller must verify the certificate (CA signature, validity,
 * revocation) and that it certifies pp_msg.sender_key, then check freshness
 * and replay with pp_replay_check(). Nothing here does I/O or logs.
 *
 * Decoded messages point into the caller's buffer (no copies): keep the
 * buffer alive while using the message.
 */
#ifndef RE6ST_PEERPROTO_H
#define RE6ST_PEERPROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "prefix.h"

#define PP_PORT 326
#define PP_VERSION 1
/* Largest datagram we build or accept (IPv6 UDP payload, fragmentation ok). */
#define PP_MAX_SIZE 65000
#define PP_MAX_CERT 4096
#define PP_KEY_LEN 32   /* Ed25519 public key */
#define PP_SECRET_LEN 64 /* libsodium Ed25519 secret key (seed || pk) */
#define PP_SIG_LEN 64
/* Fixed part: magic(3) version(1) type(1) flags(1) seq(8) to(17) key(32) cert_len(2) body_len(2) */
#define PP_HEADER_LEN 67
#define PP_OVERHEAD (PP_HEADER_LEN + PP_SIG_LEN)
#define PP_MAX_ENDPOINTS 16
#define PP_MAX_TOPOLOGY 1024
/* Seconds a message's timestamp may differ from the receiver's clock. */
#define PP_FRESHNESS_S 120

enum pp_type {
	PP_NETCONF_VERSION = 1, /* "I hold network configuration version V" */
	PP_NETCONF = 2,         /* the registry-signed network configuration */
	PP_ADDRESS_REQUEST = 3,
	PP_ADDRESS = 4,         /* "ip,port,type[,country];..." */
	PP_TUNNEL_DRAIN = 5,    /* delay babel on your end of our tunnel */
	PP_TUNNEL_UNDRAIN = 6,  /* destruction aborted: stop delaying */
	PP_TUNNEL_DESTROY = 7,  /* I remove our tunnel; remove your end */
	PP_TUNNEL_DESTROY_ACK = 8,
	PP_NODE_INFO_REQUEST = 9,
	PP_NODE_INFO = 10,
	PP_TOPOLOGY_REQUEST = 11,
	PP_TOPOLOGY = 12,
	PP_SETUP_REQUEST = 13,  /* underlay: open a tunnel to me */
	PP_SETUP_ANSWER = 14,
	PP_PROBE_REQUEST = 15,  /* "probe these endpoints of mine": endpoint list */
	PP_PROBE = 16,          /* underlay: the probe, to the requester's endpoint */
	_PP_TYPE_MAX,
};

/* Tunnel types, as in endpoint strings ("wg", "gre", "fou", "tcp"). */
enum pp_tunnel_type {
	PP_TUNNEL_WG = 1,
	PP_TUNNEL_GRE = 2,
	PP_TUNNEL_FOU = 3,
	PP_TUNNEL_TCP = 4,   /* WireGuard over a TCP link (docs/tunnel-manager.md) */
};

/* The role of the sender in the tunnel a drain/destroy message is about. */
enum pp_role {
	PP_ROLE_CLIENT = 0, /* the sender opened the tunnel */
	PP_ROLE_SERVER = 1, /* the sender accepted it */
};

enum pp_setup_status {
	PP_SETUP_OK = 0,
	PP_SETUP_REVOKED = 1,      /* client certificate revoked */
	PP_SETUP_EXPIRED = 2,      /* client certificate expired or not yet valid */
	PP_SETUP_FULL = 3,         /* --max-clients reached */
	PP_SETUP_RATE_LIMITED = 4, /* retry later */
	PP_SETUP_BAD_CERT = 5,     /* not signed by our CA / other network */
	PP_SETUP_UNSUPPORTED = 6,  /* tunnel type not offered */
	PP_SETUP_BUSY = 7,         /* already a tunnel between us */
	PP_SETUP_INTERNAL = 8,     /* server failed to program its side */
	_PP_SETUP_MAX,
};

/* Request flags. */
#define PP_SETUP_F_NAT 0x01 /* client is behind NAT: server keeps it alive too */

struct pp_endpoint {
	int family; /* AF_INET or AF_INET6 */
	uint8_t addr[16]; /* IPv4 in the first 4 bytes */
	uint16_t port;
	char type[16];    /* "wg", "gre", "fou", or any [a-z0-9]{1,15} */
	char country[3];  /* "" or two upper-case letters */
};

struct pp_msg {
	uint8_t version;
	enum pp_type type;
	uint8_t flags; /* reserved, 0 */
	/*
	 * Microseconds since the epoch, strictly increasing per sender: both
	 * the timestamp checked for freshness and the replay sequence number.
	 */
	uint64_t seq;
	struct re6st_prefix to; /* the recipient node's prefix */
	uint8_t sender_key[PP_KEY_LEN];
	const uint8_t *cert; /* sender's certificate, opaque here */
	size_t cert_len;
	union {
		struct { uint64_t version; } netconf_version;
		struct { const uint8_t *doc; size_t len; } netconf;
		/* validated: pp_endpoints_parse() accepts it; ADDRESS, PROBE_REQUEST */
		struct { const char *list; size_t len; } address;
		struct { uint64_t request_seq; } probe; /* seq of the probe-request */
		struct { uint8_t role; } tunnel; /* DRAIN, UNDRAIN, DESTROY, DESTROY_ACK */
		struct {
			uint64_t netconf_version;
			uint16_t protocol;
			const char *software; /* printable ASCII, not NUL-terminated */
			size_t software_len;
		} node_info;
		struct {
			uint64_t netconf_version;
			uint16_t n_client; /* first n_client entries: tunnels we opened */
			uint16_t n_served; /* then those we accepted */
			const uint8_t *entries; /* (n_client + n_served) x 17 bytes */
		} topology;
		struct {
			uint8_t tunnel_type; /* enum pp_tunnel_type */
			uint8_t flags;       /* PP_SETUP_F_* */
			uint16_t fou_port;   /* client's FOU receive port, or 0 */
		} setup_request;
		struct {
			uint64_t request_seq; /* seq of the request answered */
			uint8_t status;       /* enum pp_setup_status */
			uint8_t tunnel_type;
			uint16_t port;        /* WireGuard listen port (or FOU port) */
			uint16_t retry_after; /* seconds, for FULL/RATE_LIMITED */
			/* The request's source as the server saw it (the client's
			 * public address behind NAT): AF_INET, AF_INET6, or 0. */
			int seen_family;
			uint8_t seen_addr[16]; /* IPv4 in the first 4 bytes */
			uint16_t seen_port;
		} setup_answer;
	};
};

/*
 * Build and sign m into buf. sender_key is ignored: the public key is taken
 * from secret_key (libsodium layout). m->version is ignored (PP_VERSION is
 * written). Returns 0 with *ret_len, -EINVAL for a field out of range
 * (unknown type, non-canonical prefix, cert too large, invalid endpoint
 * list...), -ENOBUFS if buf is too small.
 */
int pp_encode(const struct pp_msg *m, const uint8_t secret_key[PP_SECRET_LEN], uint8_t *buf,
	      size_t size, size_t *ret_len);

/*
 * Parse and authenticate one datagram. Returns 0 with *ret filled, or:
 *   -EPROTO           not a peer-protocol message (bad magic)
 *   -EPROTONOSUPPORT  unknown protocol version (peer too new or too old)
 *   -EBADMSG          malformed: truncated, trailing bytes, field out of range
 *   -EOPNOTSUPP       unknown message type
 *   -EKEYREJECTED     bad signature
 * On failure, *reason (if reason is not NULL) points to a static string
 * saying what was wrong.
 */
int pp_decode(const uint8_t *buf, size_t len, struct pp_msg *ret, const char **reason);

/* Human name of a type ("netconf-version", ...), "unknown" otherwise. */
const char *pp_type_to_string(int type);
const char *pp_setup_status_to_string(int status);
/* "wg", "gre", "fou", "tcp"; NULL if unknown. */
const char *pp_tunnel_type_to_string(int type);
/* Returns the enum value or -EINVAL. */
int pp_tunnel_type_from_string(const char *s);

/*
 * Endpoint lists "ip,port,type[,country]" separated by ';' (as in the
 * original re6stnet). Parse at most max entries; -EINVAL on any syntax
 * error (bad address, port 0 or > 65535, leading zeros or signs, empty or
 * bad type, country not two upper-case letters, empty entry), -E2BIG when
 * there are more than max entries. An empty string is a valid empty list.
 */
int pp_endpoints_parse(const char *s, size_t len, struct pp_endpoint *ret, size_t max,
		       size_t *ret_n);
/* Format into buf; -ENOBUFS if too small, -EINVAL for an invalid endpoint. */
int pp_endpoints_format(const struct pp_endpoint *e, size_t n, char *buf, size_t size);

/* Topology entry i (0 <= i < n_client + n_served) of a decoded PP_TOPOLOGY. */
void pp_topology_entry(const struct pp_msg *m, size_t i, struct re6st_prefix *ret);
/* Encode helper: the 17-byte wire form of a prefix. */
void pp_prefix_pack(const struct re6st_prefix *p, uint8_t out[17]);

/*
 * Per-sender sequence state: the last PP_REPLAY_SLOTS accepted seqs, so a
 * datagram reordered behind up to that many others is still accepted, and
 * a duplicate never is. Zero-initialise.
 */
#define PP_REPLAY_SLOTS 16
struct pp_replay {
	uint64_t seen[PP_REPLAY_SLOTS]; /* 0 = free slot */
};

/*
 * Accept seq (and record it) if it is within PP_FRESHNESS_S of now_us and
 * not seen before. -ESTALE if too old or too far in the future, -EALREADY
 * for a replay, or for a seq older than every remembered one once the
 * window is full (it cannot be told apart from a replay).
 */
int pp_replay_check(struct pp_replay *r, uint64_t seq, uint64_t now_us);

/*
 * A sender's next seq: max(last + 1, now_us). Keeps seq increasing even if
 * the clock steps back, and close to real time otherwise.
 */
uint64_t pp_next_seq(uint64_t *last, uint64_t now_us);

#endif
