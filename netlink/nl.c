/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "nl-internal.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/socket.h>
#include <time.h>
#include <linux/genetlink.h>


struct nl_conn {
	struct mnl_socket *sk;
	uint32_t portid;
};

struct nl_sock {
	struct nl_conn conn[2]; /* by enum nl_proto; GENERIC opened on first use */
	uint32_t seq;
	uint16_t genl_id[NL_GENL_COUNT]; /* 0 = not resolved yet */
	char err[256];
	uint8_t *rbuf;
};

static const char *const genl_names[NL_GENL_COUNT] = {
	[NL_GENL_WIREGUARD] = "wireguard",
	[NL_GENL_FOU] = "fou",
};

static void conn_close(struct nl_conn *c)
{
	if (c->sk)
		mnl_socket_close(c->sk);
	c->sk = NULL;
}

static int conn_open(struct nl_conn *c, int bus)
{
	struct mnl_socket *sk = mnl_socket_open2(bus, SOCK_CLOEXEC);
	if (!sk)
		return negative_errno();
	if (mnl_socket_bind(sk, 0, MNL_SOCKET_AUTOPID) < 0) {
		int r = negative_errno();
		mnl_socket_close(sk);
		return r;
	}
	/* Best effort: old kernels lack these; errors then carry no message. */
	int one = 1;
	(void)mnl_socket_setsockopt(sk, NETLINK_EXT_ACK, &one, sizeof(one));
	(void)mnl_socket_setsockopt(sk, NETLINK_CAP_ACK, &one, sizeof(one));
	c->sk = sk;
	c->portid = mnl_socket_get_portid(sk);
	return 0;
}

int nl_sock_open(struct nl_sock **ret)
{
	struct nl_sock *s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->rbuf = malloc(NL_RECV_SIZE);
	if (!s->rbuf) {
		free(s);
		return -ENOMEM;
	}
	/* Both sockets now: a socket is bound to the caller's namespace at
	 * creation, and the kernel resolves ifindexes in that namespace. */
	int r = conn_open(&s->conn[NL_PROTO_ROUTE], NETLINK_ROUTE);
	if (r == 0)
		r = conn_open(&s->conn[NL_PROTO_GENERIC], NETLINK_GENERIC);
	if (r < 0) {
		nl_sock_free(s);
		return r;
	}
	/* Any start value works; a random-ish one makes stale replies from a
	 * previous process sharing the port id unlikely to match. */
	s->seq = (uint32_t)time(NULL);
	*ret = s;
	return 0;
}

void nl_sock_free(struct nl_sock *s)
{
	if (!s)
		return;
	conn_close(&s->conn[NL_PROTO_ROUTE]);
	conn_close(&s->conn[NL_PROTO_GENERIC]);
	free(s->rbuf);
	free(s);
}

const char *nl_last_error(const struct nl_sock *s)
{
	return s ? s->err : "";
}

void nl_set_error(struct nl_sock *s, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(s->err, sizeof(s->err), fmt, ap);
	va_end(ap);
}

int nl_parse_extack(const struct nlmsghdr *nlh, char *buf, size_t size)
{
	size_t plen = mnl_nlmsg_get_payload_len(nlh);
	size_t off;

	if (nlh->nlmsg_type == NLMSG_ERROR) {
		const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);
		if (plen < sizeof(*e))
			return -EBADMSG;
		off = sizeof(*e);
		/* Without NLM_F_CAPPED the request is echoed before the TLVs. */
		if (!(nlh->nlmsg_flags & NLM_F_CAPPED)) {
			if (e->msg.nlmsg_len < sizeof(struct nlmsghdr))
				return -EBADMSG;
			off += MNL_ALIGN(e->msg.nlmsg_len - sizeof(struct nlmsghdr));
		}
	} else if (nlh->nlmsg_type == NLMSG_DONE) {
		off = sizeof(int);
	} else
		return -EINVAL;

	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS) || off >= plen)
		return 0;
	static const struct nl_policy pol[NLMSGERR_ATTR_MSG + 1] = {
		[NLMSGERR_ATTR_MSG] = { MNL_TYPE_NUL_STRING, 0 },
	};
	const struct nlattr *tb[NLMSGERR_ATTR_MSG + 1] = {};
	int r = nl_parse_attrs((const uint8_t *)mnl_nlmsg_get_payload(nlh) + off, plen - off, pol,
			       NLMSGERR_ATTR_MSG, tb);
	if (r < 0)
		return r;
	if (tb[NLMSGERR_ATTR_MSG])
		return nl_attr_strcpy(tb[NLMSGERR_ATTR_MSG], buf, size);
	return 0;
}

