// SPDX-License-Identifier: GPL-2.0-or-later
/* Endpoint table: parsing, longest-prefix match with ports and expiry, and 1M entries. */
#include "config.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>

#include "unit.h"
#include "ep_table.h"

static char err[128];

static int parse_ok(const char *s, uint8_t family, const char *addr, unsigned int plen, unsigned int port)
{
	struct ep_entry e;
	uint8_t a[16] = { 0 };

	if (ep_parse(s, &e, err, sizeof(err)) < 0 || inet_pton(family, addr, a) != 1)
		return 0;
	return e.family == family && e.plen == plen && e.port == port && !memcmp(e.addr, a, 16) &&
	       e.tag == 0 && e.expires_ms == 0;
}

static int parse_err(const char *s, const char *msg)
{
	struct ep_entry e;

	if (ep_parse(s, &e, err, sizeof(err)) != -1)
		return 0;
	if (strcmp(err, msg) != 0) {
		fprintf(stderr, "ep_parse(\"%s\"): got \"%s\"\n", s, err);
		return 0;
	}
	return 1;
}

static const struct ep_entry *lk(const struct ep_table *t, const char *addr, uint16_t port, uint64_t now)
{
	uint8_t a[16] = { 0 };
	uint8_t fam = strchr(addr, ':') ? AF_INET6 : AF_INET;

	inet_pton(fam, addr, a);
	return ep_table_lookup(t, fam, a, port, now);
}

static void add(struct ep_table *t, const char *s, uint32_t tag, uint64_t exp)
{
	struct ep_entry e;

	CHECK(ep_parse(s, &e, err, sizeof(err)) == 0);
	e.tag = tag;
	e.expires_ms = exp;
	CHECK(ep_table_add(t, &e) == 0);
}

static int count_cb(const struct ep_entry *e, void *arg)
{
	(*(size_t *)arg)++;
	return 0;
}

static double since(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

static void big_table(void)
{
	struct ep_table *t = ep_table_new();
	struct timespec t0;
	struct ep_entry e;
	uint32_t x = 2463534242u;
	size_t i, n = 1000000, hits = 0, misses = 0;

	/* 1M entries: 600k IPv4 /32, 100k IPv4 /24:port, 250k IPv6 /128, 50k IPv6 /48. */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < n; i++) {
		memset(&e, 0, sizeof(e));
		e.tag = (uint32_t)i;
		if (i < 700000) {
			uint32_t a = htonl((uint32_t)(0x0a000000u + i * 7919u));

			e.family = AF_INET;
			memcpy(e.addr, &a, 4);
			e.plen = i < 600000 ? 32 : 24;
			e.port = i < 600000 ? 0 : 3333;
			if (e.plen == 24)
				e.addr[3] = 0;
		} else {
			e.family = AF_INET6;
			e.addr[0] = 0x20; e.addr[1] = 0x01; e.addr[2] = 0x0d; e.addr[3] = 0xb8;
			memcpy(e.addr + 8, &i, sizeof(i));
			e.plen = i < 950000 ? 128 : 48;
			if (e.plen == 48) {
				memset(e.addr + 6, 0, 10);
				e.addr[4] = (uint8_t)(i >> 8);
				e.addr[5] = (uint8_t)i;
			}
		}
		if (ep_table_add(t, &e) < 0)
			break;
	}
	CHECK(i == n);
	printf("ep_table: inserted %zu entries in %.3f s, %zu bytes (%.1f bytes/entry)\n",
	       ep_table_count(t), since(&t0), ep_table_memory(t),
	       (double)ep_table_memory(t) / (double)ep_table_count(t));
	CHECK(ep_table_memory(t) / ep_table_count(t) < 100);

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < 1000000; i++) {
		uint8_t a[16] = { 0 };
		const struct ep_entry *r;

		x ^= x << 13; x ^= x >> 17; x ^= x << 5;
		if (i & 1) {
			uint32_t v = htonl((uint32_t)(0x0a000000u + (x % 1400000) * 7919u));

			memcpy(a, &v, 4);
			r = ep_table_lookup(t, AF_INET, a, (i & 2) ? 3333 : 80, 0);
		} else {
			size_t k = 700000 + x % 600000;

			a[0] = 0x20; a[1] = 0x01; a[2] = 0x0d; a[3] = 0xb8;
			memcpy(a + 8, &k, sizeof(k));
			r = ep_table_lookup(t, AF_INET6, a, 3333, 0);
		}
		if (r)
			hits++;
		else
			misses++;
	}
	printf("ep_table: 1000000 lookups in %.3f s: %zu hits, %zu misses\n", since(&t0), hits, misses);
	CHECK(hits > 300000 && misses > 100000);

	/* Spot checks in the big table. */
	{
		uint32_t v = htonl(0x0a000000u + 5u * 7919u);
		uint8_t a[16] = { 0 };
		const struct ep_entry *r;

		memcpy(a, &v, 4);
		r = ep_table_lookup(t, AF_INET, a, 0, 0);
		CHECK(r && r->tag == 5 && r->plen == 32);
		v = htonl(0x0a000000u + 650000u * 7919u);
		memcpy(a, &v, 4);
		r = ep_table_lookup(t, AF_INET, a, 3333, 0);
		CHECK(r && r->plen == 24 && r->port == 3333);
		CHECK(ep_table_lookup(t, AF_INET, a, 3334, 0) == NULL ||
		      ep_table_lookup(t, AF_INET, a, 3334, 0)->plen == 32);
	}
	ep_table_free(t);
}

