// SPDX-License-Identifier: GPL-2.0-or-later
/* tls-suspect on real bytes: corpus ClientHellos (bfgminer, Firefox, Chrome, a no-ALPN
 * client), OpenSSL's and Python's hellos and a whole TLS 1.3 session with a login. */
#include "config.h"

#include <stdlib.h>

#include "unit.h"
#include "det_net_test.h"
#include "det_net_corpus.h"
#include "tls_hello.h"
#include "tls_samples.h"

static struct det_env env;
static struct flow_key key;
static uint8_t ports[8192];

static enum det_result run(const uint8_t *c, size_t len, uint16_t dport, struct det_finding *f)
{
	struct det_stream s;

	key.port[1] = dport;
	test_stream(&s, &key, c, len, NULL, 0);
	memset(f, 0, sizeof(*f));
	return det_tls_suspect.inspect(&env, &s, f);
}

static void ja4_of(const uint8_t *d, size_t len, char *out)
{
	uint8_t hs[TLS_HELLO_MAX];
	size_t hl, need, end;
	struct tls_hello h;

	out[0] = '\0';
	if (tls_hello_gather(d, len, hs, &hl, &need, &end) != TLS_SHORT || hl < need ||
	    tls_hello_parse(hs, need, &h) != TLS_DONE)
		return;
	tls_hello_ja4(&h, out);
}

/* The session: the client's bytes whole, the server's up to srv_len, the
 * last packet being the server's bytes from pkt_from. */
static enum det_result run_session(size_t srv_len, size_t pkt_from, bool full, struct det_finding *f)
{
	struct det_stream s;

	key.port[1] = 443;
	test_stream(&s, &key, tls13_client, sizeof(tls13_client), tls13_server, srv_len);
	s.pkt_data = tls13_server + pkt_from;
	s.pkt_len = srv_len - pkt_from;
	s.full[0] = s.full[1] = full;
	memset(f, 0, sizeof(*f));
	return det_tls_suspect.inspect(&env, &s, f);
}

