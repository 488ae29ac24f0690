/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * re6st-registry: certificate authority, prefix allocator and network
 * configuration server of a re6st network.
 */
#include <arpa/inet.h>
#include <curl/curl.h>
#include <errno.h>
#include <inttypes.h>
#include <microhttpd.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "community.h"
#include "config.h"
#include "db.h"
#include "fileio.h"
#include "http.h"
#include "identity.h"
#include "log.h"
#include "macro.h"
#include "metrics.h"
#include "netconf.h"
#include "prefix.h"
#include "options.h"
#include "registry.h"
#include "ratelimit.h"
#include "remote-log.h"
#include "sdnotify.h"
#include "statedir.h"


static int create_network(const char *spec, const char *ca_path, const char *key_path)
{
	_cleanup_(key_freep) struct re6st_key *k = NULL;
	struct re6st_prefix net;
	struct re6st_ca ca;
	char fp[RE6ST_FP_HEXLEN], buf[PREFIX_STRLEN];
	int r;

	if (prefix_parse(spec, &net) < 0) {
		log_error("--create-network: '%s' is not an IPv6 prefix (e.g. 2001:db8:42::/48)"
			  " with host bits zero", spec);
		return -EINVAL;
	}
	if (access(ca_path, F_OK) == 0 || access(key_path, F_OK) == 0) {
		log_error("--create-network: %s or %s already exists; refusing to overwrite",
			  ca_path, key_path);
		return -EEXIST;
	}
	r = key_generate(false, &k);
	if (r < 0)
		return log_errno(LOG_ERR, r, "cannot generate the registry key");
	r = ca_create(&net, k, (uint64_t)time(NULL), &ca);
	if (r < 0)
		return log_errno(LOG_ERR, r, "cannot create a CA for %s (length must be 1..120)",
				 spec);
	r = key_save(k, key_path);
	if (r < 0)
		return log_errno(LOG_ERR, r, "cannot write %s", key_path);
	r = ca_save(&ca, ca_path);
	if (r < 0) {
		unlink(key_path);
		return log_errno(LOG_ERR, r, "cannot write %s", ca_path);
	}
	printf("Network %s created.\nCA: %s\nKey: %s (keep it secret)\nFingerprint: %s\n",
	       prefix_format(&net, buf), ca_path, key_path, ca_fingerprint_hex(&ca, fp));
	return 0;
}

static int load_communities(struct registry *reg)
{
	_cleanup_free_ char *text = NULL;
	size_t len;
	unsigned line = 0;
	const char *err = NULL;
	int r;

	if (!reg->opt.community_path)
		return community_default(&reg->communities);
	r = read_file_full(reg->opt.community_path, 1 << 20, &text, &len);
	if (r < 0)
		return log_errno(LOG_ERR, r, "cannot read %s", reg->opt.community_path);
	r = community_parse(text, len, &reg->communities, &line, &err);
	if (r == -EINVAL) {
		if (line)
			log_error("%s:%u: %s", reg->opt.community_path, line, err);
		else
			log_error("%s: %s", reg->opt.community_path, err);
	}
	return r;
}

struct setup_ctx {
	struct registry *reg;
	uint64_t now;
	char *err; /* out: why the communities do not fit */
};

enum { SETUP_OTHER_NETWORK = 1, SETUP_BAD_COMMUNITY };

static int setup_tx(struct db_tx *tx, void *arg)
{
	struct setup_ctx *c = arg;
	struct registry *reg = c->reg;
	_cleanup_free_ uint8_t *fp = NULL, *prefix = NULL;
	size_t fp_len, prefix_len;
	int r;

	r = db_config_get_blob(tx, "ca_fingerprint", &fp, &fp_len);
	if (r == -ENOENT) {
		/* A new database: this is the network's creation. */
		r = db_config_set_blob(tx, "ca_fingerprint", reg->ca.fingerprint, RE6ST_FP_LEN);
		if (r >= 0)
			r = registry_init_hmac(tx);
	} else if (r >= 0 && (fp_len != RE6ST_FP_LEN ||
			      memcmp(fp, reg->ca.fingerprint, RE6ST_FP_LEN) != 0))
		return SETUP_OTHER_NETWORK;
	if (r < 0)
		return r;
	r = db_tree_init(tx, &reg->communities, &c->err);
	if (r == -EINVAL)
		return SETUP_BAD_COMMUNITY;
	if (r < 0)
		return r;
	r = db_config_get_blob(tx, "prefix", &prefix, &prefix_len);
	if (r == 0 && prefix_len < sizeof(reg->registry_prefix)) {
		memcpy(reg->registry_prefix, prefix, prefix_len);
		reg->registry_prefix[prefix_len] = '\0';
		reg->has_registry_prefix = true;
	} else if (r < 0 && r != -ENOENT)
		return r;
	return registry_update_netconf(reg, tx, false, c->now);
}

