// SPDX-License-Identifier: GPL-2.0-or-later
/* The engine through proxy tunnels, packet by packet: the handshakes curl
 * 7.88.1 sends (SOCKS4, 4a, SOCKS5 to an IPv4 address, a name and an IPv6
 * address, with and without RFC 1929 credentials, HTTP CONNECT) and the
 * answers of a proxy, then each inner protocol from tests/lab/payloads. */
#include "config.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "conf.h"
#include "engine.h"
#include "ep_table.h"
#include "pool_lists.h"
#include "unit.h"

/* ---- what the engine reported ------------------------------------------ */

struct seen {
	int n;
	char detector[32], dialect[32], detail[EVENT_DETAIL_MAX];
	enum conf_action action;
	bool allowlisted;
	bool has_target;
	struct det_addr target;
};

static void on_event(void *arg, const struct mw_event *ev)
{
	struct seen *s = arg;

	if (ev->type != EVENT_MINING)
		return;
	s->n++;
	snprintf(s->detector, sizeof(s->detector), "%s", ev->detector ? ev->detector : "");
	snprintf(s->dialect, sizeof(s->dialect), "%s", ev->dialect ? ev->dialect : "");
	snprintf(s->detail, sizeof(s->detail), "%s", ev->detail ? ev->detail : "");
	s->action = ev->action;
	s->allowlisted = ev->allowlisted;
	s->has_target = ev->target != NULL;
	if (ev->target)
		s->target = *ev->target;
}

/* ---- one TCP connection through the engine ------------------------------ */

struct conn {
	struct engine *e;
	bool v6;
	uint8_t caddr[16], saddr[16];
	uint16_t cport, sport;
	uint32_t seq[2];		/* next sequence number: client, server */
	uint64_t now;
	int blocked_at;			/* packet number of the first drop/reject verdict, or -1 */
	int clean_at;			/* of the first CLEAN mark, or -1 */
	int packets;
};

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

/* One segment: from the client (srv 0) or the server (srv 1). */
static void conn_pkt(struct conn *c, int srv, uint8_t flags, const uint8_t *data, size_t len)
{
	uint8_t b[60 + 1500];
	size_t ip = c->v6 ? 40 : 20;
	struct queue_verdict v;
	struct timeval ts = { 1700000000, 0 };
	uint8_t *t = b + ip;

	if (len > 1400)
		abort();
	memset(b, 0, ip + 20);
	if (c->v6) {
		b[0] = 0x60;
		put16(b + 4, (uint16_t)(20 + len));
		b[6] = IPPROTO_TCP;
		b[7] = 64;
		memcpy(b + 8, srv ? c->saddr : c->caddr, 16);
		memcpy(b + 24, srv ? c->caddr : c->saddr, 16);
	} else {
		b[0] = 0x45;
		put16(b + 2, (uint16_t)(20 + 20 + len));
		b[8] = 64;
		b[9] = IPPROTO_TCP;
		memcpy(b + 12, srv ? c->saddr : c->caddr, 4);
		memcpy(b + 16, srv ? c->caddr : c->saddr, 4);
	}
	put16(t, srv ? c->sport : c->cport);
	put16(t + 2, srv ? c->cport : c->sport);
	put32(t + 4, c->seq[srv]);
	put32(t + 8, c->seq[!srv]);
	t[12] = 5 << 4;
	t[13] = flags;
	put16(t + 14, 65535);
	if (len)
		memcpy(t + 20, data, len);
	c->seq[srv] += (uint32_t)len + ((flags & 0x02) ? 1 : 0);
	memset(&v, 0, sizeof(v));
	engine_packet(c->e, b, ip + 20 + len, 0, c->now += 10, &ts, &v);
	c->packets++;
	if (v.action == QV_REPEAT && c->blocked_at < 0)
		c->blocked_at = c->packets;
	if (v.action == QV_ACCEPT && v.set_mark && c->clean_at < 0)
		c->clean_at = c->packets;
}

