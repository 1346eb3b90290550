// SPDX-License-Identifier: GPL-2.0-or-later
/* Unit tests for flow.c: lookup, direction, expiry, LRU eviction, bounds, reassembly. */
#include "config.h"

#include <netinet/in.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>

#include "flow.h"
#include "unit.h"

#define CLIENT 0x0a000001u	/* 10.0.0.1 */
#define SERVER 0xc0000207u	/* 192.0.2.7 */

static void put_v4(uint8_t a[16], uint32_t v)
{
	memset(a, 0, 16);
	a[0] = (uint8_t)(v >> 24);
	a[1] = (uint8_t)(v >> 16);
	a[2] = (uint8_t)(v >> 8);
	a[3] = (uint8_t)v;
}

/* A parsed packet as pkt_parse would leave it; payload is a C string. */
static struct pkt mk(uint8_t proto, uint32_t src, uint16_t sport, uint32_t dst, uint16_t dport,
		     uint8_t flags, uint32_t seq, const char *payload)
{
	struct pkt p;

	memset(&p, 0, sizeof(p));
	p.family = AF_INET;
	p.proto = proto;
	put_v4(p.saddr, src);
	put_v4(p.daddr, dst);
	p.sport = sport;
	p.dport = dport;
	p.tcp_flags = flags;
	p.seq = seq;
	p.payload = (const uint8_t *)(payload ? payload : "");
	p.payload_len = payload ? (uint32_t)strlen(payload) : 0;
	return p;
}

static struct pkt c2s(uint8_t flags, uint32_t seq, const char *payload)
{
	return mk(IPPROTO_TCP, CLIENT, 40000, SERVER, 3333, flags, seq, payload);
}

static struct pkt s2c(uint8_t flags, uint32_t seq, const char *payload)
{
	return mk(IPPROTO_TCP, SERVER, 3333, CLIENT, 40000, flags, seq, payload);
}

static struct flow_table *table(uint32_t flows, uint32_t bufs, uint32_t bytes, uint32_t idle)
{
	const struct flow_table_cfg cfg = {
		.max_flows = flows, .max_buffers = bufs,
		.inspect_bytes = bytes, .idle_timeout_ms = idle,
	};

	return flow_table_new(&cfg);
}

/* True when the held bytes of dir are exactly s. */
static bool stream_is(const struct flow *f, enum flow_dir dir, const char *s)
{
	size_t len;
	const uint8_t *d = flow_stream_data(f, dir, &len);

	if (!*s)
		return d == NULL && len == 0;
	return d && len == strlen(s) && memcmp(d, s, len) == 0;
}

static void test_new_bad(void)
{
	CHECK(table(0, 1, 100, 1) == NULL);
	CHECK(table(1, 1, 0, 1) == NULL);
	CHECK(table(1, 1, 65536, 1) == NULL);
	CHECK(flow_table_new(NULL) == NULL);
	flow_table_free(NULL);
}

