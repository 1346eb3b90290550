/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Proxy handshakes: a client's SOCKS4/4a/5 or HTTP CONNECT request and the
 * proxy's answer, read from the first bytes of each direction. Shared by the
 * relay detector (is the target a pool?) and the tunnel hand-over (where do
 * the tunnelled bytes start?). */
#ifndef MW_PROXY_PARSE_H
#define MW_PROXY_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "detect.h"

#define PROXY_MAX_NAME 255

enum proxy_kind {
	PROXY_SOCKS4 = 1,	/* SOCKS4 and 4a */
	PROXY_SOCKS5,
	PROXY_CONNECT,		/* HTTP CONNECT */
};

/* A proxy target: a name or an address, and a port. */
struct proxy_target {
	uint8_t family;		/* AF_INET, AF_INET6, or 0 for a name */
	uint8_t addr[16];
	char name[PROXY_MAX_NAME + 1];
	size_t name_len;
	uint16_t port;
};

struct proxy_request {
	enum proxy_kind kind;
	struct proxy_target target;
	size_t end;		/* bytes the whole request takes: the tunnel's payload
				 * starts there; 0 while its end is not seen (CONNECT
				 * headers still arriving) */
};

/* "socks4", "socks5", "http-connect". */
const char *proxy_kind_name(enum proxy_kind k);

/* A client's request to open a TCP tunnel at b[0..len), from the stream start.
 * DET_MATCH: rq filled, the target known (rq->end may still be 0); DET_MORE:
 * not enough bytes to know (rq->kind says which request it would be);
 * DET_NO: no such request (another protocol, a BIND or UDP request,
 * malformed). full: no more bytes will come. */
enum det_result proxy_request(const uint8_t *b, size_t len, bool full, struct proxy_request *rq);

/* The proxy's answer to a request of this kind at r[0..len), from the start
 * of that answer. DET_MATCH: the proxy said yes, *end is the answer's length
 * (the tunnel's bytes follow); DET_NO: it refused, chose a way we cannot
 * follow (SOCKS5 GSSAPI) or this is no answer; DET_MORE: incomplete. */
enum det_result proxy_reply(enum proxy_kind k, const uint8_t *r, size_t len, size_t *end);

/* "host:port", "a.b.c.d:port" or "[v6]:port", a name cut to name_max bytes
 * and its odd bytes shown as '?'. */
void proxy_target_str(const struct proxy_target *t, size_t name_max, char *buf, size_t size);

#endif