static void conn_open(struct conn *c, struct engine *e, bool v6, uint16_t cport, uint16_t sport)
{
	memset(c, 0, sizeof(*c));
	c->e = e;
	c->v6 = v6;
	c->cport = cport;
	c->sport = sport;
	if (v6) {
		inet_pton(AF_INET6, "2001:db8:1::2", c->caddr);
		inet_pton(AF_INET6, "2001:db8:2::3", c->saddr);
	} else {
		inet_pton(AF_INET, "198.51.100.2", c->caddr);
		inet_pton(AF_INET, "203.0.113.3", c->saddr);
	}
	c->seq[0] = 1000;
	c->seq[1] = 900000;
	c->blocked_at = c->clean_at = -1;
	conn_pkt(c, 0, 0x02, NULL, 0);		/* SYN; the SYN-ACK skips the queue */
}

/* Bytes from one side, in n segments. */
static void conn_send(struct conn *c, int srv, const void *data, size_t len, unsigned int n)
{
	size_t off = 0, part;
	unsigned int i;

	for (i = 0; i < n; i++) {
		part = len / n + (i < len % n ? 1 : 0);
		conn_pkt(c, srv, 0x18, (const uint8_t *)data + off, part);
		off += part;
	}
}

/* ---- handshakes -------------------------------------------------------- */

enum kind { K_SOCKS4, K_SOCKS4A, K_SOCKS5, K_SOCKS5_NAME, K_SOCKS5_V6, K_SOCKS5_AUTH, K_CONNECT,
	    K_CONNECT_NAME, K_COUNT };

static const char *const kind_via[K_COUNT] = { "socks4", "socks4", "socks5", "socks5", "socks5",
					       "socks5", "http-connect", "http-connect" };

/* What a step is: bytes from one side. */
struct step {
	int srv;
	uint8_t b[512];
	size_t len;
};

/* The client's request for a tunnel to the pool (203.0.113.2 or
 * 2001:db8:2::2 or pool.lab.test, port) and the proxy's answers, in the order
 * curl waits for them. Returns the steps written; *shown the target as the
 * detail names it. */
