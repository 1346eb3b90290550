// SPDX-License-Identifier: GPL-2.0-or-later
/* Fuzz the DNS detector: the input as one UDP datagram, then as both directions of TCP DNS. */
#include "config.h"

#include <stdint.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "det_net.h"
#include "domain_set.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct domain_set *ds;
	static uint8_t tcp[70000];
	struct flow_key key = { .family = AF_INET, .proto = IPPROTO_UDP, .port = { 40000, 53 } };
	struct det_env env = { 0 };
	struct det_stream s = { .key = &key };
	struct det_finding f;
	size_t n = size > sizeof(tcp) - 2 ? sizeof(tcp) - 2 : size;

	if (!ds) {
		ds = domain_set_new();
		domain_set_add(ds, "litecoinpool.org");
		domain_set_add(ds, "supportxmr.com");
		domain_set_add(ds, "coinhive.com");
		domain_set_add(ds, "authedmine.com");
		domain_set_add(ds, "cloudflare.net");
	}
	env.pool_domains = ds;
	s.pkt_data = data;
	s.pkt_len = size;
	memset(&f, 0, sizeof(f));
	det_dns.inspect(&env, &s, &f);

	/* As TCP: raw (its own length prefixes) in one direction, framed in the other. */
	key.proto = IPPROTO_TCP;
	tcp[0] = (uint8_t)(n >> 8);
	tcp[1] = (uint8_t)n;
	memcpy(tcp + 2, data, n);
	s.data[FLOW_ORIG] = data;
	s.len[FLOW_ORIG] = size;
	s.data[FLOW_REPLY] = tcp;
	s.len[FLOW_REPLY] = n + 2;
	memset(&f, 0, sizeof(f));
	det_dns.inspect(&env, &s, &f);
	s.data[FLOW_ORIG] = tcp;
	s.len[FLOW_ORIG] = n + 2;
	s.len[FLOW_REPLY] = 0;
	memset(&f, 0, sizeof(f));
	det_dns.inspect(&env, &s, &f);
	return 0;
}
