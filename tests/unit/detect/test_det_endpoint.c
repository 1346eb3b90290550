// SPDX-License-Identifier: GPL-2.0-or-later
/* Endpoint detector: the server address/port against the endpoint table, at the first packet. */
#include "config.h"

#include "unit.h"
#include "det_net_test.h"

int main(void)
{
	struct det_env env = { 0 };
	struct ep_table *t = ep_table_new();
	struct det_finding f;
	struct det_stream s;
	struct flow_key key;
	struct ep_entry e;
	char err[128];

	CHECK(ep_parse("198.51.100.0/24:3333", &e, err, sizeof(err)) == 0);
	e.tag = 7;
	CHECK(ep_table_add(t, &e) == 0);
	CHECK(ep_parse("[2001:db8::1]:4444", &e, err, sizeof(err)) == 0);
	e.tag = 9;
	e.expires_ms = 1000;	/* list entries carry no expiry in practice; the lookup ignores it */
	CHECK(ep_table_add(t, &e) == 0);

	/* No table: nothing to say. */
	test_key(&key, IPPROTO_TCP, 40000, 3333);
	test_stream(&s, &key, NULL, 0, NULL, 0);
	CHECK(det_endpoint.inspect(&env, &s, &f) == DET_NO);

	env.pool_endpoints = t;
	memset(&f, 0, sizeof(f));
	CHECK(det_endpoint.inspect(&env, &s, &f) == DET_MATCH);	/* SYN, no payload */
	CHECK_STR(f.dialect, "list");
	CHECK_STR(f.detail, "dest=198.51.100.7:3333 entry=198.51.100.0/24:3333 source=list");
	key.port[1] = 3334;
	CHECK(det_endpoint.inspect(&env, &s, &f) == DET_NO);
	key.port[1] = 3333;
	key.addr[1][2] = 101;
	CHECK(det_endpoint.inspect(&env, &s, &f) == DET_NO);

	key.family = AF_INET6;
	key.proto = IPPROTO_UDP;
	memset(key.addr[1], 0, 16);
	key.addr[1][0] = 0x20; key.addr[1][1] = 0x01; key.addr[1][2] = 0x0d; key.addr[1][3] = 0xb8;
	key.addr[1][15] = 1;
	key.port[1] = 4444;
	memset(&f, 0, sizeof(f));
	CHECK(det_endpoint.inspect(&env, &s, &f) == DET_MATCH);
	CHECK_STR(f.detail, "dest=[2001:db8::1]:4444 entry=[2001:db8::1/128]:4444 source=list");
	key.addr[1][15] = 2;
	CHECK(det_endpoint.inspect(&env, &s, &f) == DET_NO);

	/* Learned (DNS answers, pool SNI): matches while live on the packet's clock, not after. */
	{
		struct ep_table *learned = ep_table_new();

		CHECK(ep_parse("2001:db8::2", &e, err, sizeof(err)) == 0);
		e.expires_ms = 50000;
		CHECK(ep_table_add(learned, &e) == 0);
		env.learned = learned;
		env.now_ms = 40000;
		memset(&f, 0, sizeof(f));
		CHECK(det_endpoint.inspect(&env, &s, &f) == DET_MATCH);
		CHECK_STR(f.dialect, "learned");
		CHECK_STR(f.detail, "dest=[2001:db8::2]:4444 entry=2001:db8::2/128 source=learned");
		env.now_ms = 50001;
		CHECK(det_endpoint.inspect(&env, &s, &f) == DET_NO);
		ep_table_free(learned);
	}

	ep_table_free(t);
	return UNIT_DONE();
}
