/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * sockaddr.h - socket addresses (IPv4 or IPv6) as text and by length, for
 * log lines and sendto().
 */
#ifndef RE6ST_SOCKADDR_H
#define RE6ST_SOCKADDR_H

#include <netinet/in.h>
#include <stdint.h>
#include <sys/socket.h>

/* "[2001:db8::1]:326" or "192.0.2.1:326"; "?:0" for another family. */
#define SOCKADDR_STRLEN (INET6_ADDRSTRLEN + 8)
const char *sockaddr_format(const struct sockaddr_storage *ss, char buf[SOCKADDR_STRLEN]);

/* 127.0.0.1:port. */
struct sockaddr_storage sockaddr_loopback4(uint16_t port);

/* The length of the family's struct (sockaddr_in6 or sockaddr_in). */
socklen_t sockaddr_len(const struct sockaddr *sa);

#endif