struct req_ctx {
	struct nl_sock *s;
	uint32_t seq, portid;
	nl_reply_fn fn;
	void *data;
	int result;    /* first error (kernel's or fn's) */
	bool intr;     /* NLM_F_DUMP_INTR seen */
};

static bool ctx_ours(const struct req_ctx *c, const struct nlmsghdr *nlh)
{
	/* Replies to an earlier, abandoned request carry an older seq: skip. */
	return nlh->nlmsg_seq == c->seq && (nlh->nlmsg_pid == 0 || nlh->nlmsg_pid == c->portid);
}

static int req_data_cb(const struct nlmsghdr *nlh, void *data)
{
	struct req_ctx *c = data;
	if (!ctx_ours(c, nlh))
		return MNL_CB_OK;
	if (nlh->nlmsg_flags & NLM_F_DUMP_INTR)
		c->intr = true;
	if (c->fn && c->result == 0) {
		int r = c->fn(nlh, c->data);
		if (r < 0)
			c->result = r;
	}
	return MNL_CB_OK;
}

static int req_error_cb(const struct nlmsghdr *nlh, void *data)
{
	struct req_ctx *c = data;
	if (!ctx_ours(c, nlh))
		return MNL_CB_OK;
	const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);
	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*e)) {
		if (c->result == 0)
			c->result = -EBADMSG;
		return MNL_CB_STOP;
	}
	if (e->error > 0 || e->error < -4095) {
		if (c->result == 0)
			c->result = -EBADMSG;
		return MNL_CB_STOP;
	}
	if (e->error < 0) {
		(void)nl_parse_extack(nlh, c->s->err, sizeof(c->s->err));
		if (c->result == 0)
			c->result = e->error;
	}
	return MNL_CB_STOP;
}

static int req_done_cb(const struct nlmsghdr *nlh, void *data)
{
	struct req_ctx *c = data;
	if (!ctx_ours(c, nlh))
		return MNL_CB_OK;
	if (nlh->nlmsg_flags & NLM_F_DUMP_INTR)
		c->intr = true;
	/* A dump that failed part-way reports its error in NLMSG_DONE. */
	if (mnl_nlmsg_get_payload_len(nlh) >= sizeof(int)) {
		int err;
		memcpy(&err, mnl_nlmsg_get_payload(nlh), sizeof(err));
		if (err < 0 && err >= -4095) {
			(void)nl_parse_extack(nlh, c->s->err, sizeof(c->s->err));
			if (c->result == 0)
				c->result = err;
		}
	}
	return MNL_CB_STOP;
}

static int req_noop_cb(const struct nlmsghdr *nlh, void *data)
{
	return MNL_CB_OK;
}

int nl_request(struct nl_sock *s, enum nl_proto proto, struct nlmsghdr *nlh, nl_reply_fn fn,
	       void *data)
{
	s->err[0] = '\0';
	struct nl_conn *conn = &s->conn[proto];

	if (++s->seq == 0)
		s->seq = 1;
	nlh->nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
	nlh->nlmsg_seq = s->seq;
	nlh->nlmsg_pid = 0;

	for (;;) {
		if (mnl_socket_sendto(conn->sk, nlh, nlh->nlmsg_len) >= 0)
			break;
		if (errno != EINTR)
			return negative_errno();
	}

	struct req_ctx c = { .s = s, .seq = s->seq, .portid = conn->portid, .fn = fn, .data = data };
	mnl_cb_t ctl[NLMSG_MIN_TYPE] = {
		[NLMSG_NOOP] = req_noop_cb,
		[NLMSG_ERROR] = req_error_cb,
		[NLMSG_DONE] = req_done_cb,
		[NLMSG_OVERRUN] = req_noop_cb,
	};
	for (;;) {
		ssize_t n = mnl_socket_recvfrom(conn->sk, s->rbuf, NL_RECV_SIZE);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			/* ENOBUFS: the kernel dropped part of our reply; we
			 * cannot know the outcome, stale parts are skipped by
			 * their sequence number on the next request. */
			return negative_errno();
		}
		int r = mnl_cb_run2(s->rbuf, (size_t)n, 0, 0, req_data_cb, &c, ctl, ARRAY_SIZE(ctl));
		if (r == MNL_CB_STOP)
			break;
		if (r == MNL_CB_ERROR)
			return c.result < 0 ? c.result : -EBADMSG;
	}
	if (c.result < 0)
		return c.result;
	if (c.intr)
		return -EAGAIN;
	return 0;
}

