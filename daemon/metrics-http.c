/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <microhttpd.h>
#include <netinet/in.h>

#include "loop.h"
#include "metrics-http.h"
#include "metrics.h"

#define CONN_LIMIT 8
#define CONN_TIMEOUT_S 10

struct metrics_http {
	struct loop *l;
	struct metrics *m;
	struct MHD_Daemon *d;
	struct loop_io *io;
	struct loop_timer *timer;
};

static enum MHD_Result answer(struct MHD_Connection *c, unsigned status, char *body, size_t len,
			      enum MHD_ResponseMemoryMode mode, const char *type)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(len, body, mode);
	if (!r) {
		if (mode == MHD_RESPMEM_MUST_FREE)
			free(body);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	enum MHD_Result ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
				  const char *method, const char *version, const char *upload,
				  size_t *upload_size, void **req_cls)
{
	struct metrics_http *h = cls;
	static const char *const text = "text/plain; charset=utf-8";

	if (strcmp(method, MHD_HTTP_METHOD_GET) && strcmp(method, MHD_HTTP_METHOD_HEAD))
		return answer(c, MHD_HTTP_METHOD_NOT_ALLOWED, (char *)"method not allowed\n", 19,
			      MHD_RESPMEM_PERSISTENT, text);
	if (strcmp(url, "/metrics"))
		return answer(c, MHD_HTTP_NOT_FOUND, (char *)"not found: try /metrics\n", 24,
			      MHD_RESPMEM_PERSISTENT, text);
	char *body;
	size_t len;
	if (metrics_render(h->m, &body, &len) < 0)
		return answer(c, MHD_HTTP_INTERNAL_SERVER_ERROR, (char *)"out of memory\n", 14,
			      MHD_RESPMEM_PERSISTENT, text);
	return answer(c, MHD_HTTP_OK, body, len, MHD_RESPMEM_MUST_FREE,
		      "text/plain; version=0.0.4; charset=utf-8");
}

/* After every run: the loop wakes MHD when its earliest timeout is due. */
static void schedule(struct metrics_http *h)
{
	MHD_UNSIGNED_LONG_LONG ms;
	if (MHD_get_timeout(h->d, &ms) == MHD_YES)
		loop_timer_set_in(h->timer, ms);
	else
		loop_timer_disarm(h->timer);
}

/*
 * Twice: at its connection limit libmicrohttpd takes the listening socket
 * out of its epoll set, and puts it back at the start of a run, not when a
 * connection closes at the end of one. With no connection left, nothing
 * would make the loop call it again: a client waiting in the backlog would
 * wait for ever. The second run puts the socket back (or finds nothing).
 */
static void on_io(struct loop *l, int fd, short revents, void *userdata)
{
	struct metrics_http *h = userdata;
	MHD_run(h->d);
	MHD_run(h->d);
	schedule(h);
}

static void on_timer(struct loop *l, struct loop_timer *t, void *userdata)
{
	struct metrics_http *h = userdata;
	MHD_run(h->d);
	schedule(h);
}

int metrics_http_open(struct loop *l, struct metrics *m, const struct sockaddr_storage *addr,
		      struct metrics_http **ret)
{
	_cleanup_(metrics_http_closep) struct metrics_http *h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	h->l = l;
	h->m = m;
	unsigned flags = MHD_USE_EPOLL | (addr->ss_family == AF_INET6 ? MHD_USE_IPv6 : 0);
	errno = 0;
	h->d = MHD_start_daemon(flags, 0, NULL, NULL, on_request, h,
				MHD_OPTION_SOCK_ADDR, (const struct sockaddr *)addr,
				MHD_OPTION_CONNECTION_LIMIT, (unsigned)CONN_LIMIT,
				MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)CONN_TIMEOUT_S,
				MHD_OPTION_LISTENING_ADDRESS_REUSE, (unsigned)1,
				MHD_OPTION_END);
	if (!h->d)
		return errno == EADDRINUSE || errno == EADDRNOTAVAIL ? -errno : -EIO;
	const union MHD_DaemonInfo *di = MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_EPOLL_FD);
	if (!di)
		return -EIO;
	int r = loop_add_io(l, di->epoll_fd, POLLIN, on_io, h, &h->io);
	if (r < 0)
		return r;
	r = loop_add_timer(l, 0, 0, on_timer, h, &h->timer);
	if (r < 0)
		return r;
	*ret = TAKE_PTR(h);
	return 0;
}

void metrics_http_close(struct metrics_http *h)
{
	if (!h)
		return;
	loop_io_remove(h->io);
	loop_timer_remove(h->timer);
	if (h->d)
		MHD_stop_daemon(h->d);
	free(h);
}
