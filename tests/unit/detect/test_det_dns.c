// SPDX-License-Identifier: GPL-2.0-or-later
/* DNS detector on corpus queries and answers (UDP and TCP), learned addresses, malformed names. */
#include "config.h"

#include <arpa/inet.h>

#include "unit.h"
#include "det_net_test.h"
#include "det_net_corpus.h"

static struct det_env env;
static struct flow_key key;

static enum det_result udp(const uint8_t *d, size_t len, struct det_finding *f)
{
	struct det_stream s;

	test_stream(&s, &key, d, len, NULL, 0);
	memset(f, 0, sizeof(*f));
	return det_dns.inspect(&env, &s, f);
}

static int learned(const struct det_finding *f, unsigned int i, const char *addr, uint32_t ttl)
{
	char buf[INET6_ADDRSTRLEN];

	if (i >= f->n_learned || !inet_ntop(f->learned[i].family, f->learned[i].addr, buf, sizeof(buf)))
		return 0;
	return strcmp(buf, addr) == 0 && f->learned[i].ttl == ttl;
}

int main(void)
{
	struct det_finding f;
	struct det_stream s;
	uint8_t buf[2048];
	size_t i;

	env.pool_domains = test_pool_set();
	test_key(&key, IPPROTO_UDP, 54743, 53);

	/* Queries. */
	CHECK(udp(dns_ltc_query, sizeof(dns_ltc_query), &f) == DET_MATCH);
	CHECK_STR(f.dialect, "dns-query");
	CHECK_STR(f.detail, "query=litecoinpool.org");
	CHECK(f.n_learned == 0);
	CHECK(udp(dns_authedmine_query, sizeof(dns_authedmine_query), &f) == DET_MATCH);
	CHECK_STR(f.detail, "query=authedmine.com");

	/* Answers, with the addresses and TTLs learned. */
	CHECK(udp(dns_ltc_answer, sizeof(dns_ltc_answer), &f) == DET_MATCH);
	CHECK_STR(f.dialect, "dns-answer");
	CHECK(f.n_learned == 3);
	CHECK(f.learned[0].family == AF_INET);
	CHECK(learned(&f, 0, "149.210.234.234", f.learned[0].ttl));
	CHECK(learned(&f, 1, "144.76.222.140", f.learned[1].ttl));
	CHECK(learned(&f, 2, "88.80.187.187", f.learned[2].ttl));
	CHECK(f.learned[0].ttl > 0);
	CHECK_STR(f.detail, "answer=litecoinpool.org addresses=3");
	CHECK(udp(dns_authedmine_answer, sizeof(dns_authedmine_answer), &f) == DET_MATCH);
	CHECK(f.n_learned == 4);
	CHECK(learned(&f, 0, "217.182.164.13", f.learned[0].ttl));
	CHECK(learned(&f, 3, "217.182.164.10", f.learned[3].ttl));
	CHECK(udp(dns_coinhive_answer, sizeof(dns_coinhive_answer), &f) == DET_MATCH);
	CHECK(f.n_learned == 2);
	CHECK(learned(&f, 0, "104.20.208.59", f.learned[0].ttl));
	CHECK(learned(&f, 1, "104.20.209.59", f.learned[1].ttl));

	/* CNAME chain: www.supportxmr.com -> ...cdn.cloudflare.net -> A / AAAA. */
	CHECK(udp(dns_supportxmr_a, sizeof(dns_supportxmr_a), &f) == DET_MATCH);
	CHECK_STR(f.detail, "answer=www.supportxmr.com addresses=2");
	CHECK(learned(&f, 0, "104.20.123.34", f.learned[0].ttl));
	CHECK(learned(&f, 1, "104.20.122.34", f.learned[1].ttl));
	CHECK(udp(dns_supportxmr_aaaa, sizeof(dns_supportxmr_aaaa), &f) == DET_MATCH);
	CHECK(f.n_learned == 2);
	CHECK(f.learned[0].family == AF_INET6);
	CHECK(learned(&f, 0, "2400:cb00:2048:1::6814:7b22", f.learned[0].ttl));

	/* Benign names, EDNS included: no match, but the flow stays watched,
	 * because a resolver flow on a reused port carries the next look-up too. */
	CHECK(udp(dns_weberdns_answer, sizeof(dns_weberdns_answer), &f) == DET_MORE);
	CHECK(udp(dns_weberdns_query, sizeof(dns_weberdns_query), &f) == DET_MORE);
	CHECK(udp(dns_netflix_answer, sizeof(dns_netflix_answer), &f) == DET_MORE);
	CHECK(det_dns.whole_flow);
	/* Garbage on port 53 rules the flow out. */
	CHECK(udp((const uint8_t *)"\x00\x01\x02", 3, &f) == DET_NO);

	/* Not on a DNS port: not looked at. */
	test_key(&key, IPPROTO_UDP, 40000, 5000);
	CHECK(udp(dns_ltc_query, sizeof(dns_ltc_query), &f) == DET_NO);
	test_key(&key, IPPROTO_UDP, 5353, 5353);
	CHECK(udp(dns_ltc_query, sizeof(dns_ltc_query), &f) == DET_MATCH);
	test_key(&key, IPPROTO_UDP, 54743, 53);

	/* Truncations and corruptions of real messages never read out of bounds. */
	for (i = 0; i < sizeof(dns_ltc_answer); i++)
		udp(dns_ltc_answer, i, &f);
	CHECK(udp(dns_ltc_query, 11, &f) == DET_NO);
	for (i = 12; i < sizeof(dns_supportxmr_a); i++) {
		memcpy(buf, dns_supportxmr_a, sizeof(dns_supportxmr_a));
		buf[i] ^= 0xc0;
		udp(buf, sizeof(dns_supportxmr_a), &f);
	}
	/* A compression pointer to itself (a loop) is rejected. */
	{
		static const uint8_t loop[] = { 0x12, 0x34, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00,
						0x00, 0x00, 0x00, 0x00, 0xc0, 0x0c, 0x00, 0x01, 0x00, 0x01 };
		CHECK(udp(loop, sizeof(loop), &f) == DET_NO);
	}
	/* A label longer than 63 (0x40 type bits) is rejected. */
	memcpy(buf, dns_ltc_query, sizeof(dns_ltc_query));
	buf[12] = 0x40;
	CHECK(udp(buf, sizeof(dns_ltc_query), &f) == DET_NO);
	/* Upper case still matches. */
	memcpy(buf, dns_ltc_query, sizeof(dns_ltc_query));
	buf[13] = 'L';
	CHECK(udp(buf, sizeof(dns_ltc_query), &f) == DET_MATCH);

	/* TCP DNS with the length prefix: benign query and answer. */
	test_key(&key, IPPROTO_TCP, 39005, 53);
	test_stream(&s, &key, dns_tcp_query, sizeof(dns_tcp_query), NULL, 0);
	CHECK(det_dns.inspect(&env, &s, &f) == DET_NO);
	test_stream(&s, &key, dns_tcp_query, 10, NULL, 0);
	CHECK(det_dns.inspect(&env, &s, &f) == DET_MORE);
	test_stream(&s, &key, NULL, 0, NULL, 0);
	CHECK(det_dns.inspect(&env, &s, &f) == DET_MORE);
	/* TCP DNS carrying a pool query, split, then whole. */
	buf[0] = 0;
	buf[1] = sizeof(dns_ltc_query);
	memcpy(buf + 2, dns_ltc_query, sizeof(dns_ltc_query));
	test_stream(&s, &key, buf, 20, NULL, 0);
	CHECK(det_dns.inspect(&env, &s, &f) == DET_MORE);
	test_stream(&s, &key, buf, 2 + sizeof(dns_ltc_query), NULL, 0);
	memset(&f, 0, sizeof(f));
	CHECK(det_dns.inspect(&env, &s, &f) == DET_MATCH);
	CHECK_STR(f.dialect, "dns-query");
	/* And a pool answer in the reply direction of a TCP stream. */
	buf[0] = 0;
	buf[1] = sizeof(dns_coinhive_answer);
	memcpy(buf + 2, dns_coinhive_answer, sizeof(dns_coinhive_answer));
	test_stream(&s, &key, NULL, 0, buf, 2 + sizeof(dns_coinhive_answer));
	memset(&f, 0, sizeof(f));
	CHECK(det_dns.inspect(&env, &s, &f) == DET_MATCH);
	CHECK_STR(f.dialect, "dns-answer");
	CHECK(f.n_learned == 2);
	/* Garbage on port 53 over TCP. */
	test_stream(&s, &key, (const uint8_t *)"GET / HTTP/1.1\r\n\r\n", 18, NULL, 0);
	CHECK(det_dns.inspect(&env, &s, &f) == DET_NO);

	domain_set_free((struct domain_set *)env.pool_domains);
	return UNIT_DONE();
}
