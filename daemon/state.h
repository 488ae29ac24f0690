/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * state.h - the node's persistent state: one SQLite database (WAL mode) in
 * the state directory, cache.db.
 *
 *   - settings: small key/value items (the babel router-id, ...);
 *   - the last verified network configuration, so that a restart works
 *     with the registry down;
 *   - the peer cache: prefixes and endpoints of nodes seen, to find peers
 *     without the registry;
 *   - the journal of kernel objects the daemon created (links, addresses,
 *     routes), written before the object is made and removed after it is
 *     deleted, so that after a kill -9 the next start removes leftovers.
 *
 * Every write is its own transaction (synchronous=NORMAL under WAL: a
 * power cut may lose the last writes, never corrupt). Functions return 0 or
 * -errno: -ENOENT (no such item), -ENOMEM, -EIO (SQLite error; the message
 * is in state_last_error()), -EINVAL (bad argument).
 */
#ifndef RE6ST_DAEMON_STATE_H
#define RE6ST_DAEMON_STATE_H

#include <stddef.h>
#include <stdint.h>

#include "macro.h"
#include "prefix.h"

struct state;

/* The schema version this build writes (PRAGMA user_version). */
#define STATE_SCHEMA_VERSION 1

/*
 * Open (create) the database at path, set WAL mode and bring its schema to
 * STATE_SCHEMA_VERSION (forward migrations, each in one transaction).
 * -EPROTONOSUPPORT: the file's schema is newer (a downgrade); the file is
 * not touched.
 */
int state_open(const char *path, struct state **ret);
void state_close(struct state *s);
DEFINE_FREEP(struct state, state_close)
/* SQLite's message for the last failure, or "". */
const char *state_last_error(const struct state *s);

/* ---- settings ---- */
int state_get_blob(struct state *s, const char *key, uint8_t **ret, size_t *ret_len);
int state_set_blob(struct state *s, const char *key, const void *data, size_t len);
int state_get_u64(struct state *s, const char *key, uint64_t *ret);
int state_set_u64(struct state *s, const char *key, uint64_t value);
int state_delete(struct state *s, const char *key);

/* The signed network configuration, as received (encoded form). */
#define STATE_KEY_NETCONF "netconf"
#define STATE_KEY_COUNTRY "country"   /* the registry's record of our country */
#define STATE_KEY_ROUTER_ID "babel-router-id"
/* The babel HMAC keys last received from the registry (a restart without the
 * registry must still be heard by the neighbours). */
#define STATE_KEY_HMAC "babel-hmac"

/* ---- peer cache ---- */
struct state_peer {
	struct re6st_prefix prefix;
	char *endpoints;    /* "ip,port,type[,country];..." as the peer protocol gives */
	uint64_t last_seen; /* unix seconds */
};

/* Insert or update a peer (endpoints NULL keeps the known ones). */
int state_peer_put(struct state *s, const struct re6st_prefix *prefix, const char *endpoints,
		   uint64_t last_seen);
int state_peer_remove(struct state *s, const struct re6st_prefix *prefix);
/* How many peers the cache holds. */
int state_peer_count(struct state *s, size_t *ret);
/* One peer. -ENOENT if unknown. Free ret->endpoints. */
int state_peer_get(struct state *s, const struct re6st_prefix *prefix, struct state_peer *ret);
/*
 * Which of prefixes[0..n) the cache holds (ret_cached[i]), and how many
 * peers it holds in all (ret_count): one read transaction, whatever n.
 */
int state_peers_cached(struct state *s, const struct re6st_prefix *prefixes, size_t n,
		       bool *ret_cached, size_t *ret_count);
/*
 * Up to max peers (0 = all) in random order, excluding none. Free with
 * state_peers_free().
 */
int state_peer_list(struct state *s, size_t max, struct state_peer **ret, size_t *ret_n);
void state_peers_free(struct state_peer *p, size_t n);
/* Keep the `keep` most recently seen peers; remove the rest. */
int state_peer_prune(struct state *s, size_t keep);

/* ---- journal of kernel objects ---- */
enum state_object_type {
	STATE_OBJ_LINK = 1,    /* ifname = link name, data = kind ("wireguard", ...) */
	STATE_OBJ_ADDRESS = 2, /* ifname = interface, data = "addr/len" */
	STATE_OBJ_ROUTE = 3,   /* ifname = "" or interface, data = route spec (see
	                          objects.h) */
	STATE_OBJ_TC = 4,      /* ifname = interface, data = "drain" */
	STATE_OBJ_FOU = 5,     /* ifname = "", data = "inet PORT" or "inet6 PORT" */
};

struct state_object {
	enum state_object_type type;
	char ifname[16];
	char data[128];
};

/* Record an object (idempotent). -EINVAL if ifname/data too long. */
int state_journal_add(struct state *s, enum state_object_type type, const char *ifname,
		      const char *data);
/* Forget it (0 if it was not there). */
int state_journal_remove(struct state *s, enum state_object_type type, const char *ifname,
			 const char *data);
/* Every recorded object, newest first (free() the array). */
int state_journal_list(struct state *s, struct state_object **ret, size_t *ret_n);

#endif
