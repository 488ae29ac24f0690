/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Token mails: appended to an mbox file, or sent over SMTP with libcurl. */
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>

#include "macro.h"
#include "registry.h"

static char *build_message(const char *from, const char *to, const char *token, bool mbox)
{
	char date[64], mdate[64];
	time_t t = time(NULL);
	struct tm tm;
	char *msg = NULL;

	gmtime_r(&t, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S +0000", &tm);
	strftime(mdate, sizeof(mdate), "%a %b %e %H:%M:%S %Y", &tm);
	if (asprintf(&msg,
		     "%s%s%s"
		     "From: %s\r\n"
		     "To: %s\r\n"
		     "Date: %s\r\n"
		     "Subject: [re6stnet] Token Request\r\n"
		     "Content-Type: text/plain; charset=us-ascii\r\n"
		     "\r\n"
		     "Hello, your token to join re6st network is: %s\r\n",
		     mbox ? "From re6st-registry " : "", mbox ? mdate : "", mbox ? "\n" : "",
		     from, to, date, token) < 0)
		return NULL;
	if (mbox) {
		/* mbox wants bare LF line ends. */
		char *w = msg;
		for (char *r = msg; *r; r++)
			if (*r != '\r')
				*w++ = *r;
		*w = '\0';
	}
	return msg;
}

static int mbox_append(const char *path, const char *msg, char **ret_error)
{
	_cleanup_close_ int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	size_t len = strlen(msg), off = 0;
	struct stat st;

	if (fd < 0 || flock(fd, LOCK_EX) < 0 || fstat(fd, &st) < 0) {
		int r = negative_errno();
		if (asprintf(ret_error, "cannot append to %s: %s", path, strerror(-r)) < 0)
			*ret_error = NULL;
		return r;
	}
	/* Messages are separated by an empty line. */
	if (st.st_size > 0 && write(fd, "\n", 1) != 1)
		goto fail;
	while (off < len) {
		ssize_t n = write(fd, msg + off, len - off);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			goto fail;
		}
		off += (size_t)n;
	}
	if (write(fd, "\n", 1) != 1 || fsync(fd) < 0)
		goto fail;
	return 0;
fail:;
	int r = negative_errno();
	if (asprintf(ret_error, "cannot write %s: %s", path, strerror(-r)) < 0)
		*ret_error = NULL;
	return r;
}

struct upload {
	const char *data;
	size_t len, off;
};

static size_t read_cb(char *buf, size_t size, size_t nmemb, void *userp)
{
	struct upload *u = userp;
	size_t n = MIN(size * nmemb, u->len - u->off);

	memcpy(buf, u->data + u->off, n);
	u->off += n;
	return n;
}

static int smtp_send(const struct registry_options *opt, const char *from, const char *to,
		     const char *msg, char **ret_error)
{
	_cleanup_free_ char *url = NULL, *from_addr = NULL;
	struct upload u = { .data = msg, .len = strlen(msg) };
	struct curl_slist *rcpt = NULL;
	char errbuf[CURL_ERROR_SIZE] = "";
	CURL *c;
	CURLcode rc;

	if (strstr(opt->mailhost, "://"))
		url = strdup(opt->mailhost);
	else if (asprintf(&url, "smtp://%s", opt->mailhost) < 0)
		url = NULL;
	if (asprintf(&from_addr, "<%s>", from) < 0)
		from_addr = NULL;
	if (!url || !from_addr)
		return -ENOMEM;
	c = curl_easy_init();
	if (!c)
		return -ENOMEM;
	rcpt = curl_slist_append(NULL, to);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_MAIL_FROM, from_addr);
	curl_easy_setopt(c, CURLOPT_MAIL_RCPT, rcpt);
	curl_easy_setopt(c, CURLOPT_READFUNCTION, read_cb);
	curl_easy_setopt(c, CURLOPT_READDATA, &u);
	curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	if (opt->smtp_starttls)
		curl_easy_setopt(c, CURLOPT_USE_SSL, (long)CURLUSESSL_ALL);
	if (opt->smtp_user) {
		curl_easy_setopt(c, CURLOPT_USERNAME, opt->smtp_user);
		curl_easy_setopt(c, CURLOPT_PASSWORD, opt->smtp_pwd ? opt->smtp_pwd : "");
	}
	rc = curl_easy_perform(c);
	curl_slist_free_all(rcpt);
	curl_easy_cleanup(c);
	if (rc != CURLE_OK) {
		if (asprintf(ret_error, "SMTP to %s failed: %s", url,
			     errbuf[0] ? errbuf : curl_easy_strerror(rc)) < 0)
			*ret_error = NULL;
		return -EIO;
	}
	return 0;
}

int mail_send_token(const struct registry_options *opt, const char *to, const char *token,
		    char **ret_error)
{
	const char *from = opt->mail_from ? opt->mail_from : "re6st-registry@localhost";
	struct stat st;
	bool mbox = opt->mailhost[0] == '/' || stat(opt->mailhost, &st) == 0;
	_cleanup_free_ char *msg = build_message(from, to, token, mbox);

	*ret_error = NULL;
	if (!msg)
		return -ENOMEM;
	return mbox ? mbox_append(opt->mailhost, msg, ret_error)
		    : smtp_send(opt, from, to, msg, ret_error);
}
