/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * netconf-store.h - the start-up "registry" module (module 6 of main.c):
 * renews the certificate when due (cert_renew_due()), fetches the network
 * configuration or falls back on the cached one, accepts an expired
 * certificate only within the network's grace period. The functions that
 * adopt configurations and certificates later are in ctx.h.
 */
#ifndef RE6ST_DAEMON_NETCONF_STORE_H
#define RE6ST_DAEMON_NETCONF_STORE_H

struct ctx;

int registry_mod_init(struct ctx *c);
void registry_mod_fini(struct ctx *c);

#endif