int nl_dump(struct nl_sock *s, enum nl_proto proto, struct nlmsghdr *nlh, nl_reply_fn fn,
	    void *data, void (*reset)(void *data))
{
	for (int attempt = 0; attempt < NL_DUMP_ATTEMPTS; attempt++) {
		int r = nl_request(s, proto, nlh, fn, data);
		if (r == 0)
			return 0;
		reset(data);
		if (r != -EAGAIN)
			return r;
	}
	return -EAGAIN;
}

/* ---- batches of single requests ---- */

/* One reply's slot in the receive buffer. */
#define NL_BATCH_SLOT (NL_RECV_SIZE / NL_BATCH_MAX)

struct batch {
	struct nl_sock *s;
	uint32_t first, portid;
	size_t n, n_answered;
	bool answered[NL_BATCH_MAX];
	nl_batch_fn fn;
	void *data;
	int result;
};

static void batch_take(struct batch *b, const struct nlmsghdr *nlh)
{
	uint32_t i = nlh->nlmsg_seq - b->first;
	/* Replies to an earlier, abandoned request carry an older seq: skip. */
	if (i >= b->n || b->answered[i] || (nlh->nlmsg_pid != 0 && nlh->nlmsg_pid != b->portid) ||
	    (nlh->nlmsg_type < NLMSG_MIN_TYPE && nlh->nlmsg_type != NLMSG_ERROR))
		return;
	b->answered[i] = true;
	b->n_answered++;
	int r = 0;
	if (nlh->nlmsg_type == NLMSG_ERROR) {
		const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);
		if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*e) || e->error > 0 || e->error < -4095)
			r = -EBADMSG;
		else if (e->error < 0)
			(void)nl_parse_extack(nlh, b->s->err, sizeof(b->s->err));
	} else
		r = b->fn(i, nlh, b->data);
	if (r < 0 && b->result == 0)
		b->result = r;
}

int nl_batch(struct nl_sock *s, enum nl_proto proto, void *buf, size_t len, size_t n,
	     nl_batch_fn fn, void *data)
{
	if (n == 0)
		return 0;
	if (n > NL_BATCH_MAX)
		return -E2BIG;
	s->err[0] = '\0';
	struct nl_conn *conn = &s->conn[proto];
	/* The batch's numbers are consecutive and never 0. */
	if (s->seq > UINT32_MAX - NL_BATCH_MAX)
		s->seq = 0;
	struct batch b = { .s = s, .first = s->seq + 1, .portid = conn->portid, .n = n,
			   .fn = fn, .data = data };
	struct nlmsghdr *nlh = buf;
	size_t left = len;
	for (size_t i = 0; i < n; i++) {
		if (!nl_msg_ok(nlh, left))
			return -EINVAL;
		nlh->nlmsg_flags = (uint16_t)((nlh->nlmsg_flags & ~NLM_F_ACK) | NLM_F_REQUEST);
		nlh->nlmsg_seq = b.first + (uint32_t)i;
		nlh->nlmsg_pid = 0;
		nlh = (struct nlmsghdr *)nl_msg_next(nlh, &left);
	}
	if (left)
		return -EINVAL; /* more than n messages */
	s->seq += (uint32_t)n;
	for (;;) {
		if (send(mnl_socket_get_fd(conn->sk), buf, len, 0) >= 0)
			break;
		if (errno != EINTR)
			return negative_errno();
	}

	/* The kernel runs a request in the sender's context: every answer
	 * it could queue is there once send() returned, so nothing waits. */
	struct mmsghdr mm[NL_BATCH_MAX];
	struct iovec iov[NL_BATCH_MAX];
	while (b.n_answered < n) {
		unsigned want = (unsigned)(n - b.n_answered);
		for (unsigned i = 0; i < want; i++) {
			iov[i] = (struct iovec){ s->rbuf + i * NL_BATCH_SLOT, NL_BATCH_SLOT };
			mm[i] = (struct mmsghdr){ .msg_hdr = { .msg_iov = &iov[i], .msg_iovlen = 1 } };
		}
		int got = recvmmsg(mnl_socket_get_fd(conn->sk), mm, want, MSG_DONTWAIT, NULL);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return b.result < 0 ? b.result : -ENOBUFS; /* answers lost */
		if (got < 0)
			return negative_errno();
		for (int j = 0; j < got; j++) {
			if (mm[j].msg_hdr.msg_flags & MSG_TRUNC) {
				if (b.result == 0)
					b.result = -EMSGSIZE;
				continue;
			}
			size_t l = mm[j].msg_len;
			for (const struct nlmsghdr *h = iov[j].iov_base; nl_msg_ok(h, l);
			     h = nl_msg_next(h, &l))
				batch_take(&b, h);
		}
	}
	return b.result;
}

