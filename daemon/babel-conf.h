/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * babel-conf.h - the "babel" module: babeld's parameters from the node's
 * identity, network configuration, options and HMAC keys (the registry's,
 * else the cached ones), babeld started with them (daemon/babel.h), babel
 * routes left in the kernel by a previous babeld removed. On a network
 * without key babeld signs with a random placeholder key and accepts every
 * packet. On EV_HMAC it gives the running babeld the new keys
 * (daemon/babel-rekey.h), holding the kernel routes through each interface
 * babeld flushes meanwhile; it restarts babeld only when babeld's command
 * line changes.
 */
#ifndef RE6ST_DAEMON_BABEL_CONF_H
#define RE6ST_DAEMON_BABEL_CONF_H

struct ctx;

int babel_mod_init(struct ctx *c);
void babel_mod_fini(struct ctx *c);

#endif
