/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "nl-internal.h"

#include <arpa/inet.h>
#include <linux/fou.h>
#include <linux/genetlink.h>


int nl_fou_build(void *buf, size_t size, uint16_t family, uint8_t cmd, const struct nl_fou_port *p,
		 struct nlmsghdr **ret)
{
	if (size < 128)
		return -EMSGSIZE;
	bool dump = cmd == FOU_CMD_GET && !p;
	struct nlmsghdr *nlh = nl_genl_put_header(buf, family, dump ? NLM_F_DUMP : 0, cmd,
						  FOU_GENL_VERSION);
	if (p) {
		if ((p->family != AF_INET && p->family != AF_INET6) ||
		    (p->type != NL_FOU_DIRECT && p->type != NL_FOU_GUE) || p->port == 0)
			return -EINVAL;
		bool ok = mnl_attr_put_u16_check(nlh, size, FOU_ATTR_PORT, htons(p->port)) &&
			  mnl_attr_put_u8_check(nlh, size, FOU_ATTR_AF, (uint8_t)p->family) &&
			  mnl_attr_put_u8_check(nlh, size, FOU_ATTR_TYPE, (uint8_t)p->type);
		if (ok && p->type == NL_FOU_DIRECT)
			ok = mnl_attr_put_u8_check(nlh, size, FOU_ATTR_IPPROTO, p->ipproto);
		if (!ok)
			return -EMSGSIZE;
	}
	*ret = nlh;
	return 0;
}

static const struct nl_policy fou_policy[FOU_ATTR_TYPE + 1] = {
	[FOU_ATTR_PORT] = { MNL_TYPE_U16, 0 },
	[FOU_ATTR_AF] = { MNL_TYPE_U8, 0 },
	[FOU_ATTR_IPPROTO] = { MNL_TYPE_U8, 0 },
	[FOU_ATTR_TYPE] = { MNL_TYPE_U8, 0 },
};

int nl_fou_parse(const struct nlmsghdr *nlh, struct nl_fou_port *ret)
{
	const struct nlattr *tb[FOU_ATTR_TYPE + 1] = {};
	int r = nl_parse_msg(nlh, GENL_HDRLEN, fou_policy, FOU_ATTR_TYPE, tb);
	if (r < 0)
		return r;
	if (!tb[FOU_ATTR_PORT] || !tb[FOU_ATTR_AF] || !tb[FOU_ATTR_TYPE])
		return -EBADMSG;
	struct nl_fou_port p = {
		.port = ntohs(mnl_attr_get_u16(tb[FOU_ATTR_PORT])),
		.family = mnl_attr_get_u8(tb[FOU_ATTR_AF]),
		.type = mnl_attr_get_u8(tb[FOU_ATTR_TYPE]),
		.ipproto = tb[FOU_ATTR_IPPROTO] ? mnl_attr_get_u8(tb[FOU_ATTR_IPPROTO]) : 0,
	};
	if ((p.family != AF_INET && p.family != AF_INET6) ||
	    (p.type != NL_FOU_DIRECT && p.type != NL_FOU_GUE))
		return -EBADMSG;
	*ret = p;
	return 0;
}

static int fou_cmd(struct nl_sock *s, uint8_t cmd, const struct nl_fou_port *p)
{
	uint16_t family;
	int r = nl_genl_family_id(s, NL_GENL_FOU, &family);
	if (r < 0)
		return r;
	uint8_t buf[256];
	struct nlmsghdr *nlh;
	r = nl_fou_build(buf, sizeof(buf), family, cmd, p, &nlh);
	if (r < 0)
		return r;
	return nl_request(s, NL_PROTO_GENERIC, nlh, NULL, NULL);
}

int nl_fou_add(struct nl_sock *s, const struct nl_fou_port *p)
{
	return fou_cmd(s, FOU_CMD_ADD, p);
}

int nl_fou_delete(struct nl_sock *s, const struct nl_fou_port *p)
{
	return fou_cmd(s, FOU_CMD_DEL, p);
}

struct fou_list {
	struct nl_fou_port *v;
	size_t n;
};

static int list_cb(const struct nlmsghdr *nlh, void *data)
{
	struct fou_list *l = data;
	struct nl_fou_port p;
	int r = nl_fou_parse(nlh, &p);
	if (r < 0)
		return r;
	struct nl_fou_port *v = reallocarray(l->v, l->n + 1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	l->v = v;
	v[l->n++] = p;
	return 0;
}

static void list_reset(void *data)
{
	struct fou_list *l = data;
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

int nl_fou_list(struct nl_sock *s, struct nl_fou_port **ret_ports, size_t *ret_n)
{
	uint16_t family;
	int r = nl_genl_family_id(s, NL_GENL_FOU, &family);
	if (r < 0)
		return r;
	uint8_t buf[256];
	struct nlmsghdr *nlh;
	r = nl_fou_build(buf, sizeof(buf), family, FOU_CMD_GET, NULL, &nlh);
	if (r < 0)
		return r;
	struct fou_list l = {};
	r = nl_dump(s, NL_PROTO_GENERIC, nlh, list_cb, &l, list_reset);
	if (r < 0)
		return r;
	*ret_ports = l.v;
	*ret_n = l.n;
	return 0;
}
