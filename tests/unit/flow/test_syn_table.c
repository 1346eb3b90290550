// SPDX-License-Identifier: GPL-2.0-or-later
/* Unit tests for syn_table.c and flow_start_syn: SYN records taken from either end, refreshed, expired, evicted. */
#include "config.h"

#include <netinet/in.h>
#include <stdlib.h>
#include <sys/socket.h>

#include "flow.h"
#include "syn_table.h"
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

static struct pkt tcp(uint32_t src, uint16_t sport, uint32_t dst, uint16_t dport, uint8_t flags,
		      uint32_t seq, const char *payload)
{
	struct pkt p;

	memset(&p, 0, sizeof(p));
	p.family = AF_INET;
	p.proto = IPPROTO_TCP;
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

static void test_bad(void)
{
	CHECK(syn_table_new(0, 1000) == NULL);
	CHECK(syn_table_new(1u << 27, 1000) == NULL);
	syn_table_free(NULL);
}

static void test_take_both_ends(void)
{
	struct syn_table *t = syn_table_new(64, 1000);
	struct pkt syn = tcp(CLIENT, 40000, SERVER, 3333, PKT_TCP_SYN, 7000, NULL);
	struct pkt data = tcp(CLIENT, 40000, SERVER, 3333, PKT_TCP_ACK, 7001, "abc");
	struct pkt reply = tcp(SERVER, 3333, CLIENT, 40000, PKT_TCP_ACK, 9001, "hello");
	struct pkt other = tcp(CLIENT, 40001, SERVER, 3333, PKT_TCP_ACK, 1, "x");
	struct syn_table_stats st;
	struct syn_rec r;

	CHECK(t != NULL);
	CHECK(syn_table_take(t, &data, 10, &r) == 0);
	syn_table_put(t, &syn, 10);
	CHECK(syn_table_take(t, &other, 11, &r) == 0);
	/* From the opener: the record, once. */
	CHECK(syn_table_take(t, &data, 12, &r) == 1);
	CHECK(r.isn == 7000 && r.sport == 40000 && r.dport == 3333 && r.saddr[0] == 10);
	CHECK(syn_table_take(t, &data, 12, &r) == 0);
	/* From the other end (the server speaks first). */
	syn_table_put(t, &syn, 20);
	CHECK(syn_table_take(t, &reply, 21, &r) == 1 && r.isn == 7000 && r.sport == 40000);
	/* A retransmitted SYN (or a new connection on the 5-tuple) replaces the record. */
	syn_table_put(t, &syn, 30);
	syn.seq = 8000;
	syn_table_put(t, &syn, 31);
	syn_table_stats(t, &st);
	CHECK(st.active == 1 && st.added == 4 && st.taken == 2);
	CHECK(syn_table_take(t, &data, 32, &r) == 1 && r.isn == 8000);
	/* IPv6 keys use all 16 bytes. */
	syn.family = data.family = AF_INET6;
	syn.saddr[15] = 1;
	data.saddr[15] = 2;
	syn_table_put(t, &syn, 40);
	CHECK(syn_table_take(t, &data, 40, &r) == 0);
	data.saddr[15] = 1;
	CHECK(syn_table_take(t, &data, 40, &r) == 1 && r.family == AF_INET6);
	syn_table_free(t);
}

static void test_expire_evict(void)
{
	struct syn_table *t = syn_table_new(4, 100);
	struct syn_table_stats st;
	struct syn_rec r;
	struct pkt p;
	uint16_t i;

	/* A record older than the lifetime is not taken. */
	p = tcp(CLIENT, 1, SERVER, 80, PKT_TCP_SYN, 1, NULL);
	syn_table_put(t, &p, 0);
	p.tcp_flags = PKT_TCP_ACK;
	CHECK(syn_table_take(t, &p, 101, &r) == 0);
	syn_table_stats(t, &st);
	CHECK(st.active == 0 && st.expired == 1);

	/* Six SYNs into four places: the two oldest go. */
	for (i = 1; i <= 6; i++) {
		p = tcp(CLIENT, i, SERVER, 80, PKT_TCP_SYN, i, NULL);
		syn_table_put(t, &p, 200 + i);
	}
	syn_table_stats(t, &st);
	CHECK(st.active == 4 && st.evicted == 2);
	p = tcp(CLIENT, 1, SERVER, 80, PKT_TCP_ACK, 2, "x");
	CHECK(syn_table_take(t, &p, 210, &r) == 0);
	p.sport = 3;
	CHECK(syn_table_take(t, &p, 210, &r) == 1 && r.isn == 3);
	/* Expiry goes oldest first and stops at the first young one. */
	CHECK(syn_table_expire(t, 305) == 1);
	CHECK(syn_table_expire(t, 307) == 2);
	syn_table_stats(t, &st);
	CHECK(st.active == 0);
	/* Freed places are used again. */
	for (i = 10; i < 14; i++) {
		p = tcp(CLIENT, i, SERVER, 80, PKT_TCP_SYN, i, NULL);
		syn_table_put(t, &p, 400);
	}
	syn_table_stats(t, &st);
	CHECK(st.active == 4 && st.evicted == 2);
	syn_table_free(t);
}

/* A flow created by a later packet starts as its SYN would have started it. */
static void test_flow_start_syn(void)
{
	const struct flow_table_cfg cfg = { .max_flows = 16, .max_buffers = 4, .inspect_bytes = 64,
					    .idle_timeout_ms = 1000 };
	struct flow_table *ft = flow_table_new(&cfg);
	struct pkt seg2 = tcp(CLIENT, 40000, SERVER, 3333, PKT_TCP_ACK, 1004, "def");
	struct pkt seg1 = tcp(CLIENT, 40000, SERVER, 3333, PKT_TCP_ACK, 1001, "abc");
	struct pkt banner = tcp(SERVER, 3333, CLIENT, 40001, PKT_TCP_ACK, 5001, "220 hi");
	enum flow_dir dir;
	bool created;
	struct flow *f;
	size_t len;

	/* Out of order from the opener: with the SYN's sequence number the
	 * second segment is a gap, and the first one starts the stream. */
	f = flow_lookup_or_add(ft, &seg2, 1, &dir, &created);
	CHECK(f && created && f->midstream && dir == FLOW_ORIG);
	flow_start_syn(f, seg2.saddr, seg2.sport, 1000, &dir);
	CHECK(!f->midstream && f->syn_seen && dir == FLOW_ORIG);
	CHECK(flow_stream_add(ft, f, dir, &seg2) == 1);
	f = flow_lookup_or_add(ft, &seg1, 2, &dir, &created);
	CHECK(f && !created && flow_stream_add(ft, f, dir, &seg1) == 0);
	CHECK(flow_stream_add(ft, f, dir, &seg2) == 0);
	CHECK(flow_stream_data(f, FLOW_ORIG, &len) && len == 6);

	/* The responder's packet first: the key turns round. */
	f = flow_lookup_or_add(ft, &banner, 3, &dir, &created);
	CHECK(f && created && dir == FLOW_ORIG && f->key.port[0] == 3333 && f->packets[0] == 1);
	flow_start_syn(f, banner.daddr, banner.dport, 777, &dir);
	CHECK(dir == FLOW_REPLY && f->key.port[0] == 40001 && f->key.port[1] == 3333);
	CHECK(f->key.addr[0][0] == 10 && f->key.addr[1][0] == 192);
	CHECK(f->packets[0] == 0 && f->packets[1] == 1 && f->bytes[1] == 6);
	CHECK(f->stream[FLOW_ORIG].seq_known && f->stream[FLOW_ORIG].next_seq == 778);
	CHECK(!f->stream[FLOW_REPLY].seq_known);
	/* Still found from both ends after the turn. */
	CHECK(flow_lookup(ft, &banner, &dir) == f && dir == FLOW_REPLY);
	banner = tcp(CLIENT, 40001, SERVER, 3333, PKT_TCP_ACK, 778, "EHLO");
	CHECK(flow_lookup(ft, &banner, &dir) == f && dir == FLOW_ORIG);
	flow_table_free(ft);
}

int main(void)
{
	test_bad();
	test_take_both_ends();
	test_expire_evict();
	test_flow_start_syn();
	return UNIT_DONE();
}