int main(void)
{
	struct det_finding f;
	char ja4[TLS_JA4_LEN + 1];
	size_t i;

	ports[3333 >> 3] |= 1u << (3333 & 7);
	env.pool_ports = ports;
	test_key(&key, IPPROTO_TCP, 40000, 443);

	/* JA4 as published: Chrome's cipher hash is 8daaf6152771. */
	ja4_of(tls_ech, sizeof(tls_ech), ja4);
	CHECK_STR(ja4, "t13d1517h2_8daaf6152771_b1ff8ab2d16f");
	ja4_of(hello_openssl_nosni, sizeof(hello_openssl_nosni), ja4);
	CHECK_STR(ja4, "t13i310900_e8f1e7e78f70_1f22a2ca17c4");

	/* XMRig-like: OpenSSL defaults, the address as the name, no ALPN, on 443. */
	CHECK(run(hello_openssl_ipsni, sizeof(hello_openssl_ipsni), 443, &f) == DET_MATCH);
	CHECK(f.suspect);
	CHECK_STR(f.dialect, "tls");
	CHECK(strstr(f.detail, "score=3 signals=ip_sni,no_alpn,ja4(openssl-3.0) ja4=t13d3110") == f.detail);
	CHECK(strstr(f.detail, "sni=203.0.113.10") != NULL);
	CHECK(f.name[0] == '\0');	/* an address is no name for the allowlist */
	/* The same stack without a name is the same fingerprint. */
	CHECK(run(hello_openssl_nosni, sizeof(hello_openssl_nosni), 443, &f) == DET_MATCH);
	CHECK(strstr(f.detail, "signals=no_sni,no_alpn,ja4(openssl-3.0)") != NULL);
	/* Python's hello reached by address: no name, no ALPN. */
	CHECK(run(hello_python_nosni, sizeof(hello_python_nosni), 443, &f) == DET_MATCH);
	CHECK(strstr(f.detail, "score=2 signals=no_sni,no_alpn ") == f.detail);
	/* The real bfgminer on its pool's port. */
	CHECK(run(tls_bitminter, sizeof(tls_bitminter), 3333, &f) == DET_MATCH);
	CHECK(strstr(f.detail, "signals=pool_port,ja4(bfgminer-5)") != NULL);
	CHECK_STR(f.name, "us1.bitminter.com");
	/* An unusual port alone is one signal; with no ALPN it is two. */
	CHECK(run(tls_bitminter, sizeof(tls_bitminter), 3333 + 1, &f) == DET_MATCH);
	CHECK(strstr(f.detail, "score=2 signals=port,ja4(bfgminer-5)") != NULL);

	/* Browsers on 443: nothing. A browser-like hello on a pool port: a suspect. */
	CHECK(run(tls_mozilla, sizeof(tls_mozilla), 443, &f) == DET_NO);
	CHECK(run(tls_ech, sizeof(tls_ech), 443, &f) == DET_NO);
	CHECK(run(tls_ws027_authedmine, sizeof(tls_ws027_authedmine), 443, &f) == DET_NO);
	CHECK(run(hello_python_browserlike, sizeof(hello_python_browserlike), 443, &f) == DET_NO);
	CHECK(run(hello_python_browserlike, sizeof(hello_python_browserlike), 3333, &f) == DET_MATCH);
	CHECK(strstr(f.detail, "score=2 signals=pool_port ") == f.detail);
	/* One signal (gstatic: no ALPN): wait for the records, give up when full. */
	CHECK(run(tls_gstatic, sizeof(tls_gstatic), 443, &f) == DET_MORE);
	{
		struct det_stream s;

		key.port[1] = 443;
		test_stream(&s, &key, tls_gstatic, sizeof(tls_gstatic), NULL, 0);
		s.full[0] = s.full[1] = true;
		CHECK(det_tls_suspect.inspect(&env, &s, &f) == DET_NO);
	}

	/* Split: every strict prefix of a hello asks for more. */
	for (i = 0; i < sizeof(hello_openssl_ipsni); i++)
		if (run(hello_openssl_ipsni, i, 443, &f) != DET_MORE)
			break;
	CHECK(i == sizeof(hello_openssl_ipsni));
	/* Not TLS at all. */
	CHECK(run((const uint8_t *)"GET / HTTP/1.1\r\n", 16, 443, &f) == DET_NO);

	/* The records signal on a whole TLS 1.3 session (no name, ALPN, 443:
	 * one signal). The login just sent: more. With the server's answer in
	 * the last packet while the client sent only its login: a suspect. */
	{
		struct det_stream s;

		key.port[1] = 443;
		test_stream(&s, &key, tls13_client, sizeof(tls13_client), tls13_server,
			    tls13_answer_off);
		s.dir = FLOW_ORIG;
		s.pkt_data = tls13_client;
		s.pkt_len = sizeof(tls13_client);
		CHECK(det_tls_suspect.inspect(&env, &s, &f) == DET_MORE);
		/* Only the client's hello so far. */
		test_stream(&s, &key, tls13_client, 300, NULL, 0);
		CHECK(det_tls_suspect.inspect(&env, &s, &f) == DET_MORE);
	}
	CHECK(run_session(sizeof(tls13_server), tls13_answer_off, false, &f) == DET_MATCH);
	CHECK(strstr(f.detail, "score=2 signals=no_sni,records ") == f.detail);
	/* The whole server side in one packet, the answer in it: also a match
	 * (every record of the packet ended after the login). */
	CHECK(run_session(sizeof(tls13_server), 0, false, &f) == DET_MATCH);
	/* An alert from the server ends it. */
	{
		static const uint8_t alert[] = { 0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x28 };
		uint8_t srv[sizeof(tls13_server) + sizeof(alert)];

		memcpy(srv, tls13_server, tls13_answer_off);
		memcpy(srv + tls13_answer_off, alert, sizeof(alert));
		key.port[1] = 443;
		{
			struct det_stream s;

			test_stream(&s, &key, tls13_client, sizeof(tls13_client), srv,
				    tls13_answer_off + sizeof(alert));
			s.pkt_data = srv + tls13_answer_off;
			s.pkt_len = sizeof(alert);
			CHECK(det_tls_suspect.inspect(&env, &s, &f) == DET_NO);
		}
	}
	return UNIT_DONE();
}