int main(void)
{
	struct ep_table *t;
	const struct ep_entry *r;
	struct ep_entry e;
	size_t n = 0;

	/* Parsing. */
	CHECK(parse_ok("198.51.100.7", AF_INET, "198.51.100.7", 32, 0));
	CHECK(parse_ok("203.0.113.0/24", AF_INET, "203.0.113.0", 24, 0));
	CHECK(parse_ok("2001:db8::/32", AF_INET6, "2001:db8::", 32, 0));
	CHECK(parse_ok("198.51.100.7:3333", AF_INET, "198.51.100.7", 32, 3333));
	CHECK(parse_ok("[2001:db8::1]:3333", AF_INET6, "2001:db8::1", 128, 3333));
	CHECK(parse_ok("::ffff:198.51.100.7", AF_INET6, "::ffff:198.51.100.7", 128, 0));
	CHECK(parse_ok("203.0.113.0/24:4444", AF_INET, "203.0.113.0", 24, 4444));
	CHECK(parse_ok("[2001:db8::/48]:4444", AF_INET6, "2001:db8::", 48, 4444));
	CHECK(parse_ok("0.0.0.0/0", AF_INET, "0.0.0.0", 0, 0));
	CHECK(parse_err("", "empty endpoint"));
	CHECK(parse_err("198.51.100", "invalid IPv4 address \"198.51.100\""));
	CHECK(parse_err("198.51.100.7:0", "invalid port \"0\" (expected 1-65535)"));
	CHECK(parse_err("198.51.100.7:65536", "invalid port \"65536\" (expected 1-65535)"));
	CHECK(parse_err("198.51.100.7:", "invalid port \"\" (expected 1-65535)"));
	CHECK(parse_err("203.0.113.0/33", "invalid prefix length \"33\" (expected 0-32)"));
	CHECK(parse_err("203.0.113.1/24", "address \"203.0.113.1\" has bits set beyond /24"));
	CHECK(parse_err("2001:db8::1/129", "invalid prefix length \"129\" (expected 0-128)"));
	CHECK(parse_err("[2001:db8::1]", "expected ':port' after ']' in \"[2001:db8::1]\""));
	CHECK(parse_err("[2001:db8::1:3333", "missing ']' in \"[2001:db8::1:3333\""));
	CHECK(parse_err("pool.example:3333", "invalid IPv4 address \"pool.example\""));
	CHECK(parse_err("2001:db8::zz", "invalid IPv6 address \"2001:db8::zz\""));

	/* Longest prefix, ports, expiry. */
	t = ep_table_new();
	add(t, "203.0.113.0/24", 1, 0);
	add(t, "203.0.113.0/28:3333", 2, 0);
	add(t, "203.0.113.7", 3, 0);
	add(t, "203.0.113.8:3333", 4, 5000);
	add(t, "2001:db8::/32", 5, 0);
	add(t, "[2001:db8::1]:3333", 6, 0);
	CHECK(ep_table_count(t) == 6);
	CHECK((r = lk(t, "203.0.113.7", 80, 0)) && r->tag == 3);
	CHECK((r = lk(t, "203.0.113.8", 3333, 0)) && r->tag == 4);
	CHECK((r = lk(t, "203.0.113.8", 3333, 4999)) && r->tag == 4);
	CHECK((r = lk(t, "203.0.113.8", 3333, 5000)) && r->tag == 2);	/* expired: next best */
	CHECK((r = lk(t, "203.0.113.9", 3333, 0)) && r->tag == 2);
	CHECK((r = lk(t, "203.0.113.9", 80, 0)) && r->tag == 1);
	CHECK((r = lk(t, "203.0.113.200", 3333, 0)) && r->tag == 1);
	CHECK(lk(t, "203.0.114.1", 3333, 0) == NULL);
	CHECK((r = lk(t, "2001:db8::1", 3333, 0)) && r->tag == 6);
	CHECK((r = lk(t, "2001:db8::1", 3334, 0)) && r->tag == 5);
	CHECK(lk(t, "2001:db9::1", 3333, 0) == NULL);
	/* Update in place. */
	add(t, "203.0.113.7", 33, 0);
	CHECK(ep_table_count(t) == 6);
	CHECK((r = lk(t, "203.0.113.7", 80, 0)) && r->tag == 33);
	/* Expire and delete. */
	CHECK(ep_table_expire(t, 6000) == 1);
	CHECK(ep_table_count(t) == 5);
	CHECK((r = lk(t, "203.0.113.8", 3333, 0)) && r->tag == 2);
	CHECK(ep_parse("203.0.113.0/28:3333", &e, err, sizeof(err)) == 0);
	CHECK(ep_table_del(t, &e) == 0);
	CHECK(ep_table_del(t, &e) == -1);
	CHECK((r = lk(t, "203.0.113.9", 3333, 0)) && r->tag == 1);
	ep_table_foreach(t, count_cb, &n);
	CHECK(n == 4);
	/* A deleted slot is reused. */
	add(t, "192.0.2.1", 9, 0);
	CHECK((r = lk(t, "192.0.2.1", 1, 0)) && r->tag == 9);
	CHECK(ep_table_count(t) == 5);
	e.family = 99;
	CHECK(ep_table_add(t, &e) == -1);
	ep_table_free(t);

	big_table();
	return UNIT_DONE();
}
