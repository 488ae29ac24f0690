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

static int text_answer(struct registry_client *c, const char *rpc, const char *q, char **ret)
{
	struct answer a = {};
	int r = rci_call(c, rpc, q, CALL_RETRY, true, &a);

	if (r == 0 && a.status == 204)
		r = rci_set_error(c, -ENOENT, "%s: no such entry", rpc);
	if (r == 0) {
		a.body[strcspn(a.body, "\r\n")] = '\0';
		*ret = TAKE_PTR(a.body);
	}
	rci_answer_clear(&a);
	return r;
}

int rc_add_token(struct registry_client *c, const char *email, const char *token,
		 char **ret_token)
{
	_cleanup_free_ char *q = rci_build_query("email", email, "token", token, NULL);
	char *t = NULL;
	int r;

	if (!q)
		return -ENOMEM;
	r = text_answer(c, "addToken", q, &t);
	if (r == 0 && ret_token)
		*ret_token = t;
	else
		free(t);
	return r;
}

int rc_is_token(struct registry_client *c, const char *token, bool *ret)
{
	_cleanup_free_ char *q = rci_build_query("token", token, NULL);
	char *t = NULL;
	int r;

	if (!q)
		return -ENOMEM;
	r = text_answer(c, "isToken", q, &t);
	free(t);
	if (r == -ENOENT) {
		*ret = false;
		return 0;
	}
	if (r == 0)
		*ret = true;
	return r;
}

int rc_delete_token(struct registry_client *c, const char *token)
{
	_cleanup_free_ char *q = rci_build_query("token", token, NULL);
	struct answer a = {};
	int r;

	if (!q)
		return -ENOMEM;
	r = rci_call(c, "deleteToken", q, CALL_RETRY, true, &a);
	rci_answer_clear(&a);
	return r;
}

int rc_revoke(struct registry_client *c, const char *cn_or_serial)
{
	_cleanup_free_ char *q = rci_build_query("cn_or_serial", cn_or_serial, NULL);
	struct answer a = {};
	int r;

	if (!q)
		return -ENOMEM;
	r = rci_call(c, "revoke", q, CALL_RETRY, true, &a);
	rci_answer_clear(&a);
	return r;
}

int rc_update_hmac(struct registry_client *c, char **ret_state)
{
	char *s = NULL;
	/* Not idempotent: no retry beyond refused connections. */
	struct answer a = {};
	int r = rci_call(c, "updateHMAC", "", 0, false, &a);

	if (r == 0) {
		a.body[strcspn(a.body, "\r\n")] = '\0';
		s = TAKE_PTR(a.body);
		if (ret_state)
			*ret_state = s;
		else
			free(s);
	}
	rci_answer_clear(&a);
	return r;
}

int rc_get_node_prefix(struct registry_client *c, const char *email, char **ret)
{
	_cleanup_free_ char *q = rci_build_query("email", email, NULL);

	return q ? text_answer(c, "getNodePrefix", q, ret) : -ENOMEM;
}

int rc_get_ipv6_address(struct registry_client *c, const char *email, char **ret)
{
	_cleanup_free_ char *q = rci_build_query("email", email, NULL);

	return q ? text_answer(c, "getIPv6Address", q, ret) : -ENOMEM;
}

int rc_survey(struct registry_client *c, const char *rpc, unsigned timeout_s, char **ret_json)
{
	char t[16];
	_cleanup_free_ char *q = NULL;
	struct answer a = {};
	int r;

	if (strcmp(rpc, "versions") != 0 && strcmp(rpc, "topology") != 0)
		return -EINVAL;
	snprintf(t, sizeof(t), "%u", timeout_s);
	q = rci_build_query("timeout", t, NULL);
	if (!q)
		return -ENOMEM;
	/* A survey sends datagrams to every node: no retry. */
	r = rci_call(c, rpc, q, 0, false, &a);
	if (r == 0)
		*ret_json = TAKE_PTR(a.body);
	rci_answer_clear(&a);
	return r;
}
