/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The libcurl transport (see transport.h), also the engine of re6st-fetch. */
#include "transport.h"

#include <curl/curl.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/select.h>

#include "macro.h"

void rc_response_clear(struct rc_response *a)
{
	free(a->body);
	*a = (struct rc_response){};
}

struct rc_transfer {
	CURLM *multi;
	CURL *easy;
	struct curl_slist *hdrs;
	struct rc_response a;
	bool too_big, done;
	CURLcode rc;
	char errbuf[CURL_ERROR_SIZE];
};

int rc_transport_init(void)
{
	return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : -ENOMEM;
}

static size_t on_body(char *data, size_t size, size_t nmemb, void *userp)
{
	struct rc_transfer *t = userp;
	size_t n = size * nmemb;
	char *b;

	if (t->a.len + n > RC_MAX_ANSWER) {
		t->too_big = true;
		return 0;
	}
	b = realloc(t->a.body, t->a.len + n + 1);
	if (!b)
		return 0;
	memcpy(b + t->a.len, data, n);
	t->a.body = b;
	t->a.len += n;
	b[t->a.len] = '\0';
	return n;
}

static size_t on_header(char *data, size_t size, size_t nmemb, void *userp)
{
	static const char name[] = RC_SIGNATURE_HEADER ":";
	struct rc_transfer *t = userp;
	size_t n = size * nmemb;

	if (n > sizeof(name) - 1 && strncasecmp(data, name, sizeof(name) - 1) == 0) {
		const char *v = data + sizeof(name) - 1;
		size_t vl = n - (sizeof(name) - 1);
		while (vl && (*v == ' ' || *v == '\t'))
			v++, vl--;
		while (vl && (v[vl - 1] == '\r' || v[vl - 1] == '\n' || v[vl - 1] == ' '))
			vl--;
		t->a.has_signature = vl < sizeof(t->a.signature);
		if (t->a.has_signature) {
			memcpy(t->a.signature, v, vl);
			t->a.signature[vl] = '\0';
		}
	}
	return n;
}

static int curl_to_errno(CURLcode rc)
{
	switch (rc) {
	case CURLE_COULDNT_CONNECT:
		return -ECONNREFUSED;
	case CURLE_OPERATION_TIMEDOUT:
		return -ETIMEDOUT;
	case CURLE_COULDNT_RESOLVE_HOST:
		return -EHOSTUNREACH;
	case CURLE_OUT_OF_MEMORY:
		return -ENOMEM;
	default:
		return -EIO;
	}
}

void rc_transfer_free(struct rc_transfer *t)
{
	if (!t)
		return;
	if (t->multi && t->easy)
		curl_multi_remove_handle(t->multi, t->easy);
	if (t->easy)
		curl_easy_cleanup(t->easy);
	if (t->multi)
		curl_multi_cleanup(t->multi);
	curl_slist_free_all(t->hdrs);
	rc_response_clear(&t->a);
	free(t);
}
DEFINE_FREEP(struct rc_transfer, rc_transfer_free)

/* An easy handle for req, not started. */
static int transfer_new(const struct rc_request *req, struct rc_transfer **ret)
{
	_cleanup_(rc_transfer_freep) struct rc_transfer *t = calloc(1, sizeof(*t));
	CURL *h;

	if (!t)
		return -ENOMEM;
	for (size_t i = 0; i < req->n_headers; i++) {
		struct curl_slist *l = curl_slist_append(t->hdrs, req->headers[i]);
		if (!l)
			return -ENOMEM;
		t->hdrs = l;
	}
	h = t->easy = curl_easy_init();
	if (!h)
		return -ENOMEM;
	curl_easy_setopt(h, CURLOPT_URL, req->url);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, req->timeout_ms);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, req->timeout_ms);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_USERAGENT, req->user_agent);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, t);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, t);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, t->errbuf);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	if (req->cainfo)
		curl_easy_setopt(h, CURLOPT_CAINFO, req->cainfo);
	if (t->hdrs)
		curl_easy_setopt(h, CURLOPT_HTTPHEADER, t->hdrs);
	*ret = TAKE_PTR(t);
	return 0;
}

