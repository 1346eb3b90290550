// SPDX-License-Identifier: GPL-2.0-or-later
/* Unit tests for pkt.c: hand-built and captured IPv4/IPv6 TCP/UDP packets, malformed inputs. */
#include "config.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "pkt.h"
#include "unit.h"

/* Real packets (IP header onwards) from /work/shared/corpus/pcap:
 * peafowl-ethereum-stratum.pcap frame 4, zeek-dns-edns-ecs.pcap frames 12 and 2. */
/* v4-tcp-stratum */
static const uint8_t real_v4_tcp_stratum[] = {
	0x45, 0x00, 0x00, 0xc5, 0xb2, 0x3f, 0x40, 0x00, 0x40, 0x06, 0x42, 0x58,
	0xc0, 0xa8, 0x02, 0x5c, 0x5e, 0x17, 0x24, 0x80, 0xe1, 0x7e, 0x11, 0x5c,
	0x55, 0x46, 0xf6, 0xe3, 0x39, 0x8d, 0x91, 0x89, 0x80, 0x18, 0x00, 0xe5,
	0x56, 0x63, 0x00, 0x00, 0x01, 0x01, 0x08, 0x0a, 0xf4, 0x18, 0x64, 0x2b,
	0x0f, 0x40, 0x39, 0x1e, 0x7b, 0x22, 0x77, 0x6f, 0x72, 0x6b, 0x65, 0x72,
	0x22, 0x3a, 0x20, 0x22, 0x65, 0x74, 0x68, 0x31, 0x2e, 0x30, 0x22, 0x2c,
	0x20, 0x22, 0x6a, 0x73, 0x6f, 0x6e, 0x72, 0x70, 0x63, 0x22, 0x3a, 0x20,
	0x22, 0x32, 0x2e, 0x30, 0x22, 0x2c, 0x20, 0x22, 0x70, 0x61, 0x72, 0x61,
	0x6d, 0x73, 0x22, 0x3a, 0x20, 0x5b, 0x22, 0x30, 0x78, 0x30, 0x66, 0x63,
	0x63, 0x66, 0x66, 0x66, 0x39, 0x65, 0x36, 0x31, 0x61, 0x32, 0x33, 0x30,
	0x66, 0x66, 0x33, 0x38, 0x30, 0x35, 0x33, 0x30, 0x63, 0x36, 0x38, 0x32,
	0x37, 0x63, 0x61, 0x66, 0x34, 0x37, 0x35, 0x39, 0x33, 0x33, 0x37, 0x63,
	0x36, 0x2e, 0x72, 0x69, 0x67, 0x32, 0x22, 0x2c, 0x20, 0x22, 0x78, 0x22,
	0x5d, 0x2c, 0x20, 0x22, 0x69, 0x64, 0x22, 0x3a, 0x20, 0x32, 0x2c, 0x20,
	0x22, 0x6d, 0x65, 0x74, 0x68, 0x6f, 0x64, 0x22, 0x3a, 0x20, 0x22, 0x65,
	0x74, 0x68, 0x5f, 0x73, 0x75, 0x62, 0x6d, 0x69, 0x74, 0x4c, 0x6f, 0x67,
	0x69, 0x6e, 0x22, 0x7d, 0x0a
};
/* v6-udp-dns */
static const uint8_t real_v6_udp_dns[] = {
	0x60, 0x00, 0x00, 0x00, 0x01, 0xfd, 0x11, 0x36, 0x20, 0x01, 0x05, 0x03,
	0x83, 0xeb, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x30,
	0x20, 0x03, 0x00, 0xde, 0x20, 0x16, 0x01, 0x20, 0x00, 0x00, 0x00, 0x00,
	0x0a, 0x08, 0x00, 0x53, 0x00, 0x35, 0xb8, 0x7c, 0x01, 0xfd, 0x4d, 0x53,
	0x65, 0xa2, 0x86, 0x00, 0x00, 0x01, 0x00, 0x02, 0x00, 0x0d, 0x00, 0x03,
	0x04, 0x72, 0x69, 0x70, 0x65, 0x03, 0x6e, 0x65, 0x74, 0x00, 0x00, 0x2b,
	0x00, 0x01, 0xc0, 0x0c, 0x00, 0x2b, 0x00, 0x01, 0x00, 0x01, 0x51, 0x80,
	0x00, 0x24, 0x33, 0x22, 0x08, 0x02, 0xb4, 0xf2, 0xc7, 0xf5, 0x32, 0x31,
	0xe8, 0x1f, 0xce, 0x17, 0x99, 0x2d, 0x31, 0x06, 0xd0, 0xcd, 0x41, 0xdf,
	0x78, 0x5f, 0xa1, 0x14, 0xbb, 0x0b, 0x26, 0x0c, 0xce, 0xf2, 0x1a, 0x9a,
	0x31, 0x0a, 0xc0, 0x0c, 0x00, 0x2e, 0x00, 0x01, 0x00, 0x01, 0x51, 0x80,
	0x00, 0x97, 0x00, 0x2b, 0x08, 0x02, 0x00, 0x01, 0x51, 0x80, 0x5b, 0x84,
	0xdd, 0x98, 0x5b, 0x7b, 0x92, 0xb0, 0x1e, 0xfe, 0x03, 0x6e, 0x65, 0x74,
	0x00, 0x7d, 0xce, 0x79, 0x01, 0xd7, 0x43, 0xcb, 0x93, 0x5c, 0x2c, 0xe1,
	0xcb, 0x0c, 0x8a, 0x07, 0xbc, 0xfe, 0xea, 0x8b, 0x78, 0x3b, 0x7c, 0x78,
	0xa9, 0x75, 0x1c, 0xc0, 0xf8, 0x28, 0xfe, 0xda, 0xf0, 0x98, 0x5d, 0xb8,
	0x42, 0xcb, 0xb0, 0x75, 0x91, 0x27, 0xa8, 0x25, 0x79, 0x06, 0xce, 0x23,
	0xed, 0xb5, 0x06, 0x33, 0x3d, 0xd4, 0x73, 0xe6, 0xd4, 0x79, 0x38, 0x8c,
	0x6d, 0xcd, 0xc2, 0x9b, 0xf1, 0xee, 0x33, 0x9e, 0xe1, 0x2f, 0x42, 0x5a,
	0x74, 0x12, 0xbe, 0x5c, 0x5d, 0xe3, 0x33, 0x63, 0xc6, 0xd4, 0xb3, 0xbf,
	0xe7, 0x9b, 0x81, 0x99, 0x49, 0x4a, 0xcb, 0xad, 0xaa, 0x47, 0xa8, 0x2b,
	0x6f, 0x4f, 0xb4, 0xe6, 0x93, 0xd6, 0xa0, 0x87, 0x14, 0xe2, 0x12, 0x66,
	0xb6, 0x62, 0xd3, 0x3b, 0x81, 0xfc, 0xab, 0xfa, 0xe6, 0x5a, 0xb2, 0xa1,
	0x98, 0x0b, 0x08, 0xb1, 0x54, 0xdd, 0x88, 0xe8, 0x48, 0xc0, 0x11, 0x00,
	0x02, 0x00, 0x01, 0x00, 0x02, 0xa3, 0x00, 0x00, 0x11, 0x01, 0x6c, 0x0c,
	0x67, 0x74, 0x6c, 0x64, 0x2d, 0x73, 0x65, 0x72, 0x76, 0x65, 0x72, 0x73,
	0xc0, 0x11, 0xc0, 0x11, 0x00, 0x02, 0x00, 0x01, 0x00, 0x02, 0xa3, 0x00,
	0x00, 0x04, 0x01, 0x62, 0xc0, 0xfb, 0xc0, 0x11, 0x00, 0x02, 0x00, 0x01,
	0x00, 0x02, 0xa3, 0x00, 0x00, 0x04, 0x01, 0x6d, 0xc0, 0xfb, 0xc0, 0x11,
	0x00, 0x02, 0x00, 0x01, 0x00, 0x02, 0xa3, 0x00, 0x00, 0x04, 0x01, 0x65,
	0xc0, 0xfb, 0xc0, 0x11, 0x00, 0x02, 0x00, 0x01, 0x00, 0x02, 0xa3, 0x00,
	0x00, 0x04, 0x01, 0x6b, 0xc0, 0xfb, 0xc0, 0x11, 0x00, 0x02, 0x00, 0x01,
	0x00, 0x02, 0xa3, 0x00, 0x00, 0x04, 0x01, 0x6a, 0xc0, 0xfb, 0xc0, 0x11,
	0x00, 0x02, 0x00, 0x01, 0x00, 0x02, 0xa3, 0x00, 0x00, 0x04, 0x01, 0x67,
	0xc0, 0xfb, 0xc0, 0x11, 0x00, 0x02, 0x00, 0x01, 0x00, 0x02, 0xa3, 0x00,
	0x00, 0x04, 0x01, 0x69, 0xc0, 0xfb, 0xc0, 0x11, 0x00, 0x02, 0x00, 0x01,
	0x00, 0x02, 0xa3, 0x00, 0x00, 0x04, 0x01, 0x61, 0xc0, 0xfb, 0xc0, 0x11,
	0x00, 0x02, 0x00, 0x01, 0x00, 0x02, 0xa3, 0x00, 0x00, 0x04, 0x01, 0x64,
	0xc0, 0xfb, 0xc0, 0x11, 0x00, 0x02, 0x00, 0x01, 0x00, 0x02, 0xa3, 0x00,
	0x00, 0x04, 0x01, 0x63, 0xc0, 0xfb, 0xc0, 0x11, 0x00, 0x02, 0x00, 0x01,
	0x00, 0x02, 0xa3, 0x00, 0x00, 0x04, 0x01, 0x66, 0xc0, 0xfb, 0xc0, 0x11,
	0x00, 0x02, 0x00, 0x01, 0x00, 0x02, 0xa3, 0x00, 0x00, 0x04, 0x01, 0x68,
	0xc0, 0xfb, 0xc0, 0xf9, 0x00, 0x01, 0x00, 0x01, 0x00, 0x02, 0xa3, 0x00,
	0x00, 0x04, 0xc0, 0x29, 0xa2, 0x1e, 0xc1, 0x16, 0x00, 0x01, 0x00, 0x01,
	0x00, 0x02, 0xa3, 0x00, 0x00, 0x04, 0xc0, 0x21, 0x0e, 0x1e, 0x00, 0x00,
	0x29, 0x10, 0x00, 0x00, 0x00, 0x80, 0x00, 0x00, 0x00
};
/* v4-udp-dns */
static const uint8_t real_v4_udp_dns[] = {
	0x45, 0x00, 0x00, 0x53, 0xb8, 0x3d, 0x00, 0x00, 0x2e, 0x11, 0x40, 0x20,
	0x4a, 0x7d, 0x2f, 0x0d, 0xc0, 0xa8, 0x5a, 0x0a, 0xdf, 0x45, 0x00, 0x35,
	0x00, 0x3f, 0xc3, 0x30, 0xa6, 0x41, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x01, 0x03, 0x6e, 0x73, 0x31, 0x08, 0x77, 0x65, 0x62,
	0x65, 0x72, 0x64, 0x6e, 0x73, 0x02, 0x64, 0x65, 0x00, 0x00, 0x01, 0x00,
	0x01, 0x00, 0x00, 0x29, 0x10, 0x00, 0x00, 0x00, 0x80, 0x00, 0x00, 0x0b,
	0x00, 0x08, 0x00, 0x07, 0x00, 0x01, 0x18, 0x00, 0xd5, 0x3d, 0x1d
};

