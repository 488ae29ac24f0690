/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * push.h - push the network configuration to the nodes the registry knows.
 *
 * After a change that must spread at once (revoke, updateHMAC), the
 * registry sends the signed document in a peer-protocol `netconf` datagram,
 * with no certificate and signed with the CA key, to the control endpoint
 * every live node announced (docs/peer-protocol.md, "Registry push"). The
 * pushed nodes gossip it on, so a revocation reaches the whole network even
 * if the registry stops right after. Best effort: a lost datagram is covered
 * by the nodes' periodic getNetworkConfig.
 */
#ifndef RE6ST_REGISTRY_PUSH_H
#define RE6ST_REGISTRY_PUSH_H

struct registry;

/*
 * Send the current document to every announced endpoint younger than
 * --peer-ttl. Takes reg->lock itself (call it after the change committed,
 * lock released). Returns the number of datagrams sent, or -errno when
 * nothing could be sent (no socket, no document).
 */
int registry_push_netconf(struct registry *reg);

#endif
