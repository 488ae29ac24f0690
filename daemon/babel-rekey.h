/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once
/*
 * The "babel-rekey" module: new HMAC keys (and interface options) given to a
 * running babeld over its local socket, without restarting it (the
 * HMAC section of docs/daemon.md).
 *
 * babeld (1.12 to 1.14) replaces the value of an existing key id in place
 * when it reads "key id ID type T value HEX": every interface that names
 * that key signs and checks with the new value from its next packet. An
 * interface's key binding and its accept-bad-signatures flag are read only
 * when babeld brings the interface up: changing them needs "flush interface"
 * and the interface again, which loses that interface's neighbours and the
 * routes through them until babeld hears them again.
 */
#include "babel.h"
#include "loop.h"

struct babel_rekey;

/* Registered by the upper module: hold true just before an interface is
 * flushed, false once its routes are back or the wait is over (or the rekey
 * is freed): it keeps the kernel's routes through that interface meanwhile. */
struct babel_rekey_hold {
	void (*fn)(const char *ifname, bool hold, void *userdata);
	void *userdata;
};

/*
 * After babel_reconfigure() answered how (1 or 2) for the parameters p:
 * sends "key id sign type T value HEX" (p's sign key). For 2 (the LAN
 * interfaces' options changed: accept-bad-signatures turned on or off) it
 * then flushes and adds again, one at a time, every interface babeld runs
 * on that is one of p's LAN interfaces (with p's default options and key;
 * tunnels have no key), each after the routes and two-way neighbours
 * through the previous one are back, or after 8 hello intervals (p->hello,
 * at least 4 s). hold (copied; may be NULL) is told
 * around each flush. A rekey still in progress in *rp is freed first. 0 or
 * -errno (-EINVAL: no sign key).
 */
int babel_rekey_start(struct babel_rekey **rp, struct loop *l, struct babel *b,
		      const struct babel_params *p, int how, const struct babel_rekey_hold *hold);
/* Cancel what is left (NULL-safe). */
void babel_rekey_free(struct babel_rekey *r);