static int setup_db(struct registry *reg, uint64_t now)
{
	struct setup_ctx c = { .reg = reg, .now = now };
	int r;

	r = db_open(reg->opt.db_path, &reg->db);
	if (r < 0)
		return r == -EPROTONOSUPPORT
			       ? log_errno(LOG_ERR, r, "database %s was written by a newer "
					   "re6st-registry (schema newer than version %d): left "
					   "untouched", reg->opt.db_path, DB_SCHEMA_VERSION)
			       : log_errno(LOG_ERR, r, "cannot open database %s", reg->opt.db_path);
	r = db_tx(reg->db, reg->opt.db_path, setup_tx, &c);
	switch (r) {
	case 0:
		break;
	case SETUP_OTHER_NETWORK:
		log_error("database %s belongs to another network (CA fingerprint differs)",
			  reg->opt.db_path);
		r = -EXDEV;
		break;
	case SETUP_BAD_COMMUNITY:
		log_error("invalid community configuration: %s", c.err ? c.err : "?");
		r = -EINVAL;
		break;
	default:
		log_errno(LOG_ERR, r, "cannot initialise database %s", reg->opt.db_path);
	}
	free(c.err);
	return r;
}

static void registry_done(struct registry *reg)
{
	if (reg->netconf_response)
		MHD_destroy_response(reg->netconf_response);
	free(reg->netconf_armour);
	free(reg->netconf_bin);
	if (reg->db)
		db_close(reg->db);
	key_free(reg->ca_key);
	community_map_clear(&reg->communities);
	ratelimit_done(&reg->anon_rate);
	ratelimit_done(&reg->token_rate_ip);
	ratelimit_done(&reg->token_rate_mail);
	metrics_free(reg->metrics);
	remote_log_done();
	pthread_mutex_destroy(&reg->anon_lock);
	pthread_mutex_destroy(&reg->lock);
}

