// SPDX-License-Identifier: GPL-2.0-or-later
/* Stratum V2 detector: SetupConnection frames built per the spec, Noise handshake sizes. */
#include "config.h"

#include "unit.h"
#include "det_net_test.h"
#include "det_net_corpus.h"

static struct det_env env;
static struct flow_key key;

static size_t put_str(uint8_t *p, const char *s)
{
	size_t l = strlen(s);

	p[0] = (uint8_t)l;
	memcpy(p + 1, s, l);
	return 1 + l;
}

/* SetupConnection, mining protocol, versions 2-2, flags 1, to host:port. */
static size_t setup_connection(uint8_t *b, const char *host, uint16_t port, const char *vendor)
{
	size_t n = 6;

	b[n++] = 0;			/* protocol: mining */
	b[n++] = 2; b[n++] = 0;		/* min_version */
	b[n++] = 2; b[n++] = 0;		/* max_version */
	b[n++] = 1; b[n++] = 0; b[n++] = 0; b[n++] = 0;	/* flags: REQUIRES_STANDARD_JOBS */
	n += put_str(b + n, host);
	b[n++] = (uint8_t)port; b[n++] = (uint8_t)(port >> 8);
	n += put_str(b + n, vendor);
	n += put_str(b + n, "Bitaxe Gamma");
	n += put_str(b + n, "v2.4.0");
	n += put_str(b + n, "");
	b[0] = 0; b[1] = 0;		/* extension_type */
	b[2] = 0x00;			/* SetupConnection */
	b[3] = (uint8_t)(n - 6); b[4] = (uint8_t)((n - 6) >> 8); b[5] = (uint8_t)((n - 6) >> 16);
	return n;
}

static enum det_result run(const uint8_t *c, size_t clen, const uint8_t *r, size_t rlen,
			   struct det_finding *f)
{
	struct det_stream s;

	test_stream(&s, &key, c, clen, r, rlen);
	memset(f, 0, sizeof(*f));
	return det_sv2.inspect(&env, &s, f);
}

int main(void)
{
	static const uint8_t success[] = { 0, 0, 0x01, 6, 0, 0, 2, 0, 0, 0, 0, 0 };
	struct det_finding f;
	uint8_t b[512], key64[64], reply[234];
	size_t n, i;

	test_key(&key, IPPROTO_TCP, 40000, 34255);
	n = setup_connection(b, "pool.example", 34255, "minewall-test");
	CHECK(run(b, n, NULL, 0, &f) == DET_MATCH);
	CHECK_STR(f.dialect, "sv2");
	CHECK_STR(f.detail, "SetupConnection protocol=0 version=2-2 host=pool.example:34255 vendor=minewall-test");
	CHECK(!f.confirmed);
	CHECK(run(b, n, success, sizeof(success), &f) == DET_MATCH);
	CHECK(f.confirmed);
	/* Each prefix asks for more; none decides wrongly. */
	for (i = 0; i < n; i++)
		CHECK(run(b, i, NULL, 0, &f) == DET_MORE);

	/* Strict shape: length off by one, bad protocol, reversed versions, unprintable vendor. */
	b[3]++;
	CHECK(run(b, n + 1, NULL, 0, &f) == DET_NO);
	b[3]--;
	b[6] = 7;
	CHECK(run(b, n, NULL, 0, &f) == DET_NO);
	b[6] = 0;
	b[7] = 3;
	CHECK(run(b, n, NULL, 0, &f) == DET_NO);
	b[7] = 2;
	b[n - 20] = 0x01;
	CHECK(run(b, n, NULL, 0, &f) == DET_NO);
	CHECK(run((const uint8_t *)"\x00\x00\x01", 3, NULL, 0, &f) == DET_NO);
	CHECK(run((const uint8_t *)"{\"id\":1,\"method\":\"mining.subscribe\"}\n", 38, NULL, 0, &f) == DET_NO);
	/* Server speaks first: not SV2. */
	CHECK(run(NULL, 0, (const uint8_t *)"220 smtp\r\n", 10, &f) == DET_NO);
	CHECK(run(NULL, 0, NULL, 0, &f) == DET_MORE);

	/* Noise: 64 random-looking bytes, then a 234-byte act 2, on an SV2 port. */
	for (i = 0; i < sizeof(key64); i++)
		key64[i] = (uint8_t)(i * 37 + 11);
	memset(reply, 0x5a, sizeof(reply));
	test_key(&key, IPPROTO_TCP, 40000, 3336);
	CHECK(run(key64, 64, NULL, 0, &f) == DET_MORE);
	CHECK(run(key64, 30, NULL, 0, &f) == DET_MORE);
	CHECK(run(key64, 64, reply, 100, &f) == DET_MORE);
	CHECK(run(key64, 64, reply, 234, &f) == DET_MATCH);
	CHECK_STR(f.dialect, "sv2-noise");
	CHECK_STR(f.detail, "noise handshake 64+234 bytes on port 3336");
	CHECK(f.confirmed);
	CHECK(run(key64, 64, reply, 235, &f) == DET_NO);
	CHECK(run(key64, 65, reply, 234, &f) == DET_NO);
	/* Older 32-byte keys: 32 + 170. */
	CHECK(run(key64, 32, reply, 170, &f) == DET_MATCH);
	CHECK_STR(f.detail, "noise handshake 32+170 bytes on port 3336");
	/* Low-entropy 64 bytes (text) is not a key. */
	CHECK(run((const uint8_t *)"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 64,
		  reply, 234, &f) == DET_NO);
	/* The same shape elsewhere: not judged. */
	test_key(&key, IPPROTO_TCP, 40000, 443);
	CHECK(run(key64, 64, reply, 234, &f) == DET_NO);
	/* A TLS ClientHello on an SV2 port is not SV2. */
	test_key(&key, IPPROTO_TCP, 40000, 3336);
	CHECK(run(tls_bitminter, sizeof(tls_bitminter), NULL, 0, &f) == DET_NO);

	return UNIT_DONE();
}
