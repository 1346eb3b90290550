// SPDX-License-Identifier: GPL-2.0-or-later
/* TLS SNI detector against real ClientHellos from the corpus, whole and split. */
#include "config.h"

#include <stdlib.h>

#include "unit.h"
#include "det_net_test.h"
#include "det_net_corpus.h"

static struct det_env env;
static struct flow_key key;

static enum det_result run(const uint8_t *c, size_t len, struct det_finding *f)
{
	struct det_stream s;

	test_stream(&s, &key, c, len, NULL, 0);
	memset(f, 0, sizeof(*f));
	return det_tls_sni.inspect(&env, &s, f);
}

/* Re-frame a ClientHello into records of at most rec bytes of handshake each. */
static size_t reframe(const uint8_t *in, size_t len, size_t rec, uint8_t *out)
{
	size_t hs = len - 5, off = 0, n = 0;

	while (off < hs) {
		size_t take = hs - off < rec ? hs - off : rec;

		out[n++] = 0x16; out[n++] = in[1]; out[n++] = in[2];
		out[n++] = (uint8_t)(take >> 8); out[n++] = (uint8_t)take;
		memcpy(out + n, in + 5 + off, take);
		n += take;
		off += take;
	}
	return n;
}

int main(void)
{
	struct det_finding f;
	uint8_t buf[2048];
	size_t i, n;

	env.pool_domains = test_pool_set();
	test_key(&key, IPPROTO_TCP, 53286, 3333);

	CHECK(run(tls_bitminter, sizeof(tls_bitminter), &f) == DET_MATCH);
	CHECK_STR(f.dialect, "tls");
	CHECK_STR(f.detail, "sni=us1.bitminter.com");
	CHECK(run(tls_ws027_authedmine, sizeof(tls_ws027_authedmine), &f) == DET_MATCH);
	CHECK_STR(f.detail, "sni=ws027.authedmine.com");
	CHECK(run(tls_coinhive, sizeof(tls_coinhive), &f) == DET_MATCH);
	CHECK_STR(f.detail, "sni=coinhive.com");

	/* Benign: other names, ECH with a benign outer name. */
	CHECK(run(tls_gstatic, sizeof(tls_gstatic), &f) == DET_NO);
	CHECK(run(tls_mozilla, sizeof(tls_mozilla), &f) == DET_NO);
	CHECK(run(tls_ech, sizeof(tls_ech), &f) == DET_NO);
	/* The same ECH hello matches when its outer name is listed. */
	domain_set_add((struct domain_set *)env.pool_domains, "cloudflare-ech.com");
	CHECK(run(tls_ech, sizeof(tls_ech), &f) == DET_MATCH);
	CHECK_STR(f.detail, "sni=cloudflare-ech.com");

	/* Split across segments: every strict prefix asks for more, the whole matches. */
	for (i = 0; i < sizeof(tls_bitminter); i++)
		if (run(tls_bitminter, i, &f) != DET_MORE)
			break;
	/* The SNI sits before the end: the answer may come before the last byte. */
	CHECK(i > 100);
	CHECK(run(tls_bitminter, i, &f) == DET_MATCH);
	CHECK(run(tls_bitminter, 5, &f) == DET_MORE);
	CHECK(run(tls_bitminter, 0, &f) == DET_MORE);
	for (i = 0; i < sizeof(tls_gstatic); i++)
		CHECK(run(tls_gstatic, i, &f) == DET_MORE || i > 60);
	CHECK(run(tls_gstatic, 60, &f) == DET_MORE);

	/* Split across records (handshake fragmented into 50-byte records). */
	n = reframe(tls_ws027_authedmine, sizeof(tls_ws027_authedmine), 50, buf);
	CHECK(run(buf, n, &f) == DET_MATCH);
	CHECK_STR(f.detail, "sni=ws027.authedmine.com");
	CHECK(run(buf, 60, &f) == DET_MORE);
	CHECK(run(buf, 58, &f) == DET_MORE);
	n = reframe(tls_bitminter, sizeof(tls_bitminter), 1, buf);
	CHECK(run(buf, n, &f) == DET_MATCH);

	/* Full buffer before the hello completes: give up. */
	{
		struct det_stream s;

		test_stream(&s, &key, tls_bitminter, 40, NULL, 0);
		s.full[FLOW_ORIG] = true;
		CHECK(det_tls_sni.inspect(&env, &s, &f) == DET_NO);
		s.full[FLOW_ORIG] = false;
		s.midstream = true;
		CHECK(det_tls_sni.inspect(&env, &s, &f) == DET_NO);
	}

	/* Not TLS: decided at the first byte. */
	CHECK(run((const uint8_t *)"GET / HTTP/1.1\r\n", 16, &f) == DET_NO);
	CHECK(run((const uint8_t *)"{\"id\"", 1, &f) == DET_NO);
	CHECK(run((const uint8_t *)"\x16\x01", 2, &f) == DET_NO);
	/* A ServerHello-type handshake from the client side is not a ClientHello. */
	memcpy(buf, tls_bitminter, sizeof(tls_bitminter));
	buf[5] = 2;
	CHECK(run(buf, sizeof(tls_bitminter), &f) == DET_NO);
	/* Corrupt extension length: rejected, no read past the end. */
	memcpy(buf, tls_bitminter, sizeof(tls_bitminter));
	for (i = 0; i < 64; i++) {
		buf[sizeof(tls_bitminter) - 1 - i] ^= 0xff;
		run(buf, sizeof(tls_bitminter), &f);
	}
	/* A hello without SNI. */
	{
		static const uint8_t nosni[] = {
			0x16, 0x03, 0x01, 0x00, 0x2d, 0x01, 0x00, 0x00, 0x29, 0x03, 0x03,
			1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
			17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32,
			0x00, 0x00, 0x02, 0x00, 0x2f, 0x01, 0x00,
		};
		CHECK(run(nosni, sizeof(nosni), &f) == DET_NO);
		CHECK(run(nosni, sizeof(nosni) - 1, &f) == DET_MORE);
	}

	domain_set_free((struct domain_set *)env.pool_domains);
	return UNIT_DONE();
}
