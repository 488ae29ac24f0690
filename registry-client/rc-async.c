/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "rc-internal.h"

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "armour.h"
#include "config.h"
#include "macro.h"
#include "reqsign.h"
#include "transport.h"

/* ---- non-blocking calls ------------------------------------------------- */

struct rc_async {
	struct registry_client *c;
	char *rpc, *url;
	unsigned flags;
	struct rc_transfer *t;
	struct answer a;
	uint8_t nonce[REQSIGN_NONCE_LEN];
	bool done;
	int result;
	char error[512];   /* this request's error in words (as c->error) */
};

/* Keep the client's last error with the request it belongs to. */
static int async_error(struct rc_async *x, int r)
{
	if (r < 0 && r != -EAGAIN)
		snprintf(x->error, sizeof(x->error), "%s",
			 x->c->error[0] ? x->c->error : strerror(-r));
	return r;
}

const char *rc_async_error(const struct rc_async *x)
{
	return x->error;
}

void rc_async_free(struct rc_async *x)
{
	if (!x)
		return;
	rc_transfer_free(x->t);
	rci_answer_clear(&x->a);
	free(x->rpc);
	free(x->url);
	free(x);
}

int rc_async_start(struct registry_client *c, const char *rpc, const char *query, bool sign,
		   struct rc_async **ret)
{
	_cleanup_(rc_async_freep) struct rc_async *x = calloc(1, sizeof(*x));
	char err[RC_ERRLEN] = "";
	struct prepared p;
	int r;

	if (!x)
		return -ENOMEM;
	if (!query)
		query = "";
	if (sign && !c->has_ca)
		return rci_set_error(c, -EINVAL, "%s: no CA set to verify answers", rpc);
	x->c = c;
	x->flags = sign ? CALL_SIGNED : 0;
	x->rpc = strdup(rpc);
	if (!x->rpc || asprintf(&x->url, "%s/%s%s%s", c->url, rpc, query[0] ? "?" : "", query) < 0)
		return -ENOMEM;
	c->error[0] = '\0';
	r = rci_prepare(c, rpc, x->url, query, x->flags, x->nonce, &p);
	if (r < 0)
		return r;
	r = rc_transfer_start(&p.req, &x->t, err);
	rci_prepared_clear(&p);
	if (r < 0)
		return rci_set_error(c, r, "%s: %s", x->url, err[0] ? err : strerror(-r));
	r = rc_async_process(x);
	if (r < 0)
		return r;
	*ret = TAKE_PTR(x);
	return 0;
}

int rc_async_fds(struct rc_async *x, struct pollfd *fds, size_t max, size_t *ret_n,
		 int *ret_timeout_ms)
{
	if (x->done) {
		*ret_n = 0;
		*ret_timeout_ms = 0;
		return 0;
	}
	return rc_transfer_fds(x->t, fds, max, ret_n, ret_timeout_ms);
}

int rc_async_process(struct rc_async *x)
{
	struct rc_response resp = {};
	char err[RC_ERRLEN] = "";
	int r;

	if (x->done)
		return 1;
	r = rc_transfer_process(x->t);
	if (r <= 0)
		return r;
	x->done = true;
	r = rc_transfer_result(x->t, &resp, err);
	x->result = rci_take_response(x->c, x->url, r, &resp, err, &x->a);
	/* The helper (spawn transport) is gone: nothing to keep. */
	rc_transfer_free(TAKE_PTR(x->t));
	async_error(x, x->result);
	return 1;
}

int rc_async_result(struct rc_async *x, unsigned *ret_status, char **ret_body, size_t *ret_len)
{
	int r;

	if (!x->done)
		return -EAGAIN;
	if (x->result < 0)
		return x->result;
	if (x->a.status >= 200 && x->a.status < 300) {
		r = rci_check_answer(x->c, x->rpc, x->flags, true, &x->a, x->nonce);
		if (r < 0)
			return async_error(x, r);
	}
	*ret_status = x->a.status;
	*ret_len = x->a.len;
	*ret_body = x->a.body ? TAKE_PTR(x->a.body) : strdup("");
	return *ret_body ? 0 : -ENOMEM;
}

/* ---- non-blocking RPCs with parsed answers ---------------------------- */

/* The finished request's answer, checked as rci_call() checks it. */
static int async_answer(struct rc_async *x, const char *rpc, bool allow_empty)
{
	int r;

	if (!x->done)
		return -EAGAIN;
	if (strcmp(x->rpc, rpc) != 0)
		return -EINVAL;
	if (x->result < 0)
		return x->result;
	x->c->error[0] = '\0';
	r = rci_check_answer(x->c, x->rpc, x->flags, allow_empty, &x->a, x->nonce);
	return async_error(x, r);
}

int rc_async_get_network_config(struct registry_client *c, struct rc_async **ret)
{
	if (!c->has_ca)
		return rci_set_error(c, -EINVAL, "getNetworkConfig: no CA set");
	return rc_async_start(c, "getNetworkConfig", "", false, ret);
}

int rc_async_network_config_result(struct rc_async *x, struct re6st_netconf **ret,
				   uint8_t **ret_encoded, size_t *ret_encoded_len)
{
	int r = async_answer(x, "getNetworkConfig", false);

	if (r == 0)
		r = rci_parse_netconf_answer(x->c, &x->a, ret, ret_encoded, ret_encoded_len);
	return async_error(x, r);
}

int rc_async_renew_certificate(struct registry_client *c, struct rc_async **ret)
{
	return rc_async_start(c, "renewCertificate", "", true, ret);
}

int rc_async_certificate_result(struct rc_async *x, struct re6st_cert *ret, char **ret_armour)
{
	int r = async_answer(x, "renewCertificate", false);

	if (r == 0)
		r = rci_parse_renew_answer(x->c, &x->a, ret, ret_armour);
	return async_error(x, r);
}

int rc_async_get_bootstrap_peer(struct registry_client *c, struct rc_async **ret)
{
	return rc_async_start(c, "getBootstrapPeer", "", true, ret);
}

int rc_async_bootstrap_peer_result(struct rc_async *x, struct rc_bootstrap_peer *ret)
{
	int r = async_answer(x, "getBootstrapPeer", true);

	if (r == 0)
		r = rci_parse_bootstrap_answer(x->c, &x->a, ret);
	return async_error(x, r);
}

int rc_async_announce(struct registry_client *c, const char *endpoints, struct rc_async **ret)
{
	_cleanup_free_ char *q = NULL;

	if (!endpoints)
		return rci_set_error(c, -EINVAL, "announce: no endpoints");
	q = rci_build_query("endpoints", endpoints, NULL);
	if (!q)
		return -ENOMEM;
	return rc_async_start(c, "announce", q, true, ret);
}

int rc_async_announce_result(struct rc_async *x, uint64_t *ret_version)
{
	int r = async_answer(x, "announce", true);

	if (r == 0)
		r = rci_parse_announce_answer(x->c, &x->a, ret_version);
	return async_error(x, r);
}

int rc_async_get_hmac(struct registry_client *c, struct rc_async **ret)
{
	return rc_async_start(c, "getHMAC", "", true, ret);
}

int rc_async_hmac_result(struct rc_async *x, struct rc_hmac *ret)
{
	int r = async_answer(x, "getHMAC", false);

	if (r == 0)
		r = rci_parse_hmac_answer(x->c, &x->a, ret);
	return async_error(x, r);
}
