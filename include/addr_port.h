/* SPDX-License-Identifier: GPL-2.0-or-later */
/* "ADDRESS:PORT" and "[ADDRESS6]:PORT" into a socket address (numeric only). */
#ifndef MW_ADDR_PORT_H
#define MW_ADDR_PORT_H

#include <sys/socket.h>

/* "192.0.2.1:9477" or "[2001:db8::1]:9477" into ss and len; port 1-65535,
 * no names. 0 or -1. */
int addr_port_parse(const char *s, struct sockaddr_storage *ss, socklen_t *len);

#endif