static unsigned int handshake(enum kind k, uint16_t port, struct step *st, char *shown, size_t size)
{
	static const uint8_t v4[4] = { 203, 0, 113, 2 };
	static const char name[] = "pool.lab.test";
	uint8_t v6[16];
	unsigned int n = 0;
	size_t l;

	inet_pton(AF_INET6, "2001:db8:2::2", v6);
	memset(st, 0, 6 * sizeof(*st));
	switch (k) {
	case K_SOCKS4:
		memcpy(st[0].b, "\x04\x01", 2);
		put16(st[0].b + 2, port);
		memcpy(st[0].b + 4, v4, 4);
		st[0].len = 9;				/* empty user id */
		st[1].srv = 1;
		memcpy(st[1].b, "\x00\x5a\x00\x00\x00\x00\x00\x00", st[1].len = 8);
		n = 2;
		snprintf(shown, size, "203.0.113.2:%u", port);
		break;
	case K_SOCKS4A:
		memcpy(st[0].b, "\x04\x01\x00\x00\x00\x00\x00\x01\x00", 9);
		put16(st[0].b + 2, port);
		memcpy(st[0].b + 9, name, sizeof(name));
		st[0].len = 9 + sizeof(name);
		st[1].srv = 1;
		memcpy(st[1].b, "\x00\x5a\x00\x00\x00\x00\x00\x00", st[1].len = 8);
		n = 2;
		snprintf(shown, size, "%s:%u", name, port);
		break;
	case K_SOCKS5:
	case K_SOCKS5_NAME:
	case K_SOCKS5_V6:
	case K_SOCKS5_AUTH:
		if (k == K_SOCKS5_AUTH) {
			memcpy(st[n].b, "\x05\x03\x00\x01\x02", st[n].len = 5);
			st[++n].srv = 1;
			memcpy(st[n].b, "\x05\x02", st[n].len = 2);
			memcpy(st[++n].b, "\x01\x04user\x04pass", st[n].len = 11);
			st[++n].srv = 1;
			memcpy(st[n].b, "\x01\x00", st[n].len = 2);
		} else {
			memcpy(st[n].b, "\x05\x02\x00\x01", st[n].len = 4);
			st[++n].srv = 1;
			memcpy(st[n].b, "\x05\x00", st[n].len = 2);
		}
		n++;
		memcpy(st[n].b, "\x05\x01\x00", 3);
		if (k == K_SOCKS5_NAME) {
			st[n].b[3] = 3;
			st[n].b[4] = sizeof(name) - 1;
			memcpy(st[n].b + 5, name, sizeof(name) - 1);
			l = 5 + sizeof(name) - 1;
			snprintf(shown, size, "%s:%u", name, port);
		} else if (k == K_SOCKS5_V6) {
			st[n].b[3] = 4;
			memcpy(st[n].b + 4, v6, 16);
			l = 20;
			snprintf(shown, size, "[2001:db8:2::2]:%u", port);
		} else {
			st[n].b[3] = 1;
			memcpy(st[n].b + 4, v4, 4);
			l = 8;
			snprintf(shown, size, "203.0.113.2:%u", port);
		}
		put16(st[n].b + l, port);
		st[n].len = l + 2;
		st[++n].srv = 1;
		memcpy(st[n].b, "\x05\x00\x00\x01\xcb\x00\x71\x03\xbb\xcc", st[n].len = 10);
		n++;
		break;
	case K_CONNECT:
	case K_CONNECT_NAME:
		if (k == K_CONNECT)
			snprintf(shown, size, "203.0.113.2:%u", port);
		else
			snprintf(shown, size, "%s:%u", name, port);
		st[0].len = (size_t)snprintf((char *)st[0].b, sizeof(st[0].b),
			"CONNECT %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: curl/7.88.1\r\n"
			"Proxy-Connection: Keep-Alive\r\n\r\n", shown, shown);
		st[1].srv = 1;
		st[1].len = (size_t)snprintf((char *)st[1].b, sizeof(st[1].b),
					     "HTTP/1.1 200 Connection established\r\n\r\n");
		n = 2;
		break;
	case K_COUNT:
		break;
	}
	return n;
}

static void conn_steps(struct conn *c, const struct step *st, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		conn_send(c, st[i].srv, st[i].b, st[i].len, 1);
}

/* ---- inner protocols ----------------------------------------------------- */

static uint8_t *read_payload(const char *name, size_t *len)
{
	const char *top = getenv("top_srcdir");
	char path[1024];
	static uint8_t buf[8][2048];
	static unsigned int next;
	uint8_t *b = buf[next++ & 7];
	FILE *f;

	snprintf(path, sizeof(path), "%s/tests/lab/payloads/%s", top ? top : ".", name);
	f = fopen(path, "rb");
	if (!f) {
		fprintf(stderr, "cannot open %s\n", path);
		exit(1);
	}
	*len = fread(b, 1, 2048, f);
	fclose(f);
	return b;
}

/* A Stratum V2 SetupConnection (mining protocol, version 2, per the spec). */
static size_t sv2_setup(uint8_t *b)
{
	static const char *const s[] = { "pool.lab.test", NULL, "minewall-test", "Bitaxe Gamma",
					 "v2.4.0", "" };
	size_t n = 6, l;
	unsigned int i;

	memcpy(b + n, "\x00\x02\x00\x02\x00\x01\x00\x00\x00", 9);
	n += 9;
	for (i = 0; i < 6; i++) {
		if (!s[i]) {
			b[n++] = 0x4f;	/* port 34255, little endian */
			b[n++] = 0x85;
			continue;
		}
		l = strlen(s[i]);
		b[n++] = (uint8_t)l;
		memcpy(b + n, s[i], l);
		n += l;
	}
	memset(b, 0, 3);
	b[3] = (uint8_t)(n - 6);
	b[4] = b[5] = 0;
	return n;
}