static void test_lookup(void)
{
	struct flow_table *ft = table(16, 4, 64, 1000);
	struct pkt a = c2s(PKT_TCP_SYN, 100, NULL), b = s2c(PKT_TCP_SYN | PKT_TCP_ACK, 900, NULL);
	struct pkt u = mk(IPPROTO_UDP, CLIENT, 40000, SERVER, 3333, 0, 0, "udp");
	struct pkt o = c2s(PKT_TCP_ACK, 101, NULL), icmp = a, frag = a;
	struct flow *f, *g;
	struct flow_stats st;
	enum flow_dir dir = FLOW_REPLY;
	bool created = false;

	CHECK(ft != NULL);
	CHECK(flow_lookup(ft, &a, &dir) == NULL);
	f = flow_lookup_or_add(ft, &a, 10, &dir, &created);
	CHECK(f != NULL && created && dir == FLOW_ORIG);
	CHECK(f->key.family == AF_INET && f->key.proto == IPPROTO_TCP);
	CHECK(f->key.port[0] == 40000 && f->key.port[1] == 3333);
	CHECK(f->key.addr[0][0] == 10 && f->key.addr[1][0] == 192);
	CHECK(f->midstream == 0 && f->syn_seen == 1 && f->state == FLOW_INSPECT);
	CHECK(f->first_seen_ms == 10 && f->last_seen_ms == 10 && f->packets[0] == 1);
	CHECK(f->stream[0].seq_known && f->stream[0].next_seq == 101);

	/* The reply maps to the same flow, other direction. */
	g = flow_lookup_or_add(ft, &b, 20, &dir, &created);
	CHECK(g == f && !created && dir == FLOW_REPLY);
	CHECK(f->packets[1] == 1 && f->last_seen_ms == 20 && f->first_seen_ms == 10);
	CHECK(f->stream[1].next_seq == 901);
	CHECK(flow_lookup(ft, &b, &dir) == f && dir == FLOW_REPLY);
	CHECK(flow_lookup(ft, &o, &dir) == f && dir == FLOW_ORIG);
	o.payload = (const uint8_t *)"abcd";
	o.payload_len = 4;
	CHECK(flow_lookup_or_add(ft, &o, 30, &dir, NULL) == f && f->bytes[0] == 4);

	/* Same addresses and ports, other protocol or port: other flows. */
	g = flow_lookup_or_add(ft, &u, 30, &dir, &created);
	CHECK(g && g != f && created && dir == FLOW_ORIG);
	u.sport = 40001;
	CHECK(flow_lookup(ft, &u, &dir) == NULL);
	/* Same endpoint pair swapped ports is a different flow too. */
	a = mk(IPPROTO_TCP, CLIENT, 3333, SERVER, 40000, PKT_TCP_ACK, 1, NULL);
	CHECK(flow_lookup(ft, &a, &dir) == NULL);

	/* No flow identity. */
	icmp.proto = IPPROTO_ICMP;
	CHECK(flow_lookup_or_add(ft, &icmp, 30, &dir, &created) == NULL && !created);
	frag.fragment = 1;
	CHECK(flow_lookup_or_add(ft, &frag, 30, &dir, &created) == NULL);
	CHECK(flow_lookup_or_add(ft, NULL, 30, &dir, &created) == NULL);

	flow_table_stats(ft, &st);
	CHECK(st.active == 2 && st.created == 2 && st.evicted == 0 && st.buffers_in_use == 0);
	flow_remove(ft, f);
	CHECK(flow_lookup(ft, &b, &dir) == NULL);
	flow_table_stats(ft, &st);
	CHECK(st.active == 1);
	flow_table_free(ft);
}

static void test_originator(void)
{
	struct flow_table *ft = table(16, 4, 64, 1000);
	struct pkt sa = s2c(PKT_TCP_SYN | PKT_TCP_ACK, 900, NULL);
	struct pkt d = mk(IPPROTO_TCP, 1, 5, 2, 6, PKT_TCP_ACK, 7, "x");
	enum flow_dir dir;
	struct flow *f;

	/* A SYN-ACK seen first names its receiver the originator. */
	f = flow_lookup_or_add(ft, &sa, 1, &dir, NULL);
	CHECK(f && dir == FLOW_REPLY && f->midstream == 1 && f->syn_seen == 1);
	CHECK(f->key.port[0] == 40000 && f->key.addr[0][0] == 10);
	CHECK(f->packets[1] == 1 && f->packets[0] == 0);

	/* Midstream data: its sender is the originator. */
	f = flow_lookup_or_add(ft, &d, 1, &dir, NULL);
	CHECK(f && dir == FLOW_ORIG && f->midstream == 1 && f->syn_seen == 0);
	CHECK(f->key.port[0] == 5 && f->key.addr[0][3] == 1);
	flow_table_free(ft);
}

static int count_cb(struct flow *f, void *arg)
{
	(*(unsigned int *)arg)++;
	return 0;
}

static int remove_cb(struct flow *f, void *arg)
{
	flow_remove(arg, f);
	return 0;
}

