/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * status.h - GET /status: the registry's page for operators (authorized
 * origins only, like /metrics): the network, the HMAC rotation phase, the
 * nodes (prefix, version, country hint, last announce), the tunnels drawn
 * as an inline SVG computed here, the revoked certificates.  One HTML
 * document, no script, no external asset.  Loading it runs a versions and
 * a topology survey of one second each (survey.h).
 */
#ifndef RE6ST_REGISTRY_STATUS_H
#define RE6ST_REGISTRY_STATUS_H

#include "registry.h"

/* reply: 200 text/html; 0 or -errno. */
int status_page(struct registry *reg, struct rpc_reply *reply);

#endif