/* ---- generic netlink ---- */

struct nlmsghdr *nl_genl_put_header(void *buf, uint16_t family, uint16_t flags, uint8_t cmd,
				    uint8_t version)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = family;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	struct genlmsghdr *g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->cmd = cmd;
	g->version = version;
	return nlh;
}

int nl_build_getfamily(void *buf, size_t size, const char *name, struct nlmsghdr **ret)
{
	if (size < MNL_NLMSG_HDRLEN + GENL_HDRLEN)
		return -EMSGSIZE;
	struct nlmsghdr *nlh = nl_genl_put_header(buf, GENL_ID_CTRL, 0, CTRL_CMD_GETFAMILY, 1);
	if (!mnl_attr_put_strz_check(nlh, size, CTRL_ATTR_FAMILY_NAME, name))
		return -EMSGSIZE;
	*ret = nlh;
	return 0;
}

int nl_parse_family_id(const struct nlmsghdr *nlh, uint16_t *ret_id)
{
	static const struct nl_policy pol[CTRL_ATTR_FAMILY_NAME + 1] = {
		[CTRL_ATTR_FAMILY_ID] = { MNL_TYPE_U16, 0 },
		[CTRL_ATTR_FAMILY_NAME] = { MNL_TYPE_NUL_STRING, 0 },
	};
	const struct nlattr *tb[CTRL_ATTR_FAMILY_NAME + 1] = {};
	int r = nl_parse_msg(nlh, GENL_HDRLEN, pol, CTRL_ATTR_FAMILY_NAME, tb);
	if (r < 0)
		return r;
	if (!tb[CTRL_ATTR_FAMILY_ID])
		return -EBADMSG;
	*ret_id = mnl_attr_get_u16(tb[CTRL_ATTR_FAMILY_ID]);
	return 0;
}

static int family_cb(const struct nlmsghdr *nlh, void *data)
{
	return nl_parse_family_id(nlh, data);
}

int nl_genl_family_id(struct nl_sock *s, enum nl_genl_family f, uint16_t *ret_id)
{
	if (s->genl_id[f]) {
		*ret_id = s->genl_id[f];
		return 0;
	}
	uint8_t buf[256];
	struct nlmsghdr *nlh;
	int r = nl_build_getfamily(buf, sizeof(buf), genl_names[f], &nlh);
	if (r < 0)
		return r;
	uint16_t id = 0;
	r = nl_request(s, NL_PROTO_GENERIC, nlh, family_cb, &id);
	if (r == -ENOENT) {
		nl_set_error(s, "generic netlink family %s not available (kernel module missing?)",
			     genl_names[f]);
		return -EOPNOTSUPP;
	}
	if (r < 0)
		return r;
	if (id == 0)
		return -EBADMSG;
	s->genl_id[f] = id;
	*ret_id = id;
	return 0;
}

/* ---- attribute parsing ---- */

int nl_parse_attrs(const void *payload, size_t len, const struct nl_policy *policy, uint16_t maxtype,
		   const struct nlattr **tb)
{
	const struct nlattr *a = payload;
	size_t left = len;

	while (left >= sizeof(struct nlattr)) {
		if (a->nla_len < sizeof(struct nlattr) || a->nla_len > left)
			return -EBADMSG;
		uint16_t type = mnl_attr_get_type(a);
		if (type <= maxtype && policy[type].type != MNL_TYPE_UNSPEC) {
			int r = policy[type].type == MNL_TYPE_BINARY && policy[type].len
					? mnl_attr_validate2(a, MNL_TYPE_BINARY, policy[type].len)
					: mnl_attr_validate(a, policy[type].type);
			if (r < 0)
				return -EBADMSG;
			tb[type] = a;
		}
		size_t step = MNL_ALIGN(a->nla_len);
		if (step >= left)
			return 0;
		left -= step;
		a = (const struct nlattr *)((const uint8_t *)a + step);
	}
	return left == 0 ? 0 : -EBADMSG;
}

int nl_parse_nested(const struct nlattr *nest, const struct nl_policy *policy, uint16_t maxtype,
		    const struct nlattr **tb)
{
	return nl_parse_attrs(mnl_attr_get_payload(nest), mnl_attr_get_payload_len(nest), policy,
			      maxtype, tb);
}

