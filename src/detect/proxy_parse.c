// SPDX-License-Identifier: GPL-2.0-or-later
/* Proxy handshakes: SOCKS4/4a/5 and HTTP CONNECT requests and their answers. */
#include "config.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "proxy_parse.h"

/* A CONNECT request line longer than this is not one. */
#define CONNECT_LINE_MAX 1024

const char *proxy_kind_name(enum proxy_kind k)
{
	switch (k) {
	case PROXY_SOCKS4:
		return "socks4";
	case PROXY_SOCKS5:
		return "socks5";
	case PROXY_CONNECT:
		return "http-connect";
	}
	return "proxy";
}

void proxy_target_str(const struct proxy_target *t, size_t name_max, char *buf, size_t size)
{
	char shown[PROXY_MAX_NAME + 1];
	size_t i, n;

	if (t->family) {
		if (!inet_ntop(t->family, t->addr, shown, sizeof(shown)))
			snprintf(shown, sizeof(shown), "?");
	} else {
		n = t->name_len < name_max ? t->name_len : name_max;
		if (n > PROXY_MAX_NAME)
			n = PROXY_MAX_NAME;
		for (i = 0; i < n; i++)
			shown[i] = (t->name[i] > 0x20 && t->name[i] < 0x7f) ? t->name[i] : '?';
		shown[n] = '\0';
	}
	snprintf(buf, size, t->family == AF_INET6 ? "[%s]:%u" : "%s:%u", shown, t->port);
}

/* Parse "host:port" or "[v6]:port" of a CONNECT request line. */
static int parse_authority(const uint8_t *a, size_t len, struct proxy_target *t)
{
	size_t hlen, i;
	const uint8_t *host = a, *colon;
	unsigned int port = 0;
	char tmp[PROXY_MAX_NAME + 1];

	colon = NULL;
	for (i = len; i > 0; i--)
		if (a[i - 1] == ':') {
			colon = a + i - 1;
			break;
		}
	if (!colon || colon == a || (size_t)(a + len - colon) < 2 || (size_t)(a + len - colon) > 6)
		return -1;
	for (i = (size_t)(colon - a) + 1; i < len; i++) {
		if (a[i] < '0' || a[i] > '9')
			return -1;
		port = port * 10 + (unsigned int)(a[i] - '0');
	}
	if (port == 0 || port > 65535)
		return -1;
	t->port = (uint16_t)port;
	hlen = (size_t)(colon - a);
	if (host[0] == '[') {
		if (hlen < 3 || host[hlen - 1] != ']' || hlen - 2 > PROXY_MAX_NAME)
			return -1;
		memcpy(tmp, host + 1, hlen - 2);
		tmp[hlen - 2] = '\0';
		if (inet_pton(AF_INET6, tmp, t->addr) != 1)
			return -1;
		t->family = AF_INET6;
		return 0;
	}
	if (hlen > PROXY_MAX_NAME)
		return -1;
	memcpy(tmp, host, hlen);
	tmp[hlen] = '\0';
	if (inet_pton(AF_INET, tmp, t->addr) == 1) {
		t->family = AF_INET;
		return 0;
	}
	for (i = 0; i < hlen; i++)
		if (!((tmp[i] >= 'a' && tmp[i] <= 'z') || (tmp[i] >= 'A' && tmp[i] <= 'Z') ||
		      (tmp[i] >= '0' && tmp[i] <= '9') || tmp[i] == '-' || tmp[i] == '.' ||
		      tmp[i] == '_'))
			return -1;
	memcpy(t->name, tmp, hlen + 1);
	t->name_len = hlen;
	return 0;
}

/* End of an HTTP head that starts at b[0] (its first line ends at b[first]):
 * the length up to and including the empty line, or 0 when not there yet.
 * Bare LF line ends are taken too. */
static size_t http_head_end(const uint8_t *b, size_t len, size_t first)
{
	size_t pos = first + 1;
	const uint8_t *nl;

	while (pos < len) {
		if (b[pos] == '\n')
			return pos + 1;
		if (b[pos] == '\r' && pos + 1 < len && b[pos + 1] == '\n')
			return pos + 2;
		nl = memchr(b + pos, '\n', len - pos);
		if (!nl)
			return 0;
		pos = (size_t)(nl - b) + 1;
	}
	return 0;
}

/* "CONNECT host:port HTTP/1.x\r\n" headers "\r\n": the target is known from
 * the request line, the tunnel starts after the empty line. */
static enum det_result http_connect(const uint8_t *b, size_t len, bool full,
				    struct proxy_request *rq)
{
	static const char verb[] = "CONNECT ";
	const uint8_t *eol, *sp, *a;
	size_t n = len < sizeof(verb) - 1 ? len : sizeof(verb) - 1;