static void test_expire(void)
{
	struct flow_table *ft = table(16, 4, 64, 1000);
	struct pkt p1 = mk(IPPROTO_UDP, 1, 1, 9, 9, 0, 0, NULL);
	struct pkt p2 = mk(IPPROTO_UDP, 2, 1, 9, 9, 0, 0, NULL);
	struct pkt p3 = mk(IPPROTO_UDP, 3, 1, 9, 9, 0, 0, NULL);
	struct flow_stats st;
	enum flow_dir dir;
	unsigned int n = 0;

	flow_lookup_or_add(ft, &p1, 0, &dir, NULL);
	flow_lookup_or_add(ft, &p2, 500, &dir, NULL);
	flow_lookup_or_add(ft, &p3, 900, &dir, NULL);
	CHECK(flow_expire(ft, 1000) == 0);	/* idle exactly the timeout stays */
	CHECK(flow_expire(ft, 1001) == 1);
	CHECK(flow_lookup(ft, &p1, &dir) == NULL && flow_lookup(ft, &p2, &dir) != NULL);
	/* Seeing p2 again makes it fresh; p3 is now the oldest. */
	flow_lookup_or_add(ft, &p2, 1600, &dir, NULL);
	CHECK(flow_expire(ft, 1901) == 1);
	CHECK(flow_lookup(ft, &p3, &dir) == NULL && flow_lookup(ft, &p2, &dir) != NULL);
	/* A clock behind last_seen expires nothing. */
	CHECK(flow_expire(ft, 5) == 0);
	flow_table_stats(ft, &st);
	CHECK(st.expired == 2 && st.active == 1);
	flow_foreach(ft, count_cb, &n);
	CHECK(n == 1);
	CHECK(flow_expire(ft, 100000) == 1);
	n = 0;
	flow_foreach(ft, count_cb, &n);
	CHECK(n == 0);

	/* foreach may remove the flow it is handed. */
	flow_lookup_or_add(ft, &p1, 0, &dir, NULL);
	flow_lookup_or_add(ft, &p2, 0, &dir, NULL);
	flow_foreach(ft, remove_cb, ft);
	flow_table_stats(ft, &st);
	CHECK(st.active == 0);
	flow_table_free(ft);
}

