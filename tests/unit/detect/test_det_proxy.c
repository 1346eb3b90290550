/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for the relay detector (HTTP CONNECT, SOCKS4/4a/5): the pool-port
 * bitmap, then the real domain set, endpoint table and DNS-learned table. */
#include "config.h"

#include <stdio.h>

#include "det_app.h"
#include "domain_set.h"
#include "ep_table.h"
#include "det_stream.h"
#include "proxy_parse.h"
#include "unit.h"

static uint8_t ports[65536 / 8];
static struct det_env env = { .pool_ports = ports };
static const struct det_env env_none;

static void port_add(uint16_t p)
{
	ports[p >> 3] |= (uint8_t)(1u << (p & 7));
}

static enum det_result run2(const struct det_env *e, const void *o, size_t olen, const void *r,
			    size_t rlen, struct det_finding *f)
{
	return det_run(&det_proxy, e, o, olen, r, rlen, false, false, f);
}

static void test_http_connect(void)
{
	static const char pool[] = "CONNECT xmr-eu1.nanopool.org:14444 HTTP/1.1\r\n"
		"Host: xmr-eu1.nanopool.org:14444\r\n\r\n";
	static const char site[] = "CONNECT www.debian.org:443 HTTP/1.1\r\nHost: www.debian.org:443\r\n\r\n";
	struct det_finding f;

	CHECK(det_more_at_splits(&det_proxy, &env, pool, strcspn(pool, "\n")) == 0);
	CHECK(det_run_c(&det_proxy, &env, pool, &f) == DET_MATCH);
	CHECK_STR(f.dialect, "http-connect");
	CHECK_STR(f.detail, "http-connect to xmr-eu1.nanopool.org:14444 (pool port)");
	/* Nothing listed: no decision on names alone. */
	CHECK(det_run_c(&det_proxy, &env_none, pool, &f) == DET_NO);
	CHECK(det_run_c(&det_proxy, &env, site, &f) == DET_NO);
	CHECK(det_run_c(&det_proxy, &env, "CONNECT 198.51.100.7:3333 HTTP/1.0\r\n\r\n", &f) == DET_MATCH);
	CHECK_STR(f.detail, "http-connect to 198.51.100.7:3333 (pool port)");
	CHECK(det_run_c(&det_proxy, &env, "CONNECT [2001:db8::7]:3333 HTTP/1.1\r\n", &f) == DET_MATCH);
	CHECK_STR(f.detail, "http-connect to [2001:db8::7]:3333 (pool port)");
	/* Malformed authorities and request lines. */
	CHECK(det_run_c(&det_proxy, &env, "CONNECT pool:99999 HTTP/1.1\r\n", &f) == DET_NO);
	CHECK(det_run_c(&det_proxy, &env, "CONNECT pool HTTP/1.1\r\n", &f) == DET_NO);
	CHECK(det_run_c(&det_proxy, &env, "CONNECT :3333 HTTP/1.1\r\n", &f) == DET_NO);
	CHECK(det_run_c(&det_proxy, &env, "CONNECT [::1:3333 HTTP/1.1\r\n", &f) == DET_NO);
	CHECK(det_run_c(&det_proxy, &env, "CONNECT po/ol:3333 HTTP/1.1\r\n", &f) == DET_NO);
	CHECK(det_run_c(&det_proxy, &env, "CONNECT pool:3333\r\n", &f) == DET_NO);
	CHECK(det_run_c(&det_proxy, &env, "CONNEXT pool:3333 HTTP/1.1\r\n", &f) == DET_NO);
	CHECK(det_run_c(&det_proxy, &env, "GET / HTTP/1.1\r\n", &f) == DET_NO);
	CHECK(det_run(&det_proxy, &env, "CONNECT pool:3333 HT", 20, NULL, 0, false, true, &f) == DET_NO);
	/* Midstream and server-first flows are not tunnels we can judge. */
	CHECK(det_run(&det_proxy, &env, pool, strlen(pool), NULL, 0, true, false, &f) == DET_NO);
	CHECK(det_run(&det_proxy, &env, NULL, 0, "220 ", 4, false, false, &f) == DET_NO);
}

