/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Relay detector: HTTP CONNECT and SOCKS4/4a/5 requests whose target is a
 * known pool (listed address or address:port, listed domain, or listed pool port). */
#include "config.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "det_app.h"
#include "domain_set.h"
#include "ep_table.h"

#define PROXY_MAX_NAME 255

/* A proxy target: a name or an address, and a port. */
struct proxy_target {
	uint8_t family;		/* AF_INET, AF_INET6, or 0 for a name */
	uint8_t addr[16];
	char name[PROXY_MAX_NAME + 1];
	size_t name_len;
	uint16_t port;
};

/* Which evidence counts: a listed endpoint (address, CIDR or address:port), a
 * listed domain, or a listed pool port. A pool port alone counts because a
 * proxy tunnel to 3333/4444/14444 is what a miner behind a proxy does, and the
 * port list is the admin's. */
static enum det_result judge(const struct det_env *env, const struct proxy_target *t,
			     const char *dialect, struct det_finding *out)
{
	char shown[PROXY_MAX_NAME + 1], matched[PROXY_MAX_NAME + 1];
	const char *why = NULL;
	size_t i;

	if (t->family) {
		if (!inet_ntop(t->family, t->addr, shown, sizeof(shown)))
			snprintf(shown, sizeof(shown), "?");
	} else {
		for (i = 0; i < t->name_len; i++)
			shown[i] = (t->name[i] > 0x20 && t->name[i] < 0x7f) ? t->name[i] : '?';
		shown[t->name_len] = '\0';
	}
	if (t->family && env->pool_endpoints &&
	    ep_table_lookup(env->pool_endpoints, t->family, t->addr, t->port, 0))
		why = "pool endpoint";
	else if (t->family && env->learned &&
		 ep_table_lookup(env->learned, t->family, t->addr, t->port, env->now_ms ? env->now_ms : 1))
		why = "pool address learned from DNS";
	else if (!t->family && t->name_len && env->pool_domains &&
		 domain_set_match(env->pool_domains, t->name, t->name_len, matched, sizeof(matched)) == 1)
		why = "pool domain";
	else if (det_port_listed(env, t->port))
		why = "pool port";
	if (!why)
		return DET_NO;
	snprintf(out->dialect, sizeof(out->dialect), "%s", dialect);
	if (!t->family)
		snprintf(out->name, sizeof(out->name), "%.253s", shown);
	snprintf(out->detail, sizeof(out->detail), "%s to %s%.100s%s:%u (%s)", dialect,
		 t->family == AF_INET6 ? "[" : "", shown, t->family == AF_INET6 ? "]" : "",
		 t->port, why);
	return DET_MATCH;
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

/* "CONNECT host:port HTTP/1.x\r\n": only the request line is needed. */
static enum det_result http_connect(const struct det_env *env, const uint8_t *b, size_t len,
				    bool full, struct det_finding *out)
{
	static const char verb[] = "CONNECT ";
	struct proxy_target t;
	const uint8_t *eol, *sp;
	size_t n = len < sizeof(verb) - 1 ? len : sizeof(verb) - 1;

	if (memcmp(b, verb, n) != 0)
		return DET_NO;
	if (len < sizeof(verb) - 1)
		return DET_MORE;
	eol = memchr(b, '\n', len < 1024 ? len : 1024);
	if (!eol)
		return (full || len >= 1024) ? DET_NO : DET_MORE;
	b += sizeof(verb) - 1;
	sp = memchr(b, ' ', (size_t)(eol - b));
	if (!sp || eol - sp < 9 || memcmp(sp + 1, "HTTP/1.", 7) != 0)
		return DET_NO;
	memset(&t, 0, sizeof(t));
	if (parse_authority(b, (size_t)(sp - b), &t) < 0)
		return DET_NO;
	return judge(env, &t, "http-connect", out);
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
static enum det_result socks4(const struct det_env *env, const uint8_t *b, size_t len,
			      bool full, struct det_finding *out)
{
	struct proxy_target t;
	long ulen, hlen;

	if (len < 2)
		return DET_MORE;
	if (b[1] != 0x01)
		return DET_NO;	/* BIND, or not SOCKS at all */
	if (len < 9)
		return full ? DET_NO : DET_MORE;
	memset(&t, 0, sizeof(t));
	t.port = (uint16_t)(b[2] << 8 | b[3]);
	ulen = nul_field(b, len, 8, PROXY_MAX_NAME);
	if (ulen == -1)
		return DET_NO;
	if (ulen == -2)
		return full ? DET_NO : DET_MORE;
	if (b[4] == 0 && b[5] == 0 && b[6] == 0 && b[7] != 0) {
		size_t hpos = 8 + (size_t)ulen + 1;

		hlen = nul_field(b, len, hpos, PROXY_MAX_NAME);
		if (hlen == -1 || hlen == 0)
			return DET_NO;
		if (hlen == -2)
			return full ? DET_NO : DET_MORE;
		memcpy(t.name, b + hpos, (size_t)hlen);
		t.name[hlen] = '\0';
		t.name_len = (size_t)hlen;
		return judge(env, &t, "socks4", out);
	}
	t.family = AF_INET;
	memcpy(t.addr, b + 4, 4);
	return judge(env, &t, "socks4", out);
}

/* SOCKS5: greeting 05 n methods[n]; optional RFC 1929 user/pass 01 ulen u plen p
 * (when the server chose method 02); request 05 01 00 atyp addr port. Clients
 * may send the request before the server's method reply, so the version byte
 * tells the sub-negotiation (01) from the request (05). */
static enum det_result socks5(const struct det_env *env, const struct det_stream *s,
			      struct det_finding *out)
{
	const uint8_t *b = s->data[FLOW_ORIG], *r = s->data[FLOW_REPLY];
	size_t len = s->len[FLOW_ORIG], pos, need;
	bool full = s->full[FLOW_ORIG];
	struct proxy_target t;
	unsigned int i;

	if (len < 2)
		return DET_MORE;
	if (b[1] == 0)
		return DET_NO;
	pos = 2 + (size_t)b[1];
	if (len < pos)
		return full ? DET_NO : DET_MORE;
	for (i = 2; i < pos; i++)
		if (b[i] > 0x09 && b[i] < 0x80)
			return DET_NO;	/* unassigned methods: not a SOCKS greeting */
	/* The server refused every method, or answered something else. */
	if (s->len[FLOW_REPLY] >= 1 && r[0] != 0x05)
		return DET_NO;
	if (s->len[FLOW_REPLY] >= 2 && r[1] == 0xff)
		return DET_NO;
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
	memset(&t, 0, sizeof(t));
	switch (b[pos + 3]) {
	case 0x01:
		need = pos + 4 + 4 + 2;
		if (len < need)
			return full ? DET_NO : DET_MORE;
		t.family = AF_INET;
		memcpy(t.addr, b + pos + 4, 4);
		break;
	case 0x04:
		need = pos + 4 + 16 + 2;
		if (len < need)
			return full ? DET_NO : DET_MORE;
		t.family = AF_INET6;
		memcpy(t.addr, b + pos + 4, 16);
		break;
	case 0x03:
		if (b[pos + 4] == 0)
			return DET_NO;
		need = pos + 5 + b[pos + 4] + 2;
		if (len < need)
			return full ? DET_NO : DET_MORE;
		t.name_len = b[pos + 4];
		memcpy(t.name, b + pos + 5, t.name_len);
		t.name[t.name_len] = '\0';
		break;
	default:
		return DET_NO;
	}
	t.port = (uint16_t)(b[need - 2] << 8 | b[need - 1]);
	return judge(env, &t, "socks5", out);
}

static enum det_result proxy_inspect(const struct det_env *env, const struct det_stream *s,
				     struct det_finding *out)
{
	const uint8_t *b = s->data[FLOW_ORIG];
	size_t len = s->len[FLOW_ORIG];

	/* A tunnel is set up by the first bytes; midstream we cannot see them. */
	if (s->midstream)
		return DET_NO;
	if (len == 0)
		return s->len[FLOW_REPLY] ? DET_NO : DET_MORE;
	switch (b[0]) {
	case 0x04:
		return socks4(env, b, len, s->full[FLOW_ORIG], out);
	case 0x05:
		return socks5(env, s, out);
	case 'C':
		return http_connect(env, b, len, s->full[FLOW_ORIG], out);
	default:
		return DET_NO;
	}
}

const struct detector det_proxy = {
	.name = "relay",
	.protos = DET_P_TCP,
	.inspect = proxy_inspect,
};