enum inner { I_BITCOIN, I_XMRIG, I_ETHPROXY, I_GETWORK, I_SV2, I_WEBSOCKET, I_TLS_POOL, I_HTTP,
	     I_TLS_BENIGN, I_COUNT };

static const char *const inner_dialect[I_COUNT] = {
	"stratum/bitcoin", "stratum/cryptonote", "stratum/ethproxy", "getwork/getwork", "sv2/sv2",
	"websocket/cryptonote", "tls-sni/tls", NULL, NULL,
};

/* Send the inner protocol's first bytes (segs segments for the client's
 * decisive message). Returns the packet count before that message. */
static int inner_send(struct conn *c, enum inner in, unsigned int segs)
{
	static const char upgrade[] =
		"GET /proxy HTTP/1.1\r\nHost: ws.example.net\r\nUpgrade: websocket\r\n"
		"Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
		"Sec-WebSocket-Version: 13\r\nOrigin: http://example.org\r\n\r\n";
	static const char switching[] =
		"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
		"Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n";
	static const uint8_t mask[4] = { 0x37, 0xfa, 0x21, 0x3d };
	uint8_t b[1024];
	const uint8_t *p;
	size_t len, i;

	switch (in) {
	case I_BITCOIN:
		p = read_payload("stratum-bitcoin-cgminer.bin", &len);
		break;
	case I_XMRIG:
		p = read_payload("stratum-cryptonote-xmrig.bin", &len);
		break;
	case I_ETHPROXY:
		p = read_payload("stratum-ethproxy.bin", &len);
		break;
	case I_GETWORK:
		p = read_payload("getwork-x-mining.bin", &len);
		break;
	case I_SV2:
		len = sv2_setup(b);
		p = b;
		break;
	case I_WEBSOCKET:
		conn_send(c, 0, upgrade, strlen(upgrade), 1);
		conn_send(c, 1, switching, strlen(switching), 1);
		/* The XMRig login in one masked text frame. */
		p = read_payload("stratum-cryptonote-xmrig.bin", &len);
		b[0] = 0x81;
		b[1] = 0x80 | 126;
		put16(b + 2, (uint16_t)len);
		memcpy(b + 4, mask, 4);
		for (i = 0; i < len; i++)
			b[8 + i] = p[i] ^ mask[i & 3];
		len += 8;
		p = b;
		break;
	case I_TLS_POOL:
		p = read_payload("tls-bitminter.bin", &len);
		break;
	case I_HTTP:
		p = read_payload("http-get.bin", &len);
		break;
	case I_TLS_BENIGN:
	default:
		p = read_payload("tls-benign-gstatic.bin", &len);
		break;
	}
	i = (size_t)c->packets;
	conn_send(c, 0, p, len, segs);
	return (int)i;
}

/* ---- the engine ---------------------------------------------------------- */

static struct mw_conf *conf;
static struct pool_lists *lists;

static struct engine *engine_with(const char *flows, struct seen *seen)
{
	const char *top = getenv("top_srcdir");
	char text[2048];
	struct engine *e;

	top = top ? top : ".";
	conf_free(conf);
	pool_lists_free(lists);
	snprintf(text, sizeof(text),
		 "detect = { blocklists = { domains = [ \"%s/blocklists/pool-domains.txt\" ];\n"
		 "endpoints = [ ]; ports = [ \"%s/blocklists/pool-ports.txt\" ]; }; };\n"
		 "flows = { %s };\n", top, top, flows);
	conf = NULL;
	if (conf_load_string(text, "/nonexistent/x.conf", &conf, stderr) < 0 || !conf)
		exit(1);
	lists = pool_lists_load(conf, stderr);
	if (!lists)
		exit(1);
	memset(seen, 0, sizeof(*seen));
	e = engine_new(conf, lists, on_event, seen);
	if (!e)
		exit(1);
	return e;
}