	if (memcmp(b, verb, n) != 0)
		return DET_NO;
	if (len < sizeof(verb) - 1)
		return full ? DET_NO : DET_MORE;
	eol = memchr(b, '\n', len < CONNECT_LINE_MAX ? len : CONNECT_LINE_MAX);
	if (!eol)
		return (full || len >= CONNECT_LINE_MAX) ? DET_NO : DET_MORE;
	a = b + sizeof(verb) - 1;
	sp = memchr(a, ' ', (size_t)(eol - a));
	if (!sp || eol - sp < 9 || memcmp(sp + 1, "HTTP/1.", 7) != 0)
		return DET_NO;
	if (parse_authority(a, (size_t)(sp - a), &rq->target) < 0)
		return DET_NO;
	rq->kind = PROXY_CONNECT;
	rq->end = http_head_end(b, len, (size_t)(eol - b));
	return DET_MATCH;
}

/* Length of a NUL-terminated field at b[pos..len) of at most max bytes: -2 need
 * more bytes, -1 too long. */
static long nul_field(const uint8_t *b, size_t len, size_t pos, size_t max)
{
	size_t i;

	for (i = pos; i < len && i - pos <= max; i++)
		if (b[i] == 0)
			return (long)(i - pos);
	return i - pos > max ? -1 : -2;
}

/* SOCKS4: 04 01 port(2) ip(4) userid\0 [host\0 when ip is 0.0.0.x, x != 0 (4a)]. */
static enum det_result socks4(const uint8_t *b, size_t len, bool full, struct proxy_request *rq)
{
	struct proxy_target *t = &rq->target;
	long ulen, hlen;
	size_t hpos;

	if (len < 2)
		return full ? DET_NO : DET_MORE;
	if (b[1] != 0x01)
		return DET_NO;	/* BIND, or not SOCKS at all */
	if (len < 9)
		return full ? DET_NO : DET_MORE;
	t->port = (uint16_t)(b[2] << 8 | b[3]);
	ulen = nul_field(b, len, 8, PROXY_MAX_NAME);
	if (ulen == -1)
		return DET_NO;
	if (ulen == -2)
		return full ? DET_NO : DET_MORE;
	rq->kind = PROXY_SOCKS4;
	hpos = 8 + (size_t)ulen + 1;
	if (b[4] == 0 && b[5] == 0 && b[6] == 0 && b[7] != 0) {
		hlen = nul_field(b, len, hpos, PROXY_MAX_NAME);
		if (hlen == -1 || hlen == 0)
			return DET_NO;
		if (hlen == -2)
			return full ? DET_NO : DET_MORE;
		memcpy(t->name, b + hpos, (size_t)hlen);
		t->name[hlen] = '\0';
		t->name_len = (size_t)hlen;
		rq->end = hpos + (size_t)hlen + 1;
		return DET_MATCH;
	}
	t->family = AF_INET;
	memcpy(t->addr, b + 4, 4);
	rq->end = hpos;
	return DET_MATCH;
}

/* SOCKS5: greeting 05 n methods[n]; optional RFC 1929 user/pass 01 ulen u plen p
 * (when the server chose method 02); request 05 01 00 atyp addr port. Clients
 * may send the request before the server's method reply, so the version byte
 * tells the sub-negotiation (01) from the request (05). */
static enum det_result socks5(const uint8_t *b, size_t len, bool full, struct proxy_request *rq)
{
	struct proxy_target *t = &rq->target;
	size_t pos, need;
	unsigned int i;

	if (len < 2)
		return full ? DET_NO : DET_MORE;
	if (b[1] == 0)
		return DET_NO;
	pos = 2 + (size_t)b[1];
	if (len < pos)
		return full ? DET_NO : DET_MORE;
	for (i = 2; i < pos; i++)
		if (b[i] > 0x09 && b[i] < 0x80)
			return DET_NO;	/* unassigned methods: not a SOCKS greeting */
	if (len == pos)
		return full ? DET_NO : DET_MORE;
	if (b[pos] == 0x01) {
		if (len < pos + 2)
			return full ? DET_NO : DET_MORE;
		need = pos + 2 + b[pos + 1];
		if (len < need + 1)
			return full ? DET_NO : DET_MORE;
		pos = need + 1 + b[need];
		if (len <= pos)
			return full ? DET_NO : DET_MORE;
	}
	if (b[pos] != 0x05)
		return DET_NO;
	if (len < pos + 5)
		return full ? DET_NO : DET_MORE;
	if (b[pos + 1] != 0x01 || b[pos + 2] != 0x00)
		return DET_NO;	/* only CONNECT carries a pool session */
	switch (b[pos + 3]) {
	case 0x01:
		need = pos + 4 + 4 + 2;
		if (len < need)
			return full ? DET_NO : DET_MORE;
		t->family = AF_INET;
		memcpy(t->addr, b + pos + 4, 4);
		break;
	case 0x04:
		need = pos + 4 + 16 + 2;
		if (len < need)
			return full ? DET_NO : DET_MORE;
		t->family = AF_INET6;
		memcpy(t->addr, b + pos + 4, 16);
		break;
	case 0x03:
		if (b[pos + 4] == 0)
			return DET_NO;
		need = pos + 5 + b[pos + 4] + 2;
		if (len < need)
			return full ? DET_NO : DET_MORE;
		t->name_len = b[pos + 4];
		memcpy(t->name, b + pos + 5, t->name_len);
		t->name[t->name_len] = '\0';
		break;
	default:
		return DET_NO;
	}
	t->port = (uint16_t)(b[need - 2] << 8 | b[need - 1]);
	rq->kind = PROXY_SOCKS5;
	rq->end = need;
	return DET_MATCH;
}