static void test_socks4(void)
{
	static const uint8_t s4[] = { 4, 1, 0x0d, 0x05, 198, 51, 100, 7, 'u', 0 };
	static const uint8_t s4_web[] = { 4, 1, 0x01, 0xbb, 198, 51, 100, 7, 0 };
	static const uint8_t s4a[] = { 4, 1, 0x38, 0x6c, 0, 0, 0, 1, 0,
		'x', 'm', 'r', '.', 'p', 'o', 'o', 'l', 0 };
	static const uint8_t s4_bind[] = { 4, 2, 0x0d, 0x05, 198, 51, 100, 7, 0 };
	struct det_finding f;
	size_t i;

	port_add(14444);
	for (i = 1; i < sizeof(s4); i++)
		CHECK(run2(&env, s4, i, NULL, 0, &f) == DET_MORE);
	CHECK(run2(&env, s4, sizeof(s4), NULL, 0, &f) == DET_MATCH);
	CHECK_STR(f.dialect, "socks4");
	CHECK_STR(f.detail, "socks4 to 198.51.100.7:3333 (pool port)");
	CHECK(run2(&env_none, s4, sizeof(s4), NULL, 0, &f) == DET_NO);
	CHECK(run2(&env, s4_web, sizeof(s4_web), NULL, 0, &f) == DET_NO);
	for (i = 1; i < sizeof(s4a); i++)
		CHECK(run2(&env, s4a, i, NULL, 0, &f) == DET_MORE);
	CHECK(run2(&env, s4a, sizeof(s4a), NULL, 0, &f) == DET_MATCH);
	CHECK_STR(f.detail, "socks4 to xmr.pool:14444 (pool port)");
	CHECK(run2(&env, s4_bind, sizeof(s4_bind), NULL, 0, &f) == DET_NO);
	/* A user id with no end, in a full buffer. */
	CHECK(det_run(&det_proxy, &env, s4, sizeof(s4) - 1, NULL, 0, false, true, &f) == DET_NO);
}

static void test_socks5(void)
{
	static const uint8_t greet[] = { 5, 1, 0 };
	static const uint8_t reply_ok[] = { 5, 0 };
	static const uint8_t reply_no[] = { 5, 0xff };
	static const uint8_t v4[] = { 5, 1, 0, 5, 1, 0, 1, 198, 51, 100, 7, 0x0d, 0x05 };
	static const uint8_t name[] = { 5, 2, 0, 2, 5, 1, 0, 3, 8, 'x', 'm', 'r', '.', 'p', 'o',
		'o', 'l', 0x38, 0x6c };
	static const uint8_t v6[] = { 5, 1, 0, 5, 1, 0, 4, 0x20, 1, 0xd, 0xb8, 0, 0, 0, 0, 0, 0, 0,
		0, 0, 0, 0, 7, 0x0d, 0x05 };
	/* RFC 1929 user "user", password "pass" before the request. */
	static const uint8_t auth[] = { 5, 1, 2, 1, 4, 'u', 's', 'e', 'r', 4, 'p', 'a', 's', 's',
		5, 1, 0, 1, 198, 51, 100, 7, 0x0d, 0x05 };
	static const uint8_t web[] = { 5, 1, 0, 5, 1, 0, 1, 198, 51, 100, 7, 0x01, 0xbb };
	static const uint8_t udp[] = { 5, 1, 0, 5, 3, 0, 1, 198, 51, 100, 7, 0x0d, 0x05 };
	static const uint8_t junk[] = { 5, 1, 0x42 };
	struct det_finding f;
	size_t i;

	port_add(3333);
	CHECK(run2(&env, greet, sizeof(greet), NULL, 0, &f) == DET_MORE);
	CHECK(run2(&env, greet, sizeof(greet), reply_ok, 2, &f) == DET_MORE);
	CHECK(run2(&env, greet, sizeof(greet), reply_no, 2, &f) == DET_NO);
	for (i = 1; i < sizeof(v4); i++)
		CHECK(run2(&env, v4, i, reply_ok, 2, &f) == DET_MORE);
	CHECK(run2(&env, v4, sizeof(v4), reply_ok, 2, &f) == DET_MATCH);
	CHECK_STR(f.dialect, "socks5");
	CHECK_STR(f.detail, "socks5 to 198.51.100.7:3333 (pool port)");
	/* Optimistic clients send the request before the method reply. */
	CHECK(run2(&env, v4, sizeof(v4), NULL, 0, &f) == DET_MATCH);
	for (i = 1; i < sizeof(name); i++)
		CHECK(run2(&env, name, i, reply_ok, 2, &f) == DET_MORE);
	CHECK(run2(&env, name, sizeof(name), reply_ok, 2, &f) == DET_MATCH);
	CHECK_STR(f.detail, "socks5 to xmr.pool:14444 (pool port)");
	CHECK(run2(&env, v6, sizeof(v6), reply_ok, 2, &f) == DET_MATCH);
	CHECK_STR(f.detail, "socks5 to [2001:db8::7]:3333 (pool port)");
	for (i = 1; i < sizeof(auth); i++)
		CHECK(run2(&env, auth, i, NULL, 0, &f) == DET_MORE);
	CHECK(run2(&env, auth, sizeof(auth), reply_ok, 2, &f) == DET_MATCH);
	CHECK(run2(&env, web, sizeof(web), reply_ok, 2, &f) == DET_NO);
	CHECK(run2(&env, udp, sizeof(udp), reply_ok, 2, &f) == DET_NO);
	CHECK(run2(&env, junk, sizeof(junk), NULL, 0, &f) == DET_NO);
	CHECK(run2(&env_none, v4, sizeof(v4), reply_ok, 2, &f) == DET_NO);
	CHECK(run2(&env, v4, sizeof(v4), "HTTP", 4, &f) == DET_NO);
	CHECK(run2(&env, (const uint8_t *)"\x05\x00", 2, NULL, 0, &f) == DET_NO);
	CHECK(run2(&env, (const uint8_t *)"\x16\x03\x01", 3, NULL, 0, &f) == DET_NO);
}

