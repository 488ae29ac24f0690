/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * nl-internal.h - private to netlink/ (and its tests): libmnl types appear
 * here only. Message builders write into a caller's buffer and are split
 * from the send step so that tests can parse their output back without a
 * kernel; reply parsers take one message so that fuzzers can feed them.
 */
#ifndef RE6ST_NETLINK_INTERNAL_H
#define RE6ST_NETLINK_INTERNAL_H

#include <libmnl/libmnl.h>
#include <linux/netlink.h>

#include "addr.h"
#include "fou.h"
#include "gre.h"
#include "link.h"
#include "nl.h"
#include "route.h"
#include "tc.h"
#include "wireguard.h"

/* Size of a message built for sending (what the kernel reads in one go). */
#define NL_MSG_SIZE 8192
/* Receive buffer: the kernel sizes dump skbs up to 32 KiB. */
#define NL_RECV_SIZE 32768

enum nl_proto {
	NL_PROTO_ROUTE,
	NL_PROTO_GENERIC,
};

enum nl_genl_family {
	NL_GENL_WIREGUARD,
	NL_GENL_FOU,
	NL_GENL_COUNT,
};

/*
 * Whether a whole message starts at nlh within len bytes. Unlike
 * mnl_nlmsg_ok(), which compares (int)nlmsg_len and so lets a length of
 * 0xffffffff through, this is safe on untrusted buffers.
 */
static inline bool nl_msg_ok(const struct nlmsghdr *nlh, size_t len)
{
	return len >= sizeof(*nlh) && nlh->nlmsg_len >= sizeof(*nlh) && nlh->nlmsg_len <= len;
}

/* The next message after nlh, with *len reduced; check it with nl_msg_ok(). */
static inline const struct nlmsghdr *nl_msg_next(const struct nlmsghdr *nlh, size_t *len)
{
	size_t step = MNL_ALIGN(nlh->nlmsg_len);
	if (step >= *len) {
		*len = 0;
		return nlh;
	}
	*len -= step;
	return (const struct nlmsghdr *)((const uint8_t *)nlh + step);
}

/* Called for every reply message of the request (not ACK/DONE/ERROR). */
typedef int (*nl_reply_fn)(const struct nlmsghdr *nlh, void *data);

/*
 * Send nlh (NLM_F_REQUEST|NLM_F_ACK added, sequence number assigned) and
 * read replies until the ACK, NLMSG_DONE or an error. A reply fn error is
 * kept and returned once the stream is consumed. Returns -EAGAIN for a
 * dump the kernel marked NLM_F_DUMP_INTR (the caller may retry).
 */
int nl_request(struct nl_sock *s, enum nl_proto proto, struct nlmsghdr *nlh, nl_reply_fn fn,
	       void *data);
/*
 * A dump through nl_request(), sent again (same nlh, new sequence number)
 * while the kernel marks it NLM_F_DUMP_INTR: the table changed under it, so
 * what fn collected may hold duplicates or miss entries. Before each new
 * attempt, and after any failure, reset(data) drops what fn collected, so
 * data is complete on 0 and empty otherwise. Gives up with -EAGAIN after
 * NL_DUMP_ATTEMPTS interrupted dumps; other errors are nl_request()'s.
 */
#define NL_DUMP_ATTEMPTS 5
int nl_dump(struct nl_sock *s, enum nl_proto proto, struct nlmsghdr *nlh, nl_reply_fn fn,
	    void *data, void (*reset)(void *data));
/*
 * Requests that each have one answer (no dumps), sent together: buf holds
 * n messages one after the other (each MNL_ALIGNed, len bytes in all, n at
 * most NL_BATCH_MAX; -EINVAL otherwise). Each gets its sequence number and loses NLM_F_ACK,
 * all go in one send(), and the answers are read in one recvmmsg() without
 * waiting: the kernel answers a route or generic netlink request before
 * the send returns. fn(i, reply, data) for request i's answer; an error
 * answer has no call (its message is kept for nl_last_error()), so the
 * caller tells it by what fn did not fill. Returns 0 once every request is
 * answered; fn's first error; -ENOBUFS when answers are missing (the
 * socket's buffer was full); -EMSGSIZE for an answer over
 * NL_RECV_SIZE / NL_BATCH_MAX bytes.
 */
#define NL_BATCH_MAX 32
typedef int (*nl_batch_fn)(size_t i, const struct nlmsghdr *nlh, void *data);
int nl_batch(struct nl_sock *s, enum nl_proto proto, void *buf, size_t len, size_t n,
	     nl_batch_fn fn, void *data);
/* Set a library-side error message for nl_last_error(). */
void nl_set_error(struct nl_sock *s, const char *fmt, ...) _printf_(2, 3);
/* Resolve (once, cached) a generic netlink family id. -EOPNOTSUPP if absent. */
int nl_genl_family_id(struct nl_sock *s, enum nl_genl_family f, uint16_t *ret_id);

/* Generic netlink header helpers. */
struct nlmsghdr *nl_genl_put_header(void *buf, uint16_t family, uint16_t flags, uint8_t cmd,
				    uint8_t version);
int nl_build_getfamily(void *buf, size_t size, const char *name, struct nlmsghdr **ret);
int nl_parse_family_id(const struct nlmsghdr *nlh, uint16_t *ret_id);

/* Extract the extended-ACK message of an NLMSG_ERROR/NLMSG_DONE. */
int nl_parse_extack(const struct nlmsghdr *nlh, char *buf, size_t size);

/*
 * Attribute policy: tb[] parsing skips unknown types (beyond maxtype or
 * with type MNL_TYPE_UNSPEC) and validates known ones; len is the exact
 * payload length required for MNL_TYPE_BINARY (0: any).
 */