/*
 * Every parse goes through a copy that ends right at a PROT_NONE page, so a
 * read past the end of the input faults even without AddressSanitizer.
 */
static uint8_t *guard_page;
static size_t guard_size;
static const uint8_t *guard_base;

static int parse(const uint8_t *data, size_t len, struct pkt *p)
{
	uint8_t *dst;

	if (!guard_page) {
		guard_size = (size_t)sysconf(_SC_PAGESIZE);
		guard_page = mmap(NULL, 2 * guard_size, PROT_READ | PROT_WRITE,
				  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (guard_page == MAP_FAILED || mprotect(guard_page + guard_size, guard_size, PROT_NONE))
			abort();
	}
	if (len > guard_size)
		abort();
	dst = guard_page + guard_size - len;
	memcpy(dst, data, len);
	guard_base = dst;
	return pkt_parse(dst, len, p);
}

/* Offset of the payload in the last parsed input. */
static long poff(const struct pkt *p)
{
	return p->payload ? (long)(p->payload - guard_base) : -1;
}

static void put16(uint8_t *b, uint16_t v)
{
	b[0] = (uint8_t)(v >> 8);
	b[1] = (uint8_t)v;
}

static void put32(uint8_t *b, uint32_t v)
{
	put16(b, (uint16_t)(v >> 16));
	put16(b + 2, (uint16_t)v);
}

/* IPv4 header (ihl words, options zero) for l4len bytes of L4. */
static size_t mk_v4(uint8_t *b, uint8_t ihl, uint8_t proto, size_t l4len, uint16_t frag)
{
	memset(b, 0, (size_t)ihl * 4);
	b[0] = (uint8_t)(0x40 | ihl);
	put16(b + 2, (uint16_t)(ihl * 4 + l4len));
	put16(b + 6, frag);
	b[8] = 64;
	b[9] = proto;
	b[12] = 10, b[13] = 0, b[14] = 0, b[15] = 1;
	b[16] = 192, b[17] = 0, b[18] = 2, b[19] = 7;
	return (size_t)ihl * 4;
}

static size_t mk_v6(uint8_t *b, uint8_t nh, size_t plen)
{
	memset(b, 0, 40);
	b[0] = 0x60;
	put16(b + 4, (uint16_t)plen);
	b[6] = nh;
	b[7] = 64;
	b[8] = 0x20, b[9] = 0x01, b[10] = 0x0d, b[11] = 0xb8, b[23] = 1;
	b[24] = 0x20, b[25] = 0x01, b[26] = 0x0d, b[27] = 0xb8, b[39] = 2;
	return 40;
}

static size_t mk_tcp(uint8_t *b, uint16_t sport, uint16_t dport, uint32_t seq, uint8_t flags,
		     uint8_t doff, const char *payload)
{
	size_t n = payload ? strlen(payload) : 0;

	memset(b, 0, (size_t)doff * 4);
	put16(b, sport);
	put16(b + 2, dport);
	put32(b + 4, seq);
	b[12] = (uint8_t)(doff << 4);
	b[13] = flags;
	if (n)
		memcpy(b + doff * 4, payload, n);
	return (size_t)doff * 4 + n;
}

static size_t mk_udp(uint8_t *b, uint16_t sport, uint16_t dport, const char *payload)
{
	size_t n = strlen(payload);

	put16(b, sport);
	put16(b + 2, dport);
	put16(b + 4, (uint16_t)(8 + n));
	put16(b + 6, 0);
	memcpy(b + 8, payload, n);
	return 8 + n;
}

static void test_v4_tcp(void)
{
	uint8_t b[256];
	struct pkt p;
	size_t l4, n, i;

	/* doff 8: 12 bytes of options before the payload. */
	l4 = mk_tcp(b + 20, 40000, 3333, 0xfffffff0u, PKT_TCP_PSH | PKT_TCP_ACK, 8, "hello");
	n = mk_v4(b, 5, IPPROTO_TCP, l4, 0x4000) + l4;
	CHECK(parse(b, n, &p) == 0);
	CHECK(p.family == AF_INET);
	CHECK(p.proto == IPPROTO_TCP);
	CHECK(p.sport == 40000 && p.dport == 3333);
	CHECK(p.seq == 0xfffffff0u);
	CHECK(p.tcp_flags == (PKT_TCP_PSH | PKT_TCP_ACK));
	CHECK(p.fragment == 0);
	CHECK(p.ip_len == 57);
	CHECK(poff(&p) == 52 && p.payload_len == 5);
	CHECK(memcmp(p.payload, "hello", 5) == 0);
	CHECK(p.saddr[0] == 10 && p.saddr[3] == 1 && p.saddr[4] == 0 && p.saddr[15] == 0);
	CHECK(p.daddr[0] == 192 && p.daddr[3] == 7);

	/* Every cut inside the headers is malformed; cuts in the payload are a short copy. */
	for (i = 0; i < n; i++) {
		int r = parse(b, i, &p);

		if (i < 52)
			CHECK(r == -1);
		else
			CHECK(r == 0 && p.payload_len == i - 52 && p.ip_len == 57);
	}

	/* Trailing bytes past the IP total length (link padding) are not payload. */
	memset(b + n, 0xee, 10);
	CHECK(parse(b, n + 10, &p) == 0 && p.payload_len == 5);

	/* IP options: IHL 7. */
	l4 = mk_tcp(b + 28, 1, 2, 7, PKT_TCP_SYN, 5, NULL);
	n = mk_v4(b, 7, IPPROTO_TCP, l4, 0) + l4;
	CHECK(parse(b, n, &p) == 0 && p.sport == 1 && p.dport == 2 && p.payload_len == 0);
	CHECK(p.tcp_flags == PKT_TCP_SYN && poff(&p) == 48);
}

static void test_v4_udp_icmp(void)
{
	uint8_t b[256];
	struct pkt p;
	size_t l4, n;

	l4 = mk_udp(b + 20, 5353, 53, "dnsq");
	n = mk_v4(b, 5, IPPROTO_UDP, l4, 0) + l4;
	CHECK(parse(b, n, &p) == 0);
	CHECK(p.proto == IPPROTO_UDP && p.sport == 5353 && p.dport == 53);
	CHECK(poff(&p) == 28 && p.payload_len == 4 && memcmp(p.payload, "dnsq", 4) == 0);
	CHECK(p.tcp_flags == 0 && p.seq == 0);

	/* UDP length shorter than the IP payload: the rest is not payload. */
	put16(b + 24, 10);
	CHECK(parse(b, n, &p) == 0 && p.payload_len == 2);
	/* UDP length below its header or past the IP packet. */
	put16(b + 24, 7);
	CHECK(parse(b, n, &p) == -1);
	put16(b + 24, 13);
	CHECK(parse(b, n, &p) == -1);
	put16(b + 24, 12);
	CHECK(parse(b, n, &p) == 0);
	/* Copy range cut inside the UDP header. */
	CHECK(parse(b, 27, &p) == -1);
	CHECK(parse(b, 28, &p) == 0 && p.payload_len == 0);

	/* ICMP: no ports, payload is what follows the IP header. */
	memset(b + 20, 8, 8);
	n = mk_v4(b, 5, IPPROTO_ICMP, 8, 0) + 8;
	CHECK(parse(b, n, &p) == 0);
	CHECK(p.proto == IPPROTO_ICMP && p.sport == 0 && p.dport == 0 && p.fragment == 0);
	CHECK(poff(&p) == 20 && p.payload_len == 8);
}

static void test_v4_malformed(void)
{
	uint8_t b[256];
	struct pkt p;
	size_t l4, n;

	l4 = mk_tcp(b + 20, 1000, 80, 1, PKT_TCP_ACK, 5, "x");
	n = mk_v4(b, 5, IPPROTO_TCP, l4, 0) + l4;
	CHECK(parse(b, n, &p) == 0);

	CHECK(pkt_parse(b, 0, &p) == -1);
	CHECK(pkt_parse(NULL, 10, &p) == -1);
	b[0] = 0x55;	/* version 5 */
	CHECK(parse(b, n, &p) == -1);
	b[0] = 0x44;	/* IHL 4 */
	CHECK(parse(b, n, &p) == -1);
	b[0] = 0x4f;	/* IHL 15: 60 bytes > 41 */
	CHECK(parse(b, n, &p) == -1);
	b[0] = 0x45;
	put16(b + 2, 19);	/* total length below the header */
	CHECK(parse(b, n, &p) == -1);
	put16(b + 2, 30);	/* total length cuts the TCP header */
	CHECK(parse(b, n, &p) == -1);
	put16(b + 2, (uint16_t)n);
	b[32] = 0x40;	/* data offset 4 */
	CHECK(parse(b, n, &p) == -1);
	b[32] = 0x60;	/* data offset 6: 24 bytes > 21 */
	CHECK(parse(b, n, &p) == -1);
	b[32] = 0xf0;
	CHECK(parse(b, n, &p) == -1);
	b[32] = 0x50;
	CHECK(parse(b, n, &p) == 0 && p.payload_len == 1);
}

/*
 * Fragments: a non-first fragment has no ports (fragment = 1, return 0); a
 * first fragment holding the whole L4 header gives ports and its part of the
 * payload (fragment = 0); a first fragment too short for it is flagged.
 */
static void test_v4_fragments(void)
{
	uint8_t b[256];
	struct pkt p;
	size_t l4, n;

	l4 = mk_tcp(b + 20, 1000, 80, 1, PKT_TCP_ACK, 5, "abcdefgh");
	n = mk_v4(b, 5, IPPROTO_TCP, l4, 0x0003) + l4;	/* offset 24 bytes */
	CHECK(parse(b, n, &p) == 0);
	CHECK(p.fragment == 1 && p.proto == IPPROTO_TCP && p.sport == 0 && p.dport == 0);
	CHECK(p.payload == NULL && p.payload_len == 0);
	/* Last fragment (MF clear, offset set) too. */
	put16(b + 6, 0x2003);
	CHECK(parse(b, n, &p) == 0 && p.fragment == 1);

	/* First fragment with the whole TCP header. */
	put16(b + 6, 0x2000);
	CHECK(parse(b, n, &p) == 0);
	CHECK(p.fragment == 0 && p.sport == 1000 && p.dport == 80 && p.payload_len == 8);

	/* First fragment holding only 12 bytes of the TCP header. */
	put16(b + 2, 32);
	CHECK(parse(b, 32, &p) == 0);
	CHECK(p.fragment == 1 && p.sport == 0 && p.payload == NULL);
	/* The same without MF is a truncated (malformed) packet. */
	put16(b + 6, 0);
	CHECK(parse(b, 32, &p) == -1);

	/* First UDP fragment: the UDP length covers the whole datagram. */
	l4 = mk_udp(b + 20, 4000, 53, "0123456789");
	put16(b + 24, 1000);
	n = mk_v4(b, 5, IPPROTO_UDP, l4, 0x2000) + l4;
	CHECK(parse(b, n, &p) == 0);
	CHECK(p.fragment == 0 && p.sport == 4000 && p.payload_len == 10);
	put16(b + 6, 0);
	CHECK(parse(b, n, &p) == -1);
}

static void test_v6(void)
{
	uint8_t b[512];
	struct pkt p;
	size_t l4, n, off, i;
	char s[64];

	l4 = mk_tcp(b + 40, 50000, 443, 123456, PKT_TCP_SYN | PKT_TCP_ACK, 5, "tls");
	n = mk_v6(b, IPPROTO_TCP, l4) + l4;
	CHECK(parse(b, n, &p) == 0);
	CHECK(p.family == AF_INET6 && p.proto == IPPROTO_TCP);
	CHECK(p.sport == 50000 && p.dport == 443 && p.seq == 123456);
	CHECK(p.tcp_flags == (PKT_TCP_SYN | PKT_TCP_ACK));
	CHECK(p.ip_len == 63 && poff(&p) == 60 && p.payload_len == 3);
	CHECK_STR(pkt_addr_str(p.family, p.saddr, s, sizeof(s)), "2001:db8::1");
	CHECK_STR(pkt_addr_str(p.family, p.daddr, s, sizeof(s)), "2001:db8::2");
	for (i = 0; i < 60; i++)
		CHECK(parse(b, i, &p) == -1);

	l4 = mk_udp(b + 40, 1234, 5678, "quic");
	n = mk_v6(b, IPPROTO_UDP, l4) + l4;
	CHECK(parse(b, n, &p) == 0 && p.sport == 1234 && p.dport == 5678 && p.payload_len == 4);
	put16(b + 4, 11);	/* payload length cuts the UDP datagram */
	CHECK(parse(b, n, &p) == -1);

	/* Hop-by-hop (8), routing (24), destination options (16), then UDP. */
	off = mk_v6(b, 0, 0);
	memset(b + off, 0, 48);
	b[off] = 43, b[off + 1] = 0;
	b[off + 8] = 60, b[off + 9] = 2;
	b[off + 32] = IPPROTO_UDP, b[off + 33] = 1;
	off += 48;
	l4 = mk_udp(b + off, 7, 9, "ext");
	n = off + l4;
	put16(b + 4, (uint16_t)(n - 40));
	CHECK(parse(b, n, &p) == 0);
	CHECK(p.proto == IPPROTO_UDP && p.sport == 7 && p.dport == 9);
	CHECK(poff(&p) == 96 && p.payload_len == 3);
	for (i = 0; i < 96; i++)
		CHECK(parse(b, i, &p) == -1);
	/* Extension header longer than the packet. */
	b[41] = 200;
	CHECK(parse(b, n, &p) == -1);
	b[41] = 0;

	/* Fragment header: first fragment (M set, offset 0) then TCP. */
	off = mk_v6(b, 44, 0);
	memset(b + off, 0, 8);
	b[off] = IPPROTO_TCP;
	put16(b + off + 2, 0x0001);
	off += 8;
	l4 = mk_tcp(b + off, 2222, 3333, 5, PKT_TCP_ACK, 5, "frag");
	n = off + l4;
	put16(b + 4, (uint16_t)(n - 40));
	CHECK(parse(b, n, &p) == 0);
	CHECK(p.fragment == 0 && p.sport == 2222 && p.payload_len == 4);
	/* First fragment too short for the TCP header. */
	put16(b + 4, 8 + 10);
	CHECK(parse(b, 58, &p) == 0 && p.fragment == 1 && p.sport == 0);
	put16(b + 4, (uint16_t)(n - 40));
	/* Non-first fragment. */
	put16(b + 42, 0x00a8);
	CHECK(parse(b, n, &p) == 0);
	CHECK(p.fragment == 1 && p.proto == IPPROTO_TCP && p.sport == 0 && p.payload == NULL);

	/* No next header. */
	n = mk_v6(b, 59, 0);
	CHECK(parse(b, n, &p) == 0 && p.proto == 59 && p.payload_len == 0);

	/* AH (length in 4-byte units minus 2): 12 bytes, then UDP. */
	off = mk_v6(b, 51, 0);
	memset(b + off, 0, 12);
	b[off] = IPPROTO_UDP, b[off + 1] = 1;
	off += 12;
	l4 = mk_udp(b + off, 11, 12, "ah");
	n = off + l4;
	put16(b + 4, (uint16_t)(n - 40));
	CHECK(parse(b, n, &p) == 0 && p.sport == 11 && p.payload_len == 2 && poff(&p) == 60);

	/* Nine destination-options headers: more than we walk. */
	off = mk_v6(b, 60, 0);
	for (i = 0; i < 9; i++, off += 8) {
		memset(b + off, 0, 8);
		b[off] = i < 8 ? 60 : IPPROTO_UDP;
	}
	l4 = mk_udp(b + off, 1, 2, "x");
	n = off + l4;
	put16(b + 4, (uint16_t)(n - 40));
	CHECK(parse(b, n, &p) == -1);
	/* Eight are fine. */
	b[40 + 7 * 8] = IPPROTO_UDP;
	memmove(b + 40 + 64, b + 40 + 72, l4);
	put16(b + 4, (uint16_t)(n - 48));
	CHECK(parse(b, n - 8, &p) == 0 && p.sport == 1 && p.payload_len == 1);

	/* Version 6 with a short header. */
	CHECK(parse(b, 39, &p) == -1);
}

static void test_real(void)
{
	struct pkt p;
	char s[64];

	CHECK(parse(real_v4_tcp_stratum, sizeof(real_v4_tcp_stratum), &p) == 0);
	CHECK(p.family == AF_INET && p.proto == IPPROTO_TCP);
	CHECK_STR(pkt_addr_str(p.family, p.saddr, s, sizeof(s)), "192.168.2.92");
	CHECK_STR(pkt_addr_str(p.family, p.daddr, s, sizeof(s)), "94.23.36.128");
	CHECK(p.sport == 57726 && p.dport == 4444);
	CHECK(p.seq == 0x5546f6e3u && p.tcp_flags == (PKT_TCP_PSH | PKT_TCP_ACK));
	CHECK(p.payload_len == 145 && memcmp(p.payload, "{\"worker\": \"eth1.0\"", 19) == 0);
	/* NFQUEUE copy range of 100 bytes: the payload is what is present. */
	CHECK(parse(real_v4_tcp_stratum, 100, &p) == 0 && p.payload_len == 48 && p.ip_len == 197);

	CHECK(parse(real_v6_udp_dns, sizeof(real_v6_udp_dns), &p) == 0);
	CHECK(p.family == AF_INET6 && p.proto == IPPROTO_UDP);
	CHECK_STR(pkt_addr_str(p.family, p.saddr, s, sizeof(s)), "2001:503:83eb::30");
	CHECK_STR(pkt_addr_str(p.family, p.daddr, s, sizeof(s)), "2003:de:2016:120::a08:53");
	CHECK(p.sport == 53 && p.dport == 47228 && p.payload_len == 501);
	CHECK(p.payload[0] == 0x65 && p.payload[1] == 0xa2);

	CHECK(parse(real_v4_udp_dns, sizeof(real_v4_udp_dns), &p) == 0);
	CHECK(p.sport == 57157 && p.dport == 53 && p.payload_len == 55);
	CHECK(p.payload[0] == 0xa6 && p.payload[1] == 0x41);
}

static void test_addr_str(void)
{
	uint8_t a[16] = { 127, 0, 0, 1 };
	char s[INET6_ADDRSTRLEN];

	CHECK_STR(pkt_addr_str(AF_INET, a, s, sizeof(s)), "127.0.0.1");
	CHECK_STR(pkt_addr_str(0, a, s, sizeof(s)), "?");
	CHECK_STR(pkt_addr_str(AF_INET, a, s, 4), "?");	/* too small for the text */
}

int main(void)
{
	test_v4_tcp();
	test_v4_udp_icmp();
	test_v4_malformed();
	test_v4_fragments();
	test_v6();
	test_real();
	test_addr_str();
	return UNIT_DONE();
}