/* Targets judged by the pool lists, with no port listed. */
static void test_tables(void)
{
	struct det_env e = { 0 };
	struct det_finding f;
	struct ep_entry ent;
	char err[64];

	e.pool_domains = domain_set_new();
	e.pool_endpoints = ep_table_new();
	e.learned = ep_table_new();
	CHECK(domain_set_add((struct domain_set *)e.pool_domains, "nanopool.org") == 0);
	CHECK(ep_parse("203.0.113.0/24", &ent, err, sizeof(err)) == 0);
	CHECK(ep_table_add((struct ep_table *)e.pool_endpoints, &ent) == 0);
	CHECK(ep_parse("198.51.100.9", &ent, err, sizeof(err)) == 0);
	ent.expires_ms = 5000;
	CHECK(ep_table_add((struct ep_table *)e.learned, &ent) == 0);
	e.now_ms = 1000;

	CHECK(det_run_c(&det_proxy, &e, "CONNECT xmr-eu1.nanopool.org:443 HTTP/1.1\r\n\r\n", &f) == DET_MATCH);
	CHECK_STR(f.detail, "http-connect to xmr-eu1.nanopool.org:443 (pool domain)");
	CHECK(det_run_c(&det_proxy, &e, "CONNECT nanopool.org.evil:443 HTTP/1.1\r\n\r\n", &f) == DET_NO);
	CHECK(det_run_c(&det_proxy, &e, "CONNECT 203.0.113.77:443 HTTP/1.1\r\n\r\n", &f) == DET_MATCH);
	CHECK_STR(f.detail, "http-connect to 203.0.113.77:443 (pool endpoint)");
	CHECK(det_run_c(&det_proxy, &e, "CONNECT 198.51.100.9:443 HTTP/1.1\r\n\r\n", &f) == DET_MATCH);
	CHECK_STR(f.detail, "http-connect to 198.51.100.9:443 (pool address learned from DNS)");
	e.now_ms = 6000;	/* the learned address expired */
	CHECK(det_run_c(&det_proxy, &e, "CONNECT 198.51.100.9:443 HTTP/1.1\r\n\r\n", &f) == DET_NO);
	domain_set_free((struct domain_set *)e.pool_domains);
	ep_table_free((struct ep_table *)e.pool_endpoints);
	ep_table_free((struct ep_table *)e.learned);
}