static uint16_t next_port = 40000;

/* Every proxy kind, each inner protocol: the mining ones stopped at the
 * packet that completes their first message and named as the relay's, the
 * benign ones judged clean without a word. */
static void test_matrix(void)
{
	static const uint16_t proxy_port[K_COUNT] = { 1080, 1080, 1080, 1080, 1080, 1080, 3128, 3128 };
	struct step st[6];
	char shown[64], want[256];
	struct engine_stats es;
	struct seen seen;
	struct engine *e;
	struct conn c;
	unsigned int k, in, n, segs, tunnels = 0;
	int before;

	for (k = 0; k < K_COUNT; k++) {
		for (in = 0; in < I_COUNT; in++) {
			uint16_t port = in == I_TLS_POOL || in == I_TLS_BENIGN ? 443 : 80;
			bool by_addr = k != K_SOCKS4A && k != K_SOCKS5_NAME && k != K_CONNECT_NAME;

			/* Afresh: a pool SNI teaches its server's address, and
			 * the next tunnel to it would be stopped at its request. */
			e = engine_with("", &seen);

			for (segs = 1; segs <= 3; segs += 2) {
				memset(&seen, 0, sizeof(seen));
				conn_open(&c, e, k == K_SOCKS5_V6 && segs == 3, next_port++,
					  proxy_port[k]);
				n = handshake((enum kind)k, port, st, shown, sizeof(shown));
				conn_steps(&c, st, n);
				before = inner_send(&c, (enum inner)in, segs);
				if (in == I_TLS_POOL && segs == 3 && by_addr) {
					CHECK(seen.n == 1);
					CHECK_STR(seen.dialect, kind_via[k]);
					CHECK(strstr(seen.detail, "(pool address learned from DNS)") != NULL);
					continue;
				}
				if (!inner_dialect[in]) {
					CHECK(seen.n == 0);
					CHECK(c.blocked_at < 0);
					/* That ClientHello has no ALPN, one of tls-suspect's
					 * signals: the flow stays under inspection until its
					 * first records say whether it talks like a miner. */
					if (in == I_TLS_BENIGN)
						CHECK(c.clean_at < 0);
					else
						CHECK(c.clean_at > before);
					if (seen.n)
						fprintf(stderr, "kind %u inner %u: %s %s\n", k, in,
							seen.dialect, seen.detail);
					continue;
				}
				CHECK(seen.n == 1);
				CHECK_STR(seen.detector, "relay");
				CHECK_STR(seen.dialect, inner_dialect[in]);
				snprintf(want, sizeof(want), "proxy=%s:%u via=%s target=%s ",
					 c.v6 ? "[2001:db8:2::3]" : "203.0.113.3", proxy_port[k],
					 kind_via[k], shown);
				CHECK(strncmp(seen.detail, want, strlen(want)) == 0);
				/* The segment that completes the message is the one stopped. */
				CHECK(c.blocked_at == before + (int)segs);
				CHECK(seen.action != ACT_ALERT);
				/* A target given as an address is what enforcement blocks. */
				CHECK(seen.has_target == by_addr);
				if (seen.has_target)
					CHECK(seen.target.port == port);
				if (seen.n != 1 || strncmp(seen.detail, want, strlen(want)) != 0 ||
				    c.blocked_at != before + (int)segs)
					fprintf(stderr, "kind %u inner %u segs %u: n=%d blocked at %d "
						"(want %d) %s %s\n", k, in, segs, seen.n, c.blocked_at,
						before + (int)segs, seen.dialect, seen.detail);
			}
			engine_get_stats(e, &es);
			tunnels += (unsigned int)es.tunnels;
			engine_free(e);
		}
	}
	/* Every flow opened one tunnel, but for the second pool SNI to an
	 * address: the first taught it, and the request was stopped. */
	CHECK(tunnels == K_COUNT * I_COUNT * 2 - 5);
}

/* One more CONNECT or SOCKS request inside the tunnel: followed to a depth
 * of three, then reported. */