enum det_result proxy_request(const uint8_t *b, size_t len, bool full, struct proxy_request *rq)
{
	memset(rq, 0, sizeof(*rq));
	if (!b || len == 0)
		return full ? DET_NO : DET_MORE;
	switch (b[0]) {
	case 0x04:
		rq->kind = PROXY_SOCKS4;
		return socks4(b, len, full, rq);
	case 0x05:
		rq->kind = PROXY_SOCKS5;
		return socks5(b, len, full, rq);
	case 'C':
		rq->kind = PROXY_CONNECT;
		return http_connect(b, len, full, rq);
	default:
		return DET_NO;
	}
}

/* "HTTP/1.x 2xx reason\r\n" headers "\r\n". Any other status refuses the
 * tunnel (407 asks for credentials, 403/502 deny it). */
static enum det_result connect_reply(const uint8_t *r, size_t len, size_t *end)
{
	static const char ver[] = "HTTP/1.";
	const uint8_t *eol;
	size_t n = len < sizeof(ver) - 1 ? len : sizeof(ver) - 1, i;

	if (memcmp(r, ver, n) != 0)
		return DET_NO;
	if (len < 12)
		return DET_MORE;
	if (r[7] < '0' || r[7] > '9' || r[8] != ' ')
		return DET_NO;
	for (i = 9; i < 12; i++)
		if (r[i] < '0' || r[i] > '9')
			return DET_NO;
	if (r[9] != '2')
		return DET_NO;
	eol = memchr(r, '\n', len < CONNECT_LINE_MAX ? len : CONNECT_LINE_MAX);
	if (!eol)
		return len >= CONNECT_LINE_MAX ? DET_NO : DET_MORE;
	*end = http_head_end(r, len, (size_t)(eol - r));
	return *end ? DET_MATCH : DET_MORE;
}

/* SOCKS4 reply: 00 5a port(2) ip(4); 5b-5d refuse. */
static enum det_result socks4_reply(const uint8_t *r, size_t len, size_t *end)
{
	if (r[0] != 0x00)
		return DET_NO;
	if (len >= 2 && r[1] != 0x5a)
		return DET_NO;
	if (len < 8)
		return DET_MORE;
	*end = 8;
	return DET_MATCH;
}

/* SOCKS5: method choice 05 m; with m = 02 the RFC 1929 status 01 00; then the
 * reply 05 00 00 atyp addr port. Method ff refuses every method offered; other
 * methods (GSSAPI) wrap what follows, which we cannot read. */
static enum det_result socks5_reply(const uint8_t *r, size_t len, size_t *end)
{
	size_t pos, alen;

	if (r[0] != 0x05)
		return DET_NO;
	if (len < 2)
		return DET_MORE;
	if (r[1] == 0x00) {
		pos = 2;
	} else if (r[1] == 0x02) {
		if (len < 3)
			return DET_MORE;
		if (r[2] != 0x01)
			return DET_NO;
		if (len < 4)
			return DET_MORE;
		if (r[3] != 0x00)
			return DET_NO;	/* the credentials were refused */
		pos = 4;
	} else {
		return DET_NO;
	}
	if (len <= pos)
		return DET_MORE;
	if (r[pos] != 0x05)
		return DET_NO;
	if (len < pos + 2)
		return DET_MORE;
	if (r[pos + 1] != 0x00)
		return DET_NO;	/* the proxy could not connect, or would not */
	if (len < pos + 5)
		return DET_MORE;
	switch (r[pos + 3]) {
	case 0x01:
		alen = 4;
		break;
	case 0x04:
		alen = 16;
		break;
	case 0x03:
		alen = 1 + (size_t)r[pos + 4];
		break;
	default:
		return DET_NO;
	}
	if (len < pos + 4 + alen + 2)
		return DET_MORE;
	*end = pos + 4 + alen + 2;
	return DET_MATCH;
}

enum det_result proxy_reply(enum proxy_kind k, const uint8_t *r, size_t len, size_t *end)
{
	*end = 0;
	if (!r || len == 0)
		return DET_MORE;
	switch (k) {
	case PROXY_SOCKS4:
		return socks4_reply(r, len, end);
	case PROXY_SOCKS5:
		return socks5_reply(r, len, end);
	case PROXY_CONNECT:
		return connect_reply(r, len, end);
	}
	return DET_NO;
}