int main(int argc, char **argv)
{
	/* Static: the options live as long as the process, early exits included. */
	static struct registry_cmdline cmd;
	struct registry reg = {};
	struct registry_options *o = &reg.opt;
	struct http_server *d4 = NULL, *d6 = NULL;
	_cleanup_close_ int lock_fd = -1;
	char err[512] = "";
	int r;
	sigset_t sigs;

	r = registry_cmdline_init(&cmd);
	if (r >= 0)
		r = registry_cmdline_parse(&cmd, argc, argv, err, sizeof(err));
	if (r != 0) {
		if (r < 0)
			log_cli_error("%s", r == -ENOMEM ? "out of memory" : err);
		if (r == -EINVAL)
			fprintf(stderr, "Try 're6st-registry --help'.\n");
		registry_cmdline_done(&cmd);
		return r > 0 ? 0 : 2;
	}
	reg.opt = cmd.opt; /* the strings stay cmd's */
	const char *log_path = cmd.log_path;
	int level = cmd.level;
	pthread_mutex_init(&reg.lock, NULL);
	pthread_mutex_init(&reg.anon_lock, NULL);
	r = log_setup("re6st-registry", level, log_path ? LOG_TARGET_FILE : LOG_TARGET_STDERR,
		      log_path);
	if (r < 0) {
		log_cli_error("cannot open log %s: %s", log_path, strerror(-r));
		return 1;
	}
	if (identity_init() < 0) {
		log_error("cannot initialise libsodium");
		return 1;
	}
	if (cmd.create_network)
		return create_network(cmd.create_network, o->ca_path, o->key_path) < 0 ? 1 : 0;
	if (remote_log_init() < 0 || metrics_new(&reg.metrics) < 0 ||
	    (o->anonymous_rate &&
	     ratelimit_init(&reg.anon_rate, 4096, o->anonymous_rate,
			    MAX(1u, 3600000u / o->anonymous_rate)) < 0) ||
	    (o->token_rate &&
	     (ratelimit_init(&reg.token_rate_ip, 4096, o->token_rate,
			     MAX(1u, 3600000u / o->token_rate)) < 0 ||
	      ratelimit_init(&reg.token_rate_mail, 4096, o->token_rate,
			     MAX(1u, 3600000u / o->token_rate)) < 0))) {
		log_error("out of memory");
		registry_done(&reg);
		return 1;
	}

	r = ca_load(o->ca_path, &reg.ca);
	if (r < 0) {
		log_error("cannot load CA %s: %s", o->ca_path, identity_strerror(r));
		return 1;
	}
	r = key_load(o->key_path, &reg.ca_key);
	if (r < 0) {
		log_error("cannot load key %s: %s", o->key_path, identity_strerror(r));
		registry_done(&reg);
		return 1;
	}
	if (memcmp(reg.ca_key->sign_pk, reg.ca.sign_pk, RE6ST_SIGN_PK_LEN) != 0) {
		log_error("key %s does not belong to CA %s", o->key_path, o->ca_path);
		registry_done(&reg);
		return 1;
	}
	reg.max_len = 128u - reg.ca.network.len;
	if (o->prefix_length > reg.max_len || o->anonymous_prefix_length > reg.max_len) {
		log_error("prefix lengths must be at most %u for network /%u", reg.max_len,
			  reg.ca.network.len);
		registry_done(&reg);
		return 2;
	}
	r = load_communities(&reg);
	if (r < 0) {
		registry_done(&reg);
		return r == -EINVAL ? 2 : 1;
	}
	{
		size_t cl = community_max_len(&reg.communities);
		if ((o->prefix_length && cl >= o->prefix_length) ||
		    (o->anonymous_prefix_length && cl >= o->anonymous_prefix_length)) {
			log_error("communities (%zu bits) must be shorter than the prefix lengths", cl);
			registry_done(&reg);
			return 2;
		}
	}
	umask(077);
	if (strcmp(o->db_path, ":memory:") != 0) {
		_cleanup_free_ char *lock_path = NULL;

		r = statedir_lock(o->db_path, &lock_path, &lock_fd);
		if (r == -EWOULDBLOCK) {
			log_error("another re6st-registry is running on %s (it holds %s): exiting",
				  o->db_path, lock_path);
			if (log_path)
				fprintf(stderr, "re6st-registry: another instance is running on %s"
						" (it holds %s)\n", o->db_path, lock_path);
			registry_done(&reg);
			return 2;
		}
		if (r < 0) {
			log_errno(LOG_ERR, r, "cannot lock %s", lock_path ? lock_path : o->db_path);
			registry_done(&reg);
			return 1;
		}
	}
	curl_global_init(CURL_GLOBAL_DEFAULT);
	if (setup_db(&reg, registry_now()) < 0) {
		registry_done(&reg);
		return 1;
	}
	r = registry_housekeeping(&reg, registry_now());
	if (r < 0)
		log_errno(LOG_WARNING, r, "housekeeping failed");

	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL); /* before MHD threads exist */
	signal(SIGPIPE, SIG_IGN);

	if (o->bind4 && o->bind4[0]) {
		r = http_start(&reg, o->bind4, o->port, &d4);
		if (r < 0) {
			log_errno(LOG_ERR, r, "cannot listen on %s port %u", o->bind4, o->port);
			goto out;
		}
	}
	if (o->bind6 && o->bind6[0]) {
		r = http_start(&reg, o->bind6, o->port, &d6);
		if (r < 0) {
			log_errno(LOG_ERR, r, "cannot listen on [%s] port %u", o->bind6, o->port);
			goto out;
		}
	}
	{
		char buf[PREFIX_STRLEN];
		log_notice("re6st-registry %s: network %s, port %u, configuration version %" PRIu64,
			   RE6ST_VERSION, prefix_format(&reg.ca.network, buf), o->port,
			   reg.netconf_version);
	}
	/* Listening: systemd may start what comes after us (Type=notify). */
	sdnotifyf("READY=1\nSTATUS=serving network /%u on port %u", reg.ca.network.len, o->port);
	/* Housekeeping every 60 s; WATCHDOG=1 at half of WatchdogSec=. */
	uint64_t watchdog_ms = sdnotify_watchdog_ms(), next_housekeeping = ratelimit_now_ms() + 60000;
	for (;;) {
		uint64_t now = ratelimit_now_ms(), wait_ms = next_housekeeping - MIN(now, next_housekeeping);
		if (watchdog_ms)
			wait_ms = MIN(wait_ms, watchdog_ms);
		struct timespec ts = { .tv_sec = (time_t)(wait_ms / 1000),
				       .tv_nsec = (long)(wait_ms % 1000) * 1000000 };
		int sig = sigtimedwait(&sigs, NULL, &ts);

		if (watchdog_ms)
			sdnotify("WATCHDOG=1");
		if (sig == SIGINT || sig == SIGTERM) {
			log_notice("signal %d: exiting", sig);
			sdnotify("STOPPING=1");
			break;
		}
		if (sig == SIGHUP && log_path)
			log_setup("re6st-registry", level, LOG_TARGET_FILE, log_path);
		if (sig != SIGHUP && ratelimit_now_ms() < next_housekeeping)
			continue;
		next_housekeeping = ratelimit_now_ms() + 60000;
		r = registry_housekeeping(&reg, registry_now());
		if (r < 0)
			log_errno(LOG_WARNING, r, "housekeeping failed");
	}
	r = 0;
out:
	http_stop(d4);
	http_stop(d6);
	registry_done(&reg);
	registry_cmdline_done(&cmd);
	curl_global_cleanup();
	log_close();
	return r < 0 ? 1 : 0;
}