int nl_parse_msg(const struct nlmsghdr *nlh, size_t hdrlen, const struct nl_policy *policy,
		 uint16_t maxtype, const struct nlattr **tb)
{
	if (nlh->nlmsg_len < MNL_NLMSG_HDRLEN)
		return -EBADMSG;
	size_t plen = mnl_nlmsg_get_payload_len(nlh);
	if (plen < hdrlen)
		return -EBADMSG;
	hdrlen = MNL_ALIGN(hdrlen);
	if (hdrlen >= plen)
		return 0;
	return nl_parse_attrs((const uint8_t *)mnl_nlmsg_get_payload(nlh) + hdrlen, plen - hdrlen,
			      policy, maxtype, tb);
}

int nl_parse_list(const struct nlattr *nest, int (*fn)(const struct nlattr *a, void *data),
		  void *data)
{
	const struct nlattr *a = mnl_attr_get_payload(nest);
	size_t left = mnl_attr_get_payload_len(nest);

	while (left >= sizeof(struct nlattr)) {
		if (a->nla_len < sizeof(struct nlattr) || a->nla_len > left ||
		    mnl_attr_validate(a, MNL_TYPE_NESTED) < 0)
			return -EBADMSG;
		int r = fn(a, data);
		if (r < 0)
			return r;
		size_t step = MNL_ALIGN(a->nla_len);
		if (step >= left)
			return 0;
		left -= step;
		a = (const struct nlattr *)((const uint8_t *)a + step);
	}
	return left == 0 ? 0 : -EBADMSG;
}

int nl_attr_strcpy(const struct nlattr *a, char *buf, size_t size)
{
	size_t len = strnlen(mnl_attr_get_payload(a), mnl_attr_get_payload_len(a));
	if (len >= size)
		return -EBADMSG;
	memcpy(buf, mnl_attr_get_payload(a), len);
	buf[len] = '\0';
	return 0;
}

/* ---- address helpers ---- */

int nl_prefix_from_string(const char *s, struct nl_prefix *ret)
{
	char tmp[INET6_ADDRSTRLEN + 8];
	if (!s || strlen(s) >= sizeof(tmp))
		return -EINVAL;
	strcpy(tmp, s);
	char *slash = strchr(tmp, '/');
	long len = -1;
	if (slash) {
		*slash = '\0';
		char *end;
		errno = 0;
		len = strtol(slash + 1, &end, 10);
		if (errno || end == slash + 1 || *end || len < 0)
			return -EINVAL;
	}
	struct nl_prefix p = {};
	if (inet_pton(AF_INET6, tmp, &p.addr.in6) == 1) {
		p.family = AF_INET6;
		if (len > 128)
			return -EINVAL;
		p.len = len < 0 ? 128 : (uint8_t)len;
	} else if (inet_pton(AF_INET, tmp, &p.addr.in) == 1) {
		p.family = AF_INET;
		if (len > 32)
			return -EINVAL;
		p.len = len < 0 ? 32 : (uint8_t)len;
	} else
		return -EINVAL;
	*ret = p;
	return 0;
}

const char *nl_prefix_to_string(const struct nl_prefix *p, char *buf, size_t size)
{
	char a[INET6_ADDRSTRLEN];
	if (!inet_ntop(p->family, &p->addr, a, sizeof(a)))
		snprintf(a, sizeof(a), "?");
	snprintf(buf, size, "%s/%u", a, p->len);
	return buf;
}

int nl_sockaddr_from_string(const char *s, union nl_sockaddr *ret)
{
	char tmp[INET6_ADDRSTRLEN + 16];
	if (!s || strlen(s) >= sizeof(tmp))
		return -EINVAL;
	strcpy(tmp, s);
	char *host = tmp, *port;
	if (tmp[0] == '[') {
		char *close = strchr(tmp, ']');
		if (!close || close[1] != ':')
			return -EINVAL;
		*close = '\0';
		host = tmp + 1;
		port = close + 2;
	} else {
		port = strrchr(tmp, ':');
		if (!port)
			return -EINVAL;
		*port++ = '\0';
	}
	char *end;
	errno = 0;
	long pn = strtol(port, &end, 10);
	if (errno || end == port || *end || pn < 0 || pn > 65535)
		return -EINVAL;
	union nl_sockaddr sa = {};
	if (inet_pton(AF_INET6, host, &sa.in6.sin6_addr) == 1 && tmp[0] == '[') {
		sa.in6.sin6_family = AF_INET6;
		sa.in6.sin6_port = htons((uint16_t)pn);
	} else if (inet_pton(AF_INET, host, &sa.in.sin_addr) == 1) {
		sa.in.sin_family = AF_INET;
		sa.in.sin_port = htons((uint16_t)pn);
	} else
		return -EINVAL;
	*ret = sa;
	return 0;
}
