// SPDX-License-Identifier: GPL-2.0-or-later
/* Fuzz entry for the proxy parser (input format in fuzz_stream.h): the relay
 * detector on the streams, the answer parser on the reply for each kind of
 * proxy, then the tunnel hand-over: the same bytes as one TCP flow through
 * the engine, in segments from both sides, so each request and answer found
 * is cut off and every detector runs on what follows, tunnels inside
 * tunnels included. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/time.h>

#include "conf.h"
#include "det_app.h"
#include "engine.h"
#include "fuzz_stream.h"
#include "pool_lists.h"
#include "proxy_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define SEG_MAX 1200

static struct engine *fuzz_engine;
static uint16_t fuzz_port = 1024;
static uint32_t fuzz_seq[2];

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

/* One IPv4 TCP segment 10.0.0.1:port <-> 10.0.0.2:1080 into the engine. */
static void segment(int srv, uint8_t flags, const uint8_t *d, size_t len)
{
	static const uint8_t a[2][4] = { { 10, 0, 0, 1 }, { 10, 0, 0, 2 } };
	static uint64_t now = 1;
	uint8_t b[40 + SEG_MAX];
	struct timeval ts = { 1, 0 };
	struct queue_verdict v;

	memset(b, 0, 40);
	b[0] = 0x45;
	put16(b + 2, (uint16_t)(40 + len));
	b[8] = 64;
	b[9] = IPPROTO_TCP;
	memcpy(b + 12, a[srv], 4);
	memcpy(b + 16, a[!srv], 4);
	put16(b + 20, srv ? 1080 : fuzz_port);
	put16(b + 22, srv ? fuzz_port : 1080);
	put32(b + 24, fuzz_seq[srv]);
	put32(b + 28, fuzz_seq[!srv]);
	b[32] = 5 << 4;
	b[33] = flags;
	put16(b + 34, 65535);
	if (len)
		memcpy(b + 40, d, len);
	fuzz_seq[srv] += (uint32_t)len + ((flags & 0x02) ? 1 : 0);
	engine_packet(fuzz_engine, b, 40 + len, 0, now++, &ts, &v);
}

static void send_part(int srv, const uint8_t *d, size_t len)
{
	size_t n;

	while (len) {
		n = len < SEG_MAX ? len : SEG_MAX;
		segment(srv, 0x18, d, n);
		d += n;
		len -= n;
	}
}

static int fuzz_engine_init(void)
{
	static const char text[] =
		"detect = { blocklists = { domains = [ ]; endpoints = [ ]; ports = [ ]; }; };\n"
		"flows = { max = 1024; buffers = 16; inspect_bytes = 4096; };\n";
	struct mw_conf *c = NULL;
	struct pool_lists *pl;

	if (conf_load_string(text, "/nonexistent/fuzz.conf", &c, stderr) < 0 || !c)
		return -1;
	pl = pool_lists_load(c, stderr);
	if (!pl)
		return -1;
	/* Kept for the process's life, like the daemon's. */
	fuzz_engine = engine_new(c, pl, NULL, NULL);
	return fuzz_engine ? 0 : -1;
}

/* The client's bytes in three pieces, the proxy's in two, interleaved the
 * way a client that waits for each answer would see them. */
static void fuzz_flow(const uint8_t *data, size_t size)
{
	size_t olen, rlen, o1, o2, r1;
	const uint8_t *o, *r;

	if (size < 3 || (!fuzz_engine && fuzz_engine_init() < 0))
		return;
	olen = (size_t)data[1] << 8 | data[2];
	if (olen > size - 3)
		olen = size - 3;
	rlen = size - 3 - olen;
	o = data + 3;
	r = o + olen;
	o1 = olen / 3;
	o2 = 2 * olen / 3;
	r1 = rlen / 2;
	fuzz_port = (uint16_t)(fuzz_port == 65535 ? 1024 : fuzz_port + 1);
	fuzz_seq[0] = 1000;
	fuzz_seq[1] = 500000;
	segment(0, 0x02, NULL, 0);
	send_part(0, o, o1);
	send_part(1, r, r1);
	send_part(0, o + o1, o2 - o1);
	send_part(1, r + r1, rlen - r1);
	send_part(0, o + o2, olen - o2);
	if (data[0] & 4)
		segment(0, 0x11, NULL, 0);	/* FIN */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t ports[65536 / 8];
	struct det_env env = { .pool_ports = ports };
	size_t olen, end;
	enum proxy_kind k;

	ports[3333 >> 3] |= 1u << (3333 & 7);
	fuzz_stream_run(&det_proxy, &env, data, size);
	if (size >= 3) {
		olen = (size_t)data[1] << 8 | data[2];
		olen = olen > size - 3 ? size - 3 : olen;
		for (k = PROXY_SOCKS4; k <= PROXY_CONNECT; k++)
			if (proxy_reply(k, data + 3 + olen, size - 3 - olen, &end) == DET_MATCH &&
			    end > size - 3 - olen)
				abort();
	}
	fuzz_flow(data, size);
	return 0;
}
