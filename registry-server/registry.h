/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * registry.h - re6st-registry's state shared by the HTTP front end and the
 * RPC implementations.
 *
 * Threads: libmicrohttpd runs a small pool of threads.  Every access to the
 * database goes through db_tx()/db_read(), under the database's lock; the
 * fields below marked "db lock" are only used there.  reg->lock guards
 * the cached netconf_response alone (taken inside the db lock when it is
 * replaced).  Work that may block for long (SMTP) is done outside both.
 */
#ifndef RE6ST_REGISTRY_H
#define RE6ST_REGISTRY_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "community.h"
#include "identity.h"
#include "netconf.h"
#include "ratelimit.h"

#define RENEW_PERIOD (30 * 86400)            /* renew in the last 30 days */
#define DEFAULT_CERT_DURATION (365 * 86400)  /* certificates last one year */
#define DEFAULT_GRACE_PERIOD (100 * 86400)
#define NONCE_WINDOW REQSIGN_DEFAULT_WINDOW
#define MAX_ORIGINS 32

struct registry_options {
	unsigned port;
	char *bind4, *bind6;               /* "" disables that family */
	char *db_path, *ca_path, *key_path;
	char *mailhost, *smtp_user, *smtp_pwd, *mail_from;
	bool smtp_starttls;
	unsigned prefix_length;            /* 0: registration by token disabled */
	unsigned anonymous_prefix_length;  /* 0: anonymous registration disabled */
	bool has_ipv4;
	uint8_t ipv4_net[4];
	unsigned ipv4_len, ipv4_sublen;
	unsigned min_protocol;
	char *origins[MAX_ORIGINS];
	unsigned n_origins;
	char *community_path;
	uint64_t grace_period;
	unsigned hello, client_count, max_clients, tunnel_refresh;
	char *same_country;
	uint32_t tunnel_types;
	/* the tunnel policy: shares and weights in millionths (lib/netconf.h) */
	uint32_t rotate_share, busy_share, busy_weight, anchor_share, drain_limit;
	/* the metric and failure detection on tunnels (lib/netconf.h) */
	uint32_t link_cost, smoothing, dead_after;
	struct re6st_prefix anchors[NETCONF_MAX_ANCHORS];
	size_t n_anchors;
	uint64_t cert_duration;            /* testing: --cert-duration */
	unsigned threads, max_connections, timeout;
	unsigned max_per_address;          /* connections from one address */
	unsigned request_deadline;         /* seconds for a whole request */
	size_t connection_memory;          /* libmicrohttpd pool per connection */
	unsigned anonymous_rate;           /* anonymous registrations per hour per address; 0: no limit */
	unsigned token_rate;               /* requestToken mails per hour per address and per e-mail; 0: no limit */
	size_t max_body;
	unsigned peer_ttl;                 /* announced endpoints expire after */
};

struct MHD_Response;

struct registry {
	struct registry_options opt;
	pthread_mutex_t lock; /* netconf_response */
	struct db *db;
	struct re6st_ca ca;
	struct re6st_key *ca_key;
	struct community_map communities;
	unsigned max_len; /* 128 - network length */

	/* Network configuration, rebuilt on every change (db lock). */
	uint64_t netconf_version;
	char *netconf_armour;
	size_t netconf_armour_len;
	uint8_t *netconf_bin;                  /* the same, binary: what push.c sends */
	size_t netconf_bin_len;
	uint64_t push_seq;                     /* last sequence number pushed */
	struct MHD_Response *netconf_response; /* cached, refcounted by MHD (reg->lock) */
	bool has_registry_prefix;              /* db lock */
	char registry_prefix[129];

	struct reg_metrics *metrics;           /* metrics.h; NULL: not counted */

	/* --anonymous-rate and --token-rate: buckets per address (IPv6: per
	 * /64) and, for tokens, per e-mail address; all under anon_lock. */
	pthread_mutex_t anon_lock;
	struct ratelimit anon_rate;
	struct ratelimit token_rate_ip, token_rate_mail;
};

/* A reply built by an RPC: HTTP status and body (malloc'ed). */
struct rpc_reply {
	unsigned status;
	char *body;
	size_t len;
	const char *content_type;
	struct MHD_Response *response; /* pre-built response to queue instead */
};

struct query;
struct reqsig;
struct db_tx;

struct rpc_call {
	struct registry *reg;
	const char *name;
	const struct query *q;
	const char *client_ip;             /* the HTTP peer (or the proxied client) */
	const struct re6st_cert *cert;     /* signed requests: the caller */
	const char *cert_prefix;           /* its node prefix as '0'/'1' */
	uint64_t now;
};

enum {
	RPC_PRIVATE = 1 << 0,     /* --authorized-origin only */
	RPC_SIGNED = 1 << 1,      /* by a node, with its certificate */
	RPC_EXPIRED_OK = 1 << 2,  /* signed, the certificate may be expired/revoked */
};

struct rpc_def {
	const char *name;
	int (*fn)(const struct rpc_call *call, struct rpc_reply *reply);
	unsigned flags;
	const char *const *args; /* allowed argument names, NULL-terminated */
};

/* Lookup an RPC by name; NULL when unknown. */
const struct rpc_def *rpc_lookup(const char *name);

/* Set reply to status with a text/plain message "msg\n"; returns 0. */
int rpc_error(struct rpc_reply *reply, unsigned status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * (Re)build the signed network configuration from the database and the
 * options, bumping the version when bump is true or when the parameters
 * changed since last time.  Called inside a db_tx() transaction.
 * 0 or -errno.
 */
int registry_update_netconf(struct registry *reg, struct db_tx *tx, bool bump, uint64_t now);

/* Creation of a network: the first babel HMAC key, inside a transaction. */
int registry_init_hmac(struct db_tx *tx);

/* Purge expired tokens, certificates, nonces and revocations; returns 0 or -errno. */
int registry_housekeeping(struct registry *reg, uint64_t now);

/* Current time, shifted by RE6ST_REGISTRY_CLOCK_OFFSET (tests only). */
uint64_t registry_now(void);

/* Send a token by mail (mbox file or SMTP); 0 or -errno, *ret_error set. */
int mail_send_token(const struct registry_options *opt, const char *to, const char *token,
		    char **ret_error);

/*
 * One more anonymous registration from ip: false when --anonymous-rate is
 * used up for its address (IPv6: its /64).  --authorized-origin addresses
 * are not limited.
 */
bool registry_anonymous_allowed(struct registry *reg, const char *ip);

/*
 * One more token mailed to email at the request of ip: false when
 * --token-rate is used up for ip's address (IPv6: its /64) or for email
 * (compared without case). --authorized-origin addresses are not limited.
 */
bool registry_token_allowed(struct registry *reg, const char *ip, const char *email);

/* Check the address (text) against --authorized-origin. */
bool registry_origin_allowed(const struct registry *reg, const char *ip);

#endif