int rc_transfer_result(struct rc_transfer *t, struct rc_response *ret, char err[RC_ERRLEN])
{
	long status = 0;

	if (!t->done)
		return -EAGAIN;
	if (t->too_big) {
		snprintf(err, RC_ERRLEN, "answer larger than %u bytes", RC_MAX_ANSWER);
		return -EBADMSG;
	}
	if (t->rc != CURLE_OK) {
		snprintf(err, RC_ERRLEN, "%s", t->errbuf[0] ? t->errbuf : curl_easy_strerror(t->rc));
		return curl_to_errno(t->rc);
	}
	curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &status);
	t->a.status = (unsigned)status;
	*ret = t->a;
	t->a = (struct rc_response){};
	return 0;
}

int rc_transport_perform(const struct rc_request *req, struct rc_response *ret,
			 char err[RC_ERRLEN])
{
	_cleanup_(rc_transfer_freep) struct rc_transfer *t = NULL;
	int r = transfer_new(req, &t);

	if (r < 0)
		return r;
	t->rc = curl_easy_perform(t->easy);
	t->done = true;
	return rc_transfer_result(t, ret, err);
}

int rc_transfer_start(const struct rc_request *req, struct rc_transfer **ret,
		      char err[RC_ERRLEN])
{
	_cleanup_(rc_transfer_freep) struct rc_transfer *t = NULL;
	int r = transfer_new(req, &t);

	if (r < 0)
		return r;
	t->multi = curl_multi_init();
	if (!t->multi || curl_multi_add_handle(t->multi, t->easy) != CURLM_OK)
		return -ENOMEM;
	*ret = TAKE_PTR(t);
	return 0;
}

int rc_transfer_fds(struct rc_transfer *t, struct pollfd *fds, size_t max, size_t *ret_n,
		    int *ret_timeout_ms)
{
	fd_set rd, wr, ex;
	int maxfd = -1;
	long ms = -1;
	size_t n = 0;

	if (t->done) {
		*ret_n = 0;
		*ret_timeout_ms = 0;
		return 0;
	}
	FD_ZERO(&rd);
	FD_ZERO(&wr);
	FD_ZERO(&ex);
	if (curl_multi_fdset(t->multi, &rd, &wr, &ex, &maxfd) != CURLM_OK ||
	    curl_multi_timeout(t->multi, &ms) != CURLM_OK)
		return -EIO;
	for (int fd = 0; fd <= maxfd; fd++) {
		short ev = (FD_ISSET(fd, &rd) ? POLLIN : 0) | (FD_ISSET(fd, &wr) ? POLLOUT : 0);
		if (!ev && !FD_ISSET(fd, &ex))
			continue;
		if (n == max)
			return -ENOBUFS;
		fds[n++] = (struct pollfd){ .fd = fd, .events = ev };
	}
	/* No socket yet (e.g. name resolution in progress): poll again soon. */
	if (n == 0 && (ms < 0 || ms > 100))
		ms = 100;
	*ret_n = n;
	*ret_timeout_ms = ms < 0 ? -1 : (int)MIN(ms, 60000L);
	return 0;
}

int rc_transfer_process(struct rc_transfer *t)
{
	int running = 0, left;
	CURLMsg *m;

	if (t->done)
		return 1;
	if (curl_multi_perform(t->multi, &running) != CURLM_OK)
		return -EIO;
	while ((m = curl_multi_info_read(t->multi, &left)))
		if (m->msg == CURLMSG_DONE) {
			t->done = true;
			t->rc = m->data.result;
		}
	if (!t->done && running == 0) {
		t->done = true;
		t->rc = CURLE_RECV_ERROR;
		snprintf(t->errbuf, sizeof(t->errbuf), "transfer ended without result");
	}
	return t->done ? 1 : 0;
}