static void test_nested(void)
{
	struct step a[6], b[6], d[6], x[6];
	unsigned int na, nb, nd, nx;
	char sa[64], sb[64], sd[64], sx[64], want[300];
	struct seen seen;
	struct engine *e;
	struct conn c;
	int before;

	e = engine_with("", &seen);
	/* CONNECT inside SOCKS5: the SOCKS5 target is the HTTP proxy. */
	conn_open(&c, e, false, next_port++, 1080);
	na = handshake(K_SOCKS5, 3128, a, sa, sizeof(sa));
	nb = handshake(K_CONNECT, 80, b, sb, sizeof(sb));
	conn_steps(&c, a, na);
	conn_steps(&c, b, nb);
	before = inner_send(&c, I_BITCOIN, 1);
	CHECK(seen.n == 1);
	CHECK_STR(seen.dialect, "stratum/bitcoin");
	snprintf(want, sizeof(want), "proxy=203.0.113.3:1080 via=socks5 target=%s via=http-connect "
		 "target=%s stratum ", sa, sb);
	CHECK(strncmp(seen.detail, want, strlen(want) - 8) == 0);
	CHECK(c.blocked_at == before + 1);

	/* SOCKS5 inside CONNECT, and the curl-style CONNECT inside that. */
	memset(&seen, 0, sizeof(seen));
	conn_open(&c, e, false, next_port++, 3128);
	na = handshake(K_CONNECT, 1080, a, sa, sizeof(sa));
	nb = handshake(K_SOCKS5_AUTH, 3128, b, sb, sizeof(sb));
	nd = handshake(K_CONNECT_NAME, 80, d, sd, sizeof(sd));
	conn_steps(&c, a, na);
	conn_steps(&c, b, nb);
	conn_steps(&c, d, nd);
	before = inner_send(&c, I_XMRIG, 3);
	CHECK(seen.n == 1);
	CHECK_STR(seen.dialect, "stratum/cryptonote");
	snprintf(want, sizeof(want), "proxy=203.0.113.3:3128 via=http-connect target=%s via=socks5 "
		 "target=%s via=http-connect target=%s ", sa, sb, sd);
	CHECK(strncmp(seen.detail, want, strlen(want)) == 0);
	CHECK(c.blocked_at == before + 3);
	CHECK(!seen.has_target);	/* the innermost target is a name */

	/* A fourth request: not followed, reported with the relay's action. */
	memset(&seen, 0, sizeof(seen));
	conn_open(&c, e, false, next_port++, 1080);
	na = handshake(K_SOCKS5, 3128, a, sa, sizeof(sa));
	nb = handshake(K_CONNECT, 1080, b, sb, sizeof(sb));
	nd = handshake(K_SOCKS4, 3128, d, sd, sizeof(sd));
	nx = handshake(K_CONNECT, 80, x, sx, sizeof(sx));
	conn_steps(&c, a, na);
	conn_steps(&c, b, nb);
	conn_steps(&c, d, nd);
	before = c.packets;
	conn_steps(&c, x, 1);
	CHECK(seen.n == 1);
	CHECK_STR(seen.detector, "relay");
	CHECK_STR(seen.dialect, "too-deep");
	CHECK(strstr(seen.detail, "via=socks4 target=203.0.113.2:3128 http-connect to "
		      "203.0.113.2:80 inside 3 tunnels: not followed") != NULL);
	CHECK(seen.action == ACT_REJECT);
	CHECK(c.blocked_at == before + 1);
	engine_free(e);
}

/* Clients that do not wait for the proxy, the budget counted from the
 * tunnel, a refused CONNECT retried, allowlists, the pool-port check kept. */
