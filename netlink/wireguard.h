/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * wireguard.h - WireGuard devices over generic netlink (family
 * "wireguard", resolved once per nl_sock).
 *
 * The link itself is created with nl_link_create(s, name, "wireguard", ...).
 * Peer sets too large for one netlink message are split over several
 * messages; only the first carries WGDEVICE_F_REPLACE_PEERS and a peer's
 * allowed IPs may continue in the next message, as the kernel expects.
 * Note that a split update is not atomic: another reader may observe a
 * partial peer set in between.
 *
 * Errors common to every function: -ENODEV (no such interface),
 * -EOPNOTSUPP (no WireGuard in the kernel: nl_last_error() says so),
 * -EINVAL (kernel rejected an attribute), -ENOMEM, socket errors.
 */
#ifndef RE6ST_NETLINK_WIREGUARD_H
#define RE6ST_NETLINK_WIREGUARD_H

#include <time.h>

#include "nl.h"

#define NL_WG_KEY_LEN 32

/* An allowed IP range of a peer. */
struct nl_wg_allowed_ip {
	int family; /* AF_INET or AF_INET6 */
	union nl_addr addr;
	uint8_t cidr;
};

/* A peer as configured (input). */
struct nl_wg_peer_config {
	uint8_t public_key[NL_WG_KEY_LEN];
	bool has_preshared_key;
	uint8_t preshared_key[NL_WG_KEY_LEN];
	union nl_sockaddr endpoint;    /* sa_family AF_UNSPEC: leave unchanged */
	uint16_t persistent_keepalive; /* seconds, 0 = off */
	bool set_persistent_keepalive; /* false: leave unchanged on update */
	bool replace_allowed_ips;      /* true: allowed_ips replaces the peer's set */
	const struct nl_wg_allowed_ip *allowed_ips;
	size_t n_allowed_ips;
};

enum {
	NL_WG_SET_PRIVATE_KEY = 1 << 0,
	NL_WG_SET_LISTEN_PORT = 1 << 1,
	NL_WG_SET_FWMARK = 1 << 2,
	NL_WG_REPLACE_PEERS = 1 << 3, /* peers[] becomes the whole peer set */
};

/* A device configuration (input): only the fields named in flags are set. */
struct nl_wg_device_config {
	unsigned flags; /* NL_WG_* above */
	uint8_t private_key[NL_WG_KEY_LEN];
	uint16_t listen_port; /* 0 = random */
	uint32_t fwmark;      /* 0 = none */
	const struct nl_wg_peer_config *peers; /* added or updated */
	size_t n_peers;
};

/*
 * Apply cfg to the device; peers are added or updated (or, with
 * NL_WG_REPLACE_PEERS, replace all peers; n_peers 0 then removes them all).
 * Errors: see above; -EINVAL also for an allowed IP with a bad family/cidr
 * or an endpoint that is neither AF_INET nor AF_INET6 nor AF_UNSPEC (not
 * sent then).
 */
int nl_wg_device_set(struct nl_sock *s, int ifindex, const struct nl_wg_device_config *cfg);

/* Add the peer, or update it if its public key is already there. */
int nl_wg_peer_set(struct nl_sock *s, int ifindex, const struct nl_wg_peer_config *peer);

/* Remove the peer with this public key (no error if it is not there). */
int nl_wg_peer_remove(struct nl_sock *s, int ifindex, const uint8_t public_key[NL_WG_KEY_LEN]);

/* Replace the whole peer set (WGDEVICE_F_REPLACE_PEERS); keys/port unchanged. */
int nl_wg_peers_replace(struct nl_sock *s, int ifindex, const struct nl_wg_peer_config *peers,
			size_t n_peers);

/* A peer as read back from the kernel. */
struct nl_wg_peer {
	uint8_t public_key[NL_WG_KEY_LEN];
	bool has_preshared_key;
	union nl_sockaddr endpoint; /* current endpoint, AF_UNSPEC if none */
	uint16_t persistent_keepalive;
	struct timespec last_handshake; /* 0.0 = never */
	uint64_t rx_bytes, tx_bytes;
	struct nl_wg_allowed_ip *allowed_ips;
	size_t n_allowed_ips;
};

/* A device as read back from the kernel. */
struct nl_wg_device {
	int ifindex;
	char name[16];
	bool has_private_key;
	uint8_t private_key[NL_WG_KEY_LEN];
	uint8_t public_key[NL_WG_KEY_LEN];
	uint16_t listen_port;
	uint32_t fwmark;
	struct nl_wg_peer *peers;
	size_t n_peers;
};

/*
 * Read the device with all its peers (a dump spanning several messages if
 * needed; an interrupted dump is retried). Free with nl_wg_device_free().
 * Errors: see above; -EBADMSG if the kernel's reply is malformed.
 */
int nl_wg_device_get(struct nl_sock *s, int ifindex, struct nl_wg_device **ret);

/* Free a device read back; wipes the private key. Accepts NULL. */
void nl_wg_device_free(struct nl_wg_device *d);
DEFINE_FREEP(struct nl_wg_device, nl_wg_device_free)

/* Find a peer of d by public key, NULL if absent. */
const struct nl_wg_peer *nl_wg_device_find_peer(const struct nl_wg_device *d,
						 const uint8_t public_key[NL_WG_KEY_LEN]);

/*
 * Base64 (44 characters, WireGuard's format) to a key and back.
 * Errors: -EINVAL if the text is not exactly one 32-byte key.
 */
int nl_wg_key_from_base64(const char *b64, uint8_t ret_key[NL_WG_KEY_LEN]);
/* buf must hold 45 bytes. */
void nl_wg_key_to_base64(const uint8_t key[NL_WG_KEY_LEN], char buf[45]);

#endif