struct nl_policy {
	uint8_t type; /* enum mnl_attr_data_type */
	uint16_t len;
};

/* Parse attributes from payload[0..len) into tb[0..maxtype]. -EBADMSG if malformed. */
int nl_parse_attrs(const void *payload, size_t len, const struct nl_policy *policy, uint16_t maxtype,
		   const struct nlattr **tb);
int nl_parse_nested(const struct nlattr *nest, const struct nl_policy *policy, uint16_t maxtype,
		    const struct nlattr **tb);
int nl_parse_msg(const struct nlmsghdr *nlh, size_t hdrlen, const struct nl_policy *policy,
		 uint16_t maxtype, const struct nlattr **tb);
/*
 * Call fn for each attribute inside nest (a list such as WGDEVICE_A_PEERS,
 * whose element types are indexes); each element must be a valid nest.
 * Stops at the first error fn returns; -EBADMSG if malformed.
 */
int nl_parse_list(const struct nlattr *nest, int (*fn)(const struct nlattr *a, void *data),
		  void *data);
/* Copy a NUL_STRING attribute; -EBADMSG if it does not fit. */
int nl_attr_strcpy(const struct nlattr *a, char *buf, size_t size);

/* Builders' checked puts: false when the buffer is full. */
#define NL_PUT(nlh, size, ...) mnl_attr_put_check(nlh, size, __VA_ARGS__)

/* ---- link ---- */
int nl_link_build_create(void *buf, size_t size, const char *name, const char *kind, uint32_t mtu,
			 struct nlmsghdr **ret);
int nl_link_build_veth(void *buf, size_t size, const char *name, const char *peer,
		       int peer_netns_fd, struct nlmsghdr **ret);
int nl_link_build_set(void *buf, size_t size, int ifindex, int up, uint32_t mtu, int netns_fd,
		      struct nlmsghdr **ret);
int nl_link_build_del(void *buf, size_t size, int ifindex, struct nlmsghdr **ret);
int nl_link_build_get(void *buf, size_t size, int ifindex, const char *name,
		      struct nlmsghdr **ret);
/* Parse an RTM_NEWLINK/RTM_DELLINK message. -EBADMSG if malformed. */
int nl_link_parse(const struct nlmsghdr *nlh, struct nl_link_info *ret);
/* RTM_GETSTATS of one link's IFLA_STATS_LINK_64; its reply. */
int nl_link_build_getstats(void *buf, size_t size, int ifindex, struct nlmsghdr **ret);
int nl_link_parse_stats(const struct nlmsghdr *nlh, struct nl_link_stats *ret);

/* ---- wireguard ---- */
/*
 * Build the SET_DEVICE messages for cfg into buf, one after the other
 * (each NL_MSG_SIZE bytes at most, buf must hold max_msgs of them);
 * *ret_n is the number of messages. -EMSGSIZE if max_msgs is too small.
 */
int nl_wg_build_set(void *buf, size_t max_msgs, uint16_t family, int ifindex,
		    const struct nl_wg_device_config *cfg, size_t *ret_n);
int nl_wg_build_get(void *buf, size_t size, uint16_t family, int ifindex, struct nlmsghdr **ret);
/*
 * Parse one GET_DEVICE reply message into *dev (allocated by the caller,
 * zeroed before the first message). A peer continued from the previous
 * message (same public key first) is merged. -EBADMSG, -ENOMEM.
 */
int nl_wg_parse_device(const struct nlmsghdr *nlh, struct nl_wg_device *dev);
/* Free peers of dev and wipe it, without freeing dev itself. */
void nl_wg_device_clear(struct nl_wg_device *dev);

/* ---- gre ---- */
int nl_gre_build(void *buf, size_t size, const char *name, int ifindex,
		 const struct nl_gre_config *cfg, struct nlmsghdr **ret);
int nl_gre_parse(const struct nlmsghdr *nlh, struct nl_gre_config *ret);

/* ---- fou ---- */
int nl_fou_build(void *buf, size_t size, uint16_t family, uint8_t cmd, const struct nl_fou_port *p,
		 struct nlmsghdr **ret);
int nl_fou_parse(const struct nlmsghdr *nlh, struct nl_fou_port *ret);

/* ---- addr ---- */
int nl_addr_build(void *buf, size_t size, uint16_t type, int ifindex,
		  const struct nl_prefix *prefix, unsigned flags, struct nlmsghdr **ret);
int nl_addr_parse(const struct nlmsghdr *nlh, struct nl_addr_entry *ret);

/* ---- route ---- */
int nl_route_build(void *buf, size_t size, uint16_t type, uint16_t flags, const struct nl_route *r,
		   struct nlmsghdr **ret);
int nl_route_parse(const struct nlmsghdr *nlh, struct nl_route *ret);

/* ---- tc ---- */
int nl_tc_build_prio(void *buf, size_t size, int ifindex, struct nlmsghdr **ret);
int nl_tc_build_netem(void *buf, size_t size, int ifindex, uint32_t delay_ms,
		      struct nlmsghdr **ret);
int nl_tc_build_filter(void *buf, size_t size, int ifindex, struct nlmsghdr **ret);
int nl_tc_build_del_root(void *buf, size_t size, int ifindex, struct nlmsghdr **ret);

/* Handles chosen by tc.h. */
#define NL_TC_PRIO_HANDLE 0x00010000u  /* 1: */
#define NL_TC_DRAIN_CLASS 0x00010002u  /* 1:2, band 1 */
#define NL_TC_NETEM_HANDLE 0x00020000u /* 2: */

#endif