static void test_edges(void)
{
	static const char slow[] = "X-Slow: 1\r\n";
	struct step a[6];
	uint8_t buf[1400];
	char shown[64];
	size_t len, n;
	struct engine_stats es;
	struct seen seen;
	struct engine *e;
	struct conn c;
	const uint8_t *p;
	struct ep_table *allow;
	struct ep_entry ent;
	char err[64];
	unsigned int i, na;

	e = engine_with("", &seen);
	/* SOCKS5 greeting, request and the login in one segment. */
	conn_open(&c, e, false, next_port++, 1080);
	na = handshake(K_SOCKS5, 80, a, shown, sizeof(shown));
	p = read_payload("stratum-cryptonote-xmrig.bin", &len);
	memcpy(buf, a[0].b, a[0].len);
	memcpy(buf + a[0].len, a[2].b, a[2].len);
	n = a[0].len + a[2].len;
	memcpy(buf + n, p, len);
	conn_send(&c, 0, buf, n + len, 1);
	CHECK(seen.n == 1);
	CHECK_STR(seen.dialect, "stratum/cryptonote");
	CHECK(c.blocked_at == 2);

	/* CONNECT and the subscribe in one segment. */
	memset(&seen, 0, sizeof(seen));
	conn_open(&c, e, false, next_port++, 3128);
	na = handshake(K_CONNECT, 80, a, shown, sizeof(shown));
	p = read_payload("stratum-bitcoin-cgminer.bin", &len);
	memcpy(buf, a[0].b, a[0].len);
	memcpy(buf + a[0].len, p, len);
	conn_send(&c, 0, buf, a[0].len + len, 1);
	CHECK(seen.n == 1 && c.blocked_at == 2);

	/* 407, then the request again with credentials: still followed. */
	memset(&seen, 0, sizeof(seen));
	conn_open(&c, e, false, next_port++, 3128);
	conn_send(&c, 0, a[0].b, a[0].len, 1);
	len = (size_t)snprintf((char *)buf, sizeof(buf), "HTTP/1.1 407 Proxy Authentication "
			       "Required\r\nProxy-Authenticate: Basic realm=\"lab\"\r\n"
			       "Content-Length: 0\r\n\r\n");
	conn_send(&c, 1, buf, len, 1);
	len = (size_t)snprintf((char *)buf, sizeof(buf), "CONNECT %s HTTP/1.1\r\nHost: %s\r\n"
			       "Proxy-Authorization: Basic dXNlcjpwYXNz\r\n\r\n", shown, shown);
	conn_send(&c, 0, buf, len, 1);
	conn_send(&c, 1, a[1].b, a[1].len, 1);
	inner_send(&c, I_BITCOIN, 1);
	CHECK(seen.n == 1);
	CHECK_STR(seen.dialect, "stratum/bitcoin");
	CHECK(c.blocked_at == c.packets);

	/* The SOCKS5 target on a pool port: the handshake alone is enough,
	 * and the pool's address is named for enforcement. */
	memset(&seen, 0, sizeof(seen));
	conn_open(&c, e, false, next_port++, 1080);
	na = handshake(K_SOCKS5, 3333, a, shown, sizeof(shown));
	conn_steps(&c, a, na);
	CHECK(seen.n == 1);
	CHECK_STR(seen.dialect, "socks5");
	CHECK_STR(seen.detail, "socks5 to 203.0.113.2:3333 (pool port)");
	CHECK(seen.has_target && seen.target.family == AF_INET && seen.target.port == 3333);
	CHECK(c.blocked_at == 4);

	/* An allowlisted proxy does not make what it carries harmless; an
	 * allowlisted target does (reported, not blocked). */
	allow = ep_table_new();
	CHECK(ep_parse("203.0.113.3", &ent, err, sizeof(err)) == 0);
	CHECK(ep_table_add(allow, &ent) == 0);
	engine_set_allow(e, allow, NULL);
	memset(&seen, 0, sizeof(seen));
	conn_open(&c, e, false, next_port++, 1080);
	na = handshake(K_SOCKS5, 80, a, shown, sizeof(shown));
	conn_steps(&c, a, na);
	inner_send(&c, I_BITCOIN, 1);
	CHECK(seen.n == 1 && !seen.allowlisted && c.blocked_at == c.packets);
	CHECK(ep_parse("203.0.113.2", &ent, err, sizeof(err)) == 0);
	CHECK(ep_table_add(allow, &ent) == 0);
	memset(&seen, 0, sizeof(seen));
	conn_open(&c, e, false, next_port++, 1080);
	conn_steps(&c, a, na);
	inner_send(&c, I_BITCOIN, 1);
	CHECK(seen.n == 1 && seen.allowlisted && seen.action == ACT_ALERT && c.blocked_at < 0);
	engine_set_allow(e, NULL, NULL);
	ep_table_free(allow);

	/* A pool SNI through a tunnel to an address teaches that address. */
	engine_get_stats(e, &es);
	n = es.learned;
	memset(&seen, 0, sizeof(seen));
	conn_open(&c, e, false, next_port++, 3128);
	na = handshake(K_CONNECT, 443, a, shown, sizeof(shown));
	conn_steps(&c, a, na);
	inner_send(&c, I_TLS_POOL, 1);
	engine_get_stats(e, &es);
	CHECK(seen.n == 1 && es.learned == n + 1);
	engine_free(e);

	/* Five packets a flow: the SOCKS5 handshake takes five (with the SYN),
	 * and the tunnel still gets its own five. */
	e = engine_with("inspect_packets = 5;", &seen);
	conn_open(&c, e, false, next_port++, 1080);
	na = handshake(K_SOCKS5, 80, a, shown, sizeof(shown));
	conn_steps(&c, a, na);
	inner_send(&c, I_BITCOIN, 1);
	CHECK(seen.n == 1 && c.blocked_at == 6);
	engine_free(e);

	/* A CONNECT head longer than the buffer: reported, not blocked. */
	e = engine_with("inspect_bytes = 256;", &seen);
	conn_open(&c, e, false, next_port++, 3128);
	n = (size_t)snprintf((char *)buf, sizeof(buf), "CONNECT 203.0.113.2:80 HTTP/1.1\r\n"
			     "User-Agent: ");
	for (i = 0; i < 300; i++)
		buf[n++] = 'a';
	memcpy(buf + n, "\r\n\r\n", 4);
	conn_send(&c, 0, buf, n + 4, 1);
	CHECK(seen.n == 1);
	CHECK_STR(seen.dialect, "unseen");
	CHECK(seen.action == ACT_ALERT && c.blocked_at < 0);
	engine_free(e);

	/* A CONNECT head sent a byte a packet until the budget ends: reported.
	 * A flow whose server speaks after a lone 05 is no proxy: nothing. */
	e = engine_with("inspect_packets = 6;", &seen);
	conn_open(&c, e, false, next_port++, 3128);
	n = (size_t)snprintf((char *)buf, sizeof(buf), "CONNECT 203.0.113.2:80 HTTP/1.1\r\n");
	conn_send(&c, 0, buf, n, 1);
	for (i = 0; i < 4; i++)
		conn_send(&c, 0, &slow[i], 1, 1);
	CHECK(seen.n == 1);
	CHECK_STR(seen.dialect, "unseen");
	CHECK(strstr(seen.detail, "http-connect to 203.0.113.2:80: its end is past") != NULL);
	CHECK(c.clean_at == 6 && c.blocked_at < 0);
	memset(&seen, 0, sizeof(seen));
	conn_open(&c, e, false, next_port++, 1080);
	conn_send(&c, 0, "\x05", 1, 1);
	conn_send(&c, 1, "SSH-2.0-OpenSSH_9.2p1\r\n", 23, 1);
	for (i = 0; i < 4; i++)
		conn_send(&c, 0, "\x05", 1, 1);
	CHECK(seen.n == 0 && c.blocked_at < 0);
	engine_free(e);
}

int main(void)
{
	test_matrix();
	test_nested();
	test_edges();
	conf_free(conf);
	pool_lists_free(lists);
	return UNIT_DONE();
}