static void test_evict(void)
{
	struct flow_table *ft = table(3, 2, 64, 1000);
	struct pkt a = mk(IPPROTO_UDP, 1, 1, 9, 9, 0, 0, "a");
	struct pkt b = mk(IPPROTO_UDP, 2, 1, 9, 9, 0, 0, "b");
	struct pkt c = mk(IPPROTO_UDP, 3, 1, 9, 9, 0, 0, NULL);
	struct pkt d = mk(IPPROTO_UDP, 4, 1, 9, 9, 0, 0, NULL);
	struct pkt e = mk(IPPROTO_UDP, 5, 1, 9, 9, 0, 0, NULL);
	struct flow_stats st;
	enum flow_dir dir;
	struct flow *f;
	bool created;

	f = flow_lookup_or_add(ft, &a, 1, &dir, NULL);
	flow_stream_add(ft, f, dir, &a);
	f = flow_lookup_or_add(ft, &b, 2, &dir, NULL);
	flow_stream_add(ft, f, dir, &b);
	flow_lookup_or_add(ft, &c, 3, &dir, NULL);
	flow_lookup_or_add(ft, &a, 4, &dir, NULL);	/* a is now the newest */
	flow_table_stats(ft, &st);
	CHECK(st.buffers_in_use == 2);
	/* Full: d evicts b, the least recently seen, and b's buffer returns. */
	f = flow_lookup_or_add(ft, &d, 5, &dir, &created);
	CHECK(f && created);
	CHECK(flow_lookup(ft, &b, &dir) == NULL);
	CHECK(flow_lookup(ft, &a, &dir) && flow_lookup(ft, &c, &dir));
	flow_table_stats(ft, &st);
	CHECK(st.evicted == 1 && st.active == 3 && st.buffers_in_use == 1 && st.created == 4);
	/* Then c, then a. */
	flow_lookup_or_add(ft, &e, 6, &dir, NULL);
	CHECK(flow_lookup(ft, &c, &dir) == NULL && flow_lookup(ft, &a, &dir) != NULL);
	flow_lookup_or_add(ft, &b, 7, &dir, NULL);
	CHECK(flow_lookup(ft, &a, &dir) == NULL && flow_lookup(ft, &d, &dir) != NULL);
	flow_table_stats(ft, &st);
	CHECK(st.evicted == 3 && st.active == 3 && st.buffers_in_use == 0);
	flow_table_free(ft);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* 1M distinct flows through a table of max_flows: the bound holds and lookups stay cheap. */
static void test_bound(uint32_t max_flows)
{
	const uint32_t total = 1000000;
	struct flow_table *ft = table(max_flows, 1024, 2048, 60000);
	struct flow_stats st;
	enum flow_dir dir;
	uint32_t i, found = 0;
	double t0, t1, t2;
	struct pkt p;

	CHECK(ft != NULL);
	if (!ft)
		return;
	p = mk(IPPROTO_TCP, 0, 0, SERVER, 3333, PKT_TCP_SYN, 1, NULL);
	t0 = now_s();
	for (i = 0; i < total; i++) {
		put_v4(p.saddr, 0x0a000000u | (i >> 4));
		p.sport = (uint16_t)(1024 + (i & 15));
		if (!flow_lookup_or_add(ft, &p, i, &dir, NULL))
			break;
	}
	t1 = now_s();
	CHECK(i == total);
	/* The most recent max_flows flows are all still there, in the reply direction too. */
	p.proto = IPPROTO_TCP;
	for (i = total - max_flows; i < total; i++) {
		struct pkt r = p;

		put_v4(r.daddr, 0x0a000000u | (i >> 4));
		r.dport = (uint16_t)(1024 + (i & 15));
		put_v4(r.saddr, SERVER);
		r.sport = 3333;
		if (flow_lookup(ft, &r, &dir) && dir == FLOW_REPLY)
			found++;
	}
	t2 = now_s();
	flow_table_stats(ft, &st);
	CHECK(found == max_flows);
	CHECK(st.active == max_flows && st.created == total && st.evicted == total - max_flows);
	/* The later target: <= 256 bytes per tracked flow, hash and table overhead included. */
	CHECK(st.memory_bytes / max_flows <= 256);
	printf("flow bound: %u flows into a %u table: %.1f bytes/flow (%zu bytes with %u buffers), "
	       "insert %.0f ns/pkt, lookup %.0f ns/pkt\n", total, max_flows,
	       (double)st.memory_bytes / max_flows, st.memory_bytes, 1024u,
	       (t1 - t0) * 1e9 / total, (t2 - t1) * 1e9 / max_flows);
	flow_table_free(ft);
}

static void test_stream_tcp(void)
{
	struct flow_table *ft = table(16, 4, 16, 1000);
	struct pkt p;
	enum flow_dir dir;
	struct flow *f;

	p = c2s(PKT_TCP_SYN, 1000, NULL);
	f = flow_lookup_or_add(ft, &p, 1, &dir, NULL);
	CHECK(flow_stream_add(ft, f, dir, &p) == 0);
	CHECK(f->buf == NULL && stream_is(f, FLOW_ORIG, ""));
	CHECK(f->stream[0].next_seq == 1001);

	/* In order, in two pieces. */
	p = c2s(PKT_TCP_ACK, 1001, "hello");
	CHECK(flow_stream_add(ft, f, FLOW_ORIG, &p) == 0);
	CHECK(f->buf != NULL && stream_is(f, FLOW_ORIG, "hello"));
	p = c2s(PKT_TCP_ACK, 1006, " wor");
	CHECK(flow_stream_add(ft, f, FLOW_ORIG, &p) == 0);
	CHECK(stream_is(f, FLOW_ORIG, "hello wor"));
	/* Retransmission: nothing new. */
	p = c2s(PKT_TCP_ACK, 1001, "hello");
	CHECK(flow_stream_add(ft, f, FLOW_ORIG, &p) == 0);
	CHECK(stream_is(f, FLOW_ORIG, "hello wor"));
	/* Overlap: only the new tail is kept. */
	p = c2s(PKT_TCP_ACK, 1008, "xxld");
	CHECK(flow_stream_add(ft, f, FLOW_ORIG, &p) == 0);
	CHECK(stream_is(f, FLOW_ORIG, "hello world"));
	/* Gap: not stored, reported. */
	p = c2s(PKT_TCP_ACK, 1013, "!!");
	CHECK(flow_stream_add(ft, f, FLOW_ORIG, &p) == 1);
	CHECK(stream_is(f, FLOW_ORIG, "hello world") && f->stream[0].next_seq == 1012);
	/* Filling the gap later works; the cap (16) marks the stream full. */
	p = c2s(PKT_TCP_ACK, 1012, " 12345");
	CHECK(flow_stream_add(ft, f, FLOW_ORIG, &p) == 0);
	CHECK(stream_is(f, FLOW_ORIG, "hello world 1234") && f->stream[0].full);
	p = c2s(PKT_TCP_ACK, 1018, "more");
	CHECK(flow_stream_add(ft, f, FLOW_ORIG, &p) == 0);
	CHECK(stream_is(f, FLOW_ORIG, "hello world 1234"));

	/* The reply direction is separate: SYN-ACK, then data. */
	p = s2c(PKT_TCP_SYN | PKT_TCP_ACK, 0xfffffffeu, NULL);
	flow_lookup_or_add(ft, &p, 2, &dir, NULL);
	CHECK(dir == FLOW_REPLY && flow_stream_add(ft, f, dir, &p) == 0);
	CHECK(stream_is(f, FLOW_REPLY, "") && f->stream[1].next_seq == 0xffffffffu);
	/* Across the sequence wrap. */
	p = s2c(PKT_TCP_ACK, 0xffffffffu, "abc");
	CHECK(flow_stream_add(ft, f, FLOW_REPLY, &p) == 0);
	p = s2c(PKT_TCP_ACK, 2, "def");
	CHECK(flow_stream_add(ft, f, FLOW_REPLY, &p) == 0);
	CHECK(stream_is(f, FLOW_REPLY, "abcdef") && f->stream[1].next_seq == 5);
	p = s2c(PKT_TCP_ACK, 0xfffffff0u, "old");
	CHECK(flow_stream_add(ft, f, FLOW_REPLY, &p) == 0);
	CHECK(stream_is(f, FLOW_REPLY, "abcdef") && !f->stream[1].full);
	CHECK(stream_is(f, FLOW_ORIG, "hello world 1234"));

	/* Exactly reaching the cap also marks full. */
	p = s2c(PKT_TCP_ACK, 5, "0123456789");
	CHECK(flow_stream_add(ft, f, FLOW_REPLY, &p) == 0);
	CHECK(stream_is(f, FLOW_REPLY, "abcdef0123456789") && f->stream[1].full);
	flow_table_free(ft);
}

static void test_stream_midstream(void)
{
	struct flow_table *ft = table(16, 4, 32, 1000);
	struct pkt p;
	enum flow_dir dir;
	struct flow *f;

	/* No SYN: an empty ACK does not start the stream, the first data does. */
	p = c2s(PKT_TCP_ACK, 5000, NULL);
	f = flow_lookup_or_add(ft, &p, 1, &dir, NULL);
	CHECK(f->midstream == 1);
	CHECK(flow_stream_add(ft, f, dir, &p) == 0 && !f->stream[0].seq_known && !f->buf);
	p = c2s(PKT_TCP_ACK | PKT_TCP_PSH, 7000, "GET /");
	CHECK(flow_stream_add(ft, f, dir, &p) == 0);
	CHECK(stream_is(f, FLOW_ORIG, "GET /") && f->stream[0].next_seq == 7005);
	p = c2s(PKT_TCP_ACK, 6990, "earlier bytes");	/* before the start: old */
	CHECK(flow_stream_add(ft, f, dir, &p) == 0 && stream_is(f, FLOW_ORIG, "GET /"));

	/* SYN carrying data (TCP Fast Open): the data starts at seq + 1. */
	p = mk(IPPROTO_TCP, 7, 7, 8, 8, PKT_TCP_SYN, 100, "tfo");
	f = flow_lookup_or_add(ft, &p, 1, &dir, NULL);
	CHECK(f->midstream == 0 && flow_stream_add(ft, f, dir, &p) == 0);
	CHECK(stream_is(f, FLOW_ORIG, "tfo") && f->stream[0].next_seq == 104);
	/* Its retransmission changes nothing. */
	CHECK(flow_stream_add(ft, f, dir, &p) == 0 && stream_is(f, FLOW_ORIG, "tfo"));
	flow_table_free(ft);
}

/* Forgetting a stream's first bytes (a proxy's handshake): the rest moves
 * to the front, the room comes back, later bytes follow in order. */
static void test_stream_drop(void)
{
	struct flow_table *ft = table(16, 4, 32, 1000);
	struct pkt p;
	enum flow_dir dir;
	struct flow *f;
	uint64_t *aux;

	p = c2s(PKT_TCP_SYN, 1000, NULL);
	f = flow_lookup_or_add(ft, &p, 1, &dir, NULL);
	CHECK(flow_aux(f) == NULL);
	flow_stream_drop(f, FLOW_ORIG, 3);		/* no buffer yet: nothing */
	p = c2s(PKT_TCP_ACK, 1001, "hs:GET /");
	CHECK(flow_stream_add(ft, f, FLOW_ORIG, &p) == 0);
	aux = flow_aux(f);
	CHECK(aux != NULL && ((uintptr_t)aux & 7) == 0);
	aux[FLOW_AUX_BYTES / 8 - 1] = 42;
	flow_stream_drop(f, FLOW_ORIG, 3);
	CHECK(stream_is(f, FLOW_ORIG, "GET /"));
	p = c2s(PKT_TCP_ACK, 1009, " HTTP/1.1\r\n");
	CHECK(flow_stream_add(ft, f, FLOW_ORIG, &p) == 0);
	CHECK(stream_is(f, FLOW_ORIG, "GET / HTTP/1.1\r\n") && !f->stream[0].full);
	/* More than there is: all of it. */
	flow_stream_drop(f, FLOW_ORIG, 100);
	CHECK(stream_is(f, FLOW_ORIG, "") && !f->stream[0].full);
	/* Full stays full: the bytes past the cap were never kept. */
	p = c2s(PKT_TCP_ACK, 1020, "0123456789abcdefghijklmnopqrstuvwxyz");
	CHECK(flow_stream_add(ft, f, FLOW_ORIG, &p) == 0 && f->stream[0].full);
	flow_stream_drop(f, FLOW_ORIG, 10);
	CHECK(stream_is(f, FLOW_ORIG, "abcdefghijklmnopqrstuv") && f->stream[0].full);
	CHECK(aux[FLOW_AUX_BYTES / 8 - 1] == 42);
	flow_release_buf(ft, f);
	CHECK(flow_aux(f) == NULL);
	flow_table_free(ft);
}

static void test_stream_udp(void)
{
	struct flow_table *ft = table(16, 4, 8, 1000);
	struct pkt p = mk(IPPROTO_UDP, CLIENT, 5000, SERVER, 53, 0, 0, "abc");
	struct pkt r = mk(IPPROTO_UDP, SERVER, 53, CLIENT, 5000, 0, 0, "xyz");
	enum flow_dir dir;
	struct flow *f;

	f = flow_lookup_or_add(ft, &p, 1, &dir, NULL);
	CHECK(flow_stream_add(ft, f, dir, &p) == 0 && flow_stream_add(ft, f, dir, &p) == 0);
	CHECK(stream_is(f, FLOW_ORIG, "abcabc") && !f->stream[0].full);
	CHECK(flow_stream_add(ft, f, dir, &p) == 0);
	CHECK(stream_is(f, FLOW_ORIG, "abcabcab") && f->stream[0].full);
	CHECK(flow_lookup_or_add(ft, &r, 2, &dir, NULL) == f && dir == FLOW_REPLY);
	CHECK(flow_stream_add(ft, f, dir, &r) == 0 && stream_is(f, FLOW_REPLY, "xyz"));
	flow_table_free(ft);
}

static void test_buffer_pool(void)
{
	struct flow_table *ft = table(16, 2, 8, 1000);
	struct pkt p[4];
	struct flow *f[4];
	struct flow_stats st;
	enum flow_dir dir;
	int i;

	for (i = 0; i < 4; i++) {
		p[i] = mk(IPPROTO_UDP, CLIENT, (uint16_t)(100 + i), SERVER, 53, 0, 0, "data");
		f[i] = flow_lookup_or_add(ft, &p[i], 1, &dir, NULL);
	}
	CHECK(flow_stream_add(ft, f[0], FLOW_ORIG, &p[0]) == 0 && f[0]->buf);
	CHECK(flow_stream_add(ft, f[1], FLOW_ORIG, &p[1]) == 0 && f[1]->buf);
	CHECK(f[0]->buf != f[1]->buf);
	/* Pool empty: no buffer, counted once per flow, nothing kept. */
	CHECK(flow_stream_add(ft, f[2], FLOW_ORIG, &p[2]) == 0);
	CHECK(f[2]->buf == NULL && stream_is(f[2], FLOW_ORIG, ""));
	CHECK(flow_stream_add(ft, f[2], FLOW_ORIG, &p[2]) == 0 && f[2]->buf == NULL);
	flow_table_stats(ft, &st);
	CHECK(st.no_buffer == 1 && st.buffers_in_use == 2);

	/* A judged flow gives its buffer back and keeps no more bytes. */
	flow_release_buf(ft, f[0]);
	CHECK(f[0]->buf == NULL && stream_is(f[0], FLOW_ORIG, ""));
	CHECK(flow_stream_add(ft, f[0], FLOW_ORIG, &p[0]) == 0 && f[0]->buf == NULL);
	flow_release_buf(ft, f[0]);	/* twice is harmless */
	flow_table_stats(ft, &st);
	CHECK(st.buffers_in_use == 1);
	CHECK(flow_stream_add(ft, f[3], FLOW_ORIG, &p[3]) == 0 && f[3]->buf);
	CHECK(stream_is(f[3], FLOW_ORIG, "data"));
	/* Removing a flow returns its buffer too. */
	flow_remove(ft, f[1]);
	flow_table_stats(ft, &st);
	CHECK(st.buffers_in_use == 1 && st.no_buffer == 1 && st.active == 3);
	/* The removed entry is reused with a clean state. */
	f[1] = flow_lookup_or_add(ft, &p[1], 2, &dir, NULL);
	CHECK(f[1] && f[1]->buf == NULL && f[1]->stream[0].len == 0 && f[1]->packets[0] == 1);
	CHECK(flow_stream_add(ft, f[1], FLOW_ORIG, &p[1]) == 0 && stream_is(f[1], FLOW_ORIG, "data"));

	/* A table without buffers at all. */
	flow_table_free(ft);
	ft = table(4, 0, 8, 1000);
	f[0] = flow_lookup_or_add(ft, &p[0], 1, &dir, NULL);
	CHECK(flow_stream_add(ft, f[0], FLOW_ORIG, &p[0]) == 0 && f[0]->buf == NULL);
	flow_table_stats(ft, &st);
	CHECK(st.no_buffer == 1);
	flow_table_free(ft);
}

int main(void)
{
	test_new_bad();
	test_lookup();
	test_originator();
	test_expire();
	test_evict();
	test_stream_tcp();
	test_stream_midstream();
	test_stream_drop();
	test_stream_udp();
	test_buffer_pool();
	test_bound(100000);
	test_bound(1000000);
	return UNIT_DONE();
}