/* Where each request and answer ends, on the bytes curl 7.88.1 sent and
 * a proxy answered: the tunnel's payload starts right after. */
static void test_handover(void)
{
	static const uint8_t s4[] = { 4, 1, 0x00, 0x50, 203, 0, 113, 2, 0 };
	static const uint8_t s4a[] = { 4, 1, 0x00, 0x50, 0, 0, 0, 1, 0,
		'p', 'o', 'o', 'l', '.', 'l', 'a', 'b', '.', 't', 'e', 's', 't', 0 };
	static const uint8_t s4_ok[] = { 0, 0x5a, 0, 0, 0, 0, 0, 0 };
	static const uint8_t s4_no[] = { 0, 0x5b, 0, 0, 0, 0, 0, 0 };
	static const uint8_t s5[] = { 5, 2, 0, 1, 5, 1, 0, 1, 203, 0, 113, 2, 0x00, 0x50 };
	static const uint8_t s5_name[] = { 5, 2, 0, 1, 5, 1, 0, 3, 13, 'p', 'o', 'o', 'l', '.', 'l',
		'a', 'b', '.', 't', 'e', 's', 't', 0x01, 0xbb };
	static const uint8_t s5_v6[] = { 5, 3, 0, 1, 2, 1, 4, 'u', 's', 'e', 'r', 4, 'p', 'a', 's',
		's', 5, 1, 0, 4, 0x20, 1, 0xd, 0xb8, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0x00, 0x50 };
	static const uint8_t s5_ok[] = { 5, 0, 5, 0, 0, 1, 203, 0, 113, 3, 0xbb, 0xcc };
	static const uint8_t s5_auth_ok[] = { 5, 2, 1, 0, 5, 0, 0, 4, 0x20, 1, 0xd, 0xb8, 0, 2, 0, 0,
		0, 0, 0, 0, 0, 0, 0, 3, 0xbb, 0xcc };
	static const uint8_t s5_name_ok[] = { 5, 0, 5, 0, 0, 3, 4, 'p', 'o', 'o', 'l', 0, 80 };
	static const uint8_t s5_refused[] = { 5, 0, 5, 5, 0, 1, 0, 0, 0, 0, 0, 0 };
	static const uint8_t s5_bad_creds[] = { 5, 2, 1, 1 };
	static const uint8_t s5_gssapi[] = { 5, 1 };
	static const char connect[] = "CONNECT 203.0.113.2:80 HTTP/1.1\r\nHost: 203.0.113.2:80\r\n"
		"User-Agent: curl/7.88.1\r\nProxy-Connection: Keep-Alive\r\n\r\n";
	static const char connect_ok[] = "HTTP/1.1 200 Connection established\r\n\r\n";
	static const char subscribe[] = "{\"id\": 1, \"method\": \"mining.subscribe\", \"params\": []}\n";
	uint8_t buf[256];
	struct proxy_request rq;
	size_t end, i;

	CHECK(proxy_request(s4, sizeof(s4), false, &rq) == DET_MATCH);
	CHECK(rq.kind == PROXY_SOCKS4 && rq.end == sizeof(s4) && rq.target.port == 80);
	CHECK(proxy_request(s4a, sizeof(s4a), false, &rq) == DET_MATCH);
	CHECK(rq.end == sizeof(s4a) && !rq.target.family && strcmp(rq.target.name, "pool.lab.test") == 0);
	CHECK(proxy_reply(PROXY_SOCKS4, s4_ok, sizeof(s4_ok), &end) == DET_MATCH && end == 8);
	CHECK(proxy_reply(PROXY_SOCKS4, s4_no, sizeof(s4_no), &end) == DET_NO);
	CHECK(proxy_reply(PROXY_SOCKS4, s4_ok, 5, &end) == DET_MORE);

	CHECK(proxy_request(s5, sizeof(s5), false, &rq) == DET_MATCH);
	CHECK(rq.kind == PROXY_SOCKS5 && rq.end == sizeof(s5) && rq.target.family == AF_INET);
	CHECK(proxy_request(s5_name, sizeof(s5_name), false, &rq) == DET_MATCH);
	CHECK(rq.end == sizeof(s5_name) && rq.target.port == 443 && rq.target.name_len == 13);
	CHECK(proxy_request(s5_v6, sizeof(s5_v6), false, &rq) == DET_MATCH);
	CHECK(rq.end == sizeof(s5_v6) && rq.target.family == AF_INET6);
	for (i = 1; i < sizeof(s5_ok); i++)
		CHECK(proxy_reply(PROXY_SOCKS5, s5_ok, i, &end) == DET_MORE);
	CHECK(proxy_reply(PROXY_SOCKS5, s5_ok, sizeof(s5_ok), &end) == DET_MATCH && end == 12);
	CHECK(proxy_reply(PROXY_SOCKS5, s5_auth_ok, sizeof(s5_auth_ok), &end) == DET_MATCH &&
	      end == sizeof(s5_auth_ok));
	CHECK(proxy_reply(PROXY_SOCKS5, s5_name_ok, sizeof(s5_name_ok), &end) == DET_MATCH &&
	      end == sizeof(s5_name_ok));
	CHECK(proxy_reply(PROXY_SOCKS5, s5_refused, sizeof(s5_refused), &end) == DET_NO);
	CHECK(proxy_reply(PROXY_SOCKS5, s5_bad_creds, sizeof(s5_bad_creds), &end) == DET_NO);
	CHECK(proxy_reply(PROXY_SOCKS5, s5_gssapi, sizeof(s5_gssapi), &end) == DET_NO);
	CHECK(proxy_reply(PROXY_SOCKS5, (const uint8_t *)"\x05\xff", 2, &end) == DET_NO);

	/* CONNECT: the target from the request line, the end after the head. */
	CHECK(proxy_request((const uint8_t *)connect, 40, false, &rq) == DET_MATCH);
	CHECK(rq.kind == PROXY_CONNECT && rq.end == 0);
	CHECK(proxy_request((const uint8_t *)connect, strlen(connect) - 1, false, &rq) == DET_MATCH &&
	      rq.end == 0);
	memcpy(buf, connect, strlen(connect));
	memcpy(buf + strlen(connect), subscribe, strlen(subscribe));
	CHECK(proxy_request(buf, strlen(connect) + strlen(subscribe), false, &rq) == DET_MATCH);
	CHECK(rq.end == strlen(connect));
	CHECK(proxy_request((const uint8_t *)"CONNECT a:1 HTTP/1.0\n\nX", 23, false, &rq) == DET_MATCH &&
	      rq.end == 22);
	CHECK(proxy_reply(PROXY_CONNECT, (const uint8_t *)connect_ok, strlen(connect_ok), &end) ==
	      DET_MATCH && end == strlen(connect_ok));
	CHECK(proxy_reply(PROXY_CONNECT, (const uint8_t *)connect_ok, 20, &end) == DET_MORE);
	CHECK(proxy_reply(PROXY_CONNECT, (const uint8_t *)"HTTP/1.1 407 Proxy Authentication Required\r\n",
			  45, &end) == DET_NO);
	CHECK(proxy_reply(PROXY_CONNECT, (const uint8_t *)"HTTP/1.0 502 Bad Gateway\r\n\r\n", 28,
			  &end) == DET_NO);
	CHECK(proxy_reply(PROXY_CONNECT, (const uint8_t *)"SSH-2.0-OpenSSH_9.2p1\r\n", 23, &end) ==
	      DET_NO);
	/* Not requests for a TCP tunnel. */
	CHECK(proxy_request((const uint8_t *)"GET / HTTP/1.1\r\n", 16, false, &rq) == DET_NO);
	CHECK(proxy_request((const uint8_t *)"\x05\x01\x00\x05\x03\x00\x01\xcb", 8, false, &rq) == DET_NO);
	CHECK(proxy_request(NULL, 0, false, &rq) == DET_MORE);
	CHECK(proxy_request(NULL, 0, true, &rq) == DET_NO);
}

int main(void)
{
	test_handover();
	test_tables();
	port_add(3333);
	port_add(14444);
	test_http_connect();
	test_socks4();
	test_socks5();
	return UNIT_DONE();
}
