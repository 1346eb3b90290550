// SPDX-License-Identifier: GPL-2.0-or-later
/* Fuzz the TLS SNI detector: the input is the client stream, fed whole and in two parts. */
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
	struct flow_key key = { .family = AF_INET, .proto = IPPROTO_TCP, .port = { 40000, 3333 } };
	struct det_env env = { 0 };
	struct det_stream s = { .key = &key };
	struct det_finding f;

	if (!ds) {
		ds = domain_set_new();
		domain_set_add(ds, "bitminter.com");
		domain_set_add(ds, "authedmine.com");
		domain_set_add(ds, "coinhive.com");
	}
	env.pool_domains = ds;
	s.data[FLOW_ORIG] = data;
	s.len[FLOW_ORIG] = size;
	s.pkt_data = data;
	s.pkt_len = size;
	memset(&f, 0, sizeof(f));
	det_tls_sni.inspect(&env, &s, &f);
	s.len[FLOW_ORIG] = size / 2;
	s.full[FLOW_ORIG] = true;
	det_tls_sni.inspect(&env, &s, &f);
	return 0;
}
